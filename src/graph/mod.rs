//! The dependency graph of migrations and releases, built with `petgraph`.
//!
//! Owns the edges between migrations (explicit `requires`, edges implied by what each
//! migration creates and uses, declared `replaces`) and releases (what a release needs, what
//! must wait for a release's retirement), a stable topological order, and the errors for
//! missing dependencies and cycles (with the path). Reads no files and prints nothing; knows
//! nothing of the catalog's types: the catalog describes itself with [`GraphInput`].
//!
//! Every edge points from what comes first to what comes after: `a → b` means `a` must be
//! applied (or, for a release, retired) before `b`, or for [`EdgeKind::ReleaseNeeds`] that
//! migration `a` must be applied before release `b` is deployed.
//!
//! ```
//! use bellows::classify::phase::Phase;
//! use bellows::graph::{Graph, GraphInput, MigrationNode};
//!
//! let users = MigrationNode::new("0001_users", Phase::Expand);
//! let mut email = MigrationNode::new("0002_email", Phase::Expand);
//! email.requires.push("0001_users".into());
//! let graph = Graph::build(GraphInput { migrations: vec![email, users], releases: vec![] })?;
//! assert_eq!(graph.order(), ["0001_users", "0002_email"]);
//! # Ok::<(), bellows::graph::GraphError>(())
//! ```

mod node;
mod render;

pub use render::phase_colour;

pub use node::{migration_node, GraphInput, MigrationNode, Object, ReleaseNode};

use crate::classify::op::Name;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::{Dfs, EdgeRef, Reversed};
use petgraph::Direction;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;

/// Why one node must come before another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// The later migration lists the earlier one in `requires`.
    Requires,
    /// The later migration is a contract that declares it finishes the earlier one.
    Replaces,
    /// The earlier migration creates a table or column the later one touches or removes.
    Implied,
    /// The release needs the migration (its `requires`).
    ReleaseNeeds,
    /// The migration removes something the release reads: it waits for the retirement.
    RetireBefore,
}

impl EdgeKind {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Requires => "requires",
            EdgeKind::Replaces => "replaces",
            EdgeKind::Implied => "implied",
            EdgeKind::ReleaseNeeds => "release-needs",
            EdgeKind::RetireBefore => "retire-before",
        }
    }
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An edge's weight: its kind and, for implied and retire-before edges, the object that
/// caused it (the first one, when several do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    pub object: Option<Object>,
}

/// A node's weight: an index into the input's migrations or releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Node {
    Migration(usize),
    Release(usize),
}

/// A node of the graph, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeRef<'a> {
    Migration(&'a MigrationNode),
    Release(&'a ReleaseNode),
}

impl NodeRef<'_> {
    /// The migration id or the release version.
    pub fn id(&self) -> &str {
        match self {
            NodeRef::Migration(m) => &m.id,
            NodeRef::Release(r) => &r.version,
        }
    }
}

impl fmt::Display for NodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Migration(m) => f.write_str(&m.id),
            NodeRef::Release(r) => write!(f, "release {}", r.version),
        }
    }
}

/// A direct dependency of a migration: the node that must come first, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dependency<'a> {
    pub on: NodeRef<'a>,
    pub kind: EdgeKind,
    pub object: Option<&'a Object>,
}

/// A live release holding back a migration that removes something it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub release: String,
    pub migration: String,
    /// What the migration removes.
    pub removed: Object,
    /// What the release reads that the removal takes away (`removed` itself, or a column
    /// of a removed table).
    pub read: Object,
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "retire release {}, which reads {} ({} removes {})",
            self.release, self.read, self.migration, self.removed
        )
    }
}

/// Why a graph cannot be built.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GraphError {
    /// A `requires` or `replaces` names a migration the catalog does not have.
    #[error(transparent)]
    #[diagnostic(transparent)]
    MissingDependency(Box<MissingDependency>),
    /// The dependencies form a cycle.
    #[error("dependency cycle: {path}")]
    #[diagnostic(code(bellows::graph::cycle))]
    Cycle {
        /// `0003_a → 0005_b → 0003_a`.
        path: String,
        /// The nodes of the cycle in order, the first repeated at the end (releases as
        /// `release V`).
        nodes: Vec<String>,
        /// Each edge of the cycle: (from, to, kind).
        edges: Vec<(String, String, EdgeKind)>,
        #[help]
        help: String,
    },
    #[error("migration id `{id}` appears more than once in the catalog")]
    #[diagnostic(
        code(bellows::graph::duplicate_migration),
        help("rename one of them; `bellows catalog check` lists the catalog")
    )]
    DuplicateMigration { id: String },
    #[error("release `{version}` is declared more than once")]
    #[diagnostic(
        code(bellows::graph::duplicate_release),
        help("each `[[release]]` in bellows.toml needs its own version")
    )]
    DuplicateRelease { version: String },
}

/// A `requires` or `replaces` naming a migration the catalog does not have.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{owner_kind} `{owner}` {field} `{missing}`, which is not a migration in the catalog")]
#[diagnostic(code(bellows::graph::missing_dependency))]
pub struct MissingDependency {
    /// "migration" or "release".
    pub owner_kind: &'static str,
    /// The migration id or release version that names the unknown id.
    pub owner: String,
    /// "requires" or "replaces".
    pub field: &'static str,
    pub missing: String,
    /// The known migration id closest to `missing`.
    pub closest: Option<String>,
    #[help]
    pub help: String,
}

/// The dependency graph: acyclic, every dependency known.
#[derive(Debug, Clone)]
pub struct Graph {
    graph: DiGraph<Node, Edge>,
    input: GraphInput,
    migration_ix: Vec<NodeIndex>,
    release_ix: Vec<NodeIndex>,
    by_id: HashMap<String, usize>,
    blockers: Vec<Blocker>,
}

impl Graph {
    /// Builds the graph, or says which dependency is missing or which cycle exists.
    pub fn build(input: GraphInput) -> Result<Graph, GraphError> {
        let mut by_id = HashMap::with_capacity(input.migrations.len());
        for (i, m) in input.migrations.iter().enumerate() {
            if by_id.insert(m.id.clone(), i).is_some() {
                return Err(GraphError::DuplicateMigration { id: m.id.clone() });
            }
        }
        let mut versions = HashSet::new();
        for r in &input.releases {
            if !versions.insert(r.version.as_str()) {
                return Err(GraphError::DuplicateRelease {
                    version: r.version.clone(),
                });
            }
        }

        let mut graph = DiGraph::with_capacity(
            input.migrations.len() + input.releases.len(),
            input.migrations.len() * 2,
        );
        let migration_ix: Vec<NodeIndex> = (0..input.migrations.len())
            .map(|i| graph.add_node(Node::Migration(i)))
            .collect();
        let release_ix: Vec<NodeIndex> = (0..input.releases.len())
            .map(|i| graph.add_node(Node::Release(i)))
            .collect();
        let mut g = Graph {
            graph,
            input: GraphInput::default(),
            migration_ix,
            release_ix,
            by_id,
            blockers: Vec::new(),
        };

        // Explicit and declared edges first: when a pair is linked for several reasons, the
        // edge keeps the first (requires, then replaces, then implied).
        for (i, m) in input.migrations.iter().enumerate() {
            for (field, list, kind) in [
                ("requires", &m.requires, EdgeKind::Requires),
                ("replaces", &m.replaces, EdgeKind::Replaces),
            ] {
                for dep in list {
                    let d = g.lookup("migration", &m.id, field, dep)?;
                    g.link(g.migration_ix[d], g.migration_ix[i], kind, None);
                }
            }
        }
        g.implied_edges(&input.migrations);

        // Releases: what each needs, then what waits for each to retire.
        let mut needs = Vec::with_capacity(input.releases.len());
        for r in &input.releases {
            needs.push(match &r.requires {
                Some(dep) => Some(g.lookup("release", &r.version, "requires", dep)?),
                None => None,
            });
        }
        g.retirement_edges(&input, &needs);
        for (ri, need) in needs.iter().enumerate() {
            if let Some(m) = need {
                g.link(
                    g.migration_ix[*m],
                    g.release_ix[ri],
                    EdgeKind::ReleaseNeeds,
                    None,
                );
            }
        }

        g.input = input;
        g.check_acyclic()?;
        Ok(g)
    }

    fn lookup(
        &self,
        owner_kind: &'static str,
        owner: &str,
        field: &'static str,
        dep: &str,
    ) -> Result<usize, GraphError> {
        if let Some(&i) = self.by_id.get(dep) {
            return Ok(i);
        }
        let closest =
            crate::suggest::closest(dep, self.by_id.keys().map(String::as_str)).map(str::to_owned);
        let help = match &closest {
            Some(c) => format!(
                "did you mean `{c}`? Otherwise remove `{dep}` from `{field}` of {owner_kind} `{owner}`"
            ),
            None => format!(
                "remove `{dep}` from `{field}` of {owner_kind} `{owner}`, or add the missing migration"
            ),
        };
        Err(GraphError::MissingDependency(Box::new(MissingDependency {
            owner_kind,
            owner: owner.to_owned(),
            field,
            missing: dep.to_owned(),
            closest,
            help,
        })))
    }

    /// Adds an edge unless the pair is already linked.
    fn link(&mut self, from: NodeIndex, to: NodeIndex, kind: EdgeKind, object: Option<Object>) {
        if self.graph.find_edge(from, to).is_none() {
            self.graph.add_edge(from, to, Edge { kind, object });
        }
    }

    /// The migration that last created an object precedes every later migration that
    /// touches or removes it; a column's use also needs its table's creator.
    fn implied_edges(&mut self, migrations: &[MigrationNode]) {
        let mut creators: HashMap<Object, usize> = HashMap::new();
        for (i, m) in migrations.iter().enumerate() {
            let mut needed: Vec<Object> = Vec::new();
            let mut need = |o: &Object| {
                if !needed.contains(o) {
                    needed.push(o.clone());
                }
            };
            for o in m.touches.iter().chain(&m.removes) {
                need(o);
            }
            for o in m.creates.iter().chain(&m.touches).chain(&m.removes) {
                if let Object::Column(t, _) = o {
                    need(&Object::Table(t.clone()));
                }
            }
            for o in needed {
                if let Some(&c) = creators.get(&o) {
                    if c != i {
                        self.link(
                            self.migration_ix[c],
                            self.migration_ix[i],
                            EdgeKind::Implied,
                            Some(o),
                        );
                    }
                }
            }
            for removed in &m.removes {
                creators.retain(|o, _| !removed.covers(o));
            }
            for o in &m.creates {
                creators.insert(o.clone(), i);
            }
        }
    }

    /// A migration that removes what a live release reads waits for that release's
    /// retirement, unless the release needs the migration (then the release was built
    /// against the schema without the object, which is coexistence's business, not order's).
    fn retirement_edges(&mut self, input: &GraphInput, needs: &[Option<usize>]) {
        for (ri, r) in input.releases.iter().enumerate() {
            if r.retired || r.reads.is_empty() {
                continue;
            }
            let mut reads: HashMap<&Name, Vec<&Object>> = HashMap::new();
            for o in &r.reads {
                reads.entry(o.table()).or_default().push(o);
            }
            // Migrations the release needs, directly or through their dependencies.
            let mut needed = HashSet::new();
            if let Some(m) = needs[ri] {
                let reversed = Reversed(&self.graph);
                let mut dfs = Dfs::new(reversed, self.migration_ix[m]);
                while let Some(n) = dfs.next(reversed) {
                    needed.insert(n);
                }
            }
            for (mi, m) in input.migrations.iter().enumerate() {
                if m.removes.is_empty() || needed.contains(&self.migration_ix[mi]) {
                    continue;
                }
                for removed in &m.removes {
                    let Some(candidates) = reads.get(removed.table()) else {
                        continue;
                    };
                    for read in candidates.iter().filter(|o| removed.covers(o)) {
                        self.link(
                            self.release_ix[ri],
                            self.migration_ix[mi],
                            EdgeKind::RetireBefore,
                            Some((*read).clone()),
                        );
                        self.blockers.push(Blocker {
                            release: r.version.clone(),
                            migration: m.id.clone(),
                            removed: removed.clone(),
                            read: (*read).clone(),
                        });
                    }
                }
            }
        }
    }

    fn check_acyclic(&self) -> Result<(), GraphError> {
        let start = tarjan_scc(&self.graph)
            .into_iter()
            .filter(|scc| scc.len() > 1 || self.graph.find_edge(scc[0], scc[0]).is_some())
            .filter_map(|scc| scc.iter().min().copied().map(|n| (n, scc)))
            .min_by_key(|(n, _)| *n);
        let Some((start, scc)) = start else {
            return Ok(());
        };
        let members: HashSet<NodeIndex> = scc.into_iter().collect();
        let cycle = self.shortest_cycle(start, &members);
        let mut nodes = vec![self.node_ref(start).to_string()];
        let mut edges = Vec::new();
        let mut reasons = Vec::new();
        for e in cycle {
            let (from, to) = self
                .graph
                .edge_endpoints(e)
                .expect("edge indices come from this graph");
            let (from, to) = (self.node_ref(from), self.node_ref(to));
            let edge = &self.graph[e];
            reasons.push(explain_edge(&from, &to, edge));
            edges.push((from.to_string(), to.to_string(), edge.kind));
            nodes.push(to.to_string());
        }
        Err(GraphError::Cycle {
            path: nodes.join(" → "),
            nodes,
            edges,
            help: format!(
                "{}; remove one of these dependencies to break the cycle",
                reasons.join("; ")
            ),
        })
    }

    /// The edges of a shortest cycle through `start` inside its strongly connected
    /// component, found breadth-first with neighbours in index order.
    fn shortest_cycle(&self, start: NodeIndex, members: &HashSet<NodeIndex>) -> Vec<EdgeIndex> {
        let mut parent: HashMap<NodeIndex, EdgeIndex> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            let mut out: Vec<_> = self
                .graph
                .edges_directed(n, Direction::Outgoing)
                .filter(|e| members.contains(&e.target()))
                .map(|e| (e.target(), e.id()))
                .collect();
            out.sort();
            for (t, e) in out {
                if t == start {
                    let mut path = vec![e];
                    let mut cur = n;
                    while cur != start {
                        let pe = parent[&cur];
                        path.push(pe);
                        cur = self.graph.edge_endpoints(pe).expect("edge of this graph").0;
                    }
                    path.reverse();
                    return path;
                }
                if let std::collections::hash_map::Entry::Vacant(v) = parent.entry(t) {
                    v.insert(e);
                    queue.push_back(t);
                }
            }
        }
        unreachable!("a node of a cyclic strongly connected component lies on a cycle")
    }

    fn node_ref(&self, n: NodeIndex) -> NodeRef<'_> {
        match self.graph[n] {
            Node::Migration(i) => NodeRef::Migration(&self.input.migrations[i]),
            Node::Release(i) => NodeRef::Release(&self.input.releases[i]),
        }
    }

    /// The migrations, in catalog order.
    pub fn migrations(&self) -> &[MigrationNode] {
        &self.input.migrations
    }

    /// The releases, as declared.
    pub fn releases(&self) -> &[ReleaseNode] {
        &self.input.releases
    }

    /// A migration by id.
    pub fn migration(&self, id: &str) -> Option<&MigrationNode> {
        self.by_id.get(id).map(|&i| &self.input.migrations[i])
    }

    /// Every node in a topological order that keeps catalog order wherever the edges
    /// allow it: of the nodes that may come next, a release goes first (it only ever frees
    /// migrations), then the migration earliest in the catalog.
    pub fn nodes_in_order(&self) -> Vec<NodeRef<'_>> {
        let mut indegree: Vec<usize> = self
            .graph
            .node_indices()
            .map(|n| self.graph.edges_directed(n, Direction::Incoming).count())
            .collect();
        let key = |n: NodeIndex| match self.graph[n] {
            Node::Release(i) => (0, i, n),
            Node::Migration(i) => (1, i, n),
        };
        let mut ready: BinaryHeap<Reverse<(u8, usize, NodeIndex)>> = self
            .graph
            .node_indices()
            .filter(|n| indegree[n.index()] == 0)
            .map(|n| Reverse(key(n)))
            .collect();
        let mut out = Vec::with_capacity(indegree.len());
        while let Some(Reverse((_, _, n))) = ready.pop() {
            out.push(self.node_ref(n));
            for t in self.graph.neighbors_directed(n, Direction::Outgoing) {
                indegree[t.index()] -= 1;
                if indegree[t.index()] == 0 {
                    ready.push(Reverse(key(t)));
                }
            }
        }
        out
    }

    /// Migration ids in a topological order that keeps catalog order wherever the edges
    /// allow it (the smallest such order by catalog position).
    pub fn order(&self) -> Vec<&str> {
        self.nodes_in_order()
            .into_iter()
            .filter_map(|n| match n {
                NodeRef::Migration(m) => Some(m.id.as_str()),
                NodeRef::Release(_) => None,
            })
            .collect()
    }

    /// What must come directly before migration `id`: migrations (requires, replaces,
    /// implied) and releases that must retire first. `None` when `id` is not a migration.
    /// Sorted by catalog order, then releases in declaration order.
    pub fn dependencies_of(&self, id: &str) -> Option<Vec<Dependency<'_>>> {
        let &i = self.by_id.get(id)?;
        let mut deps: Vec<(Node, Dependency<'_>)> = self
            .graph
            .edges_directed(self.migration_ix[i], Direction::Incoming)
            .map(|e| {
                let w = e.weight();
                (
                    self.graph[e.source()],
                    Dependency {
                        on: self.node_ref(e.source()),
                        kind: w.kind,
                        object: w.object.as_ref(),
                    },
                )
            })
            .collect();
        deps.sort_by_key(|(n, _)| *n);
        Some(deps.into_iter().map(|(_, d)| d).collect())
    }

    /// The live releases holding back migration `contract_id`, with what each reads that
    /// the migration removes, in release order; empty when nothing blocks it.
    pub fn blockers_of(&self, contract_id: &str) -> Vec<(&str, &Object)> {
        let mut seen = BTreeSet::new();
        self.blockers
            .iter()
            .filter(|b| b.migration == contract_id)
            .filter(|b| seen.insert((&b.release, &b.read)))
            .map(|b| (b.release.as_str(), &b.read))
            .collect()
    }

    /// Every blocking reason, by release then migration in catalog order.
    pub fn blockers(&self) -> &[Blocker] {
        &self.blockers
    }

    /// Every edge as (from, to, edge), sorted by the endpoints' positions (migrations in
    /// catalog order, then releases).
    pub fn edges(&self) -> Vec<(NodeRef<'_>, NodeRef<'_>, &Edge)> {
        let mut edges: Vec<_> = self
            .graph
            .edge_references()
            .map(|e| (self.graph[e.source()], self.graph[e.target()], e.id()))
            .collect();
        edges.sort();
        edges
            .into_iter()
            .map(|(_, _, e)| {
                let (from, to) = self
                    .graph
                    .edge_endpoints(e)
                    .expect("edge indices come from this graph");
                (self.node_ref(from), self.node_ref(to), &self.graph[e])
            })
            .collect()
    }
}

/// One edge of a cycle in words.
fn explain_edge(from: &NodeRef<'_>, to: &NodeRef<'_>, edge: &Edge) -> String {
    let object = edge
        .object
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    match edge.kind {
        EdgeKind::Requires => format!("`{}` requires `{}`", to.id(), from.id()),
        EdgeKind::Replaces => format!("`{}` replaces `{}`", to.id(), from.id()),
        EdgeKind::Implied => format!("`{}` uses {object}, which `{}` creates", to.id(), from.id()),
        EdgeKind::ReleaseNeeds => format!("release {} needs `{}`", to.id(), from.id()),
        EdgeKind::RetireBefore => format!(
            "`{}` removes {object}, which release {} reads, so it waits for that release to retire",
            to.id(),
            from.id()
        ),
    }
}
