//! `bellows migrate plan | apply | status --targets FILE`: one plan across many databases.

use super::Outcome;
use crate::cli::{ApplyArgs, PlanArgs, StatusArgs};
use miette::miette;

pub fn plan(_args: &PlanArgs) -> miette::Result<Outcome> {
    Err(miette!("--targets is not available yet"))
}

pub fn apply(_args: &ApplyArgs) -> miette::Result<Outcome> {
    Err(miette!("--targets is not available yet"))
}

pub fn status(_args: &StatusArgs) -> miette::Result<Outcome> {
    Err(miette!("--targets is not available yet"))
}
