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
            plural(v.accepted.len(), "accepted difference", "accepted differences"),
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

    fn run() -> VerifyRun {
        VerifyRun {
            engine: "postgresql-15.19".into(),
            database: "bellows_verify_1_2".into(),
            verdicts: vec![
                MigrationVerdict {
                    id: "0001_users".into(),
                    outcome: Verdict::Proven,
                    proof: Some(Proof {
                        id: "0001_users".into(),
                        up: script_hash("up"),
                        down: script_hash("down"),
                        s0: script_hash(""),
                        s1: script_hash("table users\n"),
                        engine: "postgresql-15.19".into(),
                    }),
                },
                MigrationVerdict {
                    id: "0002_drop".into(),
                    outcome: Verdict::UpOnly,
                    proof: None,
                },
                MigrationVerdict {
                    id: "0003_index".into(),
                    outcome: Verdict::Failed(VerifyFailure {
                        stage: stage::DOWN_DIFFERS,
                        message: "down did not bring the schema back to what it was before up: left behind: index users_name_idx".into(),
                        diff: Some("--- before up (S0)\n+++ after down\n@@ -1 +1,2 @@\n column users.id bigint\n+index users_name_idx CREATE INDEX users_name_idx ON users (name)\n".into()),
                    }),
                    proof: None,
                },
            ],
            not_verified: vec!["0004_later".into()],
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
  ✓ 0001_users  proven
  ↑ 0002_drop   up only (contract or no down script: nothing to roll back)
  ✗ 0003_index  failed at down != before up
      down did not bring the schema back to what it was before up: left behind: index users_name_idx
      --- before up (S0)
      +++ after down
      @@ -1 +1,2 @@
       column users.id bigint
      +index users_name_idx CREATE INDEX users_name_idx ON users (name)
  not verified (they build on the failed migration): 0004_later

1 proven, 1 up only, 1 failed, 1 not verified
"
        );
    }

    #[test]
    fn json_is_one_stable_object() {
        let v: Value = serde_json::from_str(&text(&run(), VerifyFormat::Json)).unwrap();
        assert_eq!(v["engine"], "postgresql-15.19");
        assert_eq!(v["database"], "bellows_verify_1_2");
        assert_eq!(v["migrations"][0]["outcome"], "proven");
        let line = v["migrations"][0]["proof"]["line"].as_str().unwrap();
        assert!(line.starts_with("proof 0001_users up=sha256:"));
        assert_eq!(
            Proof::parse(line).as_ref(),
            run().verdicts[0].proof.as_ref()
        );
        assert_eq!(v["migrations"][1]["outcome"], "up-only");
        assert!(v["migrations"][1]["proof"].is_null());
        assert_eq!(v["migrations"][2]["failure"]["stage"], "down != before up");
        assert!(v["migrations"][2]["failure"]["diff"]
            .as_str()
            .unwrap()
            .contains("+index users_name_idx"));
        assert_eq!(v["not_verified"][0], "0004_later");
        assert_eq!(
            v["summary"],
            json!({"proven": 1, "up_only": 1, "failed": 1, "not_verified": 1})
        );
    }
}
