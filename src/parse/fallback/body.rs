//! Routines with bodies sqlparser cannot read: PostgreSQL functions with options it lacks
//! (`COST`, `ROWS`, `SUPPORT`, `LEAKPROOF`) or a `BEGIN ATOMIC` body, PostgreSQL procedures,
//! and MySQL/MariaDB triggers, procedures, functions and events with compound bodies.
//!
//! The header of each is read in full; a compound body must be one balanced `BEGIN … END`
//! block whose nested `IF`, `CASE`, `LOOP`, `WHILE` and `REPEAT` blocks all close.

use super::tokens::{Cursor, Kind};
use super::{done, is_expr, reparse, reparse_with};
use crate::classify::op::{ObjectKind, Op};

/// PostgreSQL `CREATE [OR REPLACE] {FUNCTION|PROCEDURE} …` (the cursor is at the keyword).
pub(super) fn pg_routine(c: &mut Cursor) -> Option<Vec<Op>> {
    let atomic = c.top_index_seq(&["BEGIN", "ATOMIC"]);
    if let Some(at) = atomic {
        sql_body(&c.slice(at + 2, c.toks.len()))?;
    }
    let end = atomic.unwrap_or(c.toks.len());
    if c.eat_kw("PROCEDURE") {
        return pg_procedure(c, end);
    }
    // Function options sqlparser lacks, taken out before it reads the rest.
    let mut skip = Vec::new();
    let mut i = c.pos;
    while i < end {
        let t = &c.toks[i];
        if c.is_top(t) {
            let next = c.toks.get(i + 1);
            if t.is_any_kw(&["COST", "ROWS"]) && next.is_some_and(|n| n.kind == Kind::Number) {
                skip.push(i..i + 2);
                i += 2;
                continue;
            }
            if t.is_kw("SUPPORT") && next.is_some_and(|n| n.is_ident()) {
                skip.push(i..i + 2);
                i += 2;
                continue;
            }
            if t.is_kw("LEAKPROOF") {
                let not = i > 0 && c.toks[i - 1].is_kw("NOT");
                skip.push(if not { i - 1..i + 1 } else { i..i + 1 });
            }
        }
        i += 1;
    }
    if atomic.is_none() && skip.is_empty() {
        return None;
    }
    // A `BEGIN ATOMIC` body was checked above; sqlparser reads the header with a stand-in.
    let suffix = if atomic.is_some() { " AS ''" } else { "" };
    reparse_with(c, 0..end, &skip, suffix)
}

/// `CREATE PROCEDURE name (args) option…` up to token `end` (a `BEGIN ATOMIC` body).
fn pg_procedure(c: &mut Cursor, end: usize) -> Option<Vec<Op>> {
    let name = c.name()?;
    arguments(c)?;
    let mut h = c.slice(c.pos, end);
    let mut body = end < c.toks.len();
    while !h.at_end() {
        if h.eat_kw("LANGUAGE") {
            h.ident()?;
        } else if h.eat_kw("AS") {
            body = true;
            h.list(|h| {
                let t = h
                    .peek()
                    .filter(|t| t.kind == Kind::Str || t.kind == Kind::Dollar)?;
                h.pos += 1;
                Some(t)
            })
            .first()?;
        } else if h.eat_kw("EXTERNAL") || h.peek_kw("SECURITY") {
            h.eat_kw("SECURITY").then_some(())?;
            h.eat_one_of(&["INVOKER", "DEFINER"])?;
        } else if h.eat_kw("SET") {
            h.name()?;
            if !h.eat_kws(&["FROM", "CURRENT"]) {
                let _ = h.eat_kw("TO") || h.eat_punct("=");
                h.list(|h| h.option_word()).first()?;
            }
        } else {
            return None;
        }
    }
    body.then_some(())?;
    Some(vec![Op::CreateObject {
        kind: ObjectKind::Procedure,
        name,
        on_table: None,
        view: None,
    }])
}

/// `( [mode] [name] type [DEFAULT expr], … )`: balanced, items not empty.
fn arguments(c: &mut Cursor) -> Option<()> {
    let g = c.group()?;
    if g.at_end() {
        return Some(());
    }
    g.items()
        .iter()
        .all(|item| item.peek().is_some_and(|t| t.is_ident()))
        .then_some(())
}

/// `stmt; stmt; … END` after `BEGIN ATOMIC`: each statement read by sqlparser.
fn sql_body(c: &Cursor) -> Option<()> {
    let last = c.toks.last().filter(|t| t.is_kw("END"))?;
    let _ = last;
    let body = c.slice(0, c.toks.len() - 1);
    let mut from = 0;
    for (i, t) in body.toks.iter().enumerate() {
        if body.is_top(t) && t.is_punct(";") {
            if i > from {
                reparse(&body, from..i, &[])?;
            }
            from = i + 1;
        }
    }
    if from < body.toks.len() {
        reparse(&body, from..body.toks.len(), &[])?;
    }
    Some(())
}

/// MySQL `CREATE [DEFINER = account] {TRIGGER|PROCEDURE|FUNCTION|EVENT} …` (the cursor is
/// at the keyword).
pub(super) fn mysql_routine(c: &mut Cursor) -> Option<Vec<Op>> {
    let kind = c.eat_one_of(&["TRIGGER", "PROCEDURE", "FUNCTION", "EVENT"])?;
    c.eat_if_not_exists();
    let name = c.name()?;
    let mut on_table = None;
    let object = match kind {
        "TRIGGER" => {
            c.eat_one_of(&["BEFORE", "AFTER"])?;
            c.eat_one_of(&["INSERT", "UPDATE", "DELETE"])?;
            c.eat_kw("ON").then_some(())?;
            on_table = Some(c.name()?);
            c.eat_kws(&["FOR", "EACH", "ROW"]).then_some(())?;
            if c.eat_one_of(&["FOLLOWS", "PRECEDES"]).is_some() {
                c.ident()?;
            }
            ObjectKind::Trigger
        }
        "PROCEDURE" => {
            arguments(c)?;
            characteristics(c)?;
            ObjectKind::Procedure
        }
        "FUNCTION" => {
            arguments(c)?;
            c.eat_kw("RETURNS").then_some(())?;
            return_type(c)?;
            characteristics(c)?;
            ObjectKind::Function
        }
        _ => {
            event_header(c)?;
            ObjectKind::Other
        }
    };
    mysql_body(c)?;
    done(
        c,
        vec![Op::CreateObject {
            kind: object,
            name,
            on_table,
            view: None,
        }],
    )
}

/// Routine characteristics: `COMMENT 'x'`, `LANGUAGE SQL`, `[NOT] DETERMINISTIC`,
/// `CONTAINS SQL`, `NO SQL`, `READS SQL DATA`, `MODIFIES SQL DATA`, `SQL SECURITY x`.
fn characteristics(c: &mut Cursor) -> Option<()> {
    loop {
        if c.eat_kw("COMMENT") {
            c.peek().filter(|t| t.kind == Kind::Str)?;
            c.pos += 1;
        } else if c.eat_kws(&["LANGUAGE", "SQL"])
            || c.eat_kw("DETERMINISTIC")
            || c.eat_kws(&["NOT", "DETERMINISTIC"])
            || c.eat_kws(&["CONTAINS", "SQL"])
            || c.eat_kws(&["NO", "SQL"])
            || c.eat_kws(&["READS", "SQL", "DATA"])
            || c.eat_kws(&["MODIFIES", "SQL", "DATA"])
        {
        } else if c.eat_kws(&["SQL", "SECURITY"]) {
            c.eat_one_of(&["DEFINER", "INVOKER"])?;
        } else {
            return Some(());
        }
    }
}

/// Words that end a function's return type.
const TYPE_ENDS: &[&str] = &[
    "COMMENT",
    "LANGUAGE",
    "DETERMINISTIC",
    "NOT",
    "CONTAINS",
    "NO",
    "READS",
    "MODIFIES",
    "SQL",
    "BEGIN",
    "RETURN",
];

/// A return type: words with at most one argument list (`DECIMAL(12,2) UNSIGNED`,
/// `VARCHAR(20) CHARSET utf8mb4`).
fn return_type(c: &mut Cursor) -> Option<()> {
    let start = c.pos;
    while let Some(t) = c.peek() {
        if t.kind == Kind::Word && !t.is_any_kw(TYPE_ENDS) {
            c.pos += 1;
        } else if t.is_punct("(") && c.pos > start {
            c.group()?;
        } else {
            break;
        }
    }
    (c.pos > start).then_some(())
}

/// `ON SCHEDULE {AT ts | EVERY n unit [STARTS ts] [ENDS ts]} [ON COMPLETION [NOT] PRESERVE]
/// [ENABLE | DISABLE [ON SLAVE]] [COMMENT 'x'] DO`.
fn event_header(c: &mut Cursor) -> Option<()> {
    c.eat_kws(&["ON", "SCHEDULE"]).then_some(())?;
    c.eat_one_of(&["AT", "EVERY"])?;
    let stop = c.top_index(|t| t.is_any_kw(&["ON", "ENABLE", "DISABLE", "COMMENT", "DO"]))?;
    // The schedule: expressions joined by STARTS / ENDS and an interval unit.
    let schedule = c.slice(c.pos, stop);
    if schedule.at_end() {
        return None;
    }
    c.pos = stop;
    if c.eat_kws(&["ON", "COMPLETION"]) {
        c.eat_kw("NOT");
        c.eat_kw("PRESERVE").then_some(())?;
    }
    if c.eat_kw("DISABLE") {
        c.eat_kws(&["ON", "SLAVE"]);
    } else {
        c.eat_kw("ENABLE");
    }
    if c.eat_kw("COMMENT") {
        c.peek().filter(|t| t.kind == Kind::Str)?;
        c.pos += 1;
    }
    c.eat_kw("DO").then_some(())
}

/// A routine body: a compound `[label:] BEGIN … END [label]` block, `RETURN expr`, or one
/// statement sqlparser reads.
fn mysql_body(c: &mut Cursor) -> Option<()> {
    if c.at_end() {
        return None;
    }
    let labelled = c.punct_at(1, ":") && c.kw_at(2, "BEGIN");
    if c.peek_kw("BEGIN") || labelled {
        return compound(c);
    }
    if c.eat_kw("RETURN") {
        is_expr(c.text(), c.dialect).then_some(())?;
        c.pos = c.toks.len();
        return Some(());
    }
    if c.peek_any(&["SET"]) {
        // `SET NEW.col = expr, …`: assignments to expressions.
        c.pos += 1;
        let items = c.rest().items();
        for it in &items {
            let eq = it.top_index(|t| t.is_punct("=") || t.is_punct(":="))?;
            let target = it.slice(0, eq);
            let value = it.slice(eq + 1, it.toks.len());
            (is_expr(target.text(), c.dialect) && is_expr(value.text(), c.dialect)).then_some(())?;
        }
        c.pos = c.toks.len();
        return Some(());
    }
    reparse(c, c.pos..c.toks.len(), &[])?;
    c.pos = c.toks.len();
    Some(())
}

/// MariaDB's anonymous compound statement, `BEGIN NOT ATOMIC … END`, run where it stands.
pub(super) fn anonymous_block(c: &mut Cursor) -> Option<Vec<Op>> {
    c.pos = 0;
    compound(c)?;
    Some(vec![Op::Procedural {
        what: "begin not atomic".into(),
    }])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Begin,
    If,
    CaseStatement,
    CaseExpression,
    Loop,
    While,
    Repeat,
}

/// One balanced compound block from the cursor to the end of the statement.
fn compound(c: &mut Cursor) -> Option<()> {
    let mut stack: Vec<Block> = Vec::new();
    let mut statement_start = true;
    let mut opened = false;
    while let Some(t) = c.bump() {
        if opened && stack.is_empty() {
            // After the outer END only its label may follow.
            if t.is_ident() && c.at_end() {
                return Some(());
            }
            return None;
        }
        let at_start = statement_start;
        statement_start = false;
        if t.is_punct(";") {
            statement_start = true;
            continue;
        }
        if t.is_ident() && c.punct_at(0, ":") && at_start {
            // A label.
            c.pos += 1;
            statement_start = true;
            continue;
        }
        if t.kind != Kind::Word {
            continue;
        }
        let top = stack.last().copied();
        let word = t.value.to_ascii_uppercase();
        match word.as_str() {
            "BEGIN" => {
                c.eat_kws(&["NOT", "ATOMIC"]);
                stack.push(Block::Begin);
                opened = true;
                statement_start = true;
            }
            "IF" if at_start => stack.push(Block::If),
            "CASE" if at_start => stack.push(Block::CaseStatement),
            "CASE" => stack.push(Block::CaseExpression),
            "LOOP" if at_start => {
                stack.push(Block::Loop);
                statement_start = true;
            }
            "WHILE" if at_start => stack.push(Block::While),
            "REPEAT" if at_start => {
                stack.push(Block::Repeat);
                statement_start = true;
            }
            "THEN" | "ELSE" if matches!(top, Some(Block::If | Block::CaseStatement)) => {
                statement_start = true;
            }
            "DO" if top == Some(Block::While) => statement_start = true,
            "END" => {
                let closes = |b: Block| match b {
                    Block::If => "IF",
                    Block::CaseStatement => "CASE",
                    Block::Loop => "LOOP",
                    Block::While => "WHILE",
                    Block::Repeat => "REPEAT",
                    Block::Begin | Block::CaseExpression => "",
                };
                let block = stack.pop()?;
                let kw = closes(block);
                if kw.is_empty() {
                    if block == Block::Begin && !c.at_end() && !c.punct_at(0, ";") {
                        // `END label`
                        c.peek().filter(|t| t.is_ident() && !t.is_kw("END"))?;
                        if stack.is_empty() || c.punct_at(1, ";") {
                            c.pos += 1;
                        }
                    }
                } else if !c.eat_kw(kw) {
                    return None;
                }
            }
            _ => {}
        }
    }
    (opened && stack.is_empty()).then_some(())
}
