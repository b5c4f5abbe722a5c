//! The plan: from the applied history (or nothing) to a target, the ordered steps and the
//! gates of each. Pure: it reads the analysed catalog and decides; it runs nothing.
//!
//! Gates of a step: lint errors in the migration, a declared phase that differs from the
//! inferred one, a missing rollback script (contracts need none), and coexistence: every
//! live release must be able to run against the schema after the step.

use crate::catalog::analysis::{Analysis, ReleaseCheck};
use crate::catalog::layout::Catalog;
use crate::classify::phase::Phase;
use crate::config::Config;
use crate::rules::Severity;
use serde::Serialize;

/// Whether a step may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ready,
    Blocked,
}

/// One step: a migration in its phase.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub migration: String,
    pub phase: Phase,
    pub status: Status,
    /// Why it is blocked, and what unblocks it.
    pub reasons: Vec<String>,
}

/// The plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The releases that must keep working during the steps.
    pub live: Vec<String>,
    pub steps: Vec<Step>,
}

/// What the plan starts from and aims at.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The last applied migration (none: nothing is applied); it and every migration
    /// before it in catalog order count as applied.
    pub applied: Option<String>,
    /// Migrations applied according to a database's history, in any order.
    pub applied_ids: Vec<String>,
    /// A release version or a migration id (none: the last migration).
    pub target: Option<String>,
    /// The deployed releases (none given: `[deploy] live` of bellows.toml).
    pub deployed: Vec<String>,
}

/// Why a plan cannot be made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    #[error("`{0}` is neither a migration in the catalog nor a release in bellows.toml")]
    #[diagnostic(
        code(bellows::plan::target),
        help("`bellows catalog list` shows the migrations")
    )]
    UnknownTarget(String),
    #[error("`--applied {0}` is not a migration in the catalog")]
    #[diagnostic(code(bellows::plan::applied))]
    UnknownApplied(String),
    #[error("release `{0}` is not declared in bellows.toml")]
    #[diagnostic(
        code(bellows::plan::release),
        help("declare it with a [[release]] entry")
    )]
    UnknownRelease(String),
}

/// Builds the plan. `order` is the migrations' order (the dependency graph's).
pub fn plan(
    catalog: &Catalog,
    config: &Config,
    analysis: &Analysis,
    releases: &[ReleaseCheck],
    order: &[&str],
    request: &Request,
) -> Result<Plan, PlanError> {
    let index_of = |id: &str| catalog.migrations.iter().position(|m| m.id == id);
    let applied = match &request.applied {
        Some(id) => Some(index_of(id).ok_or_else(|| PlanError::UnknownApplied(id.clone()))?),
        None => None,
    };
    // The target migration, and the release that will be deployed once it is reached.
    let (target, target_release) = match &request.target {
        None => (catalog.migrations.len().checked_sub(1), None),
        Some(t) => match index_of(t) {
            Some(i) => (Some(i), None),
            None => {
                let release = config
                    .releases
                    .iter()
                    .find(|r| &r.version == t)
                    .ok_or_else(|| PlanError::UnknownTarget(t.clone()))?;
                let needs = match &release.requires {
                    Some(id) => index_of(id),
                    None => applied,
                };
                (needs, Some(release.version.clone()))
            }
        },
    };
    let live: Vec<String> = if request.deployed.is_empty() {
        config.deploy.live.clone()
    } else {
        request.deployed.clone()
    };
    for v in &live {
        if !config.releases.iter().any(|r| &r.version == v) {
            return Err(PlanError::UnknownRelease(v.clone()));
        }
    }
    let mut live_all = live.clone();
    if let Some(v) = &target_release {
        if !live_all.contains(v) {
            live_all.push(v.clone());
        }
    }
    let first = applied.map(|i| i + 1).unwrap_or(0);
    let pending: Vec<usize> = order
        .iter()
        .filter(|id| !request.applied_ids.iter().any(|a| a == *id))
        .filter_map(|id| index_of(id))
        .filter(|&i| i >= first && target.is_some_and(|t| i <= t))
        .collect();

    let mut steps = Vec::with_capacity(pending.len());
    let mut blocked_at: Option<String> = None;
    for i in pending {
        let m = &catalog.migrations[i];
        let result = &analysis.results[i];
        let inferred = result.phase;
        let phase = m.meta.phase.map(|p| p.phase()).unwrap_or(inferred);
        let mut reasons = Vec::new();
        let errors: Vec<&str> = result
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.rule)
            .collect();
        if !errors.is_empty() {
            reasons.push(format!(
                "lint: {} error{} ({}); run `bellows lint {}`",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                dedup(&errors).join(", "),
                m.up.display()
            ));
        }
        if let Some(declared) = m.meta.phase.map(|p| p.phase()) {
            if inferred != Phase::None && inferred != declared {
                reasons.push(format!(
                    "phase mismatch: declared {declared}, the statements are {inferred}"
                ));
            }
        }
        if m.down.is_none() && phase != Phase::Contract {
            reasons.push(
                "no rollback script: add down.sql (only contract migrations may go without one)"
                    .to_owned(),
            );
        }
        // Every live release must run against the schema after this step. The release
        // being deployed only needs the states from the migration it requires on.
        for version in &live_all {
            let Some(check) = releases.iter().find(|r| &r.version == version) else {
                continue;
            };
            // A release runs only once the migration it requires is applied.
            let needs = config
                .releases
                .iter()
                .find(|r| &r.version == version)
                .and_then(|r| r.requires.as_deref())
                .and_then(index_of);
            if needs.is_some_and(|n| i < n) {
                continue;
            }
            // What this step breaks: problems after it that were not there before it
            // (or, at the release's first state, all of them).
            let before = if needs == Some(i) {
                &[][..]
            } else {
                &check.per_state[i][..]
            };
            for p in check.per_state[i + 1]
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .filter(|p| !before.contains(p))
            {
                let what = match p.object() {
                    Some((t, Some(c))) => format!("{t}.{c}"),
                    Some((t, None)) => t.to_string(),
                    None => "its queries".to_owned(),
                };
                reasons.push(format!(
                    "release {version} cannot run after this step ({}:{}: {}); retire release {version}, which uses {what} in {}:{}",
                    p.file, p.line, p.message, p.file, p.line
                ));
            }
        }
        let status = if reasons.is_empty() && blocked_at.is_none() {
            Status::Ready
        } else {
            if let Some(before) = &blocked_at {
                reasons.insert(0, format!("waits for the blocked step {before}"));
            }
            blocked_at.get_or_insert_with(|| m.id.clone());
            Status::Blocked
        };
        steps.push(Step {
            migration: m.id.clone(),
            phase,
            status,
            reasons,
        });
    }
    Ok(Plan {
        live: live_all,
        steps,
    })
}

fn dedup<'a>(items: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(i) {
            out.push(i);
        }
    }
    out
}
