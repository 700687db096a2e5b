//! A real git repository in a temporary folder, with its own HOME (so the
//! user's git and commit-polish config never leak in), and the installed
//! commit-polish hook.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "test helpers"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_commit-polish");

/// What the mock's schema-following reply renders to.
pub const MOCK_MESSAGE: &str = "feat(mock-reply): mock reply\n\nmock reply";

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub home: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Repo {
    pub fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        };
        repo.git_ok(&["init", "-q", "-b", "main"]);
        repo.git_ok(&["config", "user.name", "Test User"]);
        repo.git_ok(&["config", "user.email", "test@example.invalid"]);
        repo.git_ok(&["config", "commit.gpgsign", "false"]);
        repo.write("README.md", "# demo\n");
        repo.git_ok(&["add", "README.md"]);
        repo.git_ok(&["commit", "-q", "-m", "chore: start"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join(".config").join("commit-polish")
    }

    /// Writes the user config file.
    pub fn config(&self, toml: &str) {
        std::fs::create_dir_all(self.config_dir()).unwrap();
        std::fs::write(self.config_dir().join("config.toml"), toml).unwrap();
    }

    /// A config pointing at `api_base` with a short budget.
    pub fn config_for(&self, model: &str, api_base: &str, extra: &str) {
        self.config(&format!(
            "[ai]\nmodel = \"{model}\"\napi_base = \"{api_base}\"\ntimeout = 5\n\n[hook]\ntime_budget = 8\n{extra}"
        ));
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.path())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_EDITOR", "true")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE");
        for (key, _) in std::env::vars() {
            if key.starts_with("COMMIT_POLISH_") || key.starts_with("LLAMAFILE_") {
                cmd.env_remove(key);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn git(&self, args: &[&str]) -> Output {
        self.command("git").args(args).output().unwrap()
    }

    pub fn git_ok(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn polish(&self, args: &[&str]) -> Output {
        self.command(BIN).args(args).output().unwrap()
    }

    pub fn install(&self) {
        let out = self.polish(&["install"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn write(&self, path: &str, content: &str) {
        let full = self.path().join(path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(full, content).unwrap();
    }

    /// Writes and stages a small change.
    pub fn stage_change(&self) {
        self.write(
            "src/greet.rs",
            "pub fn greet() -> &'static str {\n    \"hello\"\n}\n",
        );
        self.git_ok(&["add", "src/greet.rs"]);
    }

    /// Writes, stages and commits a file with hooks off (the author's own message).
    pub fn commit_without_hooks(&self, path: &str, content: &str, message: &str) {
        self.write(path, content);
        self.git_ok(&["add", path]);
        self.git_ok(&[
            "-c",
            "core.hooksPath=/nonexistent",
            "commit",
            "-q",
            "-m",
            message,
        ]);
    }

    pub fn last_message(&self) -> String {
        self.git_ok(&["log", "-1", "--format=%B"])
            .trim_end()
            .to_owned()
    }
}

pub struct Mock {
    _runtime: tokio::runtime::Runtime,
    pub handle: mock_provider::MockHandle,
}

pub fn mock() -> Mock {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let handle = runtime.block_on(mock_provider::start()).unwrap();
    Mock {
        _runtime: runtime,
        handle,
    }
}

/// A loopback URL where nothing listens.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}/v1", listener.local_addr().unwrap())
}
