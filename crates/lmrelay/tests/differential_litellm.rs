//! Differential tests against LiteLLM itself (pinned by scripts/litellm-env.sh,
//! never 1.82.7 or 1.82.8): the same inputs through both, compared.
//!
//! Run by the README's test command with `--features differential` and
//! `LMRELAY_LITELLM_PYTHON` set to the venv's python. Where lmrelay differs
//! on purpose, the case is listed with the reason and lmrelay's own answer is
//! asserted, so a divergence is tested rather than skipped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
#![cfg(feature = "differential")]

#[path = "common/oracle.rs"]
mod oracle_support;

use std::collections::HashMap;

use lmrelay::providers::resolve_with_env;
use lmrelay::{ChatRequest, Client, ErrorKind};
use oracle_support::{oracle, repo_root};
use serde_json::{Value, json};

/// How a documented divergence is recognised.
enum On {
    /// The model string, exactly.
    Model(&'static str),
    /// The model string's start.
    ModelPrefix(&'static str),
    /// The host of the api_base given.
    Host(&'static str),
    /// An environment variable set by the case.
    Env(&'static str),
}

/// Cases where lmrelay resolves differently from LiteLLM 1.82.6 on purpose:
/// the matcher, the reason, and lmrelay's answer (a provider, `error`, or
/// `any` when only the API base differs).
const RESOLVE_DIVERGENCES: &[(On, &str, &str)] = &[
    (
        On::ModelPrefix("llamacpp/"),
        "lmrelay adds a llamacpp/ route for llama.cpp's own server; LiteLLM has none",
        "llamacpp",
    ),
    (
        On::Model("o1-mini"),
        "LiteLLM 1.82.6's static list lacks o1-mini; lmrelay sends every o1* name to OpenAI",
        "openai",
    ),
    (
        On::Model("gpt-3.5-turbo-instruct"),
        "LiteLLM routes bare *-instruct names to text-completion-openai; lmrelay keeps openai (both endpoints)",
        "openai",
    ),
    (
        On::Model("claude-3-5-sonnet-20240620"),
        "LiteLLM's bare-name list misses this Claude; lmrelay sends claude-* to Anthropic",
        "anthropic",
    ),
    (
        On::Model("claude-2"),
        "LiteLLM's bare-name list misses this Claude; lmrelay sends claude-* to Anthropic",
        "anthropic",
    ),
    (
        On::Model("gemini-1.5-pro"),
        "LiteLLM errors on this bare gemini-* name; lmrelay sends gemini-* to Vertex AI",
        "vertex_ai",
    ),
    (
        On::Model("azure/command-r-plus"),
        "LiteLLM rewrites azure/<cohere model> to openai; lmrelay keeps the azure prefix",
        "azure",
    ),
    (
        On::Model("anthropic/claude-2"),
        "LiteLLM picks its legacy anthropic_text route; lmrelay has one Anthropic route",
        "anthropic",
    ),
    (
        On::ModelPrefix("cohere/"),
        "LiteLLM names its chat route cohere_chat; lmrelay's cohere row is that route",
        "cohere",
    ),
    (
        On::Model("command-r"),
        "LiteLLM names its chat route cohere_chat; lmrelay's cohere row is that route",
        "cohere",
    ),
    (
        On::Model("openai/"),
        "an empty model after the prefix is an error in lmrelay (LiteLLM sends model '')",
        "error",
    ),
    (
        On::Model("llamafile/"),
        "an empty model after the prefix is an error in lmrelay (LiteLLM sends model '')",
        "error",
    ),
    (
        On::Host("api.together.xyz"),
        "LiteLLM returns provider None without an error for this host; lmrelay infers together_ai",
        "together_ai",
    ),
    (
        On::Host("api.x.ai"),
        "LiteLLM returns provider None without an error for this host; lmrelay infers xai",
        "xai",
    ),
    (
        On::Host("api.cerebras.ai"),
        "LiteLLM lists the host but errors; lmrelay infers cerebras from its table",
        "cerebras",
    ),
    (
        On::Host("api.fireworks.ai"),
        "LiteLLM lists the host but errors; lmrelay infers fireworks_ai from its table",
        "fireworks_ai",
    ),
    (
        On::Host("api.openai.com"),
        "LiteLLM errors on an unknown bare name at OpenAI's own host; lmrelay infers openai",
        "openai",
    ),
    (
        On::Host("proxy.local"),
        "LiteLLM matches known hosts anywhere in the URL; lmrelay compares the host only",
        "error",
    ),
    (
        On::Host("ollama.com"),
        "LiteLLM maps ollama.com to its native ollama route; lmrelay's ollama row is a local server",
        "error",
    ),
    (
        On::ModelPrefix("vllm/"),
        "LiteLLM's vllm/ runs the vllm Python library in-process; lmrelay has no in-process engines",
        "error",
    ),
    (
        On::ModelPrefix("huggingface/"),
        "Hugging Face's own protocol is not translated by lmrelay yet",
        "error",
    ),
    (
        On::Env("OPENAI_LIKE_API_BASE"),
        "LiteLLM ignores OPENAI_LIKE_API_BASE at resolution; lmrelay reads it",
        "any",
    ),
];

fn divergence_for(case: &Value) -> Option<&'static (On, &'static str, &'static str)> {
    let model = case["model"].as_str().unwrap_or("");
    let host = case["api_base"]
        .as_str()
        .and_then(|b| url::Url::parse(b).ok())
        .and_then(|u| u.host_str().map(str::to_owned));
    RESOLVE_DIVERGENCES.iter().find(|(on, _, _)| match on {
        On::Model(m) => model == *m,
        On::ModelPrefix(p) => model.starts_with(p),
        On::Host(h) => host.as_deref() == Some(*h),
        On::Env(v) => case.pointer(&format!("/env/{v}")).is_some(),
    })
}

#[test]
fn differential_resolution_matches_litellm_get_llm_provider() {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/differential/resolve_cases.json"))
            .unwrap(),
    )
    .unwrap();
    let results = oracle("resolve", &Value::Array(cases.clone()));
    assert_eq!(results.len(), cases.len());
    let mut agreed = 0;
    let mut diverged = Vec::new();
    let mut mismatches = Vec::new();
    for (case, litellm) in cases.iter().zip(&results) {
        let env: HashMap<String, String> = case
            .get("env")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let lookup = |name: &str| env.get(name).cloned();
        let ours = resolve_with_env(
            case["model"].as_str().unwrap(),
            case["api_base"].as_str(),
            case["api_key"].as_str(),
            &lookup,
        );
        let id = litellm["id"].as_str().unwrap_or("?").to_owned();
        if let Some((_, reason, expected)) = divergence_for(case) {
            let got = match &ours {
                Ok(t) => t.provider.prefix.clone(),
                Err(_) => "error".to_owned(),
            };
            if *expected != "any" && got != *expected {
                mismatches.push(format!(
                    "{id}: documented divergence ({reason}) expects {expected}, got {got}"
                ));
            }
            diverged.push(id);
            continue;
        }
        let problem = match (&ours, litellm["error"].is_null()) {
            (Err(err), false) => {
                assert_eq!(
                    err.kind(),
                    ErrorKind::BadRequest,
                    "{id}: LiteLLM raises BadRequestError"
                );
                None
            }
            (Err(err), true) => Some(format!(
                "{id}: lmrelay errors ({err}) but LiteLLM gives {litellm}"
            )),
            (Ok(t), false) => Some(format!(
                "{id}: LiteLLM errors ({}) but lmrelay gives {}",
                litellm["error"], t.provider.prefix
            )),
            (Ok(t), true) => {
                let mut problems = Vec::new();
                if litellm["provider"] != t.provider.prefix.as_str() {
                    problems.push(format!(
                        "provider {} vs {}",
                        litellm["provider"], t.provider.prefix
                    ));
                }
                if litellm["model"] != t.model.as_str() {
                    problems.push(format!("model {} vs {}", litellm["model"], t.model));
                }
                // LiteLLM passes an empty api_base through; both then use the default.
                match litellm["api_base"].as_str().filter(|b| !b.is_empty()) {
                    Some(base) if t.api_base.as_deref() != Some(base) => {
                        problems.push(format!("api_base {base} vs {:?}", t.api_base));
                    }
                    // LiteLLM fills some bases only at call time: ours must be
                    // the provider's default or an environment value then.
                    None if t.api_base.is_some()
                        && t.api_base != t.provider.api_base
                        && !t
                            .provider
                            .api_base_env
                            .iter()
                            .any(|v| env.get(v) == t.api_base.as_ref()) =>
                    {
                        problems.push(format!("api_base None vs {:?}", t.api_base));
                    }
                    _ => {}
                }
                let key = t.api_key.as_ref().map(|k| k.expose().to_owned());
                let expected_key = match litellm["api_key_source"].as_str() {
                    Some(src) if src.starts_with("placeholder:") => {
                        Some(src.strip_prefix("placeholder:").map(str::to_owned))
                    }
                    Some(src) if src.starts_with("env:") => Some(env.get(&src[4..]).cloned()),
                    Some("input") => Some(case["api_key"].as_str().map(str::to_owned)),
                    _ => None,
                };
                if let Some(expected) = expected_key
                    && key != expected
                {
                    problems.push(format!("key from {}", litellm["api_key_source"]));
                }
                (!problems.is_empty()).then(|| format!("{id}: {}", problems.join("; ")))
            }
        };
        match problem {
            Some(p) => mismatches.push(p),
            None => agreed += 1,
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(
        agreed >= 60,
        "only {agreed} cases agree (diverged on purpose: {diverged:?})"
    );
    eprintln!(
        "resolution: {agreed} cases agree with LiteLLM, {} documented divergences",
        diverged.len()
    );
}

/// (fault spec, lmrelay's kind when it differs from LiteLLM on purpose, reason)
const ERROR_CASES: &[(&str, Option<ErrorKind>, &str)] = &[
    ("status=400", None, ""),
    ("status=400,error=context", None, ""),
    ("status=400,error=content_policy", None, ""),
    (
        "status=400,error=llamacpp_context",
        Some(ErrorKind::ContextWindowExceeded),
        "llama.cpp's exceed_context_size_error is a context-window error; LiteLLM misses it",
    ),
    ("status=401", None, ""),
    ("status=401,error=invalid_key", None, ""),
    (
        "status=403",
        Some(ErrorKind::PermissionDenied),
        "a 403 is PermissionDenied; LiteLLM's OpenAI-compatible path reports a bare APIError",
    ),
    ("status=404,error=model_not_found", None, ""),
    ("status=404,error=text", None, ""),
    ("status=408", None, ""),
    ("status=409", None, ""),
    (
        "status=422",
        Some(ErrorKind::UnprocessableEntity),
        "a 422 keeps its own kind; LiteLLM's OpenAI-compatible path folds it into BadRequest",
    ),
    ("status=429", None, ""),
    ("status=500", None, ""),
    ("status=502", None, ""),
    ("status=503", None, ""),
    ("status=504", None, ""),
    ("status=529", None, ""),
    (
        "malformed",
        Some(ErrorKind::APIError),
        "a 200 whose body is not JSON is an APIError; LiteLLM reports a 500 InternalServerError",
    ),
];

#[test]
fn differential_error_kinds_match_litellm_exception_classes() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(mock_provider::start()).unwrap();
    let client = runtime.block_on(async { Client::new() }).unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/v1", listener.local_addr().unwrap())
    };
    let mut cases = Vec::new();
    for prefix in ["openai", "llamafile"] {
        for (spec, _, _) in ERROR_CASES {
            cases.push(json!({
                "name": format!("{prefix}|{spec}"),
                "model": format!("{prefix}/test-model"),
                "api_base": mock.fault_url(&format!("{spec},reply={prefix}")),
            }));
        }
        cases.push(json!({"name": format!("{prefix}|refused"), "model": format!("{prefix}/test-model"), "api_base": closed}));
    }
    let litellm = oracle("errors", &Value::Array(cases.clone()));
    let mut agreed = 0;
    let mut mismatches = Vec::new();
    for (case, theirs) in cases.iter().zip(&litellm) {
        let name = case["name"].as_str().unwrap();
        let ours = runtime
            .block_on(
                client.completion(
                    ChatRequest::new(case["model"].as_str().unwrap())
                        .user("hi")
                        .api_base(case["api_base"].as_str().unwrap())
                        .api_key("sk-test")
                        .num_retries(0),
                ),
            )
            .unwrap_err();
        let their_class = theirs["exception"].as_str().unwrap_or("none");
        assert_eq!(theirs["attempts"], 1, "{name}: LiteLLM made one attempt");
        let spec = name.split('|').nth(1).unwrap();
        if spec == "refused" {
            assert_eq!(
                their_class, "InternalServerError",
                "LiteLLM maps a refused connection to a 500"
            );
            assert_eq!(
                ours.kind(),
                ErrorKind::APIConnection,
                "lmrelay names it a connection error"
            );
            continue;
        }
        let (_, divergent, reason) = ERROR_CASES.iter().find(|(s, _, _)| *s == spec).unwrap();
        match divergent {
            Some(kind) => {
                if ours.kind() != *kind {
                    mismatches.push(format!(
                        "{name}: expected lmrelay {kind:?} ({reason}), got {:?}",
                        ours.kind()
                    ));
                }
                if their_class == kind.litellm_class() {
                    mismatches.push(format!(
                        "{name}: LiteLLM now agrees ({their_class}): drop the divergence"
                    ));
                }
            }
            None if ours.kind().litellm_class() == their_class => agreed += 1,
            None => mismatches.push(format!(
                "{name}: LiteLLM {their_class}, lmrelay {}",
                ours.kind().litellm_class()
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(agreed >= 24, "only {agreed} of the failing responses agree");
    eprintln!("errors: {agreed} failing responses give the same class as LiteLLM");
}
