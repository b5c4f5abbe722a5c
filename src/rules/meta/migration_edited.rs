use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// With `--changed-since REV` or `--staged`, reports a migration file that already
    /// existed at the base revision (REV, or HEAD for staged files) and has been edited.
    ///
    /// ## Why is this bad?
    /// A migration that was merged may already be applied: on production, on a colleague's
    /// database, on a shard. Those databases never run the edited version, so their schema
    /// silently diverges from the one a fresh database gets, and the runner refuses the
    /// migration because its checksum changed.
    ///
    /// ## When it does not fire
    /// On files added since the base revision, and without `--changed-since` / `--staged`.
    ///
    /// ## Safe alternative
    /// Leave the merged migration as it is and write the change as a new migration:
    ///
    /// ```sql
    /// -- migrations/0043_widen_users_nickname/up.sql
    /// ALTER TABLE users ALTER COLUMN nickname TYPE varchar(80);
    /// ```
    ///
    /// If the migration was never applied anywhere (it was merged but not released), say
    /// so with `-- bellows: ignore-file migration-edited`.
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct MigrationEdited {
        name: "migration-edited",
        category: Meta,
        severity: Error,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "a migration that existed at the base revision was edited",
    }
}

impl Rule for MigrationEdited {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    /// Reported by the engine from what git says about the file.
    fn check(&self, _cx: &FileContext, _out: &mut Emitter) {}
}
