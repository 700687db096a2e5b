//! `lmrelay chat` against the in-repo mock provider: output modes, prompt
//! sources, one stderr line and a distinct exit code per error kind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;
use predicates::prelude::*;

struct Mock {
    _runtime: tokio::runtime::Runtime,
    handle: mock_provider::MockHandle,
}

fn mock() -> Mock {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let handle = runtime.block_on(mock_provider::start()).unwrap();
    Mock {
        _runtime: runtime,
        handle,
    }
}

fn lmrelay() -> Command {
    let mut cmd = Command::cargo_bin("lmrelay").unwrap();
    cmd.env_remove("LMRELAY_MODEL")
        .env_remove("LMRELAY_API_KEY");
    cmd
}

#[test]
fn mock_chat_prints_the_reply() {
    let m = mock();
    lmrelay()
        .args([
            "chat",
            "-m",
            "llamafile/x",
            "--api-base",
            &m.handle.base_url(),
            "Hi",
        ])
        .assert()
        .success()
        .stdout("Hello from the mock provider.\n")
        .stderr("");
}

#[test]
fn mock_chat_reads_the_prompt_from_stdin_and_sends_system_and_options() {
    let m = mock();
    let spec = "reply=ok";
    lmrelay()
        .args([
            "chat",
            "-m",
            "llamafile/x",
            "--system",
            "Be brief",
            "--temperature",
            "0.5",
        ])
        .args([
            "--max-tokens",
            "12",
            "--api-base",
            &m.handle.fault_url(spec),
        ])
        .write_stdin("from stdin\n")
        .assert()
        .success()
        .stdout("ok\n");
    let body = &m.handle.requests(spec)[0].body;
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][0]["content"], "Be brief");
    assert_eq!(body["messages"][1]["content"], "from stdin\n");
    assert_eq!(body["temperature"], 0.5);
    assert_eq!(body["max_tokens"], 12);
}

#[test]
fn mock_chat_stream_prints_the_same_text() {
    let m = mock();
    lmrelay()
        .args([
            "chat",
            "-m",
            "llamafile/x",
            "--stream",
            "--api-base",
            &m.handle.base_url(),
            "Hi",
        ])
        .assert()
        .success()
        .stdout("Hello from the mock provider.\n");
}

#[test]
fn mock_chat_json_prints_the_whole_response() {
    let m = mock();
    let out = lmrelay()
        .args([
            "chat",
            "-m",
            "llamafile/x",
            "--json",
            "--api-base",
            &m.handle.base_url(),
            "Hi",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["object"], "chat.completion");
    assert_eq!(
        json["choices"][0]["message"]["content"],
        "Hello from the mock provider."
    );
    assert_eq!(json["usage"]["total_tokens"], 14);
}

#[test]
fn mock_chat_stream_json_prints_one_chunk_per_line() {
    let m = mock();
    let out = lmrelay()
        .args(["chat", "-m", "llamafile/x", "--json", "--stream"])
        .args(["--api-base", &m.handle.base_url(), "Hi"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 7, "{}", lines.len());
    assert!(lines.iter().all(|l| l["object"] == "chat.completion.chunk"));
    assert_eq!(lines.last().unwrap()["usage"]["completion_tokens"], 5);
}

#[test]
fn mock_chat_errors_have_one_line_and_a_code_per_kind() {
    let m = mock();
    let cases = [
        ("status=400", "BadRequest", 10),
        (
            "status=400,error=llamacpp_context",
            "ContextWindowExceeded",
            11,
        ),
        (
            "status=400,error=content_policy",
            "ContentPolicyViolation",
            12,
        ),
        ("status=401", "Authentication", 14),
        ("status=403", "PermissionDenied", 15),
        ("status=404", "NotFound", 16),
        ("status=408", "Timeout", 17),
        ("status=422", "UnprocessableEntity", 18),
        ("status=429", "RateLimit", 19),
        ("status=500", "InternalServer", 20),
        ("status=502", "BadGateway", 21),
        ("status=503", "ServiceUnavailable", 22),
        ("status=409", "APIError", 24),
    ];
    for (spec, kind, code) in cases {
        let assert = lmrelay()
            .args(["chat", "-m", "llamafile/x", "--num-retries", "0"])
            .args(["--api-base", &m.handle.fault_url(spec), "Hi"])
            .assert()
            .code(code)
            .stdout("");
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.starts_with(&format!("error: {kind}: ")),
            "{spec}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{spec}: {stderr}");
    }
}

#[test]
fn mock_chat_unsupported_params_and_connection_errors() {
    lmrelay()
        .args(["chat", "-m", "nosuch/x", "Hi"])
        .assert()
        .code(10)
        .stderr(predicate::str::contains("unknown provider 'nosuch'"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    lmrelay()
        .args([
            "chat",
            "-m",
            "llamafile/x",
            "--num-retries",
            "0",
            "--api-base",
            &base,
            "Hi",
        ])
        .assert()
        .code(23)
        .stderr(predicate::str::starts_with(
            "error: APIConnection: could not connect to",
        ))
        .stderr(predicate::str::contains("Is the llamafile server running"));
}

#[test]
fn mock_chat_timeout_has_its_own_code() {
    let m = mock();
    lmrelay()
        .args([
            "chat",
            "-m",
            "llamafile/x",
            "--num-retries",
            "0",
            "--timeout",
            "0.3",
        ])
        .args([
            "--api-base",
            &m.handle.fault_url("first_byte_ms=3000"),
            "Hi",
        ])
        .assert()
        .code(17)
        .stderr(predicate::str::starts_with("error: Timeout: "));
}

#[test]
fn mock_chat_mid_stream_error_keeps_the_text_and_fails() {
    let m = mock();
    lmrelay()
        .args(["chat", "-m", "llamafile/x", "--stream"])
        .args(["--api-base", &m.handle.fault_url("midstream_error=2"), "Hi"])
        .assert()
        .code(20)
        .stdout("Hello from \n")
        .stderr(predicate::str::contains("middle of the stream"));
}

#[test]
fn bad_usage_is_explained() {
    lmrelay()
        .args(["chat", "-m", "llamafile/x", ""])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the prompt is empty"));
    lmrelay()
        .args(["chat", "-m", "llamafile/x", "--timeout", "-1", "Hi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--timeout"));
    lmrelay()
        .args(["chat", "-m", "llamafile/x", "--temperature", "9", "Hi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("out of range"));
    lmrelay()
        .args(["chat", "Hi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--model"));
}

#[test]
fn version_and_help() {
    lmrelay()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("lmrelay {}\n", env!("CARGO_PKG_VERSION")));
    lmrelay()
        .args(["chat", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--api-base <URL>"))
        .stdout(predicate::str::contains("Examples:"));
}

#[test]
fn mock_response_flag_answers_without_a_server() {
    lmrelay()
        .args([
            "chat",
            "-m",
            "openai/gpt-4o-mini",
            "--mock-response",
            "canned",
            "Hi",
        ])
        .env_remove("OPENAI_API_KEY")
        .assert()
        .success()
        .stdout("canned\n");
    lmrelay()
        .args(["chat", "-m", "openai/gpt-4o-mini", "--num-retries", "0"])
        .args(["--mock-response", "litellm.RateLimitError", "Hi"])
        .assert()
        .code(19)
        .stderr(predicate::str::starts_with(
            "error: RateLimit: this is a mock RateLimitError",
        ));
}

/// Starts `lmrelay serve` and returns the child and its base URL.
fn serve(args: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lmrelay"))
        .arg("serve")
        .args(args)
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (child, url)
}

#[test]
fn mock_serve_then_chat_through_the_gateway() {
    let m = mock();
    let (mut child, url) = serve(&[
        "--model",
        "llamafile/mock-model",
        "--api-base",
        &m.handle.base_url(),
    ]);
    for stream in [false, true] {
        let mut cmd = lmrelay();
        cmd.args([
            "chat",
            "-m",
            "openai/llamafile/mock-model",
            "--api-key",
            "none",
        ])
        .args(["--api-base", &format!("{url}/v1"), "Hi"]);
        if stream {
            cmd.arg("--stream");
        }
        cmd.assert()
            .success()
            .stdout("Hello from the mock provider.\n");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_refuses_a_public_address_without_insecure() {
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
        .stderr(predicate::str::contains("refusing to listen on 0.0.0.0"));
    lmrelay()
        .args(["serve", "--model", "nosuch/x", "--port", "0"])
        .assert()
        .code(10)
        .stderr(predicate::str::contains("unknown provider 'nosuch'"));
}
