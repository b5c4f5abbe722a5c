//! The few primitives the runner needs from a database, and the values that cross them.
//!
//! Owns the [`Backend`] trait, the [`DbError`] classification (lock timeout, lost
//! connection, the rest) and the schema [`Snapshot`]. The algorithm in `runner/mod.rs` is
//! written once against this trait; `postgres.rs` and `mysql.rs` implement it, and
//! `fake.rs` records calls for the algorithm's own tests. Nothing here prints.

use crate::dialect::Dialect;
use std::fmt;

/// A parameter value for [`Backend::execute_with`] / [`Backend::query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

/// One result row, every column as text (`None` for NULL). Booleans read as `"true"` /
/// `"false"` on PostgreSQL and `"1"` / `"0"` on MySQL; use [`truthy`].
pub type Row = Vec<Option<String>>;

/// Whether a column read as text means true.
pub fn truthy(cell: &Option<String>) -> bool {
    matches!(cell.as_deref(), Some("t" | "true" | "1"))
}

/// What kind of failure a database error is: the runner retries a lock timeout, reports a
/// lost connection as such, and stops on the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// `lock_timeout` / `lock_wait_timeout` expired (PostgreSQL 55P03, MySQL 1205).
    LockTimeout,
    /// The connection is gone (server restart, network, killed session).
    Connection,
    /// Anything else: a syntax error, a constraint violation, a missing object.
    Other,
}

/// An error from the database or the driver. The message never holds a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub kind: DbErrorKind,
    /// SQLSTATE on PostgreSQL, the error number on MySQL, when the server sent one.
    pub code: Option<String>,
    pub message: String,
}

impl DbError {
    pub fn other(message: impl Into<String>) -> DbError {
        DbError {
            kind: DbErrorKind::Other,
            code: None,
            message: message.into(),
        }
    }

    pub fn is_lock_timeout(&self) -> bool {
        self.kind == DbErrorKind::LockTimeout
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} ({code})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DbError {}

/// One object of a schema snapshot: `kind` (`table`, `column`, `index`, `constraint`,
/// `enum`, `view`, `materialized view`, `function`, `procedure`, `trigger`, `sequence`,
/// `domain`, `type`, `extension`), the object's name qualified by its
/// table where it has one (`users`, `users.email`), and a normalised definition (no OIDs,
/// no timestamps, no schema name of the target itself).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotItem {
    pub kind: String,
    pub name: String,
    pub detail: String,
}

/// A schema as normalised, sorted items; equal schemas give equal snapshots on the same
/// engine and version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Snapshot {
    pub items: Vec<SnapshotItem>,
}

impl Snapshot {
    /// Sorts and de-duplicates the items.
    pub fn new(mut items: Vec<SnapshotItem>) -> Snapshot {
        items.sort();
        items.dedup();
        Snapshot { items }
    }

    /// The text form, one item a line: `<kind> <name> <detail>`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for i in &self.items {
            out.push_str(&i.kind);
            out.push(' ');
            out.push_str(&i.name);
            if !i.detail.is_empty() {
                out.push(' ');
                out.push_str(&i.detail);
            }
            out.push('\n');
        }
        out
    }
}

/// A database connection as the runner uses it. One connection, used by one task.
///
/// Statements passed to [`Backend::execute`] are the migration's own text, one statement
/// at a time, sent without parameters (PostgreSQL's simple query protocol, MySQL's text
/// protocol), so any statement the engine accepts runs. Placeholders in
/// [`Backend::execute_with`] / [`Backend::query`] are `$1, $2, …` on PostgreSQL and `?` on
/// MySQL (see [`placeholder`]).
#[allow(async_fn_in_trait)]
pub trait Backend {
    fn dialect(&self) -> Dialect;

    /// The engine and its version as recorded in proofs: `postgresql-15.19`,
    /// `mariadb-10.11.19`, `mysql-8.0.36`.
    fn engine(&self) -> &str;

    /// Runs one statement; returns the rows it affected (0 for DDL).
    async fn execute(&mut self, sql: &str) -> Result<u64, DbError>;

    /// Runs one statement with parameters; returns the rows it affected.
    async fn execute_with(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;

    /// Runs a query; every column comes back as text.
    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;

    /// Takes the session-level advisory lock `name` without waiting
    /// (`pg_try_advisory_lock` / `GET_LOCK(name, 0)`); false when another session holds it.
    async fn try_lock(&mut self, name: &str) -> Result<bool, DbError>;

    /// Releases the advisory lock `name`.
    async fn unlock(&mut self, name: &str) -> Result<(), DbError>;

    /// Who holds the advisory lock `name`: `"pid 4242 (postgres@127.0.0.1, bellows, since
    /// 2026-11-27 10:00:00)"`, or `None` when it is free.
    async fn lock_holder(&mut self, name: &str) -> Result<Option<String>, DbError>;

    /// Sets how long a statement may wait for a lock, for the session:
    /// `lock_timeout` on PostgreSQL; `lock_wait_timeout` and `innodb_lock_wait_timeout`
    /// (whole seconds, at least 1) on MySQL.
    async fn set_lock_timeout(&mut self, ms: u64) -> Result<(), DbError>;

    /// The schema of the connected database (PostgreSQL: every schema but the system
    /// ones; MySQL: the current database), leaving out the tables named in `exclude`.
    async fn snapshot(&mut self, exclude: &[&str]) -> Result<Snapshot, DbError>;

    /// Lets later snapshots reuse what earlier ones read for objects that have not
    /// changed since (PostgreSQL; elsewhere nothing changes). Only for a database no other
    /// session changes meanwhile, such as a scratch database.
    fn reuse_snapshots(&mut self) {}

    /// The `application_name` (PostgreSQL) or `program_name` connection attribute
    /// (MySQL) of every other session, as sent.
    async fn applications(&mut self) -> Result<Vec<String>, DbError>;

    /// A second session on the same database with the same credentials, for watching
    /// the server while this one works (a backfill samples the probe and lock waits
    /// beside each batch). `None`: this backend cannot open one.
    async fn open_another(&self) -> Option<Result<Self, DbError>>
    where
        Self: Sized,
    {
        None
    }

    /// The URL this session was opened with (the replicas a primary reports are reached
    /// with its credentials); `None` when there is none.
    fn url(&self) -> Option<&super::url::DbUrl> {
        None
    }
}

/// The `n`-th (1-based) parameter placeholder of a dialect.
pub fn placeholder(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Postgres => format!("${n}"),
        Dialect::Mysql => "?".to_owned(),
    }
}

/// An identifier quoted for a dialect (`"a ""b"""` / `` `a ``b` ``).
pub fn quote_ident(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_the_quote() {
        assert_eq!(quote_ident(Dialect::Postgres, "a \"b\""), "\"a \"\"b\"\"\"");
        assert_eq!(quote_ident(Dialect::Mysql, "a`b"), "`a``b`");
        assert_eq!(placeholder(Dialect::Postgres, 2), "$2");
        assert_eq!(placeholder(Dialect::Mysql, 2), "?");
    }

    #[test]
    fn snapshot_sorts_and_renders() {
        let s = Snapshot::new(vec![
            SnapshotItem {
                kind: "table".into(),
                name: "users".into(),
                detail: String::new(),
            },
            SnapshotItem {
                kind: "column".into(),
                name: "users.id".into(),
                detail: "bigint not null".into(),
            },
        ]);
        assert_eq!(s.render(), "column users.id bigint not null\ntable users\n");
    }
}
