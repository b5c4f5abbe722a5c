use super::instant::instant_refusal;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags an `ALTER TABLE … ALGORITHM=INSTANT` that contains an operation the engine
    /// version cannot do instantly: building an index, adding a constraint or a STORED
    /// generated column, changing a column's type or nullability, and, on older versions,
    /// `DROP COLUMN` (before MySQL 8.0.29 / MariaDB 10.4), `ADD COLUMN … FIRST|AFTER`
    /// (before 8.0.29 / 10.4), `RENAME COLUMN` (before 8.0.28 / 10.4), or any `ADD COLUMN`
    /// (before 8.0.12 / 10.3; MySQL 5.7 has no INSTANT at all).
    ///
    /// ## Why is this bad?
    /// The server refuses the whole statement at once (`ALGORITHM=INSTANT is not supported
    /// for this operation`), so the migration fails in production. On MySQL, where DDL is
    /// not transactional, the statements before it have already been applied: the migration
    /// stops half-way.
    ///
    /// ## When it does not fire
    /// When every operation of the statement is instant on the chosen `--engine-version`
    /// (a version given without a patch release, like `8.0`, is taken as the newest of its
    /// series).
    ///
    /// ## Safe alternative
    /// Ask for what the server can do without blocking writes, and keep the operations that
    /// need different algorithms in separate statements:
    ///
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN shipped_at DATETIME NULL, ALGORITHM=INSTANT;
    /// ALTER TABLE orders ADD INDEX orders_shipped_at_idx (shipped_at), ALGORITHM=INPLACE, LOCK=NONE;
    /// ```
    ///
    /// ## Dialects
    /// MySQL and MariaDB; depends on `--engine-version`.
    pub struct AlgorithmInstantUnsupported {
        name: "algorithm-instant-unsupported",
        category: Mysql,
        severity: Error,
        dialects: Mysql,
        concern: Any,
        default: true,
        summary: "ALGORITHM=INSTANT for an operation the engine version cannot do instantly",
    }
}

impl Rule for AlgorithmInstantUnsupported {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let version = cx.settings.version;
        for stmt in cx.statements {
            let instant = stmt.algorithm() == Some("INSTANT");
            if !instant {
                continue;
            }
            let Some(reason) = stmt.ops.iter().find_map(|o| instant_refusal(o, version)) else {
                continue;
            };
            out.emit(
                stmt.span.clone(),
                format!("{version} refuses this ALTER: {reason}, so ALGORITHM=INSTANT fails and the migration stops here"),
                "split the statement: keep ALGORITHM=INSTANT for what is instant, and use `ALGORITHM=INPLACE, LOCK=NONE` for the rest (or the expand/contract route for type changes)",
            );
        }
    }
}
