//! Sqitch projects: `sqitch.plan` with `deploy/`, `revert/` and `verify/` scripts.
//!
//! Owns reading the plan (`%pragma` lines, `change [deps] timestamp planner <email> # note`,
//! `@tag` lines, comments) into migrations in plan order: the deploy script is the up
//! script, the revert script the down script, the verify script the verify script, the
//! plan's dependencies are `requires` and its note is the purpose. A change planned again
//! after a tag (`sqitch rework`) keeps its earlier scripts as `deploy/<name>@<tag>.sql`;
//! that earlier instance is the migration `<name>@<tag>`.

use super::layout::{CatalogError, Migration, Skipped};
use super::MigrationMeta;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The plan file's name.
pub const PLAN: &str = "sqitch.plan";

/// The script directories, each with the role its scripts play.
const SCRIPT_DIRS: [&str; 3] = ["deploy", "revert", "verify"];

/// One change line of the plan, with the tags that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    name: String,
    line: usize,
    deps: Vec<String>,
    note: Option<String>,
    tags: Vec<String>,
}

#[derive(Debug, Default)]
struct Plan {
    project: Option<String>,
    changes: Vec<Change>,
}

fn plan_error(path: &Path, line: usize, message: impl Into<String>) -> CatalogError {
    CatalogError::Plan {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn parse(path: &Path, text: &str) -> Result<Plan, CatalogError> {
    let mut plan = Plan::default();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(pragma) = line.strip_prefix('%') {
            if let Some((key, value)) = pragma.split_once('=') {
                if key.trim() == "project" {
                    plan.project = Some(value.trim().to_owned());
                }
            }
            continue;
        }
        if let Some(tag) = line.strip_prefix('@') {
            let name = tag.split_whitespace().next().unwrap_or_default();
            let Some(change) = plan.changes.last_mut() else {
                return Err(plan_error(
                    path,
                    line_no,
                    format!("tag @{name} comes before any change"),
                ));
            };
            change.tags.push(name.to_owned());
            continue;
        }
        plan.changes.push(change_line(path, line_no, line)?);
    }
    Ok(plan)
}

/// `name [dep1 dep2 !conflict] 2024-01-02T03:04:05Z Planner Name <a@example.com> # note`
fn change_line(path: &Path, line_no: usize, line: &str) -> Result<Change, CatalogError> {
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let name = match name.strip_prefix('+') {
        Some(n) => n,
        None if name.starts_with('-') => {
            return Err(plan_error(
                path,
                line_no,
                format!(
                    "`{name}`: revert entries in the plan are not read; rework the change instead"
                ),
            ))
        }
        None => name,
    };
    if name.is_empty() {
        return Err(plan_error(path, line_no, "a change line without a name"));
    }
    let mut rest = rest.trim_start();
    let mut deps = Vec::new();
    if let Some(inner) = rest.strip_prefix('[') {
        let Some((list, after)) = inner.split_once(']') else {
            return Err(plan_error(
                path,
                line_no,
                format!("the dependencies of {name} have no closing `]`"),
            ));
        };
        deps = list.split_whitespace().map(str::to_owned).collect();
        rest = after;
    }
    // The note follows the planner's `<email>`.
    let after_email = rest.rfind('>').map_or(rest, |at| &rest[at + 1..]);
    let note = after_email
        .split_once('#')
        .map(|(_, n)| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    Ok(Change {
        name: name.to_owned(),
        line: line_no,
        deps,
        note,
        tags: Vec::new(),
    })
}

/// One planned instance of a change: its migration id and the suffix of its script names.
struct Instance {
    id: String,
    script: String,
}

/// Ids and script names: the last instance of a change is `<name>`; an earlier (reworked)
/// one is `<name>@<tag>`, with the first tag between it and the next instance whose deploy
/// script exists (or, when none does, the first tag).
fn instances(root: &Path, plan_path: &Path, plan: &Plan) -> Result<Vec<Instance>, CatalogError> {
    let mut out = Vec::with_capacity(plan.changes.len());
    for (i, change) in plan.changes.iter().enumerate() {
        let next = plan.changes[i + 1..]
            .iter()
            .position(|c| c.name == change.name)
            .map(|p| i + 1 + p);
        let Some(next) = next else {
            out.push(Instance {
                id: change.name.clone(),
                script: change.name.clone(),
            });
            continue;
        };
        let tags: Vec<&String> = plan.changes[i..next].iter().flat_map(|c| &c.tags).collect();
        let Some(first) = tags.first() else {
            return Err(plan_error(
                plan_path,
                plan.changes[next].line,
                format!(
                    "{} is planned again without a tag since line {}",
                    change.name, change.line
                ),
            ));
        };
        let chosen = tags
            .iter()
            .find(|t| script_path(root, "deploy", &format!("{}@{t}", change.name)).is_file())
            .unwrap_or(first);
        let id = format!("{}@{chosen}", change.name);
        out.push(Instance {
            script: id.clone(),
            id,
        });
    }
    Ok(out)
}

fn script_path(root: &Path, dir: &str, script: &str) -> PathBuf {
    // Not `set_extension`: `books@v1.0` has a dot of its own.
    let mut path = root.join(dir);
    for part in script.split('/') {
        path.push(part);
    }
    let mut name = path.into_os_string();
    name.push(".sql");
    PathBuf::from(name)
}

/// The migration id a dependency of change `at` names, or `None` for a conflict (`!x`) or
/// a change of another project (`other:x`). A name the plan does not have is kept as it
/// is, so the graph reports it as a missing dependency.
fn resolve(dep: &str, at: usize, plan: &Plan, ids: &[Instance]) -> Option<String> {
    if dep.starts_with('!') {
        return None;
    }
    let dep = match dep.split_once(':') {
        Some((project, name)) if plan.project.as_deref() == Some(project) => name,
        Some(_) => return None,
        None => dep,
    };
    let (name, tag) = match dep.split_once('@') {
        Some((n, t)) => (n, Some(t)),
        None => (dep, None),
    };
    let earlier = || plan.changes[..at].iter().enumerate().rev();
    let found = match (name, tag) {
        // `@tag`: the change the tag follows.
        ("", Some(tag)) => earlier()
            .find(|(_, c)| c.tags.iter().any(|t| t == tag))
            .map(|(i, _)| i),
        // `name@tag`: the instance of name current at the tag.
        (name, Some(tag)) => {
            let tag_at = earlier()
                .find(|(_, c)| c.tags.iter().any(|t| t == tag))
                .map_or(at, |(i, _)| i + 1);
            plan.changes[..tag_at].iter().rposition(|c| c.name == name)
        }
        // `name`: its latest instance before this change.
        (name, None) => earlier().find(|(_, c)| c.name == name).map(|(i, _)| i),
    };
    Some(found.map_or_else(|| dep.to_owned(), |i| ids[i].id.clone()))
}

/// Reads a Sqitch project rooted at `root` (the directory holding `sqitch.plan`): its
/// migrations in plan order, and the `.sql` files the plan does not use.
pub(super) fn load(root: &Path) -> Result<(Vec<Migration>, Vec<Skipped>), CatalogError> {
    let plan_path = root.join(PLAN);
    let text = std::fs::read_to_string(&plan_path).map_err(|source| CatalogError::Read {
        path: plan_path.clone(),
        source,
    })?;
    let plan = parse(&plan_path, text.strip_prefix('\u{feff}').unwrap_or(&text))?;
    let ids = instances(root, &plan_path, &plan)?;
    let width = plan.changes.len().to_string().len();
    let mut migrations = Vec::with_capacity(plan.changes.len());
    let mut used: HashSet<PathBuf> = HashSet::new();
    for (i, (change, instance)) in plan.changes.iter().zip(&ids).enumerate() {
        let up = script_path(root, "deploy", &instance.script);
        if !up.is_file() {
            return Err(plan_error(
                &plan_path,
                change.line,
                format!(
                    "change {} has no deploy script {}",
                    instance.id,
                    up.display()
                ),
            ));
        }
        let optional = |dir: &str| {
            let p = script_path(root, dir, &instance.script);
            p.is_file().then_some(p)
        };
        let (down, verify) = (optional("revert"), optional("verify"));
        used.insert(up.clone());
        used.extend(down.iter().cloned());
        used.extend(verify.iter().cloned());
        let mut requires: Vec<String> = Vec::new();
        for dep in &change.deps {
            if let Some(id) = resolve(dep, i, &plan, &ids) {
                if !requires.contains(&id) {
                    requires.push(id);
                }
            }
        }
        migrations.push(Migration {
            id: instance.id.clone(),
            version: format!("{:0width$}", i + 1),
            name: change.name.clone(),
            up,
            down,
            verify,
            meta: MigrationMeta {
                requires,
                purpose: change.note.clone(),
                ..MigrationMeta::default()
            },
            meta_file: None,
            sections: None,
        });
    }
    let mut skipped = Vec::new();
    for dir in SCRIPT_DIRS {
        let mut files = Vec::new();
        sql_files(&root.join(dir), &mut files);
        for path in files {
            if !used.contains(&path) {
                skipped.push(Skipped {
                    path,
                    reason: format!("{PLAN} plans no change that uses it"),
                    group: false,
                });
            }
        }
    }
    Ok((migrations, skipped))
}

/// Every `.sql` file under `dir`, recursively (none when it does not exist).
fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            sql_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
        {
            out.push(path);
        }
    }
}

/// The names of the script directories: they belong to the layout, not notes.
pub(super) fn is_script_dir(name: &str) -> bool {
    SCRIPT_DIRS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN_TEXT: &str = "%syntax-version=1.0.0\n%project=shop\n%uri=https://example.com/shop/\n\n\
        appschema 2024-01-01T10:00:00Z Ann Planner <ann@example.com> # Add schema.\n\
        users [appschema] 2024-01-02T10:00:00Z Ann Planner <ann@example.com> # Creates #users.\n\
        @v1.0 2024-01-03T10:00:00Z Ann Planner <ann@example.com> # Tag v1.0.\n\
        \n# a comment\n\
        orders [users !legacy_orders other:accounts] 2024-01-04T10:00:00Z Bob <bob@example.com>\n\
        users [users@v1.0 @v1.0] 2024-01-05T10:00:00Z Ann Planner <ann@example.com> # Rework users.\n";

    #[test]
    fn parses_pragmas_changes_tags_and_notes() {
        let plan = parse(Path::new("sqitch.plan"), PLAN_TEXT).unwrap();
        assert_eq!(plan.project.as_deref(), Some("shop"));
        let names: Vec<&str> = plan.changes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["appschema", "users", "orders", "users"]);
        assert_eq!(plan.changes[1].tags, ["v1.0"]);
        assert_eq!(plan.changes[1].note.as_deref(), Some("Creates #users."));
        assert_eq!(
            plan.changes[2].deps,
            ["users", "!legacy_orders", "other:accounts"]
        );
        assert_eq!(plan.changes[2].note, None);
        assert_eq!(plan.changes[2].line, 10);
    }

    #[test]
    fn resolves_dependencies_to_instances() {
        let dir = tempfile::tempdir().unwrap();
        let plan = parse(Path::new("sqitch.plan"), PLAN_TEXT).unwrap();
        let ids = instances(dir.path(), Path::new("sqitch.plan"), &plan).unwrap();
        let id: Vec<&str> = ids.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(id, ["appschema", "users@v1.0", "orders", "users"]);
        let r = |dep: &str, at: usize| resolve(dep, at, &plan, &ids);
        assert_eq!(r("users", 2).as_deref(), Some("users@v1.0"));
        assert_eq!(r("!legacy_orders", 2), None);
        assert_eq!(r("other:accounts", 2), None);
        assert_eq!(r("shop:appschema", 2).as_deref(), Some("appschema"));
        assert_eq!(r("users@v1.0", 3).as_deref(), Some("users@v1.0"));
        assert_eq!(r("@v1.0", 3).as_deref(), Some("users@v1.0"));
        assert_eq!(r("nowhere", 3).as_deref(), Some("nowhere"));
    }

    #[test]
    fn errors_name_the_line() {
        let path = Path::new("sqitch.plan");
        let err = parse(path, "@v1 2024-01-01T00:00:00Z A <a@b>\n").unwrap_err();
        assert!(err.to_string().contains("sqitch.plan:1"), "{err}");
        let err = parse(path, "\n\na [b 2024-01-01T00:00:00Z A <a@b>\n").unwrap_err();
        assert!(err.to_string().contains("sqitch.plan:3"), "{err}");
        let plan = parse(
            path,
            "a 2024-01-01T00:00:00Z A <a@b>\na 2024-01-02T00:00:00Z A <a@b>\n",
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let err = instances(dir.path(), path, &plan).err().unwrap();
        assert!(err.to_string().contains("without a tag"), "{err}");
    }
}
