//! `rakenne.v1.Admin`: reloading the definitions (also on SIGHUP).

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status};

use super::handler::Shared;
use super::metrics::{Metrics, Outcome};
use super::{DefinitionsSource, load, pb};
use crate::check::{Engine, Limits};

/// Reloads the definitions from where the server first loaded them and swaps the engine.
pub(crate) struct Reloader {
    source: DefinitionsSource,
    limits: Limits,
    shared: Arc<Shared>,
    metrics: Arc<Metrics>,
    /// Accept a catalog with failed files or fewer structures on every reload (the
    /// operator's `--allow-partial`).
    allow_partial: bool,
    /// One reload at a time.
    running: tokio::sync::Mutex<()>,
}

/// Why a reload left the old definitions in place.
#[derive(Debug)]
pub(crate) enum ReloadError {
    /// The first definitions are not loaded yet.
    NotReady,
    /// The new definitions did not load; the message names no document content.
    Failed(String),
    /// The new definitions loaded only in part (files failed, or structures of the running
    /// catalog are missing) and no partial reload was allowed.
    Partial(String),
}

impl Reloader {
    pub fn new(
        source: DefinitionsSource,
        limits: Limits,
        shared: Arc<Shared>,
        metrics: Arc<Metrics>,
        allow_partial: bool,
    ) -> Self {
        Self {
            source,
            limits,
            shared,
            metrics,
            allow_partial,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// Loads and compiles the definitions off the async workers, then swaps them in; on
    /// failure the old ones stay. All or nothing: a load with failed files, or one that
    /// would lose structures of the running catalog, is refused unless `allow_partial` (or
    /// the server's `--allow-partial`) says otherwise. Logs and counts the outcome either
    /// way.
    pub async fn reload(
        &self,
        allow_partial: bool,
    ) -> Result<pb::ReloadDefinitionsResponse, ReloadError> {
        let allow_partial = allow_partial || self.allow_partial;
        let _one = self.running.lock().await;
        let Some(previous) = self.shared.current_engine() else {
            tracing::warn!("reload refused: the definitions are still loading");
            return Err(ReloadError::NotReady);
        };
        let started = Instant::now();
        let source = self.source.clone();
        let loaded = tokio::task::spawn_blocking(move || load(source)).await;
        let (definitions, failed) = match loaded {
            Ok(Ok(loaded)) => loaded,
            Ok(Err(error)) => {
                let message = error.to_string();
                self.metrics.record_reload(Outcome::Failed);
                tracing::error!(error = %message, "reload failed: keeping the loaded definitions");
                return Err(ReloadError::Failed(message));
            }
            Err(_) => {
                self.metrics.record_reload(Outcome::Failed);
                tracing::error!(
                    "reload failed (the loader panicked): keeping the loaded definitions"
                );
                return Err(ReloadError::Failed("the loader failed unexpectedly".into()));
            }
        };
        let catalog = &definitions.catalog;
        let old_catalog = &previous.definitions().catalog;
        let lost = old_catalog
            .iter()
            .filter(|s| catalog.get(s.oid()).is_none())
            .count();
        if (failed > 0 || lost > 0) && !allow_partial {
            let message = format!(
                "the new catalog is partial ({failed} structure files failed, {lost} of the \
                 {} loaded structures missing); fix the files, or reload with allow_partial",
                old_catalog.len()
            );
            self.metrics.record_reload(Outcome::Refused);
            tracing::error!(
                failed_files = failed,
                lost_structures = lost,
                "reload refused: keeping the loaded definitions"
            );
            return Err(ReloadError::Partial(message));
        }
        let response = pb::ReloadDefinitionsResponse {
            catalog_size: u32::try_from(catalog.len()).unwrap_or(u32::MAX),
            catalog_version: catalog.version(),
            previous_catalog_version: previous.definitions().catalog.version(),
            failed_files: u32::try_from(failed).unwrap_or(u32::MAX),
            duration_micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        };
        self.metrics
            .set_catalog(catalog.len(), &response.catalog_version);
        self.shared
            .set_engine(Engine::with_limits(definitions.clone(), self.limits));
        self.metrics.record_reload(Outcome::Ok);
        tracing::info!(
            structures = response.catalog_size,
            catalog_version = %response.catalog_version,
            previous_catalog_version = %response.previous_catalog_version,
            failed_files = failed,
            lost_structures = lost,
            reload_ms = started.elapsed().as_secs_f64() * 1e3,
            "definitions reloaded"
        );
        Ok(response)
    }
}

/// The gRPC face of the [`Reloader`].
pub(crate) struct AdminService {
    reloader: Arc<Reloader>,
}

impl AdminService {
    pub fn new(reloader: Arc<Reloader>) -> Self {
        Self { reloader }
    }
}

#[tonic::async_trait]
impl pb::admin_server::Admin for AdminService {
    async fn reload_definitions(
        &self,
        request: Request<pb::ReloadDefinitionsRequest>,
    ) -> Result<Response<pb::ReloadDefinitionsResponse>, Status> {
        let allow_partial = request.into_inner().allow_partial;
        tracing::info!(
            rpc = "ReloadDefinitions",
            allow_partial,
            "reloading definitions"
        );
        match self.reloader.reload(allow_partial).await {
            Ok(response) => Ok(Response::new(response)),
            Err(ReloadError::NotReady) => Err(Status::unavailable(
                "the server is still loading its definitions",
            )),
            Err(ReloadError::Failed(message) | ReloadError::Partial(message)) => {
                Err(Status::failed_precondition(format!(
                    "definitions not reloaded, the loaded ones stay: {message}"
                )))
            }
        }
    }
}

/// A stream of SIGHUPs (Unix); elsewhere, none ever arrives.
#[cfg(unix)]
pub(crate) type Sighup = tokio::signal::unix::Signal;
#[cfg(not(unix))]
pub(crate) type Sighup = ();

#[cfg(unix)]
pub(crate) fn sighup() -> std::io::Result<Sighup> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup())
}

#[cfg(not(unix))]
pub(crate) fn sighup() -> std::io::Result<Sighup> {
    Ok(())
}

/// The next SIGHUP, or never when there is no handler.
pub(crate) async fn next_signal(signal: &mut Option<Sighup>) -> Option<()> {
    #[cfg(unix)]
    if let Some(signal) = signal {
        return signal.recv().await;
    }
    #[cfg(not(unix))]
    let _ = signal;
    std::future::pending().await
}
