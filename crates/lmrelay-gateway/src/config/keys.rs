//! Which keys of LiteLLM's config lmrelay knows, so an ignored one is named
//! in a warning and a likely typo gets a suggestion.

/// Top-level sections lmrelay reads.
pub const TOP_LEVEL: &[&str] = &[
    "model_list",
    "litellm_settings",
    "router_settings",
    "general_settings",
    "environment_variables",
];

/// Top-level sections LiteLLM has and lmrelay does not implement yet.
pub const TOP_LEVEL_LITELLM_ONLY: &[&str] = &[
    "guardrails",
    "callback_settings",
    "mcp_servers",
    "mcp_aliases",
    "mcp_tool_permissions",
    "credential_list",
    "vector_store_registry",
    "search_tools",
    "files_settings",
    "finetune_settings",
    "assistant_settings",
    "prompts",
    "pass_through_endpoints",
    "model_group_settings",
    "agent_list",
    "retry_policy",
];

/// `litellm_settings` keys lmrelay acts on.
pub const LITELLM_SETTINGS: &[&str] = &[
    "num_retries",
    "request_timeout",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "default_fallbacks",
    "drop_params",
    "cache",
    "cache_params",
];

/// `litellm_settings` keys LiteLLM has and lmrelay does not implement yet
/// (any `litellm.*` attribute is allowed there; these are the common ones).
pub const LITELLM_SETTINGS_LITELLM_ONLY: &[&str] = &[
    "callbacks",
    "success_callback",
    "failure_callback",
    "service_callback",
    "set_verbose",
    "json_logs",
    "telemetry",
    "guardrails",
    "default_team_settings",
    "allowed_fails",
    "max_budget",
    "budget_duration",
    "redact_user_api_key_info",
    "turn_off_message_logging",
    "modify_params",
    "enable_json_schema_validation",
    "upperbound_key_generate_params",
    "default_key_generate_params",
    "max_internal_user_budget",
    "internal_user_budget_duration",
    "request_timeout",
    "force_ipv4",
    "enable_preview_features",
    "callback_settings",
    "return_response_headers",
];

/// `router_settings` keys lmrelay acts on.
pub const ROUTER_SETTINGS: &[&str] = &[
    "routing_strategy",
    "routing_strategy_args",
    "num_retries",
    "timeout",
    "stream_timeout",
    "allowed_fails",
    "cooldown_time",
    "disable_cooldowns",
    "retry_after",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "default_fallbacks",
    "max_fallbacks",
    "model_group_alias",
];

/// `general_settings` keys lmrelay acts on.
pub const GENERAL_SETTINGS: &[&str] = &[
    "master_key",
    "database_url",
    "max_request_size_mb",
    "max_parallel_requests",
    "global_max_parallel_requests",
    "allowed_api_bases",
    "allow_client_side_credentials",
    "disable_spend_logs",
];

/// `litellm_params` keys lmrelay reads itself (everything else that is not
/// LiteLLM-internal is sent to the provider, as LiteLLM does).
pub const LITELLM_PARAMS: &[&str] = &[
    "model",
    "api_base",
    "base_url",
    "api_key",
    "api_version",
    "rpm",
    "tpm",
    "timeout",
    "stream_timeout",
    "weight",
    "order",
    "custom_llm_provider",
    "organization",
    "mock_response",
    "input_cost_per_token",
    "output_cost_per_token",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_region_name",
    "aws_profile_name",
    "vertex_project",
    "vertex_location",
    "vertex_credentials",
    "extra_headers",
];

/// LiteLLM-internal `litellm_params` keys: never sent upstream; lmrelay
/// warns that it ignores them (LiteLLM's `all_litellm_params`,
/// `GenericLiteLLMParams` and its credential fields).
pub const LITELLM_INTERNAL_PARAMS: &[&str] = &[
    "metadata",
    "litellm_metadata",
    "litellm_trace_id",
    "guardrails",
    "tags",
    "tag_regex",
    "caching",
    "mock_timeout",
    "prompt_id",
    "prompt_variables",
    "prompt_version",
    "prompt_label",
    "litellm_system_prompt",
    "provider_specific_header",
    "force_timeout",
    "headers",
    "num_retries",
    "max_retries",
    "fallbacks",
    "context_window_fallback_dict",
    "retry_policy",
    "roles",
    "final_prompt_value",
    "bos_token",
    "eos_token",
    "request_timeout",
    "max_parallel_requests",
    "input_cost_per_second",
    "output_cost_per_second",
    "hf_model_name",
    "model_info",
    "ttl",
    "cache",
    "base_model",
    "supports_system_message",
    "region_name",
    "allowed_model_region",
    "cooldown_time",
    "azure_ad_token",
    "azure_ad_token_provider",
    "tenant_id",
    "client_id",
    "client_secret",
    "azure_username",
    "azure_password",
    "azure_scope",
    "user_continue_message",
    "assistant_continue_message",
    "configurable_clientside_auth_params",
    "ensure_alternating_roles",
    "max_fallbacks",
    "max_budget",
    "budget_duration",
    "use_in_pass_through",
    "use_litellm_proxy",
    "merge_reasoning_content_in_choices",
    "litellm_credential_name",
    "allowed_openai_params",
    "additional_drop_params",
    "drop_params",
    "max_file_size_mb",
    "default_api_key_tpm_limit",
    "default_api_key_rpm_limit",
    "auto_router_config_path",
    "auto_router_config",
    "auto_router_default_model",
    "auto_router_embedding_model",
    "complexity_router_config",
    "complexity_router_default_model",
    "gcs_bucket_name",
    "vector_store_id",
    "milvus_text_field",
    "aws_role_name",
    "aws_session_name",
    "aws_web_identity_token",
    "aws_sts_endpoint",
    "aws_bedrock_runtime_endpoint",
    "aws_external_id",
    "vertex_ai_project",
    "vertex_ai_location",
    "vertex_ai_credentials",
    "watsonx_region_name",
    "cache_control_injection_points",
    "enable_json_schema_validation",
    "search_tool_name",
];

/// The known key nearest to `key` (Jaro-Winkler similarity of at least 0.9).
pub fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(score, _)| *score >= 0.9)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_a_suggestion_and_strangers_do_not() {
        assert_eq!(nearest("master_kye", GENERAL_SETTINGS), Some("master_key"));
        assert_eq!(
            nearest("routing_stratgy", ROUTER_SETTINGS),
            Some("routing_strategy")
        );
        assert_eq!(nearest("alerting", GENERAL_SETTINGS), None);
    }
}
