use crate::classify::op::{ConstraintKind, Op};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `CREATE TABLE` without a primary key, unless a later statement in the same
    /// migration adds one.
    ///
    /// ## Why is this bad?
    /// Without a primary key rows cannot be addressed one by one: duplicates cannot be
    /// told apart or removed individually. On PostgreSQL, a table published for logical
    /// replication rejects UPDATE and DELETE without a replica identity. On MySQL/MariaDB,
    /// InnoDB clusters the table on a hidden row id, replicas applying row-based changes
    /// scan the table for every changed row, Group Replication refuses writes to it, and
    /// online schema change tools need a primary or unique key to copy it.
    ///
    /// ## When it does not fire
    /// On partitions (`PARTITION OF`, which take the parent's keys) and on tables whose
    /// columns come from elsewhere (`AS SELECT`, `LIKE`).
    ///
    /// ## Safe alternative
    /// ```sql
    /// CREATE TABLE page_views (
    ///     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ///     path text NOT NULL,
    ///     viewed_at timestamptz NOT NULL
    /// );
    /// ```
    ///
    /// A join table can use its pair of columns: `PRIMARY KEY (user_id, group_id)`.
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB. Opt-in.
    pub struct RequirePrimaryKey {
        name: "require-primary-key",
        category: Design,
        severity: Warning,
        dialects: Both,
        concern: Expand,
        default: false,
        summary: "a new table without a primary key",
    }
}

fn is_primary(kind: &ConstraintKind) -> bool {
    matches!(kind, ConstraintKind::PrimaryKey { .. })
}

impl Rule for RequirePrimaryKey {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        let ops: Vec<_> = cx.ops().collect();
        for (at, (stmt, info)) in ops.iter().enumerate() {
            let Op::CreateTable {
                table,
                columns,
                constraints,
                columns_unknown,
                partition_of,
                ..
            } = &info.op
            else {
                continue;
            };
            let has_key = columns.iter().any(|c| c.primary_key)
                || constraints.iter().any(|c| is_primary(&c.kind));
            let added_later = ops[at + 1..].iter().any(|(_, later)| {
                matches!(&later.op, Op::AddConstraint { table: t, constraint }
                    if t == table && is_primary(&constraint.kind))
            });
            if has_key || added_later || *columns_unknown || partition_of.is_some() {
                continue;
            }
            let (consequence, example) = if cx.is_postgres() {
                (
                    "its rows cannot be addressed one by one, and once published for logical replication its \
                     UPDATEs and DELETEs fail",
                    "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                )
            } else {
                (
                    "InnoDB clusters it on a hidden row id, row-based replicas scan it for every changed row, and \
                     online schema change tools cannot copy it",
                    "id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY",
                )
            };
            out.emit(
                stmt.span.clone(),
                format!("table `{table}` has no primary key: {consequence}"),
                format!(
                    "give it one: a generated key (`{example}`), or the natural key of its rows \
                     (`PRIMARY KEY (a, b)`)"
                ),
            );
        }
    }
}
