//! The HTTP/1.1 client connection against scripted servers.

use super::*;
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Records the connections handed back for reuse.
#[derive(Clone, Default)]
struct Returned(Arc<std::sync::Mutex<Vec<Conn>>>);

impl Reuse for Returned {
    fn reuse(self, conn: Conn) {
        self.0.lock().unwrap().push(conn);
    }
}

/// Reads one request's head (and the short body the tests send in the same
/// write) from `socket`; `None` when it closes or fails first.
pub(in crate::transport) async fn read_request(socket: &mut TcpStream) -> Option<Vec<u8>> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    Some(request)
}

/// A server that answers each request on a connection with the next of
/// `replies`, each sent as the given pieces with a pause between them;
/// then closes. Returns its address and the requests' raw bytes.
async fn scripted(
    replies: Vec<Vec<&'static [u8]>>,
) -> (std::net::SocketAddr, Arc<std::sync::Mutex<Vec<Vec<u8>>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let requests = Arc::clone(&seen);
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        for reply in replies {
            let Some(request) = read_request(&mut socket).await else {
                return;
            };
            requests.lock().unwrap().push(request);
            for piece in reply {
                socket.write_all(piece).await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    (addr, seen)
}

async fn connect(addr: std::net::SocketAddr) -> Conn {
    Conn::new(TcpStream::connect(addr).await.unwrap())
}

/// Sends one request on `conn` and reads the whole response.
async fn exchange(
    conn: Conn,
    returned: &Returned,
) -> (io::Result<(u16, HeaderMap, Vec<u8>)>, Option<Conn>) {
    let mut conn = conn;
    let (head, _) = encode_request("/v1/x", &[("host", "h")], &[], b"{}").unwrap();
    conn.write_request(&head, &[]).await.unwrap();
    let head = match conn.read_head().await {
        Ok(head) => head,
        Err(HeadError::NothingReceived(err) | HeadError::Failed(err)) => return (Err(err), None),
    };
    let mut body = Body::new(conn, &head, returned.clone());
    let mut read = Vec::new();
    while let Some(piece) = body.next().await {
        match piece {
            Ok(piece) => read.extend_from_slice(&piece),
            Err(err) => return (Err(err), None),
        }
    }
    let back = returned.0.lock().unwrap().pop();
    (Ok((head.status.as_u16(), head.fields.to_map(), read)), back)
}

#[tokio::test]
async fn scripted_length_and_chunked_bodies_in_pieces_reuse_one_connection() {
    let (addr, seen) = scripted(vec![
        vec![b"HTTP/1.1 200 OK\r\ncontent-le", b"ngth: 11\r\nx-a: 1\r\n\r\nhello", b" world"],
        vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n",
            b"5\r\nhel",
            b"lo\r\n6\r\n world\r\n",
            b"0\r\n\r\n",
        ],
        vec![b"HTTP/1.1 204 No Content\r\n\r\n"],
    ])
    .await;
    let returned = Returned::default();
    let (result, conn) = exchange(connect(addr).await, &returned).await;
    let (status, headers, body) = result.unwrap();
    assert_eq!((status, &body[..]), (200, &b"hello world"[..]));
    assert_eq!(headers["x-a"], "1");
    assert_eq!(headers["content-length"], "11");
    let (result, conn) = exchange(conn.expect("kept after a length body"), &returned).await;
    let (status, _, body) = result.unwrap();
    assert_eq!((status, &body[..]), (201, &b"hello world"[..]));
    let (result, conn) = exchange(conn.expect("kept after a chunked body"), &returned).await;
    assert_eq!(result.unwrap().0, 204);
    assert!(conn.is_some(), "kept after an empty body");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "three requests on one connection");
    assert_eq!(
        String::from_utf8_lossy(&seen[0]),
        "POST /v1/x HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\n\r\n{}"
    );
}

#[tokio::test]
async fn scripted_bodies_without_length_or_with_close_end_the_connection() {
    for reply in [
        &b"HTTP/1.1 200 OK\r\n\r\nuntil the end"[..],
        b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\nconnection: close\r\n\r\nuntil the end",
        b"HTTP/1.0 200 OK\r\ncontent-length: 13\r\n\r\nuntil the end",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nuntil the end",
    ] {
        let (addr, _) = scripted(vec![vec![reply]]).await;
        let returned = Returned::default();
        let (result, conn) = exchange(connect(addr).await, &returned).await;
        let (_, _, body) = result.unwrap();
        assert_eq!(&body[..], b"until the end");
        assert!(
            conn.is_none(),
            "not reused: {}",
            String::from_utf8_lossy(reply)
        );
    }
}

#[tokio::test]
async fn scripted_cut_and_malformed_responses_are_errors_that_say_so() {
    for (reply, says) in [
        (
            &b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nshort"[..],
            "before the response body ended",
        ),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel",
            "before the response body ended",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-le",
            "in the middle of the response head",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\nx",
            "not one number",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\nx",
            "not one number",
        ),
        (b"SMTP ready\r\n\r\n", "bad response head"),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "no upgrade"),
    ] {
        let (addr, _) = scripted(vec![vec![reply]]).await;
        let (result, _) = exchange(connect(addr).await, &Returned::default()).await;
        let err = result.unwrap_err().to_string();
        assert!(err.contains(says), "{err} (wanted {says:?})");
    }
    let (addr, _) = scripted(vec![vec![]]).await;
    let mut conn = connect(addr).await;
    conn.write_request(b"POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n", &[])
        .await
        .unwrap();
    assert!(
        matches!(conn.read_head().await, Err(HeadError::NothingReceived(_))),
        "a close before any byte says nothing was received"
    );
}

#[tokio::test]
async fn scripted_heads_past_the_limit_are_refused() {
    let long: &'static [u8] = Box::leak(
        format!("HTTP/1.1 200 OK\r\nx-long: {}\r\n", "a".repeat(MAX_HEAD))
            .into_bytes()
            .into_boxed_slice(),
    );
    let (addr, _) = scripted(vec![vec![long]]).await;
    let (result, _) = exchange(connect(addr).await, &Returned::default()).await;
    let err = result.unwrap_err().to_string();
    assert!(err.contains("longer than"), "{err}");
}

#[tokio::test]
async fn an_idle_connection_the_server_closed_is_not_open() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conn = connect(addr).await;
    let (server_side, _) = listener.accept().await.unwrap();
    assert!(conn.is_open(), "an idle connection is open");
    drop(server_side);
    // The close reaches this side's runtime on its next turn.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!conn.is_open(), "closed by the server");
}

#[tokio::test]
async fn a_body_dropped_before_its_end_closes_the_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let closed = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&closed);
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n";
        socket.write_all(head).await.unwrap();
        // The client closing is seen as the end of what it sends.
        let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await;
        if matches!(read, Ok(Ok(0))) {
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut conn = connect(addr).await;
    conn.write_request(b"POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n", &[])
        .await
        .unwrap();
    let head = conn.read_head().await.map_err(|_| ()).unwrap();
    let returned = Returned::default();
    let mut body = Body::new(conn, &head, returned.clone());
    assert_eq!(&body.next().await.unwrap().unwrap()[..], b"first");
    drop(body);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(closed.load(Ordering::SeqCst), 1, "the server saw the close");
    assert!(returned.0.lock().unwrap().is_empty(), "not reused");
}

#[test]
fn requests_keep_the_last_of_repeated_headers_and_leave_out_framing() {
    let headers = vec![
        ("Authorization".to_owned(), "Bearer a".to_owned()),
        ("content-length".to_owned(), "999".to_owned()),
        ("authorization".to_owned(), "Bearer b".to_owned()),
        ("user-agent".to_owned(), "mine".to_owned()),
    ];
    let fixed = [("host", "h:1"), ("user-agent", "lmrelay")];
    let (head, rest) = encode_request("/p?q=1", &fixed, &headers, b"{}").unwrap();
    assert!(rest.is_empty());
    assert_eq!(
        String::from_utf8(head).unwrap(),
        "POST /p?q=1 HTTP/1.1\r\nhost: h:1\r\nauthorization: Bearer b\r\nuser-agent: mine\r\n\
         content-length: 2\r\n\r\n{}"
    );
    let big = vec![b'x'; 100_000];
    let (head, rest) = encode_request("/", &fixed, &[], &big).unwrap();
    assert_eq!(rest.len(), big.len(), "a large body is written on its own");
    assert!(head.ends_with(b"content-length: 100000\r\n\r\n"));
    for (name, value) in [
        ("x-bad", "a\r\nb"),
        ("bad name", "v"),
        ("x-nul", "a\0"),
        ("", "v"),
    ] {
        let headers = vec![(name.to_owned(), value.to_owned())];
        let err = encode_request("/", &fixed, &headers, b"").unwrap_err();
        assert_eq!(err, name);
    }
}

#[test]
fn raw_fields_answer_by_name_and_become_a_map() {
    let mut buf = BytesMut::from(
        &b"HTTP/1.1 429 Too Many Requests\r\nContent-Type:  application/json \r\n\
           retry-after: 7\r\nx-dup: a\r\nx-dup: b\r\ncontent-length: 0\r\n\r\n"[..],
    );
    let head = parse_head(&mut buf).unwrap().expect("a complete head");
    assert!(buf.is_empty());
    assert_eq!(head.status.as_u16(), 429);
    assert_eq!(
        head.fields.get("content-type"),
        Some(&b"application/json"[..])
    );
    assert_eq!(head.fields.get("X-DUP"), Some(&b"a"[..]));
    assert_eq!(head.fields.get("missing"), None);
    let map = head.fields.to_map();
    assert_eq!(map["retry-after"], "7");
    let dups: Vec<_> = map.get_all("x-dup").iter().collect();
    assert_eq!(dups, ["a", "b"]);
    assert_eq!(map.len(), 5);
}

#[tokio::test]
async fn scripted_a_caller_that_stops_at_the_last_piece_still_frees_the_connection() {
    // The end is in the same read as the last data: looking ahead finds it.
    for reply in [
        &b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"[..],
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ] {
        let (addr, _) = scripted(vec![vec![reply]]).await;
        let mut conn = connect(addr).await;
        let (head, _) = encode_request("/", &[], &[], b"").unwrap();
        conn.write_request(&head, &[]).await.unwrap();
        let head = conn.read_head().await.map_err(|_| ()).unwrap();
        let returned = Returned::default();
        let mut body = Body::new(conn, &head, returned.clone());
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"hello");
        let reused = returned.0.lock().unwrap().len();
        assert_eq!(reused, 1, "{}", String::from_utf8_lossy(reply));
        assert!(body.next().await.is_none(), "and the body has ended");
    }
}
