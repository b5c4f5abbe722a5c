//! Merges command-line flags with `bellows.toml` into one validated `LintSettings`.
//! Flags win over the file; unknown rule names in either are errors.

use super::{DialectArgs, RuleSelectionArgs};
use crate::config::{Config, ConfigError};
use crate::dialect::{Dialect, EngineVersion};
use crate::lint::LintSettings;
use crate::rules::{RuleSet, Severity, UnknownRule};
use std::path::{Path, PathBuf};

/// Why settings could not be built. Every variant is a tool failure (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SettingsError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
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
    if let Some(select) = &config.lint.select {
        rules.select_only(select)?;
    }
    rules.extend(&config.lint.extend_select)?;
    rules.ignore(&config.lint.ignore)?;
    for (name, sev) in &config.lint.severity {
        let severity = Severity::parse(sev).ok_or_else(|| {
            SettingsError::Invalid(format!(
                "[lint.severity] {name} = \"{sev}\": expected \"error\" or \"warning\""
            ))
        })?;
        rules.set_severity(name, severity)?;
    }
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
