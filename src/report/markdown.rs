//! Markdown for a pull-request comment or a GitHub job summary: the counts, the phase of
//! each migration linted, and a table of the findings.

use crate::lint::FileResult;
use crate::rules::Severity;
use std::io::{self, Write};

/// Text safe inside a table cell: no line breaks, no column separators.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub(super) fn write(out: &mut dyn Write, results: &[FileResult]) -> io::Result<()> {
    let (errors, warnings) = super::totals(results);
    let verdict = if errors > 0 {
        "❌"
    } else if warnings > 0 {
        "⚠️"
    } else {
        "✅"
    };
    writeln!(
        out,
        "### {verdict} bellows: {}, {} in {}\n",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(results.len(), "migration file")
    )?;
    if !results.is_empty() {
        writeln!(out, "| migration | phase | findings |")?;
        writeln!(out, "| --- | --- | --- |")?;
        for r in results {
            let (e, w) = super::totals(std::slice::from_ref(r));
            let findings = match (e, w) {
                (0, 0) => "none".to_owned(),
                (e, 0) => plural(e, "error"),
                (0, w) => plural(w, "warning"),
                (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
            };
            writeln!(
                out,
                "| `{}` | {} | {findings} |",
                cell(&r.source.path),
                r.phase
            )?;
        }
        writeln!(out)?;
    }
    let findings: Vec<_> = results
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .collect();
    if !findings.is_empty() {
        writeln!(out, "| severity | rule | where | message |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
        for (r, f) in findings {
            let p = r.source.position(f.span.start);
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let help = if f.help.is_empty() {
                String::new()
            } else {
                // The remedy's first line; the full text is one `bellows explain` away.
                let first = f.help.lines().next().unwrap_or_default();
                let first = first.trim_end().trim_end_matches(':');
                format!("<br>help: {} (`bellows explain {}`)", cell(first), f.rule)
            };
            writeln!(
                out,
                "| {severity} | `{}` | `{}:{}` | {}{help} |",
                f.rule,
                cell(&r.source.path),
                p.line,
                cell(&f.message)
            )?;
        }
    }
    Ok(())
}
