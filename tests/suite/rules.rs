//! The rule catalogue (`src/catalogue.rs`) against what the engine emits.
//!
//! - every rule id a fixture emits is in the catalogue, and every catalogue entry is
//!   emitted by some fixture (run with the settings some rules need: full classification
//!   lists, an organisation layer, small limits), except the exemptions listed below with
//!   their reasons;
//! - an inferred rule is at most a WARNING, in the catalogue and in every report;
//! - an organisation layer re-grades rules visibly;
//! - `docs/RULES.md` is what `rakenne rules --output md` writes (regenerate with
//!   `cargo run -- rules --output md > docs/RULES.md`, or run this test with
//!   `RAKENNE_UPDATE_RULES_MD=1`);
//! - no output of the CLI over the fixtures names the project's internal notes;
//! - `rakenne rules` and the `ListRules` RPC.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rakenne::catalogue::{self, Authority, RULES};
use rakenne::check::report::{Report, Severity, Verdict};
use rakenne::check::{CheckOptions, Engine, Limits};
use rakenne::definitions::{Definitions, DefinitionsOptions};
use serde_json::Value;

/// Rules no committed file can trigger, each with the reason (none today: the rules that
/// need other definitions, full lists, an organisation layer or small limits are run with
/// those settings in [`emitted`]).
const EXEMPT: &[(&str, &str)] = &[];

/// A change made to one element's schema.
type Change = fn(&mut Value);

/// The Lastensuojeluilmoitus structure of the fixtures, changed by `change` and written
/// as the only file of a definitions directory (as `--definitions DIR` would load it).
fn changed_definitions(dir: &Path, name: &str, change: Change) -> PathBuf {
    const FILE: &str = "1.2.246.537.6.1506.4009.2023.4.28.json";
    let source = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/sosmeta")).join(FILE);
    let mut schema: Value = serde_json::from_slice(&std::fs::read(source).unwrap()).unwrap();
    change(&mut schema["properties"]["lastensuojeluilmoitus"]["properties"]["asiasisalto"]);
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(FILE), serde_json::to_vec(&schema).unwrap()).unwrap();
    out
}

use crate::common::fixtures::dir as fixtures_dir;

/// One fixture: document, frame and options, as `tests/suite/fixtures.rs` reads them.
struct Fixture {
    name: String,
    document: Vec<u8>,
    frame: Option<Vec<u8>>,
    options: CheckOptions,
}

fn fixtures() -> Vec<Fixture> {
    common::fixtures::all()
        .into_iter()
        .map(|f| Fixture {
            document: std::fs::read(&f.document).unwrap(),
            frame: f.frame.map(|frame| std::fs::read(frame).unwrap()),
            options: common::fixtures::options_of(&f.expected),
            name: f.name,
        })
        .collect()
}

fn check(engine: &Engine, fixture: &Fixture) -> Report {
    engine
        .check(
            &fixture.document,
            fixture.frame.as_deref(),
            &fixture.options,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", fixture.name))
}

fn rules_of(report: &Report) -> BTreeSet<(String, Severity)> {
    report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.severity))
        .collect()
}

/// Full classification lists made of codes the embedded lists already carry, marked
/// complete: a code outside them is then an ERROR (`*.code-unknown`).
fn full_lists(dir: &Path) -> PathBuf {
    let lists = dir.join("classifications");
    std::fs::create_dir_all(&lists).unwrap();
    let write = |file: &str, text: &str| std::fs::write(lists.join(file), text).unwrap();
    write(
        "1.2.246.537.6.1222.csv",
        "code;name_fi;name_sv\n2;Ammatillinen perhehoito;\n24;Laitospalvelu;\n31;Perhehoito;\n",
    );
    write(
        "1.2.246.537.6.1277.csv",
        "code;name_fi;name_sv\n3;Asiakkuuden suunnittelu;\n",
    );
    write(
        "1.2.246.537.6.1289.csv",
        "code;name_fi;name_sv\n1;Palvelunjärjestäjän rekisterin oma käyttö;\n",
    );
    lists
}

/// An organisation layer that makes the Suunnitelma's phase 3 a rule.
fn hard_phase_layer(dir: &Path) -> PathBuf {
    let path = dir.join("hard-phase.json");
    std::fs::write(
        &path,
        r#"{"layer": "organisation", "organisation": "testi",
            "families": [{"family": "Suunnitelma", "phases": ["3"], "severity": "error"}]}"#,
    )
    .unwrap();
    path
}

fn engine_with(options: DefinitionsOptions, limits: Limits) -> Engine {
    Engine::with_limits(Arc::new(Definitions::load(&options).unwrap()), limits)
}

/// Every rule each setting emits over every fixture, with the fixtures that emit it.
fn emitted() -> BTreeMap<String, BTreeSet<String>> {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = fixtures();
    let mut settings: Vec<(&str, Engine)> = vec![
        (
            "national",
            engine_with(DefinitionsOptions::default(), Limits::default()),
        ),
        (
            "full lists",
            engine_with(
                DefinitionsOptions {
                    classifications: Some(full_lists(dir.path())),
                    ..DefinitionsOptions::default()
                },
                Limits::default(),
            ),
        ),
        (
            "hard phase",
            engine_with(
                DefinitionsOptions {
                    bindings: Some(hard_phase_layer(dir.path())),
                    ..DefinitionsOptions::default()
                },
                Limits::default(),
            ),
        ),
    ];
    // A draft-07 keyword the national schemas do not use (content.schema), and a pattern
    // that is not a regular expression (content.schema-compile), in definitions loaded
    // from a directory.
    let changes: [(&str, &str, Change); 2] = [
        ("maxLength definitions", "max-length", |v| {
            v["maxLength"] = serde_json::json!(3)
        }),
        ("broken definitions", "broken", |v| {
            v["pattern"] = serde_json::json!("(")
        }),
    ];
    for (setting, name, change) in changes {
        settings.push((
            setting,
            engine_with(
                DefinitionsOptions {
                    structures: Some(changed_definitions(dir.path(), name, change)),
                    ..DefinitionsOptions::default()
                },
                Limits::default(),
            ),
        ));
    }
    let mut small = Limits::default();
    small.xml.max_bytes = 2048;
    settings.push((
        "xml.max_bytes 2048",
        engine_with(DefinitionsOptions::default(), small),
    ));
    let mut small = Limits::default();
    small.xml.max_text_bytes = 64;
    settings.push((
        "xml.max_text_bytes 64",
        engine_with(DefinitionsOptions::default(), small),
    ));
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (setting, engine) in &settings {
        for fixture in &fixtures {
            for (rule, _) in rules_of(&check(engine, fixture)) {
                found
                    .entry(rule)
                    .or_default()
                    .insert(format!("{} ({setting})", fixture.name));
            }
        }
    }
    // An empty file never reaches the engine (`Engine::check` refuses empty input as a
    // usage error); `validate` and `survey` report it as an UNREADABLE document.
    for (name, json) in [("empty.xml", false), ("empty.json", true)] {
        let report = rakenne::check::empty_report(json, rakenne::definitions::Lang::Fi);
        for (rule, _) in rules_of(&report) {
            found
                .entry(rule)
                .or_default()
                .insert(format!("{name} (the CLI's empty file)"));
        }
    }
    found
}

#[test]
fn every_emitted_rule_is_in_the_catalogue_and_every_entry_is_emitted() {
    let found = emitted();
    let unknown: Vec<&String> = found
        .keys()
        .filter(|id| catalogue::get(id).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "rules emitted but not in src/catalogue.rs: {unknown:?}"
    );
    for (id, reason) in EXEMPT {
        assert!(
            catalogue::get(id).is_some(),
            "exempt rule {id} not in the catalogue"
        );
        assert!(!reason.is_empty());
        assert!(
            !found.contains_key(*id),
            "{id} is exempt but emitted by {:?}: drop the exemption",
            found[*id]
        );
    }
    let never: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !found.contains_key(*id) && !EXEMPT.iter().any(|(e, _)| e == id))
        .collect();
    assert!(
        never.is_empty(),
        "catalogue rules no fixture emits (add a fixture in fixtures/generate.py's rule \
         catalogue section, or an exemption with its reason): {never:?}"
    );
}

#[test]
fn settings_give_the_rules_they_are_for() {
    // The settings of the two-way test each do what they are there for, on the fixture
    // made for it (so the test above cannot pass by accident).
    let found = emitted();
    for (rule, fixture) in [
        (
            "content.code-unknown",
            "rajoitusmerkinta-sosiaalipalvelu (full lists)",
        ),
        (
            "header.code-unknown",
            "lapsiperhe-suunnitelma-vaihe (full lists)",
        ),
        (
            "frame.code-unknown",
            "rules-frame-code-unlisted (full lists)",
        ),
        (
            "binding.phase-missing",
            "rules-binding-no-phase (hard phase)",
        ),
        (
            "content.schema",
            "lastensuojeluilmoitus-taysi (maxLength definitions)",
        ),
        (
            "content.schema-compile",
            "lastensuojeluilmoitus-taysi (broken definitions)",
        ),
        (
            "xml.too-large",
            "lapsiperhe-suunnitelma-taysi (xml.max_bytes 2048)",
        ),
        (
            "xml.text-too-large",
            "lapsiperhe-suunnitelma-taysi (xml.max_text_bytes 64)",
        ),
    ] {
        assert!(
            found.get(rule).is_some_and(|f| f.contains(fixture)),
            "{rule} not emitted by {fixture}: {:?}",
            found.get(rule)
        );
    }
    assert!(
        !found["binding.phase-missing"]
            .iter()
            .any(|f| f.contains("(national)"))
    );
}

#[test]
fn catalogue_entries_are_complete_and_unique() {
    let mut seen = BTreeSet::new();
    for rule in RULES {
        assert!(seen.insert(rule.id), "duplicate rule {}", rule.id);
        assert!(
            catalogue::FAMILIES.contains(&rule.family()),
            "{}: unknown family",
            rule.id
        );
        assert!(
            rule.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'),
            "{}: ids are lowercase with dots and hyphens",
            rule.id
        );
        for (what, text) in [
            ("checks", rule.checks),
            ("authority", rule.authority.source()),
            ("pass", rule.pass),
            ("fail", rule.fail),
        ] {
            assert!(!text.trim().is_empty(), "{}: empty {what}", rule.id);
            assert!(
                !text.contains("DOMAIN"),
                "{}: {what} names internal notes",
                rule.id
            );
        }
    }
}

#[test]
fn inferred_rules_are_at_most_warnings_in_the_catalogue_and_in_reports() {
    for rule in RULES {
        if rule.authority.is_inferred() {
            assert_ne!(rule.severity, Severity::Error, "{} is inferred", rule.id);
        }
    }
    let engine = Engine::new(Arc::new(Definitions::embedded().unwrap()));
    let mut inferred_seen = BTreeSet::new();
    for fixture in fixtures() {
        for finding in check(&engine, &fixture).findings {
            let rule = catalogue::get(&finding.rule).unwrap();
            if let Authority::Inferred(_) = rule.authority {
                assert_ne!(
                    finding.severity,
                    Severity::Error,
                    "{}: {} is inferred",
                    fixture.name,
                    finding.rule
                );
                inferred_seen.insert(finding.rule);
            }
        }
    }
    // The document-group pairing (an ERROR before issue 15) is among them.
    assert!(
        inferred_seen.contains("header.document-group"),
        "{inferred_seen:?}"
    );
}

#[test]
fn the_national_layer_cannot_make_an_inferred_phase_a_rule() {
    let text = r#"{"layer": "national",
        "families": [{"family": "Suunnitelma", "phases": ["3"], "severity": "error"}],
        "document_groups": [{"structure": "*", "group": "5"}]}"#;
    let err = rakenne::definitions::bindings::Bindings::national_from_json_str(text, "n.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("/families/0/severity"), "{err}");
}

fn fixture(name: &str) -> Fixture {
    fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

#[test]
fn an_organisation_layer_re_grades_rules_visibly() {
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("org.json");
    std::fs::write(
        &layer,
        r#"{"layer": "organisation", "organisation": "Testikunta",
            "severities": [
              {"rule": "header.oid-ytunnus", "severity": "error", "reason": "registry requires it"},
              {"rule": "content.code-unlisted", "severity": "info"},
              {"rule": "header.specific-type", "severity": "warning"}
            ]}"#,
    )
    .unwrap();
    let national = Engine::new(Arc::new(Definitions::embedded().unwrap()));
    let engine = engine_with(
        DefinitionsOptions {
            bindings: Some(layer),
            ..DefinitionsOptions::default()
        },
        Limits::default(),
    );
    let options = CheckOptions {
        lang: rakenne::definitions::Lang::En,
        ..CheckOptions::default()
    };
    let run = |engine: &Engine, name: &str| {
        let f = fixture(name);
        engine
            .check(&f.document, f.frame.as_deref(), &options)
            .unwrap()
    };

    // Raised: a WARNING becomes an ERROR, and the verdict follows.
    let before = run(&national, "asiakkuus-rekisterinpitaja-ytunnus");
    assert_eq!(before.verdict, Verdict::FullyConformant);
    let after = run(&engine, "asiakkuus-rekisterinpitaja-ytunnus");
    assert_eq!(after.verdict, Verdict::PartlyConformant);
    let raised = after
        .findings
        .iter()
        .find(|f| f.rule == "header.oid-ytunnus")
        .unwrap();
    assert_eq!(raised.severity, Severity::Error);
    assert!(
        raised.message.ends_with(
            "[severity WARNING → ERROR by the bindings layer of organisation Testikunta: \
             registry requires it]"
        ),
        "{}",
        raised.message
    );
    // Lowered: the unlisted-code warnings become INFO, saying so.
    for f in after
        .findings
        .iter()
        .filter(|f| f.rule == "content.code-unlisted")
    {
        assert_eq!(f.severity, Severity::Info);
        assert!(f.message.contains("WARNING → INFO"), "{}", f.message);
    }
    // An ERROR lowered is never silent: the message names the ERROR it was.
    let lowered = run(&engine, "lapsiperhe-suunnitelma-tarkennettu-tyyppi");
    assert_eq!(lowered.verdict, Verdict::FullyConformant);
    let f = lowered
        .findings
        .iter()
        .find(|f| f.rule == "header.specific-type")
        .unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("ERROR → WARNING"), "{}", f.message);
    assert!(f.message.contains("Testikunta"), "{}", f.message);
}

#[test]
fn a_layer_naming_an_unknown_rule_is_refused() {
    let err = rakenne::definitions::bindings::OrganisationLayer::from_json_str(
        r#"{"layer": "organisation", "organisation": "o",
            "severities": [{"rule": "content.no-such-rule", "severity": "info"}]}"#,
        "o.json",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("/severities/0/rule"), "{err}");
    assert!(err.contains("content.no-such-rule"), "{err}");
    let err = rakenne::definitions::bindings::Bindings::national_from_json_str(
        r#"{"layer": "national", "document_groups": [{"structure": "*", "group": "5"}],
            "severities": [{"rule": "content.required", "severity": "info"}]}"#,
        "n.json",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("/severities"), "{err}");
}

#[test]
fn docs_rules_md_is_generated_from_the_catalogue() {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/RULES.md"));
    let fresh = catalogue::markdown();
    if std::env::var_os("RAKENNE_UPDATE_RULES_MD").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/RULES.md is stale: run `cargo run -- rules --output md > docs/RULES.md` \
         (or this test with RAKENNE_UPDATE_RULES_MD=1)"
    );
    for rule in RULES {
        assert!(
            committed.contains(&format!("### {}\n", rule.id)),
            "{}",
            rule.id
        );
    }
}

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::bin()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn no_cli_output_over_the_fixtures_names_internal_notes() {
    let dir = fixtures_dir();
    let dir = dir.to_str().unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/bindings/example-organisation.json"
    );
    let runs: Vec<Vec<&str>> = vec![
        vec!["validate", dir, "--output", "json", "--lang", "en"],
        vec![
            "validate", dir, "--output", "text", "--lang", "fi", "--colour", "never",
        ],
        vec!["validate", dir, "--output", "junit", "--lang", "sv"],
        vec!["validate", dir, "--output", "json", "--bindings", example],
        vec!["survey", dir, "--format", "md"],
        vec!["rules"],
        vec!["rules", "--output", "json"],
        vec!["rules", "--output", "md"],
        vec!["rules", "binding.service-task"],
    ];
    for args in runs {
        let (code, stdout, stderr) = run_cli(&args);
        assert!(code == 0 || code == 1, "{args:?}: exit {code}: {stderr}");
        assert!(!stdout.is_empty(), "{args:?}: no output");
        for text in [&stdout, &stderr] {
            assert!(!text.contains("DOMAIN.md"), "{args:?} names DOMAIN.md");
        }
    }
    // The sources the binding findings cite are public documents.
    let (_, stdout, _) = run_cli(&["validate", dir, "--output", "json", "--lang", "en"]);
    assert!(stdout.contains("source: THL Sosmeta"), "binding sources");
}

#[test]
fn rules_command_lists_explains_and_refuses_unknown_ids() {
    let (code, stdout, _) = run_cli(&["rules"]);
    assert_eq!(code, 0);
    for rule in RULES {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("{} ", rule.id))),
            "{} not listed",
            rule.id
        );
    }
    let (code, stdout, _) = run_cli(&["rules", "--output", "json"]);
    assert_eq!(code, 0);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), RULES.len());
    let group = lines
        .iter()
        .find(|l| l["id"] == "header.document-group")
        .unwrap();
    assert_eq!(group["severity"], "WARNING");
    assert_eq!(group["family"], "header");
    assert_eq!(group["authority"]["kind"], "inferred");

    let (code, stdout, _) = run_cli(&["rules", "identifier.ytunnus"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("PRH/Vero"), "{stdout}");
    assert!(
        stdout.contains("passes:") && stdout.contains("fails:"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run_cli(&["rules", "content.no-such-rule"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("unknown rule \"content.no-such-rule\""),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_rules_rpc_gives_the_catalogue_with_the_server_s_re_gradings() {
    use rakenne::service::pb;
    use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
    use rakenne::service::{DefinitionsSource, ServerConfig};

    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("org.json");
    std::fs::write(
        &layer,
        r#"{"layer": "organisation", "organisation": "Testikunta",
            "severities": [{"rule": "content.code-unlisted", "severity": "info",
                            "reason": "the list is loaded nightly"}]}"#,
    )
    .unwrap();
    let server = common::server::TestServer::start(ServerConfig::new(DefinitionsSource::Load(
        DefinitionsOptions {
            bindings: Some(layer),
            ..DefinitionsOptions::default()
        },
    )))
    .await;
    let mut client = ConformanceServiceClient::new(server.channel().await);
    let all = client
        .list_rules(pb::ListRulesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .rules;
    assert_eq!(all.len(), RULES.len());
    let unlisted = all
        .iter()
        .find(|r| r.id == "content.code-unlisted")
        .unwrap();
    assert_eq!(unlisted.severity, pb::Severity::Warning as i32);
    assert_eq!(unlisted.effective_severity, pb::Severity::Info as i32);
    assert_eq!(unlisted.regraded_by, "Testikunta");
    assert_eq!(unlisted.regrade_reason, "the list is loaded nightly");
    let group = all
        .iter()
        .find(|r| r.id == "header.document-group")
        .unwrap();
    assert_eq!(group.authority_kind, pb::AuthorityKind::Inferred as i32);
    assert!(group.regraded_by.is_empty());

    let xml = client
        .list_rules(pb::ListRulesRequest {
            family: "xml".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .rules;
    assert!(!xml.is_empty());
    assert!(
        xml.iter()
            .all(|r| r.family == "xml" && r.id.starts_with("xml."))
    );

    // A finding of a re-graded rule carries the catalogue's default severity.
    let f = fixture("paihde-hakemus-sosiaalipalvelut-puuttuvat");
    let report = common::server::report_of(
        &mut client,
        pb::ValidateRequest {
            document: f.document,
            ..Default::default()
        },
    )
    .await;
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule_id == "content.code-unlisted")
        .unwrap();
    assert_eq!(finding.severity, pb::Severity::Info as i32);
    assert_eq!(finding.default_severity, pb::Severity::Warning as i32);
    server.shutdown().await;
}
