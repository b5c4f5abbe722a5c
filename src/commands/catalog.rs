//! `bellows catalog sum | check | list`: find the migrations directory and bellows.sum, read
//! the catalog, print what was found.

use super::{write_stdout, Outcome};
use crate::catalog::analysis::{analyze, check_releases, graph_input, Analysis, ReleaseCheck};
use crate::catalog::layout::Catalog;
use crate::catalog::sum::{self, SumFile, SumProblem};
use crate::cli::settings::lint_settings;
use crate::cli::settings::load_config;
use crate::cli::{
    CatalogArgs, CatalogCommand, CatalogDirArgs, CatalogListArgs, DialectArgs, ListFormat,
};
use crate::cli::{CatalogGraphArgs, GraphFormat, RuleSelectionArgs};
use crate::config::Config;
use crate::graph::Graph;
use miette::{miette, IntoDiagnostic};
use std::path::{Path, PathBuf};

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
    let at = locate(&args.catalog)?;
    let catalog = load(&at.dir)?;
    let (analysis, releases) = analyzed(&at, &catalog)?;
    let graph = Graph::build(graph_input(&at.config, &analysis, &releases))?;
    let proofs = read_sum(&at.sum)?.map(|s| s.proofs).unwrap_or_default();
    let input = crate::report::catalog::CatalogReportInput {
        catalog: &catalog,
        analysis: &analysis,
        releases: &releases,
        graph: &graph,
        proofs: &proofs,
    };
    write_stdout(|out| crate::report::catalog::write_catalog_report(out, &input, args.format))?;
    Ok(Outcome::Clean)
}

/// The catalog linted in order, and the releases checked against every state.
pub(crate) fn analyzed(
    at: &Located,
    catalog: &Catalog,
) -> miette::Result<(Analysis, Vec<ReleaseCheck>)> {
    let settings = lint_settings(
        &at.config,
        &at.dialect,
        &RuleSelectionArgs::default(),
        false,
    )?;
    let analysis = analyze(catalog, &settings).into_diagnostic()?;
    let releases = check_releases(&at.config, &at.config_dir, &settings, &analysis)?;
    Ok((analysis, releases))
}

/// `bellows catalog graph`: the dependency graph as Graphviz DOT or Mermaid.
fn graph(args: &CatalogGraphArgs) -> miette::Result<Outcome> {
    let at = locate(&args.catalog)?;
    let catalog = load(&at.dir)?;
    let (analysis, releases) = analyzed(&at, &catalog)?;
    let graph = Graph::build(graph_input(&at.config, &analysis, &releases))?;
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

/// Where the migrations and the sum file are, and the configuration in force.
pub(crate) struct Located {
    pub(crate) dir: PathBuf,
    pub(crate) sum: PathBuf,
    pub(crate) config: Config,
    /// The directory of bellows.toml (release query paths are relative to it).
    pub(crate) config_dir: PathBuf,
    pub(crate) dialect: DialectArgs,
}

/// `--dir`, else `migrations` of bellows.toml (relative to it), else `./migrations`. The sum
/// file sits beside bellows.toml when that file's `migrations` is this directory, else in
/// the directory's parent; `--sum` overrides.
pub(crate) fn locate(args: &CatalogDirArgs) -> miette::Result<Located> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let dialect = DialectArgs {
        config: args.config.clone(),
        ..DialectArgs::default()
    };
    let start = args.dir.as_deref().unwrap_or(&cwd);
    let loaded = load_config(&dialect, start)?;
    let config_dir = loaded
        .path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    let configured = |base: &Path| base.join(configured_dir(&loaded.config));
    let (dir, default_sum) = match (&args.dir, &config_dir) {
        (None, Some(base)) => (configured(base), base.join(sum::FILE_NAME)),
        (None, None) => (cwd.join("migrations"), cwd.join(sum::FILE_NAME)),
        (Some(dir), base) => {
            let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
            let sum_dir = match base {
                Some(base) if same(&configured(base), dir) => base.clone(),
                _ => parent_of(dir),
            };
            (dir.clone(), sum_dir.join(sum::FILE_NAME))
        }
    };
    if !dir.is_dir() {
        return Err(miette!(
            help = "name it with `--dir DIR`, or set `migrations = \"…\"` in bellows.toml",
            "no migrations directory at {}",
            dir.display()
        ));
    }
    Ok(Located {
        dir,
        sum: args.sum.clone().unwrap_or(default_sum),
        config_dir: config_dir.unwrap_or(cwd),
        config: loaded.config,
        dialect,
    })
}

fn configured_dir(config: &Config) -> &str {
    config.migrations.as_deref().unwrap_or("migrations")
}

fn parent_of(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub(crate) fn load(dir: &Path) -> miette::Result<Catalog> {
    let catalog = Catalog::load(dir)?;
    // The same notes `lint` gives for the same directory.
    for skipped in &catalog.skipped {
        eprintln!("note: {skipped}");
    }
    Ok(catalog)
}

/// The sum file, if there is one.
pub(crate) fn read_sum(path: &Path) -> miette::Result<Option<SumFile>> {
    match std::fs::read_to_string(path) {
        Ok(text) => SumFile::parse(&text)
            .map(Some)
            .map_err(|e| miette::Report::new(e).wrap_err(format!("in {}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(miette!("cannot read {}: {e}", path.display())),
    }
}

fn write_sum(args: &CatalogDirArgs) -> miette::Result<Outcome> {
    let at = locate(args)?;
    let catalog = load(&at.dir)?;
    let mut computed = sum::compute(&catalog)?;
    // Proofs written by `migrate verify` outlive a rewrite, even of a damaged file.
    if let Ok(old) = std::fs::read_to_string(&at.sum) {
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
    std::fs::write(&at.sum, computed.render())
        .map_err(|e| miette!("cannot write {}: {e}", at.sum.display()))?;
    write_stdout(|out| {
        writeln!(
            out,
            "wrote {}: {} migration{} ({} layout)",
            at.sum.display(),
            computed.entries.len(),
            plural(computed.entries.len()),
            catalog.layout
        )
    })?;
    Ok(Outcome::Clean)
}

fn check(args: &CatalogDirArgs) -> miette::Result<Outcome> {
    let at = locate(args)?;
    let catalog = load(&at.dir)?;
    let recorded = read_sum(&at.sum)?;
    let (_, releases) = analyzed(&at, &catalog)?;
    let problems: Option<Vec<SumProblem>> = match &recorded {
        Some(s) => Some(sum::check(&catalog, s)?),
        None => None,
    };
    write_stdout(|out| {
        write_header(out, &catalog)?;
        let sum_status = match &problems {
            None => {
                writeln!(out, "error: no {} yet", at.sum.display())?;
                writeln!(out, "  help: run `bellows catalog sum` and commit the file")
            }
            Some(p) if p.is_empty() => {
                writeln!(out, "{}: every migration matches", at.sum.display())
            }
            Some(p) => {
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
                )
            }
        };
        sum_status?;
        write_matrix(out, &catalog, &releases)
    })?;
    Ok(match problems {
        Some(p) if p.is_empty() => Outcome::Clean,
        _ => Outcome::Findings,
    })
}

fn list(args: &CatalogListArgs) -> miette::Result<Outcome> {
    let at = locate(&args.catalog)?;
    let catalog = load(&at.dir)?;
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
            write_header(out, &catalog)?;
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
