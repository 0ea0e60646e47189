//! One row of a structure's element table and the types it is written in: what the rules,
//! the structure and the checks all read about an element.

use serde_json::Value;

use crate::findings::ElementRef;
use crate::lang::LangText;

/// The data type an element is written in (`sosmeta.representation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Representation {
    Koodi,
    Tunnus,
    Teksti,
    Nimi,
    Fraasi,
    Allekirjoitus,
    Pvm,
    Hetki,
    Kytkin,
    Numero,
    Lkm,
    Maara,
    Mitta,
    Prosentti,
    Otsikko,
    /// A representation this version of rakenne does not know; checked by the schema only.
    Other(String),
}

impl Representation {
    /// Parses the Finnish representation name used by Sosmeta.
    pub fn from_fi(name: &str) -> Self {
        match name {
            "Koodi" => Self::Koodi,
            "Tunnus" => Self::Tunnus,
            "Teksti" => Self::Teksti,
            "Nimi" => Self::Nimi,
            "Fraasi" => Self::Fraasi,
            "Allekirjoitus" => Self::Allekirjoitus,
            "Pvm" => Self::Pvm,
            "Hetki" => Self::Hetki,
            "Kytkin" => Self::Kytkin,
            "Numero" => Self::Numero,
            "Lkm" => Self::Lkm,
            "Määrä" => Self::Maara,
            "Mitta" => Self::Mitta,
            "Prosentti" => Self::Prosentti,
            "Otsikko" => Self::Otsikko,
            other => Self::Other(other.to_string()),
        }
    }

    /// The Finnish name, as Sosmeta writes it.
    pub fn as_fi(&self) -> &str {
        match self {
            Self::Koodi => "Koodi",
            Self::Tunnus => "Tunnus",
            Self::Teksti => "Teksti",
            Self::Nimi => "Nimi",
            Self::Fraasi => "Fraasi",
            Self::Allekirjoitus => "Allekirjoitus",
            Self::Pvm => "Pvm",
            Self::Hetki => "Hetki",
            Self::Kytkin => "Kytkin",
            Self::Numero => "Numero",
            Self::Lkm => "Lkm",
            Self::Maara => "Määrä",
            Self::Mitta => "Mitta",
            Self::Prosentti => "Prosentti",
            Self::Otsikko => "Otsikko",
            Self::Other(name) => name,
        }
    }
}

/// The JSON type the schema gives an element (for a repeatable element, its items' type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    Object,
    String,
    Boolean,
    Number,
    Integer,
    Null,
    Unspecified,
}

impl JsonType {
    pub(super) fn from_schema(value: Option<&Value>) -> Self {
        match value.and_then(Value::as_str) {
            Some("object") => Self::Object,
            Some("string") => Self::String,
            Some("boolean") => Self::Boolean,
            Some("number") => Self::Number,
            Some("integer") => Self::Integer,
            Some("null") => Self::Null,
            _ => Self::Unspecified,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Object => "object",
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Null => "null",
            Self::Unspecified => "any",
        }
    }
}

/// One row of a structure's element table.
#[derive(Debug, Clone)]
pub struct Element {
    /// The property key in the content JSON.
    pub key: String,
    /// Where the element stands in a content instance, as an RFC 6901 pointer in which `*`
    /// stands for any array index (e.g. `/root/asiakas/*/henkilotunnus`).
    pub pointer: String,
    /// Where the element is defined in the schema (RFC 6901 into the schema document).
    pub schema_location: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub depth: usize,
    pub name: LangText,
    /// The heading shown for the element where it differs from its name (a `kuvaus`
    /// titled "Lisätiedot"): implementation notes may name the element by it.
    pub title: Option<LangText>,
    pub representation: Option<Representation>,
    /// The schema type of one value (the items' type when repeatable).
    pub json_type: JsonType,
    /// Listed in the parent's `required`.
    pub required: bool,
    /// Written as an array in the content.
    pub repeatable: bool,
    /// Minimum number of values when repeatable.
    pub min_items: Option<u64>,
    pub conditional_required: bool,
    pub classification_oid: Option<String>,
    /// The classification's name as the definition writes it ("THL -
    /// SOTE-organisaatiorekisteri"), without the code server prefix and the OID.
    pub classification_name: Option<String>,
    pub system_uri: Option<String>,
    /// The values the schema allows (`enum`), as JSON.
    pub enum_values: Vec<Value>,
    /// The schema's `pattern` for a string value.
    pub pattern: Option<String>,
    pub min_length: Option<u64>,
    /// Free text from the official definition; absent in the embedded, stripped catalog.
    pub implementation_note: Option<LangText>,
    /// Position in THL's published table of the structure.
    pub row_number: Option<u64>,
    pub nationwide_recorded: bool,
}

/// A finding about an element names it as the definition does.
impl From<&Element> for ElementRef {
    fn from(element: &Element) -> Self {
        ElementRef {
            name: element.name.clone(),
            representation: element
                .representation
                .as_ref()
                .map(|r| r.as_fi().to_string()),
        }
    }
}

impl Element {
    /// True when the element's value is a henkilötunnus by the definition (not by the value).
    pub fn is_hetu(&self) -> bool {
        self.system_uri
            .as_deref()
            .is_some_and(|uri| uri.trim_start_matches("urn:oid:") == "1.2.246.21")
    }

    /// The cardinality in the usual `min..max` notation.
    pub fn cardinality(&self) -> String {
        let min = if self.required {
            self.min_items.unwrap_or(1).max(1)
        } else {
            0
        };
        let max = if self.repeatable { "*" } else { "1" };
        format!("{min}..{max}")
    }
}
