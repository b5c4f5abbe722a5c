//! Batched backfills: one UPDATE (or INSERT … SELECT) run over a key range in batches of
//! short transactions, each committing its rows together with the last key it reached,
//! so a killed run resumes where it stopped.
//!
//! Owns the batch walk, for the up script and for a down script written with the same
//! placeholders (a backfill's rollback runs batch by batch too). A batch covers keys
//! `[:batch_start, :batch_end)`: `:batch_end` is the key `batch_size` rows further on (so
//! sparse keys still make full batches), or one past the largest key. Keys must be
//! integers.

use super::apply::{FailureKind, RunError, Runner};
use super::backend::{quote_ident, Backend, DbErrorKind, Value};
use super::events::Event;
use super::history::{self, Direction, HistoryRow, NewRow};
use super::pacing::{self, Observation, Pacer, PacingConfig};
use super::script::{self, Mode};
use super::watch::{self, Budgets, Probes, Seen};
use crate::catalog::layout::Migration;
use crate::classify::phase::Phase;
use crate::dialect::Dialect;
use std::time::Duration;
// The tokio clock (the same as std's unless a test pauses it): pauses, batches and probes are
// timed on one clock.
use tokio::time::Instant;

/// The default rows per batch.
pub const DEFAULT_BATCH_SIZE: u64 = 1000;

fn qualified(dialect: Dialect, name: &str) -> String {
    name.split('.')
        .map(|p| quote_ident(dialect, p.trim_matches(|c| c == '"' || c == '`')))
        .collect::<Vec<_>>()
        .join(".")
}

fn parse_key(cell: Option<&Option<String>>, what: &str) -> Result<Option<i64>, RunError> {
    match cell.cloned().flatten() {
        None => Ok(None),
        Some(s) => s.trim().parse::<i64>().map(Some).map_err(|_| RunError {
            kind: FailureKind::Refused,
            message: format!("the backfill key's {what} is `{s}`, not an integer"),
            help: Some(
                "[backfill] key must name an integer column (the primary key, usually)".to_owned(),
            ),
        }),
    }
}

/// A batched statement and the key range it walks.
struct Walk {
    template: String,
    /// The table and key as written in `[backfill]`, for messages.
    table_name: String,
    key_name: String,
    /// The rows of a batch when pacing is fixed, and of a `--dry-run`'s batches.
    batch_size: u64,
    /// Fixed `(batch_size, pause_ms)` from `migration.toml`, or `None`: adaptive.
    fixed: Option<(u64, u64)>,
    /// The smallest and largest key (`None`: the table is empty).
    range: Option<(i64, i64)>,
    /// Finds the key some rows on from `$1` (the offset is appended).
    next_sql: String,
    /// The query whose latency paces the backfill; `$1` (if it has one) is a key.
    probe_sql: String,
    /// The probe is the default key lookup (it takes the key as its parameter).
    probe_takes_key: bool,
    spec: crate::catalog::BackfillSpec,
}

/// Where a walk stopped when a batch failed.
struct Stopped {
    at: i64,
    rows: i64,
    error: super::backend::DbError,
    /// Set when a gate (health, replica lag) held the backfill back too long: why.
    gate: Option<String>,
}

/// How long a gate may hold a backfill back by default before it stops.
pub const DEFAULT_GATE_TIMEOUT_MS: u64 = 600_000;

/// `1500` → `1.5 s`, `600000` → `10 min`.
fn human_ms(ms: u64) -> String {
    if ms >= 60_000 && ms % 60_000 == 0 {
        format!("{} min", ms / 60_000)
    } else if ms >= 1000 {
        format!("{} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

/// The one batched statement of a backfill's up script (`down` false) or down script,
/// or what is wrong with the script. A down script without the placeholders is an
/// ordinary script (`None`).
pub(super) fn batched_of(
    stmts: &[script::Statement],
    down: bool,
) -> Result<Option<&script::Statement>, String> {
    let batched = stmts
        .iter()
        .filter(|s| script::has_batch_placeholders(&s.sql))
        .count();
    if down && batched == 0 {
        return Ok(None);
    }
    match stmts {
        [one] if batched == 1 => Ok(Some(one)),
        _ => Err(format!(
            "a backfill's {} script holds exactly one UPDATE or INSERT … SELECT with :batch_start and :batch_end on its key; found {} statement{}{}",
            if down { "down" } else { "up" },
            stmts.len(),
            if stmts.len() == 1 { "" } else { "s" },
            if stmts.len() == 1 { " without the placeholders" } else { "" }
        )),
    }
}

/// The query that finds the key `n` rows on from `$1` (`n` appended), over a backfill's
/// table and key.
pub(super) fn next_key_sql(d: Dialect, spec: &crate::catalog::BackfillSpec) -> String {
    let (table, key) = (qualified(d, &spec.table), qualified(d, &spec.key));
    format!(
        "SELECT {key} FROM {table} WHERE {key} >= {} ORDER BY {key} LIMIT 1 OFFSET ",
        super::backend::placeholder(d, 1)
    )
}

/// The end of the batch of `size` rows that starts at `start`: the key `size` rows on,
/// or one past the largest key `max`. `next_sql` is [`next_key_sql`]'s.
pub(super) async fn batch_end_on<B: Backend>(
    b: &mut B,
    next_sql: &str,
    start: i64,
    max: i64,
    size: u64,
) -> Result<i64, super::backend::DbError> {
    let next = b
        .query(&format!("{next_sql}{}", size.max(1)), &[Value::Int(start)])
        .await?;
    let found = next
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|k| k.trim().parse::<i64>().ok());
    Ok(match found {
        Some(e) if e > start => e,
        _ => max.saturating_add(1),
    })
}

impl<B: Backend> Runner<'_, B> {
    /// The one batched statement of a backfill's script. For the up script it must be
    /// there; a down script without the placeholders is an ordinary step (`None`).
    pub(super) fn batched_statement(
        &self,
        m: &Migration,
        direction: Direction,
    ) -> Result<Option<String>, RunError> {
        let Some(spec) = &m.meta.backfill else {
            return Ok(None);
        };
        let (text, file) = self.script_of(m, direction)?;
        let stmts = self.statements(&text, &file)?;
        match batched_of(&stmts, direction == Direction::Down) {
            Ok(one) => Ok(one.map(|s| s.sql.clone())),
            Err(problem) => Err(RunError {
                kind: FailureKind::Script,
                message: format!("{file}: {problem}"),
                help: Some(format!(
                    "write e.g. `UPDATE {t} SET … WHERE {key} >= :batch_start AND {key} < :batch_end`",
                    t = spec.table,
                    key = spec.key
                )),
            }),
        }
    }

    /// Reads the key range of a backfill's table.
    async fn walk(&mut self, m: &Migration, template: String) -> Result<Walk, RunError> {
        let spec = m
            .meta
            .backfill
            .clone()
            .expect("walk is called for migrations with [backfill]");
        let d = self.b.dialect();
        let batch_size = spec.batch_size.unwrap_or(DEFAULT_BATCH_SIZE).max(1);
        let fixed = (spec.batch_size.is_some() || spec.pause_ms.is_some())
            .then(|| (batch_size, spec.pause_ms.unwrap_or(0)));
        let table = qualified(d, &spec.table);
        let key = qualified(d, &spec.key);
        let bounds = self
            .b
            .query(&format!("SELECT MIN({key}), MAX({key}) FROM {table}"), &[])
            .await
            .map_err(|e| RunError {
                kind: FailureKind::StepFailed,
                message: format!("{}: cannot read the key range of {}: {e}", m.id, spec.table),
                help: Some("check [backfill] table and key in migration.toml".to_owned()),
            })?;
        let row = bounds.first().cloned().unwrap_or_default();
        let min = parse_key(row.first(), "smallest value")?;
        let max = parse_key(row.get(1), "largest value")?;
        let user_probe = spec
            .probe
            .clone()
            .or_else(|| spec.health.clone().filter(|_| spec.health_max.is_none()));
        Ok(Walk {
            template,
            table_name: spec.table.clone(),
            key_name: spec.key.clone(),
            batch_size,
            fixed,
            range: min.zip(max),
            next_sql: next_key_sql(d, &spec),
            probe_takes_key: user_probe.is_none(),
            probe_sql: user_probe.unwrap_or_else(|| {
                format!(
                    "SELECT {key} FROM {table} WHERE {key} = {} /* bellows probe */",
                    super::backend::placeholder(d, 1)
                )
            }),
            spec,
        })
    }

    /// The end of the batch that starts at `start`: the key `batch_size` rows on, or one
    /// past the largest key.
    async fn batch_end(
        &mut self,
        walk: &Walk,
        start: i64,
        max: i64,
        size: u64,
    ) -> Result<i64, super::backend::DbError> {
        batch_end_on(&mut self.b, &walk.next_sql, start, max, size).await
    }

    /// `--dry-run`: every batch's statement with its real bounds, in order.
    async fn print_batches(
        &mut self,
        m: &Migration,
        walk: &Walk,
        direction: Direction,
    ) -> Result<(), RunError> {
        let d = self.b.dialect();
        let range = walk
            .range
            .map(|(a, b)| format!("[{a}, {b}]"))
            .unwrap_or_else(|| "(empty table: no batch)".to_owned());
        let size = match walk.fixed {
            Some(_) => format!("batches of {} rows", walk.batch_size),
            None => format!(
                "adaptive batches (sized to {} ms each, shown as {} rows)",
                walk.spec
                    .target_batch_ms
                    .unwrap_or(pacing::DEFAULT_TARGET_BATCH_MS),
                walk.batch_size
            ),
        };
        let header = format!(
            "-- {} {}: {size} over {}.{} in {range}, one transaction each, each recorded in {}",
            m.id,
            if direction == Direction::Down {
                "down, batched"
            } else {
                "backfill"
            },
            walk.table_name,
            walk.key_name,
            self.settings.history.sql(d)
        );
        self.events.event(Event::Sql(&header));
        if let Some((min, max)) = walk.range {
            let mut start = min;
            while start <= max {
                let end = self
                    .batch_end(walk, start, max, walk.batch_size)
                    .await
                    .map_err(|e| RunError::db("cannot read the next batch's bounds", e))?;
                let sql = format!(
                    "BEGIN; {}; COMMIT;",
                    script::bind_batch(&walk.template, start, end)
                );
                self.events.event(Event::Sql(&sql));
                start = end;
            }
        }
        Ok(())
    }

    /// The read probe's latency in milliseconds (the median of three runs) on the main
    /// session, or `None` when it fails.
    async fn probe(&mut self, probes: &Probes, key: i64) -> Option<f64> {
        let mut samples = Vec::with_capacity(3);
        for _ in 0..3 {
            samples.push(watch::read_once(&mut self.b, probes, key).await?);
        }
        pacing::median(&samples)
    }

    /// Sessions of this database waiting on a lock now (`None`: cannot be read).
    async fn lock_waits(&mut self, probes: &Probes) -> Option<u64> {
        watch::read_lock_waits(&mut self.b, probes.wait_sql)
            .await
            .map(|(n, _)| n)
    }

    /// The probes of a walk: the read probe, and the commit probe when the server runs it
    /// (its heartbeat table created first on MySQL/MariaDB); saying so when it cannot.
    async fn probes(&mut self, m: &Migration, walk: &Walk) -> Probes {
        let d = self.b.dialect();
        let (setup, commit) = watch::commit_probe(d, &self.settings.history);
        let ready = async {
            if let Some(sql) = setup {
                self.b.execute(&sql).await?;
            }
            self.b.execute(&commit).await
        }
        .await;
        let commit_sql = match ready {
            Ok(_) => Some(commit),
            Err(e) => {
                let text = format!(
                    "{}: cannot time commits ({e}); pacing by the read probe and lock waits only",
                    m.id
                );
                self.events.event(Event::Note(&text));
                None
            }
        };
        Probes {
            read_sql: walk.probe_sql.clone(),
            read_takes_key: walk.probe_takes_key,
            commit_sql,
            wait_sql: watch::lock_wait_sql(&self.b),
        }
    }

    /// The second session that watches each adaptive batch; `None` (saying so) when it
    /// cannot be opened: the probe and lock-wait count then run between batches.
    async fn side_session(&mut self, m: &Migration) -> Option<B> {
        match self.b.open_another().await? {
            Ok(side) => Some(side),
            Err(e) => {
                let text = format!(
                    "{}: cannot open a second session to watch the batches ({e}); probing between batches instead",
                    m.id
                );
                self.events.event(Event::Note(&text));
                None
            }
        }
    }

    /// The pacing of a walk: fixed, or adaptive with budgets from `max-latency-ms` (the
    /// read probe) or from the probes' latencies measured now (60 of each, 5 ms apart).
    async fn pacer(
        &mut self,
        m: &Migration,
        walk: &Walk,
        probes: Option<&Probes>,
    ) -> (Pacer, Budgets) {
        let spec = &walk.spec;
        let target_batch_ms = spec
            .target_batch_ms
            .unwrap_or(pacing::DEFAULT_TARGET_BATCH_MS)
            .max(1);
        let max_pause_ms = spec.max_pause_ms.unwrap_or(pacing::DEFAULT_MAX_PAUSE_MS);
        let max_impact = spec.max_impact.map_or(pacing::DEFAULT_MAX_IMPACT, |t| t.0);
        let (budget_ms, budgets) = if let (None, Some(probes)) = (walk.fixed, probes) {
            let key = walk.range.map(|(a, _)| a).unwrap_or(0);
            let mut before = watch::Samples::default();
            for _ in 0..60 {
                before.take(&mut self.b, probes, key).await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let given = spec.max_latency_ms.map(|ms| ms as f64);
            (
                given.unwrap_or_else(|| pacing::default_budget_ms(&before.reads)),
                Budgets {
                    read_ms: given.unwrap_or_else(|| pacing::slow_threshold_ms(&before.reads)),
                    commit_ms: probes
                        .commit_sql
                        .as_ref()
                        .map(|_| pacing::slow_threshold_ms(&before.commits)),
                },
            )
        } else {
            let ms = spec.max_latency_ms.map_or(f64::INFINITY, |ms| ms as f64);
            (
                ms,
                Budgets {
                    read_ms: ms,
                    commit_ms: None,
                },
            )
        };
        if walk.fixed.is_none() {
            let commit = match budgets.commit_ms {
                Some(ms) => format!(", commits slow above {ms:.1} ms"),
                None => String::new(),
            };
            let text = format!(
                "{}: adaptive pacing, batches of about {target_batch_ms} ms, probe budget {budget_ms:.1} ms{}, slow above {:.1} ms{commit}; the batches may slow {}% of probes",
                m.id,
                if spec.max_latency_ms.is_some() { "" } else { " (from its latency now)" },
                budgets.read_ms,
                max_impact * 100.0
            );
            self.events.event(Event::Note(&text));
        }
        let pacer = Pacer::new(PacingConfig {
            fixed: walk.fixed,
            target_batch_ms,
            budget_ms,
            max_pause_ms,
            max_impact,
        });
        (pacer, budgets)
    }

    /// The lag above which the runner waits: `[backfill] max-lag`, else `[runner]
    /// max-lag`, else 5 s.
    fn max_lag_ms(
        &self,
        spec: Option<&crate::catalog::BackfillSpec>,
    ) -> Result<u64, super::backend::DbError> {
        if let Some(ms) = spec.and_then(|s| s.max_lag_ms) {
            return Ok(ms);
        }
        match self.project.config.runner.max_lag.as_deref() {
            None => Ok(super::replica::DEFAULT_MAX_LAG_MS),
            Some(t) => crate::config::parse_duration_ms(t).ok_or_else(|| {
                super::backend::DbError::other(format!(
                    "[runner] max-lag `{t}` is not a duration: write e.g. \"5s\""
                ))
            }),
        }
    }

    /// Whether replica lag is checked at all: replicas are configured, or discovered.
    fn watches_replicas(&self) -> bool {
        let config = &self.project.config;
        !config.replicas.is_empty() || config.runner.discover_replicas != Some(false)
    }

    /// The replicas: the `[[replica]]`s, else (unless `discover-replicas = false`) the
    /// ones the primary reports, found at the first check and said once.
    async fn find_replicas(&mut self) -> Result<(), super::backend::DbError> {
        if self.replicas.is_none() {
            let config = &self.project.config;
            let urls: Vec<String> = config.replicas.iter().map(|r| r.url.clone()).collect();
            let found = if !urls.is_empty() {
                super::replica::Replicas::from_urls(&urls)?
            } else if config.runner.discover_replicas == Some(false) {
                super::replica::Replicas::none()
            } else {
                let url = self.b.url().cloned();
                match super::replica::Replicas::discover(&mut self.b, url.as_ref()).await {
                    Ok(r) => {
                        if !r.list.is_empty() {
                            let text = format!(
                                "replicas reported by the primary: {} (their lag holds back backfill batches and steps; [[replica]] in bellows.toml lists them instead)",
                                r.labels()
                            );
                            self.events.event(Event::Note(&text));
                        }
                        r
                    }
                    Err(e) => {
                        let text = format!(
                            "cannot list the primary's replicas ({e}); going on without replica lag checks: list them as [[replica]], or set [runner] discover-replicas = false"
                        );
                        self.events.event(Event::Note(&text));
                        super::replica::Replicas::none()
                    }
                }
            };
            self.replicas = Some(found);
        }
        Ok(())
    }

    /// The first replica lagging more than `max_lag_ms`, as a reason to wait.
    async fn replica_lag(
        &mut self,
        max_lag_ms: u64,
    ) -> Result<Option<String>, super::backend::DbError> {
        if !self.watches_replicas() {
            return Ok(None);
        }
        self.find_replicas().await?;
        let replicas = self.replicas.as_mut().expect("set above");
        if replicas.list.is_empty() {
            return Ok(None);
        }
        Ok(replicas.lagging(&mut self.b, max_lag_ms).await)
    }

    /// Waits before a step while a replica lags (up to the default gate timeout); a step
    /// that would start behind a lagging replica is refused, nothing of it run.
    pub(super) async fn wait_for_replicas(&mut self, m: &Migration) -> Result<(), RunError> {
        if !self.watches_replicas() {
            return Ok(());
        }
        self.wait_for_gates(m, None, 0, 0)
            .await
            .map_err(|s| match s.gate {
                Some(why) => RunError {
                    kind: FailureKind::Paused,
                    message: format!("{} did not start: {why}; nothing of it ran", m.id),
                    help: Some(
                        "run `bellows migrate apply` again once the replicas have caught up"
                            .to_owned(),
                    ),
                },
                None => RunError::db("cannot read the replicas' lag", s.error),
            })
    }

    /// Why a gate holds the backfill back now (`None`: it may go on): the health query
    /// above `health-max`, a `[[replica]]` lagging more than `max-lag`.
    async fn gate_reason(
        &mut self,
        walk: Option<&Walk>,
    ) -> Result<Option<String>, super::backend::DbError> {
        let spec = walk.map(|w| &w.spec);
        let max_lag_ms = self.max_lag_ms(spec)?;
        if let Some(why) = self.replica_lag(max_lag_ms).await? {
            return Ok(Some(why));
        }
        let Some(spec) = spec else {
            return Ok(None);
        };
        if let (Some(q), Some(max)) = (&spec.health, spec.health_max) {
            let rows = self
                .b
                .query(q, &[])
                .await
                .map_err(|e| super::backend::DbError {
                    message: format!("the health query failed: {}", e.message),
                    ..e
                })?;
            let cell = rows.first().and_then(|r| r.first().cloned().flatten());
            let value = cell
                .as_deref()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| {
                    super::backend::DbError::other(format!(
                        "the health query `{q}` returned {}, not a number",
                        cell.as_deref()
                            .map_or("NULL".to_owned(), |v| format!("`{v}`"))
                    ))
                })?;
            if value > max.0 {
                return Ok(Some(format!("health `{q}` is {value} > {}", max.0)));
            }
        }
        Ok(None)
    }

    /// Waits while a gate holds the backfill back, saying so; stops (resumable) once it
    /// has held it for `health-timeout`.
    async fn wait_for_gates(
        &mut self,
        m: &Migration,
        walk: Option<&Walk>,
        at: i64,
        rows: i64,
    ) -> Result<(), Stopped> {
        let timeout = walk
            .and_then(|w| w.spec.health_timeout_ms)
            .unwrap_or(DEFAULT_GATE_TIMEOUT_MS);
        let poll = Duration::from_millis((timeout / 10).clamp(50, 1000));
        let since = Instant::now();
        let mut last_note: Option<Instant> = None;
        loop {
            let reason = self.gate_reason(walk).await.map_err(|error| Stopped {
                at,
                rows,
                error,
                gate: None,
            })?;
            let Some(reason) = reason else {
                if last_note.is_some() {
                    let text = format!(
                        "{}: going on after waiting {}",
                        m.id,
                        human_ms(since.elapsed().as_millis() as u64)
                    );
                    self.events.event(Event::Note(&text));
                }
                return Ok(());
            };
            let waited = since.elapsed().as_millis() as u64;
            if waited >= timeout {
                let why = format!("{reason} for {}", human_ms(timeout));
                return Err(Stopped {
                    at,
                    rows,
                    error: super::backend::DbError::other(why.clone()),
                    gate: Some(why),
                });
            }
            if last_note.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                last_note = Some(Instant::now());
                let text = match walk {
                    Some(_) => format!(
                        "{}: waiting at key {at}: {reason} (stops after {}, resumable)",
                        m.id,
                        human_ms(timeout)
                    ),
                    None => format!(
                        "{}: waiting to start: {reason} (gives up after {})",
                        m.id,
                        human_ms(timeout)
                    ),
                };
                self.events.event(Event::Note(&text));
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Runs the batches from `from` to the end of the range, each with its progress in
    /// the history row `hid`; returns the rows done (`rows` before included).
    async fn run_batches(
        &mut self,
        m: &Migration,
        walk: &Walk,
        hid: i64,
        from: Option<i64>,
        mut rows: i64,
        started: Instant,
    ) -> Result<i64, Stopped> {
        let Some((min, max)) = walk.range else {
            return Ok(rows);
        };
        let adaptive = walk.fixed.is_none();
        let probes = if adaptive {
            Some(self.probes(m, walk).await)
        } else {
            None
        };
        let (mut pacer, budgets) = self.pacer(m, walk, probes.as_ref()).await;
        let mut side = if adaptive {
            self.side_session(m).await
        } else {
            None
        };
        let every = watch::sample_every(pacer.config().target_batch_ms);
        let rows_before = rows;
        let mut start = from.unwrap_or(min).max(min);
        // The pause before the next batch (none before the first), and how long the one
        // before took: as long after it, the server is still busy with it.
        let mut rest = Duration::ZERO;
        let mut linger = Duration::ZERO;
        while start <= max {
            self.wait_for_gates(m, Some(walk), start, rows).await?;
            let size = pacer.batch_size();
            let end = self
                .batch_end(walk, start, max, size)
                .await
                .map_err(|error| Stopped {
                    at: start,
                    rows,
                    error,
                    gate: None,
                })?;
            let sql = script::bind_batch(&walk.template, start, end);
            let mut attempt = 0;
            let mut seen = Seen::default();
            let mut batch_ms;
            let mut paused = Duration::ZERO;
            let n = loop {
                // The second session watches the pause and the batch that follows it.
                let (result, ms) = match (side.as_mut(), probes.as_ref()) {
                    (Some(side), Some(probes)) => {
                        let done = tokio::sync::Notify::new();
                        let work = async {
                            tokio::time::sleep(rest).await;
                            let t = tokio::time::Instant::now();
                            let r = self.batch(&sql, hid, end, rows).await;
                            done.notify_one();
                            (r, t.elapsed())
                        };
                        let at_rest = (linger.min(rest), rest);
                        let look = watch::watch(side, probes, start, every, at_rest, &done);
                        let ((r, took), more) = tokio::join!(work, look);
                        seen.merge(more);
                        (r, took)
                    }
                    _ => {
                        tokio::time::sleep(rest).await;
                        let t = tokio::time::Instant::now();
                        let r = self.batch(&sql, hid, end, rows).await;
                        (r, t.elapsed())
                    }
                };
                paused = paused.max(rest);
                rest = Duration::ZERO;
                batch_ms = ms.as_secs_f64() * 1000.0;
                match result {
                    Ok(n) => break n,
                    Err(e) if self.retry_after(&mut attempt, &m.id, &e).await => {}
                    Err(error) => {
                        return Err(Stopped {
                            at: start,
                            rows,
                            error,
                            gate: None,
                        })
                    }
                }
            };
            rows += n as i64;
            start = end;
            let watched = side.is_some();
            let (probe_ms, lock_waits, lock_wait_ms) = match probes.as_ref() {
                Some(p) if watched => {
                    // A pause and batch too short for a read sample: probe once after it.
                    let probe = match seen.read_median() {
                        Some(ms) => Some(ms),
                        None if start <= max => self.probe(p, end).await,
                        None => None,
                    };
                    (probe, seen.lock_waits, seen.longest_wait_ms)
                }
                Some(p) if start <= max => (
                    self.probe(p, end).await,
                    self.lock_waits(p).await.unwrap_or(0),
                    None,
                ),
                _ => (None, 0, None),
            };
            let (slow_samples, samples) = seen.slow(&budgets);
            let (rest_slow, rest_samples) = seen.rest_slow(&budgets);
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let note = pacer.observe(Observation {
                batch_ms,
                walked: size,
                probe_ms,
                samples,
                slow_samples,
                rest_samples,
                rest_slow,
                pause_ms: ms(paused),
                busy_pause_ms: ms(linger.min(paused)),
                lock_waits,
                lock_wait_ms,
                now_ms: started.elapsed().as_millis() as u64,
            });
            let throttle = pacer.throttle().map(|t| t.to_string());
            if pacing_trace() {
                eprintln!(
                    "pacing: end_ms={} batch_ms={batch_ms:.1} size={size} rows={n} reads={} read_median={:.2?} commits={} commit_median={:.2?} busy_slow={slow_samples}/{samples} rest_slow={rest_slow}/{rest_samples} impact={:.4?} lock_waits={lock_waits} next_size={} pause_ms={} throttle={}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis()),
                    seen.busy.reads.len(),
                    seen.read_median(),
                    seen.busy.commits.len(),
                    seen.commit_median(),
                    pacer.impact(),
                    pacer.batch_size(),
                    pacer.pause().as_millis(),
                    throttle.as_deref().unwrap_or("-")
                );
            }
            self.events.event(Event::Batch {
                id: &m.id,
                next: end,
                from: min,
                to: max,
                rows,
                run_rows: rows - rows_before,
                elapsed_ms: started.elapsed().as_millis() as u64,
                batch_size: size,
                pause_ms: pacer.pause().as_millis() as u64,
                throttled: throttle.as_deref(),
            });
            if let Some(text) = note {
                let text = format!("{}: {text}", m.id);
                self.events.event(Event::Note(&text));
            }
            rest = pacer.pause();
            linger = Duration::from_secs_f64(batch_ms / 1000.0);
        }
        Ok(rows)
    }

    /// Runs a backfill step (resuming from `resumed`'s last key); returns its duration
    /// and rows.
    pub(super) async fn run_backfill(
        &mut self,
        m: &Migration,
        phase: Phase,
        k: usize,
        total: usize,
        resumed: Option<HistoryRow>,
        dry_run: bool,
    ) -> Result<(u64, Option<i64>), RunError> {
        let template = self
            .batched_statement(m, Direction::Up)?
            .expect("an up script's batched statement is required, never None");
        self.events.event(Event::Step {
            id: &m.id,
            phase,
            mode: Mode::Autocommit,
            index: k + 1,
            total,
            down: false,
        });
        let walk = self.walk(m, template).await?;
        if dry_run {
            self.print_batches(m, &walk, Direction::Up).await?;
            return Ok((0, None));
        }
        let hist = self.settings.history.clone();
        let started = Instant::now();
        let checksum = self.unchanged_checksum(m)?;
        let (hid, cursor, rows_before) = match &resumed {
            Some(r) => (
                r.id,
                r.backfill_last_key
                    .as_deref()
                    .and_then(|k| k.parse::<i64>().ok()),
                r.backfill_rows.unwrap_or(0),
            ),
            None => {
                let new = NewRow {
                    migration: &m.id,
                    phase: phase.as_str(),
                    direction: Direction::Up,
                    checksum: &checksum,
                    who: &self.who,
                };
                let id = history::start(&mut self.b, &hist, &new)
                    .await
                    .map_err(|e| RunError::db("cannot record the backfill's start", e))?;
                (id, None, 0)
            }
        };
        if let Some((min, max)) = walk.range {
            self.events.event(Event::BackfillStart {
                id: &m.id,
                table: &walk.table_name,
                key: &walk.key_name,
                from: min,
                to: max,
                resumed_at: resumed.as_ref().map(|_| cursor.unwrap_or(min).max(min)),
            });
        }
        // The rate counts this run's rows only: an interrupted run's are not in its time.
        let rows = self
            .run_batches(m, &walk, hid, cursor, rows_before, started)
            .await
            .map_err(|s| (s.at, s.rows, s.error, s.gate));
        let rows = match rows {
            Ok(rows) => rows,
            Err((at, rows, _, Some(why))) => {
                let ms = started.elapsed().as_millis() as i64;
                let text = format!("paused at key {at}: {why}");
                let _ = history::leave_dirty(&mut self.b, &hist, hid, ms, &text).await;
                return Err(RunError {
                    kind: FailureKind::Paused,
                    message: format!(
                        "backfill {} paused at key {at} after {rows} rows: {why}; every batch before it is committed and recorded",
                        m.id
                    ),
                    help: Some(
                        "run `bellows migrate apply` again once the database is healthy: the backfill resumes from that key"
                            .to_owned(),
                    ),
                });
            }
            Err((at, rows, error, None)) => return Err(self.batch_error(m, at, rows, error)),
        };
        let ms = started.elapsed().as_millis() as u64;
        history::finish(&mut self.b, &hist, hid, true, ms as i64, None)
            .await
            .map_err(|e| RunError::db("cannot record the backfill's end", e))?;
        let remaining = self.remaining(m).await?;
        self.events.event(Event::BackfillDone {
            id: &m.id,
            rows,
            run_rows: rows - rows_before,
            ms,
            remaining,
        });
        if let Some(text) = self.vacuum_note(m, &walk, rows - rows_before).await {
            self.events.event(Event::Note(&text));
        }
        Ok((ms, Some(rows)))
    }

    /// On PostgreSQL, a note when autovacuum will not clean the backfilled table (it is off
    /// on the server, or for the table): each row a batch updated left its old version
    /// behind, and the table and its indexes keep them until someone runs VACUUM.
    async fn vacuum_note(&mut self, m: &Migration, walk: &Walk, rows: i64) -> Option<String> {
        if rows <= 0 || self.b.dialect() != Dialect::Postgres {
            return None;
        }
        let table = qualified(Dialect::Postgres, &walk.table_name);
        let sql = "SELECT CASE \
             WHEN NOT current_setting('autovacuum')::bool THEN 'server' \
             WHEN NOT coalesce((SELECT o.option_value::bool FROM pg_options_to_table(c.reloptions) o \
                                WHERE o.option_name = 'autovacuum_enabled'), true) THEN 'table' \
             ELSE '' END \
             FROM pg_class c WHERE c.oid = to_regclass($1)";
        let found = self
            .b
            .query(sql, &[Value::Text(table.clone())])
            .await
            .ok()?;
        let off = match found.first()?.first()?.as_deref()? {
            "server" => "on this server",
            "table" => "for this table (autovacuum_enabled = false)",
            _ => return None,
        };
        Some(format!(
            "{}: autovacuum is off {off}: the old versions of the {rows} rows the backfill updated stay in {} and its indexes until `VACUUM (ANALYZE) {table}` runs",
            m.id, walk.table_name
        ))
    }

    /// Rolls a backfill back with its batched down script (`template`), batch by batch
    /// over the same key range as its up; returns the duration.
    pub(super) async fn run_backfill_down(
        &mut self,
        m: &Migration,
        phase: Phase,
        k: usize,
        total: usize,
        template: String,
        dry_run: bool,
    ) -> Result<u64, RunError> {
        self.events.event(Event::Step {
            id: &m.id,
            phase,
            mode: Mode::Autocommit,
            index: k + 1,
            total,
            down: true,
        });
        let checksum = self.unchanged_checksum(m)?;
        let walk = self.walk(m, template).await?;
        if dry_run {
            self.print_batches(m, &walk, Direction::Down).await?;
            return Ok(0);
        }
        let hist = self.settings.history.clone();
        let started = Instant::now();
        let new = NewRow {
            migration: &m.id,
            phase: phase.as_str(),
            direction: Direction::Down,
            checksum: &checksum,
            who: &self.who,
        };
        let hid = history::start(&mut self.b, &hist, &new)
            .await
            .map_err(|e| RunError::db("cannot record the rollback's start", e))?;
        if let Some((min, max)) = walk.range {
            self.events.event(Event::BackfillStart {
                id: &m.id,
                table: &walk.table_name,
                key: &walk.key_name,
                from: min,
                to: max,
                resumed_at: None,
            });
        }
        if let Err(s) = self.run_batches(m, &walk, hid, None, 0, started).await {
            let ms = started.elapsed().as_millis() as i64;
            let text = format!("down batch at key {} failed: {}", s.at, s.error);
            let _ = history::leave_dirty(&mut self.b, &hist, hid, ms, &text).await;
            let kind = if s.error.kind == DbErrorKind::Connection {
                FailureKind::Connection
            } else {
                FailureKind::StepFailed
            };
            return Err(RunError {
                kind,
                message: format!(
                    "the rollback of backfill {} stopped at key {} after {} rows: {}; every batch before it is committed, and its history row is dirty",
                    m.id, s.at, s.rows, s.error
                ),
                help: Some(format!(
                    "fix the cause, then run `bellows migrate resolve {id} --run-down` to run the down script again, or `--mark-applied` / `--mark-rolled-back` once the data is consistent",
                    id = m.id
                )),
            });
        }
        let ms = started.elapsed().as_millis() as u64;
        history::finish(&mut self.b, &hist, hid, true, ms as i64, None)
            .await
            .map_err(|e| RunError::db("cannot record the rollback's end", e))?;
        self.events.event(Event::StepDone { id: &m.id, ms });
        Ok(ms)
    }

    /// One batch: its statement and the history's progress in one transaction.
    async fn batch(
        &mut self,
        sql: &str,
        hid: i64,
        end: i64,
        rows: i64,
    ) -> Result<u64, super::backend::DbError> {
        let hist = self.settings.history.clone();
        // On PostgreSQL a batch's commit does not wait for the disk: the batch and its
        // progress row commit together, so a crash can only lose both, and the resumed run
        // does that batch again. The backfill's final history row commits synchronously,
        // which flushes every batch before it.
        let begin = match self.b.dialect() {
            crate::dialect::Dialect::Postgres => "BEGIN; SET LOCAL synchronous_commit = off",
            crate::dialect::Dialect::Mysql => "BEGIN",
        };
        self.b.execute(begin).await?;
        let result = async {
            let n = self.b.execute(sql).await?;
            history::progress(&mut self.b, &hist, hid, &end.to_string(), rows + n as i64).await?;
            self.b.execute("COMMIT").await?;
            Ok(n)
        }
        .await;
        if result.is_err() {
            let _ = self.b.execute("ROLLBACK").await;
        }
        result
    }

    fn batch_error(
        &self,
        m: &Migration,
        start: i64,
        rows: i64,
        e: super::backend::DbError,
    ) -> RunError {
        let kind = if e.kind == DbErrorKind::Connection {
            FailureKind::Connection
        } else {
            FailureKind::StepFailed
        };
        RunError {
            kind,
            message: format!(
                "backfill {} stopped at key {start} after {rows} rows: {e}; every batch before it is committed and recorded",
                m.id
            ),
            help: Some(
                "fix the cause, then run `bellows migrate apply` again: the backfill resumes from that key"
                    .to_owned(),
            ),
        }
    }
}

/// Whether `BELLOWS_PACING_TRACE` asks for one line on standard error per adaptive batch:
/// what the controller was given and what it chose.
fn pacing_trace() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BELLOWS_PACING_TRACE").is_some_and(|v| v != "0"))
}
