//! What the application feels while an adaptive backfill runs, measured from a second
//! session.
//!
//! Owns the probes that feed the pacing controller ([`super::pacing`]):
//! - the **read probe**: the key lookup (or the `[backfill] probe` query), timed;
//! - the **commit probe**: a one-row write in its own transaction, which waits for the
//!   server's log flush, where the application's writes feel a batch first (a batch fills
//!   the log that their commits must flush; a read barely notices). PostgreSQL: a
//!   transactional `pg_logical_emit_message` (no table needed); MySQL/MariaDB: an upsert
//!   of the one row of a heartbeat table next to the history table, created on first use;
//! - the **lock waits**: the sessions of the database waiting on a lock, and the longest
//!   such wait.
//!
//! Each probe gets a budget from its own latency before the backfill starts; a sample over
//! its budget is *slow*. [`watch`] samples every few milliseconds from the start of the
//! pause before a batch to the batch's commit, so the controller sees what a batch costs
//! and also what the rest after it gives back.

use super::backend::{Backend, Value};
use super::history::HistoryTable;
use super::pacing;
use crate::dialect::Dialect;
use std::time::Duration;

/// The text every commit probe carries, so a session list (or a test) can tell it.
pub const COMMIT_PROBE_TAG: &str = "/* bellows commit probe */";

/// The probes of one walk.
#[derive(Debug, Clone)]
pub(super) struct Probes {
    /// The read probe; `$1` (if it takes one) is a key.
    pub read_sql: String,
    pub read_takes_key: bool,
    /// The commit probe (`None`: the server could not run it; only reads are probed).
    pub commit_sql: Option<String>,
    /// The lock-wait query.
    pub wait_sql: &'static str,
}

/// The latency above which a probe's sample counts as slow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budgets {
    pub read_ms: f64,
    /// `None`: there is no commit probe.
    pub commit_ms: Option<f64>,
}

/// The table the MySQL/MariaDB commit probe writes: `bellows_heartbeat` beside the
/// default history table, `<history>_heartbeat` beside another.
pub fn heartbeat_table(history: &HistoryTable) -> HistoryTable {
    HistoryTable {
        schema: history.schema.clone(),
        name: if history.name == HistoryTable::default().name {
            "bellows_heartbeat".to_owned()
        } else {
            format!("{}_heartbeat", history.name)
        },
    }
}

/// The commit probe of a dialect: the statement that makes it possible (run once), and
/// the probe.
pub(super) fn commit_probe(d: Dialect, history: &HistoryTable) -> (Option<String>, String) {
    match d {
        Dialect::Postgres => (
            None,
            format!("SELECT pg_logical_emit_message(true, 'bellows', 'pacing') {COMMIT_PROBE_TAG}"),
        ),
        Dialect::Mysql => {
            let t = heartbeat_table(history).sql(d);
            (
                Some(format!(
                    "CREATE TABLE IF NOT EXISTS {t} (id INT NOT NULL PRIMARY KEY, beat DATETIME(6) NOT NULL) ENGINE=InnoDB"
                )),
                format!(
                    "INSERT INTO {t} (id, beat) VALUES (1, NOW(6)) ON DUPLICATE KEY UPDATE beat = NOW(6) {COMMIT_PROBE_TAG}"
                ),
            )
        }
    }
}

/// The query that counts the sessions of this database waiting on a row or table lock,
/// with the longest such wait so far in milliseconds.
pub(super) fn lock_wait_sql<B: Backend>(b: &B) -> &'static str {
    match b.dialect() {
        Dialect::Postgres => {
            "SELECT count(*), COALESCE(max(EXTRACT(EPOCH FROM clock_timestamp() - query_start) * 1000), 0)::bigint \
             FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        }
        // MariaDB's processlist has TIME_MS; MySQL's only whole seconds.
        Dialect::Mysql if b.engine().starts_with("mariadb") => {
            "SELECT count(*), CAST(COALESCE(MAX(p.TIME_MS), 0) AS SIGNED) \
             FROM information_schema.innodb_trx t \
             LEFT JOIN information_schema.processlist p ON p.ID = t.trx_mysql_thread_id \
             WHERE t.trx_state = 'LOCK WAIT'"
        }
        Dialect::Mysql => {
            "SELECT count(*), COALESCE(MAX(p.TIME), 0) * 1000 \
             FROM information_schema.innodb_trx t \
             LEFT JOIN information_schema.processlist p ON p.ID = t.trx_mysql_thread_id \
             WHERE t.trx_state = 'LOCK WAIT'"
        }
    }
}

/// Runs [`lock_wait_sql`]: the waiting sessions and the longest wait (`None` when the
/// server did not say).
pub(super) async fn read_lock_waits<B: Backend>(
    b: &mut B,
    sql: &str,
) -> Option<(u64, Option<f64>)> {
    let rows = b.query(sql, &[]).await.ok()?;
    let row = rows.first()?;
    let n = row.first().cloned().flatten()?.trim().parse().ok()?;
    let ms = row
        .get(1)
        .cloned()
        .flatten()
        .and_then(|v| v.trim().parse::<f64>().ok());
    Some((n, ms))
}

/// How often the second session samples: a fifth of the target batch time, between 10
/// and 50 ms.
pub(super) fn sample_every(target_batch_ms: u64) -> Duration {
    Duration::from_millis((target_batch_ms / 5).clamp(10, 50))
}

/// One timed read probe (`None`: it failed; a failing probe paces nothing).
pub(super) async fn read_once<B: Backend>(b: &mut B, p: &Probes, key: i64) -> Option<f64> {
    let params = if p.read_takes_key {
        vec![Value::Int(key)]
    } else {
        Vec::new()
    };
    let t = tokio::time::Instant::now();
    b.query(&p.read_sql, &params).await.ok()?;
    Some(t.elapsed().as_secs_f64() * 1000.0)
}

/// One timed commit probe (`None`: none, or it failed).
pub(super) async fn commit_once<B: Backend>(b: &mut B, p: &Probes) -> Option<f64> {
    let sql = p.commit_sql.as_deref()?;
    let t = tokio::time::Instant::now();
    b.execute(sql).await.ok()?;
    Some(t.elapsed().as_secs_f64() * 1000.0)
}

/// Latencies of the two probes, in milliseconds.
#[derive(Debug, Default, Clone)]
pub(super) struct Samples {
    pub reads: Vec<f64>,
    pub commits: Vec<f64>,
}

impl Samples {
    fn extend(&mut self, other: Samples) {
        self.reads.extend(other.reads);
        self.commits.extend(other.commits);
    }

    /// Runs both probes once and keeps what they took.
    pub async fn take<B: Backend>(&mut self, b: &mut B, p: &Probes, key: i64) {
        if let Some(ms) = read_once(b, p, key).await {
            self.reads.push(ms);
        }
        if let Some(ms) = commit_once(b, p).await {
            self.commits.push(ms);
        }
    }

    /// The samples over their probe's threshold, and all samples.
    fn slow(&self, b: &Budgets) -> (u64, u64) {
        let over = |v: &[f64], limit: f64| v.iter().filter(|ms| **ms > limit).count() as u64;
        let slow_commits = b.commit_ms.map_or(0, |limit| over(&self.commits, limit));
        (
            over(&self.reads, b.read_ms) + slow_commits,
            (self.reads.len() + self.commits.len()) as u64,
        )
    }
}

/// What the second session saw over one pause and batch: busy samples (during the batch
/// and right after the one before) and samples at rest (the rest of the pause).
#[derive(Debug, Default, Clone)]
pub(super) struct Seen {
    pub busy: Samples,
    pub rest: Samples,
    /// The most sessions waiting on a lock at one sample.
    pub lock_waits: u64,
    /// The longest lock wait seen, when the server tells.
    pub longest_wait_ms: Option<f64>,
}

impl Seen {
    pub fn merge(&mut self, other: Seen) {
        self.busy.extend(other.busy);
        self.rest.extend(other.rest);
        self.lock_waits = self.lock_waits.max(other.lock_waits);
        self.longest_wait_ms = match (self.longest_wait_ms, other.longest_wait_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// The busy samples over their threshold, and all busy samples.
    pub fn slow(&self, b: &Budgets) -> (u64, u64) {
        self.busy.slow(b)
    }

    /// The samples at rest over their threshold, and all samples at rest.
    pub fn rest_slow(&self, b: &Budgets) -> (u64, u64) {
        self.rest.slow(b)
    }

    /// The read probe's median over the pause and the batch, busy and at rest (`None`: no
    /// sample): over the budget, the server is slow whoever made it so.
    pub fn read_median(&self) -> Option<f64> {
        let all: Vec<f64> = self
            .busy
            .reads
            .iter()
            .chain(&self.rest.reads)
            .copied()
            .collect();
        pacing::median(&all)
    }

    /// The commit probe's median while busy (`None`: no sample).
    pub fn commit_median(&self) -> Option<f64> {
        pacing::median(&self.busy.commits)
    }
}

/// Samples the probes and the lock waits on `side` every `every` until `done` is notified
/// (the batch on the main session committed or failed), finishing the sample in flight.
/// The first sample starts at once. A sample that starts within `rest` (from its start to
/// its end, since the watch began) is at rest; the others are busy.
pub(super) async fn watch<B: Backend>(
    side: &mut B,
    probes: &Probes,
    key: i64,
    every: Duration,
    rest: (Duration, Duration),
    done: &tokio::sync::Notify,
) -> Seen {
    let mut seen = Seen::default();
    let mut rest_tick: u64 = 0;
    let began = tokio::time::Instant::now();
    loop {
        let at = began.elapsed();
        let resting = at >= rest.0 && at < rest.1;
        // At rest the probes run every third sample and the lock waits every sixth: the
        // rest is measured to take the server's own noise out, and the probes' own
        // commits must not become the load they measure. Busy, every sample counts.
        let probe = !resting || rest_tick % 3 == 0;
        let waits = !resting || rest_tick % 6 == 0;
        if resting {
            rest_tick += 1;
        }
        if probe {
            let samples = if resting {
                &mut seen.rest
            } else {
                &mut seen.busy
            };
            samples.take(side, probes, key).await;
        }
        if waits {
            if let Some((n, ms)) = read_lock_waits(side, probes.wait_sql).await {
                seen.lock_waits = seen.lock_waits.max(n);
                if let Some(ms) = ms.filter(|_| n > 0) {
                    seen.longest_wait_ms = Some(seen.longest_wait_ms.unwrap_or(0.0).max(ms));
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = done.notified() => return seen,
        }
    }
}
