//! Rename a table: the table takes its new name and a view keeps the old one working
//! (a simple view over one table is updatable in PostgreSQL and MySQL/MariaDB), then the
//! view is dropped once no release uses the old name.

use super::sql::{id, lock_timeout, slug};
use super::{Ctx, Refusal, Rewrite, Step, StepPhase};
use crate::classify::op::Name;
use crate::dialect::Dialect;

pub fn rename(ctx: &Ctx<'_>, from: &Name, to: &Name) -> Result<Rewrite, Refusal> {
    let d = ctx.dialect();
    ctx.table(from)?;
    let a = id(from, d);
    let b = id(to, d);
    let lt = lock_timeout(d);
    let what = format!("rename table {from} to {to}");
    let rename = match d {
        Dialect::Postgres => format!("ALTER TABLE {a} RENAME TO {b};\n"),
        Dialect::Mysql => format!("RENAME TABLE {a} TO {b};\n"),
    };
    let back = match d {
        Dialect::Postgres => format!("ALTER TABLE {b} RENAME TO {a};\n"),
        Dialect::Mysql => format!("RENAME TABLE {b} TO {a};\n"),
    };
    let view = format!("CREATE VIEW {a} AS SELECT * FROM {b};\n");
    let atomic = match d {
        Dialect::Postgres => "-- Both statements commit together: no moment without the old name.\n",
        Dialect::Mysql => "-- MySQL/MariaDB commit each DDL statement: between the two the old name is\n-- missing for an instant, and a query arriving then fails once.\n",
    };
    let expand = Step {
        slug: format!("rename_{}_to_{}", slug(from.as_str()), slug(to.as_str())),
        phase: StepPhase::Expand,
        purpose: format!("{} (expand: a view keeps the old name)", super::column::capital(&what)),
        up: format!(
            "{lt}\n-- Step 1 of: {what}. The old name becomes a view over the renamed table; a\n-- simple view is updatable, so releases that use {a} keep reading and writing it.\n{atomic}-- bellows: ignore rename-table, mixed-phases -- the view {a} keeps the old name working\n{rename}{view}"
        ),
        down: format!("{lt}\nDROP VIEW {a};\n{back}"),
        verify: None,
        transaction: true,
        backfill: None,
        irreversible: false,
        declare_phase: false,
        then: format!(
            "releases that use `{from}` keep working through the view; ship the release that uses `{to}` and retire the ones that use `{from}`"
        ),
    };
    let contract = Step {
        slug: format!("drop_{}_view", slug(from.as_str())),
        phase: StepPhase::Contract,
        purpose: format!("{} (contract: drop the old name)", super::column::capital(&what)),
        up: format!(
            "{lt}\n-- Last step of: {what}. Apply once no running release uses {a}.\nDROP VIEW {a};\n"
        ),
        down: format!("{lt}\n{view}"),
        verify: None,
        transaction: true,
        backfill: None,
        irreversible: false,
        declare_phase: true,
        then: format!("`{from}` is gone; only releases that use `{to}` may run"),
    };
    Ok(Rewrite {
        change: what,
        steps: vec![expand, contract],
        release_step: 0,
        notes: vec![format!(
            "the view has the columns `{from}` has now; a column added to `{to}` later is not in it"
        )],
    })
}
