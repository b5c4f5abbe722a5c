//! Merges command-line flags with `bellows.toml` into one validated `LintSettings`.
//! Flags win over the file; unknown rule names in either are errors.

use super::{DialectArgs, RuleSelectionArgs};
use crate::config::{Config, ConfigError};
use crate::dialect::{Dialect, EngineVersion};
use crate::lint::scope::{RuleChanges, Scope};
use crate::lint::LintSettings;
use crate::rules::{RuleSet, Severity, UnknownRule};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why settings could not be built. Every variant is a tool failure (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SettingsError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigError),
    // Transparent: the rule's message once, not again as its own cause.
    #[error(transparent)]
    #[diagnostic(code(bellows::settings), help("`bellows rules` lists every rule name"))]
    UnknownRule(#[from] UnknownRule),
    #[error("{0}")]
    #[diagnostic(code(bellows::settings))]
    Invalid(String),
}

/// The configuration in force and where it came from.
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
}

/// Loads `--config FILE`, or `bellows.toml` found upward from `start`.
pub fn load_config(args: &DialectArgs, start: &Path) -> Result<Loaded, SettingsError> {
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => Config::find(start),
    };
    let config = match &path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    Ok(Loaded { config, path })
}

/// Builds lint settings from the configuration and the flags.
pub fn lint_settings(
    config: &Config,
    dialect_args: &DialectArgs,
    selection: &RuleSelectionArgs,
    assume_in_transaction: bool,
) -> Result<LintSettings, SettingsError> {
    let dialect: Dialect = match dialect_args
        .dialect
        .as_deref()
        .or(config.dialect.as_deref())
    {
        Some(d) => d.parse().map_err(SettingsError::Invalid)?,
        None => Dialect::Postgres,
    };
    // A version from the file only applies when the dialect came from the file too, or
    // matches it.
    let version_text = dialect_args.engine_version.as_deref().or_else(|| {
        let file_dialect: Option<Dialect> = config.dialect.as_deref().and_then(|d| d.parse().ok());
        if dialect_args.dialect.is_none() || file_dialect == Some(dialect) {
            config.engine_version.as_deref()
        } else {
            None
        }
    });
    let version = match version_text {
        Some(v) => EngineVersion::parse(v, dialect).map_err(SettingsError::Invalid)?,
        None => dialect.default_version(),
    };
    let mut rules = RuleSet::default_rules();
    let lint = &config.lint;
    rule_changes(
        &lint.select,
        &lint.extend_select,
        &lint.ignore,
        &lint.severity,
        "[lint.severity]",
    )?
    .apply(&mut rules)?;
    if !selection.select.is_empty() {
        rules.select_only(&selection.select)?;
    }
    rules.extend(&selection.extend_select)?;
    rules.ignore(&selection.ignore)?;
    Ok(LintSettings {
        dialect,
        version,
        assume_in_transaction: assume_in_transaction
            || config.lint.assume_in_transaction.unwrap_or(false)
            || config.runner.transaction.unwrap_or(false),
        runner_sets_lock_timeout: config.runner.lock_timeout.is_some(),
        rules,
    })
}

/// Checks one section's rule settings: severities are `error` or `warning`, every rule
/// name exists.
fn rule_changes(
    select: &Option<Vec<String>>,
    extend_select: &[String],
    ignore: &[String],
    severity: &BTreeMap<String, String>,
    section: &str,
) -> Result<RuleChanges, SettingsError> {
    let severity = severity
        .iter()
        .map(|(name, sev)| {
            Severity::parse(sev)
                .map(|s| (name.clone(), s))
                .ok_or_else(|| {
                    SettingsError::Invalid(format!(
                        "{section} {name} = \"{sev}\": expected \"error\" or \"warning\""
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    let changes = RuleChanges {
        select: select.clone(),
        extend_select: extend_select.to_vec(),
        ignore: ignore.to_vec(),
        severity,
    };
    changes.apply(&mut RuleSet::default_rules())?;
    Ok(changes)
}

/// The project root: the directory of the configuration file, else `cwd`.
pub fn project_root(loaded: &Loaded, cwd: &Path) -> PathBuf {
    loaded
        .path
        .as_deref()
        .and_then(Path::parent)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                cwd.to_path_buf()
            } else {
                cwd.join(dir)
            }
        })
        .unwrap_or_else(|| cwd.to_path_buf())
}

/// Builds the `[lint] exclude` globs and the `[[lint.per-path]]` entries, checked.
pub fn lint_scope(config: &Config, root: &Path) -> Result<Scope, SettingsError> {
    let bad_glob = |section: &str, e: crate::lint::scope::BadGlob| {
        SettingsError::Invalid(format!("{section}: {e}"))
    };
    let mut scope = Scope::new(root)
        .with_exclude(&config.lint.exclude)
        .map_err(|e| bad_glob("[lint] exclude", e))?;
    for (i, entry) in config.lint.per_path.iter().enumerate() {
        let section = format!("[[lint.per-path]] #{}", i + 1);
        if entry.paths.is_empty() {
            return Err(SettingsError::Invalid(format!(
                "{section}: `paths` is empty; name the globs the entry applies to"
            )));
        }
        let changes = rule_changes(
            &entry.select,
            &entry.extend_select,
            &entry.ignore,
            &entry.severity,
            &format!("{section} severity:"),
        )?;
        scope = scope
            .with_group(&entry.paths, changes)
            .map_err(|e| bad_glob(&section, e))?;
    }
    Ok(scope)
}
