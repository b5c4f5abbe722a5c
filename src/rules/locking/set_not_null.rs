use crate::classify::op::Op;
use crate::lint::AnalyzedStatement;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags making an existing column of an existing table NOT NULL: PostgreSQL
    /// `ALTER COLUMN … SET NOT NULL`, and MySQL/MariaDB `MODIFY` / `CHANGE` that turns a
    /// nullable column NOT NULL.
    ///
    /// ## Why is this bad?
    /// PostgreSQL reads every row to prove there is no NULL, holding an ACCESS EXCLUSIVE
    /// lock for the whole scan: reads and writes of the table wait. MySQL/MariaDB rebuild
    /// the whole table, which takes long on a large one, is replayed serially by replicas
    /// (lag), and fails if a NULL is left. In both, a running release that still
    /// writes NULL starts failing, so this is a contract step that belongs after the
    /// backfill and the deploy.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration. On PostgreSQL 12 and later, when a
    /// validated `CHECK (col IS NOT NULL)` constraint already exists: the server then skips
    /// the scan. On MySQL/MariaDB, when the statement says `LOCK=NONE`: the server then
    /// keeps writes flowing during the rebuild or refuses at once.
    ///
    /// ## Safe alternative
    /// PostgreSQL: prove the rule with a CHECK constraint added `NOT VALID` (brief lock),
    /// validate it in a later migration (reads and writes continue), then `SET NOT NULL`
    /// uses the constraint instead of scanning, and the CHECK can go. Before PostgreSQL 12
    /// the scan always happens: keep the validated CHECK instead of NOT NULL.
    ///
    /// ```sql
    /// ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
    /// -- a later migration:
    /// ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
    /// -- a later migration:
    /// ALTER TABLE users ALTER COLUMN email SET NOT NULL;
    /// ALTER TABLE users DROP CONSTRAINT users_email_not_null;
    /// ```
    ///
    /// MySQL/MariaDB: backfill the NULLs in batches first, then ask for an online rebuild
    /// so the server refuses rather than blocks writes (or use an online schema change tool
    /// such as gh-ost or pt-online-schema-change on very large tables).
    ///
    /// ```sql
    /// ALTER TABLE users MODIFY email varchar(255) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct SetNotNull {
        name: "set-not-null",
        category: Locking,
        severity: Error,
        dialects: Both,
        concern: Contract,
        default: true,
        summary: "making a column NOT NULL scans or rebuilds the table under a lock",
    }
}

impl Rule for SetNotNull {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            if info.table_is_new {
                continue;
            }
            match &info.op {
                Op::SetNotNull { table, column } if cx.is_postgres() => {
                    let version = cx.settings.version;
                    let check_skips_scan = version.at_least(12, 0);
                    if info.has_not_null_check && check_skips_scan {
                        continue;
                    }
                    let mut message = format!(
                        "`SET NOT NULL` on `{table}.{column}` scans every row of `{table}` under an ACCESS EXCLUSIVE lock, blocking reads and writes until the scan finishes"
                    );
                    if info.has_not_null_check {
                        message.push_str(&format!(
                            "; {version} scans even though a validated CHECK ({column} IS NOT NULL) exists (the shortcut arrived in PostgreSQL 12)"
                        ));
                    }
                    let check =
                        format!("{}_{}_not_null", table.unqualified(), column.unqualified());
                    let help = if check_skips_scan {
                        format!(
                            "prove it with a CHECK constraint first, so SET NOT NULL can skip the scan:\n  ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;\n  -- later migration (reads and writes continue):\n  ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n  -- later migration:\n  ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;\n  ALTER TABLE {table} DROP CONSTRAINT {check};"
                        )
                    } else {
                        format!(
                            "before PostgreSQL 12 SET NOT NULL always scans: enforce the rule with a validated CHECK constraint instead:\n  ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;\n  -- later migration (reads and writes continue):\n  ALTER TABLE {table} VALIDATE CONSTRAINT {check};"
                        )
                    };
                    out.emit(stmt.span.clone(), message, help);
                }
                Op::RedefineColumn {
                    table,
                    from,
                    column,
                } if !cx.is_postgres() => {
                    let Some(before) = &info.column_before else {
                        continue;
                    };
                    if !column.not_null || before.not_null || lock_none(stmt) {
                        continue;
                    }
                    let sql = super::statement_sql(cx.text(stmt));
                    let online = if has_clause(stmt) {
                        "ALTER TABLE … , ALGORITHM=INPLACE, LOCK=NONE".to_owned()
                    } else {
                        format!("{sql}, ALGORITHM=INPLACE, LOCK=NONE")
                    };
                    out.emit(
                        stmt.span.clone(),
                        format!(
                            "making `{table}.{from}` NOT NULL rebuilds the whole `{table}` table (replicas replay the rebuild serially) and fails if a NULL is left"
                        ),
                        format!(
                            "backfill the NULLs in batches first, then require an online rebuild so the server refuses instead of blocking writes:\n  {online};"
                        ),
                    );
                }
                _ => {}
            }
        }
    }
}

/// The statement asks for `LOCK=NONE`.
fn lock_none(stmt: &AnalyzedStatement) -> bool {
    stmt.ops
        .iter()
        .any(|o| matches!(&o.op, Op::AlterLock { lock, .. } if lock == "NONE"))
}

/// The statement already has an `ALGORITHM=` or `LOCK=` clause.
fn has_clause(stmt: &AnalyzedStatement) -> bool {
    stmt.ops
        .iter()
        .any(|o| matches!(&o.op, Op::AlterLock { .. } | Op::AlterAlgorithm { .. }))
}
