//! The diagnostics of every rule's bad fixture, exactly as `bellows lint` prints them
//! (no colour), held as insta snapshots. A snapshot whose rule is gone fails the run.

mod common;

use bellows::report::{render_finding, TextOptions};
use bellows::rules::RULES;

#[test]
fn rendered_diagnostics() {
    for rule in RULES {
        let name = rule.meta().name;
        for (dialect, file) in common::fixture_files(rule.meta().dialects, "bad") {
            let path = common::fixture_dir(name).join(&file);
            if !path.exists() {
                continue;
            }
            let result = common::lint_fixture(name, dialect, &path);
            let rendered: String = result
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
                .collect::<Vec<_>>()
                .join("\n");
            let snap = format!(
                "{name}__{}",
                file.trim_end_matches(".sql").replace('.', "_")
            );
            insta::assert_snapshot!(snap, rendered);
        }
    }
}

#[test]
fn no_orphaned_snapshots() {
    common::assert_no_orphaned_snapshots("snapshots__", |stem| {
        let rule = stem.split("__").next().unwrap_or("");
        RULES.iter().any(|r| r.meta().name == rule)
            && common::fixture_dir(rule)
                .join(format!(
                    "{}.sql",
                    stem.split("__").nth(1).unwrap_or("").replace('_', ".")
                ))
                .exists()
    });
}
