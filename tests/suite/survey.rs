//! `rakenne survey` in every format, and `rakenne validate --output junit`, over a small
//! set of documents built here: valid and broken documents of two national structures,
//! own templates near each, unreadable bytes and a file that is no document.
//!
//! The HTML test opens the page in headless Chromium when `chromium` is on PATH (CI
//! installs it from the Debian packages) and skips, saying so, otherwise.

use crate::common;
#[path = "../html/png.rs"]
mod png;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

/// Simple structures whose trees (`rakenne definitions show <root key>`) the documents
/// below follow.
const LH: &str = "lapsen_huoltajan_tarpeesta_tehdyn_ilmoituksen_arvio";
const MS: &str = "merkinta_sosiaalipalvelun_alkamisesta";
/// Values that must never reach an output.
const SECRETS: [&str; 3] = ["Salaisuus", "Erittäin", "T-SALAINEN-1"];

fn person() -> Value {
    json!({"sukunimi": "Salaisuus", "etunimet": "Erittäin",
           "tilapainen_yksilointitunnus": {"value": "T-SALAINEN-1"}})
}

fn author() -> Value {
    json!({"sukunimi": "Laatija", "etunimet": "Lea", "tehtavanimike": "sosiaalityöntekijä"})
}

fn lh(toimenpiteet: Option<&str>, paivamaara: Option<&str>) -> Value {
    let mut body = json!({"asiakas": person(), "laatija": author()});
    if let Some(t) = toimenpiteet {
        body["toimenpiteet"] = json!(t);
    }
    if let Some(p) = paivamaara {
        body["paivamaara"] = json!(p);
    }
    json!({ LH: body })
}

fn ms_body() -> Value {
    json!({
        "asiakas": [person()],
        "palvelutehtava": {"system": "urn:oid:1.2.246.537.6.1221.201601", "code": "24",
                           "display": "Lapsiperheiden palvelut"},
        "sosiaalipalvelu": {"system": "urn:oid:1.2.246.537.6.1222.201601", "code": "45",
                            "display": "Sosiaaliohjaus"},
        "sosiaalipalvelun_alkamispaiva": "2024-03-01",
        "laatija": author()
    })
}

/// The document set: 10 documents and one file that is not a document.
///
/// | structure | fully | partly | own template | unreadable |
/// |---|---|---|---|---|
/// | LH | 3 | 2 | 1 (oma_pohja) | |
/// | MS | 1 | | 1 (oma_merkinta) | |
/// | none | | | | 2 |
fn documents() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    let json = |value: &Value| serde_json::to_vec_pretty(value).unwrap();
    for name in ["lh/ok1.json", "lh/ok2.json", "lh/deeper/ok3.json"] {
        write(name, &json(&lh(Some("Tuki jatkuu."), Some("2024-05-02"))));
    }
    // Toimenpiteet missing, and a day that does not exist.
    write("lh/bad1.json", &json(&lh(None, Some("2023-02-30"))));
    write("lh/bad2.json", &json(&lh(None, None)));
    let mut own = lh(Some("x"), None);
    own = json!({"oma_pohja": own[LH].clone()});
    write("own/oma1.json", &json(&own));
    write("ms.json", &json(&json!({ MS: ms_body() })));
    let mut own_ms = ms_body();
    own_ms.as_object_mut().unwrap().remove("laatija");
    write("own/oma2.json", &json(&json!({"oma_merkinta": own_ms})));
    write("broken/broken.json", b"{\"a\": ");
    write("broken/garbage.xml", b"\x00\x01\x02Salaisuus");
    write("notes.txt", b"not a document");
    dir
}

fn rakenne(args: &[&str]) -> Output {
    Command::new(common::bin()).args(args).output().unwrap()
}

fn run_ok(args: &[&str], code: i32) -> String {
    let output = rakenne(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(code),
        "rakenne {args:?}: stderr {stderr}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_no_secrets(&stdout);
    assert_no_secrets(&stderr);
    stdout
}

fn assert_no_secrets(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} in output:\n{text}");
    }
}

fn survey(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["survey", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_ok(&args, 1)
}

/// The OID of the newest structure with `root_key`, from `rakenne definitions show`.
fn oid_of(root_key: &str) -> String {
    let out = run_ok(&["definitions", "show", root_key], 0);
    let first = out.lines().next().unwrap();
    first.rsplit(" — ").next().unwrap().trim().to_string()
}

fn relative(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn json_gives_counts_marks_top_findings_and_own_templates() {
    let dir = documents();
    let summary: Value = serde_json::from_str(&survey(dir.path(), &["--format", "json"])).unwrap();
    let (lh_oid, ms_oid) = (oid_of(LH), oid_of(MS));

    assert_eq!(summary["by"], "structure");
    assert_eq!(summary["documents"], 10);
    assert_eq!(summary["not_checked"], 0);
    assert_eq!(
        summary["totals"],
        json!({"fully_conformant": 4, "partly_conformant": 2, "own_template": 2, "unreadable": 2})
    );
    assert_eq!(
        summary["marks"],
        json!({"fully_conformant": "X", "partly_conformant": "x", "own_template": "x", "unreadable": "x"})
    );
    let rows: Vec<(String, Value, Value, Value)> = summary["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["counts"].clone(),
                g["marks"].clone(),
                g["total"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                lh_oid.clone(),
                json!({"fully_conformant": 3, "partly_conformant": 2, "own_template": 1, "unreadable": 0}),
                json!({"fully_conformant": "X", "partly_conformant": "x", "own_template": "x", "unreadable": ""}),
                json!(6)
            ),
            (
                // A tie between fully and own template: X goes to the earlier column.
                ms_oid.clone(),
                json!({"fully_conformant": 1, "partly_conformant": 0, "own_template": 1, "unreadable": 0}),
                json!({"fully_conformant": "X", "partly_conformant": "", "own_template": "x", "unreadable": ""}),
                json!(2)
            ),
            (
                String::new(),
                json!({"fully_conformant": 0, "partly_conformant": 0, "own_template": 0, "unreadable": 2}),
                json!({"fully_conformant": "", "partly_conformant": "", "own_template": "", "unreadable": "X"}),
                json!(2)
            ),
        ]
    );
    assert_eq!(
        summary["groups"][0]["name"]["fi"],
        "Lapsen huoltajan tarpeesta tehdyn ilmoituksen arvio"
    );
    assert_eq!(summary["groups"][2]["name"], Value::Null);

    let top: Vec<(String, String, String, u64, u64)> = summary["top_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["element"]["fi"].as_str().unwrap_or("-").to_string(),
                f["occurrences"].as_u64().unwrap(),
                f["documents"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("content.required", "ERROR", "Toimenpiteet", 2, 2),
        ("content.structure-unknown", "INFO", "-", 2, 2),
        ("content.datetime", "ERROR", "Päivämäärä", 1, 1),
        ("json.syntax", "ERROR", "-", 1, 1),
        ("xml.invalid-character", "ERROR", "-", 1, 1),
    ]
    .map(|(r, s, e, o, d)| (r.to_string(), s.to_string(), e.to_string(), o, d));
    assert_eq!(top, expected);

    // Own templates under their nearest national structure, with the score.
    let lh_own = &summary["groups"][0]["own_template_score"];
    assert_eq!(lh_own["documents"], 1);
    let score = lh_own["mean"].as_f64().unwrap();
    assert!(score > 0.0 && score < 1.0, "{score}");
    let own: Vec<(Value, Value, Vec<String>)> = summary["own_templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let files = o["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["file"].as_str().unwrap().to_string())
                .collect();
            (o["oid"].clone(), o["score"]["documents"].clone(), files)
        })
        .collect();
    assert_eq!(
        own,
        [
            (
                json!(lh_oid),
                json!(1),
                vec![relative(dir.path(), "own/oma1.json")]
            ),
            (
                json!(ms_oid),
                json!(1),
                vec![relative(dir.path(), "own/oma2.json")]
            ),
        ]
    );
    // Samples are for the HTML drill-down only.
    assert!(summary["groups"][0].get("samples").is_none());
}

#[test]
fn table_shows_the_pilots_marks_and_totals() {
    let dir = documents();
    let out = survey(dir.path(), &["--format", "table"]);
    let lh_oid = oid_of(LH);
    let cells = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    let row = |start: &str| -> Vec<String> {
        cells(
            out.lines()
                .find(|l| l.starts_with(start))
                .unwrap_or_else(|| panic!("no row {start} in\n{out}")),
        )
    };
    assert_eq!(
        cells(out.lines().nth(2).unwrap()),
        [
            "Asiakirja",
            "Rakenteen OID",
            "Täysin",
            "Osin",
            "Oma pohja",
            "Ei luettavissa",
            "Yhteensä",
            "Oman pohjan osuvuus"
        ]
    );
    let lh_row = row("Lapsen huoltajan");
    assert_eq!(&lh_row[1..6], [lh_oid.as_str(), "X 3", "x 2", "x 1", "6"]);
    assert_eq!(row("(tuntematon)")[1..], ["X 2", "2"]);
    assert_eq!(row("Yhteensä")[1..], ["X 4", "x 2", "x 2", "x 2", "10"]);
    assert!(out.contains("Yleisimmät havainnot"));
    assert_eq!(
        row("1 "),
        ["1", "2", "2", "ERROR", "content.required", "Toimenpiteet"]
    );
    assert!(out.contains("Omat asiakirjapohjat ja lähin kansallinen rakenne"));
    assert!(out.contains(&format!("{} (", relative(dir.path(), "own/oma2.json"))));

    let english = survey(dir.path(), &["--format", "table", "--lang", "en"]);
    assert!(english.contains("Own template"), "{english}");
    assert!(english.contains("Most frequent findings"));
}

#[test]
fn markdown_is_the_pilot_table() {
    let dir = documents();
    let out = survey(dir.path(), &["--format", "md"]);
    let lh_oid = oid_of(LH);
    assert!(out.starts_with("# Asiakirjojen vastaavuus kansallisiin rakenteisiin\n"));
    assert!(out.contains(
        "| Asiakirja | Rakenteen OID | Täysin | Osin | Oma pohja | Ei luettavissa | Yhteensä | Oman pohjan osuvuus |\n"
    ));
    let lh_line = out
        .lines()
        .find(|l| l.starts_with("| Lapsen huoltajan"))
        .unwrap();
    assert!(
        lh_line.starts_with(&format!(
            "| Lapsen huoltajan tarpeesta tehdyn ilmoituksen arvio | `{lh_oid}` | X 3 | x 2 | x 1 |  | 6 | 0."
        )),
        "{lh_line}"
    );
    assert!(out.contains("| (tuntematon) |  |  |  |  | X 2 | 2 |  |\n"));
    assert!(out.contains("| **Yhteensä** |  | X 4 | x 2 | x 2 | x 2 | **10** |  |\n"));
    assert!(out.contains("| 1 | 2 | 2 | ERROR | `content.required` | Toimenpiteet |\n"));
}

#[test]
fn csv_has_the_table_findings_and_own_template_blocks() {
    let dir = documents();
    let out = survey(dir.path(), &["--format", "csv"]);
    let (lh_oid, ms_oid) = (oid_of(LH), oid_of(MS));
    let blocks: Vec<Vec<&str>> = out
        .split("\r\n\r\n")
        .map(|b| b.lines().map(|l| l.trim_end_matches('\r')).collect())
        .collect();
    assert_eq!(blocks.len(), 3, "{out}");
    let table = &blocks[0];
    assert_eq!(
        table[0],
        "row,structure_oid,name,fully_conformant,partly_conformant,own_template,unreadable,total,mark_fully_conformant,mark_partly_conformant,mark_own_template,mark_unreadable,own_template_score_mean,own_template_score_min,own_template_score_max"
    );
    assert!(
        table[1].starts_with(&format!(
            "group,{lh_oid},Lapsen huoltajan tarpeesta tehdyn ilmoituksen arvio,3,2,1,0,6,X,x,x,,0."
        )),
        "{}",
        table[1]
    );
    assert!(table[2].starts_with(&format!(
        "group,{ms_oid},Merkintä sosiaalipalvelun alkamisesta,1,0,1,0,2,X,,x,,0."
    )));
    assert_eq!(table[3], "group,,(tuntematon),0,0,0,2,2,,,,X,,,");
    assert_eq!(table[4], "total,,Yhteensä,4,2,2,2,10,X,x,x,x,,,");
    assert_eq!(table.len(), 5);
    assert_eq!(
        blocks[1],
        [
            "rank,rule,severity,element,occurrences,documents",
            "1,content.required,ERROR,Toimenpiteet,2,2",
            "2,content.structure-unknown,INFO,,2,2",
            "3,content.datetime,ERROR,Päivämäärä,1,1",
            "4,json.syntax,ERROR,,1,1",
            "5,xml.invalid-character,ERROR,,1,1",
        ]
    );
    assert_eq!(
        blocks[2][0],
        "nearest_oid,nearest_name,documents,score_mean,score_min,score_max,files"
    );
    assert!(blocks[2][1].starts_with(&format!(
        "{lh_oid},Lapsen huoltajan tarpeesta tehdyn ilmoituksen arvio,1,"
    )));
    assert!(
        blocks[2][1].ends_with(&relative(dir.path(), "own/oma1.json")),
        "{}",
        blocks[2][1]
    );
}

#[test]
fn threads_do_not_change_the_result() {
    let dir = documents();
    let one = survey(dir.path(), &["--format", "json", "--jobs", "1"]);
    let four = survey(dir.path(), &["--format", "json", "--jobs", "4"]);
    assert_eq!(one, four);
}

#[test]
fn groups_by_service_task() {
    let dir = documents();
    let summary: Value = serde_json::from_str(&survey(
        dir.path(),
        &[
            "--by",
            "service-task",
            "--service-task",
            "24",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(summary["by"], "service-task");
    let groups = summary["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["key"], "24");
    assert_eq!(groups[0]["name"]["fi"], "Lapsiperheiden palvelut");
    assert_eq!(groups[0]["total"], 9);
    // Bytes that are not XML never reach the point where the service task is taken.
    assert_eq!(groups[1]["key"], "");
    assert_eq!(groups[1]["counts"]["unreadable"], 1);
    // Own templates are still listed by nearest structure.
    assert_eq!(summary["own_templates"].as_array().unwrap().len(), 2);
}

#[test]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
fn groups_by_organisation_on_the_kanta_examples() {
    let dir = common::shared_dir("kanta-examples");
    // Both documents are fully conformant, checked with their `_K.xml` frames: exit 0.
    let args = [
        "survey",
        dir.to_str().unwrap(),
        "--by",
        "organisation",
        "--format",
        "json",
    ];
    let summary: Value = serde_json::from_str(&run_ok(&args, 0)).unwrap();
    assert_eq!(summary["by"], "organisation");
    assert_eq!(summary["documents"], 2);
    let keys: Vec<&str> = summary["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    // The frames are paired with their documents, so every group is a custodian OID.
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("1.2.246.")), "{keys:?}");
}

#[test]
fn exit_codes_follow_validate() {
    let dir = documents();
    // Only fully conformant documents: 0.
    run_ok(
        &["survey", dir.path().join("lh/deeper").to_str().unwrap()],
        0,
    );
    // Findings: 1 (see the other tests). An empty document is a document of the set that
    // cannot be read: counted UNREADABLE, not left out.
    std::fs::write(dir.path().join("lh/empty.json"), b"  \n").unwrap();
    let output = rakenne(&["survey", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["not_checked"], 0);
    assert_eq!(summary["documents"], 11);
    assert_eq!(summary["totals"]["unreadable"], 3, "{summary}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("documents/s"), "{stderr}");
    // Standard error is a pipe here: no progress line, no terminal control sequences.
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\r'),
        "{stderr:?}"
    );
    assert!(!stderr.contains("asiakirjaa "), "{stderr:?}");
    // A path that does not exist: 2.
    let missing = dir.path().join("missing");
    assert_eq!(
        rakenne(&["survey", missing.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    // A missing path among others: said on stderr, the others are surveyed, and 2 at
    // the end.
    let output = rakenne(&[
        "survey",
        missing.to_str().unwrap(),
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["documents"], 11);
    assert_eq!(summary["not_checked"], 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing"), "{stderr}");
    // No documents at all: 2.
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        rakenne(&["survey", empty.path().to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

/// Writes the HTML survey of the document set and returns its path.
fn html_survey(dir: &Path) -> PathBuf {
    let file = dir.join("survey.html");
    let docs = dir.join("docs");
    run_ok(
        &[
            "survey",
            docs.to_str().unwrap(),
            "--format",
            "html",
            "--out",
            file.to_str().unwrap(),
        ],
        1,
    );
    file
}

fn copy_documents(into: &Path) {
    let source = documents();
    let mut stack = vec![source.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let target = into.join(path.strip_prefix(source.path()).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                stack.push(path);
            } else {
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
}

#[test]
fn html_is_self_contained_with_table_chart_and_drill_down() {
    let dir = tempfile::tempdir().unwrap();
    copy_documents(&dir.path().join("docs"));
    let html = std::fs::read_to_string(html_survey(dir.path())).unwrap();
    assert_no_secrets(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched at view time.
    for fetch in [
        "<script", "<link", "<img", "src=", "url(", "@import", "https:",
    ] {
        assert!(!html.contains(fetch), "{fetch} in the page");
    }
    assert!(html.contains("default-src 'none'"));
    assert!(html.contains("<table class=\"pilot\">"));
    assert!(html.contains("<svg id=\"verdict-chart\""));
    assert_eq!(html.matches("<rect class=\"bar ").count(), 6);
    assert_eq!(html.matches("<details class=\"group\"").count(), 3);
    // Every document is sampled (fewer than 20 per group), each with its field table.
    assert_eq!(html.matches("<details class=\"document\"").count(), 10);
    assert!(html.contains("<table class=\"fields\">"));
    assert!(html.contains("missing-required"));
    assert!(html.contains("ensimmäistä asiakirjaa tiedostonimen mukaan"));
}

/// Chromium on PATH, or `None` with a note (the test then skips).
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    eprintln!("skipped: chromium is not on PATH (CI installs the Debian package chromium)");
    None
}

/// Runs headless Chromium on `page`, killed after two minutes; its stdout is returned.
fn headless(chromium: &Path, profile: &Path, extra: &[String], page: &Path) -> String {
    let stdout = profile.with_extension("stdout");
    let stderr = profile.with_extension("stderr");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in two minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "chromium failed: {}",
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    std::fs::read_to_string(&stdout).unwrap()
}

#[test]
fn html_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_documents(&dir.path().join("docs"));
    let page = html_survey(dir.path());

    // The text as the browser parsed it.
    let dom = headless(
        &chromium,
        &dir.path().join("profile-dom"),
        &["--dump-dom".to_string()],
        &page,
    );
    for text in [
        "Asiakirjojen vastaavuus kansallisiin rakenteisiin",
        "Lapsen huoltajan tarpeesta tehdyn ilmoituksen arvio",
        "Merkintä sosiaalipalvelun alkamisesta",
        "Tulokset ryhmittäin",
        "Yleisimmät havainnot",
        "content.required",
        "Toimenpiteet",
        "oma1.json",
    ] {
        assert!(dom.contains(text), "{text} not in the rendered page");
    }
    assert_eq!(dom.matches("<rect class=\"bar ").count(), 6);

    // A screenshot with the table and the chart in it.
    let shot = dir.path().join("shot.png");
    headless(
        &chromium,
        &dir.path().join("profile-shot"),
        &[format!("--screenshot={}", shot.display())],
        &page,
    );
    let image = png::decode(&std::fs::read(&shot).unwrap()).unwrap();
    assert_eq!((image.width, image.height), (1200, 900));
    assert!(
        image.distinct_colours() > 50,
        "the screenshot is (nearly) blank"
    );
    // The chart's bars: each verdict's colour fills a block of pixels.
    for (name, colour) in [
        ("fully", [0x2e, 0x7d, 0x32]),
        ("partly", [0xef, 0x9a, 0x00]),
        ("own template", [0x7b, 0x1f, 0xa2]),
        ("unreadable", [0xc6, 0x28, 0x28]),
    ] {
        let pixels = image.count_near(colour, 6);
        assert!(pixels > 1000, "{name} bars: {pixels} pixels");
    }
}

#[test]
fn validate_writes_junit_with_one_case_per_document() {
    let dir = documents();
    let out = run_ok(
        &[
            "validate",
            dir.path().to_str().unwrap(),
            "--output",
            "junit",
        ],
        1,
    );
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    // Parse it: well-formed, one testcase per document, failures with their findings.
    let mut reader = quick_xml::Reader::from_str(&out);
    let mut cases: Vec<(String, Option<String>, String)> = Vec::new();
    let mut suite_attrs = Vec::new();
    let mut in_failure = false;
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |name: &str| {
                    e.try_get_attribute(name).unwrap().map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                };
                match e.name().as_ref() {
                    "testsuite" => {
                        suite_attrs = ["tests", "failures", "errors"]
                            .map(|n| attr(n).unwrap())
                            .to_vec();
                    }
                    "testcase" => cases.push((attr("name").unwrap(), None, String::new())),
                    "failure" => {
                        cases.last_mut().unwrap().1 = attr("type");
                        in_failure = true;
                    }
                    _ => {}
                }
            }
            quick_xml::events::Event::Text(t) if in_failure => {
                let text = t.xml10_content().into_owned();
                cases.last_mut().unwrap().2.push_str(&text);
            }
            quick_xml::events::Event::End(e) if e.name().as_ref() == "failure" => {
                in_failure = false;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suite_attrs, ["10", "6", "0"]);
    assert_eq!(cases.len(), 10);
    let verdict = |name: &str| {
        cases
            .iter()
            .find(|c| c.0 == relative(dir.path(), name))
            .unwrap_or_else(|| panic!("no case {name}"))
    };
    assert_eq!(verdict("lh/ok1.json").1, None);
    assert_eq!(verdict("ms.json").1, None);
    let bad = verdict("lh/bad1.json");
    assert_eq!(bad.1.as_deref(), Some("PARTLY_CONFORMANT"));
    assert!(bad.2.contains("ERROR content.required"), "{}", bad.2);
    assert!(bad.2.contains("(Toimenpiteet)"));
    assert!(bad.2.contains("ERROR content.datetime"));
    assert_eq!(bad.2.matches("ERROR ").count(), 2);
    assert_eq!(verdict("own/oma1.json").1.as_deref(), Some("OWN_TEMPLATE"));
    assert!(
        verdict("own/oma1.json")
            .2
            .contains("lähin 1.2.246.537.6.1506.")
    );
    assert_eq!(
        verdict("broken/garbage.xml").1.as_deref(),
        Some("UNREADABLE")
    );
    // An empty document is an UNREADABLE document (a failure), not a request error.
    std::fs::write(dir.path().join("lh/empty.json"), b"").unwrap();
    let out = run_ok(
        &[
            "validate",
            dir.path().to_str().unwrap(),
            "--output",
            "junit",
        ],
        1,
    );
    assert!(
        out.contains("tests=\"11\" failures=\"7\" errors=\"0\""),
        "{out}"
    );
    assert!(out.contains("ERROR json.empty"), "{out}");
}
