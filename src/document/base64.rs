//! Strict decoding of the base64 carried in CDA documents (`nonXMLBody/text` with
//! representation B64, and `ep2:json`).
//!
//! Only the standard alphabet is accepted, padding is required and must be canonical, and
//! ASCII whitespace (space, tab, CR, LF) may appear anywhere and is ignored. Errors give the
//! character offset of the first bad character in the input, never the content.

use std::cell::RefCell;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use thiserror::Error;

/// Scratch buffers retained between calls are trimmed back to this capacity.
const MAX_RETAINED_SCRATCH: usize = 4 * 1024 * 1024;

thread_local! {
    /// Reused buffer for input whose interior whitespace has to be stripped.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Why base64 content was refused. Offsets count characters from the start of the input
/// string (whitespace included).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Base64Error {
    /// The input is empty or only whitespace.
    #[error("base64 content is empty")]
    Empty,
    /// A character outside the standard base64 alphabet (URL-safe `-` and `_` included).
    #[error("invalid base64 character at offset {offset}")]
    InvalidCharacter {
        /// Character offset of the bad character.
        offset: usize,
    },
    /// Padding `=` followed by more base64 data.
    #[error("base64 padding at offset {offset} is not at the end")]
    MisplacedPadding {
        /// Character offset of the first `=`.
        offset: usize,
    },
    /// The number of base64 characters (whitespace excluded) is not a multiple of 4:
    /// padding is missing or the content is truncated.
    #[error(
        "base64 length is not a multiple of 4 (missing padding or truncated content) at offset {offset}"
    )]
    InvalidLength {
        /// Character offset just after the last base64 character.
        offset: usize,
    },
    /// More than two padding characters.
    #[error("too much base64 padding at offset {offset}")]
    InvalidPadding {
        /// Character offset of the first `=`.
        offset: usize,
    },
    /// The last character before the padding has non-zero unused bits (not the canonical
    /// encoding; usually corrupted or truncated content).
    #[error("non-canonical base64: unused bits of the character at offset {offset} are not zero")]
    NonCanonical {
        /// Character offset of the offending character.
        offset: usize,
    },
    /// The decoded content would exceed the size limit.
    #[error("decoded base64 content of {size} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// Decoded size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
}

impl Base64Error {
    /// The character offset of the first bad character, when the error has one.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            Self::InvalidCharacter { offset }
            | Self::MisplacedPadding { offset }
            | Self::InvalidLength { offset }
            | Self::InvalidPadding { offset }
            | Self::NonCanonical { offset } => Some(offset),
            Self::Empty | Self::TooLarge { .. } => None,
        }
    }
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alphabet(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The largest number of bytes `len` base64 characters can decode to.
fn decoded_upper_bound(len: usize) -> usize {
    len.div_ceil(4).saturating_mul(3)
}

/// The character offset of byte offset `byte` (a character boundary) in `s`.
fn char_offset(s: &str, byte: usize) -> usize {
    s.as_bytes()[..byte]
        .iter()
        .filter(|&&b| (b as i8) >= -0x40)
        .count()
}

/// Decodes `s` strictly (see the module documentation), refusing content that decodes to
/// more than `max_decoded` bytes.
pub fn decode_strict(s: &str, max_decoded: usize) -> Result<Vec<u8>, Base64Error> {
    let trimmed = s.trim_matches(|c: char| c.is_ascii() && is_whitespace(c as u8));
    if trimmed.is_empty() {
        return Err(Base64Error::Empty);
    }
    // Fast path: no interior whitespace (the usual case) and certainly within the limit,
    // decoded with SIMD. Its STANDARD engine refuses other alphabets, misplaced or
    // non-canonical padding and non-zero trailing bits, so success here is a strict
    // success (a test holds it to the careful path); any failure is explained by that path.
    if decoded_upper_bound(trimmed.len()) <= max_decoded
        && let Ok(decoded) = base64_simd::STANDARD.decode_to_vec(trimmed)
    {
        return Ok(decoded);
    }
    decode_careful(s, max_decoded)
}

/// Scans the whole input for precise errors, strips interior whitespace when present, then
/// decodes.
fn decode_careful(s: &str, max_decoded: usize) -> Result<Vec<u8>, Base64Error> {
    let bytes = s.as_bytes();
    let mut data = 0usize;
    let mut pads = 0usize;
    let mut first_pad = None;
    let mut interior_whitespace = false;
    let mut seen_data = false;
    let mut pending_whitespace = false;
    let mut end = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if is_whitespace(b) {
            pending_whitespace = seen_data;
            continue;
        }
        if pending_whitespace {
            interior_whitespace = true;
        }
        seen_data = true;
        end = i + 1;
        if is_alphabet(b) {
            if let Some(pad) = first_pad {
                return Err(Base64Error::MisplacedPadding {
                    offset: char_offset(s, pad),
                });
            }
            data += 1;
        } else if b == b'=' {
            pads += 1;
            first_pad.get_or_insert(i);
        } else {
            // Every earlier byte was ASCII, so `i` is the start of a character.
            return Err(Base64Error::InvalidCharacter {
                offset: char_offset(s, i),
            });
        }
    }
    if data + pads == 0 {
        return Err(Base64Error::Empty);
    }
    if pads > 2 || (pads > 0 && data.is_multiple_of(4)) {
        return Err(Base64Error::InvalidPadding {
            offset: char_offset(s, first_pad.unwrap_or(end)),
        });
    }
    if !(data + pads).is_multiple_of(4) {
        return Err(Base64Error::InvalidLength {
            offset: char_offset(s, end),
        });
    }
    let size = data / 4 * 3 + (data % 4).saturating_sub(1);
    if size > max_decoded {
        return Err(Base64Error::TooLarge {
            size,
            limit: max_decoded,
        });
    }
    if !interior_whitespace {
        let start = bytes.iter().position(|&b| !is_whitespace(b)).unwrap_or(0);
        return STANDARD
            .decode(&bytes[start..end])
            .map_err(|e| engine_error(s, &e, |k| start + k));
    }
    SCRATCH.with(|scratch| {
        let mut buffer = scratch.borrow_mut();
        buffer.clear();
        buffer.extend(bytes.iter().copied().filter(|&b| !is_whitespace(b)));
        let result = STANDARD
            .decode(buffer.as_slice())
            .map_err(|e| engine_error(s, &e, |k| original_index(bytes, k)));
        if buffer.capacity() > MAX_RETAINED_SCRATCH {
            *buffer = Vec::new();
        }
        result
    })
}

/// The byte offset in `bytes` of the `k`-th (0-based) non-whitespace byte.
fn original_index(bytes: &[u8], k: usize) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| !is_whitespace(**b))
        .nth(k)
        .map_or(bytes.len(), |(i, _)| i)
}

/// Maps an engine error (with offsets into the decoded-from slice) to a [`Base64Error`].
fn engine_error(
    s: &str,
    error: &base64::DecodeError,
    to_byte: impl Fn(usize) -> usize,
) -> Base64Error {
    match *error {
        base64::DecodeError::InvalidLastSymbol(k, _) => Base64Error::NonCanonical {
            offset: char_offset(s, to_byte(k)),
        },
        base64::DecodeError::InvalidByte(k, b'=') => Base64Error::MisplacedPadding {
            offset: char_offset(s, to_byte(k)),
        },
        base64::DecodeError::InvalidByte(k, _) => Base64Error::InvalidCharacter {
            offset: char_offset(s, to_byte(k)),
        },
        base64::DecodeError::InvalidLength(_) => Base64Error::InvalidLength {
            offset: s.trim_end().chars().count(),
        },
        base64::DecodeError::InvalidPadding => Base64Error::InvalidPadding {
            offset: s.trim_end().chars().count(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::xml::{self, XmlLimits};

    const LIMIT: usize = 1 << 20;

    fn decode(s: &str) -> Result<Vec<u8>, Base64Error> {
        decode_strict(s, LIMIT)
    }

    /// The SIMD fast path must accept nothing the strict engine refuses, and decode alike.
    #[test]
    fn the_fast_path_is_as_strict_as_the_careful_one() {
        let careful = |input: &[u8]| STANDARD.decode(input).ok();
        let fast = |input: &[u8]| base64_simd::STANDARD.decode_to_vec(input).ok();
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        // Every byte in every position of the last quantum, with and without padding.
        for b in 0..=255u8 {
            for template in [
                &b"QUJD\0\0\0\0"[..],
                b"QUJDQU\0=",
                b"QUJDQ\0==",
                b"QUJD\0UE=",
                b"QUJD\0Q==",
                b"QUJDQUJ\0",
                b"\0UJD",
            ] {
                for at in template
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c == 0)
                    .map(|(i, _)| i)
                {
                    let mut input = template.to_vec();
                    input[at] = b;
                    input
                        .iter_mut()
                        .for_each(|c| *c = if *c == 0 { b'A' } else { *c });
                    input[at] = b;
                    inputs.push(input);
                }
            }
        }
        // Pseudo-random strings over the alphabet, padding, the URL-safe pair and spaces.
        let symbols = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n";
        let mut state = 0x9E37_79B9_u32;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let len = (state % 70) as usize;
            let input: Vec<u8> = (0..len)
                .map(|i| {
                    let r = state.rotate_left(i as u32 * 7) ^ (i as u32).wrapping_mul(0x85EB_CA6B);
                    symbols[(r % symbols.len() as u32) as usize]
                })
                .collect();
            inputs.push(input);
        }
        let mut accepted = 0;
        for input in &inputs {
            let (fast, careful) = (fast(input), careful(input));
            if fast.is_some() {
                accepted += 1;
                assert_eq!(fast, careful, "{:?}", String::from_utf8_lossy(input));
            }
        }
        assert!(accepted > 100, "only {accepted} inputs were valid base64");
    }

    #[test]
    fn round_trips() {
        let mut state = 0x1234_5678_u32;
        for len in 0..200 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 24) as u8
                })
                .collect();
            let encoded = STANDARD.encode(&data);
            if len == 0 {
                assert_eq!(decode(&encoded), Err(Base64Error::Empty));
                continue;
            }
            assert_eq!(decode(&encoded).as_deref(), Ok(data.as_slice()));
            // Wrapped at 76 characters with CRLF and indentation, as in documents.
            let wrapped: String = encoded
                .as_bytes()
                .chunks(76)
                .map(|line| format!("\r\n\t\t{}", std::str::from_utf8(line).unwrap()))
                .collect::<String>()
                + "\r\n\t";
            assert_eq!(decode(&wrapped).as_deref(), Ok(data.as_slice()));
        }
    }

    #[test]
    fn whitespace_anywhere_is_ignored() {
        assert_eq!(decode(" Q U\tJ\rD\n ").unwrap(), b"ABC");
        assert_eq!(decode("QQ=\n=").unwrap(), b"A");
        assert_eq!(decode("\n\tQUI=\r\n").unwrap(), b"AB");
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(decode(""), Err(Base64Error::Empty));
        assert_eq!(decode(" \r\n\t"), Err(Base64Error::Empty));
    }

    #[test]
    fn other_alphabets_and_characters_are_refused() {
        assert_eq!(
            decode("ab-_"),
            Err(Base64Error::InvalidCharacter { offset: 2 })
        );
        assert_eq!(
            decode("  ab_c"),
            Err(Base64Error::InvalidCharacter { offset: 4 })
        );
        assert_eq!(
            decode("QUJD\n QU*D"),
            Err(Base64Error::InvalidCharacter { offset: 8 })
        );
        assert_eq!(
            decode("äQUJD"),
            Err(Base64Error::InvalidCharacter { offset: 0 })
        );
        assert_eq!(
            decode("QUJD\u{A0}"),
            Err(Base64Error::InvalidCharacter { offset: 4 })
        );
        assert_eq!(
            decode("QU\x0cJD"),
            Err(Base64Error::InvalidCharacter { offset: 2 })
        );
    }

    #[test]
    fn padding_is_required_and_at_the_end() {
        assert_eq!(decode("QQ"), Err(Base64Error::InvalidLength { offset: 2 }));
        assert_eq!(decode("QUI"), Err(Base64Error::InvalidLength { offset: 3 }));
        assert_eq!(
            decode("QQ=\n"),
            Err(Base64Error::InvalidLength { offset: 3 })
        );
        assert_eq!(
            decode("QUJDQ"),
            Err(Base64Error::InvalidLength { offset: 5 })
        );
        assert_eq!(
            decode("QQ==QQ=="),
            Err(Base64Error::MisplacedPadding { offset: 2 })
        );
        assert_eq!(
            decode("QQ=A"),
            Err(Base64Error::MisplacedPadding { offset: 2 })
        );
        assert_eq!(
            decode("Q==="),
            Err(Base64Error::InvalidPadding { offset: 1 })
        );
        assert_eq!(
            decode("===="),
            Err(Base64Error::InvalidPadding { offset: 0 })
        );
        assert_eq!(
            decode("QUJD===="),
            Err(Base64Error::InvalidPadding { offset: 4 })
        );
        assert_eq!(
            decode("QUJD=="),
            Err(Base64Error::InvalidPadding { offset: 4 })
        );
    }

    #[test]
    fn non_canonical_trailing_bits_are_refused() {
        // "QQ==" is canonical for "A"; "QR==" differs only in the unused bits.
        assert_eq!(decode("QR=="), Err(Base64Error::NonCanonical { offset: 1 }));
        assert_eq!(decode("QUJ="), Err(Base64Error::NonCanonical { offset: 2 }));
        assert_eq!(
            decode(" Q\nUJ="),
            Err(Base64Error::NonCanonical { offset: 4 })
        );
    }

    #[test]
    fn size_limit() {
        assert_eq!(decode_strict("QUJD", 3).unwrap(), b"ABC");
        assert_eq!(
            decode_strict("QUJD", 2),
            Err(Base64Error::TooLarge { size: 3, limit: 2 })
        );
        assert_eq!(decode_strict("QUI=", 2).unwrap(), b"AB");
        assert_eq!(decode_strict("Q U I =", 2).unwrap(), b"AB");
        assert_eq!(
            decode_strict("QUJDQQ==", 3),
            Err(Base64Error::TooLarge { size: 4, limit: 3 })
        );
    }

    #[test]
    fn messages_never_include_content() {
        for input in [
            "c2VjcmV0!",
            "c2VjcmV0c2VjcmV0=A==",
            "c2VjcmV0c2VjcmV0Q",
            "c2VjcmV0c2VjcmR=",
        ] {
            let e = decode(input).unwrap_err();
            let message = e.to_string();
            assert!(!message.contains("c2Vj"), "{message}");
            assert!(
                !message.ends_with('.') && message == message.to_lowercase(),
                "{message}"
            );
            assert!(e.offset().is_some());
        }
    }

    #[test]
    #[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
    fn real_document_payloads_decode() {
        let dir = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/kanta-examples"
        ));
        for name in [
            "Asiakkuusasiakirja_S.xml",
            "asia_ja_rajoitukset_testi_S.xml",
        ] {
            let path = dir.join(name);
            let Ok(bytes) = std::fs::read(&path) else {
                eprintln!("skipping: example document {} is absent", path.display());
                return;
            };
            let doc = xml::parse(&bytes, &XmlLimits::default()).expect(name);
            let body = doc
                .root()
                .descendant(&["component", "nonXMLBody"])
                .expect("nonXMLBody");
            let text = body.child(Some("urn:hl7-org:v3"), "text").expect("text");
            let xhtml = decode_strict(text.text(), 32 << 20).expect("text is strict base64");
            let xhtml = std::str::from_utf8(&xhtml).expect("xhtml is utf-8");
            assert!(xhtml.trim_start().starts_with('<'), "{name}");
            let json = body
                .child(Some("urn:hl7finland"), "json")
                .expect("ep2:json");
            let json = decode_strict(json.text(), 32 << 20).expect("json is strict base64");
            assert!(String::from_utf8_lossy(&json).trim_start().starts_with('{'));
            let value: serde_json::Value = serde_json::from_slice(&json).expect("valid json");
            let object = value.as_object().expect("json object");
            assert_eq!(object.len(), 1, "one root key");
        }
    }
}
