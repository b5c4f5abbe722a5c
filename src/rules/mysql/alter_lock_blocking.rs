use crate::classify::op::Op;
use crate::rules::{util, Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … LOCK=SHARED` and `LOCK=EXCLUSIVE` on an existing table.
    ///
    /// ## Why is this bad?
    /// The `LOCK` clause sets how much concurrency the server allows for the whole run of
    /// the ALTER, not just its start and end. `LOCK=SHARED` blocks every write to the table
    /// until the ALTER finishes; `LOCK=EXCLUSIVE` blocks reads as well. On a large table
    /// that is minutes of failed or queued requests.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration, and for `LOCK=NONE` /
    /// `LOCK=DEFAULT`.
    ///
    /// ## Safe alternative
    /// Ask for `LOCK=NONE` together with the algorithm you expect. If the server cannot
    /// keep the table writable it refuses at once instead of blocking; then use an online
    /// schema change tool (gh-ost, pt-online-schema-change).
    ///
    /// ```sql
    /// ALTER TABLE orders ADD INDEX orders_created_at_idx (created_at), ALGORITHM=INPLACE, LOCK=NONE;
    /// ```
    ///
    /// ## Dialects
    /// MySQL and MariaDB.
    pub struct AlterLockBlocking {
        name: "alter-lock-blocking",
        category: Mysql,
        severity: Error,
        dialects: Mysql,
        concern: Any,
        default: true,
        summary: "LOCK=SHARED or LOCK=EXCLUSIVE blocks writes or reads for the whole ALTER",
    }
}

impl Rule for AlterLockBlocking {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::AlterLock { table, lock } = &info.op else {
                continue;
            };
            let blocked = match lock.as_str() {
                "SHARED" => "every write to",
                "EXCLUSIVE" => "every read and write of",
                _ => continue,
            };
            if !util::on_existing_table(info) {
                continue;
            }
            let fixed = replace_lock_clause(cx.text(stmt), lock)
                .unwrap_or_else(|| format!("ALTER TABLE {table} …, LOCK=NONE"));
            out.emit(
                stmt.span.clone(),
                format!("LOCK={lock} blocks {blocked} `{table}` until the whole ALTER finishes"),
                format!(
                    "ask for LOCK=NONE so the server refuses at once if it cannot keep `{table}` writable:\n  \
                     {fixed};"
                ),
            );
        }
    }
}

/// The statement with its `LOCK [=] value` clause changed to `LOCK=NONE`.
fn replace_lock_clause(text: &str, value: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let value = value.to_ascii_lowercase();
    let mut from = 0;
    while let Some(rel) = lower[from..].find("lock") {
        let start = from + rel;
        let rest = lower[start + 4..].trim_start();
        if let Some(after_eq) = rest.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            if after_eq.starts_with(&value) {
                let end = lower.len() - after_eq.len() + value.len();
                return Some(format!("{}LOCK=NONE{}", &text[..start], &text[end..]));
            }
        }
        from = start + 4;
    }
    None
}
