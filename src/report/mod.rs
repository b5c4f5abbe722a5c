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
use std::fmt::Write as _;
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
                out.write_all(gcc_lines(r).as_bytes())?;
            }
            Ok(())
        }
    }
}

/// One file's findings as gcc-style lines.
fn gcc_lines(r: &FileResult) -> String {
    let mut lines = String::new();
    for f in &r.findings {
        let p = r.source.position(f.span.start);
        let _ = writeln!(
            lines,
            "{}:{}:{}: {}: {} [{}]",
            r.source.path, p.line, p.column, f.severity, f.message, f.rule
        );
    }
    lines
}

/// One file's part of a report, rendered as soon as the file is judged, so that a run over
/// thousands of files holds each file's analysis only until then (see
/// [`crate::lint::lint_inputs_map`]). [`write_rendered`] writes the bytes
/// [`write_lint_report`] writes for the files' results.
#[derive(Debug)]
pub struct Rendered {
    has_errors: bool,
    piece: Piece,
}

#[derive(Debug)]
enum Piece {
    Text(text::Pieces),
    Json(json::Pieces),
    Gcc(String),
}

impl Rendered {
    /// Does `format` render file by file? (The others need every file's results at once.)
    pub fn supports(format: Format) -> bool {
        matches!(format, Format::Text | Format::Json | Format::Gcc)
    }

    /// One file's part of the report in `format`, which must be one [`Rendered::supports`].
    pub fn of(r: &FileResult, format: Format, text: TextOptions) -> io::Result<Rendered> {
        let piece = match format {
            Format::Text => Piece::Text(text::Pieces::of(r, text)),
            Format::Json => Piece::Json(json::Pieces::of(r)?),
            Format::Gcc => Piece::Gcc(gcc_lines(r)),
            Format::Sarif | Format::Github | Format::Gitlab | Format::Markdown => {
                return Err(io::Error::other(format!(
                    "the {format:?} report is not rendered file by file"
                )))
            }
        };
        Ok(Rendered {
            has_errors: r.has_errors(),
            piece,
        })
    }

    /// The file has a finding of error severity.
    pub fn has_errors(&self) -> bool {
        self.has_errors
    }
}

/// Writes the report in `format` from each file's [`Rendered`] part (rendered in that
/// format).
pub fn write_rendered(
    out: &mut dyn Write,
    rendered: &[Rendered],
    format: Format,
) -> io::Result<()> {
    let mixed = || io::Error::other("a part of the report was rendered in another format");
    match format {
        Format::Text => {
            let pieces = rendered
                .iter()
                .map(|r| match &r.piece {
                    Piece::Text(p) => Ok(p),
                    _ => Err(mixed()),
                })
                .collect::<io::Result<Vec<_>>>()?;
            text::write_pieces(out, pieces.into_iter())
        }
        Format::Json => {
            let pieces = rendered
                .iter()
                .map(|r| match &r.piece {
                    Piece::Json(p) => Ok(p),
                    _ => Err(mixed()),
                })
                .collect::<io::Result<Vec<_>>>()?;
            json::write_pieces(out, pieces.into_iter())
        }
        Format::Gcc => {
            for r in rendered {
                match &r.piece {
                    Piece::Gcc(lines) => out.write_all(lines.as_bytes())?,
                    _ => return Err(mixed()),
                }
            }
            Ok(())
        }
        Format::Sarif | Format::Github | Format::Gitlab | Format::Markdown => Err(mixed()),
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
