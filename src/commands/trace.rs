//! `bellows trace`: find the migration in the catalog, trace it on a scratch database on
//! the URL's server, print what the server did and where the linter disagrees.
//!
//! Glue only: the tracing is `trace/`, the rendering `report/trace.rs`. Exit status: 0 when
//! the server agrees with the linter, 1 when it disagrees somewhere, 2 when the trace
//! could not run or the server refused a statement.

use super::{write_stdout, Outcome};
use crate::catalog::layout::Catalog;
use crate::cli::{CatalogDirArgs, TraceArgs};
use crate::dialect::Dialect;
use crate::project::Project;
use crate::report::trace::write_trace;
use crate::runner::url::{self, DbUrl};
use crate::trace::{trace, TraceError, TraceInput, TraceOptions};
use miette::{miette, IntoDiagnostic};
use std::path::{Path, PathBuf};

pub fn run(args: TraceArgs) -> miette::Result<Outcome> {
    let url = url::from_args(args.database_url.as_deref())?;
    let dir_args = CatalogDirArgs {
        dir: args
            .catalog
            .dir
            .clone()
            .or_else(|| catalog_dir_of(Path::new(&args.migration))),
        ..args.catalog.clone()
    };
    let project = Project::open(&dir_args)?;
    let catalog = &project.catalog;
    let configured = project.config.dialect.as_deref().unwrap_or("postgres");
    let configured_mysql = matches!(configured, "mysql" | "mariadb");
    if configured_mysql != (url.dialect() == Dialect::Mysql) {
        return Err(miette!(
            help = "set `dialect` in bellows.toml to match the database",
            "bellows.toml says the migrations are {configured}, but {} is a {} server",
            url.redacted(),
            url.dialect().as_str()
        ));
    }
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

fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .into_diagnostic()
}

/// The migrations directory a path argument lives in: a migration's directory is in it,
/// an `up.sql` two levels down, any other script file directly.
fn catalog_dir_of(path: &Path) -> Option<PathBuf> {
    if path.is_dir() {
        return path.parent().map(Path::to_path_buf);
    }
    if !path.is_file() {
        return None;
    }
    let parent = path.parent()?;
    if path.file_name().is_some_and(|n| n == "up.sql") {
        parent.parent().map(Path::to_path_buf)
    } else {
        Some(parent.to_path_buf())
    }
    .filter(|p| !p.as_os_str().is_empty())
    .or_else(|| Some(PathBuf::from(".")))
}

/// The migration id a `PATH|ID` argument names: a migration directory, its up script, an
/// id, or a unique id prefix (`0004`).
fn resolve(catalog: &Catalog, arg: &str) -> miette::Result<String> {
    let path = Path::new(arg);
    if path.exists() {
        let wanted = path.canonicalize().into_diagnostic()?;
        for m in &catalog.migrations {
            let Ok(up) = m.up.canonicalize() else {
                continue;
            };
            if up == wanted || (path.is_dir() && up.parent() == Some(wanted.as_path())) {
                return Ok(m.id.clone());
            }
        }
        return Err(miette!(
            help = "`bellows catalog list` shows the migrations",
            "{arg} is not a migration of the catalog at {}",
            catalog.root.display()
        ));
    }
    if catalog.get(arg).is_some() {
        return Ok(arg.to_owned());
    }
    let matches: Vec<&str> = catalog
        .migrations
        .iter()
        .filter(|m| m.id.starts_with(arg) || m.version == arg)
        .map(|m| m.id.as_str())
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(TraceError::UnknownMigration { id: arg.to_owned() }.into()),
        many => Err(miette!(
            help = "name it by its full id",
            "`{arg}` names {} migrations: {}",
            many.len(),
            many.join(", ")
        )),
    }
}
