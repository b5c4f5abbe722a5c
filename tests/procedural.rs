//! Statements inside procedural code (DO blocks, EXECUTE, MySQL prepared statements, and
//! functions a migration creates and runs) are linted as the statements they are, at
//! their own lines, and marked when they run only under a condition.

use bellows::dialect::Dialect;
use bellows::lint::{lint_source, FileResult, LintSettings};
use bellows::report::JsonReport;
use bellows::rules::Finding;
use bellows::source::SourceFile;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/procedural")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn lint(name: &str, text: &str, dialect: Dialect) -> FileResult {
    lint_source(SourceFile::new(name, text), &LintSettings::new(dialect))
}

fn lint_fixture(name: &str, dialect: Dialect) -> FileResult {
    lint(name, &fixture(name), dialect)
}

/// The file's JSON report entry and its diagnostics.
fn json(result: &FileResult) -> serde_json::Value {
    serde_json::to_value(JsonReport::new(std::slice::from_ref(result))).expect("serialisable")
}

fn rules_at(result: &FileResult) -> Vec<(&'static str, usize)> {
    result
        .findings
        .iter()
        .map(|f| (f.rule, result.source.position(f.span.start).line))
        .collect()
}

/// The finding of `rule`, which must be reported at `line`.
fn finding<'a>(result: &'a FileResult, rule: &str, line: usize) -> &'a Finding {
    result
        .findings
        .iter()
        .find(|f| f.rule == rule && result.source.position(f.span.start).line == line)
        .unwrap_or_else(|| panic!("no {rule} at line {line}: {:?}", rules_at(result)))
}

fn diagnostic<'a>(report: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    report["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["rule"] == rule))
        .unwrap_or_else(|| panic!("no {rule} in {report:#}"))
}

#[test]
fn drop_column_under_if_in_a_do_block() {
    let result = lint_fixture("do_if_drop_column.sql", Dialect::Postgres);
    let drop = finding(&result, "drop-column", 6);
    assert!(
        drop.message.contains(
            "inside the DO block at line 2, under IF: it runs only when the condition holds"
        ),
        "{}",
        drop.message
    );
    assert_eq!(
        result.source.slice(&drop.span),
        "ALTER TABLE comments DROP COLUMN legacy_html"
    );
    // The DO statement carries the phase of what runs inside it.
    assert_eq!(result.phase.as_str(), "contract");
    assert_eq!(result.statements[0].phase.as_str(), "contract");

    let report = json(&result);
    let d = diagnostic(&report, "drop-column");
    assert_eq!(d["inside"], "do-block");
    assert_eq!(d["conditional"], true);
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(6), Some(9))
    );
    let statements = report["files"][0]["statements"]
        .as_array()
        .expect("statements");
    assert_eq!(statements.len(), 2);
    // The file's own statement keeps exactly the fields it had.
    assert_eq!(
        statements[0],
        serde_json::json!({"line": 2, "column": 1, "phase": "contract", "op": "procedural"})
    );
    assert_eq!(
        statements[1],
        serde_json::json!({"line": 6, "column": 9, "phase": "contract", "op": "drop-column",
                           "inside": "do-block", "conditional": true})
    );
}

#[test]
fn execute_literal_in_a_do_block_is_a_type_change() {
    let result = lint_fixture("do_execute_type_change.sql", Dialect::Postgres);
    let change = finding(&result, "change-column-type", 5);
    // The literal's own position, past `EXECUTE '`.
    let p = result.source.position(change.span.start);
    assert_eq!((p.line, p.column), (5, 14));
    assert!(
        change
            .message
            .contains("run by EXECUTE in the DO block at line 1"),
        "{}",
        change.message
    );
    assert!(!change.message.contains("runs only"), "{}", change.message);
    let report = json(&result);
    let d = diagnostic(&report, "change-column-type");
    assert_eq!(d["inside"], "execute");
    assert!(d.get("conditional").is_none(), "{d:#}");
    // Assignments and declarations are not statements.
    assert_eq!(result.statements.len(), 2);
}

#[test]
fn mysql_prepared_statement_chosen_by_if() {
    let result = lint_fixture("mysql_prepare_if.sql", Dialect::Mysql);
    let drop = finding(&result, "drop-column", 4);
    assert!(drop.message.contains("chosen by IF()"), "{}", drop.message);
    let report = json(&result);
    let d = diagnostic(&report, "drop-column");
    assert_eq!(d["inside"], "prepare");
    assert_eq!(d["conditional"], true);
    // The `SELECT 1` branch is read too, and is inert.
    let inner: Vec<&str> = result
        .statements
        .iter()
        .filter(|s| s.inside.is_some())
        .map(|s| result.source.slice(&s.span))
        .collect();
    assert_eq!(
        inner,
        ["ALTER TABLE orders DROP COLUMN legacy_total", "SELECT 1"]
    );
    assert_eq!(result.phase.as_str(), "contract");
}

#[test]
fn helper_function_created_called_and_dropped() {
    let result = lint_fixture("function_called_and_dropped.sql", Dialect::Postgres);
    let update = result
        .statements
        .iter()
        .find(|s| s.op_names() == "update")
        .expect("the body's UPDATE is seen");
    assert_eq!(result.source.position(update.span.start).line, 3);
    let inside = update.inside.as_ref().expect("inside a call");
    assert_eq!(inside.kind.as_str(), "function-call");
    assert_eq!(inside.function.as_deref(), Some("fill_display_names"));
    assert_eq!(
        result.source.slice(&inside.site),
        "SELECT fill_display_names()"
    );
    // It runs at the call, after the CREATE FUNCTION.
    let order: Vec<String> = result.statements.iter().map(|s| s.op_names()).collect();
    assert_eq!(order, ["create-object", "select", "update", "drop-object"]);
    // The helper leaves nothing behind: its CREATE and DROP are no phase at all.
    assert_eq!(result.phase.as_str(), "backfill");
    let rules: Vec<&str> = result.findings.iter().map(|f| f.rule).collect();
    assert!(!rules.contains(&"mixed-phases"), "{rules:?}");
    assert!(!rules.contains(&"backfill-with-ddl"), "{rules:?}");
}

#[test]
fn dropping_a_function_of_an_earlier_migration_is_still_a_contract() {
    let result = lint("m.sql", "DROP FUNCTION old_helper();", Dialect::Postgres);
    assert_eq!(result.phase.as_str(), "contract");
    // Created after the drop: a replacement, not a helper.
    let result = lint(
        "m.sql",
        "DROP FUNCTION f();\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;",
        Dialect::Postgres,
    );
    assert_eq!(result.statements[0].phase.as_str(), "contract");
}

#[test]
fn a_function_only_created_is_not_run() {
    let result = lint_fixture("function_only_created.sql", Dialect::Postgres);
    assert_eq!(result.statements.len(), 1);
    assert_eq!(result.phase.as_str(), "expand");
    assert!(result.findings.is_empty(), "{:?}", rules_at(&result));
}

#[test]
fn execute_format_with_placeholders_is_not_knowable() {
    let result = lint_fixture("execute_format_placeholder.sql", Dialect::Postgres);
    assert_eq!(result.statements.len(), 1);
    assert_eq!(result.phase.as_str(), "none");
    assert!(result.findings.is_empty(), "{:?}", rules_at(&result));
}

#[test]
fn inner_statements_feed_the_schema_model() {
    // The table is created inside the DO block, so indexing it later is part of the expand.
    let text = "DO $$ BEGIN CREATE TABLE audit (id bigint, at timestamptz); END $$;\nCREATE INDEX audit_at ON audit (at);";
    let result = lint("m.sql", text, Dialect::Postgres);
    assert!(result.findings.is_empty(), "{:?}", rules_at(&result));
    assert_eq!(result.phase.as_str(), "expand");
}

#[test]
fn a_suppression_before_the_do_block_covers_its_statements() {
    let text = "-- bellows: ignore drop-column\nDO $$ BEGIN ALTER TABLE t DROP COLUMN c; END $$;\nALTER TABLE u DROP COLUMN d;";
    let result = lint("m.sql", text, Dialect::Postgres);
    let rules = rules_at(&result);
    assert!(!rules.contains(&("drop-column", 2)), "{rules:?}");
    assert!(rules.contains(&("drop-column", 3)), "{rules:?}");
    assert!(
        !rules.iter().any(|(r, _)| *r == "unused-suppression"),
        "{rules:?}"
    );
}

#[test]
fn loops_and_handlers_are_conditions() {
    let text = "DO $$\nBEGIN\n  FOR i IN 1..3 LOOP\n    UPDATE t SET n = i;\n  END LOOP;\nEXCEPTION WHEN others THEN\n  DROP TABLE t;\nEND $$;";
    let result = lint("m.sql", text, Dialect::Postgres);
    let conditions: Vec<Option<&str>> = result
        .statements
        .iter()
        .filter_map(|s| s.inside.as_ref().map(|i| i.condition))
        .collect();
    assert_eq!(conditions, [Some("FOR"), Some("EXCEPTION")]);
    let drop = finding(&result, "drop-table", 7);
    assert!(
        drop.message.contains("in an EXCEPTION handler"),
        "{}",
        drop.message
    );
}

#[test]
fn unreadable_procedural_code_never_fails() {
    for text in [
        "DO $$ BEGIN EXECUTE $$",
        "DO $$",
        "DO $$ BEGIN IF THEN END IF; END $$",
        "DO 'BEGIN EXECUTE ''x'; END'",
        "DO $$ BEGIN EXECUTE 'ALTER TABLE'; PERFORM; END $$",
        "CREATE FUNCTION f( RETURNS void AS $$ x $$; SELECT f();",
        "CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM f(); END $$ LANGUAGE plpgsql; SELECT f();",
    ] {
        let result = lint("m.sql", text, Dialect::Postgres);
        assert!(!result.statements.is_empty(), "{text}");
    }
    for text in [
        "SET @q = IF(1, 'ALTER TABLE', ); PREPARE s FROM @q; EXECUTE s;",
        "PREPARE s FROM @nothing; EXECUTE s; EXECUTE s;",
        "BEGIN NOT ATOMIC END",
    ] {
        lint("m.sql", text, Dialect::Mysql);
    }
}
