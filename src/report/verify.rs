//! The result of `bellows migrate verify` as text or JSON.
//!
//! Owns how a [`VerifyRun`] looks: one line per migration (✓ proven, ↑ up only, ✗ failed
//! with its stage, message and snapshot diff), the migrations left unverified, and a
//! summary line; or one stable JSON object. It writes only to the writer it is given and
//! decides nothing (the exit code is the command's).
//!
//! JSON shape:
//!
//! ```text
//! {
//!   "engine": "postgresql-15.19",
//!   "database": "bellows_verify_…",
//!   "migrations": [
//!     { "id": "…", "outcome": "proven" | "up-only" | "failed",
//!       "proof": { "line": "proof …", "up": "sha256:…", "down": "sha256:…",
//!                  "s0": "sha256:…", "s1": "sha256:…", "engine": "…" } | null,
//!       "failure": { "stage": "…", "message": "…", "diff": "…" | null } | null }
//!   ],
//!   "not_verified": ["…"],
//!   "summary": { "proven": 1, "up_only": 0, "failed": 0, "not_verified": 0 }
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

struct Counts {
    proven: usize,
    up_only: usize,
    failed: usize,
}

fn counts(run: &VerifyRun) -> Counts {
    let mut c = Counts {
        proven: 0,
        up_only: 0,
        failed: 0,
    };
    for v in &run.verdicts {
        match v.outcome {
            Verdict::Proven => c.proven += 1,
            Verdict::UpOnly => c.up_only += 1,
            Verdict::Failed(_) => c.failed += 1,
        }
    }
    c
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
    if !run.not_verified.is_empty() {
        writeln!(
            out,
            "  not verified (they build on the failed migration): {}",
            run.not_verified.join(", ")
        )?;
    }
    let c = counts(run);
    let mut summary = vec![
        format!("{} proven", c.proven),
        format!("{} up only", c.up_only),
        format!("{} failed", c.failed),
    ];
    if !run.not_verified.is_empty() {
        summary.push(format!("{} not verified", run.not_verified.len()));
    }
    writeln!(out)?;
    writeln!(out, "{}", summary.join(", "))
}

fn write_verdict(out: &mut dyn Write, v: &MigrationVerdict, width: usize) -> io::Result<()> {
    match &v.outcome {
        Verdict::Proven => writeln!(out, "  ✓ {:width$}  proven", v.id),
        Verdict::UpOnly => writeln!(
            out,
            "  ↑ {:width$}  up only (contract or no down script: nothing to roll back)",
            v.id
        ),
        Verdict::Failed(f) => {
            writeln!(out, "  ✗ {:width$}  failed at {}", v.id, f.stage)?;
            for line in f.message.lines() {
                writeln!(out, "      {line}")?;
            }
            if let Some(diff) = &f.diff {
                for line in diff.lines() {
                    writeln!(out, "      {line}")?;
                }
            }
            Ok(())
        }
    }
}

fn proof_json(p: &Proof) -> Value {
    json!({
        "line": p.render(),
        "up": hash_text(&p.up),
        "down": hash_text(&p.down),
        "s0": hash_text(&p.s0),
        "s1": hash_text(&p.s1),
        "engine": p.engine,
    })
}

fn to_json(run: &VerifyRun) -> Value {
    let migrations: Vec<Value> = run
        .verdicts
        .iter()
        .map(|v| {
            let (outcome, failure) = match &v.outcome {
                Verdict::Proven => ("proven", Value::Null),
                Verdict::UpOnly => ("up-only", Value::Null),
                Verdict::Failed(f) => (
                    "failed",
                    json!({ "stage": f.stage, "message": f.message, "diff": f.diff }),
                ),
            };
            json!({
                "id": v.id,
                "outcome": outcome,
                "proof": v.proof.as_ref().map(proof_json),
                "failure": failure,
            })
        })
        .collect();
    let c = counts(run);
    json!({
        "engine": run.engine,
        "database": run.database,
        "migrations": migrations,
        "not_verified": run.not_verified,
        "summary": {
            "proven": c.proven,
            "up_only": c.up_only,
            "failed": c.failed,
            "not_verified": run.not_verified.len(),
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
