//! The Redis store: shared by every process that reaches the server; expiry
//! by Redis itself (`SET ... PX`). Keys are prefixed `lmrelay:cache:`.

use std::time::Duration;

use futures::future::BoxFuture;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::CacheStore;
use crate::error::{Error, ErrorKind, Result};

const PREFIX: &str = "lmrelay:cache:";

/// Values in Redis; reconnects by itself after a dropped connection.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisStore")
    }
}

fn redis_error(what: &str, err: &redis::RedisError) -> Error {
    // The URL may hold a password: never echo it.
    Error::new(
        ErrorKind::APIConnection,
        format!("redis cache: cannot {what}: {}", err.kind_str()),
    )
}

trait KindStr {
    fn kind_str(&self) -> String;
}

impl KindStr for redis::RedisError {
    fn kind_str(&self) -> String {
        format!("{:?} ({})", self.kind(), self.category())
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`, `unix:///path`).
    pub async fn connect(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(|err| {
            Error::new(
                ErrorKind::BadRequest,
                format!(
                    "redis cache: the URL is not valid ({}); use redis://host:port/db",
                    err.kind_str()
                ),
            )
        })?;
        let connection = ConnectionManager::new(client)
            .await
            .map_err(|err| redis_error("connect; is redis-server running", &err))?;
        Ok(Self { connection })
    }
}

impl CacheStore for RedisStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            connection
                .get(format!("{PREFIX}{key}"))
                .await
                .map_err(|err| redis_error("read", &err))
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let key = format!("{PREFIX}{key}");
            let result: redis::RedisResult<()> = match ttl {
                Some(ttl) => {
                    let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
                    connection.pset_ex(key, value, ms).await
                }
                None => connection.set(key, value).await,
            };
            result.map_err(|err| redis_error("write", &err))
        })
    }
}
