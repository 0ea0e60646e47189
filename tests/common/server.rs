//! Starting the real gRPC server in a test, on ephemeral loopback ports, and talking to it.

use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::time::Duration;

use rakenne::service::pb::{self, conformance_service_client::ConformanceServiceClient};
use rakenne::service::{SERVICE_NAME, ServeError, ServerConfig, serve};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A plaintext channel to a server on `addr`.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Sends the signal `name` (`TERM`, `HUP`) to a `rakenne serve` child process.
pub fn signal(child: &std::process::Child, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{name} failed: {sent:?}");
}

/// The report a `Validate` call that must succeed answers with.
pub async fn report_of(
    client: &mut ConformanceServiceClient<Channel>,
    request: pb::ValidateRequest,
) -> pb::Report {
    client
        .validate(request)
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap()
}

/// Watches health until the conformance service is SERVING (no sleeps).
pub async fn wait_serving(addr: SocketAddr) {
    let mut health = HealthClient::new(channel(addr).await);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: SERVICE_NAME.into(),
        })
        .await
        .unwrap()
        .into_inner();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(message) = watch.message().await.unwrap() {
            if message.status == ServingStatus::Serving as i32 {
                return;
            }
        }
        panic!("health stream ended before SERVING");
    })
    .await
    .expect("server not SERVING within 30 s");
}

/// The whole HTTP/1.1 response (head and body) to `GET /metrics` on `addr`.
pub fn get_metrics(addr: SocketAddr) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// The body of a successful Prometheus scrape of `addr`.
pub async fn scrape(addr: SocketAddr) -> String {
    let response = tokio::task::spawn_blocking(move || get_metrics(addr))
        .await
        .unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    body.to_string()
}

/// The real server running in this test's runtime until [`TestServer::shutdown`].
pub struct TestServer {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<Result<(), ServeError>>,
}

impl TestServer {
    /// Binds 127.0.0.1:0 for gRPC and metrics, hands the listeners over, and waits until
    /// the service is SERVING.
    pub async fn start(config: ServerConfig) -> Self {
        let grpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = grpc.local_addr().unwrap();
        let metrics_addr = metrics.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(config, grpc, Some(metrics), async {
            let _ = stopped.await;
        }));
        wait_serving(addr).await;
        Self {
            addr,
            metrics_addr,
            stop: Some(stop),
            task,
        }
    }

    pub async fn channel(&self) -> Channel {
        channel(self.addr).await
    }

    pub async fn wait_serving(&self) {
        wait_serving(self.addr).await;
    }

    /// `GET /metrics` over plain HTTP/1.1: the body of a successful scrape.
    pub async fn scrape(&self) -> String {
        scrape(self.metrics_addr).await
    }

    /// Asks the server to stop and waits (at most 30 s) until it has.
    pub async fn shutdown(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("server did not stop")
            .unwrap()
            .unwrap();
    }
}

/// The JSON log lines a `rakenne serve` child process writes to its standard error, read
/// on a thread of their own.
pub struct JsonLog {
    lines: tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>,
}

impl JsonLog {
    /// Starts reading `stderr`. With `strict`, a line that is not JSON fails the test
    /// (every log line must be JSON); otherwise such lines are skipped.
    pub fn follow(stderr: std::process::ChildStderr, strict: bool) -> Self {
        use std::io::BufRead as _;
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let value: serde_json::Value = match serde_json::from_str(&line) {
                    Ok(value) => value,
                    Err(_) if strict => panic!("not a JSON log line: {line}"),
                    Err(_) => continue,
                };
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Self { lines }
    }

    /// The next line, or `None` once the server has exited and its lines are read.
    pub async fn next_line(&mut self) -> Option<serde_json::Value> {
        self.lines.recv().await
    }

    /// The next line whose `message` is `message`, waiting 30 s at most.
    pub async fn next(&mut self, message: &str) -> serde_json::Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(30), self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("no {message:?} log line"))
                .unwrap_or_else(|| panic!("the server exited before {message:?}"));
            if line["message"] == message {
                return line;
            }
        }
    }
}

/// The command for the real `rakenne serve` binary: gRPC on a free loopback port, metrics
/// and HTTP on `metrics` and `http` (an address or `off`), logging JSON at info level to a
/// piped standard error (take it, and follow it with [`JsonLog`]).
pub fn serve_command(metrics: &str, http: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rakenne"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--metrics-listen", metrics, "--http-listen", http])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    command
}

/// Starts [`serve_command`] with metrics and HTTP off; `extra` arguments are added to the
/// command line.
pub fn spawn_serve(extra: &[&std::ffi::OsStr]) -> std::process::Child {
    serve_command("off", "off")
        .args(extra)
        .spawn()
        .expect("the rakenne binary starts")
}

/// Holds checks at their start until opened, to keep requests in flight on demand (a
/// `ServerConfig::check_hook`).
pub struct Gate {
    /// Whether checks starting now are held; those already held wait for [`Gate::open`].
    holding: std::sync::atomic::AtomicBool,
    /// (opened, checks that reached the gate while holding).
    state: std::sync::Mutex<(bool, usize)>,
    changed: std::sync::Condvar,
}

impl Gate {
    /// A closed gate that holds checks from the start (`holding`) or only once
    /// [`Gate::hold`] says so.
    pub fn new(holding: bool) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            holding: std::sync::atomic::AtomicBool::new(holding),
            state: std::sync::Mutex::new((false, 0)),
            changed: std::sync::Condvar::new(),
        })
    }

    /// Whether checks starting from now on are held.
    pub fn hold(&self, holding: bool) {
        self.holding
            .store(holding, std::sync::atomic::Ordering::SeqCst);
    }

    /// The hook to put in the server's configuration.
    pub fn hook(self: &std::sync::Arc<Self>) -> rakenne::service::CheckHook {
        let gate = self.clone();
        std::sync::Arc::new(move || {
            if !gate.holding.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            let mut state = gate.state.lock().unwrap();
            state.1 += 1;
            gate.changed.notify_all();
            // Never hang a test for good.
            let _ = gate
                .changed
                .wait_timeout_while(state, Duration::from_secs(30), |(open, _)| !*open)
                .unwrap();
        })
    }

    /// Lets every held check go on, and every later one pass.
    pub fn open(&self) {
        self.state.lock().unwrap().0 = true;
        self.changed.notify_all();
    }

    /// Waits until `n` checks have reached the gate.
    pub async fn entered(self: &std::sync::Arc<Self>, n: usize) {
        let gate = self.clone();
        tokio::task::spawn_blocking(move || {
            let state = gate.state.lock().unwrap();
            let (state, timeout) = gate
                .changed
                .wait_timeout_while(state, Duration::from_secs(30), |(_, entered)| *entered < n)
                .unwrap();
            assert!(!timeout.timed_out(), "only {} checks started", state.1);
        })
        .await
        .unwrap();
    }

    /// How many checks have reached the gate while it held them.
    pub fn count(&self) -> usize {
        self.state.lock().unwrap().1
    }
}

/// A `rakenne serve` child process with gRPC, metrics and the HTTP API on free loopback
/// ports, and its JSON log (see [`spawn_serve_http`]).
pub struct HttpServe {
    pub child: std::process::Child,
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub metrics: SocketAddr,
    pub log: JsonLog,
}

impl Drop for HttpServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real `rakenne serve` binary with `--http-listen 127.0.0.1:0` (and gRPC and
/// metrics on free ports), logging JSON; `extra` arguments are added to the command line.
/// Reads the addresses from the log and waits for `ready`.
pub async fn spawn_serve_http(extra: &[&str]) -> HttpServe {
    let mut child = serve_command("127.0.0.1:0", "127.0.0.1:0")
        .args(extra)
        .spawn()
        .expect("the rakenne binary starts");
    let mut log = JsonLog::follow(child.stderr.take().unwrap(), true);
    let address = |line: &serde_json::Value, field: &str| -> SocketAddr {
        line[field]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no {field} address in {line}"))
    };
    let http = address(&log.next("http listening").await, "http");
    let listening = log.next("listening").await;
    let grpc = address(&listening, "grpc");
    let metrics = address(&listening, "metrics");
    log.next("ready").await;
    HttpServe {
        child,
        grpc,
        http,
        metrics,
        log,
    }
}

/// One HTTP/1.1 answer: status, headers (names in lower case) and body.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }
}

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole answer; blocking,
/// at most 30 s.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpAnswer {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading a large body, and close.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        let mut decoded = Vec::new();
        let mut rest = body.as_slice();
        while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&rest[..end])
                    .split(';')
                    .next()
                    .unwrap()
                    .trim(),
                16,
            )
            .unwrap();
            if size == 0 {
                break;
            }
            decoded.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[end + 2 + size + 2..];
        }
        body = decoded;
    }
    HttpAnswer {
        status,
        headers,
        body,
    }
}
