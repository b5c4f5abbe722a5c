//! What `bellows migrate apply | plan | status --targets` show: while a rollout runs, a live
//! view on standard error (one spinner line per running target with its current step, on
//! a terminal; plain `target: …` lines otherwise); at the end, on standard output, the
//! summary table or JSON.
//!
//! Every line passes through [`redact`], and URLs arrive already redacted, so a password
//! can never reach the screen.

use super::run::{progress_line, step_text};
use crate::cli::ListFormat;
use crate::fleet::targets::Wave;
use crate::fleet::{
    human_ms, Observer, RolloutReport, TargetPlan, TargetReport, TargetResult, TargetStatus,
    Verdict, WaveNames,
};
use crate::plan::Status;
use crate::runner::events::{Event, Events};
use crate::runner::url::redact;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// The live view of a rollout.
pub struct FleetView {
    /// On a terminal: one line per running target.
    multi: Option<MultiProgress>,
    bars: RefCell<HashMap<usize, ProgressBar>>,
    /// The longest target name, to align the lines.
    width: usize,
}

impl FleetView {
    /// A view for targets with these names; live lines only when standard error is a
    /// terminal.
    pub fn new<'n>(names: impl Iterator<Item = &'n str>) -> FleetView {
        let terminal = io::stderr().is_terminal();
        FleetView {
            multi: terminal.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bars: RefCell::new(HashMap::new()),
            width: names.map(str::len).max().unwrap_or(0).min(40),
        }
    }

    /// Clears whatever is still drawn.
    pub fn finish(&self) {
        for (_, bar) in self.bars.borrow_mut().drain() {
            bar.finish_and_clear();
        }
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }

    fn line(&self, text: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(redact(text));
            }
            None => progress_line(text),
        }
    }
}

fn wave_title(number: usize, canary: bool) -> String {
    if canary {
        "canary".to_owned()
    } else {
        format!("wave {number}")
    }
}

/// At most `max` names, then how many more.
fn some_names(names: &[&str], max: usize) -> String {
    if names.len() <= max {
        return names.join(", ");
    }
    format!(
        "{}, … ({} more)",
        names[..max].join(", "),
        names.len() - max
    )
}

impl Observer for FleetView {
    fn wave(&self, wave: &Wave, waves: usize, names: &[&str], concurrency: usize) {
        let n = names.len();
        let title = if wave.canary {
            "canary".to_owned()
        } else {
            format!("wave {} of {waves}", wave.number)
        };
        self.line(&format!(
            "{title}: {n} target{}, {} at a time: {}",
            if n == 1 { "" } else { "s" },
            concurrency.min(n),
            some_names(names, 8)
        ));
    }

    fn target_started(&self, index: usize, name: &str, doing: &str) -> Box<dyn Events> {
        let label = format!("{name:<w$}", w = self.width);
        match &self.multi {
            Some(m) => {
                let bar = m.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner} {prefix}  {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(label.clone());
                bar.set_message(redact(doing));
                bar.enable_steady_tick(Duration::from_millis(120));
                self.bars.borrow_mut().insert(index, bar.clone());
                Box::new(TargetEvents {
                    label,
                    bar: Some((m.clone(), bar)),
                    last_line: None,
                })
            }
            None => {
                progress_line(&format!("  {label}  {doing}"));
                Box::new(TargetEvents {
                    label,
                    bar: None,
                    last_line: None,
                })
            }
        }
    }

    fn target_finished(&self, index: usize, report: &TargetReport) {
        if let Some(bar) = self.bars.borrow_mut().remove(&index) {
            bar.finish_and_clear();
            if let Some(m) = &self.multi {
                m.remove(&bar);
            }
        }
        let ms = report
            .duration_ms
            .map(|ms| format!(" ({})", human_ms(ms)))
            .unwrap_or_default();
        self.line(&format!(
            "  {:<w$}  {}{ms}",
            report.name,
            result_text(&report.result),
            w = self.width
        ));
    }

    fn note(&self, text: &str) {
        self.line(text);
    }
}

/// One target's runner events: the current step on its live line, or plain lines.
struct TargetEvents {
    label: String,
    bar: Option<(MultiProgress, ProgressBar)>,
    last_line: Option<Instant>,
}

impl TargetEvents {
    fn line(&self, text: &str) {
        let text = redact(&format!("  {}  {text}", self.label));
        match &self.bar {
            Some((m, _)) => {
                let _ = m.println(text);
            }
            None => progress_line(&text),
        }
    }

    /// The current state: the live line's message, else a plain line.
    fn status(&self, text: &str) {
        match &self.bar {
            Some((_, bar)) => bar.set_message(redact(text)),
            None => self.line(text),
        }
    }
}

impl Events for TargetEvents {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::WaitingForLock { .. }
            | Event::Retry { .. }
            | Event::BackfillStart { .. }
            | Event::RolledBack { .. } => {
                if let Some(text) = step_text(&event) {
                    self.line(&text);
                }
            }
            Event::Locked => self.status("got the migration lock"),
            Event::Step { .. } => {
                if let Some(text) = step_text(&event) {
                    self.status(&text);
                }
            }
            Event::StepDone { id, ms } => {
                if self.bar.is_none() {
                    self.line(&format!("{id} done in {ms} ms"));
                }
            }
            Event::Sql(text) => self.line(text),
            Event::Batch {
                id,
                next,
                from,
                to,
                rows,
                ..
            } => {
                let total = (to - from + 1).max(1) as f64;
                let pct = ((next - from).clamp(0, to - from + 1)) as f64 * 100.0 / total;
                let text = format!("{id}: backfill {pct:.0}%, {rows} rows");
                if self.bar.is_some() {
                    self.status(&text);
                } else if self
                    .last_line
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(2))
                {
                    self.last_line = Some(Instant::now());
                    self.line(&text);
                }
            }
            Event::BackfillDone {
                id,
                rows,
                ms,
                remaining,
                ..
            } => {
                let left = match remaining {
                    Some(0) | None => String::new(),
                    Some(n) => format!(", verify.sql: {n} rows STILL TO DO"),
                };
                self.line(&format!("{id}: backfilled {rows} rows in {ms} ms{left}"));
            }
            Event::Note(text) => self.line(&format!("note: {text}")),
        }
    }
}

/// The short result of a target, as the table shows it.
pub fn result_text(result: &TargetResult) -> String {
    match result {
        TargetResult::Untouched => "untouched".to_owned(),
        TargetResult::NothingToDo => "nothing to do".to_owned(),
        TargetResult::Applied { steps } => format!("applied {}", steps.len()),
        TargetResult::Blocked { applied, .. } if applied.is_empty() => "blocked".to_owned(),
        TargetResult::Blocked { applied, .. } => {
            format!("blocked (after applying {})", applied.len())
        }
        TargetResult::RolledBack { .. } => "rolled back".to_owned(),
        TargetResult::Failed { .. } => "failed".to_owned(),
    }
}

fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Rows of cells as an aligned table (the last column is not padded).
fn write_table(out: &mut dyn Write, rows: &[Vec<String>]) -> io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", redact(line.trim_end()))?;
    }
    Ok(())
}

fn json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    writeln!(out, "{}", redact(&text))
}

/// The end of `apply --targets`: the table of targets, what went wrong where, and the
/// verdict.
pub fn write_rollout(
    out: &mut dyn Write,
    report: &RolloutReport,
    format: ListFormat,
) -> io::Result<()> {
    if format == ListFormat::Json {
        return json(out, report);
    }
    let mut rows = vec![vec![
        "target".to_owned(),
        "labels".to_owned(),
        "wave".to_owned(),
        "result".to_owned(),
        "duration".to_owned(),
    ]];
    for t in &report.targets {
        rows.push(vec![
            t.name.clone(),
            labels_text(&t.labels),
            wave_title(t.wave, t.canary),
            result_text(&t.result),
            t.duration_ms
                .map(human_ms)
                .unwrap_or_else(|| "-".to_owned()),
        ]);
    }
    write_table(out, &rows)?;
    let mut details = false;
    for t in &report.targets {
        let text = match &t.result {
            TargetResult::Blocked { step, applied } => {
                let mut s = format!(
                    "{} ({}) is blocked before {} ({}):",
                    t.name, t.url, step.migration, step.phase
                );
                for r in &step.reasons {
                    s.push_str(&format!("\n    - {r}"));
                }
                if !applied.is_empty() {
                    let ids: Vec<&str> = applied.iter().map(|d| d.migration.as_str()).collect();
                    s.push_str(&format!("\n    applied before it: {}", ids.join(", ")));
                }
                s
            }
            TargetResult::RolledBack { error, undone } => {
                let how = if undone.is_empty() {
                    "the failed step was undone; nothing else of this rollout had run there"
                        .to_owned()
                } else {
                    format!("rolled back with their down scripts: {}", undone.join(", "))
                };
                format!(
                    "{} ({}) failed: {error}\n    {how}; it is as before the rollout",
                    t.name, t.url
                )
            }
            TargetResult::Failed { error, state } => {
                format!("{} ({}) failed: {error}\n    state: {state}", t.name, t.url)
            }
            _ => continue,
        };
        if !details {
            writeln!(out)?;
            details = true;
        }
        writeln!(out, "{}", redact(&text))?;
    }
    writeln!(out)?;
    let count =
        |f: &dyn Fn(&TargetResult) -> bool| report.targets.iter().filter(|t| f(&t.result)).count();
    let applied = count(&|r| matches!(r, TargetResult::Applied { .. }));
    let nothing = count(&|r| matches!(r, TargetResult::NothingToDo));
    let untouched = count(&|r| matches!(r, TargetResult::Untouched));
    let n = report.targets.len();
    match (&report.halted, report.verdict) {
        (None, _) => writeln!(
            out,
            "rollout complete: {n} target{} in {} wave{} ({applied} applied, {nothing} nothing to do) in {}",
            if n == 1 { "" } else { "s" },
            report.waves.len(),
            if report.waves.len() == 1 { "" } else { "s" },
            human_ms(report.duration_ms)
        ),
        (Some(h), verdict) => {
            let what = match (verdict, h.health) {
                (_, true) => "the health query failed on",
                (Verdict::Failed, false) => "failed:",
                _ => "blocked:",
            };
            writeln!(
                out,
                "rollout halted in {} ({what} {}): {untouched} target{} untouched, {applied} applied, {nothing} nothing to do",
                wave_title(h.wave, h.canary),
                h.targets.join(", "),
                if untouched == 1 { "" } else { "s" },
            )
        }
    }
}

#[derive(Serialize)]
struct FleetPlanJson<'a> {
    waves: &'a [WaveNames],
    concurrency: usize,
    targets: &'a [TargetPlan],
}

/// `plan --targets`: the wave layout and every target's plan.
pub fn write_fleet_plan(
    out: &mut dyn Write,
    waves: &[WaveNames],
    concurrency: usize,
    plans: &[TargetPlan],
    format: ListFormat,
) -> io::Result<()> {
    if format == ListFormat::Json {
        return json(
            out,
            &FleetPlanJson {
                waves,
                concurrency,
                targets: plans,
            },
        );
    }
    writeln!(
        out,
        "{} target{} in {} wave{}, {concurrency} at a time:",
        plans.len(),
        if plans.len() == 1 { "" } else { "s" },
        waves.len(),
        if waves.len() == 1 { "" } else { "s" }
    )?;
    for w in waves {
        let names: Vec<&str> = w.targets.iter().map(String::as_str).collect();
        writeln!(
            out,
            "  {}: {}",
            wave_title(w.number, w.canary),
            some_names(&names, 12)
        )?;
    }
    for p in plans {
        writeln!(out)?;
        let head = format!("{} ({}, {})", p.name, wave_title(p.wave, p.canary), p.url);
        match (&p.plan, &p.error) {
            (_, Some(e)) => writeln!(out, "{}", redact(&format!("{head}: error: {e}")))?,
            (Some(plan), None) => {
                let blocked = plan
                    .steps
                    .iter()
                    .filter(|s| s.status == Status::Blocked)
                    .count();
                writeln!(
                    out,
                    "{}",
                    redact(&format!(
                        "{head}: {} applied, {} pending{}",
                        p.applied,
                        plan.steps.len(),
                        if blocked > 0 {
                            format!(" ({blocked} blocked)")
                        } else {
                            String::new()
                        }
                    ))
                )?;
                for s in &plan.steps {
                    let status = match s.status {
                        Status::Ready => "ready",
                        Status::Blocked => "blocked",
                    };
                    writeln!(out, "  {status:7}  {}  {}", s.migration, s.phase)?;
                    for r in &s.reasons {
                        writeln!(out, "           - {}", redact(r))?;
                    }
                }
            }
            (None, None) => writeln!(out, "{}", redact(&head))?,
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct FleetStatusJson<'a> {
    targets: &'a [TargetStatus],
}

/// `status --targets`: one line per target, then what needs attention.
pub fn write_fleet_status(
    out: &mut dyn Write,
    statuses: &[TargetStatus],
    format: ListFormat,
) -> io::Result<()> {
    if format == ListFormat::Json {
        return json(out, &FleetStatusJson { targets: statuses });
    }
    let mut rows = vec![vec![
        "target".to_owned(),
        "labels".to_owned(),
        "wave".to_owned(),
        "applied".to_owned(),
        "pending".to_owned(),
        "dirty".to_owned(),
        "last applied".to_owned(),
        "lock".to_owned(),
    ]];
    for t in statuses {
        let mut row = vec![
            t.name.clone(),
            labels_text(&t.labels),
            wave_title(t.wave, t.canary),
        ];
        match &t.status {
            Some(s) => row.extend([
                s.applied.to_string(),
                s.pending.len().to_string(),
                s.dirty.len().to_string(),
                s.last_applied.clone().unwrap_or_else(|| "-".to_owned()),
                s.lock_holder
                    .as_deref()
                    .map(|h| format!("held by {h}"))
                    .unwrap_or_else(|| "free".to_owned()),
            ]),
            None => row.extend(["?", "?", "?", "-", "unreachable"].map(str::to_owned)),
        }
        rows.push(row);
    }
    write_table(out, &rows)?;
    let mut first = true;
    for t in statuses {
        let mut notes = Vec::new();
        if let Some(e) = &t.error {
            notes.push(format!("error: {e}"));
        }
        if let Some(s) = &t.status {
            if !s.dirty.is_empty() {
                notes.push(format!(
                    "dirty: {} (`bellows migrate resolve` on this target)",
                    s.dirty.join(", ")
                ));
            }
            if !s.edited.is_empty() {
                notes.push(format!("edited since applied: {}", s.edited.join(", ")));
            }
            if !s.gone.is_empty() {
                notes.push(format!(
                    "applied but missing on disk: {}",
                    s.gone.join(", ")
                ));
            }
        }
        if notes.is_empty() {
            continue;
        }
        if first {
            writeln!(out)?;
            first = false;
        }
        writeln!(out, "{} ({}):", t.name, redact(&t.url))?;
        for n in notes {
            writeln!(out, "  {}", redact(&n))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::Halt;

    fn target(name: &str, wave: usize, result: TargetResult) -> TargetReport {
        TargetReport {
            name: name.to_owned(),
            url: "postgres://app:***@h/db".to_owned(),
            url_env: None,
            labels: BTreeMap::from([("region".to_owned(), "eu".to_owned())]),
            wave,
            canary: wave == 0,
            result,
            duration_ms: Some(1500),
        }
    }

    #[test]
    fn rollout_table_and_halt() {
        let report = RolloutReport {
            verdict: Verdict::Failed,
            halted: Some(Halt {
                wave: 1,
                canary: false,
                targets: vec!["b".to_owned()],
                health: false,
            }),
            waves: Vec::new(),
            concurrency: 2,
            targets: vec![
                target("a", 0, TargetResult::NothingToDo),
                target(
                    "b",
                    1,
                    TargetResult::RolledBack {
                        error: "0002 failed".to_owned(),
                        undone: vec!["0001".to_owned()],
                    },
                ),
                TargetReport {
                    duration_ms: None,
                    ..target("c", 2, TargetResult::Untouched)
                },
            ],
            duration_ms: 3000,
        };
        let mut out = Vec::new();
        write_rollout(&mut out, &report, ListFormat::Text).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("target  labels     wave    result         duration\n"),
            "{text}"
        );
        assert!(
            text.contains("a       region=eu  canary  nothing to do  1.5 s\n"),
            "{text}"
        );
        assert!(
            text.contains("c       region=eu  wave 2  untouched      -\n"),
            "{text}"
        );
        assert!(
            text.contains("b (postgres://app:***@h/db) failed: 0002 failed"),
            "{text}"
        );
        assert!(
            text.contains("rolled back with their down scripts: 0001"),
            "{text}"
        );
        assert!(
            text.contains("rollout halted in wave 1 (failed: b): 1 target untouched"),
            "{text}"
        );
        let mut out = Vec::new();
        write_rollout(&mut out, &report, ListFormat::Json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["verdict"], "failed");
        assert_eq!(v["targets"][1]["result"], "rolled-back");
        assert_eq!(v["targets"][1]["undone"][0], "0001");
        assert_eq!(v["targets"][2]["result"], "untouched");
    }
}
