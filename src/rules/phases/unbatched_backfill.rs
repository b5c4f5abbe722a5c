use crate::classify::op::Op;
use crate::rules::{util, Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `UPDATE` and `DELETE` of an existing table without a `WHERE` clause (on
    /// MySQL/MariaDB, with neither `WHERE` nor `LIMIT`): one statement that touches every
    /// row.
    ///
    /// ## Why is this bad?
    /// The whole table changes in one transaction. Every changed row stays locked until it
    /// commits, so concurrent writes to those rows wait; the undo or WAL volume grows with
    /// the table; replicas replay it as one long transaction and fall behind; on PostgreSQL
    /// every updated row leaves a dead copy behind (table bloat). If it fails near the end,
    /// all of it is rolled back and nothing is resumable.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration, and on any statement with a
    /// `WHERE` (a key range with `:batch_start` / `:batch_end` placeholders is how bellows
    /// runs resumable batches).
    ///
    /// ## Safe alternative
    /// Work through the table by key range, committing each batch:
    ///
    /// ```sql
    /// UPDATE users SET email_address = email
    ///  WHERE id BETWEEN :batch_start AND :batch_end;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct UnbatchedBackfill {
        name: "unbatched-backfill",
        category: Phases,
        severity: Warning,
        dialects: Both,
        concern: Backfill,
        default: true,
        summary: "UPDATE or DELETE of a whole existing table in one statement",
    }
}

impl Rule for UnbatchedBackfill {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let (verb, table, has_where, has_limit) = match &info.op {
                Op::Update {
                    table,
                    has_where,
                    has_limit,
                } => ("UPDATE", table, *has_where, *has_limit),
                Op::Delete {
                    table,
                    has_where,
                    has_limit,
                } => ("DELETE FROM", table, *has_where, *has_limit),
                _ => continue,
            };
            let limited = has_limit && !cx.is_postgres();
            if has_where || limited || !util::on_existing_table(info) {
                continue;
            }
            let consequence = if cx.is_postgres() {
                "every row stays locked until it commits, and each updated row leaves a dead copy behind"
            } else {
                "every row stays locked until it commits, and replicas replay it as one long transaction"
            };
            let text = cx.text(stmt).trim_end();
            let lower = text.to_ascii_lowercase();
            // Appending a WHERE is only right for a plain single-table statement.
            let batched = if lower.contains("returning")
                || lower.contains("order by")
                || lower.trim_start().starts_with("with")
            {
                format!("{verb} {table} … WHERE id BETWEEN :batch_start AND :batch_end;")
            } else {
                format!("{text} WHERE id BETWEEN :batch_start AND :batch_end;")
            };
            out.emit(
                stmt.span.clone(),
                format!("`{verb} {table}` without a WHERE changes the whole table in one transaction: {consequence}"),
                format!("work through the table by key range, committing each batch:\n  {batched}"),
            );
        }
    }
}
