//! Changes that break a running release: removing or renaming what it uses, or requiring
//! what it does not supply.

pub mod add_column_required;
pub mod drop_column;
pub mod drop_schema;
pub mod drop_table;
pub mod rename_column;
pub mod rename_table;
pub mod truncate_table;

use crate::classify::op::{Name, Op};
use crate::lint::OpInfo;
use std::collections::HashSet;
use std::hash::Hash;

/// What this migration has created so far, walked in statement order: a change to a table
/// or column nobody uses yet breaks no running release.
#[derive(Default)]
pub(crate) struct CreatedHere {
    tables: HashSet<Name>,
    columns: HashSet<(Name, Name)>,
}

impl CreatedHere {
    pub fn table(&self, table: &Name) -> bool {
        self.tables.contains(table)
    }

    /// The column (or its whole table) was added earlier in this migration.
    pub fn column(&self, table: &Name, column: &Name) -> bool {
        self.table(table) || self.columns.contains(&(table.clone(), column.clone()))
    }

    /// Records an operation once the rules have looked at it.
    pub fn record(&mut self, info: &OpInfo) {
        match &info.op {
            // `IF NOT EXISTS` of a table that exists creates nothing.
            Op::CreateTable {
                if_not_exists: true,
                ..
            } if info.table_known => {}
            Op::CreateTable { table, .. } => {
                self.tables.insert(table.clone());
            }
            Op::RenameTable { from, to } => carry(&mut self.tables, from.clone(), to.clone()),
            Op::DropTable { tables, .. } => {
                for t in tables {
                    self.tables.remove(t);
                }
            }
            Op::AddColumn { table, column, .. } => {
                self.columns.insert((table.clone(), column.name.clone()));
            }
            Op::RenameColumn { table, from, to } => carry(
                &mut self.columns,
                (table.clone(), from.clone()),
                (table.clone(), to.clone()),
            ),
            Op::RedefineColumn {
                table,
                from,
                column,
            } => carry(
                &mut self.columns,
                (table.clone(), from.clone()),
                (table.clone(), column.name.clone()),
            ),
            _ => {}
        }
    }
}

/// A renamed object stays in `set` under its new name.
fn carry<T: Eq + Hash>(set: &mut HashSet<T>, from: T, to: T) {
    if set.remove(&from) {
        set.insert(to);
    }
}

/// `a`, `a` and `b`, `a`, `b` and `c` — backquoted names for messages.
pub(crate) fn name_list(names: &[&Name]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
