//! The project as every command opens it (`src/project.rs`): `catalog check` reports every
//! problem it finds in one run, and the commands that need a valid graph refuse a cycle.

mod common;

use common::output::text;
use std::path::Path;
use std::process::{Command, Output};

fn bellows(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .expect("bellows runs")
}

fn migration(root: &Path, id: &str, up: &str, requires: &[&str]) {
    let dir = root.join("migrations").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("up.sql"), up).unwrap();
    let requires: Vec<String> = requires.iter().map(|r| format!("\"{r}\"")).collect();
    std::fs::write(
        dir.join("migration.toml"),
        format!("phase = \"expand\"\nrequires = [{}]\n", requires.join(", ")),
    )
    .unwrap();
}

/// Two migrations that require each other.
fn cyclic_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    migration(
        tmp.path(),
        "0001_a",
        "CREATE TABLE a (id bigint PRIMARY KEY);\n",
        &["0002_b"],
    );
    migration(
        tmp.path(),
        "0002_b",
        "CREATE TABLE b (id bigint PRIMARY KEY);\n",
        &["0001_a"],
    );
    tmp
}

#[test]
fn catalog_check_reports_a_cycle_and_a_missing_sum_together() {
    let tmp = cyclic_project();
    let o = bellows(tmp.path(), &["catalog", "check"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(out.contains("migrations: 2 migrations"), "{}", text(&o));
    assert!(
        out.contains("error: no ") && out.contains("bellows.sum yet"),
        "the missing sum is reported: {}",
        text(&o)
    );
    assert!(
        out.contains("error: dependency cycle: "),
        "the cycle is reported: {}",
        text(&o)
    );
    assert!(
        out.contains("`0001_a` requires `0002_b`") && out.contains("`0002_b` requires `0001_a`"),
        "the cycle's help names its edges: {}",
        text(&o)
    );
    // Each problem once, each with its own help.
    assert_eq!(out.matches("error: ").count(), 2, "{}", text(&o));
    assert!(
        out.contains("help: run `bellows catalog sum`"),
        "{}",
        text(&o)
    );
}

#[test]
fn catalog_check_reports_a_cycle_and_a_stale_sum_together() {
    let tmp = cyclic_project();
    let sum = bellows(tmp.path(), &["catalog", "sum"]);
    assert_eq!(sum.status.code(), Some(0), "{}", text(&sum));
    std::fs::write(
        tmp.path().join("migrations/0002_b/up.sql"),
        "CREATE TABLE b (id bigint PRIMARY KEY, name text);\n",
    )
    .unwrap();
    let o = bellows(tmp.path(), &["catalog", "check"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(out.contains("0002_b"), "{}", text(&o));
    assert!(
        out.contains("restore an edited or removed migration"),
        "the stale sum is reported: {}",
        text(&o)
    );
    assert!(
        out.contains("error: dependency cycle: "),
        "the cycle is reported: {}",
        text(&o)
    );

    // Put back, only the cycle is left, still a failure.
    std::fs::write(
        tmp.path().join("migrations/0002_b/up.sql"),
        "CREATE TABLE b (id bigint PRIMARY KEY);\n",
    )
    .unwrap();
    let o = bellows(tmp.path(), &["catalog", "check"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(out.contains("every migration matches"), "{}", text(&o));
    assert_eq!(out.matches("error: ").count(), 1, "{}", text(&o));
}

#[test]
fn a_command_that_needs_the_graph_refuses_a_cycle_with_its_path() {
    let tmp = cyclic_project();
    let o = bellows(tmp.path(), &["migrate", "plan"]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    let err = common::output::flat_stderr(&o);
    assert!(err.contains("dependency cycle"), "{}", text(&o));
}

#[test]
fn a_clean_project_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    migration(
        tmp.path(),
        "0001_a",
        "CREATE TABLE a (id bigint PRIMARY KEY);\n",
        &[],
    );
    migration(
        tmp.path(),
        "0002_b",
        "CREATE TABLE b (id bigint PRIMARY KEY);\n",
        &["0001_a"],
    );
    let sum = bellows(tmp.path(), &["catalog", "sum"]);
    assert_eq!(sum.status.code(), Some(0), "{}", text(&sum));
    let o = bellows(tmp.path(), &["catalog", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("error"));
}
