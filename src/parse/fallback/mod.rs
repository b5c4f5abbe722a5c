//! Token-level recognition of statements sqlparser cannot read.
//!
//! Owns turning the text of one statement that failed to parse into `Op`s, from its
//! leading keywords, so that rules still see `DROP INDEX CONCURRENTLY`, `REINDEX`,
//! `VACUUM FULL`, `DO` blocks, MySQL `OPTIMIZE` and the rest. Returns `None` only for text
//! that is not SQL of the dialect. Never panics.
//!
//! The text is cut by sqlparser's tokenizer ([`tokens`]) and read with a [`Cursor`].
//! Everything is linear in the length of the statement.

use crate::classify::op::{
    ColumnSpec, ConstraintKind, ConstraintSpec, DefaultKind, Generated, IndexKind, Name,
    ObjectKind, Op, ReindexTarget, SqlType, TxControl,
};
use crate::classify::types::{fold_type_name, STABLE_FUNCTIONS, VOLATILE_FUNCTIONS};
use crate::dialect::Dialect;

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

fn procedural(what: impl Into<String>) -> Op {
    Op::Procedural { what: what.into() }
}

mod tokens;

use tokens::{lead, tokenize, Cursor, Kind, Tok};

// ---------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------

fn statement(c: &mut Cursor) -> Option<Vec<Op>> {
    let first = c.peek()?;
    if first.is_punct("(") {
        // `(SELECT …) UNION (SELECT …)`
        let inner = c.toks.iter().find(|t| !t.is_punct("("))?;
        return inner
            .is_any_kw(&["SELECT", "WITH", "VALUES", "TABLE"])
            .then(|| vec![Op::Select]);
    }
    if first.kind != Kind::Word {
        return None;
    }
    let verb = first.value.to_ascii_uppercase();
    let lower = first.lower();
    c.pos += 1;
    let pg = c.pg();
    let my = !pg;
    let ops = match verb.as_str() {
        "CREATE" => create(c),
        "ALTER" => alter(c),
        "DROP" => drop(c),
        "TRUNCATE" => truncate(c),
        "INSERT" => insert(c),
        "REPLACE" if my => insert(c),
        "UPDATE" => update(c),
        "DELETE" => delete(c),
        "SELECT" => select(c),
        "VALUES" | "TABLE" => vec![Op::Select],
        "WITH" => with(c),
        "EXPLAIN" => explain(c),
        "SET" => set(c),
        "BEGIN" if c.eat_kws(&["NOT", "ATOMIC"]) => vec![procedural("begin not atomic")],
        "BEGIN" => vec![Op::Transaction(TxControl::Begin)],
        "START" if c.eat_kw("TRANSACTION") => vec![Op::Transaction(TxControl::Begin)],
        "START" => vec![other(lead("start", c))],
        "COMMIT" => commit(c),
        "END" if pg => commit(c),
        "ROLLBACK" => rollback(c),
        "ABORT" if pg => rollback(c),
        "SAVEPOINT" => vec![Op::Transaction(TxControl::Savepoint)],
        "RELEASE" => vec![Op::Transaction(TxControl::ReleaseSavepoint)],
        "PREPARE" if pg && c.eat_kw("TRANSACTION") => vec![other("prepare transaction")],
        "EXECUTE" | "DO" | "CALL" => vec![procedural(lower)],
        "GRANT" | "REVOKE" | "RESET" | "SHOW" | "PREPARE" | "DEALLOCATE" => vec![inert(lower)],
        "ANALYZE" | "ANALYSE" => vec![inert(if pg { "analyze" } else { "analyze table" })],
        "LOCK" => vec![inert(if pg { "lock table" } else { "lock tables" })],
        "COMMENT" if pg => vec![inert("comment on")],
        "SECURITY" if pg => vec![inert("security label")],
        "REASSIGN" if pg => vec![inert("reassign owned")],
        "NOTIFY" | "LISTEN" | "UNLISTEN" | "CHECKPOINT" | "DISCARD" | "LOAD" | "DECLARE"
        | "FETCH" | "MOVE" | "CLOSE"
            if pg =>
        {
            vec![inert(lower)]
        }
        "COPY" if pg => copy(c),
        "IMPORT" if pg => vec![other("import foreign schema")],
        "MERGE" if pg => vec![other("merge")],
        "VACUUM" if pg => vacuum(c),
        "CLUSTER" if pg => cluster(c),
        "REINDEX" if pg => reindex(c),
        "REFRESH" if pg => refresh(c),
        "OPTIMIZE" if my => optimize(c),
        "RENAME" if my => rename_tables(c),
        "UNLOCK" if my => vec![inert("unlock tables")],
        "CHECK" | "CHECKSUM" if my => vec![inert(format!("{lower} table"))],
        "DESCRIBE" | "DESC" if my => vec![inert("describe")],
        "FLUSH" | "DELIMITER" | "USE" | "HELP" | "PURGE" if my => vec![inert(lower)],
        "REPAIR" if my => vec![other("repair table")],
        "LOAD" if my => vec![other(lead("load", c))],
        "HANDLER" | "INSTALL" | "UNINSTALL" | "KILL" | "XA" | "CACHE" | "SIGNAL" | "RESIGNAL"
            if my =>
        {
            vec![other(lower)]
        }
        _ => return None,
    };
    Some(ops)
}

// ---- object kinds shared by CREATE / ALTER / DROP

/// Object keywords and their kind; `None` for objects without a plain name to report.
/// Longer keyword sequences come before their prefixes.
const OBJECT_KINDS: &[(&[&str], Option<ObjectKind>)] = &[
    (
        &["MATERIALIZED", "VIEW"],
        Some(ObjectKind::MaterializedView),
    ),
    (&["VIEW"], Some(ObjectKind::View)),
    (&["AGGREGATE", "FUNCTION"], Some(ObjectKind::Function)),
    (&["AGGREGATE"], Some(ObjectKind::Function)),
    (&["FUNCTION"], Some(ObjectKind::Function)),
    (&["ROUTINE"], Some(ObjectKind::Function)),
    (&["PROCEDURE"], Some(ObjectKind::Procedure)),
    (&["CONSTRAINT", "TRIGGER"], Some(ObjectKind::Trigger)),
    (&["EVENT", "TRIGGER"], Some(ObjectKind::Other)),
    (&["TRIGGER"], Some(ObjectKind::Trigger)),
    (&["TYPE"], Some(ObjectKind::Type)),
    (&["SEQUENCE"], Some(ObjectKind::Sequence)),
    (&["EXTENSION"], Some(ObjectKind::Extension)),
    (&["DOMAIN"], Some(ObjectKind::Domain)),
    (&["POLICY"], Some(ObjectKind::Policy)),
    (&["ROLE"], Some(ObjectKind::Role)),
    (&["USER", "MAPPING"], None),
    (&["USER"], Some(ObjectKind::Role)),
    (&["GROUP"], Some(ObjectKind::Role)),
    (&["EVENT"], Some(ObjectKind::Other)),
    (&["FOREIGN", "DATA", "WRAPPER"], Some(ObjectKind::Other)),
    (&["FOREIGN", "TABLE"], Some(ObjectKind::Other)),
    (&["TEXT", "SEARCH"], None),
    (&["OPERATOR"], None),
    (&["CAST"], None),
    (&["TRANSFORM"], None),
    (&["ACCESS", "METHOD"], Some(ObjectKind::Other)),
    (&["COLLATION"], Some(ObjectKind::Other)),
    (&["CONVERSION"], Some(ObjectKind::Other)),
    (&["LANGUAGE"], Some(ObjectKind::Other)),
    (&["RULE"], Some(ObjectKind::Other)),
    (&["SERVER"], Some(ObjectKind::Other)),
    (&["PUBLICATION"], Some(ObjectKind::Other)),
    (&["SUBSCRIPTION"], Some(ObjectKind::Other)),
    (&["STATISTICS"], Some(ObjectKind::Other)),
    (&["TABLESPACE"], Some(ObjectKind::Other)),
    (&["SCHEMA"], Some(ObjectKind::Other)),
    (&["DATABASE"], Some(ObjectKind::Other)),
    (&["LOGFILE", "GROUP"], Some(ObjectKind::Other)),
    (&["RESOURCE", "GROUP"], Some(ObjectKind::Other)),
    (&["SPATIAL", "REFERENCE", "SYSTEM"], Some(ObjectKind::Other)),
    (&["INSTANCE"], None),
];

/// Eats an object keyword sequence: its kind and the keywords lower-cased.
fn object_kind(c: &mut Cursor) -> Option<(Option<ObjectKind>, String)> {
    OBJECT_KINDS.iter().find_map(|(words, kind)| {
        c.eat_kws(words)
            .then(|| (*kind, words.join(" ").to_lowercase()))
    })
}

/// A name for an object of `kind` (accounts may be strings in MySQL).
fn object_name(c: &mut Cursor, kind: ObjectKind) -> Option<Name> {
    if kind == ObjectKind::Role {
        c.name_or_string()
    } else {
        c.name()
    }
}

const STATEMENT_MODIFIERS: &[&str] = &[
    "TEMP",
    "TEMPORARY",
    "UNLOGGED",
    "GLOBAL",
    "LOCAL",
    "ONLINE",
    "OFFLINE",
    "IGNORE",
    "RECURSIVE",
    "TRUSTED",
    "PROCEDURAL",
];

/// Skips what may stand between CREATE / ALTER and the object keyword (`OR REPLACE`,
/// `TEMPORARY`, MySQL `DEFINER = …`, `ALGORITHM = …`, `SQL SECURITY …`, …) and returns the
/// index flags met on the way (`UNIQUE`, `FULLTEXT`, `SPATIAL` before `INDEX`).
fn statement_modifiers(c: &mut Cursor) -> (bool, IndexKind) {
    let mut unique = false;
    let mut kind = IndexKind::Plain;
    loop {
        if c.eat_kws(&["OR", "REPLACE"])
            || c.eat_kws(&["OR", "ALTER"])
            || c.eat_one_of(STATEMENT_MODIFIERS).is_some()
        {
            continue;
        }
        if c.eat_kw("DEFINER") {
            c.skip_definer();
        } else if c.eat_kw("ALGORITHM") {
            c.option_value();
        } else if c.eat_kws(&["SQL", "SECURITY"]) {
            c.bump();
        } else if c.kw_at(1, "INDEX") && c.eat_kw("UNIQUE") {
            unique = true;
        } else if c.kw_at(1, "INDEX") && c.eat_kw("FULLTEXT") {
            kind = IndexKind::Fulltext;
        } else if c.kw_at(1, "INDEX") && c.eat_kw("SPATIAL") {
            kind = IndexKind::Spatial;
        } else {
            return (unique, kind);
        }
    }
}

// ---- CREATE

fn create(c: &mut Cursor) -> Vec<Op> {
    let (unique, kind) = statement_modifiers(c);
    if c.eat_kw("TABLE") {
        return create_table(c);
    }
    if c.eat_kw("INDEX") {
        return create_index(c, unique, kind);
    }
    if c.peek_any(&["SCHEMA", "DATABASE"]) {
        return create_schema(c);
    }
    if c.eat_kw("TYPE") {
        return create_type(c);
    }
    match object_kind(c) {
        Some((Some(kind), words)) => {
            c.eat_if_not_exists();
            let Some(name) = object_name(c, kind) else {
                return vec![other(format!("create {words}"))];
            };
            let on_table = if matches!(kind, ObjectKind::Trigger | ObjectKind::Policy)
                && c.skip_past_kw("ON")
            {
                c.name()
            } else {
                None
            };
            vec![Op::CreateObject {
                kind,
                name,
                on_table,
            }]
        }
        Some((None, words)) => vec![other(format!("create {words}"))],
        None => vec![other(lead("create", c))],
    }
}

fn create_schema(c: &mut Cursor) -> Vec<Op> {
    let database = c.eat_kw("DATABASE");
    c.eat_kw("SCHEMA");
    c.eat_if_not_exists();
    c.eat_kw("AUTHORIZATION");
    match c.name() {
        // A PostgreSQL database is not a schema.
        Some(name) if database && c.pg() => vec![Op::CreateObject {
            kind: ObjectKind::Other,
            name,
            on_table: None,
        }],
        Some(name) => vec![Op::CreateSchema { name }],
        None => vec![other(if database {
            "create database"
        } else {
            "create schema"
        })],
    }
}

fn create_type(c: &mut Cursor) -> Vec<Op> {
    c.eat_if_not_exists();
    let Some(name) = c.name() else {
        return vec![other("create type")];
    };
    if c.eat_kws(&["AS", "ENUM"]) {
        let values = c.group().map(string_values).unwrap_or_default();
        return vec![Op::CreateEnum { name, values }];
    }
    vec![Op::CreateObject {
        kind: ObjectKind::Type,
        name,
        on_table: None,
    }]
}

/// The top-level string literals of a list: `('a', 'b')`.
fn string_values(g: Cursor) -> Vec<String> {
    g.toks
        .iter()
        .filter(|t| t.kind == Kind::Str && g.is_top(t))
        .map(|t| t.value.to_string())
        .collect()
}

fn create_table(c: &mut Cursor) -> Vec<Op> {
    let if_not_exists = c.eat_if_not_exists();
    let Some(table) = c.name() else {
        return vec![other("create table")];
    };
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    let mut columns_unknown = false;
    let mut partition_of = None;
    if c.eat_kws(&["PARTITION", "OF"]) {
        // The columns are the parent's; a list here only adds constraints to them.
        partition_of = c.name();
        columns_unknown = true;
        c.skip_group();
    } else if c.eat_kw("LIKE") || c.eat_kw("OF") {
        columns_unknown = true;
    } else if let Some(elements) = c.group() {
        for mut item in elements.items() {
            if item.peek_kw("LIKE") {
                columns_unknown = true;
            } else if item.peek_any(&["INDEX", "KEY", "FULLTEXT", "SPATIAL"])
                || item.peek_kw("PERIOD") && item.kw_at(1, "FOR")
            {
                // MySQL inline indexes, system-time periods: nothing to model.
            } else if item.peek_any(CONSTRAINT_STARTS) {
                constraints.extend(table_constraint(&mut item));
            } else {
                columns.extend(column_spec(&mut item));
            }
        }
    }
    // `AS SELECT …` / MySQL `… SELECT …` / `INHERITS (parent)`.
    if c.has_top_kw("AS") || c.has_top_kw("SELECT") || c.has_top_kw("INHERITS") {
        columns_unknown = true;
    }
    vec![Op::CreateTable {
        table,
        columns,
        constraints,
        if_not_exists,
        columns_unknown,
        partition_of,
    }]
}

fn create_index(c: &mut Cursor, unique: bool, kind: IndexKind) -> Vec<Op> {
    let concurrently = c.eat_kw("CONCURRENTLY");
    let if_not_exists = c.eat_if_not_exists();
    let name = if c.peek_any(&["ON", "USING"]) {
        None
    } else {
        c.name()
    };
    if c.eat_kw("USING") {
        c.bump();
    }
    if !c.eat_kw("ON") {
        return vec![other("create index")];
    }
    let only = c.eat_kw("ONLY");
    let Some(table) = c.name() else {
        return vec![other("create index")];
    };
    if c.eat_kw("USING") {
        c.bump();
    }
    let columns = c.group().map(column_list).unwrap_or_default();
    let mut ops = vec![Op::CreateIndex {
        name,
        table: table.clone(),
        columns,
        unique,
        concurrently,
        if_not_exists,
        kind,
        only,
    }];
    if !c.pg() {
        ops.extend(algorithm_and_lock(c, &table));
    }
    ops
}

/// The simple column names of an index or key column list: `(a, b DESC, lower(c), (d+1))`
/// gives `[a, b]`; MySQL prefix lengths (`c(10)`) keep the column.
fn column_list(g: Cursor) -> Vec<Name> {
    let pg = g.pg();
    g.items()
        .into_iter()
        .filter_map(|mut item| {
            let simple = item.peek()?.is_ident()
                && item
                    .tok(1)
                    .is_none_or(|t| t.kind == Kind::Word || (!pg && t.is_punct("(")));
            if simple {
                item.column()
            } else {
                None
            }
        })
        .collect()
}

/// MySQL `ALGORITHM [=] x` and `LOCK [=] y` clauses trailing CREATE / DROP INDEX.
fn algorithm_and_lock(c: &mut Cursor, table: &Name) -> Vec<Op> {
    let mut ops = Vec::new();
    while !c.at_end() {
        if c.eat_kw("ALGORITHM") {
            ops.push(Op::AlterAlgorithm {
                table: table.clone(),
                algorithm: c.option_value().to_ascii_uppercase(),
            });
        } else if c.eat_kw("LOCK") {
            ops.push(Op::AlterLock {
                table: table.clone(),
                lock: c.option_value().to_ascii_uppercase(),
            });
        } else if !c.skip_group() {
            c.pos += 1;
        }
    }
    ops
}

// ---- DROP

fn drop(c: &mut Cursor) -> Vec<Op> {
    c.eat_kw("TEMPORARY");
    if c.eat_kw("TABLE") {
        let if_exists = c.eat_if_exists();
        let tables = c.names();
        if tables.is_empty() {
            return vec![other("drop table")];
        }
        return vec![Op::DropTable { tables, if_exists }];
    }
    if c.eat_kw("INDEX") {
        return drop_index(c);
    }
    if c.peek_any(&["SCHEMA", "DATABASE"]) {
        // MySQL schemas are databases.
        let database = c.eat_kw("DATABASE") || !c.pg();
        c.eat_kw("SCHEMA");
        c.eat_if_exists();
        let names = c.names();
        if names.is_empty() {
            return vec![other("drop schema")];
        }
        return vec![Op::DropSchema { names, database }];
    }
    if c.eat_kws(&["OWNED", "BY"]) {
        return vec![other("drop owned")];
    }
    match object_kind(c) {
        Some((Some(kind), words)) => {
            c.eat_if_exists();
            let names = c.list(|c| {
                let name = object_name(c, kind)?;
                c.skip_group();
                Some(name)
            });
            if names.is_empty() {
                return vec![other(format!("drop {words}"))];
            }
            vec![Op::DropObject { kind, names }]
        }
        Some((None, words)) => vec![other(format!("drop {words}"))],
        None => vec![other(lead("drop", c))],
    }
}

fn drop_index(c: &mut Cursor) -> Vec<Op> {
    let concurrently = c.eat_kw("CONCURRENTLY");
    let if_exists = c.eat_if_exists();
    let names = c.names();
    let table = if c.eat_kw("ON") { c.name() } else { None };
    if names.is_empty() {
        return vec![other("drop index")];
    }
    let mut ops = vec![Op::DropIndex {
        names,
        table: table.clone(),
        concurrently,
        if_exists,
    }];
    if let Some(table) = table {
        ops.extend(algorithm_and_lock(c, &table));
    }
    ops
}

fn truncate(c: &mut Cursor) -> Vec<Op> {
    c.eat_kw("TABLE");
    let tables = c.names();
    if tables.is_empty() {
        return vec![other("truncate")];
    }
    vec![Op::Truncate { tables }]
}

// ---- ALTER

fn alter(c: &mut Cursor) -> Vec<Op> {
    statement_modifiers(c);
    if c.eat_kw("TABLE") {
        return alter_table(c);
    }
    if c.eat_kw("INDEX") {
        return alter_index(c);
    }
    if c.eat_kws(&["DEFAULT", "PRIVILEGES"]) {
        return vec![inert("alter default privileges")];
    }
    if c.eat_kw("SYSTEM") {
        return vec![other("alter system")];
    }
    if c.eat_kw("TYPE") {
        return alter_type(c);
    }
    match object_kind(c) {
        Some((Some(kind), words)) => alter_object(c, kind, &words),
        Some((None, words)) => vec![other(format!("alter {words}"))],
        None => vec![other(lead("alter", c))],
    }
}

fn alter_object(c: &mut Cursor, kind: ObjectKind, words: &str) -> Vec<Op> {
    c.eat_if_exists();
    let Some(name) = object_name(c, kind) else {
        return vec![other(format!("alter {words}"))];
    };
    if c.has_top_seq(&["OWNER", "TO"]) {
        return vec![inert("owner to")];
    }
    vec![Op::AlterObject { kind, name }]
}

/// `ALTER TYPE x ADD VALUE [IF NOT EXISTS] 'v' [BEFORE|AFTER 'w']`, else a type change.
fn alter_type(c: &mut Cursor) -> Vec<Op> {
    let mut look = *c;
    if let Some(name) = look.name() {
        if look.eat_kws(&["ADD", "VALUE"]) {
            look.eat_if_not_exists();
            if let Some(value) = look.peek().filter(|t| t.kind == Kind::Str) {
                return vec![Op::AddEnumValue {
                    name,
                    value: value.value.to_string(),
                }];
            }
        }
    }
    alter_object(c, ObjectKind::Type, "type")
}

fn alter_index(c: &mut Cursor) -> Vec<Op> {
    c.eat_if_exists();
    let Some(from) = c.name() else {
        return vec![other("alter index")];
    };
    if c.eat_kws(&["RENAME", "TO"]) {
        if let Some(to) = c.name() {
            return vec![Op::RenameIndex {
                table: None,
                from,
                to,
            }];
        }
    }
    if c.eat_kws(&["SET", "TABLESPACE"]) {
        return vec![other("alter index set tablespace")];
    }
    if c.eat_kws(&["ATTACH", "PARTITION"]) {
        return vec![other("alter index attach partition")];
    }
    // Storage parameters, statistics targets, extension dependencies.
    vec![inert("alter index")]
}

fn alter_table(c: &mut Cursor) -> Vec<Op> {
    c.eat_if_exists();
    c.eat_kw("ONLY");
    if c.eat_kws(&["ALL", "IN", "TABLESPACE"]) {
        return vec![other("alter table all in tablespace")];
    }
    let Some(table) = c.name() else {
        return vec![other("alter table")];
    };
    c.eat_punct("*");
    let mut ops = Vec::new();
    while !c.at_end() {
        if c.eat_punct(",") {
            continue;
        }
        let before = c.pos;
        table_action(c, &table, &mut ops);
        if c.pos == before {
            c.pos += 1;
        }
    }
    if ops.is_empty() {
        ops.push(other("alter table"));
    }
    ops
}

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
    "ENGINE_ATTRIBUTE",
    "SECONDARY_ENGINE",
    "SECONDARY_ENGINE_ATTRIBUTE",
    "UNION",
];

/// MySQL table options that rebuild the table, and the `how` reported.
const REBUILD_OPTIONS: &[(&str, &str)] = &[
    ("ENGINE", "engine"),
    ("ROW_FORMAT", "row-format"),
    ("KEY_BLOCK_SIZE", "key-block-size"),
    ("ENCRYPTION", "encryption"),
    ("TABLESPACE", "tablespace"),
];

/// MySQL partition maintenance verbs (`<VERB> PARTITION names`).
const PARTITION_VERBS: &[&str] = &[
    "ANALYZE",
    "CHECK",
    "OPTIMIZE",
    "REBUILD",
    "REPAIR",
    "COALESCE",
    "REORGANIZE",
    "EXCHANGE",
    "DISCARD",
    "IMPORT",
    "TRUNCATE",
];

/// PostgreSQL actions that change only metadata no client depends on, and how many of
/// their leading words name them.
const METADATA_ACTIONS: &[(&str, usize)] = &[
    ("ENABLE", 2),
    ("DISABLE", 2),
    ("FORCE", 4),
    ("NO", 2),
    ("INHERIT", 1),
    ("REPLICA", 2),
    ("CLUSTER", 2),
    ("OF", 1),
    ("NOT", 2),
    ("RESET", 1),
];

/// Reads one ALTER TABLE action (or one space-separated MySQL table option) and appends
/// its operations.
fn table_action(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    if c.eat_kw("ADD") {
        add_action(c, t, ops)
    } else if c.eat_kw("DROP") {
        drop_action(c, t, ops)
    } else if c.eat_kw("ALTER") {
        alter_column_action(c, t, ops)
    } else if c.eat_kw("RENAME") {
        rename_action(c, t, ops)
    } else if c.eat_kw("MODIFY") {
        redefine_action(c, t, ops, false)
    } else if c.eat_kw("CHANGE") {
        redefine_action(c, t, ops, true)
    } else if c.eat_kw("SET") {
        set_action(c, t, ops)
    } else if c.kw_at(1, "PARTITION") && c.peek_any(PARTITION_VERBS) {
        partition_action(c, t, ops)
    } else if let Some(op) = table_option(c, t) {
        ops.extend(op)
    } else {
        let op = other_action(c, t);
        c.skip_to_comma();
        ops.push(op.unwrap_or_else(|| other("alter table")));
    }
}

/// A MySQL table option (`ENGINE=…`, `ALGORITHM=…`, `COMMENT '…'`, …): these may follow
/// each other without commas, so only the option's own tokens are read. `Some(None)` for
/// options that yield nothing (`WAIT n`, `NOWAIT`).
fn table_option(c: &mut Cursor, t: &Name) -> Option<Option<Op>> {
    let table = t.clone();
    let op = if c.eat_kws(&["CONVERT", "TO"]) {
        if !c.eat_kws(&["CHARACTER", "SET"]) {
            c.eat_kw("CHARSET");
        }
        let charset = c.option_value().to_lowercase();
        if c.eat_kw("COLLATE") {
            c.option_value();
        }
        Op::ConvertCharset { table, charset }
    } else if let Some(how) = REBUILD_OPTIONS
        .iter()
        .find_map(|(kw, how)| c.eat_kw(kw).then_some(*how))
    {
        c.option_value();
        Op::RebuildTable {
            table,
            how: how.to_owned(),
        }
    } else if !c.pg() && c.eat_kw("FORCE") {
        Op::RebuildTable {
            table,
            how: "force".to_owned(),
        }
    } else if c.eat_kw("ALGORITHM") {
        Op::AlterAlgorithm {
            table,
            algorithm: c.option_value().to_ascii_uppercase(),
        }
    } else if c.eat_kw("LOCK") {
        Op::AlterLock {
            table,
            lock: c.option_value().to_ascii_uppercase(),
        }
    } else if c.eat_kw("WAIT") {
        c.bump();
        return Some(None);
    } else if c.eat_kw("NOWAIT") {
        return Some(None);
    } else if let Some(what) = charset_option(c) {
        Op::AlterTableOther {
            table,
            what: what.to_owned(),
        }
    } else if let Some(kw) = c.eat_one_of(TABLE_OPTIONS) {
        c.option_value();
        Op::AlterTableOther {
            table,
            what: kw.to_lowercase(),
        }
    } else if c.peek_any(&["REMOVE", "UPGRADE"]) && c.kw_at(1, "PARTITIONING") {
        let what = format!("partition {}", c.lead_words(1));
        c.pos += 2;
        other(what)
    } else {
        return None;
    };
    Some(Some(op))
}

/// The remaining ALTER TABLE actions; the caller skips to the next comma.
fn other_action(c: &mut Cursor, t: &Name) -> Option<Op> {
    let table = t.clone();
    if c.eat_kws(&["VALIDATE", "CONSTRAINT"]) {
        c.column()
            .map(|name| Op::ValidateConstraint { table, name })
    } else if c.eat_kws(&["ATTACH", "PARTITION"]) {
        c.name()
            .map(|partition| Op::AttachPartition { table, partition })
    } else if c.eat_kws(&["DETACH", "PARTITION"]) {
        c.name().map(|partition| Op::DetachPartition {
            table,
            partition,
            concurrently: c.eat_kw("CONCURRENTLY") || c.eat_kw("FINALIZE"),
        })
    } else if c.eat_kws(&["OWNER", "TO"]) {
        Some(inert("owner to"))
    } else if c.eat_kws(&["PARTITION", "BY"]) {
        Some(other("partition by"))
    } else if let Some((_, words)) = METADATA_ACTIONS.iter().find(|(kw, _)| c.peek_kw(kw)) {
        // ENABLE/DISABLE TRIGGER, [NO] FORCE ROW LEVEL SECURITY, [NO] INHERIT, REPLICA
        // IDENTITY, CLUSTER ON, [NOT] OF type, RESET (…).
        let what = c.lead_words(*words);
        Some(Op::AlterTableOther { table, what })
    } else if c.eat_kws(&["ORDER", "BY"]) {
        // MySQL reorders the rows by copying the table.
        Some(Op::RebuildTable {
            table,
            how: "order-by".to_owned(),
        })
    } else {
        Some(other(lead("alter table", c)))
    }
}

/// MySQL `[DEFAULT] CHARACTER SET [=] x` / `[DEFAULT] CHARSET x` / `[DEFAULT] COLLATE x`.
fn charset_option(c: &mut Cursor) -> Option<&'static str> {
    let save = c.pos;
    c.eat_kw("DEFAULT");
    let what = if c.eat_kws(&["CHARACTER", "SET"]) || c.eat_kw("CHARSET") {
        "character set"
    } else if c.eat_kw("COLLATE") {
        "collate"
    } else {
        c.pos = save;
        return None;
    };
    c.option_value();
    Some(what)
}

/// MySQL partition names after `<VERB> PARTITION`; stops before `, ALGORITHM=…`.
fn partition_names(c: &mut Cursor) {
    if c.eat_kw("ALL") {
        return;
    }
    c.list(|c| {
        let option = c.peek_any(&["ALGORITHM", "LOCK"]) || c.punct_at(1, "=");
        if option {
            None
        } else {
            c.ident()
        }
    });
}

fn partition_action(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    let verb = c.lead_words(1);
    c.pos += 2;
    partition_names(c);
    c.skip_to_comma();
    ops.push(if verb == "truncate" {
        Op::Truncate {
            tables: vec![t.clone()],
        }
    } else {
        other(format!("partition {verb}"))
    });
}

/// Words that open a table constraint.
const CONSTRAINT_STARTS: &[&str] = &[
    "CONSTRAINT",
    "CHECK",
    "FOREIGN",
    "PRIMARY",
    "UNIQUE",
    "EXCLUDE",
];

fn add_action(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    if c.eat_kw("COLUMN") {
        return add_columns(c, t, ops);
    }
    if is_index_clause(c) {
        return add_index(c, t, ops);
    }
    if c.peek_any(CONSTRAINT_STARTS) {
        let mut seg = c.take_until_comma();
        ops.push(match table_constraint(&mut seg) {
            Some(constraint) => Op::AddConstraint {
                table: t.clone(),
                constraint,
            },
            None => other("alter table add constraint"),
        });
        return;
    }
    if c.peek_kw("PARTITION") {
        c.skip_to_comma();
        return ops.push(other("partition add"));
    }
    if c.peek_kw("PERIOD") || c.peek_kw("SYSTEM") && c.kw_at(1, "VERSIONING") {
        let what = lead("alter table add", c);
        c.skip_to_comma();
        return ops.push(other(what));
    }
    add_columns(c, t, ops)
}

/// `ADD [COLUMN] [IF NOT EXISTS] coldef`, or MySQL `ADD [COLUMN] (coldef, …)`.
fn add_columns(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    let if_not_exists = c.eat_if_not_exists();
    let segments = match c.group() {
        Some(g) => g.items(),
        None => vec![c.take_until_comma()],
    };
    for mut seg in segments {
        ops.push(match column_spec(&mut seg) {
            Some(column) => Op::AddColumn {
                table: t.clone(),
                column,
                if_not_exists,
            },
            None => other("alter table add column"),
        });
    }
}

/// Whether an ADD action is MySQL `[UNIQUE|FULLTEXT|SPATIAL] INDEX|KEY …` (`UNIQUE` alone
/// opens a constraint). The same text reaches the PostgreSQL dialect when sqlparser misread
/// it as a column named INDEX or KEY; there it is an index only when a column list follows
/// (`ADD key varchar(10)` stays a column).
fn is_index_clause(c: &Cursor) -> bool {
    let mut look = *c;
    let fulltext = look.eat_one_of(&["FULLTEXT", "SPATIAL"]).is_some();
    if !fulltext {
        look.eat_kw("UNIQUE");
    }
    if look.eat_one_of(&["INDEX", "KEY"]).is_none() && !fulltext {
        return false;
    }
    if !look.pg() {
        return true;
    }
    look.eat_if_not_exists();
    if look.peek().is_some_and(Tok::is_ident) {
        look.pos += 1;
    }
    look.punct_at(0, "(") && look.tok(1).is_some_and(Tok::is_ident)
}

/// MySQL `ADD [UNIQUE|FULLTEXT|SPATIAL] INDEX|KEY [IF NOT EXISTS] [name] [USING x] (cols)`.
fn add_index(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    let mut seg = c.take_until_comma();
    let unique = seg.eat_kw("UNIQUE");
    let kind = if seg.eat_kw("FULLTEXT") {
        IndexKind::Fulltext
    } else if seg.eat_kw("SPATIAL") {
        IndexKind::Spatial
    } else {
        IndexKind::Plain
    };
    seg.eat_one_of(&["INDEX", "KEY"]);
    let if_not_exists = seg.eat_if_not_exists();
    let name = if seg.peek_kw("USING") {
        None
    } else {
        seg.name()
    };
    if seg.eat_kw("USING") {
        seg.bump();
    }
    let columns = seg.group().map(column_list).unwrap_or_default();
    ops.push(Op::CreateIndex {
        name,
        table: t.clone(),
        columns,
        unique,
        concurrently: false,
        if_not_exists,
        kind,
        only: false,
    });
}

fn drop_action(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    let table = t.clone();
    let pg = c.pg();
    let op = if c.eat_kw("CONSTRAINT")
        || (!pg && (c.eat_kw("CHECK") || c.eat_kws(&["FOREIGN", "KEY"])))
    {
        c.eat_if_exists();
        c.column().map(|name| Op::DropConstraint { table, name })
    } else if c.eat_kws(&["PRIMARY", "KEY"]) {
        Some(Op::DropConstraint {
            table,
            name: Name::ident("primary", c.dialect),
        })
    } else if !pg && c.eat_one_of(&["INDEX", "KEY"]).is_some() {
        let if_exists = c.eat_if_exists();
        c.column().map(|name| Op::DropIndex {
            names: vec![name],
            table: Some(table),
            concurrently: false,
            if_exists,
        })
    } else if c.eat_kw("PARTITION") {
        // Dropping a partition deletes its rows.
        partition_names(c);
        Some(Op::Truncate {
            tables: vec![table],
        })
    } else if c.peek_kw("PERIOD") || c.peek_kw("SYSTEM") && c.kw_at(1, "VERSIONING") {
        Some(other(lead("alter table drop", c)))
    } else {
        c.eat_kw("COLUMN");
        let if_exists = c.eat_if_exists();
        c.column().map(|column| Op::DropColumn {
            table,
            column,
            if_exists,
        })
    };
    c.skip_to_comma();
    ops.push(op.unwrap_or_else(|| other("alter table drop")));
}

/// `ALTER [COLUMN] c …`, MySQL `ALTER INDEX i [IN]VISIBLE`, `ALTER CONSTRAINT …`.
fn alter_column_action(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    let table = t.clone();
    let pg = c.pg();
    let metadata = |what: &str| Op::AlterTableOther {
        table: t.clone(),
        what: what.to_owned(),
    };
    let op = if !pg && c.eat_kw("INDEX") {
        metadata("index visibility")
    } else if c.eat_kw("CONSTRAINT") {
        metadata("alter constraint")
    } else if !pg && c.eat_kw("CHECK") {
        other("alter table alter check")
    } else {
        c.eat_kw("COLUMN");
        let Some(column) = c.column() else {
            c.skip_to_comma();
            return ops.push(other("alter table alter column"));
        };
        let mut seg = c.take_until_comma();
        if seg.eat_kws(&["SET", "DATA", "TYPE"]) || seg.eat_kw("TYPE") {
            let (ty, _) = column_type(&mut seg);
            let using = seg.has_top_kw("USING");
            Op::AlterColumnType {
                table,
                column,
                ty,
                using,
            }
        } else if seg.eat_kws(&["SET", "DEFAULT"]) {
            match classify_default(seg) {
                Some(default) => Op::SetDefault {
                    table,
                    column,
                    default,
                },
                None => other("alter table alter column set default"),
            }
        } else if seg.eat_kws(&["DROP", "DEFAULT"]) {
            Op::DropDefault { table, column }
        } else if seg.eat_kws(&["SET", "NOT", "NULL"]) {
            Op::SetNotNull { table, column }
        } else if seg.eat_kws(&["DROP", "NOT", "NULL"]) {
            Op::DropNotNull { table, column }
        } else if seg.eat_kws(&["SET", "EXPRESSION"]) {
            // Recomputes the stored column: a rewrite.
            other("alter table alter column set expression")
        } else {
            // SET STATISTICS / STORAGE / COMPRESSION / (options), RESET (…), identity
            // options, DROP EXPRESSION, MySQL SET [IN]VISIBLE.
            metadata(&seg.lead_words(2))
        }
    };
    c.skip_to_comma();
    ops.push(op);
}

fn rename_action(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    let table = t.clone();
    let pair = |c: &mut Cursor| -> Option<(Name, Name)> {
        let from = c.column()?;
        c.eat_kw("TO");
        Some((from, c.column()?))
    };
    let op = if c.eat_kw("COLUMN") {
        pair(c).map(|(from, to)| Op::RenameColumn { table, from, to })
    } else if c.eat_kw("CONSTRAINT") {
        pair(c).map(|(from, to)| Op::RenameConstraint { table, from, to })
    } else if c.eat_one_of(&["INDEX", "KEY"]).is_some() {
        pair(c).map(|(from, to)| Op::RenameIndex {
            table: Some(table),
            from,
            to,
        })
    } else if c.eat_one_of(&["TO", "AS"]).is_some() || !c.kw_at(1, "TO") {
        // `RENAME TO x`, MySQL `RENAME [AS] x`.
        c.name().map(|to| Op::RenameTable { from: table, to })
    } else {
        // PostgreSQL `RENAME a TO b`: a column.
        pair(c).map(|(from, to)| Op::RenameColumn { table, from, to })
    };
    c.skip_to_comma();
    ops.push(op.unwrap_or_else(|| other("alter table rename")));
}

/// MySQL `MODIFY [COLUMN] coldef` and `CHANGE [COLUMN] old coldef`.
fn redefine_action(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>, change: bool) {
    c.eat_kw("COLUMN");
    c.eat_if_exists();
    let mut seg = c.take_until_comma();
    let old = if change { seg.column() } else { None };
    let op = column_spec(&mut seg).and_then(|column| {
        let from = match &old {
            Some(old) => old.clone(),
            None if change => return None,
            None => column.name.clone(),
        };
        Some(Op::RedefineColumn {
            table: t.clone(),
            from,
            column,
        })
    });
    ops.push(op.unwrap_or_else(|| other("alter table modify")));
}

/// PostgreSQL `SET TABLESPACE | LOGGED | UNLOGGED | SCHEMA | ACCESS METHOD | (…) | …`.
fn set_action(c: &mut Cursor, t: &Name, ops: &mut Vec<Op>) {
    let table = t.clone();
    let op = if c.eat_kw("TABLESPACE") {
        Op::SetTablespace { table }
    } else if c.eat_kw("LOGGED") {
        Op::SetLogged {
            table,
            logged: true,
        }
    } else if c.eat_kw("UNLOGGED") {
        Op::SetLogged {
            table,
            logged: false,
        }
    } else if c.eat_kw("SCHEMA") {
        // Moving the table renames it for every client that qualifies it.
        match c.name() {
            Some(schema) => Op::RenameTable {
                to: Name::from_parts(
                    [(schema.as_str(), true), (table.unqualified(), true)],
                    c.dialect,
                ),
                from: table,
            },
            None => other("alter table set schema"),
        }
    } else if c.eat_kws(&["ACCESS", "METHOD"]) {
        Op::RebuildTable {
            table,
            how: "access-method".to_owned(),
        }
    } else if c.punct_at(0, "(") {
        Op::AlterTableOther {
            table,
            what: "storage parameters".to_owned(),
        }
    } else {
        Op::AlterTableOther {
            table,
            what: format!("set {}", c.lead_words(2)),
        }
    };
    c.skip_to_comma();
    ops.push(op);
}

// ---- maintenance (PostgreSQL)

/// `true`, `on`, `1` or nothing; `false`, `off`, `0` turn an option off.
fn option_enabled(c: &mut Cursor) -> bool {
    match c.bump() {
        Some(t) => !matches!(
            t.value.to_ascii_lowercase().as_str(),
            "false" | "off" | "0" | "no"
        ),
        None => true,
    }
}

/// Whether a parenthesised option list `(A, B false, …)` turns `option` on.
fn has_option(g: Cursor, option: &str) -> bool {
    g.items()
        .into_iter()
        .any(|mut item| item.eat_kw(option) && option_enabled(&mut item))
}

fn vacuum(c: &mut Cursor) -> Vec<Op> {
    let mut full = false;
    loop {
        if let Some(g) = c.group() {
            full |= has_option(g, "FULL");
        } else if c.eat_kw("FULL") {
            full = true;
        } else if c
            .eat_one_of(&["FREEZE", "VERBOSE", "ANALYZE", "ANALYSE"])
            .is_none()
        {
            break;
        }
    }
    let mut tables: Vec<Option<Name>> = c.names().into_iter().map(Some).collect();
    if tables.is_empty() {
        tables.push(None);
    }
    tables
        .into_iter()
        .map(|table| {
            if full {
                Op::VacuumFull { table }
            } else {
                Op::Vacuum { table }
            }
        })
        .collect()
}

fn cluster(c: &mut Cursor) -> Vec<Op> {
    c.eat_kw("VERBOSE");
    c.skip_group();
    let first = c.name();
    // Old form: CLUSTER index ON table.
    let table = if c.eat_kw("ON") { c.name() } else { first };
    vec![Op::Cluster { table }]
}

fn reindex(c: &mut Cursor) -> Vec<Op> {
    let mut concurrently = c.group().is_some_and(|g| has_option(g, "CONCURRENTLY"));
    let Some(kind) = c.eat_one_of(&["INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM"]) else {
        return vec![other("reindex")];
    };
    concurrently |= c.eat_kw("CONCURRENTLY");
    let name = c.name().unwrap_or_default();
    let target = match kind {
        "INDEX" => ReindexTarget::Index(name),
        "TABLE" => ReindexTarget::Table(name),
        "SCHEMA" => ReindexTarget::Schema(name),
        _ => ReindexTarget::Database(name),
    };
    vec![Op::Reindex {
        target,
        concurrently,
    }]
}

fn refresh(c: &mut Cursor) -> Vec<Op> {
    if !c.eat_kws(&["MATERIALIZED", "VIEW"]) {
        return vec![other(lead("refresh", c))];
    }
    let concurrently = c.eat_kw("CONCURRENTLY");
    match c.name() {
        Some(name) => vec![Op::RefreshMaterializedView { name, concurrently }],
        None => vec![other("refresh materialized view")],
    }
}

fn copy(c: &mut Cursor) -> Vec<Op> {
    let Some(table) = c.name() else {
        // COPY (query) TO …
        return vec![inert("copy to")];
    };
    let columns = c.group().map(column_list).unwrap_or_default();
    if c.eat_kw("FROM") {
        vec![Op::Insert {
            table,
            from_select: false,
            columns,
        }]
    } else {
        vec![inert("copy to")]
    }
}

// ---- MySQL table statements

fn optimize(c: &mut Cursor) -> Vec<Op> {
    c.eat_one_of(&["NO_WRITE_TO_BINLOG", "LOCAL"]);
    if c.eat_one_of(&["TABLE", "TABLES"]).is_none() {
        return vec![other(lead("optimize", c))];
    }
    let ops: Vec<Op> = c
        .names()
        .into_iter()
        .map(|table| Op::RebuildTable {
            table,
            how: "optimize".to_owned(),
        })
        .collect();
    if ops.is_empty() {
        return vec![other("optimize table")];
    }
    ops
}

fn rename_tables(c: &mut Cursor) -> Vec<Op> {
    if c.eat_one_of(&["TABLE", "TABLES"]).is_none() {
        return vec![other(lead("rename", c))];
    }
    let ops: Vec<Op> = c
        .rest()
        .items()
        .into_iter()
        .filter_map(|mut item| {
            let from = item.name()?;
            item.eat_kw("TO");
            Some(Op::RenameTable {
                from,
                to: item.name()?,
            })
        })
        .collect();
    if ops.is_empty() {
        return vec![other("rename table")];
    }
    ops
}

// ---- data

fn insert(c: &mut Cursor) -> Vec<Op> {
    while c
        .eat_one_of(&["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE"])
        .is_some()
    {}
    c.eat_kw("INTO");
    let Some(table) = c.name() else {
        return vec![other("insert")];
    };
    if c.eat_kw("PARTITION") {
        c.skip_group();
    }
    if c.eat_kw("AS") {
        c.ident();
    }
    let query_group =
        |c: &Cursor| c.punct_at(0, "(") && (c.kw_at(1, "SELECT") || c.kw_at(1, "WITH"));
    let mut columns = Vec::new();
    if c.punct_at(0, "(") && !query_group(c) {
        columns = c.group().map(column_list).unwrap_or_default();
    }
    let from_select = query_group(c) || c.has_top_kw("SELECT") || c.has_top_kw("TABLE");
    vec![Op::Insert {
        table,
        from_select,
        columns,
    }]
}

fn update(c: &mut Cursor) -> Vec<Op> {
    while c.eat_one_of(&["LOW_PRIORITY", "IGNORE", "ONLY"]).is_some() {}
    match c.name() {
        Some(table) => vec![Op::Update {
            table,
            has_where: c.has_top_kw("WHERE"),
            has_limit: c.has_top_kw("LIMIT"),
        }],
        None => vec![other("update")],
    }
}

fn delete(c: &mut Cursor) -> Vec<Op> {
    while c.eat_one_of(&["LOW_PRIORITY", "QUICK", "IGNORE"]).is_some() {}
    // `DELETE FROM t …`, or MySQL multi-table `DELETE t1 FROM t1 JOIN …`.
    c.eat_kw("FROM");
    c.eat_kw("ONLY");
    match c.name() {
        Some(table) => vec![Op::Delete {
            table,
            has_where: c.has_top_kw("WHERE"),
            has_limit: c.has_top_kw("LIMIT"),
        }],
        None => vec![other("delete")],
    }
}

fn select(c: &mut Cursor) -> Vec<Op> {
    // PostgreSQL `SELECT … INTO new_table FROM …` creates a table.
    if c.pg() && c.skip_past_kw("INTO") {
        c.eat_one_of(&["TEMP", "TEMPORARY", "UNLOGGED"]);
        c.eat_kw("TABLE");
        if let Some(table) = c.name() {
            return vec![Op::CreateTable {
                table,
                columns: Vec::new(),
                constraints: Vec::new(),
                if_not_exists: false,
                columns_unknown: true,
                partition_of: None,
            }];
        }
    }
    vec![Op::Select]
}

const QUERY_VERBS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "VALUES", "TABLE",
];

/// `WITH … <main statement>`: the main statement's operations, plus those of CTEs that
/// modify data (`WITH d AS (DELETE … RETURNING *) …`).
fn with(c: &mut Cursor) -> Vec<Op> {
    let mut ops = Vec::new();
    c.eat_kw("RECURSIVE");
    while let Some(t) = c.peek() {
        if t.is_punct("(") {
            if let Some(mut body) = c.group() {
                if body.peek_any(&["INSERT", "UPDATE", "DELETE", "MERGE"]) {
                    ops.extend(statement(&mut body).unwrap_or_default());
                }
            }
        } else if c.is_top(t) && t.is_any_kw(QUERY_VERBS) {
            let mut main = c.rest();
            ops.extend(statement(&mut main).unwrap_or_default());
            break;
        } else {
            c.pos += 1;
        }
    }
    if ops.is_empty() {
        ops.push(Op::Select);
    }
    ops
}

/// `EXPLAIN ANALYZE` runs the statement; a plain EXPLAIN only plans it.
fn explain(c: &mut Cursor) -> Vec<Op> {
    let mut analyze = false;
    while let Some(t) = c.peek() {
        if c.is_top(t) && t.is_any_kw(QUERY_VERBS) {
            break;
        }
        analyze |= t.is_any_kw(&["ANALYZE", "ANALYSE"]);
        c.pos += 1;
    }
    if analyze {
        if let Some(ops) = statement(&mut c.rest()) {
            return ops;
        }
    }
    vec![Op::Select]
}

// ---- session and transactions

fn commit(c: &mut Cursor) -> Vec<Op> {
    c.eat_one_of(&["WORK", "TRANSACTION"]);
    if c.eat_kw("PREPARED") {
        return vec![other("commit prepared")];
    }
    vec![Op::Transaction(TxControl::Commit)]
}

fn rollback(c: &mut Cursor) -> Vec<Op> {
    c.eat_one_of(&["WORK", "TRANSACTION"]);
    if c.eat_kw("PREPARED") {
        return vec![other("rollback prepared")];
    }
    if c.eat_kw("TO") {
        return vec![Op::Transaction(TxControl::RollbackToSavepoint)];
    }
    vec![Op::Transaction(TxControl::Rollback)]
}

/// Settings written as keywords, without `=` or `TO`, and the name reported for them.
const SPECIAL_SETTINGS: &[(&[&str], &str)] = &[
    (&["TIME", "ZONE"], "timezone"),
    (&["SESSION", "AUTHORIZATION"], "session authorization"),
    (&["SESSION", "CHARACTERISTICS"], "session characteristics"),
    (&["TRANSACTION"], "transaction"),
    (&["CONSTRAINTS"], "constraints"),
    (&["ROLE"], "role"),
    (&["DEFAULT", "ROLE"], "default role"),
    (&["NAMES"], "names"),
    (&["CHARACTER", "SET"], "character set"),
    (&["CHARSET"], "character set"),
    (&["PASSWORD"], "password"),
];

const SET_SCOPES: &[&str] = &["LOCAL", "SESSION", "GLOBAL", "PERSIST", "PERSIST_ONLY"];

/// PostgreSQL `SET [SESSION|LOCAL] name {=|TO} value`; MySQL
/// `SET [GLOBAL|SESSION] a = 1, @@session.b = 2, @u := 3`.
fn set(c: &mut Cursor) -> Vec<Op> {
    // A PostgreSQL value may be a list (`search_path = a, b`); MySQL lists assignments.
    let items = if c.pg() {
        vec![c.rest()]
    } else {
        c.rest().items()
    };
    let ops: Vec<Op> = items
        .into_iter()
        .filter_map(|mut item| set_item(&mut item))
        .collect();
    if ops.is_empty() {
        return vec![other("set")];
    }
    ops
}

fn set_item(c: &mut Cursor) -> Option<Op> {
    let special = |c: &mut Cursor| {
        SPECIAL_SETTINGS
            .iter()
            .find_map(|(words, name)| c.eat_kws(words).then(|| (*name).to_owned()))
    };
    let mut name = special(c);
    let mut local = false;
    if name.is_none() {
        local = c.eat_one_of(SET_SCOPES) == Some("LOCAL") && c.pg();
        name = special(c);
    }
    let name = match name {
        Some(name) => name,
        None if c.eat_punct("@") => {
            if c.eat_punct("@") {
                // @@[scope.]variable
                if c.peek_any(SET_SCOPES) && c.punct_at(1, ".") {
                    c.pos += 2;
                }
                setting_name(c)?
            } else {
                format!("@{}", setting_name(c)?)
            }
        }
        // sqlparser reads `@@session` and `@x` as words.
        None => {
            let name = setting_name(c)?;
            match name.strip_prefix("@@") {
                Some(system) => SET_SCOPES
                    .iter()
                    .find_map(|scope| {
                        system.strip_prefix(&format!("{}.", scope.to_ascii_lowercase()))
                    })
                    .unwrap_or(system)
                    .to_owned(),
                None => name,
            }
        }
    };
    let _ = c.eat_punct("=") || c.eat_punct(":=") || c.eat_kw("TO");
    let value = match c.toks.get(c.pos..) {
        Some([t]) if t.kind == Kind::Str => t.value.to_string(),
        _ => c.text().to_owned(),
    };
    Some(Op::Set { name, value, local })
}

/// `a` or `a.b`, lower-cased.
fn setting_name(c: &mut Cursor) -> Option<String> {
    let mut name = c.ident()?.0.to_lowercase();
    while c.punct_at(0, ".") && c.tok(1).is_some_and(Tok::is_ident) {
        c.pos += 1;
        name.push('.');
        name.push_str(&c.ident()?.0.to_lowercase());
    }
    Some(name)
}

// ---------------------------------------------------------------------------------------
// Columns, types, defaults and constraints
// ---------------------------------------------------------------------------------------

/// A column definition: `name type [attributes…]`.
fn column_spec(c: &mut Cursor) -> Option<ColumnSpec> {
    let name = c.column()?;
    let (ty, serial) = column_type(c);
    let mut col = ColumnSpec {
        name,
        ty,
        serial,
        ..ColumnSpec::default()
    };
    column_attributes(c, &mut col);
    Some(col)
}

/// Words that end a column's type.
const TYPE_ENDS: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "REFERENCES",
    "CHECK",
    "GENERATED",
    "AS",
    "AUTO_INCREMENT",
    "COLLATE",
    "COMMENT",
    "ON",
    "KEY",
    "VISIBLE",
    "INVISIBLE",
    "FIRST",
    "AFTER",
    "STORAGE",
    "COLUMN_FORMAT",
    "SRID",
    "USING",
    "CHARSET",
    "DEFERRABLE",
    "INITIALLY",
    "COMPRESSION",
    "ENGINE_ATTRIBUTE",
    "SECONDARY_ENGINE_ATTRIBUTE",
];

fn is_type_end(c: &Cursor) -> bool {
    c.peek_any(TYPE_ENDS)
        || (c.peek_kw("CHARACTER") && c.kw_at(1, "SET"))
        || (c.peek_kw("WITH") && c.kw_at(1, "OPTIONS"))
}

/// Reads a column type and normalises it; also says whether it is a serial type.
fn column_type(c: &mut Cursor) -> (SqlType, bool) {
    let start = c.pos;
    let mut words: Vec<String> = Vec::new();
    let mut ty = SqlType::default();
    let mut args_read = false;
    while let Some(t) = c.peek() {
        match t.kind {
            Kind::Word if is_type_end(c) => break,
            Kind::Word if t.is_kw("ARRAY") => {
                ty.array = true;
                c.pos += 1;
            }
            Kind::Word => {
                words.push(t.lower());
                c.pos += 1;
            }
            Kind::Quoted => {
                words.push(t.value.to_string());
                c.pos += 1;
            }
            // A schema qualifier (`pg_catalog.int4`, `public.citext`) is dropped.
            Kind::Punct if t.is_punct(".") => {
                words.clear();
                c.pos += 1;
            }
            Kind::Punct if t.is_punct("[") => {
                ty.array = true;
                c.skip_group();
            }
            Kind::Punct if t.is_punct("(") => {
                let Some(g) = c.group() else { break };
                if !args_read {
                    args_read = true;
                    for item in g.items() {
                        match item.peek() {
                            Some(a) if a.kind == Kind::Number => {
                                ty.args.extend(a.value.parse::<u64>().ok());
                            }
                            Some(a) if a.kind == Kind::Str => ty.values.push(a.value.to_string()),
                            _ => {}
                        }
                    }
                }
            }
            _ => break,
        }
    }
    ty.text = c.text_range(start, c.pos).to_owned();
    let (name, serial) = fold_type(&words, c.dialect);
    ty.name = name;
    (ty, serial)
}

/// Folds a type's words to the normal name; see [`fold_type_name`].
fn fold_type(words: &[String], dialect: Dialect) -> (String, bool) {
    fold_type_name(&words.join(" "), dialect)
}

/// Words that end a DEFAULT expression.
const DEFAULT_ENDS: &[&str] = &[
    "NOT",
    "NULL",
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "REFERENCES",
    "CHECK",
    "GENERATED",
    "COLLATE",
    "COMMENT",
    "AUTO_INCREMENT",
    "ON",
    "FIRST",
    "AFTER",
    "VISIBLE",
    "INVISIBLE",
    "KEY",
    "STORAGE",
    "COLUMN_FORMAT",
    "DEFERRABLE",
    "INITIALLY",
    "CHARACTER",
    "CHARSET",
    "AS",
];

/// Column attributes after the type: nullability, default, keys, references, checks,
/// generation, AUTO_INCREMENT, charset; the rest is skipped.
fn column_attributes(c: &mut Cursor, col: &mut ColumnSpec) {
    let pg = c.pg();
    while !c.at_end() {
        if c.eat_kws(&["NOT", "NULL"]) {
            col.not_null = true;
        } else if !pg && (c.eat_kw("FIRST") || c.eat_kw("AFTER")) {
            col.placed = true;
        } else if c.eat_kw("DEFAULT") {
            col.default = classify_default(c.take_until_kw(DEFAULT_ENDS));
        } else if c.eat_kws(&["PRIMARY", "KEY"]) || (!pg && c.eat_kw("KEY")) {
            col.primary_key = true;
            col.not_null = true;
        } else if c.eat_kw("UNIQUE") {
            c.eat_kw("KEY");
            col.unique = true;
        } else if c.eat_kw("REFERENCES") {
            col.references = c.name();
            c.skip_group();
            skip_referential_actions(c);
        } else if c.eat_kw("CHECK") {
            col.check = true;
            c.skip_group();
        } else if c.eat_kw("GENERATED") {
            if !c.eat_kw("ALWAYS") {
                c.eat_kws(&["BY", "DEFAULT"]);
            }
            c.eat_kw("AS");
            if c.eat_kw("IDENTITY") {
                col.identity = true;
                c.skip_group();
            } else {
                col.generated = Some(generation(c));
            }
        } else if c.peek_kw("AS") && c.punct_at(1, "(") {
            // MySQL `AS (expr) [VIRTUAL|STORED]`.
            c.pos += 1;
            col.generated = Some(generation(c));
        } else if c.eat_kw("AUTO_INCREMENT") {
            col.auto_increment = true;
        } else if c.eat_kws(&["CHARACTER", "SET"]) || c.eat_kw("CHARSET") {
            col.ty.charset = c.bump().map(Tok::lower);
        } else if c.eat_kw("COLLATE") || c.eat_kw("CONSTRAINT") {
            // A collation may be written as a string in MySQL.
            if c.name().is_none() {
                c.bump();
            }
        } else if !c.skip_group() {
            c.pos += 1;
        }
    }
}

/// `(expr) [STORED|PERSISTENT|VIRTUAL]`: stored, or virtual when not said.
fn generation(c: &mut Cursor) -> Generated {
    c.skip_group();
    if c.eat_kw("STORED") || c.eat_kw("PERSISTENT") {
        Generated::Stored
    } else {
        c.eat_kw("VIRTUAL");
        Generated::Virtual
    }
}

/// `[MATCH x] [ON DELETE|UPDATE action]…` after REFERENCES.
fn skip_referential_actions(c: &mut Cursor) {
    loop {
        if c.eat_kw("MATCH") {
            c.bump();
        } else if c.peek_kw("ON") && (c.kw_at(1, "DELETE") || c.kw_at(1, "UPDATE")) {
            c.pos += 2;
            if c.eat_kw("SET") {
                c.eat_one_of(&["NULL", "DEFAULT"]);
                c.skip_group();
            } else if !c.eat_kws(&["NO", "ACTION"]) {
                c.eat_one_of(&["CASCADE", "RESTRICT"]);
            }
        } else {
            return;
        }
    }
}

/// Words that keep an expression of literals constant.
const LITERAL_WORDS: &[&str] = &[
    "true", "false", "null", "unknown", "and", "or", "not", "is", "in", "between", "like", "case",
    "when", "then", "else", "end", "array", "at", "time", "zone", "distinct", "from",
];

/// Constructs that keep an expression of literals constant when called.
const TRANSPARENT_FUNCTIONS: &[&str] = &[
    "cast", "array", "row", "coalesce", "nullif", "greatest", "least",
];

/// Classifies a DEFAULT expression by what adding a column with it costs.
fn classify_default(mut c: Cursor) -> Option<DefaultKind> {
    if c.at_end() {
        return None;
    }
    let text = c.text().to_owned();
    // MySQL `DEFAULT (expr)` is an expression default whatever it contains.
    let mysql_expression = !c.pg() && c.punct_at(0, "(");
    let mut stable = false;
    let mut expression = mysql_expression;
    while let Some(t) = c.bump() {
        match t.kind {
            // A qualifier: `pg_catalog.now()`.
            Kind::Word if c.punct_at(0, ".") => {}
            Kind::Word if c.punct_at(0, "(") => {
                let f = t.lower();
                if VOLATILE_FUNCTIONS.contains(&f.as_str()) {
                    return Some(DefaultKind::Volatile(text));
                }
                if STABLE_FUNCTIONS.contains(&f.as_str()) {
                    stable = true;
                } else if !TRANSPARENT_FUNCTIONS.contains(&f.as_str()) {
                    expression = true;
                }
            }
            // `CAST(x AS type)`
            Kind::Word if t.is_kw("AS") => skip_type(&mut c),
            Kind::Word => {
                let w = t.lower();
                if STABLE_FUNCTIONS.contains(&w.as_str())
                    || matches!(
                        w.as_str(),
                        "session_user" | "current_role" | "current_catalog"
                    )
                {
                    stable = true;
                } else if !LITERAL_WORDS.contains(&w.as_str())
                    && !c.peek().is_some_and(|n| n.kind == Kind::Str)
                {
                    // Not a typed literal (`interval '1 day'`): a column or unknown word.
                    expression = true;
                }
            }
            Kind::Quoted => expression = true,
            Kind::Punct if t.is_punct("::") => skip_type(&mut c),
            _ => {}
        }
    }
    Some(if expression {
        DefaultKind::Expression(text)
    } else if stable {
        DefaultKind::Stable
    } else {
        DefaultKind::Constant
    })
}

/// Skips a type name after `::` or `AS`: `text`, `pg_catalog.int4`, `varchar(10)`,
/// `text[]`, `timestamp with time zone`.
fn skip_type(c: &mut Cursor) {
    c.name();
    while c.peek_any(&["VARYING", "PRECISION", "WITH", "WITHOUT", "TIME", "ZONE"]) {
        c.pos += 1;
    }
    while c.skip_group() {}
}

/// A table constraint: `[CONSTRAINT name] CHECK (…) | FOREIGN KEY … | PRIMARY KEY … |
/// UNIQUE … | EXCLUDE …`, with `NOT VALID` and `USING INDEX`.
fn table_constraint(c: &mut Cursor) -> Option<ConstraintSpec> {
    let mut name = if c.eat_kw("CONSTRAINT") && !c.peek_any(CONSTRAINT_STARTS) {
        c.column()
    } else {
        None
    };
    let not_valid = c.has_top_seq(&["NOT", "VALID"]);
    let mut using_index = None;
    let kind = if c.eat_kw("CHECK") {
        ConstraintKind::Check {
            not_null_of: c.group().and_then(not_null_check),
        }
    } else if c.eat_kws(&["FOREIGN", "KEY"]) {
        // MySQL allows an index name here.
        if c.peek().is_some_and(Tok::is_ident) {
            c.pos += 1;
        }
        let columns = c.group().map(column_list).unwrap_or_default();
        c.eat_kw("REFERENCES");
        ConstraintKind::ForeignKey {
            columns,
            references: c.name()?,
        }
    } else if let Some(key) = c.eat_one_of(&["PRIMARY", "UNIQUE"]) {
        let primary = key == "PRIMARY";
        let mut columns = Vec::new();
        c.eat_kw("KEY");
        if c.eat_kws(&["USING", "INDEX"]) {
            using_index = c.column();
        } else {
            c.eat_one_of(&["INDEX", "KEY"]);
            c.eat_kws(&["NULLS", "NOT", "DISTINCT"]);
            c.eat_kws(&["NULLS", "DISTINCT"]);
            // MySQL `UNIQUE [KEY] name (…)`: the index name names the constraint.
            if c.peek().is_some_and(Tok::is_ident) && !c.peek_kw("USING") {
                let index_name = c.column();
                name = name.or(index_name);
            }
            if c.eat_kw("USING") {
                c.bump();
            }
            columns = c.group().map(column_list).unwrap_or_default();
        }
        if primary {
            ConstraintKind::PrimaryKey { columns }
        } else {
            ConstraintKind::Unique { columns }
        }
    } else if c.eat_kw("EXCLUDE") {
        ConstraintKind::Exclude
    } else {
        return None;
    };
    Some(ConstraintSpec {
        name,
        kind,
        not_valid,
        using_index,
    })
}

/// The column of a check that is exactly `col IS NOT NULL` (in any number of parentheses).
fn not_null_check(mut g: Cursor) -> Option<Name> {
    while let [first, .., last] = g.toks {
        let wrapped = first.is_punct("(")
            && last.is_punct(")")
            && g.toks[1..g.toks.len() - 1]
                .iter()
                .all(|t| t.depth > first.depth);
        if !wrapped {
            break;
        }
        g = g.slice(1, g.toks.len() - 1);
    }
    match g.toks {
        [col, is, not, null]
            if col.is_ident() && is.is_kw("IS") && not.is_kw("NOT") && null.is_kw("NULL") =>
        {
            g.column()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> Vec<Op> {
        recognize(sql, Dialect::Postgres).unwrap_or_else(|| panic!("not recognised: {sql}"))
    }

    fn my(sql: &str) -> Vec<Op> {
        recognize(sql, Dialect::Mysql).unwrap_or_else(|| panic!("not recognised: {sql}"))
    }

    fn n(s: &str) -> Name {
        Name::new(s)
    }

    fn one(ops: Vec<Op>) -> Op {
        assert_eq!(ops.len(), 1, "{ops:?}");
        ops.into_iter().next().unwrap()
    }

    fn added_column(op: Op) -> ColumnSpec {
        match op {
            Op::AddColumn { column, .. } => column,
            other => panic!("not an AddColumn: {other:?}"),
        }
    }

    fn default_of(sql_default: &str) -> Option<DefaultKind> {
        let sql = format!("ALTER TABLE t ADD COLUMN c int DEFAULT {sql_default} NOT NULL");
        added_column(one(pg(&sql))).default
    }

    fn ty(name: &str, args: &[u64], text: &str) -> SqlType {
        SqlType {
            name: name.into(),
            args: args.to_vec(),
            text: text.into(),
            ..SqlType::default()
        }
    }

    fn obj(kind: ObjectKind, name: &str, on_table: Option<&str>) -> Op {
        Op::CreateObject {
            kind,
            name: n(name),
            on_table: on_table.map(n),
        }
    }

    fn alter_other(table: &str, what: &str) -> Op {
        Op::AlterTableOther {
            table: n(table),
            what: what.into(),
        }
    }

    #[test]
    fn drop_index_concurrently() {
        assert_eq!(
            pg("DROP INDEX CONCURRENTLY IF EXISTS public.a, app.\"B\" CASCADE"),
            vec![Op::DropIndex {
                names: vec![n("a"), n("app.B")],
                table: None,
                concurrently: true,
                if_exists: true,
            }]
        );
        assert_eq!(
            pg("drop index idx"),
            vec![Op::DropIndex {
                names: vec![n("idx")],
                table: None,
                concurrently: false,
                if_exists: false,
            }]
        );
    }

    #[test]
    fn create_index() {
        assert_eq!(
            pg(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON ONLY public.t USING btree \
                (a, lower(b), (c + 1), \"D\" DESC NULLS LAST) INCLUDE (e) WHERE x > 0"
            ),
            vec![Op::CreateIndex {
                name: Some(n("idx")),
                table: n("t"),
                columns: vec![n("a"), n("D")],
                unique: true,
                concurrently: true,
                if_not_exists: true,
                kind: IndexKind::Plain,
                only: true,
            }]
        );
        assert_eq!(
            pg("CREATE INDEX ON t (a text_pattern_ops)"),
            vec![Op::CreateIndex {
                name: None,
                table: n("t"),
                columns: vec![n("a")],
                unique: false,
                concurrently: false,
                if_not_exists: false,
                kind: IndexKind::Plain,
                only: false,
            }]
        );
    }

    #[test]
    fn reindex() {
        assert_eq!(
            pg("REINDEX (VERBOSE) TABLE CONCURRENTLY app.t"),
            vec![Op::Reindex {
                target: ReindexTarget::Table(n("app.t")),
                concurrently: true,
            }]
        );
        assert_eq!(
            pg("REINDEX (CONCURRENTLY, VERBOSE) INDEX i"),
            vec![Op::Reindex {
                target: ReindexTarget::Index(n("i")),
                concurrently: true,
            }]
        );
        assert_eq!(
            pg("REINDEX SCHEMA s"),
            vec![Op::Reindex {
                target: ReindexTarget::Schema(n("s")),
                concurrently: false,
            }]
        );
        assert_eq!(
            pg("REINDEX SYSTEM"),
            vec![Op::Reindex {
                target: ReindexTarget::Database(Name::default()),
                concurrently: false,
            }]
        );
    }

    #[test]
    fn vacuum() {
        assert_eq!(
            pg("VACUUM FULL VERBOSE ANALYZE t"),
            vec![Op::VacuumFull {
                table: Some(n("t"))
            }]
        );
        assert_eq!(
            pg("VACUUM (FULL true, ANALYZE) public.t (a, b)"),
            vec![Op::VacuumFull {
                table: Some(n("t"))
            }]
        );
        assert_eq!(
            pg("VACUUM (FULL false, VERBOSE) a, b"),
            vec![
                Op::Vacuum {
                    table: Some(n("a"))
                },
                Op::Vacuum {
                    table: Some(n("b"))
                }
            ]
        );
        assert_eq!(pg("VACUUM ANALYZE"), vec![Op::Vacuum { table: None }]);
        assert_eq!(pg("VACUUM FULL"), vec![Op::VacuumFull { table: None }]);
    }

    #[test]
    fn cluster() {
        assert_eq!(
            pg("CLUSTER VERBOSE t USING t_idx"),
            vec![Op::Cluster {
                table: Some(n("t"))
            }]
        );
        assert_eq!(pg("CLUSTER"), vec![Op::Cluster { table: None }]);
        assert_eq!(
            pg("CLUSTER t_idx ON t"),
            vec![Op::Cluster {
                table: Some(n("t"))
            }]
        );
    }

    #[test]
    fn refresh_materialized_view() {
        assert_eq!(
            pg("REFRESH MATERIALIZED VIEW CONCURRENTLY app.mv WITH DATA"),
            vec![Op::RefreshMaterializedView {
                name: n("app.mv"),
                concurrently: true,
            }]
        );
        assert_eq!(
            pg("REFRESH MATERIALIZED VIEW mv WITH NO DATA"),
            vec![Op::RefreshMaterializedView {
                name: n("mv"),
                concurrently: false,
            }]
        );
    }

    #[test]
    fn procedural() {
        let do_op = vec![super::procedural("do")];
        assert_eq!(
            pg("DO $$ BEGIN UPDATE t SET a = 1; DROP TABLE x; END $$"),
            do_op
        );
        assert_eq!(
            pg("DO LANGUAGE plpgsql $body$ BEGIN PERFORM 1; END $body$"),
            do_op
        );
        assert_eq!(
            pg("CALL app.backfill(1000)"),
            vec![super::procedural("call")]
        );
        assert_eq!(my("CALL backfill()"), vec![super::procedural("call")]);
    }

    #[test]
    fn sequences() {
        assert_eq!(
            pg("ALTER SEQUENCE IF EXISTS public.s RESTART WITH 100"),
            vec![Op::AlterObject {
                kind: ObjectKind::Sequence,
                name: n("s"),
            }]
        );
        assert_eq!(
            pg("CREATE SEQUENCE IF NOT EXISTS s AS bigint START 1"),
            vec![obj(ObjectKind::Sequence, "s", None)]
        );
        assert_eq!(pg("ALTER SEQUENCE s OWNER TO app"), vec![inert("owner to")]);
    }

    #[test]
    fn materialized_view() {
        assert_eq!(
            pg("CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT 1 WITH NO DATA"),
            vec![obj(ObjectKind::MaterializedView, "mv", None)]
        );
    }

    #[test]
    fn create_table_like_and_partition_of() {
        assert_eq!(
            pg("CREATE TABLE new_t (LIKE old_t INCLUDING ALL)"),
            vec![Op::CreateTable {
                table: n("new_t"),
                columns: vec![],
                constraints: vec![],
                if_not_exists: false,
                columns_unknown: true,
                partition_of: None,
            }]
        );
        assert_eq!(
            pg(
                "CREATE TABLE IF NOT EXISTS m_2024 PARTITION OF measurements \
                FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
            ),
            vec![Op::CreateTable {
                table: n("m_2024"),
                columns: vec![],
                constraints: vec![],
                if_not_exists: true,
                columns_unknown: true,
                partition_of: Some(n("measurements")),
            }]
        );
    }

    #[test]
    fn create_table_columns_and_constraints() {
        let op = one(my("CREATE TABLE t (
                id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                state ENUM('a','b') NOT NULL DEFAULT 'a',
                KEY idx_state (state),
                PRIMARY KEY (id)
            ) ENGINE=InnoDB PARTITION BY HASH(id) PARTITIONS 4"));
        let Op::CreateTable {
            table,
            columns,
            constraints,
            columns_unknown,
            ..
        } = op
        else {
            panic!("{op:?}")
        };
        assert_eq!(table, n("t"));
        assert!(!columns_unknown);
        assert_eq!(columns.len(), 2);
        assert_eq!(columns[0].ty.name, "bigint unsigned");
        assert!(columns[0].auto_increment && columns[0].not_null);
        assert_eq!(columns[1].ty.values, vec!["a", "b"]);
        assert_eq!(columns[1].default, Some(DefaultKind::Constant));
        assert_eq!(
            constraints,
            vec![ConstraintSpec {
                name: None,
                kind: ConstraintKind::PrimaryKey {
                    columns: vec![n("id")]
                },
                not_valid: false,
                using_index: None,
            }]
        );
    }

    #[test]
    fn alter_table_postgres_actions() {
        let ops = pg("ALTER TABLE IF EXISTS ONLY public.t \
             ALTER COLUMN c TYPE varchar(20) COLLATE \"C\", \
             ALTER COLUMN d SET STATISTICS 100, \
             SET TABLESPACE fast, \
             SET UNLOGGED, \
             DETACH PARTITION p1 CONCURRENTLY, \
             ATTACH PARTITION p2 FOR VALUES IN (1, 2), \
             ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES other (id) NOT VALID, \
             VALIDATE CONSTRAINT fk, \
             ALTER COLUMN e SET NOT NULL, \
             RENAME COLUMN f TO g, \
             ALTER e DROP DEFAULT, \
             ALTER COLUMN h SET DATA TYPE bigint USING h::bigint, \
             DROP COLUMN IF EXISTS x CASCADE, \
             DROP CONSTRAINT IF EXISTS ck");
        let t = || n("t");
        assert_eq!(
            ops,
            vec![
                Op::AlterColumnType {
                    table: t(),
                    column: n("c"),
                    ty: ty("varchar", &[20], "varchar(20)"),
                    using: false,
                },
                alter_other("t", "set statistics"),
                Op::SetTablespace { table: t() },
                Op::SetLogged {
                    table: t(),
                    logged: false
                },
                Op::DetachPartition {
                    table: t(),
                    partition: n("p1"),
                    concurrently: true
                },
                Op::AttachPartition {
                    table: t(),
                    partition: n("p2")
                },
                Op::AddConstraint {
                    table: t(),
                    constraint: ConstraintSpec {
                        name: Some(n("fk")),
                        kind: ConstraintKind::ForeignKey {
                            columns: vec![n("a")],
                            references: n("other"),
                        },
                        not_valid: true,
                        using_index: None,
                    },
                },
                Op::ValidateConstraint {
                    table: t(),
                    name: n("fk")
                },
                Op::SetNotNull {
                    table: t(),
                    column: n("e")
                },
                Op::RenameColumn {
                    table: t(),
                    from: n("f"),
                    to: n("g")
                },
                Op::DropDefault {
                    table: t(),
                    column: n("e")
                },
                Op::AlterColumnType {
                    table: t(),
                    column: n("h"),
                    ty: ty("bigint", &[], "bigint"),
                    using: true,
                },
                Op::DropColumn {
                    table: t(),
                    column: n("x"),
                    if_exists: true
                },
                Op::DropConstraint {
                    table: t(),
                    name: n("ck")
                },
            ]
        );
        assert_eq!(
            pg("ALTER TABLE t RENAME TO u"),
            vec![Op::RenameTable {
                from: n("t"),
                to: n("u")
            }]
        );
        assert_eq!(
            pg("ALTER TABLE t RENAME a TO b"),
            vec![Op::RenameColumn {
                table: n("t"),
                from: n("a"),
                to: n("b")
            }]
        );
        assert_eq!(
            pg("ALTER TABLE t SET LOGGED, DETACH PARTITION p FINALIZE"),
            vec![
                Op::SetLogged {
                    table: n("t"),
                    logged: true
                },
                Op::DetachPartition {
                    table: n("t"),
                    partition: n("p"),
                    concurrently: true
                },
            ]
        );
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT ck CHECK ((c IS NOT NULL)) NOT VALID"),
            vec![Op::AddConstraint {
                table: n("t"),
                constraint: ConstraintSpec {
                    name: Some(n("ck")),
                    kind: ConstraintKind::Check {
                        not_null_of: Some(n("c"))
                    },
                    not_valid: true,
                    using_index: None,
                },
            }]
        );
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx"),
            vec![Op::AddConstraint {
                table: n("t"),
                constraint: ConstraintSpec {
                    name: Some(n("t_pkey")),
                    kind: ConstraintKind::PrimaryKey { columns: vec![] },
                    not_valid: false,
                    using_index: Some(n("t_id_idx")),
                },
            }]
        );
        assert_eq!(
            pg("ALTER TABLE t OWNER TO app, SET (fillfactor = 70)"),
            vec![inert("owner to"), alter_other("t", "storage parameters")]
        );
    }

    #[test]
    fn add_column_specs() {
        let col = added_column(one(pg(
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS \"Name\" character varying(255) \
             NOT NULL DEFAULT 'x'::text UNIQUE REFERENCES users (id) ON DELETE SET DEFAULT",
        )));
        assert_eq!(
            col,
            ColumnSpec {
                name: n("Name"),
                ty: ty("varchar", &[255], "character varying(255)"),
                not_null: true,
                default: Some(DefaultKind::Constant),
                unique: true,
                references: Some(n("users")),
                ..ColumnSpec::default()
            }
        );
        let col = added_column(one(pg("ALTER TABLE t ADD id bigserial PRIMARY KEY")));
        assert!(col.serial && col.primary_key && col.not_null);
        assert_eq!(col.ty.name, "bigint");
        let col = added_column(one(pg(
            "ALTER TABLE t ADD COLUMN id int GENERATED BY DEFAULT AS IDENTITY (START 10)",
        )));
        assert!(col.identity && col.generated.is_none());
        let col = added_column(one(pg(
            "ALTER TABLE t ADD COLUMN total numeric(10, 2) GENERATED ALWAYS AS (a * b) STORED",
        )));
        assert_eq!(col.generated, Some(Generated::Stored));
        assert_eq!(col.ty.args, vec![10, 2]);
        let col = added_column(one(my(
            "ALTER TABLE t ADD COLUMN full_name VARCHAR(100) AS (concat(a, b))",
        )));
        assert_eq!(col.generated, Some(Generated::Virtual));
        let ops = pg("ALTER TABLE t ADD COLUMN ts timestamp(3) with time zone, ADD tags text[]");
        let [ts, tags] = ops.as_slice() else {
            panic!("{ops:?}")
        };
        let (ts, tags) = (added_column(ts.clone()), added_column(tags.clone()));
        assert_eq!(
            (ts.ty.name.as_str(), ts.ty.args.as_slice()),
            ("timestamptz", &[3][..])
        );
        assert!(tags.ty.array);
        assert_eq!(tags.ty.name, "text");
        let col = added_column(one(pg("ALTER TABLE t ADD COLUMN c int CHECK (c > 0)")));
        assert!(col.check);
    }

    #[test]
    fn default_classification() {
        use DefaultKind::*;
        for constant in [
            "0",
            "-1.5",
            "'x'",
            "true",
            "FALSE",
            "NULL",
            "'{}'::jsonb",
            "ARRAY[]::text[]",
            "interval '1 day'",
            "CAST('a' AS varchar(3))",
            "E'a\\'b'",
        ] {
            assert_eq!(default_of(constant), Some(Constant), "{constant}");
        }
        for stable in [
            "now()",
            "CURRENT_TIMESTAMP",
            "current_date",
            "localtimestamp",
            "transaction_timestamp()",
            "statement_timestamp()",
            "pg_catalog.now()",
            "now() + interval '1 day'",
            "(now() at time zone 'utc')",
        ] {
            assert_eq!(default_of(stable), Some(Stable), "{stable}");
        }
        for volatile in [
            "random()",
            "gen_random_uuid()",
            "uuid_generate_v4()",
            "clock_timestamp()",
            "nextval('s'::regclass)",
            "timeofday()",
            "(random() * 10)::int",
        ] {
            assert_eq!(
                default_of(volatile),
                Some(Volatile(volatile.into())),
                "{volatile}"
            );
        }
        assert_eq!(
            default_of("lower(name)"),
            Some(Expression("lower(name)".into()))
        );
        assert_eq!(
            default_of("other_col"),
            Some(Expression("other_col".into()))
        );
        let col = added_column(one(my(
            "ALTER TABLE t ADD COLUMN id BINARY(16) DEFAULT (uuid())",
        )));
        assert_eq!(col.default, Some(Volatile("(uuid())".into())));
        let col = added_column(one(my("ALTER TABLE t ADD COLUMN n INT DEFAULT (1 + 1)")));
        assert_eq!(col.default, Some(Expression("(1 + 1)".into())));
        let col = added_column(one(my(
            "ALTER TABLE t ADD COLUMN u DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)",
        )));
        assert_eq!(col.default, Some(Stable));
    }

    #[test]
    fn create_objects() {
        assert_eq!(
            pg("CREATE OR REPLACE FUNCTION app.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$"),
            vec![obj(ObjectKind::Function, "app.f", None)]
        );
        assert_eq!(
            pg("CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$"),
            vec![obj(ObjectKind::Procedure, "p", None)]
        );
        assert_eq!(
            pg("CREATE TRIGGER trg BEFORE UPDATE OF a, b ON public.t FOR EACH ROW EXECUTE FUNCTION f()"),
            vec![obj(ObjectKind::Trigger, "trg", Some("t"))]
        );
        assert_eq!(
            pg("CREATE OR REPLACE VIEW v AS SELECT * FROM t"),
            vec![obj(ObjectKind::View, "v", None)]
        );
        assert_eq!(
            pg("CREATE TYPE addr AS (street text)"),
            vec![obj(ObjectKind::Type, "addr", None)]
        );
        assert_eq!(
            pg("CREATE DOMAIN posint AS int CHECK (VALUE > 0)"),
            vec![obj(ObjectKind::Domain, "posint", None)]
        );
        assert_eq!(
            pg("CREATE EXTENSION IF NOT EXISTS pgcrypto"),
            vec![obj(ObjectKind::Extension, "pgcrypto", None)]
        );
        assert_eq!(
            pg("CREATE POLICY p ON docs USING (owner = current_user)"),
            vec![obj(ObjectKind::Policy, "p", Some("docs"))]
        );
        assert_eq!(
            pg("CREATE TYPE mood AS ENUM ('sad', 'it''s ok')"),
            vec![Op::CreateEnum {
                name: n("mood"),
                values: vec!["sad".into(), "it's ok".into()],
            }]
        );
        assert_eq!(
            pg("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'happy' BEFORE 'sad'"),
            vec![Op::AddEnumValue {
                name: n("mood"),
                value: "happy".into(),
            }]
        );
        assert_eq!(
            pg("CREATE SCHEMA IF NOT EXISTS app"),
            vec![Op::CreateSchema { name: n("app") }]
        );
        assert_eq!(
            pg("CREATE CAST (a AS b) WITH INOUT"),
            vec![other("create cast")]
        );
    }

    #[test]
    fn drops() {
        assert_eq!(
            pg("DROP FUNCTION IF EXISTS f(int), g(text, int) CASCADE"),
            vec![Op::DropObject {
                kind: ObjectKind::Function,
                names: vec![n("f"), n("g")],
            }]
        );
        assert_eq!(
            pg("DROP TRIGGER IF EXISTS trg ON t"),
            vec![Op::DropObject {
                kind: ObjectKind::Trigger,
                names: vec![n("trg")],
            }]
        );
        assert_eq!(
            pg("DROP MATERIALIZED VIEW mv"),
            vec![Op::DropObject {
                kind: ObjectKind::MaterializedView,
                names: vec![n("mv")],
            }]
        );
        assert_eq!(
            pg("DROP TABLE IF EXISTS a, public.b CASCADE"),
            vec![Op::DropTable {
                tables: vec![n("a"), n("b")],
                if_exists: true,
            }]
        );
        assert_eq!(
            pg("DROP SCHEMA app CASCADE"),
            vec![Op::DropSchema {
                names: vec![n("app")],
                database: false,
            }]
        );
        assert_eq!(
            my("DROP USER IF EXISTS 'app'@'%'"),
            vec![Op::DropObject {
                kind: ObjectKind::Role,
                names: vec![n("app")],
            }]
        );
    }

    #[test]
    fn inert_statements() {
        let cases = [
            ("COMMENT ON COLUMN t.c IS 'x'", "comment on"),
            ("GRANT SELECT ON t TO app", "grant"),
            ("REVOKE ALL ON t FROM public", "revoke"),
            ("ANALYZE VERBOSE t", "analyze"),
            ("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", "lock table"),
            ("SECURITY LABEL ON TABLE t IS 'x'", "security label"),
            ("ALTER VIEW v OWNER TO app", "owner to"),
            ("ALTER TABLE t OWNER TO app", "owner to"),
            ("NOTIFY ch, 'x'", "notify"),
            ("LISTEN ch", "listen"),
            ("RESET lock_timeout", "reset"),
            ("\\set ON_ERROR_STOP on", "psql-meta"),
        ];
        for (sql, what) in cases {
            assert_eq!(pg(sql), vec![inert(what)], "{sql}");
        }
    }

    #[test]
    fn settings() {
        let set = |name: &str, value: &str, local: bool| Op::Set {
            name: name.into(),
            value: value.into(),
            local,
        };
        assert_eq!(
            pg("SET LOCAL lock_timeout = '2s'"),
            vec![set("lock_timeout", "2s", true)]
        );
        assert_eq!(
            pg("SET SESSION statement_timeout TO 5000"),
            vec![set("statement_timeout", "5000", false)]
        );
        assert_eq!(
            pg("SET search_path TO app, public"),
            vec![set("search_path", "app, public", false)]
        );
        assert_eq!(
            pg("SET TIME ZONE 'UTC'"),
            vec![set("timezone", "UTC", false)]
        );
        assert_eq!(
            my("SET SESSION lock_wait_timeout = 5"),
            vec![set("lock_wait_timeout", "5", false)]
        );
        assert_eq!(
            my("SET foreign_key_checks = 0, @@session.Unique_Checks = 0, @x := 1"),
            vec![
                set("foreign_key_checks", "0", false),
                set("unique_checks", "0", false),
                set("@x", "1", false),
            ]
        );
        assert_eq!(
            my("SET NAMES utf8mb4"),
            vec![set("names", "utf8mb4", false)]
        );
    }

    #[test]
    fn transactions() {
        use TxControl::*;
        let cases = [
            ("BEGIN", Begin),
            ("BEGIN ISOLATION LEVEL SERIALIZABLE", Begin),
            ("START TRANSACTION", Begin),
            ("COMMIT", Commit),
            ("END TRANSACTION", Commit),
            ("ROLLBACK", Rollback),
            ("ABORT", Rollback),
            ("SAVEPOINT s1", Savepoint),
            ("RELEASE SAVEPOINT s1", ReleaseSavepoint),
            ("ROLLBACK TO SAVEPOINT s1", RollbackToSavepoint),
        ];
        for (sql, tx) in cases {
            assert_eq!(pg(sql), vec![Op::Transaction(tx)], "{sql}");
        }
        assert_eq!(my("START TRANSACTION"), vec![Op::Transaction(Begin)]);
        assert_eq!(my("COMMIT WORK"), vec![Op::Transaction(Commit)]);
    }

    #[test]
    fn mysql_optimize() {
        assert_eq!(
            my("OPTIMIZE NO_WRITE_TO_BINLOG TABLE t, `App`.`U`"),
            vec![
                Op::RebuildTable {
                    table: n("t"),
                    how: "optimize".into()
                },
                Op::RebuildTable {
                    table: n("app.u"),
                    how: "optimize".into()
                },
            ]
        );
    }

    #[test]
    fn mysql_alter_table_options() {
        let t = || n("t");
        let rebuild = |how: &str| Op::RebuildTable {
            table: t(),
            how: how.into(),
        };
        assert_eq!(my("ALTER TABLE t ENGINE=InnoDB"), vec![rebuild("engine")]);
        assert_eq!(my("ALTER TABLE t ENGINE InnoDB"), vec![rebuild("engine")]);
        assert_eq!(
            my("ALTER ONLINE IGNORE TABLE t FORCE, ALGORITHM=INPLACE, LOCK=none"),
            vec![
                rebuild("force"),
                Op::AlterAlgorithm {
                    table: t(),
                    algorithm: "INPLACE".into()
                },
                Op::AlterLock {
                    table: t(),
                    lock: "NONE".into()
                },
            ]
        );
        assert_eq!(
            my("ALTER TABLE t ROW_FORMAT=DYNAMIC KEY_BLOCK_SIZE=8"),
            vec![rebuild("row-format"), rebuild("key-block-size")]
        );
        assert_eq!(
            my("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci"),
            vec![Op::ConvertCharset {
                table: t(),
                charset: "utf8mb4".into()
            }]
        );
        assert_eq!(
            my("ALTER TABLE t DEFAULT CHARACTER SET = utf8mb4, COMMENT = 'x'"),
            vec![
                alter_other("t", "character set"),
                alter_other("t", "comment")
            ]
        );
        assert_eq!(
            my("ALTER TABLE t RENAME INDEX a TO b, RENAME KEY c TO d"),
            vec![
                Op::RenameIndex {
                    table: Some(t()),
                    from: n("a"),
                    to: n("b")
                },
                Op::RenameIndex {
                    table: Some(t()),
                    from: n("c"),
                    to: n("d")
                },
            ]
        );
        assert_eq!(
            my("ALTER TABLE t ALTER INDEX i INVISIBLE"),
            vec![alter_other("t", "index visibility")]
        );
        assert_eq!(
            my("ALTER TABLE t WAIT 5 ADD COLUMN c INT, ALGORITHM NOCOPY"),
            vec![
                Op::AddColumn {
                    table: t(),
                    column: ColumnSpec {
                        name: n("c"),
                        ty: ty("integer", &[], "INT"),
                        ..ColumnSpec::default()
                    },
                    if_not_exists: false,
                },
                Op::AlterAlgorithm {
                    table: t(),
                    algorithm: "NOCOPY".into()
                },
            ]
        );
        assert_eq!(
            my("ALTER TABLE t RENAME AS u"),
            vec![Op::RenameTable {
                from: t(),
                to: n("u")
            }]
        );
        assert_eq!(
            my("ALTER TABLE t RENAME COLUMN a TO b"),
            vec![Op::RenameColumn {
                table: t(),
                from: n("a"),
                to: n("b")
            }]
        );
    }

    #[test]
    fn mysql_indexes_and_keys() {
        let t = || n("t");
        assert_eq!(
            my("ALTER TABLE t ADD UNIQUE INDEX IF NOT EXISTS uq (a, b(10)), ADD FULLTEXT KEY ft (body), \
                ADD INDEX (c)"),
            vec![
                Op::CreateIndex {
                    name: Some(n("uq")),
                    table: t(),
                    columns: vec![n("a"), n("b")],
                    unique: true,
                    concurrently: false,
                    if_not_exists: true,
                    kind: IndexKind::Plain,
                    only: false,
                },
                Op::CreateIndex {
                    name: Some(n("ft")),
                    table: t(),
                    columns: vec![n("body")],
                    unique: false,
                    concurrently: false,
                    if_not_exists: false,
                    kind: IndexKind::Fulltext,
                    only: false,
                },
                Op::CreateIndex {
                    name: None,
                    table: t(),
                    columns: vec![n("c")],
                    unique: false,
                    concurrently: false,
                    if_not_exists: false,
                    kind: IndexKind::Plain,
                    only: false,
                },
            ]
        );
        assert_eq!(
            my("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u(id) ON DELETE CASCADE, \
                ADD PRIMARY KEY (id)"),
            vec![
                Op::AddConstraint {
                    table: t(),
                    constraint: ConstraintSpec {
                        name: Some(n("fk")),
                        kind: ConstraintKind::ForeignKey {
                            columns: vec![n("a")],
                            references: n("u")
                        },
                        not_valid: false,
                        using_index: None,
                    },
                },
                Op::AddConstraint {
                    table: t(),
                    constraint: ConstraintSpec {
                        name: None,
                        kind: ConstraintKind::PrimaryKey {
                            columns: vec![n("id")]
                        },
                        not_valid: false,
                        using_index: None,
                    },
                },
            ]
        );
        assert_eq!(
            my("ALTER TABLE t DROP INDEX i, DROP KEY k, DROP PRIMARY KEY, DROP FOREIGN KEY fk, DROP c, DROP COLUMN d"),
            vec![
                Op::DropIndex {
                    names: vec![n("i")],
                    table: Some(t()),
                    concurrently: false,
                    if_exists: false
                },
                Op::DropIndex {
                    names: vec![n("k")],
                    table: Some(t()),
                    concurrently: false,
                    if_exists: false
                },
                Op::DropConstraint {
                    table: t(),
                    name: n("primary")
                },
                Op::DropConstraint {
                    table: t(),
                    name: n("fk")
                },
                Op::DropColumn {
                    table: t(),
                    column: n("c"),
                    if_exists: false
                },
                Op::DropColumn {
                    table: t(),
                    column: n("d"),
                    if_exists: false
                },
            ]
        );
    }

    #[test]
    fn mysql_index_syntax_in_postgres() {
        // sqlparser reads these as columns named INDEX / KEY; the fallback gets them.
        assert_eq!(
            pg("ALTER TABLE t ADD INDEX i (c)"),
            vec![Op::CreateIndex {
                name: Some(n("i")),
                table: n("t"),
                columns: vec![n("c")],
                unique: false,
                concurrently: false,
                if_not_exists: false,
                kind: IndexKind::Plain,
                only: false,
            }]
        );
        let col = added_column(one(pg("ALTER TABLE t ADD key varchar(10)")));
        assert_eq!((col.name, col.ty.name), (n("key"), "varchar".to_owned()));
    }

    #[test]
    fn mysql_modify_and_change() {
        let ops = my("ALTER TABLE t MODIFY COLUMN state ENUM('a','b','c') NOT NULL DEFAULT 'a' AFTER id, \
                      CHANGE old_name new_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL");
        let [Op::RedefineColumn {
            from: f1,
            column: c1,
            ..
        }, Op::RedefineColumn {
            from: f2,
            column: c2,
            ..
        }] = ops.as_slice()
        else {
            panic!("{ops:?}")
        };
        assert_eq!((f1, &c1.name), (&n("state"), &n("state")));
        assert_eq!(c1.ty.name, "enum");
        assert_eq!(c1.ty.values, vec!["a", "b", "c"]);
        assert!(c1.not_null);
        assert_eq!((f2, &c2.name), (&n("old_name"), &n("new_name")));
        assert_eq!(c2.ty.name, "varchar");
        assert_eq!(c2.ty.args, vec![64]);
        assert_eq!(c2.ty.charset.as_deref(), Some("utf8mb4"));
        assert_eq!(c2.ty.text, "VARCHAR(64)");
        assert!(!c2.not_null);
    }

    #[test]
    fn mysql_partitions() {
        let t = || n("t");
        assert_eq!(
            my("ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (2030))"),
            vec![other("partition add")]
        );
        assert_eq!(
            my("ALTER TABLE t REORGANIZE PARTITION p0, p1 INTO (PARTITION p01 VALUES LESS THAN (10))"),
            vec![other("partition reorganize")]
        );
        assert_eq!(
            my("ALTER TABLE t DROP PARTITION p0, p1, ALGORITHM=INPLACE"),
            vec![
                Op::Truncate { tables: vec![t()] },
                Op::AlterAlgorithm {
                    table: t(),
                    algorithm: "INPLACE".into()
                },
            ]
        );
        assert_eq!(
            my("ALTER TABLE t TRUNCATE PARTITION ALL"),
            vec![Op::Truncate { tables: vec![t()] }]
        );
        assert_eq!(
            my("ALTER TABLE t COALESCE PARTITION 2"),
            vec![other("partition coalesce")]
        );
        assert_eq!(
            my("ALTER TABLE t PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)"),
            vec![other("partition by")]
        );
        assert_eq!(
            my("ALTER TABLE t REMOVE PARTITIONING"),
            vec![other("partition remove")]
        );
    }

    #[test]
    fn mysql_routines_and_triggers() {
        assert_eq!(
            my(
                "CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE INSERT ON `Orders` \
                FOR EACH ROW BEGIN SET NEW.a = 1; IF NEW.b THEN SET NEW.c = 2; END IF; END"
            ),
            vec![obj(ObjectKind::Trigger, "trg", Some("orders"))]
        );
        assert_eq!(
            my("CREATE DEFINER = CURRENT_USER PROCEDURE p(IN x INT) BEGIN SELECT x; END"),
            vec![obj(ObjectKind::Procedure, "p", None)]
        );
        assert_eq!(
            my("CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1"),
            vec![obj(ObjectKind::Function, "f", None)]
        );
        assert_eq!(
            my("CREATE EVENT IF NOT EXISTS e ON SCHEDULE EVERY 1 HOUR DO DELETE FROM t"),
            vec![obj(ObjectKind::Other, "e", None)]
        );
        assert_eq!(
            my("CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW v AS SELECT 1"),
            vec![obj(ObjectKind::View, "v", None)]
        );
        assert_eq!(my("DELIMITER $$"), vec![inert("delimiter")]);
        assert_eq!(my("DELIMITER ;"), vec![inert("delimiter")]);
    }

    #[test]
    fn mysql_table_statements() {
        assert_eq!(
            my("RENAME TABLE a TO b, db.c TO db.d"),
            vec![
                Op::RenameTable {
                    from: n("a"),
                    to: n("b")
                },
                Op::RenameTable {
                    from: n("db.c"),
                    to: n("db.d")
                },
            ]
        );
        assert_eq!(
            my("DROP DATABASE IF EXISTS app"),
            vec![Op::DropSchema {
                names: vec![n("app")],
                database: true
            }]
        );
        assert_eq!(
            my("DROP SCHEMA app"),
            vec![Op::DropSchema {
                names: vec![n("app")],
                database: true
            }]
        );
        assert_eq!(
            my("CREATE DATABASE IF NOT EXISTS app CHARACTER SET utf8mb4"),
            vec![Op::CreateSchema { name: n("app") }]
        );
        assert_eq!(
            my("TRUNCATE TABLE t"),
            vec![Op::Truncate {
                tables: vec![n("t")]
            }]
        );
        assert_eq!(
            my("DROP INDEX i ON t ALGORITHM=INPLACE LOCK=NONE"),
            vec![
                Op::DropIndex {
                    names: vec![n("i")],
                    table: Some(n("t")),
                    concurrently: false,
                    if_exists: false
                },
                Op::AlterAlgorithm {
                    table: n("t"),
                    algorithm: "INPLACE".into()
                },
                Op::AlterLock {
                    table: n("t"),
                    lock: "NONE".into()
                },
            ]
        );
        assert_eq!(
            my("CREATE UNIQUE INDEX i USING BTREE ON t (a, b) ALGORITHM INPLACE LOCK SHARED"),
            vec![
                Op::CreateIndex {
                    name: Some(n("i")),
                    table: n("t"),
                    columns: vec![n("a"), n("b")],
                    unique: true,
                    concurrently: false,
                    if_not_exists: false,
                    kind: IndexKind::Plain,
                    only: false,
                },
                Op::AlterAlgorithm {
                    table: n("t"),
                    algorithm: "INPLACE".into()
                },
                Op::AlterLock {
                    table: n("t"),
                    lock: "SHARED".into()
                },
            ]
        );
        assert_eq!(
            my("CREATE SPATIAL INDEX sp ON t (geo)"),
            vec![Op::CreateIndex {
                name: Some(n("sp")),
                table: n("t"),
                columns: vec![n("geo")],
                unique: false,
                concurrently: false,
                if_not_exists: false,
                kind: IndexKind::Spatial,
                only: false,
            }]
        );
        let cases = [
            ("LOCK TABLES t WRITE", "lock tables"),
            ("UNLOCK TABLES", "unlock tables"),
            ("FLUSH TABLES", "flush"),
            ("ANALYZE TABLE t", "analyze table"),
            ("CHECK TABLE t", "check table"),
        ];
        for (sql, what) in cases {
            assert_eq!(my(sql), vec![inert(what)], "{sql}");
        }
    }

    #[test]
    fn data_changes() {
        assert_eq!(
            my("INSERT IGNORE INTO t (a, `B`) SELECT x, y FROM u"),
            vec![Op::Insert {
                table: n("t"),
                from_select: true,
                columns: vec![n("a"), n("b")],
            }]
        );
        assert_eq!(
            my("REPLACE INTO t VALUES (1, (SELECT 2))"),
            vec![Op::Insert {
                table: n("t"),
                from_select: false,
                columns: vec![],
            }]
        );
        assert_eq!(
            my("UPDATE LOW_PRIORITY t SET a = (SELECT 1 FROM u WHERE x) LIMIT 10"),
            vec![Op::Update {
                table: n("t"),
                has_where: false,
                has_limit: true,
            }]
        );
        assert_eq!(
            my("DELETE FROM t WHERE id < 10 ORDER BY id LIMIT 1000"),
            vec![Op::Delete {
                table: n("t"),
                has_where: true,
                has_limit: true,
            }]
        );
        assert_eq!(
            pg("WITH d AS (DELETE FROM a WHERE x RETURNING *) INSERT INTO b SELECT * FROM d"),
            vec![
                Op::Delete {
                    table: n("a"),
                    has_where: true,
                    has_limit: false,
                },
                Op::Insert {
                    table: n("b"),
                    from_select: true,
                    columns: vec![],
                },
            ]
        );
        assert_eq!(pg("SELECT 1"), vec![Op::Select]);
        assert_eq!(pg("(SELECT 1) UNION (SELECT 2)"), vec![Op::Select]);
    }

    #[test]
    fn comments_and_quotes_inside_statements() {
        assert_eq!(
            pg("DROP /* why */ INDEX -- note\n CONCURRENTLY /* nested /* x */ */ i"),
            vec![Op::DropIndex {
                names: vec![n("i")],
                table: None,
                concurrently: true,
                if_exists: false,
            }]
        );
        assert_eq!(
            my("/*!50001 DROP TABLE t */"),
            vec![Op::DropTable {
                tables: vec![n("t")],
                if_exists: false,
            }]
        );
        assert_eq!(
            my("ALTER TABLE t # comment\n ADD COLUMN c VARCHAR(3) DEFAULT 'a\\'b,c'"),
            vec![Op::AddColumn {
                table: n("t"),
                column: ColumnSpec {
                    name: n("c"),
                    ty: ty("varchar", &[3], "VARCHAR(3)"),
                    default: Some(DefaultKind::Constant),
                    ..ColumnSpec::default()
                },
                if_not_exists: false,
            }]
        );
    }

    #[test]
    fn not_sql() {
        for text in [
            "hello world",
            "SELEC 1",
            "\x00\x01",
            ";;;",
            ")))",
            "",
            "   ",
            "-- only a comment",
            "'a string'",
            "42",
        ] {
            assert_eq!(recognize(text, Dialect::Postgres), None, "{text:?}");
            assert_eq!(recognize(text, Dialect::Mysql), None, "{text:?}");
        }
        // Words of the other dialect.
        assert_eq!(recognize("VACUUM FULL t", Dialect::Mysql), None);
        assert_eq!(recognize("OPTIMIZE TABLE t", Dialect::Postgres), None);
    }

    #[test]
    fn never_panics_on_prefixes_or_noise() {
        let samples = [
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY t USING gin ((a->>'x'), b)",
            "ALTER TABLE t ADD COLUMN c numeric(10, 2) GENERATED ALWAYS AS (a * 2) STORED, ALTER d TYPE int USING d::int",
            "ALTER TABLE `t` ADD UNIQUE KEY `k` (`a`(10)), ALGORITHM=INPLACE, LOCK=NONE",
            "DO $fn$ BEGIN RAISE NOTICE 'é ü $$'; END $fn$",
            "SET @@session.x = 'a\\'b'",
            "CREATE TABLE t (a int DEFAULT nextval('s'), CONSTRAINT c CHECK ((a IS NOT NULL)), LIKE u)",
            "INSERT INTO t (a) VALUES (E'\\x'), ($1)",
            "ALTER TYPE e ADD VALUE 'v' AFTER 'w'",
            "WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x",
        ];
        for sample in samples {
            for dialect in [Dialect::Postgres, Dialect::Mysql] {
                for (i, _) in sample.char_indices() {
                    let _ = recognize(&sample[..i], dialect);
                    let _ = recognize(&sample[i..], dialect);
                }
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let alphabet = "()[],.;:='\"`$-/*#\\ aZ9é\n";
        let chars: Vec<char> = alphabet.chars().collect();
        for _ in 0..2000 {
            let mut text = String::from("ALTER TABLE t ");
            for _ in 0..24 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push(chars[(seed % chars.len() as u64) as usize]);
            }
            let _ = recognize(&text, Dialect::Postgres);
            let _ = recognize(&text, Dialect::Mysql);
        }
    }
}
