use crate::classify::op::{ConstraintKind, Op};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ADD EXCLUDE` (an exclusion constraint) on an existing table.
    ///
    /// ## Why is this bad?
    /// The constraint builds its index, usually GiST, while holding an ACCESS EXCLUSIVE lock
    /// on the table, so reads and writes wait for the whole build. Unlike UNIQUE, there
    /// is no way to build the index concurrently and attach it afterwards, and no
    /// `NOT VALID` form.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration.
    ///
    /// ## Safe alternative
    /// Declare exclusion constraints when the table is created. To add one to a busy
    /// table, create a new table with the constraint, keep it in sync while you backfill
    /// it in batches, switch readers and writers over, then drop the old table (expand,
    /// backfill, contract). If a maintenance window is acceptable instead, run it there
    /// with a short `lock_timeout`.
    ///
    /// ```sql
    /// CREATE TABLE room_bookings_v2 (
    ///     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ///     room_id bigint NOT NULL,
    ///     during tstzrange NOT NULL,
    ///     EXCLUDE USING gist (during WITH &&)
    /// );
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL.
    pub struct ExclusionConstraint {
        name: "exclusion-constraint",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Contract,
        default: true,
        summary: "ADD EXCLUDE builds its index under an ACCESS EXCLUSIVE lock with no online path",
    }
}

impl Rule for ExclusionConstraint {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::AddConstraint { table, constraint } = &info.op else {
                continue;
            };
            if constraint.kind != ConstraintKind::Exclude || info.table_is_new {
                continue;
            }
            let what = match &constraint.name {
                Some(name) => format!("the exclusion constraint `{name}`"),
                None => "an exclusion constraint".to_owned(),
            };
            out.emit(
                stmt.span.clone(),
                format!(
                    "adding {what} to `{table}` builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes until the build finishes; there is no concurrent form"
                ),
                format!(
                    "declare it on a new table instead (create it with the constraint, sync and backfill it in batches, switch over, drop `{table}`), or run this in a maintenance window with a short lock_timeout"
                ),
            );
        }
    }
}
