//! The algorithm, written once for every engine: `apply`, `rollback`, `resolve` and the
//! state behind `status`, against any [`Backend`].
//!
//! Owns the order of operations that keeps a database consistent: the advisory lock, the
//! history checks (edited, gone, dirty), the plan's gates plus the ones only a live
//! database can answer (rollback proofs, backfill completeness), running each step in a
//! transaction or statement by statement, lock-timeout retries with jittered backoff, and
//! undoing a failed step. Backfills are in `backfill.rs`. It prints nothing: [`Events`]
//! carry progress, [`RunError`] carries failures with how far the run got.

use super::backend::{Backend, DbError, DbErrorKind};
use super::events::{Event, Events};
use super::history::{self, Direction, HistoryRow, HistoryTable, NewRow, State, Who};
use super::script::{self, Mode, Statement};
use crate::catalog::analysis::{Analysis, ReleaseCheck};
use crate::catalog::layout::{Catalog, Migration};
use crate::catalog::sum::{self, Proof, ProofStatus};
use crate::classify::phase::Phase;
use crate::config::Config;
use crate::graph::{Graph, NodeRef};
use crate::plan::{self, Plan, Status, Step};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How the runner behaves (bellows.toml `[runner]` merged with flags).
#[derive(Debug, Clone)]
pub struct Settings {
    pub history: HistoryTable,
    /// `lock_timeout` / `lock_wait_timeout` for every statement.
    pub lock_timeout_ms: u64,
    /// How many times a lock timeout is retried before the step fails.
    pub lock_retries: u32,
    /// The first retry waits about this long; each later one twice as long (±50%).
    pub retry_base_ms: u64,
    /// Wait for another run's lock (`--wait`) instead of exiting (`--no-wait`).
    pub wait: bool,
    /// Refuse a step whose down script has no proof from `migrate verify`.
    pub require_proof: bool,
    /// Apply even when the database differs from what the applied migrations built
    /// (`--allow-drift`).
    pub allow_drift: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            history: HistoryTable::default(),
            lock_timeout_ms: 2000,
            lock_retries: 3,
            retry_base_ms: 500,
            wait: true,
            require_proof: true,
            allow_drift: false,
        }
    }
}

/// The project as the runner sees it: the catalog, its analysis and graph, the releases'
/// checks and the rollback proofs from bellows.sum.
pub struct Project<'a> {
    pub catalog: &'a Catalog,
    pub config: &'a Config,
    pub analysis: &'a Analysis,
    pub releases: &'a [ReleaseCheck],
    pub graph: &'a Graph,
    pub proofs: &'a [Proof],
}

/// `bellows migrate apply`.
#[derive(Debug, Clone, Default)]
pub struct ApplyRequest {
    /// A migration id or a release version; none: everything.
    pub to: Option<String>,
    /// Only the leading steps of this phase.
    pub phase: Option<Phase>,
    /// The live releases; empty: `[deploy] live`, unless `live_from_db`.
    pub deployed: Vec<String>,
    /// Read the live releases from the database's sessions (`app@1.5.0`).
    pub live_from_db: bool,
    /// Print the SQL, run nothing, take no lock, write no history.
    pub dry_run: bool,
}

/// `bellows migrate rollback`.
#[derive(Debug, Clone, Default)]
pub struct RollbackRequest {
    /// Roll back every migration applied after this one.
    pub to: Option<String>,
    /// Roll back the last `steps` migrations (default 1).
    pub steps: Option<usize>,
    /// Also contracts and migrations marked irreversible, and past live releases.
    pub force: bool,
    pub deployed: Vec<String>,
    pub live_from_db: bool,
    pub dry_run: bool,
}

/// What an operator decided about a dirty step (`bellows migrate resolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Run the migration's down script, then count it as not applied.
    RunDown,
    /// It completed: count it as applied.
    MarkApplied,
    /// Nothing of it remains: count it as not applied.
    MarkRolledBack,
}

/// A step that ran.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Done {
    pub migration: String,
    pub phase: Phase,
    pub direction: Direction,
    pub ms: u64,
    /// A backfill's rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<i64>,
}

/// The result of `apply` or `rollback`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    /// The plan the run followed (for rollback: the steps it chose).
    pub plan: Plan,
    pub done: Vec<Done>,
    /// The step the run stopped before, with its reasons.
    pub blocked: Option<Step>,
    /// `--phase` stopped the run before this step.
    pub stopped_at_phase: Option<Step>,
    pub dry_run: bool,
    /// Down scripts (`rollback`), not up scripts.
    pub rollback: bool,
}

/// What kind of failure a [`RunError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// Another run holds the lock (`--no-wait`).
    LockHeld,
    /// A step started and never finished; an operator must decide.
    Dirty,
    /// An applied migration's files changed.
    Edited,
    /// An applied migration is gone from disk.
    Gone,
    /// A step failed; `state` in the message says what the database holds now.
    StepFailed,
    /// The connection to the database failed or was lost.
    Connection,
    /// The request cannot be carried out (unknown id, nothing to roll back, …).
    Refused,
    /// The database differs from what the applied migrations built (`--allow-drift`).
    Drift,
    /// A script cannot be read or split.
    Script,
    /// A backfill stopped cleanly because a health gate or a lagging replica held it back
    /// longer than `[backfill] health-timeout`; the next apply resumes it.
    Paused,
}

/// A run that could not finish. The message says how far it got and what state the
/// database is in; the help names the next command.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(bellows::runner))]
pub struct RunError {
    pub kind: FailureKind,
    pub message: String,
    #[help]
    pub help: Option<String>,
}

impl RunError {
    pub(super) fn new(
        kind: FailureKind,
        message: impl Into<String>,
        help: Option<String>,
    ) -> RunError {
        RunError {
            kind,
            message: message.into(),
            help,
        }
    }

    pub(super) fn db(context: &str, e: DbError) -> RunError {
        let kind = if e.kind == DbErrorKind::Connection {
            FailureKind::Connection
        } else {
            FailureKind::StepFailed
        };
        RunError::new(
            kind,
            format!("{context}: {e}"),
            Some("run `bellows migrate status` to see the database's state".to_owned()),
        )
    }
}

/// The runner: one connection, one project.
pub struct Runner<'a, B: Backend> {
    pub(super) b: B,
    pub(super) project: Project<'a>,
    pub(super) settings: Settings,
    pub(super) events: &'a mut dyn Events,
    pub(super) who: Who,
    /// Each migration's scripts and checksum as the run read them (see [`Runner::freeze`]).
    frozen: std::collections::HashMap<String, Frozen>,
    /// The `[[replica]]`s, connected at the first lag check.
    pub(super) replicas: Option<super::replica::Replicas>,
}

/// A migration's files as a run saw them: what runs is what was checked.
#[derive(Debug, Clone)]
struct Frozen {
    checksum: String,
    up: String,
    down: Option<String>,
}

/// What `status` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusReport {
    pub engine: String,
    pub history_table: String,
    pub applied: Vec<HistoryRow>,
    /// Migrations on disk not applied, in order.
    pub pending: Vec<String>,
    pub dirty: Vec<HistoryRow>,
    /// Applied migrations whose files changed since.
    pub edited: Vec<String>,
    /// Applied migrations missing from disk.
    pub gone: Vec<String>,
    pub lock_holder: Option<String>,
    /// The last runs, newest first.
    pub recent: Vec<HistoryRow>,
    /// The database's schema against the applied migrations'.
    pub drift: super::drift::Drift,
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksum recorded for a migration: its files' hash (as in bellows.sum).
pub fn checksum(m: &Migration) -> Result<String, RunError> {
    sum::file_hash(m)
        .map(|h| format!("sha256:{}", hex(&h)))
        .map_err(|e| RunError::new(FailureKind::Script, e.to_string(), None))
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

impl<'a, B: Backend> Runner<'a, B> {
    pub fn new(
        b: B,
        project: Project<'a>,
        settings: Settings,
        events: &'a mut dyn Events,
    ) -> Runner<'a, B> {
        Runner {
            b,
            project,
            settings,
            events,
            who: Who::current(),
            frozen: std::collections::HashMap::new(),
            replicas: None,
        }
    }

    /// The connection back (to close it or inspect it in tests).
    pub fn into_backend(self) -> B {
        self.b
    }

    pub fn backend(&mut self) -> &mut B {
        &mut self.b
    }

    pub(super) fn migration(&self, id: &str) -> Option<&'a Migration> {
        let catalog: &'a Catalog = self.project.catalog;
        catalog.migrations.iter().find(|m| m.id == id)
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.project
            .catalog
            .migrations
            .iter()
            .position(|m| m.id == id)
    }

    /// The phase a migration runs as: declared, else inferred.
    pub(super) fn phase_of(&self, id: &str) -> Phase {
        // The analysis already settled it (declared, else inferred) for the graph's node.
        self.index_of(id)
            .and_then(|i| self.project.analysis.nodes.get(i))
            .map_or(Phase::None, |n| n.phase)
    }

    /// Takes the advisory lock, waiting (with one event naming the holder) or failing
    /// at once as settings say.
    pub(super) async fn lock(&mut self) -> Result<(), RunError> {
        let name = self.settings.history.lock_name();
        let mut told = false;
        loop {
            match self.b.try_lock(&name).await {
                Ok(true) => {
                    if told {
                        self.events.event(Event::Locked);
                    }
                    return Ok(());
                }
                Ok(false) => {
                    let holder = self.b.lock_holder(&name).await.ok().flatten();
                    if !self.settings.wait {
                        return Err(RunError::new(
                            FailureKind::LockHeld,
                            format!(
                                "another bellows run holds the migration lock{}",
                                holder
                                    .as_deref()
                                    .map(|h| format!(": {h}"))
                                    .unwrap_or_default()
                            ),
                            Some(
                                "wait for it to finish, or run again with --wait to queue behind it"
                                    .to_owned(),
                            ),
                        ));
                    }
                    if !told {
                        self.events.event(Event::WaitingForLock {
                            holder: holder.as_deref(),
                        });
                        told = true;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(RunError::db("cannot take the migration lock", e)),
            }
        }
    }

    async fn unlock(&mut self) {
        let name = self.settings.history.lock_name();
        let _ = self.b.unlock(&name).await;
    }

    /// Reads the history (empty when the table does not exist yet).
    pub(super) async fn history(&mut self) -> Result<Vec<HistoryRow>, RunError> {
        let table = self.settings.history.clone();
        let exists = history::exists(&mut self.b, &table)
            .await
            .map_err(|e| RunError::db("cannot read the history", e))?;
        if !exists {
            return Ok(Vec::new());
        }
        history::read(&mut self.b, &table)
            .await
            .map_err(|e| RunError::db("cannot read the history", e))
    }

    /// Applied migrations whose files changed, and applied migrations gone from disk.
    fn integrity(&self, state: &State) -> Result<(Vec<String>, Vec<String>), RunError> {
        let mut edited = Vec::new();
        let mut gone = Vec::new();
        for row in &state.applied {
            match self.migration(&row.migration) {
                None => gone.push(row.migration.clone()),
                Some(m) => {
                    // The run's frozen checksum when it has one: the files are read once.
                    let now = match self.frozen.get(&m.id) {
                        Some(f) => f.checksum.clone(),
                        None => checksum(m)?,
                    };
                    let checked = matches!(row.direction, Direction::Up | Direction::Baseline);
                    if checked && now != row.checksum {
                        edited.push(row.migration.clone());
                    }
                }
            }
        }
        Ok((edited, gone))
    }

    fn refuse_integrity(&self, state: &State) -> Result<(), RunError> {
        let (edited, gone) = self.integrity(state)?;
        if !edited.is_empty() {
            return Err(RunError::new(
                FailureKind::Edited,
                format!(
                    "applied migration{} changed on disk since {} applied: {}",
                    if edited.len() == 1 { "" } else { "s" },
                    if edited.len() == 1 { "it was" } else { "they were" },
                    edited.join(", ")
                ),
                Some("restore the applied files (`git log -p` on them); put the change in a new migration".to_owned()),
            ));
        }
        if !gone.is_empty() {
            return Err(RunError::new(
                FailureKind::Gone,
                format!(
                    "applied migration{} missing from the catalog: {}",
                    if gone.len() == 1 { " is" } else { "s are" },
                    gone.join(", ")
                ),
                Some(
                    "restore the files, or point --catalog at the migrations this database was built from"
                        .to_owned(),
                ),
            ));
        }
        Ok(())
    }

    fn dirty_error(&self, row: &HistoryRow) -> RunError {
        let by = match (&row.os_user, &row.host) {
            (Some(u), Some(h)) => format!(" by {u}@{h}"),
            _ => String::new(),
        };
        let what = match row.direction {
            Direction::Down => "rollback of ",
            _ => "",
        };
        RunError::new(
            FailureKind::Dirty,
            format!(
                "the {what}{} ({}) started at {}{by} and did not finish{}; the database may hold part of it",
                row.migration,
                row.phase,
                row.started_at,
                row.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
            Some(format!(
                "inspect the database, then run `bellows migrate resolve {id} --run-down` to undo it with its down script, or `bellows migrate resolve {id} --mark-applied` if it completed (`--mark-rolled-back` if nothing of it remains)",
                id = row.migration
            )),
        )
    }

    /// The live releases: as requested, from the database's sessions, or bellows.toml.
    async fn live(&mut self, deployed: &[String], from_db: bool) -> Result<Vec<String>, RunError> {
        if !deployed.is_empty() {
            return Ok(deployed.to_vec());
        }
        if !from_db {
            return Ok(self.project.config.deploy.live.clone());
        }
        let apps = self
            .b
            .applications()
            .await
            .map_err(|e| RunError::db("cannot read the live releases from the sessions", e))?;
        let mut live: Vec<String> = Vec::new();
        for app in &apps {
            let Some((_, version)) = app.rsplit_once('@') else {
                continue;
            };
            if self
                .project
                .config
                .releases
                .iter()
                .any(|r| r.version == version)
            {
                if !live.iter().any(|v| v == version) {
                    live.push(version.to_owned());
                }
            } else {
                let note = format!(
                    "a session runs `{app}`, but release {version} is not declared in bellows.toml; it is not checked"
                );
                self.events.event(Event::Note(&note));
            }
        }
        let note = format!(
            "live releases from the database's sessions: {}",
            if live.is_empty() {
                "none".to_owned()
            } else {
                live.join(", ")
            }
        );
        self.events.event(Event::Note(&note));
        Ok(live)
    }

    /// The state of the database, without the lock.
    pub async fn status(&mut self) -> Result<StatusReport, RunError> {
        let rows = self.history().await?;
        let state = history::state(&rows);
        let (edited, gone) = self.integrity(&state)?;
        let pending = self
            .project
            .graph
            .order()
            .into_iter()
            .filter(|id| !state.is_applied(id))
            .map(str::to_owned)
            .collect();
        let lock_holder = self
            .b
            .lock_holder(&self.settings.history.lock_name())
            .await
            .map_err(|e| RunError::db("cannot ask who holds the migration lock", e))?;
        let recent = rows.iter().rev().take(10).cloned().collect();
        let drift = self.drift().await?;
        Ok(StatusReport {
            engine: self.b.engine().to_owned(),
            history_table: self.settings.history.sql(self.b.dialect()),
            applied: state.applied,
            pending,
            dirty: state.dirty,
            edited,
            gone,
            lock_holder,
            recent,
            drift,
        })
    }

    /// The plan from the database's history (no lock, nothing written).
    pub async fn plan(&mut self, request: &ApplyRequest) -> Result<Plan, RunError> {
        let rows = self.history().await?;
        let state = history::state(&rows);
        let live = self.live(&request.deployed, request.live_from_db).await?;
        self.make_plan(&state, request.to.clone(), live)
    }

    fn make_plan(
        &self,
        state: &State,
        to: Option<String>,
        live: Vec<String>,
    ) -> Result<Plan, RunError> {
        let order = self.project.graph.order();
        let request = plan::Request {
            applied: None,
            applied_ids: state.applied.iter().map(|r| r.migration.clone()).collect(),
            target: to,
            deployed: live,
        };
        let mut plan = plan::plan(
            self.project.catalog,
            self.project.config,
            self.project.analysis,
            self.project.releases,
            &order,
            &request,
        )
        .map_err(|e| RunError::new(FailureKind::Refused, e.to_string(), None))?;
        // Rollback proofs are a gate only the runner applies: they name an engine, which
        // the offline plan does not know.
        if self.settings.require_proof {
            let engine = self.b.engine().to_owned();
            let mut blocked_before = false;
            for step in &mut plan.steps {
                if let Some(m) = self.migration(&step.migration) {
                    if let Some(reason) = proof_gate(m, step.phase, self.project.proofs, &engine)? {
                        step.reasons.push(reason);
                    }
                }
                if blocked_before && step.status == Status::Ready {
                    step.status = Status::Blocked;
                }
                if !step.reasons.is_empty() {
                    step.status = Status::Blocked;
                }
                blocked_before |= step.status == Status::Blocked;
            }
        }
        Ok(plan)
    }

    /// Creates the history table if needed and takes the migration lock (a dry run does
    /// neither).
    pub(super) async fn enter(&mut self, dry_run: bool) -> Result<(), RunError> {
        if dry_run {
            return Ok(());
        }
        let table = self.settings.history.clone();
        history::ensure(&mut self.b, &table)
            .await
            .map_err(|e| RunError::db("cannot create the history table", e))?;
        self.lock().await
    }

    pub(super) async fn leave(&mut self, dry_run: bool) {
        if !dry_run {
            self.unlock().await;
        }
    }

    /// The start of every run under the lock: the lock timeout, the scripts frozen, the
    /// history read and checked (edited or vanished migrations refused).
    async fn begin(&mut self) -> Result<State, RunError> {
        self.b
            .set_lock_timeout(self.settings.lock_timeout_ms)
            .await
            .map_err(|e| RunError::db("cannot set the lock timeout", e))?;
        self.freeze()?;
        let rows = self.history().await?;
        let state = history::state(&rows);
        self.refuse_integrity(&state)?;
        Ok(state)
    }

    /// `bellows migrate apply`.
    pub async fn apply(&mut self, request: &ApplyRequest) -> Result<Outcome, RunError> {
        self.enter(request.dry_run).await?;
        let result = self.apply_locked(request).await;
        self.leave(request.dry_run).await;
        result
    }

    async fn apply_locked(&mut self, request: &ApplyRequest) -> Result<Outcome, RunError> {
        let state = self.begin().await?;
        // A backfill that stopped half-way resumes; any other dirty step needs a person.
        let mut resume: Vec<HistoryRow> = Vec::new();
        for row in &state.dirty {
            let is_backfill = row.direction == Direction::Up
                && self
                    .migration(&row.migration)
                    .is_some_and(|m| m.meta.backfill.is_some());
            if is_backfill {
                resume.push(row.clone());
            } else {
                return Err(self.dirty_error(row));
            }
        }
        if !self.settings.allow_drift {
            self.refuse_drift().await?;
        }
        let live = self.live(&request.deployed, request.live_from_db).await?;
        let plan = self.make_plan(&state, request.to.clone(), live)?;
        let total = plan.steps.len();
        let mut outcome = Outcome {
            plan: plan.clone(),
            done: Vec::new(),
            blocked: None,
            stopped_at_phase: None,
            dry_run: request.dry_run,
            rollback: false,
        };
        if request.dry_run {
            let line = format!(
                "-- dry run: {} against {}; nothing is executed",
                plural(total, "step"),
                self.b.engine()
            );
            self.events.event(Event::Sql(&line));
        }
        for (k, step) in plan.steps.iter().enumerate() {
            if let Some(phase) = request.phase {
                if step.phase != phase {
                    outcome.stopped_at_phase = Some(step.clone());
                    break;
                }
            }
            if step.status == Status::Blocked {
                outcome.blocked = Some(step.clone());
                break;
            }
            let mut step = step.clone();
            // Backfill completeness is known only to the database.
            if step.phase == Phase::Contract && !request.dry_run {
                let reasons = self.backfills_unfinished(&step.migration).await?;
                if !reasons.is_empty() {
                    step.reasons = reasons;
                    step.status = Status::Blocked;
                    outcome.blocked = Some(step);
                    break;
                }
            }
            let m = self.migration(&step.migration).ok_or_else(|| {
                RunError::new(
                    FailureKind::Refused,
                    format!("{} is not in the catalog", step.migration),
                    None,
                )
            })?;
            let resumed = resume.iter().find(|r| r.migration == m.id).cloned();
            let result = if m.meta.backfill.is_some() {
                self.run_backfill(m, step.phase, k, total, resumed, request.dry_run)
                    .await
            } else {
                if !request.dry_run {
                    self.wait_for_replicas(m).await?;
                }
                self.run_step(m, step.phase, Direction::Up, k, total, request.dry_run)
                    .await
                    .map(|ms| (ms, None))
            };
            match result {
                Ok((ms, rows)) => outcome.done.push(Done {
                    migration: m.id.clone(),
                    phase: step.phase,
                    direction: Direction::Up,
                    ms,
                    rows,
                }),
                Err(mut e) => {
                    e.message = format!(
                        "applied {}/{}; {}",
                        outcome.done.len(),
                        plural(total, "step"),
                        e.message
                    );
                    return Err(e);
                }
            }
        }
        Ok(outcome)
    }

    /// Stops a run on a database that differs from what its applied migrations built: the
    /// plan's checks assume that schema.
    async fn refuse_drift(&mut self) -> Result<(), RunError> {
        let drift = self.drift().await?;
        let Some(diff) = drift.diff else {
            // Why drift was not checked, unless it is only that nothing is applied yet.
            if let Some(note) = drift
                .note
                .as_deref()
                .filter(|n| *n != super::drift::NOTHING_APPLIED)
            {
                self.events.event(Event::Note(note));
            }
            return Ok(());
        };
        Err(RunError::new(
            FailureKind::Drift,
            format!(
                "the database differs from what the applied migrations built (- migrations, + database); nothing was applied:\n{}",
                diff.trim_end()
            ),
            Some(
                "put the change in a migration or undo it by hand (`bellows migrate plan` shows the drift), or pass --allow-drift to apply anyway"
                    .to_owned(),
            ),
        ))
    }

    /// The backfills a contract depends on (through the graph) that still have rows to do,
    /// each as a reason. A backfill without verify.sql cannot be checked and counts as done.
    async fn backfills_unfinished(&mut self, contract: &str) -> Result<Vec<String>, RunError> {
        let mut reasons = Vec::new();
        for id in self.ancestors(contract) {
            let Some(m) = self.migration(&id) else {
                continue;
            };
            if m.meta.backfill.is_none() && self.phase_of(&id) != Phase::Backfill {
                continue;
            }
            match self.remaining(m).await? {
                Some(n) if n > 0 => reasons.push(format!(
                    "backfill {id} has {n} row{} still to do (its verify.sql); run `bellows migrate apply --to {id}` or finish it, then retry",
                    if n == 1 { "" } else { "s" }
                )),
                _ => {}
            }
        }
        Ok(reasons)
    }

    /// Every migration `id` depends on, directly or not.
    fn ancestors(&self, id: &str) -> Vec<String> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut stack = vec![id.to_owned()];
        while let Some(next) = stack.pop() {
            for d in self
                .project
                .graph
                .dependencies_of(&next)
                .unwrap_or_default()
            {
                if let NodeRef::Migration(m) = d.on {
                    if seen.insert(m.id.clone()) {
                        stack.push(m.id.clone());
                    }
                }
            }
        }
        let mut out: Vec<String> = seen.into_iter().collect();
        out.sort_by_key(|id| self.index_of(id));
        out
    }

    /// What a migration's verify.sql counts (its first column of its last row), or `None`
    /// when it has none.
    pub(super) async fn remaining(&mut self, m: &Migration) -> Result<Option<i64>, RunError> {
        let Some(path) = &m.verify else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            RunError::new(
                FailureKind::Script,
                format!("cannot read {}: {e}", path.display()),
                None,
            )
        })?;
        let stmts = self.statements(&text, &path.display().to_string())?;
        let mut last = None;
        for s in &stmts {
            let rows = self.b.query(&s.sql, &[]).await.map_err(|e| {
                RunError::db(
                    &format!("{}:{}: verify.sql failed", path.display(), s.line),
                    e,
                )
            })?;
            last = rows.last().and_then(|r| r.first().cloned().flatten());
        }
        Ok(last
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|v| v as i64))
    }

    pub(super) fn statements(&self, text: &str, file: &str) -> Result<Vec<Statement>, RunError> {
        script::statements(text, self.b.dialect()).map_err(|e| {
            RunError::new(
                FailureKind::Script,
                format!("{file}: {e}"),
                Some(format!("run `bellows lint {file}`")),
            )
        })
    }

    pub(super) fn script_of(
        &self,
        m: &Migration,
        direction: Direction,
    ) -> Result<(String, String), RunError> {
        if let Some(f) = self.frozen.get(&m.id) {
            let file = |p: Option<&std::path::PathBuf>| {
                p.map(|p| p.display().to_string()).unwrap_or_default()
            };
            return match direction {
                Direction::Down => match &f.down {
                    Some(text) => Ok((text.clone(), file(m.down.as_ref()))),
                    None => Err(RunError::new(
                        FailureKind::Refused,
                        format!("{} has no down script", m.id),
                        None,
                    )),
                },
                _ => Ok((f.up.clone(), file(Some(&m.up)))),
            };
        }
        let read_err = |e: std::io::Error| {
            RunError::new(
                FailureKind::Script,
                format!("cannot read the scripts of {}: {e}", m.id),
                None,
            )
        };
        match direction {
            Direction::Down => {
                let text = m.down_text().map_err(read_err)?.ok_or_else(|| {
                    RunError::new(
                        FailureKind::Refused,
                        format!("{} has no down script", m.id),
                        None,
                    )
                })?;
                let file = m
                    .down
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                Ok((text, file))
            }
            _ => Ok((m.up_text().map_err(read_err)?, m.up.display().to_string())),
        }
    }

    /// Reads every migration's scripts and checksum once, at the start of a run. The up
    /// script must still be the text the plan was linted from; from here on, the run
    /// executes these texts and refuses a step whose files changed on disk meanwhile.
    fn freeze(&mut self) -> Result<(), RunError> {
        self.frozen.clear();
        let catalog: &'a Catalog = self.project.catalog;
        for (i, m) in catalog.migrations.iter().enumerate() {
            let read_err = |e: std::io::Error| {
                RunError::new(
                    FailureKind::Script,
                    format!("cannot read the scripts of {}: {e}", m.id),
                    None,
                )
            };
            let up = m.up_text().map_err(read_err)?;
            let down = m.down_text().map_err(read_err)?;
            let linted = self
                .project
                .analysis
                .results
                .get(i)
                .map(|r| &*r.source.text);
            if linted.is_some_and(|t| t != up) {
                return Err(changed_on_disk(m));
            }
            let checksum = checksum(m)?;
            self.frozen
                .insert(m.id.clone(), Frozen { checksum, up, down });
        }
        Ok(())
    }

    /// The frozen checksum, after making sure the files have not changed since the run
    /// read them.
    pub(super) fn unchanged_checksum(&self, m: &Migration) -> Result<String, RunError> {
        let now = checksum(m)?;
        match self.frozen.get(&m.id) {
            Some(f) if f.checksum != now => Err(changed_on_disk(m)),
            Some(f) => Ok(f.checksum.clone()),
            None => Ok(now),
        }
    }

    /// After a failure: when it is a lock timeout and retries are left, reports the retry,
    /// waits the backoff and returns true (try again); otherwise false.
    pub(super) async fn retry_after(&mut self, attempt: &mut u32, id: &str, e: &DbError) -> bool {
        if !e.is_lock_timeout() || *attempt >= self.settings.lock_retries {
            return false;
        }
        *attempt += 1;
        let wait_ms = self.backoff(*attempt);
        self.events.event(Event::Retry {
            id,
            attempt: *attempt,
            of: self.settings.lock_retries,
            wait_ms,
            error: e,
        });
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        true
    }

    /// On PostgreSQL, cancels the autovacuum workers on the tables `statements` lock, and
    /// says so ([`super::autovacuum`]). Run outside any transaction of the step.
    async fn make_way<'s>(&mut self, id: &str, statements: impl IntoIterator<Item = &'s str>) {
        if self.b.dialect() != crate::dialect::Dialect::Postgres {
            return;
        }
        for line in super::autovacuum::make_way(&mut self.b, statements).await {
            let text = format!("{id}: {line}");
            self.events.event(Event::Note(&text));
        }
    }

    /// Runs one statement outside a transaction, retrying lock timeouts. A `CREATE INDEX
    /// CONCURRENTLY` that timed out (PostgreSQL) leaves an INVALID index: the error names
    /// the sessions holding locks on its table, the INVALID index is dropped before each
    /// retry (the retry would fail with `already exists`), and once more when the step
    /// gives up, so it leaves nothing behind.
    async fn execute_retrying(&mut self, id: &str, sql: &str) -> Result<(), DbError> {
        let index = (self.b.dialect() == crate::dialect::Dialect::Postgres)
            .then(|| super::invalid_index::concurrent_index(sql))
            .flatten();
        let mut attempt = 0;
        loop {
            let mut result = match (&index, attempt) {
                (Some(ix), 1..) => self.drop_invalid_index(ix).await,
                _ => Ok(()),
            };
            if result.is_ok() {
                result = self.b.execute(sql).await.map(|_| ());
            }
            let Err(mut e) = result else {
                return Ok(());
            };
            let Some(ix) = index.as_ref().filter(|_| e.is_lock_timeout()) else {
                if self.retry_after(&mut attempt, id, &e).await {
                    continue;
                }
                return Err(e);
            };
            if let Ok(Some(holders)) =
                super::invalid_index::lock_holders(&mut self.b, &ix.table).await
            {
                e.message = format!("{} (waiting for: {holders})", e.message);
            }
            if self.retry_after(&mut attempt, id, &e).await {
                continue;
            }
            if let Err(d) = self.drop_invalid_index(ix).await {
                e.message = format!(
                    "{}; the INVALID index it left could not be dropped ({d}): drop it with DROP INDEX CONCURRENTLY",
                    e.message
                );
            }
            return Err(e);
        }
    }

    async fn drop_invalid_index(
        &mut self,
        index: &super::invalid_index::ConcurrentIndex,
    ) -> Result<(), DbError> {
        if let Some(dropped) = super::invalid_index::drop_invalid(&mut self.b, index).await? {
            let note = format!("dropped the INVALID index {dropped} that the cancelled build left");
            self.events.event(Event::Note(&note));
        }
        Ok(())
    }

    /// Backoff before retry `attempt` (1-based): base × 2^(attempt−1), ±50%, at most 30 s.
    pub(super) fn backoff(&self, attempt: u32) -> u64 {
        let base = self
            .settings
            .retry_base_ms
            .saturating_mul(1u64 << (attempt.saturating_sub(1)).min(16));
        let jitter = 0.5 + fastrand::f64();
        ((base as f64 * jitter) as u64).min(30_000)
    }

    /// Runs one step (up or down) in its mode, with history and retries; returns its
    /// duration in ms.
    async fn run_step(
        &mut self,
        m: &Migration,
        phase: Phase,
        direction: Direction,
        k: usize,
        total: usize,
        dry_run: bool,
    ) -> Result<u64, RunError> {
        let (text, file) = self.script_of(m, direction)?;
        let stmts = self.statements(&text, &file)?;
        let mode = script::mode(&stmts, self.b.dialect(), m.meta.transaction);
        self.events.event(Event::Step {
            id: &m.id,
            phase,
            mode,
            index: k + 1,
            total,
            down: direction == Direction::Down,
        });
        let checksum = self.unchanged_checksum(m)?;
        if dry_run {
            self.print_sql(m, direction, &stmts, mode);
            return Ok(0);
        }
        let started = Instant::now();
        let result = match mode {
            Mode::Transaction => {
                self.run_in_transaction(m, phase, direction, &stmts, &file, &checksum)
                    .await
            }
            Mode::Autocommit => {
                self.run_autocommit(m, phase, direction, &stmts, &file, &checksum)
                    .await
            }
        };
        let ms = started.elapsed().as_millis() as u64;
        result?;
        self.events.event(Event::StepDone { id: &m.id, ms });
        Ok(ms)
    }

    fn print_sql(&mut self, m: &Migration, direction: Direction, stmts: &[Statement], mode: Mode) {
        let how = match mode {
            Mode::Transaction => "in one transaction",
            Mode::Autocommit => "statement by statement, outside a transaction",
        };
        let header = format!(
            "-- {} {} ({how})",
            m.id,
            if direction == Direction::Down {
                "down"
            } else {
                "up"
            }
        );
        self.events.event(Event::Sql(&header));
        if mode == Mode::Transaction {
            self.events.event(Event::Sql("BEGIN;"));
        }
        for s in stmts {
            let line = format!("{};", s.sql);
            self.events.event(Event::Sql(&line));
        }
        let record = format!(
            "-- record {} in {}",
            m.id,
            self.settings.history.sql(self.b.dialect())
        );
        self.events.event(Event::Sql(&record));
        if mode == Mode::Transaction {
            self.events.event(Event::Sql("COMMIT;"));
        }
    }

    async fn run_in_transaction(
        &mut self,
        m: &Migration,
        phase: Phase,
        direction: Direction,
        stmts: &[Statement],
        file: &str,
        checksum: &str,
    ) -> Result<(), RunError> {
        let table = self.settings.history.clone();
        let mut attempt = 0;
        'attempt: loop {
            self.make_way(&m.id, stmts.iter().map(|s| s.sql.as_str()))
                .await;
            let started = Instant::now();
            self.b
                .execute("BEGIN")
                .await
                .map_err(|e| RunError::db("cannot begin a transaction", e))?;
            for (i, s) in stmts.iter().enumerate() {
                if let Err(e) = self.b.execute(&s.sql).await {
                    let _ = self.b.execute("ROLLBACK").await;
                    if self.retry_after(&mut attempt, &m.id, &e).await {
                        continue 'attempt;
                    }
                    if e.kind == DbErrorKind::Connection {
                        return Err(RunError::new(
                            FailureKind::Connection,
                            format!(
                                "the connection was lost during {} ({file}:{}): {e}; its transaction was rolled back by the server",
                                m.id, s.line
                            ),
                            Some("reconnect and run `bellows migrate status`".to_owned()),
                        ));
                    }
                    let msg = format!(
                        "{} ({phase}) failed on statement {} ({file}:{}): {e}",
                        m.id,
                        i + 1,
                        s.line
                    );
                    // Record the failed attempt (outside the rolled-back transaction).
                    let row = NewRow {
                        migration: &m.id,
                        phase: phase.as_str(),
                        direction,
                        checksum,
                        who: &self.who,
                    };
                    let ms = started.elapsed().as_millis() as i64;
                    let _ = history::record(&mut self.b, &table, &row, false, ms, Some(&msg)).await;
                    self.events.event(Event::RolledBack {
                        id: &m.id,
                        how: "its transaction was rolled back",
                    });
                    return Err(RunError::new(
                        FailureKind::StepFailed,
                        format!("{msg}; the database is unchanged by it (the transaction was rolled back)"),
                        Some(format!(
                            "fix {file}, then run `bellows migrate apply` again; `bellows migrate status` shows the history"
                        )),
                    ));
                }
            }
            let row = NewRow {
                migration: &m.id,
                phase: phase.as_str(),
                direction,
                checksum,
                who: &self.who,
            };
            let ms = started.elapsed().as_millis() as i64;
            let recorded = async {
                history::record(&mut self.b, &table, &row, true, ms, None).await?;
                self.b.execute("COMMIT").await
            }
            .await;
            if let Err(e) = recorded {
                let _ = self.b.execute("ROLLBACK").await;
                return Err(RunError::db(
                    &format!("{} ran but could not be recorded; it was rolled back", m.id),
                    e,
                ));
            }
            return Ok(());
        }
    }

    async fn run_autocommit(
        &mut self,
        m: &Migration,
        phase: Phase,
        direction: Direction,
        stmts: &[Statement],
        file: &str,
        checksum: &str,
    ) -> Result<(), RunError> {
        let table = self.settings.history.clone();
        let started = Instant::now();
        let row = NewRow {
            migration: &m.id,
            phase: phase.as_str(),
            direction,
            checksum,
            who: &self.who,
        };
        let id = history::start(&mut self.b, &table, &row)
            .await
            .map_err(|e| RunError::db("cannot record the step's start", e))?;
        for (i, s) in stmts.iter().enumerate() {
            self.make_way(&m.id, [s.sql.as_str()]).await;
            let failure = self.execute_retrying(&m.id, &s.sql).await.err();
            let Some(e) = failure else { continue };
            let ms = started.elapsed().as_millis() as i64;
            let msg = format!(
                "{} ({phase}{}) failed on statement {} ({file}:{}): {e}",
                m.id,
                if direction == Direction::Down {
                    ", down"
                } else {
                    ""
                },
                i + 1,
                s.line
            );
            if e.kind == DbErrorKind::Connection {
                return Err(RunError::new(
                    FailureKind::Connection,
                    format!("{msg}; the connection was lost, and {} ran before it: the history row stays dirty", plural(i, "statement")),
                    Some(format!(
                        "reconnect, check the database, then run `bellows migrate resolve {}` (see `bellows migrate status`)",
                        m.id
                    )),
                ));
            }
            if i == 0 {
                // One statement is atomic on both engines: nothing changed.
                let _ = history::finish(&mut self.b, &table, id, false, ms, Some(&msg)).await;
                return Err(RunError::new(
                    FailureKind::StepFailed,
                    format!("{msg}; nothing of it ran before, so the database is unchanged by it"),
                    Some(format!(
                        "fix {file}, then run `bellows migrate apply` again"
                    )),
                ));
            }
            // Part of it ran: undo with the down script (only for an up step).
            let undone = if direction == Direction::Up {
                self.undo_partial(m).await
            } else {
                Err("a failed rollback is not rolled forward".to_owned())
            };
            return match undone {
                Ok(how) => {
                    let text = format!("{msg}; {how}");
                    let _ = history::finish(&mut self.b, &table, id, false, ms, Some(&text)).await;
                    self.events.event(Event::RolledBack {
                        id: &m.id,
                        how: &how,
                    });
                    Err(RunError::new(
                        FailureKind::StepFailed,
                        format!(
                            "{msg}; {} had run; {how}, so the database is as before it",
                            plural(i, "statement")
                        ),
                        Some(format!(
                            "fix {file}, then run `bellows migrate apply` again"
                        )),
                    ))
                }
                Err(why) => {
                    let text = format!("{msg}; not rolled back: {why}");
                    let _ = history::leave_dirty(&mut self.b, &table, id, ms, &text).await;
                    Err(RunError::new(
                        FailureKind::StepFailed,
                        format!(
                            "{msg}; {} had run and could not be undone ({why}): the database holds part of {}, and its history row is dirty",
                            plural(i, "statement"),
                            m.id
                        ),
                        Some(format!(
                            "inspect the database, then run `bellows migrate resolve {id} --run-down`, or `--mark-applied` / `--mark-rolled-back` once it is consistent",
                            id = m.id
                        )),
                    ))
                }
            };
        }
        let ms = started.elapsed().as_millis() as i64;
        history::finish(&mut self.b, &table, id, true, ms, None)
            .await
            .map_err(|e| {
                RunError::db(
                    &format!(
                        "{} ran but its history row could not be completed (it stays dirty)",
                        m.id
                    ),
                    e,
                )
            })?;
        Ok(())
    }

    /// Undoes a partly-run step with its down script, when that script is proven (or proofs
    /// are not required). Returns how it was undone, or why it was not.
    async fn undo_partial(&mut self, m: &Migration) -> Result<String, String> {
        if m.down.is_none() {
            return Err(format!("{} has no down script", m.id));
        }
        if self.settings.require_proof {
            let status = sum::proof_status(m, self.project.proofs, self.b.engine())
                .map_err(|e| e.to_string())?;
            if status != ProofStatus::Proven {
                return Err("its down script is not proven by `bellows migrate verify`".to_owned());
            }
        }
        let (text, file) = self.script_of(m, Direction::Down).map_err(|e| e.message)?;
        let stmts = self.statements(&text, &file).map_err(|e| e.message)?;
        for s in &stmts {
            self.b
                .execute(&s.sql)
                .await
                .map_err(|e| format!("its down script failed at {file}:{}: {e}", s.line))?;
        }
        Ok(format!("rolled back with its verified down script {file}"))
    }

    /// `bellows migrate rollback`.
    pub async fn rollback(&mut self, request: &RollbackRequest) -> Result<Outcome, RunError> {
        self.enter(request.dry_run).await?;
        let result = self.rollback_locked(request).await;
        self.leave(request.dry_run).await;
        result
    }

    async fn rollback_locked(&mut self, request: &RollbackRequest) -> Result<Outcome, RunError> {
        let state = self.begin().await?;
        if let Some(row) = state.dirty.first() {
            return Err(self.dirty_error(row));
        }
        let applied: Vec<String> = state.applied.iter().map(|r| r.migration.clone()).collect();
        if applied.is_empty() {
            return Err(RunError::new(
                FailureKind::Refused,
                "nothing is applied: there is nothing to roll back",
                None,
            ));
        }
        let chosen: Vec<String> = match (&request.to, request.steps) {
            (Some(to), _) => {
                let pos = applied.iter().position(|a| a == to).ok_or_else(|| {
                    RunError::new(
                        FailureKind::Refused,
                        format!("`--to {to}`: {to} is not applied"),
                        Some("`bellows migrate status` lists the applied migrations".to_owned()),
                    )
                })?;
                applied[pos + 1..].iter().rev().cloned().collect()
            }
            (None, n) => applied.iter().rev().take(n.unwrap_or(1)).cloned().collect(),
        };
        let live = self.live(&request.deployed, request.live_from_db).await?;
        // Gates: irreversible steps, unproven down scripts, live releases that need what a
        // rollback removes.
        let engine = self.b.engine().to_owned();
        let mut steps = Vec::new();
        let mut blocked = false;
        for id in &chosen {
            let phase = self.phase_of(id);
            let m = self
                .migration(id)
                .expect("integrity() checked every applied migration is on disk");
            let mut reasons = Vec::new();
            if m.down.is_none() {
                reasons.push(format!(
                    "{id} has no down script; write one (and prove it with `bellows migrate verify`)"
                ));
            } else {
                if phase == Phase::Contract && !request.force {
                    reasons.push(format!(
                        "{id} is a contract: what it removed cannot be brought back with its data; pass --force to run its down script anyway"
                    ));
                }
                if m.meta.irreversible == Some(true) && !request.force {
                    reasons.push(format!(
                        "{id} is marked irreversible in migration.toml; pass --force to run its down script anyway"
                    ));
                }
                // --force lifts the gates above, never this one: only --allow-unproven
                // runs a down script that verify did not prove.
                if self.settings.require_proof {
                    if let Some(r) = rollback_proof_gate(m, self.project.proofs, &engine)? {
                        reasons.push(r);
                    }
                }
            }
            if !request.force {
                reasons.extend(self.rollback_breaks(id, &live));
            }
            let status = if reasons.is_empty() && !blocked {
                Status::Ready
            } else {
                blocked = true;
                Status::Blocked
            };
            steps.push(Step {
                migration: id.clone(),
                phase,
                status,
                reasons,
            });
        }
        let plan = Plan { live, steps };
        let total = plan.steps.len();
        let mut outcome = Outcome {
            plan: plan.clone(),
            done: Vec::new(),
            blocked: None,
            stopped_at_phase: None,
            dry_run: request.dry_run,
            rollback: true,
        };
        for (k, step) in plan.steps.iter().enumerate() {
            if step.status == Status::Blocked {
                outcome.blocked = Some(step.clone());
                break;
            }
            let m = self
                .migration(&step.migration)
                .expect("integrity() checked every applied migration is on disk");
            // A backfill's down script with :batch_start / :batch_end runs batch by batch.
            let ran = match self.batched_statement(m, Direction::Down)? {
                Some(template) => {
                    self.run_backfill_down(m, step.phase, k, total, template, request.dry_run)
                        .await
                }
                None => {
                    self.run_step(m, step.phase, Direction::Down, k, total, request.dry_run)
                        .await
                }
            };
            match ran {
                Ok(ms) => outcome.done.push(Done {
                    migration: m.id.clone(),
                    phase: step.phase,
                    direction: Direction::Down,
                    ms,
                    rows: None,
                }),
                Err(mut e) => {
                    e.message = format!(
                        "rolled back {}/{}; {}",
                        outcome.done.len(),
                        plural(total, "step"),
                        e.message
                    );
                    return Err(e);
                }
            }
        }
        Ok(outcome)
    }

    /// Live releases that cannot run once `id` is rolled back: problems in the state
    /// before `id` that the state after it does not have.
    fn rollback_breaks(&self, id: &str, live: &[String]) -> Vec<String> {
        let Some(i) = self.index_of(id) else {
            return Vec::new();
        };
        let mut reasons = Vec::new();
        for version in live {
            let Some(check) = self.project.releases.iter().find(|r| &r.version == version) else {
                continue;
            };
            if i + 1 < check.from || check.per_state.len() <= i + 1 {
                continue;
            }
            if i < check.from {
                reasons.push(format!(
                    "release {version} requires {id}: retire it (or pass --force) before rolling {id} back"
                ));
                continue;
            }
            let after = &check.per_state[i + 1];
            for p in check.per_state[i]
                .iter()
                .filter(|p| p.severity == crate::rules::Severity::Error)
                .filter(|p| !after.contains(p))
            {
                reasons.push(format!(
                    "release {version} cannot run once {id} is rolled back ({}:{}: {})",
                    p.file, p.line, p.message
                ));
            }
        }
        reasons
    }

    /// `bellows migrate resolve`: settles a dirty step.
    pub async fn resolve(&mut self, id: &str, how: Resolution) -> Result<String, RunError> {
        self.enter(false).await?;
        let result = self.resolve_locked(id, how).await;
        self.leave(false).await;
        result
    }

    async fn resolve_locked(&mut self, id: &str, how: Resolution) -> Result<String, RunError> {
        let rows = self.history().await?;
        let state = history::state(&rows);
        let Some(dirty) = state.dirty.iter().find(|r| r.migration == id).cloned() else {
            return Err(RunError::new(
                FailureKind::Refused,
                format!("{id} is not dirty: there is nothing to resolve"),
                Some("`bellows migrate status` lists dirty steps".to_owned()),
            ));
        };
        let m = self.migration(id).ok_or_else(|| {
            RunError::new(
                FailureKind::Gone,
                format!("{id} is not in the catalog"),
                None,
            )
        })?;
        let checksum = checksum(m)?;
        let table = self.settings.history.clone();
        let phase = dirty.phase.clone();
        let (direction, what) = match how {
            Resolution::RunDown => {
                if let Some(template) = self.batched_statement(m, Direction::Down)? {
                    let phase = self.phase_of(id);
                    self.run_backfill_down(m, phase, 0, 1, template, false)
                        .await?;
                    return Ok(format!(
                        "{id}: ran its down script batch by batch; it is not applied"
                    ));
                }
                let (text, file) = self.script_of(m, Direction::Down)?;
                let stmts = self.statements(&text, &file)?;
                let row = NewRow {
                    migration: id,
                    phase: &phase,
                    direction: Direction::Down,
                    checksum: &checksum,
                    who: &self.who,
                };
                let hid = history::start(&mut self.b, &table, &row)
                    .await
                    .map_err(|e| RunError::db("cannot record the step's start", e))?;
                let started = Instant::now();
                for s in &stmts {
                    if let Err(e) = self.b.execute(&s.sql).await {
                        let msg = format!("{file}:{}: {e}", s.line);
                        let _ = history::leave_dirty(
                            &mut self.b,
                            &table,
                            hid,
                            started.elapsed().as_millis() as i64,
                            &msg,
                        )
                        .await;
                        return Err(RunError::new(
                            FailureKind::StepFailed,
                            format!("the down script of {id} failed: {msg}; {id} stays dirty"),
                            Some(format!("fix the database by hand, then `bellows migrate resolve {id} --mark-rolled-back`")),
                        ));
                    }
                }
                history::finish(
                    &mut self.b,
                    &table,
                    hid,
                    true,
                    started.elapsed().as_millis() as i64,
                    None,
                )
                .await
                .map_err(|e| RunError::db("cannot record the rollback", e))?;
                return Ok(format!("{id}: ran its down script; it is not applied"));
            }
            Resolution::MarkApplied => (Direction::MarkApplied, "marked applied"),
            Resolution::MarkRolledBack => (Direction::MarkRolledBack, "marked not applied"),
        };
        let row = NewRow {
            migration: id,
            phase: &phase,
            direction,
            checksum: &checksum,
            who: &self.who,
        };
        let hid = history::start(&mut self.b, &table, &row)
            .await
            .map_err(|e| RunError::db("cannot record the resolution", e))?;
        history::finish(&mut self.b, &table, hid, true, 0, None)
            .await
            .map_err(|e| RunError::db("cannot record the resolution", e))?;
        Ok(format!("{id}: {what}"))
    }
}

/// Why a step's rollback is not proven, or `None` when it is (or needs no proof).
pub(super) fn proof_gate(
    m: &Migration,
    phase: Phase,
    proofs: &[Proof],
    engine: &str,
) -> Result<Option<String>, RunError> {
    if phase == Phase::Contract || m.down.is_none() {
        return Ok(None);
    }
    let status = sum::proof_status(m, proofs, engine)
        .map_err(|e| RunError::new(FailureKind::Script, e.to_string(), None))?;
    Ok(match status {
        ProofStatus::Proven | ProofStatus::NoDown => None,
        ProofStatus::Missing => Some(format!(
            "rollback not proven: run `bellows migrate verify --scratch-url URL` to prove {}'s down script (or pass --allow-unproven)",
            m.id
        )),
        ProofStatus::Stale => Some(format!(
            "rollback proof is stale: {}'s up or down script changed since `bellows migrate verify` proved it; run it again",
            m.id
        )),
        ProofStatus::OtherEngine(on) => Some(format!(
            "rollback proven only on {on}, not on {engine}: run `bellows migrate verify` against a {} scratch server",
            engine.split('-').next().unwrap_or(engine)
        )),
    })
}

/// Why a migration's down script may not run in a rollback, or `None` when it is proven.
/// A contract's down script is never proven (`migrate verify` does not run it), so it
/// needs --allow-unproven like any other unproven one.
fn rollback_proof_gate(
    m: &Migration,
    proofs: &[Proof],
    engine: &str,
) -> Result<Option<String>, RunError> {
    let status = sum::proof_status(m, proofs, engine)
        .map_err(|e| RunError::new(FailureKind::Script, e.to_string(), None))?;
    if status == ProofStatus::NoDown && m.down.is_some() {
        return Ok(Some(format!(
            "rollback not proven: `bellows migrate verify` does not prove {}'s down script (a contract's); pass --allow-unproven to run it anyway",
            m.id
        )));
    }
    proof_gate(m, Phase::Expand, proofs, engine)
}

fn changed_on_disk(m: &Migration) -> RunError {
    RunError::new(
        FailureKind::Script,
        format!(
            "{}'s files changed on disk while bellows was running (after they were read and checked); nothing of {} ran",
            m.id, m.id
        ),
        Some("run the command again: it plans, checks and runs the new content".to_owned()),
    )
}
