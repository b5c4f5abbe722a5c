//! Strict recognition: valid but unusual SQL (and real dumps) lints without a syntax error;
//! invalid SQL gives exactly one syntax error per statement, with sqlparser's message at
//! the line and column it points at, and exit code 1.

use std::path::Path;
use std::process::Command;

fn lint(file: &str, dialect: &str) -> (Option<i32>, serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/parse")
        .join(file);
    let out = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(["lint", "--dialect", dialect, "--format", "json"])
        .arg(&path)
        .output()
        .expect("bellows runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{file}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

/// `(line, column, message)` of each syntax error.
fn syntax_errors(report: &serde_json::Value) -> Vec<(u64, u64, String)> {
    report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["rule"] == "syntax-error")
        .map(|d| {
            let message = d["message"].as_str().unwrap_or_default();
            let message = message.split_once(" SQL: ").map_or(message, |(_, m)| m);
            (
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                message.to_owned(),
            )
        })
        .collect()
}

fn assert_valid(file: &str, dialect: &str) {
    let (_, report) = lint(file, dialect);
    let errors = syntax_errors(&report);
    assert!(errors.is_empty(), "{file}: {errors:#?}");
    let statements: usize = report["files"][0]["statements"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(statements > 20, "{file}: only {statements} statements read");
}

#[test]
fn unusual_postgres_is_valid() {
    assert_valid("valid-postgres.sql", "postgres");
}

#[test]
fn unusual_mysql_is_valid() {
    assert_valid("valid-mysql.sql", "mysql");
}

#[test]
fn pg_dump_schema_is_valid() {
    assert_valid("pg_dump-schema.sql", "postgres");
}

#[test]
fn mysqldump_schema_is_valid() {
    assert_valid("mysqldump-schema.sql", "mysql");
}

fn assert_invalid(file: &str, dialect: &str, expected: &[(u64, u64, &str)]) {
    let (code, report) = lint(file, dialect);
    assert_eq!(code, Some(1), "{file}");
    let errors = syntax_errors(&report);
    assert_eq!(errors.len(), expected.len(), "{file}: {errors:#?}");
    for ((line, column, message), (want_line, want_column, want)) in errors.iter().zip(expected) {
        assert_eq!(
            (*line, *column),
            (*want_line, *want_column),
            "{file}: {message}"
        );
        assert!(
            message.starts_with(want),
            "{file}:{line}: {message:?} does not start with {want:?}"
        );
    }
}

#[test]
fn invalid_postgres_gives_sqlparser_errors() {
    assert_invalid(
        "invalid-postgres.sql",
        "postgres",
        &[
            (1, 6, "Expected: COLLATION, CONNECTOR, DATABASE, EXTENSION"),
            (2, 1, "Expected: identifier, found: EOF"),
            (3, 17, "Expected: identifier, found: ("),
            (4, 1, "Expected: an SQL statement, found: UPDAET"),
            (5, 25, "Expected: end of statement, found: IF"),
            (6, 1, "Expected: an SQL statement, found: REINDEX"),
            (7, 8, "Expected: end of statement, found: ("),
            (8, 7, "Expected: one of VIEW or MATERIALIZED VIEW"),
            (9, 40, "Expected: SET/DROP NOT NULL, SET DEFAULT"),
            (10, 39, "Expected: SET/DROP NOT NULL, SET DEFAULT"),
            (11, 71, "Expected: SET/DROP NOT NULL, SET DEFAULT"),
            (12, 12, "Expected: comment object_type, found: CONSTRAINT"),
            (13, 36, "Expected: SELECT, VALUES, or a subquery"),
            (
                14,
                36,
                "Expected: a list of columns in parentheses, found: events",
            ),
            (15, 1, "Expected: an SQL statement, found: DO"),
            (16, 26, "Expected: (, found: TABLESPACE"),
            (17, 43, "Expected: ), found: INCLUDING"),
            (18, 48, "Expected: end of statement, found: COST"),
            (19, 1, "Expected: AS, found: EOF"),
            (20, 16, "Expected: RENAME after ALTER INDEX, found: EXISTS"),
            (
                21,
                8,
                "Expected: an object type after CREATE, found: STATISTICS",
            ),
            (
                22,
                26,
                "Expected: a column definition (this is MySQL index syntax), found: INDEX",
            ),
            (23, 1, "Expected: an SQL statement, found: CLUSTR"),
            (24, 7, "Expected: one of VIEW or MATERIALIZED VIEW or TYPE"),
            (25, 1, "Expected: IS, found: EOF"),
            (
                26,
                17,
                "Expected: {RENAME TO | { RENAME | ADD } VALUE}, found: OWNER",
            ),
            (27, 7, "Expected: one of VIEW or MATERIALIZED VIEW or TYPE"),
            (28, 6, "Expected: COLLATION, CONNECTOR, DATABASE, EXTENSION"),
            (29, 8, "Expected: an object type after CREATE, found: CAST"),
            (30, 1, "Expected: an SQL statement, found: CLUSTER"),
            (31, 17, "Expected: equals sign or TO, found: ALL"),
            (32, 56, "Expected: ON, found: TABLES"),
        ],
    );
}

#[test]
fn invalid_mysql_gives_sqlparser_errors() {
    assert_invalid(
        "invalid-mysql.sql",
        "mysql",
        &[
            (1, 6, "Expected: COLLATION, CONNECTOR, DATABASE, EXTENSION"),
            (2, 1, "Expected: identifier, found: EOF"),
            (3, 1, "Expected: an SQL statement, found: UPDAET"),
            (4, 22, "Expected: ADD, RENAME, PARTITION, SWAP, DROP"),
            (
                5,
                32,
                "Expected: DEFAULT, INSTANT, INPLACE, or COPY after ALGORITHM",
            ),
            (6, 40, "Expected: end of statement, found: EXISTS"),
            (7, 22, "Expected: ADD, RENAME, PARTITION, SWAP, DROP"),
            (8, 1, "Expected: an SQL statement, found: OPTIMIZE"),
            (9, 20, "Expected: ADD, RENAME, PARTITION, SWAP, DROP"),
            (10, 35, "Expected: TO, found: a"),
            (11, 48, "Expected: end of statement, found: BINARY"),
            (12, 37, "Expected: end of statement, found: ALGORITHM"),
            (13, 30, "Expected: end of statement, found: PARTITION"),
            (14, 8, "Expected: an object type after CREATE, found: EVENT"),
            (15, 1, "Expected: variable value, found: EOF"),
            (21, 6, "Expected: IF, found: ;"),
            (23, 28, "Expected: AS, found: BEGIN"),
            (
                24,
                8,
                "Expected: an object type after CREATE, found: FUNCTION",
            ),
            (26, 1, "Expected: an SQL statement, found: CHECK"),
            (27, 1, "Expected: an SQL statement, found: XA"),
            (28, 8, "Expected: KEYWORD `TABLE` after RENAME, found: USER"),
            (
                29,
                8,
                "Expected: an object type after CREATE, found: SPATIAL",
            ),
            (30, 1, "Expected: an SQL statement, found: HANDLER"),
        ],
    );
}
