//! Kanta test sets keep a document as `<name>_S.xml` and its frame as `<name>_K.xml`:
//! `validate` and `survey` check them together when they walk a directory.

use crate::common;

use std::path::Path;
use std::process::Command;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

/// A directory with one paired document whose frame's setId is wrong, and one document
/// without a frame.
fn kanta_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("setid_S.xml"),
        fixture("asiakkuus-kehys-setid.xml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("setid_K.xml"),
        fixture("asiakkuus-kehys-setid.frame.xml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("yksin_S.xml"),
        fixture("asiakkuus-kehys-setid.xml"),
    )
    .unwrap();
    dir
}

#[test]
fn validate_pairs_frames_in_directories() {
    let dir = kanta_dir();
    let output = Command::new(common::bin())
        .args(["validate", "--output", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The frame is not a document of its own.
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let paired = &lines[0];
    assert!(paired["file"].as_str().unwrap().ends_with("setid_S.xml"));
    assert!(paired["frame"].as_str().unwrap().ends_with("setid_K.xml"));
    assert_eq!(paired["verdict"], "PARTLY_CONFORMANT");
    let rules: Vec<&str> = paired["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "ERROR")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["frame.set-id"]);
    let alone = &lines[1];
    assert!(alone["frame"].is_null());
    assert_eq!(alone["verdict"], "FULLY_CONFORMANT");
}

#[test]
fn a_file_named_on_the_command_line_is_a_document_even_if_it_looks_like_a_frame() {
    let dir = kanta_dir();
    let output = Command::new(common::bin())
        .args(["validate", "--output", "json"])
        .arg(dir.path().join("setid_K.xml"))
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["verdict"], "UNREADABLE");
    assert_eq!(line["findings"][0]["rule"], "xml.not-cda");
}

#[test]
fn survey_counts_a_paired_document_once() {
    let dir = kanta_dir();
    let output = Command::new(common::bin())
        .args(["survey", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["documents"], 2, "{summary:#}");
}
