//! One language per report (issue 15, point 9): with `--lang fi`, `sv` or `en`, every
//! fixed word of the `validate` text and JUnit outputs and of the survey's table,
//! Markdown and HTML is in that language. Severity and verdict tokens (ERROR,
//! FULLY_CONFORMANT) and rule ids are codes and stay as they are.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

fn rakenne(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(common::bin()).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// The words of each language that must appear, and those of the others that must not.
struct Words {
    lang: &'static str,
    present: &'static [&'static str],
}

const TEXT: [Words; 3] = [
    Words {
        lang: "fi",
        present: &[
            "  kehys: ",
            "  rakenne: ",
            "(ilmoitettu)",
            "virhe",
            "varoitus",
        ],
    },
    Words {
        lang: "sv",
        present: &["  ram: ", "  struktur: ", "(angiven)", " fel, ", "varning"],
    },
    Words {
        lang: "en",
        present: &[
            "  frame: ",
            "  structure: ",
            "(declared)",
            " errors, ",
            "warning",
        ],
    },
];

fn others(lang: &str) -> Vec<&'static str> {
    TEXT.iter()
        .filter(|w| w.lang != lang)
        .flat_map(|w| w.present.iter().copied())
        .filter(|w| !["varning", "warning", "varoitus"].contains(w))
        .collect()
}

#[test]
fn the_validate_text_report_is_in_one_language() {
    // A document with its frame: the frame, structure and chosen-by labels.
    let document = fixture("lapsiperhe-suunnitelma-kehys-sp1.xml");
    let frame = fixture("lapsiperhe-suunnitelma-kehys-sp1.frame.xml");
    for words in &TEXT {
        let (code, out) = rakenne(&[
            "validate", &document, "--frame", &frame, "--lang", words.lang, "--colour", "never",
        ]);
        assert_eq!(code, Some(0), "{out}");
        for word in words.present {
            assert!(
                out.contains(word),
                "--lang {}: no {word:?} in\n{out}",
                words.lang
            );
        }
        for word in others(words.lang) {
            assert!(
                !out.contains(word),
                "--lang {}: {word:?} of another language in\n{out}",
                words.lang
            );
        }
        assert!(!out.contains("Declared"), "{out}");
    }
}

#[test]
fn the_nearest_structures_are_labelled_in_the_language() {
    let document = fixture("oma-pohja.json");
    for (lang, nearest, score) in [
        ("fi", "  lähin: ", " osuvuus "),
        ("sv", "  närmaste: ", " likhet "),
        ("en", "  nearest: ", " score "),
    ] {
        let (code, out) = rakenne(&["validate", &document, "--lang", lang]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains(nearest), "--lang {lang}: {out}");
        assert!(out.contains(score), "--lang {lang}: {out}");
    }
}

#[test]
fn the_junit_report_is_in_one_language() {
    let document = fixture("oma-pohja.json");
    for (lang, label, nearest, foreign) in [
        (
            "fi",
            "OWN_TEMPLATE (oma asiakirjapohja)",
            "lähin ",
            "nearest ",
        ),
        (
            "sv",
            "OWN_TEMPLATE (egen dokumentmall)",
            "närmaste ",
            "nearest ",
        ),
        ("en", "OWN_TEMPLATE (own template)", "nearest ", "lähin "),
    ] {
        let (_, out) = rakenne(&["validate", &document, "--lang", lang, "--output", "junit"]);
        assert!(out.contains(label), "--lang {lang}: {out}");
        assert!(out.contains(nearest), "--lang {lang}: {out}");
        assert!(!out.contains(foreign), "--lang {lang}: {out}");
    }
}

/// The JUnit line names an element once: content messages start with the name.
#[test]
fn the_junit_message_does_not_double_the_element_name() {
    let document = fixture("lastensuojeluilmoitus-pvm-muoto.json");
    let (_, out) = rakenne(&["validate", &document, "--output", "junit"]);
    let line = out
        .lines()
        .find(|l| l.contains("ERROR content."))
        .unwrap_or_else(|| panic!("no content ERROR in {out}"));
    // `... (Name): Name: message` is the doubled form.
    let doubled = regex::Regex::new(r"\(([^()]+)\): ([^:]+):").unwrap();
    if let Some(c) = doubled.captures(line) {
        assert_ne!(&c[1], &c[2], "{line}");
    }
}

#[test]
fn the_survey_table_markdown_and_html_are_in_one_language() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "oma-pohja.json",
        "toimeenpanopaatos-taysi.json",
        "json-rikki.json",
    ] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    let titles = [
        ("fi", "Asiakirjojen vastaavuus kansallisiin rakenteisiin"),
        (
            "sv",
            "Dokumentens överensstämmelse med de nationella strukturerna",
        ),
        ("en", "Conformance of documents to the national structures"),
    ];
    for (lang, title) in titles {
        for format in ["table", "md", "html"] {
            let (_, out) = rakenne(&[
                "survey",
                dir.path().to_str().unwrap(),
                "--lang",
                lang,
                "--format",
                format,
            ]);
            assert!(
                out.contains(title),
                "--lang {lang} --format {format}: {out}"
            );
            for (other, other_title) in titles {
                if other != lang {
                    assert!(
                        !out.contains(other_title),
                        "--lang {lang} --format {format}: {other_title}"
                    );
                }
            }
        }
    }
}
