//! `bellows trace`: a migration run statement by statement on a scratch database, with
//! what the server did, checked against the linter's lock facts.
//!
//! Owns the trace data model ([`Trace`], [`StatementTrace`], [`Check`]), the walk both
//! engines share — a scratch database created and always dropped again (the approach and
//! helpers of `runner::verify`), the earlier migrations replayed, empty tables seeded, the
//! linter asked about the server's own version — and the definition of a disagreement
//! (docs/trace.md). `postgres.rs` watches locks, rewrites and catalog changes on
//! PostgreSQL; `mysql.rs` asks MySQL / MariaDB which `ALTER TABLE` algorithm it accepts.
//! Nothing here prints: progress goes through the caller's callback and `report/trace.rs`
//! renders the result.

mod mysql;
mod postgres;

use crate::catalog::layout::Catalog;
use crate::catalog::BackfillSpec;
use crate::classify::locks::{
    known_lock_facts, Algorithm, Cost, LockContext, LockFacts, LockLevel,
};
use crate::classify::op::{Name, ObjectKind, Op, ReindexTarget};
use crate::dialect::{Dialect, EngineVersion};
use crate::lint::{lint_inputs, AnalyzedStatement, FileOptions, FileResult, LintSettings};
use crate::runner::backend::{quote_ident, Backend, DbError, DbErrorKind, Snapshot};
use crate::runner::script::{self, ScriptError, Statement};
use crate::runner::url::{redact, DbUrl};
use crate::runner::verify::{drop_database, scratch_name};
use crate::runner::AnyBackend;
use crate::source::SourceFile;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many rows each empty table gets before the migration is traced.
pub const DEFAULT_SEED_ROWS: u32 = 1000;

/// One script: an earlier migration to replay, or the one to trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceScript {
    /// The migration id, or the file's path.
    pub name: String,
    /// The SQL, BOM removed.
    pub text: String,
    /// What `migration.toml` says (the linter reads it).
    pub options: FileOptions,
    /// A backfill's key range binds `:batch_start` / `:batch_end`.
    pub backfill: Option<BackfillSpec>,
}

impl TraceScript {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> TraceScript {
        let text: String = text.into();
        TraceScript {
            name: name.into(),
            text: text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned(),
            options: FileOptions::default(),
            backfill: None,
        }
    }

    /// Reads a script from disk.
    pub fn read(path: &Path) -> Result<TraceScript, TraceError> {
        let text = std::fs::read_to_string(path).map_err(|error| TraceError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Ok(TraceScript::new(path.display().to_string(), text))
    }
}

/// What to trace: the scripts replayed first, in order, then the one traced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceInput {
    pub earlier: Vec<TraceScript>,
    pub target: TraceScript,
}

impl TraceInput {
    /// The migration `id` of a catalog, after every migration before it in catalog order.
    pub fn from_catalog(catalog: &Catalog, id: &str) -> Result<TraceInput, TraceError> {
        let at = catalog
            .migrations
            .iter()
            .position(|m| m.id == id)
            .ok_or_else(|| TraceError::UnknownMigration { id: id.to_owned() })?;
        let script = |m: &crate::catalog::layout::Migration| {
            let text = m.up_text().map_err(|error| TraceError::Read {
                path: m.up.clone(),
                error,
            })?;
            Ok::<_, TraceError>(TraceScript {
                options: FileOptions {
                    declared_phase: m.meta.phase.map(|p| p.phase()),
                    transaction: m.meta.transaction,
                    edited_since: None,
                },
                backfill: m.meta.backfill.clone(),
                ..TraceScript::new(m.id.clone(), text)
            })
        };
        let earlier = catalog.migrations[..at]
            .iter()
            .map(script)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TraceInput {
            earlier,
            target: script(&catalog.migrations[at])?,
        })
    }
}

/// How a trace runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceOptions {
    /// Rows given to every empty table before the migration runs (0: none).
    pub seed_rows: u32,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            seed_rows: DEFAULT_SEED_ROWS,
        }
    }
}

/// Why a trace could not run. The scratch database has been dropped (or the error says it
/// could not be).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TraceError {
    #[error("{}", crate::runner::connect_message(.url, .error))]
    #[diagnostic(
        code(bellows::trace::connect),
        help("check that the server is up and the URL's user and password are right, then rerun `bellows trace`")
    )]
    Connect { url: String, error: DbError },

    #[error("cannot create the scratch database {name}: {error}")]
    #[diagnostic(
        code(bellows::trace::create_database),
        help("the URL's user needs CREATEDB (PostgreSQL) or CREATE and DROP on `bellows\\_trace\\_%` databases (MySQL); point --database-url at a server where it has them")
    )]
    CreateDatabase { name: String, error: DbError },

    #[error("cannot read {}: {error}", path.display())]
    #[diagnostic(code(bellows::trace::read))]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error("{name} cannot be run: {error}")]
    #[diagnostic(
        code(bellows::trace::script),
        help("bellows sends a script one statement at a time; fix it and check it with `bellows lint`")
    )]
    Script { name: String, error: ScriptError },

    #[error("no migration `{id}` in the catalog")]
    #[diagnostic(
        code(bellows::trace::unknown_migration),
        help("name the migration by its id, its directory or its up script; `bellows catalog list` shows the ids")
    )]
    UnknownMigration { id: String },

    #[error(
        "replaying {name} before the traced migration failed at line {line} (`{sql}`): {error}"
    )]
    #[diagnostic(
        code(bellows::trace::replay),
        help("the migrations before the traced one must apply on an empty database; check them with `bellows migrate verify`")
    )]
    Replay {
        name: String,
        line: usize,
        sql: String,
        error: DbError,
    },

    #[error("the trace stopped while {during}: {error}")]
    #[diagnostic(
        code(bellows::trace::database),
        help(
            "the scratch database has been dropped; check the server, then rerun `bellows trace`"
        )
    )]
    Database { during: String, error: DbError },

    #[error("interrupted")]
    #[diagnostic(
        code(bellows::trace::interrupted),
        help("the scratch database has been dropped; rerun `bellows trace`")
    )]
    Interrupted,

    #[error("cannot drop the scratch database {name}: {error}")]
    #[diagnostic(
        code(bellows::trace::drop_database),
        help("drop it by hand (`DROP DATABASE {name}`)")
    )]
    DropDatabase { name: String, error: DbError },
}

impl TraceError {
    fn during(during: impl Into<String>) -> impl FnOnce(DbError) -> TraceError {
        let during = during.into();
        move |error| TraceError::Database {
            during,
            error: scrubbed(error),
        }
    }
}

/// The result of a trace. The scratch database is gone by the time it is returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    /// The traced migration's id or file.
    pub migration: String,
    /// The server: `postgresql-15.20`, `mariadb-10.11.19`.
    pub engine: String,
    /// The version the linter was asked about (read from the server).
    pub linter_version: String,
    /// The scratch database's name (already dropped).
    pub database: String,
    /// The migrations replayed before it, in order.
    pub replayed: Vec<String>,
    /// What each table got before the migration ran.
    pub seeded: Vec<Seeded>,
    /// The traced statements, in order; the last one holds the error if the server
    /// refused it.
    pub statements: Vec<StatementTrace>,
    /// Statements after a refused one, not run.
    pub not_run: usize,
    /// Anything worth knowing about the run as a whole.
    pub notes: Vec<String>,
}

impl Trace {
    /// The statement the server refused, if one was.
    pub fn failed_statement(&self) -> Option<&StatementTrace> {
        self.statements.iter().find(|s| s.error.is_some())
    }

    /// Every disagreement between the server and the linter, in statement order.
    pub fn disagreements(&self) -> Vec<Disagreement> {
        self.statements
            .iter()
            .flat_map(|s| {
                s.check
                    .facets
                    .iter()
                    .filter(|f| f.outcome == FacetOutcome::Disagrees)
                    .map(move |f| Disagreement {
                        statement: s.number,
                        line: s.line,
                        message: f.describe(),
                    })
            })
            .collect()
    }
}

/// One disagreement, for listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub statement: usize,
    pub line: usize,
    pub message: String,
}

/// What one table got before the migration ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seeded {
    /// The table, or a materialized view refreshed once its tables had rows.
    pub table: String,
    /// Rows inserted (0 when skipped).
    pub rows: u64,
    /// Why the table was left as it was.
    pub skipped: Option<String>,
}

/// How a statement was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// PostgreSQL: in a transaction of its own (`BEGIN; <statement>; <read pg_locks>;
    /// COMMIT`), so its locks are still held when they are read.
    OwnTransaction,
    /// PostgreSQL: inside the file's own `BEGIN … COMMIT`; locks are read after it.
    FileTransaction,
    /// PostgreSQL: outside any transaction (the server refuses it in one); a second
    /// session watched its locks while it ran.
    SecondSession,
    /// MySQL / MariaDB: as written.
    AsWritten,
    /// MySQL / MariaDB: with the best `ALGORITHM` the server accepts.
    Probed,
    /// `BEGIN`, `COMMIT`, `SAVEPOINT`, …: run as written, nothing to observe.
    TransactionControl,
}

impl RunMode {
    pub fn describe(self) -> &'static str {
        match self {
            RunMode::OwnTransaction => "in its own transaction",
            RunMode::FileTransaction => "inside the file's transaction",
            RunMode::SecondSession => "outside a transaction, watched from a second session",
            RunMode::AsWritten => "as written",
            RunMode::Probed => "with the best ALGORITHM the server accepts",
            RunMode::TransactionControl => "transaction control",
        }
    }
}

/// One traced statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementTrace {
    /// 1-based position in the script.
    pub number: usize,
    /// 1-based line where it starts.
    pub line: usize,
    /// The statement as sent (batch placeholders bound).
    pub sql: String,
    /// The linter's operations (`add-column,drop-column`).
    pub ops: String,
    pub run: RunMode,
    /// Wall time of the statement itself, in milliseconds.
    pub duration_ms: f64,
    /// PostgreSQL: the relation locks it took (granted, or requested and then granted).
    pub locks: Vec<ObservedLock>,
    /// PostgreSQL: the second session caught the statement waiting behind its own locks,
    /// so the statement's first lock request was seen for certain.
    pub caught_waiting: Option<bool>,
    /// Relations whose storage was replaced while they kept their rows.
    pub rewritten: Vec<StorageChange>,
    /// Relations whose storage was replaced by an empty one (`TRUNCATE`).
    pub emptied: Vec<StorageChange>,
    /// Schema objects added, removed or changed.
    pub changes: Vec<CatalogChange>,
    /// MySQL / MariaDB `ALTER TABLE`: what the server accepted.
    pub algorithm: Option<AlgorithmTrace>,
    /// The comparison with the linter's facts.
    pub check: Check,
    /// The server's error when it refused the statement (the trace stops there).
    pub error: Option<String>,
    pub notes: Vec<String>,
}

/// A relation lock a statement held or requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedLock {
    /// `users`, `app.users`, `users_email_idx`.
    pub relation: String,
    /// `table`, `partitioned table`, `index`, `materialized view`, `view`, `sequence`.
    pub kind: String,
    pub mode: LockLevel,
    /// Seen waiting for it (the statement then got it).
    pub requested: bool,
    /// The relation did not exist before the statement: nobody else can be blocked.
    pub new_relation: bool,
    /// Inside the file's transaction: held before the statement already.
    pub already_held: bool,
    pub blocks_reads: bool,
    pub blocks_writes: bool,
}

/// A relation whose storage (PostgreSQL `relfilenode`, InnoDB table id) changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageChange {
    pub relation: String,
    pub kind: String,
}

/// One schema object added, removed or changed (from [`Backend::snapshot`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogChange {
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub kind: String,
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// MySQL / MariaDB: the algorithms asked for and the server's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlgorithmTrace {
    /// The `ALGORITHM=` / `LOCK=` the statement names itself, if any.
    pub named: Option<String>,
    /// In the order tried.
    pub attempts: Vec<AlgorithmAttempt>,
    /// The best algorithm the server accepted. For a statement that names its own, the
    /// named one: the server may be able to do better.
    pub accepted: Option<Algorithm>,
}

/// One `ALTER TABLE` sent with an algorithm clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlgorithmAttempt {
    pub clause: String,
    pub accepted: bool,
    /// The server's reason when it refused.
    pub message: Option<String>,
}

/// The comparison of one statement with the linter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub verdict: Verdict,
    pub facets: Vec<Facet>,
    /// Why nothing was compared, when nothing was.
    pub reason: Option<String>,
}

impl Check {
    fn not_compared(reason: impl Into<String>) -> Check {
        Check {
            verdict: Verdict::NotCompared,
            facets: Vec::new(),
            reason: Some(reason.into()),
        }
    }

    /// The verdict of a list of facets.
    fn from_facets(facets: Vec<Facet>, reason_if_empty: &str) -> Check {
        let verdict = if facets.iter().any(|f| f.outcome == FacetOutcome::Disagrees) {
            Verdict::Disagrees
        } else if facets.iter().any(|f| f.outcome == FacetOutcome::Agrees) {
            Verdict::Agrees
        } else if facets
            .iter()
            .any(|f| f.outcome == FacetOutcome::NoStaticFact)
        {
            Verdict::NoStaticFact
        } else {
            Verdict::NotCompared
        };
        let reason = (verdict == Verdict::NotCompared).then(|| reason_if_empty.to_owned());
        Check {
            verdict,
            facets,
            reason,
        }
    }
}

/// How a statement compares with the linter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every compared facet agrees.
    Agrees,
    /// At least one facet disagrees.
    Disagrees,
    /// The linter states no fact for the statement's operations.
    NoStaticFact,
    /// Nothing to compare (no existing table involved, transaction control, a refused
    /// statement).
    NotCompared,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Agrees => "agrees",
            Verdict::Disagrees => "DISAGREES",
            Verdict::NoStaticFact => "no static fact",
            Verdict::NotCompared => "not compared",
        }
    }
}

/// What is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// PostgreSQL: the strongest lock on the relation.
    Lock,
    /// Whether the table's storage was rewritten (PostgreSQL) or rebuilt (InnoDB).
    Rewrite,
    /// MySQL / MariaDB: the best `ALTER TABLE` algorithm.
    Algorithm,
}

impl Aspect {
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Lock => "lock",
            Aspect::Rewrite => "rewrite",
            Aspect::Algorithm => "algorithm",
        }
    }
}

/// One compared fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facet {
    /// The table (or index, or materialized view) the fact is about.
    pub relation: String,
    pub aspect: Aspect,
    /// What the linter says, e.g. `ACCESS EXCLUSIVE`, `rewrite`, `ALGORITHM=INSTANT`.
    pub linter: String,
    /// What the server did.
    pub server: String,
    pub outcome: FacetOutcome,
}

impl Facet {
    /// `lock on orders: the linter says ACCESS EXCLUSIVE, the server took SHARE`.
    pub fn describe(&self) -> String {
        format!(
            "{} on {}: the linter says {}, the server {}",
            self.aspect.as_str(),
            self.relation,
            self.linter,
            self.server
        )
    }
}

/// How one facet compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetOutcome {
    Agrees,
    Disagrees,
    NoStaticFact,
}

/// Runs the trace: a scratch database on `server` (never the database the URL names),
/// the earlier scripts replayed, empty tables seeded, the target traced statement by
/// statement, the scratch database dropped — on success, failure, error and Ctrl-C alike.
///
/// A statement the server refuses is not an error: it ends the trace, and the returned
/// [`Trace`] holds its error ([`Trace::failed_statement`]).
pub async fn trace(
    input: &TraceInput,
    server: &DbUrl,
    options: &TraceOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Trace, TraceError> {
    let dialect = server.dialect();
    let prepared = Prepared::new(input, dialect)?;
    let mut admin = AnyBackend::connect(server)
        .await
        .map_err(|e| TraceError::Connect {
            url: server.redacted(),
            error: scrubbed(e),
        })?;
    // `bellows_trace_<pid>_<n>`: unique as `migrate verify`'s names are.
    let name = scratch_name().replacen("bellows_verify_", "bellows_trace_", 1);
    progress(&format!("creating scratch database {name}"));
    admin
        .execute(&format!("CREATE DATABASE {}", quote_ident(dialect, &name)))
        .await
        .map_err(|e| TraceError::CreateDatabase {
            name: name.clone(),
            error: scrubbed(e),
        })?;
    let url = server.with_database(&name);
    let outcome = {
        let walked = walk(&url, &prepared, options, progress);
        let interrupted = async {
            // Without a handler (no signal support) there is nothing to wait for.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = walked => r,
            () = interrupted => Err(TraceError::Interrupted),
        }
    };
    // The scratch connections were closed when `walk` returned.
    progress(&format!("dropping scratch database {name}"));
    let dropped = drop_database(&mut admin, server, &name)
        .await
        .map_err(scrubbed);
    match (outcome, dropped) {
        (Ok(mut trace), Ok(())) => {
            trace.database = name;
            Ok(trace)
        }
        (Ok(_), Err(error)) => Err(TraceError::DropDatabase { name, error }),
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(error)) => {
            progress(&format!(
                "cannot drop the scratch database {name}: {error}; drop it by hand"
            ));
            Err(e)
        }
    }
}

/// Traces `file` after replaying `earlier` (files run in order, e.g. a fixture's
/// `setup.sql`): the entry point for tests and tools that have files, not a catalog.
pub async fn trace_files(
    server: &DbUrl,
    earlier: &[PathBuf],
    file: &Path,
    options: &TraceOptions,
) -> Result<Trace, TraceError> {
    let input = TraceInput {
        earlier: earlier
            .iter()
            .map(|p| TraceScript::read(p))
            .collect::<Result<_, _>>()?,
        target: TraceScript::read(file)?,
    };
    trace(&input, server, options, &mut |_| {}).await
}

/// Every script split before the server is touched.
struct Prepared<'a> {
    input: &'a TraceInput,
    earlier: Vec<Vec<Statement>>,
    target: Vec<Statement>,
}

impl<'a> Prepared<'a> {
    fn new(input: &'a TraceInput, dialect: Dialect) -> Result<Prepared<'a>, TraceError> {
        let split = |s: &TraceScript| {
            script::statements(&s.text, dialect).map_err(|error| TraceError::Script {
                name: s.name.clone(),
                error,
            })
        };
        Ok(Prepared {
            input,
            earlier: input.earlier.iter().map(split).collect::<Result<_, _>>()?,
            target: split(&input.target)?,
        })
    }
}

/// A target statement ready to send, with the linter's view of it.
pub(crate) struct Planned<'a> {
    pub number: usize,
    pub line: usize,
    pub sql: String,
    pub analyzed: Option<&'a AnalyzedStatement>,
}

impl Planned<'_> {
    fn ops(&self) -> String {
        self.analyzed
            .map(AnalyzedStatement::op_names)
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// Does the linter read it as `BEGIN`, `COMMIT`, `SAVEPOINT`, …?
    fn is_transaction_control(&self) -> bool {
        script::is_transaction_control(&self.sql)
            || self.analyzed.is_some_and(|a| {
                !a.ops.is_empty() && a.ops.iter().all(|o| matches!(o.op, Op::Transaction(_)))
            })
    }
}

/// What the engine-specific tracers share.
pub(crate) struct Context<'a> {
    pub dialect: Dialect,
    pub version: EngineVersion,
    pub url: &'a DbUrl,
}

async fn walk(
    url: &DbUrl,
    prepared: &Prepared<'_>,
    options: &TraceOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Trace, TraceError> {
    let dialect = url.dialect();
    let mut conn = AnyBackend::connect(url)
        .await
        .map_err(|e| TraceError::Connect {
            url: url.redacted(),
            error: scrubbed(e),
        })?;
    let engine = conn.engine().to_owned();
    let mut notes = Vec::new();
    let version = match EngineVersion::parse(&engine, dialect) {
        Ok(v) => v,
        Err(_) => {
            notes.push(format!(
                "the server's version `{engine}` is not one bellows can read; the linter was asked about {}",
                dialect.default_version()
            ));
            dialect.default_version()
        }
    };
    let input = prepared.input;
    let results = lint(input, dialect, version);
    let target_result = results.last();

    for (script, statements) in input.earlier.iter().zip(&prepared.earlier) {
        progress(&format!("{}: replaying", script.name));
        replay(&mut conn, script, statements).await?;
    }
    let seeded = if options.seed_rows > 0 {
        progress("seeding empty tables");
        match dialect {
            Dialect::Postgres => postgres::seed(&mut conn, options.seed_rows).await?,
            Dialect::Mysql => mysql::seed(&mut conn, options.seed_rows).await?,
        }
    } else {
        Vec::new()
    };

    let range = match &input.target.backfill {
        Some(spec)
            if prepared
                .target
                .iter()
                .any(|s| script::has_batch_placeholders(&s.sql)) =>
        {
            key_range(&mut conn, spec).await?
        }
        _ => None,
    };
    if prepared
        .target
        .iter()
        .any(|s| script::has_batch_placeholders(&s.sql))
    {
        notes.push(match (&input.target.backfill, range) {
            (Some(spec), Some((a, b))) => format!(
                "`:batch_start` / `:batch_end` are bound to the whole key range of {}.{} ({a} to {b}, one batch)",
                spec.table, spec.key
            ),
            (Some(spec), None) => format!(
                "`:batch_start` / `:batch_end` are bound to the whole integer range: {} is empty",
                spec.table
            ),
            (None, _) => "`:batch_start` / `:batch_end` are bound to the whole integer range (no `[backfill]` key is declared)".to_owned(),
        });
    }
    let (start, end) = range.unwrap_or((i64::MIN, i64::MAX));
    let planned = plan(&prepared.target, target_result, start, end);
    let cx = Context {
        dialect,
        version,
        url,
    };
    progress(&format!("{}: tracing", input.target.name));
    let (statements, engine_notes) = match dialect {
        Dialect::Postgres => postgres::trace_statements(&mut conn, &cx, &planned).await?,
        Dialect::Mysql => mysql::trace_statements(&mut conn, &cx, &planned).await?,
    };
    notes.extend(engine_notes);
    let run = statements.len();
    Ok(Trace {
        migration: input.target.name.clone(),
        engine,
        linter_version: version.to_string(),
        database: String::new(),
        replayed: input.earlier.iter().map(|s| s.name.clone()).collect(),
        seeded,
        not_run: planned.len().saturating_sub(run),
        statements,
        notes,
    })
}

/// The scripts linted as one sequence on the server's version; the last result is the
/// target's.
fn lint(input: &TraceInput, dialect: Dialect, version: EngineVersion) -> Vec<FileResult> {
    let settings = LintSettings {
        version,
        ..LintSettings::new(dialect)
    };
    let inputs = input
        .earlier
        .iter()
        .chain(std::iter::once(&input.target))
        .map(|s| {
            (
                SourceFile::new(s.name.clone(), s.text.clone()),
                s.options.clone(),
            )
        })
        .collect();
    lint_inputs(inputs, &settings)
}

/// Pairs each statement to send with the linter's statement of the same text.
fn plan<'a>(
    statements: &[Statement],
    result: Option<&'a FileResult>,
    start: i64,
    end: i64,
) -> Vec<Planned<'a>> {
    let analyzed: Vec<(&str, &AnalyzedStatement)> = result
        .map(|r| {
            r.statements
                .iter()
                .filter_map(|s| r.source.text.get(s.span.clone()).map(|t| (t, s)))
                .collect()
        })
        .unwrap_or_default();
    let mut next = 0;
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let found = analyzed[next.min(analyzed.len())..]
                .iter()
                .position(|(text, _)| *text == s.sql)
                .map(|k| next + k);
            let analyzed = found.map(|k| {
                next = k + 1;
                analyzed[k].1
            });
            let sql = if script::has_batch_placeholders(&s.sql) {
                script::bind_batch(&s.sql, start, end)
            } else {
                s.sql.clone()
            };
            Planned {
                number: i + 1,
                line: s.line,
                sql,
                analyzed,
            }
        })
        .collect()
}

/// Replays an earlier script statement by statement (as `migrate verify` does); a
/// backfill's placeholders cover its whole key range.
async fn replay(
    conn: &mut AnyBackend,
    script: &TraceScript,
    statements: &[Statement],
) -> Result<(), TraceError> {
    let placeholders = statements
        .iter()
        .any(|s| script::has_batch_placeholders(&s.sql));
    let range = match &script.backfill {
        Some(spec) if placeholders => match key_range(conn, spec).await? {
            Some(range) => range,
            // An empty table: nothing to fill.
            None => return Ok(()),
        },
        _ => (i64::MIN, i64::MAX),
    };
    for s in statements {
        let sql = if placeholders {
            script::bind_batch(&s.sql, range.0, range.1)
        } else {
            s.sql.clone()
        };
        conn.execute(&sql)
            .await
            .map_err(|error| TraceError::Replay {
                name: script.name.clone(),
                line: s.line,
                sql: first_line(&s.sql),
                error: scrubbed(error),
            })?;
    }
    Ok(())
}

/// A backfill's key range as `[min, max + 1)`, or `None` for an empty table.
async fn key_range(
    conn: &mut AnyBackend,
    spec: &BackfillSpec,
) -> Result<Option<(i64, i64)>, TraceError> {
    let dialect = conn.dialect();
    let table = spec
        .table
        .split('.')
        .map(|part| quote_ident(dialect, part))
        .collect::<Vec<_>>()
        .join(".");
    let key = quote_ident(dialect, &spec.key);
    let sql = format!("SELECT min({key}), max({key}) FROM {table}");
    let rows = conn
        .query(&sql, &[])
        .await
        .map_err(TraceError::during(format!(
            "reading the key range of {}",
            spec.table
        )))?;
    let cell = |i: usize| rows.first().and_then(|r| r.get(i)).cloned().flatten();
    let (Some(min), Some(max)) = (cell(0), cell(1)) else {
        return Ok(None);
    };
    let parse = |v: &str| {
        v.trim().parse::<i64>().map_err(|_| TraceError::Database {
            during: format!("reading the key range of {}", spec.table),
            error: DbError::other(format!(
                "the backfill's key {}.{} is not an integer (found `{v}`)",
                spec.table, spec.key
            )),
        })
    };
    Ok(Some((parse(&min)?, parse(&max)?.saturating_add(1))))
}

/// The error with every registered secret removed from its message.
/// Inserts each table's seed rows in the order given (parents first). A table whose rows
/// the server refused for a foreign key (`fk_code`) is tried again once the others have
/// rows (a cycle, or a key to a table seeded later); what stays refused is reported with
/// the server's reason. A lost connection ends the trace.
pub(crate) async fn insert_seeds(
    conn: &mut AnyBackend,
    mut pending: Vec<(String, String)>,
    fk_code: &str,
    out: &mut Vec<Seeded>,
) -> Result<(), TraceError> {
    let mut last_error: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let mut progress = false;
        let mut still = Vec::new();
        for (table, sql) in pending {
            match conn.execute(&sql).await {
                Ok(n) => {
                    progress = true;
                    out.push(Seeded {
                        table,
                        rows: n,
                        skipped: None,
                    });
                }
                Err(e) if is_lost(&e) => {
                    return Err(TraceError::during(format!("seeding {table}"))(scrubbed(e)))
                }
                Err(e) if e.code.as_deref() == Some(fk_code) => {
                    last_error.insert(table.clone(), redact(&e.message));
                    still.push((table, sql));
                }
                Err(e) => out.push(Seeded {
                    table,
                    rows: 0,
                    skipped: Some(format!(
                        "the server refused the rows: {}",
                        redact(&e.message)
                    )),
                }),
            }
        }
        pending = still;
        if !progress || pending.is_empty() {
            break;
        }
    }
    for (table, _) in pending {
        let why = last_error.remove(&table).unwrap_or_default();
        out.push(Seeded {
            table,
            rows: 0,
            skipped: Some(format!("the server refused the rows: {why}")),
        });
    }
    Ok(())
}

fn scrubbed(e: DbError) -> DbError {
    DbError {
        message: redact(&e.message),
        ..e
    }
}

/// The statement's first non-blank line, shortened for a message.
fn first_line(sql: &str) -> String {
    let line = sql
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .or_else(|| sql.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or_default();
    match line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

/// A database error that means the connection is gone is a tool failure; any other
/// error is the server refusing the statement.
fn is_lost(e: &DbError) -> bool {
    e.kind == DbErrorKind::Connection
}

/// The schema items added, removed and changed between two snapshots.
fn catalog_changes(before: &Snapshot, after: &Snapshot) -> Vec<CatalogChange> {
    let index = |s: &Snapshot| -> BTreeMap<(String, String), String> {
        s.items
            .iter()
            .map(|i| ((i.kind.clone(), i.name.clone()), i.detail.clone()))
            .collect()
    };
    let (b, a) = (index(before), index(after));
    let mut out = Vec::new();
    for ((kind, name), detail) in &a {
        match b.get(&(kind.clone(), name.clone())) {
            None => out.push(CatalogChange {
                change: "added",
                kind: kind.clone(),
                name: name.clone(),
                before: None,
                after: Some(detail.clone()),
            }),
            Some(old) if old != detail => out.push(CatalogChange {
                change: "changed",
                kind: kind.clone(),
                name: name.clone(),
                before: Some(old.clone()),
                after: Some(detail.clone()),
            }),
            Some(_) => {}
        }
    }
    for ((kind, name), detail) in &b {
        if !a.contains_key(&(kind.clone(), name.clone())) {
            out.push(CatalogChange {
                change: "removed",
                kind: kind.clone(),
                name: name.clone(),
                before: Some(detail.clone()),
                after: None,
            });
        }
    }
    out
}

/// A relation an operation's lock fact is stated about, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// The named table, view or materialized view.
    Relation(Name),
    /// The table of the named index (PostgreSQL `DROP INDEX` locks the table in the same
    /// mode as the index, and the index itself stops mattering once it is dropped).
    TableOfIndex(Name),
    /// The named index and its table (`REINDEX INDEX`: the index is what readers and
    /// writers wait for).
    IndexAndTable(Name),
    /// The named table and its indexes (`REINDEX TABLE`: each index is locked as by
    /// `REINDEX INDEX`).
    TableAndIndexes(Name),
}

/// The relations `op`'s lock fact is about.
pub(crate) fn subjects(op: &Op) -> Vec<Subject> {
    match op {
        Op::DropIndex {
            names, table: None, ..
        } => names.iter().cloned().map(Subject::TableOfIndex).collect(),
        Op::Reindex {
            target,
            concurrently,
        } => match target {
            // CONCURRENTLY builds a new index and drops the old one once it is dead: the
            // ACCESS EXCLUSIVE lock taken on the dead index then blocks nobody. Readers and
            // writers meet the table's lock.
            ReindexTarget::Index(n) if *concurrently => vec![Subject::TableOfIndex(n.clone())],
            ReindexTarget::Index(n) => vec![Subject::IndexAndTable(n.clone())],
            ReindexTarget::Table(t) if *concurrently => vec![Subject::Relation(t.clone())],
            ReindexTarget::Table(t) => vec![Subject::TableAndIndexes(t.clone())],
            ReindexTarget::Schema(_) | ReindexTarget::Database(_) => Vec::new(),
        },
        Op::RefreshMaterializedView { name, .. } => vec![Subject::Relation(name.clone())],
        Op::RenameIndex {
            table: None, from, ..
        } => vec![Subject::IndexAndTable(from.clone())],
        Op::DropObject {
            kind: ObjectKind::View | ObjectKind::MaterializedView,
            names,
        } => names.iter().cloned().map(Subject::Relation).collect(),
        Op::AlterObject {
            kind: ObjectKind::View | ObjectKind::MaterializedView,
            name,
            ..
        } => vec![Subject::Relation(name.clone())],
        op => op
            .tables()
            .into_iter()
            .cloned()
            .map(Subject::Relation)
            .collect(),
    }
}

/// The linter's fact for one operation, or `None` where it states none. The context the
/// linter used is already folded into `info.lock`; only whether a fact exists is asked
/// again (that does not depend on the context).
pub(crate) fn linter_fact(
    info: &crate::lint::OpInfo,
    dialect: Dialect,
    version: EngineVersion,
) -> Option<LockFacts> {
    known_lock_facts(&info.op, dialect, version, LockContext::default()).map(|_| info.lock)
}

/// How the linter's facts read in a facet: `ACCESS EXCLUSIVE`, `rewrite` / `no rewrite`.
pub(crate) fn rewrite_word(rewrites: bool) -> &'static str {
    if rewrites {
        "rewrite"
    } else {
        "no rewrite"
    }
}

/// Whether facts rewrite the table (PostgreSQL rewrite, InnoDB rebuild or copy).
pub(crate) fn fact_rewrites(facts: &LockFacts) -> bool {
    facts.cost == Cost::Rewrite
}

/// The worst algorithm of several (the statement runs with the worst of its parts).
pub(crate) fn worst(a: Option<Algorithm>, b: Option<Algorithm>) -> Option<Algorithm> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Orders tables so that each comes after the tables its foreign keys reference (`edges`:
/// referencing, referenced), so seeding never burns the ids of a failed attempt; tables in
/// a cycle keep their order.
pub(crate) fn parents_first<T>(
    mut items: Vec<(String, T)>,
    edges: &[(String, String)],
) -> Vec<(String, T)> {
    let mut out = Vec::with_capacity(items.len());
    while !items.is_empty() {
        let ready = items
            .iter()
            .position(|(table, _)| {
                !edges.iter().any(|(child, parent)| {
                    child == table
                        && parent != table
                        && items.iter().any(|(other, _)| other == parent)
                })
            })
            .unwrap_or(0);
        out.push(items.remove(ready));
    }
    out
}

pub(crate) use crate::runner::script::keywords;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::backend::SnapshotItem;

    fn item(kind: &str, name: &str, detail: &str) -> SnapshotItem {
        SnapshotItem {
            kind: kind.into(),
            name: name.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn catalog_changes_are_added_removed_and_changed() {
        let before = Snapshot::new(vec![
            item("column", "users.email", "text"),
            item("index", "users.users_email_idx", "btree (email)"),
        ]);
        let after = Snapshot::new(vec![
            item("column", "users.email", "text not null"),
            item("column", "users.nick", "text"),
        ]);
        let changes = catalog_changes(&before, &after);
        let summary: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.change, c.name.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("changed", "users.email"),
                ("added", "users.nick"),
                ("removed", "users.users_email_idx")
            ]
        );
    }

    #[test]
    fn statements_pair_with_the_linters_by_text() {
        let input = TraceInput {
            earlier: vec![TraceScript::new("setup.sql", "CREATE TABLE t (id int);\n")],
            target: TraceScript::new(
                "m.sql",
                "\u{feff}-- add\nALTER TABLE t ADD COLUMN a int;\nUPDATE t SET a = 1 WHERE id BETWEEN :batch_start AND :batch_end;\n",
            ),
        };
        let prepared = Prepared::new(&input, Dialect::Postgres).unwrap();
        let results = lint(
            &input,
            Dialect::Postgres,
            Dialect::Postgres.default_version(),
        );
        let planned = plan(&prepared.target, results.last(), 1, 5);
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[0].ops(), "add-column");
        assert_eq!(planned[1].line, 3);
        assert!(
            planned[1].sql.ends_with("BETWEEN 1 AND 5"),
            "{}",
            planned[1].sql
        );
        assert_eq!(planned[1].ops(), "update");
    }

    #[test]
    fn subjects_follow_the_fact() {
        let idx = Name::new("users_email_idx");
        let drop = Op::DropIndex {
            names: vec![idx.clone()],
            table: None,
            concurrently: true,
            if_exists: false,
        };
        assert_eq!(subjects(&drop), vec![Subject::TableOfIndex(idx.clone())]);
        let reindex = Op::Reindex {
            target: ReindexTarget::Index(idx.clone()),
            concurrently: false,
        };
        assert_eq!(subjects(&reindex), vec![Subject::IndexAndTable(idx)]);
        assert_eq!(
            keywords("-- x\n/* y */ alter  table t", 3),
            vec!["ALTER", "TABLE", "T"]
        );
        assert_eq!(first_line("-- why\nALTER TABLE t"), "ALTER TABLE t");
        assert_eq!(
            worst(Some(Algorithm::Instant), Some(Algorithm::Copy)),
            Some(Algorithm::Copy)
        );
        let edges = [
            ("invoices".to_owned(), "orders".to_owned()),
            ("orders".to_owned(), "users".to_owned()),
            ("users".to_owned(), "users".to_owned()),
        ];
        let items = ["invoices", "orders", "users", "plans"]
            .map(|t| (t.to_owned(), ()))
            .to_vec();
        let ordered: Vec<String> = parents_first(items, &edges)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(ordered, vec!["users", "orders", "invoices", "plans"]);
    }
}
