//! A fake [`Backend`] for the runner's own tests: it keeps the history table in memory,
//! records every statement it is sent, and fails the statements it is told to fail. It
//! stands in for nothing a user runs; database behaviour is tested against the real
//! servers.

use super::backend::{Backend, DbError, DbErrorKind, Row, Snapshot, Value};
use crate::dialect::Dialect;
use std::sync::{Arc, Mutex};

/// A failure to inject: statements containing `needle` fail with `error`, `times` times
/// (`u32::MAX`: always).
#[derive(Debug, Clone)]
pub struct Failure {
    pub needle: String,
    pub error: DbError,
    pub times: u32,
}

/// A history row as the fake stores it: the columns of `history::read`, as text.
type Stored = Vec<Option<String>>;

/// The fake database, shared between fake sessions (so two runs can contend for the lock).
#[derive(Debug, Default)]
pub struct FakeDb {
    pub history: Vec<Stored>,
    pub history_created: bool,
    /// Every statement any session sent, in order, history statements included.
    pub log: Vec<String>,
    pub failures: Vec<Failure>,
    /// The session holding the advisory lock.
    pub lock: Option<usize>,
    /// Integer keys of the backfill table (`SELECT MIN/MAX`, batch boundaries).
    pub keys: Vec<i64>,
    /// `application_name`s of other sessions.
    pub applications: Vec<String>,
    /// Answers to other queries: the first whose needle the query contains gives its one
    /// value (default `0`).
    pub answers: Vec<(String, String)>,
    /// Simulated time: a batch's UPDATE takes this many milliseconds per key it touches.
    pub ms_per_key: f64,
    /// Simulated time: a query containing the needle takes that many milliseconds (the
    /// first match; change it while a run goes on to simulate load).
    pub latency: Vec<(String, u64)>,
    /// Simulated contention: while a batch's UPDATE runs, this many sessions wait on a
    /// lock, the longest for this many milliseconds (read by the lock-wait query).
    pub waits_during_batches: Option<(u64, u64)>,
    /// Batches running now.
    batches_running: usize,
    sessions: usize,
}

/// One session on a [`FakeDb`].
pub struct FakeBackend {
    pub db: Arc<Mutex<FakeDb>>,
    session: usize,
    /// The history as it was at `BEGIN`, restored by `ROLLBACK`.
    saved: Option<Vec<Stored>>,
}

impl FakeBackend {
    pub fn new(db: Arc<Mutex<FakeDb>>) -> FakeBackend {
        let session = {
            let mut d = db.lock().expect("fake db lock");
            d.sessions += 1;
            d.sessions
        };
        FakeBackend {
            db,
            session,
            saved: None,
        }
    }

    fn db(&self) -> std::sync::MutexGuard<'_, FakeDb> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a statement at once: the rows it affects and the milliseconds it should take.
    fn execute_now(&mut self, sql: &str) -> Result<(u64, f64), DbError> {
        let mut db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        db.log.push(sql.to_owned());
        if let Some(f) = db
            .failures
            .iter_mut()
            .find(|f| f.times > 0 && sql.contains(&f.needle))
        {
            f.times = f.times.saturating_sub(1);
            return Err(f.error.clone());
        }
        let upper = sql.trim().to_ascii_uppercase();
        if upper.starts_with("CREATE TABLE IF NOT EXISTS") && sql.contains("bellows_history") {
            db.history_created = true;
        } else if upper.starts_with("BEGIN") {
            self.saved = Some(db.history.clone());
        } else if upper == "COMMIT" {
            self.saved = None;
        } else if upper == "ROLLBACK" {
            if let Some(saved) = self.saved.take() {
                db.history = saved;
            }
        }
        // A batch's UPDATE touches the keys in its range.
        if let Some((lo, hi)) = batch_range(sql) {
            let n = db.keys.iter().filter(|k| **k >= lo && **k < hi).count() as u64;
            return Ok((n, db.ms_per_key * n as f64));
        }
        Ok((0, 0.0))
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Int(i) => Some(i.to_string()),
        Value::Text(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
    }
}

impl Backend for FakeBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn engine(&self) -> &str {
        "postgresql-99.0"
    }

    async fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        let (n, ms) = self.execute_now(sql)?;
        if ms > 0.0 {
            self.db().batches_running += 1;
            tokio::time::sleep(std::time::Duration::from_secs_f64(ms / 1000.0)).await;
            self.db().batches_running -= 1;
        }
        Ok(n)
    }

    async fn execute_with(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let mut db = self.db();
        db.log.push(sql.to_owned());
        let p: Vec<Option<String>> = params.iter().map(text).collect();
        let id = |i: usize| p.get(i).cloned().flatten().unwrap_or_default();
        if sql.starts_with("INSERT INTO") {
            let id = db.history.len() as i64 + 1;
            let mut row: Stored = vec![None; 17];
            row[0] = Some(id.to_string());
            for (col, value) in [1, 2, 3, 4, 9, 10, 11, 12, 13, 7, 8, 16]
                .into_iter()
                .zip(&p)
            {
                row[col] = value.clone();
            }
            row[5] = Some("2026-01-01 00:00:00".to_owned());
            row[6] = Some("2026-01-01 00:00:01".to_owned());
            db.history.push(row);
        } else if sql.contains("SET finished_at") {
            let row_id = id(3);
            if let Some(r) = db
                .history
                .iter_mut()
                .find(|r| r[0].as_deref() == Some(&row_id))
            {
                r[6] = Some("2026-01-01 00:00:01".to_owned());
                r[7] = p[0].clone();
                r[8] = p[1].clone();
                r[16] = p[2].clone();
            }
        } else if sql.contains("SET duration_ms") {
            let row_id = id(2);
            if let Some(r) = db
                .history
                .iter_mut()
                .find(|r| r[0].as_deref() == Some(&row_id))
            {
                r[8] = p[0].clone();
                r[16] = p[1].clone();
            }
        } else if sql.contains("SET backfill_last_key") {
            let row_id = id(2);
            if let Some(r) = db
                .history
                .iter_mut()
                .find(|r| r[0].as_deref() == Some(&row_id))
            {
                r[14] = p[0].clone();
                r[15] = p[1].clone();
            }
        }
        Ok(1)
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let delay = self
            .db()
            .latency
            .iter()
            .find(|(needle, _)| sql.contains(needle.as_str()))
            .map(|(_, ms)| *ms);
        if let Some(ms) = delay.filter(|ms| *ms > 0) {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let mut db = self.db();
        db.log.push(sql.to_owned());
        if let Some(f) = db
            .failures
            .iter_mut()
            .find(|f| f.times > 0 && sql.contains(&f.needle))
        {
            f.times = f.times.saturating_sub(1);
            return Err(f.error.clone());
        }
        if sql.starts_with("SELECT to_regclass") {
            let v = db.history_created.then(|| "bellows_history".to_owned());
            return Ok(vec![vec![v]]);
        }
        if sql.starts_with("SELECT id, migration") {
            return Ok(db.history.clone());
        }
        if sql.starts_with("INSERT INTO") {
            let id = db.history.len() as i64 + 1;
            let p: Vec<Option<String>> = params.iter().map(text).collect();
            let mut row: Stored = vec![None; 17];
            row[0] = Some(id.to_string());
            row[1] = p[0].clone();
            row[2] = p[1].clone();
            row[3] = p[2].clone();
            row[4] = p[3].clone();
            row[5] = Some("2026-01-01 00:00:00".to_owned());
            row[9] = p[4].clone();
            row[10] = p[5].clone();
            row[11] = p[6].clone();
            row[12] = p[7].clone();
            row[13] = p[8].clone();
            db.history.push(row);
            return Ok(vec![vec![Some(id.to_string())]]);
        }
        if sql.starts_with("SELECT MIN(") {
            let min = db.keys.iter().min().map(|k| k.to_string());
            let max = db.keys.iter().max().map(|k| k.to_string());
            return Ok(vec![vec![min, max]]);
        }
        if sql.contains(" OFFSET ") {
            let start = match params.first() {
                Some(Value::Int(i)) => *i,
                _ => 0,
            };
            let offset: usize = sql
                .rsplit("OFFSET ")
                .next()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            let mut keys: Vec<i64> = db.keys.iter().copied().filter(|k| *k >= start).collect();
            keys.sort_unstable();
            return Ok(keys
                .get(offset)
                .map(|k| vec![vec![Some(k.to_string())]])
                .unwrap_or_default());
        }
        if sql.contains("FROM pg_stat_replication") {
            // No replicas.
            return Ok(Vec::new());
        }
        if sql.contains("wait_event_type = 'Lock'") {
            let (n, ms) = db
                .waits_during_batches
                .filter(|_| db.batches_running > 0)
                .unwrap_or((0, 0));
            return Ok(vec![vec![Some(n.to_string()), Some(ms.to_string())]]);
        }
        let answer = db
            .answers
            .iter()
            .find(|(needle, _)| sql.contains(needle.as_str()))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "0".to_owned());
        Ok(vec![vec![Some(answer)]])
    }

    async fn try_lock(&mut self, _name: &str) -> Result<bool, DbError> {
        let session = self.session;
        let mut db = self.db();
        match db.lock {
            Some(s) if s != session => Ok(false),
            _ => {
                db.lock = Some(session);
                Ok(true)
            }
        }
    }

    async fn unlock(&mut self, _name: &str) -> Result<(), DbError> {
        let session = self.session;
        let mut db = self.db();
        if db.lock == Some(session) {
            db.lock = None;
        }
        Ok(())
    }

    async fn lock_holder(&mut self, _name: &str) -> Result<Option<String>, DbError> {
        Ok(self.db().lock.map(|s| format!("fake session {s}")))
    }

    async fn set_lock_timeout(&mut self, ms: u64) -> Result<(), DbError> {
        self.db().log.push(format!("SET lock_timeout = '{ms}ms'"));
        Ok(())
    }

    async fn snapshot(&mut self, _exclude: &[&str]) -> Result<Snapshot, DbError> {
        Ok(Snapshot::default())
    }

    async fn applications(&mut self) -> Result<Vec<String>, DbError> {
        Ok(self.db().applications.clone())
    }

    async fn open_another(&self) -> Option<Result<Self, DbError>> {
        Some(Ok(FakeBackend::new(self.db.clone())))
    }
}

/// `>= a AND … < b` in a bound batch statement.
fn batch_range(sql: &str) -> Option<(i64, i64)> {
    let lo = sql
        .split(">= ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let hi = sql
        .split("< ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .trim_end_matches(';')
        .parse()
        .ok()?;
    Some((lo, hi))
}

/// A lock-timeout error as the engines report it.
pub fn lock_timeout() -> DbError {
    DbError {
        kind: DbErrorKind::LockTimeout,
        code: Some("55P03".to_owned()),
        message: "canceling statement due to lock timeout".to_owned(),
    }
}
