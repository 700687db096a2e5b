//! `lmrelay cost`, `lmrelay tokens` and `lmrelay models`: exact costs from the
//! embedded table, LiteLLM's token counts, model information, and installing
//! a user model file. No network.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

/// A fresh directory under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "lmrelay-cli-models-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary, with no model from the environment and a user model file
/// that does not exist (so the user's own file cannot change the answers).
fn lmrelay() -> Command {
    let mut cmd = Command::cargo_bin("lmrelay").unwrap();
    let absent = std::env::temp_dir()
        .join("lmrelay-cli-models-no-such-dir")
        .join("model_prices.json");
    cmd.env_remove("LMRELAY_MODEL")
        .env_remove("LMRELAY_API_KEY")
        .env("LMRELAY_MODEL_PRICES", absent);
    cmd
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

fn json_of(assert: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).unwrap()
}

/// The `field: value` lines of `models info`.
fn fields(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_owned(), value.trim().to_owned())
        })
        .collect()
}

// ---- cost ----

#[test]
fn cost_of_gpt_4o_is_exact() {
    lmrelay()
        .args(["cost", "-m", "gpt-4o", "--prompt-tokens", "1000"])
        .args(["--completion-tokens", "500"])
        .assert()
        .success()
        .stdout("prompt: $0.0025\ncompletion: $0.005\ntotal: $0.0075\n")
        .stderr("");
}

#[test]
fn cost_json_has_exact_strings() {
    let assert = lmrelay()
        .args(["cost", "-m", "gpt-4o", "--prompt-tokens", "1000"])
        .args(["--completion-tokens", "500", "--json"])
        .assert()
        .success();
    let json = json_of(&assert);
    assert_eq!(json["model"], "gpt-4o");
    assert_eq!(json["prompt_cost"], "0.0025");
    assert_eq!(json["completion_cost"], "0.005");
    assert_eq!(json["total_cost"], "0.0075");
}

#[test]
fn cached_tokens_lower_the_prompt_cost() {
    // 600 tokens at $2.5/M plus 400 cached at $1.25/M.
    lmrelay()
        .args(["cost", "-m", "gpt-4o", "--prompt-tokens", "1000"])
        .args(["--cached-tokens", "400", "--completion-tokens", "500"])
        .assert()
        .success()
        .stdout("prompt: $0.002\ncompletion: $0.005\ntotal: $0.007\n");
}

#[test]
fn cost_of_a_local_model_is_zero() {
    lmrelay()
        .args(["cost", "-m", "llamafile/gemma-3-3b"])
        .args(["--prompt-tokens", "1000", "--completion-tokens", "500"])
        .assert()
        .success()
        .stdout("prompt: $0\ncompletion: $0\ntotal: $0\n");
}

#[test]
fn cost_of_an_unknown_model_is_not_found() {
    let assert = lmrelay()
        .args(["cost", "-m", "no-such-model-xyz", "--prompt-tokens", "10"])
        .args(["--completion-tokens", "10"])
        .assert()
        .code(16)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(stderr.starts_with("error: NotFound: "), "{stderr}");
    assert!(stderr.contains("no-such-model-xyz"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn cost_refuses_more_cached_than_prompt_tokens() {
    lmrelay()
        .args(["cost", "-m", "gpt-4o", "--prompt-tokens", "100"])
        .args(["--cached-tokens", "400", "--completion-tokens", "5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--cached-tokens 400"));
    lmrelay()
        .args(["cost", "-m", "gpt-4o", "--prompt-tokens", "100"])
        .args(["--completion-tokens", "5", "--reasoning-tokens", "6"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--reasoning-tokens 6"));
}

// ---- tokens ----

#[test]
fn tokens_of_a_text_argument() {
    lmrelay()
        .args(["tokens", "-m", "gpt-4o", "hello"])
        .assert()
        .success()
        .stdout("1\n")
        .stderr("");
}

#[test]
fn tokens_of_standard_input() {
    lmrelay()
        .args(["tokens", "-m", "gpt-4o"])
        .write_stdin("hello")
        .assert()
        .success()
        .stdout("1\n");
}

#[test]
fn tokens_json_names_the_encoding() {
    let assert = lmrelay()
        .args(["tokens", "-m", "gpt-4o", "--json", "hello"])
        .assert()
        .success();
    let json = json_of(&assert);
    assert_eq!(json["model"], "gpt-4o");
    assert_eq!(json["tokens"], 1);
    assert_eq!(json["encoding"], "o200k_base");
    let assert = lmrelay()
        .args(["tokens", "-m", "gpt-3.5-turbo", "--json", "hello"])
        .assert()
        .success();
    assert_eq!(json_of(&assert)["encoding"], "cl100k_base");
}

#[test]
fn tokens_of_messages_include_the_overhead() {
    let messages = r#"[{"role":"user","content":"hello"}]"#;
    lmrelay()
        .args(["tokens", "-m", "gpt-4o", "--messages", messages])
        .assert()
        .success()
        .stdout("8\n");
    lmrelay()
        .args(["tokens", "-m", "gpt-4o", "--messages"])
        .write_stdin(messages)
        .assert()
        .success()
        .stdout("8\n");
    let body = r#"{"messages": [{"role":"user","content":"hello"}], "tools": [{"type": "function",
        "function": {"name": "get_weather", "description": "Get the weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
        "required": ["city"]}}}]}"#;
    let assert = lmrelay()
        .args(["tokens", "-m", "gpt-4o", "--messages", body])
        .assert()
        .success();
    let count: u64 = stdout_of(&assert).trim().parse().unwrap();
    assert!(count > 8, "{count}");
}

#[test]
fn tokens_of_bad_messages_are_a_usage_error() {
    let assert = lmrelay()
        .args(["tokens", "-m", "gpt-4o", "--messages", "not json"])
        .assert()
        .code(2)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(stderr.starts_with("error: --messages: "), "{stderr}");
    assert!(stderr.contains("not valid JSON"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    lmrelay()
        .args(["tokens", "-m", "gpt-4o", "--messages", r#"{"a": 1}"#])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"messages\" array"));
}

// ---- models info ----

#[test]
fn models_info_json_of_gpt_4o() {
    let assert = lmrelay()
        .args(["models", "info", "gpt-4o", "--json"])
        .assert()
        .success();
    let json = json_of(&assert);
    assert_eq!(json["key"], "gpt-4o");
    assert_eq!(json["litellm_provider"], "openai");
    assert_eq!(json["max_input_tokens"], 128_000);
    assert_eq!(json["input_cost_per_token"], "0.0000025");
    assert_eq!(json["supports_vision"], true);
    assert_eq!(json["known"], true);
}

#[test]
fn models_info_text_is_aligned() {
    let assert = lmrelay()
        .args(["models", "info", "openai/gpt-4o"])
        .assert()
        .success();
    let text = stdout_of(&assert);
    let info = fields(&text);
    assert_eq!(info["key"], "gpt-4o");
    assert_eq!(info["provider"], "openai");
    assert_eq!(info["mode"], "chat");
    assert_eq!(info["max_input_tokens"], "128000");
    assert_eq!(info["max_output_tokens"], "16384");
    assert_eq!(info["input_cost_per_token"], "0.0000025");
    assert_eq!(info["output_cost_per_token"], "0.00001");
    assert_eq!(info["supports_vision"], "true");
    let columns: Vec<usize> = text
        .lines()
        .map(|line| {
            let (_, value) = line.split_once(':').unwrap();
            line.len() - value.trim_start().len()
        })
        .collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
}

#[test]
fn models_info_of_an_unknown_local_model_has_unknown_capabilities() {
    let assert = lmrelay()
        .args(["models", "info", "llamafile/anything"])
        .assert()
        .success();
    let info = fields(&stdout_of(&assert));
    assert_eq!(info["key"], "anything");
    assert_eq!(info["provider"], "llamafile");
    assert_eq!(info["max_input_tokens"], "unknown");
    assert_eq!(info["max_output_tokens"], "unknown");
    assert_eq!(info["supports_vision"], "unknown");
    assert_eq!(info["supports_function_calling"], "unknown");
    assert_eq!(info["input_cost_per_token"], "0");
    let assert = lmrelay()
        .args(["models", "info", "llamafile/anything", "--json"])
        .assert()
        .success();
    let json = json_of(&assert);
    assert_eq!(json["known"], false);
    assert_eq!(json["supports_vision"], Value::Null);
}

#[test]
fn models_info_of_an_unknown_model_is_not_found() {
    lmrelay()
        .args(["models", "info", "no-such-model-xyz"])
        .assert()
        .code(16)
        .stdout("")
        .stderr(predicate::str::starts_with("error: NotFound: "))
        .stderr(predicate::str::contains("no-such-model-xyz"));
}

// ---- models list ----

#[test]
fn models_list_filters_by_provider() {
    let assert = lmrelay()
        .args(["models", "list", "--provider", "anthropic"])
        .assert()
        .success();
    let text = stdout_of(&assert);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"claude-sonnet-4-5"), "{text}");
    assert!(!lines.contains(&"gpt-4o"), "{text}");
    let assert = lmrelay()
        .args(["models", "list", "--provider", "anthropic", "--json"])
        .assert()
        .success();
    let items = json_of(&assert);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), lines.len());
    assert!(items.iter().all(|item| item["provider"] == "anthropic"));
    let models: Vec<&Value> = items.iter().map(|item| &item["model"]).collect();
    assert!(models.contains(&&Value::from("claude-sonnet-4-5")));
}

#[test]
fn models_list_includes_provider_families() {
    let assert = lmrelay()
        .args(["models", "list", "--provider", "vertex_ai", "--json"])
        .assert()
        .success();
    let items = json_of(&assert);
    let providers: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["provider"].as_str().unwrap())
        .collect();
    assert!(providers.iter().all(|p| p.starts_with("vertex_ai")));
    assert!(providers.contains(&"vertex_ai-language-models"));
}

#[test]
fn models_list_without_a_filter_lists_the_whole_table() {
    let assert = lmrelay().args(["models", "list"]).assert().success();
    let text = stdout_of(&assert);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 2000, "{}", lines.len());
    assert!(lines.contains(&"gpt-4o"));
    assert!(!lines.contains(&"sample_spec"));
}

#[test]
fn models_list_of_an_unknown_provider_is_not_found() {
    lmrelay()
        .args(["models", "list", "--provider", "no-such-provider"])
        .assert()
        .code(16)
        .stderr(predicate::str::contains("no-such-provider"));
}

// ---- models update ----

#[test]
fn models_update_refuses_a_bad_file() {
    let dir = TempDir::new("bad");
    let source = dir.path().join("bad.json");
    std::fs::write(
        &source,
        r#"{"my-local-model": {"litellm_provider": "openai", "input_cost_per_token": "cheap"}}"#,
    )
    .unwrap();
    let destination = dir.path().join("installed").join("model_prices.json");
    let assert = lmrelay()
        .env("LMRELAY_MODEL_PRICES", &destination)
        .args(["models", "update", "--from"])
        .arg(&source)
        .assert()
        .failure()
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("my-local-model.input_cost_per_token"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!destination.exists());
}

#[test]
fn models_update_installs_a_good_file_that_later_commands_use() {
    let dir = TempDir::new("good");
    let source = dir.path().join("prices.json");
    std::fs::write(
        &source,
        r#"{"my-local-model": {"litellm_provider": "openai", "mode": "chat",
            "max_input_tokens": 4096, "input_cost_per_token": 1e-06,
            "output_cost_per_token": 2e-06, "supports_vision": false}}"#,
    )
    .unwrap();
    let destination = dir.path().join("config").join("model_prices.json");
    lmrelay()
        .env("LMRELAY_MODEL_PRICES", &destination)
        .args(["models", "update", "--from"])
        .arg(&source)
        .assert()
        .success()
        .stdout(format!(
            "installed 1 model into {}\n",
            destination.display()
        ))
        .stderr("");
    assert!(destination.exists());

    let assert = lmrelay()
        .env("LMRELAY_MODEL_PRICES", &destination)
        .args(["models", "info", "my-local-model"])
        .assert()
        .success();
    let info = fields(&stdout_of(&assert));
    assert_eq!(info["key"], "my-local-model");
    assert_eq!(info["provider"], "openai");
    assert_eq!(info["max_input_tokens"], "4096");
    assert_eq!(info["input_cost_per_token"], "0.000001");
    assert_eq!(info["supports_vision"], "false");
    assert_eq!(info["supports_reasoning"], "unknown");

    lmrelay()
        .env("LMRELAY_MODEL_PRICES", &destination)
        .args(["cost", "-m", "my-local-model", "--prompt-tokens", "1000"])
        .args(["--completion-tokens", "1000"])
        .assert()
        .success()
        .stdout("prompt: $0.001\ncompletion: $0.002\ntotal: $0.003\n");
}

#[test]
fn models_update_without_a_home_names_the_variable() {
    let dir = TempDir::new("nohome");
    let source = dir.path().join("prices.json");
    std::fs::write(
        &source,
        r#"{"my-local-model": {"litellm_provider": "openai"}}"#,
    )
    .unwrap();
    lmrelay()
        .env_remove("LMRELAY_MODEL_PRICES")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("HOME")
        .args(["models", "update", "--from"])
        .arg(&source)
        .assert()
        .failure()
        .stdout("")
        .stderr(predicate::str::contains("LMRELAY_MODEL_PRICES"));
}

#[test]
fn help_lists_the_new_commands() {
    lmrelay()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("cost"))
        .stdout(predicate::str::contains("tokens"))
        .stdout(predicate::str::contains("models"));
    lmrelay()
        .args(["models", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("list"))
        .stdout(predicate::str::contains("update"));
}
