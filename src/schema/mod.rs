//! The in-memory schema model and its replay of `Op`s.
//!
//! Owns what a sequence of migrations has built: tables, columns (type, nullability,
//! default), indexes, constraints and enum types. Linting a directory replays it so rules
//! can ask "is this table new?" or "is this a safe widening?"; the catalog and runner
//! reuse it. Knows nothing of rules or files.

pub mod widening;

use crate::classify::op::{ColumnSpec, ConstraintKind, ConstraintSpec, Name, Op, SqlType};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A column as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: Name,
    pub ty: SqlType,
    pub not_null: bool,
    pub has_default: bool,
    pub generated: bool,
}

impl Column {
    fn from_spec(spec: &ColumnSpec) -> Self {
        Column {
            name: spec.name.clone(),
            ty: spec.ty.clone(),
            not_null: spec.not_null || spec.primary_key,
            has_default: spec.default.is_some()
                || spec.serial
                || spec.identity
                || spec.auto_increment,
            generated: spec.generated.is_some(),
        }
    }
}

/// A constraint as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub name: Option<Name>,
    pub kind: ConstraintKind,
    /// False while a constraint added `NOT VALID` awaits `VALIDATE CONSTRAINT`.
    pub validated: bool,
}

/// An index as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: Option<Name>,
    pub columns: Vec<Name>,
    pub unique: bool,
}

/// A table as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub name: Name,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<Index>,
    /// Columns are not all known (`CREATE TABLE … AS`, `LIKE`).
    pub columns_unknown: bool,
}

impl Table {
    pub fn column(&self, name: &Name) -> Option<&Column> {
        self.columns.iter().find(|c| &c.name == name)
    }

    fn column_mut(&mut self, name: &Name) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| &c.name == name)
    }

    /// Is there a validated `CHECK (col IS NOT NULL)`?
    pub fn has_not_null_check(&self, column: &Name) -> bool {
        self.constraints.iter().any(|c| {
            c.validated
                && matches!(&c.kind, ConstraintKind::Check { not_null_of: Some(col) } if col == column)
        })
    }

    pub fn constraint(&self, name: &Name) -> Option<&Constraint> {
        self.constraints
            .iter()
            .find(|c| c.name.as_ref() == Some(name))
    }
}

/// The whole schema: tables and enum types by normalised name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Shared between copies: a schema state cloned after every migration costs only the
    /// tables that migration changed, and unchanged tables compare by pointer.
    pub tables: BTreeMap<Name, Arc<Table>>,
    pub enums: BTreeMap<Name, Vec<String>>,
    /// Index name → table, so DROP INDEX can find its table.
    pub index_tables: BTreeMap<Name, Name>,
}

impl Schema {
    pub fn table(&self, name: &Name) -> Option<&Table> {
        self.tables.get(name).map(|t| &**t)
    }

    /// Is table `name` the same in both states (cheap when neither changed it)?
    pub fn same_table(&self, other: &Schema, name: &Name) -> bool {
        match (self.tables.get(name), other.tables.get(name)) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
            (None, None) => true,
            _ => false,
        }
    }

    fn table_mut(&mut self, name: &Name) -> Option<&mut Table> {
        self.tables.get_mut(name).map(Arc::make_mut)
    }

    pub fn column(&self, table: &Name, column: &Name) -> Option<&Column> {
        self.table(table).and_then(|t| t.column(column))
    }

    /// Applies one operation. Unknown tables are created on first mention so that a
    /// single file linted without its history still builds a useful model.
    pub fn apply(&mut self, op: &Op) {
        match op {
            // `CREATE TABLE IF NOT EXISTS` of a table that exists changes nothing.
            Op::CreateTable {
                table,
                if_not_exists: true,
                ..
            } if self.tables.contains_key(table) => {}
            Op::CreateTable {
                table,
                columns,
                constraints,
                columns_unknown,
                ..
            } => {
                let mut t = Table {
                    name: table.clone(),
                    columns: columns.iter().map(Column::from_spec).collect(),
                    constraints: Vec::new(),
                    indexes: Vec::new(),
                    columns_unknown: *columns_unknown,
                };
                for c in constraints {
                    t.constraints.push(constraint_from_spec(c));
                }
                for col in columns {
                    if col.primary_key {
                        t.constraints.push(Constraint {
                            name: None,
                            kind: ConstraintKind::PrimaryKey {
                                columns: vec![col.name.clone()],
                            },
                            validated: true,
                        });
                    }
                }
                self.tables.insert(table.clone(), Arc::new(t));
            }
            Op::DropTable { tables, .. } => {
                for t in tables {
                    self.tables.remove(t);
                    self.index_tables.retain(|_, tab| tab != t);
                }
            }
            Op::RenameTable { from, to } => {
                if let Some(mut t) = self.tables.remove(from) {
                    Arc::make_mut(&mut t).name = to.clone();
                    self.tables.insert(to.clone(), t);
                    for tab in self.index_tables.values_mut() {
                        if tab == from {
                            *tab = to.clone();
                        }
                    }
                }
            }
            Op::AddColumn { table, column, .. } => {
                let t = self.table_entry(table);
                if t.column(&column.name).is_none() {
                    t.columns.push(Column::from_spec(column));
                }
            }
            Op::DropColumn { table, column, .. } => {
                if let Some(t) = self.table_mut(table) {
                    t.columns.retain(|c| &c.name != column);
                }
            }
            Op::RenameColumn { table, from, to } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(from)) {
                    c.name = to.clone();
                }
            }
            Op::AlterColumnType {
                table, column, ty, ..
            } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.ty = ty.clone();
                }
            }
            Op::RedefineColumn {
                table,
                from,
                column,
            } => {
                let t = self.table_entry(table);
                let new = Column::from_spec(column);
                match t.column_mut(from) {
                    Some(c) => *c = new,
                    None => t.columns.push(new),
                }
            }
            Op::SetNotNull { table, column } | Op::DropNotNull { table, column } => {
                let not_null = matches!(op, Op::SetNotNull { .. });
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.not_null = not_null;
                }
            }
            Op::SetDefault { table, column, .. } | Op::DropDefault { table, column } => {
                let has = matches!(op, Op::SetDefault { .. });
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.has_default = has;
                }
            }
            Op::AddConstraint { table, constraint } => {
                let t = self.table_entry(table);
                if let ConstraintKind::PrimaryKey { columns } = &constraint.kind {
                    for col in columns {
                        if let Some(c) = t.column_mut(col) {
                            c.not_null = true;
                        }
                    }
                }
                t.constraints.push(constraint_from_spec(constraint));
            }
            Op::ValidateConstraint { table, name } => {
                if let Some(t) = self.table_mut(table) {
                    for c in t.constraints.iter_mut() {
                        if c.name.as_ref() == Some(name) {
                            c.validated = true;
                        }
                    }
                }
            }
            Op::DropConstraint { table, name } => {
                if let Some(t) = self.table_mut(table) {
                    t.constraints.retain(|c| c.name.as_ref() != Some(name));
                }
            }
            Op::RenameConstraint { table, from, to } => {
                if let Some(t) = self.table_mut(table) {
                    for c in t.constraints.iter_mut() {
                        if c.name.as_ref() == Some(from) {
                            c.name = Some(to.clone());
                        }
                    }
                }
            }
            Op::CreateIndex {
                name,
                table,
                columns,
                unique,
                ..
            } => {
                if let Some(n) = name {
                    self.index_tables.insert(n.clone(), table.clone());
                }
                self.table_entry(table).indexes.push(Index {
                    name: name.clone(),
                    columns: columns.clone(),
                    unique: *unique,
                });
            }
            Op::DropIndex { names, table, .. } => {
                for n in names {
                    let owner = table.clone().or_else(|| self.index_tables.get(n).cloned());
                    self.index_tables.remove(n);
                    if let Some(t) = owner.and_then(|o| self.table_mut(&o)) {
                        t.indexes.retain(|i| i.name.as_ref() != Some(n));
                    }
                }
            }
            Op::CreateEnum { name, values } => {
                self.enums.insert(name.clone(), values.clone());
            }
            Op::AddEnumValue { name, value } => {
                self.enums
                    .entry(name.clone())
                    .or_default()
                    .push(value.clone());
            }
            Op::DropSchema { names, .. } => {
                for schema in names {
                    let prefix = format!("{schema}.");
                    self.tables.retain(|t, _| !t.as_str().starts_with(&prefix));
                }
            }
            _ => {}
        }
    }

    fn table_entry(&mut self, name: &Name) -> &mut Table {
        let entry = self.tables.entry(name.clone()).or_insert_with(|| {
            Arc::new(Table {
                name: name.clone(),
                columns_unknown: true,
                ..Table::default()
            })
        });
        Arc::make_mut(entry)
    }
}

fn constraint_from_spec(spec: &ConstraintSpec) -> Constraint {
    Constraint {
        name: spec.name.clone(),
        kind: spec.kind.clone(),
        validated: !spec.not_valid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::types::parse_type;

    fn col(name: &str, ty: &str) -> ColumnSpec {
        ColumnSpec {
            name: Name::new(name),
            ty: parse_type(ty),
            ..ColumnSpec::default()
        }
    }

    #[test]
    fn replays_create_add_rename_drop() {
        let mut s = Schema::default();
        let users = Name::new("users");
        s.apply(&Op::CreateTable {
            table: users.clone(),
            columns: vec![col("id", "bigint"), col("email", "varchar(50)")],
            constraints: vec![],
            if_not_exists: false,
            columns_unknown: false,
            partition_of: None,
        });
        s.apply(&Op::RenameColumn {
            table: users.clone(),
            from: Name::new("email"),
            to: Name::new("mail"),
        });
        assert!(s.column(&users, &Name::new("mail")).is_some());
        s.apply(&Op::DropColumn {
            table: users.clone(),
            column: Name::new("mail"),
            if_exists: false,
        });
        assert_eq!(s.table(&users).unwrap().columns.len(), 1);
        s.apply(&Op::RenameTable {
            from: users.clone(),
            to: Name::new("accounts"),
        });
        assert!(s.table(&users).is_none());
        assert!(s.table(&Name::new("accounts")).is_some());
        // IF NOT EXISTS keeps the table that is there.
        let accounts = Name::new("accounts");
        s.apply(&Op::CreateTable {
            table: accounts.clone(),
            columns: vec![col("other", "text")],
            constraints: vec![],
            if_not_exists: true,
            columns_unknown: false,
            partition_of: None,
        });
        assert!(s.column(&accounts, &Name::new("id")).is_some());
        assert!(s.column(&accounts, &Name::new("other")).is_none());
    }
}
