//! Lock facts: what each operation locks and costs, per engine and version.
//!
//! Owns the tables of ../shared/ENGINE-FACTS.md in code form. `bellows trace` checks these
//! against a real server (docs/trace.md says how the two are compared). Pure: no schema
//! lookups beyond the context the caller passes.

use super::op::{ConstraintKind, DefaultKind, Generated, IndexKind, ObjectKind, Op};
use crate::dialect::{Dialect, EngineVersion};

/// The strongest table lock an operation takes (PostgreSQL lock modes; MySQL maps its
/// exclusive metadata lock to `AccessExclusive` and a shared one to `Share`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockLevel {
    None,
    AccessShare,
    RowShare,
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
            LockLevel::RowShare => "ROW SHARE",
            LockLevel::RowExclusive => "ROW EXCLUSIVE",
            LockLevel::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockLevel::Share => "SHARE",
            LockLevel::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockLevel::Exclusive => "EXCLUSIVE",
            LockLevel::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// The PostgreSQL lock mode name as `pg_locks.mode` shows it (`AccessExclusiveLock`).
    pub fn from_pg_mode(mode: &str) -> Option<LockLevel> {
        Some(match mode {
            "AccessShareLock" => LockLevel::AccessShare,
            "RowShareLock" => LockLevel::RowShare,
            "RowExclusiveLock" => LockLevel::RowExclusive,
            "ShareUpdateExclusiveLock" => LockLevel::ShareUpdateExclusive,
            "ShareLock" => LockLevel::Share,
            "ShareRowExclusiveLock" => LockLevel::ShareRowExclusive,
            "ExclusiveLock" => LockLevel::Exclusive,
            "AccessExclusiveLock" => LockLevel::AccessExclusive,
            _ => return None,
        })
    }

    /// Do the two modes conflict (the table "Conflicting Lock Modes" of the PostgreSQL
    /// manual, chapter "Explicit Locking")? `None` conflicts with nothing.
    pub fn conflicts_with(self, other: LockLevel) -> bool {
        use LockLevel::*;
        let (weak, strong) = if self <= other {
            (self, other)
        } else {
            (other, self)
        };
        match weak {
            None => false,
            AccessShare => strong == AccessExclusive,
            RowShare => strong >= Exclusive,
            RowExclusive => strong >= Share,
            ShareUpdateExclusive => strong >= ShareUpdateExclusive,
            // SHARE does not conflict with itself; everything stronger conflicts.
            Share => strong >= ShareRowExclusive,
            ShareRowExclusive | Exclusive | AccessExclusive => true,
        }
    }

    /// Does this lock stop plain SELECTs (which take ACCESS SHARE)?
    pub fn blocks_reads(self) -> bool {
        self.conflicts_with(LockLevel::AccessShare)
    }

    /// Does this lock stop INSERT / UPDATE / DELETE (which take ROW EXCLUSIVE)?
    pub fn blocks_writes(self) -> bool {
        self.conflicts_with(LockLevel::RowExclusive)
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

/// MySQL / MariaDB: the best `ALTER TABLE` algorithm the server can use for an operation,
/// with the `LOCK` it allows; from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// `ALGORITHM=INSTANT`: a metadata change; only the metadata lock at start and end.
    Instant,
    /// `ALGORITHM=INPLACE` (MariaDB also `NOCOPY`) with `LOCK=NONE`: reads and writes
    /// continue while the server works.
    InPlace,
    /// `ALGORITHM=INPLACE` with `LOCK=SHARED`: reads continue, writes wait.
    InPlaceShared,
    /// `ALGORITHM=COPY`: the table is copied row by row while writes wait.
    Copy,
}

impl Algorithm {
    /// The clause that asks for it: `ALGORITHM=INPLACE, LOCK=NONE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Instant => "ALGORITHM=INSTANT",
            Algorithm::InPlace => "ALGORITHM=INPLACE, LOCK=NONE",
            Algorithm::InPlaceShared => "ALGORITHM=INPLACE, LOCK=SHARED",
            Algorithm::Copy => "ALGORITHM=COPY",
        }
    }

    /// What other sessions feel while it runs.
    pub fn blocks(self) -> &'static str {
        match self {
            Algorithm::Instant => "only the metadata lock at start and end",
            Algorithm::InPlace => "reads and writes continue (metadata lock at start and end)",
            Algorithm::InPlaceShared | Algorithm::Copy => "writes wait until it finishes",
        }
    }
}

/// The lock facts of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LockFacts {
    pub lock: LockLevel,
    pub cost: Cost,
    /// Can it run inside a transaction block?
    pub transactional: bool,
    /// MySQL / MariaDB `ALTER TABLE` operations: the best algorithm the server accepts.
    /// `None` on PostgreSQL and for statements that are not an `ALTER TABLE` there.
    pub algorithm: Option<Algorithm>,
}

impl LockFacts {
    const fn new(lock: LockLevel, cost: Cost) -> Self {
        LockFacts {
            lock,
            cost,
            transactional: true,
            algorithm: None,
        }
    }
    const NONE: LockFacts = LockFacts::new(LockLevel::None, Cost::Metadata);

    /// A statement that must run outside a transaction block.
    const fn outside_transaction(lock: LockLevel, cost: Cost) -> Self {
        LockFacts {
            lock,
            cost,
            transactional: false,
            algorithm: None,
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
    /// MySQL `MODIFY` / `CHANGE`: the column's type changes (not just its name or
    /// attributes).
    pub type_changes: bool,
    /// MySQL `MODIFY` / `CHANGE`: the column goes from NULL to NOT NULL or back.
    pub nullability_changes: bool,
    /// MySQL: the session turned `foreign_key_checks` off earlier in the file.
    pub foreign_key_checks_off: bool,
    /// MySQL: the statement that drops the primary key adds a new one.
    pub replaces_primary_key: bool,
    /// PostgreSQL: a `timestamp` ↔ `timestamptz` change in a session whose `TimeZone`
    /// was set to UTC earlier in the file.
    pub time_zone_change_in_utc: bool,
}

/// The lock facts of `op` on `version`; an operation without a fact locks nothing.
pub fn lock_facts(op: &Op, dialect: Dialect, version: EngineVersion, cx: LockContext) -> LockFacts {
    known_lock_facts(op, dialect, version, cx).unwrap_or(LockFacts::NONE)
}

/// The lock facts of `op` on `version`, or `None` when bellows states no fact for it
/// (`bellows trace` reports those as "no static fact").
pub fn known_lock_facts(
    op: &Op,
    dialect: Dialect,
    version: EngineVersion,
    cx: LockContext,
) -> Option<LockFacts> {
    match dialect {
        Dialect::Postgres => postgres(op, version, cx),
        Dialect::Mysql => mysql(op, version, cx),
    }
}

fn postgres(op: &Op, version: EngineVersion, cx: LockContext) -> Option<LockFacts> {
    use Cost::*;
    use LockLevel::*;
    let ax = |cost| LockFacts::new(AccessExclusive, cost);
    Some(match op {
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
            ax(if rewrites {
                Rewrite
            } else if column.unique || column.primary_key {
                // ENGINE-FACTS: an inline UNIQUE / PRIMARY KEY builds its index under the
                // ALTER's ACCESS EXCLUSIVE lock.
                IndexBuild
            } else if column.check || (column.references.is_some() && column.default.is_some()) {
                // ENGINE-FACTS: an inline CHECK is checked on every row; an inline
                // REFERENCES only when a non-null default fills the rows.
                Scan
            } else {
                Metadata
            })
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
        } else if cx.time_zone_change_in_utc && !using && version.at_least(12, 0) {
            // ENGINE-FACTS: no rewrite in a UTC session from PostgreSQL 12; the indexes
            // on the column are rebuilt (`bellows trace` on PostgreSQL 15).
            IndexBuild
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
                // ENGINE-FACTS: "recompute". CONCURRENTLY computes the new contents in a
                // temporary table and applies the difference to the view in place: its
                // storage is kept (`bellows trace` on PostgreSQL 15), unlike the plain
                // REFRESH, which swaps in new storage.
                LockFacts::new(Exclusive, Scan)
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
            algorithm: Option::None,
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
            algorithm: Option::None,
        },
        Op::Insert { .. } | Op::Update { .. } | Op::Delete { .. } => {
            LockFacts::new(RowExclusive, Metadata)
        }
        Op::Select => LockFacts::new(AccessShare, Metadata),
        Op::LockTable { mode, .. } => LockFacts::new(*mode, Metadata),
        // ENGINE-FACTS has no row: DROP VIEW takes ACCESS EXCLUSIVE on the view (and a
        // materialized view), so reads of it wait (`bellows trace` on PostgreSQL 15).
        Op::DropObject {
            kind: ObjectKind::View | ObjectKind::MaterializedView,
            ..
        } => ax(Metadata),
        Op::AlterTableOther { what, .. } => LockFacts::new(other_action_lock(what), Metadata),
        // Since PostgreSQL 12, SHARE UPDATE EXCLUSIVE on the index and nothing on its table.
        Op::RenameIndex {
            table: Option::None,
            ..
        } => LockFacts::new(
            if version.at_least(12, 0) {
                ShareUpdateExclusive
            } else {
                AccessExclusive
            },
            Metadata,
        ),
        _ => return Option::None,
    })
}

/// PostgreSQL: the lock of an `ALTER TABLE` action that is not modelled further, from its
/// leading words (`Op::AlterTableOther::what`). ENGINE-FACTS: "SET STATISTICS, SET (storage
/// parameters) | weak or none"; measured with `bellows trace` on PostgreSQL 15: storage
/// parameters of the table or a column (`SET (…)`, `RESET (…)`), `SET STATISTICS`,
/// `CLUSTER ON` and `SET WITHOUT CLUSTER` take SHARE UPDATE EXCLUSIVE; `ENABLE` / `DISABLE
/// TRIGGER` SHARE ROW EXCLUSIVE; the rest (owner, replica identity, row level security,
/// `SET STORAGE`, `SET COMPRESSION`, identity changes, …) ACCESS EXCLUSIVE.
fn other_action_lock(what: &str) -> LockLevel {
    let what = what.trim().to_ascii_lowercase();
    let words: Vec<&str> = what.split_whitespace().collect();
    let options = (what.starts_with("set (") || what.starts_with("reset (")) && what.contains('(');
    match words.as_slice() {
        _ if options => LockLevel::ShareUpdateExclusive,
        // A column's `SET (…)` / `RESET (…)`: the parenthesis is not a word.
        ["set"] | ["reset"] | ["storage", "parameters"] => LockLevel::ShareUpdateExclusive,
        ["set", "statistics", ..] | ["cluster", "on", ..] | ["set", "without", "cluster", ..] => {
            LockLevel::ShareUpdateExclusive
        }
        ["enable" | "disable", rest @ ..] if rest.contains(&"trigger") => {
            LockLevel::ShareRowExclusive
        }
        _ => LockLevel::AccessExclusive,
    }
}

/// Is a feature available on `version`: from MySQL `mysql` (major, minor, patch) or from
/// MariaDB `mariadb` (major, minor)?
fn since(version: EngineVersion, mysql: (u32, u32, u32), mariadb: (u32, u32)) -> bool {
    if version.is_mariadb() {
        version.at_least(mariadb.0, mariadb.1)
    } else {
        version.at_least_patch(mysql.0, mysql.1, mysql.2)
    }
}

fn mysql(op: &Op, version: EngineVersion, cx: LockContext) -> Option<LockFacts> {
    use Algorithm::*;
    use Cost::*;
    use LockLevel::*;
    // ENGINE-FACTS, "MySQL 8.0 / MariaDB (InnoDB): algorithm". Every ALTER takes an
    // exclusive metadata lock at start and end; the algorithm says whether writes are
    // blocked in between, the cost whether the table is rebuilt.
    let alter = |algorithm: Algorithm, cost| LockFacts {
        lock: AccessExclusive,
        cost,
        transactional: false,
        algorithm: Some(algorithm),
    };
    let ddl = |cost| LockFacts {
        lock: AccessExclusive,
        cost,
        transactional: false,
        algorithm: Option::None,
    };
    let maria = version.is_mariadb();
    let instant_or_rebuild = |available: bool| {
        if available {
            alter(Instant, Metadata)
        } else {
            alter(InPlace, Rewrite)
        }
    };
    Some(match op {
        Op::AddColumn { column, .. } => {
            // ENGINE-FACTS has no row for these two; `bellows trace` on MariaDB 10.11
            // shows an expression default (`DEFAULT (uuid())`) accepted only with
            // ALGORITHM=COPY, and an AUTO_INCREMENT column numbered in place with
            // LOCK=SHARED (MySQL's Online DDL table says the same: rebuilds, no concurrent
            // DML).
            if column.generated == Some(Generated::Stored)
                || matches!(
                    column.default,
                    Some(DefaultKind::Expression(_) | DefaultKind::Volatile(_))
                )
            {
                alter(Copy, Rewrite)
            } else if column.auto_increment {
                alter(InPlaceShared, Rewrite)
            } else if column.unique || column.primary_key {
                // MariaDB 10.11 refuses ALGORITHM=INSTANT for a column with an index
                // ("Try ALGORITHM=INPLACE") and accepts INPLACE, LOCK=NONE.
                alter(InPlace, Rewrite)
            } else if column.placed {
                instant_or_rebuild(since(version, (8, 0, 29), (10, 4)))
            } else {
                instant_or_rebuild(since(version, (8, 0, 12), (10, 3)))
            }
        }
        Op::DropColumn { .. } => instant_or_rebuild(since(version, (8, 0, 29), (10, 4))),
        Op::RenameColumn { .. } => {
            if since(version, (8, 0, 28), (10, 4)) {
                alter(Instant, Metadata)
            } else {
                alter(InPlace, Metadata)
            }
        }
        Op::SetDefault { .. } | Op::DropDefault { .. } => alter(Instant, Metadata),
        Op::RedefineColumn { .. } | Op::AlterColumnType { .. } => {
            if cx.nullability_changes {
                alter(InPlace, Rewrite)
            } else if !cx.type_changes {
                alter(Instant, Metadata)
            } else if cx.safe_widening {
                // VARCHAR growth within its length-prefix size, ENUM/SET values appended.
                alter(if maria { Instant } else { InPlace }, Metadata)
            } else {
                alter(Copy, Rewrite)
            }
        }
        Op::CreateIndex { kind, .. } => match kind {
            IndexKind::Plain => alter(InPlace, IndexBuild),
            IndexKind::Fulltext | IndexKind::Spatial => LockFacts {
                lock: Share,
                cost: IndexBuild,
                transactional: false,
                algorithm: Some(InPlaceShared),
            },
        },
        // MariaDB 10.11 refuses ALGORITHM=INSTANT for DROP INDEX ("Try ALGORITHM=NOCOPY",
        // seen with `bellows trace`); ENGINE-FACTS has no row for it.
        Op::DropIndex { .. } => alter(InPlace, Metadata),
        Op::RenameIndex { .. } => alter(if maria { Instant } else { InPlace }, Metadata),
        Op::AddConstraint { constraint, .. } => match constraint.kind {
            // ENGINE-FACTS: INPLACE only with foreign_key_checks=0 (no rebuild), else COPY.
            ConstraintKind::ForeignKey { .. } if cx.foreign_key_checks_off => {
                alter(InPlace, Metadata)
            }
            ConstraintKind::ForeignKey { .. } => alter(Copy, Rewrite),
            ConstraintKind::PrimaryKey { .. } => alter(InPlace, Rewrite),
            ConstraintKind::Unique { .. } => alter(InPlace, IndexBuild),
            ConstraintKind::Check { .. } | ConstraintKind::Exclude => alter(Copy, Rewrite),
        },
        Op::ConvertCharset { .. } => alter(Copy, Rewrite),
        Op::RebuildTable { .. } => alter(InPlace, Rewrite),
        // ENGINE-FACTS: "drop PRIMARY KEY alone | COPY"; dropped and added in one
        // statement, the table is rebuilt in place (MariaDB 10.11, `bellows trace`).
        Op::DropConstraint { name, .. } if name.as_str() == "primary" => {
            if cx.replaces_primary_key {
                alter(InPlace, Rewrite)
            } else {
                alter(Copy, Rewrite)
            }
        }
        Op::DropConstraint { .. } => alter(if maria { Instant } else { InPlace }, Metadata),
        Op::RenameTable { .. } | Op::AlterTableOther { .. } => alter(Instant, Metadata),
        Op::Insert { .. } | Op::Update { .. } | Op::Delete { .. } => {
            LockFacts::new(RowExclusive, Metadata)
        }
        Op::Select => LockFacts::new(AccessShare, Metadata),
        Op::SetNotNull { .. } | Op::DropNotNull { .. } => alter(InPlace, Rewrite),
        Op::Truncate { .. } | Op::DropTable { .. } => ddl(Metadata),
        Op::CreateTable { .. } | Op::CreateObject { .. } | Op::DropObject { .. } => ddl(Metadata),
        _ => return Option::None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::op::{ColumnSpec, Name};

    #[test]
    fn the_conflict_table_is_postgresqls() {
        use LockLevel::*;
        let modes = [
            AccessShare,
            RowShare,
            RowExclusive,
            ShareUpdateExclusive,
            Share,
            ShareRowExclusive,
            Exclusive,
            AccessExclusive,
        ];
        // Rows of the manual's table: which of `modes` each mode conflicts with.
        let table: [&str; 8] = [
            "       X", "      XX", "    XXXX", "   XXXXX", "  XX XXX", "  XXXXXX", " XXXXXXX",
            "XXXXXXXX",
        ];
        for (i, a) in modes.iter().enumerate() {
            for (j, b) in modes.iter().enumerate() {
                let expected = table[i].as_bytes()[j] == b'X';
                assert_eq!(a.conflicts_with(*b), expected, "{a:?} vs {b:?}");
            }
        }
        assert!(!None.conflicts_with(AccessExclusive));
        assert!(Share.blocks_writes() && !Share.blocks_reads());
        assert!(!ShareUpdateExclusive.blocks_writes());
        assert_eq!(LockLevel::from_pg_mode("RowShareLock"), Some(RowShare));
    }

    #[test]
    fn mysql_facts_name_the_algorithm() {
        let maria = EngineVersion::parse("mariadb-10.11", Dialect::Mysql).unwrap();
        let add = |column: ColumnSpec| Op::AddColumn {
            table: Name::new("t"),
            column,
            if_not_exists: false,
        };
        let facts = |op: &Op, cx: LockContext| {
            known_lock_facts(op, Dialect::Mysql, maria, cx).and_then(|f| f.algorithm)
        };
        let cx = LockContext::default();
        assert_eq!(
            facts(&add(ColumnSpec::default()), cx),
            Some(Algorithm::Instant)
        );
        let auto = ColumnSpec {
            auto_increment: true,
            ..ColumnSpec::default()
        };
        assert_eq!(facts(&add(auto), cx), Some(Algorithm::InPlaceShared));
        let uuid = ColumnSpec {
            default: Some(DefaultKind::Expression("uuid()".into())),
            ..ColumnSpec::default()
        };
        assert_eq!(facts(&add(uuid), cx), Some(Algorithm::Copy));
        let fk = Op::AddConstraint {
            table: Name::new("t"),
            constraint: crate::classify::op::ConstraintSpec {
                name: Option::None,
                kind: ConstraintKind::ForeignKey {
                    columns: vec![Name::new("u")],
                    references: Name::new("u"),
                },
                not_valid: false,
                using_index: Option::None,
            },
        };
        assert_eq!(facts(&fk, cx), Some(Algorithm::Copy));
        let off = LockContext {
            foreign_key_checks_off: true,
            ..cx
        };
        assert_eq!(facts(&fk, off), Some(Algorithm::InPlace));
        assert!(known_lock_facts(&Op::Select, Dialect::Mysql, maria, cx).is_some());
        assert!(known_lock_facts(
            &Op::Inert {
                what: "comment".into()
            },
            Dialect::Postgres,
            Dialect::Postgres.default_version(),
            cx
        )
        .is_none());
    }
}
