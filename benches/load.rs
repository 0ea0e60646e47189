//! A load generator for `rakenne serve` on loopback.
//!
//! ```sh
//! cargo bench --bench load -- --addr 127.0.0.1:50051 --streams 16 --requests 100000
//! ```
//!
//! It opens `--streams` concurrent `ValidateStream` calls (each keeping `--window`
//! documents in flight) over `--connections` HTTP/2 connections, sends `--requests`
//! documents in all, and stops. It reports requests/s, p50 / p99 / max latency (from
//! sending a document to receiving its report) and errors (a stream that fails, or a
//! response carrying a request error). With `--mode unary` every document is one
//! `Validate` call instead.
//!
//! `--wait-serving` first polls `grpc.health.v1` until the conformance service is
//! SERVING and prints how long that took since `--since-unix-ns` (the caller's clock
//! reading just before it started the server).
//!
//! It only talks to 127.0.0.1 (any other address is refused), and prints one JSON line
//! on standard output (`--json`) or a readable summary.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self, ValidateRequest, ValidateStreamRequest};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, Endpoint};

const DEFAULT_DOCUMENT: &str = "../shared/kanta-examples/asia_ja_rajoitukset_testi_S.xml";

#[derive(Debug, Clone)]
struct Args {
    addr: SocketAddr,
    streams: usize,
    requests: usize,
    window: usize,
    connections: usize,
    document: String,
    unary: bool,
    include_fields: bool,
    wait_serving: bool,
    since_unix_ns: Option<u128>,
    json: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: load [--addr 127.0.0.1:PORT] [--streams N] [--requests N] [--window N] \
         [--connections N] [--document FILE] [--mode stream|unary] [--include-fields] \
         [--wait-serving [--since-unix-ns NS]] [--json]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        addr: "127.0.0.1:50051".parse().unwrap(),
        streams: 16,
        requests: 100_000,
        window: 4,
        connections: 2,
        document: DEFAULT_DOCUMENT.to_string(),
        unary: false,
        include_fields: false,
        wait_serving: false,
        since_unix_ns: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            // cargo bench passes `--bench` to every bench target.
            "--bench" => {}
            "--addr" => args.addr = value().parse().unwrap_or_else(|_| usage()),
            "--streams" => args.streams = value().parse().unwrap_or_else(|_| usage()),
            "--requests" => args.requests = value().parse().unwrap_or_else(|_| usage()),
            "--window" => args.window = value().parse().unwrap_or_else(|_| usage()),
            "--connections" => args.connections = value().parse().unwrap_or_else(|_| usage()),
            "--document" => args.document = value(),
            "--mode" => {
                args.unary = match value().as_str() {
                    "unary" => true,
                    "stream" => false,
                    _ => usage(),
                }
            }
            "--include-fields" => args.include_fields = true,
            "--wait-serving" => args.wait_serving = true,
            "--since-unix-ns" => {
                args.since_unix_ns = Some(value().parse().unwrap_or_else(|_| usage()))
            }
            "--json" => args.json = true,
            "-h" | "--help" => usage(),
            other => {
                eprintln!("load: unknown argument {other}");
                usage()
            }
        }
    }
    if !args.addr.ip().is_loopback() || !args.addr.is_ipv4() {
        eprintln!("load: only 127.0.0.1 is allowed, not {}", args.addr);
        std::process::exit(2);
    }
    args.streams = args.streams.max(1);
    args.window = args.window.max(1);
    args.connections = args.connections.clamp(1, args.streams);
    args
}

fn main() {
    let args = parse_args();
    let document = match std::fs::read(&args.document) {
        Ok(bytes) => bytes,
        Err(error) => {
            // Benches that need ../shared skip cleanly when it is absent.
            println!("load: skipped: cannot read {}: {error}", args.document);
            return;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(run(args, document));
    std::process::exit(code);
}

async fn connect(addr: SocketAddr) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .tcp_nodelay(true)
        .connect()
        .await
}

async fn wait_serving(args: &Args) -> Result<Duration, String> {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let started = Instant::now();
    let give_up = Duration::from_secs(30);
    loop {
        if started.elapsed() > give_up {
            return Err("the service did not turn SERVING within 30 s".into());
        }
        if let Ok(channel) = connect(args.addr).await {
            let mut health = HealthClient::new(channel);
            let request = HealthCheckRequest {
                service: "rakenne.v1.ConformanceService".into(),
            };
            if let Ok(response) = health.check(request).await
                && response.into_inner().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                return Ok(match args.since_unix_ns {
                    Some(since) => Duration::from_nanos(now.saturating_sub(since) as u64),
                    None => started.elapsed(),
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn request(args: &Args, document: &Arc<Vec<u8>>) -> ValidateRequest {
    ValidateRequest {
        document: document.as_ref().clone(),
        format: pb::Format::Auto as i32,
        include_fields: args.include_fields,
        ..ValidateRequest::default()
    }
}

/// What one stream (or unary caller) measured.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

async fn run(args: Args, document: Vec<u8>) -> i32 {
    let mut serving = None;
    if args.wait_serving {
        match wait_serving(&args).await {
            Ok(elapsed) => serving = Some(elapsed),
            Err(error) => {
                eprintln!("load: {error}");
                return 1;
            }
        }
    }
    let mut channels = Vec::new();
    for _ in 0..args.connections {
        match connect(args.addr).await {
            Ok(channel) => channels.push(channel),
            Err(error) => {
                eprintln!("load: cannot connect to {}: {error}", args.addr);
                return 1;
            }
        }
    }
    let document = Arc::new(document);
    // Split the fixed request count over the streams.
    let per = args.requests / args.streams;
    let extra = args.requests % args.streams;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..args.streams {
        let count = per + usize::from(s < extra);
        let client = ConformanceServiceClient::new(channels[s % channels.len()].clone())
            .max_decoding_message_size(64 * 1024 * 1024);
        let req = request(&args, &document);
        let window = args.window;
        tasks.push(if args.unary {
            tokio::spawn(unary(client, req, count))
        } else {
            tokio::spawn(stream(client, req, count, window, s))
        });
    }
    let mut all = Outcome::default();
    for task in tasks {
        let outcome = task.await.unwrap_or_else(|error| Outcome {
            errors: 1,
            first_error: Some(error.to_string()),
            ..Outcome::default()
        });
        all.latencies.extend(outcome.latencies);
        all.errors += outcome.errors;
        if all.first_error.is_none() {
            all.first_error = outcome.first_error;
        }
    }
    let elapsed = started.elapsed();
    report(&args, &mut all, elapsed, serving);
    i32::from(all.errors > 0)
}

async fn unary(
    mut client: ConformanceServiceClient<Channel>,
    req: ValidateRequest,
    count: usize,
) -> Outcome {
    let mut outcome = Outcome {
        latencies: Vec::with_capacity(count),
        ..Outcome::default()
    };
    for _ in 0..count {
        let sent = Instant::now();
        match client.validate(req.clone()).await {
            Ok(response) if response.get_ref().report.is_some() => {
                outcome.latencies.push(sent.elapsed())
            }
            Ok(_) => {
                outcome.errors += 1;
                outcome
                    .first_error
                    .get_or_insert_with(|| "a response without a report".into());
            }
            Err(status) => {
                outcome.errors += 1;
                outcome
                    .first_error
                    .get_or_insert_with(|| format!("{status}"));
            }
        }
    }
    outcome
}

async fn stream(
    mut client: ConformanceServiceClient<Channel>,
    req: ValidateRequest,
    count: usize,
    window: usize,
    stream_no: usize,
) -> Outcome {
    let mut outcome = Outcome {
        latencies: Vec::with_capacity(count),
        ..Outcome::default()
    };
    if count == 0 {
        return outcome;
    }
    let (tx, rx) = mpsc::channel::<ValidateStreamRequest>(window);
    let item = |i: usize| ValidateStreamRequest {
        request_id: format!("{stream_no}-{i}"),
        request: Some(req.clone()),
    };
    let mut sent_at: VecDeque<Instant> = VecDeque::with_capacity(window);
    let mut sent = 0;
    // Fill the window before the call starts, so the first messages go with the headers.
    while sent < count.min(window) {
        sent_at.push_back(Instant::now());
        let _ = tx.send(item(sent)).await;
        sent += 1;
    }
    let mut responses = match client.validate_stream(ReceiverStream::new(rx)).await {
        Ok(response) => response.into_inner(),
        Err(status) => {
            outcome.errors = count;
            outcome.first_error = Some(status.to_string());
            return outcome;
        }
    };
    let mut tx = Some(tx);
    let mut received = 0;
    while received < count {
        match responses.next().await {
            Some(Ok(response)) => {
                let at = sent_at.pop_front().unwrap_or_else(Instant::now);
                received += 1;
                match response.result {
                    Some(pb::validate_stream_response::Result::Report(_)) => {
                        outcome.latencies.push(at.elapsed())
                    }
                    other => {
                        outcome.errors += 1;
                        outcome
                            .first_error
                            .get_or_insert_with(|| format!("request error: {other:?}"));
                    }
                }
                if sent < count
                    && let Some(tx) = &tx
                {
                    sent_at.push_back(Instant::now());
                    if tx.send(item(sent)).await.is_err() {
                        break;
                    }
                    sent += 1;
                }
                if sent == count {
                    // Half-close: the server ends the stream after the last response.
                    tx = None;
                }
            }
            Some(Err(status)) => {
                outcome
                    .first_error
                    .get_or_insert_with(|| status.to_string());
                break;
            }
            None => break,
        }
    }
    outcome.errors += count - received;
    outcome
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(args: &Args, all: &mut Outcome, elapsed: Duration, serving: Option<Duration>) {
    all.latencies.sort_unstable();
    let ok = all.latencies.len();
    let rps = ok as f64 / elapsed.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (p50, p99, max) = (
        percentile(&all.latencies, 50.0),
        percentile(&all.latencies, 99.0),
        all.latencies.last().copied().unwrap_or_default(),
    );
    if args.json {
        println!(
            "{{\"mode\":\"{}\",\"streams\":{},\"window\":{},\"requests\":{},\"ok\":{ok},\"errors\":{},\
             \"seconds\":{:.3},\"rps\":{rps:.0},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\
             \"serving_s\":{}}}",
            if args.unary { "unary" } else { "stream" },
            args.streams,
            args.window,
            args.requests,
            all.errors,
            elapsed.as_secs_f64(),
            ms(p50),
            ms(p99),
            ms(max),
            serving.map_or("null".to_string(), |d| format!("{:.3}", d.as_secs_f64())),
        );
    } else {
        if let Some(serving) = serving {
            println!("health SERVING after {:.3} s", serving.as_secs_f64());
        }
        println!(
            "{} requests ({} streams × window {}, {}): {ok} ok, {} errors in {:.2} s",
            args.requests,
            args.streams,
            args.window,
            if args.unary { "unary" } else { "stream" },
            all.errors,
            elapsed.as_secs_f64()
        );
        println!(
            "{rps:.0} requests/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(p50),
            ms(p99),
            ms(max)
        );
    }
    if let Some(error) = &all.first_error {
        eprintln!("load: first error: {error}");
    }
}
