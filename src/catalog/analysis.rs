//! The catalog read as one migration sequence: each migration linted with the schema model
//! replayed from the ones before it, the schema state after each migration, the graph
//! nodes, and the releases' queries checked against every state.

use super::coexist::{check_states, prepare, Problem};
use super::layout::Catalog;
use super::queries;
use crate::config::{Config, ReleaseConfig};
use crate::graph::{migration_node, GraphInput, MigrationNode, Object, ReleaseNode};
use crate::lint::{lint_input_with, FileOptions, FileResult, LintSettings};
use crate::schema::Schema;
use crate::source::SourceFile;
use std::path::Path;
use std::sync::Arc;

/// A linted catalog.
pub struct Analysis {
    /// One lint result per migration, in catalog order.
    pub results: Vec<FileResult>,
    /// The schema before any migration (index 0) and after each one (index i + 1).
    pub states: Vec<Schema>,
    pub nodes: Vec<MigrationNode>,
}

/// Lints every migration of `catalog` in order, keeping the schema state after each.
pub fn analyze(catalog: &Catalog, settings: &LintSettings) -> std::io::Result<Analysis> {
    let mut schema = Schema::default();
    let mut states = vec![schema.clone()];
    let mut results = Vec::with_capacity(catalog.migrations.len());
    let mut nodes = Vec::with_capacity(catalog.migrations.len());
    for m in &catalog.migrations {
        let text = m.up_text()?;
        let options = FileOptions {
            declared_phase: m.meta.phase.map(|p| p.phase()),
            transaction: m.meta.transaction,
            edited_since: None,
        };
        let source = SourceFile::new(m.up.display().to_string(), text);
        let result = lint_input_with(source, options, settings, &mut schema);
        let ops: Vec<_> = result
            .statements
            .iter()
            .flat_map(|s| s.ops.iter().map(|o| o.op.clone()))
            .collect();
        let phase = m.meta.phase.map(|p| p.phase()).unwrap_or(result.phase);
        let mut node = migration_node(m.id.clone(), phase, m.meta.requires.clone(), &ops);
        // A contract declares the expand / backfill whose replacement it finishes.
        node.replaces = m.meta.replaces.clone();
        nodes.push(node);
        states.push(schema.clone());
        results.push(result);
    }
    Ok(Analysis {
        results,
        states,
        nodes,
    })
}

/// One release's queries checked against every schema state.
pub struct ReleaseCheck {
    pub version: String,
    /// The first state the release can meet: the one after the migration it requires
    /// (0 when it requires none). Earlier states are not checked and hold no problems.
    pub from: usize,
    /// Per state (index as in [`Analysis::states`]): the problems. A state that changed
    /// nothing the release uses shares the previous state's list.
    pub per_state: Vec<Arc<Vec<Problem>>>,
    /// The tables its queries read.
    pub reads: Vec<Object>,
}

impl ReleaseCheck {
    /// Each problem once, with the state where it first appears (index as in
    /// [`Analysis::states`]); state 0, before any migration, is left out.
    pub fn first_appearances(&self) -> Vec<(usize, &Problem)> {
        let mut seen: std::collections::HashSet<&Problem> = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (k, problems) in self.per_state.iter().enumerate().skip(1) {
            // A state that shares its list with the one before has nothing new.
            if Arc::ptr_eq(problems, &self.per_state[k - 1]) {
                continue;
            }
            for p in problems.iter() {
                if seen.insert(p) {
                    out.push((k, p));
                }
            }
        }
        out
    }
}

/// Loads each release's queries and checks them against every state.
pub fn check_releases(
    config: &Config,
    config_dir: &Path,
    settings: &LintSettings,
    analysis: &Analysis,
) -> Result<Vec<ReleaseCheck>, queries::QueryError> {
    config
        .releases
        .iter()
        .map(|r| check_release(r, config_dir, settings, analysis))
        .collect()
}

fn check_release(
    release: &ReleaseConfig,
    config_dir: &Path,
    settings: &LintSettings,
    analysis: &Analysis,
) -> Result<ReleaseCheck, queries::QueryError> {
    let queries = match &release.queries {
        Some(spec) => queries::load(spec, config_dir, settings.dialect)?,
        None => Vec::new(),
    };
    let prepared: Vec<_> = queries
        .iter()
        .map(|q| prepare(q, settings.dialect))
        .collect();
    let mut reads: Vec<Object> = Vec::new();
    for p in &prepared {
        for t in p.tables() {
            let o = Object::Table(t.clone());
            if !reads.contains(&o) {
                reads.push(o);
            }
        }
    }
    // A release is deployed only once the migration it requires has run: earlier states
    // are not checked (they would only say that its tables do not exist yet).
    let from = release
        .requires
        .as_ref()
        .and_then(|id| analysis.nodes.iter().position(|n| n.id == *id))
        .map(|i| i + 1)
        .unwrap_or(0);
    let states: Vec<&Schema> = analysis.states[from..].iter().collect();
    // The states before it share one empty list.
    let empty = Arc::new(Vec::new());
    let mut per_state: Vec<Arc<Vec<Problem>>> = (0..from).map(|_| Arc::clone(&empty)).collect();
    per_state.extend(check_states(&prepared, &states));
    // What the release reads that a later migration removes: the objects missing in the
    // states after the one it needs (a table read is not enough to tell which column a
    // contract may drop).
    for problems in per_state.iter().skip(from + 1) {
        for p in problems.iter() {
            if p.severity != crate::rules::Severity::Error {
                continue;
            }
            let o = match p.object() {
                Some((t, Some(c))) => Object::Column(t.clone(), c.clone()),
                Some((t, None)) => Object::Table(t.clone()),
                None => continue,
            };
            if !reads.contains(&o) {
                reads.push(o);
            }
        }
    }
    Ok(ReleaseCheck {
        version: release.version.clone(),
        from,
        per_state,
        reads,
    })
}

/// The graph input: the migrations and the releases (a release not in `[deploy] live` is
/// retired, when the list is given).
pub fn graph_input(config: &Config, analysis: &Analysis, releases: &[ReleaseCheck]) -> GraphInput {
    let live = &config.deploy.live;
    GraphInput {
        migrations: analysis.nodes.clone(),
        releases: config
            .releases
            .iter()
            .zip(releases)
            .map(|(r, checked)| ReleaseNode {
                version: r.version.clone(),
                requires: r.requires.clone(),
                reads: checked.reads.clone(),
                retired: !live.is_empty() && !live.contains(&r.version),
            })
            .collect(),
    }
}
