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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesDecl, BytesStart, Event};
use quick_xml::name::{NamespaceError, QName, ResolveResult};
use quick_xml::reader::NsReader;
use thiserror::Error;

use crate::findings::XmlPlace;

/// The namespace bound to the reserved `xmlns` prefix (namespace declarations).
const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// Resource limits applied while parsing untrusted documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Maximum element nesting depth; the root element is at depth 1.
    pub max_depth: usize,
    /// Maximum number of attributes (namespace declarations included) on one element.
    pub max_attributes_per_element: usize,
    /// Maximum size of the input in bytes.
    pub max_bytes: usize,
    /// Maximum size in bytes of the direct text content of one element.
    pub max_text_bytes: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        Self {
            max_depth: 256,
            max_attributes_per_element: 256,
            max_bytes: 64 * 1024 * 1024,
            max_text_bytes: 32 * 1024 * 1024,
        }
    }
}

/// A 1-based line and column (in characters) in the source document.
///
/// Lines are counted by `\n` (so CRLF counts once); the column counts characters from the
/// start of the line; a byte order mark is not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number in characters.
    pub column: u32,
}

/// The stable category of an [`XmlError`]; map it to report rule ids with
/// [`XmlErrorKind::rule_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XmlErrorKind {
    /// The input is not well-formed XML (syntax, unclosed or mismatched elements, several
    /// root elements, text outside the root element, malformed names or references).
    NotWellFormed,
    /// A DOCTYPE (DTD, entity declarations) was found; it is never accepted.
    Doctype,
    /// The input is not UTF-8 (or UTF-16 with a byte order mark), or declares another
    /// encoding.
    Encoding,
    /// A character (literal or referenced) that XML 1.0 does not allow, such as NUL.
    InvalidCharacter,
    /// A reference to an entity other than `amp`, `lt`, `gt`, `quot` and `apos`.
    UndefinedEntity,
    /// An undeclared namespace prefix or a misuse of the reserved `xml`/`xmlns` prefixes.
    Namespace,
    /// The same attribute appears twice on one element.
    DuplicateAttribute,
    /// Elements are nested deeper than [`XmlLimits::max_depth`].
    TooDeep,
    /// An element has more than [`XmlLimits::max_attributes_per_element`] attributes.
    TooManyAttributes,
    /// The input is larger than [`XmlLimits::max_bytes`].
    TooLarge,
    /// The text of one element is larger than [`XmlLimits::max_text_bytes`].
    TextTooLarge,
}

impl XmlErrorKind {
    /// The report rule id for this kind, such as `xml.not-well-formed`.
    pub const fn rule_id(self) -> &'static str {
        match self {
            Self::NotWellFormed => "xml.not-well-formed",
            Self::Doctype => "xml.doctype",
            Self::Encoding => "xml.encoding",
            Self::InvalidCharacter => "xml.invalid-character",
            Self::UndefinedEntity => "xml.undefined-entity",
            Self::Namespace => "xml.namespace",
            Self::DuplicateAttribute => "xml.duplicate-attribute",
            Self::TooDeep => "xml.too-deep",
            Self::TooManyAttributes => "xml.too-many-attributes",
            Self::TooLarge => "xml.too-large",
            Self::TextTooLarge => "xml.text-too-large",
        }
    }
}

/// Why a document could not be parsed: a stable kind, a lowercase message without document
/// content, and the location where known.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}{}", location_suffix(*location))]
pub struct XmlError {
    /// The stable category of the failure.
    pub kind: XmlErrorKind,
    /// A lowercase message without a final full stop; never quotes document text.
    pub message: String,
    /// Where the failure was detected, when known.
    pub location: Option<Location>,
}

fn location_suffix(location: Option<Location>) -> String {
    match location {
        Some(l) => format!(" at line {}, column {}", l.line, l.column),
        None => String::new(),
    }
}

impl XmlError {
    fn new(kind: XmlErrorKind, message: impl Into<String>, location: Option<Location>) -> Self {
        Self {
            kind,
            message: message.into(),
            location,
        }
    }

    /// The 1-based line, when known.
    pub fn line(&self) -> Option<u32> {
        self.location.map(|l| l.line)
    }

    /// The 1-based column in characters, when known.
    pub fn column(&self) -> Option<u32> {
        self.location.map(|l| l.column)
    }
}

/// A range of the document's string arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: u32,
    len: u32,
}

/// The span of `start..end` of a string arena that fits in `u32` (checked on input).
fn span(start: usize, end: usize) -> Span {
    Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        len: u32::try_from(end - start).unwrap_or(0),
    }
}

/// Namespace index of an element or attribute in no namespace.
const NO_NAMESPACE: u32 = u32::MAX;
/// Namespace index under which namespace declarations are checked for duplicates.
const DECLARATION: u32 = u32::MAX - 1;
/// Parent index of the root element.
const NO_PARENT: u32 = u32::MAX;

/// One element in the arena; strings live in [`XmlDocument::strings`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct ElementData {
    ns: u32,
    /// Empty when the name has no prefix.
    prefix: Span,
    local: Span,
    text: Span,
    attrs_start: u32,
    attrs_len: u32,
    line: u32,
    column: u32,
    parent: u32,
    /// One past the index of the last element of this subtree.
    end: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AttributeData {
    ns: u32,
    local: Span,
    value: Span,
}

/// An attribute with its namespace resolved and its value unescaped and normalized.
///
/// Namespace declarations (`xmlns`, `xmlns:p`) are not attributes here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Namespace URI; `None` for unprefixed attributes.
    pub ns: Option<&'a str>,
    /// Local name (without prefix).
    pub local: &'a str,
    /// Value with references resolved and whitespace normalized as XML 1.0 requires.
    pub value: &'a str,
}

/// Index of an element in an [`XmlDocument`] (document order, the root is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// The position of the element in document order (the root is 0).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A parsed document: an arena of elements in document order (every subtree is a
/// contiguous range), their attributes, and one string buffer holding all names, values
/// and texts. Dropping it never recurses, however deep the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlDocument {
    elements: Vec<ElementData>,
    attributes: Vec<AttributeData>,
    strings: String,
    namespaces: Vec<Box<str>>,
}

impl XmlDocument {
    /// The root element.
    pub fn root(&self) -> Node<'_> {
        Node { doc: self, id: 0 }
    }

    /// The element with the given id.
    ///
    /// # Panics
    /// When `id` is out of range (it comes from another document).
    pub fn node(&self, id: NodeId) -> Node<'_> {
        assert!(id.index() < self.elements.len(), "node id out of range");
        Node {
            doc: self,
            id: id.0,
        }
    }

    /// All elements in document order (the root first).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = Node<'_>> {
        let end = u32::try_from(self.elements.len()).unwrap_or(u32::MAX);
        (0..end).map(move |id| Node { doc: self, id })
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Always false: a parsed document has a root element.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    fn str(&self, span: Span) -> &str {
        let start = span.start as usize;
        &self.strings[start..start + span.len as usize]
    }

    fn namespace(&self, index: u32) -> Option<&str> {
        self.namespaces.get(index as usize).map(|ns| &**ns)
    }
}

/// A cheap handle on one element of an [`XmlDocument`], with its data and navigation.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    doc: &'a XmlDocument,
    id: u32,
}

impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}

impl Eq for Node<'_> {}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names and location only: text and attribute values may be personal data.
        f.debug_struct("Node")
            .field("id", &self.id)
            .field("name", &self.qualified_name())
            .field("ns", &self.ns())
            .field("line", &self.line())
            .field("column", &self.column())
            .finish()
    }
}

/// A finding about an element is placed at its path, line and column.
impl From<Node<'_>> for XmlPlace {
    fn from(node: Node<'_>) -> Self {
        let location = node.location();
        XmlPlace {
            path: node.path(),
            line: location.line,
            column: location.column,
        }
    }
}

impl<'a> Node<'a> {
    fn data(self) -> &'a ElementData {
        &self.doc.elements[self.id as usize]
    }

    /// This element's id in the document.
    pub fn id(self) -> NodeId {
        NodeId(self.id)
    }

    /// The document this element belongs to.
    pub fn document(self) -> &'a XmlDocument {
        self.doc
    }

    /// Local name (without prefix).
    pub fn local(self) -> &'a str {
        self.doc.str(self.data().local)
    }

    /// The prefix as written in the source, if any.
    pub fn prefix(self) -> Option<&'a str> {
        let prefix = self.data().prefix;
        (prefix.len > 0).then(|| self.doc.str(prefix))
    }

    /// Namespace URI; `None` when the element is in no namespace.
    pub fn ns(self) -> Option<&'a str> {
        self.doc.namespace(self.data().ns)
    }

    /// The name as written in the source (`prefix:local` or `local`).
    pub fn qualified_name(self) -> Cow<'a, str> {
        match self.prefix() {
            Some(prefix) => Cow::Owned(format!("{prefix}:{}", self.local())),
            None => Cow::Borrowed(self.local()),
        }
    }

    /// Whether this element has namespace `ns` (`None`: no namespace) and local name `local`.
    pub fn is(self, ns: Option<&str>, local: &str) -> bool {
        self.local() == local && self.ns() == ns
    }

    /// Direct text content (text and CDATA, references resolved, line ends normalized to
    /// `\n`). Whitespace-only text of an element that has child elements is indentation
    /// and is dropped (empty).
    pub fn text(self) -> &'a str {
        self.doc.str(self.data().text)
    }

    /// 1-based line of the `<` of the start tag.
    pub fn line(self) -> u32 {
        self.data().line
    }

    /// 1-based column (in characters) of the `<` of the start tag.
    pub fn column(self) -> u32 {
        self.data().column
    }

    /// The location of the `<` of the start tag.
    pub fn location(self) -> Location {
        Location {
            line: self.line(),
            column: self.column(),
        }
    }

    /// Attributes in source order (namespace declarations excluded).
    pub fn attrs(self) -> impl ExactSizeIterator<Item = Attribute<'a>> {
        let data = self.data();
        let start = data.attrs_start as usize;
        let doc = self.doc;
        doc.attributes[start..start + data.attrs_len as usize]
            .iter()
            .map(move |a| Attribute {
                ns: doc.namespace(a.ns),
                local: doc.str(a.local),
                value: doc.str(a.value),
            })
    }

    /// The value of the no-namespace attribute `local`.
    pub fn attr(self, local: &str) -> Option<&'a str> {
        self.attr_ns(None, local)
    }

    /// The value of attribute `local` in namespace `ns` (`None`: no namespace).
    pub fn attr_ns(self, ns: Option<&str>, local: &str) -> Option<&'a str> {
        self.attrs()
            .find(|a| a.local == local && a.ns == ns)
            .map(|a| a.value)
    }

    /// The parent element, `None` for the root.
    pub fn parent(self) -> Option<Node<'a>> {
        let parent = self.data().parent;
        (parent != NO_PARENT).then_some(Node {
            doc: self.doc,
            id: parent,
        })
    }

    /// Child elements in document order.
    pub fn children(self) -> Children<'a> {
        Children {
            doc: self.doc,
            next: self.id + 1,
            end: self.data().end,
        }
    }

    /// Child elements with namespace `ns` (`None`: no namespace) and local name `local`.
    pub fn children_named<'q>(
        self,
        ns: Option<&'q str>,
        local: &'q str,
    ) -> impl Iterator<Item = Node<'a>> + 'q
    where
        'a: 'q,
    {
        self.children().filter(move |c| c.is(ns, local))
    }

    /// The first child element with namespace `ns` and local name `local`.
    pub fn child(self, ns: Option<&str>, local: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.is(ns, local))
    }

    /// The first child element with local name `local`, in any namespace.
    pub fn child_local(self, local: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.local() == local)
    }

    /// All descendant elements (not this one) in document order.
    pub fn descendants(self) -> impl Iterator<Item = Node<'a>> {
        let doc = self.doc;
        (self.id + 1..self.data().end).map(move |id| Node { doc, id })
    }

    /// Descendant elements with namespace `ns` and local name `local`, in document order.
    pub fn descendants_named<'q>(
        self,
        ns: Option<&'q str>,
        local: &'q str,
    ) -> impl Iterator<Item = Node<'a>> + 'q
    where
        'a: 'q,
    {
        self.descendants().filter(move |d| d.is(ns, local))
    }

    /// The first descendant (in document order) reached from this element through child
    /// elements with the given local names (any namespace), e.g.
    /// `["component", "nonXMLBody", "text"]`. An empty path gives this element.
    pub fn descendant(self, path: &[&str]) -> Option<Node<'a>> {
        let Some((last, init)) = path.split_last() else {
            return Some(self);
        };
        'candidates: for candidate in self.descendants() {
            if candidate.local() != *last {
                continue;
            }
            let mut ancestor = candidate;
            for step in init.iter().rev() {
                match ancestor.parent() {
                    Some(p) if p.id != self.id && p.local() == *step => ancestor = p,
                    _ => continue 'candidates,
                }
            }
            if ancestor.data().parent == self.id {
                return Some(candidate);
            }
        }
        None
    }

    /// Whether both elements have the same name as written and the same namespace.
    fn same_name(self, other: Node<'_>) -> bool {
        self.local() == other.local() && self.prefix() == other.prefix() && self.ns() == other.ns()
    }

    /// An XPath-like location such as `/ClinicalDocument/component/nonXMLBody/text`, using
    /// names as written in the source, with a 1-based `[n]` where a name repeats among
    /// siblings.
    pub fn path(self) -> String {
        let mut segments: Vec<(Node<'a>, Option<usize>)> = Vec::new();
        let mut current = Some(self);
        while let Some(node) = current {
            let parent = node.parent();
            let index = parent.and_then(|p| {
                let mut position = 0;
                let mut count = 0;
                for sibling in p.children() {
                    if sibling.same_name(node) {
                        count += 1;
                        if sibling.id == node.id {
                            position = count;
                        }
                    }
                }
                (count > 1).then_some(position)
            });
            segments.push((node, index));
            current = parent;
        }
        let mut path = String::new();
        for (node, index) in segments.iter().rev() {
            path.push('/');
            if let Some(prefix) = node.prefix() {
                path.push_str(prefix);
                path.push(':');
            }
            path.push_str(node.local());
            if let Some(i) = index {
                path.push('[');
                path.push_str(&i.to_string());
                path.push(']');
            }
        }
        path
    }
}

/// Iterator over the child elements of a [`Node`].
#[derive(Debug, Clone)]
pub struct Children<'a> {
    doc: &'a XmlDocument,
    next: u32,
    end: u32,
}

impl<'a> Iterator for Children<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        if self.next >= self.end {
            return None;
        }
        let node = Node {
            doc: self.doc,
            id: self.next,
        };
        self.next = node.data().end;
        Some(node)
    }
}

/// Parses `bytes` into an [`XmlDocument`], checking well-formedness, encoding and limits.
pub fn parse(bytes: &[u8], limits: &XmlLimits) -> Result<XmlDocument, XmlError> {
    if bytes.len() > limits.max_bytes {
        return Err(XmlError::new(
            XmlErrorKind::TooLarge,
            format!(
                "document is {} bytes, more than the limit of {} bytes",
                bytes.len(),
                limits.max_bytes
            ),
            None,
        ));
    }
    let (text, encoding) = decode_input(bytes)?;
    if u32::try_from(text.len()).is_err() {
        // Spans in the tree are 32-bit.
        return Err(XmlError::new(
            XmlErrorKind::TooLarge,
            "documents of 4 GiB or more are not supported",
            None,
        ));
    }
    if let Some(offset) = find_invalid_char(&text) {
        let c = text[offset..].chars().next().unwrap_or('\0');
        return Err(XmlError::new(
            XmlErrorKind::InvalidCharacter,
            format!("character U+{:04X} is not allowed in xml 1.0", u32::from(c)),
            Some(LineCursor::new(&text).locate(offset)),
        ));
    }
    Parser::new(&text, limits, encoding).run()
}

/// The character encoding the input was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputEncoding {
    Utf8,
    Utf16,
}

/// Turns the raw input into UTF-8 text: skips a UTF-8 byte order mark, decodes UTF-16
/// with a byte order mark, and refuses UTF-16 without one and invalid UTF-8.
fn decode_input(bytes: &[u8]) -> Result<(Cow<'_, str>, InputEncoding), XmlError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return validate_utf8(rest, 3).map(|s| (Cow::Borrowed(s), InputEncoding::Utf8));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return decode_utf16(rest, u16::from_le_bytes)
            .map(|s| (Cow::Owned(s), InputEncoding::Utf16));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return decode_utf16(rest, u16::from_be_bytes)
            .map(|s| (Cow::Owned(s), InputEncoding::Utf16));
    }
    if bytes.starts_with(b"<\0?\0") || bytes.starts_with(b"\0<\0?") {
        return Err(XmlError::new(
            XmlErrorKind::Encoding,
            "utf-16 input without a byte order mark is not accepted",
            Some(Location { line: 1, column: 1 }),
        ));
    }
    validate_utf8(bytes, 0).map(|s| (Cow::Borrowed(s), InputEncoding::Utf8))
}

fn validate_utf8(bytes: &[u8], skipped: usize) -> Result<&str, XmlError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = e.valid_up_to();
        // The prefix is valid UTF-8 by construction; fall back to no location otherwise.
        let location = std::str::from_utf8(&bytes[..valid])
            .ok()
            .map(|prefix| LineCursor::new(prefix).locate(valid));
        XmlError::new(
            XmlErrorKind::Encoding,
            format!("invalid utf-8 at byte offset {}", valid + skipped),
            location,
        )
    })
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, XmlError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(XmlError::new(
            XmlErrorKind::Encoding,
            "utf-16 input has an odd number of bytes",
            None,
        ));
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len());
    for (index, decoded) in char::decode_utf16(units).enumerate() {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) => {
                return Err(XmlError::new(
                    XmlErrorKind::Encoding,
                    format!(
                        "invalid utf-16 (unpaired surrogate) at byte offset {}",
                        2 + index * 2
                    ),
                    Some(LineCursor::new(&text).locate(text.len())),
                ));
            }
        }
    }
    Ok(text)
}

/// The byte offset of the first character not allowed in XML 1.0 (C0 controls other than
/// tab, LF and CR; U+FFFE; U+FFFF). Surrogates cannot occur in a `str`.
fn find_invalid_char(text: &str) -> Option<usize> {
    const CHUNK: usize = 64;
    let bytes = text.as_bytes();
    // Branch-free screening per chunk (vectorizes); the exact check runs only on chunks
    // holding a control byte or the lead byte of U+F000..U+FFFF.
    let suspicious = |b: u8| (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r') | (b == 0xEF);
    for (chunk_index, chunk) in bytes.chunks(CHUNK).enumerate() {
        if !chunk.iter().fold(false, |acc, &b| acc | suspicious(b)) {
            continue;
        }
        for (i, &b) in chunk.iter().enumerate() {
            let at = chunk_index * CHUNK + i;
            if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
                return Some(at);
            }
            if b == 0xEF
                && bytes.get(at + 1) == Some(&0xBF)
                && matches!(bytes.get(at + 2), Some(0xBE | 0xBF))
            {
                return Some(at);
            }
        }
    }
    None
}

/// Whether `c` is a character XML 1.0 allows.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// ASCII name characters: 1 = may continue a name, 2 = may also start one.
const ASCII_NAME: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphabetic() || c == b'_' {
            table[b] = 3;
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            table[b] = 1;
        }
        b += 1;
    }
    table
};

/// Whether `name` is an XML name without colons (an NCName).
fn is_ncname(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let ascii_name = |b: u8| ASCII_NAME.get(usize::from(b)).copied().unwrap_or(0);
    if ascii_name(first) & 2 != 0 && bytes[1..].iter().all(|&b| ascii_name(b) != 0) {
        return true;
    }
    if name.is_ascii() {
        return false;
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if is_name_start_char(c) => chars.all(is_name_char),
        _ => false,
    }
}

/// Bytes of ASCII qualified names: 1 = may continue a name, 2 = may also start one,
/// 4 = the colon; 0 for everything else, non-ASCII bytes included.
const QNAME_BYTE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = ASCII_NAME[b];
        b += 1;
    }
    table[b':' as usize] = 4;
    table
};

/// Whether `name` is a qualified name: `NCName` or `NCName:NCName`.
fn is_qname(name: &str) -> bool {
    let bytes = name.as_bytes();
    // The usual case, an ASCII name, in one pass with one table lookup per byte.
    let mut colon = None;
    for (i, &b) in bytes.iter().enumerate() {
        let class = QNAME_BYTE[usize::from(b)];
        if class & 1 != 0 {
            continue;
        }
        if class == 4 && colon.is_none() {
            colon = Some(i);
            continue;
        }
        // Non-ASCII, not a name character, or a second colon.
        return is_qname_slow(name);
    }
    let starts = |at: usize| {
        bytes
            .get(at)
            .is_some_and(|&b| QNAME_BYTE[usize::from(b)] & 2 != 0)
    };
    starts(0) && colon.is_none_or(|c| starts(c + 1))
}

fn is_qname_slow(name: &str) -> bool {
    match memchr::memchr(b':', name.as_bytes()) {
        // `:` is ASCII, so both sides are on character boundaries.
        Some(colon) => is_ncname(&name[..colon]) && is_ncname(&name[colon + 1..]),
        None => is_ncname(name),
    }
}

/// Whether every byte is XML whitespace (space, tab, CR, LF).
fn is_xml_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Appends `raw` to `out` with XML 1.0 line-end normalization (CRLF and CR become LF).
fn push_normalized_eols(out: &mut String, raw: &str) {
    let bytes = raw.as_bytes();
    let mut start = 0;
    for cr in memchr::memchr_iter(b'\r', bytes) {
        if cr < start {
            // The CR of a CRLF pair already written as one LF.
            continue;
        }
        // `\r` and `\n` are ASCII, so every cut is on a character boundary.
        out.push_str(&raw[start..cr]);
        out.push('\n');
        start = if bytes.get(cr + 1) == Some(&b'\n') {
            cr + 2
        } else {
            cr + 1
        };
    }
    out.push_str(&raw[start..]);
}

/// A failure while resolving a reference, before it gets a location.
enum ReferenceError {
    Undefined,
    InvalidChar,
    Malformed,
}

/// Resolves the content of `&...;` (without `&` and `;`) to its replacement text.
fn resolve_reference(name: &str) -> Result<ResolvedRef, ReferenceError> {
    if let Some(number) = name.strip_prefix('#') {
        let (digits, radix) = match number.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (number, 10),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return Err(ReferenceError::Malformed);
        }
        let code = u32::from_str_radix(digits, radix).map_err(|_| ReferenceError::InvalidChar)?;
        return match char::from_u32(code) {
            Some(c) if is_xml_char(c) => Ok(ResolvedRef::Char(c)),
            _ => Err(ReferenceError::InvalidChar),
        };
    }
    match name {
        "amp" => Ok(ResolvedRef::Str("&")),
        "lt" => Ok(ResolvedRef::Str("<")),
        "gt" => Ok(ResolvedRef::Str(">")),
        "quot" => Ok(ResolvedRef::Str("\"")),
        "apos" => Ok(ResolvedRef::Str("'")),
        _ => Err(ReferenceError::Undefined),
    }
}

enum ResolvedRef {
    Char(char),
    Str(&'static str),
}

impl ResolvedRef {
    fn push_to(&self, out: &mut String) {
        match self {
            Self::Char(c) => out.push(*c),
            Self::Str(s) => out.push_str(s),
        }
    }
}

/// An entity name short and plain enough to show in a message (such as `nbsp`); anything
/// else (which could be misplaced content) is left out.
fn displayable_entity(name: &str) -> Option<&str> {
    let plain = name.len() <= 8
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric());
    plain.then_some(name)
}

fn reference_error(error: ReferenceError, name: &str, location: Location) -> XmlError {
    match error {
        ReferenceError::Undefined => XmlError::new(
            XmlErrorKind::UndefinedEntity,
            match displayable_entity(name) {
                Some(n) => format!(
                    "undefined entity reference `&{n};` (only amp, lt, gt, quot and apos are predefined)"
                ),
                None => {
                    "undefined entity reference (only amp, lt, gt, quot and apos are predefined)"
                        .to_owned()
                }
            },
            Some(location),
        ),
        ReferenceError::InvalidChar => XmlError::new(
            XmlErrorKind::InvalidCharacter,
            "character reference to a character not allowed in xml 1.0",
            Some(location),
        ),
        ReferenceError::Malformed => XmlError::new(
            XmlErrorKind::NotWellFormed,
            "malformed character reference",
            Some(location),
        ),
    }
}

/// Converts byte offsets to line and column; offsets are usually asked for in increasing
/// order, so the cursor only moves forward (linear over the whole document), from one line
/// end to the next.
struct LineCursor<'s> {
    src: &'s str,
    newlines: memchr::Memchr<'s>,
    /// The first line end at or after `offset`.
    next_newline: Option<usize>,
    /// A byte offset on line `line`, at column `column`.
    offset: usize,
    line: u32,
    column: u32,
}

impl<'s> LineCursor<'s> {
    fn new(src: &'s str) -> Self {
        let mut newlines = memchr::memchr_iter(b'\n', src.as_bytes());
        let next_newline = newlines.next();
        Self {
            src,
            newlines,
            next_newline,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn locate(&mut self, offset: usize) -> Location {
        let mut offset = offset.min(self.src.len());
        while !self.src.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset {
            *self = Self::new(self.src);
        }
        while let Some(newline) = self.next_newline.filter(|&n| n < offset) {
            self.line = self.line.saturating_add(1);
            self.offset = newline + 1;
            self.column = 1;
            self.next_newline = self.newlines.next();
        }
        // Counted from the previous offset when it is on the same line, so that a document
        // on one long line stays linear.
        let bytes = &self.src.as_bytes()[self.offset..offset];
        self.column = self.column.saturating_add(count_chars(bytes));
        self.offset = offset;
        Location {
            line: self.line,
            column: self.column,
        }
    }
}

/// The number of UTF-8 characters in `bytes` (bytes that are not continuation bytes).
fn count_chars(bytes: &[u8]) -> u32 {
    let n = if bytes.is_ascii() {
        bytes.len()
    } else {
        bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
    };
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The (namespace, local name) pairs of one start tag's attributes, for the duplicate
/// check: a linear scan for the usual handful, a hash set beyond that (so a tag with many
/// attributes stays linear).
#[derive(Default)]
struct SeenAttributes<'s> {
    small: Vec<(u32, &'s str)>,
    large: HashSet<(u32, &'s str)>,
}

impl<'s> SeenAttributes<'s> {
    const SMALL: usize = 16;

    fn clear(&mut self) {
        self.small.clear();
        if !self.large.is_empty() {
            self.large.clear();
        }
    }

    /// Records the pair; true when the tag already had it.
    fn insert(&mut self, ns: u32, local: &'s str) -> bool {
        if self.small.len() < Self::SMALL {
            if self.small.contains(&(ns, local)) {
                return true;
            }
            self.small.push((ns, local));
            return false;
        }
        if self.large.is_empty() {
            self.large.extend(self.small.iter().copied());
        }
        !self.large.insert((ns, local))
    }
}

/// An open element during parsing.
struct Frame {
    id: u32,
    /// Where this element's text starts in the shared text buffer.
    text_start: usize,
    /// Where this element's deferred whitespace starts in [`Parser::deferred`].
    deferred_start: usize,
    has_children: bool,
}

/// Whitespace-only text of at most this many bytes is deferred (see [`Parser::deferred`]).
const DEFERRED_WHITESPACE_BYTES: usize = 64;

struct Parser<'s, 'l> {
    src: &'s str,
    limits: &'l XmlLimits,
    encoding: InputEncoding,
    cursor: LineCursor<'s>,
    elements: Vec<ElementData>,
    /// The byte offset of each element's start tag; turned into line and column once
    /// at the end, in one pass over the input, rather than once per element.
    offsets: Vec<u32>,
    attributes: Vec<AttributeData>,
    /// The document's string arena (names, attribute values, texts).
    strings: String,
    namespaces: Vec<Box<str>>,
    namespace_index: HashMap<Box<str>, u32>,
    /// The namespace interned last: most elements share their neighbours' namespace.
    last_namespace: u32,
    stack: Vec<Frame>,
    /// Text of all open elements, innermost last (see [`Frame::text_start`]).
    text: String,
    /// Short whitespace-only text of open elements, as (offset, length) in the source, not
    /// yet appended to `text`: usually indentation between child elements, which is
    /// dropped when the element closes. It is appended, in order, before any other text
    /// of the element, or at its end when the element has other text or no children.
    deferred: Vec<(u32, u32)>,
    root_done: bool,
    /// Attribute names of the start tag being read.
    seen: SeenAttributes<'s>,
}

impl<'s, 'l> Parser<'s, 'l> {
    fn new(src: &'s str, limits: &'l XmlLimits, encoding: InputEncoding) -> Self {
        Self {
            src,
            limits,
            encoding,
            cursor: LineCursor::new(src),
            elements: Vec::with_capacity(src.len() / 128 + 1),
            offsets: Vec::with_capacity(src.len() / 128 + 1),
            attributes: Vec::with_capacity(src.len() / 128 + 1),
            strings: String::with_capacity(src.len()),
            namespaces: Vec::new(),
            namespace_index: HashMap::new(),
            last_namespace: NO_NAMESPACE,
            stack: Vec::new(),
            text: String::new(),
            deferred: Vec::new(),
            root_done: false,
            seen: SeenAttributes::default(),
        }
    }

    fn locate(&mut self, offset: usize) -> Location {
        self.cursor.locate(offset)
    }

    fn error(&mut self, kind: XmlErrorKind, message: impl Into<String>, offset: usize) -> XmlError {
        let location = self.locate(offset);
        XmlError::new(kind, message, Some(location))
    }

    /// The byte offset of `part` (a slice of the source) in the source.
    fn offset_of(&self, part: &str) -> Option<usize> {
        let start = self.src.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        (at >= start && at + part.len() <= start + self.src.len()).then(|| at - start)
    }

    /// Appends `s` to the string arena. The arena never outgrows the input, which is
    /// checked to fit in `u32`.
    fn push_str(&mut self, s: &str) -> Span {
        let start = self.strings.len();
        self.strings.push_str(s);
        span(start, self.strings.len())
    }

    fn intern(&mut self, uri: &str) -> u32 {
        if let Some(last) = self.namespaces.get(self.last_namespace as usize)
            && **last == *uri
        {
            return self.last_namespace;
        }
        let index = match self.namespace_index.get(uri) {
            Some(&index) => index,
            None => {
                let index = u32::try_from(self.namespaces.len()).unwrap_or(NO_NAMESPACE - 1);
                self.namespaces.push(uri.into());
                self.namespace_index.insert(uri.into(), index);
                index
            }
        };
        self.last_namespace = index;
        index
    }

    fn run(mut self) -> Result<XmlDocument, XmlError> {
        let src = self.src;
        let mut reader = NsReader::from_str(src);
        reader.config_mut().check_comments = true;
        reader.config_mut().check_end_names = true;
        loop {
            let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                    return Err(self.map_reader_error(&e, at));
                }
            };
            // Namespaces matter for start tags only (an end tag's name is checked against
            // its start tag's), so only those are resolved.
            let ns = match &event {
                Event::Start(start) | Event::Empty(start) => {
                    match reader.resolver().resolve_element(start.name()).0 {
                        ResolveResult::Bound(ns) => Ok(self.intern(ns.into_inner())),
                        ResolveResult::Unknown(prefix) => Err(prefix),
                        ResolveResult::Unbound => Ok(NO_NAMESPACE),
                    }
                }
                _ => Ok(NO_NAMESPACE),
            };
            match event {
                Event::Start(start) => self.open(&reader, &start, ns, before, false)?,
                Event::Empty(start) => self.open(&reader, &start, ns, before, true)?,
                Event::End(_) => self.close(before)?,
                Event::Text(text) => self.text_event(&text, before)?,
                Event::CData(cdata) => {
                    if self.stack.is_empty() {
                        return Err(self.error(
                            XmlErrorKind::NotWellFormed,
                            "cdata section outside the root element",
                            before,
                        ));
                    }
                    self.flush_deferred();
                    push_normalized_eols(&mut self.text, &cdata);
                    self.check_text_size(before)?;
                }
                Event::GeneralRef(reference) => self.reference(&reference, before)?,
                Event::Decl(decl) => self.declaration(&decl, before)?,
                Event::DocType(_) => {
                    return Err(self.error(
                        XmlErrorKind::Doctype,
                        "document type declarations (dtds) and entity declarations are not accepted",
                        before,
                    ));
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => break,
            }
        }
        // Every element's line and column, in one forward pass: elements are in document
        // order.
        let cursor = &mut self.cursor;
        for (element, &offset) in self.elements.iter_mut().zip(&self.offsets) {
            let location = cursor.locate(offset as usize);
            element.line = location.line;
            element.column = location.column;
        }
        let document = XmlDocument {
            elements: self.elements,
            attributes: self.attributes,
            strings: self.strings,
            namespaces: self.namespaces,
        };
        if let Some(frame) = self.stack.last() {
            let element = document.node(NodeId(frame.id));
            return Err(XmlError::new(
                XmlErrorKind::NotWellFormed,
                format!(
                    "element `{}` is not closed before the end of the input",
                    element.qualified_name()
                ),
                Some(element.location()),
            ));
        }
        if document.is_empty() {
            let location = self.cursor.locate(src.len());
            return Err(XmlError::new(
                XmlErrorKind::NotWellFormed,
                "no root element",
                Some(location),
            ));
        }
        Ok(document)
    }

    fn open(
        &mut self,
        reader: &NsReader<&[u8]>,
        start: &BytesStart<'_>,
        ns: Result<u32, String>,
        before: usize,
        empty: bool,
    ) -> Result<(), XmlError> {
        let name = start.name();
        let qname = name.as_ref();
        if !is_qname(qname) {
            return Err(self.error(
                XmlErrorKind::NotWellFormed,
                "invalid element name",
                before + 1,
            ));
        }
        if self.root_done {
            return Err(self.error(
                XmlErrorKind::NotWellFormed,
                format!(
                    "element `{qname}` after the root element (only one root element is allowed)"
                ),
                before,
            ));
        }
        let depth = self.stack.len() + 1;
        if depth > self.limits.max_depth {
            return Err(self.error(
                XmlErrorKind::TooDeep,
                format!(
                    "element `{qname}` is nested deeper than the limit of {} levels",
                    self.limits.max_depth
                ),
                before,
            ));
        }
        let ns = match ns {
            Ok(ns) => ns,
            Err(prefix) => {
                return Err(self.error(
                    XmlErrorKind::Namespace,
                    format!("namespace prefix `{prefix}` of element `{qname}` is not declared"),
                    before,
                ));
            }
        };
        let (local, prefix) = name.decompose();
        if prefix.is_some_and(|p| p.as_ref() == "xmlns") {
            return Err(self.error(
                XmlErrorKind::Namespace,
                format!("element `{qname}` uses the reserved prefix `xmlns`"),
                before,
            ));
        }
        let attrs_start = self.attributes.len();
        self.attributes(reader, start, qname, before)?;
        let Ok(id) = u32::try_from(self.elements.len()) else {
            return Err(self.error(XmlErrorKind::TooLarge, "too many elements", before));
        };
        let parent = match self.stack.last_mut() {
            Some(frame) => {
                frame.has_children = true;
                frame.id
            }
            None => NO_PARENT,
        };
        let prefix = match prefix {
            Some(p) => self.push_str(p.as_ref()),
            None => Span::default(),
        };
        let local = self.push_str(local.as_ref());
        // The input fits in u32 (checked before parsing).
        self.offsets.push(u32::try_from(before).unwrap_or(u32::MAX));
        self.elements.push(ElementData {
            ns,
            prefix,
            local,
            text: Span::default(),
            attrs_start: u32::try_from(attrs_start).unwrap_or(u32::MAX),
            attrs_len: u32::try_from(self.attributes.len() - attrs_start).unwrap_or(0),
            // Set from `offsets` once the whole input is read (see `run`).
            line: 0,
            column: 0,
            parent,
            end: id + 1,
        });
        if empty {
            if self.stack.is_empty() {
                self.root_done = true;
            }
            return Ok(());
        }
        self.stack.push(Frame {
            id,
            text_start: self.text.len(),
            deferred_start: self.deferred.len(),
            has_children: false,
        });
        Ok(())
    }

    /// Appends the attributes of `start` (namespace declarations excluded) to the arena.
    ///
    /// The attribute text is scanned here rather than through quick-xml's attribute
    /// iterator: one pass with `memchr` for the closing quote, names checked once, and
    /// duplicates found by namespace and local name (which also catches the same
    /// attribute written through two prefixes bound to one namespace).
    fn attributes(
        &mut self,
        reader: &NsReader<&[u8]>,
        start: &BytesStart<'_>,
        qname: &str,
        before: usize,
    ) -> Result<(), XmlError> {
        let raw = start.attributes_raw();
        if raw.is_empty() {
            return Ok(());
        }
        let src = self.src;
        let Some(base) = self.offset_of(raw) else {
            // Events of a `&str` reader always borrow from the source.
            return Err(self.error(XmlErrorKind::NotWellFormed, "malformed start tag", before));
        };
        let bytes = raw.as_bytes();
        let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        self.seen.clear();
        let mut count = 0usize;
        let mut i = 0;
        loop {
            let gap = i;
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
            if i == gap {
                return Err(self.error(
                    XmlErrorKind::NotWellFormed,
                    format!("attributes of element `{qname}` must be separated by whitespace"),
                    base + i,
                ));
            }
            count += 1;
            if count > self.limits.max_attributes_per_element {
                return Err(self.error(
                    XmlErrorKind::TooManyAttributes,
                    format!(
                        "element `{qname}` has more than {} attributes",
                        self.limits.max_attributes_per_element
                    ),
                    before,
                ));
            }
            let key_start = i;
            while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'=' {
                i += 1;
            }
            // Name boundaries are ASCII bytes, so slicing stays on character boundaries.
            let key = &src[base + key_start..base + i];
            let key_offset = base + key_start;
            if !is_qname(key) {
                return Err(self.error(
                    XmlErrorKind::NotWellFormed,
                    format!("invalid attribute name in element `{qname}`"),
                    key_offset,
                ));
            }
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            if bytes.get(i) != Some(&b'=') {
                return Err(self.error(
                    XmlErrorKind::NotWellFormed,
                    format!("attribute name in element `{qname}` must be followed by `=`"),
                    base + i,
                ));
            }
            i += 1;
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            let quote = match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => q,
                Some(_) => {
                    return Err(self.error(
                        XmlErrorKind::NotWellFormed,
                        format!("attribute value in element `{qname}` is not quoted"),
                        base + i,
                    ));
                }
                None => {
                    return Err(self.error(
                        XmlErrorKind::NotWellFormed,
                        format!("attribute in element `{qname}` has no value after `=`"),
                        base + i,
                    ));
                }
            };
            let value_start = i + 1;
            let Some(len) = memchr::memchr(quote, &bytes[value_start..]) else {
                return Err(self.error(
                    XmlErrorKind::NotWellFormed,
                    format!("attribute value in element `{qname}` is missing its closing quote"),
                    base + i,
                ));
            };
            i = value_start + len + 1;
            let value_offset = base + value_start;
            let raw_value = &src[value_offset..value_offset + len];
            let arena_len = self.strings.len();
            let value = self.attribute_value(raw_value, value_offset, key)?;
            let declaration = key == "xmlns" || key.starts_with("xmlns:");
            let (ns, local) = if declaration {
                // Checked like any value, but not kept: declarations are not attributes.
                self.strings.truncate(arena_len);
                (DECLARATION, key)
            } else {
                match memchr::memchr(b':', key.as_bytes()).map(|colon| &key[colon + 1..]) {
                    None => (NO_NAMESPACE, key),
                    Some(local) => {
                        let (resolved, _) = reader.resolver().resolve_attribute(QName(key));
                        match resolved {
                            ResolveResult::Bound(ns) if ns.into_inner() == XMLNS_NAMESPACE => {
                                return Err(self.error(
                                    XmlErrorKind::Namespace,
                                    format!("attribute `{key}` uses the reserved prefix `xmlns`"),
                                    key_offset,
                                ));
                            }
                            ResolveResult::Bound(ns) => (self.intern(ns.into_inner()), local),
                            ResolveResult::Unbound => (NO_NAMESPACE, local),
                            ResolveResult::Unknown(prefix) => {
                                return Err(self.error(
                                    XmlErrorKind::Namespace,
                                    format!(
                                        "namespace prefix `{prefix}` of attribute `{key}` is not declared"
                                    ),
                                    key_offset,
                                ));
                            }
                        }
                    }
                }
            };
            if self.seen.insert(ns, local) {
                // Already seen in this tag.
                let message = if local.len() == key.len() {
                    format!("duplicate attribute in element `{qname}`")
                } else {
                    format!(
                        "attribute `{key}` of element `{qname}` duplicates another attribute with the same namespace and local name"
                    )
                };
                return Err(self.error(XmlErrorKind::DuplicateAttribute, message, key_offset));
            }
            if declaration {
                continue;
            }
            let local = self.push_str(local);
            self.attributes.push(AttributeData { ns, local, value });
        }
        Ok(())
    }

    /// Unescapes and normalizes an attribute value (XML 1.0 section 3.3.3) into the arena.
    fn attribute_value(&mut self, raw: &str, offset: usize, key: &str) -> Result<Span, XmlError> {
        let start = self.strings.len();
        let needs_work = raw.bytes().fold(false, |acc, b| {
            acc | matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r')
        });
        if !needs_work {
            return Ok(self.push_str(raw));
        }
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '<' => {
                    return Err(self.error(
                        XmlErrorKind::NotWellFormed,
                        format!("value of attribute `{key}` contains `<`"),
                        offset + i,
                    ));
                }
                '\r' => {
                    self.strings.push(' ');
                    if chars.peek().is_some_and(|&(_, next)| next == '\n') {
                        chars.next();
                    }
                }
                '\t' | '\n' => self.strings.push(' '),
                '&' => {
                    let rest = &raw[i + 1..];
                    let Some(end) = rest.find(';') else {
                        return Err(self.error(
                            XmlErrorKind::NotWellFormed,
                            format!(
                                "value of attribute `{key}` contains `&` that does not start a reference"
                            ),
                            offset + i,
                        ));
                    };
                    let name = &rest[..end];
                    match resolve_reference(name) {
                        Ok(resolved) => resolved.push_to(&mut self.strings),
                        Err(e) => {
                            let location = self.locate(offset + i);
                            return Err(reference_error(e, name, location));
                        }
                    }
                    // Skip the reference name and the `;`.
                    for _ in 0..name.chars().count() + 1 {
                        chars.next();
                    }
                }
                c => self.strings.push(c),
            }
        }
        Ok(span(start, self.strings.len()))
    }

    /// Appends the innermost element's deferred whitespace to its text.
    fn flush_deferred(&mut self) {
        let Some(frame) = self.stack.last() else {
            return;
        };
        let start = frame.deferred_start;
        let src = self.src;
        for &(at, len) in &self.deferred[start..] {
            push_normalized_eols(&mut self.text, &src[at as usize..(at + len) as usize]);
        }
        self.deferred.truncate(start);
    }

    fn close(&mut self, before: usize) -> Result<(), XmlError> {
        // quick-xml has already checked that the end tag matches the open element.
        let Some(frame) = self.stack.last() else {
            return Ok(());
        };
        if self.deferred.len() > frame.deferred_start {
            if frame.has_children && self.text.len() == frame.text_start {
                // Only whitespace between child elements: indentation, dropped below.
                self.deferred.truncate(frame.deferred_start);
            } else {
                self.flush_deferred();
                self.check_text_size(before)?;
            }
        }
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let end = u32::try_from(self.elements.len()).unwrap_or(u32::MAX);
        let text = &self.text[frame.text_start..];
        // Whitespace-only text between child elements is indentation.
        let indentation = frame.has_children && is_xml_whitespace(text);
        let keep = !text.is_empty() && !indentation;
        let text_span = if keep {
            let start = self.strings.len();
            self.strings.push_str(text);
            span(start, self.strings.len())
        } else {
            Span::default()
        };
        let element = &mut self.elements[frame.id as usize];
        element.end = end;
        element.text = text_span;
        self.text.truncate(frame.text_start);
        if self.stack.is_empty() {
            self.root_done = true;
        }
        Ok(())
    }

    fn text_event(&mut self, text: &str, before: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            if let Some(i) = text
                .bytes()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            {
                return Err(self.error(
                    XmlErrorKind::NotWellFormed,
                    "text outside the root element",
                    before + i,
                ));
            }
            return Ok(());
        }
        if text.len() <= DEFERRED_WHITESPACE_BYTES
            && is_xml_whitespace(text)
            && let Some(at) = self.offset_of(text)
        {
            // Offsets fit in u32 (checked before parsing).
            self.deferred.push((at as u32, text.len() as u32));
            return Ok(());
        }
        self.flush_deferred();
        // One branch-free (vectorized) pass decides whether the slower checks are needed.
        let (has_cr, has_gt) = text.bytes().fold((false, false), |(cr, gt), b| {
            (cr | (b == b'\r'), gt | (b == b'>'))
        });
        if let Some(i) = has_gt.then(|| text.find("]]>")).flatten() {
            return Err(self.error(
                XmlErrorKind::NotWellFormed,
                "`]]>` is not allowed in text",
                before + i,
            ));
        }
        if has_cr {
            push_normalized_eols(&mut self.text, text);
        } else {
            self.text.push_str(text);
        }
        self.check_text_size(before)
    }

    fn check_text_size(&mut self, before: usize) -> Result<(), XmlError> {
        let Some(frame) = self.stack.last() else {
            return Ok(());
        };
        if self.text.len() - frame.text_start <= self.limits.max_text_bytes {
            return Ok(());
        }
        let element = &self.elements[frame.id as usize];
        let start = element.prefix.start as usize;
        let name_end = (element.local.start + element.local.len) as usize;
        // Prefix and local name are adjacent in the arena; show them as written.
        let name = if element.prefix.len > 0 {
            format!(
                "{}:{}",
                &self.strings[start..start + element.prefix.len as usize],
                &self.strings[element.local.start as usize..name_end]
            )
        } else {
            self.strings[element.local.start as usize..name_end].to_owned()
        };
        let message = format!(
            "text of element `{name}` is larger than the limit of {} bytes",
            self.limits.max_text_bytes
        );
        Err(self.error(XmlErrorKind::TextTooLarge, message, before))
    }

    fn reference(&mut self, name: &str, before: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            return Err(self.error(
                XmlErrorKind::NotWellFormed,
                "reference outside the root element",
                before,
            ));
        }
        match resolve_reference(name) {
            Ok(resolved) => {
                self.flush_deferred();
                resolved.push_to(&mut self.text);
                self.check_text_size(before)
            }
            Err(e) => {
                let location = self.locate(before);
                Err(reference_error(e, name, location))
            }
        }
    }

    fn declaration(&mut self, decl: &BytesDecl<'_>, before: usize) -> Result<(), XmlError> {
        if before != 0 {
            return Err(self.error(
                XmlErrorKind::NotWellFormed,
                "the xml declaration is allowed only at the very start of the document",
                before,
            ));
        }
        match decl.version() {
            Ok(version) if version.starts_with("1.") => {}
            _ => {
                return Err(self.error(
                    XmlErrorKind::NotWellFormed,
                    "the xml declaration must start with version 1.x",
                    before,
                ));
            }
        }
        let encoding = match decl.encoding() {
            None => return Ok(()),
            Some(Ok(encoding)) => encoding,
            Some(Err(_)) => {
                return Err(self.error(
                    XmlErrorKind::NotWellFormed,
                    "malformed encoding in the xml declaration",
                    before,
                ));
            }
        };
        let accepted = match self.encoding {
            InputEncoding::Utf8 => encoding.eq_ignore_ascii_case("utf-8"),
            InputEncoding::Utf16 => ["utf-16", "utf-16le", "utf-16be"]
                .iter()
                .any(|e| encoding.eq_ignore_ascii_case(e)),
        };
        if accepted {
            return Ok(());
        }
        let shown = if encoding.len() <= 40
            && encoding
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        {
            format!("declared encoding `{encoding}` is not accepted")
        } else {
            "declared encoding is not accepted".to_owned()
        };
        let expected = match self.encoding {
            InputEncoding::Utf8 => "documents must be utf-8",
            InputEncoding::Utf16 => "the input is utf-16 (byte order mark)",
        };
        Err(self.error(
            XmlErrorKind::Encoding,
            format!("{shown}: {expected}"),
            before,
        ))
    }

    fn map_reader_error(&mut self, error: &QxError, at: usize) -> XmlError {
        let (kind, message): (XmlErrorKind, Cow<'static, str>) = match error {
            QxError::Syntax(syntax) => (
                XmlErrorKind::NotWellFormed,
                Cow::Borrowed(match syntax {
                    SyntaxError::InvalidBangMarkup => "unknown markup after `<!`",
                    SyntaxError::UnclosedPI => {
                        "processing instruction not closed before the end of the input"
                    }
                    SyntaxError::UnclosedXmlDecl => {
                        "xml declaration not closed before the end of the input"
                    }
                    SyntaxError::UnclosedComment => {
                        "comment not closed before the end of the input"
                    }
                    SyntaxError::UnclosedDoctype => {
                        "doctype not closed before the end of the input"
                    }
                    SyntaxError::UnclosedCData => {
                        "cdata section not closed before the end of the input"
                    }
                    SyntaxError::UnclosedTag => "tag not closed before the end of the input",
                    SyntaxError::UnclosedSingleQuotedAttributeValue
                    | SyntaxError::UnclosedDoubleQuotedAttributeValue => {
                        "attribute value not closed before the end of the input"
                    }
                }),
            ),
            QxError::IllFormed(ill) => (
                XmlErrorKind::NotWellFormed,
                match ill {
                    IllFormedError::MismatchedEndTag { expected, found } => Cow::Owned(format!(
                        "end tag `</{found}>` does not match the open element `{expected}`"
                    )),
                    IllFormedError::UnmatchedEndTag(found) => Cow::Owned(format!(
                        "end tag `</{found}>` does not match any open element"
                    )),
                    IllFormedError::MissingEndTag(name) => Cow::Owned(format!(
                        "element `{name}` is not closed before the end of the input"
                    )),
                    IllFormedError::DoubleHyphenInComment => {
                        Cow::Borrowed("`--` is not allowed inside a comment")
                    }
                    IllFormedError::UnclosedReference => {
                        Cow::Borrowed("`&` that does not start a reference ending with `;`")
                    }
                    IllFormedError::MissingDeclVersion(_) | IllFormedError::UnknownVersion => {
                        Cow::Borrowed("the xml declaration must start with version 1.x")
                    }
                    IllFormedError::MissingDoctypeName => Cow::Borrowed("doctype without a name"),
                },
            ),
            QxError::Namespace(ns) => match ns {
                NamespaceError::TooDeeplyNested(limit) => (
                    XmlErrorKind::TooDeep,
                    Cow::Owned(format!("elements are nested deeper than {limit} levels")),
                ),
                NamespaceError::TooManyBindings(limit) => (
                    XmlErrorKind::Namespace,
                    Cow::Owned(format!("more than {limit} namespace declarations in scope")),
                ),
                NamespaceError::UnknownPrefix(prefix) => (
                    XmlErrorKind::Namespace,
                    Cow::Owned(format!("namespace prefix `{prefix}` is not declared")),
                ),
                NamespaceError::InvalidXmlPrefixBind(_)
                | NamespaceError::InvalidXmlnsPrefixBind(_)
                | NamespaceError::InvalidPrefixForXml(_)
                | NamespaceError::InvalidPrefixForXmlns(_) => (
                    XmlErrorKind::Namespace,
                    Cow::Borrowed(
                        "invalid declaration of the reserved `xml` or `xmlns` prefix or namespace",
                    ),
                ),
            },
            QxError::InvalidAttr(_) => (
                XmlErrorKind::NotWellFormed,
                Cow::Borrowed("malformed attribute"),
            ),
            QxError::Encoding(_) => (
                XmlErrorKind::Encoding,
                Cow::Borrowed("invalid character encoding"),
            ),
            QxError::Escape(_) => (
                XmlErrorKind::NotWellFormed,
                Cow::Borrowed("malformed reference"),
            ),
            QxError::Io(_) => (
                XmlErrorKind::NotWellFormed,
                Cow::Borrowed("the input could not be read"),
            ),
        };
        self.error(kind, message, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HL7: &str = "urn:hl7-org:v3";
    const HL7FI: &str = "urn:hl7finland";

    fn examples_dir() -> std::path::PathBuf {
        std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/kanta-examples"
        ))
    }

    fn read_example(name: &str) -> Option<Vec<u8>> {
        let path = examples_dir().join(name);
        match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                eprintln!("skipping: example document {} is absent", path.display());
                None
            }
        }
    }

    fn ok(xml: &str) -> XmlDocument {
        parse(xml.as_bytes(), &XmlLimits::default()).expect("document parses")
    }

    fn err(xml: impl AsRef<[u8]>) -> XmlError {
        parse(xml.as_ref(), &XmlLimits::default()).expect_err("document is refused")
    }

    fn assert_err(xml: impl AsRef<[u8]>, kind: XmlErrorKind, line: u32, column: u32) -> XmlError {
        let e = err(xml);
        assert_eq!(e.kind, kind, "{e}");
        assert_eq!(e.location, Some(Location { line, column }), "{e}");
        assert!(!e.message.ends_with('.'), "{e}");
        assert!(
            e.message
                .starts_with(|c: char| c.is_lowercase() || c == '`'),
            "{e}"
        );
        e
    }

    #[test]
    fn every_element_gets_the_line_and_column_of_its_start_tag() {
        let xml = "<?xml version=\"1.0\"?>\r\n<a>\r\n  <b x=\"ä\"/><c>ää<d/></c>\n\n\t<!-- <x/> --><e>\r\n<f/></e><g/><h/></a>\n";
        // Expected from the text itself: each `<` that opens a start tag, by counting.
        let mut expected = Vec::new();
        let (mut line, mut column) = (1, 1);
        let mut in_comment = false;
        for (i, c) in xml.char_indices() {
            if xml[i..].starts_with("<!--") {
                in_comment = true;
            }
            if in_comment && xml[..i].ends_with("--") && c == '>' {
                in_comment = false;
            }
            let opens =
                c == '<' && !in_comment && xml[i + 1..].starts_with(|n: char| n.is_alphabetic());
            if opens {
                expected.push((line, column));
            }
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        let doc = ok(xml);
        let found: Vec<(u32, u32)> = doc.nodes().map(|n| (n.line(), n.column())).collect();
        assert_eq!(found, expected);
        assert_eq!(expected.len(), 8);
        assert_eq!(
            found[3],
            (3, 18),
            "after two-byte characters on the same line"
        );
    }

    #[test]
    fn whitespace_is_indentation_only_beside_children_and_no_other_text() {
        let text_of = |xml: &str| ok(xml).root().text().to_owned();
        assert_eq!(text_of("<a>\r\n  <b/>\r\n  <c/>\r\n</a>"), "");
        assert_eq!(text_of("<a>x<b/>\r\n</a>"), "x\n");
        assert_eq!(text_of("<a>\r\n<b/>x</a>"), "\nx");
        assert_eq!(text_of("<a> \r\n <b/> y <c/>\t</a>"), " \n  y \t");
        assert_eq!(text_of("<a>  </a>"), "  ");
        assert_eq!(text_of("<a> <!--c--> <?p?>\r</a>"), "  \n");
        assert_eq!(text_of("<a> <![CDATA[y]]> <b/> </a>"), " y  ");
        assert_eq!(text_of("<a> &amp; <b/>\n</a>"), " & \n");
        assert_eq!(
            text_of("<a> &#32; <b/>\n</a>"),
            "",
            "whitespace from a reference too"
        );
        let long = " ".repeat(200);
        assert_eq!(text_of(&format!("<a>{long}<b/>x</a>")), format!("{long}x"));
        let nested = ok("<a> <b> <c/> </b> z </a>");
        assert_eq!(nested.root().text(), "  z ");
        assert_eq!(nested.root().child_local("b").unwrap().text(), "");
    }

    #[test]
    fn qualified_names_follow_the_namespaces_grammar() {
        for name in [
            "a",
            "_a",
            "ep2:json",
            "x.y-z_1",
            "hl7fi:a.b",
            "ä",
            "p:ä",
            "é:x",
            "a·b",
        ] {
            assert!(is_qname(name), "{name}");
        }
        for name in [
            "", ":", "a:", ":a", "a:b:c", "1a", "-a", ".a", "p:1", "p:-", "a b", "a>", "a=",
            "\u{B7}a", "p:\u{B7}", "a::b",
        ] {
            assert!(!is_qname(name), "{name:?}");
        }
    }

    #[test]
    fn real_clinical_documents_parse() {
        for name in [
            "Asiakkuusasiakirja_S.xml",
            "asia_ja_rajoitukset_testi_S.xml",
        ] {
            let Some(bytes) = read_example(name) else {
                return;
            };
            let doc = parse(&bytes, &XmlLimits::default()).expect(name);
            let root = doc.root();
            assert_eq!(root.local(), "ClinicalDocument");
            assert_eq!(root.ns(), Some(HL7));
            assert_eq!((root.line(), root.column()), (1, 1));
            assert_eq!(
                root.attr_ns(
                    Some("http://www.w3.org/2001/XMLSchema-instance"),
                    "schemaLocation"
                )
                .map(|s| s.starts_with("urn:hl7-org:v3")),
                Some(true)
            );
            assert!(
                root.attr("xmlns").is_none(),
                "namespace declarations are not attributes"
            );
            assert!(root.text().is_empty(), "indentation is dropped");
            let realm = root.child(Some(HL7), "realmCode").expect("realmCode");
            assert_eq!(realm.attr("code"), Some("FI"));
            assert_eq!(realm.path(), "/ClinicalDocument/realmCode");
            let header = root
                .child(Some(HL7FI), "localSocialHeader")
                .expect("ep2:localSocialHeader");
            assert_eq!(header.prefix(), Some("ep2"));
            assert!(
                header.line() > 50 && header.line() < 120,
                "line {}",
                header.line()
            );
            assert_eq!(header.column(), 2, "one tab before the start tag");
            assert_eq!(header.path(), "/ClinicalDocument/ep2:localSocialHeader");
            assert!(root.child(Some(HL7), "localSocialHeader").is_none());
            let text = root
                .descendant(&["component", "nonXMLBody", "text"])
                .expect("nonXMLBody/text");
            assert_eq!(text.attr("representation"), Some("B64"));
            assert_eq!(text.path(), "/ClinicalDocument/component/nonXMLBody/text");
            assert!(text.text().trim().len() > 1000);
            assert!(!text.text().contains('\r'), "line ends are normalized");
            let json = text
                .parent()
                .and_then(|body| body.child(Some(HL7FI), "json"))
                .expect("ep2:json");
            assert!(json.line() > text.line());
            assert_eq!(root.descendants_named(Some(HL7FI), "json").count(), 1);
            let ids: Vec<_> = root.children_named(Some(HL7), "id").collect();
            assert_eq!(ids.len(), 1);
            // Lines are plausible: increasing in document order, within the file.
            let total_lines = bytes.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let mut previous = 0;
            for element in doc.nodes() {
                assert!(element.line() >= previous && element.line() <= total_lines);
                previous = element.line();
            }
        }
    }

    #[test]
    fn real_frames_parse() {
        for name in [
            "Asiakkuusasiakirja_K.xml",
            "asia_ja_rajoitukset_testi_K.xml",
        ] {
            let Some(bytes) = read_example(name) else {
                return;
            };
            let doc = parse(&bytes, &XmlLimits::default()).expect(name);
            let root = doc.root();
            assert_eq!(root.local(), "RCMR_IN200002FI01");
            assert_eq!(root.ns(), Some(HL7));
            let reasons: Vec<_> = root
                .descendant(&["controlActProcess"])
                .expect("controlActProcess")
                .children_named(Some(HL7), "reasonCode")
                .collect();
            assert!(reasons.len() >= 2);
            assert_eq!(
                reasons[1].path(),
                "/RCMR_IN200002FI01/controlActProcess/reasonCode[2]"
            );
            let document = root
                .descendant(&["controlActProcess", "subject", "clinicalDocument"])
                .expect("subject/clinicalDocument");
            assert!(document.child(Some(HL7), "setId").is_some());
        }
    }

    #[test]
    fn navigation_and_paths() {
        let doc =
            ok("<r xmlns='urn:a' xmlns:p='urn:p'><a/><b><c x='1'/></b><a p:y='2'>t</a><p:a/></r>");
        let root = doc.root();
        let names: Vec<_> = root
            .children()
            .map(|c| c.qualified_name().into_owned())
            .collect();
        assert_eq!(names, ["a", "b", "a", "p:a"]);
        let second_a = root.children_named(Some("urn:a"), "a").nth(1).unwrap();
        assert_eq!(second_a.path(), "/r/a[2]");
        assert_eq!(second_a.attr_ns(Some("urn:p"), "y"), Some("2"));
        assert_eq!(second_a.attr("y"), None);
        assert_eq!(second_a.text(), "t");
        let c = root.descendant(&["b", "c"]).unwrap();
        assert_eq!(c.path(), "/r/b/c");
        assert_eq!(c.attr("x"), Some("1"));
        assert_eq!(c.parent().unwrap().local(), "b");
        assert!(root.descendant(&["c"]).is_none(), "paths start at children");
        assert!(root.descendant(&["a", "c"]).is_none());
        assert_eq!(root.descendant(&[]), Some(root));
        let pa = root.child(Some("urn:p"), "a").unwrap();
        assert_eq!(pa.path(), "/r/p:a");
        assert_eq!(root.descendants().count(), 5);
        assert_eq!(doc.node(c.id()), c);
        assert_eq!(root.parent(), None);
    }

    #[test]
    fn text_keeps_spaces_around_references() {
        let doc = ok("<a>a &amp; b &lt;&gt;&quot;&apos; &#65;&#x42;<![CDATA[ <c> ]]></a>");
        assert_eq!(doc.root().text(), "a & b <>\"' AB <c> ");
    }

    #[test]
    fn mixed_content_and_line_ends() {
        let doc = ok("<a>x\r\ny<b/> z\r</a>");
        assert_eq!(doc.root().text(), "x\ny z\n");
        let doc = ok("<a>  <b/>\r\n  </a>");
        assert_eq!(
            doc.root().text(),
            "",
            "indentation between children is dropped"
        );
        let doc = ok("<a>  </a>");
        assert_eq!(doc.root().text(), "  ", "whitespace-only leaf text is kept");
    }

    #[test]
    fn attribute_values_are_unescaped_and_normalized() {
        let doc = ok("<a v='x &amp; y&#x9;z\r\nw\tq' e=''/>");
        assert_eq!(doc.root().attr("v"), Some("x & y\tz w q"));
        assert_eq!(doc.root().attr("e"), Some(""));
    }

    #[test]
    fn crlf_line_counting() {
        let doc = ok("<a>\r\n\t<b/>\r\n\r\n  <c/><d/></a>");
        let root = doc.root();
        let pos: Vec<_> = root.children().map(|c| (c.line(), c.column())).collect();
        assert_eq!(pos, [(2, 2), (4, 3), (4, 7)]);
        let e = assert_err("<a>\r\n\r\n  </b>", XmlErrorKind::NotWellFormed, 3, 3);
        assert!(e.message.contains("`a`"), "{e}");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let doc = ok("<a>ääää<b/></a>");
        let b = doc.root().child(None, "b").unwrap();
        assert_eq!((b.line(), b.column()), (1, 8));
    }

    #[test]
    fn declaration_and_bom() {
        let doc = ok("\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<a/>");
        assert_eq!(doc.root().line(), 2);
        let doc = ok("<?xml version='1.0' encoding='UTF-8' standalone='yes'?><?pi ignored?><a/>");
        assert_eq!(doc.root().local(), "a");
        assert_err(
            " <?xml version='1.0'?><a/>",
            XmlErrorKind::NotWellFormed,
            1,
            2,
        );
        assert_err(
            "<?xml encoding='utf-8'?><a/>",
            XmlErrorKind::NotWellFormed,
            1,
            1,
        );
    }

    #[test]
    fn other_declared_encodings_are_refused() {
        let e = assert_err(
            "<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
            XmlErrorKind::Encoding,
            1,
            1,
        );
        assert!(e.message.contains("ISO-8859-1"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_refused_with_offset() {
        let e = assert_err(b"<a>\n\xC3\x28</a>", XmlErrorKind::Encoding, 2, 1);
        assert!(e.message.contains("byte offset 4"), "{e}");
        let e = err(b"\xEF\xBB\xBF<a>\xFF</a>");
        assert!(e.message.contains("byte offset 6"), "{e}");
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = (if bom { Some(0xFEFF) } else { None })
            .into_iter()
            .chain(text.encode_utf16());
        for unit in units {
            out.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        for big_endian in [false, true] {
            let bytes = utf16(
                "<?xml version='1.0' encoding='UTF-16'?>\n<a x='ä'>ö</a>",
                big_endian,
                true,
            );
            let doc = parse(&bytes, &XmlLimits::default()).expect("utf-16 parses");
            assert_eq!(doc.root().attr("x"), Some("ä"));
            assert_eq!(doc.root().text(), "ö");
            assert_eq!(doc.root().line(), 2);
        }
        let bytes = utf16("<?xml version='1.0' encoding='UTF-8'?><a/>", false, true);
        assert_eq!(err(bytes).kind, XmlErrorKind::Encoding);
    }

    #[test]
    fn utf16_without_bom_is_refused() {
        for big_endian in [false, true] {
            let bytes = utf16("<?xml version='1.0'?><a/>", big_endian, false);
            let e = assert_err(bytes, XmlErrorKind::Encoding, 1, 1);
            assert!(e.message.contains("byte order mark"), "{e}");
        }
    }

    #[test]
    fn doctype_is_refused() {
        let e = assert_err(
            "<?xml version='1.0'?>\n<!DOCTYPE a SYSTEM 'a.dtd'>\n<a/>",
            XmlErrorKind::Doctype,
            2,
            1,
        );
        assert!(e.message.contains("not accepted"), "{e}");
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut xml =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
        for i in 1..10 {
            let previous = if i == 1 {
                "lol".to_owned()
            } else {
                format!("lol{}", i - 1)
            };
            let refs = format!("&{previous};").repeat(10);
            xml.push_str(&format!(" <!ENTITY lol{i} \"{refs}\">\n"));
        }
        xml.push_str("]>\n<lolz>&lol9;</lolz>\n");
        let start = std::time::Instant::now();
        assert_err(&xml, XmlErrorKind::Doctype, 2, 1);
        assert!(start.elapsed().as_secs() < 1);
    }

    #[test]
    fn exactly_one_root_element() {
        assert_err("<a/><b/>", XmlErrorKind::NotWellFormed, 1, 5);
        assert_err("<a></a>\n<a></a>", XmlErrorKind::NotWellFormed, 2, 1);
        assert_err("", XmlErrorKind::NotWellFormed, 1, 1);
        assert_err(
            "  \n <!-- only a comment -->",
            XmlErrorKind::NotWellFormed,
            2,
            25,
        );
    }

    #[test]
    fn text_outside_root_is_refused() {
        assert_err("hello", XmlErrorKind::NotWellFormed, 1, 1);
        assert_err("<a/>\n  x", XmlErrorKind::NotWellFormed, 2, 3);
        assert_err("  x<a/>", XmlErrorKind::NotWellFormed, 1, 3);
        assert_err("<a/>&amp;", XmlErrorKind::NotWellFormed, 1, 5);
        assert_err("<a/><![CDATA[x]]>", XmlErrorKind::NotWellFormed, 1, 5);
        ok("\r\n<a/>\r\n\t <!-- c --> <?pi x?>\r\n");
    }

    #[test]
    fn unclosed_elements_are_refused() {
        let e = assert_err("<a>\n  <b>\n", XmlErrorKind::NotWellFormed, 2, 3);
        assert!(e.message.contains("`b`"), "{e}");
        assert_err("<a><b></b>", XmlErrorKind::NotWellFormed, 1, 1);
        assert_err("<a>\n<b", XmlErrorKind::NotWellFormed, 2, 1);
    }

    #[test]
    fn mismatched_end_tag_is_refused() {
        let e = assert_err("<a>\n <b></c></a>", XmlErrorKind::NotWellFormed, 2, 5);
        assert!(
            e.message.contains("`b`") && e.message.contains("</c>"),
            "{e}"
        );
        assert_err("<a/></a>", XmlErrorKind::NotWellFormed, 1, 5);
    }

    #[test]
    fn undefined_entities_are_refused() {
        let e = assert_err("<a>\n x &nbsp; y</a>", XmlErrorKind::UndefinedEntity, 2, 4);
        assert!(e.message.contains("&nbsp;"), "{e}");
        assert_err("<a v='&foo;'/>", XmlErrorKind::UndefinedEntity, 1, 7);
        assert_err("<a>a & b</a>", XmlErrorKind::NotWellFormed, 1, 6);
        assert_err("<a v='a & b'/>", XmlErrorKind::NotWellFormed, 1, 9);
        assert_err("<a>&#xZZ;</a>", XmlErrorKind::NotWellFormed, 1, 4);
    }

    #[test]
    fn invalid_character_references_are_refused() {
        assert_err("<a>&#0;</a>", XmlErrorKind::InvalidCharacter, 1, 4);
        assert_err("<a>&#x1;</a>", XmlErrorKind::InvalidCharacter, 1, 4);
        assert_err("<a>&#xFFFE;</a>", XmlErrorKind::InvalidCharacter, 1, 4);
        assert_err("<a>&#xD800;</a>", XmlErrorKind::InvalidCharacter, 1, 4);
        assert_err(
            "<a>&#99999999999;</a>",
            XmlErrorKind::InvalidCharacter,
            1,
            4,
        );
        assert_err("<a v='&#1;'/>", XmlErrorKind::InvalidCharacter, 1, 7);
    }

    #[test]
    fn disallowed_characters_are_refused() {
        let e = assert_err("<a>\nx\0</a>", XmlErrorKind::InvalidCharacter, 2, 2);
        assert!(e.message.contains("U+0000"), "{e}");
        assert_err("<a v='\u{1}'/>", XmlErrorKind::InvalidCharacter, 1, 7);
        assert_err("<a>ä\u{FFFF}</a>", XmlErrorKind::InvalidCharacter, 1, 5);
        // Allowed neighbours of the forbidden ranges.
        ok("<a>\u{FFFD}\u{F000}\u{10000}\t</a>");
        // A forbidden character beyond the first chunk.
        let long = format!("<a>{}\u{1B}</a>", "x".repeat(200));
        assert_err(long, XmlErrorKind::InvalidCharacter, 1, 204);
    }

    #[test]
    fn duplicate_attributes_are_refused() {
        assert_err(
            "<a x='1'\n  x='2'/>",
            XmlErrorKind::DuplicateAttribute,
            2,
            3,
        );
        assert_err(
            "<a xmlns:p='urn:x' xmlns:q='urn:x' p:y='1' q:y='2'/>",
            XmlErrorKind::DuplicateAttribute,
            1,
            44,
        );
    }

    #[test]
    fn undeclared_prefixes_are_refused() {
        let e = assert_err("<a>\n  <p:b/></a>", XmlErrorKind::Namespace, 2, 3);
        assert!(e.message.contains("`p`"), "{e}");
        assert_err("<a p:x='1'/>", XmlErrorKind::Namespace, 1, 4);
        // A prefix declared on a sibling is out of scope.
        assert_err(
            "<a><b xmlns:p='urn:p'/><p:c/></a>",
            XmlErrorKind::Namespace,
            1,
            24,
        );
    }

    #[test]
    fn malformed_markup_is_refused() {
        assert_err("<a x=1/>", XmlErrorKind::NotWellFormed, 1, 6);
        assert_err("<1a/>", XmlErrorKind::NotWellFormed, 1, 2);
        assert_err("<a><!-- x -- y --></a>", XmlErrorKind::NotWellFormed, 1, 11);
        assert_err("<a v='<'/>", XmlErrorKind::NotWellFormed, 1, 7);
        assert_err("<a>]]></a>", XmlErrorKind::NotWellFormed, 1, 4);
        assert_err("<a>\n<!-- x", XmlErrorKind::NotWellFormed, 2, 1);
    }

    #[test]
    fn malformed_attributes_are_refused_where_they_go_wrong() {
        // No whitespace between two attributes.
        let e = assert_err("<a x='1'y='2'/>", XmlErrorKind::NotWellFormed, 1, 9);
        assert!(e.message.contains("whitespace"), "{e}");
        let e = assert_err("<a x y='2'/>", XmlErrorKind::NotWellFormed, 1, 6);
        assert!(e.message.contains("followed by `=`"), "{e}");
        let e = assert_err("<a\n x=/>", XmlErrorKind::NotWellFormed, 2, 4);
        assert!(e.message.contains("no value"), "{e}");
        let e = assert_err("<a\n x=1 />", XmlErrorKind::NotWellFormed, 2, 4);
        assert!(e.message.contains("not quoted"), "{e}");
        let e = assert_err("<a x = 'never closed/>", XmlErrorKind::NotWellFormed, 1, 1);
        assert!(e.message.contains("not closed"), "{e}");
        // Namespace declarations are attributes for the duplicate check.
        assert_err(
            "<a xmlns:p='urn:x' xmlns:p='urn:y'/>",
            XmlErrorKind::DuplicateAttribute,
            1,
            20,
        );
        // Past the linear scan's handful, the hashed check finds the same duplicate.
        let many: String = (0..40).map(|i| format!(" a{i}='1'")).collect();
        let xml = format!("<a{many} a7='2'/>");
        let column = u32::try_from(xml.len() - "a7='2'/>".len() + 1).unwrap();
        assert_err(&xml, XmlErrorKind::DuplicateAttribute, 1, column);
        let doc = ok(&format!("<a{many}/>"));
        assert_eq!(doc.root().attrs().len(), 40);
        assert_eq!(doc.root().attr("a39"), Some("1"));
    }

    #[test]
    fn messages_never_include_content() {
        let secret = "010190-999K";
        for xml in [
            format!("<a v='{secret}' v='{secret}'/>"),
            format!("<a>{secret}</b>"),
            format!("{secret}<a/>"),
            format!("<a>{secret}&{secret}x;</a>"),
            format!("<a>&Secret{secret};</a>"),
            "<a>&SecretName;</a>".to_owned(),
            format!("<?xml version='1.0' encoding='{secret} x'?><a/>"),
            format!("<a v='{secret}&#0;'/>"),
        ] {
            let e = err(&xml);
            assert!(!e.to_string().contains(secret), "{e}");
            assert!(!e.to_string().contains("Secret"), "{e}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_stack_overflow() {
        let depth = 100_000;
        let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        let e = assert_err(&xml, XmlErrorKind::TooDeep, 1, 256 * 3 + 1);
        assert!(e.message.contains("256"), "{e}");
        // Without our limit, quick-xml's own nesting counter stops it.
        let unlimited = XmlLimits {
            max_depth: usize::MAX,
            ..XmlLimits::default()
        };
        let e = parse(xml.as_bytes(), &unlimited).expect_err("too deep");
        assert_eq!(e.kind, XmlErrorKind::TooDeep);
    }

    #[test]
    fn deep_tree_builds_navigates_and_drops_iteratively() {
        let depth = 60_000;
        let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        let limits = XmlLimits {
            max_depth: depth,
            ..XmlLimits::default()
        };
        let doc = parse(xml.as_bytes(), &limits).expect("deep document parses");
        assert_eq!(doc.len(), depth);
        let deepest = doc.root().descendants().last().unwrap();
        assert_eq!(deepest.path().len(), depth * 2);
        drop(doc);
    }

    #[test]
    fn many_attributes_are_refused_fast() {
        let mut xml = String::from("<a");
        for i in 0..1_000_000 {
            xml.push_str(&format!(" a{i}='1'"));
        }
        xml.push_str("/>");
        let start = std::time::Instant::now();
        let e = assert_err(&xml, XmlErrorKind::TooManyAttributes, 1, 1);
        assert!(e.message.contains("256"), "{e}");
        assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
    }

    #[test]
    fn size_limits() {
        let small = XmlLimits {
            max_bytes: 10,
            ..XmlLimits::default()
        };
        let e = parse(b"<a>0123456789</a>", &small).expect_err("too large");
        assert_eq!(e.kind, XmlErrorKind::TooLarge);
        assert_eq!(e.location, None);
        let small_text = XmlLimits {
            max_text_bytes: 4,
            ..XmlLimits::default()
        };
        assert!(parse(b"<a>0123</a>", &small_text).is_ok());
        let e = parse(b"<a>01<b/>234</a>", &small_text).expect_err("text too large");
        assert_eq!(e.kind, XmlErrorKind::TextTooLarge);
    }

    #[test]
    fn error_display_includes_location() {
        let e = err("<a>\n</b>");
        assert_eq!(
            e.to_string(),
            "end tag `</b>` does not match the open element `a` at line 2, column 1"
        );
        assert_eq!(e.kind.rule_id(), "xml.not-well-formed");
        assert_eq!((e.line(), e.column()), (Some(2), Some(1)));
    }

    #[test]
    fn line_cursor_is_monotonic_and_resets() {
        let mut cursor = LineCursor::new("ab\ncd\r\nä\nx");
        assert_eq!(cursor.locate(4), Location { line: 2, column: 2 });
        assert_eq!(cursor.locate(9), Location { line: 3, column: 2 });
        assert_eq!(cursor.locate(1), Location { line: 1, column: 2 });
        assert_eq!(cursor.locate(100), Location { line: 4, column: 2 });
    }

    /// Timing probe: `cargo test --release --lib document::xml::tests::parse_speed -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing probe, run in release"]
    fn parse_speed() {
        let Some(bytes) = read_example("asia_ja_rajoitukset_testi_S.xml") else {
            return;
        };
        let limits = XmlLimits::default();
        let rounds = 2000;
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(parse(std::hint::black_box(&bytes), &limits).unwrap());
        }
        let per = start.elapsed() / rounds;
        eprintln!("{} bytes parsed in {per:?}", bytes.len());
        let b64 = doc_text(&bytes);
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(crate::document::base64::decode_strict(&b64, 1 << 25).unwrap());
        }
        eprintln!(
            "{} base64 chars decoded in {:?}",
            b64.len(),
            start.elapsed() / rounds
        );
    }

    fn doc_text(bytes: &[u8]) -> String {
        let doc = parse(bytes, &XmlLimits::default()).unwrap();
        doc.root()
            .descendant(&["component", "nonXMLBody", "text"])
            .unwrap()
            .text()
            .to_owned()
    }
}
