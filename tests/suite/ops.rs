//! `ops/`: the Grafana dashboard is importable Grafana JSON and queries exactly the metrics a
//! real server exports (every metric it queries is exported, every exported metric is on
//! it, with the labels it groups and filters by), and the example Prometheus configuration
//! scrapes `rakenne serve`'s default metrics address.

use crate::common::server::{TestServer, report_of};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use rakenne::definitions::Definitions;
use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self, ValidateRequest};
use rakenne::service::{DefinitionsSource, ServerConfig};
use regex::Regex;
use serde_json::{Value, json};

const DASHBOARD: &str = "ops/grafana-dashboard.json";
const PROMETHEUS: &str = "ops/prometheus.yml";
/// `rakenne serve --metrics-listen` by default.
const METRICS_ADDR: &str = "127.0.0.1:9464";
/// Labels Prometheus adds to every scraped series.
const TARGET_LABELS: [&str; 2] = ["job", "instance"];
/// A small national structure (as in tests/suite/service.rs).
const OID: &str = "1.2.246.537.6.1506.1004.2025.2.26";

fn read(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dashboard() -> Value {
    serde_json::from_str(&read(DASHBOARD)).expect("the dashboard is JSON")
}

fn definitions() -> Arc<Definitions> {
    static DEFINITIONS: OnceLock<Arc<Definitions>> = OnceLock::new();
    DEFINITIONS
        .get_or_init(|| Arc::new(Definitions::embedded().expect("embedded definitions")))
        .clone()
}

// ---------------------------------------------------------------------------------------
// The dashboard's queries.

/// Every PromQL string of the dashboard: panel targets' `expr` and the template variables'
/// queries (`label_values(metric, label)`).
fn queries(dashboard: &Value) -> Vec<String> {
    fn walk(value: &Value, key: Option<&str>, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    walk(v, Some(k), out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, key, out)),
            Value::String(s) if key == Some("expr") => out.push(s.clone()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(dashboard, None, &mut out);
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        if variable["type"] == "query" {
            for query in [&variable["definition"], &variable["query"]["query"]] {
                out.extend(query.as_str().map(String::from));
            }
        }
    }
    out
}

/// The metric names a query mentions.
fn metric_names(query: &str) -> BTreeSet<String> {
    static NAME: OnceLock<Regex> = OnceLock::new();
    let name = NAME.get_or_init(|| {
        Regex::new(r"(?:^|[^A-Za-z0-9_:])((?:rakenne|process)_[a-z0-9_]+)").unwrap()
    });
    name.captures_iter(query)
        .map(|c| c[1].to_string())
        .collect()
}

/// The label names a query groups, joins or filters by (`by (..)`, `ignoring (..)`,
/// `name{label=".."}`), without Prometheus' own target labels and histograms' `le`.
fn label_names(query: &str) -> BTreeSet<String> {
    static GROUPING: OnceLock<Regex> = OnceLock::new();
    static MATCHER: OnceLock<Regex> = OnceLock::new();
    let grouping = GROUPING.get_or_init(|| {
        Regex::new(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)").unwrap()
    });
    let matcher = MATCHER
        .get_or_init(|| Regex::new(r#"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*""#).unwrap());
    let mut labels = BTreeSet::new();
    for c in grouping.captures_iter(query) {
        labels.extend(
            c[1].split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    for c in matcher.captures_iter(query) {
        labels.insert(c[1].to_string());
    }
    labels.retain(|l| !TARGET_LABELS.contains(&l.as_str()) && l != "le");
    labels
}

/// Exact matchers `label="value"` without template variables: values the service must emit.
fn exact_matchers(query: &str) -> BTreeSet<(String, String)> {
    static EXACT: OnceLock<Regex> = OnceLock::new();
    let exact =
        EXACT.get_or_init(|| Regex::new(r#"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"$]*)""#).unwrap());
    exact
        .captures_iter(query)
        .filter(|c| !TARGET_LABELS.contains(&&c[1]))
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// A scrape.

/// What one `/metrics` scrape exports.
#[derive(Debug, Default)]
struct Exported {
    /// `# TYPE name kind`.
    families: BTreeMap<String, String>,
    /// Sample names (a histogram's with their suffix).
    samples: BTreeSet<String>,
    /// Label names seen on any sample.
    labels: BTreeSet<String>,
    /// (label, value) pairs seen on any sample.
    values: BTreeSet<(String, String)>,
}

impl Exported {
    fn parse(scrape: &str) -> Self {
        let label = Regex::new(r#"([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)""#).unwrap();
        let mut exported = Self::default();
        for line in scrape.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
                exported.families.insert(name.into(), kind.into());
            } else if !line.starts_with('#') && !line.trim().is_empty() {
                let end = line.find(['{', ' ']).unwrap_or(line.len());
                exported.samples.insert(line[..end].to_string());
                if let (Some(open), Some(close)) = (line.find('{'), line.rfind('}')) {
                    for c in label.captures_iter(&line[open..close]) {
                        exported.labels.insert(c[1].to_string());
                        exported.values.insert((c[1].to_string(), c[2].to_string()));
                    }
                }
            }
        }
        exported
    }

    /// The family a queried name belongs to: itself, or a histogram's (or summary's)
    /// `_bucket`, `_sum` or `_count` series.
    fn family_of(&self, name: &str) -> Option<String> {
        if self.families.contains_key(name) {
            return Some(name.to_string());
        }
        for (suffix, kinds) in [
            ("_bucket", &["histogram"][..]),
            ("_sum", &["histogram", "summary"][..]),
            ("_count", &["histogram", "summary"][..]),
        ] {
            if let Some(base) = name.strip_suffix(suffix)
                && self
                    .families
                    .get(base)
                    .is_some_and(|kind| kinds.contains(&kind.as_str()))
            {
                return Some(base.to_string());
            }
        }
        // A sample without a `# TYPE` line (untyped).
        self.samples.contains(name).then(|| name.to_string())
    }
}

/// What is wrong between the dashboard's queries and a scrape; empty when nothing is.
fn problems(dashboard: &Value, exported: &Exported) -> Vec<String> {
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for query in queries(dashboard) {
        let names = metric_names(&query);
        if names.is_empty() {
            problems.push(format!("queries no rakenne_ or process_ metric: {query}"));
        }
        for name in names {
            match exported.family_of(&name) {
                Some(family) => {
                    used.insert(family);
                }
                None => problems.push(format!("{name} is not exported (in: {query})")),
            }
        }
        for label in label_names(&query) {
            if !exported.labels.contains(&label) {
                problems.push(format!(
                    "label {label} is on no exported series (in: {query})"
                ));
            }
        }
        for (label, value) in exact_matchers(&query) {
            if !exported.values.contains(&(label.clone(), value.clone())) {
                problems.push(format!(
                    "{label}=\"{value}\" is on no exported series (in: {query})"
                ));
            }
        }
    }
    for family in exported.families.keys() {
        if !used.contains(family) {
            problems.push(format!("{family} is exported but no panel shows it"));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------
// A real server (the start-up of tests/suite/service.rs, reduced).

/// A scrape after a fully conformant document, a partly conformant one (with findings)
/// and a refused one, so every per-document series exists.
async fn scrape_after_traffic() -> String {
    let root = definitions()
        .catalog
        .get(OID)
        .expect("structure in the catalog")
        .root_key
        .clone();
    let fully = json!({ &root: {
        "asiakas": {
            "sukunimi": "Meikäläinen",
            "etunimet": "Maija",
            "tilapainen_yksilointitunnus": {"value": "1.2.246.10.12345678.10.2024.1"}
        },
        "toimenpiteet": "Ei toimenpiteitä.",
        "laatija": {"sukunimi": "Laatija", "etunimet": "Liisa"}
    }});
    let partly = json!({ &root: {
        "asiakas": {"sukunimi": "Meikäläinen"},
        "laatija": {"sukunimi": "Laatija", "etunimet": "Liisa"}
    }});
    let server =
        TestServer::start(ServerConfig::new(DefinitionsSource::Loaded(definitions()))).await;
    let mut client = ConformanceServiceClient::new(server.channel().await);
    for (document, verdict) in [
        (fully, pb::Verdict::FullyConformant),
        (partly, pb::Verdict::PartlyConformant),
    ] {
        let report = report_of(
            &mut client,
            ValidateRequest {
                document: serde_json::to_vec(&document).unwrap(),
                service_task: "10".into(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(report.verdict, verdict as i32, "{report:?}");
    }
    // An empty document is refused (INVALID_ARGUMENT).
    client
        .validate(ValidateRequest::default())
        .await
        .unwrap_err();
    let scrape = server.scrape().await;
    server.shutdown().await;
    scrape
}

// ---------------------------------------------------------------------------------------
// The tests.

#[test]
fn dashboard_is_importable_grafana_json() {
    let dashboard = dashboard();
    let schema = dashboard["schemaVersion"].as_u64().expect("schemaVersion");
    assert!((36..=41).contains(&schema), "schemaVersion {schema}");
    assert!(dashboard["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(dashboard["uid"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(
        dashboard["id"].is_null(),
        "an exported dashboard has id null"
    );

    // The datasource is an input, chosen on import.
    let inputs = dashboard["__inputs"].as_array().expect("__inputs");
    assert!(
        inputs.iter().any(|i| i["name"] == "DS_PROMETHEUS"
            && i["type"] == "datasource"
            && i["pluginId"] == "prometheus"),
        "{inputs:?}"
    );
    let datasource = json!({"type": "prometheus", "uid": "${DS_PROMETHEUS}"});

    let panels = dashboard["panels"].as_array().expect("panels");
    let mut ids = BTreeSet::new();
    let mut types = BTreeSet::new();
    for panel in panels {
        let title = panel["title"].as_str().expect("a panel title");
        assert!(
            ids.insert(panel["id"].as_u64().expect("panel id")),
            "{title}: id"
        );
        let kind = panel["type"].as_str().unwrap();
        assert!(
            ["timeseries", "bargauge", "stat", "table"].contains(&kind),
            "{title}: type {kind}"
        );
        types.insert(kind);
        assert!(
            panel["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{title}: description"
        );
        let grid = &panel["gridPos"];
        let (x, w, h) = (
            grid["x"].as_u64().unwrap(),
            grid["w"].as_u64().unwrap(),
            grid["h"].as_u64().unwrap(),
        );
        assert!(
            grid["y"].is_u64() && w > 0 && h > 0 && x + w <= 24,
            "{title}: {grid}"
        );
        assert_eq!(panel["datasource"], datasource, "{title}");
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}: no query");
        let mut refs = BTreeSet::new();
        for target in targets {
            assert_eq!(target["datasource"], datasource, "{title}");
            assert!(
                refs.insert(target["refId"].as_str().unwrap()),
                "{title}: refId"
            );
            let expr = target["expr"].as_str().expect("expr");
            assert!(!expr.trim().is_empty(), "{title}: empty expr");
            assert_eq!(
                expr.matches('(').count(),
                expr.matches(')').count(),
                "{title}: {expr}"
            );
            assert_eq!(
                expr.matches('{').count(),
                expr.matches('}').count(),
                "{title}: {expr}"
            );
        }
    }
    assert_eq!(
        types,
        BTreeSet::from(["bargauge", "stat", "table", "timeseries"])
    );
    // The panels this repository promises.
    let titles: Vec<&str> = panels
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for wanted in [
        "Verdict share per structure",
        "Top failing rules (time range)",
        "Latency percentiles",
        "Throughput by verdict",
        "Requests in flight",
        "Ready",
        "Catalog version",
    ] {
        assert!(titles.contains(&wanted), "no panel {wanted:?}: {titles:?}");
    }

    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        if variable["type"] == "query" {
            assert_eq!(variable["datasource"], datasource, "{variable}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_queries_exactly_the_exported_metrics() {
    let scrape = scrape_after_traffic().await;
    let exported = Exported::parse(&scrape);
    assert!(
        exported.families.contains_key("rakenne_documents_total")
            && exported.families.contains_key("rakenne_findings_total")
            && exported.families.contains_key("rakenne_refused_total"),
        "per-document series missing:\n{scrape}"
    );
    let problems = problems(&dashboard(), &exported);
    assert!(
        problems.is_empty(),
        "{DASHBOARD} does not match GET /metrics:\n  {}\n\nscrape:\n{scrape}",
        problems.join("\n  ")
    );
}

/// The check above can fail: a misspelt metric, label or verdict, and a metric the
/// dashboard forgets, are each reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_dashboard_is_caught() {
    let exported = Exported::parse(&scrape_after_traffic().await);
    let text = read(DASHBOARD);
    for (from, to, reported) in [
        (
            "rakenne_findings_total",
            "rakenne_finding_total",
            "rakenne_finding_total is not exported",
        ),
        (
            "rakenne_request_duration_seconds_bucket",
            "rakenne_request_duration_seconds_buckets",
            "rakenne_request_duration_seconds_buckets is not exported",
        ),
        (
            "by (rule, severity)",
            "by (rule_id, severity)",
            "label rule_id",
        ),
        (
            "verdict=\\\"FULLY_CONFORMANT\\\"",
            "verdict=\\\"FULLY_CONFORMING\\\"",
            "verdict=\"FULLY_CONFORMING\"",
        ),
        (
            "rakenne_catalog_structures",
            "up",
            "rakenne_catalog_structures is exported but no panel shows it",
        ),
    ] {
        assert!(text.contains(from), "{from} not in {DASHBOARD}");
        let copy: Value = serde_json::from_str(&text.replace(from, to)).unwrap();
        let problems = problems(&copy, &exported);
        assert!(
            problems.iter().any(|p| p.contains(reported)),
            "{from} -> {to} not reported: {problems:?}"
        );
    }
}

#[test]
fn prometheus_config_scrapes_the_default_metrics_address() {
    let config = read(PROMETHEUS);
    // YAML-ish: spaces only, and a job named rakenne whose target is the default address.
    assert!(!config.contains('\t'), "tabs in {PROMETHEUS}");
    let lines: Vec<&str> = config
        .lines()
        .map(|l| l.split(" #").next().unwrap().trim_end())
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    assert!(
        lines.contains(&"scrape_configs:"),
        "{PROMETHEUS}: scrape_configs"
    );
    let job = lines
        .iter()
        .position(|l| l.trim() == "- job_name: rakenne")
        .expect("job_name: rakenne");
    let rest = &lines[job + 1..];
    let rest = &rest[..rest
        .iter()
        .position(|l| l.trim_start().starts_with("- job_name:"))
        .unwrap_or(rest.len())];
    assert!(rest.contains(&"    metrics_path: /metrics"), "{rest:?}");
    assert!(
        rest.iter().any(|l| l.trim() == "static_configs:"),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|l| l.trim() == format!("- {METRICS_ADDR}")
            || l.trim() == format!("- targets: [\"{METRICS_ADDR}\"]")),
        "{PROMETHEUS}: target {METRICS_ADDR}: {rest:?}"
    );
    for line in &lines {
        let indent = line.len() - line.trim_start().len();
        assert!(indent % 2 == 0, "odd indentation: {line:?}");
        let body = line.trim_start().trim_start_matches("- ");
        assert!(
            body.ends_with(':') || body.contains(": ") || line.trim_start().starts_with("- "),
            "not a YAML mapping or list item: {line:?}"
        );
    }

    // ... which is the one `rakenne serve` listens on unless told otherwise.
    let help = Command::new(env!("CARGO_BIN_EXE_rakenne"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    let help = String::from_utf8(help.stdout).unwrap();
    let option: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("--metrics-listen"))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.trim_start().starts_with('-'))
        .map(|(_, l)| l.trim())
        .collect();
    assert!(
        option.contains(&format!("[default: {METRICS_ADDR}]").as_str()),
        "{help}"
    );

    // The dashboard's job variable finds the job by a metric the config scrapes.
    let dashboard = dashboard();
    let job = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "job")
        .expect("a job variable");
    assert!(job["definition"].as_str().unwrap().contains(", job)"));
}
