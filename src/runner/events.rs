//! What the runner tells the person watching: a stream of [`Event`]s that the command
//! turns into text lines, a progress bar or JSON. The runner never prints.

use super::backend::DbError;
use crate::classify::phase::Phase;

/// How a step's statements run.
pub use super::script::Mode;

/// One thing that happened.
#[derive(Debug, Clone, Copy)]
pub enum Event<'e> {
    /// Another run holds the migration lock; this one waits.
    WaitingForLock { holder: Option<&'e str> },
    /// The lock was taken.
    Locked,
    /// A step starts: `index` of `total` (1-based).
    Step {
        id: &'e str,
        phase: Phase,
        mode: Mode,
        index: usize,
        total: usize,
        down: bool,
    },
    /// A step finished.
    StepDone { id: &'e str, ms: u64 },
    /// A lock timeout; the statement (or transaction) is retried after `wait_ms`.
    Retry {
        id: &'e str,
        attempt: u32,
        of: u32,
        wait_ms: u64,
        error: &'e DbError,
    },
    /// `--dry-run`: one line of the SQL that would run (statements end with `;`).
    Sql(&'e str),
    /// A backfill starts (or resumes) over keys `[from, to]`.
    BackfillStart {
        id: &'e str,
        table: &'e str,
        key: &'e str,
        from: i64,
        to: i64,
        resumed_at: Option<i64>,
    },
    /// A batch committed: keys below `next` are done; `rows` so far (a resumed backfill's
    /// earlier runs included), `run_rows` of them in this run's `elapsed_ms`.
    Batch {
        id: &'e str,
        next: i64,
        from: i64,
        to: i64,
        rows: i64,
        run_rows: i64,
        elapsed_ms: u64,
        /// The keys this batch walked.
        batch_size: u64,
        /// The pause before the next batch.
        pause_ms: u64,
        /// Why the pacing holds the backfill back now (`None`: full speed).
        throttled: Option<&'e str>,
    },
    /// A backfill finished; `remaining` is what its verify.sql counted afterwards.
    BackfillDone {
        id: &'e str,
        rows: i64,
        /// The rows this run did, in its `ms` (the rate counts only these).
        run_rows: i64,
        ms: u64,
        remaining: Option<i64>,
    },
    /// A failed step was undone: `how` says by what.
    RolledBack { id: &'e str, how: &'e str },
    /// Anything else worth a line.
    Note(&'e str),
}

/// Receives events.
pub trait Events {
    fn event(&mut self, event: Event<'_>);
}

/// Drops every event (tests, JSON-only output).
pub struct Silent;

impl Events for Silent {
    fn event(&mut self, _event: Event<'_>) {}
}
