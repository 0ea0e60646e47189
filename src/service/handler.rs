//! `rakenne.v1.ConformanceService`: requests to the engine and back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use prost::Message as _;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Request, Response, Status, Streaming};
use tonic_types::{ErrorDetails, StatusExt};

use super::budget::{Budget, Charge, Slots};
use super::metrics::Metrics;
use super::oversize::is_transport_too_large;
use super::request::{self, MAX_REQUEST_ID_BYTES, Refusal, Violation, loggable_id};
use super::summary::Summary;
use super::transport::CallState;
use super::{CheckHook, convert, pb};
use crate::check::Engine;
use crate::check::report::Report;

/// Documents (with their frame) up to this size are checked on the async worker that
/// received them. Their check takes well under a millisecond, and handing it to the
/// blocking pool (a thread wake-up, and the document moving to another core's cache) cost
/// a fifth of the gRPC throughput on two cores. Larger documents go to the blocking pool,
/// so that a long check never holds up the other connections, and so does every check
/// while a test hook is set (a hook may block).
const INLINE_CHECK_BYTES: usize = 64 * 1024;

/// What every request shares: the engine (once loaded), the check slots, metrics and the
/// summary table.
///
/// The engine is swapped whole on reload; every request clones the current one (two
/// `Arc`s) when it starts and keeps it to its end, so requests in flight finish on the
/// definitions they started with.
pub(crate) struct Shared {
    engine: RwLock<Option<Engine>>,
    slots: Slots,
    budget: Budget,
    metrics: Arc<Metrics>,
    summary: Summary,
    stream_window: usize,
    request_timeout: Option<Duration>,
    hook: Option<CheckHook>,
    next_id: AtomicU64,
    since_unix_seconds: i64,
}

/// A checked document.
struct Checked {
    report: Report,
    message: pb::Report,
    /// The check alone, without waiting for a slot.
    took: Duration,
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        metrics: Arc<Metrics>,
        slots: Slots,
        budget: Budget,
        stream_window: usize,
        request_timeout: Option<Duration>,
        hook: Option<CheckHook>,
        start_time: SystemTime,
    ) -> Self {
        Self {
            engine: RwLock::new(None),
            request_timeout,
            slots,
            budget,
            metrics,
            summary: Summary::default(),
            stream_window,
            hook,
            next_id: AtomicU64::new(1),
            since_unix_seconds: start_time
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        }
    }

    /// Puts `engine` in place for the requests that start from now on.
    pub fn set_engine(&self, engine: Engine) {
        let old = {
            let mut current = self.engine.write().unwrap_or_else(|e| e.into_inner());
            current.replace(engine)
        };
        // The old engine (if no request holds it) is dropped outside the lock.
        drop(old);
    }

    /// The engine requests start with now, if loaded.
    pub fn current_engine(&self) -> Option<Engine> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn engine(&self) -> Result<Engine, Refusal> {
        self.current_engine()
            .ok_or_else(|| Refusal::unavailable("the server is still loading its definitions"))
    }

    /// The earlier of the client's deadline and the server's request timeout from now.
    fn deadline(&self, client: Option<Instant>) -> Option<Instant> {
        let server = self.request_timeout.map(|t| Instant::now() + t);
        match (client, server) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The client's `x-request-id` (made safe for logs), or a new id.
    fn request_id(&self, metadata: &MetadataMap) -> String {
        let given = metadata
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(loggable_id)
            .unwrap_or_default();
        if given.is_empty() {
            format!("r{}", self.next_id.fetch_add(1, Ordering::Relaxed))
        } else {
            given
        }
    }

    /// Checks one document within the concurrency limit and the deadline: a small one on
    /// this async worker, a larger one on the blocking pool (see [`INLINE_CHECK_BYTES`]).
    ///
    /// `charge` is the call's share of the memory budget: the transport has charged the
    /// request's bytes to it (a stream item's are charged here); the answer's bytes are
    /// added before it is returned, and the charge goes back when the caller drops it
    /// after the answer is sent.
    async fn check(
        self: &Arc<Self>,
        engine: Engine,
        request: pb::ValidateRequest,
        prefix: &str,
        deadline: Option<Instant>,
        charge: &Charge,
    ) -> Result<Checked, Refusal> {
        let _in_flight = self.metrics.track();
        let prepared = request::prepare(request, &engine, prefix)?;
        let size = prepared.document.len() + prepared.frame.as_ref().map_or(0, |f| f.len());
        let permit = self
            .slots
            .acquire(size, deadline)
            .await
            .map_err(Refusal::from_exhausted)?;
        let hook = self.hook.clone();
        let catalog_engine = engine.clone();
        let inline = hook.is_none() && size <= INLINE_CHECK_BYTES;
        let work = move || {
            let _permit = permit;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            if let Some(hook) = &hook {
                hook();
            }
            let started = std::time::Instant::now();
            let result = engine.check(
                &prepared.document,
                prepared.frame.as_deref(),
                &prepared.options,
            );
            let took = started.elapsed();
            Some(result.map(|report| Checked {
                message: convert::report(&report, prepared.options.lang),
                report,
                took,
            }))
        };
        let joined = if inline {
            // A panic becomes the same internal error as one on the blocking pool.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(drop)
        } else {
            let task = tokio::task::spawn_blocking(work);
            match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, task)
                    .await
                    .map_err(|_| Refusal::deadline())?,
                None => task.await,
            }
            .map_err(drop)
        };
        match joined {
            Ok(Some(Ok(checked))) => {
                // The answer counts against the budget until it is sent: a client that
                // does not read cannot make the server hold answers beyond it.
                charge
                    .take(checked.message.encoded_len(), deadline)
                    .await
                    .map_err(Refusal::from_exhausted)?;
                let definitions = catalog_engine.definitions();
                self.metrics.record_report(definitions, &checked.report);
                self.summary.record(definitions, &checked.report);
                Ok(checked)
            }
            Ok(Some(Err(error))) => Err(Refusal::from_engine(&error, prefix)),
            Ok(None) => Err(Refusal::deadline()),
            Err(_) => Err(Refusal::internal("the check failed unexpectedly")),
        }
    }

    /// Metrics and the one log line of a document's request.
    fn finish(
        &self,
        rpc: &'static str,
        request_id: &str,
        started: Instant,
        outcome: &Result<Checked, Refusal>,
    ) {
        let took = started.elapsed();
        self.metrics.observe(rpc, took);
        let duration_ms = took.as_secs_f64() * 1e3;
        match outcome {
            Ok(checked) => {
                let report = &checked.report;
                tracing::info!(
                    rpc,
                    request_id,
                    structure = report.structure.as_ref().map_or("-", |s| s.oid.as_str()),
                    verdict = report.verdict.as_str(),
                    findings = report.findings.len() + report.findings_omitted,
                    check_ms = checked.took.as_secs_f64() * 1e3,
                    duration_ms,
                    "checked"
                );
            }
            Err(refusal) => {
                self.metrics.record_refusal(refusal.code_label());
                let field = refusal.violations.first().map_or("-", |v| v.field.as_str());
                if refusal.code == tonic::Code::Internal {
                    tracing::error!(
                        rpc,
                        request_id,
                        code = refusal.code_label(),
                        duration_ms,
                        "check failed"
                    );
                } else {
                    tracing::info!(
                        rpc,
                        request_id,
                        code = refusal.code_label(),
                        field,
                        duration_ms,
                        "refused"
                    );
                }
            }
        }
    }

    /// One item of a ValidateStream.
    async fn stream_item(
        self: Arc<Self>,
        engine: Engine,
        item: pb::ValidateStreamRequest,
        deadline: Option<Instant>,
        share: Option<Budget>,
    ) -> (pb::ValidateStreamResponse, Charge) {
        let started = Instant::now();
        let charge = self.budget.charge_within(share.as_ref());
        let pb::ValidateStreamRequest {
            request_id,
            request,
        } = item;
        let outcome = if request_id.len() > MAX_REQUEST_ID_BYTES {
            Err(Refusal::bad_request(vec![Violation {
                field: "request_id".into(),
                description: format!("longer than {MAX_REQUEST_ID_BYTES} bytes"),
                reason: "TOO_LONG",
            }]))
        } else {
            match request {
                Some(request) => {
                    let deadline = self.deadline(deadline);
                    // The item is in memory already; its share is taken now, and waits
                    // (within the deadline) when the server is full.
                    let size = request.document.len() + request.frame.as_ref().map_or(0, Vec::len);
                    match charge.take(size, deadline).await {
                        Ok(()) => {
                            self.check(engine, request, "request.", deadline, &charge)
                                .await
                        }
                        Err(error) => Err(Refusal::from_exhausted(error)),
                    }
                }
                None => Err(Refusal::bad_request(vec![Violation {
                    field: "request".into(),
                    description: "missing: every stream item needs a request".into(),
                    reason: "MISSING",
                }])),
            }
        };
        self.finish(
            "ValidateStream",
            &loggable_id(&request_id),
            started,
            &outcome,
        );
        let (result, duration_micros) = match outcome {
            Ok(checked) => (
                pb::validate_stream_response::Result::Report(checked.message),
                micros(checked.took),
            ),
            Err(refusal) => (
                pb::validate_stream_response::Result::Error(refusal.to_proto()),
                0,
            ),
        };
        (
            pb::ValidateStreamResponse {
                request_id,
                result: Some(result),
                duration_micros,
            },
            charge,
        )
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A stream item on its way: its check, or the end of the stream with a status.
enum Pending {
    Item(JoinHandle<(pb::ValidateStreamResponse, Charge)>),
    End(Status),
}

/// The service implementation.
#[derive(Clone)]
pub(crate) struct Conformance {
    shared: Arc<Shared>,
}

impl Conformance {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Reserves `bytes` of the server's memory budget for a request body that an adapter
    /// other than gRPC (the HTTP API) is about to read, waiting at most the server's
    /// request timeout: the same budget the gRPC transport charges. The call state goes
    /// into the request's extensions, so that the check adds its answer to the same
    /// charge; everything goes back when the caller drops it after answering.
    pub(crate) async fn reserve(&self, bytes: usize) -> Result<CallState, Status> {
        let charge = self.shared.budget.charge();
        match charge.take(bytes, self.shared.deadline(None)).await {
            Ok(()) => Ok(CallState {
                charge,
                share: None,
                counted: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            }),
            Err(exhausted) => {
                let status = Refusal::from_exhausted(exhausted).to_status();
                self.shared
                    .metrics
                    .record_refusal(request::code_label(status.code()));
                Err(status)
            }
        }
    }

    fn definitions(&self) -> Result<Engine, Status> {
        self.shared.engine().map_err(|r| r.to_status())
    }
}

#[tonic::async_trait]
impl pb::conformance_service_server::ConformanceService for Conformance {
    async fn validate(
        &self,
        request: Request<pb::ValidateRequest>,
    ) -> Result<Response<pb::ValidateResponse>, Status> {
        let started = Instant::now();
        let deadline = self.shared.deadline(request::deadline(request.metadata()));
        let request_id = self.shared.request_id(request.metadata());
        let call = request.extensions().get::<CallState>().cloned();
        let charge = call
            .as_ref()
            .map_or_else(|| self.shared.budget.charge(), |c| c.charge.clone());
        let outcome = match self.shared.engine() {
            Ok(engine) => {
                self.shared
                    .check(engine, request.into_inner(), "", deadline, &charge)
                    .await
            }
            Err(refusal) => Err(refusal),
        };
        self.shared
            .finish("Validate", &request_id, started, &outcome);
        if let Some(call) = &call {
            call.counted.store(true, Ordering::Relaxed);
        }
        let mut response = match outcome {
            Ok(checked) => Response::new(pb::ValidateResponse {
                duration_micros: micros(checked.took),
                report: Some(checked.message),
            }),
            Err(refusal) => {
                let mut status = refusal.to_status();
                if let Ok(value) = MetadataValue::try_from(request_id.as_str()) {
                    status.metadata_mut().insert("x-request-id", value);
                }
                return Err(status);
            }
        };
        if let Ok(value) = MetadataValue::try_from(request_id.as_str()) {
            response.metadata_mut().insert("x-request-id", value);
        }
        Ok(response)
    }

    type ValidateStreamStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<pb::ValidateStreamResponse, Status>> + Send>,
    >;

    async fn validate_stream(
        &self,
        request: Request<Streaming<pb::ValidateStreamRequest>>,
    ) -> Result<Response<Self::ValidateStreamStream>, Status> {
        let deadline = request::deadline(request.metadata());
        let share = request
            .extensions()
            .get::<CallState>()
            .and_then(|c| c.share.clone());
        let engine = self.definitions()?;
        let shared = self.shared.clone();
        let window = shared.stream_window;
        let mut inbound = request.into_inner();
        // Bounded both ways: the reader stops pulling requests (and HTTP/2 flow control
        // stops the client) when `window` checks wait for the writer, and the writer stops
        // when `window` responses wait for the client.
        let (pending_tx, mut pending_rx) = mpsc::channel::<Pending>(window);
        let (out_tx, out_rx) = mpsc::channel(window);
        tokio::spawn(async move {
            loop {
                let next = match deadline {
                    Some(deadline) => {
                        match tokio::time::timeout_at(deadline, inbound.message()).await {
                            Ok(next) => next,
                            Err(_) => {
                                let status = Refusal::deadline().to_status();
                                let _ = pending_tx.send(Pending::End(status)).await;
                                break;
                            }
                        }
                    }
                    None => inbound.message().await,
                };
                match next {
                    Ok(Some(item)) => {
                        let task = tokio::spawn(shared.clone().stream_item(
                            engine.clone(),
                            item,
                            deadline,
                            share.clone(),
                        ));
                        if pending_tx.send(Pending::Item(task)).await.is_err() {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(status) => {
                        let status = if is_transport_too_large(&status) {
                            Status::resource_exhausted(status.message())
                        } else {
                            status
                        };
                        if matches!(
                            status.code(),
                            tonic::Code::InvalidArgument | tonic::Code::ResourceExhausted
                        ) {
                            shared
                                .metrics
                                .record_refusal(super::request::code_label(status.code()));
                        }
                        let _ = pending_tx.send(Pending::End(status)).await;
                        break;
                    }
                }
            }
        });
        tokio::spawn(async move {
            while let Some(pending) = pending_rx.recv().await {
                let (message, charge) = match pending {
                    Pending::Item(task) => match task.await {
                        Ok((message, charge)) => (Ok(message), Some(charge)),
                        Err(_) => (Err(Status::internal("a check failed unexpectedly")), None),
                    },
                    Pending::End(status) => (Err(status), None),
                };
                let end = message.is_err();
                if out_tx.send((message, charge)).await.is_err() || end {
                    break;
                }
            }
        });
        // Each answer's share of the budget goes back when the transport takes it.
        let answers =
            tokio_stream::StreamExt::map(ReceiverStream::new(out_rx), |(message, _charge)| message);
        Ok(Response::new(Box::pin(answers)))
    }

    async fn list_structures(
        &self,
        request: Request<pb::ListStructuresRequest>,
    ) -> Result<Response<pb::ListStructuresResponse>, Status> {
        let started = Instant::now();
        let request_id = self.shared.request_id(request.metadata());
        let engine = self.definitions()?;
        let request = request.into_inner();
        let catalog = &engine.definitions().catalog;
        let family = request.family.trim();
        let subject = request.subject_contains.trim().to_lowercase();
        let mut structures: Vec<_> = catalog
            .iter()
            .filter(|s| family.is_empty() || s.meta.family.eq_ignore_ascii_case(family))
            .filter(|s| {
                subject.is_empty()
                    || s.meta
                        .subject
                        .as_deref()
                        .is_some_and(|have| have.to_lowercase().contains(&subject))
            })
            .collect();
        structures.sort_by(|a, b| {
            (
                &a.meta.family,
                &a.name().fi,
                &a.meta.definition_version,
                a.oid(),
            )
                .cmp(&(
                    &b.meta.family,
                    &b.name().fi,
                    &b.meta.definition_version,
                    b.oid(),
                ))
        });
        tracing::info!(
            rpc = "ListStructures",
            request_id,
            structures = structures.len(),
            duration_ms = started.elapsed().as_secs_f64() * 1e3,
            "listed"
        );
        Ok(Response::new(pb::ListStructuresResponse {
            structures: structures
                .into_iter()
                .map(|s| convert::structure_summary(s))
                .collect(),
            catalog_version: catalog.version(),
            catalog_size: u32::try_from(catalog.len()).unwrap_or(u32::MAX),
        }))
    }

    async fn get_structure(
        &self,
        request: Request<pb::GetStructureRequest>,
    ) -> Result<Response<pb::GetStructureResponse>, Status> {
        let started = Instant::now();
        let request_id = self.shared.request_id(request.metadata());
        let engine = self.definitions()?;
        let wanted = request.into_inner().oid;
        let wanted = wanted.trim();
        if wanted.is_empty() || wanted.len() > 128 {
            let refusal = Refusal::bad_request(vec![Violation {
                field: "oid".into(),
                description: if wanted.is_empty() {
                    "missing: give a structure oid or a content root key".into()
                } else {
                    "longer than 128 bytes".into()
                },
                reason: if wanted.is_empty() {
                    "MISSING"
                } else {
                    "TOO_LONG"
                },
            }]);
            return Err(refusal.to_status());
        }
        let catalog = &engine.definitions().catalog;
        let Some(structure) = catalog.get(wanted).or_else(|| catalog.latest(wanted)) else {
            let wanted = request::echo(wanted);
            return Err(Status::with_error_details(
                tonic::Code::NotFound,
                format!("structure {wanted} is not in the catalog"),
                ErrorDetails::with_resource_info(
                    "rakenne.v1.Structure",
                    wanted,
                    "",
                    "no structure with this oid or content root key",
                ),
            ));
        };
        tracing::info!(
            rpc = "GetStructure",
            request_id,
            structure = structure.oid(),
            duration_ms = started.elapsed().as_secs_f64() * 1e3,
            "got"
        );
        Ok(Response::new(convert::structure(structure)))
    }

    async fn get_conformance_summary(
        &self,
        request: Request<pb::GetConformanceSummaryRequest>,
    ) -> Result<Response<pb::GetConformanceSummaryResponse>, Status> {
        let started = Instant::now();
        let request_id = self.shared.request_id(request.metadata());
        let by_custodian = request.into_inner().by_custodian;
        let summary = self
            .shared
            .summary
            .snapshot(by_custodian, self.shared.since_unix_seconds);
        tracing::info!(
            rpc = "GetConformanceSummary",
            request_id,
            rows = summary.rows.len(),
            duration_ms = started.elapsed().as_secs_f64() * 1e3,
            "summarised"
        );
        Ok(Response::new(summary))
    }

    async fn list_rules(
        &self,
        request: Request<pb::ListRulesRequest>,
    ) -> Result<Response<pb::ListRulesResponse>, Status> {
        let engine = self.definitions()?;
        let bindings = &engine.definitions().bindings;
        Ok(Response::new(super::rules::list_rules(
            bindings,
            request.get_ref(),
        )))
    }
}
