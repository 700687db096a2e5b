//! What a llama.cpp / llamafile server can tell about its model: the context
//! size (`/v1/models` → `meta.n_ctx`) and exact token counts (`/tokenize`).
//! Both are optional: other servers simply do not answer, and the caller
//! estimates instead.

use std::time::Duration;

/// How long to wait for these small questions.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// For `http://` servers: no certificates loaded (they cost milliseconds).
static PLAIN: std::sync::LazyLock<Option<reqwest::Client>> = std::sync::LazyLock::new(|| {
    reqwest::Client::builder()
        .timeout(ASK_TIMEOUT)
        .tls_certs_only([])
        .build()
        .ok()
});
static TLS: std::sync::LazyLock<Option<reqwest::Client>> =
    std::sync::LazyLock::new(|| reqwest::Client::builder().timeout(ASK_TIMEOUT).build().ok());

fn client(url: &str) -> Option<&'static reqwest::Client> {
    if url.starts_with("https://") {
        TLS.as_ref()
    } else {
        PLAIN.as_ref()
    }
}

/// The server root (the API base without its `/v1`).
fn root(api_base: &str) -> &str {
    let base = api_base.trim_end_matches('/');
    base.strip_suffix("/v1").unwrap_or(base)
}

/// The model's context size in tokens, if the server reports it.
pub async fn context_size(api_base: &str) -> Option<usize> {
    let url = format!("{}/models", api_base.trim_end_matches('/'));
    let body: serde_json::Value = client(&url)?
        .get(&url)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let n = body
        .pointer("/data/0/meta/n_ctx")
        .and_then(serde_json::Value::as_u64)?;
    usize::try_from(n).ok().filter(|n| *n > 0)
}

/// The exact token count of `text`, if the server has `/tokenize`.
pub async fn count_tokens(api_base: &str, text: &str) -> Option<usize> {
    let url = format!("{}/tokenize", root(api_base));
    let response = client(&url)?
        .post(&url)
        .json(&serde_json::json!({ "content": text }))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    body.get("tokens")
        .and_then(serde_json::Value::as_array)
        .map(Vec::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_drops_the_v1_suffix() {
        assert_eq!(root("http://127.0.0.1:8080/v1"), "http://127.0.0.1:8080");
        assert_eq!(root("http://127.0.0.1:8080/v1/"), "http://127.0.0.1:8080");
        assert_eq!(root("http://host/api"), "http://host/api");
    }
}
