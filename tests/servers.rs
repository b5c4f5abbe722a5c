//! The SQL bellows documents must be SQL the real servers accept: every rule's safe
//! example (`good.sql`, after its `setup.sql`) runs on PostgreSQL or MariaDB, and every
//! bundled example project applies in order and rolls back in reverse. Each check uses a
//! fresh scratch database that is dropped afterwards.
//!
//! Needs the `psql` and `mariadb` clients and both servers (scripts/test.sh starts them).

mod common;

use bellows::rules::{Dialects, RULES};
use common::db::{Engine, Scratch};
use std::path::{Path, PathBuf};

#[test]
fn safe_examples_of_every_rule_run_on_the_servers() {
    let mut failures = Vec::new();
    for rule in RULES {
        let meta = rule.meta();
        let dir = common::fixture_dir(meta.name);
        let runs: &[(Engine, &str)] = match meta.dialects {
            Dialects::Postgres => &[(Engine::Postgres, "")],
            Dialects::Mysql => &[(Engine::Mariadb, "")],
            Dialects::Both => &[(Engine::Postgres, ""), (Engine::Mariadb, ".mysql")],
        };
        for (engine, suffix) in runs {
            let good = dir.join(format!("good{suffix}.sql"));
            if !good.exists() {
                continue;
            }
            let scratch = Scratch::new(*engine);
            let setup = dir.join(format!("setup{suffix}.sql"));
            if setup.exists() {
                if let Err(e) = scratch.run(&setup) {
                    failures.push(format!(
                        "{}: {engine:?} rejects {}: {e}",
                        meta.name,
                        setup.display()
                    ));
                    continue;
                }
            }
            if let Err(e) = scratch.run(&good) {
                failures.push(format!(
                    "{}: {engine:?} rejects {}: {e}",
                    meta.name,
                    good.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn example_migrations(project: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(project)
        .join("migrations");
    let mut ids: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("example exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    ids.sort();
    ids
}

#[test]
fn example_projects_apply_and_roll_back() {
    for (project, engine) in [
        ("postgres-safe", Engine::Postgres),
        ("mysql-safe", Engine::Mariadb),
        ("mysql-unsafe", Engine::Mariadb),
    ] {
        let scratch = Scratch::new(engine);
        let ids = example_migrations(project);
        assert!(!ids.is_empty());
        for id in &ids {
            scratch
                .run(&id.join("up.sql"))
                .unwrap_or_else(|e| panic!("{project}: {} up: {e}", id.display()));
        }
        for id in ids.iter().rev() {
            let down = id.join("down.sql");
            if down.exists() {
                scratch
                    .run(&down)
                    .unwrap_or_else(|e| panic!("{project}: {} down: {e}", id.display()));
            }
        }
    }
}

#[test]
fn the_unsafe_postgres_example_fails_where_the_linter_says() {
    // 0009 runs CREATE INDEX CONCURRENTLY inside BEGIN … COMMIT: concurrent-in-transaction
    // says the server refuses it, and it does.
    let scratch = Scratch::new(Engine::Postgres);
    let ids = example_migrations("postgres-unsafe");
    let (last, rest) = ids.split_last().expect("migrations");
    for id in rest {
        scratch
            .run(&id.join("up.sql"))
            .unwrap_or_else(|e| panic!("{}: {e}", id.display()));
    }
    let err = scratch
        .run(&last.join("up.sql"))
        .expect_err("the server refuses it");
    assert!(
        err.contains("cannot run inside a transaction block"),
        "{err}"
    );
}

#[test]
fn mariadb_refuses_what_algorithm_instant_unsupported_reports() {
    let dir = common::fixture_dir("algorithm-instant-unsupported");
    let scratch = Scratch::new(Engine::Mariadb);
    scratch.run(&dir.join("setup.sql")).expect("setup applies");
    let err = scratch
        .run(&dir.join("bad.sql"))
        .expect_err("an index cannot be built instantly");
    assert!(err.contains("ALGORITHM=INSTANT is not supported"), "{err}");
}
