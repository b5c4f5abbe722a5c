//! Which files of a project are reported, and with which rules: `[lint] exclude` and
//! `[[lint.per-path]]`, matched against paths relative to the project root (the directory
//! of `bellows.toml`).
//!
//! Owns the globs and the rule changes they carry. Excluded files are still linted and
//! replayed into the schema model (their tables exist); the command leaves them out of
//! the report. Reads no configuration file itself: `cli::settings` builds it.

use super::LintSettings;
use crate::rules::{RuleSet, Severity, UnknownRule};
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Component, Path, PathBuf};

/// Rule selection changes applied on top of a rule set, in the order `[lint]` reads them:
/// select (replaces), extend-select, ignore, severity.
#[derive(Debug, Clone, Default)]
pub struct RuleChanges {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: Vec<(String, Severity)>,
}

impl RuleChanges {
    pub fn apply(&self, rules: &mut RuleSet) -> Result<(), UnknownRule> {
        if let Some(select) = &self.select {
            rules.select_only(select)?;
        }
        rules.extend(&self.extend_select)?;
        rules.ignore(&self.ignore)?;
        for (name, severity) in &self.severity {
            rules.set_severity(name, *severity)?;
        }
        Ok(())
    }
}

/// One `[[lint.per-path]]` entry, checked.
#[derive(Debug, Clone)]
struct PathGroup {
    globs: GlobSet,
    changes: RuleChanges,
}

/// The project's path-dependent lint settings.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The project root, canonical: globs and baseline paths are relative to it.
    root: PathBuf,
    exclude: GlobSet,
    groups: Vec<PathGroup>,
}

/// A glob that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid glob `{glob}`: {reason}")]
pub struct BadGlob {
    pub glob: String,
    pub reason: String,
}

impl Scope {
    /// No exclusions and no per-path settings, with paths relative to `root`.
    pub fn new(root: &Path) -> Scope {
        Scope {
            root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            exclude: GlobSet::empty(),
            groups: Vec::new(),
        }
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Leaves out of the report the files these globs match.
    pub fn with_exclude(mut self, globs: &[String]) -> Result<Scope, BadGlob> {
        self.exclude = glob_set(globs)?;
        Ok(self)
    }

    /// Adds a per-path group. The rule names in `changes` must already be checked.
    pub fn with_group(mut self, globs: &[String], changes: RuleChanges) -> Result<Scope, BadGlob> {
        self.groups.push(PathGroup {
            globs: glob_set(globs)?,
            changes,
        });
        Ok(self)
    }

    /// A file's path relative to the project root, with `/` separators; `None` for a
    /// file outside it (or one that does not exist, such as standard input).
    pub fn relative(&self, path: &str) -> Option<String> {
        let full = std::fs::canonicalize(path).ok()?;
        let rel = full.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        Some(parts.join("/"))
    }

    /// The path a report or baseline names a file by: relative to the root when the file
    /// is inside it, else as given.
    pub fn display_path(&self, path: &str) -> String {
        self.relative(path)
            .unwrap_or_else(|| path.replace('\\', "/"))
    }

    /// Is the file left out of the report?
    pub fn is_excluded(&self, path: &str) -> bool {
        !self.exclude.is_empty()
            && self
                .relative(path)
                .is_some_and(|rel| matches(&self.exclude, &rel))
    }

    /// The settings for one file when per-path entries change them; `None` when `base`
    /// applies unchanged.
    pub fn settings_for(&self, path: &str, base: &LintSettings) -> Option<LintSettings> {
        if self.groups.is_empty() {
            return None;
        }
        let rel = self.relative(path)?;
        let mut settings: Option<LintSettings> = None;
        for group in self.groups.iter().filter(|g| matches(&g.globs, &rel)) {
            let s = settings.get_or_insert_with(|| base.clone());
            group
                .changes
                .apply(&mut s.rules)
                .expect("per-path rule names were checked when bellows.toml was read");
        }
        settings
    }
}

/// Does the set match the path or one of its directories (so `migrations/2019-*` covers
/// every file inside those directories)?
fn matches(set: &GlobSet, rel: &str) -> bool {
    let mut prefix = rel;
    loop {
        if set.is_match(prefix) {
            return true;
        }
        match prefix.rfind('/') {
            Some(i) => prefix = &prefix[..i],
            None => return false,
        }
    }
}

/// Globs where `*` stays inside one directory and `**` crosses them.
fn glob_set(globs: &[String]) -> Result<GlobSet, BadGlob> {
    let mut builder = GlobSetBuilder::new();
    for text in globs {
        let glob: Glob = GlobBuilder::new(text.trim_start_matches("./"))
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| BadGlob {
                glob: text.clone(),
                reason: e.kind().to_string(),
            })?;
        builder.add(glob);
    }
    builder.build().map_err(|e| BadGlob {
        glob: globs.join(", "),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn globs_match_relative_paths_and_their_directories() {
        let set = glob_set(&strings(&["migrations/2019-*/**", "seed/*.sql", "old"])).unwrap();
        assert!(matches(&set, "migrations/2019-01-02_users/up.sql"));
        assert!(!matches(&set, "migrations/2020-01-02_users/up.sql"));
        assert!(matches(&set, "seed/a.sql"));
        assert!(
            !matches(&set, "seed/deep/a.sql"),
            "* does not cross directories"
        );
        assert!(
            matches(&set, "old/0001/up.sql"),
            "a directory covers its files"
        );
        assert!(!matches(&set, "older/0001/up.sql"));
    }

    #[test]
    fn a_bad_glob_is_named() {
        let err = glob_set(&strings(&["migrations/[oops"])).unwrap_err();
        assert_eq!(err.glob, "migrations/[oops");
    }

    #[test]
    fn per_path_groups_stack_on_the_base_settings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("m/2018-a")).unwrap();
        std::fs::write(dir.path().join("m/2018-a/up.sql"), "").unwrap();
        std::fs::write(dir.path().join("m/new.sql"), "").unwrap();
        let scope = Scope::new(dir.path())
            .with_group(
                &strings(&["m/2018-*/**"]),
                RuleChanges {
                    ignore: strings(&["drop-column"]),
                    ..RuleChanges::default()
                },
            )
            .unwrap()
            .with_group(
                &strings(&["m/**"]),
                RuleChanges {
                    severity: vec![("drop-table".into(), Severity::Warning)],
                    ..RuleChanges::default()
                },
            )
            .unwrap();
        let base = LintSettings::new(Dialect::Postgres);
        let old = dir.path().join("m/2018-a/up.sql");
        let s = scope
            .settings_for(&old.display().to_string(), &base)
            .unwrap();
        assert!(!s.rules.is_enabled("drop-column"));
        assert_eq!(s.rules.severity_of("drop-table"), Some(Severity::Warning));
        let new = dir.path().join("m/new.sql");
        let s = scope
            .settings_for(&new.display().to_string(), &base)
            .unwrap();
        assert!(s.rules.is_enabled("drop-column"));
        assert_eq!(
            scope.relative(&new.display().to_string()).unwrap(),
            "m/new.sql"
        );
        assert!(scope.settings_for("/elsewhere/x.sql", &base).is_none());
    }
}
