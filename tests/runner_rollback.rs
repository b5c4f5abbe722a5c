//! The runner's connection and rollback paths end to end, as the binary, against the real
//! PostgreSQL and MariaDB: the connect timeout, `migrate plan` reading DATABASE_URL, drift
//! stopping `apply`, `--force` never skipping rollback proofs, and the rollback of batched
//! backfills. Each test makes its own database and drops it.

mod common;

use common::db::{Engine, Scratch};
use common::output::{flat_stderr, ok, text};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn dialect(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "postgres",
        Engine::Mariadb => "mysql",
    }
}

/// A project directory (bellows.toml and migrations/) and its scratch database.
struct Project {
    dir: tempfile::TempDir,
    db: Scratch,
}

impl Project {
    fn new(engine: Engine, files: &[(&str, &str)], config: &str) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        let toml = format!("dialect = \"{}\"\n{config}\n", dialect(engine));
        std::fs::write(dir.path().join("bellows.toml"), toml).expect("write bellows.toml");
        std::fs::create_dir_all(dir.path().join("migrations")).expect("mkdir");
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

    /// Runs bellows in the project with `DATABASE_URL` set to its database.
    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, Some(&self.db.url()))
    }

    fn run_env(&self, args: &[&str], database_url: Option<&str>) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bellows"));
        c.current_dir(self.dir.path())
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("CI")
            .stdin(Stdio::null());
        if let Some(u) = database_url {
            c.env("DATABASE_URL", u);
        }
        c.output().expect("bellows runs")
    }
}

const RELAXED: &str = "[runner]\nrequire-proof = false\n";

// ---------------------------------------------------------------------------------------
// Connect timeout

/// A server that accepts connections and never says a word; returns its port.
fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    port
}

fn silent_server_times_out(engine: Engine, scheme: &str) {
    let p = Project::new(engine, &[], "");
    let port = silent_server();
    let url = format!("{scheme}://someone:hunter22@127.0.0.1:{port}/db?connect_timeout=1");
    let started = Instant::now();
    let o = p.run_env(&["migrate", "status", "--database-url", &url], None);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let err = flat_stderr(&o);
    assert!(err.contains("timed out after 1 s"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!text(&o).contains("hunter22"), "{}", text(&o));

    // Without a URL parameter, `[runner] connect-timeout` sets it.
    std::fs::write(
        p.path("bellows.toml"),
        format!(
            "dialect = \"{}\"\n[runner]\nconnect-timeout = \"1s\"\n",
            dialect(engine)
        ),
    )
    .expect("write bellows.toml");
    let url = format!("{scheme}://someone@127.0.0.1:{port}/db");
    let started = Instant::now();
    let o = p.run_env(&["migrate", "status", "--database-url", &url], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(started.elapsed() < Duration::from_secs(4), "{}", text(&o));
    assert!(
        flat_stderr(&o).contains("timed out after 1 s"),
        "{}",
        text(&o)
    );
}

#[test]
fn postgres_silent_server_times_out() {
    silent_server_times_out(Engine::Postgres, "postgres");
}

#[test]
fn mariadb_silent_server_times_out() {
    silent_server_times_out(Engine::Mariadb, "mysql");
}

// ---------------------------------------------------------------------------------------
// plan reads DATABASE_URL; drift stops apply and fails status

fn two_steps() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "0001_create_items/up.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(100));\n",
        ),
        ("0001_create_items/down.sql", "DROP TABLE items;\n"),
        (
            "0002_add_note/up.sql",
            "ALTER TABLE items ADD COLUMN note varchar(200);\n",
        ),
        (
            "0002_add_note/down.sql",
            "ALTER TABLE items DROP COLUMN note;\n",
        ),
    ]
}

#[test]
fn plan_reads_database_url_from_the_environment() {
    let p = Project::new(Engine::Postgres, &two_steps(), RELAXED);
    ok(&p.run(&["migrate", "apply", "--to", "0001_create_items"]));
    let o = p.run(&["migrate", "plan"]);
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("0001_create_items"), "{}", text(&o));
    assert!(out.contains("0002_add_note"), "{}", text(&o));
    assert!(out.contains("drift: none"), "{}", text(&o));
    // `--applied` still plans from the catalog alone.
    let o = p.run(&["migrate", "plan", "--applied", "0002_add_note"]);
    ok(&o);
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("drift"),
        "{}",
        text(&o)
    );
}

#[test]
fn drift_stops_apply_and_fails_status() {
    let p = Project::new(Engine::Postgres, &two_steps(), RELAXED);
    ok(&p.run(&["migrate", "apply", "--to", "0001_create_items"]));
    ok(&p.run(&["migrate", "status"]));
    p.db.sql("ALTER TABLE items ADD COLUMN nick text");

    let o = p.run(&["migrate", "status"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("+column items.nick"),
        "{}",
        text(&o)
    );
    let o = p.run(&["migrate", "status", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(json["drift"]["diff"].is_string(), "{json}");

    let o = p.run(&["migrate", "apply"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(err.contains("nothing was applied"), "{err}");
    assert!(err.contains("+column items.nick"), "{err}");
    assert!(err.contains("--allow-drift"), "{err}");
    assert_eq!(
        p.db.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"),
        "0"
    );

    ok(&p.run(&["migrate", "apply", "--allow-drift"]));
    assert_eq!(
        p.db.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"),
        "1"
    );
}

// ---------------------------------------------------------------------------------------
// --force overrides the contract and irreversible gates, never the proofs

#[test]
fn force_never_skips_rollback_proofs() {
    let p = Project::new(
        Engine::Postgres,
        &[
            (
                "0001_create_items/up.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY, note text);\n",
            ),
            ("0001_create_items/down.sql", "DROP TABLE items;\n"),
            (
                "0002_drop_note/up.sql",
                "ALTER TABLE items DROP COLUMN note;\n",
            ),
            (
                "0002_drop_note/down.sql",
                "ALTER TABLE items ADD COLUMN note text;\n",
            ),
            ("0002_drop_note/migration.toml", "phase = \"contract\"\n"),
        ],
        "",
    );
    ok(&p.run(&["migrate", "apply", "--allow-unproven"]));
    let o = p.run(&["migrate", "rollback", "--force"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("rollback not proven"), "{}", text(&o));
    assert!(
        !out.contains("is a contract"),
        "--force lifts the contract gate: {out}"
    );
    assert_eq!(
        p.db.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"),
        "0",
        "nothing was rolled back"
    );
    let o = p.run(&["migrate", "rollback", "--force", "--dry-run"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("ADD COLUMN note"),
        "{}",
        text(&o)
    );

    ok(&p.run(&["migrate", "rollback", "--force", "--allow-unproven"]));
    assert_eq!(
        p.db.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"),
        "1"
    );
}

// ---------------------------------------------------------------------------------------
// Rolling back a batched backfill

fn batched_backfill_rolls_back(engine: Engine) {
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
            (
                "0002_fill/down.sql",
                "UPDATE data SET copy = NULL WHERE id >= :batch_start AND id < :batch_end;\n",
            ),
            (
                "0002_fill/migration.toml",
                "phase = \"backfill\"\n[backfill]\ntable = \"data\"\nkey = \"id\"\nbatch_size = 500\n",
            ),
        ],
        RELAXED,
    );
    ok(&p.run(&["migrate", "apply", "--to", "0001_data"]));
    let seed = match engine {
        Engine::Postgres => {
            "INSERT INTO data (id, name) SELECT g * 2, 'n' || g FROM generate_series(1, 1200) g"
        }
        Engine::Mariadb => {
            "INSERT INTO data (id, name) SELECT seq * 2, CONCAT('n', seq) FROM seq_1_to_1200"
        }
    };
    p.db.sql(seed);
    ok(&p.run(&["migrate", "apply"]));
    let filled = "SELECT count(*) FROM data WHERE copy IS NOT NULL";
    assert_eq!(p.db.sql(filled), "1200");

    // The dry run prints every batch with its real bounds (keys 2, 4, … 2400).
    let o = p.run(&["migrate", "rollback", "--dry-run"]);
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains(":batch_"), "{}", text(&o));
    assert!(out.contains("id >= 2 AND id < 1002;"), "{}", text(&o));
    assert!(out.contains("id >= 2002 AND id < 2401;"), "{}", text(&o));
    assert_eq!(
        out.matches("BEGIN; UPDATE data SET copy = NULL").count(),
        3,
        "{out}"
    );
    assert_eq!(p.db.sql(filled), "1200", "a dry run changes nothing");

    let o = p.run(&["migrate", "rollback"]);
    ok(&o);
    assert_eq!(p.db.sql(filled), "0", "{}", text(&o));
    assert_eq!(p.db.sql("SELECT count(*) FROM data"), "1200");
    let rows = p.db.sql(
        "SELECT direction, COALESCE(CAST(success AS CHAR(5)), '') FROM bellows_history WHERE migration = '0002_fill' ORDER BY id",
    );
    let last = rows.lines().last().unwrap_or_default().to_owned();
    assert!(last.starts_with("down\t"), "{rows}");
    assert!(
        matches!(last.split('\t').nth(1), Some("t" | "true" | "1")),
        "{rows}"
    );
    // Applied again, it backfills again.
    ok(&p.run(&["migrate", "apply"]));
    assert_eq!(p.db.sql(filled), "1200");
}

#[test]
fn postgres_batched_backfill_rolls_back() {
    batched_backfill_rolls_back(Engine::Postgres);
}

#[test]
fn mariadb_batched_backfill_rolls_back() {
    batched_backfill_rolls_back(Engine::Mariadb);
}

// ---------------------------------------------------------------------------------------
// CREATE INDEX CONCURRENTLY after a lock timeout

#[test]
fn concurrent_index_retry_drops_the_invalid_index() {
    let p = Project::new(
        Engine::Postgres,
        &[
            (
                "0001_items/up.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY, name text);\n",
            ),
            ("0001_items/down.sql", "DROP TABLE items;\n"),
            (
                "0002_index/up.sql",
                "CREATE INDEX CONCURRENTLY items_name_idx ON items (name);\n",
            ),
            (
                "0002_index/down.sql",
                "DROP INDEX CONCURRENTLY IF EXISTS items_name_idx;\n",
            ),
        ],
        "[runner]\nrequire-proof = false\nlock-timeout = \"1s\"\nlock-retries = 8\nretry-backoff = \"400ms\"\n",
    );
    ok(&p.run(&["migrate", "apply", "--to", "0001_items"]));
    p.db.sql("INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 100) g");

    // A writer holds a row lock in an open transaction for about 3 s.
    let mut writer = common::db::psql(&p.db.name)
        .args([
            "-c",
            "BEGIN; UPDATE items SET name = 'x' WHERE id = 1; SELECT pg_sleep(3); COMMIT;",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("psql starts");
    let held = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        p.db.sql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'items' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()") != "0"
    });
    assert!(held, "the writer took its lock");

    let o = p.run(&["migrate", "apply"]);
    let _ = writer.wait();
    ok(&o);
    let err = flat_stderr(&o);
    assert!(err.contains("lock timeout"), "{err}");
    assert!(err.contains("holds RowExclusiveLock on items"), "{err}");
    assert!(
        err.contains("dropped the INVALID index public.items_name_idx"),
        "{err}"
    );
    assert!(!err.contains("42P07"), "{err}");
    assert_eq!(
        p.db.sql("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'items_name_idx%'"),
        "t",
        "one valid index"
    );
}
