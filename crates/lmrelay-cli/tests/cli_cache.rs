//! The response cache shared by separate `lmrelay chat` processes, against
//! the in-repo mock provider: on disk, and in a real redis-server (Debian's
//! package, started here) with the `services` feature.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;

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

/// One `lmrelay chat --cache STORE --usage` process: (reply, usage line).
fn chat(store: &str, base: &str) -> (String, String) {
    let output = Command::cargo_bin("lmrelay")
        .unwrap()
        .env_remove("LMRELAY_MODEL")
        .args(["chat", "-m", "llamafile/mock-model", "--api-base", base])
        .args(["--cache", store, "--usage", "Say hello"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn assert_second_process_hits(store: &str, m: &Mock, spec: &str) {
    let base = m.handle.fault_url(spec);
    let (first_reply, first_usage) = chat(store, &base);
    let (second_reply, second_usage) = chat(store, &base);
    assert!(!first_usage.contains("cache hit"), "{first_usage}");
    assert!(second_usage.contains("cache hit"), "{second_usage}");
    assert!(second_usage.contains("cost $0"), "{second_usage}");
    assert_eq!(first_reply, second_reply);
    assert_eq!(
        m.handle.attempts(spec),
        1,
        "the second process never called upstream"
    );
}

#[test]
fn mock_disk_cache_is_shared_by_two_processes_and_survives_restarts() {
    let m = mock();
    let dir = tempfile::tempdir().unwrap();
    assert_second_process_hits(&format!("disk:{}", dir.path().display()), &m, "label=disk");
}

#[test]
fn bad_cache_store_is_a_usage_error_naming_the_forms() {
    Command::cargo_bin("lmrelay")
        .unwrap()
        .args(["chat", "-m", "llamafile/x", "--cache", "s3:bucket", "hi"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("use disk:DIR or redis:URL"));
}

#[cfg(feature = "services")]
mod redis {
    use std::process::{Child, Command as Process, Stdio};
    use std::time::{Duration, Instant};

    struct RedisServer {
        child: Child,
        port: u16,
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn start_redis() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Process::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is needed (apt-get install redis-server; scripts/test.sh does)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer { child, port }
    }

    #[test]
    fn mock_redis_cache_is_shared_by_two_processes() {
        let server = start_redis();
        let m = super::mock();
        let store = format!("redis:redis://127.0.0.1:{}/0", server.port);
        super::assert_second_process_hits(&store, &m, "label=redis");
    }

    #[test]
    fn unreachable_redis_is_a_connection_error_without_the_password() {
        let output = super::Command::cargo_bin("lmrelay")
            .unwrap()
            .args([
                "chat",
                "-m",
                "llamafile/x",
                "--cache",
                "redis:redis://:hunter2@127.0.0.1:1/0",
                "hi",
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(23));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("redis"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}
