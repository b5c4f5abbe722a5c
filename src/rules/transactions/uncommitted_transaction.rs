use crate::classify::op::{Op, TxControl};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a `BEGIN` / `START TRANSACTION` that no `COMMIT` or `ROLLBACK` ends by the
    /// end of the file.
    ///
    /// ## Why is this bad?
    /// What happens to the open transaction depends on whatever runs the file: when the
    /// session ends, PostgreSQL and MySQL/MariaDB roll it back, so the migration silently
    /// does nothing; a tool that keeps the connection commits it later, together with
    /// statements that were never meant to be part of it. Either way the migration's
    /// effect is not what the file says.
    ///
    /// ## When it does not fire
    /// When the runner wraps the migration in its own transaction (`transaction-nesting`
    /// reports the `BEGIN` there), and on MySQL/MariaDB when a later DDL statement commits
    /// the transaction implicitly.
    ///
    /// ## Safe alternative
    /// End every block you open:
    ///
    /// ```sql
    /// BEGIN;
    /// UPDATE plans SET monthly_price_cents = 1200 WHERE code = 'team';
    /// COMMIT;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct UncommittedTransaction {
        name: "uncommitted-transaction",
        category: Transactions,
        severity: Error,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "BEGIN without a matching COMMIT by the end of the file",
    }
}

impl Rule for UncommittedTransaction {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        if cx.settings.assume_in_transaction && !cx.no_transaction {
            return;
        }
        let postgres = cx.is_postgres();
        // The statement that opened the transaction still open.
        let mut open: Option<usize> = None;
        for (index, stmt) in cx.statements.iter().enumerate() {
            for info in &stmt.ops {
                match &info.op {
                    // PostgreSQL ignores a nested BEGIN; MySQL commits and opens a new one.
                    Op::Transaction(TxControl::Begin) if open.is_none() || !postgres => {
                        open = Some(index)
                    }
                    Op::Transaction(TxControl::Commit | TxControl::Rollback) => open = None,
                    op if !postgres && op.commits_implicitly_on_mysql() => open = None,
                    _ => {}
                }
            }
        }
        let Some(begin) = open else { return };
        let stmt = &cx.statements[begin];
        let after = cx.statements.len() - begin - 1;
        let what = match after {
            0 => "nothing follows it".to_owned(),
            1 => "when the session ends, the statement after it is rolled back, or committed later by whatever \
                  reuses the connection"
                .to_owned(),
            n => format!(
                "when the session ends, the {n} statements after it are rolled back, or committed later by \
                 whatever reuses the connection"
            ),
        };
        out.emit(
            stmt.span.clone(),
            format!("this transaction is never committed: {what}"),
            "end the block with `COMMIT;` (or remove the BEGIN if the runner provides the transaction)",
        );
    }
}
