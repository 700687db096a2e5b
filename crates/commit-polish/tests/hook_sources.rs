//! The installed hook by commit source, in real git repositories with the
//! in-repo mock provider as the model: merges, cherry-picks, reverts,
//! rebases and amends keep their messages (amend is rewritten only when
//! configured); pathspec commits, worktrees and empty commits.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{MOCK_MESSAGE, Repo, mock};

#[test]
fn mock_merge_squash_amend_cherry_pick_revert_are_left_alone() {
    let m = mock();
    let url = m.handle.fault_url("label=json");
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &url, "");
    repo.install();
    repo.git_ok(&["checkout", "-q", "-b", "side"]);
    repo.write("side.txt", "side\n");
    repo.git_ok(&["add", "side.txt"]);
    repo.git_ok(&["commit", "-q", "-m", "side work"]);
    repo.git_ok(&["checkout", "-q", "main"]);
    repo.write("main.txt", "main\n");
    repo.git_ok(&["add", "main.txt"]);
    repo.git_ok(&["commit", "-q", "-m", "main work"]);
    let before_merge = m.handle.attempts("label=json");
    repo.git_ok(&["merge", "-q", "--no-ff", "--no-edit", "side"]);
    assert!(
        repo.last_message().starts_with("Merge branch 'side'"),
        "{}",
        repo.last_message()
    );
    repo.git_ok(&["checkout", "-q", "side"]);
    repo.commit_without_hooks("later.txt", "later\n", "later side work");
    let later = repo.git_ok(&["rev-parse", "HEAD"]).trim().to_owned();
    repo.git_ok(&["checkout", "-q", "main"]);
    repo.git_ok(&["cherry-pick", &later]);
    assert_eq!(repo.last_message(), "later side work");
    repo.git_ok(&["revert", "--no-edit", "HEAD"]);
    assert!(
        repo.last_message()
            .starts_with("Revert \"later side work\""),
        "{}",
        repo.last_message()
    );
    repo.write("main.txt", "main 2\n");
    repo.git_ok(&["add", "main.txt"]);
    repo.git_ok(&["commit", "-q", "--amend", "--no-edit"]);
    assert!(
        repo.last_message()
            .starts_with("Revert \"later side work\""),
        "amend keeps the message"
    );
    assert_eq!(
        m.handle.attempts("label=json"),
        before_merge,
        "no model call for any of these"
    );
}

#[test]
fn mock_nothing_staged_and_skip_variable_exit_at_once() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=json"), "");
    repo.install();
    repo.git_ok(&["commit", "-q", "--allow-empty", "-m", "empty on purpose"]);
    assert_eq!(repo.last_message(), "empty on purpose");
    let mut repo = repo;
    repo.env.push(("COMMIT_POLISH_SKIP".into(), "1".into()));
    repo.stage_change();
    repo.git_ok(&["commit", "-q", "-m", "skipped"]);
    assert_eq!(repo.last_message(), "skipped");
    assert_eq!(m.handle.attempts("label=json"), 0);
}

#[test]
fn mock_amend_is_rewritten_when_configured_from_the_diff_against_the_parent() {
    let m = mock();
    let spec = "label=amend";
    let repo = Repo::new();
    repo.config_for(
        "llamafile/mock",
        &m.handle.fault_url(spec),
        "amend = true\n",
    );
    repo.stage_change();
    repo.git_ok(&[
        "-c",
        "core.hooksPath=/nonexistent",
        "commit",
        "-q",
        "-m",
        "first try",
    ]);
    repo.install();
    repo.write("src/extra.rs", "pub const X: u8 = 1;\n");
    repo.git_ok(&["add", "src/extra.rs"]);
    repo.git_ok(&["commit", "-q", "--amend", "--no-edit"]);
    assert_eq!(repo.last_message(), MOCK_MESSAGE);
    let prompt = m.handle.requests(spec)[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        prompt.contains("src/greet.rs") && prompt.contains("src/extra.rs"),
        "both files of the amended commit: {prompt}"
    );
    assert!(prompt.contains("first try"), "the old message is the draft");
}

#[test]
fn mock_rebase_keeps_every_replayed_message() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=rebase"), "");
    repo.install();
    repo.git_ok(&["checkout", "-q", "-b", "topic"]);
    repo.commit_without_hooks("t.txt", "t\n", "topic work");
    repo.git_ok(&["checkout", "-q", "main"]);
    repo.commit_without_hooks("m.txt", "m\n", "main moves on");
    repo.git_ok(&["checkout", "-q", "topic"]);
    repo.git_ok(&["rebase", "-q", "main"]);
    assert_eq!(repo.last_message(), "topic work");
    assert_eq!(m.handle.attempts("label=rebase"), 0);
}

#[test]
fn mock_pathspec_commit_uses_gits_temporary_index() {
    let m = mock();
    let spec = "label=pathspec";
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url(spec), "");
    repo.install();
    repo.write("README.md", "# demo\nmore\n");
    repo.write("other.txt", "staged but not committed\n");
    repo.git_ok(&["add", "other.txt"]);
    // `git commit README.md` commits only README.md, through a temporary index.
    repo.git_ok(&["commit", "-q", "README.md"]);
    let prompt = m.handle.requests(spec)[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains("README.md"), "{prompt}");
    assert!(
        !prompt.contains("other.txt"),
        "only what this commit holds: {prompt}"
    );
}

#[test]
fn mock_worktree_commit_works() {
    let m = mock();
    let spec = "label=worktree";
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url(spec), "");
    repo.install();
    let wt = repo.home.path().join("wt");
    repo.git_ok(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "wt-branch",
        &wt.display().to_string(),
    ]);
    std::fs::write(wt.join("w.txt"), "in a worktree\n").unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&wt)
            .env("HOME", repo.home.path())
            .env("XDG_CONFIG_HOME", repo.home.path().join(".config"))
            .env("GIT_EDITOR", "true")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["add", "w.txt"]);
    git(&["commit", "-q"]);
    assert_eq!(git(&["log", "-1", "--format=%B"]).trim_end(), MOCK_MESSAGE);
    let prompt = m.handle.requests(spec)[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains("w.txt"), "{prompt}");
}

#[test]
fn mock_generated_message_sits_above_gits_comment_block() {
    let m = mock();
    let mut repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=block"), "");
    repo.install();
    repo.stage_change();
    let seen = repo.path().join("seen.txt");
    let editor = repo.home.path().join("editor.sh");
    std::fs::write(
        &editor,
        format!("#!/bin/sh\ncp \"$1\" '{}'\n", seen.display()),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .unwrap();
    repo.env
        .push(("GIT_EDITOR".into(), editor.display().to_string()));
    repo.git_ok(&["commit", "-q"]);
    let seen = std::fs::read_to_string(seen).unwrap();
    assert!(
        seen.starts_with(&format!(
            "{MOCK_MESSAGE}\n\n# Please enter the commit message"
        )),
        "{seen}"
    );
    assert!(seen.contains("# Changes to be committed:"), "{seen}");
    assert_eq!(repo.last_message(), MOCK_MESSAGE);
}

#[test]
fn mock_squash_merge_keeps_gits_message() {
    let m = mock();
    let repo = Repo::new();
    repo.config_for("llamafile/mock", &m.handle.fault_url("label=squash"), "");
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    repo.write("f.txt", "f\n");
    repo.git_ok(&["add", "f.txt"]);
    repo.git_ok(&["commit", "-q", "-m", "feature work"]);
    repo.git_ok(&["checkout", "-q", "main"]);
    repo.install();
    repo.git_ok(&["merge", "-q", "--squash", "feature"]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    assert!(
        repo.last_message()
            .starts_with("Squashed commit of the following:"),
        "{}",
        repo.last_message()
    );
    assert_eq!(m.handle.attempts("label=squash"), 0);
}
