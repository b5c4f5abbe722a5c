use crate::classify::locks::Cost;
use crate::classify::op::{Name, Op, SqlType};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags changing the type of a column of an existing table, unless the schema model
    /// shows the change is a metadata-only widening: PostgreSQL `ALTER COLUMN … TYPE`,
    /// MySQL/MariaDB `MODIFY` / `CHANGE` with a different type.
    ///
    /// ## Why is this bad?
    /// PostgreSQL rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE
    /// lock: reads and writes wait for the whole rewrite. MySQL/MariaDB copy the table
    /// (ALGORITHM=COPY), blocking writes. Either way the change is in place: a release
    /// still running against the old type can break, so it is a contract step that should
    /// be split into expand, backfill and contract.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration, and for widenings the model can
    /// prove cheap: PostgreSQL `varchar(n)` to `varchar(m > n)` or `text`, a larger
    /// `numeric` precision with the same scale; MySQL/MariaDB `VARCHAR` growth that keeps
    /// the length prefix size, and ENUM/SET values appended at the end. A `MODIFY` /
    /// `CHANGE` that keeps the type (a rename, a nullability change) is not a type change.
    /// When the model does not know the column's current type, it fires.
    ///
    /// PostgreSQL 12 and later do not rewrite the table for `timestamp` ↔ `timestamptz`
    /// when the session `TimeZone` is UTC (`SET timezone = 'UTC'` earlier in the file).
    /// The rule still fires there, saying what happens instead: the indexes on the column
    /// are rebuilt under the ACCESS EXCLUSIVE lock, and clients get the other type.
    ///
    /// ## Safe alternative
    /// Add a column of the new type, keep it in sync (application writes or a trigger),
    /// backfill it in batches, switch readers to it, then drop the old column in a later
    /// contract migration.
    ///
    /// ```sql
    /// ALTER TABLE events ADD COLUMN user_id_new bigint;
    /// -- sync new writes, then backfill in batches:
    /// UPDATE events SET user_id_new = user_id
    /// WHERE id BETWEEN 1 AND 10000 AND user_id_new IS NULL;
    /// -- after the deploy that reads user_id_new, a contract migration drops user_id.
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL and MySQL/MariaDB.
    pub struct ChangeColumnType {
        name: "change-column-type",
        category: Locking,
        severity: Error,
        dialects: Both,
        concern: Contract,
        default: true,
        summary: "a column type change that rewrites the table or breaks clients",
    }
}

impl Rule for ChangeColumnType {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let (table, column, ty, using) = match &info.op {
                Op::AlterColumnType {
                    table,
                    column,
                    ty,
                    using,
                } => (table, column, ty, *using),
                Op::RedefineColumn {
                    table,
                    from,
                    column,
                } => (table, from, &column.ty, false),
                _ => continue,
            };
            if info.table_is_new {
                continue;
            }
            let before = info.column_before.as_ref().map(|c| &c.ty);
            if let Some(before) = before {
                if same_type(before, ty) && !using {
                    continue;
                }
                if info.safe_widening && !using {
                    continue;
                }
            }
            if cx.is_postgres() && info.lock.cost == Cost::IndexBuild {
                // `timestamp` ↔ `timestamptz` in a UTC session (PostgreSQL 12+).
                let before = before.map_or_else(String::new, |b| format!(" from `{b}`"));
                out.emit(
                    stmt.span.clone(),
                    format!(
                        "changing `{table}.{column}`{before} to `{ty}` with the session TimeZone UTC does not rewrite `{table}`, but rebuilds the indexes on `{column}` under an ACCESS EXCLUSIVE lock, blocking reads and writes until they are built; releases still reading `{column}` get values of another type"
                    ),
                    format!(
                        "ship a release that handles `{ty}` values first; if `{column}` has large indexes, drop them beforehand (DROP INDEX CONCURRENTLY) and rebuild them afterwards with CREATE INDEX CONCURRENTLY, so that the lock is brief"
                    ),
                );
                continue;
            }
            let change = match before {
                Some(b) => format!("changing `{table}.{column}` from `{b}` to `{ty}`"),
                None => format!(
                    "changing the type of `{table}.{column}` to `{ty}` (bellows does not know its current type)"
                ),
            };
            let unless = if before.is_none() {
                ", unless it is a metadata-only widening"
            } else {
                ""
            };
            let message = if cx.is_postgres() {
                format!(
                    "{change} rewrites `{table}` and rebuilds its indexes under an ACCESS EXCLUSIVE lock, blocking reads and writes until it finishes{unless}; releases still using the old type may break"
                )
            } else {
                format!(
                    "{change} copies the whole `{table}` table, blocking writes until it finishes{unless}; releases still using the old type may break"
                )
            };
            let new_col = format!("{}_new", column.unqualified());
            let mut help = format!(
                "change it in steps: add a column of the new type, keep it in sync and backfill it in batches, switch readers to it, then drop `{column}` in a later migration:\n  ALTER TABLE {table} ADD COLUMN {new_col} {ty};"
            );
            if let Some(cap) = before.and_then(|b| varchar_shrink(b, ty, column)) {
                if cx.is_postgres() {
                    help.push_str(&format!(
                        "\nto cap the length without a rewrite, add a constraint instead:\n  ALTER TABLE {table} ADD CONSTRAINT {}_{}_length CHECK ({cap}) NOT VALID;",
                        table.unqualified(),
                        column.unqualified()
                    ));
                }
            }
            out.emit(stmt.span.clone(), message, help);
        }
    }
}

/// Integer types whose MySQL display width (`int(11)`) changes nothing stored.
const INTEGERS: &[&str] = &["tinyint", "smallint", "mediumint", "integer", "bigint"];

/// Is `after` the same type as `before` (a MODIFY / CHANGE that only renames or changes
/// nullability)? An unstated character set keeps the current one.
fn same_type(before: &SqlType, after: &SqlType) -> bool {
    before.name == after.name
        && before.array == after.array
        && before.values == after.values
        && (before.args == after.args || INTEGERS.contains(&before.name.as_str()))
        && (before.charset.is_none() || after.charset.is_none() || before.charset == after.charset)
}

/// For `varchar(n)` → `varchar(m < n)`: the CHECK expression that caps the length instead.
fn varchar_shrink(before: &SqlType, after: &SqlType, column: &Name) -> Option<String> {
    if before.name != "varchar" || after.name != "varchar" {
        return None;
    }
    match (before.args.first(), after.args.first()) {
        (Some(n), Some(m)) if m < n => Some(format!("char_length({column}) <= {m}")),
        (None, Some(m)) => Some(format!("char_length({column}) <= {m}")),
        _ => None,
    }
}
