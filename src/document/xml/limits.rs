//! How much an untrusted document may ask of the parser.

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
