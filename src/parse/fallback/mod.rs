//! Recognition of valid statements sqlparser cannot read.
//!
//! Owns turning the text of one statement that sqlparser rejected into `Op`s, for the
//! shapes sqlparser lacks: `DROP INDEX CONCURRENTLY`, `REINDEX`, `VACUUM (…)`, `CLUSTER`,
//! `DO` blocks, `ALTER SEQUENCE`, `ALTER DOMAIN … ADD CONSTRAINT`, PostgreSQL procedures,
//! MySQL `OPTIMIZE`, table options such as `ENGINE=` inside ALTER TABLE, partition clauses,
//! MariaDB `IF [NOT] EXISTS` on indexes and columns, `SET STATEMENT … FOR`, and MySQL
//! trigger, procedure, function and event bodies. Administrative statements of every
//! object kind (owners, comments, publications, casts, accounts, …) are read from the
//! grammar table in [`admin`].
//!
//! Every grammar here is "recognise, then reject": a statement is recognised only when its
//! whole text reads, to the last token; anything unexpected returns `None`, and the caller
//! reports sqlparser's own error. Where a statement is standard SQL plus one clause
//! sqlparser lacks, that clause is read here and the rest is handed back to sqlparser
//! ([`reparse`]), so expressions and column definitions are checked by one parser.
//!
//! The text is cut once by sqlparser's tokenizer ([`tokens`]) and read with a [`Cursor`].
//! Never panics.

mod admin;
mod body;
mod tokens;

use std::ops::Range;

use crate::classify::op::{
    ConstraintKind, ConstraintSpec, Generated, IndexKind, Name, ObjectKind, Op, ReindexTarget,
};
use crate::dialect::Dialect;
use tokens::{tokenize, Cursor, Kind};

/// Recognises one statement's text (no terminator, leading comments already removed).
pub fn recognize(text: &str, dialect: Dialect) -> Option<Vec<Op>> {
    let text = text.trim();
    if dialect == Dialect::Postgres && is_psql_meta(text) {
        return Some(vec![inert("psql-meta")]);
    }
    let toks = tokenize(text, dialect)?;
    let mut c = Cursor::new(&toks, text, dialect);
    statement(&mut c).filter(|ops| !ops.is_empty())
}

/// `\set x 1`, `\i file`, `\connect db`, `\!`, `\?`, `\.`.
fn is_psql_meta(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next() == Some('\\')
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '!' | '?' | '.'))
}

fn other(what: impl Into<String>) -> Op {
    Op::Other { what: what.into() }
}

fn inert(what: impl Into<String>) -> Op {
    Op::Inert { what: what.into() }
}

/// `Some(ops)` when the cursor has read everything.
fn done(c: &Cursor, ops: Vec<Op>) -> Option<Vec<Op>> {
    c.at_end().then_some(ops)
}

/// Hands tokens `range` of `c`, less the `skip` ranges (clauses read here), back to
/// sqlparser and classifies what it reads. `None` when sqlparser rejects it too, or reads it
/// with a known wrong meaning.
fn reparse(c: &Cursor, range: Range<usize>, skip: &[Range<usize>]) -> Option<Vec<Op>> {
    reparse_with(c, range, skip, "")
}

/// [`reparse`], with `suffix` written after the tokens.
fn reparse_with(
    c: &Cursor,
    range: Range<usize>,
    skip: &[Range<usize>],
    suffix: &str,
) -> Option<Vec<Op>> {
    let mut text = String::new();
    for (i, t) in c.toks.iter().enumerate().take(range.end).skip(range.start) {
        if skip.iter().any(|r| r.contains(&i)) {
            continue;
        }
        text.push_str(c.src.get(t.start..t.end)?);
        text.push(' ');
    }
    text.push_str(suffix);
    let stmt = super::parse_with_sqlparser(&text, c.dialect).ok()?;
    if super::misparsed(&stmt, c.dialect).is_some() {
        return None;
    }
    Some(crate::classify::ast::classify(&stmt, c.dialect))
}

/// Whether `text` is one expression sqlparser reads.
fn is_expr(text: &str, dialect: Dialect) -> bool {
    use sqlparser::parser::Parser;
    let read = |d: &dyn sqlparser::dialect::Dialect| {
        Parser::new(d)
            .try_with_sql(text)
            .and_then(|mut p| {
                p.parse_expr()?;
                p.expect_token(&sqlparser::tokenizer::Token::EOF)
            })
            .is_ok()
    };
    match dialect {
        Dialect::Postgres => read(&sqlparser::dialect::PostgreSqlDialect {}),
        Dialect::Mysql => read(&sqlparser::dialect::MySqlDialect {}),
    }
}

/// Whether every comma-separated item of a group is an expression.
fn exprs(g: Cursor) -> bool {
    let dialect = g.dialect;
    let items = g.items();
    !items.is_empty() && items.iter().all(|i| is_expr(i.text(), dialect))
}

// ---------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------

fn statement(c: &mut Cursor) -> Option<Vec<Op>> {
    let first = c.peek().filter(|t| t.kind == Kind::Word)?;
    let verb = first.value.to_ascii_uppercase();
    c.pos += 1;
    let pg = c.pg();
    let ops = match verb.as_str() {
        "CREATE" => create(c),
        "ALTER" => alter(c),
        "DROP" if c.peek_kw("INDEX") => drop_index(c),
        "DO" if pg => do_block(c),
        "VACUUM" if pg => vacuum(c),
        "REINDEX" if pg => reindex(c),
        "CLUSTER" if pg => cluster(c),
        "OPTIMIZE" if !pg => optimize(c),
        "BEGIN" if !pg && c.peek_kws(&["NOT", "ATOMIC"]) => body::anonymous_block(c),
        "SET" if !pg && c.eat_kw("STATEMENT") => set_statement(c),
        _ => None,
    };
    ops.or_else(|| admin::statement(c))
}

// ---- CREATE

fn create(c: &mut Cursor) -> Option<Vec<Op>> {
    let start = 0;
    if let Some(tail) = check_option(c) {
        return reparse(c, start..c.toks.len() - tail, &[]);
    }
    let or_replace = c.eat_kws(&["OR", "REPLACE"]);
    if c.pg() {
        if c.peek_any(&["FUNCTION", "PROCEDURE"]) {
            return body::pg_routine(c);
        }
        if c.eat_kw("STATISTICS") {
            return create_statistics(c);
        }
        if c.peek_kws(&["MATERIALIZED", "VIEW"]) {
            return create_matview(c, start);
        }
    } else {
        let save = c.pos;
        if c.eat_kw("DEFINER") && !c.skip_definer() {
            return None;
        }
        if c.peek_any(&["TRIGGER", "PROCEDURE", "FUNCTION", "EVENT"]) {
            return body::mysql_routine(c);
        }
        c.pos = save;
    }
    if or_replace {
        return None;
    }
    let unique = c.eat_kw("UNIQUE");
    let kind_at = c.pos;
    let kind = match c.eat_one_of(&["SPATIAL", "FULLTEXT"]) {
        Some(_) if unique || c.pg() => return None,
        Some("SPATIAL") => Some((kind_at, IndexKind::Spatial)),
        Some(_) => Some((kind_at, IndexKind::Fulltext)),
        None => None,
    };
    c.eat_one_of(&["TEMP", "TEMPORARY", "UNLOGGED"]);
    if c.eat_kw("INDEX") {
        return create_index(c, kind);
    }
    if !unique && kind.is_none() && c.eat_kw("TABLE") {
        return create_table(c);
    }
    None
}

/// `CREATE [UNIQUE] INDEX … ON ONLY parent …` (PostgreSQL) and MySQL
/// `CREATE {SPATIAL|FULLTEXT} INDEX` (`kind`: where the word is) and `CREATE INDEX …
/// ALGORITHM=x LOCK=y` with values sqlparser lacks.
fn create_index(c: &mut Cursor, kind: Option<(usize, IndexKind)>) -> Option<Vec<Op>> {
    let on = c.top_index(|t| t.is_kw("ON"))?;
    let mut skip = Vec::new();
    if let Some((at, _)) = kind {
        skip.push(at..at + 1);
    }
    let only = c.pg() && c.toks.get(on + 1).is_some_and(|t| t.is_kw("ONLY"));
    if only {
        skip.push(on + 1..on + 2);
    }
    if let Some(at) = c
        .pg()
        .then(|| c.top_index(|t| t.is_kw("TABLESPACE")))
        .flatten()
    {
        // `TABLESPACE name`, which sqlparser lacks on an index.
        c.toks.get(at + 1).filter(|t| t.is_ident())?;
        skip.push(at..at + 2);
    }
    let mut algorithm_and_lock = Vec::new();
    if !c.pg() {
        // Trailing `ALGORITHM [=] x` / `LOCK [=] y`, read here.
        let mut i = c.toks.len();
        while let Some(at) = (on..i)
            .rev()
            .find(|&k| c.toks[k].is_any_kw(&["ALGORITHM", "LOCK"]) && c.is_top(&c.toks[k]))
        {
            let mut o = c.slice(at, i);
            let kw = o.bump()?.value.to_ascii_uppercase();
            let value = o.option_word()?;
            if !o.at_end() {
                break;
            }
            algorithm_and_lock.push((kw, value));
            skip.push(at..i);
            i = at;
        }
        algorithm_and_lock.reverse();
    }
    let mut ops = reparse(c, 0..c.toks.len(), &skip)?;
    let table = ops.iter().find_map(|op| match op {
        Op::CreateIndex { table, .. } => Some(table.clone()),
        _ => None,
    })?;
    for op in &mut ops {
        if let Op::CreateIndex {
            only: o, kind: k, ..
        } = op
        {
            *o = only;
            if let Some((_, kind)) = kind {
                *k = kind;
            }
        }
    }
    ops.extend(algorithm_and_lock.into_iter().map(|(kw, value)| {
        if kw == "ALGORITHM" {
            Op::AlterAlgorithm {
                table: table.clone(),
                algorithm: value,
            }
        } else {
            Op::AlterLock {
                table: table.clone(),
                lock: value,
            }
        }
    }));
    Some(ops)
}

/// `CREATE TABLE` with what sqlparser lacks: PostgreSQL `(LIKE t INCLUDING …)`, MySQL
/// `(LIKE t)`, partition clauses, `BINARY` and `IGNORED` column and index attributes.
fn create_table(c: &mut Cursor) -> Option<Vec<Op>> {
    let mut skip = Vec::new();
    let mut like = false;
    let open = c.top_index(|t| t.is_open());
    if let Some(open) = open {
        let mut g = c.slice(open, c.toks.len());
        let inner = g.group()?;
        let base = open + 1;
        for (from, item) in item_ranges(&inner) {
            let mut it = inner.slice(from, item);
            if it.eat_kw("LIKE") {
                like = true;
                it.name()?;
                while it.eat_one_of(&["INCLUDING", "EXCLUDING"]).is_some() {
                    it.ident()?;
                }
                if !it.at_end() {
                    return None;
                }
                if c.pg() {
                    // sqlparser reads `LIKE t` without its options.
                    skip.push(base + from + 2 + name_len(&inner, from + 1)..base + item);
                } else {
                    // … and in the MySQL dialect reads `LIKE` as a column: drop the list.
                    skip.push(open..open + 1 + inner.toks.len() + 1);
                }
            } else {
                skip.extend(
                    mysql_attributes(&inner, from..item)
                        .into_iter()
                        .map(|r| shift(r, base)),
                );
            }
        }
        if !c.pg() && like {
            return mysql_like_table(c, open);
        }
    }
    if !c.pg() {
        if let Some(p) = c.top_index_seq(&["PARTITION", "BY"]) {
            let mut part = c.slice(p, c.toks.len());
            partition_by(&mut part)?;
            skip.push(p..c.toks.len());
        }
    } else if let Some(at) = open
        .and_then(|o| {
            c.slice(o, c.toks.len())
                .group()
                .map(|g| o + g.toks.len() + 2)
        })
        .and_then(|after| (after..c.toks.len()).find(|&i| c.toks[i].is_kw("USING")))
    {
        // `USING access_method` after the column list.
        c.toks.get(at + 1).filter(|t| t.is_ident())?;
        skip.push(at..at + 2);
    }
    if skip.is_empty() {
        return None;
    }
    let mut ops = reparse(c, 0..c.toks.len(), &skip)?;
    for op in &mut ops {
        if let Op::CreateTable {
            columns_unknown, ..
        } = op
        {
            *columns_unknown |= like;
        }
    }
    Some(ops)
}

/// MySQL `CREATE TABLE [IF NOT EXISTS] t (LIKE other)`.
fn mysql_like_table(c: &mut Cursor, open: usize) -> Option<Vec<Op>> {
    let if_not_exists = c.eat_if_not_exists();
    let table = c.name()?;
    if c.pos != open {
        return None;
    }
    let mut g = c.group()?;
    g.eat_kw("LIKE");
    g.name()?;
    if !g.at_end() {
        return None;
    }
    done(
        c,
        vec![Op::CreateTable {
            table,
            columns: Vec::new(),
            constraints: Vec::new(),
            if_not_exists,
            columns_unknown: true,
            partition_of: None,
        }],
    )
}

/// The token ranges (within `g`) of its top-level comma-separated items.
fn item_ranges(g: &Cursor) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    for (i, t) in g.toks.iter().enumerate() {
        if g.is_top(t) && t.is_punct(",") {
            out.push((from, i));
            from = i + 1;
        }
    }
    out.push((from, g.toks.len()));
    out
}

/// How many tokens the name starting at `at` takes beyond its first (`a`: 0, `s.a`: 2).
fn name_len(g: &Cursor, at: usize) -> usize {
    let mut look = g.slice(at, g.toks.len());
    look.name();
    look.pos.saturating_sub(1)
}

fn shift(r: Range<usize>, by: usize) -> Range<usize> {
    r.start + by..r.end + by
}

/// MySQL column and index attributes sqlparser lacks within tokens `range` of `g`:
/// `BINARY` after a type, `[NOT] IGNORED` after an index's column list.
fn mysql_attributes(g: &Cursor, range: Range<usize>) -> Vec<Range<usize>> {
    let my = !g.pg();
    let pairs = range.clone().filter_map(|i| {
        let t = &g.toks[i];
        if !my || !g.is_top(t) || i == range.start {
            return None;
        }
        let prev = &g.toks[i - 1];
        if t.is_kw("BINARY") && (prev.is_close() || prev.kind == Kind::Word) {
            return Some(i..i + 1);
        }
        if t.is_kw("IGNORED") {
            return Some(if prev.is_kw("NOT") {
                i - 1..i + 1
            } else {
                i..i + 1
            });
        }
        None
    });
    pairs.collect()
}

/// MySQL `PARTITION BY [LINEAR] {RANGE|LIST} [COLUMNS] (…) | [LINEAR] {HASH|KEY} (…)
/// [PARTITIONS n] [SUBPARTITION BY …] [(PARTITION p VALUES …, …)]`.
fn partition_by(c: &mut Cursor) -> Option<()> {
    c.eat_kws(&["PARTITION", "BY"]);
    partition_method(c)?;
    if c.eat_kw("PARTITIONS") {
        c.number()?;
    }
    if c.eat_kws(&["SUBPARTITION", "BY"]) {
        partition_method(c)?;
        if c.eat_kw("SUBPARTITIONS") {
            c.number()?;
        }
    }
    if c.punct_at(0, "(") {
        partition_definitions(c.group()?)?;
    }
    c.at_end().then_some(())
}

fn partition_method(c: &mut Cursor) -> Option<()> {
    c.eat_kw("LINEAR");
    let method = c.eat_one_of(&["RANGE", "LIST", "HASH", "KEY"])?;
    if matches!(method, "RANGE" | "LIST") && c.eat_kw("COLUMNS") || method == "KEY" {
        let g = c.group()?;
        return (g.at_end() || g.items().iter().all(|i| is_name_list_item(i))).then_some(());
    }
    exprs(c.group()?).then_some(())
}

fn is_name_list_item(c: &Cursor) -> bool {
    let mut c = *c;
    c.ident().is_some() && c.at_end()
}

/// `(PARTITION p VALUES LESS THAN (…) | MAXVALUE | IN (…) [options], …)`.
fn partition_definitions(g: Cursor) -> Option<()> {
    for mut p in g.items() {
        if !p.eat_kw("PARTITION") {
            return None;
        }
        p.ident()?;
        if p.eat_kw("VALUES") {
            if p.eat_kws(&["LESS", "THAN"]) {
                if !p.eat_kw("MAXVALUE") && !exprs(p.group()?) {
                    return None;
                }
            } else if p.eat_kw("IN") {
                if !exprs(p.group()?) {
                    return None;
                }
            } else {
                return None;
            }
        }
        // ENGINE = x, COMMENT = '…', [STORAGE] ENGINE, DATA DIRECTORY = '…', …
        while !p.at_end() {
            p.eat_kw("STORAGE");
            p.eat_kw("DATA");
            p.eat_kw("INDEX");
            p.ident()?;
            p.option_word()?;
        }
    }
    Some(())
}

/// How many tokens a view's trailing `WITH [CASCADED | LOCAL] CHECK OPTION` takes, when
/// the statement creates a view and ends with it (sqlparser lacks the clause).
fn check_option(c: &Cursor) -> Option<usize> {
    let as_at = c.top_index(|t| t.is_kw("AS"))?;
    (c.pos..as_at).find(|&i| c.toks[i].is_kw("VIEW"))?;
    let n = c.toks.len();
    let ends = |kws: &[&str]| {
        n > kws.len()
            && kws.iter().enumerate().all(|(k, kw)| {
                let t = &c.toks[n - kws.len() + k];
                c.is_top(t) && t.is_kw(kw)
            })
    };
    let tails: [&[&str]; 3] = [
        &["WITH", "CASCADED", "CHECK", "OPTION"],
        &["WITH", "LOCAL", "CHECK", "OPTION"],
        &["WITH", "CHECK", "OPTION"],
    ];
    tails.iter().find(|k| ends(k)).map(|k| k.len())
}

/// `CREATE MATERIALIZED VIEW … [WITH [NO] DATA]`: sqlparser lacks the last clause.
fn create_matview(c: &mut Cursor, start: usize) -> Option<Vec<Op>> {
    let n = c.toks.len();
    let tail = if c
        .toks
        .get(n.checked_sub(3)?)
        .is_some_and(|t| t.is_kw("WITH"))
        && c.toks[n - 2].is_kw("NO")
        && c.toks[n - 1].is_kw("DATA")
    {
        3
    } else if c.toks[n - 2].is_kw("WITH") && c.toks[n - 1].is_kw("DATA") {
        2
    } else {
        return None;
    };
    reparse(c, start..n - tail, &[])
}

/// `CREATE STATISTICS [IF NOT EXISTS] name [(kinds)] ON expr, … FROM table`.
fn create_statistics(c: &mut Cursor) -> Option<Vec<Op>> {
    c.eat_if_not_exists();
    let name = c.name()?;
    if c.punct_at(0, "(") {
        let g = c.group()?;
        if !g.items().iter().all(is_name_list_item) {
            return None;
        }
    }
    if !c.eat_kw("ON") {
        return None;
    }
    let from = c.top_index(|t| t.is_kw("FROM"))?;
    let on = c.slice(c.pos, from);
    if !on.items().iter().all(|i| is_expr(i.text(), c.dialect)) {
        return None;
    }
    c.pos = from + 1;
    c.name()?;
    done(
        c,
        vec![Op::CreateObject {
            kind: ObjectKind::Other,
            name,
            on_table: None,
            view: None,
        }],
    )
}

// ---- ALTER

fn alter(c: &mut Cursor) -> Option<Vec<Op>> {
    if !c.pg() && c.peek_any(&["ONLINE", "IGNORE"]) && c.kw_at(1, "TABLE") {
        c.pos += 1;
    }
    if c.eat_kw("TABLE") {
        return alter_table(c);
    }
    if c.eat_kw("SEQUENCE") {
        return alter_sequence(c);
    }
    if c.pg() && c.eat_kw("DOMAIN") {
        return alter_domain(c);
    }
    if c.pg() && c.eat_kw("INDEX") {
        return alter_index(c);
    }
    None
}

/// PostgreSQL `ALTER DOMAIN name ADD [CONSTRAINT c] CHECK (expr) [NOT VALID]` (the other
/// domain actions are in the [`admin`] table).
fn alter_domain(c: &mut Cursor) -> Option<Vec<Op>> {
    let domain = c.name()?;
    c.eat_kw("ADD").then_some(())?;
    let name = if c.eat_kw("CONSTRAINT") {
        Some(c.column()?)
    } else {
        None
    };
    c.eat_kw("CHECK").then_some(())?;
    let check = c.group()?;
    is_expr(check.text(), c.dialect).then_some(())?;
    let not_valid = c.eat_kws(&["NOT", "VALID"]);
    done(
        c,
        vec![Op::AddDomainConstraint {
            domain,
            constraint: ConstraintSpec {
                name,
                kind: ConstraintKind::Check { not_null_of: None },
                not_valid,
                using_index: None,
            },
        }],
    )
}

/// PostgreSQL `ALTER SEQUENCE [IF EXISTS] name option…`, `RENAME TO`, `SET SCHEMA`,
/// `OWNER TO`.
fn alter_sequence(c: &mut Cursor) -> Option<Vec<Op>> {
    c.eat_if_exists();
    let name = c.name()?;
    if c.eat_kws(&["OWNER", "TO"]) {
        c.ident()?;
        return done(c, vec![inert("owner to")]);
    }
    if c.eat_kws(&["RENAME", "TO"]) || c.eat_kws(&["SET", "SCHEMA"]) {
        c.ident()?;
    } else {
        sequence_options(c)?;
    }
    done(
        c,
        vec![Op::AlterObject {
            kind: ObjectKind::Sequence,
            name,
            view: None,
        }],
    )
}

/// Sequence options, as in ALTER SEQUENCE and identity columns; at least one.
fn sequence_options(c: &mut Cursor) -> Option<()> {
    let start = c.pos;
    while !c.at_end() {
        if c.eat_kw("AS") {
            c.name()?;
        } else if c.eat_kw("INCREMENT") {
            c.eat_kw("BY");
            c.signed_number()?;
        } else if c.eat_one_of(&["MINVALUE", "MAXVALUE", "CACHE"]).is_some() {
            c.signed_number()?;
        } else if c.eat_kw("NO") {
            c.eat_one_of(&["MINVALUE", "MAXVALUE", "CYCLE"])?;
        } else if c.eat_kw("CYCLE") {
        } else if c.eat_kw("START") {
            c.eat_kw("WITH");
            c.signed_number()?;
        } else if c.eat_kw("RESTART") {
            if c.eat_kw("WITH") || c.peek().is_some_and(|t| t.kind == Kind::Number) {
                c.signed_number()?;
            }
        } else if c.eat_kws(&["OWNED", "BY"]) {
            if !c.eat_kw("NONE") {
                c.name()?;
            }
        } else if c.eat_kws(&["SEQUENCE", "NAME"]) {
            c.name()?;
        } else if c.eat_kw("SET") {
            c.eat_one_of(&["LOGGED", "UNLOGGED"])?;
        } else {
            return None;
        }
    }
    (c.pos > start).then_some(())
}

/// PostgreSQL `ALTER INDEX [IF EXISTS] name RENAME TO | SET TABLESPACE | SET (…) | RESET
/// (…) | ATTACH PARTITION | ALTER [COLUMN] n SET STATISTICS n | [NO] DEPENDS ON EXTENSION`.
fn alter_index(c: &mut Cursor) -> Option<Vec<Op>> {
    c.eat_if_exists();
    let from = c.name()?;
    let op = if c.eat_kws(&["RENAME", "TO"]) {
        Op::RenameIndex {
            table: None,
            from,
            to: c.name()?,
        }
    } else if c.eat_kws(&["SET", "TABLESPACE"]) {
        c.ident()?;
        other("alter index set tablespace")
    } else if c.eat_kws(&["ATTACH", "PARTITION"]) {
        c.name()?;
        other("alter index attach partition")
    } else if c.eat_kw("SET") || c.eat_kw("RESET") {
        c.group()?;
        inert("alter index")
    } else if c.eat_kw("ALTER") {
        c.eat_kw("COLUMN");
        c.number().or_else(|| c.ident().map(|_| ()))?;
        c.eat_kws(&["SET", "STATISTICS"]).then_some(())?;
        c.signed_number()?;
        inert("alter index")
    } else {
        c.eat_kw("NO");
        c.eat_kws(&["DEPENDS", "ON", "EXTENSION"]).then_some(())?;
        c.ident()?;
        inert("alter index")
    };
    done(c, vec![op])
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name [*] action, …`: each action is read here when it
/// is one sqlparser lacks, else handed to sqlparser on its own.
fn alter_table(c: &mut Cursor) -> Option<Vec<Op>> {
    let head_start = 0;
    c.eat_if_exists();
    c.eat_kw("ONLY");
    let table = c.name()?;
    c.eat_punct("*");
    let head_end = c.pos;
    if c.at_end() {
        return None;
    }
    let mut ops = Vec::new();
    if is_online_or_ignore(c) && c.toks[1].is_kw("ONLINE") {
        // MariaDB `ALTER ONLINE TABLE`: LOCK=NONE.
        ops.push(Op::AlterLock {
            table: table.clone(),
            lock: "NONE".to_owned(),
        });
    }
    let mut from = c.pos;
    for (i, t) in c.toks.iter().enumerate().skip(from) {
        let last = i + 1 == c.toks.len();
        // MySQL `ORDER BY a, b` is one action, to the end.
        let order_by = !c.pg()
            && c.toks[from].is_kw("ORDER")
            && c.toks.get(from + 1).is_some_and(|t| t.is_kw("BY"));
        if c.is_top(t) && t.is_punct(",") && !order_by || last {
            let to = if last && !t.is_punct(",") { i + 1 } else { i };
            if to == from {
                return None;
            }
            ops.extend(alter_action(c, &table, head_start..head_end, from..to)?);
            from = i + 1;
        }
    }
    Some(ops)
}

/// MySQL `ALTER ONLINE TABLE` / `ALTER IGNORE TABLE`, which sqlparser lacks.
fn is_online_or_ignore(c: &Cursor) -> bool {
    !c.pg()
        && c.toks
            .get(1)
            .is_some_and(|t| t.is_any_kw(&["ONLINE", "IGNORE"]))
}

/// One action, tokens `range`; MySQL table options may follow each other without commas.
fn alter_action(
    c: &Cursor,
    table: &Name,
    head: Range<usize>,
    range: Range<usize>,
) -> Option<Vec<Op>> {
    let mut a = c.slice(range.start, range.end);
    let mut ops = Vec::new();
    if let Some(op) = own_action(&mut a, table) {
        ops.extend(op);
        while !a.at_end() && !a.pg() {
            ops.extend(table_option(&mut a, table)?);
        }
        return done(&a, ops);
    }
    patched_action(c, table, head, range)
}

/// An action sqlparser reads once the clauses it lacks are taken out: MariaDB `IF [NOT]
/// EXISTS` on ADD/DROP of columns and indexes, MySQL `BINARY`, PostgreSQL identity options
/// and `WITH (storage)` on keys.
fn patched_action(
    c: &Cursor,
    table: &Name,
    head: Range<usize>,
    range: Range<usize>,
) -> Option<Vec<Op>> {
    let a = c.slice(range.start, range.end);
    let mut skip: Vec<Range<usize>> = Vec::new();
    let mut if_exists = false;
    let mut if_not_exists = false;
    let mut virtual_column = None;
    if !a.pg() {
        let mut look = a;
        if look.eat_kw("ADD") || look.eat_kw("DROP") {
            look.eat_one_of(&["COLUMN", "INDEX", "KEY", "CONSTRAINT", "PARTITION"]);
            look.eat_kws(&["FOREIGN", "KEY"]);
            let at = range.start + look.pos;
            if look.eat_if_not_exists() {
                if_not_exists = true;
                skip.push(at..at + 3);
            } else if look.eat_if_exists() {
                if_exists = true;
                skip.push(at..at + 2);
            }
        }
        skip.extend(mysql_attributes(c, range.clone()));
    } else {
        virtual_column = virtual_generated(c, range.clone())?;
        skip.extend(virtual_column.clone());
        if a.peek_kw("ALTER") {
            // `ALTER COLUMN c TYPE t COLLATE x`: sqlparser lacks the collation.
            if let Some(at) = range
                .clone()
                .find(|&i| c.is_top(&c.toks[i]) && c.toks[i].is_kw("COLLATE"))
            {
                c.toks.get(at + 1).filter(|t| t.is_ident())?;
                skip.push(at..at + 2 + name_len(c, at + 1));
            }
        }
        // `… AS IDENTITY (sequence options)` and `PRIMARY KEY (…) WITH (storage)`.
        for i in range.clone() {
            let t = &c.toks[i];
            if !t.is_punct("(") || !c.is_top(t) || i == range.start {
                continue;
            }
            let mut g = c.slice(i, range.end);
            let inner = g.group()?;
            let end = i + g.pos;
            if c.toks[i - 1].is_kw("IDENTITY") {
                let mut opts = inner;
                sequence_options(&mut opts)?;
                skip.push(i..end);
            } else if c.toks[i - 1].is_kw("WITH") && i >= 2 && c.toks[i - 2].is_close() {
                if !inner.items().iter().all(|it| is_storage_parameter(*it)) {
                    return None;
                }
                skip.push(i - 1..end);
            }
        }
    }
    let mut text_range = head.clone();
    text_range.end = range.end;
    let hole = head.end..range.start;
    skip.push(hole);
    if is_online_or_ignore(c) {
        skip.push(1..2);
    }
    let mut ops = reparse(c, text_range, &skip)?;
    for op in &mut ops {
        match op {
            Op::AddColumn { column, .. } if virtual_column.is_some() => {
                column.generated = Some(Generated::Virtual);
            }
            Op::AddColumn {
                if_not_exists: f, ..
            }
            | Op::CreateIndex {
                if_not_exists: f, ..
            } => *f |= if_not_exists,
            Op::DropColumn { if_exists: f, .. } | Op::DropIndex { if_exists: f, .. } => {
                *f |= if_exists
            }
            _ => {}
        }
    }
    let _ = table;
    Some(ops)
}

/// A column's identity changes, at least one: `SET GENERATED {ALWAYS | BY DEFAULT}`,
/// `RESTART [[WITH] n]`, `SET sequence_option`.
fn identity_options(a: &mut Cursor) -> Option<()> {
    let start = a.pos;
    while !a.at_end() {
        if a.eat_kws(&["SET", "GENERATED"]) {
            if !a.eat_kw("ALWAYS") {
                a.eat_kws(&["BY", "DEFAULT"]).then_some(())?;
            }
        } else if a.eat_kw("RESTART") {
            if a.eat_kw("WITH") || a.peek().is_some_and(|t| t.kind == Kind::Number) {
                a.signed_number()?;
            }
        } else if a.eat_kw("SET") && !a.peek_kw("SET") {
            // One sequence option: the longest run of tokens that reads as options.
            let from = a.pos;
            a.pos = (from + 1..=a.toks.len())
                .rev()
                .find(|&end| sequence_options(&mut a.slice(from, end)).is_some())?;
        } else {
            return None;
        }
    }
    (a.pos > start).then_some(())
}

/// PostgreSQL 18 virtual generated columns, `GENERATED ALWAYS AS (expr) [VIRTUAL]`, which
/// sqlparser reads only with STORED: the clause's token range within `range`, when there is
/// one and its expression reads.
fn virtual_generated(c: &Cursor, range: Range<usize>) -> Option<Option<Range<usize>>> {
    let Some(at) = (range.clone()).find(|&i| {
        c.is_top(&c.toks[i])
            && c.toks[i].is_kw("GENERATED")
            && c.toks.get(i + 1).is_some_and(|t| t.is_kw("ALWAYS"))
    }) else {
        return Some(None);
    };
    let mut g = c.slice(at, range.end);
    g.eat_kws(&["GENERATED", "ALWAYS", "AS"]).then_some(())?;
    if !g.punct_at(0, "(") {
        return Some(None);
    }
    let expr = g.group()?;
    if g.peek_kw("STORED") {
        return Some(None);
    }
    is_expr(expr.text(), c.dialect).then_some(())?;
    g.eat_kw("VIRTUAL");
    Some(Some(at..at + g.pos))
}

/// `name = value` or `name` in a storage parameter list.
fn is_storage_parameter(mut c: Cursor) -> bool {
    c.name().is_some() && (c.at_end() || c.eat_punct("=") && c.bump().is_some() && c.at_end())
}

/// Actions read here: MySQL table options, `FORCE`, `RENAME INDEX`, `ALTER INDEX …
/// VISIBLE`, partition maintenance; PostgreSQL `ALTER CONSTRAINT`, `SET STATISTICS`,
/// `SET TABLESPACE`. `None` (and nothing read) for every other action.
fn own_action(a: &mut Cursor, table: &Name) -> Option<Vec<Op>> {
    let t = table.clone();
    let save = a.pos;
    let other_meta = |what: &str| Op::AlterTableOther {
        table: table.clone(),
        what: what.to_owned(),
    };
    let op = if a.pg() {
        if a.eat_kws(&["ALTER", "CONSTRAINT"]) {
            a.ident()?;
            let mut any = false;
            loop {
                if a.eat_kw("DEFERRABLE") || a.eat_kws(&["NOT", "DEFERRABLE"]) {
                } else if a.eat_kw("INITIALLY") {
                    a.eat_one_of(&["DEFERRED", "IMMEDIATE"])?;
                } else if a.eat_kws(&["NO", "INHERIT"]) || a.eat_kw("INHERIT") {
                } else {
                    break;
                }
                any = true;
            }
            any.then(|| other_meta("alter constraint"))?
        } else if a.eat_kw("ALTER") {
            a.eat_kw("COLUMN");
            a.ident()?;
            if a.eat_kws(&["SET", "STATISTICS"]) {
                a.signed_number()?;
                other_meta("set statistics")
            } else if a.eat_kws(&["SET", "STORAGE"]) || a.eat_kws(&["SET", "COMPRESSION"]) {
                a.ident()?;
                other_meta("set storage")
            } else if a.eat_kws(&["DROP", "EXPRESSION"]) {
                a.eat_if_exists();
                other_meta("drop expression")
            } else if a.eat_kws(&["DROP", "IDENTITY"]) {
                a.eat_if_exists();
                other_meta("identity")
            } else if a.punct_at(1, "(") && a.eat_one_of(&["SET", "RESET"]).is_some() {
                a.group()?;
                other_meta("set")
            } else if a.peek_kws(&["SET", "GENERATED"]) || a.peek_any(&["RESTART", "SET"]) {
                identity_options(a)?;
                other_meta("identity")
            } else {
                a.pos = save;
                return None;
            }
        } else if a.eat_kws(&["CLUSTER", "ON"]) {
            a.ident()?;
            other_meta("cluster on")
        } else if a.eat_kws(&["SET", "WITHOUT", "CLUSTER"]) {
            other_meta("set without cluster")
        } else if a.eat_kws(&["SET", "SCHEMA"]) {
            a.ident()?;
            other_meta("set schema")
        } else if a.eat_kws(&["SET", "ACCESS", "METHOD"]) {
            a.ident()?;
            other_meta("set access method")
        } else if a.eat_kws(&["SET", "TABLESPACE"]) {
            a.ident()?;
            a.eat_kw("NOWAIT");
            Op::SetTablespace { table: t }
        } else {
            return None;
        }
    } else if let Some(ops) = table_option(a, table) {
        return Some(ops);
    } else if a.eat_one_of(&["DISABLE", "ENABLE"]).is_some() {
        a.eat_kw("KEYS").then_some(())?;
        other_meta("keys")
    } else if a.eat_kws(&["ORDER", "BY"]) {
        let cols = a.list(|a| {
            let col = a.column()?;
            a.eat_one_of(&["ASC", "DESC"]);
            Some(col)
        });
        cols.first()?;
        Op::RebuildTable {
            table: t,
            how: "order by".to_owned(),
        }
    } else if a.eat_kw("FORCE") {
        Op::RebuildTable {
            table: t,
            how: "force".to_owned(),
        }
    } else if a.eat_kw("RENAME") && a.eat_one_of(&["INDEX", "KEY"]).is_some() {
        let from = a.column()?;
        a.eat_kw("TO").then_some(())?;
        Op::RenameIndex {
            table: Some(t),
            from,
            to: a.column()?,
        }
    } else if a.pos == save && a.eat_kws(&["ALTER", "INDEX"]) {
        a.ident()?;
        if a.eat_one_of(&["VISIBLE", "INVISIBLE", "IGNORED"]).is_none()
            && !a.eat_kws(&["NOT", "IGNORED"])
        {
            return None;
        }
        other_meta("index visibility")
    } else if a.pos == save {
        return partition_action(a, table);
    } else {
        return None;
    };
    Some(vec![op])
}

/// MySQL partition actions: `{ANALYZE|CHECK|OPTIMIZE|REBUILD|REPAIR|TRUNCATE|DISCARD|IMPORT}
/// PARTITION {ALL|names} [TABLESPACE]`, `COALESCE PARTITION n`, `REORGANIZE PARTITION names
/// INTO (…)`, `EXCHANGE PARTITION p WITH TABLE t [{WITH|WITHOUT} VALIDATION]`, `ADD
/// PARTITION (…)`, `DROP PARTITION names`, `REMOVE PARTITIONING`, `PARTITION BY …`.
fn partition_action(a: &mut Cursor, table: &Name) -> Option<Vec<Op>> {
    let verb = a.peek()?.lower();
    let names = |a: &mut Cursor| -> Option<()> {
        if !a.eat_kw("ALL") {
            let n = a.list(|a| a.ident());
            (!n.is_empty()).then_some(())?;
        }
        Some(())
    };
    let op = match verb.as_str() {
        "remove" if a.kw_at(1, "PARTITIONING") => {
            a.pos += 2;
            other("partition remove")
        }
        "partition" if a.kw_at(1, "BY") => {
            let end = a
                .top_index(|t| t.is_any_kw(&["ALGORITHM", "LOCK"]))
                .unwrap_or(a.toks.len());
            let mut p = a.slice(a.pos, end);
            partition_by(&mut p)?;
            a.pos = end;
            other("partition by")
        }
        _ if a.kw_at(1, "PARTITION") => {
            a.pos += 2;
            match verb.as_str() {
                "truncate" | "drop" => {
                    names(a)?;
                    Op::Truncate {
                        tables: vec![table.clone()],
                    }
                }
                "analyze" | "check" | "optimize" | "rebuild" | "repair" | "discard" | "import" => {
                    names(a)?;
                    a.eat_kw("TABLESPACE");
                    other(format!("partition {verb}"))
                }
                "coalesce" => {
                    a.number()?;
                    other("partition coalesce")
                }
                "reorganize" => {
                    names(a)?;
                    a.eat_kw("INTO").then_some(())?;
                    partition_definitions(a.group()?)?;
                    other("partition reorganize")
                }
                "exchange" => {
                    a.ident()?;
                    a.eat_kws(&["WITH", "TABLE"]).then_some(())?;
                    a.name()?;
                    if a.eat_one_of(&["WITH", "WITHOUT"]).is_some() {
                        a.eat_kw("VALIDATION").then_some(())?;
                    }
                    other("partition exchange")
                }
                "add" => {
                    partition_definitions(a.group()?)?;
                    other("partition add")
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(vec![op])
}

/// MySQL table options that rebuild the table, and the `how` reported.
const REBUILD_OPTIONS: &[(&str, &str)] = &[
    ("ENGINE", "engine"),
    ("ROW_FORMAT", "row-format"),
    ("KEY_BLOCK_SIZE", "key-block-size"),
    ("ENCRYPTION", "encryption"),
    ("TABLESPACE", "tablespace"),
];

/// MySQL table options that change nothing a client can see: `KW [=] value`.
const TABLE_OPTIONS: &[&str] = &[
    "AUTO_INCREMENT",
    "AVG_ROW_LENGTH",
    "CHECKSUM",
    "COMMENT",
    "COMPRESSION",
    "CONNECTION",
    "DELAY_KEY_WRITE",
    "INSERT_METHOD",
    "MAX_ROWS",
    "MIN_ROWS",
    "PACK_KEYS",
    "PASSWORD",
    "STATS_AUTO_RECALC",
    "STATS_PERSISTENT",
    "STATS_SAMPLE_PAGES",
    "PAGE_CHECKSUM",
    "PAGE_COMPRESSED",
    "PAGE_COMPRESSION_LEVEL",
    "TRANSACTIONAL",
    "AUTOEXTEND_SIZE",
];

/// One MySQL table option (`ENGINE=…`, `ALGORITHM=…`, `CONVERT TO CHARACTER SET …`,
/// `COMMENT '…'`, …); `None` (nothing read) when the action is not one. `WAIT n` and
/// `NOWAIT` yield no operation.
fn table_option(a: &mut Cursor, t: &Name) -> Option<Vec<Op>> {
    let table = t.clone();
    let save = a.pos;
    let op = if a.eat_kws(&["CONVERT", "TO"]) {
        if !a.eat_kws(&["CHARACTER", "SET"]) && !a.eat_kw("CHARSET") {
            a.pos = save;
            return None;
        }
        let charset = a.option_word()?.to_lowercase();
        if a.eat_kw("COLLATE") {
            a.option_word()?;
        }
        Op::ConvertCharset { table, charset }
    } else if let Some(how) = REBUILD_OPTIONS
        .iter()
        .find_map(|(kw, how)| a.eat_kw(kw).then_some(*how))
    {
        a.option_word()?;
        Op::RebuildTable {
            table,
            how: how.to_owned(),
        }
    } else if a.eat_kw("ALGORITHM") {
        Op::AlterAlgorithm {
            table,
            algorithm: a.option_word()?,
        }
    } else if a.eat_kw("LOCK") {
        Op::AlterLock {
            table,
            lock: a.option_word()?,
        }
    } else if a.eat_kw("WAIT") {
        a.number()?;
        return Some(Vec::new());
    } else if a.eat_kw("NOWAIT") {
        return Some(Vec::new());
    } else if let Some(what) = charset_option(a) {
        a.option_word()?;
        Op::AlterTableOther {
            table,
            what: what.to_owned(),
        }
    } else if let Some(kw) = a.eat_one_of(TABLE_OPTIONS) {
        a.option_word()?;
        Op::AlterTableOther {
            table,
            what: kw.to_lowercase(),
        }
    } else {
        return None;
    };
    Some(vec![op])
}

/// `[DEFAULT] CHARACTER SET | CHARSET | COLLATE` (the value is read by the caller).
fn charset_option(a: &mut Cursor) -> Option<&'static str> {
    let save = a.pos;
    a.eat_kw("DEFAULT");
    if a.eat_kws(&["CHARACTER", "SET"]) || a.eat_kw("CHARSET") {
        Some("character set")
    } else if a.eat_kw("COLLATE") {
        Some("collate")
    } else {
        a.pos = save;
        None
    }
}

// ---- DROP INDEX

/// PostgreSQL `DROP INDEX [CONCURRENTLY] [IF EXISTS] name, … [CASCADE|RESTRICT]`; MySQL
/// `DROP INDEX name ON table [ALGORITHM [=] x] [LOCK [=] y] [WAIT n|NOWAIT]` and MariaDB
/// `IF EXISTS`.
fn drop_index(c: &mut Cursor) -> Option<Vec<Op>> {
    c.eat_kw("INDEX");
    let concurrently = c.pg() && c.eat_kw("CONCURRENTLY");
    let if_exists = c.eat_if_exists();
    if c.pg() {
        let names = c.list(|c| c.name());
        if names.is_empty() {
            return None;
        }
        c.eat_one_of(&["CASCADE", "RESTRICT"]);
        return done(
            c,
            vec![Op::DropIndex {
                names,
                table: None,
                concurrently,
                if_exists,
            }],
        );
    }
    let name = c.column()?;
    c.eat_kw("ON").then_some(())?;
    let table = c.name()?;
    let mut ops = vec![Op::DropIndex {
        names: vec![name],
        table: Some(table.clone()),
        concurrently: false,
        if_exists,
    }];
    while !c.at_end() {
        let kw = c.eat_one_of(&["ALGORITHM", "LOCK", "WAIT", "NOWAIT"])?;
        match kw {
            "ALGORITHM" => ops.push(Op::AlterAlgorithm {
                table: table.clone(),
                algorithm: c.option_word()?,
            }),
            "LOCK" => ops.push(Op::AlterLock {
                table: table.clone(),
                lock: c.option_word()?,
            }),
            "WAIT" => c.number()?,
            _ => {}
        }
    }
    Some(ops)
}

// ---- PostgreSQL statements

/// `DO [LANGUAGE lang] 'code' [LANGUAGE lang]`.
fn do_block(c: &mut Cursor) -> Option<Vec<Op>> {
    let string = |c: &mut Cursor| -> Option<()> {
        c.peek()
            .filter(|t| t.kind == Kind::Str || t.kind == Kind::Dollar)?;
        c.pos += 1;
        Some(())
    };
    // `LANGUAGE` names the language as a word or a string: `plpgsql`, `'plpgsql'`.
    let language = |c: &mut Cursor| -> Option<()> {
        if c.eat_kw("LANGUAGE") && string(c).is_none() {
            c.ident()?;
        }
        Some(())
    };
    language(c)?;
    string(c)?;
    language(c)?;
    done(c, vec![Op::Procedural { what: "do".into() }])
}

/// `CLUSTER [VERBOSE] [(options)] [table [USING index]]`, and the old `CLUSTER index ON
/// table`: a rewrite of the table in index order.
fn cluster(c: &mut Cursor) -> Option<Vec<Op>> {
    if c.punct_at(0, "(") {
        for mut item in c.group()?.items() {
            item.ident()?;
            if !item.at_end() {
                option_enabled(&mut item)?;
            }
            item.at_end().then_some(())?;
        }
    } else {
        c.eat_kw("VERBOSE");
    }
    let mut table = c.name();
    if table.is_some() {
        if c.eat_kw("USING") {
            c.ident()?;
        } else if c.eat_kw("ON") {
            table = Some(c.name()?);
        }
    }
    done(c, vec![Op::Cluster { table }])
}

/// `VACUUM [(option [value], …)] | [FULL] [FREEZE] [VERBOSE] [ANALYZE] [table [(cols)], …]`.
fn vacuum(c: &mut Cursor) -> Option<Vec<Op>> {
    let mut full = false;
    if c.punct_at(0, "(") {
        let g = c.group()?;
        for mut item in g.items() {
            let option = item.ident()?.0.to_ascii_uppercase();
            let on = item.at_end() || option_enabled(&mut item)?;
            if !item.at_end() {
                return None;
            }
            full |= option == "FULL" && on;
        }
    } else {
        full = c.eat_kw("FULL");
        c.eat_kw("FREEZE");
        c.eat_kw("VERBOSE");
        c.eat_one_of(&["ANALYZE", "ANALYSE"]);
    }
    let tables = c.list(|c| {
        let name = c.name()?;
        if c.punct_at(0, "(") {
            let g = c.group()?;
            g.items().iter().all(is_name_list_item).then_some(())?;
        }
        Some(name)
    });
    let tables: Vec<Option<Name>> = if tables.is_empty() {
        vec![None]
    } else {
        tables.into_iter().map(Some).collect()
    };
    let ops = tables
        .into_iter()
        .map(|table| {
            if full {
                Op::VacuumFull { table }
            } else {
                Op::Vacuum { table }
            }
        })
        .collect();
    done(c, ops)
}

/// An option's boolean value: `true`, `on`, `1`, `false`, `off`, `0` (or a word such as
/// `INDEX_CLEANUP auto`, which counts as on).
fn option_enabled(c: &mut Cursor) -> Option<bool> {
    let t = c.bump()?;
    if !matches!(t.kind, Kind::Word | Kind::Number | Kind::Str) {
        return None;
    }
    Some(!matches!(
        t.value.to_ascii_lowercase().as_str(),
        "false" | "off" | "0" | "no"
    ))
}

/// `REINDEX [(options)] {INDEX|TABLE|SCHEMA|DATABASE|SYSTEM} [CONCURRENTLY] name`.
fn reindex(c: &mut Cursor) -> Option<Vec<Op>> {
    let mut concurrently = false;
    if c.punct_at(0, "(") {
        for mut item in c.group()?.items() {
            let option = item.ident()?.0.to_ascii_uppercase();
            let on = item.at_end() || option_enabled(&mut item)?;
            if !item.at_end() {
                return None;
            }
            concurrently |= option == "CONCURRENTLY" && on;
        }
    }
    let kind = c.eat_one_of(&["INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM"])?;
    concurrently |= c.eat_kw("CONCURRENTLY");
    let name = match c.name() {
        Some(name) => name,
        None if matches!(kind, "DATABASE" | "SYSTEM") => Name::default(),
        None => return None,
    };
    let target = match kind {
        "INDEX" => ReindexTarget::Index(name),
        "TABLE" => ReindexTarget::Table(name),
        "SCHEMA" => ReindexTarget::Schema(name),
        _ => ReindexTarget::Database(name),
    };
    done(
        c,
        vec![Op::Reindex {
            target,
            concurrently,
        }],
    )
}

// ---- MySQL statements

/// MariaDB `SET STATEMENT var = value, … FOR statement`: the settings hold for that one
/// statement (often `lock_wait_timeout` for an ALTER TABLE).
fn set_statement(c: &mut Cursor) -> Option<Vec<Op>> {
    let mut ops = c.list(|c| {
        let name = c.ident()?.0.to_lowercase();
        c.eat_punct("=").then_some(())?;
        let value = c.option_word()?;
        Some(Op::Set {
            name,
            value,
            local: true,
        })
    });
    ops.first()?;
    c.eat_kw("FOR").then_some(())?;
    let mut inner = c.rest();
    let statement_ops = reparse(c, c.pos..c.toks.len(), &[]).or_else(|| statement(&mut inner))?;
    ops.extend(statement_ops);
    Some(ops)
}

/// `OPTIMIZE [NO_WRITE_TO_BINLOG|LOCAL] {TABLE|TABLES} name, …`.
fn optimize(c: &mut Cursor) -> Option<Vec<Op>> {
    c.eat_one_of(&["NO_WRITE_TO_BINLOG", "LOCAL"]);
    c.eat_one_of(&["TABLE", "TABLES"])?;
    let ops: Vec<Op> = c
        .list(|c| c.name())
        .into_iter()
        .map(|table| Op::RebuildTable {
            table,
            how: "optimize".to_owned(),
        })
        .collect();
    if ops.is_empty() {
        return None;
    }
    done(c, ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> Option<Vec<Op>> {
        recognize(sql, Dialect::Postgres)
    }

    fn my(sql: &str) -> Option<Vec<Op>> {
        recognize(sql, Dialect::Mysql)
    }

    fn n(s: &str) -> Name {
        Name::new(s)
    }

    #[test]
    fn drop_index_concurrently_reads_to_the_end() {
        assert_eq!(
            pg("DROP INDEX CONCURRENTLY IF EXISTS public.a, app.\"B\" CASCADE"),
            Some(vec![Op::DropIndex {
                names: vec![n("a"), n("app.B")],
                table: None,
                concurrently: true,
                if_exists: true,
            }])
        );
        assert_eq!(pg("DROP INDEX CONCURRENTLY IF EXISTS a b"), None);
        assert_eq!(pg("DROP INDEX CONCURRENTLY a,"), None);
    }

    #[test]
    fn maintenance_statements() {
        assert_eq!(
            pg("REINDEX (VERBOSE) TABLE CONCURRENTLY app.t"),
            Some(vec![Op::Reindex {
                target: ReindexTarget::Table(n("app.t")),
                concurrently: true,
            }])
        );
        assert_eq!(pg("REINDEX TABEL t"), None);
        assert_eq!(
            pg("VACUUM (FULL true, ANALYZE) public.t (a, b)"),
            Some(vec![Op::VacuumFull {
                table: Some(n("t"))
            }])
        );
        assert_eq!(pg("VACUUM (FULL t"), None);
        assert_eq!(
            pg("DO $$ BEGIN END $$ LANGUAGE plpgsql").map(|o| o.len()),
            Some(1)
        );
        assert_eq!(
            pg("DO LANGUAGE 'plpgsql' $$ BEGIN END $$").map(|o| o.len()),
            Some(1)
        );
        assert_eq!(pg("DO LANGUAGE $$ BEGIN END $$"), None);
        assert_eq!(pg("DO $$ BEGIN END $$ LANGUAGE"), None);
        assert_eq!(pg("DO"), None);
        assert_eq!(my("OPTIMIZE TABLE a, b").map(|o| o.len()), Some(2));
        assert_eq!(my("OPTIMIZE TABEL a"), None);
    }

    #[test]
    fn alter_table_reads_each_action() {
        let ops = my(
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int NOT NULL, ALGORITHM=NOCOPY, LOCK=NONE",
        )
        .unwrap_or_default();
        let names: Vec<&str> = ops.iter().map(Op::name).collect();
        assert_eq!(names, ["add-column", "alter-algorithm", "alter-lock"]);
        assert!(matches!(
            &ops[0],
            Op::AddColumn {
                if_not_exists: true,
                ..
            }
        ));
        assert!(matches!(&ops[1], Op::AlterAlgorithm { algorithm, .. } if algorithm == "NOCOPY"));
        assert_eq!(
            my("ALTER TABLE t ADD COLUMN IF NOT EXISTS, ALGORITHM=NOCOPY"),
            None
        );
        assert_eq!(
            my("ALTER TABLE t ENGINE=InnoDB DEFAULT CHARSET=utf8mb4").map(|o| o.len()),
            Some(2)
        );
        assert_eq!(my("ALTER TABLE t ENGINE="), None);
        let ops =
            pg("ALTER TABLE t ALTER COLUMN c SET NOT NULL, ALTER CONSTRAINT f NOT DEFERRABLE")
                .unwrap_or_default();
        let names: Vec<&str> = ops.iter().map(Op::name).collect();
        assert_eq!(names, ["set-not-null", "alter-table-option"]);
        assert_eq!(pg("ALTER TABLE t ALTER CONSTRAINT f INITIALLY LATER"), None);
        assert_eq!(pg("ALTER TABLE t ADD INDEX i (c)"), None);
    }

    #[test]
    fn clauses_sqlparser_lacks_are_taken_out() {
        assert!(matches!(
            pg("CREATE INDEX i ON ONLY p (a)").as_deref(),
            Some([Op::CreateIndex { only: true, .. }])
        ));
        assert!(matches!(
            pg("CREATE TABLE c (LIKE p INCLUDING ALL)").as_deref(),
            Some([Op::CreateTable {
                columns_unknown: true,
                ..
            }])
        ));
        assert!(matches!(
            my("CREATE TABLE c (LIKE p)").as_deref(),
            Some([Op::CreateTable {
                columns_unknown: true,
                ..
            }])
        ));
        assert!(pg("CREATE MATERIALIZED VIEW v AS SELECT 1 WITH NO DATA").is_some());
        assert!(pg("CREATE MATERIALIZED VIEW v AS SELEC 1 WITH NO DATA").is_none());
        assert!(my("CREATE TABLE e (id int) PARTITION BY HASH (id) PARTITIONS 4").is_some());
        assert!(my("CREATE TABLE e (id int) PARTITION BY HASH (id) PARTITIONS").is_none());
    }

    #[test]
    fn routine_bodies() {
        let atomic = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql \
                      BEGIN ATOMIC SELECT a + 1; SELECT CASE WHEN a > 0 THEN 1 END; END";
        assert!(matches!(
            pg(atomic).as_deref(),
            Some([Op::CreateObject {
                kind: ObjectKind::Function,
                ..
            }])
        ));
        assert!(
            pg("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELEC 1; END").is_none()
        );
        assert!(pg("CREATE PROCEDURE p(a int) LANGUAGE plpgsql AS $$ BEGIN END $$").is_some());
        assert!(pg("CREATE PROCEDURE p(a int) LANGUAGE plpgsql").is_none());
        let trigger = "CREATE DEFINER=`root`@`localhost` TRIGGER g BEFORE DELETE ON t \
                       FOR EACH ROW BEGIN IF OLD.a > 0 THEN SIGNAL SQLSTATE '45000'; \
                       ELSEIF IF(OLD.b, 1, 0) THEN SET @x = CASE WHEN 1 THEN 2 END; END IF; END";
        assert_eq!(
            my(trigger),
            Some(vec![Op::CreateObject {
                kind: ObjectKind::Trigger,
                name: n("g"),
                on_table: Some(n("t")),
                view: None,
            }])
        );
        let unclosed = trigger.replace("END IF;", "END;");
        assert!(my(&unclosed).is_none());
        assert!(my("CREATE FUNCTION f() RETURNS int DETERMINISTIC RETURN 1 +").is_none());
        assert!(my("CREATE FUNCTION f() RETURNS int DETERMINISTIC RETURN 1 + 2").is_some());
    }

    #[test]
    fn cluster_rewrites_the_table() {
        let cluster = |table: Option<&str>| {
            Some(vec![Op::Cluster {
                table: table.map(n),
            }])
        };
        assert_eq!(
            pg("CLUSTER VERBOSE app.t USING t_idx"),
            cluster(Some("app.t"))
        );
        assert_eq!(pg("CLUSTER (VERBOSE) t"), cluster(Some("t")));
        assert_eq!(pg("CLUSTER t_idx ON t"), cluster(Some("t")));
        assert_eq!(pg("CLUSTER"), cluster(None));
        assert_eq!(pg("CLUSTER t USING"), None);
        assert_eq!(pg("CLUSTER t u"), None);
    }

    #[test]
    fn domain_constraints_say_whether_they_are_validated() {
        let add = |sql: &str| match pg(sql).as_deref() {
            Some([Op::AddDomainConstraint { domain, constraint }]) => Some((
                domain.clone(),
                constraint.name.clone(),
                constraint.not_valid,
            )),
            _ => None,
        };
        assert_eq!(
            add("ALTER DOMAIN public.amount ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID"),
            Some((n("amount"), Some(n("positive")), true))
        );
        assert_eq!(
            add("ALTER DOMAIN amount ADD CHECK (VALUE > 0)"),
            Some((n("amount"), None, false))
        );
        assert_eq!(add("ALTER DOMAIN amount ADD"), None);
        assert_eq!(add("ALTER DOMAIN amount ADD CHECK (VALUE >)"), None);
        assert_eq!(add("ALTER DOMAIN amount ADD CHECK (VALUE > 0) NOT"), None);
    }

    #[test]
    fn statements_sqlparser_reads_are_not_guessed() {
        // The fallback runs only after sqlparser failed; it does not read these itself.
        assert_eq!(pg("UPDAET t SET a = 1"), None);
        assert_eq!(pg("DROP TABEL t"), None);
        assert_eq!(pg("BEGIN"), None);
    }
}
