//! The attacker of `benches/adversarial.sh`: one hostile or buggy client of
//! `rakenne serve`, run for a bounded time while the load generator sends normal traffic.
//!
//! ```sh
//! cargo bench --bench adversarial -- --addr 127.0.0.1:50051 --attack uploads --seconds 20
//! ```
//!
//! Attacks (each repeats until `--seconds` are over):
//! - `uploads`: one connection opening 32 Validate streams (as many as the server allows
//!   at once) that send all but the last byte of a message near `--document-bytes` and
//!   wait;
//! - `unread`: a client with a zero flow-control window asking for answers with many
//!   findings and never reading them;
//! - `silent`: 400 connections opened and abandoned, half without the HTTP/2 preface,
//!   half after opening a stream;
//! - `labels`: Validate calls with random service task codes;
//! - `utf8`: Validate calls with invalid UTF-8 in string fields;
//! - `heavy`: 8 concurrent documents of about 12 MB (700,000 undefined keys each).
//!
//! Only 127.0.0.1 is allowed. Prints one JSON line: the attack, the calls it made and how
//! many the server refused or cut.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use prost::Message as _;
use rakenne::service::pb;
use tokio::net::TcpStream;
use tonic::codegen::Bytes;
use tonic::codegen::http;

const ROOT_KEY: &str = "lapsen_huoltajan_tarpeesta_tehdyn_ilmoituksen_arvio";
const VALIDATE: &str = "/rakenne.v1.ConformanceService/Validate";

struct Args {
    addr: SocketAddr,
    attack: String,
    seconds: u64,
    document_bytes: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: adversarial --addr 127.0.0.1:PORT --attack uploads|unread|silent|labels|utf8|heavy \
         [--seconds N] [--document-bytes BYTES]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        addr: "127.0.0.1:50051".parse().unwrap(),
        attack: String::new(),
        seconds: 20,
        document_bytes: 16 * 1024 * 1024,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--addr" => args.addr = value().parse().unwrap_or_else(|_| usage()),
            "--attack" => args.attack = value(),
            "--seconds" => args.seconds = value().parse().unwrap_or_else(|_| usage()),
            "--document-bytes" => args.document_bytes = value().parse().unwrap_or_else(|_| usage()),
            // `cargo bench` passes --bench.
            "--bench" => {}
            _ => usage(),
        }
    }
    if !args.addr.ip().is_loopback() || !args.addr.is_ipv4() {
        eprintln!("adversarial: only 127.0.0.1 is allowed, not {}", args.addr);
        std::process::exit(2);
    }
    args
}

fn grpc_frame(message: &[u8]) -> Bytes {
    let mut framed = Vec::with_capacity(message.len() + 5);
    framed.push(0);
    framed.extend((message.len() as u32).to_be_bytes());
    framed.extend_from_slice(message);
    Bytes::from(framed)
}

fn grpc_request(addr: SocketAddr) -> http::Request<()> {
    http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{VALIDATE}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap()
}

fn validate_message(document: Vec<u8>) -> Vec<u8> {
    pb::ValidateRequest {
        document,
        ..Default::default()
    }
    .encode_to_vec()
}

async fn h2_connect(
    addr: SocketAddr,
    window: u32,
) -> Option<(
    h2::client::SendRequest<Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
)> {
    let tcp = TcpStream::connect(addr).await.ok()?;
    let (send, connection) = h2::client::Builder::new()
        .initial_window_size(window)
        .handshake::<_, Bytes>(tcp)
        .await
        .ok()?;
    Some((send, tokio::spawn(connection)))
}

/// The status of a trailers-only answer, or of the trailers after a body.
async fn status_of(response: h2::client::ResponseFuture) -> Option<i32> {
    let response = response.await.ok()?;
    if let Some(code) = response.headers().get("grpc-status") {
        return code.to_str().ok()?.parse().ok();
    }
    let mut body = response.into_body();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.ok()?;
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    body.trailers()
        .await
        .ok()??
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[derive(Default)]
struct Tally {
    calls: u64,
    refused: u64,
    cut: u64,
}

async fn uploads(args: &Args, until: Instant, tally: &mut Tally) {
    let size = args.document_bytes.saturating_sub(64).max(1);
    let framed = grpc_frame(&validate_message(vec![b' '; size]));
    while Instant::now() < until {
        let mut calls = Vec::new();
        let mut connections = Vec::new();
        // One client: one connection with as many streams as the server allows.
        for _ in 0..1 {
            let Some((mut send, connection)) = h2_connect(args.addr, 1024 * 1024).await else {
                continue;
            };
            connections.push(connection);
            for _ in 0..32 {
                let Ok(ready) = send.ready().await else { break };
                send = ready;
                let Ok((response, mut body)) = send.send_request(grpc_request(args.addr), false)
                else {
                    break;
                };
                let _ = body.send_data(framed.slice(..framed.len() - 1), false);
                calls.push(tokio::spawn(async move {
                    let status = status_of(response).await;
                    drop(body);
                    status
                }));
            }
        }
        for call in calls {
            tally.calls += 1;
            match tokio::time::timeout(Duration::from_secs(120), call).await {
                Ok(Ok(Some(8))) => tally.refused += 1,
                Ok(Ok(Some(_))) | Ok(Ok(None)) | Ok(Err(_)) => tally.cut += 1,
                Err(_) => {}
            }
        }
        for connection in connections {
            connection.abort();
        }
    }
}

async fn unread(args: &Args, until: Instant, tally: &mut Tally) {
    let mut object = serde_json::Map::new();
    for i in 0..1000 {
        object.insert(format!("{i:0>300}"), 1.into());
    }
    let document = serde_json::to_vec(&serde_json::json!({ ROOT_KEY: object })).unwrap();
    let framed = grpc_frame(&validate_message(document));
    while Instant::now() < until {
        let Some((mut send, connection)) = h2_connect(args.addr, 0).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut held = Vec::new();
        for _ in 0..30 {
            let Ok(ready) = send.ready().await else { break };
            send = ready;
            let Ok((response, mut body)) = send.send_request(grpc_request(args.addr), false) else {
                break;
            };
            if body.send_data(framed.clone(), true).is_err() {
                break;
            }
            tally.calls += 1;
            // Hold the answer unread (dropping it would reset the stream).
            held.push(tokio::spawn(async move {
                let answer = response.await;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                drop((answer, body));
            }));
        }
        let remaining = until.saturating_duration_since(Instant::now());
        if tokio::time::timeout(remaining, connection).await.is_ok() {
            tally.cut += 1;
        }
        for task in held {
            task.abort();
        }
    }
}

async fn silent(args: &Args, until: Instant, tally: &mut Tally) {
    while Instant::now() < until {
        let mut held = Vec::new();
        for i in 0..400 {
            let Ok(tcp) = TcpStream::connect(args.addr).await else {
                break;
            };
            tally.calls += 1;
            if i % 2 == 0 {
                held.push(tokio::spawn(async move {
                    // Never a byte; wait for the server to close.
                    let mut buf = [0u8; 1];
                    let _ = tcp.readable().await;
                    let _ = tcp.try_read(&mut buf);
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }));
            } else {
                let addr = args.addr;
                held.push(tokio::spawn(async move {
                    let Ok((send, connection)) = h2::client::handshake(tcp).await else {
                        return;
                    };
                    if let Ok(mut send) = send.ready().await {
                        let _ = send.send_request(grpc_request(addr), false);
                    }
                    // Never polled again: no reads, no ping answers.
                    let _keep = connection;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }));
            }
        }
        let pause = until
            .saturating_duration_since(Instant::now())
            .min(Duration::from_secs(10));
        tokio::time::sleep(pause).await;
        for task in held {
            task.abort();
        }
    }
}

async fn calls(args: &Args, until: Instant, tally: &mut Tally, bad_utf8: bool) {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let document = serde_json::to_vec(&serde_json::json!({ ROOT_KEY: {} })).unwrap();
    while Instant::now() < until {
        let Some((mut send, connection)) = h2_connect(args.addr, 1024 * 1024).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut pending = Vec::new();
        for _ in 0..500 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut message = pb::ValidateRequest {
                document: document.clone(),
                service_task: if bad_utf8 {
                    String::new()
                } else {
                    (seed % 1_000_000).to_string()
                },
                ..Default::default()
            }
            .encode_to_vec();
            if bad_utf8 {
                let tag = 4 + (seed % 4) as u8;
                message.extend([(tag << 3) | 2, 2, 0xff, 0xfe]);
            }
            let Ok(ready) = send.ready().await else { break };
            send = ready;
            let Ok((response, mut body)) = send.send_request(grpc_request(args.addr), false) else {
                break;
            };
            let _ = body.send_data(grpc_frame(&message), true);
            pending.push(tokio::spawn(status_of(response)));
            if pending.len() >= 16 {
                for call in pending.drain(..) {
                    tally.calls += 1;
                    match call.await {
                        Ok(Some(0)) => {}
                        Ok(Some(_)) => tally.refused += 1,
                        _ => tally.cut += 1,
                    }
                }
            }
        }
        connection.abort();
    }
}

async fn heavy(args: &Args, until: Instant, tally: &mut Tally) {
    // About 12 MB: 700,000 keys the structure does not define, each a finding and a row.
    let mut object = serde_json::Map::new();
    for i in 0..700_000 {
        object.insert(format!("{i:0>12}"), 1.into());
    }
    let document = serde_json::to_vec(&serde_json::json!({ ROOT_KEY: object })).unwrap();
    let framed = grpc_frame(&validate_message(document));
    while Instant::now() < until {
        let mut calls = Vec::new();
        for _ in 0..8 {
            let Some((mut send, connection)) = h2_connect(args.addr, 16 * 1024 * 1024).await else {
                continue;
            };
            let framed = framed.clone();
            let addr = args.addr;
            calls.push(tokio::spawn(async move {
                send = send.ready().await.ok()?;
                let (response, mut body) = send.send_request(grpc_request(addr), false).ok()?;
                body.send_data(framed, true).ok()?;
                let status = status_of(response).await;
                connection.abort();
                status
            }));
        }
        for call in calls {
            tally.calls += 1;
            match call.await {
                Ok(Some(0)) => {}
                Ok(Some(_)) => tally.refused += 1,
                _ => tally.cut += 1,
            }
        }
    }
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let mut tally = Tally::default();
    runtime.block_on(async {
        match args.attack.as_str() {
            "uploads" => uploads(&args, until, &mut tally).await,
            "unread" => unread(&args, until, &mut tally).await,
            "silent" => silent(&args, until, &mut tally).await,
            "labels" => calls(&args, until, &mut tally, false).await,
            "utf8" => calls(&args, until, &mut tally, true).await,
            "heavy" => heavy(&args, until, &mut tally).await,
            _ => usage(),
        }
    });
    println!(
        "{{\"attack\":\"{}\",\"seconds\":{:.1},\"calls\":{},\"refused\":{},\"cut\":{}}}",
        args.attack,
        started.elapsed().as_secs_f64(),
        tally.calls,
        tally.refused,
        tally.cut
    );
    runtime.shutdown_timeout(Duration::from_secs(1));
}
