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
