use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a migration whose `migration.toml` declares a `phase` (expand, backfill,
    /// contract) that differs from the phase bellows infers from its statements.
    ///
    /// ## Why is this bad?
    /// The runner and the plan schedule a migration by its phase: an expand runs before the
    /// new release is deployed, a contract only after every release that needs the old shape
    /// has retired. A migration declared `expand` that drops a column would run while old
    /// releases still read it.
    ///
    /// ## When it does not fire
    /// When the declared and inferred phases agree, when nothing is declared, and when the
    /// migration changes nothing a client can see (phase `none`).
    ///
    /// ## Safe alternative
    /// Declare what the migration does, or split it so each part has one phase:
    ///
    /// ```sql
    /// -- migrations/0011_drop_users_name/up.sql, with migration.toml: phase = "contract"
    /// ALTER TABLE users DROP COLUMN name;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct PhaseMismatch {
        name: "phase-mismatch",
        category: Meta,
        severity: Error,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "the phase a migration declares differs from what its statements do",
    }
}

impl Rule for PhaseMismatch {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    /// Reported by the engine, which knows the declared phase.
    fn check(&self, _cx: &FileContext, _out: &mut Emitter) {}
}
