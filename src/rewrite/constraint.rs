//! PostgreSQL index and constraint builds: `CREATE INDEX` becomes `CREATE INDEX
//! CONCURRENTLY` in its own migration outside a transaction; `ADD FOREIGN KEY` / `CHECK`
//! becomes `NOT VALID` followed by `VALIDATE` in a separate migration.

use super::sql::{id, ident, lock_timeout, slug};
use super::{Ctx, Refusal, Rewrite, Step, StepPhase};
use crate::classify::op::{ConstraintKind, Op};
use crate::dialect::Dialect;

pub fn split(ctx: &Ctx<'_>, op: &Op, text: &str) -> Result<Rewrite, Refusal> {
    let d = ctx.dialect();
    let statement = text.trim().trim_end_matches(';').trim_end();
    match op {
        Op::CreateIndex {
            concurrently: true, ..
        } => Err(Refusal::new("the index is built CONCURRENTLY already; nothing to rewrite")),
        Op::CreateIndex { .. } if d == Dialect::Mysql => Err(Refusal::new(
            "MySQL and MariaDB build a secondary index in place while writes go on; nothing to split",
        )
        .help("keep the CREATE INDEX; add `ALGORITHM=INPLACE, LOCK=NONE` to have the server refuse a blocking build")),
        Op::CreateIndex { name: None, .. } => Err(Refusal::new(
            "the index has no name; the down script of a concurrent build drops it by name",
        )
        .help("name the index (CREATE INDEX users_email_idx ON …)")),
        Op::CreateIndex {
            name: Some(name),
            table,
            ..
        } => {
            let Some(at) = word_end(statement, "index") else {
                return Err(Refusal::new("cannot find the INDEX keyword of the statement"));
            };
            let up_sql = format!("{} CONCURRENTLY{};\n", &statement[..at], &statement[at..]);
            let index = match table.as_str().rsplit_once('.') {
                Some((schema, _)) if !name.as_str().contains('.') => {
                    format!("{}.{}", ident(schema, d), id(name, d))
                }
                _ => id(name, d),
            };
            let what = format!("create index {name} on {table}");
            let step = Step {
                slug: format!("index_{}", slug(name.as_str())),
                phase: StepPhase::Expand,
                purpose: format!("{} (concurrently, outside a transaction)", super::column::capital(&what)),
                up: format!(
                    "{}\n-- Builds the index while reads and writes go on. A build that fails leaves an\n-- INVALID index behind: drop it (the down script) before running this again.\n{up_sql}",
                    lock_timeout(d)
                ),
                down: format!("{}\nDROP INDEX CONCURRENTLY IF EXISTS {index};\n", lock_timeout(d)),
                verify: None,
                transaction: false,
                backfill: None,
                irreversible: false,
                declare_phase: true,
                then: "nothing changes for the application".to_owned(),
            };
            Ok(Rewrite {
                change: what,
                steps: vec![step],
                release_step: 0,
                notes: Vec::new(),
            })
        }
        Op::AddConstraint { table, constraint } => {
            if constraint.not_valid {
                return Err(Refusal::new("the constraint is NOT VALID already; nothing to rewrite"));
            }
            let kind = match &constraint.kind {
                ConstraintKind::ForeignKey { .. } => "foreign key",
                ConstraintKind::Check { .. } => "check",
                _ => {
                    return Err(Refusal::new(
                        "only FOREIGN KEY and CHECK constraints can be added NOT VALID",
                    )
                    .help("for UNIQUE / PRIMARY KEY, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX"))
                }
            };
            if d == Dialect::Mysql {
                return Err(Refusal::new(format!(
                    "MySQL and MariaDB have no NOT VALID: a {kind} is checked against every row when it is added"
                )));
            }
            let Some(name) = &constraint.name else {
                return Err(Refusal::new(
                    "the constraint has no name; VALIDATE CONSTRAINT names it",
                )
                .help("name it: ADD CONSTRAINT orders_user_fk FOREIGN KEY …"));
            };
            let ts = id(table, d);
            let cn = id(name, d);
            let lt = lock_timeout(d);
            let add = format!("{statement} NOT VALID;\n");
            let what = format!("add {kind} {name} on {table}");
            let base = slug(name.as_str());
            let add_step = Step {
                slug: format!("add_{base}"),
                // A new rule for every write: the phase of a constraint is contract.
                phase: StepPhase::Contract,
                purpose: format!("{} (NOT VALID: new rows only)", super::column::capital(&what)),
                up: format!(
                    "{lt}\n-- Checks new and updated rows from now on; existing rows are checked by the next\n-- migration, without blocking writes.\n{add}"
                ),
                down: format!("{lt}\nALTER TABLE {ts} DROP CONSTRAINT {cn};\n"),
                verify: None,
                transaction: true,
                backfill: None,
                irreversible: false,
                declare_phase: true,
                then: format!("every write must satisfy {name} from here on"),
            };
            let validate = Step {
                slug: format!("validate_{base}"),
                phase: StepPhase::Contract,
                purpose: format!("{} (VALIDATE existing rows)", super::column::capital(&what)),
                up: format!(
                    "{lt}\n-- Reads every row under SHARE UPDATE EXCLUSIVE: reads and writes go on.\nALTER TABLE {ts} VALIDATE CONSTRAINT {cn};\n"
                ),
                down: format!(
                    "{lt}\n-- A constraint cannot be made NOT VALID again: drop it and add it back unvalidated.\nALTER TABLE {ts} DROP CONSTRAINT {cn};\n{add}"
                ),
                verify: None,
                transaction: true,
                backfill: None,
                irreversible: false,
                declare_phase: true,
                then: format!("{name} holds for every row"),
            };
            Ok(Rewrite {
                change: what,
                steps: vec![add_step, validate],
                release_step: 0,
                notes: Vec::new(),
            })
        }
        _ => Err(Refusal::new("not an index or constraint build")),
    }
}

/// The byte offset just after the first whole word `word` (case-insensitive) in `text`.
fn word_end(text: &str, word: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(word) {
        let start = from + pos;
        let end = start + word.len();
        let before = start == 0 || !is_word(bytes[start - 1]);
        let after = end == bytes.len() || !is_word(bytes[end]);
        if before && after {
            return Some(end);
        }
        from = end;
    }
    None
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
