//! The gRPC service: a thin adapter over [`crate::check::Engine`].
//!
//! [`serve`] runs `rakenne.v1.ConformanceService` (see `proto/rakenne/v1/conformance.proto`)
//! with gRPC health (`grpc.health.v1`), server reflection (v1 and v1alpha) and, on a second
//! listener, a Prometheus `/metrics` endpoint. Requests are mapped to [`CheckOptions`] and
//! the engine's [`Report`] to protobuf messages. Checks run behind a semaphore: a small
//! document's on the async worker that received it, a large one's on tokio's blocking pool,
//! so large documents never stall the async workers.
//!
//! A non-conformant or unreadable document is a normal response; RPC errors are for bad
//! requests (INVALID_ARGUMENT or RESOURCE_EXHAUSTED with `google.rpc.BadRequest` field
//! violations), passed deadlines (DEADLINE_EXCEEDED) and a server not yet ready
//! (UNAVAILABLE).
//!
//! `rakenne.v1.Admin` (see `proto/rakenne/v1/admin.proto`) reloads the definitions on
//! request, as SIGHUP does when [`ServerConfig::reload_on_sighup`] is set: the new engine is
//! swapped in atomically once loaded, requests in flight finish on the engine they started
//! with, and a load that fails leaves the old engine in place (logged, and counted in
//! `rakenne_reload_total{outcome="failed"}`).
//!
//! With [`ServerConfig::tls`] the gRPC listener speaks TLS (rustls), and with a client CA
//! it requires every client to present a certificate issued by that CA.
//!
//! Privacy: nothing here logs, counts or returns in error details any document content.
//! Metrics labels are structure OIDs of the catalog, short service task codes, verdicts,
//! rule ids and severities only; logs carry the request id, structure, verdict and duration.
//!
//! [`CheckOptions`]: crate::check::CheckOptions
//! [`Report`]: crate::check::report::Report

mod admin;
mod convert;
mod handler;
mod http;
mod metrics;
mod oversize;
mod request;
mod summary;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::check::{Engine, Limits};
use crate::definitions::{Definitions, DefinitionsError, DefinitionsOptions};
use admin::{AdminService, Reloader};
use handler::{Conformance, Shared};
use metrics::Metrics;
use pb::conformance_service_server::ConformanceServiceServer;

pub use http::HttpOptions;

/// The protobuf messages and the tonic client and server of `rakenne.v1`.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod pb {
    tonic::include_proto!("rakenne.v1");
    // The canonical protobuf JSON mapping of these messages (serde), for the HTTP API.
    include!(concat!(env!("OUT_DIR"), "/rakenne.v1.serde.rs"));

    /// The encoded file descriptor set of `proto/rakenne/v1`, as served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/rakenne_descriptor.bin"));
}

/// The fully qualified name of the conformance service, as health and reflection know it.
pub const SERVICE_NAME: &str = "rakenne.v1.ConformanceService";

/// The default size limit of one document (and of one frame): 16 MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// The default time one document may take (waiting for a check slot included) when the
/// client sets no shorter deadline: 30 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Called on the blocking thread just before each check; lets tests hold a check in
/// flight. Not for production use.
#[doc(hidden)]
pub type CheckHook = Arc<dyn Fn() + Send + Sync>;

/// Where the server's definitions come from.
#[derive(Debug, Clone)]
pub enum DefinitionsSource {
    /// Load them at start-up (off the async workers); health answers NOT_SERVING until
    /// they are loaded.
    Load(DefinitionsOptions),
    /// Definitions already loaded (tests, or an embedding application).
    Loaded(Arc<Definitions>),
}

/// How the server runs.
#[derive(Clone)]
pub struct ServerConfig {
    pub definitions: DefinitionsSource,
    /// The largest document (and frame) accepted, in bytes; larger ones are refused with
    /// RESOURCE_EXHAUSTED. The transport refuses messages over twice this plus 1 MiB
    /// before reading them.
    pub max_document_bytes: usize,
    /// Maximum element nesting of a document (and frame, and XML display form).
    pub max_xml_depth: usize,
    /// Maximum nesting of objects and arrays in content JSON (serde_json's own cap of 128
    /// stands above it).
    pub max_json_depth: usize,
    /// Findings returned per document; the rest are counted (`findings_omitted`).
    pub max_findings: usize,
    /// The longest one document may take, waiting for a check slot included; a client's
    /// shorter `grpc-timeout` wins. `None`: only the client's deadline. A check that has
    /// started runs to its end (bounded by the limits above) even when the deadline
    /// passes; the client gets DEADLINE_EXCEEDED at the deadline.
    pub request_timeout: Option<Duration>,
    /// Checks running at once; further requests wait (within their deadline).
    pub max_concurrency: usize,
    /// Documents of one ValidateStream read ahead of the responses the client has taken.
    pub stream_window: usize,
    /// How long shutdown waits for requests in flight before giving up on them.
    pub shutdown_grace: Duration,
    /// TLS (and client authentication) on the gRPC listener; `None`: plain HTTP/2.
    pub tls: Option<TlsConfig>,
    /// Reload the definitions on SIGHUP (Unix). Installs a SIGHUP handler for the whole
    /// process when `serve` starts, so it is off unless asked for.
    pub reload_on_sighup: bool,
    #[doc(hidden)]
    pub check_hook: Option<CheckHook>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("definitions", &self.definitions)
            .field("max_document_bytes", &self.max_document_bytes)
            .field("max_xml_depth", &self.max_xml_depth)
            .field("max_json_depth", &self.max_json_depth)
            .field("max_findings", &self.max_findings)
            .field("request_timeout", &self.request_timeout)
            .field("max_concurrency", &self.max_concurrency)
            .field("stream_window", &self.stream_window)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("tls", &self.tls)
            .field("reload_on_sighup", &self.reload_on_sighup)
            .field("check_hook", &self.check_hook.is_some())
            .finish()
    }
}

impl ServerConfig {
    /// Defaults: 16 MiB documents, XML depth 256, JSON depth 64, 1000 findings, 30 s per
    /// document, two checks per core, a stream window of 8, 30 s of grace at shutdown, no
    /// TLS, no SIGHUP handler.
    pub fn new(definitions: DefinitionsSource) -> Self {
        let limits = Limits::default();
        Self {
            definitions,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            max_xml_depth: limits.xml.max_depth,
            max_json_depth: limits.json.max_depth,
            max_findings: limits.max_findings,
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            max_concurrency: default_concurrency(),
            stream_window: 8,
            shutdown_grace: Duration::from_secs(30),
            tls: None,
            reload_on_sighup: false,
            check_hook: None,
        }
    }

    /// The engine's limits from this configuration.
    pub fn limits(&self) -> Limits {
        let mut limits = Limits {
            max_document_bytes: self.max_document_bytes.max(1),
            max_findings: self.max_findings,
            ..Limits::default()
        };
        limits.xml.max_depth = self.max_xml_depth.max(1);
        limits.json.max_depth = self.max_json_depth.max(1);
        limits
    }
}

/// PEM-encoded TLS material of the server.
#[derive(Clone)]
pub struct TlsConfig {
    /// The server's certificate chain.
    pub cert_pem: Vec<u8>,
    /// The server's private key.
    pub key_pem: Vec<u8>,
    /// When given, clients must present a certificate issued by one of these CAs (mutual
    /// TLS); connections without one are refused during the handshake.
    pub client_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("TlsConfig")
            .field("client_auth", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    fn server_config(&self) -> tonic::transport::ServerTlsConfig {
        use tonic::transport::{Certificate, Identity, ServerTlsConfig};
        let mut config =
            ServerTlsConfig::new().identity(Identity::from_pem(&self.cert_pem, &self.key_pem));
        if let Some(ca) = &self.client_ca_pem {
            config = config
                .client_ca_root(Certificate::from_pem(ca))
                .client_auth_optional(false);
        }
        config
    }
}

/// Two checks per core (at least two).
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot load definitions")]
    Definitions(#[from] DefinitionsError),
    #[error("a server task panicked")]
    Panicked,
    #[error("the gRPC server failed")]
    Transport(#[from] tonic::transport::Error),
    #[error("cannot build the reflection service")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("cannot register metrics")]
    Metrics(#[from] prometheus::Error),
    #[error("the metrics endpoint failed")]
    Io(#[from] std::io::Error),
}

/// Runs the service on `grpc` (and `/metrics` on `metrics`, if given) until `shutdown`
/// completes, then stops accepting connections and lets requests in flight finish (for at
/// most [`ServerConfig::shutdown_grace`]).
///
/// The listeners are bound by the caller, so tests can bind `127.0.0.1:0`. Logs through
/// `tracing`: `listening` at once, `ready` (with the start-up time) when the definitions
/// are loaded and health turns SERVING, one line per request, `stopped` at the end.
pub async fn serve(
    config: ServerConfig,
    grpc: TcpListener,
    metrics: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_with_http(config, grpc, metrics, None, shutdown).await
}

/// [`serve`], and the HTTP/JSON API and the page on `http` (see [`HttpOptions`]): the same
/// engine, check slots, limits, metrics and logs as the gRPC service.
pub async fn serve_with_http(
    config: ServerConfig,
    grpc: TcpListener,
    metrics: Option<TcpListener>,
    http: Option<HttpOptions>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let started = Instant::now();
    let start_time = SystemTime::now();
    let registry = Arc::new(Metrics::new(start_time)?);
    let max_document_bytes = config.max_document_bytes.max(1);
    let limits = config.limits();
    let shared = Arc::new(Shared::new(
        registry.clone(),
        config.max_concurrency.max(1),
        config.stream_window.max(1),
        config.request_timeout,
        config.check_hook.clone(),
        start_time,
    ));
    let reloader = Arc::new(Reloader::new(
        config.definitions.clone(),
        limits,
        shared.clone(),
        registry.clone(),
    ));
    // Installed before anything slow, so a SIGHUP during start-up is not fatal.
    let mut sighup = if config.reload_on_sighup {
        Some(admin::sighup()?)
    } else {
        None
    };

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    health
        .set_not_serving::<ConformanceServiceServer<Conformance>>()
        .await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    // Over the limit but under this, a document is read and refused by us with details.
    let decoding_limit = max_document_bytes
        .saturating_mul(2)
        .saturating_add(1024 * 1024);
    let conformance = oversize::Oversize(
        ConformanceServiceServer::new(Conformance::new(shared.clone()))
            .max_decoding_message_size(decoding_limit),
    );

    let (stop_tx, stop_rx) = watch::channel(false);
    let grpc_addr = grpc.local_addr()?;
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &config.tls {
        builder = builder.tls_config(tls.server_config())?;
    }
    let router = builder
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(conformance)
        .add_service(pb::admin_server::AdminServer::new(AdminService::new(
            reloader.clone(),
        )));
    let mut grpc_task = tokio::spawn(router.serve_with_incoming_shutdown(
        TcpIncoming::from(grpc).with_nodelay(Some(true)),
        stopped(stop_rx.clone()),
    ));
    let metrics_addr: Option<SocketAddr> = match &metrics {
        Some(listener) => Some(listener.local_addr()?),
        None => None,
    };
    let mut http_task = match http {
        Some(options) => Some(http::spawn(
            options,
            shared.clone(),
            registry.clone(),
            max_document_bytes,
            stopped(stop_rx.clone()),
        )?),
        None => None,
    };
    let mut metrics_task = metrics.map(|listener| {
        tokio::spawn(metrics::serve_http(
            listener,
            registry.clone(),
            stopped(stop_rx),
        ))
    });
    tracing::info!(
        grpc = %grpc_addr,
        tls = config.tls.is_some(),
        client_auth = config.tls.as_ref().is_some_and(|t| t.client_ca_pem.is_some()),
        metrics = %metrics_addr.map_or_else(|| "off".to_string(), |a| a.to_string()),
        "listening"
    );

    let stop = |stop_tx: &watch::Sender<bool>| {
        let _ = stop_tx.send(true);
    };
    let mut shutdown = Box::pin(shutdown);

    // Load the definitions off the async workers, unless asked to stop first.
    let source = config.definitions.clone();
    let mut loader = tokio::task::spawn_blocking(move || load(source));
    let definitions = tokio::select! {
        loaded = &mut loader => match loaded {
            Ok(Ok((definitions, _failed))) => Some(definitions),
            Ok(Err(error)) => {
                tracing::error!(error = %error, "cannot load definitions");
                stop(&stop_tx);
                return Err(ServeError::Definitions(error));
            }
            Err(_) => {
                stop(&stop_tx);
                return Err(ServeError::Panicked);
            }
        },
        () = &mut shutdown => None,
        result = &mut grpc_task => {
            stop(&stop_tx);
            return finished(result);
        }
    };

    if let Some(definitions) = definitions {
        let catalog = &definitions.catalog;
        registry.set_catalog(catalog.len(), &catalog.version());
        tracing::info!(
            structures = catalog.len(),
            catalog_version = %catalog.version(),
            origin = %catalog.origin(),
            organisations = ?definitions.bindings.organisations().collect::<Vec<_>>(),
            "definitions loaded"
        );
        shared.set_engine(Engine::with_limits(definitions, limits));
        health
            .set_serving::<ConformanceServiceServer<Conformance>>()
            .await;
        health.set_service_status("", ServingStatus::Serving).await;
        registry.set_ready(true);
        tracing::info!(
            grpc = %grpc_addr,
            startup_ms = started.elapsed().as_millis() as u64,
            max_concurrency = config.max_concurrency.max(1),
            max_document_bytes,
            max_xml_depth = limits.xml.max_depth,
            max_json_depth = limits.json.max_depth,
            max_findings = limits.max_findings,
            request_timeout_ms = config.request_timeout.map(|t| t.as_millis() as u64),
            "ready"
        );
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                result = &mut grpc_task => {
                    stop(&stop_tx);
                    return finished(result);
                }
                Some(()) = admin::next_signal(&mut sighup) => {
                    tracing::info!(signal = "SIGHUP", "signal received: reloading definitions");
                    // Outcome logged and counted by the reloader.
                    let _ = reloader.reload().await;
                }
            }
        }
    }

    tracing::info!(
        in_flight = registry.in_flight(),
        "shutting down: no new connections, finishing requests in flight"
    );
    registry.set_ready(false);
    health
        .set_not_serving::<ConformanceServiceServer<Conformance>>()
        .await;
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    stop(&stop_tx);
    let deadline = tokio::time::Instant::now() + config.shutdown_grace;
    let result = match tokio::time::timeout_at(deadline, &mut grpc_task).await {
        Ok(result) => finished(result),
        Err(_) => {
            tracing::warn!(
                in_flight = registry.in_flight(),
                "shutdown grace period over: dropping requests still in flight"
            );
            grpc_task.abort();
            Ok(())
        }
    };
    if let Some(task) = &mut http_task {
        match tokio::time::timeout_at(deadline, &mut *task).await {
            Ok(Ok(Err(error))) => tracing::warn!(error = %error, "http endpoint failed"),
            Ok(_) => {}
            Err(_) => task.abort(),
        }
    }
    if let Some(task) = &mut metrics_task {
        match tokio::time::timeout_at(deadline, &mut *task).await {
            Ok(Ok(Err(error))) => tracing::warn!(error = %error, "metrics endpoint failed"),
            Ok(_) => {}
            Err(_) => task.abort(),
        }
    }
    tracing::info!("stopped");
    result
}

/// Resolves once the stop flag is raised (or its sender is gone).
async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

fn finished(
    result: Result<Result<(), tonic::transport::Error>, tokio::task::JoinError>,
) -> Result<(), ServeError> {
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(ServeError::Transport(error)),
        Err(_) => Err(ServeError::Panicked),
    }
}

/// Loads (or takes) the definitions and compiles every structure's validator, so the
/// first requests do not pay for it.
///
/// Also answers how many structure files failed to load or compile (they are logged).
pub(crate) fn load(
    source: DefinitionsSource,
) -> Result<(Arc<Definitions>, usize), DefinitionsError> {
    let definitions = match source {
        DefinitionsSource::Load(options) => Arc::new(Definitions::load(&options)?),
        DefinitionsSource::Loaded(definitions) => definitions,
    };
    let failures = definitions.catalog.compile_all();
    for failure in definitions.catalog.failures.iter().chain(&failures) {
        tracing::warn!(file = %failure.file, pointer = %failure.pointer, "structure not loaded: {}", failure.message);
    }
    let failed = definitions.catalog.failures.len() + failures.len();
    Ok((definitions, failed))
}
