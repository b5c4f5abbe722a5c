//! `bellows lint`: read paths, lint them as migration sequences, print the report.

use super::{write_stdout, Outcome};
use crate::catalog::layout::Migration;
use crate::cli::settings::{lint_scope, lint_settings, load_config, project_root};
use crate::cli::LintArgs;
use crate::dialect::Dialect;
use crate::files::{migrations_at, Listing};
use crate::git::{Change, Changes};
use crate::lint::baseline::{self, Baseline};
use crate::lint::seed::load_seed;
use crate::lint::{lint_inputs_from, lint_inputs_map, FileOptions, FileResult};
use crate::report::{write_lint_report, write_rendered, Format, Rendered, TextOptions};
use crate::schema::Schema;
use crate::source::SourceFile;
use miette::{miette, IntoDiagnostic, WrapErr};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub fn run(args: LintArgs) -> miette::Result<Outcome> {
    let format = args.format;
    lint(args).inspect_err(|e| {
        // A CI step reading stdout still gets a valid (failed) document; the error itself
        // is reported on stderr and the exit status is 2.
        let text = crate::runner::url::redact(&error_text(e));
        let _ = write_stdout(|out| crate::report::write_failure(out, format, &text));
    })
}

/// The error and its causes, one sentence after another.
fn error_text(e: &miette::Report) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    if let Some(help) = e.help() {
        text.push_str(&format!(" (help: {help})"));
    }
    text
}

/// Paths as the repository names them (relative to the git work tree's top, else to the
/// current directory), whatever the arguments were: `migrations/…` both for
/// `bellows lint` and for `bellows lint "$PWD/migrations"`.
struct RepoPaths<'a> {
    cwd: &'a Path,
    base: PathBuf,
    stdin_name: &'a str,
    /// Canonical paths of the directories that hold migration directories.
    dirs: Mutex<HashMap<PathBuf, PathBuf>>,
}

impl<'a> RepoPaths<'a> {
    fn new(cwd: &'a Path, stdin_name: &'a str) -> Self {
        let base = crate::git::toplevel(cwd).unwrap_or_else(|| cwd.to_path_buf());
        let base = std::fs::canonicalize(&base).unwrap_or(base);
        RepoPaths {
            cwd,
            base,
            stdin_name,
            dirs: Mutex::new(HashMap::new()),
        }
    }

    /// Names one result's file as the repository does.
    fn apply(&self, r: &mut FileResult) {
        if r.source.path == self.stdin_name {
            return;
        }
        let path = self.cwd.join(&r.source.path);
        let path = self.canonical(&path).unwrap_or(path);
        if let Ok(rel) = path.strip_prefix(&self.base) {
            r.source.path = rel.to_string_lossy().replace('\\', "/");
        }
    }

    /// `fs::canonicalize(path)`, with fewer system calls for the usual `…/dir/file` of
    /// a migrations directory: when neither the file nor its directory is a link, the
    /// canonical path is the directory's parent's (computed once) with both names.
    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        let plain =
            |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink());
        if let (Some(name), Some(dir)) = (path.file_name(), path.parent()) {
            if let (Some(dir_name), Some(parent)) = (dir.file_name(), dir.parent()) {
                if plain(path) && plain(dir) {
                    if let Some(parent) = self.canonical_dir(parent) {
                        return Some(parent.join(dir_name).join(name));
                    }
                }
            }
        }
        std::fs::canonicalize(path).ok()
    }

    fn canonical_dir(&self, dir: &Path) -> Option<PathBuf> {
        let known = self.dirs.lock().ok()?.get(dir).cloned();
        if known.is_some() {
            return known;
        }
        let canonical = std::fs::canonicalize(dir).ok()?;
        self.dirs
            .lock()
            .ok()?
            .insert(dir.to_path_buf(), canonical.clone());
        Some(canonical)
    }
}

fn lint(args: LintArgs) -> miette::Result<Outcome> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let start = args
        .paths
        .iter()
        .find(|p| p.as_os_str() != "-")
        .cloned()
        .unwrap_or_else(|| cwd.clone());
    let loaded = load_config(&args.dialect, &start)?;
    let settings = lint_settings(
        &loaded.config,
        &args.dialect,
        &args.rules,
        args.assume_in_transaction,
    )?;
    let root = project_root(&loaded, &cwd);
    let scope = lint_scope(&loaded.config, &root)?;
    // Files named in bellows.toml are relative to it; files named by flags, to the cwd.
    let from_config = |p: &Option<String>| p.as_ref().map(|p| root.join(p));
    let seed = match args
        .schema
        .clone()
        .or_else(|| from_config(&loaded.config.lint.schema))
    {
        Some(path) => load_seed(&path, &settings)?,
        None => Schema::default(),
    };
    let baseline = match (&args.write_baseline, args.no_baseline) {
        (Some(_), _) | (None, true) => None,
        (None, false) => args
            .baseline
            .clone()
            .or_else(|| from_config(&loaded.config.lint.baseline))
            .map(|path| Baseline::load(&path))
            .transpose()?,
    };
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        let dir = root.join(loaded.config.migrations.as_deref().unwrap_or("migrations"));
        if !dir.is_dir() {
            return Err(miette!(
                help = "name the files or directories to lint: `bellows lint migrations/`",
                "no path given and no migrations directory at {}",
                dir.display()
            ));
        }
        vec![dir]
    } else {
        args.paths.clone()
    };

    let changes = if args.staged {
        Some(Changes::staged(&cwd)?)
    } else if let Some(rev) = &args.changed_since {
        Some(Changes::since(&cwd, rev)?)
    } else {
        None
    };
    // What the report shows: not the excluded files, and with --staged / --changed-since
    // only the changed ones (the others were replayed for the schema model).
    let reported = |path: &str| {
        !scope.is_excluded(path)
            && changes.as_ref().is_none_or(|changes| {
                path == args.stdin_filename || changes.get(Path::new(path)).is_some()
            })
    };
    if args.write_baseline.is_none()
        && baseline.is_none()
        && !args.fix
        && Rendered::supports(args.format)
    {
        // Nothing needs the results but the report: each file's part of it is rendered as
        // soon as the file is judged, and the file's analysis is dropped.
        let repo = RepoPaths::new(&cwd, &args.stdin_filename);
        let text = TextOptions {
            color: crate::cli::color::stdout(),
            width: crate::cli::color::width(),
        };
        let render = |mut r: FileResult| {
            if !reported(&r.source.path) {
                return None;
            }
            repo.apply(&mut r);
            Some(Rendered::of(&r, args.format, text))
        };
        let mut rendered = Vec::new();
        for path in &paths {
            let sources = read_sources(
                path,
                settings.dialect,
                &args.stdin_filename,
                changes.as_ref(),
            )?;
            rendered.extend(
                lint_inputs_map(
                    sources,
                    &settings,
                    seed.clone(),
                    &|source| scope.settings_for(&source.path, &settings),
                    &render,
                )
                .into_iter()
                .flatten(),
            );
        }
        let rendered = rendered
            .into_iter()
            .collect::<std::io::Result<Vec<Rendered>>>()
            .into_diagnostic()
            .wrap_err("cannot render the report")?;
        write_stdout(|out| write_rendered(out, &rendered, args.format))?;
        let outcome = if rendered.iter().any(Rendered::has_errors) {
            Outcome::Findings
        } else {
            Outcome::Clean
        };
        std::mem::forget(rendered);
        return Ok(outcome);
    }
    let mut results: Vec<FileResult> = Vec::new();
    for path in &paths {
        let sources = read_sources(
            path,
            settings.dialect,
            &args.stdin_filename,
            changes.as_ref(),
        )?;
        results.extend(lint_inputs_from(
            sources,
            &settings,
            seed.clone(),
            &|source| scope.settings_for(&source.path, &settings),
        ));
    }
    results.retain(|r| reported(&r.source.path));
    if let Some(file) = &args.write_baseline {
        let entries = baseline::entries(&results, &scope);
        baseline::write(file, &entries)?;
        write_stdout(|out| crate::report::baseline::write_written(out, &entries, file))?;
        return Ok(Outcome::Clean);
    }
    let applied = baseline
        .as_ref()
        .map(|b| (b, b.apply(&mut results, &scope)));
    if args.fix {
        // Findings in the baseline are accepted as they are: only reported ones are fixed.
        let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
        let paths = paths.iter().map(|p| cwd.join(p)).collect::<Vec<_>>();
        let fix_scope = crate::fix::FixScope {
            paths: &paths,
            root: &root,
            base: &cwd,
            dialect: settings.dialect,
        };
        let wrote = crate::fix::fix_results(&results, &fix_scope, args.dry_run, &mut out, &mut err)
            .into_diagnostic()
            .wrap_err("cannot write the fixes")?;
        drop((out, err));
        if args.dry_run {
            return Ok(Outcome::Clean);
        }
        if wrote {
            // Report what is left after the fixes.
            return lint(LintArgs { fix: false, ..args });
        }
    }
    let repo = RepoPaths::new(&cwd, &args.stdin_filename);
    results.par_iter_mut().for_each(|r| repo.apply(r));
    let shown = |p: &Path| p.strip_prefix(&cwd).unwrap_or(p).to_path_buf();

    let color = crate::cli::color::stdout();
    let width = crate::cli::color::width();
    write_stdout(|out| {
        write_lint_report(out, &results, args.format, TextOptions { color, width })?;
        match &applied {
            Some((b, applied))
                if matches!(
                    args.format,
                    Format::Text | Format::Github | Format::Markdown
                ) =>
            {
                crate::report::baseline::write_summary(out, applied, &shown(&b.path), args.format)
            }
            _ => Ok(()),
        }
    })?;
    if let Some((b, applied)) = &applied {
        if !matches!(
            args.format,
            Format::Text | Format::Github | Format::Markdown
        ) {
            // JSON, SARIF and gcc lines stay machine-readable on stdout.
            let _ = crate::report::baseline::write_summary(
                &mut std::io::stderr().lock(),
                applied,
                &shown(&b.path),
                args.format,
            );
        }
    }
    let outcome = if results.iter().any(FileResult::has_errors) {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    // The process ends after the report: freeing every file's analysis, one allocation at
    // a time, would be work for nothing.
    std::mem::forget(results);
    Ok(outcome)
}

/// The sources one path argument names, in migration order, with their metadata.
fn read_sources(
    path: &Path,
    dialect: Dialect,
    stdin_name: &str,
    changes: Option<&Changes>,
) -> miette::Result<Vec<(SourceFile, FileOptions)>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .into_diagnostic()
            .wrap_err("cannot read standard input")?;
        return Ok(vec![(
            SourceFile::from_bytes(stdin_name, &bytes),
            FileOptions::default(),
        )]);
    }
    // The layout detector decides what is a migration, as for `catalog` and `migrate`; a
    // file named on its own is read once, for its markers and for linting.
    let (listing, lone) = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_dir() => {
            let (migration, bytes) = Migration::lone_read(path)?;
            let listing = Listing {
                migrations: vec![migration],
                skipped: Vec::new(),
            };
            (listing, Mutex::new(Some(bytes)))
        }
        _ => (migrations_at(path, Some(dialect))?, Mutex::new(None)),
    };
    for skipped in &listing.skipped {
        eprintln!("note: {skipped}");
    }
    // Reading is part of the parallel work: a directory of thousands of small files is
    // otherwise read one after another.
    listing
        .migrations
        .par_iter()
        .map(|m| {
            let f = &m.up;
            let change = changes.and_then(|c| c.get(f));
            let read = lone.lock().ok().and_then(|mut bytes| bytes.take());
            let source = match (changes, change, read) {
                // The pre-commit hook lints what will be committed, not the working tree.
                (Some(c), Some(_), _) if c.staged => {
                    SourceFile::from_bytes(f.display().to_string(), &c.staged_content(f)?)
                }
                (_, _, Some(bytes)) => SourceFile::from_vec(f.display().to_string(), bytes),
                _ => {
                    SourceFile::read(f).map_err(|e| miette!("cannot read {}: {e}", f.display()))?
                }
            };
            // A rollback section in the same file is not linted.
            let source = match m.sections {
                Some(_) if source.encoding == crate::source::Encoding::Utf8 => {
                    SourceFile::new(source.path.clone(), m.lint_view(&source.text))
                }
                _ => source,
            };
            let meta = &m.meta;
            let options = FileOptions {
                declared_phase: meta.phase.map(|p| p.phase()),
                transaction: meta.transaction,
                edited_since: match (changes, change) {
                    (Some(c), Some(Change::Modified)) => Some(c.base.clone()),
                    _ => None,
                },
            };
            Ok((source, options))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn repository_paths_are_the_canonical_paths() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let write = |p: &str| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "SELECT 1;").unwrap();
        };
        write("m/0001_a/up.sql");
        write("elsewhere/x/up.sql");
        write("elsewhere/y.sql");
        std::fs::create_dir_all(root.join("m/0003_c")).unwrap();
        // A linked migration directory, a linked file, a linked directory of migrations.
        symlink(root.join("elsewhere/x"), root.join("m/0002_b")).unwrap();
        symlink(root.join("elsewhere/y.sql"), root.join("m/0003_c/up.sql")).unwrap();
        symlink(root.join("m"), root.join("linked")).unwrap();
        let repo = RepoPaths::new(&root, "<stdin>");
        for p in [
            "m/0001_a/up.sql",
            "m/0002_b/up.sql",
            "m/0003_c/up.sql",
            "linked/0001_a/up.sql",
            "linked/0002_b/up.sql",
            "m/../m/0001_a/up.sql",
            "m/0001_a/../0001_a/up.sql",
            "m/0001_a/./up.sql",
            "m/0001_a/up.sql/..",
            "m/missing/up.sql",
            "up.sql",
        ] {
            let path = root.join(p);
            // Twice: the second time from what the first one remembered.
            for _ in 0..2 {
                assert_eq!(
                    repo.canonical(&path),
                    std::fs::canonicalize(&path).ok(),
                    "{p}"
                );
            }
        }
    }
}
