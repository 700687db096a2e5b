//! Key management (`/key/generate|info|update|delete|list`) and
//! `/spend/logs`, in LiteLLM's request and response shapes. Only the master
//! key manages keys; a virtual key may read its own `/key/info`. Responses
//! carry the new key once, at generation; afterwards only its hash.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::guard::read_body;
use crate::keys::auth::Caller;
use crate::keys::{Keys, generate_key, hash_token, key_name};
use crate::store::{KeyRecord, SpendFilter};
use crate::{AppState, GatewayError, clock};

fn admin_keys<'s>(
    state: &'s AppState,
    caller: &Caller,
    route: &str,
) -> Result<&'s Keys, GatewayError> {
    let Some(keys) = state.keys() else {
        return Err(GatewayError::Forbidden {
            message: format!(
                "{route} needs a master key: set general_settings.master_key (or LITELLM_MASTER_KEY) to manage \
                 virtual keys"
            ),
            status: 403,
        });
    };
    match caller {
        Caller::Admin => Ok(keys),
        _ => Err(GatewayError::Unauthorized(format!(
            "Authentication Error, Tried to access route={route}, which is only for MASTER KEY"
        ))),
    }
}

/// Fields of `/key/generate` and `/key/update` that lmrelay applies.
const KEY_FIELDS: &[&str] = &[
    "key",
    "key_alias",
    "duration",
    "models",
    "max_budget",
    "budget_duration",
    "rpm_limit",
    "tpm_limit",
    "max_parallel_requests",
    "metadata",
    "user_id",
    "team_id",
    "blocked",
    "spend",
];

fn body_map(bytes: &[u8]) -> Result<Map<String, Value>, GatewayError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(GatewayError::BadRequest(
            "the body must be a JSON object".into(),
        )),
        Err(err) => Err(GatewayError::BadRequest(format!(
            "the body is not JSON: {err}"
        ))),
    }
}

/// Applies the known fields of `body` to `record`; a field lmrelay does not
/// implement is an error when it asks for something (an empty value is fine).
fn apply(record: &mut KeyRecord, body: &Map<String, Value>, now: i64) -> Result<(), GatewayError> {
    let bad =
        |field: &str, want: &str| GatewayError::BadRequest(format!("`{field}` must be {want}"));
    for (field, value) in body {
        let empty = match value {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::Bool(b) => !b,
            _ => false,
        };
        if !KEY_FIELDS.contains(&field.as_str()) && !empty {
            return Err(GatewayError::BadRequest(format!(
                "`{field}` is a LiteLLM key setting lmrelay does not implement yet; remove it (lmrelay applies {})",
                KEY_FIELDS.join(", ")
            )));
        }
    }
    let text = |field: &str| -> Result<Option<String>, GatewayError> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(field, "a string")),
        }
    };
    let count = |field: &str| -> Result<Option<u64>, GatewayError> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| bad(field, "a whole number of 0 or more")),
        }
    };
    let money = |field: &str| -> Result<Option<Decimal>, GatewayError> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let parsed = v
                    .to_string()
                    .trim_matches('"')
                    .parse::<Decimal>()
                    .ok()
                    .or_else(|| Decimal::from_scientific(&v.to_string()).ok());
                match parsed {
                    Some(d) if !d.is_sign_negative() => Ok(Some(d)),
                    _ => Err(GatewayError::BadRequest(format!(
                        "{field} cannot be negative. Received: {v}"
                    ))),
                }
            }
        }
    };
    if body.contains_key("key_alias") {
        record.key_alias = text("key_alias")?;
    }
    if body.contains_key("duration") {
        record.expires = match text("duration")?.as_deref() {
            None | Some("-1") => None,
            Some(d) => Some(clock::add(
                now,
                clock::parse_span(d).map_err(GatewayError::BadRequest)?,
            )),
        };
    }
    if let Some(models) = body.get("models") {
        record.models = match models {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .map(|m| {
                    m.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad("models", "a list of model names"))
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(bad("models", "a list of model names")),
        };
    }
    if body.contains_key("max_budget") {
        record.max_budget = money("max_budget")?;
    }
    if body.contains_key("spend") {
        record.spend = money("spend")?.unwrap_or_default();
    }
    if body.contains_key("budget_duration") {
        record.budget_duration = text("budget_duration")?;
        record.budget_reset_at = match &record.budget_duration {
            None => None,
            Some(d) => Some(clock::next_reset(
                now,
                clock::parse_span(d).map_err(GatewayError::BadRequest)?,
            )),
        };
    }
    if body.contains_key("rpm_limit") {
        record.rpm_limit = count("rpm_limit")?;
    }
    if body.contains_key("tpm_limit") {
        record.tpm_limit = count("tpm_limit")?;
    }
    if body.contains_key("max_parallel_requests") {
        record.max_parallel_requests =
            count("max_parallel_requests")?.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    }
    if let Some(metadata) = body.get("metadata") {
        if !metadata.is_object() && !metadata.is_null() {
            return Err(bad("metadata", "an object"));
        }
        record.metadata = if metadata.is_null() {
            json!({})
        } else {
            metadata.clone()
        };
    }
    if body.contains_key("user_id") {
        record.user_id = text("user_id")?;
    }
    if body.contains_key("team_id") {
        record.team_id = text("team_id")?;
    }
    if let Some(blocked) = body.get("blocked") {
        record.blocked = blocked.as_bool().unwrap_or(false);
    }
    record.updated_at = now;
    Ok(())
}

/// The key's fields as LiteLLM shows them (never the hash as a credential).
fn describe(record: &KeyRecord) -> Map<String, Value> {
    let iso = |t: Option<i64>| t.map(clock::iso);
    let money =
        |d: Option<Decimal>| d.map(|d| d.normalize().to_string().parse::<f64>().unwrap_or(0.0));
    let mut map = Map::new();
    for (k, v) in [
        ("key_name", json!(record.key_name)),
        ("key_alias", json!(record.key_alias)),
        ("spend", json!(money(Some(record.spend)))),
        ("max_budget", json!(money(record.max_budget))),
        ("expires", json!(iso(record.expires))),
        ("models", json!(record.models)),
        ("user_id", json!(record.user_id)),
        ("team_id", json!(record.team_id)),
        ("max_parallel_requests", json!(record.max_parallel_requests)),
        ("metadata", record.metadata.clone()),
        ("tpm_limit", json!(record.tpm_limit)),
        ("rpm_limit", json!(record.rpm_limit)),
        ("budget_duration", json!(record.budget_duration)),
        ("budget_reset_at", json!(iso(record.budget_reset_at))),
        ("blocked", json!(record.blocked)),
        ("created_at", json!(clock::iso(record.created_at))),
        ("updated_at", json!(clock::iso(record.updated_at))),
    ] {
        map.insert(k.into(), v);
    }
    map
}

/// `POST /key/generate`.
pub async fn generate(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<impl IntoResponse, GatewayError> {
    let keys = admin_keys(&state, &caller, "/key/generate")?;
    let bytes = read_body(&state, body).await?;
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        body_map(&bytes)?
    };
    let key = match body.get("key").and_then(Value::as_str) {
        Some(custom) if custom.starts_with("sk-") && custom.len() >= 8 => custom.to_owned(),
        Some(_) => {
            return Err(GatewayError::BadRequest(
                "Invalid key format. LiteLLM Virtual Key must start with 'sk-' (and be at least 8 characters)."
                    .into(),
            ));
        }
        None => generate_key(),
    };
    let now = clock::now();
    let mut record = KeyRecord {
        token: hash_token(&key),
        key_name: key_name(&key),
        key_alias: None,
        models: Vec::new(),
        max_budget: None,
        budget_duration: None,
        budget_reset_at: None,
        spend: Decimal::ZERO,
        rpm_limit: None,
        tpm_limit: None,
        max_parallel_requests: None,
        expires: None,
        metadata: json!({}),
        user_id: None,
        team_id: None,
        blocked: false,
        created_at: now,
        updated_at: now,
    };
    apply(&mut record, &body, now)?;
    if keys.get(&record.token).is_some() {
        return Err(GatewayError::BadRequest(
            "a key with this value already exists".into(),
        ));
    }
    keys.put(record.clone()).await?;
    let mut out = describe(&record);
    out.insert("key".into(), json!(key));
    out.insert("token_id".into(), json!(record.token));
    out.insert("token".into(), json!(record.token));
    out.insert(
        "duration".into(),
        body.get("duration").cloned().unwrap_or(Value::Null),
    );
    Ok(axum::Json(Value::Object(out)))
}

/// `?key=` of `/key/info`.
#[derive(Debug, Deserialize)]
pub struct KeyQuery {
    key: Option<String>,
}

fn token_of(key: &str) -> String {
    if key.starts_with("sk-") {
        hash_token(key)
    } else {
        key.to_owned()
    }
}

/// `GET /key/info?key=`.
pub async fn info(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<KeyQuery>,
) -> Result<impl IntoResponse, GatewayError> {
    let (token, shown) = match (&caller, &query.key) {
        (Caller::Key(entry), None) => (entry.record().token.clone(), Value::Null),
        (Caller::Key(entry), Some(key)) if token_of(key) == entry.record().token => {
            (entry.record().token.clone(), json!(key))
        }
        (_, Some(key)) => {
            admin_keys(&state, &caller, "/key/info")?;
            (token_of(key), json!(key))
        }
        (_, None) => {
            return Err(GatewayError::BadRequest(
                "pass the key to describe: /key/info?key=sk-...".into(),
            ));
        }
    };
    let entry = state
        .keys()
        .and_then(|k| k.get(&token))
        .ok_or_else(|| GatewayError::NotFound("Key not found in database".into()))?;
    let info = describe(&entry.record());
    Ok(axum::Json(json!({"key": shown, "info": info})))
}

/// `POST /key/update`.
pub async fn update(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<impl IntoResponse, GatewayError> {
    let keys = admin_keys(&state, &caller, "/key/update")?;
    let bytes = read_body(&state, body).await?;
    let mut body = body_map(&bytes)?;
    let Some(Value::String(key)) = body.remove("key") else {
        return Err(GatewayError::BadRequest(
            "`key` is required: the key (or its hash) to update".into(),
        ));
    };
    let entry = keys
        .get(&token_of(&key))
        .ok_or_else(|| GatewayError::NotFound("Key not found in database".into()))?;
    let mut record = entry.record().clone();
    apply(&mut record, &body, clock::now())?;
    keys.put(record.clone()).await?;
    let mut out = describe(&record);
    out.insert("key".into(), json!(key));
    out.insert("token".into(), json!(record.token));
    Ok(axum::Json(Value::Object(out)))
}

/// `POST /key/delete` with `{"keys": [...]}`.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<impl IntoResponse, GatewayError> {
    let keys = admin_keys(&state, &caller, "/key/delete")?;
    let bytes = read_body(&state, body).await?;
    let body = body_map(&bytes)?;
    let listed: Vec<String> = match body.get("keys") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| GatewayError::BadRequest("`keys` must be a list of keys".into()))?,
        _ => {
            return Err(GatewayError::BadRequest(
                "pass the keys to delete: {\"keys\": [\"sk-...\"]}".into(),
            ));
        }
    };
    let tokens: Vec<String> = listed.iter().map(|k| token_of(k)).collect();
    keys.delete(&tokens).await?;
    Ok(axum::Json(json!({"deleted_keys": listed})))
}

/// `?page=&size=` of `/key/list`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<usize>,
    size: Option<usize>,
}

/// `GET /key/list`: key hashes, newest first.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<ListQuery>,
) -> Result<impl IntoResponse, GatewayError> {
    let keys = admin_keys(&state, &caller, "/key/list")?;
    let page = query.page.unwrap_or(1).max(1);
    let size = query.size.unwrap_or(10).clamp(1, 100);
    let records = keys.records();
    let total = records.len();
    let tokens: Vec<&str> = records
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|r| r.token.as_str())
        .collect();
    Ok(axum::Json(json!({
        "keys": tokens,
        "total_count": total,
        "current_page": page,
        "total_pages": total.div_ceil(size),
    })))
}

/// Query of `/spend/logs`.
#[derive(Debug, Deserialize)]
pub struct SpendQuery {
    api_key: Option<String>,
    request_id: Option<String>,
    user_id: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
}

fn day_ms(date: &str, end: bool) -> Result<i64, GatewayError> {
    let parts: Vec<i64> = date.split('-').filter_map(|p| p.parse().ok()).collect();
    let [y, m, d] = parts[..] else {
        return Err(GatewayError::BadRequest(format!(
            "`{date}` is not a date: write YYYY-MM-DD"
        )));
    };
    let start = clock::unix_of_date(y, m, d) * 1000;
    Ok(if end { start + 86_400_000 - 1 } else { start })
}

/// `GET /spend/logs`: rows, newest first.
pub async fn spend_logs(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<SpendQuery>,
) -> Result<impl IntoResponse, GatewayError> {
    let keys = admin_keys(&state, &caller, "/spend/logs")?;
    if let Some(spend) = state.spend() {
        spend.flush().await;
    }
    let filter = SpendFilter {
        api_key: query.api_key.as_deref().map(token_of),
        request_id: query.request_id,
        user_id: query.user_id,
        start_ms: query
            .start_date
            .as_deref()
            .map(|d| day_ms(d, false))
            .transpose()?,
        end_ms: query
            .end_date
            .as_deref()
            .map(|d| day_ms(d, true))
            .transpose()?,
        limit: Some(1000),
    };
    let rows = keys.store().spend_logs(&filter).await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "request_id": r.request_id,
                "call_type": r.call_type,
                "api_key": r.api_key,
                "spend": r.spend.normalize().to_string().parse::<f64>().unwrap_or(0.0),
                "total_tokens": r.total_tokens,
                "prompt_tokens": r.prompt_tokens,
                "completion_tokens": r.completion_tokens,
                "startTime": clock::iso(r.start_time_ms / 1000),
                "endTime": clock::iso(r.end_time_ms / 1000),
                "request_duration_ms": r.end_time_ms - r.start_time_ms,
                "model": r.model,
                "model_id": r.model_id,
                "model_group": r.model_group,
                "user": r.user.clone().unwrap_or_default(),
                "status": r.status,
                "cache_hit": if r.cache_hit { "True" } else { "False" },
            })
        })
        .collect();
    Ok(axum::Json(Value::Array(rows)))
}
