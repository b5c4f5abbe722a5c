//! `bellows catalog report`: the catalog for reviewers as Markdown (a pull-request
//! comment), one self-contained HTML page, or JSON.
//!
//! Every format shows the same model: each migration (phase, purpose, owner, requires,
//! lint findings, rollback status), the release × state matrix with its problems, and the
//! dependency graph (a Mermaid block in Markdown, an inline SVG laid out by [`super::svg`]
//! in HTML, nodes and edges in JSON).

use super::svg;
use crate::catalog::analysis::{Analysis, ReleaseCheck};
use crate::catalog::layout::Catalog;
use crate::graph::{Graph, NodeRef};
use crate::rules::Severity;
use std::io::{self, Write};

/// The output formats of `bellows catalog report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Json,
}

/// What the report is made from.
pub struct CatalogReportInput<'a> {
    pub catalog: &'a Catalog,
    pub analysis: &'a Analysis,
    pub releases: &'a [ReleaseCheck],
    pub graph: &'a Graph,
    /// The `proof …` lines of bellows.sum (empty when there is no sum file).
    pub proofs: &'a [String],
}

/// A migration's rollback status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollback {
    /// No down script.
    None,
    /// A down script, not yet proven.
    Present,
    /// bellows.sum holds a proof for it.
    Verified,
}

impl Rollback {
    pub fn as_str(self) -> &'static str {
        match self {
            Rollback::None => "none",
            Rollback::Present => "present",
            Rollback::Verified => "verified",
        }
    }
}

struct FindingRow {
    rule: &'static str,
    severity: Severity,
    line: usize,
    message: String,
}

struct MigrationRow {
    id: String,
    phase: String,
    declared: bool,
    purpose: Option<String>,
    owner: Option<String>,
    requires: Vec<String>,
    findings: Vec<FindingRow>,
    rollback: Rollback,
}

struct StateRow {
    after: String,
    /// False before the migration the release requires: it is not deployed there.
    deployed: bool,
    /// Error-severity problems decide compatibility; warnings are listed too.
    errors: usize,
    problems: Vec<String>,
}

struct ReleaseRow {
    version: String,
    states: Vec<StateRow>,
    /// Each problem once: the migration after which it first appears, and the problem.
    first: Vec<(String, String)>,
}

struct Model {
    root: String,
    layout: String,
    migrations: Vec<MigrationRow>,
    releases: Vec<ReleaseRow>,
}

fn model(input: &CatalogReportInput<'_>) -> Model {
    let migrations = input
        .catalog
        .migrations
        .iter()
        .zip(&input.analysis.results)
        .zip(&input.analysis.nodes)
        .map(|((m, result), node)| {
            // Verified: a proof of the scripts as they are now, on any engine.
            let proofs: Vec<crate::catalog::sum::Proof> = input
                .proofs
                .iter()
                .filter_map(|p| crate::catalog::sum::Proof::parse(p))
                .collect();
            let proven = matches!(
                crate::catalog::sum::proof_status(m, &proofs, "any-engine"),
                Ok(crate::catalog::sum::ProofStatus::Proven
                    | crate::catalog::sum::ProofStatus::OtherEngine(_))
            ) && m.down.is_some();
            MigrationRow {
                id: m.id.clone(),
                phase: node.phase.to_string(),
                declared: m.meta.phase.is_some(),
                purpose: m.meta.purpose.clone(),
                owner: m.meta.owner.clone(),
                requires: m.meta.requires.clone(),
                findings: result
                    .findings
                    .iter()
                    .map(|f| FindingRow {
                        rule: f.rule,
                        severity: f.severity,
                        line: result.source.position(f.span.start).line,
                        message: f.message.clone(),
                    })
                    .collect(),
                rollback: match (m.down.is_some(), proven) {
                    (_, true) => Rollback::Verified,
                    (true, false) => Rollback::Present,
                    (false, false) => Rollback::None,
                },
            }
        })
        .collect();
    let releases = input
        .releases
        .iter()
        .map(|r| ReleaseRow {
            version: r.version.clone(),
            first: r
                .first_appearances()
                .into_iter()
                .map(|(k, p)| (input.catalog.migrations[k - 1].id.clone(), p.to_string()))
                .collect(),
            states: r
                .per_state
                .iter()
                .enumerate()
                .skip(1)
                .zip(&input.catalog.migrations)
                .map(|((k, problems), m)| StateRow {
                    after: m.id.clone(),
                    deployed: k >= r.from,
                    errors: problems
                        .iter()
                        .filter(|p| p.severity == Severity::Error)
                        .count(),
                    problems: problems.iter().map(|p| p.to_string()).collect(),
                })
                .collect(),
        })
        .collect();
    Model {
        root: input.catalog.root.display().to_string(),
        layout: input.catalog.layout.name().to_owned(),
        migrations,
        releases,
    }
}

/// Writes the report in `format`.
pub fn write_catalog_report(
    out: &mut dyn Write,
    input: &CatalogReportInput<'_>,
    format: ReportFormat,
) -> io::Result<()> {
    let model = model(input);
    match format {
        ReportFormat::Md => write_markdown(out, &model, input.graph),
        ReportFormat::Html => write_html(out, &model, input.graph),
        ReportFormat::Json => write_json(out, &model, input.graph),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn phase_label(m: &MigrationRow) -> String {
    if m.declared {
        format!("{} (declared)", m.phase)
    } else {
        format!("{} (inferred)", m.phase)
    }
}

fn state_label(s: &StateRow) -> String {
    if s.errors == 0 {
        "compatible".to_owned()
    } else {
        plural(s.errors, "problem")
    }
}

// ---------------------------------------------------------------- JSON

fn write_json(out: &mut dyn Write, model: &Model, graph: &Graph) -> io::Result<()> {
    use serde_json::json;
    let migrations: Vec<_> = model
        .migrations
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "phase": m.phase,
                "phase_declared": m.declared,
                "purpose": m.purpose,
                "owner": m.owner,
                "requires": m.requires,
                "findings": m.findings.iter().map(|f| json!({
                    "rule": f.rule,
                    "severity": f.severity.as_str(),
                    "line": f.line,
                    "message": f.message,
                })).collect::<Vec<_>>(),
                "rollback": m.rollback.as_str(),
            })
        })
        .collect();
    let releases: Vec<_> = model
        .releases
        .iter()
        .map(|r| {
            json!({
                "version": r.version,
                "states": r.states.iter().map(|s| json!({
                    "after": s.after,
                    "deployed": s.deployed,
                    "compatible": s.errors == 0,
                    "problems": s.problems,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut nodes: Vec<_> = graph
        .migrations()
        .iter()
        .map(|m| json!({"id": m.id, "kind": "migration", "phase": m.phase.as_str()}))
        .collect();
    nodes.extend(
        graph
            .releases()
            .iter()
            .map(|r| json!({"id": r.version, "kind": "release", "retired": r.retired})),
    );
    let edges: Vec<_> = graph
        .edges()
        .into_iter()
        .map(|(from, to, e)| {
            json!({
                "from": from.id(),
                "to": to.id(),
                "kind": e.kind.as_str(),
                "object": e.object.as_ref().map(|o| o.to_string()),
            })
        })
        .collect();
    let value = json!({
        "catalog": {"root": model.root, "layout": model.layout},
        "migrations": migrations,
        "releases": releases,
        "graph": {"nodes": nodes, "edges": edges},
    });
    let text = serde_json::to_string_pretty(&value).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}

// ---------------------------------------------------------------- Markdown

/// Text safe in a Markdown table cell: no pipes, no line breaks, no HTML.
fn md_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn or_dash(text: Option<&str>) -> String {
    match text {
        Some(t) if !t.trim().is_empty() => md_cell(t),
        _ => "—".to_owned(),
    }
}

fn write_markdown(out: &mut dyn Write, model: &Model, graph: &Graph) -> io::Result<()> {
    writeln!(out, "## bellows catalog report\n")?;
    writeln!(
        out,
        "`{}` · {} layout · {}, {}\n",
        md_cell(&model.root),
        md_cell(&model.layout),
        plural(model.migrations.len(), "migration"),
        plural(model.releases.len(), "release")
    )?;
    writeln!(out, "### Migrations\n")?;
    writeln!(
        out,
        "| Migration | Phase | Purpose | Owner | Requires | Findings | Rollback |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for m in &model.migrations {
        let requires = if m.requires.is_empty() {
            "—".to_owned()
        } else {
            m.requires
                .iter()
                .map(|r| format!("`{}`", md_cell(r)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            md_cell(&m.id),
            phase_label(m),
            or_dash(m.purpose.as_deref()),
            or_dash(m.owner.as_deref()),
            requires,
            m.findings.len(),
            m.rollback.as_str()
        )?;
    }
    for m in model.migrations.iter().filter(|m| !m.findings.is_empty()) {
        writeln!(
            out,
            "\n<details><summary><code>{}</code>: {}</summary>\n",
            md_cell(&m.id),
            plural(m.findings.len(), "finding")
        )?;
        writeln!(out, "| Rule | Severity | Line | Message |")?;
        writeln!(out, "|---|---|---|---|")?;
        for f in &m.findings {
            writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                f.rule,
                f.severity,
                f.line,
                md_cell(&f.message)
            )?;
        }
        writeln!(out, "\n</details>")?;
    }

    writeln!(out, "\n### Releases × schema states\n")?;
    if model.releases.is_empty() {
        writeln!(out, "No `[[release]]` is declared in bellows.toml.")?;
    } else {
        write!(out, "| After migration |")?;
        for r in &model.releases {
            write!(out, " {} |", md_cell(&r.version))?;
        }
        writeln!(out)?;
        write!(out, "|---|")?;
        for _ in &model.releases {
            write!(out, "---|")?;
        }
        writeln!(out)?;
        for (i, m) in model.migrations.iter().enumerate() {
            write!(out, "| `{}` |", md_cell(&m.id))?;
            for r in &model.releases {
                let cell = match r.states.get(i) {
                    Some(s) if !s.deployed => "— not deployed yet".to_owned(),
                    Some(s) if s.errors == 0 => "✅ compatible".to_owned(),
                    Some(s) => format!("❌ {}", state_label(s)),
                    None => "—".to_owned(),
                };
                write!(out, " {cell} |")?;
            }
            writeln!(out)?;
        }
        for r in &model.releases {
            let problems = &r.first;
            if problems.is_empty() {
                continue;
            }
            writeln!(
                out,
                "\n<details><summary>Release {}: {}</summary>\n",
                md_cell(&r.version),
                plural(problems.len(), "problem")
            )?;
            for (after, p) in problems {
                writeln!(out, "- after `{}`: {}", md_cell(after), md_cell(p))?;
            }
            writeln!(out, "\n</details>")?;
        }
    }

    writeln!(out, "\n### Dependency graph\n")?;
    writeln!(out, "```mermaid")?;
    write!(out, "{}", graph.to_mermaid())?;
    writeln!(out, "```")
}

// ---------------------------------------------------------------- HTML

/// Text safe in HTML element content and attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  margin: 0 auto; padding: 12px; max-width: 1100px; color: #1f2328; background: #fff; }
h1 { font-size: 1.35em; margin: .2em 0 .3em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .5em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
p.meta { color: #57606a; margin: 0 0 .8em; overflow-wrap: anywhere; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin-bottom: .6em; }
table { border-collapse: collapse; font-size: .92em; }
th, td { border: 1px solid #d0d7de; padding: 4px 7px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; white-space: nowrap; }
td.id { white-space: nowrap; }
.phase { display: inline-block; padding: 0 6px; border-radius: 4px; border: 1px solid #888; white-space: nowrap; }
.expand { background: #c8e6c9; } .backfill { background: #bbdefb; } .contract { background: #ffcdd2; }
.mixed { background: #ffe0b2; } .none { background: #eeeeee; }
.how { color: #57606a; font-size: .85em; }
.ok { color: #1a7f37; white-space: nowrap; } .bad { color: #cf222e; font-weight: 600; }
table.matrix td.id { white-space: normal; overflow-wrap: anywhere; min-width: 9em; }
.rb-none { color: #57606a; } .rb-verified { color: #1a7f37; font-weight: 600; }
details { margin: .4em 0; } summary { cursor: pointer; }
ul.problems { padding-left: 1.2em; margin: .3em 0; } ul.problems li { overflow-wrap: anywhere; }
.graph { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px; }
.graph > svg { display: block; width: 100%; height: auto; }
.legend span { margin-right: .8em; white-space: nowrap; }
.edge-key svg.sample { display: inline-block; width: 36px; height: 10px; vertical-align: middle; }
.errors strong { color: #cf222e; } .warnings strong { color: #9a6700; }
.errors, .warnings { margin: .3em 0; }
@media (max-width: 640px) {
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; }
  table.cards thead { display: none; }
  table.cards tr { border: 1px solid #d0d7de; border-radius: 6px; margin-bottom: .6em; padding: 4px 0; }
  table.cards td { border: 0; padding: 2px 8px; }
  table.cards td.id { font-weight: 600; white-space: normal; overflow-wrap: anywhere; }
  table.cards td[data-label]::before { content: attr(data-label) ": "; color: #57606a; }
}
"#;

fn write_html(out: &mut dyn Write, model: &Model, graph: &Graph) -> io::Result<()> {
    let e = html_escape;
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>bellows catalog report: {}</title>",
        e(&model.root)
    )?;
    writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>")?;
    writeln!(out, "<h1>bellows catalog report</h1>")?;
    writeln!(
        out,
        "<p class=\"meta\"><code>{}</code> · {} layout · {}, {}</p>",
        e(&model.root),
        e(&model.layout),
        plural(model.migrations.len(), "migration"),
        plural(model.releases.len(), "release")
    )?;

    writeln!(out, "<h2 id=\"migrations\">Migrations</h2>")?;
    writeln!(out, "<div class=\"scroll\"><table class=\"cards\">")?;
    writeln!(out, "<thead><tr><th>Migration</th><th>Phase</th><th>Purpose</th><th>Owner</th><th>Requires</th><th>Findings</th><th>Rollback</th></tr></thead>\n<tbody>")?;
    for m in &model.migrations {
        let text = |t: &Option<String>| match t {
            Some(t) if !t.trim().is_empty() => e(t),
            _ => "—".to_owned(),
        };
        let requires = if m.requires.is_empty() {
            "—".to_owned()
        } else {
            m.requires
                .iter()
                .map(|r| format!("<code>{}</code>", e(r)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let findings = findings_html(&m.findings);
        writeln!(
            out,
            "<tr><td class=\"id\"><code>{}</code></td><td data-label=\"Phase\"><span class=\"phase {}\">{}</span> <span class=\"how\">{}</span></td><td data-label=\"Purpose\">{}</td><td data-label=\"Owner\">{}</td><td data-label=\"Requires\">{}</td><td data-label=\"Findings\">{}</td><td data-label=\"Rollback\" class=\"rb-{}\">{}</td></tr>",
            e(&m.id),
            e(&m.phase),
            e(&m.phase),
            if m.declared { "declared" } else { "inferred" },
            text(&m.purpose),
            text(&m.owner),
            requires,
            findings,
            m.rollback.as_str(),
            m.rollback.as_str()
        )?;
    }
    writeln!(out, "</tbody></table></div>")?;

    writeln!(out, "<h2 id=\"releases\">Releases × schema states</h2>")?;
    if model.releases.is_empty() {
        writeln!(
            out,
            "<p>No <code>[[release]]</code> is declared in bellows.toml.</p>"
        )?;
    } else {
        writeln!(out, "<div class=\"scroll\"><table class=\"matrix\">")?;
        write!(out, "<thead><tr><th>After migration</th>")?;
        for r in &model.releases {
            write!(out, "<th>{}</th>", e(&r.version))?;
        }
        writeln!(out, "</tr></thead>\n<tbody>")?;
        for (i, m) in model.migrations.iter().enumerate() {
            write!(out, "<tr><td class=\"id\"><code>{}</code></td>", e(&m.id))?;
            for r in &model.releases {
                match r.states.get(i) {
                    Some(s) if !s.deployed => write!(out, "<td>— not deployed yet</td>")?,
                    Some(s) if s.errors == 0 => write!(out, "<td class=\"ok\">✓ compatible</td>")?,
                    Some(s) => write!(out, "<td class=\"bad\">✗ {}</td>", state_label(s))?,
                    None => write!(out, "<td>—</td>")?,
                }
            }
            writeln!(out, "</tr>")?;
        }
        writeln!(out, "</tbody></table></div>")?;
        for r in &model.releases {
            let problems = &r.first;
            if problems.is_empty() {
                continue;
            }
            writeln!(
                out,
                "<details><summary>Release {}: {}</summary><ul class=\"problems\">",
                e(&r.version),
                plural(problems.len(), "problem")
            )?;
            for (after, p) in problems {
                writeln!(
                    out,
                    "<li>after <code>{}</code>: {}</li>",
                    e(after),
                    code_spans(p)
                )?;
            }
            writeln!(out, "</ul></details>")?;
        }
    }

    writeln!(out, "<h2 id=\"graph\">Dependency graph</h2>")?;
    // The edges carry no text: their kind is the stroke, named here.
    let edge_keys: String = svg::EDGE_STYLES
        .iter()
        .map(|(kind, _, _, _, text)| {
            format!(
                "<span class=\"edge-key\" data-kind=\"{}\">{} {}</span> ",
                kind.as_str(),
                svg::edge_sample(*kind),
                e(text)
            )
        })
        .collect();
    writeln!(
        out,
        "<p class=\"legend\" id=\"graph-legend\"><span class=\"phase expand\">expand</span> <span class=\"phase backfill\">backfill</span> <span class=\"phase contract\">contract</span> <span class=\"phase mixed\">mixed</span> <span>rounded box: release (dashed: retired)</span><br>{}</p>",
        edge_keys.trim_end()
    )?;
    writeln!(out, "<div class=\"graph\">")?;
    let nodes: Vec<NodeRef<'_>> = graph.nodes_in_order();
    let edges = graph.edges();
    out.write_all(svg::layered(graph, &nodes, &edges).as_bytes())?;
    writeln!(out, "</div>\n</body>\n</html>")
}

/// HTML for text with Markdown code spans: escaped, and each `span` as `<code>span</code>`
/// (an unpaired backtick stays as it is).
fn code_spans(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let inside = i % 2 == 1;
        if inside && i == parts.len() - 1 {
            // An opening backtick without its closing one.
            out.push('`');
            out.push_str(&html_escape(part));
        } else if inside {
            out.push_str(&format!("<code>{}</code>", html_escape(part)));
        } else {
            out.push_str(&html_escape(part));
        }
    }
    out
}

/// A migration's findings: the counts, then the errors and the warnings in two lists.
fn findings_html(findings: &[FindingRow]) -> String {
    if findings.is_empty() {
        return "0".to_owned();
    }
    let mut groups = String::new();
    let mut counts = Vec::new();
    for (severity, class, title) in [
        (Severity::Error, "errors", "error"),
        (Severity::Warning, "warnings", "warning"),
    ] {
        let items: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| {
                format!(
                    "<li><code>{}</code> (line {}): {}</li>",
                    html_escape(f.rule),
                    f.line,
                    code_spans(&f.message)
                )
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        counts.push(plural(items.len(), title));
        groups.push_str(&format!(
            "<div class=\"{class}\"><strong>{}</strong><ul class=\"problems\">{}</ul></div>",
            if class == "errors" {
                "Errors"
            } else {
                "Warnings"
            },
            items.concat()
        ));
    }
    format!(
        "<details><summary>{}</summary>{groups}</details>",
        counts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_become_code_elements() {
        assert_eq!(
            code_spans("drop `users.name` <now> `x"),
            "drop <code>users.name</code> &lt;now&gt; `x"
        );
        assert_eq!(code_spans("plain"), "plain");
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            html_escape(r#"<b a="x">'&'</b>"#),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b\n<img src=x>`c`"), "a\\|b &lt;img src=x&gt;'c'");
        assert_eq!(or_dash(Some("  ")), "—");
        assert_eq!(or_dash(None), "—");
    }
}
