//! The JSON report: a stable contract for CI (see docs/cli.md).

use crate::lint::FileResult;
use rayon::prelude::*;
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
        JsonReport {
            files: results.iter().map(JsonFile::of).collect(),
            diagnostics: results.iter().flat_map(JsonDiagnostic::of).collect(),
        }
    }
}

impl<'a> JsonFile<'a> {
    fn of(r: &'a FileResult) -> Self {
        JsonFile {
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
        }
    }
}

impl<'a> JsonDiagnostic<'a> {
    /// One file's findings.
    fn of(r: &'a FileResult) -> impl Iterator<Item = Self> + 'a {
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
    }
}

/// Writes [`JsonReport::new`]`(results)` as pretty JSON: the bytes
/// `serde_json::to_writer_pretty` writes for the whole report. Each file's entries are
/// rendered on their own, in parallel, and indented to their place.
pub(super) fn write(out: &mut dyn Write, results: &[FileResult]) -> io::Result<()> {
    out.write_all(b"{\n  \"files\": ")?;
    write_array(out, results, |r| items(std::iter::once(JsonFile::of(r))))?;
    out.write_all(b",\n  \"diagnostics\": ")?;
    write_array(out, results, |r| items(JsonDiagnostic::of(r)))?;
    out.write_all(b"\n}\n")
}

/// Files rendered at a time: enough to share out, few enough to hold little output.
const REPORT_CHUNK: usize = 256;

/// Indentation of an element of one of the report's two arrays.
const ITEM_INDENT: &[u8] = b"    ";

/// A top-level array of the report, from each file's elements, as serde_json's pretty
/// printer lays it out.
fn write_array(
    out: &mut dyn Write,
    results: &[FileResult],
    render: impl Fn(&FileResult) -> io::Result<Vec<u8>> + Sync,
) -> io::Result<()> {
    let mut array = Array::default();
    for chunk in results.chunks(REPORT_CHUNK) {
        let parts: Vec<Vec<u8>> = chunk.par_iter().map(&render).collect::<io::Result<_>>()?;
        for part in &parts {
            array.write(out, part)?;
        }
    }
    array.end(out)
}

/// A top-level array written one file's elements at a time.
#[derive(Default)]
struct Array {
    started: bool,
}

impl Array {
    /// One file's elements (from [`items`]; nothing when it has none).
    fn write(&mut self, out: &mut dyn Write, part: &[u8]) -> io::Result<()> {
        if part.is_empty() {
            return Ok(());
        }
        out.write_all(if self.started { b",\n" } else { b"[\n" })?;
        self.started = true;
        out.write_all(part)
    }

    fn end(self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(if self.started { b"\n  ]" } else { b"[]" })
    }
}

/// One file's entries of the report, rendered as soon as the file is judged.
#[derive(Debug)]
pub(super) struct Pieces {
    file: Vec<u8>,
    diagnostics: Vec<u8>,
}

impl Pieces {
    pub(super) fn of(r: &FileResult) -> io::Result<Self> {
        Ok(Pieces {
            file: items(std::iter::once(JsonFile::of(r)))?,
            diagnostics: items(JsonDiagnostic::of(r))?,
        })
    }
}

/// Writes the report of the files whose [`Pieces`] these are: the bytes [`write`] writes
/// for their results.
pub(super) fn write_pieces<'a>(
    out: &mut dyn Write,
    pieces: impl Iterator<Item = &'a Pieces> + Clone,
) -> io::Result<()> {
    out.write_all(b"{\n  \"files\": ")?;
    let mut files = Array::default();
    for p in pieces.clone() {
        files.write(out, &p.file)?;
    }
    files.end(out)?;
    out.write_all(b",\n  \"diagnostics\": ")?;
    let mut diagnostics = Array::default();
    for p in pieces {
        diagnostics.write(out, &p.diagnostics)?;
    }
    diagnostics.end(out)?;
    out.write_all(b"\n}\n")
}

/// The elements, each pretty-printed and indented as an element of a top-level array,
/// separated by `,` and a newline.
fn items<T: Serialize>(elements: impl Iterator<Item = T>) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, element) in elements.enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(ITEM_INDENT);
        let mut ser = serde_json::Serializer::with_formatter(&mut out, Indented::default());
        element.serialize(&mut ser)?;
    }
    Ok(out)
}

/// serde_json's pretty layout (two spaces a level), with every line after the first
/// indented by [`ITEM_INDENT`] as well: an element written in place, not re-indented after.
#[derive(Default)]
struct Indented {
    level: usize,
    has_value: bool,
}

impl Indented {
    fn newline<W: ?Sized + Write>(&self, out: &mut W, comma: bool) -> io::Result<()> {
        out.write_all(if comma { b",\n" } else { b"\n" })?;
        out.write_all(ITEM_INDENT)?;
        for _ in 0..self.level {
            out.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(out, false)?;
        }
        out.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.newline(out, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.newline(out, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::lint::{lint_sources, LintSettings};
    use crate::source::SourceFile;

    fn whole(results: &[FileResult]) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&JsonReport::new(results)).unwrap();
        out.push(b'\n');
        out
    }

    fn pieced(results: &[FileResult]) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, results).unwrap();
        // Rendered file by file, the report is the same.
        let pieces: Vec<Pieces> = results.iter().map(|r| Pieces::of(r).unwrap()).collect();
        let mut streamed = Vec::new();
        write_pieces(&mut streamed, pieces.iter()).unwrap();
        assert_eq!(streamed, out);
        out
    }

    #[test]
    fn the_report_rendered_in_pieces_is_the_whole_report() {
        // More files than one chunk; files without statements or findings among them, and a
        // message with a quote, a backslash and a newline in its text.
        let sources: Vec<SourceFile> = (0..REPORT_CHUNK + 7)
            .map(|i| {
                let text = match i % 4 {
                    0 => format!("CREATE TABLE t{i} (id bigint);\nCREATE INDEX i{i} ON t{i} (id);"),
                    1 => "-- nothing here\n".to_owned(),
                    2 => format!(
                        "ALTER TABLE t{} ADD COLUMN \"a\\\"b\" text NOT NULL;",
                        i - 2
                    ),
                    _ => "SELEC 'x\ny';".to_owned(),
                };
                SourceFile::new(format!("{i:04}_m/up.sql"), text)
            })
            .collect();
        let results = lint_sources(sources, &LintSettings::new(Dialect::Postgres));
        assert!(results.iter().any(|r| r.findings.is_empty()));
        assert!(results.iter().any(|r| !r.findings.is_empty()));
        assert_eq!(pieced(&results), whole(&results));
        // One file without findings: an empty diagnostics array.
        assert_eq!(pieced(&results[1..2]), whole(&results[1..2]));
        assert!(String::from_utf8(pieced(&results[1..2]))
            .unwrap()
            .contains("\"diagnostics\": []"));
        // No files at all.
        assert_eq!(pieced(&[]), whole(&[]));
    }
}
