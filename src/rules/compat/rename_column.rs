use super::CreatedHere;
use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags renaming a column of an existing table: `ALTER TABLE … RENAME COLUMN`, and on
    /// MySQL/MariaDB `CHANGE old_name new_name …`.
    ///
    /// ## Why is this bad?
    /// A rename is an expand and a contract in one step. Every release that is already
    /// running still names the old column; from the moment the rename commits, its queries
    /// that read or write that column fail, until the last old instance is replaced.
    ///
    /// ## When it does not fire
    /// On a table created, or a column added, earlier in the same migration.
    ///
    /// ## Safe alternative
    /// Add the new column (expand), have the application write both columns (or keep them
    /// in step with a trigger) and backfill, switch reads to the new column, and drop the
    /// old one in a contract migration once no running release reads it.
    ///
    /// ```sql
    /// -- expand
    /// ALTER TABLE users ADD COLUMN email_address text;
    /// -- backfill, in batches
    /// UPDATE users SET email_address = email
    ///  WHERE id BETWEEN :batch_start AND :batch_end AND email_address IS NULL;
    /// -- contract, after every release reading `email` has retired
    /// ALTER TABLE users DROP COLUMN email;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct RenameColumn {
        name: "rename-column",
        category: Compat,
        severity: Error,
        dialects: Both,
        concern: Contract,
        default: true,
        summary: "renaming a column breaks every running release that uses the old name",
    }
}

impl Rule for RenameColumn {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let mut created = CreatedHere::default();
        for (stmt, info) in cx.ops() {
            let renamed = match &info.op {
                Op::RenameColumn { table, from, to } => Some((table, from, to, None)),
                Op::RedefineColumn {
                    table,
                    from,
                    column,
                } if from != &column.name => {
                    Some((table, from, &column.name, Some(column.ty.text.as_str())))
                }
                _ => None,
            };
            if let Some((table, from, to, new_type)) = renamed {
                if !info.table_is_new && !created.column(table, from) {
                    let ty = new_type
                        .map(str::to_owned)
                        .or_else(|| info.column_before.as_ref().map(|c| c.ty.text.clone()))
                        .unwrap_or_else(|| format!("<type of {from}>"));
                    out.emit(
                        stmt.span.clone(),
                        format!(
                            "renaming `{table}.{from}` to `{to}` breaks every running release that still reads \
                             or writes `{from}`"
                        ),
                        format!(
                            "add `{to}` instead, write both and backfill, switch reads to `{to}`, and drop `{from}` \
                             in a later contract migration once no running release uses it:\n  \
                             ALTER TABLE {table} ADD COLUMN {to} {ty};"
                        ),
                    );
                }
            }
            created.record(info);
        }
    }
}
