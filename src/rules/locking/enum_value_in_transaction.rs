use crate::classify::op::{Name, Op};
use crate::lint::AnalyzedStatement;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TYPE … ADD VALUE` inside a transaction: always before PostgreSQL 12,
    /// and from 12 on when a later statement of the same transaction uses the new value.
    ///
    /// ## Why is this bad?
    /// Before PostgreSQL 12 the statement is refused inside a transaction block, so the
    /// migration fails. From 12 on it runs, but the new value cannot be used until the
    /// transaction commits: a later `INSERT`, `UPDATE`, default or index predicate that uses
    /// it in the same transaction fails with "unsafe use of new value", rolling the
    /// migration back.
    ///
    /// ## When it does not fire
    /// Outside a transaction (`-- bellows: no-transaction`); on PostgreSQL 12+ when nothing
    /// later in the transaction mentions the new value (bellows looks for the quoted label
    /// in the statements' text); and when the enum type was created earlier in the same
    /// transaction, on the versions that allow it: before 12 (the statement is accepted)
    /// and from 17 (the value is usable at once). PostgreSQL 12 to 16 refuse the use even
    /// then.
    ///
    /// ## Safe alternative
    /// Add the value in a migration of its own and use it in a later one. Adding a value is
    /// an expand step: old releases never see it until new code writes it.
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL.
    pub struct EnumValueInTransaction {
        name: "enum-value-in-transaction",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Expand,
        default: true,
        summary: "ALTER TYPE … ADD VALUE inside a transaction (fails before PostgreSQL 12; unusable until commit)",
    }
}

impl Rule for EnumValueInTransaction {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let version = cx.settings.version;
        for (index, stmt) in cx.statements.iter().enumerate() {
            for info in &stmt.ops {
                let Op::AddEnumValue { name, value } = &info.op else {
                    continue;
                };
                if !stmt.in_transaction {
                    continue;
                }
                // For a type created in this transaction, ADD VALUE is accepted before 12
                // and the new value is usable at once from 17.
                let type_is_new = created_in_transaction(&cx.statements[..index], stmt, name);
                if type_is_new && (!version.at_least(12, 0) || version.at_least(17, 0)) {
                    continue;
                }
                let sql = super::statement_sql(cx.text(stmt));
                if !version.at_least(12, 0) {
                    out.emit(
                        stmt.span.clone(),
                        format!(
                            "{version} refuses `ALTER TYPE … ADD VALUE` inside a transaction block: the migration fails here"
                        ),
                        format!(
                            "add the value in a migration of its own that runs outside a transaction:\n  -- bellows: no-transaction\n  {sql};"
                        ),
                    );
                    continue;
                }
                let label = format!("'{}'", value.replace('\'', "''"));
                let user = cx.statements[index + 1..]
                    .iter()
                    .take_while(|s| s.transaction == stmt.transaction)
                    .filter(|s| {
                        !s.ops
                            .iter()
                            .any(|o| matches!(o.op, Op::AddEnumValue { .. }))
                    })
                    .find(|s| cx.text(s).contains(&label));
                let Some(user) = user else {
                    continue;
                };
                let line = cx.source.position(user.span.start).line;
                let help = if type_is_new {
                    format!(
                        "{version} does not let a transaction use a value it added, even to a type it created (PostgreSQL 17 does): list the value in the CREATE TYPE, or use it in a later migration"
                    )
                } else {
                    format!(
                        "add the value in a migration of its own and use it in a later one:\n  -- bellows: no-transaction\n  {sql};"
                    )
                };
                out.emit(
                    stmt.span.clone(),
                    format!(
                        "the new value {label} of `{name}` cannot be used before this transaction commits, but line {line} uses it: that statement fails with \"unsafe use of new value\" and the migration rolls back"
                    ),
                    help,
                );
            }
        }
    }
}

/// Was the enum type created by an earlier statement of the same transaction?
fn created_in_transaction(
    earlier: &[AnalyzedStatement],
    stmt: &AnalyzedStatement,
    name: &Name,
) -> bool {
    earlier
        .iter()
        .rev()
        .take_while(|s| s.transaction == stmt.transaction)
        .flat_map(|s| &s.ops)
        .any(|o| matches!(&o.op, Op::CreateEnum { name: n, .. } if n == name))
}
