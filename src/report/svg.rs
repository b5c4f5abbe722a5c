//! The dependency graph as an inline SVG, laid out by bellows (no network, no scripts).
//!
//! A small layered layout, top to bottom: each node's layer (a row, filled from the left) is the longest path to it from
//! a source, following the graph's topological order; within a layer nodes keep catalog
//! order (migrations, then releases as declared). Migrations are boxes filled by phase,
//! releases rounded boxes (dashed when retired); edges are straight lines with arrowheads,
//! dashed for implied, release and retirement edges, labelled with their kind.

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
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" style=\"min-width:{:.0}px;max-width:{width:.0}px\" role=\"img\" aria-label=\"dependency graph\" font-family=\"ui-monospace, Menlo, Consolas, monospace\" font-size=\"12\">",
        (width * 0.8).min(width)
    );
    s.push_str("<defs>");
    for (id, colour) in [
        ("a-solid", "#444444"),
        ("a-release", "#1f6feb"),
        ("a-retire", "#cf222e"),
    ] {
        let _ = write!(
            s,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>"
        );
    }
    s.push_str("</defs>\n");

    // Edges, then their labels, then the nodes over them.
    let mut labels = String::new();
    for (from, to, edge) in &keyed {
        let (Some(&a), Some(&b)) = (at.get(from), at.get(to)) else {
            continue;
        };
        let (a, b) = (&placed[a], &placed[b]);
        let (x1, y1) = (a.x + a.w / 2.0, a.y + BOX_H);
        let (x2, y2) = (b.x + b.w / 2.0, b.y);
        let (colour, marker, dash) = match edge.kind {
            EdgeKind::Requires | EdgeKind::Replaces => ("#444444", "a-solid", ""),
            EdgeKind::Implied => ("#888888", "a-solid", " stroke-dasharray=\"5 4\""),
            EdgeKind::ReleaseNeeds => ("#1f6feb", "a-release", " stroke-dasharray=\"5 4\""),
            EdgeKind::RetireBefore => ("#cf222e", "a-retire", " stroke-dasharray=\"2 3\""),
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
            "<polyline points=\"{points}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.4\"{dash} marker-end=\"url(#{marker})\"><title>{}</title></polyline>",
            html_escape(&format!("{} → {}: {}", a.lines[0], b.lines[0], edge_text(edge)))
        );
        // Implied edges are the many grey ones: the legend names them, the tooltip says why.
        if edge.kind == EdgeKind::Implied {
            continue;
        }
        let (lx, ly) = ((x1 + x2) / 2.0, y2 - GAP_Y / 4.0);
        let _ = writeln!(
            labels,
            "<text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            html_escape(edge.kind.as_str())
        );
    }
    s.push_str(&labels);
    for p in &placed {
        let rx = if p.release { BOX_H / 2.0 } else { 3.0 };
        let dash = if p.retired {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<g><title>{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BOX_H}\" rx=\"{rx}\" fill=\"{}\" stroke=\"#555555\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1f2328\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#57606a\">{}</text></g>",
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
