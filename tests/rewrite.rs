//! `bellows rewrite` end to end, on the real servers: a breaking migration is rewritten in
//! a temporary catalog, the result lints clean, every down script is proven by `migrate
//! verify`, the expand and backfill run on a scratch database holding rows, an old release
//! (old shape only) and a new release (new shape only) both write and see the other
//! column follow, the contract runs, and every row is checked.

mod common;

use common::db::{env_or, Engine, Scratch};
use common::output::{flat_stderr, ok, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Project {
    dir: tempfile::TempDir,
    engine: Engine,
}

impl Project {
    /// A catalog with `bellows.toml` for the engine and the given migrations (id, up).
    /// Each migration gets a down script that undoes a CREATE TABLE when it is one.
    fn new(engine: Engine, migrations: &[(&str, &str)], extra_toml: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let dialect = match engine {
            Engine::Postgres => "dialect = \"postgres\"\nengine_version = \"15\"\n",
            Engine::Mariadb => "dialect = \"mariadb\"\nengine_version = \"10.11\"\n",
        };
        std::fs::write(
            dir.path().join("bellows.toml"),
            format!("{dialect}{extra_toml}"),
        )
        .unwrap();
        for (id, up) in migrations {
            let m = dir.path().join("migrations").join(id);
            std::fs::create_dir_all(&m).unwrap();
            std::fs::write(m.join("up.sql"), up).unwrap();
            let tables: Vec<&str> = up
                .split("CREATE TABLE ")
                .skip(1)
                .filter_map(|s| s.split_whitespace().next())
                .collect();
            if !tables.is_empty() {
                let down: String = tables
                    .iter()
                    .rev()
                    .map(|t| format!("DROP TABLE {t};\n"))
                    .collect();
                std::fs::write(m.join("down.sql"), down).unwrap();
            }
        }
        Project { dir, engine }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn bellows(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bellows"))
            .args(args)
            .current_dir(self.path())
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    }

    /// The migration ids on disk, in order.
    fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.path().join("migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids
    }

    fn file(&self, id: &str, name: &str) -> String {
        std::fs::read_to_string(self.path().join("migrations").join(id).join(name))
            .unwrap_or_default()
    }

    /// The server URL `migrate verify` makes its scratch databases on.
    fn server(&self) -> String {
        match self.engine {
            Engine::Postgres => format!(
                "postgres://{}@{}:{}/postgres",
                env_or("PGUSER", "postgres"),
                env_or("PGHOST", "127.0.0.1"),
                env_or("PGPORT", "5432")
            ),
            Engine::Mariadb => format!(
                "mysql://root@{}:{}/test",
                env_or("MYSQL_HOST", "127.0.0.1"),
                env_or("MYSQL_PORT", "3306")
            ),
        }
    }

    /// Rewrites, lints the result (no error), proves every down script.
    fn rewrite_lint_verify(&self, args: &[&str]) -> Output {
        let mut all = vec!["rewrite"];
        all.extend_from_slice(args);
        let out = self.bellows(&all);
        ok(&out);
        let lint = self.bellows(&["lint", "migrations"]);
        ok(&lint);
        assert!(
            String::from_utf8_lossy(&lint.stdout).contains(" 0 errors"),
            "{}",
            text(&lint)
        );
        let server = self.server();
        let verify = self.bellows(&["migrate", "verify", "--scratch-url", &server, "--no-write"]);
        ok(&verify);
        let shown = String::from_utf8_lossy(&verify.stdout);
        assert!(
            !shown.contains("refuted") || shown.contains("0 refuted"),
            "{}",
            text(&verify)
        );
        out
    }

    fn apply_to(&self, db: &Scratch, to: &str) {
        let url = db.url();
        let out = self.bellows(&[
            "migrate",
            "apply",
            "--allow-unproven",
            "--database-url",
            &url,
            "--to",
            to,
        ]);
        ok(&out);
    }
}

fn id_with(p: &Project, part: &str) -> String {
    p.ids()
        .into_iter()
        .find(|i| i.contains(part))
        .unwrap_or_else(|| panic!("no migration named like {part}: {:?}", p.ids()))
}

// ---------------------------------------------------------------- rename column

fn rename_column(engine: Engine) {
    let create = match engine {
        Engine::Postgres => {
            "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL);\n"
        }
        Engine::Mariadb => {
            "CREATE TABLE users (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL);\n"
        }
    };
    let rename = match engine {
        Engine::Postgres => "ALTER TABLE users RENAME COLUMN email TO email_address;\n",
        Engine::Mariadb => "ALTER TABLE users CHANGE email email_address VARCHAR(255) NOT NULL;\n",
    };
    let p = Project::new(
        engine,
        &[("0001_create_users", create), ("0002_rename_email", rename)],
        "",
    );
    let out = p.rewrite_lint_verify(&["0002"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("expand") && said.contains("contract"),
        "{said}"
    );
    assert_eq!(
        p.ids(),
        [
            "0001_create_users",
            "0002_add_users_email_address",
            "0003_backfill_users_email_address",
            "0004_drop_users_email"
        ]
    );
    let toml = p.file("0003_backfill_users_email_address", "migration.toml");
    assert!(
        toml.contains("[backfill]") && toml.contains("key = \"id\""),
        "{toml}"
    );
    // Without --batch-size the backfill paces itself: no batch_size, no pause_ms.
    assert!(
        !toml.contains("batch_size") && !toml.contains("pause_ms"),
        "{toml}"
    );
    let contract = p.file("0004_drop_users_email", "migration.toml");
    assert!(
        contract.contains("requires = [\"0003_backfill_users_email_address\"]"),
        "{contract}"
    );

    let db = Scratch::new(engine);
    p.apply_to(&db, "0001_create_users");
    db.sql("INSERT INTO users (email) SELECT concat('u', n, '@x') FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) AS s");
    p.apply_to(&db, "0003_backfill_users_email_address");
    assert_eq!(
        db.sql("SELECT count(*) FROM users WHERE email_address IS NULL OR email_address <> email"),
        "0"
    );
    // The old release writes only `email`; the new one only `email_address`.
    db.sql("INSERT INTO users (email) VALUES ('old@x')");
    db.sql("UPDATE users SET email = 'u1-old@x' WHERE id = 1");
    db.sql("INSERT INTO users (email_address) VALUES ('new@x')");
    db.sql("UPDATE users SET email_address = 'u2-new@x' WHERE id = 2");
    assert_eq!(
        db.sql("SELECT email_address FROM users WHERE email = 'old@x'"),
        "old@x"
    );
    assert_eq!(
        db.sql("SELECT email_address FROM users WHERE id = 1"),
        "u1-old@x"
    );
    assert_eq!(
        db.sql("SELECT email FROM users WHERE email_address = 'new@x'"),
        "new@x"
    );
    assert_eq!(db.sql("SELECT email FROM users WHERE id = 2"), "u2-new@x");
    p.apply_to(&db, "0004_drop_users_email");
    assert_eq!(db.sql("SELECT count(*) FROM users"), "7");
    assert_eq!(
        db.sql("SELECT count(*) FROM users WHERE email_address IS NULL"),
        "0"
    );
    assert_eq!(
        db.sql("SELECT email_address FROM users WHERE id = 3"),
        "u3@x"
    );
    // NOT NULL came back on the new column, and the old one is gone.
    let rejected =
        std::panic::catch_unwind(|| db.sql("INSERT INTO users (email_address) VALUES (NULL)"));
    assert!(
        rejected.is_err(),
        "email_address accepts NULL after the contract"
    );
    let columns = match engine {
        Engine::Postgres => db.sql("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'users'"),
        Engine::Mariadb => db.sql(&format!("SELECT group_concat(column_name ORDER BY column_name) FROM information_schema.columns WHERE table_schema = '{}' AND table_name = 'users'", db.name)),
    };
    assert_eq!(columns, "email_address,id");
}

#[test]
fn rename_column_postgres() {
    rename_column(Engine::Postgres);
}

#[test]
fn rename_column_mariadb() {
    rename_column(Engine::Mariadb);
}

// ---------------------------------------------------------------- change column type

fn change_type(engine: Engine) {
    let create = match engine {
        Engine::Postgres => {
            "CREATE TABLE orders (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, qty integer NOT NULL, code text);\n"
        }
        Engine::Mariadb => {
            "CREATE TABLE orders (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, qty INT NOT NULL, code VARCHAR(20));\n"
        }
    };
    let widen = match engine {
        Engine::Postgres => "ALTER TABLE orders ALTER COLUMN qty TYPE bigint;\n",
        Engine::Mariadb => "ALTER TABLE orders MODIFY qty BIGINT NOT NULL;\n",
    };
    let p = Project::new(
        engine,
        &[("0001_create_orders", create), ("0002_widen_qty", widen)],
        "",
    );
    p.rewrite_lint_verify(&["0002", "--new-column", "quantity"]);
    let backfill = id_with(&p, "backfill");
    let contract = id_with(&p, "drop_orders_qty");
    let db = Scratch::new(engine);
    p.apply_to(&db, "0001_create_orders");
    db.sql("INSERT INTO orders (qty, code) VALUES (1, '10'), (2, '20'), (3, ' 30 ')");
    p.apply_to(&db, &backfill);
    assert_eq!(db.sql("SELECT sum(quantity) FROM orders"), "6");
    db.sql("INSERT INTO orders (qty) VALUES (7)");
    db.sql("INSERT INTO orders (quantity) VALUES (3000)");
    db.sql("UPDATE orders SET quantity = 20 WHERE qty = 2");
    assert_eq!(db.sql("SELECT quantity FROM orders WHERE qty = 7"), "7");
    assert_eq!(
        db.sql("SELECT qty FROM orders WHERE quantity = 3000"),
        "3000"
    );
    assert_eq!(db.sql("SELECT qty FROM orders WHERE quantity = 20"), "20");
    p.apply_to(&db, &contract);
    assert_eq!(
        db.sql("SELECT count(*) FROM orders WHERE quantity IS NULL"),
        "0"
    );
    assert_eq!(db.sql("SELECT sum(quantity) FROM orders"), "3031");
    // Past the old type's range once the old column is gone.
    db.sql("INSERT INTO orders (quantity) VALUES (3000000000)");
}

#[test]
fn change_type_with_using_postgres() {
    let p = Project::new(
        Engine::Postgres,
        &[
            (
                "0001_create_orders",
                "CREATE TABLE orders (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, code text);\n",
            ),
            (
                "0002_code_integer",
                "ALTER TABLE orders ALTER COLUMN code TYPE integer USING code::integer;\n",
            ),
        ],
        "",
    );
    // text → integer can fail for existing values: refused without --using.
    let refused = p.bellows(&["rewrite", "0002"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        flat_stderr(&refused).contains("can fail for existing values"),
        "{}",
        text(&refused)
    );
    assert!(p.ids().contains(&"0002_code_integer".to_owned()));
    p.rewrite_lint_verify(&[
        "0002",
        "--using",
        "NULLIF(trim(code), '')::integer",
        "--new-column",
        "code_number",
    ]);
    let db = Scratch::new(Engine::Postgres);
    p.apply_to(&db, "0001_create_orders");
    db.sql("INSERT INTO orders (code) VALUES ('10'), (' 20 '), (''), (NULL)");
    p.apply_to(&db, &id_with(&p, "backfill"));
    assert_eq!(db.sql("SELECT sum(code_number) FROM orders"), "30");
    db.sql("INSERT INTO orders (code) VALUES ('5')");
    db.sql("INSERT INTO orders (code_number) VALUES (6)");
    assert_eq!(
        db.sql("SELECT code_number FROM orders WHERE code = '5'"),
        "5"
    );
    assert_eq!(db.sql("SELECT code FROM orders WHERE code_number = 6"), "6");
    p.apply_to(&db, &id_with(&p, "drop_orders_code"));
    assert_eq!(db.sql("SELECT sum(code_number) FROM orders"), "41");
}

#[test]
fn widen_type_postgres() {
    change_type(Engine::Postgres);
}

#[test]
fn widen_type_mariadb() {
    change_type(Engine::Mariadb);
}

// ---------------------------------------------------------------- rename table

fn rename_table(engine: Engine) {
    let create = match engine {
        Engine::Postgres => {
            "CREATE TABLE clients (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL);\n"
        }
        Engine::Mariadb => {
            "CREATE TABLE clients (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n"
        }
    };
    let rename = match engine {
        Engine::Postgres => "ALTER TABLE clients RENAME TO customers;\n",
        Engine::Mariadb => "RENAME TABLE clients TO customers;\n",
    };
    let p = Project::new(
        engine,
        &[
            ("0001_create_clients", create),
            ("0002_rename_clients", rename),
        ],
        "",
    );
    p.rewrite_lint_verify(&["0002"]);
    let expand = id_with(&p, "rename_clients_to_customers");
    let contract = id_with(&p, "drop_clients_view");
    let db = Scratch::new(engine);
    p.apply_to(&db, "0001_create_clients");
    db.sql("INSERT INTO clients (name) VALUES ('a'), ('b')");
    p.apply_to(&db, &expand);
    // The old release writes through the view, the new one the table.
    db.sql("INSERT INTO clients (name) VALUES ('old')");
    db.sql("UPDATE clients SET name = 'a2' WHERE name = 'a'");
    db.sql("INSERT INTO customers (name) VALUES ('new')");
    assert_eq!(db.sql("SELECT count(*) FROM customers"), "4");
    assert_eq!(
        db.sql("SELECT count(*) FROM clients WHERE name IN ('a2', 'new')"),
        "2"
    );
    p.apply_to(&db, &contract);
    assert_eq!(db.sql("SELECT count(*) FROM customers"), "4");
    let gone = std::panic::catch_unwind(|| db.sql("SELECT count(*) FROM clients"));
    assert!(
        gone.is_err(),
        "the old name is still there after the contract"
    );
}

#[test]
fn rename_table_postgres() {
    rename_table(Engine::Postgres);
}

#[test]
fn rename_table_mariadb() {
    rename_table(Engine::Mariadb);
}

// ---------------------------------------------------------------- NOT NULL

fn add_required_column(engine: Engine) {
    let create = match engine {
        Engine::Postgres => {
            "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text);\n"
        }
        Engine::Mariadb => {
            "CREATE TABLE users (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100));\n"
        }
    };
    let add = match engine {
        Engine::Postgres => "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;\n",
        Engine::Mariadb => "ALTER TABLE users ADD COLUMN tenant_id BIGINT NOT NULL;\n",
    };
    let p = Project::new(
        engine,
        &[("0001_create_users", create), ("0002_add_tenant", add)],
        "",
    );
    let refused = p.bellows(&["rewrite", "0002"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        flat_stderr(&refused).contains("--using"),
        "{}",
        text(&refused)
    );
    p.rewrite_lint_verify(&["0002", "--using", "1", "--batch-size", "2"]);
    // --batch-size: fixed batches of that size.
    let toml = p.file(&id_with(&p, "backfill"), "migration.toml");
    assert!(toml.contains("\nbatch_size = 2\n"), "{toml}");
    let db = Scratch::new(engine);
    p.apply_to(&db, "0001_create_users");
    db.sql("INSERT INTO users (email) VALUES ('a'), ('b'), ('c')");
    p.apply_to(&db, &id_with(&p, "add_users_tenant_id"));
    // The old release leaves tenant_id out; the new one writes it.
    db.sql("INSERT INTO users (email) VALUES ('old')");
    db.sql("INSERT INTO users (email, tenant_id) VALUES ('new', 7)");
    p.apply_to(&db, &id_with(&p, "backfill"));
    assert_eq!(
        db.sql("SELECT count(*) FROM users WHERE tenant_id IS NULL"),
        "0"
    );
    assert_eq!(
        db.sql("SELECT tenant_id FROM users WHERE email = 'new'"),
        "7"
    );
    p.apply_to(&db, &id_with(&p, "require_users_tenant_id"));
    assert_eq!(db.sql("SELECT sum(tenant_id) FROM users"), "11");
    let rejected = std::panic::catch_unwind(|| db.sql("INSERT INTO users (email) VALUES ('late')"));
    assert!(
        rejected.is_err(),
        "tenant_id accepts a missing value after the contract"
    );
}

#[test]
fn add_required_column_postgres() {
    add_required_column(Engine::Postgres);
}

#[test]
fn add_required_column_mariadb() {
    add_required_column(Engine::Mariadb);
}

#[test]
fn set_not_null_postgres() {
    let p = Project::new(
        Engine::Postgres,
        &[
            (
                "0001_create_users",
                "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text);\n",
            ),
            (
                "0002_require_email",
                "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
            ),
        ],
        "",
    );
    p.rewrite_lint_verify(&["0002", "--using", "'unknown'"]);
    let contract = p.file(&id_with(&p, "require_users_email"), "up.sql");
    for step in [
        "NOT VALID",
        "VALIDATE CONSTRAINT",
        "SET NOT NULL",
        "DROP CONSTRAINT",
    ] {
        assert!(contract.contains(step), "{contract}");
    }
    let db = Scratch::new(Engine::Postgres);
    p.apply_to(&db, "0001_create_users");
    db.sql("INSERT INTO users (email) VALUES ('a'), (NULL)");
    p.apply_to(&db, &id_with(&p, "require_users_email"));
    assert_eq!(
        db.sql("SELECT count(*) FROM users WHERE email = 'unknown'"),
        "1"
    );
    assert_eq!(
        db.sql("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'"),
        "NO"
    );
}

// ---------------------------------------------------------------- index and constraints

#[test]
fn index_and_foreign_key_postgres() {
    let p = Project::new(
        Engine::Postgres,
        &[
            (
                "0001_create",
                "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);\nCREATE TABLE orders (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, user_id bigint);\n",
            ),
            (
                "0002_index_orders_user",
                "CREATE INDEX orders_user_id_idx ON orders (user_id);\n",
            ),
        ],
        "",
    );
    p.rewrite_lint_verify(&["0002"]);
    let index = id_with(&p, "index_orders_user_id_idx");
    assert!(p
        .file(&index, "up.sql")
        .contains("CREATE INDEX CONCURRENTLY orders_user_id_idx"));
    assert!(p
        .file(&index, "migration.toml")
        .contains("transaction = false"));
    std::fs::create_dir_all(p.path().join("migrations/0003_orders_user_fk")).unwrap();
    std::fs::write(
        p.path().join("migrations/0003_orders_user_fk/up.sql"),
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n",
    )
    .unwrap();
    p.rewrite_lint_verify(&["0003"]);
    let add = id_with(&p, "add_orders_user_fk");
    let validate = id_with(&p, "validate_orders_user_fk");
    assert!(p.file(&add, "up.sql").contains("NOT VALID;"));
    assert!(p
        .file(&validate, "up.sql")
        .contains("VALIDATE CONSTRAINT orders_user_fk"));
    let db = Scratch::new(Engine::Postgres);
    p.apply_to(&db, "0001_create");
    db.sql("INSERT INTO users DEFAULT VALUES; INSERT INTO orders (user_id) VALUES (1), (1)");
    p.apply_to(&db, &validate);
    assert_eq!(
        db.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_user_id_idx'::regclass"),
        "t"
    );
    assert_eq!(
        db.sql("SELECT convalidated FROM pg_constraint WHERE conname = 'orders_user_fk'"),
        "t"
    );
}

#[test]
fn foreign_key_refused_on_mariadb() {
    let p = Project::new(
        Engine::Mariadb,
        &[
            (
                "0001_create",
                "CREATE TABLE users (id BIGINT NOT NULL PRIMARY KEY);\nCREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, user_id BIGINT);\n",
            ),
            (
                "0002_fk",
                "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n",
            ),
        ],
        "",
    );
    let out = p.bellows(&["rewrite", "0002"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(flat_stderr(&out).contains("no NOT VALID"), "{}", text(&out));
    assert!(p.ids().contains(&"0002_fk".to_owned()));
}

// ---------------------------------------------------------------- catalog handling

fn rename_project() -> Project {
    Project::new(
        Engine::Postgres,
        &[
            (
                "0001_create_users",
                "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL);\n",
            ),
            (
                "0002_rename_email",
                "ALTER TABLE users RENAME COLUMN email TO email_address;\n",
            ),
        ],
        "\n[[release]]\nversion = \"1.0.0\"\nrequires = \"0001_create_users\"\nqueries = \"queries/1.0.0\"\n\n[[release]]\nversion = \"2.0.0\"\nrequires = \"0002_rename_email\"   # reads email_address\nqueries = \"queries/2.0.0\"\n\n[deploy]\nlive = [\"1.0.0\", \"2.0.0\"]\n",
    )
}

fn write_queries(p: &Project) {
    for (v, q) in [
        ("1.0.0", "SELECT id, email FROM users WHERE id = $1;\nINSERT INTO users (email) VALUES ($1);\n"),
        ("2.0.0", "SELECT id, email_address FROM users WHERE id = $1;\nINSERT INTO users (email_address) VALUES ($1);\n"),
    ] {
        let dir = p.path().join("queries").join(v);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("users.sql"), q).unwrap();
    }
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn dry_run_shows_a_diff_and_writes_nothing() {
    let p = rename_project();
    write_queries(&p);
    let before = snapshot(p.path());
    let out = p.bellows(&["rewrite", "migrations/0002_rename_email", "--dry-run"]);
    ok(&out);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("+++ /dev/null") || shown.contains("--- "),
        "{shown}"
    );
    assert!(
        shown.contains("-ALTER TABLE users RENAME COLUMN email TO email_address;"),
        "{shown}"
    );
    assert!(
        shown.contains("+ALTER TABLE users ADD COLUMN email_address"),
        "{shown}"
    );
    assert!(
        shown.contains("0003_backfill_users_email_address/migration.toml"),
        "{shown}"
    );
    assert!(
        shown.contains("+requires = \"0003_backfill_users_email_address\"   # reads email_address"),
        "{shown}"
    );
    assert!(shown.contains("dry run"), "{shown}");
    assert_eq!(snapshot(p.path()), before, "a dry run changed files");
}

#[test]
fn a_summed_migration_is_refused() {
    let p = rename_project();
    write_queries(&p);
    ok(&p.bellows(&["catalog", "sum"]));
    let before = snapshot(p.path());
    let out = p.bellows(&["rewrite", "0002_rename_email"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        flat_stderr(&out).contains("is recorded in"),
        "{}",
        text(&out)
    );
    assert_eq!(
        snapshot(p.path()),
        before,
        "a refused rewrite changed files"
    );
}

#[test]
fn releases_follow_and_the_plan_blocks_the_contract() {
    let p = rename_project();
    write_queries(&p);
    let out = p.bellows(&["rewrite", "0002"]);
    ok(&out);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("release 2.0.0 requires 0003_backfill_users_email_address"),
        "{said}"
    );
    let toml = std::fs::read_to_string(p.path().join("bellows.toml")).unwrap();
    assert!(
        toml.contains("requires = \"0003_backfill_users_email_address\"   # reads email_address"),
        "{toml}"
    );
    // 1.0.0 reads `email`: the contract waits for it to retire.
    let plan = p.bellows(&["migrate", "plan"]);
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    let shown = String::from_utf8_lossy(&plan.stdout);
    let blocked: Vec<&str> = shown
        .lines()
        .filter(|l| l.trim_start().starts_with("blocked"))
        .collect();
    assert!(
        blocked.len() == 1 && blocked[0].contains("0004_drop_users_email"),
        "{shown}"
    );
    assert!(shown.contains("retire release 1.0.0"), "{shown}");
    let later = p.bellows(&["migrate", "plan", "--deployed", "2.0.0"]);
    ok(&later);
}

#[test]
fn set_not_null_mariadb() {
    let p = Project::new(
        Engine::Mariadb,
        &[
            (
                "0001_create_users",
                "CREATE TABLE users (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100));\n",
            ),
            (
                "0002_require_email",
                "ALTER TABLE users MODIFY email VARCHAR(100) NOT NULL;\n",
            ),
        ],
        "",
    );
    p.rewrite_lint_verify(&["0002", "--using", "'unknown'"]);
    let contract = p.file(&id_with(&p, "require_users_email"), "up.sql");
    assert!(
        contract.contains("ALGORITHM=INPLACE, LOCK=NONE"),
        "{contract}"
    );
    let db = Scratch::new(Engine::Mariadb);
    p.apply_to(&db, "0001_create_users");
    db.sql("INSERT INTO users (email) VALUES ('a'), (NULL)");
    p.apply_to(&db, &id_with(&p, "require_users_email"));
    assert_eq!(
        db.sql("SELECT count(*) FROM users WHERE email = 'unknown'"),
        "1"
    );
    let rejected = std::panic::catch_unwind(|| db.sql("INSERT INTO users (email) VALUES (NULL)"));
    assert!(rejected.is_err(), "email accepts NULL after the contract");
}

#[test]
fn a_migration_with_two_changes_is_refused() {
    let p = Project::new(
        Engine::Postgres,
        &[
            (
                "0001_create_users",
                "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text, name text);\n",
            ),
            (
                "0002_two",
                "SET lock_timeout = '2s';\nALTER TABLE users RENAME COLUMN email TO email_address;\nALTER TABLE users RENAME COLUMN name TO full_name;\n",
            ),
        ],
        "",
    );
    let before = snapshot(p.path());
    let out = p.bellows(&["rewrite", "0002"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = flat_stderr(&out);
    assert!(
        said.contains("line 3") && said.contains("more than one change"),
        "{said}"
    );
    assert_eq!(
        snapshot(p.path()),
        before,
        "a refused rewrite changed files"
    );
}
