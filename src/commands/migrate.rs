//! `bellows migrate plan | apply | rollback | status | resolve | verify`: load the project,
//! connect, hand over to the runner, print what it returns.

use super::catalog::{analyzed, load, locate, read_sum, Located};
use super::{write_stdout, Outcome};
use crate::catalog::analysis::{graph_input, Analysis, ReleaseCheck};
use crate::catalog::layout::Catalog;
use crate::catalog::sum::{Proof, SumFile};
use crate::classify::phase::Phase;
use crate::cli::{
    ApplyArgs, CatalogDirArgs, ConnectionArgs, ListFormat, MigrateArgs, MigrateCommand, PhaseArg,
    PlanArgs, ResolveArgs, RollbackArgs, RunnerArgs, StatusArgs, VerifyArgs,
};
use crate::config::parse_duration_ms;
use crate::graph::Graph;
use crate::plan::{plan, Request, Status};
use crate::report::plan::write_plan;
use crate::report::run::{write_outcome, write_status, TextEvents};
use crate::runner::history::HistoryTable;
use crate::runner::url::{self, DbUrl};
use crate::runner::{
    AnyBackend, ApplyRequest, Project, Resolution, RollbackRequest, Runner, Settings,
};
use miette::{miette, IntoDiagnostic};

pub fn run(args: MigrateArgs) -> miette::Result<Outcome> {
    match args.command {
        MigrateCommand::Plan(args) => plan_command(&args),
        MigrateCommand::Apply(args) => apply_command(&args),
        MigrateCommand::Rollback(args) => rollback_command(&args),
        MigrateCommand::Status(args) => status_command(&args),
        MigrateCommand::Resolve(args) => resolve_command(&args),
        MigrateCommand::Verify(args) => verify_command(&args),
        MigrateCommand::Baseline(args) => super::baseline::run(&args),
    }
}

/// Everything the runner reads from disk.
pub(super) struct Loaded {
    pub(super) at: Located,
    catalog: Catalog,
    analysis: Analysis,
    releases: Vec<ReleaseCheck>,
    graph: Graph,
    proofs: Vec<Proof>,
}

impl Loaded {
    pub(super) fn read(args: &CatalogDirArgs) -> miette::Result<Loaded> {
        let at = locate(args)?;
        let catalog = load(&at.dir)?;
        let (analysis, releases) = analyzed(&at, &catalog)?;
        let graph = Graph::build(graph_input(&at.config, &analysis, &releases))?;
        let proofs = read_sum(&at.sum)?
            .map(|s| s.parsed_proofs())
            .unwrap_or_default();
        Ok(Loaded {
            at,
            catalog,
            analysis,
            releases,
            graph,
            proofs,
        })
    }

    pub(super) fn project(&self) -> Project<'_> {
        Project {
            catalog: &self.catalog,
            config: &self.at.config,
            analysis: &self.analysis,
            releases: &self.releases,
            graph: &self.graph,
            proofs: &self.proofs,
        }
    }

    pub(super) fn settings(
        &self,
        connection: &ConnectionArgs,
        runner: &RunnerArgs,
    ) -> miette::Result<Settings> {
        let config = &self.at.config.runner;
        let mut s = Settings {
            history: history_table(
                &self.at,
                connection.history_table.as_deref(),
                connection.history_schema.as_deref(),
            ),
            ..Settings::default()
        };
        if let Some(t) = runner
            .lock_timeout
            .as_deref()
            .or(config.lock_timeout.as_deref())
        {
            s.lock_timeout_ms = parse_duration_ms(t).ok_or_else(|| {
                miette!(
                    help = "write it as 2s, 500ms or 1m",
                    "lock timeout `{t}` is not a duration"
                )
            })?;
        }
        if let Some(t) = config.retry_backoff.as_deref() {
            s.retry_base_ms = parse_duration_ms(t).ok_or_else(|| {
                miette!(
                    help = "write it as 500ms or 1s",
                    "[runner] retry-backoff `{t}` is not a duration"
                )
            })?;
        }
        if let Some(n) = runner.lock_retries.or(config.lock_retries) {
            s.lock_retries = n;
        }
        s.wait = !runner.no_wait;
        s.require_proof = !runner.allow_unproven && config.require_proof.unwrap_or(true);
        Ok(s)
    }
}

pub(super) fn history_table(
    at: &Located,
    table: Option<&str>,
    schema: Option<&str>,
) -> HistoryTable {
    let config = &at.config.runner;
    HistoryTable {
        schema: schema
            .map(str::to_owned)
            .or_else(|| config.history_schema.clone()),
        name: table
            .map(str::to_owned)
            .or_else(|| config.history_table.clone())
            .unwrap_or_else(|| HistoryTable::default().name),
    }
}

fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .into_diagnostic()
}

async fn connect(url: &DbUrl) -> miette::Result<AnyBackend> {
    AnyBackend::connect(url).await.map_err(|e| {
        miette!(
            help = "check the URL, that the server runs, and the credentials",
            "{}",
            url::redact(&crate::runner::connect_message(&url.redacted(), &e))
        )
    })
}

/// The URL with `[runner] connect-timeout` as its connect timeout when it sets none.
pub(super) fn with_connect_timeout(loaded: &Loaded, url: &DbUrl) -> miette::Result<DbUrl> {
    let Some(t) = loaded.at.config.runner.connect_timeout.as_deref() else {
        return Ok(url.clone());
    };
    let ms = parse_duration_ms(t).ok_or_else(|| {
        miette!(
            help = "write it as 10s or 1m",
            "[runner] connect-timeout `{t}` is not a duration"
        )
    })?;
    Ok(url
        .clone()
        .with_fallback_timeout(std::time::Duration::from_millis(ms)))
}

/// The dialect the catalog is linted in must be the database's.
pub(super) fn check_dialect(loaded: &Loaded, url: &DbUrl) -> miette::Result<()> {
    let configured = loaded.at.config.dialect.as_deref().unwrap_or("postgres");
    let configured_mysql = matches!(configured, "mysql" | "mariadb");
    let url_mysql = url.dialect() == crate::dialect::Dialect::Mysql;
    if configured_mysql != url_mysql {
        return Err(miette!(
            help = "set `dialect` in bellows.toml to match the database",
            "bellows.toml says the migrations are {configured}, but {} is a {} database",
            url.redacted(),
            url.dialect().as_str()
        ));
    }
    Ok(())
}

/// Connects, hands a runner on the loaded project to `f`, and clears the progress display
/// whatever happens.
fn with_runner<T>(
    loaded: &Loaded,
    url: &DbUrl,
    settings: Settings,
    f: impl AsyncFnOnce(&mut Runner<'_, AnyBackend>) -> Result<T, crate::runner::RunError>,
) -> miette::Result<T> {
    let url = &with_connect_timeout(loaded, url)?;
    let mut events = TextEvents::new();
    let result = runtime()?.block_on(async {
        let b = connect(url).await?;
        let mut runner = Runner::new(b, loaded.project(), settings, &mut events);
        Ok::<_, miette::Report>(f(&mut runner).await?)
    });
    events.finish();
    result
}

/// Prints an apply / rollback outcome; a blocked step is a finding.
fn finish_outcome(outcome: &crate::runner::Outcome, format: ListFormat) -> miette::Result<Outcome> {
    write_stdout(|out| write_outcome(out, outcome, format))?;
    Ok(if outcome.blocked.is_some() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

fn plan_command(args: &PlanArgs) -> miette::Result<Outcome> {
    if args.fleet.targets.is_some() {
        return super::fleet::plan(args);
    }
    // Like every migrate command, the database comes from --database-url, else
    // DATABASE_URL; `--applied` plans from the catalog alone.
    let database_url = args.database_url.clone().or_else(|| {
        std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty() && args.applied.is_none())
    });
    if let Some(u) = &database_url {
        return online_plan(args, u);
    }
    if args.live_from_db {
        return Err(url::UrlError::Missing.into());
    }
    let at = locate(&args.catalog)?;
    let catalog = load(&at.dir)?;
    let (analysis, releases) = analyzed(&at, &catalog)?;
    let graph = Graph::build(graph_input(&at.config, &analysis, &releases))?;
    let order = graph.order();
    let request = Request {
        applied: args.applied.clone(),
        applied_ids: Vec::new(),
        target: args.target.clone(),
        deployed: args.deployed.clone(),
    };
    let plan = plan(&catalog, &at.config, &analysis, &releases, &order, &request)?;
    write_stdout(|out| write_plan(out, &plan, args.format))?;
    Ok(if plan.steps.iter().any(|s| s.status == Status::Blocked) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

fn online_plan(args: &PlanArgs, url_text: &str) -> miette::Result<Outcome> {
    let url = DbUrl::parse(url_text)?;
    let loaded = Loaded::read(&args.catalog)?;
    check_dialect(&loaded, &url)?;
    let mut settings = loaded.settings(&ConnectionArgs::default(), &RunnerArgs::default())?;
    settings.history = history_table(
        &loaded.at,
        args.history_table.as_deref(),
        args.history_schema.as_deref(),
    );
    let history_name = settings.history.name.clone();
    let request = ApplyRequest {
        to: args.target.clone(),
        deployed: args.deployed.clone(),
        live_from_db: args.live_from_db,
        ..ApplyRequest::default()
    };
    let (plan, drift) = with_runner(&loaded, &url, settings, async |runner| {
        let plan = runner.plan(&request).await?;
        let drift = runner.drift(&[history_name.as_str()]).await?;
        Ok((plan, drift))
    })?;
    write_stdout(|out| {
        write_plan(out, &plan, args.format)?;
        if args.format == ListFormat::Text {
            crate::report::run::write_drift(out, &drift)?;
        }
        Ok(())
    })?;
    let blocked = plan.steps.iter().any(|s| s.status == Status::Blocked);
    Ok(if blocked || drift.diff.is_some() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

fn apply_command(args: &ApplyArgs) -> miette::Result<Outcome> {
    if args.fleet.targets.is_some() {
        return super::fleet::apply(args);
    }
    let url = url::from_args(args.connection.database_url.as_deref())?;
    let loaded = Loaded::read(&args.catalog)?;
    check_dialect(&loaded, &url)?;
    let mut settings = loaded.settings(&args.connection, &args.runner)?;
    settings.allow_drift = args.allow_drift;
    let request = ApplyRequest {
        to: args.to.clone(),
        phase: args.phase.map(|p| match p {
            PhaseArg::Expand => Phase::Expand,
            PhaseArg::Backfill => Phase::Backfill,
            PhaseArg::Contract => Phase::Contract,
        }),
        deployed: args.live.deployed.clone(),
        live_from_db: args.live.live_from_db,
        dry_run: args.dry_run,
    };
    let outcome = with_runner(&loaded, &url, settings, async |runner| {
        runner.apply(&request).await
    })?;
    finish_outcome(&outcome, args.format)
}

fn rollback_command(args: &RollbackArgs) -> miette::Result<Outcome> {
    let url = url::from_args(args.connection.database_url.as_deref())?;
    let loaded = Loaded::read(&args.catalog)?;
    check_dialect(&loaded, &url)?;
    let settings = loaded.settings(&args.connection, &args.runner)?;
    let request = RollbackRequest {
        to: args.to.clone(),
        steps: args.steps,
        force: args.force,
        deployed: args.live.deployed.clone(),
        live_from_db: args.live.live_from_db,
        dry_run: args.dry_run,
    };
    let outcome = with_runner(&loaded, &url, settings, async |runner| {
        runner.rollback(&request).await
    })?;
    finish_outcome(&outcome, args.format)
}

fn status_command(args: &StatusArgs) -> miette::Result<Outcome> {
    if args.fleet.targets.is_some() {
        return super::fleet::status(args);
    }
    let url = url::from_args(args.connection.database_url.as_deref())?;
    let loaded = Loaded::read(&args.catalog)?;
    check_dialect(&loaded, &url)?;
    let settings = loaded.settings(&args.connection, &RunnerArgs::default())?;
    let report = with_runner(&loaded, &url, settings, async |runner| {
        runner.status().await
    })?;
    write_stdout(|out| {
        write_status(out, &url.redacted(), &report, args.format)?;
        if args.format == ListFormat::Text {
            crate::report::run::write_drift(out, &report.drift)?;
        }
        Ok(())
    })?;
    Ok(
        if report.dirty.is_empty()
            && report.edited.is_empty()
            && report.gone.is_empty()
            && report.drift.diff.is_none()
        {
            Outcome::Clean
        } else {
            Outcome::Findings
        },
    )
}

fn resolve_command(args: &ResolveArgs) -> miette::Result<Outcome> {
    let url = url::from_args(args.connection.database_url.as_deref())?;
    let loaded = Loaded::read(&args.catalog)?;
    check_dialect(&loaded, &url)?;
    let settings = loaded.settings(&args.connection, &RunnerArgs::default())?;
    let how = if args.run_down {
        Resolution::RunDown
    } else if args.mark_applied {
        Resolution::MarkApplied
    } else {
        Resolution::MarkRolledBack
    };
    let said = with_runner(&loaded, &url, settings, async |runner| {
        runner.resolve(&args.id, how).await
    })?;
    write_stdout(|out| writeln!(out, "{said}"))?;
    Ok(Outcome::Clean)
}

fn verify_command(args: &VerifyArgs) -> miette::Result<Outcome> {
    use crate::report::verify::{write_verify, VerifyFormat};
    use crate::runner::verify::{verify, VerifyOptions};
    let loaded = Loaded::read(&args.catalog)?;
    let url = with_connect_timeout(&loaded, &DbUrl::parse(&args.scratch_url)?)?;
    check_dialect(&loaded, &url)?;
    let order = loaded.graph.order();
    let options = VerifyOptions {
        only: args.only.clone(),
    };
    let mut progress = |line: &str| crate::report::run::progress_line(line);
    let run = runtime()?.block_on(verify(
        &loaded.catalog,
        &order,
        &url,
        &options,
        &mut progress,
    ))?;
    let failed = run.failed();
    if !args.no_write {
        let mut sum = read_sum(&loaded.at.sum)?.unwrap_or_else(|| SumFile {
            entries: Vec::new(),
            proofs: Vec::new(),
        });
        let mut wrote = 0;
        for v in &run.verdicts {
            if let Some(p) = &v.proof {
                sum.set_proof(p.clone());
                wrote += 1;
            }
        }
        if wrote > 0 {
            if sum.entries.is_empty() {
                sum.entries = crate::catalog::sum::compute(&loaded.catalog)?.entries;
            }
            std::fs::write(&loaded.at.sum, sum.render())
                .map_err(|e| miette!("cannot write {}: {e}", loaded.at.sum.display()))?;
        }
    }
    let format = match args.format {
        ListFormat::Text => VerifyFormat::Text,
        ListFormat::Json => VerifyFormat::Json,
    };
    write_stdout(|out| write_verify(out, &run, format))?;
    Ok(if failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
