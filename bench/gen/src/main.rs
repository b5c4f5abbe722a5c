//! `gen_corpus --out DIR [--seed N] [--mb N] [--files N] [--layout dir|flat]`
//!
//! Writes into DIR:
//! - `pg_10mb.sql`            the mixed PostgreSQL file (DO blocks, REINDEX … included)
//! - `pg_10mb_sqlparser.sql`  the same kind of text with only what sqlparser 0.64 parses
//! - `small.sql`              one ordinary migration (~20 statements)
//! - `migrations/`            N migrations: `NNNNN_name/up.sql` + `down.sql` (layout `dir`,
//!   the default) or `NNNNN_name.sql` (layout `flat`)
//!
//! (`--mb` changes the size of the two big files; their names stay the same.)

use bellows_bench_gen::{
    migrations, postgres_file, small_file, Options, BIG_FILE_BYTES, DEFAULT_SEED,
};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut out: Option<PathBuf> = None;
    let mut seed: u64 = DEFAULT_SEED;
    let mut mb: f64 = BIG_FILE_BYTES as f64 / (1024.0 * 1024.0);
    let mut files: usize = 10_000;
    let mut flat = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(val())),
            "--seed" => {
                seed = val()
                    .parse()
                    .unwrap_or_else(|_| die("--seed: not a number"))
            }
            "--mb" => mb = val().parse().unwrap_or_else(|_| die("--mb: not a number")),
            "--files" => {
                files = val()
                    .parse()
                    .unwrap_or_else(|_| die("--files: not a number"))
            }
            "--layout" => match val().as_str() {
                "dir" => flat = false,
                "flat" => flat = true,
                other => die(&format!("--layout: dir or flat, not {other}")),
            },
            "-h" | "--help" => {
                println!(
                    "gen_corpus --out DIR [--seed N] [--mb N] [--files N] [--layout dir|flat]"
                );
                return ExitCode::SUCCESS;
            }
            other => die(&format!("unknown argument {other}")),
        }
    }
    let out = out.unwrap_or_else(|| die("--out DIR is required"));
    if let Err(e) = write_all(&out, seed, mb, files, flat) {
        eprintln!("gen_corpus: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn die(msg: &str) -> ! {
    eprintln!("gen_corpus: {msg}");
    std::process::exit(2)
}

fn write_all(
    out: &std::path::Path,
    seed: u64,
    mb: f64,
    files: usize,
    flat: bool,
) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let bytes = (mb * 1024.0 * 1024.0) as usize;
    let full = postgres_file(seed, bytes, Options::default());
    std::fs::write(out.join("pg_10mb.sql"), &full)?;
    let parseable = postgres_file(
        seed,
        bytes,
        Options {
            sqlparser_only: true,
        },
    );
    std::fs::write(out.join("pg_10mb_sqlparser.sql"), &parseable)?;
    std::fs::write(out.join("small.sql"), small_file(seed))?;

    let dir = out.join("migrations");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let mut total = 0usize;
    for m in migrations(seed, files) {
        total += m.up.len();
        if flat {
            std::fs::write(dir.join(format!("{}.sql", m.name)), &m.up)?;
        } else {
            let d = dir.join(&m.name);
            std::fs::create_dir(&d)?;
            std::fs::write(d.join("up.sql"), &m.up)?;
            std::fs::write(d.join("down.sql"), &m.down)?;
        }
    }
    eprintln!(
        "gen_corpus: pg_10mb.sql {} bytes, pg_10mb_sqlparser.sql {} bytes, {} migrations ({} bytes of up scripts) in {}",
        full.len(),
        parseable.len(),
        files,
        total,
        out.display()
    );
    Ok(())
}
