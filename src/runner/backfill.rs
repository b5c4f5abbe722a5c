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
use super::backend::{quote_ident, Backend, DbErrorKind};
use super::events::Event;
use super::history::{self, Direction, HistoryRow, NewRow};
use super::pacing::{self, Observation, Pacer, PacingConfig};
use super::script::{self, Mode};
use crate::catalog::layout::Migration;
use crate::classify::phase::Phase;
use crate::dialect::Dialect;
use std::time::{Duration, Instant};

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
        .query(
            &format!("{next_sql}{}", size.max(1)),
            &[super::backend::Value::Int(start)],
        )
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

    /// The probe's latency in milliseconds (the median of three runs), or `None` when it
    /// fails (a failing probe paces nothing; the batch statement reports real errors).
    async fn probe(&mut self, walk: &Walk, key: i64) -> Option<f64> {
        let mut samples = Vec::with_capacity(3);
        for _ in 0..3 {
            let params = if walk.probe_takes_key {
                vec![super::backend::Value::Int(key)]
            } else {
                Vec::new()
            };
            let t = tokio::time::Instant::now();
            self.b.query(&walk.probe_sql, &params).await.ok()?;
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        pacing::median(&samples)
    }

    /// Sessions of this database waiting on a lock now (`None`: cannot be read).
    async fn lock_waits(&mut self) -> Option<u64> {
        let sql = lock_wait_sql(&self.b);
        read_lock_waits(&mut self.b, sql).await.map(|(n, _)| n)
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

    /// The pacing of a walk: fixed, or adaptive with a budget from `max-latency-ms` or
    /// from the probe's latency measured now (20 runs, 10 ms apart).
    async fn pacer(&mut self, m: &Migration, walk: &Walk) -> Pacer {
        let spec = &walk.spec;
        let target_batch_ms = spec
            .target_batch_ms
            .unwrap_or(pacing::DEFAULT_TARGET_BATCH_MS)
            .max(1);
        let max_pause_ms = spec.max_pause_ms.unwrap_or(pacing::DEFAULT_MAX_PAUSE_MS);
        let budget_ms = match spec.max_latency_ms {
            Some(ms) => ms as f64,
            None if walk.fixed.is_some() => f64::INFINITY,
            None => {
                let key = walk.range.map(|(a, _)| a).unwrap_or(0);
                let mut samples = Vec::new();
                for _ in 0..20 {
                    if let Some(ms) = self.probe(walk, key).await {
                        samples.push(ms);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                pacing::default_budget_ms(&samples)
            }
        };
        if walk.fixed.is_none() {
            let text = format!(
                "{}: adaptive pacing, batches of about {target_batch_ms} ms, probe budget {budget_ms:.1} ms{}",
                m.id,
                if spec.max_latency_ms.is_some() { "" } else { " (from its latency now)" }
            );
            self.events.event(Event::Note(&text));
        }
        Pacer::new(PacingConfig {
            fixed: walk.fixed,
            target_batch_ms,
            budget_ms,
            max_pause_ms,
        })
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
        let mut pacer = self.pacer(m, walk).await;
        let mut side = if pacer.adaptive() {
            self.side_session(m).await
        } else {
            None
        };
        let every = sample_every(pacer.config().target_batch_ms);
        let wait_sql = lock_wait_sql(&self.b);
        let rows_before = rows;
        let mut start = from.unwrap_or(min).max(min);
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
            let mut beside = Beside::default();
            let t = tokio::time::Instant::now();
            let n = loop {
                let result = match side.as_mut() {
                    Some(side) => {
                        let done = tokio::sync::Notify::new();
                        let batch = async {
                            let r = self.batch(&sql, hid, end, rows).await;
                            done.notify_one();
                            r
                        };
                        let watch = watch_batch(side, walk, start, wait_sql, every, &done);
                        let (r, seen) = tokio::join!(batch, watch);
                        beside.merge(seen);
                        r
                    }
                    None => self.batch(&sql, hid, end, rows).await,
                };
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
            let batch_ms = t.elapsed().as_secs_f64() * 1000.0;
            rows += n as i64;
            start = end;
            let (probe_ms, lock_waits, lock_wait_ms) = if side.is_some() && start <= max {
                // The lock waits the application met while the batch ran, seen from beside
                // it. The probe throttles when it is slow during the batch and after it
                // (the server is loaded): during the batch alone it mostly measures the
                // core the batch itself takes, and on a small server that would throttle
                // every batch.
                let after = self.probe(walk, end).await;
                let probe = match (beside.probe_ms(), after) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                (probe, beside.lock_waits, beside.longest_wait_ms)
            } else if pacer.adaptive() && start <= max {
                (
                    self.probe(walk, end).await,
                    self.lock_waits().await.unwrap_or(0),
                    None,
                )
            } else {
                (None, 0, None)
            };
            let note = pacer.observe(Observation {
                batch_ms,
                walked: size,
                probe_ms,
                lock_waits,
                lock_wait_ms,
                now_ms: started.elapsed().as_millis() as u64,
            });
            let throttle = pacer.throttle().map(|t| t.to_string());
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
            if start <= max && !pacer.pause().is_zero() {
                tokio::time::sleep(pacer.pause()).await;
            }
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
        Ok((ms, Some(rows)))
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

/// How often a batch is sampled from beside it: a tenth of the target batch time,
/// between 5 and 50 ms.
fn sample_every(target_batch_ms: u64) -> Duration {
    Duration::from_millis((target_batch_ms / 10).clamp(5, 50))
}

/// The query that counts the sessions of this database waiting on a row or table lock,
/// with the longest such wait so far in milliseconds.
fn lock_wait_sql<B: Backend>(b: &B) -> &'static str {
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
async fn read_lock_waits<B: Backend>(b: &mut B, sql: &str) -> Option<(u64, Option<f64>)> {
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

/// What a second session saw while a batch ran.
#[derive(Debug, Default)]
struct Beside {
    probes: Vec<f64>,
    /// The most sessions waiting on a lock at one sample.
    lock_waits: u64,
    /// The longest lock wait seen, when the server tells.
    longest_wait_ms: Option<f64>,
}

impl Beside {
    fn merge(&mut self, other: Beside) {
        self.probes.extend(other.probes);
        self.lock_waits = self.lock_waits.max(other.lock_waits);
        self.longest_wait_ms = match (self.longest_wait_ms, other.longest_wait_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// The probe latency the controller is given: the median of the samples (a batch
    /// that slows the probe for half its time throttles; the server's own work on the
    /// batch, which slows a sample now and then, does not).
    fn probe_ms(&self) -> Option<f64> {
        pacing::median(&self.probes)
    }
}

/// Samples the probe and the lock waits on `side` every `every` until `done` is
/// notified (the batch on the main session committed or failed), finishing the sample
/// in flight. The first sample starts with the batch.
async fn watch_batch<B: Backend>(
    side: &mut B,
    walk: &Walk,
    key: i64,
    wait_sql: &str,
    every: Duration,
    done: &tokio::sync::Notify,
) -> Beside {
    let mut seen = Beside::default();
    let params = if walk.probe_takes_key {
        vec![super::backend::Value::Int(key)]
    } else {
        Vec::new()
    };
    loop {
        let t = tokio::time::Instant::now();
        if side.query(&walk.probe_sql, &params).await.is_ok() {
            seen.probes.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        if let Some((n, ms)) = read_lock_waits(side, wait_sql).await {
            seen.lock_waits = seen.lock_waits.max(n);
            if let Some(ms) = ms.filter(|_| n > 0) {
                seen.longest_wait_ms = Some(seen.longest_wait_ms.unwrap_or(0.0).max(ms));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = done.notified() => return seen,
        }
    }
}
