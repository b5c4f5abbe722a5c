use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Warns about a `-- bellows: ignore RULE` or `-- bellows: ignore-file RULE` directive
    /// that suppressed nothing: the rule did not fire on that statement (or file), or the
    /// rule is not enabled.
    ///
    /// ## Why is this bad?
    /// A stale suppression silently hides the next real finding of that rule when the
    /// migration is edited.
    ///
    /// ## When it does not fire
    /// When the suppression matched at least one finding.
    ///
    /// ## Safe alternative
    /// Delete the directive, or move it to the line before the statement it is meant for.
    ///
    /// ```sql
    /// -- bellows: ignore drop-column
    /// ALTER TABLE users DROP COLUMN legacy_flag;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct UnusedSuppression {
        name: "unused-suppression",
        category: Meta,
        severity: Warning,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "a suppression directive that matched no finding",
    }
}

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    /// Reported by the engine after suppressions are applied.
    fn check(&self, _cx: &FileContext, _out: &mut Emitter) {}
}
