//! How fast a backfill goes: the size of each batch and the pause after it.
//!
//! Owns the pacing controller, a pure function of what the runner measured (no clock, no
//! database): `backfill.rs` runs a batch, [`super::watch`] measures what the application
//! felt meanwhile, and the [`Observation`] goes to [`Pacer::observe`], which answers with
//! the next batch size and pause.
//!
//! Adaptive pacing (the default) keeps what the backfill adds to the application's slow
//! queries inside a budget:
//! - each batch is sized so that it takes about `target-batch-ms` (from the rows per
//!   millisecond the last batch achieved), and never more than that;
//! - a second session samples a read probe and a commit probe every few milliseconds,
//!   through each pause and batch; a sample over its probe's threshold is *slow*. Samples
//!   taken while a batch runs, or shortly after its commit, are *busy*; the others, in the
//!   rest of a pause, are *at rest*. The backfill's **impact** is how much more often a busy
//!   sample is slow than one at rest, times the share of the time that is busy (moving
//!   averages over the last few batches): the share of the application's queries the
//!   batches make slow, with the server's own noise (the same with or without a backfill)
//!   taken out;
//! - while the impact is over `max-impact` (default [`DEFAULT_MAX_IMPACT`]), the pause
//!   doubles (up to `max-pause-ms`);
//!   under half of it, the pause shrinks by an eighth (at least a step) and the batch grows
//!   back to the target size; in between both hold. What a batch costs the application is
//!   about proportional to the rows it writes, so the pause is the lever;
//! - sessions waiting on locks longer than the probe budget, the read probe's median over
//!   the pause and batch above that budget, or a batch four times over its target time,
//!   halve the batch and double the pause;
//! - without a second session, a probe after each batch that is over its budget does the
//!   same.
//!
//! Fixed pacing (`batch_size` / `pause_ms` written in `migration.toml`) keeps both as given.
//! Either way the smallest batch is [`MIN_BATCH`] rows and the longest pause `max-pause-ms`,
//! so a throttled backfill still moves, and the controller says so when it has been
//! throttled for [`long_throttle_ms`].

use std::fmt;
use std::time::Duration;

/// The default time one adaptive batch should take.
pub const DEFAULT_TARGET_BATCH_MS: u64 = 100;
/// The default longest pause between two batches.
pub const DEFAULT_MAX_PAUSE_MS: u64 = 5_000;
/// The smallest adaptive batch.
pub const MIN_BATCH: u64 = 10;
/// The largest adaptive batch.
pub const MAX_BATCH: u64 = 100_000;
/// The first adaptive batch: small, so a slow table is not hit by a long first batch.
pub const FIRST_BATCH: u64 = 100;
/// The default largest impact (the share of probe samples the batches make slow), beyond
/// which the pause grows: `[backfill] max-impact`. Half of the one query in a hundred that
/// p99 allows: a server at rest has slow queries of its own. Lower is not always gentler:
/// a slower backfill keeps the table's dead rows and the checkpoints of what it wrote
/// around for longer (runner.md, Pacing).
pub const DEFAULT_MAX_IMPACT: f64 = 0.005;
/// How much of the moving averages one batch keeps from the ones before.
const DECAY: f64 = 0.8;
/// The busy samples the moving average needs before it decides anything.
const MIN_SAMPLES: f64 = 10.0;
/// What the share of slow samples at rest is taken to be before any is seen: the
/// thresholds are set so that about one in a hundred is.
const PRIOR_REST_SHARE: f64 = 0.01;
/// The weight of that prior, in samples.
const PRIOR_REST_SAMPLES: f64 = 50.0;
/// How long a backfill may stay throttled before the controller says so (and again each
/// time this long passes), at least: ten of its longest pauses, and at least 1 s.
pub fn long_throttle_ms(max_pause_ms: u64) -> u64 {
    max_pause_ms.saturating_mul(10).max(1000)
}

/// What the controller is given.
#[derive(Debug, Clone, PartialEq)]
pub struct PacingConfig {
    /// `Some((batch, pause_ms))`: fixed pacing; the controller only reports.
    pub fixed: Option<(u64, u64)>,
    /// How long one adaptive batch should take.
    pub target_batch_ms: u64,
    /// The probe latency above which the backfill backs off.
    pub budget_ms: f64,
    /// The longest pause between batches.
    pub max_pause_ms: u64,
    /// The largest impact (a share, 0.01 for 1%) beyond which the pause grows.
    pub max_impact: f64,
}

/// Why the backfill is slowed down.
#[derive(Debug, Clone, PartialEq)]
pub enum Throttle {
    /// The probe took longer than its budget.
    Latency { probe_ms: f64, budget_ms: f64 },
    /// The batches make too many of the probes slow (the impact and its limit, shares).
    Impact { share: f64, limit: f64 },
    /// Other sessions were waiting on locks (the longest for this long, when known).
    LockWaits {
        sessions: u64,
        longest_ms: Option<f64>,
    },
    /// The batch itself took much longer than the target (the server is slow).
    SlowBatch { batch_ms: f64, target_ms: u64 },
}

impl fmt::Display for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Throttle::Latency {
                probe_ms,
                budget_ms,
            } => write!(f, "probe {probe_ms:.1} ms > budget {budget_ms:.1} ms"),
            Throttle::Impact { share, limit } => write!(
                f,
                "the batches slow {:.1}% of probes (at most {}%)",
                share * 100.0,
                limit * 100.0
            ),
            Throttle::LockWaits {
                sessions,
                longest_ms,
            } => {
                write!(
                    f,
                    "{sessions} session{} waiting on locks",
                    if *sessions == 1 { "" } else { "s" }
                )?;
                match longest_ms {
                    Some(ms) => write!(f, " (longest {ms:.0} ms)"),
                    None => Ok(()),
                }
            }
            Throttle::SlowBatch {
                batch_ms,
                target_ms,
            } => write!(f, "batch took {batch_ms:.0} ms (target {target_ms} ms)"),
        }
    }
}

/// What the runner measured around one batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// The batch's wall time, commit included (0 is allowed).
    pub batch_ms: f64,
    /// The keys the batch walked (its size; 0 is allowed).
    pub walked: u64,
    /// The read probe's latency: the median of the samples over the pause and the batch,
    /// or a probe after the batch when no second session samples (`None`: no probe ran).
    pub probe_ms: Option<f64>,
    /// The busy probe samples taken beside the batch (and shortly after the one before),
    /// and how many of them were slow (both 0: no second session).
    pub samples: u64,
    pub slow_samples: u64,
    /// The samples taken at rest in the pause before the batch, and the slow ones.
    pub rest_samples: u64,
    pub rest_slow: u64,
    /// The pause before the batch, in milliseconds, and how much of it was busy (right
    /// after the batch before): with the batch, the share of the time that is busy.
    pub pause_ms: f64,
    pub busy_pause_ms: f64,
    /// The most sessions seen waiting on a lock while (or after) the batch ran.
    pub lock_waits: u64,
    /// The longest of those waits so far when it was seen (`None`: not known; any wait
    /// then counts).
    pub lock_wait_ms: Option<f64>,
    /// Milliseconds since the backfill started (monotonic), for the long-throttle message.
    pub now_ms: u64,
}

/// The controller's state.
#[derive(Debug, Clone)]
pub struct Pacer {
    cfg: PacingConfig,
    batch: u64,
    pause_ms: u64,
    throttle: Option<Throttle>,
    /// When the current stretch of throttling began.
    throttled_since: Option<u64>,
    /// When the last long-throttle message was given.
    last_message: Option<u64>,
    /// The moving sums of busy samples and slow ones, of samples at rest and slow ones,
    /// and of busy and all time.
    busy: (f64, f64),
    rest: (f64, f64),
    time: (f64, f64),
}

/// The finite latencies of `samples`, sorted (`None` when there are none).
fn sorted(samples: &[f64]) -> Option<Vec<f64>> {
    let mut s: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(|a, b| a.total_cmp(b));
    (!s.is_empty()).then_some(s)
}

/// The value at quantile `q` of sorted, non-empty latencies (nearest rank).
fn at(s: &[f64], q: f64) -> f64 {
    s[((s.len() - 1) as f64 * q).round() as usize]
}

/// The probe latency budget derived from the probe's latencies measured before the
/// backfill starts: three times their median, and at least their 90th percentile plus
/// 1 ms (so a sub-millisecond probe's noise does not read as load). With no sample, 50 ms.
pub fn default_budget_ms(samples: &[f64]) -> f64 {
    sorted(samples).map_or(50.0, |s| (3.0 * at(&s, 0.5)).max(at(&s, 0.9) + 1.0))
}

/// The latency above which a probe sampled beside the batches counts as slow, from its
/// latencies measured before the backfill starts: their 98th percentile and half again,
/// at least that percentile plus 1 ms, and at least three times their median (so that
/// at rest about one sample in a hundred is over it). With no sample, 50 ms.
pub fn slow_threshold_ms(samples: &[f64]) -> f64 {
    sorted(samples).map_or(50.0, |s| {
        let p98 = at(&s, 0.98);
        (1.5 * p98).max(p98 + 1.0).max(3.0 * at(&s, 0.5))
    })
}

/// The median of some latencies (`None` when there are none).
pub fn median(samples: &[f64]) -> Option<f64> {
    sorted(samples).map(|s| s[s.len() / 2])
}

impl Pacer {
    pub fn new(cfg: PacingConfig) -> Pacer {
        let (batch, pause_ms) = match cfg.fixed {
            Some((b, p)) => (b.max(1), p),
            // Start gently: a small batch and a pause as long as a target batch.
            None => (FIRST_BATCH, cfg.target_batch_ms.min(cfg.max_pause_ms)),
        };
        Pacer {
            cfg,
            batch,
            pause_ms,
            throttle: None,
            throttled_since: None,
            last_message: None,
            busy: (0.0, 0.0),
            rest: (PRIOR_REST_SAMPLES, PRIOR_REST_SAMPLES * PRIOR_REST_SHARE),
            time: (0.0, 0.0),
        }
    }

    /// Whether the pacing adapts (no fixed batch size / pause).
    pub fn adaptive(&self) -> bool {
        self.cfg.fixed.is_none()
    }

    /// The next batch's size in keys.
    pub fn batch_size(&self) -> u64 {
        self.batch
    }

    /// The pause before the next batch.
    pub fn pause(&self) -> Duration {
        Duration::from_millis(self.pause_ms)
    }

    /// Why the backfill is slowed down now, if it is.
    pub fn throttle(&self) -> Option<&Throttle> {
        self.throttle.as_ref()
    }

    pub fn config(&self) -> &PacingConfig {
        &self.cfg
    }

    /// The batches' impact: the share of probe samples they make slow (`None`: too few
    /// samples yet).
    pub fn impact(&self) -> Option<f64> {
        if self.busy.0 < MIN_SAMPLES || self.time.1 <= 0.0 {
            return None;
        }
        let excess = self.busy.1 / self.busy.0 - self.rest.1 / self.rest.0;
        Some(excess.max(0.0) * (self.time.0 / self.time.1).clamp(0.0, 1.0))
    }

    /// The additive step of the pause: a tenth of the target batch time, at least 1 ms.
    fn pause_step(&self) -> u64 {
        (self.cfg.target_batch_ms / 10).max(1)
    }

    /// Takes one batch's measurements and sets the next batch size and pause. Returns a
    /// message when the backfill has been throttled for [`long_throttle_ms`] (again each
    /// time that long passes).
    pub fn observe(&mut self, o: Observation) -> Option<String> {
        let batch_ms = if o.batch_ms.is_finite() {
            o.batch_ms.max(0.0)
        } else {
            0.0
        };
        let target = self.cfg.target_batch_ms.max(1) as f64;
        // The batch size that would take the target time at the last batch's speed. A
        // batch too fast to measure (or of no keys) says only that it could be larger.
        let ideal = if batch_ms >= 0.5 && o.walked > 0 {
            let per_key = batch_ms / o.walked as f64;
            ((target / per_key) as u64).clamp(MIN_BATCH, MAX_BATCH)
        } else {
            self.batch.saturating_mul(4).clamp(MIN_BATCH, MAX_BATCH)
        };
        if o.samples > 0 {
            let fold = |(n, slow): (f64, f64), add: u64, add_slow: u64| {
                (
                    n * DECAY + add as f64,
                    slow * DECAY + add_slow.min(add) as f64,
                )
            };
            self.busy = fold(self.busy, o.samples, o.slow_samples);
            if o.rest_samples > 0 {
                self.rest = fold(self.rest, o.rest_samples, o.rest_slow);
            }
            let finite = |x: f64| if x.is_finite() { x.max(0.0) } else { 0.0 };
            let pause = finite(o.pause_ms);
            let busy = batch_ms + finite(o.busy_pause_ms).min(pause);
            self.time = (
                self.time.0 * DECAY + busy,
                self.time.1 * DECAY + batch_ms + pause,
            );
        }
        let share = self.impact();
        let limit = self.cfg.max_impact;
        self.throttle = if let Some(share) = share.filter(|s| *s > limit) {
            Some(Throttle::Impact { share, limit })
        } else if let Some(p) = o.probe_ms.filter(|p| *p > self.cfg.budget_ms) {
            Some(Throttle::Latency {
                probe_ms: p,
                budget_ms: self.cfg.budget_ms,
            })
        } else if o.lock_waits > 0
            && o.lock_wait_ms
                .is_none_or(|ms| !ms.is_finite() || ms > self.cfg.budget_ms)
        {
            Some(Throttle::LockWaits {
                sessions: o.lock_waits,
                longest_ms: o.lock_wait_ms.filter(|ms| ms.is_finite()),
            })
        } else if self.adaptive() && batch_ms > 4.0 * target {
            Some(Throttle::SlowBatch {
                batch_ms,
                target_ms: self.cfg.target_batch_ms,
            })
        } else {
            None
        };
        if self.adaptive() {
            let longer = (self.pause_ms.saturating_mul(2))
                .max(self.pause_step())
                .min(self.cfg.max_pause_ms);
            let step = (ideal / 8).max(MIN_BATCH);
            let grown = self.batch.saturating_add(step).min(ideal).max(MIN_BATCH);
            match &self.throttle {
                // The application's latency: rest longer between batches of the same size.
                Some(Throttle::Impact { .. }) => {
                    self.pause_ms = longer;
                    self.batch = self.batch.min(ideal).max(MIN_BATCH);
                }
                // Locks held too long, a slow server: shorter batches and longer rests.
                Some(_) => {
                    self.batch = (self.batch.min(ideal) / 2).max(MIN_BATCH);
                    self.pause_ms = longer;
                }
                // Near the limit: hold the pace.
                None if share.is_some_and(|s| s > limit / 2.0) => {
                    self.batch = grown;
                }
                None => {
                    let shorter = (self.pause_ms / 8).max(self.pause_step());
                    self.pause_ms = self.pause_ms.saturating_sub(shorter);
                    self.batch = grown;
                }
            }
        }
        match (&self.throttle, self.throttled_since) {
            (None, _) => {
                self.throttled_since = None;
                self.last_message = None;
                None
            }
            (Some(_), None) => {
                self.throttled_since = Some(o.now_ms);
                None
            }
            (Some(t), Some(since)) => {
                let from = self.last_message.unwrap_or(since);
                if o.now_ms.saturating_sub(from) < long_throttle_ms(self.cfg.max_pause_ms) {
                    return None;
                }
                self.last_message = Some(o.now_ms);
                Some(format!(
                    "throttled for {} s ({t}): batches of {} rows, {} ms apart; the backfill goes on at this pace",
                    o.now_ms.saturating_sub(since) / 1000,
                    self.batch,
                    self.pause_ms
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adaptive() -> Pacer {
        Pacer::new(PacingConfig {
            fixed: None,
            target_batch_ms: 100,
            budget_ms: 5.0,
            max_pause_ms: 2000,
            max_impact: DEFAULT_MAX_IMPACT,
        })
    }

    fn obs(batch_ms: f64, walked: u64, probe: f64, now_ms: u64) -> Observation {
        Observation {
            batch_ms,
            walked,
            probe_ms: Some(probe),
            samples: 0,
            slow_samples: 0,
            rest_samples: 0,
            rest_slow: 0,
            pause_ms: 0.0,
            busy_pause_ms: 0.0,
            lock_waits: 0,
            lock_wait_ms: None,
            now_ms,
        }
    }

    #[test]
    fn converges_on_the_target_batch_time() {
        let mut p = adaptive();
        // 0.01 ms a key: 10,000 keys take the target 100 ms.
        for i in 0..200 {
            let b = p.batch_size();
            p.observe(obs(b as f64 * 0.01, b, 1.0, i * 100));
        }
        let b = p.batch_size();
        assert!((9_000..=10_000).contains(&b), "{b}");
        assert_eq!(p.pause(), Duration::ZERO);
        assert!(p.throttle().is_none());
    }

    #[test]
    fn backs_off_multiplicatively_and_recovers_additively() {
        let mut p = adaptive();
        for i in 0..100 {
            let b = p.batch_size();
            p.observe(obs(b as f64 * 0.01, b, 1.0, i));
        }
        let full = p.batch_size();
        let b = p.batch_size();
        p.observe(obs(b as f64 * 0.01, b, 50.0, 200));
        assert_eq!(p.batch_size(), full / 2);
        assert!(p.pause() > Duration::ZERO);
        for i in 0..20 {
            let b = p.batch_size();
            p.observe(obs(b as f64 * 0.01, b, 50.0, 300 + i));
        }
        assert_eq!(p.batch_size(), MIN_BATCH);
        assert_eq!(p.pause(), Duration::from_millis(2000));
        // Headroom again: one step at a time.
        let b = p.batch_size();
        p.observe(obs(b as f64 * 0.01, b, 1.0, 400));
        assert!(p.batch_size() > MIN_BATCH && p.batch_size() < full / 2);
        // The pause shrinks by an eighth of itself (at least a step).
        assert_eq!(p.pause(), Duration::from_millis(1750));
    }

    /// A batch of `busy` samples (`busy_slow` slow) after a pause of `pause_ms` in which
    /// `rest` samples (`rest_slow` slow) were taken at rest.
    fn watched(busy: u64, busy_slow: u64, rest: u64, rest_slow: u64, pause_ms: f64) -> Observation {
        Observation {
            batch_ms: 100.0,
            walked: 10_000,
            probe_ms: Some(1.0),
            samples: busy,
            slow_samples: busy_slow,
            rest_samples: rest,
            rest_slow,
            pause_ms,
            busy_pause_ms: pause_ms.min(100.0),
            lock_waits: 0,
            lock_wait_ms: None,
            now_ms: 0,
        }
    }

    #[test]
    fn batches_that_slow_the_probes_lengthen_the_pause_until_their_impact_fits() {
        // The defaults a backfill runs with: the longest pause leaves room for the limit.
        let mut p = Pacer::new(PacingConfig {
            fixed: None,
            target_batch_ms: 100,
            budget_ms: 5.0,
            max_pause_ms: DEFAULT_MAX_PAUSE_MS,
            max_impact: DEFAULT_MAX_IMPACT,
        });
        // Busy samples are slow one time in five, samples at rest one in a hundred: at
        // full speed the batches slow about a fifth of the probes.
        let mut pauses = Vec::new();
        for _ in 0..200 {
            let pause = p.pause().as_millis() as f64;
            let rest = (pause / 20.0) as u64;
            p.observe(watched(10, 2, rest, rest / 100, pause));
            pauses.push(p.pause().as_millis() as u64);
        }
        assert!(
            matches!(p.throttle(), Some(Throttle::Impact { .. }) | None),
            "{:?}",
            p.throttle()
        );
        // At equilibrium the busy fifth of slow samples, diluted by the pause, is near
        // the limit: the batch runs about a fortieth of the time.
        let tail = &pauses[150..];
        let mean = tail.iter().sum::<u64>() as f64 / tail.len() as f64;
        assert!((800.0..=5000.0).contains(&mean), "{pauses:?}");
        let impact = p.impact().unwrap();
        assert!(impact < 3.0 * DEFAULT_MAX_IMPACT, "{impact} {pauses:?}");
    }

    #[test]
    fn slowness_the_same_at_rest_and_busy_is_not_the_backfills() {
        let mut p = adaptive();
        // The server is slow one sample in ten, with or without a batch running.
        for i in 0..100 {
            let pause = p.pause().as_millis() as f64;
            let o = if i % 2 == 0 {
                watched(10, 1, 20, 2, pause)
            } else {
                watched(20, 2, 10, 1, pause)
            };
            p.observe(o);
        }
        assert!(p.throttle().is_none(), "{:?}", p.throttle());
        assert_eq!(p.pause(), Duration::ZERO);
        assert!(p.impact().unwrap() < DEFAULT_MAX_IMPACT / 2.0);
    }

    #[test]
    fn the_impact_message_says_how_much_and_the_limit() {
        let mut p = adaptive();
        for _ in 0..5 {
            p.observe(watched(10, 5, 0, 0, 0.0));
        }
        let t = p.throttle().map(|t| t.to_string()).unwrap_or_default();
        assert!(
            t.starts_with("the batches slow ") && t.ends_with("% of probes (at most 0.5%)"),
            "{t}"
        );
        // No time at all, no samples: nothing divides by zero.
        let mut q = adaptive();
        let mut o = watched(0, 0, 0, 0, 0.0);
        o.batch_ms = 0.0;
        q.observe(o);
        o.samples = 20;
        o.slow_samples = 40;
        o.pause_ms = f64::NAN;
        o.busy_pause_ms = f64::INFINITY;
        q.observe(o);
        assert!(q.impact().is_none_or(|i| i.is_finite() && i <= 1.0));
    }

    #[test]
    fn zero_time_and_zero_keys_do_not_divide_by_zero() {
        let mut p = adaptive();
        p.observe(obs(0.0, 0, 0.0, 0));
        p.observe(obs(0.0, 500, 0.0, 1));
        p.observe(obs(30.0, 0, 0.0, 2));
        p.observe(obs(f64::NAN, 10, f64::NAN, 3));
        assert!(p.batch_size() >= MIN_BATCH && p.batch_size() <= MAX_BATCH);
        assert!(default_budget_ms(&[]).is_finite());
        assert_eq!(default_budget_ms(&[0.0, 0.0]), 1.0);
        assert_eq!(default_budget_ms(&[2.0, 2.0, 2.0]), 6.0);
    }

    #[test]
    fn says_so_when_throttled_for_long() {
        let mut p = adaptive();
        let mut messages = Vec::new();
        // Ten maximum pauses of 2 s: 20 s.
        for t in (0..=45_000).step_by(1000) {
            if let Some(m) = p.observe(obs(10.0, 100, 50.0, t)) {
                messages.push(m);
            }
        }
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with("throttled for 20 s (probe 50.0 ms > budget 5.0 ms)"),
            "{}",
            messages[0]
        );
        assert!(p.observe(obs(10.0, 100, 1.0, 80_000)).is_none());
        assert!(p.throttle().is_none());
    }

    #[test]
    fn lock_waits_throttle_only_past_the_budget_when_their_length_is_known() {
        let mut p = adaptive();
        let mut o = obs(10.0, 100, 1.0, 0);
        o.lock_waits = 2;
        o.lock_wait_ms = Some(3.0);
        p.observe(o);
        assert!(p.throttle().is_none(), "{:?}", p.throttle());
        o.lock_wait_ms = Some(40.0);
        p.observe(o);
        assert_eq!(
            p.throttle().map(|t| t.to_string()).as_deref(),
            Some("2 sessions waiting on locks (longest 40 ms)")
        );
        o.lock_wait_ms = None;
        o.lock_waits = 1;
        p.observe(o);
        assert_eq!(
            p.throttle().map(|t| t.to_string()).as_deref(),
            Some("1 session waiting on locks")
        );
    }

    #[test]
    fn fixed_pacing_keeps_its_numbers() {
        let mut p = Pacer::new(PacingConfig {
            fixed: Some((5000, 50)),
            target_batch_ms: 100,
            budget_ms: 5.0,
            max_pause_ms: 2000,
            max_impact: DEFAULT_MAX_IMPACT,
        });
        p.observe(obs(900.0, 5000, 50.0, 0));
        assert_eq!(p.batch_size(), 5000);
        assert_eq!(p.pause(), Duration::from_millis(50));
        assert!(p.throttle().is_some());
    }
}
