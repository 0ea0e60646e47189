//! The definitions against the official structures in `../shared/sosmeta` (those tests are
//! ignored, saying so, where it is absent) and the CLI.

use crate::common;

use std::collections::BTreeMap;
use std::process::Command;

use rakenne::definitions::catalog::Catalog;
use rakenne::definitions::strip::strip;
use rakenne::definitions::{Definitions, DefinitionsOptions};

#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/sosmeta")]
fn every_official_structure_loads_and_compiles() {
    let dir = common::shared_dir("sosmeta");
    let catalog = Catalog::load_dir(&dir).unwrap();
    assert!(catalog.failures.is_empty(), "{:#?}", catalog.failures);
    assert_eq!(catalog.files, 202);
    assert_eq!(catalog.len(), 202);
    let failures = catalog.compile_all();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/sosmeta")]
fn the_embedded_catalog_equals_a_fresh_strip_of_the_official_files() {
    let dir = common::shared_dir("sosmeta");
    let official = Catalog::load_dir(&dir).unwrap();
    let fresh: BTreeMap<String, serde_json::Value> = official
        .iter()
        .map(|s| (format!("{}.json", s.oid()), strip(s)))
        .collect();
    let embedded: BTreeMap<String, serde_json::Value> = Catalog::embedded_sources()
        .iter()
        .map(|(name, text)| (name.to_string(), serde_json::from_str(text).unwrap()))
        .collect();
    let fresh_names: Vec<&String> = fresh.keys().collect();
    let embedded_names: Vec<&String> = embedded.keys().collect();
    assert_eq!(
        embedded_names, fresh_names,
        "run: cargo run -- definitions strip ../shared/sosmeta schemas/sosmeta"
    );
    for (name, value) in &fresh {
        assert!(
            embedded[name] == *value,
            "{name} differs from a fresh strip; run: cargo run -- definitions strip ../shared/sosmeta schemas/sosmeta"
        );
    }
}

#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/sosmeta")]
fn embedded_and_official_give_the_same_element_tables_and_rules() {
    let dir = common::shared_dir("sosmeta");
    let official = Catalog::load_dir(&dir).unwrap();
    let embedded = Catalog::embedded().unwrap();
    assert_eq!(embedded.len(), official.len());
    for structure in official.iter() {
        let twin = embedded.get(structure.oid()).unwrap();
        assert_eq!(twin.rules(), structure.rules(), "{}", structure.oid());
        assert_eq!(
            twin.text_only(),
            structure.text_only(),
            "{}",
            structure.oid()
        );
        let keys =
            |s: &rakenne::definitions::structure::Structure| -> Vec<(String, String, bool, bool)> {
                s.elements()
                    .iter()
                    .map(|e| {
                        (
                            e.pointer.clone(),
                            e.name.fi.clone(),
                            e.required,
                            e.repeatable,
                        )
                    })
                    .collect()
            };
        assert_eq!(keys(twin), keys(structure), "{}", structure.oid());
    }
}

#[test]
fn the_asiakkuusasiakirja_service_unit_rule_spans_two_levels() {
    // Sosmeta (Asiakkuusasiakirja): the service-unit rule pairs a top-level array with one nested under
    // sosiaalihuollon_palvelutehtava.
    let definitions = Definitions::load(&DefinitionsOptions::default()).unwrap();
    let structure = definitions
        .catalog
        .get("1.2.246.537.6.1505.1.2023.6.1")
        .unwrap();
    let rule = structure
        .rules()
        .iter()
        .find(|r| {
            r.members
                .iter()
                .any(|m| m.ends_with("palvelunjarjestajan_palveluyksikko"))
        })
        .expect("service unit rule");
    assert_eq!(rule.anchor, "/asiakkuusasiakirja");
    assert_eq!(rule.members.len(), 2);
    assert!(
        rule.members
            .iter()
            .any(|m| m.contains("/sosiaalihuollon_palvelutehtava/"))
    );
}

#[test]
fn specific_document_types_come_from_the_catalog() {
    let definitions = Definitions::embedded().unwrap();
    let check = definitions
        .classifications
        .check_code("urn:oid:1.2.246.537.6.1506.201701", "15007");
    assert!(check.is_known(), "{check:?}");
    let check = definitions
        .classifications
        .check_code("1.2.246.537.6.1506.201701", "15");
    assert!(check.is_known(), "{check:?}");
}

#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/sosmeta")]
fn cli_check_on_the_official_files_reports_count_time_and_memory() {
    let dir = common::shared_dir("sosmeta");
    let output = Command::new(common::bin())
        .args(["definitions", "check"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("structures: 202 of 202 files loaded and compiled"),
        "{stdout}"
    );
    assert!(stdout.contains("time: load"), "{stdout}");
    assert!(stdout.contains("peak memory:"), "{stdout}");
    assert!(
        stdout.contains("conditionally required elements: 605, with a machine rule: "),
        "{stdout}"
    );
}

#[test]
fn cli_check_fails_on_a_broken_file_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\"type\": ").unwrap();
    std::fs::write(dir.path().join("ok.json"), Catalog::embedded_sources()[0].1).unwrap();
    let output = Command::new(common::bin())
        .args(["definitions", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED") && stdout.contains("broken.json at /: not valid JSON"),
        "{stdout}"
    );
    assert!(stdout.contains("structures: 1 of 2 files"), "{stdout}");
}

#[test]
fn cli_check_on_a_missing_directory_is_an_error() {
    let output = Command::new(common::bin())
        .args(["definitions", "check", "/nonexistent/rakenne-definitions"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read definitions directory /nonexistent/rakenne-definitions"),
        "{stderr}"
    );
    // The operating system's reason is given once, not repeated by the error chain.
    assert_eq!(stderr.matches("(os error 2)").count(), 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn cli_list_filters_by_family_and_subject() {
    let output = Command::new(common::bin())
        .args([
            "definitions",
            "list",
            "--family",
            "Suunnitelma",
            "--subject",
            "Lastensuojelun",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("1.2.246"))
        .collect();
    assert!(!rows.is_empty(), "{stdout}");
    assert!(rows.iter().all(|r| r.contains("Suunnitelma")), "{stdout}");
    assert!(
        stdout.contains("Lastensuojelun asiakassuunnitelma"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with(&format!("{} structures", rows.len())),
        "{stdout}"
    );
}

#[test]
fn cli_show_prints_a_tree_in_finnish_and_swedish() {
    let fi = Command::new(common::bin())
        .args(["definitions", "show", "1.2.246.537.6.1505.1.2023.6.1"])
        .output()
        .unwrap();
    assert_eq!(fi.status.code(), Some(0));
    let fi = String::from_utf8_lossy(&fi.stdout);
    assert!(
        fi.starts_with("Asiakkuusasiakirja — 1.2.246.537.6.1505.1.2023.6.1"),
        "{fi}"
    );
    assert!(
        fi.contains("Henkilötunnus [0..1] Tunnus (conditionally required)"),
        "{fi}"
    );
    assert!(fi.contains("conditional rules:"), "{fi}");
    let sv = Command::new(common::bin())
        .args(["definitions", "show", "asiakkuusasiakirja", "--lang", "sv"])
        .output()
        .unwrap();
    let sv = String::from_utf8_lossy(&sv.stdout);
    assert!(sv.contains("Personbeteckning"), "{sv}");
    let missing = Command::new(common::bin())
        .args(["definitions", "show", "1.2.3"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
