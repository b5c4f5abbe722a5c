use crate::classify::op::Op;
use crate::rules::{util, Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `CREATE INDEX` on an existing table without `CONCURRENTLY`.
    ///
    /// ## Why is this bad?
    /// A plain `CREATE INDEX` holds a SHARE lock on the table for the whole build: reads
    /// continue, but every INSERT, UPDATE and DELETE waits until the index is finished,
    /// which takes minutes on a large table.
    ///
    /// ## When it does not fire
    /// On a table or materialized view created earlier in the same migration (nobody
    /// uses it yet).
    ///
    /// ## Safe alternative
    /// Build the index with `CREATE INDEX CONCURRENTLY`, in a migration of its own that
    /// does not run in a transaction (`-- bellows: no-transaction`). If the build fails it
    /// leaves an INVALID index: drop it and retry.
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL. (MySQL/MariaDB build secondary indexes in place with concurrent writes.)
    pub struct CreateIndexNonConcurrent {
        name: "create-index-non-concurrent",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Expand,
        default: true,
        summary: "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds",
    }
}

impl Rule for CreateIndexNonConcurrent {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::CreateIndex {
                table,
                concurrently: false,
                ..
            } = &info.op
            else {
                continue;
            };
            if info.table_is_new || super::view_created_before(cx, stmt, table) {
                continue;
            }
            let text = cx.text(stmt);
            let fixed = util::insert_after(text, "index", "CONCURRENTLY")
                .unwrap_or_else(|| "CREATE INDEX CONCURRENTLY …".to_owned());
            out.emit(
                stmt.span.clone(),
                format!(
                    "building an index on `{table}` blocks writes to it until the build finishes"
                ),
                format!("build it without blocking writes, outside a transaction:\n  {fixed};"),
            );
        }
    }
}
