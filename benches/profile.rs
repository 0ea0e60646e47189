//! The workloads `benches/profile.sh` counts instructions of under callgrind.
//!
//! ```sh
//! bash benches/profile.sh            # a table of instructions per document, and where they go
//! ```
//!
//! Wall-clock times move by a third on a shared machine; instruction counts do not, so
//! this is how changes to the check's cost are compared. Each workload runs once to warm
//! up (the embedded catalog builds the 15007 structure on first use), then `N` times
//! (default 200) inside one `measured_*` function, which the script has callgrind count.
//!
//! Workloads, on the real 15007 document of `../shared/kanta-examples` (skipped, saying
//! so, when it is absent):
//! - `floor`: read the CDA (XML tree) and base64-decode its display form and content;
//! - `check-cda`: the full check of the CDA;
//! - `parse-cda`: the CDA's XML reading alone;
//! - `parse-display`: the decoded display form's XML reading alone;
//! - `check-json`: the full check of the content JSON alone.

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;

use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;
use rakenne::document::xml::{self, XmlLimits};

#[path = "support/document.rs"]
mod document;
use document::{body_of, read_decode};

const EXAMPLE: &str = "../shared/kanta-examples/asia_ja_rajoitukset_testi_S.xml";
const WORKLOADS: [&str; 5] = [
    "floor",
    "check-cda",
    "parse-cda",
    "parse-display",
    "check-json",
];

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; the workload is the first other argument.
    let Some(workload) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!(
            "usage: profile {{{}}}  (N=runs, default 200)",
            WORKLOADS.join("|")
        );
        return ExitCode::from(2);
    };
    let runs: usize = match std::env::var("N").map(|n| n.parse()) {
        Err(_) => 200,
        Ok(Ok(n)) if n > 0 => n,
        Ok(_) => {
            eprintln!("profile: N must be a positive number");
            return ExitCode::from(2);
        }
    };
    let document = match std::fs::read(EXAMPLE) {
        Ok(bytes) => bytes,
        Err(e) => {
            println!("profile: skipped: cannot read {EXAMPLE} ({e}); ../shared is absent");
            return ExitCode::SUCCESS;
        }
    };
    let engine = Engine::new(Arc::new(
        Definitions::embedded().expect("embedded definitions"),
    ));
    let options = CheckOptions::default();
    let (display, content) = body_of(&document);
    let measured: usize = match workload.as_str() {
        "floor" => {
            black_box(read_decode(&document));
            (0..runs).map(|_| measured_floor(&document)).sum()
        }
        "check-cda" => {
            black_box(check(&engine, &document, &options));
            (0..runs)
                .map(|_| measured_check(&engine, &document, &options))
                .sum()
        }
        "parse-cda" => {
            black_box(parse(&document));
            (0..runs).map(|_| measured_parse(&document)).sum()
        }
        "parse-display" => {
            black_box(parse(&display));
            (0..runs).map(|_| measured_parse(&display)).sum()
        }
        "check-json" => {
            black_box(check(&engine, &content, &options));
            (0..runs)
                .map(|_| measured_check(&engine, &content, &options))
                .sum()
        }
        other => {
            eprintln!(
                "profile: unknown workload `{other}` (one of {})",
                WORKLOADS.join(", ")
            );
            return ExitCode::from(2);
        }
    };
    println!("profile: {workload}: {runs} runs ({measured})");
    ExitCode::SUCCESS
}

fn check(engine: &Engine, document: &[u8], options: &CheckOptions) -> usize {
    let report = engine.check(document, None, options).expect("a report");
    report.findings.len() + 1
}

fn parse(document: &[u8]) -> usize {
    xml::parse(document, &XmlLimits::default()).map_or(0, |d| d.len())
}

#[inline(never)]
fn measured_floor(document: &[u8]) -> usize {
    read_decode(black_box(document))
}

#[inline(never)]
fn measured_check(engine: &Engine, document: &[u8], options: &CheckOptions) -> usize {
    check(engine, black_box(document), options)
}

#[inline(never)]
fn measured_parse(document: &[u8]) -> usize {
    parse(black_box(document))
}
