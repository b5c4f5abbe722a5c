//! One file per subcommand: glue between the CLI, the pipeline and the reports.

pub mod baseline;
pub mod catalog;
pub mod explain;
pub mod fleet;
pub mod hook;
pub mod lint;
pub mod migrate;
pub mod rewrite;
pub mod rules;
pub mod shell;
pub mod trace;

use crate::cli::{Cli, Command, MigrateCommand};
use crate::runner::url::{self, DbUrl};
use crate::runner::AnyBackend;
use miette::{miette, IntoDiagnostic};

/// How a command ended, mapped to the exit status by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report (exit 0).
    Clean,
    /// Error-severity findings, or a blocked step (exit 1).
    Findings,
}

/// The single-threaded runtime a database command runs on.
fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .into_diagnostic()
}

/// Connects to `url`, with one clear sentence when it cannot.
async fn connect(url: &DbUrl) -> miette::Result<AnyBackend> {
    AnyBackend::connect(url).await.map_err(|e| {
        miette!(
            help = "check the URL, that the server runs, and the credentials",
            "{}",
            url::redact(&crate::runner::connect_message(&url.redacted(), &e))
        )
    })
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> miette::Result<Outcome> {
    match cli.command {
        Command::Lint(args) => lint::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Catalog(args) => catalog::run(args),
        Command::Hook(args) => hook::run(args),
        // `--targets`: one plan across many databases.
        Command::Migrate(args) => match &args.command {
            MigrateCommand::Plan(a) if a.fleet.targets.is_some() => fleet::plan(a),
            MigrateCommand::Apply(a) if a.fleet.targets.is_some() => fleet::apply(a),
            MigrateCommand::Status(a) if a.fleet.targets.is_some() => fleet::status(a),
            _ => migrate::run(args),
        },
        Command::Trace(args) => trace::run(args),
        Command::Rewrite(args) => rewrite::run(args),
        Command::Lsp => match crate::lsp::run_stdio() {
            Ok(crate::lsp::Ended::Clean) => Ok(Outcome::Clean),
            // `exit` without `shutdown` ends with status 1, as the protocol asks.
            Ok(crate::lsp::Ended::Abrupt) => Ok(Outcome::Findings),
            Err(e) => Err(miette::miette!("language server: {e}")),
        },
        Command::Completions(args) => shell::completions(args),
        Command::Man => shell::man(),
    }
}

/// Writes to stdout; a closed pipe (`bellows … | head`) is not an error.
pub(crate) fn write_stdout(
    f: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> miette::Result<()> {
    let stdout = std::io::stdout();
    let mut lock = std::io::BufWriter::new(stdout.lock());
    let result = f(&mut lock).and_then(|_| std::io::Write::flush(&mut lock));
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(miette::miette!("cannot write output: {e}")),
    }
}
