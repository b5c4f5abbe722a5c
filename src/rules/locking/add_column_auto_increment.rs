use crate::classify::op::Op;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags adding an auto-numbered column to an existing table: `serial` / `bigserial`,
    /// `GENERATED … AS IDENTITY`, or MySQL/MariaDB `AUTO_INCREMENT`.
    ///
    /// ## Why is this bad?
    /// Every existing row needs its own number, so the server writes every row. PostgreSQL
    /// rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (reads and writes
    /// wait). MySQL/MariaDB rebuild the table and do not allow concurrent writes while
    /// adding an AUTO_INCREMENT column.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration.
    ///
    /// ## Safe alternative
    /// PostgreSQL: add a plain nullable column, attach a sequence as its default (new rows
    /// only, no rewrite), and number the existing rows in batches.
    ///
    /// ```sql
    /// CREATE SEQUENCE orders_number_seq;
    /// ALTER TABLE orders ADD COLUMN number bigint;
    /// ALTER TABLE orders ALTER COLUMN number SET DEFAULT nextval('orders_number_seq');
    /// -- backfill in batches, outside the DDL transaction:
    /// UPDATE orders SET number = nextval('orders_number_seq')
    /// WHERE id BETWEEN 1 AND 10000 AND number IS NULL;
    /// ```
    ///
    /// MySQL/MariaDB have no online form: use an online schema change tool (gh-ost,
    /// pt-online-schema-change), or give the numbering to a new table.
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct AddColumnAutoIncrement {
        name: "add-column-auto-increment",
        category: Locking,
        severity: Error,
        dialects: Both,
        concern: Expand,
        default: true,
        summary: "adding a serial, identity or AUTO_INCREMENT column rewrites the table",
    }
}

impl Rule for AddColumnAutoIncrement {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let Op::AddColumn { table, column, .. } = &info.op else {
                continue;
            };
            if info.table_is_new {
                continue;
            }
            let col = &column.name;
            let kind = if column.serial {
                format!("`{}`", column.ty.text.to_ascii_lowercase())
            } else if column.identity {
                "identity".to_owned()
            } else if column.auto_increment {
                "AUTO_INCREMENT".to_owned()
            } else {
                continue;
            };
            let (message, help) = if cx.is_postgres() {
                let seq = format!("{}_{}_seq", table.unqualified(), col.unqualified());
                // Serial types arrive folded to their integer type.
                let ty = if column.serial {
                    column.ty.name.clone()
                } else {
                    column.ty.to_string()
                };
                (
                    format!(
                        "adding the {kind} column `{table}.{col}` numbers every existing row, rewriting `{table}` and its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes"
                    ),
                    format!(
                        "add a plain column with a sequence default (new rows only, no rewrite) and number the existing rows in batches:\n  CREATE SEQUENCE {seq};\n  ALTER TABLE {table} ADD COLUMN {col} {ty};\n  ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT nextval('{seq}');"
                    ),
                )
            } else {
                (
                    format!(
                        "adding the AUTO_INCREMENT column `{table}.{col}` rebuilds `{table}` and blocks writes until every row is numbered"
                    ),
                    "there is no online form: run it through an online schema change tool (gh-ost, pt-online-schema-change), or put the numbering in a new table".to_owned(),
                )
            };
            out.emit(stmt.span.clone(), message, help);
        }
    }
}
