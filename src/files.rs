//! Finding the migration files under a path, in migration order.
//!
//! Owns which files of a directory are forward migrations (up scripts) and their order:
//! names compare with digit runs as numbers, so `V2__` sorts before `V10__` and
//! `0009_` before `0010_`. Down, undo and verify scripts are not linted.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// Is this file a forward migration script?
pub fn is_up_script(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    if !lower.ends_with(".sql") {
        return false;
    }
    let is_down = lower == "down.sql"
        || lower == "verify.sql"
        || lower == "revert.sql"
        || lower.ends_with(".down.sql")
        || lower.ends_with("_down.sql")
        || (lower.starts_with('u')
            && lower.contains("__")
            && lower[1..2].chars().all(|c| c.is_ascii_digit()));
    !is_down
}

/// Every up script under `dir`, recursively, in migration order.
pub fn migration_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&path, out)?;
        } else if is_up_script(&path) {
            out.push(path);
        }
    }
    Ok(())
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

/// dbmate keeps both directions in one file (`-- migrate:up` / `-- migrate:down`). Returns
/// the text with the down section blanked out (newlines kept, so positions do not move),
/// or `None` when the file has no down section.
pub fn mask_dbmate_down(text: &str) -> Option<String> {
    let mut offset = 0;
    let mut down_at = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with("-- migrate:down") {
            down_at = Some(offset);
        } else if t.starts_with("-- migrate:up") && down_at.is_some() {
            // An up section after a down section: keep the simple case only.
            return None;
        }
        offset += line.len();
    }
    let at = down_at?;
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..at]);
    out.extend(
        text[at..]
            .chars()
            .map(|c| if c == '\n' || c == '\r' { c } else { ' ' }),
    );
    Some(out)
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
    fn dbmate_down_is_blanked() {
        let text = "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n";
        let masked = mask_dbmate_down(text).unwrap();
        assert_eq!(masked.len(), text.len());
        assert!(masked.contains("CREATE TABLE") && !masked.contains("DROP"));
        assert!(mask_dbmate_down("SELECT 1;").is_none());
    }

    #[test]
    fn up_scripts_only() {
        assert!(is_up_script(Path::new("m/0001_x/up.sql")));
        assert!(is_up_script(Path::new("0001_x.up.sql")));
        assert!(is_up_script(Path::new("V1__init.sql")));
        assert!(!is_up_script(Path::new("0001_x/down.sql")));
        assert!(!is_up_script(Path::new("0001_x.down.sql")));
        assert!(!is_up_script(Path::new("U1__init.sql")));
        assert!(!is_up_script(Path::new("README.md")));
    }
}
