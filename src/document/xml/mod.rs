//! A lean, namespace-resolved, owned XML tree with source locations.
//!
//! Kanta documents are parsed once into an [`XmlDocument`]: an arena of elements in
//! document order (so every subtree is a contiguous range) plus one string buffer, navigated
//! through cheap [`Node`] handles. The parser is iterative, so neither deep nesting nor
//! dropping a deep tree can overflow the stack.
//!
//! Well-formedness is checked beyond what `quick-xml` reports on its own: one root element,
//! every element closed, no text outside the root, only the predefined entities and valid
//! character references, no DOCTYPE, no duplicate attributes, declared namespace prefixes,
//! only characters allowed in XML 1.0, and UTF-8 (or UTF-16 with a byte order mark) input.
//!
//! Error messages never quote document text or attribute values (they may hold personal
//! data); element and attribute names may appear.

mod chars;
mod encoding;
mod error;
mod limits;
mod location;
mod parser;
mod tree;

pub use error::{XmlError, XmlErrorKind};
pub use limits::XmlLimits;
pub use location::Location;
pub use parser::parse;
pub use tree::{Attribute, Children, Node, NodeId, XmlDocument};
