//! A fleet on this machine: three `rakenne serve` replicas behind a real gRPC-aware load
//! balancer (HAProxy from the Debian package, with `deploy/haproxy.cfg` unchanged), as a
//! platform team would run them. Fair shares, a rolling restart under load with no failed
//! request, a definitions reload on every replica, and a Prometheus-style sum over the
//! replicas' `/metrics` equal to the requests sent.
//!
//! Skips (saying so) when haproxy is not installed; fails instead with
//! RAKENNE_REQUIRE_FLEET=1, as in CI.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::fleet::{Guard, Replica, free_port, http_get, label_values, poll_until, sum_of};
use rakenne::definitions::Definitions;
use rakenne::service::pb::admin_client::AdminClient;
use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self, ReloadDefinitionsRequest};
use serde_json::json;
use tonic::transport::Channel;

/// A small national structure (as in tests/suite/service.rs).
const OID: &str = "1.2.246.537.6.1506.1004.2025.2.26";
/// Above the proxy's detection time (check every 500 ms, DOWN after one NOT_SERVING
/// answer, see deploy/haproxy.cfg) with room for a loaded machine.
const DRAIN_DELAY: &str = "3";
const REPLICAS: usize = 3;
/// The fair-share floor: each of three replicas gets at least this share of requests
/// (round robin gives a third; the margin absorbs retries and health-check timing).
const MIN_SHARE: f64 = 0.15;

fn document(i: usize) -> Vec<u8> {
    let definitions = Definitions::embedded().expect("embedded definitions");
    let root = definitions.catalog.get(OID).unwrap().root_key.clone();
    serde_json::to_vec(&json!({ root: {
        "asiakas": {
            "sukunimi": "Salainen",
            "etunimet": "Testi",
            "tilapainen_yksilointitunnus": {"value": format!("1.2.246.10.12345678.10.2024.{i}")}
        },
        "toimenpiteet": format!("Toimenpide numero {i}."),
        "laatija": {"sukunimi": "Laatija", "etunimet": "Liisa"}
    }}))
    .unwrap()
}

/// HAProxy running `deploy/haproxy.cfg` with the replicas' ports in its environment.
struct Proxy {
    listen: SocketAddr,
    stats: SocketAddr,
    _process: Guard,
}

impl Proxy {
    fn start(haproxy: &std::path::Path, replicas: &[Replica], dir: &std::path::Path) -> Self {
        let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy.cfg");
        let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let stats = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = std::fs::File::create(dir.join("haproxy.log")).unwrap();
        let mut command = Command::new(haproxy);
        command
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .env("RAKENNE_PROXY_LISTEN", listen.to_string())
            .env("RAKENNE_PROXY_STATS", stats.to_string())
            .stdout(Stdio::null())
            .stderr(log);
        for (n, replica) in replicas.iter().enumerate() {
            command.env(
                format!("RAKENNE_REPLICA_{}", n + 1),
                replica.grpc.to_string(),
            );
        }
        let process = Guard(command.spawn().expect("haproxy starts"));
        Self {
            listen,
            stats,
            _process: process,
        }
    }

    /// Each replica's status in HAProxy's statistics (UP, DOWN, ...), in order.
    fn statuses(&self) -> Vec<String> {
        let Ok((200, csv)) = http_get(self.stats, "/stats;csv") else {
            return Vec::new();
        };
        let mut out = vec![String::new(); REPLICAS];
        for line in csv.lines() {
            let fields: Vec<_> = line.split(',').collect();
            if fields.len() > 17
                && fields[0] == "rakenne"
                && let Some(n) = fields[1].strip_prefix("replica")
            {
                let n: usize = n.parse().unwrap();
                out[n - 1] = fields[17].to_string();
            }
        }
        out
    }

    /// Waits until HAProxy reports replica `n` (0-based) as `status` ("UP", "DOWN").
    async fn wait_status(&self, n: usize, status: &str) {
        poll_until(
            Duration::from_secs(30),
            &format!("haproxy reports replica{} {status}", n + 1),
            || {
                self.statuses()
                    .get(n)
                    .is_some_and(|s| s.split_whitespace().next() == Some(status))
            },
        )
        .await;
    }

    async fn client(&self) -> ConformanceServiceClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.listen))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .connect()
            .await
            .expect("connects to haproxy");
        ConformanceServiceClient::new(channel)
    }
}

/// Sends `count` documents through `client` from `concurrency` tasks at once; every call
/// must succeed.
async fn send(client: &ConformanceServiceClient<Channel>, count: usize, concurrency: usize) {
    let document = Arc::new(document(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (mut client, next, document) = (client.clone(), next.clone(), document.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::SeqCst) < count {
                client
                    .validate(pb::ValidateRequest {
                        document: document.to_vec(),
                        ..Default::default()
                    })
                    .await
                    .expect("a request through the proxy succeeds");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

/// The documents each replica has counted (`sum(rakenne_documents_total)` per target).
async fn counted(replicas: &[Replica]) -> Vec<f64> {
    let mut out = Vec::new();
    for replica in replicas {
        out.push(sum_of(&replica.scrape().await, "rakenne_documents_total"));
    }
    out
}

fn assert_fair(served: &[f64], sent: usize) {
    let total: f64 = served.iter().sum();
    // The Prometheus-style sum over the fleet equals what was sent.
    assert_eq!(total, sent as f64, "served per replica: {served:?}");
    for (n, share) in served.iter().enumerate() {
        assert!(
            *share >= MIN_SHARE * sent as f64,
            "replica{} served {share} of {sent} (per replica: {served:?})",
            n + 1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_behind_haproxy_restarts_without_failing_a_request() {
    let Some(tools) = common::fleet::tools(&["haproxy"]) else {
        return;
    };
    let dir = common::fleet::scratch("fleet");
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas
            .push(Replica::start(&["--drain-delay", DRAIN_DELAY, "--shutdown-grace", "10"]).await);
    }
    let proxy = Proxy::start(&tools[0], &replicas, &dir);
    for n in 0..REPLICAS {
        proxy.wait_status(n, "UP").await;
    }
    let client = proxy.client().await;

    // 1. Fair shares, and the fleet-wide sum equals the requests sent.
    const FIRST: usize = 600;
    send(&client, FIRST, 6).await;
    assert_fair(&counted(&replicas).await, FIRST);

    // 2. A rolling restart under load: no request fails.
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let document = Arc::new(document(1));
    let mut load = Vec::new();
    for _ in 0..3 {
        let (mut client, stop, ok, failures, document) = (
            client.clone(),
            stop.clone(),
            ok.clone(),
            failures.clone(),
            document.clone(),
        );
        load.push(tokio::spawn(async move {
            // Bounded: stops when told to, or after 20,000 requests at most.
            for _ in 0..20_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let call = client
                    .validate(pb::ValidateRequest {
                        document: document.to_vec(),
                        ..Default::default()
                    })
                    .await;
                match call {
                    Ok(_) => {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(status) => failures.lock().unwrap().push(format!(
                        "{:?}: {}",
                        status.code(),
                        status.message()
                    )),
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    for (n, replica) in replicas.iter_mut().enumerate() {
        let before = ok.load(Ordering::SeqCst);
        replica.terminate(Duration::from_secs(30)).await;
        assert_eq!(proxy.statuses()[n].split_whitespace().next(), Some("DOWN"));
        // HAProxy took it out of rotation on its NOT_SERVING answer (a Layer 7 check
        // result, during the drain), not on a refused connection (Layer 4) after it.
        let log = std::fs::read_to_string(dir.join("haproxy.log")).unwrap();
        let down = format!("Server rakenne/replica{} is DOWN, reason: Layer7", n + 1);
        assert!(
            log.contains(&down),
            "{down:?} not in the proxy's log:\n{log}"
        );
        replica.spawn().await;
        proxy.wait_status(n, "UP").await;
        assert!(
            ok.load(Ordering::SeqCst) > before,
            "load kept flowing while replica{} restarted",
            n + 1
        );
    }
    // A little more load on the restarted fleet, then stop.
    let settled = ok.load(Ordering::SeqCst);
    poll_until(
        Duration::from_secs(30),
        "load continues after the restart",
        || ok.load(Ordering::SeqCst) >= settled + 30,
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }
    let failures = failures.lock().unwrap().clone();
    let sent = ok.load(Ordering::SeqCst);
    eprintln!(
        "rolling restart: {sent} requests succeeded, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "failed during the rolling restart: {failures:?}"
    );

    // 3. Every replica back in rotation: fair shares and the sum again, from a baseline
    // (counters restarted with the processes).
    let baseline = counted(&replicas).await;
    const SECOND: usize = 300;
    send(&client, SECOND, 6).await;
    let after = counted(&replicas).await;
    let delta: Vec<f64> = after.iter().zip(&baseline).map(|(a, b)| a - b).collect();
    assert_fair(&delta, SECOND);

    // 4. Reload the definitions on every replica: one catalog version fleet-wide.
    let mut versions = Vec::new();
    for replica in &replicas {
        let channel = common::server::channel(replica.grpc).await;
        let reloaded = AdminClient::new(channel)
            .reload_definitions(ReloadDefinitionsRequest::default())
            .await
            .expect("reload succeeds")
            .into_inner();
        let scrape = replica.scrape().await;
        assert_eq!(sum_of(&scrape, "rakenne_reload_total"), 1.0, "{scrape}");
        let info = label_values(&scrape, "rakenne_catalog_info", "version", "1");
        assert_eq!(info, vec![reloaded.catalog_version.clone()], "{scrape}");
        versions.push(reloaded.catalog_version);
    }
    assert!(!versions[0].is_empty());
    assert!(
        versions.iter().all(|v| *v == versions[0]),
        "catalog versions differ: {versions:?}"
    );
}
