//! Model string → provider, model, API base and key, as LiteLLM's
//! `get_llm_provider` does it.

use super::{Endpoint, ProviderSpec, closest_prefixes, find};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::ApiKey;

/// Where a call goes: the provider row, the model name the server expects,
/// the API base and the key.
#[derive(Debug, Clone)]
pub struct Target {
    /// The provider row.
    pub provider: &'static ProviderSpec,
    /// The model name sent to the server (prefix stripped).
    pub model: String,
    /// The API base: from the call, else the environment, else the default.
    pub api_base: Option<String>,
    /// The key: from the call, else the environment, else the placeholder.
    pub api_key: Option<ApiKey>,
}

/// Bare model names that LiteLLM sends to a provider without a prefix.
const BARE_NAME_RULES: &[(&str, &str)] = &[
    ("gpt-", "openai"),
    ("gpt4", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("ft:gpt", "openai"),
    ("text-embedding-", "openai"),
    ("davinci", "openai"),
    ("babbage", "openai"),
    ("omni-moderation", "openai"),
    ("text-moderation", "openai"),
    ("claude-", "anthropic"),
    ("gemini-", "vertex_ai"),
    ("command-", "cohere"),
];

/// Resolves a model string using the process environment.
///
/// ```
/// let target = lmrelay::providers::resolve("llamafile/mistralai/mistral-7b-instruct-v0.2", None, None)?;
/// assert_eq!(target.provider.prefix, "llamafile");
/// assert_eq!(target.model, "mistralai/mistral-7b-instruct-v0.2");
/// # Ok::<(), lmrelay::Error>(())
/// ```
pub fn resolve(model: &str, api_base: Option<&str>, api_key: Option<&str>) -> Result<Target> {
    resolve_with_env(model, api_base, api_key, &|name| std::env::var(name).ok())
}

/// Resolves a model string with `env` standing in for the environment.
pub fn resolve_with_env(
    model: &str,
    api_base: Option<&str>,
    api_key: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Target> {
    let model = model.trim();
    if model.is_empty() {
        return Err(Error::new(
            ErrorKind::BadRequest,
            "model is empty: pass a model string such as 'llamafile/gemma-3-3b' or 'gpt-4o-mini'",
        ));
    }
    let api_base = non_empty(api_base);
    let (provider, name) = split_provider(model, api_base)?;
    let api_base = api_base
        .map(str::to_owned)
        .or_else(|| first_env(&provider.api_base_env, env))
        .or_else(|| provider.api_base.clone());
    let api_key = non_empty(api_key)
        .map(str::to_owned)
        .or_else(|| first_env(&provider.api_key_env, env))
        .or_else(|| provider.placeholder_key.clone())
        .map(ApiKey::new);
    Ok(Target {
        provider,
        model: name.to_owned(),
        api_base,
        api_key,
    })
}

fn split_provider<'m>(
    model: &'m str,
    api_base: Option<&str>,
) -> Result<(&'static ProviderSpec, &'m str)> {
    if let Some((prefix, rest)) = model.split_once('/')
        && let Some(spec) = find(prefix)?
    {
        if rest.is_empty() {
            return Err(Error::new(
                ErrorKind::BadRequest,
                format!(
                    "model '{model}' names the provider but no model: write '{prefix}/<model>'"
                ),
            ));
        }
        return Ok((spec, rest));
    }
    if let Some(spec) = api_base.map(provider_for_host).transpose()?.flatten() {
        return Ok((spec, model));
    }
    if model == "*" {
        // The wildcard of LiteLLM's proxy configs ("any OpenAI model").
        if let Some(spec) = find("openai")? {
            return Ok((spec, model));
        }
    }
    if !model.contains('/') {
        for (start, prefix) in BARE_NAME_RULES {
            if model.starts_with(start)
                && let Some(spec) = find(prefix)?
            {
                return Ok((spec, model));
            }
        }
    }
    Err(unknown_provider(model))
}

/// The provider whose default API base has the same host as `api_base`.
fn provider_for_host(api_base: &str) -> Result<Option<&'static ProviderSpec>> {
    let Some(host) = host_of(api_base) else {
        return Ok(None);
    };
    Ok(super::all()?.iter().find(|spec| {
        !spec.local && spec.api_base.as_deref().and_then(host_of).as_deref() == Some(host.as_str())
    }))
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_owned)
}

fn unknown_provider(model: &str) -> Error {
    let message = match model.split_once('/') {
        Some((prefix, rest)) => {
            let near = closest_prefixes(prefix);
            let hint = if near.is_empty() {
                let known: Vec<&str> = super::all()
                    .map(|t| t.iter().map(|s| s.prefix.as_str()).collect())
                    .unwrap_or_default();
                format!("known providers are {}", known.join(", "))
            } else {
                format!(
                    "did you mean {}?",
                    near.iter()
                        .map(|p| format!("'{p}/{rest}'"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            };
            format!("unknown provider '{prefix}' in model '{model}': {hint}")
        }
        None => format!(
            "LLM provider not given for model '{model}': prefix it with its provider, \
             for example 'openai/{model}', 'llamafile/{model}' or 'ollama/{model}'"
        ),
    };
    Error::new(ErrorKind::BadRequest, message).with_model(model)
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

fn first_env(names: &[String], env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    names
        .iter()
        .filter_map(|name| env(name))
        .find(|value| !value.trim().is_empty())
}

impl Target {
    /// The full URL of `endpoint`, or an error that says how to fix the API base.
    pub fn endpoint_url(&self, endpoint: Endpoint) -> Result<String> {
        let provider = &self.provider.prefix;
        let Some(base) = self.api_base.as_deref() else {
            let env = self.provider.or_set_api_base_env();
            return Err(self.error(
                ErrorKind::BadRequest,
                format!("provider '{provider}' has no default API base: pass api_base{env}"),
            ));
        };
        if !valid_bases::contains(base) {
            let parsed = url::Url::parse(base).map_err(|err| {
                self.error(
                    ErrorKind::BadRequest,
                    format!(
                        "api_base '{base}' is not a URL ({err}): use a form like http://127.0.0.1:8080/v1"
                    ),
                )
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(self.error(
                    ErrorKind::BadRequest,
                    format!("api_base '{base}' must start with http:// or https://"),
                ));
            }
            valid_bases::insert(base);
        }
        let trimmed = base.trim_end_matches('/');
        for known in [Endpoint::Chat, Endpoint::Completions, Endpoint::Embeddings] {
            if let Some(root) = trimmed.strip_suffix(known.path()) {
                return Err(self.error(
                    ErrorKind::BadRequest,
                    format!(
                        "api_base '{base}' includes the endpoint path '{}': drop it and pass '{root}'",
                        known.path()
                    ),
                ));
            }
        }
        if !self.provider.serves(endpoint) {
            return Err(self.error(
                ErrorKind::BadRequest,
                format!(
                    "provider '{provider}' does not serve {} (see {})",
                    endpoint.path(),
                    self.provider.docs
                ),
            ));
        }
        let prefix = self.provider.path_prefix.as_deref().unwrap_or("");
        let prefix = if trimmed.ends_with(prefix) {
            ""
        } else {
            prefix
        };
        // Pushed, not `format!`ed: this runs on every request.
        let path = endpoint.path();
        let mut url = String::with_capacity(trimmed.len() + prefix.len() + path.len());
        url.push_str(trimmed);
        url.push_str(prefix);
        url.push_str(path);
        Ok(url)
    }

    /// An error of `kind` tagged with this target's provider and model.
    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::new(kind, message)
            .with_provider(self.provider.prefix.clone())
            .with_model(self.model.clone())
    }
}

/// API bases already parsed and found valid: a gateway sends every call to
/// one of a few, and parsing a URL cost more than the rest of building the
/// request. Bounded, since bases can come from callers.
mod valid_bases {
    use std::collections::HashSet;
    use std::sync::{LazyLock, RwLock};

    const CAPACITY: usize = 256;

    static BASES: LazyLock<RwLock<HashSet<String>>> = LazyLock::new(RwLock::default);

    pub(super) fn contains(base: &str) -> bool {
        BASES.read().is_ok_and(|bases| bases.contains(base))
    }

    pub(super) fn insert(base: &str) {
        if let Ok(mut bases) = BASES.write() {
            if bases.len() >= CAPACITY {
                bases.clear();
            }
            bases.insert(base.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn resolve_quiet(model: &str, base: Option<&str>) -> Result<Target> {
        resolve_with_env(model, base, None, &no_env)
    }

    #[test]
    fn llamafile_defaults_match_litellm() {
        let t = resolve_quiet("llamafile/gemma-3-3b", None).unwrap();
        assert_eq!(t.provider.prefix, "llamafile");
        assert_eq!(t.model, "gemma-3-3b");
        assert_eq!(t.api_base.as_deref(), Some("http://127.0.0.1:8080/v1"));
        assert_eq!(t.api_key.as_ref().map(ApiKey::expose), Some("fake-api-key"));
        assert_eq!(
            t.endpoint_url(Endpoint::Chat).unwrap(),
            "http://127.0.0.1:8080/v1/chat/completions"
        );
    }

    #[test]
    fn llamafile_env_then_call_precedence_and_empty_means_unset() {
        let env = |name: &str| match name {
            "LLAMAFILE_API_BASE" => Some("http://10.0.0.5:9000/v1".to_owned()),
            "LLAMAFILE_API_KEY" => Some("secret".to_owned()),
            _ => None,
        };
        let t = resolve_with_env("llamafile/x", Some(""), Some(""), &env).unwrap();
        assert_eq!(t.api_base.as_deref(), Some("http://10.0.0.5:9000/v1"));
        assert_eq!(t.api_key.unwrap().expose(), "secret");
        let t =
            resolve_with_env("llamafile/x", Some("http://localhost:8080/v1"), None, &env).unwrap();
        assert_eq!(t.api_base.as_deref(), Some("http://localhost:8080/v1"));
        let empty_env = |_: &str| Some(String::new());
        let t = resolve_with_env("llamafile/x", None, None, &empty_env).unwrap();
        assert_eq!(t.api_base.as_deref(), Some("http://127.0.0.1:8080/v1"));
        assert_eq!(t.api_key.unwrap().expose(), "fake-api-key");
    }

    #[test]
    fn model_after_prefix_may_contain_slashes() {
        let t = resolve_quiet("llamafile/mistralai/mistral-7b-instruct-v0.2", None).unwrap();
        assert_eq!(t.model, "mistralai/mistral-7b-instruct-v0.2");
    }

    #[test]
    fn bare_openai_names_go_to_openai_and_unknown_bare_names_fail() {
        let t = resolve_quiet("gpt-4o-mini", None).unwrap();
        assert_eq!(t.provider.prefix, "openai");
        assert_eq!(t.api_base.as_deref(), Some("https://api.openai.com/v1"));
        let err = resolve_quiet("my-model", None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert!(err.message().contains("'llamafile/my-model'"), "{err}");
    }

    #[test]
    fn unknown_prefix_without_near_miss_lists_every_provider() {
        let err = resolve_quiet("zzzz/model", None).unwrap_err();
        assert!(
            err.message().contains("known providers are openai, "),
            "{err}"
        );
        assert!(err.message().contains("llamafile"), "{err}");
    }

    #[test]
    fn unknown_prefix_lists_closest_known_prefixes() {
        let err = resolve_quiet("llamafil/gemma", None).unwrap_err();
        assert!(err.message().contains("'llamafile/gemma'"), "{err}");
        let err = resolve_quiet("olama/llama3", None).unwrap_err();
        assert!(err.message().contains("'ollama/llama3'"), "{err}");
    }

    #[test]
    fn known_host_in_api_base_infers_the_provider() {
        let t = resolve_quiet("llama3-8b-8192", Some("https://api.groq.com/openai/v1")).unwrap();
        assert_eq!(t.provider.prefix, "groq");
        assert_eq!(t.model, "llama3-8b-8192");
    }

    #[test]
    fn endpoint_path_in_api_base_is_a_clear_error() {
        let t = resolve_quiet(
            "llamafile/x",
            Some("http://localhost:8080/v1/chat/completions"),
        )
        .unwrap();
        let err = t.endpoint_url(Endpoint::Chat).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert!(
            err.message()
                .contains("drop it and pass 'http://localhost:8080/v1'"),
            "{err}"
        );
    }

    #[test]
    fn trailing_slash_and_v1_are_not_duplicated() {
        let t = resolve_quiet("llamafile/x", Some("http://localhost:8080/v1/")).unwrap();
        assert_eq!(
            t.endpoint_url(Endpoint::Embeddings).unwrap(),
            "http://localhost:8080/v1/embeddings"
        );
        let t = resolve_quiet("ollama/llama3", None).unwrap();
        assert_eq!(
            t.endpoint_url(Endpoint::Chat).unwrap(),
            "http://localhost:11434/v1/chat/completions"
        );
        let t = resolve_quiet("ollama/llama3", Some("http://gpu:11434/v1")).unwrap();
        assert_eq!(
            t.endpoint_url(Endpoint::Chat).unwrap(),
            "http://gpu:11434/v1/chat/completions"
        );
    }

    #[test]
    fn provider_without_default_base_says_which_variable_to_set() {
        let t = resolve_quiet("hosted_vllm/llama", None).unwrap();
        assert_eq!(t.api_base, None);
        let err = t.endpoint_url(Endpoint::Chat).unwrap_err();
        assert!(err.message().contains("HOSTED_VLLM_API_BASE"), "{err}");
    }

    #[test]
    fn bad_scheme_is_rejected() {
        let t = resolve_quiet("llamafile/x", Some("ftp://host/v1")).unwrap();
        assert!(t.endpoint_url(Endpoint::Chat).is_err());
        let t = resolve_quiet("llamafile/x", Some("not a url")).unwrap();
        assert!(t.endpoint_url(Endpoint::Chat).is_err());
    }
}
