//! `bellows trace`: a migration run statement by statement on a scratch database, with the
//! locks and rewrites it causes.

use super::Outcome;
use crate::cli::TraceArgs;
use miette::miette;

pub fn run(_args: TraceArgs) -> miette::Result<Outcome> {
    Err(miette!("`bellows trace` is not available yet"))
}
