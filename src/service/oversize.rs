//! RESOURCE_EXHAUSTED for messages over the transport's limit.
//!
//! tonic refuses a message over `max_decoding_message_size` with OUT_OF_RANGE; gRPC says a
//! server answers RESOURCE_EXHAUSTED when a message is larger than it accepts. This wrapper
//! rewrites that one status of the wrapped service (a trailers-only response, as the refusal
//! comes before any response message).

use std::convert::Infallible;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::http::{HeaderValue, Request, Response};
use tonic::codegen::{BoxFuture, Service};
use tonic::server::NamedService;

/// tonic's message for a request message over the decoding limit, percent-encoded as it
/// travels in `grpc-message`.
const TOO_LARGE: &str = "Error,%20decoded%20message%20length%20too%20large";

/// True for tonic's refusal of an over-limit message.
pub(crate) fn is_transport_too_large(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::OutOfRange
        && status
            .message()
            .starts_with("Error, decoded message length too large")
}

#[derive(Clone)]
pub(crate) struct Oversize<S>(pub S);

impl<S: NamedService> NamedService for Oversize<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request<Body>> for Oversize<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let response = self.0.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            let headers = response.headers_mut();
            let too_large = headers.get("grpc-status").is_some_and(|v| v == "11")
                && headers
                    .get("grpc-message")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|m| m.starts_with(TOO_LARGE));
            if too_large {
                headers.insert("grpc-status", HeaderValue::from_static("8"));
            }
            Ok(response)
        })
    }
}
