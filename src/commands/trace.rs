//! `bellows trace`: find the migration in the catalog, trace it on a scratch database on
//! the URL's server, print what the server did and where the linter disagrees.
//!
//! Glue only: the tracing is `trace/`, the rendering `report/trace.rs`. Exit status: 0 when
//! the server agrees with the linter, 1 when it disagrees somewhere, 2 when the trace
//! could not run or the server refused a statement.

use super::{runtime, write_stdout, Outcome};
use crate::cli::TraceArgs;
use crate::project::{resolve, Project};
use crate::report::trace::write_trace;
use crate::runner::url::{self, DbUrl};
use crate::trace::{trace, TraceError, TraceInput, TraceOptions};
use miette::miette;

pub fn run(args: TraceArgs) -> miette::Result<Outcome> {
    let url = url::from_args(args.database_url.as_deref())?;
    let project = Project::open_for(&args.catalog, &args.migration)?;
    let catalog = &project.catalog;
    project.check_dialect(&url)?;
    let id = resolve(catalog, &args.migration)?;
    let input = TraceInput::from_catalog(catalog, &id)?;
    let result = runtime()?.block_on(traced(&input, &url));
    let trace = result?;
    write_stdout(|out| write_trace(out, &trace, args.format))?;
    if let Some(failed) = trace.failed_statement() {
        return Err(miette!(
            help = "fix the statement, or the migrations before it, then rerun `bellows trace`",
            "{id}: statement {} (line {}) failed on {}: {}",
            failed.number,
            failed.line,
            trace.engine,
            failed.error.as_deref().unwrap_or_default()
        ));
    }
    Ok(if trace.disagreements().is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

async fn traced(input: &TraceInput, url: &DbUrl) -> Result<crate::trace::Trace, TraceError> {
    let mut progress = |line: &str| crate::report::run::progress_line(line);
    trace(input, url, &TraceOptions::default(), &mut progress).await
}
