//! Well-formedness at the character level: XML 1.0 characters, names and qualified names,
//! whitespace, end-of-line normalisation, and entity and character references.

use super::error::{XmlError, XmlErrorKind};
use super::location::Location;

/// The byte offset of the first character not allowed in XML 1.0 (C0 controls other than
/// tab, LF and CR; U+FFFE; U+FFFF). Surrogates cannot occur in a `str`.
#[inline]
pub(super) fn find_invalid_char(text: &str) -> Option<usize> {
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
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

pub(super) fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

pub(super) fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// ASCII name characters: 1 = may continue a name, 2 = may also start one.
pub(super) const ASCII_NAME: [u8; 128] = {
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
pub(super) fn is_ncname(name: &str) -> bool {
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
pub(super) const QNAME_BYTE: [u8; 256] = {
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
#[inline]
pub(super) fn is_qname(name: &str) -> bool {
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

pub(super) fn is_qname_slow(name: &str) -> bool {
    match memchr::memchr(b':', name.as_bytes()) {
        // `:` is ASCII, so both sides are on character boundaries.
        Some(colon) => is_ncname(&name[..colon]) && is_ncname(&name[colon + 1..]),
        None => is_ncname(name),
    }
}

/// Whether every byte is XML whitespace (space, tab, CR, LF).
#[inline]
pub(super) fn is_xml_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Appends `raw` to `out` with XML 1.0 line-end normalization (CRLF and CR become LF).
#[inline]
pub(super) fn push_normalized_eols(out: &mut String, raw: &str) {
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
pub(super) enum ReferenceError {
    Undefined,
    InvalidChar,
    Malformed,
}

/// Resolves the content of `&...;` (without `&` and `;`) to its replacement text.
#[inline]
pub(super) fn resolve_reference(name: &str) -> Result<ResolvedRef, ReferenceError> {
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

pub(super) enum ResolvedRef {
    Char(char),
    Str(&'static str),
}

impl ResolvedRef {
    pub(super) fn push_to(&self, out: &mut String) {
        match self {
            Self::Char(c) => out.push(*c),
            Self::Str(s) => out.push_str(s),
        }
    }
}

/// An entity name short and plain enough to show in a message (such as `nbsp`); anything
/// else (which could be misplaced content) is left out.
pub(super) fn displayable_entity(name: &str) -> Option<&str> {
    let plain = name.len() <= 8
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric());
    plain.then_some(name)
}

pub(super) fn reference_error(error: ReferenceError, name: &str, location: Location) -> XmlError {
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
