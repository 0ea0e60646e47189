//! Prometheus metrics of one server, and the `/metrics` HTTP endpoint.
//!
//! Labels are bounded and never hold personal data or free text: a structure OID only when
//! the catalog has it, a service task only when it is a code of the loaded service task
//! classification (1.2.246.537.6.1221), verdicts, severities, gRPC codes and the engine's
//! rule ids. Anything else a client sends is counted as `other`, so no client can add
//! series.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use prometheus::{
    Encoder as _, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::check::report::Report;
use crate::definitions::Definitions;
use crate::definitions::catalog::Catalog;

/// Label value for a missing value.
const NONE: &str = "none";
/// Label value for a value that may not be a label.
const OTHER: &str = "other";

pub(crate) struct Metrics {
    registry: Registry,
    documents: IntCounterVec,
    findings: IntCounterVec,
    refused: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
    catalog_structures: IntGauge,
    catalog_info: IntGaugeVec,
    ready: IntGauge,
    reloads: IntCounterVec,
}

impl Metrics {
    pub fn new(start_time: SystemTime) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let documents = IntCounterVec::new(
            Opts::new(
                "rakenne_documents_total",
                "Documents checked, by structure OID, service task code and verdict",
            ),
            &["structure", "service_task", "verdict"],
        )?;
        let findings = IntCounterVec::new(
            Opts::new(
                "rakenne_findings_total",
                "Findings returned, by rule id and severity",
            ),
            &["rule", "severity"],
        )?;
        let refused = IntCounterVec::new(
            Opts::new(
                "rakenne_refused_total",
                "Documents not checked, by gRPC status code (bad requests, deadlines)",
            ),
            &["code"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "rakenne_request_duration_seconds",
                "Time to answer one document, waiting for a check slot included, by API (grpc, http) and RPC",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["api", "rpc"],
        )?;
        let in_flight = IntGauge::new(
            "rakenne_requests_in_flight",
            "Documents being checked or waiting for a check slot",
        )?;
        let catalog_structures = IntGauge::new(
            "rakenne_catalog_structures",
            "Structures in the loaded catalog",
        )?;
        let catalog_info = IntGaugeVec::new(
            Opts::new(
                "rakenne_catalog_info",
                "The loaded catalog's version (count, newest definition date, hash of OIDs)",
            ),
            &["version"],
        )?;
        let ready = IntGauge::new(
            "rakenne_ready",
            "1 when the definitions are loaded and the service answers",
        )?;
        let reloads = IntCounterVec::new(
            Opts::new(
                "rakenne_reload_total",
                "Reloads of the definitions (SIGHUP or the Admin RPC), by outcome (ok, failed, \
                 refused: partial catalog)",
            ),
            &["outcome"],
        )?;
        for outcome in ["ok", "failed", "refused"] {
            reloads.with_label_values(&[outcome]);
        }
        let start = Gauge::new(
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds",
        )?;
        start.set(
            start_time
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64(),
        );
        registry.register(Box::new(documents.clone()))?;
        registry.register(Box::new(findings.clone()))?;
        registry.register(Box::new(refused.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(catalog_structures.clone()))?;
        registry.register(Box::new(catalog_info.clone()))?;
        registry.register(Box::new(ready.clone()))?;
        registry.register(Box::new(reloads.clone()))?;
        registry.register(Box::new(start))?;
        Ok(Self {
            registry,
            documents,
            findings,
            refused,
            duration,
            in_flight,
            catalog_structures,
            catalog_info,
            ready,
            reloads,
        })
    }

    pub fn set_catalog(&self, structures: usize, version: &str) {
        self.catalog_structures
            .set(i64::try_from(structures).unwrap_or(i64::MAX));
        self.catalog_info.reset();
        self.catalog_info.with_label_values(&[version]).set(1);
    }

    /// Counts a reload of the definitions.
    pub fn record_reload(&self, outcome: Outcome) {
        self.reloads.with_label_values(&[outcome.label()]).inc();
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    /// Whether the service answers (definitions loaded, not shutting down).
    pub fn is_ready(&self) -> bool {
        self.ready.get() == 1
    }

    pub fn in_flight(&self) -> i64 {
        self.in_flight.get()
    }

    /// Counts a document in flight until the guard is dropped.
    pub fn track(self: &Arc<Self>) -> InFlight {
        self.in_flight.inc();
        InFlight(self.clone())
    }

    pub fn record_report(&self, definitions: &Definitions, report: &Report) {
        let structure = structure_label(
            &definitions.catalog,
            report.structure.as_ref().map(|s| s.oid.as_str()),
        );
        let task = service_task_label(definitions, report.document.service_task.as_deref());
        self.documents
            .with_label_values(&[structure, task, report.verdict.as_str()])
            .inc();
        for finding in &report.findings {
            self.findings
                .with_label_values(&[rule_label(&finding.rule), finding.severity.as_str()])
                .inc();
        }
    }

    pub fn record_refusal(&self, code: &'static str) {
        self.refused.with_label_values(&[code]).inc();
    }

    /// The time one document's request took, by API (see [`with_api`]) and RPC.
    pub fn observe(&self, rpc: &'static str, took: Duration) {
        let api = API.try_with(|api| *api).unwrap_or("grpc");
        self.duration
            .with_label_values(&[api, rpc])
            .observe(took.as_secs_f64());
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::warn!(error = %error, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

/// How a reload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The new catalog is in place.
    Ok,
    /// The definitions did not load.
    Failed,
    /// They loaded only in part, and a partial reload was not allowed.
    Refused,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Refused => "refused",
        }
    }
}

tokio::task_local! {
    /// The API a request came in through, when not gRPC.
    static API: &'static str;
}

/// Runs `future` (a request that came in through the HTTP API, say) with its request
/// metrics labelled `api="<api>"` instead of `api="grpc"`.
pub(crate) async fn with_api<F: Future>(api: &'static str, future: F) -> F::Output {
    API.scope(api, future).await
}

/// Decrements the in-flight gauge when dropped.
pub(crate) struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// The structure OID when the catalog has it.
pub(crate) fn structure_label<'a>(catalog: &Catalog, oid: Option<&'a str>) -> &'a str {
    match oid {
        None => NONE,
        Some(oid) if catalog.get(oid).is_some() => oid,
        Some(_) => OTHER,
    }
}

/// The classification of service tasks (palvelutehtävä); only its codes are labels.
pub(crate) const SERVICE_TASK_CLASSIFICATION: &str = "1.2.246.537.6.1221";

/// The service task when it is a code of the loaded service task classification.
pub(crate) fn service_task_label<'a>(definitions: &Definitions, task: Option<&'a str>) -> &'a str {
    match task {
        None => NONE,
        Some(task) if is_service_task(definitions, task) => task,
        Some(_) => OTHER,
    }
}

/// Whether `task` is a code of the loaded service task classification.
pub(crate) fn is_service_task(definitions: &Definitions, task: &str) -> bool {
    definitions
        .classifications
        .get(SERVICE_TASK_CLASSIFICATION)
        .is_some_and(|c| c.code(task).is_some())
}

/// The engine's rule ids are fixed names; anything else is not a label.
fn rule_label(rule: &str) -> &str {
    let fits = (1..=64).contains(&rule.len())
        && rule.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if fits { rule } else { OTHER }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        let definitions = Definitions::embedded().unwrap();
        let known = definitions
            .classifications
            .get(SERVICE_TASK_CLASSIFICATION)
            .and_then(|c| c.codes().first())
            .map(|c| c.code.clone())
            .expect("the embedded service task classification has codes");
        assert_eq!(service_task_label(&definitions, Some(&known)), known);
        assert_eq!(
            service_task_label(&definitions, Some("Matti Meikäläinen")),
            "other"
        );
        assert_eq!(service_task_label(&definitions, Some("987654")), "other");
        assert_eq!(service_task_label(&definitions, None), "none");
        assert_eq!(rule_label("content.required"), "content.required");
        assert_eq!(rule_label("Content Required"), "other");
    }
}
