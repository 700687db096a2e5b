//! Preparing a Vertex AI target before a call: project and location chosen,
//! the publisher URL set as the API base, and an OAuth token from the
//! service account (cached until a minute before it expires) set as the
//! credential. The token exchange is the only I/O, through the client's
//! HTTP layer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::google::{ServiceAccount, parse_token_response};
use crate::error::{Error, ErrorKind, Result};
use crate::providers::{Protocol, Target, vertex};
use crate::request::CallOptions;
use crate::secret::ApiKey;
use crate::transport::HttpClients;

/// Access tokens by service account and token endpoint.
#[derive(Debug, Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn auth_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Authentication, message).with_provider("vertex_ai")
}

/// The service account: the call's credentials (JSON or a path), else
/// `GOOGLE_APPLICATION_CREDENTIALS`.
fn service_account(options: &CallOptions) -> Result<Option<ServiceAccount>> {
    let given = options
        .vertex
        .credentials
        .as_ref()
        .map(|c| c.expose().to_owned());
    let source = match given.or_else(|| env("GOOGLE_APPLICATION_CREDENTIALS")) {
        Some(source) => source,
        None => return Ok(None),
    };
    let text = if source.trim_start().starts_with('{') {
        source
    } else {
        std::fs::read_to_string(&source).map_err(|err| {
            auth_error(format!(
                "cannot read the Vertex credentials file {source}: {err}"
            ))
        })?
    };
    let mut account = ServiceAccount::from_json(&text)?;
    if let Some(uri) = &options.vertex.token_uri {
        account = account.with_token_uri(uri.clone());
    }
    Ok(Some(account))
}

/// Sets the target's API base and token for a Vertex AI call.
pub(crate) async fn prepare(
    http: &HttpClients,
    cache: &TokenCache,
    target: &mut Target,
    options: &CallOptions,
) -> Result<()> {
    if target.provider.protocol != Protocol::VertexAi {
        return Ok(());
    }
    let account = service_account(options)?;
    let project = options
        .vertex
        .project
        .clone()
        .or_else(|| env("VERTEXAI_PROJECT"))
        .or_else(|| env("VERTEX_PROJECT"))
        .or_else(|| account.as_ref().and_then(|a| a.project_id.clone()))
        .ok_or_else(|| {
            auth_error(
                "Vertex AI needs a project: pass vertex project, set VERTEXAI_PROJECT, or use a \
                 service-account key that names its project_id",
            )
        })?;
    let location = options
        .vertex
        .location
        .clone()
        .or_else(|| env("VERTEXAI_LOCATION"))
        .or_else(|| env("VERTEX_LOCATION"))
        .unwrap_or_else(|| "us-central1".to_owned());
    target.api_base = Some(vertex::publisher_base(
        target.api_base.as_deref(),
        &project,
        &location,
    ));
    if target.api_key.is_some() {
        return Ok(());
    }
    let account = account.ok_or_else(|| {
        auth_error(
            "no Vertex AI credentials: pass vertex credentials (a service-account key's JSON or \
             path), set GOOGLE_APPLICATION_CREDENTIALS, or pass an access token as api_key",
        )
    })?;
    target.api_key = Some(ApiKey::from(token(http, cache, &account).await?));
    Ok(())
}

async fn token(http: &HttpClients, cache: &TokenCache, account: &ServiceAccount) -> Result<String> {
    let key = format!("{}|{}", account.client_email, account.token_uri);
    if let Ok(tokens) = cache.tokens.lock()
        && let Some((token, expires)) = tokens.get(&key)
        && *expires > Instant::now()
    {
        return Ok(token.clone());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let form = account.token_form(now)?;
    let client = http.for_url(&account.token_uri)?;
    let response = client
        .post(&account.token_uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .map_err(|err| {
            Error::new(
                ErrorKind::APIConnection,
                format!(
                    "cannot reach the token endpoint {}: {}",
                    account.token_uri,
                    err.without_url()
                ),
            )
            .with_provider("vertex_ai")
        })?;
    let body = response.text().await.unwrap_or_default();
    let (token, lifetime) = parse_token_response(&body)?;
    if let Ok(mut tokens) = cache.tokens.lock() {
        // At most a day: an absurd `expires_in` must not overflow the clock.
        let keep = Duration::from_secs(lifetime.saturating_sub(60).min(86_400));
        tokens.insert(key, (token.clone(), Instant::now() + keep));
    }
    Ok(token)
}
