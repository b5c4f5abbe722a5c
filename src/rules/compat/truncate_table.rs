use super::{name_list, CreatedHere};
use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `TRUNCATE` of an existing table, and on MySQL/MariaDB `ALTER TABLE …
    /// TRUNCATE PARTITION` / `DROP PARTITION`, which remove a partition's rows the same way.
    ///
    /// ## Why is this bad?
    /// TRUNCATE removes every row at once for every running release, which is a contract
    /// operation on the data. On PostgreSQL it takes an ACCESS EXCLUSIVE lock, so every
    /// query on the table waits for it (and for whatever holds a lock before it). On
    /// MySQL/MariaDB it is DDL: it commits implicitly and cannot be rolled back.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration.
    ///
    /// ## Safe alternative
    /// Delete the rows that must go in batches, in a backfill migration of their own. If
    /// the table is no longer used at all, drop it in a contract migration instead.
    ///
    /// ```sql
    /// DELETE FROM audit_log
    ///  WHERE id BETWEEN :batch_start AND :batch_end
    ///    AND created_at < now() - interval '90 days';
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct TruncateTable {
        name: "truncate-table",
        category: Compat,
        severity: Error,
        dialects: Both,
        concern: Contract,
        default: true,
        summary: "TRUNCATE deletes every row and takes an ACCESS EXCLUSIVE lock",
    }
}

impl Rule for TruncateTable {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let mut created = CreatedHere::default();
        for (stmt, info) in cx.ops() {
            if let Op::Truncate { tables } = &info.op {
                let existing: Vec<_> = tables.iter().filter(|t| !created.table(t)).collect();
                if !existing.is_empty() {
                    let names = name_list(&existing);
                    let partition = cx.text(stmt).to_ascii_lowercase().contains("partition");
                    let rows = if partition {
                        format!("every row of the named partitions of {names}")
                    } else {
                        format!("every row of {names}")
                    };
                    let message = if cx.is_postgres() {
                        format!(
                            "TRUNCATE removes {rows} for every running release, and holds an ACCESS EXCLUSIVE \
                             lock meanwhile, so every query on it waits"
                        )
                    } else {
                        format!(
                            "this removes {rows} for every running release at once, commits implicitly, and \
                             cannot be rolled back"
                        )
                    };
                    let first = existing[0];
                    let help = if partition {
                        format!(
                            "removing old partitions is data retention, not a schema change: run it from a \
                             scheduled job once no running release reads those rows, or delete them in batches in \
                             a backfill migration:\n  DELETE FROM {first} WHERE id BETWEEN :batch_start AND \
                             :batch_end;"
                        )
                    } else {
                        format!(
                            "delete the rows that must go in batches, in a backfill migration of their own:\n  \
                             DELETE FROM {first} WHERE id BETWEEN :batch_start AND :batch_end;\n\
                             if the table is no longer used at all, drop it in a contract migration instead"
                        )
                    };
                    out.emit(stmt.span.clone(), message, help);
                }
            }
            created.record(info);
        }
    }
}
