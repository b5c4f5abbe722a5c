//! Linting one open file in the context of its project: bellows.toml found upward from the
//! file, the schema replayed from the migrations before it, its metadata; the editor's
//! buffer stands in for the file on disk.

use crate::cli::settings::{lint_scope, lint_settings, load_config, project_root};
use crate::cli::{DialectArgs, RuleSelectionArgs};
use crate::files::migrations_at;
use crate::fix::Project;
use crate::lint::seed::load_seed;
use crate::lint::{lint_input_with, FileOptions, FileResult};
use crate::schema::Schema;
use crate::source::SourceFile;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The schema model replayed from the migrations before an open file, kept while those
/// files, bellows.toml and the schema seed are unchanged on disk: an edit to the open file
/// then lints that file alone.
#[derive(Default)]
pub struct Replays {
    by_file: HashMap<PathBuf, Replay>,
}

struct Replay {
    key: Vec<(PathBuf, Option<SystemTime>, u64)>,
    schema: Schema,
}

/// What a file's modification time and length are now (`None` when it cannot be read).
fn stamp(path: &Path) -> (PathBuf, Option<SystemTime>, u64) {
    let meta = std::fs::metadata(path).ok();
    (
        path.to_path_buf(),
        meta.as_ref().and_then(|m| m.modified().ok()),
        meta.map_or(0, |m| m.len()),
    )
}

/// A linted buffer, and what its fixes need.
pub struct Linted {
    /// `None` when bellows.toml excludes the file from linting.
    pub result: Option<FileResult>,
    pub project: Project,
}

fn options(m: &crate::catalog::layout::Migration) -> FileOptions {
    FileOptions {
        declared_phase: m.meta.phase.map(|p| p.phase()),
        transaction: m.meta.transaction,
        edited_since: None,
    }
}

/// Lints `text` as the content of `path` (an absolute path).
pub fn lint_buffer(path: &Path, text: &str, replays: &mut Replays) -> Result<Linted, String> {
    let start = path.parent().unwrap_or(path);
    let loaded = load_config(&DialectArgs::default(), start).map_err(|e| e.to_string())?;
    let settings = lint_settings(
        &loaded.config,
        &DialectArgs::default(),
        &RuleSelectionArgs::default(),
        false,
    )
    .map_err(|e| e.to_string())?;
    let root = project_root(&loaded, start);
    let scope = lint_scope(&loaded.config, &root).map_err(|e| e.to_string())?;
    let seed = match &loaded.config.lint.schema {
        Some(p) => load_seed(&root.join(p), &settings).map_err(|e| e.to_string())?,
        None => Schema::default(),
    };
    let project = Project::load(path, &root, Some(settings.dialect));
    let shown = path.display().to_string();
    if scope.is_excluded(&shown) {
        return Ok(Linted {
            result: None,
            project,
        });
    }

    // The migrations before this one, as `bellows lint` reads them.
    let mut before = Vec::new();
    let mut own_options = FileOptions::default();
    let mut sections = crate::catalog::sections::Markers::detect(text);
    if let Some(catalog) = &project.catalog {
        if let Ok(listing) = migrations_at(&catalog.root, Some(settings.dialect)) {
            for m in listing.migrations {
                if crate::fix::same_file(&m.up, path) {
                    own_options = options(&m);
                    sections = m.sections.or(sections);
                    break;
                }
                before.push(m);
            }
        }
    } else if let Ok(m) = crate::catalog::layout::Migration::lone(path) {
        own_options = options(&m);
    }
    let mut key: Vec<_> = before.iter().map(|m| stamp(&m.up)).collect();
    key.extend(
        before
            .iter()
            .filter_map(|m| m.meta_path())
            .map(|p| stamp(&p)),
    );
    key.extend(loaded.path.iter().map(|p| stamp(p)));
    key.extend(
        loaded
            .config
            .lint
            .schema
            .iter()
            .map(|p| stamp(&root.join(p))),
    );
    let settings_for = |s: &SourceFile| scope.settings_for(&s.path, &settings);
    let mut schema = match replays.by_file.get(path) {
        Some(r) if r.key == key => r.schema.clone(),
        _ => {
            let mut schema = seed;
            for m in &before {
                let Ok(source) = SourceFile::read(&m.up) else {
                    continue;
                };
                let source = match m.sections {
                    Some(_) if source.encoding == crate::source::Encoding::Utf8 => {
                        SourceFile::new(source.path.clone(), m.lint_view(&source.text))
                    }
                    _ => source,
                };
                let own = settings_for(&source);
                lint_input_with(
                    source,
                    options(m),
                    own.as_ref().unwrap_or(&settings),
                    &mut schema,
                );
            }
            replays.by_file.insert(
                path.to_path_buf(),
                Replay {
                    key,
                    schema: schema.clone(),
                },
            );
            schema
        }
    };
    if sections.is_some_and(|m| m.no_transaction(text)) {
        own_options.transaction = Some(false);
    }
    let view = match sections {
        Some(markers) => markers.blank_down(text),
        None => text.to_owned(),
    };
    let source = SourceFile::new(shown, view);
    let own = settings_for(&source);
    let result = lint_input_with(
        source,
        own_options,
        own.as_ref().unwrap_or(&settings),
        &mut schema,
    );
    Ok(Linted {
        result: Some(result),
        project,
    })
}
