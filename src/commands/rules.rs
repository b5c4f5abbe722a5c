//! `bellows rules`: list every rule.

use super::{write_stdout, Outcome};
use crate::cli::{ListFormat, RulesArgs};
use crate::rules::RULES;
use serde_json::json;

pub fn run(args: RulesArgs) -> miette::Result<Outcome> {
    write_stdout(|out| match args.format {
        ListFormat::Json => {
            let list: Vec<_> = RULES
                .iter()
                .map(|r| {
                    let m = r.meta();
                    json!({
                        "name": m.name,
                        "severity": m.severity.as_str(),
                        "dialects": m.dialects.names(),
                        "phase": m.concern.as_str(),
                        "category": m.category.as_str(),
                        "enabled_by_default": m.enabled_by_default,
                        "summary": m.summary,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list)?;
            writeln!(out)
        }
        ListFormat::Text => {
            let width = RULES.iter().map(|r| r.meta().name.len()).max().unwrap_or(0);
            for r in RULES {
                let m = r.meta();
                writeln!(
                    out,
                    "{:width$}  {:7}  {:14}  {:8}  {}{}",
                    m.name,
                    m.severity.as_str(),
                    m.dialects.names().join(","),
                    m.concern.as_str(),
                    m.summary,
                    if m.enabled_by_default {
                        ""
                    } else {
                        " (opt-in)"
                    },
                )?;
            }
            Ok(())
        }
    })?;
    Ok(Outcome::Clean)
}
