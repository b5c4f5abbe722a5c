//! The migration catalog on disk: layout detection and order for each scenario under
//! `fixtures/catalogs/`, `bellows.sum` checksums, and the `bellows catalog` commands.

use bellows::catalog::layout::{Catalog, Layout};
use bellows::catalog::sections::Markers;
use bellows::catalog::sum::{self, SumFile, SumProblem};
use std::path::{Path, PathBuf};
use std::process::Command;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/catalogs")
        .join(name)
}

fn load(name: &str) -> Catalog {
    Catalog::load(&scenario(name).join("migrations")).expect("the fixture catalog loads")
}

fn ids(c: &Catalog) -> Vec<&str> {
    c.migrations.iter().map(|m| m.id.as_str()).collect()
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn native_layout() {
    let c = load("native");
    assert_eq!(c.layout, Layout::Native);
    assert_eq!(
        ids(&c),
        [
            "0001_create_users",
            "0002_add_users_email",
            "0003_backfill_users_email",
            "0004_drop_users_legacy_email"
        ]
    );
    let email = &c.migrations[1];
    assert_eq!(email.version, "0002");
    assert_eq!(email.name, "add_users_email");
    assert!(email.down.is_some() && email.verify.is_some());
    assert_eq!(email.meta.requires, ["0001_create_users"]);
    let contract = &c.migrations[3];
    assert!(contract.down.is_none());
    assert_eq!(
        contract.meta.phase.map(|p| p.phase()),
        Some(bellows::classify::phase::Phase::Contract)
    );
    assert!(c.repeatables.is_empty());
}

#[test]
fn single_file_layout_orders_naturally() {
    let c = load("single-file");
    assert_eq!(c.layout, Layout::SingleFile);
    assert_eq!(
        ids(&c),
        [
            "0001_create_accounts",
            "0002_add_accounts_plan",
            "0010_index_accounts_plan"
        ]
    );
    assert!(c.migrations.iter().all(|m| m.down.is_none()));
}

#[test]
fn sqlx_pairs() {
    let c = load("sqlx");
    assert_eq!(c.layout, Layout::SqlxPairs);
    assert_eq!(
        ids(&c),
        [
            "20240101120000_create_orders",
            "20240215093000_add_orders_currency",
            "20240301080000_add_orders_note"
        ]
    );
    let downs: Vec<Option<String>> = c
        .migrations
        .iter()
        .map(|m| m.down.as_deref().map(file_name))
        .collect();
    assert_eq!(
        downs,
        [
            Some("20240101120000_create_orders.down.sql".to_owned()),
            Some("20240215093000_add_orders_currency.down.sql".to_owned()),
            None
        ]
    );
}

#[test]
fn flyway_numeric_order_undo_and_repeatables() {
    let c = load("flyway");
    assert_eq!(c.layout, Layout::Flyway);
    assert_eq!(
        ids(&c),
        [
            "V1__create_products",
            "V1.1__add_products_price",
            "V2__add_products_title",
            "V10__index_products_sku"
        ]
    );
    let versions: Vec<&str> = c.migrations.iter().map(|m| m.version.as_str()).collect();
    assert_eq!(versions, ["1", "1.1", "2", "10"]);
    assert_eq!(
        c.migrations[1].down.as_deref().map(file_name).as_deref(),
        Some("U1.1__add_products_price.sql")
    );
    assert!(c.migrations[2].down.is_none());
    let repeatables: Vec<String> = c.repeatables.iter().map(|p| file_name(p)).collect();
    assert_eq!(repeatables, ["R__product_view.sql"]);
}

#[test]
fn flyway_versions_compare_part_by_part() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "V10__j.sql",
        "V2__b.sql",
        "V1.10__e.sql",
        "V1.2__d.sql",
        "V1.1__c.sql",
        "V1__a.sql",
    ] {
        std::fs::write(dir.path().join(name), "SELECT 1;\n").unwrap();
    }
    let c = Catalog::load(dir.path()).unwrap();
    let versions: Vec<&str> = c.migrations.iter().map(|m| m.version.as_str()).collect();
    assert_eq!(versions, ["1", "1.1", "1.2", "1.10", "2", "10"]);
}

#[test]
fn dbmate_sections() {
    let c = load("dbmate");
    assert_eq!(c.layout, Layout::Dbmate);
    assert_eq!(
        ids(&c),
        [
            "20240101000000_create_events",
            "20240102000000_add_events_created_at",
            "20240103000000_index_events_kind"
        ]
    );
    let first = &c.migrations[0];
    assert_eq!(first.sections, Some(Markers::Dbmate));
    let up = first.up_text().unwrap();
    assert!(up.starts_with("CREATE TABLE events"), "{up}");
    assert!(!up.contains("DROP TABLE"));
    assert_eq!(
        first.down_text().unwrap().as_deref().map(str::trim),
        Some("DROP TABLE events;")
    );
    // No down section: no down script.
    assert!(c.migrations[2].down.is_none());
    assert_eq!(c.migrations[2].down_text().unwrap(), None);
}

#[test]
fn every_scenario_matches_its_sum_except_edited() {
    for name in ["native", "single-file", "sqlx", "flyway", "dbmate"] {
        let c = load(name);
        let text = std::fs::read_to_string(scenario(name).join("bellows.sum")).unwrap();
        let recorded = SumFile::parse(&text).unwrap();
        assert_eq!(sum::check(&c, &recorded).unwrap(), [], "{name}");
        assert_eq!(sum::compute(&c).unwrap().render(), text, "{name}");
    }
}

#[test]
fn check_names_the_edited_migration() {
    let c = load("edited");
    let text = std::fs::read_to_string(scenario("edited").join("bellows.sum")).unwrap();
    let problems = sum::check(&c, &SumFile::parse(&text).unwrap()).unwrap();
    assert_eq!(
        problems,
        [SumProblem::Edited {
            id: "0002_add_invoices_due_on".into()
        }]
    );
    assert_eq!(
        problems[0].to_string(),
        "0002_add_invoices_due_on was edited after it was recorded"
    );
    // The chain: the edit changes its own line and every later one.
    let recomputed = sum::compute(&c).unwrap();
    let recorded = SumFile::parse(&text).unwrap();
    let same: Vec<bool> = recomputed
        .entries
        .iter()
        .zip(&recorded.entries)
        .map(|(a, b)| a.hash == b.hash)
        .collect();
    assert_eq!(same, [true, false, false]);
}

#[test]
fn checksums_ignore_bom_and_crlf() {
    for name in ["native", "sqlx", "flyway", "dbmate"] {
        let expected = sum::compute(&load(name)).unwrap();
        for (variant, bom, crlf) in [
            ("bom", true, false),
            ("crlf", false, true),
            ("both", true, true),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            copy_tree(&scenario(name).join("migrations"), tmp.path());
            for path in files(tmp.path()) {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut out = String::new();
                if bom {
                    out.push('\u{feff}');
                }
                out.push_str(&if crlf {
                    text.replace('\n', "\r\n")
                } else {
                    text
                });
                std::fs::write(&path, out).unwrap();
            }
            let c = Catalog::load(tmp.path()).unwrap();
            assert_eq!(sum::compute(&c).unwrap(), expected, "{name} with {variant}");
            if name == "dbmate" {
                assert!(c.migrations[0].up_text().unwrap().starts_with("CREATE"));
            }
        }
    }
}

#[test]
fn branches_that_each_append_a_migration_conflict() {
    let base = tempfile::tempdir().unwrap();
    copy_tree(&scenario("single-file").join("migrations"), base.path());
    let branch = |file: &str, sql: &str| {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(base.path(), tmp.path());
        std::fs::write(tmp.path().join(file), sql).unwrap();
        let rendered = sum::compute(&Catalog::load(tmp.path()).unwrap())
            .unwrap()
            .render();
        rendered.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let main = sum::compute(&Catalog::load(base.path()).unwrap())
        .unwrap()
        .render();
    let a = branch(
        "0011_add_accounts_region.sql",
        "ALTER TABLE accounts ADD COLUMN region text;\n",
    );
    let b = branch(
        "0011_add_accounts_owner.sql",
        "ALTER TABLE accounts ADD COLUMN owner_id bigint;\n",
    );
    // Both keep every earlier line and change the same place: the new last line.
    let main_lines: Vec<&str> = main.lines().collect();
    assert_eq!(a[..main_lines.len()], main_lines[..]);
    assert_eq!(b[..main_lines.len()], main_lines[..]);
    assert_eq!(a.len(), b.len());
    assert_ne!(a.last(), b.last());
    // Even the same id with different contents gives a different hash.
    let c = branch(
        "0011_add_accounts_region.sql",
        "ALTER TABLE accounts ADD COLUMN region varchar(16);\n",
    );
    assert_ne!(a.last(), c.last());
}

#[test]
fn proof_lines_survive_a_rewrite() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&scenario("native"), tmp.path());
    let sum_path = tmp.path().join("bellows.sum");
    let mut text = std::fs::read_to_string(&sum_path).unwrap();
    text.push_str("proof 0001_create_users up=sha256:00 down=sha256:11 engine=postgres-16\n");
    std::fs::write(&sum_path, &text).unwrap();
    let out = bellows(tmp.path(), &["catalog", "sum"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let rewritten = std::fs::read_to_string(&sum_path).unwrap();
    assert_eq!(rewritten, text);
    let parsed = SumFile::parse(&rewritten).unwrap();
    assert_eq!(parsed.proofs.len(), 1);
    assert_eq!(
        bellows(tmp.path(), &["catalog", "check"]).status.code(),
        Some(0)
    );

    // A damaged file: check is a tool error, sum rewrites it and keeps the proofs.
    std::fs::write(&sum_path, "not a sum line\nproof 0002_add_users_email x\n").unwrap();
    assert_eq!(
        bellows(tmp.path(), &["catalog", "check"]).status.code(),
        Some(2)
    );
    assert_eq!(
        bellows(tmp.path(), &["catalog", "sum"]).status.code(),
        Some(0)
    );
    let parsed = SumFile::parse(&std::fs::read_to_string(&sum_path).unwrap()).unwrap();
    assert_eq!(parsed.proofs, ["proof 0002_add_users_email x"]);
    assert_eq!(parsed.entries.len(), 4);
}

fn bellows(cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("bellows runs")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cli_check_exit_codes() {
    let root = scenario("");
    let ok = bellows(&root, &["catalog", "check", "--dir", "flyway/migrations"]);
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert!(stdout(&ok).contains("Flyway"), "{}", stdout(&ok));

    let edited = bellows(&root, &["catalog", "check", "--dir", "edited/migrations"]);
    assert_eq!(edited.status.code(), Some(1), "{edited:?}");
    assert!(
        stdout(&edited).contains("0002_add_invoices_due_on was edited after it was recorded"),
        "{}",
        stdout(&edited)
    );

    let missing = bellows(&root, &["catalog", "check", "--dir", "no-such-dir"]);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");

    // A tool error: mixed layouts.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    std::fs::create_dir_all(dir.join("0002_b")).unwrap();
    std::fs::write(dir.join("0001_a.sql"), "SELECT 1;\n").unwrap();
    std::fs::write(dir.join("0002_b/up.sql"), "SELECT 1;\n").unwrap();
    let mixed = bellows(tmp.path(), &["catalog", "check"]);
    assert_eq!(mixed.status.code(), Some(2), "{mixed:?}");
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("mixes migration layouts"));
}

#[test]
fn cli_sum_then_check_with_bellows_toml() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(
        &scenario("sqlx").join("migrations"),
        &tmp.path().join("db/migrate"),
    );
    std::fs::write(
        tmp.path().join("bellows.toml"),
        "migrations = \"db/migrate\"\n",
    )
    .unwrap();
    // No sum yet: a problem, not a tool error.
    assert_eq!(
        bellows(tmp.path(), &["catalog", "check"]).status.code(),
        Some(1)
    );
    let out = bellows(tmp.path(), &["catalog", "sum"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(tmp.path().join("bellows.sum").is_file());
    assert_eq!(
        bellows(tmp.path(), &["catalog", "check"]).status.code(),
        Some(0)
    );
    // The same directory named with --dir finds the same sum file.
    let out = bellows(tmp.path(), &["catalog", "check", "--dir", "db/migrate"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    std::fs::write(
        tmp.path()
            .join("db/migrate/20240401000000_add_orders_paid_at.up.sql"),
        "ALTER TABLE orders ADD COLUMN paid_at timestamptz;\n",
    )
    .unwrap();
    let out = bellows(tmp.path(), &["catalog", "check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("20240401000000_add_orders_paid_at is not recorded yet"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn cli_list_text_and_json() {
    let root = scenario("");
    let out = bellows(&root, &["catalog", "list", "--dir", "native/migrations"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("layout native"), "{text}");
    assert!(text.contains("0003_backfill_users_email"), "{text}");
    assert!(text.contains("backfill"), "{text}");

    let out = bellows(
        &root,
        &[
            "catalog",
            "list",
            "--dir",
            "flyway/migrations",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["layout"], "flyway");
    let sqlx = bellows(
        &root,
        &[
            "catalog",
            "list",
            "--dir",
            "sqlx/migrations",
            "--format",
            "json",
        ],
    );
    let sqlx: serde_json::Value = serde_json::from_slice(&sqlx.stdout).unwrap();
    assert_eq!(sqlx["layout"], "sqlx");
    assert_eq!(value["migrations"][1]["id"], "V1.1__add_products_price");
    assert_eq!(value["migrations"][1]["down"], true);
    assert_eq!(value["migrations"][2]["down"], false);
    assert_eq!(value["repeatables"].as_array().unwrap().len(), 1);
}

/// Lints `dir` (relative to `fixtures/catalogs`) as JSON: the exit code, the linted paths
/// in order, the rules found, and stderr.
fn lint_json(dir: &str, extra: &[&str]) -> (Option<i32>, Vec<String>, Vec<String>, String) {
    let mut args = vec!["lint", dir, "--format", "json"];
    args.extend_from_slice(extra);
    let out = bellows(&scenario(""), &args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.code() == Some(2) {
        return (Some(2), Vec::new(), Vec::new(), stderr);
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{dir}: {e}: {}", stdout(&out)));
    let files = report["files"]
        .as_array()
        .unwrap()
        .iter()
        // lint names files from the repository root; the catalog from where it runs.
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            path.strip_prefix("fixtures/catalogs/")
                .unwrap_or_else(|| panic!("{path} is repository-relative"))
                .to_owned()
        })
        .collect();
    let rules = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect();
    (out.status.code(), files, rules, stderr)
}

/// `bellows catalog list --format json` of `dir`: the up scripts in order, and the JSON.
fn list_json(dir: &str) -> (Vec<String>, serde_json::Value, String) {
    let out = bellows(
        &scenario(""),
        &["catalog", "list", "--dir", dir, "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{dir}: {out:?}");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ups = value["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["up"].as_str().unwrap().to_owned())
        .collect();
    (
        ups,
        value,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn diesel_orders_by_its_version_text_and_honours_metadata_toml() {
    let c = load("diesel-dates");
    assert_eq!(c.layout, Layout::Diesel);
    // diesel's rule (diesel-rs/diesel, diesel_migrations/migrations_internals/src/lib.rs):
    // `version_from_string(name) = name.split('_').next().map(|s| s.replace('-', ""))`, and
    // `MigrationVersion` derives `Ord` on that string, which `pending_migrations` sorts by
    // (`a.version().cmp(&b.version())`): the versions compare as text with `-` removed.
    let mut expected: Vec<String> = std::fs::read_dir(scenario("diesel-dates/migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    expected.sort_by_key(|id| id.split('_').next().unwrap().replace('-', ""));
    assert_eq!(ids(&c), expected);
    assert_eq!(
        ids(&c),
        [
            "00000000000000_diesel_initial_setup",
            "20160101000000_create_accounts",
            "2017-01-01-000000_add_accounts_email",
            "2024-03-01-120000_index_accounts_email",
            "2026-06-03-220228-0000_add_accounts_plan",
        ]
    );
    // Comparing digit runs as numbers gets this wrong: 2017 < 20160101000000.
    assert_eq!(
        bellows::files::natural_cmp("2017-01-01-000000", "20160101000000"),
        std::cmp::Ordering::Less
    );
    // metadata.toml: run_in_transaction = false.
    let transaction: Vec<Option<bool>> = c.migrations.iter().map(|m| m.meta.transaction).collect();
    assert_eq!(transaction, [None, None, None, Some(false), None]);
    assert!(c.migrations.iter().all(|m| m.down.is_some()));

    // lint reads the same order, and the concurrent index build is not in a transaction.
    let (code, files, rules, _) =
        lint_json("diesel-dates/migrations", &["--assume-in-transaction"]);
    assert_eq!(code, Some(0), "{rules:?}");
    let linted: Vec<String> = files
        .iter()
        .map(|f| file_name(Path::new(f).parent().unwrap()))
        .collect();
    assert_eq!(linted, expected);
    assert!(
        !rules.iter().any(|r| r == "concurrent-in-transaction"),
        "{rules:?}"
    );
}

#[test]
fn goose_sections_markers_and_numeric_order() {
    let c = load("goose-sections");
    assert_eq!(c.layout, Layout::Goose);
    // goose's version is the number before the first `_` (NumericComponent: ParseInt), and
    // migrations run in increasing version.
    assert_eq!(
        ids(&c),
        [
            "00001_create_members",
            "00002_members_handle_lower",
            "00010_index_members_handle",
            "20230101120000_add_members_bio",
        ]
    );
    let first = &c.migrations[0];
    assert_eq!(first.sections, Some(Markers::Goose));
    let up = first.up_text().unwrap();
    assert!(up.starts_with("CREATE TABLE members"), "{up}");
    assert!(!up.contains("DROP TABLE"));
    assert_eq!(
        first.down_text().unwrap().as_deref().map(str::trim),
        Some("DROP TABLE members;")
    );
    // StatementBegin / StatementEnd stay in the up section for the splitter.
    assert!(c.migrations[1]
        .up_text()
        .unwrap()
        .starts_with("-- +goose StatementBegin\n"));
    // NO TRANSACTION.
    let transaction: Vec<Option<bool>> = c.migrations.iter().map(|m| m.meta.transaction).collect();
    assert_eq!(transaction, [None, None, Some(false), None]);
    // No Down section: no down script.
    assert!(c.migrations[3].down.is_none());
    // The Go migration is reported, not read.
    assert_eq!(c.skipped.len(), 1);
    assert!(c.skipped[0].path.ends_with("00003_backfill_members.go"));
    assert!(
        c.skipped[0].reason.contains("Go migration"),
        "{}",
        c.skipped[0].reason
    );

    // lint: the Down sections are not linted (no drop-table), NO TRANSACTION is honoured,
    // and the .go file is a note.
    let (code, files, rules, stderr) =
        lint_json("goose-sections/migrations", &["--assume-in-transaction"]);
    assert_eq!(code, Some(0), "{rules:?}");
    assert_eq!(files.len(), 4);
    for rule in ["drop-table", "concurrent-in-transaction"] {
        assert!(!rules.iter().any(|r| r == rule), "{rules:?}");
    }
    assert!(
        stderr.contains("00003_backfill_members.go is not a migration (a Go migration: not SQL)"),
        "{stderr}"
    );
}

#[test]
fn ory_pop_reads_the_dialects_scripts_and_the_shared_ones() {
    let dir = "pop-engines/migrations";
    // Which scripts run depends on the engine: without a dialect, an error that says so.
    let out = bellows(&scenario(""), &["catalog", "list", "--dir", dir]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("dialect"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (code, files, _, stderr) = lint_json(dir, &["--dialect", "postgres"]);
    assert_eq!(code, Some(0), "{stderr}");
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "20200101000001000000_networks.postgres.up.sql",
            "20200101000002000000_network_names.up.sql",
            "20200101000003000000_networks_created_at.postgres.autocommit.up.sql",
        ]
    );
    assert!(
        stderr.contains("ory/pop scripts not for postgres: 2 for mysql, 1 for sqlite3, 1 shared by every engine that postgres overrides; they are not read"),
        "{stderr}"
    );

    let (_, files, rules, _) = lint_json(dir, &["--dialect", "mysql"]);
    assert!(files[0].ends_with("_networks.mysql.up.sql"), "{files:?}");
    assert!(
        files[2].ends_with("_networks_created_at.autocommit.up.sql"),
        "{files:?}"
    );
    assert!(!rules.iter().any(|r| r == "syntax-error"), "{rules:?}");

    // The catalog gives each migration its id, and `.autocommit` runs outside a transaction.
    let c = bellows::catalog::layout::Catalog::load_for(
        &scenario(dir),
        Some(bellows::dialect::Dialect::Postgres),
    )
    .unwrap();
    assert_eq!(
        ids(&c),
        [
            "20200101000001000000_networks",
            "20200101000002000000_network_names",
            "20200101000003000000_networks_created_at"
        ]
    );
    assert_eq!(c.migrations[2].meta.transaction, Some(false));
    assert!(c.migrations[0].down.is_some());
}

#[test]
fn sqitch_follows_the_plan_with_dependencies_reverts_and_verifies() {
    use bellows::catalog::analysis::analyze;
    use bellows::dialect::Dialect;
    use bellows::graph::{EdgeKind, Graph, GraphInput};
    use bellows::lint::LintSettings;

    let c = load("sqitch-plan");
    assert_eq!(c.layout, Layout::Sqitch);
    // sqitch.plan order, not the alphabetical order of deploy/.
    assert_eq!(ids(&c), ["authors", "shelves", "books@v1.0", "books"]);
    let names = |f: fn(&bellows::catalog::layout::Migration) -> Option<&PathBuf>| -> Vec<String> {
        c.migrations
            .iter()
            .map(|m| f(m).map(|p| file_name(p)).unwrap_or_default())
            .collect()
    };
    assert_eq!(
        names(|m| Some(&m.up)),
        ["authors.sql", "shelves.sql", "books@v1.0.sql", "books.sql"]
    );
    assert!(c
        .migrations
        .iter()
        .all(|m| m.up.parent().unwrap().ends_with("deploy")));
    // revert/ scripts are the rollbacks, verify/ scripts the verifies.
    assert_eq!(
        names(|m| m.down.as_ref()),
        ["authors.sql", "shelves.sql", "books@v1.0.sql", "books.sql"]
    );
    assert!(c.migrations.iter().all(|m| m
        .down
        .as_ref()
        .unwrap()
        .parent()
        .unwrap()
        .ends_with("revert")));
    assert!(c.migrations.iter().all(|m| m
        .verify
        .as_ref()
        .unwrap()
        .parent()
        .unwrap()
        .ends_with("verify")));
    // [deps]: in-project dependencies, conflicts (`!x`) left out; the note is the purpose.
    let requires: Vec<Vec<String>> = c
        .migrations
        .iter()
        .map(|m| m.meta.requires.clone())
        .collect();
    assert_eq!(
        requires,
        [
            vec![],
            vec!["authors".to_owned()],
            vec!["shelves".to_owned(), "authors".to_owned()],
            vec!["books@v1.0".to_owned()],
        ]
    );
    assert_eq!(
        c.migrations[1].meta.purpose.as_deref(),
        Some("Shelves, each kept by an author.")
    );
    // A deploy script the plan does not name is a note.
    assert_eq!(c.skipped.len(), 1);
    assert!(c.skipped[0].path.ends_with("deploy/loans_draft.sql"));

    // The plan's dependencies are `requires` edges of the graph.
    let analysis = analyze(&c, &LintSettings::new(Dialect::Postgres)).unwrap();
    let graph = Graph::build(GraphInput {
        migrations: analysis.nodes,
        releases: vec![],
    })
    .unwrap();
    let requires_of = |id: &str| -> Vec<String> {
        graph
            .dependencies_of(id)
            .unwrap()
            .iter()
            .filter(|d| d.kind == EdgeKind::Requires)
            .map(|d| d.on.id().to_owned())
            .collect()
    };
    assert_eq!(requires_of("shelves"), ["authors"]);
    assert_eq!(requires_of("books@v1.0"), ["authors", "shelves"]);
    assert_eq!(requires_of("books"), ["books@v1.0"]);

    // lint reads the deploy scripts only, in plan order.
    let (code, files, _, stderr) = lint_json("sqitch-plan/migrations", &[]);
    assert_ne!(code, Some(2));
    let linted: Vec<String> = files.iter().map(|f| file_name(Path::new(f))).collect();
    assert_eq!(
        linted,
        ["authors.sql", "shelves.sql", "books@v1.0.sql", "books.sql"]
    );
    assert!(
        stderr.contains("loans_draft.sql is not a migration"),
        "{stderr}"
    );
}

#[test]
fn prisma_migrations_are_in_the_catalog() {
    let c = load("prisma-lock");
    assert_eq!(c.layout, Layout::Prisma);
    assert_eq!(ids(&c), ["20240101000000_init", "20240215093000_add_posts"]);
    assert!(c
        .migrations
        .iter()
        .all(|m| file_name(&m.up) == "migration.sql" && m.down.is_none()));
    // migration_lock.toml belongs to the layout: no note.
    assert!(c.skipped.is_empty());
    let (ups, value, _) = list_json("prisma-lock/migrations");
    assert_eq!(value["layout"], "prisma");
    let (_, files, _, _) = lint_json("prisma-lock/migrations", &[]);
    assert_eq!(files, ups);
}

#[test]
fn ruby_migrations_are_no_sql_migrations() {
    let expected = [
        "no SQL migrations found",
        "2 .rb files",
        "Ruby migrations are not SQL; bellows reads SQL migrations",
    ];
    let (code, _, _, stderr) = lint_json("rails-ruby/migrations", &[]);
    assert_eq!(code, Some(2), "{stderr}");
    // The report wraps at spaces; read it as one line.
    let stderr = stderr
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for text in expected {
        assert!(stderr.contains(text), "{text}: {stderr}");
    }
    let out = bellows(
        &scenario(""),
        &["catalog", "check", "--dir", "rails-ruby/migrations"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 .rb files"), "{stderr}");

    // An empty directory lints as an error too; the catalog of one is empty.
    let tmp = tempfile::tempdir().unwrap();
    let out = bellows(tmp.path(), &["lint", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the directory is empty"));
}

#[test]
fn a_stray_seed_file_is_a_note_for_lint_and_catalog_alike() {
    let (ups, value, list_err) = list_json("seed-stray/migrations");
    let (code, files, _, lint_err) = lint_json("seed-stray/migrations", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(files, ups);
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| !f.ends_with("seed.sql")));
    for stderr in [&list_err, &lint_err] {
        assert!(stderr.contains("seed.sql is not a migration"), "{stderr}");
    }
    assert_eq!(value["not_migrations"].as_array().unwrap().len(), 1);
    assert!(value["not_migrations"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("seed.sql"));
}

#[test]
fn lint_and_catalog_agree_on_every_layout() {
    for name in [
        "native",
        "single-file",
        "sqlx",
        "flyway",
        "dbmate",
        "diesel-dates",
        "goose-sections",
        "prisma-lock",
        "sqitch-plan",
        "seed-stray",
    ] {
        let dir = format!("{name}/migrations");
        let (mut ups, value, _) = list_json(&dir);
        // Flyway's repeatable scripts are linted after the versioned migrations.
        ups.extend(
            value["repeatables"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned()),
        );
        let (code, files, _, stderr) = lint_json(&dir, &[]);
        assert_ne!(code, Some(2), "{name}: {stderr}");
        assert_eq!(files, ups, "{name}");
    }
}
