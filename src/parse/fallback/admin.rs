//! Administrative statements sqlparser cannot read, recognised from a table of grammars.
//!
//! Owns the PostgreSQL and MySQL/MariaDB statements that change no table's data or shape:
//! ownership, schemas and names of objects of every kind (`ALTER TYPE … OWNER TO`, as
//! pg_dump writes), `COMMENT ON` / `SECURITY LABEL ON` any object, publications,
//! subscriptions, event triggers, text search, casts, operators, foreign data, default
//! privileges, users and accounts, `CHECK TABLE`, `XA`, `HANDLER` and the like.
//!
//! Each row of [`ROWS`] is one statement's whole grammar in a small notation, read to the
//! last token ("recognise, then reject"):
//!
//! - `WORD` is a keyword; any other non-word (`=`, `(`, `,`) is that punctuation;
//! - `[ … ]` is optional, `{ a | b }` is one of, `x ...` repeats `x` zero or more times;
//! - `@macro` is the grammar of [`MACROS`] by that name;
//! - lower-case words are slots read by [`slot`]: `name`, `names`, `id`, `ids`, `str`,
//!   `num`, `val`, `vals`, `grp`, `args`, `expr`, `exprs`, `type`, `oper`, `account`,
//!   `accounts`, `var`, `query`.
//!
//! Alternatives are tried in order and the first that reads is kept (no backtracking into
//! an alternative once it has read), so longer forms come first.

use super::tokens::{Cursor, Kind};
use super::{inert, is_expr, reparse};
use crate::classify::op::{Name, ObjectKind, Op, TxControl};

/// What a recognised row becomes.
#[derive(Clone, Copy)]
enum Effect {
    Inert(&'static str),
    Create(ObjectKind),
    Drop(ObjectKind),
    Alter(ObjectKind),
    Begin,
    Select,
}

/// Which dialect a row belongs to.
#[derive(Clone, Copy, PartialEq)]
enum On {
    Pg,
    My,
}

use Effect::{Alter, Create, Drop, Inert};
use ObjectKind as K;
use On::{My, Pg};

/// The statements, whole. The first `name` slot read is the object an effect names.
const ROWS: &[(On, &str, Effect)] = &[
    // ---- PostgreSQL: any object kind
    (Pg, "ALTER @ownable OWNER TO id", Inert("owner to")),
    (Pg, "ALTER @schemable SET SCHEMA id", Inert("set schema")),
    (Pg, "ALTER @renamable RENAME TO id", Inert("rename")),
    (Pg, "COMMENT ON @object IS { str | NULL }", Inert("comment on")),
    (Pg, "SECURITY LABEL [ FOR id ] ON @object IS { str | NULL }", Inert("security label")),
    (Pg, "ALTER EXTENSION name { UPDATE [ TO val ] | { ADD | DROP } @object }", Alter(K::Extension)),
    (Pg, "DROP @droppable [ IF EXISTS ] names [ CASCADE | RESTRICT ]", Drop(K::Other)),
    (Pg, "DROP { AGGREGATE | ROUTINE } [ IF EXISTS ] name [ args ] [ , name [ args ] ] ... [ CASCADE | RESTRICT ]", Drop(K::Function)),
    (Pg, "GRANT @privileges ON @grantable TO ids [ WITH GRANT OPTION ] [ GRANTED BY id ]", Inert("grant")),
    (Pg, "REVOKE [ GRANT OPTION FOR ] @privileges ON @grantable FROM ids [ GRANTED BY id ] [ CASCADE | RESTRICT ]", Inert("revoke")),
    (Pg, "CREATE [ OR REPLACE ] [ TEMP | TEMPORARY ] RECURSIVE VIEW name grp AS query", Create(K::View)),
    (Pg, "CREATE DATABASE id [ WITH ] @dboption @dboption ...", Inert("create database")),
    // ---- PostgreSQL: one kind each
    (Pg, "CHECKPOINT", Inert("checkpoint")),
    (Pg, "TABLE [ ONLY ] name [ * ]", Effect::Select),
    (Pg, "SET CONSTRAINTS { ALL | names } { DEFERRED | IMMEDIATE }", Inert("set constraints")),
    (Pg, "ALTER DOMAIN name { SET DEFAULT exprs | DROP DEFAULT | { SET | DROP } NOT NULL | VALIDATE CONSTRAINT id | DROP CONSTRAINT [ IF EXISTS ] id [ CASCADE | RESTRICT ] | RENAME CONSTRAINT id TO id }", Alter(K::Domain)),
    (Pg, "ALTER TYPE name @typeaction [ , @typeaction ] ...", Alter(K::Type)),
    (Pg, "ALTER TYPE name RENAME ATTRIBUTE id TO id [ CASCADE | RESTRICT ]", Alter(K::Type)),
    (Pg, "ALTER { FUNCTION | PROCEDURE | ROUTINE } name [ args ] @fnaction @fnaction ... [ RESTRICT ]", Alter(K::Function)),
    (Pg, "ALTER { FUNCTION | PROCEDURE | ROUTINE } name [ args ] [ NO ] DEPENDS ON EXTENSION id", Alter(K::Function)),
    (Pg, "ALTER MATERIALIZED VIEW [ IF EXISTS ] name { CLUSTER ON id | SET WITHOUT CLUSTER | SET grp | RESET grp | SET TABLESPACE id | SET ACCESS METHOD id | [ NO ] DEPENDS ON EXTENSION id }", Alter(K::MaterializedView)),
    (Pg, "CREATE PUBLICATION id [ FOR ALL TABLES | FOR @pubobject [ , @pubobject ] ... ] [ WITH grp ]", Create(K::Other)),
    (Pg, "ALTER PUBLICATION id { { ADD | SET | DROP } @pubobject [ , @pubobject ] ... | SET grp }", Inert("alter publication")),
    (Pg, "CREATE SUBSCRIPTION id CONNECTION str PUBLICATION ids [ WITH grp ]", Create(K::Other)),
    (Pg, "ALTER SUBSCRIPTION id { CONNECTION str | { SET | ADD | DROP } PUBLICATION ids [ WITH grp ] | REFRESH PUBLICATION [ WITH grp ] | ENABLE | DISABLE | SET grp | SKIP grp }", Inert("alter subscription")),
    (Pg, "CREATE EVENT TRIGGER id ON id [ WHEN @tagfilter [ AND @tagfilter ] ... ] EXECUTE { FUNCTION | PROCEDURE } name grp", Create(K::Trigger)),
    (Pg, "ALTER EVENT TRIGGER id { DISABLE | ENABLE [ REPLICA | ALWAYS ] }", Inert("alter event trigger")),
    (Pg, "ALTER DEFAULT PRIVILEGES [ FOR { ROLE | USER } ids ] [ IN SCHEMA ids ] query", Inert("alter default privileges")),
    (Pg, "REASSIGN OWNED BY ids TO id", Inert("reassign owned")),
    (Pg, "DROP OWNED BY ids [ CASCADE | RESTRICT ]", Inert("drop owned")),
    (Pg, "ALTER TEXT SEARCH CONFIGURATION name { { ADD | ALTER } MAPPING FOR ids WITH names | ALTER MAPPING [ FOR ids ] REPLACE name WITH name | DROP MAPPING [ IF EXISTS ] FOR ids }", Inert("alter text search")),
    (Pg, "ALTER TEXT SEARCH DICTIONARY name grp", Inert("alter text search")),
    (Pg, "CREATE CAST ( type AS type ) { WITH FUNCTION name [ args ] | WITHOUT FUNCTION | WITH INOUT } [ AS { ASSIGNMENT | IMPLICIT } ]", Create(K::Other)),
    (Pg, "DROP CAST [ IF EXISTS ] ( type AS type ) [ CASCADE | RESTRICT ]", Drop(K::Other)),
    (Pg, "CREATE OPERATOR oper grp", Create(K::Other)),
    (Pg, "CREATE OPERATOR { CLASS | FAMILY } name [ DEFAULT ] [ FOR TYPE type ] USING id [ FAMILY name ] [ AS @opclassitem [ , @opclassitem ] ... ]", Create(K::Other)),
    (Pg, "ALTER OPERATOR oper args SET grp", Inert("alter operator")),
    (Pg, "ALTER OPERATOR FAMILY name USING id { ADD | DROP } @opclassitem [ , @opclassitem ] ...", Inert("alter operator")),
    (Pg, "DROP OPERATOR [ IF EXISTS ] oper args [ , oper args ] ... [ CASCADE | RESTRICT ]", Drop(K::Other)),
    (Pg, "DROP OPERATOR { CLASS | FAMILY } [ IF EXISTS ] name USING id [ CASCADE | RESTRICT ]", Drop(K::Other)),
    (Pg, "CREATE [ DEFAULT ] CONVERSION name FOR str TO str FROM name", Create(K::Other)),
    (Pg, "ALTER FOREIGN DATA WRAPPER name @fdwoption @fdwoption ...", Inert("alter foreign data wrapper")),
    (Pg, "ALTER SERVER id { VERSION str [ OPTIONS grp ] | OPTIONS grp }", Inert("alter server")),
    (Pg, "ALTER USER MAPPING FOR id SERVER id OPTIONS grp", Inert("alter user mapping")),
    (Pg, "DROP USER MAPPING [ IF EXISTS ] FOR id SERVER id", Inert("drop user mapping")),
    (Pg, "IMPORT FOREIGN SCHEMA id [ { LIMIT TO | EXCEPT } grp ] FROM SERVER id INTO id [ OPTIONS grp ]", Create(K::Other)),
    (Pg, "ALTER RULE id ON name RENAME TO id", Inert("alter rule")),
    (Pg, "ALTER STATISTICS name SET STATISTICS num", Inert("alter statistics")),
    (Pg, "CREATE ACCESS METHOD id TYPE { TABLE | INDEX } HANDLER name", Create(K::Other)),
    (Pg, "CREATE [ OR REPLACE ] [ TRUSTED ] [ PROCEDURAL ] LANGUAGE id [ HANDLER name [ INLINE name ] [ VALIDATOR name ] ]", Create(K::Other)),
    (Pg, "CREATE [ OR REPLACE ] TRANSFORM FOR type LANGUAGE id ( { FROM SQL WITH FUNCTION name args [ , TO SQL WITH FUNCTION name args ] | TO SQL WITH FUNCTION name args } )", Create(K::Other)),
    (Pg, "DROP TRANSFORM [ IF EXISTS ] FOR type LANGUAGE id [ CASCADE | RESTRICT ]", Drop(K::Other)),
    (Pg, "ANALYZE [ grp ] [ VERBOSE ] [ name [ grp ] [ , name [ grp ] ] ... ]", Inert("analyze")),
    (Pg, "CREATE TABLESPACE id [ OWNER id ] LOCATION str [ WITH grp ]", Inert("create tablespace")),
    (Pg, "ALTER TABLESPACE id { SET | RESET } grp", Inert("alter tablespace")),
    (Pg, "ALTER SYSTEM { SET name { TO | = } { DEFAULT | vals } | RESET { ALL | name } }", Inert("alter system")),
    (Pg, "ALTER DATABASE name { SET name FROM CURRENT | SET name { TO | = } { DEFAULT | vals } | RESET { ALL | name } | SET TABLESPACE id | REFRESH COLLATION VERSION | [ WITH ] @dboption @dboption ... }", Inert("alter database")),
    (Pg, "CREATE { ROLE | USER | GROUP } id [ WITH ] @roleoption ...", Inert("create role")),
    (Pg, "ALTER { ROLE | USER } { ALL | @rolespec } [ IN DATABASE id ] { SET name FROM CURRENT | SET name { TO | = } { DEFAULT | vals } | RESET { ALL | name } }", Inert("alter role")),
    (Pg, "ALTER { ROLE | USER } @rolespec [ WITH ] @roleoption @roleoption ...", Inert("alter role")),
    // ---- MySQL / MariaDB
    (My, "ANALYZE [ NO_WRITE_TO_BINLOG | LOCAL ] { TABLE | TABLES } names PERSISTENT FOR { ALL | COLUMNS grp INDEXES grp }", Inert("table maintenance")),
    (My, "LOCK TABLE @locked [ , @locked ] ...", Inert("lock tables")),
    (My, "UNLOCK TABLE", Inert("unlock tables")),
    (My, "{ ANALYZE | CHECK | REPAIR | CHECKSUM } [ NO_WRITE_TO_BINLOG | LOCAL ] { TABLE | TABLES } names [ FOR UPGRADE ] [ QUICK | FAST | MEDIUM | EXTENDED | CHANGED | USE_FRM ] ...", Inert("table maintenance")),
    (My, "CREATE [ OR REPLACE ] { USER | ROLE } [ IF NOT EXISTS ] @userspec [ , @userspec ] ... @useroption ...", Inert("create user")),
    (My, "ALTER USER [ IF EXISTS ] @userspec [ , @userspec ] ... @useroption ...", Inert("alter user")),
    (My, "DROP { USER | ROLE } [ IF EXISTS ] accounts", Inert("drop user")),
    (My, "RENAME USER account TO account [ , account TO account ] ...", Inert("rename user")),
    (My, "SET PASSWORD [ FOR account ] = { { PASSWORD | OLD_PASSWORD } ( str ) | str }", Inert("set password")),
    (My, "SET DEFAULT ROLE { NONE | ALL | accounts } [ FOR account ]", Inert("set default role")),
    (My, "SET { CHARACTER SET | CHARSET } { DEFAULT | val }", Inert("set character set")),
    (My, "ALTER EVENT name @eventclause @eventclause ...", Inert("alter event")),
    (My, "DROP EVENT [ IF EXISTS ] name", Drop(K::Other)),
    (My, "ALTER SERVER id OPTIONS grp", Inert("alter server")),
    (My, "DROP SERVER [ IF EXISTS ] id", Inert("drop server")),
    (My, "ALTER { DATABASE | SCHEMA } { @mydboption @mydboption ... | id @mydboption @mydboption ... }", Inert("alter database")),
    (My, "DO exprs", Effect::Select),
    (My, "HANDLER name { OPEN [ AS ] [ id ] | CLOSE | READ { FIRST | NEXT | PREV | LAST } | READ id { FIRST | NEXT | PREV | LAST } }", Inert("handler")),
    (My, "XA { { START | BEGIN } str [ JOIN | RESUME ] | END str [ SUSPEND [ FOR MIGRATE ] ] | PREPARE str | COMMIT str [ ONE PHASE ] | ROLLBACK str | RECOVER [ FORMAT = str ] }", Inert("xa")),
    (My, "PREPARE id FROM { str | var }", Inert("prepare")),
    (My, "DROP PREPARE id", Inert("deallocate")),
    (My, "START TRANSACTION WITH CONSISTENT SNAPSHOT [ , READ { ONLY | WRITE } ]", Effect::Begin),
    (My, "ALTER [ ALGORITHM = id ] [ DEFINER = account ] [ SQL SECURITY id ] VIEW name [ grp ] AS query", Alter(K::View)),
    (My, "{ INSTALL | UNINSTALL } SONAME str", Inert("plugin")),
    (My, "INSTALL PLUGIN id SONAME str", Inert("plugin")),
    (My, "UNINSTALL PLUGIN id", Inert("plugin")),
    (My, "PURGE { BINARY | MASTER } LOGS { TO str | BEFORE str }", Inert("purge logs")),
    (My, "RESET QUERY CACHE", Inert("reset")),
    (My, "CACHE INDEX names IN id", Inert("cache index")),
    (My, "LOAD INDEX INTO CACHE names", Inert("cache index")),
    (My, "SHUTDOWN", Inert("shutdown")),
];

/// Named grammars used by rows (`@name`).
const MACROS: &[(&str, &str)] = &[
    ("routine", "{ FUNCTION | PROCEDURE | ROUTINE } name [ args ] | AGGREGATE name args"),
    ("relation", "{ TABLE | FOREIGN TABLE } [ IF EXISTS ] [ ONLY ] name [ * ] | { VIEW | MATERIALIZED VIEW | SEQUENCE } [ IF EXISTS ] name"),
    ("textsearch", "TEXT SEARCH { CONFIGURATION | DICTIONARY | PARSER | TEMPLATE } name"),
    ("opclass", "OPERATOR { CLASS | FAMILY } name USING id"),
    ("ownable", "@routine | @relation | @opclass | @textsearch | OPERATOR oper args | LARGE OBJECT num | { CONVERSION | COLLATION | DOMAIN | TYPE | SCHEMA | EVENT TRIGGER | PUBLICATION | SUBSCRIPTION | SERVER | FOREIGN DATA WRAPPER | [ PROCEDURAL ] LANGUAGE | STATISTICS | DATABASE | TABLESPACE } name"),
    ("schemable", "@routine | @relation | @opclass | @textsearch | OPERATOR oper args | { CONVERSION | COLLATION | DOMAIN | TYPE | EXTENSION | STATISTICS } name"),
    ("renamable", "@routine | @relation | @opclass | @textsearch | { CONVERSION | COLLATION | DOMAIN | TYPE | SCHEMA | EVENT TRIGGER | PUBLICATION | SUBSCRIPTION | SERVER | FOREIGN DATA WRAPPER | [ PROCEDURAL ] LANGUAGE | STATISTICS | DATABASE | TABLESPACE | ROLE | USER | GROUP } name | { POLICY | TRIGGER | RULE } id ON name | INDEX [ IF EXISTS ] name"),
    ("object", "@routine | @opclass | @textsearch | OPERATOR oper args | LARGE OBJECT num | CAST ( type AS type ) | TRANSFORM FOR type LANGUAGE id | { CONSTRAINT | POLICY | TRIGGER | RULE } id ON [ DOMAIN ] name | { COLUMN | TABLE | FOREIGN TABLE | VIEW | MATERIALIZED VIEW | SEQUENCE | INDEX | CONVERSION | COLLATION | DOMAIN | TYPE | SCHEMA | EXTENSION | EVENT TRIGGER | PUBLICATION | SUBSCRIPTION | SERVER | FOREIGN DATA WRAPPER | ACCESS METHOD | [ PROCEDURAL ] LANGUAGE | STATISTICS | DATABASE | TABLESPACE | ROLE } name"),
    ("droppable", "TEXT SEARCH { CONFIGURATION | DICTIONARY | PARSER | TEMPLATE } | PUBLICATION | SUBSCRIPTION | EVENT TRIGGER | CONVERSION | FOREIGN DATA WRAPPER | SERVER | ACCESS METHOD | STATISTICS | [ PROCEDURAL ] LANGUAGE | COLLATION | RULE"),
    ("typeaction", "ADD ATTRIBUTE id type [ COLLATE name ] [ CASCADE | RESTRICT ] | DROP ATTRIBUTE [ IF EXISTS ] id [ CASCADE | RESTRICT ] | ALTER ATTRIBUTE id [ SET DATA ] TYPE type [ COLLATE name ] [ CASCADE | RESTRICT ]"),
    ("fnaction", "IMMUTABLE | STABLE | VOLATILE | STRICT | CALLED ON NULL INPUT | RETURNS NULL ON NULL INPUT | [ NOT ] LEAKPROOF | [ EXTERNAL ] SECURITY { INVOKER | DEFINER } | PARALLEL id | COST num | ROWS num | SUPPORT name | SET name FROM CURRENT | SET name { TO | = } { DEFAULT | vals } | RESET { ALL | name }"),
    ("pubobject", "TABLE [ ONLY ] name [ * ] [ grp ] [ WHERE grp ] | TABLES IN SCHEMA { CURRENT_SCHEMA | id }"),
    ("tagfilter", "id IN grp"),
    ("opclassitem", "OPERATOR num oper [ args ] [ FOR SEARCH | FOR ORDER BY name ] | FUNCTION num [ args ] name args | STORAGE type"),
    ("fdwoption", "HANDLER name | NO HANDLER | VALIDATOR name | NO VALIDATOR | OPTIONS grp"),
    ("dboption", "{ OWNER | TEMPLATE | ENCODING | STRATEGY | LOCALE | LC_COLLATE | LC_CTYPE | ICU_LOCALE | ICU_RULES | LOCALE_PROVIDER | COLLATION_VERSION | TABLESPACE | ALLOW_CONNECTIONS | CONNECTION LIMIT | IS_TEMPLATE | OID } [ = ] val"),
    ("privileges", "ALL [ PRIVILEGES ] | USAGE | SELECT | UPDATE | SET | ALTER SYSTEM"),
    ("grantable", "{ TYPE | DOMAIN | [ PROCEDURAL ] LANGUAGE | FOREIGN DATA WRAPPER | FOREIGN SERVER | TABLESPACE | PARAMETER } names | LARGE OBJECT num [ , num ] ..."),
    ("roleoption", "SUPERUSER | NOSUPERUSER | CREATEDB | NOCREATEDB | CREATEROLE | NOCREATEROLE | INHERIT | NOINHERIT | LOGIN | NOLOGIN | REPLICATION | NOREPLICATION | BYPASSRLS | NOBYPASSRLS | CONNECTION LIMIT num | [ ENCRYPTED | UNENCRYPTED ] PASSWORD { NULL | str } | VALID UNTIL str | IN { ROLE | GROUP } ids | ROLE ids | ADMIN ids | USER ids | SYSID num"),
    ("rolespec", "CURRENT_ROLE | CURRENT_USER | SESSION_USER | id"),
    ("userspec", "account [ IDENTIFIED { BY [ PASSWORD ] str | { VIA | WITH } id [ { BY | USING | AS } str ] } ]"),
    ("useroption", "REQUIRE { NONE | SSL | X509 } | WITH { MAX_QUERIES_PER_HOUR | MAX_UPDATES_PER_HOUR | MAX_CONNECTIONS_PER_HOUR | MAX_USER_CONNECTIONS | MAX_STATEMENT_TIME } num | PASSWORD EXPIRE [ DEFAULT | NEVER | INTERVAL num DAY ] | ACCOUNT { LOCK | UNLOCK } | DEFAULT ROLE { NONE | accounts }"),
    ("eventclause", "ON SCHEDULE EVERY val id [ STARTS str ] [ ENDS str ] | ON SCHEDULE AT str | ON COMPLETION [ NOT ] PRESERVE | RENAME TO name | ENABLE | DISABLE [ ON SLAVE ] | COMMENT str"),
    ("locked", "name @lockmode | name [ AS ] id @lockmode"),
    ("lockmode", "READ [ LOCAL ] | [ LOW_PRIORITY ] WRITE [ CONCURRENT ]"),
    ("mydboption", "[ DEFAULT ] { CHARACTER SET | CHARSET | COLLATE } [ = ] val | COMMENT [ = ] str"),
];

/// Recognises the statement from [`ROWS`]; `None` when no row reads it whole.
pub(super) fn statement(c: &Cursor) -> Option<Vec<Op>> {
    let on = if c.pg() { Pg } else { My };
    ROWS.iter()
        .filter(|(d, _, _)| *d == on)
        .find_map(|(_, grammar, effect)| {
            let mut r = *c;
            r.pos = 0;
            let mut named = None;
            let ok = seq(&parse(grammar), &mut r, &mut named) && r.at_end();
            ok.then(|| vec![effect_op(*effect, named.unwrap_or_default())])
        })
}

fn effect_op(effect: Effect, name: Name) -> Op {
    match effect {
        Effect::Inert(what) => inert(what),
        Effect::Create(kind) => Op::CreateObject {
            kind,
            name,
            on_table: None,
            view: None,
        },
        Effect::Drop(kind) => Op::DropObject {
            kind,
            names: vec![name],
        },
        Effect::Alter(kind) => Op::AlterObject {
            kind,
            name,
            view: None,
        },
        Effect::Begin => Op::Transaction(TxControl::Begin),
        Effect::Select => Op::Select,
    }
}

// ---- the notation

#[derive(Debug)]
enum Node<'g> {
    Kw(&'g str),
    Punct(&'g str),
    Slot(&'g str),
    Macro(&'g str),
    Opt(Vec<Node<'g>>),
    Alt(Vec<Vec<Node<'g>>>),
    Rep(Box<Node<'g>>),
}

fn parse(grammar: &str) -> Vec<Node<'_>> {
    let words: Vec<&str> = grammar.split_whitespace().collect();
    let mut i = 0;
    parse_seq(&words, &mut i)
}

fn parse_seq<'g>(words: &[&'g str], i: &mut usize) -> Vec<Node<'g>> {
    let mut out = Vec::new();
    while let Some(&w) = words.get(*i) {
        if matches!(w, "]" | "}" | "|") {
            break;
        }
        *i += 1;
        let node = match w {
            "[" => {
                let inner = parse_alts(words, i);
                *i += 1; // `]`
                Node::Opt(vec![inner])
            }
            "{" => {
                let inner = parse_alts(words, i);
                *i += 1; // `}`
                inner
            }
            "..." => match out.pop() {
                Some(last) => Node::Rep(Box::new(last)),
                None => continue,
            },
            _ if w.starts_with('@') => Node::Macro(&w[1..]),
            _ if w.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_') => Node::Kw(w),
            _ if w.chars().all(|ch| ch.is_ascii_lowercase()) => Node::Slot(w),
            _ => Node::Punct(w),
        };
        out.push(node);
    }
    out
}

/// `a | b | …` up to the closing bracket (not read).
fn parse_alts<'g>(words: &[&'g str], i: &mut usize) -> Node<'g> {
    let mut alts = vec![parse_seq(words, i)];
    while words.get(*i) == Some(&"|") {
        *i += 1;
        alts.push(parse_seq(words, i));
    }
    Node::Alt(alts)
}

/// A macro's body: alternatives at its top level.
fn macro_nodes(name: &str) -> Vec<Node<'static>> {
    let body = MACROS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, b)| *b);
    let words: Vec<&'static str> = body.split_whitespace().collect();
    vec![parse_alts(&words, &mut 0)]
}

/// Reads the whole sequence, or nothing.
fn seq(nodes: &[Node], c: &mut Cursor, named: &mut Option<Name>) -> bool {
    let save = c.pos;
    let had = named.is_some();
    for n in nodes {
        if !node(n, c, named) {
            c.pos = save;
            if !had {
                *named = None;
            }
            return false;
        }
    }
    true
}

fn node(n: &Node, c: &mut Cursor, named: &mut Option<Name>) -> bool {
    match n {
        Node::Kw(kw) => c.eat_kw(kw),
        Node::Punct(p) => c.eat_punct(p),
        Node::Opt(inner) => {
            seq(inner, c, named);
            true
        }
        Node::Alt(alts) => alts.iter().any(|a| seq(a, c, named)),
        Node::Rep(inner) => {
            loop {
                let at = c.pos;
                if !node(inner, c, named) || c.pos == at {
                    break;
                }
            }
            true
        }
        Node::Macro(m) => seq(&macro_nodes(m), c, named),
        Node::Slot(s) => {
            let save = c.pos;
            let ok = slot(s, c, named).is_some();
            if !ok {
                c.pos = save;
            }
            ok
        }
    }
}

/// Words that end a type in a grammar (`type` slots read up to one of these).
const TYPE_ENDS: &[&str] = &["AS", "COLLATE", "CASCADE", "RESTRICT", "LANGUAGE"];

fn slot(s: &str, c: &mut Cursor, named: &mut Option<Name>) -> Option<()> {
    match s {
        "name" => {
            let n = c.name()?;
            named.get_or_insert(n);
        }
        "names" => {
            let n = c.list(|c| c.name());
            named.get_or_insert(n.first()?.clone());
        }
        "id" => {
            c.ident()?;
        }
        "ids" => {
            c.list(|c| c.ident()).first()?;
        }
        "str" => {
            c.peek()
                .filter(|t| t.kind == Kind::Str || t.kind == Kind::Dollar)?;
            c.pos += 1;
        }
        "num" => c.signed_number()?,
        "val" => value(c)?,
        "vals" => {
            c.list(value).first()?;
        }
        "grp" => {
            c.group()?;
        }
        "args" => {
            let g = c.group()?;
            let ok = g
                .items()
                .iter()
                .all(|i| i.peek().is_some_and(|t| t.is_ident() || t.is_punct("*")));
            ok.then_some(())?;
        }
        "expr" => {
            let g = c.group()?;
            is_expr(g.text(), c.dialect).then_some(())?;
        }
        "exprs" => {
            let rest = c.rest();
            let items = rest.items();
            let ok = !items.is_empty() && items.iter().all(|i| is_expr(i.text(), c.dialect));
            ok.then_some(())?;
            c.pos = c.toks.len();
        }
        "type" => {
            let start = c.pos;
            let depth = c.peek()?.depth;
            while let Some(t) = c.peek() {
                let at_level = t.depth == depth && (t.is_any_kw(TYPE_ENDS) || t.is_punct(","));
                if at_level || t.depth < depth {
                    break;
                }
                c.pos += 1;
            }
            let text = c.text_range(start, c.pos);
            (c.pos > start && is_expr(&format!("CAST(NULL AS {text})"), c.dialect)).then_some(())?;
        }
        "oper" => {
            // An operator, `+`, `===` or `public.===`: punctuation written without spaces.
            if c.tok(0).is_some_and(|t| t.is_ident()) && c.punct_at(1, ".") {
                c.pos += 2;
            }
            let is_op = |t: &super::tokens::Tok| {
                t.kind == Kind::Punct
                    && !t.is_open()
                    && !t.is_close()
                    && !matches!(t.value.as_ref(), "," | ";" | ".")
            };
            let mut end = c.peek().filter(|t| is_op(t))?.end;
            c.pos += 1;
            while let Some(t) = c.peek().filter(|t| is_op(t) && t.start == end) {
                end = t.end;
                c.pos += 1;
            }
        }
        "account" => c.account()?,
        "accounts" => {
            c.list(|c| c.account()).first()?;
        }
        "var" => {
            // A MySQL user variable, `@name`.
            let t = c.bump()?;
            if t.is_punct("@") {
                c.ident()?;
            } else {
                (t.kind == Kind::Word && t.value.starts_with('@')).then_some(())?;
            }
        }
        "query" => {
            reparse(c, c.pos..c.toks.len(), &[])?;
            c.pos = c.toks.len();
        }
        _ => return None,
    }
    Some(())
}

/// One setting value: a word, a name, a string or a signed number.
fn value(c: &mut Cursor) -> Option<()> {
    if c.punct_at(0, "-") || c.punct_at(0, "+") {
        return c.signed_number();
    }
    c.peek()
        .filter(|t| matches!(t.kind, Kind::Word | Kind::Quoted | Kind::Str | Kind::Number))?;
    c.pos += 1;
    Some(())
}

#[cfg(test)]
mod tests {
    use crate::classify::op::{Name, ObjectKind, Op};
    use crate::dialect::Dialect;
    use crate::parse::fallback::recognize;

    fn pg(sql: &str) -> Option<Vec<Op>> {
        recognize(sql, Dialect::Postgres)
    }

    fn my(sql: &str) -> Option<Vec<Op>> {
        recognize(sql, Dialect::Mysql)
    }

    #[test]
    fn statements_that_cannot_run_in_a_test_still_read() {
        // Server-wide or needing a provider, a directory or a remote server.
        for sql in [
            "ALTER SYSTEM SET work_mem = '4MB'",
            "ALTER SYSTEM RESET ALL",
            "SECURITY LABEL FOR selinux ON TABLE t IS 'system_u:object_r:sepgsql_table_t:s0'",
            "SECURITY LABEL ON COLUMN t.c IS NULL",
            "CREATE TABLESPACE fast OWNER app LOCATION '/ssd' WITH (random_page_cost = 1.1)",
            "ALTER TABLESPACE fast SET (random_page_cost = 1.1)",
            "IMPORT FOREIGN SCHEMA remote LIMIT TO (a, b) FROM SERVER s INTO local OPTIONS (x 'y')",
            "ALTER DATABASE app SET search_path TO app, public",
            "ALTER DATABASE app RESET ALL",
        ] {
            assert!(pg(sql).is_some(), "{sql}");
        }
        assert!(my("SHUTDOWN").is_some());
        assert!(my("XA RECOVER FORMAT = 'SQL'").is_some());
    }

    #[test]
    fn every_ownable_kind_reads_as_pg_dump_writes_it() {
        for object in [
            "TYPE public.mood",
            "FUNCTION public.f(integer, text)",
            "AGGREGATE public.agg(text)",
            "OPERATOR public.=== (integer, integer)",
            "TEXT SEARCH CONFIGURATION public.cfg",
            "LARGE OBJECT 42",
            "EVENT TRIGGER ddl",
            "FOREIGN DATA WRAPPER w",
        ] {
            let sql = format!("ALTER {object} OWNER TO postgres");
            assert!(pg(&sql).is_some(), "{sql}");
            let sql = format!("COMMENT ON {object} IS 'x'");
            assert!(pg(&sql).is_some(), "{sql}");
        }
    }

    #[test]
    fn near_misses_are_rejected() {
        for sql in [
            "ALTER TYPE mood OWNER postgres",
            "ALTER TYPE mood OWNER TO",
            "ALTER EXTENSION e OWNER TO postgres",
            "ALTER AGGREGATE agg OWNER TO postgres",
            "COMMENT ON EXTENSION e",
            "COMMENT ON EXTENSION e IS 'x' 'y'",
            "COMMENT ON CAST (int AS) IS 'x'",
            "DROP PUBLICATION",
            "CREATE PUBLICATION p FOR TABLE",
            "CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f",
            "ALTER DEFAULT PRIVILEGES GRANT SELECT TABLES TO r",
            "SET CONSTRAINTS ALL LATER",
            "ALTER DOMAIN d SET DEFAULT",
            "ALTER TYPE pair ADD ATTRIBUTE c",
            "ALTER FUNCTION f(int) IMMUTABLE STRICT SOMETIMES",
            "CREATE USER u WITH LOGINN",
            "CREATE USER u PASSWORD",
            "ALTER USER u",
            "ALTER USER u SET search_path TO",
            "ALTER GROUP g SET work_mem = 1",
        ] {
            assert_eq!(pg(sql), None, "{sql}");
        }
        for sql in [
            "CHECK TABEL t",
            "XA START",
            "RENAME USER a TO",
            "HANDLER t READ",
            "LOCK TABLE t",
            "DO",
        ] {
            assert_eq!(my(sql), None, "{sql}");
        }
    }

    #[test]
    fn effects_name_the_object() {
        assert_eq!(
            pg("DROP TEXT SEARCH DICTIONARY IF EXISTS public.d CASCADE"),
            Some(vec![Op::DropObject {
                kind: ObjectKind::Other,
                names: vec![Name::new("d")],
            }])
        );
        assert_eq!(
            pg("ALTER TYPE pair ALTER ATTRIBUTE b SET DATA TYPE varchar(10) CASCADE"),
            Some(vec![Op::AlterObject {
                kind: ObjectKind::Type,
                name: Name::new("pair"),
                view: None,
            }])
        );
        assert_eq!(pg("TABLE users"), Some(vec![Op::Select]));
    }
}
