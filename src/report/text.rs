//! Human output: miette's graphical diagnostics plus a per-file phase summary.

use super::TextOptions;
use crate::lint::FileResult;
use crate::rules::{Finding, Severity};
use crate::source::SourceFile;
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use rayon::prelude::*;
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

/// One finding as a miette diagnostic.
struct Report<'a> {
    finding: &'a Finding,
    source: NamedSource<Arc<str>>,
    label: String,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for Report<'_> {}

impl Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.finding.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.finding.help.is_empty() {
            None
        } else {
            Some(Box::new(&self.finding.help))
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = &self.finding.span;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.label.clone()),
            span.start,
            span.end.saturating_sub(span.start),
        ))))
    }
}

/// Renders one finding as miette's graphical report.
pub fn render_finding(source: &SourceFile, finding: &Finding, opts: TextOptions) -> String {
    // Long statements are cut to their first line in the label, so a 200-line CREATE
    // TABLE does not fill the screen.
    let mut finding = finding.clone();
    let text = &source.text;
    let start = finding.span.start.min(text.len());
    let line_end = text[start..]
        .find('\n')
        .map(|i| start + i)
        .unwrap_or(text.len());
    let line_end = text[start..line_end].trim_end_matches('\r').len() + start;
    if finding.span.end > line_end && line_end > start {
        finding.span.end = line_end;
    }
    finding.span.end = finding.span.end.min(text.len()).max(start);
    let report = Report {
        label: "here".to_owned(),
        finding: &finding,
        source: NamedSource::new(source.path.clone(), Arc::clone(&source.text)),
    };
    // Source lines are shown as written: a wrapped SQL line would mislead.
    let handler = crate::cli::color::handler(opts.color, opts.width)
        .with_wrap_lines(false)
        .with_context_lines(1);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        let p = source.position(finding.span.start);
        out = format!(
            "{}: {} [{}] at {}:{}:{}\n  help: {}\n",
            finding.severity,
            finding.message,
            finding.rule,
            source.path,
            p.line,
            p.column,
            finding.help
        );
    }
    out
}

pub(super) fn write(
    out: &mut dyn Write,
    results: &[FileResult],
    opts: TextOptions,
) -> io::Result<()> {
    // Rendering is independent per file: do it on all cores, write in order.
    let pieces: Vec<Pieces> = results.par_iter().map(|r| Pieces::of(r, opts)).collect();
    write_pieces(out, pieces.iter())
}

/// One file's part of the text report, rendered as soon as the file is judged.
#[derive(Debug)]
pub(super) struct Pieces {
    /// The file's findings, each rendered and followed by a blank line.
    findings: String,
    /// The file's summary line, with its newline.
    summary: String,
    errors: usize,
    warnings: usize,
}

impl Pieces {
    pub(super) fn of(r: &FileResult, opts: TextOptions) -> Self {
        let findings = r
            .findings
            .iter()
            .map(|f| render_finding(&r.source, f, opts) + "\n")
            .collect();
        let mut ops: Vec<String> = Vec::new();
        for s in &r.statements {
            for name in s.op_names().split(',') {
                if !ops.iter().any(|o| o == name) {
                    ops.push(name.to_owned());
                }
            }
        }
        let (errors, warnings) = super::totals(std::slice::from_ref(r));
        let status = match (errors, warnings) {
            (0, 0) => "ok".to_owned(),
            (e, 0) => plural(e, "error"),
            (0, w) => plural(w, "warning"),
            (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
        };
        let summary = format!(
            "{}: {} ({}: {}) — {}\n",
            r.source.path,
            r.phase,
            plural(
                r.statements.iter().filter(|s| s.inside.is_none()).count(),
                "statement"
            ),
            if ops.is_empty() {
                "-".to_owned()
            } else {
                ops.join(", ")
            },
            status
        );
        Pieces {
            findings,
            summary,
            errors,
            warnings,
        }
    }
}

/// Writes the report of the files whose [`Pieces`] these are: every finding, then each
/// file's summary line, then the totals.
pub(super) fn write_pieces<'a>(
    out: &mut dyn Write,
    pieces: impl Iterator<Item = &'a Pieces> + Clone,
) -> io::Result<()> {
    for p in pieces.clone() {
        out.write_all(p.findings.as_bytes())?;
    }
    let (mut files, mut errors, mut warnings) = (0, 0, 0);
    for p in pieces {
        out.write_all(p.summary.as_bytes())?;
        files += 1;
        errors += p.errors;
        warnings += p.warnings;
    }
    writeln!(
        out,
        "\n{} linted: {}, {}",
        plural(files, "file"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )?;
    Ok(())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
