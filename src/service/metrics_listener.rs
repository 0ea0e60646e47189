//! The metrics listener: `GET /metrics` (Prometheus text) within the same connection
//! bounds as the gRPC listener. Apart from `metrics` so that the metrics registry and the
//! transport bounds do not import each other.

use std::future::Future;
use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use tokio::net::TcpListener;

use super::metrics::Metrics;
use super::transport::{BoundedListener, TransportLimits};

/// Serves `GET /metrics` until `shutdown` completes, within the connection bounds of
/// `limits` (see [`BoundedListener`]).
pub(crate) async fn serve_http(
    listener: TcpListener,
    limits: TransportLimits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    metrics.render(),
                )
            }
        }),
    );
    axum::serve(BoundedListener::new(listener, limits), app)
        .with_graceful_shutdown(shutdown)
        .await
}
