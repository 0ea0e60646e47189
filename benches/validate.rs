//! criterion benchmarks of the domain core.
//!
//! ```sh
//! cargo bench --bench validate                 # everything
//! cargo bench --bench validate -- 15007        # one group (a criterion filter)
//! ```
//!
//! - `floor/15007_read_decode`: read the CDA (XML tree) and base64-decode its display
//!   form and content, nothing else: the floor of a full check.
//! - `check/15007_cda`: full validation of the real 15007 document
//!   (`../shared/kanta-examples/asia_ja_rajoitukset_testi_S.xml`), with and without the
//!   field table.
//! - `check/15007_json`: the same document's content JSON alone.
//! - `large/*`: about 1 MB of content JSON made by repeating the 15007 content's arrays,
//!   as bare JSON and wrapped in the same CDA (with its read-and-decode floor).
//! - `catalog/load_compile_all`: loading the whole embedded catalog and compiling every
//!   structure's validator.
//!
//! The document benches need `../shared/kanta-examples`; without it they print why and
//! are skipped (the catalog bench still runs). No third-party file is copied here.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;
use rakenne::definitions::catalog::Catalog;
use serde_json::Value;

#[path = "support/document.rs"]
mod document;
use document::read_decode;

const EXAMPLE: &str = "../shared/kanta-examples/asia_ja_rajoitukset_testi_S.xml";
/// Content JSON size the large document grows to.
const LARGE_BYTES: usize = 1024 * 1024;

/// About `target` bytes of content JSON: every array of the content repeated until the
/// whole reaches the size.
fn grow(content: &[u8], target: usize) -> Vec<u8> {
    let value: Value = serde_json::from_slice(content).expect("content JSON");
    let mut factor = 2;
    loop {
        let mut grown = value.clone();
        repeat_arrays(&mut grown, factor);
        let bytes = serde_json::to_vec(&grown).expect("serialise");
        if bytes.len() >= target || factor > 1 << 20 {
            return bytes;
        }
        // Scale by what one more repetition adds, plus one for the remainder.
        let per = bytes.len().saturating_sub(content.len()) / (factor - 1);
        factor += (target - bytes.len()).div_ceil(per.max(1));
    }
}

fn repeat_arrays(value: &mut Value, factor: usize) {
    match value {
        Value::Array(items) => {
            let original = items.clone();
            for _ in 1..factor {
                items.extend(original.iter().cloned());
            }
        }
        Value::Object(map) => map.values_mut().for_each(|v| repeat_arrays(v, factor)),
        _ => {}
    }
}

/// The same CDA document with its content replaced by `content`.
fn with_content(document: &[u8], content: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(document).expect("UTF-8 CDA");
    let start = text.find("<ep2:json").expect("ep2:json");
    let open_end = start + text[start..].find('>').expect("tag end") + 1;
    let close = open_end + text[open_end..].find("</ep2:json>").expect("end tag");
    let encoded = base64::engine::general_purpose::STANDARD.encode(content);
    let mut out = String::with_capacity(text.len() + encoded.len());
    out.push_str(&text[..open_end]);
    out.push_str(&encoded);
    out.push_str(&text[close..]);
    out.into_bytes()
}

fn documents(c: &mut Criterion) {
    let document = match std::fs::read(EXAMPLE) {
        Ok(bytes) => bytes,
        Err(error) => {
            println!("validate: document benches skipped: cannot read {EXAMPLE}: {error}");
            return;
        }
    };
    let engine = Engine::new(Arc::new(
        Definitions::embedded().expect("embedded definitions"),
    ));
    engine.definitions().catalog.compile_all();
    let plain = CheckOptions::default();
    let fields = CheckOptions {
        include_fields: true,
        ..CheckOptions::default()
    };
    let content = document::body_of(&document).1;
    let report = engine.check(&document, None, &plain).expect("report");
    println!(
        "validate: 15007 CDA {} bytes, content {} bytes, verdict {:?}, {} findings",
        document.len(),
        content.len(),
        report.verdict,
        report.findings.len()
    );

    let mut group = c.benchmark_group("15007");
    group.throughput(Throughput::Elements(1));
    group.bench_function("floor_read_decode", |b| {
        b.iter(|| read_decode(black_box(&document)))
    });
    group.bench_function("check_cda", |b| {
        b.iter(|| engine.check(black_box(&document), None, &plain).unwrap())
    });
    group.bench_function("check_cda_fields", |b| {
        b.iter(|| engine.check(black_box(&document), None, &fields).unwrap())
    });
    group.bench_function("check_json", |b| {
        b.iter(|| engine.check(black_box(&content), None, &plain).unwrap())
    });
    group.finish();

    let large = grow(&content, LARGE_BYTES);
    let large_cda = with_content(&document, &large);
    let report = engine.check(&large, None, &plain).expect("report");
    println!(
        "validate: large content {} bytes (CDA {} bytes), verdict {:?}, {} findings",
        large.len(),
        large_cda.len(),
        report.verdict,
        report.findings.len()
    );
    let mut group = c.benchmark_group("large");
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("floor_read_decode", |b| {
        b.iter(|| read_decode(black_box(&large_cda)))
    });
    group.bench_function("check_cda", |b| {
        b.iter(|| engine.check(black_box(&large_cda), None, &plain).unwrap())
    });
    group.bench_function("check_json", |b| {
        b.iter(|| engine.check(black_box(&large), None, &plain).unwrap())
    });
    group.bench_function("check_json_fields", |b| {
        b.iter(|| engine.check(black_box(&large), None, &fields).unwrap())
    });
    group.finish();
}

fn catalog(c: &mut Criterion) {
    let mut group = c.benchmark_group("catalog");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("load", |b| {
        b.iter(|| Catalog::embedded().expect("catalog").len())
    });
    group.bench_function("load_compile_all", |b| {
        b.iter(|| {
            let catalog = Catalog::embedded().expect("catalog");
            assert!(catalog.compile_all().is_empty());
            catalog.len()
        })
    });
    group.bench_function("definitions_load_compile_all", |b| {
        b.iter(|| {
            let definitions = Definitions::embedded().expect("definitions");
            definitions.catalog.compile_all().len()
        })
    });
    group.finish();
}

criterion_group!(benches, documents, catalog);
criterion_main!(benches);
