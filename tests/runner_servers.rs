//! `bellows migrate apply | rollback | status | resolve` end to end, as the binary, against the
//! real PostgreSQL and MariaDB. Each test makes its own database and drops it.
//!
//! Covered on both engines: applying twice is a no-op; an edited applied migration is
//! refused; two concurrent runs never interleave; `kill -9` during a non-transactional step
//! and during a backfill, then recovery with the data intact; a session holding a lock makes
//! apply retry, then fail cleanly without a lock queue; the coexistence gate blocks a
//! contract while a release reading the dropped column is live; passwords are never printed.

mod common;

use common::db::{Engine, Scratch};
use common::output::{flat_stderr, ok, text};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A project directory with bellows.toml and migrations.
struct Project {
    dir: tempfile::TempDir,
    db: Scratch,
}

fn dialect(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "postgres",
        Engine::Mariadb => "mysql",
    }
}

impl Project {
    fn new(engine: Engine, files: &[(&str, &str)], config: &str) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("bellows.toml"),
            format!("dialect = \"{}\"\n{config}\n", dialect(engine)),
        )
        .expect("write bellows.toml");
        for (path, text) in files {
            let p = dir.path().join("migrations").join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        Project {
            dir,
            db: Scratch::new(engine),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bellows"));
        c.current_dir(self.dir.path())
            .args(args)
            .env("DATABASE_URL", self.db.url())
            .env_remove("CI")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("bellows runs")
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bellows starts")
    }

    /// Rows of the history: migration, direction, success (`t`/`f`/`1`/`0`/empty).
    fn history(&self) -> Vec<(String, String, String)> {
        let text = self.db.sql(
            "SELECT migration, direction, COALESCE(CAST(success AS CHAR(5)), '') FROM bellows_history ORDER BY id",
        );
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut p = l.split('\t');
                let mut next = || p.next().unwrap_or_default().trim().to_owned();
                (next(), next(), next())
            })
            .collect()
    }
}

fn success_is_true(s: &str) -> bool {
    matches!(s, "t" | "true" | "1")
}

/// SQL that sleeps `secs` seconds.
fn sleep_sql(engine: Engine, secs: f64) -> String {
    match engine {
        Engine::Postgres => format!("SELECT pg_sleep({secs})"),
        Engine::Mariadb => format!("DO SLEEP({secs})"),
    }
}

fn basic(engine: Engine) -> Vec<(&'static str, String)> {
    vec![
        (
            "0001_create_items/up.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(100));\n".to_owned(),
        ),
        (
            "0001_create_items/down.sql",
            "DROP TABLE items;\n".to_owned(),
        ),
        (
            "0002_add_note/up.sql",
            "ALTER TABLE items ADD COLUMN note varchar(200);\n".to_owned(),
        ),
        (
            "0002_add_note/down.sql",
            "ALTER TABLE items DROP COLUMN note;\n".to_owned(),
        ),
        (
            "0003_seed/up.sql",
            format!(
                "INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b');\n{};\n",
                sleep_sql(engine, 0.0)
            ),
        ),
        (
            "0003_seed/down.sql",
            "DELETE FROM items WHERE id IN (1, 2);\n".to_owned(),
        ),
    ]
}

const RELAXED: &str = "[runner]\nrequire-proof = false\n";

fn files<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(p, t)| (*p, t.as_str())).collect()
}

fn applying_twice_is_a_no_op(engine: Engine) {
    let f = basic(engine);
    let p = Project::new(engine, &files(&f), RELAXED);
    let first = p.run(&["migrate", "apply"]);
    ok(&first);
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("applied 3 steps"),
        "{}",
        text(&first)
    );
    let second = p.run(&["migrate", "apply"]);
    ok(&second);
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("nothing to do"),
        "{}",
        text(&second)
    );
    let h = p.history();
    assert_eq!(h.len(), 3, "{h:?}");
    assert!(
        h.iter().all(|(_, d, s)| d == "up" && success_is_true(s)),
        "{h:?}"
    );
    assert_eq!(p.db.sql("SELECT count(*) FROM items"), "2");
    let status = p.run(&["migrate", "status"]);
    ok(&status);
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(
        out.contains("applied (3)") && out.contains("pending (0)"),
        "{out}"
    );
    // Migration ids of different lengths: the columns after them still line up.
    assert_columns_aligned(&out, "applied (3):");
    assert_columns_aligned(&out, "last runs:");
    assert_columns_aligned(&String::from_utf8_lossy(&first.stdout), "applied 3 steps");
}

/// The indented rows under `header` have their second column at one offset.
fn assert_columns_aligned(out: &str, header: &str) {
    let rows: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert!(rows.len() >= 2, "rows under {header:?}: {out}");
    let second_column = |row: &str| {
        let body = &row[2..];
        let gap = body.find("  ").expect("two spaces between columns");
        2 + gap
            + body[gap..]
                .find(|c: char| c != ' ')
                .expect("a second column")
    };
    let at: Vec<usize> = rows.iter().map(|r| second_column(r)).collect();
    assert!(at.windows(2).all(|w| w[0] == w[1]), "{at:?} in:\n{out}");
}

#[test]
fn postgres_applying_twice_is_a_no_op() {
    applying_twice_is_a_no_op(Engine::Postgres);
}

#[test]
fn mariadb_applying_twice_is_a_no_op() {
    applying_twice_is_a_no_op(Engine::Mariadb);
}

fn edited_migration_is_refused(engine: Engine) {
    let f = basic(engine);
    let p = Project::new(engine, &files(&f), RELAXED);
    ok(&p.run(&["migrate", "apply", "--to", "0002_add_note"]));
    std::fs::write(
        p.path("migrations/0002_add_note/up.sql"),
        "ALTER TABLE items ADD COLUMN note varchar(300);\n",
    )
    .unwrap();
    let o = p.run(&["migrate", "apply"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(
        err.contains("changed on disk") && err.contains("0002_add_note"),
        "{err}"
    );
    // Nothing ran: 0003 is still pending.
    assert_eq!(p.history().len(), 2);
    let status = p.run(&["migrate", "status"]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    assert!(String::from_utf8_lossy(&status.stdout).contains("edited since applied: 0002_add_note"));
}

#[test]
fn postgres_edited_migration_is_refused() {
    edited_migration_is_refused(Engine::Postgres);
}

#[test]
fn mariadb_edited_migration_is_refused() {
    edited_migration_is_refused(Engine::Mariadb);
}

fn concurrent_runs_never_interleave(engine: Engine) {
    let mut f = Vec::new();
    let mut owned: Vec<(String, String)> = Vec::new();
    for i in 1..=4 {
        owned.push((
            format!("{i:04}_step/up.sql"),
            format!(
                "CREATE TABLE t{i} (id int PRIMARY KEY);\n{};\n",
                sleep_sql(engine, 0.3)
            ),
        ));
        owned.push((
            format!("{i:04}_step/down.sql"),
            format!("DROP TABLE t{i};\n"),
        ));
    }
    for (p, t) in &owned {
        f.push((p.as_str(), t.as_str()));
    }
    let p = Project::new(engine, &f, RELAXED);
    let a = p.spawn(&["migrate", "apply"]);
    std::thread::sleep(Duration::from_millis(100));
    let b = p.spawn(&["migrate", "apply"]);
    let a = a.wait_with_output().unwrap();
    let b = b.wait_with_output().unwrap();
    ok(&a);
    ok(&b);
    let h = p.history();
    assert_eq!(h.len(), 4, "each migration once: {h:?}");
    let both = format!("{}{}", text(&a), text(&b));
    assert!(both.contains("waiting for the migration lock"), "{both}");
    assert!(both.contains("nothing to do"), "{both}");
}

#[test]
fn postgres_concurrent_runs_never_interleave() {
    concurrent_runs_never_interleave(Engine::Postgres);
}

#[test]
fn mariadb_concurrent_runs_never_interleave() {
    concurrent_runs_never_interleave(Engine::Mariadb);
}

/// Waits until `cond` holds (checked every 50 ms), at most `secs`.
fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn data_checksum(p: &Project) -> String {
    match p.db.engine {
        Engine::Postgres => p.db.sql(
            "SELECT count(*), md5(string_agg(id::text || ':' || name, ',' ORDER BY id)) FROM data",
        ),
        Engine::Mariadb => p.db.sql(
            "SELECT count(*), md5(group_concat(id, ':', name ORDER BY id SEPARATOR ',')) FROM data",
        ),
    }
}

fn seed_data(p: &Project, rows: u32) {
    p.db.sql(
        "CREATE TABLE data (id bigint PRIMARY KEY, name varchar(40) NOT NULL, copy varchar(40))",
    );
    match p.db.engine {
        Engine::Postgres => {
            p.db.sql(&format!(
                "INSERT INTO data (id, name) SELECT g, 'n' || g FROM generate_series(1, {rows}) g"
            ));
        }
        Engine::Mariadb => {
            p.db.sql(&format!(
                "INSERT INTO data (id, name) SELECT seq, CONCAT('n', seq) FROM seq_1_to_{rows}"
            ));
        }
    }
}

fn kill_during_non_transactional_step(engine: Engine) {
    // Sleeps only while the table `slow_marker` exists, so the second run is quick.
    let slow = match engine {
        Engine::Postgres => "SELECT pg_sleep(CASE WHEN to_regclass('slow_marker') IS NULL THEN 0 ELSE 20 END)".to_owned(),
        Engine::Mariadb => "DO SLEEP(IF((SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'slow_marker') > 0, 20, 0))".to_owned(),
    };
    let up = match engine {
        Engine::Postgres => format!(
            "CREATE INDEX CONCURRENTLY data_name_idx ON data (name);\n{slow};\nCREATE INDEX CONCURRENTLY data_copy_idx ON data (copy);\n"
        ),
        Engine::Mariadb => format!(
            "ALTER TABLE data ADD INDEX data_name_idx (name), ALGORITHM=INPLACE, LOCK=NONE;\n{slow};\nALTER TABLE data ADD INDEX data_copy_idx (copy), ALGORITHM=INPLACE, LOCK=NONE;\n"
        ),
    };
    let down = match engine {
        Engine::Postgres => "DROP INDEX CONCURRENTLY IF EXISTS data_copy_idx;\nDROP INDEX CONCURRENTLY IF EXISTS data_name_idx;\n".to_owned(),
        Engine::Mariadb => "DROP INDEX IF EXISTS data_copy_idx ON data;\nDROP INDEX IF EXISTS data_name_idx ON data;\n".to_owned(),
    };
    let p = Project::new(
        engine,
        &[
            ("0001_index_data/up.sql", &up),
            ("0001_index_data/down.sql", &down),
        ],
        "[runner]\nrequire-proof = false\nlock-timeout = \"5s\"\n",
    );
    seed_data(&p, 5000);
    p.db.sql("CREATE TABLE slow_marker (id int)");
    let before = data_checksum(&p);
    let mut child = p.spawn(&["migrate", "apply"]);
    // Kill it while it sleeps between the two statements: the first index exists.
    let started = wait_until(15, || {
        has_history(&p) && p.history().len() == 1 && index_exists(&p, "data_name_idx")
    });
    assert!(started, "the step did not start");
    child.kill().expect("kill -9");
    let _ = child.wait();
    // The server ends the dead session's statement (PostgreSQL checks the client every
    // second; MariaDB kills it below) and with it the session's advisory lock.
    if engine == Engine::Mariadb {
        kill_sleeping_sessions(&p);
    }
    let h = p.history();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].2, "", "the row is dirty: {h:?}");

    let o = p.run(&["migrate", "apply"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(err.contains("did not finish"), "{err}");
    assert!(
        err.contains("bellows migrate resolve 0001_index_data --run-down"),
        "{err}"
    );
    let status = p.run(&["migrate", "status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&status.stdout).contains("dirty (1)"));

    ok(&p.run(&["migrate", "resolve", "0001_index_data", "--run-down"]));
    p.db.sql("DROP TABLE slow_marker");
    assert!(!index_exists(&p, "data_name_idx"));
    let o = p.run(&["migrate", "apply", "--lock-timeout", "5s"]);
    ok(&o);
    assert!(index_exists(&p, "data_name_idx") && index_exists(&p, "data_copy_idx"));
    assert_eq!(data_checksum(&p), before, "the data is unchanged");
}

fn has_history(p: &Project) -> bool {
    has_table(p, "bellows_history")
}

fn has_table(p: &Project, name: &str) -> bool {
    let sql = match p.db.engine {
        Engine::Postgres => format!("SELECT count(*) FROM pg_tables WHERE tablename = '{name}'"),
        Engine::Mariadb => format!("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{name}'"),
    };
    p.db.sql(&sql) == "1"
}

fn index_exists(p: &Project, name: &str) -> bool {
    let sql = match p.db.engine {
        Engine::Postgres => format!("SELECT count(*) FROM pg_indexes WHERE indexname = '{name}'"),
        Engine::Mariadb => format!(
            "SELECT count(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = '{name}'"
        ),
    };
    p.db.sql(&sql) == "1"
}

/// MariaDB keeps running a dead client's statement: end the sessions of this database that
/// still run one, as an operator would.
fn kill_sleeping_sessions(p: &Project) {
    let ids = p.db.sql(&format!(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '{}' AND ID <> CONNECTION_ID() AND COMMAND = 'Query'",
        p.db.name
    ));
    for id in ids.lines().filter(|l| !l.is_empty()) {
        let _ = std::panic::catch_unwind(|| p.db.sql(&format!("KILL {id}")));
    }
}

#[test]
fn postgres_kill_during_non_transactional_step() {
    kill_during_non_transactional_step(Engine::Postgres);
}

#[test]
fn mariadb_kill_during_non_transactional_step() {
    kill_during_non_transactional_step(Engine::Mariadb);
}

fn kill_during_backfill(engine: Engine) {
    let p = Project::new(
        engine,
        &[
            (
                "0001_fill/up.sql",
                "UPDATE data SET copy = name WHERE id >= :batch_start AND id < :batch_end AND copy IS NULL;\n",
            ),
            ("0001_fill/down.sql", "UPDATE data SET copy = NULL;\n"),
            (
                "0001_fill/verify.sql",
                "SELECT count(*) FROM data WHERE copy IS NULL;\n",
            ),
            (
                "0001_fill/migration.toml",
                "phase = \"backfill\"\n[backfill]\ntable = \"data\"\nkey = \"id\"\nbatch_size = 500\npause_ms = 40\n",
            ),
        ],
        RELAXED,
    );
    seed_data(&p, 20_000);
    let before = data_checksum(&p);
    let mut child = p.spawn(&["migrate", "apply"]);
    let progressed = wait_until(20, || {
        has_history(&p)
            && p.db
                .sql("SELECT count(*) FROM data WHERE copy IS NOT NULL")
                .parse::<u64>()
                .unwrap_or(0)
                >= 3000
    });
    assert!(progressed, "the backfill did not progress");
    child.kill().expect("kill -9");
    let _ = child.wait();
    let done: u64 =
        p.db.sql("SELECT count(*) FROM data WHERE copy IS NOT NULL")
            .parse()
            .unwrap();
    assert!(done < 20_000, "killed before the end ({done})");
    let last_key: u64 =
        p.db.sql("SELECT backfill_last_key FROM bellows_history")
            .parse()
            .expect("the last committed key is recorded");
    // Committed batches and the recorded key agree: every row below it is done.
    assert_eq!(
        p.db.sql(&format!(
            "SELECT count(*) FROM data WHERE id < {last_key} AND copy IS NULL"
        )),
        "0"
    );

    let o = p.run(&["migrate", "apply"]);
    ok(&o);
    let err = flat_stderr(&o);
    assert!(
        err.contains(&format!("resuming at {last_key}")),
        "{}",
        text(&o)
    );
    assert!(err.contains("verify.sql: 0 rows left"), "{}", text(&o));
    assert_eq!(
        p.db.sql("SELECT count(*) FROM data WHERE copy IS NULL"),
        "0"
    );
    assert_eq!(
        p.db.sql("SELECT count(*) FROM data WHERE copy <> name"),
        "0"
    );
    assert_eq!(data_checksum(&p), before, "ids and names unchanged");
    let h = p.history();
    assert_eq!(
        h.len(),
        1,
        "the resumed backfill finished its own row: {h:?}"
    );
    assert!(success_is_true(&h[0].2));
}

#[test]
fn postgres_kill_during_backfill() {
    kill_during_backfill(Engine::Postgres);
}

#[test]
fn mariadb_kill_during_backfill() {
    kill_during_backfill(Engine::Mariadb);
}

/// An adaptive backfill times commits beside its batches: on PostgreSQL without a table,
/// on MariaDB through `bellows_heartbeat`, which drift leaves out.
fn adaptive_backfill_times_commits(engine: Engine) {
    let p = Project::new(
        engine,
        &[
            (
                "0001_data/up.sql",
                "CREATE TABLE data (id bigint PRIMARY KEY, name varchar(40) NOT NULL, copy varchar(40));\n",
            ),
            ("0001_data/down.sql", "DROP TABLE data;\n"),
            (
                "0002_fill/up.sql",
                "UPDATE data SET copy = name WHERE id >= :batch_start AND id < :batch_end AND copy IS NULL;\n",
            ),
            ("0002_fill/down.sql", "UPDATE data SET copy = NULL;\n"),
            (
                "0002_fill/migration.toml",
                "phase = \"backfill\"\n[backfill]\ntable = \"data\"\nkey = \"id\"\n",
            ),
        ],
        RELAXED,
    );
    ok(&p.run(&["migrate", "apply", "--to", "0001_data"]));
    let fill = match engine {
        Engine::Postgres => {
            "INSERT INTO data (id, name) SELECT g, 'n' || g FROM generate_series(1, 5000) g"
        }
        Engine::Mariadb => {
            "INSERT INTO data (id, name) SELECT seq, CONCAT('n', seq) FROM seq_1_to_5000"
        }
    };
    p.db.sql(fill);
    if engine == Engine::Postgres {
        // Whatever the server says, autovacuum skips this table: the backfill says so.
        p.db.sql("ALTER TABLE data SET (autovacuum_enabled = false)");
    }
    let o = p.run(&["migrate", "apply"]);
    ok(&o);
    let err = flat_stderr(&o);
    assert_eq!(
        err.contains("autovacuum is off")
            && err.contains("5000 rows the backfill updated stay in data")
            && err.contains("`VACUUM (ANALYZE) \"data\"`"),
        engine == Engine::Postgres,
        "{}",
        text(&o)
    );
    assert!(err.contains("adaptive pacing"), "{}", text(&o));
    assert!(err.contains("commits slow above"), "{}", text(&o));
    assert!(!err.contains("cannot time commits"), "{}", text(&o));
    assert_eq!(
        p.db.sql("SELECT count(*) FROM data WHERE copy IS NULL"),
        "0"
    );
    match engine {
        Engine::Postgres => assert!(!has_table(&p, "bellows_heartbeat")),
        Engine::Mariadb => assert_eq!(p.db.sql("SELECT count(*) FROM bellows_heartbeat"), "1"),
    }
    let status = p.run(&["migrate", "status"]);
    ok(&status);
    assert!(text(&status).contains("drift: none"), "{}", text(&status));
}

#[test]
fn postgres_adaptive_backfill_times_commits() {
    adaptive_backfill_times_commits(Engine::Postgres);
}

#[test]
fn mariadb_adaptive_backfill_times_commits() {
    adaptive_backfill_times_commits(Engine::Mariadb);
}

/// Holds a lock on `items` from a client session until killed.
fn hold_lock(p: &Project) -> Child {
    let (mut cmd, sql) = match p.db.engine {
        Engine::Postgres => (
            common::db::psql(&p.db.name),
            "BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30);".to_owned(),
        ),
        Engine::Mariadb => (
            common::db::mariadb(Some(&p.db.name)),
            "LOCK TABLES items WRITE; DO SLEEP(30);".to_owned(),
        ),
    };
    let flag = if p.db.engine == Engine::Postgres {
        "-c"
    } else {
        "-e"
    };
    cmd.args([flag, &sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("client starts")
}

fn waiting_sessions(p: &Project) -> String {
    match p.db.engine {
        Engine::Postgres => p.db.sql(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock'",
            p.db.name
        )),
        Engine::Mariadb => p.db.sql(&format!(
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = '{}' AND STATE LIKE 'Waiting for%lock%'",
            p.db.name
        )),
    }
}

fn held_lock_retries_then_fails_cleanly(engine: Engine) {
    let f = basic(engine);
    let p = Project::new(engine, &files(&f), RELAXED);
    ok(&p.run(&["migrate", "apply", "--to", "0001_create_items"]));
    let mut holder = hold_lock(&p);
    assert!(
        wait_until(10, || {
            match engine {
            Engine::Postgres => p.db.sql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'items' AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1",
            Engine::Mariadb => p.db.sql(&format!("SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = '{}' AND INFO LIKE 'DO SLEEP%'", p.db.name)) == "1",
        }
        }),
        "the lock is held"
    );
    let started = Instant::now();
    let o = p.run(&[
        "migrate",
        "apply",
        "--lock-timeout",
        "1s",
        "--lock-retries",
        "2",
    ]);
    let took = started.elapsed();
    // While the holder still holds its lock, nothing of bellows waits behind it.
    let waiting = waiting_sessions(&p);
    let _ = holder.kill();
    let _ = holder.wait();
    // The server still runs the dead client's sleep (and holds its lock): end it.
    match engine {
        Engine::Postgres => {
            p.db.sql(&format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
                p.db.name
            ));
        }
        Engine::Mariadb => kill_sleeping_sessions(&p),
    }
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(
        err.contains("retry 1/2") && err.contains("retry 2/2"),
        "{err}"
    );
    assert!(err.contains("applied 0/2 steps; 0002_add_note"), "{err}");
    assert!(err.contains("unchanged"), "{err}");
    assert!(took < Duration::from_secs(25), "gave up in time: {took:?}");
    assert_eq!(waiting, "0", "no lock queue is left behind");
    let h = p.history();
    assert_eq!(h.len(), 2, "{h:?}");
    assert!(
        !success_is_true(&h[1].2),
        "the failed attempt is recorded: {h:?}"
    );
    // Once the lock is gone, the same command goes through.
    ok(&p.run(&["migrate", "apply"]));
}

#[test]
fn postgres_held_lock_retries_then_fails_cleanly() {
    held_lock_retries_then_fails_cleanly(Engine::Postgres);
}

#[test]
fn mariadb_held_lock_retries_then_fails_cleanly() {
    held_lock_retries_then_fails_cleanly(Engine::Mariadb);
}

fn coexistence_gate(engine: Engine) {
    let p = Project::new(
        engine,
        &[
            (
                "0001_users/up.sql",
                "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100), display_name varchar(100));\n",
            ),
            ("0001_users/down.sql", "DROP TABLE users;\n"),
            ("0002_drop_name/up.sql", "ALTER TABLE users DROP COLUMN name;\n"),
            ("0002_drop_name/migration.toml", "phase = \"contract\"\n"),
            ("../app/1.0/users.sql", "SELECT id, name FROM users WHERE id = 1;\n"),
            ("../app/2.0/users.sql", "SELECT id, display_name FROM users WHERE id = 1;\n"),
        ],
        "[runner]\nrequire-proof = false\n\n[[release]]\nversion = \"1.0\"\nrequires = \"0001_users\"\nqueries = \"app/1.0\"\n\n[[release]]\nversion = \"2.0\"\nrequires = \"0001_users\"\nqueries = \"app/2.0\"\n",
    );
    let o = p.run(&["migrate", "apply", "--deployed", "1.0,2.0"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("blocked before 0002_drop_name"), "{out}");
    assert!(
        out.contains("retire release 1.0, which uses users.name"),
        "{out}"
    );
    assert_eq!(p.history().len(), 1);
    // Release 1.0 retired: the contract goes through.
    let o = p.run(&["migrate", "apply", "--deployed", "2.0"]);
    ok(&o);
    assert_eq!(p.history().len(), 2);
}

#[test]
fn postgres_coexistence_gate_blocks_then_lets_through() {
    coexistence_gate(Engine::Postgres);
}

#[test]
fn mariadb_coexistence_gate_blocks_then_lets_through() {
    coexistence_gate(Engine::Mariadb);
}

fn passwords_never_printed(engine: Engine) {
    let f = vec![
        (
            "0001_create_items/up.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY);\n".to_owned(),
        ),
        (
            "0001_create_items/down.sql",
            "DROP TABLE items;\n".to_owned(),
        ),
        (
            "0002_broken/up.sql",
            "CREATE TABLE broken (id bigint REFERENCES nowhere (id));\n".to_owned(),
        ),
        ("0002_broken/down.sql", "DROP TABLE broken;\n".to_owned()),
    ];
    let p = Project::new(engine, &files(&f), "");
    let secret = "Sup3r-S3cret-pw";
    // PostgreSQL here trusts any password; MariaDB gets a user with this one.
    let user = match engine {
        Engine::Postgres => common::db::env_or("PGUSER", "postgres"),
        Engine::Mariadb => {
            let user = format!("u_{}", p.db.name);
            p.db.admin(&format!(
                "CREATE USER '{user}'@'%' IDENTIFIED BY '{secret}'; GRANT ALL ON {}.* TO '{user}'@'%'",
                p.db.name
            ));
            user
        }
    };
    let with_pw = p.db.url().replacen(
        &format!("://{}@", url_user(engine)),
        &format!("://{user}:{secret}@"),
        1,
    );
    assert!(with_pw.contains(secret), "{with_pw}");
    let closed = with_pw.replace(&port(engine), ":1");
    let closed_tls = format!("{closed}?sslmode=require");
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "migrate",
            "apply",
            "--allow-unproven",
            "--database-url",
            &with_pw,
        ],
        vec!["migrate", "apply", "--database-url", &with_pw],
        vec![
            "migrate",
            "apply",
            "--allow-unproven",
            "--format",
            "json",
            "--database-url",
            &with_pw,
        ],
        vec!["migrate", "status", "--database-url", &with_pw],
        vec![
            "migrate",
            "status",
            "--format",
            "json",
            "--database-url",
            &with_pw,
        ],
        vec!["migrate", "plan", "--database-url", &with_pw],
        vec![
            "migrate",
            "plan",
            "--format",
            "json",
            "--database-url",
            &with_pw,
        ],
        vec!["migrate", "apply", "--dry-run", "--database-url", &with_pw],
        vec!["migrate", "status", "--database-url", &closed],
        vec!["migrate", "apply", "--database-url", &closed_tls],
        vec!["migrate", "verify", "--scratch-url", &closed],
    ];
    let mut saw_redacted = false;
    for args in &runs {
        let o = p.run(args);
        let all = text(&o);
        assert!(
            !all.contains(secret),
            "{args:?} printed the password:\n{all}"
        );
        saw_redacted |= all.contains(":***@");
    }
    assert!(saw_redacted, "the URL is shown, redacted");
    // The failed step's error went to the history table without the password, too.
    let errors = p.db.sql("SELECT COALESCE(error, '') FROM bellows_history");
    assert!(!errors.contains(secret));
    if engine == Engine::Mariadb {
        p.db.admin(&format!("DROP USER '{user}'@'%'"));
    }
}

fn url_user(engine: Engine) -> String {
    match engine {
        Engine::Postgres => common::db::env_or("PGUSER", "postgres"),
        Engine::Mariadb => "root".to_owned(),
    }
}

fn port(engine: Engine) -> String {
    match engine {
        Engine::Postgres => format!(":{}", common::db::env_or("PGPORT", "5432")),
        Engine::Mariadb => format!(":{}", common::db::env_or("MYSQL_PORT", "3306")),
    }
}

#[test]
fn postgres_passwords_never_printed() {
    passwords_never_printed(Engine::Postgres);
}

#[test]
fn mariadb_passwords_never_printed() {
    passwords_never_printed(Engine::Mariadb);
}

fn rollbacks_must_be_proven(engine: Engine) {
    let f = basic(engine);
    let p = Project::new(engine, &files(&f), "");
    let o = p.run(&["migrate", "apply"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("blocked before 0001_create_items"), "{out}");
    assert!(out.contains("rollback not proven"), "{out}");
    assert!(p.history().is_empty());

    // Prove them on a scratch database of the same server, then apply.
    let v = p.run(&["migrate", "verify", "--scratch-url", &p.db.url()]);
    ok(&v);
    let sum = std::fs::read_to_string(p.path("bellows.sum")).expect("bellows.sum written");
    assert_eq!(
        sum.lines().filter(|l| l.starts_with("proof ")).count(),
        3,
        "{sum}"
    );
    ok(&p.run(&["migrate", "apply"]));
    assert_eq!(p.history().len(), 3);
    // A proven down script runs.
    let o = p.run(&["migrate", "rollback", "--steps", "2"]);
    ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("rolled back 2 steps"),
        "{}",
        text(&o)
    );
    let status = p.run(&["migrate", "status", "--format", "json"]);
    ok(&status);
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(json["applied"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["pending"].as_array().map(Vec::len), Some(2));
    // Editing a down script makes its proof stale.
    std::fs::write(p.path("migrations/0002_add_note/down.sql"), "SELECT 1;\n").unwrap();
    let o = p.run(&["migrate", "apply"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("proof is stale"),
        "{}",
        text(&o)
    );
}

#[test]
fn postgres_rollbacks_must_be_proven() {
    rollbacks_must_be_proven(Engine::Postgres);
}

#[test]
fn mariadb_rollbacks_must_be_proven() {
    rollbacks_must_be_proven(Engine::Mariadb);
}

fn dry_run_prints_sql_and_changes_nothing(engine: Engine) {
    let f = basic(engine);
    let p = Project::new(engine, &files(&f), RELAXED);
    let o = p.run(&["migrate", "apply", "--dry-run"]);
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    let create = out
        .find("CREATE TABLE items")
        .expect("the first migration's SQL");
    let alter = out
        .find("ALTER TABLE items ADD COLUMN note")
        .expect("the second's");
    let insert = out.find("INSERT INTO items").expect("the third's");
    assert!(create < alter && alter < insert, "{out}");
    assert!(!has_history(&p), "a dry run writes no history");
    assert!(!has_table(&p, "items"), "a dry run creates nothing");
}

#[test]
fn postgres_dry_run_prints_sql_and_changes_nothing() {
    dry_run_prints_sql_and_changes_nothing(Engine::Postgres);
}

#[test]
fn mariadb_dry_run_prints_sql_and_changes_nothing() {
    dry_run_prints_sql_and_changes_nothing(Engine::Mariadb);
}

#[test]
fn postgres_live_releases_come_from_sessions() {
    let p = Project::new(
        Engine::Postgres,
        &[
            ("0001_users/up.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text, display_name text);\n"),
            ("0001_users/down.sql", "DROP TABLE users;\n"),
            ("0002_drop_name/up.sql", "ALTER TABLE users DROP COLUMN name;\n"),
            ("0002_drop_name/migration.toml", "phase = \"contract\"\n"),
            ("../app/1.0/users.sql", "SELECT id, name FROM users WHERE id = 1;\n"),
        ],
        "[runner]\nrequire-proof = false\n\n[[release]]\nversion = \"1.0\"\nrequires = \"0001_users\"\nqueries = \"app/1.0\"\n",
    );
    ok(&p.run(&["migrate", "apply", "--to", "0001_users"]));
    // An application session of release 1.0, as the convention says: name@version.
    let mut app = common::db::psql(&p.db.name)
        .env("PGAPPNAME", "shop@1.0")
        .args(["-c", "SELECT pg_sleep(30)"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("psql starts");
    assert!(wait_until(10, || {
        p.db.sql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND application_name = 'shop@1.0'",
        p.db.name
    )) == "1"
    }));
    let o = p.run(&["migrate", "apply", "--live-from-db"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        flat_stderr(&o).contains("live releases from the database's sessions: 1.0"),
        "{}",
        text(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("retire release 1.0"),
        "{}",
        text(&o)
    );
    let _ = app.kill();
    let _ = app.wait();
    p.db.sql(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{}' AND application_name = 'shop@1.0'",
        p.db.name
    ));
    assert!(wait_until(10, || {
        p.db.sql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND application_name = 'shop@1.0'",
        p.db.name
    )) == "0"
    }));
    let o = p.run(&["migrate", "apply", "--live-from-db"]);
    ok(&o);
    assert_eq!(p.history().len(), 2);
}

#[test]
fn mariadb_live_from_db_needs_performance_schema() {
    let f = basic(Engine::Mariadb);
    let p = Project::new(Engine::Mariadb, &files(&f), RELAXED);
    let on = p.db.sql("SELECT @@GLOBAL.performance_schema") == "1";
    let o = p.run(&["migrate", "apply", "--live-from-db"]);
    if on {
        ok(&o);
    } else {
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = flat_stderr(&o);
        assert!(
            err.contains("performance_schema") && err.contains("--deployed"),
            "{err}"
        );
        assert!(!has_history(&p) || p.history().is_empty());
    }
}

fn history_names_are_quoted(engine: Engine) {
    let f = basic(engine);
    let (table, schema_config) = match engine {
        Engine::Postgres => (
            "my \"odd\" history; DROP TABLE items",
            "history-schema = \"ops \\\"team\\\" x\"\n",
        ),
        Engine::Mariadb => ("my `odd` history; DROP TABLE items", ""),
    };
    let config = format!(
        "[runner]\nrequire-proof = false\nhistory-table = {}\n{schema_config}",
        toml_string(table)
    );
    let p = Project::new(engine, &files(&f), &config);
    ok(&p.run(&["migrate", "apply"]));
    ok(&p.run(&["migrate", "apply"]));
    let count = match engine {
        Engine::Postgres => p.db.sql("SELECT count(*) FROM \"ops \"\"team\"\" x\".\"my \"\"odd\"\" history; DROP TABLE items\""),
        Engine::Mariadb => p.db.sql("SELECT count(*) FROM `my ``odd`` history; DROP TABLE items`"),
    };
    assert_eq!(count, "3");
    assert!(has_table(&p, "items"), "the name was not run as SQL");
    let status = p.run(&["migrate", "status"]);
    ok(&status);
    assert!(String::from_utf8_lossy(&status.stdout).contains("applied (3)"));
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn postgres_history_names_are_quoted() {
    history_names_are_quoted(Engine::Postgres);
}

#[test]
fn mariadb_history_names_are_quoted() {
    history_names_are_quoted(Engine::Mariadb);
}

/// A role that may only do what the migrations need (and own what it creates) runs apply,
/// status and rollback.
fn least_privilege_is_enough(engine: Engine) {
    let f = basic(engine);
    let p = Project::new(engine, &files(&f), RELAXED);
    let role = format!("lp_{}", p.db.name);
    let url = match engine {
        Engine::Postgres => {
            p.db.admin(&format!("CREATE ROLE {role} LOGIN"));
            p.db.admin(&format!("REVOKE ALL ON DATABASE {} FROM PUBLIC", p.db.name));
            p.db.admin(&format!(
                "GRANT CONNECT ON DATABASE {} TO {role}",
                p.db.name
            ));
            p.db.sql("REVOKE ALL ON SCHEMA public FROM PUBLIC");
            p.db.sql(&format!("GRANT USAGE, CREATE ON SCHEMA public TO {role}"));
            p.db.url().replacen(
                &format!("://{}@", url_user(engine)),
                &format!("://{role}@"),
                1,
            )
        }
        Engine::Mariadb => {
            p.db.admin(&format!(
                "CREATE USER '{role}'@'%'; GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX, REFERENCES ON {}.* TO '{role}'@'%'",
                p.db.name
            ));
            p.db.url().replacen("://root@", &format!("://{role}@"), 1)
        }
    };
    assert!(url.contains(&role));
    ok(&p.run(&["migrate", "apply", "--database-url", &url]));
    ok(&p.run(&["migrate", "status", "--database-url", &url]));
    ok(&p.run(&[
        "migrate",
        "rollback",
        "--steps",
        "3",
        "--database-url",
        &url,
    ]));
    assert_eq!(
        p.history().iter().filter(|(_, d, _)| d == "down").count(),
        3
    );
    match engine {
        Engine::Postgres => {
            // Dropped with the database; the role is cluster-wide.
            p.db.sql(&format!("DROP OWNED BY {role}"));
            drop(p);
            common::db::psql("postgres")
                .args(["-c", &format!("DROP ROLE IF EXISTS {role}")])
                .output()
                .expect("psql runs");
        }
        Engine::Mariadb => p.db.admin(&format!("DROP USER '{role}'@'%'")),
    }
}

#[test]
fn postgres_least_privilege_is_enough() {
    least_privilege_is_enough(Engine::Postgres);
}

#[test]
fn mariadb_least_privilege_is_enough() {
    least_privilege_is_enough(Engine::Mariadb);
}

/// The disk copy of a migration changes between the plan and its step: the step is refused,
/// nothing of it runs, and the next run applies the new content.
fn file_changed_during_the_run(engine: Engine) {
    let slow = format!("{};\n", sleep_sql(engine, 3.0));
    let p = Project::new(
        engine,
        &[
            ("0001_slow/up.sql", &slow),
            ("0001_slow/down.sql", "SELECT 1;\n"),
            (
                "0002_items/up.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY);\n",
            ),
            ("0002_items/down.sql", "DROP TABLE items;\n"),
        ],
        RELAXED,
    );
    let child = p.spawn(&["migrate", "apply"]);
    let sleeping = match engine {
        Engine::Postgres => format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query LIKE 'SELECT pg_sleep%'",
            p.db.name
        ),
        Engine::Mariadb => format!(
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = '{}' AND INFO LIKE 'DO SLEEP%'",
            p.db.name
        ),
    };
    assert!(
        wait_until(15, || p.db.sql(&sleeping) == "1"),
        "0001 started"
    );
    std::fs::write(
        p.path("migrations/0002_items/up.sql"),
        "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(10));\n",
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(err.contains("applied 1/2 steps"), "{err}");
    assert!(
        err.contains("0002_items's files changed on disk while bellows was running"),
        "{err}"
    );
    assert!(!has_table(&p, "items"), "nothing of 0002 ran");
    let h = p.history();
    assert_eq!(h.len(), 1, "{h:?}");
    assert!(success_is_true(&h[0].2));
    ok(&p.run(&["migrate", "apply"]));
    let column = match engine {
        Engine::Postgres => "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'name'",
        Engine::Mariadb => "SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' AND COLUMN_NAME = 'name'",
    };
    assert_eq!(p.db.sql(column), "1", "the new content ran");
}

#[test]
fn postgres_file_changed_during_the_run() {
    file_changed_during_the_run(Engine::Postgres);
}

#[test]
fn mariadb_file_changed_during_the_run() {
    file_changed_during_the_run(Engine::Mariadb);
}
