//! The expand / backfill / contract phase of an operation.
//!
//! Owns the definition in DESIGN.md: additive changes expand, data movement backfills,
//! removing or tightening contracts, and anything done to a table created in the same
//! migration expands. Needs a little context the caller derives from the schema model.

use super::op::{ConstraintKind, Name, ObjectKind, Op};
use std::collections::HashSet;
use std::fmt;

/// The phase of one change, or of a file (the union of its statements' phases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    None,
    Expand,
    Backfill,
    Contract,
    Mixed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::None => "none",
            Phase::Expand => "expand",
            Phase::Backfill => "backfill",
            Phase::Contract => "contract",
            Phase::Mixed => "mixed",
        }
    }

    /// The union of two phases: `none` adds nothing; two different phases are `mixed`.
    pub fn union(self, other: Phase) -> Phase {
        match (self, other) {
            (Phase::None, p) | (p, Phase::None) => p,
            (a, b) if a == b => a,
            _ => Phase::Mixed,
        }
    }

    pub fn parse(text: &str) -> Option<Phase> {
        Some(match text {
            "none" => Phase::None,
            "expand" => Phase::Expand,
            "backfill" => Phase::Backfill,
            "contract" => Phase::Contract,
            "mixed" => Phase::Mixed,
            _ => return None,
        })
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the caller knows about an operation's target from the schema model.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseContext {
    /// The table was created earlier in the same migration.
    pub table_is_new: bool,
    /// For a type change: the new type is a safe widening of the old one.
    pub safe_widening: bool,
    /// For a MySQL column redefinition: it adds NOT NULL to a nullable column.
    pub adds_not_null: bool,
    /// For a MySQL column redefinition: the type changes at all.
    pub type_changes: bool,
    /// For a create or drop of a function, view, type …: the migration both creates and
    /// later drops it (a helper), so nothing of it remains.
    pub object_is_temporary: bool,
}

/// The names a `CREATE`/`DROP` of a function, procedure, view, type … acts on.
pub fn object_names(op: &Op) -> Vec<&Name> {
    match op {
        Op::CreateObject { name, .. } => vec![name],
        Op::DropObject { names, .. } => names.iter().collect(),
        _ => Vec::new(),
    }
}

/// The objects that `ops` (one migration, in order) create and later drop.
pub fn temporary_objects<'a>(ops: impl IntoIterator<Item = &'a Op>) -> HashSet<Name> {
    let mut created: HashSet<&Name> = HashSet::new();
    let mut temporary = HashSet::new();
    for op in ops {
        match op {
            Op::CreateObject { name, .. } => {
                created.insert(name);
            }
            Op::DropObject { names, .. } => {
                temporary.extend(names.iter().filter(|n| created.contains(n)).cloned());
            }
            _ => {}
        }
    }
    temporary
}

/// The phase of one operation.
pub fn phase_of(op: &Op, cx: PhaseContext) -> Phase {
    use Op::*;
    if cx.object_is_temporary && matches!(op, CreateObject { .. } | DropObject { .. }) {
        // A helper created and dropped by one migration leaves nothing behind.
        return Phase::None;
    }
    let base = match op {
        Transaction(_)
        | Set { .. }
        | Inert { .. }
        | LockTable { .. }
        | Select
        | Vacuum { .. }
        | Reindex { .. } => return Phase::None,
        VacuumFull { .. }
        | Cluster { .. }
        | SetLogged { .. }
        | SetTablespace { .. }
        | RebuildTable { .. }
        | AlterAlgorithm { .. }
        | AlterLock { .. }
        | AlterTableOther { .. }
        | RefreshMaterializedView { .. }
        | Procedural { .. }
        | Other { .. }
        | AlterObject {
            kind: ObjectKind::Sequence,
            ..
        } => Phase::None,
        CreateTable { .. }
        | CreateIndex { .. }
        | CreateObject { .. }
        | CreateEnum { .. }
        | AddEnumValue { .. }
        | CreateSchema { .. }
        | SetDefault { .. }
        | DropNotNull { .. }
        | AttachPartition { .. }
        | AlterObject { .. } => Phase::Expand,
        AddColumn { column, .. } => {
            if column.not_null
                && column.default.is_none()
                && !column.serial
                && !column.identity
                && !column.auto_increment
                && column.generated.is_none()
            {
                // Old releases that insert without this column start failing.
                Phase::Contract
            } else {
                // Constraints arriving with the column restrict only the new column.
                Phase::Expand
            }
        }
        AlterColumnType { .. } => {
            if cx.safe_widening {
                Phase::Expand
            } else {
                Phase::Contract
            }
        }
        RedefineColumn { from, column, .. } => {
            let renames = from != &column.name;
            if renames || cx.adds_not_null || (cx.type_changes && !cx.safe_widening) {
                Phase::Contract
            } else {
                Phase::Expand
            }
        }
        // A domain constraint restricts what every release may write to its columns.
        AddDomainConstraint { .. } => Phase::Contract,
        AddConstraint { constraint, .. } => match constraint.kind {
            // A constraint restricts what every release may write: a tightening.
            ConstraintKind::Check { .. }
            | ConstraintKind::ForeignKey { .. }
            | ConstraintKind::Unique { .. }
            | ConstraintKind::PrimaryKey { .. }
            | ConstraintKind::Exclude => Phase::Contract,
        },
        ValidateConstraint { .. } | SetNotNull { .. } => Phase::Contract,
        DropTable { .. }
        | RenameTable { .. }
        | Truncate { .. }
        | DropColumn { .. }
        | RenameColumn { .. }
        | DropDefault { .. }
        | DropConstraint { .. }
        | RenameConstraint { .. }
        | DropIndex { .. }
        | RenameIndex { .. }
        | DetachPartition { .. }
        | ConvertCharset { .. }
        | DropObject { .. }
        | DropSchema { .. } => Phase::Contract,
        Insert { .. } | Update { .. } | Delete { .. } => Phase::Backfill,
    };
    if cx.table_is_new && base != Phase::None {
        Phase::Expand
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_of_phases() {
        assert_eq!(Phase::None.union(Phase::Expand), Phase::Expand);
        assert_eq!(Phase::Expand.union(Phase::Expand), Phase::Expand);
        assert_eq!(Phase::Expand.union(Phase::Contract), Phase::Mixed);
        assert_eq!(Phase::Mixed.union(Phase::None), Phase::Mixed);
    }

    #[test]
    fn helpers_created_and_dropped_are_temporary() {
        let f = Name::new("tmp");
        let create = Op::CreateObject {
            kind: ObjectKind::Function,
            name: f.clone(),
            on_table: None,
            view: None,
        };
        let drop = Op::DropObject {
            kind: ObjectKind::Function,
            names: vec![f.clone()],
        };
        assert!(temporary_objects([&create, &drop]).contains(&f));
        // Dropping first and creating again replaces an existing function.
        assert!(temporary_objects([&drop, &create]).is_empty());
        let cx = PhaseContext {
            object_is_temporary: true,
            ..PhaseContext::default()
        };
        assert_eq!(phase_of(&drop, cx), Phase::None);
        assert_eq!(phase_of(&create, cx), Phase::None);
        assert_eq!(phase_of(&drop, PhaseContext::default()), Phase::Contract);
    }
}
