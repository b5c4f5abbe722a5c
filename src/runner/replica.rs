//! Replication lag: the replicas listed as `[[replica]]` in `bellows.toml`, or, with none
//! listed, the ones the primary reports, and how far each is behind its primary.
//!
//! Owns finding the replicas, connecting to them (lazily, once; again after a lost
//! connection) and reading their lag:
//! - PostgreSQL, on the replica: `now() - pg_last_xact_replay_timestamp()`, but 0 when
//!   everything received is replayed (`pg_last_wal_receive_lsn() =
//!   pg_last_wal_replay_lsn()`: an idle primary sends nothing, and the last replayed
//!   transaction's age then says nothing), and unknown when nothing was replayed yet;
//! - PostgreSQL, discovered: the primary's `pg_stat_replication` row of the replica, its
//!   `replay_lag` (read on the primary: no connection to the replica);
//! - MariaDB / MySQL, on the replica: `SHOW SLAVE STATUS`'s `Seconds_Behind_Master`
//!   (unknown when it is NULL: the SQL or IO thread is stopped); discovered replicas are
//!   the primary's `SHOW SLAVE HOSTS` (those started with `report_host`), reached with
//!   the primary's credentials.
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

/// One replica and where its lag is read.
pub struct Replica {
    /// `host:port`, for messages (never a password).
    pub label: String,
    source: Source,
}

// A handful per run: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Source {
    /// On the replica itself (a `[[replica]]` URL, or a replica `SHOW SLAVE HOSTS`
    /// reported).
    Url {
        url: DbUrl,
        conn: Option<AnyBackend>,
        /// Reported by the primary rather than configured (for messages).
        reported: bool,
    },
    /// In the PostgreSQL primary's `pg_stat_replication`: its `application_name` and
    /// client address.
    Primary { application: String, addr: String },
}

/// The replicas of a project.
pub struct Replicas {
    pub list: Vec<Replica>,
}

impl Replicas {
    /// No replicas.
    pub fn none() -> Replicas {
        Replicas { list: Vec::new() }
    }

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
                    source: Source::Url {
                        url,
                        conn: None,
                        reported: false,
                    },
                })
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        Ok(Replicas { list })
    }

    /// The replicas the primary `b` reports: PostgreSQL's `pg_stat_replication` (their
    /// lag is read there, on the primary), MariaDB / MySQL's `SHOW SLAVE HOSTS` (reached
    /// with the primary's URL, `url`, on the host and port each reports; a replica
    /// reported without a host cannot be reached and reads as of unknown lag).
    pub async fn discover<B: Backend>(b: &mut B, url: Option<&DbUrl>) -> Result<Replicas, DbError> {
        let mut list = Vec::new();
        match b.dialect() {
            Dialect::Postgres => {
                let rows = b
                    .query(
                        "SELECT COALESCE(application_name, ''), COALESCE(host(client_addr), client_hostname, 'local') \
                         FROM pg_stat_replication ORDER BY 1, 2",
                        &[],
                    )
                    .await?;
                for r in rows {
                    let cell = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
                    let (application, addr) = (cell(0), cell(1));
                    list.push(Replica {
                        label: if application.is_empty() {
                            addr.clone()
                        } else {
                            format!("{addr} ({application})")
                        },
                        source: Source::Primary { application, addr },
                    });
                }
            }
            Dialect::Mysql => {
                let rows = b.query("SHOW SLAVE HOSTS", &[]).await?;
                for r in rows {
                    // Server_id, Host, Port, …
                    let cell = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
                    let (id, host, port) = (cell(0), cell(1), cell(2));
                    let port = port.trim().parse::<u16>().unwrap_or(3306);
                    let target = url
                        .filter(|_| !host.is_empty())
                        .and_then(|u| u.with_host_port(&host, port))
                        .map(|u| u.with_database(""));
                    list.push(match target {
                        Some(u) => Replica {
                            label: u.host_port(),
                            source: Source::Url {
                                url: u,
                                conn: None,
                                reported: true,
                            },
                        },
                        None => Replica {
                            label: format!("server_id {id}"),
                            source: Source::Primary {
                                application: String::new(),
                                addr: String::new(),
                            },
                        },
                    });
                }
            }
        }
        Ok(Replicas { list })
    }

    /// The replicas' labels, for messages: `127.0.0.1:3308, 10.0.0.7:3306`.
    pub fn labels(&self) -> String {
        self.list
            .iter()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The first replica lagging more than `max_lag_ms` (or of unknown lag), as a reason
    /// to wait: `replica 127.0.0.1:5433 lags 7.2 s > max-lag 5 s`. `primary` is the
    /// primary's session (discovered PostgreSQL replicas are read there).
    pub async fn lagging<B: Backend>(
        &mut self,
        primary: &mut B,
        max_lag_ms: u64,
    ) -> Option<String> {
        for r in &mut self.list {
            match r.lag(primary).await {
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
    pub async fn lag<B: Backend>(&mut self, primary: &mut B) -> Lag {
        match &mut self.source {
            Source::Url {
                url,
                conn,
                reported,
            } => {
                if conn.is_none() {
                    match AnyBackend::connect(url).await {
                        Ok(c) => *conn = Some(c),
                        Err(e) if *reported => {
                            return Lag::Unknown(format!(
                                "reported by the primary, but cannot be reached with the primary's credentials: {e}; list it as [[replica]] with its URL, or set [runner] discover-replicas = false"
                            ))
                        }
                        Err(e) => return Lag::Unknown(format!("cannot connect: {e}")),
                    }
                }
                let c = conn.as_mut().expect("connected above");
                match read_lag(c).await {
                    Ok(lag) => lag,
                    Err(e) => {
                        *conn = None;
                        Lag::Unknown(e.to_string())
                    }
                }
            }
            Source::Primary { addr, .. } if addr.is_empty() => Lag::Unknown(
                "reported by the primary without a host: start it with report_host, or list it as [[replica]]"
                    .to_owned(),
            ),
            Source::Primary { application, addr } => {
                match read_lag_on_primary(primary, application, addr).await {
                    Ok(lag) => lag,
                    Err(e) => Lag::Unknown(e.to_string()),
                }
            }
        }
    }
}

/// A discovered PostgreSQL replica's lag from the primary's `pg_stat_replication`: its
/// `replay_lag`; 0 when that is NULL (the primary clears it once the replica has caught
/// up and no WAL follows); unknown when the replica is no longer connected or not
/// streaming.
async fn read_lag_on_primary<B: Backend>(
    b: &mut B,
    application: &str,
    addr: &str,
) -> Result<Lag, DbError> {
    let rows = b
        .query(
            "SELECT state, (EXTRACT(EPOCH FROM replay_lag) * 1000)::bigint FROM pg_stat_replication \
             WHERE COALESCE(application_name, '') = $1 \
               AND COALESCE(host(client_addr), client_hostname, 'local') = $2",
            &[
                super::backend::Value::Text(application.to_owned()),
                super::backend::Value::Text(addr.to_owned()),
            ],
        )
        .await?;
    let Some(row) = rows.first() else {
        return Ok(Lag::Unknown(
            "no longer in the primary's pg_stat_replication: disconnected".to_owned(),
        ));
    };
    let cell = |i: usize| row.get(i).cloned().flatten();
    match cell(0).as_deref() {
        Some("streaming") => {}
        Some(state) => return Ok(Lag::Unknown(format!("its state is `{state}`"))),
        None => {
            return Ok(Lag::Unknown(
                "pg_stat_replication hides it: the primary's user needs pg_monitor or pg_read_all_stats".to_owned(),
            ))
        }
    }
    Ok(Lag::Ms(
        cell(1)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map_or(0, |ms| ms.max(0) as u64),
    ))
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
