//! Transport bounds of the gRPC listener: what one client can hold of the server through
//! connections and HTTP/2 streams, whatever it sends (or does not send).
//!
//! - [`incoming`]: at most [`TransportLimits::max_connections`] connections at once; the
//!   next one waits in the kernel's backlog until one closes.
//! - [`Bounded`], each accepted connection: closed when it has not sent its HTTP/2 preface
//!   within [`TransportLimits::handshake_timeout`] (under TLS, tonic's handshake timeout
//!   comes first), when nothing at all has arrived from the peer for
//!   [`TransportLimits::idle_timeout`] (a live client answers the server's keepalive
//!   pings, so only a dead or silent one is closed), and when an answer of one of its
//!   calls has not moved for [`TransportLimits::send_timeout`] (a client that does not
//!   read).
//! - [`Guarded`], the conformance service: each call's body is charged against the
//!   server's [`Budget`] as it arrives (waiting, within the receive timeout, for others
//!   to give some back; RESOURCE_EXHAUSTED when none comes), must arrive whole within
//!   the receive timeout (DEADLINE_EXCEEDED otherwise), and the charge
//!   is held (with the answer's bytes the handler adds) until the answer is sent or the
//!   call ends. Refusals made here, and requests the codec could not decode, are counted
//!   in `rakenne_refused_total`.
//!
//! The budget and slots live in [`super::budget`], free of tonic, for other adapters.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, Sleep};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::Bytes;
use tonic::codegen::http::{Request, Response};
use tonic::codegen::{BoxFuture, Service};
use tonic::server::NamedService;
use tonic::transport::server::Connected;
use tonic::transport::server::TlsConnectInfo;

use super::budget::{Budget, Charge, Exhausted};
use super::codec::UNDECODABLE;
use super::metrics::Metrics;
use super::request::code_label;

/// The HTTP/2 client preface (`PRI * HTTP/2.0...`) is 24 bytes.
const PREFACE_BYTES: u64 = 24;

/// How the transport bounds connections and calls.
#[derive(Debug, Clone, Copy)]
pub struct TransportLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time for a new connection to send its HTTP/2 preface (and finish TLS).
    pub handshake_timeout: Duration,
    /// A connection from which nothing arrives for this long is closed (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// A call's answer that the client does not take for this long closes its
    /// connection (`None`: never).
    pub send_timeout: Option<Duration>,
    /// Bytes of the memory budget one connection's calls may hold together (`None`: no
    /// limit but the budget's).
    pub connection_share: Option<usize>,
}

/// The state one connection shares with the calls on it: when each unfinished answer
/// last moved.
#[derive(Debug, Default)]
pub(crate) struct ConnectionState {
    /// The connection's share of the memory budget.
    pub share: Option<Budget>,
    answers: Mutex<HashMap<u64, Instant>>,
    next: AtomicU64,
    /// The connection's task, woken when an answer starts waiting so that the send
    /// deadline is armed.
    waker: Mutex<Option<Waker>>,
}

impl ConnectionState {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Instant>> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The oldest moment an unfinished answer last moved.
    fn stalled_since(&self) -> Option<Instant> {
        self.lock().values().min().copied()
    }

    fn wake(&self) {
        if let Some(waker) = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            waker.wake();
        }
    }

    fn register(&self, cx: &Context<'_>) {
        let mut waker = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        match waker.as_ref() {
            Some(have) if have.will_wake(cx.waker()) => {}
            _ => *waker = Some(cx.waker().clone()),
        }
    }
}

/// What tonic puts in every request's extensions about its connection.
#[derive(Debug, Clone)]
pub struct ConnectInfo {
    pub(crate) state: Arc<ConnectionState>,
}

/// Accepts connections from `listener`, at most `limits.max_connections` at once.
pub(crate) fn incoming(
    listener: TcpListener,
    limits: TransportLimits,
) -> ReceiverStream<io::Result<Bounded<TcpStream>>> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        loop {
            // Stop (and close the listening socket) once the server stops accepting.
            let permit = tokio::select! {
                () = tx.closed() => return,
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => return,
                },
            };
            let accepted = tokio::select! {
                () = tx.closed() => return,
                accepted = listener.accept() => accepted,
            };
            let item = match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    Ok(Bounded::new(stream, permit, limits))
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if tx.send(item).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}

/// A connection with its deadlines; holds its connection slot until closed.
pub(crate) struct Bounded<IO> {
    io: IO,
    _slot: OwnedSemaphorePermit,
    limits: TransportLimits,
    state: Arc<ConnectionState>,
    read: u64,
    accepted: Instant,
    last_read: Instant,
    timer: Pin<Box<Sleep>>,
}

impl<IO> Bounded<IO> {
    fn new(io: IO, slot: OwnedSemaphorePermit, limits: TransportLimits) -> Self {
        let now = Instant::now();
        Self {
            io,
            _slot: slot,
            limits,
            state: Arc::new(ConnectionState {
                share: limits.connection_share.map(Budget::new),
                ..ConnectionState::default()
            }),
            read: 0,
            accepted: now,
            last_read: now,
            timer: Box::pin(tokio::time::sleep_until(now + limits.handshake_timeout)),
        }
    }

    /// When the connection is to be closed, if nothing happens before.
    fn deadline(&self) -> Option<Instant> {
        let handshake =
            (self.read < PREFACE_BYTES).then(|| self.accepted + self.limits.handshake_timeout);
        let idle = self.limits.idle_timeout.map(|t| self.last_read + t);
        let stalled = self
            .limits
            .send_timeout
            .and_then(|t| self.state.stalled_since().map(|since| since + t));
        [handshake, idle, stalled].into_iter().flatten().min()
    }

    /// Fails once a deadline has passed; otherwise arms the timer for the next one.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if self.limits.send_timeout.is_some() {
            self.state.register(cx);
        }
        loop {
            let Some(deadline) = self.deadline() else {
                return Ok(());
            };
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection closed: handshake, idle or send timeout",
                ));
            }
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Ok(());
            }
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Bounded<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                if n > 0 {
                    self.read += n as u64;
                    self.last_read = Instant::now();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match self.check(cx) {
                Ok(()) => Poll::Pending,
                Err(error) => Poll::Ready(Err(error)),
            },
            ready => ready,
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Bounded<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if polled.is_pending() {
            // A peer that does not read its socket stalls writes: same deadlines.
            self.check(cx)?;
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if polled.is_pending() {
            self.check(cx)?;
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

impl Connected for Bounded<TcpStream> {
    type ConnectInfo = ConnectInfo;

    fn connect_info(&self) -> ConnectInfo {
        ConnectInfo {
            state: self.state.clone(),
        }
    }
}

/// What the transport and the handler share about one call (in the request's
/// extensions).
#[derive(Debug, Clone)]
pub(crate) struct CallState {
    /// The call's share of the budget.
    pub charge: Charge,
    /// Its connection's share of the budget, which every charge of the call also takes
    /// from (a stream's items are charged one by one).
    pub share: Option<Budget>,
    /// Set by the handler when it has counted the call's outcome itself.
    pub counted: Arc<AtomicBool>,
}

/// The conformance service behind the budget, the receive timeout and refusal counting.
#[derive(Clone)]
pub(crate) struct Guarded<S> {
    pub inner: S,
    pub budget: Budget,
    pub metrics: Arc<Metrics>,
    pub receive_timeout: Option<Duration>,
}

impl<S: NamedService> NamedService for Guarded<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request<Body>> for Guarded<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let extensions = request.extensions();
        let connection = extensions
            .get::<ConnectInfo>()
            .or_else(|| {
                extensions
                    .get::<TlsConnectInfo<ConnectInfo>>()
                    .map(TlsConnectInfo::get_ref)
            })
            .map(|info| info.state.clone());
        let share = connection.as_ref().and_then(|c| c.share.clone());
        let call = CallState {
            charge: self.budget.charge_within(share.as_ref()),
            share,
            counted: Arc::new(AtomicBool::new(false)),
        };
        // A ValidateStream's body lives as long as the stream: its items are charged one
        // by one by the handler instead.
        let path = request.uri().path();
        let unary = !path.ends_with("/ValidateStream");
        // Only document calls count as refusals (not, say, GetStructure's NOT_FOUND).
        let counts = path.ends_with("/Validate") || path.ends_with("/ValidateStream");
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(call.clone());
        let body = if unary {
            Body::new(Charged {
                inner: body,
                charge: call.charge.clone(),
                deadline: self
                    .receive_timeout
                    .map(|t| Box::pin(tokio::time::sleep(t))),
                waiting: None,
                pending: None,
            })
        } else {
            body
        };
        let response = self.inner.call(Request::from_parts(parts, body));
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let response = response.await?;
            let (parts, body) = response.into_parts();
            // A trailers-only refusal the handler did not count: the body wrapper's, or
            // the codec's (a request that did not decode).
            if counts
                && !call.counted.load(Ordering::Relaxed)
                && let Some(code) = parts
                    .headers
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .filter(|code| *code != 0)
            {
                let code = tonic::Code::from_i32(code);
                metrics.record_refusal(code_label(code));
                let undecodable = parts
                    .headers
                    .get("grpc-message")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|m| {
                        m.contains("cannot%20be%20decoded") || m.contains(UNDECODABLE)
                    });
                tracing::info!(
                    code = code_label(code),
                    undecodable,
                    "refused by the transport"
                );
            }
            let body = Body::new(Answer {
                inner: body,
                _charge: call.charge,
                connection,
                id: None,
            });
            Ok(Response::from_parts(parts, body))
        })
    }
}

/// A wait for a share of the budget.
type Waiting = Pin<Box<dyn Future<Output = Result<(), Exhausted>> + Send>>;

/// A request body charged against the budget as it arrives, within the receive timeout.
struct Charged {
    inner: Body,
    charge: Charge,
    deadline: Option<Pin<Box<Sleep>>>,
    /// Waiting for budget for the frame in `pending`.
    waiting: Option<Waiting>,
    pending: Option<Frame<Bytes>>,
}

impl Charged {
    fn timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline
            .as_mut()
            .is_some_and(|d| d.as_mut().poll(cx).is_ready())
    }
}

fn exhausted(error: Exhausted) -> Status {
    match error {
        Exhausted::Budget => Status::resource_exhausted(error.to_string()),
        Exhausted::Deadline => Status::deadline_exceeded(error.to_string()),
        Exhausted::Closed => Status::unavailable(error.to_string()),
    }
}

impl HttpBody for Charged {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        loop {
            if let Some(waiting) = &mut this.waiting {
                let result = match waiting.as_mut().poll(cx) {
                    Poll::Ready(result) => result,
                    // The receive timeout bounds the wait: the server stayed full.
                    Poll::Pending if this.timed_out(cx) => Err(Exhausted::Budget),
                    Poll::Pending => return Poll::Pending,
                };
                this.waiting = None;
                let frame = this.pending.take();
                return Poll::Ready(match result {
                    Ok(()) => frame.map(Ok),
                    Err(error) => Some(Err(exhausted(error))),
                });
            }
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending if this.timed_out(cx) => {
                    return Poll::Ready(Some(Err(Status::deadline_exceeded(
                        "the request message did not arrive within the receive timeout",
                    ))));
                }
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(frame))) => frame,
                other => return other,
            };
            let Some(len) = frame.data_ref().map(Bytes::len) else {
                return Poll::Ready(Some(Ok(frame)));
            };
            match this.charge.try_take(len) {
                Ok(()) => return Poll::Ready(Some(Ok(frame))),
                Err(Exhausted::Budget) => {
                    // Wait for other calls to give some back (polled at the loop's top,
                    // which registers the waker).
                    let charge = this.charge.clone();
                    this.waiting = Some(Box::pin(async move { charge.take(len, None).await }));
                    this.pending = Some(frame);
                }
                Err(error) => return Poll::Ready(Some(Err(exhausted(error)))),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// An answer on its way: holds the call's charge until it is sent or dropped, and tells
/// its connection when it last moved.
struct Answer {
    inner: Body,
    _charge: Charge,
    connection: Option<Arc<ConnectionState>>,
    id: Option<u64>,
}

impl Answer {
    fn moved(&mut self) {
        let Some(connection) = &self.connection else {
            return;
        };
        let id = *self
            .id
            .get_or_insert_with(|| connection.next.fetch_add(1, Ordering::Relaxed));
        let waiting = connection.lock().insert(id, Instant::now()).is_none();
        if waiting {
            // The connection may be asleep with a later deadline: let it arm this one.
            connection.wake();
        }
    }

    fn done(&mut self) {
        if let (Some(connection), Some(id)) = (&self.connection, self.id) {
            connection.lock().remove(&id);
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.done();
    }
}

impl HttpBody for Answer {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        // Handing data to the transport starts the clock; the transport coming back for
        // more stops it. While this answer has nothing to give (a check or the client's
        // next stream item pending), nothing is waiting on the client.
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) if frame.is_data() => self.moved(),
            _ => self.done(),
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The metrics listener with the same connection bounds: at most `max_connections` at
/// once, each closed when no byte has arrived for `limits.idle_timeout` (a request
/// header sent half, or a kept-alive connection between scrapes).
pub(crate) struct BoundedListener {
    listener: TcpListener,
    slots: Arc<Semaphore>,
    limits: TransportLimits,
}

impl BoundedListener {
    pub fn new(listener: TcpListener, limits: TransportLimits) -> Self {
        Self {
            listener,
            slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            limits,
        }
    }
}

impl axum::serve::Listener for BoundedListener {
    type Io = Bounded<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok(permit) = self.slots.clone().acquire_owned().await else {
                // Never closed; wait for ever rather than spin.
                std::future::pending::<()>().await;
                continue;
            };
            match self.listener.accept().await {
                Ok((stream, addr)) => return (Bounded::new(stream, permit, self.limits), addr),
                Err(error) => {
                    tracing::warn!(error = %error, "cannot accept a metrics connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}
