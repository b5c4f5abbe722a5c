//! GitHub Actions workflow commands: one `::error` / `::warning` line per finding.

use crate::lint::FileResult;
use std::io::{self, Write};

/// Escapes a message for a workflow command's data part.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub(super) fn write(out: &mut dyn Write, results: &[FileResult]) -> io::Result<()> {
    for r in results {
        for f in &r.findings {
            let start = r.source.position(f.span.start);
            let end = r.source.end_position(&f.span);
            let message = if f.help.is_empty() {
                f.message.clone()
            } else {
                format!("{}\nhelp: {}", f.message, f.help)
            };
            writeln!(
                out,
                "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                f.severity,
                escape_property(&r.source.path),
                start.line,
                start.column,
                end.line,
                end.column,
                escape_property(f.rule),
                escape_data(&message)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
