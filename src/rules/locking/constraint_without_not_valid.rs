use crate::classify::op::{ColumnSpec, ConstraintKind, ConstraintSpec, Name, ObjectKind, Op};
use crate::lint::AnalyzedStatement;
use crate::rules::util::find_word;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a `CHECK` or `FOREIGN KEY` constraint added to an existing table without
    /// `NOT VALID`. That includes the constraints of a new column: an inline `CHECK` on
    /// `ADD COLUMN`, with or without a default, and an inline `REFERENCES` on a column
    /// added with a non-null `DEFAULT`.
    ///
    /// ## Why is this bad?
    /// PostgreSQL checks every existing row before the constraint is in place, and holds
    /// its lock for the whole scan: ACCESS EXCLUSIVE for a CHECK (reads and writes
    /// wait), SHARE ROW EXCLUSIVE on both tables for a foreign key (writes to the table
    /// and to the referenced table wait). On a large table that is minutes of downtime.
    ///
    /// PostgreSQL checks an inline `CHECK` on every existing row even when the new column
    /// is NULL in all of them. It skips validating an inline `REFERENCES` when the column
    /// is added without a default (every value is NULL); with a default every row is
    /// checked against the referenced table.
    ///
    /// `ALTER DOMAIN … ADD CONSTRAINT` checks every column of that domain in every table,
    /// holding a SHARE lock on each table (writes wait) until its scan finishes.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration, and on `ADD COLUMN … REFERENCES`
    /// without a default (or with `DEFAULT NULL`).
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
    /// A domain's constraint is added `NOT VALID` too. Its `VALIDATE CONSTRAINT` still
    /// holds SHARE locks (writes wait) while it scans, unlike a table's: run it when the
    /// tables are quiet, or put the CHECK on the columns instead.
    ///
    /// A new column's constraint is added the same way, after the column:
    ///
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN discount numeric(12, 2);
    /// ALTER TABLE orders ADD CONSTRAINT orders_discount_check CHECK (discount >= 0) NOT VALID;
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
            if let Op::AddDomainConstraint { domain, constraint } = &info.op {
                domain_constraint(cx, stmt, domain, constraint, out);
                continue;
            }
            if let Op::AddColumn { table, column, .. } = &info.op {
                if !info.table_is_new {
                    inline_constraints(cx, stmt, table, column, out);
                }
                continue;
            }
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

/// `ADD COLUMN … CHECK (…)` and `ADD COLUMN … DEFAULT x REFERENCES …` on an existing table:
/// PostgreSQL checks every existing row while the ALTER holds ACCESS EXCLUSIVE.
fn inline_constraints(
    cx: &FileContext,
    stmt: &AnalyzedStatement,
    table: &Name,
    column: &ColumnSpec,
    out: &mut Emitter,
) {
    let short = table.unqualified();
    let col = &column.name;
    let text = super::statement_sql(cx.text(stmt));
    let single = stmt.ops.len() == 1;
    if column.check {
        let clause = single.then(|| column_clause(&text, "check")).flatten();
        let name = clause
            .as_ref()
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| format!("{short}_{col}_check"));
        let (plain, check) = match &clause {
            Some(c) => (c.without.clone(), c.text.clone()),
            None => (
                format!("ALTER TABLE {table} ADD COLUMN {col} {}", column.ty),
                "CHECK (…)".to_owned(),
            ),
        };
        let values = if column.default.is_some() {
            "its default"
        } else {
            "NULL"
        };
        out.emit(
            stmt.span.clone(),
            format!(
                "adding column `{col}` with a CHECK constraint to `{table}` checks every existing row (each holding {values}) under an ACCESS EXCLUSIVE lock, blocking reads and writes until the scan finishes"
            ),
            format!(
                "add the column without the CHECK, then the constraint NOT VALID (brief lock), and validate it in a later migration without blocking:\n  {plain};\n  ALTER TABLE {table} ADD CONSTRAINT {name} {check} NOT VALID;\n  -- later migration:\n  ALTER TABLE {table} VALIDATE CONSTRAINT {name};"
            ),
        );
    }
    if let (Some(references), Some(_)) = (&column.references, &column.default) {
        let clause = single.then(|| column_clause(&text, "references")).flatten();
        let name = clause
            .as_ref()
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| format!("{short}_{col}_fkey"));
        let (plain, target) = match &clause {
            Some(c) => (c.without.clone(), c.text.clone()),
            None => (
                format!(
                    "ALTER TABLE {table} ADD COLUMN {col} {} DEFAULT …",
                    column.ty
                ),
                format!("REFERENCES {references}"),
            ),
        };
        out.emit(
            stmt.span.clone(),
            format!(
                "adding column `{col}` with a default and a foreign key to `{table}` checks every existing row against `{references}`, holding ACCESS EXCLUSIVE on `{table}` and SHARE ROW EXCLUSIVE on `{references}` until the scan finishes (without a default PostgreSQL skips the check)"
            ),
            format!(
                "add the column without REFERENCES, then the foreign key NOT VALID (brief lock), and validate it in a later migration without blocking:\n  {plain};\n  ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({col}) {target} NOT VALID;\n  -- later migration:\n  ALTER TABLE {table} VALIDATE CONSTRAINT {name};"
            ),
        );
    }
}

/// `ALTER DOMAIN d ADD [CONSTRAINT n] CHECK (…)` without `NOT VALID`, on a domain that
/// existed before this file.
fn domain_constraint(
    cx: &FileContext,
    stmt: &AnalyzedStatement,
    domain: &Name,
    constraint: &ConstraintSpec,
    out: &mut Emitter,
) {
    let created_here = super::ops_before(cx, stmt).any(|(_, i)| {
        matches!(&i.op, Op::CreateObject { kind: ObjectKind::Domain, name, .. } if name == domain)
    });
    if constraint.not_valid || created_here {
        return;
    }
    let text = super::statement_sql(cx.text(stmt));
    let name = constraint
        .name
        .as_ref()
        .map(|n| n.to_string())
        .unwrap_or_else(|| format!("{}_check", domain.unqualified()));
    out.emit(
        stmt.span.clone(),
        format!(
            "adding a constraint to domain `{domain}` checks every column of that type in every table, holding a SHARE lock on each table that blocks writes until its scan finishes"
        ),
        format!(
            "add it NOT VALID (checked for new values at once) and validate it later, when the tables are quiet: a domain's VALIDATE still blocks writes while it scans:\n  {text} NOT VALID;\n  -- later migration:\n  ALTER DOMAIN {domain} VALIDATE CONSTRAINT {name};"
        ),
    );
}

/// An inline column constraint as written: `[CONSTRAINT name] CHECK (…)` or
/// `[CONSTRAINT name] REFERENCES t [(c)]`.
struct ColumnClause {
    /// The constraint's name, when written.
    name: Option<String>,
    /// `CHECK (…)` / `REFERENCES t (c)`, as written.
    text: String,
    /// The statement without the clause (and its `CONSTRAINT name`).
    without: String,
}

/// Finds the one `keyword` clause (`check` or `references`) in `text`; `None` when it is
/// missing, written twice, or followed by options bellows does not splice (`ON DELETE …`).
fn column_clause(text: &str, keyword: &str) -> Option<ColumnClause> {
    let lower = text.to_ascii_lowercase();
    let start = find_word(&lower, keyword)?;
    let after_kw = start + keyword.len();
    if find_word(&lower[after_kw..], keyword).is_some() {
        return None;
    }
    let mut end = after_kw;
    let skip_blank = |at: usize| at + (text[at..].len() - text[at..].trim_start().len());
    if keyword == "references" {
        // The referenced table: up to a blank, `(`, `,` or the end.
        end = skip_blank(end);
        end += text[end..]
            .find(|c: char| c.is_whitespace() || c == '(' || c == ',')
            .unwrap_or(text.len() - end);
    }
    let open = skip_blank(end);
    if text[open..].starts_with('(') {
        end = open + group_len(&text[open..])?;
    } else if keyword == "check" {
        return None;
    }
    let rest = text[end..].trim_start().to_ascii_lowercase();
    if ["on ", "match ", "deferrable", "initially", "not deferrable"]
        .iter()
        .any(|w| rest.starts_with(w))
    {
        return None;
    }
    // A `CONSTRAINT name` right before the clause.
    let head = text[..start].trim_end();
    let (head, name) = match head.rsplit_once(char::is_whitespace) {
        Some((before, name)) if before.to_ascii_lowercase().ends_with(" constraint") => (
            before[..before.len() - "constraint".len()].trim_end(),
            Some(name.to_owned()),
        ),
        _ => (head, None),
    };
    let tail = &text[end..];
    let sep = if tail.trim().is_empty() || tail.starts_with(',') {
        ""
    } else {
        " "
    };
    Some(ColumnClause {
        name,
        text: text[start..end].to_owned(),
        without: format!("{head}{sep}{}", tail.trim_start()),
    })
}

/// The length of the parenthesised group `text` starts with, quotes respected.
fn group_len(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '(' => depth += 1,
            None if c == ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::column_clause;

    #[test]
    fn splices_inline_constraints_out_of_add_column() {
        let c = column_clause(
            "ALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0 AND discount < (1))",
            "check",
        )
        .unwrap();
        assert_eq!(c.text, "CHECK (discount >= 0 AND discount < (1))");
        assert_eq!(c.without, "ALTER TABLE orders ADD COLUMN discount numeric");
        assert_eq!(c.name, None);
        let c = column_clause(
            "ALTER TABLE orders ADD COLUMN n int CONSTRAINT n_positive CHECK (n > 0) NOT NULL DEFAULT 1",
            "check",
        )
        .unwrap();
        assert_eq!(c.name.as_deref(), Some("n_positive"));
        assert_eq!(
            c.without,
            "ALTER TABLE orders ADD COLUMN n int NOT NULL DEFAULT 1"
        );
        let c = column_clause(
            "ALTER TABLE orders ADD COLUMN plan_id bigint NOT NULL DEFAULT 1 REFERENCES plans (id)",
            "references",
        )
        .unwrap();
        assert_eq!(c.text, "REFERENCES plans (id)");
        assert_eq!(
            c.without,
            "ALTER TABLE orders ADD COLUMN plan_id bigint NOT NULL DEFAULT 1"
        );
        let c = column_clause(
            "ALTER TABLE orders ADD COLUMN plan_id bigint DEFAULT 1 REFERENCES plans NOT NULL",
            "references",
        )
        .unwrap();
        assert_eq!(c.text, "REFERENCES plans");
        assert_eq!(
            c.without,
            "ALTER TABLE orders ADD COLUMN plan_id bigint DEFAULT 1 NOT NULL"
        );
        assert!(column_clause(
            "ALTER TABLE o ADD COLUMN p bigint DEFAULT 1 REFERENCES plans ON DELETE CASCADE",
            "references"
        )
        .is_none());
    }
}
