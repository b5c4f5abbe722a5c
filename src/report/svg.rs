//! The dependency graph as an inline SVG, laid out by bellows (no network, no scripts).
//!
//! A small layered layout, top to bottom: each node's layer (a row, filled from the left) is the longest path to it from
//! a source, following the graph's topological order; within a layer nodes keep catalog
//! order (migrations, then releases as declared). Migrations are boxes filled by phase,
//! releases rounded boxes (dashed when retired); edges are straight lines with arrowheads.
//! An edge's kind is its stroke (colour and dash, see [`EDGE_STYLES`] and the page's
//! legend), never a text label: labels of crossing edges overlapped. Each edge's tooltip
//! names its kind and object. The SVG scales to the width of its container (viewBox,
//! width 100%), so it fits the page for any catalog.

use super::catalog::html_escape;
use crate::graph::{Edge, EdgeKind, Graph, NodeRef};
use std::collections::HashMap;
use std::fmt::Write;

const CHAR_W: f64 = 7.3;
const PAD_X: f64 = 10.0;
const BOX_H: f64 = 40.0;
const GAP_X: f64 = 22.0;
const GAP_Y: f64 = 64.0;
const MARGIN: f64 = 12.0;

/// How each edge kind is drawn: (kind, stroke colour, dash pattern, arrowhead marker,
/// legend text). The legend of the HTML page is made from this table.
pub const EDGE_STYLES: [(EdgeKind, &str, &str, &str, &str); 5] = [
    (EdgeKind::Requires, "#444444", "", "a-solid", "requires"),
    (EdgeKind::Replaces, "#8250df", "", "a-replaces", "replaces"),
    (
        EdgeKind::Implied,
        "#888888",
        "5 4",
        "a-implied",
        "implied (same table)",
    ),
    (
        EdgeKind::ReleaseNeeds,
        "#1f6feb",
        "8 3 2 3",
        "a-release",
        "release needs",
    ),
    (
        EdgeKind::RetireBefore,
        "#cf222e",
        "2 3",
        "a-retire",
        "retire before",
    ),
];

fn style_of(kind: EdgeKind) -> (&'static str, &'static str, &'static str) {
    EDGE_STYLES
        .iter()
        .find(|s| s.0 == kind)
        .map(|s| (s.1, s.2, s.3))
        .unwrap_or(("#444444", "", "a-solid"))
}

/// A short stroke sample of an edge kind, for the legend.
pub fn edge_sample(kind: EdgeKind) -> String {
    let (colour, dash, _) = style_of(kind);
    let dash = if dash.is_empty() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{dash}\"")
    };
    format!(
        "<svg class=\"sample\" width=\"36\" height=\"10\" viewBox=\"0 0 36 10\" aria-hidden=\"true\"><line x1=\"1\" y1=\"5\" x2=\"35\" y2=\"5\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/></svg>"
    )
}

/// A node's identity: (is a release, index among migrations or releases).
type Key = (bool, usize);

struct Placed {
    key: Key,
    lines: [String; 2],
    fill: &'static str,
    release: bool,
    retired: bool,
    layer: usize,
    x: f64,
    y: f64,
    w: f64,
}

fn key_of(graph: &Graph, node: &NodeRef<'_>) -> Key {
    match node {
        NodeRef::Migration(m) => (
            false,
            graph
                .migrations()
                .iter()
                .position(|x| x.id == m.id)
                .unwrap_or(0),
        ),
        NodeRef::Release(r) => (
            true,
            graph
                .releases()
                .iter()
                .position(|x| x.version == r.version)
                .unwrap_or(0),
        ),
    }
}

/// The SVG for `nodes` (in topological order) and `edges`.
pub fn layered(
    graph: &Graph,
    nodes: &[NodeRef<'_>],
    edges: &[(NodeRef<'_>, NodeRef<'_>, &Edge)],
) -> String {
    let keyed: Vec<(Key, Key, &Edge)> = edges
        .iter()
        .map(|(a, b, e)| (key_of(graph, a), key_of(graph, b), *e))
        .collect();
    // Longest path from a source, in topological order.
    let mut layer: HashMap<Key, usize> = HashMap::new();
    for n in nodes {
        let k = key_of(graph, n);
        let l = keyed
            .iter()
            .filter(|(_, to, _)| *to == k)
            .filter_map(|(from, _, _)| layer.get(from).map(|l| l + 1))
            .max()
            .unwrap_or(0);
        layer.insert(k, l);
    }
    let mut placed: Vec<Placed> = nodes
        .iter()
        .map(|n| {
            let key = key_of(graph, n);
            let (lines, fill, release, retired) = match n {
                NodeRef::Migration(m) => (
                    [m.id.clone(), m.phase.to_string()],
                    crate::graph::phase_colour(m.phase),
                    false,
                    false,
                ),
                NodeRef::Release(r) => (
                    [
                        format!("release {}", r.version),
                        if r.retired { "retired" } else { "live" }.to_owned(),
                    ],
                    "#ffffff",
                    true,
                    r.retired,
                ),
            };
            let chars = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            Placed {
                key,
                w: chars as f64 * CHAR_W + 2.0 * PAD_X,
                lines,
                fill,
                release,
                retired,
                layer: layer[&key],
                x: 0.0,
                y: 0.0,
            }
        })
        .collect();
    placed.sort_by_key(|p| (p.layer, p.key));
    let layers = placed.iter().map(|p| p.layer + 1).max().unwrap_or(0);
    let row_widths: Vec<f64> = (0..layers)
        .map(|l| {
            let row: Vec<&Placed> = placed.iter().filter(|p| p.layer == l).collect();
            row.iter().map(|p| p.w).sum::<f64>() + GAP_X * (row.len().saturating_sub(1)) as f64
        })
        .collect();
    let width = row_widths.iter().copied().fold(0.0, f64::max) + 2.0 * MARGIN;
    // Rows start at the left edge: on a phone the graph scrolls, and the first node of
    // every layer is in view.
    for l in 0..layers {
        let mut x = MARGIN;
        for p in placed.iter_mut().filter(|p| p.layer == l) {
            p.x = x;
            p.y = MARGIN + l as f64 * (BOX_H + GAP_Y);
            x += p.w + GAP_X;
        }
    }
    let height = if layers == 0 {
        2.0 * MARGIN
    } else {
        2.0 * MARGIN + layers as f64 * BOX_H + (layers - 1) as f64 * GAP_Y
    };
    let at: HashMap<Key, usize> = placed.iter().enumerate().map(|(i, p)| (p.key, i)).collect();

    let mut s = String::new();
    // No fixed size: the viewBox keeps the proportions and the page's CSS (width 100%)
    // scales the drawing to the container, never wider than drawn.
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" style=\"max-width:{width:.0}px\" role=\"img\" aria-label=\"dependency graph\" font-family=\"ui-monospace, Menlo, Consolas, monospace\" font-size=\"12\">"
    );
    s.push_str("<defs>");
    for (_, colour, _, id, _) in EDGE_STYLES {
        let _ = write!(
            s,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>"
        );
    }
    s.push_str("</defs>\n");

    // Edges, then the nodes over them.
    for (from, to, edge) in &keyed {
        let (Some(&a), Some(&b)) = (at.get(from), at.get(to)) else {
            continue;
        };
        let (a, b) = (&placed[a], &placed[b]);
        let (x1, y1) = (a.x + a.w / 2.0, a.y + BOX_H);
        let (x2, y2) = (b.x + b.w / 2.0, b.y);
        let (colour, dash, marker) = style_of(edge.kind);
        let dash = if dash.is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{dash}\"")
        };
        // An edge that skips layers bends once, beside its source, to stay off the boxes
        // of the layers it crosses.
        let points = if b.layer > a.layer + 1 {
            let side = if x2 >= x1 { 1.0 } else { -1.0 };
            let bend_x = x1 + side * (a.w / 2.0 + GAP_X / 2.0).min((x2 - x1).abs().max(GAP_X));
            let bend_y = y1 + GAP_Y / 2.0;
            format!("{x1:.1},{y1:.1} {bend_x:.1},{bend_y:.1} {x2:.1},{y2:.1}")
        } else {
            format!("{x1:.1},{y1:.1} {x2:.1},{y2:.1}")
        };
        let _ = writeln!(
            s,
            "<polyline class=\"edge {}\" points=\"{points}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.4\"{dash} marker-end=\"url(#{marker})\"><title>{}</title></polyline>",
            edge.kind.as_str(),
            html_escape(&format!("{} → {}: {}", a.lines[0], b.lines[0], edge_text(edge)))
        );
    }
    for p in &placed {
        let rx = if p.release { BOX_H / 2.0 } else { 3.0 };
        let dash = if p.retired {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<g class=\"node\"><title>{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BOX_H}\" rx=\"{rx}\" fill=\"{}\" stroke=\"#555555\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1f2328\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#57606a\">{}</text></g>",
            html_escape(&p.lines[0]),
            p.x,
            p.y,
            p.w,
            p.fill,
            p.x + p.w / 2.0,
            p.y + 17.0,
            html_escape(&p.lines[0]),
            p.x + p.w / 2.0,
            p.y + 32.0,
            html_escape(&p.lines[1]),
        );
    }
    s.push_str("</svg>\n");
    s
}

fn edge_text(edge: &Edge) -> String {
    match &edge.object {
        Some(o) => format!("{} ({o})", edge.kind),
        None => edge.kind.to_string(),
    }
}
