//! SARIF 2.1.0: one run, one rule descriptor per rule, one result per finding.

use crate::lint::FileResult;
use crate::rules::RULES;
use serde_json::{json, Value};
use std::io::{self, Write};

/// Where a rule's page lives; relative to the repository root unless
/// `BELLOWS_DOCS_URL` gives a base URL.
pub fn help_uri(rule: &str) -> String {
    match std::env::var("BELLOWS_DOCS_URL") {
        Ok(base) if !base.is_empty() => format!("{}/rules/{rule}.md", base.trim_end_matches('/')),
        _ => format!("rules/{rule}.md"),
    }
}

pub(super) fn write(out: &mut dyn Write, results: &[FileResult]) -> io::Result<()> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let m = r.meta();
            json!({
                "id": m.name,
                "name": m.name,
                "shortDescription": { "text": m.summary },
                "fullDescription": { "text": m.docs.trim() },
                "helpUri": help_uri(m.name),
                "defaultConfiguration": {
                    "level": m.severity.as_str(),
                    "enabled": m.enabled_by_default,
                },
                "properties": {
                    "category": m.category.as_str(),
                    "dialects": m.dialects.names(),
                    "phase": m.concern.as_str(),
                },
            })
        })
        .collect();
    let results_json: Vec<Value> = results
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| {
                let start = r.source.position(f.span.start);
                let end = r.source.end_position(&f.span);
                let index = RULES.iter().position(|x| x.meta().name == f.rule);
                json!({
                    "ruleId": f.rule,
                    "ruleIndex": index,
                    "level": f.severity.as_str(),
                    "message": { "text": format!("{}\nhelp: {}", f.message, f.help) },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": r.source.path.replace('\\', "/") },
                            "region": {
                                "startLine": start.line,
                                "startColumn": start.column,
                                "endLine": end.line,
                                "endColumn": end.column,
                            }
                        }
                    }],
                })
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "bellows",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results_json,
            "invocations": [{ "executionSuccessful": true }],
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A SARIF log for a run that failed before it could lint: no results, and an invocation
/// that says so with the error as a tool execution notification.
pub(super) fn write_failure(out: &mut dyn Write, error: &str) -> io::Result<()> {
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "bellows",
                    "version": env!("CARGO_PKG_VERSION"),
                }
            },
            "results": [],
            "invocations": [{
                "executionSuccessful": false,
                "exitCode": 2,
                "toolExecutionNotifications": [{
                    "level": "error",
                    "message": { "text": error },
                }],
            }],
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
