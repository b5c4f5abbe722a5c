//! The workload benchmark (issue 5): what expand / backfill / contract through
//! `bellows migrate apply` buys against the naive migration, under real traffic.
//!
//! ```text
//! cargo build --release --bin bellows --example workload
//! cargo run --release --example workload -- --engine postgres --rows 1000000 --rate 400 \
//!     --connections 8 --out docs/img
//! ```
//!
//! One process runs the same change twice on fresh copies of the same table, each under a
//! fixed-rate application workload: first through the catalog of
//! `bench/workload/catalog-<engine>` applied step by step by the real `bellows` binary, with
//! the application's releases rolled out in between as a deploy would; then as one naive
//! script (`psql -1` / the `mariadb` client). It prints a Markdown table of the numbers and
//! the goals, writes a latency plot (SVG) and the raw per-query records (CSV).
//! See bench/workload/README.md.

mod app;
mod rename;
mod report;
mod scenario;
mod svg;

use app::{Mix, Record, Traffic};
use bellows::runner::url::DbUrl;
use bellows::runner::{AnyBackend, Backend};
use clap::Parser;
use scenario::{Action, Scenario};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

#[derive(Parser, Debug)]
#[command(about = "Application latency and errors during a schema change: bellows vs naive")]
struct Args {
    /// postgres or mysql (MySQL or MariaDB)
    #[arg(long)]
    engine: Engine,
    /// The change: email-norm (the hand-written catalog-<engine>) or rename (what `bellows
    /// rewrite` writes from the one-line RENAME COLUMN of catalog-<engine>-rename)
    #[arg(long, value_enum, default_value_t = Scenario::EmailNorm)]
    scenario: Scenario,
    /// Rows in the accounts table (default 1,000,000; --quick: 20,000)
    #[arg(long)]
    rows: Option<i64>,
    /// Application queries per second, all connections together
    #[arg(long, default_value_t = 400)]
    rate: u64,
    /// Application connections
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Where the SVG goes (default target/workload)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Small and short (20,000 rows, 3 s windows): for CI; exits 1 when the bellows run has
    /// a failed application query or a failed migration
    #[arg(long)]
    quick: bool,
    /// The server, with an existing database to connect to first (default: postgres://
    /// $PGUSER@$PGHOST:$PGPORT/postgres, mysql://root@$MYSQL_HOST:$MYSQL_PORT/mysql)
    #[arg(long)]
    database_url: Option<String>,
    /// Keep the two databases (bellows_workload_safe, bellows_workload_naive) afterwards
    #[arg(long)]
    keep: bool,
    /// Run the bellows steps from a copy of the catalog whose backfill has this batch_size
    /// (the committed catalog says 5000)
    #[arg(long)]
    batch_size: Option<u64>,
    /// …and this pause between batches, in ms (the committed catalog says 50)
    #[arg(long)]
    pause_ms: Option<u64>,
    /// A replica of the --database-url server: its lag is sampled during the bellows run
    /// and reported (bellows itself finds it from the primary, or from [[replica]])
    #[arg(long)]
    replica_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Engine {
    Postgres,
    Mysql,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        }
    }
}

/// How long each part of the timeline lasts.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    before: Duration,
    after: Duration,
    /// A rolling deploy.
    ramp: Duration,
    /// The pause after a step or a deploy before the next one.
    settle: Duration,
}

/// `[runner] lock-timeout` of the catalogs: the longest an application query should wait.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(2);

/// Which way the change is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Bellows,
    Naive,
}

impl Method {
    fn db(self) -> &'static str {
        match self {
            Method::Bellows => "bellows_workload_safe",
            Method::Naive => "bellows_workload_naive",
        }
    }
}

/// A labelled interval of the timeline (seconds from the start of the run).
#[derive(Debug, Clone)]
pub struct Mark {
    pub start: f64,
    pub end: f64,
    pub label: String,
    pub kind: MarkKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Migration,
    Deploy,
}

/// Everything one run produced.
pub struct RunResult {
    pub method: Method,
    pub records: Vec<Record>,
    pub marks: Vec<Mark>,
    /// The change: first migration start to last migration or deploy end (seconds).
    pub change: (f64, f64),
    /// End of the after window (seconds).
    pub end: f64,
    /// Wall time of the migration commands (seconds).
    pub migration_secs: f64,
    /// (rows, ms, rows/s) from bellows' "backfilled N rows in M ms (R rows/s)".
    pub backfill: Option<(u64, u64, u64)>,
    /// The pacing trace's batches, summed (with `BELLOWS_PACING_TRACE=1`).
    pub pacing: report::PacingSum,
    /// What failed in the migration commands, if anything.
    pub migration_error: Option<String>,
    /// Commands run, for the report.
    pub commands: Vec<String>,
    pub samples: Vec<(app::Outcome, String)>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("workload: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("workload: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let rows = args
        .rows
        .unwrap_or(if args.quick { 20_000 } else { 1_000_000 });
    if rows < 1 || args.rate < 1 || args.connections < 1 {
        return Err("--rows, --rate and --connections must be at least 1".to_owned());
    }
    let timing = if args.quick {
        Timing {
            before: Duration::from_secs(3),
            after: Duration::from_secs(3),
            ramp: Duration::from_secs(1),
            settle: Duration::from_millis(500),
        }
    } else {
        Timing {
            before: Duration::from_secs(10),
            after: Duration::from_secs(10),
            ramp: Duration::from_secs(3),
            settle: Duration::from_secs(2),
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = args.scenario;
    let mut catalog = scenario.catalog(root, args.engine);
    let naive_script = scenario.naive_script(&catalog);
    // A private copy, so that a build elsewhere during the run cannot swap the binary.
    let bellows = {
        let built = bellows_binary()?;
        let dir = root.join("target/workload/bin");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let copy = dir.join(built.file_name().unwrap_or_default());
        let _ = std::fs::remove_file(&copy);
        std::fs::copy(&built, &copy)
            .map_err(|e| format!("cannot copy {} to {}: {e}", built.display(), copy.display()))?;
        copy
    };
    // The rename's bellows run applies what `bellows rewrite` writes, in a temporary copy.
    let _rewritten = if scenario == Scenario::Rename {
        match rename::rewrite(&bellows, &catalog).await {
            Ok(r) => {
                catalog = r.catalog.clone();
                Some(r)
            }
            Err(e) => {
                eprintln!("workload: {e}");
                return Ok(ExitCode::from(1));
            }
        }
    } else {
        None
    };
    if args.batch_size.is_some() || args.pause_ms.is_some() {
        let copy = root.join("target/workload").join(format!(
            "{}-catalog-{}",
            scenario.stem(),
            args.engine.name()
        ));
        tune_backfill(
            &catalog,
            &copy,
            scenario.backfill(),
            args.batch_size,
            args.pause_ms,
        )?;
        catalog = copy;
    }
    let base = DbUrl::parse(
        &args
            .database_url
            .clone()
            .unwrap_or_else(|| default_url(args.engine)),
    )
    .map_err(|e| e.to_string())?;
    if (base.dialect() == bellows::dialect::Dialect::Postgres) != (args.engine == Engine::Postgres)
    {
        return Err(format!(
            "--database-url {} is not a {} URL",
            base.redacted(),
            args.engine.name()
        ));
    }
    let releases = Arc::new(app::load_releases(&catalog, scenario.releases())?);
    let mut admin = AnyBackend::connect(&base)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", base.redacted()))?;
    let engine = admin.engine().to_owned();
    let load_before = loadavg();
    eprintln!(
        "workload: {engine}, {} ({}), {rows} rows, {} queries/s from {} connections, catalog {}, bellows {}",
        scenario.change(),
        scenario.stem(),
        args.rate,
        args.connections,
        catalog.display(),
        bellows.display()
    );
    if args.engine == Engine::Postgres {
        let on = admin.query("SHOW autovacuum", &[]).await.ok();
        if on
            .as_ref()
            .and_then(|r| r.first()?.first()?.clone())
            .as_deref()
            == Some("off")
        {
            eprintln!(
                "workload: note: autovacuum is off on this server (production servers run it): the backfill's dead rows stay, and the latency after it is not what production sees"
            );
        }
    }

    let setup = Setup {
        engine: args.engine,
        scenario,
        base: &base,
        catalog: &catalog,
        naive_script: &naive_script,
        bellows: &bellows,
        rows,
        rate: args.rate,
        connections: args.connections,
        timing,
        releases,
    };
    let mut results = Vec::new();
    for method in [Method::Bellows, Method::Naive] {
        let db = prepare(&setup, &mut admin, method).await?;
        let watch = match args.replica_url.as_deref() {
            Some(url) if method == Method::Bellows => Some(watch_replica(url)?),
            _ => None,
        };
        let result = run_once(&setup, method, &db).await?;
        if let Some(watch) = watch {
            replica_report(watch).await;
        }
        if !args.keep {
            drop_db(&mut admin, method.db()).await?;
        }
        results.push(result);
    }
    let load_after = loadavg();

    let work = root.join("target/workload");
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    for r in &results {
        let path = work.join(format!(
            "{}-{}-{}.csv",
            scenario.stem(),
            args.engine.name(),
            report::method_name(r.method)
        ));
        std::fs::write(&path, report::csv(&r.records))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let context = report::Context {
        scenario,
        engine: &engine,
        rows,
        rate: args.rate,
        connections: args.connections,
        quick: args.quick,
        load: (load_before, load_after),
        backfill: backfill_settings(&catalog, scenario.backfill())?,
    };
    let (markdown, goals) = report::markdown(&context, &results);
    println!("{markdown}");
    let md_path = work.join(format!("{}-{}.md", scenario.stem(), args.engine.name()));
    std::fs::write(&md_path, &markdown)
        .map_err(|e| format!("cannot write {}: {e}", md_path.display()))?;
    let out = args.out.clone().unwrap_or_else(|| work.clone());
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let svg_path = out.join(format!("{}-{}.svg", scenario.stem(), args.engine.name()));
    std::fs::write(&svg_path, svg::render(&context, &results))
        .map_err(|e| format!("cannot write {}: {e}", svg_path.display()))?;
    eprintln!(
        "workload: wrote {}, {} and the per-query CSVs in {}",
        svg_path.display(),
        md_path.display(),
        work.display()
    );

    let safe = &results[0];
    if safe.migration_error.is_some() {
        eprintln!("workload: the bellows migrations failed");
        return Ok(ExitCode::from(1));
    }
    if args.quick && !goals.zero_failures {
        eprintln!("workload: application queries failed during the bellows run");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// A replica's lag sampled every 100 ms while the bellows run goes on.
struct ReplicaWatch {
    label: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<(Vec<u64>, Vec<String>)>,
}

/// Starts sampling the lag of the replica at `url` (`bellows::runner::replica::read_lag`).
fn watch_replica(url: &str) -> Result<ReplicaWatch, String> {
    let url = DbUrl::parse(url).map_err(|e| format!("--replica-url: {e}"))?;
    let label = url.host_port();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let task = tokio::spawn(async move {
        let (mut lags, mut unknown) = (Vec::new(), Vec::new());
        let mut conn = None;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            if conn.is_none() {
                match AnyBackend::connect(&url).await {
                    Ok(c) => conn = Some(c),
                    Err(e) => unknown.push(e.to_string()),
                }
            }
            if let Some(c) = conn.as_mut() {
                match bellows::runner::replica::read_lag(c).await {
                    Ok(bellows::runner::replica::Lag::Ms(ms)) => lags.push(ms),
                    Ok(bellows::runner::replica::Lag::Unknown(why)) => unknown.push(why),
                    Err(e) => {
                        unknown.push(e.to_string());
                        conn = None;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (lags, unknown)
    });
    Ok(ReplicaWatch { label, stop, task })
}

/// Stops the sampling and prints the lag seen during the bellows run.
async fn replica_report(watch: ReplicaWatch) {
    watch.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let Ok((mut lags, unknown)) = watch.task.await else {
        eprintln!("workload: the replica watch failed");
        return;
    };
    lags.sort_unstable();
    let at = |q: f64| lags[((lags.len() - 1) as f64 * q).round() as usize];
    let text = if lags.is_empty() {
        format!(
            "replica {}: no lag read during the bellows run",
            watch.label
        )
    } else {
        format!(
            "replica {} during the bellows run: lag p50 {} ms, p99 {} ms, max {} ms ({} samples every 100 ms{})",
            watch.label,
            at(0.5),
            at(0.99),
            at(1.0),
            lags.len(),
            if unknown.is_empty() {
                String::new()
            } else {
                format!("; {} unknown, first: {}", unknown.len(), unknown[0])
            }
        )
    };
    println!("{text}");
}

/// What every run shares.
struct Setup<'a> {
    engine: Engine,
    scenario: Scenario,
    base: &'a DbUrl,
    /// The catalog the bellows run applies.
    catalog: &'a Path,
    /// The script the naive run runs.
    naive_script: &'a Path,
    bellows: &'a Path,
    rows: i64,
    rate: u64,
    connections: usize,
    timing: Timing,
    releases: Arc<Vec<app::Release>>,
}

/// `adaptive pacing`, or `batch_size 5000, pause_ms 50`, as the catalog's backfill says.
fn backfill_settings(catalog: &Path, backfill: &str) -> Result<String, String> {
    let id = migration_id(catalog, backfill)?;
    let path = catalog.join("migrations").join(id).join("migration.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map_or("?".to_owned(), |(_, v)| v.trim().to_owned())
    };
    let (batch, pause) = (value("batch_size"), value("pause_ms"));
    if batch == "?" && pause == "?" {
        return Ok("adaptive pacing".to_owned());
    }
    Ok(format!("batch_size {batch}, pause_ms {pause}"))
}

/// Copies the catalog to `to` (without its bellows.sum), setting the `batch_size` and
/// `pause_ms` of the backfill whose id ends in `_<backfill>` in its migration.toml.
fn tune_backfill(
    from: &Path,
    to: &Path,
    backfill: &str,
    batch_size: Option<u64>,
    pause_ms: Option<u64>,
) -> Result<(), String> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("cannot remove {}: {e}", to.display()))?;
    }
    copy_dir(from, to)?;
    let _ = std::fs::remove_file(to.join("bellows.sum"));
    let id = migration_id(to, backfill)?;
    let path = to.join("migrations").join(id).join("migration.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // The catalog's backfill holds only table and key (adaptive pacing): the fixed
    // pacing keys go at the end of its `[backfill]`, the file's last table.
    let mut tuned: Vec<String> = text
        .lines()
        .filter(|l| {
            !matches!(
                l.split_once('=').map(|(k, _)| k.trim()),
                Some("batch_size" | "pause_ms")
            )
        })
        .map(str::to_owned)
        .collect();
    if let Some(n) = batch_size {
        tuned.push(format!("batch_size = {n}"));
    }
    if let Some(n) = pause_ms {
        tuned.push(format!("pause_ms = {n}"));
    }
    std::fs::write(&path, tuned.join("\n") + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("workload: backfill tuned in {}", path.display());
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
        }
    }
    Ok(())
}

/// `target/release/bellows`, next to this example's directory.
fn bellows_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("{} has no grandparent directory", exe.display()))?;
    let bin = dir.join(format!("bellows{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        return Err(format!(
            "no bellows binary at {}: build it first with `cargo build --release --bin bellows`",
            bin.display()
        ));
    }
    Ok(bin)
}

fn default_url(engine: Engine) -> String {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    match engine {
        Engine::Postgres => format!(
            "postgres://{}@{}:{}/postgres",
            env("PGUSER", "postgres"),
            env("PGHOST", "127.0.0.1"),
            env("PGPORT", "5432")
        ),
        Engine::Mysql => format!(
            "mysql://root@{}:{}/mysql",
            env("MYSQL_HOST", "127.0.0.1"),
            env("MYSQL_PORT", "3306")
        ),
    }
}

fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

async fn drop_db(admin: &mut AnyBackend, name: &str) -> Result<(), String> {
    let sql = match admin.dialect() {
        bellows::dialect::Dialect::Postgres => {
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
        }
        bellows::dialect::Dialect::Mysql => format!("DROP DATABASE IF EXISTS `{name}`"),
    };
    admin
        .execute(&sql)
        .await
        .map(|_| ())
        .map_err(|e| format!("{sql}: {e}"))
}

/// A fresh database holding the accounts table with `rows` rows, as release 1.0.0 knows it.
/// For the bellows run the table comes from `bellows migrate apply --to
/// 0001_create_accounts`, so the history knows it; for the naive run from the same file.
async fn prepare(
    setup: &Setup<'_>,
    admin: &mut AnyBackend,
    method: Method,
) -> Result<DbUrl, String> {
    let name = method.db();
    drop_db(admin, name).await?;
    let create = match admin.dialect() {
        bellows::dialect::Dialect::Postgres => format!("CREATE DATABASE \"{name}\""),
        bellows::dialect::Dialect::Mysql => format!("CREATE DATABASE `{name}`"),
    };
    admin
        .execute(&create)
        .await
        .map_err(|e| format!("{create}: {e}"))?;
    let url = setup.base.with_database(name);
    let first = migration_id(setup.catalog, "create_accounts")?;
    match method {
        Method::Bellows => {
            let out = bellows_apply(setup, &url, &first, "1.0.0", "setup").await?;
            if let Some(e) = out.error {
                return Err(format!("setting up the table failed: {e}"));
            }
        }
        Method::Naive => {
            let path = setup.catalog.join("migrations").join(&first).join("up.sql");
            let sql = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut db = connect(&url).await?;
            db.execute(sql.trim().trim_end_matches(';'))
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let started = Instant::now();
    let mut db = connect(&url).await?;
    const BATCH: i64 = 5_000;
    let mut g = 1;
    while g <= setup.rows {
        let end = (g + BATCH - 1).min(setup.rows);
        let mut sql = String::with_capacity(80 * BATCH as usize);
        sql.push_str("INSERT INTO accounts (id, email, name, updated_at) VALUES ");
        for i in g..=end {
            if i > g {
                sql.push(',');
            }
            // Timestamps spread over the last 30 days, written as a literal both engines read.
            let secs = i % (30 * 86_400);
            sql.push_str(&format!(
                "({i},'{}','Name {i}','2026-10-28 {:02}:{:02}:{:02}')",
                app::seed_email(i),
                secs / 3600 % 24,
                secs / 60 % 60,
                secs % 60
            ));
        }
        db.execute(&sql)
            .await
            .map_err(|e| format!("loading rows {g}..{end}: {e}"))?;
        g = end + 1;
    }
    let analyze = match db.dialect() {
        bellows::dialect::Dialect::Postgres => "VACUUM (ANALYZE) accounts",
        bellows::dialect::Dialect::Mysql => "ANALYZE TABLE accounts",
    };
    db.execute(analyze)
        .await
        .map_err(|e| format!("{analyze}: {e}"))?;
    eprintln!(
        "workload: {name}: {} rows loaded in {:.1} s",
        setup.rows,
        started.elapsed().as_secs_f64()
    );
    Ok(url)
}

async fn connect(url: &DbUrl) -> Result<AnyBackend, String> {
    AnyBackend::connect(url)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", url.redacted()))
}

/// The catalog's migration whose id ends in `_<suffix>`.
fn migration_id(catalog: &Path, suffix: &str) -> Result<String, String> {
    let dir = catalog.join("migrations");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut found: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(&format!("_{suffix}")))
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| format!("no migration `*_{suffix}` in {}", dir.display()))
}

/// What one `bellows migrate apply` did.
struct ApplyOutput {
    command: String,
    secs: f64,
    backfill: Option<(u64, u64, u64)>,
    pacing: report::PacingSum,
    error: Option<String>,
}

/// Runs `bellows migrate apply --to <to> --deployed <live>` in the catalog directory,
/// passing its output through with a prefix.
async fn bellows_apply(
    setup: &Setup<'_>,
    url: &DbUrl,
    to: &str,
    live: &str,
    label: &str,
) -> Result<ApplyOutput, String> {
    let args = [
        "migrate",
        "apply",
        "--to",
        to,
        "--deployed",
        live,
        "--allow-unproven",
        "--database-url",
        url.expose(),
    ];
    let command = format!(
        "bellows migrate apply --to {to} --deployed {live} --allow-unproven --database-url {}",
        url.redacted()
    );
    let (secs, status, lines) = run_command(
        tokio::process::Command::new(setup.bellows)
            .args(args)
            .current_dir(setup.catalog),
        None,
        label,
    )
    .await?;
    let backfill = lines.iter().find_map(|l| parse_backfill(l));
    let mut pacing = report::PacingSum::default();
    for line in &lines {
        pacing.add_line(line);
    }
    let error = (!status.success()).then(|| {
        let tail: Vec<&str> = lines.iter().rev().take(6).map(String::as_str).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("`{command}` exited with {status}: {}", tail.join(" / "))
    });
    Ok(ApplyOutput {
        command,
        secs,
        backfill,
        pacing,
        error,
    })
}

/// Runs a command, feeding it `stdin`, echoing its output lines with a `[label]` prefix;
/// returns its wall time, exit status and output lines.
async fn run_command(
    command: &mut tokio::process::Command,
    stdin: Option<&Path>,
    label: &str,
) -> Result<(f64, std::process::ExitStatus, Vec<String>), String> {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(match stdin {
            Some(path) => std::fs::File::open(path)
                .map(Stdio::from)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?,
            None => Stdio::null(),
        })
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", command.as_std().get_program()))?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let out_task = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text).await;
        text
    });
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = reader.next_line().await {
        eprintln!("  [{label}] {line}");
        lines.push(line);
    }
    let status = child
        .wait()
        .await
        .map_err(|e| format!("waiting for {label}: {e}"))?;
    let secs = started.elapsed().as_secs_f64();
    for line in out_task.await.unwrap_or_default().lines() {
        eprintln!("  [{label}] {line}");
        lines.push(line.to_owned());
    }
    Ok((secs, status, lines))
}

/// `…: backfilled 1000000 rows in 41234 ms (24252 rows/s)…` → (rows, ms, rows/s).
fn parse_backfill(line: &str) -> Option<(u64, u64, u64)> {
    let rest = &line[line.find("backfilled ")? + "backfilled ".len()..];
    let (rows, rest) = rest.split_once(" rows in ")?;
    let (ms, rest) = rest.split_once(" ms (")?;
    let (rate, _) = rest.split_once(" rows/s")?;
    Some((rows.parse().ok()?, ms.parse().ok()?, rate.parse().ok()?))
}

/// One run: the traffic from start to end, with the change in the middle.
async fn run_once(setup: &Setup<'_>, method: Method, url: &DbUrl) -> Result<RunResult, String> {
    let mut pool = Vec::with_capacity(setup.connections);
    for _ in 0..setup.connections {
        pool.push(connect(url).await?);
    }
    let traffic = Arc::new(Traffic::new(
        setup.rate,
        setup.rows,
        Mix::new([1.0, 0.0, 0.0]),
    ));
    let workers: Vec<_> = pool
        .into_iter()
        .enumerate()
        .map(|(i, db)| {
            tokio::spawn(app::connection(
                traffic.clone(),
                setup.releases.clone(),
                url.clone(),
                db,
                0x5eed + i as u64,
            ))
        })
        .collect();
    let secs = |t: &Traffic| t.now_us() as f64 / 1e6;
    let t = setup.timing;
    eprintln!(
        "workload: {} run: release 1.0.0 only",
        report::method_name(method)
    );
    tokio::time::sleep(t.before).await;

    let mut marks = Vec::new();
    let mut commands = Vec::new();
    let mut migration_secs = 0.0;
    let mut backfill = None;
    let mut pacing = report::PacingSum::default();
    let mut migration_error = None;
    let change_start = secs(&traffic);

    // A rolling deploy to the `to` weights.
    let deploy = |marks: &mut Vec<Mark>, label: &str, to: [f64; 3]| {
        let start = secs(&traffic);
        traffic.mix.ramp(traffic.now_us(), to, t.ramp);
        marks.push(Mark {
            start,
            end: start + t.ramp.as_secs_f64(),
            label: label.to_owned(),
            kind: MarkKind::Deploy,
        });
        eprintln!("workload: {label}");
    };

    match method {
        Method::Bellows => {
            let actions = setup.scenario.actions();
            for (i, action) in actions.iter().enumerate() {
                if i > 0 {
                    tokio::time::sleep(t.settle).await;
                }
                match action {
                    Action::Apply(label, suffix, live) => {
                        let to = migration_id(setup.catalog, suffix)?;
                        let start = secs(&traffic);
                        eprintln!("workload: {label}: migrate apply --to {to} --deployed {live}");
                        let out = bellows_apply(setup, url, &to, live, label).await?;
                        marks.push(Mark {
                            start,
                            end: secs(&traffic),
                            label: (*label).to_owned(),
                            kind: MarkKind::Migration,
                        });
                        migration_secs += out.secs;
                        commands.push(out.command);
                        backfill = backfill.or(out.backfill);
                        pacing.merge(&out.pacing);
                        if let Some(e) = out.error {
                            eprintln!("workload: {e}; the rest of the change is skipped");
                            migration_error = Some(e);
                            break;
                        }
                    }
                    Action::Deploy(label, to) => {
                        deploy(&mut marks, label, *to);
                        tokio::time::sleep(t.ramp).await;
                    }
                }
            }
        }
        Method::Naive => {
            let (mut command, stdin, shown) = naive_command(setup.engine, url, setup.naive_script);
            let start = secs(&traffic);
            eprintln!("workload: naive: {shown}");
            let (took, status, lines) =
                run_command(&mut command, stdin.as_deref(), "naive").await?;
            marks.push(Mark {
                start,
                end: secs(&traffic),
                label: "naive script".to_owned(),
                kind: MarkKind::Migration,
            });
            migration_secs += took;
            commands.push(shown.clone());
            if status.success() {
                tokio::time::sleep(t.settle.min(Duration::from_millis(500))).await;
                let (label, to) = setup.scenario.naive_rollout();
                deploy(&mut marks, label, to);
                tokio::time::sleep(t.ramp).await;
            } else {
                let errors: Vec<&str> = lines
                    .iter()
                    .map(|l| l.trim())
                    .filter(|l| l.contains("ERROR") || l.contains("error"))
                    .collect();
                let e = format!("`{shown}` exited with {status}: {}", errors.join(" / "));
                eprintln!("workload: {e}; the deploy is not rolled out");
                migration_error = Some(e);
            }
        }
    }
    let change_end = secs(&traffic);
    eprintln!("workload: after window");
    tokio::time::sleep(t.after).await;
    traffic.stop();
    let end = secs(&traffic);

    let mut records = Vec::new();
    for w in workers {
        match tokio::time::timeout(Duration::from_secs(300), w).await {
            Ok(Ok(r)) => records.extend(r),
            Ok(Err(e)) => return Err(format!("an application connection panicked: {e}")),
            Err(_) => return Err("an application query did not finish within 300 s".to_owned()),
        }
    }
    records.sort_by_key(|r| r.planned_us);
    let samples = traffic
        .samples
        .lock()
        .expect("the samples lock is never poisoned")
        .clone();
    Ok(RunResult {
        method,
        records,
        marks,
        change: (change_start, change_end),
        end,
        migration_secs,
        backfill,
        pacing,
        migration_error,
        commands,
        samples,
    })
}

/// `psql -X -q -1 -v ON_ERROR_STOP=1 -f naive.sql`, or the `mariadb` client reading it.
fn naive_command(
    engine: Engine,
    url: &DbUrl,
    script: &Path,
) -> (tokio::process::Command, Option<PathBuf>, String) {
    let db = url.database().unwrap_or_default();
    let port = url.port();
    match engine {
        Engine::Postgres => {
            let mut c = tokio::process::Command::new("psql");
            c.args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-h", url.host()])
                .args(["-p", &port.unwrap_or(5432).to_string()])
                .args(["-U", &url.user(), "-d", &db, "-f"])
                .arg(script);
            if let Some(p) = url.password() {
                c.env("PGPASSWORD", p);
            }
            let shown = format!("psql -1 -v ON_ERROR_STOP=1 -d {db} -f {}", short(script));
            (c, None, shown)
        }
        Engine::Mysql => {
            let client = if which("mariadb") { "mariadb" } else { "mysql" };
            let mut c = tokio::process::Command::new(client);
            c.args(["--batch", "--protocol=TCP", "-h", url.host()])
                .args(["-P", &port.unwrap_or(3306).to_string()])
                .args(["-u", &url.user(), &db]);
            if let Some(p) = url.password() {
                c.env("MYSQL_PWD", p);
            }
            let shown = format!("{client} {db} < {}", short(script));
            (c, Some(script.to_path_buf()), shown)
        }
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A path relative to the repository, for display.
fn short(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_backfill_line() {
        assert_eq!(
            parse_backfill(
                "      0004_backfill: backfilled 1000000 rows in 41234 ms (24252 rows/s), verify.sql: 0 rows left"
            ),
            Some((1_000_000, 41_234, 24_252))
        );
        assert_eq!(parse_backfill("applied 2 steps"), None);
    }

    #[test]
    fn every_seed_email_normalises_uniquely() {
        let mut seen = std::collections::HashSet::new();
        for g in 1..10_000 {
            assert!(seen.insert(app::seed_email(g).trim().to_lowercase()));
        }
    }
}
