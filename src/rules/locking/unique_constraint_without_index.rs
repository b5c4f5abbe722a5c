use crate::classify::op::{ColumnSpec, ConstraintKind, Name, Op};
use crate::lint::AnalyzedStatement;
use crate::rules::util::{find_word, strip_words};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags `ADD UNIQUE` or `ADD PRIMARY KEY` on an existing table that does not reuse an
    /// index built beforehand (`USING INDEX`), and `ADD COLUMN … UNIQUE` / `PRIMARY KEY`,
    /// which builds the same index.
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
    /// `set-not-null`). A new column gets its index the same way: add the column plain,
    /// then build and attach the index.
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
            if let Op::AddColumn { table, column, .. } = &info.op {
                if (column.unique || column.primary_key) && !info.table_is_new {
                    inline_key(cx, stmt, table, column, out);
                }
                continue;
            }
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

/// `ADD COLUMN c … UNIQUE` / `PRIMARY KEY` on an existing table: the ALTER builds the
/// index while it holds ACCESS EXCLUSIVE.
fn inline_key(
    cx: &FileContext,
    stmt: &AnalyzedStatement,
    table: &Name,
    column: &ColumnSpec,
    out: &mut Emitter,
) {
    let short = table.unqualified();
    let col = &column.name;
    let (kind, what, name) = if column.primary_key {
        ("PRIMARY KEY", "a primary key", format!("{short}_pkey"))
    } else {
        (
            "UNIQUE",
            "a unique constraint",
            format!("{short}_{col}_key"),
        )
    };
    let text = super::statement_sql(cx.text(stmt));
    let plain = match without_key_words(&text, kind) {
        Some(plain) if stmt.ops.len() == 1 => plain,
        _ => format!("ALTER TABLE {table} ADD COLUMN {col} {}", column.ty),
    };
    let mut help = format!(
        "add the column without {kind}, then build the index without blocking (`-- bellows: no-transaction`) and attach it in a later migration:\n  {plain};\n  CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({col});\n  ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name};"
    );
    if column.primary_key {
        help.push_str("\nfill the column and make it NOT NULL before attaching the index (see `set-not-null`)");
    }
    out.emit(
        stmt.span.clone(),
        format!(
            "adding column `{col}` with {what} to `{table}` builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes until the build finishes"
        ),
        help,
    );
}

/// The statement without its `UNIQUE` / `PRIMARY KEY` words, when they appear once.
fn without_key_words(text: &str, kind: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let first = if kind == "UNIQUE" {
        "unique"
    } else {
        "primary"
    };
    let start = find_word(&lower, first)?;
    if find_word(&lower[start + first.len()..], first).is_some() {
        return None;
    }
    let rest = &text[start + first.len()..];
    let rest = if kind == "UNIQUE" {
        rest
    } else {
        strip_words(rest, &["key"])?
    };
    let head = text[..start].trim_end();
    let sep = if rest.is_empty() { "" } else { " " };
    Some(format!("{head}{sep}{}", rest.trim_start()))
}

fn join(columns: &[Name], sep: &str) -> String {
    columns
        .iter()
        .map(Name::as_str)
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests {
    use super::without_key_words;

    #[test]
    fn drops_the_key_words_once() {
        assert_eq!(
            without_key_words("ALTER TABLE users ADD COLUMN handle text UNIQUE", "UNIQUE")
                .as_deref(),
            Some("ALTER TABLE users ADD COLUMN handle text")
        );
        assert_eq!(
            without_key_words(
                "alter table t add column id bigint primary key not null",
                "PRIMARY KEY"
            )
            .as_deref(),
            Some("alter table t add column id bigint not null")
        );
        assert_eq!(
            without_key_words("ALTER TABLE t ADD COLUMN unique_code text UNIQUE", "UNIQUE")
                .as_deref(),
            Some("ALTER TABLE t ADD COLUMN unique_code text")
        );
        assert_eq!(
            without_key_words(
                "ALTER TABLE t ADD COLUMN a text UNIQUE, ADD COLUMN b text UNIQUE",
                "UNIQUE"
            ),
            None
        );
    }
}
