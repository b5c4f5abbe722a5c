use super::begin_line;
use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX …
    /// CONCURRENTLY` and `DETACH PARTITION … CONCURRENTLY` that run inside a transaction:
    /// an explicit `BEGIN` block, or the transaction the migration runner wraps each
    /// migration in.
    ///
    /// ## Why is this bad?
    /// PostgreSQL refuses these statements in a transaction block ("cannot run inside a
    /// transaction block"): they commit internally several times so that other sessions
    /// can keep writing. The migration fails when it is deployed.
    ///
    /// ## When it does not fire
    /// `REFRESH MATERIALIZED VIEW CONCURRENTLY` may run in a transaction, and so may
    /// `DETACH PARTITION … FINALIZE`.
    ///
    /// ## Safe alternative
    /// Run the statement outside any transaction: in a migration of its own that tells the
    /// runner not to wrap it, without `BEGIN` / `COMMIT`.
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id_idx ON orders (user_id);
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL.
    pub struct ConcurrentInTransaction {
        name: "concurrent-in-transaction",
        category: Transactions,
        severity: Error,
        dialects: Postgres,
        concern: Any,
        default: true,
        summary: "CONCURRENTLY inside a transaction block fails",
    }
}

impl Rule for ConcurrentInTransaction {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let what = match &info.op {
                Op::CreateIndex {
                    concurrently: true, ..
                } => "CREATE INDEX CONCURRENTLY",
                Op::DropIndex {
                    concurrently: true, ..
                } => "DROP INDEX CONCURRENTLY",
                Op::Reindex {
                    concurrently: true, ..
                } => "REINDEX CONCURRENTLY",
                Op::DetachPartition {
                    concurrently: true, ..
                } if !cx.text(stmt).to_ascii_lowercase().contains("finalize") => {
                    "DETACH PARTITION CONCURRENTLY"
                }
                _ => continue,
            };
            if !stmt.in_transaction {
                continue;
            }
            match stmt.transaction {
                Some(0) | None => out.emit(
                    stmt.span.clone(),
                    format!(
                        "the runner wraps this migration in a transaction, and `{what}` cannot run inside one: \
                         the migration fails"
                    ),
                    "tell the runner not to wrap this file: put `-- bellows: no-transaction` at the top, and keep \
                     in the file only statements that are safe outside a transaction",
                ),
                Some(id) => {
                    let opened = begin_line(cx, id)
                        .map(|l| format!(" opened on line {l}"))
                        .unwrap_or_default();
                    out.emit(
                        stmt.span.clone(),
                        format!(
                            "`{what}` inside the transaction block{opened} fails: PostgreSQL refuses to run it \
                             in a transaction block"
                        ),
                        "run it outside the block: after the COMMIT, or in a migration of its own without \
                         BEGIN/COMMIT that starts with `-- bellows: no-transaction`",
                    );
                }
            }
        }
    }
}
