use super::CreatedHere;
use crate::classify::op::{ObjectKind, Op, TxControl};
use crate::lint::AnalyzedStatement;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags renaming an existing table: `ALTER TABLE … RENAME TO`, and on MySQL/MariaDB
    /// `RENAME TABLE`.
    ///
    /// ## Why is this bad?
    /// Every release that is already running still uses the old name. From the moment the
    /// rename commits, all of its queries on that table fail until the last old instance is
    /// replaced.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration. On PostgreSQL, also when the same
    /// transaction creates a view under the old name: a view over a single table accepts
    /// INSERT, UPDATE and DELETE, so old releases keep working through it.
    ///
    /// ## Safe alternative
    /// On PostgreSQL, rename and leave a view with the old name in one transaction; drop
    /// the view in a contract migration once no running release uses the old name.
    ///
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE accounts RENAME TO customers;
    /// CREATE VIEW accounts AS SELECT * FROM customers;
    /// COMMIT;
    /// ```
    ///
    /// On MySQL/MariaDB (where each DDL statement commits on its own) create the new name
    /// as a view first, move the application to it, and swap the two in one atomic
    /// `RENAME TABLE` in a later contract migration:
    ///
    /// ```sql
    /// CREATE VIEW customers AS SELECT * FROM accounts;
    /// -- later, once no running release uses `accounts`:
    /// RENAME TABLE customers TO customers_view, accounts TO customers;
    /// DROP VIEW customers_view;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct RenameTable {
        name: "rename-table",
        category: Compat,
        severity: Error,
        dialects: Both,
        concern: Contract,
        default: true,
        summary: "renaming a table breaks every running release that uses the old name",
    }
}

impl Rule for RenameTable {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let mut created = CreatedHere::default();
        for (index, stmt) in cx.statements.iter().enumerate() {
            for info in &stmt.ops {
                if let Op::RenameTable { from, to } = &info.op {
                    let kept_by_view =
                        cx.is_postgres() && view_replaces(&cx.statements[index..], from);
                    if !info.table_is_new && !created.table(from) && !kept_by_view {
                        let help = if cx.is_postgres() {
                            format!(
                                "keep the old name working: in the same transaction, create a view named `{from}` \
                                 (it accepts INSERT, UPDATE and DELETE), and drop it in a later contract migration \
                                 once no running release uses it:\n  BEGIN;\n  ALTER TABLE {from} RENAME TO {to};\n  \
                                 CREATE VIEW {from} AS SELECT * FROM {to};\n  COMMIT;"
                            )
                        } else {
                            format!(
                                "create `{to}` as a view of `{from}` first, move the application to `{to}`, and swap \
                                 them in one atomic RENAME TABLE in a later contract migration:\n  \
                                 CREATE VIEW {to} AS SELECT * FROM {from};\n  \
                                 -- later, once no running release uses `{from}`:\n  \
                                 RENAME TABLE {to} TO {to}_view, {from} TO {to};\n  DROP VIEW {to}_view;"
                            )
                        };
                        out.emit(
                            stmt.span.clone(),
                            format!(
                                "renaming table `{from}` to `{to}` breaks every running release that still uses \
                                 `{from}`"
                            ),
                            help,
                        );
                    }
                }
                created.record(info);
            }
        }
    }
}

/// Does a statement in `rest` (starting with the rename) create a view named `old` in the
/// same transaction as the rename?
fn view_replaces(rest: &[AnalyzedStatement], old: &crate::classify::op::Name) -> bool {
    let Some((first, later)) = rest.split_first() else {
        return false;
    };
    let Some(tx) = first.transaction else {
        return false;
    };
    for stmt in later {
        if stmt.transaction != Some(tx) {
            return false;
        }
        for info in &stmt.ops {
            match &info.op {
                Op::Transaction(TxControl::Commit | TxControl::Rollback) => return false,
                Op::CreateObject {
                    kind: ObjectKind::View,
                    name,
                    ..
                } if name == old => return true,
                _ => {}
            }
        }
    }
    false
}
