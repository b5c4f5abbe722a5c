//! `bellows rewrite`: find the migration, refuse one already recorded in bellows.sum, read
//! it against the schema the migrations before it build, and replace it with the steps
//! `rewrite/` writes: new migration directories, the original removed, and the releases of
//! bellows.toml that required it pointed at the step the new release needs.
//!
//! Glue only: the SQL is `rewrite/`. Everything is computed before anything is written, so
//! a refusal leaves the catalog as it was.

use super::{write_stdout, Outcome};
use crate::catalog::analysis::analyze;
use crate::catalog::layout::{Catalog, Layout, Migration};
use crate::cli::settings::lint_settings;
use crate::cli::{RewriteArgs, RuleSelectionArgs};
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
    if catalog.layout != Layout::Native {
        return Err(miette!(
            help = "rewrite writes migrations as <id>/up.sql, down.sql, verify.sql and migration.toml (backfills need `[backfill]`)",
            "the catalog at {} is in the {} layout; rewrite writes bellows-native migrations only",
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
    let ids = step_ids(catalog, k, &plan)?;
    let mut changes = original_removed(original)?;
    for (step, sid) in plan.steps.iter().zip(&ids) {
        changes.extend(step_files(&at.dir, step, sid, &ids, &plan, original));
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
    // Checked before anything is written: a new directory must not exist yet.
    for (sid, _) in ids.iter().zip(&plan.steps) {
        let dir = at.dir.join(sid);
        if dir.exists() && *sid != original.id {
            return Err(miette!("{} exists already", dir.display()));
        }
    }
    if args.dry_run {
        write_stdout(|out| {
            for c in &changes {
                out.write_all(diff(c).as_bytes())?;
            }
            out.write_all(summary(&plan, &ids, original, &moved, true).as_bytes())
        })?;
        return Ok(Outcome::Clean);
    }
    apply(&changes, original)?;
    write_stdout(|out| out.write_all(summary(&plan, &ids, original, &moved, false).as_bytes()))?;
    Ok(Outcome::Clean)
}

/// The ids of the steps: the original's version, then the next numbers, same width. They
/// must sort before the migration that follows the original.
fn step_ids(catalog: &Catalog, k: usize, plan: &Rewrite) -> miette::Result<Vec<String>> {
    let original = &catalog.migrations[k];
    let v = &original.version;
    let number: u128 = v
        .parse()
        .ok()
        .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            miette!(
                "{}: the version `{v}` is not a number, so rewrite cannot number the steps after it",
                original.id
            )
        })?;
    let width = v.len();
    let last = number + plan.steps.len() as u128 - 1;
    if let Some(next) = catalog.migrations.get(k + 1) {
        let fits = next.version.parse::<u128>().is_ok_and(|n| n > last);
        if !fits {
            return Err(miette!(
                help = "rewrite the newest migration, or renumber the ones after it",
                "{} is followed by {}: there is no room for {} migrations numbered from {v}",
                original.id,
                next.id,
                plan.steps.len()
            ));
        }
    }
    Ok(plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{:0width$}_{}", number + i as u128, s.slug))
        .collect())
}

/// The original migration's files, removed.
fn original_removed(m: &Migration) -> miette::Result<Vec<FileChange>> {
    let mut out = Vec::new();
    let mut paths = vec![m.up.clone()];
    paths.extend(m.down.clone());
    paths.extend(m.verify.clone());
    paths.extend(m.meta_path().filter(|p| p.exists()));
    for path in paths {
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

fn step_files(
    dir: &Path,
    step: &Step,
    sid: &str,
    ids: &[String],
    plan: &Rewrite,
    original: &Migration,
) -> Vec<FileChange> {
    let at = dir.join(sid);
    let mut files = vec![
        ("up.sql", step.up.clone()),
        ("down.sql", step.down.clone()),
        (
            "migration.toml",
            migration_toml(step, sid, ids, plan, original),
        ),
    ];
    if let Some(verify) = &step.verify {
        files.push(("verify.sql", verify.clone()));
    }
    files
        .into_iter()
        .map(|(name, text)| FileChange {
            path: at.join(name),
            old: String::new(),
            new: Some(text),
        })
        .collect()
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
fn apply(changes: &[FileChange], original: &Migration) -> miette::Result<()> {
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
    if let Some(dir) = original.up.parent() {
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
    for note in &plan.notes {
        let _ = writeln!(s, "note: {note}");
    }
    if dry_run {
        let _ = writeln!(s, "(dry run: nothing written)");
    }
    s
}
