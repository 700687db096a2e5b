//! Configuration: `~/.config/commit-polish/config.toml` (or
//! `$XDG_CONFIG_HOME/commit-polish/config.toml`), then the repository's
//! `.commit-polish.toml`, then `COMMIT_POLISH_*` environment variables.
//!
//! Each file is read into raw structs that reject unknown keys, so an error
//! names the file, the key and the fix; the layers are then merged and
//! validated into [`Config`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The model used when the config names none.
pub const DEFAULT_MODEL: &str = "llamafile/gemma-3-3b";
/// The API base used when the config names none.
pub const DEFAULT_API_BASE: &str = "http://127.0.0.1:8080/v1";
/// Conventional Commits types allowed by default (commitlint's conventional set).
pub const DEFAULT_TYPES: &[&str] = &[
    "feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert",
];
/// Paths left out of the diff by default (listed by name in the prompt).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "*.lock",
    "**/package-lock.json",
    "**/pnpm-lock.yaml",
    "**/yarn.lock",
    "**/Cargo.lock",
    "**/poetry.lock",
    "**/go.sum",
    "*.min.js",
    "*.min.css",
    "*.map",
    "**/vendor/**",
    "**/node_modules/**",
    "**/dist/**",
    "*.pb.go",
    "*_generated.*",
    "*.generated.*",
];

/// The default config file written by `commit-polish install`.
pub const DEFAULT_CONFIG_TOML: &str = r#"# commit-polish configuration. Every key is optional; these are the defaults.
# A repository's .commit-polish.toml overrides this file, and COMMIT_POLISH_*
# environment variables override both.

[ai]
model = "llamafile/gemma-3-3b"      # any lmrelay model string: llamafile/..., ollama/..., openai/...
api_base = "http://127.0.0.1:8080/v1"
temperature = 0.3
max_tokens = 200
timeout = 15                        # seconds per model request
fallbacks = []                      # other model strings to try, in order

[hook]
time_budget = 20                    # seconds; past it the hook gives up and leaves your message alone
polish_drafts = true                # polish a -m/-F message (false: leave drafts untouched)
amend = false                       # also rewrite messages when amending

[validation]
auto_detect = true                  # read allowed types from the repository's commitlint config
max_retries = 3                     # how often the model may repair an invalid message
validator_command = ""              # e.g. "npx commitlint": message on stdin, non-zero exit = invalid
system_prompt = ""                  # replaces the built-in instructions when set

[diff]
token_budget = 0                    # 0: derived from the model's context window
exclude = []                        # extra globs to leave out (lock files, minified files,
                                    # vendored folders and binaries are always left out)
"#;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    ai: Option<RawAi>,
    hook: Option<RawHook>,
    validation: Option<RawValidation>,
    diff: Option<RawDiff>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAi {
    model: Option<String>,
    api_base: Option<String>,
    api_key_env: Option<String>,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
    timeout: Option<f64>,
    fallbacks: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    time_budget: Option<f64>,
    polish_drafts: Option<bool>,
    amend: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidation {
    auto_detect: Option<bool>,
    max_retries: Option<u32>,
    validator_command: Option<String>,
    system_prompt: Option<String>,
    types: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiff {
    token_budget: Option<u32>,
    exclude: Option<Vec<String>>,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Model string.
    pub model: String,
    /// API base of the model server.
    pub api_base: String,
    /// Environment variable holding the API key (none: the provider's default).
    pub api_key_env: Option<String>,
    /// Sampling temperature.
    pub temperature: f64,
    /// Maximum tokens per reply.
    pub max_tokens: u32,
    /// Deadline per model request.
    pub timeout: Duration,
    /// Models tried after the main one fails.
    pub fallbacks: Vec<String>,
    /// The hook's whole time budget.
    pub time_budget: Duration,
    /// Polish `-m`/`-F` drafts.
    pub polish_drafts: bool,
    /// Rewrite messages when amending.
    pub amend: bool,
    /// Read allowed types from a commitlint config.
    pub auto_detect: bool,
    /// Repair attempts after an invalid message.
    pub max_retries: u32,
    /// External validator.
    pub validator_command: Option<String>,
    /// Replacement for the built-in instructions.
    pub system_prompt: Option<String>,
    /// Allowed Conventional Commits types.
    pub types: Vec<String>,
    /// Diff token budget (0: derive from the model's context).
    pub token_budget: u32,
    /// Globs left out of the diff (defaults plus the user's).
    pub exclude: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            model: DEFAULT_MODEL.to_owned(),
            api_base: DEFAULT_API_BASE.to_owned(),
            api_key_env: None,
            temperature: 0.3,
            max_tokens: 200,
            timeout: Duration::from_secs(15),
            fallbacks: Vec::new(),
            time_budget: Duration::from_secs(20),
            polish_drafts: true,
            amend: false,
            auto_detect: true,
            max_retries: 3,
            validator_command: None,
            system_prompt: None,
            types: DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            token_budget: 0,
            exclude: DEFAULT_EXCLUDES.iter().map(|t| (*t).to_owned()).collect(),
        }
    }
}

/// Where the user's config file lives.
pub fn user_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("commit-polish").join("config.toml"))
}

/// The repository's own config file name.
pub const REPO_CONFIG_FILE: &str = ".commit-polish.toml";

fn read_raw(path: &Path) -> Result<Option<RawConfig>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(Error::Config(format!(
                "{}: cannot be read ({err}): fix its permissions or remove it",
                path.display()
            )));
        }
    };
    parse_raw(&text, &path.display().to_string()).map(Some)
}

fn parse_raw(text: &str, origin: &str) -> Result<RawConfig> {
    toml::from_str(text).map_err(|err| {
        let detail = err.message().trim().to_owned();
        let fix = if detail.contains("unknown field") {
            "remove or rename the key (see `commit-polish config show` for the known keys)"
        } else {
            "fix the value to the expected type (see `commit-polish config show`)"
        };
        let line = err
            .span()
            .map(|span| format!(" (line {})", text[..span.start].matches('\n').count() + 1))
            .unwrap_or_default();
        Error::Config(format!("{origin}{line}: {detail}: {fix}"))
    })
}

/// Loads the layers: user file, repository file (when `repo_root` is given),
/// then the environment (`env` stands in for `std::env::var`).
pub fn load(
    user_file: Option<&Path>,
    repo_root: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config> {
    let mut config = Config::default();
    if let Some(path) = user_file
        && let Some(raw) = read_raw(path)?
    {
        apply(&mut config, raw, &path.display().to_string())?;
    }
    if let Some(root) = repo_root {
        let path = root.join(REPO_CONFIG_FILE);
        if let Some(raw) = read_raw(&path)? {
            apply(&mut config, raw, &path.display().to_string())?;
        }
    }
    apply(&mut config, from_env(env)?, "environment (COMMIT_POLISH_*)")?;
    Ok(config)
}

fn env_number<T: std::str::FromStr>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<T>> {
    match env(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(value) => value.trim().parse().map(Some).map_err(|_| {
            Error::Config(format!(
                "{name}={value:?} is not a number: set it to a number or unset it"
            ))
        }),
    }
}

fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<RawConfig> {
    let text = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    Ok(RawConfig {
        ai: Some(RawAi {
            model: text("COMMIT_POLISH_MODEL"),
            api_base: text("COMMIT_POLISH_API_BASE"),
            api_key_env: None,
            temperature: env_number(env, "COMMIT_POLISH_TEMPERATURE")?,
            max_tokens: env_number(env, "COMMIT_POLISH_MAX_TOKENS")?,
            timeout: env_number(env, "COMMIT_POLISH_TIMEOUT")?,
            fallbacks: None,
        }),
        hook: Some(RawHook {
            time_budget: env_number(env, "COMMIT_POLISH_TIME_BUDGET")?,
            polish_drafts: None,
            amend: None,
        }),
        validation: Some(RawValidation {
            max_retries: env_number(env, "COMMIT_POLISH_MAX_RETRIES")?,
            ..RawValidation::default()
        }),
        diff: None,
    })
}

fn seconds(value: f64, key: &str, origin: &str) -> Result<Duration> {
    if !value.is_finite() || value <= 0.0 || value > 3600.0 {
        return Err(Error::Config(format!(
            "{origin}: {key} = {value} is not usable: give seconds between 0 and 3600, e.g. {key} = 20"
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

fn apply(config: &mut Config, raw: RawConfig, origin: &str) -> Result<()> {
    if let Some(ai) = raw.ai {
        if let Some(model) = ai.model {
            if model.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{origin}: ai.model is empty: set it to a model string such as \"{DEFAULT_MODEL}\""
                )));
            }
            config.model = model;
        }
        if let Some(base) = ai.api_base {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(Error::Config(format!(
                    "{origin}: ai.api_base = {base:?} is not an http(s) URL: use the server's /v1 URL, \
                     e.g. \"{DEFAULT_API_BASE}\""
                )));
            }
            config.api_base = base;
        }
        if let Some(env) = ai.api_key_env {
            config.api_key_env = Some(env).filter(|e| !e.is_empty());
        }
        if let Some(t) = ai.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(Error::Config(format!(
                    "{origin}: ai.temperature = {t} is out of range: use a value from 0 to 2"
                )));
            }
            config.temperature = t;
        }
        if let Some(n) = ai.max_tokens {
            if !(16..=4096).contains(&n) {
                return Err(Error::Config(format!(
                    "{origin}: ai.max_tokens = {n} is out of range: use 16 to 4096 (200 suits a commit message)"
                )));
            }
            config.max_tokens = n;
        }
        if let Some(t) = ai.timeout {
            config.timeout = seconds(t, "ai.timeout", origin)?;
        }
        if let Some(list) = ai.fallbacks {
            config.fallbacks = list;
        }
    }
    if let Some(hook) = raw.hook {
        if let Some(t) = hook.time_budget {
            config.time_budget = seconds(t, "hook.time_budget", origin)?;
        }
        if let Some(v) = hook.polish_drafts {
            config.polish_drafts = v;
        }
        if let Some(v) = hook.amend {
            config.amend = v;
        }
    }
    if let Some(v) = raw.validation {
        if let Some(b) = v.auto_detect {
            config.auto_detect = b;
        }
        if let Some(n) = v.max_retries {
            if n > 10 {
                return Err(Error::Config(format!(
                    "{origin}: validation.max_retries = {n} is too many: use 0 to 10"
                )));
            }
            config.max_retries = n;
        }
        if let Some(cmd) = v.validator_command {
            config.validator_command = Some(cmd).filter(|c| !c.trim().is_empty());
        }
        if let Some(prompt) = v.system_prompt {
            config.system_prompt = Some(prompt).filter(|p| !p.trim().is_empty());
        }
        if let Some(types) = v.types {
            if types.is_empty() || types.iter().any(|t| !is_type_word(t)) {
                return Err(Error::Config(format!(
                    "{origin}: validation.types must be a non-empty list of lower-case words, e.g. [\"feat\", \"fix\"]"
                )));
            }
            config.types = types;
        }
    }
    if let Some(diff) = raw.diff {
        if let Some(n) = diff.token_budget {
            config.token_budget = n;
        }
        if let Some(extra) = diff.exclude {
            for glob in &extra {
                globset::Glob::new(glob).map_err(|err| {
                    Error::Config(format!(
                        "{origin}: diff.exclude has a bad glob {glob:?} ({err}): fix or remove it"
                    ))
                })?;
            }
            config.exclude.extend(extra);
        }
    }
    Ok(())
}

fn is_type_word(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '-')
}

/// Checks one file on its own (for `config validate`).
pub fn validate_file(path: &Path) -> Result<()> {
    let mut config = Config::default();
    match read_raw(path)? {
        Some(raw) => apply(&mut config, raw, &path.display().to_string()),
        None => Err(Error::Config(format!(
            "{}: no such file: run `commit-polish install` to write the default one",
            path.display()
        ))),
    }
}

/// The effective configuration as TOML (for `config show`).
pub fn render(config: &Config) -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "[ai]\nmodel = {:?}\napi_base = {:?}\n{}temperature = {}\nmax_tokens = {}\ntimeout = {}\nfallbacks = [{}]\n\n\
         [hook]\ntime_budget = {}\npolish_drafts = {}\namend = {}\n\n\
         [validation]\nauto_detect = {}\nmax_retries = {}\nvalidator_command = {:?}\nsystem_prompt = {:?}\ntypes = [{}]\n\n\
         [diff]\ntoken_budget = {}\nexclude = [{}]\n",
        config.model,
        config.api_base,
        config
            .api_key_env
            .as_ref()
            .map(|e| format!("api_key_env = {e:?}\n"))
            .unwrap_or_default(),
        config.temperature,
        config.max_tokens,
        config.timeout.as_secs_f64(),
        list(&config.fallbacks),
        config.time_budget.as_secs_f64(),
        config.polish_drafts,
        config.amend,
        config.auto_detect,
        config.max_retries,
        config.validator_command.as_deref().unwrap_or(""),
        config.system_prompt.as_deref().unwrap_or(""),
        list(&config.types),
        config.token_budget,
        list(&config.exclude),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_default_file_parses_to_the_defaults() {
        let raw = parse_raw(DEFAULT_CONFIG_TOML, "default").unwrap();
        let mut config = Config::default();
        apply(&mut config, raw, "default").unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn rendered_config_parses_back_to_the_same_config() {
        let config = Config {
            model: "ollama/llama3".into(),
            fallbacks: vec!["llamafile/x".into()],
            ..Config::default()
        };
        let raw = parse_raw(&render(&config), "rendered").unwrap();
        let mut back = Config::default();
        back.exclude.clear();
        apply(&mut back, raw, "rendered").unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_file_key_and_fix() {
        let err = parse_raw(
            "[ai]\nmodle = \"x\"\n",
            "/home/u/.config/commit-polish/config.toml",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("config.toml (line 2)"), "{text}");
        assert!(text.contains("modle"), "{text}");
        assert!(text.contains("remove or rename"), "{text}");
        let err = parse_raw("[ai]\ntemperature = \"hot\"\n", "f").unwrap_err();
        assert!(err.to_string().contains("expected"), "{err}");
        let mut config = Config::default();
        let raw = parse_raw("[ai]\ntemperature = 7.0\n", "f").unwrap();
        let err = apply(&mut config, raw, "f").unwrap_err();
        assert!(
            err.to_string()
                .contains("ai.temperature = 7 is out of range"),
            "{err}"
        );
        let raw = parse_raw("[ai]\napi_base = \"\"\n", "f").unwrap();
        assert!(
            apply(&mut config, raw, "f")
                .unwrap_err()
                .to_string()
                .contains("ai.api_base")
        );
        let raw = parse_raw("[hook]\ntime_budget = -1\n", "f").unwrap();
        assert!(apply(&mut config, raw, "f").is_err());
        let raw = parse_raw("[diff]\nexclude = [\"a[\"]\n", "f").unwrap();
        assert!(
            apply(&mut config, raw, "f")
                .unwrap_err()
                .to_string()
                .contains("bad glob")
        );
    }

    #[test]
    fn layers_apply_in_order_user_repo_env() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("user.toml");
        std::fs::write(
            &user,
            "[ai]\nmodel = \"llamafile/user\"\ntemperature = 0.1\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(REPO_CONFIG_FILE),
            "[ai]\nmodel = \"llamafile/repo\"\n",
        )
        .unwrap();
        let env = |name: &str| (name == "COMMIT_POLISH_MAX_TOKENS").then(|| "99".to_owned());
        let config = load(Some(&user), Some(dir.path()), &env).unwrap();
        assert_eq!(config.model, "llamafile/repo");
        assert_eq!(config.temperature, 0.1);
        assert_eq!(config.max_tokens, 99);
        let bad_env = |name: &str| (name == "COMMIT_POLISH_TIMEOUT").then(|| "soon".to_owned());
        let err = load(None, None, &bad_env).unwrap_err();
        assert!(err.to_string().contains("COMMIT_POLISH_TIMEOUT"), "{err}");
        assert_eq!(load(None, None, &no_env).unwrap(), Config::default());
    }
}
