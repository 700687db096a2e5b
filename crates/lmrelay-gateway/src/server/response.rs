//! Writing a response head and body framing as HTTP/1.1 bytes: the status
//! line, the handler's fields as they are, a cached `date`, and the
//! framing the server chooses (`content-length` for a body of known size,
//! chunked encoding otherwise); and writing it to a client that must keep
//! taking bytes.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{Extensions, HeaderMap, StatusCode};
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use crate::headers::CallInfo;

/// How the body after a head is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyFraming {
    /// No body bytes follow (HEAD, 1xx, 204, 304); a handler's
    /// `content-length` is kept.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked encoding.
    Chunked,
    /// Bytes until the connection closes (an HTTP/1.0 client and a body of
    /// unknown size).
    UntilClose,
}

/// Appends the response head to `out`: the handler's fields, then the
/// `x-litellm-*` fields it deferred (in `extensions`). `close` adds
/// `connection: close` (unless the handler set a `connection` field).
/// Returns whether the handler's fields ask to close the connection.
pub(super) fn encode_head(
    out: &mut Vec<u8>,
    status: StatusCode,
    headers: &HeaderMap,
    extensions: &Extensions,
    framing: BodyFraming,
    close: bool,
) -> bool {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut handler_close = false;
    let mut has_connection = false;
    for (name, value) in headers {
        // The server frames the body itself (a HEAD answer keeps the
        // length the handler gave).
        if name == TRANSFER_ENCODING || (name == CONTENT_LENGTH && framing != BodyFraming::None) {
            continue;
        }
        if name == CONNECTION {
            has_connection = true;
            handler_close |= value
                .as_bytes()
                .split(|&b| b == b',')
                .any(|part| part.trim_ascii().eq_ignore_ascii_case(b"close"));
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(info) = extensions.get::<CallInfo>() {
        crate::headers::write(out, info);
    }
    if close && !has_connection {
        out.extend_from_slice(b"connection: close\r\n");
    }
    put_date(out);
    match framing {
        BodyFraming::Length(n) => {
            out.extend_from_slice(b"content-length: ");
            lmrelay::transport::wire::put_decimal(out, n);
            out.extend_from_slice(b"\r\n");
        }
        BodyFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        BodyFraming::None | BodyFraming::UntilClose => {}
    }
    out.extend_from_slice(b"\r\n");
    handler_close
}

/// Appends a chunk's size line (`1a\r\n`).
pub(super) fn put_chunk_size(out: &mut Vec<u8>, n: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = HEX[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

thread_local! {
    /// The `date` field's text for the current second, made once a second.
    static DATE: RefCell<(u64, [u8; 29])> = const { RefCell::new((u64::MAX, [0; 29])) };
}

/// Appends `date: <IMF-fixdate>\r\n` (RFC 9110 §6.6.1).
fn put_date(out: &mut Vec<u8>) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    DATE.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != secs {
            let text = httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(secs));
            if text.len() == 29 {
                cached.1.copy_from_slice(text.as_bytes());
                cached.0 = secs;
            }
        }
        if cached.0 == secs {
            out.extend_from_slice(b"date: ");
            out.extend_from_slice(&cached.1);
            out.extend_from_slice(b"\r\n");
        }
    });
}

/// Writes `bytes` whole to `stream`. Each time a write has to wait, the
/// client gets `timeout` to take some of them, on `timer`; past it the
/// write fails with `TimedOut`.
pub(super) async fn write_within(
    stream: &mut TcpStream,
    mut timer: Pin<&mut Sleep>,
    timeout: Duration,
    mut bytes: &[u8],
) -> io::Result<()> {
    while !bytes.is_empty() {
        let mut armed = false;
        let written = poll_fn(|cx| match Pin::new(&mut *stream).poll_write(cx, bytes) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => {
                if !armed {
                    timer.as_mut().reset(Instant::now() + timeout);
                    armed = true;
                }
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client took no bytes of the response within the send timeout",
                    )));
                }
                Poll::Pending
            }
        })
        .await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[written..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_head_has_the_status_the_fields_a_date_and_our_framing() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("content-length", HeaderValue::from_static("999"));
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("2"));
        let mut out = Vec::new();
        let close = encode_head(
            &mut out,
            StatusCode::OK,
            &headers,
            &Extensions::new(),
            BodyFraming::Length(17),
            false,
        );
        assert!(!close);
        let text = String::from_utf8(out).unwrap_or_default();
        assert!(
            text.starts_with("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"),
            "{text}"
        );
        assert!(text.contains("x-a: 1\r\nx-a: 2\r\n"), "{text}");
        assert!(text.contains("\r\ncontent-length: 17\r\n\r\n"), "{text}");
        assert!(
            !text.contains("999"),
            "the handler's length is replaced: {text}"
        );
        let date = text
            .lines()
            .find_map(|l| l.strip_prefix("date: "))
            .unwrap_or_default();
        assert!(httpdate::parse_http_date(date).is_ok(), "{date:?}");
        assert!(text.ends_with("\r\n\r\n"));

        let mut out = Vec::new();
        encode_head(
            &mut out,
            StatusCode::from_u16(599).unwrap_or(StatusCode::OK),
            &HeaderMap::new(),
            &Extensions::new(),
            BodyFraming::Chunked,
            true,
        );
        let text = String::from_utf8(out).unwrap_or_default();
        assert!(
            text.starts_with("HTTP/1.1 599 Unknown\r\nconnection: close\r\n"),
            "{text}"
        );
        assert!(
            text.contains("transfer-encoding: chunked\r\n\r\n"),
            "{text}"
        );
    }

    #[test]
    fn a_handler_connection_close_is_reported_and_not_doubled() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", HeaderValue::from_static("Close"));
        let mut out = Vec::new();
        assert!(encode_head(
            &mut out,
            StatusCode::OK,
            &headers,
            &Extensions::new(),
            BodyFraming::None,
            true
        ));
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(text.matches("onnection").count(), 1, "{text}");
    }

    #[test]
    fn chunk_sizes_are_lowercase_hex() {
        for (n, text) in [
            (0, "0\r\n"),
            (10, "a\r\n"),
            (4096, "1000\r\n"),
            (usize::MAX, "ffffffffffffffff\r\n"),
        ] {
            let mut out = Vec::new();
            put_chunk_size(&mut out, n);
            assert_eq!(out, text.as_bytes());
        }
    }
}
