//! `bellows.sum`: chained checksums of every migration's files, and (later) rollback proofs.
//!
//! Owns the file's format, computing it from a [`Catalog`] and checking a catalog against it.
//! It does not decide where the file lives (the `catalog` command does) nor write proofs
//! (`migrate verify` will; this module only keeps `proof` lines as they are).
//!
//! Format, one item a line:
//!
//! ```text
//! # bellows.sum v1: chained checksums of the migrations (bellows catalog sum). Do not edit.
//! 0001_create_users sha256:<64 hex digits>
//! 0002_add_email sha256:<64 hex digits>
//! proof <anything>
//! ```
//!
//! Each line's hash is `h_i = sha256(h_{i-1} || id_i || file_hash_i)` with `h_0` 32 zero
//! bytes, so an edit to a recorded migration breaks its line and every later one, and two
//! branches that each append a migration change the same last line (a git conflict).
//! `file_hash` is the sha256 of the migration's files (up, down, verify, migration.toml, in
//! that order, each preceded by `"<role> <length>\n"`), each with a leading BOM removed and
//! CRLF turned into LF. `#` lines are comments; `proof ` lines are kept by
//! [`SumFile::parse`] / [`SumFile::render`] and ignored by [`check`].

use super::layout::{Catalog, Migration};
use miette::Diagnostic;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// The file's name.
pub const FILE_NAME: &str = "bellows.sum";

const HEADER: &str =
    "# bellows.sum v1: chained checksums of the migrations (bellows catalog sum). Do not edit.";

/// A sha256 digest.
pub type Hash = [u8; 32];

/// One recorded migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumEntry {
    pub id: String,
    /// The chained hash of this line.
    pub hash: Hash,
}

/// A `bellows.sum`, parsed or computed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SumFile {
    pub entries: Vec<SumEntry>,
    /// `proof …` lines, verbatim (without the newline), in file order.
    pub proofs: Vec<String>,
}

/// Why checksums could not be computed or a `bellows.sum` read.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum SumError {
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(bellows::sum::read))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bellows.sum line {line}: {message}")]
    #[diagnostic(
        code(bellows::sum::parse),
        help("bellows.sum is generated: restore it from git, or rewrite it with `bellows catalog sum`")
    )]
    Parse { line: usize, message: String },
}

/// One way the catalog on disk differs from `bellows.sum`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SumProblem {
    /// The migration's files changed since its line was written.
    Edited { id: String },
    /// Recorded, but no longer on disk.
    Missing { id: String },
    /// On disk, not recorded; `sorts_before` names the first recorded migration it precedes.
    Unrecorded {
        id: String,
        sorts_before: Option<String>,
    },
    /// Recorded before `before`, but now sorts after it.
    Reordered { id: String, before: String },
}

impl SumProblem {
    /// The migration the problem is about.
    pub fn id(&self) -> &str {
        match self {
            SumProblem::Edited { id }
            | SumProblem::Missing { id }
            | SumProblem::Unrecorded { id, .. }
            | SumProblem::Reordered { id, .. } => id,
        }
    }
}

impl fmt::Display for SumProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SumProblem::Edited { id } => write!(f, "{id} was edited after it was recorded"),
            SumProblem::Missing { id } => {
                write!(f, "{id} is recorded in bellows.sum but is not on disk")
            }
            SumProblem::Unrecorded {
                id,
                sorts_before: None,
            } => write!(f, "{id} is not recorded yet"),
            SumProblem::Unrecorded {
                id,
                sorts_before: Some(next),
            } => write!(
                f,
                "{id} is not recorded yet and sorts before {next}, which is: it would run out of order"
            ),
            SumProblem::Reordered { id, before } => write!(
                f,
                "{id} now sorts after {before}; bellows.sum recorded it before"
            ),
        }
    }
}

/// The hash of one migration's files (see the module docs).
pub fn file_hash(migration: &Migration) -> Result<Hash, SumError> {
    let mut roles: Vec<(&str, PathBuf)> = vec![("up", migration.up.clone())];
    if let Some(d) = &migration.down {
        roles.push(("down", d.clone()));
    }
    if let Some(v) = &migration.verify {
        roles.push(("verify", v.clone()));
    }
    if let Some(m) = migration.meta_path() {
        roles.push(("migration.toml", m));
    }
    let mut hasher = Sha256::new();
    let mut seen: Vec<&PathBuf> = Vec::new();
    for (role, path) in &roles {
        // dbmate: up and down are one file, hashed once.
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        let bytes = std::fs::read(path).map_err(|source| SumError::Read {
            path: path.clone(),
            source,
        })?;
        let bytes = normalise(&bytes);
        hasher.update(format!("{role} {}\n", bytes.len()).as_bytes());
        hasher.update(&bytes);
    }
    Ok(hasher.finalize().into())
}

/// Removes a leading UTF-8 BOM and turns CRLF into LF.
fn normalise(bytes: &[u8]) -> Vec<u8> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// `h_i = sha256(h_{i-1} || id || file_hash_i)`.
pub fn chain(previous: &Hash, id: &str, file_hash: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(id.as_bytes());
    hasher.update(file_hash);
    hasher.finalize().into()
}

/// The sum file for a catalog as it is on disk (no proofs).
pub fn compute(catalog: &Catalog) -> Result<SumFile, SumError> {
    let mut previous = [0u8; 32];
    let mut entries = Vec::with_capacity(catalog.migrations.len());
    for m in &catalog.migrations {
        let hash = chain(&previous, &m.id, &file_hash(m)?);
        entries.push(SumEntry {
            id: m.id.clone(),
            hash,
        });
        previous = hash;
    }
    Ok(SumFile {
        entries,
        proofs: Vec::new(),
    })
}

impl SumFile {
    /// The file's text: the header, one line per migration, then the proofs.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(80 * (self.entries.len() + 1));
        out.push_str(HEADER);
        out.push('\n');
        for e in &self.entries {
            out.push_str(&e.id);
            out.push_str(" sha256:");
            out.push_str(&hex(&e.hash));
            out.push('\n');
        }
        for p in &self.proofs {
            out.push_str(p);
            out.push('\n');
        }
        out
    }

    /// Reads a file's text. Blank and `#` lines are skipped; `proof ` lines are kept.
    pub fn parse(text: &str) -> Result<SumFile, SumError> {
        let mut file = SumFile::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim_end_matches('\r');
            if trimmed.trim().is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if trimmed.starts_with("proof ") {
                file.proofs.push(trimmed.to_owned());
                continue;
            }
            let err = |message: String| SumError::Parse { line, message };
            let mut parts = trimmed.split_whitespace();
            let (Some(id), Some(sum), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(err(format!(
                    "expected `<migration id> sha256:<hex>`, found `{trimmed}`"
                )));
            };
            let hex_text = sum
                .strip_prefix("sha256:")
                .ok_or_else(|| err(format!("`{sum}`: expected `sha256:` and 64 hex digits")))?;
            let hash = unhex(hex_text)
                .ok_or_else(|| err(format!("`{sum}`: expected `sha256:` and 64 hex digits")))?;
            if file.entries.iter().any(|e| e.id == id) {
                return Err(err(format!("{id} is recorded twice")));
            }
            file.entries.push(SumEntry {
                id: id.to_owned(),
                hash,
            });
        }
        Ok(file)
    }
}

/// Compares a catalog with its recorded sums and names each migration that differs.
///
/// Each recorded line is checked against its own recorded predecessor, so an edit to one
/// migration is reported once, for that migration, not for every later line.
pub fn check(catalog: &Catalog, sum: &SumFile) -> Result<Vec<SumProblem>, SumError> {
    let on_disk: HashMap<&str, (usize, &Migration)> = catalog
        .migrations
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), (i, m)))
        .collect();
    let recorded: HashMap<&str, usize> = sum
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    let mut problems = Vec::new();
    let mut previous = [0u8; 32];
    for entry in &sum.entries {
        match on_disk.get(entry.id.as_str()) {
            None => problems.push(SumProblem::Missing {
                id: entry.id.clone(),
            }),
            Some((_, m)) => {
                if chain(&previous, &entry.id, &file_hash(m)?) != entry.hash {
                    problems.push(SumProblem::Edited {
                        id: entry.id.clone(),
                    });
                }
            }
        }
        previous = entry.hash;
    }
    // Order: the recorded migrations still on disk must keep their recorded order.
    let mut last: Option<(usize, &str)> = None;
    for entry in &sum.entries {
        let Some(&(at, _)) = on_disk.get(entry.id.as_str()) else {
            continue;
        };
        if let Some((prev_at, prev_id)) = last {
            if at < prev_at {
                problems.push(SumProblem::Reordered {
                    id: prev_id.to_owned(),
                    before: entry.id.clone(),
                });
            }
        }
        last = Some((at, entry.id.as_str()));
    }
    for (i, m) in catalog.migrations.iter().enumerate() {
        if recorded.contains_key(m.id.as_str()) {
            continue;
        }
        let sorts_before = catalog.migrations[i + 1..]
            .iter()
            .find(|later| recorded.contains_key(later.id.as_str()))
            .map(|later| later.id.clone());
        problems.push(SumProblem::Unrecorded {
            id: m.id.clone(),
            sorts_before,
        });
    }
    Ok(problems)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn unhex(text: &str) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.as_bytes().chunks(2).enumerate() {
        let digit = |c: u8| char::from(c).to_digit(16);
        let hi = digit(pair[0])?;
        let lo = digit(pair[1])?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::layout::Catalog;
    use std::path::Path;

    fn write(dir: &Path, rel: &str, text: &str) {
        std::fs::write(dir.join(rel), text).unwrap();
    }

    #[test]
    fn normalises_bom_and_crlf() {
        assert_eq!(normalise(b"\xEF\xBB\xBFa\r\nb\r\n"), b"a\nb\n");
        assert_eq!(normalise(b"a\rb"), b"a\rb");
    }

    #[test]
    fn render_and_parse_round_trip_keeping_proofs() {
        let text = format!(
            "# header\n0001_a sha256:{}\n\nproof 0001_a up=sha256:00 down=sha256:11\n0002_b sha256:{}\n",
            "ab".repeat(32),
            "0f".repeat(32)
        );
        let sum = SumFile::parse(&text).unwrap();
        assert_eq!(sum.entries.len(), 2);
        assert_eq!(sum.proofs, vec!["proof 0001_a up=sha256:00 down=sha256:11"]);
        let again = SumFile::parse(&sum.render()).unwrap();
        assert_eq!(again, sum);
        assert!(sum.render().starts_with("# bellows.sum v1"));
    }

    #[test]
    fn parse_errors_carry_the_line() {
        let err = SumFile::parse("# h\n0001_a sha256:zz\n").unwrap_err();
        assert!(matches!(err, SumError::Parse { line: 2, .. }), "{err}");
        let err = SumFile::parse("0001_a\n").unwrap_err();
        assert!(matches!(err, SumError::Parse { line: 1, .. }), "{err}");
        let ok = format!("0001_a sha256:{}\n", "00".repeat(32));
        let err = SumFile::parse(&format!("{ok}{ok}")).unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
    }

    #[test]
    fn check_names_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0001_a.sql", "SELECT 1;\n");
        write(dir.path(), "0002_b.sql", "SELECT 2;\n");
        write(dir.path(), "0004_d.sql", "SELECT 4;\n");
        let catalog = Catalog::load(dir.path()).unwrap();
        let sum = compute(&catalog).unwrap();
        assert!(check(&catalog, &sum).unwrap().is_empty());

        write(dir.path(), "0002_b.sql", "SELECT 22;\n");
        write(dir.path(), "0003_c.sql", "SELECT 3;\n");
        std::fs::remove_file(dir.path().join("0001_a.sql")).unwrap();
        let catalog = Catalog::load(dir.path()).unwrap();
        let problems = check(&catalog, &sum).unwrap();
        assert_eq!(
            problems,
            vec![
                SumProblem::Missing {
                    id: "0001_a".into()
                },
                SumProblem::Edited {
                    id: "0002_b".into()
                },
                SumProblem::Unrecorded {
                    id: "0003_c".into(),
                    sorts_before: Some("0004_d".into())
                },
            ]
        );
        assert_eq!(
            problems[1].to_string(),
            "0002_b was edited after it was recorded"
        );
    }

    #[test]
    fn reorder_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0001_a.sql", "SELECT 1;\n");
        write(dir.path(), "0002_b.sql", "SELECT 2;\n");
        let catalog = Catalog::load(dir.path()).unwrap();
        let mut sum = compute(&catalog).unwrap();
        // Recorded in the other order (hashes re-chained so only the order differs).
        sum.entries.reverse();
        let problems = check(&catalog, &sum).unwrap();
        assert!(problems
            .iter()
            .any(|p| matches!(p, SumProblem::Reordered { id, before } if id == "0002_b" && before == "0001_a")));
    }
}
