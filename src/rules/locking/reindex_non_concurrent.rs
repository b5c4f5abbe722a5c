use crate::classify::op::{Op, ReindexTarget};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `REINDEX` without `CONCURRENTLY`.
    ///
    /// ## Why is this bad?
    /// A plain `REINDEX` rebuilds each index while holding a SHARE lock on its table
    /// (INSERT, UPDATE and DELETE wait) and an ACCESS EXCLUSIVE lock on the index itself
    /// (any query whose plan uses the index waits too). On a large table that is minutes
    /// of blocked writes and stalled reads; `REINDEX SCHEMA` or `DATABASE` does it to
    /// every table in turn.
    ///
    /// ## When it does not fire
    /// On `REINDEX TABLE` of a table created earlier in the same migration. `REINDEX
    /// SYSTEM` is reported without the advice: PostgreSQL cannot rebuild system catalogs
    /// concurrently.
    ///
    /// ## Safe alternative
    /// On PostgreSQL 12 and later, `REINDEX … CONCURRENTLY` builds a new copy of each
    /// index next to the old one and swaps them, letting reads and writes continue. It
    /// cannot run in a transaction block; a failed run leaves an INVALID `_ccnew` index to
    /// drop. Before 12, build a replacement with `CREATE INDEX CONCURRENTLY`, then drop the
    /// old index with `DROP INDEX CONCURRENTLY` and rename the new one.
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// REINDEX INDEX CONCURRENTLY users_email_idx;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL.
    pub struct ReindexNonConcurrent {
        name: "reindex-non-concurrent",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Any,
        default: true,
        summary: "REINDEX without CONCURRENTLY blocks writes and queries that use the index",
    }
}

impl Rule for ReindexNonConcurrent {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::Reindex {
                target,
                concurrently: false,
            } = &info.op
            else {
                continue;
            };
            let text = super::statement_sql(cx.text(stmt));
            // `REINDEX SYSTEM`: read from the text, whatever target the parser gave it.
            let system = target_keyword(&text).is_some_and(|(_, word)| word == "system");
            let what = match target {
                _ if system => "rebuilding every index of the system catalogs blocks DDL and the queries that read the catalog being rebuilt".to_owned(),
                ReindexTarget::Index(i) => format!("rebuilding index `{i}` blocks writes to its table and every query that uses the index"),
                ReindexTarget::Table(t) => {
                    if super::table_created_before(cx, stmt, t) {
                        continue;
                    }
                    format!("rebuilding the indexes of `{t}` blocks writes to it and every query that uses them")
                }
                ReindexTarget::Schema(s) => format!("rebuilding every index in schema `{s}` blocks writes to each of its tables in turn, and the queries that use the index being rebuilt"),
                ReindexTarget::Database(d) => format!("rebuilding every index in database `{d}` blocks writes to each of its tables in turn, and the queries that use the index being rebuilt"),
            };
            let help = if system {
                "PostgreSQL cannot rebuild system catalogs concurrently: run REINDEX SYSTEM outside the migrations, in a maintenance window".to_owned()
            } else if cx.settings.version.at_least(12, 0) {
                let fixed = with_concurrently(&text)
                    .unwrap_or_else(|| "REINDEX INDEX CONCURRENTLY …".to_owned());
                format!(
                    "rebuild without blocking, in a migration that runs outside a transaction (`-- bellows: no-transaction`):\n  {fixed};"
                )
            } else {
                format!(
                    "{} has no REINDEX CONCURRENTLY (added in 12): build a replacement with CREATE INDEX CONCURRENTLY, drop the old index with DROP INDEX CONCURRENTLY, then rename the new one",
                    cx.settings.version
                )
            };
            out.emit(stmt.span.clone(), format!("{what} until it finishes"), help);
        }
    }
}

/// Inserts `CONCURRENTLY` after the target keyword of a REINDEX (`REINDEX (VERBOSE) TABLE
/// t` → `REINDEX (VERBOSE) TABLE CONCURRENTLY t`).
fn with_concurrently(text: &str) -> Option<String> {
    let (end, _) = target_keyword(text)?;
    Some(format!("{} CONCURRENTLY{}", &text[..end], &text[end..]))
}

/// The target keyword of a REINDEX (`index`, `table`, `schema`, `database`, `system`,
/// lower-case) and the byte offset just after it.
fn target_keyword(text: &str) -> Option<(usize, String)> {
    let lower = text.to_ascii_lowercase();
    let mut at = lower.strip_prefix("reindex").map(|_| "reindex".len())?;
    at += lower[at..].len() - lower[at..].trim_start().len();
    if lower[at..].starts_with('(') {
        at += lower[at..].find(')')? + 1;
        at += lower[at..].len() - lower[at..].trim_start().len();
    }
    let word_len = lower[at..]
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(lower.len() - at);
    let word = &lower[at..at + word_len];
    if !matches!(word, "index" | "table" | "schema" | "database" | "system") {
        return None;
    }
    Some((at + word_len, word.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::with_concurrently;

    #[test]
    fn inserts_after_the_target_keyword() {
        assert_eq!(
            with_concurrently("REINDEX INDEX users_email_idx").as_deref(),
            Some("REINDEX INDEX CONCURRENTLY users_email_idx")
        );
        assert_eq!(
            with_concurrently("reindex (verbose) table users").as_deref(),
            Some("reindex (verbose) table CONCURRENTLY users")
        );
        assert_eq!(with_concurrently("VACUUM users"), None);
    }
}
