//! A backfill held back by a lagging replica, against real replication pairs: a PostgreSQL
//! streaming replica (primary 5434, replica 5433) and a MariaDB replica (primary 3307,
//! replica 3308), which `scripts/replicas.sh` starts. The test stops the replica's replay
//! (`pg_wal_replay_pause()` / `STOP SLAVE SQL_THREAD`), runs a backfill that must wait,
//! saying why, resumes replay and sees the backfill finish.
//!
//! The URLs come from BELLOWS_TEST_{PG,MY}_{PRIMARY,REPLICA}_URL, which `scripts/test.sh`
//! exports. Under CI=true a missing URL fails the test; elsewhere the test runs
//! `scripts/replicas.sh` itself to get them.

mod common;

use common::db::{project_dir, Engine};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The primary and replica URLs of an engine.
fn urls(engine: Engine) -> (url::Url, url::Url) {
    let (p, r) = match engine {
        Engine::Postgres => ("BELLOWS_TEST_PG_PRIMARY_URL", "BELLOWS_TEST_PG_REPLICA_URL"),
        Engine::Mariadb => ("BELLOWS_TEST_MY_PRIMARY_URL", "BELLOWS_TEST_MY_REPLICA_URL"),
    };
    let from_env = || Some((std::env::var(p).ok()?, std::env::var(r).ok()?));
    let (primary, replica) = match from_env() {
        Some(v) => v,
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{p} / {r} are not set: scripts/test.sh exports them (scripts/replicas.sh)")
        }
        None => {
            let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/replicas.sh"))
                .output()
                .expect("scripts/replicas.sh runs");
            assert!(
                out.status.success(),
                "scripts/replicas.sh: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let get = |k: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("export {k}=")))
                    .unwrap_or_else(|| panic!("scripts/replicas.sh printed no {k}: {text}"))
                    .to_owned()
            };
            (get(p), get(r))
        }
    };
    (
        url::Url::parse(&primary).expect("primary URL"),
        url::Url::parse(&replica).expect("replica URL"),
    )
}

/// Runs SQL with the command-line client on the server of `url`, in database `db`.
fn sql(engine: Engine, url: &url::Url, db: &str, text: &str) -> String {
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port().map(|p| p.to_string()).unwrap_or_default();
    let out = match engine {
        Engine::Postgres => Command::new("psql")
            .args([
                "-X",
                "-At",
                "-h",
                &host,
                "-p",
                &port,
                "-U",
                url.username(),
                "-d",
                db,
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-c", text])
            .output(),
        Engine::Mariadb => Command::new("mariadb")
            .args([
                "--protocol=tcp",
                "-h",
                &host,
                "-P",
                &port,
                "-u",
                url.username(),
            ])
            .args(["-N", "-B", "-D", db, "-e", text])
            .output(),
    }
    .expect("the database client runs");
    assert!(
        out.status.success(),
        "{text}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A scratch database on the primary (replicated), and a replica whose replay is resumed
/// and database dropped when the test ends, whatever happens.
struct Pair {
    engine: Engine,
    primary: url::Url,
    replica: url::Url,
    db: String,
    /// This pair stopped the replica's replay: it resumes it when dropped (and only then:
    /// another test may have stopped it).
    paused: std::cell::Cell<bool>,
}

impl Pair {
    fn new(engine: Engine) -> Pair {
        let (primary, replica) = urls(engine);
        let db = format!(
            "bellows_lag{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let admin = match engine {
            Engine::Postgres => "postgres",
            Engine::Mariadb => "mysql",
        };
        sql(engine, &primary, admin, &format!("CREATE DATABASE {db}"));
        Pair {
            engine,
            primary,
            replica,
            db,
            paused: std::cell::Cell::new(false),
        }
    }

    fn on_primary(&self, text: &str) -> String {
        sql(self.engine, &self.primary, &self.db, text)
    }

    fn on_replica(&self, text: &str) -> String {
        let db = match self.engine {
            Engine::Postgres => "postgres",
            Engine::Mariadb => "mysql",
        };
        sql(self.engine, &self.replica, db, text)
    }

    fn pause_replay(&self) {
        self.paused.set(true);
        match self.engine {
            Engine::Postgres => self.on_replica("SELECT pg_wal_replay_pause()"),
            Engine::Mariadb => self.on_replica("STOP SLAVE SQL_THREAD"),
        };
    }

    fn resume_replay(&self) {
        if !self.paused.replace(false) {
            return;
        }
        match self.engine {
            Engine::Postgres => {
                self.on_replica("SELECT pg_wal_replay_resume() WHERE pg_is_wal_replay_paused()");
            }
            Engine::Mariadb => {
                self.on_replica("START SLAVE SQL_THREAD");
            }
        }
    }

    /// `bellows migrate apply` of the project in `dir` against this pair's database.
    fn apply(&self, dir: &std::path::Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bellows"));
        c.current_dir(dir)
            .args(["migrate", "apply"])
            .env("DATABASE_URL", self.primary_url())
            .env_remove("CI")
            .stdin(Stdio::null());
        c
    }

    fn primary_url(&self) -> String {
        let mut u = self.primary.clone();
        u.set_path(&format!("/{}", self.db));
        u.to_string()
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.resume_replay();
        let (admin, drop) = match self.engine {
            Engine::Postgres => (
                "postgres",
                format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db),
            ),
            Engine::Mariadb => ("mysql", format!("DROP DATABASE IF EXISTS {}", self.db)),
        };
        sql(self.engine, &self.primary, admin, &drop);
    }
}

fn flat(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).replace('\n', " ")
}

/// `discover`: no `[[replica]]`; bellows finds the replica from the primary.
fn backfill_waits_for_a_stopped_replica(engine: Engine, discover: bool) {
    let pair = Pair::new(engine);
    let rows = 3_000;
    pair.on_primary(
        "CREATE TABLE data (id bigint PRIMARY KEY, name varchar(40) NOT NULL, copy varchar(40))",
    );
    pair.on_primary(&match engine {
        Engine::Postgres => format!(
            "INSERT INTO data (id, name) SELECT g, 'n' || g FROM generate_series(1, {rows}) g"
        ),
        Engine::Mariadb => {
            format!("INSERT INTO data (id, name) SELECT seq, CONCAT('n', seq) FROM seq_1_to_{rows}")
        }
    });
    // The replica has the table before its replay stops.
    let probe = format!("SELECT count(*) FROM {}.data", pair.db);
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        let out = match engine {
            Engine::Postgres => Command::new("psql")
                .args(["-X", "-At", "-h", "127.0.0.1"])
                .args(["-p", &pair.replica.port().unwrap_or(5433).to_string()])
                .args([
                    "-U",
                    "postgres",
                    "-d",
                    &pair.db,
                    "-c",
                    "SELECT count(*) FROM data",
                ])
                .output()
                .expect("psql"),
            Engine::Mariadb => Command::new("mariadb")
                .args([
                    "--protocol=tcp",
                    "-h",
                    "127.0.0.1",
                    "-u",
                    "root",
                    "-N",
                    "-B",
                ])
                .args(["-P", &pair.replica.port().unwrap_or(3308).to_string()])
                .args(["-e", &probe])
                .output()
                .expect("mariadb"),
        };
        if String::from_utf8_lossy(&out.stdout).trim() == rows.to_string() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    pair.pause_replay();
    // PostgreSQL's lag is the age of the last replayed transaction once WAL is waiting:
    // let it grow past max-lag (the first batch then runs, the next ones wait).
    std::thread::sleep(Duration::from_secs(2));

    let config = if discover {
        "[runner]\nrequire-proof = false\n".to_owned()
    } else {
        format!(
            "[runner]\nrequire-proof = false\n\n[[replica]]\nurl = \"{}\"\n",
            pair.replica
        )
    };
    let dir = project_dir(engine, &config);
    // The primary's pg_stat_replication learns the replay lag from the replica's replies,
    // which come as WAL arrives: smaller batches make the lag grow past max-lag before
    // the end.
    let batch = if discover && engine == Engine::Postgres {
        20
    } else {
        200
    };
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
        format!("phase = \"backfill\"\n[backfill]\ntable = \"data\"\nkey = \"id\"\nbatch_size = {batch}\npause_ms = 20\nmax-lag = \"1s\"\nhealth-timeout = \"2m\"\n"),
    )
    .expect("write");
    let child = pair
        .apply(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bellows starts");
    let done = || -> u64 {
        pair.on_primary("SELECT count(*) FROM data WHERE copy IS NOT NULL")
            .parse()
            .expect("a count")
    };
    // It stops short of the end and stays there while the replica does not replay.
    std::thread::sleep(Duration::from_secs(4));
    let held = done();
    std::thread::sleep(Duration::from_secs(2));
    let later = done();
    pair.resume_replay();
    let o = child.wait_with_output().expect("bellows ends");
    let err = flat(&o);
    assert_eq!(later, held, "no batch while the replica lags: {err}");
    assert!(held < rows, "held back before the end ({held}): {err}");
    assert!(o.status.success(), "{err}");
    let port = pair.replica.port().unwrap_or_default();
    let why = match engine {
        Engine::Postgres if discover => "replica 127.0.0.1 (walreceiver) lags ".to_owned(),
        Engine::Postgres => format!("replica 127.0.0.1:{port} lags "),
        Engine::Mariadb => {
            format!("replica 127.0.0.1:{port}: lag unknown (its SQL thread is stopped)")
        }
    };
    assert!(
        err.contains("0001_fill: waiting at key") && err.contains(&why),
        "{err}"
    );
    assert!(err.contains("0001_fill: going on after waiting"), "{err}");
    assert_eq!(
        err.contains("replicas reported by the primary: "),
        discover,
        "{err}"
    );
    assert_eq!(done(), rows);
}

// One test per engine: the variants pause the same replica, so they run one after the
// other.
#[test]
fn postgres_backfill_waits_for_a_stopped_replica() {
    backfill_waits_for_a_stopped_replica(Engine::Postgres, false);
    backfill_waits_for_a_stopped_replica(Engine::Postgres, true);
}

#[test]
fn mariadb_backfill_waits_for_a_stopped_replica() {
    backfill_waits_for_a_stopped_replica(Engine::Mariadb, false);
    backfill_waits_for_a_stopped_replica(Engine::Mariadb, true);
}

/// The primary of the PostgreSQL pair runs autovacuum (the default test server does not).
/// A worker kept slow on a table with dead rows holds its lock when a step drops one of
/// the table's indexes (the statement names only the index): bellows cancels it first, and
/// says so, rather than queueing the statement (and the application's queries behind it)
/// until the server does.
#[test]
fn postgres_ddl_step_cancels_the_autovacuum_on_its_table() {
    let pair = Pair::new(Engine::Postgres);
    pair.on_primary("ALTER SYSTEM SET autovacuum_naptime = 1");
    pair.on_primary("SELECT pg_reload_conf()");
    pair.on_primary(
        "CREATE TABLE big (id int PRIMARY KEY, v text) WITH (autovacuum_vacuum_threshold = 0, \
         autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 2000000000, \
         autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)",
    );
    pair.on_primary("INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 50000) g");
    pair.on_primary("CREATE INDEX big_v ON big (v)");
    pair.on_primary("UPDATE big SET v = v || '!'");
    let vacuuming = || {
        pair.on_primary(
            "SELECT count(*) FROM pg_stat_progress_vacuum WHERE relid = 'big'::regclass",
        ) == "1"
    };
    let end = Instant::now() + Duration::from_secs(90);
    while !vacuuming() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(200));
    }
    let started = vacuuming();
    pair.on_primary("ALTER SYSTEM RESET autovacuum_naptime");
    pair.on_primary("SELECT pg_reload_conf()");
    assert!(started, "autovacuum never started on the table");

    let dir = project_dir(
        Engine::Postgres,
        "[runner]\nrequire-proof = false\ndiscover-replicas = false\nlock-timeout = \"30s\"\n",
    );
    let m = dir.path().join("migrations/0001_drop_index");
    std::fs::create_dir_all(&m).expect("mkdir");
    // The index alone names the table: `DROP INDEX` locks it all the same.
    std::fs::write(m.join("up.sql"), "DROP INDEX CONCURRENTLY big_v;\n").expect("write");
    std::fs::write(
        m.join("down.sql"),
        "CREATE INDEX CONCURRENTLY big_v ON big (v);\n",
    )
    .expect("write");
    let o = pair.apply(dir.path()).output().expect("bellows runs");
    let err = flat(&o);
    assert!(
        o.status.success(),
        "{err} {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        err.contains("0001_drop_index: cancelled the autovacuum vacuum of public.big (pid "),
        "{err}"
    );
    assert_eq!(pair.on_primary("SELECT to_regclass('big_v') IS NULL"), "t");
}
