//! The prepare-commit-msg hook. It decides by commit source what to do, and
//! whatever fails, it leaves the user's message as it was (adding at most a
//! comment line that git strips) and lets the commit go on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{self, Config};
use crate::diff;
use crate::error::{Error, Result};
use crate::generate::{Generator, Request};
use crate::git::{Git, RepoState};
use crate::message;
use crate::prompt;

/// The empty tree, for diffs of a root commit.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// The hook's arguments as git (or pre-commit) passes them.
#[derive(Debug, Clone)]
pub struct HookArgs {
    /// The message file.
    pub msg_file: PathBuf,
    /// `message`, `template`, `merge`, `squash`, `commit`, or none.
    pub source: Option<String>,
    /// The commit for `commit` sources (`-c`, `-C`, `--amend`).
    pub sha: Option<String>,
}

impl HookArgs {
    /// Fills the source and sha from pre-commit's variables when git's
    /// arguments are absent.
    pub fn with_pre_commit_env(mut self, env: &dyn Fn(&str) -> Option<String>) -> Self {
        if self.source.is_none() {
            self.source = env("PRE_COMMIT_COMMIT_MSG_SOURCE").filter(|s| !s.is_empty());
        }
        if self.sha.is_none() {
            self.sha = env("PRE_COMMIT_COMMIT_OBJECT_NAME").filter(|s| !s.is_empty());
        }
        self
    }
}

/// What the hook did.
#[derive(Debug)]
pub enum Outcome {
    /// A message was written.
    Wrote,
    /// Nothing to do, and why.
    Skipped(String),
    /// Something failed; the message file is as it was (plus a comment line
    /// when the editor will strip it).
    Failed(Error),
}

/// The message file split into the user's text and git's comment block.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageFile {
    /// Everything before the first comment line.
    pub text: String,
    /// The first comment line and everything after it.
    pub comments: String,
}

impl MessageFile {
    /// Splits `content` at the first line starting with `comment`.
    pub fn parse(content: &str, comment: &str) -> Self {
        let mut offset = 0;
        for line in content.split_inclusive('\n') {
            if line.starts_with(comment) {
                return Self {
                    text: content[..offset].to_owned(),
                    comments: content[offset..].to_owned(),
                };
            }
            offset += line.len();
        }
        Self {
            text: content.to_owned(),
            comments: String::new(),
        }
    }
}

/// Runs the hook: decides, generates within the time budget, writes.
pub async fn run(args: &HookArgs, env: &dyn Fn(&str) -> Option<String>) -> Outcome {
    if env("COMMIT_POLISH_SKIP").is_some_and(|v| !v.is_empty() && v != "0") {
        return Outcome::Skipped("COMMIT_POLISH_SKIP is set".to_owned());
    }
    // Hooks run at the top of the working tree; GIT_DIR and GIT_INDEX_FILE
    // set by git are inherited by every git call below.
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let state = match Git::new(&cwd).state() {
        Ok(state) => state,
        Err(err) => return fail(args, &Git::new(&cwd), err),
    };
    let root = Some(state.root.clone());
    let git = Git::new(&state.root);
    let config = match config::load(config::user_config_path().as_deref(), root.as_deref(), env) {
        Ok(config) => config,
        Err(err) => return fail(args, &git, err),
    };
    let budget = config.time_budget;
    match tokio::time::timeout(budget, decide_and_write(args, &git, &state, &config)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(err)) => fail(args, &git, err),
        Err(_) => fail(args, &git, Error::Budget(budget.as_secs_f64())),
    }
}

async fn decide_and_write(
    args: &HookArgs,
    git: &Git,
    state: &RepoState,
    config: &Config,
) -> Result<Outcome> {
    let source = args.source.as_deref().unwrap_or("");
    if matches!(source, "merge" | "squash") {
        return Ok(Outcome::Skipped(format!(
            "{source} commits keep git's message"
        )));
    }
    if let Some(operation) = state.operation {
        return Ok(Outcome::Skipped(format!("a {operation} is in progress")));
    }
    let amending = source == "commit";
    if amending && !config.amend {
        return Ok(Outcome::Skipped(
            "amend and -c/-C keep their message (hook.amend = false)".to_owned(),
        ));
    }
    let original = std::fs::read(&args.msg_file)
        .map_err(|err| Error::Io(format!("cannot read {}: {err}", args.msg_file.display())))?;
    let original = String::from_utf8(original)
        .map_err(|_| Error::Io("the message file is not UTF-8; leaving it alone".to_owned()))?;
    let comment = git.comment_prefix();
    // A -m/-F message is kept by git as written (`#123 fix` included), so it
    // is all draft; other sources get git's comment block after the text.
    let file = if source == "message" {
        MessageFile {
            text: original.clone(),
            comments: String::new(),
        }
    } else {
        MessageFile::parse(&original, &comment)
    };
    let draft = file.text.trim();
    let polishing =
        matches!(source, "message" | "commit") || (source.is_empty() && !draft.is_empty());
    if source == "message" && !config.polish_drafts {
        return Ok(Outcome::Skipped(
            "drafts are left alone (hook.polish_drafts = false)".to_owned(),
        ));
    }
    let against = if amending {
        Some(
            if git
                .run(&["rev-parse", "--verify", "--quiet", "HEAD~1"])
                .is_ok()
            {
                "HEAD~1".to_owned()
            } else {
                EMPTY_TREE.to_owned()
            },
        )
    } else {
        (!state.head).then(|| EMPTY_TREE.to_owned())
    };
    let Some((change, config)) = collect(git, config, against.as_deref())? else {
        return Ok(Outcome::Skipped("nothing is staged".to_owned()));
    };
    let request = Request {
        change: &change,
        style: prompt::style_hints(
            &if state.head {
                git.recent_subjects(30)
            } else {
                Vec::new()
            },
            state.branch.as_deref(),
        ),
        draft: polishing.then(|| draft.to_owned()),
    };
    let generated = Generator::new(&config)?.message(&request).await?;
    if polishing {
        save_draft(git, &original);
    }
    let mut content = format!("{generated}\n");
    if !file.comments.is_empty() {
        content.push('\n');
        content.push_str(&file.comments);
    }
    write_atomically(&args.msg_file, &content)?;
    Ok(Outcome::Wrote)
}

/// The staged change (redacted for non-local models) and the config with
/// the repository's allowed types; `None` when nothing is staged.
pub fn collect(
    git: &Git,
    config: &Config,
    against: Option<&str>,
) -> Result<Option<(diff::StagedChange, Config)>> {
    let numstat = git.staged_numstat(against)?;
    if numstat.is_empty() {
        return Ok(None);
    }
    let excludes = diff::exclude_set(&config.exclude)?;
    let mut change = diff::build(&git.staged_diff(against)?, &numstat, &excludes);
    if !is_local(&config.model) {
        diff::redact(&mut change);
    }
    let types = allowed_types(git, config);
    Ok(Some((
        change,
        Config {
            types,
            ..config.clone()
        },
    )))
}

/// What the index is compared with: HEAD, or the empty tree before the first commit.
pub fn base_for_index(git: &Git) -> Option<String> {
    (!git.has_head()).then(|| EMPTY_TREE.to_owned())
}

/// Whether the model runs on this machine (no redaction needed).
fn is_local(model: &str) -> bool {
    lmrelay::providers::resolve(model, None, None).is_ok_and(|t| t.provider.local)
}

/// The configured types, or the repository's commitlint types (`git` is
/// addressed at the top of the working tree).
fn allowed_types(git: &Git, config: &Config) -> Vec<String> {
    if !config.auto_detect {
        return config.types.clone();
    }
    let root = git.dir();
    message::COMMITLINT_FILES
        .iter()
        .filter_map(|name| std::fs::read_to_string(root.join(name)).ok())
        .find_map(|text| message::commitlint_types(&text))
        .unwrap_or_else(|| config.types.clone())
}

/// Keeps the user's own message where they can get it back.
fn save_draft(git: &Git, original: &str) {
    if let Ok(path) = git.git_path("commit-polish/ORIG_MSG") {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(path, original);
    }
}

fn write_atomically(path: &Path, content: &str) -> Result<()> {
    let tmp = path.with_extension("commit-polish-tmp");
    std::fs::write(&tmp, content)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|err| {
            let _ = std::fs::remove_file(&tmp);
            Error::Io(format!("cannot write {}: {err}", path.display()))
        })
}

/// Records a failure: the message stays; when git will strip comments (a
/// plain or template commit opens the editor), a comment line says why.
/// Messages from `-m`/`-F`/`-c`/`--amend` may be committed without an editor,
/// where git keeps `#` lines, so there the reason only goes to stderr.
fn fail(args: &HookArgs, git: &Git, err: Error) -> Outcome {
    if matches!(args.source.as_deref(), None | Some("" | "template")) {
        let prefix = git.comment_prefix();
        let reason = err.to_string().replace('\n', " ");
        let line = format!("{prefix} commit-polish: {reason}; your message was left as it was.\n");
        if let Ok(mut original) = std::fs::read(&args.msg_file) {
            if !original.is_empty() && !original.ends_with(b"\n") {
                original.push(b'\n');
            }
            original.extend_from_slice(line.as_bytes());
            if let Ok(text) = String::from_utf8(original) {
                let _ = write_atomically(&args.msg_file, &text);
            }
        }
    }
    Outcome::Failed(err)
}

/// The hard stop: if the hook is still running this long after its budget
/// (a hung git or a stuck connection), the process exits with success.
pub fn watchdog(budget: Duration) {
    let limit = budget + Duration::from_secs(3);
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        std::process::exit(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_file_splits_at_the_first_comment_line() {
        let f = MessageFile::parse("draft\n\n# Please enter\n# the message\n", "#");
        assert_eq!(f.text, "draft\n\n");
        assert_eq!(f.comments, "# Please enter\n# the message\n");
        let f = MessageFile::parse("no comments", "#");
        assert_eq!(f.text, "no comments");
        assert!(f.comments.is_empty());
        let f = MessageFile::parse("; custom\n", ";");
        assert!(f.text.is_empty());
    }

    #[test]
    fn pre_commit_variables_fill_missing_arguments() {
        let args = HookArgs {
            msg_file: "m".into(),
            source: None,
            sha: None,
        };
        let env = |name: &str| match name {
            "PRE_COMMIT_COMMIT_MSG_SOURCE" => Some("message".to_owned()),
            "PRE_COMMIT_COMMIT_OBJECT_NAME" => Some("abc".to_owned()),
            _ => None,
        };
        let args = args.with_pre_commit_env(&env);
        assert_eq!(args.source.as_deref(), Some("message"));
        assert_eq!(args.sha.as_deref(), Some("abc"));
    }
}
