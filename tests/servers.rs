//! The SQL bellows documents must be SQL the real servers accept: every rule's safe
//! example (`good.sql`, after its `setup.sql`) runs on PostgreSQL or MariaDB, and every
//! bundled example project applies in order and rolls back in reverse. Each check uses a
//! fresh scratch database that is dropped afterwards.
//!
//! Needs the `psql` and `mariadb` clients and both servers (scripts/test.sh starts them).

mod common;

use bellows::rules::{Dialects, RULES};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// A scratch database on one server, dropped when it goes out of scope.
struct Scratch {
    engine: Engine,
    name: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Engine {
    Postgres,
    Mariadb,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Scratch {
    fn new(engine: Engine) -> Scratch {
        let name = format!(
            "bellows_t{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let s = Scratch { engine, name };
        s.admin(&format!("CREATE DATABASE {}", s.name));
        s
    }

    fn admin(&self, sql: &str) {
        let out = match self.engine {
            Engine::Postgres => psql("postgres").args(["-c", sql]).output(),
            Engine::Mariadb => mariadb(None).args(["-e", sql]).output(),
        }
        .expect("the database client runs");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs a script; Err(server message) when the server rejects it.
    fn run(&self, file: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(file).expect("script is readable");
        let out = match self.engine {
            Engine::Postgres => psql(&self.name)
                .args([
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-v",
                    "batch_start=0",
                    "-v",
                    "batch_end=1000",
                    "-f",
                ])
                .arg(file)
                .output(),
            Engine::Mariadb => {
                let text = text
                    .replace(":batch_start", "0")
                    .replace(":batch_end", "1000");
                let mut child = mariadb(Some(&self.name))
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("mariadb client runs");
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("piped stdin")
                    .write_all(text.as_bytes())
                    .expect("write script");
                child.wait_with_output()
            }
        }
        .expect("the database client runs");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let sql = match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Engine::Mariadb => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        self.admin(&sql);
    }
}

fn psql(db: &str) -> Command {
    let mut c = Command::new("psql");
    c.args([
        "-X",
        "-q",
        "-h",
        &env_or("PGHOST", "127.0.0.1"),
        "-p",
        &env_or("PGPORT", "5432"),
        "-U",
        &env_or("PGUSER", "postgres"),
        "-d",
        db,
    ]);
    c
}

fn mariadb(db: Option<&str>) -> Command {
    let mut c = Command::new("mariadb");
    c.args([
        "-h",
        &env_or("MYSQL_HOST", "127.0.0.1"),
        "-P",
        &env_or("MYSQL_PORT", "3306"),
        "-u",
        "root",
    ]);
    if let Some(db) = db {
        c.arg(db);
    }
    c
}

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
