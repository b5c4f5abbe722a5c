//! What a lint run says about its findings baseline: how many findings it left out, which
//! entries are stale, and what `--write-baseline` recorded.

use super::Format;
use crate::lint::baseline::{Applied, Entry};
use std::io::{self, Write};
use std::path::Path;

/// The summary after the report. GitHub gets workflow notices; the other formats get
/// plain lines (the caller sends them to stderr when stdout holds JSON or SARIF).
pub fn write_summary(
    out: &mut dyn Write,
    applied: &Applied,
    baseline: &Path,
    format: Format,
) -> io::Result<()> {
    let prefix = if format == Format::Github {
        "::notice::"
    } else {
        ""
    };
    if applied.hidden > 0 {
        writeln!(
            out,
            "{prefix}{} in the baseline not shown ({})",
            count(applied.hidden, "finding"),
            baseline.display()
        )?;
    }
    if !applied.stale.is_empty() {
        let (verb, them) = if applied.stale.len() == 1 {
            ("matches", "it")
        } else {
            ("match", "them")
        };
        writeln!(
            out,
            "{prefix}{} of {} no longer {verb} a finding (fixed, or the statement changed); `bellows lint --write-baseline {}` removes {them}",
            count(applied.stale.len(), "entry"),
            baseline.display(),
            baseline.display()
        )?;
        if format != Format::Github {
            for Entry {
                path, line, rule, ..
            } in &applied.stale
            {
                writeln!(out, "  {path}:{line}: {rule}")?;
            }
        }
    }
    Ok(())
}

/// The line `--write-baseline` prints.
pub fn write_written(out: &mut dyn Write, entries: &[Entry], baseline: &Path) -> io::Result<()> {
    let mut files: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    files.dedup();
    writeln!(
        out,
        "wrote {} in {} to {}",
        count(entries.len(), "finding"),
        count(files.len(), "file"),
        baseline.display()
    )
}

fn count(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "entry") => format!("{n} entries"),
        _ => format!("{n} {word}s"),
    }
}
