//! The embedded SQLite store (WAL mode, one file). Money is stored as exact
//! decimal text; every value goes through a bind, never into SQL text.

use std::path::Path;
use std::str::FromStr;

use futures::future::BoxFuture;
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};

use super::{KeyRecord, SpendFilter, SpendLog, Store};
use crate::GatewayError;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS keys (
        token TEXT PRIMARY KEY NOT NULL,
        key_name TEXT NOT NULL,
        key_alias TEXT,
        models TEXT NOT NULL,
        max_budget TEXT,
        budget_duration TEXT,
        budget_reset_at INTEGER,
        spend TEXT NOT NULL,
        rpm_limit INTEGER,
        tpm_limit INTEGER,
        max_parallel_requests INTEGER,
        expires INTEGER,
        metadata TEXT NOT NULL,
        user_id TEXT,
        team_id TEXT,
        blocked INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS spend_logs (
        request_id TEXT PRIMARY KEY NOT NULL,
        call_type TEXT NOT NULL,
        api_key TEXT NOT NULL,
        spend TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL,
        start_time_ms INTEGER NOT NULL,
        end_time_ms INTEGER NOT NULL,
        model TEXT NOT NULL,
        model_id TEXT NOT NULL,
        model_group TEXT NOT NULL,
        status TEXT NOT NULL,
        user_id TEXT,
        cache_hit INTEGER NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS spend_logs_by_key ON spend_logs (api_key, start_time_ms)",
    "CREATE INDEX IF NOT EXISTS spend_logs_by_time ON spend_logs (start_time_ms)",
];

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

fn db_error(what: &str) -> impl Fn(sqlx::Error) -> GatewayError + '_ {
    // sqlx errors never hold bound values, so no secret can leak through them.
    move |err| GatewayError::Store(format!("the state database failed to {what}: {err}"))
}

fn u64_of(v: Option<i64>) -> Option<u64> {
    v.and_then(|n| u64::try_from(n).ok())
}

fn i64_of(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or(Decimal::ZERO)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub async fn open(path: &Path) -> Result<Self, GatewayError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| {
                GatewayError::Store(format!(
                    "cannot create the folder {} for the state database: {err}",
                    dir.display()
                ))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|err| {
                GatewayError::Store(format!(
                    "cannot open the state database {}: {err}",
                    path.display()
                ))
            })?;
        for statement in SCHEMA {
            sqlx::query(*statement)
                .execute(&pool)
                .await
                .map_err(db_error("create its tables"))?;
        }
        Ok(Self { pool })
    }

    fn key_of(row: &SqliteRow) -> Result<KeyRecord, sqlx::Error> {
        let models: String = row.try_get("models")?;
        let metadata: String = row.try_get("metadata")?;
        Ok(KeyRecord {
            token: row.try_get("token")?,
            key_name: row.try_get("key_name")?,
            key_alias: row.try_get("key_alias")?,
            models: serde_json::from_str(&models).unwrap_or_default(),
            max_budget: row
                .try_get::<Option<String>, _>("max_budget")?
                .map(|t| decimal(&t)),
            budget_duration: row.try_get("budget_duration")?,
            budget_reset_at: row.try_get("budget_reset_at")?,
            spend: decimal(&row.try_get::<String, _>("spend")?),
            rpm_limit: u64_of(row.try_get("rpm_limit")?),
            tpm_limit: u64_of(row.try_get("tpm_limit")?),
            max_parallel_requests: row
                .try_get::<Option<i64>, _>("max_parallel_requests")?
                .and_then(|n| u32::try_from(n).ok()),
            expires: row.try_get("expires")?,
            metadata: serde_json::from_str(&metadata).unwrap_or_default(),
            user_id: row.try_get("user_id")?,
            team_id: row.try_get("team_id")?,
            blocked: row.try_get::<i64, _>("blocked")? != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    fn log_of(row: &SqliteRow) -> Result<SpendLog, sqlx::Error> {
        Ok(SpendLog {
            request_id: row.try_get("request_id")?,
            call_type: row.try_get("call_type")?,
            api_key: row.try_get("api_key")?,
            spend: decimal(&row.try_get::<String, _>("spend")?),
            prompt_tokens: u64_of(row.try_get("prompt_tokens")?).unwrap_or(0),
            completion_tokens: u64_of(row.try_get("completion_tokens")?).unwrap_or(0),
            total_tokens: u64_of(row.try_get("total_tokens")?).unwrap_or(0),
            start_time_ms: row.try_get("start_time_ms")?,
            end_time_ms: row.try_get("end_time_ms")?,
            model: row.try_get("model")?,
            model_id: row.try_get("model_id")?,
            model_group: row.try_get("model_group")?,
            status: row.try_get("status")?,
            user: row.try_get("user_id")?,
            cache_hit: row.try_get::<i64, _>("cache_hit")? != 0,
        })
    }
}

impl Store for SqliteStore {
    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<KeyRecord>, GatewayError>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT * FROM keys")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error("read its keys"))?;
            rows.iter()
                .map(Self::key_of)
                .collect::<Result<_, _>>()
                .map_err(db_error("read a key"))
        })
    }

    fn upsert_key<'a>(&'a self, key: &'a KeyRecord) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            sqlx::query(
                "INSERT OR REPLACE INTO keys (token, key_name, key_alias, models, max_budget, budget_duration,
                 budget_reset_at, spend, rpm_limit, tpm_limit, max_parallel_requests, expires, metadata, user_id,
                 team_id, blocked, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&key.token)
            .bind(&key.key_name)
            .bind(&key.key_alias)
            .bind(serde_json::to_string(&key.models).unwrap_or_else(|_| "[]".into()))
            .bind(key.max_budget.map(|d| d.to_string()))
            .bind(&key.budget_duration)
            .bind(key.budget_reset_at)
            .bind(key.spend.to_string())
            .bind(i64_of(key.rpm_limit))
            .bind(i64_of(key.tpm_limit))
            .bind(key.max_parallel_requests.map(i64::from))
            .bind(key.expires)
            .bind(key.metadata.to_string())
            .bind(&key.user_id)
            .bind(&key.team_id)
            .bind(i64::from(key.blocked))
            .bind(key.created_at)
            .bind(key.updated_at)
            .execute(&self.pool)
            .await
            .map_err(db_error("save a key"))?;
            Ok(())
        })
    }

    fn delete_keys<'a>(&'a self, tokens: &'a [String]) -> BoxFuture<'a, Result<u64, GatewayError>> {
        Box::pin(async move {
            let mut deleted = 0;
            let mut tx = self.pool.begin().await.map_err(db_error("delete keys"))?;
            for token in tokens {
                deleted += sqlx::query("DELETE FROM keys WHERE token = ?")
                    .bind(token)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("delete a key"))?
                    .rows_affected();
            }
            tx.commit().await.map_err(db_error("delete keys"))?;
            Ok(deleted)
        })
    }

    fn add_spend<'a>(
        &'a self,
        deltas: &'a [(String, Decimal)],
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await.map_err(db_error("record spend"))?;
            for (token, delta) in deltas {
                let current: Option<String> =
                    sqlx::query_scalar("SELECT spend FROM keys WHERE token = ?")
                        .bind(token)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error("read a key's spend"))?;
                if let Some(current) = current {
                    sqlx::query("UPDATE keys SET spend = ? WHERE token = ?")
                        .bind((decimal(&current) + delta).to_string())
                        .bind(token)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error("record spend"))?;
                }
            }
            tx.commit().await.map_err(db_error("record spend"))?;
            Ok(())
        })
    }

    fn insert_spend_logs<'a>(
        &'a self,
        rows: &'a [SpendLog],
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            let mut tx = self
                .pool
                .begin()
                .await
                .map_err(db_error("write spend logs"))?;
            for r in rows {
                sqlx::query(
                    "INSERT OR REPLACE INTO spend_logs (request_id, call_type, api_key, spend, prompt_tokens,
                     completion_tokens, total_tokens, start_time_ms, end_time_ms, model, model_id, model_group,
                     status, user_id, cache_hit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&r.request_id)
                .bind(&r.call_type)
                .bind(&r.api_key)
                .bind(r.spend.to_string())
                .bind(i64_of(Some(r.prompt_tokens)))
                .bind(i64_of(Some(r.completion_tokens)))
                .bind(i64_of(Some(r.total_tokens)))
                .bind(r.start_time_ms)
                .bind(r.end_time_ms)
                .bind(&r.model)
                .bind(&r.model_id)
                .bind(&r.model_group)
                .bind(&r.status)
                .bind(&r.user)
                .bind(i64::from(r.cache_hit))
                .execute(&mut *tx)
                .await
                .map_err(db_error("write a spend log"))?;
            }
            tx.commit().await.map_err(db_error("write spend logs"))?;
            Ok(())
        })
    }

    fn spend_logs<'a>(
        &'a self,
        filter: &'a SpendFilter,
    ) -> BoxFuture<'a, Result<Vec<SpendLog>, GatewayError>> {
        Box::pin(async move {
            // Every filter is bound; a NULL bind disables its condition.
            let rows = sqlx::query(
                "SELECT * FROM spend_logs
                 WHERE (? IS NULL OR api_key = ?)
                   AND (? IS NULL OR request_id = ?)
                   AND (? IS NULL OR user_id = ?)
                   AND (? IS NULL OR start_time_ms >= ?)
                   AND (? IS NULL OR start_time_ms <= ?)
                 ORDER BY start_time_ms DESC LIMIT ?",
            )
            .bind(&filter.api_key)
            .bind(&filter.api_key)
            .bind(&filter.request_id)
            .bind(&filter.request_id)
            .bind(&filter.user_id)
            .bind(&filter.user_id)
            .bind(filter.start_ms)
            .bind(filter.start_ms)
            .bind(filter.end_ms)
            .bind(filter.end_ms)
            .bind(i64::from(filter.limit.unwrap_or(1000)))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("read spend logs"))?;
            rows.iter()
                .map(Self::log_of)
                .collect::<Result<_, _>>()
                .map_err(db_error("read a spend log"))
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            sqlx::query("SELECT 1")
                .execute(&self.pool)
                .await
                .map_err(db_error("answer"))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(token: &str) -> KeyRecord {
        KeyRecord {
            token: token.into(),
            key_name: "sk-...abcd".into(),
            key_alias: Some("alias".into()),
            models: vec!["g".into()],
            max_budget: Some(Decimal::new(150, 2)),
            budget_duration: Some("30d".into()),
            budget_reset_at: Some(10),
            spend: Decimal::ZERO,
            rpm_limit: Some(5),
            tpm_limit: None,
            max_parallel_requests: Some(2),
            expires: None,
            metadata: json!({"team": "x"}),
            user_id: Some("u".into()),
            team_id: None,
            blocked: false,
            created_at: 1,
            updated_at: 2,
        }
    }

    #[tokio::test]
    async fn keys_and_spend_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let store = SqliteStore::open(&dir.path().join("db/state.db"))
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let k = key("abc");
        store
            .upsert_key(&k)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let third = Decimal::new(1, 1) / Decimal::new(3, 0);
        store
            .add_spend(&[
                ("abc".into(), third),
                ("abc".into(), third),
                ("gone".into(), third),
            ])
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let keys = store.load_keys().await.unwrap_or_default();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].spend, third + third);
        assert_eq!(
            KeyRecord {
                spend: Decimal::ZERO,
                ..keys[0].clone()
            },
            k
        );
        let hostile = vec!["' OR '1'='1".to_owned(), "abc".to_owned()];
        assert_eq!(store.delete_keys(&hostile).await.unwrap_or(0), 1);
        assert!(store.load_keys().await.unwrap_or_default().is_empty());
    }
}
