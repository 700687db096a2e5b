//! The client for plain `http://` upstreams: HTTP/1.1 connections of our
//! own ([`super::h1`]) with a pool of our own.
//!
//! hyper-util's pooled client hashed its pool key (scheme and authority,
//! byte by byte through SipHash) three times per request, parsed the URL,
//! formatted the Host header and spawned a task per request to return the
//! connection; hyper's connection ran as a task of its own. Here a URL is
//! parsed once (endpoints are few and fixed), the pool is a short list
//! searched by authority, a request is written and its response read in
//! the caller's task, and a connection goes back to the pool when its
//! response body has been read to the end.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::h1::{self, Conn, HeadError};

/// How long an idle connection is kept (hyper-util's default).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The most idle connections the pool holds, all hosts together; past it
/// a connection is closed after its response instead of kept.
const MAX_POOLED: usize = 1024;

/// The most parsed URLs kept; past it the cache starts over.
const MAX_ENDPOINTS: usize = 1024;

/// The most connections opened at once to one endpoint. A burst of
/// requests with no pooled connection would otherwise send a SYN each at
/// once and overflow the upstream's accept queue (1,000 at once to the
/// mock provider cost a 1-second SYN retransmit); past this, a request
/// waits and takes a connection that became free meanwhile.
const MAX_CONNECTING: usize = 64;

/// Where a plain-http URL goes: the connection's address and the request's
/// target, parsed once per URL.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// `host:port` (the port always written): the pool's key.
    authority: Arc<str>,
    /// The host to connect to (brackets removed from an IPv6 literal).
    host: Arc<str>,
    port: u16,
    /// The Host header: the authority as written, without a default port.
    host_header: Arc<str>,
    /// Origin-form request target (`/v1/chat/completions?x=1`).
    path: Arc<str>,
    /// Permits to open a connection (see [`MAX_CONNECTING`]).
    connecting: Arc<tokio::sync::Semaphore>,
}

impl Endpoint {
    /// Parses `url` (plain `http://`, no user info); `None` when it is not
    /// one this client can carry.
    fn parse(url: &str) -> Option<Self> {
        let uri: http::Uri = url.parse().ok()?;
        if uri.scheme_str() != Some("http") {
            return None;
        }
        let authority = uri.authority()?;
        if authority.as_str().contains('@') {
            return None;
        }
        let port = authority.port_u16().unwrap_or(80);
        let host = authority.host();
        let host_header = if authority.port_u16() == Some(80) {
            host
        } else {
            authority.as_str()
        };
        let visible = |text: &str| text.bytes().all(|b| (0x21..0x7f).contains(&b));
        let path = uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        if !visible(host_header) || !visible(path) {
            return None;
        }
        Some(Self {
            authority: format!("{host}:{port}").into(),
            host: host.trim_start_matches('[').trim_end_matches(']').into(),
            port,
            host_header: host_header.into(),
            path: if path.is_empty() { "/" } else { path }.into(),
            connecting: Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTING)),
        })
    }

    /// The Host header to send.
    pub(crate) fn host_header(&self) -> &str {
        &self.host_header
    }

    /// The request target to send (origin form).
    pub(crate) fn path(&self) -> &str {
        &self.path
    }
}

/// Why a request on the direct client failed.
#[derive(Debug)]
pub(crate) enum DirectError {
    /// No connection: refused, unreachable, or the connect timed out.
    Connect(std::io::Error),
    /// The connection failed after it was made, or the response was bad.
    Io(std::io::Error),
}

impl DirectError {
    /// Whether no connection could be made.
    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, Self::Connect(_))
    }

    /// The error, for reading its cause.
    pub(crate) fn as_error(&self) -> &(dyn std::error::Error + 'static) {
        match self {
            Self::Connect(err) | Self::Io(err) => err,
        }
    }
}

struct Pooled {
    authority: Arc<str>,
    conn: Conn,
    since: Instant,
}

type Pool = Arc<Mutex<Vec<Pooled>>>;

/// Takes a connection back into the pool when its response has been read.
pub(crate) struct ReturnTo {
    pool: Pool,
    authority: Arc<str>,
}

impl h1::Reuse for ReturnTo {
    fn reuse(self, conn: Conn) {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < MAX_POOLED {
            pool.push(Pooled {
                authority: self.authority,
                conn,
                since: Instant::now(),
            });
        }
    }
}

/// A response whose head has arrived: the head, and the body to read.
pub(crate) type Response = (h1::Head, h1::Body<ReturnTo>);

/// The plain-HTTP/1.1 client: parsed URLs and pooled connections.
pub(crate) struct DirectClient {
    connect_timeout: Duration,
    endpoints: Mutex<rustc_hash::FxHashMap<String, Endpoint>>,
    pool: Pool,
}

impl std::fmt::Debug for DirectClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectClient")
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl DirectClient {
    /// A client whose connects give up after `connect_timeout`.
    pub(crate) fn new(connect_timeout: Duration) -> Self {
        Self {
            connect_timeout,
            endpoints: Mutex::default(),
            pool: Pool::default(),
        }
    }

    /// The endpoint of `url`, parsed on first use.
    pub(crate) fn endpoint(&self, url: &str) -> Option<Endpoint> {
        let mut endpoints = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(endpoint) = endpoints.get(url) {
            return Some(endpoint.clone());
        }
        let endpoint = Endpoint::parse(url)?;
        if endpoints.len() >= MAX_ENDPOINTS {
            endpoints.clear();
        }
        endpoints.insert(url.to_owned(), endpoint.clone());
        Some(endpoint)
    }

    /// Sends a request (`head` and `body` as [`h1::encode_request`] made
    /// them) to `endpoint` on a pooled connection, or a new one.
    ///
    /// A reused connection that fails before any byte of a response came
    /// back (the upstream closed it while it was idle, and the close had
    /// not arrived yet) is dropped and the request sent again, as curl
    /// does; on a new connection that failure is the caller's.
    pub(crate) async fn send(
        &self,
        endpoint: &Endpoint,
        head: &[u8],
        body: &[u8],
    ) -> Result<Response, DirectError> {
        loop {
            let (mut conn, reused) = match self.checkout(&endpoint.authority) {
                Some(conn) => (conn, true),
                None => {
                    // The semaphore is never closed, so a permit always comes.
                    let _permit = endpoint.connecting.acquire().await;
                    match self.checkout(&endpoint.authority) {
                        Some(conn) => (conn, true),
                        // As hyper-util's client: while connecting, a
                        // pooled connection that becomes free wins (a SYN
                        // the upstream dropped costs a 1-second retransmit).
                        None => {
                            let connect = std::pin::pin!(self.connect(endpoint));
                            let pooled = std::pin::pin!(self.next_pooled(&endpoint.authority));
                            match futures::future::select(connect, pooled).await {
                                futures::future::Either::Left((connected, _)) => {
                                    (connected?, false)
                                }
                                futures::future::Either::Right((conn, _)) => (conn, true),
                            }
                        }
                    }
                }
            };
            if let Err(err) = conn.write_request(head, body).await {
                if reused && h1::is_closed_by_peer(&err) {
                    continue;
                }
                return Err(DirectError::Io(err));
            }
            return match conn.read_head().await {
                Ok(head) => {
                    let reuse = ReturnTo {
                        pool: Arc::clone(&self.pool),
                        authority: Arc::clone(&endpoint.authority),
                    };
                    let body = h1::Body::new(conn, &head, reuse);
                    Ok((head, body))
                }
                Err(HeadError::NothingReceived(_)) if reused => continue,
                Err(HeadError::NothingReceived(err) | HeadError::Failed(err)) => {
                    Err(DirectError::Io(err))
                }
            };
        }
    }

    /// An idle connection to `authority` that is still open, dropping
    /// closed and stale ones.
    fn checkout(&self, authority: &str) -> Option<Conn> {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        let mut now = None;
        let mut i = pool.len();
        while i > 0 {
            i -= 1;
            if *pool[i].authority != *authority {
                continue;
            }
            let pooled = pool.swap_remove(i);
            let now = *now.get_or_insert_with(Instant::now);
            let stale = now.saturating_duration_since(pooled.since) > IDLE_TIMEOUT;
            if !stale && pooled.conn.is_open() {
                return Some(pooled.conn);
            }
        }
        None
    }

    /// The next pooled connection to `authority`, looked for every
    /// millisecond (only while a connect is under way).
    async fn next_pooled(&self, authority: &str) -> Conn {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if let Some(conn) = self.checkout(authority) {
                return conn;
            }
        }
    }

    /// A new connection (TCP_NODELAY, as hyper-util's connector had it).
    async fn connect(&self, endpoint: &Endpoint) -> Result<Conn, DirectError> {
        let connect = tokio::net::TcpStream::connect((&*endpoint.host, endpoint.port));
        let stream = match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => return Err(DirectError::Connect(err)),
            Err(_) => {
                return Err(DirectError::Connect(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connect timed out",
                )));
            }
        };
        stream.set_nodelay(true).map_err(DirectError::Connect)?;
        Ok(Conn::new(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_host_port_and_origin_form_target() {
        let e = Endpoint::parse("http://127.0.0.1:8080/v1/chat/completions?a=1").unwrap();
        assert_eq!(&*e.authority, "127.0.0.1:8080");
        assert_eq!(e.host_header(), "127.0.0.1:8080");
        assert_eq!(e.path(), "/v1/chat/completions?a=1");
        let e = Endpoint::parse("http://example.com/x").unwrap();
        assert_eq!((&*e.authority, e.port), ("example.com:80", 80));
        assert_eq!(e.host_header(), "example.com");
        let e = Endpoint::parse("http://example.com:80").unwrap();
        assert_eq!(e.host_header(), "example.com");
        assert_eq!(e.path(), "/");
        let e = Endpoint::parse("http://[::1]:9000/v1").unwrap();
        assert_eq!((&*e.host, e.port), ("::1", 9000));
        assert_eq!(e.host_header(), "[::1]:9000");
        for refused in [
            "https://example.com/",
            "http://user:pw@example.com/",
            "not a url",
        ] {
            assert!(Endpoint::parse(refused).is_none(), "{refused}");
        }
    }

    /// Posts `body` to `endpoint`: the status and the whole body.
    async fn post(
        client: &DirectClient,
        endpoint: &Endpoint,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), DirectError> {
        use futures::StreamExt;
        let fixed = [("host", endpoint.host_header())];
        let (head, rest) = h1::encode_request(endpoint.path(), &fixed, &[], body).unwrap();
        let (head, mut body) = client.send(endpoint, &head, rest).await?;
        let mut read = Vec::new();
        while let Some(piece) = body.next().await {
            read.extend_from_slice(&piece.map_err(DirectError::Io)?);
        }
        Ok((head.status.as_u16(), read))
    }

    #[tokio::test]
    async fn mock_sequential_requests_share_one_connection() {
        let mock = mock_provider::start().await.unwrap();
        let client = DirectClient::new(Duration::from_secs(2));
        let url = format!("{}/chat/completions", mock.base_url());
        let endpoint = client.endpoint(&url).unwrap();
        let body = serde_json::to_vec(&serde_json::json!({"model": "m",
            "messages": [{"role": "user", "content": "Hi"}]}))
        .unwrap();
        for _ in 0..5 {
            let (status, _) = post(&client, &endpoint, &body).await.unwrap();
            assert_eq!(status, 200);
        }
        // Every new connection is pooled after its response: one entry
        // means the five requests went over one connection.
        let pooled = client.pool.lock().unwrap().len();
        assert_eq!(pooled, 1, "sequential requests share one connection");
    }

    /// A server that answers each request with `reply` and closes the
    /// connection; it counts the connections it accepted.
    async fn closing_server(reply: &'static [u8]) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if h1::tests::read_request(&mut socket).await.is_some() {
                    let _ = socket.write_all(reply).await;
                }
            }
        });
        (url, accepted)
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_never_reused() {
        // With `connection: close` it is never pooled. Without it keep-alive
        // is implied and the server closes anyway: the next request finds
        // the close at checkout, or fails before any answer and goes again
        // on a new connection.
        for reply in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}",
        ] {
            let (url, accepted) = closing_server(reply).await;
            let client = DirectClient::new(Duration::from_secs(2));
            let endpoint = client.endpoint(&url).unwrap();
            for _ in 0..3 {
                let (status, body) = post(&client, &endpoint, b"").await.unwrap();
                assert_eq!((status, &body[..]), (200, &b"{}"[..]));
            }
            let accepted = accepted.load(std::sync::atomic::Ordering::SeqCst);
            assert_eq!(accepted, 3, "{}", String::from_utf8_lossy(reply));
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        drop(listener);
        let client = DirectClient::new(Duration::from_secs(2));
        let endpoint = client.endpoint(&url).unwrap();
        let err = post(&client, &endpoint, b"").await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
    }

    #[tokio::test]
    async fn a_new_connection_closed_without_an_answer_is_an_error_not_a_retry() {
        let (url, accepted) = closing_server(b"").await;
        let client = DirectClient::new(Duration::from_secs(2));
        let endpoint = client.endpoint(&url).unwrap();
        let err = post(&client, &endpoint, b"").await.unwrap_err();
        assert!(!err.is_connect(), "{err:?}");
        assert!(
            err.as_error().to_string().contains("without answering"),
            "{err:?}"
        );
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
