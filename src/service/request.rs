//! From a protobuf request to the engine's input, and refusals back to gRPC statuses.

use std::time::Duration;

use tokio::time::Instant;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use super::pb;
use crate::check::{CheckOptions, Engine, Format, RequestError};
use crate::definitions::Lang;

/// Longest accepted structure OID and organisation name, in bytes.
const MAX_NAME_BYTES: usize = 128;
/// Longest accepted service task and phase code, in bytes.
const MAX_CODE_BYTES: usize = 64;
/// Longest accepted stream request id, in bytes.
pub(crate) const MAX_REQUEST_ID_BYTES: usize = 128;

/// A caller's value fit to be repeated in an error message: an OID (digits and dots)
/// only. Any other text may be personal data a client put in the wrong field, and error
/// details end up in client logs.
pub(crate) fn echo(value: &str) -> &str {
    let oid = !value.is_empty()
        && value.len() <= MAX_NAME_BYTES
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if oid { value } else { "(the value given)" }
}

/// A request ready for the engine.
pub(crate) struct Prepared {
    pub document: Vec<u8>,
    pub frame: Option<Vec<u8>>,
    pub options: CheckOptions,
}

/// One offending request field.
#[derive(Debug, Clone)]
pub(crate) struct Violation {
    pub field: String,
    pub description: String,
    pub reason: &'static str,
}

/// Why a request gets no report: a gRPC code, a message and the offending fields. Never
/// carries document content.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub code: Code,
    pub message: String,
    pub violations: Vec<Violation>,
}

impl Refusal {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            violations: Vec::new(),
        }
    }

    /// INVALID_ARGUMENT naming every offending field.
    pub fn bad_request(violations: Vec<Violation>) -> Self {
        let message = match violations.as_slice() {
            [one] => format!("invalid {}: {}", one.field, one.description),
            [first, rest @ ..] => format!(
                "invalid {}: {} (and {} more)",
                first.field,
                first.description,
                rest.len()
            ),
            [] => "invalid request".to_string(),
        };
        Self {
            code: Code::InvalidArgument,
            message,
            violations,
        }
    }

    pub fn deadline() -> Self {
        Self::new(
            Code::DeadlineExceeded,
            "the deadline passed before the check finished",
        )
    }

    pub fn unavailable(message: &str) -> Self {
        Self::new(Code::Unavailable, message)
    }

    /// A share of the server's resources that could not be had.
    pub fn from_exhausted(error: crate::service::budget::Exhausted) -> Self {
        use crate::service::budget::Exhausted;
        match error {
            Exhausted::Budget => Self::new(Code::ResourceExhausted, error.to_string()),
            Exhausted::Deadline => Self::deadline(),
            Exhausted::Closed => Self::unavailable("the server is shutting down"),
        }
    }

    pub fn internal(message: &str) -> Self {
        Self::new(Code::Internal, message)
    }

    /// The engine's refusal of a request, with the field it is about.
    pub fn from_engine(error: &RequestError, prefix: &str) -> Self {
        let (code, field, reason) = match error {
            RequestError::EmptyDocument => (Code::InvalidArgument, "document", "EMPTY"),
            RequestError::TooLarge { .. } => (Code::ResourceExhausted, "document", "TOO_LARGE"),
            RequestError::FrameTooLarge { .. } => (Code::ResourceExhausted, "frame", "TOO_LARGE"),
            RequestError::UnknownStructure(_) => {
                (Code::InvalidArgument, "structure_oid", "NOT_IN_CATALOG")
            }
        };
        let description = match error {
            RequestError::UnknownStructure(oid) => {
                format!("structure {} is not in the catalog", echo(oid))
            }
            other => other.to_string(),
        };
        Self {
            code,
            message: description.clone(),
            violations: vec![Violation {
                field: format!("{prefix}{field}"),
                description,
                reason,
            }],
        }
    }

    /// The gRPC status, with a `google.rpc.BadRequest` when fields are at fault.
    pub fn to_status(&self) -> Status {
        if self.violations.is_empty() {
            return Status::new(self.code, self.message.clone());
        }
        let violations: Vec<FieldViolation> = self
            .violations
            .iter()
            .map(|v| FieldViolation {
                field: v.field.clone(),
                description: v.description.clone(),
                reason: v.reason.to_string(),
                localized_message: None,
            })
            .collect();
        Status::with_error_details(
            self.code,
            self.message.clone(),
            ErrorDetails::with_bad_request(violations),
        )
    }

    /// The same refusal as a stream item's error.
    pub fn to_proto(&self) -> pb::RequestError {
        pb::RequestError {
            code: self.code as i32,
            message: self.message.clone(),
            field_violations: self
                .violations
                .iter()
                .map(|v| pb::FieldViolation {
                    field: v.field.clone(),
                    description: v.description.clone(),
                    reason: v.reason.to_string(),
                })
                .collect(),
        }
    }

    /// The code as a metrics label.
    pub fn code_label(&self) -> &'static str {
        code_label(self.code)
    }
}

/// A gRPC code in the protocol's SCREAMING_SNAKE_CASE, for metrics labels and logs.
pub(crate) fn code_label(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn violation(field: String, description: impl Into<String>, reason: &'static str) -> Violation {
    Violation {
        field,
        description: description.into(),
        reason,
    }
}

/// An optional text field: empty is not given; longer than `max` bytes is refused.
fn text(
    value: String,
    field: &str,
    prefix: &str,
    max: usize,
    violations: &mut Vec<Violation>,
) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() > max {
        violations.push(violation(
            format!("{prefix}{field}"),
            format!("longer than {max} bytes"),
            "TOO_LONG",
        ));
        return None;
    }
    Some(value)
}

/// Checks a ValidateRequest and maps it to the engine's input. `prefix` is put before field
/// names (`request.` inside a stream item). Size first: a document over the limit is
/// RESOURCE_EXHAUSTED whatever else is wrong; then every other problem at once as
/// INVALID_ARGUMENT.
pub(crate) fn prepare(
    request: pb::ValidateRequest,
    engine: &Engine,
    prefix: &str,
) -> Result<Prepared, Refusal> {
    let limit = engine.limits().max_document_bytes;
    let pb::ValidateRequest {
        document,
        frame,
        format,
        structure_oid,
        service_task,
        phase,
        organisation,
        language,
        test_environment,
        include_fields,
    } = request;

    let mut too_large = Vec::new();
    if document.len() > limit {
        too_large.push(Refusal::from_engine(
            &RequestError::TooLarge {
                size: document.len(),
                limit,
            },
            prefix,
        ));
    }
    if let Some(frame) = &frame
        && frame.len() > limit
    {
        too_large.push(Refusal::from_engine(
            &RequestError::FrameTooLarge {
                size: frame.len(),
                limit,
            },
            prefix,
        ));
    }
    if let Some(mut first) = too_large.first().cloned() {
        first.violations = too_large.into_iter().flat_map(|r| r.violations).collect();
        return Err(first);
    }

    let mut violations = Vec::new();
    if document.iter().all(u8::is_ascii_whitespace) {
        violations.push(violation(
            format!("{prefix}document"),
            RequestError::EmptyDocument.to_string(),
            "EMPTY",
        ));
    }
    let format = match pb::Format::try_from(format) {
        Ok(pb::Format::Unspecified | pb::Format::Auto) => Format::Auto,
        Ok(pb::Format::Cda) => Format::Cda,
        Ok(pb::Format::Json) => Format::Json,
        Err(_) => {
            violations.push(violation(
                format!("{prefix}format"),
                format!("unknown format {format}: expected FORMAT_AUTO, FORMAT_CDA or FORMAT_JSON"),
                "UNKNOWN_VALUE",
            ));
            Format::Auto
        }
    };
    let lang = match pb::Language::try_from(language) {
        Ok(pb::Language::Unspecified | pb::Language::Fi) => Lang::Fi,
        Ok(pb::Language::Sv) => Lang::Sv,
        Ok(pb::Language::En) => Lang::En,
        Err(_) => {
            violations.push(violation(
                format!("{prefix}language"),
                format!(
                    "unknown language {language}: expected LANGUAGE_FI, LANGUAGE_SV or LANGUAGE_EN"
                ),
                "UNKNOWN_VALUE",
            ));
            Lang::Fi
        }
    };
    let definitions = engine.definitions();
    let structure = text(
        structure_oid,
        "structure_oid",
        prefix,
        MAX_NAME_BYTES,
        &mut violations,
    );
    if let Some(oid) = &structure
        && definitions.catalog.get(oid).is_none()
    {
        violations.push(violation(
            format!("{prefix}structure_oid"),
            format!("structure {} is not in the catalog", echo(oid)),
            "NOT_IN_CATALOG",
        ));
    }
    let service_task = text(
        service_task,
        "service_task",
        prefix,
        MAX_CODE_BYTES,
        &mut violations,
    );
    let phase = text(phase, "phase", prefix, MAX_CODE_BYTES, &mut violations);
    if let Some(name) = text(
        organisation,
        "organisation",
        prefix,
        MAX_NAME_BYTES,
        &mut violations,
    ) && !definitions.bindings.organisations().any(|o| o == name)
    {
        let loaded: Vec<&str> = definitions.bindings.organisations().collect();
        let description = if loaded.is_empty() {
            "the organisation layer named is not loaded: the server has only the national bindings"
                .to_string()
        } else {
            format!(
                "the organisation layer named is not loaded: the server has {}",
                loaded.join(", ")
            )
        };
        violations.push(violation(
            format!("{prefix}organisation"),
            description,
            "NOT_LOADED",
        ));
    }
    if !violations.is_empty() {
        return Err(Refusal::bad_request(violations));
    }
    Ok(Prepared {
        document,
        frame,
        options: CheckOptions {
            format,
            structure,
            service_task,
            phase,
            lang,
            test_environment,
            include_fields,
        },
    })
}

/// The caller's deadline from the `grpc-timeout` header, a little early (5 %, between 2
/// and 50 ms) so that our DEADLINE_EXCEEDED reaches the client before its own timer, which
/// started before the request was sent, gives up on the call.
pub(crate) fn deadline(metadata: &MetadataMap) -> Option<Instant> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    if value.len() < 2 || value.len() > 9 || !value.is_ascii() {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let timeout = match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    };
    let margin = (timeout / 20).clamp(Duration::from_millis(2), Duration::from_millis(50));
    Some(Instant::now() + timeout.saturating_sub(margin))
}

/// A request id fit for logs: the client's `x-request-id` (letters, digits and `._:-`, at
/// most 64), or none.
pub(crate) fn loggable_id(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_grpc_timeouts() {
        let mut metadata = MetadataMap::new();
        assert!(deadline(&metadata).is_none());
        metadata.insert("grpc-timeout", "1500m".parse().unwrap());
        let d = deadline(&metadata).unwrap() - Instant::now();
        assert!(d > Duration::from_millis(1400) && d <= Duration::from_millis(1450));
        metadata.insert("grpc-timeout", "123456789S".parse().unwrap());
        assert!(deadline(&metadata).is_none());
        metadata.insert("grpc-timeout", "5x".parse().unwrap());
        assert!(deadline(&metadata).is_none());
    }

    #[test]
    fn log_ids_keep_only_safe_characters() {
        assert_eq!(loggable_id("abc-1.2_3:x"), "abc-1.2_3:x");
        assert_eq!(loggable_id("a b\n\"c\""), "abc");
        assert_eq!(loggable_id(&"x".repeat(100)).len(), 64);
    }
}
