use super::defined_columns;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags key columns declared with a 32-bit or smaller integer type (`integer`,
    /// `smallint`, `serial`, MySQL `INT` / `MEDIUMINT`) in `CREATE TABLE` and
    /// `ADD COLUMN`: primary keys, columns with an inline `REFERENCES`, and columns named
    /// `id` or `…_id`.
    ///
    /// ## Why is this bad?
    /// An `integer` key runs out at 2,147,483,647 (4,294,967,295 unsigned), and sequences
    /// also burn values on rolled-back inserts. Widening the key later is one of the most
    /// expensive migrations there is: the type change rewrites the table and every
    /// referencing table under an exclusive lock (a COPY on MySQL/MariaDB), or a long
    /// expand / backfill / contract across all of them. `bigint` costs four more bytes per
    /// row.
    ///
    /// ## Safe alternative
    /// Declare keys, and the columns that reference them, as `bigint` from the start:
    ///
    /// ```sql
    /// CREATE TABLE invoices (
    ///     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ///     customer_id bigint NOT NULL REFERENCES customers (id)
    /// );
    /// ```
    ///
    /// On MySQL/MariaDB use `BIGINT UNSIGNED` for both sides: a foreign key column must
    /// have exactly the referenced column's type.
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB. Opt-in.
    pub struct PreferBigint {
        name: "prefer-bigint",
        category: Design,
        severity: Warning,
        dialects: Both,
        concern: Expand,
        default: false,
        summary: "integer keys run out at 2.1 billion; use bigint",
    }
}

impl Rule for PreferBigint {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            for (table, column, primary) in defined_columns(&info.op) {
                let name = column.name.as_str();
                let is_key =
                    primary || column.references.is_some() || name == "id" || name.ends_with("_id");
                if !is_key || column.ty.array {
                    continue;
                }
                let limit = match column.ty.name.as_str() {
                    "integer" => "2,147,483,647",
                    "integer unsigned" => "4,294,967,295",
                    "smallint" => "32,767",
                    "smallint unsigned" => "65,535",
                    "mediumint" => "8,388,607",
                    "mediumint unsigned" => "16,777,215",
                    _ => continue,
                };
                let help = if cx.is_postgres() {
                    if column.serial || column.identity {
                        format!("declare it `{name} bigint GENERATED ALWAYS AS IDENTITY`")
                    } else if primary {
                        format!("declare it `{name} bigint`, and the columns that will reference it too")
                    } else {
                        format!("declare it `{name} bigint`, like the key it refers to")
                    }
                } else {
                    format!(
                        "declare it `{name} BIGINT UNSIGNED`, and give every column that references it (or that it \
                         references) the same type: MySQL requires foreign key columns to match exactly"
                    )
                };
                out.emit(
                    stmt.span.clone(),
                    format!(
                        "key column `{table}.{name}` is `{}`: it runs out at {limit}, and widening it later \
                         rewrites the table and every table that references it",
                        column.ty.text
                    ),
                    help,
                );
            }
        }
    }
}
