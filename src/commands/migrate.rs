//! `bellows migrate plan | apply | rollback | status | resolve | verify`: open the project,
//! connect, hand over to the runner, print what it returns. `--targets` goes to
//! `fleet.rs` instead (chosen in `commands/mod.rs`).

use super::{connect, runtime, write_stdout, Outcome};
use crate::catalog::sum::SumFile;
use crate::classify::phase::Phase;
use crate::cli::{
    ApplyArgs, ConnectionArgs, ListFormat, MigrateArgs, MigrateCommand, PhaseArg, PlanArgs,
    ResolveArgs, RollbackArgs, RunnerArgs, StatusArgs, VerifyArgs,
};
use crate::plan::{plan, Request, Status};
use crate::project::{Prepared, Project};
use crate::report::plan::write_plan;
use crate::report::run::{write_outcome, write_status, TextEvents};
use crate::runner::url::{self, DbUrl};
use crate::runner::{AnyBackend, ApplyRequest, Resolution, RollbackRequest, Runner, Settings};
use miette::miette;

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

/// Connects, hands a runner on the loaded project to `f`, and clears the progress display
/// whatever happens.
fn with_runner<T>(
    loaded: &Prepared,
    url: &DbUrl,
    settings: Settings,
    f: impl AsyncFnOnce(&mut Runner<'_, AnyBackend>) -> Result<T, crate::runner::RunError>,
) -> miette::Result<T> {
    let url = &loaded.with_connect_timeout(url)?;
    let mut events = TextEvents::new();
    let result = runtime()?.block_on(async {
        let b = connect(url).await?;
        let mut runner = Runner::new(b, loaded.view(), settings, &mut events);
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
    let project = Project::open(&args.catalog)?;
    let order = project.graph()?.order();
    let request = Request {
        applied: args.applied.clone(),
        applied_ids: Vec::new(),
        target: args.target.clone(),
        deployed: args.deployed.clone(),
    };
    let plan = plan(
        &project.catalog,
        &project.config,
        project.analysis()?,
        project.releases()?,
        &order,
        &request,
    )?;
    write_stdout(|out| write_plan(out, &plan, args.format))?;
    Ok(if plan.steps.iter().any(|s| s.status == Status::Blocked) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

fn online_plan(args: &PlanArgs, url_text: &str) -> miette::Result<Outcome> {
    let url = DbUrl::parse(url_text)?;
    let loaded = Project::open(&args.catalog)?.prepare()?;
    loaded.check_dialect(&url)?;
    let mut settings = loaded.settings(&ConnectionArgs::default(), &RunnerArgs::default())?;
    settings.history = loaded.history_table(
        args.history_table.as_deref(),
        args.history_schema.as_deref(),
    );
    let request = ApplyRequest {
        to: args.target.clone(),
        deployed: args.deployed.clone(),
        live_from_db: args.live_from_db,
        ..ApplyRequest::default()
    };
    let (plan, drift) = with_runner(&loaded, &url, settings, async |runner| {
        let plan = runner.plan(&request).await?;
        let drift = runner.drift().await?;
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
    let url = url::from_args(args.connection.database_url.as_deref())?;
    let loaded = Project::open(&args.catalog)?.prepare()?;
    loaded.check_dialect(&url)?;
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
    let loaded = Project::open(&args.catalog)?.prepare()?;
    loaded.check_dialect(&url)?;
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
    let url = url::from_args(args.connection.database_url.as_deref())?;
    let loaded = Project::open(&args.catalog)?.prepare()?;
    loaded.check_dialect(&url)?;
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
    let loaded = Project::open(&args.catalog)?.prepare()?;
    loaded.check_dialect(&url)?;
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
    let loaded = Project::open(&args.catalog)?.prepare()?;
    let url = loaded.with_connect_timeout(&DbUrl::parse(&args.scratch_url)?)?;
    loaded.check_dialect(&url)?;
    let order = loaded.graph().order();
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
        let mut sum = loaded.sum()?.cloned().unwrap_or_else(|| SumFile {
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
            std::fs::write(&loaded.sum_path, sum.render())
                .map_err(|e| miette!("cannot write {}: {e}", loaded.sum_path.display()))?;
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
