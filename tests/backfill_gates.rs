//! A backfill's health gate (`[backfill] health` / `health-max` / `health-timeout`) as the
//! binary runs it against the real PostgreSQL and MariaDB: it waits while the health query
//! is above its threshold, goes on when it falls, and after the timeout stops cleanly,
//! saying why in the history, and resumes on the next apply. Each test makes its own
//! database and drops it.

mod common;

use common::db::{project_dir, Engine, Scratch};
use common::output::{flat_stderr, ok, text};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Project {
    dir: tempfile::TempDir,
    db: Scratch,
}

impl Project {
    /// `data (id, name, copy)` with `rows` rows, `flag (v)` holding 1, and a backfill of
    /// `copy` in batches of 1,000 whose health query reads `flag` once 3,000 rows are done.
    fn new(engine: Engine, rows: u32, timeout: &str) -> Project {
        let dir = project_dir(engine, "[runner]\nrequire-proof = false\n");
        let m = dir.path().join("migrations/0001_fill");
        std::fs::create_dir_all(&m).expect("mkdir");
        std::fs::write(
            m.join("up.sql"),
            "UPDATE data SET copy = name WHERE id >= :batch_start AND id < :batch_end AND copy IS NULL;\n",
        )
        .expect("write");
        std::fs::write(m.join("down.sql"), "UPDATE data SET copy = NULL;\n").expect("write");
        std::fs::write(
            m.join("migration.toml"),
            format!(
                "phase = \"backfill\"\n[backfill]\ntable = \"data\"\nkey = \"id\"\nbatch_size = 1000\n\
                 health = \"SELECT CASE WHEN (SELECT count(*) FROM data WHERE copy IS NOT NULL) >= 3000 THEN (SELECT v FROM flag) ELSE 0 END\"\n\
                 health-max = 0\nhealth-timeout = \"{timeout}\"\n"
            ),
        )
        .expect("write");
        let db = Scratch::new(engine);
        db.sql("CREATE TABLE data (id bigint PRIMARY KEY, name varchar(40) NOT NULL, copy varchar(40))");
        db.sql("CREATE TABLE flag (v int NOT NULL)");
        db.sql("INSERT INTO flag VALUES (1)");
        match engine {
            Engine::Postgres => db.sql(&format!(
                "INSERT INTO data (id, name) SELECT g, 'n' || g FROM generate_series(1, {rows}) g"
            )),
            Engine::Mariadb => db.sql(&format!(
                "INSERT INTO data (id, name) SELECT seq, CONCAT('n', seq) FROM seq_1_to_{rows}"
            )),
        };
        Project { dir, db }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bellows"));
        c.current_dir(self.dir.path())
            .args(["migrate", "apply"])
            .env("DATABASE_URL", self.db.url())
            .env_remove("CI")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn apply(&self) -> Output {
        self.command().output().expect("bellows runs")
    }

    fn done(&self) -> u64 {
        self.db
            .sql("SELECT count(*) FROM data WHERE copy IS NOT NULL")
            .parse()
            .expect("a count")
    }
}

fn health_gate_waits_then_goes_on(engine: Engine) {
    let p = Project::new(engine, 6_000, "60s");
    let child = p.command().spawn().expect("bellows starts");
    // It stops at 3,000 rows and stays there while the health query says 1.
    let end = Instant::now() + Duration::from_secs(30);
    while p.done() < 3_000 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(p.done(), 3_000, "held at the gate");
    p.db.sql("UPDATE flag SET v = 0");
    let o = child.wait_with_output().expect("bellows ends");
    ok(&o);
    let err = flat_stderr(&o);
    assert!(
        err.contains("0001_fill: waiting at key 3001: health `SELECT CASE WHEN")
            && err.contains("is 1 > 0 (stops after 1 min, resumable)"),
        "{}",
        text(&o)
    );
    assert!(
        err.contains("0001_fill: going on after waiting"),
        "{}",
        text(&o)
    );
    assert_eq!(p.done(), 6_000);
}

#[test]
fn postgres_health_gate_waits_then_goes_on() {
    health_gate_waits_then_goes_on(Engine::Postgres);
}

#[test]
fn mariadb_health_gate_waits_then_goes_on() {
    health_gate_waits_then_goes_on(Engine::Mariadb);
}

fn health_gate_timeout_stops_cleanly_and_resumes(engine: Engine) {
    let p = Project::new(engine, 6_000, "1s");
    let o = p.apply();
    assert!(!o.status.success(), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(
        err.contains(
            "backfill 0001_fill paused at key 3001 after 3000 rows: health `SELECT CASE WHEN"
        ) && err.contains("is 1 > 0 for 1 s; every batch before it is committed and recorded"),
        "{}",
        text(&o)
    );
    assert!(err.contains("resumes from that key"), "{}", text(&o));
    assert_eq!(p.done(), 3_000);
    // The history says why, and the row stays open (success NULL) to be resumed.
    let row = p.db.sql(
        "SELECT backfill_last_key, COALESCE(CAST(success AS CHAR(5)), 'null'), error FROM bellows_history",
    );
    let cells: Vec<&str> = row.split('\t').collect();
    assert_eq!(cells[0], "3001", "{row}");
    assert_eq!(cells[1], "null", "{row}");
    assert!(
        cells[2].starts_with("paused at key 3001: health `SELECT CASE WHEN"),
        "{row}"
    );

    p.db.sql("UPDATE flag SET v = 0");
    let o = p.apply();
    ok(&o);
    assert!(flat_stderr(&o).contains("resuming at 3001"), "{}", text(&o));
    assert_eq!(p.done(), 6_000);
    let row = p.db.sql(
        "SELECT COALESCE(CAST(success AS CHAR(5)), 'null'), COALESCE(error, '') FROM bellows_history",
    );
    assert!(
        row.starts_with('t') || row.starts_with('1'),
        "finished: {row}"
    );
    assert!(row.split('\t').nth(1).unwrap_or("").is_empty(), "{row}");
}

#[test]
fn postgres_health_gate_timeout_stops_cleanly_and_resumes() {
    health_gate_timeout_stops_cleanly_and_resumes(Engine::Postgres);
}

#[test]
fn mariadb_health_gate_timeout_stops_cleanly_and_resumes() {
    health_gate_timeout_stops_cleanly_and_resumes(Engine::Mariadb);
}
