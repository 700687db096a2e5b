//! The official Python clients against lmrelay's gateway: `openai`
//! (chat, streaming, embeddings, completions, models, every error class),
//! `anthropic` against `/v1/messages` (plain and streamed, errors), and
//! LiteLLM's own SDK with `litellm_proxy/` models. The upstream is the
//! in-repo mock provider; the clients run from the LiteLLM oracle venv
//! (`LMRELAY_LITELLM_PYTHON`, set by scripts/test.sh).

#![cfg(feature = "clients")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::process::Command;

use serde_json::{Value, json};

const MASTER: &str = "sk-python-clients-master";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_openai_anthropic_and_litellm_clients_work_unchanged() {
    let python = std::env::var("LMRELAY_LITELLM_PYTHON").unwrap_or_else(|_| {
        panic!(
            "LMRELAY_LITELLM_PYTHON is not set: run scripts/test.sh, or set it to the python printed by \
             scripts/litellm-env.sh"
        )
    });
    let mock = mock_provider::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = format!(
        "model_list:\n\
         - model_name: chat\n  litellm_params: {{model: openai/m, api_base: '{base}', api_key: k}}\n\
         - model_name: embed\n  litellm_params: {{model: openai/e, api_base: '{base}', api_key: k}}\n",
        base = mock.base_url()
    );
    for (name, spec) in [
        ("err-400", "status=400"),
        ("err-401", "status=401"),
        ("err-403", "status=403"),
        ("err-404", "status=404,error=model_not_found"),
        ("err-422", "status=422"),
        ("err-429", "status=429,retry_after=1"),
        ("err-500", "status=500"),
        ("err-503", "status=503"),
        ("err-context", "status=400,error=context"),
    ] {
        yaml.push_str(&format!(
            "- model_name: {name}\n  litellm_params: {{model: openai/m, api_base: '{}', api_key: k}}\n",
            mock.fault_url(spec)
        ));
    }
    yaml.push_str(&format!(
        "router_settings: {{num_retries: 0}}\ngeneral_settings:\n  master_key: {MASTER}\n  database_url: 'sqlite://{}/s.db'\n",
        dir.path().display()
    ));
    let loaded = lmrelay_gateway::config::load_str(&yaml, "config.yaml").unwrap();
    let (state, _) = lmrelay_gateway::prepare(loaded.config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(lmrelay_gateway::serve_with(
        listener,
        state,
        lmrelay_gateway::ServeOptions::default(),
        std::future::pending(),
    ));
    let virtual_key: Value = reqwest::Client::new()
        .post(format!("{url}/key/generate"))
        .bearer_auth(MASTER)
        .json(&json!({"rpm_limit": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sdk_clients.py");
    let key = virtual_key["key"].as_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(script)
            .args([url.as_str(), MASTER, key.as_str()])
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the client script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // LiteLLM prints help text to stdout on errors; the results are the last line.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let results: serde_json::Map<String, Value> =
        serde_json::from_str(last).unwrap_or_else(|err| panic!("{err}: {stdout}"));
    let failed: Vec<String> = results
        .iter()
        .filter(|(_, v)| *v != "ok")
        .map(|(k, v)| format!("{k}:\n{}", v.as_str().unwrap_or_default()))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} checks failed:\n{}",
        failed.len(),
        results.len(),
        failed.join("\n")
    );
    assert!(results.len() >= 27, "only {} checks ran", results.len());
    for prefix in ["openai.", "anthropic.", "litellm."] {
        assert!(
            results.keys().any(|k| k.starts_with(prefix)),
            "no {prefix} checks"
        );
    }
}
