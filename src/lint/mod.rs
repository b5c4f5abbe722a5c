//! The lint pipeline: source → parse → classify → schema replay → rules → findings.
//!
//! Owns running the stages in order for one file or a directory of migrations (replaying
//! the schema model across files, from an empty model or a seed) and applying
//! suppressions, per-path settings and the findings baseline. Writes nothing to the
//! terminal: the report module renders what this returns.

mod analyze;
pub mod baseline;
mod procedural;
pub mod scope;
pub mod seed;
mod suppress;

pub use analyze::{AnalyzedStatement, OpInfo};

use crate::classify::phase::Phase;
use crate::dialect::{Dialect, EngineVersion};
use crate::rules::{Finding, RuleSet};
use crate::schema::Schema;
use crate::source::SourceFile;
use rayon::prelude::*;

/// Everything the linter needs to know besides the text.
#[derive(Debug, Clone)]
pub struct LintSettings {
    pub dialect: Dialect,
    pub version: EngineVersion,
    /// The runner wraps each migration in a transaction (unless the file opts out with
    /// `-- bellows: no-transaction`).
    pub assume_in_transaction: bool,
    /// The runner sets `lock_timeout` / `lock_wait_timeout` itself.
    pub runner_sets_lock_timeout: bool,
    pub rules: RuleSet,
}

impl LintSettings {
    /// Default settings for a dialect: its current version, default rules.
    pub fn new(dialect: Dialect) -> Self {
        LintSettings {
            dialect,
            version: dialect.default_version(),
            assume_in_transaction: false,
            runner_sets_lock_timeout: false,
            rules: RuleSet::default_rules(),
        }
    }
}

/// What a migration's metadata (`migration.toml`) says about one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileOptions {
    /// The phase the migration declares. A declared contract is intended: `drop-column`
    /// and `drop-table` leave it to the coexistence gate.
    pub declared_phase: Option<Phase>,
    /// `Some(false)`: the runner does not wrap this file in a transaction;
    /// `Some(true)`: it does, whatever the settings say.
    pub transaction: Option<bool>,
    /// The file existed at this git revision and was edited since.
    pub edited_since: Option<String>,
}

/// The result of linting one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub source: SourceFile,
    pub dialect: Dialect,
    pub statements: Vec<AnalyzedStatement>,
    /// The union of the statements' phases.
    pub phase: Phase,
    /// Findings after suppressions, sorted by position.
    pub findings: Vec<Finding>,
}

impl FileResult {
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == crate::rules::Severity::Error)
    }
}

/// Lints files as one migration sequence: the schema model built by each file is the
/// starting point of the next. Parsing runs on all cores; replay and rules run in order.
pub fn lint_sources(sources: Vec<SourceFile>, settings: &LintSettings) -> Vec<FileResult> {
    lint_inputs(
        sources
            .into_iter()
            .map(|s| (s, FileOptions::default()))
            .collect(),
        settings,
    )
}

/// Like [`lint_sources`], with each file's metadata.
pub fn lint_inputs(
    inputs: Vec<(SourceFile, FileOptions)>,
    settings: &LintSettings,
) -> Vec<FileResult> {
    lint_inputs_from(inputs, settings, Schema::default(), &|_| None)
}

/// Like [`lint_inputs`], starting from `schema` (a seed) instead of an empty model, and
/// linting each file with the settings `settings_for` gives it (per-path rules; `None`
/// keeps `settings`). Per-file settings must keep the dialect: files are parsed with
/// `settings`.
///
/// The files go through in chunks, as a pipeline: while one chunk is parsed (in
/// parallel), the chunk before it is replayed against the schema model (in order, the
/// only serial stage), and the one before that has its rules run (in parallel).
pub fn lint_inputs_from(
    inputs: Vec<(SourceFile, FileOptions)>,
    settings: &LintSettings,
    schema: Schema,
    settings_for: &dyn Fn(&SourceFile) -> Option<LintSettings>,
) -> Vec<FileResult> {
    lint_inputs_map(inputs, settings, schema, settings_for, &|r| r)
}

/// Like [`lint_inputs_from`], handing each file's result to `map` as soon as it is
/// judged (in parallel, on the pipeline's threads) and keeping only what `map` returns,
/// in the files' order: a caller that needs a little of each result (a rendered report
/// entry) does not hold every file's analysis until the last file is done.
pub fn lint_inputs_map<T: Send>(
    inputs: Vec<(SourceFile, FileOptions)>,
    settings: &LintSettings,
    mut schema: Schema,
    settings_for: &dyn Fn(&SourceFile) -> Option<LintSettings>,
    map: &(dyn Fn(FileResult) -> T + Sync),
) -> Vec<T> {
    let total = inputs.len();
    let mut inputs = inputs
        .into_iter()
        .map(|(source, options)| {
            let own = settings_for(&source);
            (source, options, own)
        })
        .peekable();
    let mut results: Vec<T> = Vec::with_capacity(total);
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut replayed: Vec<(analyze::Replayed, Option<LintSettings>)> = Vec::new();
    while inputs.peek().is_some() || !parsed.is_empty() || !replayed.is_empty() {
        let chunk: Vec<_> = inputs.by_ref().take(PIPELINE_CHUNK).collect();
        let to_replay = std::mem::take(&mut parsed);
        let to_judge = std::mem::take(&mut replayed);
        let schema = &mut schema;
        let (now_replayed, (now_parsed, judged)) = rayon::join(
            move || {
                to_replay
                    .into_iter()
                    .map(|(source, options, own, statements)| {
                        let settings = own.as_ref().unwrap_or(settings);
                        let r = analyze::replay_file(source, options, statements, settings, schema);
                        (r, own)
                    })
                    .collect::<Vec<_>>()
            },
            || {
                rayon::join(
                    || {
                        chunk
                            .into_par_iter()
                            .map(|(source, options, own)| {
                                let statements = analyze::parse_file(&source, settings.dialect);
                                (source, options, own, statements)
                            })
                            .collect::<Vec<_>>()
                    },
                    || {
                        to_judge
                            .into_par_iter()
                            .map(|(r, own)| {
                                map(analyze::judge_file(r, own.as_ref().unwrap_or(settings)))
                            })
                            .collect::<Vec<_>>()
                    },
                )
            },
        );
        results.extend(judged);
        parsed = now_parsed;
        replayed = now_replayed;
    }
    results
}

/// Files per step of [`lint_inputs_from`]'s pipeline.
const PIPELINE_CHUNK: usize = 128;

/// A file waiting for its replay: source, metadata, own settings, statements.
type Parsed = (
    SourceFile,
    FileOptions,
    Option<LintSettings>,
    analyze::ParsedFile,
);

/// Lints one file on its own (the entry point the fuzzer drives).
///
/// ```
/// use bellows::lint::{lint_source, LintSettings};
/// use bellows::dialect::Dialect;
/// use bellows::source::SourceFile;
///
/// let src = SourceFile::new("m.sql", "CREATE INDEX idx ON users (email);");
/// let result = lint_source(src, &LintSettings::new(Dialect::Postgres));
/// assert_eq!(result.findings[0].rule, "create-index-non-concurrent");
/// ```
pub fn lint_source(source: SourceFile, settings: &LintSettings) -> FileResult {
    let mut schema = Schema::default();
    lint_source_with(source, settings, &mut schema)
}

/// Lints one file against (and into) an existing schema model.
pub fn lint_source_with(
    source: SourceFile,
    settings: &LintSettings,
    schema: &mut Schema,
) -> FileResult {
    lint_input_with(source, FileOptions::default(), settings, schema)
}

/// Like [`lint_source_with`], with the file's metadata.
pub fn lint_input_with(
    source: SourceFile,
    options: FileOptions,
    settings: &LintSettings,
    schema: &mut Schema,
) -> FileResult {
    let statements = analyze::parse_file(&source, settings.dialect);
    analyze::finish_file(source, options, statements, settings, schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file's path, phase, and findings (rule and offset).
    type Summary = (String, Phase, Vec<(&'static str, usize)>);

    fn summary(results: &[FileResult]) -> Vec<Summary> {
        results
            .iter()
            .map(|r| {
                let findings = r.findings.iter().map(|f| (f.rule, f.span.start)).collect();
                (r.source.path.clone(), r.phase, findings)
            })
            .collect()
    }

    #[test]
    fn the_pipeline_lints_as_one_file_after_another() {
        // Each migration acts on the table an earlier one created, across chunk boundaries:
        // the schema model must be replayed in order.
        let sources: Vec<(SourceFile, FileOptions)> = (0..PIPELINE_CHUNK * 2 + 5)
            .map(|i| {
                let text = match i % 3 {
                    0 => format!("CREATE TABLE t{i} (id bigint, v text);"),
                    1 => format!(
                        "ALTER TABLE t{} ADD COLUMN w text NOT NULL;\nCREATE INDEX i{i} ON t{} (v);",
                        i - 1,
                        i - 1
                    ),
                    _ => format!("ALTER TABLE t{} DROP COLUMN v;", i - 2),
                };
                (SourceFile::new(format!("{i:04}.sql"), text), FileOptions::default())
            })
            .collect();
        let settings = LintSettings::new(Dialect::Postgres);
        let mut schema = Schema::default();
        let one_by_one: Vec<FileResult> = sources
            .iter()
            .cloned()
            .map(|(source, options)| lint_input_with(source, options, &settings, &mut schema))
            .collect();
        let piped = lint_inputs(sources, &settings);
        assert_eq!(summary(&piped), summary(&one_by_one));
        // The later migrations see the tables the earlier ones created.
        assert!(piped.iter().any(|r| r
            .findings
            .iter()
            .any(|f| f.rule == "create-index-non-concurrent")));
        assert!(piped
            .iter()
            .any(|r| r.findings.iter().any(|f| f.rule == "drop-column")));
    }
}
