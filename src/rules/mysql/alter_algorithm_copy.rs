use super::{copy_is_online, online_tools};
use crate::classify::op::{ConstraintKind, Generated, Name, Op};
use crate::lint::{AnalyzedStatement, OpInfo};
use crate::rules::{util, Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags an `ALTER TABLE` on an existing table that copies the table row by row:
    /// one that says `ALGORITHM=COPY`, or one whose change MySQL/MariaDB can only make by
    /// copying: a column type change that is not a safe widening (`MODIFY` / `CHANGE`),
    /// `CONVERT TO CHARACTER SET`, adding a `STORED` generated column, and dropping the
    /// primary key without adding a new one in the same statement.
    ///
    /// ## Why is this bad?
    /// The COPY algorithm builds a new table and copies every row into it. On MySQL, and on
    /// MariaDB before 11.2, writes to the table are blocked for the whole copy. MariaDB
    /// 11.2+ keeps writes going, but the copy still takes as long as the table is big,
    /// needs room for a second copy on disk, and replicas replay it afterwards as one long
    /// statement, falling behind by as much.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration, and when the statement asks for
    /// `ALGORITHM=INPLACE`, `NOCOPY` or `INSTANT` (the server then refuses at once instead
    /// of copying). Adding a foreign key is left to `add-foreign-key-copy`. A `MODIFY` /
    /// `CHANGE` of a column whose current type bellows does not know (its table was not
    /// created by a migration it has read) is left to `change-column-type`.
    ///
    /// ## Safe alternative
    /// Change the shape by expand and contract (add a column of the new type, backfill it in
    /// batches, switch the application, drop the old column), add generated columns as
    /// `VIRTUAL`, drop and add a primary key in one statement, or let an online schema
    /// change tool (gh-ost, pt-online-schema-change) do the copy without blocking writes.
    /// State the algorithm so a surprise copy fails instead of running:
    ///
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN total_cents_big BIGINT NULL, ALGORITHM=INSTANT;
    /// ALTER TABLE orders ADD COLUMN total_eur DECIMAL(12,2) AS (total_cents / 100) VIRTUAL, ALGORITHM=INSTANT;
    /// ```
    ///
    /// ## Dialects
    /// MySQL and MariaDB; the consequence depends on `--engine-version` (MariaDB 11.2+
    /// copies without blocking writes).
    pub struct AlterAlgorithmCopy {
        name: "alter-algorithm-copy",
        category: Mysql,
        severity: Error,
        dialects: Mysql,
        concern: Any,
        default: true,
        summary: "ALGORITHM=COPY, or an ALTER that MySQL can only do by copying the table",
    }
}

impl Rule for AlterAlgorithmCopy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for stmt in cx.statements {
            let algorithm = stmt.algorithm();
            let found = match algorithm {
                Some("COPY") => stmt
                    .ops
                    .iter()
                    .find(|o| matches!(o.op, Op::AlterAlgorithm { .. }))
                    .filter(|o| util::on_existing_table(o))
                    .map(|o| (o, Why::Explicit)),
                // The server refuses, rather than copies, what it cannot do this way.
                Some("INPLACE" | "NOCOPY" | "INSTANT") => None,
                _ => stmt
                    .ops
                    .iter()
                    .find_map(|o| implicit_copy(stmt, o).map(|why| (o, why))),
            };
            let Some((info, why)) = found else { continue };
            let table = info
                .op
                .table()
                .map_or_else(|| "the table".to_owned(), |t| format!("`{t}`"));
            // A LOCK clause that blocks writes wins over MariaDB's online copy.
            let locked = stmt.ops.iter().any(|o| {
                matches!(&o.op, Op::AlterLock { lock, .. } if lock == "SHARED" || lock == "EXCLUSIVE")
            });
            let effect = if copy_is_online(cx) && !locked {
                format!(
                    "{} copies every row of {table} into a new table: writes continue, but the ALTER takes as long \
                     as the copy, needs room for a second copy, and replicas replay it as one long statement",
                    cx.settings.version
                )
            } else {
                format!(
                    "{} copies every row of {table} into a new table, and writes to it are blocked until the copy \
                     finishes",
                    cx.settings.version
                )
            };
            let (what, help) = why.describe(cx, info, &table);
            out.emit(stmt.span.clone(), format!("{what}: {effect}"), help);
        }
    }
}

/// Why an ALTER copies the table.
enum Why<'a> {
    Explicit,
    TypeChange {
        column: &'a Name,
        from: &'a str,
        to: &'a str,
    },
    Charset,
    StoredColumn(&'a Name),
    DropPrimaryKey,
}

impl Why<'_> {
    /// What the statement does, and the remedy.
    fn describe(&self, cx: &FileContext, info: &OpInfo, table: &str) -> (String, String) {
        let tools = online_tools(cx);
        match self {
            Why::Explicit => (
                "ALGORITHM=COPY".to_owned(),
                format!(
                    "remove ALGORITHM=COPY and ask for ALGORITHM=INPLACE (or INSTANT) with LOCK=NONE, so the \
                     server refuses at once if it cannot change {table} in place; if it refuses, use {tools}"
                ),
            ),
            Why::TypeChange { column, from, to } => {
                (
                    format!("changing `{column}` from `{from}` to `{to}` is not an in-place change"),
                    format!(
                        "expand and contract instead: add a new column of type `{to}`, backfill it in batches, \
                         switch the application, and drop `{column}` later; or run the change with {tools}"
                    ),
                )
            }
            Why::Charset => (
                "CONVERT TO CHARACTER SET rewrites every text column".to_owned(),
                format!(
                    "convert the columns that need it one at a time by expand and contract, or run the \
                     conversion with {tools}"
                ),
            ),
            Why::StoredColumn(column) => (
                format!("adding the STORED generated column `{column}`"),
                "add it as VIRTUAL instead (instant; index it if it must be fast to search): \
                 `ADD COLUMN … AS (…) VIRTUAL, ALGORITHM=INSTANT`"
                    .to_owned(),
            ),
            Why::DropPrimaryKey => {
                let name = info
                    .op
                    .table()
                    .map_or_else(|| "…".to_owned(), |t| t.to_string());
                (
                    "dropping the primary key without adding another".to_owned(),
                    format!(
                        "drop and add the primary key in one statement, which is done in place:\n  \
                         ALTER TABLE {name} DROP PRIMARY KEY, ADD PRIMARY KEY (…), ALGORITHM=INPLACE, LOCK=NONE;"
                    ),
                )
            }
        }
    }
}

/// Why `info` makes the server copy the table, if it does.
fn implicit_copy<'a>(stmt: &AnalyzedStatement, info: &'a OpInfo) -> Option<Why<'a>> {
    if !util::on_existing_table(info) {
        return None;
    }
    match &info.op {
        Op::RedefineColumn { column, .. } => {
            let before = info.column_before.as_ref()?;
            let (old, new) = (&before.ty, &column.ty);
            let charset_changes =
                old.charset.is_some() && new.charset.is_some() && old.charset != new.charset;
            let type_changes = old.name != new.name
                || old.args != new.args
                || old.values != new.values
                || charset_changes;
            (type_changes && !info.safe_widening).then_some(Why::TypeChange {
                column: &column.name,
                from: old.text.as_str(),
                to: new.text.as_str(),
            })
        }
        Op::ConvertCharset { .. } => Some(Why::Charset),
        Op::AddColumn { column, .. } if column.generated == Some(Generated::Stored) => {
            Some(Why::StoredColumn(&column.name))
        }
        Op::DropConstraint { name, .. } if name.as_str() == "primary" => {
            let adds_primary = stmt.ops.iter().any(|o| {
                matches!(
                    &o.op,
                    Op::AddConstraint { constraint, .. }
                        if matches!(constraint.kind, ConstraintKind::PrimaryKey { .. })
                )
            });
            (!adds_primary).then_some(Why::DropPrimaryKey)
        }
        _ => None,
    }
}
