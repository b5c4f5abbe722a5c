//! `rules/<name>.md` must be exactly what the renderer produces (the same text as
//! `bellows explain <name>`). Regenerate with:
//!
//!     BELLOWS_UPDATE_PAGES=1 cargo test --test rule_pages

use bellows::report::page::{rule_page, rules_index};
use bellows::rules::RULES;
use std::path::Path;

#[test]
fn rule_pages_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let update = std::env::var_os("BELLOWS_UPDATE_PAGES").is_some();
    let mut expected: Vec<(String, String)> = RULES
        .iter()
        .map(|r| (format!("{}.md", r.meta().name), rule_page(*r)))
        .collect();
    expected.push(("README.md".to_owned(), rules_index()));
    let mut stale = Vec::new();
    for (file, text) in &expected {
        let path = dir.join(file);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != *text {
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, text).unwrap();
            } else {
                stale.push(file.clone());
            }
        }
    }
    // Pages of rules that no longer exist.
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && !expected.iter().any(|(f, _)| *f == name) {
            if update {
                std::fs::remove_file(entry.path()).unwrap();
            } else {
                stale.push(format!("{name} (orphaned)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "rules/ is stale: {stale:?}\nregenerate with `BELLOWS_UPDATE_PAGES=1 cargo test --test rule_pages`"
    );
}
