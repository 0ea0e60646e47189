//! Input decoding: UTF-8, or UTF-16 with a byte order mark, into text the tokenizer reads.

use std::borrow::Cow;

use super::error::{XmlError, XmlErrorKind};
use super::location::{LineCursor, Location};

/// The character encoding the input was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputEncoding {
    Utf8,
    Utf16,
}

/// Turns the raw input into UTF-8 text: skips a UTF-8 byte order mark, decodes UTF-16
/// with a byte order mark, and refuses UTF-16 without one and invalid UTF-8.
pub(super) fn decode_input(bytes: &[u8]) -> Result<(Cow<'_, str>, InputEncoding), XmlError> {
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

pub(super) fn validate_utf8(bytes: &[u8], skipped: usize) -> Result<&str, XmlError> {
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

pub(super) fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, XmlError> {
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
