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
}
