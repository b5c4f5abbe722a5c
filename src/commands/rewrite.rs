//! `bellows rewrite`: find the migration, refuse one already recorded in bellows.sum, read
//! it against the schema the migrations before it build, and replace it with the steps
//! `rewrite/` writes: new migrations in the catalog's layout (placed by `fix::place`, as
//! `lint --fix` places its migrations), the original removed, and the releases of
//! bellows.toml that required it pointed at the step the new release needs.
//!
//! Glue only: the SQL is `rewrite/`. Everything is computed before anything is written, so
//! a refusal leaves the catalog as it was.

use super::{write_stdout, Outcome};
use crate::catalog::analysis::analyze;
use crate::catalog::layout::{same_version, Catalog, Layout, Migration};
use crate::catalog::sections::Markers;
use crate::cli::settings::lint_settings;
use crate::cli::{RewriteArgs, RuleSelectionArgs};
use crate::dialect::Dialect;
use crate::fix::place::{goose_blocks, next_version, placed, Placed};
use crate::project::{read_sum, resolve, Project};
use crate::rewrite::{rewrite, Options, Rewrite, Statement, Step, StepPhase};
use miette::{miette, IntoDiagnostic};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One file the rewrite writes (`new: None`: removes).
struct FileChange {
    path: PathBuf,
    old: String,
    new: Option<String>,
}

pub fn run(args: RewriteArgs) -> miette::Result<Outcome> {
    let at = Project::open_for(&args.catalog, &args.migration)?;
    let catalog = &at.catalog;
    if matches!(catalog.layout, Layout::Sqitch | Layout::Prisma) {
        let help = match catalog.layout {
            Layout::Sqitch => "copy the migration into a native catalog (<id>/up.sql) and rewrite it there to get the steps; then add them with `sqitch add` (its plan holds the dependencies) and run the backfill with `bellows migrate apply` from that native catalog",
            _ => "copy the migration into a native catalog (<id>/up.sql) and rewrite it there to get the steps; then create them with `prisma migrate dev --create-only` and paste each up script (Prisma keeps no down scripts)",
        };
        return Err(miette!(
            help = help,
            "the catalog at {} is in the {} layout, which has no place for a migration's phase, dependencies or `[backfill]`; rewrite cannot write the steps there",
            at.dir.display(),
            catalog.layout
        ));
    }
    let id = resolve(catalog, &args.migration)?;
    if let Some(sum) = read_sum(&at.sum_path)? {
        if sum.entries.iter().any(|e| e.id == id) {
            return Err(miette!(
                help = "a recorded migration may have run somewhere already; write the change as new migrations instead",
                "{id} is recorded in {}: rewrite replaces only migrations not recorded yet",
                at.sum_path.display()
            ));
        }
    }
    let settings = lint_settings(
        &at.config,
        at.dialect_args(),
        &RuleSelectionArgs::default(),
        false,
    )?;
    let analysis = analyze(catalog, &settings).into_diagnostic()?;
    let k = catalog
        .migrations
        .iter()
        .position(|m| m.id == id)
        .ok_or_else(|| miette!("{id} is not in the catalog"))?;
    let original = &catalog.migrations[k];
    let result = &analysis.results[k];
    let statements: Vec<Statement<'_>> = result
        .statements
        .iter()
        .filter(|s| s.inside.is_none())
        .map(|s| Statement {
            ops: s.ops.iter().map(|o| &o.op).collect(),
            text: result.source.slice(&s.span),
            line: result.source.position(s.span.start).line,
        })
        .collect();
    let opts = Options {
        dialect: settings.dialect,
        version: settings.version,
        using: args.using.clone(),
        new_column: args.new_column.clone(),
        batch_size: args.batch_size.map(|n| n.max(1)),
    };
    let plan = rewrite(&statements, &analysis.states[k], &opts).map_err(|r| match r.help {
        Some(help) => miette!(help = help, "{}: {}", original.up.display(), r.message),
        None => miette!("{}: {}", original.up.display(), r.message),
    })?;
    let places = step_places(catalog, k, &plan)?;
    let ids: Vec<String> = places.iter().map(|p| p.id.clone()).collect();
    let mut changes = original_removed(catalog.layout, original)?;
    let mut notes = Vec::new();
    for (step, place) in plan.steps.iter().zip(&places) {
        let (files, missing) = step_files(
            catalog.layout,
            settings.dialect,
            step,
            place,
            &ids,
            &plan,
            original,
        );
        changes.extend(files);
        notes.extend(missing);
    }
    if catalog.layout.holds_sidecar() {
        notes.push(format!(
            "each step's phase, requires and [backfill] are in `<id>.toml` beside its script: bellows reads it, the {} tool ignores it",
            catalog.layout
        ));
    }
    if catalog.layout != Layout::Native && plan.steps.iter().any(|s| s.backfill.is_some()) {
        notes.push(format!(
            "apply the backfill with `bellows migrate apply`: its :batch_start / :batch_end are bellows' batches, which the {} tool does not fill in",
            catalog.layout
        ));
    }
    let release_id = &ids[plan.release_step];
    let config_path = args
        .catalog
        .config
        .clone()
        .unwrap_or_else(|| at.config_dir.join(crate::config::FILE_NAME));
    let mut moved = Vec::new();
    if let Some(change) = releases_moved(&config_path, &id, release_id, &mut moved)? {
        changes.push(change);
    }
    // Checked before anything is written: a new file must not exist yet, unless it is one
    // of the original's, which the rewrite removes.
    let removed: Vec<&Path> = changes
        .iter()
        .filter(|c| c.new.is_none())
        .map(|c| c.path.as_path())
        .collect();
    for c in changes
        .iter()
        .filter(|c| c.new.is_some() && c.old.is_empty())
    {
        if c.path.exists() && !removed.contains(&c.path.as_path()) {
            return Err(miette!("{} exists already", c.path.display()));
        }
    }
    let summary = |dry_run| summary(&plan, &ids, original, &moved, &notes, dry_run);
    if args.dry_run {
        write_stdout(|out| {
            for c in &changes {
                out.write_all(diff(c).as_bytes())?;
            }
            out.write_all(summary(true).as_bytes())
        })?;
        return Ok(Outcome::Clean);
    }
    apply(&changes, catalog.layout, original)?;
    write_stdout(|out| out.write_all(summary(false).as_bytes()))?;
    Ok(Outcome::Clean)
}

/// Where the steps go: the first takes the original's version, each next one the version
/// right after the one before (`fix::place`: `0009`, `2024-01-01-120001`, Flyway `8.1`),
/// all before the migration that follows the original, named and laid out like it.
fn step_places(catalog: &Catalog, k: usize, plan: &Rewrite) -> miette::Result<Vec<Placed>> {
    let layout = catalog.layout;
    let original = &catalog.migrations[k];
    let next = catalog.migrations.get(k + 1);
    let mut versions = vec![original.version.clone()];
    while versions.len() < plan.steps.len() {
        let taken = |v: &str| {
            let other = |(i, m): (usize, &Migration)| i != k && same_version(layout, &m.version, v);
            catalog.migrations.iter().enumerate().any(other)
                || versions.iter().any(|s| same_version(layout, s, v))
        };
        let last = versions.last().map_or("", String::as_str);
        let Some(version) = next_version(layout, last, next.map(|n| n.version.as_str()), &taken)
        else {
            let v = &original.version;
            return Err(match next {
                Some(next) => miette!(
                    help = "rewrite the newest migration, or renumber the ones after it",
                    "{} is followed by {}: there is no room for {} migrations numbered from {v}",
                    original.id,
                    next.id,
                    plan.steps.len()
                ),
                None => miette!(
                    "{}: the version `{v}` holds no number, so rewrite cannot number the steps after it",
                    original.id
                ),
            });
        };
        versions.push(version);
    }
    versions
        .iter()
        .zip(&plan.steps)
        .map(|(v, step)| placed(layout, original, v, &step.slug).map_err(|e| miette!("{e}")))
        .collect()
}

/// The original migration's files, removed (diesel's `metadata.toml` with its directory).
fn original_removed(layout: Layout, m: &Migration) -> miette::Result<Vec<FileChange>> {
    let mut out: Vec<FileChange> = Vec::new();
    let mut paths = vec![m.up.clone()];
    paths.extend(m.down.clone());
    paths.extend(m.verify.clone());
    paths.extend(m.meta_path().filter(|p| p.exists()));
    if matches!(layout, Layout::Native | Layout::Diesel) {
        paths.extend(
            m.up.parent()
                .map(|d| d.join("metadata.toml"))
                .filter(|p| p.is_file()),
        );
    }
    for path in paths {
        // dbmate, goose: up and down are one file.
        if out.iter().any(|c| c.path == path) {
            continue;
        }
        let old = std::fs::read_to_string(&path)
            .map_err(|e| miette!("cannot read {}: {e}", path.display()))?;
        out.push(FileChange {
            path,
            old,
            new: None,
        });
    }
    Ok(out)
}

/// A step's files where `place` puts them, and a note for each part the layout has no
/// place for.
fn step_files(
    layout: Layout,
    dialect: Dialect,
    step: &Step,
    place: &Placed,
    ids: &[String],
    plan: &Rewrite,
    original: &Migration,
) -> (Vec<FileChange>, Vec<String>) {
    let mut notes = Vec::new();
    // sqlx's own marker for a migration it must not wrap in a transaction (golang-migrate
    // reads it as a comment).
    let marked = |text: &str| match (layout, step.transaction) {
        (Layout::SqlxPairs, false) => format!("-- no-transaction\n{text}"),
        _ => text.to_owned(),
    };
    let (up, down) = match place.sections {
        Some(Markers::Goose) => (
            goose_blocks(&step.up, dialect),
            goose_blocks(&step.down, dialect),
        ),
        _ => (step.up.clone(), step.down.clone()),
    };
    let mut files = vec![(
        place.up.clone(),
        place.file_text(&marked(&up), &down, step.transaction),
    )];
    match &place.down {
        Some(down) => files.push((down.clone(), marked(&step.down))),
        None if place.sections.is_none() => notes.push(format!(
            "{}: the {layout} layout has no down scripts, so its down script is not written (`bellows rewrite --dry-run` in a native catalog shows it)",
            place.id
        )),
        None => {}
    }
    match (&step.verify, &place.verify) {
        (Some(verify), Some(path)) => files.push((path.clone(), verify.clone())),
        (Some(verify), None) => notes.push(format!(
            "{}: the {layout} layout has no verify script, so `migrate apply` cannot count the rows left before the contract; run this before it, and expect 0: {}",
            place.id,
            verify
                .lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join(" ")
        )),
        (None, _) => {}
    }
    files.push((
        place.meta.clone(),
        migration_toml(step, &place.id, ids, plan, original),
    ));
    if let Some(path) = place.diesel_metadata.as_ref().filter(|_| !step.transaction) {
        files.push((path.clone(), "run_in_transaction = false\n".to_owned()));
    }
    let files = files
        .into_iter()
        .map(|(path, text)| FileChange {
            path,
            old: String::new(),
            new: Some(text),
        })
        .collect();
    (files, notes)
}

fn migration_toml(
    step: &Step,
    sid: &str,
    ids: &[String],
    plan: &Rewrite,
    original: &Migration,
) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let list = |v: &[String]| {
        format!(
            "[{}]",
            v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        )
    };
    let k = ids.iter().position(|i| i == sid).unwrap_or(0);
    let mut t = String::new();
    if step.declare_phase {
        let _ = writeln!(t, "phase = {}", q(step.phase.as_str()));
    }
    let _ = writeln!(t, "purpose = {}", q(&step.purpose));
    if let Some(owner) = &original.meta.owner {
        let _ = writeln!(t, "owner = {}", q(owner));
    }
    let requires = if k == 0 {
        original.meta.requires.clone()
    } else {
        vec![ids[k - 1].clone()]
    };
    if !requires.is_empty() {
        let _ = writeln!(t, "requires = {}", list(&requires));
    }
    // A contract finishes the expand and backfill steps before it.
    let replaced: Vec<String> = plan
        .steps
        .iter()
        .zip(ids)
        .take(k)
        .filter(|(s, _)| s.phase != StepPhase::Contract)
        .map(|(_, i)| i.clone())
        .collect();
    if step.phase == StepPhase::Contract && !replaced.is_empty() {
        let _ = writeln!(t, "replaces = {}", list(&replaced));
    }
    if !step.transaction {
        let _ = writeln!(t, "transaction = false");
    }
    if step.irreversible {
        let _ = writeln!(t, "irreversible = true");
    }
    if let Some(b) = &step.backfill {
        let _ = writeln!(
            t,
            "\n[backfill]\ntable = {}\nkey = {}",
            q(&b.table),
            q(&b.key)
        );
        if let Some(n) = b.batch_size {
            let _ = writeln!(t, "batch_size = {n}");
        }
    }
    t
}

/// bellows.toml with every release that required `from` requiring `to`, formatting kept.
fn releases_moved(
    path: &Path,
    from: &str,
    to: &str,
    moved: &mut Vec<String>,
) -> miette::Result<Option<FileChange>> {
    let Ok(old) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let mut doc: toml_edit::DocumentMut = old
        .parse()
        .map_err(|e| miette!("cannot read {}: {e}", path.display()))?;
    if let Some(releases) = doc
        .get_mut("release")
        .and_then(|r| r.as_array_of_tables_mut())
    {
        for release in releases.iter_mut() {
            if release.get("requires").and_then(|r| r.as_str()) == Some(from) {
                let version = release
                    .get("version")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_owned();
                let decor = release
                    .get("requires")
                    .and_then(|r| r.as_value())
                    .map(|v| v.decor().clone());
                let mut value = toml_edit::Value::from(to);
                if let Some(decor) = decor {
                    *value.decor_mut() = decor;
                }
                release["requires"] = toml_edit::Item::Value(value);
                moved.push(version);
            }
        }
    }
    if moved.is_empty() {
        return Ok(None);
    }
    Ok(Some(FileChange {
        path: path.to_path_buf(),
        new: Some(doc.to_string()),
        old,
    }))
}

fn diff(c: &FileChange) -> String {
    // Paths as the user would type them: relative to the current directory when inside it.
    let cwd = std::env::current_dir().unwrap_or_default();
    let name = c
        .path
        .strip_prefix(&cwd)
        .unwrap_or(&c.path)
        .display()
        .to_string();
    let (a, b) = match &c.new {
        None => (name.clone(), "/dev/null".to_owned()),
        Some(_) if c.old.is_empty() => ("/dev/null".to_owned(), name.clone()),
        Some(_) => (name.clone(), name.clone()),
    };
    let new = c.new.as_deref().unwrap_or("");
    similar::TextDiff::from_lines(c.old.as_str(), new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

/// Writes the new files and bellows.toml, then removes the original's files (and its
/// directory once empty).
fn apply(changes: &[FileChange], layout: Layout, original: &Migration) -> miette::Result<()> {
    let write = |path: &Path, text: &str| -> miette::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| miette!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(path, text).map_err(|e| miette!("cannot write {}: {e}", path.display()))
    };
    let new_paths: Vec<&Path> = changes
        .iter()
        .filter(|c| c.new.is_some())
        .map(|c| c.path.as_path())
        .collect();
    for c in changes {
        if c.new.is_none() && !new_paths.contains(&c.path.as_path()) {
            std::fs::remove_file(&c.path)
                .map_err(|e| miette!("cannot remove {}: {e}", c.path.display()))?;
        }
    }
    if let Some(dir) = original
        .up
        .parent()
        .filter(|_| matches!(layout, Layout::Native | Layout::Diesel))
    {
        // Only when nothing else is left in it.
        let _ = std::fs::remove_dir(dir);
    }
    for c in changes {
        if let Some(text) = &c.new {
            write(&c.path, text)?;
        }
    }
    Ok(())
}

fn summary(
    plan: &Rewrite,
    ids: &[String],
    original: &Migration,
    moved: &[String],
    layout_notes: &[String],
    dry_run: bool,
) -> String {
    let mut s = String::new();
    let verb = if dry_run { "would replace" } else { "replaced" };
    let _ = writeln!(
        s,
        "{verb} {} ({}) with {} migration{}:",
        original.id,
        plan.change,
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" }
    );
    for (step, sid) in plan.steps.iter().zip(ids) {
        let mode = if step.transaction {
            ""
        } else {
            ", outside a transaction"
        };
        let _ = writeln!(s, "  {:<9} {sid}{mode}", step.phase.as_str());
        let _ = writeln!(s, "            then: {}", step.then);
    }
    for version in moved {
        let _ = writeln!(
            s,
            "bellows.toml: release {version} requires {} (was {})",
            ids[plan.release_step], original.id
        );
    }
    for note in plan.notes.iter().chain(layout_notes) {
        let _ = writeln!(s, "note: {note}");
    }
    if dry_run {
        let _ = writeln!(s, "(dry run: nothing written)");
    }
    s
}
