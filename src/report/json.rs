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
