//! Findings on statements that run inside procedural code.
//!
//! Owns saying where such a statement runs and whether it runs only sometimes: the note a
//! finding carries, and the lookup the reports use to mark findings. Finding the statements
//! is `parse::procedural`'s job; analysing them is the ordinary pipeline's.

use super::{AnalyzedStatement, FileResult};
use crate::parse::procedural::{Inside, InsideKind};
use crate::rules::Finding;
use crate::source::SourceFile;

impl FileResult {
    /// Where the statement a finding is on runs, when it runs inside procedural code.
    pub fn inside_of(&self, finding: &Finding) -> Option<&Inside> {
        inside_of(&self.statements, finding)
    }
}

/// The innermost statement inside procedural code that holds the finding's start.
fn inside_of<'a>(statements: &'a [AnalyzedStatement], finding: &Finding) -> Option<&'a Inside> {
    let at = finding.span.start;
    statements
        .iter()
        .filter(|s| s.span.start <= at && (at < s.span.end || at == s.span.start))
        .filter_map(|s| s.inside.as_ref().map(|i| (s.span.len(), i)))
        .min_by_key(|(len, _)| *len)
        .map(|(_, i)| i)
}

/// Adds to each finding on such a statement where it runs, and when.
pub(super) fn note_inside(
    findings: &mut [Finding],
    statements: &[AnalyzedStatement],
    source: &SourceFile,
) {
    for f in findings.iter_mut() {
        if let Some(inside) = inside_of(statements, f) {
            let note = note(inside, source);
            f.message = format!("{} ({note})", f.message);
        }
    }
}

fn note(inside: &Inside, source: &SourceFile) -> String {
    let line = source.position(inside.site.start).line;
    let block = if source
        .slice(&inside.site)
        .get(..2)
        .is_some_and(|w| w.eq_ignore_ascii_case("do"))
    {
        "DO block"
    } else {
        "BEGIN … END block"
    };
    let place = match (&inside.function, inside.kind) {
        (Some(f), InsideKind::Execute) => {
            format!("run by EXECUTE in function `{f}`, called at line {line}")
        }
        (Some(f), InsideKind::Prepare) => {
            format!("a prepared statement run by EXECUTE in `{f}`, called at line {line}")
        }
        (Some(f), _) => format!("in function `{f}`, called at line {line}"),
        (None, InsideKind::Execute) => format!("run by EXECUTE in the {block} at line {line}"),
        (None, InsideKind::Prepare) => {
            format!("a prepared statement run by EXECUTE at line {line}")
        }
        (None, _) => format!("inside the {block} at line {line}"),
    };
    let when = match inside.condition {
        None => return place,
        Some("IF()") => "chosen by IF(): it runs only when the condition selects it".to_owned(),
        Some(c @ ("IF" | "CASE")) => format!("under {c}: it runs only when the condition holds"),
        Some(c @ ("EXCEPTION" | "HANDLER")) => {
            format!("in an {c} handler: it runs only when an error is caught")
        }
        Some(c) => format!("in a {c} loop: it runs as often as the loop body runs, maybe never"),
    };
    format!("{place}, {when}")
}
