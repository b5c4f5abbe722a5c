//! A release's query inventory: the statements the application runs.
//!
//! Owns reading queries from a directory of `.sql` files (one or more statements each), an
//! sqlx offline directory (`.sqlx/query-*.json`, the `query` field), or the same at a git
//! revision. Does not parse the SQL beyond cutting it into statements; `coexist` checks it.

use crate::config::QueriesSpec;
use crate::dialect::Dialect;
use crate::parse::split::{split, RawKind};
use crate::source::SourceFile;
use miette::Diagnostic;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One statement of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The file as shown to the user (`app/queries/users.sql`, `v1.4.0:app/queries/users.sql`).
    pub file: String,
    /// The 1-based line where the statement starts.
    pub line: usize,
    /// The statement's text, without its terminator.
    pub text: String,
}

/// Queries that cannot be read.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum QueryError {
    #[error("cannot read queries at {path}: {source}")]
    #[diagnostic(
        code(bellows::queries::read),
        help("`queries` is relative to bellows.toml")
    )]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not an sqlx offline query file: {message}")]
    #[diagnostic(
        code(bellows::queries::sqlx),
        help("sqlx writes `.sqlx/query-<hash>.json` files with a `query` field (`cargo sqlx prepare`)")
    )]
    Sqlx { path: String, message: String },
    #[error("cannot read queries at git revision `{rev}`, path `{path}`: {message}")]
    #[diagnostic(
        code(bellows::queries::git),
        help("the revision must exist in the repository that holds bellows.toml")
    )]
    Git {
        rev: String,
        path: String,
        message: String,
    },
}

/// Loads the queries `spec` names. `base` is the directory of the configuration file:
/// paths are relative to it, and git runs there.
pub fn load(spec: &QueriesSpec, base: &Path, dialect: Dialect) -> Result<Vec<Query>, QueryError> {
    match spec {
        QueriesSpec::Path(path) => load_path(&base.join(path), path, dialect),
        QueriesSpec::Git(g) => load_git(base, &g.git, &g.path, dialect),
    }
}

/// Loads queries from a path on disk: a `.sql` file, a directory of `.sql` files (searched
/// recursively, hidden directories skipped), an sqlx offline `.sqlx` directory, or a
/// directory that holds one (both its `.sql` files and its `.sqlx` queries are read).
/// `shown` is how the path is named in results.
pub fn load_path(path: &Path, shown: &str, dialect: Dialect) -> Result<Vec<Query>, QueryError> {
    let read_err = |p: &Path, source| QueryError::Read {
        path: p.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(|e| read_err(path, e))?;
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    if meta.is_file() {
        files.push((path.to_path_buf(), shown.to_owned()));
    } else {
        collect(path, Path::new(shown), false, &mut files).map_err(|e| read_err(path, e))?;
        files.sort_by(|a, b| a.1.cmp(&b.1));
    }
    let mut out = Vec::new();
    for (file, shown) in files {
        let bytes = std::fs::read(&file).map_err(|e| read_err(&file, e))?;
        read_file(&shown, &bytes, dialect, &mut out)?;
    }
    Ok(out)
}

/// Walks `dir`, collecting `.sql` files and `.sqlx/query-*.json` files.
fn collect(
    dir: &Path,
    shown: &Path,
    in_sqlx: bool,
    out: &mut Vec<(PathBuf, String)>,
) -> std::io::Result<()> {
    let in_sqlx = in_sqlx || dir.file_name().is_some_and(|n| n == ".sqlx");
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        let shown_path = shown.join(&*name);
        if entry.file_type()?.is_dir() {
            if name == ".sqlx" || (!name.starts_with('.') && !in_sqlx) {
                collect(&path, &shown_path, in_sqlx, out)?;
            }
        } else if wanted(&name, in_sqlx) {
            out.push((path, shown_path.display().to_string()));
        }
    }
    Ok(())
}

fn wanted(file_name: &str, in_sqlx: bool) -> bool {
    if in_sqlx {
        is_sqlx_json(file_name)
    } else {
        file_name.ends_with(".sql")
    }
}

fn is_sqlx_json(file_name: &str) -> bool {
    file_name.starts_with("query-") && file_name.ends_with(".json")
}

/// Cuts one file's bytes into queries (`.json`: an sqlx offline file).
fn read_file(
    shown: &str,
    bytes: &[u8],
    dialect: Dialect,
    out: &mut Vec<Query>,
) -> Result<(), QueryError> {
    if shown.ends_with(".json") {
        out.push(sqlx_query(shown, bytes)?);
        return Ok(());
    }
    let source = SourceFile::from_bytes(shown, bytes);
    for raw in split(&source.text, dialect).statements {
        if raw.kind != RawKind::Sql {
            continue;
        }
        out.push(Query {
            file: shown.to_owned(),
            line: source.position(raw.span.start).line,
            text: source.slice(&raw.span).to_owned(),
        });
    }
    Ok(())
}

fn sqlx_query(shown: &str, bytes: &[u8]) -> Result<Query, QueryError> {
    let err = |message: String| QueryError::Sqlx {
        path: shown.to_owned(),
        message,
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
    let text = value
        .get("query")
        .and_then(|q| q.as_str())
        .ok_or_else(|| err("no `query` string field".to_owned()))?;
    Ok(Query {
        file: shown.to_owned(),
        line: 1,
        text: text.trim().trim_end_matches(';').trim_end().to_owned(),
    })
}

/// Loads queries from `path` (relative to `repo_dir`) as it is at git revision `rev`.
/// Files are named `REV:path/in/repo.sql`.
pub fn load_git(
    repo_dir: &Path,
    rev: &str,
    path: &str,
    dialect: Dialect,
) -> Result<Vec<Query>, QueryError> {
    let git_err = |message: String| QueryError::Git {
        rev: rev.to_owned(),
        path: path.to_owned(),
        message,
    };
    let listing = git(
        repo_dir,
        &[
            "ls-tree",
            "-r",
            "--full-name",
            "--name-only",
            rev,
            "--",
            path,
        ],
    )
    .map_err(git_err)?;
    let listing = String::from_utf8_lossy(&listing);
    let mut names: Vec<&str> = listing
        .lines()
        .filter(|name| {
            let mut parts: Vec<&str> = name.split('/').collect();
            let file = parts.pop().unwrap_or_default();
            let in_sqlx = parts.last() == Some(&".sqlx");
            let hidden = parts
                .iter()
                .any(|p| p.starts_with('.') && *p != ".sqlx" && *p != "." && *p != "..");
            !hidden && wanted(file, in_sqlx)
        })
        .collect();
    if names.is_empty() && listing.trim().is_empty() {
        return Err(git_err(
            "no such path at that revision (or nothing under it)".to_owned(),
        ));
    }
    names.sort_unstable();
    let mut out = Vec::new();
    for name in names {
        let bytes = git(repo_dir, &["show", &format!("{rev}:{name}")]).map_err(|message| {
            QueryError::Git {
                rev: rev.to_owned(),
                path: name.to_owned(),
                message,
            }
        })?;
        read_file(&format!("{rev}:{name}"), &bytes, dialect, &mut out)?;
    }
    Ok(out)
}

/// Runs git in `dir`; the error is git's message.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.trim();
        Err(if message.is_empty() {
            format!("git {} failed ({})", args.join(" "), output.status)
        } else {
            message.to_owned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_cut_into_statements_with_lines() {
        let mut out = Vec::new();
        read_file(
            "q.sql",
            b"-- users\nSELECT id FROM users WHERE id = $1;\n\nINSERT INTO users (id)\nVALUES ($1);\n",
            Dialect::Postgres,
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].line, 2);
        assert_eq!(out[0].text, "SELECT id FROM users WHERE id = $1");
        assert_eq!(out[1].line, 4);
    }

    #[test]
    fn sqlx_files_need_a_query() {
        let q = sqlx_query("query-1.json", br#"{"query": "SELECT 1;\n", "hash": "x"}"#).unwrap();
        assert_eq!(q.text, "SELECT 1");
        assert!(sqlx_query("query-2.json", br#"{"hash": "x"}"#).is_err());
        assert!(sqlx_query("query-3.json", b"not json").is_err());
    }
}
