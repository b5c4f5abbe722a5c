//! The result of `bellows migrate verify` as text or JSON.
//!
//! Owns how a [`VerifyRun`] looks: one line per migration (✓ proven, with its accepted
//! differences; ↑ up only; ⊘ irreversible; ✗ refuted or failed up, with the stage, message
//! and snapshot diff; · not checked, with why), stale accept entries under their
//! migration, and a summary line with the counts per outcome and the time; or one stable
//! JSON object. It writes only to the writer it is given and decides nothing (the exit
//! code is the command's).
//!
//! JSON shape:
//!
//! ```text
//! {
//!   "engine": "postgresql-15.19",
//!   "database": "bellows_verify_…",
//!   "migrations": [
//!     { "id": "…",
//!       "outcome": "proven" | "up-only" | "irreversible" | "refuted" | "failed-up" | "not-checked",
//!       "proof": { "line": "proof …", "up": "sha256:…", "down": "sha256:…",
//!                  "s0": "sha256:…", "s1": "sha256:…", "engine": "…",
//!                  "accept": "sha256:…" | null } | null,
//!       "failure": { "stage": "…", "message": "…", "differences": ["…"],
//!                    "diff": "…" | null } | null,
//!       "accepted": ["view v: definition"],
//!       "stale_accepts": ["index i on t"],
//!       "reason": "an earlier up failed (…)" | null,
//!       "elapsed_ms": 12 }
//!   ],
//!   "summary": { "migrations": 7, "proven": 2, "with_accepted_differences": 1,
//!                "refuted": 1, "failed_up": 1, "up_only": 1, "irreversible": 1,
//!                "not_checked": 1, "stale_accepts": 1, "rebuilds": 1, "seconds": 3.2 }
//! }
//! ```

use crate::catalog::sum::{hash_text, Proof};
use crate::runner::verify::{MigrationVerdict, Verdict, VerifyRun};
use serde_json::{json, Value};
use std::io::{self, Write};

/// The output formats of `bellows migrate verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyFormat {
    Text,
    Json,
}

/// Writes the verification result in `format`.
pub fn write_verify(out: &mut dyn Write, run: &VerifyRun, format: VerifyFormat) -> io::Result<()> {
    match format {
        VerifyFormat::Text => write_text(out, run),
        VerifyFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &to_json(run)).map_err(io::Error::other)?;
            writeln!(out)
        }
    }
}

#[derive(Default)]
struct Counts {
    proven: usize,
    with_accepted: usize,
    refuted: usize,
    failed_up: usize,
    up_only: usize,
    irreversible: usize,
    not_checked: usize,
    stale_accepts: usize,
}

fn counts(run: &VerifyRun) -> Counts {
    let mut c = Counts::default();
    for v in &run.verdicts {
        match v.outcome {
            Verdict::Proven => c.proven += 1,
            Verdict::UpOnly => c.up_only += 1,
            Verdict::Irreversible => c.irreversible += 1,
            Verdict::Refuted(_) => c.refuted += 1,
            Verdict::FailedUp(_) => c.failed_up += 1,
            Verdict::NotChecked(_) => c.not_checked += 1,
        }
        if !v.accepted.is_empty() {
            c.with_accepted += 1;
        }
        c.stale_accepts += v.stale_accepts.len();
    }
    c
}

/// `1 difference` / `3 differences`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `2 proven (1 with accepted differences), 1 refuted, … — 7 migrations in 3.2 s`.
fn summary(run: &VerifyRun) -> String {
    let c = counts(run);
    let mut proven = format!("{} proven", c.proven);
    if c.with_accepted > 0 {
        proven.push_str(&format!(" ({} with accepted differences)", c.with_accepted));
    }
    let mut parts = vec![
        proven,
        format!("{} refuted", c.refuted),
        format!("{} failed up", c.failed_up),
        format!("{} up only", c.up_only),
        format!("{} irreversible", c.irreversible),
        format!("{} not checked", c.not_checked),
    ];
    if c.stale_accepts > 0 {
        parts.push(plural(c.stale_accepts, "stale accept", "stale accepts"));
    }
    let mut text = format!(
        "{} in {:.1} s: {}",
        plural(run.verdicts.len(), "migration", "migrations"),
        run.elapsed.as_secs_f64(),
        parts.join(", ")
    );
    if run.rebuilds > 0 {
        text.push_str(&format!(
            " ({} after refutations)",
            plural(run.rebuilds, "state rebuilt", "states rebuilt")
        ));
    }
    text
}

fn write_text(out: &mut dyn Write, run: &VerifyRun) -> io::Result<()> {
    writeln!(
        out,
        "verified on {} (scratch database {}, dropped)",
        run.engine, run.database
    )?;
    let width = run.verdicts.iter().map(|v| v.id.len()).max().unwrap_or(0);
    for v in &run.verdicts {
        write_verdict(out, v, width)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", summary(run))
}

fn write_verdict(out: &mut dyn Write, v: &MigrationVerdict, width: usize) -> io::Result<()> {
    let indent = |out: &mut dyn Write, text: &str| -> io::Result<()> {
        for line in text.lines() {
            writeln!(out, "      {line}")?;
        }
        Ok(())
    };
    match &v.outcome {
        Verdict::Proven if v.accepted.is_empty() => writeln!(out, "  ✓ {:width$}  proven", v.id)?,
        Verdict::Proven => writeln!(
            out,
            "  ✓ {:width$}  proven, with {}: {}",
            v.id,
            plural(
                v.accepted.len(),
                "accepted difference",
                "accepted differences"
            ),
            v.accepted.join(", ")
        )?,
        Verdict::UpOnly => writeln!(out, "  ↑ {:width$}  up only (no down script)", v.id)?,
        Verdict::Irreversible => writeln!(
            out,
            "  ⊘ {:width$}  irreversible (declared in migration.toml; down not run)",
            v.id
        )?,
        Verdict::Refuted(f) | Verdict::FailedUp(f) => {
            let what = match &v.outcome {
                Verdict::FailedUp(_) => "failed up".to_owned(),
                _ => format!("refuted at {}", f.stage),
            };
            writeln!(out, "  ✗ {:width$}  {what}", v.id)?;
            indent(out, &f.message)?;
            if let Some(diff) = &f.diff {
                indent(out, diff)?;
            }
        }
        Verdict::NotChecked(why) => writeln!(out, "  · {:width$}  not checked: {why}", v.id)?,
    }
    for stale in &v.stale_accepts {
        writeln!(
            out,
            "      stale accept: \"{stale}\" matches no difference; remove it from migration.toml"
        )?;
    }
    Ok(())
}

fn proof_json(p: &Proof) -> Value {
    json!({
        "line": p.render(),
        "up": hash_text(&p.up),
        "down": hash_text(&p.down),
        "s0": hash_text(&p.s0),
        "s1": hash_text(&p.s1),
        "engine": p.engine,
        "accept": p.accept.as_ref().map(hash_text),
    })
}

fn to_json(run: &VerifyRun) -> Value {
    let migrations: Vec<Value> = run
        .verdicts
        .iter()
        .map(|v| {
            let failure = match &v.outcome {
                Verdict::Refuted(f) | Verdict::FailedUp(f) => json!({
                    "stage": f.stage,
                    "message": f.message,
                    "differences": f.differences,
                    "diff": f.diff,
                }),
                _ => Value::Null,
            };
            let reason = match &v.outcome {
                Verdict::NotChecked(why) => Value::from(why.as_str()),
                _ => Value::Null,
            };
            json!({
                "id": v.id,
                "outcome": v.outcome.name(),
                "proof": v.proof.as_ref().map(proof_json),
                "failure": failure,
                "accepted": v.accepted,
                "stale_accepts": v.stale_accepts,
                "reason": reason,
                "elapsed_ms": u64::try_from(v.elapsed.as_millis()).unwrap_or(u64::MAX),
            })
        })
        .collect();
    let c = counts(run);
    json!({
        "engine": run.engine,
        "database": run.database,
        "migrations": migrations,
        "summary": {
            "migrations": run.verdicts.len(),
            "proven": c.proven,
            "with_accepted_differences": c.with_accepted,
            "refuted": c.refuted,
            "failed_up": c.failed_up,
            "up_only": c.up_only,
            "irreversible": c.irreversible,
            "not_checked": c.not_checked,
            "stale_accepts": c.stale_accepts,
            "rebuilds": run.rebuilds,
            "seconds": (run.elapsed.as_secs_f64() * 10.0).round() / 10.0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::sum::script_hash;
    use crate::runner::verify::{stage, VerifyFailure};
    use std::time::Duration;

    fn verdict(id: &str, outcome: Verdict) -> MigrationVerdict {
        MigrationVerdict {
            id: id.into(),
            outcome,
            proof: None,
            accepted: Vec::new(),
            stale_accepts: Vec::new(),
            elapsed: Duration::from_millis(12),
        }
    }

    fn proof(id: &str) -> Proof {
        Proof {
            id: id.into(),
            up: script_hash("up"),
            down: script_hash("down"),
            s0: script_hash(""),
            s1: script_hash("table users\n"),
            engine: "postgresql-15.19".into(),
            accept: None,
        }
    }

    fn run() -> VerifyRun {
        let proven = MigrationVerdict {
            proof: Some(proof("0001_users")),
            ..verdict("0001_users", Verdict::Proven)
        };
        let accepted = MigrationVerdict {
            proof: Some(Proof {
                accept: Some(script_hash("view v: definition\n")),
                ..proof("0002_views")
            }),
            accepted: vec!["view latest_posts: definition".into()],
            stale_accepts: vec!["index gone on t".into()],
            ..verdict("0002_views", Verdict::Proven)
        };
        VerifyRun {
            engine: "postgresql-15.19".into(),
            database: "bellows_verify_1_2".into(),
            verdicts: vec![
                proven,
                accepted,
                verdict("0003_drop", Verdict::UpOnly),
                verdict("0004_purge", Verdict::Irreversible),
                verdict(
                    "0005_index",
                    Verdict::Refuted(VerifyFailure {
                        stage: stage::DOWN_DIFFERS,
                        message: "down did not bring the schema back to what it was before up: left behind: index users_name_idx on users".into(),
                        diff: Some("--- before up (S0)\n+++ after down\n@@ -1 +1,2 @@\n column users.id bigint\n+index users.users_name_idx CREATE INDEX users_name_idx ON users (name)\n".into()),
                        differences: vec!["index users_name_idx on users".into()],
                    }),
                ),
                verdict(
                    "0006_broken",
                    Verdict::FailedUp(VerifyFailure {
                        stage: stage::UP,
                        message: "up.sql line 3 (`SELEC 1`): syntax error".into(),
                        diff: None,
                        differences: Vec::new(),
                    }),
                ),
                verdict(
                    "0007_later",
                    Verdict::NotChecked("an earlier up failed (0006_broken)".into()),
                ),
            ],
            rebuilds: 1,
            elapsed: Duration::from_millis(3_240),
        }
    }

    fn text(run: &VerifyRun, format: VerifyFormat) -> String {
        let mut out = Vec::new();
        write_verify(&mut out, run, format).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_lists_each_migration_and_a_summary() {
        let t = text(&run(), VerifyFormat::Text);
        assert_eq!(
            t,
            "verified on postgresql-15.19 (scratch database bellows_verify_1_2, dropped)
  ✓ 0001_users   proven
  ✓ 0002_views   proven, with 1 accepted difference: view latest_posts: definition
      stale accept: \"index gone on t\" matches no difference; remove it from migration.toml
  ↑ 0003_drop    up only (no down script)
  ⊘ 0004_purge   irreversible (declared in migration.toml; down not run)
  ✗ 0005_index   refuted at down != before up
      down did not bring the schema back to what it was before up: left behind: index users_name_idx on users
      --- before up (S0)
      +++ after down
      @@ -1 +1,2 @@
       column users.id bigint
      +index users.users_name_idx CREATE INDEX users_name_idx ON users (name)
  ✗ 0006_broken  failed up
      up.sql line 3 (`SELEC 1`): syntax error
  · 0007_later   not checked: an earlier up failed (0006_broken)

7 migrations in 3.2 s: 2 proven (1 with accepted differences), 1 refuted, 1 failed up, 1 up only, 1 irreversible, 1 not checked, 1 stale accept (1 state rebuilt after refutations)
"
        );
    }

    #[test]
    fn json_is_one_stable_object() {
        let v: Value = serde_json::from_str(&text(&run(), VerifyFormat::Json)).unwrap();
        assert_eq!(v["engine"], "postgresql-15.19");
        assert_eq!(v["database"], "bellows_verify_1_2");
        let m = &v["migrations"];
        assert_eq!(m[0]["outcome"], "proven");
        let line = m[0]["proof"]["line"].as_str().unwrap();
        assert!(line.starts_with("proof 0001_users up=sha256:"));
        assert_eq!(
            Proof::parse(line).as_ref(),
            run().verdicts[0].proof.as_ref()
        );
        assert!(m[0]["proof"]["accept"].is_null());
        assert_eq!(m[0]["elapsed_ms"], 12);
        assert!(m[1]["proof"]["accept"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
        assert_eq!(m[1]["accepted"], json!(["view latest_posts: definition"]));
        assert_eq!(m[1]["stale_accepts"], json!(["index gone on t"]));
        let outcomes: Vec<&str> = (0..7).map(|i| m[i]["outcome"].as_str().unwrap()).collect();
        assert_eq!(
            outcomes,
            [
                "proven",
                "proven",
                "up-only",
                "irreversible",
                "refuted",
                "failed-up",
                "not-checked"
            ]
        );
        assert!(m[2]["proof"].is_null() && m[2]["failure"].is_null());
        let f = &m[4]["failure"];
        assert_eq!(f["stage"], "down != before up");
        assert_eq!(f["differences"], json!(["index users_name_idx on users"]));
        assert!(f["diff"]
            .as_str()
            .unwrap()
            .contains("+index users.users_name_idx"));
        assert_eq!(m[5]["failure"]["stage"], "up");
        assert!(m[5]["failure"]["diff"].is_null());
        assert_eq!(m[6]["reason"], "an earlier up failed (0006_broken)");
        assert!(m[0]["reason"].is_null());
        assert_eq!(
            v["summary"],
            json!({"migrations": 7, "proven": 2, "with_accepted_differences": 1, "refuted": 1,
                   "failed_up": 1, "up_only": 1, "irreversible": 1, "not_checked": 1,
                   "stale_accepts": 1, "rebuilds": 1, "seconds": 3.2})
        );
    }
}
