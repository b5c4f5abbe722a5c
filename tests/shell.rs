//! The command line around the commands: shell completions, the manual page, `--color`,
//! and how errors read on a narrow terminal.

mod common;

use common::output::text;
use std::path::PathBuf;
use std::process::{Command, Output};

fn bellows() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bellows"));
    cmd.env_remove("NO_COLOR").env("COLUMNS", "100");
    cmd
}

fn run(args: &[&str]) -> Output {
    bellows().args(args).output().expect("bellows runs")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn has_shell(name: &str) -> bool {
    Command::new(name)
        .args(["-c", "exit 0"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `shell -n` (parse, do not run) on a script.
fn parses_with(shell: &str, script: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("completion");
    std::fs::write(&file, script).unwrap();
    let o = Command::new(shell).arg("-n").arg(&file).output().unwrap();
    assert!(o.status.success(), "{shell} -n: {}", text(&o));
}

#[test]
fn completions_for_every_shell() {
    let marks = [
        ("bash", "complete -F"),
        ("zsh", "#compdef bellows"),
        ("fish", "complete -c bellows"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[bellows]"),
    ];
    for (shell, mark) in marks {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", text(&o));
        let script = String::from_utf8_lossy(&o.stdout);
        assert!(script.contains(mark), "{shell}: {script}");
        // Subcommands and their flags are completed.
        assert!(
            script.contains("changed-since") && script.contains("migrate"),
            "{shell}"
        );
    }
    // Each shell parses its script; scripts/test.sh installs zsh and fish, so under CI a
    // missing shell fails instead of passing unchecked.
    parses_with("bash", &run(&["completions", "bash"]).stdout);
    for shell in ["zsh", "fish"] {
        if has_shell(shell) {
            parses_with(shell, &run(&["completions", shell]).stdout);
        } else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{shell} is not installed: scripts/test.sh installs it"
            );
        }
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn man_page_is_roff() {
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    assert!(page.lines().any(|l| l.starts_with(".TH bellows")), "{page}");
    assert!(
        page.contains(".SH SYNOPSIS") && page.contains("completions"),
        "{page}"
    );
}

fn lint_unsafe(color: &[&str]) -> Output {
    bellows()
        .args(["lint", "migrations"])
        .args(color)
        .current_dir(root().join("examples/postgres-unsafe"))
        .output()
        .unwrap()
}

#[test]
fn color_flag_decides_for_reports_and_errors() {
    let escape = |b: &[u8]| String::from_utf8_lossy(b).contains('\u{1b}');
    // Not a terminal: no colour by default, colour when asked.
    assert!(!escape(&lint_unsafe(&[]).stdout));
    assert!(escape(&lint_unsafe(&["--color", "always"]).stdout));
    assert!(!escape(&lint_unsafe(&["--color", "never"]).stdout));
    // The flag is global: it may come before the subcommand, and errors follow it.
    let o = run(&["--color", "always", "explain", "no-such-rule"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(escape(&o.stderr), "{}", text(&o));
    let o = run(&["explain", "no-such-rule", "--color", "never"]);
    assert!(!escape(&o.stderr), "{}", text(&o));
    let o = run(&["--color", "sometimes", "rules"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `needle` appears whole on one line of `haystack` (not split at a hyphen or slash).
fn whole(haystack: &str, needle: &str) -> bool {
    haystack.lines().any(|l| l.contains(needle))
}

#[test]
fn narrow_terminal_never_splits_rule_names_or_paths() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir
        .path()
        .join("a-rather-long-directory-name/with-another-long-part/migrations");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(
        deep.join("0001_index.sql"),
        "CREATE INDEX users_email_idx ON users (email);\n",
    )
    .unwrap();
    let long_rule = "no-such-rule-with-a-very-long-hyphenated-name";
    let o = bellows()
        .env("COLUMNS", "30")
        .args([
            "lint",
            "--select",
            &format!("create-index-non-concurrent,{long_rule}"),
        ])
        .arg(&deep)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(whole(&err, long_rule), "{err}");
    // Said once, not again as its own cause.
    assert_eq!(err.matches(long_rule).count(), 1, "{err}");

    let o = bellows()
        .env("COLUMNS", "30")
        .args(["lint", "--select", "create-index-non-concurrent"])
        .arg(&deep)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(whole(&out, "create-index-non-concurrent"), "{out}");
    assert!(
        whole(&out, &deep.join("0001_index.sql").display().to_string())
            || whole(
                &out,
                "a-rather-long-directory-name/with-another-long-part/migrations/0001_index.sql"
            ),
        "{out}"
    );
}

#[test]
fn unreachable_server_is_one_sentence() {
    for (example, url) in [
        ("postgres-safe", "postgres://postgres@127.0.0.1:1/x"),
        ("mysql-safe", "mysql://root@127.0.0.1:1/x"),
    ] {
        let o = bellows()
            .args(["migrate", "status", "--database-url", url])
            .current_dir(root().join("examples").join(example))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = common::output::flat_stderr(&o);
        assert_eq!(err.matches("connect").count(), 1, "{err}");
        assert!(err.contains(&format!("cannot connect to {url}:")), "{err}");
    }
}
