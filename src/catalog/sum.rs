//! `bellows.sum`: chained checksums of every migration's files, and rollback proofs.
//!
//! Owns the file's format, computing it from a [`Catalog`], checking a catalog against it,
//! and the `proof` lines: parsing, rendering, replacing one, and deciding whether a
//! migration's rollback is proven for an engine ([`proof_status`]). It does not decide where
//! the file lives (the `catalog` command does) nor run anything: `runner/verify.rs` makes
//! the proofs (`migrate verify`) and the command writes them here with [`SumFile::set_proof`].
//!
//! Format, one item a line:
//!
//! ```text
//! # bellows.sum v1: chained checksums of the migrations (bellows catalog sum). Do not edit.
//! 0001_create_users sha256:<64 hex digits>
//! 0002_add_email sha256:<64 hex digits>
//! proof 0002_add_email up=sha256:<hex> down=sha256:<hex> s0=sha256:<hex> s1=sha256:<hex> engine=postgresql-15.19
//! ```
//!
//! Each line's hash is `h_i = sha256(h_{i-1} || id_i || file_hash_i)` with `h_0` 32 zero
//! bytes, so an edit to a recorded migration breaks its line and every later one, and two
//! branches that each append a migration change the same last line (a git conflict).
//! `file_hash` is the sha256 of the migration's files (up, down, verify, migration.toml, in
//! that order, each preceded by `"<role> <length>\n"`), each with a leading BOM removed and
//! CRLF turned into LF. `#` lines are comments.
//!
//! A `proof` line ([`Proof`]) records that on a scratch database the migration's down script
//! brought the schema back to exactly what it was before up (snapshot hash `s0`) and a
//! second up reached the same schema as the first (`s1`), for the up and down scripts whose
//! [`script_hash`]es it names, on `engine`. Proof lines are kept verbatim, in file order, by
//! [`SumFile::parse`] / [`SumFile::render`] (a line bellows cannot read is kept, not
//! dropped) and are ignored by [`check`]: a proof says nothing about the chain.
//!
//! A proof counts for every version of its engine family (`postgresql`, `mysql`, `mariadb`,
//! the part of `engine` before the first `-`): how a down script changes the schema is
//! decided by DDL semantics that do not change between versions of one engine, while
//! snapshot details (how a default or a type is printed) may, so the snapshot hashes are
//! recorded but not compared across versions. MySQL and MariaDB are separate families.

use super::accept::Accept;
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
    /// `proof …` lines, verbatim (without the newline), in file order; see
    /// [`SumFile::parsed_proofs`] for the ones that read as a [`Proof`].
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

/// A rollback proof, one `proof` line of `bellows.sum`:
/// `proof <id> up=sha256:<hex> down=sha256:<hex> s0=sha256:<hex> s1=sha256:<hex> engine=<engine>`.
///
/// `up` and `down` are the [`script_hash`]es of the scripts that were run, `s0` / `s1` the
/// sha256 of the schema snapshot's text before and after up, `engine` the engine and
/// version they ran on (`postgresql-15.19`, `mariadb-10.11.19`, `mysql-8.0.36`). `accept`,
/// written only when the migration's `[verify] accept` list is not empty, is its
/// [`accept_hash`]: changing the list makes the proof stale.
///
/// ```
/// use bellows::catalog::sum::{script_hash, Proof};
/// let proof = Proof {
///     id: "0001_users".into(),
///     up: script_hash("CREATE TABLE users (id int);\n"),
///     down: script_hash("DROP TABLE users;\n"),
///     s0: script_hash(""),
///     s1: script_hash("table users\n"),
///     engine: "postgresql-16.4".into(),
///     accept: None,
/// };
/// assert_eq!(Proof::parse(&proof.render()), Some(proof));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub id: String,
    pub up: Hash,
    pub down: Hash,
    pub s0: Hash,
    pub s1: Hash,
    pub engine: String,
    pub accept: Option<Hash>,
}

impl Proof {
    /// Reads a `proof` line (without its newline). `None` when the line is not a complete,
    /// well-formed proof: a missing, repeated or unknown field, or a hash that is not
    /// `sha256:` and 64 hex digits. The fields may come in any order.
    pub fn parse(line: &str) -> Option<Proof> {
        let mut words = line.trim_end_matches('\r').split_whitespace();
        if words.next()? != "proof" {
            return None;
        }
        let id = words.next()?;
        if id.contains('=') {
            return None;
        }
        let (mut up, mut down, mut s0, mut s1, mut engine) = (None, None, None, None, None);
        let mut accept = None;
        for word in words {
            let (key, value) = word.split_once('=')?;
            let slot = match key {
                "engine" => {
                    if engine.is_some() || value.is_empty() {
                        return None;
                    }
                    engine = Some(value.to_owned());
                    continue;
                }
                "up" => &mut up,
                "down" => &mut down,
                "s0" => &mut s0,
                "s1" => &mut s1,
                "accept" => &mut accept,
                _ => return None,
            };
            if slot.is_some() {
                return None;
            }
            *slot = Some(unhex(value.strip_prefix("sha256:")?)?);
        }
        Some(Proof {
            id: id.to_owned(),
            up: up?,
            down: down?,
            s0: s0?,
            s1: s1?,
            engine: engine?,
            accept,
        })
    }

    /// The line's text (without a newline), fields in the documented order.
    pub fn render(&self) -> String {
        let mut line = format!(
            "proof {} up={} down={} s0={} s1={} engine={}",
            self.id,
            hash_text(&self.up),
            hash_text(&self.down),
            hash_text(&self.s0),
            hash_text(&self.s1),
            self.engine
        );
        if let Some(accept) = &self.accept {
            line.push_str(" accept=");
            line.push_str(&hash_text(accept));
        }
        line
    }

    /// The engine family the proof counts for (see [`engine_family`]).
    pub fn family(&self) -> &str {
        engine_family(&self.engine)
    }
}

/// The family of an engine name: the part before the first `-` (`postgresql-15.19` →
/// `postgresql`, `mariadb-10.11.19` → `mariadb`). A proof counts for every version of its
/// family (see the module docs).
pub fn engine_family(engine: &str) -> &str {
    engine.split('-').next().unwrap_or(engine)
}

/// A hash as written in `bellows.sum`: `sha256:<64 lowercase hex digits>`.
pub fn hash_text(hash: &Hash) -> String {
    format!("sha256:{}", hex(hash))
}

/// sha256 of a script's text, BOM removed and CRLF turned into LF (the same normalisation as
/// [`file_hash`]), so a checkout with other line endings proves the same script.
pub fn script_hash(text: &str) -> Hash {
    Sha256::digest(normalise(text.as_bytes())).into()
}

/// The hash a proof records for a `[verify] accept` list: sha256 of the entries, sorted,
/// one a line; `None` for an empty list (a proof without `accept=`).
pub fn accept_hash(accepts: &[Accept]) -> Option<Hash> {
    if accepts.is_empty() {
        return None;
    }
    let mut texts: Vec<&str> = accepts.iter().map(|a| a.text.as_str()).collect();
    texts.sort_unstable();
    texts.dedup();
    let mut hasher = Sha256::new();
    for t in texts {
        hasher.update(t.as_bytes());
        hasher.update(b"\n");
    }
    Some(hasher.finalize().into())
}

/// Whether a migration's rollback is proven for an engine (`postgresql-15.19`,
/// `mariadb-10.11.19`, `mysql-8.0.36`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofStatus {
    /// A proof for this engine family names the current up and down scripts.
    Proven,
    /// No down script (or one declared irreversible): nothing to prove.
    NoDown,
    /// No proof for this migration at all.
    Missing,
    /// A proof exists but up or down changed since.
    Stale,
    /// Proven only on another engine family (postgresql vs mysql vs mariadb); the string
    /// lists the engines it was proven on (`"postgresql-15.19, postgresql-16.4"`).
    OtherEngine(String),
}

/// Whether `migration`'s rollback is proven for `engine` by one of `proofs`.
///
/// A proof on any version of the engine's family counts (`postgresql-15.19` proves for
/// `postgresql-16.1`). A migration without a down script, or declared `irreversible = true`
/// (which `migrate verify` runs up only), is [`ProofStatus::NoDown`]; a contract's down
/// script is proven like any other. The proof must name the current `[verify] accept`
/// list too ([`accept_hash`]). When the family's
/// proofs all name other scripts the status is [`ProofStatus::Stale`]; when only another
/// family's proof names the current scripts, [`ProofStatus::OtherEngine`]; a stale proof on
/// another family alone is also [`ProofStatus::Stale`].
pub fn proof_status(
    migration: &Migration,
    proofs: &[Proof],
    engine: &str,
) -> Result<ProofStatus, SumError> {
    if migration.meta.irreversible == Some(true) {
        return Ok(ProofStatus::NoDown);
    }
    let read_err = |path: &PathBuf| {
        let path = path.clone();
        move |source| SumError::Read { path, source }
    };
    let Some(down) = migration
        .down_text()
        .map_err(read_err(migration.down.as_ref().unwrap_or(&migration.up)))?
    else {
        return Ok(ProofStatus::NoDown);
    };
    let up = script_hash(&migration.up_text().map_err(read_err(&migration.up))?);
    let down = script_hash(&down);
    let family = engine_family(engine);
    let mine: Vec<&Proof> = proofs.iter().filter(|p| p.id == migration.id).collect();
    if mine.is_empty() {
        return Ok(ProofStatus::Missing);
    }
    let accept = accept_hash(migration.meta.accepts());
    let current = |p: &&&Proof| p.up == up && p.down == down && p.accept == accept;
    if mine
        .iter()
        .filter(|p| p.family() == family)
        .any(|p| current(&p))
    {
        return Ok(ProofStatus::Proven);
    }
    if mine.iter().any(|p| p.family() == family) {
        return Ok(ProofStatus::Stale);
    }
    let mut others: Vec<&str> = mine
        .iter()
        .filter(current)
        .map(|p| p.engine.as_str())
        .collect();
    others.sort_unstable();
    others.dedup();
    Ok(if others.is_empty() {
        ProofStatus::Stale
    } else {
        ProofStatus::OtherEngine(others.join(", "))
    })
}

impl SumFile {
    /// The proof lines that read as a [`Proof`], in file order.
    pub fn parsed_proofs(&self) -> Vec<Proof> {
        self.proofs.iter().filter_map(|l| Proof::parse(l)).collect()
    }

    /// Records a proof: it replaces the proof line with the same migration id and the same
    /// engine family (where there are several, the first, and the others are removed), or
    /// is appended. Lines that do not read as proofs are kept.
    pub fn set_proof(&mut self, proof: Proof) {
        let same = |line: &String| {
            Proof::parse(line).is_some_and(|p| p.id == proof.id && p.family() == proof.family())
        };
        let line = proof.render();
        match self.proofs.iter().position(same) {
            Some(at) => {
                let mut i = 0;
                self.proofs.retain(|l| {
                    let keep = i <= at || !same(l);
                    i += 1;
                    keep
                });
                self.proofs[at] = line;
            }
            None => self.proofs.push(line),
        }
    }
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

    fn proof(id: &str, up: &str, down: &str, engine: &str) -> Proof {
        Proof {
            id: id.into(),
            up: script_hash(up),
            down: script_hash(down),
            s0: script_hash(""),
            s1: script_hash("table t\n"),
            engine: engine.into(),
            accept: None,
        }
    }

    #[test]
    fn proof_lines_render_and_parse() {
        let p = proof(
            "0001_a",
            "CREATE TABLE t ();",
            "DROP TABLE t;",
            "postgresql-15.19",
        );
        let line = p.render();
        assert!(line.starts_with("proof 0001_a up=sha256:"), "{line}");
        assert!(line.ends_with(" engine=postgresql-15.19"), "{line}");
        assert_eq!(
            line.split_whitespace()
                .map(|w| w.split('=').next().unwrap())
                .collect::<Vec<_>>(),
            vec!["proof", "0001_a", "up", "down", "s0", "s1", "engine"]
        );
        assert!(line.contains(&format!("s0={}", hash_text(&script_hash("")))));
        assert_eq!(Proof::parse(&line), Some(p.clone()));
        assert_eq!(Proof::parse(&format!("{line}\r")), Some(p.clone()));
        // Any order of fields.
        let words: Vec<&str> = line.split_whitespace().collect();
        let shuffled = format!(
            "proof 0001_a {} {} {} {} {}",
            words[6], words[5], words[4], words[3], words[2]
        );
        assert_eq!(Proof::parse(&shuffled), Some(p));
        assert_eq!(engine_family("mariadb-10.11.19"), "mariadb");
        assert_eq!(engine_family("postgresql"), "postgresql");
    }

    #[test]
    fn malformed_proof_lines_are_not_proofs() {
        let good = proof("0001_a", "x", "y", "mysql-8.0.36").render();
        let bad = [
            String::new(),
            "proof".into(),
            "proof 0001_a".into(),
            good.replace("proof ", "proofs "),
            good.replace(" engine=mysql-8.0.36", ""),
            good.replace("engine=mysql-8.0.36", "engine="),
            format!("{good} engine=mysql-8.0.37"),
            format!("{good} extra=1"),
            good.replace("up=sha256:", "up=md5:"),
            good.replace("down=sha256:", "down=sha256:0"),
            good.replace("s1=sha256:", "s1=sha256:zz")
                .replacen("sha256:zz", "sha256:", 0),
            format!("{} s1", good),
            good.replace("0001_a", "up=x"),
        ];
        for line in &bad {
            assert_eq!(Proof::parse(line), None, "{line}");
        }
        let short = good.replacen(&hex(&script_hash("x")), "ab", 1);
        assert_eq!(Proof::parse(&short), None);
    }

    #[test]
    fn script_hash_normalises_like_file_hash() {
        assert_eq!(
            script_hash("\u{feff}SELECT 1;\r\nSELECT 2;\r\n"),
            script_hash("SELECT 1;\nSELECT 2;\n")
        );
        assert_ne!(script_hash("SELECT 1;"), script_hash("SELECT 1;\n"));
        // The empty string's sha256, a known value.
        assert_eq!(
            hex(&script_hash("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn set_proof_replaces_within_a_family_and_keeps_the_rest() {
        let mut sum = SumFile {
            entries: vec![SumEntry {
                id: "0001_a".into(),
                hash: [7; 32],
            }],
            proofs: vec!["proof something bellows cannot read".into()],
        };
        sum.set_proof(proof("0001_a", "up", "down", "postgresql-15.19"));
        sum.set_proof(proof("0001_a", "up", "down", "mariadb-10.11.19"));
        sum.set_proof(proof("0002_b", "up", "down", "postgresql-15.19"));
        assert_eq!(sum.proofs.len(), 4);
        assert_eq!(sum.parsed_proofs().len(), 3);
        // A newer version of the same family replaces the proof in place.
        let newer = proof("0001_a", "up2", "down", "postgresql-16.4");
        sum.set_proof(newer.clone());
        assert_eq!(sum.proofs.len(), 4);
        assert_eq!(sum.parsed_proofs()[0], newer);
        assert_eq!(sum.proofs[0], "proof something bellows cannot read");
        // Duplicates of the same id and family collapse into the first.
        sum.proofs
            .push(proof("0001_a", "old", "old", "postgresql-14.1").render());
        let newest = proof("0001_a", "up3", "down", "postgresql-17.0");
        sum.set_proof(newest.clone());
        let parsed = sum.parsed_proofs();
        assert_eq!(
            parsed
                .iter()
                .filter(|p| p.id == "0001_a" && p.family() == "postgresql")
                .count(),
            1
        );
        assert_eq!(parsed[0], newest);
        // mysql and mariadb are different families.
        sum.set_proof(proof("0001_a", "up", "down", "mysql-8.0.36"));
        assert_eq!(sum.parsed_proofs().len(), 4);
        // The file keeps round-tripping.
        let again = SumFile::parse(&sum.render()).unwrap();
        assert_eq!(again, sum);
        assert_eq!(again.parsed_proofs(), sum.parsed_proofs());
    }

    #[test]
    fn proof_status_per_engine_family() {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in [
            ("0001_a/up.sql", "CREATE TABLE a (id int);\r\n"),
            ("0001_a/down.sql", "DROP TABLE a;\n"),
            ("0002_b/up.sql", "CREATE TABLE b (id int);\n"),
            ("0003_c/up.sql", "DROP TABLE b;\n"),
            ("0003_c/down.sql", "CREATE TABLE b (id int);\n"),
            ("0003_c/migration.toml", "irreversible = true\n"),
            ("0004_d/up.sql", "DROP TABLE a;\n"),
            ("0004_d/down.sql", "CREATE TABLE a (id int);\n"),
            ("0004_d/migration.toml", "phase = \"contract\"\n"),
            ("0005_e/up.sql", "CREATE VIEW e AS SELECT 1;\n"),
            ("0005_e/down.sql", "DROP VIEW e;\n"),
            (
                "0005_e/migration.toml",
                "[verify]\naccept = [\"view e: definition\"]\n",
            ),
        ] {
            std::fs::create_dir_all(dir.path().join(rel).parent().unwrap()).unwrap();
            write(dir.path(), rel, text);
        }
        let catalog = Catalog::load(dir.path()).unwrap();
        let [a, b, c, d, e] = &catalog.migrations[..] else {
            panic!("five migrations")
        };
        let pg = "postgresql-16.1";
        assert_eq!(proof_status(a, &[], pg).unwrap(), ProofStatus::Missing);
        assert_eq!(proof_status(b, &[], pg).unwrap(), ProofStatus::NoDown);
        assert_eq!(proof_status(c, &[], pg).unwrap(), ProofStatus::NoDown);
        // A contract's down script is proven like any other.
        assert_eq!(proof_status(d, &[], pg).unwrap(), ProofStatus::Missing);
        let contract = proof(
            "0004_d",
            "DROP TABLE a;\n",
            "CREATE TABLE a (id int);\n",
            pg,
        );
        assert_eq!(
            proof_status(d, &[contract], pg).unwrap(),
            ProofStatus::Proven
        );
        // The accept list is part of the proof: without it, or with another, it is stale.
        let bare = proof(
            "0005_e",
            "CREATE VIEW e AS SELECT 1;\n",
            "DROP VIEW e;\n",
            pg,
        );
        assert_eq!(
            proof_status(e, std::slice::from_ref(&bare), pg).unwrap(),
            ProofStatus::Stale
        );
        let accepted = Proof {
            accept: accept_hash(e.meta.accepts()),
            ..bare.clone()
        };
        assert!(accepted
            .render()
            .ends_with(&format!(" accept={}", hash_text(&accepted.accept.unwrap()))));
        assert_eq!(Proof::parse(&accepted.render()), Some(accepted.clone()));
        assert_eq!(
            proof_status(e, std::slice::from_ref(&accepted), pg).unwrap(),
            ProofStatus::Proven
        );
        let other = Proof {
            accept: accept_hash(&[crate::catalog::accept::Accept::parse("view e").unwrap()]),
            ..bare
        };
        assert_eq!(proof_status(e, &[other], pg).unwrap(), ProofStatus::Stale);

        // CRLF in the file, LF in the proof's hash: the same script.
        let on_15 = proof(
            "0001_a",
            "CREATE TABLE a (id int);\n",
            "DROP TABLE a;\n",
            "postgresql-15.19",
        );
        let proofs = vec![proof("0002_b", "x", "y", pg), on_15.clone()];
        assert_eq!(proof_status(a, &proofs, pg).unwrap(), ProofStatus::Proven);
        assert_eq!(
            proof_status(a, &proofs, "mariadb-10.11.19").unwrap(),
            ProofStatus::OtherEngine("postgresql-15.19".into())
        );
        let mut both = proofs.clone();
        both.push(Proof {
            engine: "postgresql-17.0".into(),
            ..on_15.clone()
        });
        assert_eq!(
            proof_status(a, &both, "mysql-8.0.36").unwrap(),
            ProofStatus::OtherEngine("postgresql-15.19, postgresql-17.0".into())
        );

        // The down script changed after the proof.
        write(dir.path(), "0001_a/down.sql", "DROP TABLE IF EXISTS a;\n");
        let catalog = Catalog::load(dir.path()).unwrap();
        let a = &catalog.migrations[0];
        assert_eq!(proof_status(a, &proofs, pg).unwrap(), ProofStatus::Stale);
        assert_eq!(
            proof_status(a, &proofs, "mysql-8.0.36").unwrap(),
            ProofStatus::Stale
        );
        // A stale proof in the family does not hide a current one.
        let mut mixed = proofs.clone();
        mixed.push(proof(
            "0001_a",
            "CREATE TABLE a (id int);\n",
            "DROP TABLE IF EXISTS a;\n",
            "postgresql-14.2",
        ));
        assert_eq!(proof_status(a, &mixed, pg).unwrap(), ProofStatus::Proven);
    }

    #[test]
    fn check_ignores_proofs() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0001_a.sql", "SELECT 1;\n");
        let catalog = Catalog::load(dir.path()).unwrap();
        let mut sum = compute(&catalog).unwrap();
        sum.set_proof(proof("0001_a", "x", "y", "postgresql-15.19"));
        sum.set_proof(proof("0009_gone", "x", "y", "postgresql-15.19"));
        sum.proofs.push("proof garbage".into());
        let sum = SumFile::parse(&sum.render()).unwrap();
        assert_eq!(sum.proofs.len(), 3);
        assert!(check(&catalog, &sum).unwrap().is_empty());
    }
}
