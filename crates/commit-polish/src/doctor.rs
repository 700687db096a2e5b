//! `doctor`: checks the config, the model server and the hook, and says
//! exactly what to fix.

use std::time::{Duration, Instant};

use lmrelay::{ChatRequest, Client};

use crate::config::{self, Config};
use crate::git::Git;
use crate::install::MARKER;

/// One check's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, and the fix when it failed.
    pub detail: String,
}

impl Check {
    fn pass(name: &str, detail: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            ok: true,
            detail: detail.into(),
        }
    }

    fn fail(name: &str, detail: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            ok: false,
            detail: detail.into(),
        }
    }
}

/// Runs every check.
pub async fn run(git: &Git, env: &dyn Fn(&str) -> Option<String>) -> Vec<Check> {
    let mut checks = Vec::new();
    let root = git.root().ok();
    let config = match config::load(config::user_config_path().as_deref(), root.as_deref(), env) {
        Ok(config) => {
            let path = config::user_config_path()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            checks.push(Check::pass(
                "config",
                format!(
                    "loaded ({path}); model {} at {}",
                    config.model, config.api_base
                ),
            ));
            config
        }
        Err(err) => {
            checks.push(Check::fail("config", format!("{err}")));
            Config::default()
        }
    };
    checks.extend(server_checks(&config).await);
    checks.push(hook_check(git));
    checks
}

async fn server_checks(config: &Config) -> Vec<Check> {
    let mut checks = Vec::new();
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(http) => http,
        Err(err) => {
            return vec![Check::fail(
                "model server",
                format!("no HTTP client: {err}"),
            )];
        }
    };
    let base = config.api_base.trim_end_matches('/');
    let start_hint = format!(
        "start your llamafile / llama.cpp server so it listens at {base}, or set [ai] api_base in {}",
        config::user_config_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the config".into())
    );
    let root = base.strip_suffix("/v1").unwrap_or(base);
    match http.get(format!("{root}/health")).send().await {
        Ok(r) if r.status().is_success() => {
            checks.push(Check::pass("server health", format!("{root}/health is ok")))
        }
        Ok(r) => checks.push(Check::fail(
            "server health",
            format!(
                "{root}/health answered {} (still loading the model?)",
                r.status()
            ),
        )),
        Err(_) => {
            checks.push(Check::fail(
                "server health",
                format!("nothing answers at {root}: {start_hint}"),
            ));
            return checks;
        }
    }
    match http.get(format!("{base}/models")).send().await {
        Ok(r) if r.status().is_success() => {
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            let names: Vec<String> = body["data"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            checks.push(Check::pass(
                "models",
                format!("{base}/models lists {}", names.join(", ")),
            ));
        }
        Ok(r) => checks.push(Check::fail(
            "models",
            format!(
                "{base}/models answered {}: is api_base the server's /v1 URL?",
                r.status()
            ),
        )),
        Err(err) => checks.push(Check::fail(
            "models",
            format!("{base}/models failed: {err}"),
        )),
    }
    let client = match Client::builder().timeout(config.timeout).build() {
        Ok(client) => client,
        Err(err) => {
            checks.push(Check::fail("tiny request", err.to_string()));
            return checks;
        }
    };
    let started = Instant::now();
    let request = ChatRequest::new(config.model.clone())
        .api_base(config.api_base.clone())
        .user("Reply with the word OK.")
        .max_tokens(4)
        .temperature(0.0)
        .num_retries(0);
    match client.completion(request).await {
        Ok(_) => checks.push(Check::pass(
            "tiny request",
            format!(
                "{} answered in {} ms",
                config.model,
                started.elapsed().as_millis()
            ),
        )),
        Err(err) => checks.push(Check::fail("tiny request", err.to_string())),
    }
    checks
}

fn hook_check(git: &Git) -> Check {
    let Ok(dir) = git.git_path("hooks") else {
        return Check::fail(
            "hook",
            "not inside a git repository: run doctor in a repository",
        );
    };
    let hook = dir.join("prepare-commit-msg");
    match std::fs::read_to_string(&hook) {
        Ok(text) if text.contains(MARKER) => {
            Check::pass("hook", format!("installed at {}", hook.display()))
        }
        Ok(_) => Check::fail(
            "hook",
            format!(
                "{} is another tool's hook: run `commit-polish install` to chain it",
                hook.display()
            ),
        ),
        Err(_) => Check::fail(
            "hook",
            format!(
                "not installed in {}: run `commit-polish install`",
                dir.display()
            ),
        ),
    }
}
