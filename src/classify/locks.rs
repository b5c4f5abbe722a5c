//! Lock facts: what each operation locks and costs, per engine and version.
//!
//! Owns the tables of ../shared/ENGINE-FACTS.md in code form. `bellows trace` checks these
//! against a real server. Pure: no schema lookups beyond the context the caller passes.

use super::op::{ConstraintKind, DefaultKind, Generated, IndexKind, Op};
use crate::dialect::{Dialect, EngineVersion};

/// The strongest table lock an operation takes (PostgreSQL lock modes; MySQL maps its
/// exclusive metadata lock to `AccessExclusive` and a shared one to `Share`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockLevel {
    None,
    AccessShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LockLevel::None => "none",
            LockLevel::AccessShare => "ACCESS SHARE",
            LockLevel::RowExclusive => "ROW EXCLUSIVE",
            LockLevel::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockLevel::Share => "SHARE",
            LockLevel::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockLevel::Exclusive => "EXCLUSIVE",
            LockLevel::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Does this lock stop plain SELECTs?
    pub fn blocks_reads(self) -> bool {
        self == LockLevel::AccessExclusive
    }

    /// Does this lock stop INSERT / UPDATE / DELETE?
    pub fn blocks_writes(self) -> bool {
        self >= LockLevel::Share
    }
}

/// What the operation does to the table's data while it holds its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cost {
    /// Catalog only.
    Metadata,
    /// Reads every row (validation).
    Scan,
    /// Builds an index.
    IndexBuild,
    /// Rewrites the table (and its indexes).
    Rewrite,
}

/// The lock facts of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LockFacts {
    pub lock: LockLevel,
    pub cost: Cost,
    /// Can it run inside a transaction block?
    pub transactional: bool,
}

impl LockFacts {
    const fn new(lock: LockLevel, cost: Cost) -> Self {
        LockFacts {
            lock,
            cost,
            transactional: true,
        }
    }
    const NONE: LockFacts = LockFacts::new(LockLevel::None, Cost::Metadata);

    /// A statement that must run outside a transaction block.
    const fn outside_transaction(lock: LockLevel, cost: Cost) -> Self {
        LockFacts {
            lock,
            cost,
            transactional: false,
        }
    }
}

/// Context the caller knows from the schema model.
#[derive(Debug, Clone, Copy, Default)]
pub struct LockContext {
    /// A type change that is a safe widening (metadata only).
    pub safe_widening: bool,
    /// PostgreSQL: a validated `CHECK (col IS NOT NULL)` exists for a SET NOT NULL.
    pub has_not_null_check: bool,
}

/// The lock facts of `op` on `version`.
pub fn lock_facts(op: &Op, dialect: Dialect, version: EngineVersion, cx: LockContext) -> LockFacts {
    match dialect {
        Dialect::Postgres => postgres(op, version, cx),
        Dialect::Mysql => mysql(op, cx),
    }
}

fn postgres(op: &Op, version: EngineVersion, cx: LockContext) -> LockFacts {
    use Cost::*;
    use LockLevel::*;
    let ax = |cost| LockFacts::new(AccessExclusive, cost);
    match op {
        Op::AddColumn { column, .. } => {
            let rewrites = column.serial
                || column.identity
                || column.generated == Some(Generated::Stored)
                || match &column.default {
                    Some(DefaultKind::Volatile(_)) => true,
                    Some(DefaultKind::Expression(_)) => true,
                    Some(_) => !version.at_least(11, 0),
                    Option::None => false,
                };
            ax(if rewrites { Rewrite } else { Metadata })
        }
        Op::DropColumn { .. }
        | Op::RenameColumn { .. }
        | Op::RenameTable { .. }
        | Op::RenameConstraint { .. }
        | Op::SetDefault { .. }
        | Op::DropDefault { .. }
        | Op::DropNotNull { .. }
        | Op::DropConstraint { .. }
        | Op::DropTable { .. }
        | Op::Truncate { .. } => ax(Metadata),
        Op::SetNotNull { .. } => ax(if cx.has_not_null_check && version.at_least(12, 0) {
            Metadata
        } else {
            Scan
        }),
        Op::AlterColumnType { using, .. } => ax(if cx.safe_widening && !using {
            Metadata
        } else {
            Rewrite
        }),
        Op::AddConstraint { constraint, .. } => match (&constraint.kind, constraint.not_valid) {
            (ConstraintKind::ForeignKey { .. }, true) => {
                LockFacts::new(ShareRowExclusive, Metadata)
            }
            (ConstraintKind::ForeignKey { .. }, false) => LockFacts::new(ShareRowExclusive, Scan),
            (ConstraintKind::Check { .. }, true) => ax(Metadata),
            (ConstraintKind::Check { .. }, false) => ax(Scan),
            (ConstraintKind::Unique { .. } | ConstraintKind::PrimaryKey { .. }, _) => {
                if constraint.using_index.is_some() {
                    ax(Metadata)
                } else {
                    ax(IndexBuild)
                }
            }
            (ConstraintKind::Exclude, _) => ax(IndexBuild),
        },
        Op::ValidateConstraint { .. } => LockFacts::new(ShareUpdateExclusive, Scan),
        Op::CreateIndex { concurrently, .. } => {
            if *concurrently {
                LockFacts::outside_transaction(ShareUpdateExclusive, IndexBuild)
            } else {
                LockFacts::new(Share, IndexBuild)
            }
        }
        Op::DropIndex { concurrently, .. } => {
            if *concurrently {
                LockFacts::outside_transaction(ShareUpdateExclusive, Metadata)
            } else {
                ax(Metadata)
            }
        }
        Op::Reindex { concurrently, .. } => {
            if *concurrently {
                LockFacts::outside_transaction(ShareUpdateExclusive, IndexBuild)
            } else {
                // Blocks writes to the table and every use of the index being rebuilt.
                ax(IndexBuild)
            }
        }
        Op::RefreshMaterializedView { concurrently, .. } => {
            if *concurrently {
                LockFacts::new(Exclusive, Rewrite)
            } else {
                ax(Rewrite)
            }
        }
        Op::AttachPartition { .. } => LockFacts::new(
            if version.at_least(12, 0) {
                ShareUpdateExclusive
            } else {
                AccessExclusive
            },
            Scan,
        ),
        Op::DetachPartition { concurrently, .. } => {
            if *concurrently {
                LockFacts::outside_transaction(ShareUpdateExclusive, Metadata)
            } else {
                ax(Metadata)
            }
        }
        Op::VacuumFull { .. } | Op::Cluster { .. } => LockFacts {
            lock: AccessExclusive,
            cost: Rewrite,
            transactional: !matches!(op, Op::VacuumFull { .. }),
        },
        Op::Vacuum { .. } => LockFacts::outside_transaction(ShareUpdateExclusive, Scan),
        Op::SetLogged { .. } | Op::SetTablespace { .. } => ax(Rewrite),
        Op::CreateObject {
            on_table: Some(_), ..
        } => LockFacts::new(ShareRowExclusive, Metadata),
        Op::AddEnumValue { .. } => LockFacts {
            lock: LockLevel::None,
            cost: Metadata,
            // Before PostgreSQL 12, ALTER TYPE … ADD VALUE cannot run in a transaction block.
            transactional: version.at_least(12, 0),
        },
        Op::Insert { .. } | Op::Update { .. } | Op::Delete { .. } => {
            LockFacts::new(RowExclusive, Metadata)
        }
        Op::Select => LockFacts::new(AccessShare, Metadata),
        Op::AlterTableOther { .. } => ax(Metadata),
        _ => LockFacts::NONE,
    }
}

fn mysql(op: &Op, cx: LockContext) -> LockFacts {
    use Cost::*;
    use LockLevel::*;
    // Every ALTER takes an exclusive metadata lock at start and end; the cost says whether
    // writes are blocked in between (COPY) or the table is rebuilt in place.
    let ddl = |cost| LockFacts {
        lock: AccessExclusive,
        cost,
        transactional: false,
    };
    match op {
        Op::AddColumn { column, .. } => ddl(
            if column.generated == Some(Generated::Stored)
                || column.auto_increment
                || matches!(
                    column.default,
                    Some(DefaultKind::Expression(_) | DefaultKind::Volatile(_))
                )
            {
                Rewrite
            } else {
                Metadata
            },
        ),
        Op::RedefineColumn { .. } | Op::AlterColumnType { .. } => {
            ddl(if cx.safe_widening { Metadata } else { Rewrite })
        }
        Op::CreateIndex { kind, .. } => match kind {
            IndexKind::Plain => ddl(IndexBuild),
            IndexKind::Fulltext | IndexKind::Spatial => {
                LockFacts::outside_transaction(Share, IndexBuild)
            }
        },
        Op::AddConstraint { constraint, .. } => match constraint.kind {
            ConstraintKind::ForeignKey { .. } | ConstraintKind::PrimaryKey { .. } => ddl(Rewrite),
            ConstraintKind::Unique { .. } => ddl(IndexBuild),
            ConstraintKind::Check { .. } => ddl(Rewrite),
            ConstraintKind::Exclude => ddl(Rewrite),
        },
        Op::ConvertCharset { .. } | Op::RebuildTable { .. } => ddl(Rewrite),
        Op::DropConstraint { name, .. } if name.as_str() == "primary" => ddl(Rewrite),
        Op::Insert { .. } | Op::Update { .. } | Op::Delete { .. } => {
            LockFacts::new(RowExclusive, Metadata)
        }
        Op::Select => LockFacts::new(AccessShare, Metadata),
        Op::Truncate { .. }
        | Op::DropTable { .. }
        | Op::DropColumn { .. }
        | Op::RenameColumn { .. }
        | Op::RenameTable { .. }
        | Op::SetDefault { .. }
        | Op::DropDefault { .. }
        | Op::DropIndex { .. }
        | Op::RenameIndex { .. }
        | Op::DropConstraint { .. }
        | Op::AlterTableOther { .. }
        | Op::SetNotNull { .. }
        | Op::DropNotNull { .. } => ddl(Metadata),
        Op::CreateTable { .. } | Op::CreateObject { .. } | Op::DropObject { .. } => ddl(Metadata),
        _ => LockFacts::NONE,
    }
}
