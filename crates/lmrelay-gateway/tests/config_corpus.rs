//! LiteLLM's own config files (copied verbatim from its wheel, repository
//! and docs; see tests/data/litellm_configs/SOURCES.md) load unchanged:
//! what lmrelay implements is read, what it does not is a warning naming
//! the key, and nothing fails that LiteLLM accepts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::{Path, PathBuf};

use lmrelay_gateway::config::{self, Loaded};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/litellm_configs")
}

/// Files LiteLLM itself cannot start with, and why.
const LITELLM_REJECTS: &[(&str, &str)] = &[(
    "wheel__proxy__example_config_yaml__langfuse_config.yaml",
    // router.py set_model_list: `model.pop("litellm_params")` raises KeyError.
    "model_list[0].litellm_params: is missing",
)];

/// Files only ever included by others.
const INCLUDED_ONLY: &[&str] = &[
    "included_models.yaml",
    "models_file_1.yaml",
    "models_file_2.yaml",
];

fn load(name: &str) -> Loaded {
    config::load(&corpus().join(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

#[test]
fn every_litellm_config_in_the_corpus_loads() {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && !INCLUDED_ONLY.contains(&n.as_str()))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "only {} configs", names.len());
    let mut failures = Vec::new();
    let mut deployments = 0;
    for name in &names {
        let result = config::load(&corpus().join(name));
        if let Some((_, expected)) = LITELLM_REJECTS.iter().find(|(n, _)| n == name) {
            let err = result.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(expected), "{name}: {err}");
            assert!(err.contains("fix: add `litellm_params:`"), "{name}: {err}");
            continue;
        }
        match result {
            Ok(loaded) => {
                deployments += loaded.config.model_list.len();
                for w in &loaded.warnings {
                    assert!(!w.path.is_empty() && !w.message.is_empty(), "{name}: {w}");
                }
                println!(
                    "{name}: {} deployments, {} warnings",
                    loaded.config.model_list.len(),
                    loaded.warnings.len()
                );
                for w in &loaded.warnings {
                    println!("    {w}");
                }
            }
            Err(err) => failures.push(format!("{name}: {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(deployments > 100, "{deployments}");
}

#[test]
fn include_appends_the_included_model_list() {
    let loaded =
        load("repo__tests__proxy_unit_tests__example_config_yaml__config_with_include.yaml");
    let names: Vec<&str> = loaded
        .config
        .model_list
        .iter()
        .map(|d| d.model_name.as_str())
        .collect();
    assert_eq!(names, ["included-model"]);
    assert_eq!(loaded.config.model_list[0].model, "gpt-4");
    let warned: Vec<&str> = loaded.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(warned, ["litellm_settings.callbacks"]);
}

#[test]
fn provider_parameters_become_request_defaults_and_aliases_route() {
    let loaded = load("wheel__proxy__example_config_yaml__aliases_config.yaml");
    let turbo = loaded
        .config
        .model_list
        .iter()
        .find(|d| d.model_name == "gpt-3.5-turbo")
        .unwrap();
    assert_eq!(turbo.model, "ollama/llama2");
    assert_eq!(turbo.defaults["temperature"], 0.1);
    assert_eq!(turbo.defaults["max_tokens"], 20);
}

#[test]
fn fallbacks_retries_strategy_and_master_key_are_read() {
    let loaded = load("docs_configs_11.yaml");
    let router = &loaded.config.router;
    assert_eq!(
        router.num_retries, 2,
        "router_settings wins over litellm_settings"
    );
    assert_eq!(router.fallbacks.len(), 1);
    assert_eq!(router.fallbacks[0].from, "zephyr-beta");
    assert_eq!(router.fallbacks[0].to, ["gpt-4o"]);
    assert_eq!(router.context_window_fallbacks.len(), 2);
    let server = load("repo__proxy_server_config.yaml");
    assert_eq!(
        server.config.router.strategy,
        lmrelay_gateway::config::RoutingStrategy::UsageBased
    );
    let key = server.config.general.master_key.as_ref().unwrap();
    assert_eq!(key.expose(), "sk-1234");
    assert_eq!(format!("{key:?}"), "ApiKey(***)");
}

#[test]
fn underscored_numbers_and_repeated_keys_read_as_pyyaml_reads_them() {
    let azure = load("wheel__proxy__example_config_yaml__azure_config.yaml");
    assert_eq!(azure.config.model_list[0].tpm, Some(20_000));
    // `success_callback` appears twice; the file still loads (last one wins).
    let env = load("repo__tests__proxy_unit_tests__example_config_yaml__config_with_env_vars.yaml");
    assert!(
        env.warnings
            .iter()
            .any(|w| w.path == "litellm_settings.success_callback"),
        "{:?}",
        env.warnings
    );
}
