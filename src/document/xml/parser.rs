//! The tokenizer over `quick-xml` with namespace resolution and the structural
//! well-formedness checks (one root, every element closed, no DOCTYPE, no duplicate
//! attributes, declared prefixes, limits), building the tree in one iterative pass.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesDecl, BytesStart, Event};
use quick_xml::name::{NamespaceError, QName, ResolveResult};
use quick_xml::reader::NsReader;

use super::chars::{
    find_invalid_char, is_qname, is_xml_whitespace, push_normalized_eols, reference_error,
    resolve_reference,
};
use super::encoding::{InputEncoding, decode_input};
use super::error::{XmlError, XmlErrorKind};
use super::limits::XmlLimits;
use super::location::{LineCursor, Location};
use super::tree::{
    AttributeData, DECLARATION, ElementData, NO_NAMESPACE, NO_PARENT, NodeId, Span, XmlDocument,
    span,
};

/// The namespace bound to the reserved `xmlns` prefix (namespace declarations).
pub(super) const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

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

/// The (namespace, local name) pairs of one start tag's attributes, for the duplicate
/// check: a linear scan for the usual handful, a hash set beyond that (so a tag with many
/// attributes stays linear).
#[derive(Default)]
pub(super) struct SeenAttributes<'s> {
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
pub(super) struct Frame {
    id: u32,
    /// Where this element's text starts in the shared text buffer.
    text_start: usize,
    /// Where this element's deferred whitespace starts in [`Parser::deferred`].
    deferred_start: usize,
    has_children: bool,
}

/// Whitespace-only text of at most this many bytes is deferred (see [`Parser::deferred`]).
pub(super) const DEFERRED_WHITESPACE_BYTES: usize = 64;

pub(super) struct Parser<'s, 'l> {
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
    #[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
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
    #[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
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
