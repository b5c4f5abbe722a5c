//! Properties that must hold for any input, checked with generated cases:
//!
//! - the statement splitter accounts for every byte: each non-blank byte is in a statement,
//!   a terminator or a comment, and the statements, joined with `;` and split again, come back
//!   the same; the text mixes in compound statements (stored programs, `BEGIN ATOMIC`,
//!   goose `StatementBegin` blocks) and loose block keywords;
//! - well-formed compound statements with nested blocks, joined with `;`, come back one
//!   statement each, and a goose `StatementBegin` … `StatementEnd` block is one statement;
//! - the runner's script reader sends exactly the statements the splitter cuts;
//! - the schema snapshot `migrate verify` compares is stable: the same schema gives the same
//!   snapshot twice, and again after it is dropped and rebuilt (real PostgreSQL and MariaDB).

mod common;

use bellows::dialect::Dialect;
use bellows::parse::split::{split, RawKind};
use bellows::runner::url::DbUrl;
use bellows::runner::{AnyBackend, Backend};
use common::db::{Engine, Scratch};
use proptest::prelude::*;

/// SQL-like text: keywords, identifiers, quoted strings with `;` inside, dollar quotes,
/// comments, terminators and blanks, in any order.
fn fragment(dialect: Dialect) -> impl Strategy<Value = String> {
    let common = prop_oneof![
        Just("SELECT".to_owned()),
        Just("CREATE TABLE t (id int)".to_owned()),
        Just("ALTER TABLE t ADD COLUMN c text".to_owned()),
        "[a-z_][a-z0-9_]{0,8}".prop_map(|s| s),
        "[0-9]{1,4}".prop_map(|s| s),
        "'[a-z; ]{0,6}'".prop_map(|s| s),
        Just("';;'".to_owned()),
        Just("-- a comment; with a semicolon\n".to_owned()),
        Just("/* block ; comment */".to_owned()),
        Just(";".to_owned()),
        Just(" ".to_owned()),
        Just("\n".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(",".to_owned()),
    ];
    let specific = match dialect {
        Dialect::Postgres => prop_oneof![
            Just("$$ body; more $$".to_owned()),
            Just("$fn$ a;b $fn$".to_owned()),
            Just("E'\\\\n;'".to_owned()),
            Just("\"quoted;ident\"".to_owned()),
            Just("/* nested /* ; */ */".to_owned()),
        ]
        .boxed(),
        Dialect::Mysql => prop_oneof![
            Just("`back;tick`".to_owned()),
            Just("# hash comment;\n".to_owned()),
            Just("'it\\'s;'".to_owned()),
            Just("\"dq;string\"".to_owned()),
        ]
        .boxed(),
    };
    let blocks = prop_oneof![
        compound(dialect),
        Just("BEGIN".to_owned()),
        Just("END".to_owned()),
        Just("END IF".to_owned()),
        Just("CASE".to_owned()),
        Just("IF".to_owned()),
        Just("THEN".to_owned()),
        Just("LOOP".to_owned()),
        Just("-- +goose StatementBegin\n".to_owned()),
        Just("-- +goose StatementEnd\n".to_owned()),
    ];
    prop::collection::vec(prop_oneof![8 => common, 2 => specific, 1 => blocks], 0..40)
        .prop_map(|parts| parts.join(" "))
}

/// A statement inside a MySQL compound body, with nested blocks up to a few levels deep.
fn mysql_body_statement() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("SELECT 1".to_owned()),
        Just("SET x = IF(a, 1, 2)".to_owned()),
        Just("SELECT REPEAT('a;', 2), `end`, t.begin FROM t".to_owned()),
        Just("SELECT CASE WHEN a THEN 'END;' ELSE CASE b WHEN 1 THEN 2 END END".to_owned()),
        Just("INSERT INTO t VALUES (1) -- END;\n".to_owned()),
        Just("DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1".to_owned()),
        Just("LEAVE lbl".to_owned()),
    ];
    leaf.prop_recursive(3, 24, 3, |inner| {
        let body = prop::collection::vec(inner, 1..3)
            .prop_map(|v| v.iter().map(|s| format!("{s};\n")).collect::<String>());
        (body.clone(), body, 0..8usize).prop_map(|(a, b, shape)| match shape {
            0 => format!("BEGIN\n{a}END"),
            1 => format!("IF a THEN\n{a}ELSEIF b THEN\n{b}ELSE\n{a}END IF"),
            2 => format!("CASE v WHEN 1 THEN\n{a}ELSE\n{b}END CASE"),
            3 => format!("lbl: LOOP\n{a}END LOOP lbl"),
            4 => format!("WHILE a DO\n{a}END WHILE"),
            5 => format!("REPEAT\n{a}UNTIL b END REPEAT"),
            6 => format!("DECLARE EXIT HANDLER FOR SQLSTATE '23000', 1062 BEGIN\n{a}END"),
            _ => format!("blk: BEGIN\n{a}END blk"),
        })
    })
}

/// A whole compound statement of the dialect, without its terminator.
fn compound(dialect: Dialect) -> BoxedStrategy<String> {
    match dialect {
        Dialect::Mysql => {
            let head = prop_oneof![
                Just("CREATE PROCEDURE p(IN a INT)"),
                Just("CREATE DEFINER=`root`@`%` FUNCTION f(a INT) RETURNS VARCHAR(10) CHARACTER SET utf8mb4 DETERMINISTIC"),
                Just("CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW"),
                Just("CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO"),
                Just(""),
            ];
            (head, prop::collection::vec(mysql_body_statement(), 1..4))
                .prop_map(|(head, body)| {
                    let body: String = body.iter().map(|s| format!("  {s};\n")).collect();
                    if head.is_empty() {
                        format!("BEGIN NOT ATOMIC\n{body}END")
                    } else {
                        format!("{head}\nBEGIN\n{body}END")
                    }
                })
                .boxed()
        }
        Dialect::Postgres => {
            let statement = prop_oneof![
                Just("SELECT CASE WHEN a > 1 THEN 'x;' ELSE CASE WHEN a < 0 THEN 'y' END END"),
                Just("INSERT INTO t VALUES (a)"),
                Just("UPDATE t SET b = CASE b WHEN 1 THEN 2 END WHERE c = $1"),
            ];
            let head = prop_oneof![
                Just("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql"),
                Just("CREATE OR REPLACE PROCEDURE p(a int DEFAULT 1)\nLANGUAGE SQL"),
            ];
            (head, prop::collection::vec(statement, 1..4))
                .prop_map(|(head, body)| {
                    let body: String = body.iter().map(|s| format!("  {s};\n")).collect();
                    format!("{head}\nBEGIN ATOMIC\n{body}END")
                })
                .boxed()
        }
    }
}

/// A simple statement, or a compound one.
fn whole_statement(dialect: Dialect) -> impl Strategy<Value = String> {
    prop_oneof![
        Just("SELECT 1".to_owned()),
        Just("CREATE TABLE t (id int, `end` int)".to_owned()).prop_map(move |s| {
            if dialect == Dialect::Postgres {
                s.replace('`', "\"")
            } else {
                s
            }
        }),
        Just("BEGIN".to_owned()),
        Just("COMMIT".to_owned()),
        compound(dialect),
    ]
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn check_split(text: &str, dialect: Dialect) -> Result<(), TestCaseError> {
    let s = split(text, dialect);
    let mut covered = vec![false; text.len()];
    let mut mark = |r: std::ops::Range<usize>| {
        for c in &mut covered[r] {
            *c = true;
        }
    };
    for st in &s.statements {
        prop_assert!(st.span.start < st.span.end && st.span.end <= text.len());
        mark(st.span.clone());
        if let Some(t) = &st.terminator {
            mark(t.clone());
        }
    }
    for c in &s.comments {
        mark(c.span.clone());
    }
    for (i, b) in text.bytes().enumerate() {
        // A `;` with nothing before it ends an empty statement and is dropped.
        if !covered[i] && !is_blank(b) && b != b';' {
            prop_assert!(
                false,
                "byte {i} ({:?}) of {text:?} is in no statement, terminator or comment",
                b as char
            );
        }
    }
    // The runner sends exactly the SQL statements the splitter cut.
    if let Ok(sent) = bellows::runner::script::statements(text, dialect) {
        let cut: Vec<&str> = s
            .statements
            .iter()
            .filter(|st| st.kind == RawKind::Sql)
            .map(|st| &text[st.span.clone()])
            .collect();
        let sent: Vec<&str> = sent.iter().map(|st| st.sql.as_str()).collect();
        prop_assert_eq!(cut, sent);
    }
    // Join the statements with terminators and split again: the same statements.
    let texts: Vec<&str> = s
        .statements
        .iter()
        .filter(|st| st.kind == RawKind::Sql && st.unclosed.is_none())
        .map(|st| &text[st.span.clone()])
        .collect();
    let closed = s
        .statements
        .iter()
        .all(|st| st.kind == RawKind::Sql && st.unclosed.is_none());
    // A goose block is one statement only between its annotations: wrapped in them again,
    // each statement comes back as it was.
    if closed && !texts.iter().any(|t| t.contains("+goose")) {
        let wrapped: String = texts
            .iter()
            .map(|t| format!("-- +goose StatementBegin\n{t}\n;\n-- +goose StatementEnd\n"))
            .collect();
        let again = split(&wrapped, dialect);
        let texts_again: Vec<&str> = again
            .statements
            .iter()
            .map(|st| &wrapped[st.span.clone()])
            .collect();
        prop_assert_eq!(&texts, &texts_again, "wrapped: {:?}", wrapped);
    }
    if closed && !text.contains("+goose") {
        // A newline before the `;`: a statement may end in a line comment.
        let joined: String = texts.iter().map(|t| format!("{t}\n;\n")).collect();
        let again = split(&joined, dialect);
        let texts_again: Vec<&str> = again
            .statements
            .iter()
            .map(|st| &joined[st.span.clone()])
            .collect();
        prop_assert_eq!(&texts, &texts_again, "joined: {:?}", joined);
        // The runner sends exactly these statements.
        let sent = bellows::runner::script::statements(&joined, dialect)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let sent: Vec<&str> = sent.iter().map(|s| s.sql.as_str()).collect();
        prop_assert_eq!(&texts, &sent);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn postgres_split_accounts_for_every_byte_and_round_trips(text in fragment(Dialect::Postgres)) {
        check_split(&text, Dialect::Postgres)?;
    }

    #[test]
    fn mysql_split_accounts_for_every_byte_and_round_trips(text in fragment(Dialect::Mysql)) {
        check_split(&text, Dialect::Mysql)?;
    }

    #[test]
    fn postgres_compound_statements_come_back_whole(
        statements in prop::collection::vec(whole_statement(Dialect::Postgres), 1..6)
    ) {
        check_whole(&statements, Dialect::Postgres)?;
    }

    #[test]
    fn mysql_compound_statements_come_back_whole(
        statements in prop::collection::vec(whole_statement(Dialect::Mysql), 1..6)
    ) {
        check_whole(&statements, Dialect::Mysql)?;
    }

    #[test]
    fn goose_statement_blocks_are_one_statement(
        items in prop::collection::vec(
            (any::<bool>(), prop::collection::vec("(SELECT 1|SELECT 'a;b'|UPDATE t SET a = 1)", 1..4)),
            1..6,
        ),
        mysql in any::<bool>(),
    ) {
        let dialect = if mysql { Dialect::Mysql } else { Dialect::Postgres };
        let mut text = String::new();
        let mut expected = Vec::new();
        for (block, statements) in &items {
            if *block {
                text.push_str("-- +goose StatementBegin\n");
                for st in statements {
                    text.push_str(&format!("{st};\n"));
                }
                text.push_str("-- +goose StatementEnd\n");
                expected.push(statements.join(";\n"));
            } else {
                for st in statements {
                    text.push_str(&format!("{st};\n"));
                    expected.push(st.clone());
                }
            }
        }
        let s = split(&text, dialect);
        let cut: Vec<&str> = s.statements.iter().map(|st| &text[st.span.clone()]).collect();
        prop_assert_eq!(cut, expected.iter().map(String::as_str).collect::<Vec<_>>());
        check_split(&text, dialect)?;
    }
}

/// The statements, each followed by `;` and a line break, split back into exactly
/// themselves, and the runner sends them as they are.
fn check_whole(statements: &[String], dialect: Dialect) -> Result<(), TestCaseError> {
    let text: String = statements.iter().map(|s| format!("{s};\n")).collect();
    let s = split(&text, dialect);
    let cut: Vec<&str> = s
        .statements
        .iter()
        .map(|st| &text[st.span.clone()])
        .collect();
    prop_assert_eq!(&cut, statements, "text: {:?}", text);
    prop_assert!(s.statements.iter().all(|st| st.unclosed.is_none()));
    check_split(&text, dialect)
}

/// A small random schema: tables with columns of a few types, nullability and defaults,
/// some indexes, a view.
#[derive(Debug, Clone)]
struct SchemaSpec {
    tables: Vec<TableSpec>,
}

#[derive(Debug, Clone)]
struct TableSpec {
    columns: Vec<(u8, bool, bool)>,
    indexed: Vec<usize>,
}

fn schema_spec() -> impl Strategy<Value = SchemaSpec> {
    let table = (
        prop::collection::vec((0u8..5, any::<bool>(), any::<bool>()), 1..6),
        prop::collection::vec(0usize..6, 0..3),
    )
        .prop_map(|(columns, indexed)| TableSpec { columns, indexed });
    prop::collection::vec(table, 1..4).prop_map(|tables| SchemaSpec { tables })
}

fn ddl(spec: &SchemaSpec, engine: Engine) -> Vec<String> {
    let types = match engine {
        Engine::Postgres => ["integer", "bigint", "text", "varchar(40)", "boolean"],
        Engine::Mariadb => ["int", "bigint", "varchar(200)", "varchar(40)", "tinyint(1)"],
    };
    let defaults = match engine {
        Engine::Postgres => ["7", "7", "'x'", "'y'", "true"],
        Engine::Mariadb => ["7", "7", "'x'", "'y'", "1"],
    };
    let mut out = Vec::new();
    for (t, table) in spec.tables.iter().enumerate() {
        let mut cols = vec!["id bigint PRIMARY KEY".to_owned()];
        for (c, (ty, not_null, default)) in table.columns.iter().enumerate() {
            let ty = *ty as usize;
            let mut col = format!("c{c} {}", types[ty]);
            if *not_null {
                col.push_str(" NOT NULL");
            }
            if *default {
                col.push_str(&format!(" DEFAULT {}", defaults[ty]));
            }
            cols.push(col);
        }
        out.push(format!("CREATE TABLE t{t} ({})", cols.join(", ")));
        let mut seen = Vec::new();
        for &i in &table.indexed {
            let c = i % table.columns.len();
            if seen.contains(&c) {
                continue;
            }
            seen.push(c);
            out.push(format!("CREATE INDEX t{t}_c{c}_idx ON t{t} (c{c})"));
        }
        out.push(format!("CREATE VIEW v{t} AS SELECT id FROM t{t}"));
    }
    out
}

fn teardown(spec: &SchemaSpec) -> Vec<String> {
    let mut out = Vec::new();
    for t in (0..spec.tables.len()).rev() {
        out.push(format!("DROP VIEW v{t}"));
        out.push(format!("DROP TABLE t{t}"));
    }
    out
}

fn snapshot_is_stable(engine: Engine) {
    let db = Scratch::new(engine);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = DbUrl::parse(&db.url()).expect("url");
    let backend = std::cell::RefCell::new(
        runtime
            .block_on(AnyBackend::connect(&url))
            .expect("connect"),
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&schema_spec(), |spec| {
            let mut b = backend.borrow_mut();
            runtime.block_on(async {
                for s in ddl(&spec, engine) {
                    b.execute(&s)
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
                }
                let first = b
                    .snapshot(&[])
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let second = b
                    .snapshot(&[])
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(first.render(), second.render());
                prop_assert!(first.items.iter().any(|i| i.kind == "index"));
                for s in teardown(&spec) {
                    b.execute(&s)
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
                }
                for s in ddl(&spec, engine) {
                    b.execute(&s)
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
                }
                let rebuilt = b
                    .snapshot(&[])
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(first.render(), rebuilt.render());
                for s in teardown(&spec) {
                    b.execute(&s)
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
                }
                Ok(())
            })
        })
        .expect("the snapshot is stable");
}

#[test]
fn postgres_snapshot_is_stable() {
    snapshot_is_stable(Engine::Postgres);
}

#[test]
fn mariadb_snapshot_is_stable() {
    snapshot_is_stable(Engine::Mariadb);
}
