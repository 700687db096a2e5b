//! The disk store: one file per key under a folder, written atomically
//! (temporary file, then rename), so several processes on one machine share
//! it and it survives restarts. Each file starts with its expiry.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;

use super::CacheStore;
use crate::error::{Error, ErrorKind, Result};

/// Values as files under one folder.
#[derive(Debug, Clone)]
pub struct DiskStore {
    dir: PathBuf,
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl DiskStore {
    /// A store under `dir`, created if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|err| {
            Error::new(
                ErrorKind::BadRequest,
                format!("cannot create the cache folder {}: {err}", dir.display()),
            )
        })?;
        Ok(Self { dir })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        let safe: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{safe}.entry"))
    }
}

impl CacheStore for DiskStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let path = self.path(key);
            let Ok(bytes) = tokio::fs::read(&path).await else {
                return Ok(None);
            };
            let Some(newline) = bytes.iter().position(|b| *b == b'\n') else {
                return Ok(None);
            };
            let expires: u64 = std::str::from_utf8(&bytes[..newline])
                .ok()
                .and_then(|text| text.parse().ok())
                .unwrap_or(0);
            if expires != 0 && expires <= unix_ms() {
                let _ = tokio::fs::remove_file(&path).await;
                return Ok(None);
            }
            Ok(Some(bytes[newline + 1..].to_vec()))
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let expires = ttl.map_or(0, |ttl| {
                unix_ms().saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
            });
            let mut bytes = format!("{expires}\n").into_bytes();
            bytes.extend_from_slice(&value);
            let path = self.path(key);
            let temp = path.with_extension(format!("tmp{}", std::process::id()));
            let io = |err: std::io::Error| {
                Error::new(
                    ErrorKind::APIError,
                    format!("cannot write the cache file {}: {err}", path.display()),
                )
            };
            tokio::fs::write(&temp, bytes).await.map_err(io)?;
            tokio::fs::rename(&temp, &path).await.map_err(io)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[tokio::test]
    async fn survives_a_new_store_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        DiskStore::new(dir.path())
            .unwrap()
            .set("ns:abc", b"v".to_vec(), None)
            .await
            .unwrap();
        let reopened = DiskStore::new(dir.path()).unwrap();
        assert_eq!(reopened.get("ns:abc").await.unwrap(), Some(b"v".to_vec()));
        reopened
            .set("t", b"x".to_vec(), Some(Duration::from_millis(10)))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(reopened.get("t").await.unwrap().is_none());
        assert!(reopened.get("missing").await.unwrap().is_none());
    }
}
