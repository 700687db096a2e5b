//! Read-only endpoints: models, model info and the health probes.

use std::sync::Arc;

use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::keys::auth::Caller;
use crate::{AppState, GatewayError};

/// LiteLLM's fixed `created` for config models.
const CREATED: u64 = 1_677_610_602;

fn model_object(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": CREATED, "owned_by": "openai"})
}

/// `/v1/models`: every model group and alias (a virtual key with a model
/// list sees only its models).
pub async fn models(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> impl IntoResponse {
    let allowed: Option<Vec<String>> = match &caller {
        Caller::Key(entry) => {
            let models = entry.record().models.clone();
            (!models.is_empty() && !models.iter().any(|m| m == "all-proxy-models" || m == "*"))
                .then_some(models)
        }
        _ => None,
    };
    let data: Vec<Value> = state
        .router()
        .public_names()
        .iter()
        .filter(|name| allowed.as_ref().is_none_or(|models| models.contains(name)))
        .map(|name| model_object(name))
        .collect();
    axum::Json(json!({"object": "list", "data": data}))
}

/// `/v1/models/{id}`.
pub async fn model(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, GatewayError> {
    if state.router().group(&id).is_some() {
        Ok(axum::Json(model_object(&id)))
    } else {
        Err(GatewayError::NotFound(format!(
            "The model `{id}` does not exist: call /v1/models to list the models served"
        )))
    }
}

/// `/model/info`: each deployment with its non-secret parameters.
pub async fn model_info(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let data: Vec<Value> = state
        .config()
        .model_list
        .iter()
        .map(|d| {
            let mut info = match &d.model_info {
                Value::Object(map) => map.clone(),
                _ => serde_json::Map::new(),
            };
            info.insert("id".into(), json!(d.id));
            let known = lmrelay::models::get_model_info(&d.model, None).ok();
            if let Some(known) = known
                && let Ok(Value::Object(extra)) = serde_json::to_value(&known)
            {
                for (k, v) in extra {
                    info.entry(k).or_insert(v);
                }
            }
            json!({
                "model_name": d.model_name,
                "litellm_params": {
                    "model": d.model,
                    "api_base": d.api_base,
                    "api_version": d.api_version,
                    "rpm": d.rpm,
                    "tpm": d.tpm,
                },
                "model_info": info,
            })
        })
        .collect();
    axum::Json(json!({"data": data}))
}

/// `/health/liveliness`: the process answers.
pub async fn alive() -> impl IntoResponse {
    axum::Json("I'm alive!")
}

/// `/health/readiness`: 200 while serving, 503 once shutdown began or when
/// the state database does not answer.
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let db = match state.keys() {
        None => Ok("Not connected"),
        Some(keys) => match keys.store().ping().await {
            Ok(()) => Ok("connected"),
            Err(_) => Err("disconnected"),
        },
    };
    let body = json!({
        "status": if state.is_ready() && db.is_ok() { "healthy" } else { "unhealthy" },
        "db": db.unwrap_or_else(|e| e),
        "cache": null,
        "litellm_version": env!("CARGO_PKG_VERSION"),
    });
    let code = if state.is_ready() && db.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body)).into_response()
}

/// `/metrics`: Prometheus text.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// How long a `/health` result is reused: each check is a real call.
const HEALTH_TTL: Duration = Duration::from_secs(10);

/// `/health`: one real call per deployment (`max_tokens: 1`), at most once
/// per 10 s however often it is asked.
pub async fn health(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let mut cached = state.health.lock().await;
    if let Some((at, value)) = cached.as_ref()
        && at.elapsed() < HEALTH_TTL
    {
        return axum::Json(value.clone());
    }
    let checks = state.config().model_list.iter().map(|d| check(&state, d));
    let results = futures::future::join_all(checks).await;
    let (healthy, unhealthy): (Vec<_>, Vec<_>) = results.into_iter().partition(|(ok, _)| *ok);
    let value = json!({
        "healthy_endpoints": healthy.iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "unhealthy_endpoints": unhealthy.iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "healthy_count": healthy.len(),
        "unhealthy_count": unhealthy.len(),
    });
    *cached = Some((Instant::now(), value.clone()));
    axum::Json(value)
}

async fn check(state: &AppState, d: &crate::config::Deployment) -> (bool, Value) {
    let mut options = state.router().options(d, false);
    options.timeout = Some(Duration::from_secs(30));
    let embedding = d.model_info.get("mode").and_then(Value::as_str) == Some("embedding");
    let result = if embedding {
        let body: Result<lmrelay_types::EmbeddingRequest, _> =
            serde_json::from_value(json!({"model": d.model, "input": "test from litellm"}));
        match body {
            Ok(body) => state
                .client
                .embedding(lmrelay::Request {
                    model: d.model.clone(),
                    body,
                    options,
                })
                .await
                .map(|_| ()),
            Err(err) => Err(lmrelay::Error::new(
                lmrelay::ErrorKind::BadRequest,
                err.to_string(),
            )),
        }
    } else {
        let body: Result<lmrelay_types::ChatCompletionRequest, _> = serde_json::from_value(json!({
            "model": d.model,
            "messages": [{"role": "user", "content": "test from litellm"}],
            "max_tokens": 1,
        }));
        match body {
            Ok(body) => state
                .client
                .completion(lmrelay::Request {
                    model: d.model.clone(),
                    body,
                    options,
                })
                .await
                .map(|_| ()),
            Err(err) => Err(lmrelay::Error::new(
                lmrelay::ErrorKind::BadRequest,
                err.to_string(),
            )),
        }
    };
    let mut entry = json!({"model": d.model, "model_name": d.model_name, "model_id": d.id, "api_base": d.api_base});
    match result {
        Ok(()) => (true, entry),
        Err(err) => {
            entry["error"] = json!(err.to_string());
            (false, entry)
        }
    }
}
