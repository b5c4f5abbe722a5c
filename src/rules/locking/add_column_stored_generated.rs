use crate::classify::op::{Generated, Op};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ADD COLUMN … GENERATED ALWAYS AS (…) STORED` on an existing table.
    ///
    /// ## Why is this bad?
    /// A stored generated column is computed and written for every existing row when it
    /// is added. PostgreSQL rewrites the table and its indexes under an ACCESS EXCLUSIVE
    /// lock (reads and writes wait); MySQL/MariaDB copy the table (writes wait).
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration. For VIRTUAL generated columns,
    /// computed when read: INSTANT on MySQL/MariaDB, and PostgreSQL 18's default when
    /// neither `STORED` nor `VIRTUAL` is written.
    ///
    /// ## Safe alternative
    /// MySQL/MariaDB and PostgreSQL 18+: add the column VIRTUAL (it can be indexed on
    /// MySQL/MariaDB, with a concurrent index build). Before PostgreSQL 18: add a plain
    /// nullable column, keep it filled for new rows with a trigger, backfill the existing
    /// rows in batches; or index the expression directly
    /// (`CREATE INDEX CONCURRENTLY … ON users (lower(email))`).
    ///
    /// ```sql
    /// ALTER TABLE users ADD COLUMN email_lower varchar(255)
    ///     GENERATED ALWAYS AS (lower(email)) VIRTUAL;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct AddColumnStoredGenerated {
        name: "add-column-stored-generated",
        category: Locking,
        severity: Error,
        dialects: Both,
        concern: Expand,
        default: true,
        summary: "adding a STORED generated column rewrites the table",
    }
}

impl Rule for AddColumnStoredGenerated {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let version = cx.settings.version;
        for (stmt, info) in cx.ops() {
            let Op::AddColumn { table, column, .. } = &info.op else {
                continue;
            };
            if column.generated != Some(Generated::Stored) || info.table_is_new {
                continue;
            }
            let text = cx.text(stmt);
            // The classifier reads a PostgreSQL generated column without a keyword as
            // STORED (the only kind before 18); from 18 on it is VIRTUAL.
            if cx.is_postgres() && version.at_least(18, 0) && !has_word(text, "stored") {
                continue;
            }
            let col = &column.name;
            let (message, help) = if cx.is_postgres() {
                (
                    format!(
                        "adding the stored generated column `{table}.{col}` computes it for every row, rewriting `{table}` and its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes"
                    ),
                    if version.at_least(18, 0) {
                        "make it VIRTUAL (computed when read, added without a rewrite), or add a plain column filled by a trigger and backfilled in batches".to_owned()
                    } else {
                        "add a plain nullable column filled for new rows by a trigger and backfill the existing rows in batches, or index the expression itself with CREATE INDEX CONCURRENTLY".to_owned()
                    },
                )
            } else {
                (
                    format!(
                        "adding the STORED generated column `{table}.{col}` copies the whole `{table}` table, blocking writes until it finishes"
                    ),
                    format!(
                        "make it VIRTUAL, which is added INSTANT and can still be indexed:\n  ALTER TABLE {table} ADD COLUMN {col} {} GENERATED ALWAYS AS (…) VIRTUAL;",
                        column.ty
                    ),
                )
            };
            out.emit(stmt.span.clone(), message, help);
        }
    }
}

/// Does `text` contain `word` as a whole word (ASCII case-insensitive)?
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w.eq_ignore_ascii_case(word))
}
