//! What `bellows migrate apply | rollback | status` show: progress while the runner works
//! (on standard error: a bar on a terminal, plain lines otherwise), then the outcome or the
//! status (on standard output, as text or JSON). `--dry-run` SQL goes to standard output.
//!
//! Every line passes through [`redact`], so a password can never reach the screen.

use crate::cli::ListFormat;
use crate::runner::drift::Drift;
use crate::runner::events::{Event, Events, Mode};
use crate::runner::url::redact;
use crate::runner::{Outcome, StatusReport};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// A progress line on standard error.
pub fn progress_line(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{}", redact(line));
}

/// Turns runner events into progress output.
pub struct TextEvents {
    terminal: bool,
    bar: Option<ProgressBar>,
    /// When the last plain backfill line was written.
    last_line: Option<Instant>,
}

impl Default for TextEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl TextEvents {
    pub fn new() -> TextEvents {
        TextEvents {
            terminal: io::stderr().is_terminal(),
            bar: None,
            last_line: None,
        }
    }

    /// Clears a bar left on screen.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn line(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(redact(text)),
            None => progress_line(text),
        }
    }
}

fn rate(rows: i64, ms: u64) -> String {
    if ms == 0 {
        return "-".to_owned();
    }
    format!("{:.0} rows/s", rows as f64 * 1000.0 / ms as f64)
}

/// The words for the events every progress view shows alike (lock wait, step start,
/// retry, backfill start, undo); `None` for the others.
pub(crate) fn step_text(event: &Event<'_>) -> Option<String> {
    Some(match *event {
        Event::WaitingForLock { holder } => format!(
            "waiting for the migration lock, held by {}",
            holder.unwrap_or("another session")
        ),
        Event::Step {
            id,
            phase,
            mode,
            index,
            total,
            down,
        } => {
            let how = match mode {
                Mode::Transaction => "in a transaction",
                Mode::Autocommit => "outside a transaction",
            };
            let verb = if down { "rolling back" } else { "applying" };
            format!("[{index}/{total}] {verb} {id} ({phase}, {how})")
        }
        Event::Retry {
            id,
            attempt,
            of,
            wait_ms,
            error,
        } => format!("{id}: {error}; retry {attempt}/{of} in {wait_ms} ms"),
        Event::BackfillStart {
            id,
            table,
            key,
            from,
            to,
            resumed_at,
        } => {
            let resumed = resumed_at
                .map(|k| format!(", resuming at {k}"))
                .unwrap_or_default();
            format!("{id}: backfilling {table} over {key} in [{from}, {to}]{resumed}")
        }
        Event::RolledBack { id, how } => format!("{id}: {how}"),
        _ => return None,
    })
}

impl Events for TextEvents {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::WaitingForLock { .. } | Event::Step { .. } => {
                if let Some(text) = step_text(&event) {
                    self.line(&text);
                }
            }
            Event::Locked => self.line("got the migration lock"),
            Event::StepDone { id, ms } => self.line(&format!("      {id} done in {ms} ms")),
            Event::Retry { .. } | Event::RolledBack { .. } => {
                if let Some(text) = step_text(&event) {
                    self.line(&format!("      {text}"));
                }
            }
            Event::Sql(line) => {
                let _ = writeln!(io::stdout().lock(), "{}", redact(line));
            }
            Event::BackfillStart {
                from,
                to,
                resumed_at,
                ..
            } => {
                if let Some(text) = step_text(&event) {
                    self.line(&format!("      {text}"));
                }
                if self.terminal {
                    let bar = ProgressBar::new((to - from + 1).max(1) as u64);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "      {bar:30} {percent:>3}% {msg} eta {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.set_position(resumed_at.map(|k| (k - from).max(0) as u64).unwrap_or(0));
                    bar.enable_steady_tick(Duration::from_millis(200));
                    self.bar = Some(bar);
                }
            }
            Event::Batch {
                id,
                next,
                from,
                to,
                rows,
                run_rows,
                elapsed_ms,
                batch_size,
                pause_ms,
                throttled,
            } => {
                let done = (next - from).clamp(0, to - from + 1) as u64;
                let pace = match throttled {
                    Some(why) => {
                        format!(", throttled: {why} (batch {batch_size}, pause {pause_ms} ms)")
                    }
                    None => format!(", batch {batch_size}"),
                };
                if let Some(bar) = &self.bar {
                    bar.set_position(done);
                    bar.set_message(format!("{rows} rows, {}{pace}", rate(run_rows, elapsed_ms)));
                } else if self
                    .last_line
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(2))
                {
                    self.last_line = Some(Instant::now());
                    let total = (to - from + 1).max(1) as f64;
                    self.line(&format!(
                        "      {id}: {:.0}% (key {next} of {to}), {rows} rows, {}{pace}",
                        done as f64 * 100.0 / total,
                        rate(run_rows, elapsed_ms)
                    ));
                }
            }
            Event::BackfillDone {
                id,
                rows,
                run_rows,
                ms,
                remaining,
            } => {
                self.finish();
                let left = match remaining {
                    Some(0) => ", verify.sql: 0 rows left".to_owned(),
                    Some(n) => format!(", verify.sql: {n} rows STILL TO DO"),
                    None => String::new(),
                };
                self.line(&format!(
                    "      {id}: backfilled {rows} rows in {ms} ms ({}){left}",
                    rate(run_rows, ms)
                ));
            }
            Event::Note(text) => self.line(&format!("note: {text}")),
        }
    }
}

/// The outcome of `apply` / `rollback`.
pub fn write_outcome(out: &mut dyn Write, outcome: &Outcome, format: ListFormat) -> io::Result<()> {
    if format == ListFormat::Json {
        let text = serde_json::to_string_pretty(outcome).map_err(io::Error::other)?;
        return writeln!(out, "{}", redact(&text));
    }
    if outcome.dry_run {
        writeln!(
            out,
            "-- dry run: {} step{} would run",
            outcome.done.len(),
            if outcome.done.len() == 1 { "" } else { "s" }
        )?;
    } else {
        let total_ms: u64 = outcome.done.iter().map(|d| d.ms).sum();
        let verb = if outcome.rollback {
            "rolled back"
        } else {
            "applied"
        };
        if outcome.done.is_empty()
            && outcome.blocked.is_none()
            && outcome.stopped_at_phase.is_none()
        {
            writeln!(out, "nothing to do: the database is up to date")?;
        } else {
            writeln!(
                out,
                "{verb} {} step{} in {total_ms} ms",
                outcome.done.len(),
                if outcome.done.len() == 1 { "" } else { "s" }
            )?;
        }
        let rows = outcome.done.iter().map(|d| {
            let rows = d.rows.map(|r| format!(", {r} rows")).unwrap_or_default();
            vec![
                d.migration.to_string(),
                d.phase.to_string(),
                format!("({} ms{rows})", d.ms),
            ]
        });
        write_table(out, rows)?;
    }
    if let Some(step) = &outcome.stopped_at_phase {
        writeln!(
            out,
            "stopped before {} ({}): only the requested phase runs",
            step.migration, step.phase
        )?;
    }
    if let Some(step) = &outcome.blocked {
        writeln!(out, "blocked before {} ({}):", step.migration, step.phase)?;
        for r in &step.reasons {
            writeln!(out, "  - {}", redact(r))?;
        }
    }
    Ok(())
}

/// `bellows migrate status`.
pub fn write_status(
    out: &mut dyn Write,
    url: &str,
    report: &StatusReport,
    format: ListFormat,
) -> io::Result<()> {
    if format == ListFormat::Json {
        let mut value = serde_json::to_value(report).map_err(io::Error::other)?;
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "database".to_owned(),
                serde_json::Value::String(url.to_owned()),
            );
        }
        let text = serde_json::to_string_pretty(&value).map_err(io::Error::other)?;
        return writeln!(out, "{}", redact(&text));
    }
    writeln!(
        out,
        "database: {} ({}), history {}",
        redact(url),
        report.engine,
        report.history_table
    )?;
    writeln!(
        out,
        "lock: {}",
        report
            .lock_holder
            .as_deref()
            .map(|h| format!("held by {h}"))
            .unwrap_or_else(|| "free".to_owned())
    )?;
    writeln!(out, "applied ({}):", report.applied.len())?;
    write_table(
        out,
        report.applied.iter().map(|r| {
            vec![
                r.migration.to_string(),
                r.phase.to_string(),
                r.finished_at
                    .as_deref()
                    .unwrap_or(&r.started_at)
                    .to_string(),
                r.os_user
                    .as_deref()
                    .map(|u| format!("by {u}@{}", r.host.as_deref().unwrap_or("?")))
                    .unwrap_or_default(),
            ]
        }),
    )?;
    writeln!(out, "pending ({}):", report.pending.len())?;
    for p in &report.pending {
        writeln!(out, "  {p}")?;
    }
    if !report.dirty.is_empty() {
        writeln!(
            out,
            "dirty ({}): started and never finished",
            report.dirty.len()
        )?;
        for r in &report.dirty {
            let progress = r
                .backfill_last_key
                .as_deref()
                .map(|k| {
                    format!(
                        ", backfill at key {k} ({} rows)",
                        r.backfill_rows.unwrap_or(0)
                    )
                })
                .unwrap_or_default();
            writeln!(
                out,
                "  {}  {} {} started {}{progress}{}",
                r.migration,
                r.phase,
                r.direction.as_str(),
                r.started_at,
                r.error
                    .as_deref()
                    .map(|e| format!(": {}", redact(e)))
                    .unwrap_or_default()
            )?;
            writeln!(
                out,
                "    resolve: `bellows migrate resolve {id} --run-down | --mark-applied | --mark-rolled-back`{}",
                if r.backfill_last_key.is_some() {
                    " (a backfill resumes with `bellows migrate apply`)"
                } else {
                    ""
                },
                id = r.migration
            )?;
        }
    }
    if !report.edited.is_empty() {
        writeln!(out, "edited since applied: {}", report.edited.join(", "))?;
    }
    if !report.gone.is_empty() {
        writeln!(
            out,
            "applied but missing on disk: {}",
            report.gone.join(", ")
        )?;
    }
    if !report.recent.is_empty() {
        writeln!(out, "last runs:")?;
        let rows = report.recent.iter().map(|r| {
            let outcome = match r.success {
                Some(true) => "ok",
                Some(false) => "failed",
                None => "dirty",
            };
            vec![
                r.started_at.to_string(),
                r.migration.to_string(),
                r.direction.as_str().to_owned(),
                outcome.to_owned(),
                format!("{} ms", r.duration_ms.unwrap_or(0)),
                format!(
                    "{}@{}",
                    r.os_user.as_deref().unwrap_or("?"),
                    r.host.as_deref().unwrap_or("?")
                ),
                r.git_commit
                    .as_deref()
                    .map(|c| format!("commit {}", &c[..c.len().min(12)]))
                    .unwrap_or_default(),
            ]
        });
        write_table(out, rows)?;
    }
    Ok(())
}

/// Rows indented by two spaces, each column padded to its widest cell (numbers of
/// milliseconds right-aligned), two spaces between columns, no trailing blanks.
fn write_table(out: &mut dyn Write, rows: impl Iterator<Item = Vec<String>>) -> io::Result<()> {
    let rows: Vec<Vec<String>> = rows.collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(i) {
                Some(max) => *max = (*max).max(w),
                None => widths.push(w),
            }
        }
    }
    for row in &rows {
        let mut line = String::from("  ");
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i > 0 {
                line.push_str("  ");
            }
            if cell.ends_with(" ms") {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", redact(line.trim_end()))?;
    }
    Ok(())
}

/// The drift part of an online plan.
pub fn write_drift(out: &mut dyn Write, drift: &Drift) -> io::Result<()> {
    if let Some(note) = &drift.note {
        return writeln!(out, "{note}");
    }
    match &drift.diff {
        None => writeln!(
            out,
            "drift: none (the database matches the applied migrations)"
        ),
        Some(diff) => {
            writeln!(
                out,
                "drift: the database differs from what the applied migrations built (- migrations, + database):"
            )?;
            out.write_all(redact(diff).as_bytes())
        }
    }
}
