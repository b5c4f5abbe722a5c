//! The graph's input: migrations and releases described by what they create, touch, remove
//! and read, and the derivation of a migration's objects from the linter's `Op`s.
//!
//! Owns the `Object` vocabulary of the graph. Knows nothing of the catalog's on-disk types;
//! the catalog fills these structs in.

use crate::classify::op::{ConstraintKind, Name, Op};
use crate::classify::phase::Phase;
use std::fmt;

/// A schema object a migration creates, touches or removes, or a release reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Object {
    Table(Name),
    /// A column: (table, column).
    Column(Name, Name),
}

impl Object {
    /// The table this object is, or belongs to.
    pub fn table(&self) -> &Name {
        match self {
            Object::Table(t) | Object::Column(t, _) => t,
        }
    }

    /// Whether removing `self` takes `other` away: a table takes its columns with it.
    pub fn covers(&self, other: &Object) -> bool {
        match self {
            Object::Table(t) => other.table() == t,
            Object::Column(..) => self == other,
        }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Table(t) => write!(f, "{t}"),
            Object::Column(t, c) => write!(f, "{t}.{c}"),
        }
    }
}

/// One migration as the graph sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationNode {
    pub id: String,
    pub phase: Phase,
    /// Ids of migrations that must run first (`requires` in `migration.toml`).
    pub requires: Vec<String>,
    pub creates: Vec<Object>,
    pub touches: Vec<Object>,
    pub removes: Vec<Object>,
    /// Ids of the expand / backfill migrations this contract finishes, when declared.
    pub replaces: Vec<String>,
}

impl MigrationNode {
    /// A migration with no objects and no dependencies.
    pub fn new(id: impl Into<String>, phase: Phase) -> Self {
        MigrationNode {
            id: id.into(),
            phase,
            requires: Vec::new(),
            creates: Vec::new(),
            touches: Vec::new(),
            removes: Vec::new(),
            replaces: Vec::new(),
        }
    }
}

/// One application release as the graph sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseNode {
    pub version: String,
    /// The newest migration the release needs.
    pub requires: Option<String>,
    /// What the release's queries use.
    pub reads: Vec<Object>,
    /// A retired release no longer runs and blocks nothing.
    pub retired: bool,
}

/// Everything the graph is built from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphInput {
    /// Migrations in catalog order.
    pub migrations: Vec<MigrationNode>,
    pub releases: Vec<ReleaseNode>,
}

/// Derives what a migration creates, touches and removes from its operations, in order.
///
/// `CreateTable` creates a table; `AddColumn` creates a column; `DropTable` / `DropColumn`
/// remove; renames remove the old name and create the new one; every other table or column
/// an operation names is touched (including tables a foreign key references). An object
/// created and then dropped inside the same migration is neither created nor removed.
///
/// ```
/// use bellows::classify::op::{ColumnSpec, Name, Op};
/// use bellows::classify::phase::Phase;
/// use bellows::graph::{migration_node, Object};
///
/// let op = Op::DropColumn { table: Name::new("users"), column: Name::new("email"), if_exists: false };
/// let node = migration_node("0007_drop_email", Phase::Contract, vec![], &[op]);
/// assert_eq!(node.removes, vec![Object::Column(Name::new("users"), Name::new("email"))]);
/// ```
pub fn migration_node(
    id: impl Into<String>,
    phase: Phase,
    requires: Vec<String>,
    ops: &[Op],
) -> MigrationNode {
    let mut acc = Objects::default();
    for op in ops {
        acc.op(op);
    }
    MigrationNode {
        id: id.into(),
        phase,
        requires,
        creates: acc.creates,
        touches: acc.touches,
        removes: acc.removes,
        replaces: Vec::new(),
    }
}

#[derive(Default)]
struct Objects {
    creates: Vec<Object>,
    touches: Vec<Object>,
    removes: Vec<Object>,
}

fn push(list: &mut Vec<Object>, object: Object) {
    if !list.contains(&object) {
        list.push(object);
    }
}

fn col(table: &Name, column: &Name) -> Object {
    Object::Column(table.clone(), column.clone())
}

impl Objects {
    fn create(&mut self, object: Object) {
        self.removes.retain(|o| o != &object);
        push(&mut self.creates, object);
    }

    fn remove(&mut self, object: Object) {
        // Created here and dropped again: neither a creation nor a removal.
        let before = self.creates.len();
        self.creates.retain(|o| !object.covers(o));
        if self.creates.len() == before {
            push(&mut self.removes, object);
        }
    }

    fn touch(&mut self, object: Object) {
        if !self.creates.iter().any(|c| c.covers(&object)) {
            push(&mut self.touches, object);
        }
    }

    fn touch_table(&mut self, table: &Name) {
        self.touch(Object::Table(table.clone()));
    }

    fn constraint(&mut self, table: &Name, kind: &ConstraintKind) {
        match kind {
            ConstraintKind::Check { not_null_of } => {
                if let Some(c) = not_null_of {
                    self.touch(col(table, c));
                }
            }
            ConstraintKind::ForeignKey {
                columns,
                references,
            } => {
                for c in columns {
                    self.touch(col(table, c));
                }
                self.touch_table(references);
            }
            ConstraintKind::Unique { columns } | ConstraintKind::PrimaryKey { columns } => {
                for c in columns {
                    self.touch(col(table, c));
                }
            }
            ConstraintKind::Exclude => {}
        }
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::CreateTable {
                table,
                columns,
                constraints,
                partition_of,
                ..
            } => {
                self.create(Object::Table(table.clone()));
                for c in columns {
                    if let Some(r) = &c.references {
                        self.touch_table(r);
                    }
                }
                for c in constraints {
                    if let ConstraintKind::ForeignKey { references, .. } = &c.kind {
                        self.touch_table(references);
                    }
                }
                if let Some(parent) = partition_of {
                    self.touch_table(parent);
                }
            }
            Op::DropTable { tables, .. } => {
                for t in tables {
                    self.remove(Object::Table(t.clone()));
                }
            }
            Op::RenameTable { from, to } => {
                self.remove(Object::Table(from.clone()));
                self.create(Object::Table(to.clone()));
            }
            Op::AddColumn { table, column, .. } => {
                self.create(col(table, &column.name));
                if let Some(r) = &column.references {
                    self.touch_table(r);
                }
            }
            Op::DropColumn { table, column, .. } => self.remove(col(table, column)),
            Op::RenameColumn { table, from, to } => {
                self.remove(col(table, from));
                self.create(col(table, to));
            }
            Op::RedefineColumn {
                table,
                from,
                column,
            } => {
                if column.name == *from {
                    self.touch(col(table, from));
                } else {
                    self.remove(col(table, from));
                    self.create(col(table, &column.name));
                }
                if let Some(r) = &column.references {
                    self.touch_table(r);
                }
            }
            Op::AlterColumnType { table, column, .. }
            | Op::SetNotNull { table, column }
            | Op::DropNotNull { table, column }
            | Op::SetDefault { table, column, .. }
            | Op::DropDefault { table, column } => self.touch(col(table, column)),
            Op::AddConstraint { table, constraint } => {
                self.touch_table(table);
                self.constraint(table, &constraint.kind);
            }
            Op::CreateIndex { table, columns, .. } => {
                self.touch_table(table);
                for c in columns {
                    self.touch(col(table, c));
                }
            }
            Op::Insert { table, columns, .. } => {
                self.touch_table(table);
                for c in columns {
                    self.touch(col(table, c));
                }
            }
            Op::AttachPartition { table, partition }
            | Op::DetachPartition {
                table, partition, ..
            } => {
                self.touch_table(table);
                self.touch_table(partition);
            }
            other => {
                for t in other.tables() {
                    self.touch_table(t);
                }
            }
        }
    }
}
