//! The migration catalog: migrations on disk and their metadata.
//!
//! Owns reading `migration.toml` (declared phase, dependencies, transaction mode, backfill
//! settings, `[verify]`), which is also the format of a file layout's sidecar `<id>.toml`.
//! Unknown keys are errors with the line.

pub mod accept;
pub mod analysis;
pub mod coexist;
pub mod layout;
pub mod queries;
pub mod sections;
pub mod sqitch;
pub mod sum;

use crate::classify::phase::Phase;
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use std::path::Path;

/// The declared phase of a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclaredPhase {
    Expand,
    Backfill,
    Contract,
}

impl DeclaredPhase {
    pub fn phase(self) -> Phase {
        match self {
            DeclaredPhase::Expand => Phase::Expand,
            DeclaredPhase::Backfill => Phase::Backfill,
            DeclaredPhase::Contract => Phase::Contract,
        }
    }
}

/// `[backfill]`: how the runner walks a backfill's key range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillSpec {
    pub table: String,
    pub key: String,
    #[serde(default)]
    pub batch_size: Option<u64>,
    #[serde(default)]
    pub pause_ms: Option<u64>,
    /// Adaptive pacing: how long one batch should take (default 100 ms).
    #[serde(default, alias = "target-batch-ms")]
    pub target_batch_ms: Option<u64>,
    /// Adaptive pacing: the probe latency above which the backfill backs off (default:
    /// derived from the probe's latency before the backfill starts).
    #[serde(default, alias = "max-latency-ms")]
    pub max_latency_ms: Option<u64>,
    /// The longest pause between two batches (default 5000 ms).
    #[serde(default, alias = "max-pause-ms")]
    pub max_pause_ms: Option<u64>,
    /// Adaptive pacing: the largest share of the probes the batches may make slow, written
    /// as a percentage (`0.5` or `"0.5%"`; default 0.5%).
    #[serde(default, alias = "max-impact", deserialize_with = "de_percent")]
    pub max_impact: Option<Threshold>,
    /// The query whose latency paces the backfill (default: a primary-key lookup on the
    /// backfilled table).
    #[serde(default)]
    pub probe: Option<String>,
    /// A query returning one number; with `health-max`, the backfill waits while it is
    /// above; without, its latency is the probe.
    #[serde(default)]
    pub health: Option<String>,
    #[serde(default, alias = "health-max")]
    pub health_max: Option<Threshold>,
    /// How long the backfill waits on the health gate (or a lagging replica) before it
    /// stops, resumable (default 10 minutes).
    #[serde(default, alias = "health-timeout", deserialize_with = "de_duration")]
    pub health_timeout_ms: Option<u64>,
    /// The replication lag above which the backfill waits (default `[runner] max-lag`,
    /// else 5 s).
    #[serde(default, alias = "max-lag", deserialize_with = "de_duration")]
    pub max_lag_ms: Option<u64>,
}

/// A number from `migration.toml` (`health-max`), compared bit for bit.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub struct Threshold(pub f64);

impl PartialEq for Threshold {
    fn eq(&self, other: &Threshold) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Threshold {}

/// A percentage written as a number (`0.5`) or as text (`"0.5%"`), kept as a share
/// (0.004); more than 0 and at most 100.
fn de_percent<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Threshold>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }
    let pct = match Raw::deserialize(d)? {
        Raw::Number(n) => Some(n),
        Raw::Text(t) => t.trim().trim_end_matches('%').trim().parse::<f64>().ok(),
    };
    match pct {
        Some(p) if p > 0.0 && p <= 100.0 => Ok(Some(Threshold(p / 100.0))),
        _ => Err(serde::de::Error::custom(
            "`max-impact` is a percentage above 0 and at most 100: write e.g. 0.5 or \"0.5%\"",
        )),
    }
}

/// A duration written as `"2s"`, `"500ms"`, `"1m"` or a number of milliseconds.
fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Ms(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Ms(ms) => Ok(Some(ms)),
        Raw::Text(t) => crate::config::parse_duration_ms(&t)
            .map(Some)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{t}` is not a duration: write e.g. \"5s\", \"500ms\", \"10m\""
                ))
            }),
    }
}

/// `migration.toml` beside a migration's `up.sql`, or a file layout's sidecar `<id>.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationMeta {
    #[serde(default)]
    pub phase: Option<DeclaredPhase>,
    #[serde(default)]
    pub requires: Vec<String>,
    /// For a contract: the expand / backfill migrations whose replacement it finishes (it
    /// is ordered after them).
    #[serde(default)]
    pub replaces: Vec<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    /// `false`: the runner does not wrap the migration in a transaction.
    #[serde(default)]
    pub transaction: Option<bool>,
    #[serde(default)]
    pub backfill: Option<BackfillSpec>,
    /// `true`: the down script cannot bring back what up changed (it loses data);
    /// `bellows migrate rollback` refuses it without `--force`.
    #[serde(default)]
    pub irreversible: Option<bool>,
    #[serde(default)]
    pub verify: Option<VerifySpec>,
}

/// `[verify]`: what `bellows migrate verify` accepts for this migration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySpec {
    /// Reviewed differences that do not refute the rollback (see [`accept`]).
    #[serde(default)]
    pub accept: Vec<accept::Accept>,
}

impl MigrationMeta {
    /// The `[verify] accept` entries (none when there is no `[verify]`).
    pub fn accepts(&self) -> &[accept::Accept] {
        self.verify.as_ref().map_or(&[], |v| v.accept.as_slice())
    }
}

/// A `migration.toml` that cannot be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(
    code(bellows::catalog::migration_toml),
    help("keys: phase, requires, replaces, purpose, owner, transaction, irreversible, [backfill], [verify] accept")
)]
pub struct MetaError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("here")]
    pub span: Option<SourceSpan>,
}

impl MetaError {
    /// A TOML file (`migration.toml`, diesel's `metadata.toml`) that does not parse, shown
    /// at its line.
    pub fn from_toml(path: &Path, text: &str, e: &toml::de::Error) -> MetaError {
        MetaError {
            message: format!("{}: {}", path.display(), e.message()),
            src: NamedSource::new(path.display().to_string(), text.to_owned()),
            span: e
                .span()
                .map(|s| SourceSpan::from(s.start..s.end.max(s.start + 1).min(text.len().max(1)))),
        }
    }
}

impl MigrationMeta {
    pub fn parse(path: &Path, text: &str) -> Result<MigrationMeta, MetaError> {
        toml::from_str(text).map_err(|e| MetaError::from_toml(path, text, &e))
    }

    /// Reads the `migration.toml` next to an up script, if there is one.
    pub fn for_script(script: &Path) -> Result<Option<MigrationMeta>, MetaError> {
        let Some(path) = script.parent().map(|d| d.join("migration.toml")) else {
            return Ok(None);
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => MigrationMeta::parse(&path, &text).map(Some),
            Err(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_rejects() {
        let m = MigrationMeta::parse(
            Path::new("m.toml"),
            "phase = \"backfill\"\ntransaction = false\n[backfill]\ntable = \"users\"\nkey = \"id\"\nbatch_size = 1000\n",
        )
        .unwrap();
        assert_eq!(m.phase, Some(DeclaredPhase::Backfill));
        assert_eq!(m.backfill.unwrap().batch_size, Some(1000));
        let err = MigrationMeta::parse(
            Path::new("m.toml"),
            "phase = \"expand\"\nowner = \"a\"\nreqires = []\n",
        )
        .unwrap_err();
        assert!(err.message.contains("reqires"));
        assert!(MigrationMeta::parse(Path::new("m.toml"), "phase = \"later\"\n").is_err());
    }

    #[test]
    fn max_impact_is_a_percentage() {
        let spec = |value: &str| {
            let text = format!("[backfill]\ntable = \"t\"\nkey = \"id\"\nmax-impact = {value}\n");
            MigrationMeta::parse(Path::new("m.toml"), &text)
                .map(|m| m.backfill.unwrap().max_impact.map(|t| t.0))
        };
        assert_eq!(spec("0.5").unwrap(), Some(0.005));
        assert_eq!(spec("\"2%\"").unwrap(), Some(0.02));
        assert_eq!(spec("1").unwrap(), Some(0.01));
        for bad in ["0", "-1", "101", "\"fast\""] {
            let err = spec(bad).unwrap_err();
            assert!(err.message.contains("percentage"), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn verify_accept_is_read_strictly() {
        let m = MigrationMeta::parse(
            Path::new("m.toml"),
            "[verify]\naccept = [\"view latest_posts: definition\", \"table t: column c\"]\n",
        )
        .unwrap();
        let texts: Vec<&str> = m.accepts().iter().map(|a| a.text.as_str()).collect();
        assert_eq!(
            texts,
            ["view latest_posts: definition", "table t: column c"]
        );
        assert!(MigrationMeta::default().accepts().is_empty());

        let text = "phase = \"expand\"\n[verify]\naccept = [\"view v\", \"indx i\"]\n";
        let err = MigrationMeta::parse(Path::new("m.toml"), text).unwrap_err();
        assert!(
            err.message.contains("`indx i` is not a difference"),
            "{}",
            err.message
        );
        let span = err.span.expect("a span");
        assert!(text[span.offset()..span.offset() + span.len()].contains("\"indx i\""));

        let err = MigrationMeta::parse(Path::new("m.toml"), "[verify]\naccpt = []\n").unwrap_err();
        assert!(err.message.contains("accpt"), "{}", err.message);
    }
}
