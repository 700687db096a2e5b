#![allow(dead_code, reason = "each differential test binary uses a part")]

//! The LiteLLM oracle (tests/differential/litellm_oracle.py), run in the venv
//! that scripts/litellm-env.sh prints (`LMRELAY_LITELLM_PYTHON`).

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A case file of tests/differential/.
pub fn cases(name: &str) -> Value {
    let path = repo_root().join("tests/differential").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Runs one oracle subcommand on `input`; its JSON answer, one item per case.
pub fn oracle(command: &str, input: &Value) -> Vec<Value> {
    let python = std::env::var("LMRELAY_LITELLM_PYTHON").unwrap_or_else(|_| {
        panic!(
            "LMRELAY_LITELLM_PYTHON is not set: run the README's test command \
             (scripts/test.sh), or set it to the python printed by scripts/litellm-env.sh"
        )
    });
    let script = repo_root().join("tests/differential/litellm_oracle.py");
    let output = run_python(
        &python,
        &[script.as_os_str(), command.as_ref()],
        input.to_string().into_bytes(),
        &format!("the LiteLLM oracle ({command})"),
    );
    assert!(
        output.status.success(),
        "the LiteLLM oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("oracle prints JSON")
}

/// How long a Python child (oracle, capture script) may run before it is
/// killed: `LMRELAY_TEST_CHILD_TIMEOUT_SECS`, 300 s by default. The scripts
/// dump every thread's stack to stderr a minute before (faulthandler), so a
/// hang names the line it hangs on.
fn child_deadline() -> Duration {
    let secs = std::env::var("LMRELAY_TEST_CHILD_TIMEOUT_SECS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(300);
    Duration::from_secs(secs)
}

/// Runs `python args...` with `input` on stdin; its output. Stdin, stdout
/// and stderr are served by threads, so no pipe can fill up and block
/// either side; past the deadline the child is killed and the test fails
/// with everything it printed on stderr.
pub fn run_python(python: &str, args: &[&OsStr], input: Vec<u8>, label: &str) -> Output {
    let deadline = child_deadline();
    let mut child = Command::new(python)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("could not run {python}: {err}"));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // A child that exits early closes its stdin: its stderr says why.
        let _ = stdin.write_all(&input);
    });
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let Some(status) = status else {
        panic!(
            "{label} did not finish within {} s and was killed \
             (LMRELAY_TEST_CHILD_TIMEOUT_SECS); its stderr:\n{}",
            deadline.as_secs(),
            String::from_utf8_lossy(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}
