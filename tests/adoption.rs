//! Turning the linter on for an existing history, through the binary as a user runs it:
//! `[lint] exclude`, `[[lint.per-path]]`, the findings baseline (`--write-baseline`,
//! `--baseline`, `[lint] baseline`) and the schema seed (`--schema`, `[lint] schema`).
//!
//! The seed tests dump a schema with the real `pg_dump --schema-only` and `mysqldump
//! --no-data` from scratch databases on the real servers (PostgreSQL on 127.0.0.1:5432,
//! MariaDB on 127.0.0.1:3306; scripts/test.sh starts them).

mod common;

use common::db::{env_or, Engine, Scratch};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bellows(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("bellows runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("bellows exits with a status")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("a file has a directory")).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// (path relative to `dir`, rule) of every diagnostic of a JSON report, sorted.
fn diagnostics(report: &Value, dir: &Path) -> Vec<(String, String)> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let mut out: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap();
            let path = Path::new(path)
                .strip_prefix(&dir)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.to_owned());
            (path, d["rule"].as_str().unwrap().to_owned())
        })
        .collect();
    out.sort();
    out
}

/// The linted files of a JSON report, as paths relative to `dir`.
fn files(report: &Value, dir: &Path) -> Vec<String> {
    let dir = std::fs::canonicalize(dir).unwrap();
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            Path::new(path)
                .strip_prefix(&dir)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.to_owned())
        })
        .collect()
}

/// The phase of the `index`-th statement of the file whose path ends with `suffix`.
fn statement_phase(report: &Value, suffix: &str, index: usize) -> String {
    let file = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no file {suffix} in {report}"));
    file["statements"][index]["phase"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A small history: an old table, a later widening of one of its columns.
fn history(dir: &Path, config: &str) {
    write(dir, "bellows.toml", config);
    write(
        dir,
        "migrations/2019-01-01_legacy/up.sql",
        "CREATE TABLE legacy (id bigint PRIMARY KEY, name varchar(50));\nDROP TABLE scratch;\n",
    );
    write(
        dir,
        "migrations/2020-01-01_widen/up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE legacy ALTER COLUMN name TYPE varchar(100);\n",
    );
}

#[test]
fn excluded_files_are_replayed_but_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), "[lint]\nexclude = [\"migrations/2019-*/**\"]\n");
    let out = bellows(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let report = json(&out);
    assert_eq!(
        files(&report, dir.path()),
        vec!["migrations/2020-01-01_widen/up.sql"]
    );
    assert!(diagnostics(&report, dir.path()).is_empty(), "{report}");
    // The excluded migration built the table: the change is a safe widening.
    assert_eq!(statement_phase(&report, "widen/up.sql", 1), "expand");

    // Without the exclusion the old migration's drop is reported.
    std::fs::write(dir.path().join("bellows.toml"), "").unwrap();
    let out = bellows(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(code(&out), 1);
    assert!(diagnostics(&json(&out), dir.path()).contains(&(
        "migrations/2019-01-01_legacy/up.sql".into(),
        "drop-table".into()
    )));
}

#[test]
fn an_excluded_directory_covers_its_files_and_bad_globs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    history(
        dir.path(),
        "[lint]\nexclude = [\"migrations/2019-01-01_legacy\"]\n",
    );
    let out = bellows(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    std::fs::write(
        dir.path().join("bellows.toml"),
        "[lint]\nexclude = [\"migrations/[2019\"]\n",
    )
    .unwrap();
    let out = bellows(dir.path(), &["lint"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("[lint] exclude: invalid glob `migrations/[2019`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn per_path_settings_apply_only_to_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let config = r#"
[[lint.per-path]]
paths = ["migrations/2018-*/**"]
ignore = ["lock-timeout-missing"]
severity = { drop-column = "warning" }
"#;
    write(dir.path(), "bellows.toml", config);
    write(
        dir.path(),
        "migrations/2017-01-01_t/up.sql",
        "CREATE TABLE t (id int, a int, c int);\n",
    );
    write(
        dir.path(),
        "migrations/2018-05-01_old/up.sql",
        "ALTER TABLE t DROP COLUMN a;\n",
    );
    write(
        dir.path(),
        "migrations/2021-05-01_new/up.sql",
        "ALTER TABLE t ADD COLUMN b int;\n",
    );
    let out = bellows(dir.path(), &["lint", "--format", "json"]);
    let report = json(&out);
    assert_eq!(
        diagnostics(&report, dir.path()),
        vec![
            (
                "migrations/2018-05-01_old/up.sql".into(),
                "drop-column".into()
            ),
            (
                "migrations/2021-05-01_new/up.sql".into(),
                "lock-timeout-missing".into()
            ),
        ]
    );
    let drop = &report["diagnostics"][0];
    assert_eq!(drop["severity"], "warning", "{drop}");
    assert_eq!(code(&out), 0, "only warnings remain");

    // The same file outside the glob gets the default settings.
    write(
        dir.path(),
        "migrations/2022-01-01_again/up.sql",
        "ALTER TABLE t DROP COLUMN c;\n",
    );
    let out = bellows(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(code(&out), 1);
    let found = diagnostics(&json(&out), dir.path());
    assert!(found.contains(&(
        "migrations/2022-01-01_again/up.sql".into(),
        "lock-timeout-missing".into()
    )));

    // Rule names and severities are checked.
    std::fs::write(
        dir.path().join("bellows.toml"),
        "[[lint.per-path]]\npaths = [\"m/**\"]\nignore = [\"drop-colum\"]\n",
    )
    .unwrap();
    let out = bellows(dir.path(), &["lint"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("drop-column"), "{}", stderr(&out));
    std::fs::write(
        dir.path().join("bellows.toml"),
        "[[lint.per-path]]\npaths = [\"m/**\"]\nseverity = { drop-column = \"fatal\" }\n",
    )
    .unwrap();
    let out = bellows(dir.path(), &["lint"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("[[lint.per-path]] #1"),
        "{}",
        stderr(&out)
    );
}

/// A history with findings in two migrations.
fn bad_history(dir: &Path) {
    write(dir, "bellows.toml", "dialect = \"postgres\"\n");
    write(
        dir,
        "migrations/0001_users/up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);\n",
    );
    write(
        dir,
        "migrations/0002_index/up.sql",
        "CREATE INDEX users_email ON users (email);\nCREATE INDEX users_name ON users (name);\n",
    );
    write(
        dir,
        "migrations/0003_drop/up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN name;\n",
    );
}

#[test]
fn a_baseline_hides_the_findings_it_lists_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bad_history(d);
    let before = bellows(d, &["lint", "--format", "json"]);
    assert_eq!(code(&before), 1);
    let all = diagnostics(&json(&before), d);
    assert!(all.len() >= 3, "{all:?}");

    let out = bellows(d, &["lint", "--write-baseline", "bellows-baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "wrote {} findings in 2 files to bellows-baseline.json\n",
            all.len()
        )
    );
    let text = std::fs::read_to_string(d.join("bellows-baseline.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let entries = file["findings"].as_array().unwrap();
    assert_eq!(entries.len(), all.len());
    let paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "entries are sorted");
    assert_eq!(
        paths[0], "migrations/0002_index/up.sql",
        "relative to the root"
    );
    // Writing again gives the same bytes.
    bellows(d, &["lint", "--write-baseline", "bellows-baseline.json"]);
    assert_eq!(
        std::fs::read_to_string(d.join("bellows-baseline.json")).unwrap(),
        text
    );

    // Only baselined findings remain: exit 0, with the count.
    let out = bellows(d, &["lint", "--baseline", "bellows-baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!(
            "{} findings in the baseline not shown (bellows-baseline.json)",
            all.len()
        )),
        "{}",
        stdout(&out)
    );

    // From bellows.toml too; a new bad migration is the only thing reported.
    write(
        d,
        "bellows.toml",
        "dialect = \"postgres\"\n[lint]\nbaseline = \"bellows-baseline.json\"\n",
    );
    write(
        d,
        "migrations/0004_new/up.sql",
        "SET lock_timeout = '2s';\nDROP TABLE users;\n",
    );
    let out = bellows(d, &["lint", "--format", "json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        diagnostics(&json(&out), d),
        vec![("migrations/0004_new/up.sql".into(), "drop-table".into())]
    );
    assert!(
        stderr(&out).contains("findings in the baseline not shown"),
        "JSON keeps stdout clean: {}",
        stderr(&out)
    );
    // SARIF leaves the baselined findings out as well.
    let out = bellows(d, &["lint", "--format", "sarif"]);
    assert_eq!(
        json(&out)["runs"][0]["results"].as_array().unwrap().len(),
        1
    );
    // --no-baseline shows everything.
    let out = bellows(d, &["lint", "--no-baseline", "--format", "json"]);
    assert_eq!(diagnostics(&json(&out), d).len(), all.len() + 1);
    std::fs::remove_file(d.join("migrations/0004_new/up.sql")).unwrap();

    // Lines shift and whitespace changes: still baselined.
    write(
        d,
        "migrations/0002_index/up.sql",
        "-- indexes for the login page\n\nCREATE INDEX users_email\n    ON users (email);\n\nCREATE INDEX users_name ON users (name);\n",
    );
    let out = bellows(d, &["lint"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("no longer match"),
        "{}",
        stdout(&out)
    );

    // A fixed finding leaves a stale entry, named with its line.
    write(
        d,
        "migrations/0002_index/up.sql",
        "CREATE INDEX CONCURRENTLY users_email ON users (email);\nCREATE INDEX users_name ON users (name);\n",
    );
    let out = bellows(d, &["lint"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("1 entry of bellows-baseline.json no longer matches a finding")
            || text.contains("entries of bellows-baseline.json no longer match"),
        "{text}"
    );
    assert!(
        text.contains("  migrations/0002_index/up.sql:1: create-index-non-concurrent"),
        "{text}"
    );
    // The GitHub format says it as a notice.
    let out = bellows(d, &["lint", "--format", "github"]);
    assert!(stdout(&out).contains("::notice::"), "{}", stdout(&out));
}

#[test]
fn baseline_errors_are_tool_failures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bad_history(d);
    let out = bellows(d, &["lint", "--baseline", "missing.json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot read the baseline missing.json"));
    write(
        d,
        "broken.json",
        "{\"version\": 1, \"findings\": [{\"path\": 3}]}",
    );
    let out = bellows(d, &["lint", "--baseline", "broken.json"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("is not a bellows baseline"),
        "{}",
        stderr(&out)
    );
    let out = bellows(
        d,
        &[
            "lint",
            "--write-baseline",
            "b.json",
            "--changed-since",
            "HEAD",
        ],
    );
    assert_eq!(
        code(&out),
        2,
        "a baseline of part of the history is refused"
    );
}

#[test]
fn a_seed_with_a_statement_bellows_cannot_read_points_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "schema.sql",
        "CREATE TABLE a (id int);\n\nCREAT TABLE b (id int);\n",
    );
    write(d, "m.sql", "ALTER TABLE a ADD COLUMN b int;\n");
    let out = bellows(d, &["lint", "--schema", "schema.sql", "m.sql"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out)
            .contains("schema.sql:3:1: the schema seed has a statement bellows cannot read"),
        "{}",
        stderr(&out)
    );
    let out = bellows(d, &["lint", "--schema", "nope.sql", "m.sql"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot read the schema seed nope.sql"));
}

/// Creates `ddl` in a scratch database, dumps its schema with the engine's own tool, and
/// lints `migration` with and without the dump as the seed. Returns (without, with).
fn lint_against_dump(engine: Engine, ddl: &str, migration: &str) -> (Value, Value) {
    let db = Scratch::new(engine);
    for statement in ddl.split(";\n").filter(|s| !s.trim().is_empty()) {
        db.sql(statement);
    }
    let out = match engine {
        Engine::Postgres => Command::new("pg_dump")
            .args(["--schema-only", "-h", &env_or("PGHOST", "127.0.0.1")])
            .args(["-p", &env_or("PGPORT", "5432")])
            .args(["-U", &env_or("PGUSER", "postgres"), &db.name])
            .output(),
        Engine::Mariadb => Command::new("mysqldump")
            .args(["--no-data", "--routines", "--triggers"])
            .args(["-h", &env_or("MYSQL_HOST", "127.0.0.1")])
            .args(["-P", &env_or("MYSQL_PORT", "3306"), "-u", "root", &db.name])
            .output(),
    }
    .expect("the dump tool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let dialect = match engine {
        Engine::Postgres => "postgres",
        Engine::Mariadb => "mysql",
    };
    write(dir, "bellows.toml", &format!("dialect = \"{dialect}\"\n"));
    std::fs::write(dir.join("schema.sql"), &out.stdout).unwrap();
    write(dir, "migrations/0001_change/up.sql", migration);
    let without = bellows(dir, &["lint", "--format", "json"]);
    write(
        dir,
        "bellows.toml",
        &format!("dialect = \"{dialect}\"\n[lint]\nschema = \"schema.sql\"\n"),
    );
    let with = bellows(dir, &["lint", "--format", "json"]);
    assert!(
        with.status.code() != Some(2),
        "the real dump seeds: {}",
        stderr(&with)
    );
    (json(&without), json(&with))
}

#[test]
fn a_pg_dump_seed_knows_the_tables_the_history_did_not_create() {
    let ddl = "\
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(50) NOT NULL, m mood, created timestamptz DEFAULT now());
CREATE TABLE posts (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, user_id bigint REFERENCES users (id), body text CHECK (length(body) > 0));
CREATE UNIQUE INDEX users_email_idx ON users (email);
COMMENT ON TABLE users IS 'people';
CREATE VIEW active AS SELECT id, email FROM users;
CREATE FUNCTION lower_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.email := lower(NEW.email); RETURN NEW; END $$;
CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION lower_email();
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id serial PRIMARY KEY, label varchar(20));
";
    let migration = "SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email TYPE varchar(100);\nALTER TABLE billing.invoices ALTER COLUMN label TYPE varchar(40);\n";
    let (without, with) = lint_against_dump(Engine::Postgres, ddl, migration);
    let rules = |r: &Value| -> Vec<String> {
        diagnostics(r, Path::new("/"))
            .into_iter()
            .map(|(_, rule)| rule)
            .collect()
    };
    assert_eq!(
        rules(&without),
        vec!["change-column-type", "change-column-type"],
        "without the seed the old types are unknown"
    );
    assert!(rules(&with).is_empty(), "{with}");
    assert_eq!(statement_phase(&with, "up.sql", 1), "expand");
    assert_eq!(statement_phase(&with, "up.sql", 2), "expand");
}

#[test]
fn a_mysqldump_seed_knows_the_tables_the_history_did_not_create() {
    let ddl = "\
CREATE TABLE users (id bigint AUTO_INCREMENT PRIMARY KEY, email varchar(20) NOT NULL, status enum('a','b') DEFAULT 'a', created timestamp DEFAULT CURRENT_TIMESTAMP, UNIQUE KEY users_email (email)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE posts (id int AUTO_INCREMENT PRIMARY KEY, user_id bigint, body text, KEY posts_user (user_id), CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id), CHECK (length(body) > 0)) ENGINE=InnoDB COMMENT='posts';
CREATE VIEW active AS SELECT id, email FROM users;
CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW SET NEW.email = lower(NEW.email);
";
    // 20 → 40 utf8mb4 characters: 80 → 160 bytes, the length prefix stays one byte.
    let migration =
        "SET SESSION lock_wait_timeout = 2;\nALTER TABLE users MODIFY email varchar(40) NOT NULL;\n";
    let (without, with) = lint_against_dump(Engine::Mariadb, ddl, migration);
    let rules = |r: &Value| -> Vec<String> {
        diagnostics(r, Path::new("/"))
            .into_iter()
            .map(|(_, rule)| rule)
            .collect()
    };
    assert!(
        rules(&without).contains(&"change-column-type".to_owned()),
        "{without}"
    );
    assert!(rules(&with).is_empty(), "{with}");
    assert_eq!(statement_phase(&with, "up.sql", 1), "expand");
}
