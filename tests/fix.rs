//! `bellows lint --fix`: each fix on a catalog in a temporary directory, linted before and
//! after (the finding is gone and no error appears).

mod common;

use common::output::text;
use std::path::Path;
use std::process::{Command, Output};

fn bellows(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bellows"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("bellows runs")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Lints, checks `rule` is reported, fixes, and checks the second lint has no `rule` finding
/// and no error at all.
fn fix_clears(dir: &Path, rule: &str, extra: &[&str]) -> Output {
    let mut args = vec!["lint", "migrations"];
    args.extend_from_slice(extra);
    let before = bellows(dir, &args);
    assert!(
        String::from_utf8_lossy(&before.stdout).contains(rule),
        "{rule} should be reported before the fix\n{}",
        text(&before)
    );
    let mut fix_args = args.clone();
    fix_args.push("--fix");
    let fixed = bellows(dir, &fix_args);
    assert!(
        String::from_utf8_lossy(&fixed.stderr).contains("fixed "),
        "{}",
        text(&fixed)
    );
    let after = bellows(dir, &args);
    let out = String::from_utf8_lossy(&after.stdout);
    assert!(
        !out.contains(rule),
        "{rule} still reported\n{}",
        text(&after)
    );
    assert_eq!(after.status.code(), Some(0), "{}", text(&after));
    assert!(out.contains(" 0 errors"), "{}", text(&after));
    after
}

const INIT: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int);\n";

#[test]
fn create_index_gets_concurrently_and_a_directive_in_a_one_file_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    write(
        d,
        "migrations/0002_idx.sql",
        "-- the email lookup\nCREATE UNIQUE INDEX users_email_idx ON users (email);\n",
    );
    fix_clears(
        d,
        "create-index-non-concurrent",
        &["--assume-in-transaction"],
    );
    assert_eq!(
        read(d, "migrations/0002_idx.sql"),
        "-- bellows: no-transaction\n-- the email lookup\nCREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);\n"
    );
}

#[test]
fn create_index_in_the_native_layout_marks_migration_toml() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init/up.sql", INIT);
    write(
        d,
        "migrations/0002_idx/up.sql",
        "CREATE INDEX orders_user_idx ON orders (user_id);\n",
    );
    write(
        d,
        "migrations/0002_idx/migration.toml",
        "phase = \"expand\"\n\n[verify]\naccept = []\n",
    );
    fix_clears(
        d,
        "create-index-non-concurrent",
        &["--assume-in-transaction"],
    );
    assert_eq!(
        read(d, "migrations/0002_idx/migration.toml"),
        "transaction = false\nphase = \"expand\"\n\n[verify]\naccept = []\n"
    );
    assert_eq!(
        read(d, "migrations/0002_idx/up.sql"),
        "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n"
    );
    // Without a migration.toml, one is created.
    write(
        d,
        "migrations/0003_idx2/up.sql",
        "CREATE INDEX orders_total_idx ON orders (total);\n",
    );
    fix_clears(
        d,
        "create-index-non-concurrent",
        &["--assume-in-transaction"],
    );
    assert_eq!(
        read(d, "migrations/0003_idx2/migration.toml"),
        "transaction = false\n"
    );
}

#[test]
fn create_index_in_diesel_goose_and_dbmate_uses_their_markers() {
    // diesel: metadata.toml's run_in_transaction.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "diesel.toml", "");
    write(d, "migrations/2024-01-01-000000_init/up.sql", INIT);
    write(
        d,
        "migrations/2024-01-01-000000_init/down.sql",
        "DROP TABLE orders;\nDROP TABLE users;\n",
    );
    write(
        d,
        "migrations/2024-01-02-000000_idx/up.sql",
        "CREATE INDEX orders_user_idx ON orders (user_id);\n",
    );
    write(
        d,
        "migrations/2024-01-02-000000_idx/down.sql",
        "DROP INDEX orders_user_idx;\n",
    );
    fix_clears(
        d,
        "create-index-non-concurrent",
        &["--assume-in-transaction"],
    );
    assert_eq!(
        read(d, "migrations/2024-01-02-000000_idx/metadata.toml"),
        "run_in_transaction = false\n"
    );

    // goose: `-- +goose NO TRANSACTION`; the down section is left alone.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "migrations/00001_init.sql",
        &format!("-- +goose Up\n{INIT}\n-- +goose Down\nDROP TABLE orders;\n"),
    );
    write(
        d,
        "migrations/00002_idx.sql",
        "-- +goose Up\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- +goose Down\nDROP INDEX orders_user_idx;\n",
    );
    fix_clears(
        d,
        "create-index-non-concurrent",
        &["--assume-in-transaction"],
    );
    assert_eq!(
        read(d, "migrations/00002_idx.sql"),
        "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n\n-- +goose Down\nDROP INDEX orders_user_idx;\n"
    );

    // dbmate: `-- migrate:up transaction:false`.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "migrations/20240101000000_init.sql",
        &format!("-- migrate:up\n{INIT}\n-- migrate:down\nDROP TABLE orders;\n"),
    );
    write(
        d,
        "migrations/20240102000000_idx.sql",
        "-- migrate:up\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- migrate:down\nDROP INDEX orders_user_idx;\n",
    );
    fix_clears(
        d,
        "create-index-non-concurrent",
        &["--assume-in-transaction"],
    );
    assert_eq!(
        read(d, "migrations/20240102000000_idx.sql"),
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n\n-- migrate:down\nDROP INDEX orders_user_idx;\n"
    );
}

#[test]
fn create_index_beside_transactional_statements_is_not_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    let original =
        "ALTER TABLE users ADD COLUMN nick text;\nCREATE INDEX users_email_idx ON users (email);\n";
    write(d, "migrations/0002_idx.sql", original);
    let o = bellows(d, &["lint", "migrations", "--fix"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("0002_idx.sql:2: create-index-non-concurrent not fixed: line 1 (add-column) must stay in the migration's transaction"),
        "{}",
        text(&o)
    );
    // The lock timeout is still fixed; the index statement is not touched.
    let now = read(d, "migrations/0002_idx.sql");
    assert!(now.contains("CREATE INDEX users_email_idx"), "{now}");
    assert!(!now.contains("no-transaction"), "{now}");
}

#[test]
fn drop_index_gets_concurrently() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "migrations/0001_init.sql",
        &format!("{INIT}CREATE INDEX users_email_idx ON users (email);\n"),
    );
    write(
        d,
        "migrations/0002_drop.sql",
        "DROP INDEX IF EXISTS users_email_idx;\n",
    );
    fix_clears(d, "drop-index-non-concurrent", &["--assume-in-transaction"]);
    assert_eq!(
        read(d, "migrations/0002_drop.sql"),
        "-- bellows: no-transaction\nSET lock_timeout = '5s';\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n"
    );
}

#[test]
fn foreign_key_gets_not_valid_and_a_validate_migration_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    write(
        d,
        "migrations/0002_fk.sql",
        "SET lock_timeout = '5s';\nALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);\n",
    );
    fix_clears(d, "constraint-without-not-valid", &[]);
    assert_eq!(
        read(d, "migrations/0002_fk.sql"),
        "SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
    );
    assert_eq!(
        read(d, "migrations/0003_validate_orders_user_id_fkey.sql"),
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;\n"
    );
    // A second --fix has nothing left to do.
    let again = bellows(d, &["lint", "migrations", "--fix"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(again.stderr.is_empty(), "{}", text(&again));
    assert_eq!(std::fs::read_dir(d.join("migrations")).unwrap().count(), 3);
}

#[test]
fn check_constraint_validate_migration_follows_each_layout() {
    let add = "SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);\n";
    // native: a new directory.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init/up.sql", INIT);
    write(d, "migrations/0002_check/up.sql", add);
    fix_clears(d, "constraint-without-not-valid", &[]);
    assert!(read(d, "migrations/0002_check/up.sql").contains("CHECK (total >= 0) NOT VALID;"));
    assert_eq!(
        read(d, "migrations/0003_validate_orders_total_check/up.sql"),
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\n"
    );

    // Flyway: a sub-version between two migrations.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/V1__init.sql", INIT);
    write(d, "migrations/V2__check.sql", add);
    write(d, "migrations/V3__more.sql", "SELECT 1;\n");
    fix_clears(d, "constraint-without-not-valid", &[]);
    assert_eq!(
        read(d, "migrations/V2.1__validate_orders_total_check.sql"),
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\n"
    );

    // sqlx pairs: an up and a down.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/20240101000000_init.up.sql", INIT);
    write(
        d,
        "migrations/20240101000000_init.down.sql",
        "DROP TABLE orders;\n",
    );
    write(d, "migrations/20240102000000_check.up.sql", add);
    write(
        d,
        "migrations/20240102000000_check.down.sql",
        "ALTER TABLE orders DROP CONSTRAINT orders_total_check;\n",
    );
    fix_clears(d, "constraint-without-not-valid", &[]);
    assert!(read(
        d,
        "migrations/20240102000001_validate_orders_total_check.up.sql"
    )
    .contains("VALIDATE CONSTRAINT orders_total_check"));
    assert!(d
        .join("migrations/20240102000001_validate_orders_total_check.down.sql")
        .is_file());

    // goose: the new file has its sections.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "migrations/00001_init.sql",
        &format!("-- +goose Up\n{INIT}"),
    );
    write(
        d,
        "migrations/00002_check.sql",
        &format!("-- +goose Up\n{add}"),
    );
    fix_clears(d, "constraint-without-not-valid", &[]);
    assert_eq!(
        read(d, "migrations/00003_validate_orders_total_check.sql"),
        "-- +goose Up\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\n\n-- +goose Down\n"
    );
}

#[test]
fn no_free_version_leaves_the_constraint_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    let original =
        "SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0);\n";
    write(d, "migrations/0002_check.sql", original);
    write(d, "migrations/0003_next.sql", "SELECT 1;\n");
    let o = bellows(d, &["lint", "migrations", "--fix"]);
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("no version is free between 0002_check and 0003_next"),
        "{}",
        text(&o)
    );
    assert_eq!(read(d, "migrations/0002_check.sql"), original);
}

#[test]
fn lock_timeout_is_set_first_in_both_dialects() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    write(
        d,
        "migrations/0002_col.sql",
        "-- a comment stays\n-- bellows: ignore add-column-required\nALTER TABLE users ADD COLUMN nick text NOT NULL DEFAULT '';\n",
    );
    fix_clears(d, "lock-timeout-missing", &[]);
    assert_eq!(
        read(d, "migrations/0002_col.sql"),
        "-- a comment stays\nSET lock_timeout = '5s';\n-- bellows: ignore add-column-required\nALTER TABLE users ADD COLUMN nick text NOT NULL DEFAULT '';\n"
    );

    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "bellows.toml", "dialect = \"mysql\"\n");
    write(
        d,
        "migrations/0001_init.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100));\n",
    );
    write(
        d,
        "migrations/0002_col.sql",
        "ALTER TABLE users ADD COLUMN nick varchar(10) NULL, ALGORITHM=INSTANT;\n",
    );
    fix_clears(d, "lock-timeout-missing", &[]);
    assert_eq!(
        read(d, "migrations/0002_col.sql"),
        "SET SESSION lock_wait_timeout = 5;\nALTER TABLE users ADD COLUMN nick varchar(10) NULL, ALGORITHM=INSTANT;\n"
    );
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    let original = "SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);\n";
    write(d, "migrations/0002_check.sql", original);
    let o = bellows(d, &["lint", "migrations", "--fix", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(
        diff.contains("--- a/migrations/0002_check.sql\n+++ b/migrations/0002_check.sql\n"),
        "{diff}"
    );
    assert!(
        diff.contains("-ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);\n+ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\n"),
        "{diff}"
    );
    assert!(
        diff.contains("--- /dev/null\n+++ b/migrations/0003_validate_orders_total_check.sql\n@@ -0,0 +1 @@\n+ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\n"),
        "{diff}"
    );
    assert_eq!(read(d, "migrations/0002_check.sql"), original);
    assert!(!d
        .join("migrations/0003_validate_orders_total_check.sql")
        .exists());
}

#[test]
fn a_migration_recorded_in_bellows_sum_is_never_edited() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    let original = "CREATE INDEX users_email_idx ON users (email);\n";
    write(d, "migrations/0002_idx.sql", original);
    common::output::ok(&bellows(d, &["catalog", "sum"]));
    let o = bellows(d, &["lint", "migrations", "--fix"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "0002_idx.sql:1: create-index-non-concurrent not fixed: 0002_idx is recorded in bellows.sum"
        ),
        "{}",
        text(&o)
    );
    assert_eq!(read(d, "migrations/0002_idx.sql"), original);
    // The lint still reports the finding.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

/// Applies the catalog in `d` with `bellows migrate apply` to a scratch database.
fn apply(d: &Path, db: &common::db::Scratch) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bellows"))
        .current_dir(d)
        .env("NO_COLOR", "1")
        .args([
            "migrate",
            "apply",
            "--allow-unproven",
            "--database-url",
            &db.url(),
        ])
        .output()
        .expect("bellows runs")
}

#[test]
fn fixed_migrations_apply_on_postgresql() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "migrations/0001_init.up.sql",
        &format!("{INIT}INSERT INTO users VALUES (1, 'a@example.com');\nINSERT INTO orders VALUES (1, 1, 5);\n"),
    );
    write(
        d,
        "migrations/0001_init.down.sql",
        "DROP TABLE orders;\nDROP TABLE users;\n",
    );
    write(
        d,
        "migrations/0002_idx.up.sql",
        "CREATE INDEX users_email_idx ON users (email);\n",
    );
    write(
        d,
        "migrations/0002_idx.down.sql",
        "DROP INDEX users_email_idx;\n",
    );
    write(
        d,
        "migrations/0003_fk.up.sql",
        "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);\n",
    );
    write(
        d,
        "migrations/0003_fk.down.sql",
        "ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;\n",
    );
    fix_clears(
        d,
        "constraint-without-not-valid",
        &["--assume-in-transaction"],
    );
    let db = common::db::Scratch::new(common::db::Engine::Postgres);
    let o = apply(d, &db);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Progress goes to standard error, the summary to standard output.
    let out = text(&o);
    assert!(
        out.contains("applying 0002_idx (expand, outside a transaction)"),
        "{out}"
    );
    assert!(out.contains("applied 4 steps"), "{out}");
    // The index was built and is valid; the foreign key is validated by the new migration.
    assert_eq!(
        db.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass"),
        "t"
    );
    assert_eq!(
        db.sql("SELECT convalidated FROM pg_constraint WHERE conname = 'orders_user_id_fkey'"),
        "t"
    );
}

#[test]
fn fixed_lock_timeout_applies_on_mariadb() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "bellows.toml", "dialect = \"mysql\"\n");
    write(
        d,
        "migrations/0001_init.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100));\n",
    );
    write(d, "migrations/0001_init.down.sql", "DROP TABLE users;\n");
    write(
        d,
        "migrations/0002_col.up.sql",
        "ALTER TABLE users ADD COLUMN nick varchar(10) NULL, ALGORITHM=INSTANT;\n",
    );
    write(
        d,
        "migrations/0002_col.down.sql",
        "ALTER TABLE users DROP COLUMN nick;\n",
    );
    fix_clears(d, "lock-timeout-missing", &[]);
    let db = common::db::Scratch::new(common::db::Engine::Mariadb);
    let o = apply(d, &db);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        db.sql(&format!(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = '{}' AND table_name = 'users' AND column_name = 'nick'",
            db.name
        )),
        "nick"
    );
}

#[test]
fn findings_in_the_baseline_are_not_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    let original = "CREATE INDEX users_email_idx ON users (email);\n";
    write(d, "migrations/0002_idx.sql", original);
    common::output::ok(&bellows(
        d,
        &["lint", "migrations", "--write-baseline", "baseline.json"],
    ));
    let o = bellows(
        d,
        &["lint", "migrations", "--baseline", "baseline.json", "--fix"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(read(d, "migrations/0002_idx.sql"), original);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("fixed"),
        "{}",
        text(&o)
    );
}

#[test]
fn two_constraints_of_one_migration_are_validated_in_one_new_migration() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "migrations/0001_init.sql", INIT);
    write(
        d,
        "migrations/0002_checks.sql",
        "SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n",
    );
    fix_clears(d, "constraint-without-not-valid", &[]);
    assert_eq!(
        read(d, "migrations/0003_validate_constraints.sql"),
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n"
    );
    assert_eq!(std::fs::read_dir(d.join("migrations")).unwrap().count(), 3);
}

/// ory/pop keeps one script per engine in one directory; without the dialect the catalog
/// cannot be read, and a fix would not know which migration (and which sum entry) a file
/// is. The dialect of bellows.toml chooses, as it does for lint.
#[test]
fn per_engine_scripts_are_matched_to_their_migration_with_the_configured_dialect() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "bellows.toml", "dialect = \"postgres\"\n");
    write(d, "migrations/20240101000000_init.postgres.up.sql", INIT);
    write(d, "migrations/20240101000000_init.mysql.up.sql", INIT);
    let original = "CREATE INDEX users_email_idx ON users (email);\n";
    write(d, "migrations/20240102000000_idx.postgres.up.sql", original);
    write(d, "migrations/20240102000000_idx.mysql.up.sql", original);
    common::output::ok(&bellows(d, &["catalog", "sum"]));
    let o = bellows(d, &["lint", "migrations", "--fix"]);
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("not fixed: 20240102000000_idx is recorded in bellows.sum"),
        "{}",
        text(&o)
    );
    assert_eq!(
        read(d, "migrations/20240102000000_idx.postgres.up.sql"),
        original
    );
}
