//! Header, frame and binding rules on the real Kanta documents and on one-change
//! mutations of them.
//!
//! The documents are read from `../shared/kanta-examples` beside the repository; every
//! test skips (with a note on stderr) when it is absent.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use rakenne::check::binding::{BindingInput, check_bindings};
use rakenne::check::findings::Findings;
use rakenne::check::report::{Finding, Report, Severity};
use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::{Definitions, DefinitionsOptions, Lang};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/kanta-examples");
const ASIAKKUUS: &str = "Asiakkuusasiakirja";
const ASIA: &str = "asia_ja_rajoitukset_testi";

/// The text of `<name>_S.xml` and `<name>_K.xml`, or `None` (with a note) when the
/// examples are absent.
fn example(name: &str) -> Option<(String, String)> {
    let dir = std::path::Path::new(EXAMPLES);
    if !dir.is_dir() {
        eprintln!(
            "skipped: {EXAMPLES} is absent (it is only beside the repository in development and CI)"
        );
        return None;
    }
    let read = |suffix: &str| {
        std::fs::read_to_string(dir.join(format!("{name}_{suffix}.xml")))
            .unwrap_or_else(|e| panic!("cannot read {name}_{suffix}.xml: {e}"))
    };
    Some((read("S"), read("K")))
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Arc::new(Definitions::embedded().unwrap())))
}

/// Whether a finding comes from the header, frame or binding rules. Content findings of
/// the `identifier.` family carry a JSON pointer, header ones an XML path; the content
/// rule comparing the header's hetu with the content's is not ours either.
fn ours(f: &Finding) -> bool {
    if f.rule == "header.hetu-not-in-content" {
        return false;
    }
    f.rule.starts_with("header.")
        || f.rule.starts_with("frame.")
        || f.rule.starts_with("binding.")
        || (f.rule.starts_with("identifier.") && f.path.is_some())
}

fn check_with(document: &str, frame: Option<&str>, options: &CheckOptions) -> Report {
    let report = engine()
        .check(document.as_bytes(), frame.map(str::as_bytes), options)
        .expect("a report");
    assert_no_hetu_in(&report);
    report
}

fn check(document: &str, frame: Option<&str>) -> Report {
    check_with(document, frame, &CheckOptions::default())
}

/// The header, frame and binding findings as (rule, severity), printed.
fn our_findings(report: &Report) -> BTreeSet<(String, Severity)> {
    report
        .findings
        .iter()
        .filter(|f| ours(f))
        .inspect(|f| {
            println!(
                "{} {} {:?} line {:?}: {}",
                f.severity.as_str(),
                f.rule,
                f.path,
                f.line,
                f.message
            )
        })
        .map(|f| (f.rule.clone(), f.severity))
        .collect()
}

/// The one finding of `rule` among ours; fails unless it is the only new one.
fn only(report: &Report, rule: &str, severity: Severity) -> Finding {
    let found = our_findings(report);
    let expected: BTreeSet<_> = [(rule.to_string(), severity)].into();
    assert_eq!(found, expected, "expected exactly {rule}");
    let matching: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == rule).collect();
    assert_eq!(matching.len(), 1, "one {rule} finding");
    matching[0].clone()
}

/// `text` with the only occurrence of `from` replaced by `to`.
fn mutate(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replacen(from, to, 1)
}

/// The 1-based line where `needle` first occurs.
fn line_of(text: &str, needle: &str) -> u32 {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"));
    u32::try_from(text[..at].matches('\n').count() + 1).unwrap()
}

const HETU_CHARS: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// A henkilötunnus with a correct check character, built from its parts.
fn hetu(ddmmyy: &str, sign: char, individual: u32) -> String {
    let number: u64 = format!("{ddmmyy}{individual:03}").parse().unwrap();
    let check = HETU_CHARS[(number % 31) as usize] as char;
    format!("{ddmmyy}{sign}{individual:03}{check}")
}

/// The client's henkilötunnus as the document writes it (read, never written here).
fn record_target_hetu(document: &str) -> String {
    let marker = r#"<id root="1.2.246.21" extension=""#;
    let start = document.find(marker).expect("a recordTarget hetu") + marker.len();
    document[start..start + 11].to_string()
}

/// Every henkilötunnus in the example files, read from them.
fn example_hetus() -> Vec<String> {
    let mut all = Vec::new();
    for name in [ASIAKKUUS, ASIA] {
        let Some((document, frame)) = example(name) else {
            return all;
        };
        for text in [document, frame] {
            for part in text.split("extension=\"").skip(1) {
                let value = &part[..part.find('"').unwrap()];
                if value.len() == 11 && value.as_bytes()[..6].iter().all(u8::is_ascii_digit) {
                    all.push(value.to_string());
                }
            }
        }
    }
    all
}

/// No message of the report carries a henkilötunnus from the examples in full.
fn assert_no_hetu_in(report: &Report) {
    static HETUS: OnceLock<Vec<String>> = OnceLock::new();
    let hetus = HETUS.get_or_init(example_hetus);
    for f in &report.findings {
        for hetu in hetus {
            assert!(
                !f.message.contains(hetu.as_str()),
                "{} carries a henkilötunnus in full",
                f.rule
            );
        }
    }
}

#[test]
fn real_documents_have_no_header_frame_or_binding_findings() {
    for name in [ASIAKKUUS, ASIA] {
        let Some((document, frame)) = example(name) else {
            return;
        };
        for with_frame in [false, true] {
            println!("== {name}, frame: {with_frame}");
            let report = check(&document, with_frame.then_some(frame.as_str()));
            assert_eq!(our_findings(&report), BTreeSet::new(), "{name}");
            // Their hetus are test hetus (900-999): the test environment accepts them.
            let options = CheckOptions {
                test_environment: true,
                ..CheckOptions::default()
            };
            let report = check_with(&document, with_frame.then_some(frame.as_str()), &options);
            assert_eq!(
                our_findings(&report),
                BTreeSet::new(),
                "{name} in test mode"
            );
        }
    }
}

#[test]
fn real_documents_give_their_facts() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let report = check(&document, None);
    assert_eq!(report.document.service_task.as_deref(), Some("24"));
    // The phase lives in ep2:serviceProcess/ep2:code.
    assert_eq!(report.document.phase.as_deref(), Some("3"));
    assert_eq!(
        report.document.custodian.as_deref(),
        Some("1.2.246.10.2012566.10.40")
    );
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let report = check(&document, None);
    assert_eq!(report.document.service_task, None);
    assert_eq!(report.document.phase, None);
}

#[test]
fn missing_realm_code() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(&document, "<realmCode code=\"FI\"/>", "");
    let f = only(&check(&mutated, None), "header.missing", Severity::Error);
    assert_eq!(f.line, Some(1));
    assert_eq!(f.path.as_deref(), Some("/ClinicalDocument"));
}

#[test]
fn wrong_realm_code() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let mutated = mutate(
        &document,
        "<realmCode code=\"FI\"/>",
        "<realmCode code=\"SE\"/>",
    );
    let f = only(&check(&mutated, None), "header.value", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<realmCode")));
}

#[test]
fn wrong_type_id() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(&document, "POCD_HD000040", "POCD_HD000041");
    let f = only(&check(&mutated, None), "header.value", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<typeId")));
    assert_eq!(f.path.as_deref(), Some("/ClinicalDocument/typeId"));
}

#[test]
fn bad_hetu_check_character() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let real = record_target_hetu(&document);
    let good = hetu(&real[..6], 'A', 904);
    assert_eq!(real, good, "the example's hetu is what the parts give");
    let last = real.chars().last().unwrap();
    let wrong = if last == 'Y' { 'X' } else { 'Y' };
    let bad = format!("{}{wrong}", &real[..10]);
    let mutated = mutate(
        &document,
        &format!("extension=\"{real}\""),
        &format!("extension=\"{bad}\""),
    );
    let f = only(&check(&mutated, None), "identifier.hetu", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<id root=\"1.2.246.21\"")));
    assert!(f.message.contains("***********"));
    assert!(!f.message.contains(&bad));
}

#[test]
fn real_range_hetu_in_test_environment() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let real = record_target_hetu(&document);
    // Same birth date and sign, an individual number below 900, a correct check character.
    let not_test = hetu(&real[..6], real.chars().nth(6).unwrap(), 123);
    let mutated = mutate(
        &document,
        &format!("extension=\"{real}\""),
        &format!("extension=\"{not_test}\""),
    );
    // Outside the test environment the header accepts it.
    assert_eq!(our_findings(&check(&mutated, None)), BTreeSet::new());
    let options = CheckOptions {
        test_environment: true,
        ..CheckOptions::default()
    };
    let report = check_with(&mutated, None, &options);
    let f = only(&report, "identifier.hetu.not-test", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<id root=\"1.2.246.21\"")));
    assert!(
        report
            .findings
            .iter()
            .all(|f| !f.message.contains(&not_test))
    );
}

#[test]
fn document_group_5_on_asiakkuusasiakirja() {
    let Some((document, frame)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(
        &document,
        "<ep2:documentGroup code=\"1\"",
        "<ep2:documentGroup code=\"5\"",
    );
    let f = only(
        &check(&mutated, None),
        "header.document-group",
        Severity::Error,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:documentGroup")));
    // With the frame, its service request SP1 no longer fits the group either.
    let found = our_findings(&check(&mutated, Some(&frame)));
    let expected: BTreeSet<_> = [
        ("frame.reason-group".to_string(), Severity::Warning),
        ("header.document-group".to_string(), Severity::Error),
    ]
    .into();
    assert_eq!(found, expected);
}

#[test]
fn specific_document_type_mismatch() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    // 15002 is a known type code, but not the type of contentSpecificationId (15007).
    let mutated = mutate(
        &document,
        "<ep2:specificDocumentType code=\"15007\"",
        "<ep2:specificDocumentType code=\"15002\"",
    );
    let f = only(
        &check(&mutated, None),
        "header.specific-type",
        Severity::Error,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:specificDocumentType")));
}

#[test]
fn specific_document_type_required_for_document_types() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let start = document.find("<ep2:specificDocumentType").unwrap();
    let end = start + document[start..].find("/>").unwrap() + 2;
    let mutated = format!("{}{}", &document[..start], &document[end..]);
    let f = only(&check(&mutated, None), "header.missing", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:localSocialHeader")));
}

#[test]
fn null_general_type_on_a_document_type() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let start = document.find("<code code=\"15\"").unwrap();
    let end = start + document[start..].find("/>").unwrap() + 2;
    let mutated = format!(
        "{}<code nullFlavor=\"NA\"/>{}",
        &document[..start],
        &document[end..]
    );
    let f = only(&check(&mutated, None), "header.code-null", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<code nullFlavor")));
}

#[test]
fn wrong_code_system() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(
        &document,
        "codeSystem=\"1.2.246.537.6.1258.201601\"",
        "codeSystem=\"1.2.246.537.6.1259.201601\"",
    );
    let f = only(
        &check(&mutated, None),
        "header.code-system",
        Severity::Error,
    );
    assert_eq!(
        f.line,
        Some(line_of(&mutated, "<ep2:totalRetentionPeriodClass"))
    );
}

#[test]
fn code_not_in_an_incomplete_list_is_a_warning() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(
        &document,
        "<ep2:fileFormat code=\"2\"",
        "<ep2:fileFormat code=\"3\"",
    );
    let f = only(
        &check(&mutated, None),
        "header.code-unlisted",
        Severity::Warning,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:fileFormat")));
}

#[test]
fn malformed_oid() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(
        &document,
        "<ep2:encompassingClientRelationship root=\"1.2.246.10.32213561.",
        "<ep2:encompassingClientRelationship root=\"1.2.246.10.32213561..",
    );
    let f = only(&check(&mutated, None), "header.oid", Severity::Error);
    assert_eq!(
        f.line,
        Some(line_of(&mutated, "<ep2:encompassingClientRelationship"))
    );
}

#[test]
fn organisation_oid_with_a_bad_ytunnus() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    // The custodian's y-tunnus arc (0201256-6 as 2012566) with its check digit changed.
    let at = document.find("<representedCustodianOrganization>").unwrap();
    let (before, after) = document.split_at(at);
    let after = after.replacen("1.2.246.10.2012566.10.40", "1.2.246.10.2012567.10.40", 1);
    let mutated = format!("{before}{after}");
    let f = only(
        &check(&mutated, None),
        "header.oid-ytunnus",
        Severity::Warning,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "1.2.246.10.2012567")));
}

#[test]
fn impossible_and_imprecise_timestamps() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(
        &document,
        "<effectiveTime value=\"20260717130652+0300\"/>",
        "<effectiveTime value=\"20260230130652+0300\"/>",
    );
    let f = only(&check(&mutated, None), "header.timestamp", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<effectiveTime value")));

    let mutated = mutate(
        &document,
        "<ep2:creationTime value=\"20260717130652+0300\"/>",
        "<ep2:creationTime value=\"202607171306\"/>",
    );
    let f = only(
        &check(&mutated, None),
        "header.timestamp-precision",
        Severity::Warning,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:creationTime")));
}

#[test]
fn missing_local_header_child() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let start = document.find("<ep2:recordStatus").unwrap();
    let end = start + document[start..].find("/>").unwrap() + 2;
    let mutated = format!("{}{}", &document[..start], &document[end..]);
    let f = only(&check(&mutated, None), "header.missing", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:localSocialHeader")));
    assert!(f.message.contains("ep2:recordStatus"));
}

#[test]
fn software_support_attribute_missing() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let mutated = mutate(&document, " product=\"Apotti\"", "");
    let f = only(&check(&mutated, None), "header.missing", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:softwareSupport")));
}

#[test]
fn body_id_must_follow_the_document_id() {
    let Some((document, _)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(
        &document,
        "<nonXMLBody ID=\"OID1.2.246.10.32213561.95777.2026.688883.2809773\"",
        "<nonXMLBody ID=\"OID1.2.246.10.32213561.95777.2026.688883.2809774\"",
    );
    let f = only(&check(&mutated, None), "header.body-id", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<nonXMLBody")));
}

#[test]
fn minor_without_consent() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let start = document.find("<authorization>").unwrap();
    let end = document.find("</authorization>").unwrap() + "</authorization>".len();
    let mutated = format!("{}{}", &document[..start], &document[end..]);
    let f = only(
        &check(&mutated, None),
        "header.consent-missing",
        Severity::Warning,
    );
    assert_eq!(f.line, Some(1));
}

#[test]
fn frame_set_id_different() {
    let Some((document, frame)) = example(ASIAKKUUS) else {
        return;
    };
    let mutated = mutate(
        &frame,
        "<setId root=\"1.2.246.10.32213561.95777.2026.688883.2809773\"",
        "<setId root=\"1.2.246.10.32213561.95777.2026.688883.2809774\"",
    );
    let f = only(
        &check(&document, Some(&mutated)),
        "frame.set-id",
        Severity::Error,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "<setId")));
}

#[test]
fn frame_hetu_different() {
    let Some((document, frame)) = example(ASIA) else {
        return;
    };
    let real = record_target_hetu(&document);
    let other = hetu(&real[..6], real.chars().nth(6).unwrap(), 905);
    let mutated = mutate(
        &frame,
        &format!("extension=\"{real}\""),
        &format!("extension=\"{other}\""),
    );
    let report = check(&document, Some(&mutated));
    let f = only(&report, "frame.hetu", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, &other)));
    assert!(!f.message.contains(&real) && !f.message.contains(&other));
}

#[test]
fn frame_without_service_request() {
    let Some((document, frame)) = example(ASIA) else {
        return;
    };
    let start = frame.find("<reasonCode code=\"SP17\"").unwrap();
    let end = start + frame[start..].find("/>").unwrap() + 2;
    let mutated = format!("{}{}", &frame[..start], &frame[end..]);
    let f = only(
        &check(&document, Some(&mutated)),
        "frame.reason-code",
        Severity::Error,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "<controlActProcess")));
}

#[test]
fn frame_service_request_must_fit_the_group() {
    let Some((document, frame)) = example(ASIA) else {
        return;
    };
    let mutated = mutate(
        &frame,
        "<reasonCode code=\"SP17\"",
        "<reasonCode code=\"SP1\"",
    );
    let f = only(
        &check(&document, Some(&mutated)),
        "frame.reason-group",
        Severity::Warning,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "<reasonCode code=\"SP1\"")));
}

#[test]
fn service_task_not_allowed() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let mutated = mutate(
        &document,
        "<ep2:functionCode code=\"24\"",
        "<ep2:functionCode code=\"10\"",
    );
    let f = only(
        &check(&mutated, None),
        "binding.service-task",
        Severity::Error,
    );
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:functionCode")));
}

#[test]
fn unexpected_phase_is_a_hint() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let mutated = mutate(&document, "<ep2:code code=\"3\"", "<ep2:code code=\"5\"");
    let report = check(&mutated, None);
    let expected: BTreeSet<_> = [
        // 5 is not among the phases known here (an incomplete list) ...
        ("header.code-unlisted".to_string(), Severity::Warning),
        // ... and not the phase 3 the national hint expects of a Suunnitelma.
        ("binding.phase".to_string(), Severity::Warning),
    ]
    .into();
    assert_eq!(our_findings(&report), expected);
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == "binding.phase")
        .unwrap();
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:code code=\"5\"")));
}

/// The document without its ep2:serviceProcess.
fn without_service_process(document: &str) -> String {
    let start = document.find("<ep2:serviceProcess>").unwrap();
    let end = document.find("</ep2:serviceProcess>").unwrap() + "</ep2:serviceProcess>".len();
    format!("{}{}", &document[..start], &document[end..])
}

#[test]
fn missing_phase_under_a_hint_is_not_reported() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let mutated = without_service_process(&document);
    assert_eq!(our_findings(&check(&mutated, None)), BTreeSet::new());
}

#[test]
fn missing_phase_under_a_hard_rule() {
    let Some((document, _)) = example(ASIA) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("org.json");
    std::fs::write(
        &layer,
        r#"{"layer": "organisation", "organisation": "test",
            "structures": [{"structure": "15007", "phases": ["3"], "severity": "error"}]}"#,
    )
    .unwrap();
    let definitions = Definitions::load(&DefinitionsOptions {
        bindings: Some(layer),
        ..DefinitionsOptions::default()
    })
    .unwrap();
    let engine = Engine::new(Arc::new(definitions));
    let mutated = without_service_process(&document);
    let report = engine
        .check(mutated.as_bytes(), None, &CheckOptions::default())
        .unwrap();
    let f = only(&report, "binding.phase-missing", Severity::Error);
    assert_eq!(f.line, Some(line_of(&mutated, "<ep2:localSocialHeader")));

    let wrong = mutate(&document, "<ep2:code code=\"3\"", "<ep2:code code=\"5\"");
    let report = engine
        .check(wrong.as_bytes(), None, &CheckOptions::default())
        .unwrap();
    let expected: BTreeSet<_> = [
        ("header.code-unlisted".to_string(), Severity::Warning),
        ("binding.phase".to_string(), Severity::Error),
    ]
    .into();
    assert_eq!(our_findings(&report), expected);
}

#[test]
fn social_services_of_19008_follow_the_service_task() {
    let definitions = Definitions::embedded().unwrap();
    let structure = definitions
        .catalog
        .iter()
        .find(|s| s.type_code == "19008")
        .expect("structure 19008 in the catalog")
        .clone();
    let content = |task: &str, service: &str| {
        serde_json::json!({
            "merkinta_rajoitustoimenpiteesta": {
                "palvelutehtava": {"system": "urn:oid:1.2.246.537.6.1221.201601", "code": task, "display": "x"},
                "sosiaalipalvelu": {"system": "urn:oid:1.2.246.537.6.1222.201601", "code": service, "display": "y"}
            }
        })
    };
    let run = |value: &serde_json::Value, header_task: Option<&str>| {
        let mut out = Findings::new(Lang::En, 100);
        check_bindings(
            &definitions,
            &structure,
            &BindingInput {
                service_task: header_task,
                content: Some(value),
                ..BindingInput::default()
            },
            &mut out,
        );
        out.into_parts().0
    };
    // Task 10 allows 2, 24, 31; task 20 allows 24, 37, 55, 85, 93, 94.
    for (task, service) in [("10", "31"), ("20", "37"), ("20", "24"), ("24", "37")] {
        assert!(
            run(&content(task, service), None).is_empty(),
            "{task} {service}"
        );
    }
    let findings = run(&content("10", "37"), None);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule, "binding.social-service");
    assert_eq!(findings[0].severity, Severity::Error);
    assert_eq!(
        findings[0].pointer.as_deref(),
        Some("/merkinta_rajoitustoimenpiteesta/sosiaalipalvelu/code")
    );
    // Without a task in the content, the document's (header) task applies.
    let no_task = serde_json::json!({
        "merkinta_rajoitustoimenpiteesta": {
            "sosiaalipalvelu": {"system": "urn:oid:1.2.246.537.6.1222.201601", "code": "55", "display": "y"}
        }
    });
    assert!(run(&no_task, Some("20")).is_empty());
    assert_eq!(run(&no_task, Some("10")).len(), 1);
    assert!(run(&no_task, None).is_empty());
}
