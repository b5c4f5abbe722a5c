//! Faults: the database restarting in the middle of `apply`, the connection dropping in the
//! middle of a backfill. Each ends with a clear error, a consistent history and no data lost.
//! Restarts run on a private server of the test's own (its own data directory and port), so
//! the shared servers other tests use are never disturbed.

mod common;

use common::db::Engine;
use common::output::{flat_stderr, ok, text};
use common::private::PrivateServer;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Project {
    dir: tempfile::TempDir,
    url: String,
}

fn dialect(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "postgres",
        Engine::Mariadb => "mysql",
    }
}

impl Project {
    fn new(engine: Engine, url: String, files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("bellows.toml"),
            format!(
                "dialect = \"{}\"\n[runner]\nrequire-proof = false\nlock-timeout = \"5s\"\n",
                dialect(engine)
            ),
        )
        .expect("write bellows.toml");
        for (path, text) in files {
            let p = dir.path().join("migrations").join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        Project { dir, url }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bellows"));
        c.current_dir(self.dir.path())
            .args(args)
            .env("DATABASE_URL", &self.url)
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
}

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

const DB: &str = "shop";

fn seed(server: &PrivateServer, rows: u32) {
    server.sql(
        DB,
        "CREATE TABLE data (id bigint PRIMARY KEY, name varchar(40) NOT NULL, copy varchar(40))",
    );
    let fill = match server.engine {
        Engine::Postgres => format!(
            "INSERT INTO data (id, name) SELECT g, 'n' || g FROM generate_series(1, {rows}) g"
        ),
        Engine::Mariadb => {
            format!("INSERT INTO data (id, name) SELECT seq, CONCAT('n', seq) FROM seq_1_to_{rows}")
        }
    };
    server.sql(DB, &fill);
}

fn checksum(server: &PrivateServer) -> String {
    let sql = match server.engine {
        Engine::Postgres => {
            "SELECT count(*), md5(string_agg(id::text || ':' || name, ',' ORDER BY id)) FROM data"
        }
        Engine::Mariadb => {
            "SELECT count(*), md5(group_concat(id, ':', name ORDER BY id SEPARATOR ',')) FROM data"
        }
    };
    server.sql(DB, sql)
}

fn history(server: &PrivateServer) -> Vec<String> {
    server
        .sql(
            DB,
            "SELECT concat(migration, ' ', direction, ' ', CASE WHEN success IS NULL THEN 'dirty' WHEN success THEN 'true' ELSE 'false' END) FROM bellows_history ORDER BY id",
        )
        .lines()
        .map(|l| l.trim().to_owned())
        .collect()
}

fn running(server: &PrivateServer, like: &str) -> bool {
    let sql = match server.engine {
        Engine::Postgres => format!(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '{like}%' AND pid <> pg_backend_pid()"
        ),
        Engine::Mariadb => format!(
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '{like}%' AND ID <> CONNECTION_ID()"
        ),
    };
    server.sql(DB, &sql) == "1"
}

/// Sleeps while the table `slow_marker` exists.
fn slow(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "SELECT pg_sleep(CASE WHEN to_regclass('slow_marker') IS NULL THEN 0 ELSE 30 END);\n",
        Engine::Mariadb => "DO SLEEP(IF((SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'slow_marker') > 0, 30, 0));\n",
    }
}

fn sleep_prefix(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "SELECT pg_sleep",
        Engine::Mariadb => "DO SLEEP",
    }
}

/// The server restarts while a step runs in a transaction: the transaction is gone with the
/// server, nothing is recorded, and the next run applies the step.
#[test]
fn postgres_restart_during_a_transactional_step() {
    let mut server = PrivateServer::start(Engine::Postgres);
    server.create_db(DB);
    seed(&server, 2000);
    server.sql(DB, "CREATE TABLE slow_marker (id int)");
    let up = format!(
        "ALTER TABLE data ADD COLUMN extra int;\n{}",
        slow(Engine::Postgres)
    );
    let p = Project::new(
        Engine::Postgres,
        server.url(DB),
        &[
            ("0001_extra/up.sql", &up),
            (
                "0001_extra/down.sql",
                "ALTER TABLE data DROP COLUMN extra;\n",
            ),
        ],
    );
    let before = checksum(&server);
    let child = p.spawn(&["migrate", "apply"]);
    assert!(wait_until(20, || running(&server, "SELECT pg_sleep")));
    server.restart();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(err.contains("connection"), "{err}");
    assert!(err.contains("rolled back by the server"), "{err}");
    // Consistent: nothing recorded, nothing of the step left, the data intact.
    assert_eq!(history(&server), Vec::<String>::new());
    assert_eq!(
        server.sql(DB, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'data' AND column_name = 'extra'"),
        "0"
    );
    assert_eq!(checksum(&server), before);
    server.sql(DB, "DROP TABLE slow_marker");
    ok(&p.run(&["migrate", "apply"]));
    assert_eq!(history(&server), ["0001_extra up true"]);
    assert_eq!(checksum(&server), before);
}

/// The server restarts while a step runs statement by statement: its history row stays
/// dirty, the next run refuses with the recovery command, and after it the step applies.
fn restart_during_an_autocommit_step(engine: Engine) {
    let mut server = PrivateServer::start(engine);
    server.create_db(DB);
    seed(&server, 2000);
    server.sql(DB, "CREATE TABLE slow_marker (id int)");
    let (up, down) = match engine {
        Engine::Postgres => (
            format!(
                "CREATE INDEX CONCURRENTLY data_name_idx ON data (name);\n{}CREATE INDEX CONCURRENTLY data_copy_idx ON data (copy);\n",
                slow(engine)
            ),
            "DROP INDEX CONCURRENTLY IF EXISTS data_copy_idx;\nDROP INDEX CONCURRENTLY IF EXISTS data_name_idx;\n".to_owned(),
        ),
        Engine::Mariadb => (
            format!(
                "ALTER TABLE data ADD COLUMN extra int, ALGORITHM=INSTANT;\n{}ALTER TABLE data ADD INDEX data_copy_idx (copy), ALGORITHM=INPLACE, LOCK=NONE;\n",
                slow(engine)
            ),
            "DROP INDEX IF EXISTS data_copy_idx ON data;\nALTER TABLE data DROP COLUMN IF EXISTS extra;\n".to_owned(),
        ),
    };
    let p = Project::new(
        engine,
        server.url(DB),
        &[("0001_online/up.sql", &up), ("0001_online/down.sql", &down)],
    );
    let before = checksum(&server);
    let child = p.spawn(&["migrate", "apply"]);
    assert!(wait_until(20, || running(&server, sleep_prefix(engine))));
    server.restart();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(err.contains("connection"), "{err}");
    assert!(err.contains("dirty"), "{err}");
    assert_eq!(history(&server), ["0001_online up dirty"]);

    let o = p.run(&["migrate", "apply"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        flat_stderr(&o).contains("bellows migrate resolve 0001_online --run-down"),
        "{}",
        text(&o)
    );
    ok(&p.run(&["migrate", "resolve", "0001_online", "--run-down"]));
    server.sql(DB, "DROP TABLE slow_marker");
    ok(&p.run(&["migrate", "apply"]));
    assert_eq!(
        history(&server),
        [
            "0001_online up dirty",
            "0001_online down true",
            "0001_online up true"
        ]
    );
    assert_eq!(checksum(&server), before, "no row lost or changed");
}

#[test]
fn postgres_restart_during_an_autocommit_step() {
    restart_during_an_autocommit_step(Engine::Postgres);
}

#[test]
fn mariadb_restart_during_an_autocommit_step() {
    restart_during_an_autocommit_step(Engine::Mariadb);
}

/// The connection drops in the middle of a backfill: the batches before it are committed
/// and recorded, the error says where it stopped, and the next run resumes and completes.
fn connection_drops_during_a_backfill(engine: Engine) {
    let server = PrivateServer::start(engine);
    server.create_db(DB);
    seed(&server, 20_000);
    let p = Project::new(
        engine,
        server.url(DB),
        &[
            (
                "0001_fill/up.sql",
                "UPDATE data SET copy = name WHERE id >= :batch_start AND id < :batch_end AND copy IS NULL;\n",
            ),
            ("0001_fill/down.sql", "UPDATE data SET copy = NULL;\n"),
            ("0001_fill/verify.sql", "SELECT count(*) FROM data WHERE copy IS NULL;\n"),
            (
                "0001_fill/migration.toml",
                "phase = \"backfill\"\n[backfill]\ntable = \"data\"\nkey = \"id\"\nbatch_size = 500\npause_ms = 40\n",
            ),
        ],
    );
    let before = checksum(&server);
    let child = p.spawn(&["migrate", "apply"]);
    assert!(wait_until(20, || {
        server
            .sql(DB, "SELECT count(*) FROM data WHERE copy IS NOT NULL")
            .parse::<u64>()
            .unwrap_or(0)
            >= 3000
    }));
    // The server ends bellows' session, as a network failure or a failover would.
    let kill = match engine {
        Engine::Postgres => "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'bellows'".to_owned(),
        Engine::Mariadb => {
            let ids = server.sql(
                DB,
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = 'shop' AND ID <> CONNECTION_ID()",
            );
            ids.lines()
                .map(|id| format!("KILL CONNECTION {id};"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    if !kill.is_empty() {
        server.sql(DB, &kill);
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(err.contains("backfill 0001_fill stopped at key"), "{err}");
    assert!(err.contains("every batch before it is committed"), "{err}");
    let done: u64 = server
        .sql(DB, "SELECT count(*) FROM data WHERE copy IS NOT NULL")
        .parse()
        .unwrap();
    assert!(done < 20_000, "stopped before the end");
    let last: u64 = server
        .sql(DB, "SELECT backfill_last_key FROM bellows_history")
        .parse()
        .unwrap();
    assert_eq!(
        server.sql(
            DB,
            &format!("SELECT count(*) FROM data WHERE id < {last} AND copy IS NULL")
        ),
        "0",
        "what the history says is done is done"
    );
    let o = p.run(&["migrate", "apply"]);
    ok(&o);
    assert!(
        flat_stderr(&o).contains(&format!("resuming at {last}")),
        "{}",
        text(&o)
    );
    assert_eq!(
        server.sql(DB, "SELECT count(*) FROM data WHERE copy IS NULL"),
        "0"
    );
    assert_eq!(
        server.sql(DB, "SELECT count(*) FROM data WHERE copy <> name"),
        "0"
    );
    assert_eq!(checksum(&server), before);
    assert_eq!(history(&server), ["0001_fill up true"]);
}

#[test]
fn postgres_connection_drops_during_a_backfill() {
    connection_drops_during_a_backfill(Engine::Postgres);
}

#[test]
fn mariadb_connection_drops_during_a_backfill() {
    connection_drops_during_a_backfill(Engine::Mariadb);
}
