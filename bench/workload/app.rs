//! The simulated application: three releases whose queries come from the catalog's
//! `app/queries/<version>/accounts.sql`, sent at a fixed rate from a pool of connections.
//!
//! Every query has a planned time (`k / rate` after the start); a free connection takes the
//! next planned query, waits for its time if it is early, runs it, and records the latency
//! from the planned time, so a stalled database shows up as the queue it builds instead of
//! as fewer, faster samples (no coordinated omission).

use bellows::runner::{AnyBackend, Backend, DbErrorKind, Value};
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The releases, in deploy order.
pub const VERSIONS: [&str; 3] = ["1.0.0", "2.0.0", "3.0.0"];

/// Share of reads, updates and inserts in the traffic (percent).
const READ_PCT: u32 = 60;
const UPDATE_PCT: u32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Update,
    Insert,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Update => "update",
            Op::Insert => "insert",
        }
    }
}

/// What a query returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Ok,
    /// The column the release uses is gone (42703 / 1054).
    MissingColumn,
    /// `lock_timeout` / `innodb_lock_wait_timeout` expired.
    LockTimeout,
    Other,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::MissingColumn => "missing column",
            Outcome::LockTimeout => "lock timeout",
            Outcome::Other => "other",
        }
    }

    pub const FAILURES: [Outcome; 3] =
        [Outcome::MissingColumn, Outcome::LockTimeout, Outcome::Other];
}

/// One application query as it happened.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    /// When it should have started, from the start of the run.
    pub planned_us: u64,
    /// From the planned time to the answer.
    pub latency_us: u64,
    /// Index into [`VERSIONS`].
    pub release: u8,
    pub op: Op,
    pub outcome: Outcome,
}

/// A value a query binds, named in its `-- params:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    Id,
    Email,
    EmailNorm,
    Name,
    /// The same value as `name`, under the column's new name (`--scenario rename`).
    FullName,
}

#[derive(Debug, Clone)]
struct Query {
    sql: String,
    params: Vec<Param>,
}

/// One release's three queries.
#[derive(Debug, Clone)]
pub struct Release {
    read: Query,
    update: Query,
    insert: Query,
}

/// Reads `app/queries/<version>/accounts.sql` of the first `count` releases: `-- name:
/// read|update|insert` starts a query, `-- params: id, email, …` names its placeholders in
/// order, and the statement runs to its `;`.
pub fn load_releases(catalog: &Path, count: usize) -> Result<Vec<Release>, String> {
    VERSIONS[..count.min(VERSIONS.len())]
        .iter()
        .map(|v| {
            let path = catalog.join("app/queries").join(v).join("accounts.sql");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            parse_release(&text).map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

fn parse_release(text: &str) -> Result<Release, String> {
    let mut queries: Vec<(String, Query)> = Vec::new();
    let mut current: Option<(String, Vec<Param>, String)> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix("-- name:") {
            current = Some((name.trim().to_owned(), Vec::new(), String::new()));
            continue;
        }
        let Some((_, params, sql)) = current.as_mut() else {
            continue;
        };
        if let Some(list) = trimmed.strip_prefix("-- params:") {
            for p in list.split(',') {
                params.push(match p.trim() {
                    "id" => Param::Id,
                    "email" => Param::Email,
                    "email_norm" => Param::EmailNorm,
                    "name" => Param::Name,
                    "full_name" => Param::FullName,
                    other => return Err(format!("unknown parameter `{other}`")),
                });
            }
            continue;
        }
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        if !sql.is_empty() {
            sql.push(' ');
        }
        sql.push_str(trimmed);
        if trimmed.ends_with(';') {
            if let Some((name, params, mut sql)) = current.take() {
                sql.pop();
                queries.push((name, Query { sql, params }));
            }
        }
    }
    let mut take = |name: &str| {
        queries
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| queries.swap_remove(i).1)
            .ok_or_else(|| format!("no `-- name: {name}` query"))
    };
    Ok(Release {
        read: take("read")?,
        update: take("update")?,
        insert: take("insert")?,
    })
}

/// How much of the traffic each release sends, changed by rolling deploys.
pub struct Mix {
    ramps: Mutex<Vec<Ramp>>,
}

#[derive(Debug, Clone, Copy)]
struct Ramp {
    start_us: u64,
    dur_us: u64,
    from: [f64; 3],
    to: [f64; 3],
}

impl Mix {
    pub fn new(weights: [f64; 3]) -> Mix {
        Mix {
            ramps: Mutex::new(vec![Ramp {
                start_us: 0,
                dur_us: 0,
                from: weights,
                to: weights,
            }]),
        }
    }

    /// The weights at `t_us` after the start.
    pub fn at(&self, t_us: u64) -> [f64; 3] {
        let ramps = self.ramps.lock().expect("the mix lock is never poisoned");
        let r = ramps
            .iter()
            .rev()
            .find(|r| r.start_us <= t_us)
            .unwrap_or(&ramps[0]);
        if r.dur_us == 0 || t_us >= r.start_us + r.dur_us {
            return r.to;
        }
        let f = (t_us - r.start_us) as f64 / r.dur_us as f64;
        let mut w = [0.0; 3];
        for (i, w) in w.iter_mut().enumerate() {
            *w = r.from[i] + (r.to[i] - r.from[i]) * f;
        }
        w
    }

    /// From `now_us` on, moves the traffic linearly to `to` over `dur`: a rolling deploy.
    pub fn ramp(&self, now_us: u64, to: [f64; 3], dur: Duration) {
        let from = self.at(now_us);
        self.ramps
            .lock()
            .expect("the mix lock is never poisoned")
            .push(Ramp {
                start_us: now_us,
                dur_us: dur.as_micros() as u64,
                from,
                to,
            });
    }
}

/// What the connections share.
pub struct Traffic {
    pub start: Instant,
    pub rate: u64,
    pub mix: Mix,
    /// Rows loaded: reads and updates pick an id in `1..=rows`.
    rows: i64,
    /// The next planned query.
    next: AtomicU64,
    /// Planned times from here on are not run (`u64::MAX` until the run ends).
    stop_us: AtomicU64,
    /// The next id an insert uses.
    next_id: AtomicI64,
    /// The first error message of each kind, for the report.
    pub samples: Mutex<Vec<(Outcome, String)>>,
}

impl Traffic {
    pub fn new(rate: u64, rows: i64, mix: Mix) -> Traffic {
        if std::env::var_os("BELLOWS_PACING_TRACE").is_some() {
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            eprintln!("workload: traffic starts at epoch_ms={wall}");
        }
        Traffic {
            start: Instant::now(),
            rate,
            mix,
            rows,
            next: AtomicU64::new(0),
            stop_us: AtomicU64::new(u64::MAX),
            next_id: AtomicI64::new(rows + 1),
            samples: Mutex::new(Vec::new()),
        }
    }

    /// Microseconds since the start.
    pub fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// No query planned after now is sent.
    pub fn stop(&self) {
        self.stop_us.store(self.now_us(), Ordering::SeqCst);
    }

    fn stopped_at(&self, planned_us: u64) -> bool {
        planned_us >= self.stop_us.load(Ordering::SeqCst)
    }
}

/// One connection of the application's pool: takes the next planned query until the run
/// stops, and returns what happened to each.
pub async fn connection(
    traffic: Arc<Traffic>,
    releases: Arc<Vec<Release>>,
    url: bellows::runner::url::DbUrl,
    mut db: AnyBackend,
    seed: u64,
) -> Vec<Record> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut records = Vec::new();
    loop {
        let k = traffic.next.fetch_add(1, Ordering::SeqCst);
        let planned_us = k * 1_000_000 / traffic.rate;
        if traffic.stopped_at(planned_us) {
            break;
        }
        let planned = traffic.start + Duration::from_micros(planned_us);
        tokio::time::sleep_until(planned.into()).await;
        if traffic.stopped_at(planned_us) {
            break;
        }
        let release = pick(&traffic.mix.at(planned_us), &mut rng);
        let roll = rng.u32(0..100);
        let op = if roll < READ_PCT {
            Op::Read
        } else if roll < READ_PCT + UPDATE_PCT {
            Op::Update
        } else {
            Op::Insert
        };
        let r = &releases[release];
        let (query, id) = match op {
            Op::Read => (&r.read, rng.i64(1..=traffic.rows)),
            Op::Update => (&r.update, rng.i64(1..=traffic.rows)),
            Op::Insert => (&r.insert, traffic.next_id.fetch_add(1, Ordering::SeqCst)),
        };
        // Unique per query: the id, and for updates the query's number.
        let email = messy_email(id, if op == Op::Update { k + 1 } else { 0 }, &mut rng);
        let params: Vec<Value> = query
            .params
            .iter()
            .map(|p| match p {
                Param::Id => Value::Int(id),
                Param::Email => Value::Text(email.clone()),
                Param::EmailNorm => Value::Text(email.trim().to_lowercase()),
                // Updates change the name, so that the rename's triggers have work to do.
                Param::Name | Param::FullName if op == Op::Update => {
                    Value::Text(format!("Name {id}.{}", k + 1))
                }
                Param::Name | Param::FullName => Value::Text(format!("Name {id}")),
            })
            .collect();
        let result = match op {
            Op::Read => db.query(&query.sql, &params).await.map(|_| ()),
            Op::Update | Op::Insert => db.execute_with(&query.sql, &params).await.map(|_| ()),
        };
        let latency_us = traffic.start.elapsed().as_micros() as u64 - planned_us;
        let outcome = match &result {
            Ok(()) => Outcome::Ok,
            Err(e) if e.kind == DbErrorKind::LockTimeout => Outcome::LockTimeout,
            Err(e) if matches!(e.code.as_deref(), Some("42703" | "1054")) => Outcome::MissingColumn,
            Err(_) => Outcome::Other,
        };
        if let Err(e) = &result {
            {
                let mut samples = traffic
                    .samples
                    .lock()
                    .expect("the samples lock is never poisoned");
                if !samples.iter().any(|(o, _)| *o == outcome) {
                    samples.push((outcome, format!("{} {}: {e}", VERSIONS[release], op.name())));
                }
            }
            if e.kind == DbErrorKind::Connection {
                // The pool replaces a dead connection; the next query waits for it.
                if let Ok(fresh) = AnyBackend::connect(&url).await {
                    db = fresh;
                }
            }
        }
        records.push(Record {
            planned_us,
            latency_us,
            release: release as u8,
            op,
            outcome,
        });
    }
    records
}

/// A release drawn by weight.
fn pick(weights: &[f64; 3], rng: &mut fastrand::Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.f64() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// An email as users type it: mixed case, stray spaces. `k` tells updates apart.
fn messy_email(id: i64, k: u64, rng: &mut fastrand::Rng) -> String {
    const PAD: [&str; 3] = ["", " ", "  "];
    const USER: [&str; 4] = ["u", "U", "User", "uSeR"];
    const DOMAIN: [&str; 3] = ["Example.COM", "example.com", "Mail.Example.Org"];
    let lead = PAD[rng.usize(..PAD.len())];
    let trail = PAD[rng.usize(..PAD.len())];
    let user = USER[rng.usize(..USER.len())];
    let domain = DOMAIN[rng.usize(..DOMAIN.len())];
    if k == 0 {
        format!("{lead}{user}{id}.new@{domain}{trail}")
    } else {
        format!("{lead}{user}{id}.{k}@{domain}{trail}")
    }
}

/// The email of row `g` of the initial data: mixed case and stray spaces, and
/// `lower(trim(…))` unique.
pub fn seed_email(g: i64) -> String {
    const LEAD: [&str; 3] = ["", " ", "  "];
    const USER: [&str; 4] = ["user", "User", "USER", "uSeR"];
    const DOMAIN: [&str; 3] = ["example.com", "Example.COM", "mail.EXAMPLE.org"];
    const TRAIL: [&str; 3] = ["", " ", "   "];
    let g_u = g.unsigned_abs() as usize;
    format!(
        "{}{}{g}@{}{}",
        LEAD[g_u % 3],
        USER[g_u % 4],
        DOMAIN[g_u % 5 % 3],
        TRAIL[g_u % 7 % 3]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_release() {
        let r = parse_release(
            "-- x\n-- name: read\n-- params: id\nSELECT a\n  FROM t WHERE id = $1;\n\
             -- name: update\n-- params: email, id\nUPDATE t SET e = $1 WHERE id = $2;\n\
             -- name: insert\n-- params: id, email_norm, name\nINSERT INTO t VALUES ($1, $2, $3);\n",
        )
        .expect("parses");
        assert_eq!(r.read.sql, "SELECT a FROM t WHERE id = $1");
        assert_eq!(r.update.params, vec![Param::Email, Param::Id]);
        assert_eq!(
            r.insert.params,
            vec![Param::Id, Param::EmailNorm, Param::Name]
        );
    }

    #[test]
    fn ramps_move_linearly() {
        let m = Mix::new([1.0, 0.0, 0.0]);
        m.ramp(1_000, [0.0, 1.0, 0.0], Duration::from_micros(1_000));
        assert_eq!(m.at(500), [1.0, 0.0, 0.0]);
        assert_eq!(m.at(1_500), [0.5, 0.5, 0.0]);
        assert_eq!(m.at(5_000), [0.0, 1.0, 0.0]);
    }
}
