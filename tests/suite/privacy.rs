//! No henkilötunnus or name from a document reaches a finding, a report's JSON or Debug.

use crate::common;

use common::test_hetu;
use std::sync::Arc;

use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;

fn engine() -> Engine {
    Engine::new(Arc::new(Definitions::embedded().unwrap()))
}

fn assert_clean(report: &rakenne::check::report::Report, secrets: &[&str]) {
    let json = serde_json::to_string(report).unwrap();
    let debug = format!("{report:?}");
    for secret in secrets {
        assert!(!json.contains(secret), "{secret} in report JSON: {json}");
        assert!(!debug.contains(secret), "{secret} in report Debug");
    }
}

#[test]
fn bad_and_good_hetus_and_names_stay_out_of_findings() {
    let good = test_hetu("010190", '-', 950);
    // Same digits, wrong check character: the message must not echo it either.
    let bad = format!("{}X", &good[..10]);
    let content = serde_json::json!({
        "asiakkuusasiakirja": {
            "asiakas": {
                "sukunimi": "Salaisuus",
                "etunimet": "Erittäin",
                "henkilotunnus": {"system": "1.2.246.21", "value": bad},
                "syntymaaika": "1990-02-30"
            }
        }
    });
    let options = CheckOptions {
        include_fields: true,
        test_environment: true,
        ..CheckOptions::default()
    };
    let report = engine()
        .check(content.to_string().as_bytes(), None, &options)
        .unwrap();
    assert!(report.findings.iter().any(|f| f.rule == "identifier.hetu"));
    assert_clean(&report, &[&bad, &good[..10], "Salaisuus", "Erittäin"]);
}

#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
fn real_documents_leak_no_hetu() {
    let dir = common::shared_dir("kanta-examples");
    let engine = engine();
    for name in ["Asiakkuusasiakirja", "asia_ja_rajoitukset_testi"] {
        let document = std::fs::read(dir.join(format!("{name}_S.xml"))).unwrap();
        let frame = std::fs::read(dir.join(format!("{name}_K.xml"))).unwrap();
        let text = String::from_utf8_lossy(&document).into_owned();
        // Every hetu-shaped value in the document is a secret here.
        let secrets: Vec<String> = text
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '+')
            .filter(|t| rakenne::identifiers::looks_like_hetu(t))
            .map(str::to_string)
            .collect();
        assert!(!secrets.is_empty());
        let options = CheckOptions {
            include_fields: true,
            test_environment: true,
            ..CheckOptions::default()
        };
        let report = engine.check(&document, Some(&frame), &options).unwrap();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        assert_clean(&report, &secrets);
    }
}
