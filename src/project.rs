//! The project on disk, found and read once: where `bellows.toml`, the migrations directory
//! and `bellows.sum` are, the configuration, the catalog, and — read on first use, since
//! they cost — the analysis (the catalog linted in order, the releases checked against every
//! state), the dependency graph and the sum file.
//!
//! Every command that works on the catalog (`catalog …`, `migrate …`, `--targets`, `trace`)
//! opens a [`Project`]; no command module reaches into another one for it.

use crate::catalog::analysis::{analyze, check_releases, graph_input, Analysis, ReleaseCheck};
use crate::catalog::layout::Catalog;
use crate::catalog::sum::{self, Proof, SumFile};
use crate::cli::settings::{lint_settings, load_config};
use crate::cli::{CatalogDirArgs, ConnectionArgs, DialectArgs, RuleSelectionArgs, RunnerArgs};
use crate::config::{parse_duration_ms, Config};
use crate::graph::{Graph, GraphError};
use crate::runner::history::HistoryTable;
use crate::runner::url::DbUrl;
use crate::runner::Settings;
use miette::{miette, IntoDiagnostic};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// A project: its places, configuration and catalog, with the costly parts read lazily.
pub struct Project {
    /// The migrations directory.
    pub dir: PathBuf,
    /// Where `bellows.sum` is (or would be).
    pub sum_path: PathBuf,
    pub config: Config,
    /// The directory of bellows.toml (release query paths are relative to it).
    pub config_dir: PathBuf,
    dialect: DialectArgs,
    pub catalog: Catalog,
    analysis: OnceCell<(Analysis, Vec<ReleaseCheck>)>,
    graph: OnceCell<Result<Graph, GraphError>>,
    sum: OnceCell<Option<SumFile>>,
}

/// Runs `init` the first time, keeps its value; an error is returned and not kept.
fn once<T>(cell: &OnceCell<T>, init: impl FnOnce() -> miette::Result<T>) -> miette::Result<&T> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = init()?;
    Ok(cell.get_or_init(|| v))
}

impl Project {
    /// Finds the project (see [`locate`]) and reads its catalog.
    pub fn open(args: &CatalogDirArgs) -> miette::Result<Project> {
        let (dir, sum_path, config, config_dir, dialect) = locate(args)?;
        // The configured dialect picks an engine's scripts in a per-engine (ory/pop) directory.
        let engine = config.dialect.as_deref().and_then(|d| d.parse().ok());
        let catalog = Catalog::load_for(&dir, engine)?;
        // The same notes `lint` gives for the same directory.
        for skipped in &catalog.skipped {
            eprintln!("note: {skipped}");
        }
        Ok(Project {
            dir,
            sum_path,
            config,
            config_dir,
            dialect,
            catalog,
            analysis: OnceCell::new(),
            graph: OnceCell::new(),
            sum: OnceCell::new(),
        })
    }

    /// The project of the migration a `PATH|ID` argument names: `--dir`, else the
    /// migrations directory the path lives in, else the configured one.
    pub fn open_for(args: &CatalogDirArgs, migration: &str) -> miette::Result<Project> {
        let args = CatalogDirArgs {
            dir: args
                .dir
                .clone()
                .or_else(|| catalog_dir_of(Path::new(migration))),
            ..args.clone()
        };
        Project::open(&args)
    }

    /// The dialect flags the configuration was read with (for lint settings).
    pub fn dialect_args(&self) -> &DialectArgs {
        &self.dialect
    }

    /// The catalog linted in order, and the releases checked against every state.
    fn analyzed(&self) -> miette::Result<&(Analysis, Vec<ReleaseCheck>)> {
        once(&self.analysis, || {
            let settings = lint_settings(
                &self.config,
                &self.dialect,
                &RuleSelectionArgs::default(),
                false,
            )?;
            let analysis = analyze(&self.catalog, &settings).into_diagnostic()?;
            let releases = check_releases(&self.config, &self.config_dir, &settings, &analysis)?;
            Ok((analysis, releases))
        })
    }

    pub fn analysis(&self) -> miette::Result<&Analysis> {
        Ok(&self.analyzed()?.0)
    }

    pub fn releases(&self) -> miette::Result<&[ReleaseCheck]> {
        Ok(&self.analyzed()?.1)
    }

    /// The dependency graph, or why it cannot be built (a cycle, a missing dependency).
    pub fn graph_result(&self) -> miette::Result<Result<&Graph, &GraphError>> {
        let (analysis, releases) = self.analyzed()?;
        let built = once(&self.graph, || {
            Ok(Graph::build(graph_input(&self.config, analysis, releases)))
        })?;
        Ok(built.as_ref())
    }

    /// The dependency graph; a cycle or a missing dependency is an error.
    pub fn graph(&self) -> miette::Result<&Graph> {
        match self.graph_result()? {
            Ok(g) => Ok(g),
            // The error again, owned (a diagnostic cannot be cloned).
            Err(_) => {
                let (analysis, releases) = self.analyzed()?;
                match Graph::build(graph_input(&self.config, analysis, releases)) {
                    Err(e) => Err(e.into()),
                    Ok(_) => Err(miette!("the dependency graph cannot be built")),
                }
            }
        }
    }

    /// The sum file, if there is one.
    pub fn sum(&self) -> miette::Result<Option<&SumFile>> {
        Ok(once(&self.sum, || read_sum(&self.sum_path))?.as_ref())
    }

    /// Everything the runner reads, read now: fails on the first problem.
    pub fn prepare(self) -> miette::Result<Prepared> {
        self.graph()?;
        let proofs = self.sum()?.map(SumFile::parsed_proofs).unwrap_or_default();
        Ok(Prepared {
            project: self,
            proofs,
        })
    }

    /// The history table: the flags, else `[runner]` of bellows.toml, else the default.
    pub fn history_table(&self, table: Option<&str>, schema: Option<&str>) -> HistoryTable {
        let config = &self.config.runner;
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

    /// The runner's settings: the flags, else `[runner]` of bellows.toml.
    pub fn settings(
        &self,
        connection: &ConnectionArgs,
        runner: &RunnerArgs,
    ) -> miette::Result<Settings> {
        let config = &self.config.runner;
        let mut s = Settings {
            history: self.history_table(
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

    /// The URL with `[runner] connect-timeout` as its connect timeout when it sets none.
    pub fn with_connect_timeout(&self, url: &DbUrl) -> miette::Result<DbUrl> {
        let Some(t) = self.config.runner.connect_timeout.as_deref() else {
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
    pub fn check_dialect(&self, url: &DbUrl) -> miette::Result<()> {
        let configured = self.config.dialect.as_deref().unwrap_or("postgres");
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
}

/// A project with everything the runner reads already read (and valid).
pub struct Prepared {
    pub project: Project,
    proofs: Vec<Proof>,
}

impl Prepared {
    /// The runner's view of the project.
    pub fn view(&self) -> crate::runner::Project<'_> {
        let p = &self.project;
        let (analysis, releases) = p
            .analysis
            .get()
            .expect("Project::prepare read the analysis");
        let graph = match p.graph.get() {
            Some(Ok(g)) => g,
            _ => unreachable!("Project::prepare built the graph"),
        };
        crate::runner::Project {
            catalog: &p.catalog,
            config: &p.config,
            analysis,
            releases,
            graph,
            proofs: &self.proofs,
        }
    }

    pub fn graph(&self) -> &Graph {
        self.view().graph
    }
}

impl std::ops::Deref for Prepared {
    type Target = Project;
    fn deref(&self) -> &Project {
        &self.project
    }
}

impl crate::fleet::ProjectSource for Prepared {
    fn project(&self) -> crate::runner::Project<'_> {
        self.view()
    }
}

/// `--dir`, else `migrations` of bellows.toml (relative to it), else `./migrations`. The sum
/// file sits beside bellows.toml when that file's `migrations` is this directory, else in
/// the directory's parent; `--sum` overrides.
fn locate(
    args: &CatalogDirArgs,
) -> miette::Result<(PathBuf, PathBuf, Config, PathBuf, DialectArgs)> {
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
    Ok((
        dir,
        args.sum.clone().unwrap_or(default_sum),
        loaded.config,
        config_dir.unwrap_or(cwd),
        dialect,
    ))
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

/// The sum file at `path`, if there is one.
pub fn read_sum(path: &Path) -> miette::Result<Option<SumFile>> {
    match std::fs::read_to_string(path) {
        Ok(text) => SumFile::parse(&text)
            .map(Some)
            .map_err(|e| miette::Report::new(e).wrap_err(format!("in {}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(miette!("cannot read {}: {e}", path.display())),
    }
}

/// The migrations directory a path argument lives in: a migration's directory is in it,
/// an `up.sql` two levels down, any other script file directly.
pub fn catalog_dir_of(path: &Path) -> Option<PathBuf> {
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
pub fn resolve(catalog: &Catalog, arg: &str) -> miette::Result<String> {
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
        [] => Err(crate::trace::TraceError::UnknownMigration { id: arg.to_owned() }.into()),
        many => Err(miette!(
            help = "name it by its full id",
            "`{arg}` names {} migrations: {}",
            many.len(),
            many.join(", ")
        )),
    }
}
