//! The numbers of a run: latency percentiles per window, failures by kind, the goals, and
//! the Markdown table and CSV that carry them.

use crate::app::{Outcome, Record, VERSIONS};
use crate::{Method, RunResult, LOCK_TIMEOUT};
use std::fmt::Write;

/// What the report says about the whole process run.
pub struct Context<'a> {
    pub scenario: crate::scenario::Scenario,
    /// `postgresql-15.20`, `mariadb-10.11.19`, …
    pub engine: &'a str,
    pub rows: i64,
    pub rate: u64,
    pub connections: usize,
    pub quick: bool,
    /// One-minute load average before and after.
    pub load: (Option<f64>, Option<f64>),
    /// The backfill's `batch_size …, pause_ms …`.
    pub backfill: String,
}

/// The goals for the bellows run.
pub struct Goals {
    pub zero_failures: bool,
    pub p99_within_2x: bool,
    pub no_wait_over_lock_timeout: bool,
}

pub fn method_name(m: Method) -> &'static str {
    match m {
        Method::Bellows => "bellows",
        Method::Naive => "naive",
    }
}

/// `postgresql-15.20` → `PostgreSQL 15.20`.
pub fn engine_title(engine: &str) -> String {
    let (name, version) = engine.split_once('-').unwrap_or((engine, ""));
    let name = match name {
        "postgresql" => "PostgreSQL",
        "mariadb" => "MariaDB",
        "mysql" => "MySQL",
        other => other,
    };
    format!("{name} {version}").trim().to_owned()
}

/// Latency statistics of a set of queries (microseconds).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub count: usize,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
    pub failed: usize,
    /// Slower than the lock timeout.
    pub slow: usize,
}

impl Stats {
    pub fn of<'a>(records: impl Iterator<Item = &'a Record>) -> Stats {
        let mut lat = Vec::new();
        let mut failed = 0;
        for r in records {
            lat.push(r.latency_us);
            if r.outcome != Outcome::Ok {
                failed += 1;
            }
        }
        lat.sort_unstable();
        let slow = lat
            .iter()
            .filter(|&&l| l > LOCK_TIMEOUT.as_micros() as u64)
            .count();
        Stats {
            count: lat.len(),
            p50: percentile(&lat, 0.50),
            p99: percentile(&lat, 0.99),
            max: lat.last().copied().unwrap_or(0),
            failed,
            slow,
        }
    }
}

/// The nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The before / during / after windows of a run.
pub struct Windows {
    pub before: Stats,
    pub during: Stats,
    pub after: Stats,
    pub all: Stats,
}

impl Windows {
    pub fn of(r: &RunResult) -> Windows {
        let (start, end) = ((r.change.0 * 1e6) as u64, (r.change.1 * 1e6) as u64);
        Windows {
            before: Stats::of(r.records.iter().filter(|q| q.planned_us < start)),
            during: Stats::of(
                r.records
                    .iter()
                    .filter(|q| q.planned_us >= start && q.planned_us < end),
            ),
            after: Stats::of(r.records.iter().filter(|q| q.planned_us >= end)),
            all: Stats::of(r.records.iter()),
        }
    }
}

/// Where the slow queries of a run are: the line is 1.5 × p99 before the change (what the
/// adaptive backfill's goal allows on PostgreSQL), and the shares are of the queries planned
/// in each window that took longer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverLine {
    pub line_us: u64,
    pub before: f64,
    pub during: f64,
    /// The 20 s stretch of the change with the largest share: (share, its start in s).
    pub worst: Option<(f64, f64)>,
}

/// The length of the stretches [`OverLine::worst`] compares.
const STRETCH_US: u64 = 20_000_000;

impl OverLine {
    pub fn of(r: &RunResult, w: &Windows) -> OverLine {
        let line_us = w.before.p99 * 3 / 2;
        let (start, end) = ((r.change.0 * 1e6) as u64, (r.change.1 * 1e6) as u64);
        let share = |lo: u64, hi: u64| {
            let (mut n, mut over) = (0u64, 0u64);
            for q in r
                .records
                .iter()
                .filter(|q| q.planned_us >= lo && q.planned_us < hi)
            {
                n += 1;
                over += u64::from(q.latency_us > line_us);
            }
            (n > 0).then(|| over as f64 / n as f64)
        };
        let mut worst: Option<(f64, f64)> = None;
        let mut at = start;
        while at < end {
            if let Some(s) = share(at, (at + STRETCH_US).min(end)) {
                if worst.is_none_or(|(best, _)| s > best) {
                    worst = Some((s, at as f64 / 1e6));
                }
            }
            at += STRETCH_US;
        }
        OverLine {
            line_us,
            before: share(0, start).unwrap_or(0.0),
            during: share(start, end).unwrap_or(0.0),
            worst,
        }
    }
}

/// The pacing trace's batch lines (`pacing: … batch_ms=… busy_slow=a/b rest_slow=c/d …`, with
/// `BELLOWS_PACING_TRACE=1`), summed: what the backfill's probes saw.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PacingSum {
    pub batches: u64,
    pub batch_ms: f64,
    /// Slow probe samples and all, taken during a batch or just after it.
    pub busy: (u64, u64),
    /// Slow probe samples and all, taken at rest between batches.
    pub rest: (u64, u64),
}

impl PacingSum {
    /// Adds one output line when it is a batch line of the trace.
    pub fn add_line(&mut self, line: &str) {
        let Some(at) = line.find("pacing: ") else {
            return;
        };
        let (mut batch_ms, mut busy, mut rest) = (None, None, None);
        for field in line[at + "pacing: ".len()..].split_whitespace() {
            let Some((key, value)) = field.split_once('=') else {
                continue;
            };
            let ratio = || {
                let (a, b) = value.split_once('/')?;
                Some((a.parse().ok()?, b.parse().ok()?))
            };
            match key {
                "batch_ms" => batch_ms = value.parse::<f64>().ok(),
                "busy_slow" => busy = ratio(),
                "rest_slow" => rest = ratio(),
                _ => {}
            }
        }
        if let (Some(ms), Some(b), Some(r)) = (batch_ms, busy, rest) {
            self.merge(&PacingSum {
                batches: 1,
                batch_ms: ms,
                busy: b,
                rest: r,
            });
        }
    }

    pub fn merge(&mut self, o: &PacingSum) {
        self.batches += o.batches;
        self.batch_ms += o.batch_ms;
        self.busy = (self.busy.0 + o.busy.0, self.busy.1 + o.busy.1);
        self.rest = (self.rest.0 + o.rest.0, self.rest.1 + o.rest.1);
    }
}

/// `0.0123` → `1.23%`.
fn pct(share: f64) -> String {
    format!("{:.2}%", share * 100.0)
}

/// `slow / all` as a percentage, or `—` without samples.
fn pct_of((slow, all): (u64, u64)) -> String {
    if all == 0 {
        "—".to_owned()
    } else {
        pct(slow as f64 / all as f64)
    }
}

/// `1234` µs → `1.23 ms`; seconds from one second on.
pub fn fmt_us(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn latency_cell(s: &Stats) -> String {
    if s.count == 0 {
        return "—".to_owned();
    }
    format!("{} / {} / {}", fmt_us(s.p50), fmt_us(s.p99), fmt_us(s.max))
}

fn failures_cell(r: &RunResult, w: &Windows) -> String {
    let total = r
        .records
        .iter()
        .filter(|q| q.outcome != Outcome::Ok)
        .count();
    if total == 0 {
        return "**0**".to_owned();
    }
    let kinds: Vec<String> = Outcome::FAILURES
        .iter()
        .filter_map(|k| {
            let n = r.records.iter().filter(|q| q.outcome == *k).count();
            (n > 0).then(|| format!("{} {}", k.name(), thousands(n as u64)))
        })
        .collect();
    format!(
        "**{}** ({}; before / during / after: {} / {} / {})",
        thousands(total as u64),
        kinds.join(", "),
        thousands(w.before.failed as u64),
        thousands(w.during.failed as u64),
        thousands(w.after.failed as u64)
    )
}

/// The Markdown report and the goals of the bellows run.
pub fn markdown(ctx: &Context<'_>, results: &[RunResult]) -> (String, Goals) {
    let mut out = String::new();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = |l: Option<f64>| l.map_or("?".to_owned(), |l| format!("{l:.1}"));
    let _ = writeln!(
        out,
        "### {} — {} rows, {} queries/s from {} connections{}\n",
        engine_title(ctx.engine),
        thousands(ctx.rows as u64),
        ctx.rate,
        ctx.connections,
        if ctx.quick { " (--quick)" } else { "" }
    );
    let windows: Vec<Windows> = results.iter().map(Windows::of).collect();
    let _ = write!(out, "| |");
    for r in results {
        let _ = write!(
            out,
            " {} |",
            match r.method {
                Method::Bellows => ctx.scenario.bellows_title(),
                Method::Naive => ctx.scenario.naive_title(),
            }
        );
    }
    let _ = write!(out, "\n|---|");
    for _ in results {
        let _ = write!(out, "---|");
    }
    out.push('\n');
    let mut row = |label: &str, cell: &dyn Fn(&RunResult, &Windows) -> String| {
        let _ = write!(out, "| {label} |");
        for (r, w) in results.iter().zip(&windows) {
            let _ = write!(out, " {} |", cell(r, w));
        }
        out.push('\n');
    };
    row("application queries (before / during / after)", &|_, w| {
        format!(
            "{} ({} / {} / {})",
            thousands(w.all.count as u64),
            thousands(w.before.count as u64),
            thousands(w.during.count as u64),
            thousands(w.after.count as u64)
        )
    });
    row("failed queries", &|r, w| failures_cell(r, w));
    row("latency before: p50 / p99 / max", &|_, w| {
        latency_cell(&w.before)
    });
    row("latency during the change: p50 / p99 / max", &|_, w| {
        latency_cell(&w.during)
    });
    row("latency after: p50 / p99 / max", &|_, w| {
        latency_cell(&w.after)
    });
    row(
        "p99 during ÷ before (adaptive backfill's goal: ≤ 1.5× PostgreSQL, ≤ 2× MariaDB/MySQL)",
        &|_, w| {
            if w.before.p99 == 0 {
                "—".to_owned()
            } else {
                format!("{:.2}×", w.during.p99 as f64 / w.before.p99 as f64)
            }
        },
    );
    row(
        "queries over 1.5 × p99 before: before / during the change; the worst 20 s of it",
        &|r, w| {
            let o = OverLine::of(r, w);
            let worst = o.worst.map_or("—".to_owned(), |(share, at)| {
                format!("{} from {at:.0} s", pct(share))
            });
            format!(
                "over {}: {} / {}; {worst}",
                fmt_us(o.line_us),
                pct(o.before),
                pct(o.during)
            )
        },
    );
    if results.iter().any(|r| r.pacing.batches > 0) {
        row(
            "pacing trace: probe samples slow during a batch / at rest; batches running",
            &|r, _| {
                let p = &r.pacing;
                if p.batches == 0 {
                    return "—".to_owned();
                }
                let running = r
                    .backfill
                    .filter(|b| b.1 > 0)
                    .map_or("—".to_owned(), |b| pct(p.batch_ms / b.1 as f64));
                format!(
                    "{} / {}; {} batches, running {running} of the backfill",
                    pct_of(p.busy),
                    pct_of(p.rest),
                    thousands(p.batches)
                )
            },
        );
    }
    row(
        &format!(
            "longest wait during the change; queries slower than lock_timeout ({} s)",
            LOCK_TIMEOUT.as_secs()
        ),
        &|_, w| format!("{}; {}", fmt_us(w.during.max), thousands(w.all.slow as u64)),
    );
    row("time of the change (in migration commands)", &|r, _| {
        format!(
            "{:.1} s ({:.1} s)",
            r.change.1 - r.change.0,
            r.migration_secs
        )
    });
    row("backfill", &|r, _| match (r.method, r.backfill) {
        (_, Some((rows, ms, rate))) => format!(
            "{} rows in {:.1} s, {} rows/s ({})",
            thousands(rows),
            ms as f64 / 1000.0,
            thousands(rate),
            ctx.backfill
        ),
        (Method::Naive, None) => ctx.scenario.naive_backfill().to_owned(),
        (Method::Bellows, None) => format!("— ({})", ctx.backfill),
    });
    row("migrations", &|r, _| match &r.migration_error {
        None => match r.method {
            Method::Bellows => format!("{} × `bellows migrate apply`: ok", r.commands.len()),
            Method::Naive => "ok".to_owned(),
        },
        Some(_) => "**FAILED** (below)".to_owned(),
    });
    out.push('\n');

    let safe = results
        .iter()
        .zip(&windows)
        .find(|(r, _)| r.method == Method::Bellows);
    let goals = match safe {
        Some((r, w)) => {
            let failed = r
                .records
                .iter()
                .filter(|q| q.outcome != Outcome::Ok)
                .count();
            let goals = Goals {
                zero_failures: failed == 0,
                p99_within_2x: w.during.p99 <= 2 * w.before.p99,
                no_wait_over_lock_timeout: w.all.slow == 0,
            };
            let pf = |ok: bool| if ok { "PASS" } else { "FAIL" };
            let _ = writeln!(out, "Goals for the bellows run:\n");
            let _ = writeln!(
                out,
                "- {} zero failed application queries ({})",
                pf(goals.zero_failures),
                thousands(failed as u64)
            );
            let _ = writeln!(
                out,
                "- {} p99 during the change within 2× of before ({} vs 2 × {} = {})",
                pf(goals.p99_within_2x),
                fmt_us(w.during.p99),
                fmt_us(w.before.p99),
                fmt_us(2 * w.before.p99)
            );
            let _ = writeln!(
                out,
                "- {} no application query waited longer than lock_timeout {} s (longest {}, {} over)",
                pf(goals.no_wait_over_lock_timeout),
                LOCK_TIMEOUT.as_secs(),
                fmt_us(w.all.max),
                thousands(w.all.slow as u64)
            );
            out.push('\n');
            goals
        }
        None => Goals {
            zero_failures: true,
            p99_within_2x: true,
            no_wait_over_lock_timeout: true,
        },
    };

    for r in results {
        let _ = writeln!(out, "{} run:\n", method_name(r.method));
        for c in &r.commands {
            let _ = writeln!(out, "- `{c}`");
        }
        for m in r.marks.iter() {
            let (a, b) = ((m.start * 1e6) as u64, (m.end * 1e6) as u64);
            let s = Stats::of(
                r.records
                    .iter()
                    .filter(|q| q.planned_us >= a && q.planned_us < b),
            );
            let _ = writeln!(
                out,
                "- {:.1} s – {:.1} s: {} ({} queries planned meanwhile, p99 {}, max {}, {} failed)",
                m.start,
                m.end,
                m.label,
                thousands(s.count as u64),
                fmt_us(s.p99),
                fmt_us(s.max),
                thousands(s.failed as u64)
            );
        }
        if let Some(e) = &r.migration_error {
            let _ = writeln!(out, "- migration failed: {}", one_line(e));
        }
        for (kind, text) in &r.samples {
            let n = r.records.iter().filter(|q| q.outcome == *kind).count();
            let _ = writeln!(
                out,
                "- {} × {}, first: {}",
                thousands(n as u64),
                kind.name(),
                one_line(text)
            );
        }
        let by_release: Vec<String> = VERSIONS[..ctx.scenario.releases()]
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let n = r.records.iter().filter(|q| q.release as usize == i).count();
                format!("{v}: {}", thousands(n as u64))
            })
            .collect();
        let _ = writeln!(out, "- queries by release: {}", by_release.join(", "));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Machine: {cores} cores, load average (1 min) {} before the runs, {} after.",
        load(ctx.load.0),
        load(ctx.load.1)
    );
    (out, goals)
}

fn one_line(text: &str) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 300 {
        let cut: String = t.chars().take(300).collect();
        format!("{cut}…")
    } else {
        t
    }
}

/// One line per query: planned time (s), latency (ms), release, operation, outcome.
pub fn csv(records: &[Record]) -> String {
    let mut out = String::from("planned_s,latency_ms,release,op,outcome\n");
    for r in records {
        let _ = writeln!(
            out,
            "{:.6},{:.3},{},{},{}",
            r.planned_us as f64 / 1e6,
            r.latency_us as f64 / 1e3,
            VERSIONS[r.release as usize],
            r.op.name(),
            r.outcome.name().replace(' ', "_")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn formats() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(fmt_us(1_234), "1.23 ms");
        assert_eq!(fmt_us(2_500_000), "2.50 s");
        assert_eq!(engine_title("postgresql-15.20"), "PostgreSQL 15.20");
    }

    #[test]
    fn sums_the_pacing_trace() {
        let mut p = PacingSum::default();
        p.add_line("pacing: end_ms=1796680328606 batch_ms=64.0 size=3771 rows=3724 reads=4 read_median=Some(0.34) commits=4 commit_median=Some(5.48) busy_slow=1/8 rest_slow=0/58 impact=Some(0.0035) lock_waits=0 next_size=4507 pause_ms=1894 throttle=-");
        p.add_line("pacing: end_ms=1 batch_ms=36 busy_slow=2/12 rest_slow=3/42 throttle=the batches slow 0.6% of probes");
        // Progress and other lines are not batches.
        p.add_line("0004_backfill: 42% (key 423618 of 1000730), 421005 rows, 4914 rows/s");
        p.add_line("note: 0004_backfill: adaptive pacing, batches of about 100 ms");
        assert_eq!(
            p,
            PacingSum {
                batches: 2,
                batch_ms: 100.0,
                busy: (3, 20),
                rest: (3, 100),
            }
        );
        assert_eq!(pct_of(p.busy), "15.00%");
        assert_eq!(pct_of((0, 0)), "—");
    }

    #[test]
    fn finds_the_queries_over_the_line_and_the_worst_stretch() {
        use crate::app::Op;
        // One query every 10 ms for 100 s; the change is from 10 s to 90 s. 1 in 50 takes
        // 2 ms (p99 before 2 ms, the line 3 ms); from 45 s to 55 s, 1 in 10 takes 5 ms.
        let records: Vec<Record> = (0..10_000u64)
            .map(|i| {
                let planned_us = i * 10_000;
                let slow = (45_000_000..55_000_000).contains(&planned_us) && i % 10 == 0;
                Record {
                    planned_us,
                    latency_us: if slow {
                        5_000
                    } else if i % 50 == 0 {
                        2_000
                    } else {
                        1_000
                    },
                    release: 0,
                    op: Op::Read,
                    outcome: Outcome::Ok,
                }
            })
            .collect();
        let r = RunResult {
            method: Method::Bellows,
            records,
            marks: Vec::new(),
            change: (10.0, 90.0),
            end: 100.0,
            migration_secs: 0.0,
            backfill: None,
            pacing: PacingSum::default(),
            migration_error: None,
            commands: Vec::new(),
            samples: Vec::new(),
        };
        let w = Windows::of(&r);
        let o = OverLine::of(&r, &w);
        assert_eq!(o.line_us, 3_000);
        assert_eq!(o.before, 0.0);
        // 1,000 of the change's 8,000 queries are in 45–55 s, a tenth of them slow.
        assert!((o.during - 100.0 / 8_000.0).abs() < 1e-9, "{o:?}");
        // The stretches start at 10, 30, 50 and 70 s. 30–50 s and 50–70 s each hold half of
        // the slow 10 s (50 slow queries of their 2,000); the first is the one named.
        let (share, at) = o.worst.unwrap();
        assert!((share - 50.0 / 2_000.0).abs() < 1e-9, "{o:?}");
        assert_eq!(at, 30.0);
    }
}
