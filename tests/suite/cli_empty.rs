//! Empty and missing files (issue 15, point 8): an empty file is a document that cannot
//! be read (UNREADABLE, `xml.empty` or `json.empty` by its extension, exit 1); a path that
//! cannot be read is said on stderr, the other documents are still checked, and the exit
//! code is 2 at the end.

use crate::common;

use std::path::PathBuf;
use std::process::{Command, Output};

fn rakenne(args: &[&str]) -> Output {
    Command::new(common::bin()).args(args).output().unwrap()
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn an_empty_file_is_unreadable_with_exit_code_one() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, rule) in [
        ("empty.xml", &b""[..], "xml.empty"),
        ("blank.json", &b" \n\t"[..], "json.empty"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let output = rakenne(&["validate", path.to_str().unwrap(), "--output", "json"]);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["verdict"], "UNREADABLE");
        assert_eq!(report["findings"][0]["rule"], rule);
        assert_eq!(report["findings"][0]["severity"], "ERROR");
    }
}

#[test]
fn a_missing_path_is_reported_and_the_others_are_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let good = fixture("toimeenpanopaatos-taysi.json");
    let output = rakenne(&[
        "validate",
        missing.to_str().unwrap(),
        &good,
        "--service-task",
        "10",
        "--output",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing.json"), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let reports: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 1, "{stdout}");
    assert_eq!(reports[0]["verdict"], "FULLY_CONFORMANT");
}

#[test]
fn a_survey_counts_an_empty_file_as_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("toimeenpanopaatos-taysi.json"),
        dir.path().join("ok.json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.xml"), b"").unwrap();
    let output = rakenne(&[
        "survey",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--service-task",
        "10",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["documents"], 2, "{summary}");
    assert_eq!(summary["totals"]["unreadable"], 1, "{summary}");
    assert_eq!(summary["not_checked"], 0, "{summary}");
}
