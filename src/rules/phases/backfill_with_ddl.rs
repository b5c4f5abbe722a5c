use super::excerpt;
use crate::classify::op::Op;
use crate::classify::phase::Phase;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags data changes to existing tables (`UPDATE`, `DELETE`, `INSERT … SELECT`,
    /// `INSERT … VALUES`) in a migration that also changes the schema.
    ///
    /// ## Why is this bad?
    /// A backfill belongs between the expand and the contract, and has different needs
    /// from both: it runs long, in batches, and must be resumable. Put in the same file as
    /// DDL, it runs before any release writes the new shape (so rows written meanwhile are
    /// missed), and on PostgreSQL, inside one transaction, it keeps the DDL's locks held
    /// for the whole backfill. A backfill that fails or times out takes the schema change
    /// down with it; on MySQL/MariaDB, where every DDL statement commits on its own, it
    /// leaves the migration half applied.
    ///
    /// ## When it does not fire
    /// Filling a table created in the same migration is part of the expand (nobody reads
    /// or writes that table yet). Rows written to a migration tool's own history table
    /// (`schema_migrations`, `flyway_schema_history`, …) are bookkeeping, not a backfill.
    ///
    /// ## Safe alternative
    /// Give the backfill a migration of its own, run after the expand is deployed, in
    /// batches:
    ///
    /// ```sql
    /// -- 0043_backfill_email_address (backfill)
    /// UPDATE users SET email_address = email
    ///  WHERE id BETWEEN :batch_start AND :batch_end AND email_address IS NULL;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct BackfillWithDdl {
        name: "backfill-with-ddl",
        category: Phases,
        severity: Error,
        dialects: Both,
        concern: Backfill,
        default: true,
        summary: "a data backfill in the same migration as DDL on existing tables",
    }
}

/// Migration tools' own bookkeeping: a dumped schema or a hand-run script records the
/// applied version next to the DDL, which moves no application data.
const HISTORY_TABLES: &[&str] = &[
    "schema_migrations",
    "ar_internal_metadata",
    "flyway_schema_history",
    "goose_db_version",
    "__diesel_schema_migrations",
    "_sqlx_migrations",
    "bellows_history",
];

impl Rule for BackfillWithDdl {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let is_ddl = |p: Phase| matches!(p, Phase::Expand | Phase::Contract);
        let Some(ddl) = cx
            .statements
            .iter()
            .find(|s| s.ops.iter().any(|o| is_ddl(o.phase)))
        else {
            return;
        };
        let line = cx.source.position(ddl.span.start).line;
        let ddl_text = excerpt(cx.text(ddl));
        for stmt in cx.statements {
            let Some(info) = stmt.ops.iter().find(|o| o.phase == Phase::Backfill) else {
                continue;
            };
            let (verb, table) = match &info.op {
                Op::Insert { table, .. } => ("INSERT INTO", table),
                Op::Update { table, .. } => ("UPDATE", table),
                Op::Delete { table, .. } => ("DELETE FROM", table),
                _ => continue,
            };
            if HISTORY_TABLES.contains(&table.unqualified()) {
                continue;
            }
            let same_transaction =
                stmt.transaction.is_some() && stmt.transaction == ddl.transaction;
            let consequence = if cx.is_postgres() && same_transaction {
                "it runs before any release writes the new shape, keeps the DDL's locks held until it finishes, \
                 and if it fails the schema change is rolled back with it"
            } else {
                "it runs before any release writes the new shape, and if it fails the schema change has already \
                 been applied, leaving the migration half done"
            };
            out.emit(
                stmt.span.clone(),
                format!(
                    "`{verb} {table}` changes data in the same migration as a schema change (line {line}: \
                     `{ddl_text}`): {consequence}"
                ),
                "move the data change into a backfill migration of its own that runs after this one is deployed, \
                 in batches (`WHERE id BETWEEN :batch_start AND :batch_end`)",
            );
        }
    }
}
