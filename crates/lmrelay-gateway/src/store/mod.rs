//! Where the gateway keeps its state: virtual keys (only their SHA-256) and
//! spend logs. [`Store`] is the seam: SQLite (embedded, the default) now;
//! Postgres and Redis implement the same trait when several instances share
//! the load. SQL goes only through sqlx binds.

mod sqlite;

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use sqlite::SqliteStore;

use crate::GatewayError;
use crate::config::ConfigWarning;

/// A virtual key as stored: never the key itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// SHA-256 of the key, hex (LiteLLM's `token`).
    pub token: String,
    /// `sk-...abcd`: enough to recognise a key, not to use it.
    pub key_name: String,
    /// A human name.
    pub key_alias: Option<String>,
    /// Model groups the key may use (empty: all).
    pub models: Vec<String>,
    /// USD the key may spend per budget period (or ever).
    pub max_budget: Option<Decimal>,
    /// The budget period (`30d`, `1mo`).
    pub budget_duration: Option<String>,
    /// When the spend next resets (Unix seconds).
    pub budget_reset_at: Option<i64>,
    /// USD spent in the current period.
    pub spend: Decimal,
    /// Requests per minute.
    pub rpm_limit: Option<u64>,
    /// Tokens per minute.
    pub tpm_limit: Option<u64>,
    /// Requests in flight at once.
    pub max_parallel_requests: Option<u32>,
    /// When the key stops working (Unix seconds).
    pub expires: Option<i64>,
    /// Free-form metadata.
    pub metadata: Value,
    /// The owning user.
    pub user_id: Option<String>,
    /// The owning team.
    pub team_id: Option<String>,
    /// Refused while true.
    pub blocked: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// One request's spend log row (LiteLLM's `LiteLLM_SpendLogs`, subset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendLog {
    /// The call id (`x-litellm-call-id`).
    pub request_id: String,
    /// `acompletion`, `atext_completion`, `aembedding`, `anthropic_messages`.
    pub call_type: String,
    /// SHA-256 of the caller's key ("" for the master key or no key).
    pub api_key: String,
    /// USD.
    pub spend: Decimal,
    /// Tokens in and out.
    pub prompt_tokens: u64,
    /// Tokens out.
    pub completion_tokens: u64,
    /// Both.
    pub total_tokens: u64,
    /// Request start, Unix milliseconds.
    pub start_time_ms: i64,
    /// Request end, Unix milliseconds.
    pub end_time_ms: i64,
    /// The model string sent upstream.
    pub model: String,
    /// The deployment id.
    pub model_id: String,
    /// The model group that answered.
    pub model_group: String,
    /// `success` or `failure`.
    pub status: String,
    /// The key's user.
    pub user: Option<String>,
    /// Whether the answer came from the cache.
    pub cache_hit: bool,
}

/// Which spend logs to read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SpendFilter {
    /// Only this key's (a hash).
    pub api_key: Option<String>,
    /// Only this request.
    pub request_id: Option<String>,
    /// Only this user's.
    pub user_id: Option<String>,
    /// Not before (Unix ms).
    pub start_ms: Option<i64>,
    /// Not after (Unix ms).
    pub end_ms: Option<i64>,
    /// At most this many rows, newest first.
    pub limit: Option<u32>,
}

/// The state store behind the gateway.
pub trait Store: Send + Sync + Debug {
    /// Every key, at start-up (the gateway serves them from memory).
    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<KeyRecord>, GatewayError>>;
    /// Inserts or replaces a key.
    fn upsert_key<'a>(&'a self, key: &'a KeyRecord) -> BoxFuture<'a, Result<(), GatewayError>>;
    /// Deletes keys by hash; returns how many existed.
    fn delete_keys<'a>(&'a self, tokens: &'a [String]) -> BoxFuture<'a, Result<u64, GatewayError>>;
    /// Adds spend to keys (one batch).
    fn add_spend<'a>(
        &'a self,
        deltas: &'a [(String, Decimal)],
    ) -> BoxFuture<'a, Result<(), GatewayError>>;
    /// Appends spend log rows (one batch).
    fn insert_spend_logs<'a>(
        &'a self,
        rows: &'a [SpendLog],
    ) -> BoxFuture<'a, Result<(), GatewayError>>;
    /// Reads spend logs, newest first.
    fn spend_logs<'a>(
        &'a self,
        filter: &'a SpendFilter,
    ) -> BoxFuture<'a, Result<Vec<SpendLog>, GatewayError>>;
    /// Whether the store answers (for readiness).
    fn ping(&self) -> BoxFuture<'_, Result<(), GatewayError>>;
}

/// The default database file: `$XDG_DATA_HOME/lmrelay/gateway.db`, else
/// `~/.local/share/lmrelay/gateway.db`.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("lmrelay").join("gateway.db")
}

/// Opens the store `database_url` names (default: the embedded SQLite file).
/// A Postgres URL is not served yet: the warning says where state goes instead.
pub async fn open(
    database_url: Option<&str>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Arc<dyn Store>, GatewayError> {
    let path = match database_url {
        None => default_path(),
        Some(url) if url.starts_with("sqlite:") => {
            let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
            PathBuf::from(rest.split('?').next().unwrap_or(rest))
        }
        Some(url) => {
            let scheme = url.split(':').next().unwrap_or("");
            let path = default_path();
            warnings.push(ConfigWarning {
                path: "general_settings.database_url".into(),
                message: format!(
                    "a {scheme} database is not supported by lmrelay yet; keys and spend are kept in the embedded \
                     SQLite file {} (use sqlite:///path/to/file.db to choose another)",
                    path.display()
                ),
            });
            path
        }
    };
    Ok(Arc::new(SqliteStore::open(&path).await?))
}
