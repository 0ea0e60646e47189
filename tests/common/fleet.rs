//! Running `rakenne serve` replicas as child processes behind third-party programs (a
//! load balancer, a container builder, kubectl): finding those programs, skipping when
//! they are missing (or failing, in CI), plain HTTP/1.1 GETs, and scrape arithmetic.

use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::JsonLog;

/// The program `name` on PATH (or in /usr/sbin and /sbin, where Debian puts daemons such
/// as haproxy), if installed.
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Whether a test that needs a missing program must fail rather than skip: CI sets
/// RAKENNE_REQUIRE_FLEET=1 after installing them.
pub fn required() -> bool {
    std::env::var("RAKENNE_REQUIRE_FLEET").is_ok_and(|v| v == "1")
}

/// Says why the test does not run, visibly; panics instead when CI requires it to run.
pub fn skip(reason: &str) {
    assert!(
        !required(),
        "RAKENNE_REQUIRE_FLEET=1 but the test cannot run: {reason}"
    );
    eprintln!("skipped: {reason} (set RAKENNE_REQUIRE_FLEET=1 to make this a failure)");
}

/// Every program of `names`, or `None` after saying which are missing (see [`skip`]).
pub fn tools(names: &[&str]) -> Option<Vec<PathBuf>> {
    let found: Vec<_> = names.iter().map(|name| tool(name)).collect();
    let missing: Vec<_> = names
        .iter()
        .zip(&found)
        .filter(|(_, path)| path.is_none())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        skip(&format!("{} not installed", missing.join(", ")));
        return None;
    }
    Some(found.into_iter().map(Option::unwrap).collect())
}

/// A scratch directory under target/tmp for one test, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port free right now (bound, then released) for programs that must be told
/// their port in advance.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status and body of `GET path` on `addr` over HTTP/1.1.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Chunked bodies (HAProxy's statistics) are decoded; others are taken as they are.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// The sum of every sample of `metric` (all label sets) in a Prometheus text scrape, as
/// `sum(metric)` would give for one target.
pub fn sum_of(scrape: &str, metric: &str) -> f64 {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            let name = key.split('{').next()?;
            (name == metric).then(|| value.parse::<f64>().unwrap())
        })
        .sum()
}

/// The label value `label` of the samples of `metric` whose value is `value`.
pub fn label_values(scrape: &str, metric: &str, label: &str, value: &str) -> Vec<String> {
    let prefix = format!("{metric}{{");
    let needle = format!("{label}=\"");
    scrape
        .lines()
        .filter(|line| line.starts_with(&prefix) && line.ends_with(&format!(" {value}")))
        .filter_map(|line| {
            let start = line.find(&needle)? + needle.len();
            let end = start + line[start..].find('"')?;
            Some(line[start..end].to_string())
        })
        .collect()
}

/// One `rakenne serve` replica as a child process, on fixed loopback ports (so it comes
/// back on the same ones after a restart), killed when dropped.
pub struct Replica {
    pub grpc: SocketAddr,
    pub metrics: SocketAddr,
    extra: Vec<String>,
    child: Option<Child>,
    log: Option<JsonLog>,
}

impl Replica {
    /// Starts a replica on free ports with `extra` arguments and waits for its `ready`
    /// log line.
    pub async fn start(extra: &[&str]) -> Self {
        let mut replica = Self {
            grpc: SocketAddr::from(([127, 0, 0, 1], free_port())),
            metrics: SocketAddr::from(([127, 0, 0, 1], free_port())),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            log: None,
        };
        replica.spawn().await;
        replica
    }

    /// Starts the process (again) on this replica's ports and waits until it is ready.
    pub async fn spawn(&mut self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rakenne"))
            .args(["serve", "--log-format", "json", "--http-listen", "off"])
            .arg("--listen")
            .arg(self.grpc.to_string())
            .arg("--metrics-listen")
            .arg(self.metrics.to_string())
            .args(&self.extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the rakenne binary starts");
        let mut log = JsonLog::follow(child.stderr.take().unwrap(), false);
        self.child = Some(child);
        log.next("ready").await;
        self.log = Some(log);
    }

    /// The next log line whose message is `message` (30 s at most).
    pub async fn log_line(&mut self, message: &str) -> serde_json::Value {
        self.log.as_mut().expect("running").next(message).await
    }

    /// Sends SIGTERM and waits (at most `within`) for a clean exit.
    pub async fn terminate(&mut self, within: Duration) {
        let mut child = self.child.take().expect("running");
        super::server::signal(&child, "TERM");
        let status =
            tokio::time::timeout(within, tokio::task::spawn_blocking(move || child.wait()))
                .await
                .expect("the replica stops within its drain delay and grace")
                .unwrap()
                .unwrap();
        assert!(status.success(), "{status:?}");
        self.log = None;
    }

    /// `GET /metrics`: the body of a successful scrape.
    pub async fn scrape(&self) -> String {
        let addr = self.metrics;
        let (status, body) = tokio::task::spawn_blocking(move || http_get(addr, "/metrics"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status, 200, "{body}");
        body
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A child process killed (by its id) when dropped: a proxy, a helper server.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `ready` every 100 ms until it answers true, for at most `within`.
pub async fn poll_until(within: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < within, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
