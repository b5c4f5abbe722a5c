//! The dependency graph: edges, order, errors (missing dependency, cycle with its path),
//! release blockers, and the DOT / Mermaid renderings as snapshots.

use bellows::classify::op::{Name, Op};
use bellows::classify::phase::Phase;
use bellows::dialect::Dialect;
use bellows::graph::{
    migration_node, EdgeKind, Graph, GraphError, GraphInput, MigrationNode, NodeRef, Object,
    ReleaseNode,
};
use bellows::lint::{lint_source, LintSettings};
use bellows::source::SourceFile;

fn m(id: &str, phase: Phase, requires: &[&str]) -> MigrationNode {
    let mut node = MigrationNode::new(id, phase);
    node.requires = requires.iter().map(|s| s.to_string()).collect();
    node
}

fn input(migrations: Vec<MigrationNode>) -> GraphInput {
    GraphInput {
        migrations,
        releases: vec![],
    }
}

fn table(t: &str) -> Object {
    Object::Table(Name::new(t))
}

fn column(t: &str, c: &str) -> Object {
    Object::Column(Name::new(t), Name::new(c))
}

/// The ops of a PostgreSQL migration, as the linter classifies them.
fn ops(sql: &str) -> Vec<Op> {
    let result = lint_source(
        SourceFile::new("m.sql", sql),
        &LintSettings::new(Dialect::Postgres),
    );
    result
        .statements
        .iter()
        .flat_map(|s| s.ops.iter().map(|o| o.op.clone()))
        .collect()
}

fn sql_node(id: &str, sql: &str) -> MigrationNode {
    let ops = ops(sql);
    let result = lint_source(
        SourceFile::new("m.sql", sql),
        &LintSettings::new(Dialect::Postgres),
    );
    migration_node(id, result.phase, vec![], &ops)
}

fn deps(graph: &Graph, id: &str) -> Vec<(String, EdgeKind)> {
    graph
        .dependencies_of(id)
        .expect("known migration")
        .iter()
        .map(|d| (d.on.to_string(), d.kind))
        .collect()
}

#[test]
fn linear() {
    let graph = Graph::build(input(vec![
        m("0001_a", Phase::Expand, &[]),
        m("0002_b", Phase::Expand, &["0001_a"]),
        m("0003_c", Phase::Backfill, &["0002_b"]),
    ]))
    .expect("acyclic");
    assert_eq!(graph.order(), ["0001_a", "0002_b", "0003_c"]);
    assert_eq!(
        deps(&graph, "0003_c"),
        [("0002_b".to_string(), EdgeKind::Requires)]
    );
    assert!(deps(&graph, "0001_a").is_empty());
    assert!(graph.dependencies_of("0009_nope").is_none());
}

#[test]
fn diamond() {
    let graph = Graph::build(input(vec![
        m("0001_root", Phase::Expand, &[]),
        m("0002_left", Phase::Expand, &["0001_root"]),
        m("0003_right", Phase::Expand, &["0001_root"]),
        m("0004_join", Phase::Contract, &["0003_right", "0002_left"]),
    ]))
    .expect("acyclic");
    assert_eq!(
        graph.order(),
        ["0001_root", "0002_left", "0003_right", "0004_join"]
    );
    assert_eq!(
        deps(&graph, "0004_join"),
        [
            ("0002_left".to_string(), EdgeKind::Requires),
            ("0003_right".to_string(), EdgeKind::Requires)
        ]
    );
}

#[test]
fn order_keeps_catalog_order_where_free() {
    // 0001 requires 0003: 0003 must move up, everything else stays where it is.
    let graph = Graph::build(input(vec![
        m("0001_a", Phase::Expand, &["0003_c"]),
        m("0002_b", Phase::Expand, &[]),
        m("0003_c", Phase::Expand, &[]),
        m("0004_d", Phase::Expand, &[]),
    ]))
    .expect("acyclic");
    assert_eq!(graph.order(), ["0002_b", "0003_c", "0001_a", "0004_d"]);

    // The same input twice gives the same order.
    let again = Graph::build(input(vec![
        m("0001_a", Phase::Expand, &["0003_c"]),
        m("0002_b", Phase::Expand, &[]),
        m("0003_c", Phase::Expand, &[]),
        m("0004_d", Phase::Expand, &[]),
    ]))
    .expect("acyclic");
    assert_eq!(graph.order(), again.order());

    // Without edges the order is the catalog order.
    let free: Vec<_> = (0..50)
        .map(|i| m(&format!("{i:04}_m"), Phase::Expand, &[]))
        .collect();
    let ids: Vec<String> = free.iter().map(|n| n.id.clone()).collect();
    let graph = Graph::build(input(free)).expect("acyclic");
    assert_eq!(graph.order(), ids);
}

#[test]
fn cycle_shows_the_path() {
    let err = Graph::build(input(vec![
        m("0001_base", Phase::Expand, &[]),
        m("0003_a", Phase::Expand, &["0005_b"]),
        m("0005_b", Phase::Expand, &["0003_a"]),
    ]))
    .expect_err("cycle");
    assert_eq!(
        err.to_string(),
        "dependency cycle: 0003_a → 0005_b → 0003_a"
    );
    let GraphError::Cycle {
        nodes, edges, help, ..
    } = &err
    else {
        panic!("expected a cycle, got {err:?}");
    };
    assert_eq!(nodes, &["0003_a", "0005_b", "0003_a"]);
    assert_eq!(
        edges,
        &[
            ("0003_a".into(), "0005_b".into(), EdgeKind::Requires),
            ("0005_b".into(), "0003_a".into(), EdgeKind::Requires)
        ]
    );
    assert!(help.contains("`0005_b` requires `0003_a`"), "{help}");
    assert!(help.contains("`0003_a` requires `0005_b`"), "{help}");
}

#[test]
fn cycle_through_an_implied_edge() {
    // 0001 creates users; 0002 touches it (implied 0001 → 0002) but 0001 requires 0002.
    let mut create = m("0001_users", Phase::Expand, &["0002_index"]);
    create.creates.push(table("users"));
    let mut index = m("0002_index", Phase::Expand, &[]);
    index.touches.push(column("users", "email"));
    let err = Graph::build(input(vec![create, index])).expect_err("cycle");
    assert_eq!(
        err.to_string(),
        "dependency cycle: 0001_users → 0002_index → 0001_users"
    );
    let GraphError::Cycle { help, .. } = &err else {
        panic!("expected a cycle, got {err:?}");
    };
    assert!(
        help.contains("`0002_index` uses users, which `0001_users` creates"),
        "{help}"
    );
}

#[test]
fn self_requirement_is_a_cycle() {
    let err =
        Graph::build(input(vec![m("0001_a", Phase::Expand, &["0001_a"])])).expect_err("cycle");
    assert_eq!(err.to_string(), "dependency cycle: 0001_a → 0001_a");
}

#[test]
fn missing_dependency_names_both_ids() {
    let err = Graph::build(input(vec![
        m("0001_users", Phase::Expand, &[]),
        m("0002_email", Phase::Expand, &["0001_user"]),
    ]))
    .expect_err("missing");
    assert_eq!(
        err.to_string(),
        "migration `0002_email` requires `0001_user`, which is not a migration in the catalog"
    );
    let GraphError::MissingDependency(missing) = &err else {
        panic!("expected a missing dependency, got {err:?}");
    };
    assert_eq!(missing.owner, "0002_email");
    assert_eq!(missing.missing, "0001_user");
    assert_eq!(missing.closest.as_deref(), Some("0001_users"));
    let help = &missing.help;
    assert!(help.starts_with("did you mean `0001_users`?"), "{help}");

    // A release's `requires` is checked the same way.
    let err = Graph::build(GraphInput {
        migrations: vec![m("0001_users", Phase::Expand, &[])],
        releases: vec![ReleaseNode {
            version: "1.4.0".into(),
            requires: Some("0042_gone".into()),
            reads: vec![],
            retired: false,
        }],
    })
    .expect_err("missing");
    assert_eq!(
        err.to_string(),
        "release `1.4.0` requires `0042_gone`, which is not a migration in the catalog"
    );
}

#[test]
fn duplicate_ids_are_errors() {
    let err = Graph::build(input(vec![
        m("0001_a", Phase::Expand, &[]),
        m("0001_a", Phase::Expand, &[]),
    ]))
    .expect_err("duplicate");
    assert!(matches!(err, GraphError::DuplicateMigration { .. }));
}

#[test]
fn objects_from_linted_ops() {
    let users = sql_node(
        "0001_users",
        "CREATE TABLE users (id bigint PRIMARY KEY, name text);",
    );
    assert_eq!(users.creates, [table("users")]);

    let orders = sql_node(
        "0002_orders",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));",
    );
    assert_eq!(orders.creates, [table("orders")]);
    assert_eq!(orders.touches, [table("users")]);

    let email = sql_node("0003_email", "ALTER TABLE users ADD COLUMN email text;");
    assert_eq!(email.creates, [column("users", "email")]);

    let index = sql_node(
        "0004_index",
        "CREATE INDEX CONCURRENTLY users_email ON users (email);",
    );
    assert_eq!(index.touches, [table("users"), column("users", "email")]);

    let backfill = sql_node(
        "0005_backfill",
        "UPDATE users SET email = name WHERE email IS NULL;",
    );
    assert_eq!(backfill.phase, Phase::Backfill);
    assert_eq!(backfill.touches, [table("users")]);

    let rename = sql_node(
        "0006_rename",
        "ALTER TABLE users RENAME COLUMN name TO full_name;",
    );
    assert_eq!(rename.removes, [column("users", "name")]);
    assert_eq!(rename.creates, [column("users", "full_name")]);

    let drop = sql_node("0007_drop", "ALTER TABLE users DROP COLUMN email;");
    assert_eq!(drop.phase, Phase::Contract);
    assert_eq!(drop.removes, [column("users", "email")]);

    // Created and dropped in one migration: neither.
    let scratch = sql_node(
        "0008_scratch",
        "CREATE TABLE scratch (id int); DROP TABLE scratch;",
    );
    assert!(scratch.creates.is_empty() && scratch.removes.is_empty());

    let graph = Graph::build(input(vec![
        users, orders, email, index, backfill, rename, drop, scratch,
    ]))
    .expect("acyclic");
    assert_eq!(
        deps(&graph, "0002_orders"),
        [("0001_users".into(), EdgeKind::Implied)]
    );
    assert_eq!(
        deps(&graph, "0004_index"),
        [
            ("0001_users".into(), EdgeKind::Implied),
            ("0003_email".into(), EdgeKind::Implied)
        ]
    );
    let drop_deps = graph.dependencies_of("0007_drop").expect("known");
    assert_eq!(drop_deps.len(), 2);
    assert_eq!(drop_deps[1].on.id(), "0003_email");
    assert_eq!(drop_deps[1].object, Some(&column("users", "email")));
    assert!(deps(&graph, "0008_scratch").is_empty());
}

#[test]
fn explicit_requires_wins_over_implied_on_one_pair() {
    let mut a = m("0001_a", Phase::Expand, &[]);
    a.creates.push(table("t"));
    let mut b = m("0002_b", Phase::Expand, &["0001_a"]);
    b.touches.push(table("t"));
    let graph = Graph::build(input(vec![a, b])).expect("acyclic");
    assert_eq!(
        deps(&graph, "0002_b"),
        [("0001_a".into(), EdgeKind::Requires)]
    );
}

#[test]
fn replaces_orders_a_contract_after_its_expand() {
    let mut contract = m("0001_drop_old", Phase::Contract, &[]);
    contract.replaces.push("0002_add_new".into());
    let graph = Graph::build(input(vec![contract, m("0002_add_new", Phase::Expand, &[])]))
        .expect("acyclic");
    assert_eq!(graph.order(), ["0002_add_new", "0001_drop_old"]);
    assert_eq!(
        deps(&graph, "0001_drop_old"),
        [("0002_add_new".into(), EdgeKind::Replaces)]
    );

    let mut contract = m("0002_drop_old", Phase::Contract, &[]);
    contract.replaces.push("0001_add_neww".into());
    let err = Graph::build(input(vec![m("0001_add_new", Phase::Expand, &[]), contract]))
        .expect_err("missing");
    assert_eq!(
        err.to_string(),
        "migration `0002_drop_old` replaces `0001_add_neww`, which is not a migration in the catalog"
    );
}

/// users (0001), email added (0002), email backfilled (0003), email dropped (0004);
/// release 1.0.0 reads users.email and is live, 0.9.0 read it but is retired, 2.0.0 needs
/// the drop.
fn release_catalog() -> GraphInput {
    let users = sql_node(
        "0001_users",
        "CREATE TABLE users (id bigint PRIMARY KEY, name text);",
    );
    let email = sql_node("0002_email", "ALTER TABLE users ADD COLUMN email text;");
    let backfill = sql_node(
        "0003_backfill",
        "UPDATE users SET email = name WHERE email IS NULL;",
    );
    let mut drop = sql_node("0004_drop_email", "ALTER TABLE users DROP COLUMN email;");
    drop.replaces.push("0003_backfill".into());
    GraphInput {
        migrations: vec![users, email, backfill, drop],
        releases: vec![
            ReleaseNode {
                version: "0.9.0".into(),
                requires: Some("0001_users".into()),
                reads: vec![column("users", "email")],
                retired: true,
            },
            ReleaseNode {
                version: "1.0.0".into(),
                requires: Some("0002_email".into()),
                reads: vec![column("users", "id"), column("users", "email")],
                retired: false,
            },
            ReleaseNode {
                version: "2.0.0".into(),
                requires: Some("0004_drop_email".into()),
                reads: vec![column("users", "id")],
                retired: false,
            },
        ],
    }
}

#[test]
fn a_live_release_blocks_a_contract() {
    let graph = Graph::build(release_catalog()).expect("acyclic");
    assert_eq!(
        graph.blockers_of("0004_drop_email"),
        [("1.0.0", &column("users", "email"))]
    );
    assert!(graph.blockers_of("0002_email").is_empty());
    assert_eq!(
        graph.blockers()[0].to_string(),
        "retire release 1.0.0, which reads users.email (0004_drop_email removes users.email)"
    );
    let d = graph.dependencies_of("0004_drop_email").expect("known");
    assert!(d.iter().any(
        |d| matches!(d.on, NodeRef::Release(r) if r.version == "1.0.0")
            && d.kind == EdgeKind::RetireBefore
    ));
    // Every node: release 1.0.0 comes before the drop, 2.0.0 after it.
    let all: Vec<String> = graph
        .nodes_in_order()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        all,
        [
            "0001_users",
            "release 0.9.0",
            "0002_email",
            "release 1.0.0",
            "0003_backfill",
            "0004_drop_email",
            "release 2.0.0"
        ]
    );
}

#[test]
fn dropping_a_table_blocks_readers_of_its_columns() {
    let mut drop = m("0002_drop_users", Phase::Contract, &[]);
    drop.removes.push(table("users"));
    let graph = Graph::build(GraphInput {
        migrations: vec![m("0001_x", Phase::Expand, &[]), drop],
        releases: vec![ReleaseNode {
            version: "3.1.0".into(),
            requires: None,
            reads: vec![column("users", "email"), column("orders", "id")],
            retired: false,
        }],
    })
    .expect("acyclic");
    assert_eq!(
        graph.blockers_of("0002_drop_users"),
        [("3.1.0", &column("users", "email"))]
    );
}

#[test]
fn releases_and_retirements_can_form_a_cycle() {
    let mut catalog = release_catalog();
    catalog.releases[1].requires = Some("0004_drop_email".into());
    catalog.releases[1].reads = vec![column("users", "email")];
    // The release needs the drop: the release was built without the column, so the graph
    // adds no retirement edge (coexistence reports the missing column instead).
    let graph = Graph::build(catalog).expect("no retirement edge against a needed migration");
    assert!(graph.blockers_of("0004_drop_email").is_empty());

    // Two live releases that each need a migration coming after the contract the other
    // must retire before: release 1.0.0 needs 0004, which follows the drop of `b`, which
    // waits for 2.0.0, which needs 0005, which follows the drop of `a`, which waits for
    // 1.0.0.
    let mut users = m("0001_users", Phase::Expand, &[]);
    users.creates.push(table("users"));
    let mut drop_a = m("0002_drop_a", Phase::Contract, &[]);
    drop_a.removes.push(column("users", "a"));
    let mut drop_b = m("0003_drop_b", Phase::Contract, &[]);
    drop_b.removes.push(column("users", "b"));
    let release = |version: &str, requires: &str, reads: &str| ReleaseNode {
        version: version.into(),
        requires: Some(requires.into()),
        reads: vec![column("users", reads)],
        retired: false,
    };
    let err = Graph::build(GraphInput {
        migrations: vec![
            users,
            drop_a,
            drop_b,
            m("0004_m1", Phase::Expand, &["0003_drop_b"]),
            m("0005_m2", Phase::Expand, &["0002_drop_a"]),
        ],
        releases: vec![
            release("1.0.0", "0004_m1", "a"),
            release("2.0.0", "0005_m2", "b"),
        ],
    })
    .expect_err("cycle");
    assert_eq!(
        err.to_string(),
        "dependency cycle: 0002_drop_a → 0005_m2 → release 2.0.0 → 0003_drop_b → 0004_m1 \
         → release 1.0.0 → 0002_drop_a"
    );
    let GraphError::Cycle { help, .. } = &err else {
        panic!("expected a cycle, got {err:?}");
    };
    assert!(
        help.contains("`0002_drop_a` removes users.a, which release 1.0.0 reads"),
        "{help}"
    );
    assert!(help.contains("release 2.0.0 needs `0005_m2`"), "{help}");
}

fn rendering_catalog() -> GraphInput {
    let mut catalog = release_catalog();
    catalog
        .migrations
        .push(m("0005_\"odd\" <id>", Phase::Mixed, &["0004_drop_email"]));
    catalog
}

#[test]
fn dot_snapshot() {
    let graph = Graph::build(rendering_catalog()).expect("acyclic");
    insta::assert_snapshot!("dot", graph.to_dot());
}

#[test]
fn mermaid_snapshot() {
    let graph = Graph::build(rendering_catalog()).expect("acyclic");
    insta::assert_snapshot!("mermaid", graph.to_mermaid());
}

#[test]
fn renderings_are_deterministic() {
    let a = Graph::build(rendering_catalog()).expect("acyclic");
    let b = Graph::build(rendering_catalog()).expect("acyclic");
    assert_eq!(a.to_dot(), b.to_dot());
    assert_eq!(a.to_mermaid(), b.to_mermaid());
}
