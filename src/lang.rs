//! The languages names and messages are given in, and Sosmeta's two-language texts.
//!
//! At the bottom of the layers: the definitions name their elements with [`LangText`], and
//! every layer that writes a message picks its language with [`Lang`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A text in Finnish and Swedish, as Sosmeta gives names and notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LangText {
    pub fi: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sv: String,
}

impl LangText {
    /// Reads Sosmeta's `[{"lang": "fi", "value": ...}, ...]` form.
    pub fn from_sosmeta(value: &Value) -> Self {
        let mut text = Self::default();
        for entry in value.as_array().into_iter().flatten() {
            let Some(v) = entry.get("value").and_then(Value::as_str) else {
                continue;
            };
            match entry.get("lang").and_then(Value::as_str) {
                Some("fi") => text.fi = v.to_string(),
                Some("sv") => text.sv = v.to_string(),
                _ => {}
            }
        }
        text
    }

    /// The text in the language asked for, falling back to Finnish.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Sv if !self.sv.is_empty() => &self.sv,
            _ => &self.fi,
        }
    }
}

/// The languages names and messages are given in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Fi,
    Sv,
    En,
}
