//! The router: model groups of deployments, a routing strategy, cooldowns,
//! retries within a group and fallbacks to other groups, as LiteLLM's
//! `Router` does for its proxy. Retries happen here only (the SDK is called
//! with `num_retries = 0`), so they never multiply.

mod run;
pub mod state;
mod strategy;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lmrelay::{CallOptions, MockResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use run::Served;
pub use state::DeploymentState;

use crate::GatewayError;
use crate::config::{Config, Deployment, RouterSettings};

/// A model group: the deployments serving one public model name.
#[derive(Debug)]
pub struct Group {
    /// The name clients ask for.
    pub name: String,
    /// Its deployments, in config order.
    pub deployments: Vec<Arc<DeploymentState>>,
}

/// Where one attempt goes: a deployment and the model string to send.
#[derive(Debug, Clone)]
pub struct Target {
    /// The chosen deployment.
    pub deployment: Arc<DeploymentState>,
    /// The lmrelay model string (a wildcard group's `*` filled in).
    pub model: String,
}

/// The router over a config's `model_list`.
#[derive(Debug)]
pub struct Router {
    groups: HashMap<String, Arc<Group>>,
    /// Wildcard groups (`openai/*`, `*`), most specific first.
    wildcards: Vec<Arc<Group>>,
    settings: RouterSettings,
    drop_params: bool,
    epoch: Instant,
}

impl Router {
    /// A router over `config`'s deployments.
    pub fn new(config: &Config) -> Self {
        let mut groups: HashMap<String, Vec<Arc<DeploymentState>>> = HashMap::new();
        let mut order = Vec::new();
        for d in &config.model_list {
            if !groups.contains_key(&d.model_name) {
                order.push(d.model_name.clone());
            }
            groups
                .entry(d.model_name.clone())
                .or_default()
                .push(Arc::new(DeploymentState::new(d.clone())));
        }
        let groups: HashMap<String, Arc<Group>> = groups
            .into_iter()
            .map(|(name, deployments)| (name.clone(), Arc::new(Group { name, deployments })))
            .collect();
        let mut wildcards: Vec<Arc<Group>> = order
            .iter()
            .filter(|name| name.contains('*'))
            .filter_map(|name| groups.get(name).cloned())
            .collect();
        // The longest literal part first: `openai/*` before `*`.
        wildcards.sort_by_key(|g| std::cmp::Reverse(g.name.replace('*', "").len()));
        Self {
            groups,
            wildcards,
            settings: config.router.clone(),
            drop_params: config.drop_params,
            epoch: Instant::now(),
        }
    }

    /// The router's settings.
    pub fn settings(&self) -> &RouterSettings {
        &self.settings
    }

    /// Every group with a literal name, for `/v1/models`, in no set order.
    pub fn groups(&self) -> impl Iterator<Item = &Arc<Group>> {
        self.groups.values()
    }

    /// The public names clients may ask for: groups, then aliases, sorted.
    pub fn public_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .groups
            .keys()
            .filter(|n| !n.contains('*'))
            .cloned()
            .chain(self.settings.model_group_alias.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The group serving `requested` and, for wildcard groups, the part the
    /// `*` matched.
    pub fn group(&self, requested: &str) -> Option<(Arc<Group>, Option<String>)> {
        if let Some(g) = self.groups.get(requested) {
            return Some((Arc::clone(g), None));
        }
        if let Some(target) = self.settings.model_group_alias.get(requested)
            && let Some(g) = self.groups.get(target)
        {
            return Some((Arc::clone(g), None));
        }
        self.wildcards.iter().find_map(|g| {
            wildcard_match(&g.name, requested).map(|part| (Arc::clone(g), Some(part.to_owned())))
        })
    }

    /// The model string a deployment is sent for one request.
    pub fn model_for(deployment: &Deployment, wildcard: Option<&str>) -> String {
        match wildcard {
            Some(part) if deployment.model.contains('*') => deployment.model.replacen('*', part, 1),
            _ => deployment.model.clone(),
        }
    }

    /// The SDK options for one attempt at `deployment` (no SDK retries).
    pub fn options(&self, deployment: &Deployment, stream: bool) -> CallOptions {
        let timeout = deployment.timeout.unwrap_or(self.settings.timeout);
        let stream_timeout = deployment
            .stream_timeout
            .or(self.settings.stream_timeout)
            .filter(|_| stream);
        CallOptions {
            api_base: deployment.api_base.clone(),
            api_key: deployment.api_key.clone(),
            api_version: deployment.api_version.clone(),
            timeout: Some(timeout),
            first_chunk_timeout: stream_timeout,
            idle_timeout: stream_timeout,
            num_retries: Some(0),
            mock_response: deployment.mock_response.as_deref().map(MockResponse::from),
            drop_params: self.drop_params,
            extra_headers: deployment.extra_headers.clone(),
            aws: deployment.aws.clone(),
            vertex: deployment.vertex.clone(),
            ..CallOptions::default()
        }
    }

    /// When a deployment's cooldown ends, if it is cooling down.
    pub fn cooldown_remaining(&self, deployment: &DeploymentState) -> Option<Duration> {
        let now = Instant::now();
        deployment.cooldown_until(now).map(|until| until - now)
    }

    /// The instant usage minutes count from.
    pub fn epoch(&self) -> Instant {
        self.epoch
    }
}

/// What `*` matched when `pattern` (one `*`) matches `name`.
fn wildcard_match<'n>(pattern: &str, name: &'n str) -> Option<&'n str> {
    let (prefix, suffix) = pattern.split_once('*')?;
    if name.len() >= prefix.len() + suffix.len()
        && name.starts_with(prefix)
        && name.ends_with(suffix)
    {
        name.get(prefix.len()..name.len() - suffix.len())
    } else {
        None
    }
}

/// `body` with each of a deployment's `defaults` the request did not set.
pub fn with_defaults<B: Serialize + DeserializeOwned>(
    body: B,
    defaults: &Map<String, Value>,
) -> Result<B, GatewayError> {
    if defaults.is_empty() {
        return Ok(body);
    }
    let mut value = serde_json::to_value(&body).map_err(|err| {
        GatewayError::BadRequest(format!("the request cannot be re-encoded: {err}"))
    })?;
    if let Value::Object(map) = &mut value {
        for (key, default) in defaults {
            match map.get(key) {
                None | Some(Value::Null) => {
                    map.insert(key.clone(), default.clone());
                }
                Some(_) => {}
            }
        }
    }
    serde_json::from_value(value).map_err(|err| {
        GatewayError::BadRequest(format!(
            "a model_list default does not fit this request: {err}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    fn router(yaml: &str) -> Router {
        let loaded = load_str(yaml, "t.yaml").unwrap_or_else(|e| unreachable!("{e}"));
        Router::new(&loaded.config)
    }

    #[test]
    fn groups_aliases_and_wildcards_resolve() {
        let r = router(
            "model_list:\n\
             - model_name: gpt\n  litellm_params: {model: openai/gpt-4o}\n\
             - model_name: gpt\n  litellm_params: {model: azure/gpt-4o, api_base: 'https://x.openai.azure.com'}\n\
             - model_name: 'openai/*'\n  litellm_params: {model: 'openai/*'}\n\
             - model_name: '*'\n  litellm_params: {model: 'llamafile/*'}\n\
             router_settings:\n  model_group_alias: {fast: gpt}\n",
        );
        let (g, part) = r.group("gpt").unwrap_or_else(|| unreachable!());
        assert_eq!((g.deployments.len(), part), (2, None));
        assert_eq!(
            r.group("fast").map(|(g, _)| g.name.clone()).as_deref(),
            Some("gpt")
        );
        let (g, part) = r.group("openai/gpt-4.1").unwrap_or_else(|| unreachable!());
        assert_eq!(g.name, "openai/*");
        assert_eq!(
            Router::model_for(&g.deployments[0].config, part.as_deref()),
            "openai/gpt-4.1"
        );
        let (g, part) = r.group("smollm2").unwrap_or_else(|| unreachable!());
        assert_eq!(
            Router::model_for(&g.deployments[0].config, part.as_deref()),
            "llamafile/smollm2"
        );
        assert_eq!(r.public_names(), vec!["fast".to_owned(), "gpt".to_owned()]);
    }

    #[test]
    fn defaults_fill_gaps_and_the_request_wins() {
        let defaults: Map<String, Value> =
            serde_json::from_str(r#"{"temperature": 0.2, "max_tokens": 50, "num_ctx": 4096}"#)
                .unwrap_or_default();
        let body: lmrelay_types::ChatCompletionRequest = serde_json::from_str(
            r#"{"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.9}"#,
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let merged = with_defaults(body, &defaults).unwrap_or_else(|e| unreachable!("{e}"));
        let v = serde_json::to_value(&merged).unwrap_or_default();
        assert_eq!(v["temperature"], 0.9);
        assert_eq!(v["max_tokens"], 50);
        assert_eq!(v["num_ctx"], 4096);
    }
}
