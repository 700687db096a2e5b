#![allow(dead_code, reason = "each differential test binary uses a part")]

//! The LiteLLM oracle (tests/differential/litellm_oracle.py), run in the venv
//! that scripts/litellm-env.sh prints (`LMRELAY_LITELLM_PYTHON`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

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
    let mut child = Command::new(&python)
        .arg(repo_root().join("tests/differential/litellm_oracle.py"))
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("could not run {python}: {err}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the LiteLLM oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("oracle prints JSON")
}
