use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `-- bellows:` comment that bellows cannot act on: a suppression naming a
    /// rule that does not exist, an `ignore` with no statement after it, or an unknown
    /// directive word.
    ///
    /// ## Why is this bad?
    /// A misspelt rule name suppresses nothing, so the finding it was meant to silence is
    /// still there, and the reader believes it was reviewed.
    ///
    /// ## When it does not fire
    /// On `ignore`, `ignore-file` and `no-transaction` directives naming known rules.
    ///
    /// ## Safe alternative
    /// Use a name from `bellows rules`:
    ///
    /// ```sql
    /// -- bellows: ignore create-index-non-concurrent
    /// CREATE INDEX audit_log_at_idx ON audit_log (at);
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct InvalidDirective {
        name: "invalid-directive",
        category: Meta,
        severity: Error,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "a bellows: directive naming an unknown rule or directive",
    }
}

impl Rule for InvalidDirective {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    /// Reported by the engine while reading directives.
    fn check(&self, _cx: &FileContext, _out: &mut Emitter) {}
}
