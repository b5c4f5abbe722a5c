use super::{name_list, CreatedHere};
use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `DROP TABLE` of an existing table.
    ///
    /// ## Why is this bad?
    /// Dropping a table is a contract operation: it is safe only once no running release
    /// uses the table. Any release that still queries it fails from the moment the drop
    /// commits, and the rows cannot be brought back by a rollback.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration (a scratch table used only while
    /// the migration runs).
    ///
    /// ## Safe alternative
    /// First ship a release that no longer uses the table, keep a copy of the rows if a
    /// rollback might need them, and drop it in a contract migration of its own. Once that
    /// is true, acknowledge the finding on the statement:
    ///
    /// ```sql
    /// -- contract: no release since 3.1.0 reads legacy_sessions
    /// -- bellows: ignore drop-table
    /// DROP TABLE legacy_sessions;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct DropTable {
        name: "drop-table",
        category: Compat,
        severity: Error,
        dialects: Both,
        concern: Contract,
        default: true,
        summary: "dropping a table breaks running releases that still use it",
    }
}

impl Rule for DropTable {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let mut created = CreatedHere::default();
        for (stmt, info) in cx.ops() {
            if let Op::DropTable { tables, .. } = &info.op {
                let existing: Vec<_> = tables.iter().filter(|t| !created.table(t)).collect();
                if !existing.is_empty() {
                    let names = name_list(&existing);
                    let (what, it) = if existing.len() == 1 {
                        ("table", "it")
                    } else {
                        ("tables", "them")
                    };
                    out.emit(
                        stmt.span.clone(),
                        format!(
                            "dropping {what} {names} breaks every running release that still uses {it}, and the \
                             rows are gone for good"
                        ),
                        format!(
                            "first ship a release that no longer uses {names}, keep a copy of the rows if a \
                             rollback might need them, and drop {it} in a contract migration of its own; once \
                             that is done, acknowledge it with `-- bellows: ignore drop-table` above the statement"
                        ),
                    );
                }
            }
            created.record(info);
        }
    }
}
