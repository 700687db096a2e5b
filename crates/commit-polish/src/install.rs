//! `install` / `uninstall`: the hook in a repository's hooks folder (or in a
//! global hooks path), chaining any hook that was there before.

use std::path::{Path, PathBuf};

use crate::config;
use crate::error::{Error, Result};
use crate::git::Git;

/// The line that marks a hook as ours.
pub const MARKER: &str = "# commit-polish prepare-commit-msg hook";
/// Where a previous hook is kept while ours is installed.
pub const CHAINED: &str = "prepare-commit-msg.commit-polish-chained";

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The hook script calling `binary`.
pub fn hook_script(binary: &Path, global: bool) -> String {
    let bin = shell_quote(&binary.display().to_string());
    let local = if global {
        "# With a global hooks path git skips the repository's own hooks: run it here.\n\
         local_hook=\"$(git rev-parse --git-dir 2>/dev/null)/hooks/prepare-commit-msg\"\n\
         if [ -x \"$local_hook\" ] && ! grep -q 'commit-polish prepare-commit-msg hook' \"$local_hook\"; then\n    \
         \"$local_hook\" \"$@\" || exit $?\nfi\n"
    } else {
        ""
    };
    format!(
        "#!/bin/sh\n{MARKER} (written by `commit-polish install`;\n\
         # `commit-polish uninstall` removes it and restores any hook it chained).\n\
         hook_dir=$(dirname \"$0\")\n\
         if [ -x \"$hook_dir/{CHAINED}\" ]; then\n    \"$hook_dir/{CHAINED}\" \"$@\" || exit $?\nfi\n\
         {local}\
         if [ -x {bin} ]; then\n    {bin} hook \"$@\"\n\
         elif command -v commit-polish >/dev/null 2>&1; then\n    commit-polish hook \"$@\"\nfi\n\
         # commit-polish never blocks a commit.\nexit 0\n"
    )
}

/// The folder a global install uses.
pub fn global_hooks_dir() -> Result<PathBuf> {
    config::user_config_path()
        .and_then(|p| p.parent().map(|d| d.join("hooks")))
        .ok_or_else(|| {
            Error::Io("cannot find the config folder: set HOME or XDG_CONFIG_HOME".to_owned())
        })
}

/// Writes the default config file if there is none; returns its path.
pub fn ensure_config() -> Result<Option<PathBuf>> {
    let Some(path) = config::user_config_path() else {
        return Ok(None);
    };
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(&path, config::DEFAULT_CONFIG_TOML)
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
        return Ok(Some(path));
    }
    Ok(None)
}

fn write_hook(dir: &Path, script: &str) -> Result<String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    let hook = dir.join("prepare-commit-msg");
    let mut note = format!("installed {}", hook.display());
    if let Ok(existing) = std::fs::read_to_string(&hook) {
        if !existing.contains(MARKER) {
            let chained = dir.join(CHAINED);
            if chained.exists() {
                return Err(Error::Io(format!(
                    "{} exists and so does {}: move one of them away, then install again",
                    hook.display(),
                    chained.display()
                )));
            }
            std::fs::rename(&hook, &chained)
                .map_err(|e| Error::Io(format!("cannot move the existing hook: {e}")))?;
            note.push_str(&format!(
                " (your existing hook now runs first, from {})",
                chained.display()
            ));
        }
    } else if hook.exists() {
        return Err(Error::Io(format!(
            "{} exists but cannot be read: check it, then install again",
            hook.display()
        )));
    }
    std::fs::write(&hook, script)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", hook.display())))?;
    make_executable(&hook)?;
    Ok(note)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::Io(format!("cannot make {} executable: {e}", path.display())))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

fn remove_hook(dir: &Path) -> Result<String> {
    let hook = dir.join("prepare-commit-msg");
    match std::fs::read_to_string(&hook) {
        Ok(text) if text.contains(MARKER) => {
            std::fs::remove_file(&hook)
                .map_err(|e| Error::Io(format!("cannot remove {}: {e}", hook.display())))?;
            let chained = dir.join(CHAINED);
            if chained.exists() {
                std::fs::rename(&chained, &hook)
                    .map_err(|e| Error::Io(format!("cannot restore your hook: {e}")))?;
                return Ok(format!(
                    "removed commit-polish; restored your hook at {}",
                    hook.display()
                ));
            }
            Ok(format!("removed {}", hook.display()))
        }
        Ok(_) => Ok(format!(
            "{} is not commit-polish's; left it alone",
            hook.display()
        )),
        Err(_) => Ok("no commit-polish hook was installed".to_owned()),
    }
}

/// Installs the hook; returns what was done, one line each.
pub fn install(git: &Git, global: bool, binary: &Path) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    if let Some(path) = ensure_config()? {
        notes.push(format!("wrote the default config to {}", path.display()));
    }
    if global {
        let dir = global_hooks_dir()?;
        match git
            .run(&["config", "--global", "--get", "core.hooksPath"])
            .map(|v| v.trim().to_owned())
        {
            Ok(current) if !current.is_empty() && Path::new(&current) != dir => {
                return Err(Error::Io(format!(
                    "git's global core.hooksPath is already {current}: run `commit-polish install` in each \
                     repository instead, or unset it (git config --global --unset core.hooksPath) first"
                )));
            }
            _ => {}
        }
        notes.push(write_hook(&dir, &hook_script(binary, true))?);
        git.run(&[
            "config",
            "--global",
            "core.hooksPath",
            &dir.display().to_string(),
        ])?;
        notes.push(format!(
            "set git's global core.hooksPath to {} (undo: commit-polish uninstall --global)",
            dir.display()
        ));
    } else {
        let dir = git.git_path("hooks")?;
        notes.push(write_hook(&dir, &hook_script(binary, false))?);
    }
    Ok(notes)
}

/// Removes the hook and restores what it chained.
pub fn uninstall(git: &Git, global: bool) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    if global {
        let dir = global_hooks_dir()?;
        notes.push(remove_hook(&dir)?);
        if let Ok(current) = git.run(&["config", "--global", "--get", "core.hooksPath"])
            && Path::new(current.trim()) == dir
        {
            git.run(&["config", "--global", "--unset", "core.hooksPath"])?;
            notes.push("unset git's global core.hooksPath".to_owned());
        }
    } else {
        notes.push(remove_hook(&git.git_path("hooks")?)?);
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_the_binary_and_always_exits_zero() {
        let script = hook_script(Path::new("/opt/it's here/commit-polish"), false);
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains(MARKER));
        assert!(script.contains(r"'/opt/it'\''s here/commit-polish' hook"));
        assert!(script.trim_end().ends_with("exit 0"));
        assert!(hook_script(Path::new("/x"), true).contains("local_hook"));
    }
}
