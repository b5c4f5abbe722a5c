//! Reports: every byte the user sees of a lint run.
//!
//! Owns rendering `FileResult`s as miette's graphical text, JSON, SARIF 2.1.0, GitHub
//! workflow commands, GitLab Code Quality, Markdown and gcc-style lines. The only module that writes to stdout (through
//! the writer it is given).

pub mod baseline;
pub mod catalog;
pub mod fleet;
mod github;
mod gitlab;
mod json;
mod markdown;
pub mod page;
pub mod plan;
pub mod run;
mod sarif;
mod svg;
mod text;
pub mod trace;
pub mod verify;

pub use json::{JsonDiagnostic, JsonFile, JsonReport, JsonStatement};
pub use text::render_finding;

use crate::lint::FileResult;
use std::io::{self, Write};
use std::str::FromStr;

/// The output formats of `bellows lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    /// GitLab Code Quality (a JSON array).
    Gitlab,
    /// Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    Gcc,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        <Format as clap::ValueEnum>::from_str(s, true)
    }
}

/// How text output looks.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub color: bool,
    pub width: usize,
}

/// Writes the lint report for `results` in `format`.
pub fn write_lint_report(
    out: &mut dyn Write,
    results: &[FileResult],
    format: Format,
    text: TextOptions,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(out, results, text),
        Format::Json => json::write(out, results),
        Format::Sarif => sarif::write(out, results),
        Format::Github => github::write(out, results),
        Format::Gitlab => gitlab::write(out, results),
        Format::Markdown => markdown::write(out, results),
        Format::Gcc => {
            for r in results {
                for f in &r.findings {
                    let p = r.source.position(f.span.start);
                    writeln!(
                        out,
                        "{}:{}:{}: {}: {} [{}]",
                        r.source.path, p.line, p.column, f.severity, f.message, f.rule
                    )?;
                }
            }
            Ok(())
        }
    }
}

/// What a machine-readable format prints when the tool fails (exit 2), so a CI step that
/// reads stdout still gets a valid document: SARIF with an unsuccessful invocation, a JSON
/// object with an `error` field, an empty GitLab report. Other formats print nothing (the
/// error is on stderr).
pub fn write_failure(out: &mut dyn Write, format: Format, error: &str) -> io::Result<()> {
    match format {
        Format::Sarif => sarif::write_failure(out, error),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "error": error }))?;
            writeln!(out)
        }
        Format::Gitlab => writeln!(out, "[]"),
        Format::Text | Format::Github | Format::Markdown | Format::Gcc => Ok(()),
    }
}

/// Counts of findings by severity.
pub fn totals(results: &[FileResult]) -> (usize, usize) {
    let mut errors = 0;
    let mut warnings = 0;
    for f in results.iter().flat_map(|r| &r.findings) {
        match f.severity {
            crate::rules::Severity::Error => errors += 1,
            crate::rules::Severity::Warning => warnings += 1,
        }
    }
    (errors, warnings)
}
