//! `bellows migrate apply | plan | status --targets` end to end, as the binary, against the
//! real PostgreSQL (eight databases) and MariaDB (four). Each test makes its own databases
//! and drops them.
//!
//! Covered: the canary and the waves in order with the concurrency limit; a failure on one
//! target of a later wave halts the rollout, that target is rolled back to where the
//! rollout found it (history shows the rollback, its schema is as before), the target
//! running beside it finishes, later targets stay untouched; after the cause is removed
//! the same command resumes and completes everywhere. Also: a blocked plan halts at the
//! canary with nothing changed; a failed health query rolls its target back; plan and
//! status across targets with a label filter; URLs from environment variables; passwords
//! never printed.

mod common;

use common::db::{Engine, Scratch};
use common::output::{flat_stderr, text};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A project directory with bellows.toml and a small catalog, and the fleet's databases.
struct Fleet {
    dir: tempfile::TempDir,
    engine: Engine,
    dbs: Vec<Scratch>,
}

const PASSWORD: &str = "fleet-pw-8472";

fn dialect(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "postgres",
        Engine::Mariadb => "mysql",
    }
}

fn sleep_sql(engine: Engine, secs: f64) -> String {
    match engine {
        Engine::Postgres => format!("SELECT pg_sleep({secs})"),
        Engine::Mariadb => format!("DO SLEEP({secs})"),
    }
}

/// Three migrations: a table, a second table (what the injected failure collides with),
/// and seed rows that take `secs` to apply (so a slow target is still running when a fast
/// one fails).
fn catalog(engine: Engine, secs: f64) -> Vec<(&'static str, String)> {
    vec![
        (
            "0001_create_items/up.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(100));\n".to_owned(),
        ),
        (
            "0001_create_items/down.sql",
            "DROP TABLE items;\n".to_owned(),
        ),
        (
            "0002_create_notes/up.sql",
            "CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(200));\n".to_owned(),
        ),
        (
            "0002_create_notes/down.sql",
            "DROP TABLE notes;\n".to_owned(),
        ),
        (
            "0003_seed_items/up.sql",
            format!(
                "INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b');\n{};\n",
                sleep_sql(engine, secs)
            ),
        ),
        (
            "0003_seed_items/down.sql",
            "DELETE FROM items WHERE id IN (1, 2);\n".to_owned(),
        ),
    ]
}

impl Fleet {
    fn new(engine: Engine, n: usize, config: &str, secs: f64) -> Fleet {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("bellows.toml"),
            format!("dialect = \"{}\"\n{config}\n", dialect(engine)),
        )
        .expect("write bellows.toml");
        for (path, text) in catalog(engine, secs) {
            let p = dir.path().join("migrations").join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        Fleet {
            dir,
            engine,
            dbs: (0..n).map(|_| Scratch::new(engine)).collect(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The URL of target `i`, with a password on PostgreSQL (the local server trusts, so
    /// it is ignored there, but bellows must never print it).
    fn url(&self, i: usize) -> String {
        let url = self.dbs[i].url();
        match self.engine {
            Engine::Postgres => {
                url.replacen("://postgres@", &format!("://postgres:{PASSWORD}@"), 1)
            }
            Engine::Mariadb => url,
        }
    }

    fn env_name(i: usize) -> String {
        format!("BELLOWS_FLEET_TEST_URL_{i}")
    }

    /// Writes targets.toml: targets `t0`…, odd ones through `url-env`; label `half` is
    /// `a` for the first half and `b` for the rest.
    fn write_targets(&self, strategy: &str) {
        let mut text = format!("[strategy]\n{strategy}\n");
        for i in 0..self.dbs.len() {
            let half = if i < self.dbs.len() / 2 { "a" } else { "b" };
            let url = if i % 2 == 1 {
                format!("url-env = \"{}\"", Fleet::env_name(i))
            } else {
                format!("url = \"{}\"", self.url(i))
            };
            text.push_str(&format!(
                "\n[[target]]\nname = \"t{i}\"\n{url}\nlabels = {{ half = \"{half}\", n = \"{i}\" }}\n"
            ));
        }
        std::fs::write(self.path("targets.toml"), text).expect("write targets.toml");
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bellows"));
        c.current_dir(self.dir.path())
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("CI")
            .stdin(Stdio::null());
        for i in (1..self.dbs.len()).step_by(2) {
            c.env(Fleet::env_name(i), self.url(i));
        }
        let out = c.output().expect("bellows runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(PASSWORD), "a password was printed:\n{all}");
        out
    }

    /// Rows of target `i`'s history: migration, direction, success as `t` / `f` / ``.
    fn history(&self, i: usize) -> Vec<(String, String, String)> {
        if !self.tables(i).iter().any(|t| t == "bellows_history") {
            return Vec::new();
        }
        let text = self.dbs[i].sql(
            "SELECT migration, direction, COALESCE(CAST(success AS CHAR(5)), '') FROM bellows_history ORDER BY id",
        );
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut p = l.split('\t');
                let mut next = || p.next().unwrap_or_default().trim().to_owned();
                let (m, d, s) = (next(), next(), next());
                let s = match s.as_str() {
                    "t" | "true" | "1" => "t",
                    "f" | "false" | "0" => "f",
                    _ => "",
                };
                (m, d, s.to_owned())
            })
            .collect()
    }

    /// Target `i`'s tables, sorted.
    fn tables(&self, i: usize) -> Vec<String> {
        let schema = match self.engine {
            Engine::Postgres => "current_schema()",
            Engine::Mariadb => "DATABASE()",
        };
        self.dbs[i]
            .sql(&format!(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = {schema} ORDER BY table_name"
            ))
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// The result of target `name` in a rollout report.
fn result_of<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["targets"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no target {name} in {report}"))
}

fn h(m: &str, d: &str, s: &str) -> (String, String, String) {
    (m.to_owned(), d.to_owned(), s.to_owned())
}

fn applied_all() -> Vec<(String, String, String)> {
    vec![
        h("0001_create_items", "up", "t"),
        h("0002_create_notes", "up", "t"),
        h("0003_seed_items", "up", "t"),
    ]
}

/// The scenario of the brief: prove the rollbacks, roll out with a failure injected on
/// target `fail` (it already has the table migration 2 creates), check every target, fix
/// the cause, roll out again.
///
/// `beside`: targets of the failing wave that run at the same time as `fail` and finish;
/// `untouched`: targets the halt keeps the rollout from.
fn halts_rolls_back_and_resumes(
    engine: Engine,
    n: usize,
    strategy: &str,
    fail: usize,
    beside: &[usize],
    untouched: &[usize],
) {
    let f = Fleet::new(engine, n, "", 1.0);
    f.write_targets(strategy);

    // Without proofs the canary's plan is blocked: the rollout halts there, exit 1.
    let o = f.run(&["migrate", "apply", "--targets", "targets.toml"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("rollback not proven"), "{}", text(&o));
    assert!(
        out.contains("rollout halted in canary (blocked: t0)"),
        "{}",
        text(&o)
    );
    for i in 0..n {
        assert!(
            f.history(i).is_empty(),
            "t{i} was changed by a blocked rollout"
        );
    }

    // Prove the down scripts on a scratch database of the same server.
    let v = f.run(&["migrate", "verify", "--scratch-url", &f.url(0)]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));

    // The failure: target `fail` already holds `notes`.
    f.dbs[fail].sql("CREATE TABLE notes (x int)");
    let schema_before = f.tables(fail);

    let o = f.run(&[
        "migrate",
        "apply",
        "--targets",
        "targets.toml",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let report = json(&o);
    assert_eq!(report["verdict"], "failed", "{report}");
    assert_eq!(
        report["halted"]["targets"][0],
        format!("t{fail}"),
        "{report}"
    );
    let stderr = flat_stderr(&o);
    assert!(stderr.contains("the rollout halted"), "{}", text(&o));
    assert!(stderr.contains("canary: 1 target"), "{}", text(&o));

    let failing_wave = result_of(&report, &format!("t{fail}"))["wave"].clone();
    for i in 0..n {
        let name = format!("t{i}");
        let r = result_of(&report, &name);
        if i == fail {
            assert_eq!(r["result"], "rolled-back", "{name}: {r}");
            assert_eq!(r["undone"], serde_json::json!(["0001_create_items"]), "{r}");
            assert!(
                r["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("0002_create_notes")),
                "{r}"
            );
            // Its history shows the run and the rollback; its schema is as before.
            assert_eq!(
                f.history(i),
                vec![
                    h("0001_create_items", "up", "t"),
                    h("0002_create_notes", "up", "f"),
                    h("0001_create_items", "down", "t"),
                ],
                "{name}"
            );
            let now: Vec<String> = f
                .tables(i)
                .into_iter()
                .filter(|t| t != "bellows_history")
                .collect();
            assert_eq!(now, schema_before, "{name}'s schema changed");
        } else if untouched.contains(&i) {
            assert_eq!(r["result"], "untouched", "{name}: {r}");
            assert_eq!(r["wave"], failing_wave, "{name}: {r}");
            assert!(
                f.tables(i).is_empty(),
                "{name} was touched: {:?}",
                f.tables(i)
            );
        } else {
            assert_eq!(r["result"], "applied", "{name}: {r}");
            assert_eq!(r["steps"].as_array().map(Vec::len), Some(3), "{r}");
            assert_eq!(f.history(i), applied_all(), "{name}");
            if beside.contains(&i) {
                assert_eq!(r["wave"], failing_wave, "{name}: {r}");
            }
        }
    }

    // Fix the cause and run the same command: the rest is done, the others have nothing
    // to do.
    f.dbs[fail].sql("DROP TABLE notes");
    let o = f.run(&["migrate", "apply", "--targets", "targets.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("rollout complete"), "{}", text(&o));
    for i in 0..n {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("t{i} ")))
            .unwrap_or_else(|| panic!("no line for t{i}: {out}"));
        let expect = if i == fail || untouched.contains(&i) {
            "applied 3"
        } else {
            "nothing to do"
        };
        assert!(line.contains(expect), "t{i}: {line}\n{out}");
        assert_eq!(f.dbs[i].sql("SELECT count(*) FROM items"), "2", "t{i}");
        assert!(f.tables(i).contains(&"notes".to_owned()), "t{i}");
    }
    let status = f.run(&[
        "migrate",
        "status",
        "--targets",
        "targets.toml",
        "--format",
        "json",
    ]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let status = json(&status);
    for t in status["targets"].as_array().expect("targets") {
        assert_eq!(t["status"]["applied"], 3, "{t}");
        assert_eq!(t["status"]["pending"], serde_json::json!([]), "{t}");
    }
}

#[test]
fn postgres_rollout_halts_rolls_back_and_resumes() {
    // 8 targets: canary t0; wave 1 = 50% of the 7 others = t1..t4; wave 2 = t5..t7, two at
    // a time. t5 fails fast (migration 2) while t6, slowed by migration 3, is still
    // running: t6 finishes, t7 never starts.
    halts_rolls_back_and_resumes(
        Engine::Postgres,
        8,
        "canary = 1\nwaves = [\"50%\", \"100%\"]\nconcurrency = 2",
        5,
        &[6],
        &[7],
    );
}

#[test]
fn mariadb_rollout_halts_rolls_back_and_resumes() {
    // 4 targets: canary t0; wave 1 = t1; wave 2 = t2, t3, one at a time: t2 fails, t3
    // never starts.
    halts_rolls_back_and_resumes(
        Engine::Mariadb,
        4,
        "canary = 1\nwaves = [1, \"100%\"]\nconcurrency = 1",
        2,
        &[],
        &[3],
    );
}

#[test]
fn postgres_failed_health_query_rolls_its_target_back() {
    let f = Fleet::new(
        Engine::Postgres,
        3,
        "[runner]\nrequire-proof = false\n",
        0.0,
    );
    f.write_targets(
        "canary = 1\nwaves = [\"100%\"]\nconcurrency = 2\npause = \"100ms\"\nhealth-query = \"SELECT NOT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'poison')\"",
    );
    f.dbs[1].sql("CREATE TABLE poison (x int)");
    let o = f.run(&["migrate", "apply", "--targets", "targets.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("t1 (postgres://postgres:***@")
            && out.contains("failed: the health query returned `false`"),
        "{}",
        text(&o)
    );
    assert!(
        out.contains("rollout halted in wave 1 (the health query failed on t1)"),
        "{}",
        text(&o)
    );
    // t1 is back where it was; t0 and t2 keep what they applied.
    let back: Vec<(String, String, String)> =
        f.history(1).into_iter().filter(|r| r.1 == "down").collect();
    assert_eq!(back.len(), 3, "{:?}", f.history(1));
    assert_eq!(f.tables(1), vec!["bellows_history", "poison"]);
    assert_eq!(f.history(0), applied_all());
    assert_eq!(f.history(2), applied_all());
}

#[test]
fn postgres_plan_and_status_across_labelled_targets() {
    let f = Fleet::new(
        Engine::Postgres,
        4,
        "[runner]\nrequire-proof = false\n",
        0.0,
    );
    f.write_targets("canary = 1\nwaves = [\"100%\"]");
    // Only the first half (t0, t1): t0 is the canary, t1 wave 1.
    let o = f.run(&[
        "migrate",
        "apply",
        "--targets",
        "targets.toml",
        "--label",
        "half=a",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(f.history(0), applied_all());
    assert_eq!(f.history(1), applied_all());
    assert!(f.tables(2).is_empty() && f.tables(3).is_empty());

    let o = f.run(&["migrate", "plan", "--targets", "targets.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("4 targets in 2 waves, 4 at a time:"), "{out}");
    assert!(
        out.contains("  canary: t0\n  wave 1: t1, t2, t3\n"),
        "{out}"
    );
    assert!(out.contains("): 3 applied, 0 pending"), "{out}");
    assert!(out.contains("): 0 applied, 3 pending"), "{out}");
    assert!(
        out.contains("  ready    0002_create_notes  expand"),
        "{out}"
    );

    let o = f.run(&[
        "migrate",
        "status",
        "--targets",
        "targets.toml",
        "--label",
        "half=b",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = json(&o);
    let targets = report["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0]["name"], "t2");
    assert_eq!(targets[0]["status"]["applied"], 0);
    assert_eq!(
        targets[0]["status"]["pending"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(targets[1]["name"], "t3");

    let o = f.run(&["migrate", "status", "--targets", "targets.toml"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("target  labels"), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("t1 ")
            && l.contains("half=a,n=1")
            && l.contains("0003_seed_items")
            && l.ends_with("free")),
        "{out}"
    );

    // A mistake in the file is an error with its line; nothing runs.
    std::fs::write(
        f.path("bad.toml"),
        format!(
            "[strategy]\nconcurrency = 2\nwave = [\"50%\"]\n\n[[target]]\nname = \"x\"\nurl = \"{}\"\n",
            f.url(2)
        ),
    )
    .expect("write bad.toml");
    let o = f.run(&["migrate", "apply", "--targets", "bad.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(err.contains("unknown field `wave`"), "{err}");
    assert!(err.contains("bad.toml:3:"), "{err}");
    assert!(f.tables(2).is_empty());

    // An unset url-env names the variable.
    std::fs::write(
        f.path("env.toml"),
        "[[target]]\nname = \"x\"\nurl-env = \"BELLOWS_FLEET_TEST_UNSET\"\n",
    )
    .expect("write env.toml");
    let o = f.run(&["migrate", "plan", "--targets", "env.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        flat_stderr(&o).contains("BELLOWS_FLEET_TEST_UNSET is not set"),
        "{}",
        text(&o)
    );
}
