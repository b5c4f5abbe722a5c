//! `bellows.toml`: project settings, found upward from the working directory.
//!
//! Owns reading and validating the file (unknown keys are errors with the line). Merging
//! with command-line flags happens in `cli::settings`.

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole file. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// `postgres` or `mysql`.
    #[serde(default)]
    pub dialect: Option<String>,
    /// `16`, `8.0`, `mariadb-10.11`, …
    #[serde(default, alias = "engine_version")]
    pub engine_version: Option<String>,
    /// Where the migrations live, relative to this file (default `migrations`).
    #[serde(default)]
    pub migrations: Option<String>,
    #[serde(default)]
    pub lint: LintConfig,
    #[serde(default)]
    pub runner: RunnerConfig,
    /// `[[release]]`: the application releases and the queries each one runs.
    #[serde(default, rename = "release")]
    pub releases: Vec<ReleaseConfig>,
    /// `[deploy]`: which releases are live.
    #[serde(default)]
    pub deploy: DeployConfig,
    /// `[[replica]]`: replicas whose lag holds back backfills and steps.
    #[serde(default, rename = "replica")]
    pub replicas: Vec<ReplicaConfig>,
}

/// One `[[replica]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaConfig {
    /// A URL of the replica, like the primary's (any database on it).
    pub url: String,
}

/// One `[[release]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseConfig {
    /// The release's version (`"1.5.0"`).
    pub version: String,
    /// The newest migration id the release needs.
    #[serde(default)]
    pub requires: Option<String>,
    /// Where the release's queries are.
    #[serde(default)]
    pub queries: Option<QueriesSpec>,
}

/// `queries = "app/queries/1.5.0"` or `queries = { git = "v1.5.0", path = "app/queries" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(
    untagged,
    expecting = "`queries` is a path string or `{ git = \"REV\", path = \"…\" }` (keys git and path only)"
)]
pub enum QueriesSpec {
    /// A directory of `.sql` files, an sqlx offline directory, or one `.sql` file, relative
    /// to the configuration file.
    Path(String),
    /// The same kind of path, read from git at a revision.
    Git(GitQueries),
}

/// `{ git = "REV", path = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitQueries {
    /// A revision git understands: a tag, a branch, a commit.
    pub git: String,
    /// The path inside the repository, relative to the configuration file's directory.
    pub path: String,
}

/// `[deploy]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployConfig {
    /// The versions of the releases that are live now.
    #[serde(default)]
    pub live: Vec<String>,
}

/// `[lint]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintConfig {
    /// Only these rules (`all` for every rule, opt-in ones included).
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Add these (opt-in) rules to the selection.
    #[serde(default, alias = "extend_select")]
    pub extend_select: Vec<String>,
    /// Turn these rules off.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The runner wraps each migration in a transaction.
    #[serde(default, alias = "assume_in_transaction")]
    pub assume_in_transaction: Option<bool>,
    /// Per-rule severity: `drop-column = "warning"`.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// Globs (relative to this file's directory) of files that are replayed into the
    /// schema model but not reported.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `[[lint.per-path]]`: rule settings for the files some globs match.
    #[serde(default, alias = "per_path")]
    pub per_path: Vec<PerPathConfig>,
    /// A findings baseline written by `bellows lint --write-baseline`, relative to this
    /// file's directory: the findings it lists are not reported.
    #[serde(default)]
    pub baseline: Option<String>,
    /// A schema dump (`pg_dump --schema-only`, `mysqldump --no-data`), relative to this
    /// file's directory, loaded into the schema model before the first migration.
    #[serde(default)]
    pub schema: Option<String>,
}

/// One `[[lint.per-path]]` entry: rule settings applied on top of `[lint]` (and the
/// flags) for the files its globs match. Entries apply in order.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PerPathConfig {
    /// Globs relative to this file's directory (`migrations/2018-*/**`).
    pub paths: Vec<String>,
    /// Only these rules in those files.
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Add these rules in those files.
    #[serde(default, alias = "extend_select")]
    pub extend_select: Vec<String>,
    /// Turn these rules off in those files.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Per-rule severity in those files.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
}

/// `[runner]` (the parts the linter needs to know).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RunnerConfig {
    /// The runner sets `lock_timeout` / `lock_wait_timeout` before each migration
    /// (e.g. `"2s"`), so migrations need not.
    #[serde(default, alias = "lock_timeout")]
    pub lock_timeout: Option<String>,
    /// The runner wraps each migration in a transaction (default true on PostgreSQL).
    #[serde(default)]
    pub transaction: Option<bool>,
    /// How many times a lock timeout is retried, with jittered backoff (default 3).
    #[serde(default, alias = "lock_retries")]
    pub lock_retries: Option<u32>,
    /// The first retry's wait (e.g. `"500ms"`); each later one doubles.
    #[serde(default, alias = "retry_backoff")]
    pub retry_backoff: Option<String>,
    /// The history table's name (default `bellows_history`).
    #[serde(default, alias = "history_table")]
    pub history_table: Option<String>,
    /// The PostgreSQL schema or MySQL database of the history table (default: the
    /// connection's own).
    #[serde(default, alias = "history_schema")]
    pub history_schema: Option<String>,
    /// Refuse a step whose down script `bellows migrate verify` has not proven (default
    /// true).
    #[serde(default, alias = "require_proof")]
    pub require_proof: Option<bool>,
    /// How long connecting may take (e.g. `"10s"`, the default); a URL's
    /// `connect_timeout` wins.
    #[serde(default, alias = "connect_timeout")]
    pub connect_timeout: Option<String>,
    /// The replication lag above which backfills and steps wait (e.g. `"5s"`, the
    /// default); a migration's `[backfill] max-lag` wins for its batches.
    #[serde(default, alias = "max_lag")]
    pub max_lag: Option<String>,
    /// With no `[[replica]]`, find the replicas from the primary (`pg_stat_replication`,
    /// `SHOW SLAVE HOSTS`); default true.
    #[serde(default, alias = "discover_replicas")]
    pub discover_replicas: Option<bool>,
}

/// Reads a duration written as `2s`, `500ms`, `1m` or a bare number of milliseconds.
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, "ms"),
    };
    let n: f64 = number.parse().ok()?;
    let factor = match unit {
        "ms" => 1.0,
        "s" => 1000.0,
        "m" | "min" => 60_000.0,
        _ => return None,
    };
    let ms = n * factor;
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(bellows::config::read))]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{message}")]
    #[diagnostic(
        code(bellows::config::invalid),
        help("see docs/configuration.md for every key")
    )]
    Invalid {
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },
}

/// The file name bellows looks for.
pub const FILE_NAME: &str = "bellows.toml";

impl Config {
    /// Parses a configuration file's text.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            message: format!("{}: {}", path.display(), e.message()),
            src: NamedSource::new(path.display().to_string(), text.to_owned()),
            span: e
                .span()
                .map(|s| SourceSpan::from(s.start..s.end.max(s.start + 1).min(text.len().max(1)))),
        })
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Finds `bellows.toml` in `start` or the nearest directory above it.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let start = if start.is_file() {
            start.parent()?.to_path_buf()
        } else {
            start.to_path_buf()
        };
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        start
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|candidate| candidate.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("2s"), Some(2000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("1.5s"), Some(1500));
        assert_eq!(parse_duration_ms("1m"), Some(60_000));
        assert_eq!(parse_duration_ms("250"), Some(250));
        assert_eq!(parse_duration_ms("2 hours"), None);
        assert_eq!(parse_duration_ms("s"), None);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_span() {
        let text = "dialect = \"postgres\"\n[lint]\nselekt = [\"x\"]\n";
        let err = Config::parse(Path::new("bellows.toml"), text).unwrap_err();
        let ConfigError::Invalid { message, span, .. } = err else {
            panic!("expected Invalid")
        };
        assert!(message.contains("selekt"), "{message}");
        let span = span.unwrap();
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "selekt");
    }

    #[test]
    fn reads_every_section() {
        let text = r#"
dialect = "mysql"
engine-version = "mariadb-10.11"
[lint]
select = ["all"]
ignore = ["drop-column"]
assume-in-transaction = false
[lint.severity]
rename-table = "warning"
[runner]
lock-timeout = "2s"
"#;
        let c = Config::parse(Path::new("b.toml"), text).unwrap();
        assert_eq!(c.dialect.as_deref(), Some("mysql"));
        assert_eq!(c.lint.ignore, vec!["drop-column"]);
        assert_eq!(c.runner.lock_timeout.as_deref(), Some("2s"));
    }

    #[test]
    fn reads_adoption_keys() {
        let text = r#"
[lint]
exclude = ["migrations/2019-*/**"]
baseline = "bellows-baseline.json"
schema = "schema.sql"

[[lint.per-path]]
paths = ["migrations/2018-*/**"]
ignore = ["lock-timeout-missing"]

[[lint.per-path]]
paths = ["seed/*.sql"]
extend-select = ["require-primary-key"]
severity = { drop-column = "warning" }
"#;
        let c = Config::parse(Path::new("b.toml"), text).unwrap();
        assert_eq!(c.lint.exclude, vec!["migrations/2019-*/**"]);
        assert_eq!(c.lint.baseline.as_deref(), Some("bellows-baseline.json"));
        assert_eq!(c.lint.schema.as_deref(), Some("schema.sql"));
        assert_eq!(c.lint.per_path.len(), 2);
        assert_eq!(c.lint.per_path[0].ignore, vec!["lock-timeout-missing"]);
        assert_eq!(
            c.lint.per_path[1].extend_select,
            vec!["require-primary-key"]
        );
        let bad = "[[lint.per-path]]\npaths = [\"a\"]\nignor = [\"x\"]\n";
        let err = Config::parse(Path::new("b.toml"), bad).unwrap_err();
        assert!(err.to_string().contains("ignor"), "{err}");
        let missing = "[[lint.per-path]]\nignore = [\"x\"]\n";
        let err = Config::parse(Path::new("b.toml"), missing).unwrap_err();
        assert!(err.to_string().contains("paths"), "{err}");
    }

    #[test]
    fn reads_releases_and_deploy() {
        let text = r#"
[[release]]
version = "1.4.0"
requires = "0006_users"
queries = "app/queries/1.4.0"

[[release]]
version = "1.5.0"
requires = "0007_add_email_address"
queries = { git = "v1.5.0", path = "app/queries" }

[deploy]
live = ["1.4.0", "1.5.0"]
"#;
        let c = Config::parse(Path::new("b.toml"), text).unwrap();
        assert_eq!(c.releases.len(), 2);
        assert_eq!(
            c.releases[0].queries,
            Some(QueriesSpec::Path("app/queries/1.4.0".into()))
        );
        assert_eq!(c.releases[0].requires.as_deref(), Some("0006_users"));
        assert_eq!(
            c.releases[1].queries,
            Some(QueriesSpec::Git(GitQueries {
                git: "v1.5.0".into(),
                path: "app/queries".into()
            }))
        );
        assert_eq!(c.deploy.live, vec!["1.4.0", "1.5.0"]);
    }

    #[test]
    fn release_keys_are_checked() {
        let bad = "[[release]]\nversion = \"1\"\nrequire = \"x\"\n";
        let err = Config::parse(Path::new("b.toml"), bad).unwrap_err();
        let ConfigError::Invalid { message, .. } = err else {
            panic!("expected Invalid")
        };
        assert!(message.contains("require"), "{message}");
        let bad = "[[release]]\nversion = \"1\"\nqueries = { git = \"v1\", pth = \"q\" }\n";
        let err = Config::parse(Path::new("b.toml"), bad).unwrap_err();
        assert!(err.to_string().contains("git = "), "{err}");
        let bad = "[deploy]\nlive = [\"1\"]\nalive = []\n";
        assert!(Config::parse(Path::new("b.toml"), bad).is_err());
    }
}
