//! Reading a request head (httparse) into an `http` request: method,
//! target, version and header fields, the body's framing (RFC 9112 §6.3),
//! and whether the connection may carry another request.

use axum::http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, TRANSFER_ENCODING};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};
use bytes::{Bytes, BytesMut};

/// The largest request head accepted (method, target and header fields).
pub(super) const MAX_HEAD: usize = 64 * 1024;

/// The most header fields a request may have (hyper's limit too).
const MAX_HEADERS: usize = 100;

/// How a request's body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// `Content-Length` bytes (0 when the request has neither field).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub(super) struct Head {
    pub(super) method: Method,
    pub(super) uri: Uri,
    pub(super) version: Version,
    pub(super) headers: HeaderMap,
    pub(super) framing: Framing,
    /// Whether the client lets the connection carry another request.
    pub(super) keep_alive: bool,
    /// `Expect: 100-continue`: the client waits for a 100 before the body.
    pub(super) expects_continue: bool,
}

/// A request the server answers itself and then closes the connection:
/// the status and what to tell the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub(super) status: StatusCode,
    pub(super) message: String,
}

impl Refusal {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// What the front of the read buffer holds.
#[derive(Debug)]
pub(super) enum Parsed {
    /// A complete head, and the bytes after it (the body's start, maybe more).
    Head(Box<Head>, Bytes),
    /// Not a whole head yet: the buffer, unchanged, to read more into.
    Partial(BytesMut),
}

/// Parses a request head from the front of `buf`. A complete head is cut
/// off without copying: header values point into it.
pub(super) fn parse(buf: BytesMut) -> Result<Parsed, Refusal> {
    let frozen = buf.freeze();
    // Uninitialised: zeroing 100 fields would cost more than the parse.
    let mut fields = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_request_with_uninit_headers(
        &mut request,
        &frozen,
        &mut fields,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            if frozen.len() > MAX_HEAD {
                return Err(too_large());
            }
            let buf = frozen
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
            return Ok(Parsed::Partial(buf));
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("the request has more than {MAX_HEADERS} header fields: send fewer"),
            ));
        }
        Err(httparse::Error::Version) => {
            return Err(Refusal::new(
                StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                "this server speaks HTTP/1.0, HTTP/1.1 and HTTP/2 (with prior knowledge)",
            ));
        }
        Err(err) => {
            return Err(Refusal::bad(format!(
                "the request head is malformed ({err}): send an HTTP/1.1 request"
            )));
        }
    };
    if len > MAX_HEAD {
        return Err(too_large());
    }
    let method = Method::from_bytes(request.method.unwrap_or_default().as_bytes())
        .map_err(|_| Refusal::bad("the request method is not a valid token"))?;
    let target = request.path.unwrap_or_default();
    if method == Method::CONNECT {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "CONNECT is not supported: this gateway is not a forward proxy",
        ));
    }
    let uri = match known_target(target) {
        Some(uri) => uri,
        None => Uri::from_maybe_shared(frozen.slice_ref(target.as_bytes())).map_err(|_| {
            Refusal::bad(format!("the request target {target:?} is not a valid URI"))
        })?,
    };
    let version = if request.version == Some(1) {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    let mut headers = HeaderMap::with_capacity(request.headers.len());
    let mut framing = Framing::Length(0);
    let mut length_seen = false;
    let mut chunked = false;
    let mut close = version == Version::HTTP_10;
    let mut expects_continue = false;
    for field in request.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| Refusal::bad(format!("the header name {:?} is not valid", field.name)))?;
        // httparse has checked the value's bytes.
        let value = HeaderValue::from_maybe_shared(frozen.slice_ref(field.value))
            .map_err(|_| Refusal::bad(format!("the value of header {name} is not valid")))?;
        if name == CONTENT_LENGTH {
            let n = content_length(field.value)?;
            match framing {
                Framing::Length(seen) if length_seen && seen != n => {
                    return Err(Refusal::bad(
                        "the request has two different content-length values: send one",
                    ));
                }
                _ => framing = Framing::Length(n),
            }
            length_seen = true;
        } else if name == TRANSFER_ENCODING {
            // Only `chunked` alone is accepted: other codings are not
            // implemented, and a list is how request smuggling begins.
            if version == Version::HTTP_10
                || chunked
                || !field.value.trim_ascii().eq_ignore_ascii_case(b"chunked")
            {
                return Err(Refusal::new(
                    StatusCode::NOT_IMPLEMENTED,
                    "the only transfer-encoding accepted is `chunked` alone (in HTTP/1.1): send a \
                     content-length instead",
                ));
            }
            chunked = true;
        } else if name == CONNECTION {
            if lists(field.value, b"close") {
                close = true;
            } else if lists(field.value, b"keep-alive") && version == Version::HTTP_10 {
                close = false;
            }
        } else if name == EXPECT {
            if field.value.eq_ignore_ascii_case(b"100-continue") {
                expects_continue = version == Version::HTTP_11;
            } else {
                return Err(Refusal::new(
                    StatusCode::EXPECTATION_FAILED,
                    "the only expectation this server meets is `100-continue`",
                ));
            }
        }
        headers.append(name, value);
    }
    if chunked {
        if length_seen {
            // RFC 9112 §6.3: a server may reject this; it is smuggling's shape.
            return Err(Refusal::bad(
                "the request has both transfer-encoding and content-length: send one",
            ));
        }
        framing = Framing::Chunked;
    }
    let head = Head {
        method,
        uri,
        version,
        headers,
        framing,
        keep_alive: !close,
        expects_continue,
    };
    Ok(Parsed::Head(Box::new(head), frozen.slice(len..)))
}

/// The targets clients send most, parsed once (parsing one cost about
/// 750 instructions a request).
fn known_target(target: &str) -> Option<Uri> {
    static KNOWN: std::sync::LazyLock<Vec<Uri>> = std::sync::LazyLock::new(|| {
        [
            "/v1/chat/completions",
            "/chat/completions",
            "/v1/completions",
            "/v1/embeddings",
            "/v1/messages",
            "/v1/models",
            "/health/readiness",
            "/health/liveliness",
            "/metrics",
        ]
        .map(Uri::from_static)
        .to_vec()
    });
    KNOWN.iter().find(|uri| uri.path() == target).cloned()
}

/// The refusal of a head longer than [`MAX_HEAD`].
pub(super) fn too_large() -> Refusal {
    Refusal::new(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        format!("the request head is longer than {MAX_HEAD} bytes: send shorter headers"),
    )
}

/// A `Content-Length` value: digits only (a list of equal values, as some
/// clients send, is one value).
fn content_length(value: &[u8]) -> Result<u64, Refusal> {
    let mut length = None;
    for part in value.split(|&b| b == b',') {
        let part = part.trim_ascii();
        let n = std::str::from_utf8(part)
            .ok()
            .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|text| text.parse::<u64>().ok())
            .ok_or_else(|| Refusal::bad("the request's content-length is not a number"))?;
        match length {
            Some(seen) if seen != n => {
                return Err(Refusal::bad(
                    "the request's content-length lists different numbers: send one",
                ));
            }
            _ => length = Some(n),
        }
    }
    length.ok_or_else(|| Refusal::bad("the request's content-length is empty"))
}

/// Whether a comma-separated field value lists `token` (case-insensitive).
fn lists(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `wire` in two pieces cut at `cut`, as two reads would.
    fn parse_in_two(wire: &[u8], cut: usize) -> Result<Parsed, Refusal> {
        let cut = cut.min(wire.len());
        let mut buf = BytesMut::from(&wire[..cut]);
        if cut < wire.len() {
            match parse(buf)? {
                Parsed::Partial(back) => buf = back,
                done => return Ok(done),
            }
            buf.extend_from_slice(&wire[cut..]);
        }
        parse(buf)
    }

    #[test]
    fn a_head_gives_method_target_fields_framing_and_keep_alive() {
        let wire = b"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\
                     Content-Length: 4\r\nConnection: keep-alive\r\n\r\nbodyNEXT";
        let Ok(Parsed::Head(head, rest)) = parse(BytesMut::from(&wire[..])) else {
            panic!("not parsed");
        };
        assert_eq!(head.method, Method::POST);
        assert_eq!(head.uri.path(), "/v1/chat/completions");
        assert_eq!(head.uri.query(), Some("x=1"));
        assert_eq!(head.version, Version::HTTP_11);
        let values: Vec<_> = head.headers.get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"]);
        assert_eq!(head.framing, Framing::Length(4));
        assert!(head.keep_alive && !head.expects_continue);
        assert_eq!(&rest[..], b"bodyNEXT");
        let Ok(Parsed::Head(head, _)) = parse(BytesMut::from(&b"GET / HTTP/1.0\r\n\r\n"[..]))
        else {
            panic!("not parsed");
        };
        assert!(!head.keep_alive, "HTTP/1.0 closes by default");
        assert_eq!(head.framing, Framing::Length(0));
        // A known target comes parsed from the table, the same as parsing it.
        let known = b"POST /v1/chat/completions HTTP/1.1\r\n\r\n";
        let Ok(Parsed::Head(head, _)) = parse(BytesMut::from(&known[..])) else {
            panic!("not parsed");
        };
        assert_eq!(head.uri, Uri::from_static("/v1/chat/completions"));
        assert_eq!(head.uri.query(), None);
    }

    proptest! {
        /// No input makes the parser panic, and a partial head is handed
        /// back whole.
        #[test]
        fn any_bytes_parse_or_are_refused_without_panic(wire in proptest::collection::vec(any::<u8>(), 0..400)) {
            match parse(BytesMut::from(&wire[..])) {
                Ok(Parsed::Partial(back)) => prop_assert_eq!(&back[..], &wire[..]),
                Ok(Parsed::Head(_, rest)) => prop_assert!(rest.len() < wire.len()),
                Err(refusal) => prop_assert!(!refusal.message.is_empty()),
            }
        }

        /// A valid head read in two pieces, cut anywhere, parses as in one.
        #[test]
        fn a_head_cut_anywhere_parses_the_same(
            value in "[ -~]{0,40}",
            length in 0u32..5000,
            cut in 0usize..200,
        ) {
            let value = value.trim();
            let wire = format!(
                "POST /p HTTP/1.1\r\nx-v: {value}\r\ncontent-length: {length}\r\n\r\n"
            );
            let Ok(Parsed::Head(head, rest)) = parse_in_two(wire.as_bytes(), cut) else {
                return Err(TestCaseError::fail("not parsed"));
            };
            prop_assert_eq!(head.headers["x-v"].as_bytes(), value.as_bytes());
            prop_assert_eq!(head.framing, Framing::Length(u64::from(length)));
            prop_assert!(rest.is_empty());
        }
    }
}
