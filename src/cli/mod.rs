//! The command line: clap definitions. Shared option groups are flattened into each
//! subcommand; `settings.rs` merges them with `bellows.toml`.

pub mod settings;

use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Make schema changes safe to ship while old and new releases run side by side.
#[derive(Debug, Parser)]
#[command(name = "bellows", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint migration files or directories for hazards, and name each change's phase.
    Lint(LintArgs),
    /// List every rule.
    Rules(RulesArgs),
    /// Print a rule's documentation.
    Explain(ExplainArgs),
    /// Read the migration catalog: list it, write or check bellows.sum.
    Catalog(CatalogArgs),
    /// Manage the git pre-commit hook that lints staged migrations.
    Hook(HookArgs),
    /// Plan (and later apply) the migrations: steps, phases and their gates.
    Migrate(MigrateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub command: MigrateCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum MigrateCommand {
    /// The ordered steps from the applied migrations to the target, and whether each may
    /// run while the live releases keep working (offline: from the catalog alone).
    Plan(PlanArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    /// The releases deployed now (default: `[deploy] live` of bellows.toml).
    #[arg(long, value_delimiter = ',', value_name = "VERSIONS")]
    pub deployed: Vec<String>,
    /// A release version (plan up to the migration it requires, and keep it working from
    /// there) or a migration id. Default: the last migration.
    #[arg(long, value_name = "RELEASE|MIGRATION")]
    pub target: Option<String>,
    /// The last migration already applied (default: none).
    #[arg(long, value_name = "ID")]
    pub applied: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub action: HookAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum HookAction {
    /// Write `.git/hooks/pre-commit` running `bellows lint --staged`.
    Install {
        /// Replace a pre-commit hook that bellows did not write.
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook bellows wrote (another hook is left alone).
    Uninstall,
}

/// Options that say which SQL is being read.
#[derive(Debug, Clone, Args, Default)]
pub struct DialectArgs {
    /// SQL dialect: postgres or mysql (default: bellows.toml, else postgres).
    #[arg(long, value_name = "DIALECT")]
    pub dialect: Option<String>,
    /// Engine version where behaviour differs: 16, 10, 8.0, mariadb-10.11 …
    #[arg(long, value_name = "VERSION")]
    pub engine_version: Option<String>,
    /// Configuration file (default: bellows.toml found upward from the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options that choose rules.
#[derive(Debug, Clone, Args, Default)]
pub struct RuleSelectionArgs {
    /// Run only these rules (comma-separated; `all` includes opt-in rules).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Add these rules (opt-in ones) to the selection.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// Do not run these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// Migration files or directories (`-` reads standard input). Default: the
    /// `migrations` directory of bellows.toml, else the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub dialect: DialectArgs,
    #[command(flatten)]
    pub rules: RuleSelectionArgs,
    /// The runner wraps each migration in a transaction (a file can opt out with
    /// `-- bellows: no-transaction`).
    #[arg(long)]
    pub assume_in_transaction: bool,
    /// Report only files changed since this git revision (the schema model is still
    /// replayed from every earlier migration); an edit to a migration that existed at the
    /// revision is reported as `migration-edited`.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub changed_since: Option<String>,
    /// Lint the staged content of the files staged for the next commit (what the
    /// pre-commit hook runs); an edit to a committed migration is `migration-edited`.
    #[arg(long)]
    pub staged: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Name shown for standard input.
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    pub stdin_filename: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// A rule name, e.g. create-index-non-concurrent.
    pub rule: String,
}

#[derive(Debug, Clone, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub command: CatalogCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CatalogCommand {
    /// Write bellows.sum: chained checksums of every migration's files.
    Sum(CatalogDirArgs),
    /// Check the migrations against bellows.sum and name each one that changed.
    Check(CatalogDirArgs),
    /// List the migrations in order, with the layout they were found in.
    List(CatalogListArgs),
    /// Print the dependency graph of migrations and releases.
    Graph(CatalogGraphArgs),
    /// A report for reviewers: migrations, the release × state matrix and the graph.
    Report(CatalogReportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CatalogReportArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    /// Markdown (a pull-request comment), one self-contained HTML page, or JSON.
    #[arg(long, value_enum, default_value = "md")]
    pub format: crate::report::catalog::ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Debug, Clone, Args)]
pub struct CatalogGraphArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    /// Graphviz DOT or a Mermaid flowchart.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,
}

/// Which catalog to read.
#[derive(Debug, Clone, Args, Default)]
pub struct CatalogDirArgs {
    /// Migrations directory (default: `migrations` of bellows.toml, else ./migrations).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Configuration file (default: bellows.toml found upward from the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The sum file (default: bellows.sum beside bellows.toml, else in DIR's parent).
    #[arg(long, value_name = "FILE")]
    pub sum: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CatalogListArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}
