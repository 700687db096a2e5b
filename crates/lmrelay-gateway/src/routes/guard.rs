//! What every request passes before a handler: authentication (as an axum
//! middleware), the body size limit, and the refusal of client-supplied
//! upstream credentials (`api_base`, `base_url` at any depth), LiteLLM's
//! SSRF history.

use std::sync::{Arc, LazyLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use memchr::memmem;
use serde_json::Value;

use crate::keys::auth::{Caller, authenticate};
use crate::{AppState, GatewayError};

/// Paths served without a key (LiteLLM's public routes).
const PUBLIC: &[&str] = &[
    "/health/liveliness",
    "/health/liveness",
    "/health/readiness",
    "/metrics",
    "/metrics/",
];

/// Authenticates the request and hands the [`Caller`] to the handler.
pub async fn auth(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    if PUBLIC.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let caller = match state.keys() {
        None => Ok(Caller::Open),
        Some(keys) => authenticate(request.headers(), state.master.as_ref(), keys),
    };
    match caller {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(err) => err.into_response(),
    }
}

/// Reads a body up to the configured limit (413 in OpenAI's shape beyond it).
pub async fn read_body(state: &AppState, mut body: Body) -> Result<Bytes, GatewayError> {
    use axum::body::HttpBody;
    let limit = state.config().general.max_request_size;
    let too_large = || {
        GatewayError::PayloadTooLarge(format!(
            "the request body is larger than {limit} bytes: send less, or raise \
             general_settings.max_request_size_mb"
        ))
    };
    // Our HTTP/1 server hands over the body read whole, as one piece: no
    // collecting then (which cost about 700 instructions a request).
    if body.size_hint().exact().is_some_and(|n| n <= limit as u64) {
        let first = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        let first = match first {
            None => return Ok(Bytes::new()),
            Some(Ok(frame)) => frame.into_data().unwrap_or_default(),
            Some(Err(err)) => {
                return Err(GatewayError::BadRequest(format!(
                    "the request body could not be read: {err}"
                )));
            }
        };
        if body.is_end_stream() {
            return Ok(first);
        }
        let rest = axum::body::to_bytes(body, limit.saturating_sub(first.len()))
            .await
            .map_err(|_| too_large())?;
        let mut whole = Vec::with_capacity(first.len() + rest.len());
        whole.extend_from_slice(&first);
        whole.extend_from_slice(&rest);
        return Ok(Bytes::from(whole));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

/// Upstream credentials a client sent in the body, when the allow-list lets
/// them through: `(api_base, api_key)` found at the top level.
#[derive(Debug, Default)]
pub struct ClientCredentials {
    /// `api_base` / `base_url`, allowed by `general_settings.allowed_api_bases`.
    pub api_base: Option<String>,
    /// `api_key` (used only with an allowed `api_base`).
    pub api_key: Option<String>,
}

const BANNED: &[&str] = &["api_base", "base_url"];

fn find_banned<'v>(value: &'v Value, found: &mut Vec<(&'static str, &'v Value)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if let Some(name) = BANNED.iter().find(|b| *b == key) {
                    found.push((name, child));
                }
                find_banned(child, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| find_banned(item, found)),
        _ => {}
    }
}

/// Whether `body` may name a banned field: a name written out, or any `\u`
/// escape (a key can spell a name with escapes, `"api\u005fbase"`). Bodies
/// without either, nearly all of them, are not parsed again. (A SIMD
/// substring search: the byte-window scan it replaces cost 20 instructions
/// per byte of prompt; the searchers are built once, not per request.)
fn may_name_banned(body: &[u8]) -> bool {
    static NEEDLES: LazyLock<[memmem::Finder<'static>; 3]> = LazyLock::new(|| {
        [
            memmem::Finder::new(b"\"api_base\""),
            memmem::Finder::new(b"\"base_url\""),
            memmem::Finder::new(b"\\u"),
        ]
    });
    NEEDLES.iter().any(|needle| needle.find(body).is_some())
}

/// Refuses `api_base` / `base_url` anywhere in a JSON body unless each is in
/// `allowed`. A cheap byte scan skips bodies that cannot contain them.
pub fn check_credentials(
    body: &[u8],
    allowed: &[String],
) -> Result<ClientCredentials, GatewayError> {
    if !may_name_banned(body) {
        return Ok(ClientCredentials::default());
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Ok(ClientCredentials::default());
    };
    let mut found = Vec::new();
    find_banned(&value, &mut found);
    for (name, given) in &found {
        let permitted = given.as_str().is_some_and(|url| {
            let url = url.trim_end_matches('/');
            allowed.iter().any(|a| a.trim_end_matches('/') == url)
        });
        if !permitted {
            return Err(GatewayError::Unauthorized(format!(
                "Authentication Error, Rejected Request: {name} is not allowed in request body. A client may \
                 only name an upstream listed in general_settings.allowed_api_bases (it would otherwise receive \
                 this gateway's provider keys)."
            )));
        }
    }
    let root = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(ClientCredentials {
        api_base: root("api_base").or_else(|| root("base_url")),
        api_key: root("api_key"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_refused_at_any_depth_unless_allowed() {
        let none: Vec<String> = Vec::new();
        assert!(check_credentials(br#"{"model": "m", "messages": []}"#, &none).is_ok());
        for body in [
            r#"{"model": "m", "api_base": "http://169.254.169.254/"}"#,
            r#"{"model": "m", "extra_body": {"base_url": "http://127.0.0.1:1"}}"#,
            r#"{"model": "m", "metadata": [{"x": {"api_base": "http://[::1]/"}}]}"#,
        ] {
            let err = check_credentials(body.as_bytes(), &none)
                .err()
                .map(|e| (e.status(), e.to_string()));
            let (status, text) = err.unwrap_or_default();
            assert_eq!(status, 401, "{body}");
            assert!(text.contains("is not allowed in request body"), "{text}");
        }
        let allowed = vec!["http://10.0.0.5:8080/v1".to_owned()];
        let ok = check_credentials(
            br#"{"api_base": "http://10.0.0.5:8080/v1/", "api_key": "k"}"#,
            &allowed,
        );
        let creds = ok.unwrap_or_default();
        assert_eq!(creds.api_base.as_deref(), Some("http://10.0.0.5:8080/v1/"));
        assert_eq!(creds.api_key.as_deref(), Some("k"));
        // A name spelt with escapes is the same name.
        let escaped = check_credentials(br#"{"model": "m", "api\u005fbase": "http://x/"}"#, &none);
        assert!(escaped.is_err(), "an escaped api_base must be refused");
        let escaped = check_credentials(br#"{"b\u0061se_url": "http://x/"}"#, &none);
        assert!(escaped.is_err(), "an escaped base_url must be refused");
        // Escapes elsewhere (non-ASCII text from json.dumps) are fine.
        assert!(check_credentials(br#"{"messages": [{"content": "caf\u00e9"}]}"#, &none).is_ok());
        // Text that merely mentions the word is fine.
        assert!(
            check_credentials(
                br#"{"messages": [{"content": "what is \"api_base\"?"}]}"#,
                &none
            )
            .is_ok()
        );
    }
}
