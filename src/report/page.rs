//! Rule pages: `rules/<name>.md` and `bellows explain RULE` come from this one renderer.

use super::{render_finding, TextOptions};
use crate::dialect::{Dialect, EngineVersion};
use crate::lint::{lint_inputs, FileOptions, LintSettings};
use crate::rules::{Dialects, Rule, RuleSet, RULES};
use crate::source::SourceFile;
use std::fmt::Write as _;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}

/// The text of a fixture of `rule`, if it has one.
pub fn fixture(rule: &str, file: &str) -> Option<&'static str> {
    embedded::FIXTURES
        .iter()
        .find(|(r, f, _)| *r == rule && *f == file)
        .map(|(_, _, text)| *text)
}

const PAGE_WIDTH: usize = 100;

/// Renders the Markdown page of one rule.
pub fn rule_page(rule: &dyn Rule) -> String {
    let m = rule.meta();
    let mut page = String::new();
    let _ = writeln!(page, "# {}\n", m.name);
    let _ = writeln!(page, "{}\n", capitalise(m.summary));
    let _ = writeln!(page, "| | |\n| --- | --- |");
    let _ = writeln!(page, "| Severity | {} |", m.severity);
    let _ = writeln!(page, "| Category | {} |", m.category.as_str());
    let _ = writeln!(page, "| Dialects | {} |", m.dialects.names().join(", "));
    let _ = writeln!(page, "| Phase concern | {} |", m.concern.as_str());
    let _ = writeln!(
        page,
        "| Enabled by default | {} |\n",
        if m.enabled_by_default {
            "yes"
        } else {
            "no (opt-in: `--extend-select`)"
        }
    );
    page.push_str(&docs_markdown(m.docs));
    if crate::rewrite::RULES.contains(&m.name) {
        let _ = writeln!(
            page,
            "\n## Rewrite\n`bellows rewrite <migration>` replaces a migration that does this with the expand / backfill / contract migrations that make the same change safely: see [docs/rewrite.md](../docs/rewrite.md)."
        );
    }
    let dialects: &[(Dialect, &str)] = match m.dialects {
        Dialects::Postgres => &[(Dialect::Postgres, "")],
        Dialects::Mysql => &[(Dialect::Mysql, "")],
        Dialects::Both => &[(Dialect::Postgres, ""), (Dialect::Mysql, ".mysql")],
    };
    for (dialect, suffix) in dialects {
        let (Some(bad), Some(good)) = (
            fixture(m.name, &format!("bad{suffix}.sql")),
            fixture(m.name, &format!("good{suffix}.sql")),
        ) else {
            continue;
        };
        let title = match (m.dialects, dialect) {
            (Dialects::Both, Dialect::Postgres) => "## Example (PostgreSQL)",
            (Dialects::Both, Dialect::Mysql) => "## Example (MySQL / MariaDB)",
            _ => "## Example",
        };
        let _ = writeln!(page, "\n{title}\n");
        let setup = fixture(m.name, &format!("setup{suffix}.sql"));
        if let Some(setup) = setup {
            let _ = writeln!(
                page,
                "Given an earlier migration:\n\n```sql\n{}\n```\n",
                setup.trim_end()
            );
        }
        let _ = writeln!(page, "```sql\n{}\n```\n", bad.trim_end());
        let _ = writeln!(
            page,
            "bellows reports:\n\n```text\n{}\n```\n",
            lint_example(m.name, *dialect, setup, bad).trim_end()
        );
        let _ = writeln!(page, "The safe way:\n\n```sql\n{}\n```", good.trim_end());
    }
    page
}

/// The settings a rule's fixture is linted with: only `rule` enabled, plus the options of
/// a first line `-- fixture: engine-version=V assume-in-transaction runner-lock-timeout
/// also=RULE,…`.
pub fn fixture_settings(rule: &str, dialect: Dialect, text: &str) -> Result<LintSettings, String> {
    let mut settings = LintSettings::new(dialect);
    let mut rules = RuleSet::default_rules();
    rules
        .select_only(&[rule.to_owned()])
        .map_err(|e| e.to_string())?;
    settings.rules = rules;
    let options = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("-- fixture:"))
        .unwrap_or("");
    for opt in options.split_whitespace() {
        match opt.split_once('=') {
            Some(("engine-version", v)) => settings.version = EngineVersion::parse(v, dialect)?,
            Some(("also", names)) => {
                let names: Vec<String> = names.split(',').map(str::to_owned).collect();
                settings.rules.extend(&names).map_err(|e| e.to_string())?;
            }
            None if opt == "assume-in-transaction" => settings.assume_in_transaction = true,
            None if opt == "runner-lock-timeout" => settings.runner_sets_lock_timeout = true,
            // A file option: see `fixture_file_options`.
            Some(("edited-since" | "declared-phase", _)) => {}
            _ => return Err(format!("unknown fixture option `{opt}`")),
        }
    }
    Ok(settings)
}

/// The per-file options of a fixture: `edited-since=REV` on its first line stands for what
/// `--changed-since` learns from git, `declared-phase=P` for a `migration.toml` phase.
pub fn fixture_file_options(text: &str) -> FileOptions {
    let edited_since = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("-- fixture:"))
        .and_then(|opts| {
            opts.split_whitespace()
                .find_map(|o| o.strip_prefix("edited-since="))
        })
        .map(str::to_owned);
    let declared_phase = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("-- fixture:"))
        .and_then(|opts| {
            opts.split_whitespace()
                .find_map(|o| o.strip_prefix("declared-phase="))
        })
        .and_then(crate::classify::phase::Phase::parse);
    FileOptions {
        edited_since,
        declared_phase,
        ..FileOptions::default()
    }
}

/// The diagnostics of a fixture, as `bellows lint` prints them without colour.
fn lint_example(rule: &str, dialect: Dialect, setup: Option<&str>, bad: &str) -> String {
    let Ok(settings) = fixture_settings(rule, dialect, bad) else {
        return String::new();
    };
    let mut inputs = Vec::new();
    if let Some(setup) = setup {
        inputs.push((
            SourceFile::new("earlier.sql", setup),
            FileOptions::default(),
        ));
    }
    inputs.push((
        SourceFile::new("migration.sql", bad),
        fixture_file_options(bad),
    ));
    let results = lint_inputs(inputs, &settings);
    let Some(last) = results.last() else {
        return String::new();
    };
    let opts = TextOptions {
        color: false,
        width: PAGE_WIDTH,
    };
    last.findings
        .iter()
        .map(|f| render_finding(&last.source, f, opts))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The doc comment's Markdown with the one-space indent rustdoc leaves removed.
fn docs_markdown(docs: &str) -> String {
    let mut out = String::new();
    for line in docs.lines() {
        out.push_str(line.strip_prefix(' ').unwrap_or(line));
        out.push('\n');
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str() + ".",
        None => String::new(),
    }
}

/// The index page `rules/README.md`.
pub fn rules_index() -> String {
    let mut out = String::from(
        "# Rules\n\nEvery rule bellows knows. Generated from the code: run\n`BELLOWS_UPDATE_PAGES=1 cargo test --test rule_pages` after changing a rule.\n\n| rule | severity | dialects | phase | default | summary |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in RULES {
        let m = r.meta();
        let _ = writeln!(
            out,
            "| [{0}]({0}.md) | {1} | {2} | {3} | {4} | {5} |",
            m.name,
            m.severity,
            m.dialects.names().join(", "),
            m.concern.as_str(),
            if m.enabled_by_default { "on" } else { "opt-in" },
            m.summary
        );
    }
    out
}
