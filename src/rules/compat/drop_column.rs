use super::CreatedHere;
use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … DROP COLUMN` on an existing table.
    ///
    /// ## Why is this bad?
    /// Dropping a column is a contract operation: it is safe only once no running release
    /// reads or writes the column. A release that still names it in a query, or maps
    /// `SELECT *` onto a struct that expects it, starts failing the moment the drop
    /// commits, and the column's data cannot be brought back by a rollback.
    ///
    /// ## When it does not fire
    /// On a table created, or a column added, earlier in the same migration.
    ///
    /// ## Safe alternative
    /// First ship a release that no longer reads or writes the column (tell the ORM to
    /// ignore it), then drop it in a contract migration of its own. Once that is true,
    /// acknowledge the finding on the statement:
    ///
    /// ```sql
    /// -- contract: no release since 2.4.0 reads users.legacy_flags
    /// -- bellows: ignore drop-column
    /// ALTER TABLE users DROP COLUMN legacy_flags;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct DropColumn {
        name: "drop-column",
        category: Compat,
        severity: Error,
        dialects: Both,
        concern: Contract,
        default: true,
        summary: "dropping a column breaks running releases that still read or write it",
    }
}

impl Rule for DropColumn {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let mut created = CreatedHere::default();
        for (stmt, info) in cx.ops() {
            if let Op::DropColumn { table, column, .. } = &info.op {
                if !info.table_is_new && !created.column(table, column) {
                    out.emit(
                        stmt.span.clone(),
                        format!(
                            "dropping `{table}.{column}` breaks every running release that still reads or writes \
                             it, and its data is gone for good"
                        ),
                        format!(
                            "first ship a release that no longer uses `{column}`, then drop it in a contract \
                             migration of its own; once that is done, acknowledge it with \
                             `-- bellows: ignore drop-column` above the statement"
                        ),
                    );
                }
            }
            created.record(info);
        }
    }
}
