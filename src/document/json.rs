//! The structured content as JSON: parsed with limits, duplicate keys refused.
//!
//! Duplicate keys are refused rather than resolved: JSON (RFC 8259) leaves their meaning
//! open, and a checker that kept the last value could pass a document whose other reader
//! keeps the first.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Limits for content JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Maximum nesting of objects and arrays.
    pub max_depth: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        Self { max_depth: 64 }
    }
}

/// Why content JSON could not be read; the message names no value from the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at line {line} column {column}")]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonErrorKind {
    #[error("not valid JSON")]
    Syntax,
    #[error("not valid UTF-8")]
    Encoding,
    #[error("nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("duplicate key in an object")]
    DuplicateKey,
    #[error("number out of range")]
    Number,
}

impl JsonErrorKind {
    /// The finding rule id for this failure.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Syntax | Self::Number => "json.syntax",
            Self::Encoding => "json.encoding",
            Self::TooDeep(_) => "json.too-deep",
            Self::DuplicateKey => "json.duplicate-key",
        }
    }
}

/// Parses content JSON (a UTF-8 BOM is allowed) under the limits.
pub fn parse(bytes: &[u8], limits: &JsonLimits) -> Result<Value, JsonError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(error) = std::str::from_utf8(bytes) {
        let (line, column) = position(bytes, error.valid_up_to());
        return Err(JsonError {
            kind: JsonErrorKind::Encoding,
            line,
            column,
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    // Our seed counts depth itself; serde_json's own fixed cap (128) still stands above it
    // and is reported the same way.
    let seed = Seed {
        depth: 0,
        max: limits.max_depth,
    };
    let result = seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    result.map_err(|error| {
        let message = error.to_string();
        let kind = if message.starts_with(DUPLICATE) {
            JsonErrorKind::DuplicateKey
        } else if message.starts_with(TOO_DEEP) || message.starts_with("recursion limit") {
            JsonErrorKind::TooDeep(limits.max_depth)
        } else if message.starts_with("number out of range") {
            JsonErrorKind::Number
        } else {
            JsonErrorKind::Syntax
        };
        JsonError {
            kind,
            line: error.line() as u32,
            column: error.column() as u32,
        }
    })
}

const DUPLICATE: &str = "rakenne: duplicate key";
const TOO_DEEP: &str = "rakenne: too deep";

fn position(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line as u32, column as u32)
}

struct Seed {
    depth: usize,
    max: usize,
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= self.max {
            return Err(de::Error::custom(TOO_DEEP));
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Seed {
            depth: self.depth + 1,
            max: self.max,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.depth >= self.max {
            return Err(de::Error::custom(TOO_DEEP));
        }
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // Refused at the key, so the position points at the duplicate; one hash per key.
            let serde_json::map::Entry::Vacant(slot) = object.entry(key) else {
                return Err(de::Error::custom(DUPLICATE));
            };
            slot.insert(map.next_value_seed(Seed {
                depth: self.depth + 1,
                max: self.max,
            })?);
        }
        Ok(Value::Object(object))
    }
}

/// Parses text with the default limits.
pub fn from_str(text: &str) -> Result<Value, JsonError> {
    parse(text.as_bytes(), &JsonLimits::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_in_key_order() {
        let value = from_str("\u{feff}{\"b\": 1, \"a\": [true, null, 1.5, \"x\"]}").unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(value["a"][2], 1.5);
    }

    #[test]
    fn refuses_duplicate_keys_with_a_position() {
        let error = from_str("{\n  \"a\": 1,\n  \"a\": 2\n}").unwrap_err();
        assert_eq!(error.kind, JsonErrorKind::DuplicateKey);
        assert_eq!(error.line, 3);
    }

    #[test]
    fn refuses_deep_nesting_without_overflowing_the_stack() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let error = from_str(&deep).unwrap_err();
        assert_eq!(error.kind, JsonErrorKind::TooDeep(64));
        let limits = JsonLimits { max_depth: 3 };
        assert!(parse(b"[[[1]]]", &limits).is_ok());
        assert!(parse(b"[[[[1]]]]", &limits).is_err());
    }

    #[test]
    fn reports_syntax_and_encoding_errors_without_values() {
        let error = from_str("{\"salainen\": tosi}").unwrap_err();
        assert_eq!(error.kind, JsonErrorKind::Syntax);
        assert!(!error.to_string().contains("tosi"));
        let error = parse(b"{\"a\": \"\xff\"}", &JsonLimits::default()).unwrap_err();
        assert_eq!(error.kind, JsonErrorKind::Encoding);
        assert_eq!((error.line, error.column), (1, 8));
        assert!(from_str("{} {}").is_err());
    }

    #[test]
    fn huge_numbers_are_read_as_floats_or_refused() {
        let value = from_str("[1e308, 123456789012345678901234567890]").unwrap();
        assert!(value[0].is_f64() && value[1].is_f64());
        assert_eq!(from_str("[1e400]").unwrap_err().kind, JsonErrorKind::Number);
    }
}
