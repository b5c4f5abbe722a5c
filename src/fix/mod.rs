//! Mechanical fixes for findings whose safe form is certain.
//!
//! Owns turning a linted file's findings into edits: byte ranges of existing files with
//! their replacement text, plus new files to create (a `VALIDATE CONSTRAINT` migration
//! placed right after the one it follows up). Every edit is computed from the statement
//! spans the parser gives; nothing is reformatted. A fix is refused, with a note saying
//! why, when the safe form is not certain or the migration is already recorded in
//! `bellows.sum`. Applying the edits (or rendering them as a diff) is [`apply`] / [`diff`];
//! `bellows lint --fix` and the language server's code actions both use [`fixes`].
//!
//! Fixes:
//! - `create-index-non-concurrent`: `CREATE INDEX` → `CREATE INDEX CONCURRENTLY`, and the
//!   migration marked to run outside a transaction in its layout's way;
//! - `drop-index-non-concurrent`: `DROP INDEX` → `DROP INDEX CONCURRENTLY`, likewise;
//! - `constraint-without-not-valid`: `NOT VALID` added (and a name when the constraint has
//!   none), its `VALIDATE CONSTRAINT` in a new migration right after;
//! - `lock-timeout-missing`: `SET lock_timeout = '5s';` (PostgreSQL) or
//!   `SET SESSION lock_wait_timeout = 5;` (MySQL/MariaDB) before the statement it names.

pub(crate) mod place;

use crate::catalog::layout::{Catalog, Layout, Migration};
use crate::catalog::sections::Markers;
use crate::classify::op::{ConstraintKind, Name, Op};
use crate::dialect::Dialect;
use crate::lint::{AnalyzedStatement, FileResult};
use crate::rules::Finding;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The rules that have a fix.
pub const FIXABLE: &[&str] = &[
    "create-index-non-concurrent",
    "drop-index-non-concurrent",
    "constraint-without-not-valid",
    "lock-timeout-missing",
];

/// A replacement of a byte range of an existing file (an insertion when the range is
/// empty). Offsets index the file's text with a leading BOM removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub path: PathBuf,
    pub range: Range<usize>,
    pub replacement: String,
}

/// A file the fix creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub path: PathBuf,
    pub text: String,
}

/// The fix of one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub rule: &'static str,
    /// The finding's span in the linted file.
    pub span: Range<usize>,
    /// One line for a code action or a summary: "add CONCURRENTLY …".
    pub title: String,
    pub edits: Vec<Edit>,
    pub create: Vec<NewFile>,
    /// The SQL of the new migration in `create` (`ALTER TABLE … VALIDATE CONSTRAINT …;`).
    pub follow_up: Option<String>,
}

/// A finding of a fixable rule that was left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub path: PathBuf,
    /// 1-based line of the finding.
    pub line: usize,
    pub rule: &'static str,
    pub reason: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} not fixed: {}",
            self.path.display(),
            self.line,
            self.rule,
            self.reason
        )
    }
}

/// The fixes of one file, and the fixable findings left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFixes {
    pub fixes: Vec<Fix>,
    pub notes: Vec<Note>,
}

/// What a fix needs to know about the migrations around a file: the catalog it belongs
/// to (its layout, the migration after it) and the migrations recorded in `bellows.sum`.
#[derive(Debug, Clone, Default)]
pub struct Project {
    pub catalog: Option<Catalog>,
    /// Ids of the migrations `bellows.sum` records: never edited.
    pub summed: HashSet<String>,
}

impl Project {
    /// The catalog `path` (a migrations directory or one migration's file) belongs to, and
    /// the `bellows.sum` beside it (in the directory's parent or in `root`, the directory
    /// of bellows.toml). `dialect` chooses between per-engine scripts (ory/pop's
    /// `….postgres.up.sql`), as lint and the runner read them.
    pub fn load(path: &Path, root: &Path, dialect: Option<Dialect>) -> Project {
        let catalog = if path.is_dir() {
            Catalog::load_for(path, dialect).ok()
        } else {
            // `dir/file.sql`, or `dir/<id>/up.sql`.
            path.ancestors()
                .skip(1)
                .take(2)
                .filter_map(|dir| Catalog::load_for(dir, dialect).ok())
                .find(|c| c.migrations.iter().any(|m| same_file(&m.up, path)))
        };
        let mut summed = HashSet::new();
        let mut places: Vec<PathBuf> = vec![root.join(crate::catalog::sum::FILE_NAME)];
        if let Some(parent) = catalog.as_ref().and_then(|c| c.root.parent()) {
            places.push(parent.join(crate::catalog::sum::FILE_NAME));
        }
        for place in places {
            if let Ok(text) = std::fs::read_to_string(&place) {
                if let Ok(sum) = crate::catalog::sum::SumFile::parse(&text) {
                    summed.extend(sum.entries.into_iter().map(|e| e.id));
                }
            }
        }
        Project { catalog, summed }
    }

    /// The migration whose up script is `path`, with its position in the catalog.
    fn migration(&self, path: &Path) -> Option<(usize, &Migration)> {
        let catalog = self.catalog.as_ref()?;
        catalog
            .migrations
            .iter()
            .enumerate()
            .find(|(_, m)| same_file(&m.up, path))
    }
}

/// The two paths name the same file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

/// The fixes for the findings of one linted file. `result.source.path` names the file on
/// disk; its text is `result.source.text` (an editor's unsaved buffer may differ from the
/// disk).
pub fn fixes(result: &FileResult, project: &Project) -> FileFixes {
    let path = PathBuf::from(&result.source.path);
    let mut out = FileFixes::default();
    let fixable: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| FIXABLE.contains(&f.rule))
        .collect();
    if fixable.is_empty() {
        return out;
    }
    let note = |f: &Finding, reason: String| Note {
        path: path.clone(),
        line: result.source.position(f.span.start).line,
        rule: f.rule,
        reason,
    };
    let found = project.migration(&path);
    if let Some((_, m)) = found {
        if project.summed.contains(&m.id) {
            for f in fixable {
                out.notes.push(note(
                    f,
                    format!(
                        "{} is recorded in bellows.sum: databases may have applied it, so it is never edited; put the change in a new migration",
                        m.id
                    ),
                ));
            }
            return out;
        }
    }
    let cx = Cx {
        result,
        path: &path,
        project,
        found,
    };
    // Markers first, so that a marker and a `SET` inserted at the same offset come in
    // that order.
    let order = |f: &&Finding| FIXABLE.iter().position(|r| *r == f.rule);
    let mut sorted = fixable;
    sorted.sort_by_key(order);
    for f in sorted {
        match cx.fix(f) {
            Ok(fix) => out.fixes.push(fix),
            Err(reason) => out.notes.push(note(f, reason)),
        }
    }
    out
}

/// Like [`fixes`], for applying every fix of the file at once: the VALIDATE statements of
/// several constraints go into one new migration (`…_validate_constraints`) instead of one
/// migration each, which would all take the same version.
pub fn fixes_together(result: &FileResult, project: &Project) -> FileFixes {
    let mut out = fixes(result, project);
    let validating: Vec<usize> = (0..out.fixes.len())
        .filter(|&i| out.fixes[i].follow_up.is_some())
        .collect();
    if validating.len() < 2 {
        return out;
    }
    let path = PathBuf::from(&result.source.path);
    let up: String = validating
        .iter()
        .filter_map(|&i| out.fixes[i].follow_up.clone())
        .collect();
    match place::after(project, project.migration(&path), "constraints", &up) {
        Ok(create) => {
            for (n, &i) in validating.iter().enumerate() {
                out.fixes[i].create = if n == 0 { create.clone() } else { Vec::new() };
            }
        }
        Err(reason) => {
            for &i in validating.iter().rev() {
                let fix = out.fixes.remove(i);
                out.notes.push(Note {
                    path: path.clone(),
                    line: result.source.position(fix.span.start).line,
                    rule: fix.rule,
                    reason: reason.clone(),
                });
            }
        }
    }
    out
}

struct Cx<'a> {
    result: &'a FileResult,
    path: &'a Path,
    project: &'a Project,
    found: Option<(usize, &'a Migration)>,
}

impl Cx<'_> {
    fn text(&self) -> &str {
        &self.result.source.text
    }

    fn statement(&self, f: &Finding) -> Result<&AnalyzedStatement, String> {
        self.result
            .statements
            .iter()
            .find(|s| s.inside.is_none() && s.span == f.span)
            .ok_or_else(|| "the finding is not on one statement of the file".to_owned())
    }

    fn fix(&self, f: &Finding) -> Result<Fix, String> {
        match f.rule {
            "create-index-non-concurrent" => self.concurrently(f, "create"),
            "drop-index-non-concurrent" => self.concurrently(f, "drop"),
            "constraint-without-not-valid" => self.not_valid(f),
            "lock-timeout-missing" => self.lock_timeout(f),
            _ => Err("no fix for this rule".to_owned()),
        }
    }

    fn edit(&self, range: Range<usize>, replacement: impl Into<String>) -> Edit {
        Edit {
            path: self.path.to_path_buf(),
            range,
            replacement: replacement.into(),
        }
    }

    /// `CREATE [UNIQUE] INDEX` / `DROP INDEX` → `… INDEX CONCURRENTLY`, outside a
    /// transaction.
    fn concurrently(&self, f: &Finding, verb: &str) -> Result<Fix, String> {
        if self.result.dialect != Dialect::Postgres {
            return Err("CONCURRENTLY is PostgreSQL's".to_owned());
        }
        let stmt = self.statement(f)?;
        if stmt.ops.len() != 1 {
            return Err("the statement does more than one thing".to_owned());
        }
        if let Op::DropIndex { names, .. } = &stmt.ops[0].op {
            if names.len() != 1 {
                return Err(
                    "DROP INDEX CONCURRENTLY drops one index per statement: split it first"
                        .to_owned(),
                );
            }
        }
        let text = &self.text()[stmt.span.clone()];
        let lower = text.to_ascii_lowercase();
        if verb == "drop" && crate::rules::util::find_word(&lower, "cascade").is_some() {
            return Err(
                "DROP INDEX CONCURRENTLY does not accept CASCADE: drop the dependent objects first"
                    .to_owned(),
            );
        }
        if stmt.transaction.is_some_and(|t| t > 0) {
            return Err(
                "the statement is inside an explicit BEGIN … COMMIT block, where CONCURRENTLY cannot run"
                    .to_owned(),
            );
        }
        self.others_may_leave_transaction(stmt)?;
        let at = crate::rules::util::find_word(&lower, "index")
            .ok_or_else(|| "the statement has no INDEX keyword".to_owned())?
            + "index".len();
        let mut edits = self.no_transaction_marker()?;
        edits.push(self.edit(stmt.span.start + at..stmt.span.start + at, " CONCURRENTLY"));
        let what = if verb == "create" { "build" } else { "drop" };
        Ok(Fix {
            rule: f.rule,
            span: f.span.clone(),
            title: format!("{what} the index CONCURRENTLY, outside a transaction"),
            edits,
            create: Vec::new(),
            follow_up: None,
        })
    }

    /// Every other statement of the file must be one that may run outside the migration's
    /// transaction: settings and other index builds or drops.
    fn others_may_leave_transaction(&self, stmt: &AnalyzedStatement) -> Result<(), String> {
        for other in &self.result.statements {
            if other.span == stmt.span || other.inside.is_some() {
                continue;
            }
            let fine = !other.ops.is_empty()
                && other.invalid.is_none()
                && other.ops.iter().all(|o| match &o.op {
                    Op::Set { local, .. } => !local,
                    Op::CreateIndex { .. } | Op::DropIndex { .. } => true,
                    Op::Inert { what } => what.starts_with("comment"),
                    _ => false,
                });
            if !fine {
                let line = self.result.source.position(other.span.start).line;
                return Err(format!(
                    "line {line} ({}) must stay in the migration's transaction, and CONCURRENTLY cannot run in one: move the index into a migration of its own",
                    other.op_names()
                ));
            }
        }
        Ok(())
    }

    /// The edits that make this migration run outside a transaction, in its layout's way
    /// (none when it already does).
    fn no_transaction_marker(&self) -> Result<Vec<Edit>, String> {
        let text = self.text();
        if has_no_transaction_directive(text) {
            return Ok(Vec::new());
        }
        let Some((_, m)) = self.found else {
            return Ok(vec![self.edit(0..0, directive_line(text))]);
        };
        if m.meta.transaction == Some(false) {
            return Ok(Vec::new());
        }
        let layout = self.project.catalog.as_ref().map(|c| c.layout);
        match (m.sections, layout) {
            (Some(Markers::Goose), _) => Ok(vec![self.edit(0..0, "-- +goose NO TRANSACTION\n")]),
            (Some(Markers::Dbmate), _) => {
                let at = dbmate_up_marker_end(text)
                    .ok_or_else(|| "no `-- migrate:up` line found".to_owned())?;
                Ok(vec![self.edit(at..at, " transaction:false")])
            }
            (None, Some(Layout::Native | Layout::Diesel)) => {
                let dir = m.up.parent().ok_or("the migration has no directory")?;
                let toml = dir.join("migration.toml");
                let diesel_meta = dir.join("metadata.toml");
                let (file, line) = if layout == Some(Layout::Diesel) && !toml.is_file() {
                    (diesel_meta, "run_in_transaction = false\n")
                } else {
                    (toml, "transaction = false\n")
                };
                self.toml_marker(file, line)
            }
            _ => Ok(vec![self.edit(0..0, directive_line(text))]),
        }
    }

    /// `key = false` at the top of a TOML file (top-level keys come before any table), or
    /// a new file holding it.
    fn toml_marker(&self, file: PathBuf, line: &str) -> Result<Vec<Edit>, String> {
        let key = line.split(' ').next().unwrap_or_default();
        match std::fs::read_to_string(&file) {
            Ok(existing) => {
                if existing
                    .lines()
                    .any(|l| l.trim_start().starts_with(key) && l.contains('='))
                {
                    return Err(format!(
                        "{} sets `{key}` already; the migration is meant to run in a transaction",
                        file.display()
                    ));
                }
                Ok(vec![Edit {
                    path: file,
                    range: 0..0,
                    replacement: line.to_owned(),
                }])
            }
            // A new file: an insertion into nothing.
            Err(_) => Ok(vec![Edit {
                path: file,
                range: 0..0,
                replacement: line.to_owned(),
            }]),
        }
    }

    /// `ADD CONSTRAINT … NOT VALID`, then `VALIDATE CONSTRAINT` in a new migration.
    fn not_valid(&self, f: &Finding) -> Result<Fix, String> {
        let stmt = self.statement(f)?;
        let [info] = stmt.ops.as_slice() else {
            return Err("the statement does more than one thing: add the constraint in a statement of its own".to_owned());
        };
        let Op::AddConstraint { table, constraint } = &info.op else {
            return Err(
                "only a constraint added with ALTER TABLE … ADD is fixed (not one on a new column or a domain)"
                    .to_owned(),
            );
        };
        let default_name = match &constraint.kind {
            ConstraintKind::Check { .. } => format!("{}_check", table.unqualified()),
            ConstraintKind::ForeignKey { columns, .. } => format!(
                "{}_{}_fkey",
                table.unqualified(),
                columns
                    .iter()
                    .map(Name::as_str)
                    .collect::<Vec<_>>()
                    .join("_")
            ),
            _ => return Err("not a CHECK or FOREIGN KEY".to_owned()),
        };
        let text = &self.text()[stmt.span.clone()];
        let lower = text.to_ascii_lowercase();
        let mut edits = Vec::new();
        let name = match &constraint.name {
            Some(n) => n.to_string(),
            None => {
                let at = crate::rules::util::find_word(&lower, "add")
                    .ok_or_else(|| "the statement has no ADD keyword".to_owned())?
                    + "add".len();
                let at = stmt.span.start + at;
                edits.push(self.edit(at..at, format!(" CONSTRAINT {default_name}")));
                default_name
            }
        };
        let end = stmt.span.start + text.trim_end().len();
        edits.push(self.edit(end..end, " NOT VALID"));
        let validate = format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name};\n");
        let create = place::after(self.project, self.found, &name, &validate)?;
        Ok(Fix {
            rule: f.rule,
            span: f.span.clone(),
            title: format!(
                "add `{name}` NOT VALID and validate it in a new migration ({})",
                create
                    .first()
                    .and_then(|c| c.path.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            edits,
            create,
            follow_up: Some(validate),
        })
    }

    /// A short lock timeout set before the statement the rule names.
    fn lock_timeout(&self, f: &Finding) -> Result<Fix, String> {
        let stmt = self.statement(f)?;
        let set = match self.result.dialect {
            Dialect::Postgres => "SET lock_timeout = '5s';",
            Dialect::Mysql => "SET SESSION lock_wait_timeout = 5;",
        };
        let text = self.text();
        // The start of the statement's line, above any `-- bellows:` directive lines that
        // belong to it (an `ignore` must keep applying to the statement).
        let mut at = text[..stmt.span.start].rfind('\n').map_or(0, |i| i + 1);
        if !text[at..stmt.span.start].trim().is_empty() {
            // Something precedes the statement on its line: insert right before it.
            at = stmt.span.start;
            let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
            return Ok(self.lock_fix(f, at, format!("{set}{nl}")));
        }
        while at > 0 {
            let prev = text[..at - 1].rfind('\n').map_or(0, |i| i + 1);
            let line = text[prev..at].trim();
            if line.starts_with("--") && line[2..].trim_start().starts_with("bellows:") {
                at = prev;
            } else {
                break;
            }
        }
        let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Ok(self.lock_fix(f, at, format!("{set}{nl}")))
    }

    fn lock_fix(&self, f: &Finding, at: usize, insert: String) -> Fix {
        Fix {
            rule: f.rule,
            span: f.span.clone(),
            title: format!("set a lock timeout first ({})", insert.trim_end()),
            edits: vec![self.edit(at..at, insert)],
            create: Vec::new(),
            follow_up: None,
        }
    }
}

/// `-- bellows: no-transaction` as the file's first line (with the file's line ending).
fn directive_line(text: &str) -> String {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    format!("-- bellows: no-transaction{nl}")
}

/// The file already says `-- bellows: no-transaction`.
fn has_no_transaction_directive(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        let body = l
            .strip_prefix("--")
            .or_else(|| l.strip_prefix("/*").map(|b| b.trim_end_matches("*/")));
        body.and_then(|b| b.trim().strip_prefix("bellows:"))
            .is_some_and(|d| d.trim() == "no-transaction")
    })
}

/// The byte offset just after `migrate:up` on dbmate's up marker line.
fn dbmate_up_marker_end(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("--") {
            let rest_trim = rest.trim_start();
            if let Some(after) = rest_trim.strip_prefix("migrate:up") {
                if after.is_empty() || after.starts_with(char::is_whitespace) {
                    let pos = line.len() - trimmed.len() + 2 + (rest.len() - rest_trim.len());
                    return Some(offset + pos + "migrate:up".len());
                }
            }
        }
        offset += line.len();
    }
    None
}

/// What applying fixes did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The fixes applied, in order.
    pub fixes: Vec<Fix>,
    /// Fixes left out because their edits overlap an earlier fix's.
    pub skipped: Vec<Fix>,
    /// Each changed file: its text before and after (`None` before: a new file).
    pub files: BTreeMap<PathBuf, (Option<String>, String)>,
}

/// Computes the files the fixes produce, without writing: existing files are read from
/// disk (a leading BOM is kept). Identical edits from several fixes (the same
/// no-transaction marker) are made once; a fix whose edits overlap another's is skipped.
pub fn compute(fixes: Vec<Fix>) -> std::io::Result<Applied> {
    let mut out = Applied::default();
    let mut taken: BTreeMap<PathBuf, Vec<Edit>> = BTreeMap::new();
    'fixes: for fix in fixes {
        for e in &fix.edits {
            if let Some(list) = taken.get(&e.path) {
                let clash = list.iter().any(|t| {
                    t != e
                        && t.range.start < e.range.end.max(e.range.start + 1)
                        && e.range.start < t.range.end.max(t.range.start + 1)
                        && !(t.range.is_empty() && e.range.is_empty())
                });
                if clash {
                    out.skipped.push(fix);
                    continue 'fixes;
                }
            }
        }
        for e in &fix.edits {
            let list = taken.entry(e.path.clone()).or_default();
            if !list.contains(e) {
                list.push(e.clone());
            }
        }
        for c in &fix.create {
            out.files.insert(c.path.clone(), (None, c.text.clone()));
        }
        out.fixes.push(fix);
    }
    for (path, edits) in taken {
        let before = match std::fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let text = before.clone().unwrap_or_default();
        let after = apply_edits(&text, &edits);
        out.files.insert(path, (before, after));
    }
    Ok(out)
}

/// Applies edits (offsets without a BOM) to `text` (which may start with one). Edits at the
/// same offset keep their order.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.range.start);
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in sorted {
        let start = (e.range.start + bom).min(text.len());
        let end = (e.range.end + bom).min(text.len()).max(start);
        if start < at {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&e.replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Writes the computed files (directories of new files are created).
pub fn write(applied: &Applied) -> std::io::Result<()> {
    for (path, (_, after)) in &applied.files {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        std::fs::write(path, after)?;
    }
    Ok(())
}

/// A unified diff of the computed files, paths shown relative to `base`.
pub fn diff(applied: &Applied, base: &Path) -> String {
    let mut out = String::new();
    for (path, (before, after)) in &applied.files {
        let shown = path
            .strip_prefix(base)
            .unwrap_or(path)
            .display()
            .to_string();
        let old_name = if before.is_some() {
            format!("a/{shown}")
        } else {
            "/dev/null".to_owned()
        };
        let before = before.as_deref().unwrap_or("");
        let d = similar::TextDiff::from_lines(before, after.as_str());
        out.push_str(
            &d.unified_diff()
                .context_radius(3)
                .header(&old_name, &format!("b/{shown}"))
                .to_string(),
        );
    }
    out
}

/// Where `bellows lint --fix` works: `paths` are the path arguments (directories or
/// files), `root` the directory of bellows.toml, `base` the directory paths are shown
/// relative to, `dialect` the one lint used (it picks per-engine scripts).
pub struct FixScope<'a> {
    pub paths: &'a [PathBuf],
    pub root: &'a Path,
    pub base: &'a Path,
    pub dialect: Dialect,
}

/// `bellows lint --fix`: the fixes of every linted file, written (or printed as a diff with
/// `dry_run`); notes for the findings left alone go to `err`. Returns whether files were
/// written.
pub fn fix_results(
    results: &[FileResult],
    scope: &FixScope,
    dry_run: bool,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> std::io::Result<bool> {
    let FixScope {
        paths,
        root,
        base,
        dialect,
    } = *scope;
    let projects: Vec<Project> = paths
        .iter()
        .map(|p| Project::load(p, root, Some(dialect)))
        .collect();
    let mut all = Vec::new();
    let mut notes = Vec::new();
    for result in results {
        let path = Path::new(&result.source.path);
        if !path.is_file() {
            // Standard input: nothing to rewrite.
            continue;
        }
        let lone;
        let project = match projects.iter().find(|p| p.migration(path).is_some()) {
            Some(p) => p,
            None => {
                lone = Project::load(path, root, Some(dialect));
                &lone
            }
        };
        let found = fixes_together(result, project);
        all.extend(found.fixes);
        notes.extend(found.notes);
    }
    let applied = compute(all)?;
    for fix in &applied.skipped {
        if let Some(e) = fix.edits.first() {
            writeln!(
                err,
                "note: {}: {} not fixed: its edit overlaps another fix; run `bellows lint --fix` again",
                e.path.strip_prefix(base).unwrap_or(&e.path).display(),
                fix.rule
            )?;
        }
    }
    for n in &notes {
        let shown = Note {
            path: n.path.strip_prefix(base).unwrap_or(&n.path).to_path_buf(),
            ..n.clone()
        };
        writeln!(err, "note: {shown}")?;
    }
    if dry_run {
        out.write_all(diff(&applied, base).as_bytes())?;
        return Ok(false);
    }
    write(&applied)?;
    let files = applied.files.len();
    if !applied.fixes.is_empty() {
        writeln!(
            err,
            "fixed {} finding{} ({} file{} changed or created)",
            applied.fixes.len(),
            if applied.fixes.len() == 1 { "" } else { "s" },
            files,
            if files == 1 { "" } else { "s" }
        )?;
    }
    Ok(!applied.fixes.is_empty())
}
