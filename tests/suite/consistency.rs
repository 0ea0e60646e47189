//! Header, frame and classification rules of issue 15 on the real Kanta example
//! documents (`../shared/kanta-examples`; listed as ignored, with the reason, where they
//! are absent).
//! Each rule also has a project-written fixture in `fixtures/` (see `tests/suite/fixtures.rs`),
//! so a fresh clone tests it too.

use crate::common;

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use rakenne::check::report::{Report, Severity};
use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Arc::new(Definitions::embedded().unwrap())))
}

fn real(stem: &str, with_frame: bool) -> Report {
    let dir = common::shared_dir("kanta-examples");
    let document = std::fs::read(dir.join(format!("{stem}_S.xml"))).unwrap();
    let frame = std::fs::read(dir.join(format!("{stem}_K.xml"))).unwrap();
    engine()
        .check(
            &document,
            with_frame.then_some(frame.as_slice()),
            &CheckOptions::default(),
        )
        .unwrap()
}

fn rules(report: &Report, severity: Severity) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.rule.clone())
        .collect()
}

/// Both real documents stay FULLY_CONFORMANT; their only WARNINGs are the consistency
/// rules a vendor can act on, never a service-unit OID "not in the list".
#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
fn the_real_documents_are_conformant_with_actionable_warnings_only() {
    let expected: [(&str, &[&str], &[&str]); 2] = [
        (
            "Asiakkuusasiakirja",
            // syntymaaika 2011-01-01 against the henkilötunnus's 2011-01-20; a temporary
            // id in the shape of a henkilötunnus with a wrong check character.
            &["content.birth-date", "identifier.temporary-id-check"],
            &["content.birth-date", "identifier.temporary-id-check"],
        ),
        (
            "asia_ja_rajoitukset_testi",
            // encompassingEncounter/id with root and nullFlavor.
            &["header.null-flavor-value"],
            // With the frame: its effectiveTime differs, its controlActProcess/code has
            // no @code.
            &[
                "frame.act-code",
                "frame.effective-time",
                "header.null-flavor-value",
            ],
        ),
    ];
    for (stem, without_frame, with_frame) in expected {
        for (frame, want) in [(false, without_frame), (true, with_frame)] {
            let report = real(stem, frame);
            assert_eq!(
                report.verdict.as_str(),
                "FULLY_CONFORMANT",
                "{stem} (frame {frame}): {:?}",
                report.findings
            );
            let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                rules(&report, Severity::Warning),
                want,
                "{stem} (frame {frame}): {:?}",
                report.findings
            );
            assert!(
                report
                    .findings
                    .iter()
                    .all(|f| f.rule != "content.code-unlisted"),
                "{stem}: {:?}",
                report.findings
            );
        }
    }
}

/// Codes of classifications the catalog does not carry are said once per classification,
/// as INFO, naming it.
#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
fn the_real_documents_name_unchecked_classifications_once() {
    for stem in ["Asiakkuusasiakirja", "asia_ja_rajoitukset_testi"] {
        let report = real(stem, false);
        let unchecked: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.rule == "content.code-unchecked")
            .map(|f| f.message.as_str())
            .collect();
        let distinct: BTreeSet<&str> = unchecked.iter().copied().collect();
        assert_eq!(distinct.len(), unchecked.len(), "{unchecked:?}");
        for message in unchecked {
            assert!(message.contains("1.2.246."), "{message}");
        }
    }
}

/// Messages cite values masked: no henkilötunnus of the real documents in any message.
#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
fn the_new_findings_mask_personal_values() {
    let hetu = regex::Regex::new(r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b").unwrap();
    for stem in ["Asiakkuusasiakirja", "asia_ja_rajoitukset_testi"] {
        let report = real(stem, true);
        for f in &report.findings {
            assert!(!hetu.is_match(&f.message), "{}: {}", f.rule, f.message);
        }
    }
}
