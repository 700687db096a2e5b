//! Wrong values in a config.yaml are errors that name the file, the path and
//! the fix; keys lmrelay does not act on are warnings naming them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use lmrelay_gateway::config::load_str;

fn error_of(yaml: &str) -> String {
    match load_str(yaml, "config.yaml") {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn wrong_values_name_the_path_and_the_fix() {
    let cases = [
        (
            "model_list:\n  - model_name: a\n    litellm_params: {model: openai/x, rpm: lots}\n",
            "config.yaml: model_list[0].litellm_params.rpm: is \"lots\", not a whole number; fix: write a number such as 100",
        ),
        (
            "model_list:\n  - litellm_params: {model: openai/x}\n",
            "config.yaml: model_list[0].model_name: is missing; fix: add `model_name: my-model`",
        ),
        (
            "model_list: {a: 1}\n",
            "config.yaml: model_list: is a mapping, not a list",
        ),
        (
            "router_settings:\n  routing_strategy: fastest\n",
            "`fastest` is not a routing strategy; fix: use one of simple-shuffle, least-busy",
        ),
        (
            "router_settings:\n  fallbacks: [\"gpt-4\"]\n",
            "config.yaml: router_settings.fallbacks: has a string item, not a mapping",
        ),
        (
            "general_settings:\n  max_request_size_mb: -1\n",
            "general_settings.max_request_size_mb: is -1, not a number of zero or more",
        ),
        (
            "model_list:\n- model_name: a\n  litellm_params:\n\tmodel: x\n",
            "config.yaml: not valid YAML",
        ),
        (
            "environment_variables:\n  A: [1, 2]\n",
            "config.yaml: environment_variables.A: is a list, not a text value",
        ),
    ];
    for (yaml, expected) in cases {
        let err = error_of(yaml);
        assert!(
            err.contains(expected),
            "for:\n{yaml}\ngot: {err}\nwanted: {expected}"
        );
    }
}

#[test]
fn ignored_keys_and_typos_are_named_in_warnings() {
    let loaded = load_str(
        "general_settings:\n  master_kye: sk-1\n  alerting: [slack]\nrouter_settings:\n  routing_stratgy: least-busy\nguardrails: []\nmodel_list:\n  - model_name: a\n    litellm_params: {model: openai/x, api_bsae: 'http://h', tags: [t]}\n",
        "config.yaml",
    )
    .unwrap();
    let text: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    let has = |needle: &str| text.iter().any(|w| w.contains(needle));
    assert!(
        has(
            "general_settings.master_kye: is not a setting lmrelay knows; ignored (did you mean `master_key`?)"
        ),
        "{text:#?}"
    );
    assert!(
        has("general_settings.alerting: is not implemented by lmrelay; ignored"),
        "{text:#?}"
    );
    assert!(
        has(
            "router_settings.routing_stratgy: is not a setting lmrelay knows; ignored (did you mean `routing_strategy`?)"
        ),
        "{text:#?}"
    );
    assert!(
        has("guardrails: is a LiteLLM setting lmrelay does not implement yet"),
        "{text:#?}"
    );
    assert!(
        has(
            "model_list[0].litellm_params.api_bsae: is sent to the provider as a request parameter (did you mean `api_base`?)"
        ),
        "{text:#?}"
    );
    assert!(
        has(
            "model_list[0].litellm_params.tags: is a LiteLLM setting lmrelay does not implement yet"
        ),
        "{text:#?}"
    );
    assert!(loaded.config.general.master_key.is_none());
}

#[test]
fn environment_variables_feed_references_and_provider_keys() {
    let loaded = load_str(
        "environment_variables:\n  LMRELAY_TEST_BASE: http://10.1.2.3:9/v1\n  OPENAI_API_KEY: sk-from-config\nmodel_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      api_base: os.environ/LMRELAY_TEST_BASE\n",
        "config.yaml",
    )
    .unwrap();
    let d = &loaded.config.model_list[0];
    assert_eq!(d.api_base.as_deref(), Some("http://10.1.2.3:9/v1"));
    assert_eq!(
        d.api_key.as_ref().map(|k| k.expose().to_owned()).as_deref(),
        Some("sk-from-config")
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}
