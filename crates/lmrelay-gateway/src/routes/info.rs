//! Read-only endpoints: models, model info and the health probes.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::{AppState, GatewayError};

/// LiteLLM's fixed `created` for config models.
const CREATED: u64 = 1_677_610_602;

fn model_object(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": CREATED, "owned_by": "openai"})
}

/// `/v1/models`: every model group and alias.
pub async fn models(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let data: Vec<Value> = state
        .router()
        .public_names()
        .iter()
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

/// `/health/readiness`: ready to take requests.
pub async fn ready() -> impl IntoResponse {
    axum::Json(
        json!({"status": "healthy", "db": "Not connected", "cache": null, "litellm_version": env!("CARGO_PKG_VERSION")}),
    )
}
