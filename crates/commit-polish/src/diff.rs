//! The diff pipeline: split the staged diff per file, leave out what a model
//! should not read (lock files, generated and binary files) while naming it,
//! compact what remains, and redact secrets for non-local providers.

use std::sync::LazyLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;

use crate::error::{Error, Result};

/// One changed file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileChange {
    /// Path in the repository.
    pub path: String,
    /// Lines added (`None` for binary files).
    pub added: Option<u64>,
    /// Lines deleted (`None` for binary files).
    pub deleted: Option<u64>,
    /// The file's part of the diff, compacted (empty when left out).
    pub diff: String,
}

impl FileChange {
    /// `+12 -3`, or `binary`.
    pub fn stats(&self) -> String {
        match (self.added, self.deleted) {
            (Some(a), Some(d)) => format!("+{a} -{d}"),
            _ => "binary".to_owned(),
        }
    }
}

/// A file the model does not see, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    /// Path in the repository.
    pub path: String,
    /// `+12 -3` or `binary`.
    pub stats: String,
    /// Why it was left out.
    pub reason: String,
}

/// The staged change, ready for a prompt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StagedChange {
    /// Files the model reads.
    pub files: Vec<FileChange>,
    /// Files named but not shown.
    pub left_out: Vec<LeftOut>,
    /// Secrets replaced by `[REDACTED]`.
    pub redactions: usize,
}

impl StagedChange {
    /// Whether nothing at all is staged.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.left_out.is_empty()
    }

    /// The shown diff text.
    pub fn diff_text(&self) -> String {
        self.files
            .iter()
            .map(|f| f.diff.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Moves a file from the shown ones to the left-out list.
    pub fn leave_out(&mut self, index: usize, reason: &str) {
        let file = self.files.remove(index);
        self.left_out.push(LeftOut {
            stats: file.stats(),
            path: file.path,
            reason: reason.to_owned(),
        });
    }
}

/// Compiles exclude globs (`*.lock` matches in any folder).
pub fn exclude_set(globs: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let pattern = if glob.contains('/') {
            glob.clone()
        } else {
            format!("**/{glob}")
        };
        builder.add(
            Glob::new(&pattern)
                .map_err(|err| Error::Config(format!("bad exclude glob {glob:?}: {err}")))?,
        );
    }
    builder
        .build()
        .map_err(|err| Error::Config(format!("exclude globs: {err}")))
}

/// Splits a `git diff` into per-file parts keyed by the `b/` path.
pub fn split_by_file(diff: &str) -> Vec<(String, String)> {
    let mut parts: Vec<(String, String)> = Vec::new();
    for line in diff.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            let path = rest
                .trim_end()
                .rsplit_once(" b/")
                .map_or(rest.trim_end(), |(_, b)| b)
                .to_owned();
            parts.push((path, String::new()));
        }
        if let Some((_, text)) = parts.last_mut() {
            text.push_str(line);
        }
    }
    parts
}

/// Drops lines that carry no meaning for a message (`index` hashes, mode
/// lines) and trailing spaces.
pub fn compact(file_diff: &str) -> String {
    file_diff
        .lines()
        .filter(|l| {
            !l.starts_with("index ") && !l.starts_with("old mode") && !l.starts_with("new mode")
        })
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds the staged change from `git diff` output and `--numstat` rows.
pub fn build(
    diff: &str,
    numstat: &[(Option<u64>, Option<u64>, String)],
    excludes: &GlobSet,
) -> StagedChange {
    let parts = split_by_file(diff);
    let mut change = StagedChange::default();
    for (added, deleted, path) in numstat {
        let file = FileChange {
            path: path.clone(),
            added: *added,
            deleted: *deleted,
            diff: String::new(),
        };
        let reason = if added.is_none() {
            Some("binary file")
        } else if excludes.is_match(path) {
            Some("matches an exclude glob (lock, generated, vendored or minified file)")
        } else {
            None
        };
        match reason {
            Some(reason) => change.left_out.push(LeftOut {
                path: path.clone(),
                stats: file.stats(),
                reason: reason.to_owned(),
            }),
            None => {
                let text = parts
                    .iter()
                    .find(|(p, _)| p == path)
                    .map(|(_, t)| compact(t))
                    .unwrap_or_default();
                change.files.push(FileChange { diff: text, ..file });
            }
        }
    }
    change
}

/// Token estimate when the server cannot count: about 3 bytes per token for
/// code (conservative for BPE tokenizers).
pub fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(3)
}

static SECRET_PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
        r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
        r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",
        r"\bgithub_pat_[A-Za-z0-9_]{40,}\b",
        r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b",
        r"\bsk-[A-Za-z0-9_-]{20,}\b",
        r"\bAIza[0-9A-Za-z_-]{35}\b",
        r"(?i)\b[A-Za-z0-9_]*(api[_-]?key|secret|token|passw(or)?d|credential)[A-Za-z0-9_]*\s*[:=]\s*['\x22][^'\x22\s]{8,}['\x22]",
        r"(?i)\b[A-Za-z0-9_]*(api[_-]?key|secret|token|passw(or)?d|credential)[A-Za-z0-9_]*\s*=\s*[A-Za-z0-9_+/.=-]{8,}(?:\s|$|[;,])",
        r"(?im)^[+ -]?\s*[A-Za-z0-9_]*(api[_-]?key|secret|token|passw(or)?d|credential)[A-Za-z0-9_]*\s*:\s*[A-Za-z0-9_+/.=-]{8,}\s*$",
    ]
    .iter()
    .filter_map(|p| Regex::new(p).ok())
    .collect()
});

/// Replaces secrets (private keys, cloud and service tokens, `key = value`
/// assignments of credentials) by `[REDACTED]`; returns the count.
pub fn redact_secrets(text: &str) -> (String, usize) {
    let mut out = text.to_owned();
    let mut count = 0;
    for re in SECRET_PATTERNS.iter() {
        let found = re.find_iter(&out).count();
        if found > 0 {
            count += found;
            out = re.replace_all(&out, "[REDACTED]").into_owned();
        }
    }
    (out, count)
}

/// Redacts every shown file; `.env`-style files are left out entirely.
pub fn redact(change: &mut StagedChange) {
    let mut index = 0;
    while index < change.files.len() {
        let name = change.files[index].path.rsplit('/').next().unwrap_or("");
        if name == ".env" || name.starts_with(".env.") {
            change.leave_out(index, "environment file (may hold secrets)");
            continue;
        }
        let (text, count) = redact_secrets(&change.files[index].diff);
        change.files[index].diff = text;
        change.redactions += count;
        index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "diff --git a/src/lib.rs b/src/lib.rs\nindex 1..2 100644\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1 +1,2 @@\n fn a() {}\n+fn b() {}   \ndiff --git a/Cargo.lock b/Cargo.lock\nindex 3..4\n--- a/Cargo.lock\n+++ b/Cargo.lock\n@@ -1 +1 @@\n-x\n+y\n";

    #[test]
    fn splits_compacts_and_leaves_out_lock_and_binary_files() {
        let excludes = exclude_set(&crate::config::Config::default().exclude).unwrap();
        let numstat = vec![
            (Some(1), Some(0), "src/lib.rs".to_owned()),
            (Some(1), Some(1), "Cargo.lock".to_owned()),
            (None, None, "logo.png".to_owned()),
        ];
        let change = build(DIFF, &numstat, &excludes);
        assert_eq!(change.files.len(), 1);
        assert_eq!(change.files[0].path, "src/lib.rs");
        assert!(!change.files[0].diff.contains("index 1..2"));
        assert!(
            change.files[0].diff.contains("+fn b() {}\n")
                || change.files[0].diff.ends_with("+fn b() {}")
        );
        let left: Vec<_> = change
            .left_out
            .iter()
            .map(|l| (l.path.as_str(), l.stats.as_str()))
            .collect();
        assert_eq!(left, [("Cargo.lock", "+1 -1"), ("logo.png", "binary")]);
    }

    #[test]
    fn secrets_are_redacted_and_env_files_left_out() {
        let canaries = [
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
            "xoxb-1234567890-abcdefghij",
            "sk-proj-abcdefghijklmnopqrstuvwx",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            "DB_PASSWORD = \"hunter2hunter2\"",
        ];
        for canary in canaries {
            let (text, count) = redact_secrets(&format!("+let x = {canary};\n"));
            assert!(count >= 1, "{canary}");
            assert!(
                !text.contains("hunter2") && !text.contains("AKIAIOSF") && !text.contains("MIIEow"),
                "{text}"
            );
        }
        let mut change = StagedChange {
            files: vec![
                FileChange {
                    path: ".env".into(),
                    added: Some(1),
                    deleted: Some(0),
                    diff: "+TOKEN=abc".into(),
                },
                FileChange {
                    path: "a.rs".into(),
                    added: Some(1),
                    deleted: Some(0),
                    diff: "+let k = \"AKIAIOSFODNN7EXAMPLE\";".into(),
                },
            ],
            ..StagedChange::default()
        };
        redact(&mut change);
        assert_eq!(change.files.len(), 1);
        assert_eq!(change.left_out[0].path, ".env");
        assert_eq!(change.redactions, 1);
        for clean in [
            "+fn token_count(x: usize) -> usize { x }\n",
            "+    secret_key: Option<String>,\n",
            "+let password_hint = hint;\n",
            "+let token = get_token(x);\n",
        ] {
            let (text, count) = redact_secrets(clean);
            assert_eq!(count, 0, "false positive: {text}");
        }
        let (_, count) = redact_secrets("+  db_password: hunter2hunter2\n");
        assert_eq!(count, 1, "YAML credentials");
    }
}
