//! The parsed tree: an arena of elements in document order with one string buffer, the
//! cheap `Node` handles that navigate it, and each element's source location and path.

use std::borrow::Cow;

use super::location::Location;
use crate::findings::XmlPlace;

/// A range of the document's string arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) len: u32,
}

/// The span of `start..end` of a string arena that fits in `u32` (checked on input).
#[inline]
pub(super) fn span(start: usize, end: usize) -> Span {
    Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        len: u32::try_from(end - start).unwrap_or(0),
    }
}

/// Namespace index of an element or attribute in no namespace.
pub(super) const NO_NAMESPACE: u32 = u32::MAX;
/// Namespace index under which namespace declarations are checked for duplicates.
pub(super) const DECLARATION: u32 = u32::MAX - 1;
/// Parent index of the root element.
pub(super) const NO_PARENT: u32 = u32::MAX;

/// One element in the arena; strings live in [`XmlDocument::strings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ElementData {
    pub(super) ns: u32,
    /// Empty when the name has no prefix.
    pub(super) prefix: Span,
    pub(super) local: Span,
    pub(super) text: Span,
    pub(super) attrs_start: u32,
    pub(super) attrs_len: u32,
    pub(super) line: u32,
    pub(super) column: u32,
    pub(super) parent: u32,
    /// One past the index of the last element of this subtree.
    pub(super) end: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AttributeData {
    pub(super) ns: u32,
    pub(super) local: Span,
    pub(super) value: Span,
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
pub struct NodeId(pub(super) u32);

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
    pub(super) elements: Vec<ElementData>,
    pub(super) attributes: Vec<AttributeData>,
    pub(super) strings: String,
    pub(super) namespaces: Vec<Box<str>>,
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
    pub(super) doc: &'a XmlDocument,
    pub(super) id: u32,
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
    pub(super) doc: &'a XmlDocument,
    pub(super) next: u32,
    pub(super) end: u32,
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
