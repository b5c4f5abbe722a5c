use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports text that is not SQL of the chosen dialect: a statement neither sqlparser
    /// nor bellows' token-level fallback can read, an unterminated string, quoted
    /// identifier, dollar-quoted body or block comment, invalid UTF-8, or a binary file.
    ///
    /// ## Why is this bad?
    /// A statement bellows cannot read is a statement it cannot check: every other rule is
    /// blind to it, and the server will most likely reject it mid-migration.
    ///
    /// ## When it does not fire
    /// On valid SQL that sqlparser does not support (`DROP INDEX CONCURRENTLY`, `REINDEX`,
    /// `VACUUM (FULL)`, `DO` blocks, MySQL `OPTIMIZE TABLE`, triggers with `DELIMITER`, …):
    /// bellows recognises those from their tokens.
    ///
    /// ## Safe alternative
    /// Fix the statement. If the server accepts it, report it to bellows with the text.
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB. Give the right `--dialect`: each accepts text the
    /// other rejects.
    pub struct SyntaxError {
        name: "syntax-error",
        category: Meta,
        severity: Error,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "text that is not SQL of the dialect",
    }
}

impl Rule for SyntaxError {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    /// Reported by the parser stage of the engine.
    fn check(&self, _cx: &FileContext, _out: &mut Emitter) {}
}
