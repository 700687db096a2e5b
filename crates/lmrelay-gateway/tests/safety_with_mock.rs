//! Safety items of the gateway against the in-repo mock provider: slow
//! clients are cut by the header timeout, secrets never come back in error
//! bodies or headers, and `/health` makes real checks but at most once per
//! ten seconds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MASTER: &str = "sk-safety-master-5e1b77";
const UPSTREAM_KEY: &str = "sk-upstream-canary-90ad1f";

async fn gateway(
    yaml: &str,
    options: lmrelay_gateway::ServeOptions,
) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "{yaml}general_settings:\n  master_key: {MASTER}\n  database_url: 'sqlite://{}/s.db'\n",
        dir.path().display()
    );
    let loaded = lmrelay_gateway::config::load_str(&yaml, "config.yaml").unwrap();
    let (state, _) = lmrelay_gateway::prepare(loaded.config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(lmrelay_gateway::serve_with(
        listener,
        state,
        options,
        std::future::pending(),
    ));
    (url, dir)
}

#[tokio::test]
async fn mock_a_client_that_never_finishes_its_headers_is_disconnected() {
    let mock = mock_provider::start().await.unwrap();
    let options = lmrelay_gateway::ServeOptions {
        header_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let yaml = format!(
        "model_list:\n- model_name: g\n  litellm_params: {{model: openai/m, api_base: '{}', api_key: k}}\n",
        mock.base_url()
    );
    let (url, _dir) = gateway(&yaml, options).await;
    let mut tcp = tokio::net::TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .unwrap();
    tcp.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the half-sent request was never cut");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(mock.attempts(""), 0);
}

#[tokio::test]
async fn mock_secrets_never_come_back_in_error_bodies_or_headers() {
    let mock = mock_provider::start().await.unwrap();
    // The upstream echoes the key it was sent in its error message.
    let yaml = format!(
        "model_list:\n- model_name: echo\n  litellm_params: {{model: openai/m, api_base: '{}', api_key: {UPSTREAM_KEY}}}\n",
        mock.fault_url("status=401,error=invalid_key")
    );
    let (url, _dir) = gateway(&yaml, Default::default()).await;
    let http = reqwest::Client::new();
    let mut seen = String::new();
    for (key, model) in [
        (MASTER, "echo"),
        ("sk-client-guess-1234", "echo"),
        (MASTER, "missing"),
    ] {
        let r = http
            .post(format!("{url}/v1/chat/completions"))
            .bearer_auth(key)
            .json(&json!({"model": model, "messages": [{"role": "user", "content": "Hi"}]}))
            .send()
            .await
            .unwrap();
        for (name, value) in r.headers() {
            seen.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or_default()));
        }
        seen.push_str(&r.text().await.unwrap());
    }
    let stream = http
        .post(format!("{url}/v1/chat/completions"))
        .bearer_auth(MASTER)
        .json(&json!({"model": "echo", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap();
    seen.push_str(&stream.text().await.unwrap());
    seen.push_str(
        &http
            .get(format!("{url}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(
        seen.contains("Incorrect API key provided"),
        "the upstream error did arrive: {seen}"
    );
    for secret in [UPSTREAM_KEY, MASTER, "sk-client-guess-1234"] {
        // Any 12-character piece of a secret would be a leak.
        for start in 0..secret.len() - 12 {
            let piece = &secret[start..start + 12];
            assert!(
                !seen.contains(piece),
                "`{piece}` of a secret leaked:\n{seen}"
            );
        }
    }
}

#[tokio::test]
async fn mock_health_checks_every_deployment_but_caches_the_answer() {
    let mock = mock_provider::start().await.unwrap();
    let yaml = format!(
        "model_list:\n\
         - model_name: good\n  litellm_params: {{model: openai/m, api_base: '{}', api_key: k}}\n\
         - model_name: bad\n  litellm_params: {{model: openai/m, api_base: '{}', api_key: k}}\n",
        mock.base_url(),
        mock.fault_url("status=500")
    );
    let (url, _dir) = gateway(&yaml, Default::default()).await;
    let http = reqwest::Client::new();
    let anonymous = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "/health needs a key");
    let mut answers = Vec::new();
    for _ in 0..3 {
        let v: Value = http
            .get(format!("{url}/health"))
            .bearer_auth(MASTER)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answers.push(v);
    }
    assert_eq!(answers[0]["healthy_count"], 1, "{}", answers[0]);
    assert_eq!(answers[0]["unhealthy_count"], 1);
    assert_eq!(answers[0]["healthy_endpoints"][0]["model_name"], "good");
    assert!(
        answers[0]["unhealthy_endpoints"][0]["error"]
            .as_str()
            .unwrap()
            .contains("500")
    );
    assert_eq!(answers[0], answers[2]);
    // One real check per deployment for three asks (the SDK is told not to retry).
    assert_eq!(mock.attempts(""), 1);
    assert_eq!(mock.attempts("status=500"), 1);
    let ready: Value = http
        .get(format!("{url}/health/readiness"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "healthy");
    assert_eq!(ready["db"], "connected");
}

#[tokio::test]
async fn mock_the_response_cache_keeps_each_virtual_key_apart_and_hits_cost_nothing() {
    let mock = mock_provider::start().await.unwrap();
    let yaml = format!(
        "model_list:\n- model_name: g\n  litellm_params: {{model: openai/m, api_base: '{}', api_key: k, input_cost_per_token: 0.001, output_cost_per_token: 0.001}}\n\
         litellm_settings:\n  cache: true\n  cache_params: {{type: local, ttl: 600}}\n",
        mock.base_url()
    );
    let (url, _dir) = gateway(&yaml, Default::default()).await;
    let http = reqwest::Client::new();
    let mut keys = Vec::new();
    for alias in ["tenant-a", "tenant-b"] {
        let v: Value = http
            .post(format!("{url}/key/generate"))
            .bearer_auth(MASTER)
            .json(&json!({"key_alias": alias}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        keys.push(v["key"].as_str().unwrap().to_owned());
    }
    let ask = |key: String| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let r = http
                .post(format!("{url}/v1/chat/completions"))
                .bearer_auth(key)
                .json(&json!({"model": "g", "messages": [{"role": "user", "content": "cache me"}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.headers()["x-litellm-response-cost"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(ask(keys[0].clone()).await, "0.014");
    assert_eq!(
        ask(keys[0].clone()).await,
        "0",
        "the second ask is a free cache hit"
    );
    assert_eq!(mock.attempts(""), 1);
    assert_eq!(
        ask(keys[1].clone()).await,
        "0.014",
        "another key never sees tenant a's answer"
    );
    assert_eq!(mock.attempts(""), 2);
    let logs: Value = http
        .get(format!("{url}/spend/logs?api_key={}", keys[0]))
        .bearer_auth(MASTER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hits: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cache_hit"].as_str().unwrap())
        .collect();
    assert_eq!(hits.len(), 2, "{logs}");
    assert!(hits.contains(&"True") && hits.contains(&"False"), "{logs}");
}

#[tokio::test]
async fn mock_an_expired_key_is_refused_with_litellm_expired_key() {
    let mock = mock_provider::start().await.unwrap();
    let yaml = format!(
        "model_list:\n- model_name: g\n  litellm_params: {{model: openai/m, api_base: '{}', api_key: k}}\n",
        mock.base_url()
    );
    let (url, _dir) = gateway(&yaml, Default::default()).await;
    let http = reqwest::Client::new();
    let v: Value = http
        .post(format!("{url}/key/generate"))
        .bearer_auth(MASTER)
        .json(&json!({"duration": "1s"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["expires"].as_str().unwrap().ends_with('Z'), "{v}");
    let key = v["key"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = http
        .post(format!("{url}/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({"model": "g", "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "expired_key", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Authentication Error - Expired Key.")
    );
    let bad = http
        .post(format!("{url}/key/generate"))
        .bearer_auth(MASTER)
        .json(&json!({"duration": "soon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(mock.attempts(""), 0);
}

#[tokio::test]
async fn mock_shutdown_reports_not_ready_while_the_grace_period_still_serves() {
    let mock = mock_provider::start().await.unwrap();
    let yaml = format!(
        "model_list:\n- model_name: g\n  litellm_params: {{model: openai/m, api_base: '{}', api_key: k}}\n",
        mock.base_url()
    );
    let loaded = lmrelay_gateway::config::load_str(&yaml, "config.yaml").unwrap();
    let (state, _) = lmrelay_gateway::prepare(loaded.config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = lmrelay_gateway::ServeOptions {
        readiness_grace: Duration::from_millis(800),
        ..Default::default()
    };
    let server = tokio::spawn(lmrelay_gateway::serve_with(
        listener,
        state,
        options,
        async {
            let _ = stopped.await;
        },
    ));
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("{url}/health/readiness"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let draining = http
        .get(format!("{url}/health/readiness"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        draining.status(),
        503,
        "readiness says no as soon as shutdown starts"
    );
    let served = http
        .post(format!("{url}/v1/chat/completions"))
        .json(&json!({"model": "g", "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        served.status(),
        200,
        "requests are still served during the grace period"
    );
    let started = Instant::now();
    server.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        reqwest::Client::new()
            .get(format!("{url}/health/liveliness"))
            .send()
            .await
            .is_err(),
        "nothing listens after shutdown"
    );
}
