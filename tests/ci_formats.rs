//! The CI formats on a real repository: repository-relative paths whatever the arguments,
//! GitLab Code Quality, SARIF checked against the structure SARIF 2.1.0 requires, a valid
//! document on a tool failure, and the recipes of docs/ci.md run as written.

mod common;

use common::output::text;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bellows_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_bellows"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", text(&o));
}

/// A repository with an `origin` remote: `main` has one migration, the working branch adds
/// an unsafe one (an index built with writes blocked).
struct Fixture {
    _origin: tempfile::TempDir,
    repo: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let origin = tempfile::tempdir().unwrap();
        git(origin.path(), &["init", "-q", "--bare"]);
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path();
        git(dir, &["init", "-q"]);
        git(dir, &["symbolic-ref", "HEAD", "refs/heads/main"]);
        git(dir, &["config", "user.email", "t@example.com"]);
        git(dir, &["config", "user.name", "t"]);
        std::fs::write(dir.join("bellows.toml"), "dialect = \"postgres\"\n").unwrap();
        std::fs::create_dir_all(dir.join("migrations")).unwrap();
        std::fs::write(
            dir.join("migrations/0001_users.sql"),
            "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        )
        .unwrap();
        git(dir, &["add", "."]);
        git(dir, &["commit", "-qm", "users"]);
        git(
            dir,
            &[
                "remote",
                "add",
                "origin",
                &origin.path().display().to_string(),
            ],
        );
        git(dir, &["push", "-q", "origin", "main"]);
        git(dir, &["checkout", "-q", "-b", "feature"]);
        std::fs::write(
            dir.join("migrations/0002_users_email_idx.sql"),
            "-- Look users up by email.\nCREATE INDEX users_email_idx ON users (email);\n",
        )
        .unwrap();
        git(dir, &["add", "."]);
        git(dir, &["commit", "-qm", "index"]);
        Fixture {
            _origin: origin,
            repo,
        }
    }

    fn path(&self) -> &Path {
        self.repo.path()
    }

    fn lint_in(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bellows"))
            .arg("lint")
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn lint(&self, args: &[&str]) -> Output {
        self.lint_in(self.path(), args)
    }
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

/// The structure SARIF 2.1.0 requires of what bellows writes (the parts GitHub code
/// scanning reads): version and schema, each run's tool driver, each result's rule, level,
/// message and location, and the invocation's success with its notifications.
fn check_sarif(doc: &Value, success: bool) {
    assert_eq!(doc["version"], "2.1.0", "{doc}");
    assert!(
        doc["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0")),
        "{doc}"
    );
    let runs = doc["runs"].as_array().expect("runs is an array");
    assert!(!runs.is_empty());
    let levels = ["none", "note", "warning", "error"];
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert!(
            driver["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{run}"
        );
        let rules = driver["rules"].as_array().cloned().unwrap_or_default();
        for rule in &rules {
            assert!(rule["id"].is_string(), "{rule}");
        }
        let results = run["results"].as_array().expect("results is an array");
        for r in results {
            let id = r["ruleId"].as_str().expect("ruleId");
            assert!(levels.contains(&r["level"].as_str().unwrap_or("")), "{r}");
            assert!(r["message"]["text"].is_string(), "{r}");
            if let Some(i) = r["ruleIndex"].as_u64() {
                assert_eq!(rules[i as usize]["id"], id, "ruleIndex points at its rule");
            }
            let locations = r["locations"].as_array().expect("locations");
            assert!(!locations.is_empty(), "{r}");
            for l in locations {
                let p = &l["physicalLocation"];
                let uri = p["artifactLocation"]["uri"].as_str().expect("uri");
                assert!(
                    !uri.starts_with('/'),
                    "a repository-relative uri, not {uri}"
                );
                assert!(p["region"]["startLine"].as_u64().unwrap_or(0) >= 1, "{r}");
            }
        }
        let invocations = run["invocations"].as_array().expect("invocations");
        assert!(!invocations.is_empty());
        for inv in invocations {
            assert_eq!(inv["executionSuccessful"], success, "{inv}");
            let notes = inv["toolExecutionNotifications"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for n in &notes {
                assert!(n["message"]["text"].is_string(), "{n}");
                assert!(levels.contains(&n["level"].as_str().unwrap_or("error")));
            }
            if !success {
                assert!(!notes.is_empty(), "a failed run says why: {inv}");
                assert!(results.is_empty());
            }
        }
    }
}

/// GitLab Code Quality's issue shape.
fn check_gitlab(doc: &Value) -> Vec<Value> {
    let issues = doc.as_array().expect("an array").clone();
    for i in &issues {
        assert!(i["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(i["check_name"].is_string(), "{i}");
        assert!(
            i["fingerprint"].as_str().is_some_and(|f| f.len() >= 16),
            "{i}"
        );
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&i["severity"].as_str().unwrap_or("")),
            "{i}"
        );
        assert!(
            !i["location"]["path"].as_str().unwrap().starts_with('/'),
            "{i}"
        );
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    issues
}

#[test]
fn paths_are_repository_relative_whatever_the_arguments() {
    let f = Fixture::new();
    let abs = f.path().join("migrations").display().to_string();
    let sub = f.path().join("migrations");
    for format in ["github", "json", "gcc", "gitlab", "sarif"] {
        let base = ["--changed-since", "origin/main", "--format", format];
        let no_arg = f.lint(&base);
        assert_eq!(no_arg.status.code(), Some(1), "{}", text(&no_arg));
        let out = String::from_utf8_lossy(&no_arg.stdout).into_owned();
        assert!(
            out.contains("migrations/0002_users_email_idx.sql") && !out.contains(&abs),
            "{format}: {out}"
        );
        for args in [vec!["migrations"], vec![abs.as_str()]] {
            let o = f.lint(&[&base[..], &args[..]].concat());
            assert_eq!(
                String::from_utf8_lossy(&o.stdout),
                out,
                "{format} with {args:?}"
            );
        }
        // From a subdirectory, paths still start at the repository root.
        let o = f.lint_in(&sub, &[&base[..], &["."]].concat());
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            out,
            "{format} from migrations/"
        );
    }
}

#[test]
fn gitlab_code_quality_fingerprints_survive_moved_lines() {
    let f = Fixture::new();
    let first = f.lint(&["--format", "gitlab"]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    let before = check_gitlab(&json(&first));
    let index = before
        .iter()
        .find(|i| i["check_name"] == "create-index-non-concurrent")
        .expect("the index is reported");
    assert_eq!(index["severity"], "major");
    assert_eq!(
        index["location"]["path"],
        "migrations/0002_users_email_idx.sql"
    );
    assert_eq!(index["location"]["lines"]["begin"], 2);
    let fingerprints = |issues: &[Value]| {
        let mut v: Vec<String> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let mut unique = fingerprints(&before);
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "fingerprints are unique");
    // Lines added above the statement move it, and change nothing else.
    let file = f.path().join("migrations/0002_users_email_idx.sql");
    let old = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("-- reviewed\n\n{old}")).unwrap();
    let after = check_gitlab(&json(&f.lint(&["--format", "gitlab"])));
    assert_eq!(fingerprints(&before), fingerprints(&after));
    let moved = after
        .iter()
        .find(|i| i["check_name"] == "create-index-non-concurrent")
        .unwrap();
    assert_eq!(moved["location"]["lines"]["begin"], 4);
    // A warning is minor.
    assert!(
        after
            .iter()
            .filter(|i| i["check_name"] == "lock-timeout-missing")
            .all(|i| i["severity"] == "minor"),
        "{after:?}"
    );
}

#[test]
fn sarif_is_valid_on_success_and_on_failure() {
    let f = Fixture::new();
    let o = f.lint(&["--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let doc = json(&o);
    check_sarif(&doc, true);
    assert!(!doc["runs"][0]["results"].as_array().unwrap().is_empty());

    // A tool failure: still a SARIF log on stdout, the error on stderr, exit 2.
    let o = f.lint(&["--format", "sarif", "--select", "no-such-rule"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let doc = json(&o);
    check_sarif(&doc, false);
    let note = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(note.contains("unknown rule `no-such-rule`"), "{note}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-rule"));

    // A missing configuration file fails the same way.
    let o = f.lint(&["--format", "sarif", "--config", "nowhere.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    check_sarif(&json(&o), false);
}

#[test]
fn json_and_gitlab_are_valid_on_failure() {
    let f = Fixture::new();
    let o = f.lint(&["--format", "json", "--select", "no-such-rule"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let doc = json(&o);
    assert!(
        doc["error"]
            .as_str()
            .is_some_and(|e| e.contains("no-such-rule")),
        "{doc}"
    );
    let o = f.lint(&["--format", "gitlab", "--select", "no-such-rule"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(json(&o), serde_json::json!([]));
    // Text formats print nothing on stdout: the error is on stderr.
    let o = f.lint(&["--format", "github", "--select", "no-such-rule"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "{}", text(&o));
}

/// The bellows (and git fetch) commands of a recipe in docs/ci.md, as written.
fn recipe(name: &str) -> Vec<String> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    let start = format!("<!-- ci-recipe: {name} -->");
    let body = doc
        .split_once(&start)
        .unwrap_or_else(|| panic!("docs/ci.md has no {start}"))
        .1
        .split_once("<!-- /ci-recipe -->")
        .expect("the recipe ends")
        .0;
    let commands: Vec<String> = body
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("run: ").or_else(|| l.strip_prefix("- ")))
        .filter(|c| c.starts_with("bellows ") || c.starts_with("git fetch "))
        .map(str::to_owned)
        .collect();
    assert!(
        commands
            .iter()
            .filter(|c| c.starts_with("bellows "))
            .count()
            >= 2,
        "{name}: {commands:?}"
    );
    commands
}

/// Runs one recipe line the way the CI runner does (`bash -e`), with bellows on PATH.
fn run_line(f: &Fixture, line: &str, env: &[(&str, &str)]) -> Output {
    let path = format!(
        "{}:{}",
        bellows_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-e", "-c", line])
        .current_dir(f.path())
        .env("PATH", path)
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// What a line must exit with on the fixture (which has an error-severity finding): a
/// plain lint fails the step, a lint that tolerates findings (`|| [ $? -eq 1 ]`) does not.
fn expected_status(line: &str) -> i32 {
    if line.starts_with("bellows lint") && !line.contains("|| [ $? -eq 1 ]") {
        1
    } else {
        0
    }
}

#[test]
fn github_actions_recipe_runs_as_written() {
    let f = Fixture::new();
    let summary = f.path().join("summary.md");
    std::fs::write(&summary, "").unwrap();
    let summary_path = summary.display().to_string();
    let env = [
        ("GITHUB_BASE_REF", "main"),
        ("GITHUB_STEP_SUMMARY", summary_path.as_str()),
    ];
    let mut annotations = String::new();
    for line in recipe("github") {
        let o = run_line(&f, &line, &env);
        assert_eq!(
            o.status.code(),
            Some(expected_status(&line)),
            "{line}\n{}",
            text(&o)
        );
        if line.contains("--format github") {
            annotations = String::from_utf8_lossy(&o.stdout).into_owned();
        }
    }
    assert!(
        annotations.contains("::error file=migrations/0002_users_email_idx.sql,line=2"),
        "{annotations}"
    );
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(f.path().join("bellows.sarif")).unwrap()).unwrap();
    check_sarif(&sarif, true);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "migrations/0002_users_email_idx.sql"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| `migrations/0002_users_email_idx.sql` | expand |"),
        "{md}"
    );
    assert!(md.contains("`create-index-non-concurrent`"), "{md}");
    assert!(md.starts_with("### "), "{md}");
}

#[test]
fn gitlab_ci_recipe_runs_as_written() {
    let f = Fixture::new();
    let env = [("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")];
    let lines = recipe("gitlab");
    assert!(lines[0].starts_with("git fetch"), "{lines:?}");
    let mut readable = String::new();
    for line in &lines {
        let o = run_line(&f, line, &env);
        assert_eq!(
            o.status.code(),
            Some(expected_status(line)),
            "{line}\n{}",
            text(&o)
        );
        if !line.contains("--format") && line.starts_with("bellows") {
            readable = String::from_utf8_lossy(&o.stdout).into_owned();
        }
    }
    let report: Value =
        serde_json::from_slice(&std::fs::read(f.path().join("gl-code-quality.json")).unwrap())
            .unwrap();
    let issues = check_gitlab(&report);
    assert!(issues
        .iter()
        .any(|i| i["location"]["path"] == "migrations/0002_users_email_idx.sql"));
    assert!(
        readable.contains("create-index-non-concurrent") && readable.contains("1 error"),
        "{readable}"
    );
    // The report named in `artifacts: reports: codequality:` is the file the script writes.
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    assert!(doc.contains("codequality: gl-code-quality.json"));
}
