//! Compound statements written without a `DELIMITER` line — MySQL/MariaDB stored programs,
//! MariaDB's `BEGIN NOT ATOMIC`, PostgreSQL's `BEGIN ATOMIC` routines, goose
//! `StatementBegin` blocks — are one statement each for the linter and the runner.
//!
//! The lint tests need no server. The others drive the binary against the real servers:
//! `migrate verify --scratch-url` proves the migration, `migrate apply` runs it, and the
//! objects it made exist and work. Each test makes its own database and drops it.

mod common;

use common::db::{project_dir, Engine, Scratch};
use common::output::{ok, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/compound")
}

fn bellows(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bellows"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .env_remove("CI")
        .stdin(Stdio::null())
        .output()
        .expect("bellows runs")
}

/// `bellows lint --format json` on a fixture: the statements' (line, op) and the rules of
/// the diagnostics.
fn lint(file: &str, dialect: &str) -> (Vec<(u64, String)>, Vec<String>) {
    let o = bellows(
        &fixtures(),
        &["lint", "--dialect", dialect, "--format", "json", file],
    );
    let json: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let statements = json["files"][0]["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| {
            (
                s["line"].as_u64().expect("line"),
                s["op"].as_str().expect("op").to_owned(),
            )
        })
        .collect();
    let rules = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["rule"].as_str().unwrap_or_default().to_owned())
        .collect();
    (statements, rules)
}

#[test]
fn lint_reads_mysql_stored_programs_whole() {
    let (statements, rules) = lint("mysql/migrations/0001_counters/up.sql", "mysql");
    let lines: Vec<u64> = statements.iter().map(|(l, _)| *l).collect();
    // Two tables, then the procedure, function, trigger and event, one statement each.
    assert_eq!(lines, vec![3, 9, 15, 36, 56, 63], "{statements:?}");
    assert!(rules.is_empty(), "{rules:?}");
}

#[test]
fn lint_reads_begin_atomic_routines_whole() {
    let (statements, rules) = lint("postgres/migrations/0001_scores/up.sql", "postgres");
    let lines: Vec<u64> = statements.iter().map(|(l, _)| *l).collect();
    // The DO block at 26 names its language with a string; its COMMENT ON (29) is read too.
    assert_eq!(lines, vec![3, 8, 18, 26, 29], "{statements:?}");
    assert_eq!(statements[3].1, "procedural");
    assert!(rules.is_empty(), "{rules:?}");
}

#[test]
fn lint_reads_goose_statement_blocks_whole() {
    let (statements, rules) = lint("goose-mysql.sql", "mysql");
    let lines: Vec<u64> = statements.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![2, 5], "{statements:?}");
    assert!(rules.is_empty(), "{rules:?}");
}

#[test]
fn lint_tells_begin_not_atomic_from_a_transaction() {
    let (statements, rules) = lint("anonymous-mariadb.sql", "mysql");
    let ops: Vec<&str> = statements.iter().map(|(_, op)| op.as_str()).collect();
    // The block's own statements follow it, in the order they run.
    assert_eq!(
        ops,
        vec![
            "procedural",
            "select",
            "create-table",
            "begin",
            "insert",
            "commit"
        ]
    );
    assert_eq!(statements[0].0, 2);
    assert!(
        !rules
            .iter()
            .any(|r| r == "syntax-error" || r == "transaction-nesting"),
        "{rules:?}"
    );
}

#[test]
fn an_unclosed_block_is_an_error_where_it_opens() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("broken.sql"),
        "CREATE TABLE t (a INT);\n\
         CREATE PROCEDURE p()\n\
         BEGIN\n  \
           IF 1 THEN\n    \
             SELECT 1;\n  \
           END;\n\
         END;\n",
    )
    .expect("write");
    let o = bellows(
        dir.path(),
        &[
            "lint",
            "--dialect",
            "mysql",
            "--format",
            "json",
            "broken.sql",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let d = &json["diagnostics"][0];
    assert_eq!(d["rule"], "syntax-error", "{json}");
    assert_eq!(d["line"], 4, "{json}");
    let message = d["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("this IF … END IF block is never closed"),
        "{message}"
    );
}

/// A project on a fresh database whose migrations are a fixture catalog.
struct Project {
    dir: tempfile::TempDir,
    db: Scratch,
}

impl Project {
    fn new(engine: Engine, catalog: &str) -> Project {
        let dir = project_dir(engine, "");
        copy_dir(
            &fixtures().join(catalog).join("migrations"),
            &dir.path().join("migrations"),
        );
        Project {
            dir,
            db: Scratch::new(engine),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let url = self.db.url();
        let mut c = Command::new(env!("CARGO_BIN_EXE_bellows"));
        c.current_dir(self.dir.path())
            .args(args)
            .env("DATABASE_URL", &url)
            .env("NO_COLOR", "1")
            .env_remove("CI")
            .stdin(Stdio::null());
        c.output().expect("bellows runs")
    }

    /// Proves the rollbacks on a scratch database of the same server, then applies.
    fn verify_and_apply(&self) {
        let v = self.run(&["migrate", "verify", "--scratch-url", &self.db.url()]);
        ok(&v);
        let a = self.run(&["migrate", "apply"]);
        ok(&a);
        assert!(
            String::from_utf8_lossy(&a.stdout).contains("applied 1 step"),
            "{}",
            text(&a)
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("fixture dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn mariadb_stored_programs_without_delimiter_apply_and_verify() {
    let p = Project::new(Engine::Mariadb, "mysql");
    p.verify_and_apply();
    let db = &p.db;
    let count = |sql: &str| db.sql(&sql.replace("{db}", &db.name));
    assert_eq!(
        count("SELECT GROUP_CONCAT(ROUTINE_NAME ORDER BY ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{db}'"),
        "bump_counters,counter_label"
    );
    assert_eq!(
        count("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{db}'"),
        "counters_log"
    );
    assert_eq!(
        count("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{db}'"),
        "counters_cleanup"
    );
    // The procedure runs whole: its WHILE loop, the CASE expression and the trigger.
    db.sql("CALL bump_counters(3)");
    assert_eq!(db.sql("SELECT n, `end` FROM counters"), "3\t3");
    assert_eq!(
        db.sql("SELECT note FROM counter_log ORDER BY id"),
        "n=2;\nn=3;"
    );
    assert_eq!(
        db.sql("SELECT counter_label(2), counter_label(20), counter_label(NULL)"),
        "low **\thigh\tnone"
    );
}

#[test]
fn postgres_begin_atomic_routines_apply_and_verify() {
    let p = Project::new(Engine::Postgres, "postgres");
    p.verify_and_apply();
    let db = &p.db;
    assert_eq!(
        db.sql("SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc WHERE proname IN ('grade', 'add_score')"),
        "add_score,grade"
    );
    db.sql("CALL add_score(1, 41)");
    assert_eq!(
        db.sql("SELECT points, grade(points), grade(75), grade(95) FROM scores"),
        "42\tf; retry\tb\ta"
    );
    // The DO block ran whole.
    assert_eq!(
        db.sql("SELECT obj_description('scores'::regclass, 'pg_class')"),
        "graded; see grade()"
    );
}
