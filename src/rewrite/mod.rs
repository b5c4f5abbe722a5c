//! `bellows rewrite`: one breaking change turned into the expand / backfill / contract
//! migrations that replace it ([docs/rewrite.md](../../docs/rewrite.md)).
//!
//! Pure: (the migration's operations, the schema before it, the dialect) → steps, each with
//! its up, down and verify scripts, its `migration.toml` facts and what the application
//! must do once it is applied. It reads and writes no files: `commands/rewrite.rs` places
//! the steps in the catalog.

mod column;
mod constraint;
mod sql;
mod table;

use crate::classify::op::{Name, Op};
use crate::dialect::{Dialect, EngineVersion};
use crate::schema::Schema;

/// The rules whose finding a rewrite fixes; their pages point to `docs/rewrite.md`.
pub const RULES: &[&str] = &[
    "rename-column",
    "change-column-type",
    "rename-table",
    "add-column-required",
    "set-not-null",
    "create-index-non-concurrent",
    "constraint-without-not-valid",
];

/// The phase a step declares in its `migration.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepPhase {
    Expand,
    Backfill,
    Contract,
}

impl StepPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            StepPhase::Expand => "expand",
            StepPhase::Backfill => "backfill",
            StepPhase::Contract => "contract",
        }
    }
}

/// `[backfill]` of a backfill step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillPlan {
    pub table: String,
    pub key: String,
    /// `--batch-size`: fixed pacing; `None`: the runner's adaptive pacing.
    pub batch_size: Option<u64>,
}

/// One replacement migration.
#[derive(Debug, Clone)]
pub struct Step {
    /// The name part of its id (`add_users_email_address`).
    pub slug: String,
    pub phase: StepPhase,
    pub purpose: String,
    pub up: String,
    pub down: String,
    pub verify: Option<String>,
    /// `false`: the runner does not wrap it in a transaction.
    pub transaction: bool,
    pub backfill: Option<BackfillPlan>,
    /// Its down script cannot bring back everything up removed.
    pub irreversible: bool,
    /// Whether `migration.toml` declares the phase. The linter reads a table rename as a
    /// contract; with the view that keeps the old name it is an expand, which the
    /// statements alone do not show, so that step leaves its phase undeclared.
    pub declare_phase: bool,
    /// What the application must do once this step is applied.
    pub then: String,
}

/// The replacement of one migration.
#[derive(Debug, Clone)]
pub struct Rewrite {
    /// What the breaking change was (`rename users.email to users.email_address`).
    pub change: String,
    pub steps: Vec<Step>,
    /// The step the release written for the new shape needs (releases that required the
    /// original migration require this one instead).
    pub release_step: usize,
    /// Things the rewrite does not carry over and the user must look at.
    pub notes: Vec<String>,
}

/// What the user told the rewrite.
#[derive(Debug, Clone)]
pub struct Options {
    pub dialect: Dialect,
    pub version: EngineVersion,
    /// `--using`: the expression that computes the new value from the row.
    pub using: Option<String>,
    /// `--new-column`: the new column's name for a type change.
    pub new_column: Option<String>,
    pub batch_size: Option<u64>,
}

/// Why a migration cannot be rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub help: Option<String>,
}

impl Refusal {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Refusal {
            message: message.into(),
            help: None,
        }
    }
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// One statement of the migration: its operations and its text.
pub struct Statement<'a> {
    pub ops: Vec<&'a Op>,
    pub text: &'a str,
    /// 1-based line, for messages.
    pub line: usize,
}

/// Reads the migration's statements and writes the sequence that replaces its one breaking
/// change. Statements that only set session options or control the transaction are left
/// out; any other statement beside the breaking one is refused (rewrite one change per
/// migration).
pub fn rewrite(
    statements: &[Statement<'_>],
    schema: &Schema,
    opts: &Options,
) -> Result<Rewrite, Refusal> {
    let mut breaking: Option<(&Statement<'_>, &Op)> = None;
    for s in statements {
        for op in &s.ops {
            if ignorable(op) {
                continue;
            }
            if let Some((first, _)) = breaking {
                return Err(Refusal::new(format!(
                    "line {}: the migration holds more than one change (the first at line {}); rewrite takes one change per migration",
                    s.line, first.line
                ))
                .help("split the migration into one migration per change, then rewrite each"));
            }
            breaking = Some((s, op));
        }
    }
    let Some((statement, op)) = breaking else {
        return Err(Refusal::new("the migration changes nothing rewrite knows"));
    };
    let at = |r: Refusal| Refusal {
        message: format!("line {}: {}", statement.line, r.message),
        help: r.help,
    };
    let ctx = Ctx { schema, opts };
    match op {
        Op::RenameColumn { table, from, to } => {
            column::replace(&ctx, table, from, column::Change::Rename(to.clone())).map_err(at)
        }
        Op::AlterColumnType {
            table, column, ty, ..
        } => column::replace(&ctx, table, column, column::Change::Type(ty.clone())).map_err(at),
        Op::RedefineColumn {
            table,
            from,
            column,
        } => column::redefine(&ctx, table, from, column, statement.text).map_err(at),
        Op::SetNotNull { table, column } => column::set_not_null(&ctx, table, column).map_err(at),
        Op::AddColumn { table, column, .. } => {
            column::add_required(&ctx, table, column).map_err(at)
        }
        Op::RenameTable { from, to } => table::rename(&ctx, from, to).map_err(at),
        Op::CreateIndex { .. } | Op::AddConstraint { .. } => {
            constraint::split(&ctx, op, statement.text).map_err(at)
        }
        other => Err(at(Refusal::new(format!(
            "`{}` is not a breaking change rewrite knows",
            other.name()
        ))
        .help(
            "rewrite knows: rename column, change column type, rename table, add a NOT NULL column / SET NOT NULL, CREATE INDEX (PostgreSQL), ADD FOREIGN KEY / CHECK (PostgreSQL)",
        ))),
    }
}

/// Operations that carry no schema change: session settings, transaction control, the
/// algorithm / lock clauses of a MySQL ALTER.
fn ignorable(op: &Op) -> bool {
    matches!(
        op,
        Op::Set { .. }
            | Op::Transaction(_)
            | Op::Inert { .. }
            | Op::Select
            | Op::AlterAlgorithm { .. }
            | Op::AlterLock { .. }
    )
}

/// What every row's generator reads.
pub(crate) struct Ctx<'a> {
    pub schema: &'a Schema,
    pub opts: &'a Options,
}

impl Ctx<'_> {
    pub fn dialect(&self) -> Dialect {
        self.opts.dialect
    }

    /// The table as the catalog built it, or a refusal that says why it is needed.
    pub fn table(&self, name: &Name) -> Result<&crate::schema::Table, Refusal> {
        match self.schema.table(name) {
            Some(t) if !t.columns_unknown => Ok(t),
            _ => Err(Refusal::new(format!(
                "table `{name}` is not created by an earlier migration of the catalog, so its columns are not known"
            ))
            .help("rewrite reads the column types and the primary key from the migrations before this one")),
        }
    }

    /// The single integer primary key column a batched backfill walks.
    pub fn batch_key(&self, table: &crate::schema::Table) -> Result<Name, Refusal> {
        use crate::classify::op::ConstraintKind;
        let pk = table.constraints.iter().find_map(|c| match &c.kind {
            ConstraintKind::PrimaryKey { columns } => Some(columns.clone()),
            _ => None,
        });
        let integer = |n: &Name| {
            table.column(n).is_some_and(|c| {
                let t = c.ty.name.trim_end_matches(" unsigned");
                matches!(
                    t,
                    "integer" | "bigint" | "smallint" | "tinyint" | "mediumint"
                )
            })
        };
        match pk.as_deref() {
            Some([one]) if integer(one) => Ok(one.clone()),
            _ => Err(Refusal::new(format!(
                "the backfill walks `{}` in batches of its primary key, which must be one integer column",
                table.name
            ))
            .help("give the table an integer primary key first, or write the backfill by hand")),
        }
    }
}
