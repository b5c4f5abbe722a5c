use crate::classify::op::Op;
use crate::rules::{util, Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `DROP INDEX` without `CONCURRENTLY`.
    ///
    /// ## Why is this bad?
    /// A plain `DROP INDEX` needs an ACCESS EXCLUSIVE lock on the index's table. The drop
    /// itself is quick, but the lock request waits for every running query on the table,
    /// and every query that arrives after it waits in turn: one long report or an idle
    /// transaction turns a catalog change into an outage of the table.
    ///
    /// ## When it does not fire
    /// When the index was created earlier in the same migration on a table also created
    /// there.
    ///
    /// ## Safe alternative
    /// Drop each index with `DROP INDEX CONCURRENTLY`, which waits for running queries
    /// without blocking new ones. It cannot run in a transaction block, drops one index
    /// per statement and does not accept `CASCADE`.
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL. (MySQL/MariaDB drop secondary indexes in place without a table copy.)
    pub struct DropIndexNonConcurrent {
        name: "drop-index-non-concurrent",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Contract,
        default: true,
        summary: "DROP INDEX without CONCURRENTLY blocks reads and writes on the table",
    }
}

impl Rule for DropIndexNonConcurrent {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::DropIndex {
                names,
                table,
                concurrently: false,
                ..
            } = &info.op
            else {
                continue;
            };
            if names.is_empty() || names.iter().all(|n| super::index_on_new_table(cx, stmt, n)) {
                continue;
            }
            let list = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let owner = table
                .as_ref()
                .or_else(|| super::table_of_index(cx, stmt, &names[0]))
                .map(|t| format!("`{t}`"))
                .unwrap_or_else(|| "its table".to_owned());
            let (noun, pronoun) = if names.len() == 1 {
                ("index", "it")
            } else {
                ("indexes", "them one by one")
            };
            let text = cx.text(stmt);
            let cascade = text.to_ascii_lowercase().contains("cascade");
            let fixed = match util::insert_after(text, "index", "CONCURRENTLY") {
                Some(one) if names.len() == 1 && !cascade => {
                    format!("  {};", super::statement_sql(&one))
                }
                _ => names
                    .iter()
                    .map(|n| format!("  DROP INDEX CONCURRENTLY IF EXISTS {n};"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            let mut help = format!(
                "drop {pronoun} without blocking queries, in a migration that runs outside a transaction (`-- bellows: no-transaction`):\n{fixed}"
            );
            if cascade {
                help.push_str(
                    "\nCONCURRENTLY does not accept CASCADE: drop the dependent objects first",
                );
            }
            out.emit(
                stmt.span.clone(),
                format!(
                    "dropping {noun} {list} waits for an ACCESS EXCLUSIVE lock on {owner}; while it waits, every read and write of the table queues behind it"
                ),
                help,
            );
        }
    }
}
