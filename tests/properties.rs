//! Properties that must hold for any input, checked with generated cases:
//!
//! - the statement splitter accounts for every byte: each non-blank byte is in a statement,
//!   a terminator or a comment, and the statements, joined with `;` and split again, come back
//!   the same;
//! - the runner's script reader agrees with the splitter;
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
    prop::collection::vec(prop_oneof![4 => common, 1 => specific], 0..40)
        .prop_map(|parts| parts.join(" "))
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
    // Join the statements with terminators and split again: the same statements.
    let texts: Vec<&str> = s
        .statements
        .iter()
        .filter(|st| st.kind == RawKind::Sql && st.unclosed.is_none())
        .map(|st| &text[st.span.clone()])
        .collect();
    if s.statements
        .iter()
        .all(|st| st.kind == RawKind::Sql && st.unclosed.is_none())
    {
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
