//! `bellows migrate plan | apply | status --targets FILE`: one plan across many databases.
//! Glue only: read the project and the targets file, hand over to `fleet`, print what it
//! returns.

use super::{write_stdout, Outcome};
use crate::classify::phase::Phase;
use crate::cli::{ApplyArgs, PlanArgs, StatusArgs};
use crate::cli::{ConnectionArgs, FleetArgs, PhaseArg, RunnerArgs};
use crate::fleet::targets::{parse_labels, TargetsFile};
use crate::fleet::{self, Fleet, RolloutOptions, Verdict};
use crate::project::{Prepared, Project};
use crate::report::fleet::{write_fleet_plan, write_fleet_status, write_rollout, FleetView};
use crate::runner::{ApplyRequest, Settings};
use miette::{miette, IntoDiagnostic};
use std::rc::Rc;

/// The project, the selected targets (each checked against the catalog's dialect) and
/// their waves.
fn fleet(
    args: &FleetArgs,
    loaded: Rc<Prepared>,
    settings: Settings,
) -> miette::Result<(Fleet, TargetsFile)> {
    let path = args
        .targets
        .as_deref()
        .ok_or_else(|| miette!("--targets FILE is required"))?;
    let labels = parse_labels(&args.label)?;
    let file = TargetsFile::load(path, &labels)?;
    for t in &file.targets {
        loaded
            .check_dialect(&t.url)
            .map_err(|e| e.wrap_err(format!("target `{}` in {}", t.name, path.display())))?;
    }
    let concurrency = args.concurrency.or(file.strategy.concurrency).unwrap_or(4);
    if concurrency == 0 {
        return Err(miette!("--concurrency must be at least 1"));
    }
    let fleet = Fleet::new(
        loaded,
        file.targets.clone(),
        file.strategy.layout(file.targets.len()),
        concurrency,
        settings,
    );
    Ok((fleet, file))
}

pub fn apply(args: &ApplyArgs) -> miette::Result<Outcome> {
    if args.dry_run {
        return Err(miette!(
            help = "`bellows migrate plan --targets FILE` shows every target's steps",
            "--dry-run does not combine with --targets"
        ));
    }
    let loaded = Rc::new(Project::open(&args.catalog)?.prepare()?);
    let mut settings = loaded.settings(&args.connection, &args.runner)?;
    settings.allow_drift = args.allow_drift;
    let (fleet, file) = fleet(&args.fleet, loaded, settings)?;
    let options = RolloutOptions {
        request: ApplyRequest {
            to: args.to.clone(),
            phase: args.phase.map(|p| match p {
                PhaseArg::Expand => Phase::Expand,
                PhaseArg::Backfill => Phase::Backfill,
                PhaseArg::Contract => Phase::Contract,
            }),
            deployed: args.live.deployed.clone(),
            live_from_db: args.live.live_from_db,
            dry_run: false,
        },
        pause_ms: file.strategy.pause_ms,
        health_query: file.strategy.health_query.clone(),
    };
    let view = Rc::new(FleetView::new(
        fleet.targets.iter().map(|t| t.name.as_str()),
    ));
    let report = fleet::block_on(fleet::rollout(
        Rc::new(fleet),
        Rc::new(options),
        view.clone(),
    ))
    .into_diagnostic()?;
    view.finish();
    write_stdout(|out| write_rollout(out, &report, args.format))?;
    let targets = args
        .fleet
        .targets
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match report.verdict {
        Verdict::Done => Ok(Outcome::Clean),
        Verdict::Blocked => Ok(Outcome::Findings),
        Verdict::Failed => {
            let failed: Vec<&str> = report
                .targets
                .iter()
                .filter(|t| t.result.is_failure())
                .map(|t| t.name.as_str())
                .collect();
            Err(miette!(
                help = format!(
                    "fix the cause, then run `bellows migrate apply --targets {targets}` again: targets already done report nothing to do, the rest continue"
                ),
                "the rollout halted: {} failed (see the summary)",
                failed.join(", ")
            ))
        }
    }
}

pub fn plan(args: &PlanArgs) -> miette::Result<Outcome> {
    let loaded = Rc::new(Project::open(&args.catalog)?.prepare()?);
    let mut settings = loaded.settings(&ConnectionArgs::default(), &RunnerArgs::default())?;
    settings.history = loaded.history_table(
        args.history_table.as_deref(),
        args.history_schema.as_deref(),
    );
    let (fleet, _) = fleet(&args.fleet, loaded, settings)?;
    let request = ApplyRequest {
        to: args.target.clone(),
        deployed: args.deployed.clone(),
        ..ApplyRequest::default()
    };
    let waves = fleet.wave_names();
    let concurrency = fleet.concurrency;
    let plans =
        fleet::block_on(fleet::plans(Rc::new(fleet), Rc::new(request))).into_diagnostic()?;
    write_stdout(|out| write_fleet_plan(out, &waves, concurrency, &plans, args.format))?;
    if let Some(p) = plans.iter().find(|p| p.error.is_some()) {
        return Err(miette!(
            "cannot plan {}: {}",
            p.name,
            p.error.as_deref().unwrap_or_default()
        ));
    }
    let blocked = plans.iter().any(|p| {
        p.plan.as_ref().is_some_and(|plan| {
            plan.steps
                .iter()
                .any(|s| s.status == crate::plan::Status::Blocked)
        })
    });
    Ok(if blocked {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

pub fn status(args: &StatusArgs) -> miette::Result<Outcome> {
    let loaded = Rc::new(Project::open(&args.catalog)?.prepare()?);
    let settings = loaded.settings(&args.connection, &RunnerArgs::default())?;
    let (fleet, _) = fleet(&args.fleet, loaded, settings)?;
    let statuses = fleet::block_on(fleet::statuses(Rc::new(fleet))).into_diagnostic()?;
    write_stdout(|out| write_fleet_status(out, &statuses, args.format))?;
    let unreachable: Vec<&str> = statuses
        .iter()
        .filter(|s| s.error.is_some())
        .map(|s| s.name.as_str())
        .collect();
    if !unreachable.is_empty() {
        return Err(miette!(
            "cannot read the state of {}",
            unreachable.join(", ")
        ));
    }
    Ok(
        if statuses
            .iter()
            .any(|s| s.status.as_ref().is_some_and(|c| c.needs_attention()))
        {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
    )
}
