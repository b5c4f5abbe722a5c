//! The plan as text or JSON (`{"live": [...], "steps": [{"migration", "phase", "status",
//! "reasons"}]}`).

use crate::cli::ListFormat;
use crate::plan::{Plan, Status};
use std::io::{self, Write};

pub fn write_plan(out: &mut dyn Write, plan: &Plan, format: ListFormat) -> io::Result<()> {
    if format == ListFormat::Json {
        serde_json::to_writer_pretty(&mut *out, plan)?;
        return writeln!(out);
    }
    let blocked = plan
        .steps
        .iter()
        .filter(|s| s.status == Status::Blocked)
        .count();
    writeln!(
        out,
        "plan: {} step{} ({} ready, {} blocked); live releases: {}",
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" },
        plan.steps.len() - blocked,
        blocked,
        if plan.live.is_empty() {
            "none".to_owned()
        } else {
            plan.live.join(", ")
        }
    )?;
    let width = plan
        .steps
        .iter()
        .map(|s| s.migration.len())
        .max()
        .unwrap_or(0);
    for step in &plan.steps {
        let status = match step.status {
            Status::Ready => "ready",
            Status::Blocked => "blocked",
        };
        writeln!(
            out,
            "  {status:7}  {:width$}  {}",
            step.migration, step.phase
        )?;
        for reason in &step.reasons {
            writeln!(out, "           - {reason}")?;
        }
    }
    Ok(())
}
