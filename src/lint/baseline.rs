//! The findings baseline: a file listing the findings a project has accepted, so that
//! `bellows lint` reports only new ones.
//!
//! Owns a finding's fingerprint (stable when lines shift: a hash of the rule, the file's
//! path relative to the project root, the finding's statement text with whitespace
//! collapsed, and which occurrence of that triple it is), the file format (JSON, sorted,
//! one entry per finding) and matching a run's findings against it.

use super::scope::Scope;
use super::FileResult;
use crate::rules::Finding;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The format version written into the file.
const VERSION: u32 = 1;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The file, relative to the project root, with `/` separators.
    pub path: String,
    /// The finding's line when the baseline was written (for people; matching ignores it).
    pub line: usize,
    pub rule: String,
    pub fingerprint: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

/// A baseline file that cannot be read or written (a tool failure, exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BaselineError {
    #[error("cannot read the baseline {path}: {error}")]
    #[diagnostic(
        code(bellows::baseline::read),
        help("write it with `bellows lint --write-baseline FILE`")
    )]
    Read { path: String, error: std::io::Error },
    #[error("the baseline {path} is not a bellows baseline: {message}")]
    #[diagnostic(
        code(bellows::baseline::invalid),
        help("write it again with `bellows lint --write-baseline FILE`")
    )]
    Invalid { path: String, message: String },
    #[error("cannot write the baseline {path}: {error}")]
    #[diagnostic(code(bellows::baseline::write))]
    Write { path: String, error: std::io::Error },
}

/// A loaded baseline.
#[derive(Debug, Clone)]
pub struct Baseline {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

/// What applying a baseline did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Findings left out of the report because the baseline lists them.
    pub hidden: usize,
    /// Entries that match no finding any more (their file was linted, or is gone).
    pub stale: Vec<Entry>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|error| BaselineError::Read {
            path: path.display().to_string(),
            error,
        })?;
        let invalid = |message: String| BaselineError::Invalid {
            path: path.display().to_string(),
            message,
        };
        let file: BaselineFile = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        if file.version != VERSION {
            return Err(invalid(format!(
                "format version {} (this bellows reads version {VERSION})",
                file.version
            )));
        }
        Ok(Baseline {
            path: path.to_path_buf(),
            entries: file.findings,
        })
    }

    /// Removes the findings the baseline lists from `results`.
    pub fn apply(&self, results: &mut [FileResult], scope: &Scope) -> Applied {
        let mut unmatched: HashMap<&str, &Entry> = self
            .entries
            .iter()
            .map(|e| (e.fingerprint.as_str(), e))
            .collect();
        let mut linted: HashSet<String> = HashSet::new();
        let mut hidden = 0;
        for result in results.iter_mut() {
            let path = scope.display_path(&result.source.path);
            let prints = fingerprints(result, &path);
            let mut keep = prints
                .iter()
                .map(|p| unmatched.remove(p.as_str()).is_none());
            let before = result.findings.len();
            result.findings.retain(|_| keep.next().unwrap_or(true));
            hidden += before - result.findings.len();
            linted.insert(path);
        }
        let mut stale: Vec<Entry> = unmatched
            .into_values()
            .filter(|e| linted.contains(&e.path) || !scope.root().join(&e.path).exists())
            .cloned()
            .collect();
        stale.sort();
        Applied { hidden, stale }
    }
}

/// Every finding of `results` as a baseline entry, sorted.
pub fn entries(results: &[FileResult], scope: &Scope) -> Vec<Entry> {
    let mut out: Vec<Entry> = results
        .iter()
        .flat_map(|r| {
            let path = scope.display_path(&r.source.path);
            let prints = fingerprints(r, &path);
            r.findings
                .iter()
                .zip(prints)
                .map(|(f, fingerprint)| Entry {
                    line: r.source.position(f.span.start).line,
                    rule: f.rule.to_owned(),
                    fingerprint,
                    path: path.clone(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

/// Writes a baseline file: pretty JSON, sorted, with a final newline.
pub fn write(path: &Path, entries: &[Entry]) -> Result<(), BaselineError> {
    let file = BaselineFile {
        version: VERSION,
        findings: entries.to_vec(),
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| BaselineError::Write {
        path: path.display().to_string(),
        error: std::io::Error::other(e),
    })?;
    text.push('\n');
    std::fs::write(path, text).map_err(|error| BaselineError::Write {
        path: path.display().to_string(),
        error,
    })
}

/// The fingerprint of each finding of a file, in the order of `result.findings`. `path`
/// is the file's path as the baseline names it.
pub fn fingerprints(result: &FileResult, path: &str) -> Vec<String> {
    let mut seen: HashMap<(&str, String), usize> = HashMap::new();
    result
        .findings
        .iter()
        .map(|f| {
            let text = finding_text(result, f);
            let index = seen.entry((f.rule, text.clone())).or_insert(0);
            let print = fingerprint(f.rule, path, &text, *index);
            *index += 1;
            print
        })
        .collect()
}

/// The text a finding is about, whitespace collapsed: its statement's, or (for a finding
/// outside every statement, such as a directive) its line's.
fn finding_text(result: &FileResult, finding: &Finding) -> String {
    let at = finding.span.start;
    let statements = &result.statements;
    let i = statements.partition_point(|s| s.span.end < at);
    let span = match statements.get(i) {
        Some(s) if s.span.start <= at => s.span.clone(),
        _ => {
            let text = &result.source.text;
            let at = at.min(text.len());
            let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
            let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
            start..end
        }
    };
    result
        .source
        .slice(&span)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn fingerprint(rule: &str, path: &str, text: &str, index: usize) -> String {
    let mut hasher = Sha256::new();
    for part in [rule, path, text, &index.to_string()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::lint::{lint_source, LintSettings};
    use crate::source::SourceFile;

    fn lint(text: &str) -> FileResult {
        lint_source(
            SourceFile::new("m.sql", text),
            &LintSettings::new(Dialect::Postgres),
        )
    }

    #[test]
    fn fingerprints_survive_line_shifts_and_whitespace() {
        let a = lint("CREATE INDEX i ON users (email);");
        let b = lint("-- a comment\n\nCREATE INDEX  i\n  ON users (email);");
        assert!(!a.findings.is_empty());
        assert_eq!(fingerprints(&a, "m.sql"), fingerprints(&b, "m.sql"));
        assert_ne!(fingerprints(&a, "m.sql"), fingerprints(&a, "n.sql"));
    }

    #[test]
    fn repeated_statements_get_their_own_fingerprints() {
        let r = lint("CREATE INDEX i ON users (email);\nCREATE INDEX i ON users (email);");
        let prints = fingerprints(&r, "m.sql");
        let distinct: HashSet<&String> = prints.iter().collect();
        assert_eq!(distinct.len(), prints.len(), "{prints:?}");
    }

    #[test]
    fn a_finding_outside_statements_uses_its_line() {
        let r = lint("-- bellows: ignore drop-column\nSELECT 1;");
        assert_eq!(r.findings[0].rule, "unused-suppression");
        assert_eq!(
            finding_text(&r, &r.findings[0]),
            "-- bellows: ignore drop-column"
        );
    }

    #[test]
    fn applying_hides_listed_findings_and_names_stale_entries() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.sql");
        std::fs::write(&file, "").unwrap();
        let scope = Scope::new(dir.path());
        let path = file.display().to_string();
        let text = "CREATE INDEX i ON users (email);\nDROP TABLE t;";
        let mut results = vec![lint_source(
            SourceFile::new(&path, text),
            &LintSettings::new(Dialect::Postgres),
        )];
        let all = entries(&results, &scope);
        assert!(all.iter().all(|e| e.path == "m.sql"));
        let mut kept = all.clone();
        let dropped = kept.remove(0);
        kept.push(Entry {
            path: "m.sql".into(),
            line: 9,
            rule: "drop-column".into(),
            fingerprint: "0".repeat(32),
        });
        kept.push(Entry {
            path: "elsewhere/up.sql".into(),
            line: 1,
            rule: "drop-column".into(),
            fingerprint: "1".repeat(32),
        });
        let baseline = Baseline {
            path: dir.path().join("b.json"),
            entries: kept,
        };
        let applied = baseline.apply(&mut results, &scope);
        assert_eq!(applied.hidden, all.len() - 1);
        assert_eq!(results[0].findings.len(), 1);
        assert_eq!(results[0].findings[0].rule, dropped.rule);
        let stale: Vec<&str> = applied.stale.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(stale, vec!["elsewhere/up.sql", "m.sql"]);
    }

    #[test]
    fn the_file_round_trips_and_checks_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        let entry = Entry {
            path: "a/up.sql".into(),
            line: 2,
            rule: "drop-table".into(),
            fingerprint: "ab".repeat(16),
        };
        write(&path, std::slice::from_ref(&entry)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.ends_with("}\n") && text.contains("\"version\": 1"),
            "{text}"
        );
        assert_eq!(Baseline::load(&path).unwrap().entries, vec![entry]);
        std::fs::write(&path, text.replace("\"version\": 1", "\"version\": 7")).unwrap();
        let err = Baseline::load(&path).unwrap_err();
        assert!(err.to_string().contains("version 7"), "{err}");
    }
}
