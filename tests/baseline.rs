//! `bellows migrate baseline` end to end, as the binary, against the real PostgreSQL and
//! MariaDB: adopting a database built by hand (`--to`) and one built by another tool
//! (`--from`, with each tool's history table created as that tool creates it). Each test
//! makes its own database and drops it.

mod common;

use common::db::{project_dir, Engine, Scratch};
use common::output::{flat_stderr, ok, text};
use std::process::{Command, Output, Stdio};

const ITEMS: &str = "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(100));\nCREATE INDEX items_name_idx ON items (name);\n";
const NOTE: &str = "ALTER TABLE items ADD COLUMN note varchar(200);\n";
const TAGS: &str = "CREATE TABLE tags (id bigint PRIMARY KEY);\n";

/// A project directory with bellows.toml and migrations, and its database.
struct Project {
    dir: tempfile::TempDir,
    db: Scratch,
}

impl Project {
    fn new(engine: Engine, files: &[(String, String)]) -> Project {
        let dir = project_dir(engine, "");
        for (path, text) in files {
            let p = dir.path().join("migrations").join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        Project {
            dir,
            db: Scratch::new(engine),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bellows"))
            .current_dir(self.dir.path())
            .args(args)
            .env("DATABASE_URL", self.db.url())
            .env("NO_COLOR", "1")
            .env_remove("CI")
            .stdin(Stdio::null())
            .output()
            .expect("bellows runs")
    }

    /// The history as `migration direction` lines (empty when the table does not exist).
    fn has_history_table(&self) -> bool {
        let exists = self.db.sql(match self.db.engine {
            Engine::Postgres => "SELECT to_regclass('bellows_history') IS NOT NULL",
            Engine::Mariadb => "SELECT COUNT(*) > 0 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'bellows_history'",
        });
        matches!(exists.as_str(), "t" | "1")
    }

    fn history(&self) -> Vec<String> {
        if !self.has_history_table() {
            return Vec::new();
        }
        self.db
            .sql("SELECT migration, direction FROM bellows_history WHERE success ORDER BY id")
            .lines()
            .map(|l| l.replace('\t', " "))
            .collect()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn native() -> Vec<(String, String)> {
    vec![
        ("0001_create_items/up.sql".into(), ITEMS.into()),
        ("0002_add_note/up.sql".into(), NOTE.into()),
        ("0003_create_tags/up.sql".into(), TAGS.into()),
        (
            "0003_create_tags/down.sql".into(),
            "DROP TABLE tags;\n".into(),
        ),
    ]
}

fn matching_database_is_adopted(engine: Engine) {
    let p = Project::new(engine, &native());
    p.db.sql(&format!("{ITEMS}{NOTE}"));

    let dry = p.run(&["migrate", "baseline", "--to", "0002_add_note", "--dry-run"]);
    ok(&dry);
    assert!(
        stdout(&dry).contains("would record 2 migrations"),
        "{}",
        text(&dry)
    );
    assert!(p.history().is_empty(), "a dry run records nothing");

    let o = p.run(&["migrate", "baseline", "--to", "0002_add_note"]);
    ok(&o);
    let out = stdout(&o);
    assert!(out.contains("the database matches"), "{}", text(&o));
    assert!(out.contains("recorded 2 migrations"), "{}", text(&o));
    assert_eq!(
        p.history(),
        ["0001_create_items baseline", "0002_add_note baseline"]
    );

    // Counted as applied, with apply's checksums and no drift.
    let status = p.run(&["migrate", "status"]);
    ok(&status);
    assert!(stdout(&status).contains("drift: none"), "{}", text(&status));

    // The same baseline again records nothing.
    let again = p.run(&["migrate", "baseline", "--to", "0002_add_note"]);
    ok(&again);
    assert!(
        stdout(&again).contains("nothing to record"),
        "{}",
        text(&again)
    );
    assert!(
        stdout(&again).contains("already applied: 0001_create_items, 0002_add_note"),
        "{}",
        text(&again)
    );
    assert_eq!(p.history().len(), 2);

    // A baseline that would leave an applied migration out conflicts.
    let back = p.run(&["migrate", "baseline", "--to", "0001_create_items"]);
    assert_eq!(back.status.code(), Some(2), "{}", text(&back));
    assert!(
        flat_stderr(&back).contains("0002_add_note is applied, but is not among"),
        "{}",
        text(&back)
    );

    // Only what follows the baseline runs.
    let apply = p.run(&["migrate", "apply", "--allow-unproven"]);
    ok(&apply);
    assert_eq!(
        p.history(),
        [
            "0001_create_items baseline",
            "0002_add_note baseline",
            "0003_create_tags up"
        ]
    );
    ok(&p.run(&["migrate", "status"]));

    // A baselined migration's files are checked like an applied one's.
    std::fs::write(
        p.dir.path().join("migrations/0001_create_items/up.sql"),
        format!("{ITEMS}-- edited\n"),
    )
    .expect("edit");
    let status = p.run(&["migrate", "status"]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    assert!(
        stdout(&status).contains("edited since applied: 0001_create_items"),
        "{}",
        text(&status)
    );
}

#[test]
fn matching_database_is_adopted_postgres() {
    matching_database_is_adopted(Engine::Postgres);
}

#[test]
fn matching_database_is_adopted_mariadb() {
    matching_database_is_adopted(Engine::Mariadb);
}

fn mismatching_database_is_refused(engine: Engine) {
    let p = Project::new(engine, &native());
    // By hand: the index was never made, and a column was added out of band.
    p.db.sql("CREATE TABLE items (id bigint PRIMARY KEY, name varchar(100), legacy int);");
    p.db.sql(NOTE);

    let o = p.run(&["migrate", "baseline", "--to", "0002_add_note"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(err.contains("nothing was recorded"), "{}", text(&o));
    assert!(
        err.contains("extra in the database: table items: column legacy"),
        "{}",
        text(&o)
    );
    assert!(
        err.contains("missing from the database: index items_name_idx on items"),
        "{}",
        text(&o)
    );
    assert!(p.history().is_empty(), "refused: nothing recorded");
    assert!(
        !p.has_history_table(),
        "refused: not even the history table"
    );

    let forced = p.run(&["migrate", "baseline", "--to", "0002_add_note", "--force"]);
    ok(&forced);
    let out = stdout(&forced);
    assert!(
        out.contains("recorded anyway (--force)"),
        "{}",
        text(&forced)
    );
    assert!(
        out.contains("table items: column legacy"),
        "{}",
        text(&forced)
    );
    assert!(
        out.contains("index items_name_idx on items"),
        "{}",
        text(&forced)
    );
    assert_eq!(
        p.history(),
        ["0001_create_items baseline", "0002_add_note baseline"]
    );
}

#[test]
fn mismatching_database_is_refused_postgres() {
    mismatching_database_is_refused(Engine::Postgres);
}

#[test]
fn mismatching_database_is_refused_mariadb() {
    mismatching_database_is_refused(Engine::Mariadb);
}

// ---------------------------------------------------------------------------------------
// --from: other tools' histories

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Flyway,
    Sqlx,
    Diesel,
    GolangMigrate,
    Dbmate,
    Goose,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Flyway => "flyway",
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate",
            Tool::Goose => "goose",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Tool::Flyway => "flyway_schema_history",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::GolangMigrate | Tool::Dbmate => "schema_migrations",
            Tool::Goose => "goose_db_version",
        }
    }

    /// The migrations in the tool's own layout, and their ids in the catalog.
    fn files(self) -> (Vec<(String, String)>, [&'static str; 3]) {
        let scripts = [ITEMS, NOTE, TAGS];
        let names = ["create_items", "add_note", "create_tags"];
        let mut files = Vec::new();
        let ids = match self {
            Tool::Flyway => {
                for (i, (s, n)) in scripts.iter().zip(names).enumerate() {
                    files.push((format!("V{}__{n}.sql", i + 1), (*s).to_owned()));
                }
                ["V1__create_items", "V2__add_note", "V3__create_tags"]
            }
            Tool::Sqlx => {
                for (i, (s, n)) in scripts.iter().zip(names).enumerate() {
                    files.push((format!("2024010100000{}_{n}.sql", i + 1), (*s).to_owned()));
                }
                [
                    "20240101000001_create_items",
                    "20240101000002_add_note",
                    "20240101000003_create_tags",
                ]
            }
            Tool::Diesel => {
                for (i, (s, n)) in scripts.iter().zip(names).enumerate() {
                    let dir = format!("2024-01-01-00000{}_{n}", i + 1);
                    files.push((format!("{dir}/up.sql"), (*s).to_owned()));
                    files.push((format!("{dir}/down.sql"), "SELECT 1;\n".to_owned()));
                }
                [
                    "2024-01-01-000001_create_items",
                    "2024-01-01-000002_add_note",
                    "2024-01-01-000003_create_tags",
                ]
            }
            Tool::GolangMigrate => {
                for (i, (s, n)) in scripts.iter().zip(names).enumerate() {
                    let stem = format!("00000{}_{n}", i + 1);
                    files.push((format!("{stem}.up.sql"), (*s).to_owned()));
                    files.push((format!("{stem}.down.sql"), "SELECT 1;\n".to_owned()));
                }
                [
                    "000001_create_items",
                    "000002_add_note",
                    "000003_create_tags",
                ]
            }
            Tool::Dbmate => {
                for (i, (s, n)) in scripts.iter().zip(names).enumerate() {
                    files.push((
                        format!("2024010100000{}_{n}.sql", i + 1),
                        format!("-- migrate:up\n{s}\n-- migrate:down\nSELECT 1;\n"),
                    ));
                }
                [
                    "20240101000001_create_items",
                    "20240101000002_add_note",
                    "20240101000003_create_tags",
                ]
            }
            Tool::Goose => {
                for (i, (s, n)) in scripts.iter().zip(names).enumerate() {
                    files.push((
                        format!("0000{}_{n}.sql", i + 1),
                        format!("-- +goose Up\n{s}\n-- +goose Down\nSELECT 1;\n"),
                    ));
                }
                ["00001_create_items", "00002_add_note", "00003_create_tags"]
            }
        };
        (files, ids)
    }

    /// The tool's history table, as the tool creates it.
    fn create(self, engine: Engine) -> &'static str {
        let pg = engine == Engine::Postgres;
        match self {
            Tool::Flyway if pg => {
                "CREATE TABLE \"flyway_schema_history\" (
    \"installed_rank\" INT NOT NULL,
    \"version\" VARCHAR(50),
    \"description\" VARCHAR(200) NOT NULL,
    \"type\" VARCHAR(20) NOT NULL,
    \"script\" VARCHAR(1000) NOT NULL,
    \"checksum\" INTEGER,
    \"installed_by\" VARCHAR(100) NOT NULL,
    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),
    \"execution_time\" INTEGER NOT NULL,
    \"success\" BOOLEAN NOT NULL
);
ALTER TABLE \"flyway_schema_history\" ADD CONSTRAINT \"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\");
CREATE INDEX \"flyway_schema_history_s_idx\" ON \"flyway_schema_history\" (\"success\");"
            }
            Tool::Flyway => {
                "CREATE TABLE `flyway_schema_history` (
    `installed_rank` INT NOT NULL,
    `version` VARCHAR(50),
    `description` VARCHAR(200) NOT NULL,
    `type` VARCHAR(20) NOT NULL,
    `script` VARCHAR(1000) NOT NULL,
    `checksum` INT,
    `installed_by` VARCHAR(100) NOT NULL,
    `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    `execution_time` INT NOT NULL,
    `success` BOOL NOT NULL,
    CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)
) ENGINE=InnoDB;
CREATE INDEX `flyway_schema_history_s_idx` ON `flyway_schema_history` (`success`);"
            }
            Tool::Sqlx if pg => {
                "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);"
            }
            Tool::Sqlx => {
                "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);"
            }
            Tool::Diesel => {
                "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);"
            }
            Tool::GolangMigrate if pg => {
                "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version bigint not null primary key, dirty boolean not null);"
            }
            Tool::GolangMigrate => {
                "CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint not null primary key, dirty boolean not null);"
            }
            Tool::Dbmate if pg => {
                "create table if not exists public.schema_migrations (version varchar(128) primary key);"
            }
            Tool::Dbmate => {
                "create table if not exists schema_migrations (version varchar(128) primary key);"
            }
            Tool::Goose if pg => {
                "CREATE TABLE goose_db_version (
    id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
    version_id bigint NOT NULL,
    is_applied boolean NOT NULL,
    tstamp timestamp NOT NULL DEFAULT now()
);"
            }
            Tool::Goose => {
                "CREATE TABLE goose_db_version (
    id serial NOT NULL,
    version_id bigint NOT NULL,
    is_applied boolean NOT NULL,
    tstamp timestamp NULL default now(),
    PRIMARY KEY(id)
);"
            }
        }
    }

    /// The rows the tool writes once its migrations `versions` are applied (`extra`: a
    /// version with no file in the catalog).
    fn rows(self, engine: Engine, versions: &[&str]) -> String {
        let pg = engine == Engine::Postgres;
        let (t, f) = if pg { ("true", "false") } else { ("1", "0") };
        let mut sql = String::new();
        match self {
            Tool::Flyway => {
                for (i, v) in versions.iter().enumerate() {
                    sql.push_str(&format!(
                        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES ({}, '{v}', 'migration {v}', 'SQL', 'V{v}__m.sql', 12345, 'deploy', 7, {t});\n",
                        i + 1
                    ));
                }
            }
            Tool::Sqlx => {
                let checksum = if pg { "'\\x00'" } else { "X'00'" };
                for v in versions {
                    sql.push_str(&format!(
                        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ({v}, 'migration', {t}, {checksum}, 1000);\n"
                    ));
                }
            }
            Tool::Diesel | Tool::Dbmate => {
                for v in versions {
                    sql.push_str(&format!(
                        "INSERT INTO {} (version) VALUES ('{v}');\n",
                        self.table()
                    ));
                }
            }
            Tool::GolangMigrate => {
                if let Some(v) = versions.last() {
                    sql.push_str(&format!(
                        "INSERT INTO schema_migrations (version, dirty) VALUES ({v}, {f});\n"
                    ));
                }
            }
            Tool::Goose => {
                sql.push_str(&format!(
                    "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, {t});\n"
                ));
                for v in versions {
                    sql.push_str(&format!(
                        "INSERT INTO goose_db_version (version_id, is_applied) VALUES ({v}, {t});\n"
                    ));
                }
                // Applied, then rolled back: the newest row decides.
                sql.push_str(&format!(
                    "INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, {t});\nINSERT INTO goose_db_version (version_id, is_applied) VALUES (3, {f});\n"
                ));
            }
        }
        sql
    }

    /// The versions the tool writes for the first two migrations.
    fn versions(self) -> [&'static str; 2] {
        match self {
            Tool::Flyway => ["1", "2"],
            Tool::Sqlx | Tool::Dbmate => ["20240101000001", "20240101000002"],
            Tool::Diesel => ["20240101000001", "20240101000002"],
            Tool::GolangMigrate | Tool::Goose => ["1", "2"],
        }
    }

    /// A version the catalog does not have, as the tool would write it.
    fn unknown_version(self) -> &'static str {
        match self {
            Tool::Flyway => "2.5",
            Tool::Sqlx | Tool::Dbmate | Tool::Diesel => "20230101000000",
            Tool::GolangMigrate | Tool::Goose => "9",
        }
    }
}

/// A database another tool built up to its second migration, adopted from its history.
fn adopted_from(tool: Tool, engine: Engine) {
    let (files, ids) = tool.files();
    let p = Project::new(engine, &files);
    p.db.sql(&format!("{ITEMS}{NOTE}"));
    p.db.sql(tool.create(engine));
    p.db.sql(&tool.rows(engine, &tool.versions()));

    let o = p.run(&["migrate", "baseline", "--from", tool.name()]);
    ok(&o);
    let out = stdout(&o);
    assert!(out.contains("2 applied migrations found"), "{}", text(&o));
    assert!(out.contains("the database matches"), "{}", text(&o));
    assert_eq!(
        p.history(),
        [
            format!("{} baseline", ids[0]),
            format!("{} baseline", ids[1])
        ]
    );
    // Once the tool's table is gone, bellows sees exactly what it recorded.
    p.db.sql(&format!("DROP TABLE {}", tool.table()));
    let status = p.run(&["migrate", "status"]);
    ok(&status);
    assert!(
        stdout(&status).contains(ids[2]),
        "the third is pending: {}",
        text(&status)
    );
}

macro_rules! adoption_tests {
    ($($name:ident: $tool:expr, $engine:expr;)*) => {
        $(#[test]
        fn $name() {
            adopted_from($tool, $engine);
        })*
    };
}

adoption_tests! {
    from_flyway_postgres: Tool::Flyway, Engine::Postgres;
    from_flyway_mariadb: Tool::Flyway, Engine::Mariadb;
    from_sqlx_postgres: Tool::Sqlx, Engine::Postgres;
    from_sqlx_mariadb: Tool::Sqlx, Engine::Mariadb;
    from_diesel_postgres: Tool::Diesel, Engine::Postgres;
    from_diesel_mariadb: Tool::Diesel, Engine::Mariadb;
    from_golang_migrate_postgres: Tool::GolangMigrate, Engine::Postgres;
    from_golang_migrate_mariadb: Tool::GolangMigrate, Engine::Mariadb;
    from_dbmate_postgres: Tool::Dbmate, Engine::Postgres;
    from_dbmate_mariadb: Tool::Dbmate, Engine::Mariadb;
    from_goose_postgres: Tool::Goose, Engine::Postgres;
    from_goose_mariadb: Tool::Goose, Engine::Mariadb;
}

/// The tool applied a migration the catalog does not have: refused, then `--force`
/// records the others and names it.
fn missing_from_catalog(tool: Tool, engine: Engine) {
    let (files, ids) = tool.files();
    let p = Project::new(engine, &files);
    p.db.sql(&format!("{ITEMS}{NOTE}"));
    p.db.sql(tool.create(engine));
    let [a, b] = tool.versions();
    let unknown = tool.unknown_version();
    p.db.sql(&tool.rows(engine, &[a, b, unknown]));

    let o = p.run(&["migrate", "baseline", "--from", tool.name()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = flat_stderr(&o);
    assert!(
        err.contains(&format!("the catalog does not have: {unknown}")),
        "{}",
        text(&o)
    );
    assert!(p.history().is_empty(), "refused: nothing recorded");
    assert!(
        !p.has_history_table(),
        "refused: not even the history table"
    );

    let forced = p.run(&["migrate", "baseline", "--from", tool.name(), "--force"]);
    ok(&forced);
    assert!(
        stdout(&forced).contains(&format!(
            "missing from the catalog (not recorded, --force): {unknown}"
        )),
        "{}",
        text(&forced)
    );
    assert_eq!(
        p.history(),
        [
            format!("{} baseline", ids[0]),
            format!("{} baseline", ids[1])
        ]
    );
}

#[test]
fn missing_from_catalog_dbmate_postgres() {
    missing_from_catalog(Tool::Dbmate, Engine::Postgres);
}

#[test]
fn missing_from_catalog_flyway_mariadb() {
    missing_from_catalog(Tool::Flyway, Engine::Mariadb);
}

#[test]
fn missing_from_catalog_goose_postgres() {
    missing_from_catalog(Tool::Goose, Engine::Postgres);
}

fn golang_migrate_dirty_is_refused(engine: Engine) {
    let tool = Tool::GolangMigrate;
    let (files, _) = tool.files();
    let p = Project::new(engine, &files);
    p.db.sql(ITEMS);
    p.db.sql(tool.create(engine));
    let t = if engine == Engine::Postgres {
        "true"
    } else {
        "1"
    };
    p.db.sql(&format!(
        "INSERT INTO schema_migrations (version, dirty) VALUES (2, {t})"
    ));
    let o = p.run(&["migrate", "baseline", "--from", "golang-migrate", "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        flat_stderr(&o).contains("version 2 is dirty"),
        "{}",
        text(&o)
    );
    assert!(p.history().is_empty(), "refused: nothing recorded");
    assert!(
        !p.has_history_table(),
        "refused: not even the history table"
    );
}

#[test]
fn golang_migrate_dirty_is_refused_postgres() {
    golang_migrate_dirty_is_refused(Engine::Postgres);
}

#[test]
fn golang_migrate_dirty_is_refused_mariadb() {
    golang_migrate_dirty_is_refused(Engine::Mariadb);
}

#[test]
fn a_gap_is_reported() {
    let tool = Tool::Dbmate;
    let (files, ids) = tool.files();
    let p = Project::new(Engine::Postgres, &files);
    // The second migration was never applied; the third was.
    p.db.sql(&format!("{ITEMS}{TAGS}"));
    p.db.sql(tool.create(Engine::Postgres));
    p.db.sql(&tool.rows(Engine::Postgres, &["20240101000001", "20240101000003"]));
    let json = p.run(&[
        "migrate",
        "baseline",
        "--from",
        "dbmate",
        "--dry-run",
        "--format",
        "json",
    ]);
    ok(&json);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON output");
    assert_eq!(
        v["recorded"],
        serde_json::json!([ids[0], ids[2]]),
        "{}",
        text(&json)
    );
    assert_eq!(
        v["from"]["gaps"],
        serde_json::json!([ids[1]]),
        "{}",
        text(&json)
    );
    assert_eq!(v["from"]["tool"], "dbmate");
    assert_eq!(v["proven"], true);
    assert_eq!(v["dry_run"], true);
    assert!(p.history().is_empty(), "a dry run records nothing");

    let o = p.run(&["migrate", "baseline", "--from", "dbmate"]);
    ok(&o);
    assert!(
        stdout(&o).contains(&format!(
            "(gaps; `migrate apply` will run them): {}",
            ids[1]
        )),
        "{}",
        text(&o)
    );
    assert_eq!(
        p.history(),
        [
            format!("{} baseline", ids[0]),
            format!("{} baseline", ids[2])
        ]
    );
}

#[test]
fn a_missing_tool_table_is_named() {
    let p = Project::new(Engine::Postgres, &native());
    let o = p.run(&[
        "migrate",
        "baseline",
        "--from",
        "flyway",
        "--from-table",
        "ops.history",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        flat_stderr(&o).contains("the database has no table ops.history (flyway's history)"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_dirty_history_is_refused() {
    let p = Project::new(Engine::Postgres, &native());
    p.db.sql(&format!("{ITEMS}{NOTE}"));
    let unproven = p.run(&[
        "migrate",
        "baseline",
        "--to",
        "0001_create_items",
        "--no-proof",
    ]);
    ok(&unproven);
    assert!(
        stdout(&unproven).contains("schema: not compared (--no-proof)"),
        "{}",
        text(&unproven)
    );
    p.db.sql("UPDATE bellows_history SET success = NULL");
    let o = p.run(&["migrate", "baseline", "--to", "0002_add_note"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        flat_stderr(&o).contains("the history holds a step that did not finish: 0001_create_items"),
        "{}",
        text(&o)
    );
    assert_eq!(p.db.sql("SELECT count(*) FROM bellows_history"), "1");
}
