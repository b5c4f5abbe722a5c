//! `--scenario rename`: the catalog the bellows run applies is not committed; it is what
//! the real `bellows rewrite` writes, at run time, from the one-line RENAME COLUMN of
//! `catalog-<engine>-rename`, in a copy of that catalog in a temporary directory.

use crate::scenario::RENAME;
use std::path::{Path, PathBuf};

/// The copy of the catalog `bellows rewrite` ran on, removed when dropped.
pub struct Rewritten {
    /// Owns the temporary directory.
    _dir: tempfile::TempDir,
    /// The catalog inside `dir`.
    pub catalog: PathBuf,
}

/// Copies `catalog` to a temporary directory and runs `bellows rewrite 0002_rename_accounts_name`
/// there, echoing its output. Err when the copy fails or the rewrite refuses.
pub async fn rewrite(bellows: &Path, catalog: &Path) -> Result<Rewritten, String> {
    let dir = tempfile::Builder::new()
        .prefix("bellows-workload-rename-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let copy = dir.path().join(
        catalog
            .file_name()
            .ok_or_else(|| format!("{} has no name", catalog.display()))?,
    );
    crate::copy_dir(catalog, &copy)?;
    eprintln!("workload: bellows rewrite {RENAME} in {}", copy.display());
    let (_, status, lines) = crate::run_command(
        tokio::process::Command::new(bellows)
            .args(["rewrite", RENAME])
            .current_dir(&copy),
        None,
        "rewrite",
    )
    .await?;
    if !status.success() {
        return Err(format!(
            "`bellows rewrite {RENAME}` exited with {status}: {}",
            lines.join(" / ")
        ));
    }
    Ok(Rewritten {
        _dir: dir,
        catalog: copy,
    })
}
