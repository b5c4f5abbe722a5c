//! `bellows migrate baseline`: adopting a database whose schema was built before bellows
//! ran on it (by hand, or by another tool).
//!
//! Owns the checks before anything is recorded (the history holds no conflicting or dirty
//! row; the live schema is the one the migrations build, proven by replaying them on a
//! scratch database and comparing both snapshots) and the recording itself: one
//! `baseline` row per migration, with the checksum `migrate apply` records, all in one
//! transaction. The scratch replay and the snapshot comparison are `verify.rs`'s; reading
//! another tool's history is `import.rs`'s. Nothing here prints.

use super::apply::{checksum, FailureKind, RunError, Runner};
use super::backend::Backend;
use super::events::Event;
use super::history::{self, Direction, NewRow};
use super::url::DbUrl;
use super::verify::{replayed_snapshot, schema_differences, SchemaDifferences, HISTORY_TABLE};

/// What to record.
#[derive(Debug, Clone, Default)]
pub struct BaselineRequest {
    /// The migrations the database already holds, in catalog order.
    pub ids: Vec<String>,
    /// Where the replay's scratch database is made; `None`: no schema proof.
    pub scratch: Option<DbUrl>,
    /// Tables of the live database left out of the comparison besides the history table
    /// (another tool's history table).
    pub exclude: Vec<String>,
    /// Record even when the schemas differ.
    pub force: bool,
    /// Say what would be recorded; record nothing, take no lock, create no table.
    pub dry_run: bool,
}

/// What a baseline did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BaselineOutcome {
    /// Migrations recorded as applied (with `dry_run`: that would be), in catalog order.
    pub recorded: Vec<String>,
    /// Migrations the history already counted as applied, with the same checksum.
    pub already: Vec<String>,
    /// Whether the schema was compared (`false`: no scratch server given).
    pub proven: bool,
    /// How the live schema differs from the replayed one (recorded anyway: `--force`).
    pub differences: Option<SchemaDifferences>,
    pub dry_run: bool,
}

fn refused(message: String, help: &str) -> RunError {
    RunError {
        kind: FailureKind::Refused,
        message,
        help: Some(help.to_owned()),
    }
}

/// The differences as lines: `extra: table audit_log`, `missing: index i on t`, ….
pub fn difference_lines(d: &SchemaDifferences) -> Vec<String> {
    let mut lines = Vec::new();
    for (label, list) in [
        ("extra in the database", &d.extra),
        ("missing from the database", &d.missing),
        ("defined differently", &d.changed),
    ] {
        for object in list {
            lines.push(format!("{label}: {object}"));
        }
    }
    if lines.is_empty() {
        lines.push("the snapshots differ; see the diff".to_owned());
    }
    lines
}

impl<B: Backend> Runner<'_, B> {
    /// `bellows migrate baseline`: records `request.ids` as applied without running them.
    pub async fn baseline(
        &mut self,
        request: &BaselineRequest,
    ) -> Result<BaselineOutcome, RunError> {
        // The lock, but not yet the history table: it is created only when something is
        // recorded, so a refusal leaves the database as it was.
        if !request.dry_run {
            self.lock().await?;
        }
        let result = self.baseline_locked(request).await;
        self.leave(request.dry_run).await;
        result
    }

    async fn baseline_locked(
        &mut self,
        request: &BaselineRequest,
    ) -> Result<BaselineOutcome, RunError> {
        let catalog = self.project.catalog;
        for id in &request.ids {
            if catalog.get(id).is_none() {
                return Err(refused(
                    format!("no migration `{id}` in the catalog"),
                    "`bellows catalog list` shows the migrations' ids",
                ));
            }
        }
        let rows = self.history().await?;
        let state = history::state(&rows);
        if let Some(row) = state.dirty.first() {
            return Err(refused(
                format!(
                    "the history holds a step that did not finish: {} ({})",
                    row.migration,
                    row.direction.as_str()
                ),
                &format!(
                    "settle it first with `bellows migrate resolve {}`",
                    row.migration
                ),
            ));
        }
        let mut outcome = BaselineOutcome {
            dry_run: request.dry_run,
            ..BaselineOutcome::default()
        };
        let mut conflicts = Vec::new();
        for row in &state.applied {
            if !request.ids.contains(&row.migration) {
                conflicts.push(format!(
                    "{} is applied, but is not among the migrations to record",
                    row.migration
                ));
            }
        }
        for id in &request.ids {
            let m = catalog.get(id).expect("checked above");
            match state.applied_row(id) {
                Some(row) => {
                    let now = checksum(m)?;
                    let checked = matches!(row.direction, Direction::Up | Direction::Baseline);
                    if checked && row.checksum != now {
                        conflicts.push(format!(
                            "{id} is applied with another checksum (its files changed since)"
                        ));
                    } else {
                        outcome.already.push(id.clone());
                    }
                }
                None => outcome.recorded.push(id.clone()),
            }
        }
        if !conflicts.is_empty() {
            return Err(refused(
                format!(
                    "the history already holds applied migrations that conflict with the baseline: {}",
                    conflicts.join("; ")
                ),
                "`bellows migrate status` shows the history; a baseline only adds to a history that is a prefix of it",
            ));
        }

        if let Some(scratch) = &request.scratch {
            outcome.proven = true;
            let ids: Vec<&str> = request.ids.iter().map(String::as_str).collect();
            let events = &mut *self.events;
            let mut progress = |line: &str| events.event(Event::Note(line));
            let expected = replayed_snapshot(catalog, &ids, scratch, &mut progress)
                .await
                .map_err(|e| {
                    let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
                    RunError {
                        kind: FailureKind::Refused,
                        message: format!("cannot prove the schema: {e}"),
                        help: help.or_else(|| {
                            Some("pass --no-proof to record without the proof".to_owned())
                        }),
                    }
                })?;
            let own = self.settings.history.own_tables();
            let mut exclude: Vec<&str> = own.iter().map(String::as_str).collect();
            exclude.push(HISTORY_TABLE);
            exclude.extend(request.exclude.iter().map(String::as_str));
            let live = self
                .b
                .snapshot(&exclude)
                .await
                .map_err(|e| RunError::db("cannot read the database's schema", e))?;
            let last = request.ids.last().map_or("nothing", String::as_str);
            let from = format!("migrations up to {last}");
            if let Some(d) = schema_differences(&expected, &live, (&from, "database")) {
                if !request.force {
                    return Err(RunError {
                        kind: FailureKind::Drift,
                        message: format!(
                            "the database is not what the migrations up to {last} build; nothing was recorded:\n  {}\n{}",
                            difference_lines(&d).join("\n  "),
                            d.diff.trim_end()
                        ),
                        help: Some(
                            "bring the schema in line (or pick the migration it matches with --to), or pass --force to record anyway"
                                .to_owned(),
                        ),
                    });
                }
                outcome.differences = Some(d);
            }
        }

        if request.dry_run || outcome.recorded.is_empty() {
            return Ok(outcome);
        }
        self.record_baseline(&outcome.recorded).await?;
        Ok(outcome)
    }

    /// One `baseline` row per migration, in one transaction.
    async fn record_baseline(&mut self, ids: &[String]) -> Result<(), RunError> {
        let table = self.settings.history.clone();
        history::ensure(&mut self.b, &table)
            .await
            .map_err(|e| RunError::db("cannot create the history table", e))?;
        let mut rows = Vec::new();
        for id in ids {
            let m = self.migration(id).expect("checked by the caller");
            rows.push((id.clone(), self.phase_of(id).as_str(), checksum(m)?));
        }
        self.b
            .execute("BEGIN")
            .await
            .map_err(|e| RunError::db("cannot begin a transaction", e))?;
        for (id, phase, sum) in &rows {
            let row = NewRow {
                migration: id,
                phase,
                direction: Direction::Baseline,
                checksum: sum,
                who: &self.who,
            };
            if let Err(e) = history::record(&mut self.b, &table, &row, true, 0, None).await {
                let _ = self.b.execute("ROLLBACK").await;
                return Err(RunError::db(
                    "cannot record the baseline (nothing was recorded)",
                    e,
                ));
            }
        }
        self.b
            .execute("COMMIT")
            .await
            .map_err(|e| RunError::db("cannot commit the baseline", e))?;
        Ok(())
    }
}
