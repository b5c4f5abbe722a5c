//! What a path argument names: the migrations to read, in migration order.
//!
//! Owns the one enumeration `lint` shares with `catalog` and `migrate`: a directory is read
//! through the layout detector ([`Catalog::load`]), so the same files are migrations, in the
//! same order, with the same up sections and metadata; a file named on its own is one
//! migration ([`Migration::lone`]). Also the natural order of names (digit runs compare as
//! numbers, so `V2__` sorts before `V10__` and `0009_` before `0010_`).

use crate::catalog::layout::{Catalog, CatalogError, Migration, Skipped};
use crate::dialect::Dialect;
use std::cmp::Ordering;
use std::path::Path;

/// The migrations a path names, and the files beside them that are not migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub migrations: Vec<Migration>,
    /// Reported as notes.
    pub skipped: Vec<Skipped>,
}

/// The migrations at `path`: a directory's catalog (with Flyway's repeatable scripts last),
/// or the one file. A directory without any migration is an error that says what it holds
/// (an empty one says so). The dialect picks an engine's scripts where a directory holds one
/// script per engine (see [`Catalog::load_for`]).
pub fn migrations_at(path: &Path, dialect: Option<Dialect>) -> Result<Listing, CatalogError> {
    let meta = std::fs::metadata(path).map_err(|source| CatalogError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(Listing {
            migrations: vec![Migration::lone(path)?],
            skipped: Vec::new(),
        });
    }
    let catalog = Catalog::load_for(path, dialect)?;
    if catalog.migrations.is_empty() {
        return Err(CatalogError::NoMigrations {
            dir: path.to_path_buf(),
            seen: "the directory is empty".into(),
        });
    }
    // Flyway runs its repeatable scripts after the versioned ones.
    let mut migrations = catalog.migrations;
    for path in &catalog.repeatables {
        migrations.push(Migration::lone(path)?);
    }
    Ok(Listing {
        migrations,
        skipped: catalog.skipped,
    })
}

/// Compares strings with runs of digits compared as numbers.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let na = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let nb = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (da, db) = (&a[..na], &b[..nb]);
                let ta = trim_zeros(da);
                let tb = trim_zeros(db);
                let ord = ta
                    .len()
                    .cmp(&tb.len())
                    .then_with(|| ta.cmp(tb))
                    .then(na.cmp(&nb));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[na..];
                b = &b[nb..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return rank(*x).cmp(&rank(*y));
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

/// Separators sort before everything, so `V1__a` comes before `V1.1__a`.
fn rank(c: u8) -> u16 {
    match c {
        b'_' => 0,
        b'-' => 1,
        other => u16::from(other) + 2,
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let z = d.iter().take_while(|&&c| c == b'0').count();
    &d[z.min(d.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["V10__c.sql", "V2__b.sql", "V1.1__a.sql", "V1__a.sql"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            vec!["V1__a.sql", "V1.1__a.sql", "V2__b.sql", "V10__c.sql"]
        );
        assert_eq!(natural_cmp("0009_x", "0010_y"), Ordering::Less);
    }

    #[test]
    fn a_directory_is_its_catalog_and_a_file_is_one_migration() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("0010_c.sql", "SELECT 3;");
        write("0002_b.sql", "SELECT 2;");
        write("seed.sql", "SELECT 0;");
        let listing = migrations_at(dir.path(), None).unwrap();
        let ids: Vec<&str> = listing.migrations.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0002_b", "0010_c"]);
        assert!(listing.skipped[0].path.ends_with("seed.sql"));
        // Named on its own, seed.sql is linted.
        let one = migrations_at(&dir.path().join("seed.sql"), None).unwrap();
        assert_eq!(one.migrations[0].id, "seed");

        let empty = tempfile::tempdir().unwrap();
        let err = migrations_at(empty.path(), None).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
    }
}
