//! The runner's algorithm against a fake backend that records every statement: retries,
//! rollbacks of failed steps, dirty rows, resumed backfills, dry runs and the lock. The
//! same behaviour against the real servers is in `runner_postgres.rs` / `runner_mysql.rs`.

use bellows::catalog::analysis::{analyze, check_releases, graph_input, Analysis, ReleaseCheck};
use bellows::catalog::layout::Catalog;
use bellows::config::Config;
use bellows::dialect::Dialect;
use bellows::graph::Graph;
use bellows::lint::LintSettings;
use bellows::runner::apply::{FailureKind, Settings};
use bellows::runner::events::{Event, Events};
use bellows::runner::fake::{lock_timeout, Failure, FakeBackend, FakeDb};
use bellows::runner::{ApplyRequest, Project, Resolution, RollbackRequest, Runner};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A catalog written into a temporary directory.
struct Fixture {
    _dir: tempfile::TempDir,
    catalog: Catalog,
    config: Config,
    analysis: Analysis,
    releases: Vec<ReleaseCheck>,
    graph: Graph,
}

fn fixture(files: &[(&str, &str)], config: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join("migrations").join(path);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    load(dir, config)
}

/// Reads (again) the catalog in `dir`, as a new bellows process would.
fn load(dir: tempfile::TempDir, config: &str) -> Fixture {
    let config = Config::parse(Path::new("bellows.toml"), config).expect("config");
    let catalog = Catalog::load(&dir.path().join("migrations")).expect("catalog");
    let settings = LintSettings::new(Dialect::Postgres);
    let analysis = analyze(&catalog, &settings).expect("analysis");
    let releases = check_releases(&config, dir.path(), &settings, &analysis).expect("releases");
    let graph = Graph::build(graph_input(&config, &analysis, &releases)).expect("graph");
    Fixture {
        _dir: dir,
        catalog,
        config,
        analysis,
        releases,
        graph,
    }
}

impl Fixture {
    fn project(&self) -> Project<'_> {
        Project {
            catalog: &self.catalog,
            config: &self.config,
            analysis: &self.analysis,
            releases: &self.releases,
            graph: &self.graph,
            proofs: &[],
        }
    }
}

#[derive(Default)]
struct Recorder {
    lines: Vec<String>,
}

impl Events for Recorder {
    fn event(&mut self, event: Event<'_>) {
        self.lines.push(match event {
            Event::Retry { id, attempt, .. } => format!("retry {id} {attempt}"),
            Event::Sql(s) => format!("sql {s}"),
            Event::Batch {
                next,
                rows,
                batch_size,
                pause_ms,
                throttled,
                ..
            } => format!(
                "batch {next} {rows} size {batch_size} pause {pause_ms} throttled {}",
                throttled.unwrap_or("-")
            ),
            Event::Note(text) => format!("note {text}"),
            Event::BackfillDone { rows, run_rows, .. } => {
                format!("backfilled {run_rows} of {rows}")
            }
            Event::BackfillStart { resumed_at, .. } => format!("backfill from {resumed_at:?}"),
            Event::WaitingForLock { .. } => "waiting".to_owned(),
            Event::RolledBack { how, .. } => format!("rolled back: {how}"),
            other => format!("{other:?}"),
        });
    }
}

fn settings() -> Settings {
    Settings {
        retry_base_ms: 1,
        require_proof: false,
        // The fake has no schema to compare with the migrations'.
        allow_drift: true,
        ..Settings::default()
    }
}

fn two_step() -> Fixture {
    fixture(
        &[
            ("0001_users/up.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n"),
            ("0001_users/down.sql", "DROP TABLE users;\n"),
            (
                "0002_index/up.sql",
                "CREATE INDEX CONCURRENTLY users_name_idx ON users (name);\nCREATE INDEX CONCURRENTLY users_id_name_idx ON users (id, name);\n",
            ),
            (
                "0002_index/down.sql",
                "DROP INDEX CONCURRENTLY IF EXISTS users_id_name_idx;\nDROP INDEX CONCURRENTLY IF EXISTS users_name_idx;\n",
            ),
        ],
        "",
    )
}

fn migration_statements(db: &Arc<Mutex<FakeDb>>) -> Vec<String> {
    db.lock()
        .unwrap()
        .log
        .iter()
        .filter(|s| {
            s.starts_with("CREATE INDEX")
                || s.starts_with("CREATE TABLE users")
                || s.starts_with("DROP")
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn applying_twice_runs_each_migration_once() {
    let f = two_step();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let first = runner
        .apply(&ApplyRequest::default())
        .await
        .expect("first apply");
    assert_eq!(first.done.len(), 2);
    let second = runner
        .apply(&ApplyRequest::default())
        .await
        .expect("second apply");
    assert!(second.done.is_empty(), "{:?}", second.done);
    assert_eq!(migration_statements(&db).len(), 3);
    // The transactional step wrote its history inside its transaction.
    let log = db.lock().unwrap().log.clone();
    let begin = log.iter().position(|s| s == "BEGIN").expect("BEGIN sent");
    let commit = log.iter().position(|s| s == "COMMIT").expect("COMMIT sent");
    let insert = log
        .iter()
        .position(|s| s.starts_with("INSERT INTO"))
        .expect("history row");
    assert!(begin < insert && insert < commit, "{log:?}");
    assert!(db.lock().unwrap().lock.is_none(), "the lock is released");
}

#[tokio::test]
async fn lock_timeouts_are_retried_then_fail_cleanly() {
    let f = two_step();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    db.lock().unwrap().failures.push(Failure {
        needle: "CREATE TABLE users".to_owned(),
        error: lock_timeout(),
        times: 2,
    });
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    runner
        .apply(&ApplyRequest::default())
        .await
        .expect("succeeds on the third try");
    drop(runner);
    assert_eq!(
        events
            .lines
            .iter()
            .filter(|l| l.starts_with("retry 0001_users"))
            .count(),
        2
    );

    // More timeouts than retries: the step fails, nothing of it stays.
    let db = Arc::new(Mutex::new(FakeDb::default()));
    db.lock().unwrap().failures.push(Failure {
        needle: "CREATE TABLE users".to_owned(),
        error: lock_timeout(),
        times: u32::MAX,
    });
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let err = runner.apply(&ApplyRequest::default()).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::StepFailed);
    assert!(
        err.message.starts_with("applied 0/2 steps; 0001_users"),
        "{}",
        err.message
    );
    assert!(err.message.contains("unchanged"), "{}", err.message);
    let status = runner.status().await.expect("status");
    assert!(status.applied.is_empty());
    assert!(status.dirty.is_empty());
    assert_eq!(status.recent[0].success, Some(false));
    assert_eq!(
        db.lock()
            .unwrap()
            .log
            .iter()
            .filter(|s| s.contains("CREATE TABLE users"))
            .count(),
        4,
        "one try and three retries"
    );
}

#[tokio::test]
async fn a_failed_autocommit_step_is_undone_by_its_down_script() {
    let f = two_step();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    db.lock().unwrap().failures.push(Failure {
        needle: "users_id_name_idx ON".to_owned(),
        error: bellows::runner::DbError::other("disk full"),
        times: 1,
    });
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let err = runner.apply(&ApplyRequest::default()).await.unwrap_err();
    assert!(err.message.contains("applied 1/2 steps"), "{}", err.message);
    assert!(err.message.contains("statement 2"), "{}", err.message);
    assert!(err.message.contains("as before it"), "{}", err.message);
    let status = runner.status().await.expect("status");
    assert_eq!(status.applied.len(), 1);
    assert!(status.dirty.is_empty());
    let log = db.lock().unwrap().log.clone();
    assert!(log
        .iter()
        .any(|s| s.starts_with("DROP INDEX CONCURRENTLY IF EXISTS users_name_idx")));
    // The next run applies it.
    runner
        .apply(&ApplyRequest::default())
        .await
        .expect("second run");
    assert_eq!(runner.status().await.unwrap().applied.len(), 2);
}

#[tokio::test]
async fn a_step_that_cannot_be_undone_stays_dirty_until_resolved() {
    let f = two_step();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    db.lock().unwrap().failures.extend([
        Failure {
            needle: "users_id_name_idx ON".to_owned(),
            error: bellows::runner::DbError::other("disk full"),
            times: 1,
        },
        Failure {
            needle: "DROP INDEX CONCURRENTLY IF EXISTS users_id_name_idx".to_owned(),
            error: bellows::runner::DbError::other("still full"),
            times: 1,
        },
    ]);
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let err = runner.apply(&ApplyRequest::default()).await.unwrap_err();
    assert!(err.message.contains("dirty"), "{}", err.message);
    let again = runner.apply(&ApplyRequest::default()).await.unwrap_err();
    assert_eq!(again.kind, FailureKind::Dirty);
    let help = again.help.clone().unwrap_or_default();
    assert!(
        help.contains("bellows migrate resolve 0002_index --run-down"),
        "{help}"
    );
    let said = runner
        .resolve("0002_index", Resolution::RunDown)
        .await
        .expect("resolve");
    assert!(said.contains("not applied"), "{said}");
    runner
        .apply(&ApplyRequest::default())
        .await
        .expect("applies after resolve");
    let status = runner.status().await.unwrap();
    assert_eq!(status.applied.len(), 2);
    assert!(status.dirty.is_empty());
}

#[tokio::test]
async fn edited_and_vanished_migrations_are_refused_by_name() {
    let f = two_step();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    let mut events = Recorder::default();
    {
        let mut runner = Runner::new(
            FakeBackend::new(db.clone()),
            f.project(),
            settings(),
            &mut events,
        );
        runner.apply(&ApplyRequest::default()).await.expect("apply");
    }
    let up = f.catalog.migrations[0].up.clone();
    std::fs::write(
        &up,
        "CREATE TABLE users (id bigint PRIMARY KEY, name text, x int);\n",
    )
    .unwrap();
    // The catalog as read before the edit no longer matches the disk: refused as such.
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let err = runner.apply(&ApplyRequest::default()).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Script, "{}", err.message);
    assert!(
        err.message
            .contains("changed on disk while bellows was running"),
        "{}",
        err.message
    );
    drop(runner);
    // Read again, as a new run would: the edit of an applied migration is refused.
    let f = load(f._dir, "");
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let err = runner.apply(&ApplyRequest::default()).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Edited);
    assert!(err.message.contains("0001_users"), "{}", err.message);

    // A catalog without 0002: it is applied but gone.
    let fewer = fixture(
        &[
            (
                "0001_users/up.sql",
                "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n",
            ),
            ("0001_users/down.sql", "DROP TABLE users;\n"),
        ],
        "",
    );
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        fewer.project(),
        settings(),
        &mut events,
    );
    let err = runner.apply(&ApplyRequest::default()).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Gone, "{}", err.message);
    assert!(err.message.contains("0002_index"), "{}", err.message);
}

#[tokio::test]
async fn a_held_lock_waits_or_fails_at_once() {
    let f = two_step();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    db.lock().unwrap().lock = Some(999);
    let mut events = Recorder::default();
    let no_wait = Settings {
        wait: false,
        ..settings()
    };
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        no_wait,
        &mut events,
    );
    let err = runner.apply(&ApplyRequest::default()).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::LockHeld);
    assert!(err.message.contains("fake session 999"), "{}", err.message);
    drop(runner);

    // Waiting: the other session lets go after a while.
    let releaser = {
        let db = db.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            db.lock().unwrap().lock = None;
        })
    };
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    runner
        .apply(&ApplyRequest::default())
        .await
        .expect("applies after waiting");
    drop(runner);
    releaser.await.unwrap();
    assert!(events.lines.iter().any(|l| l == "waiting"));
}

fn backfill_fixture() -> Fixture {
    fixture(
        &[
            ("0001_users/up.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text, display text);\n"),
            ("0001_users/down.sql", "DROP TABLE users;\n"),
            (
                "0002_fill/up.sql",
                "UPDATE users SET display = name WHERE id >= :batch_start AND id < :batch_end AND display IS NULL;\n",
            ),
            ("0002_fill/down.sql", "SELECT 1;\n"),
            ("0002_fill/verify.sql", "SELECT count(*) FROM users WHERE display IS NULL AND name IS NOT NULL;\n"),
            (
                "0002_fill/migration.toml",
                "phase = \"backfill\"\n[backfill]\ntable = \"users\"\nkey = \"id\"\nbatch_size = 1000\n",
            ),
            ("0003_drop/up.sql", "ALTER TABLE users DROP COLUMN name;\n"),
            ("0003_drop/migration.toml", "phase = \"contract\"\nrequires = [\"0002_fill\"]\n"),
        ],
        "",
    )
}

#[tokio::test]
async fn a_backfill_walks_batches_and_resumes_where_it_stopped() {
    let f = backfill_fixture();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    {
        let mut d = db.lock().unwrap();
        d.keys = (1..=2500).collect();
        // The second batch fails once: the connection drops.
        d.failures.push(Failure {
            needle: "id >= 1001 AND".to_owned(),
            error: bellows::runner::DbError {
                kind: bellows::runner::DbErrorKind::Connection,
                code: None,
                message: "connection reset".to_owned(),
            },
            times: 1,
        });
    }
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let err = runner
        .apply(&ApplyRequest {
            to: Some("0002_fill".to_owned()),
            ..ApplyRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::Connection);
    assert!(
        err.message.contains("stopped at key 1001 after 1000 rows"),
        "{}",
        err.message
    );
    let status = runner.status().await.unwrap();
    assert_eq!(status.dirty.len(), 1);
    assert_eq!(status.dirty[0].backfill_last_key.as_deref(), Some("1001"));

    let outcome = runner
        .apply(&ApplyRequest::default())
        .await
        .expect("resumes");
    let backfill = outcome
        .done
        .iter()
        .find(|d| d.migration == "0002_fill")
        .expect("ran");
    assert_eq!(backfill.rows, Some(2500));
    let updates: Vec<String> = db
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|s| s.starts_with("UPDATE users"))
        .cloned()
        .collect();
    // 1..1001 once, 1001..2001 twice (failed, then resumed), 2001..2501 once.
    assert_eq!(updates.len(), 4, "{updates:?}");
    assert!(
        updates[0].contains("id >= 1 AND id < 1001"),
        "{}",
        updates[0]
    );
    assert!(
        updates[3].contains("id >= 2001 AND id < 2501"),
        "{}",
        updates[3]
    );
    drop(runner);
    assert!(
        events.lines.iter().any(|l| l == "backfill from Some(1001)"),
        "{:?}",
        events.lines
    );
    // The resumed run's rate counts its own 1500 rows, not the interrupted run's 1000.
    assert!(
        events.lines.iter().any(|l| l == "backfilled 1500 of 2500"),
        "{:?}",
        events.lines
    );
}

#[tokio::test]
async fn a_contract_waits_for_its_backfill_to_finish() {
    let f = backfill_fixture();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    {
        let mut d = db.lock().unwrap();
        d.keys = (1..=10).collect();
        d.answers
            .push(("display IS NULL".to_owned(), "7".to_owned()));
    }
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let outcome = runner.apply(&ApplyRequest::default()).await.expect("apply");
    let blocked = outcome.blocked.expect("the contract is blocked");
    assert_eq!(blocked.migration, "0003_drop");
    assert!(
        blocked.reasons[0].contains("backfill 0002_fill has 7 rows still to do"),
        "{:?}",
        blocked.reasons
    );
    db.lock().unwrap().answers.clear();
    let outcome = runner.apply(&ApplyRequest::default()).await.expect("apply");
    assert!(outcome.blocked.is_none());
    assert_eq!(outcome.done[0].migration, "0003_drop");
}

#[tokio::test]
async fn a_dry_run_sends_no_migration_sql_and_prints_it_in_order() {
    let f = two_step();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let outcome = runner
        .apply(&ApplyRequest {
            dry_run: true,
            ..ApplyRequest::default()
        })
        .await
        .expect("dry run");
    assert!(outcome.dry_run);
    drop(runner);
    assert!(migration_statements(&db).is_empty());
    assert!(db.lock().unwrap().lock.is_none());
    let sql: Vec<&str> = events
        .lines
        .iter()
        .filter_map(|l| l.strip_prefix("sql "))
        .filter(|l| !l.starts_with("--"))
        .collect();
    assert_eq!(
        sql,
        [
            "BEGIN;",
            "CREATE TABLE users (id bigint PRIMARY KEY, name text);",
            "COMMIT;",
            "CREATE INDEX CONCURRENTLY users_name_idx ON users (name);",
            "CREATE INDEX CONCURRENTLY users_id_name_idx ON users (id, name);",
        ]
    );
}

#[tokio::test]
async fn rollback_refuses_contracts_and_runs_down_scripts_newest_first() {
    let f = backfill_fixture();
    let db = Arc::new(Mutex::new(FakeDb::default()));
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    runner.apply(&ApplyRequest::default()).await.expect("apply");
    let outcome = runner
        .rollback(&RollbackRequest {
            steps: Some(1),
            ..RollbackRequest::default()
        })
        .await
        .expect("rollback");
    let blocked = outcome.blocked.expect("0003 has no down script");
    assert!(
        blocked.reasons[0].contains("no down script"),
        "{:?}",
        blocked.reasons
    );
    let outcome = runner
        .rollback(&RollbackRequest {
            to: Some("0002_fill".to_owned()),
            ..RollbackRequest::default()
        })
        .await
        .expect("rollback");
    assert!(outcome.blocked.is_some(), "still 0003 first");

    // A catalog whose contract has a down script: refused without --force.
    let g = fixture(
        &[
            ("0001_a/up.sql", "CREATE TABLE a (id int, b int);\n"),
            ("0001_a/down.sql", "DROP TABLE a;\n"),
            ("0002_drop_b/up.sql", "ALTER TABLE a DROP COLUMN b;\n"),
            ("0002_drop_b/down.sql", "ALTER TABLE a ADD COLUMN b int;\n"),
            ("0002_drop_b/migration.toml", "phase = \"contract\"\n"),
        ],
        "",
    );
    let db = Arc::new(Mutex::new(FakeDb::default()));
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        g.project(),
        settings(),
        &mut events,
    );
    runner.apply(&ApplyRequest::default()).await.expect("apply");
    let outcome = runner
        .rollback(&RollbackRequest {
            steps: Some(2),
            ..RollbackRequest::default()
        })
        .await
        .expect("rollback");
    assert!(outcome.done.is_empty());
    assert!(outcome.blocked.unwrap().reasons[0].contains("contract"));
    let outcome = runner
        .rollback(&RollbackRequest {
            steps: Some(2),
            force: true,
            ..RollbackRequest::default()
        })
        .await
        .expect("forced rollback");
    let order: Vec<&str> = outcome.done.iter().map(|d| d.migration.as_str()).collect();
    assert_eq!(order, ["0002_drop_b", "0001_a"]);
    assert!(runner.status().await.unwrap().applied.is_empty());
}

/// A backfill of `users` paced by the `[backfill]` keys in `pacing` (after table and key).
fn paced_fixture(pacing: &str) -> Fixture {
    fixture(
        &[
            ("0001_users/up.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text, display text);\n"),
            ("0001_users/down.sql", "DROP TABLE users;\n"),
            (
                "0002_fill/up.sql",
                "UPDATE users SET display = name WHERE id >= :batch_start AND id < :batch_end AND display IS NULL;\n",
            ),
            ("0002_fill/down.sql", "SELECT 1;\n"),
            (
                "0002_fill/migration.toml",
                &format!("phase = \"backfill\"\n[backfill]\ntable = \"users\"\nkey = \"id\"\n{pacing}"),
            ),
        ],
        "",
    )
}

/// The (size, pause, throttled) of each batch the events reported.
fn batches(events: &Recorder) -> Vec<(u64, u64, String)> {
    events
        .lines
        .iter()
        .filter_map(|l| {
            let rest = l.strip_prefix("batch ")?;
            let w: Vec<&str> = rest.splitn(8, ' ').collect();
            Some((w[3].parse().ok()?, w[5].parse().ok()?, w[7].to_owned()))
        })
        .collect()
}

async fn run_paced(f: &Fixture, db: &Arc<Mutex<FakeDb>>) -> (Recorder, i64) {
    let mut events = Recorder::default();
    let mut runner = Runner::new(
        FakeBackend::new(db.clone()),
        f.project(),
        settings(),
        &mut events,
    );
    let outcome = runner
        .apply(&ApplyRequest::default())
        .await
        .expect("the backfill finishes");
    let rows = outcome
        .done
        .iter()
        .find(|d| d.migration == "0002_fill")
        .and_then(|d| d.rows)
        .expect("backfilled");
    drop(runner);
    (events, rows)
}

// Paused time: the fake's batches and probes take what it says, whatever the machine's load.
#[tokio::test(start_paused = true)]
async fn adaptive_pacing_converges_on_the_target_batch_time() {
    let f = paced_fixture("target-batch-ms = 20\n");
    let db = Arc::new(Mutex::new(FakeDb::default()));
    {
        let mut d = db.lock().unwrap();
        d.keys = (1..=80_000).collect();
        // 5 ms per 1,000 keys: a 20 ms batch holds about 4,000.
        d.ms_per_key = 0.005;
    }
    let (events, rows) = run_paced(&f, &db).await;
    assert_eq!(rows, 80_000);
    let b = batches(&events);
    assert!(b.len() > 10, "{b:?}");
    // Small first, then grown to the target size and kept there, with no pause.
    assert_eq!(b[0].0, 100, "{b:?}");
    for (size, pause, throttled) in &b[b.len() - 5..b.len() - 1] {
        assert!((2_000..=4_000).contains(size), "{b:?}");
        assert_eq!(*pause, 0, "{b:?}");
        assert_eq!(throttled, "-", "{b:?}");
    }
    assert!(
        events
            .lines
            .iter()
            .any(|l| l.starts_with("note 0002_fill: adaptive pacing, batches of about 20 ms")),
        "{:?}",
        events.lines
    );
}

// Paused time: the fake's batches and probes take what it says, whatever the machine's load.
#[tokio::test(start_paused = true)]
async fn zero_time_batches_grow_and_finish_without_exceeding_the_largest_batch() {
    let f = paced_fixture("");
    let db = Arc::new(Mutex::new(FakeDb::default()));
    db.lock().unwrap().keys = (1..=400_000).collect();
    let (events, rows) = run_paced(&f, &db).await;
    assert_eq!(rows, 400_000);
    let b = batches(&events);
    assert!(
        b.iter().all(|(size, ..)| (1..=100_000).contains(size)),
        "{b:?}"
    );
    // Nothing slows it down: each batch is larger than the one before, none throttled.
    assert!(
        b.windows(2).all(|w| w[1].0 > w[0].0 && w[1].2 == "-"),
        "{b:?}"
    );
}

// Paused time: the fake's batches and probes take what it says, whatever the machine's load.
#[tokio::test(start_paused = true)]
async fn a_slow_probe_throttles_the_backfill_which_says_so_and_recovers() {
    let f = paced_fixture("target-batch-ms = 10\nmax-latency-ms = 5\nmax-pause-ms = 40\n");
    let db = Arc::new(Mutex::new(FakeDb::default()));
    {
        let mut d = db.lock().unwrap();
        d.keys = (1..=300_000).collect();
        d.ms_per_key = 0.002;
        // The application is slow from the start: the probe takes 8 ms, over its 5.
        d.latency.push(("bellows probe".to_owned(), 8));
    }
    let relief = {
        let db = db.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(3_000)).await;
            db.lock().unwrap().latency.clear();
        })
    };
    let (events, rows) = run_paced(&f, &db).await;
    relief.await.unwrap();
    assert_eq!(rows, 300_000);
    let b = batches(&events);
    let throttled: Vec<_> = b.iter().filter(|(.., t)| t != "-").collect();
    assert!(!throttled.is_empty(), "{b:?}");
    assert!(
        throttled[0].2.contains("probe") && throttled[0].2.contains("> budget 5.0 ms"),
        "{b:?}"
    );
    // Backed off to small batches and the longest pause, never beyond.
    assert!(
        b.iter().any(|(size, pause, _)| *size <= 25 && *pause == 40),
        "{b:?}"
    );
    assert!(b.iter().all(|(_, pause, _)| *pause <= 40), "{b:?}");
    // Said so once throttled for ten maximum pauses (at least 1 s).
    assert!(
        events
            .lines
            .iter()
            .any(|l| l.starts_with("note 0002_fill: throttled for 1 s (")),
        "{:?}",
        events.lines
    );
    // Once the probe is fast again, it speeds back up to full batches without a pause.
    let last = &b[b.len() - 2];
    assert!(last.0 > 1_000 && last.1 == 0 && last.2 == "-", "{b:?}");
}

#[tokio::test]
async fn explicit_batch_size_and_pause_are_fixed_pacing() {
    let f = paced_fixture("batch_size = 700\npause_ms = 1\n");
    let db = Arc::new(Mutex::new(FakeDb::default()));
    db.lock().unwrap().keys = (1..=3_000).collect();
    let (events, rows) = run_paced(&f, &db).await;
    assert_eq!(rows, 3_000);
    let b = batches(&events);
    assert_eq!(b.len(), 5, "{b:?}");
    assert!(b.iter().all(|(size, pause, _)| *size == 700 && *pause == 1));
    // No probe runs under fixed pacing.
    assert!(!db
        .lock()
        .unwrap()
        .log
        .iter()
        .any(|s| s.contains("bellows probe")));
}

// Paused time: the fake's batches and probes take what it says, whatever the machine's load.
#[tokio::test(start_paused = true)]
async fn lock_waits_while_a_batch_runs_throttle_the_backfill() {
    let f = paced_fixture("target-batch-ms = 10\nmax-latency-ms = 5\nmax-pause-ms = 40\n");
    let db = Arc::new(Mutex::new(FakeDb::default()));
    {
        let mut d = db.lock().unwrap();
        d.keys = (1..=150_000).collect();
        d.ms_per_key = 0.002;
        // The application's updates wait behind each batch, and only while it runs: a
        // sample after the commit sees nothing.
        d.waits_during_batches = Some((2, 30));
    }
    let relief = {
        let db = db.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
            db.lock().unwrap().waits_during_batches = None;
        })
    };
    let (events, rows) = run_paced(&f, &db).await;
    relief.await.unwrap();
    assert_eq!(rows, 150_000);
    let b = batches(&events);
    let throttled: Vec<_> = b.iter().filter(|(.., t)| t != "-").collect();
    assert!(!throttled.is_empty(), "{b:?}");
    assert!(
        throttled[0]
            .2
            .contains("2 sessions waiting on locks (longest 30 ms)"),
        "{b:?}"
    );
    // Backed off to small batches and the longest pause (a batch too small to catch a
    // waiting session in the act lets it grow again).
    assert!(b.iter().any(|(size, _, _)| *size < 1_000), "{b:?}");
    assert!(b.iter().any(|(_, pause, _)| *pause == 40), "{b:?}");
    // Once nothing waits, it speeds back up.
    let last = &b[b.len() - 2];
    assert!(last.0 > 1_000 && last.1 == 0 && last.2 == "-", "{b:?}");
}

// Paused time: the fake's batches and probes take what it says, whatever the machine's load.
#[tokio::test(start_paused = true)]
async fn short_lock_waits_within_the_budget_do_not_throttle() {
    let f = paced_fixture("target-batch-ms = 10\nmax-latency-ms = 50\n");
    let db = Arc::new(Mutex::new(FakeDb::default()));
    {
        let mut d = db.lock().unwrap();
        d.keys = (1..=40_000).collect();
        d.ms_per_key = 0.002;
        d.waits_during_batches = Some((1, 2));
    }
    let (events, rows) = run_paced(&f, &db).await;
    assert_eq!(rows, 40_000);
    let b = batches(&events);
    assert!(b.iter().all(|(.., t)| t == "-"), "{b:?}");
    // The waits were sampled, from a second session, while the batches ran.
    let log = db.lock().unwrap().log.clone();
    assert!(
        log.iter()
            .filter(|s| s.contains("wait_event_type = 'Lock'"))
            .count()
            >= b.len(),
        "{}",
        log.len()
    );
}
