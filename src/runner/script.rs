//! A migration script as the runner sends it: statements one at a time, with their line,
//! whether the engine lets them share a transaction, and a backfill's batch bounds bound.
//!
//! Owns turning a script's text into executable statements (the linter's splitter cuts
//! them, so both agree on where a statement ends). It does not talk to a database.

use crate::dialect::Dialect;
use crate::parse::split::{split, RawKind};

/// One statement to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's text without its terminator.
    pub sql: String,
    /// The 1-based line where it starts in the script.
    pub line: usize,
}

/// A script the runner cannot send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    #[error("line {line}: psql meta-command `{text}` cannot run outside psql; write it as SQL")]
    PsqlMeta { line: usize, text: String },
    #[error("line {line}: the rows of a `COPY … FROM STDIN` are sent by psql, not by bellows; write them as INSERT statements (or COPY from a file the server reads)")]
    CopyData { line: usize },
    #[error("line {line}: {what} is never closed; an unclosed quote, comment or block runs to the end of the file")]
    Unclosed { line: usize, what: &'static str },
}

/// The statements of a script, in order. `DELIMITER` lines change only where statements
/// end; they are not sent.
pub fn statements(text: &str, dialect: Dialect) -> Result<Vec<Statement>, ScriptError> {
    let split = split(text, dialect);
    let mut out = Vec::with_capacity(split.statements.len());
    for s in &split.statements {
        let line = line_of(text, s.span.start);
        let sql = &text[s.span.clone()];
        match s.kind {
            RawKind::Delimiter => continue,
            RawKind::PsqlMeta => {
                return Err(ScriptError::PsqlMeta {
                    line,
                    text: sql.lines().next().unwrap_or_default().to_owned(),
                })
            }
            RawKind::CopyData => return Err(ScriptError::CopyData { line }),
            RawKind::Sql => {}
        }
        if let Some((what, at)) = s.unclosed {
            return Err(ScriptError::Unclosed {
                line: line_of(text, at),
                what: what.describe(),
            });
        }
        if sql.trim().is_empty() {
            continue;
        }
        out.push(Statement {
            sql: sql.to_owned(),
            line,
        });
    }
    Ok(out)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The statement's leading keywords, upper-cased, comments and blanks skipped.
pub(crate) fn keywords(sql: &str, n: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = sql;
    while words.len() < n {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map(|(_, r)| r).unwrap_or("");
            continue;
        }
        if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map(|(_, r)| r).unwrap_or("");
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        words.push(rest[..end].to_ascii_uppercase());
        rest = &rest[end..];
    }
    words
}

/// Whether a statement controls the transaction itself (`BEGIN`, `COMMIT`, …). MariaDB's
/// `BEGIN NOT ATOMIC … END` is a compound statement, not a transaction.
pub fn is_transaction_control(sql: &str) -> bool {
    let k = keywords(sql, 2);
    match k.first().map(String::as_str) {
        Some("BEGIN") => k.get(1).is_none_or(|w| w != "NOT"),
        Some("COMMIT" | "ROLLBACK" | "END" | "SAVEPOINT" | "RELEASE") => true,
        Some("START") => k.get(1).is_some_and(|w| w == "TRANSACTION"),
        _ => false,
    }
}

/// Whether the engine refuses to run the statement inside a transaction block (PostgreSQL:
/// `CONCURRENTLY`, `VACUUM`, `CREATE DATABASE`, `ALTER SYSTEM`, …), or commits implicitly
/// (MySQL: any DDL).
pub fn needs_autocommit(sql: &str, dialect: Dialect) -> bool {
    let k = keywords(sql, 4);
    let first = k.first().map(String::as_str).unwrap_or("");
    match dialect {
        Dialect::Postgres => {
            matches!(first, "VACUUM" | "CLUSTER" | "REINDEX")
                && (first != "REINDEX" || sql.to_ascii_uppercase().contains("CONCURRENTLY"))
                || matches!(
                    (first, k.get(1).map(String::as_str)),
                    (
                        "CREATE" | "DROP",
                        Some("DATABASE" | "TABLESPACE" | "SUBSCRIPTION")
                    ) | ("ALTER", Some("SYSTEM"))
                )
                || k.iter().any(|w| w == "CONCURRENTLY")
                || (first == "ALTER"
                    && sql.to_ascii_uppercase().contains("DETACH PARTITION")
                    && sql.to_ascii_uppercase().contains("CONCURRENTLY"))
        }
        Dialect::Mysql => !matches!(
            first,
            "INSERT"
                | "UPDATE"
                | "DELETE"
                | "REPLACE"
                | "SELECT"
                | "SET"
                | "DO"
                | "CALL"
                | "WITH"
                | "VALUES"
        ),
    }
}

/// How a migration's statements run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// In one transaction, with the history row written inside it: all or nothing.
    Transaction,
    /// Statement by statement in autocommit; the history row is written as started
    /// first, so a crash leaves a visible dirty row.
    Autocommit,
}

/// The mode for a script: autocommit when the migration says `transaction = false`, when
/// it controls transactions itself, or when a statement cannot run in a transaction.
pub fn mode(statements: &[Statement], dialect: Dialect, declared: Option<bool>) -> Mode {
    if declared == Some(false)
        || statements
            .iter()
            .any(|s| is_transaction_control(&s.sql) || needs_autocommit(&s.sql, dialect))
    {
        Mode::Autocommit
    } else {
        Mode::Transaction
    }
}

/// Whether the text uses the backfill placeholders.
pub fn has_batch_placeholders(sql: &str) -> bool {
    sql.contains(":batch_start") || sql.contains(":batch_end")
}

/// The statement with `:batch_start` / `:batch_end` replaced by the batch's bounds
/// (integers, so no quoting is involved). A `::` cast before the name is left alone.
pub fn bind_batch(sql: &str, start: i64, end: i64) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(pos) = rest.find(":batch_") {
        let before = &rest[..pos];
        let is_cast = before.ends_with(':');
        let after = &rest[pos..];
        let (name, value) = if after.starts_with(":batch_start") {
            (":batch_start", start)
        } else if after.starts_with(":batch_end") {
            (":batch_end", end)
        } else {
            ("", 0)
        };
        let ident_follows = after[name.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(before);
        if name.is_empty() || is_cast || ident_follows {
            out.push_str(":batch_");
            rest = &after[":batch_".len()..];
        } else {
            out.push_str(&value.to_string());
            rest = &after[name.len()..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_with_lines() {
        let s = statements(
            "-- add\nCREATE TABLE a (id int);\n\nCREATE INDEX CONCURRENTLY i ON a (id);\n",
            Dialect::Postgres,
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].line, 4);
        assert_eq!(s[0].sql, "CREATE TABLE a (id int)");
        assert_eq!(mode(&s, Dialect::Postgres, None), Mode::Autocommit);
        assert_eq!(mode(&s[..1], Dialect::Postgres, None), Mode::Transaction);
        assert_eq!(
            mode(&s[..1], Dialect::Postgres, Some(false)),
            Mode::Autocommit
        );
        assert_eq!(mode(&s[..1], Dialect::Mysql, None), Mode::Autocommit);
    }

    #[test]
    fn refuses_psql_meta_and_unclosed() {
        assert!(matches!(
            statements("SELECT 1;\n\\i other.sql\n", Dialect::Postgres),
            Err(ScriptError::PsqlMeta { line: 2, .. })
        ));
        assert!(matches!(
            statements("SELECT 1;\nCOPY t FROM stdin;\n1\n\\.\n", Dialect::Postgres),
            Err(ScriptError::CopyData { line: 3 })
        ));
        assert!(matches!(
            statements("SELECT 1;\nSELECT 'x;\n", Dialect::Postgres),
            Err(ScriptError::Unclosed { line: 2, .. })
        ));
        // An unclosed compound block: the line where it opens.
        assert_eq!(
            statements(
                "SELECT 1;\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n",
                Dialect::Mysql
            ),
            Err(ScriptError::Unclosed {
                line: 3,
                what: "this BEGIN … END block"
            })
        );
    }

    #[test]
    fn compound_statements_are_sent_whole() {
        let s = statements(
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END;\n\
             BEGIN NOT ATOMIC SELECT 1; END;\nBEGIN;\nCOMMIT;",
            Dialect::Mysql,
        )
        .unwrap();
        let sql: Vec<&str> = s.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sql,
            vec![
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END",
                "BEGIN NOT ATOMIC SELECT 1; END",
                "BEGIN",
                "COMMIT"
            ]
        );
        assert_eq!(s[1].line, 2);
    }

    #[test]
    fn mysql_dml_shares_a_transaction() {
        let s = statements(
            "UPDATE t SET a = 1; INSERT INTO t VALUES (2);",
            Dialect::Mysql,
        )
        .unwrap();
        assert_eq!(mode(&s, Dialect::Mysql, None), Mode::Transaction);
        assert!(is_transaction_control("start transaction"));
        assert!(is_transaction_control("/* x */ COMMIT"));
        assert!(!is_transaction_control("STARTX"));
        assert!(is_transaction_control("BEGIN"));
        assert!(!is_transaction_control("BEGIN NOT ATOMIC SELECT 1; END"));
    }

    #[test]
    fn binds_batches() {
        assert_eq!(
            bind_batch(
                "UPDATE t SET x = y::text WHERE id >= :batch_start AND id < :batch_end",
                10,
                20
            ),
            "UPDATE t SET x = y::text WHERE id >= 10 AND id < 20"
        );
        assert_eq!(
            bind_batch("SELECT ::batch_start, :batch_ended", 1, 2),
            "SELECT ::batch_start, :batch_ended"
        );
        assert!(has_batch_placeholders("id < :batch_end"));
    }
}
