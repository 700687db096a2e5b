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
    pub body: Value,
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

/// The HTTP clients of one [`crate::Client`]: one for `http://` URLs built
/// without loading any certificate (local servers start in a millisecond),
/// and one for `https://` URLs with the platform's roots, built on first use.
#[derive(Debug)]
pub(crate) struct HttpClients {
    connect_timeout: Duration,
    plain: std::sync::OnceLock<Result<reqwest::Client, String>>,
    tls: std::sync::OnceLock<Result<reqwest::Client, String>>,
}

impl HttpClients {
    pub(crate) fn new(connect_timeout: Duration) -> Self {
        Self {
            connect_timeout,
            plain: std::sync::OnceLock::new(),
            tls: std::sync::OnceLock::new(),
        }
    }

    /// The client for `url`.
    pub(crate) fn for_url(&self, url: &str) -> Result<&reqwest::Client> {
        let https = url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
        let cell = if https { &self.tls } else { &self.plain };
        cell.get_or_init(|| {
            // No redirects: LLM APIs answer POSTs in place, and a followed
            // redirect would carry the request (and its key) to a host
            // nobody configured.
            let builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(self.connect_timeout)
                .user_agent(concat!("lmrelay/", env!("CARGO_PKG_VERSION")));
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
}

/// Sends `wire` and returns the response once its status says success; a
/// failure status is read and mapped by `map_error` (the adapter's mapping).
pub(crate) async fn send(
    http: &reqwest::Client,
    target: &Target,
    wire: &WireRequest,
    map_error: fn(&Target, u16, &reqwest::header::HeaderMap, &str) -> Error,
) -> Result<reqwest::Response> {
    let mut builder = http.post(&wire.url).json(&wire.body);
    for (name, value) in &wire.headers {
        builder = builder.header(name, value);
    }
    let response = builder
        .send()
        .await
        .map_err(|err| transport_error(target, &wire.url, &err))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let headers = response.headers().clone();
    let body = read_body(target, &wire.url, response)
        .await
        .unwrap_or_default();
    Err(map_error(
        target,
        status.as_u16(),
        &headers,
        &String::from_utf8_lossy(&body),
    ))
}

/// Reads a whole body, refusing more than [`MAX_BODY`] bytes.
pub(crate) async fn read_body(
    target: &Target,
    url: &str,
    response: reqwest::Response,
) -> Result<Bytes> {
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|err| transport_error(target, url, &err))?;
        if body.len() + piece.len() > MAX_BODY {
            return Err(target.error(
                ErrorKind::APIError,
                format!("response from {url} is larger than {MAX_BODY} bytes"),
            ));
        }
        body.extend_from_slice(&piece);
    }
    Ok(Bytes::from(body))
}

/// A transport failure (refused, reset, DNS, TLS, timeout) as an [`Error`].
pub(crate) fn transport_error(target: &Target, url: &str, err: &reqwest::Error) -> Error {
    let cause = root_cause(err);
    let url = strip_query(url);
    if err.is_timeout() {
        return target.error(
            ErrorKind::Timeout,
            format!("request to {url} timed out ({cause})"),
        );
    }
    let what = if err.is_connect() {
        format!("could not connect to {url} ({cause})")
    } else {
        format!("connection to {url} failed ({cause})")
    };
    let hint = if target.provider.local {
        let env = target
            .provider
            .api_base_env
            .first()
            .map(|name| format!(" or set {name}"))
            .unwrap_or_default();
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

    #[test]
    fn debug_masks_credential_headers() {
        let wire = WireRequest {
            url: "http://x/v1/chat/completions".into(),
            headers: vec![
                ("authorization".into(), "Bearer sk-canary-123".into()),
                ("X-Api-Key".into(), "sk-canary-456".into()),
                ("x-trace".into(), "visible".into()),
            ],
            body: Value::Null,
        };
        let text = format!("{wire:?}");
        assert!(!text.contains("canary"), "{text}");
        assert!(text.contains("visible"), "{text}");
    }
}
