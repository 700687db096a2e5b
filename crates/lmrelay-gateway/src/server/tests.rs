//! The HTTP/1.x connection against raw sockets (what a client writes, byte
//! for byte) and against reqwest (HTTP/1.1 and HTTP/2), with a small test
//! application in place of the gateway's routes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::http1::{Connection, End, Limits, Shutdown};

/// Set when the slow handler's future was dropped before it finished.
static SLOW_CANCELLED: AtomicBool = AtomicBool::new(false);
/// Set when the endless body was dropped.
static ENDLESS_DROPPED: AtomicBool = AtomicBool::new(false);

/// A body that never ends, 64 KiB at a time; notes when it is dropped.
async fn endless() -> Body {
    struct Flag;
    impl Drop for Flag {
        fn drop(&mut self) {
            ENDLESS_DROPPED.store(true, Ordering::SeqCst);
        }
    }
    let piece = Bytes::from(vec![b'x'; 64 * 1024]);
    Body::from_stream(futures::stream::unfold(Flag, move |flag| {
        let piece = piece.clone();
        async move { Some((Ok::<_, std::io::Error>(piece), flag)) }
    }))
}

/// Echoes the body back with its length in a header.
async fn echo(body: Bytes) -> ([(&'static str, String); 1], Bytes) {
    ([("x-length", body.len().to_string())], body)
}

/// Three pieces, one at a time, with a pause before the last.
async fn pieces() -> Body {
    let stream = async_stream_of(vec!["a", "bb", "ccc"]);
    Body::from_stream(stream)
}

fn async_stream_of(
    parts: Vec<&'static str>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::unfold(parts.into_iter(), |mut parts| async move {
        let part = parts.next()?;
        if part == "ccc" {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        Some((Ok(Bytes::from_static(part.as_bytes())), parts))
    })
}

/// Never answers; notes when it is dropped.
async fn slow() -> &'static str {
    struct Flag;
    impl Drop for Flag {
        fn drop(&mut self) {
            SLOW_CANCELLED.store(true, Ordering::SeqCst);
        }
    }
    let flag = Flag;
    tokio::time::sleep(Duration::from_secs(60)).await;
    std::mem::forget(flag);
    "late"
}

fn app() -> Router {
    Router::new()
        .route("/echo", post(echo))
        .route("/pieces", get(pieces))
        .route("/slow", get(slow))
        .route("/endless", get(endless))
        .route("/hello", get(|| async { "hello" }))
}

const LIMITS: Limits = Limits {
    header_timeout: Duration::from_millis(400),
    send_timeout: Duration::from_millis(400),
    max_body: 1000,
};

/// Serves the test app; the shutdown handle tells connections to finish.
async fn serve() -> (SocketAddr, Arc<Shutdown>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Arc::new(Shutdown::default());
    let closing = Arc::clone(&shutdown);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let app = app();
            let closing = Arc::clone(&closing);
            tokio::spawn(async move {
                let connection = Connection::new(tcp, app.clone(), LIMITS, Arc::clone(&closing));
                if let End::Http2(tcp, read) = connection.serve().await {
                    super::serve_http2(tcp, read, app, &closing).await;
                }
            });
        }
    });
    (addr, shutdown)
}

/// Writes `request` and reads until the server closes or `until` appears
/// `count` times.
async fn exchange(stream: &mut TcpStream, request: &[u8], until: &str, count: usize) -> String {
    stream.write_all(request).await.unwrap();
    read_until(stream, until, count).await
}

async fn read_until(stream: &mut TcpStream, until: &str, count: usize) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let text = String::from_utf8_lossy(&seen).into_owned();
        if text.matches(until).count() >= count {
            return text;
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return text,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Whether the server closes the connection within a second.
async fn closes(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn keep_alive_and_pipelined_requests_are_answered_in_order_on_one_connection() {
    let (addr, _shutdown) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let first = exchange(
        &mut tcp,
        b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello",
        "hello",
        1,
    )
    .await;
    assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
    assert!(first.contains("\r\ncontent-length: 5\r\n"), "{first}");
    assert!(first.contains("\r\nx-length: 5\r\n"), "{first}");
    assert!(first.contains("\r\ndate: "), "{first}");
    // Two requests in one write, the second's body split from its head.
    let both = exchange(
        &mut tcp,
        b"POST /echo HTTP/1.1\r\ncontent-length: 3\r\n\r\nonePOST /echo HTTP/1.1\r\ncontent-length: 3\r\n\r\ntwo",
        "HTTP/1.1 200",
        2,
    )
    .await;
    let one = both.find("one").unwrap();
    let two = both.find("two").unwrap();
    assert!(one < two, "{both}");
    // A body that arrives after its head, in pieces.
    tcp.write_all(b"POST /echo HTTP/1.1\r\ncontent-length: 6\r\n\r\nab")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let third = exchange(&mut tcp, b"cdef", "abcdef", 1).await;
    assert!(third.contains("x-length: 6"), "{third}");
}

#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_is_parsed_when_its_blank_line_arrives() {
    let (addr, _shutdown) = serve().await;
    for request in [
        &b"GET /hello HTTP/1.1\r\nx-a: 1\r\n\r\n"[..],
        &b"GET /hello HTTP/1.1\nx-a: 1\n\n"[..],
    ] {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        for byte in request {
            tcp.write_all(&[*byte]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let reply = read_until(&mut tcp, "hello", 1).await;
        assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    }
}

#[tokio::test]
async fn bytes_that_begin_like_the_http2_preface_and_then_differ_are_read_as_http1() {
    let (addr, _shutdown) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    // The first read holds a whole (HTTP/2.0-versioned) head that is also
    // the preface's start; only the next byte shows it is not the preface.
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let reply = exchange(&mut tcp, b"X", "}}", 1).await;
    assert!(reply.starts_with("HTTP/1.1 505 "), "{reply:?}");
}

#[tokio::test]
async fn chunked_request_bodies_are_decoded_and_bad_ones_refused() {
    let (addr, _shutdown) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let reply = exchange(
        &mut tcp,
        b"POST /echo HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\ntrailer: t\r\n\r\n",
        "abcde",
        1,
    )
    .await;
    assert!(reply.contains("x-length: 5"), "{reply}");
    let bad = exchange(
        &mut tcp,
        b"POST /echo HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n",
        "}}",
        1,
    )
    .await;
    assert!(bad.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{bad}");
    assert!(bad.contains("connection: close"), "{bad}");
    assert!(bad.contains("chunked encoding is malformed"), "{bad}");
    assert!(bad.contains(r#""type":"invalid_request_error""#), "{bad}");
    assert!(
        closes(&mut tcp).await,
        "the connection closes after a refusal"
    );
}

#[tokio::test]
async fn framing_that_could_smuggle_a_request_is_refused() {
    let (addr, _shutdown) = serve().await;
    let cases: [(&[u8], &str, &str); 9] = [
        (
            b"POST /echo HTTP/1.1\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            "400",
            "both transfer-encoding and content-length",
        ),
        (
            b"POST /echo HTTP/1.1\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd",
            "400",
            "two different content-length",
        ),
        (b"POST /echo HTTP/1.1\r\ncontent-length: -1\r\n\r\n", "400", "not a number"),
        (
            b"POST /echo HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "501",
            "`chunked` alone",
        ),
        (b"GET /hello HTTP/1.1\r\nbad header\r\n\r\n", "400", "malformed"),
        (b"GET /hello HTTP/2.0\r\n\r\n", "505", "HTTP/1.0, HTTP/1.1"),
        (
            b"POST /echo HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            "501",
            "(in HTTP/1.1)",
        ),
        (b"CONNECT example.com:443 HTTP/1.1\r\n\r\n", "405", "not a forward proxy"),
        (b"GET /hello HTTP/1.1\r\nexpect: 200-ok\r\n\r\n", "417", "`100-continue`"),
    ];
    for (request, status, says) in cases {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let reply = exchange(&mut tcp, request, "}}", 1).await;
        assert!(reply.starts_with(&format!("HTTP/1.1 {status} ")), "{reply}");
        assert!(reply.contains(says), "{reply} (wanted {says:?})");
        assert!(closes(&mut tcp).await, "{reply}");
    }
    // Equal repeated lengths are one length.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let reply = exchange(
        &mut tcp,
        b"POST /echo HTTP/1.1\r\ncontent-length: 2, 2\r\n\r\nok",
        "x-length",
        1,
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_without_being_read() {
    let (addr, _shutdown) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let reply = exchange(
        &mut tcp,
        b"POST /echo HTTP/1.1\r\ncontent-length: 1001\r\n\r\n",
        "}}",
        1,
    )
    .await;
    assert!(
        reply.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{reply}"
    );
    assert!(reply.contains("larger than 1000 bytes"), "{reply}");
    assert!(reply.contains("max_request_size_mb"), "{reply}");
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let mut request = b"POST /echo HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        request.extend_from_slice(b"190\r\n");
        request.extend_from_slice(&[b'x'; 400]);
        request.extend_from_slice(b"\r\n");
    }
    let reply = exchange(&mut tcp, &request, "}}", 1).await;
    assert!(reply.starts_with("HTTP/1.1 413 "), "{reply}");
}

#[tokio::test]
async fn heads_too_long_or_with_too_many_fields_get_431() {
    let (addr, _shutdown) = serve().await;
    let mut many = b"GET /hello HTTP/1.1\r\n".to_vec();
    for i in 0..101 {
        many.extend_from_slice(format!("x-{i}: 1\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let mut long = b"GET /hello HTTP/1.1\r\nx-long: ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 70 * 1024));
    for (request, says) in [
        (many, "more than 100 header fields"),
        (long, "longer than 65536 bytes"),
    ] {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let reply = exchange(&mut tcp, &request, "}}", 1).await;
        assert!(reply.starts_with("HTTP/1.1 431 "), "{reply}");
        assert!(reply.contains(says), "{reply}");
    }
}

#[tokio::test]
async fn expect_100_continue_gets_a_100_before_the_body_is_sent() {
    let (addr, _shutdown) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let interim = exchange(
        &mut tcp,
        b"POST /echo HTTP/1.1\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n",
        "\r\n\r\n",
        1,
    )
    .await;
    assert_eq!(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    let reply = exchange(&mut tcp, b"body", "body", 1).await;
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
}

#[tokio::test]
async fn streams_are_chunked_for_http11_and_until_close_for_http10() {
    let (addr, _shutdown) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let reply = exchange(&mut tcp, b"GET /pieces HTTP/1.1\r\n\r\n", "0\r\n\r\n", 1).await;
    assert!(reply.contains("transfer-encoding: chunked\r\n"), "{reply}");
    assert!(
        reply.ends_with("\r\n\r\n1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n0\r\n\r\n"),
        "{reply:?}"
    );
    // The connection is still good.
    let again = exchange(&mut tcp, b"GET /hello HTTP/1.1\r\n\r\n", "hello", 1).await;
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /pieces HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).await.unwrap();
    assert!(reply.contains("connection: close\r\n"), "{reply}");
    assert!(!reply.contains("transfer-encoding"), "{reply}");
    assert!(reply.ends_with("\r\n\r\nabbccc"), "{reply:?}");
}

#[tokio::test]
async fn http10_closes_unless_kept_alive_and_head_has_no_body() {
    let (addr, _shutdown) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let reply = exchange(&mut tcp, b"GET /hello HTTP/1.0\r\n\r\n", "hello", 1).await;
    assert!(reply.contains("connection: close"), "{reply}");
    assert!(closes(&mut tcp).await);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let reply = exchange(
        &mut tcp,
        b"GET /hello HTTP/1.0\r\nconnection: keep-alive\r\n\r\n",
        "hello",
        1,
    )
    .await;
    assert!(!reply.contains("connection: close"), "{reply}");
    let reply = exchange(&mut tcp, b"HEAD /hello HTTP/1.1\r\n\r\n", "\r\n\r\n", 1).await;
    assert!(reply.contains("content-length: 5\r\n"), "{reply}");
    let after = exchange(
        &mut tcp,
        b"GET /hello HTTP/1.1\r\nconnection: close\r\n\r\n",
        "hello",
        1,
    )
    .await;
    assert!(
        after.starts_with("HTTP/1.1 200"),
        "HEAD wrote no body before the next reply: {after:?}"
    );
    assert!(closes(&mut tcp).await);
}

#[tokio::test]
async fn idle_and_slow_clients_are_closed_at_the_header_timeout() {
    let (addr, _shutdown) = serve().await;
    let started = Instant::now();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /hello HTTP/1.1\r\nx-").await.unwrap();
    assert!(closes(&mut idle).await);
    assert!(closes(&mut slow).await);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(350), "{waited:?}");
    assert!(waited < Duration::from_millis(1500), "{waited:?}");
}

#[tokio::test]
async fn a_client_that_leaves_cancels_its_call() {
    let (addr, _shutdown) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /slow HTTP/1.1\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!SLOW_CANCELLED.load(Ordering::SeqCst));
    drop(tcp);
    let deadline = Instant::now() + Duration::from_secs(2);
    while !SLOW_CANCELLED.load(Ordering::SeqCst) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        SLOW_CANCELLED.load(Ordering::SeqCst),
        "the handler was not dropped"
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_at_the_send_timeout() {
    let (addr, _shutdown) = serve().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"GET /endless HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    // The client reads nothing: the socket buffers fill, the server's write
    // waits, and after the send timeout the server gives up on the client
    // and drops the body (a gateway's upstream stream).
    while !ENDLESS_DROPPED.load(Ordering::SeqCst) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the body was never dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    // What was sent before is still there to read, then the connection ends.
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(rest.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_lets_a_busy_one_finish() {
    let (addr, shutdown) = serve().await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let reply = exchange(&mut idle, b"GET /hello HTTP/1.1\r\n\r\n", "hello", 1).await;
    assert!(reply.starts_with("HTTP/1.1 200"));
    let mut busy = TcpStream::connect(addr).await.unwrap();
    busy.write_all(b"GET /pieces HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    shutdown.begin();
    assert!(
        closes(&mut idle).await,
        "an idle connection closes at the shutdown"
    );
    let streamed = read_until(&mut busy, "0\r\n\r\n", 1).await;
    assert!(streamed.ends_with("3\r\nccc\r\n0\r\n\r\n"), "{streamed:?}");
    // Its head left before the shutdown; the connection closes after it.
    assert!(closes(&mut busy).await);
}

#[tokio::test]
async fn reqwest_gets_the_same_answers_over_http11_and_http2() {
    let (addr, _shutdown) = serve().await;
    for client in [
        reqwest::Client::new(),
        reqwest::Client::builder()
            .http2_prior_knowledge()
            .build()
            .unwrap(),
    ] {
        let reply = client
            .post(format!("http://{addr}/echo"))
            .body("ping")
            .send()
            .await
            .unwrap();
        let version = reply.version();
        assert_eq!(reply.status(), 200, "{version:?}");
        assert_eq!(reply.headers()["x-length"], "4", "{version:?}");
        assert_eq!(reply.text().await.unwrap(), "ping", "{version:?}");
        let streamed = client
            .get(format!("http://{addr}/pieces"))
            .send()
            .await
            .unwrap();
        assert_eq!(streamed.text().await.unwrap(), "abbccc", "{version:?}");
    }
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let reply = h2.get(format!("http://{addr}/hello")).send().await.unwrap();
    assert_eq!(reply.version(), reqwest::Version::HTTP_2);
}
