pub mod add_column_auto_increment;
pub mod add_column_stored_generated;
pub mod add_column_volatile_default;
pub mod change_column_type;
pub mod constraint_without_not_valid;
pub mod create_index_non_concurrent;
pub mod detach_partition_non_concurrent;
pub mod drop_index_non_concurrent;
pub mod enum_value_in_transaction;
pub mod exclusion_constraint;
pub mod lock_timeout_missing;
pub mod refresh_matview_non_concurrent;
pub mod reindex_non_concurrent;
pub mod set_not_null;
pub mod table_rewrite_maintenance;
pub mod unique_constraint_without_index;

use crate::classify::op::{Name, ObjectKind, Op};
use crate::lint::{AnalyzedStatement, OpInfo};
use crate::rules::FileContext;

/// The operations of the statements that come before `stmt` in the file.
fn ops_before<'a, 'c>(
    cx: &'c FileContext<'a>,
    stmt: &AnalyzedStatement,
) -> impl Iterator<Item = (&'a AnalyzedStatement, &'a OpInfo)> + 'c {
    let start = stmt.span.start;
    cx.ops().take_while(move |(s, _)| s.span.start < start)
}

/// Was `table` created earlier in this file (so nobody reads or writes it yet)?
fn table_created_before(cx: &FileContext, stmt: &AnalyzedStatement, table: &Name) -> bool {
    ops_before(cx, stmt)
        .any(|(_, i)| matches!(&i.op, Op::CreateTable { table: t, .. } if t == table))
}

/// Was the index `index` created earlier in this file on a table created in this file?
fn index_on_new_table(cx: &FileContext, stmt: &AnalyzedStatement, index: &Name) -> bool {
    ops_before(cx, stmt).any(|(_, i)| {
        i.table_is_new && matches!(&i.op, Op::CreateIndex { name: Some(n), .. } if n == index)
    })
}

/// The table an index created earlier in this file belongs to.
fn table_of_index<'a>(
    cx: &FileContext<'a>,
    stmt: &AnalyzedStatement,
    index: &Name,
) -> Option<&'a Name> {
    ops_before(cx, stmt).find_map(|(_, i)| match &i.op {
        Op::CreateIndex {
            name: Some(n),
            table,
            ..
        } if n == index => Some(table),
        _ => None,
    })
}

/// Was the view or materialized view `view` created earlier in this file?
fn view_created_before(cx: &FileContext, stmt: &AnalyzedStatement, view: &Name) -> bool {
    ops_before(cx, stmt).any(|(_, i)| {
        matches!(&i.op, Op::CreateObject { kind: ObjectKind::View | ObjectKind::MaterializedView, name, .. } if name == view)
    })
}

/// A statement's text ready to be quoted in help, where each line is indented by two
/// spaces: no trailing `;` or surrounding blanks, continuation lines indented to match.
fn statement_sql(text: &str) -> String {
    text.trim()
        .trim_end_matches(';')
        .trim_end()
        .replace('\n', "\n  ")
}
