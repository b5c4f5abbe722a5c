use crate::classify::op::{ConstraintKind, Name, Op};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a `CHECK` or `FOREIGN KEY` constraint added to an existing table without
    /// `NOT VALID`.
    ///
    /// ## Why is this bad?
    /// PostgreSQL checks every existing row before the constraint is in place, and holds
    /// its lock for the whole scan: ACCESS EXCLUSIVE for a CHECK (reads and writes
    /// wait), SHARE ROW EXCLUSIVE on both tables for a foreign key (writes to the table
    /// and to the referenced table wait). On a large table that is minutes of downtime.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration.
    ///
    /// ## Safe alternative
    /// Add the constraint `NOT VALID`: it is enforced for new and updated rows at once and
    /// the statement only needs its lock briefly. Then, in a later migration, `VALIDATE
    /// CONSTRAINT` checks the existing rows under a SHARE UPDATE EXCLUSIVE lock, which lets
    /// reads and writes continue. Name the constraint so the validation can refer to it.
    ///
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey
    ///     FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
    /// -- a later migration:
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL. (MySQL/MariaDB have no `NOT VALID`; see `add-foreign-key-copy`.)
    pub struct ConstraintWithoutNotValid {
        name: "constraint-without-not-valid",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Contract,
        default: true,
        summary: "CHECK or FOREIGN KEY added to an existing table without NOT VALID scans it under a lock",
    }
}

impl Rule for ConstraintWithoutNotValid {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::AddConstraint { table, constraint } = &info.op else {
                continue;
            };
            if constraint.not_valid || info.table_is_new {
                continue;
            }
            let (message, default_name) = match &constraint.kind {
                ConstraintKind::Check { .. } => (
                    format!(
                        "adding a CHECK constraint to `{table}` scans every row under an ACCESS EXCLUSIVE lock, blocking reads and writes until the scan finishes"
                    ),
                    format!("{}_check", table.unqualified()),
                ),
                ConstraintKind::ForeignKey {
                    columns,
                    references,
                } => (
                    format!(
                        "adding a foreign key from `{table}` to `{references}` scans every row of `{table}` while holding SHARE ROW EXCLUSIVE locks on both tables, blocking writes to them until the scan finishes"
                    ),
                    format!(
                        "{}_{}_fkey",
                        table.unqualified(),
                        columns.iter().map(Name::as_str).collect::<Vec<_>>().join("_")
                    ),
                ),
                _ => continue,
            };
            let sql = super::statement_sql(cx.text(stmt));
            let name = constraint
                .name
                .as_ref()
                .map_or(default_name, |n| n.to_string());
            let add = if constraint.name.is_some() {
                Some(sql.clone())
            } else {
                // `ADD CHECK …` → `ADD CONSTRAINT name CHECK …`
                sql.to_ascii_lowercase()
                    .find(" add ")
                    .map(|at| at + " add".len())
                    .map(|at| format!("{} CONSTRAINT {name}{}", &sql[..at], &sql[at..]))
            };
            let help = match add {
                Some(add) if stmt.ops.len() == 1 => format!(
                    "add it NOT VALID (checked for new rows at once, brief lock), then validate the existing rows in a later migration without blocking:\n  {add} NOT VALID;\n  -- later migration:\n  ALTER TABLE {table} VALIDATE CONSTRAINT {name};"
                ),
                _ => format!(
                    "add it in its own statement with NOT VALID (checked for new rows at once, brief lock), then validate the existing rows in a later migration without blocking:\n  ALTER TABLE {table} ADD CONSTRAINT {name} … NOT VALID;\n  -- later migration:\n  ALTER TABLE {table} VALIDATE CONSTRAINT {name};"
                ),
            };
            out.emit(stmt.span.clone(), message, help);
        }
    }
}
