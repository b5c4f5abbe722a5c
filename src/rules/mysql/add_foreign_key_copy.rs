use super::{copy_is_online, online_tools};
use crate::classify::op::{ConstraintKind, Op};
use crate::rules::{util, Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ADD FOREIGN KEY` on an existing table while
    /// `foreign_key_checks` is on (the default) in the migration's session.
    ///
    /// ## Why is this bad?
    /// With foreign key checks on, MySQL/MariaDB can only add a foreign key with the COPY
    /// algorithm: the whole table is copied row by row while every row is checked, and
    /// writes to it are blocked until that finishes (MariaDB 11.2+ keeps writes going, but
    /// still copies the table). With `foreign_key_checks = 0` the same statement is done
    /// in place, without copying.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration, and after
    /// `SET foreign_key_checks = 0` (also `SET SESSION …`, `SET @@foreign_key_checks …`)
    /// that nothing has turned back on. `SET GLOBAL` does not count: it does not change the
    /// current session.
    ///
    /// ## Safe alternative
    /// Check for orphaned rows first (the server will not, with checks off), then add the
    /// key in place with checks off for the session, and turn them back on:
    ///
    /// ```sql
    /// -- must return no row
    /// SELECT o.id FROM orders o LEFT JOIN users u ON u.id = o.user_id
    ///  WHERE o.user_id IS NOT NULL AND u.id IS NULL LIMIT 1;
    /// SET foreign_key_checks = 0;
    /// ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id),
    ///     ALGORITHM=INPLACE, LOCK=NONE;
    /// SET foreign_key_checks = 1;
    /// ```
    ///
    /// ## Dialects
    /// MySQL and MariaDB.
    pub struct AddForeignKeyCopy {
        name: "add-foreign-key-copy",
        category: Mysql,
        severity: Error,
        dialects: Mysql,
        concern: Contract,
        default: true,
        summary: "adding a foreign key copies the table unless foreign_key_checks=0",
    }
}

impl Rule for AddForeignKeyCopy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let mut checks_off = false;
        for (stmt, info) in cx.ops() {
            match &info.op {
                Op::Set { name, value, .. } if name == "foreign_key_checks" => {
                    // `SET GLOBAL` leaves the session's value alone.
                    if cx.text(stmt).to_ascii_lowercase().contains("global") {
                        continue;
                    }
                    match value.trim().to_ascii_lowercase().as_str() {
                        "0" | "off" | "false" => checks_off = true,
                        "1" | "on" | "true" | "default" => checks_off = false,
                        _ => {}
                    }
                }
                Op::AddConstraint { table, constraint } => {
                    let ConstraintKind::ForeignKey {
                        columns,
                        references,
                    } = &constraint.kind
                    else {
                        continue;
                    };
                    if checks_off || !util::on_existing_table(info) {
                        continue;
                    }
                    let key = constraint.name.as_ref().map_or_else(
                        || "a foreign key".to_owned(),
                        |n| format!("foreign key `{n}`"),
                    );
                    let effect = if copy_is_online(cx) {
                        "copies the whole table and checks every row (writes continue, but it takes as long as the copy)"
                    } else {
                        "copies the whole table and checks every row, blocking writes to it until it finishes"
                    };
                    let cols = columns
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    out.emit(
                        stmt.span.clone(),
                        format!(
                            "adding {key} on `{table}` with foreign_key_checks on {effect}"
                        ),
                        format!(
                            "check `{table}` ({cols}) for rows without a match in `{references}` first, then add it \
                             in place with the checks off for this session:\n  SET foreign_key_checks = 0;\n  \
                             {};\n  SET foreign_key_checks = 1;\nor let {} copy the table without blocking writes",
                            cx.text(stmt).trim_end(),
                            online_tools(cx)
                        ),
                    );
                }
                _ => {}
            }
        }
    }
}
