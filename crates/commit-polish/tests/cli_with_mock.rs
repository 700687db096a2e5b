//! The commit-polish commands other than the hook, in real git repositories
//! with the mock provider as the model: polish, doctor, config, global install.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{Repo, dead_url, mock};

#[test]
fn mock_polish_json_and_dry_run_print_candidates_without_committing() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=polish"), "");
    repo.stage_change();
    let out = repo.polish(&["polish", "--json", "-n", "2", "--hint", "adds a greeting"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(
        json["candidates"][0],
        "feat(mock-reply): mock reply\n\nmock reply"
    );
    let prompt = m.handle.requests("label=polish")[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        prompt.contains("The author says: adds a greeting"),
        "{prompt}"
    );
    let out = repo.polish(&["polish", "--dry-run"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("feat(mock-reply): mock reply"));
    assert_eq!(repo.last_message(), "chore: start", "nothing committed");
}

#[test]
fn mock_polish_refuses_to_prompt_without_a_terminal_and_needs_staged_changes() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=p2"), "");
    let out = repo.polish(&["polish", "--dry-run"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing is staged"));
    repo.stage_change();
    let out = repo.polish(&["polish"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("use --dry-run or --json"));
}

#[test]
fn mock_doctor_reports_each_check_and_the_fix() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.base_url(), "");
    let out = repo.polish(&["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !out.status.success(),
        "the hook is not installed yet: {text}"
    );
    assert!(text.contains("ok   config"), "{text}");
    assert!(text.contains("ok   server health"), "{text}");
    assert!(text.contains("lists mock-model"), "{text}");
    assert!(
        text.contains("ok   tiny request  llamafile/mock answered in"),
        "{text}"
    );
    assert!(
        text.contains("FAIL hook") && text.contains("run `commit-polish install`"),
        "{text}"
    );
    repo.install();
    assert!(repo.polish(&["doctor"]).status.success());
    repo.config_for("llamafile/mock", &dead_url(), "");
    let text = String::from_utf8_lossy(&repo.polish(&["doctor"]).stdout).into_owned();
    assert!(
        text.contains("FAIL server health") && text.contains("start your llamafile"),
        "{text}"
    );
}

#[test]
fn config_commands_show_path_and_validate() {
    let repo = Repo::new();
    let out = repo.polish(&["config", "path"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        repo.config_dir().join("config.toml").display().to_string()
    );
    let out = repo.polish(&["config", "validate"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no config files"));
    repo.config("[ai]\nmodel = \"ollama/llama3\"\n");
    repo.write(".commit-polish.toml", "[hook]\ntime_budget = 5\n");
    let shown = String::from_utf8_lossy(&repo.polish(&["config", "show"]).stdout).into_owned();
    assert!(shown.contains("model = \"ollama/llama3\""), "{shown}");
    assert!(shown.contains("time_budget = 5"), "{shown}");
    repo.write(".commit-polish.toml", "[hook]\ntime_budgett = 5\n");
    let out = repo.polish(&["config", "validate"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains(".commit-polish.toml (line 2)") && err.contains("time_budgett"),
        "{err}"
    );
}

#[test]
fn global_install_sets_and_unsets_the_hooks_path_and_runs_repo_hooks() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=global"), "");
    let out = repo.polish(&["install", "--global"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hooks_path = repo.git_ok(&["config", "--global", "core.hooksPath"]);
    assert_eq!(
        hooks_path.trim(),
        repo.config_dir().join("hooks").display().to_string()
    );
    // The repository's own hook still runs under the global hooks path.
    let local = repo.path().join(".git/hooks/prepare-commit-msg");
    std::fs::write(
        &local,
        "#!/bin/sh\ntouch \"$(git rev-parse --git-dir)/local-ran\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&local)
        .status()
        .unwrap();
    repo.stage_change();
    repo.git_ok(&["commit", "-q"]);
    assert!(repo.path().join(".git/local-ran").exists());
    assert_eq!(
        repo.last_message(),
        "feat(mock-reply): mock reply\n\nmock reply"
    );
    let out = repo.polish(&["uninstall", "--global"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("unset git's global core.hooksPath"));
    assert!(
        repo.git(&["config", "--global", "core.hooksPath"])
            .stdout
            .is_empty()
    );
}
