//! The `bellows` binary as a user meets it: exit codes, formats, input handling.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bellows() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bellows"));
    cmd.env_remove("NO_COLOR").env("COLUMNS", "100");
    cmd
}

fn run(args: &[&str], dir: &Path) -> Output {
    bellows()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("bellows runs")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// Runs git in `dir` and insists that it succeeds.
fn git_ok(dir: &Path, args: &[&str]) {
    let s = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        s.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&s.stderr)
    );
}

/// A fresh repository with a committer.
fn init_repo(dir: &Path) {
    git_ok(dir, &["init", "-q"]);
    git_ok(dir, &["config", "user.email", "t@example.com"]);
    git_ok(dir, &["config", "user.name", "t"]);
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn safe_examples_pass_and_unsafe_ones_fail() {
    for (example, code) in [
        ("postgres-safe", 0),
        ("mysql-safe", 0),
        ("postgres-unsafe", 1),
        ("mysql-unsafe", 1),
    ] {
        let dir = root().join("examples").join(example);
        let o = run(&["lint", "migrations", "--format", "json"], &dir);
        let report = json(&o);
        assert_eq!(o.status.code(), Some(code), "{example}: {}", stdout(&o));
        if code == 0 {
            let errors: Vec<_> = report["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["severity"] == "error")
                .collect();
            assert!(errors.is_empty(), "{example}: {errors:?}");
        }
    }
}

#[test]
fn json_contract_and_positions_survive_bom_and_crlf() {
    let tmp = tempfile::tempdir().unwrap();
    let lf = "-- add an index\nSELECT 1;\nCREATE INDEX users_email_idx ON users (email);\n";
    let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    write(tmp.path(), "lf.sql", lf);
    write(tmp.path(), "crlf.sql", crlf);
    let a = json(&run(&["lint", "lf.sql", "--format", "json"], tmp.path()));
    let b = json(&run(&["lint", "crlf.sql", "--format", "json"], tmp.path()));
    let d = &a["diagnostics"][0];
    assert_eq!(d["rule"], "create-index-non-concurrent");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(1))
    );
    for key in [
        "line",
        "column",
        "end_line",
        "end_column",
        "rule",
        "message",
        "severity",
    ] {
        assert_eq!(a["diagnostics"][0][key], b["diagnostics"][0][key], "{key}");
    }
    for key in ["help", "path", "end_line", "end_column"] {
        assert!(!d[key].is_null(), "missing {key}");
    }
    let file = &a["files"][0];
    assert_eq!(file["dialect"], "postgres");
    assert_eq!(file["phase"], "expand");
    assert_eq!(file["statements"][1]["op"], "create-index");
    assert_eq!(file["statements"][1]["line"], 3);
    assert_eq!(file["statements"][0]["phase"], "none");
}

#[test]
fn exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "ok.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY);\n",
    );
    assert_eq!(run(&["lint", "ok.sql"], tmp.path()).status.code(), Some(0));
    let missing = run(&["lint", "nope.sql"], tmp.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("nope.sql"));
    let unknown = run(&["lint", "ok.sql", "--select", "drop-colum"], tmp.path());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean `drop-column`"),
        "{}",
        stderr(&unknown)
    );
    let bad_dialect = run(&["lint", "ok.sql", "--dialect", "oracle"], tmp.path());
    assert_eq!(bad_dialect.status.code(), Some(2));
}

#[test]
fn bad_config_is_a_tool_error_pointing_at_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "bellows.toml",
        "dialect = \"postgres\"\n[lint]\nselekt = [\"drop-column\"]\n",
    );
    write(tmp.path(), "m.sql", "SELECT 1;\n");
    let o = run(&["lint", "m.sql"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("selekt") && err.contains("3"), "{err}");
    write(
        tmp.path(),
        "bellows.toml",
        "[lint]\nignore = [\"no-such-rule\"]\n",
    );
    let o = run(&["lint", "m.sql"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-rule"));
}

#[test]
fn config_selects_dialect_and_rules() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "bellows.toml",
        "dialect = \"mysql\"\n[lint]\nignore = [\"alter-algorithm-copy\"]\n",
    );
    write(
        tmp.path(),
        "m.sql",
        "ALTER TABLE t ADD COLUMN c INT, ALGORITHM=COPY;\n",
    );
    let o = run(&["lint", "m.sql", "--format", "json"], tmp.path());
    let report = json(&o);
    assert_eq!(report["files"][0]["dialect"], "mysql");
    let rules: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].clone())
        .collect();
    assert!(!rules.contains(&"alter-algorithm-copy".into()), "{rules:?}");
}

#[test]
fn reads_standard_input() {
    let mut child = bellows()
        .args([
            "lint",
            "-",
            "--format",
            "gcc",
            "--stdin-filename",
            "piped.sql",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ALTER TABLE users DROP COLUMN legacy;\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("piped.sql:1:1: error: "), "{out}");
    assert!(out.contains("[drop-column]"));
}

#[test]
fn github_and_sarif_formats() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "m.sql",
        "SELECT 1;\nALTER TABLE users RENAME COLUMN a TO b;\n",
    );
    let gh = stdout(&run(
        &[
            "lint",
            "m.sql",
            "--format",
            "github",
            "--select",
            "rename-column",
        ],
        tmp.path(),
    ));
    assert!(
        gh.starts_with(
            "::error file=m.sql,line=2,col=1,endLine=2,endColumn=39,title=rename-column::"
        ),
        "{gh}"
    );
    let sarif = json(&run(
        &[
            "lint",
            "m.sql",
            "--format",
            "sarif",
            "--select",
            "rename-column",
        ],
        tmp.path(),
    ));
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), bellows::rules::RULES.len());
    assert!(rules.iter().all(|r| r["helpUri"]
        .as_str()
        .unwrap()
        .ends_with(&format!("rules/{}.md", r["id"].as_str().unwrap()))));
    let result = &run0["results"][0];
    assert_eq!(result["ruleId"], "rename-column");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
}

#[test]
fn text_format_has_diagnostics_and_a_phase_summary() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "m.sql",
        "ALTER TABLE users DROP COLUMN legacy;\n",
    );
    let o = run(&["lint", "m.sql"], tmp.path());
    let out = stdout(&o);
    assert!(out.contains("drop-column"), "{out}");
    assert!(out.contains("help:"), "{out}");
    assert!(
        out.contains("m.sql: contract (1 statement: drop-column)"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no colour when not a terminal: {out}"
    );
}

#[test]
fn suppressions() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "m.sql",
        "-- bellows: ignore drop-column\nALTER TABLE users DROP COLUMN legacy;\n\
         -- bellows: ignore rename-table\nALTER TABLE users DROP COLUMN other;\n\
         -- bellows: ignore drop-colum\nSELECT 1;\n",
    );
    let report = json(&run(
        &[
            "lint",
            "m.sql",
            "--format",
            "json",
            "--ignore",
            "lock-timeout-missing",
        ],
        tmp.path(),
    ));
    let found: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(!found.contains(&("drop-column".into(), 2)), "{found:?}");
    assert!(found.contains(&("drop-column".into(), 4)), "{found:?}");
    assert!(
        found.contains(&("unused-suppression".into(), 3)),
        "{found:?}"
    );
    assert!(
        found.contains(&("invalid-directive".into(), 5)),
        "{found:?}"
    );

    write(tmp.path(), "f.sql", "-- bellows: ignore-file drop-column\nALTER TABLE a DROP COLUMN x;\nALTER TABLE b DROP COLUMN y;\n");
    let o = run(
        &[
            "lint",
            "f.sql",
            "--format",
            "json",
            "--ignore",
            "lock-timeout-missing",
        ],
        tmp.path(),
    );
    assert_eq!(
        json(&o)["diagnostics"].as_array().unwrap().len(),
        0,
        "{}",
        stdout(&o)
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn input_that_is_not_sql_never_crashes() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "binary.sql", [0u8, 159, 146, 150, 0, 1, 2, 3]);
    write(tmp.path(), "latin1.sql", b"SELECT 'caf\xe9';\n");
    write(
        tmp.path(),
        "quote.sql",
        "SELECT 1;\nINSERT INTO t VALUES ('oops);\n",
    );
    write(
        tmp.path(),
        "prose.sql",
        "SELECT 1;\nthis is not sql at all;\n",
    );
    for (file, line) in [
        ("binary.sql", 1),
        ("latin1.sql", 1),
        ("quote.sql", 2),
        ("prose.sql", 2),
    ] {
        let o = run(&["lint", file, "--format", "json"], tmp.path());
        assert_eq!(o.status.code(), Some(1), "{file}: {}", stderr(&o));
        let report = json(&o);
        let d = &report["diagnostics"][0];
        assert_eq!(d["rule"], "syntax-error", "{file}");
        assert_eq!(d["line"], line, "{file}");
    }
}

#[test]
fn a_50_mb_file_is_read_without_trouble() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(50 * 1024 * 1024 + 100);
    text.push_str("CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n");
    let line = format!("-- {}\n", "x".repeat(1000));
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&line);
    }
    text.push_str("INSERT INTO notes (id, body) VALUES (1, 'unterminated);\n");
    write(tmp.path(), "big.sql", &text);
    let o = run(&["lint", "big.sql", "--format", "json"], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report = json(&o);
    assert_eq!(report["diagnostics"][0]["rule"], "syntax-error");
}

#[test]
fn directories_replay_the_schema_across_files() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "m/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(50));\n",
    );
    write(
        tmp.path(),
        "m/0002_widen.sql",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\n",
    );
    write(
        tmp.path(),
        "m/0010_bigint.sql",
        "ALTER TABLE users ALTER COLUMN id TYPE text;\n",
    );
    let report = json(&run(&["lint", "m", "--format", "json"], tmp.path()));
    let files: Vec<_> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        files[0].ends_with("0001_users.sql") && files[2].ends_with("0010_bigint.sql"),
        "{files:?}"
    );
    assert_eq!(
        report["files"][1]["phase"], "expand",
        "a widening is expand"
    );
    let rules: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        rules
            .iter()
            .any(|(r, p)| r == "change-column-type" && p.ends_with("0010_bigint.sql")),
        "{rules:?}"
    );
    assert!(
        !rules
            .iter()
            .any(|(r, p)| r == "change-column-type" && p.ends_with("0002_widen.sql")),
        "{rules:?}"
    );
}

#[test]
fn no_transaction_directive_opts_out_of_the_assumed_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.sql",
        "CREATE INDEX CONCURRENTLY i ON t (c);\n",
    );
    write(
        tmp.path(),
        "b.sql",
        "-- bellows: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n",
    );
    let a = run(
        &[
            "lint",
            "a.sql",
            "--assume-in-transaction",
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert!(
        stdout(&a).contains("concurrent-in-transaction"),
        "{}",
        stdout(&a)
    );
    let b = run(
        &[
            "lint",
            "b.sql",
            "--assume-in-transaction",
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert!(
        !stdout(&b).contains("concurrent-in-transaction"),
        "{}",
        stdout(&b)
    );
}

#[test]
fn rules_and_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let list = json(&run(&["rules", "--format", "json"], tmp.path()));
    let list = list.as_array().unwrap();
    assert!(list.len() >= 35, "{} rules", list.len());
    for r in list {
        for key in ["name", "severity", "dialects", "phase", "summary"] {
            assert!(!r[key].is_null(), "{key} in {r}");
        }
    }
    let page = run(&["explain", "drop-column"], tmp.path());
    assert_eq!(page.status.code(), Some(0));
    let on_disk = std::fs::read_to_string(root().join("rules/drop-column.md")).unwrap();
    assert_eq!(stdout(&page), on_disk);
    let unknown = run(&["explain", "drop-colum"], tmp.path());
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn dbmate_down_sections_are_not_linted() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "db/20240101_users.sql",
        "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n",
    );
    let o = run(&["lint", "db", "--format", "json"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn changed_since_reports_only_changed_files() {
    let tmp = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| git_ok(tmp.path(), args);
    init_repo(tmp.path());
    write(
        tmp.path(),
        "m/0001_old.sql",
        "ALTER TABLE a DROP COLUMN x;\n",
    );
    git(&["add", "."]);
    git(&["commit", "-qm", "old"]);
    write(
        tmp.path(),
        "m/0002_new.sql",
        "ALTER TABLE b DROP COLUMN y;\n",
    );
    let report = json(&run(
        &["lint", "m", "--changed-since", "HEAD", "--format", "json"],
        tmp.path(),
    ));
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{report}");
    assert!(files[0]["path"].as_str().unwrap().ends_with("0002_new.sql"));
    let rules: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"migration-edited"), "{rules:?}");

    // Editing the merged migration is reported.
    write(
        tmp.path(),
        "m/0001_old.sql",
        "ALTER TABLE a DROP COLUMN x;\nALTER TABLE a DROP COLUMN z;\n",
    );
    let report = json(&run(
        &["lint", "m", "--changed-since", "HEAD", "--format", "json"],
        tmp.path(),
    ));
    let edited: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "migration-edited")
        .map(|d| d["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(edited.len(), 1, "{report}");
    assert!(edited[0].ends_with("0001_old.sql"));
}

#[test]
fn staged_lints_what_will_be_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| git_ok(tmp.path(), args);
    init_repo(tmp.path());
    write(
        tmp.path(),
        "m/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    );
    git(&["add", "."]);
    git(&["commit", "-qm", "users"]);
    // Staged: a safe index build. The working tree (not staged): an unsafe one.
    write(
        tmp.path(),
        "m/0002_index.sql",
        "-- bellows: no-transaction\nSET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
    );
    git(&["add", "m/0002_index.sql"]);
    write(
        tmp.path(),
        "m/0002_index.sql",
        "CREATE INDEX users_email_idx ON users (email);\n",
    );
    let o = run(&["lint", "m", "--staged", "--format", "json"], tmp.path());
    let report = json(&o);
    assert_eq!(o.status.code(), Some(0), "{report}");
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "only the staged file is reported: {report}");
    assert_eq!(files[0]["statements"][1]["op"], "create-index");
    // Without --staged the working tree's unsafe version is linted.
    let o = run(&["lint", "m/0002_index.sql"], tmp.path());
    assert_eq!(o.status.code(), Some(1));

    // A staged edit of a committed migration is reported.
    write(
        tmp.path(),
        "m/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);\n",
    );
    git(&["add", "m/0001_users.sql"]);
    let report = json(&run(
        &["lint", "m", "--staged", "--format", "json"],
        tmp.path(),
    ));
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["rule"] == "migration-edited"),
        "{report}"
    );
}

#[test]
fn pre_commit_hook_blocks_an_unsafe_migration() {
    let tmp = tempfile::tempdir().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_bellows"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(tmp.path())
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q"]).status.success());
    git(&["config", "user.email", "t@example.com"]);
    git(&["config", "user.name", "t"]);

    let o = run(&["hook", "install"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hook = tmp.path().join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).unwrap();
    assert!(script.contains("bellows lint --staged"), "{script}");
    // Installing again is fine; a hook bellows did not write is not replaced.
    assert_eq!(run(&["hook", "install"], tmp.path()).status.code(), Some(0));
    std::fs::write(&hook, "#!/bin/sh\necho theirs\n").unwrap();
    let o = run(&["hook", "install"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not written by bellows"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        run(&["hook", "uninstall"], tmp.path()).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["hook", "install", "--force"], tmp.path())
            .status
            .code(),
        Some(0)
    );

    // The hook refuses a commit with an unsafe migration and lets a safe one through.
    write(
        tmp.path(),
        "migrations/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    );
    git(&["add", "."]);
    let ok = git(&["commit", "-qm", "users"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    write(
        tmp.path(),
        "migrations/0002_drop.sql",
        "ALTER TABLE users DROP COLUMN email;\n",
    );
    git(&["add", "."]);
    let refused = git(&["commit", "-qm", "drop"]);
    assert!(!refused.status.success(), "the hook must refuse the commit");
    // git shows a hook's output on its stderr.
    let out = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(out.contains("drop-column"), "{out}");

    assert_eq!(
        run(&["hook", "uninstall"], tmp.path()).status.code(),
        Some(0)
    );
    assert!(!hook.exists());
}

#[test]
fn catalog_check_prints_the_release_matrix_and_graph_shows_retirements() {
    let dir = root().join("examples/postgres-safe");
    let o = run(&["catalog", "check", "--dir", "migrations"], &dir);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("releases × schema states"), "{out}");
    assert!(
        out.contains("after 0010_drop_users_name: app/queries/2.2.0/users.sql:2: error: column `users.name` does not exist"),
        "{out}"
    );
    // 2.4.0 runs against every state from the migration it needs on.
    let after = out.split("  2.4.0").nth(1).unwrap();
    assert!(after.contains("0013_require_users_email: ok"), "{out}");

    let mermaid = stdout(&run(&["catalog", "graph", "--dir", "migrations"], &dir));
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    assert!(mermaid.contains("retire-before (users.name)"), "{mermaid}");
    assert!(
        mermaid.contains("|\"replaces\"|"),
        "the contract follows the expand it finishes: {mermaid}"
    );
    let dot = stdout(&run(
        &["catalog", "graph", "--dir", "migrations", "--format", "dot"],
        &dir,
    ));
    assert!(dot.starts_with("digraph"), "{dot}");
}

#[test]
fn migrate_plan_blocks_a_contract_while_a_release_still_reads_what_it_drops() {
    let dir = root().join("examples/postgres-safe");
    let o = run(
        &["migrate", "plan", "--dir", "migrations", "--format", "json"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let plan = json(&o);
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 13);
    let drop = steps
        .iter()
        .find(|s| s["migration"] == "0010_drop_users_name")
        .unwrap();
    assert_eq!(drop["status"], "blocked");
    assert_eq!(drop["phase"], "contract");
    let reasons = drop["reasons"].as_array().unwrap();
    assert!(
        reasons.iter().any(|r| r.as_str().unwrap().contains(
            "retire release 2.3.0, which uses users.name in app/queries/2.3.0/users.sql:3"
        )),
        "{reasons:?}"
    );
    assert_eq!(
        steps[8]["status"], "ready",
        "the backfill before it is ready"
    );
    assert_eq!(steps[10]["status"], "blocked", "later steps wait");

    // Once 2.3.0 is retired the contract may run.
    let o = run(
        &[
            "migrate",
            "plan",
            "--dir",
            "migrations",
            "--deployed",
            "2.4.0",
            "--applied",
            "0009_backfill_users_display_name",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("4 steps (4 ready, 0 blocked)"),
        "{}",
        stdout(&o)
    );

    // Deploying 2.4.0 needs the migrations up to its `requires`, all safe for 2.3.0.
    let plan = json(&run(
        &[
            "migrate",
            "plan",
            "--dir",
            "migrations",
            "--target",
            "2.4.0",
            "--deployed",
            "2.3.0",
            "--format",
            "json",
        ],
        &dir,
    ));
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(
        steps.last().unwrap()["migration"],
        "0009_backfill_users_display_name"
    );
    assert!(steps.iter().all(|s| s["status"] == "ready"), "{plan}");

    let o = run(
        &[
            "migrate",
            "plan",
            "--dir",
            "migrations",
            "--target",
            "9.9.9",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn migrate_plan_gates_lint_errors_and_missing_rollbacks() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "migrations/0001_users/up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    );
    write(
        tmp.path(),
        "migrations/0001_users/down.sql",
        "DROP TABLE users;\n",
    );
    write(
        tmp.path(),
        "migrations/0002_index/up.sql",
        "CREATE INDEX users_email_idx ON users (email);\n",
    );
    write(
        tmp.path(),
        "migrations/0002_index/down.sql",
        "DROP INDEX users_email_idx;\n",
    );
    write(
        tmp.path(),
        "migrations/0003_nickname/up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nickname text;\n",
    );
    let plan = json(&run(&["migrate", "plan", "--format", "json"], tmp.path()));
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps[0]["status"], "ready", "{plan}");
    let index = steps[1]["reasons"].as_array().unwrap();
    assert!(
        index
            .iter()
            .any(|r| r.as_str().unwrap().contains("create-index-non-concurrent")),
        "{plan}"
    );
    let nickname = steps[2]["reasons"].as_array().unwrap();
    assert!(
        nickname
            .iter()
            .any(|r| r.as_str().unwrap().contains("no rollback script")),
        "{plan}"
    );
}

#[test]
fn scenario_catalogs_diamond_cycle_and_missing_dependency() {
    let catalogs = root().join("fixtures/catalogs");
    let diamond = run(
        &[
            "migrate",
            "plan",
            "--dir",
            "diamond/migrations",
            "--format",
            "json",
        ],
        &catalogs,
    );
    assert_eq!(diamond.status.code(), Some(0), "{}", stderr(&diamond));
    let order: Vec<String> = json(&diamond)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["migration"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        order,
        [
            "0001_accounts",
            "0002_users",
            "0003_projects",
            "0004_memberships"
        ]
    );
    let mermaid = stdout(&run(
        &["catalog", "graph", "--dir", "diamond/migrations"],
        &catalogs,
    ));
    assert_eq!(mermaid.matches("|\"requires\"|").count(), 4, "{mermaid}");

    let cycle = run(
        &["catalog", "graph", "--dir", "cycle/migrations"],
        &catalogs,
    );
    assert_eq!(cycle.status.code(), Some(2));
    assert!(
        stderr(&cycle).contains("0001_users → 0002_orders → 0003_audit → 0001_users"),
        "{}",
        stderr(&cycle)
    );
    let plan = run(&["migrate", "plan", "--dir", "cycle/migrations"], &catalogs);
    assert_eq!(plan.status.code(), Some(2), "a cycle cannot be planned");

    let missing = run(
        &["catalog", "graph", "--dir", "missing-dependency/migrations"],
        &catalogs,
    );
    assert_eq!(missing.status.code(), Some(2));
    let err = stderr(&missing);
    assert!(
        err.contains("`0002_orders` requires `0001_user`")
            && err.contains("did you mean `0001_users`"),
        "{err}"
    );
}
