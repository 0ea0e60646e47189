//! The soak driver of `benches/soak.sh`: unary `Validate` calls at a fixed concurrency
//! against a running `rakenne serve` on loopback, over a mix of documents whose outcome is
//! known (fully and partly conformant, unreadable, and oversize, which must be refused
//! with RESOURCE_EXHAUSTED). Any other outcome is an unexpected error.
//!
//! ```sh
//! cargo bench --bench soak -- --addr 127.0.0.1:50051 --total 20000 --concurrency 64 \
//!     --oversize-bytes 300000
//! ```
//!
//! Prints one JSON line: totals, unexpected errors (with the first few described),
//! requests/s and latency percentiles (µs).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{ValidateRequest, Verdict};
use tonic::Code;
use tonic::transport::Endpoint;

/// What a document must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Verdict(Verdict),
    Refused(Code),
}

fn documents(oversize_bytes: usize) -> Vec<(&'static str, Vec<u8>, Expect)> {
    let mut oversize = br#"{"oma_pohja": {"teksti": ""#.to_vec();
    oversize.resize(oversize_bytes, b'x');
    oversize.extend_from_slice(br#""}}"#);
    vec![
        (
            "fully",
            include_bytes!("../fixtures/lastensuojeluilmoitus-taysi.json").to_vec(),
            Expect::Verdict(Verdict::FullyConformant),
        ),
        (
            "partly-json",
            include_bytes!("../fixtures/toimeenpanopaatos-pakollinen-puuttuu.json").to_vec(),
            Expect::Verdict(Verdict::PartlyConformant),
        ),
        (
            "partly-cda",
            include_bytes!("../fixtures/asiakkuus-asiakirjaryhma.xml").to_vec(),
            Expect::Verdict(Verdict::PartlyConformant),
        ),
        (
            "unreadable-json",
            include_bytes!("../fixtures/json-rikki.json").to_vec(),
            Expect::Verdict(Verdict::Unreadable),
        ),
        (
            "unreadable-xml",
            include_bytes!("../fixtures/katkennut-xml.xml").to_vec(),
            Expect::Verdict(Verdict::Unreadable),
        ),
        (
            "oversize",
            oversize,
            Expect::Refused(Code::ResourceExhausted),
        ),
    ]
}

struct Args {
    addr: SocketAddr,
    total: usize,
    concurrency: usize,
    oversize_bytes: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        addr: "127.0.0.1:50051".parse().unwrap(),
        total: 20_000,
        concurrency: 64,
        oversize_bytes: 300_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().expect("a value after the flag");
        match arg.as_str() {
            "--bench" => {}
            "--addr" => args.addr = value().parse().expect("--addr HOST:PORT"),
            "--total" => args.total = value().parse().expect("--total N"),
            "--concurrency" => args.concurrency = value().parse().expect("--concurrency N"),
            "--oversize-bytes" => {
                args.oversize_bytes = value().parse().expect("--oversize-bytes N")
            }
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(args.addr.ip().is_loopback(), "loopback only");
    args
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(args));
}

async fn run(args: Args) {
    let docs = Arc::new(documents(args.oversize_bytes));
    // Four connections, shared by the workers.
    let mut clients = Vec::new();
    for _ in 0..4 {
        let channel = Endpoint::from_shared(format!("http://{}", args.addr))
            .unwrap()
            .connect()
            .await
            .expect("connect");
        clients.push(
            ConformanceServiceClient::new(channel)
                .max_encoding_message_size(64 * 1024 * 1024)
                .max_decoding_message_size(64 * 1024 * 1024),
        );
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..args.concurrency {
        let mut client = clients[w % clients.len()].clone();
        let docs = docs.clone();
        let next = next.clone();
        let total = args.total;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut unexpected = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                // Oversize one in 50; the rest evenly.
                let pick = if i % 50 == 49 {
                    docs.len() - 1
                } else {
                    i % (docs.len() - 1)
                };
                let (name, document, expect) = &docs[pick];
                let request = tonic::Request::new(ValidateRequest {
                    document: document.clone(),
                    ..Default::default()
                });
                let t = Instant::now();
                let result = client.validate(request).await;
                latencies.push(t.elapsed().as_micros() as u64);
                let ok = match (&result, expect) {
                    (Ok(r), Expect::Verdict(v)) => r
                        .get_ref()
                        .report
                        .as_ref()
                        .is_some_and(|r| r.verdict == *v as i32),
                    (Err(s), Expect::Refused(code)) => s.code() == *code,
                    _ => false,
                };
                if !ok {
                    let got = match &result {
                        Ok(r) => format!("{:?}", r.get_ref().report.as_ref().map(|r| r.verdict)),
                        Err(s) => format!("{:?}: {}", s.code(), s.message()),
                    };
                    unexpected.push(format!("{name}: {got}"));
                }
            }
            (latencies, unexpected)
        }));
    }
    let mut latencies = Vec::with_capacity(args.total);
    let mut unexpected = Vec::new();
    for worker in workers {
        let (l, u) = worker.await.unwrap();
        latencies.extend(l);
        unexpected.extend(u);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| -> u64 {
        if latencies.is_empty() {
            return 0;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[i]
    };
    let line = serde_json::json!({
        "total": latencies.len(),
        "concurrency": args.concurrency,
        "unexpected": unexpected.len(),
        "unexpected_first": unexpected.iter().take(5).collect::<Vec<_>>(),
        "seconds": (elapsed.as_secs_f64() * 10.0).round() / 10.0,
        "requests_per_second": (latencies.len() as f64 / elapsed.max(Duration::from_millis(1)).as_secs_f64()).round(),
        "p50_us": pct(0.50),
        "p90_us": pct(0.90),
        "p99_us": pct(0.99),
        "p999_us": pct(0.999),
        "max_us": latencies.last().copied().unwrap_or(0),
    });
    println!("{line}");
    if !unexpected.is_empty() {
        std::process::exit(1);
    }
}
