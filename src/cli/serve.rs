//! `rakenne serve`: the gRPC service, health, reflection and Prometheus metrics; TLS and
//! client authentication; reload of the definitions on SIGHUP; the HTTP/JSON API and page.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use rakenne::service::{self, DefinitionsSource as Definitions, ServerConfig, TlsConfig};

use super::{DefinitionsSource, EXIT_OK, LimitArgs};

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Signals: SIGTERM or SIGINT stop the server gracefully; SIGHUP (or the \
rakenne.v1.Admin/ReloadDefinitions RPC) reloads the definitions: the new catalog is swapped in \
once loaded, requests in flight finish on the old one, and a catalog that fails to load is \
refused (logged, counted in rakenne_reload_total{outcome=\"failed\"}) while the old one stays. \
A reload is all or nothing: a catalog with any structure file that fails, or missing \
structures the running one has, is refused (rakenne_reload_total{outcome=\"refused\"}) \
unless --allow-partial.\n\n\
Shared-service bounds: no single client can exhaust the server. The defaults suit a \
shared test environment or CI farm on a 1 GiB container; see the README, Hardening."
)]
pub struct ServeArgs {
    /// Address of the gRPC service (port 0: any free port, logged at start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Address of the Prometheus endpoint (GET /metrics), or `off`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub metrics_listen: Listen,
    /// Address of the HTTP/JSON API and the page at `/` (port 0: any free port, logged at
    /// start), or `off`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub http_listen: Listen,
    /// Let pages from this origin (e.g. `https://tools.example`, or `*`) call the HTTP API
    /// from a browser (CORS). Without it, no CORS headers are sent.
    #[arg(long, value_name = "ORIGIN")]
    pub http_cors_origin: Option<String>,
    #[command(flatten)]
    pub source: DefinitionsSource,
    /// Log format (one line per request, to stderr); the level comes from RUST_LOG
    /// (default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Checks running at once; more requests wait within their deadline [default: 2 ×
    /// cores].
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Seconds one document may take, waiting for a check slot included, when the client
    /// sets no shorter deadline; then DEADLINE_EXCEEDED. 0: only the client's deadline.
    #[arg(long, value_name = "SECONDS", default_value_t = service::DEFAULT_REQUEST_TIMEOUT.as_secs_f64())]
    pub request_timeout: f64,
    /// PEM certificate chain of the server: the gRPC listener speaks TLS (needs
    /// --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the server (needs --tls-cert).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA certificate(s): clients must present a certificate issued by one (mutual
    /// TLS); others are refused during the handshake (needs --tls-cert).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// Documents of one ValidateStream read ahead of the responses the client has taken.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub stream_window: usize,
    /// Seconds to let requests in flight finish after SIGTERM or SIGINT.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub shutdown_grace: u64,
    /// Seconds between SIGTERM or SIGINT and closing the listener: health turns
    /// NOT_SERVING at once but connections and requests are still served, so a load
    /// balancer's health check takes the server out of rotation first. Behind one, set it
    /// above the balancer's detection time (check interval × failures); 0 (alone, or when
    /// the orchestrator removes the endpoint itself): close at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    pub drain_delay: f64,
    /// Accept a reload (SIGHUP or ReloadDefinitions) whose catalog is partial: structure
    /// files that fail are left out and structures may be lost. Off: such a reload is
    /// refused and the running catalog stays.
    #[arg(long)]
    pub allow_partial: bool,
    #[command(flatten)]
    pub hardening: HardeningArgs,
}

/// Bounds on what one client can hold of a shared server.
#[derive(Debug, Clone, clap::Args)]
pub struct HardeningArgs {
    /// MiB of documents being received, checked and answered, server-wide (one
    /// connection holds at most a quarter); a request that cannot get its share in time
    /// is RESOURCE_EXHAUSTED. The default keeps RSS near
    /// 1 GiB: messages buffer at up to twice their size, and the catalog and running
    /// checks need the rest.
    #[arg(long, value_name = "MIB", default_value_t = service::DEFAULT_MEMORY_BUDGET_BYTES / (1024 * 1024))]
    pub memory_budget: usize,
    /// Documents from this many bytes up are heavy and also need a slot of a smaller
    /// pool, so heavy ones never take every check slot and small ones keep their latency.
    #[arg(long, value_name = "BYTES", default_value_t = service::DEFAULT_HEAVY_DOCUMENT_BYTES)]
    pub heavy_document_bytes: usize,
    /// Heavy documents checked at once [default: a quarter of --max-concurrency, at least
    /// 1]; each may need some 20 times its size in memory while checked.
    #[arg(long, value_name = "N")]
    pub heavy_concurrency: Option<usize>,
    /// Connections open at once on the gRPC listener; more wait in the listen backlog.
    /// Below the usual 1024 open-file limit, so a flood of connections cannot starve the
    /// server of file descriptors.
    #[arg(long, value_name = "N", default_value_t = service::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Calls open at once on one HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS):
    /// enough for a batch client, few enough that one connection cannot open hundreds of
    /// uploads.
    #[arg(long, value_name = "N", default_value_t = service::DEFAULT_MAX_CONCURRENT_STREAMS)]
    pub max_concurrent_streams: u32,
    /// Seconds a new connection has to finish TLS and send its HTTP/2 preface; long
    /// enough for a slow network, short enough that silent sockets do not pile up.
    #[arg(long, value_name = "SECONDS", default_value_t = service::DEFAULT_HANDSHAKE_TIMEOUT.as_secs())]
    pub handshake_timeout: u64,
    /// Seconds between HTTP/2 keepalive pings (0: none). With --keepalive-timeout a dead
    /// or silent peer is closed within a minute; a connection from which nothing arrives
    /// for both together is closed too.
    #[arg(long, value_name = "SECONDS", default_value_t = service::DEFAULT_KEEPALIVE_INTERVAL.as_secs())]
    pub keepalive_interval: u64,
    /// Seconds a keepalive ping may go unanswered before the connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = service::DEFAULT_KEEPALIVE_TIMEOUT.as_secs())]
    pub keepalive_timeout: u64,
    /// Seconds after which a connection is asked to go away (GOAWAY) and the client
    /// reconnects, so a load balancer can spread long-lived clients again (0: never).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub max_connection_age: u64,
    /// Seconds a Validate request's message has to arrive whole; then
    /// DEADLINE_EXCEEDED (0: no limit). Uploads held open unfinished cannot hold memory.
    #[arg(long, value_name = "SECONDS", default_value_t = service::DEFAULT_RECEIVE_TIMEOUT.as_secs())]
    pub receive_timeout: u64,
    /// Seconds an answer may wait for a client that does not read it (zero flow-control
    /// window) before the connection is closed (0: for ever).
    #[arg(long, value_name = "SECONDS", default_value_t = service::DEFAULT_SEND_TIMEOUT.as_secs())]
    pub send_timeout: u64,
    /// Connections open at once on the metrics listener (a scraper needs one or two).
    #[arg(long, value_name = "N", default_value_t = service::DEFAULT_METRICS_MAX_CONNECTIONS)]
    pub metrics_max_connections: usize,
    /// Seconds a metrics connection may stay without sending anything (a half-sent
    /// request header, or idle between scrapes) before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = service::DEFAULT_METRICS_HEADER_TIMEOUT.as_secs())]
    pub metrics_header_timeout: u64,
}

/// Seconds as a duration, 0 as `None`.
fn seconds(value: u64) -> Option<Duration> {
    (value > 0).then(|| Duration::from_secs(value))
}

/// A listen address, or `off`.
#[derive(Debug, Clone, Copy)]
pub struct Listen(pub Option<SocketAddr>);

impl FromStr for Listen {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.eq_ignore_ascii_case("off") {
            return Ok(Self(None));
        }
        value
            .parse()
            .map(|addr| Self(Some(addr)))
            .map_err(|_| format!("not an address (host:port) or off: {value}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A log line that cannot be written (nobody reads standard error any more) is lost,
    // not reported: tracing-subscriber would report it with `eprintln!`, which panics on
    // the same broken stderr and takes the request with it.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    // Another subscriber already set (an embedding test) is not an error.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

fn read_pem(path: &PathBuf, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

fn tls_config(args: &ServeArgs) -> anyhow::Result<Option<TlsConfig>> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    Ok(Some(TlsConfig {
        cert_pem: read_pem(cert, "TLS certificate")?,
        key_pem: read_pem(key, "TLS key")?,
        client_ca_pem: match &args.client_ca {
            Some(ca) => Some(read_pem(ca, "client CA certificate")?),
            None => None,
        },
    }))
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.log_format);
    if !(args.request_timeout.is_finite() && args.request_timeout >= 0.0) {
        anyhow::bail!("--request-timeout must be a number of seconds, 0 or more");
    }
    if !(args.drain_delay.is_finite() && (0.0..=3600.0).contains(&args.drain_delay)) {
        anyhow::bail!("--drain-delay must be a number of seconds from 0 to 3600");
    }
    let config = ServerConfig {
        max_document_bytes: args.limits.max_document_bytes,
        max_xml_depth: args.limits.max_xml_depth,
        max_json_depth: args.limits.max_json_depth,
        max_findings: args.limits.max_findings,
        request_timeout: (args.request_timeout > 0.0)
            .then(|| Duration::from_secs_f64(args.request_timeout.min(1e9))),
        tls: tls_config(&args)?,
        reload_on_sighup: true,
        max_concurrency: args
            .max_concurrency
            .unwrap_or_else(service::default_concurrency),
        stream_window: args.stream_window,
        shutdown_grace: Duration::from_secs(args.shutdown_grace),
        allow_partial_reload: args.allow_partial,
        memory_budget_bytes: args.hardening.memory_budget.saturating_mul(1024 * 1024),
        heavy_document_bytes: args.hardening.heavy_document_bytes,
        heavy_concurrency: args.hardening.heavy_concurrency,
        max_connections: args.hardening.max_connections,
        max_concurrent_streams: args.hardening.max_concurrent_streams,
        handshake_timeout: Duration::from_secs(args.hardening.handshake_timeout.max(1)),
        keepalive_interval: seconds(args.hardening.keepalive_interval),
        keepalive_timeout: Duration::from_secs(args.hardening.keepalive_timeout.max(1)),
        max_connection_age: seconds(args.hardening.max_connection_age),
        receive_timeout: seconds(args.hardening.receive_timeout),
        send_timeout: seconds(args.hardening.send_timeout),
        metrics_max_connections: args.hardening.metrics_max_connections,
        metrics_header_timeout: Duration::from_secs(args.hardening.metrics_header_timeout.max(1)),
        drain_delay: Duration::from_secs_f64(args.drain_delay),
        ..ServerConfig::new(Definitions::Load(args.source.options()))
    };
    if config.max_concurrency == 0 || config.stream_window == 0 || config.max_document_bytes == 0 {
        anyhow::bail!(
            "--max-concurrency, --stream-window and --max-document-bytes must be at least 1"
        );
    }
    if config.memory_budget_bytes == 0
        || config.max_connections == 0
        || config.max_concurrent_streams == 0
        || config.metrics_max_connections == 0
        || config.heavy_concurrency == Some(0)
    {
        anyhow::bail!(
            "--memory-budget, --max-connections, --max-concurrent-streams, \
             --metrics-max-connections and --heavy-concurrency must be at least 1"
        );
    }
    if config.memory_budget_bytes < service::decoding_limit(config.max_document_bytes) {
        anyhow::bail!(
            "--memory-budget must hold at least one document of --max-document-bytes \
             (and its message framing)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("rakenne-serve")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let grpc = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let metrics = match args.metrics_listen.0 {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} for metrics"))?,
            ),
            None => None,
        };
        let http = match args.http_listen.0 {
            Some(addr) => Some(service::HttpOptions {
                listener: tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} for HTTP"))?,
                cors_origin: args.http_cors_origin.clone(),
            }),
            None => None,
        };
        let shutdown = shutdown_signal()?;
        service::serve_with_http(config, grpc, metrics, http, shutdown).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Resolves on SIGTERM or SIGINT (SIGHUP reloads the definitions, see `service::serve`). The handlers are installed now, so a signal arriving
/// during start-up is not lost (nor kills the process).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!(signal = "SIGTERM", "signal received"),
                _ = int.recv() => tracing::info!(signal = "SIGINT", "signal received"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!(signal = "ctrl-c", "signal received");
        })
    }
}
