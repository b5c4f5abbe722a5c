use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ADD COLUMN … NOT NULL` without a `DEFAULT` on an existing table. Columns the
    /// server fills in itself (`serial`, identity, `AUTO_INCREMENT`, generated columns) are
    /// not flagged.
    ///
    /// ## Why is this bad?
    /// Every release that is already running inserts rows without the new column. Once the
    /// column is required, those inserts fail. On PostgreSQL the `ALTER TABLE` itself fails
    /// as soon as the table holds a single row; on MySQL/MariaDB the existing rows are
    /// silently given the type's implicit default (`0`, `''`) and, in strict mode, every
    /// insert that omits the column fails with "Field doesn't have a default value".
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration.
    ///
    /// ## Safe alternative
    /// Add the column nullable (or with a constant default) in an expand migration,
    /// deploy a release that writes it, backfill the old rows, then require it in a
    /// contract migration. On PostgreSQL, prove the constraint first so `SET NOT NULL` does
    /// not scan the table under its exclusive lock:
    ///
    /// ```sql
    /// -- expand
    /// ALTER TABLE users ADD COLUMN locale text;
    /// -- contract, after the backfill
    /// ALTER TABLE users ADD CONSTRAINT users_locale_not_null CHECK (locale IS NOT NULL) NOT VALID;
    /// ALTER TABLE users VALIDATE CONSTRAINT users_locale_not_null;
    /// ALTER TABLE users ALTER COLUMN locale SET NOT NULL;
    /// ALTER TABLE users DROP CONSTRAINT users_locale_not_null;
    /// ```
    ///
    /// On MySQL/MariaDB the contract step is `ALTER TABLE users MODIFY locale VARCHAR(16) NOT NULL;`.
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct AddColumnRequired {
        name: "add-column-required",
        category: Compat,
        severity: Error,
        dialects: Both,
        concern: Expand,
        default: true,
        summary: "a NOT NULL column without a default breaks inserts of running releases",
    }
}

impl Rule for AddColumnRequired {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::AddColumn { table, column, .. } = &info.op else {
                continue;
            };
            let filled_by_server = column.default.is_some()
                || column.serial
                || column.identity
                || column.auto_increment
                || column.generated.is_some();
            if info.table_is_new || !column.not_null || filled_by_server {
                continue;
            }
            let col = &column.name;
            let ty = &column.ty.text;
            if cx.is_postgres() {
                let check = format!("{}_{col}_not_null", table.unqualified());
                out.emit(
                    stmt.span.clone(),
                    format!(
                        "adding `{table}.{col}` as NOT NULL without a default fails if `{table}` has any rows, \
                         and then every insert from a running release that does not set `{col}` fails"
                    ),
                    format!(
                        "add it nullable (or with a constant default), backfill it, and require it in a later \
                         contract migration:\n  ALTER TABLE {table} ADD COLUMN {col} {ty};\n  \
                         -- contract, after the backfill:\n  \
                         ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID;\n  \
                         ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n  \
                         ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;\n  \
                         ALTER TABLE {table} DROP CONSTRAINT {check};"
                    ),
                );
            } else {
                out.emit(
                    stmt.span.clone(),
                    format!(
                        "adding `{table}.{col}` as NOT NULL without a default breaks every insert from a running \
                         release that does not set `{col}` (strict mode: \"Field '{col}' doesn't have a default \
                         value\"), and fills the existing rows with the type's implicit default"
                    ),
                    format!(
                        "add it nullable (or with a constant default), backfill it, and require it in a later \
                         contract migration:\n  ALTER TABLE {table} ADD COLUMN {col} {ty} NULL;\n  \
                         -- contract, after the backfill:\n  \
                         ALTER TABLE {table} MODIFY {col} {ty} NOT NULL;"
                    ),
                );
            }
        }
    }
}
