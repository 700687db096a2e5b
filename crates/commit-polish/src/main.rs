//! The `commit-polish` binary: a thin layer over the library.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a CLI talks on stdout and stderr"
)]

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use commit_polish::config::{self, Config};
use commit_polish::generate::{self, Request};
use commit_polish::git::Git;
use commit_polish::hook::{self, HookArgs, Outcome};
use commit_polish::{doctor, install, prompt};

/// Writes and polishes git commit messages with a local model, and never blocks a commit.
#[derive(Debug, Parser)]
#[command(name = "commit-polish", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The prepare-commit-msg hook: commit-polish hook <msg-file> [<source> [<sha>]].
    Hook {
        /// Arguments as git passes them.
        #[arg(allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Install the hook in this repository (or for every repository with --global).
    Install {
        /// Use a global hooks path (git config --global core.hooksPath).
        #[arg(long)]
        global: bool,
    },
    /// Remove the hook and restore any hook it chained.
    Uninstall {
        /// Undo a --global install.
        #[arg(long)]
        global: bool,
    },
    /// Write a message for the staged changes now, and commit it if you accept.
    Polish {
        /// Print the message; do not commit.
        #[arg(long)]
        dry_run: bool,
        /// Print the candidates as JSON (for editors and TUIs); do not commit.
        #[arg(long)]
        json: bool,
        /// How many candidates to write.
        #[arg(short, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
        n: u8,
        /// A hint for the model ("fixes the login timeout").
        #[arg(long)]
        hint: Option<String>,
    },
    /// Check the config, the model server and the hook; say what to fix.
    Doctor,
    /// Show, locate or check the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Print the effective configuration (defaults, files and environment merged).
    Show,
    /// Print the user config file's path.
    Path,
    /// Check the user config file and the repository's .commit-polish.toml.
    Validate,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("hook") {
        run_hook(&argv[2..]);
        return ExitCode::SUCCESS;
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("commit-polish: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("commit-polish: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The hook path: whatever happens, return (exit 0) within the budget.
fn run_hook(args: &[String]) {
    let Some(msg_file) = args.first() else {
        eprintln!("commit-polish: hook needs the message file (git passes it); nothing done");
        return;
    };
    let hook_args = HookArgs {
        msg_file: PathBuf::from(msg_file),
        source: args.get(1).cloned().filter(|s| !s.is_empty()),
        sha: args.get(2).cloned(),
    }
    .with_pre_commit_env(&env);
    let budget = config::load(config::user_config_path().as_deref(), None, &env)
        .map(|c| c.time_budget)
        .unwrap_or_else(|_| Config::default().time_budget);
    hook::watchdog(budget);
    // Keep the default panic report off the user's terminal: one line below says it.
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(|| {
        failpoint(&env);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match runtime {
            Ok(runtime) => runtime.block_on(hook::run(&hook_args, &env)),
            Err(err) => Outcome::Failed(commit_polish::Error::Io(format!("cannot start: {err}"))),
        }
    });
    match outcome {
        Ok(Outcome::Wrote) => {}
        Ok(Outcome::Skipped(reason)) => {
            if env("COMMIT_POLISH_VERBOSE").is_some() {
                eprintln!("commit-polish: skipped: {reason}");
            }
        }
        Ok(Outcome::Failed(err)) => {
            eprintln!("commit-polish: {err}; your message was left as it was");
        }
        Err(_) => eprintln!("commit-polish: internal error; your message was left as it was"),
    }
}

/// `COMMIT_POLISH_FAILPOINT=panic` makes the hook panic, so tests can show
/// that even a bug inside commit-polish never blocks a commit.
#[expect(
    clippy::panic,
    reason = "a deliberate failpoint for the never-block tests"
)]
fn failpoint(env: &dyn Fn(&str) -> Option<String>) {
    if env("COMMIT_POLISH_FAILPOINT").as_deref() == Some("panic") {
        panic!("failpoint");
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    let git = Git::new(std::env::current_dir().context("no current folder")?);
    match command {
        Command::Hook { .. } => Ok(ExitCode::SUCCESS),
        Command::Install { global } => {
            let binary = std::env::current_exe().context("cannot find this program's path")?;
            for note in install::install(&git, global, &binary)? {
                println!("{note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Uninstall { global } => {
            for note in install::uninstall(&git, global)? {
                println!("{note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor => {
            let checks = doctor::run(&git, &env).await;
            for check in &checks {
                println!(
                    "{} {:<13} {}",
                    if check.ok { "ok  " } else { "FAIL" },
                    check.name,
                    check.detail
                );
            }
            Ok(if checks.iter().all(|c| c.ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Config { action } => config_command(&git, action),
        Command::Polish {
            dry_run,
            json,
            n,
            hint,
        } => polish(&git, dry_run, json, n, hint).await,
    }
}

fn config_command(git: &Git, action: ConfigAction) -> anyhow::Result<ExitCode> {
    let user = config::user_config_path();
    match action {
        ConfigAction::Path => {
            let path =
                user.context("cannot find the config folder: set HOME or XDG_CONFIG_HOME")?;
            println!("{}", path.display());
        }
        ConfigAction::Show => {
            let config = config::load(user.as_deref(), git.root().ok().as_deref(), &env)?;
            print!("{}", config::render(&config));
        }
        ConfigAction::Validate => {
            let mut checked = Vec::new();
            if let Some(path) = user.filter(|p| p.exists()) {
                config::validate_file(&path)?;
                checked.push(path);
            }
            if let Ok(root) = git.root() {
                let repo = root.join(config::REPO_CONFIG_FILE);
                if repo.exists() {
                    config::validate_file(&repo)?;
                    checked.push(repo);
                }
            }
            config::load(None, None, &env)?;
            if checked.is_empty() {
                println!("no config files; the defaults apply (commit-polish install writes one)");
            }
            for path in checked {
                println!("ok {}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn polish(
    git: &Git,
    dry_run: bool,
    json: bool,
    n: u8,
    hint: Option<String>,
) -> anyhow::Result<ExitCode> {
    let root = git.root()?;
    let git = &Git::new(&root);
    let config = config::load(config::user_config_path().as_deref(), Some(&root), &env)?;
    let against = hook::base_for_index(git);
    let Some((change, config)) = hook::collect(git, &config, against.as_deref())? else {
        bail!("nothing is staged: stage changes with `git add` first");
    };
    let mut style = prompt::style_hints(&git.recent_subjects(30), git.branch().as_deref());
    if let Some(hint) = &hint {
        style.push_str(&format!("\nThe author says: {hint}"));
    }
    let interactive = !dry_run && !json;
    if interactive && !std::io::stdin().is_terminal() {
        bail!("polish asks what to do on a terminal: use --dry-run or --json when scripting");
    }
    let request = Request {
        change: &change,
        style,
        draft: None,
    };
    loop {
        let spinner = interactive.then(|| Spinner::start(&config.model));
        let progress = spinner.as_ref().map(Spinner::progress);
        let candidates = generate::candidates(&config, &request, n, progress).await?;
        drop(spinner);
        if json {
            println!("{}", serde_json::json!({ "candidates": candidates }));
            return Ok(ExitCode::SUCCESS);
        }
        if dry_run {
            println!("{}", candidates.join("\n\n---\n\n"));
            return Ok(ExitCode::SUCCESS);
        }
        for (i, candidate) in candidates.iter().enumerate() {
            println!("[{}]\n{candidate}\n", i + 1);
        }
        eprint!("accept [1-{n}], e edit, r regenerate, q abort: ");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        let answer = answer.trim();
        let chosen = match answer {
            "q" | "" => {
                eprintln!("aborted; nothing committed");
                return Ok(ExitCode::FAILURE);
            }
            "r" => continue,
            "e" => edit(&candidates[0])?,
            number => match number
                .parse::<usize>()
                .ok()
                .and_then(|i| candidates.get(i.checked_sub(1)?))
            {
                Some(candidate) => candidate.clone(),
                None => {
                    eprintln!("{number:?} is not a choice");
                    continue;
                }
            },
        };
        return commit(git, &chosen);
    }
}

/// A spinner with the elapsed time and the tail of the streamed reply on
/// stderr while the model writes; only on a terminal, and gone (line
/// cleared) when dropped.
struct Spinner {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tail: std::sync::Arc<std::sync::Mutex<String>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    fn start(model: &str) -> Self {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tail = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let thread = std::io::stderr().is_terminal().then(|| {
            let (done, tail) = (done.clone(), tail.clone());
            let model = model.to_owned();
            std::thread::spawn(move || {
                let started = std::time::Instant::now();
                let frames = ['|', '/', '-', '\\'];
                let mut i = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let text = tail.lock().map(|t| t.clone()).unwrap_or_default();
                    eprint!(
                        "\r\x1b[2K{} {model} {:.1} s {text}",
                        frames[i % 4],
                        started.elapsed().as_secs_f64()
                    );
                    let _ = std::io::stderr().flush();
                    i += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                eprint!("\r\x1b[2K");
            })
        });
        Self { done, tail, thread }
    }

    /// A progress callback that shows the last 50 characters streamed.
    fn progress(&self) -> commit_polish::generate::Progress {
        let tail = self.tail.clone();
        std::sync::Arc::new(move |piece: &str| {
            if let Ok(mut tail) = tail.lock() {
                tail.push_str(&piece.replace(['\n', '\r'], " "));
                let count = tail.chars().count();
                if count > 50 {
                    *tail = tail.chars().skip(count - 50).collect();
                }
            }
        })
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn edit(text: &str) -> anyhow::Result<String> {
    let editor = std::process::Command::new("git")
        .args(["var", "GIT_EDITOR"])
        .output()?;
    let editor = String::from_utf8_lossy(&editor.stdout).trim().to_owned();
    let file = std::env::temp_dir().join(format!("commit-polish-{}.txt", std::process::id()));
    std::fs::write(&file, format!("{text}\n"))?;
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("{editor} \"$1\""), "sh"])
        .arg(&file)
        .status()?;
    if !status.success() {
        bail!("the editor exited with {status}; nothing committed");
    }
    let edited = std::fs::read_to_string(&file)?;
    let _ = std::fs::remove_file(&file);
    Ok(edited)
}

fn commit(git: &Git, message: &str) -> anyhow::Result<ExitCode> {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(git.dir())
        .args(["commit", "-F", "-"])
        .env("COMMIT_POLISH_SKIP", "1")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(message.as_bytes())?;
            }
            child.wait()
        })?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
