//! Response caching: a deterministic key from the parameters that change the
//! answer, per-request controls as in LiteLLM (`no-cache`, `no-store`, `ttl`,
//! `s-maxage`, `namespace`), and three stores: in memory (bounded, with TTL),
//! on disk (survives restarts, shared by processes on one machine) and Redis
//! (shared by processes on several machines).
//!
//! ```
//! # async fn demo() -> lmrelay::Result<()> {
//! use lmrelay::cache::Cache;
//! let client = lmrelay::Client::builder().cache(Cache::in_memory(1000)).build()?;
//! # Ok(()) }
//! ```

mod disk;
mod memory;
mod redis;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::Result;
pub use disk::DiskStore;
pub use memory::MemoryStore;
pub use redis::RedisStore;

/// Per-request cache controls (LiteLLM's `cache={...}` argument).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheControl {
    /// Do not read from the cache (`no-cache`); the answer may still be stored.
    pub no_cache: bool,
    /// Do not store this answer (`no-store`).
    pub no_store: bool,
    /// Keep this answer this long (`ttl`); default: the cache's.
    pub ttl: Option<Duration>,
    /// Only accept a cached answer younger than this (`s-maxage`).
    pub max_age: Option<Duration>,
    /// Keeps keys of different users or apps apart (`namespace`).
    pub namespace: Option<String>,
}

/// Where cached responses live. Values are opaque bytes; expiry is the
/// store's job (memory and disk check the stored deadline, Redis uses `EX`).
pub trait CacheStore: Send + Sync + std::fmt::Debug {
    /// The bytes under `key`, if present and not expired.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;
    /// Stores `value` under `key` for `ttl` (forever if `None`).
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>>;
}

/// A response cache: a store and a default TTL.
#[derive(Debug, Clone)]
pub struct Cache {
    store: Arc<dyn CacheStore>,
    default_ttl: Option<Duration>,
}

/// What a store holds for one answer.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// Unix milliseconds when stored.
    stored_at_ms: u64,
    /// The response JSON.
    response: Value,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Cache {
    /// A cache over any store.
    pub fn new(store: Arc<dyn CacheStore>) -> Self {
        Self {
            store,
            default_ttl: None,
        }
    }

    /// In memory, at most `max_entries` answers (oldest evicted first).
    pub fn in_memory(max_entries: usize) -> Self {
        Self::new(Arc::new(MemoryStore::new(max_entries)))
    }

    /// On disk under `dir` (created if missing).
    pub fn disk(dir: impl Into<std::path::PathBuf>) -> Result<Self> {
        Ok(Self::new(Arc::new(DiskStore::new(dir)?)))
    }

    /// In Redis at `url` (`redis://127.0.0.1:6379/0`); connects now.
    pub async fn redis(url: &str) -> Result<Self> {
        Ok(Self::new(Arc::new(RedisStore::connect(url).await?)))
    }

    /// The TTL of answers stored without a per-request `ttl`.
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = Some(ttl);
        self
    }

    /// The cached response JSON for `key`, honouring `no_cache` and `max_age`.
    /// A store failure is a miss: the cache never fails a call.
    pub(crate) async fn lookup(&self, key: &str, control: &CacheControl) -> Option<Value> {
        if control.no_cache {
            return None;
        }
        let bytes = self.store.get(key).await.ok()??;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if let Some(max_age) = control.max_age {
            let age = now_ms().saturating_sub(entry.stored_at_ms);
            if u128::from(age) > max_age.as_millis() {
                return None;
            }
        }
        Some(entry.response)
    }

    /// Stores `response` under `key` unless `no_store`; failures are ignored.
    pub(crate) async fn store(&self, key: &str, response: Value, control: &CacheControl) {
        if control.no_store {
            return;
        }
        let entry = Entry {
            stored_at_ms: now_ms(),
            response,
        };
        if let Ok(bytes) = serde_json::to_vec(&entry) {
            let ttl = control.ttl.or(self.default_ttl);
            let _ = self.store.set(key, bytes, ttl).await;
        }
    }
}

/// Body fields that do not change the answer and stay out of the key.
const NOT_IN_KEY: &[&str] = &["stream", "stream_options", "user", "metadata"];

/// The cache key of a call: SHA-256 of the canonical JSON (keys sorted at
/// every level) of the endpoint, the model string and the body without
/// fields that do not change the answer, prefixed by the namespace.
pub fn cache_key(endpoint: &str, model: &str, body: &Value, namespace: Option<&str>) -> String {
    let mut body = body.clone();
    if let Value::Object(map) = &mut body {
        for field in NOT_IN_KEY {
            map.remove(*field);
        }
        map.insert("model".to_owned(), Value::String(model.to_owned()));
    }
    let mut canonical = String::new();
    write_canonical(
        &Value::Array(vec![Value::String(endpoint.to_owned()), body]),
        &mut canonical,
    );
    let digest = Sha256::digest(canonical.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    match namespace {
        Some(ns) => format!("{ns}:{hex}"),
        None => hex,
    }
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(child) = map.get(key) {
                    write_canonical(child, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use serde_json::json;

    use super::*;

    #[test]
    fn key_ignores_order_and_non_semantic_fields() {
        let a = json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5, "stream": true});
        let b = json!({"temperature": 0.5, "user": "x", "messages": [{"content": "hi", "role": "user"}]});
        assert_eq!(
            cache_key("chat", "m", &a, None),
            cache_key("chat", "m", &b, None)
        );
        let c = json!({"temperature": 0.6, "messages": [{"role": "user", "content": "hi"}]});
        assert_ne!(
            cache_key("chat", "m", &a, None),
            cache_key("chat", "m", &c, None)
        );
        assert_ne!(
            cache_key("chat", "m", &a, None),
            cache_key("chat", "other", &a, None)
        );
        assert_ne!(
            cache_key("chat", "m", &a, None),
            cache_key("text", "m", &a, None)
        );
        assert!(cache_key("chat", "m", &a, Some("team-a")).starts_with("team-a:"));
    }

    #[tokio::test]
    async fn controls_skip_reads_and_writes_and_respect_max_age() {
        let cache = Cache::in_memory(10);
        let answer = json!({"id": "1"});
        let skip_store = CacheControl {
            no_store: true,
            ..CacheControl::default()
        };
        cache.store("k", answer.clone(), &skip_store).await;
        assert!(cache.lookup("k", &CacheControl::default()).await.is_none());
        cache
            .store("k", answer.clone(), &CacheControl::default())
            .await;
        assert_eq!(
            cache.lookup("k", &CacheControl::default()).await,
            Some(answer)
        );
        let skip_read = CacheControl {
            no_cache: true,
            ..CacheControl::default()
        };
        assert!(cache.lookup("k", &skip_read).await.is_none());
        tokio::time::sleep(Duration::from_millis(20)).await;
        let fresh_only = CacheControl {
            max_age: Some(Duration::from_millis(5)),
            ..CacheControl::default()
        };
        assert!(cache.lookup("k", &fresh_only).await.is_none());
    }
}
