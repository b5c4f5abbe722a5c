//! Per-file analysis: parse statements (in parallel), then walk them in order with the
//! schema model, the transaction state and the directives, and run the rules.

use super::suppress::{parse_directive, Directive, RuleRef};
use super::{FileOptions, FileResult, LintSettings};
use crate::classify::locks::{lock_facts, LockContext, LockFacts};
use crate::classify::op::{ConstraintKind, Name, Op, TxControl};
use crate::classify::phase::{object_names, phase_of, temporary_objects, Phase, PhaseContext};
use crate::dialect::Dialect;
use crate::parse::procedural::{self, InnerStatement, Inside};
use crate::parse::split::{split, Comment, RawStatement};
use crate::parse::{parse_statement, Parsed};
use crate::rules::{self, FileContext, Finding};
use crate::schema::widening::{is_safe_widening, time_zone_only};
use crate::schema::{Column, Schema};
use crate::source::{Encoding, SourceFile};
use rayon::prelude::*;
use std::collections::HashSet;
use std::ops::Range;

/// Statements per parallel work item when parsing a large file.
const PARSE_CHUNK: usize = 256;

/// What the parallel stage produces for one statement.
#[derive(Debug, Clone)]
pub(super) enum Read {
    Ops(Vec<Op>),
    Invalid { message: String, offset: usize },
}

#[derive(Debug, Clone)]
pub(super) struct ParsedFile {
    statements: Vec<(RawStatement, Read)>,
    /// For each statement, the readable statements that run inside it, in order.
    inner: Vec<Vec<(InnerStatement, Read)>>,
    comments: Vec<Comment>,
}

/// One operation with the facts the rules need, taken from the schema model as it was
/// just before the statement.
#[derive(Debug, Clone)]
pub struct OpInfo {
    pub op: Op,
    pub phase: Phase,
    /// The table was created earlier in the same migration.
    pub table_is_new: bool,
    /// The model knows the table (from earlier migrations or this one).
    pub table_known: bool,
    /// For column operations: the column as it was before.
    pub column_before: Option<Column>,
    /// For type changes: the new type is a metadata-only widening of the old one.
    pub safe_widening: bool,
    /// PostgreSQL: a validated `CHECK (col IS NOT NULL)` backs a SET NOT NULL.
    pub has_not_null_check: bool,
    pub lock: LockFacts,
}

/// One statement after analysis.
#[derive(Debug, Clone)]
pub struct AnalyzedStatement {
    /// Byte range of the statement text (without terminator).
    pub span: Range<usize>,
    pub ops: Vec<OpInfo>,
    pub phase: Phase,
    /// Runs inside a transaction (explicit BEGIN … COMMIT, or the runner's).
    pub in_transaction: bool,
    /// Which transaction: explicit blocks are numbered from 1; 0 is the runner's.
    pub transaction: Option<usize>,
    /// The statement could not be read as SQL: message and byte offset.
    pub invalid: Option<(String, usize)>,
    /// Set for a statement that runs inside procedural code (a DO block, an EXECUTE, a
    /// prepared statement, a called function); it follows the statement that runs it.
    pub inside: Option<Inside>,
}

impl AnalyzedStatement {
    /// The MySQL `ALGORITHM=…` the statement asks for (upper-case), if any.
    pub fn algorithm(&self) -> Option<&str> {
        self.ops.iter().find_map(|o| match &o.op {
            Op::AlterAlgorithm { algorithm, .. } => Some(algorithm.as_str()),
            _ => None,
        })
    }

    /// The operation names, comma-separated (`add-column,drop-column`).
    pub fn op_names(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for op in &self.ops {
            let n = op.op.name();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        if names.is_empty() {
            "invalid".to_owned()
        } else {
            names.join(",")
        }
    }
}

pub(super) fn parse_file(source: &SourceFile, dialect: Dialect) -> ParsedFile {
    if matches!(source.encoding, Encoding::Binary { .. }) {
        return ParsedFile {
            statements: Vec::new(),
            inner: Vec::new(),
            comments: Vec::new(),
        };
    }
    let text: &str = &source.text;
    let split = split(text, dialect);
    let read = |raw: &RawStatement| read_statement(text, raw, dialect);
    // Procedural code the parser cannot see into: found in order, one statement after
    // another, so in a large file it runs beside the parallel parse.
    let expand = || procedural::expand(text, &split.statements, dialect);
    let (reads, found): (Vec<Read>, _) = if split.statements.len() > PARSE_CHUNK {
        rayon::join(
            || {
                split
                    .statements
                    .par_iter()
                    .with_min_len(PARSE_CHUNK)
                    .map(read)
                    .collect()
            },
            expand,
        )
    } else {
        (split.statements.iter().map(read).collect(), expand())
    };
    // What cannot be read is left out.
    let inner = found
        .into_iter()
        .map(|found| {
            found
                .into_iter()
                .filter_map(|s| match read_statement(&s.text, &s.raw(), dialect) {
                    Read::Ops(ops) => Some((s, Read::Ops(ops))),
                    Read::Invalid { .. } => None,
                })
                .collect()
        })
        .collect();
    ParsedFile {
        statements: split.statements.into_iter().zip(reads).collect(),
        inner,
        comments: split.comments,
    }
}

fn read_statement(text: &str, raw: &RawStatement, dialect: Dialect) -> Read {
    match parse_statement(text, raw, dialect) {
        Parsed::Ast(stmt) => Read::Ops(crate::classify::ast::classify(&stmt, dialect)),
        Parsed::Fallback(ops) => Read::Ops(ops),
        Parsed::Invalid { message, offset } => Read::Invalid { message, offset },
    }
}

/// Directives of one file.
#[derive(Default)]
struct Directives {
    no_transaction: bool,
    file_ignores: Vec<RuleRef>,
    /// (statement index, rule) pairs.
    stmt_ignores: Vec<(usize, RuleRef)>,
    unknown: Vec<(String, Range<usize>)>,
}

fn read_directives(source: &SourceFile, parsed: &ParsedFile) -> Directives {
    let mut out = Directives::default();
    for comment in &parsed.comments {
        let text = source.slice(&comment.span);
        let Some((directive, span)) = parse_directive(text, comment.span.start) else {
            continue;
        };
        match directive {
            Directive::NoTransaction => out.no_transaction = true,
            Directive::IgnoreFile(refs) => out.file_ignores.extend(refs),
            Directive::Ignore(refs) => {
                // Applies to the first statement after the comment.
                let next = parsed
                    .statements
                    .partition_point(|(raw, _)| raw.span.start < comment.span.end);
                if next < parsed.statements.len() {
                    out.stmt_ignores.extend(refs.into_iter().map(|r| (next, r)));
                } else {
                    out.unknown
                        .push(("ignore (no statement follows)".into(), span));
                }
            }
            Directive::Unknown(word) => out.unknown.push((word, span)),
        }
    }
    out
}

pub(super) fn finish_file(
    source: SourceFile,
    options: FileOptions,
    parsed: ParsedFile,
    settings: &LintSettings,
    schema: &mut Schema,
) -> FileResult {
    judge_file(
        replay_file(source, options, parsed, settings, schema),
        settings,
    )
}

/// A file after the schema replay, before its rules ran.
pub(super) struct Replayed {
    source: SourceFile,
    options: FileOptions,
    directives: Directives,
    statements: Vec<AnalyzedStatement>,
    phase: Phase,
}

/// The part of a file's analysis that needs the files before it: walks the statements in
/// order with the schema model (which it updates) and the transaction state.
pub(super) fn replay_file(
    source: SourceFile,
    options: FileOptions,
    parsed: ParsedFile,
    settings: &LintSettings,
    schema: &mut Schema,
) -> Replayed {
    let mut directives = read_directives(&source, &parsed);
    if options.transaction == Some(false) {
        directives.no_transaction = true;
    }
    let assumed = (settings.assume_in_transaction || options.transaction == Some(true))
        && !directives.no_transaction;
    let mut statements: Vec<AnalyzedStatement> = Vec::with_capacity(parsed.statements.len());
    let mut created: HashSet<Name> = HashSet::new();
    let mut depth_block: Option<usize> = None;
    let mut runner_ended = false;
    let mut blocks = 0usize;
    // MySQL: `SET foreign_key_checks = 0` lets ADD FOREIGN KEY run in place.
    let mut foreign_key_checks_off = false;
    // PostgreSQL: the session `TimeZone` was set to UTC.
    let mut time_zone_utc = false;
    // Each statement, then what runs inside it.
    let in_order: Vec<(Range<usize>, Read, Option<Inside>)> = parsed
        .statements
        .into_iter()
        .zip(parsed.inner)
        .flat_map(|((raw, read), inner)| {
            std::iter::once((raw.span, read, None)).chain(
                inner
                    .into_iter()
                    .map(|(s, read)| (s.span, read, Some(s.inside))),
            )
        })
        .collect();
    let temporary = temporary_objects(in_order.iter().flat_map(|(_, read, _)| match read {
        Read::Ops(ops) => ops.as_slice(),
        Read::Invalid { .. } => &[],
    }));
    let mut site = 0usize;
    for (span, read, inside) in in_order {
        let (ops, invalid) = match read {
            Read::Ops(ops) => (ops, None),
            Read::Invalid { message, offset } => (Vec::new(), Some((message, offset))),
        };
        // Transaction state before this statement.
        let mut transaction = depth_block.or(if assumed { Some(0) } else { None });
        if depth_block.is_none() && runner_ended {
            transaction = None;
        }
        let mut infos = Vec::with_capacity(ops.len());
        // MySQL drops a primary key in place only when the statement adds a new one.
        let adds_primary_key = ops.iter().any(|op| {
            matches!(op, Op::AddConstraint { constraint, .. }
                if matches!(constraint.kind, ConstraintKind::PrimaryKey { .. }))
        });
        for op in ops {
            if let Op::Transaction(tx) = &op {
                match tx {
                    TxControl::Begin => {
                        blocks += 1;
                        depth_block = Some(blocks);
                        transaction = Some(blocks);
                    }
                    // A COMMIT outside an explicit block ends the runner's transaction:
                    // what follows runs outside one until the next BEGIN.
                    TxControl::Commit | TxControl::Rollback => {
                        runner_ended |= depth_block.is_none();
                        depth_block = None;
                    }
                    _ => {}
                }
            }
            if let Op::Set { name, value, .. } = &op {
                // `SET GLOBAL` leaves the session's value alone.
                let global = source.slice(&span).to_ascii_lowercase().contains("global");
                if name == "timezone" && !global {
                    time_zone_utc = crate::schema::widening::is_utc_time_zone(value);
                }
                if name == "foreign_key_checks" && !global {
                    match value.trim().to_ascii_lowercase().as_str() {
                        "0" | "off" | "false" => foreign_key_checks_off = true,
                        "1" | "on" | "true" | "default" => foreign_key_checks_off = false,
                        _ => {}
                    }
                }
            }
            let session = Session {
                foreign_key_checks_off,
                adds_primary_key,
                time_zone_utc,
            };
            let info = op_info(op, schema, &created, &temporary, settings, session);
            if let Op::CreateTable {
                table,
                if_not_exists,
                ..
            } = &info.op
            {
                // `IF NOT EXISTS` of a table that exists creates nothing: it stays existing.
                if !(*if_not_exists && info.table_known) {
                    created.insert(table.clone());
                }
            }
            if let Op::RenameTable { from, to } = &info.op {
                if created.remove(from) {
                    created.insert(to.clone());
                }
            }
            schema.apply(&info.op);
            // MySQL commits implicitly before and after every DDL statement.
            if settings.dialect == Dialect::Mysql && info.op.commits_implicitly_on_mysql() {
                depth_block = None;
            }
            infos.push(info);
        }
        let phase = infos.iter().fold(Phase::None, |acc, i| acc.union(i.phase));
        // A DO block (or a call) has the phases of what runs inside it.
        match &inside {
            Some(_) => statements[site].phase = statements[site].phase.union(phase),
            None => site = statements.len(),
        }
        statements.push(AnalyzedStatement {
            span,
            in_transaction: transaction.is_some(),
            transaction,
            ops: infos,
            phase,
            invalid,
            inside,
        });
    }
    let phase = statements
        .iter()
        .fold(Phase::None, |acc, s| acc.union(s.phase));
    Replayed {
        source,
        options,
        directives,
        statements,
        phase,
    }
}

/// The part of a file's analysis that stands alone once the replay is done (files are
/// judged in parallel): the rules, the engine's own findings, suppressions and severities.
pub(super) fn judge_file(replayed: Replayed, settings: &LintSettings) -> FileResult {
    let Replayed {
        source,
        options,
        directives,
        statements,
        phase,
    } = replayed;
    let mut engine_findings: Vec<Finding> = Vec::new();
    match source.encoding {
        Encoding::Binary { at } => {
            engine_findings.push(rules::engine_finding(
                "syntax-error",
                at..at,
                "this is a binary file, not SQL text",
                "lint only `.sql` text files; check the path",
            ));
        }
        Encoding::InvalidUtf8 { at } => {
            engine_findings.push(rules::engine_finding(
                "syntax-error",
                at..at + 1,
                "the file is not valid UTF-8 here",
                "save the file as UTF-8; bad bytes were read as U+FFFD",
            ));
        }
        Encoding::Utf8 => {}
    }
    if let Some(rev) = &options.edited_since {
        engine_findings.push(rules::engine_finding(
            "migration-edited",
            0..0,
            &format!(
                "this migration existed at {rev} and has been edited: databases that already applied it will never run the change, and its checksum no longer matches"
            ),
            "revert the edit and put the change in a new migration; if the migration was never applied anywhere, suppress this with `-- bellows: ignore-file migration-edited`",
        ));
    }

    let cx = FileContext::new(&source, settings, &statements, directives.no_transaction);
    let mut findings = rules::run_rules(&cx);
    super::procedural::note_inside(&mut findings, &statements, &source);
    for s in &statements {
        if let Some((message, offset)) = &s.invalid {
            let end = (*offset + 1).min(s.span.end.max(*offset));
            engine_findings.push(rules::engine_finding(
                "syntax-error",
                *offset..end,
                &format!("this is not {} SQL: {message}", settings.dialect_name()),
                "fix the statement; if it is valid for your server, report it with the statement text",
            ));
        }
    }
    for (word, span) in &directives.unknown {
        engine_findings.push(rules::engine_finding(
            "invalid-directive",
            span.clone(),
            &format!("`bellows: {word}` is not a directive bellows knows"),
            "use `-- bellows: ignore RULE`, `-- bellows: ignore-file RULE` or `-- bellows: no-transaction`",
        ));
    }
    findings.extend(
        engine_findings
            .into_iter()
            .filter(|f| settings.rules.is_enabled(f.rule)),
    );
    if let Some(declared) = options.declared_phase {
        if phase != Phase::None && phase != declared {
            let first = statements
                .iter()
                .find(|s| s.phase != Phase::None && s.phase != declared)
                .map(|s| s.span.start..s.span.start)
                .unwrap_or(0..0);
            let found = rules::engine_finding(
                "phase-mismatch",
                first,
                &format!(
                    "migration.toml declares this migration `{declared}`, but its statements make it `{phase}`"
                ),
                if phase == Phase::Mixed {
                    "split it into one migration per phase, each declaring its own phase"
                } else {
                    "declare the phase the statements have, or move the statements that do not belong into their own migration"
                },
            );
            if settings.rules.is_enabled(found.rule) {
                findings.push(found);
            }
        }
    }
    if options.declared_phase == Some(Phase::Contract) {
        // An intended contract: whether anyone still needs what it drops is the
        // coexistence gate's question, not the linter's.
        findings.retain(|f| !matches!(f.rule, "drop-column" | "drop-table"));
    }
    let findings = apply_suppressions(findings, &directives, &statements, settings);
    let mut findings: Vec<Finding> = findings
        .into_iter()
        .map(|mut f| {
            f.severity = settings.rules.severity_of(f.rule).unwrap_or(f.severity);
            f
        })
        .collect();
    findings.sort_by(|a, b| (a.span.start, a.rule).cmp(&(b.span.start, b.rule)));
    FileResult {
        dialect: settings.dialect,
        source,
        statements,
        phase,
        findings,
    }
}

/// What the statement and the session around an operation say about its lock facts.
#[derive(Debug, Clone, Copy)]
struct Session {
    /// MySQL: `SET foreign_key_checks = 0` earlier in the file.
    foreign_key_checks_off: bool,
    /// The statement adds a primary key.
    adds_primary_key: bool,
    /// PostgreSQL: `SET timezone = 'UTC'` earlier in the file.
    time_zone_utc: bool,
}

fn op_info(
    op: Op,
    schema: &Schema,
    created: &HashSet<Name>,
    temporary: &HashSet<Name>,
    settings: &LintSettings,
    session: Session,
) -> OpInfo {
    let table = op.table().cloned();
    let table_is_new = op.tables().iter().all(|t| created.contains(*t)) && !op.tables().is_empty();
    let table_known = table.as_ref().is_some_and(|t| schema.table(t).is_some());
    let column_name: Option<&Name> = match &op {
        Op::AlterColumnType { column, .. }
        | Op::SetNotNull { column, .. }
        | Op::DropNotNull { column, .. }
        | Op::SetDefault { column, .. }
        | Op::DropDefault { column, .. }
        | Op::DropColumn { column, .. } => Some(column),
        Op::RedefineColumn { from, .. } => Some(from),
        Op::RenameColumn { from, .. } => Some(from),
        _ => None,
    };
    let column_before = match (&table, column_name) {
        (Some(t), Some(c)) => schema.column(t, c).cloned(),
        _ => None,
    };
    let new_type = match &op {
        Op::AlterColumnType { ty, .. } => Some(ty),
        Op::RedefineColumn { column, .. } => Some(&column.ty),
        _ => None,
    };
    let (safe_widening, type_changes) = match (&column_before, new_type) {
        (Some(before), Some(ty)) => (
            is_safe_widening(&before.ty, ty, settings.dialect),
            before.ty.name != ty.name || before.ty.args != ty.args || before.ty.values != ty.values,
        ),
        // Without the model we cannot tell: assume the change is real.
        (None, Some(_)) => (false, true),
        _ => (false, false),
    };
    let adds_not_null = match (&op, &column_before) {
        (Op::RedefineColumn { column, .. }, Some(before)) => column.not_null && !before.not_null,
        (Op::RedefineColumn { column, .. }, None) => column.not_null && !column.primary_key,
        _ => false,
    };
    let nullability_changes = match (&op, &column_before) {
        (Op::RedefineColumn { column, .. }, Some(before)) => column.not_null != before.not_null,
        _ => adds_not_null,
    };
    let has_not_null_check = match (&op, &table) {
        (Op::SetNotNull { column, .. }, Some(t)) => schema
            .table(t)
            .is_some_and(|t| t.has_not_null_check(column)),
        _ => false,
    };
    let phase = phase_of(
        &op,
        PhaseContext {
            table_is_new,
            safe_widening,
            adds_not_null,
            type_changes,
            object_is_temporary: {
                let names = object_names(&op);
                !names.is_empty() && names.iter().all(|n| temporary.contains(*n))
            },
        },
    );
    let lock = lock_facts(
        &op,
        settings.dialect,
        settings.version,
        LockContext {
            safe_widening,
            has_not_null_check,
            type_changes,
            nullability_changes,
            foreign_key_checks_off: session.foreign_key_checks_off,
            replaces_primary_key: session.adds_primary_key,
            time_zone_change_in_utc: session.time_zone_utc
                && match (&column_before, new_type) {
                    (Some(before), Some(ty)) => time_zone_only(&before.ty, ty),
                    _ => false,
                },
        },
    );
    OpInfo {
        op,
        phase,
        table_is_new,
        table_known,
        column_before,
        safe_widening,
        has_not_null_check,
        lock,
    }
}

fn apply_suppressions(
    findings: Vec<Finding>,
    directives: &Directives,
    statements: &[AnalyzedStatement],
    settings: &LintSettings,
) -> Vec<Finding> {
    let mut used_file = vec![false; directives.file_ignores.len()];
    let mut used_stmt = vec![false; directives.stmt_ignores.len()];
    let mut kept = Vec::with_capacity(findings.len());
    // Directives name the file's own statements; inner ones lie inside them.
    let statements: Vec<&AnalyzedStatement> =
        statements.iter().filter(|s| s.inside.is_none()).collect();
    for f in findings {
        let stmt_index = statements
            .partition_point(|s| s.span.end < f.span.start)
            .min(statements.len().saturating_sub(1));
        let in_stmt = statements
            .get(stmt_index)
            .is_some_and(|s| s.span.start <= f.span.start && f.span.start <= s.span.end);
        let mut suppressed = false;
        for (i, r) in directives.file_ignores.iter().enumerate() {
            if r.name == f.rule {
                used_file[i] = true;
                suppressed = true;
            }
        }
        for (i, (idx, r)) in directives.stmt_ignores.iter().enumerate() {
            if in_stmt && *idx == stmt_index && r.name == f.rule {
                used_stmt[i] = true;
                suppressed = true;
            }
        }
        if !suppressed {
            kept.push(f);
        }
    }
    let refs = directives.file_ignores.iter().zip(used_file).chain(
        directives
            .stmt_ignores
            .iter()
            .map(|(_, r)| r)
            .zip(used_stmt),
    );
    for (r, used) in refs {
        if rules::lookup(&r.name).is_none() {
            if settings.rules.is_enabled("invalid-directive") {
                kept.push(rules::engine_finding(
                    "invalid-directive",
                    r.span.clone(),
                    &format!("`{}` is not a bellows rule", r.name),
                    &match rules::closest(&r.name) {
                        Some(near) => {
                            format!("did you mean `{near}`? `bellows rules` lists them all")
                        }
                        None => "`bellows rules` lists every rule name".to_owned(),
                    },
                ));
            }
        } else if !used
            && settings.rules.is_enabled("unused-suppression")
            && rule_runs(&r.name, settings)
        {
            // A suppression of a rule that is not running cannot be judged: it may be
            // needed when the rule is selected again.
            kept.push(rules::engine_finding(
                "unused-suppression",
                r.span.clone(),
                &format!(
                    "this suppression of `{}` is unused: the rule found nothing here",
                    r.name
                ),
                "remove it, so that it cannot hide a future finding",
            ));
        }
    }
    kept
}

/// Is the rule enabled and does it cover the dialect?
fn rule_runs(name: &str, settings: &LintSettings) -> bool {
    settings.rules.is_enabled(name)
        && rules::lookup(name).is_some_and(|r| r.meta().dialects.covers(settings.dialect))
}
