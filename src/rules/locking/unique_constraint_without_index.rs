use crate::classify::op::{ConstraintKind, Name, Op};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ADD UNIQUE` or `ADD PRIMARY KEY` on an existing table that does not reuse an
    /// index built beforehand (`USING INDEX`).
    ///
    /// ## Why is this bad?
    /// The constraint builds its unique index while holding an ACCESS EXCLUSIVE lock on
    /// the table: reads and writes wait for the whole build. A primary key also makes its
    /// columns NOT NULL, which scans the table if they are not already.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration, and for `… USING INDEX`.
    ///
    /// ## Safe alternative
    /// Build the unique index with `CREATE UNIQUE INDEX CONCURRENTLY` (in a migration
    /// without a transaction), then attach it as the constraint, which only needs the lock
    /// for a moment. For a primary key, make the columns NOT NULL first (see
    /// `set-not-null`).
    ///
    /// ```sql
    /// -- bellows: no-transaction
    /// CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
    /// -- a later migration:
    /// ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL.
    pub struct UniqueConstraintWithoutIndex {
        name: "unique-constraint-without-index",
        category: Locking,
        severity: Error,
        dialects: Postgres,
        concern: Contract,
        default: true,
        summary: "ADD UNIQUE / PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock",
    }
}

impl Rule for UniqueConstraintWithoutIndex {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::AddConstraint { table, constraint } = &info.op else {
                continue;
            };
            if constraint.using_index.is_some() || info.table_is_new {
                continue;
            }
            let short = table.unqualified();
            let (kind, columns, default_name) = match &constraint.kind {
                ConstraintKind::Unique { columns } => (
                    "UNIQUE",
                    columns,
                    format!("{short}_{}_key", join(columns, "_")),
                ),
                ConstraintKind::PrimaryKey { columns } => {
                    ("PRIMARY KEY", columns, format!("{short}_pkey"))
                }
                _ => continue,
            };
            let name = constraint
                .name
                .as_ref()
                .map_or(default_name, |n| n.to_string());
            let what = if kind == "UNIQUE" {
                "a unique constraint"
            } else {
                "a primary key"
            };
            let mut help = format!(
                "build the index first without blocking (`-- bellows: no-transaction`), then attach it in a later migration:\n  CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({});\n  ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name};",
                join(columns, ", ")
            );
            if kind == "PRIMARY KEY" {
                help.push_str("\nmake the key columns NOT NULL beforehand, or attaching the index scans the table");
            }
            out.emit(
                stmt.span.clone(),
                format!(
                    "adding {what} to `{table}` builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes until the build finishes"
                ),
                help,
            );
        }
    }
}

fn join(columns: &[Name], sep: &str) -> String {
    columns
        .iter()
        .map(Name::as_str)
        .collect::<Vec<_>>()
        .join(sep)
}
