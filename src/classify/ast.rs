//! sqlparser AST → `Op`s.
//!
//! Owns reading the parts of sqlparser's AST that matter for safety. Anything it does not
//! model becomes `Op::Other` (SQL we read but do not reason about) or `Op::Inert`.

use super::locks::LockLevel;
use super::op::*;
use super::types::{function_kind, parse_column_type, parse_type};
use super::view::view_def;
use crate::dialect::Dialect;
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AlterTypeOperation, AlterViewOperation, ColumnDef,
    ColumnOption, CreateIndex, CreateTable, DetachPartitionMode, Expr, FromTable, GeneratedAs,
    GeneratedExpressionMode, ObjectName, ObjectNamePart, ObjectType, Statement, TableConstraint,
    TableFactor, TableObject, TableWithJoins, UserDefinedTypeRepresentation,
};
use std::sync::Arc;

/// Classifies one parsed statement into its operations.
pub fn classify(stmt: &Statement, dialect: Dialect) -> Vec<Op> {
    let cx = Cx { dialect };
    cx.statement(stmt)
}

struct Cx {
    dialect: Dialect,
}

/// The normalised name of a sqlparser object name.
pub fn object_name(name: &ObjectName, dialect: Dialect) -> Name {
    Name::from_parts(
        name.0.iter().map(|part| match part {
            ObjectNamePart::Identifier(id) => (id.value.as_str(), id.quote_style.is_some()),
            ObjectNamePart::Function(_) => ("?", false),
        }),
        dialect,
    )
}

/// The normalised name of one identifier.
pub fn ident_name(id: &sqlparser::ast::Ident, dialect: Dialect) -> Name {
    Name::from_parts([(id.value.as_str(), id.quote_style.is_some())], dialect)
}

/// The normalised name of a dotted list of identifiers (`t.c`, `s.t.c`).
pub fn idents_name(ids: &[sqlparser::ast::Ident], dialect: Dialect) -> Name {
    Name::from_parts(
        ids.iter()
            .map(|id| (id.value.as_str(), id.quote_style.is_some())),
        dialect,
    )
}

impl Cx {
    fn name(&self, name: &ObjectName) -> Name {
        object_name(name, self.dialect)
    }

    fn ident(&self, id: &sqlparser::ast::Ident) -> Name {
        ident_name(id, self.dialect)
    }

    fn statement(&self, stmt: &Statement) -> Vec<Op> {
        match stmt {
            Statement::CreateTable(ct) => vec![self.create_table(ct)],
            Statement::AlterTable(alter) => {
                let table = self.name(&alter.name);
                let ops: Vec<Op> = alter
                    .operations
                    .iter()
                    .flat_map(|op| self.alter_table_op(&table, op))
                    .collect();
                if ops.is_empty() {
                    vec![Op::AlterTableOther {
                        table,
                        what: "alter table".into(),
                    }]
                } else {
                    ops
                }
            }
            Statement::CreateIndex(ci) => vec![self.create_index(ci)],
            Statement::Drop {
                object_type,
                if_exists,
                names,
                table,
                ..
            } => {
                let names: Vec<Name> = names.iter().map(|n| self.name(n)).collect();
                vec![match object_type {
                    ObjectType::Table => Op::DropTable {
                        tables: names,
                        if_exists: *if_exists,
                    },
                    ObjectType::Index => Op::DropIndex {
                        names,
                        table: table.as_ref().map(|t| self.name(t)),
                        concurrently: false,
                        if_exists: *if_exists,
                    },
                    ObjectType::Schema => Op::DropSchema {
                        names,
                        database: self.dialect == Dialect::Mysql,
                    },
                    ObjectType::Database => Op::DropSchema {
                        names,
                        database: true,
                    },
                    ObjectType::View => Op::DropObject {
                        kind: ObjectKind::View,
                        names,
                    },
                    ObjectType::MaterializedView => Op::DropObject {
                        kind: ObjectKind::MaterializedView,
                        names,
                    },
                    ObjectType::Sequence => Op::DropObject {
                        kind: ObjectKind::Sequence,
                        names,
                    },
                    ObjectType::Type => Op::DropObject {
                        kind: ObjectKind::Type,
                        names,
                    },
                    ObjectType::Role | ObjectType::User | ObjectType::Group => Op::DropObject {
                        kind: ObjectKind::Role,
                        names,
                    },
                    _ => Op::DropObject {
                        kind: ObjectKind::Other,
                        names,
                    },
                }]
            }
            Statement::DropFunction(df) => vec![Op::DropObject {
                kind: ObjectKind::Function,
                names: df.func_desc.iter().map(|f| self.name(&f.name)).collect(),
            }],
            Statement::DropTrigger(dt) => vec![Op::DropObject {
                kind: ObjectKind::Trigger,
                names: vec![self.name(&dt.trigger_name)],
            }],
            Statement::DropProcedure { proc_desc, .. } => vec![Op::DropObject {
                kind: ObjectKind::Procedure,
                names: proc_desc.iter().map(|f| self.name(&f.name)).collect(),
            }],
            Statement::DropDomain(d) => vec![Op::DropObject {
                kind: ObjectKind::Domain,
                names: vec![self.name(&d.name)],
            }],
            Statement::DropPolicy(p) => vec![Op::DropObject {
                kind: ObjectKind::Policy,
                names: vec![self.ident(&p.name)],
            }],
            Statement::DropExtension(e) => vec![Op::DropObject {
                kind: ObjectKind::Extension,
                names: e.names.iter().map(|n| self.ident(n)).collect(),
            }],
            Statement::Truncate(t) => vec![Op::Truncate {
                tables: t.table_names.iter().map(|t| self.name(&t.name)).collect(),
            }],
            Statement::RenameTable(renames) => renames
                .iter()
                .map(|r| Op::RenameTable {
                    from: self.name(&r.old_name),
                    to: self.name(&r.new_name),
                })
                .collect(),
            Statement::Insert(insert) => {
                let table = match &insert.table {
                    TableObject::TableName(n) => self.name(n),
                    _ => Name::new("?"),
                };
                let from_select = insert
                    .source
                    .as_ref()
                    .map(|q| !matches!(*q.body, sqlparser::ast::SetExpr::Values(_)))
                    .unwrap_or(false);
                // `INSERT … WITH d AS (DELETE … RETURNING …) SELECT …` changes `d`'s table too.
                let mut ops = insert
                    .source
                    .as_ref()
                    .map(|q| self.query_dml(q))
                    .unwrap_or_default();
                ops.push(Op::Insert {
                    table,
                    from_select,
                    columns: insert
                        .columns
                        .iter()
                        .map(|c| Name::new(self.name(c).unqualified().to_owned()))
                        .collect(),
                });
                ops
            }
            Statement::Update(update) => vec![Op::Update {
                table: self.table_with_joins(&update.table),
                has_where: update.selection.is_some(),
                has_limit: update.limit.is_some(),
            }],
            Statement::Delete(delete) => {
                let table = delete
                    .tables
                    .first()
                    .map(|n| self.name(n))
                    .or_else(|| {
                        let from = match &delete.from {
                            FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f) => f,
                        };
                        from.first().map(|t| self.table_with_joins(t))
                    })
                    .unwrap_or_else(|| Name::new("?"));
                vec![Op::Delete {
                    table,
                    has_where: delete.selection.is_some(),
                    has_limit: delete.limit.is_some(),
                }]
            }
            Statement::Merge(m) => vec![Op::Update {
                table: self.table_factor(&m.table),
                has_where: true,
                has_limit: false,
            }],
            Statement::Query(query) => {
                let ops = self.query_dml(query);
                if ops.is_empty() {
                    vec![Op::Select]
                } else {
                    ops
                }
            }
            Statement::StartTransaction { statements, .. } if statements.is_empty() => {
                vec![Op::Transaction(TxControl::Begin)]
            }
            Statement::StartTransaction { .. } => vec![Op::Procedural {
                what: "block".into(),
            }],
            Statement::Commit { .. } => vec![Op::Transaction(TxControl::Commit)],
            Statement::Rollback { savepoint, .. } => {
                vec![Op::Transaction(if savepoint.is_some() {
                    TxControl::RollbackToSavepoint
                } else {
                    TxControl::Rollback
                })]
            }
            Statement::Savepoint { .. } => vec![Op::Transaction(TxControl::Savepoint)],
            Statement::ReleaseSavepoint { .. } => {
                vec![Op::Transaction(TxControl::ReleaseSavepoint)]
            }
            Statement::Set(set) => self.set(set),
            Statement::CreateView(view) => {
                let columns: Vec<sqlparser::ast::Ident> =
                    view.columns.iter().map(|c| c.name.clone()).collect();
                let algorithm = view.params.as_ref().and_then(|p| p.algorithm.as_ref());
                vec![Op::CreateObject {
                    kind: if view.materialized {
                        ObjectKind::MaterializedView
                    } else {
                        ObjectKind::View
                    },
                    name: self.name(&view.name),
                    on_table: None,
                    view: Some(Arc::new(view_def(
                        &columns,
                        &view.query,
                        algorithm,
                        view.materialized,
                        self.dialect,
                    ))),
                }]
            }
            Statement::CreateFunction(f) => vec![Op::CreateObject {
                kind: ObjectKind::Function,
                name: self.name(&f.name),
                on_table: None,
                view: None,
            }],
            Statement::CreateProcedure { name, .. } => vec![Op::CreateObject {
                kind: ObjectKind::Procedure,
                name: self.name(name),
                on_table: None,
                view: None,
            }],
            Statement::CreateTrigger(t) => vec![Op::CreateObject {
                kind: ObjectKind::Trigger,
                name: self.name(&t.name),
                on_table: Some(self.name(&t.table_name)),
                view: None,
            }],
            Statement::CreatePolicy(p) => vec![Op::CreateObject {
                kind: ObjectKind::Policy,
                name: self.ident(&p.name),
                on_table: Some(self.name(&p.table_name)),
                view: None,
            }],
            Statement::CreateSequence { name, .. } => vec![Op::CreateObject {
                kind: ObjectKind::Sequence,
                name: self.name(name),
                on_table: None,
                view: None,
            }],
            Statement::CreateExtension(e) => vec![Op::CreateObject {
                kind: ObjectKind::Extension,
                name: self.ident(&e.name),
                on_table: None,
                view: None,
            }],
            Statement::CreateDomain(d) => vec![Op::CreateObject {
                kind: ObjectKind::Domain,
                name: self.name(&d.name),
                on_table: None,
                view: None,
            }],
            Statement::CreateRole(_) | Statement::CreateUser(_) => vec![Op::Inert {
                what: "create role".into(),
            }],
            Statement::CreateType {
                name,
                representation,
            } => match representation {
                Some(UserDefinedTypeRepresentation::Enum { labels }) => vec![Op::CreateEnum {
                    name: self.name(name),
                    values: labels.iter().map(|l| l.value.clone()).collect(),
                }],
                _ => vec![Op::CreateObject {
                    kind: ObjectKind::Type,
                    name: self.name(name),
                    on_table: None,
                    view: None,
                }],
            },
            Statement::AlterType(at) => match &at.operation {
                AlterTypeOperation::AddValue(add) => vec![Op::AddEnumValue {
                    name: self.name(&at.name),
                    value: add.value.value.clone(),
                }],
                _ => vec![Op::AlterObject {
                    kind: ObjectKind::Type,
                    name: self.name(&at.name),
                    view: None,
                }],
            },
            Statement::AlterView(v) => {
                let change = match &v.operation {
                    AlterViewOperation::As { columns, query, .. } if !v.materialized => Some(
                        ViewChange::Define(view_def(columns, query, None, false, self.dialect)),
                    ),
                    AlterViewOperation::RenameTo { new_name } => {
                        Some(ViewChange::Rename(self.name(new_name)))
                    }
                    AlterViewOperation::RenameColumn {
                        old_column_name,
                        new_column_name,
                    } => Some(ViewChange::RenameColumn {
                        from: self.ident(old_column_name),
                        to: self.ident(new_column_name),
                    }),
                    _ => None,
                };
                vec![Op::AlterObject {
                    kind: ObjectKind::View,
                    name: self.name(&v.name),
                    view: change.map(Arc::new),
                }]
            }
            Statement::AlterIndex { name, operation } => match operation {
                sqlparser::ast::AlterIndexOperation::RenameIndex { index_name } => {
                    vec![Op::RenameIndex {
                        table: None,
                        from: self.name(name),
                        to: self.name(index_name),
                    }]
                }
            },
            Statement::CreateSchema { schema_name, .. } => vec![Op::CreateSchema {
                name: Name::new(schema_name.to_string().trim_matches('"').to_lowercase()),
            }],
            Statement::CreateDatabase { db_name, .. } => vec![Op::CreateSchema {
                name: self.name(db_name),
            }],
            Statement::OptimizeTable { name, .. } => vec![Op::RebuildTable {
                table: self.name(name),
                how: "optimize".into(),
            }],
            Statement::RefreshMaterializedView(r) => vec![Op::RefreshMaterializedView {
                name: self.name(&r.name),
                concurrently: r.concurrently,
            }],
            Statement::Vacuum(v) => {
                let table = v.table_name.as_ref().map(|t| self.name(t));
                vec![if v.full {
                    Op::VacuumFull { table }
                } else {
                    Op::Vacuum { table }
                }]
            }
            Statement::Lock(lock) => vec![Op::LockTable {
                tables: lock.tables.iter().map(|t| self.name(&t.name)).collect(),
                mode: lock
                    .lock_mode
                    .as_ref()
                    .map_or(LockLevel::AccessExclusive, lock_level),
            }],
            Statement::Comment { .. }
            | Statement::Grant(_)
            | Statement::Revoke(_)
            | Statement::GrantRole(_)
            | Statement::RevokeRole(_)
            | Statement::AlterDefaultPrivileges(_)
            | Statement::Analyze(_)
            | Statement::LockTables { .. }
            | Statement::UnlockTables
            | Statement::Use(_)
            | Statement::Reset(_)
            | Statement::Discard { .. }
            | Statement::NOTIFY { .. }
            | Statement::LISTEN { .. }
            | Statement::UNLISTEN { .. }
            | Statement::Flush { .. }
            | Statement::AlterRole { .. }
            | Statement::AlterUser(_)
            | Statement::Explain { .. }
            | Statement::ExplainTable { .. } => vec![Op::Inert {
                what: leading_words(stmt),
            }],
            Statement::Call(_) | Statement::Execute { .. } => vec![Op::Procedural {
                what: leading_words(stmt),
            }],
            _ if leading_words(stmt).starts_with("show") => vec![Op::Inert {
                what: leading_words(stmt),
            }],
            _ => vec![Op::Other {
                what: leading_words(stmt),
            }],
        }
    }

    /// The data changes of a query: `WITH … UPDATE / INSERT / DELETE` is its final
    /// statement, and a data-modifying CTE (`WITH x AS (DELETE … RETURNING …) SELECT …`)
    /// changes its table whatever the final statement is. Empty for a plain query.
    fn query_dml(&self, query: &sqlparser::ast::Query) -> Vec<Op> {
        let mut ops: Vec<Op> = query
            .with
            .iter()
            .flat_map(|with| &with.cte_tables)
            .flat_map(|cte| self.query_dml(&cte.query))
            .collect();
        ops.extend(self.set_expr_dml(&query.body));
        ops
    }

    fn set_expr_dml(&self, body: &sqlparser::ast::SetExpr) -> Vec<Op> {
        use sqlparser::ast::SetExpr;
        match body {
            SetExpr::Insert(stmt)
            | SetExpr::Update(stmt)
            | SetExpr::Delete(stmt)
            | SetExpr::Merge(stmt) => self.statement(stmt),
            SetExpr::Query(inner) => self.query_dml(inner),
            SetExpr::SetOperation { left, right, .. } => {
                let mut ops = self.set_expr_dml(left);
                ops.extend(self.set_expr_dml(right));
                ops
            }
            SetExpr::Select(_) | SetExpr::Values(_) | SetExpr::Table(_) => Vec::new(),
        }
    }

    fn table_with_joins(&self, t: &TableWithJoins) -> Name {
        self.table_factor(&t.relation)
    }

    fn table_factor(&self, t: &TableFactor) -> Name {
        match t {
            TableFactor::Table { name, .. } => self.name(name),
            _ => Name::new("?"),
        }
    }

    fn set(&self, set: &sqlparser::ast::Set) -> Vec<Op> {
        use sqlparser::ast::{ContextModifier, Set};
        match set {
            Set::SingleAssignment {
                scope,
                variable,
                values,
                ..
            } => {
                let name = variable.to_string().to_ascii_lowercase();
                let name = name
                    .trim_start_matches("@@session.")
                    .trim_start_matches("@@global.")
                    .trim_start_matches("@@")
                    .to_owned();
                vec![Op::Set {
                    name,
                    value: values
                        .iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                        .trim_matches('\'')
                        .to_owned(),
                    local: matches!(scope, Some(ContextModifier::Local)),
                }]
            }
            Set::MultipleAssignments { assignments } => assignments
                .iter()
                .map(|a| Op::Set {
                    name: a.name.to_string().to_ascii_lowercase(),
                    value: a.value.to_string().trim_matches('\'').to_owned(),
                    local: false,
                })
                .collect(),
            // `SET [LOCAL] TIME ZONE 'UTC'` is `SET timezone = 'UTC'`.
            Set::SetTimeZone { local, value } => vec![Op::Set {
                name: "timezone".into(),
                value: value.to_string().trim_matches('\'').to_owned(),
                local: *local,
            }],
            _ => vec![Op::Inert { what: "set".into() }],
        }
    }

    fn create_table(&self, ct: &CreateTable) -> Op {
        let table = self.name(&ct.name);
        let mut constraints: Vec<ConstraintSpec> = ct
            .constraints
            .iter()
            .filter_map(|c| self.constraint(c, false))
            .collect();
        let columns: Vec<ColumnSpec> = ct
            .columns
            .iter()
            .map(|c| {
                self.column(
                    &c.name,
                    &c.data_type,
                    &c.options.iter().map(|o| &o.option).collect::<Vec<_>>(),
                )
            })
            .collect();
        // A table-level PRIMARY KEY makes its columns NOT NULL.
        let mut columns = columns;
        for c in &constraints {
            if let ConstraintKind::PrimaryKey { columns: pk } = &c.kind {
                for col in columns.iter_mut() {
                    if pk.contains(&col.name) {
                        col.not_null = true;
                    }
                }
            }
        }
        constraints.retain(|_| true);
        Op::CreateTable {
            table,
            columns,
            constraints,
            if_not_exists: ct.if_not_exists,
            columns_unknown: ct.query.is_some() || ct.like.is_some() || ct.clone.is_some(),
            partition_of: ct.partition_of.as_ref().map(|p| self.name(p)),
        }
    }

    fn column_def(&self, def: &ColumnDef) -> ColumnSpec {
        let options: Vec<&ColumnOption> = def.options.iter().map(|o| &o.option).collect();
        self.column(&def.name, &def.data_type, &options)
    }

    fn column(
        &self,
        name: &sqlparser::ast::Ident,
        data_type: &sqlparser::ast::DataType,
        options: &[&ColumnOption],
    ) -> ColumnSpec {
        let (ty, serial) = parse_column_type(&data_type.to_string(), self.dialect);
        let mut spec = ColumnSpec {
            name: self.ident(name),
            serial,
            ty,
            ..ColumnSpec::default()
        };
        for opt in options {
            match opt {
                ColumnOption::NotNull => spec.not_null = true,
                ColumnOption::Null => spec.not_null = false,
                // `DEFAULT NULL` is no default: every existing row reads NULL.
                ColumnOption::Default(expr) => {
                    spec.default = (!is_null(expr)).then(|| self.default_kind(expr))
                }
                ColumnOption::PrimaryKey(_) => {
                    spec.primary_key = true;
                    spec.not_null = true;
                }
                ColumnOption::Unique(_) => spec.unique = true,
                ColumnOption::ForeignKey(fk) => {
                    spec.references = Some(self.name(&fk.foreign_table))
                }
                ColumnOption::Check(_) => spec.check = true,
                ColumnOption::CharacterSet(cs) => {
                    spec.ty.charset = Some(cs.to_string().to_ascii_lowercase())
                }
                ColumnOption::Generated {
                    generated_as,
                    generation_expr,
                    generation_expr_mode,
                    ..
                } => {
                    if generation_expr.is_some() {
                        spec.generated = Some(match generation_expr_mode {
                            Some(GeneratedExpressionMode::Stored) => Generated::Stored,
                            // PostgreSQL (before 18) only has STORED; MySQL defaults to VIRTUAL.
                            None if self.dialect == Dialect::Postgres => Generated::Stored,
                            _ => Generated::Virtual,
                        });
                    } else if matches!(generated_as, GeneratedAs::Always | GeneratedAs::ByDefault) {
                        spec.identity = true;
                    }
                }
                ColumnOption::Identity(_) => spec.identity = true,
                ColumnOption::DialectSpecific(tokens)
                    if tokens
                        .iter()
                        .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")) =>
                {
                    spec.auto_increment = true;
                }
                _ => {}
            }
        }
        spec
    }

    fn default_kind(&self, expr: &Expr) -> DefaultKind {
        match self.expr_stability(expr) {
            Stability::Constant => DefaultKind::Constant,
            Stability::Stable => DefaultKind::Stable,
            Stability::Volatile => DefaultKind::Volatile(expr.to_string()),
            Stability::Other => DefaultKind::Expression(expr.to_string()),
        }
    }

    /// The least stable part of an expression decides.
    fn expr_stability(&self, expr: &Expr) -> Stability {
        match expr {
            Expr::Value(_) | Expr::TypedString { .. } => Stability::Constant,
            Expr::Nested(e) | Expr::UnaryOp { expr: e, .. } | Expr::Cast { expr: e, .. } => {
                self.expr_stability(e)
            }
            Expr::BinaryOp { left, right, .. } => {
                self.expr_stability(left).max(self.expr_stability(right))
            }
            // `interval '1 day'` is a literal; `now() AT TIME ZONE 'utc'` is as stable as
            // its parts.
            Expr::Interval(_) => Stability::Constant,
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => self
                .expr_stability(timestamp)
                .max(self.expr_stability(time_zone)),
            Expr::Array(arr) => arr
                .elem
                .iter()
                .map(|e| self.expr_stability(e))
                .max()
                .unwrap_or(Stability::Constant),
            Expr::Function(f) => {
                let name = f.name.to_string();
                match function_kind(&name) {
                    Some(true) => Stability::Volatile,
                    Some(false) => {
                        let args = match &f.args {
                            sqlparser::ast::FunctionArguments::List(list) => list
                                .args
                                .iter()
                                .filter_map(|a| match a {
                                    sqlparser::ast::FunctionArg::Unnamed(
                                        sqlparser::ast::FunctionArgExpr::Expr(e),
                                    ) => Some(self.expr_stability(e)),
                                    _ => None,
                                })
                                .max()
                                .unwrap_or(Stability::Constant),
                            _ => Stability::Constant,
                        };
                        args.max(Stability::Stable)
                    }
                    None => Stability::Other,
                }
            }
            Expr::Identifier(id) => match function_kind(&id.value) {
                Some(false) => Stability::Stable,
                Some(true) => Stability::Volatile,
                None if matches!(
                    id.value.to_ascii_lowercase().as_str(),
                    "true" | "false" | "null"
                ) =>
                {
                    Stability::Constant
                }
                None => Stability::Other,
            },
            _ => Stability::Other,
        }
    }

    fn constraint(&self, c: &TableConstraint, not_valid: bool) -> Option<ConstraintSpec> {
        let cols = |cols: &[sqlparser::ast::IndexColumn]| -> Vec<Name> {
            cols.iter()
                .map(|ic| match &ic.column.expr {
                    Expr::Identifier(id) => self.ident(id),
                    other => Name::new(other.to_string()),
                })
                .collect()
        };
        let opt_name = |n: &Option<sqlparser::ast::Ident>| n.as_ref().map(|n| self.ident(n));
        let spec = match c {
            TableConstraint::Check(check) => ConstraintSpec {
                name: opt_name(&check.name),
                kind: ConstraintKind::Check {
                    not_null_of: match check.expr.as_ref() {
                        Expr::IsNotNull(inner) => match inner.as_ref() {
                            Expr::Identifier(id) => Some(self.ident(id)),
                            _ => None,
                        },
                        Expr::Nested(n) => match n.as_ref() {
                            Expr::IsNotNull(inner) => match inner.as_ref() {
                                Expr::Identifier(id) => Some(self.ident(id)),
                                _ => None,
                            },
                            _ => None,
                        },
                        _ => None,
                    },
                },
                not_valid,
                using_index: None,
            },
            TableConstraint::ForeignKey(fk) => ConstraintSpec {
                name: opt_name(&fk.name),
                kind: ConstraintKind::ForeignKey {
                    columns: fk.columns.iter().map(|c| self.ident(c)).collect(),
                    references: self.name(&fk.foreign_table),
                },
                not_valid,
                using_index: None,
            },
            TableConstraint::Unique(u) => ConstraintSpec {
                name: opt_name(&u.name).or_else(|| opt_name(&u.index_name)),
                kind: ConstraintKind::Unique {
                    columns: cols(&u.columns),
                },
                not_valid,
                using_index: None,
            },
            TableConstraint::PrimaryKey(pk) => ConstraintSpec {
                name: opt_name(&pk.name),
                kind: ConstraintKind::PrimaryKey {
                    columns: cols(&pk.columns),
                },
                not_valid,
                using_index: None,
            },
            TableConstraint::UniqueUsingIndex(u) => ConstraintSpec {
                name: opt_name(&u.name),
                kind: ConstraintKind::Unique { columns: vec![] },
                not_valid,
                using_index: Some(self.ident(&u.index_name)),
            },
            TableConstraint::PrimaryKeyUsingIndex(u) => ConstraintSpec {
                name: opt_name(&u.name),
                kind: ConstraintKind::PrimaryKey { columns: vec![] },
                not_valid,
                using_index: Some(self.ident(&u.index_name)),
            },
            TableConstraint::Exclude(ex) => ConstraintSpec {
                name: opt_name(&ex.name),
                kind: ConstraintKind::Exclude,
                not_valid,
                using_index: None,
            },
            TableConstraint::Index(_) | TableConstraint::FulltextOrSpatial(_) => return None,
        };
        Some(spec)
    }

    /// A MySQL `INDEX`/`KEY`/`FULLTEXT` clause inside ALTER TABLE ADD or CREATE TABLE, and
    /// a MySQL `ADD UNIQUE [INDEX | KEY]`: MySQL has no unique constraint apart from its
    /// index, so it is the same operation as `CREATE UNIQUE INDEX` (same phase, same
    /// algorithm).
    fn index_constraint(&self, table: &Name, c: &TableConstraint) -> Option<Op> {
        let cols = |cols: &[sqlparser::ast::IndexColumn]| -> Vec<Name> {
            cols.iter()
                .map(|ic| match &ic.column.expr {
                    Expr::Identifier(id) => self.ident(id),
                    other => Name::new(other.to_string()),
                })
                .collect()
        };
        match c {
            TableConstraint::Unique(u) if self.dialect == Dialect::Mysql => Some(Op::CreateIndex {
                name: u
                    .index_name
                    .as_ref()
                    .or(u.name.as_ref())
                    .map(|n| self.ident(n)),
                table: table.clone(),
                columns: cols(&u.columns),
                unique: true,
                concurrently: false,
                if_not_exists: false,
                kind: IndexKind::Plain,
                only: false,
            }),
            TableConstraint::Index(ix) => Some(Op::CreateIndex {
                name: ix.name.as_ref().map(|n| self.ident(n)),
                table: table.clone(),
                columns: cols(&ix.columns),
                unique: false,
                concurrently: false,
                if_not_exists: false,
                kind: IndexKind::Plain,
                only: false,
            }),
            TableConstraint::FulltextOrSpatial(ix) => Some(Op::CreateIndex {
                name: ix.opt_index_name.as_ref().map(|n| self.ident(n)),
                table: table.clone(),
                columns: cols(&ix.columns),
                unique: false,
                concurrently: false,
                if_not_exists: false,
                kind: if ix.fulltext {
                    IndexKind::Fulltext
                } else {
                    IndexKind::Spatial
                },
                only: false,
            }),
            _ => None,
        }
    }

    fn alter_table_op(&self, table: &Name, op: &AlterTableOperation) -> Vec<Op> {
        let t = || table.clone();
        let one = |op: Op| vec![op];
        match op {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                column_position,
                ..
            } => one(Op::AddColumn {
                table: t(),
                column: ColumnSpec {
                    placed: column_position.is_some(),
                    ..self.column_def(column_def)
                },
                if_not_exists: *if_not_exists,
            }),
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => column_names
                .iter()
                .map(|c| Op::DropColumn {
                    table: t(),
                    column: self.ident(c),
                    if_exists: *if_exists,
                })
                .collect(),
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => one(Op::RenameColumn {
                table: t(),
                from: self.ident(old_column_name),
                to: self.ident(new_column_name),
            }),
            AlterTableOperation::RenameTable { table_name } => {
                let to = match table_name {
                    sqlparser::ast::RenameTableNameKind::As(n)
                    | sqlparser::ast::RenameTableNameKind::To(n) => self.name(n),
                };
                one(Op::RenameTable { from: t(), to })
            }
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => {
                if let Some(index) = self.index_constraint(table, constraint) {
                    return one(index);
                }
                match self.constraint(constraint, *not_valid) {
                    Some(spec) => one(Op::AddConstraint {
                        table: t(),
                        constraint: spec,
                    }),
                    None => vec![],
                }
            }
            AlterTableOperation::ValidateConstraint { name } => one(Op::ValidateConstraint {
                table: t(),
                name: self.ident(name),
            }),
            AlterTableOperation::DropConstraint { name, .. }
            | AlterTableOperation::DropForeignKey { name, .. } => one(Op::DropConstraint {
                table: t(),
                name: self.ident(name),
            }),
            AlterTableOperation::DropPrimaryKey { .. } => one(Op::DropConstraint {
                table: t(),
                name: Name::new("primary"),
            }),
            AlterTableOperation::DropIndex { name } => one(Op::DropIndex {
                names: vec![self.ident(name)],
                table: Some(t()),
                concurrently: false,
                if_exists: false,
            }),
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                one(Op::RenameConstraint {
                    table: t(),
                    from: self.ident(old_name),
                    to: self.ident(new_name),
                })
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let column = self.ident(column_name);
                one(match op {
                    AlterColumnOperation::SetNotNull => Op::SetNotNull { table: t(), column },
                    AlterColumnOperation::DropNotNull => Op::DropNotNull { table: t(), column },
                    AlterColumnOperation::SetDefault { value } => Op::SetDefault {
                        table: t(),
                        column,
                        default: self.default_kind(value),
                    },
                    AlterColumnOperation::DropDefault => Op::DropDefault { table: t(), column },
                    AlterColumnOperation::SetDataType {
                        data_type, using, ..
                    } => Op::AlterColumnType {
                        table: t(),
                        column,
                        ty: parse_type(&data_type.to_string()),
                        using: using.is_some(),
                    },
                    AlterColumnOperation::AddGenerated { .. } => Op::AlterTableOther {
                        table: t(),
                        what: "add identity".into(),
                    },
                    _ => Op::AlterTableOther {
                        table: t(),
                        what: "alter column".into(),
                    },
                })
            }
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                ..
            } => {
                let options: Vec<&ColumnOption> = options.iter().collect();
                one(Op::RedefineColumn {
                    table: t(),
                    from: self.ident(old_name),
                    column: self.column(new_name, data_type, &options),
                })
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                options,
                ..
            } => {
                let options: Vec<&ColumnOption> = options.iter().collect();
                one(Op::RedefineColumn {
                    table: t(),
                    from: self.ident(col_name),
                    column: self.column(col_name, data_type, &options),
                })
            }
            AlterTableOperation::AttachPartitionOf { partition, .. } => one(Op::AttachPartition {
                table: t(),
                partition: self.name(partition),
            }),
            AlterTableOperation::DetachPartitionOf { partition, mode } => {
                one(Op::DetachPartition {
                    table: t(),
                    partition: self.name(partition),
                    concurrently: matches!(
                        mode,
                        Some(DetachPartitionMode::Concurrently | DetachPartitionMode::Finalize)
                    ),
                })
            }
            AlterTableOperation::SetLogged => one(Op::SetLogged {
                table: t(),
                logged: true,
            }),
            AlterTableOperation::SetUnlogged => one(Op::SetLogged {
                table: t(),
                logged: false,
            }),
            AlterTableOperation::Algorithm { algorithm, .. } => one(Op::AlterAlgorithm {
                table: t(),
                algorithm: algorithm.to_string().to_ascii_uppercase(),
            }),
            AlterTableOperation::Lock { lock, .. } => one(Op::AlterLock {
                table: t(),
                lock: lock.to_string().to_ascii_uppercase(),
            }),
            AlterTableOperation::DropPartitions { .. } => one(Op::Truncate { tables: vec![t()] }),
            other => one(Op::AlterTableOther {
                table: t(),
                what: other
                    .to_string()
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_ascii_lowercase(),
            }),
        }
    }

    fn create_index(&self, ci: &CreateIndex) -> Op {
        let kind = match ci
            .using
            .as_ref()
            .map(|u| u.to_string().to_ascii_lowercase())
        {
            Some(u) if u == "fulltext" => IndexKind::Fulltext,
            Some(u) if u == "spatial" => IndexKind::Spatial,
            _ => IndexKind::Plain,
        };
        Op::CreateIndex {
            name: ci.name.as_ref().map(|n| self.name(n)),
            table: self.name(&ci.table_name),
            columns: ci
                .columns
                .iter()
                .map(|ic| match &ic.column.expr {
                    Expr::Identifier(id) => self.ident(id),
                    other => Name::new(other.to_string()),
                })
                .collect(),
            unique: ci.unique,
            concurrently: ci.concurrently,
            if_not_exists: ci.if_not_exists,
            kind,
            only: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stability {
    Constant,
    Stable,
    Other,
    Volatile,
}

/// The lock a `LOCK TABLE … IN mode MODE` asks for.
fn lock_level(mode: &sqlparser::ast::LockTableMode) -> LockLevel {
    use sqlparser::ast::LockTableMode as M;
    match mode {
        M::AccessShare => LockLevel::AccessShare,
        M::RowShare => LockLevel::RowShare,
        M::RowExclusive => LockLevel::RowExclusive,
        M::ShareUpdateExclusive => LockLevel::ShareUpdateExclusive,
        M::Share => LockLevel::Share,
        M::ShareRowExclusive => LockLevel::ShareRowExclusive,
        M::Exclusive => LockLevel::Exclusive,
        M::AccessExclusive => LockLevel::AccessExclusive,
    }
}

/// Is the expression the NULL literal (`NULL`, `NULL::bigint`, `(NULL)`)?
fn is_null(expr: &Expr) -> bool {
    match expr {
        Expr::Value(v) => matches!(v.value, sqlparser::ast::Value::Null),
        Expr::Nested(e) | Expr::Cast { expr: e, .. } => is_null(e),
        _ => false,
    }
}

/// The statement's first two words, lower-case, for `Op::Other` / `Op::Inert`.
fn leading_words(stmt: &Statement) -> String {
    let text = stmt.to_string();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::split::split;
    use crate::parse::{parse_statement, Parsed};

    /// The ops of the one statement in `sql`, read through sqlparser only.
    fn ast_ops(sql: &str, dialect: Dialect) -> Vec<Op> {
        let raws = split(sql, dialect).statements;
        assert_eq!(raws.len(), 1, "{sql}");
        match parse_statement(sql, &raws[0], dialect) {
            Parsed::Ast(stmt) => classify(&stmt, dialect),
            other => panic!("{sql}: sqlparser did not read it: {other:?}"),
        }
    }

    #[test]
    fn lock_table_names_its_tables_and_mode() {
        let pg = Dialect::Postgres;
        assert_eq!(
            ast_ops("LOCK users", pg),
            vec![Op::LockTable {
                tables: vec![Name::new("users")],
                mode: LockLevel::AccessExclusive,
            }]
        );
        assert_eq!(
            ast_ops(
                "LOCK TABLE ONLY users, app.orders IN ROW SHARE MODE NOWAIT",
                pg
            ),
            vec![Op::LockTable {
                tables: vec![Name::new("users"), Name::new("app.orders")],
                mode: LockLevel::RowShare,
            }]
        );
    }

    #[test]
    fn mysql_add_unique_is_a_unique_index() {
        let unique = |sql: &str| -> Vec<(&'static str, Option<Name>, bool)> {
            ast_ops(sql, Dialect::Mysql)
                .into_iter()
                .map(|op| match op {
                    Op::CreateIndex { name, unique, .. } => ("create-index", name, unique),
                    other => (other.name(), None, false),
                })
                .collect()
        };
        let expected = vec![("create-index", Some(Name::new("users_email_key")), true)];
        assert_eq!(
            unique("ALTER TABLE users ADD UNIQUE INDEX users_email_key (email), ALGORITHM=INPLACE, LOCK=NONE")[..1],
            expected[..]
        );
        assert_eq!(
            unique("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)"),
            expected
        );
        assert_eq!(
            unique(
                "CREATE UNIQUE INDEX users_email_key ON users (email) ALGORITHM=INPLACE LOCK=NONE"
            ),
            expected
        );
        // PostgreSQL keeps ADD CONSTRAINT … UNIQUE a constraint (NOT VALID, USING INDEX).
        assert!(matches!(
            ast_ops(
                "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)",
                Dialect::Postgres
            )[..],
            [Op::AddConstraint { .. }]
        ));
    }

    #[test]
    fn cte_dml_is_read_by_its_final_statement() {
        let pg = Dialect::Postgres;
        assert_eq!(
            ast_ops(
                "WITH moved AS (SELECT id FROM users) UPDATE orders SET x = 1 FROM moved WHERE orders.user_id = moved.id",
                pg
            ),
            vec![Op::Update {
                table: Name::new("orders"),
                has_where: true,
                has_limit: false,
            }]
        );
        assert_eq!(
            ast_ops("WITH old AS (SELECT 1) DELETE FROM sessions", pg),
            vec![Op::Delete {
                table: Name::new("sessions"),
                has_where: false,
                has_limit: false,
            }]
        );
        assert_eq!(
            ast_ops(
                "WITH d AS (DELETE FROM users WHERE id < 10 RETURNING *) INSERT INTO old_users SELECT * FROM d",
                pg
            ),
            vec![
                Op::Delete {
                    table: Name::new("users"),
                    has_where: true,
                    has_limit: false,
                },
                Op::Insert {
                    table: Name::new("old_users"),
                    from_select: true,
                    columns: vec![],
                }
            ]
        );
        assert_eq!(
            ast_ops(
                "WITH u AS (UPDATE users SET x = 1 RETURNING id) SELECT count(*) FROM u",
                pg
            ),
            vec![Op::Update {
                table: Name::new("users"),
                has_where: false,
                has_limit: false,
            }]
        );
        assert_eq!(
            ast_ops("WITH a AS (SELECT 1) SELECT * FROM a", pg),
            vec![Op::Select]
        );
        assert_eq!(
            ast_ops(
                "WITH ids AS (SELECT id FROM users) UPDATE users SET x = 1 WHERE id IN (SELECT id FROM ids)",
                Dialect::Mysql
            ),
            vec![Op::Update {
                table: Name::new("users"),
                has_where: true,
                has_limit: false,
            }]
        );
    }
}
