//! `bellows trace` on the real servers: every rule's fixtures (`setup.sql`, then `bad.sql`
//! and `good.sql`; the `.mysql.sql` files on MariaDB) are traced through the library entry
//! point, and any disagreement between what the server did and the linter's lock facts
//! fails the test. A fixture that cannot be traced is named below with the reason, never
//! skipped silently; one that starts to trace cleanly fails the test until it is taken off
//! the list.
//!
//! Needs both servers (scripts/test.sh starts them): PostgreSQL on 127.0.0.1:5432 (user
//! postgres, trust) and MariaDB on 127.0.0.1:3306 (root, no password).

mod common;

use bellows::rules::{Dialects, RULES};
use bellows::runner::url::DbUrl;
use bellows::trace::{trace_files, RunMode, Trace, TraceOptions, Verdict};
use common::db::{Engine, Scratch};
use std::path::PathBuf;
use std::sync::Arc;

/// Fixture files that are not traced at all: (rule, file, why).
const NOT_TRACED: &[(&str, &str, &str)] = &[
    (
        "drop-schema",
        "bad.mysql.sql",
        "its setup creates the database `reporting` beside the scratch database and the file drops it: tracing it would change a database the trace does not own (tests/servers.rs uses the same one)",
    ),
    (
        "drop-schema",
        "good.mysql.sql",
        "as bad.mysql.sql: it drops the database `reporting`, outside the scratch database",
    ),
];

/// Fixture files traced without their `setup.sql`: (rule, file, why).
const WITHOUT_SETUP: &[(&str, &str, &str)] = &[
    (
        "migration-edited",
        "bad.sql",
        "the file is the edited version of the migration that setup.sql stands for: it creates the same table, so it runs on an empty database",
    ),
    (
        "migration-edited",
        "bad.mysql.sql",
        "as bad.sql: the edited migration creates the table setup.mysql.sql creates",
    ),
];

/// Fixture files the server refuses, as the rule says it would: (rule, file, what the
/// error says, why). The trace must stop with that error; the statements before it are
/// still compared with the linter.
const REFUSED: &[(&str, &str, &str, &str)] = &[
    (
        "add-column-required",
        "bad.sql",
        "contains null values",
        "a NOT NULL column without a default has no value for the rows the trace seeds: the failure the rule warns about",
    ),
    (
        "concurrent-in-transaction",
        "bad.sql",
        "cannot run inside a transaction block",
        "CREATE INDEX CONCURRENTLY inside the file's BEGIN … COMMIT: the server refuses it, as the rule says",
    ),
    (
        "algorithm-instant-unsupported",
        "bad.sql",
        "ALGORITHM=INSTANT is not supported",
        "MariaDB cannot add an index instantly: the server refuses, as the rule says",
    ),
    (
        "syntax-error",
        "bad.sql",
        "syntax error",
        "the file is not SQL (`CREAT INDEX`)",
    ),
    (
        "syntax-error",
        "bad.mysql.sql",
        "unclosed quote",
        "an unterminated string: bellows cannot cut the file into statements to send",
    ),
    (
        "syntax-error",
        "good.sql",
        "psql meta-command",
        "it ends with `\\set ON_ERROR_STOP on`, which only psql understands; the runner refuses such scripts too",
    ),
];

/// One fixture file to trace.
#[derive(Debug, Clone)]
struct Run {
    rule: &'static str,
    engine: Engine,
    file: PathBuf,
    setup: Option<PathBuf>,
}

impl Run {
    fn file_name(&self) -> String {
        self.file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    }

    fn label(&self) -> String {
        format!("{}/{} on {:?}", self.rule, self.file_name(), self.engine)
    }

    fn listed<T>(&self, list: &[T], key: impl Fn(&T) -> (&str, &str)) -> bool {
        let name = self.file_name();
        list.iter().any(|e| key(e) == (self.rule, name.as_str()))
    }
}

/// Every fixture file, with the engine it belongs to (as tests/servers.rs pairs them).
fn runs() -> Vec<Run> {
    let mut out = Vec::new();
    for rule in RULES {
        let meta = rule.meta();
        let dir = common::fixture_dir(meta.name);
        let engines: &[(Engine, &str)] = match meta.dialects {
            Dialects::Postgres => &[(Engine::Postgres, "")],
            Dialects::Mysql => &[(Engine::Mariadb, "")],
            Dialects::Both => &[(Engine::Postgres, ""), (Engine::Mariadb, ".mysql")],
        };
        for (engine, suffix) in engines {
            for kind in ["bad", "good"] {
                let file = dir.join(format!("{kind}{suffix}.sql"));
                if !file.exists() {
                    continue;
                }
                let setup = dir.join(format!("setup{suffix}.sql"));
                out.push(Run {
                    rule: meta.name,
                    engine: *engine,
                    file,
                    setup: setup.exists().then_some(setup),
                });
            }
        }
    }
    out
}

/// Traces every run, several side by side (each in its own scratch database).
fn trace_all(runs: &[Run], pg: &DbUrl, maria: &DbUrl) -> Vec<Result<Trace, String>> {
    // One client thread is plenty: the servers do the work.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    let (pg, maria) = (Arc::new(pg.clone()), Arc::new(maria.clone()));
    local.block_on(&runtime, async {
        // Creating and dropping a scratch database costs PostgreSQL a checkpoint: many
        // side by side share them. A PostgreSQL trace holds at most three connections
        // (admin, scratch, the second session that watches CONCURRENTLY).
        let pg_limit = Arc::new(tokio::sync::Semaphore::new(10));
        let maria_limit = Arc::new(tokio::sync::Semaphore::new(8));
        let mut set = tokio::task::JoinSet::new();
        for (i, run) in runs.iter().cloned().enumerate() {
            let (url, limit) = match run.engine {
                Engine::Postgres => (pg.clone(), pg_limit.clone()),
                Engine::Mariadb => (maria.clone(), maria_limit.clone()),
            };
            let setup: Vec<PathBuf> = match &run.setup {
                Some(s) if !run.listed(WITHOUT_SETUP, |e| (e.0, e.1)) => vec![s.clone()],
                _ => Vec::new(),
            };
            set.spawn_local(async move {
                let _permit = limit.acquire_owned().await.expect("the semaphore is open");
                let result = trace_files(&url, &setup, &run.file, &TraceOptions::default())
                    .await
                    .map_err(|e| e.to_string());
                (i, result)
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = set.join_next().await {
            out.push(joined.expect("a trace does not panic"));
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, r)| r).collect()
    })
}

#[test]
fn every_fixture_traces_as_the_linter_says() {
    let started = std::time::Instant::now();
    // The URLs name these databases; the trace must leave them alone.
    let pg = Scratch::new(Engine::Postgres);
    let maria = Scratch::new(Engine::Mariadb);
    let pg_url = DbUrl::parse(&pg.url()).expect("a PostgreSQL URL");
    let maria_url = DbUrl::parse(&maria.url()).expect("a MariaDB URL");

    let all = runs();
    assert!(all.len() > 100, "only {} fixture files found", all.len());
    for (rule, file, _) in NOT_TRACED.iter().chain(WITHOUT_SETUP) {
        assert!(
            all.iter()
                .any(|r| (r.rule, r.file_name().as_str()) == (*rule, *file)),
            "{rule}/{file} is listed but is not a fixture"
        );
    }
    let runs: Vec<Run> = all
        .into_iter()
        .filter(|r| !r.listed(NOT_TRACED, |e| (e.0, e.1)))
        .collect();
    let results = trace_all(&runs, &pg_url, &maria_url);

    let mut problems = Vec::new();
    let mut counts = [0usize; 4];
    let mut second_session = 0;
    for (run, result) in runs.iter().zip(&results) {
        let refused = REFUSED
            .iter()
            .find(|e| (e.0, e.1) == (run.rule, run.file_name().as_str()));
        let error = match result {
            Err(e) => Some(e.clone()),
            Ok(trace) => trace.failed_statement().and_then(|s| s.error.clone()),
        };
        match (refused, &error) {
            (None, Some(e)) => problems.push(format!("{}: {e}", run.label())),
            (Some((_, _, _, why)), None) => problems.push(format!(
                "{}: listed as refused ({why}), but it traced: take it off REFUSED",
                run.label()
            )),
            (Some((_, _, expected_text, _)), Some(e)) if !e.contains(expected_text) => problems
                .push(format!(
                    "{}: expected an error saying `{expected_text}`, got: {e}",
                    run.label()
                )),
            _ => {}
        }
        let Ok(trace) = result else { continue };
        for d in trace.disagreements() {
            problems.push(format!(
                "{}: statement {} (line {}): {}",
                run.label(),
                d.statement,
                d.line,
                d.message
            ));
        }
        for s in &trace.statements {
            counts[match s.check.verdict {
                Verdict::Agrees => 0,
                Verdict::Disagrees => 1,
                Verdict::NoStaticFact => 2,
                Verdict::NotCompared => 3,
            }] += 1;
            second_session += usize::from(s.run == RunMode::SecondSession);
        }
    }
    eprintln!(
        "traced {} fixture files in {:.1?}: {} statements agree, {} disagree, {} without a static fact, {} not compared; {second_session} watched from a second session",
        runs.len(),
        started.elapsed(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // The corpus must exercise both ways of reading locks and every verdict that matters.
    assert!(counts[0] > 150, "only {} statements compared", counts[0]);
    assert!(
        second_session >= 8,
        "only {second_session} CONCURRENTLY statements"
    );

    // The databases the URLs name were never touched.
    assert_eq!(
        pg.sql("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"),
        "0"
    );
    assert_eq!(
        maria.sql("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"),
        "0"
    );
    // Every scratch database is gone.
    let pattern = format!("bellows\\_trace\\_{}\\_%", std::process::id());
    assert_eq!(
        pg.sql(&format!(
            "SELECT count(*) FROM pg_database WHERE datname LIKE '{pattern}'"
        )),
        "0"
    );
    assert_eq!(
        maria.sql(&format!(
            "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{pattern}'"
        )),
        "0"
    );
}

fn bellows(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bellows"))
        .current_dir(dir)
        .arg("trace")
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("bellows runs")
}

/// The command: a catalog migration by id, directory or up script; the three formats; and
/// the exit status for agreement (0), disagreement (1) and a refused statement (2).
#[test]
fn the_command_traces_a_catalog_migration() {
    let pg = Scratch::new(Engine::Postgres);
    let maria = Scratch::new(Engine::Mariadb);
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");

    let safe = examples.join("postgres-safe");
    let out = bellows(
        &safe,
        &[
            "migrations/0005_index_orders_placed_by_user_id",
            "--database-url",
            &pg.url(),
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["outcome"], "agrees");
    assert_eq!(v["migration"], "0005_index_orders_placed_by_user_id");
    assert_eq!(v["replayed"].as_array().map(Vec::len), Some(4));
    let index = &v["statements"][1];
    assert_eq!(index["run"], "second_session");
    assert_eq!(index["caught_waiting"], true);
    assert_eq!(
        index["check"]["facets"][0]["linter"],
        "SHARE UPDATE EXCLUSIVE"
    );

    // A statement the server refuses: the partial trace, then exit 2.
    let unsafe_pg = examples.join("postgres-unsafe");
    let out = bellows(
        &unsafe_pg,
        &["0004", "--database-url", &pg.url(), "--format", "md"],
    );
    assert_eq!(out.status.code(), Some(2));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.starts_with("# Trace of `0004_invoices_order_fk`"),
        "{md}"
    );
    assert!(md.contains("| 1 | 2 |"), "{md}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("contains null values"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let unsafe_my = examples.join("mysql-unsafe");
    let out = bellows(
        &unsafe_my,
        &[
            "migrations/0007_housekeeping/up.sql",
            "--database-url",
            &maria.url(),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("storage    new empty storage: table login_events"),
        "{text}"
    );
    assert!(
        text.contains("storage    rewritten: table orders"),
        "{text}"
    );

    // The linter cannot see columns created by SQL built at run time, so it assumes a type change
    // rewrites the table; the server knows the widening is free: a disagreement, exit 1.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).expect("migrations directory");
    std::fs::write(
        migrations.join("0001_notes.sql"),
        "DO $$ BEGIN EXECUTE format('CREATE TABLE %I (id bigint PRIMARY KEY, body varchar(10))', 'notes'); END $$;\n",
    )
    .expect("write 0001");
    std::fs::write(
        migrations.join("0002_widen.sql"),
        "ALTER TABLE notes ALTER COLUMN body TYPE varchar(20);\n",
    )
    .expect("write 0002");
    let out = bellows(dir.path(), &["0002", "--database-url", &pg.url()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("rewrite on notes: the linter says rewrite, the server did not rewrite it"),
        "{text}"
    );
}

/// Traces one migration given as text, after its setup, on `url`.
fn trace_text(url: &DbUrl, setup: &str, migration: &str) -> Trace {
    let input = bellows::trace::TraceInput {
        earlier: vec![bellows::trace::TraceScript::new("setup.sql", setup)],
        target: bellows::trace::TraceScript::new("migration.sql", migration),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime
        .block_on(bellows::trace::trace(
            &input,
            url,
            &TraceOptions::default(),
            &mut |_| {},
        ))
        .expect("the trace runs")
}

fn assert_agrees(label: &str, trace: &Trace) {
    let failed = trace.failed_statement().map(|s| {
        format!(
            "statement {} failed: {}",
            s.number,
            s.error.as_deref().unwrap_or_default()
        )
    });
    let problems: Vec<String> = failed
        .into_iter()
        .chain(
            trace
                .disagreements()
                .into_iter()
                .map(|d| format!("statement {} (line {}): {}", d.statement, d.line, d.message)),
        )
        .collect();
    assert!(problems.is_empty(), "{label}:\n{}", problems.join("\n"));
}

/// Operations no rule fixture holds, so that their facts are checked too.
#[test]
fn facts_beyond_the_fixtures_hold() {
    let pg = Scratch::new(Engine::Postgres);
    let url = DbUrl::parse(&pg.url()).expect("a PostgreSQL URL");
    let trace = trace_text(
        &url,
        "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);
         CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
         CREATE TABLE events_2024 (id bigint NOT NULL, at timestamptz NOT NULL);
         CREATE TABLE users (id bigint PRIMARY KEY, email text, score integer);
         CREATE INDEX users_email_idx ON users (email);
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE VIEW user_ids AS SELECT id FROM users;",
        "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CLUSTER users USING users_pkey;
         ALTER INDEX users_email_idx RENAME TO users_email_idx2;
         COMMENT ON TABLE users IS 'people';
         CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
         ALTER TABLE users SET (fillfactor = 90);
         ALTER TABLE users ALTER COLUMN score SET STATISTICS 500;
         ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score > 0) NOT VALID;
         ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x';
         ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
         ALTER TABLE users ALTER COLUMN score SET (n_distinct = 5);
         ALTER TABLE users DISABLE TRIGGER users_touch;
         ALTER TABLE users CLUSTER ON users_pkey;
         ALTER TABLE users REPLICA IDENTITY FULL;
         DROP VIEW user_ids;
         ALTER TABLE users ALTER COLUMN id TYPE integer USING id::integer;
         ALTER TABLE users SET UNLOGGED;
         REINDEX TABLE users;
         ALTER TABLE users DROP COLUMN score;
         TRUNCATE users;",
    );
    assert_agrees("PostgreSQL", &trace);

    let maria = Scratch::new(Engine::Mariadb);
    let url = DbUrl::parse(&maria.url()).expect("a MariaDB URL");
    let trace = trace_text(
        &url,
        "CREATE TABLE parents (id BIGINT PRIMARY KEY) ENGINE=InnoDB;
         CREATE TABLE children (
             id BIGINT PRIMARY KEY,
             parent_id BIGINT NOT NULL,
             name VARCHAR(40) NULL,
             score INT NULL,
             KEY children_name_idx (name),
             CONSTRAINT children_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id),
             CONSTRAINT children_score_check CHECK (score > 0)
         ) ENGINE=InnoDB;",
        "ALTER TABLE children RENAME INDEX children_name_idx TO children_name_key;
         ALTER TABLE children DROP INDEX children_name_key;
         ALTER TABLE children DROP FOREIGN KEY children_parent_fk;
         ALTER TABLE children DROP CONSTRAINT children_score_check;
         ALTER TABLE children ADD CONSTRAINT children_score_positive CHECK (score >= 0);
         ALTER TABLE children ALTER COLUMN score SET DEFAULT 1;
         ALTER TABLE children RENAME COLUMN score TO points;
         ALTER TABLE children MODIFY name VARCHAR(60) NULL;
         ALTER TABLE children COMMENT = 'kids';
         ALTER TABLE children ADD COLUMN tag VARCHAR(10) NULL AFTER id;
         ALTER TABLE children ADD PRIMARY KEY (id, parent_id), DROP PRIMARY KEY;
         ALTER TABLE children ENGINE = InnoDB;
         ALTER TABLE children DROP PRIMARY KEY;
         CREATE INDEX children_points_idx ON children (points);
         RENAME TABLE children TO kids;",
    );
    assert_agrees("MariaDB", &trace);
}
