//! The installed hook in real git repositories, with the in-repo mock
//! provider as the model: every commit source, and every failure leaving the
//! user's message as it was without blocking the commit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::time::{Duration, Instant};

use common::{MOCK_MESSAGE, Repo, dead_url, mock};

#[test]
fn mock_plain_commit_gets_a_generated_message() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=json"), "");
    repo.install();
    repo.stage_change();
    repo.git_ok(&["commit", "-q"]);
    assert_eq!(repo.last_message(), MOCK_MESSAGE);
    let sent = &m.handle.requests("label=json")[0].body;
    assert_eq!(sent["response_format"]["type"], "json_schema");
    let prompt = sent["messages"][1]["content"].as_str().unwrap();
    assert!(prompt.contains("src/greet.rs (+3 -0)"), "{prompt}");
    assert!(prompt.contains("+pub fn greet()"), "{prompt}");
}

#[test]
fn mock_draft_is_polished_and_kept_for_recovery() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=json"), "");
    repo.install();
    repo.stage_change();
    repo.git_ok(&["commit", "-q", "-m", "added greet fn"]);
    assert_eq!(repo.last_message(), MOCK_MESSAGE);
    let prompt = m.handle.requests("label=json")[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        prompt.contains("added greet fn"),
        "the draft is in the prompt"
    );
    let saved = std::fs::read_to_string(repo.path().join(".git/commit-polish/ORIG_MSG")).unwrap();
    assert_eq!(saved, "added greet fn\n");
}

#[test]
fn mock_drafts_left_alone_when_configured() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for(
        "llamafile/mock",
        &m.handle.fault_url("label=json"),
        "polish_drafts = false\n",
    );
    repo.install();
    repo.stage_change();
    repo.git_ok(&["commit", "-q", "-m", "my own words"]);
    assert_eq!(repo.last_message(), "my own words");
    assert_eq!(m.handle.attempts("label=json"), 0);
}

/// Every failure: the commit succeeds with the user's draft, byte for byte.
#[test]
fn mock_failures_never_block_and_keep_the_draft() {
    let m = mock();
    let cases = [
        ("server down", dead_url()),
        ("500", m.handle.fault_url("status=500")),
        ("malformed", m.handle.fault_url("malformed")),
        (
            "garbage reply",
            m.handle.fault_url("reply=this_is_not_a_commit_message"),
        ),
        (
            "endless output",
            m.handle
                .fault_url(&format!("reply={}", "blah_".repeat(400))),
        ),
        ("error in a 200", m.handle.fault_url("error_200")),
    ];
    for (name, url) in cases {
        let repo = Repo::new();
        repo.config_for("llamafile/mock", &url, "[validation]\nmax_retries = 1\n");
        repo.install();
        repo.stage_change();
        let draft = format!("draft for {name}\n\n  keeps   its spacing");
        let out = repo.git(&["commit", "-q", "-m", &draft]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(repo.last_message(), draft, "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("commit-polish:") && stderr.contains("left as it was"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn mock_slow_model_is_cut_off_by_the_time_budget() {
    let m = mock();
    let repo = Repo::new();
    repo.config(&format!(
        "[ai]\nmodel = \"llamafile/mock\"\napi_base = \"{}\"\ntimeout = 30\n\n[hook]\ntime_budget = 1.5\n",
        m.handle.fault_url("first_byte_ms=20000")
    ));
    repo.install();
    repo.stage_change();
    let started = Instant::now();
    repo.git_ok(&["commit", "-q", "-m", "slow path draft"]);
    let elapsed = started.elapsed();
    assert_eq!(repo.last_message(), "slow path draft");
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[test]
fn mock_failure_in_an_editor_commit_adds_a_comment_git_strips() {
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &dead_url(), "");
    repo.install();
    repo.stage_change();
    // The "editor" keeps a copy of what the hook left, then writes a message.
    let seen = repo.path().join("seen.txt");
    let editor = repo.home.path().join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\ncp \"$1\" '{}'\nprintf 'feat: typed by hand\\n' > \"$1\"\n",
            seen.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .unwrap();
    let mut repo = repo;
    repo.env
        .push(("GIT_EDITOR".into(), editor.display().to_string()));
    let out = repo.git(&["commit", "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(repo.last_message(), "feat: typed by hand");
    let seen = std::fs::read_to_string(seen).unwrap();
    let note = seen
        .lines()
        .find(|l| l.starts_with("# commit-polish:"))
        .expect("a comment line");
    assert!(note.contains("left as it was"), "{note}");
    assert!(
        seen.contains("# Please enter the commit message"),
        "git's block kept: {seen}"
    );
}

#[test]
fn mock_existing_hook_is_chained_and_restored() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=json"), "");
    let hook = repo.path().join(".git/hooks/prepare-commit-msg");
    let original = "#!/bin/sh\ntouch \"$(dirname \"$0\")/../chained-ran\"\n";
    std::fs::write(&hook, original).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .unwrap();
    repo.install();
    repo.stage_change();
    repo.git_ok(&["commit", "-q"]);
    assert!(
        repo.path().join(".git/chained-ran").exists(),
        "the old hook ran"
    );
    assert_eq!(repo.last_message(), MOCK_MESSAGE, "and ours too");
    let out = repo.polish(&["uninstall"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("restored your hook"));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
}

#[test]
fn mock_install_respects_core_hooks_path() {
    let repo = Repo::new();
    repo.git_ok(&["config", "core.hooksPath", ".githooks"]);
    repo.install();
    let hook = std::fs::read_to_string(repo.path().join(".githooks/prepare-commit-msg")).unwrap();
    assert!(hook.contains("commit-polish prepare-commit-msg hook"));
    assert!(!repo.path().join(".git/hooks/prepare-commit-msg").exists());
}

#[test]
fn mock_secrets_never_reach_a_cloud_model_but_stay_local_for_a_local_one() {
    let m = mock();
    let canary = "AKIAQWERTYUIOPASDFGH";
    for (model, spec, expect_canary) in [
        ("openai/gpt-4o-mini", "label=cloud", false),
        ("llamafile/mock", "label=local", true),
    ] {
        let mut repo = Repo::new();
        repo.env.push(("OPENAI_API_KEY".into(), "sk-test".into()));
        repo.config_for(model, &m.handle.fault_url(spec), "");
        repo.install();
        repo.write("deploy.sh", &format!("export AWS_ACCESS_KEY_ID={canary}\n"));
        repo.write(".env", "DB_PASSWORD=hunter2hunter2\n");
        repo.git_ok(&["add", "deploy.sh", ".env"]);
        repo.git_ok(&["commit", "-q"]);
        let body = m.handle.requests(spec)[0].body.to_string();
        assert_eq!(body.contains(canary), expect_canary, "{model}");
        assert_eq!(body.contains("hunter2"), expect_canary, "{model}");
    }
}

#[test]
fn mock_commitlint_types_are_honoured() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=json"), "");
    repo.write(
        "commitlint.config.js",
        "module.exports = { rules: { 'type-enum': [2, 'always', ['feature', 'bugfix']] } };\n",
    );
    repo.install();
    repo.stage_change();
    repo.git_ok(&["commit", "-q"]);
    assert!(
        repo.last_message().starts_with("feature(mock-reply): "),
        "{}",
        repo.last_message()
    );
    let schema =
        &m.handle.requests("label=json")[0].body["response_format"]["json_schema"]["schema"];
    assert_eq!(
        schema["properties"]["type"]["enum"],
        serde_json::json!(["feature", "bugfix"])
    );
}

#[test]
fn mock_budget_comes_from_the_server_and_big_diffs_become_summaries() {
    let m = mock();
    // n_ctx 900 leaves 900 - 200 (reply) - 500 (instructions) -> the 256-token floor.
    let spec = "n_ctx=900";
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url(spec), "");
    repo.install();
    repo.write("small.txt", "one small line\n");
    repo.git_ok(&["add", "small.txt"]);
    repo.git_ok(&["commit", "-q"]);
    assert_eq!(
        m.handle.attempts(&format!("{spec}#models")),
        1,
        "context size asked"
    );
    assert_eq!(
        m.handle.attempts(&format!("{spec}#tokenize")),
        1,
        "a small diff is counted exactly"
    );
    let big: String = (0..2000)
        .map(|i| format!("line number {i} of a large generated report\n"))
        .collect();
    repo.write("report.txt", &big);
    repo.write("notes.md", "# Notes\nshort\n");
    repo.git_ok(&["add", "report.txt", "notes.md"]);
    repo.git_ok(&["commit", "-q"]);
    assert_eq!(repo.last_message(), MOCK_MESSAGE);
    let prompts: Vec<String> = m
        .handle
        .requests(spec)
        .iter()
        .map(|r| {
            r.body["messages"].as_array().unwrap().last().unwrap()["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let summaries = prompts
        .iter()
        .filter(|p| p.starts_with("Summarise in one short line"))
        .count();
    assert_eq!(summaries, 2, "one summary per file");
    assert!(
        prompts
            .iter()
            .any(|p| p.contains("report.txt does (the diff is cut short)")),
        "truncation is named"
    );
    let last = m.handle.requests(spec).last().unwrap().body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(last.contains("per-file summaries follow"), "{last}");
    assert!(last.contains("- report.txt (+2000 -0): "), "{last}");
}

#[test]
fn mock_validator_command_rejections_go_back_to_the_model_then_leave_the_draft() {
    let m = mock();
    let spec = "label=validator";
    let repo = Repo::new();
    repo.config_for(
        "llamafile/mock",
        &m.handle.fault_url(spec),
        "[validation]\nmax_retries = 2\nvalidator_command = \"echo 'subject must mention a ticket' >&2; exit 1\"\n",
    );
    repo.install();
    repo.stage_change();
    repo.git_ok(&["commit", "-q", "-m", "draft stays"]);
    assert_eq!(repo.last_message(), "draft stays");
    assert_eq!(m.handle.attempts(spec), 3, "first answer and two repairs");
    let last = m.handle.requests(spec).last().unwrap().body["messages"].clone();
    let feedback = last.as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        feedback.contains("subject must mention a ticket"),
        "{feedback}"
    );
}

#[test]
fn mock_bad_config_never_blocks_the_commit() {
    let repo = Repo::new();
    repo.config("[ai]\nmodle = \"typo\"\n");
    repo.install();
    repo.stage_change();
    let out = repo.git(&["commit", "-q", "-m", "still committed"]);
    assert!(out.status.success());
    assert_eq!(repo.last_message(), "still committed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("config.toml (line 2)") && stderr.contains("modle"),
        "{stderr}"
    );
}

#[test]
fn mock_server_without_json_mode_gets_free_text_cleaned_up() {
    let m = mock();
    let spec = "reject_json,reply=Commit_message:_fix(core):_handle_empty_input.%3C%2Fs%3E";
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url(spec), "");
    repo.install();
    repo.stage_change();
    repo.git_ok(&["commit", "-q"]);
    assert_eq!(repo.last_message(), "fix(core): handle empty input");
    // The mock records the spec as decoded from the URL path.
    let requests = m.handle.requests(&spec.replace("%3C%2Fs%3E", "</s>"));
    assert_eq!(requests.len(), 2, "JSON refused, then free text");
    assert!(requests[1].body.get("response_format").is_none());
}

#[test]
fn mock_a_panic_inside_the_hook_never_blocks_the_commit() {
    let m = mock();
    let mut repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=panic"), "");
    repo.install();
    repo.stage_change();
    repo.env
        .push(("COMMIT_POLISH_FAILPOINT".into(), "panic".into()));
    let out = repo.git(&["commit", "-q", "-m", "survives a panic"]);
    assert!(out.status.success());
    assert_eq!(repo.last_message(), "survives a panic");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("internal error; your message was left as it was"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked at"),
        "no backtrace noise: {stderr}"
    );
}

#[test]
fn mock_draft_lines_starting_with_a_hash_are_part_of_the_draft() {
    let m = mock();
    let spec = "label=hashdraft";
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url(spec), "");
    repo.install();
    repo.stage_change();
    repo.git_ok(&["commit", "-q", "-m", "#123 fix the greeting"]);
    assert_eq!(
        repo.last_message(),
        MOCK_MESSAGE,
        "no stray draft line below the message"
    );
    let prompt = m.handle.requests(spec)[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        prompt.contains("#123 fix the greeting"),
        "the whole draft reaches the model: {prompt}"
    );
}
