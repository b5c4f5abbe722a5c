//! Helpers shared by the fixture-driven tests.
#![allow(dead_code)]

pub mod db;
pub mod output;
pub mod private;

use bellows::dialect::Dialect;
use bellows::lint::{lint_inputs, FileOptions, FileResult};
use bellows::report::page::{fixture_file_options, fixture_settings};
use bellows::rules::Dialects;
use bellows::source::SourceFile;
use std::path::{Path, PathBuf};

pub fn fixture_dir(rule: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rules")
        .join(rule)
}

/// Lints `file` (after `setup`, if present) with only `rule` enabled.
pub fn lint_fixture(rule: &str, dialect: Dialect, file: &Path) -> FileResult {
    let dir = file.parent().expect("fixture files live in a rule folder");
    // `bad.mysql.sql` goes with `setup.mysql.sql`; a MySQL-only rule's `bad.sql` with `setup.sql`.
    let file_name = file.file_name().unwrap_or_default().to_string_lossy();
    let suffix = if file_name.ends_with(".mysql.sql") {
        ".mysql"
    } else {
        ""
    };
    let setup = dir.join(format!("setup{suffix}.sql"));
    let text = std::fs::read_to_string(file).expect("fixture is readable");
    let settings = fixture_settings(rule, dialect, &text)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut inputs = Vec::new();
    if setup.exists() {
        let setup = SourceFile::read(&setup).expect("setup is readable");
        inputs.push((setup, FileOptions::default()));
    }
    let name = format!(
        "fixtures/rules/{rule}/{}",
        file.file_name().unwrap().to_string_lossy()
    );
    let options = fixture_file_options(&text);
    inputs.push((SourceFile::new(name, text), options));
    lint_inputs(inputs, &settings)
        .pop()
        .expect("one result per source")
}

/// The fixture file names of one kind (`bad`, `good`) for a rule's dialects.
pub fn fixture_files(dialects: Dialects, kind: &str) -> Vec<(Dialect, String)> {
    let suffixes: &[(Dialect, &str)] = match dialects {
        Dialects::Postgres => &[(Dialect::Postgres, "")],
        Dialects::Mysql => &[(Dialect::Mysql, "")],
        Dialects::Both => &[(Dialect::Postgres, ""), (Dialect::Mysql, ".mysql")],
    };
    suffixes
        .iter()
        .map(|(d, s)| (*d, format!("{kind}{s}.sql")))
        .collect()
}

/// Fails the test if a snapshot of `tests/snapshots` named `<prefix><stem>.snap` has a stem
/// that `wanted` no longer accepts (its fixture or rule is gone).
pub fn assert_no_orphaned_snapshots(prefix: &str, wanted: impl Fn(&str) -> bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name
            .strip_prefix(prefix)
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            continue;
        };
        if !wanted(stem) {
            orphans.push(name);
        }
    }
    assert!(
        orphans.is_empty(),
        "orphaned snapshots (delete them): {orphans:?}"
    );
}
