//! `bellows_history`: the table in the target database that records every step the runner
//! took, and what it says about the database's state.
//!
//! Owns the table's definition for each engine, the rows' reading and writing, and the
//! pure reading of a history into applied / dirty migrations. Who ran a step (OS user,
//! host, CI, git commit, bellows version) is gathered here too. It decides nothing about
//! what to run next.

use super::backend::{placeholder, quote_ident, truthy, Backend, DbError, Row, Value};
use crate::dialect::Dialect;
use std::collections::BTreeMap;

/// Where the history lives: `[runner] history-table` / `history-schema` in bellows.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTable {
    /// A PostgreSQL schema or a MySQL database; `None`: the connection's default.
    pub schema: Option<String>,
    pub name: String,
}

impl HistoryTable {
    /// The runner's own tables, which no schema comparison counts: the history and the
    /// commit probe's heartbeat table beside it.
    pub fn own_tables(&self) -> [String; 2] {
        [self.name.clone(), super::watch::heartbeat_table(self).name]
    }
}

impl Default for HistoryTable {
    fn default() -> Self {
        HistoryTable {
            schema: None,
            name: "bellows_history".to_owned(),
        }
    }
}

impl HistoryTable {
    /// The quoted, qualified name for SQL.
    pub fn sql(&self, dialect: Dialect) -> String {
        match &self.schema {
            Some(s) => format!(
                "{}.{}",
                quote_ident(dialect, s),
                quote_ident(dialect, &self.name)
            ),
            None => quote_ident(dialect, &self.name),
        }
    }

    /// The name of the advisory lock that serialises runs on this history.
    pub fn lock_name(&self) -> String {
        match &self.schema {
            Some(s) => format!("bellows:{s}.{}", self.name),
            None => format!("bellows:{}", self.name),
        }
    }
}

/// Which way a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Up,
    Down,
    /// An operator's verdict on a dirty step (`bellows migrate resolve --mark-applied`):
    /// no SQL ran; the migration counts as applied.
    MarkApplied,
    /// `bellows migrate resolve --mark-rolled-back`: the migration counts as not applied.
    MarkRolledBack,
    /// `bellows migrate baseline`: the database already held the migration's changes when
    /// bellows adopted it; no SQL ran, it counts as applied and its checksum is checked
    /// like an applied step's.
    Baseline,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::MarkApplied => "mark-applied",
            Direction::MarkRolledBack => "mark-rolled-back",
            Direction::Baseline => "baseline",
        }
    }

    fn parse(s: &str) -> Direction {
        match s {
            "down" => Direction::Down,
            "mark-applied" => Direction::MarkApplied,
            "mark-rolled-back" => Direction::MarkRolledBack,
            "baseline" => Direction::Baseline,
            _ => Direction::Up,
        }
    }
}

/// Who runs bellows, from where: recorded with every step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub os_user: String,
    pub host: String,
    /// The CI system when one is detected (`github-actions`, `gitlab-ci`, `ci`).
    pub ci: Option<String>,
    /// The commit being deployed: `GITHUB_SHA`, `CI_COMMIT_SHA`, `GIT_COMMIT`, or the
    /// working tree's `HEAD`.
    pub git_commit: Option<String>,
}

impl Who {
    /// Reads the environment, once per process (a fleet rollout makes a runner per target;
    /// `git rev-parse` runs once).
    pub fn current() -> Who {
        static WHO: std::sync::OnceLock<Who> = std::sync::OnceLock::new();
        WHO.get_or_init(Who::read).clone()
    }

    fn read() -> Who {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let ci = if env("GITHUB_ACTIONS").is_some() {
            Some("github-actions".to_owned())
        } else if env("GITLAB_CI").is_some() {
            Some("gitlab-ci".to_owned())
        } else if env("BUILDKITE").is_some() {
            Some("buildkite".to_owned())
        } else {
            env("CI").map(|_| "ci".to_owned())
        };
        let git_commit = env("GITHUB_SHA")
            .or_else(|| env("CI_COMMIT_SHA"))
            .or_else(|| env("GIT_COMMIT"))
            .or_else(|| {
                let out = std::process::Command::new("git")
                    .args(["rev-parse", "HEAD"])
                    .stderr(std::process::Stdio::null())
                    .output()
                    .ok()?;
                out.status
                    .success()
                    .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
                    .filter(|s| !s.is_empty())
            });
        Who {
            os_user: whoami::username().unwrap_or_else(|_| "unknown".to_owned()),
            host: whoami::hostname().unwrap_or_else(|_| "unknown".to_owned()),
            ci,
            git_commit,
        }
    }
}

/// One row of the history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryRow {
    pub id: i64,
    pub migration: String,
    pub phase: String,
    pub direction: Direction,
    pub checksum: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC on PostgreSQL, the server's time zone on MySQL.
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `None` while the step runs, or after a crash: the row is dirty.
    pub success: Option<bool>,
    pub duration_ms: Option<i64>,
    pub os_user: Option<String>,
    pub host: Option<String>,
    pub ci: Option<String>,
    pub git_commit: Option<String>,
    pub bellows_version: String,
    /// A backfill's last committed key: the next batch starts here.
    pub backfill_last_key: Option<String>,
    pub backfill_rows: Option<i64>,
    pub error: Option<String>,
}

/// A step about to be recorded.
#[derive(Debug, Clone)]
pub struct NewRow<'a> {
    pub migration: &'a str,
    pub phase: &'a str,
    pub direction: Direction,
    pub checksum: &'a str,
    pub who: &'a Who,
}

/// Creates the history table (and its PostgreSQL schema) when it does not exist.
pub async fn ensure<B: Backend>(b: &mut B, table: &HistoryTable) -> Result<(), DbError> {
    let d = b.dialect();
    if let (Some(schema), Dialect::Postgres) = (&table.schema, d) {
        b.execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(d, schema)
        ))
        .await?;
    }
    let t = table.sql(d);
    let sql = match d {
        Dialect::Postgres => format!(
            "CREATE TABLE IF NOT EXISTS {t} (
    id bigserial PRIMARY KEY,
    migration text NOT NULL,
    phase text NOT NULL,
    direction text NOT NULL,
    checksum text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    success boolean,
    duration_ms bigint,
    os_user text,
    host text,
    ci text,
    git_commit text,
    bellows_version text NOT NULL,
    backfill_last_key text,
    backfill_rows bigint,
    error text
)"
        ),
        Dialect::Mysql => format!(
            "CREATE TABLE IF NOT EXISTS {t} (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    migration VARCHAR(255) NOT NULL,
    phase VARCHAR(16) NOT NULL,
    direction VARCHAR(16) NOT NULL,
    checksum VARCHAR(80) NOT NULL,
    started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    finished_at DATETIME(6) NULL,
    success BOOLEAN NULL,
    duration_ms BIGINT NULL,
    os_user VARCHAR(255) NULL,
    host VARCHAR(255) NULL,
    ci VARCHAR(64) NULL,
    git_commit VARCHAR(64) NULL,
    bellows_version VARCHAR(32) NOT NULL,
    backfill_last_key VARCHAR(255) NULL,
    backfill_rows BIGINT NULL,
    error TEXT NULL
) ENGINE=InnoDB"
        ),
    };
    // CREATE TABLE IF NOT EXISTS can still race with a concurrent first run on
    // PostgreSQL (a unique violation on the type name); the table exists either way.
    match b.execute(&sql).await {
        Ok(_) => Ok(()),
        Err(e) if e.code.as_deref() == Some("23505") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether the history table exists (without creating it).
pub async fn exists<B: Backend>(b: &mut B, table: &HistoryTable) -> Result<bool, DbError> {
    let d = b.dialect();
    let rows = match (d, &table.schema) {
        (Dialect::Postgres, _) => {
            let qualified = table.sql(d);
            b.query(
                &format!("SELECT to_regclass({})::text", placeholder(d, 1)),
                &[Value::Text(qualified)],
            )
            .await?
        }
        (Dialect::Mysql, schema) => {
            let schema_expr = if schema.is_some() {
                placeholder(d, 2)
            } else {
                "DATABASE()".to_owned()
            };
            let mut params = vec![Value::Text(table.name.clone())];
            if let Some(s) = schema {
                params.push(Value::Text(s.clone()));
            }
            b.query(
                &format!(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME = {} AND TABLE_SCHEMA = {schema_expr}",
                    placeholder(d, 1)
                ),
                &params,
            )
            .await?
        }
    };
    Ok(rows
        .first()
        .is_some_and(|r| r.first().is_some_and(|c| c.is_some())))
}

fn time_text(dialect: Dialect, column: &str) -> String {
    match dialect {
        Dialect::Postgres => {
            format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')")
        }
        Dialect::Mysql => format!("DATE_FORMAT({column}, '%Y-%m-%d %H:%i:%s')"),
    }
}

fn now(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "clock_timestamp()",
        Dialect::Mysql => "CURRENT_TIMESTAMP(6)",
    }
}

/// Every row, oldest first.
pub async fn read<B: Backend>(b: &mut B, table: &HistoryTable) -> Result<Vec<HistoryRow>, DbError> {
    let d = b.dialect();
    let sql = format!(
        "SELECT id, migration, phase, direction, checksum, {}, {}, success, duration_ms, os_user, host, ci, git_commit, bellows_version, backfill_last_key, backfill_rows, error FROM {} ORDER BY id",
        time_text(d, "started_at"),
        time_text(d, "finished_at"),
        table.sql(d)
    );
    let rows = b.query(&sql, &[]).await?;
    rows.iter().map(parse_row).collect()
}

fn parse_row(r: &Row) -> Result<HistoryRow, DbError> {
    let text = |i: usize| r.get(i).cloned().flatten();
    let int = |i: usize| text(i).and_then(|s| s.parse::<i64>().ok());
    Ok(HistoryRow {
        id: int(0).ok_or_else(|| DbError::other("bellows_history: a row has no id"))?,
        migration: text(1).unwrap_or_default(),
        phase: text(2).unwrap_or_default(),
        direction: Direction::parse(&text(3).unwrap_or_default()),
        checksum: text(4).unwrap_or_default(),
        started_at: text(5).unwrap_or_default(),
        finished_at: text(6),
        success: r.get(7).and_then(|c| c.as_ref().map(|_| truthy(c))),
        duration_ms: int(8),
        os_user: text(9),
        host: text(10),
        ci: text(11),
        git_commit: text(12),
        bellows_version: text(13).unwrap_or_default(),
        backfill_last_key: text(14),
        backfill_rows: int(15),
        error: text(16),
    })
}

fn new_row_params(row: &NewRow<'_>) -> Vec<Value> {
    let opt = |s: &Option<String>| s.clone().map(Value::Text).unwrap_or(Value::Null);
    vec![
        Value::Text(row.migration.to_owned()),
        Value::Text(row.phase.to_owned()),
        Value::Text(row.direction.as_str().to_owned()),
        Value::Text(row.checksum.to_owned()),
        Value::Text(row.who.os_user.clone()),
        Value::Text(row.who.host.clone()),
        opt(&row.who.ci),
        opt(&row.who.git_commit),
        Value::Text(env!("CARGO_PKG_VERSION").to_owned()),
    ]
}

const NEW_COLUMNS: &str =
    "migration, phase, direction, checksum, os_user, host, ci, git_commit, bellows_version";

/// Writes a "started" row (success NULL) and returns its id. Before a non-transactional
/// step this is committed first, so a crash leaves it dirty for the next run to see.
pub async fn start<B: Backend>(
    b: &mut B,
    table: &HistoryTable,
    row: &NewRow<'_>,
) -> Result<i64, DbError> {
    let d = b.dialect();
    let params = new_row_params(row);
    let marks: Vec<String> = (1..=params.len()).map(|n| placeholder(d, n)).collect();
    let insert = format!(
        "INSERT INTO {} ({NEW_COLUMNS}) VALUES ({})",
        table.sql(d),
        marks.join(", ")
    );
    let id = match d {
        Dialect::Postgres => b
            .query(&format!("{insert} RETURNING id"), &params)
            .await?
            .first()
            .and_then(|r| r.first().cloned().flatten()),
        Dialect::Mysql => {
            b.execute_with(&insert, &params).await?;
            b.query("SELECT LAST_INSERT_ID()", &[])
                .await?
                .first()
                .and_then(|r| r.first().cloned().flatten())
        }
    };
    id.and_then(|s| s.parse().ok())
        .ok_or_else(|| DbError::other("bellows_history: the new row's id was not returned"))
}

/// Writes a finished row in one statement (inside a step's own transaction, so the step
/// and its record commit together).
pub async fn record<B: Backend>(
    b: &mut B,
    table: &HistoryTable,
    row: &NewRow<'_>,
    success: bool,
    duration_ms: i64,
    error: Option<&str>,
) -> Result<(), DbError> {
    let d = b.dialect();
    let mut params = new_row_params(row);
    params.push(Value::Bool(success));
    params.push(Value::Int(duration_ms));
    params.push(
        error
            .map(|e| Value::Text(e.to_owned()))
            .unwrap_or(Value::Null),
    );
    let marks: Vec<String> = (1..=params.len()).map(|n| placeholder(d, n)).collect();
    b.execute_with(
        &format!(
            "INSERT INTO {} ({NEW_COLUMNS}, success, duration_ms, error, finished_at) VALUES ({}, {})",
            table.sql(d),
            marks.join(", "),
            now(d)
        ),
        &params,
    )
    .await?;
    Ok(())
}

/// Marks a row finished.
pub async fn finish<B: Backend>(
    b: &mut B,
    table: &HistoryTable,
    id: i64,
    success: bool,
    duration_ms: i64,
    error: Option<&str>,
) -> Result<(), DbError> {
    let d = b.dialect();
    b.execute_with(
        &format!(
            "UPDATE {} SET finished_at = {}, success = {}, duration_ms = {}, error = {} WHERE id = {}",
            table.sql(d),
            now(d),
            placeholder(d, 1),
            placeholder(d, 2),
            placeholder(d, 3),
            placeholder(d, 4)
        ),
        &[
            Value::Bool(success),
            Value::Int(duration_ms),
            error.map(|e| Value::Text(e.to_owned())).unwrap_or(Value::Null),
            Value::Int(id),
        ],
    )
    .await?;
    Ok(())
}

/// Records an error on a row that stays dirty (success NULL): a step that failed half-way
/// and could not be rolled back.
pub async fn leave_dirty<B: Backend>(
    b: &mut B,
    table: &HistoryTable,
    id: i64,
    duration_ms: i64,
    error: &str,
) -> Result<(), DbError> {
    let d = b.dialect();
    b.execute_with(
        &format!(
            "UPDATE {} SET duration_ms = {}, error = {} WHERE id = {}",
            table.sql(d),
            placeholder(d, 1),
            placeholder(d, 2),
            placeholder(d, 3)
        ),
        &[
            Value::Int(duration_ms),
            Value::Text(error.to_owned()),
            Value::Int(id),
        ],
    )
    .await?;
    Ok(())
}

/// Records a backfill's progress (inside the batch's transaction, so the key and the rows
/// commit together).
pub async fn progress<B: Backend>(
    b: &mut B,
    table: &HistoryTable,
    id: i64,
    last_key: &str,
    rows: i64,
) -> Result<(), DbError> {
    let d = b.dialect();
    b.execute_with(
        &format!(
            "UPDATE {} SET backfill_last_key = {}, backfill_rows = {} WHERE id = {}",
            table.sql(d),
            placeholder(d, 1),
            placeholder(d, 2),
            placeholder(d, 3)
        ),
        &[
            Value::Text(last_key.to_owned()),
            Value::Int(rows),
            Value::Int(id),
        ],
    )
    .await?;
    Ok(())
}

/// What a history says about the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Applied migrations and the row that applied them, in the order they were applied.
    pub applied: Vec<HistoryRow>,
    /// Steps that started and never finished (or failed half-way without a rollback),
    /// newest per migration, oldest first.
    pub dirty: Vec<HistoryRow>,
}

impl State {
    pub fn is_applied(&self, id: &str) -> bool {
        self.applied.iter().any(|r| r.migration == id)
    }

    pub fn applied_row(&self, id: &str) -> Option<&HistoryRow> {
        self.applied.iter().find(|r| r.migration == id)
    }
}

/// Replays the rows: a finished `up` applies, a finished `down` un-applies, a row without
/// an outcome is dirty until a later row for the same migration settles it; the operator's
/// `mark-applied` / `mark-rolled-back` rows settle it without SQL.
pub fn state(rows: &[HistoryRow]) -> State {
    let mut applied: Vec<HistoryRow> = Vec::new();
    let mut dirty: BTreeMap<String, HistoryRow> = BTreeMap::new();
    for r in rows {
        dirty.remove(&r.migration);
        match (r.direction, r.success) {
            (_, None) => {
                dirty.insert(r.migration.clone(), r.clone());
            }
            (Direction::Up | Direction::MarkApplied | Direction::Baseline, Some(true)) => {
                applied.retain(|a| a.migration != r.migration);
                applied.push(r.clone());
            }
            (Direction::Down | Direction::MarkRolledBack, Some(true)) => {
                applied.retain(|a| a.migration != r.migration)
            }
            (_, Some(false)) => {}
        }
    }
    let mut dirty: Vec<HistoryRow> = dirty.into_values().collect();
    dirty.sort_by_key(|r| r.id);
    State { applied, dirty }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, m: &str, dir: Direction, success: Option<bool>) -> HistoryRow {
        HistoryRow {
            id,
            migration: m.to_owned(),
            phase: "expand".to_owned(),
            direction: dir,
            checksum: "sha256:00".to_owned(),
            started_at: String::new(),
            finished_at: None,
            success,
            duration_ms: None,
            os_user: None,
            host: None,
            ci: None,
            git_commit: None,
            bellows_version: String::new(),
            backfill_last_key: None,
            backfill_rows: None,
            error: None,
        }
    }

    #[test]
    fn replays_applied_and_dirty() {
        let resolved = row(7, "0004", Direction::MarkApplied, Some(true));
        let s = state(&[
            row(1, "0001", Direction::Up, Some(true)),
            row(2, "0002", Direction::Up, Some(true)),
            row(3, "0002", Direction::Down, Some(true)),
            row(4, "0003", Direction::Up, Some(false)),
            row(5, "0003", Direction::Up, None),
            row(6, "0004", Direction::Up, None),
            resolved,
        ]);
        let applied: Vec<&str> = s.applied.iter().map(|r| r.migration.as_str()).collect();
        assert_eq!(applied, ["0001", "0004"]);
        let dirty: Vec<&str> = s.dirty.iter().map(|r| r.migration.as_str()).collect();
        assert_eq!(dirty, ["0003"]);
    }

    #[test]
    fn names_are_quoted() {
        let t = HistoryTable {
            schema: Some("ops \"x\"".to_owned()),
            name: "my history".to_owned(),
        };
        assert_eq!(t.sql(Dialect::Postgres), "\"ops \"\"x\"\"\".\"my history\"");
        assert_eq!(t.sql(Dialect::Mysql), "`ops \"x\"`.`my history`");
    }
}
