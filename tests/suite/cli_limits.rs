//! `validate` and `survey` take the same document limits as `serve`: a size limit that
//! refuses a document (exit 2, the others still checked), depth limits that make it
//! UNREADABLE, and a cap on the findings listed.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn rakenne(args: &[&str], paths: &[PathBuf]) -> Output {
    Command::new(common::bin())
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn a_document_over_the_size_limit_is_refused_and_the_others_checked() {
    let big = fixture("asiakkuus-taysi.xml");
    let small = fixture("json-rikki.json");
    let limit = std::fs::metadata(&small).unwrap().len() + 1;
    assert!(std::fs::metadata(&big).unwrap().len() > limit);
    let limit = limit.to_string();
    let output = rakenne(
        &[
            "validate",
            "--output",
            "json",
            "--max-document-bytes",
            &limit,
        ],
        &[big, small],
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("asiakkuus-taysi.xml"), "{stderr}");
    assert!(stderr.contains(&limit), "{stderr}");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("json-rikki.json")
    );

    let output = rakenne(
        &["validate", "--max-document-bytes", "0"],
        &[fixture("json-rikki.json")],
    );
    assert_eq!(output.status.code(), Some(2), "0 is not a size");
}

#[test]
fn depth_limits_make_a_document_unreadable() {
    let document = fixture("asiakkuus-taysi.xml");
    let output = rakenne(
        &["validate", "--output", "json", "--max-xml-depth", "3"],
        std::slice::from_ref(&document),
    );
    let lines = json_lines(&output);
    assert_eq!(lines[0]["verdict"], "UNREADABLE");
    assert_eq!(lines[0]["findings"][0]["rule"], "xml.too-deep");

    let output = rakenne(
        &["validate", "--output", "json", "--max-json-depth", "2"],
        &[document],
    );
    let lines = json_lines(&output);
    assert_eq!(lines[0]["verdict"], "UNREADABLE");
    assert_eq!(lines[0]["findings"][0]["rule"], "json.too-deep");
}

#[test]
fn findings_past_the_cap_are_counted_not_listed() {
    // The fixture has two findings: a malformed date and a missing first name.
    let output = rakenne(
        &["validate", "--output", "json", "--max-findings", "1"],
        &[fixture("lastensuojelu-suunnitelma-sisalto-virheet.xml")],
    );
    let lines = json_lines(&output);
    assert_eq!(lines[0]["findings"].as_array().unwrap().len(), 1);
    assert_eq!(lines[0]["findings_omitted"], 1);
}

#[test]
fn survey_takes_the_same_limits() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "asiakkuus-taysi.xml",
        "lapsiperhe-suunnitelma-aikaleima.xml",
    ] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    let output = rakenne(
        &["survey", "--format", "json", "--max-xml-depth", "3"],
        &[dir.path().to_path_buf()],
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["documents"], 2);
    assert_eq!(summary["totals"]["unreadable"], 2, "{summary}");
}
