//! The HTTP/JSON API and the page, on a listener of their own (`rakenne serve
//! --http-listen`).
//!
//! A thin adapter: every API call builds the gRPC request message and calls the same
//! [`Conformance`] method the gRPC service answers with, so checks share the engine, the
//! check slots, the limits, the metrics (with `api="http"`) and the log lines; responses
//! are the gRPC response messages in the canonical protobuf JSON mapping, and errors carry
//! the same codes and field violations as gRPC statuses (see [`api`]).
//!
//! The page at `/` (see [`page`]) is self-contained: its script and style are embedded in
//! the binary and served from this listener, under a Content-Security-Policy that allows
//! nothing else. Nothing a person checks is stored: a document lives in its request.
//!
//! Privacy: the access log has the method, the route (a fixed template, never the path
//! as sent), the status, the duration and the request id; never a query string, a header
//! value or a body.

mod api;
mod page;

use std::time::Duration;

use crate::service::transport::{BoundedListener, TransportLimits};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use super::handler::{Conformance, Shared};
use super::metrics::{self, Metrics};

/// The HTTP/JSON API and page's listener and options.
#[derive(Debug)]
pub struct HttpOptions {
    /// Bound by the caller (tests bind `127.0.0.1:0`).
    pub listener: TcpListener,
    /// Answer cross-origin requests from this origin (e.g. `https://tools.example`), or
    /// from any with `*`. `None`: no CORS headers at all, so browsers keep other sites'
    /// pages from reading the API.
    pub cors_origin: Option<String>,
}

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct HttpState {
    conformance: Conformance,
    metrics: Arc<Metrics>,
    /// The largest request body read: a document and a frame at the limit, and room for
    /// multipart framing and options (the gRPC transport's limit).
    max_body_bytes: usize,
    /// How long a request body may take to arrive whole (`--receive-timeout`).
    receive_timeout: Option<Duration>,
    cors_origin: Option<HeaderValue>,
}

/// The Content-Security-Policy of every response: the page's own script and style only,
/// requests to this origin only, never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Starts serving on `options.listener` until `shutdown` completes.
pub(crate) fn spawn(
    options: HttpOptions,
    shared: Arc<Shared>,
    metrics: Arc<Metrics>,
    max_document_bytes: usize,
    limits: TransportLimits,
    receive_timeout: Option<Duration>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<JoinHandle<std::io::Result<()>>> {
    let addr = options.listener.local_addr()?;
    let cors_origin = match &options.cors_origin {
        Some(origin) => Some(HeaderValue::from_str(origin).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the CORS origin is not a valid header value",
            )
        })?),
        None => None,
    };
    let state = HttpState {
        conformance: Conformance::new(shared),
        metrics,
        max_body_bytes: max_document_bytes
            .saturating_mul(2)
            .saturating_add(1024 * 1024),
        receive_timeout,
        cors_origin,
    };
    tracing::info!(http = %addr, cors = options.cors_origin.is_some(), "http listening");
    let app = router(state);
    let listener = options.listener;
    Ok(tokio::spawn(async move {
        // The gRPC listener's connection cap and timeouts: a silent or half-sent request
        // cannot hold a connection, and a flood of connections cannot take every file
        // descriptor.
        axum::serve(BoundedListener::new(listener, limits), app)
            .with_graceful_shutdown(shutdown)
            .await
    }))
}

fn router(state: HttpState) -> Router {
    let body_limit = state.max_body_bytes;
    Router::new()
        .route("/", get(page::index))
        .route("/assets/app.js", get(page::script))
        .route("/assets/app.css", get(page::style))
        .route("/openapi.json", get(page::openapi))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/v1/validate", post(api::validate))
        .route("/v1/structures", get(api::list_structures))
        .route("/v1/structures/{oid}", get(api::get_structure))
        .route("/v1/summary", get(api::summary))
        .route("/v1/rules", get(api::list_rules))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), around))
        .with_state(state)
}

/// The route template a path belongs to, for the access log: never the path as sent
/// (a structure OID is fine, but a mistyped path could hold anything).
fn route_of(path: &str) -> &'static str {
    match path {
        "/" => "/",
        "/assets/app.js" => "/assets/app.js",
        "/assets/app.css" => "/assets/app.css",
        "/openapi.json" => "/openapi.json",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/v1/validate" => "/v1/validate",
        "/v1/structures" => "/v1/structures",
        "/v1/summary" => "/v1/summary",
        "/v1/rules" => "/v1/rules",
        _ if path.starts_with("/v1/structures/") => "/v1/structures/{oid}",
        _ => "other",
    }
}

/// Around every request: CORS (when configured), the security headers, the `api="http"`
/// metrics label and the access log line.
async fn around(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = route_of(request.uri().path());
    let cors = state.cors_origin.as_ref().and_then(|allowed| {
        let origin = request.headers().get(header::ORIGIN)?;
        (allowed == "*" || allowed == origin).then(|| origin.clone())
    });
    let mut response = if method == Method::OPTIONS && state.cors_origin.is_some() {
        // A CORS preflight: allowed for the configured origin only.
        let mut response = if cors.is_some() {
            StatusCode::NO_CONTENT.into_response()
        } else {
            StatusCode::FORBIDDEN.into_response()
        };
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, x-request-id"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        response
    } else {
        let span = tracing::info_span!("http", api = "http");
        metrics::with_api("http", next.run(request).instrument(span)).await
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Reports and documents are nobody's to cache.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if let Some(origin) = cors {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id"),
        );
    }
    if state.cors_origin.is_some() {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    tracing::info!(
        api = "http",
        method = %method,
        route,
        status = response.status().as_u16(),
        request_id,
        duration_ms = started.elapsed().as_secs_f64() * 1e3,
        "http request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_templates() {
        assert_eq!(route_of("/v1/structures/1.2.3"), "/v1/structures/{oid}");
        assert_eq!(route_of("/v1/validate"), "/v1/validate");
        assert_eq!(route_of("/Matti Meikäläinen"), "other");
    }
}
