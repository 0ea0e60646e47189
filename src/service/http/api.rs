//! The API's handlers: query, headers and body to the gRPC request message, the
//! [`Conformance`](super::Conformance) method, and its answer back as JSON.
//!
//! Errors are `{"error": {"code", "status", "grpcCode", "message", "fieldViolations"}}`:
//! `status` and `grpcCode` are the gRPC code (name and number) the same request gets
//! over gRPC, `fieldViolations` its `google.rpc.BadRequest` violations (named by the
//! `ValidateRequest` fields), and `code` the HTTP status: INVALID_ARGUMENT 400, NOT_FOUND
//! 404, RESOURCE_EXHAUSTED 413 for a document or frame over the limit (429 otherwise),
//! UNAVAILABLE 503, DEADLINE_EXCEEDED 504, INTERNAL 500.

use axum::extract::{FromRequest as _, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use tonic::metadata::MetadataValue;
use tonic_types::StatusExt as _;

use super::HttpState;
use crate::service::pb::{self, conformance_service_server::ConformanceService as _};
use crate::service::request::{Violation, code_label, loggable_id};

/// Query parameters and form fields of `POST /v1/validate`, as `ValidateRequest` fields.
const PARAMETERS: &[&str] = &[
    "structure",
    "service_task",
    "phase",
    "organisation",
    "lang",
    "test_environment",
    "include_fields",
    "format",
];

/// A JSON body with `status`.
fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            tonic::Code::Internal,
            "cannot encode the response",
            &[],
        ),
    }
}

/// The error body.
fn error(
    status: StatusCode,
    code: tonic::Code,
    message: &str,
    violations: &[(String, String, String)],
) -> Response {
    let mut body = json!({
        "code": status.as_u16(),
        "status": code_label(code),
        "grpcCode": code as i32,
        "message": message,
    });
    if !violations.is_empty() {
        body["fieldViolations"] = violations
            .iter()
            .map(|(field, description, reason)| {
                json!({"field": field, "description": description, "reason": reason})
            })
            .collect();
    }
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": body }).to_string(),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// INVALID_ARGUMENT (400) for request fields the HTTP layer refuses.
fn bad_request(violations: Vec<Violation>) -> Response {
    let refusal = crate::service::request::Refusal::bad_request(violations);
    from_status(&refusal.to_status())
}

/// The HTTP answer to a gRPC status: the same code, message and field violations.
pub(super) fn from_status(status: &tonic::Status) -> Response {
    let violations: Vec<(String, String, String)> = status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone(), v.reason.clone()))
                .collect()
        })
        .unwrap_or_default();
    let http = match status.code() {
        tonic::Code::InvalidArgument | tonic::Code::OutOfRange => StatusCode::BAD_REQUEST,
        tonic::Code::FailedPrecondition => StatusCode::BAD_REQUEST,
        tonic::Code::NotFound => StatusCode::NOT_FOUND,
        tonic::Code::ResourceExhausted if violations.iter().any(|v| v.2 == "TOO_LARGE") => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        tonic::Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        tonic::Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        tonic::Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        tonic::Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        tonic::Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(http, status.code(), status.message(), &violations)
}

/// A refusal of the gRPC method, with the request id it logged.
fn from_refusal(status: &tonic::Status) -> Response {
    let mut response = from_status(status);
    if let Some(id) = status
        .metadata()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

/// A gRPC request carrying the caller's `x-request-id`.
fn grpc_request<T>(message: T, headers: &HeaderMap) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(id) = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(loggable_id)
        .filter(|id| !id.is_empty())
        && let Ok(value) = MetadataValue::try_from(id.as_str())
    {
        request.metadata_mut().insert("x-request-id", value);
    }
    request
}

/// An RPC's outcome as an HTTP answer: the response as JSON, or the refusal's error.
fn answer<T: Serialize>(outcome: Result<tonic::Response<T>, tonic::Status>) -> Response {
    match outcome {
        Ok(response) => from_response(response),
        Err(status) => from_refusal(&status),
    }
}

/// A successful gRPC response as JSON, with its `x-request-id`.
fn from_response<T: Serialize>(response: tonic::Response<T>) -> Response {
    let id = response
        .metadata()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| HeaderValue::from_str(v).ok());
    let mut http = json_response(StatusCode::OK, response.get_ref());
    if let Some(id) = id {
        http.headers_mut().insert("x-request-id", id);
    }
    http
}

fn violation(field: &str, description: impl Into<String>, reason: &'static str) -> Violation {
    Violation {
        field: field.to_string(),
        description: description.into(),
        reason,
    }
}

/// A boolean parameter: `true`/`false`, `1`/`0`, or `on` (an HTML checkbox).
fn boolean(value: &str) -> Option<bool> {
    match value {
        "true" | "1" | "on" | "yes" => Some(true),
        "false" | "0" | "off" | "no" | "" => Some(false),
        _ => None,
    }
}

/// Sets one option of `request` from a parameter; a bad one becomes a violation.
fn apply(
    request: &mut pb::ValidateRequest,
    name: &str,
    value: String,
    violations: &mut Vec<Violation>,
) {
    match name {
        "structure" => request.structure_oid = value,
        "service_task" => request.service_task = value,
        "phase" => request.phase = value,
        "organisation" => request.organisation = value,
        "lang" => match value.as_str() {
            "" | "fi" => request.language = pb::Language::Fi as i32,
            "sv" => request.language = pb::Language::Sv as i32,
            "en" => request.language = pb::Language::En as i32,
            _ => violations.push(violation(
                "language",
                "unknown language: expected fi, sv or en",
                "UNKNOWN_VALUE",
            )),
        },
        "format" => match value.as_str() {
            "" | "auto" => request.format = pb::Format::Auto as i32,
            "cda" => request.format = pb::Format::Cda as i32,
            "json" => request.format = pb::Format::Json as i32,
            _ => violations.push(violation(
                "format",
                "unknown format: expected auto, cda or json",
                "UNKNOWN_VALUE",
            )),
        },
        "test_environment" | "include_fields" => match boolean(&value) {
            Some(flag) if name == "test_environment" => request.test_environment = flag,
            Some(flag) => request.include_fields = flag,
            None => violations.push(violation(
                name,
                "not a boolean: expected true or false",
                "UNKNOWN_VALUE",
            )),
        },
        _ => {
            // Repeat the name only when it cannot be anything but a parameter name.
            let shown =
                if name.len() <= 32 && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    name
                } else {
                    "(the name given)"
                };
            violations.push(violation(
                "query",
                format!(
                    "unknown parameter {shown}: expected {}",
                    PARAMETERS.join(", ")
                ),
                "UNKNOWN_VALUE",
            ));
        }
    }
}

/// The format a content type names, when it names one.
fn format_of(headers: &HeaderMap) -> pb::Format {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "application/xml" | "text/xml" | "application/hl7-cda+xml" => pb::Format::Cda,
        "application/json" => pb::Format::Json,
        _ => pb::Format::Auto,
    }
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// The body over the limit: RESOURCE_EXHAUSTED (413) before the rest is read.
fn body_too_large(limit: usize) -> Response {
    let description = format!("the request body is over {limit} bytes");
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        tonic::Code::ResourceExhausted,
        &description,
        &[("document".into(), description.clone(), "TOO_LARGE".into())],
    )
}

/// `POST /v1/validate`.
pub(super) async fn validate(
    State(state): State<HttpState>,
    parameters: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Response {
    let Ok(Query(parameters)) = parameters else {
        return bad_request(vec![violation(
            "query",
            "the query string cannot be read",
            "UNKNOWN_VALUE",
        )]);
    };
    let headers = request.headers().clone();
    // The body's share of the memory budget is taken before it is read: its announced
    // length, or the most a body may be when it announces none.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > state.max_body_bytes) {
        return body_too_large(state.max_body_bytes);
    }
    let call = match state
        .conformance
        .reserve(announced.unwrap_or(state.max_body_bytes))
        .await
    {
        Ok(call) => call,
        Err(status) => return from_refusal(&status),
    };
    match receive(&state, parameters, headers, request, call).await {
        Ok(response) | Err(response) => response,
    }
}

/// The rest of `POST /v1/validate` once the body's share of the budget is held: reads the
/// body within `--receive-timeout` and checks it.
async fn receive(
    state: &HttpState,
    parameters: Vec<(String, String)>,
    headers: HeaderMap,
    request: Request,
    call: crate::service::transport::CallState,
) -> Result<Response, Response> {
    let read = read_validate(state, parameters, &headers, request);
    let message = match state.receive_timeout {
        Some(limit) => tokio::time::timeout(limit, read).await.map_err(|_| {
            error(
                StatusCode::REQUEST_TIMEOUT,
                tonic::Code::DeadlineExceeded,
                "the request body did not arrive in time (--receive-timeout)",
                &[],
            )
        })??,
        None => read.await?,
    };
    let mut grpc = grpc_request(message, &headers);
    grpc.extensions_mut().insert(call);
    Ok(answer(state.conformance.validate(grpc).await))
}

/// Reads the request message of `POST /v1/validate`: the raw body or the form's parts,
/// and the options.
async fn read_validate(
    state: &HttpState,
    parameters: Vec<(String, String)>,
    headers: &HeaderMap,
    request: Request,
) -> Result<pb::ValidateRequest, Response> {
    let mut message = pb::ValidateRequest {
        format: format_of(headers) as i32,
        ..Default::default()
    };
    let mut violations = Vec::new();
    for (name, value) in parameters {
        apply(&mut message, &name, value, &mut violations);
    }
    if is_multipart(headers) {
        message.format = pb::Format::Auto as i32;
        let mut form = match Multipart::from_request(request, state).await {
            Ok(form) => form,
            Err(rejection) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    tonic::Code::InvalidArgument,
                    &rejection.body_text(),
                    &[],
                ));
            }
        };
        let mut document = None;
        loop {
            let field = match form.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(body_too_large(state.max_body_bytes));
                }
                Err(error) => {
                    return Err(self::error(
                        StatusCode::BAD_REQUEST,
                        tonic::Code::InvalidArgument,
                        &format!("cannot read the form: {}", error.body_text()),
                        &[],
                    ));
                }
            };
            let name = field.name().unwrap_or_default().to_string();
            let bytes = match field.bytes().await {
                Ok(bytes) => bytes,
                Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(body_too_large(state.max_body_bytes));
                }
                Err(error) => {
                    return Err(self::error(
                        StatusCode::BAD_REQUEST,
                        tonic::Code::InvalidArgument,
                        &format!("cannot read the form: {}", error.body_text()),
                        &[],
                    ));
                }
            };
            match name.as_str() {
                "document" => document = Some(bytes.to_vec()),
                // An empty frame part is a file input left empty.
                "frame" if !bytes.is_empty() => message.frame = Some(bytes.to_vec()),
                "frame" => {}
                _ => {
                    let value = String::from_utf8_lossy(&bytes).into_owned();
                    apply(&mut message, &name, value, &mut violations);
                }
            }
        }
        match document {
            Some(document) => message.document = document,
            None => violations.push(violation(
                "document",
                "missing: the form has no document part",
                "MISSING",
            )),
        }
    } else {
        match axum::body::to_bytes(request.into_body(), state.max_body_bytes).await {
            Ok(bytes) => message.document = bytes.to_vec(),
            Err(_) => return Err(body_too_large(state.max_body_bytes)),
        }
    }
    if !violations.is_empty() {
        return Err(bad_request(violations));
    }
    Ok(message)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListParameters {
    #[serde(default)]
    family: String,
    #[serde(default)]
    subject_contains: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RulesParameters {
    #[serde(default)]
    family: String,
}

/// `GET /v1/rules`: the rule catalogue with the server's re-gradings (the ListRules RPC).
pub(super) async fn list_rules(
    State(state): State<HttpState>,
    headers: HeaderMap,
    parameters: Result<Query<RulesParameters>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(parameters)) = parameters else {
        return bad_request(vec![violation(
            "query",
            "unknown parameter: expected family",
            "UNKNOWN_VALUE",
        )]);
    };
    let message = pb::ListRulesRequest {
        family: parameters.family,
    };
    answer(
        state
            .conformance
            .list_rules(grpc_request(message, &headers))
            .await,
    )
}

/// `GET /v1/structures`.
pub(super) async fn list_structures(
    State(state): State<HttpState>,
    headers: HeaderMap,
    parameters: Result<Query<ListParameters>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(parameters)) = parameters else {
        return bad_request(vec![violation(
            "query",
            "unknown parameter: expected family, subject_contains",
            "UNKNOWN_VALUE",
        )]);
    };
    let message = pb::ListStructuresRequest {
        family: parameters.family,
        subject_contains: parameters.subject_contains,
    };
    answer(
        state
            .conformance
            .list_structures(grpc_request(message, &headers))
            .await,
    )
}

/// `GET /v1/structures/{oid}`: by OID or content root key.
pub(super) async fn get_structure(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Path(oid): Path<String>,
) -> Response {
    let message = pb::GetStructureRequest { oid };
    answer(
        state
            .conformance
            .get_structure(grpc_request(message, &headers))
            .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SummaryParameters {
    #[serde(default)]
    by_custodian: Option<String>,
}

/// `GET /v1/summary`.
pub(super) async fn summary(
    State(state): State<HttpState>,
    headers: HeaderMap,
    parameters: Result<Query<SummaryParameters>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let by_custodian = match parameters {
        Ok(Query(SummaryParameters { by_custodian })) => {
            boolean(by_custodian.as_deref().unwrap_or_default())
        }
        Err(_) => None,
    };
    let Some(by_custodian) = by_custodian else {
        return bad_request(vec![violation(
            "by_custodian",
            "expected by_custodian=true or false, and no other parameter",
            "UNKNOWN_VALUE",
        )]);
    };
    let message = pb::GetConformanceSummaryRequest { by_custodian };
    answer(
        state
            .conformance
            .get_conformance_summary(grpc_request(message, &headers))
            .await,
    )
}

/// `GET /healthz`: the process answers.
pub(super) async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

/// `GET /readyz`: the definitions are loaded and the server is not shutting down.
pub(super) async fn readyz(State(state): State<HttpState>) -> Response {
    if state.metrics.is_ready() {
        json_response(StatusCode::OK, &json!({"status": "ready"}))
    } else {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            tonic::Code::Unavailable,
            "the server is loading its definitions or shutting down",
            &[],
        )
    }
}

/// Any other path.
pub(super) async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        tonic::Code::NotFound,
        "no such path: see /openapi.json",
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::RequestError;
    use crate::service::request::Refusal;

    fn http_status(status: &tonic::Status) -> u16 {
        from_status(status).status().as_u16()
    }

    #[test]
    fn grpc_codes_map_to_http_statuses() {
        let too_large = Refusal::from_engine(
            &RequestError::TooLarge {
                size: 20,
                limit: 10,
            },
            "",
        )
        .to_status();
        assert_eq!(http_status(&too_large), 413);
        assert_eq!(http_status(&tonic::Status::resource_exhausted("busy")), 429);
        assert_eq!(http_status(&tonic::Status::invalid_argument("x")), 400);
        assert_eq!(http_status(&tonic::Status::not_found("x")), 404);
        assert_eq!(http_status(&Refusal::deadline().to_status()), 504);
        assert_eq!(http_status(&Refusal::unavailable("x").to_status()), 503);
        assert_eq!(http_status(&Refusal::internal("x").to_status()), 500);
        let busy = from_status(&tonic::Status::unavailable("x"));
        assert_eq!(busy.headers().get(header::RETRY_AFTER).unwrap(), "1");
    }

    #[test]
    fn parameters_map_to_request_fields() {
        let mut request = pb::ValidateRequest::default();
        let mut violations = Vec::new();
        for (name, value) in [
            ("structure", "1.2.3"),
            ("lang", "sv"),
            ("test_environment", "on"),
            ("include_fields", "true"),
            ("format", "json"),
        ] {
            apply(&mut request, name, value.into(), &mut violations);
        }
        assert!(violations.is_empty());
        assert_eq!(request.structure_oid, "1.2.3");
        assert_eq!(request.language, pb::Language::Sv as i32);
        assert!(request.test_environment && request.include_fields);
        assert_eq!(request.format, pb::Format::Json as i32);
        apply(
            &mut request,
            "Matti Meikäläinen",
            "x".into(),
            &mut violations,
        );
        assert_eq!(violations[0].field, "query");
        assert!(!violations[0].description.contains("Matti"));
    }
}
