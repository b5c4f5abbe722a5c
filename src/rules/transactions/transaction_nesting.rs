use super::{keyword, line};
use crate::classify::op::{Op, TxControl};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `BEGIN` / `START TRANSACTION` while a transaction is already open (an
    /// explicit one, or the one the runner wraps the migration in), and `COMMIT` /
    /// `ROLLBACK` when none is open or when it would end the runner's transaction.
    ///
    /// ## Why is this bad?
    /// Transactions do not nest. PostgreSQL ignores the inner `BEGIN` with a warning, so
    /// the first `COMMIT` already commits everything and the statements after it run
    /// outside any transaction. MySQL/MariaDB silently commit the open transaction when a
    /// new one begins. A `COMMIT` inside a migration the runner wraps ends the runner's
    /// transaction early: a later failure no longer rolls back what came before, and the
    /// runner's bookkeeping can disagree with the schema. A `COMMIT` with nothing open
    /// means the statements before it were not the single unit their author expected; on
    /// MySQL/MariaDB that is typically because a DDL statement already committed
    /// implicitly.
    ///
    /// ## Safe alternative
    /// Either let the runner own the transaction and write no `BEGIN` / `COMMIT`, or opt
    /// the file out of the runner's transaction and write exactly one block:
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// BEGIN;
    /// SET LOCAL lock_timeout = '2s';
    /// ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
    /// COMMIT;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct TransactionNesting {
        name: "transaction-nesting",
        category: Transactions,
        severity: Error,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "BEGIN inside a transaction, or COMMIT with none open",
    }
}

impl Rule for TransactionNesting {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let postgres = cx.is_postgres();
        // The runner's transaction is open until something in the file ends it.
        let mut runner_open = cx.settings.assume_in_transaction && !cx.no_transaction;
        // The explicit block open now: the line of its BEGIN.
        let mut explicit: Option<usize> = None;
        // COMMITs still owed to BEGINs already reported as nested: not reported again.
        let mut owed = 0usize;
        // MySQL: the line of the DDL statement that committed the open transaction.
        let mut implicit_commit: Option<usize> = None;
        for stmt in cx.statements {
            let here = line(cx, stmt);
            let word = keyword(cx, stmt);
            for info in &stmt.ops {
                match &info.op {
                    Op::Transaction(TxControl::Begin) => {
                        if let Some(outer) = explicit {
                            let effect = if postgres {
                                "PostgreSQL ignores it with a warning, so the first COMMIT already commits \
                                 everything and what follows runs outside any transaction"
                            } else {
                                "MySQL commits the open transaction right here, so the two parts are not one unit"
                            };
                            out.emit(
                                stmt.span.clone(),
                                format!("{word} inside the transaction opened on line {outer}: {effect}"),
                                "transactions do not nest: remove the inner BEGIN and its COMMIT, or COMMIT \
                                 the first block before opening the next (use SAVEPOINT for a partial rollback)",
                            );
                            owed += 1;
                            if !postgres {
                                explicit = Some(here);
                            }
                        } else {
                            if runner_open {
                                let effect = if postgres {
                                    "PostgreSQL ignores it with a warning, and the COMMIT that follows ends \
                                     the runner's transaction early"
                                } else {
                                    "MySQL commits the runner's transaction right here"
                                };
                                out.emit(
                                    stmt.span.clone(),
                                    format!(
                                        "{word} in a migration the runner already wraps in a transaction: {effect}"
                                    ),
                                    "remove BEGIN and COMMIT and let the runner's transaction cover the file, or \
                                     put `-- bellows: no-transaction` at the top to manage transactions yourself",
                                );
                                runner_open = false;
                            }
                            explicit = Some(here);
                        }
                        implicit_commit = None;
                    }
                    Op::Transaction(TxControl::Commit | TxControl::Rollback) => {
                        if explicit.take().is_some() {
                            runner_open = false;
                        } else if owed > 0 {
                            owed -= 1;
                        } else if runner_open {
                            out.emit(
                                stmt.span.clone(),
                                format!(
                                    "{word} ends the transaction the runner wraps this migration in: the \
                                     statements after it run outside any transaction, and a later failure no \
                                     longer rolls back the ones before"
                                ),
                                "remove it and let the runner commit at the end, or put \
                                 `-- bellows: no-transaction` at the top and write one BEGIN … COMMIT block",
                            );
                            runner_open = false;
                        } else if let Some(ddl) = implicit_commit.take() {
                            out.emit(
                                stmt.span.clone(),
                                format!(
                                    "this {word} has no transaction to end: MySQL already committed it at the DDL \
                                     statement on line {ddl}, and DDL cannot be rolled back"
                                ),
                                "DDL is not transactional on MySQL/MariaDB: keep data changes in their own \
                                 START TRANSACTION … COMMIT block, apart from the DDL",
                            );
                        } else {
                            out.emit(
                                stmt.span.clone(),
                                format!(
                                    "{word} with no transaction open: each statement before it was already \
                                     committed on its own, not as one unit"
                                ),
                                "open the block with BEGIN where it should start, or remove this statement",
                            );
                        }
                    }
                    op if !postgres
                        && op.commits_implicitly_on_mysql()
                        && (explicit.is_some() || runner_open) =>
                    {
                        explicit = None;
                        implicit_commit = Some(here);
                        runner_open = false;
                    }
                    _ => {}
                }
            }
        }
    }
}
