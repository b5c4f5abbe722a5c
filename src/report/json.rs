//! The JSON report: a stable contract for CI (see docs/cli.md).

use crate::lint::FileResult;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub files: Vec<JsonFile<'a>>,
    pub diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Debug, Serialize)]
pub struct JsonFile<'a> {
    pub path: &'a str,
    pub dialect: &'static str,
    pub phase: &'static str,
    pub statements: Vec<JsonStatement>,
}

#[derive(Debug, Serialize)]
pub struct JsonStatement {
    pub line: usize,
    pub column: usize,
    pub phase: &'static str,
    pub op: String,
    /// What procedural code the statement runs inside (`do-block`, `execute`, `prepare`,
    /// `function-call`); absent for the file's own statements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inside: Option<&'static str>,
    /// It runs only when a condition holds (under IF, CASE, a loop, a handler).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub conditional: bool,
}

#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub rule: &'static str,
    pub severity: &'static str,
    pub path: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: &'a str,
    pub help: &'a str,
    /// As for statements: the finding is on a statement inside procedural code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inside: Option<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub conditional: bool,
}

impl<'a> JsonReport<'a> {
    pub fn new(results: &'a [FileResult]) -> Self {
        let files = results
            .iter()
            .map(|r| JsonFile {
                path: &r.source.path,
                dialect: r.dialect.as_str(),
                phase: r.phase.as_str(),
                statements: r
                    .statements
                    .iter()
                    .map(|s| {
                        let p = r.source.position(s.span.start);
                        JsonStatement {
                            line: p.line,
                            column: p.column,
                            phase: s.phase.as_str(),
                            op: s.op_names(),
                            inside: s.inside.as_ref().map(|i| i.kind.as_str()),
                            conditional: s.inside.as_ref().is_some_and(|i| i.conditional()),
                        }
                    })
                    .collect(),
            })
            .collect();
        let diagnostics = results
            .iter()
            .flat_map(|r| {
                r.findings.iter().map(move |f| {
                    let start = r.source.position(f.span.start);
                    let end = r.source.end_position(&f.span);
                    let inside = r.inside_of(f);
                    JsonDiagnostic {
                        rule: f.rule,
                        severity: f.severity.as_str(),
                        path: &r.source.path,
                        line: start.line,
                        column: start.column,
                        end_line: end.line,
                        end_column: end.column,
                        message: &f.message,
                        help: &f.help,
                        inside: inside.map(|i| i.kind.as_str()),
                        conditional: inside.is_some_and(|i| i.conditional()),
                    }
                })
            })
            .collect();
        JsonReport { files, diagnostics }
    }
}

pub(super) fn write(out: &mut dyn Write, results: &[FileResult]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &JsonReport::new(results))?;
    writeln!(out)
}
