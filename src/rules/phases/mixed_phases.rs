use super::excerpt;
use crate::classify::phase::Phase;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a migration that both expands (adds tables, columns, indexes, values) and
    /// contracts (drops, renames, tightens) the schema. It reports once, at the first
    /// contract statement, and names an expand statement.
    ///
    /// ## Why is this bad?
    /// The two phases have opposite timing. An expand must be applied before the release
    /// that needs it is deployed; a contract may only run once no running release needs
    /// what it removes, which is after that same deployment has finished. In one migration
    /// one of them is always run at the wrong moment, and the migration can no longer be
    /// rolled back cleanly.
    ///
    /// ## When it does not fire
    /// Work on a table created in the same migration counts as expand. A backfill mixed
    /// with schema changes is reported by `backfill-with-ddl` instead.
    ///
    /// ## Safe alternative
    /// Split the file: keep the expand statements, and move the contract statements into a
    /// later migration that runs after every release needing the old shape has retired.
    ///
    /// ```sql
    /// -- 0042_add_email_address (expand)
    /// ALTER TABLE users ADD COLUMN email_address text;
    /// -- 0045_drop_email (contract, after the release that stopped reading `email`)
    /// ALTER TABLE users DROP COLUMN email;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct MixedPhases {
        name: "mixed-phases",
        category: Phases,
        severity: Error,
        dialects: Both,
        concern: Any,
        default: true,
        summary: "expand and contract operations in one migration",
    }
}

impl Rule for MixedPhases {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let first_with = |phase: Phase| {
            cx.statements
                .iter()
                .position(|s| s.ops.iter().any(|o| o.phase == phase))
        };
        let (Some(expand), Some(contract)) =
            (first_with(Phase::Expand), first_with(Phase::Contract))
        else {
            return;
        };
        let stmt = &cx.statements[contract];
        let contract_op = stmt
            .ops
            .iter()
            .find(|o| o.phase == Phase::Contract)
            .map_or("contract", |o| o.op.name());
        let message = if expand == contract {
            let expand_op = stmt
                .ops
                .iter()
                .find(|o| o.phase == Phase::Expand)
                .map_or("expand", |o| o.op.name());
            format!(
                "this statement both expands the schema ({expand_op}) and contracts it ({contract_op}): the \
                 contract may only run once no running release needs the old shape, the expand before the \
                 release that needs the new one"
            )
        } else {
            let other = &cx.statements[expand];
            let line = cx.source.position(other.span.start).line;
            format!(
                "this contract ({contract_op}) is in the same migration as an expand (line {line}: `{}`): the \
                 contract may only run once no running release needs the old shape, the expand before the \
                 release that needs the new one",
                excerpt(cx.text(other))
            )
        };
        out.emit(
            stmt.span.clone(),
            message,
            "keep the expand statements here and move the contract statements into a later migration that runs \
             after every release needing the old shape has retired",
        );
    }
}
