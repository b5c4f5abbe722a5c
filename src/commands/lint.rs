//! `bellows lint`: read paths, lint them as migration sequences, print the report.

use super::{write_stdout, Outcome};
use crate::cli::settings::{lint_settings, load_config};
use crate::cli::LintArgs;
use crate::files::migrations_at;
use crate::git::{Change, Changes};
use crate::lint::{lint_inputs, FileOptions, FileResult};
use crate::report::{write_lint_report, TextOptions};
use crate::source::SourceFile;
use miette::{miette, IntoDiagnostic, WrapErr};
use rayon::prelude::*;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

pub fn run(args: LintArgs) -> miette::Result<Outcome> {
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
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        let base = loaded
            .path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.clone());
        let dir = base.join(loaded.config.migrations.as_deref().unwrap_or("migrations"));
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
    let mut results: Vec<FileResult> = Vec::new();
    for path in &paths {
        let sources = read_sources(path, &args.stdin_filename, changes.as_ref())?;
        results.extend(lint_inputs(sources, &settings));
    }
    if let Some(changes) = &changes {
        // Earlier migrations were replayed for the schema model; report only the changed.
        results.retain(|r| {
            r.source.path == args.stdin_filename || changes.get(Path::new(&r.source.path)).is_some()
        });
    }

    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    write_stdout(|out| {
        write_lint_report(out, &results, args.format, TextOptions { color, width })
    })?;
    Ok(if results.iter().any(FileResult::has_errors) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// The sources one path argument names, in migration order, with their metadata.
fn read_sources(
    path: &Path,
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
    // The layout detector decides what is a migration, as for `catalog` and `migrate`.
    let listing = migrations_at(path)?;
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
            let source = match (changes, change) {
                // The pre-commit hook lints what will be committed, not the working tree.
                (Some(c), Some(_)) if c.staged => {
                    SourceFile::from_bytes(f.display().to_string(), &c.staged_content(f)?)
                }
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
