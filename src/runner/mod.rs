//! The runner: applies a plan to a real database, phase by phase, through a [`Backend`].
//!
//! Owns the algorithm (advisory lock, history, gates, transactions, lock-timeout retries,
//! backfill batches, rollback on failure), written once for every engine. `postgres.rs`
//! and `mysql.rs` are the engines; `history.rs` the `bellows_history` table; `verify.rs`
//! the rollback proofs. It prints nothing itself: progress goes through a [`Progress`]
//! sink the command supplies.

pub mod apply;
mod autovacuum;
pub mod backend;
mod backfill;
pub mod baseline;
pub mod drift;
pub mod events;
pub mod fake;
pub mod history;
pub mod import;
mod invalid_index;
pub mod mysql;
pub mod pacing;
pub mod postgres;
pub mod replica;
pub mod script;
pub mod url;
pub mod verify;
pub mod watch;

pub use apply::{
    ApplyRequest, FailureKind, Outcome, Project, Resolution, RollbackRequest, RunError, Runner,
    Settings, StatusReport,
};
pub use backend::{Backend, DbError, DbErrorKind, Row, Snapshot, SnapshotItem, Value};
pub use events::{Event, Events};

use crate::dialect::Dialect;
use url::DbUrl;

/// The error of a connection that did not complete within its connect timeout (either
/// engine): it names the host, never the password.
/// `cannot connect to <url>: <reason>` as one sentence: the driver's message is used as
/// it is when it already names the URL (the backends' connect errors do), and the
/// driver's own "error connecting to server" preamble is dropped.
pub fn connect_message(url: &str, error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    if text.contains(url) {
        return text;
    }
    let reason = text
        .strip_prefix("error connecting to server: ")
        .unwrap_or(&text);
    format!("cannot connect to {url}: {reason}")
}

pub(crate) fn connect_timed_out(url: &DbUrl, timeout: std::time::Duration) -> DbError {
    DbError {
        kind: DbErrorKind::Connection,
        code: None,
        message: url::redact(&format!(
            "connecting to {} timed out after {} s: the server did not answer (set connect_timeout=SECONDS in the URL or [runner] connect-timeout in bellows.toml to wait longer)",
            url.host_port(),
            timeout.as_secs()
        )),
    }
}

/// A connection to either engine, chosen by the URL's scheme.
// One value per connection, a handful per run: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum AnyBackend {
    Postgres(postgres::PgBackend),
    Mysql(mysql::MyBackend),
}

impl AnyBackend {
    /// Connects to the database the URL names; the session's application name is
    /// `bellows`.
    pub async fn connect(url: &DbUrl) -> Result<AnyBackend, DbError> {
        Ok(match url.dialect() {
            Dialect::Postgres => {
                AnyBackend::Postgres(postgres::PgBackend::connect(url, "bellows").await?)
            }
            Dialect::Mysql => AnyBackend::Mysql(mysql::MyBackend::connect(url, "bellows").await?),
        })
    }
}

macro_rules! delegate {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            AnyBackend::Postgres($b) => $e,
            AnyBackend::Mysql($b) => $e,
        }
    };
}

impl Backend for AnyBackend {
    fn dialect(&self) -> Dialect {
        delegate!(self, b => b.dialect())
    }
    fn engine(&self) -> &str {
        delegate!(self, b => b.engine())
    }
    async fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        delegate!(self, b => b.execute(sql).await)
    }
    async fn execute_with(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        delegate!(self, b => b.execute_with(sql, params).await)
    }
    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        delegate!(self, b => b.query(sql, params).await)
    }
    async fn try_lock(&mut self, name: &str) -> Result<bool, DbError> {
        delegate!(self, b => b.try_lock(name).await)
    }
    async fn unlock(&mut self, name: &str) -> Result<(), DbError> {
        delegate!(self, b => b.unlock(name).await)
    }
    async fn lock_holder(&mut self, name: &str) -> Result<Option<String>, DbError> {
        delegate!(self, b => b.lock_holder(name).await)
    }
    async fn set_lock_timeout(&mut self, ms: u64) -> Result<(), DbError> {
        delegate!(self, b => b.set_lock_timeout(ms).await)
    }
    async fn snapshot(&mut self, exclude: &[&str]) -> Result<Snapshot, DbError> {
        delegate!(self, b => b.snapshot(exclude).await)
    }
    fn reuse_snapshots(&mut self) {
        delegate!(self, b => b.reuse_snapshots())
    }
    async fn applications(&mut self) -> Result<Vec<String>, DbError> {
        delegate!(self, b => b.applications().await)
    }
    async fn open_another(&self) -> Option<Result<Self, DbError>> {
        Some(match self {
            AnyBackend::Postgres(b) => b.open_another().await?.map(AnyBackend::Postgres),
            AnyBackend::Mysql(b) => b.open_another().await?.map(AnyBackend::Mysql),
        })
    }
    fn url(&self) -> Option<&DbUrl> {
        delegate!(self, b => b.url())
    }
}
