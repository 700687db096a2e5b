//! A small wrapper over the `git` binary: what git users expect (their
//! config, `GIT_INDEX_FILE`, worktrees), and nothing that writes history.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// One `--numstat` row: lines added, lines deleted (`None` for binary
/// files), and the path.
pub type NumstatRow = (Option<u64>, Option<u64>, String);

/// Files in the git directory that mean an operation is in progress.
const MARKERS: [(&str, &str); 7] = [
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
    ("SQUASH_MSG", "squash"),
    // Written by revert and cherry-pick (and merges) for the message they prepared.
    ("MERGE_MSG", "revert or cherry-pick"),
];

/// What [`Git::state`] finds.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoState {
    /// The top of the working tree.
    pub root: PathBuf,
    /// A merge, rebase, cherry-pick or revert in progress.
    pub operation: Option<&'static str>,
    /// Whether HEAD exists (false before the first commit).
    pub head: bool,
    /// The current branch (none when detached).
    pub branch: Option<String>,
}

/// A repository, addressed through `git -C <dir>`.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    /// The repository containing `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Runs git with `args`; stdout on success, an error with stderr otherwise.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let output = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(["-c", "core.quotepath=false", "-c", "color.ui=false"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|err| {
                Error::Git(format!(
                    "could not run git ({err}): is git installed and on PATH?"
                ))
            })?;
        if !output.status.success() {
            return Err(Error::Git(format!(
                "`git {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The top of the working tree.
    pub fn root(&self) -> Result<PathBuf> {
        Ok(PathBuf::from(
            self.run(&["rev-parse", "--show-toplevel"])?.trim(),
        ))
    }

    /// The resolved path of a file inside the git directory (`hooks`, `MERGE_HEAD`).
    pub fn git_path(&self, name: &str) -> Result<PathBuf> {
        let path = PathBuf::from(self.run(&["rev-parse", "--git-path", name])?.trim());
        Ok(if path.is_absolute() {
            path
        } else {
            self.dir.join(path)
        })
    }

    /// The repository's state in one git call (two in a repository without
    /// commits): root, operation in progress, HEAD, branch.
    pub fn state(&self) -> Result<RepoState> {
        let names: Vec<&str> = MARKERS.iter().map(|(name, _)| *name).collect();
        let mut args = vec!["rev-parse", "--show-toplevel"];
        for name in &names {
            args.push("--git-path");
            args.push(name);
        }
        let (out, head) = match self.run(&[args.as_slice(), &["--abbrev-ref", "HEAD"]].concat()) {
            Ok(out) => (out, true),
            Err(_) => (self.run(&args)?, false),
        };
        let mut lines = out.lines();
        let root = PathBuf::from(lines.next().unwrap_or("."));
        let operation = MARKERS
            .iter()
            .zip(lines.by_ref().take(MARKERS.len()))
            .find(|(_, path)| {
                let path = Path::new(path);
                if path.is_absolute() {
                    path.exists()
                } else {
                    self.dir.join(path).exists()
                }
            })
            .map(|((_, what), _)| *what);
        let branch = lines
            .next()
            .filter(|b| head && *b != "HEAD")
            .map(str::to_owned);
        Ok(RepoState {
            root,
            operation,
            head,
            branch,
        })
    }

    /// The comment prefix git uses here (`core.commentString`, `core.commentChar`, else `#`).
    pub fn comment_prefix(&self) -> String {
        let out = self
            .run(&["config", "--get-regexp", r"^core\.comment(char|string)$"])
            .unwrap_or_default();
        let mut char_value = None;
        let mut string_value = None;
        for line in out.lines() {
            if let Some((key, value)) = line.split_once(' ') {
                match key {
                    "core.commentstring" => string_value = Some(value.to_owned()),
                    "core.commentchar" => char_value = Some(value.to_owned()),
                    _ => {}
                }
            }
        }
        match string_value.or(char_value) {
            Some(c) if c != "auto" && !c.is_empty() => c,
            _ => "#".to_owned(),
        }
    }

    /// The staged diff (`against` a commit, or the index against HEAD).
    pub fn staged_diff(&self, against: Option<&str>) -> Result<String> {
        let mut args = vec![
            "diff",
            "--cached",
            "--no-color",
            "--no-ext-diff",
            "--find-renames",
            "-U3",
        ];
        if let Some(rev) = against {
            args.push(rev);
        }
        self.run(&args)
    }

    /// Per-file numbers of the staged change: (added, deleted, path); binary
    /// files have `None` counts.
    pub fn staged_numstat(&self, against: Option<&str>) -> Result<Vec<NumstatRow>> {
        let mut args = vec!["diff", "--cached", "--numstat", "--find-renames", "-z"];
        if let Some(rev) = against {
            args.push(rev);
        }
        let out = self.run(&args)?;
        let mut files = Vec::new();
        let mut fields = out.split('\0');
        while let Some(entry) = fields.next() {
            if entry.is_empty() {
                continue;
            }
            let mut parts = entry.splitn(3, '\t');
            let added = parts.next().and_then(|n| n.parse().ok());
            let deleted = parts.next().and_then(|n| n.parse().ok());
            let mut path = parts.next().unwrap_or("").to_owned();
            if path.is_empty() {
                // A rename: the old and new paths follow as separate fields.
                let _old = fields.next();
                path = fields.next().unwrap_or("").to_owned();
            }
            files.push((added, deleted, path));
        }
        Ok(files)
    }

    /// Whether HEAD exists (false in a new repository).
    pub fn has_head(&self) -> bool {
        self.run(&["rev-parse", "--verify", "--quiet", "HEAD"])
            .is_ok()
    }

    /// Subjects of the last `n` commits (none before the first commit).
    pub fn recent_subjects(&self, n: usize) -> Vec<String> {
        self.run(&["log", "--no-merges", &format!("-n{n}"), "--format=%s"])
            .map(|out| out.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The current branch name, if on a branch.
    pub fn branch(&self) -> Option<String> {
        self.run(&["symbolic-ref", "--short", "-q", "HEAD"])
            .ok()
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
    }

    /// A git config value.
    pub fn config(&self, key: &str) -> Option<String> {
        self.run(&["config", "--get", key])
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The directory this wrapper runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
