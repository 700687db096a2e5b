//! A small HTTP/1.1 client connection for plain-http upstreams: one
//! request written in one write, the response head parsed with httparse,
//! and the body read in the caller's own task.
//!
//! hyper's client connection runs as a task of its own and hands each body
//! piece to the caller through a channel that holds one piece: a streamed
//! reply of ten chunks took 22 task polls (3 now), and replacing it saved
//! about a ninth of a plain gateway request's instructions and a quarter of
//! a streamed one's (callgrind). What an LLM API needs of
//! HTTP/1.1 is small: a POST with a length, a response framed by
//! `Content-Length`, chunked encoding or the end of the connection, and
//! keep-alive.

pub mod chunked;
pub mod wire;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use chunked::{Chunked, Step};

/// The largest response head accepted (hyper's default is about 400 KiB
/// across its buffer; LLM APIs send well under 4 KiB).
const MAX_HEAD: usize = 64 * 1024;

/// The most header fields a response head may have (hyper's is 100).
const MAX_HEADERS: usize = 128;

/// A malformed response, as the error the caller sees.
pub(super) fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the upstream's HTTP response is malformed: {what}"),
    )
}

/// One connection to an upstream, with the bytes read and not yet used.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    buf: BytesMut,
}

/// A response head: status, header fields, and how its body is framed.
#[derive(Debug)]
pub(crate) struct Head {
    /// The status code.
    pub(crate) status: StatusCode,
    /// The header fields as they arrived (httparse checked them).
    pub(crate) fields: RawFields,
    framing: Framing,
    keep_alive: bool,
}

/// Header fields kept as the bytes of the response head: a success reply
/// needs one field at most (the content type of a stream), so no map is
/// built unless asked for.
#[derive(Debug, Clone)]
pub(crate) struct RawFields(Bytes);

impl RawFields {
    /// Each field's name and value (optional whitespace trimmed), in order.
    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        // The status line, then one field per line; the head ends with an
        // empty line. httparse refused anything else (obsolete folding,
        // whitespace before the colon).
        self.0.split(|&b| b == b'\n').skip(1).filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = memchr::memchr(b':', line)?;
            Some((&line[..colon], line[colon + 1..].trim_ascii()))
        })
    }

    /// The value of the first field named `name` (case-insensitive).
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| value)
    }

    /// The fields as a header map (for error mapping); a field whose name or
    /// value the map does not take is left out.
    pub(crate) fn to_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in self.iter() {
            if let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
            {
                map.append(name, value);
            }
        }
        map
    }
}

#[derive(Debug, Clone, Copy)]
enum Framing {
    /// `Content-Length`: this many body bytes left.
    Length(u64),
    Chunked(Chunked),
    /// No length: the body ends when the upstream closes the connection.
    UntilClose,
}

/// Why no response head was read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The connection ended (closed or reset) before any byte of a
    /// response: on a reused connection, the upstream had closed it while
    /// idle, and the request can go again on a new one.
    NothingReceived(io::Error),
    /// Anything else.
    Failed(io::Error),
}

impl Conn {
    /// A connection over `stream`.
    pub(crate) fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            buf: BytesMut::new(),
        }
    }

    /// Whether an idle connection can take a request: the upstream has not
    /// closed it or sent anything since. Looks at the readiness the runtime
    /// already has; reads (one byte, non-blocking) only when it says there
    /// is something.
    pub(crate) fn is_open(&self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        match self.stream.poll_read_ready(&mut cx) {
            Poll::Pending => true,
            Poll::Ready(Err(_)) => false,
            Poll::Ready(Ok(())) => {
                let mut byte = [0u8; 1];
                matches!(self.stream.try_read(&mut byte),
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock)
            }
        }
    }

    /// Writes a whole request (head and body as [`encode_request`] made them).
    pub(crate) async fn write_request(&mut self, head: &[u8], body: &[u8]) -> io::Result<()> {
        self.stream.write_all(head).await?;
        if !body.is_empty() {
            self.stream.write_all(body).await?;
        }
        Ok(())
    }

    /// Reads the response head, skipping informational (1xx) responses.
    pub(crate) async fn read_head(&mut self) -> Result<Head, HeadError> {
        let mut received = !self.buf.is_empty();
        loop {
            if !self.buf.is_empty() {
                if let Some(head) = parse_head(&mut self.buf).map_err(HeadError::Failed)? {
                    return Ok(head);
                }
                if self.buf.len() > MAX_HEAD {
                    let err = invalid(&format!("its head is longer than {MAX_HEAD} bytes"));
                    return Err(HeadError::Failed(err));
                }
            }
            match std::future::poll_fn(|cx| self.poll_fill(cx)).await {
                Ok(0) if !received => {
                    let err = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the upstream closed the connection without answering",
                    );
                    return Err(HeadError::NothingReceived(err));
                }
                Ok(0) => {
                    let err = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the upstream closed the connection in the middle of the response head",
                    );
                    return Err(HeadError::Failed(err));
                }
                Ok(_) => received = true,
                Err(err) if !received && is_closed_by_peer(&err) => {
                    return Err(HeadError::NothingReceived(err));
                }
                Err(err) => return Err(HeadError::Failed(err)),
            }
        }
    }

    /// Reads what the socket has into the buffer; `Ok(0)` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        wire::poll_read_into(&mut self.stream, &mut self.buf, cx)
    }
}

/// Whether `err` (from writing a request or reading its answer) says the
/// upstream closed or reset the connection.
pub(crate) fn is_closed_by_peer(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

/// A request head for `POST target`, followed by the body when it is
/// small (one write). `fixed` headers come first unless `headers` names
/// them too; a name given twice keeps its last value, as a header map
/// would; framing headers in `headers` are left out (the length is ours).
/// Returns the head and the body still to write, or the name of a header
/// that cannot be sent.
pub(crate) fn encode_request<'b>(
    target: &str,
    fixed: &[(&str, &str)],
    headers: &[(String, String)],
    body: &'b [u8],
) -> Result<(Vec<u8>, &'b [u8]), String> {
    /// Bodies up to this size go in the head's write.
    const INLINE_BODY: usize = 64 * 1024;
    let inline = body.len() <= INLINE_BODY;
    let mut out = Vec::with_capacity(256 + if inline { body.len() } else { 0 });
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let named = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    for (name, value) in fixed {
        if !named(name) {
            put_field(&mut out, name.as_bytes(), value.as_bytes());
        }
    }
    for (i, (name, value)) in headers.iter().enumerate() {
        if !sendable(name, value) {
            return Err(name.clone());
        }
        let framing = name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding");
        let repeated = headers[i + 1..]
            .iter()
            .any(|(later, _)| later.eq_ignore_ascii_case(name));
        if !framing && !repeated {
            put_field(&mut out, name.as_bytes(), value.as_bytes());
        }
    }
    out.extend_from_slice(b"content-length: ");
    wire::put_decimal(&mut out, body.len() as u64);
    out.extend_from_slice(b"\r\n\r\n");
    if inline {
        out.extend_from_slice(body);
        Ok((out, &[]))
    } else {
        Ok((out, body))
    }
}

/// RFC 9110 token characters (header names).
const TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};

/// Whether `name: value` can be sent: the name a token, the value visible
/// ASCII, spaces and tabs (what `HeaderValue::from_str` accepts).
fn sendable(name: &str, value: &str) -> bool {
    // No early exit in the value's loop, so it runs over whole words.
    let bad_value = value.bytes().fold(false, |bad, b| {
        bad | ((b < 0x20 && b != b'\t') | (b >= 0x7f))
    });
    !name.is_empty() && name.bytes().all(|b| TOKEN[usize::from(b)]) && !bad_value
}

/// Writes `name: value` and its line break, the name in lower case.
fn put_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    if name.iter().any(u8::is_ascii_uppercase) {
        out.extend(name.iter().map(u8::to_ascii_lowercase));
    } else {
        out.extend_from_slice(name);
    }
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Parses a complete final response head from the front of `buf` (removing
/// it, and any informational heads before it); `None` while incomplete.
fn parse_head(buf: &mut BytesMut) -> io::Result<Option<Head>> {
    loop {
        // Uninitialised: zeroing 128 fields cost more than parsing a head.
        let mut fields = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut []);
        let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut response,
            buf,
            &mut fields,
        );
        let len = match parsed {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(invalid(&format!("more than {MAX_HEADERS} header fields")));
            }
            Err(err) => return Err(invalid(&format!("bad response head ({err})"))),
        };
        let code = response.code.unwrap_or(0);
        if code == 101 {
            return Err(invalid(
                "101 Switching Protocols, and no upgrade was asked for",
            ));
        }
        if (100..200).contains(&code) {
            buf.advance(len);
            continue;
        }
        let status = StatusCode::from_u16(code)
            .map_err(|_| invalid(&format!("status code {code} is out of range")))?;
        let http11 = response.version == Some(1);
        let (framing, reusable) = framing(status, response.headers)?;
        let close = response.headers.iter().any(|field| {
            field.name.eq_ignore_ascii_case("connection") && lists(field.value, "close")
        });
        let keep_alive = http11 && reusable && !close;
        let fields = RawFields(buf.split_to(len).freeze());
        return Ok(Some(Head {
            status,
            fields,
            framing,
            keep_alive,
        }));
    }
}

/// How the body after `fields` is framed (RFC 9112 §6.3), and whether the
/// connection can carry another request after it.
fn framing(status: StatusCode, fields: &[httparse::Header<'_>]) -> io::Result<(Framing, bool)> {
    if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok((Framing::Length(0), true));
    }
    let mut length = None;
    let mut has_length = false;
    let mut last_coding: Option<&[u8]> = None;
    for field in fields {
        if field.name.eq_ignore_ascii_case("transfer-encoding") {
            let mut codings = field.value.split(|&b| b == b',').map(<[u8]>::trim_ascii);
            if let Some(coding) = codings.rfind(|coding| !coding.is_empty()) {
                last_coding = Some(coding);
            }
        } else if field.name.eq_ignore_ascii_case("content-length") {
            has_length = true;
            for part in field.value.split(|&b| b == b',') {
                let part = part.trim_ascii();
                let parsed = std::str::from_utf8(part)
                    .ok()
                    .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|text| text.parse::<u64>().ok());
                match (parsed, length) {
                    (Some(n), None) => length = Some(n),
                    (Some(n), Some(seen)) if n == seen => {}
                    _ => return Err(invalid("its content-length is not one number")),
                }
            }
        }
    }
    if let Some(coding) = last_coding {
        if coding.eq_ignore_ascii_case(b"chunked") {
            // With both, the length is ignored and the connection not reused.
            return Ok((Framing::Chunked(Chunked::Size), !has_length));
        }
        return Ok((Framing::UntilClose, false));
    }
    Ok(match length {
        Some(n) => (Framing::Length(n), true),
        None => (Framing::UntilClose, false),
    })
}

/// Whether a comma-separated field value lists `token` (case-insensitive).
fn lists(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// What takes a connection whose response was read to its end.
pub(crate) trait Reuse: Send + Unpin + 'static {
    /// Takes `conn` back (to a pool).
    fn reuse(self, conn: Conn);
}

/// A response body, read from its connection as the caller polls it; the
/// connection goes to `R` when the body has ended with nothing left over,
/// and is closed when the body is dropped before its end.
pub(crate) struct Body<R: Reuse> {
    conn: Option<Conn>,
    framing: Framing,
    keep_alive: bool,
    reuse: Option<R>,
    /// A step already decoded (looking ahead for the end).
    next: Option<io::Result<Step>>,
}

impl<R: Reuse> Body<R> {
    /// The body that follows `head` on `conn`.
    pub(crate) fn new(conn: Conn, head: &Head, reuse: R) -> Self {
        Self {
            conn: Some(conn),
            framing: head.framing,
            keep_alive: head.keep_alive,
            reuse: Some(reuse),
            next: None,
        }
    }

    /// The next step the buffered bytes give, without reading.
    fn step(&mut self) -> io::Result<Option<Step>> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(Some(Step::End));
        };
        let buf = &mut conn.buf;
        match &mut self.framing {
            Framing::Length(0) => Ok(Some(Step::End)),
            Framing::Length(left) => {
                if buf.is_empty() {
                    return Ok(None);
                }
                let take = usize::try_from(*left).map_or(buf.len(), |left| left.min(buf.len()));
                *left -= take as u64;
                Ok(Some(Step::Data(buf.split_to(take).freeze())))
            }
            Framing::Chunked(state) => state.decode(buf).map_err(|err| invalid(&err.0)),
            Framing::UntilClose if buf.is_empty() => Ok(None),
            Framing::UntilClose => Ok(Some(Step::Data(buf.split().freeze()))),
        }
    }

    /// The body has ended: the connection is reused when it can be.
    fn finish(&mut self) {
        let conn = self.conn.take();
        if let (Some(conn), Some(reuse)) = (conn, self.reuse.take())
            && self.keep_alive
            && conn.buf.is_empty()
        {
            reuse.reuse(conn);
        }
    }
}

impl<R: Reuse> futures::Stream for Body<R> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let step = match this.next.take() {
                Some(step) => step.map(Some),
                None => this.step(),
            };
            match step {
                Err(err) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(err)));
                }
                Ok(Some(Step::End)) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Ok(Some(Step::Data(data))) => {
                    // Looking ahead: when the end is already here, the
                    // connection is free now, even if the caller stops
                    // polling at the last piece.
                    match this.step() {
                        Ok(Some(Step::End)) => this.finish(),
                        Ok(None) => {}
                        Ok(Some(step)) => this.next = Some(Ok(step)),
                        Err(err) => this.next = Some(Err(err)),
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
                Ok(None) => {}
            }
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match ready!(conn.poll_fill(cx)) {
                Ok(0) if matches!(this.framing, Framing::UntilClose) => {
                    this.conn = None;
                    return Poll::Ready(None);
                }
                Ok(0) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the upstream closed the connection before the response body ended",
                    ))));
                }
                Ok(_) => {}
                Err(err) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(err)));
                }
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests;
