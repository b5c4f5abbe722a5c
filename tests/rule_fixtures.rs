//! Every rule's fixtures: `bad.sql` must trigger the rule, `good.sql` (the documented safe
//! rewrite) must not. Each is linted with only that rule enabled.
//!
//! Layout: `fixtures/rules/<rule>/{bad,good}.sql` in the rule's first dialect (PostgreSQL
//! unless the rule is MySQL-only), plus `{bad,good}.mysql.sql` for rules covering both.
//! An optional `setup.sql` / `setup.mysql.sql` is replayed first as an earlier migration,
//! so a fixture can act on an existing table. A first line
//! `-- fixture: engine-version=10 assume-in-transaction runner-lock-timeout also=RULE,…` sets
//! options (`also` enables more rules, such as the one a suppression names).

mod common;

use bellows::rules::RULES;
use common::{fixture_dir, fixture_files, lint_fixture};

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
                let result = lint_fixture(meta.name, dialect, &file);
                let hits = result
                    .findings
                    .iter()
                    .filter(|f| f.rule == meta.name)
                    .count();
                let others: Vec<_> = result
                    .findings
                    .iter()
                    .filter(|f| f.rule != meta.name)
                    .map(|f| format!("{} ({})", f.rule, f.message))
                    .collect();
                if kind == "bad" && hits == 0 {
                    problems.push(format!(
                        "{}: {} does not trigger it",
                        meta.name,
                        file.display()
                    ));
                }
                if kind == "good" && hits > 0 {
                    problems.push(format!(
                        "{}: {} triggers it: {:?}",
                        meta.name,
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
                        "{}: {} has other findings: {others:?}",
                        meta.name,
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "rule fixtures:\n  {}",
        problems.join("\n  ")
    );
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
