//! Subtle cases of the compatibility, phase, transaction, MySQL and design rules: each
//! test lints a small migration (after an optional earlier one) with one rule enabled.

use bellows::dialect::{Dialect, EngineVersion};
use bellows::lint::{lint_sources, LintSettings};
use bellows::rules::{Finding, RuleSet};
use bellows::source::SourceFile;

struct Case {
    dialect: Dialect,
    rule: &'static str,
    setup: Option<&'static str>,
    assume_in_transaction: bool,
    version: Option<&'static str>,
}

fn pg(rule: &'static str) -> Case {
    Case {
        dialect: Dialect::Postgres,
        rule,
        setup: None,
        assume_in_transaction: false,
        version: None,
    }
}

fn my(rule: &'static str) -> Case {
    Case {
        dialect: Dialect::Mysql,
        ..pg(rule)
    }
}

impl Case {
    fn setup(mut self, sql: &'static str) -> Self {
        self.setup = Some(sql);
        self
    }

    fn in_transaction(mut self) -> Self {
        self.assume_in_transaction = true;
        self
    }

    fn version(mut self, v: &'static str) -> Self {
        self.version = Some(v);
        self
    }

    fn lint(&self, sql: &str) -> Vec<Finding> {
        let mut settings = LintSettings::new(self.dialect);
        let mut rules = RuleSet::default_rules();
        rules
            .select_only(&[self.rule.to_owned(), "syntax-error".to_owned()])
            .expect("registered rule");
        settings.rules = rules;
        settings.assume_in_transaction = self.assume_in_transaction;
        if let Some(v) = self.version {
            settings.version = EngineVersion::parse(v, self.dialect).expect("valid version");
        }
        let mut sources = Vec::new();
        if let Some(setup) = self.setup {
            sources.push(SourceFile::new("0001_setup.sql", setup));
        }
        sources.push(SourceFile::new("0002_change.sql", sql));
        let results = lint_sources(sources, &settings);
        for r in &results {
            let errors: Vec<_> = r
                .findings
                .iter()
                .filter(|f| f.rule == "syntax-error")
                .collect();
            assert!(
                errors.is_empty(),
                "{} does not parse: {errors:?}",
                r.source.path
            );
        }
        results
            .into_iter()
            .last()
            .expect("one result per file")
            .findings
    }

    /// The findings' messages.
    fn messages(&self, sql: &str) -> Vec<String> {
        self.lint(sql).into_iter().map(|f| f.message).collect()
    }
}

const PG_USERS: &str =
    "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);";
const MY_USERS: &str =
    "CREATE TABLE users (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL);";

// ---- compatibility

#[test]
fn required_column_filled_by_the_server_is_fine() {
    let case = pg("add-column-required").setup(PG_USERS);
    assert!(case
        .lint(
            "ALTER TABLE users ADD COLUMN seq bigserial NOT NULL;
             ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY;
             ALTER TABLE users ADD COLUMN domain text NOT NULL GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED;
             ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;"
        )
        .is_empty());
    let case = my("add-column-required").setup(MY_USERS);
    assert!(case
        .lint("ALTER TABLE users ADD COLUMN legacy_id INT NOT NULL AUTO_INCREMENT UNIQUE;")
        .is_empty());
    assert_eq!(
        case.lint("ALTER TABLE users ADD COLUMN age INT NOT NULL;")
            .len(),
        1
    );
}

#[test]
fn rename_column_ignores_change_that_keeps_the_name_and_new_columns() {
    let case = my("rename-column").setup(MY_USERS);
    assert!(case
        .lint("ALTER TABLE users CHANGE email email VARCHAR(320) NOT NULL;")
        .is_empty());
    // A column added earlier in the same migration is not used by any release yet.
    assert!(case
        .lint(
            "ALTER TABLE users ADD COLUMN nick VARCHAR(40) NULL;
             ALTER TABLE users RENAME COLUMN nick TO nickname;"
        )
        .is_empty());
    let messages = case.messages("ALTER TABLE users RENAME COLUMN email TO email_address;");
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("`users.email`"), "{messages:?}");
}

#[test]
fn rename_table_kept_by_a_view_only_in_the_same_transaction() {
    let case = pg("rename-table").setup("CREATE TABLE accounts (id bigint PRIMARY KEY);");
    let renamed_with_view = "BEGIN;
        ALTER TABLE accounts RENAME TO customers;
        CREATE VIEW accounts AS SELECT * FROM customers;
        COMMIT;";
    assert!(case.lint(renamed_with_view).is_empty());
    // Without a transaction there is a moment where `accounts` does not exist.
    assert_eq!(
        case.lint(
            "ALTER TABLE accounts RENAME TO customers;
             CREATE VIEW accounts AS SELECT * FROM customers;"
        )
        .len(),
        1
    );
    // A table created in the same migration can be renamed freely.
    assert!(case
        .lint("CREATE TABLE drafts (id bigint PRIMARY KEY); ALTER TABLE drafts RENAME TO draft_orders;")
        .is_empty());
}

#[test]
fn drop_table_names_only_existing_tables() {
    let case = pg("drop-table").setup("CREATE TABLE old_sessions (token text PRIMARY KEY);");
    let messages = case.messages(
        "CREATE TABLE scratch (id bigint PRIMARY KEY);
         DROP TABLE scratch, old_sessions;",
    );
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("`old_sessions`") && !messages[0].contains("scratch"),
        "{messages:?}"
    );
}

#[test]
fn drop_schema_fires_even_for_a_schema_created_here() {
    let case = pg("drop-schema");
    assert_eq!(case.lint("CREATE SCHEMA tmp; DROP SCHEMA tmp;").len(), 1);
}

#[test]
fn mysql_partition_removal_is_a_truncate() {
    let case = my("truncate-table").setup(
        "CREATE TABLE events (id BIGINT NOT NULL, happened_on DATE NOT NULL, PRIMARY KEY (id, happened_on))
         PARTITION BY RANGE COLUMNS (happened_on) (PARTITION p2024 VALUES LESS THAN ('2025-01-01'),
         PARTITION pmax VALUES LESS THAN (MAXVALUE));",
    );
    let messages = case.messages("ALTER TABLE events TRUNCATE PARTITION p2024;");
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("partition"), "{messages:?}");
}

// ---- phases

#[test]
fn mixed_phases_in_one_statement_and_not_for_new_tables() {
    let case = pg("mixed-phases").setup(PG_USERS);
    let messages =
        case.messages("ALTER TABLE users ADD COLUMN email_address text, DROP COLUMN email;");
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("this statement both expands"),
        "{messages:?}"
    );
    // Contract-looking work on a table created here is expand.
    assert!(case
        .lint(
            "CREATE TABLE imports (id bigint PRIMARY KEY, raw text);
             ALTER TABLE imports DROP COLUMN raw;
             ALTER TABLE users ADD COLUMN locale text;"
        )
        .is_empty());
    // Expand plus backfill is reported by backfill-with-ddl, not here.
    assert!(case
        .lint("ALTER TABLE users ADD COLUMN locale text; UPDATE users SET locale = 'en' WHERE id < 100;")
        .is_empty());
}

#[test]
fn mixed_phases_reports_once_at_the_first_contract() {
    let case = pg("mixed-phases").setup(PG_USERS);
    let findings = case.lint(
        "ALTER TABLE users ADD COLUMN email_address text;
         ALTER TABLE users DROP COLUMN email;
         ALTER TABLE users RENAME TO members;",
    );
    assert_eq!(findings.len(), 1);
    assert!(findings[0].message.contains("line 1"), "{:?}", findings[0]);
}

#[test]
fn backfill_with_ddl_counts_plain_inserts_but_not_new_tables() {
    let case = pg("backfill-with-ddl")
        .setup("CREATE TABLE plans (code text PRIMARY KEY, price_cents integer NOT NULL);");
    assert_eq!(
        case.lint(
            "ALTER TABLE plans ADD COLUMN archived boolean NOT NULL DEFAULT false;
             INSERT INTO plans (code, price_cents) VALUES ('team', 1200);"
        )
        .len(),
        1
    );
    assert!(case
        .lint(
            "CREATE TABLE plan_limits (plan_code text PRIMARY KEY, seats integer NOT NULL);
             INSERT INTO plan_limits (plan_code, seats) SELECT code, 10 FROM plans;"
        )
        .is_empty());
    // A migration tool's bookkeeping is not a backfill.
    assert!(case
        .lint(
            "ALTER TABLE plans ADD COLUMN archived boolean NOT NULL DEFAULT false;
             INSERT INTO schema_migrations (version) VALUES ('20250301120000');"
        )
        .is_empty());
    // A backfill on its own is what this rule asks for.
    assert!(case
        .lint("UPDATE plans SET price_cents = 1300 WHERE code = 'team';")
        .is_empty());
}

#[test]
fn unbatched_backfill_accepts_mysql_limit_but_not_postgres_new_tables() {
    let case = my("unbatched-backfill").setup(MY_USERS);
    assert!(case.lint("DELETE FROM users LIMIT 1000;").is_empty());
    assert_eq!(case.lint("DELETE FROM users;").len(), 1);
    let case = pg("unbatched-backfill").setup(PG_USERS);
    assert!(case
        .lint("UPDATE users SET email = lower(email) WHERE id BETWEEN :batch_start AND :batch_end;")
        .is_empty());
    assert!(case
        .lint("CREATE TABLE tags (name text PRIMARY KEY); DELETE FROM tags;")
        .is_empty());
}

// ---- transactions

#[test]
fn concurrent_in_the_runners_transaction_names_the_directive() {
    let case = pg("concurrent-in-transaction")
        .setup("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);")
        .in_transaction();
    let findings = case.lint("CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);");
    assert_eq!(findings.len(), 1);
    assert!(findings[0].message.contains("runner"), "{:?}", findings[0]);
    assert!(
        findings[0].help.contains("-- bellows: no-transaction"),
        "{:?}",
        findings[0]
    );
    assert!(case
        .lint("-- bellows: no-transaction\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);")
        .is_empty());
}

#[test]
fn concurrent_refresh_may_run_in_a_transaction() {
    let case = pg("concurrent-in-transaction").in_transaction();
    assert!(case
        .lint("REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;")
        .is_empty());
    let explicit = pg("concurrent-in-transaction");
    let findings = explicit.lint("BEGIN;\nDROP INDEX CONCURRENTLY orders_user_id_idx;\nCOMMIT;");
    assert_eq!(findings.len(), 1);
    assert!(findings[0].message.contains("line 1"), "{:?}", findings[0]);
}

const PG_ORDERS: &str = "CREATE TABLE users (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total bigint NOT NULL);";

#[test]
fn validate_in_the_runners_transaction() {
    let sql = "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT total_positive;";
    let wrapped = pg("validate-in-same-transaction")
        .setup(PG_ORDERS)
        .in_transaction();
    let findings = wrapped.lint(sql);
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].message.contains("ACCESS EXCLUSIVE"),
        "{:?}",
        findings[0]
    );
    // Each statement commits on its own when nothing wraps the file.
    let plain = pg("validate-in-same-transaction").setup(PG_ORDERS);
    assert!(plain.lint(sql).is_empty());
}

#[test]
fn validate_after_a_commit_is_fine() {
    let case = pg("validate-in-same-transaction").setup(PG_ORDERS);
    assert!(case
        .lint(
            "BEGIN;
             ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
             COMMIT;
             BEGIN;
             ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
             COMMIT;"
        )
        .is_empty());
    // Another constraint's validation is not affected.
    assert!(case
        .lint(
            "BEGIN;
             ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
             ALTER TABLE orders VALIDATE CONSTRAINT orders_other_fk;
             COMMIT;"
        )
        .is_empty());
}

#[test]
fn lock_held_reports_once_per_transaction_with_the_count() {
    let case = pg("lock-held-across-statements").setup(PG_ORDERS);
    let findings = case.lint(
        "BEGIN;
         SET LOCAL lock_timeout = '2s';
         ALTER TABLE orders ADD COLUMN note text;
         ALTER TABLE users ADD COLUMN name text;
         UPDATE orders SET note = '' WHERE id = 1;
         COMMIT;",
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].message.contains("the 2 statements after it"),
        "{:?}",
        findings[0]
    );
    // Nothing but COMMIT after the lock, or no transaction at all.
    assert!(case
        .lint("BEGIN; SET LOCAL lock_timeout = '2s'; ALTER TABLE orders ADD COLUMN note text; COMMIT;")
        .is_empty());
    assert!(case
        .lint("ALTER TABLE orders ADD COLUMN note text; ALTER TABLE users ADD COLUMN name text;")
        .is_empty());
    // A table created in this transaction has no other users.
    assert!(case
        .lint(
            "BEGIN;
             CREATE TABLE refunds (id bigint PRIMARY KEY);
             ALTER TABLE refunds ADD COLUMN amount bigint;
             INSERT INTO refunds (id, amount) VALUES (1, 10);
             COMMIT;"
        )
        .is_empty());
}

#[test]
fn lock_held_by_an_explicit_postgres_lock_table() {
    let case = pg("lock-held-across-statements").setup(PG_ORDERS);
    let findings = case.lint(
        "BEGIN;
         LOCK TABLE orders;
         UPDATE orders SET total = total * 100 WHERE id = 1;
         COMMIT;",
    );
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].message.contains("`orders`"),
        "{:?}",
        findings[0]
    );
    assert!(case
        .lint(
            "BEGIN;
             LOCK TABLE ONLY orders IN SHARE MODE;
             UPDATE users SET id = id WHERE id = 1;
             COMMIT;"
        )
        .is_empty());
}

#[test]
fn lock_held_on_mysql_needs_lock_tables_write() {
    let case = my("lock-held-across-statements")
        .setup("CREATE TABLE orders (id BIGINT PRIMARY KEY, status VARCHAR(20) NOT NULL);");
    // DDL commits implicitly on MySQL: no lock survives the statement.
    assert!(case
        .lint(
            "ALTER TABLE orders ADD COLUMN note TEXT; UPDATE orders SET status = 'x' WHERE id = 1;"
        )
        .is_empty());
    assert!(case
        .lint("LOCK TABLES orders READ; SELECT COUNT(*) FROM orders; UNLOCK TABLES;")
        .is_empty());
    let findings = case.lint(
        "LOCK TABLES orders AS o WRITE;
         UPDATE orders SET status = 'x' WHERE id = 1;
         UNLOCK TABLES;
         UPDATE orders SET status = 'y' WHERE id = 2;",
    );
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].message.contains("the statement after it runs"),
        "{:?}",
        findings[0]
    );
}

#[test]
fn nesting_in_the_runners_transaction() {
    let case = pg("transaction-nesting").in_transaction();
    let findings = case.lint("BEGIN;\nUPDATE t SET a = 1 WHERE id = 1;\nCOMMIT;");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].message.contains("runner"), "{:?}", findings[0]);
    let findings =
        case.lint("UPDATE t SET a = 1 WHERE id = 1;\nCOMMIT;\nUPDATE t SET a = 2 WHERE id = 2;");
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0]
            .message
            .starts_with("COMMIT ends the transaction the runner"),
        "{:?}",
        findings[0]
    );
    // Opting out of the runner's transaction makes an explicit block fine.
    assert!(case
        .lint("-- bellows: no-transaction\nBEGIN;\nUPDATE t SET a = 1 WHERE id = 1;\nCOMMIT;")
        .is_empty());
}

#[test]
fn nested_begin_is_reported_once() {
    let case = pg("transaction-nesting");
    let findings = case.lint("BEGIN; BEGIN; UPDATE t SET a = 1 WHERE id = 1; COMMIT; COMMIT;");
    assert_eq!(findings.len(), 1, "{findings:?}");
    let stray = case.lint("UPDATE t SET a = 1 WHERE id = 1; COMMIT;");
    assert_eq!(stray.len(), 1);
    assert!(
        stray[0].message.contains("no transaction open"),
        "{:?}",
        stray[0]
    );
}

#[test]
fn mysql_ddl_commits_the_transaction_implicitly() {
    let case = my("transaction-nesting").setup(MY_USERS);
    let findings = case.lint(
        "START TRANSACTION;
         UPDATE users SET email = LOWER(email) WHERE id = 1;
         ALTER TABLE users ADD COLUMN locale VARCHAR(16) NULL;
         COMMIT;",
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].message.contains("line 3"), "{:?}", findings[0]);
    // Nor is the transaction left open at the end of the file.
    let open = my("uncommitted-transaction").setup(MY_USERS);
    assert!(open
        .lint("START TRANSACTION; UPDATE users SET email = LOWER(email) WHERE id = 1; ALTER TABLE users ADD COLUMN locale VARCHAR(16) NULL;")
        .is_empty());
}

#[test]
fn uncommitted_leaves_the_runners_transaction_to_nesting() {
    let sql = "BEGIN; UPDATE t SET a = 1 WHERE id = 1;";
    assert_eq!(pg("uncommitted-transaction").lint(sql).len(), 1);
    assert!(pg("uncommitted-transaction")
        .in_transaction()
        .lint(sql)
        .is_empty());
    // PostgreSQL ignores the inner BEGIN: the one COMMIT ends everything.
    assert!(pg("uncommitted-transaction")
        .lint("BEGIN; BEGIN; UPDATE t SET a = 1 WHERE id = 1; COMMIT;")
        .is_empty());
}

// ---- MySQL / MariaDB

const MY_ORDERS: &str = "CREATE TABLE orders (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    total INT NOT NULL,
    note VARCHAR(40) NULL
) ENGINE=InnoDB;";

#[test]
fn algorithm_copy_explicit_and_implicit() {
    let case = my("alter-algorithm-copy").setup(MY_ORDERS);
    let messages = case.messages("ALTER TABLE orders ADD COLUMN memo TEXT NULL, ALGORITHM=COPY;");
    assert_eq!(messages.len(), 1);
    assert!(messages[0].starts_with("ALGORITHM=COPY"), "{messages:?}");
    for sql in [
        "ALTER TABLE orders MODIFY total BIGINT NOT NULL;",
        "ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4;",
        "ALTER TABLE orders ADD COLUMN total_eur DECIMAL(12,2) AS (total / 100) STORED;",
        "ALTER TABLE orders DROP PRIMARY KEY;",
    ] {
        assert_eq!(case.lint(sql).len(), 1, "{sql}");
    }
    for sql in [
        // A safe widening, within the same length-prefix size.
        "ALTER TABLE orders MODIFY note VARCHAR(60) NULL;",
        // The server refuses instead of copying.
        "ALTER TABLE orders MODIFY total BIGINT NOT NULL, ALGORITHM=INPLACE;",
        // Replacing the primary key in one statement is done in place.
        "ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, total);",
    ] {
        assert!(case.lint(sql).is_empty(), "{sql}");
    }
}

#[test]
fn mariadb_copies_without_blocking_writes_from_11_2() {
    let sql = "ALTER TABLE orders MODIFY total BIGINT NOT NULL;";
    let old = my("alter-algorithm-copy")
        .setup(MY_ORDERS)
        .version("mariadb-10.11");
    let messages = old.messages(sql);
    assert!(
        messages[0].contains("MariaDB 10.11") && messages[0].contains("blocked"),
        "{messages:?}"
    );
    let new = my("alter-algorithm-copy")
        .setup(MY_ORDERS)
        .version("mariadb-11.4");
    let messages = new.messages(sql);
    assert!(messages[0].contains("writes continue"), "{messages:?}");
    // Unless the statement itself asks for a blocking lock.
    let messages = new.messages("ALTER TABLE orders MODIFY total BIGINT NOT NULL, LOCK=SHARED;");
    assert!(messages[0].contains("blocked"), "{messages:?}");
}

#[test]
fn alter_lock_exclusive_and_none() {
    let case = my("alter-lock-blocking").setup(MY_ORDERS);
    let findings =
        case.lint("ALTER TABLE orders ADD INDEX orders_total_idx (total), LOCK = EXCLUSIVE;");
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].message.contains("every read and write"),
        "{:?}",
        findings[0]
    );
    assert!(findings[0].help.contains("LOCK=NONE;"), "{:?}", findings[0]);
    assert!(case
        .lint("ALTER TABLE orders ADD INDEX orders_total_idx (total), LOCK=NONE;")
        .is_empty());
}

#[test]
fn foreign_key_checks_in_the_session() {
    let case = my("add-foreign-key-copy").setup(
        "CREATE TABLE users (id BIGINT PRIMARY KEY);
         CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL);",
    );
    let add =
        "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);";
    assert!(case
        .lint(&format!("SET @@foreign_key_checks = 0;\n{add}"))
        .is_empty());
    assert!(case
        .lint(&format!("SET SESSION foreign_key_checks = OFF;\n{add}"))
        .is_empty());
    // The global value does not change this session.
    assert_eq!(
        case.lint(&format!("SET GLOBAL foreign_key_checks = 0;\n{add}"))
            .len(),
        1
    );
    // Turned back on before the ALTER.
    assert_eq!(
        case.lint(&format!(
            "SET foreign_key_checks = 0;\nSET foreign_key_checks = 1;\n{add}"
        ))
        .len(),
        1
    );
}

// ---- design

#[test]
fn bigint_for_added_key_columns() {
    let case = pg("prefer-bigint").setup(PG_USERS);
    let messages = case.messages("ALTER TABLE users ADD COLUMN team_id integer;");
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("2,147,483,647"), "{messages:?}");
    assert!(case
        .lint("ALTER TABLE users ADD COLUMN login_count integer;")
        .is_empty());
    let case = my("prefer-bigint");
    let messages = case.messages(
        "CREATE TABLE tags (id SMALLINT UNSIGNED NOT NULL, name TEXT, PRIMARY KEY (id));",
    );
    assert!(messages[0].contains("65,535"), "{messages:?}");
}

#[test]
fn timestamptz_for_type_changes_too() {
    let case =
        pg("prefer-timestamptz").setup("CREATE TABLE events (id bigint PRIMARY KEY, at text);");
    let findings =
        case.lint("ALTER TABLE events ALTER COLUMN at TYPE timestamp(3) USING at::timestamp;");
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].help.contains("timestamptz(3)"),
        "{:?}",
        findings[0]
    );
}

#[test]
fn primary_key_not_required_where_columns_come_from_elsewhere() {
    let case = pg("require-primary-key").setup(PG_USERS);
    assert!(case
        .lint(
            "CREATE TABLE users_copy AS SELECT * FROM users;
             CREATE TABLE users_shadow (LIKE users INCLUDING ALL);"
        )
        .is_empty());
}
