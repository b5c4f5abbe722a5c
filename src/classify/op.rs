//! The project-owned operation vocabulary.
//!
//! Every statement, whether sqlparser read it or the token fallback recognised it, becomes
//! a list of `Op`s. Rules match on these, never on the raw AST. Nothing here knows about
//! files, rules or reports.

use super::locks::LockLevel;
pub use super::view::{ViewChange, ViewDef};
use std::fmt;
use std::sync::Arc;

/// A possibly schema-qualified object name, normalised for comparison: unquoted parts are
/// lower-cased, quotes are removed, and PostgreSQL's `public.` is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Name(pub String);

impl Name {
    pub fn new(s: impl Into<String>) -> Self {
        Name(s.into())
    }

    /// Builds a normalised name from its parts as written: `(text, quoted)` pairs, where
    /// `text` has its quotes already removed. Unquoted parts are lower-cased (MySQL names
    /// are compared case-insensitively, so every part is lower-cased there), and a leading
    /// PostgreSQL `public` schema is dropped so `public.users` and `users` are one table.
    pub fn from_parts<'a>(
        parts: impl IntoIterator<Item = (&'a str, bool)>,
        dialect: crate::dialect::Dialect,
    ) -> Self {
        let mut out: Vec<String> = parts
            .into_iter()
            .map(|(text, quoted)| {
                if quoted && dialect == crate::dialect::Dialect::Postgres {
                    text.to_owned()
                } else {
                    text.to_lowercase()
                }
            })
            .collect();
        if out.len() > 1 && dialect == crate::dialect::Dialect::Postgres && out[0] == "public" {
            out.remove(0);
        }
        Name(out.join("."))
    }

    /// A name from one unquoted identifier.
    pub fn ident(text: &str, dialect: crate::dialect::Dialect) -> Self {
        Self::from_parts([(text, false)], dialect)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The last part of a qualified name (`app.users` → `users`).
    pub fn unqualified(&self) -> &str {
        self.0.rsplit('.').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A column's declared type, normalised enough to compare widenings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlType {
    /// Lower-case base name with aliases folded (`int4` → `integer`, `character varying` →
    /// `varchar`, `int8` → `bigint`, `bool` → `boolean`, `decimal` → `numeric`, …).
    pub name: String,
    /// Numeric arguments: varchar(n) → [n], numeric(p, s) → [p, s].
    pub args: Vec<u64>,
    /// ENUM / SET values (MySQL) in order.
    pub values: Vec<String>,
    /// An array type (`text[]`).
    pub array: bool,
    /// MySQL column character set when declared (`utf8mb4`, `latin1`).
    pub charset: Option<String>,
    /// The type as written, for messages.
    pub text: String,
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a default expression costs when a column is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultKind {
    /// A literal or an expression of literals (`0`, `'x'`, `true`, `'{}'::jsonb`).
    Constant,
    /// A stable function evaluated once per statement (`now()`, `CURRENT_TIMESTAMP`).
    Stable,
    /// A volatile expression evaluated per row (`random()`, `gen_random_uuid()`, `nextval(…)`).
    Volatile(String),
    /// Any other expression (MySQL `(expr)` defaults, casts of columns, …).
    Expression(String),
}

/// How a column value is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generated {
    Stored,
    Virtual,
}

/// A column definition as written in CREATE TABLE / ADD COLUMN / MODIFY / CHANGE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnSpec {
    pub name: Name,
    pub ty: SqlType,
    /// `NOT NULL` was written (or implied by PRIMARY KEY).
    pub not_null: bool,
    pub default: Option<DefaultKind>,
    pub generated: Option<Generated>,
    /// `serial` / `bigserial` / `smallserial`.
    pub serial: bool,
    /// `GENERATED … AS IDENTITY`.
    pub identity: bool,
    /// MySQL `AUTO_INCREMENT`.
    pub auto_increment: bool,
    pub primary_key: bool,
    pub unique: bool,
    /// An inline `REFERENCES other(col)`: the referenced table.
    pub references: Option<Name>,
    /// An inline `CHECK (…)`.
    pub check: bool,
    /// MySQL `FIRST` / `AFTER other`: placed somewhere other than last.
    pub placed: bool,
}

/// The kind of constraint being added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    /// `CHECK (expr)`; `not_null_of` is set when the expression is exactly `col IS NOT NULL`.
    Check {
        not_null_of: Option<Name>,
    },
    ForeignKey {
        columns: Vec<Name>,
        references: Name,
    },
    Unique {
        columns: Vec<Name>,
    },
    PrimaryKey {
        columns: Vec<Name>,
    },
    Exclude,
}

/// A constraint as written in CREATE TABLE or ADD CONSTRAINT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintSpec {
    pub name: Option<Name>,
    pub kind: ConstraintKind,
    /// `NOT VALID` (PostgreSQL).
    pub not_valid: bool,
    /// `… USING INDEX idx` (PostgreSQL UNIQUE / PRIMARY KEY on an existing index).
    pub using_index: Option<Name>,
}

/// The index method family, where it changes the hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Plain,
    Fulltext,
    Spatial,
}

/// The target of a REINDEX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReindexTarget {
    Index(Name),
    Table(Name),
    Schema(Name),
    Database(Name),
}

/// Kinds of objects created or dropped without further detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    View,
    MaterializedView,
    Function,
    Procedure,
    Trigger,
    Type,
    Sequence,
    Extension,
    Domain,
    Policy,
    Role,
    Other,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized-view",
            ObjectKind::Function => "function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Type => "type",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Extension => "extension",
            ObjectKind::Domain => "domain",
            ObjectKind::Policy => "policy",
            ObjectKind::Role => "role",
            ObjectKind::Other => "object",
        }
    }
}

/// Transaction control statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxControl {
    Begin,
    Commit,
    Rollback,
    Savepoint,
    ReleaseSavepoint,
    RollbackToSavepoint,
}

/// One schema or data operation. A statement holds one or more (an ALTER TABLE with
/// several actions holds one per action).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    // ---- tables
    CreateTable {
        table: Name,
        columns: Vec<ColumnSpec>,
        constraints: Vec<ConstraintSpec>,
        if_not_exists: bool,
        /// `CREATE TABLE … AS SELECT` or `LIKE other`: columns not known here.
        columns_unknown: bool,
        /// `PARTITION OF parent`.
        partition_of: Option<Name>,
    },
    DropTable {
        tables: Vec<Name>,
        if_exists: bool,
    },
    /// ALTER TABLE … RENAME TO, or MySQL RENAME TABLE a TO b.
    RenameTable {
        from: Name,
        to: Name,
    },
    Truncate {
        tables: Vec<Name>,
    },
    // ---- columns
    AddColumn {
        table: Name,
        column: ColumnSpec,
        if_not_exists: bool,
    },
    DropColumn {
        table: Name,
        column: Name,
        if_exists: bool,
    },
    RenameColumn {
        table: Name,
        from: Name,
        to: Name,
    },
    /// PostgreSQL `ALTER COLUMN … TYPE`.
    AlterColumnType {
        table: Name,
        column: Name,
        ty: SqlType,
        using: bool,
    },
    /// MySQL `MODIFY col …` / `CHANGE old new …`: the whole column is redefined.
    RedefineColumn {
        table: Name,
        /// The column's name before the statement.
        from: Name,
        column: ColumnSpec,
    },
    SetNotNull {
        table: Name,
        column: Name,
    },
    DropNotNull {
        table: Name,
        column: Name,
    },
    SetDefault {
        table: Name,
        column: Name,
        default: DefaultKind,
    },
    DropDefault {
        table: Name,
        column: Name,
    },
    // ---- constraints
    AddConstraint {
        table: Name,
        constraint: ConstraintSpec,
    },
    ValidateConstraint {
        table: Name,
        name: Name,
    },
    DropConstraint {
        table: Name,
        name: Name,
    },
    RenameConstraint {
        table: Name,
        from: Name,
        to: Name,
    },
    /// PostgreSQL `ALTER DOMAIN d ADD [CONSTRAINT c] CHECK (…) [NOT VALID]`: every column of
    /// the domain's type is checked unless NOT VALID.
    AddDomainConstraint {
        domain: Name,
        constraint: ConstraintSpec,
    },
    // ---- indexes
    CreateIndex {
        name: Option<Name>,
        table: Name,
        columns: Vec<Name>,
        unique: bool,
        concurrently: bool,
        if_not_exists: bool,
        kind: IndexKind,
        /// `ON ONLY parent` (PostgreSQL partitioned tables).
        only: bool,
    },
    DropIndex {
        names: Vec<Name>,
        /// MySQL `DROP INDEX i ON t` / `ALTER TABLE t DROP INDEX i`.
        table: Option<Name>,
        concurrently: bool,
        if_exists: bool,
    },
    RenameIndex {
        table: Option<Name>,
        from: Name,
        to: Name,
    },
    Reindex {
        target: ReindexTarget,
        concurrently: bool,
    },
    // ---- partitions
    AttachPartition {
        table: Name,
        partition: Name,
    },
    DetachPartition {
        table: Name,
        partition: Name,
        concurrently: bool,
    },
    // ---- table maintenance and storage
    VacuumFull {
        table: Option<Name>,
    },
    Vacuum {
        table: Option<Name>,
    },
    Cluster {
        table: Option<Name>,
    },
    SetLogged {
        table: Name,
        logged: bool,
    },
    SetTablespace {
        table: Name,
    },
    /// MySQL `OPTIMIZE TABLE`, `ALTER TABLE … ENGINE=`, `FORCE`: a full table rebuild.
    RebuildTable {
        table: Name,
        how: String,
    },
    /// MySQL `CONVERT TO CHARACTER SET`.
    ConvertCharset {
        table: Name,
        charset: String,
    },
    /// MySQL `ALGORITHM=…` clause of an ALTER TABLE (upper-cased).
    AlterAlgorithm {
        table: Name,
        algorithm: String,
    },
    /// MySQL `LOCK=…` clause of an ALTER TABLE (upper-cased).
    AlterLock {
        table: Name,
        lock: String,
    },
    /// Table options that change nothing a client can see (comments, storage parameters,
    /// statistics, owner, row level security …).
    AlterTableOther {
        table: Name,
        what: String,
    },
    // ---- views, types, functions and other objects
    CreateObject {
        kind: ObjectKind,
        name: Name,
        /// The table a trigger or policy is on.
        on_table: Option<Name>,
        /// A view's definition, when its query was read.
        view: Option<Arc<ViewDef>>,
    },
    DropObject {
        kind: ObjectKind,
        names: Vec<Name>,
    },
    AlterObject {
        kind: ObjectKind,
        name: Name,
        /// What an `ALTER VIEW` changes (a new query, a rename), when the model follows it.
        view: Option<Arc<ViewChange>>,
    },
    RefreshMaterializedView {
        name: Name,
        concurrently: bool,
    },
    /// `CREATE TYPE … AS ENUM (…)`.
    CreateEnum {
        name: Name,
        values: Vec<String>,
    },
    /// `ALTER TYPE … ADD VALUE`.
    AddEnumValue {
        name: Name,
        value: String,
    },
    // ---- schemas and databases
    CreateSchema {
        name: Name,
    },
    DropSchema {
        names: Vec<Name>,
        /// MySQL `DROP DATABASE` (a schema there).
        database: bool,
    },
    // ---- data
    Insert {
        table: Name,
        /// `INSERT … SELECT` (copies rows from another query).
        from_select: bool,
        columns: Vec<Name>,
    },
    Update {
        table: Name,
        has_where: bool,
        has_limit: bool,
    },
    Delete {
        table: Name,
        has_where: bool,
        has_limit: bool,
    },
    /// A query with no side effects on the schema.
    Select,
    // ---- session and transaction
    /// PostgreSQL `LOCK [TABLE] name, … [IN mode MODE]`: an explicit lock on each table,
    /// held until the transaction ends (ACCESS EXCLUSIVE when no mode is given).
    LockTable {
        tables: Vec<Name>,
        mode: LockLevel,
    },
    Transaction(TxControl),
    /// `SET name = value` / `SET LOCAL …` / MySQL `SET [SESSION] var = …`.
    Set {
        name: String,
        value: String,
        local: bool,
    },
    /// Statements that change nothing a client can see: COMMENT ON, GRANT, REVOKE,
    /// ANALYZE, psql meta-commands, DELIMITER, LOCK TABLE, ….
    Inert {
        what: String,
    },
    /// `DO $$ … $$` or a CALL: code whose effect cannot be seen statically.
    Procedural {
        what: String,
    },
    /// Recognised as SQL but not modelled.
    Other {
        what: String,
    },
}

impl Op {
    /// The stable kebab-case operation name used in JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            Op::CreateTable { .. } => "create-table",
            Op::DropTable { .. } => "drop-table",
            Op::RenameTable { .. } => "rename-table",
            Op::Truncate { .. } => "truncate",
            Op::AddColumn { .. } => "add-column",
            Op::DropColumn { .. } => "drop-column",
            Op::RenameColumn { .. } => "rename-column",
            Op::AlterColumnType { .. } => "alter-column-type",
            Op::RedefineColumn { .. } => "redefine-column",
            Op::SetNotNull { .. } => "set-not-null",
            Op::DropNotNull { .. } => "drop-not-null",
            Op::SetDefault { .. } => "set-default",
            Op::DropDefault { .. } => "drop-default",
            Op::AddConstraint { .. } => "add-constraint",
            Op::ValidateConstraint { .. } => "validate-constraint",
            Op::DropConstraint { .. } => "drop-constraint",
            Op::RenameConstraint { .. } => "rename-constraint",
            Op::AddDomainConstraint { .. } => "add-domain-constraint",
            Op::CreateIndex { .. } => "create-index",
            Op::DropIndex { .. } => "drop-index",
            Op::RenameIndex { .. } => "rename-index",
            Op::Reindex { .. } => "reindex",
            Op::AttachPartition { .. } => "attach-partition",
            Op::DetachPartition { .. } => "detach-partition",
            Op::VacuumFull { .. } => "vacuum-full",
            Op::Vacuum { .. } => "vacuum",
            Op::Cluster { .. } => "cluster",
            Op::SetLogged { .. } => "set-logged",
            Op::SetTablespace { .. } => "set-tablespace",
            Op::RebuildTable { .. } => "rebuild-table",
            Op::ConvertCharset { .. } => "convert-charset",
            Op::AlterAlgorithm { .. } => "alter-algorithm",
            Op::AlterLock { .. } => "alter-lock",
            Op::AlterTableOther { .. } => "alter-table-option",
            Op::CreateObject { .. } => "create-object",
            Op::DropObject { .. } => "drop-object",
            Op::AlterObject { .. } => "alter-object",
            Op::RefreshMaterializedView { .. } => "refresh-materialized-view",
            Op::CreateEnum { .. } => "create-enum",
            Op::AddEnumValue { .. } => "add-enum-value",
            Op::CreateSchema { .. } => "create-schema",
            Op::DropSchema { .. } => "drop-schema",
            Op::Insert { .. } => "insert",
            Op::Update { .. } => "update",
            Op::Delete { .. } => "delete",
            Op::Select => "select",
            Op::LockTable { .. } => "lock-table",
            Op::Transaction(TxControl::Begin) => "begin",
            Op::Transaction(TxControl::Commit) => "commit",
            Op::Transaction(TxControl::Rollback) => "rollback",
            Op::Transaction(TxControl::Savepoint) => "savepoint",
            Op::Transaction(TxControl::ReleaseSavepoint) => "release-savepoint",
            Op::Transaction(TxControl::RollbackToSavepoint) => "rollback-to-savepoint",
            Op::Set { .. } => "set",
            Op::Inert { .. } => "inert",
            Op::Procedural { .. } => "procedural",
            Op::Other { .. } => "other",
        }
    }

    /// The table this operation acts on, if it acts on exactly one.
    pub fn table(&self) -> Option<&Name> {
        match self {
            Op::CreateTable { table, .. }
            | Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::RenameColumn { table, .. }
            | Op::AlterColumnType { table, .. }
            | Op::RedefineColumn { table, .. }
            | Op::SetNotNull { table, .. }
            | Op::DropNotNull { table, .. }
            | Op::SetDefault { table, .. }
            | Op::DropDefault { table, .. }
            | Op::AddConstraint { table, .. }
            | Op::ValidateConstraint { table, .. }
            | Op::DropConstraint { table, .. }
            | Op::RenameConstraint { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::AttachPartition { table, .. }
            | Op::DetachPartition { table, .. }
            | Op::SetLogged { table, .. }
            | Op::SetTablespace { table, .. }
            | Op::RebuildTable { table, .. }
            | Op::ConvertCharset { table, .. }
            | Op::AlterAlgorithm { table, .. }
            | Op::AlterLock { table, .. }
            | Op::AlterTableOther { table, .. }
            | Op::Insert { table, .. }
            | Op::Update { table, .. }
            | Op::Delete { table, .. } => Some(table),
            Op::RenameTable { from, .. } => Some(from),
            Op::DropIndex { table, .. } | Op::RenameIndex { table, .. } => table.as_ref(),
            Op::VacuumFull { table } | Op::Vacuum { table } | Op::Cluster { table } => {
                table.as_ref()
            }
            Op::CreateObject { on_table, .. } => on_table.as_ref(),
            Op::LockTable { tables, .. } if tables.len() == 1 => tables.first(),
            _ => None,
        }
    }

    /// MySQL/MariaDB commit the open transaction implicitly before a DDL statement (and
    /// before `LOCK TABLES`): an explicit transaction ends there.
    pub fn commits_implicitly_on_mysql(&self) -> bool {
        match self {
            Op::Insert { .. }
            | Op::Update { .. }
            | Op::Delete { .. }
            | Op::Select
            | Op::Set { .. }
            | Op::Transaction(_)
            | Op::Procedural { .. } => false,
            Op::Inert { what } => what.starts_with("lock table"),
            _ => true,
        }
    }

    /// Every table this operation names (for DROP TABLE / TRUNCATE lists as well).
    pub fn tables(&self) -> Vec<&Name> {
        match self {
            Op::DropTable { tables, .. }
            | Op::Truncate { tables }
            | Op::LockTable { tables, .. } => tables.iter().collect(),
            other => other.table().into_iter().collect(),
        }
    }
}
