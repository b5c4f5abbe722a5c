//! Text renderings of the graph: Graphviz DOT and Mermaid.
//!
//! Pure functions of the graph; deterministic (nodes in catalog order, then releases;
//! edges sorted by their endpoints). Writes nothing: callers print the string.

use super::{Edge, EdgeKind, Graph, NodeRef};
use crate::classify::phase::Phase;
use std::fmt::Write;

/// Fill colour of a migration box by phase.
pub fn phase_colour(phase: Phase) -> &'static str {
    match phase {
        Phase::Expand => "#c8e6c9",
        Phase::Backfill => "#bbdefb",
        Phase::Contract => "#ffcdd2",
        Phase::Mixed => "#ffe0b2",
        Phase::None => "#eeeeee",
    }
}

fn edge_label(edge: &Edge) -> String {
    match (&edge.kind, &edge.object) {
        (EdgeKind::Implied | EdgeKind::RetireBefore, Some(o)) => {
            format!("{} ({o})", edge.kind)
        }
        _ => edge.kind.to_string(),
    }
}

impl Graph {
    /// The stable node id used in renderings: `m<catalog index>` or `r<release index>`.
    fn render_id(&self, node: &NodeRef<'_>) -> String {
        match node {
            NodeRef::Migration(m) => format!("m{}", self.by_id[&m.id]),
            NodeRef::Release(r) => {
                let i = self
                    .input
                    .releases
                    .iter()
                    .position(|x| x.version == r.version)
                    .expect("release refs come from this graph");
                format!("r{i}")
            }
        }
    }

    /// Graphviz DOT: migrations are boxes filled by phase, releases are ellipses (dashed
    /// when retired), edges are labelled with their kind.
    ///
    /// ```
    /// use bellows::classify::phase::Phase;
    /// use bellows::graph::{Graph, GraphInput, MigrationNode};
    ///
    /// let graph = Graph::build(GraphInput {
    ///     migrations: vec![MigrationNode::new("0001_users", Phase::Expand)],
    ///     releases: vec![],
    /// })?;
    /// assert!(graph.to_dot().contains(r#"m0 [label="0001_users\nexpand""#));
    /// # Ok::<(), bellows::graph::GraphError>(())
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph bellows {\n");
        out.push_str("  rankdir=LR;\n");
        out.push_str("  node [fontname=\"Helvetica\", fontsize=10];\n");
        out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        for (i, m) in self.input.migrations.iter().enumerate() {
            let _ = writeln!(
                out,
                "  m{i} [label=\"{}\\n{}\", shape=box, style=filled, fillcolor=\"{}\"];",
                dot_escape(&m.id),
                m.phase,
                phase_colour(m.phase)
            );
        }
        for (i, r) in self.input.releases.iter().enumerate() {
            let (label, style) = if r.retired {
                (format!("release {} (retired)", r.version), "dashed")
            } else {
                (format!("release {}", r.version), "solid")
            };
            let _ = writeln!(
                out,
                "  r{i} [label=\"{}\", shape=ellipse, style={style}];",
                dot_escape(&label)
            );
        }
        for (from, to, edge) in self.edges() {
            let style = match edge.kind {
                EdgeKind::Requires | EdgeKind::Replaces => "solid",
                EdgeKind::Implied => "dashed",
                EdgeKind::ReleaseNeeds | EdgeKind::RetireBefore => "dotted",
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{}\", style={style}];",
                self.render_id(&from),
                self.render_id(&to),
                dot_escape(&edge_label(edge))
            );
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid (`flowchart LR`): migrations are rectangles with a class per phase,
    /// releases are stadiums, edges are labelled with their kind. Node ids are `m<i>` /
    /// `r<i>`, so any migration id or version is safe; labels are quoted.
    ///
    /// ```
    /// use bellows::classify::phase::Phase;
    /// use bellows::graph::{Graph, GraphInput, MigrationNode};
    ///
    /// let graph = Graph::build(GraphInput {
    ///     migrations: vec![MigrationNode::new("0001_users", Phase::Expand)],
    ///     releases: vec![],
    /// })?;
    /// assert!(graph.to_mermaid().starts_with("flowchart LR\n  m0[\"0001_users<br/>expand\"]"));
    /// # Ok::<(), bellows::graph::GraphError>(())
    /// ```
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (i, m) in self.input.migrations.iter().enumerate() {
            let _ = writeln!(out, "  m{i}[\"{}<br/>{}\"]", mermaid_escape(&m.id), m.phase);
        }
        for (i, r) in self.input.releases.iter().enumerate() {
            let label = if r.retired {
                format!("release {} (retired)", r.version)
            } else {
                format!("release {}", r.version)
            };
            let _ = writeln!(out, "  r{i}([\"{}\"])", mermaid_escape(&label));
        }
        for (from, to, edge) in self.edges() {
            let arrow = match edge.kind {
                EdgeKind::Requires | EdgeKind::Replaces => "-->",
                EdgeKind::Implied | EdgeKind::ReleaseNeeds | EdgeKind::RetireBefore => "-.->",
            };
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{}\"| {}",
                self.render_id(&from),
                mermaid_escape(&edge_label(edge)),
                self.render_id(&to)
            );
        }
        let phases = [
            Phase::Expand,
            Phase::Backfill,
            Phase::Contract,
            Phase::Mixed,
            Phase::None,
        ];
        for phase in phases {
            let members: Vec<String> = self
                .input
                .migrations
                .iter()
                .enumerate()
                .filter(|(_, m)| m.phase == phase)
                .map(|(i, _)| format!("m{i}"))
                .collect();
            if members.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "  classDef {phase} fill:{},stroke:#555555",
                phase_colour(phase)
            );
            let _ = writeln!(out, "  class {} {phase}", members.join(","));
        }
        let retired: Vec<String> = self
            .input
            .releases
            .iter()
            .enumerate()
            .filter(|(_, r)| r.retired)
            .map(|(i, _)| format!("r{i}"))
            .collect();
        if !retired.is_empty() {
            out.push_str("  classDef retired stroke-dasharray:4 4,color:#777777\n");
            let _ = writeln!(out, "  class {} retired", retired.join(","));
        }
        out
    }
}

/// Escapes text for a double-quoted DOT string.
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a quoted Mermaid label: quotes and markup become entity codes.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
