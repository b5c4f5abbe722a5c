//! `migrate verify` against the real servers: rollbacks that hold are proven, a down script
//! that forgets an index fails with a diff naming it, a verify.sql that checks nothing
//! fails, and the scratch database is gone afterwards every time.
//!
//! Needs both servers (scripts/test.sh starts them). Each test verifies through the admin
//! URL of its own fresh database (`common::db::Scratch`), so tests running side by side
//! never look at each other's scratch databases: each checks the name its run reports.

mod common;

use bellows::catalog::layout::Catalog;
use bellows::catalog::sum::{self, proof_status, script_hash, ProofStatus, SumFile};
use bellows::runner::url::DbUrl;
use bellows::runner::verify::{stage, verify, Verdict, VerifyError, VerifyOptions, VerifyRun};
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

fn assert_dropped(server: &Scratch, run: &VerifyRun) {
    assert!(
        run.database.starts_with("bellows_verify_"),
        "{}",
        run.database
    );
    assert!(
        !database_exists(server, &run.database),
        "{} was left behind",
        run.database
    );
}

async fn good_catalog_is_proven(engine: Engine, name: &str, family: &str) {
    let server = Scratch::new(engine);
    let catalog = load(name);
    let (result, lines) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_dropped(&server, &run);
    assert!(
        run.engine.starts_with(&format!("{family}-")),
        "{}",
        run.engine
    );
    assert!(run.not_verified.is_empty());
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
    let (again, _) = run_verify(&server, &catalog, None).await;
    let again = again.unwrap();
    assert_dropped(&server, &again);
    let mut twice = read.clone();
    for p in again.proofs() {
        twice.set_proof(p.clone());
    }
    assert_eq!(twice.proofs.len(), catalog.migrations.len());
    assert_eq!(twice.parsed_proofs(), proofs, "snapshots are stable");
}

async fn forgotten_index_fails_with_a_diff(engine: Engine, name: &str) {
    let server = Scratch::new(engine);
    let catalog = load(name);
    let (result, _) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_dropped(&server, &run);
    let outcomes: Vec<&str> = run.verdicts.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(outcomes, ["0001_create_users", "0002_add_users_nickname"]);
    assert_eq!(run.verdicts[0].outcome, Verdict::Proven);
    // Verification stops at the failure: 0003 would build on a broken schema.
    assert_eq!(run.not_verified, ["0003_create_orders"]);
    let (id, failure) = run.failure().expect("a failure");
    assert_eq!(id, "0002_add_users_nickname");
    assert_eq!(failure.stage, stage::DOWN_DIFFERS);
    assert!(
        failure.message.contains("users_name_idx"),
        "{}",
        failure.message
    );
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
async fn postgres_forgotten_index_fails_with_a_diff() {
    forgotten_index_fails_with_a_diff(Engine::Postgres, "verify-forgets-index-postgres").await;
}

#[tokio::test]
async fn mariadb_forgotten_index_fails_with_a_diff() {
    forgotten_index_fails_with_a_diff(Engine::Mariadb, "verify-forgets-index-mysql").await;
}

#[tokio::test]
async fn a_verify_sql_that_survives_down_fails() {
    let server = Scratch::new(Engine::Postgres);
    let catalog = load("verify-check-survives-down-postgres");
    let (result, _) = run_verify(&server, &catalog, None).await;
    let run = result.unwrap();
    assert_dropped(&server, &run);
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
    assert_dropped(&server, &run);
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
        let (result, _) = run_verify(&server, &catalog, None).await;
        let run = result.unwrap();
        assert_dropped(&server, &run);
        let (_, failure) = run.failure().expect("a failure");
        assert_eq!(failure.stage, stage::UP);
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
