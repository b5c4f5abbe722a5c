//! The latency plot: one panel per run, same axes, seconds on x, latency on a log scale on
//! y (p50, p99 and max per time bucket), failed queries per second in a strip below, the
//! migration steps and deploys shaded and labelled.

use crate::app::Outcome;
use crate::report::{engine_title, fmt_us, method_name, thousands, Context, Windows};
use crate::{MarkKind, Method, RunResult, LOCK_TIMEOUT};
use std::fmt::Write;

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 74.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 70.0;
const HEADER: f64 = 20.0;
const LABEL_ROW: f64 = 13.0;
const LABEL_ROWS: usize = 3;
const PLOT_H: f64 = 220.0;
const GAP: f64 = 6.0;
const STRIP_H: f64 = 34.0;
const AXIS_H: f64 = 30.0;
const PANEL_GAP: f64 = 16.0;

const P50: &str = "#1f4e79";
const P99: &str = "#e67e22";
const MAX: &str = "#8c8c8c";
const FAIL: &str = "#c0392b";
const MIGRATION: &str = "#cfe2f3";
const MIGRATION_TEXT: &str = "#1f4e79";
const DEPLOY: &str = "#d9ead3";
const DEPLOY_TEXT: &str = "#2e7d32";

fn panel_height() -> f64 {
    HEADER + LABEL_ROW * LABEL_ROWS as f64 + 4.0 + PLOT_H + GAP + STRIP_H + AXIS_H
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One time bucket of a run.
#[derive(Default, Clone)]
struct Bucket {
    lat: Vec<u64>,
    failed: usize,
}

pub fn render(ctx: &Context<'_>, runs: &[RunResult]) -> String {
    let x_max = nice_ceiling(runs.iter().map(|r| r.end).fold(1.0, f64::max));
    let lat_max = runs
        .iter()
        .flat_map(|r| r.records.iter().map(|q| q.latency_us))
        .max()
        .unwrap_or(1);
    // Decades from 0.1 ms up to at least 10 s.
    let y_lo = 2.0_f64; // log10(100 µs)
    let y_hi = (lat_max.max(1) as f64).log10().ceil().max(7.0);
    let bucket_s = nice_bucket(x_max / 250.0);
    let n_buckets = (x_max / bucket_s).ceil() as usize + 1;
    let per_run: Vec<Vec<Bucket>> = runs
        .iter()
        .map(|r| {
            let mut b = vec![Bucket::default(); n_buckets];
            for q in &r.records {
                let i = ((q.planned_us as f64 / 1e6) / bucket_s) as usize;
                if let Some(b) = b.get_mut(i) {
                    b.lat.push(q.latency_us);
                    if q.outcome != Outcome::Ok {
                        b.failed += 1;
                    }
                }
            }
            for b in &mut b {
                b.lat.sort_unstable();
            }
            b
        })
        .collect();
    let fail_max = per_run
        .iter()
        .flatten()
        .map(|b| b.failed)
        .max()
        .unwrap_or(0);

    let height = TOP + runs.len() as f64 * (panel_height() + PANEL_GAP) + 4.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let x = |s: f64| LEFT + s / x_max * plot_w;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        o,
        r#"<rect width="{WIDTH}" height="{height:.0}" fill="white"/>"#
    );
    let _ = writeln!(
        o,
        r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold">Application latency while {} — {}</text>"#,
        esc(ctx.scenario.change()),
        esc(&engine_title(ctx.engine))
    );
    let _ = writeln!(
        o,
        r##"<text x="{LEFT}" y="40" fill="#444">{} rows, {} queries/s from {} connections (60% reads, 30% updates, 10% inserts); latency from each query's planned start, per {bucket_s} s</text>"##,
        thousands(ctx.rows as u64),
        ctx.rate,
        ctx.connections
    );
    // Legend.
    enum Swatch {
        Line(&'static str, bool),
        Dot(&'static str),
        Box(&'static str),
    }
    let lock_label = format!("lock_timeout {} s", LOCK_TIMEOUT.as_secs());
    let items: [(Swatch, &str); 7] = [
        (Swatch::Line(P50, false), "p50"),
        (Swatch::Line(P99, false), "p99"),
        (Swatch::Dot(MAX), "max"),
        (Swatch::Box(FAIL), "failed queries"),
        (Swatch::Box(MIGRATION), "migration running"),
        (Swatch::Box(DEPLOY), "rolling deploy"),
        (Swatch::Line(FAIL, true), &lock_label),
    ];
    let mut lx = LEFT;
    let ly = 58.0;
    for (swatch, label) in items {
        let _ = match swatch {
            Swatch::Line(color, dashed) => writeln!(
                o,
                r#"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"{}/>"#,
                ly - 4.0,
                lx + 18.0,
                ly - 4.0,
                if dashed {
                    r#" stroke-dasharray="5,3""#
                } else {
                    ""
                }
            ),
            Swatch::Dot(color) => writeln!(
                o,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2" fill="{color}"/>"#,
                lx + 9.0,
                ly - 4.0
            ),
            Swatch::Box(color) => writeln!(
                o,
                r#"<rect x="{lx:.1}" y="{:.1}" width="18" height="10" fill="{color}"/>"#,
                ly - 9.0
            ),
        };
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{ly}">{}</text>"#,
            lx + 22.0,
            esc(label)
        );
        lx += 34.0 + label.len() as f64 * 6.2;
    }

    for (pi, (run, buckets)) in runs.iter().zip(&per_run).enumerate() {
        let top = TOP + pi as f64 * (panel_height() + PANEL_GAP);
        let plot_top = top + HEADER + LABEL_ROW * LABEL_ROWS as f64 + 4.0;
        let plot_bottom = plot_top + PLOT_H;
        let y = |us: f64| {
            let l = us.max(1.0).log10().clamp(y_lo, y_hi);
            plot_bottom - (l - y_lo) / (y_hi - y_lo) * PLOT_H
        };
        let w = Windows::of(run);
        let failed = run
            .records
            .iter()
            .filter(|q| q.outcome != Outcome::Ok)
            .count();
        let title = match run.method {
            Method::Bellows => format!(
                "{}, by `bellows migrate apply`",
                ctx.scenario.bellows_title()
            ),
            Method::Naive if ctx.engine.starts_with("postgres") => format!(
                "{}, in one transaction, `psql -1 -f {}`",
                ctx.scenario.naive_title(),
                ctx.scenario.naive_file()
            ),
            Method::Naive => format!(
                "{}, `mariadb < {}`",
                ctx.scenario.naive_title(),
                ctx.scenario.naive_file()
            ),
        };
        let _ = writeln!(
            o,
            r#"<text x="{LEFT}" y="{:.1}" font-size="12.5" font-weight="bold">{}</text>"#,
            top + 13.0,
            esc(&title)
        );
        let summary = format!(
            "{} failed · during the change p99 {} · longest {}{}",
            thousands(failed as u64),
            fmt_us(w.during.p99),
            fmt_us(w.during.max),
            if run.migration_error.is_some() {
                " · migration FAILED"
            } else {
                ""
            }
        );
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{}">{}</text>"#,
            WIDTH - RIGHT,
            top + 13.0,
            if failed > 0 || run.migration_error.is_some() {
                FAIL
            } else {
                "#2e7d32"
            },
            esc(&summary)
        );

        // Shaded steps and deploys, and their labels in rows above the plot.
        let mut row_end = [f64::NEG_INFINITY; LABEL_ROWS];
        for m in &run.marks {
            let (fill, text) = match m.kind {
                MarkKind::Migration => (MIGRATION, MIGRATION_TEXT),
                MarkKind::Deploy => (DEPLOY, DEPLOY_TEXT),
            };
            let x0 = x(m.start);
            let x1 = x(m.end).max(x0 + 1.5);
            let _ = writeln!(
                o,
                r#"<rect x="{x0:.1}" y="{plot_top:.1}" width="{:.1}" height="{PLOT_H}" fill="{fill}" opacity="0.75"/>"#,
                x1 - x0
            );
            let _ = writeln!(
                o,
                r#"<line x1="{x0:.1}" y1="{:.1}" x2="{x0:.1}" y2="{plot_bottom:.1}" stroke="{text}" stroke-width="1" stroke-dasharray="3,2"/>"#,
                top + HEADER
            );
            let label = format!("{} ({:.1} s)", m.label, m.end - m.start);
            let width = label.chars().count() as f64 * 6.1 + 8.0;
            let row = (0..LABEL_ROWS)
                .find(|&r| row_end[r] < x0)
                .unwrap_or_else(|| {
                    (0..LABEL_ROWS)
                        .min_by(|a, b| row_end[*a].total_cmp(&row_end[*b]))
                        .unwrap_or(0)
                });
            row_end[row] = x0 + width;
            let _ = writeln!(
                o,
                r#"<text x="{:.1}" y="{:.1}" fill="{text}">{}</text>"#,
                x0 + 3.0,
                top + HEADER + LABEL_ROW * (row as f64 + 1.0) - 2.0,
                esc(&label)
            );
        }

        // Grid and y labels.
        let mut d = y_lo;
        while d <= y_hi + 1e-9 {
            let yy = y(10f64.powf(d));
            let _ = writeln!(
                o,
                r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#d0d0d0" stroke-width="0.6"/>"##,
                WIDTH - RIGHT
            );
            let _ = writeln!(
                o,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT - 6.0,
                yy + 4.0,
                decade_label(d)
            );
            d += 1.0;
        }
        let _ = writeln!(
            o,
            r##"<text transform="translate({:.1},{:.1}) rotate(-90)" text-anchor="middle" fill="#444">latency</text>"##,
            LEFT - 52.0,
            plot_top + PLOT_H / 2.0
        );

        // lock_timeout, and for the bellows run the 2× p99-before goal over the change.
        let lt = y(LOCK_TIMEOUT.as_micros() as f64);
        let _ = writeln!(
            o,
            r#"<line x1="{LEFT}" y1="{lt:.1}" x2="{:.1}" y2="{lt:.1}" stroke="{FAIL}" stroke-width="1" stroke-dasharray="5,3"/>"#,
            WIDTH - RIGHT
        );
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{FAIL}">lock_timeout {} s</text>"#,
            WIDTH - RIGHT - 4.0,
            lt - 4.0,
            LOCK_TIMEOUT.as_secs()
        );
        if run.method == Method::Bellows && w.before.count > 0 {
            let g = y(2.0 * w.before.p99 as f64);
            let _ = writeln!(
                o,
                r##"<line x1="{:.1}" y1="{g:.1}" x2="{:.1}" y2="{g:.1}" stroke="#2e7d32" stroke-width="1.2" stroke-dasharray="2,2"/>"##,
                x(run.change.0),
                x(run.change.1)
            );
            let _ = writeln!(
                o,
                r##"<text x="{:.1}" y="{:.1}" fill="#2e7d32">2 × p99 before ({})</text>"##,
                x(run.change.0) + 4.0,
                g - 4.0,
                fmt_us(2 * w.before.p99)
            );
        }

        // Max as dots, p99 and p50 as lines broken where a bucket is empty.
        let at = |i: usize| x((i as f64 + 0.5) * bucket_s);
        for (i, b) in buckets.iter().enumerate() {
            if let Some(m) = b.lat.last() {
                let _ = writeln!(
                    o,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="1.6" fill="{MAX}"/>"#,
                    at(i),
                    y(*m as f64)
                );
            }
        }
        for (q, color) in [(0.99, P99), (0.50, P50)] {
            let mut path = String::new();
            let mut pen_down = false;
            for (i, b) in buckets.iter().enumerate() {
                if b.lat.is_empty() {
                    pen_down = false;
                    continue;
                }
                let v = crate::report::percentile(&b.lat, q) as f64;
                let _ = write!(
                    path,
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    at(i),
                    y(v)
                );
                pen_down = true;
            }
            let _ = writeln!(
                o,
                r#"<path d="{}" fill="none" stroke="{color}" stroke-width="1.5" stroke-linejoin="round"/>"#,
                path.trim_end()
            );
        }
        let _ = writeln!(
            o,
            r##"<rect x="{LEFT}" y="{plot_top:.1}" width="{plot_w:.1}" height="{PLOT_H}" fill="none" stroke="#555" stroke-width="0.8"/>"##
        );

        // Failed queries per second.
        let strip_top = plot_bottom + GAP;
        let _ = writeln!(
            o,
            r##"<rect x="{LEFT}" y="{strip_top:.1}" width="{plot_w:.1}" height="{STRIP_H}" fill="#fbeeee" stroke="#d8b0b0" stroke-width="0.6"/>"##
        );
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{FAIL}">failed/s</text>"#,
            LEFT - 6.0,
            strip_top + STRIP_H / 2.0 + 4.0
        );
        if buckets.iter().any(|b| b.failed > 0) {
            let bw = (x(bucket_s) - x(0.0)).max(1.0);
            for (i, b) in buckets.iter().enumerate() {
                if b.failed == 0 {
                    continue;
                }
                let h = (b.failed as f64 / fail_max as f64 * (STRIP_H - 2.0)).max(1.5);
                let _ = writeln!(
                    o,
                    r#"<rect x="{:.1}" y="{:.1}" width="{bw:.1}" height="{h:.1}" fill="{FAIL}"/>"#,
                    x(i as f64 * bucket_s),
                    strip_top + STRIP_H - h
                );
            }
            let _ = writeln!(
                o,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{FAIL}">top: {:.0}/s</text>"#,
                WIDTH - RIGHT - 4.0,
                strip_top + 12.0,
                fail_max as f64 / bucket_s
            );
        } else {
            let _ = writeln!(
                o,
                r##"<text x="{:.1}" y="{:.1}" fill="#777">none</text>"##,
                LEFT + 6.0,
                strip_top + STRIP_H / 2.0 + 4.0
            );
        }

        // x axis.
        let axis_y = strip_top + STRIP_H;
        let step = tick_step(x_max);
        let mut s = 0.0;
        while s <= x_max + 1e-9 {
            let xx = x(s);
            let _ = writeln!(
                o,
                r##"<line x1="{xx:.1}" y1="{axis_y:.1}" x2="{xx:.1}" y2="{:.1}" stroke="#555"/>"##,
                axis_y + 4.0
            );
            let _ = writeln!(
                o,
                r#"<text x="{xx:.1}" y="{:.1}" text-anchor="middle">{s:.0}</text>"#,
                axis_y + 16.0
            );
            s += step;
        }
        let _ = writeln!(
            o,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">seconds since the {} run started</text>"##,
            WIDTH - RIGHT,
            axis_y + 28.0,
            method_name(run.method)
        );
    }
    o.push_str("</svg>\n");
    o
}

fn decade_label(d: f64) -> &'static str {
    match d.round() as i64 {
        2 => "0.1 ms",
        3 => "1 ms",
        4 => "10 ms",
        5 => "100 ms",
        6 => "1 s",
        7 => "10 s",
        8 => "100 s",
        9 => "1000 s",
        _ => "",
    }
}

fn nice_ceiling(v: f64) -> f64 {
    let step = tick_step(v);
    (v / step).ceil() * step
}

fn tick_step(span: f64) -> f64 {
    [1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0]
        .into_iter()
        .find(|s| span / s <= 14.0)
        .unwrap_or(600.0)
}

fn nice_bucket(v: f64) -> f64 {
    [0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0]
        .into_iter()
        .find(|b| *b >= v)
        .unwrap_or(10.0)
}
