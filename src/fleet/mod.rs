//! Fleet rollout: the same plan across many databases, rolled out like a canary deployment
//! (`bellows migrate apply | plan | status --targets targets.toml`).
//!
//! Owns the order of a rollout: the canary, then waves of growing size with at most
//! `concurrency` targets at once; the halt on the first failure or blocked plan (targets
//! already running finish, nothing new starts); rolling the failed target back to where
//! this rollout found it; the health query after each wave. Each target gets its own
//! connection and its own [`Runner`], so the gates, the lock and the history are exactly
//! those of a single-database run, and a re-run resumes by itself. It prints nothing: an
//! [`Observer`] hears about waves and targets and receives each target's runner events.
//!
//! Targets run as tokio tasks on one thread (a `LocalSet`): the work is waiting on
//! databases, and the runner's event sink is not `Send`.

pub mod targets;

use crate::classify::phase::Phase;
use crate::plan::{Plan, Status, Step};
use crate::runner::apply::Done;
use crate::runner::events::{Events, Silent};
use crate::runner::history::HistoryRow;
use crate::runner::url::{self, DbUrl};
use crate::runner::{
    AnyBackend, ApplyRequest, Backend, FailureKind, Project, RollbackRequest, RunError, Runner,
    Settings, StatusReport,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};
use targets::{Target, Wave};
use tokio::task::JoinSet;

/// Owns what a [`Project`] borrows, so that every target's task can make its own.
pub trait ProjectSource {
    fn project(&self) -> Project<'_>;
}

/// Hears what a rollout does. Called from one thread, in order.
pub trait Observer {
    /// A group starts: the canary, or wave `wave.number` of `waves` (the canary not
    /// counted).
    fn wave(&self, wave: &Wave, waves: usize, names: &[&str], concurrency: usize);
    /// A target starts `doing` something (its run, or a rollback after its health query
    /// failed); its runner's events go to the sink.
    fn target_started(&self, index: usize, name: &str, doing: &str) -> Box<dyn Events>;
    /// A target finished.
    fn target_finished(&self, index: usize, report: &TargetReport);
    /// Anything else worth a line (a pause, a health check, the halt).
    fn note(&self, text: &str);
}

/// The selected targets, their waves, and how each target's runner behaves.
pub struct Fleet {
    pub source: Rc<dyn ProjectSource>,
    pub targets: Vec<Target>,
    pub waves: Vec<Wave>,
    pub concurrency: usize,
    pub settings: Settings,
    /// Each target's group: (wave number, canary).
    group: Vec<(usize, bool)>,
}

/// What `apply --targets` does on each target, and between waves.
#[derive(Debug, Clone, Default)]
pub struct RolloutOptions {
    pub request: ApplyRequest,
    pub pause_ms: u64,
    pub health_query: Option<String>,
}

/// What happened on one target.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum TargetResult {
    /// The rollout halted before this target started.
    Untouched,
    /// Already at the goal.
    NothingToDo,
    Applied {
        steps: Vec<Done>,
    },
    /// A step's gates refused it. Nothing of it ran; `applied` are the steps before it
    /// (only when a gate that only a running apply checks, backfill completeness, refused).
    Blocked {
        step: Step,
        applied: Vec<Done>,
    },
    /// A step (or the health query) failed, and the target is back where this rollout
    /// found it: the failed step undone by the runner, `undone` rolled back with their
    /// down scripts.
    RolledBack {
        error: String,
        undone: Vec<String>,
    },
    /// A failure that left the target unchanged (not reached, refused before any step),
    /// or one that could not be fully undone: `state` says what it holds.
    Failed {
        error: String,
        state: String,
    },
}

impl TargetResult {
    /// Whether this result stops the rollout.
    pub fn halts(&self) -> bool {
        matches!(
            self,
            TargetResult::Blocked { .. }
                | TargetResult::RolledBack { .. }
                | TargetResult::Failed { .. }
        )
    }

    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            TargetResult::RolledBack { .. } | TargetResult::Failed { .. }
        )
    }
}

/// One target in a report.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub name: String,
    /// Redacted.
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub wave: usize,
    pub canary: bool,
    #[serde(flatten)]
    pub result: TargetResult,
    /// From its start to its end, rollback and health query included.
    pub duration_ms: Option<u64>,
}

/// How a rollout ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every target is at the goal.
    Done,
    /// A target's plan was blocked; nothing failed.
    Blocked,
    /// A target failed.
    Failed,
}

/// Where and why a rollout stopped.
#[derive(Debug, Clone, Serialize)]
pub struct Halt {
    pub wave: usize,
    pub canary: bool,
    /// The targets whose result stopped it.
    pub targets: Vec<String>,
    /// The health query failed on them (rather than their run).
    pub health: bool,
}

/// A wave with its targets' names.
#[derive(Debug, Clone, Serialize)]
pub struct WaveNames {
    pub number: usize,
    pub canary: bool,
    pub targets: Vec<String>,
}

/// The whole rollout.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutReport {
    pub verdict: Verdict,
    pub halted: Option<Halt>,
    pub waves: Vec<WaveNames>,
    pub concurrency: usize,
    pub targets: Vec<TargetReport>,
    pub duration_ms: u64,
}

/// One target's plan (`plan --targets`).
#[derive(Debug, Clone, Serialize)]
pub struct TargetPlan {
    pub name: String,
    pub url: String,
    pub labels: BTreeMap<String, String>,
    pub wave: usize,
    pub canary: bool,
    /// How many migrations its history says are applied.
    pub applied: usize,
    /// The plan from its history, or why there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One target's state (`status --targets`).
#[derive(Debug, Clone, Serialize)]
pub struct TargetStatus {
    pub name: String,
    pub url: String,
    pub labels: BTreeMap<String, String>,
    pub wave: usize,
    pub canary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The parts of a [`StatusReport`] a fleet table shows.
#[derive(Debug, Clone, Serialize)]
pub struct StatusCounts {
    pub engine: String,
    pub applied: usize,
    pub last_applied: Option<String>,
    pub pending: Vec<String>,
    pub dirty: Vec<String>,
    pub edited: Vec<String>,
    pub gone: Vec<String>,
    pub lock_holder: Option<String>,
}

impl StatusCounts {
    /// Dirty, edited or vanished migrations: a person must look.
    pub fn needs_attention(&self) -> bool {
        !(self.dirty.is_empty() && self.edited.is_empty() && self.gone.is_empty())
    }
}

/// Runs `f` to completion on a single-threaded runtime, inside a `LocalSet` (the fleet's
/// tasks are local tasks).
pub fn block_on<F: Future>(f: F) -> std::io::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    Ok(local.block_on(&rt, f))
}

impl Fleet {
    /// A fleet of `targets` in `waves` (from [`targets::Strategy::layout`]), at most
    /// `concurrency` at once.
    pub fn new(
        source: Rc<dyn ProjectSource>,
        targets: Vec<Target>,
        waves: Vec<Wave>,
        concurrency: usize,
        settings: Settings,
    ) -> Fleet {
        let mut group = vec![(0, false); targets.len()];
        for w in &waves {
            for &i in &w.targets {
                if let Some(g) = group.get_mut(i) {
                    *g = (w.number, w.canary);
                }
            }
        }
        Fleet {
            source,
            targets,
            waves,
            concurrency: concurrency.max(1),
            settings,
            group,
        }
    }

    fn wave_of(&self, index: usize) -> (usize, bool) {
        self.group.get(index).copied().unwrap_or((0, false))
    }

    fn report(&self, index: usize, result: TargetResult, ms: Option<u64>) -> TargetReport {
        let t = &self.targets[index];
        let (wave, canary) = self.wave_of(index);
        TargetReport {
            name: t.name.clone(),
            url: t.url.redacted(),
            url_env: t.url_env.clone(),
            labels: t.labels.clone(),
            wave,
            canary,
            result,
            duration_ms: ms,
        }
    }

    pub fn wave_names(&self) -> Vec<WaveNames> {
        self.waves
            .iter()
            .map(|w| WaveNames {
                number: w.number,
                canary: w.canary,
                targets: w
                    .targets
                    .iter()
                    .map(|&i| self.targets[i].name.clone())
                    .collect(),
            })
            .collect()
    }
}

/// What a target's history held when this rollout reached it.
#[derive(Debug, Clone, Default)]
struct Before {
    applied: Vec<String>,
    dirty: Vec<i64>,
}

impl Before {
    fn of(s: &StatusReport) -> Before {
        Before {
            applied: s.applied.iter().map(|r| r.migration.clone()).collect(),
            dirty: s.dirty.iter().map(|r| r.id).collect(),
        }
    }
}

/// A target's run, as its task returns it.
struct Ran {
    result: TargetResult,
    before: Before,
    ms: u64,
}

async fn connect(target: &DbUrl) -> Result<AnyBackend, String> {
    AnyBackend::connect(target)
        .await
        .map_err(|e| url::redact(&crate::runner::connect_message(&target.redacted(), &e)))
}

fn message(e: &RunError) -> String {
    url::redact(&e.message)
}

/// Runs `job(i)` for every index of `items`, at most `limit` at once, starting them in
/// order; once `halts` says so of a finished job, no further job starts (running ones
/// finish). Returns the finished jobs in the order they finished, and the indexes never
/// started. A job that panics becomes `panicked(i, why)`.
async fn bounded<T, Fut>(
    items: &[usize],
    limit: usize,
    job: impl Fn(usize) -> Fut,
    halts: impl Fn(&T) -> bool,
    panicked: impl Fn(usize, String) -> T,
) -> (Vec<(usize, T)>, Vec<usize>)
where
    T: 'static,
    Fut: Future<Output = T> + 'static,
{
    let mut set = JoinSet::new();
    let mut index_of = HashMap::new();
    let mut next = 0;
    let mut halted = false;
    let mut finished = Vec::new();
    loop {
        while !halted && set.len() < limit.max(1) && next < items.len() {
            let i = items[next];
            next += 1;
            let handle = set.spawn_local(job(i));
            index_of.insert(handle.id(), i);
        }
        let Some(joined) = set.join_next_with_id().await else {
            break;
        };
        let (i, value) = match joined {
            Ok((id, value)) => (index_of.get(&id).copied(), value),
            Err(e) => {
                let i = index_of.get(&e.id()).copied();
                (i, panicked(i.unwrap_or(0), e.to_string()))
            }
        };
        halted |= halts(&value);
        if let Some(i) = i {
            finished.push((i, value));
        }
    }
    (finished, items[next..].to_vec())
}

/// `apply --targets`: the canary, then the waves; halts on the first failure or blocked
/// plan, rolling a failed target back to where this rollout found it.
pub async fn rollout(
    fleet: Rc<Fleet>,
    options: Rc<RolloutOptions>,
    observer: Rc<dyn Observer>,
) -> RolloutReport {
    let started = Instant::now();
    let n = fleet.targets.len();
    let mut results: Vec<Option<(TargetResult, Option<u64>)>> = vec![None; n];
    let mut befores: Vec<Before> = vec![Before::default(); n];
    let mut halted: Option<Halt> = None;
    let numbered = fleet.waves.iter().filter(|w| !w.canary).count();
    for (w, wave) in fleet.waves.iter().enumerate() {
        if w > 0 && options.pause_ms > 0 {
            observer.note(&format!(
                "pausing {} before the next wave",
                human_ms(options.pause_ms)
            ));
            tokio::time::sleep(Duration::from_millis(options.pause_ms)).await;
        }
        let names: Vec<&str> = wave
            .targets
            .iter()
            .map(|&i| fleet.targets[i].name.as_str())
            .collect();
        observer.wave(wave, numbered, &names, fleet.concurrency);
        let job = |i: usize| {
            let fleet = fleet.clone();
            let options = options.clone();
            let observer = observer.clone();
            async move {
                let ran = run_target(&fleet, &options, observer.as_ref(), i).await;
                observer.target_finished(i, &fleet.report(i, ran.result.clone(), Some(ran.ms)));
                ran
            }
        };
        let (finished, _) = bounded(
            &wave.targets,
            fleet.concurrency,
            job,
            |r: &Ran| r.result.halts(),
            |_, why| Ran {
                result: TargetResult::Failed {
                    error: format!("internal error: {why}"),
                    state: "unknown: run `bellows migrate status` on it".to_owned(),
                },
                before: Before::default(),
                ms: 0,
            },
        )
        .await;
        let mut stopped_by = Vec::new();
        for (i, ran) in finished {
            if ran.result.halts() {
                stopped_by.push(fleet.targets[i].name.clone());
            }
            befores[i] = ran.before;
            results[i] = Some((ran.result, Some(ran.ms)));
        }
        if !stopped_by.is_empty() {
            halted = Some(Halt {
                wave: wave.number,
                canary: wave.canary,
                targets: stopped_by,
                health: false,
            });
            break;
        }
        if let Some(query) = &options.health_query {
            observer.note(&format!(
                "health query on {} target{}",
                wave.targets.len(),
                if wave.targets.len() == 1 { "" } else { "s" }
            ));
            let job = |i: usize| {
                let fleet = fleet.clone();
                let options = options.clone();
                let observer = observer.clone();
                let query = query.clone();
                let before = befores[i].clone();
                async move {
                    let started = Instant::now();
                    let verdict =
                        check_health(&fleet, &options, observer.as_ref(), i, &query, &before).await;
                    let ms = started.elapsed().as_millis() as u64;
                    if let Some(result) = &verdict {
                        observer.target_finished(i, &fleet.report(i, result.clone(), Some(ms)));
                    }
                    verdict.map(|r| (r, ms))
                }
            };
            let (checked, _) = bounded(
                &wave.targets,
                fleet.concurrency,
                job,
                |_| false,
                |_, why| {
                    Some((
                        TargetResult::Failed {
                            error: format!("internal error in the health query: {why}"),
                            state: "unknown: run `bellows migrate status` on it".to_owned(),
                        },
                        0,
                    ))
                },
            )
            .await;
            let mut unhealthy = Vec::new();
            for (i, verdict) in checked {
                if let Some((result, ms)) = verdict {
                    let total = results[i].as_ref().and_then(|r| r.1).unwrap_or(0) + ms;
                    results[i] = Some((result, Some(total)));
                    unhealthy.push(fleet.targets[i].name.clone());
                }
            }
            if !unhealthy.is_empty() {
                halted = Some(Halt {
                    wave: wave.number,
                    canary: wave.canary,
                    targets: unhealthy,
                    health: true,
                });
                break;
            }
        }
    }
    let targets: Vec<TargetReport> = results
        .into_iter()
        .enumerate()
        .map(|(i, r)| match r {
            Some((result, ms)) => fleet.report(i, result, ms),
            None => fleet.report(i, TargetResult::Untouched, None),
        })
        .collect();
    let verdict = if targets.iter().any(|t| t.result.is_failure()) {
        Verdict::Failed
    } else if halted.is_some() {
        Verdict::Blocked
    } else {
        Verdict::Done
    };
    RolloutReport {
        verdict,
        halted,
        waves: fleet.wave_names(),
        concurrency: fleet.concurrency,
        targets,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

pub fn human_ms(ms: u64) -> String {
    if ms >= 1000 && ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else if ms >= 1000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

async fn run_target(
    fleet: &Fleet,
    options: &RolloutOptions,
    observer: &dyn Observer,
    i: usize,
) -> Ran {
    let started = Instant::now();
    let mut events = observer.target_started(i, &fleet.targets[i].name, "connecting");
    let (result, before) = apply_target(fleet, options, &fleet.targets[i], events.as_mut()).await;
    Ran {
        result,
        before,
        ms: started.elapsed().as_millis() as u64,
    }
}

/// What a target's plan says its run will do.
enum Preflight {
    /// No step to run.
    Nothing,
    /// A step before (or among) the ones to run is blocked.
    Blocked(Step),
    Run,
}

/// The steps the run would take (up to `--phase`'s end), or the first blocked one.
fn preflight(plan: &Plan, phase: Option<Phase>) -> Preflight {
    let mut ready = 0;
    for step in &plan.steps {
        if phase.is_some_and(|p| p != step.phase) {
            break;
        }
        if step.status == Status::Blocked {
            return Preflight::Blocked(step.clone());
        }
        ready += 1;
    }
    if ready == 0 {
        Preflight::Nothing
    } else {
        Preflight::Run
    }
}

/// One target's run: connect, read its history, check its plan, apply; on a failure, put
/// it back where it was.
async fn apply_target(
    fleet: &Fleet,
    options: &RolloutOptions,
    target: &Target,
    events: &mut dyn Events,
) -> (TargetResult, Before) {
    let b = match connect(&target.url).await {
        Ok(b) => b,
        Err(error) => {
            return (
                TargetResult::Failed {
                    error,
                    state: "not reached: unchanged".to_owned(),
                },
                Before::default(),
            )
        }
    };
    let unchanged = |e: &RunError| TargetResult::Failed {
        error: message(e),
        state: "unchanged: no step ran".to_owned(),
    };
    let mut runner = Runner::new(b, fleet.source.project(), fleet.settings.clone(), events);
    let status = match runner.status().await {
        Ok(s) => s,
        Err(e) => return (unchanged(&e), Before::default()),
    };
    let before = Before::of(&status);
    let plan = match runner.plan(&options.request).await {
        Ok(p) => p,
        Err(e) => return (unchanged(&e), before),
    };
    // A dirty history goes to apply, which resumes a backfill or refuses with the details.
    if before.dirty.is_empty() {
        match preflight(&plan, options.request.phase) {
            Preflight::Nothing => return (TargetResult::NothingToDo, before),
            Preflight::Blocked(step) => {
                return (
                    TargetResult::Blocked {
                        step,
                        applied: Vec::new(),
                    },
                    before,
                )
            }
            Preflight::Run => {}
        }
    }
    match runner.apply(&options.request).await {
        Ok(outcome) => {
            let result = match outcome.blocked {
                Some(step) => TargetResult::Blocked {
                    step,
                    applied: outcome.done,
                },
                None if outcome.done.is_empty() => TargetResult::NothingToDo,
                None => TargetResult::Applied {
                    steps: outcome.done,
                },
            };
            (result, before)
        }
        Err(e) => {
            let b = runner.into_backend();
            // After a lost connection, look again through a new one.
            let b = (e.kind != FailureKind::Connection).then_some(b);
            let step_failed = e.kind == FailureKind::StepFailed;
            let result = restore(
                fleet,
                options,
                target,
                b,
                events,
                &before,
                message(&e),
                step_failed,
            )
            .await;
            (result, before)
        }
    }
}

/// After a failure: rolls back what this rollout applied on the target (the runner has
/// already undone the failed step itself), with the down scripts and the proofs the
/// settings require. Says what the target holds afterwards.
#[allow(clippy::too_many_arguments)]
async fn restore(
    fleet: &Fleet,
    options: &RolloutOptions,
    target: &Target,
    backend: Option<AnyBackend>,
    events: &mut dyn Events,
    before: &Before,
    error: String,
    step_failed: bool,
) -> TargetResult {
    let b = match backend {
        Some(b) => b,
        None => match connect(&target.url).await {
            Ok(b) => b,
            Err(why) => {
                return TargetResult::Failed {
                    error,
                    state: format!(
                    "unknown: cannot reconnect to look ({why}); run `bellows migrate status` on it"
                ),
                }
            }
        },
    };
    let mut runner = Runner::new(b, fleet.source.project(), fleet.settings.clone(), events);
    let after = match runner.status().await {
        Ok(s) => s,
        Err(e) => {
            return TargetResult::Failed {
                error,
                state: format!(
                    "unknown: cannot read its history after the failure ({}); run `bellows migrate status` on it",
                    message(&e)
                ),
            }
        }
    };
    let new: Vec<String> = after
        .applied
        .iter()
        .map(|r| r.migration.clone())
        .filter(|id| !before.applied.contains(id))
        .collect();
    let new_dirty: Vec<&HistoryRow> = after
        .dirty
        .iter()
        .filter(|r| !before.dirty.contains(&r.id))
        .collect();
    if let Some(row) = new_dirty.first() {
        let kept = if new.is_empty() {
            String::new()
        } else {
            format!(
                "; this rollout's earlier steps stay applied ({})",
                new.join(", ")
            )
        };
        return TargetResult::Failed {
            error,
            state: format!(
                "{} is dirty: part of it ran and could not be undone{kept}; settle it with `bellows migrate resolve {}` on this target",
                row.migration, row.migration
            ),
        };
    }
    if new.is_empty() {
        return if step_failed {
            TargetResult::RolledBack {
                error,
                undone: Vec::new(),
            }
        } else {
            TargetResult::Failed {
                error,
                state: "unchanged: this rollout applied nothing here".to_owned(),
            }
        };
    }
    let request = RollbackRequest {
        to: before.applied.last().cloned(),
        steps: before.applied.is_empty().then_some(new.len()),
        force: false,
        deployed: options.request.deployed.clone(),
        live_from_db: options.request.live_from_db,
        dry_run: false,
    };
    match runner.rollback(&request).await {
        Ok(outcome) => {
            let undone: Vec<String> = outcome.done.iter().map(|d| d.migration.clone()).collect();
            match outcome.blocked {
                None => TargetResult::RolledBack { error, undone },
                Some(step) => TargetResult::Failed {
                    error,
                    state: format!(
                        "rolled back {} of this rollout's {} step{}; the rollback of {} is refused ({}): {} stay{} applied",
                        undone.len(),
                        new.len(),
                        if new.len() == 1 { "" } else { "s" },
                        step.migration,
                        url::redact(&step.reasons.join("; ")),
                        new[..new.len() - undone.len()].join(", "),
                        if new.len() - undone.len() == 1 { "s" } else { "" }
                    ),
                },
            }
        }
        Err(e) => TargetResult::Failed {
            error,
            state: format!(
                "this rollout applied {} here and rolling {} back failed: {}",
                new.join(", "),
                if new.len() == 1 { "it" } else { "them" },
                message(&e)
            ),
        },
    }
}

/// Whether a cell means healthy: true, or a number other than 0.
fn healthy(cell: &str) -> bool {
    let c = cell.trim();
    c.eq_ignore_ascii_case("t")
        || c.eq_ignore_ascii_case("true")
        || c.parse::<f64>().is_ok_and(|v| v != 0.0)
}

/// Runs the health query on a target; `None` when healthy, else what the target became
/// (rolled back to where this rollout found it).
async fn check_health(
    fleet: &Fleet,
    options: &RolloutOptions,
    observer: &dyn Observer,
    i: usize,
    query: &str,
    before: &Before,
) -> Option<TargetResult> {
    let target = &fleet.targets[i];
    let mut b = match connect(&target.url).await {
        Ok(b) => b,
        Err(error) => {
            return Some(TargetResult::Failed {
                error: format!("health query: {error}"),
                state: "unknown: its run finished, the health query could not connect".to_owned(),
            })
        }
    };
    let problem = match b.query(query, &[]).await {
        Ok(rows) => match rows.first().and_then(|r| r.first()) {
            Some(Some(v)) if healthy(v) => return None,
            Some(Some(v)) => format!("returned `{v}`"),
            Some(None) => "returned NULL".to_owned(),
            None => "returned no row".to_owned(),
        },
        Err(e) => format!("failed: {}", url::redact(&e.to_string())),
    };
    let error = format!("the health query {problem}");
    let mut events = observer.target_started(
        i,
        &target.name,
        &format!("{error}: rolling back what this rollout applied"),
    );
    Some(
        restore(
            fleet,
            options,
            target,
            Some(b),
            events.as_mut(),
            before,
            error,
            false,
        )
        .await,
    )
}

/// `plan --targets`: every target's plan from its own history.
pub async fn plans(fleet: Rc<Fleet>, request: Rc<ApplyRequest>) -> Vec<TargetPlan> {
    let all: Vec<usize> = (0..fleet.targets.len()).collect();
    let job = |i: usize| {
        let fleet = fleet.clone();
        let request = request.clone();
        async move {
            let (applied, plan, error) = match plan_target(&fleet, &request, i).await {
                Ok((applied, plan)) => (applied, Some(plan), None),
                Err(e) => (0, None, Some(e)),
            };
            let (wave, canary) = fleet.wave_of(i);
            let t = &fleet.targets[i];
            TargetPlan {
                name: t.name.clone(),
                url: t.url.redacted(),
                labels: t.labels.clone(),
                wave,
                canary,
                applied,
                plan,
                error,
            }
        }
    };
    let (mut done, _) = bounded(
        &all,
        fleet.concurrency,
        job,
        |_| false,
        |i, why| TargetPlan {
            name: fleet.targets[i].name.clone(),
            url: fleet.targets[i].url.redacted(),
            labels: fleet.targets[i].labels.clone(),
            wave: fleet.wave_of(i).0,
            canary: fleet.wave_of(i).1,
            applied: 0,
            plan: None,
            error: Some(format!("internal error: {why}")),
        },
    )
    .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, p)| p).collect()
}

async fn plan_target(
    fleet: &Fleet,
    request: &ApplyRequest,
    i: usize,
) -> Result<(usize, Plan), String> {
    let b = connect(&fleet.targets[i].url).await?;
    let mut silent = Silent;
    let mut runner = Runner::new(
        b,
        fleet.source.project(),
        fleet.settings.clone(),
        &mut silent,
    );
    let status = runner.status().await.map_err(|e| message(&e))?;
    let plan = runner.plan(request).await.map_err(|e| message(&e))?;
    Ok((status.applied.len(), plan))
}

/// `status --targets`: every target's applied, pending and dirty migrations and lock.
pub async fn statuses(fleet: Rc<Fleet>) -> Vec<TargetStatus> {
    let all: Vec<usize> = (0..fleet.targets.len()).collect();
    let make = |fleet: &Fleet, i: usize, r: Result<StatusCounts, String>| {
        let t = &fleet.targets[i];
        let (wave, canary) = fleet.wave_of(i);
        let (status, error) = match r {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        TargetStatus {
            name: t.name.clone(),
            url: t.url.redacted(),
            labels: t.labels.clone(),
            wave,
            canary,
            status,
            error,
        }
    };
    let job = |i: usize| {
        let fleet = fleet.clone();
        async move {
            let r = status_target(&fleet, i).await;
            make(&fleet, i, r)
        }
    };
    let (mut done, _) = bounded(
        &all,
        fleet.concurrency,
        job,
        |_| false,
        |i, why| make(&fleet, i, Err(format!("internal error: {why}"))),
    )
    .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, s)| s).collect()
}

async fn status_target(fleet: &Fleet, i: usize) -> Result<StatusCounts, String> {
    let b = connect(&fleet.targets[i].url).await?;
    let mut silent = Silent;
    let mut runner = Runner::new(
        b,
        fleet.source.project(),
        fleet.settings.clone(),
        &mut silent,
    );
    let s = runner.status().await.map_err(|e| message(&e))?;
    Ok(StatusCounts {
        engine: s.engine,
        applied: s.applied.len(),
        last_applied: s.applied.last().map(|r| r.migration.clone()),
        pending: s.pending,
        dirty: s.dirty.iter().map(|r| r.migration.clone()).collect(),
        edited: s.edited,
        gone: s.gone,
        lock_holder: s.lock_holder.map(|h| url::redact(&h)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(id: &str, phase: Phase, status: Status) -> Step {
        Step {
            migration: id.to_owned(),
            phase,
            status,
            reasons: Vec::new(),
        }
    }

    #[test]
    fn preflight_finds_what_would_run() {
        let plan = |steps| Plan {
            live: Vec::new(),
            steps,
        };
        assert!(matches!(preflight(&plan(vec![]), None), Preflight::Nothing));
        let p = plan(vec![
            step("a", Phase::Expand, Status::Ready),
            step("b", Phase::Contract, Status::Blocked),
        ]);
        // The blocked step is among those a plain apply would reach: nothing runs.
        assert!(matches!(preflight(&p, None), Preflight::Blocked(s) if s.migration == "b"));
        // --phase expand stops before it.
        assert!(matches!(preflight(&p, Some(Phase::Expand)), Preflight::Run));
        assert!(matches!(
            preflight(&p, Some(Phase::Contract)),
            Preflight::Nothing
        ));
    }

    #[test]
    fn health_values() {
        for yes in ["t", "true", "TRUE", "1", "42", "0.5"] {
            assert!(healthy(yes), "{yes}");
        }
        for no in ["f", "false", "0", "0.0", "", "ok"] {
            assert!(!healthy(no), "{no}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bounded_limits_and_halts() {
        use std::cell::Cell;
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let running = Rc::new(Cell::new(0usize));
                let peak = Rc::new(Cell::new(0usize));
                let items: Vec<usize> = (0..6).collect();
                let job = |i: usize| {
                    let running = running.clone();
                    let peak = peak.clone();
                    async move {
                        running.set(running.get() + 1);
                        peak.set(peak.get().max(running.get()));
                        tokio::time::sleep(Duration::from_millis(if i == 1 { 5 } else { 30 }))
                            .await;
                        running.set(running.get() - 1);
                        i
                    }
                };
                let (done, not_started) = bounded(&items, 2, job, |&i| i == 1, |i, _| i).await;
                assert_eq!(peak.get(), 2);
                // 1 halts first; 0 was running and finishes; nothing else starts.
                let mut ids: Vec<usize> = done.iter().map(|(i, _)| *i).collect();
                ids.sort();
                assert_eq!(ids, vec![0, 1]);
                assert_eq!(not_started, vec![2, 3, 4, 5]);
            })
            .await;
    }
}
