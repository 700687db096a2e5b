//! The in-memory store: bounded by entry count, oldest evicted first, with
//! per-entry expiry.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::CacheStore;
use crate::error::Result;

/// At most `max_entries` values in this process.
#[derive(Debug)]
pub struct MemoryStore {
    max_entries: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    values: HashMap<String, (Vec<u8>, Option<Instant>)>,
    order: VecDeque<String>,
}

impl MemoryStore {
    /// A store for at most `max_entries` values (at least one).
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries: max_entries.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// How many values are held (expired ones included until touched).
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |inner| inner.values.len())
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CacheStore for MemoryStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let Ok(mut inner) = self.inner.lock() else {
                return Ok(None);
            };
            match inner.values.get(key) {
                Some((_, Some(deadline))) if *deadline <= Instant::now() => {
                    inner.values.remove(key);
                    inner.order.retain(|k| k != key);
                    Ok(None)
                }
                Some((value, _)) => Ok(Some(value.clone())),
                None => Ok(None),
            }
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let Ok(mut inner) = self.inner.lock() else {
                return Ok(());
            };
            // A TTL past the clock's range never expires.
            let deadline = ttl.and_then(|ttl| Instant::now().checked_add(ttl));
            if inner
                .values
                .insert(key.to_owned(), (value, deadline))
                .is_none()
            {
                inner.order.push_back(key.to_owned());
            }
            while inner.values.len() > self.max_entries {
                let Some(oldest) = inner.order.pop_front() else {
                    break;
                };
                inner.values.remove(&oldest);
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[tokio::test]
    async fn bounded_and_expiring() {
        let store = MemoryStore::new(2);
        for key in ["a", "b", "c"] {
            store.set(key, key.as_bytes().to_vec(), None).await.unwrap();
        }
        assert_eq!(store.len(), 2);
        assert!(store.get("a").await.unwrap().is_none());
        assert_eq!(store.get("c").await.unwrap(), Some(b"c".to_vec()));
        store
            .set("t", vec![1], Some(Duration::from_millis(10)))
            .await
            .unwrap();
        assert!(store.get("t").await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(store.get("t").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_ttl_past_the_clock_never_expires_and_does_not_panic() {
        let store = MemoryStore::new(2);
        store.set("k", vec![1], Some(Duration::MAX)).await.unwrap();
        assert_eq!(store.get("k").await.unwrap(), Some(vec![1]));
    }
}
