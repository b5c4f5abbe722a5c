use super::name_list;
use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `DROP SCHEMA`, and on MySQL/MariaDB `DROP DATABASE` (a schema there).
    ///
    /// ## Why is this bad?
    /// Dropping a schema removes every table, view, function and type in it at once (on
    /// PostgreSQL with `CASCADE`; on MySQL/MariaDB always), with their data. Every running
    /// release that uses any of those objects breaks, and nothing of it comes back with a
    /// rollback. One statement hides many contract operations that should each be checked.
    ///
    /// ## Safe alternative
    /// Retire the objects one by one in contract migrations, each after no running release
    /// uses it, without `CASCADE`, so that a drop fails when something still depends on
    /// the object. Drop the schema itself only once it is empty, and acknowledge that:
    ///
    /// ```sql
    /// DROP VIEW reporting.daily_signups;
    /// DROP TABLE reporting.signup_events;
    /// -- the schema is empty now; RESTRICT fails if it is not
    /// -- bellows: ignore drop-schema
    /// DROP SCHEMA reporting RESTRICT;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct DropSchema {
        name: "drop-schema",
        category: Compat,
        severity: Error,
        dialects: Both,
        concern: Contract,
        default: true,
        summary: "dropping a schema or database removes every object in it",
    }
}

impl Rule for DropSchema {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::DropSchema { names, database } = &info.op else {
                continue;
            };
            let list = name_list(&names.iter().collect::<Vec<_>>());
            let kind = match (database, names.len()) {
                (true, 1) => "database",
                (true, _) => "databases",
                (false, 1) => "schema",
                (false, _) => "schemas",
            };
            let cascade = cx.text(stmt).to_ascii_lowercase().contains("cascade");
            let message = if cx.is_postgres() && !cascade {
                format!(
                    "dropping {kind} {list} breaks every running release that uses an object in it \
                     (without CASCADE it fails unless the {kind} is already empty)"
                )
            } else {
                format!(
                    "dropping {kind} {list} removes every table, view and routine in it with their data, and \
                     breaks every running release that uses any of them"
                )
            };
            let help = if cx.is_postgres() {
                "drop the objects one by one in contract migrations, each once no running release uses it and \
                 without CASCADE; drop the empty schema last (RESTRICT) and acknowledge it with \
                 `-- bellows: ignore drop-schema` above the statement"
            } else {
                "drop the tables and views one by one in contract migrations, each once no running release uses \
                 it; drop the empty database last and acknowledge it with `-- bellows: ignore drop-schema` above \
                 the statement"
            };
            out.emit(stmt.span.clone(), message, help);
        }
    }
}
