use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags maintenance commands that rewrite a whole table: `VACUUM FULL`, `CLUSTER`,
    /// `ALTER TABLE … SET LOGGED` / `SET UNLOGGED` and `ALTER TABLE … SET TABLESPACE`.
    ///
    /// ## Why is this bad?
    /// Each one writes a new copy of the table (and its indexes) while holding an ACCESS
    /// EXCLUSIVE lock: every read and write waits for the whole copy, and the server needs
    /// room for both copies until it finishes. These are maintenance-window operations, not
    /// migration steps. `SET UNLOGGED` also makes the table lose its rows after a crash and
    /// stop reaching physical replicas.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration.
    ///
    /// ## Safe alternative
    /// To reclaim space, run a plain `VACUUM` (reads and writes continue) and let the
    /// freed space be reused. To shrink, reorder or move a table online, use an extension
    /// that copies it in the background and swaps it in with a brief lock, such as
    /// pg_repack or pg_squeeze. To change persistence, create a new table with the wanted
    /// setting, copy the rows in batches and swap the two.
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// VACUUM (ANALYZE) events;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL. (For MySQL/MariaDB rebuilds see `alter-algorithm-copy`.)
    pub struct TableRewriteMaintenance {
        name: "table-rewrite-maintenance",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Any,
        default: true,
        summary: "VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED rewrite the table under an ACCESS EXCLUSIVE lock",
    }
}

impl Rule for TableRewriteMaintenance {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        const ONLINE: &str = "an online rewrite tool such as pg_repack or pg_squeeze";
        for (stmt, info) in cx.ops() {
            let (command, table, help) = match &info.op {
                Op::VacuumFull { table } => (
                    "VACUUM FULL",
                    table.as_ref(),
                    format!(
                        "run a plain VACUUM instead (reads and writes continue; freed space is reused), or shrink the table with {ONLINE}"
                    ),
                ),
                Op::Cluster { table } => (
                    "CLUSTER",
                    table.as_ref(),
                    format!("reorder the table with {ONLINE} (e.g. `pg_repack --order-by`), which holds its lock only briefly"),
                ),
                Op::SetLogged { table, logged } => (
                    if *logged { "SET LOGGED" } else { "SET UNLOGGED" },
                    Some(table),
                    "there is no online form: create a new table with the wanted persistence, copy the rows in batches and swap the two, or run it in a maintenance window".to_owned(),
                ),
                Op::SetTablespace { table } => (
                    "SET TABLESPACE",
                    Some(table),
                    format!("move the table with {ONLINE} (e.g. `pg_repack --tablespace`), which holds its lock only briefly"),
                ),
                _ => continue,
            };
            if info.table_is_new {
                continue;
            }
            let target = match table {
                Some(t) => format!("`{t}`"),
                None if matches!(info.op, Op::Cluster { .. }) => {
                    "every table that was clustered before".to_owned()
                }
                None => "every table in the database".to_owned(),
            };
            let mut message = format!(
                "`{command}` rewrites {target} under an ACCESS EXCLUSIVE lock, blocking reads and writes until the copy is complete"
            );
            if matches!(info.op, Op::SetLogged { logged: false, .. }) {
                message
                    .push_str("; an unlogged table is emptied after a crash and is not replicated");
            }
            out.emit(stmt.span.clone(), message, help);
        }
    }
}
