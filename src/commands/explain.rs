//! `bellows explain RULE`: print a rule's page (the same text as `rules/RULE.md`).

use super::{write_stdout, Outcome};
use crate::cli::ExplainArgs;
use crate::report::page::rule_page;
use crate::rules::{closest, lookup};

pub fn run(args: ExplainArgs) -> miette::Result<Outcome> {
    let Some(rule) = lookup(&args.rule) else {
        let hint = closest(&args.rule)
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        return Err(miette::miette!(
            help = "`bellows rules` lists every rule",
            "unknown rule `{}`{hint}",
            args.rule
        ));
    };
    let page = rule_page(rule);
    write_stdout(|out| out.write_all(page.as_bytes()))?;
    Ok(Outcome::Clean)
}
