//! `lmrelay chat` against a real llama.cpp server with a real model, started
//! by scripts/local-model.sh (the README's test command sets
//! LMRELAY_TEST_LOCAL_MODEL_URL; without it these tests fail and say so).

#![cfg(feature = "e2e")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;
use predicates::prelude::*;

fn base_url() -> String {
    std::env::var("LMRELAY_TEST_LOCAL_MODEL_URL").unwrap_or_else(|_| {
        panic!(
            "LMRELAY_TEST_LOCAL_MODEL_URL is not set: run scripts/test.sh, or \
             `scripts/local-model.sh start` and export the URL it prints"
        )
    })
}

fn chat() -> Command {
    let mut cmd = Command::cargo_bin("lmrelay").unwrap();
    cmd.args(["chat", "-m", "llamafile/smollm2", "--api-base", &base_url()])
        .args([
            "--temperature",
            "0",
            "--max-tokens",
            "16",
            "--timeout",
            "60",
        ])
        .args(["--system", "Answer in one short sentence."]);
    cmd
}

#[test]
fn real_model_cli_chat_prints_a_reply() {
    let out = chat()
        .arg("What is 2+2?")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with('\n'));
    assert!(!text.trim().is_empty());
}

#[test]
fn real_model_cli_stream_prints_the_same_text() {
    let plain = chat()
        .arg("Name a fruit.")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let streamed = chat()
        .args(["--stream", "Name a fruit."])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(streamed).unwrap(),
        String::from_utf8(plain).unwrap()
    );
}

#[test]
fn real_model_cli_json_and_stdin() {
    let out = chat()
        .arg("--json")
        .write_stdin("What is 1+1?")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(json["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(
        !json["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn real_model_cli_overflow_exits_with_the_context_window_code() {
    chat()
        .arg("lorem ipsum dolor sit amet ".repeat(1200))
        .assert()
        .code(11)
        .stderr(predicate::str::starts_with(
            "error: ContextWindowExceeded: ",
        ));
}

#[test]
fn real_model_through_the_gateway() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lmrelay"))
        .args([
            "serve",
            "--model",
            "llamafile/smollm2",
            "--api-base",
            &base_url(),
            "--port",
            "0",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let gateway = format!("{}/v1", line.trim().strip_prefix("listening on ").unwrap());
    let direct = chat()
        .arg("Name a fruit.")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let through = Command::cargo_bin("lmrelay")
        .unwrap()
        .args([
            "chat",
            "-m",
            "openai/llamafile/smollm2",
            "--api-base",
            &gateway,
            "--api-key",
            "none",
        ])
        .args([
            "--temperature",
            "0",
            "--max-tokens",
            "16",
            "--timeout",
            "60",
            "--stream",
        ])
        .args(["--system", "Answer in one short sentence.", "Name a fruit."])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        String::from_utf8(through).unwrap(),
        String::from_utf8(direct).unwrap()
    );
}

#[test]
fn real_model_through_a_litellm_config_with_keys_and_spend_logs() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "model_list:\n  - model_name: local\n    litellm_params:\n      model: llamafile/smollm2\n      \
             api_base: {}\n      timeout: 60\n\
             general_settings:\n  master_key: sk-e2e-master\n  database_url: 'sqlite://{}/state.db'\n",
            base_url(),
            dir.path().display()
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lmrelay"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let gateway = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (reply, rows) = runtime.block_on(async {
        let http = reqwest::Client::new();
        let key: serde_json::Value = http
            .post(format!("{gateway}/key/generate"))
            .bearer_auth("sk-e2e-master")
            .json(&serde_json::json!({"models": ["local"], "max_budget": 1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let key = key["key"].as_str().unwrap().to_owned();
        let reply: serde_json::Value = http
            .post(format!("{gateway}/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&serde_json::json!({
                "model": "local", "temperature": 0, "max_tokens": 16,
                "messages": [{"role": "user", "content": "Name a fruit."}],
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rows: serde_json::Value = http
            .get(format!("{gateway}/spend/logs?api_key={key}"))
            .bearer_auth("sk-e2e-master")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (reply, rows)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let text = reply["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(!text.trim().is_empty(), "{reply}");
    let row = &rows[0];
    assert_eq!(row["status"], "success", "{rows}");
    assert_eq!(row["model_group"], "local");
    assert_eq!(
        row["prompt_tokens"], reply["usage"]["prompt_tokens"],
        "{rows}"
    );
    assert!(row["completion_tokens"].as_u64().unwrap() > 0, "{rows}");
    assert_eq!(row["spend"], 0.0, "a local model costs nothing: {rows}");
}
