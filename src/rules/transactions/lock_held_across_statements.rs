use super::ends_transaction;
use crate::classify::locks::LockLevel;
use crate::classify::op::{Name, Op, ReindexTarget, TxControl};
use crate::dialect::Dialect;
use crate::lint::AnalyzedStatement;
use crate::rules::compat::{name_list, CreatedHere};
use crate::rules::util::{find_word, split_outside_quotes, strip_words};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a statement that takes an exclusive lock on an existing table and is followed
    /// by more statements before the lock is released. On PostgreSQL: an ACCESS EXCLUSIVE
    /// lock (most `ALTER TABLE` forms, `DROP`, `TRUNCATE`, `LOCK TABLE`) inside a
    /// transaction, followed by more statements in that transaction. On MySQL/MariaDB,
    /// where every DDL statement commits on its own: `LOCK TABLES … WRITE` followed by more
    /// statements before `UNLOCK TABLES`. It reports once per transaction (or lock), at the
    /// statement that takes the lock.
    ///
    /// ## Why is this bad?
    /// A lock is held until the transaction ends (or `UNLOCK TABLES`), not until the
    /// statement that took it finishes. Everything that runs after it, including waits for
    /// locks on other tables, runs while every read and write of the locked table queues
    /// behind it. A change that would block the table for milliseconds blocks it for the
    /// rest of the migration.
    ///
    /// ## When it does not fire
    /// On tables created earlier in the same migration; outside a transaction on
    /// PostgreSQL; when only `COMMIT`, `ROLLBACK`, `SET` or `COMMENT ON` follow. Weaker
    /// locks (SHARE for `CREATE INDEX`, `LOCK TABLES … READ`) are left to the rules about
    /// those statements.
    ///
    /// ## Safe alternative
    /// Put the locking statement last in its transaction, or in a migration of its own,
    /// and combine several changes to one table into a single `ALTER TABLE`:
    ///
    /// ```sql
    /// BEGIN;
    /// SET LOCAL lock_timeout = '2s';
    /// ALTER TABLE users
    ///     ADD COLUMN locale text,
    ///     ADD COLUMN time_zone text;
    /// COMMIT;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct LockHeldAcrossStatements {
        name: "lock-held-across-statements",
        category: Transactions,
        severity: Error,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "more statements after one that took an exclusive lock in the same transaction",
    }
}

impl Rule for LockHeldAcrossStatements {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        if cx.is_postgres() {
            postgres(cx, out);
        } else {
            mysql(cx, out);
        }
    }
}

fn postgres(cx: &FileContext, out: &mut Emitter) {
    let mut created = CreatedHere::default();
    let mut resume_at = 0;
    for (index, stmt) in cx.statements.iter().enumerate() {
        let locked = exclusive_target(cx, stmt, &created);
        for info in &stmt.ops {
            created.record(info);
        }
        let (Some(target), Some(tx)) = (locked, stmt.transaction) else {
            continue;
        };
        if index < resume_at {
            continue;
        }
        let rest = &cx.statements[index + 1..];
        let in_tx = rest
            .iter()
            .take_while(|s| s.transaction == Some(tx) && !ends_transaction(s))
            .count();
        let after = rest[..in_tx].iter().filter(|s| counts(s)).count();
        resume_at = index + 1 + in_tx;
        if after == 0 {
            continue;
        }
        let (statements, run) = following(after);
        out.emit(
            stmt.span.clone(),
            format!(
                "this takes an ACCESS EXCLUSIVE lock on {target} that is held until the transaction ends: \
                 {statements} {run} while every read and write of it waits"
            ),
            "end the transaction right after this statement (put it last, or give it a migration of its own), \
             and combine several changes to one table into a single ALTER TABLE",
        );
    }
}

/// What `stmt` locks ACCESS EXCLUSIVE in a PostgreSQL transaction, if it is an existing table.
fn exclusive_target(
    cx: &FileContext,
    stmt: &AnalyzedStatement,
    created: &CreatedHere,
) -> Option<String> {
    for info in &stmt.ops {
        match &info.op {
            Op::Inert { what } if what.starts_with("lock") => {
                let (tables, level) = parse_pg_lock(cx.text(stmt))?;
                let existing: Vec<&Name> = tables.iter().filter(|t| !created.table(t)).collect();
                if level == LockLevel::AccessExclusive && !existing.is_empty() {
                    return Some(name_list(&existing));
                }
            }
            // A view is dropped to be re-created in the same transaction: splitting them
            // would leave readers without it.
            Op::DropObject { .. } => {}
            op if info.lock.lock == LockLevel::AccessExclusive
                && info.lock.transactional
                && !info.table_is_new =>
            {
                return Some(describe_target(op));
            }
            _ => {}
        }
    }
    None
}

fn describe_target(op: &Op) -> String {
    match op {
        Op::DropTable { tables, .. } | Op::Truncate { tables } | Op::LockTable { tables, .. } => {
            name_list(&tables.iter().collect::<Vec<_>>())
        }
        Op::DropIndex {
            names, table: None, ..
        } => format!(
            "the table of index {}",
            name_list(&names.iter().collect::<Vec<_>>())
        ),
        Op::RefreshMaterializedView { name, .. } => format!("`{name}`"),
        Op::Reindex { target, .. } => match target {
            ReindexTarget::Index(n) => format!("the table of index `{n}`"),
            ReindexTarget::Table(n) => format!("`{n}`"),
            ReindexTarget::Schema(n) => format!("the tables of schema `{n}`"),
            ReindexTarget::Database(n) => format!("the tables of database `{n}`"),
        },
        other => other
            .table()
            .map_or_else(|| "the table".to_owned(), |t| format!("`{t}`")),
    }
}

fn mysql(cx: &FileContext, out: &mut Emitter) {
    let mut created = CreatedHere::default();
    for (index, stmt) in cx.statements.iter().enumerate() {
        let written = lock_tables_write(cx, stmt).map(|tables| {
            tables
                .into_iter()
                .filter(|t| !created.table(t))
                .collect::<Vec<_>>()
        });
        for info in &stmt.ops {
            created.record(info);
        }
        let Some(tables) = written.filter(|t| !t.is_empty()) else {
            continue;
        };
        let held = cx.statements[index + 1..]
            .iter()
            .take_while(|s| !releases_table_locks(s))
            .filter(|s| counts(s))
            .count();
        if held == 0 {
            continue;
        }
        let names = name_list(&tables.iter().collect::<Vec<_>>());
        let (statements, run) = following(held);
        out.emit(
            stmt.span.clone(),
            format!(
                "LOCK TABLES … WRITE blocks every read and write of {names} by other sessions until UNLOCK TABLES: \
                 {statements} {run} while they wait"
            ),
            "drop the LOCK TABLES: an ALTER TABLE takes the metadata lock it needs by itself, and a data change \
             is better done in short batched transactions; if a lock is really needed, UNLOCK TABLES right after \
             the one statement that needs it",
        );
    }
}

/// The tables a MySQL `LOCK TABLES` statement locks for WRITE.
fn lock_tables_write(cx: &FileContext, stmt: &AnalyzedStatement) -> Option<Vec<Name>> {
    let is_lock = stmt.ops.iter().any(
        |o| matches!(&o.op, Op::Inert { what } | Op::Other { what } if what.starts_with("lock")),
    );
    if !is_lock {
        return None;
    }
    let body = strip_words(cx.text(stmt), &["lock"])?;
    let body = strip_words(body, &["tables"])
        .or_else(|| strip_words(body, &["table"]))
        .unwrap_or(body);
    let mut out = Vec::new();
    for item in split_outside_quotes(body, ',') {
        let words: Vec<&str> = item.split_whitespace().collect();
        let Some(first) = words.first() else { continue };
        if words
            .iter()
            .skip(1)
            .any(|w| w.eq_ignore_ascii_case("write"))
        {
            out.push(parse_name(first, Dialect::Mysql));
        }
    }
    Some(out)
}

/// `UNLOCK TABLES`, a new transaction or another `LOCK TABLES` ends the previous table locks.
fn releases_table_locks(stmt: &AnalyzedStatement) -> bool {
    stmt.ops.iter().any(|o| match &o.op {
        Op::Inert { what } | Op::Other { what } => {
            what.starts_with("unlock") || what.starts_with("lock")
        }
        Op::Transaction(TxControl::Begin) => true,
        _ => false,
    })
}

/// A statement that runs while the lock is held: anything but transaction control, SET,
/// COMMENT ON (catalog only, and it does not wait for readers or writers) and the
/// splitter's pseudo-statements.
fn counts(stmt: &AnalyzedStatement) -> bool {
    stmt.ops.is_empty()
        || stmt.ops.iter().any(|o| match &o.op {
            Op::Transaction(_) | Op::Set { .. } => false,
            Op::Inert { what } => {
                !(what.starts_with("comment") || what == "psql-meta" || what == "delimiter")
            }
            _ => true,
        })
}

/// PostgreSQL `LOCK [TABLE] [ONLY] name [*] [, …] [IN mode MODE] [NOWAIT]`: the tables
/// and the mode (ACCESS EXCLUSIVE when none is given).
fn parse_pg_lock(text: &str) -> Option<(Vec<Name>, LockLevel)> {
    let body = strip_words(text, &["lock"])?;
    let body = strip_words(body, &["table"]).unwrap_or(body);
    let lower = body.to_ascii_lowercase();
    let (tables, mode) = match find_word(&lower, "in") {
        Some(at) => (&body[..at], &lower[at + 2..]),
        None => match find_word(&lower, "nowait") {
            Some(at) => (&body[..at], ""),
            None => (body, ""),
        },
    };
    let mode: Vec<&str> = mode
        .split_whitespace()
        .take_while(|w| *w != "mode")
        .collect();
    let level = match mode.join(" ").as_str() {
        "" | "access exclusive" => LockLevel::AccessExclusive,
        "exclusive" => LockLevel::Exclusive,
        "share row exclusive" => LockLevel::ShareRowExclusive,
        "share" => LockLevel::Share,
        "share update exclusive" => LockLevel::ShareUpdateExclusive,
        "row exclusive" => LockLevel::RowExclusive,
        "row share" | "access share" => LockLevel::AccessShare,
        _ => return None,
    };
    let names = split_outside_quotes(tables, ',')
        .into_iter()
        .filter_map(|item| {
            let item = item.trim();
            let item = strip_words(item, &["only"]).unwrap_or(item);
            let item = item.trim_end_matches('*').trim();
            (!item.is_empty()).then(|| parse_name(item, Dialect::Postgres))
        })
        .collect();
    Some((names, level))
}

/// A possibly qualified, possibly quoted table name as written.
fn parse_name(text: &str, dialect: Dialect) -> Name {
    let parts = split_outside_quotes(text.trim(), '.');
    Name::from_parts(
        parts.iter().map(|p| {
            let p = p.trim();
            let quoted = p.len() >= 2
                && ((p.starts_with('"') && p.ends_with('"'))
                    || (p.starts_with('`') && p.ends_with('`')));
            if quoted {
                (&p[1..p.len() - 1], true)
            } else {
                (p, false)
            }
        }),
        dialect,
    )
}

/// "the statement after it runs" / "the 3 statements after it run".
fn following(n: usize) -> (String, &'static str) {
    if n == 1 {
        ("the statement after it".to_owned(), "runs")
    } else {
        (format!("the {n} statements after it"), "run")
    }
}
