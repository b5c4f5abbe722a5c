//! Replication lag: the replicas listed as `[[replica]]` in `bellows.toml`, and how far
//! each is behind its primary.
//!
//! Owns connecting to the replicas (lazily, once; again after a lost connection) and
//! reading their lag:
//! - PostgreSQL, on the replica: `now() - pg_last_xact_replay_timestamp()`, but 0 when
//!   everything received is replayed (`pg_last_wal_receive_lsn() =
//!   pg_last_wal_replay_lsn()`: an idle primary sends nothing, and the last replayed
//!   transaction's age then says nothing), and unknown when nothing was replayed yet;
//! - MariaDB / MySQL, on the replica: `SHOW SLAVE STATUS`'s `Seconds_Behind_Master`
//!   (unknown when it is NULL: the SQL or IO thread is stopped).
//!
//! An unknown lag, or a replica that cannot be reached, counts as lagging: the runner
//! waits rather than guess. The runner (`backfill.rs`, `apply.rs`) decides what waiting
//! means; nothing here sleeps or prints.

use super::backend::{Backend, DbError};
use super::url::DbUrl;
use super::AnyBackend;
use crate::dialect::Dialect;

/// The default lag above which the runner waits.
pub const DEFAULT_MAX_LAG_MS: u64 = 5_000;

/// How far a replica is behind.
#[derive(Debug, Clone, PartialEq)]
pub enum Lag {
    Ms(u64),
    /// It cannot be told (replay stopped, replica unreachable): why.
    Unknown(String),
}

/// One replica and its connection.
pub struct Replica {
    /// `host:port`, for messages (never a password).
    pub label: String,
    url: DbUrl,
    conn: Option<AnyBackend>,
}

/// The replicas of a project.
pub struct Replicas {
    pub list: Vec<Replica>,
}

impl Replicas {
    /// The `[[replica]]` URLs; an unreadable one is an error naming it.
    pub fn from_urls(urls: &[String]) -> Result<Replicas, DbError> {
        let list = urls
            .iter()
            .map(|u| {
                let url = DbUrl::parse(u).map_err(|e| {
                    DbError::other(format!("[[replica]] url {}: {e}", super::url::redact(u)))
                })?;
                Ok(Replica {
                    label: url.host_port(),
                    url,
                    conn: None,
                })
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        Ok(Replicas { list })
    }

    /// The first replica lagging more than `max_lag_ms` (or of unknown lag), as a reason
    /// to wait: `replica 127.0.0.1:5433 lags 7.2 s > max-lag 5 s`.
    pub async fn lagging(&mut self, max_lag_ms: u64) -> Option<String> {
        for r in &mut self.list {
            match r.lag().await {
                Lag::Ms(ms) if ms <= max_lag_ms => {}
                Lag::Ms(ms) => {
                    return Some(format!(
                        "replica {} lags {:.1} s > max-lag {} s",
                        r.label,
                        ms as f64 / 1000.0,
                        max_lag_ms as f64 / 1000.0
                    ))
                }
                Lag::Unknown(why) => {
                    return Some(format!("replica {}: lag unknown ({why})", r.label))
                }
            }
        }
        None
    }
}

impl Replica {
    /// The replica's lag now; a failure reads as unknown (and the connection is opened
    /// again next time).
    pub async fn lag(&mut self) -> Lag {
        if self.conn.is_none() {
            match AnyBackend::connect(&self.url).await {
                Ok(c) => self.conn = Some(c),
                Err(e) => return Lag::Unknown(format!("cannot connect: {e}")),
            }
        }
        let conn = self.conn.as_mut().expect("connected above");
        match read_lag(conn).await {
            Ok(lag) => lag,
            Err(e) => {
                self.conn = None;
                Lag::Unknown(e.to_string())
            }
        }
    }
}

/// Reads the lag of the replica `b` is connected to.
pub async fn read_lag<B: Backend>(b: &mut B) -> Result<Lag, DbError> {
    match b.dialect() {
        Dialect::Postgres => {
            let rows = b
                .query(
                    "SELECT pg_is_in_recovery(), \
                     pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(), \
                     (EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint",
                    &[],
                )
                .await?;
            let row = rows.first().cloned().unwrap_or_default();
            let cell = |i: usize| row.get(i).cloned().flatten();
            if !super::backend::truthy(&cell(0)) {
                return Ok(Lag::Unknown(
                    "not a replica: pg_is_in_recovery() is false".to_owned(),
                ));
            }
            if super::backend::truthy(&cell(1)) {
                return Ok(Lag::Ms(0));
            }
            Ok(match cell(2).and_then(|v| v.trim().parse::<i64>().ok()) {
                Some(ms) => Lag::Ms(ms.max(0) as u64),
                None => Lag::Unknown("nothing replayed yet".to_owned()),
            })
        }
        Dialect::Mysql => {
            let rows = b.query("SHOW SLAVE STATUS", &[]).await?;
            let Some(row) = rows.first() else {
                return Ok(Lag::Unknown(
                    "not a replica: SHOW SLAVE STATUS is empty".to_owned(),
                ));
            };
            let cell = |i: usize| row.get(i).cloned().flatten();
            // Slave_IO_Running, Slave_SQL_Running, Seconds_Behind_Master.
            let (io, sql) = (cell(10), cell(11));
            if !matches!(
                io.as_deref(),
                Some("Yes" | "No" | "Connecting" | "Preparing")
            ) || !matches!(sql.as_deref(), Some("Yes" | "No"))
            {
                return Err(DbError::other(
                    "SHOW SLAVE STATUS has columns in an unknown order",
                ));
            }
            if sql.as_deref() != Some("Yes") {
                return Ok(Lag::Unknown("its SQL thread is stopped".to_owned()));
            }
            Ok(match cell(32).and_then(|v| v.trim().parse::<u64>().ok()) {
                Some(s) => Lag::Ms(s * 1000),
                None => Lag::Unknown("Seconds_Behind_Master is NULL".to_owned()),
            })
        }
    }
}
