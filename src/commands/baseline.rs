//! `bellows migrate baseline --to ID | --from TOOL`: load the project, find the migrations
//! the database already holds, hand them to the runner's baseline, print what it did.

use super::{connect, runtime, write_stdout, Outcome};
use crate::catalog::layout::Catalog;
use crate::cli::{BaselineArgs, ListFormat};
use crate::report::run::TextEvents;
use crate::runner::baseline::{difference_lines, BaselineOutcome, BaselineRequest};
use crate::runner::import::{self, ForeignTable, ImportError, Mapping, Tool};
use crate::runner::url::{self, DbUrl};
use crate::runner::{AnyBackend, Runner};
use miette::miette;
use std::io::Write;

/// What `--from` found in the other tool's table.
struct Imported {
    tool: Tool,
    table: ForeignTable,
    mapping: Mapping,
}

pub fn run(args: &BaselineArgs) -> miette::Result<Outcome> {
    let url = url::from_args(args.connection.database_url.as_deref())?;
    let loaded = crate::project::Project::open(&args.catalog)?.prepare()?;
    loaded.check_dialect(&url)?;
    let url = loaded.with_connect_timeout(&url)?;
    let settings = loaded.settings(&args.connection, &args.runner)?;
    let scratch = match (&args.scratch_url, args.no_proof) {
        (_, true) => None,
        (Some(u), false) => {
            let s = loaded.with_connect_timeout(&DbUrl::parse(u)?)?;
            if s.dialect() != url.dialect() {
                return Err(miette!(
                    "the scratch server {} is {}, but the database is {}",
                    s.redacted(),
                    s.dialect().as_str(),
                    url.dialect().as_str()
                ));
            }
            Some(s)
        }
        // The database's own server: the scratch database is made beside it.
        (None, false) => Some(url.clone()),
    };
    let project = loaded.view();
    let catalog = project.catalog;
    let mut events = TextEvents::new();
    let result = runtime()?.block_on(async {
        let b = connect(&url).await?;
        let mut runner = Runner::new(b, project, settings, &mut events);
        let (ids, imported) = match (&args.to, args.from) {
            (Some(to), _) => (up_to(catalog, to)?, None),
            (None, Some(tool)) => {
                let table = ForeignTable::new(tool, args.from_table.as_deref());
                let imported = read_foreign(&mut runner, catalog, tool, table).await?;
                (imported.mapping.applied.clone(), Some(imported))
            }
            (None, None) => unreachable!("clap requires --to or --from"),
        };
        if let Some(i) = &imported {
            if !i.mapping.missing.is_empty() && !args.force {
                return Err(miette!(
                    help = "add the missing migrations to the catalog (or point --catalog at the right directory), or pass --force to record the others",
                    "{} ({}) applied version{} the catalog does not have: {}; nothing was recorded",
                    i.tool.name(),
                    i.table.display(),
                    if i.mapping.missing.len() == 1 { "" } else { "s" },
                    i.mapping.missing.join(", ")
                ));
            }
        }
        let request = BaselineRequest {
            ids,
            scratch,
            exclude: imported
                .iter()
                .map(|i| i.table.exclude_name())
                .collect(),
            force: args.force,
            dry_run: args.dry_run,
        };
        let outcome = runner.baseline(&request).await?;
        Ok::<_, miette::Report>((outcome, imported))
    });
    events.finish();
    let (outcome, imported) = result?;
    let history = loaded.settings(&args.connection, &args.runner)?.history;
    let history = history.sql(url.dialect());
    write_stdout(|out| match args.format {
        ListFormat::Text => write_outcome(out, &outcome, imported.as_ref(), &history),
        ListFormat::Json => write_json(out, &outcome, imported.as_ref(), &history),
    })?;
    Ok(Outcome::Clean)
}

/// Every catalog migration up to and including `to`, in catalog order.
fn up_to(catalog: &Catalog, to: &str) -> miette::Result<Vec<String>> {
    let at = catalog
        .migrations
        .iter()
        .position(|m| m.id == to)
        .ok_or_else(|| {
            miette!(
                help = "`bellows catalog list` shows the migrations' ids",
                "no migration `{to}` in the catalog"
            )
        })?;
    Ok(catalog.migrations[..=at]
        .iter()
        .map(|m| m.id.clone())
        .collect())
}

async fn read_foreign(
    runner: &mut Runner<'_, AnyBackend>,
    catalog: &Catalog,
    tool: Tool,
    table: ForeignTable,
) -> miette::Result<Imported> {
    let foreign = import::read(runner.backend(), tool, &table)
        .await
        .map_err(|e| match e {
            ImportError::NoTable => miette!(
                help = "name the table with --from-table [schema.]table",
                "the database has no table {} ({}'s history)",
                table.display(),
                tool.name()
            ),
            ImportError::Dirty(why) => miette!(
                help = "settle it with that tool first; nothing was recorded",
                "{} ({}) is not settled: {why}",
                tool.name(),
                table.display()
            ),
            ImportError::Db(e) => miette!(
                "cannot read {} ({}'s history): {}",
                table.display(),
                tool.name(),
                url::redact(&e.to_string())
            ),
        })?;
    let mapping = import::map(catalog, tool, &foreign);
    Ok(Imported {
        tool,
        table,
        mapping,
    })
}

/// `{"history": …, "recorded": […], "already": […], "proven": …, "differences": …,
/// "dry_run": …, "from": {"tool", "table", "applied", "missing", "gaps"}}`.
fn write_json(
    out: &mut dyn Write,
    o: &BaselineOutcome,
    imported: Option<&Imported>,
    history: &str,
) -> std::io::Result<()> {
    let mut value = serde_json::to_value(o).map_err(std::io::Error::other)?;
    value["history"] = serde_json::Value::from(history);
    if let Some(i) = imported {
        let mut from = serde_json::to_value(&i.mapping).map_err(std::io::Error::other)?;
        from["tool"] = serde_json::Value::from(i.tool.name());
        from["table"] = serde_json::Value::from(i.table.display());
        value["from"] = from;
    }
    let text = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}

fn write_outcome(
    out: &mut dyn Write,
    o: &BaselineOutcome,
    imported: Option<&Imported>,
    history: &str,
) -> std::io::Result<()> {
    if let Some(i) = imported {
        writeln!(
            out,
            "{} ({}): {} applied migration{} found in the catalog",
            i.tool.name(),
            i.table.display(),
            i.mapping.applied.len(),
            if i.mapping.applied.len() == 1 {
                ""
            } else {
                "s"
            }
        )?;
        if !i.mapping.missing.is_empty() {
            writeln!(
                out,
                "  applied there, missing from the catalog (not recorded, --force): {}",
                i.mapping.missing.join(", ")
            )?;
        }
        if !i.mapping.gaps.is_empty() {
            writeln!(
                out,
                "  warning: not applied there, but before applied ones (gaps; `migrate apply` will run them): {}",
                i.mapping.gaps.join(", ")
            )?;
        }
    }
    if o.proven {
        match &o.differences {
            None => writeln!(
                out,
                "schema: the database matches what the migrations build (replayed on a scratch database)"
            )?,
            Some(d) => {
                writeln!(
                    out,
                    "schema: the database differs from what the migrations build; recorded anyway (--force):"
                )?;
                for line in difference_lines(d) {
                    writeln!(out, "  {line}")?;
                }
                write!(out, "{}", d.diff)?;
            }
        }
    } else {
        writeln!(out, "schema: not compared (--no-proof)")?;
    }
    if !o.already.is_empty() {
        writeln!(out, "already applied: {}", o.already.join(", "))?;
    }
    if o.recorded.is_empty() {
        writeln!(out, "nothing to record")?;
        return Ok(());
    }
    let verb = if o.dry_run {
        "would record"
    } else {
        "recorded"
    };
    writeln!(
        out,
        "{verb} {} migration{} as applied (baseline) in {history}:",
        o.recorded.len(),
        if o.recorded.len() == 1 { "" } else { "s" }
    )?;
    for id in &o.recorded {
        writeln!(out, "  {id}")?;
    }
    if o.dry_run {
        writeln!(out, "dry run: nothing was recorded")?;
    }
    Ok(())
}
