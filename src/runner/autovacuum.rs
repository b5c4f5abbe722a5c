//! Autovacuum and the locks of a step, on PostgreSQL.
//!
//! An autovacuum worker holds SHARE UPDATE EXCLUSIVE on the table it works on, which every
//! DDL lock conflicts with. A statement that asks for such a lock waits behind the worker,
//! and every application query on the table queues behind the waiting statement, until
//! `deadlock_timeout` (1 s by default) passes and the server cancels the worker. After a
//! backfill the worker is likely there: the batches left a dead row version for every row
//! they updated. So before a DDL statement, bellows cancels the autovacuum workers on the
//! tables it names itself, as the server would, without the queue; autovacuum comes back to
//! the table later. A worker that prevents wraparound is left alone (the server does not
//! cancel it either), and said so.
//!
//! Only a superuser may cancel a worker (PostgreSQL runs them as the bootstrap superuser);
//! without the right, bellows says that the statement may wait. The check reads
//! `pg_stat_progress_vacuum` and `pg_stat_progress_analyze` (PostgreSQL 13+) and runs
//! outside the step's transaction, so nothing it does can abort the step.

use super::backend::{truthy, Backend, Value};
use super::script;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

/// Finds the autovacuum workers of this database on the tables named in `$1` (names
/// separated by U+001F), or whose index is named there (`DROP INDEX` locks the table it
/// names only through its index), and cancels each that does not prevent wraparound when the
/// session may. Columns: pid, table, VACUUM or ANALYZE, wraparound, cancelled (NULL: not
/// tried).
const WORKERS_SQL: &str = "SELECT a.pid::text, format('%I.%I', n.nspname, c.relname), \
       CASE WHEN v.pid IS NULL THEN 'ANALYZE' ELSE 'VACUUM' END, \
       (a.query LIKE '%to prevent wraparound%')::text, \
       CASE WHEN a.query NOT LIKE '%to prevent wraparound%' \
             AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) \
            THEN pg_cancel_backend(a.pid)::text END \
     FROM pg_stat_activity a \
     LEFT JOIN pg_stat_progress_vacuum v ON v.pid = a.pid \
     LEFT JOIN pg_stat_progress_analyze z ON z.pid = a.pid \
     JOIN pg_class c ON c.oid = coalesce(v.relid, z.relid) \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE a.backend_type = 'autovacuum worker' AND a.datname = current_database() \
       AND (c.relname = ANY (string_to_array($1, chr(31))) \
            OR EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
                       WHERE i.indrelid = c.oid \
                         AND ic.relname = ANY (string_to_array($1, chr(31)))))";

/// The first words of statements that lock a table against autovacuum.
const DDL: [&str; 9] = [
    "ALTER", "CREATE", "DROP", "TRUNCATE", "REINDEX", "CLUSTER", "LOCK", "REFRESH", "VACUUM",
];

/// The names a batch of statements may lock against autovacuum: every identifier of its
/// DDL statements, as PostgreSQL stores it (unquoted ones in lower case). Empty when none
/// is DDL.
pub(super) fn ddl_names<'a>(statements: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names = Vec::new();
    for sql in statements {
        let first = script::keywords(sql, 1);
        if !first.first().is_some_and(|w| DDL.contains(&w.as_str())) {
            continue;
        }
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
            continue;
        };
        let words = tokens
            .into_iter()
            .skip_while(|t| !matches!(t, Token::Word(_)));
        for w in words.skip(1).filter_map(|t| match t {
            Token::Word(w) => Some(w),
            _ => None,
        }) {
            let name = match w.quote_style {
                None => w.value.to_lowercase(),
                Some('"') => w.value,
                Some(_) => continue,
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Cancels the autovacuum workers on the tables `statements` lock (see the module), and
/// returns what to tell about them, one line each. Never fails: a server that cannot
/// answer (older than 13, no rights to the views) has nothing to say.
pub(super) async fn make_way<'a, B: Backend>(
    b: &mut B,
    statements: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    if !supported(b.engine()) {
        return Vec::new();
    }
    let names = ddl_names(statements);
    if names.is_empty() {
        return Vec::new();
    }
    let param = Value::Text(names.join("\u{1f}"));
    let Ok(rows) = b.query(WORKERS_SQL, &[param]).await else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(|r| {
            let cell = |i: usize| r.get(i).cloned().flatten();
            let (pid, table, what) = (cell(0)?, cell(1)?, cell(2)?);
            let what = what.to_lowercase();
            Some(if truthy(&cell(3)) {
                format!(
                    "an autovacuum {what} of {table} to prevent wraparound is running (pid {pid}); neither bellows nor the server interrupts it, so the next statement waits for it (up to lock-timeout)"
                )
            } else if truthy(&cell(4)) {
                format!(
                    "cancelled the autovacuum {what} of {table} (pid {pid}) before locking it: the server would have cancelled it after deadlock_timeout, with the application's queries queued behind the waiting statement; autovacuum comes back to the table later"
                )
            } else {
                format!(
                    "an autovacuum {what} of {table} is running (pid {pid}) and only a superuser may cancel it: the next statement may wait up to deadlock_timeout for the server to, with the application's queries queued behind it"
                )
            })
        })
        .collect()
}

/// PostgreSQL 13 or later (the progress view of ANALYZE).
fn supported(engine: &str) -> bool {
    engine
        .strip_prefix("postgresql-")
        .and_then(|v| v.split('.').next())
        .and_then(|major| major.parse::<u32>().ok())
        .is_some_and(|major| major >= 13)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_ddl_only_as_the_server_stores_them() {
        let names = ddl_names([
            "UPDATE accounts SET x = 1",
            "ALTER TABLE Public.\"Accounts\" ADD CONSTRAINT c CHECK (x > 0) NOT VALID",
            "CREATE INDEX CONCURRENTLY i ON events (at)",
        ]);
        assert_eq!(
            names,
            [
                "table",
                "public",
                "Accounts",
                "add",
                "constraint",
                "c",
                "check",
                "x",
                "not",
                "valid",
                "index",
                "concurrently",
                "i",
                "on",
                "events",
                "at"
            ]
        );
        assert!(ddl_names(["SELECT 1", "INSERT INTO t VALUES (1)", "-- ALTER TABLE t"]).is_empty());
        assert!(ddl_names(["not sql ' at all"]).is_empty());
    }

    #[test]
    fn only_postgresql_13_and_later() {
        assert!(supported("postgresql-15.20"));
        assert!(supported("postgresql-13.0"));
        assert!(!supported("postgresql-12.9"));
        assert!(!supported("mariadb-10.11.19"));
    }
}
