//! The project-written fixtures in `fixtures/`: each `<name>.expected.json` beside its
//! document (`<name>.xml` or `<name>.json`) and, optionally, its frame.

use std::path::PathBuf;

use rakenne::check::CheckOptions;
use serde_json::Value;

pub fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

/// One fixture: its document, frame and expectations.
pub struct Fixture {
    pub name: String,
    pub document: PathBuf,
    pub frame: Option<PathBuf>,
    pub expected: Value,
}

/// Every fixture, sorted by name.
pub fn all() -> Vec<Fixture> {
    let dir = dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".expected.json").map(str::to_string)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let candidates: Vec<PathBuf> = ["xml", "json"]
                .iter()
                .map(|ext| dir.join(format!("{name}.{ext}")))
                .filter(|p| p.is_file())
                .collect();
            assert_eq!(
                candidates.len(),
                1,
                "fixture {name}: exactly one of {name}.xml and {name}.json must exist"
            );
            let expected_text =
                std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap();
            let expected: Value = serde_json::from_str(&expected_text)
                .unwrap_or_else(|e| panic!("{name}.expected.json: {e}"));
            // The frame: `<name>.frame.xml`, or another fixture file named by the options.
            let frame = match expected.pointer("/options/frame").and_then(Value::as_str) {
                Some(file) => Some(dir.join(file)),
                None => Some(dir.join(format!("{name}.frame.xml"))).filter(|p| p.is_file()),
            };
            Fixture {
                document: candidates[0].clone(),
                frame,
                expected,
                name,
            }
        })
        .collect()
}

/// The check options a fixture's `options` give (structure, service task, phase, test
/// environment); any other option is a mistake in the fixture.
pub fn options_of(expected: &Value) -> CheckOptions {
    let mut options = CheckOptions::default();
    let Some(given) = expected.get("options") else {
        return options;
    };
    let text = |key: &str| given.get(key).and_then(Value::as_str).map(str::to_string);
    options.structure = text("structure");
    options.service_task = text("service_task");
    options.phase = text("phase");
    options.test_environment = given
        .get("test_environment")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    for key in given.as_object().unwrap().keys() {
        assert!(
            [
                "structure",
                "service_task",
                "phase",
                "test_environment",
                "frame"
            ]
            .contains(&key.as_str()),
            "unknown option {key}"
        );
    }
    options
}
