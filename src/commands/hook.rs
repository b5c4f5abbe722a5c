//! `bellows hook install | uninstall`: the git pre-commit hook that lints the staged
//! migrations.

use super::Outcome;
use crate::cli::{HookAction, HookArgs};
use miette::{miette, IntoDiagnostic};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The line that marks a hook as written by bellows.
const MARKER: &str = "# written by `bellows hook install`";

/// The hook: the bellows binary that installed it (its absolute path, recorded at install
/// time), else `bellows` on PATH, else a message saying how to install bellows and a
/// non-zero exit so the commit stops.
fn hook_script(exe: Option<&Path>) -> String {
    let recorded = exe
        .map(|p| shell_quote(&p.display().to_string()))
        .unwrap_or_else(|| "''".to_owned());
    let script = r#"#!/bin/sh
MARKER; remove with `bellows hook uninstall`.
# Lints the staged migrations (what this commit records) with the project's bellows.toml.
bellows=RECORDED
if [ -n "$bellows" ] && [ -x "$bellows" ]; then
    exec "$bellows" lint --staged
fi
if command -v bellows >/dev/null 2>&1; then
    exec bellows lint --staged
fi
echo "bellows pre-commit hook: bellows is not installed (not at ${bellows:-its recorded path}, not on PATH)." >&2
echo 'Install it with `cargo install --locked bellows` (or put a release binary on PATH) and run `bellows hook install` again,' >&2
echo "or remove this hook: rm $0" >&2
exit 1
"#;
    script
        .replace("MARKER", MARKER)
        .replace("RECORDED", &recorded)
}

/// Quotes `s` for a POSIX shell: single quotes, with `'` written as `'\''`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `.git/hooks/pre-commit` of the repository around the current directory (honouring
/// `core.hooksPath` and worktrees, as git itself resolves it).
fn hook_path() -> miette::Result<PathBuf> {
    let out = Command::new("git")
        .args(["rev-parse", "--git-path", "hooks/pre-commit"])
        .output()
        .map_err(|e| miette!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(miette!(
            help = "run it inside the repository whose migrations bellows should check",
            "not in a git repository: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

pub fn run(args: HookArgs) -> miette::Result<Outcome> {
    let path = hook_path()?;
    let existing = std::fs::read_to_string(&path).ok();
    let ours = existing.as_deref().is_some_and(|t| t.contains(MARKER));
    match args.action {
        HookAction::Install { force } => {
            if existing.is_some() && !ours && !force {
                return Err(miette!(
                    help = "add `bellows lint --staged` to it yourself, or replace it with `bellows hook install --force`",
                    "{} exists and was not written by bellows",
                    path.display()
                ));
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).into_diagnostic()?;
            }
            // The binary running now is the one the user chose; the hook uses it, so a
            // commit does not depend on PATH (GUI git clients often have a minimal one).
            let exe = std::env::current_exe().ok().filter(|p| p.is_absolute());
            std::fs::write(&path, hook_script(exe.as_deref())).into_diagnostic()?;
            make_executable(&path)?;
            eprintln!(
                "installed {}: commits now run `bellows lint --staged`",
                path.display()
            );
        }
        HookAction::Uninstall => {
            if ours {
                std::fs::remove_file(&path).into_diagnostic()?;
                eprintln!("removed {}", path.display());
            } else if existing.is_some() {
                return Err(miette!(
                    "{} was not written by bellows; leaving it alone",
                    path.display()
                ));
            } else {
                eprintln!("no pre-commit hook to remove");
            }
        }
    }
    Ok(Outcome::Clean)
}

#[cfg(unix)]
fn make_executable(path: &std::path::Path) -> miette::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path).into_diagnostic()?.permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(path, perms).into_diagnostic()
}

#[cfg(not(unix))]
fn make_executable(_path: &std::path::Path) -> miette::Result<()> {
    Ok(())
}
