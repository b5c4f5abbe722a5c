//! GitLab Code Quality: a JSON array of issues, shown on the merge request's diff.
//!
//! The fingerprint identifies an issue across pipelines, so GitLab can tell new issues
//! from old ones: a hash of the rule, the path and the statement's text with its
//! whitespace collapsed. It does not change when lines are inserted above the statement.

use crate::lint::FileResult;
use crate::rules::{Finding, Severity};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// The text of the statement the finding is on (else the finding's own span), with runs of
/// whitespace made one space.
fn statement_text(r: &FileResult, f: &Finding) -> String {
    let span = r
        .statements
        .iter()
        .find(|s| s.span.start <= f.span.start && f.span.start < s.span.end.max(s.span.start + 1))
        .map(|s| s.span.clone())
        .unwrap_or_else(|| f.span.clone());
    let text = &r.source.text;
    let end = span.end.min(text.len());
    let start = span.start.min(end);
    text.get(start..end)
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn fingerprint(r: &FileResult, f: &Finding) -> String {
    let mut hash = Sha256::new();
    for part in [f.rule, r.source.path.as_str(), &statement_text(r, f)] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn write(out: &mut dyn Write, results: &[FileResult]) -> io::Result<()> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let issues: Vec<Value> = results
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .map(|(r, f)| {
            // The same rule twice on one statement text: number the repeats so each
            // fingerprint stays unique and stable.
            let base = fingerprint(r, f);
            let n = seen.entry(base.clone()).or_insert(0);
            let fingerprint = if *n == 0 { base } else { format!("{base}-{n}") };
            *n += 1;
            let start = r.source.position(f.span.start);
            let description = if f.help.is_empty() {
                f.message.clone()
            } else {
                format!("{} (help: {})", f.message, f.help)
            };
            json!({
                "type": "issue",
                "description": description,
                "check_name": f.rule,
                "fingerprint": fingerprint,
                "severity": match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                "categories": ["Bug Risk"],
                "location": {
                    "path": r.source.path.replace('\\', "/"),
                    "lines": { "begin": start.line },
                },
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
