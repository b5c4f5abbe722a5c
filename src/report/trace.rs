//! The result of `bellows trace` as text, JSON or Markdown.
//!
//! Owns how a [`Trace`] looks: per statement how it ran, the locks it took and what they
//! block, the storage it rewrote, the catalog changes, the algorithm the server accepted
//! (MySQL / MariaDB) and the comparison with the linter; then the disagreements. JSON is
//! the [`Trace`] itself, serialised with sorted keys, plus `outcome` and `disagreements`
//! on top (a stable contract: fields are only ever added). It
//! writes only to the writer it is given and decides nothing (the exit code is the
//! command's).

use crate::cli::TraceFormat;
use crate::trace::{FacetOutcome, ObservedLock, StatementTrace, Trace, Verdict};
use std::io::{self, Write};

/// Writes the trace in `format`.
pub fn write_trace(out: &mut dyn Write, trace: &Trace, format: TraceFormat) -> io::Result<()> {
    match format {
        TraceFormat::Text => write_text(out, trace),
        TraceFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &to_json(trace)?).map_err(io::Error::other)?;
            writeln!(out)
        }
        TraceFormat::Md => write_markdown(out, trace),
    }
}

/// The trace as JSON, with the outcome and the disagreements on top.
fn to_json(trace: &Trace) -> io::Result<serde_json::Value> {
    let mut value = serde_json::to_value(trace).map_err(io::Error::other)?;
    let disagreements = trace.disagreements();
    let outcome = if trace.failed_statement().is_some() {
        "failed"
    } else if disagreements.is_empty() {
        "agrees"
    } else {
        "disagrees"
    };
    if let Some(object) = value.as_object_mut() {
        object.insert("outcome".to_owned(), outcome.into());
        object.insert(
            "disagreements".to_owned(),
            serde_json::to_value(disagreements).map_err(io::Error::other)?,
        );
    }
    Ok(value)
}

/// The statement's first line of SQL, shortened.
fn headline(sql: &str, max: usize) -> String {
    let mut lines = sql
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"));
    let first = lines.next().unwrap_or_default();
    let more = lines.next().is_some();
    let mut text: String = first.chars().take(max).collect();
    if more || first.chars().count() > max {
        text.push('…');
    }
    text
}

fn blocks(lock: &ObservedLock) -> &'static str {
    match (lock.blocks_reads, lock.blocks_writes) {
        (true, _) => "blocks reads and writes",
        (false, true) => "blocks writes",
        _ => "blocks neither reads nor writes",
    }
}

fn lock_note(lock: &ObservedLock) -> String {
    let mut notes = Vec::new();
    if lock.new_relation {
        notes.push("new: blocks nobody");
    }
    if lock.already_held {
        notes.push("held before");
    }
    if lock.requested {
        notes.push("seen waiting");
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn header_lines(trace: &Trace) -> Vec<String> {
    let mut lines = vec![format!(
        "trace of {} on {} (linter facts for {})",
        trace.migration, trace.engine, trace.linter_version
    )];
    let mut scratch = format!("scratch database {} (dropped)", trace.database);
    if !trace.replayed.is_empty() {
        scratch.push_str(&format!(
            "; replayed {}: {}",
            plural(trace.replayed.len(), "earlier script", "earlier scripts"),
            trace.replayed.join(", ")
        ));
    }
    lines.push(scratch);
    let seeded: Vec<String> = trace
        .seeded
        .iter()
        .filter(|s| s.skipped.is_none())
        .map(|s| format!("{} ({} rows)", s.table, s.rows))
        .collect();
    let left: Vec<String> = trace
        .seeded
        .iter()
        .filter_map(|s| Some(format!("{}: {}", s.table, s.skipped.as_deref()?)))
        .collect();
    if !seeded.is_empty() {
        lines.push(format!("seeded {}", seeded.join(", ")));
    }
    if !left.is_empty() {
        lines.push(format!("left as they were: {}", left.join("; ")));
    }
    lines.extend(trace.notes.iter().map(|n| format!("note: {n}")));
    lines
}

fn summary(trace: &Trace) -> String {
    let count = |v: Verdict| {
        trace
            .statements
            .iter()
            .filter(|s| s.check.verdict == v && s.error.is_none())
            .count()
    };
    let mut parts = vec![
        plural(trace.statements.len(), "statement", "statements"),
        format!("{} agree", count(Verdict::Agrees)),
        format!("{} disagree", count(Verdict::Disagrees)),
        format!("{} without a static fact", count(Verdict::NoStaticFact)),
        format!("{} not compared", count(Verdict::NotCompared)),
    ];
    if trace.not_run > 0 {
        parts.push(format!("{} not run", trace.not_run));
    }
    parts.join(", ")
}

fn write_text(out: &mut dyn Write, trace: &Trace) -> io::Result<()> {
    for line in header_lines(trace) {
        writeln!(out, "{line}")?;
    }
    for s in &trace.statements {
        writeln!(out)?;
        write_statement_text(out, s)?;
    }
    writeln!(out)?;
    if let Some(failed) = trace.failed_statement() {
        writeln!(
            out,
            "error: statement {} (line {}) failed on {}: {}",
            failed.number,
            failed.line,
            trace.engine,
            failed.error.as_deref().unwrap_or_default()
        )?;
    }
    let disagreements = trace.disagreements();
    if !disagreements.is_empty() {
        writeln!(
            out,
            "{} with the linter:",
            plural(disagreements.len(), "disagreement", "disagreements")
        )?;
        for d in &disagreements {
            writeln!(
                out,
                "  statement {} (line {}): {}",
                d.statement, d.line, d.message
            )?;
        }
    }
    writeln!(out, "summary: {}", summary(trace))
}

fn write_statement_text(out: &mut dyn Write, s: &StatementTrace) -> io::Result<()> {
    const W: usize = 11;
    writeln!(
        out,
        "#{} line {}: {}",
        s.number,
        s.line,
        headline(&s.sql, 90)
    )?;
    let mut ran = format!("{} · {:.1} ms", s.run.describe(), s.duration_ms);
    if s.caught_waiting == Some(true) {
        ran.push_str(" · caught queueing behind the second session");
    }
    writeln!(out, "  {:W$}{ran}", "ran")?;
    if !s.ops.is_empty() {
        writeln!(out, "  {:W$}{}", "ops", s.ops)?;
    }
    if let Some(error) = &s.error {
        writeln!(out, "  {:W$}{error}", "error")?;
    }
    if let Some(a) = &s.algorithm {
        let mut label = "algorithm";
        if let Some(named) = &a.named {
            writeln!(out, "  {label:W$}names {named}")?;
            label = "";
        }
        for attempt in &a.attempts {
            let what = if attempt.accepted {
                "accepted".to_owned()
            } else {
                format!(
                    "refused: {}",
                    attempt.message.as_deref().unwrap_or("refused")
                )
            };
            writeln!(out, "  {label:W$}{} {what}", attempt.clause)?;
            label = "";
        }
        if let Some(best) = a.accepted {
            writeln!(out, "  {:W$}→ {}", "", best.blocks())?;
        }
    }
    let mut label = "locks";
    let width = s.locks.iter().map(|l| l.relation.len()).max().unwrap_or(0);
    for lock in &s.locks {
        writeln!(
            out,
            "  {label:W$}{:<width$}  {:<22}  {}{}",
            lock.relation,
            lock.mode.as_str(),
            blocks(lock),
            lock_note(lock)
        )?;
        label = "";
    }
    let storage: Vec<String> = s
        .rewritten
        .iter()
        .map(|c| format!("rewritten: {} {}", c.kind, c.relation))
        .chain(
            s.emptied
                .iter()
                .map(|c| format!("new empty storage: {} {}", c.kind, c.relation)),
        )
        .collect();
    if !storage.is_empty() {
        writeln!(out, "  {:W$}{}", "storage", storage.join("; "))?;
    }
    let mut label = "catalog";
    for c in &s.changes {
        let sign = match c.change {
            "added" => "+",
            "removed" => "-",
            _ => "~",
        };
        let detail = c
            .after
            .as_deref()
            .or(c.before.as_deref())
            .unwrap_or_default();
        writeln!(
            out,
            "  {label:W$}{sign} {} {} {}",
            c.kind,
            c.name,
            headline(detail, 60)
        )?;
        label = "";
    }
    let mut label = "linter";
    for f in &s.check.facets {
        let mark = match f.outcome {
            FacetOutcome::Agrees => "agrees",
            FacetOutcome::Disagrees => "DISAGREES",
            FacetOutcome::NoStaticFact => "no static fact",
        };
        writeln!(
            out,
            "  {label:W$}{} on {}: linter {}, server {} — {mark}",
            f.aspect.as_str(),
            f.relation,
            f.linter,
            f.server
        )?;
        label = "";
    }
    let mut verdict = s.check.verdict.as_str().to_owned();
    if let Some(reason) = &s.check.reason {
        verdict.push_str(&format!(" ({reason})"));
    }
    writeln!(out, "  {:W$}{verdict}", "verdict")?;
    for n in &s.notes {
        writeln!(out, "  {:W$}{n}", "note")?;
    }
    Ok(())
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn write_markdown(out: &mut dyn Write, trace: &Trace) -> io::Result<()> {
    writeln!(
        out,
        "# Trace of `{}` on {} (linter facts for {})",
        trace.migration, trace.engine, trace.linter_version
    )?;
    writeln!(out)?;
    for line in header_lines(trace).iter().skip(1) {
        writeln!(out, "- {}", md_cell(line))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "| # | line | statement | ran | ms | strongest lock | storage | linter |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |")?;
    for s in &trace.statements {
        let strongest = s
            .locks
            .iter()
            .filter(|l| !l.new_relation)
            .max_by_key(|l| l.mode)
            .map(|l| format!("{} on {}", l.mode.as_str(), l.relation))
            .or_else(|| {
                s.algorithm
                    .as_ref()
                    .and_then(|a| a.accepted)
                    .map(|a| a.as_str().to_owned())
            })
            .unwrap_or_else(|| "—".to_owned());
        let storage = if !s.rewritten.is_empty() {
            format!(
                "rewritten: {}",
                s.rewritten
                    .iter()
                    .map(|c| c.relation.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else if !s.emptied.is_empty() {
            "emptied".to_owned()
        } else {
            "—".to_owned()
        };
        let verdict = match &s.error {
            Some(e) => format!("failed: {e}"),
            None => s.check.verdict.as_str().to_owned(),
        };
        writeln!(
            out,
            "| {} | {} | `{}` | {} | {:.1} | {} | {} | {} |",
            s.number,
            s.line,
            md_cell(&headline(&s.sql, 70)),
            s.run.describe(),
            s.duration_ms,
            md_cell(&strongest),
            md_cell(&storage),
            md_cell(&verdict)
        )?;
    }
    for s in &trace.statements {
        if s.locks.is_empty() && s.check.facets.is_empty() && s.changes.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "## Statement {} (line {})", s.number, s.line)?;
        writeln!(out)?;
        writeln!(out, "```sql\n{}\n```", s.sql.trim())?;
        if !s.locks.is_empty() {
            writeln!(out)?;
            writeln!(out, "| relation | kind | mode | blocks |")?;
            writeln!(out, "| --- | --- | --- | --- |")?;
            for l in &s.locks {
                writeln!(
                    out,
                    "| {} | {} | {} | {}{} |",
                    md_cell(&l.relation),
                    l.kind,
                    l.mode.as_str(),
                    blocks(l),
                    lock_note(l)
                )?;
            }
        }
        if !s.changes.is_empty() {
            writeln!(out)?;
            for c in &s.changes {
                writeln!(out, "- {} {} `{}`", c.change, c.kind, md_cell(&c.name))?;
            }
        }
        if !s.check.facets.is_empty() {
            writeln!(out)?;
            for f in &s.check.facets {
                let mark = match f.outcome {
                    FacetOutcome::Agrees => "agrees",
                    FacetOutcome::Disagrees => "**disagrees**",
                    FacetOutcome::NoStaticFact => "no static fact",
                };
                writeln!(
                    out,
                    "- {} on `{}`: linter {}, server {} — {mark}",
                    f.aspect.as_str(),
                    md_cell(&f.relation),
                    md_cell(&f.linter),
                    md_cell(&f.server)
                )?;
            }
        }
        for n in &s.notes {
            writeln!(out, "- note: {}", md_cell(n))?;
        }
    }
    writeln!(out)?;
    let disagreements = trace.disagreements();
    if !disagreements.is_empty() {
        writeln!(out, "## Disagreements with the linter")?;
        writeln!(out)?;
        for d in &disagreements {
            writeln!(
                out,
                "- statement {} (line {}): {}",
                d.statement,
                d.line,
                md_cell(&d.message)
            )?;
        }
        writeln!(out)?;
    }
    writeln!(out, "**Summary:** {}", summary(trace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_skip_comments_and_shorten() {
        assert_eq!(
            headline("-- why\nALTER TABLE t\n  ADD x int", 40),
            "ALTER TABLE t…"
        );
        assert_eq!(headline("SELECT 1", 3), "SEL…");
        assert_eq!(md_cell("a|b"), "a\\|b");
    }
}
