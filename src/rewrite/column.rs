//! Column changes: rename, change of type (a new column kept equal by triggers, a batched
//! copy, then the old column dropped), and NOT NULL (a nullable column, a backfill, then
//! NOT NULL set without a long lock).

use super::sql::{cast_cannot_fail, derived, derived_qualified, id, ident, lock_timeout, slug};
use super::{BackfillPlan, Ctx, Refusal, Rewrite, Step, StepPhase};
use crate::classify::op::{ColumnSpec, ConstraintKind, Name, SqlType};
use crate::dialect::Dialect;

pub enum Change {
    Rename(Name),
    Type(SqlType),
}

/// How a value of the old column becomes one of the new, and back.
struct Conversion {
    /// The new column's type, as written.
    new_ty: String,
    old_ty: String,
    /// The type changes (else: a rename).
    retype: bool,
    using: Option<String>,
}

impl Conversion {
    /// The new value from the old column, in an UPDATE of the table (`col` is the old
    /// column, bare).
    fn forward_row(&self, old: &str, d: Dialect) -> String {
        match (&self.using, self.retype, d) {
            (Some(expr), _, _) => format!("({expr})"),
            (None, false, _) | (None, true, Dialect::Mysql) => old.to_owned(),
            (None, true, Dialect::Postgres) => format!("CAST({old} AS {})", self.new_ty),
        }
    }
    /// The new value in a row trigger, from `NEW.old`.
    fn forward_new(&self, old: &str, d: Dialect) -> String {
        match &self.using {
            // The expression names the old column; evaluate it over a one-row derived table.
            Some(expr) => {
                format!("(SELECT {expr} FROM (SELECT NEW.{old} AS {old}) AS bellows_row)")
            }
            None => self.forward_row(&format!("NEW.{old}"), d),
        }
    }
    /// The old value from the new one (`value` is `NEW.col` or a bare column).
    fn backward(&self, value: &str, d: Dialect) -> String {
        match (self.retype, d) {
            (true, Dialect::Postgres) => format!("CAST({value} AS {})", self.old_ty),
            _ => value.to_owned(),
        }
    }
}

/// Rename a column or change its type: expand (new column + triggers), backfill,
/// contract (drop the triggers and the old column, NOT NULL on the new one).
pub fn replace(
    ctx: &Ctx<'_>,
    table: &Name,
    old: &Name,
    change: Change,
) -> Result<Rewrite, Refusal> {
    let d = ctx.dialect();
    let t = ctx.table(table)?;
    let col = t.column(old).ok_or_else(|| {
        Refusal::new(format!(
            "column `{table}.{old}` is not created by an earlier migration"
        ))
    })?;
    if col.generated {
        return Err(Refusal::new(format!(
            "`{table}.{old}` is a generated column; rewrite copies stored values only"
        )));
    }
    let key = ctx.batch_key(t)?;
    if key == *old {
        return Err(Refusal::new(format!(
            "`{table}.{old}` is the primary key the backfill walks; rewrite does not replace a primary key"
        )));
    }
    let (new, conv, what) = match change {
        Change::Rename(to) => (
            to.clone(),
            Conversion {
                new_ty: col.ty.text.clone(),
                old_ty: col.ty.text.clone(),
                retype: false,
                using: None,
            },
            format!("rename {table}.{old} to {table}.{to}"),
        ),
        Change::Type(ty) => {
            let new = match &ctx.opts.new_column {
                Some(n) => Name::ident(n, d),
                None => Name::new(format!("{}_new", old.as_str())),
            };
            if ctx.opts.using.is_none() && !cast_cannot_fail(&col.ty, &ty, d) {
                return Err(Refusal::new(format!(
                    "changing `{table}.{old}` from {} to {} can fail for existing values (a value the new type cannot hold stops the backfill half-way)",
                    col.ty.text, ty.text
                ))
                .help(format!(
                    "say how each value converts with --using 'EXPR' (an expression over the row, e.g. --using \"NULLIF(trim({old}), '')::{}\")",
                    ty.text
                )));
            }
            let what = format!(
                "change {table}.{old} from {} to {} (as the new column {new})",
                col.ty.text, ty.text
            );
            (
                new,
                Conversion {
                    new_ty: ty.text.clone(),
                    old_ty: col.ty.text.clone(),
                    retype: true,
                    using: ctx.opts.using.clone(),
                },
                what,
            )
        }
    };
    if t.column(&new).is_some() {
        return Err(
            Refusal::new(format!("`{table}` already has a column `{new}`"))
                .help("name the new column with --new-column NAME"),
        );
    }
    let relax = col.not_null && !col.has_default;
    let ts = id(table, d);
    let a = id(old, d);
    let b = id(&new, d);
    let lt = lock_timeout(d);
    let (create_sync, drop_sync) = sync_triggers(table, &a, &b, new.as_str(), &conv, d);
    let nullable = |c: &str, ty: &str| match d {
        Dialect::Postgres => format!("ALTER TABLE {ts} ALTER COLUMN {c} DROP NOT NULL;\n"),
        Dialect::Mysql => {
            format!("ALTER TABLE {ts} MODIFY {c} {ty} NULL, ALGORITHM=INPLACE, LOCK=NONE;\n")
        }
    };
    let not_null_again = |c: &str, ty: &str| match d {
        Dialect::Postgres => format!("ALTER TABLE {ts} ALTER COLUMN {c} SET NOT NULL;\n"),
        Dialect::Mysql => format!("ALTER TABLE {ts} MODIFY {c} {ty} NOT NULL;\n"),
    };
    let add_column = |c: &str, ty: &str| match d {
        Dialect::Postgres => format!("ALTER TABLE {ts} ADD COLUMN {c} {ty};\n"),
        Dialect::Mysql => {
            format!("ALTER TABLE {ts} ADD COLUMN {c} {ty} NULL, ALGORITHM=INSTANT;\n")
        }
    };
    let drop_column = |c: &str| format!("ALTER TABLE {ts} DROP COLUMN {c};\n");

    // Expand.
    let mut up = format!(
        "{lt}\n-- Step 1 of: {what}.\n-- The new column, kept equal to the old one by triggers on every insert and update,\n-- whichever column the writing release knows.\n"
    );
    up.push_str(&add_column(&b, &conv.new_ty));
    if relax {
        up.push_str(&format!(
            "-- A release that writes only {b} leaves {a} out of its inserts; the trigger fills it,\n-- and {a} no longer needs to be NOT NULL for that.\n"
        ));
        up.push_str(&nullable(&a, &conv.old_ty));
    }
    up.push('\n');
    up.push_str(&create_sync);
    let mut down = format!("{lt}\n{drop_sync}{}", drop_column(&b));
    if relax {
        down.push_str(&not_null_again(&a, &conv.old_ty));
    }
    let expand = Step {
        slug: format!("add_{}_{}", slug(table.as_str()), slug(new.as_str())),
        phase: StepPhase::Expand,
        purpose: format!("{} (expand: add {new}, keep it equal to {old})", capital(&what)),
        up,
        down,
        verify: None,
        transaction: true,
        backfill: None,
        irreversible: false,
        declare_phase: true,
        then: format!(
            "releases that read and write only `{old}` keep working: the triggers copy every write to `{new}`. Ship the release that reads and writes `{new}` once the backfill has run"
        ),
    };

    // Backfill.
    let fwd = conv.forward_row(&a, d);
    let backfill = backfill_step(
        ctx,
        Backfill {
            table,
            column: &new,
            key: &key,
            value: fwd.clone(),
            todo: vec![format!("{b} IS NULL"), format!("{fwd} IS NOT NULL")],
            purpose: format!("{} (backfill: copy {old} into {new})", capital(&what)),
            skipped: "Rows the triggers already filled are skipped",
            down: format!(
                "-- Nothing to undo: {b} holds copies of {a}, which the triggers keep equal.\n-- Rolling back the expand drops {b}.\n"
            ),
            then: format!(
                "every row has `{new}`: roll out the release that reads and writes only `{new}`, and retire every release that still reads `{old}`"
            ),
        },
    );

    // Contract.
    let mut up = format!(
        "{lt}\n-- Last step of: {what}. Apply once no running release reads or writes {a}.\n"
    );
    if col.not_null {
        up.push_str(&format!("-- {b} becomes NOT NULL, as {a} was.\n"));
        up.push_str(&set_not_null_sql(ctx, table, new.as_str(), &conv.new_ty).0);
    }
    up.push_str(&drop_sync);
    up.push_str(&drop_column(&a));
    let mut down = format!("{lt}\n");
    if col.has_default {
        down.push_str(&format!(
            "-- {a} comes back without its default (the catalog does not record its text): this\n-- migration is marked irreversible.\n"
        ));
    }
    down.push_str(&add_column(&a, &conv.old_ty));
    down.push_str(&format!(
        "UPDATE {ts} SET {a} = {};\n",
        conv.backward(&b, d)
    ));
    down.push('\n');
    down.push_str(&create_sync);
    if col.not_null {
        down.push_str(&set_not_null_sql(ctx, table, new.as_str(), &conv.new_ty).1);
    }
    let contract = Step {
        slug: format!("drop_{}_{}", slug(table.as_str()), slug(old.as_str())),
        phase: StepPhase::Contract,
        purpose: format!("{} (contract: drop {old})", capital(&what)),
        up,
        down,
        verify: None,
        // VALIDATE commits on its own, after the check is in place.
        transaction: !(col.not_null && d == Dialect::Postgres),
        backfill: None,
        irreversible: col.has_default,
        declare_phase: true,
        then: format!("`{old}` is gone; only releases that use `{new}` may run"),
    };

    let mut notes = Vec::new();
    for ix in &t.indexes {
        if ix.columns.contains(old) {
            notes.push(format!(
                "index {} covers `{old}`: create the same index on `{new}` (CONCURRENTLY on PostgreSQL) before the contract; the contract's DROP COLUMN drops it",
                ix.name.as_ref().map(|n| n.as_str()).unwrap_or("(unnamed)")
            ));
        }
    }
    for c in &t.constraints {
        let on_old = match &c.kind {
            ConstraintKind::Unique { columns } | ConstraintKind::ForeignKey { columns, .. } => {
                columns.contains(old)
            }
            _ => false,
        };
        if on_old {
            notes.push(format!(
                "constraint {} uses `{old}`: add it on `{new}` before the contract",
                c.name.as_ref().map(|n| n.as_str()).unwrap_or("(unnamed)")
            ));
        }
    }
    if col.has_default {
        notes.push(format!(
            "`{old}` has a default; `{new}` gets none (the triggers copy the old column's default on inserts that leave both out): add it with SET DEFAULT in the expand if the new release needs it"
        ));
    }
    if conv.retype {
        notes.push(format!(
            "while both columns exist, every value written to `{new}` is converted back to {} for `{old}`; a value {} cannot hold fails the write",
            conv.old_ty, conv.old_ty
        ));
    }
    Ok(Rewrite {
        change: what,
        steps: vec![expand, backfill, contract],
        release_step: 1,
        notes,
    })
}

/// The trigger(s) that keep `a` (old) and `b` (new) equal, and the statements that drop
/// them.
fn sync_triggers(
    table: &Name,
    a: &str,
    b: &str,
    new_name: &str,
    conv: &Conversion,
    d: Dialect,
) -> (String, String) {
    let ts = id(table, d);
    let fwd = conv.forward_new(a, d);
    let rev = conv.backward(&format!("NEW.{b}"), d);
    match d {
        Dialect::Postgres => {
            let func = derived_qualified(table, &slug(new_name), "sync", d);
            let trig = ident(&derived(table, &slug(new_name), "sync").1, d);
            let create = format!(
                "CREATE FUNCTION {func}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.{b} IS NOT NULL THEN
            NEW.{a} := {rev};
        ELSE
            NEW.{b} := {fwd};
        END IF;
    ELSIF NEW.{a} IS DISTINCT FROM OLD.{a} THEN
        NEW.{b} := {fwd};
    ELSIF NEW.{b} IS DISTINCT FROM OLD.{b} AND NEW.{b} IS DISTINCT FROM {fwd} THEN
        NEW.{a} := {rev};
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER {trig} BEFORE INSERT OR UPDATE ON {ts}
    FOR EACH ROW EXECUTE FUNCTION {func}();
"
            );
            let drop = format!("DROP TRIGGER {trig} ON {ts};\nDROP FUNCTION {func}();\n");
            (create, drop)
        }
        Dialect::Mysql => {
            let ins = derived_qualified(table, &slug(new_name), "ins", d);
            let upd = derived_qualified(table, &slug(new_name), "upd", d);
            let create = format!(
                "CREATE TRIGGER {ins} BEFORE INSERT ON {ts} FOR EACH ROW
BEGIN
    IF NEW.{b} IS NOT NULL THEN
        SET NEW.{a} = {rev};
    ELSE
        SET NEW.{b} = {fwd};
    END IF;
END;

CREATE TRIGGER {upd} BEFORE UPDATE ON {ts} FOR EACH ROW
BEGIN
    IF NOT (NEW.{a} <=> OLD.{a}) THEN
        SET NEW.{b} = {fwd};
    ELSEIF NOT (NEW.{b} <=> OLD.{b}) AND NOT (NEW.{b} <=> {fwd}) THEN
        SET NEW.{a} = {rev};
    END IF;
END;
"
            );
            let drop = format!("DROP TRIGGER {ins};\nDROP TRIGGER {upd};\n");
            (create, drop)
        }
    }
}

/// NOT NULL on a column without a long lock, and its undo. PostgreSQL: a `CHECK … NOT
/// VALID`, VALIDATE (reads the table without blocking writes), SET NOT NULL (uses the
/// check instead of a scan), drop the check. MySQL/MariaDB: an online MODIFY.
fn set_not_null_sql(ctx: &Ctx<'_>, table: &Name, column: &str, ty: &str) -> (String, String) {
    let d = ctx.dialect();
    let ts = id(table, d);
    let c = ident(column, d);
    match d {
        Dialect::Postgres => {
            let check = ident(&derived(table, &slug(column), "not_null").1, d);
            (
                format!(
                    "ALTER TABLE {ts} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID;\nALTER TABLE {ts} VALIDATE CONSTRAINT {check};\nALTER TABLE {ts} ALTER COLUMN {c} SET NOT NULL;\nALTER TABLE {ts} DROP CONSTRAINT {check};\n"
                ),
                format!("ALTER TABLE {ts} ALTER COLUMN {c} DROP NOT NULL;\n"),
            )
        }
        Dialect::Mysql => (
            format!("ALTER TABLE {ts} MODIFY {c} {ty} NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;\n"),
            format!("ALTER TABLE {ts} MODIFY {c} {ty} NULL, ALGORITHM=INPLACE, LOCK=NONE;\n"),
        ),
    }
}

/// MySQL `MODIFY` / `CHANGE`: a rename, a type change or NOT NULL, read against the
/// column as it was.
pub fn redefine(
    ctx: &Ctx<'_>,
    table: &Name,
    from: &Name,
    column: &ColumnSpec,
    _text: &str,
) -> Result<Rewrite, Refusal> {
    let t = ctx.table(table)?;
    let before = t.column(from).ok_or_else(|| {
        Refusal::new(format!(
            "column `{table}.{from}` is not created by an earlier migration"
        ))
    })?;
    let same_type = before.ty.name == column.ty.name && before.ty.args == column.ty.args;
    if column.name != *from {
        if !same_type {
            return Err(Refusal::new(format!(
                "`{table}.{from}` is renamed and changes type at once"
            ))
            .help("rename in one migration and change the type in another, then rewrite each"));
        }
        return replace(ctx, table, from, Change::Rename(column.name.clone()));
    }
    if !same_type {
        return replace(ctx, table, from, Change::Type(column.ty.clone()));
    }
    if column.not_null && !before.not_null {
        return set_not_null(ctx, table, from);
    }
    Err(Refusal::new(format!(
        "this MODIFY of `{table}.{from}` is not a rename, a type change or NOT NULL; rewrite has nothing to split"
    )))
}

/// `ADD COLUMN … NOT NULL` without a default: nullable column, backfill with `--using`,
/// then NOT NULL.
pub fn add_required(ctx: &Ctx<'_>, table: &Name, column: &ColumnSpec) -> Result<Rewrite, Refusal> {
    let d = ctx.dialect();
    let c = &column.name;
    if !column.not_null
        || column.default.is_some()
        || column.generated.is_some()
        || column.identity
        || column.serial
        || column.auto_increment
    {
        return Err(Refusal::new(format!(
            "adding `{table}.{c}` breaks no running release (it is nullable, has a default or is generated); nothing to rewrite"
        )));
    }
    if column.primary_key || column.unique || column.references.is_some() || column.check {
        return Err(Refusal::new(format!(
            "`{table}.{c}` also declares a key, a reference or a check; rewrite adds the column alone"
        ))
        .help("add the constraint in its own migration and rewrite that one"));
    }
    let Some(using) = ctx.opts.using.clone() else {
        return Err(Refusal::new(format!(
            "the existing rows of `{table}` need a value for `{c}` before it can be NOT NULL"
        ))
        .help(
            "say which with --using 'EXPR' (an expression over the row, e.g. --using \"0\" or --using \"lower(email)\")",
        ));
    };
    let t = ctx.table(table)?;
    let key = ctx.batch_key(t)?;
    let ts = id(table, d);
    let cs = id(c, d);
    let ty = column.ty.text.clone();
    let lt = lock_timeout(d);
    let what = format!("add {table}.{c} {ty} NOT NULL");
    let add = match d {
        Dialect::Postgres => format!("ALTER TABLE {ts} ADD COLUMN {cs} {ty};\n"),
        Dialect::Mysql => {
            format!("ALTER TABLE {ts} ADD COLUMN {cs} {ty} NULL, ALGORITHM=INSTANT;\n")
        }
    };
    let expand = Step {
        slug: format!("add_{}_{}", slug(table.as_str()), slug(c.as_str())),
        phase: StepPhase::Expand,
        purpose: format!("{} (expand: the column, nullable)", capital(&what)),
        up: format!("{lt}\n-- Step 1 of: {what}. Nullable for now, so inserts that leave it out still work.\n{add}"),
        down: format!("{lt}\nALTER TABLE {ts} DROP COLUMN {cs};\n"),
        verify: None,
        transaction: true,
        backfill: None,
        irreversible: false,
        declare_phase: true,
        then: format!("ship the release that writes `{c}` on every insert, and retire the releases that leave it out"),
    };
    let mut steps = vec![expand, fill_nulls(ctx, table, c, &key, &using, &what)];
    let contract = not_null_contract(ctx, table, c, &ty, &what, true);
    steps.push(contract);
    Ok(Rewrite {
        change: what,
        release_step: 1,
        steps,
        notes: vec![format!(
            "rows inserted without `{c}` after the backfill ran keep NULL: the contract waits until the backfill's verify.sql finds none (rerun the backfill if it does)"
        )],
    })
}

/// SET NOT NULL on an existing column: an optional backfill (`--using`) then NOT NULL the
/// safe way.
pub fn set_not_null(ctx: &Ctx<'_>, table: &Name, column: &Name) -> Result<Rewrite, Refusal> {
    let t = ctx.table(table)?;
    let col = t.column(column).ok_or_else(|| {
        Refusal::new(format!(
            "column `{table}.{column}` is not created by an earlier migration"
        ))
    })?;
    if col.not_null {
        return Err(Refusal::new(format!(
            "`{table}.{column}` is NOT NULL already; nothing to rewrite"
        )));
    }
    let what = format!("make {table}.{column} NOT NULL");
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    match ctx.opts.using.clone() {
        Some(using) => {
            let key = ctx.batch_key(t)?;
            steps.push(fill_nulls(ctx, table, column, &key, &using, &what));
        }
        None => notes.push(format!(
            "no backfill: the contract's check fails while a row has `{column}` NULL; pass --using 'EXPR' to fill them first"
        )),
    }
    let with_backfill = !steps.is_empty();
    steps.push(not_null_contract(
        ctx,
        table,
        column,
        &col.ty.text,
        &what,
        with_backfill,
    ));
    Ok(Rewrite {
        change: what,
        release_step: 0,
        steps,
        notes,
    })
}

/// The batched fill of a column's NULLs with an expression.
fn fill_nulls(ctx: &Ctx<'_>, table: &Name, c: &Name, key: &Name, using: &str, what: &str) -> Step {
    let cs = id(c, ctx.dialect());
    backfill_step(
        ctx,
        Backfill {
            table,
            column: c,
            key,
            value: format!("({using})"),
            todo: vec![format!("{cs} IS NULL")],
            purpose: format!("{} (backfill: fill the NULLs)", capital(what)),
            skipped: "Filled rows are skipped",
            down: "-- Nothing to undo: the filled values are valid ones, and rolling back the expand\n-- (if any) drops the column.\n".to_owned(),
            then: format!("no row has `{c}` NULL; once no running release writes NULL there, the contract can run"),
        },
    )
}

/// A backfill step: what it sets, on which rows, and what it says.
struct Backfill<'a> {
    table: &'a Name,
    /// The column it fills.
    column: &'a Name,
    /// The primary key the batches walk.
    key: &'a Name,
    /// The value written, over the row.
    value: String,
    /// The conditions of a row still to do (its verify.sql counts them).
    todo: Vec<String>,
    purpose: String,
    /// Why a rerun is harmless.
    skipped: &'static str,
    down: String,
    then: String,
}

/// The batched `UPDATE` over `[:batch_start, :batch_end)` of the key, its verify script and
/// its `[backfill]`.
fn backfill_step(ctx: &Ctx<'_>, b: Backfill<'_>) -> Step {
    let d = ctx.dialect();
    let (ts, cs, k) = (id(b.table, d), id(b.column, d), id(b.key, d));
    let value = b.value;
    let todo = b.todo.join("\n   AND ");
    let count = b.todo.join(" AND ");
    Step {
        slug: format!("backfill_{}_{}", slug(b.table.as_str()), slug(b.column.as_str())),
        phase: StepPhase::Backfill,
        purpose: b.purpose,
        up: format!(
            "-- Runs once per batch of {k}, [:batch_start, :batch_end), each batch in its own\n-- transaction ([backfill] in the migration's metadata).\n-- {}, so a rerun is harmless.\nUPDATE {ts}\n   SET {cs} = {value}\n WHERE {k} >= :batch_start\n   AND {k} < :batch_end\n   AND {todo};\n",
            b.skipped
        ),
        down: b.down,
        verify: Some(format!(
            "-- The rows still to do: 0 when the backfill is done.\nSELECT count(*) FROM {ts} WHERE {count};\n"
        )),
        transaction: true,
        backfill: Some(BackfillPlan {
            table: b.table.as_str().to_owned(),
            key: b.key.as_str().to_owned(),
            batch_size: ctx.opts.batch_size,
        }),
        irreversible: false,
        declare_phase: true,
        then: b.then,
    }
}

fn not_null_contract(
    ctx: &Ctx<'_>,
    table: &Name,
    c: &Name,
    ty: &str,
    what: &str,
    after_backfill: bool,
) -> Step {
    let d = ctx.dialect();
    let (up, down) = set_not_null_sql(ctx, table, c.as_str(), ty);
    let lt = lock_timeout(d);
    let how = match d {
        Dialect::Postgres => "-- CHECK … NOT VALID, VALIDATE (no write lock while it reads the table), then SET NOT NULL,\n-- which uses the validated check instead of scanning, and the check is dropped.\n",
        Dialect::Mysql => "-- An online MODIFY: the table is rebuilt in place while writes go on.\n",
    };
    Step {
        slug: format!("require_{}_{}", slug(table.as_str()), slug(c.as_str())),
        phase: StepPhase::Contract,
        purpose: format!("{} (contract: NOT NULL)", capital(what)),
        up: format!(
            "{lt}\n-- Last step of: {what}. Apply once no running release writes NULL{}.\n{how}{up}",
            if after_backfill { " and the backfill is done" } else { "" }
        ),
        down: format!("{lt}\n{down}"),
        verify: None,
        transaction: d == Dialect::Mysql,
        backfill: None,
        irreversible: false,
        declare_phase: true,
        then: format!("`{c}` is NOT NULL: every insert must supply it"),
    }
}

pub(super) fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
