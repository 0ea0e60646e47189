//! Facts-only renditions of Sosmeta schemas, for the catalog embedded in the binary.
//!
//! THL's files are third-party material: the repository keeps only facts derived from
//! them. A stripped file keeps every JSON Schema keyword (keys, types, cardinalities,
//! patterns, enums) and, of the `sosmeta` annotations, the names, representation, flags,
//! classification and code facts; it drops descriptions, examples, implementation notes,
//! phrases and links. The conditional rules recognised from the notes are kept in machine
//! form under [`RULES_KEY`](super::rules::RULES_KEY).

use serde_json::{Map, Value};

use super::rules::RULES_KEY;
use super::structure::Structure;

/// Root annotation keys kept.
const ROOT_KEYS: &[&str] = &[
    "title",
    "status",
    "documentDefinitionVersion",
    "dataComponentLibraryVersion",
    "oid",
    "documentType",
    "documentAuthor",
    "documentSubject",
];

/// Element annotation keys kept: names and facts, no guidance text.
const ELEMENT_KEYS: &[&str] = &[
    "name",
    "title",
    "representation",
    "repeatable",
    "required",
    "conditionalRequired",
    "nationwideRecordedInformation",
    "hiddenField",
    "hiddenTitle",
    "rowNumber",
    "classification",
    "classificationOid",
    "systemUri",
    "acceptedValues",
    "valueSet",
];

/// The stripped rendition of a structure's schema, with its recognised rules.
pub fn strip(structure: &Structure) -> Value {
    let mut stripped = strip_value(&structure.schema(), true);
    if !structure.rules().is_empty()
        && let Some(sosmeta) = stripped.get_mut("sosmeta").and_then(Value::as_object_mut)
    {
        let rules = serde_json::to_value(structure.rules()).expect("rules serialise");
        sosmeta.insert(RULES_KEY.to_string(), rules);
    }
    stripped
}

fn strip_value(value: &Value, is_root: bool) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, child) in map {
                if key == "sosmeta" {
                    out.insert(key.clone(), strip_annotation(child, is_root));
                } else if key == "properties" {
                    // Property names are content keys, never annotations: keep them all.
                    let properties = child
                        .as_object()
                        .map(|props| {
                            props
                                .iter()
                                .map(|(k, v)| (k.clone(), strip_value(v, false)))
                                .collect()
                        })
                        .unwrap_or_default();
                    out.insert(key.clone(), Value::Object(properties));
                } else if key == "description" || key == "examples" || key == "$comment" {
                    continue;
                } else {
                    out.insert(key.clone(), strip_value(child, false));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| strip_value(v, false)).collect()),
        other => other.clone(),
    }
}

fn strip_annotation(value: &Value, is_root: bool) -> Value {
    let Some(map) = value.as_object() else {
        return Value::Null;
    };
    let keep = if is_root { ROOT_KEYS } else { ELEMENT_KEYS };
    Value::Object(
        map.iter()
            .filter(|(k, _)| keep.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_facts_and_drops_guidance() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "'Arvio' JSON schema",
            "type": "object",
            "description": "drop me",
            "sosmeta": {"oid": "1.2.246.537.6.1506.9999.2024.1.2", "documentType": "Arvio",
                        "documentDefinitionVersion": "2024-01-02", "status": "Valmis"},
            "required": ["arvio"],
            "properties": {"arvio": {
                "type": "object",
                "sosmeta": {"name": [{"lang": "fi", "value": "Arvio"}]},
                "required": ["description"],
                "properties": {
                    "description": {"type": "string", "minLength": 1, "pattern": "^x$", "enum": ["x"],
                        "sosmeta": {
                            "name": [{"lang": "fi", "value": "Kuvaus"}],
                            "description": [{"lang": "fi", "value": "Guidance sentence."}],
                            "example": [{"lang": "fi", "value": "Example."}],
                            "implementationNote": [{"lang": "fi", "value": "A note."}],
                            "phrase": [{"lang": "fi", "value": "x"}],
                            "classificationLink": [{"lang": "", "value": "https://example.invalid"}],
                            "required": true, "repeatable": false, "rowNumber": 3,
                            "classificationOid": "1.2.3"
                        }}
                }
            }}
        });
        let structure = Structure::from_schema(schema, "t").unwrap();
        let stripped = strip(&structure);
        let text = stripped.to_string();
        for gone in [
            "Guidance sentence",
            "Example.",
            "A note.",
            "drop me",
            "example.invalid",
        ] {
            assert!(!text.contains(gone), "{gone} kept");
        }
        let field = &stripped["properties"]["arvio"]["properties"]["description"];
        assert_eq!(field["pattern"], "^x$");
        assert_eq!(field["enum"], json!(["x"]));
        assert_eq!(field["minLength"], 1);
        assert_eq!(field["sosmeta"]["rowNumber"], 3);
        assert_eq!(field["sosmeta"]["classificationOid"], "1.2.3");
        assert_eq!(
            stripped["sosmeta"]["oid"],
            "1.2.246.537.6.1506.9999.2024.1.2"
        );
        // The stripped rendition reads back as the same structure.
        let again = Structure::from_schema(stripped, "t").unwrap();
        assert_eq!(again.elements().len(), structure.elements().len());
        assert_eq!(again.elements()[1].key, "description");
        assert!(again.elements()[1].implementation_note.is_none());
    }
}
