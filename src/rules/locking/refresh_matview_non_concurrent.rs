use crate::classify::op::Op;
use crate::rules::{util, Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY`.
    ///
    /// ## Why is this bad?
    /// A plain refresh recomputes the view's query and swaps in the result while holding
    /// an ACCESS EXCLUSIVE lock on the view: every `SELECT` from it waits for the whole
    /// recomputation, which for the views worth materialising is usually long.
    ///
    /// ## When it does not fire
    /// On a materialized view created earlier in the same migration (nobody reads it yet,
    /// and a view created `WITH NO DATA` cannot be refreshed concurrently anyway).
    ///
    /// ## Safe alternative
    /// `REFRESH MATERIALIZED VIEW CONCURRENTLY` computes the new contents beside the old
    /// ones and applies the difference, so reads continue (concurrent refreshes still
    /// queue). It needs a unique index on the view that uses only plain columns and covers
    /// every row, and the view must already be populated.
    ///
    /// ```sql
    /// CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS daily_sales_day_key ON daily_sales (day);
    /// REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL.
    pub struct RefreshMatviewNonConcurrent {
        name: "refresh-matview-non-concurrent",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Any,
        default: true,
        summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view",
    }
}

impl Rule for RefreshMatviewNonConcurrent {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::RefreshMaterializedView {
                name,
                concurrently: false,
            } = &info.op
            else {
                continue;
            };
            if super::view_created_before(cx, stmt, name) {
                continue;
            }
            let text = super::statement_sql(cx.text(stmt));
            let fixed = util::insert_after(&text, "view", "CONCURRENTLY")
                .unwrap_or_else(|| format!("REFRESH MATERIALIZED VIEW CONCURRENTLY {name}"));
            out.emit(
                stmt.span.clone(),
                format!(
                    "refreshing `{name}` holds an ACCESS EXCLUSIVE lock on it: every read of the view waits until the query behind it has run to completion"
                ),
                format!(
                    "refresh it while reads continue (the view needs a unique index over plain columns that covers every row):\n  {fixed};"
                ),
            );
        }
    }
}
