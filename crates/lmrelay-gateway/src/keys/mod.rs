//! Virtual keys: generated as `sk-` + 22 URL-safe characters (128 random
//! bits, as LiteLLM), stored only as their SHA-256, served from memory, and
//! written through to the [`Store`](crate::store::Store).

pub mod auth;
pub mod limits;

use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::GatewayError;
use crate::store::{KeyRecord, Store};

/// SHA-256 of a key, hex (LiteLLM's `hash_token`).
pub fn hash_token(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh key: `sk-` and 16 random bytes, URL-safe base64 without padding.
pub fn generate_key() -> String {
    let bytes: [u8; 16] = rand::random();
    format!(
        "sk-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// `sk-...abcd`: the key's last four characters, for display.
pub fn key_name(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("sk-...{tail}")
}

/// One key in memory: its record and its live counters.
#[derive(Debug)]
pub struct KeyEntry {
    record: Mutex<KeyRecord>,
    pub(crate) usage: Mutex<limits::Usage>,
    pub(crate) in_flight: AtomicU32,
}

impl KeyEntry {
    fn new(record: KeyRecord) -> Self {
        Self {
            record: Mutex::new(record),
            usage: Mutex::new(limits::Usage::default()),
            in_flight: AtomicU32::new(0),
        }
    }

    /// The key's record (locked briefly; plain data, so a poisoned lock is usable).
    pub fn record(&self) -> MutexGuard<'_, KeyRecord> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every virtual key, by hash.
#[derive(Debug)]
pub struct Keys {
    map: RwLock<HashMap<String, Arc<KeyEntry>>>,
    store: Arc<dyn Store>,
}

impl Keys {
    /// Loads every key from `store`.
    pub async fn load(store: Arc<dyn Store>) -> Result<Self, GatewayError> {
        let records = store.load_keys().await?;
        let map = records
            .into_iter()
            .map(|r| (r.token.clone(), Arc::new(KeyEntry::new(r))))
            .collect();
        Ok(Self {
            map: RwLock::new(map),
            store,
        })
    }

    /// The store behind the keys.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<KeyEntry>>> {
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key with this hash.
    pub fn get(&self, token: &str) -> Option<Arc<KeyEntry>> {
        self.read().get(token).cloned()
    }

    /// How many keys exist.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no key exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every record, newest first (for `/key/list`).
    pub fn records(&self) -> Vec<KeyRecord> {
        let mut records: Vec<KeyRecord> =
            self.read().values().map(|e| e.record().clone()).collect();
        records.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.token.cmp(&a.token)));
        records
    }

    /// Saves `record` (new or changed) to the store, then serves it.
    pub async fn put(&self, record: KeyRecord) -> Result<Arc<KeyEntry>, GatewayError> {
        self.store.upsert_key(&record).await?;
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = map.get(&record.token) {
            *entry.record() = record;
            return Ok(Arc::clone(entry));
        }
        let entry = Arc::new(KeyEntry::new(record.clone()));
        map.insert(record.token, Arc::clone(&entry));
        Ok(entry)
    }

    /// Deletes keys by hash, from the store first; returns how many existed.
    pub async fn delete(&self, tokens: &[String]) -> Result<u64, GatewayError> {
        let deleted = self.store.delete_keys(tokens).await?;
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        for token in tokens {
            map.remove(token);
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_look_like_litellm_keys_and_hash_like_it() {
        let key = generate_key();
        assert!(key.starts_with("sk-"));
        assert_eq!(key.len(), 3 + 22);
        assert_ne!(key, generate_key());
        // hashlib.sha256(b"sk-1234").hexdigest()
        assert_eq!(
            hash_token("sk-1234"),
            "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"
        );
        assert_eq!(key_name("sk-abcdef"), "sk-...cdef");
    }
}
