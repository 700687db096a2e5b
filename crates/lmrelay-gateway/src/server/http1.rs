//! One HTTP/1.x connection, served in its own task: read a request head,
//! read the body (bounded by `max_request_size`), call the application,
//! write the response, and go round again while both sides keep the
//! connection alive.
//!
//! hyper's server did this through a dispatcher, a body channel and a
//! header map rebuilt on the way out; a gateway request needs less. The
//! response head goes out with its body in one write, and a stream's
//! chunks that are ready together leave in one write. While the
//! application works and while a stream waits, the connection watches the
//! socket, so a client that leaves cancels its upstream call at once.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::http::{Method, Request, Response, StatusCode, Version};
use bytes::{Bytes, BytesMut};
use lmrelay::transport::chunked::{Chunked, Step};
use lmrelay::transport::wire;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};
use tower::Service;

use super::request::{self, Framing, Head, Parsed, Refusal};
use super::response::{BodyFraming, encode_head, put_chunk_size, write_within};

/// Response bytes gathered before a write (a stream's ready chunks).
const WRITE_BATCH: usize = 64 * 1024;

/// What an HTTP/2 client sends first (RFC 9113 §3.4).
pub(super) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The limits a connection applies.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// How long a client may take to send a request head, and how long a
    /// connection may sit idle between requests.
    pub(super) header_timeout: Duration,
    /// How long a response write may wait for the client to take a byte.
    pub(super) send_timeout: Duration,
    /// The largest request body (`general_settings.max_request_size_mb`).
    pub(super) max_body: usize,
}

/// The shutdown signal connections watch: an idle connection closes at
/// once, a busy one after its response.
#[derive(Debug, Default)]
pub(super) struct Shutdown {
    closing: AtomicBool,
    notify: Notify,
}

impl Shutdown {
    /// Tells every connection to finish.
    pub(super) fn begin(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Waits for [`Shutdown::begin`].
    pub(super) async fn wait(&self) {
        let mut notified = pin!(self.notify.notified());
        notified.as_mut().enable();
        if !self.is_closing() {
            notified.await;
        }
    }
}

/// How a connection ended.
pub(super) enum End {
    /// Closed (by either side, a timeout, an error or the shutdown).
    Closed,
    /// The client opened with HTTP/2's preface: the stream and the bytes
    /// read so far, for the HTTP/2 server.
    Http2(TcpStream, Bytes),
}

/// What waiting on the socket gave.
enum Wait {
    Read,
    Eof,
    TimedOut,
    ShuttingDown,
}

/// One client connection.
pub(super) struct Connection {
    stream: TcpStream,
    /// Bytes read and not yet used.
    buf: BytesMut,
    /// The response being written.
    out: Vec<u8>,
    app: Router,
    limits: Limits,
    shutdown: Arc<Shutdown>,
    /// The header and idle deadline, reset (not re-created) per request.
    timer: Pin<Box<Sleep>>,
}

impl Connection {
    /// A connection serving `app` over `stream`.
    pub(super) fn new(
        stream: TcpStream,
        app: Router,
        limits: Limits,
        shutdown: Arc<Shutdown>,
    ) -> Self {
        Self {
            stream,
            buf: BytesMut::new(),
            out: Vec::new(),
            app,
            limits,
            shutdown,
            timer: Box::pin(tokio::time::sleep(limits.header_timeout)),
        }
    }

    /// Serves requests until the connection ends.
    pub(super) async fn serve(mut self) -> End {
        let mut first = true;
        loop {
            let (head, rest) = match self.read_head(first).await {
                Ok(HeadRead::Head(head, rest)) => (head, rest),
                Ok(HeadRead::Closed) => return End::Closed,
                Ok(HeadRead::Http2) => return End::Http2(self.stream, self.buf.freeze()),
                Err(refusal) => {
                    self.refuse(&refusal).await;
                    return End::Closed;
                }
            };
            first = false;
            let body = match self.read_body(&head, rest).await {
                Ok(Some(body)) => body,
                Ok(None) => return End::Closed,
                Err(refusal) => {
                    self.refuse(&refusal).await;
                    return End::Closed;
                }
            };
            let head_only = head.method == Method::HEAD;
            let http11 = head.version == Version::HTTP_11;
            let keep_alive = head.keep_alive;
            let Some(response) = self.call(into_request(*head, body)).await else {
                return End::Closed;
            };
            let keep_alive = keep_alive && !self.shutdown.is_closing();
            match self
                .write_response(response, head_only, http11, keep_alive)
                .await
            {
                Ok(true) if !self.shutdown.is_closing() => {}
                _ => return End::Closed,
            }
        }
    }

    /// Reads the next request head (or HTTP/2's preface on a first request).
    async fn read_head(&mut self, first: bool) -> Result<HeadRead, Refusal> {
        self.reset_timer();
        // Bytes already searched for the head's end. The first bytes are
        // parsed at once (a head usually arrives whole); after that the
        // head is parsed again only once its blank line has arrived, so a
        // client sending a byte at a time costs each byte once, not the
        // whole head again per byte.
        let mut searched: usize = 0;
        loop {
            if !self.buf.is_empty() {
                let at = self.buf.len().min(PREFACE.len());
                if first && PREFACE.starts_with(&self.buf[..at]) {
                    // Still HTTP/2's preface so far: nothing searched yet.
                    if at == PREFACE.len() {
                        return Ok(HeadRead::Http2);
                    }
                } else {
                    if searched == 0 || ends_head(&self.buf[searched.saturating_sub(2)..]) {
                        match request::parse(std::mem::take(&mut self.buf))? {
                            Parsed::Head(head, rest) => return Ok(HeadRead::Head(head, rest)),
                            Parsed::Partial(buf) => self.buf = buf,
                        }
                    } else if self.buf.len() > request::MAX_HEAD {
                        return Err(request::too_large());
                    }
                    searched = self.buf.len();
                }
            }
            // Between requests the shutdown closes the connection at once;
            // a request under way gets to finish.
            let idle = self.buf.is_empty();
            match self.wait_for_bytes(idle).await {
                Wait::Read => {}
                Wait::Eof | Wait::TimedOut | Wait::ShuttingDown => return Ok(HeadRead::Closed),
            }
        }
    }

    /// Reads the request body into one buffer; `None` when the client
    /// left or stalled before sending it all.
    async fn read_body(&mut self, head: &Head, rest: Bytes) -> Result<Option<Bytes>, Refusal> {
        let max = self.limits.max_body;
        let too_large = || {
            Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {max} bytes: send less, or raise \
                     general_settings.max_request_size_mb"
                ),
            )
        };
        match head.framing {
            Framing::Length(n) => {
                let n = usize::try_from(n)
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(too_large)?;
                if rest.len() >= n {
                    // The common case: the whole body came with the head.
                    self.buf = BytesMut::from(&rest[n..]);
                    return Ok(Some(rest.slice(..n)));
                }
                self.buf = into_mut(rest);
                if head.expects_continue && self.write_continue().await.is_err() {
                    return Ok(None);
                }
                // A declared length is not trusted with memory up front.
                self.buf.reserve((n - self.buf.len()).min(1024 * 1024));
                while self.buf.len() < n {
                    self.reset_timer();
                    if !matches!(self.wait_for_bytes(false).await, Wait::Read) {
                        return Ok(None);
                    }
                }
                Ok(Some(self.buf.split_to(n).freeze()))
            }
            Framing::Chunked => {
                self.buf = into_mut(rest);
                if head.expects_continue && self.write_continue().await.is_err() {
                    return Ok(None);
                }
                let mut body = BytesMut::new();
                let mut state = Chunked::Size;
                loop {
                    match state.decode(&mut self.buf) {
                        Ok(Some(Step::Data(data))) => {
                            if body.len() + data.len() > max {
                                return Err(too_large());
                            }
                            body.extend_from_slice(&data);
                        }
                        Ok(Some(Step::End)) => return Ok(Some(body.freeze())),
                        Ok(None) => {
                            self.reset_timer();
                            if !matches!(self.wait_for_bytes(false).await, Wait::Read) {
                                return Ok(None);
                            }
                        }
                        Err(err) => {
                            return Err(Refusal::new(
                                StatusCode::BAD_REQUEST,
                                format!("the request body's chunked encoding is malformed: {err}"),
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Calls the application; `None` when the client left meanwhile (the
    /// call is dropped, which cancels its upstream request).
    async fn call(&mut self, request: Request<Body>) -> Option<Response<Body>> {
        let mut future = pin!(self.app.call(request));
        let mut watching = true;
        poll_fn(|cx| {
            if let Poll::Ready(result) = future.as_mut().poll(cx) {
                return Poll::Ready(result.ok());
            }
            self.watch_peer(cx, &mut watching).map(|()| None)
        })
        .await
    }

    /// Writes `response`; `Ok(true)` when the connection can carry another
    /// request.
    async fn write_response(
        &mut self,
        response: Response<Body>,
        head_only: bool,
        http11: bool,
        keep_alive: bool,
    ) -> io::Result<bool> {
        let (parts, body) = response.into_parts();
        let status = parts.status;
        let bodiless = status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        let exact = body.size_hint().exact();
        let framing = match exact {
            _ if bodiless || head_only => BodyFraming::None,
            Some(n) => BodyFraming::Length(n),
            None if http11 => BodyFraming::Chunked,
            None => BodyFraming::UntilClose,
        };
        let mut keep_alive = keep_alive && framing != BodyFraming::UntilClose;
        self.out.clear();
        if encode_head(
            &mut self.out,
            status,
            &parts.headers,
            &parts.extensions,
            framing,
            !keep_alive,
        ) {
            keep_alive = false;
        }
        if head_only || bodiless {
            self.flush().await?;
            return Ok(keep_alive);
        }
        let mut body = pin!(body);
        let mut sent: u64 = 0;
        let mut watching = true;
        loop {
            // Gather what is ready now; write when the body must wait.
            let next = if self.out.is_empty() {
                poll_fn(|cx| self.poll_frame(body.as_mut(), cx, &mut watching)).await
            } else {
                match poll_fn(|cx| Poll::Ready(self.poll_frame(body.as_mut(), cx, &mut watching)))
                    .await
                {
                    Poll::Ready(next) => next,
                    Poll::Pending => {
                        self.flush().await?;
                        continue;
                    }
                }
            };
            match next {
                Next::Data(data) => {
                    sent += data.len() as u64;
                    match framing {
                        BodyFraming::Length(n) if sent > n => {
                            return Err(io::Error::other(
                                "the response body is longer than its length",
                            ));
                        }
                        BodyFraming::Chunked => {
                            put_chunk_size(&mut self.out, data.len());
                            self.out.extend_from_slice(&data);
                            self.out.extend_from_slice(b"\r\n");
                        }
                        _ if self.out.len() + data.len() > WRITE_BATCH => {
                            self.flush().await?;
                            self.write_within(&data).await?;
                        }
                        _ => self.out.extend_from_slice(&data),
                    }
                    if self.out.len() >= WRITE_BATCH {
                        self.flush().await?;
                    }
                }
                Next::End => {
                    if let BodyFraming::Length(n) = framing
                        && sent != n
                    {
                        return Err(io::Error::other(
                            "the response body is shorter than its length",
                        ));
                    }
                    if framing == BodyFraming::Chunked {
                        self.out.extend_from_slice(b"0\r\n\r\n");
                    }
                    self.flush().await?;
                    return Ok(keep_alive);
                }
                // A body that fails mid-way, or a client that left: the
                // connection ends without the body's end, so the client
                // sees an incomplete response rather than a complete one.
                Next::Failed => return Err(io::Error::other("the response body failed")),
                Next::Gone => return Err(io::ErrorKind::ConnectionAborted.into()),
            }
        }
    }

    /// The body's next frame, watching the client while the body waits.
    fn poll_frame(
        &mut self,
        body: Pin<&mut Body>,
        cx: &mut Context<'_>,
        watching: &mut bool,
    ) -> Poll<Next> {
        let mut body = body;
        loop {
            match body.as_mut().poll_frame(cx) {
                Poll::Ready(None) => return Poll::Ready(Next::End),
                Poll::Ready(Some(Err(_))) => return Poll::Ready(Next::Failed),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if data.is_empty() => {}
                    Ok(data) => return Poll::Ready(Next::Data(data)),
                    // Trailers: HTTP/1.1 responses here carry none.
                    Err(_) => {}
                },
                Poll::Pending => {
                    return self.watch_peer(cx, watching).map(|()| Next::Gone);
                }
            }
        }
    }

    /// Reads what the client sends while a response is under way (a
    /// pipelined request is kept); ready when the client has left.
    fn watch_peer(&mut self, cx: &mut Context<'_>, watching: &mut bool) -> Poll<()> {
        while *watching {
            if self.buf.len() >= request::MAX_HEAD {
                // Enough kept; the rest waits in the socket.
                *watching = false;
                break;
            }
            match ready!(self.poll_fill(cx)) {
                Ok(0) | Err(_) => return Poll::Ready(()),
                Ok(_) => {}
            }
        }
        Poll::Pending
    }

    /// Waits for bytes from the client, up to the deadline; `idle` also
    /// ends the wait when the server shuts down.
    async fn wait_for_bytes(&mut self, idle: bool) -> Wait {
        let shutdown = Arc::clone(&self.shutdown);
        let mut notified = pin!(shutdown.notify.notified());
        if idle {
            notified.as_mut().enable();
            if self.shutdown.is_closing() {
                return Wait::ShuttingDown;
            }
        }
        poll_fn(|cx| {
            match self.poll_fill(cx) {
                Poll::Ready(Ok(0) | Err(_)) => return Poll::Ready(Wait::Eof),
                Poll::Ready(Ok(_)) => return Poll::Ready(Wait::Read),
                Poll::Pending => {}
            }
            if idle && notified.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Wait::ShuttingDown);
            }
            if self.timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Wait::TimedOut);
            }
            Poll::Pending
        })
        .await
    }

    /// Moves the header and idle deadline to `header_timeout` from now.
    fn reset_timer(&mut self) {
        let deadline = Instant::now() + self.limits.header_timeout;
        self.timer.as_mut().reset(deadline);
    }

    /// Reads what the socket has into the buffer; `Ok(0)` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        wire::poll_read_into(&mut self.stream, &mut self.buf, cx)
    }

    /// Writes the gathered response bytes.
    async fn flush(&mut self) -> io::Result<()> {
        let out = std::mem::take(&mut self.out);
        let written = self.write_within(&out).await;
        self.out = out;
        written?;
        self.out.clear();
        // An idle connection keeps no large buffer (a stream's batch).
        if self.out.capacity() > 16 * 1024 {
            self.out = Vec::new();
        }
        Ok(())
    }

    /// Writes `bytes` whole, giving up when the client takes none of them
    /// for `send_timeout` (the deadline timer is free while a response is
    /// written, and set only when a write has to wait).
    async fn write_within(&mut self, bytes: &[u8]) -> io::Result<()> {
        write_within(
            &mut self.stream,
            self.timer.as_mut(),
            self.limits.send_timeout,
            bytes,
        )
        .await
    }

    /// Tells a client that waits with `Expect: 100-continue` to send the body.
    async fn write_continue(&mut self) -> io::Result<()> {
        self.stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
    }

    /// Answers a request the server cannot take, in OpenAI's error shape,
    /// and closes the connection. Bytes the client is still sending are
    /// read for a moment first, so the close does not reset the connection
    /// before the client reads the answer.
    async fn refuse(&mut self, refusal: &Refusal) {
        let body = serde_json::json!({"error": {
            "message": refusal.message,
            "type": "invalid_request_error",
            "param": null,
            "code": refusal.status.as_u16().to_string(),
        }})
        .to_string();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = refusal.status;
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        if self
            .write_response(response, false, true, false)
            .await
            .is_err()
        {
            return;
        }
        let _ = self.stream.shutdown().await;
        let linger = async {
            let mut drained = 0usize;
            while drained < 1024 * 1024 {
                self.buf.clear();
                match poll_fn(|cx| self.poll_fill(cx)).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), linger).await;
    }
}

/// What the response body gave next.
enum Next {
    Data(Bytes),
    End,
    Failed,
    Gone,
}

/// What reading a head gave.
enum HeadRead {
    Head(Box<Head>, Bytes),
    Http2,
    Closed,
}

/// The request the application sees.
fn into_request(head: Head, body: Bytes) -> Request<Body> {
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = head.method;
    *request.uri_mut() = head.uri;
    *request.version_mut() = head.version;
    *request.headers_mut() = head.headers;
    request
}

/// Whether `bytes` hold the blank line that ends a head (CRLF CRLF, or
/// the bare line feeds httparse also accepts).
fn ends_head(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', bytes)
        .any(|at| matches!(bytes.get(at + 1..), Some([b'\n', ..] | [b'\r', b'\n', ..])))
}

/// `bytes` as a buffer to read more into (copied when shared).
fn into_mut(bytes: Bytes) -> BytesMut {
    if bytes.is_empty() {
        return BytesMut::new();
    }
    bytes
        .try_into_mut()
        .unwrap_or_else(|shared| BytesMut::from(&shared[..]))
}
