//! The mock-provider binary: prints its address, serves the plain and fault
//! routes, and reports attempts per spec over HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn post(addr: &str, path: &str, body: &str) -> String {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn binary_serves_plain_and_fault_routes_and_counts_attempts() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-provider"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_owned();

    let health = http(
        &addr,
        &format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    let body = r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#;
    let ok = post(&addr, "/v1/chat/completions", body);
    assert!(ok.contains("Hello from the mock provider."), "{ok}");

    let limited = post(
        &addr,
        "/fault/status=429,retry_after=7/v1/chat/completions",
        body,
    );
    assert!(limited.starts_with("HTTP/1.1 429"), "{limited}");
    assert!(
        limited.to_ascii_lowercase().contains("retry-after: 7"),
        "{limited}"
    );

    let typo = post(&addr, "/fault/stauts=429/v1/chat/completions", body);
    assert!(
        typo.starts_with("HTTP/1.1 400") && typo.contains("unknown fault 'stauts'"),
        "{typo}"
    );

    let count = http(
        &addr,
        &format!(
            "GET /__mock/attempts/status=429,retry_after=7 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(count.contains(r#""attempts":1"#), "{count}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn binary_rejects_unknown_arguments() {
    let output = Command::new(env!("CARGO_BIN_EXE_mock-provider"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown argument '--bogus'"));
}
