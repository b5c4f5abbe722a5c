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

/// The HTML report of an example, with a measuring script added (the page itself has
/// none), rendered by headless Chromium at a window size; returns what the script measured.
fn measure_graph(example_dir: &str, window: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args([
            "catalog",
            "report",
            "--dir",
            "migrations",
            "--format",
            "html",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(example_dir))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    let script = r#"<script>
(() => {
  const svg = document.querySelector('.graph > svg');
  const r = svg.getBoundingClientRect();
  const labels = [...svg.querySelectorAll('text')].filter(t => !t.closest('g.node'));
  const boxes = labels.map(t => t.getBoundingClientRect());
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps++;
    }
  const legend = document.getElementById('graph-legend');
  const pre = document.createElement('pre');
  pre.id = 'measured';
  pre.textContent = JSON.stringify({
    left: r.left, right: r.right, width: r.width, height: r.height,
    viewport: document.documentElement.clientWidth,
    pageWidth: document.documentElement.scrollWidth,
    labels: labels.length, overlaps,
    legend: legend ? [...legend.querySelectorAll('.edge-key')].map(k => k.dataset.kind) : null,
    edges: svg.querySelectorAll('polyline.edge').length,
  });
  document.body.appendChild(pre);
})();
</script></body>"#;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html.replace("</body>", script)).unwrap();
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
        .arg(format!("--window-size={window}"))
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let json = dom
        .split_once("<pre id=\"measured\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .unwrap_or_else(|| panic!("no measurement in the DOM: {dom}"))
        .0
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    serde_json::from_str(&json).unwrap()
}

#[test]
fn html_graph_fits_the_page_has_a_legend_and_no_overlapping_labels() {
    for example in ["examples/postgres-safe", "examples/postgres-unsafe"] {
        for window in ["1280,900", "390,844"] {
            let m = measure_graph(example, window);
            let what = format!("{example} at {window}: {m}");
            let num = |k: &str| m[k].as_f64().unwrap();
            assert!(num("width") > 0.0 && num("height") > 0.0, "{what}");
            assert!(num("left") >= 0.0, "{what}");
            assert!(
                num("right") <= num("viewport") + 0.5,
                "the graph fits: {what}"
            );
            assert!(
                num("pageWidth") <= num("viewport") + 0.5,
                "no sideways scroll: {what}"
            );
            assert!(m["edges"].as_u64().unwrap() > 0, "{what}");
            // Edge kinds are strokes named in the legend, not labels on the edges.
            assert_eq!(m["labels"], 0, "{what}");
            assert_eq!(m["overlaps"], 0, "{what}");
            let legend: Vec<&str> = m["legend"]
                .as_array()
                .unwrap_or_else(|| panic!("no legend: {what}"))
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            assert_eq!(
                legend,
                [
                    "requires",
                    "replaces",
                    "implied",
                    "release-needs",
                    "retire-before"
                ],
                "{what}"
            );
        }
    }
}

#[test]
fn html_findings_are_split_and_code_spans_are_code() {
    let out = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args([
            "catalog",
            "report",
            "--dir",
            "migrations",
            "--format",
            "html",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/postgres-unsafe"))
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(
        html.contains("<summary>2 errors, 1 warning</summary>"),
        "{html}"
    );
    assert!(html.contains("<div class=\"errors\"><strong>Errors</strong>"));
    assert!(html.contains("<div class=\"warnings\"><strong>Warnings</strong>"));
    assert!(html.contains("<code>users.uuid</code>"), "{html}");
    assert!(!html.contains("`users.uuid`"), "no raw backticks: {html}");
}
