//! Releases and coexistence: query inventories and their resolution against schema states.

use bellows::catalog::coexist::{check_query, check_release, star_warnings, Problem, What};
use bellows::catalog::queries::{self, Query};
use bellows::classify::op::Name;
use bellows::config::{GitQueries, QueriesSpec};
use bellows::dialect::Dialect;
use bellows::lint::{lint_source_with, LintSettings};
use bellows::rules::Severity;
use bellows::schema::Schema;
use bellows::source::SourceFile;
use std::path::Path;
use std::process::Command;

const PG: Dialect = Dialect::Postgres;
const MY: Dialect = Dialect::Mysql;

/// Replays migration SQL into a schema model.
fn replay(dialect: Dialect, schema: &mut Schema, sql: &str) {
    lint_source_with(
        SourceFile::new("m.sql", sql),
        &LintSettings::new(dialect),
        schema,
    );
}

fn schema(dialect: Dialect, sql: &str) -> Schema {
    let mut s = Schema::default();
    replay(dialect, &mut s, sql);
    s
}

fn q(text: &str) -> Query {
    Query {
        file: "app/q.sql".into(),
        line: 3,
        text: text.into(),
    }
}

fn n(s: &str) -> Name {
    Name::new(s)
}

fn col(t: &str, c: &str) -> What {
    What::Column(n(t), n(c))
}

fn whats(dialect: Dialect, schema: &Schema, text: &str) -> Vec<What> {
    check_query(&q(text), dialect, schema)
        .into_iter()
        .map(|p| p.what)
        .collect()
}

const USERS_PG: &str = "
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  total numeric(10, 2) NOT NULL DEFAULT 0,
  note text
);
";

const USERS_MY: &str = "
CREATE TABLE users (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(255) NOT NULL,
  name VARCHAR(255) NULL,
  hits INT NOT NULL DEFAULT 0
);
";

fn pg() -> Schema {
    schema(PG, USERS_PG)
}

#[test]
fn clean_queries_have_no_problems() {
    let s = pg();
    for text in [
        "SELECT id, email FROM users WHERE id = $1",
        "SELECT u.id, u.email FROM public.users AS u WHERE u.id = $1",
        "SELECT users.email FROM users",
        "SELECT count(*), max(created_at) FROM users",
        "SELECT 1",
        "SELECT now(), current_date, current_user",
        "SET statement_timeout = '5s'",
        "BEGIN",
        "SELECT relname FROM pg_catalog.pg_class",
        "SELECT * FROM pg_stat_activity WHERE datname = current_database()",
    ] {
        assert_eq!(whats(PG, &s, text), vec![], "{text}");
    }
}

#[test]
fn missing_table_and_column() {
    let s = pg();
    assert_eq!(
        whats(PG, &s, "SELECT id FROM accounts"),
        vec![What::Table(n("accounts"))]
    );
    assert_eq!(
        whats(PG, &s, "SELECT id, phone FROM users"),
        vec![col("users", "phone")]
    );
    let p = &check_query(&q("SELECT phone FROM users"), PG, &s)[0];
    assert_eq!(p.severity, Severity::Error);
    assert_eq!((p.file.as_str(), p.line), ("app/q.sql", 3));
    assert!(p.message.contains("users.phone"), "{}", p.message);
}

#[test]
fn aliases_and_joins() {
    let s = pg();
    let text = "SELECT o.id, o.total, u.email FROM orders o JOIN users u ON u.id = o.user_id \
                LEFT JOIN orders o2 ON o2.user_id = u.id WHERE o.note IS NOT NULL";
    assert_eq!(whats(PG, &s, text), vec![]);
    assert_eq!(
        whats(
            PG,
            &s,
            "SELECT o.email FROM orders o JOIN users u ON u.id = o.user_id"
        ),
        vec![col("orders", "email")]
    );
    // Unqualified: missing only if no table in scope has it.
    assert_eq!(
        whats(
            PG,
            &s,
            "SELECT email, total FROM orders JOIN users ON users.id = orders.user_id"
        ),
        vec![]
    );
    let w = whats(
        PG,
        &s,
        "SELECT phone FROM orders JOIN users ON users.id = orders.user_id",
    );
    assert_eq!(w, vec![col("orders", "phone")]);
    assert_eq!(
        whats(PG, &s, "SELECT * FROM orders JOIN users USING (id)"),
        vec![]
    );
    assert_eq!(
        whats(PG, &s, "SELECT * FROM orders JOIN users USING (user_id)"),
        vec![col("users", "user_id")]
    );
}

#[test]
fn ctes_and_subqueries() {
    let s = pg();
    let text = "WITH recent AS (SELECT id, email AS address FROM users WHERE created_at > now() - interval '1 day') \
                SELECT r.address FROM recent r WHERE r.id IN (SELECT user_id FROM orders WHERE total > $1)";
    assert_eq!(whats(PG, &s, text), vec![]);
    // CTE names are not tables; CTE columns come from its select list.
    assert_eq!(
        whats(
            PG,
            &s,
            "WITH recent AS (SELECT id FROM users) SELECT r.email FROM recent r"
        ),
        vec![]
    );
    assert_eq!(
        whats(
            PG,
            &s,
            "WITH recent AS (SELECT id, phone FROM users) SELECT id FROM recent"
        ),
        vec![col("users", "phone")]
    );
    // Derived tables and correlated subqueries.
    let text = "SELECT d.n, (SELECT max(o.total) FROM orders o WHERE o.user_id = d.id) \
                FROM (SELECT id, name AS n FROM users) AS d";
    assert_eq!(whats(PG, &s, text), vec![]);
    assert_eq!(
        whats(PG, &s, "SELECT id FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.shipped)"),
        vec![col("orders", "shipped")]
    );
    // Recursive CTE.
    let text = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10) SELECT n FROM t";
    assert_eq!(whats(PG, &s, text), vec![]);
    // LATERAL sees the earlier FROM items.
    let text = "SELECT u.id, l.total FROM users u, LATERAL (SELECT total FROM orders o WHERE o.user_id = u.id LIMIT 1) l";
    assert_eq!(whats(PG, &s, text), vec![]);
}

#[test]
fn select_aliases_in_order_group_having() {
    let s = pg();
    let text = "SELECT user_id AS uid, sum(total) AS spent FROM orders \
                GROUP BY uid HAVING sum(total) > 0 ORDER BY spent DESC";
    assert_eq!(whats(PG, &s, text), vec![]);
    assert_eq!(
        whats(PG, &s, "SELECT id FROM users ORDER BY age"),
        vec![col("users", "age")]
    );
    // An alias is not usable in WHERE.
    assert_eq!(
        whats(PG, &s, "SELECT email AS e FROM users WHERE e = $1"),
        vec![col("users", "e")]
    );
    // UNION: ORDER BY names the output columns.
    assert_eq!(
        whats(
            PG,
            &s,
            "SELECT id FROM users UNION SELECT user_id FROM orders ORDER BY id"
        ),
        vec![]
    );
}

#[test]
fn insert_update_delete_returning() {
    let s = pg();
    assert_eq!(
        whats(
            PG,
            &s,
            "INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id, created_at"
        ),
        vec![]
    );
    assert_eq!(
        whats(
            PG,
            &s,
            "INSERT INTO users (email) VALUES ($1) RETURNING id, phone"
        ),
        vec![col("users", "phone")]
    );
    assert_eq!(
        whats(PG, &s, "INSERT INTO users (email, phone) VALUES ($1, $2)"),
        vec![col("users", "phone")]
    );
    assert_eq!(
        whats(
            PG,
            &s,
            "UPDATE users SET name = $2 WHERE id = $1 RETURNING email"
        ),
        vec![]
    );
    assert_eq!(
        whats(PG, &s, "UPDATE users SET phone = $2 WHERE id = $1"),
        vec![col("users", "phone")]
    );
    assert_eq!(
        whats(PG, &s, "UPDATE orders o SET total = o.total + 1 FROM users u WHERE u.id = o.user_id AND u.email = $1"),
        vec![]
    );
    assert_eq!(
        whats(
            PG,
            &s,
            "DELETE FROM orders o USING users u WHERE u.id = o.user_id AND u.banned"
        ),
        vec![col("users", "banned")]
    );
    assert_eq!(
        whats(PG, &s, "DELETE FROM sessions WHERE id = $1"),
        vec![What::Table(n("sessions"))]
    );
    assert_eq!(
        whats(
            PG,
            &s,
            "INSERT INTO users (email) SELECT email FROM users_import"
        ),
        vec![What::Table(n("users_import"))]
    );
}

#[test]
fn on_conflict_excluded() {
    let s = pg();
    let text = "INSERT INTO users (email, name) VALUES ($1, $2) \
                ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name WHERE users.name IS NULL RETURNING id";
    assert_eq!(whats(PG, &s, text), vec![]);
    let text = "INSERT INTO users (email) VALUES ($1) ON CONFLICT (email) DO UPDATE SET name = excluded.nick";
    assert_eq!(whats(PG, &s, text), vec![col("users", "nick")]);
    let text = "INSERT INTO users (email) VALUES ($1) ON CONFLICT (login) DO NOTHING";
    assert_eq!(whats(PG, &s, text), vec![col("users", "login")]);
}

#[test]
fn mysql_backticks_placeholders_and_on_duplicate_key() {
    let s = schema(MY, USERS_MY);
    assert_eq!(
        whats(MY, &s, "SELECT `id`, `Email` FROM `Users` WHERE `id` = ?"),
        vec![]
    );
    assert_eq!(
        whats(MY, &s, "SELECT `phone` FROM `users` WHERE id = ?"),
        vec![col("users", "phone")]
    );
    let text = "INSERT INTO users (email, name) VALUES (?, ?) \
                ON DUPLICATE KEY UPDATE name = VALUES(name), hits = hits + 1";
    assert_eq!(whats(MY, &s, text), vec![]);
    let text = "INSERT INTO users (email, name) VALUES (?, ?) AS new \
                ON DUPLICATE KEY UPDATE name = new.name, hits = users.hits + 1";
    assert_eq!(whats(MY, &s, text), vec![]);
    let text = "INSERT INTO users (email) VALUES (?) ON DUPLICATE KEY UPDATE nick = VALUES(nick)";
    assert_eq!(whats(MY, &s, text), vec![col("users", "nick")]);
    assert_eq!(
        whats(
            MY,
            &s,
            "UPDATE users u JOIN users v ON v.id = u.id SET u.hits = v.hits + 1 WHERE u.id = ?"
        ),
        vec![]
    );
    assert_eq!(whats(MY, &s, "SELECT 1 FROM DUAL"), vec![]);
}

#[test]
fn dropped_column_breaks_the_old_release() {
    let mut s = pg();
    let text = "SELECT id, name FROM users WHERE id = $1";
    assert_eq!(whats(PG, &s, text), vec![]);
    replay(PG, &mut s, "ALTER TABLE users DROP COLUMN name;");
    assert_eq!(whats(PG, &s, text), vec![col("users", "name")]);
}

#[test]
fn rename_column_old_name_is_missing() {
    let mut s = pg();
    let old = "SELECT email FROM users WHERE id = $1";
    let new = "SELECT email_address FROM users WHERE id = $1";
    assert_eq!(whats(PG, &s, new), vec![col("users", "email_address")]);
    replay(
        PG,
        &mut s,
        "ALTER TABLE users RENAME COLUMN email TO email_address;",
    );
    assert_eq!(whats(PG, &s, old), vec![col("users", "email")]);
    assert_eq!(whats(PG, &s, new), vec![]);
    replay(PG, &mut s, "ALTER TABLE users RENAME TO accounts;");
    assert_eq!(whats(PG, &s, new), vec![What::Table(n("users"))]);
}

#[test]
fn not_null_column_without_default_breaks_inserts_that_omit_it() {
    let mut s = pg();
    let insert = "INSERT INTO users (email) VALUES ($1)";
    assert_eq!(whats(PG, &s, insert), vec![]);
    replay(
        PG,
        &mut s,
        "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;",
    );
    assert_eq!(
        whats(PG, &s, insert),
        vec![What::RequiredColumn(n("users"), n("tenant_id"))]
    );
    // With a default the old INSERT still works.
    let mut s2 = pg();
    replay(
        PG,
        &mut s2,
        "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 1;",
    );
    assert_eq!(whats(PG, &s2, insert), vec![]);
    // INSERT … DEFAULT VALUES supplies nothing.
    assert_eq!(
        whats(PG, &pg(), "INSERT INTO users DEFAULT VALUES"),
        vec![What::RequiredColumn(n("users"), n("email"))]
    );
    // A column-less INSERT with too few values leaves the new column out.
    assert_eq!(
        whats(PG, &s, "INSERT INTO users VALUES (DEFAULT, $1, $2, now())"),
        vec![What::RequiredColumn(n("users"), n("tenant_id"))]
    );
}

#[test]
fn star_and_column_less_insert_across_a_change_warn() {
    let before = pg();
    let mut after = before.clone();
    replay(PG, &mut after, "ALTER TABLE users ADD COLUMN phone text;");
    let star = q("SELECT * FROM users WHERE id = $1");
    let w = star_warnings(&star, PG, &before, &after);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].severity, Severity::Warning);
    assert_eq!(w[0].what, What::Star(n("users")));
    assert!(w[0].message.contains("phone"), "{}", w[0].message);
    // t.* too; orders did not change.
    let w = star_warnings(
        &q("SELECT u.*, o.* FROM users u JOIN orders o ON o.user_id = u.id"),
        PG,
        &before,
        &after,
    );
    assert_eq!(
        w.iter().map(|p| &p.what).collect::<Vec<_>>(),
        vec![&What::Star(n("users"))]
    );
    assert!(star_warnings(&q("SELECT * FROM orders"), PG, &before, &after).is_empty());
    // count(*) and EXISTS (SELECT * …) are not affected.
    assert!(star_warnings(
        &q("SELECT count(*) FROM users WHERE EXISTS (SELECT * FROM users)"),
        PG,
        &before,
        &after
    )
    .is_empty());
    let w = star_warnings(
        &q("INSERT INTO users VALUES (DEFAULT, $1, $2, now())"),
        PG,
        &before,
        &after,
    );
    assert_eq!(w.len(), 1);
    assert!(w[0].message.contains("column list"), "{}", w[0].message);
    // check_release combines both.
    let all = check_release(
        &[star, q("SELECT phone FROM users")],
        PG,
        &before,
        Some(&after),
    );
    assert_eq!(
        all.iter().map(|p| p.what.clone()).collect::<Vec<_>>(),
        vec![What::Star(n("users")), col("users", "phone")]
    );
}

#[test]
fn unknown_columns_and_unparseable_queries() {
    let s = schema(PG, "CREATE TABLE copy AS SELECT 1 AS x;\n");
    assert_eq!(whats(PG, &s, "SELECT anything FROM copy"), vec![]);
    let problems: Vec<Problem> = check_query(&q("SELEC id FROM users"), PG, &pg());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].what, What::Syntax);
    assert_eq!(problems[0].severity, Severity::Error);
    assert!(problems[0].message.contains("cannot parse"));
}

#[test]
fn merge_targets() {
    let s = pg();
    let text = "MERGE INTO users u USING (SELECT $1::text AS email) s ON u.email = s.email \
                WHEN MATCHED THEN UPDATE SET name = 'x' \
                WHEN NOT MATCHED THEN INSERT (email) VALUES (s.email)";
    assert_eq!(whats(PG, &s, text), vec![]);
    let text = "MERGE INTO users u USING (SELECT $1::text AS email) s ON u.email = s.email \
                WHEN MATCHED THEN UPDATE SET nick = 'x'";
    assert_eq!(whats(PG, &s, text), vec![col("users", "nick")]);
}

// ---- loaders ----

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/releases"))
}

#[test]
fn loads_a_directory_of_sql_files() {
    let spec = QueriesSpec::Path("plain".into());
    let qs = queries::load(&spec, fixtures(), PG).unwrap();
    let at: Vec<(String, usize)> = qs.iter().map(|q| (q.file.clone(), q.line)).collect();
    assert_eq!(
        at,
        vec![
            ("plain/orders.sql".to_owned(), 1),
            ("plain/users/read.sql".to_owned(), 2),
            ("plain/users/read.sql".to_owned(), 6),
            ("plain/users/write.sql".to_owned(), 1),
            ("plain/users/write.sql".to_owned(), 5),
        ]
    );
    assert!(qs[0].text.starts_with("SELECT o.id"));
    assert!(check_release(&qs, PG, &pg(), None).is_empty());
}

#[test]
fn loads_an_sqlx_offline_directory() {
    for path in ["sqlx", "sqlx/.sqlx"] {
        let qs = queries::load(&QueriesSpec::Path(path.into()), fixtures(), PG).unwrap();
        assert_eq!(qs.len(), 2, "{path}");
        assert!(qs[0].file.contains(".sqlx/query-1f0e"), "{}", qs[0].file);
        assert_eq!(qs[0].line, 1);
        assert_eq!(qs[0].text, "SELECT id, email FROM users WHERE id = $1");
        assert!(qs[1].text.contains("EXCLUDED.created_at"));
    }
    let qs = queries::load(&QueriesSpec::Path("sqlx".into()), fixtures(), PG).unwrap();
    let mut s = pg();
    assert!(check_release(&qs, PG, &s, None).is_empty());
    replay(PG, &mut s, "ALTER TABLE users DROP COLUMN email;");
    let problems = check_release(&qs, PG, &s, None);
    assert!(problems.iter().all(|p| p.what == col("users", "email")));
    assert_eq!(problems.len(), 2);
}

#[test]
fn a_missing_directory_is_an_error() {
    let err = queries::load(&QueriesSpec::Path("nope".into()), fixtures(), PG).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn loads_queries_at_a_git_revision() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q"]);
    std::fs::create_dir_all(dir.join("app/queries/users")).unwrap();
    std::fs::write(
        dir.join("app/queries/users/read.sql"),
        "SELECT id, name FROM users WHERE id = $1;\n\nSELECT email FROM users;\n",
    )
    .unwrap();
    std::fs::write(dir.join("app/queries/notes.txt"), "not sql").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "1.4.0"]);
    git(dir, &["tag", "v1.4.0"]);
    // Later the file changes; the tag still has the old queries.
    std::fs::write(
        dir.join("app/queries/users/read.sql"),
        "SELECT id FROM users;\n",
    )
    .unwrap();
    git(dir, &["commit", "-q", "-am", "1.5.0"]);

    let spec = QueriesSpec::Git(GitQueries {
        git: "v1.4.0".into(),
        path: "app/queries".into(),
    });
    let qs = queries::load(&spec, dir, PG).unwrap();
    assert_eq!(qs.len(), 2);
    assert_eq!(qs[0].file, "v1.4.0:app/queries/users/read.sql");
    assert_eq!((qs[0].line, qs[1].line), (1, 3));
    assert_eq!(qs[1].text, "SELECT email FROM users");

    // The release reads users.name, so dropping it breaks 1.4.0.
    let mut s = pg();
    replay(PG, &mut s, "ALTER TABLE users DROP COLUMN name;");
    let problems = check_release(&qs, PG, &s, None);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].file, "v1.4.0:app/queries/users/read.sql");
    assert_eq!(problems[0].what, col("users", "name"));

    // Paths are relative to the configuration file's directory, inside the repository.
    let sub = QueriesSpec::Git(GitQueries {
        git: "v1.4.0".into(),
        path: "queries/users".into(),
    });
    let qs = queries::load(&sub, &dir.join("app"), PG).unwrap();
    assert_eq!(qs[0].file, "v1.4.0:app/queries/users/read.sql");

    // Errors name the revision and the path.
    let bad = QueriesSpec::Git(GitQueries {
        git: "v9.9.9".into(),
        path: "app/queries".into(),
    });
    let err = queries::load(&bad, dir, PG).unwrap_err().to_string();
    assert!(
        err.contains("v9.9.9") && err.contains("app/queries"),
        "{err}"
    );
    let empty = QueriesSpec::Git(GitQueries {
        git: "v1.4.0".into(),
        path: "nowhere".into(),
    });
    let err = queries::load(&empty, dir, PG).unwrap_err().to_string();
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn everyday_queries_have_no_false_positives() {
    let s = pg();
    for text in [
        "SELECT EXTRACT(epoch FROM created_at) FROM users",
        "SELECT id FROM users WHERE email ILIKE $1 || '%' AND name IS DISTINCT FROM $2",
        "SELECT u.id, array_agg(o.id ORDER BY o.id) FILTER (WHERE o.total > 0) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id",
        "SELECT DISTINCT ON (user_id) user_id, total FROM orders ORDER BY user_id, id DESC",
        "SELECT id FROM users WHERE id = $1 FOR UPDATE SKIP LOCKED",
        "SELECT jsonb_build_object('id', id, 'email', email) FROM users",
        "SELECT coalesce(name, email)::text AS label FROM users ORDER BY label",
        "SELECT CASE WHEN total > 100 THEN 'big' ELSE 'small' END AS size, row_number() OVER (PARTITION BY user_id ORDER BY total) FROM orders",
        "INSERT INTO orders (user_id) SELECT id FROM users WHERE email = $1",
        "WITH ins AS (INSERT INTO users (email) VALUES ($1) RETURNING id) SELECT id FROM ins",
        "SELECT g.n, u.id FROM generate_series(1, 3) AS g(n) CROSS JOIN users u",
        "SELECT id FROM users WHERE id = ANY($1::bigint[])",
        "SELECT t.id FROM (VALUES (1), (2)) AS t(id) JOIN users u ON u.id = t.id",
        "SELECT id FROM users WHERE created_at > now() - interval '1 day'; SELECT 1",
    ] {
        assert_eq!(whats(PG, &s, text), vec![], "{text}");
    }
}

#[test]
fn quoted_names_are_exact_on_postgres() {
    let s = schema(
        PG,
        "CREATE TABLE \"Users\" (\"Id\" bigint PRIMARY KEY, email text);\n",
    );
    assert_eq!(whats(PG, &s, "SELECT \"Id\", email FROM \"Users\""), vec![]);
    assert_eq!(
        whats(PG, &s, "SELECT id FROM users"),
        vec![What::Table(n("users"))]
    );
    assert_eq!(
        whats(PG, &s, "SELECT id FROM \"Users\""),
        vec![col("Users", "id")]
    );
}

#[test]
fn prepared_queries_name_their_tables() {
    let text = "WITH recent AS (SELECT id FROM users) \
                SELECT r.id, o.total FROM recent r JOIN public.orders o ON o.user_id = r.id";
    let p = bellows::catalog::coexist::prepare(&q(text), PG);
    assert!(p.parsed());
    assert_eq!(p.tables(), &[n("orders"), n("users")]);
    let s = pg();
    assert!(p.check(&s).is_empty());
    let mut after = s.clone();
    replay(PG, &mut after, "ALTER TABLE orders DROP COLUMN total;");
    assert_eq!(
        p.check(&after)
            .into_iter()
            .map(|p| p.what)
            .collect::<Vec<_>>(),
        vec![col("orders", "total")]
    );
    let bad = bellows::catalog::coexist::prepare(&q("SELECT FROM WHERE"), PG);
    assert!(!bad.parsed());
    assert!(bad.tables().is_empty());
    assert_eq!(bad.check(&s)[0].what, What::Syntax);
}

#[test]
fn never_panics_on_the_rule_fixtures() {
    // Every migration the rule fixtures hold, read as if it were a release's queries.
    for dialect in [PG, MY] {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/rules"));
        let qs = queries::load_path(root, "fixtures/rules", dialect).unwrap();
        assert!(qs.len() > 100);
        let before = pg();
        let mut after = before.clone();
        replay(PG, &mut after, "ALTER TABLE users ADD COLUMN phone text;");
        let _ = check_release(&qs, dialect, &after, Some(&before));
    }
}

#[test]
fn a_release_across_many_states() {
    use bellows::catalog::coexist::{check_states, prepare};
    let s0 = pg();
    let mut s1 = s0.clone();
    replay(PG, &mut s1, "ALTER TABLE users ADD COLUMN phone text;");
    let mut s2 = s1.clone();
    replay(PG, &mut s2, "CREATE TABLE audit (id bigint);");
    let mut s3 = s2.clone();
    replay(PG, &mut s3, "ALTER TABLE users DROP COLUMN name;");
    let qs = [
        q("SELECT * FROM users"),
        q("SELECT name FROM users"),
        q("SELECT total FROM orders"),
        q("SELECT x FROM"),
    ];
    let prepared: Vec<_> = qs.iter().map(|x| prepare(x, PG)).collect();
    let states = [&s0, &s1, &s2, &s3];
    let got = check_states(&prepared, &states);
    let whats: Vec<Vec<What>> = got
        .iter()
        .map(|ps| ps.iter().map(|p| p.what.clone()).collect())
        .collect();
    assert_eq!(
        whats,
        vec![
            vec![What::Syntax],
            vec![What::Syntax, What::Star(n("users"))],
            vec![What::Syntax],
            vec![col("users", "name"), What::Syntax, What::Star(n("users"))],
        ]
    );
    // The same as checking each state on its own.
    for (k, state) in states.iter().enumerate() {
        let before = k.checked_sub(1).map(|j| states[j]);
        let mut one: Vec<What> = check_release(&qs, PG, state, before)
            .into_iter()
            .map(|p| p.what)
            .collect();
        let mut many = whats[k].clone();
        one.sort();
        many.sort();
        assert_eq!(one, many, "state {k}");
    }
}

#[test]
fn problems_display_with_their_location() {
    let p = &check_query(&q("SELECT phone FROM users"), PG, &pg())[0];
    assert_eq!(
        p.to_string(),
        "app/q.sql:3: error: column `users.phone` does not exist"
    );
}
