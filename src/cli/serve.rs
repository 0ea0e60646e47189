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
refused (logged, counted in rakenne_reload_total{outcome=\"failed\"}) while the old one stays."
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
        ..ServerConfig::new(Definitions::Load(args.source.options()))
    };
    if config.max_concurrency == 0 || config.stream_window == 0 || config.max_document_bytes == 0 {
        anyhow::bail!(
            "--max-concurrency, --stream-window and --max-document-bytes must be at least 1"
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
