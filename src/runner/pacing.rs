//! How fast a backfill goes: the size of each batch and the pause after it.
//!
//! Owns the pacing controller, a pure function of what the runner measured (no clock, no
//! database): `backfill.rs` runs a batch, measures it and the probe, and feeds the
//! [`Observation`] to [`Pacer::observe`], which answers with the next batch size and pause.
//!
//! Adaptive pacing (the default) works like TCP's congestion control, AIMD:
//! - each batch is sized so that it takes about `target-batch-ms` (from the rows per
//!   millisecond the last batch achieved), and never more than that;
//! - while each batch runs, a second session samples a light probe query and the sessions
//!   waiting on locks every few milliseconds (without a second session: once after the
//!   batch); while the probe's latency is above the budget, or sessions wait on locks
//!   longer than it, the batch size is halved and the pause doubled (multiplicative
//!   decrease), up to `max-pause-ms`;
//! - while there is headroom, the pause shrinks and the batch grows by a fixed step
//!   (additive increase), back to the target size.
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
}

/// Why the backfill is slowed down.
#[derive(Debug, Clone, PartialEq)]
pub enum Throttle {
    /// The probe took longer than its budget.
    Latency { probe_ms: f64, budget_ms: f64 },
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
    /// The probe's latency while (or after) the batch ran (`None`: no probe ran).
    pub probe_ms: Option<f64>,
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
}

/// The probe latency budget derived from the probe's latencies measured before the
/// backfill starts: three times their median, and at least their 90th percentile plus
/// 1 ms (so a sub-millisecond probe's noise does not read as load). With no sample, 50 ms.
pub fn default_budget_ms(samples: &[f64]) -> f64 {
    let mut s: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return 50.0;
    }
    s.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    (3.0 * at(0.5)).max(at(0.9) + 1.0)
}

/// The median of some latencies (`None` when there are none).
pub fn median(samples: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(|a, b| a.total_cmp(b));
    Some(s[s.len() / 2])
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
        self.throttle = if let Some(p) = o.probe_ms.filter(|p| *p > self.cfg.budget_ms) {
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
            if self.throttle.is_some() {
                self.batch = (self.batch.min(ideal) / 2).max(MIN_BATCH);
                self.pause_ms = (self.pause_ms.saturating_mul(2))
                    .max(self.pause_step())
                    .min(self.cfg.max_pause_ms);
            } else {
                self.pause_ms = self.pause_ms.saturating_sub(self.pause_step());
                let step = (ideal / 8).max(MIN_BATCH);
                self.batch = self.batch.saturating_add(step).min(ideal).max(MIN_BATCH);
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
        })
    }

    fn obs(batch_ms: f64, walked: u64, probe: f64, now_ms: u64) -> Observation {
        Observation {
            batch_ms,
            walked,
            probe_ms: Some(probe),
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
        assert_eq!(p.pause(), Duration::from_millis(1990));
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
        });
        p.observe(obs(900.0, 5000, 50.0, 0));
        assert_eq!(p.batch_size(), 5000);
        assert_eq!(p.pause(), Duration::from_millis(50));
        assert!(p.throttle().is_some());
    }
}
