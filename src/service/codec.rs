//! The protobuf codec of `rakenne.v1`: prost's, except that a request message that does
//! not decode is the client's fault (INVALID_ARGUMENT naming the field in a
//! `google.rpc.BadRequest`), not an INTERNAL error of the server.
//!
//! prost answers a string field holding invalid UTF-8 (or any malformed message) with a
//! `DecodeError`, which tonic's own codec turns into INTERNAL "failed to decode Protobuf
//! message". The generated services use this codec instead (see `build.rs`).

use std::marker::PhantomData;

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The message of every refusal of an undecodable request; the metrics layer counts the
/// refusals it sees with it.
pub(crate) const UNDECODABLE: &str = "the request message cannot be decoded";

/// prost's codec with client-fault decoding errors.
#[derive(Debug, Clone, Copy)]
pub struct ProtoCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for ProtoCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for ProtoCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = tonic_prost::ProstEncoder<T>;
    type Decoder = ProtoDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        tonic_prost::ProstEncoder::new(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProtoDecoder(PhantomData)
    }
}

/// Decodes with prost; a failure is INVALID_ARGUMENT with the offending field.
#[derive(Debug)]
pub struct ProtoDecoder<U>(PhantomData<U>);

impl<U: Message + Default> Decoder for ProtoDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(|e| refusal(&e))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// INVALID_ARGUMENT for a message prost could not decode, naming the field (as a path from
/// the request message, `request.structure_oid` in a stream item) when prost tells it.
/// Holds nothing of the value.
pub(crate) fn refusal(error: &prost::DecodeError) -> Status {
    let (field, reason) = field_of(&error.to_string());
    let description = match reason {
        "NOT_UTF8" => "not valid UTF-8".to_string(),
        _ => "not a valid protobuf encoding".to_string(),
    };
    let message = if field.is_empty() {
        format!("{UNDECODABLE}: {description}")
    } else {
        format!("{UNDECODABLE}: {field} is {description}")
    };
    Status::with_error_details(
        tonic::Code::InvalidArgument,
        message,
        ErrorDetails::with_bad_request(vec![FieldViolation {
            field,
            description,
            reason: reason.to_string(),
            localized_message: None,
        }]),
    )
}

/// The field path and reason of prost's `failed to decode Protobuf message: Inner.field:
/// Outer.field: description` (innermost first).
fn field_of(text: &str) -> (String, &'static str) {
    let rest = text
        .strip_prefix("failed to decode Protobuf message: ")
        .unwrap_or(text);
    let mut fields = Vec::new();
    let mut description = rest;
    for part in rest.split(": ") {
        let Some((message, field)) = part.split_once('.') else {
            break;
        };
        let ident =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ident(message) || !ident(field) {
            break;
        }
        fields.push(field);
        description = &description[(part.len() + 2).min(description.len())..];
    }
    fields.reverse();
    let reason = if description.contains("UTF-8") {
        "NOT_UTF8"
    } else {
        "UNDECODABLE"
    };
    (fields.join("."), reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_from_the_outside_in() {
        assert_eq!(
            field_of(
                "failed to decode Protobuf message: ValidateRequest.structure_oid: \
                 invalid string value: data is not UTF-8 encoded"
            ),
            ("structure_oid".to_string(), "NOT_UTF8")
        );
        assert_eq!(
            field_of(
                "failed to decode Protobuf message: ValidateRequest.phase: \
                 ValidateStreamRequest.request: invalid string value: data is not UTF-8 encoded"
            ),
            ("request.phase".to_string(), "NOT_UTF8")
        );
        assert_eq!(
            field_of("failed to decode Protobuf message: invalid varint"),
            (String::new(), "UNDECODABLE")
        );
    }

    #[test]
    fn a_bad_string_is_invalid_argument() {
        use crate::service::pb;
        // Field 4 (structure_oid), length 2, bytes that are not UTF-8.
        let mut bytes = pb::ValidateRequest {
            document: b"<a/>".to_vec(),
            ..Default::default()
        }
        .encode_to_vec();
        bytes.extend([0x22, 2, 0xff, 0xfe]);
        let error = pb::ValidateRequest::decode(bytes.as_slice()).unwrap_err();
        let status = refusal(&error);
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = details.bad_request().unwrap();
        assert_eq!(violations.field_violations[0].field, "structure_oid");
        assert_eq!(violations.field_violations[0].reason, "NOT_UTF8");
    }
}
