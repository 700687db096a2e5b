//! Master key, virtual keys, budgets, rate limits and spend logs through
//! the gateway, with the in-repo mock provider as the upstream and a
//! throwaway SQLite file as the store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::sync::Arc;

use mock_provider::MockHandle;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MASTER: &str = "sk-master-canary-7f3a9c";
/// A stream of 60 chunks, 50 ms apart (3 s).
const SLOW: &str = "chunks=60,chunk_ms=50";

struct Gateway {
    url: String,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn gateway(mock: &MockHandle, extra: &str) -> Gateway {
    gateway_with(mock, extra, lmrelay_gateway::ServeOptions::default()).await
}

async fn gateway_with(
    mock: &MockHandle,
    extra: &str,
    options: lmrelay_gateway::ServeOptions,
) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let yaml = format!(
        "model_list:\n\
         - model_name: g\n  litellm_params: {{model: openai/m, api_base: '{base}', api_key: upstream-canary-41d2, input_cost_per_token: 0.001, output_cost_per_token: 0.001}}\n\
         - model_name: other\n  litellm_params: {{model: openai/m, api_base: '{base}', api_key: upstream-canary-41d2}}\n\
         - model_name: slow\n  litellm_params: {{model: openai/m, api_base: '{slow}', api_key: upstream-canary-41d2}}\n\
         general_settings:\n  master_key: {MASTER}\n  database_url: 'sqlite://{db}'\n{extra}",
        base = mock.base_url(),
        slow = mock.fault_url(SLOW),
        db = db.display()
    );
    let loaded = lmrelay_gateway::config::load_str(&yaml, "config.yaml").unwrap();
    let (state, _) = lmrelay_gateway::prepare(loaded.config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(lmrelay_gateway::serve_with(
        listener,
        state,
        options,
        async {
            let _ = stopped.await;
        },
    ));
    Gateway {
        url,
        db,
        _dir: dir,
        stop: Some(stop),
        done,
    }
}

impl Gateway {
    /// Stops the gateway; returns the database path and the folder that
    /// holds it (removed when dropped).
    async fn shutdown(mut self) -> (std::path::PathBuf, tempfile::TempDir) {
        let _ = self.stop.take().unwrap().send(());
        (&mut self.done).await.unwrap().unwrap();
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap());
        (self.db.clone(), dir)
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn chat(gw: &Gateway, key: &str, model: &str) -> reqwest::Response {
    http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .bearer_auth(key)
        .json(&json!({"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap()
}

async fn generate(gw: &Gateway, body: Value) -> String {
    let r = http()
        .post(format!("{}/key/generate", gw.url))
        .bearer_auth(MASTER)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["key"].as_str().unwrap().to_owned()
}

async fn error_message(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], status.as_str(), "{v}");
    (status, v["error"]["message"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn mock_requests_need_the_master_key_or_a_virtual_key() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock, "").await;
    let anonymous = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&json!({"model": "g", "messages": []}))
        .send()
        .await
        .unwrap();
    let (status, message) = error_message(anonymous).await;
    assert_eq!(status, 401);
    assert_eq!(message, "Authentication Error, No api key passed in.");
    let (status, message) = error_message(chat(&gw, "sk-not-a-real-key-9zq8", "g").await).await;
    assert_eq!(status, 401);
    assert!(
        message.contains("Invalid proxy server token passed. Received API Key = sk-...9zq8"),
        "{message}"
    );
    assert!(!message.contains("sk-not-a-real"), "{message}");
    let (status, _) = error_message(chat(&gw, "not-sk", "g").await).await;
    assert_eq!(status, 401);
    assert_eq!(chat(&gw, MASTER, "g").await.status(), 200);
    // The health probes and metrics stay open.
    for path in ["/health/liveliness", "/health/readiness", "/metrics"] {
        assert_eq!(
            http()
                .get(format!("{}{path}", gw.url))
                .send()
                .await
                .unwrap()
                .status(),
            200,
            "{path}"
        );
    }
    // Other headers LiteLLM reads carry the key too.
    let r = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .header("x-api-key", MASTER)
        .json(&json!({"model": "g", "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    gw.shutdown().await;
}

#[tokio::test]
async fn mock_virtual_key_lifecycle_limits_and_storage() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock, "").await;
    let key = generate(
        &gw,
        json!({"models": ["g"], "rpm_limit": 2, "key_alias": "ci", "metadata": {"team": "qa"}}),
    )
    .await;
    assert!(key.starts_with("sk-") && key.len() == 25, "{key}");
    let ok = chat(&gw, &key, "g").await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["x-ratelimit-api_key-remaining-requests"], "1");
    assert_eq!(ok.headers()["x-ratelimit-api_key-limit-requests"], "2");
    let (status, message) = error_message(chat(&gw, &key, "other").await).await;
    assert_eq!(status, 401);
    assert!(
        message.contains("API Key not allowed to access model"),
        "{message}"
    );
    assert_eq!(chat(&gw, &key, "g").await.status(), 200);
    let limited = chat(&gw, &key, "g").await;
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (_, message) = error_message(limited).await;
    assert!(
        message.contains(
            "Rate limit exceeded for api_key: ci. Limit type: requests. Current limit: 2"
        ),
        "{message}"
    );

    let info: Value = http()
        .get(format!("{}/key/info?key={key}", gw.url))
        .bearer_auth(MASTER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["info"]["key_alias"], "ci");
    assert_eq!(info["info"]["models"], json!(["g"]));
    let models: Value = http()
        .get(format!("{}/v1/models", gw.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        models["data"].as_array().unwrap().len(),
        1,
        "the key sees only its models: {models}"
    );
    assert_eq!(models["data"][0]["id"], "g");
    assert_eq!(info["info"]["metadata"]["team"], "qa");
    assert!(
        (info["info"]["spend"].as_f64().unwrap() - 0.028).abs() < 1e-9,
        "{info}"
    );
    // A virtual key may read its own info but not manage keys.
    let own = http()
        .get(format!("{}/key/info", gw.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let denied = http()
        .get(format!("{}/key/list", gw.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let (status, message) = error_message(denied).await;
    assert_eq!(status, 401);
    assert!(
        message.contains("which is only for MASTER KEY"),
        "{message}"
    );

    let blocked = http()
        .post(format!("{}/key/update", gw.url))
        .bearer_auth(MASTER)
        .json(&json!({"key": key, "blocked": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 200);
    let (status, message) = error_message(chat(&gw, &key, "g").await).await;
    assert_eq!(status, 401);
    assert!(message.contains("Key is blocked"), "{message}");

    let list: Value = http()
        .get(format!("{}/key/list", gw.url))
        .bearer_auth(MASTER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total_count"], 1);
    let hash = list["keys"][0].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);

    let logs: Value = http()
        .get(format!("{}/spend/logs?api_key={key}", gw.url))
        .bearer_auth(MASTER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = logs.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{logs}");
    assert!(
        rows.iter()
            .all(|r| r["api_key"] == hash.as_str() && r["model_group"] == "g")
    );
    assert!(
        (rows[0]["spend"].as_f64().unwrap() - 0.014).abs() < 1e-9,
        "{logs}"
    );

    let deleted: Value = http()
        .post(format!("{}/key/delete", gw.url))
        .bearer_auth(MASTER)
        .json(&json!({"keys": [key]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["deleted_keys"], json!([key]));
    let (status, _) = error_message(chat(&gw, &key, "g").await).await;
    assert_eq!(status, 401);

    // Nothing secret is stored in clear: not the master key, not the
    // virtual key, not the upstream key.
    let (db, _dir) = gw.shutdown().await;
    let mut bytes = std::fs::read(&db).unwrap();
    for side in ["-wal", "-shm"] {
        if let Ok(more) = std::fs::read(format!("{}{side}", db.display())) {
            bytes.extend(more);
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    for secret in [MASTER, key.as_str(), "upstream-canary-41d2", &key[3..11]] {
        assert!(!text.contains(secret), "{secret} found in the database");
    }
}

#[tokio::test]
async fn mock_budget_holds_under_200_concurrent_requests() {
    let mock = mock_provider::start().await.unwrap();
    let gw = Arc::new(gateway(&mock, "").await);
    // Each call costs 9 * 0.001 + 5 * 0.001 = 0.014 USD and reserves at
    // most (prompt estimate + max_tokens 10) * 0.001 before it runs.
    let key = generate(&gw, json!({"max_budget": 0.5})).await;
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let gw = Arc::clone(&gw);
        let key = key.clone();
        tasks.push(tokio::spawn(
            async move { chat(&gw, &key, "g").await.status() },
        ));
    }
    let mut ok = 0u32;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::BAD_REQUEST => {}
            other => panic!("unexpected {other}"),
        }
    }
    // Requests in flight hold reservations, so some were refused while
    // others ran; now spend the rest one by one until the budget says no.
    let message = loop {
        let r = chat(&gw, &key, "g").await;
        if r.status() == StatusCode::OK {
            ok += 1;
            continue;
        }
        let (status, message) = error_message(r).await;
        assert_eq!(status, 400);
        break message;
    };
    assert!(
        message.starts_with("Budget has been exceeded! Current cost:"),
        "{message}"
    );
    let info: Value = http()
        .get(format!("{}/key/info?key={key}", gw.url))
        .bearer_auth(MASTER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!(
        (spend - f64::from(ok) * 0.014).abs() < 1e-9,
        "spend {spend} for {ok} calls"
    );
    assert!(spend <= 0.5 + 0.02, "overshoot: spent {spend} of 0.5");
    assert!(
        spend >= 0.5 - 0.02,
        "the budget was not used up: spent {spend} of 0.5"
    );
    assert_eq!(mock.attempts(""), usize::try_from(ok).unwrap());
}

#[tokio::test]
async fn mock_client_supplied_api_base_is_refused_and_never_contacted() {
    let mock = mock_provider::start().await.unwrap();
    let canary = mock_provider::start().await.unwrap();
    let gw = gateway(&mock, "").await;
    for body in [
        json!({"model": "g", "messages": [{"role": "user", "content": "Hi"}], "api_base": canary.base_url()}),
        json!({"model": "g", "messages": [{"role": "user", "content": "Hi"}], "base_url": canary.base_url()}),
        json!({"model": "g", "messages": [{"role": "user", "content": "Hi"}], "extra_body": {"api_base": "http://169.254.169.254/latest"}}),
    ] {
        let r = http()
            .post(format!("{}/v1/chat/completions", gw.url))
            .bearer_auth(MASTER)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, message) = error_message(r).await;
        assert_eq!(status, 401);
        assert!(
            message.contains("is not allowed in request body"),
            "{message}"
        );
    }
    assert_eq!(canary.attempts(""), 0);
    assert_eq!(mock.attempts(""), 0);
}

#[tokio::test]
async fn mock_oversized_bodies_get_413() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock, "  max_request_size_mb: 0.001\n").await;
    let big = "x".repeat(4096);
    let r = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .bearer_auth(MASTER)
        .json(&json!({"model": "g", "messages": [{"role": "user", "content": big}]}))
        .send()
        .await
        .unwrap();
    let (status, message) = error_message(r).await;
    assert_eq!(status, 413);
    assert!(message.contains("max_request_size_mb"), "{message}");
    assert_eq!(mock.attempts(""), 0);
}

#[tokio::test]
async fn mock_spend_logs_are_flushed_on_shutdown_and_metrics_count_calls() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock, "").await;
    let key = generate(&gw, json!({"key_alias": "metrics-key"})).await;
    for _ in 0..3 {
        assert_eq!(chat(&gw, &key, "g").await.status(), 200);
    }
    let stream = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .bearer_auth(&key)
        .json(
            &json!({"model": "g", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}),
        )
        .send()
        .await
        .unwrap();
    let text = stream.text().await.unwrap();
    assert!(
        !text.contains("\"usage\""),
        "the usage chunk lmrelay asked for stays internal: {text}"
    );
    let metrics = http()
        .get(format!("{}/metrics", gw.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("litellm_proxy_total_requests_metric_total{requested_model=\"g\",api_key_alias=\"metrics-key\",route=\"/chat/completions\",status_code=\"200\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("litellm_overhead_latency_metric_count{model_group=\"g\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("litellm_llm_api_time_to_first_token_metric_count"),
        "{metrics}"
    );
    assert!(
        !metrics.contains(&key) && !metrics.contains(MASTER),
        "no key in metrics"
    );
    let (db, _dir) = gw.shutdown().await;
    // Read the file directly after shutdown: all four rows are there.
    let store = lmrelay_gateway::store::SqliteStore::open(&db)
        .await
        .unwrap();
    let rows = lmrelay_gateway::store::Store::spend_logs(&store, &Default::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    let streamed = rows
        .iter()
        .filter(|r| r.completion_tokens == 5 && r.prompt_tokens == 9)
        .count();
    assert_eq!(
        streamed, 4,
        "the streamed call is billed from the upstream's usage too: {rows:?}"
    );
}

async fn open_stream(gw: &Gateway, key: &str) -> reqwest::Response {
    let r = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .bearer_auth(key)
        .json(&json!({"model": "slow", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap();
    if r.status() != 200 {
        panic!("{}", r.text().await.unwrap());
    }
    r
}

async fn read_chunks(r: &mut reqwest::Response, n: usize) -> String {
    let mut text = String::new();
    while text.matches("data: ").count() < n {
        match r.chunk().await.unwrap() {
            Some(bytes) => text.push_str(&String::from_utf8_lossy(&bytes)),
            None => break,
        }
    }
    text
}

#[tokio::test]
async fn mock_a_client_disconnect_closes_the_upstream_promptly_and_bills_what_was_produced() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock, "").await;
    let key = generate(&gw, json!({})).await;
    let mut r = open_stream(&gw, &key).await;
    read_chunks(&mut r, 6).await;
    let left = std::time::Instant::now();
    drop(r);
    let close = loop {
        if let Some(close) = mock.stream_closes(SLOW).first().copied() {
            break close;
        }
        assert!(
            left.elapsed() < std::time::Duration::from_secs(5),
            "the upstream stream was never closed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    let after = close.at.saturating_duration_since(left);
    println!(
        "upstream closed {after:?} after the client left, {} chunks sent",
        close.chunks_sent
    );
    // The mock notices at its next send (chunks are 50 ms apart).
    assert!(
        after < std::time::Duration::from_millis(500),
        "upstream closed {after:?} after the client left"
    );
    assert!(close.chunks_sent < 30, "{close:?}");
    let logs: Value = http()
        .get(format!("{}/spend/logs?api_key={key}", gw.url))
        .bearer_auth(MASTER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = &logs[0];
    assert_eq!(row["status"], "failure", "{logs}");
    let billed = row["completion_tokens"].as_u64().unwrap();
    assert!(
        (5..=close.chunks_sent as u64 + 1).contains(&billed),
        "billed {billed} for {close:?}"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn mock_shutdown_drains_an_in_flight_stream_then_flushes_its_spend() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock, "").await;
    let key = generate(&gw, json!({})).await;
    let mut r = open_stream(&gw, &key).await;
    read_chunks(&mut r, 2).await;
    let reader = tokio::spawn(async move {
        let mut rest = String::new();
        while let Some(bytes) = r.chunk().await.unwrap() {
            rest.push_str(&String::from_utf8_lossy(&bytes));
        }
        rest
    });
    let (db, _dir) = gw.shutdown().await;
    let rest = reader.await.unwrap();
    assert!(
        rest.ends_with("data: [DONE]\n\n"),
        "the stream was cut: {rest}"
    );
    let store = lmrelay_gateway::store::SqliteStore::open(&db)
        .await
        .unwrap();
    let rows = lmrelay_gateway::store::Store::spend_logs(&store, &Default::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "success");
    assert_eq!(rows[0].completion_tokens, 60);
}

#[tokio::test]
async fn mock_shutdown_cuts_streams_past_the_drain_deadline_and_still_bills_them() {
    let mock = mock_provider::start().await.unwrap();
    let options = lmrelay_gateway::ServeOptions {
        drain_timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let gw = gateway_with(&mock, "", options).await;
    let key = generate(&gw, json!({})).await;
    let mut r = open_stream(&gw, &key).await;
    read_chunks(&mut r, 3).await;
    let started = std::time::Instant::now();
    let (db, _dir) = gw.shutdown().await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let store = lmrelay_gateway::store::SqliteStore::open(&db)
        .await
        .unwrap();
    let rows = lmrelay_gateway::store::Store::spend_logs(&store, &Default::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the cut stream still has its spend row");
    assert_eq!(rows[0].status, "failure");
    assert!(
        rows[0].completion_tokens >= 2 && rows[0].completion_tokens < 60,
        "{rows:?}"
    );
}
