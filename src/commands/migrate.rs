//! `bellows migrate plan`: the offline plan from the catalog and bellows.toml.

use super::catalog::{analyzed, load, locate};
use super::{write_stdout, Outcome};
use crate::catalog::analysis::graph_input;
use crate::cli::{MigrateArgs, MigrateCommand, PlanArgs};
use crate::graph::Graph;
use crate::plan::{plan, Request, Status};
use crate::report::plan::write_plan;

pub fn run(args: MigrateArgs) -> miette::Result<Outcome> {
    match args.command {
        MigrateCommand::Plan(args) => plan_command(&args),
    }
}

fn plan_command(args: &PlanArgs) -> miette::Result<Outcome> {
    let at = locate(&args.catalog)?;
    let catalog = load(&at.dir)?;
    let (analysis, releases) = analyzed(&at, &catalog)?;
    let graph = Graph::build(graph_input(&at.config, &analysis, &releases))?;
    let order = graph.order();
    let request = Request {
        applied: args.applied.clone(),
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
