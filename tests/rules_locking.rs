//! Focused cases for the locking rules where the fixtures cannot show the subtlety:
//! engine versions, schema facts from earlier migrations, transaction scope.

use bellows::dialect::{Dialect, EngineVersion};
use bellows::lint::{lint_sources, LintSettings};
use bellows::rules::{Finding, RuleSet};
use bellows::source::SourceFile;

/// Lints `sql` after `setup` (an earlier migration) with only `rule` enabled.
fn lint_with(
    rule: &str,
    dialect: Dialect,
    setup: &str,
    sql: &str,
    configure: impl FnOnce(&mut LintSettings),
) -> Vec<Finding> {
    let mut settings = LintSettings::new(dialect);
    let mut rules = RuleSet::default_rules();
    rules
        .select_only(&[rule.to_owned(), "syntax-error".to_owned()])
        .expect("registered rules");
    settings.rules = rules;
    configure(&mut settings);
    let sources = vec![
        SourceFile::new("0001_setup.sql", setup.to_owned()),
        SourceFile::new("0002_change.sql", sql.to_owned()),
    ];
    let result = lint_sources(sources, &settings)
        .pop()
        .expect("one result per source");
    let syntax: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule == "syntax-error")
        .collect();
    assert!(syntax.is_empty(), "test SQL does not parse: {syntax:?}");
    result.findings
}

fn pg(rule: &str, version: &str, setup: &str, sql: &str) -> Vec<Finding> {
    lint_with(rule, Dialect::Postgres, setup, sql, |s| {
        s.version = EngineVersion::parse(version, Dialect::Postgres).expect("valid version")
    })
}

fn mysql(rule: &str, setup: &str, sql: &str) -> Vec<Finding> {
    lint_with(rule, Dialect::Mysql, setup, sql, |_| {})
}

const PG_USERS: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text, name varchar(50));";
const MY_USERS: &str = "CREATE TABLE users (id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, email varchar(255) NULL, name varchar(50) NOT NULL, age int(11) NULL) ENGINE=InnoDB;";

// ---- add-column-volatile-default

#[test]
fn constant_default_rewrites_before_postgres_11_only() {
    let sql = "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';";
    let old = pg("add-column-volatile-default", "10", PG_USERS, sql);
    assert_eq!(old.len(), 1);
    assert!(
        old[0].message.contains("PostgreSQL 10"),
        "{}",
        old[0].message
    );
    assert!(pg("add-column-volatile-default", "11", PG_USERS, sql).is_empty());
}

#[test]
fn stable_default_is_fine_from_postgres_11() {
    let sql =
        "ALTER TABLE users ADD COLUMN expires_at timestamptz DEFAULT now() + interval '30 days';";
    assert!(pg("add-column-volatile-default", "16", PG_USERS, sql).is_empty());
    assert_eq!(
        pg("add-column-volatile-default", "10", PG_USERS, sql).len(),
        1
    );
}

#[test]
fn unknown_expression_default_fires_and_says_so() {
    let sql = "ALTER TABLE users ADD COLUMN slug text DEFAULT make_slug('user');";
    let found = pg("add-column-volatile-default", "16", PG_USERS, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("cannot tell"),
        "{}",
        found[0].message
    );
}

#[test]
fn mysql_expression_default_fires_but_current_timestamp_does_not() {
    let bad = "ALTER TABLE users ADD COLUMN prefs json NULL DEFAULT (JSON_OBJECT());";
    assert_eq!(mysql("add-column-volatile-default", MY_USERS, bad).len(), 1);
    let good =
        "ALTER TABLE users ADD COLUMN seen_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);";
    assert!(mysql("add-column-volatile-default", MY_USERS, good).is_empty());
}

// ---- set-not-null

const PG_VALIDATED_CHECK: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text);
ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;";

#[test]
fn validated_not_null_check_skips_the_scan_from_postgres_12() {
    let sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;";
    assert!(pg("set-not-null", "12", PG_VALIDATED_CHECK, sql).is_empty());
    let old = pg("set-not-null", "11", PG_VALIDATED_CHECK, sql);
    assert_eq!(old.len(), 1);
    assert!(
        old[0].message.contains("validated CHECK"),
        "{}",
        old[0].message
    );
    assert!(
        old[0].help.contains("before PostgreSQL 12"),
        "{}",
        old[0].help
    );
}

#[test]
fn not_valid_check_alone_does_not_skip_the_scan() {
    let setup = "CREATE TABLE users (id bigint PRIMARY KEY, email text);
ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;";
    let sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;";
    assert_eq!(pg("set-not-null", "16", setup, sql).len(), 1);
}

#[test]
fn mysql_not_null_needs_a_known_nullable_column() {
    // Known nullable: fires.
    let sql = "ALTER TABLE users MODIFY email varchar(255) NOT NULL;";
    assert_eq!(mysql("set-not-null", MY_USERS, sql).len(), 1);
    // Already NOT NULL: a rename is not a nullability change.
    let rename = "ALTER TABLE users CHANGE name full_name varchar(50) NOT NULL;";
    assert!(mysql("set-not-null", MY_USERS, rename).is_empty());
    // Unknown to the model: no claim.
    let unknown = "ALTER TABLE accounts MODIFY email varchar(255) NOT NULL;";
    assert!(mysql("set-not-null", MY_USERS, unknown).is_empty());
    // LOCK=NONE: the server refuses instead of blocking.
    let online =
        "ALTER TABLE users MODIFY email varchar(255) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;";
    assert!(mysql("set-not-null", MY_USERS, online).is_empty());
}

// ---- change-column-type

#[test]
fn unknown_old_type_fires_and_says_so() {
    let sql = "ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(14, 2);";
    let found = pg("change-column-type", "16", PG_USERS, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("does not know"),
        "{}",
        found[0].message
    );
}

#[test]
fn using_forces_a_rewrite_even_for_a_widening() {
    let sql = "ALTER TABLE users ALTER COLUMN name TYPE varchar(100) USING trim(name);";
    assert_eq!(pg("change-column-type", "16", PG_USERS, sql).len(), 1);
    let plain = "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);";
    assert!(pg("change-column-type", "16", PG_USERS, plain).is_empty());
}

#[test]
fn varchar_shrink_suggests_a_length_check() {
    let sql = "ALTER TABLE users ALTER COLUMN name TYPE varchar(20);";
    let found = pg("change-column-type", "16", PG_USERS, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].help.contains("char_length(name) <= 20"),
        "{}",
        found[0].help
    );
}

#[test]
fn mysql_same_type_changes_are_not_type_changes() {
    for sql in [
        "ALTER TABLE users CHANGE email email_address varchar(255) NULL;",
        "ALTER TABLE users MODIFY email varchar(255) NOT NULL;",
        "ALTER TABLE users MODIFY age int NULL;",
    ] {
        assert!(
            mysql("change-column-type", MY_USERS, sql).is_empty(),
            "{sql}"
        );
    }
}

#[test]
fn mysql_varchar_growth_across_255_bytes_fires() {
    // 50 → 60 characters of utf8mb4 stays within 255 bytes; 50 → 100 crosses it.
    let within = "ALTER TABLE users MODIFY name varchar(60) NOT NULL;";
    assert!(mysql("change-column-type", MY_USERS, within).is_empty());
    let across = "ALTER TABLE users MODIFY name varchar(100) NOT NULL;";
    assert_eq!(mysql("change-column-type", MY_USERS, across).len(), 1);
}

// ---- lock-timeout-missing

#[test]
fn fires_once_and_counts_the_rest() {
    let sql = "ALTER TABLE users ADD COLUMN a text;
ALTER TABLE users ADD COLUMN b text;
ALTER TABLE users ADD COLUMN c text;";
    let found = pg("lock-timeout-missing", "16", PG_USERS, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("2 more statements"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_zero_timeout_does_not_count() {
    let sql = "SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN a text;";
    assert_eq!(pg("lock-timeout-missing", "16", PG_USERS, sql).len(), 1);
    let reset =
        "SET lock_timeout = '5s';\nRESET lock_timeout;\nALTER TABLE users ADD COLUMN a text;";
    assert_eq!(pg("lock-timeout-missing", "16", PG_USERS, reset).len(), 1);
}

#[test]
fn set_local_covers_its_own_transaction_only() {
    let inside =
        "BEGIN;\nSET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN a text;\nCOMMIT;";
    assert!(pg("lock-timeout-missing", "16", PG_USERS, inside).is_empty());
    let after =
        "BEGIN;\nSET LOCAL lock_timeout = '5s';\nCOMMIT;\nALTER TABLE users ADD COLUMN a text;";
    assert_eq!(pg("lock-timeout-missing", "16", PG_USERS, after).len(), 1);
    // Outside a transaction block SET LOCAL does nothing.
    let outside = "SET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN a text;";
    assert_eq!(pg("lock-timeout-missing", "16", PG_USERS, outside).len(), 1);
}

#[test]
fn set_config_counts() {
    let sql =
        "SELECT set_config('lock_timeout', '5s', false);\nALTER TABLE users ADD COLUMN a text;";
    assert!(pg("lock-timeout-missing", "16", PG_USERS, sql).is_empty());
}

#[test]
fn runner_setting_and_new_tables_are_quiet() {
    let sql = "ALTER TABLE users ADD COLUMN a text;";
    let found = lint_with(
        "lock-timeout-missing",
        Dialect::Postgres,
        PG_USERS,
        sql,
        |s| s.runner_sets_lock_timeout = true,
    );
    assert!(found.is_empty());
    let new_table = "CREATE TABLE teams (id bigint PRIMARY KEY);\nALTER TABLE teams ADD COLUMN name text;\nCREATE INDEX teams_name_idx ON teams (name);";
    assert!(pg("lock-timeout-missing", "16", PG_USERS, new_table).is_empty());
}

#[test]
fn weak_locks_do_not_count() {
    let sql = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nUPDATE users SET name = 'x' WHERE id = 1;\nCREATE VIEW user_names AS SELECT name FROM users;";
    assert!(pg("lock-timeout-missing", "16", PG_USERS, sql).is_empty());
}

#[test]
fn mysql_session_timeout_counts_but_global_does_not() {
    let sql = "ALTER TABLE users ADD COLUMN a varchar(10) NULL;";
    assert_eq!(mysql("lock-timeout-missing", MY_USERS, sql).len(), 1);
    let session = format!("SET SESSION lock_wait_timeout = 5;\n{sql}");
    assert!(mysql("lock-timeout-missing", MY_USERS, &session).is_empty());
    let global = format!("SET GLOBAL lock_wait_timeout = 5;\n{sql}");
    assert_eq!(mysql("lock-timeout-missing", MY_USERS, &global).len(), 1);
}

// ---- enum-value-in-transaction

const PG_ENUM: &str = "CREATE TYPE order_status AS ENUM ('pending', 'paid');
CREATE TABLE orders (id bigint PRIMARY KEY, status order_status NOT NULL);";

#[test]
fn add_value_in_a_transaction_fails_before_postgres_12() {
    let sql = "BEGIN;\nALTER TYPE order_status ADD VALUE 'refunded';\nCOMMIT;";
    let found = pg("enum-value-in-transaction", "11", PG_ENUM, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("PostgreSQL 11"),
        "{}",
        found[0].message
    );
    assert!(pg("enum-value-in-transaction", "12", PG_ENUM, sql).is_empty());
    let outside = "ALTER TYPE order_status ADD VALUE 'refunded';";
    assert!(pg("enum-value-in-transaction", "11", PG_ENUM, outside).is_empty());
}

#[test]
fn a_use_after_commit_is_fine() {
    let sql = "BEGIN;
ALTER TYPE order_status ADD VALUE 'refunded';
COMMIT;
UPDATE orders SET status = 'refunded' WHERE id = 7;";
    assert!(pg("enum-value-in-transaction", "16", PG_ENUM, sql).is_empty());
    let same = "BEGIN;
ALTER TYPE order_status ADD VALUE 'refunded';
UPDATE orders SET status = 'refunded' WHERE id = 7;
COMMIT;";
    let found = pg("enum-value-in-transaction", "16", PG_ENUM, same);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("line 3"), "{}", found[0].message);
}

#[test]
fn a_type_created_in_the_same_transaction_depends_on_the_version() {
    let sql = "BEGIN;
CREATE TYPE shipment_state AS ENUM ('packed');
ALTER TYPE shipment_state ADD VALUE 'sent';
CREATE TABLE shipments (id bigint PRIMARY KEY, state shipment_state NOT NULL DEFAULT 'sent');
COMMIT;";
    // Before 12 the ADD VALUE is accepted for a new type; from 17 the value is usable.
    assert!(pg("enum-value-in-transaction", "11", "", sql).is_empty());
    assert!(pg("enum-value-in-transaction", "17", "", sql).is_empty());
    // 12 to 16 refuse the use even for a type created in the transaction.
    let found = pg("enum-value-in-transaction", "15", "", sql);
    assert_eq!(found.len(), 1);
    assert!(found[0].help.contains("CREATE TYPE"), "{}", found[0].help);
}

// ---- the rest

#[test]
fn drop_index_of_an_index_built_here_on_a_new_table_is_fine() {
    let new = "CREATE TABLE teams (id bigint PRIMARY KEY, name text);
CREATE INDEX teams_name_idx ON teams (name);
DROP INDEX teams_name_idx;";
    assert!(pg("drop-index-non-concurrent", "16", PG_USERS, new).is_empty());
    let existing = "CREATE INDEX users_name_idx ON users (name);\nDROP INDEX users_name_idx;";
    let found = pg("drop-index-non-concurrent", "16", PG_USERS, existing);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("`users`"), "{}", found[0].message);
}

#[test]
fn drop_index_with_cascade_or_several_names_gets_one_statement_each() {
    let sql = "DROP INDEX users_a_idx, users_b_idx CASCADE;";
    let found = pg("drop-index-non-concurrent", "16", PG_USERS, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .help
            .contains("DROP INDEX CONCURRENTLY IF EXISTS users_a_idx;"),
        "{}",
        found[0].help
    );
    assert!(
        found[0]
            .help
            .contains("DROP INDEX CONCURRENTLY IF EXISTS users_b_idx;"),
        "{}",
        found[0].help
    );
    assert!(found[0].help.contains("CASCADE"), "{}", found[0].help);
}

#[test]
fn concurrent_forms_missing_from_old_versions_are_explained() {
    let detach = "ALTER TABLE events DETACH PARTITION events_2023;";
    let found = pg("detach-partition-non-concurrent", "13", "", detach);
    assert_eq!(found.len(), 1);
    assert!(found[0].help.contains("added in 14"), "{}", found[0].help);
    let reindex = "REINDEX TABLE users;";
    let found = pg("reindex-non-concurrent", "11", PG_USERS, reindex);
    assert_eq!(found.len(), 1);
    assert!(found[0].help.contains("added in 12"), "{}", found[0].help);
    let found = pg(
        "reindex-non-concurrent",
        "16",
        PG_USERS,
        "REINDEX (VERBOSE) TABLE users;",
    );
    assert!(
        found[0]
            .help
            .contains("REINDEX (VERBOSE) TABLE CONCURRENTLY users;"),
        "{}",
        found[0].help
    );
}

#[test]
fn refreshing_a_view_created_here_is_fine() {
    let sql =
        "CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) AS n FROM users WITH NO DATA;
REFRESH MATERIALIZED VIEW user_counts;";
    assert!(pg("refresh-matview-non-concurrent", "16", PG_USERS, sql).is_empty());
}

#[test]
fn generated_columns_follow_the_postgres_version() {
    let stored =
        "ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;";
    assert_eq!(
        pg("add-column-stored-generated", "17", PG_USERS, stored).len(),
        1
    );
    assert_eq!(
        pg("add-column-stored-generated", "18", PG_USERS, stored).len(),
        1
    );
    let virtual_default =
        "ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email));";
    assert!(pg(
        "add-column-stored-generated",
        "18",
        PG_USERS,
        virtual_default
    )
    .is_empty());
}

#[test]
fn unnamed_check_gets_a_name_to_validate() {
    let sql = "ALTER TABLE users ADD CHECK (char_length(name) > 0);";
    let found = pg("constraint-without-not-valid", "16", PG_USERS, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].help.contains("ADD CONSTRAINT users_check CHECK"),
        "{}",
        found[0].help
    );
    assert!(
        found[0].help.contains("VALIDATE CONSTRAINT users_check;"),
        "{}",
        found[0].help
    );
}

#[test]
fn primary_key_help_mentions_not_null() {
    let setup = "CREATE TABLE tags (id bigint NOT NULL, label text);";
    let sql = "ALTER TABLE tags ADD PRIMARY KEY (id);";
    let found = pg("unique-constraint-without-index", "16", setup, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].help.contains("PRIMARY KEY USING INDEX tags_pkey"),
        "{}",
        found[0].help
    );
    assert!(found[0].help.contains("NOT NULL"), "{}", found[0].help);
}

#[test]
fn maintenance_on_the_whole_database_says_so() {
    let found = pg("table-rewrite-maintenance", "16", PG_USERS, "VACUUM FULL;");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("every table in the database"),
        "{}",
        found[0].message
    );
    let unlogged = pg(
        "table-rewrite-maintenance",
        "16",
        PG_USERS,
        "ALTER TABLE users SET UNLOGGED;",
    );
    assert!(
        unlogged[0].message.contains("emptied after a crash"),
        "{}",
        unlogged[0].message
    );
}

// ---- found on real histories

#[test]
fn inline_primary_key_on_add_column_builds_its_index_under_the_lock() {
    let setup = "CREATE TABLE tags (label text);";
    let sql = "ALTER TABLE tags ADD COLUMN id bigint NOT NULL DEFAULT 0 PRIMARY KEY;";
    let found = pg("unique-constraint-without-index", "16", setup, sql);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("column `id` with a primary key"),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .help
            .contains("ALTER TABLE tags ADD COLUMN id bigint NOT NULL DEFAULT 0;"),
        "{}",
        found[0].help
    );
    assert!(
        found[0].help.contains("PRIMARY KEY USING INDEX tags_pkey"),
        "{}",
        found[0].help
    );
}

#[test]
fn reindex_system_gets_no_concurrently_advice() {
    // PostgreSQL 15: `REINDEX SYSTEM CONCURRENTLY db` fails with "cannot reindex system
    // catalogs concurrently".
    for sql in ["REINDEX SYSTEM;", "REINDEX (VERBOSE) SYSTEM app;"] {
        let found = pg("reindex-non-concurrent", "16", PG_USERS, sql);
        assert_eq!(found.len(), 1, "{sql}");
        assert!(
            !found[0].help.contains("CONCURRENTLY"),
            "{sql}: {}",
            found[0].help
        );
        assert!(
            found[0].message.contains("system catalogs"),
            "{}",
            found[0].message
        );
    }
    let index = pg(
        "reindex-non-concurrent",
        "16",
        PG_USERS,
        "REINDEX DATABASE app;",
    );
    assert!(index[0].help.contains("REINDEX DATABASE CONCURRENTLY app"));
}

#[test]
fn timestamptz_in_a_utc_session_rebuilds_indexes_but_not_the_table() {
    // PostgreSQL 15 (`bellows trace`): after `SET timezone = 'UTC'` the table keeps its
    // relfilenode and the column's index gets a new one; in another zone both change.
    let setup = "CREATE TABLE events (id bigint PRIMARY KEY, happened_at timestamp);";
    let utc =
        "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;";
    for version in ["12", "16"] {
        let found = pg("change-column-type", version, setup, utc);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("does not rewrite `events`")
                && found[0]
                    .message
                    .contains("rebuilds the indexes on `happened_at`")
                && found[0].message.contains("another type"),
            "{}",
            found[0].message
        );
    }
    let spelled =
        "SET TIME ZONE 'Etc/UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;";
    assert!(pg("change-column-type", "16", setup, spelled)[0]
        .message
        .contains("does not rewrite"));
    // Before 12, in another zone, or with no zone set, the table is rewritten.
    let paris = "SET timezone = 'Europe/Paris';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;";
    let unset = "ALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;";
    for (version, sql) in [("11", utc), ("16", paris), ("16", unset)] {
        let found = pg("change-column-type", version, setup, sql);
        assert!(
            found[0].message.contains("rewrites `events`"),
            "{version} {sql}: {}",
            found[0].message
        );
    }
}
