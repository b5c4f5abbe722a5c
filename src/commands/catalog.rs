//! `bellows catalog sum | check | list | graph | report`: open the project
//! (`src/project.rs`), print what was found.

use super::{write_stdout, Outcome};
use crate::catalog::analysis::ReleaseCheck;
use crate::catalog::layout::Catalog;
use crate::catalog::sum::{self, SumFile, SumProblem};
use crate::cli::{CatalogArgs, CatalogCommand, CatalogDirArgs, CatalogListArgs, ListFormat};
use crate::cli::{CatalogGraphArgs, GraphFormat};
use crate::project::Project;
use miette::{miette, IntoDiagnostic};

pub fn run(args: CatalogArgs) -> miette::Result<Outcome> {
    match args.command {
        CatalogCommand::Sum(args) => write_sum(&args),
        CatalogCommand::Check(args) => check(&args),
        CatalogCommand::List(args) => list(&args),
        CatalogCommand::Graph(args) => graph(&args),
        CatalogCommand::Report(args) => report(&args),
    }
}

/// `bellows catalog report`: migrations, the release × state matrix and the graph, for
/// reviewers.
fn report(args: &crate::cli::CatalogReportArgs) -> miette::Result<Outcome> {
    let project = Project::open(&args.catalog)?;
    let proofs = project.sum()?.map(|s| s.proofs.clone()).unwrap_or_default();
    let input = crate::report::catalog::CatalogReportInput {
        catalog: &project.catalog,
        analysis: project.analysis()?,
        releases: project.releases()?,
        graph: project.graph()?,
        proofs: &proofs,
    };
    write_stdout(|out| crate::report::catalog::write_catalog_report(out, &input, args.format))?;
    Ok(Outcome::Clean)
}

/// `bellows catalog graph`: the dependency graph as Graphviz DOT or Mermaid.
fn graph(args: &CatalogGraphArgs) -> miette::Result<Outcome> {
    let project = Project::open(&args.catalog)?;
    let graph = project.graph()?;
    let text = match args.format {
        GraphFormat::Dot => graph.to_dot(),
        GraphFormat::Mermaid => graph.to_mermaid(),
    };
    write_stdout(|out| out.write_all(text.as_bytes()))?;
    Ok(Outcome::Clean)
}

/// The release × state matrix: for each release, whether it can run against the schema
/// after each migration, and the first problems where it cannot.
fn write_matrix(
    out: &mut dyn std::io::Write,
    catalog: &Catalog,
    releases: &[ReleaseCheck],
) -> std::io::Result<()> {
    if releases.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nreleases × schema states (after each migration):")?;
    for r in releases {
        let states: Vec<String> = r
            .per_state
            .iter()
            .enumerate()
            .skip(1)
            .zip(&catalog.migrations)
            .map(|((k, problems), m)| {
                if k < r.from {
                    return format!("{}: not deployed yet", m.id);
                }
                let errors = problems
                    .iter()
                    .filter(|p| p.severity == crate::rules::Severity::Error)
                    .count();
                if errors == 0 {
                    format!("{}: ok", m.id)
                } else {
                    format!("{}: {errors} problem{}", m.id, plural(errors))
                }
            })
            .collect();
        writeln!(out, "  {}", r.version)?;
        for s in &states {
            writeln!(out, "    {s}")?;
        }
        // Each problem once, at the first state where it appears.
        for (k, p) in r.first_appearances() {
            writeln!(out, "      after {}: {p}", catalog.migrations[k - 1].id)?;
        }
    }
    Ok(())
}

fn write_sum(args: &CatalogDirArgs) -> miette::Result<Outcome> {
    let project = Project::open(args)?;
    let (catalog, at_sum) = (&project.catalog, &project.sum_path);
    let mut computed = sum::compute(catalog)?;
    // Proofs written by `migrate verify` outlive a rewrite, even of a damaged file.
    if let Ok(old) = std::fs::read_to_string(at_sum) {
        computed.proofs = match SumFile::parse(&old) {
            Ok(parsed) => parsed.proofs,
            Err(_) => old
                .lines()
                .map(|l| l.trim_end_matches('\r'))
                .filter(|l| l.starts_with("proof "))
                .map(str::to_owned)
                .collect(),
        };
    }
    std::fs::write(at_sum, computed.render())
        .map_err(|e| miette!("cannot write {}: {e}", at_sum.display()))?;
    write_stdout(|out| {
        writeln!(
            out,
            "wrote {}: {} migration{} ({} layout)",
            at_sum.display(),
            computed.entries.len(),
            plural(computed.entries.len()),
            catalog.layout
        )
    })?;
    Ok(Outcome::Clean)
}

/// `bellows catalog check`: every problem of the catalog at once — the sum file (missing or
/// stale), the dependency graph (a cycle, a missing dependency), the analysis and the
/// releases — each with its own message; any of them makes the exit status 1. A sum file
/// that cannot be parsed stops it (exit 2): `bellows catalog sum` rewrites it.
fn check(args: &CatalogDirArgs) -> miette::Result<Outcome> {
    let project = Project::open(args)?;
    let catalog = &project.catalog;
    let sum_path = project.sum_path.display();
    // A sum file that cannot be read is a tool error, as with every command.
    let sum_problems: Option<Vec<SumProblem>> = match project.sum()? {
        Some(s) => Some(sum::check(catalog, s)?),
        None => None,
    };
    let analysis = project.releases();
    let graph = match &analysis {
        Ok(_) => Some(project.graph_result()?),
        Err(_) => None,
    };
    let mut failed = false;
    write_stdout(|out| {
        write_header(out, catalog)?;
        match &sum_problems {
            None => {
                failed = true;
                writeln!(out, "error: no {sum_path} yet")?;
                writeln!(out, "  help: run `bellows catalog sum` and commit the file")?;
            }
            Some(p) if p.is_empty() => {
                writeln!(out, "{sum_path}: every migration matches")?;
            }
            Some(p) => {
                failed = true;
                for problem in p {
                    writeln!(out, "error: {problem}")?;
                }
                writeln!(
                    out,
                    "  help: restore an edited or removed migration from git (one that has run must not change);"
                )?;
                writeln!(
                    out,
                    "        when the change is intended and nothing has applied it, run `bellows catalog sum`"
                )?;
            }
        }
        if let Err(e) = &analysis {
            failed = true;
            write_problem(out, e.as_ref())?;
        }
        if let Some(Err(e)) = &graph {
            failed = true;
            write_problem(out, *e)?;
        }
        match &analysis {
            Ok(releases) => write_matrix(out, catalog, releases),
            Err(_) => Ok(()),
        }
    })?;
    Ok(if failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// `error: MESSAGE`, its causes, and `help: …` when it has one.
fn write_problem(
    out: &mut dyn std::io::Write,
    problem: &dyn miette::Diagnostic,
) -> std::io::Result<()> {
    writeln!(out, "error: {problem}")?;
    let mut cause = std::error::Error::source(problem);
    while let Some(c) = cause {
        writeln!(out, "  caused by: {c}")?;
        cause = c.source();
    }
    if let Some(help) = problem.help() {
        let help = help.to_string();
        let mut lines = help.lines();
        if let Some(first) = lines.next() {
            writeln!(out, "  help: {first}")?;
        }
        for l in lines {
            writeln!(out, "        {l}")?;
        }
    }
    Ok(())
}

fn list(args: &CatalogListArgs) -> miette::Result<Outcome> {
    let project = Project::open(&args.catalog)?;
    let catalog = &project.catalog;
    let phase = |m: &crate::catalog::layout::Migration| {
        m.meta
            .phase
            .map(|p| format!("{:?}", p).to_ascii_lowercase())
    };
    match args.format {
        ListFormat::Json => {
            let migrations: Vec<serde_json::Value> = catalog
                .migrations
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id,
                        "version": m.version,
                        "name": m.name,
                        "phase": phase(m),
                        "requires": m.meta.requires,
                        "up": m.up,
                        "down": m.down.is_some(),
                        "verify": m.verify.is_some(),
                    })
                })
                .collect();
            let value = serde_json::json!({
                "root": catalog.root,
                "layout": catalog.layout,
                "migrations": migrations,
                "repeatables": catalog.repeatables,
                "not_migrations": catalog.skipped.iter().map(|s| serde_json::json!({
                    "path": s.path, "reason": s.reason,
                })).collect::<Vec<_>>(),
            });
            let text = serde_json::to_string_pretty(&value).into_diagnostic()?;
            write_stdout(|out| writeln!(out, "{text}"))?;
        }
        ListFormat::Text => write_stdout(|out| {
            write_header(out, catalog)?;
            let width = catalog
                .migrations
                .iter()
                .map(|m| m.id.len())
                .max()
                .unwrap_or(0);
            for m in &catalog.migrations {
                let mut extras = Vec::new();
                if m.down.is_some() {
                    extras.push("down");
                }
                if m.verify.is_some() {
                    extras.push("verify");
                }
                writeln!(
                    out,
                    "{:width$}  {:8}  {}",
                    m.id,
                    phase(m).unwrap_or_else(|| "-".into()),
                    if extras.is_empty() {
                        "up only".to_owned()
                    } else {
                        format!("up, {}", extras.join(", "))
                    }
                )?;
            }
            for r in &catalog.repeatables {
                let name = r.file_name().map(|n| n.to_string_lossy().into_owned());
                writeln!(out, "repeatable: {}", name.unwrap_or_default())?;
            }
            Ok(())
        })?,
    }
    Ok(Outcome::Clean)
}

/// `DIR: N migrations, layout …`.
fn write_header(out: &mut dyn std::io::Write, catalog: &Catalog) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} migration{}, layout {}",
        catalog.root.display(),
        catalog.migrations.len(),
        plural(catalog.migrations.len()),
        catalog.layout.describe()
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
