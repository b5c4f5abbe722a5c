//! The pre-commit hook finds the bellows that installed it without PATH, and says how to
//! install bellows when that binary is gone.

use std::path::Path;
use std::process::{Command, Output};

/// A PATH with git and a shell but no bellows.
const BARE_PATH: &str = "/usr/bin:/bin";

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs the hook as git would, with a PATH that has no bellows on it.
fn run_hook(repo: &Path) -> Output {
    Command::new("/bin/sh")
        .arg(".git/hooks/pre-commit")
        .current_dir(repo)
        .env("PATH", BARE_PATH)
        .output()
        .unwrap()
}

#[test]
fn hook_runs_the_recorded_binary_without_path_and_explains_when_it_is_gone() {
    assert!(
        !Path::new("/usr/bin/bellows").exists() && !Path::new("/bin/bellows").exists(),
        "the test needs a PATH without bellows"
    );
    // A private copy of the binary (a hard link: same file system, no disk cost) that the
    // test can move away.
    let bin_dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let exe = bin_dir.path().join("bellows");
    std::fs::hard_link(env!("CARGO_BIN_EXE_bellows"), &exe)
        .or_else(|_| std::fs::copy(env!("CARGO_BIN_EXE_bellows"), &exe).map(|_| ()))
        .unwrap();

    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q"]);
    let o = Command::new(&exe)
        .args(["hook", "install"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let script = std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit")).unwrap();
    assert!(
        script.contains(&format!("bellows='{}'", exe.display())),
        "the hook records the installing binary: {script}"
    );

    // An unsafe staged migration: the recorded binary runs (no bellows on PATH) and refuses.
    std::fs::create_dir_all(repo.path().join("migrations")).unwrap();
    std::fs::write(
        repo.path().join("migrations/0001_users.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    )
    .unwrap();
    git(repo.path(), &["add", "."]);
    let o = run_hook(repo.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "a safe migration passes: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(
        repo.path().join("migrations/0002_drop.sql"),
        "ALTER TABLE users DROP COLUMN email;\n",
    )
    .unwrap();
    git(repo.path(), &["add", "."]);
    let o = run_hook(repo.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("drop-column"), "{out}");

    // The binary is moved away and none is on PATH: a clear message and a refusal.
    std::fs::rename(&exe, bin_dir.path().join("moved")).unwrap();
    let o = run_hook(repo.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("bellows is not installed"), "{err}");
    assert!(err.contains("cargo install --locked bellows"), "{err}");
    assert!(!err.contains("not found"), "no bare shell error: {err}");
}
