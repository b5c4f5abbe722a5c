//! Parse-only baseline versus bellows, on the same generated 10 MiB PostgreSQL text.
//!
//! Run with `cargo bench --bench parse` (about two minutes on 2 cores). The text is made
//! in memory by the generator in `bench/gen` (same seed and size as `bench/run.sh` writes
//! to `bench/out/corpus/`), so this bench needs no files.
//!
//! What is measured (one iteration = the whole 10 MiB):
//! - `sqlparser/parse_sql_whole_file`: `Parser::parse_sql(&PostgreSqlDialect {}, text)` on
//!   `pg_10mb_sqlparser.sql`, the variant without the statements sqlparser cannot read
//!   (DO blocks, REINDEX, DROP INDEX CONCURRENTLY, ALTER SEQUENCE). One thread.
//! - `sqlparser/per_statement`: bellows' splitter, then `parse_sql` on each statement's
//!   text, one thread: the parsing work bellows itself has to do.
//! - `bellows/lint_source`: `lint_source` (split, parse, classify, schema replay, rules)
//!   on the same text, with rayon's default pool (both cores).
//! - `bellows/lint_source_1_thread`: the same inside a one-thread rayon pool.
//! - `bellows/lint_source_full_mix`: `lint_source` on `pg_10mb.sql` (5% of statements go
//!   through the fallback recogniser).
//! - `bellows/split`: the splitter alone.

use bellows::dialect::Dialect;
use bellows::lint::{lint_source, LintSettings};
use bellows::parse::split::split;
use bellows::source::SourceFile;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::hint::black_box;
use std::time::Duration;

#[allow(dead_code)]
#[path = "../bench/gen/src/lib.rs"]
mod gen;

fn seed() -> u64 {
    std::env::var("BELLOWS_BENCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(gen::DEFAULT_SEED)
}

fn parse(c: &mut Criterion) {
    let parseable = gen::postgres_file(
        seed(),
        gen::BIG_FILE_BYTES,
        gen::Options {
            sqlparser_only: true,
        },
    );
    let full = gen::postgres_file(seed(), gen::BIG_FILE_BYTES, gen::Options::default());
    let settings = LintSettings::new(Dialect::Postgres);

    // The baseline must really parse the whole text, or the comparison means nothing.
    let n = Parser::parse_sql(&PostgreSqlDialect {}, &parseable)
        .expect("sqlparser must accept the whole sqlparser-only corpus")
        .len();
    let pieces = split(&parseable, Dialect::Postgres);
    assert_eq!(
        n,
        pieces.statements.len(),
        "sqlparser and the splitter disagree on the statement count"
    );
    let source = SourceFile::new("pg_10mb_sqlparser.sql", parseable.clone());
    let probe = lint_source(source.clone(), &settings);
    let invalid = probe
        .statements
        .iter()
        .filter(|s| s.invalid.is_some())
        .count();
    eprintln!(
        "corpus: {} bytes, {} statements, bellows: {} findings, {} statements invalid",
        parseable.len(),
        n,
        probe.findings.len(),
        invalid
    );

    let mut g = c.benchmark_group("sqlparser");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Bytes(parseable.len() as u64));
    g.bench_function("parse_sql_whole_file", |b| {
        b.iter(|| Parser::parse_sql(&PostgreSqlDialect {}, black_box(&parseable)).unwrap())
    });
    g.bench_function("per_statement", |b| {
        b.iter(|| {
            let s = split(black_box(&parseable), Dialect::Postgres);
            s.statements
                .iter()
                .map(|r| {
                    Parser::parse_sql(&PostgreSqlDialect {}, &parseable[r.span.clone()])
                        .unwrap()
                        .len()
                })
                .sum::<usize>()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("bellows");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Bytes(parseable.len() as u64));
    g.bench_function("lint_source", |b| {
        b.iter(|| lint_source(black_box(source.clone()), &settings))
    });
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    g.bench_function("lint_source_1_thread", |b| {
        b.iter(|| one.install(|| lint_source(black_box(source.clone()), &settings)))
    });
    let full_source = SourceFile::new("pg_10mb.sql", full.clone());
    g.throughput(Throughput::Bytes(full.len() as u64));
    g.bench_function("lint_source_full_mix", |b| {
        b.iter(|| lint_source(black_box(full_source.clone()), &settings))
    });
    g.throughput(Throughput::Bytes(parseable.len() as u64));
    g.bench_function("split", |b| {
        b.iter(|| split(black_box(&parseable), Dialect::Postgres))
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
