//! The installed hook with a real llama.cpp server and a real model
//! (SmolLM2-135M-Instruct from scripts/local-model.sh), in real git
//! repositories, directly and through the pre-commit framework. The README's
//! test command sets LMRELAY_TEST_LOCAL_MODEL_URL (and LMRELAY_PRE_COMMIT);
//! without them these tests fail and say so.

#![cfg(feature = "e2e")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{BIN, Repo};

fn model_url() -> String {
    std::env::var("LMRELAY_TEST_LOCAL_MODEL_URL").unwrap_or_else(|_| {
        panic!("LMRELAY_TEST_LOCAL_MODEL_URL is not set: run scripts/test.sh, or `scripts/local-model.sh start`")
    })
}

fn types() -> Vec<String> {
    commit_polish::config::DEFAULT_TYPES
        .iter()
        .map(|t| (*t).to_owned())
        .collect()
}

fn repo_with_change() -> Repo {
    let repo = Repo::new();
    repo.config(&format!(
        "[ai]\nmodel = \"llamafile/smollm2\"\napi_base = \"{}\"\ntemperature = 0.0\ntimeout = 40\n\n[hook]\ntime_budget = 60\n",
        model_url()
    ));
    repo.write(
        "src/math.py",
        "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n",
    );
    repo.git_ok(&["add", "src/math.py"]);
    repo
}

#[test]
fn real_model_writes_a_valid_conventional_commit_through_git() {
    let repo = repo_with_change();
    repo.install();
    let out = repo.git(&["commit", "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = repo.last_message();
    let problems = commit_polish::message::validate(&message, &types());
    assert!(problems.is_empty(), "{message:?}: {problems:?}");
}

#[test]
fn real_model_polishes_a_draft_into_a_valid_message() {
    let repo = repo_with_change();
    repo.install();
    repo.git_ok(&["commit", "-q", "-m", "added an add function"]);
    let message = repo.last_message();
    let problems = commit_polish::message::validate(&message, &types());
    assert!(problems.is_empty(), "{message:?}: {problems:?}");
}

#[test]
fn real_model_through_the_pre_commit_framework() {
    let pre_commit = std::env::var("LMRELAY_PRE_COMMIT").unwrap_or_else(|_| {
        panic!(
            "LMRELAY_PRE_COMMIT is not set: run scripts/test.sh (it installs pre-commit from PyPI)"
        )
    });
    let repo = repo_with_change();
    repo.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: local\n    hooks:\n      - id: commit-polish\n        name: commit-polish\n        \
             entry: {BIN} hook\n        language: system\n        stages: [prepare-commit-msg]\n        \
             always_run: true\n"
        ),
    );
    repo.git_ok(&["add", ".pre-commit-config.yaml"]);
    let out = std::process::Command::new(&pre_commit)
        .args(["install", "--hook-type", "prepare-commit-msg"])
        .current_dir(repo.path())
        .env("HOME", repo.home.path())
        .env("PRE_COMMIT_HOME", repo.home.path().join("pre-commit-cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut repo = repo;
    repo.env.push((
        "PRE_COMMIT_HOME".into(),
        repo.home
            .path()
            .join("pre-commit-cache")
            .display()
            .to_string(),
    ));
    let out = repo.git(&["commit", "-q", "-m", "wip add function"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = repo.last_message();
    assert_ne!(
        message, "wip add function",
        "the draft was polished through pre-commit"
    );
    let problems = commit_polish::message::validate(&message, &types());
    assert!(problems.is_empty(), "{message:?}: {problems:?}");
}

#[test]
fn real_model_handles_a_diff_larger_than_its_context() {
    let repo = repo_with_change();
    let big: String = (0..2000)
        .map(|i| format!("ROW_{i} = {i}  # generated constant\n"))
        .collect();
    repo.write("src/constants.py", &big);
    repo.git_ok(&["add", "src/constants.py"]);
    repo.install();
    let out = repo.git(&["commit", "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = repo.last_message();
    let problems = commit_polish::message::validate(&message, &types());
    assert!(problems.is_empty(), "{message:?}: {problems:?}");
}
