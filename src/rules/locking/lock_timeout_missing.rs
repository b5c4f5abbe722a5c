use crate::classify::op::{ObjectKind, Op, ReindexTarget, TxControl};
use crate::lint::{AnalyzedStatement, OpInfo};
use crate::rules::{util, Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags the first statement of a migration that takes a strong lock on an existing
    /// table (SHARE ROW EXCLUSIVE or stronger on PostgreSQL; the exclusive metadata lock of
    /// any DDL on MySQL/MariaDB) when no lock timeout was set before it in the file. It
    /// fires once per file and says how many more such statements follow.
    ///
    /// ## Why is this bad?
    /// A lock request waits for every transaction already using the table, and every query
    /// that arrives after it waits behind the request. Without a timeout, one long report
    /// or idle transaction turns even an instant `ALTER TABLE` into an outage of the table
    /// for as long as it waits. PostgreSQL's `lock_timeout` defaults to 0 (wait forever),
    /// MySQL's `lock_wait_timeout` to a year.
    ///
    /// ## When it does not fire
    /// When the file sets the timeout before the statement: on PostgreSQL `SET
    /// lock_timeout`, `SET LOCAL lock_timeout` within the same transaction, or
    /// `set_config('lock_timeout', …)`; on MySQL/MariaDB `SET [SESSION]
    /// lock_wait_timeout`, or MariaDB's `SET STATEMENT lock_wait_timeout = … FOR` around the
    /// statement itself. A value of 0, `DEFAULT`, `RESET` and `SET GLOBAL` leave the wait
    /// unbounded and do not count. It does not fire either when the runner sets the timeout
    /// (`[runner] lock-timeout` in `bellows.toml`), or for tables and views created earlier
    /// in the same migration. `LOCK TABLE` counts with the mode it asks for (ACCESS
    /// EXCLUSIVE when it names none), and `DROP VIEW` takes ACCESS EXCLUSIVE on the view.
    ///
    /// ## Safe alternative
    /// Set a short timeout at the top of the migration and retry the migration when it
    /// times out (`bellows migrate apply` retries with backoff).
    ///
    /// ```sql
    /// SET lock_timeout = '5s';
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// ```
    ///
    /// ```sql
    /// SET SESSION lock_wait_timeout = 5;
    /// ALTER TABLE users ADD COLUMN nickname varchar(64) NULL, ALGORITHM=INSTANT;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct LockTimeoutMissing {
        name: "lock-timeout-missing",
        category: Locking,
        severity: Warning,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "a strong lock on an existing table with no lock timeout set first",
    }
}

impl Rule for LockTimeoutMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        if cx.settings.runner_sets_lock_timeout {
            return;
        }
        let variable = if cx.is_postgres() {
            "lock_timeout"
        } else {
            "lock_wait_timeout"
        };
        // A session-level timeout, and the transaction a `SET LOCAL` timeout applies to.
        let mut session = false;
        let mut local: Option<usize> = None;
        let mut first: Option<(&AnalyzedStatement, &OpInfo)> = None;
        let mut more = 0usize;
        for stmt in cx.statements {
            // MariaDB `SET STATEMENT lock_wait_timeout = 5 FOR ALTER TABLE …` bounds the wait
            // of the statement it wraps, and nothing else.
            let wrapped = !cx.is_postgres()
                && stmt.ops.iter().any(|i| {
                    matches!(&i.op, Op::Set { name, value, local: true }
                        if name == variable && !disables(value))
                });
            let covered = wrapped || session || (local.is_some() && local == stmt.transaction);
            for info in &stmt.ops {
                match &info.op {
                    Op::Set {
                        name,
                        value,
                        local: is_local,
                    } if name == variable => {
                        let on = !disables(value);
                        if *is_local {
                            // SET LOCAL outside a transaction block has no effect.
                            if stmt.in_transaction {
                                local = stmt.transaction.filter(|_| on);
                            }
                        } else if !mentions_global(cx.text(stmt)) {
                            session = on;
                            if !on {
                                local = None;
                            }
                        }
                    }
                    // `SELECT set_config('lock_timeout', '5s', false)` sets it too.
                    Op::Select => {
                        if let Some((value, is_local)) = set_config(cx.text(stmt), variable) {
                            let on = !disables(&value);
                            if is_local {
                                if stmt.in_transaction {
                                    local = stmt.transaction.filter(|_| on);
                                }
                            } else {
                                session = on;
                            }
                        }
                    }
                    Op::Inert { what } if resets(what, variable) => {
                        session = false;
                        local = None;
                    }
                    Op::Transaction(TxControl::Commit | TxControl::Rollback) => local = None,
                    _ => {}
                }
            }
            if covered {
                continue;
            }
            if let Some(info) = stmt.ops.iter().find(|i| strong_lock(cx, stmt, i)) {
                if first.is_none() {
                    first = Some((stmt, info));
                } else {
                    more += 1;
                }
            }
        }
        let Some((stmt, info)) = first else {
            return;
        };
        let target = match info.op.tables().first() {
            Some(t) => format!("`{t}`"),
            None => match &info.op {
                Op::DropObject {
                    kind: kind @ (ObjectKind::View | ObjectKind::MaterializedView),
                    names,
                } if !names.is_empty() => {
                    let what = if *kind == ObjectKind::View {
                        "view"
                    } else {
                        "materialized view"
                    };
                    format!("{what} `{}`", names[0])
                }
                Op::RefreshMaterializedView { name, .. }
                | Op::Reindex {
                    target: ReindexTarget::Table(name),
                    ..
                } => format!("`{name}`"),
                Op::Reindex {
                    target: ReindexTarget::Index(name),
                    ..
                } => format!("the table of index `{name}`"),
                Op::DropIndex { names, .. } if !names.is_empty() => {
                    format!("the table of index `{}`", names[0])
                }
                _ => "the table".to_owned(),
            },
        };
        let lock = if cx.is_postgres() {
            let name = info.lock.lock.as_str();
            let article = if name.starts_with(['A', 'E']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {name} lock")
        } else {
            "an exclusive metadata lock".to_owned()
        };
        let tail = match more {
            0 => String::new(),
            1 => "; 1 more statement in this file also takes a strong lock".to_owned(),
            n => format!("; {n} more statements in this file also take strong locks"),
        };
        let set = if cx.is_postgres() {
            "SET lock_timeout = '5s';"
        } else {
            "SET SESSION lock_wait_timeout = 5;"
        };
        let again = if target.starts_with('`') {
            target.as_str()
        } else if target.contains("view `") {
            "that view"
        } else {
            "that table"
        };
        out.emit(
            stmt.span.clone(),
            format!(
                "this statement requests {lock} on {target} with no {variable} set: while it waits behind running transactions, every query on {again} queues behind it{tail}"
            ),
            format!(
                "set a short timeout at the top of the migration and retry when it expires:\n  {set}\nif your runner sets it, say so with `[runner] lock-timeout` in bellows.toml"
            ),
        );
    }
}

/// Does this operation request a strong lock on a table that already exists?
fn strong_lock(cx: &FileContext, stmt: &AnalyzedStatement, info: &OpInfo) -> bool {
    if !util::strong_lock_on_existing(info) {
        return false;
    }
    match &info.op {
        // PostgreSQL: these lock a table (or view) that `Op::table` does not name.
        Op::DropIndex {
            names, table: None, ..
        } => !names.iter().all(|n| super::index_on_new_table(cx, stmt, n)),
        Op::RefreshMaterializedView { name, .. } => !super::view_created_before(cx, stmt, name),
        Op::DropObject {
            kind: ObjectKind::View | ObjectKind::MaterializedView,
            names,
        } => !names
            .iter()
            .all(|n| super::view_created_before(cx, stmt, n)),
        Op::Reindex { .. } | Op::VacuumFull { .. } | Op::Cluster { .. } => true,
        // Objects that are not tables (views, functions, …) do not count.
        op => !op.tables().is_empty(),
    }
}

/// `0`, `'0s'`, `0ms` and `DEFAULT` leave the wait unbounded.
fn disables(value: &str) -> bool {
    let v = value
        .trim()
        .trim_matches(['\'', '"'])
        .trim()
        .to_ascii_lowercase();
    if v == "default" {
        return true;
    }
    let digits = v.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim();
    digits.parse::<f64>().is_ok_and(|n| n == 0.0)
}

/// The value and the `is_local` flag of a `set_config('lock_timeout', value, is_local)`
/// call in a SELECT.
fn set_config(text: &str, variable: &str) -> Option<(String, bool)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("set_config(")? + "set_config(".len();
    let args = &lower[at..lower[at..].find(')').map_or(lower.len(), |end| at + end)];
    let mut parts = args.split(',').map(|a| a.trim().trim_matches('\''));
    if parts.next()? != variable {
        return None;
    }
    let value = parts.next()?.to_owned();
    let is_local = parts.next().is_some_and(|flag| flag == "true");
    Some((value, is_local))
}

/// `RESET lock_timeout` / `RESET ALL` puts the server default (usually 0) back.
fn resets(what: &str, variable: &str) -> bool {
    what.strip_prefix("reset ")
        .is_some_and(|rest| rest == variable || rest == "all")
}

/// `SET GLOBAL …` changes new sessions only, not the migration's own.
fn mentions_global(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("global ") || lower.contains("@@global.")
}

#[cfg(test)]
mod tests {
    use super::disables;

    #[test]
    fn zero_and_default_disable_the_timeout() {
        assert!(disables("0"));
        assert!(disables("'0s'"));
        assert!(disables("0ms"));
        assert!(disables("DEFAULT"));
        assert!(!disables("5s"));
        assert!(!disables("'2000'"));
        assert!(!disables("5"));
    }

    #[test]
    fn reads_set_config_and_reset() {
        assert_eq!(
            super::set_config(
                "SELECT set_config('lock_timeout', '5s', false)",
                "lock_timeout"
            ),
            Some(("5s".to_owned(), false))
        );
        assert_eq!(
            super::set_config(
                "select set_config('lock_timeout', '2s', true)",
                "lock_timeout"
            ),
            Some(("2s".to_owned(), true))
        );
        assert_eq!(
            super::set_config(
                "SELECT set_config('search_path', 'app', false)",
                "lock_timeout"
            ),
            None
        );
        assert!(super::resets("reset lock_timeout", "lock_timeout"));
        assert!(super::resets("reset all", "lock_timeout"));
        assert!(!super::resets("reset search_path", "lock_timeout"));
    }
}
