//! The in-memory schema model and its replay of `Op`s.
//!
//! Owns what a sequence of migrations has built: tables, columns (type, nullability,
//! default), indexes, constraints, enum types and views (see [`view`]). Linting a directory replays it so rules
//! can ask "is this table new?" or "is this a safe widening?"; the catalog and runner
//! reuse it. Knows nothing of rules or files.

pub mod view;
pub mod widening;

use crate::classify::op::{
    ColumnSpec, ConstraintKind, ConstraintSpec, Name, ObjectKind, Op, SqlType, ViewChange,
};
use std::collections::BTreeMap;
use std::sync::Arc;
pub use view::{View, ViewColumn, ViewWrites};

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
    /// Views (and materialized views) by normalised name, apart from the tables: rules
    /// ask about tables, queries read both.
    pub views: BTreeMap<Name, Arc<View>>,
}

impl Schema {
    pub fn table(&self, name: &Name) -> Option<&Table> {
        self.tables.get(name).map(|t| &**t)
    }

    pub fn view(&self, name: &Name) -> Option<&View> {
        self.views.get(name).map(|v| &**v)
    }

    /// Is relation `name` (a table, or a view and what it reads) the same in both states
    /// (cheap when neither changed it)?
    pub fn same_table(&self, other: &Schema, name: &Name) -> bool {
        self.same_relation(other, name, 0)
    }

    fn same_relation(&self, other: &Schema, name: &Name, depth: usize) -> bool {
        let same_table = match (self.tables.get(name), other.tables.get(name)) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
            (None, None) => true,
            _ => false,
        };
        if !same_table {
            return false;
        }
        match (self.views.get(name), other.views.get(name)) {
            (None, None) => true,
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) || a == b => {
                // A write through a view meets its base table's columns.
                depth < 16
                    && a.reads
                        .iter()
                        .all(|r| self.same_relation(other, r, depth + 1))
            }
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
                    self.views.remove(t);
                }
                self.drop_dependent_views(tables);
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
                    self.rename_in_views(from, to);
                } else {
                    // `ALTER TABLE v RENAME TO w` and MySQL's `RENAME TABLE` rename views too.
                    self.rename_view(from, to);
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
                // A view that shows the column goes with it (PostgreSQL: `CASCADE`, else the
                // drop fails; MySQL: the view is left unusable).
                let gone: Vec<Name> = self
                    .views
                    .values()
                    .filter(|v| v.uses.iter().any(|(r, c)| r == table && c == column))
                    .map(|v| v.name.clone())
                    .collect();
                for v in &gone {
                    self.views.remove(v);
                }
                self.drop_dependent_views(&gone);
            }
            Op::RenameColumn { table, from, to } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(from)) {
                    c.name = to.clone();
                    self.rename_column_in_views(table, from, to);
                } else if self.views.contains_key(table) {
                    // `ALTER TABLE v RENAME COLUMN` on a view renames the view's column.
                    self.rename_view_column(table, from, to);
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
                    self.views.retain(|t, _| !t.as_str().starts_with(&prefix));
                }
            }
            Op::CreateObject {
                kind: kind @ (ObjectKind::View | ObjectKind::MaterializedView),
                name,
                view,
                ..
            } => {
                let materialized = *kind == ObjectKind::MaterializedView;
                let v = match view {
                    Some(def) => View::resolve(name.clone(), def, self),
                    None => View::opaque(name.clone(), materialized),
                };
                self.views.insert(name.clone(), Arc::new(v));
            }
            Op::DropObject {
                kind: ObjectKind::View | ObjectKind::MaterializedView,
                names,
            } => {
                for n in names {
                    self.views.remove(n);
                }
                self.drop_dependent_views(names);
            }
            Op::AlterObject {
                kind: ObjectKind::View,
                name,
                view: Some(change),
            } => match &**change {
                ViewChange::Define(def) => {
                    let v = View::resolve(name.clone(), def, self);
                    self.views.insert(name.clone(), Arc::new(v));
                }
                ViewChange::Rename(to) => self.rename_view(name, to),
                ViewChange::RenameColumn { from, to } => self.rename_view_column(name, from, to),
            },
            _ => {}
        }
    }

    /// Removes the views that read a removed relation, and the views that read those.
    fn drop_dependent_views(&mut self, removed: &[Name]) {
        let mut removed: Vec<Name> = removed.to_vec();
        while !removed.is_empty() {
            let gone: Vec<Name> = self
                .views
                .values()
                .filter(|v| v.reads.iter().any(|r| removed.contains(r)))
                .map(|v| v.name.clone())
                .collect();
            for v in &gone {
                self.views.remove(v);
            }
            removed = gone;
        }
    }

    /// A renamed relation: views that read it follow it (PostgreSQL keeps a view bound to
    /// the relation, not its name).
    fn rename_in_views(&mut self, from: &Name, to: &Name) {
        for v in self.views.values_mut() {
            let reads = v.reads.contains(from);
            let writes = matches!(&v.writes, ViewWrites::Into(t) if t == from);
            if !reads && !writes {
                continue;
            }
            let v = Arc::make_mut(v);
            for r in v.reads.iter_mut().filter(|r| *r == from) {
                *r = to.clone();
            }
            for (r, _) in v.uses.iter_mut().filter(|(r, _)| r == from) {
                *r = to.clone();
            }
            if writes {
                v.writes = ViewWrites::Into(to.clone());
            }
        }
    }

    fn rename_view(&mut self, from: &Name, to: &Name) {
        if let Some(mut v) = self.views.remove(from) {
            Arc::make_mut(&mut v).name = to.clone();
            self.views.insert(to.clone(), v);
            self.rename_in_views(from, to);
        }
    }

    /// A renamed base column: views keep their column names and follow the base column.
    fn rename_column_in_views(&mut self, table: &Name, from: &Name, to: &Name) {
        for v in self.views.values_mut() {
            if !v.uses.iter().any(|(r, c)| r == table && c == from) {
                continue;
            }
            let v = Arc::make_mut(v);
            for (_, c) in v.uses.iter_mut().filter(|(r, c)| r == table && c == from) {
                *c = to.clone();
            }
            if matches!(&v.writes, ViewWrites::Into(t) if t == table) {
                for c in v.columns.iter_mut() {
                    if c.base.as_ref() == Some(from) {
                        c.base = Some(to.clone());
                    }
                }
            }
        }
    }

    fn rename_view_column(&mut self, view: &Name, from: &Name, to: &Name) {
        if let Some(v) = self.views.get_mut(view) {
            if let Some(c) = Arc::make_mut(v)
                .columns
                .iter_mut()
                .find(|c| &c.name == from)
            {
                c.name = to.clone();
            }
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

#[cfg(test)]
mod view_tests {
    use super::*;
    use crate::dialect::Dialect;

    fn replay(dialect: Dialect, schema: &mut Schema, sql: &str) {
        let settings = crate::lint::LintSettings::new(dialect);
        let source = crate::source::SourceFile::new("m.sql".to_owned(), sql.to_owned());
        crate::lint::lint_input_with(source, Default::default(), &settings, schema);
    }

    fn model(dialect: Dialect, sql: &str) -> Schema {
        let mut s = Schema::default();
        replay(dialect, &mut s, sql);
        s
    }

    fn n(s: &str) -> Name {
        Name::new(s)
    }

    fn cols(v: &View) -> Vec<(String, Option<String>)> {
        v.columns
            .iter()
            .map(|c| {
                (
                    c.name.as_str().to_owned(),
                    c.base.as_ref().map(|b| b.as_str().to_owned()),
                )
            })
            .collect()
    }

    fn pair(a: &str, b: Option<&str>) -> (String, Option<String>) {
        (a.to_owned(), b.map(str::to_owned))
    }

    const BASE: &str = "CREATE TABLE clients (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL, note text);\n";

    #[test]
    fn a_renamed_table_keeps_its_old_name_as_a_view() {
        let mut s = model(Dialect::Postgres, BASE);
        replay(
            Dialect::Postgres,
            &mut s,
            "ALTER TABLE clients RENAME TO customers;\nCREATE VIEW clients AS SELECT * FROM customers;\n",
        );
        assert!(s.table(&n("clients")).is_none());
        let v = s.view(&n("clients")).expect("the view");
        assert_eq!(
            cols(v),
            [
                pair("id", Some("id")),
                pair("name", Some("name")),
                pair("note", Some("note"))
            ]
        );
        assert_eq!(v.writes, ViewWrites::Into(n("customers")));
        assert!(!v.columns_unknown);
        // A column added to the table later is not in the view.
        replay(
            Dialect::Postgres,
            &mut s,
            "ALTER TABLE customers ADD COLUMN tier int;",
        );
        assert_eq!(s.view(&n("clients")).unwrap().columns.len(), 3);
        replay(Dialect::Postgres, &mut s, "DROP VIEW clients;");
        assert!(s.view(&n("clients")).is_none());
        assert!(s.table(&n("customers")).is_some());
    }

    #[test]
    fn aliases_expressions_and_column_lists() {
        let mut s = model(Dialect::Postgres, BASE);
        replay(
            Dialect::Postgres,
            &mut s,
            "CREATE VIEW v AS SELECT c.id AS ident, c.name, lower(c.name) AS low FROM clients c;\n\
             CREATE VIEW w (a, b) AS SELECT id, name FROM clients;\n\
             CREATE VIEW x AS SELECT id + 1 FROM clients;\n\
             CREATE VIEW y AS SELECT * FROM nowhere;\n",
        );
        let v = s.view(&n("v")).unwrap();
        assert_eq!(
            cols(v),
            [
                pair("ident", Some("id")),
                pair("name", Some("name")),
                pair("low", None)
            ]
        );
        assert_eq!(v.writes, ViewWrites::Into(n("clients")));
        let w = s.view(&n("w")).unwrap();
        assert_eq!(cols(w), [pair("a", Some("id")), pair("b", Some("name"))]);
        assert!(s.view(&n("x")).unwrap().columns_unknown);
        assert!(s.view(&n("y")).unwrap().columns_unknown);
        assert_eq!(s.view(&n("y")).unwrap().writes, ViewWrites::Unknown);
        // OR REPLACE takes the new definition.
        replay(
            Dialect::Postgres,
            &mut s,
            "CREATE OR REPLACE VIEW w AS SELECT id FROM clients;",
        );
        assert_eq!(cols(s.view(&n("w")).unwrap()), [pair("id", Some("id"))]);
    }

    #[test]
    fn views_that_take_no_writes_say_why() {
        let mut s = model(Dialect::Postgres, BASE);
        replay(
            Dialect::Postgres,
            &mut s,
            "CREATE TABLE orders (id bigint PRIMARY KEY, client_id bigint NOT NULL, total numeric);\n\
             CREATE VIEW totals AS SELECT client_id, sum(total) AS total FROM orders GROUP BY client_id;\n\
             CREATE VIEW names AS SELECT DISTINCT name FROM clients;\n\
             CREATE VIEW joined AS SELECT c.*, o.total FROM clients c JOIN orders o ON o.client_id = c.id;\n\
             CREATE VIEW firsts AS SELECT id FROM clients LIMIT 10;\n\
             CREATE VIEW over_totals AS SELECT * FROM totals;\n\
             CREATE VIEW over_clients AS SELECT id, name FROM clients;\n\
             CREATE VIEW over_over AS SELECT name FROM over_clients;\n",
        );
        let refused = |name: &str| match &s.view(&n(name)).unwrap().writes {
            ViewWrites::Refused(r) => r.clone(),
            w => panic!("{name}: {w:?}"),
        };
        assert!(
            refused("totals").contains("GROUP BY"),
            "{}",
            refused("totals")
        );
        assert!(refused("totals").contains("aggregate"));
        assert!(refused("names").contains("DISTINCT"));
        assert!(refused("joined").contains("more than one table"));
        assert!(refused("firsts").contains("LIMIT"));
        assert!(refused("over_totals").contains("`totals`"));
        let joined = s.view(&n("joined")).unwrap();
        assert_eq!(
            cols(joined),
            [
                pair("id", None),
                pair("name", None),
                pair("note", None),
                pair("total", None)
            ]
        );
        // A simple view over a simple view writes into the table.
        let oo = s.view(&n("over_over")).unwrap();
        assert_eq!(oo.writes, ViewWrites::Into(n("clients")));
        assert_eq!(cols(oo), [pair("name", Some("name"))]);
    }

    #[test]
    fn renames_and_drops_follow_dependencies() {
        let mut s = model(Dialect::Postgres, BASE);
        replay(
            Dialect::Postgres,
            &mut s,
            "CREATE VIEW v AS SELECT id, name FROM clients;\nALTER VIEW v RENAME TO w;\n\
             ALTER TABLE clients RENAME COLUMN name TO full_name;\nALTER TABLE clients RENAME TO people;",
        );
        assert!(s.view(&n("v")).is_none());
        let w = s.view(&n("w")).unwrap();
        // The view keeps its column names and follows the table and its column.
        assert_eq!(
            cols(w),
            [pair("id", Some("id")), pair("name", Some("full_name"))]
        );
        assert_eq!(w.writes, ViewWrites::Into(n("people")));
        let before = s.clone();
        replay(
            Dialect::Postgres,
            &mut s,
            "ALTER TABLE people ADD COLUMN x int;",
        );
        assert!(
            !before.same_table(&s, &n("w")),
            "a view changes with its table"
        );
        replay(
            Dialect::Postgres,
            &mut s,
            "ALTER TABLE people DROP COLUMN x;",
        );
        assert!(s.view(&n("w")).is_some(), "a column the view does not show");
        replay(
            Dialect::Postgres,
            &mut s,
            "ALTER TABLE people DROP COLUMN full_name CASCADE;",
        );
        assert!(
            s.view(&n("w")).is_none(),
            "the view shows the dropped column"
        );
        replay(
            Dialect::Postgres,
            &mut s,
            "CREATE VIEW a AS SELECT id FROM people;\nCREATE VIEW b AS SELECT id FROM a;\nDROP TABLE people CASCADE;",
        );
        assert!(s.views.is_empty(), "{:?}", s.views.keys());
    }

    #[test]
    fn mysql_algorithms_and_renames() {
        let mut s = model(
            Dialect::Mysql,
            "CREATE TABLE clients (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n\
             RENAME TABLE clients TO customers;\n\
             CREATE ALGORITHM=MERGE VIEW clients AS SELECT * FROM customers;\n\
             CREATE ALGORITHM=TEMPTABLE VIEW frozen AS SELECT id FROM customers;\n",
        );
        let v = s.view(&n("clients")).expect("the MERGE view");
        assert_eq!(v.writes, ViewWrites::Into(n("customers")));
        assert_eq!(
            cols(v),
            [pair("id", Some("id")), pair("name", Some("name"))]
        );
        assert!(matches!(
            &s.view(&n("frozen")).unwrap().writes,
            ViewWrites::Refused(r) if r.contains("TEMPTABLE")
        ));
        replay(
            Dialect::Mysql,
            &mut s,
            "RENAME TABLE frozen TO thawed;\nALTER VIEW thawed AS SELECT id, name FROM customers;",
        );
        let t = s.view(&n("thawed")).unwrap();
        assert_eq!(t.writes, ViewWrites::Into(n("customers")));
        assert_eq!(t.columns.len(), 2);
    }
}
