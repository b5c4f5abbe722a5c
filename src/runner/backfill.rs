//! Batched backfills: one UPDATE (or INSERT … SELECT) run over a key range in batches of
//! short transactions, each committing its rows together with the last key it reached,
//! so a killed run resumes where it stopped.
//!
//! Owns the batch walk. A batch covers keys `[:batch_start, :batch_end)`: `:batch_end` is
//! the key `batch_size` rows further on (so sparse keys still make full batches), or one
//! past the largest key. Keys must be integers.

use super::apply::{FailureKind, RunError, Runner};
use super::backend::{quote_ident, Backend, DbErrorKind};
use super::events::Event;
use super::history::{self, Direction, HistoryRow, NewRow};
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

impl<B: Backend> Runner<'_, B> {
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
        let spec = m
            .meta
            .backfill
            .clone()
            .expect("run_backfill is called for migrations with [backfill]");
        let d = self.b.dialect();
        let (text, file) = self.script_of(m, Direction::Up)?;
        let stmts = self.statements(&text, &file)?;
        let template = match stmts.as_slice() {
            [one] if script::has_batch_placeholders(&one.sql) => one.sql.clone(),
            _ => {
                return Err(RunError {
                    kind: FailureKind::Script,
                    message: format!(
                        "{file}: a backfill holds exactly one UPDATE or INSERT … SELECT with :batch_start and :batch_end on its key; found {} statement{}{}",
                        stmts.len(),
                        if stmts.len() == 1 { "" } else { "s" },
                        if stmts.len() == 1 { " without the placeholders" } else { "" }
                    ),
                    help: Some(format!(
                        "write e.g. `UPDATE {t} SET … WHERE {key} >= :batch_start AND {key} < :batch_end`",
                        t = spec.table,
                        key = spec.key
                    )),
                })
            }
        };
        let batch_size = spec.batch_size.unwrap_or(DEFAULT_BATCH_SIZE).max(1);
        let pause = Duration::from_millis(spec.pause_ms.unwrap_or(0));
        let table = qualified(d, &spec.table);
        let key = qualified(d, &spec.key);
        self.events.event(Event::Step {
            id: &m.id,
            phase,
            mode: Mode::Autocommit,
            index: k + 1,
            total,
            down: false,
        });
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
        if dry_run {
            let lines = [
                format!(
                    "-- {} backfill: batches of {batch_size} rows over {}.{} in [{}, {}], one transaction each",
                    m.id,
                    spec.table,
                    spec.key,
                    min.map(|v| v.to_string()).unwrap_or_else(|| "empty".into()),
                    max.map(|v| v.to_string()).unwrap_or_else(|| "empty".into())
                ),
                "BEGIN;".to_owned(),
                format!("{template};"),
                format!(
                    "-- record the batch's last key in {}",
                    self.settings.history.sql(d)
                ),
                "COMMIT;".to_owned(),
            ];
            for l in &lines {
                self.events.event(Event::Sql(l));
            }
            return Ok((0, None));
        }
        let hist = self.settings.history.clone();
        let started = Instant::now();
        let checksum = self.unchanged_checksum(m)?;
        let (hid, mut cursor, rows_before) = match &resumed {
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
        // The rate counts this run's rows only: an interrupted run's are not in its time.
        let mut rows = rows_before;
        if let (Some(min), Some(max)) = (min, max) {
            let from = cursor.unwrap_or(min).max(min);
            cursor = Some(from);
            self.events.event(Event::BackfillStart {
                id: &m.id,
                table: &spec.table,
                key: &spec.key,
                from: min,
                to: max,
                resumed_at: resumed.as_ref().map(|_| from),
            });
            let next_sql = format!(
                "SELECT {key} FROM {table} WHERE {key} >= {} ORDER BY {key} LIMIT 1 OFFSET {batch_size}",
                super::backend::placeholder(d, 1)
            );
            while let Some(start) = cursor.filter(|c| *c <= max) {
                let next = self
                    .b
                    .query(&next_sql, &[super::backend::Value::Int(start)])
                    .await
                    .map_err(|e| self.batch_error(m, start, rows, e))?;
                let end = match parse_key(next.first().and_then(|r| r.first()), "next batch start")?
                {
                    Some(e) if e > start => e,
                    _ => max.saturating_add(1),
                };
                let sql = script::bind_batch(&template, start, end);
                let mut attempt = 0;
                let n = loop {
                    match self.batch(&sql, hid, end, rows).await {
                        Ok(n) => break n,
                        Err(e) if self.retry_after(&mut attempt, &m.id, &e).await => {}
                        Err(e) => return Err(self.batch_error(m, start, rows, e)),
                    }
                };
                rows += n as i64;
                cursor = Some(end);
                self.events.event(Event::Batch {
                    id: &m.id,
                    next: end,
                    from: min,
                    to: max,
                    rows,
                    run_rows: rows - rows_before,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                });
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
        }
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
