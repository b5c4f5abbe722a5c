use crate::classify::op::{DefaultKind, Op};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ADD COLUMN` on an existing table with a default that forces the server to
    /// write every row: a volatile default (`gen_random_uuid()`, `random()`,
    /// `clock_timestamp()`, `nextval(…)`) or an expression bellows cannot prove stable on
    /// PostgreSQL, any default before PostgreSQL 11, and an expression default
    /// (`DEFAULT (…)`) on MySQL/MariaDB.
    ///
    /// ## Why is this bad?
    /// PostgreSQL 11+ stores a non-volatile default in the catalog and adds the column
    /// instantly, but a volatile default must be computed per row: the table and its
    /// indexes are rewritten under an ACCESS EXCLUSIVE lock, blocking reads and writes for
    /// the whole rewrite. Before PostgreSQL 11 every default does this. MySQL/MariaDB
    /// cannot add a column with an expression default INSTANT and rebuild or copy the
    /// table instead.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration. Constants and once-per-statement
    /// functions (`now()`, `CURRENT_TIMESTAMP`) on PostgreSQL 11+ and MySQL/MariaDB.
    ///
    /// ## Safe alternative
    /// Add the column without the default, set the default afterwards (a catalog change
    /// that applies to new rows only), and fill the existing rows in batches.
    ///
    /// ```sql
    /// ALTER TABLE users ADD COLUMN public_id uuid;
    /// ALTER TABLE users ALTER COLUMN public_id SET DEFAULT gen_random_uuid();
    /// -- backfill in batches, outside the DDL transaction:
    /// UPDATE users SET public_id = gen_random_uuid()
    /// WHERE id BETWEEN 1 AND 10000 AND public_id IS NULL;
    /// ```
    ///
    /// On MySQL/MariaDB, add the column without the expression default (INSTANT), let
    /// the application (or a BEFORE INSERT trigger) fill new rows, and backfill the rest in
    /// batches.
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct AddColumnVolatileDefault {
        name: "add-column-volatile-default",
        category: Locking,
        severity: Error,
        dialects: Both,
        concern: Expand,
        default: true,
        summary: "a column default that rewrites the whole table",
    }
}

impl Rule for AddColumnVolatileDefault {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let version = cx.settings.version;
        for (stmt, info) in cx.ops() {
            let Op::AddColumn { table, column, .. } = &info.op else {
                continue;
            };
            let Some(default) = &column.default else {
                continue;
            };
            if info.table_is_new {
                continue;
            }
            let col = &column.name;
            let ty = &column.ty;
            let message = if cx.is_postgres() {
                let rewrite = format!(
                    "rewrites `{table}` and its indexes under an ACCESS EXCLUSIVE lock, blocking reads and writes until it finishes"
                );
                match default {
                    DefaultKind::Volatile(expr) => format!(
                        "adding `{table}.{col}` with the volatile default `{expr}` computes it for every row: it {rewrite}"
                    ),
                    DefaultKind::Expression(expr) => format!(
                        "adding `{table}.{col}` with the default `{expr}` {rewrite}, unless the expression is immutable or stable (bellows cannot tell)"
                    ),
                    DefaultKind::Constant | DefaultKind::Stable if !version.at_least(11, 0) => {
                        format!(
                            "adding `{table}.{col}` with a default on {version} {rewrite} (PostgreSQL 11+ adds it without a rewrite)"
                        )
                    }
                    DefaultKind::Constant | DefaultKind::Stable => continue,
                }
            } else {
                let expr = match default {
                    DefaultKind::Volatile(expr) | DefaultKind::Expression(expr) => expr,
                    DefaultKind::Constant | DefaultKind::Stable => continue,
                };
                format!(
                    "adding `{table}.{col}` with the expression default `{expr}` cannot be done INSTANT: the server rebuilds or copies the whole `{table}` table, and a copy blocks writes until it finishes"
                )
            };
            let help = match (cx.is_postgres(), default) {
                (true, DefaultKind::Volatile(expr) | DefaultKind::Expression(expr)) => format!(
                    "add the column without a default, then set the default for new rows only and backfill the existing rows in batches:\n  ALTER TABLE {table} ADD COLUMN {col} {ty};\n  ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {expr};"
                ),
                (true, _) => format!(
                    "on {version}, add the column without a default, set the default in a second statement (new rows only) and backfill the existing rows in batches:\n  ALTER TABLE {table} ADD COLUMN {col} {ty};\n  ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT …;"
                ),
                (false, _) => format!(
                    "add the column without the expression default (INSTANT), let the application or a BEFORE INSERT trigger fill new rows, and backfill the existing rows in batches:\n  ALTER TABLE {table} ADD COLUMN {col} {ty} NULL, ALGORITHM=INSTANT;"
                ),
            };
            out.emit(stmt.span.clone(), message, help);
        }
    }
}
