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
use std::collections::HashMap;

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
    let created = created(cx);
    created.before(&created.tables, stmt, table).is_some()
}

/// Was the index `index` created earlier in this file on a table created in this file?
fn index_on_new_table(cx: &FileContext, stmt: &AnalyzedStatement, index: &Name) -> bool {
    let created = created(cx);
    created
        .before(&created.indexes_on_new_tables, stmt, index)
        .is_some()
}

/// The table an index created earlier in this file belongs to.
fn table_of_index<'a>(
    cx: &FileContext<'a>,
    stmt: &AnalyzedStatement,
    index: &Name,
) -> Option<&'a Name> {
    let created = created(cx);
    created.before(&created.indexes, stmt, index)
}

/// Was the view or materialized view `view` created earlier in this file?
fn view_created_before(cx: &FileContext, stmt: &AnalyzedStatement, view: &Name) -> bool {
    let created = created(cx);
    created.before(&created.views, stmt, view).is_some()
}

fn created<'a, 'c>(cx: &'c FileContext<'a>) -> &'c Created<'a> {
    cx.created.get_or_init(|| Created::of(cx))
}

/// What a file creates: the answers to "was it created before this statement?" without
/// walking every earlier operation for each statement that asks (a file of thousands of
/// `DROP INDEX` made that quadratic).
#[derive(Debug, Default)]
pub(crate) struct Created<'a> {
    /// For the n-th operation of the file (in [`FileContext::ops`] order), the largest
    /// statement start up to it: the operations "before" a statement are those up to the
    /// first whose statement does not start before it, as [`ops_before`] takes them.
    reach: Vec<usize>,
    /// Each name with the position of the first operation that created it.
    tables: HashMap<&'a Name, (usize, ())>,
    indexes_on_new_tables: HashMap<&'a Name, (usize, ())>,
    /// Named indexes, with their tables.
    indexes: HashMap<&'a Name, (usize, &'a Name)>,
    views: HashMap<&'a Name, (usize, ())>,
}

impl<'a> Created<'a> {
    fn of(cx: &FileContext<'a>) -> Self {
        let mut out = Created::default();
        let mut reach = 0;
        for (n, (s, i)) in cx.ops().enumerate() {
            reach = reach.max(s.span.start);
            out.reach.push(reach);
            match &i.op {
                Op::CreateTable { table, .. } => {
                    out.tables.entry(table).or_insert((n, ()));
                }
                Op::CreateIndex {
                    name: Some(name),
                    table,
                    ..
                } => {
                    if i.table_is_new {
                        out.indexes_on_new_tables.entry(name).or_insert((n, ()));
                    }
                    out.indexes.entry(name).or_insert((n, table));
                }
                Op::CreateObject {
                    kind: ObjectKind::View | ObjectKind::MaterializedView,
                    name,
                    ..
                } => {
                    out.views.entry(name).or_insert((n, ()));
                }
                _ => {}
            }
        }
        out
    }

    /// What `map` holds for `name` when its operation comes before `stmt`.
    fn before<T: Copy>(
        &self,
        map: &HashMap<&'a Name, (usize, T)>,
        stmt: &AnalyzedStatement,
        name: &Name,
    ) -> Option<T> {
        let &(n, value) = map.get(name)?;
        let ops = self.reach.partition_point(|&r| r < stmt.span.start);
        (n < ops).then_some(value)
    }
}

/// A statement's text ready to be quoted in help, where each line is indented by two
/// spaces: no trailing `;` or surrounding blanks, continuation lines indented to match.
fn statement_sql(text: &str) -> String {
    text.trim()
        .trim_end_matches(';')
        .trim_end()
        .replace('\n', "\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::lint::{lint_source, LintSettings};
    use crate::source::SourceFile;

    #[test]
    fn what_was_created_before_is_what_the_earlier_operations_created() {
        // Statements inside a called function come after the call, though their text is
        // earlier in the file.
        let text = "CREATE TABLE t (id int);
CREATE INDEX i1 ON t (id);
CREATE VIEW v AS SELECT 1;
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  CREATE TABLE u (id int);
  CREATE INDEX i2 ON u (id);
  DROP INDEX i1;
END $$;
DROP INDEX i2;
SELECT f();
DROP INDEX i2;
CREATE INDEX i1 ON old (id);
CREATE MATERIALIZED VIEW m AS SELECT 1;
DROP INDEX i1, i3;
REFRESH MATERIALIZED VIEW m;
";
        let settings = LintSettings::new(Dialect::Postgres);
        let result = lint_source(SourceFile::new("m.sql", text), &settings);
        assert!(result.statements.iter().any(|s| s.inside.is_some()));
        let cx = FileContext::new(&result.source, &settings, &result.statements, false);
        let names: Vec<Name> = ["t", "u", "old", "i1", "i2", "i3", "v", "m"]
            .into_iter()
            .map(Name::new)
            .collect();
        for stmt in &result.statements {
            for n in &names {
                let scan = |f: &dyn Fn(&OpInfo) -> bool| ops_before(&cx, stmt).any(|(_, i)| f(i));
                let table = scan(&|i| matches!(&i.op, Op::CreateTable { table, .. } if table == n));
                assert_eq!(table_created_before(&cx, stmt, n), table);
                let on_new = scan(&|i| {
                    i.table_is_new
                        && matches!(&i.op, Op::CreateIndex { name: Some(x), .. } if x == n)
                });
                assert_eq!(index_on_new_table(&cx, stmt, n), on_new);
                let table_of = ops_before(&cx, stmt).find_map(|(_, i)| match &i.op {
                    Op::CreateIndex {
                        name: Some(x),
                        table,
                        ..
                    } if x == n => Some(table),
                    _ => None,
                });
                assert_eq!(table_of_index(&cx, stmt, n), table_of);
                let view = scan(
                    &|i| matches!(&i.op, Op::CreateObject { kind: ObjectKind::View | ObjectKind::MaterializedView, name, .. } if name == n),
                );
                assert_eq!(view_created_before(&cx, stmt, n), view);
            }
        }
    }
}
