//! `migrate verify`: rollback proven on a scratch database, not hoped for.
//!
//! Owns the verification walk: creating scratch databases (and always dropping them
//! again), running each migration up → down → up with schema snapshots compared in
//! between, checking `verify.sql`, applying the migration's `[verify] accept` list, making
//! the [`Proof`] of each migration whose rollback holds, and rebuilding the expected state
//! after a refutation so the walk goes on to the end. It does not write `bellows.sum` (the
//! command records the proofs with
//! [`SumFile::set_proof`](crate::catalog::sum::SumFile::set_proof)) and prints nothing:
//! progress goes through the caller's callback, results to `report/verify.rs`.
//!
//! For each migration, in dependency order:
//!
//! ```text
//! S0 = snapshot → up → S1 → verify.sql must succeed
//!    → down → snapshot must equal S0 → verify.sql must fail
//!    → up   → snapshot must equal S1                       → proof
//! ```
//!
//! S0 is the snapshot the previous migration ended with. A migration without a down
//! script ([`Verdict::UpOnly`]) or declared `irreversible = true`
//! ([`Verdict::Irreversible`]) stops after the first line; a contract with a down script
//! is verified like any other. A refuted migration leaves its database in an unknown
//! state: the walk continues on a new database where every up script up to and including
//! the refuted one has run (on PostgreSQL a copy of a template database that follows the
//! walk; on MySQL a replay from the start). Only a failed up script ends the walk: the
//! migrations after it are [`Verdict::NotChecked`].

use super::backend::{quote_ident, Backend, DbError, DbErrorKind, Snapshot, SnapshotItem};
use super::script::{self, ScriptError, Statement};
use super::url::{redact, DbUrl};
use super::AnyBackend;
use crate::catalog::accept::{object_name, Accept, Difference};
use crate::catalog::layout::{Catalog, Migration};
use crate::catalog::sum::{accept_hash, script_hash, Hash, Proof};
use crate::catalog::BackfillSpec;
use crate::dialect::Dialect;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The history table, left out of every snapshot (a scratch database has none, but a
/// migration's own statements never see it either way).
pub const HISTORY_TABLE: &str = "bellows_history";

/// The stages a verification can fail at ([`VerifyFailure::stage`]).
pub mod stage {
    pub const UP: &str = "up";
    pub const DOWN: &str = "down";
    pub const SECOND_UP: &str = "second up";
    pub const VERIFY_AFTER_UP: &str = "verify.sql after up";
    pub const VERIFY_AFTER_DOWN: &str = "verify.sql after down";
    pub const DOWN_DIFFERS: &str = "down != before up";
    pub const SECOND_UP_DIFFERS: &str = "second up != first up";
}

/// `BELLOWS_VERIFY_TIMING=1`: where a verify run's time goes. Each phase (running the
/// scripts, the parts of a snapshot, comparing) adds up its wall time and count, and the
/// totals are printed to stderr when the run ends. A debugging aid; off by default.
pub(crate) mod timing {
    use std::collections::BTreeMap;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};

    static TOTALS: Mutex<BTreeMap<&'static str, (Duration, u64)>> = Mutex::new(BTreeMap::new());

    pub(crate) fn enabled() -> bool {
        static ON: OnceLock<bool> = OnceLock::new();
        *ON.get_or_init(|| std::env::var_os("BELLOWS_VERIFY_TIMING").is_some_and(|v| v != "0"))
    }

    /// Adds the time since `since` to `phase`.
    pub(crate) fn add(phase: &'static str, since: Instant) {
        if enabled() {
            let mut totals = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
            let entry = totals.entry(phase).or_default();
            entry.0 += since.elapsed();
            entry.1 += 1;
        }
    }

    /// The totals so far, one line per phase, emptied.
    pub(crate) fn take() -> String {
        let totals = std::mem::take(&mut *TOTALS.lock().unwrap_or_else(|p| p.into_inner()));
        totals
            .iter()
            .map(|(phase, (time, n))| {
                format!(
                    "{phase:<28} {:>9.3} s {n:>7}× {:>8.3} ms each\n",
                    time.as_secs_f64(),
                    time.as_secs_f64() * 1000.0 / (*n).max(1) as f64
                )
            })
            .collect()
    }
}

/// What to verify.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// A migration id: verify just it, after replaying (up only) the migrations before it
    /// in the order.
    pub only: Option<String>,
}

/// One migration's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationVerdict {
    pub id: String,
    pub outcome: Verdict,
    /// The proof, for a [`Verdict::Proven`] migration.
    pub proof: Option<Proof>,
    /// The differences `[verify] accept` accepted, by name (`view v: definition`).
    pub accepted: Vec<String>,
    /// `[verify] accept` entries that matched no difference (for a proven migration), or
    /// that could not (a migration whose down script did not run).
    pub stale_accepts: Vec<String>,
    /// How long verifying it took.
    pub elapsed: Duration,
}

/// What verifying one migration showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Down restored the schema (up to accepted differences) and up could run again: the
    /// proof holds.
    Proven,
    /// No down script: up ran, nothing to roll back.
    UpOnly,
    /// Declared `irreversible = true` in migration.toml: up ran, its down script did not.
    Irreversible,
    /// The rollback does not hold: a script failed, a snapshot differed, or verify.sql
    /// disagreed.
    Refuted(VerifyFailure),
    /// Its up script failed: the migrations after it cannot be checked.
    FailedUp(VerifyFailure),
    /// Not checked, and why (an earlier up failed; the expected state could not be
    /// rebuilt).
    NotChecked(String),
}

impl Verdict {
    /// The outcome's stable name: `proven`, `up-only`, `irreversible`, `refuted`,
    /// `failed-up`, `not-checked`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Proven => "proven",
            Verdict::UpOnly => "up-only",
            Verdict::Irreversible => "irreversible",
            Verdict::Refuted(_) => "refuted",
            Verdict::FailedUp(_) => "failed-up",
            Verdict::NotChecked(_) => "not-checked",
        }
    }

    /// A refutation or a failed up script: the run exits 1.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Verdict::Refuted(_) | Verdict::FailedUp(_) | Verdict::NotChecked(_)
        )
    }
}

/// Where and how a migration failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyFailure {
    /// One of the [`stage`] constants: `"up"`, `"down"`, `"second up"`,
    /// `"verify.sql after up"`, `"verify.sql after down"`, `"down != before up"`,
    /// `"second up != first up"`.
    pub stage: &'static str,
    /// What went wrong, with the script, line and server message where a statement failed.
    pub message: String,
    /// For the two snapshot comparisons: a unified diff of the snapshots (accepted
    /// differences left out).
    pub diff: Option<String>,
    /// For the two snapshot comparisons: the names of the differences not accepted.
    pub differences: Vec<String>,
}

/// The result of a verification run. The scratch databases are gone by the time it is
/// returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyRun {
    /// The engine and version verified on (`postgresql-15.19`).
    pub engine: String,
    /// The first scratch database's name (`bellows_verify_<pid>_<unix-nanos>`), already
    /// dropped.
    pub database: String,
    /// Every migration verified, in order, each with its outcome.
    pub verdicts: Vec<MigrationVerdict>,
    /// How many times the expected state was rebuilt after a refutation.
    pub rebuilds: usize,
    /// The whole run, scratch databases created and dropped included.
    pub elapsed: Duration,
}

impl VerifyRun {
    /// The first refuted or failed migration and its failure, if any.
    pub fn failure(&self) -> Option<(&str, &VerifyFailure)> {
        self.failures().next()
    }

    /// The refuted and failed migrations with their failures, in order.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &VerifyFailure)> {
        self.verdicts.iter().filter_map(|v| match &v.outcome {
            Verdict::Refuted(f) | Verdict::FailedUp(f) => Some((v.id.as_str(), f)),
            _ => None,
        })
    }

    /// Whether any migration was refuted, failed or left unchecked (exit 1).
    pub fn failed(&self) -> bool {
        self.verdicts.iter().any(|v| v.outcome.is_failure())
    }

    /// The proofs of the proven migrations, in order.
    pub fn proofs(&self) -> impl Iterator<Item = &Proof> {
        self.verdicts.iter().filter_map(|v| v.proof.as_ref())
    }
}

/// Why verification could not run to a verdict. Every variant is a tool failure; the
/// scratch database has been dropped (or the error says it could not be). The underlying
/// error is part of the message (not a separate cause, which would print it twice).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum VerifyError {
    #[error("{}", super::connect_message(.url, .error))]
    #[diagnostic(
        code(bellows::verify::connect),
        help("check that the server is up and the URL's user and password are right, then rerun `bellows migrate verify --scratch-url <URL>`")
    )]
    Connect { url: String, error: DbError },

    #[error("cannot create the scratch database {name}: {error}")]
    #[diagnostic(code(bellows::verify::create_database), help("{help}"))]
    CreateDatabase {
        name: String,
        error: DbError,
        help: String,
    },

    #[error("{id}: cannot read {}: {error}", path.display())]
    #[diagnostic(
        code(bellows::verify::read),
        help("check that the file exists and is readable (`bellows catalog list` shows the migrations), then rerun `bellows migrate verify`")
    )]
    Read {
        id: String,
        path: PathBuf,
        error: std::io::Error,
    },

    #[error("{id}: {} cannot be run: {error}", path.display())]
    #[diagnostic(
        code(bellows::verify::script),
        help("fix the script (bellows sends it one statement at a time), check it with `bellows lint`, then rerun `bellows migrate verify`")
    )]
    Script {
        id: String,
        path: PathBuf,
        error: ScriptError,
    },

    #[error("no migration `{id}` in the catalog")]
    #[diagnostic(
        code(bellows::verify::unknown_migration),
        help("`bellows catalog list` shows the migrations' ids")
    )]
    UnknownMigration { id: String },

    #[error(
        "verification stopped while {during} ({done} of {total} migrations verified): {error}"
    )]
    #[diagnostic(
        code(bellows::verify::database),
        help("the scratch database has been dropped; check the server, then rerun `bellows migrate verify`")
    )]
    Database {
        during: String,
        done: usize,
        total: usize,
        error: DbError,
    },

    #[error("replaying the migrations on a scratch database failed: {message}")]
    #[diagnostic(
        code(bellows::verify::replay),
        help("the scratch database has been dropped; the up scripts must run on an empty database in catalog order (`bellows migrate verify` shows which one fails)")
    )]
    Replay { message: String },

    #[error("interrupted ({done} of {total} migrations verified)")]
    #[diagnostic(
        code(bellows::verify::interrupted),
        help("the scratch database has been dropped and nothing was recorded; rerun `bellows migrate verify` to start again")
    )]
    Interrupted { done: usize, total: usize },

    #[error("cannot drop the scratch database {name}: {error}")]
    #[diagnostic(
        code(bellows::verify::drop_database),
        help("drop it by hand (`DROP DATABASE {name}`), then rerun `bellows migrate verify`")
    )]
    DropDatabase { name: String, error: DbError },
}

/// Verifies the migrations named in `order` (ids, in dependency order) on fresh databases
/// created through `scratch`, an admin connection to a server where bellows may
/// `CREATE DATABASE`. Every scratch database is dropped afterwards, on success, failure,
/// error and Ctrl-C alike.
///
/// Every script is read and split before the server is touched, so a missing file or a
/// psql meta-command fails fast.
pub async fn verify(
    catalog: &Catalog,
    order: &[&str],
    scratch: &DbUrl,
    options: &VerifyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<VerifyRun, VerifyError> {
    let started = Instant::now();
    let dialect = scratch.dialect();
    let steps = prepare(catalog, order, options, dialect)?;
    let total = steps.iter().filter(|s| !s.replay_only).count();

    let mut server = Server::open(scratch).await?;
    let first = server.create(progress).await?;

    let done = Cell::new(0);
    let outcome = {
        let walked = walk_in(&mut server, &steps, &done, progress);
        let interrupted = async {
            // Without a handler (no signal support) there is nothing to wait for.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = walked => r,
            () = interrupted => Err(VerifyError::Interrupted { done: done.get(), total }),
        }
    };
    // Every scratch connection is closed here (the walk owned them), before the drops.

    let mut dropped = Ok(());
    for name in std::mem::take(&mut server.created) {
        progress(&format!("dropping scratch database {name}"));
        if let Err(error) = drop_database(&mut server.admin, scratch, &name).await {
            let error = scrubbed(error);
            progress(&format!(
                "cannot drop the scratch database {name}: {error}; drop it by hand"
            ));
            if dropped.is_ok() {
                dropped = Err(VerifyError::DropDatabase { name, error });
            }
        }
    }
    if timing::enabled() {
        eprint!("{}", timing::take());
    }
    match (outcome, dropped) {
        (Ok((engine, verdicts, rebuilds)), Ok(())) => Ok(VerifyRun {
            engine,
            database: first,
            verdicts,
            rebuilds,
            elapsed: started.elapsed(),
        }),
        (Ok(_), Err(e)) | (Err(e), _) => Err(e),
    }
}

/// The schema the up scripts of `ids` (in catalog order) build on a new scratch database
/// created through `scratch` (an admin connection to a server where bellows may `CREATE
/// DATABASE`), which is dropped again on success, failure and error alike. The snapshot is
/// what [`Backend::snapshot`] reads, without the history table.
pub async fn replayed_snapshot(
    catalog: &Catalog,
    ids: &[&str],
    scratch: &DbUrl,
    progress: &mut dyn FnMut(&str),
) -> Result<Snapshot, VerifyError> {
    let dialect = scratch.dialect();
    let steps: Vec<Step<'_>> = ids
        .iter()
        .map(|id| {
            let m = catalog
                .get(id)
                .ok_or_else(|| VerifyError::UnknownMigration {
                    id: (*id).to_owned(),
                })?;
            step(m, true, dialect)
        })
        .collect::<Result<_, _>>()?;
    let mut server = Server::open(scratch).await?;
    let name = server.create(progress).await?;
    let outcome = {
        let replayed = async {
            let mut conn = server.connect(&name).await?;
            replay(&mut conn, &steps, progress)
                .await
                .map_err(|stop| match stop {
                    Stop::Failed(message) => VerifyError::Replay { message },
                    Stop::Tool(e) => e,
                })?;
            take_snapshot(&mut conn, "reading the replayed schema").await
        };
        let interrupted = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = replayed => r,
            () = interrupted => Err(VerifyError::Replay { message: "interrupted".to_owned() }),
        }
    };
    progress(&format!("dropping scratch database {name}"));
    let dropped = server.drop(&name).await;
    match (outcome, dropped) {
        (Ok(snapshot), Ok(())) => Ok(snapshot),
        (Err(e), _) | (Ok(_), Err(e)) => Err(e),
    }
}

/// How a schema differs from the one expected, object by object (in the vocabulary of
/// `[verify] accept`: `table t`, `table t: column c`, `index i on t`, `constraint k on t`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SchemaDifferences {
    /// Objects only in the actual schema.
    pub extra: Vec<String>,
    /// Objects only in the expected one.
    pub missing: Vec<String>,
    /// Objects in both, defined differently (`…: definition`).
    pub changed: Vec<String>,
    /// A unified diff of the two snapshots' text forms.
    pub diff: String,
}

impl SchemaDifferences {
    pub fn is_empty(&self) -> bool {
        self.extra.is_empty() && self.missing.is_empty() && self.changed.is_empty()
    }
}

/// Compares an expected snapshot with an actual one; `None` when they are the same.
pub fn schema_differences(
    expected: &Snapshot,
    actual: &Snapshot,
    (from, to): (&str, &str),
) -> Option<SchemaDifferences> {
    let c = compare(expected, actual, &[], &mut []);
    if c.before == c.after {
        return None;
    }
    let list = |l: &[Difference]| l.iter().map(Difference::name).collect::<Vec<_>>();
    Some(SchemaDifferences {
        extra: list(&c.added),
        missing: list(&c.removed),
        changed: list(&c.changed),
        diff: diff(&c.before, &c.after, from, to),
    })
}

/// The error with every registered secret removed from its message (drivers may echo
/// connection parameters).
fn scrubbed(e: DbError) -> DbError {
    DbError {
        message: redact(&e.message),
        ..e
    }
}

/// `bellows_verify_<pid>_<unix-nanos>`, unique within the process even when the clock
/// repeats itself.
pub(crate) fn scratch_name() -> String {
    static LAST: std::sync::Mutex<u128> = std::sync::Mutex::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let nanos = now.max(*last + 1);
    *last = nanos;
    format!("bellows_verify_{}_{nanos}", std::process::id())
}

fn privilege_help(dialect: Dialect, user: &str) -> String {
    let user = if user.is_empty() { "<user>" } else { user };
    match dialect {
        Dialect::Postgres => format!(
            "the scratch URL's user needs the CREATEDB privilege (`ALTER ROLE {user} CREATEDB`, as a superuser), or point --scratch-url at a server where it has it; then rerun `bellows migrate verify`"
        ),
        Dialect::Mysql => format!(
            "the scratch URL's user needs CREATE and DROP on the scratch databases (``GRANT ALL ON `bellows\\_verify\\_%`.* TO '{user}'@'%'``), or point --scratch-url at a server where it has them; then rerun `bellows migrate verify`"
        ),
    }
}

/// Drops the scratch database from the admin connection, reconnecting once when that
/// connection was lost meanwhile. Waits at most 30 s for locks.
pub(crate) async fn drop_database(
    admin: &mut AnyBackend,
    url: &DbUrl,
    name: &str,
) -> Result<(), DbError> {
    let dialect = url.dialect();
    let quoted = quote_ident(dialect, name);
    let mut result = drop_once(admin, dialect, &quoted).await;
    if matches!(&result, Err(e) if e.kind == DbErrorKind::Connection) {
        *admin = AnyBackend::connect(url).await?;
        result = drop_once(admin, dialect, &quoted).await;
    }
    result
}

async fn drop_once(admin: &mut AnyBackend, dialect: Dialect, quoted: &str) -> Result<(), DbError> {
    // Best effort: a drop that cannot get its lock should fail, not hang.
    let _ = admin.set_lock_timeout(30_000).await;
    match dialect {
        Dialect::Postgres => {
            match admin
                .execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
                .await
            {
                Ok(_) => Ok(()),
                // Before PostgreSQL 13 there is no FORCE; the scratch connection is closed.
                Err(e) if e.code.as_deref() == Some("42601") => admin
                    .execute(&format!("DROP DATABASE IF EXISTS {quoted}"))
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            }
        }
        Dialect::Mysql => admin
            .execute(&format!("DROP DATABASE IF EXISTS {quoted}"))
            .await
            .map(|_| ()),
    }
}

/// A migration with its scripts read and split.
struct Step<'c> {
    migration: &'c Migration,
    /// Replayed (up only, no checks) before the migration `--only` names.
    replay_only: bool,
    /// Declared `irreversible = true`: verified up only.
    irreversible: bool,
    /// Where up's line numbers count from: `up.sql`, or a dbmate file's up section.
    up_name: String,
    up_text: String,
    up: Vec<Statement>,
    down: Option<Script>,
    verify: Option<Script>,
    backfill: Option<&'c BackfillSpec>,
    accepts: &'c [Accept],
}

struct Script {
    name: String,
    text: String,
    statements: Vec<Statement>,
}

fn prepare<'c>(
    catalog: &'c Catalog,
    order: &[&str],
    options: &VerifyOptions,
    dialect: Dialect,
) -> Result<Vec<Step<'c>>, VerifyError> {
    let unknown = |id: &str| VerifyError::UnknownMigration { id: id.to_owned() };
    let migrations: Vec<&Migration> = order
        .iter()
        .map(|id| catalog.get(id).ok_or_else(|| unknown(id)))
        .collect::<Result<_, _>>()?;
    let last = match &options.only {
        Some(only) => order
            .iter()
            .position(|id| id == only)
            .ok_or_else(|| unknown(only))?,
        None => migrations.len().saturating_sub(1),
    };
    migrations
        .into_iter()
        .take(last + 1)
        .enumerate()
        .map(|(i, m)| {
            let replay_only = options.only.is_some() && i < last;
            step(m, replay_only, dialect)
        })
        .collect()
}

fn step(m: &Migration, replay_only: bool, dialect: Dialect) -> Result<Step<'_>, VerifyError> {
    let read = |path: &Path| {
        let path = path.to_path_buf();
        let id = m.id.clone();
        move |error| VerifyError::Read { id, path, error }
    };
    let split = |path: &Path, text: &str| {
        script::statements(text, dialect).map_err(|error| VerifyError::Script {
            id: m.id.clone(),
            path: path.to_path_buf(),
            error,
        })
    };
    let section = |path: &Path, part: &str| {
        let file = file_name(path);
        match m.sections {
            Some(markers) => format!("{file} ({} section)", markers.label(part == "up")),
            None => file,
        }
    };
    let up_text = m.up_text().map_err(read(&m.up))?;
    let up = split(&m.up, &up_text)?;
    let irreversible = m.meta.irreversible == Some(true);
    let down = match (&m.down, irreversible || replay_only) {
        (Some(path), false) => match m.down_text().map_err(read(path))? {
            Some(text) => Some(Script {
                name: section(path, "down"),
                statements: split(path, &text)?,
                text,
            }),
            None => None,
        },
        _ => None,
    };
    let verify = match (&m.verify, replay_only) {
        (Some(path), false) => {
            let text = std::fs::read_to_string(path).map_err(read(path))?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
            Some(Script {
                name: file_name(path),
                statements: split(path, &text)?,
                text,
            })
        }
        _ => None,
    };
    Ok(Step {
        migration: m,
        replay_only,
        irreversible,
        up_name: section(&m.up, "up"),
        up_text,
        up,
        down,
        verify,
        backfill: m.meta.backfill.as_ref(),
        accepts: m.meta.accepts(),
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Where the walk gets a database in a known state after a refutation left its own in an
/// unknown one.
#[allow(async_fn_in_trait)]
trait Rebuild {
    type Conn: Backend;

    /// A connection to a new database where the up scripts of `steps[..=last]` have run;
    /// `old` (the database the refutation left) is given up.
    async fn rebuild(
        &mut self,
        old: Self::Conn,
        steps: &[Step<'_>],
        last: usize,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Self::Conn, Stop>;
}

/// The scratch server: its admin connection and the databases made on it.
struct Server<'u> {
    admin: AnyBackend,
    url: &'u DbUrl,
    /// Every database created and not yet dropped (the walk's, and the template).
    created: Vec<String>,
    /// The database the walk runs on now.
    current: String,
    /// PostgreSQL: the template database rebuilt states are copied from, and how many
    /// steps' up scripts have run on it.
    base: Option<(String, usize)>,
}

impl<'u> Server<'u> {
    /// The admin connection to the scratch server, with no database made yet.
    async fn open(url: &'u DbUrl) -> Result<Server<'u>, VerifyError> {
        let admin = AnyBackend::connect(url)
            .await
            .map_err(|e| VerifyError::Connect {
                url: url.redacted(),
                error: scrubbed(e),
            })?;
        Ok(Server {
            admin,
            url,
            created: Vec::new(),
            current: String::new(),
            base: None,
        })
    }

    /// Creates a new, empty scratch database; returns its name.
    async fn create(&mut self, progress: &mut dyn FnMut(&str)) -> Result<String, VerifyError> {
        let dialect = self.url.dialect();
        let name = scratch_name();
        progress(&format!("creating scratch database {name}"));
        self.admin
            .execute(&format!("CREATE DATABASE {}", quote_ident(dialect, &name)))
            .await
            .map_err(|e| VerifyError::CreateDatabase {
                help: privilege_help(dialect, &self.url.user()),
                name: name.clone(),
                error: scrubbed(e),
            })?;
        self.created.push(name.clone());
        Ok(name)
    }

    async fn drop(&mut self, name: &str) -> Result<(), VerifyError> {
        drop_database(&mut self.admin, self.url, name)
            .await
            .map_err(|error| VerifyError::DropDatabase {
                name: name.to_owned(),
                error: scrubbed(error),
            })?;
        self.created.retain(|n| n != name);
        Ok(())
    }

    /// A connection to a scratch database, set up for speed: nothing on it needs to
    /// survive a crash, so PostgreSQL does not wait for the disk at each commit, and
    /// snapshots reuse what the previous one read for objects that did not change.
    async fn connect(&self, name: &str) -> Result<AnyBackend, VerifyError> {
        let url = self.url.with_database(name);
        let mut conn = AnyBackend::connect(&url)
            .await
            .map_err(|e| VerifyError::Connect {
                url: url.redacted(),
                error: scrubbed(e),
            })?;
        if conn.dialect() == Dialect::Postgres {
            conn.execute("SET synchronous_commit = off")
                .await
                .map_err(|error| database_error("setting up the scratch connection", error))?;
        }
        // Only this walk changes the scratch database: each snapshot reads again just
        // what changed since the previous one.
        conn.reuse_snapshots();
        Ok(conn)
    }
}

impl Rebuild for Server<'_> {
    type Conn = AnyBackend;

    /// PostgreSQL: the template catches up to `last` (its own up scripts run once each
    /// over the whole walk) and is copied (`CREATE DATABASE … TEMPLATE`). MySQL, which
    /// cannot copy a database: a new database replays every up script up to `last`.
    async fn rebuild(
        &mut self,
        old: AnyBackend,
        steps: &[Step<'_>],
        last: usize,
        progress: &mut dyn FnMut(&str),
    ) -> Result<AnyBackend, Stop> {
        drop(old);
        let previous = std::mem::take(&mut self.current);
        self.drop(&previous).await.map_err(Stop::Tool)?;
        let dialect = self.url.dialect();
        if dialect == Dialect::Mysql {
            let name = self.create(progress).await.map_err(Stop::Tool)?;
            let mut conn = self.connect(&name).await.map_err(Stop::Tool)?;
            self.current = name;
            replay(&mut conn, &steps[..=last], progress).await?;
            return Ok(conn);
        }
        let (base, ran) = match self.base.take() {
            Some(base) => base,
            None => (self.create(progress).await.map_err(Stop::Tool)?, 0),
        };
        if ran <= last {
            let mut conn = self.connect(&base).await.map_err(Stop::Tool)?;
            let replayed = replay(&mut conn, &steps[ran..=last], progress).await;
            drop(conn);
            if let Err(e) = replayed {
                // The template is in an unknown state too.
                self.drop(&base).await.map_err(Stop::Tool)?;
                return Err(e);
            }
        }
        self.base = Some((base.clone(), last + 1));
        let name = scratch_name();
        progress(&format!(
            "copying the state after {} into {name}",
            steps[last].migration.id
        ));
        let copy = format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(dialect, &name),
            quote_ident(dialect, &base)
        );
        self.admin
            .execute(&copy)
            .await
            .map_err(|error| Stop::Tool(database_error("copying the template database", error)))?;
        self.created.push(name.clone());
        let conn = self.connect(&name).await.map_err(Stop::Tool)?;
        self.current = name;
        Ok(conn)
    }
}

/// Runs the up scripts of `steps`, in order, to rebuild a state.
async fn replay<B: Backend>(
    conn: &mut B,
    steps: &[Step<'_>],
    progress: &mut dyn FnMut(&str),
) -> Result<(), Stop> {
    for s in steps {
        progress(&format!("{}: replaying up", s.migration.id));
        run_up(conn, s).await.map_err(|e| match e {
            Stop::Failed(message) => Stop::Failed(format!(
                "replaying {}'s up script on a new database failed: {message}",
                s.migration.id
            )),
            tool => tool,
        })?;
    }
    Ok(())
}

fn database_error(during: &str, error: DbError) -> VerifyError {
    VerifyError::Database {
        during: during.to_owned(),
        done: 0,
        total: 0,
        error: scrubbed(error),
    }
}

type Walked = (String, Vec<MigrationVerdict>, usize);

/// Connects to the first scratch database and walks the steps; every connection is
/// closed when this returns.
async fn walk_in(
    server: &mut Server<'_>,
    steps: &[Step<'_>],
    done: &Cell<usize>,
    progress: &mut dyn FnMut(&str),
) -> Result<Walked, VerifyError> {
    let first = server.created.last().cloned().unwrap_or_default();
    let conn = server.connect(&first).await?;
    server.current = first;
    let engine = conn.engine().to_owned();
    let (verdicts, rebuilds) = walk(conn, server, steps, done, progress).await?;
    Ok((engine, verdicts, rebuilds))
}

/// How one step went wrong: the migration failed, or the tool did.
enum Stop {
    Failed(String),
    Tool(VerifyError),
}

/// The state a migration's verification left the database in.
enum After {
    /// Every up script so far has run, and this is its snapshot.
    Known(Snapshot),
    /// Unknown: rebuild it before the next migration.
    Unknown,
    /// The migration's up script failed: nothing after it can run.
    UpFailed,
}

/// The walk itself, over any backend. `done` counts the migrations verified so far.
/// Returns every step's verdict (the replayed ones only when their replay failed) and how
/// many times the state was rebuilt.
async fn walk<R: Rebuild>(
    mut conn: R::Conn,
    rebuild: &mut R,
    steps: &[Step<'_>],
    done: &Cell<usize>,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<MigrationVerdict>, usize), VerifyError> {
    let total = steps.iter().filter(|s| !s.replay_only).count();
    // A database error says how far the run got.
    let counted = |e: VerifyError| match e {
        VerifyError::Database { during, error, .. } => VerifyError::Database {
            during,
            done: done.get(),
            total,
            error,
        },
        e => e,
    };
    let mut verdicts = Vec::new();
    let mut rebuilds = 0;
    let mut state: Option<Snapshot> = None;
    let mut stopped: Option<String> = None;
    for (i, step) in steps.iter().enumerate() {
        let id = &step.migration.id;
        if let Some(why) = &stopped {
            if !step.replay_only {
                verdicts.push(verdict(id, Verdict::NotChecked(why.clone())));
            }
            continue;
        }
        let started = Instant::now();
        let (mut result, after) = if step.replay_only {
            progress(&format!("{id}: replaying up"));
            match run_up(&mut conn, step).await {
                Ok(()) => continue,
                Err(Stop::Tool(e)) => return Err(counted(e)),
                Err(Stop::Failed(message)) => (
                    verdict(
                        id,
                        Verdict::FailedUp(failure(
                            stage::UP,
                            format!("replaying it before the migration to verify: {message}"),
                        )),
                    ),
                    After::UpFailed,
                ),
            }
        } else {
            let known = state.take();
            let result = verify_one(&mut conn, step, known, progress)
                .await
                .map_err(counted)?;
            done.set(done.get() + 1);
            result
        };
        result.elapsed = started.elapsed();
        progress(&format!("{id}: {}", progress_word(&result.outcome)));
        verdicts.push(result);
        match after {
            After::Known(snapshot) => state = Some(snapshot),
            After::UpFailed => stopped = Some(format!("an earlier up failed ({id})")),
            After::Unknown if i + 1 == steps.len() => {}
            After::Unknown => {
                progress(&format!("{id}: rebuilding the state after it"));
                rebuilds += 1;
                match rebuild.rebuild(conn, steps, i, progress).await {
                    Ok(new) => conn = new,
                    Err(Stop::Tool(e)) => return Err(counted(e)),
                    Err(Stop::Failed(message)) => {
                        // Nothing runs any more (the connection is gone): the remaining
                        // steps are only labelled.
                        let why = format!("the state after {id} could not be rebuilt: {message}");
                        verdicts.extend(
                            steps[i + 1..].iter().filter(|s| !s.replay_only).map(|s| {
                                verdict(&s.migration.id, Verdict::NotChecked(why.clone()))
                            }),
                        );
                        return Ok((verdicts, rebuilds));
                    }
                }
            }
        }
    }
    Ok((verdicts, rebuilds))
}

fn verdict(id: &str, outcome: Verdict) -> MigrationVerdict {
    MigrationVerdict {
        id: id.to_owned(),
        outcome,
        proof: None,
        accepted: Vec::new(),
        stale_accepts: Vec::new(),
        elapsed: Duration::ZERO,
    }
}

fn failure(stage: &'static str, message: String) -> VerifyFailure {
    VerifyFailure {
        stage,
        message,
        diff: None,
        differences: Vec::new(),
    }
}

/// The word a progress line ends with.
fn progress_word(outcome: &Verdict) -> &'static str {
    match outcome {
        Verdict::Refuted(f) | Verdict::FailedUp(f) => f.stage,
        other => other.name(),
    }
}

/// Verifies one migration from the state `known` (its snapshot, when the previous
/// migration left one).
async fn verify_one<B: Backend>(
    conn: &mut B,
    step: &Step<'_>,
    known: Option<Snapshot>,
    progress: &mut dyn FnMut(&str),
) -> Result<(MigrationVerdict, After), VerifyError> {
    let id = &step.migration.id;
    let mut result = verdict(id, Verdict::Proven);
    // `check!(expr, stage, after)`: a failed step ends the migration's verification.
    macro_rules! check {
        ($e:expr, $stage:expr, $after:expr) => {
            match $e {
                Ok(v) => v,
                Err(Stop::Failed(message)) => {
                    let f = failure($stage, message);
                    result.outcome = if $stage == stage::UP {
                        Verdict::FailedUp(f)
                    } else {
                        Verdict::Refuted(f)
                    };
                    return Ok((result, $after));
                }
                Err(Stop::Tool(e)) => return Err(e),
            }
        };
    }

    let s0 = match known {
        Some(s) => s,
        None => take_snapshot(conn, &format!("taking the snapshot before {id}")).await?,
    };
    progress(&format!("{id}: up"));
    let t = Instant::now();
    check!(run_up(conn, step).await, stage::UP, After::UpFailed);
    timing::add("verify: up", t);
    let t = Instant::now();
    let s1 = take_snapshot(conn, &format!("taking the snapshot after {id}")).await?;
    timing::add("verify: snapshot", t);
    if let Some(verify) = &step.verify {
        check!(
            verify_after_up(conn, verify, step.backfill.is_some()).await,
            stage::VERIFY_AFTER_UP,
            After::Known(s1)
        );
    }
    let down = match (&step.down, step.irreversible) {
        (_, true) => {
            result.outcome = Verdict::Irreversible;
            result.stale_accepts = texts(step.accepts);
            return Ok((result, After::Known(s1)));
        }
        (None, false) => {
            result.outcome = Verdict::UpOnly;
            result.stale_accepts = texts(step.accepts);
            return Ok((result, After::Known(s1)));
        }
        (Some(down), false) => down,
    };

    let mut used = vec![false; step.accepts.len()];
    progress(&format!("{id}: down"));
    let t = Instant::now();
    check!(
        run_bound(conn, step, down).await,
        stage::DOWN,
        After::Unknown
    );
    timing::add("verify: down", t);
    let t = Instant::now();
    let s0_again = take_snapshot(conn, &format!("taking the snapshot after {id}'s down")).await?;
    timing::add("verify: snapshot", t);
    let t = Instant::now();
    let restored = compare(&s0, &s0_again, step.accepts, &mut used);
    timing::add("verify: compare", t);
    if let Some(f) = restored.refutation(
        stage::DOWN_DIFFERS,
        "down did not bring the schema back to what it was before up",
        ("left behind", "not restored"),
        ("before up (S0)", "after down"),
    ) {
        result.outcome = Verdict::Refuted(f);
        return Ok((result, After::Unknown));
    }
    if let (Some(verify), None) = (&step.verify, step.backfill) {
        check!(
            verify_after_down(conn, verify).await,
            stage::VERIFY_AFTER_DOWN,
            After::Unknown
        );
    }

    progress(&format!("{id}: up again"));
    let t = Instant::now();
    check!(run_up(conn, step).await, stage::SECOND_UP, After::Unknown);
    timing::add("verify: up again", t);
    let t = Instant::now();
    let s1_again = take_snapshot(conn, &format!("taking the snapshot after {id} again")).await?;
    timing::add("verify: snapshot", t);
    let t = Instant::now();
    let rebuilt = compare(&s1, &s1_again, step.accepts, &mut used);
    timing::add("verify: compare", t);
    if let Some(f) = rebuilt.refutation(
        stage::SECOND_UP_DIFFERS,
        "up after down did not build the schema the first up built",
        ("only after the second up", "only after the first up"),
        ("after first up (S1)", "after second up"),
    ) {
        result.outcome = Verdict::Refuted(f);
        return Ok((result, After::Unknown));
    }

    let mut accepted: Vec<String> = restored
        .accepted
        .iter()
        .chain(&rebuilt.accepted)
        .map(Difference::name)
        .collect();
    accepted.sort();
    accepted.dedup();
    result.accepted = accepted;
    result.stale_accepts = step
        .accepts
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(a, _)| a.text.clone())
        .collect();
    let t = Instant::now();
    result.proof = Some(Proof {
        id: id.clone(),
        up: script_hash(&step.up_text),
        down: script_hash(&down.text),
        s0: snapshot_hash(&s0),
        s1: snapshot_hash(&s1),
        engine: conn.engine().to_owned(),
        accept: accept_hash(step.accepts),
    });
    timing::add("verify: proof hashes", t);
    Ok((result, After::Known(s1_again)))
}

fn texts(accepts: &[Accept]) -> Vec<String> {
    accepts.iter().map(|a| a.text.clone()).collect()
}

async fn take_snapshot<B: Backend>(conn: &mut B, during: &str) -> Result<Snapshot, VerifyError> {
    conn.snapshot(&[HISTORY_TABLE])
        .await
        .map_err(|error| VerifyError::Database {
            during: during.to_owned(),
            done: 0,
            total: 0,
            error,
        })
}

/// sha256 of the snapshot's text form.
pub fn snapshot_hash(snapshot: &Snapshot) -> Hash {
    Sha256::digest(snapshot.render().as_bytes()).into()
}

/// A unified diff of two snapshots' text forms.
pub fn diff(a: &Snapshot, b: &Snapshot, from: &str, to: &str) -> String {
    let (a, b) = (a.render(), b.render());
    similar::TextDiff::from_lines(a.as_str(), b.as_str())
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string()
}

/// Two snapshots compared object by object, with the accept list applied.
struct Comparison {
    /// Objects only in the second snapshot.
    added: Vec<Difference>,
    /// Objects only in the first.
    removed: Vec<Difference>,
    /// Objects in both, defined differently.
    changed: Vec<Difference>,
    accepted: Vec<Difference>,
    /// The snapshots without the accepted objects, for the diff.
    before: Snapshot,
    after: Snapshot,
}

/// Compares two snapshots; `used[i]` is set when `accepts[i]` accepted a difference.
fn compare(
    before: &Snapshot,
    after: &Snapshot,
    accepts: &[Accept],
    used: &mut [bool],
) -> Comparison {
    let mut c = Comparison {
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        accepted: Vec::new(),
        before: Snapshot::default(),
        after: Snapshot::default(),
    };
    if before == after {
        return c;
    }
    let owners = owners(before, after);
    let (b, a) = (by_object(before, &owners), by_object(after, &owners));
    let mut skipped = BTreeSet::new();
    let objects: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    for object in objects {
        let (old, new) = (b.get(object), a.get(object));
        if old == new {
            continue;
        }
        let d = Difference {
            object: object.clone(),
            changed: old.is_some() && new.is_some(),
        };
        let mut accepted = false;
        for (entry, used) in accepts.iter().zip(used.iter_mut()) {
            if entry.accepts(&d) {
                *used = true;
                accepted = true;
            }
        }
        if accepted {
            skipped.insert(object.clone());
            c.accepted.push(d);
        } else if old.is_none() {
            c.added.push(d);
        } else if new.is_none() {
            c.removed.push(d);
        } else {
            c.changed.push(d);
        }
    }
    let keep = |s: &Snapshot| {
        Snapshot::new(
            s.items
                .iter()
                .filter(|i| !skipped.contains(&object_of(i, &owners)))
                .cloned()
                .collect(),
        )
    };
    c.before = keep(before);
    c.after = keep(after);
    c
}

/// A snapshot's items grouped by the object they describe.
fn by_object<'s>(
    s: &'s Snapshot,
    owners: &BTreeSet<String>,
) -> BTreeMap<String, Vec<&'s SnapshotItem>> {
    let mut map: BTreeMap<String, Vec<&SnapshotItem>> = BTreeMap::new();
    for item in &s.items {
        map.entry(object_of(item, owners)).or_default().push(item);
    }
    map
}

impl Comparison {
    /// The failure when a difference is left that no accept entry covers.
    fn refutation(
        &self,
        stage: &'static str,
        what: &str,
        (extra, missing): (&str, &str),
        (from, to): (&str, &str),
    ) -> Option<VerifyFailure> {
        if self.before == self.after {
            return None;
        }
        let mut parts = Vec::new();
        for (label, list) in [
            (extra, &self.added),
            (missing, &self.removed),
            ("changed", &self.changed),
        ] {
            if !list.is_empty() {
                parts.push(format!("{label}: {}", names(list)));
            }
        }
        if parts.is_empty() {
            // Same objects, different order or duplicates: only the diff can tell.
            parts.push("see the diff".to_owned());
        }
        Some(VerifyFailure {
            stage,
            message: format!("{what}: {}", parts.join("; ")),
            diff: Some(diff(&self.before, &self.after, from, to)),
            differences: self
                .added
                .iter()
                .chain(&self.removed)
                .chain(&self.changed)
                .map(Difference::name)
                .collect(),
        })
    }
}

/// `index a on t, table t: column c and 3 more`.
fn names(list: &[Difference]) -> String {
    const SHOWN: usize = 5;
    let mut text = list
        .iter()
        .take(SHOWN)
        .map(Difference::name)
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > SHOWN {
        text.push_str(&format!(" and {} more", list.len() - SHOWN));
    }
    text
}

/// The relations (tables, views) of either snapshot: a column, index, constraint or
/// trigger item is named `<relation>.<name>`.
fn owners(a: &Snapshot, b: &Snapshot) -> BTreeSet<String> {
    a.items
        .iter()
        .chain(&b.items)
        .filter(|i| matches!(i.kind.as_str(), "table" | "view" | "materialized view"))
        .map(|i| i.name.clone())
        .collect()
}

/// The object an item describes, in the vocabulary of `[verify] accept`.
fn object_of(item: &SnapshotItem, owners: &BTreeSet<String>) -> String {
    if matches!(
        item.kind.as_str(),
        "column" | "index" | "constraint" | "trigger"
    ) {
        // The longest relation name that prefixes the item's name at a dot (schemas and
        // names may hold dots); without one, the part before the last dot.
        let name = item.name.as_str();
        let split = name
            .match_indices('.')
            .rev()
            .map(|(at, _)| at)
            .find(|&at| owners.contains(&name[..at]))
            .or_else(|| name.rfind('.'));
        if let Some(at) = split {
            return object_name(&item.kind, &name[at + 1..], Some(&name[..at]));
        }
    }
    object_name(&item.kind, &item.name, None)
}

/// Runs up; a backfill's batch placeholders are bound to its whole key range, and an
/// empty table means there is nothing to run.
async fn run_up<B: Backend>(conn: &mut B, step: &Step<'_>) -> Result<(), Stop> {
    let range = match step.backfill {
        Some(spec) => match key_range(conn, spec).await? {
            Some(range) => Some(range),
            None => return Ok(()),
        },
        None => None,
    };
    run(conn, &step.up_name, &step.up, range).await
}

/// Runs a down script. A backfill's down written with the batch placeholders runs batch
/// by batch over the key range, as `migrate rollback` runs it: each batch ends at the key
/// `batch_size` rows on (the same query), and is its own transaction. A plain script is
/// run as is.
async fn run_bound<B: Backend>(conn: &mut B, step: &Step<'_>, script: &Script) -> Result<(), Stop> {
    let Some(spec) = step.backfill else {
        return run(conn, &script.name, &script.statements, None).await;
    };
    let statement = match super::backfill::batched_of(&script.statements, true) {
        Ok(Some(statement)) => statement,
        Ok(None) => return run(conn, &script.name, &script.statements, None).await,
        Err(problem) => return Err(Stop::Failed(format!("{}: {problem}", script.name))),
    };
    let Some((mut start, end)) = key_range(conn, spec).await? else {
        return Ok(());
    };
    let max = end - 1;
    let next_sql = super::backfill::next_key_sql(conn.dialect(), spec);
    let size = spec
        .batch_size
        .unwrap_or(super::backfill::DEFAULT_BATCH_SIZE)
        .max(1);
    while start <= max {
        let end = super::backfill::batch_end_on(conn, &next_sql, start, max, size)
            .await
            .map_err(|e| statement_failed(&script.name, statement, e))?;
        let sql = script::bind_batch(&statement.sql, start, end);
        conn.execute(&sql)
            .await
            .map_err(|e| statement_failed(&script.name, statement, e))?;
        start = end;
    }
    Ok(())
}

/// The backfill's key range as `[min, max + 1)`, or `None` for an empty table.
async fn key_range<B: Backend>(
    conn: &mut B,
    spec: &BackfillSpec,
) -> Result<Option<(i64, i64)>, Stop> {
    let dialect = conn.dialect();
    let table = spec
        .table
        .split('.')
        .map(|part| quote_ident(dialect, part))
        .collect::<Vec<_>>()
        .join(".");
    let key = quote_ident(dialect, &spec.key);
    let sql = format!("SELECT min({key}), max({key}) FROM {table}");
    let rows = conn.query(&sql, &[]).await.map_err(|e| {
        if e.kind == DbErrorKind::Connection {
            Stop::Tool(VerifyError::Database {
                during: format!("reading the key range of {}", spec.table),
                done: 0,
                total: 0,
                error: e,
            })
        } else {
            Stop::Failed(format!(
                "cannot read the key range of the backfill ({sql}): {}",
                redact(&e.to_string())
            ))
        }
    })?;
    let cell = |i: usize| rows.first().and_then(|r| r.get(i)).cloned().flatten();
    let (Some(min), Some(max)) = (cell(0), cell(1)) else {
        return Ok(None);
    };
    let parse = |v: &str| {
        v.trim().parse::<i64>().map_err(|_| {
            Stop::Failed(format!(
                "the backfill's key {}.{} is not an integer (found `{v}`); bellows walks integer keys",
                spec.table, spec.key
            ))
        })
    };
    Ok(Some((parse(&min)?, parse(&max)?.saturating_add(1))))
}

/// Runs statements one at a time; the first error stops them.
async fn run<B: Backend>(
    conn: &mut B,
    name: &str,
    statements: &[Statement],
    range: Option<(i64, i64)>,
) -> Result<(), Stop> {
    for s in statements {
        let sql = match range {
            Some((start, end)) => script::bind_batch(&s.sql, start, end),
            None => s.sql.clone(),
        };
        if let Err(e) = conn.execute(&sql).await {
            return Err(statement_failed(name, s, e));
        }
    }
    Ok(())
}

fn statement_failed(name: &str, s: &Statement, e: DbError) -> Stop {
    if e.kind == DbErrorKind::Connection {
        return Stop::Tool(VerifyError::Database {
            during: format!("running {name} line {}", s.line),
            done: 0,
            total: 0,
            error: e,
        });
    }
    Stop::Failed(format!(
        "{name} line {} (`{}`): {}",
        s.line,
        first_line(&s.sql),
        redact(&e.to_string())
    ))
}

/// The statement's first non-blank line, shortened for a message.
fn first_line(sql: &str) -> String {
    let line = sql
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    match line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

/// verify.sql after up: every statement must succeed; a backfill's last statement must
/// return 0 (the rows still to do).
async fn verify_after_up<B: Backend>(
    conn: &mut B,
    verify: &Script,
    backfill: bool,
) -> Result<(), Stop> {
    let Some((last, rest)) = verify.statements.split_last() else {
        return Ok(());
    };
    if !backfill {
        return run(conn, &verify.name, &verify.statements, None).await;
    }
    run(conn, &verify.name, rest, None).await?;
    let rows = conn
        .query(&last.sql, &[])
        .await
        .map_err(|e| statement_failed(&verify.name, last, e))?;
    let value = rows.first().and_then(|r| r.first()).cloned().flatten();
    match value.as_deref().map(|v| v.trim().parse::<i64>()) {
        Some(Ok(0)) => Ok(()),
        Some(Ok(n)) => Err(Stop::Failed(format!(
            "{} line {} says {n} row{} still to do after the backfill ran",
            verify.name,
            last.line,
            if n == 1 { " is" } else { "s are" }
        ))),
        _ => Err(Stop::Failed(format!(
            "{} line {}: a backfill's verify.sql must return one number, the rows still to do; it returned {}",
            verify.name,
            last.line,
            match &value {
                Some(v) => format!("`{v}`"),
                None => "no value".to_owned(),
            }
        ))),
    }
}

/// verify.sql after down: at least one statement must fail, since what it checks is gone.
async fn verify_after_down<B: Backend>(conn: &mut B, verify: &Script) -> Result<(), Stop> {
    for s in &verify.statements {
        match conn.execute(&s.sql).await {
            Ok(_) => {}
            Err(e) if e.kind == DbErrorKind::Connection => {
                return Err(statement_failed(&verify.name, s, e))
            }
            Err(_) => return Ok(()),
        }
    }
    Err(Stop::Failed(format!(
        "every statement of {} still succeeds after down, so it does not check what up made (or down left it in place); make it query what up creates",
        verify.name
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::backend::{Row, Value};
    use crate::runner::Snapshot;

    /// A model database: objects are `<kind> <name>` with a detail; statements are
    /// `CREATE kind name`, `DROP kind name`, `ALTER kind name detail`, `CHECK kind name`
    /// (fails when missing), `NEXTVAL name` (a sequence whose value never goes back),
    /// `FAIL why`, `LOST`, and anything else succeeds. Queries answer the backfill's
    /// key range and `ROWS` (the rows still to do).
    #[derive(Default)]
    struct Model {
        objects: BTreeMap<(String, String), String>,
        counter: u64,
        keys: Vec<i64>,
        rows_to_do: String,
        log: Vec<String>,
        snapshots: usize,
    }

    fn err(message: &str) -> DbError {
        DbError::other(message)
    }

    impl Model {
        fn create(&mut self, kind: &str, name: &str) -> Result<(), DbError> {
            let key = (kind.to_owned(), name.to_owned());
            match self.objects.insert(key, String::new()) {
                Some(_) => Err(err(&format!("{kind} {name} already exists"))),
                None => Ok(()),
            }
        }

        fn drop(&mut self, kind: &str, name: &str) -> Result<(), DbError> {
            let key = (kind.to_owned(), name.to_owned());
            match self.objects.remove(&key) {
                Some(_) => Ok(()),
                None => Err(err(&format!("{kind} {name} does not exist"))),
            }
        }
    }

    impl Backend for Model {
        fn dialect(&self) -> Dialect {
            Dialect::Postgres
        }
        fn engine(&self) -> &str {
            "postgresql-15.19"
        }
        async fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
            self.log.push(sql.to_owned());
            let w: Vec<&str> = sql.split_whitespace().collect();
            let key = || (w[1].to_owned(), w[2].to_owned());
            match w.first().copied() {
                Some("CREATE") => self.create(w[1], w[2])?,
                Some("DROP") => self.drop(w[1], w[2])?,
                Some("ALTER") => {
                    self.objects.insert(key(), w[3..].join(" "));
                }
                Some("CHECK") if !self.objects.contains_key(&key()) => {
                    return Err(err(&format!("{} {} does not exist", w[1], w[2])));
                }
                Some("NEXTVAL") => {
                    self.counter += 1;
                    self.objects.insert(
                        ("sequence".to_owned(), w[1].to_owned()),
                        self.counter.to_string(),
                    );
                }
                Some("FAIL") => return Err(err(&w[1..].join(" "))),
                Some("LOST") => {
                    return Err(DbError {
                        kind: DbErrorKind::Connection,
                        code: None,
                        message: "server closed the connection".into(),
                    })
                }
                _ => {}
            }
            Ok(0)
        }
        async fn execute_with(&mut self, sql: &str, _: &[Value]) -> Result<u64, DbError> {
            self.execute(sql).await
        }
        async fn query(&mut self, sql: &str, _: &[Value]) -> Result<Vec<Row>, DbError> {
            self.log.push(sql.to_owned());
            if sql.starts_with("SELECT min(") {
                let min = self.keys.iter().min().map(|k| k.to_string());
                let max = self.keys.iter().max().map(|k| k.to_string());
                return Ok(vec![vec![min, max]]);
            }
            if sql.contains("ROWS") {
                return Ok(vec![vec![Some(self.rows_to_do.clone())]]);
            }
            self.execute(sql).await.map(|_| Vec::new())
        }
        async fn try_lock(&mut self, _: &str) -> Result<bool, DbError> {
            Ok(true)
        }
        async fn unlock(&mut self, _: &str) -> Result<(), DbError> {
            Ok(())
        }
        async fn lock_holder(&mut self, _: &str) -> Result<Option<String>, DbError> {
            Ok(None)
        }
        async fn set_lock_timeout(&mut self, _: u64) -> Result<(), DbError> {
            Ok(())
        }
        async fn snapshot(&mut self, exclude: &[&str]) -> Result<Snapshot, DbError> {
            self.snapshots += 1;
            Ok(Snapshot::new(
                self.objects
                    .iter()
                    .filter(|((_, name), _)| !exclude.contains(&name.as_str()))
                    .map(|((kind, name), detail)| SnapshotItem {
                        kind: kind.clone(),
                        name: name.clone(),
                        detail: detail.clone(),
                    })
                    .collect(),
            ))
        }
        async fn applications(&mut self) -> Result<Vec<String>, DbError> {
            Ok(Vec::new())
        }
    }

    /// A model the test keeps reading after the walk.
    impl Backend for &mut Model {
        fn dialect(&self) -> Dialect {
            Dialect::Postgres
        }
        fn engine(&self) -> &str {
            "postgresql-15.19"
        }
        async fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
            (**self).execute(sql).await
        }
        async fn execute_with(&mut self, sql: &str, p: &[Value]) -> Result<u64, DbError> {
            (**self).execute_with(sql, p).await
        }
        async fn query(&mut self, sql: &str, p: &[Value]) -> Result<Vec<Row>, DbError> {
            (**self).query(sql, p).await
        }
        async fn try_lock(&mut self, name: &str) -> Result<bool, DbError> {
            (**self).try_lock(name).await
        }
        async fn unlock(&mut self, name: &str) -> Result<(), DbError> {
            (**self).unlock(name).await
        }
        async fn lock_holder(&mut self, name: &str) -> Result<Option<String>, DbError> {
            (**self).lock_holder(name).await
        }
        async fn set_lock_timeout(&mut self, ms: u64) -> Result<(), DbError> {
            (**self).set_lock_timeout(ms).await
        }
        async fn snapshot(&mut self, exclude: &[&str]) -> Result<Snapshot, DbError> {
            (**self).snapshot(exclude).await
        }
        async fn applications(&mut self) -> Result<Vec<String>, DbError> {
            (**self).applications().await
        }
    }

    /// For walks that must not rebuild (the test reads the one model afterwards).
    struct NoRebuild<'m>(std::marker::PhantomData<&'m mut Model>);

    fn no_rebuild<'m>() -> NoRebuild<'m> {
        NoRebuild(std::marker::PhantomData)
    }

    impl<'m> Rebuild for NoRebuild<'m> {
        type Conn = &'m mut Model;
        async fn rebuild(
            &mut self,
            _: &'m mut Model,
            _: &[Step<'_>],
            last: usize,
            _: &mut dyn FnMut(&str),
        ) -> Result<&'m mut Model, Stop> {
            panic!("no rebuild expected (after step {last})")
        }
    }

    /// A native catalog from `(path, text)` pairs.
    fn catalog(files: &[(&str, &str)]) -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let c = Catalog::load(dir.path()).unwrap();
        (dir, c)
    }

    /// Rebuilds a state on a fresh [`Model`] with the same answers, replaying the ups;
    /// `fail` makes a rebuild fail as a replay would.
    #[derive(Default)]
    struct ModelServer {
        keys: Vec<i64>,
        rows_to_do: String,
        rebuilt: Vec<usize>,
        fail: bool,
    }

    impl Rebuild for ModelServer {
        type Conn = Model;
        async fn rebuild(
            &mut self,
            _old: Model,
            steps: &[Step<'_>],
            last: usize,
            progress: &mut dyn FnMut(&str),
        ) -> Result<Model, Stop> {
            self.rebuilt.push(last);
            if self.fail {
                return Err(Stop::Failed("replaying it failed".into()));
            }
            let mut fresh = Model {
                keys: self.keys.clone(),
                rows_to_do: self.rows_to_do.clone(),
                ..Model::default()
            };
            replay(&mut fresh, &steps[..=last], progress).await?;
            Ok(fresh)
        }
    }

    async fn walk_with(
        model: Model,
        server: &mut ModelServer,
        catalog: &Catalog,
        only: Option<&str>,
    ) -> Result<Vec<MigrationVerdict>, VerifyError> {
        let order: Vec<&str> = catalog.migrations.iter().map(|m| m.id.as_str()).collect();
        let options = VerifyOptions {
            only: only.map(str::to_owned),
        };
        let steps = prepare(catalog, &order, &options, Dialect::Postgres)?;
        let done = Cell::new(0);
        let mut lines = Vec::new();
        let result = walk(model, server, &steps, &done, &mut |l| {
            lines.push(l.to_owned())
        })
        .await;
        assert!(!lines.is_empty());
        result.map(|(verdicts, rebuilds)| {
            assert_eq!(rebuilds, server.rebuilt.len());
            verdicts
        })
    }

    /// Walks a fresh model; returns the verdicts and the log of the model the walk began
    /// on (until a rebuild replaced it).
    async fn walk_model(catalog: &Catalog) -> Vec<MigrationVerdict> {
        walk_with(Model::default(), &mut ModelServer::default(), catalog, None)
            .await
            .unwrap()
    }

    fn failure(v: &MigrationVerdict) -> &VerifyFailure {
        match &v.outcome {
            Verdict::Refuted(f) | Verdict::FailedUp(f) => f,
            other => panic!("{} is {other:?}", v.id),
        }
    }

    fn outcomes(verdicts: &[MigrationVerdict]) -> Vec<&'static str> {
        verdicts.iter().map(|v| v.outcome.name()).collect()
    }

    /// Counts the statements of the log equal to `sql`.
    fn ran(log: &[String], sql: &str) -> usize {
        log.iter().filter(|l| *l == sql).count()
    }

    #[tokio::test]
    async fn a_clean_rollback_is_proven() {
        let up = "CREATE table users;\nCREATE index users_email;\n";
        let down = "DROP index users_email;\r\nDROP table users;\r\n";
        let (_d, c) = catalog(&[
            ("0001_users/up.sql", up),
            ("0001_users/down.sql", down),
            ("0001_users/verify.sql", "CHECK index users_email;\n"),
            ("0002_contract/up.sql", "DROP index users_email;\n"),
            ("0002_contract/down.sql", "CREATE index users_email;\n"),
            ("0002_contract/migration.toml", "phase = \"contract\"\n"),
            ("0003_no_down/up.sql", "CREATE table orders;\n"),
            ("0004_gone/up.sql", "DROP table orders;\n"),
            ("0004_gone/down.sql", "CREATE table orders;\n"),
            ("0004_gone/migration.toml", "irreversible = true\n"),
        ]);
        let order: Vec<&str> = c.migrations.iter().map(|m| m.id.as_str()).collect();
        let steps = prepare(&c, &order, &VerifyOptions::default(), Dialect::Postgres).unwrap();
        let mut model = Model::default();
        let done = Cell::new(0);
        let (verdicts, rebuilds) = walk(&mut model, &mut no_rebuild(), &steps, &done, &mut |_| {})
            .await
            .unwrap();
        assert_eq!((rebuilds, done.get()), (0, 4));
        // up, down, up again for 0001 and 0002; up only for 0003 and 0004.
        assert_eq!(ran(&model.log, "CREATE table users"), 2);
        assert_eq!(ran(&model.log, "CREATE index users_email"), 3);
        assert_eq!(ran(&model.log, "CREATE table orders"), 1);
        // A contract with a down script is verified like any other migration.
        assert_eq!(
            outcomes(&verdicts),
            ["proven", "proven", "up-only", "irreversible"]
        );
        let proof = verdicts[0].proof.as_ref().unwrap();
        assert_eq!(proof.id, "0001_users");
        assert_eq!(proof.up, script_hash(up));
        assert_eq!(proof.down, script_hash(&down.replace("\r\n", "\n")));
        assert_eq!(proof.s0, snapshot_hash(&Snapshot::default()));
        assert_eq!(proof.engine, "postgresql-15.19");
        assert_eq!(proof.accept, None);
        assert_ne!(proof.s0, proof.s1);
        assert!(verdicts[1].proof.is_some());
        assert!(verdicts[2].proof.is_none() && verdicts[3].proof.is_none());
        assert!(verdicts
            .iter()
            .all(|v| v.accepted.is_empty() && v.stale_accepts.is_empty()));
    }

    #[tokio::test]
    async fn the_previous_snapshot_is_reused_and_irreversible_downs_never_run() {
        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table a;\n"),
            ("0001_a/down.sql", "DROP table a;\n"),
            ("0002_b/up.sql", "DROP table a;\n"),
            ("0002_b/down.sql", "CREATE table a;\n"),
            ("0002_b/migration.toml", "irreversible = true\n"),
        ]);
        let order = ["0001_a", "0002_b"];
        let steps = prepare(&c, &order, &VerifyOptions::default(), Dialect::Postgres).unwrap();
        let mut model = Model::default();
        let (verdicts, _) = walk(
            &mut model,
            &mut no_rebuild(),
            &steps,
            &Cell::new(0),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(outcomes(&verdicts), ["proven", "irreversible"]);
        // S0, S1, after down, after up again for 0001; only S1 for 0002.
        assert_eq!(model.snapshots, 5);
        assert_eq!(ran(&model.log, "CREATE table a"), 2);
        assert_eq!(ran(&model.log, "DROP table a"), 2);
    }

    #[tokio::test]
    async fn a_refuted_rollback_is_rebuilt_and_the_walk_goes_on() {
        let (_d, c) = catalog(&[
            (
                "0001_a/up.sql",
                "CREATE table users;\nCREATE index users_name_idx;\n",
            ),
            ("0001_a/down.sql", "DROP table users;\n"),
            (
                "0002_b/up.sql",
                "CHECK index users_name_idx;\nCREATE table later;\n",
            ),
            ("0002_b/down.sql", "DROP table later;\n"),
        ]);
        let mut server = ModelServer::default();
        let verdicts = walk_with(Model::default(), &mut server, &c, None)
            .await
            .unwrap();
        assert_eq!(outcomes(&verdicts), ["refuted", "proven"]);
        assert_eq!(server.rebuilt, [0]);
        let f = failure(&verdicts[0]);
        assert_eq!(f.stage, stage::DOWN_DIFFERS);
        assert!(
            f.message.contains("left behind: index users_name_idx"),
            "{}",
            f.message
        );
        assert_eq!(f.differences, ["index users_name_idx"]);
        let diff = f.diff.as_deref().unwrap();
        assert!(
            diff.starts_with("--- before up (S0)\n+++ after down\n"),
            "{diff}"
        );
        assert!(diff.contains("+index users_name_idx"), "{diff}");
        assert!(verdicts[0].proof.is_none());
        // 0002 ran on the rebuilt state (its CHECK needs 0001's index) and was proven.
        assert!(verdicts[1].proof.is_some());
    }

    #[tokio::test]
    async fn a_failed_up_ends_the_walk_and_a_failed_rebuild_too() {
        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table a;\nFAIL no such thing;\n"),
            ("0001_a/down.sql", "DROP table a;\n"),
            ("0002_b/up.sql", "CREATE table b;\n"),
        ]);
        let verdicts = walk_model(&c).await;
        assert_eq!(outcomes(&verdicts), ["failed-up", "not-checked"]);
        assert_eq!(failure(&verdicts[0]).stage, stage::UP);
        assert_eq!(
            verdicts[1].outcome,
            Verdict::NotChecked("an earlier up failed (0001_a)".into())
        );

        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table a;\n"),
            ("0001_a/down.sql", "SELECT 1;\n"),
            ("0002_b/up.sql", "CREATE table b;\n"),
            ("0003_c/up.sql", "CREATE table c;\n"),
        ]);
        let mut server = ModelServer {
            fail: true,
            ..ModelServer::default()
        };
        let verdicts = walk_with(Model::default(), &mut server, &c, None)
            .await
            .unwrap();
        assert_eq!(
            outcomes(&verdicts),
            ["refuted", "not-checked", "not-checked"]
        );
        assert_eq!(
            verdicts[2].outcome,
            Verdict::NotChecked(
                "the state after 0001_a could not be rebuilt: replaying it failed".into()
            )
        );
        // The last migration's refutation needs no rebuild.
        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table a;\n"),
            ("0001_a/down.sql", "SELECT 1;\n"),
        ]);
        let mut server = ModelServer::default();
        walk_with(Model::default(), &mut server, &c, None)
            .await
            .unwrap();
        assert!(server.rebuilt.is_empty());
    }

    #[tokio::test]
    async fn accepted_differences_prove_with_a_note_and_stale_ones_are_named() {
        let (_d, c) = catalog(&[
            ("0000_base/up.sql", "CREATE view v;\n"),
            ("0000_base/down.sql", "DROP view v;\n"),
            // Down brings the view back with another definition.
            ("0001_a/up.sql", "ALTER view v y;\nCREATE table t;\n"),
            ("0001_a/down.sql", "DROP table t;\nALTER view v x;\n"),
            (
                "0001_a/migration.toml",
                "[verify]\naccept = [\"view v\", \"index i on t\"]\n",
            ),
            ("0002_b/up.sql", "CREATE table b;\n"),
            (
                "0002_b/migration.toml",
                "[verify]\naccept = [\"table b\"]\n",
            ),
            // Down leaves the view behind: `: definition` accepts only a change.
            ("0003_c/up.sql", "CREATE view w;\n"),
            ("0003_c/down.sql", "SELECT 1;\n"),
            (
                "0003_c/migration.toml",
                "[verify]\naccept = [\"view w: definition\"]\n",
            ),
        ]);
        let verdicts = walk_model(&c).await;
        assert_eq!(
            outcomes(&verdicts),
            ["proven", "proven", "up-only", "refuted"]
        );
        assert_eq!(verdicts[1].accepted, ["view v: definition"]);
        assert_eq!(verdicts[1].stale_accepts, ["index i on t"]);
        assert_eq!(verdicts[2].stale_accepts, ["table b"]);
        let proof = verdicts[1].proof.as_ref().unwrap();
        assert_eq!(proof.accept, accept_hash(c.migrations[1].meta.accepts()));
        assert!(proof.accept.is_some());
        assert_eq!(verdicts[0].proof.as_ref().unwrap().accept, None);

        let f = failure(&verdicts[3]);
        assert_eq!(f.stage, stage::DOWN_DIFFERS);
        assert!(f.message.contains("left behind: view w"), "{}", f.message);
        assert!(verdicts[3].stale_accepts.is_empty());
    }

    #[tokio::test]
    async fn verify_sql_must_hold_after_up_and_break_after_down() {
        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table t;\n"),
            ("0001_a/down.sql", "DROP table t;\n"),
            ("0001_a/verify.sql", "SELECT 1;\nCHECK table other;\n"),
            ("0002_b/up.sql", "CHECK table t;\n"),
        ]);
        let mut server = ModelServer::default();
        let verdicts = walk_with(Model::default(), &mut server, &c, None)
            .await
            .unwrap();
        let f = failure(&verdicts[0]);
        assert_eq!(f.stage, stage::VERIFY_AFTER_UP);
        assert!(
            f.message
                .starts_with("verify.sql line 2 (`CHECK table other`): table other does not exist"),
            "{}",
            f.message
        );
        // The state after up is the expected one: no rebuild, and 0002 goes on from it.
        assert!(server.rebuilt.is_empty());
        assert_eq!(verdicts[1].outcome, Verdict::UpOnly);

        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table t;\n"),
            ("0001_a/down.sql", "DROP table t;\n"),
            ("0001_a/verify.sql", "SELECT 1;\n"),
        ]);
        let verdicts = walk_model(&c).await;
        let f = failure(&verdicts[0]);
        assert_eq!(f.stage, stage::VERIFY_AFTER_DOWN);
        assert!(f.diff.is_none());
    }

    #[tokio::test]
    async fn failing_statements_are_named_by_script_and_line() {
        let (_d, c) = catalog(&[
            (
                "0001_a/up.sql",
                "CREATE table t;\n\nFAIL syntax error at or near \"TABL\";\n",
            ),
            ("0001_a/down.sql", "DROP table t;\n"),
        ]);
        let verdicts = walk_model(&c).await;
        let f = failure(&verdicts[0]);
        assert_eq!(f.stage, stage::UP);
        assert_eq!(
            f.message,
            "up.sql line 3 (`FAIL syntax error at or near \"TABL\"`): syntax error at or near \"TABL\""
        );

        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table t;\n"),
            ("0001_a/down.sql", "DROP table t;\nDROP table t;\n"),
        ]);
        let verdicts = walk_model(&c).await;
        let f = failure(&verdicts[0]);
        assert_eq!(verdicts[0].outcome.name(), "refuted");
        assert_eq!(f.stage, stage::DOWN);
        assert!(f.message.starts_with("down.sql line 2"), "{}", f.message);
    }

    #[tokio::test]
    async fn a_second_up_that_builds_something_else_is_refuted() {
        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "NEXTVAL ids;\n"),
            ("0001_a/down.sql", "DROP sequence ids;\n"),
        ]);
        let verdicts = walk_model(&c).await;
        let f = failure(&verdicts[0]);
        assert_eq!(f.stage, stage::SECOND_UP_DIFFERS);
        assert!(
            f.message.contains("changed: sequence ids: definition"),
            "{}",
            f.message
        );
        let diff = f.diff.as_deref().unwrap();
        assert!(diff.contains("-sequence ids 1\n+sequence ids 2"), "{diff}");
    }

    #[tokio::test]
    async fn only_replays_the_earlier_migrations_up() {
        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table a;\n"),
            ("0001_a/down.sql", "DROP table a;\n"),
            ("0002_b/up.sql", "CHECK table a;\nCREATE table b;\n"),
            ("0002_b/down.sql", "DROP table b;\n"),
            ("0003_c/up.sql", "CREATE table c;\n"),
        ]);
        let order: Vec<&str> = c.migrations.iter().map(|m| m.id.as_str()).collect();
        let options = VerifyOptions {
            only: Some("0002_b".into()),
        };
        let steps = prepare(&c, &order, &options, Dialect::Postgres).unwrap();
        let mut model = Model::default();
        let (verdicts, _) = walk(
            &mut model,
            &mut no_rebuild(),
            &steps,
            &Cell::new(0),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(verdicts.len(), 1);
        assert_eq!(verdicts[0].id, "0002_b");
        assert_eq!(verdicts[0].outcome, Verdict::Proven);
        assert!(!model
            .log
            .iter()
            .any(|l| l == "DROP table a" || l.contains("table c")));

        // A replay that fails is reported on the replayed migration.
        let mut model = Model::default();
        model
            .objects
            .insert(("table".into(), "a".into()), String::new());
        let verdicts = walk_with(model, &mut ModelServer::default(), &c, Some("0002_b"))
            .await
            .unwrap();
        assert_eq!(outcomes(&verdicts), ["failed-up", "not-checked"]);
        assert_eq!(verdicts[0].id, "0001_a");
        assert!(failure(&verdicts[0]).message.starts_with("replaying it"));

        let order = ["0001_a"];
        let err = prepare(
            &c,
            &order,
            &VerifyOptions {
                only: Some("0009".into()),
            },
            Dialect::Postgres,
        )
        .err()
        .unwrap();
        assert!(matches!(err, VerifyError::UnknownMigration { id } if id == "0009"));
        let err = prepare(
            &c,
            &["0001_a", "nope"],
            &VerifyOptions::default(),
            Dialect::Postgres,
        )
        .err()
        .unwrap();
        assert!(matches!(err, VerifyError::UnknownMigration { id } if id == "nope"));
    }

    #[tokio::test]
    async fn backfills_bind_their_whole_key_range() {
        let files = [
            (
                "0001_fill/up.sql",
                "UPDATE users SET x = 1 WHERE id >= :batch_start AND id < :batch_end;\n",
            ),
            (
                "0001_fill/down.sql",
                "UPDATE users SET x = NULL WHERE id >= :batch_start AND id < :batch_end;\n",
            ),
            ("0001_fill/verify.sql", "SELECT ROWS;\n"),
            (
                "0001_fill/migration.toml",
                "phase = \"backfill\"\n[backfill]\ntable = \"public.users\"\nkey = \"id\"\n",
            ),
        ];
        let (_d, c) = catalog(&files);
        let order = ["0001_fill"];
        let steps = prepare(&c, &order, &VerifyOptions::default(), Dialect::Postgres).unwrap();
        let mut model = Model {
            keys: vec![7, 3, 5],
            rows_to_do: "0".into(),
            ..Model::default()
        };
        let (verdicts, _) = walk(
            &mut model,
            &mut no_rebuild(),
            &steps,
            &Cell::new(0),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(verdicts[0].outcome, Verdict::Proven);
        assert!(model
            .log
            .contains(&"SELECT min(\"id\"), max(\"id\") FROM \"public\".\"users\"".to_owned()));
        assert_eq!(
            ran(
                &model.log,
                "UPDATE users SET x = 1 WHERE id >= 3 AND id < 8"
            ),
            2
        );
        assert_eq!(
            ran(
                &model.log,
                "UPDATE users SET x = NULL WHERE id >= 3 AND id < 8"
            ),
            1
        );
        // After down, a backfill's verify.sql is not expected to fail.
        assert_eq!(model.log.iter().filter(|l| l.contains("ROWS")).count(), 1);

        let model = Model {
            keys: vec![1, 2],
            rows_to_do: "2".into(),
            ..Model::default()
        };
        let verdicts = walk_with(model, &mut ModelServer::default(), &c, None)
            .await
            .unwrap();
        let f = failure(&verdicts[0]);
        assert_eq!(f.stage, stage::VERIFY_AFTER_UP);
        assert!(
            f.message.contains("2 rows are still to do"),
            "{}",
            f.message
        );

        let model = Model {
            keys: vec![1],
            rows_to_do: "lots".into(),
            ..Model::default()
        };
        let verdicts = walk_with(model, &mut ModelServer::default(), &c, None)
            .await
            .unwrap();
        assert!(failure(&verdicts[0])
            .message
            .contains("must return one number"));

        // An empty table: nothing to run.
        let mut model = Model {
            rows_to_do: "0".into(),
            ..Model::default()
        };
        let (verdicts, _) = walk(
            &mut model,
            &mut no_rebuild(),
            &steps,
            &Cell::new(0),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(verdicts[0].outcome, Verdict::Proven);
        assert!(!model.log.iter().any(|l| l.starts_with("UPDATE")));
    }

    #[tokio::test]
    async fn a_lost_connection_is_a_tool_failure_that_says_how_far_it_got() {
        let (_d, c) = catalog(&[
            ("0001_a/up.sql", "CREATE table a;\n"),
            ("0002_b/up.sql", "LOST;\n"),
            ("0003_c/up.sql", "CREATE table c;\n"),
        ]);
        let err = walk_with(Model::default(), &mut ModelServer::default(), &c, None)
            .await
            .unwrap_err();
        match err {
            VerifyError::Database {
                done,
                total,
                during,
                ..
            } => {
                assert_eq!((done, total), (1, 3));
                assert_eq!(during, "running up.sql line 1");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn items_are_named_in_the_accept_vocabulary() {
        let item = |kind: &str, name: &str| SnapshotItem {
            kind: kind.into(),
            name: name.into(),
            detail: String::new(),
        };
        let owners: BTreeSet<String> = ["users", "audit.events", "odd.name"]
            .map(str::to_owned)
            .into();
        for (kind, name, object) in [
            ("table", "users", "table users"),
            ("column", "users.email", "table users: column email"),
            ("column", "audit.events.at", "table audit.events: column at"),
            ("index", "odd.name.odd.idx", "index odd.idx on odd.name"),
            (
                "constraint",
                "users.users_pkey",
                "constraint users_pkey on users",
            ),
            ("trigger", "gone.t", "trigger t on gone"),
            ("view", "audit.v", "view audit.v"),
            ("function", "touch(integer)", "function touch(integer)"),
        ] {
            assert_eq!(
                object_of(&item(kind, name), &owners),
                object,
                "{kind} {name}"
            );
        }
    }

    #[test]
    fn scripts_are_read_and_split_before_anything_runs() {
        let (_d, c) = catalog(&[("0001_a/up.sql", "SELECT 1;\n\\i other.sql\n")]);
        let err = prepare(
            &c,
            &["0001_a"],
            &VerifyOptions::default(),
            Dialect::Postgres,
        )
        .err()
        .unwrap();
        assert!(
            matches!(&err, VerifyError::Script { id, error: ScriptError::PsqlMeta { line: 2, .. }, .. } if id == "0001_a"),
            "{err}"
        );
        let (_d, c) = catalog(&[("0001_a/up.sql", "SELECT 1;\n")]);
        let mut m = c.migrations[0].clone();
        m.down = Some(c.root.join("0001_a/down.sql"));
        let err = step(&m, false, Dialect::Postgres).err().unwrap();
        assert!(
            matches!(&err, VerifyError::Read { path, .. } if path.ends_with("down.sql")),
            "{err}"
        );
    }

    #[test]
    fn scratch_names_are_unique_and_valid_identifiers() {
        let a = scratch_name();
        let b = scratch_name();
        assert_ne!(a, b);
        let prefix = format!("bellows_verify_{}_", std::process::id());
        assert!(a.starts_with(&prefix), "{a}");
        assert!(a[prefix.len()..].bytes().all(|c| c.is_ascii_digit()));
        assert!(a.len() <= 63);
        assert!(privilege_help(Dialect::Postgres, "app").contains("ALTER ROLE app CREATEDB"));
        assert!(privilege_help(Dialect::Mysql, "").contains("'<user>'"));
    }

    #[test]
    fn first_lines_are_shortened() {
        assert_eq!(first_line("\n  SELECT 1\n  FROM t"), "SELECT 1");
        let long = "x".repeat(100);
        assert_eq!(first_line(&long).chars().count(), 81);
    }
}
