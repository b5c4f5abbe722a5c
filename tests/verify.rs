//! `migrate verify` against the real servers: rollbacks that hold are proven, a down script
//! that forgets an index is refuted with a diff naming it and the walk goes on to the end,
//! accepted differences prove with a note, a contract's down script is verified, a
//! verify.sql that checks nothing is refuted, the CLI's JSON and exit codes, and every
//! scratch database is gone afterwards.
//!
//! Needs both servers (scripts/test.sh starts them). Each test verifies through the admin
//! URL of its own fresh database (`common::db::Scratch`), so tests running side by side
//! never look at each other's scratch databases: each checks the name its run reports.

mod common;

use bellows::catalog::layout::Catalog;
use bellows::catalog::sum::{self, proof_status, script_hash, ProofStatus, SumFile};
use bellows::runner::url::DbUrl;
use bellows::runner::verify::{
    stage, verify, MigrationVerdict, Verdict, VerifyError, VerifyOptions, VerifyRun,
};
use common::db::{Engine, Scratch};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/catalogs")
        .join(name)
        .join("migrations")
}

fn load(name: &str) -> Catalog {
    Catalog::load(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs `migrate verify` over the whole catalog (or `only` one migration) through the
/// scratch server's admin URL; returns the run and the progress lines.
async fn run_verify(
    server: &Scratch,
    catalog: &Catalog,
    only: Option<&str>,
) -> (Result<VerifyRun, VerifyError>, Vec<String>) {
    let url = DbUrl::parse(&server.url()).unwrap();
    let order: Vec<&str> = catalog.migrations.iter().map(|m| m.id.as_str()).collect();
    let options = VerifyOptions {
        only: only.map(str::to_owned),
    };
    let mut lines = Vec::new();
    let result = verify(catalog, &order, &url, &options, &mut |l| {
        lines.push(l.to_owned())
    })
    .await;
    (result, lines)
}

/// Whether a database of that name exists on the server.
fn database_exists(server: &Scratch, name: &str) -> bool {
    let sql = match server.engine {
        Engine::Postgres => format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
        Engine::Mariadb => {
            format!("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'")
        }
    };
    server.sql(&sql) != "0"
}

/// The scratch databases a run made, from its progress lines.
fn created(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            l.strip_prefix("creating scratch database ")
                .or_else(|| l.split_once(" into ").map(|(_, name)| name))
        })
        .map(str::to_owned)
        .collect()
}

fn assert_dropped(server: &Scratch, run: &VerifyRun, lines: &[String]) {
    assert!(
        run.database.starts_with("bellows_verify_"),
        "{}",
        run.database
    );
    let made = created(lines);
    assert!(made.contains(&run.database), "{lines:?}");
    for name in made {
        assert!(!database_exists(server, &name), "{name} was left behind");
    }
}

fn outcomes(run: &VerifyRun) -> Vec<(&str, &str)> {
    run.verdicts
        .iter()
        .map(|v| (v.id.as_str(), v.outcome.name()))
        .collect()
}

fn failure(v: &MigrationVerdict) -> &bellows::runner::verify::VerifyFailure {
    match &v.outcome {
        Verdict::Refuted(f) | Verdict::FailedUp(f) => f,
        other => panic!("{}: {other:?}", v.id),
    }
}

/// A native catalog in a temporary directory from `(path, text)` pairs.
fn write_catalog(files: &[(&str, &str)]) -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join("migrations").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let catalog = Catalog::load(&dir.path().join("migrations")).unwrap();
    (dir, catalog)
}

async fn good_catalog_is_proven(engine: Engine, name: &str, family: &str) {
    let server = Scratch::new(engine);
    let catalog = load(name);
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_dropped(&server, &run, &lines);
    assert!(
        run.engine.starts_with(&format!("{family}-")),
        "{}",
        run.engine
    );
    assert!(!run.failed());
    assert_eq!(run.rebuilds, 0);
    assert_eq!(run.verdicts.len(), catalog.migrations.len());
    assert!(lines.iter().any(|l| l.contains(&run.database)), "{lines:?}");
    for (v, m) in run.verdicts.iter().zip(&catalog.migrations) {
        assert_eq!(v.id, m.id);
        assert_eq!(v.outcome, Verdict::Proven, "{}: {:?}", v.id, v.outcome);
        let proof = v.proof.as_ref().expect("a proven migration has a proof");
        assert_eq!(proof.id, m.id);
        assert_eq!(proof.up, script_hash(&m.up_text().unwrap()));
        assert_eq!(
            proof.down,
            script_hash(&m.down_text().unwrap().expect("a down script"))
        );
        assert_eq!(proof.engine, run.engine);
    }
    // The schema before the first migration is empty; after it, it is not.
    let first = run.verdicts[0].proof.as_ref().unwrap();
    assert_ne!(first.s0, first.s1);
    // The backfill changes data only: its schema before and after are the same.
    let backfill = run.verdicts[2].proof.as_ref().unwrap();
    assert_eq!(backfill.s0, backfill.s1);

    // The proofs survive bellows.sum and prove the rollbacks for the engine's family.
    let mut sum = sum::compute(&catalog).unwrap();
    for p in run.proofs() {
        sum.set_proof(p.clone());
    }
    let read = SumFile::parse(&sum.render()).unwrap();
    assert_eq!(read, sum);
    let proofs = read.parsed_proofs();
    assert_eq!(proofs, run.proofs().cloned().collect::<Vec<_>>());
    assert!(sum::check(&catalog, &read).unwrap().is_empty());
    for m in &catalog.migrations {
        assert_eq!(
            proof_status(m, &proofs, &run.engine).unwrap(),
            ProofStatus::Proven,
            "{}",
            m.id
        );
        assert_eq!(
            proof_status(m, &proofs, &format!("{family}-99.0")).unwrap(),
            ProofStatus::Proven
        );
    }
    // Verifying again on the same engine replaces the proofs rather than adding lines.
    let (again, lines) = run_verify(&server, &catalog, None).await;
    let again = again.unwrap();
    assert_dropped(&server, &again, &lines);
    let mut twice = read.clone();
    for p in again.proofs() {
        twice.set_proof(p.clone());
    }
    assert_eq!(twice.proofs.len(), catalog.migrations.len());
    assert_eq!(twice.parsed_proofs(), proofs, "snapshots are stable");
}

async fn forgotten_index_is_refuted_and_the_walk_goes_on(engine: Engine, name: &str) {
    let server = Scratch::new(engine);
    let catalog = load(name);
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_dropped(&server, &run, &lines);
    assert_eq!(
        outcomes(&run),
        [
            ("0001_create_users", "proven"),
            ("0002_add_users_nickname", "refuted"),
            // Verified on the state rebuilt after the refutation.
            ("0003_create_orders", "proven"),
        ]
    );
    assert_eq!(run.rebuilds, 1);
    assert!(run.failed());
    let (id, failure) = run.failure().expect("a failure");
    assert_eq!(id, "0002_add_users_nickname");
    assert_eq!(failure.stage, stage::DOWN_DIFFERS);
    assert!(
        failure
            .message
            .contains("left behind: index users_name_idx on users"),
        "{}",
        failure.message
    );
    assert_eq!(failure.differences, ["index users_name_idx on users"]);
    let diff = failure.diff.as_deref().expect("a diff");
    assert!(
        diff.starts_with("--- before up (S0)\n+++ after down\n"),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("users_name_idx")),
        "{diff}"
    );
    assert!(run.verdicts[1].proof.is_none());
    assert!(run.verdicts[2].proof.is_some());
}

/// A broken migration in the middle: every one after it is still verified, on a state
/// rebuilt with the up scripts (a template copy on PostgreSQL, a replay on MariaDB).
async fn broken_in_the_middle(engine: Engine) {
    let server = Scratch::new(engine);
    let (_dir, catalog) = write_catalog(&[
        ("0001_users/up.sql", "CREATE TABLE users (id int PRIMARY KEY, name varchar(50));\n"),
        ("0001_users/down.sql", "DROP TABLE users;\n"),
        ("0002_name_index/up.sql", "CREATE INDEX users_name_idx ON users (name);\n"),
        ("0002_name_index/down.sql", "SELECT 1;\n"),
        ("0003_bad_down/up.sql", "CREATE TABLE tags (id int);\n"),
        ("0003_bad_down/down.sql", "DROP TABLE no_such_table;\n"),
        ("0004_orders/up.sql", "CREATE TABLE orders (id int, user_id int);\nCREATE INDEX orders_user_idx ON orders (user_id);\n"),
        ("0004_orders/down.sql", "DROP TABLE orders;\n"),
        ("0005_more/up.sql", "ALTER TABLE users ADD COLUMN email varchar(100);\n"),
        ("0005_more/down.sql", "ALTER TABLE users DROP COLUMN email;\n"),
    ]);
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap_or_else(|e| panic!("{engine:?}: {e:?}"));
    assert_dropped(&server, &run, &lines);
    assert_eq!(
        outcomes(&run),
        [
            ("0001_users", "proven"),
            ("0002_name_index", "refuted"),
            ("0003_bad_down", "refuted"),
            ("0004_orders", "proven"),
            ("0005_more", "proven"),
        ],
        "{engine:?}"
    );
    assert_eq!(run.rebuilds, 2);
    assert_eq!(failure(&run.verdicts[2]).stage, stage::DOWN);
    assert!(
        failure(&run.verdicts[2])
            .message
            .starts_with("down.sql line 1"),
        "{}",
        failure(&run.verdicts[2]).message
    );
    // The index 0002's down left behind is gone after the rebuild: 0004 starts clean.
    assert_eq!(run.proofs().count(), 3);
    assert!(lines
        .iter()
        .any(|l| l == "0002_name_index: rebuilding the state after it"));
}

#[tokio::test]
async fn postgres_good_catalog_is_proven() {
    good_catalog_is_proven(Engine::Postgres, "verify-good-postgres", "postgresql").await;
}

#[tokio::test]
async fn mariadb_good_catalog_is_proven() {
    good_catalog_is_proven(Engine::Mariadb, "verify-good-mysql", "mariadb").await;
}

#[tokio::test]
async fn postgres_forgotten_index_is_refuted_and_the_walk_goes_on() {
    forgotten_index_is_refuted_and_the_walk_goes_on(
        Engine::Postgres,
        "verify-forgets-index-postgres",
    )
    .await;
}

#[tokio::test]
async fn mariadb_forgotten_index_is_refuted_and_the_walk_goes_on() {
    forgotten_index_is_refuted_and_the_walk_goes_on(Engine::Mariadb, "verify-forgets-index-mysql")
        .await;
}

#[tokio::test]
async fn postgres_broken_migration_in_the_middle() {
    broken_in_the_middle(Engine::Postgres).await;
}

#[tokio::test]
async fn mariadb_broken_migration_in_the_middle() {
    broken_in_the_middle(Engine::Mariadb).await;
}

/// A backfill's down script with the batch placeholders runs batch by batch, as `migrate
/// rollback` runs it. Each batch writes its width into `v`, and a check allows only the
/// up's values or a width of at most 2 (`batch_size = 2`): run as one batch over the ten
/// keys, or with the placeholders sent as they are, the down fails and is refuted.
async fn a_batched_down_runs_batch_by_batch(engine: Engine) {
    let server = Scratch::new(engine);
    let (_dir, catalog) = write_catalog(&[
        (
            "0001_fill_batches/up.sql",
            "CREATE TABLE fill_batches (id int PRIMARY KEY, v int, \
             CONSTRAINT fill_batches_small CHECK (v IS NULL OR v > 100 OR v <= 2));\n\
             INSERT INTO fill_batches (id) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10);\n",
        ),
        ("0001_fill_batches/down.sql", "DROP TABLE fill_batches;\n"),
        (
            "0002_backfill_v/migration.toml",
            "phase = \"backfill\"\n[backfill]\ntable = \"fill_batches\"\nkey = \"id\"\nbatch_size = 2\n",
        ),
        (
            "0002_backfill_v/up.sql",
            "UPDATE fill_batches SET v = id + 1000 WHERE id >= :batch_start AND id < :batch_end;\n",
        ),
        (
            "0002_backfill_v/down.sql",
            "UPDATE fill_batches SET v = :batch_end - :batch_start\n\
             WHERE id >= :batch_start AND id < :batch_end;\n",
        ),
        (
            "0002_backfill_v/verify.sql",
            "SELECT count(*) FROM fill_batches WHERE v IS NULL OR v < 1000;\n",
        ),
    ]);
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap_or_else(|e| panic!("{engine:?}: {e:?}"));
    assert_dropped(&server, &run, &lines);
    assert_eq!(
        outcomes(&run),
        [
            ("0001_fill_batches", "proven"),
            ("0002_backfill_v", "proven")
        ],
        "{engine:?}: {:?}",
        run.failure()
    );

    // The same down without the batch size: one batch of ten keys breaks the check.
    let (_dir, catalog) = write_catalog(&[
        (
            "0001_fill_batches/up.sql",
            "CREATE TABLE fill_batches (id int PRIMARY KEY, v int, \
             CONSTRAINT fill_batches_small CHECK (v IS NULL OR v > 100 OR v <= 2));\n\
             INSERT INTO fill_batches (id) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10);\n",
        ),
        ("0001_fill_batches/down.sql", "DROP TABLE fill_batches;\n"),
        (
            "0002_backfill_v/migration.toml",
            "phase = \"backfill\"\n[backfill]\ntable = \"fill_batches\"\nkey = \"id\"\n",
        ),
        (
            "0002_backfill_v/up.sql",
            "UPDATE fill_batches SET v = id + 1000 WHERE id >= :batch_start AND id < :batch_end;\n",
        ),
        (
            "0002_backfill_v/down.sql",
            "UPDATE fill_batches SET v = :batch_end - :batch_start\n\
             WHERE id >= :batch_start AND id < :batch_end;\n",
        ),
    ]);
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap_or_else(|e| panic!("{engine:?}: {e:?}"));
    assert_dropped(&server, &run, &lines);
    assert_eq!(
        outcomes(&run),
        [
            ("0001_fill_batches", "proven"),
            ("0002_backfill_v", "refuted")
        ],
        "{engine:?}"
    );
    let f = failure(&run.verdicts[1]);
    assert_eq!(f.stage, stage::DOWN, "{engine:?}: {}", f.message);
    assert!(f.message.starts_with("down.sql line 1"), "{}", f.message);
}

#[tokio::test]
async fn postgres_a_batched_down_runs_batch_by_batch() {
    a_batched_down_runs_batch_by_batch(Engine::Postgres).await;
}

#[tokio::test]
async fn mariadb_a_batched_down_runs_batch_by_batch() {
    a_batched_down_runs_batch_by_batch(Engine::Mariadb).await;
}

/// Found on a real history: views, defaults and index predicates written with `'now'` are
/// folded into the moment they are created, and must not refute a rollback.
#[tokio::test]
async fn literals_folded_from_now_do_not_refute() {
    let server = Scratch::new(Engine::Postgres);
    let catalog = load("verify-now-folded-postgres");
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap();
    assert_dropped(&server, &run, &lines);
    assert_eq!(
        outcomes(&run),
        [
            ("0001_create_posts", "proven"),
            ("0002_rank_recent_posts", "proven")
        ],
        "{:?}",
        run.failure()
    );
}

#[tokio::test]
async fn an_accepted_difference_proves_with_a_note_and_a_stale_one_is_named() {
    let server = Scratch::new(Engine::Postgres);
    let (_dir, catalog) = write_catalog(&[
        (
            "0001_t/up.sql",
            "CREATE TABLE t (a int);\nCREATE VIEW v AS SELECT a FROM t;\n",
        ),
        ("0001_t/down.sql", "DROP VIEW v;\nDROP TABLE t;\n"),
        (
            "0002_v/up.sql",
            "CREATE OR REPLACE VIEW v AS SELECT a, 1 AS one FROM t;\n",
        ),
        // Reviewed: the restored view filters on a constant, which changes nothing.
        (
            "0002_v/down.sql",
            "DROP VIEW v;\nCREATE VIEW v AS SELECT a FROM t WHERE true;\n",
        ),
        (
            "0002_v/migration.toml",
            "[verify]\naccept = [\"view v: definition\", \"index gone on t\"]\n",
        ),
        ("0003_w/up.sql", "CREATE TABLE w (id int);\n"),
        ("0003_w/down.sql", "DROP TABLE w;\n"),
    ]);
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap();
    assert_dropped(&server, &run, &lines);
    assert_eq!(
        outcomes(&run),
        [
            ("0001_t", "proven"),
            ("0002_v", "proven"),
            ("0003_w", "proven")
        ]
    );
    let v = &run.verdicts[1];
    assert_eq!(v.accepted, ["view v: definition"]);
    assert_eq!(v.stale_accepts, ["index gone on t"]);
    let proof = v.proof.as_ref().unwrap();
    assert_eq!(
        proof.accept,
        sum::accept_hash(catalog.migrations[1].meta.accepts())
    );
    // The proof holds for the accept list as it is, and goes stale when it changes.
    let m = &catalog.migrations[1];
    let proofs: Vec<_> = run.proofs().cloned().collect();
    assert_eq!(
        proof_status(m, &proofs, &run.engine).unwrap(),
        ProofStatus::Proven
    );
    let mut changed = m.clone();
    changed.meta.verify = None;
    assert_eq!(
        proof_status(&changed, &proofs, &run.engine).unwrap(),
        ProofStatus::Stale
    );

    // Without the accept list, the same difference refutes.
    std::fs::remove_file(_dir.path().join("migrations/0002_v/migration.toml")).unwrap();
    let catalog = Catalog::load(&_dir.path().join("migrations")).unwrap();
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap();
    assert_dropped(&server, &run, &lines);
    assert_eq!(run.verdicts[1].outcome.name(), "refuted");
    assert_eq!(
        failure(&run.verdicts[1]).differences,
        ["view v: definition"]
    );
}

#[tokio::test]
async fn a_contract_with_a_down_script_is_verified() {
    for engine in [Engine::Postgres, Engine::Mariadb] {
        let server = Scratch::new(engine);
        let (_dir, catalog) = write_catalog(&[
            (
                "0001_t/up.sql",
                "CREATE TABLE t (id int, legacy varchar(20));\n",
            ),
            ("0001_t/down.sql", "DROP TABLE t;\n"),
            (
                "0002_drop_legacy/up.sql",
                "ALTER TABLE t DROP COLUMN legacy;\n",
            ),
            (
                "0002_drop_legacy/down.sql",
                "ALTER TABLE t ADD COLUMN legacy varchar(20);\n",
            ),
            ("0002_drop_legacy/migration.toml", "phase = \"contract\"\n"),
            // Inferred a contract (no declared phase), with a down that does not restore.
            ("0003_drop_t/up.sql", "DROP TABLE t;\n"),
            ("0003_drop_t/down.sql", "CREATE TABLE t (id bigint);\n"),
            ("0004_gone/up.sql", "CREATE TABLE u (id int);\n"),
            ("0004_gone/down.sql", "DROP TABLE u;\n"),
            ("0004_gone/migration.toml", "irreversible = true\n"),
        ]);
        let (result, lines) = run_verify(&server, &catalog, None).await;
        let run = result.unwrap();
        assert_dropped(&server, &run, &lines);
        assert_eq!(
            outcomes(&run),
            [
                ("0001_t", "proven"),
                ("0002_drop_legacy", "proven"),
                ("0003_drop_t", "refuted"),
                ("0004_gone", "irreversible"),
            ],
            "{engine:?}"
        );
        assert!(
            failure(&run.verdicts[2])
                .differences
                .contains(&"table t: column id: definition".to_owned()),
            "{:?}",
            failure(&run.verdicts[2])
        );
    }
}

/// The CLI: text and JSON reports, proofs written for the proven migrations even when
/// another is refuted, exit 1 for a refutation, 0 when all hold, 2 when it cannot run.
#[test]
fn the_cli_reports_every_outcome_and_exits_by_them() {
    let server = Scratch::new(Engine::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("bellows.toml"), "dialect = \"postgres\"\n").unwrap();
    let files = [
        ("0001_a/up.sql", "CREATE TABLE a (id int);\n"),
        ("0001_a/down.sql", "DROP TABLE a;\n"),
        ("0002_b/up.sql", "CREATE INDEX a_id_idx ON a (id);\n"),
        ("0002_b/down.sql", "SELECT 1;\n"),
        ("0003_c/up.sql", "CREATE TABLE c (id int);\n"),
    ];
    for (rel, text) in files {
        let p = root.join("migrations").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let bellows = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_bellows"))
            .current_dir(root)
            .args(["migrate", "verify", "--scratch-url"])
            .args(args)
            .output()
            .unwrap()
    };
    let url = server.url();
    let out = bellows(&[&url, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = v["migrations"].as_array().unwrap();
    let got: Vec<(&str, &str)> = m
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("0001_a", "proven"),
            ("0002_b", "refuted"),
            ("0003_c", "up-only")
        ]
    );
    assert_eq!(m[1]["failure"]["stage"], "down != before up");
    assert_eq!(
        m[1]["failure"]["differences"],
        serde_json::json!(["index a_id_idx on a"])
    );
    assert!(m[0]["proof"]["line"]
        .as_str()
        .unwrap()
        .starts_with("proof 0001_a "));
    for key in ["accepted", "stale_accepts", "elapsed_ms", "reason"] {
        assert!(m[0].get(key).is_some(), "{key}");
    }
    let summary = &v["summary"];
    assert_eq!(summary["migrations"], 3);
    assert_eq!(summary["proven"], 1);
    assert_eq!(summary["refuted"], 1);
    assert_eq!(summary["up_only"], 1);
    assert_eq!(summary["rebuilds"], 1);
    assert!(summary["seconds"].as_f64().is_some());
    // The proven migration's proof is written although another was refuted.
    let sum = std::fs::read_to_string(root.join("bellows.sum")).unwrap();
    assert!(sum.contains("proof 0001_a "), "{sum}");
    assert!(!sum.contains("proof 0002_b "), "{sum}");

    // Fixed: every outcome holds, exit 0; the text report ends with the summary.
    std::fs::write(
        root.join("migrations/0002_b/down.sql"),
        "DROP INDEX a_id_idx;\n",
    )
    .unwrap();
    let out = bellows(&[&url, "--no-write"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("3 migrations in ")
            && last.contains(": 2 proven, 0 refuted, 0 failed up, 1 up only"),
        "{last}"
    );

    // No server: a tool failure, exit 2.
    let out = bellows(&["postgres://postgres@127.0.0.1:1/x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn a_verify_sql_that_survives_down_fails() {
    let server = Scratch::new(Engine::Postgres);
    let catalog = load("verify-check-survives-down-postgres");
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap();
    assert_dropped(&server, &run, &lines);
    let (id, failure) = run.failure().expect("a failure");
    assert_eq!(id, "0001_create_users");
    assert_eq!(failure.stage, stage::VERIFY_AFTER_DOWN);
    assert!(
        failure.message.contains("verify.sql"),
        "{}",
        failure.message
    );
    assert!(failure.diff.is_none());
}

#[tokio::test]
async fn only_verifies_one_migration_after_replaying_the_earlier_ones() {
    let server = Scratch::new(Engine::Postgres);
    let catalog = load("verify-forgets-index-postgres");
    let (result, lines) = run_verify(&server, &catalog, Some("0003_create_orders")).await;
    let run = result.unwrap();
    assert_dropped(&server, &run, &lines);
    // 0002's broken down script never runs: it is only replayed up.
    assert_eq!(run.verdicts.len(), 1);
    assert_eq!(run.verdicts[0].id, "0003_create_orders");
    assert_eq!(run.verdicts[0].outcome, Verdict::Proven);
    assert!(
        lines
            .iter()
            .any(|l| l == "0002_add_users_nickname: replaying up"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_failing_statement_is_named_and_the_scratch_database_still_dropped() {
    for engine in [Engine::Postgres, Engine::Mariadb] {
        let server = Scratch::new(engine);
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("0001_broken");
        std::fs::create_dir_all(&m).unwrap();
        std::fs::write(
            m.join("up.sql"),
            "CREATE TABLE t (id int);\n\nINSERT INTO no_such_table VALUES (1);\n",
        )
        .unwrap();
        std::fs::write(m.join("down.sql"), "DROP TABLE t;\n").unwrap();
        let catalog = Catalog::load(dir.path()).unwrap();
        let (result, lines) = run_verify(&server, &catalog, None).await;
        let run = result.unwrap();
        assert_dropped(&server, &run, &lines);
        let (_, failure) = run.failure().expect("a failure");
        assert_eq!(failure.stage, stage::UP);
        assert_eq!(run.verdicts[0].outcome.name(), "failed-up");
        assert!(
            failure
                .message
                .starts_with("up.sql line 3 (`INSERT INTO no_such_table"),
            "{engine:?}: {}",
            failure.message
        );
        assert!(
            failure.message.contains("no_such_table"),
            "{}",
            failure.message
        );
    }
}

#[tokio::test]
async fn a_script_bellows_cannot_send_fails_before_the_server_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("0001_meta");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("up.sql"), "SELECT 1;\n\\i other.sql\n").unwrap();
    let catalog = Catalog::load(dir.path()).unwrap();
    // Nothing listens on port 1: the script error comes first.
    let url = DbUrl::parse("postgres://postgres@127.0.0.1:1/x").unwrap();
    let err = verify(
        &catalog,
        &["0001_meta"],
        &url,
        &VerifyOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, VerifyError::Script { .. }), "{err:?}");
}

#[tokio::test]
async fn connect_failures_keep_the_password_out() {
    let catalog = load("verify-good-postgres");
    let url = DbUrl::parse("postgres://postgres:hunter2-secret@127.0.0.1:1/x").unwrap();
    let err = verify(
        &catalog,
        &["0001_create_users"],
        &url,
        &VerifyOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, VerifyError::Connect { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2-secret"), "{text}");
    assert!(text.contains("127.0.0.1:1"), "{text}");
}
