//! Why a document is not well-formed XML, and where: the parser's error and location.
//!
//! Messages never quote document text or attribute values; names may appear.

use thiserror::Error;

use super::location::Location;

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

pub(super) fn location_suffix(location: Option<Location>) -> String {
    match location {
        Some(l) => format!(" at line {}, column {}", l.line, l.column),
        None => String::new(),
    }
}

impl XmlError {
    pub(super) fn new(
        kind: XmlErrorKind,
        message: impl Into<String>,
        location: Option<Location>,
    ) -> Self {
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
