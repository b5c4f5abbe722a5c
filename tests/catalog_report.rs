//! `bellows catalog report` on examples/postgres-safe in every format; the HTML page is
//! opened in headless Chromium (scripts/test.sh installs Debian's `chromium`; without it
//! the HTML test fails rather than skips).

use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/postgres-safe")
}

fn report(format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args([
            "catalog",
            "report",
            "--dir",
            "migrations",
            "--format",
            format,
        ])
        .current_dir(example())
        .output()
        .expect("run bellows");
    assert!(
        out.status.success(),
        "bellows catalog report --format {format} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 report")
}

const IDS: [&str; 13] = [
    "0001_create_accounts",
    "0002_create_users",
    "0003_create_orders",
    "0004_add_orders_currency_and_note",
    "0005_index_orders_placed_by_user_id",
    "0006_add_orders_placed_by_user_fk",
    "0007_validate_orders_placed_by_user_fk",
    "0008_add_users_display_name",
    "0009_backfill_users_display_name",
    "0010_drop_users_name",
    "0011_index_users_email_unique",
    "0012_add_users_email_constraints",
    "0013_require_users_email",
];

#[test]
fn json_report_has_migrations_matrix_and_graph() {
    let v: serde_json::Value = serde_json::from_str(&report("json")).expect("valid JSON");
    assert_eq!(v["catalog"]["root"], "migrations");
    assert_eq!(v["catalog"]["layout"], "native");

    let migrations = v["migrations"].as_array().expect("migrations");
    assert_eq!(migrations.len(), 13);
    let ids: Vec<&str> = migrations
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, IDS);
    let first = &migrations[0];
    assert_eq!(first["phase"], "expand");
    assert_eq!(first["owner"], "platform-team");
    assert!(first["purpose"].as_str().unwrap().starts_with("Accounts"));
    assert_eq!(first["requires"], serde_json::json!([]));
    assert_eq!(first["findings"], serde_json::json!([]));
    // examples/postgres-safe/bellows.sum holds the proofs `migrate verify` wrote.
    assert_eq!(first["rollback"], "verified");
    assert_eq!(
        migrations[1]["requires"],
        serde_json::json!(["0001_create_accounts"])
    );
    assert_eq!(migrations[9]["phase"], "contract");
    assert_eq!(migrations[8]["phase"], "backfill");

    let releases = v["releases"].as_array().expect("releases");
    let versions: Vec<&str> = releases
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2.2.0", "2.3.0", "2.4.0"]);
    let states = releases[0]["states"].as_array().unwrap();
    assert_eq!(states.len(), 13);
    let state = |after: &str| {
        states
            .iter()
            .find(|s| s["after"] == after)
            .unwrap_or_else(|| panic!("no state after {after}"))
    };
    let before_drop = state("0009_backfill_users_display_name");
    assert_eq!(before_drop["compatible"], true);
    assert_eq!(before_drop["problems"], serde_json::json!([]));
    let dropped = state("0010_drop_users_name");
    assert_eq!(dropped["compatible"], false);
    let problems = dropped["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    assert!(problems
        .iter()
        .all(|p| p.as_str().unwrap().contains("users.name")));

    let nodes = v["graph"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 16, "13 migrations and 3 releases");
    assert!(nodes
        .iter()
        .any(|n| n["id"] == "2.2.0" && n["kind"] == "release" && n["retired"] == true));
    let edges = v["graph"]["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["from"] == "0001_create_accounts"
        && e["to"] == "0002_create_users"
        && e["kind"] == "requires"));
    assert!(
        edges.iter().any(|e| e["kind"] == "retire-before"
            && e["from"] == "2.3.0"
            && e["to"] == "0010_drop_users_name"
            && e["object"] == "users.name"),
        "live release 2.3.0 reads users.name: the drop waits for its retirement: {edges:#?}"
    );
}

#[test]
fn markdown_report_has_tables_and_mermaid() {
    let md = report("md");
    assert!(md.contains("| Migration | Phase | Purpose | Owner | Requires | Findings | Rollback |"));
    assert!(md.contains("| After migration | 2.2.0 | 2.3.0 | 2.4.0 |"));
    for id in IDS {
        assert!(md.contains(&format!("| `{id}` |")), "{id} in the tables");
    }
    assert!(md.contains("| `0010_drop_users_name` | ❌ 2 problems |"));
    assert!(md.contains("<details><summary>Release 2.2.0:"));
    assert!(md.contains("```mermaid\nflowchart LR\n"));
    assert!(md.contains("retire-before"));
    assert!(md.trim_end().ends_with("```"));
}

#[test]
fn html_report_is_one_self_contained_page() {
    let html = report("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("<svg"));
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<link"), "no external stylesheets or fonts");
    let without_xmlns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !without_xmlns.contains("http://") && !without_xmlns.contains("https://"),
        "no network references"
    );
    for id in IDS {
        assert!(html.contains(id));
    }
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let html = report("html");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let profile = dir.path().join("profile");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium (scripts/test.sh installs Debian's `chromium`)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<svg"), "the graph is in the rendered DOM");
    assert!(dom.contains("<h1>bellows catalog report</h1>"));
    for id in IDS {
        assert!(dom.contains(id), "{id} is shown");
    }
    assert!(dom.contains("release 2.2.0"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn rollback_is_none_present_or_verified() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&example(), dir.path());
    std::fs::remove_file(
        dir.path()
            .join("migrations/0013_require_users_email/down.sql"),
    )
    .unwrap();
    // The proof of 0008 no longer matches its edited down script; a made-up proof line
    // for 0012 proves nothing.
    let down = dir
        .path()
        .join("migrations/0008_add_users_display_name/down.sql");
    let mut text = std::fs::read_to_string(&down).unwrap();
    text.push_str("-- edited\n");
    std::fs::write(&down, text).unwrap();
    let sum = dir.path().join("bellows.sum");
    let mut text = std::fs::read_to_string(&sum).unwrap();
    text.push_str("proof 0012_add_users_email_constraints postgres-16 ok\n");
    std::fs::write(&sum, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args([
            "catalog",
            "report",
            "--dir",
            "migrations",
            "--format",
            "json",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rollback = |i: usize| v["migrations"][i]["rollback"].clone();
    assert_eq!(rollback(7), "present", "a stale proof does not count");
    assert_eq!(rollback(10), "verified");
    assert_eq!(
        rollback(11),
        "present",
        "a made-up proof line does not count"
    );
    assert_eq!(rollback(12), "none");
}
