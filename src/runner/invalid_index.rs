//! A `CREATE INDEX CONCURRENTLY` that hit the lock timeout (PostgreSQL): who held the
//! lock it waited for, and the INVALID index it left behind.
//!
//! Owns recognising the statement (its index and table names, through sqlparser's
//! tokenizer), naming the sessions that hold locks on its table, and dropping the INVALID
//! index (only one of that name whose `pg_index.indisvalid` is false) so the retry does
//! not fail with `already exists (42P07)`. Nothing here decides whether to retry.

use super::backend::{Backend, DbError, Value};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer, Word};

/// The names in `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ConcurrentIndex {
    /// The index's name as PostgreSQL stores it (unquoted names folded to lower case);
    /// `None` when the statement lets the server choose one.
    pub name: Option<String>,
    /// The table as written (quotes kept), for `to_regclass`.
    pub table: String,
}

fn written(w: &Word) -> String {
    match w.quote_style {
        Some(q) => format!("{q}{}{q}", w.value),
        None => w.value.clone(),
    }
}

fn stored(w: &Word) -> String {
    match w.quote_style {
        Some(_) => w.value.clone(),
        None => w.value.to_lowercase(),
    }
}

/// Recognises a `CREATE INDEX CONCURRENTLY` statement.
pub(super) fn concurrent_index(sql: &str) -> Option<ConcurrentIndex> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut it = tokens
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)));
    let mut next = || it.next();
    let kw = |t: &Option<Token>, k: Keyword| matches!(t, Some(Token::Word(w)) if w.keyword == k);
    let mut t = next();
    if !kw(&t, Keyword::CREATE) {
        return None;
    }
    t = next();
    if kw(&t, Keyword::UNIQUE) {
        t = next();
    }
    if !kw(&t, Keyword::INDEX) {
        return None;
    }
    t = next();
    if !kw(&t, Keyword::CONCURRENTLY) {
        return None;
    }
    t = next();
    if kw(&t, Keyword::IF) {
        next();
        next();
        t = next();
    }
    let name = match &t {
        Some(Token::Word(w)) if w.keyword != Keyword::ON || w.quote_style.is_some() => {
            let n = stored(w);
            t = next();
            Some(n)
        }
        _ => None,
    };
    if !kw(&t, Keyword::ON) {
        return None;
    }
    t = next();
    if kw(&t, Keyword::ONLY) {
        t = next();
    }
    let mut table = String::new();
    loop {
        match t {
            Some(Token::Word(w)) => table.push_str(&written(&w)),
            _ => return None,
        }
        t = next();
        if t == Some(Token::Period) {
            table.push('.');
            t = next();
        } else {
            break;
        }
    }
    Some(ConcurrentIndex { name, table })
}

/// The sessions holding locks on `table`, as one line, or `None` when there are none.
pub(super) async fn lock_holders<B: Backend>(
    b: &mut B,
    table: &str,
) -> Result<Option<String>, DbError> {
    let rows = b
        .query(
            "SELECT string_agg(format('pid %s (%s, %s for %s s: %s) holds %s on %s', \
               a.pid, coalesce(nullif(a.application_name, ''), a.usename), a.state, \
               coalesce(extract(epoch FROM now() - a.xact_start)::bigint, 0), \
               left(regexp_replace(a.query, '\\s+', ' ', 'g'), 60), l.mode, l.relation::regclass), '; ') \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.relation = to_regclass($1) AND l.granted AND l.pid <> pg_backend_pid()",
            &[Value::Text(table.to_owned())],
        )
        .await?;
    Ok(rows.first().and_then(|r| r.first().cloned().flatten()))
}

/// Drops the INVALID index `name` on `table` that a cancelled build left; returns its
/// qualified name when there was one.
pub(super) async fn drop_invalid<B: Backend>(
    b: &mut B,
    index: &ConcurrentIndex,
) -> Result<Option<String>, DbError> {
    let Some(name) = &index.name else {
        return Ok(None);
    };
    let rows = b
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $1 AND i.indrelid = to_regclass($2) AND NOT i.indisvalid",
            &[Value::Text(name.clone()), Value::Text(index.table.clone())],
        )
        .await?;
    let Some(qualified) = rows.first().and_then(|r| r.first().cloned().flatten()) else {
        return Ok(None);
    };
    b.execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {qualified}"))
        .await?;
    Ok(Some(qualified))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_names() {
        let i = concurrent_index(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"Ix\" ON ONLY app.\"Users\" (email)",
        )
        .unwrap();
        assert_eq!(i.name.as_deref(), Some("Ix"));
        assert_eq!(i.table, "app.\"Users\"");
        let i = concurrent_index(
            "create index concurrently Users_Name_Idx on users using btree (name)",
        )
        .unwrap();
        assert_eq!(i.name.as_deref(), Some("users_name_idx"));
        assert_eq!(i.table, "users");
        let i = concurrent_index("CREATE INDEX CONCURRENTLY ON users (name)").unwrap();
        assert_eq!(i.name, None);
        assert_eq!(
            concurrent_index("CREATE INDEX users_name_idx ON users (name)"),
            None
        );
        assert_eq!(concurrent_index("DROP INDEX CONCURRENTLY x"), None);
    }
}
