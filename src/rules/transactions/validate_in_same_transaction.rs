use super::{ends_transaction, line};
use crate::classify::locks::LockLevel;
use crate::classify::op::{ConstraintKind, Name, Op};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … VALIDATE CONSTRAINT c` in the same transaction as the
    /// `ADD CONSTRAINT c … NOT VALID` that created it, whether the transaction is an
    /// explicit `BEGIN` block or the one the runner wraps the migration in.
    ///
    /// ## Why is this bad?
    /// `NOT VALID` exists to split one long, blocking step in two: adding the constraint
    /// takes a strong lock only for a moment, and `VALIDATE` then scans the table under a
    /// SHARE UPDATE EXCLUSIVE lock that lets reads and writes continue. Locks are held
    /// until the transaction ends, so when both run in one transaction the strong lock of
    /// the `ADD` (ACCESS EXCLUSIVE for a CHECK; SHARE ROW EXCLUSIVE on both tables for a
    /// foreign key) is still held during the whole validation scan: exactly the blocking
    /// `NOT VALID` was meant to avoid.
    ///
    /// ## Safe alternative
    /// Commit between the two, best by putting the validation in the next migration:
    ///
    /// ```sql
    /// -- 0051_add_orders_user_fk
    /// ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey
    ///     FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
    /// -- 0052_validate_orders_user_fk
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL (MySQL/MariaDB have no `NOT VALID`).
    pub struct ValidateInSameTransaction {
        name: "validate-in-same-transaction",
        category: Transactions,
        severity: Error,
        dialects: Postgres,
        concern: Contract,
        default: true,
        summary: "NOT VALID and VALIDATE of the same constraint in one transaction keeps the strong lock",
    }
}

/// A constraint added NOT VALID, waiting for its validation.
struct Pending<'a> {
    stmt: usize,
    table: &'a Name,
    name: &'a Name,
    kind: &'a ConstraintKind,
    lock: LockLevel,
}

impl Rule for ValidateInSameTransaction {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let mut pending: Vec<Pending> = Vec::new();
        for (index, stmt) in cx.statements.iter().enumerate() {
            for info in &stmt.ops {
                match &info.op {
                    Op::AddConstraint { table, constraint } if constraint.not_valid => {
                        if let Some(name) = &constraint.name {
                            pending.push(Pending {
                                stmt: index,
                                table,
                                name,
                                kind: &constraint.kind,
                                lock: info.lock.lock,
                            });
                        }
                    }
                    Op::ValidateConstraint { table, name } => {
                        let found = pending
                            .iter()
                            .rev()
                            .find(|p| p.table == table && p.name == name);
                        let Some(added) = found else { continue };
                        let add_stmt = &cx.statements[added.stmt];
                        let same = add_stmt.transaction.is_some()
                            && add_stmt.transaction == stmt.transaction
                            && !cx.statements[added.stmt..index]
                                .iter()
                                .any(ends_transaction);
                        if !same {
                            continue;
                        }
                        let blocked = match added.kind {
                            ConstraintKind::ForeignKey { references, .. } => {
                                format!("writes to `{table}` and `{references}` wait")
                            }
                            _ if added.lock.blocks_reads() => {
                                format!("reads and writes of `{table}` wait")
                            }
                            _ => format!("writes to `{table}` wait"),
                        };
                        let help = if stmt.transaction == Some(0) {
                            format!(
                                "validate it in the next migration: the runner commits between migrations, and \
                                 alone VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock:\n  \
                                 ALTER TABLE {table} VALIDATE CONSTRAINT {name};"
                            )
                        } else {
                            format!(
                                "COMMIT after adding it NOT VALID, and validate it in a transaction of its own (or \
                                 the next migration):\n  COMMIT;\n  ALTER TABLE {table} VALIDATE CONSTRAINT {name};"
                            )
                        };
                        out.emit(
                            stmt.span.clone(),
                            format!(
                                "validating `{name}` in the transaction that added it NOT VALID (line {}) keeps the \
                                 {} lock of the ADD held through the whole validation scan: {blocked}, as if NOT \
                                 VALID had not been used",
                                line(cx, add_stmt),
                                added.lock.as_str()
                            ),
                            help,
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}
