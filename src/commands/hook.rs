//! `bellows hook install | uninstall`: the git pre-commit hook that lints the staged
//! migrations.

use super::Outcome;
use crate::cli::{HookAction, HookArgs};
use miette::{miette, IntoDiagnostic};
use std::path::PathBuf;
use std::process::Command;

/// The line that marks a hook as written by bellows.
const MARKER: &str = "# written by `bellows hook install`";

fn hook_script() -> String {
    format!(
        "#!/bin/sh\n{MARKER}; remove with `bellows hook uninstall`.\n\
         # Lints the staged migrations (what this commit records) with the project's bellows.toml.\n\
         exec bellows lint --staged\n"
    )
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
            std::fs::write(&path, hook_script()).into_diagnostic()?;
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
