//! The little git plumbing bellows needs: which files changed since a revision (or are
//! staged), and a file's staged content.
//!
//! Runs the `git` command; owns nothing else.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a file differs from the base revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// New since the base (or untracked).
    Added,
    /// Existed at the base and was edited.
    Modified,
}

/// A failed git command.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("git {args}: {message}")]
#[diagnostic(code(bellows::git))]
pub struct GitError {
    pub args: String,
    pub message: String,
}

/// The top directory of the git work tree around `dir`, if it is in one.
pub fn toplevel(dir: &Path) -> Option<PathBuf> {
    let out = git(dir, &["rev-parse", "--show-toplevel"]).ok()?;
    let text = String::from_utf8_lossy(&out).trim().to_owned();
    (!text.is_empty()).then(|| PathBuf::from(text))
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| GitError {
            args: args.join(" "),
            message: format!("cannot run git: {e}"),
        })?;
    if !out.status.success() {
        return Err(GitError {
            args: args.join(" "),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(out.stdout)
}

/// The files that differ from a base, by canonical path.
#[derive(Debug, Clone)]
pub struct Changes {
    /// What the files are compared with: a revision, or `HEAD` for the staged files.
    pub base: String,
    /// Compares the index (what `git commit` would record) instead of the working tree.
    pub staged: bool,
    pub root: PathBuf,
    pub files: HashMap<PathBuf, Change>,
}

impl Changes {
    /// Files changed since `rev` in the working tree (committed, staged or not), plus
    /// untracked files.
    pub fn since(dir: &Path, rev: &str) -> Result<Changes, GitError> {
        Self::collect(
            dir,
            rev.to_owned(),
            false,
            &["diff", "--name-status", "--no-renames", rev],
        )
    }

    /// Files staged for the next commit, compared with HEAD.
    pub fn staged(dir: &Path) -> Result<Changes, GitError> {
        Self::collect(
            dir,
            "HEAD".to_owned(),
            true,
            &["diff", "--cached", "--name-status", "--no-renames"],
        )
    }

    fn collect(dir: &Path, base: String, staged: bool, diff: &[&str]) -> Result<Changes, GitError> {
        let root = PathBuf::from(
            String::from_utf8_lossy(&git(dir, &["rev-parse", "--show-toplevel"])?).trim(),
        );
        let mut files = HashMap::new();
        let mut add = |rel: &str, change: Change| {
            let path = root.join(rel);
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            files.insert(path, change);
        };
        for line in String::from_utf8_lossy(&git(&root, diff)?).lines() {
            let mut parts = line.splitn(2, '\t');
            let (Some(status), Some(rel)) = (parts.next(), parts.next()) else {
                continue;
            };
            match status.chars().next() {
                Some('A') => add(rel, Change::Added),
                Some('M') | Some('T') => add(rel, Change::Modified),
                _ => {}
            }
        }
        if !staged {
            let untracked = git(&root, &["ls-files", "--others", "--exclude-standard"])?;
            for rel in String::from_utf8_lossy(&untracked).lines() {
                add(rel, Change::Added);
            }
        }
        Ok(Changes {
            base,
            staged,
            root,
            files,
        })
    }

    /// How `path` changed, if it did.
    pub fn get(&self, path: &Path) -> Option<Change> {
        let canonical = std::fs::canonicalize(path).ok()?;
        self.files.get(&canonical).copied()
    }

    /// The staged content of a file (what the next commit records).
    pub fn staged_content(&self, path: &Path) -> Result<Vec<u8>, GitError> {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = canonical.strip_prefix(&self.root).unwrap_or(&canonical);
        let spec = format!(":{}", rel.to_string_lossy());
        git(&self.root, &["show", &spec])
    }
}
