//! Reads each section of the config tree into the validated types.

use std::collections::HashMap;
use std::time::Duration;

use lmrelay::ApiKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::fields::{Section, error};
use super::keys;
use super::source::kind;
use super::{
    CacheSettings, Config, ConfigEnv, ConfigWarning, Deployment, FallbackRule, GeneralSettings,
    RouterSettings, RoutingStrategy,
};
use crate::GatewayError;

/// Reads the whole tree.
pub fn read(
    file: &str,
    tree: &Value,
    env: &ConfigEnv,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Config, GatewayError> {
    let mut root = Section::new(file, String::new(), tree)?;
    let mut config = Config::default();
    let litellm = root.raw("litellm_settings").cloned().unwrap_or(Value::Null);
    let router = root.raw("router_settings").cloned().unwrap_or(Value::Null);
    let general = root.raw("general_settings").cloned().unwrap_or(Value::Null);
    root.raw("environment_variables");
    config.router = read_router(file, &litellm, &router, warnings)?;
    config.general = read_general(file, &general, env, warnings)?;
    (config.cache, config.cache_ttl, config.drop_params) = read_cache(file, &litellm, warnings)?;
    if let Some(list) = root.raw("model_list") {
        let Value::Array(items) = list else {
            return Err(root.error(
                "model_list",
                format!("is a {}, not a list", kind(list)),
                "write each deployment as a `- model_name: ...` item",
            ));
        };
        for (i, item) in items.iter().enumerate() {
            config
                .model_list
                .push(read_deployment(file, i, item, env, warnings)?);
        }
    }
    for key in root.unread() {
        warn_unknown(
            &root,
            key,
            keys::TOP_LEVEL,
            keys::TOP_LEVEL_LITELLM_ONLY,
            warnings,
        );
    }
    Ok(config)
}

/// A warning for a key lmrelay does not act on, with a typo suggestion.
fn warn_unknown(
    section: &Section<'_>,
    key: &str,
    implemented: &[&str],
    litellm_only: &[&str],
    warnings: &mut Vec<ConfigWarning>,
) {
    let message = if litellm_only.contains(&key) {
        "is a LiteLLM setting lmrelay does not implement yet; ignored".to_owned()
    } else if let Some(near) = keys::nearest(key, implemented) {
        format!("is not a setting lmrelay knows; ignored (did you mean `{near}`?)")
    } else {
        "is not implemented by lmrelay; ignored".to_owned()
    };
    warnings.push(ConfigWarning {
        path: section.child(key),
        message,
    });
}

fn read_router(
    file: &str,
    litellm: &Value,
    router: &Value,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<RouterSettings, GatewayError> {
    let mut settings = RouterSettings::default();
    // litellm_settings first, router_settings overriding it, as LiteLLM's
    // router is built from both.
    let mut l = Section::new(file, "litellm_settings".into(), litellm)?;
    if let Some(n) = l.u32("num_retries")? {
        settings.num_retries = n;
    }
    if let Some(t) = l.seconds("request_timeout")? {
        settings.timeout = t;
    }
    settings.fallbacks = fallbacks(&mut l, "fallbacks")?;
    settings.context_window_fallbacks = fallbacks(&mut l, "context_window_fallbacks")?;
    settings.content_policy_fallbacks = fallbacks(&mut l, "content_policy_fallbacks")?;
    settings.default_fallbacks = l.strings("default_fallbacks")?;
    for key in ["drop_params", "cache", "cache_params"] {
        l.raw(key);
    }
    for key in l.unread() {
        warn_unknown(
            &l,
            key,
            keys::LITELLM_SETTINGS,
            keys::LITELLM_SETTINGS_LITELLM_ONLY,
            warnings,
        );
    }

    let mut r = Section::new(file, "router_settings".into(), router)?;
    if let Some(name) = r.string("routing_strategy")? {
        settings.strategy = strategy(&mut r, &name, warnings)?;
    } else {
        r.raw("routing_strategy_args");
    }
    if let Some(n) = r.u32("num_retries")? {
        settings.num_retries = n;
    }
    if let Some(t) = r.seconds("timeout")? {
        settings.timeout = t;
    }
    settings.stream_timeout = r.seconds("stream_timeout")?;
    if let Some(n) = r.u32("allowed_fails")? {
        settings.allowed_fails = n;
    }
    if let Some(t) = r.seconds("cooldown_time")? {
        settings.cooldown_time = t;
    }
    settings.disable_cooldowns = r.bool("disable_cooldowns")?.unwrap_or(false);
    if let Some(t) = r.seconds("retry_after")? {
        settings.retry_after = t;
    }
    for (key, target) in [
        ("fallbacks", &mut settings.fallbacks),
        (
            "context_window_fallbacks",
            &mut settings.context_window_fallbacks,
        ),
        (
            "content_policy_fallbacks",
            &mut settings.content_policy_fallbacks,
        ),
    ] {
        let rules = fallbacks(&mut r, key)?;
        if !rules.is_empty() {
            *target = rules;
        }
    }
    let defaults = r.strings("default_fallbacks")?;
    if !defaults.is_empty() {
        settings.default_fallbacks = defaults;
    }
    if let Some(n) = r.u32("max_fallbacks")? {
        settings.max_fallbacks = n as usize;
    }
    settings.model_group_alias = aliases(&mut r)?;
    for key in r.unread() {
        warn_unknown(&r, key, keys::ROUTER_SETTINGS, &[], warnings);
    }
    Ok(settings)
}

fn strategy(
    r: &mut Section<'_>,
    name: &str,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<RoutingStrategy, GatewayError> {
    let mut args_value = Value::Null;
    if let Some(args) = r.raw("routing_strategy_args") {
        args_value = args.clone();
    }
    let file = r.file;
    let mut args = Section::new(file, r.child("routing_strategy_args"), &args_value)?;
    let chosen = match name {
        "simple-shuffle" => RoutingStrategy::SimpleShuffle,
        "least-busy" => RoutingStrategy::LeastBusy,
        "latency-based-routing" => RoutingStrategy::LatencyBased {
            buffer: args.f64("lowest_latency_buffer")?.unwrap_or(0.0),
            ttl: args.seconds("ttl")?.unwrap_or(Duration::from_secs(3600)),
        },
        "usage-based-routing" | "usage-based-routing-v2" => RoutingStrategy::UsageBased,
        "cost-based-routing" | "provider-budget-routing" => {
            warnings.push(ConfigWarning {
                path: r.child("routing_strategy"),
                message: format!(
                    "`{name}` is not implemented by lmrelay yet; simple-shuffle is used instead"
                ),
            });
            RoutingStrategy::SimpleShuffle
        }
        other => {
            return Err(r.error(
                "routing_strategy",
                format!("`{other}` is not a routing strategy"),
                "use one of simple-shuffle, least-busy, latency-based-routing, usage-based-routing-v2",
            ));
        }
    };
    for key in args.unread() {
        warnings.push(ConfigWarning {
            path: args.child(key),
            message: "is not implemented by lmrelay; ignored".into(),
        });
    }
    Ok(chosen)
}

/// LiteLLM's fallback lists: `[{"group": ["fb1", "fb2"]}, ...]` (a single
/// mapping is accepted too).
fn fallbacks(s: &mut Section<'_>, key: &'static str) -> Result<Vec<FallbackRule>, GatewayError> {
    let Some(value) = s.raw(key) else {
        return Ok(Vec::new());
    };
    let fix = "write `- group: [fallback-group, ...]` items";
    let entries: Vec<&Map<String, Value>> = match value {
        Value::Array(items) => items
            .iter()
            .filter(|item| !item.is_null())
            .map(|item| match item {
                Value::Object(map) => Ok(map),
                other => Err(s.error(
                    key,
                    format!("has a {} item, not a mapping", kind(other)),
                    fix,
                )),
            })
            .collect::<Result<_, _>>()?,
        Value::Object(map) => vec![map],
        other => return Err(s.error(key, format!("is a {}, not a list", kind(other)), fix)),
    };
    let mut rules = Vec::new();
    for map in entries {
        for (from, to) in map {
            let to = match to {
                Value::String(one) => vec![one.clone()],
                Value::Array(items) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(s.error(
                            key,
                            format!("lists a {} under `{from}`, not a model group", kind(other)),
                            fix,
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                other => {
                    return Err(s.error(
                        key,
                        format!("maps `{from}` to a {}, not a list of groups", kind(other)),
                        fix,
                    ));
                }
            };
            rules.push(FallbackRule {
                from: from.clone(),
                to,
            });
        }
    }
    Ok(rules)
}

/// `model_group_alias`: `{alias: group}` or `{alias: {model: group, hidden: bool}}`.
fn aliases(r: &mut Section<'_>) -> Result<HashMap<String, String>, GatewayError> {
    let Some(value) = r.raw("model_group_alias") else {
        return Ok(HashMap::new());
    };
    let Value::Object(map) = value else {
        return Err(r.error(
            "model_group_alias",
            format!("is a {}, not a mapping", kind(value)),
            "write `alias: model-group` lines",
        ));
    };
    let mut out = HashMap::new();
    for (alias, target) in map {
        let group = match target {
            Value::String(s) => s.clone(),
            Value::Object(o) => match o.get("model") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    return Err(r.error(
                        "model_group_alias",
                        format!("`{alias}` has no `model`"),
                        "write `alias: {model: model-group}`",
                    ));
                }
            },
            other => {
                return Err(r.error(
                    "model_group_alias",
                    format!("`{alias}` maps to a {}", kind(other)),
                    "map each alias to a model group name",
                ));
            }
        };
        out.insert(alias.clone(), group);
    }
    Ok(out)
}

fn read_general(
    file: &str,
    general: &Value,
    env: &ConfigEnv,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<GeneralSettings, GatewayError> {
    let mut g = Section::new(file, "general_settings".into(), general)?;
    let mut settings = GeneralSettings {
        // As LiteLLM: the config's key, else LITELLM_MASTER_KEY; likewise
        // DATABASE_URL.
        master_key: g
            .string("master_key")?
            .or_else(|| env.get("LITELLM_MASTER_KEY"))
            .filter(|k| !k.is_empty())
            .map(ApiKey::new),
        database_url: g
            .string("database_url")?
            .or_else(|| env.get("DATABASE_URL"))
            .filter(|k| !k.is_empty())
            .map(ApiKey::new),
        ..GeneralSettings::default()
    };
    if let Some(mb) = g.f64("max_request_size_mb")? {
        settings.max_request_size = (mb * 1024.0 * 1024.0) as usize;
    }
    settings.max_parallel_requests = g.u32("max_parallel_requests")?;
    settings.global_max_parallel_requests = g.u32("global_max_parallel_requests")?;
    settings.allowed_api_bases = g.strings("allowed_api_bases")?;
    if g.bool("allow_client_side_credentials")? == Some(true)
        && settings.allowed_api_bases.is_empty()
    {
        warnings.push(ConfigWarning {
            path: g.child("allow_client_side_credentials"),
            message: "lmrelay still refuses a client's api_base unless it is listed in \
                      general_settings.allowed_api_bases (LiteLLM's open setting let callers \
                      steer the gateway's keys to any host)"
                .into(),
        });
    }
    settings.disable_spend_logs = g.bool("disable_spend_logs")?.unwrap_or(false);
    for key in g.unread() {
        warn_unknown(&g, key, keys::GENERAL_SETTINGS, &[], warnings);
    }
    Ok(settings)
}

fn read_cache(
    file: &str,
    litellm: &Value,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(Option<CacheSettings>, Option<Duration>, bool), GatewayError> {
    let mut l = Section::new(file, "litellm_settings".into(), litellm)?;
    let drop_params = l.bool("drop_params")?.unwrap_or(false);
    if l.bool("cache")? != Some(true) {
        return Ok((None, None, drop_params));
    }
    let params = l.raw("cache_params").cloned().unwrap_or(Value::Null);
    let mut p = Section::new(file, "litellm_settings.cache_params".into(), &params)?;
    let kind_name = p.string("type")?.unwrap_or_else(|| "local".into());
    let ttl = p.seconds("ttl")?;
    let cache = match kind_name.as_str() {
        "local" => Some(CacheSettings::Local),
        "disk" => Some(CacheSettings::Disk(
            p.string("disk_cache_dir")?
                .unwrap_or_else(|| ".litellm_cache".into()),
        )),
        "redis" => {
            let url = match p.string("url")? {
                Some(url) => url,
                None => {
                    let host = p.string("host")?.unwrap_or_else(|| "localhost".into());
                    let port = p.string("port")?.unwrap_or_else(|| "6379".into());
                    match p.string("password")? {
                        Some(pw) if !pw.is_empty() => format!("redis://:{pw}@{host}:{port}"),
                        _ => format!("redis://{host}:{port}"),
                    }
                }
            };
            Some(CacheSettings::Redis(url))
        }
        other => {
            warnings.push(ConfigWarning {
                path: p.child("type"),
                message: format!(
                    "cache type `{other}` is not implemented by lmrelay; caching is off"
                ),
            });
            None
        }
    };
    for key in p.unread() {
        warnings.push(ConfigWarning {
            path: p.child(key),
            message: "is not implemented by lmrelay; ignored".into(),
        });
    }
    Ok((cache, ttl, drop_params))
}

/// A stable id for a deployment without `model_info.id` (no secrets hashed).
pub fn deployment_id(model_name: &str, model: &str, api_base: Option<&str>) -> String {
    let mut hash = Sha256::new();
    hash.update(model_name.as_bytes());
    hash.update([0]);
    hash.update(model.as_bytes());
    hash.update([0]);
    hash.update(api_base.unwrap_or("").as_bytes());
    let digest = hash.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn read_deployment(
    file: &str,
    index: usize,
    item: &Value,
    env: &ConfigEnv,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Deployment, GatewayError> {
    let path = format!("model_list[{index}]");
    let mut entry = Section::new(file, path.clone(), item)?;
    let model_name = entry.required_string("model_name", "my-model")?;
    let Some(params_value) = entry.raw("litellm_params") else {
        return Err(error(
            file,
            &format!("{path}.litellm_params"),
            "is missing".into(),
            "add `litellm_params:` with at least `model: provider/model-name`",
        ));
    };
    let model_info = entry.raw("model_info").cloned().unwrap_or(Value::Null);
    for key in entry.unread() {
        warnings.push(ConfigWarning {
            path: entry.child(key),
            message: "is not a model_list field lmrelay knows; ignored".into(),
        });
    }
    let mut p = Section::new(file, format!("{path}.litellm_params"), params_value)?;
    let mut model = p.required_string("model", "openai/gpt-4o-mini")?;
    if let Some(provider) = p.string("custom_llm_provider")?
        && !model.starts_with(&format!("{provider}/"))
    {
        model = format!("{provider}/{model}");
    }
    let api_base = match p.string("api_base")? {
        Some(base) => Some(base),
        None => p.string("base_url")?,
    };
    let api_key = p.string("api_key")?;
    let mut extra_headers = Vec::new();
    if let Some(org) = p.string("organization")? {
        extra_headers.push(("OpenAI-Organization".to_owned(), org));
    }
    if let Some(headers) = p.raw("extra_headers") {
        let Value::Object(map) = headers else {
            return Err(p.error(
                "extra_headers",
                format!("is a {}, not a mapping", kind(headers)),
                "write `Header-Name: value` lines",
            ));
        };
        for (name, value) in map {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            extra_headers.push((name.clone(), value));
        }
    }
    // Fill in the key and base from the config's own environment_variables,
    // which lmrelay does not write into the process environment.
    // A wildcard deployment (`openai/*`) is checked with a stand-in name.
    let target = lmrelay::providers::resolve_with_env(
        &model.replace('*', "any-model"),
        api_base.as_deref(),
        api_key.as_deref(),
        &|name| env.get(name),
    );
    let (api_base, api_key) = match target {
        // `model: "*"` forwards whatever the client asked for: nothing to check.
        _ if model.starts_with('*') => (api_base, api_key.map(ApiKey::new)),
        Ok(t) => (
            api_base.or(t.api_base),
            api_key.map(ApiKey::new).or(t.api_key),
        ),
        Err(err) => {
            warnings.push(ConfigWarning {
                path: p.child("model"),
                message: format!(
                    "lmrelay cannot route `{model}` ({}); requests to this deployment will fail",
                    err.message()
                ),
            });
            (api_base, api_key.map(ApiKey::new))
        }
    };
    let aws = lmrelay::AwsOptions {
        access_key_id: p.string("aws_access_key_id")?,
        secret_access_key: p.string("aws_secret_access_key")?.map(ApiKey::new),
        session_token: p.string("aws_session_token")?.map(ApiKey::new),
        region: p.string("aws_region_name")?,
        profile: p.string("aws_profile_name")?,
    };
    let vertex = lmrelay::VertexOptions {
        project: p.string("vertex_project")?,
        location: p.string("vertex_location")?,
        credentials: match p.raw("vertex_credentials") {
            None => None,
            Some(Value::String(s)) => Some(ApiKey::new(s.clone())),
            Some(other) => Some(ApiKey::new(other.to_string())),
        },
        ..lmrelay::VertexOptions::default()
    };
    let id = match model_info.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => deployment_id(&model_name, &model, api_base.as_deref()),
    };
    let mut deployment = Deployment {
        id,
        model_name,
        api_version: p.string("api_version")?,
        rpm: p.u64("rpm")?,
        tpm: p.u64("tpm")?,
        timeout: p.seconds("timeout")?,
        stream_timeout: p.seconds("stream_timeout")?,
        weight: p.f64("weight")?,
        order: p.u32("order")?,
        mock_response: p.string("mock_response")?,
        input_cost_per_token: p.decimal("input_cost_per_token")?,
        output_cost_per_token: p.decimal("output_cost_per_token")?,
        extra_headers,
        model,
        api_base,
        api_key,
        aws,
        vertex,
        defaults: Map::new(),
        model_info,
    };
    for key in p.unread() {
        if keys::LITELLM_INTERNAL_PARAMS.contains(&key) {
            warnings.push(ConfigWarning {
                path: p.child(key),
                message: if key == "max_retries" || key == "num_retries" {
                    "ignored: lmrelay retries in the router only (router_settings.num_retries), \
                     so retries never multiply"
                        .into()
                } else {
                    "is a LiteLLM setting lmrelay does not implement yet; ignored".into()
                },
            });
        } else if let Some(value) = p.map.get(key).filter(|v| !v.is_null()) {
            // Anything else is a provider parameter, sent with each request.
            if let Some(near) = keys::nearest(key, keys::LITELLM_PARAMS) {
                warnings.push(ConfigWarning {
                    path: p.child(key),
                    message: format!(
                        "is sent to the provider as a request parameter (did you mean `{near}`?)"
                    ),
                });
            }
            deployment.defaults.insert(key.to_owned(), value.clone());
        }
    }
    Ok(deployment)
}
