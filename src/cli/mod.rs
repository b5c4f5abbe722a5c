//! The command line: clap definitions. Shared option groups are flattened into each
//! subcommand; `settings.rs` merges them with `bellows.toml`.

pub mod color;
pub mod settings;

use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Make schema changes safe to ship while old and new releases run side by side.
#[derive(Debug, Parser)]
#[command(name = "bellows", version, about, long_about = None)]
pub struct Cli {
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub color: color::ColorChoice,
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
    /// Plan, apply, roll back and verify migrations against a database.
    Migrate(MigrateArgs),
    /// Run a migration on a scratch database and record the locks each statement takes,
    /// what they block, and what was rewritten; cross-check the linter's lock facts.
    Trace(TraceArgs),
    /// Replace a breaking migration with the expand / backfill / contract migrations that
    /// make the same change while old and new releases run side by side.
    Rewrite(RewriteArgs),
    /// Run a Language Server Protocol server on standard input and output: diagnostics,
    /// rule pages on hover, fixes as code actions (see docs/editors.md).
    Lsp,
    /// Print a shell completion script (e.g. `bellows completions bash > ~/.local/share/bash-completion/completions/bellows`).
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on standard output: `bellows man > bellows.1`.
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct RewriteArgs {
    /// The migration: its directory, its up script, or its id in the catalog.
    #[arg(value_name = "PATH|ID")]
    pub migration: String,
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    /// Print the changes as a unified diff; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How the new value is computed from the row: for a type change whose cast can fail,
    /// or the value of a new NOT NULL column in the existing rows (an SQL expression).
    #[arg(long, value_name = "EXPR")]
    pub using: Option<String>,
    /// The new column's name for a type change (default: `<column>_new`).
    #[arg(long, value_name = "NAME")]
    pub new_column: Option<String>,
    /// Rows per batch of the backfill: fixed pacing. Without it the backfill paces itself
    /// (adaptive batch size and pause, docs/runner.md#pacing).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    /// The migration: its directory, its up script, or its id in the catalog.
    #[arg(value_name = "PATH|ID")]
    pub migration: String,
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    /// The server to trace on: bellows creates a scratch database there, replays the
    /// migrations before this one, traces it, and drops the scratch database. The database
    /// the URL names is never changed.
    #[arg(long, value_name = "URL", alias = "scratch-url")]
    pub database_url: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: TraceFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    Text,
    Json,
    Md,
}

/// `--targets`: many databases, rolled out like a canary deployment.
#[derive(Debug, Clone, Args, Default)]
pub struct FleetArgs {
    /// A targets file (name, URL or the environment variable holding it, labels, and the
    /// rollout strategy); see docs/fleet.md.
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    pub targets: Option<PathBuf>,
    /// Only the targets with this label (`key=value`); repeatable.
    #[arg(long, value_name = "KEY=VALUE", requires = "targets")]
    pub label: Vec<String>,
    /// How many targets run at once (default: the file's `concurrency`, else 4).
    #[arg(long, value_name = "N", requires = "targets")]
    pub concurrency: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub command: MigrateCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum MigrateCommand {
    /// The ordered steps from the applied migrations to the target, and whether each may
    /// run while the live releases keep working (from the catalog alone, or from a
    /// database's history with --database-url, with drift).
    Plan(PlanArgs),
    /// Apply pending migrations, phase by phase, stopping before a blocked step.
    Apply(ApplyArgs),
    /// Roll back applied migrations with their proven down scripts, newest first.
    Rollback(RollbackArgs),
    /// Applied, pending and dirty migrations, the lock holder, the last runs.
    Status(StatusArgs),
    /// Settle a step that started and never finished.
    Resolve(ResolveArgs),
    /// Prove every down script on a scratch database and record the proofs in bellows.sum.
    Verify(VerifyArgs),
    /// Adopt an existing database: record migrations as applied without running them,
    /// after proving the schema is what they build (docs/adopting.md).
    Baseline(BaselineArgs),
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["to", "from"])))]
pub struct BaselineArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub runner: RunnerArgs,
    /// Record every migration up to and including this one (catalog order).
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    /// Record what this tool's history table in the database says is applied.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub from: Option<crate::runner::import::Tool>,
    /// The tool's history table, `[schema.]table` (default: the tool's own name for it).
    #[arg(long, value_name = "TABLE", requires = "from")]
    pub from_table: Option<String>,
    /// A server where bellows may create (and drop) the scratch database the migrations
    /// are replayed on (default: the server of --database-url).
    #[arg(long, value_name = "URL", conflicts_with = "no_proof")]
    pub scratch_url: Option<String>,
    /// Record without replaying the migrations and comparing the schemas.
    #[arg(long)]
    pub no_proof: bool,
    /// Record even when the schema differs, or the tool applied migrations the catalog
    /// does not have.
    #[arg(long)]
    pub force: bool,
    /// Print what would be recorded; record nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// Where the database is, and its history table.
#[derive(Debug, Clone, Args, Default)]
pub struct ConnectionArgs {
    /// postgres://… or mysql://… (default: $DATABASE_URL). The password is never printed.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The history table (default: `[runner] history-table`, else bellows_history).
    #[arg(long, value_name = "NAME")]
    pub history_table: Option<String>,
    /// The history table's schema (PostgreSQL) or database (MySQL).
    #[arg(long, value_name = "NAME")]
    pub history_schema: Option<String>,
}

/// How the runner takes locks and retries.
#[derive(Debug, Clone, Args, Default)]
pub struct RunnerArgs {
    /// How long a statement may wait for a lock (default: `[runner] lock-timeout`, else 2s).
    #[arg(long, value_name = "DURATION")]
    pub lock_timeout: Option<String>,
    /// How many times a lock timeout is retried (default: `[runner] lock-retries`, else 3).
    #[arg(long, value_name = "N")]
    pub lock_retries: Option<u32>,
    /// Wait for another run's migration lock (the default).
    #[arg(long, overrides_with = "no_wait")]
    pub wait: bool,
    /// Exit at once when another run holds the migration lock.
    #[arg(long)]
    pub no_wait: bool,
    /// Run down scripts that `bellows migrate verify` has not proven.
    #[arg(long)]
    pub allow_unproven: bool,
}

/// Which releases are live.
#[derive(Debug, Clone, Args, Default)]
pub struct LiveArgs {
    /// The releases deployed now (default: `[deploy] live` of bellows.toml).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "VERSIONS",
        conflicts_with = "live_from_db"
    )]
    pub deployed: Vec<String>,
    /// Read the live releases from the database's sessions: an application_name (MySQL:
    /// program_name) of the form `app@1.5.0` names release 1.5.0.
    #[arg(long)]
    pub live_from_db: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub runner: RunnerArgs,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Stop after this migration, or at the migration this release requires.
    #[arg(long, value_name = "ID|RELEASE")]
    pub to: Option<String>,
    /// Apply only the leading pending steps of this phase.
    #[arg(long, value_enum)]
    pub phase: Option<PhaseArg>,
    /// Print the exact SQL in order; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply even when the database differs from what the applied migrations built.
    #[arg(long)]
    pub allow_drift: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PhaseArg {
    Expand,
    Backfill,
    Contract,
}

#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub runner: RunnerArgs,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Roll back every migration applied after this one.
    #[arg(long, value_name = "ID", conflicts_with = "steps")]
    pub to: Option<String>,
    /// Roll back the last N applied migrations (default 1).
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Also roll back contracts and migrations marked irreversible, and past the live
    /// releases' needs.
    #[arg(long)]
    pub force: bool,
    /// Print the exact SQL in order; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("verdict").required(true).args(["run_down", "mark_applied", "mark_rolled_back"])))]
pub struct ResolveArgs {
    /// The dirty migration.
    pub id: String,
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Run its down script, then count it as not applied.
    #[arg(long)]
    pub run_down: bool,
    /// It completed: count it as applied.
    #[arg(long)]
    pub mark_applied: bool,
    /// Nothing of it remains: count it as not applied.
    #[arg(long)]
    pub mark_rolled_back: bool,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub catalog: CatalogDirArgs,
    /// A server where bellows may create (and drop) a scratch database.
    #[arg(long, value_name = "URL")]
    pub scratch_url: String,
    /// Verify only this migration (the ones before it are replayed first).
    #[arg(long, value_name = "ID")]
    pub only: Option<String>,
    /// Check only; do not write the proofs to bellows.sum.
    #[arg(long)]
    pub no_write: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
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
    /// The last migration already applied (default: none, or the database's history).
    /// Plans from the catalog alone, even when DATABASE_URL is set.
    #[arg(long, value_name = "ID", conflicts_with = "database_url")]
    pub applied: Option<String>,
    /// Plan from this database's history, and compare its schema with the migrations'
    /// (drift) (default: $DATABASE_URL).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The history table (default: `[runner] history-table`, else bellows_history).
    #[arg(long, value_name = "NAME")]
    pub history_table: Option<String>,
    /// The history table's schema (PostgreSQL) or database (MySQL).
    #[arg(long, value_name = "NAME")]
    pub history_schema: Option<String>,
    /// With a database: read the live releases from the database's sessions.
    #[arg(long, conflicts_with_all = ["deployed", "applied"])]
    pub live_from_db: bool,
    #[command(flatten)]
    pub fleet: FleetArgs,
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
    /// Report only findings not listed in this baseline file (default: `[lint] baseline`
    /// of bellows.toml).
    #[arg(long, value_name = "FILE", conflicts_with = "no_baseline")]
    pub baseline: Option<PathBuf>,
    /// Report every finding, ignoring `[lint] baseline`.
    #[arg(long)]
    pub no_baseline: bool,
    /// Write every current finding to this baseline file instead of reporting them.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["baseline", "no_baseline", "changed_since", "staged"]
    )]
    pub write_baseline: Option<PathBuf>,
    /// A schema dump (`pg_dump --schema-only`, `mysqldump --no-data`) loaded into the
    /// schema model before the first migration (default: `[lint] schema` of bellows.toml).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Name shown for standard input.
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    pub stdin_filename: String,
    /// Rewrite the migrations to fix the findings whose safe form is certain (CONCURRENTLY,
    /// NOT VALID with a VALIDATE migration, a lock timeout), then lint again. Migrations
    /// recorded in bellows.sum are never edited.
    #[arg(long, conflicts_with_all = ["write_baseline", "staged"])]
    pub fix: bool,
    /// With --fix: print the changes as a unified diff instead of writing them.
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
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
