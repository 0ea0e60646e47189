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
pub mod budget;
pub mod codec;
mod convert;
mod handler;
mod http;
mod metrics;
mod metrics_listener;
mod oversize;
mod request;
mod rules;
mod summary;
mod transport;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::watch;
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

/// The default memory budget: 256 MiB of documents being received, checked and answered.
/// With the decoder's buffer growth (up to twice a message), the catalog (about 150 MiB)
/// and the working memory of the checks running (bounded by the heavy-document pool),
/// this keeps a server under about 1 GiB of RSS.
pub const DEFAULT_MEMORY_BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// Documents from this size up are heavy and take a slot of the smaller heavy pool: 1 MiB.
pub const DEFAULT_HEAVY_DOCUMENT_BYTES: usize = 1024 * 1024;

/// The default bounds of the transport; see [`ServerConfig`] for what each one is for.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 32;
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
pub const DEFAULT_RECEIVE_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_METRICS_MAX_CONNECTIONS: usize = 32;
pub const DEFAULT_METRICS_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The transport's decoding limit for a document limit: a little above it, so that a
/// document (with its frame) somewhat over the limit is read and refused with details,
/// while anything far over is refused from its length prefix, before it is read.
pub fn decoding_limit(max_document_bytes: usize) -> usize {
    max_document_bytes.saturating_add((max_document_bytes / 8).max(1024 * 1024))
}

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
    /// RESOURCE_EXHAUSTED. The transport refuses messages over [`decoding_limit`] (this
    /// plus an eighth, at least 1 MiB) before reading them.
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
    /// Time between readiness turning NOT_SERVING (the shutdown signal) and the listener
    /// closing: new connections and requests are still served meanwhile, so a load
    /// balancer that health-checks this server has time to take it out of rotation before
    /// anything is refused. Zero: close at once.
    pub drain_delay: Duration,
    /// TLS (and client authentication) on the gRPC listener; `None`: plain HTTP/2.
    pub tls: Option<TlsConfig>,
    /// Reload the definitions on SIGHUP (Unix). Installs a SIGHUP handler for the whole
    /// process when `serve` starts, so it is off unless asked for.
    pub reload_on_sighup: bool,
    /// Accept a reload whose catalog is partial (files failed, or structures of the
    /// running catalog missing); otherwise such a reload is refused and the old catalog
    /// stays.
    pub allow_partial_reload: bool,
    /// Bytes of documents being received, checked and answered, server-wide; a request
    /// that cannot get its share within its deadline (or the receive timeout) is refused
    /// with RESOURCE_EXHAUSTED.
    pub memory_budget_bytes: usize,
    /// Documents (with their frame) from this size up are heavy: they take a slot of the
    /// heavy pool as well, so they never occupy every check slot.
    pub heavy_document_bytes: usize,
    /// Slots of the heavy pool (`None`: a quarter of `max_concurrency`, at least 1).
    pub heavy_concurrency: Option<usize>,
    /// Connections open at once on the gRPC listener; more wait in the backlog.
    pub max_connections: usize,
    /// HTTP/2 streams (calls) open at once on one connection (advertised in SETTINGS).
    pub max_concurrent_streams: u32,
    /// Time a new connection has for its TLS handshake and HTTP/2 preface.
    pub handshake_timeout: Duration,
    /// Interval of HTTP/2 keepalive pings (`None`: none, and no idle timeout).
    pub keepalive_interval: Option<Duration>,
    /// Time a ping may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// Connections older than this are asked to go away (GOAWAY), so clients reconnect
    /// and a load balancer can spread them again (`None`: never).
    pub max_connection_age: Option<Duration>,
    /// Time a Validate request's message has to arrive whole (`None`: no limit).
    pub receive_timeout: Option<Duration>,
    /// Time an answer may wait for a client that does not read before its connection is
    /// closed (`None`: for ever).
    pub send_timeout: Option<Duration>,
    /// Connections open at once on the metrics listener.
    pub metrics_max_connections: usize,
    /// Time a metrics connection may stay without sending anything (a request header
    /// sent half, or idle between scrapes).
    pub metrics_header_timeout: Duration,
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
            .field("drain_delay", &self.drain_delay)
            .field("tls", &self.tls)
            .field("reload_on_sighup", &self.reload_on_sighup)
            .field("allow_partial_reload", &self.allow_partial_reload)
            .field("memory_budget_bytes", &self.memory_budget_bytes)
            .field("heavy_document_bytes", &self.heavy_document_bytes)
            .field("heavy_concurrency", &self.heavy_concurrency)
            .field("max_connections", &self.max_connections)
            .field("max_concurrent_streams", &self.max_concurrent_streams)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("keepalive_interval", &self.keepalive_interval)
            .field("keepalive_timeout", &self.keepalive_timeout)
            .field("max_connection_age", &self.max_connection_age)
            .field("receive_timeout", &self.receive_timeout)
            .field("send_timeout", &self.send_timeout)
            .field("metrics_max_connections", &self.metrics_max_connections)
            .field("metrics_header_timeout", &self.metrics_header_timeout)
            .field("check_hook", &self.check_hook.is_some())
            .finish()
    }
}

impl ServerConfig {
    /// Defaults: 16 MiB documents, XML depth 256, JSON depth 64, 1000 findings, 30 s per
    /// document, two checks per core, a stream window of 8, 30 s of grace at shutdown, no
    /// drain delay, no TLS, no SIGHUP handler.
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
            drain_delay: Duration::ZERO,
            tls: None,
            reload_on_sighup: false,
            allow_partial_reload: false,
            memory_budget_bytes: DEFAULT_MEMORY_BUDGET_BYTES,
            heavy_document_bytes: DEFAULT_HEAVY_DOCUMENT_BYTES,
            heavy_concurrency: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            keepalive_interval: Some(DEFAULT_KEEPALIVE_INTERVAL),
            keepalive_timeout: DEFAULT_KEEPALIVE_TIMEOUT,
            max_connection_age: None,
            receive_timeout: Some(DEFAULT_RECEIVE_TIMEOUT),
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
            metrics_max_connections: DEFAULT_METRICS_MAX_CONNECTIONS,
            metrics_header_timeout: DEFAULT_METRICS_HEADER_TIMEOUT,
            check_hook: None,
        }
    }

    /// The heavy pool's size.
    pub fn heavy_slots(&self) -> usize {
        self.heavy_concurrency
            .unwrap_or(self.max_concurrency / 4)
            .max(1)
    }

    /// The bounds of the gRPC listener's connections.
    fn transport_limits(&self) -> transport::TransportLimits {
        transport::TransportLimits {
            max_connections: self.max_connections.max(1),
            handshake_timeout: self.handshake_timeout,
            // A live client answers the keepalive pings; nothing at all for longer than
            // an interval and a timeout (or a handshake) means a dead or silent peer.
            idle_timeout: self
                .keepalive_interval
                .map(|interval| (interval + self.keepalive_timeout).max(self.handshake_timeout)),
            send_timeout: self.send_timeout,
            // One connection may hold a quarter of the budget (at least one document):
            // a single client on one connection cannot take it all.
            connection_share: Some(
                (self.memory_budget_bytes / 4)
                    .max(decoding_limit(self.max_document_bytes.max(1)))
                    .min(self.memory_budget_bytes.max(1)),
            ),
        }
    }

    /// The bounds of the HTTP API's connections: the gRPC listener's cap and timeouts; the
    /// memory budget is charged per request by the API itself.
    fn http_limits(&self) -> transport::TransportLimits {
        transport::TransportLimits {
            connection_share: None,
            ..self.transport_limits()
        }
    }

    /// The bounds of the metrics listener's connections.
    fn metrics_limits(&self) -> transport::TransportLimits {
        transport::TransportLimits {
            max_connections: self.metrics_max_connections.max(1),
            handshake_timeout: self.metrics_header_timeout,
            idle_timeout: Some(self.metrics_header_timeout),
            send_timeout: None,
            connection_share: None,
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
    fn server_config(&self, handshake_timeout: Duration) -> tonic::transport::ServerTlsConfig {
        use tonic::transport::{Certificate, Identity, ServerTlsConfig};
        let mut config = ServerTlsConfig::new()
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .timeout(handshake_timeout);
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
/// completes, then turns health NOT_SERVING, keeps serving for
/// [`ServerConfig::drain_delay`], stops accepting connections and lets requests in flight
/// finish (for at most [`ServerConfig::shutdown_grace`]).
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
    let budget = budget::Budget::new(config.memory_budget_bytes);
    let shared = Arc::new(Shared::new(
        registry.clone(),
        budget::Slots::new(
            config.max_concurrency.max(1),
            config.heavy_slots(),
            config.heavy_document_bytes,
        ),
        budget.clone(),
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
        config.allow_partial_reload,
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
    let decoding_limit = decoding_limit(max_document_bytes);
    let conformance = transport::Guarded {
        inner: oversize::Oversize(
            ConformanceServiceServer::new(Conformance::new(shared.clone()))
                .max_decoding_message_size(decoding_limit),
        ),
        budget,
        metrics: registry.clone(),
        receive_timeout: config.receive_timeout,
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    let grpc_addr = grpc.local_addr()?;
    let mut builder = tonic::transport::Server::builder()
        .max_concurrent_streams(config.max_concurrent_streams.max(1))
        .http2_keepalive_interval(config.keepalive_interval)
        .http2_keepalive_timeout(Some(config.keepalive_timeout));
    if let Some(age) = config.max_connection_age {
        builder = builder.max_connection_age(age);
    }
    if let Some(tls) = &config.tls {
        builder = builder.tls_config(tls.server_config(config.handshake_timeout))?;
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
        transport::incoming(grpc, config.transport_limits()),
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
            config.http_limits(),
            config.receive_timeout,
            stopped(stop_rx.clone()),
        )?),
        None => None,
    };
    let mut metrics_task = metrics.map(|listener| {
        tokio::spawn(metrics_listener::serve_http(
            listener,
            config.metrics_limits(),
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

    // Only a server that was SERVING can be in someone's rotation, so only it drains.
    let was_ready = definitions.is_some();
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
                    let _ = reloader.reload(false).await;
                }
            }
        }
    }

    // Readiness goes first, while the listener still accepts: a load balancer probing
    // health takes this server out of rotation during the drain delay, so no client is
    // refused a connection.
    registry.set_ready(false);
    health
        .set_not_serving::<ConformanceServiceServer<Conformance>>()
        .await;
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    if was_ready && !config.drain_delay.is_zero() {
        tracing::info!(
            drain_delay_ms = config.drain_delay.as_millis() as u64,
            "draining: NOT_SERVING, still accepting until the drain delay is over"
        );
        tokio::select! {
            () = tokio::time::sleep(config.drain_delay) => {}
            result = &mut grpc_task => {
                stop(&stop_tx);
                return finished(result);
            }
        }
    }
    tracing::info!(
        in_flight = registry.in_flight(),
        "shutting down: no new connections, finishing requests in flight"
    );
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
