//! The one HTTP layer: sends what a provider adapter built, applies the
//! deadline, and turns transport failures into [`Error`]s with a hint.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::providers::Target;

/// A request as an adapter builds it: URL, headers and JSON body. Its
/// `Debug` output masks credential headers.
#[derive(Clone, PartialEq)]
pub struct WireRequest {
    /// Full URL of the endpoint.
    pub url: String,
    /// Headers (names in lower case); may include `authorization`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: WireBody,
}

/// A request's JSON body: a value an adapter reshaped, or bytes already
/// written straight from the request's types (no intermediate value).
#[derive(Debug, Clone, PartialEq)]
pub enum WireBody {
    /// A JSON value, written when sent.
    Json(Value),
    /// JSON text, sent as is.
    Encoded(Bytes),
}

impl From<Value> for WireBody {
    fn from(value: Value) -> Self {
        Self::Json(value)
    }
}

impl WireBody {
    /// The body as a JSON value (`Null` if encoded bytes are not JSON, which
    /// the encoders never produce).
    pub fn to_value(&self) -> Value {
        match self {
            Self::Json(value) => value.clone(),
            Self::Encoded(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
        }
    }

    /// The JSON text to send, or a BadRequest naming why it cannot be
    /// written.
    fn encode(&self, target: &Target) -> Result<Bytes> {
        match self {
            Self::Json(value) => serde_json::to_vec(value).map(Bytes::from).map_err(|err| {
                target.error(
                    ErrorKind::BadRequest,
                    format!("the request body could not be written as JSON: {err}"),
                )
            }),
            Self::Encoded(bytes) => Ok(bytes.clone()),
        }
    }
}

impl std::fmt::Debug for WireRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireRequest")
            .field("url", &self.url)
            .field("headers", &redacted_headers(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

/// Header names whose values are credentials.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "x-goog-api-key",
    "ocp-apim-subscription-key",
];

/// Headers with credential values replaced by `***`, for logs and `Debug`.
pub fn redacted_headers(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(name, value)| {
            let secret = SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s));
            (name.as_str(), if secret { "***" } else { value.as_str() })
        })
        .collect()
}

/// Largest response body read (64 MiB): a bound on memory per call.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

mod direct;
mod h1;

/// Decoding HTTP/1.1 chunked bodies and reading sockets into buffers
/// (shared with the gateway's server).
pub use h1::{chunked, wire};

/// The HTTP client for plain `http://` URLs when no proxy applies: HTTP/1.1
/// connections and a pool of our own (see [`direct`] and [`h1`]), without
/// reqwest's layers (redirect and retry policies, URL re-parsing) or
/// hyper's connection tasks, which cost as much per call as the rest of a
/// gateway's request handling.
use direct::{DirectClient, Endpoint};

/// The HTTP clients of one [`crate::Client`]: our own client for `http://`
/// URLs (local servers, internal gateways), reqwest for `https://` URLs with
/// the platform's roots (built on first use) and for `http://` when a proxy
/// is configured in the environment (`HTTP_PROXY`, `ALL_PROXY`), which
/// reqwest honours with `NO_PROXY`.
#[derive(Debug)]
pub(crate) struct HttpClients {
    connect_timeout: Duration,
    /// Plain HTTP goes through reqwest (a proxy is configured, or a test).
    plain_via_reqwest: bool,
    direct: std::sync::OnceLock<DirectClient>,
    plain: std::sync::OnceLock<Result<reqwest::Client, String>>,
    tls: std::sync::OnceLock<Result<reqwest::Client, String>>,
}

/// Whether the environment names a proxy for plain HTTP.
fn http_proxy_configured() -> bool {
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

impl HttpClients {
    pub(crate) fn new(connect_timeout: Duration) -> Self {
        Self::with_plain_via_reqwest(connect_timeout, http_proxy_configured())
    }

    /// Clients that send plain HTTP through reqwest when `via_reqwest`.
    pub(crate) fn with_plain_via_reqwest(connect_timeout: Duration, via_reqwest: bool) -> Self {
        Self {
            connect_timeout,
            plain_via_reqwest: via_reqwest,
            direct: std::sync::OnceLock::new(),
            plain: std::sync::OnceLock::new(),
            tls: std::sync::OnceLock::new(),
        }
    }

    /// The reqwest client for `url` (token endpoints, tokenizers, https).
    pub(crate) fn for_url(&self, url: &str) -> Result<&reqwest::Client> {
        let https = is_https(url);
        let cell = if https { &self.tls } else { &self.plain };
        cell.get_or_init(|| {
            // No redirects: LLM APIs answer POSTs in place, and a followed
            // redirect would carry the request (and its key) to a host
            // nobody configured.
            let builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(self.connect_timeout)
                .user_agent(USER_AGENT);
            // No roots at all for plain HTTP: an https URL can never use this
            // client (it would fail verification, not skip it).
            let builder = if https {
                builder
            } else {
                builder.tls_certs_only([])
            };
            builder
                .build()
                .map_err(|err| format!("could not build the HTTP client: {err}"))
        })
        .as_ref()
        .map_err(|msg| Error::new(ErrorKind::APIConnection, msg.clone()))
    }

    /// The direct client, when it can carry `url`: plain `http://` with an
    /// ASCII host and no user info, and no proxy configured.
    fn direct_for(&self, url: &str) -> Option<(&DirectClient, Endpoint)> {
        if self.plain_via_reqwest
            || !url
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        {
            return None;
        }
        let client = self
            .direct
            .get_or_init(|| DirectClient::new(self.connect_timeout));
        Some((client, client.endpoint(url)?))
    }
}

const USER_AGENT: &str = concat!("lmrelay/", env!("CARGO_PKG_VERSION"));

fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// Why a connection or a body failed, from either client.
#[derive(Debug)]
pub(crate) struct Failure {
    timeout: bool,
    connect: bool,
    cause: String,
}

impl Failure {
    fn from_reqwest(err: &reqwest::Error) -> Self {
        Self {
            timeout: err.is_timeout(),
            connect: err.is_connect(),
            cause: root_cause(err),
        }
    }

    fn from_error(err: &(dyn std::error::Error + 'static), connect: bool) -> Self {
        let mut source = err;
        let mut timeout = false;
        loop {
            timeout |= source.is::<tokio::time::error::Elapsed>()
                || source
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
            match source.source() {
                Some(next) => source = next,
                None => break,
            }
        }
        let cause = if timeout && connect {
            "connect timed out".to_owned()
        } else {
            source.to_string()
        };
        Self {
            timeout,
            connect,
            cause,
        }
    }
}

/// A response body as a stream of pieces.
pub(crate) type ByteStream =
    futures::stream::BoxStream<'static, std::result::Result<Bytes, Failure>>;

/// A response from either client: status, headers, and the body still to
/// be read.
pub(crate) struct HttpResponse {
    status: reqwest::StatusCode,
    headers: Headers,
    body: ResponseBody,
}

/// A response's header fields: reqwest's map, or the head's bytes as our
/// client read them.
enum Headers {
    Map(reqwest::header::HeaderMap),
    Raw(h1::RawFields),
}

enum ResponseBody {
    Reqwest(reqwest::Response),
    Direct(h1::Body<direct::ReturnTo>),
}

impl HttpResponse {
    /// The value of the first header field named `name`, when it is text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        match &self.headers {
            Headers::Map(map) => map.get(name).and_then(|value| value.to_str().ok()),
            Headers::Raw(fields) => fields.get(name).and_then(|v| std::str::from_utf8(v).ok()),
        }
    }

    /// The header fields as a map.
    fn header_map(&self) -> reqwest::header::HeaderMap {
        match &self.headers {
            Headers::Map(map) => map.clone(),
            Headers::Raw(fields) => fields.to_map(),
        }
    }

    /// The body, piece by piece.
    pub(crate) fn into_stream(self) -> ByteStream {
        match self.body {
            ResponseBody::Reqwest(response) => response
                .bytes_stream()
                .map(|piece| piece.map_err(|err| Failure::from_reqwest(&err)))
                .boxed(),
            ResponseBody::Direct(body) => body
                .map(|piece| piece.map_err(|err| Failure::from_error(&err, false)))
                .boxed(),
        }
    }
}

/// Sends `wire` and returns the response once its status says success; a
/// failure status is read and mapped by `map_error` (the adapter's mapping).
pub(crate) async fn send(
    http: &HttpClients,
    target: &Target,
    wire: &WireRequest,
    map_error: fn(&Target, u16, &reqwest::header::HeaderMap, &str) -> Error,
) -> Result<HttpResponse> {
    let response = match http.direct_for(&wire.url) {
        Some((client, endpoint)) => send_direct(client, &endpoint, target, wire).await?,
        None => send_reqwest(http.for_url(&wire.url)?, target, wire).await?,
    };
    if response.status.is_success() {
        return Ok(response);
    }
    let status = response.status.as_u16();
    let headers = response.header_map();
    let body = read_body(target, &wire.url, response)
        .await
        .unwrap_or_default();
    Err(map_error(
        target,
        status,
        &headers,
        &String::from_utf8_lossy(&body),
    ))
}

async fn send_reqwest(
    http: &reqwest::Client,
    target: &Target,
    wire: &WireRequest,
) -> Result<HttpResponse> {
    let body = wire.body.encode(target)?;
    let mut builder = http
        .post(&wire.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    for (name, value) in &wire.headers {
        builder = builder.header(name, value);
    }
    let response = builder
        .send()
        .await
        .map_err(|err| transport_error(target, &wire.url, &Failure::from_reqwest(&err)))?;
    Ok(HttpResponse {
        status: response.status(),
        headers: Headers::Map(response.headers().clone()),
        body: ResponseBody::Reqwest(response),
    })
}

async fn send_direct(
    client: &DirectClient,
    endpoint: &Endpoint,
    target: &Target,
    wire: &WireRequest,
) -> Result<HttpResponse> {
    let body = wire.body.encode(target)?;
    // What reqwest sends by default, so both clients look the same upstream.
    let fixed = [
        ("host", endpoint.host_header()),
        ("content-type", "application/json"),
        ("accept", "*/*"),
        ("user-agent", USER_AGENT),
    ];
    let (head, rest) =
        h1::encode_request(endpoint.path(), &fixed, &wire.headers, &body).map_err(|name| {
            target.error(
                ErrorKind::BadRequest,
                format!(
                    "header '{name}' cannot be sent: its name or value has characters HTTP \
                     does not allow (line breaks, control characters); fix it in \
                     extra_headers or the API key"
                ),
            )
        })?;
    let (head, body) = client.send(endpoint, &head, rest).await.map_err(|err| {
        transport_error(
            target,
            &wire.url,
            &Failure::from_error(err.as_error(), err.is_connect()),
        )
    })?;
    Ok(HttpResponse {
        status: head.status,
        headers: Headers::Raw(head.fields),
        body: ResponseBody::Direct(body),
    })
}

/// Reads a whole body, refusing more than [`MAX_BODY`] bytes. A body that
/// arrives in one piece (the usual case) is returned without a copy.
pub(crate) async fn read_body(target: &Target, url: &str, response: HttpResponse) -> Result<Bytes> {
    let mut stream = response.into_stream();
    let mut first: Option<Bytes> = None;
    let mut body = Vec::new();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|err| transport_error(target, url, &err))?;
        let had = first.as_ref().map_or(0, Bytes::len) + body.len();
        if had + piece.len() > MAX_BODY {
            return Err(target.error(
                ErrorKind::APIError,
                format!("response from {url} is larger than {MAX_BODY} bytes"),
            ));
        }
        if first.is_none() && body.is_empty() {
            first = Some(piece);
            continue;
        }
        if let Some(first) = first.take() {
            body.extend_from_slice(&first);
        }
        body.extend_from_slice(&piece);
    }
    Ok(first.unwrap_or_else(|| Bytes::from(body)))
}

/// A transport failure (refused, reset, DNS, TLS, timeout) as an [`Error`].
pub(crate) fn transport_error(target: &Target, url: &str, err: &Failure) -> Error {
    let cause = &err.cause;
    let url = strip_query(url);
    if err.timeout {
        return target.error(
            ErrorKind::Timeout,
            format!("request to {url} timed out ({cause})"),
        );
    }
    let what = if err.connect {
        format!("could not connect to {url} ({cause})")
    } else {
        format!("connection to {url} failed ({cause})")
    };
    let hint = if target.provider.local {
        let env = target.provider.or_set_api_base_env();
        format!(
            ". Is the {} server running and listening there? Start it, or pass api_base{env} \
             with the URL where it listens",
            target.provider.prefix
        )
    } else {
        ". Check the network and the API base".to_owned()
    };
    target.error(ErrorKind::APIConnection, format!("{what}{hint}"))
}

/// A deadline that fired, as a Timeout error.
pub(crate) fn deadline_error(target: &Target, url: &str, what: &str, limit: Duration) -> Error {
    target.error(
        ErrorKind::Timeout,
        format!(
            "{what} from {} within {:.3} s; raise the timeout or check the server",
            strip_query(url),
            limit.as_secs_f64()
        ),
    )
}

fn root_cause(err: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    let text = source.to_string();
    // reqwest's own message names the URL, which may carry a key in its query.
    if std::ptr::eq(source, err as &dyn std::error::Error) {
        return err
            .to_string()
            .split(" for url")
            .next()
            .unwrap_or("")
            .to_owned();
    }
    text
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::openai_compat::map_error;
    use mock_provider::replay::{CannedReply, start_replay};
    use serde_json::json;

    /// What the server saw and what came back, through one of the clients.
    async fn exchange(
        via_reqwest: bool,
        reply: Value,
    ) -> (Vec<(String, String)>, Value, Result<Bytes>) {
        let server = start_replay(CannedReply(reply)).await.unwrap();
        let http = HttpClients::with_plain_via_reqwest(Duration::from_secs(2), via_reqwest);
        let base = format!("{}/v1", server.base_url());
        let target = crate::providers::resolve("openai/m", Some(&base), Some("sk-x")).unwrap();
        let wire = WireRequest {
            url: format!("{base}/chat/completions?q=1"),
            headers: vec![
                ("authorization".into(), "Bearer sk-x".into()),
                ("x-trace".into(), "t-1".into()),
            ],
            body: json!({"model": "m", "messages": [{"role": "user", "content": "héllo"}]}).into(),
        };
        let result = match send(&http, &target, &wire, map_error).await {
            Ok(response) => read_body(&target, &wire.url, response).await,
            Err(err) => Err(err),
        };
        let seen = server.requests();
        assert_eq!(seen.len(), 1, "one request per call");
        let (_, request) = seen.into_iter().next().unwrap();
        let authority = server.base_url().trim_start_matches("http://").to_owned();
        let hosts: Vec<&str> = request
            .headers
            .iter()
            .filter(|(name, _)| name == "host")
            .map(|(_, value)| value.as_str())
            .collect();
        assert_eq!(hosts, [authority.as_str()], "one Host header, the server's");
        let mut headers: Vec<(String, String)> = request
            .headers
            .into_iter()
            // The port differs per server (checked above).
            .filter(|(name, _)| name != "host")
            .collect();
        headers.sort();
        (headers, request.body, result)
    }

    #[tokio::test]
    async fn mock_direct_and_reqwest_clients_send_and_read_the_same() {
        let ok = json!({"status": 200, "body": {"id": "x", "choices": []}});
        let (direct_headers, direct_body, direct_result) = exchange(false, ok.clone()).await;
        let (reqwest_headers, reqwest_body, reqwest_result) = exchange(true, ok).await;
        assert_eq!(direct_headers, reqwest_headers);
        assert_eq!(direct_body, reqwest_body);
        assert_eq!(direct_body["messages"][0]["content"], "héllo");
        assert!(
            direct_headers.contains(&("user-agent".into(), USER_AGENT.into())),
            "{direct_headers:?}"
        );
        assert_eq!(direct_result.unwrap(), reqwest_result.unwrap());

        let limited = json!({"status": 429, "headers": {"retry-after": "7"},
            "body": {"error": {"message": "slow down", "type": "rate_limit"}}});
        let (_, _, direct_err) = exchange(false, limited.clone()).await;
        let (_, _, reqwest_err) = exchange(true, limited).await;
        let (direct_err, reqwest_err) = (direct_err.unwrap_err(), reqwest_err.unwrap_err());
        assert_eq!(direct_err.kind(), ErrorKind::RateLimit);
        assert_eq!(direct_err.to_string(), reqwest_err.to_string());
        assert_eq!(direct_err.retry_after(), reqwest_err.retry_after());
    }

    #[tokio::test]
    async fn refused_connections_read_the_same_through_both_clients() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let base = format!("http://{addr}/v1");
        let target = crate::providers::resolve("openai/m", Some(&base), Some("sk-x")).unwrap();
        let wire = WireRequest {
            url: format!("{base}/chat/completions"),
            headers: Vec::new(),
            body: json!({}).into(),
        };
        let mut errors = Vec::new();
        for via_reqwest in [false, true] {
            let http = HttpClients::with_plain_via_reqwest(Duration::from_secs(2), via_reqwest);
            let err = send(&http, &target, &wire, map_error).await.err().unwrap();
            assert_eq!(err.kind(), ErrorKind::APIConnection, "{err}");
            assert!(err.to_string().contains("could not connect"), "{err}");
            errors.push(err.to_string());
        }
        assert!(
            errors[0].to_lowercase().contains("refused"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn urls_with_user_info_or_tls_stay_with_reqwest() {
        let http = HttpClients::with_plain_via_reqwest(Duration::from_secs(1), false);
        assert!(
            http.direct_for("http://127.0.0.1:1/v1/chat/completions")
                .is_some()
        );
        assert!(http.direct_for("HTTP://localhost/v1").is_some());
        assert!(http.direct_for("http://user:pw@127.0.0.1/v1").is_none());
        assert!(http.direct_for("https://api.openai.com/v1").is_none());
        assert!(http.direct_for("http://bücher.example/v1").is_none());
        let proxied = HttpClients::with_plain_via_reqwest(Duration::from_secs(1), true);
        assert!(proxied.direct_for("http://127.0.0.1:1/v1").is_none());
    }

    #[test]
    fn debug_masks_credential_headers() {
        let wire = WireRequest {
            url: "http://x/v1/chat/completions".into(),
            headers: vec![
                ("authorization".into(), "Bearer sk-canary-123".into()),
                ("X-Api-Key".into(), "sk-canary-456".into()),
                ("x-trace".into(), "visible".into()),
            ],
            body: Value::Null.into(),
        };
        let text = format!("{wire:?}");
        assert!(!text.contains("canary"), "{text}");
        assert!(text.contains("visible"), "{text}");
    }
}
