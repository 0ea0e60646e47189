//! The project's fixture documents (`fixtures/`) and the real Kanta example documents
//! (`../shared/kanta-examples`) through `Engine::check`.
//!
//! Each fixture `<name>.xml` or `<name>.json` (with its frame `<name>.frame.xml`, if any)
//! has `<name>.expected.json` beside it, written from the definitions and the public specifications: the
//! verdict, the exact set of ERROR rule ids, and where listed the exact set of WARNING rule
//! ids and the pointers of a rule's findings. `fixtures/generate.py` documents the format
//! and writes the files; this test needs only the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use rakenne::check::report::{Report, Severity};
use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;
use serde_json::Value;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Arc::new(Definitions::embedded().unwrap())))
}

use crate::common::fixtures::{Fixture, all as fixtures, dir as fixtures_dir, options_of};

fn strings(value: Option<&Value>) -> Option<BTreeSet<String>> {
    value.map(|v| {
        v.as_array()
            .expect("a list of strings")
            .iter()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect()
    })
}

fn rules(report: &Report, severity: Severity) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.rule.clone())
        .collect()
}

fn describe(report: &Report) -> String {
    report
        .findings
        .iter()
        .map(|f| {
            format!(
                "    {} {} pointer={:?} path={:?}: {}",
                f.severity.as_str(),
                f.rule,
                f.pointer,
                f.path,
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(fixture: &Fixture) -> Report {
    let document = std::fs::read(&fixture.document).unwrap();
    let frame = fixture.frame.as_ref().map(|p| std::fs::read(p).unwrap());
    engine()
        .check(&document, frame.as_deref(), &options_of(&fixture.expected))
        .unwrap_or_else(|e| panic!("fixture {}: request refused: {e}", fixture.name))
}

/// What differs between a report and its expectations, or nothing.
fn mismatches(fixture: &Fixture, report: &Report) -> Vec<String> {
    let expected = &fixture.expected;
    let mut out = Vec::new();
    let verdict = expected["verdict"].as_str().expect("verdict");
    if report.verdict.as_str() != verdict {
        out.push(format!(
            "verdict {} (expected {verdict})",
            report.verdict.as_str()
        ));
    }
    let errors = strings(expected.get("errors")).expect("errors");
    let got = rules(report, Severity::Error);
    if got != errors {
        out.push(format!("ERROR rules {got:?} (expected {errors:?})"));
    }
    if let Some(warnings) = strings(expected.get("warnings")) {
        let got = rules(report, Severity::Warning);
        if got != warnings {
            out.push(format!("WARNING rules {got:?} (expected {warnings:?})"));
        }
    }
    if let Some(at) = expected.get("at").and_then(Value::as_object) {
        for (rule, pointers) in at {
            let want = strings(Some(pointers)).unwrap();
            let got: BTreeSet<String> = report
                .findings
                .iter()
                .filter(|f| &f.rule == rule)
                .map(|f| f.pointer.clone().unwrap_or_else(|| "<none>".into()))
                .collect();
            if got != want {
                out.push(format!("{rule} at {got:?} (expected {want:?})"));
            }
        }
    }
    out
}

#[test]
fn every_fixture_gives_its_designed_verdict_and_findings() {
    let all = fixtures();
    assert!(all.len() >= 40, "only {} fixtures", all.len());
    let mut failures = Vec::new();
    for fixture in &all {
        let report = run(fixture);
        let problems = mismatches(fixture, &report);
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n  about: {}\n  findings:\n{}",
                fixture.name,
                problems.join("; "),
                fixture.expected["about"].as_str().unwrap_or(""),
                describe(&report)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ from their design:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// The fixture set covers what issue 3 asks: six or more structures across families,
/// every verdict, and every rule family among the designed findings.
#[test]
fn the_fixtures_cover_structures_verdicts_and_rule_families() {
    let mut structures = BTreeMap::new();
    let mut verdicts = BTreeSet::new();
    let mut families = BTreeSet::new();
    for fixture in fixtures() {
        verdicts.insert(fixture.expected["verdict"].as_str().unwrap().to_string());
        for rule in strings(fixture.expected.get("errors")).unwrap() {
            families.insert(rule.split('.').next().unwrap().to_string());
        }
        if fixture.expected["verdict"] == "FULLY_CONFORMANT" {
            let report = run(&fixture);
            let structure = report.structure.expect("tied to a structure");
            structures.insert(structure.oid, structure.family);
        }
    }
    assert!(structures.len() >= 6, "{structures:?}");
    let kinds: BTreeSet<&String> = structures.values().collect();
    for family in [
        "Asiakkuusasiakirja",
        "Suunnitelma",
        "Päätös",
        "Arvio",
        "Ilmoitus",
        "Hakemus",
        "Asiakaskertomusmerkintä",
    ] {
        assert!(
            kinds.contains(&family.to_string()),
            "no fully conformant {family}"
        );
    }
    for verdict in [
        "FULLY_CONFORMANT",
        "PARTLY_CONFORMANT",
        "OWN_TEMPLATE",
        "UNREADABLE",
    ] {
        assert!(verdicts.contains(verdict), "no {verdict} fixture");
    }
    for family in [
        "xml",
        "base64",
        "json",
        "header",
        "frame",
        "binding",
        "content",
        "identifier",
    ] {
        assert!(
            families.contains(family),
            "no fixture for rule family {family}."
        );
    }
}

/// The check character of a henkilötunnus (DVV: henkilötunnus check character).
fn hetu_check(digits: &str) -> char {
    const CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    CHECK[(digits.parse::<u64>().unwrap() % 31) as usize] as char
}

/// The text of a fixture file and, for XML, of every base64 block it carries.
fn texts(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut out = Vec::new();
    let block = regex::Regex::new(r"(?s)>\s*([A-Za-z0-9+/=\s]{16,})\s*<").unwrap();
    for capture in block.captures_iter(&text) {
        let compact: String = capture[1].split_whitespace().collect();
        if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(compact) {
            out.push(String::from_utf8_lossy(&decoded).into_owned());
        }
    }
    out.push(text);
    out
}

/// Every henkilötunnus in the fixtures is a test one (900-999) with the right check
/// character, except in the fixtures about a wrong one.
#[test]
fn every_fixture_hetu_is_a_test_hetu() {
    let shape = regex::Regex::new(r"\b(\d{6})[-+A-FU-Y](\d{3})([0-9A-Y])\b").unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.ends_with(".xml") || name.ends_with(".json")) || name.ends_with(".expected.json")
        {
            continue;
        }
        let about_wrong_check = name.contains("hetu-tarkiste");
        let about_not_test = name.contains("ei-testihetu");
        for text in texts(&path) {
            for capture in shape.captures_iter(&text) {
                seen += 1;
                let (date, number, check) = (&capture[1], &capture[2], &capture[3]);
                let right = hetu_check(&format!("{date}{number}"));
                assert!(
                    right.to_string() == check || about_wrong_check,
                    "{name}: a henkilötunnus with a wrong check character"
                );
                let individual: u32 = number.parse().unwrap();
                assert!(
                    (900..=999).contains(&individual) || about_not_test,
                    "{name}: a henkilötunnus outside the test range 900-999"
                );
            }
        }
    }
    assert!(
        seen > 50,
        "only {seen} henkilötunnus values found: is the scan broken?"
    );
}

/// The real Kanta example documents: both `*_S` contents are fully conformant to their
/// declared structures, with and without their `*_K` frames.
#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
fn the_real_kanta_examples_are_fully_conformant() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/kanta-examples"
    ));
    if !dir.is_dir() {
        eprintln!(
            "skipped: {} is absent (it is only beside the repository in development and CI)",
            dir.display()
        );
        return;
    }
    let cases = [
        ("Asiakkuusasiakirja", "1.2.246.537.6.1505.1.2023.6.1"),
        (
            "asia_ja_rajoitukset_testi",
            "1.2.246.537.6.1506.15007.2024.11.28",
        ),
    ];
    let mut failures = Vec::new();
    for (stem, oid) in cases {
        let document = std::fs::read(dir.join(format!("{stem}_S.xml"))).unwrap();
        let frame = std::fs::read(dir.join(format!("{stem}_K.xml"))).unwrap();
        for with_frame in [false, true] {
            let report = engine()
                .check(
                    &document,
                    with_frame.then_some(frame.as_slice()),
                    &CheckOptions::default(),
                )
                .unwrap();
            let chosen = report.structure.as_ref().map(|s| s.oid.as_str());
            if report.verdict.as_str() != "FULLY_CONFORMANT" || chosen != Some(oid) {
                failures.push(format!(
                    "{stem}_S.xml (frame: {with_frame}): {} against {chosen:?}\n{}",
                    report.verdict.as_str(),
                    describe(&report)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
