//! `lmrelay serve`: `--config` with `--check`, the refusal to listen on a
//! public address without a master key, and a clean exit on SIGTERM. The
//! upstream, where one is needed, is the in-repo mock provider.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::BufRead;

use assert_cmd::Command;
use predicates::prelude::*;

fn lmrelay() -> Command {
    let mut cmd = Command::cargo_bin("lmrelay").unwrap();
    cmd.env_remove("LITELLM_MASTER_KEY")
        .env_remove("DATABASE_URL");
    cmd
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn check_validates_a_litellm_config_and_names_ignored_keys() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        "config.yaml",
        "model_list:\n  - model_name: gpt\n    litellm_params: {model: openai/gpt-4o, api_key: sk-x}\n  \
         - model_name: gpt\n    litellm_params: {model: openai/gpt-4o-mini, api_key: sk-y}\n\
         general_settings:\n  master_key: sk-1234\n  alerting: [slack]\n",
    );
    lmrelay()
        .args(["serve", "--config", &config, "--check"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "config OK: 2 deployments in 1 model groups; master key set",
        ))
        .stderr(predicate::str::contains(
            "general_settings.alerting: is not implemented by lmrelay; ignored",
        ));
}

#[test]
fn check_fails_on_a_wrong_value_with_its_path_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        "config.yaml",
        "model_list:\n  - model_name: gpt\n    litellm_params: {model: openai/gpt-4o, rpm: many}\n",
    );
    lmrelay()
        .args(["serve", "--config", &config, "--check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "model_list[0].litellm_params.rpm: is \"many\", not a whole number; fix: write a number such as 100",
        ));
    lmrelay()
        .args(["serve", "--config", "/nonexistent/config.yaml", "--check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot read the file"));
}

#[test]
fn a_public_address_needs_a_master_key_or_insecure() {
    lmrelay()
        .args([
            "serve",
            "--model",
            "llamafile/x",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "refusing to listen on 0.0.0.0:0 without a master key",
        ));
    lmrelay()
        .args(["serve"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to serve: pass --config"));
}

#[test]
fn mock_serve_with_a_master_key_listens_publicly_and_exits_cleanly_on_sigterm() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(mock_provider::start()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        "config.yaml",
        &format!(
            "model_list:\n  - model_name: g\n    litellm_params: {{model: openai/m, api_base: '{}', api_key: k}}\n\
             general_settings:\n  master_key: sk-cli-master\n  database_url: 'sqlite://{}/state.db'\n",
            mock.base_url(),
            dir.path().display()
        ),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lmrelay"))
        .args([
            "serve",
            "--config",
            &config,
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            // LiteLLM's spelling; two threads (the multi-threaded runtime).
            "--num_workers",
            "2",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().rsplit(':').next().unwrap().to_owned();
    let url = format!("http://127.0.0.1:{port}");
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{url}/v1/chat/completions"))
            .bearer_auth("sk-cli-master")
            .json(
                &serde_json::json!({"model": "g", "messages": [{"role": "user", "content": "Hi"}]}),
            )
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(dir.path().join("state.db").exists());
}

#[test]
fn bad_timings_and_worker_counts_are_refused_before_listening() {
    for (flag, says) in [
        (
            "--drain-timeout=-1",
            "--drain-timeout -1 is not a number of seconds of zero or more",
        ),
        ("--num-workers=0", "--num-workers"),
    ] {
        lmrelay()
            .args(["serve", "--model", "llamafile/x", "--port", "0", flag])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(says));
    }
}
