//! Every rule's fixtures: `bad.sql` must trigger the rule, `good.sql` (the documented safe
//! rewrite) must not. Each is linted with only that rule enabled.
//!
//! Layout: `fixtures/rules/<rule>/{bad,good}.sql` in the rule's first dialect (PostgreSQL
//! unless the rule is MySQL-only), plus `{bad,good}.mysql.sql` for rules covering both.
//! An optional `setup.sql` / `setup.mysql.sql` is replayed first as an earlier migration,
//! so a fixture can act on an existing table. A first line
//! `-- fixture: engine-version=10 assume-in-transaction runner-lock-timeout also=RULE,…` sets
//! options (`also` enables more rules, such as the one a suppression names). Regression
//! fixtures, named after the history or report that found the bug, sit beside them as
//! `<name>.bad.sql` / `<name>.good.sql`.

mod common;

use bellows::dialect::Dialect;
use bellows::lint::FileResult;
use bellows::report::{render_finding, TextOptions};
use bellows::rules::{Dialects, RULES};
use common::{fixture_dir, fixture_files, lint_fixture};
use std::path::{Path, PathBuf};

#[test]
fn every_rule_has_fixtures_that_behave() {
    let mut problems = Vec::new();
    for rule in RULES {
        let meta = rule.meta();
        for kind in ["bad", "good"] {
            for (dialect, name) in fixture_files(meta.dialects, kind) {
                let file = fixture_dir(meta.name).join(name);
                if !file.exists() {
                    problems.push(format!("{}: missing {}", meta.name, file.display()));
                    continue;
                }
                check_fixture(meta.name, dialect, &file, kind, &mut problems);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "rule fixtures:\n  {}",
        problems.join("\n  ")
    );
}

/// Regression fixtures beside `bad.sql` and `good.sql`, named after what found them:
/// `<name>.bad.sql` must trigger the rule, `<name>.good.sql` must not (`.mysql.sql` for the
/// MySQL variant of a rule covering both dialects). They share the folder's `setup.sql`.
/// Each bad one's diagnostics are held as a snapshot, for review when a message changes.
#[test]
fn regression_fixtures_behave() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for rule in RULES {
        let meta = rule.meta();
        let dir = fixture_dir(meta.name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            let (stem, mysql) = match name.strip_suffix(".mysql.sql") {
                Some(stem) => (stem, true),
                None => match name.strip_suffix(".sql") {
                    Some(stem) => (stem, false),
                    None => continue,
                },
            };
            let Some((regression, kind)) = stem.rsplit_once('.') else {
                continue;
            };
            if !matches!(kind, "bad" | "good") {
                problems.push(format!(
                    "{}: {name} is neither `<name>.bad.sql` nor `<name>.good.sql`",
                    meta.name
                ));
                continue;
            }
            let dialect = match (meta.dialects, mysql) {
                (Dialects::Mysql, _) | (Dialects::Both, true) => Dialect::Mysql,
                (Dialects::Postgres, false) | (Dialects::Both, false) => Dialect::Postgres,
                (Dialects::Postgres, true) => {
                    problems.push(format!(
                        "{}: {name}: the rule is PostgreSQL-only",
                        meta.name
                    ));
                    continue;
                }
            };
            seen += 1;
            let result = check_fixture(meta.name, dialect, &file, kind, &mut problems);
            if kind == "bad" {
                let rendered: Vec<String> = result
                    .findings
                    .iter()
                    .map(|f| {
                        render_finding(
                            &result.source,
                            f,
                            TextOptions {
                                color: false,
                                width: 100,
                            },
                        )
                    })
                    .collect();
                let suffix = if mysql { "_mysql" } else { "" };
                insta::assert_snapshot!(
                    format!("{}__{regression}{suffix}", meta.name),
                    rendered.join("\n")
                );
            }
        }
    }
    assert!(seen > 0, "no regression fixtures found");
    assert!(
        problems.is_empty(),
        "regression fixtures:\n  {}",
        problems.join("\n  ")
    );
}

/// Lints one fixture with only its rule enabled and records what is wrong with the result.
fn check_fixture(
    rule: &str,
    dialect: Dialect,
    file: &Path,
    kind: &str,
    problems: &mut Vec<String>,
) -> FileResult {
    let result = lint_fixture(rule, dialect, file);
    let hits = result.findings.iter().filter(|f| f.rule == rule).count();
    let others: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule != rule)
        .map(|f| format!("{} ({})", f.rule, f.message))
        .collect();
    if kind == "bad" && hits == 0 {
        problems.push(format!("{rule}: {} does not trigger it", file.display()));
    }
    if kind == "good" && hits > 0 {
        problems.push(format!(
            "{rule}: {} triggers it: {:?}",
            file.display(),
            result
                .findings
                .iter()
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        ));
    }
    if !others.is_empty() {
        problems.push(format!(
            "{rule}: {} has other findings: {others:?}",
            file.display()
        ));
    }
    result
}

#[test]
fn every_rule_documents_itself() {
    let mut problems = Vec::new();
    for rule in RULES {
        let meta = rule.meta();
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Safe alternative",
            "## Dialects",
        ] {
            if !meta.docs.contains(section) {
                problems.push(format!("{}: docs lack `{section}`", meta.name));
            }
        }
        if meta.docs.contains("TODO") {
            problems.push(format!("{}: docs still say TODO", meta.name));
        }
        let kebab = meta
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-');
        if !kebab {
            problems.push(format!("{}: name is not kebab-case", meta.name));
        }
    }
    assert!(
        problems.is_empty(),
        "rule docs:\n  {}",
        problems.join("\n  ")
    );
}

/// A regression snapshot whose fixture is gone fails the run.
#[test]
fn no_orphaned_regression_snapshots() {
    common::assert_no_orphaned_snapshots("rule_fixtures__", |stem| {
        let (rule, regression) = stem.split_once("__").unwrap_or((stem, ""));
        let file = match regression.strip_suffix("_mysql") {
            Some(base) => format!("{base}.bad.mysql.sql"),
            None => format!("{regression}.bad.sql"),
        };
        fixture_dir(rule).join(file).exists()
    });
}
