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

/// How the test catalog is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `0001_name/up.sql`, `down.sql`, `migration.toml`.
    Native,
    /// `2024-01-01-000001_name/up.sql`, `down.sql`.
    Diesel,
    /// `000001_name.up.sql`, `.down.sql`, sidecar `000001_name.toml`.
    GolangMigrate,
    /// `20240101000001_name.sql` with `-- migrate:up` / `-- migrate:down`, sidecar `.toml`.
    Dbmate,
    /// `00001_name.sql` with `-- +goose Up` / `-- +goose Down`, sidecar `.toml`.
    Goose,
}

impl Layout {
    /// The id of migration number `n` named `name` (`0001_create_users` in the native layout).
    fn id(self, n: u32, name: &str) -> String {
        match self {
            Layout::Native => format!("{n:04}_{name}"),
            Layout::Diesel => format!("2024-01-01-{n:06}_{name}"),
            Layout::GolangMigrate => format!("{n:06}_{name}"),
            Layout::Dbmate => format!("202401010000{n:02}_{name}"),
            Layout::Goose => format!("{n:05}_{name}"),
        }
    }

    /// The id written in the native spelling (`0002_rename_email`), in this layout.
    fn spelled(self, id: &str) -> String {
        let (n, name) = id.split_once('_').unwrap();
        self.id(n.parse().unwrap(), name)
    }

    /// Writes one migration (down: `None` for none).
    fn write(self, dir: &Path, id: &str, up: &str, down: Option<&str>) {
        let file = |name: String, text: &str| std::fs::write(dir.join(name), text).unwrap();
        match self {
            Layout::Native | Layout::Diesel => {
                std::fs::create_dir_all(dir.join(id)).unwrap();
                file(format!("{id}/up.sql"), up);
                // diesel's own runner needs a down.sql in every migration.
                let down = down.or((self == Layout::Diesel).then_some(""));
                if let Some(down) = down {
                    file(format!("{id}/down.sql"), down);
                }
            }
            Layout::GolangMigrate => {
                file(format!("{id}.up.sql"), up);
                if let Some(down) = down {
                    file(format!("{id}.down.sql"), down);
                }
            }
            Layout::Dbmate => {
                let down = down
                    .map(|d| format!("-- migrate:down\n{d}"))
                    .unwrap_or_default();
                file(format!("{id}.sql"), &format!("-- migrate:up\n{up}{down}"));
            }
            Layout::Goose => {
                let down = down
                    .map(|d| format!("-- +goose Down\n{d}"))
                    .unwrap_or_default();
                file(format!("{id}.sql"), &format!("-- +goose Up\n{up}{down}"));
            }
        }
    }

    /// Where a migration's metadata is: `migration.toml`, or the sidecar `<id>.toml`.
    fn meta(self, dir: &Path, id: &str) -> PathBuf {
        match self {
            Layout::Native | Layout::Diesel => dir.join(id).join("migration.toml"),
            Layout::GolangMigrate | Layout::Dbmate | Layout::Goose => {
                dir.join(format!("{id}.toml"))
            }
        }
    }
}

struct Project {
    dir: tempfile::TempDir,
    engine: Engine,
    layout: Layout,
}

impl Project {
    /// A native catalog with `bellows.toml` for the engine and the given migrations (id,
    /// up). Each migration gets a down script that undoes a CREATE TABLE when it is one.
    fn new(engine: Engine, migrations: &[(&str, &str)], extra_toml: &str) -> Project {
        Project::in_layout(engine, Layout::Native, migrations, extra_toml)
    }

    /// [`Project::new`] in another layout; ids are given in the native spelling.
    fn in_layout(
        engine: Engine,
        layout: Layout,
        migrations: &[(&str, &str)],
        extra_toml: &str,
    ) -> Project {
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
        let root = dir.path().join("migrations");
        std::fs::create_dir_all(&root).unwrap();
        for (id, up) in migrations {
            let tables: Vec<&str> = up
                .split("CREATE TABLE ")
                .skip(1)
                .filter_map(|s| s.split_whitespace().next())
                .collect();
            let down: String = tables
                .iter()
                .rev()
                .map(|t| format!("DROP TABLE {t};\n"))
                .collect();
            let down = (!tables.is_empty()).then_some(down.as_str());
            layout.write(&root, &layout.spelled(id), up, down);
        }
        Project {
            dir,
            engine,
            layout,
        }
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

    /// The migration ids of the catalog, in its order.
    fn ids(&self) -> Vec<String> {
        let catalog = bellows::catalog::layout::Catalog::load(&self.path().join("migrations"))
            .expect("the catalog reads");
        catalog.migrations.into_iter().map(|m| m.id).collect()
    }

    /// A migration's metadata (`migration.toml` or its sidecar).
    fn meta(&self, id: &str) -> String {
        std::fs::read_to_string(self.layout.meta(&self.path().join("migrations"), id))
            .unwrap_or_default()
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

fn rename_column(engine: Engine, layout: Layout) {
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
    let id = |n, name| layout.id(n, name);
    // Release 2.0.0 reads and writes `email_address`: it needed the original.
    let release = format!(
        "\n[[release]]\nversion = \"2.0.0\"\nrequires = \"{}\"\nqueries = \"queries/2.0.0\"\n",
        id(2, "rename_email")
    );
    let p = Project::in_layout(
        engine,
        layout,
        &[("0001_create_users", create), ("0002_rename_email", rename)],
        &release,
    );
    let placeholder = match engine {
        Engine::Postgres => "$1",
        Engine::Mariadb => "?",
    };
    let queries = p.path().join("queries/2.0.0");
    std::fs::create_dir_all(&queries).unwrap();
    std::fs::write(
        queries.join("users.sql"),
        format!("SELECT id, email_address FROM users WHERE id = {placeholder};\nINSERT INTO users (email_address) VALUES ({placeholder});\n"),
    )
    .unwrap();
    let out = p.rewrite_lint_verify(&[&id(2, "rename_email")]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("expand") && said.contains("contract"),
        "{said}"
    );
    let (expand, backfill, contract) = (
        id(2, "add_users_email_address"),
        id(3, "backfill_users_email_address"),
        id(4, "drop_users_email"),
    );
    assert_eq!(
        p.ids(),
        [
            id(1, "create_users"),
            expand.clone(),
            backfill.clone(),
            contract.clone()
        ]
    );
    let toml = p.meta(&backfill);
    assert!(
        toml.contains("phase = \"backfill\"")
            && toml.contains("[backfill]")
            && toml.contains("key = \"id\""),
        "{toml}"
    );
    // Without --batch-size the backfill paces itself: no batch_size, no pause_ms.
    assert!(
        !toml.contains("batch_size") && !toml.contains("pause_ms"),
        "{toml}"
    );
    assert!(
        p.meta(&contract)
            .contains(&format!("requires = [\"{backfill}\"]")),
        "{}",
        p.meta(&contract)
    );
    let config = std::fs::read_to_string(p.path().join("bellows.toml")).unwrap();
    assert!(
        config.contains(&format!("requires = \"{backfill}\"")),
        "{config}"
    );
    // The layout's own runner reads only its own names, and runs the PostgreSQL contract
    // (VALIDATE, then SET NOT NULL) outside a transaction.
    let migrations = p.path().join("migrations");
    let outside = engine == Engine::Postgres;
    for e in std::fs::read_dir(&migrations).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let known = match layout {
            Layout::Native | Layout::Diesel => !name.contains('.'),
            Layout::GolangMigrate => [".up.sql", ".down.sql", ".toml"]
                .iter()
                .any(|s| name.ends_with(s)),
            Layout::Dbmate | Layout::Goose => name.ends_with(".sql") || name.ends_with(".toml"),
        };
        assert!(known, "{name} in the {layout:?} layout");
    }
    match layout {
        Layout::Diesel => assert_eq!(
            migrations.join(&contract).join("metadata.toml").is_file(),
            outside
        ),
        Layout::Dbmate => {
            let file = std::fs::read_to_string(migrations.join(format!("{contract}.sql"))).unwrap();
            assert_eq!(
                file.starts_with("-- migrate:up transaction:false\n"),
                outside,
                "{file}"
            );
            assert!(file.contains("\n-- migrate:down\n"), "{file}");
        }
        Layout::Goose => {
            // goose sends a trigger body whole only between StatementBegin / StatementEnd.
            let file = std::fs::read_to_string(migrations.join(format!("{expand}.sql"))).unwrap();
            let blocks = file.matches("-- +goose StatementBegin\n").count();
            assert_eq!(
                blocks,
                file.matches("\n-- +goose StatementEnd").count(),
                "{file}"
            );
            assert!(blocks >= 1, "{file}");
            let contract =
                std::fs::read_to_string(migrations.join(format!("{contract}.sql"))).unwrap();
            assert_eq!(
                contract.starts_with("-- +goose NO TRANSACTION\n"),
                outside,
                "{contract}"
            );
        }
        _ => {}
    }
    assert_eq!(p.meta(&contract).contains("transaction = false"), outside);
    // Each step's metadata is part of its checksum.
    ok(&p.bellows(&["catalog", "sum"]));
    let sum = std::fs::read_to_string(p.path().join("bellows.sum")).unwrap();
    assert_eq!(
        sum.lines().filter(|l| !l.starts_with('#')).count(),
        4,
        "{sum}"
    );
    std::fs::write(
        layout.meta(&p.path().join("migrations"), &backfill),
        format!("{toml}# edited after it was recorded\n"),
    )
    .unwrap();
    let check = p.bellows(&["catalog", "check"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(
        String::from_utf8_lossy(&check.stdout)
            .contains(&format!("{backfill} was edited after it was recorded")),
        "{}",
        text(&check)
    );

    let db = Scratch::new(engine);
    p.apply_to(&db, &id(1, "create_users"));
    db.sql("INSERT INTO users (email) SELECT concat('u', n, '@x') FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) AS s");
    p.apply_to(&db, &backfill);
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
    p.apply_to(&db, &contract);
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
    rename_column(Engine::Postgres, Layout::Native);
}

#[test]
fn rename_column_mariadb() {
    rename_column(Engine::Mariadb, Layout::Native);
}

#[test]
fn rename_column_diesel_postgres() {
    rename_column(Engine::Postgres, Layout::Diesel);
}

#[test]
fn rename_column_diesel_mariadb() {
    rename_column(Engine::Mariadb, Layout::Diesel);
}

#[test]
fn rename_column_golang_migrate_postgres() {
    rename_column(Engine::Postgres, Layout::GolangMigrate);
}

#[test]
fn rename_column_golang_migrate_mariadb() {
    rename_column(Engine::Mariadb, Layout::GolangMigrate);
}

#[test]
fn rename_column_dbmate_postgres() {
    rename_column(Engine::Postgres, Layout::Dbmate);
}

#[test]
fn rename_column_dbmate_mariadb() {
    rename_column(Engine::Mariadb, Layout::Dbmate);
}

#[test]
fn rename_column_goose_postgres() {
    rename_column(Engine::Postgres, Layout::Goose);
}

#[test]
fn rename_column_goose_mariadb() {
    rename_column(Engine::Mariadb, Layout::Goose);
}

/// Writes the files (path under the project, text) into a fresh PostgreSQL project, and
/// rewrites `id`: refused, with nothing changed; returns what it said.
fn refused_in(files: &[(&str, &str)], id: &str) -> String {
    let p = Project::new(Engine::Postgres, &[], "");
    for (path, text) in files {
        let path = p.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let before = snapshot(p.path());
    let out = p.bellows(&["rewrite", id]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        snapshot(p.path()),
        before,
        "a refused rewrite changed files"
    );
    flat_stderr(&out)
}

#[test]
fn layouts_without_metadata_are_refused() {
    let create = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n";
    let rename = "ALTER TABLE users RENAME COLUMN email TO email_address;\n";
    let said = refused_in(
        &[
            (
                "migrations/20240101000001_create_users/migration.sql",
                create,
            ),
            (
                "migrations/20240101000002_rename_email/migration.sql",
                rename,
            ),
        ],
        "20240101000002_rename_email",
    );
    assert!(
        said.contains("prisma layout, which has no place for")
            && said.contains("prisma migrate dev --create-only"),
        "{said}"
    );
    let said = refused_in(
        &[
            (
                "migrations/sqitch.plan",
                "%project=app\n\nusers 2024-01-01T00:00:00Z A <a@x> # users\nrename_email [users] 2024-01-02T00:00:00Z A <a@x> # rename\n",
            ),
            ("migrations/deploy/users.sql", create),
            ("migrations/deploy/rename_email.sql", rename),
        ],
        "rename_email",
    );
    assert!(
        said.contains("sqitch layout") && said.contains("sqitch add"),
        "{said}"
    );
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
        RENAME_TABLE_RELEASES,
    );
    write_rename_table_queries(&p, engine);
    p.rewrite_lint_verify(&["0002"]);
    let expand = id_with(&p, "rename_clients_to_customers");
    let contract = id_with(&p, "drop_clients_view");
    plan_lets_the_old_name_through_until_the_contract(&p, &expand, &contract);
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
    // The contract drops the view: `migrate apply` refuses it while 1.0.0 is live.
    let url = db.url();
    let args = [
        "migrate",
        "apply",
        "--allow-unproven",
        "--database-url",
        &url,
        "--to",
        &contract,
    ];
    let refused = p.bellows(&args);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stdout).contains("retire release 1.0.0"),
        "{}",
        text(&refused)
    );
    assert_eq!(db.sql("SELECT count(*) FROM clients"), "4");
    let mut retired = args.to_vec();
    retired.extend(["--deployed", "2.0.0"]);
    ok(&p.bellows(&retired));
    assert_eq!(db.sql("SELECT count(*) FROM customers"), "4");
    let gone = std::panic::catch_unwind(|| db.sql("SELECT count(*) FROM clients"));
    assert!(
        gone.is_err(),
        "the old name is still there after the contract"
    );
}

const RENAME_TABLE_RELEASES: &str = "\n[[release]]\nversion = \"1.0.0\"\nrequires = \"0001_create_clients\"\nqueries = \"queries/1.0.0\"\n\n[[release]]\nversion = \"2.0.0\"\nrequires = \"0002_rename_clients\"\nqueries = \"queries/2.0.0\"\n\n[deploy]\nlive = [\"1.0.0\", \"2.0.0\"]\n";

/// 1.0.0 reads and writes `clients`; 2.0.0 `customers`.
fn write_rename_table_queries(p: &Project, engine: Engine) {
    let ph = |k: usize| match engine {
        Engine::Postgres => format!("${k}"),
        Engine::Mariadb => "?".to_owned(),
    };
    for (v, table) in [("1.0.0", "clients"), ("2.0.0", "customers")] {
        let dir = p.path().join("queries").join(v);
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (ph(1), ph(2));
        std::fs::write(
            dir.join("clients.sql"),
            format!(
                "SELECT id, name FROM {table} WHERE id = {a};\nINSERT INTO {table} (name) VALUES ({a});\nUPDATE {table} SET name = {a} WHERE id = {b};\nDELETE FROM {table} WHERE id = {a};\n"
            ),
        )
        .unwrap();
    }
}

/// `migrate plan` (no database): the expand leaves 1.0.0 running through the view; the
/// contract, which drops the view, waits for 1.0.0 to retire.
fn plan_lets_the_old_name_through_until_the_contract(p: &Project, expand: &str, contract: &str) {
    let plan = p.bellows(&["migrate", "plan"]);
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    let shown = String::from_utf8_lossy(&plan.stdout);
    let blocked: Vec<&str> = shown
        .lines()
        .filter(|l| l.trim_start().starts_with("blocked"))
        .collect();
    assert!(
        blocked.len() == 1 && blocked[0].contains(contract),
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.trim_start().starts_with("ready") && l.contains(expand)),
        "{shown}"
    );
    assert!(shown.contains("retire release 1.0.0"), "{shown}");
    assert!(shown.contains("clients"), "{shown}");
    assert!(!shown.contains("release 2.0.0 cannot run"), "{shown}");
    ok(&p.bellows(&["migrate", "plan", "--deployed", "2.0.0"]));
}

#[test]
fn rename_table_plan_without_a_database() {
    for engine in [Engine::Postgres, Engine::Mariadb] {
        let (create, rename) = match engine {
            Engine::Postgres => (
                "CREATE TABLE clients (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL);\n",
                "ALTER TABLE clients RENAME TO customers;\n",
            ),
            Engine::Mariadb => (
                "CREATE TABLE clients (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n",
                "RENAME TABLE clients TO customers;\n",
            ),
        };
        let p = Project::new(
            engine,
            &[
                ("0001_create_clients", create),
                ("0002_rename_clients", rename),
            ],
            RENAME_TABLE_RELEASES,
        );
        write_rename_table_queries(&p, engine);
        // Before the rewrite the rename itself breaks 1.0.0.
        let before = p.bellows(&["migrate", "plan"]);
        assert_eq!(before.status.code(), Some(1), "{}", text(&before));
        assert!(
            String::from_utf8_lossy(&before.stdout).contains("0002_rename_clients"),
            "{}",
            text(&before)
        );
        ok(&p.bellows(&["rewrite", "0002"]));
        let toml = std::fs::read_to_string(p.path().join("bellows.toml")).unwrap();
        let expand = id_with(&p, "rename_clients_to_customers");
        let contract = id_with(&p, "drop_clients_view");
        assert!(toml.contains(&format!("requires = \"{expand}\"")), "{toml}");
        plan_lets_the_old_name_through_until_the_contract(&p, &expand, &contract);
    }
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
