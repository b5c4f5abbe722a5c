use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … DETACH PARTITION` without `CONCURRENTLY` on an existing
    /// partitioned table.
    ///
    /// ## Why is this bad?
    /// A plain detach takes an ACCESS EXCLUSIVE lock on the parent table. While it waits
    /// for running queries and while it holds the lock, every read and write that goes
    /// through the parent, on any partition, is blocked.
    ///
    /// ## When it does not fire
    /// When the partitioned table was created earlier in the same migration.
    ///
    /// ## Safe alternative
    /// On PostgreSQL 14 and later, `DETACH PARTITION … CONCURRENTLY` takes only a SHARE
    /// UPDATE EXCLUSIVE lock on the parent, so queries continue. It cannot run in a
    /// transaction block and is not allowed when the parent has a default partition; if it
    /// is interrupted, finish it with `DETACH PARTITION … FINALIZE`. Before 14 there is no
    /// online form: run the plain detach with a short `lock_timeout` and retries.
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL.
    pub struct DetachPartitionNonConcurrent {
        name: "detach-partition-non-concurrent",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Contract,
        default: true,
        summary: "DETACH PARTITION without CONCURRENTLY blocks reads and writes on the parent table",
    }
}

impl Rule for DetachPartitionNonConcurrent {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::DetachPartition {
                table,
                partition,
                concurrently: false,
            } = &info.op
            else {
                continue;
            };
            if info.table_is_new {
                continue;
            }
            let help = if cx.settings.version.at_least(14, 0) {
                let sql = super::statement_sql(cx.text(stmt));
                let fixed = if stmt.ops.len() == 1 {
                    format!("{sql} CONCURRENTLY")
                } else {
                    format!("ALTER TABLE {table} DETACH PARTITION {partition} CONCURRENTLY")
                };
                format!(
                    "detach it while queries continue, in a migration that runs outside a transaction (`-- bellows: no-transaction`; not possible while `{table}` has a default partition):\n  {fixed};"
                )
            } else {
                format!(
                    "{} has no DETACH PARTITION CONCURRENTLY (added in 14): set a short lock_timeout and retry the detach at a quiet time, or upgrade",
                    cx.settings.version
                )
            };
            out.emit(
                stmt.span.clone(),
                format!(
                    "detaching `{partition}` takes an ACCESS EXCLUSIVE lock on `{table}`, blocking every read and write through it on all partitions"
                ),
                help,
            );
        }
    }
}
