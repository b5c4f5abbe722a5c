//! Type names and default expressions: normalisation shared by the AST classifier and
//! the token fallback.
//!
//! Owns the alias table for type names and the lists of stable and volatile functions
//! (sqlparser keeps neither). Pure functions of text.

use super::op::SqlType;
use crate::dialect::Dialect;

/// Functions evaluated once per statement: a default built from them does not rewrite
/// a PostgreSQL table (11+).
pub const STABLE_FUNCTIONS: &[&str] = &[
    "now",
    "utc_date",
    "utc_time",
    "current_setting",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "transaction_timestamp",
    "statement_timestamp",
    "current_user",
    "session_user",
    "current_schema",
    "utc_timestamp",
    "curdate",
    "curtime",
];

/// Functions evaluated per row: a default built from them rewrites the table.
pub const VOLATILE_FUNCTIONS: &[&str] = &[
    "random",
    "random_normal",
    "gen_random_bytes",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
    "txid_current",
    "uuid",
    "uuid_short",
    "rand",
    "sysdate",
];

/// The stability of a function by name (the last part of a qualified name).
pub fn function_kind(name: &str) -> Option<bool> {
    let short = name.rsplit('.').next().unwrap_or(name).trim_matches('"');
    let lower = short.to_ascii_lowercase();
    if VOLATILE_FUNCTIONS.contains(&lower.as_str()) {
        Some(true)
    } else if STABLE_FUNCTIONS.contains(&lower.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// Folds a type's words (lower-case, space-separated) to the normal name (`int4` →
/// `integer`, `character varying` → `varchar`, …) and says whether it was a serial type;
/// serial types fold to their integer type. `unsigned` is kept as a suffix: changing
/// `int` to `int unsigned` is a type change.
pub fn fold_type_name(base: &str, dialect: Dialect) -> (String, bool) {
    let mut unsigned = false;
    let mut dropped = false;
    for w in base.split_whitespace() {
        match w {
            "unsigned" => {
                unsigned = true;
                dropped = true;
            }
            "signed" | "zerofill" => dropped = true,
            _ => {}
        }
    }
    // The kept words joined by single spaces; most names already are that.
    let rebuilt;
    let base = if !dropped && single_spaced(base) {
        base
    } else {
        rebuilt = base
            .split_whitespace()
            .filter(|w| !matches!(*w, "unsigned" | "signed" | "zerofill"))
            .collect::<Vec<_>>()
            .join(" ");
        rebuilt.as_str()
    };
    let (name, serial) = match base {
        "int" | "int4" | "integer" => ("integer", false),
        "int8" | "bigint" => ("bigint", false),
        "int2" | "smallint" => ("smallint", false),
        // MySQL SERIAL is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE.
        "serial" if dialect == Dialect::Mysql => {
            unsigned = true;
            ("bigint", true)
        }
        "serial" | "serial4" => ("integer", true),
        "bigserial" | "serial8" => ("bigint", true),
        "smallserial" | "serial2" => ("smallint", true),
        "character varying"
        | "char varying"
        | "varchar"
        | "nvarchar"
        | "national character varying"
        | "national varchar" => ("varchar", false),
        "character" | "char" | "bpchar" | "nchar" | "national character" | "national char" => {
            ("char", false)
        }
        "bool" | "boolean" => ("boolean", false),
        "decimal" | "dec" | "numeric" | "fixed" => ("numeric", false),
        "float8" | "double" | "double precision" => ("double precision", false),
        "float4" | "real" => ("real", false),
        "timestamp" | "timestamp without time zone" => ("timestamp", false),
        "timestamptz" | "timestamp with time zone" => ("timestamptz", false),
        "time" | "time without time zone" => ("time", false),
        "timetz" | "time with time zone" => ("timetz", false),
        "varbit" | "bit varying" => ("varbit", false),
        other => (other, false),
    };
    let mut name = name.to_owned();
    if unsigned {
        name.push_str(" unsigned");
    }
    (name, serial)
}

/// Is `text` its words joined by single spaces (no other blanks, none around)?
fn single_spaced(text: &str) -> bool {
    let mut at = 0;
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            if text.as_bytes().get(at) != Some(&b' ') {
                return false;
            }
            at += 1;
        }
        if word.as_ptr() as usize - text.as_ptr() as usize != at {
            return false;
        }
        at += word.len();
    }
    at == text.len()
}

/// Parses a type as written (`character varying(50)`, `NUMERIC(10, 2)`, `text[]`,
/// `ENUM('a','b')`, `varchar(20) character set latin1`) into a normalised [`SqlType`].
pub fn parse_type(text: &str) -> SqlType {
    parse_column_type(text, Dialect::Postgres).0
}

/// Like [`parse_type`], in a dialect; also says whether the type was a serial type.
pub fn parse_column_type(text: &str, dialect: Dialect) -> (SqlType, bool) {
    let text = text.trim();
    let mut ty = SqlType {
        text: text.to_owned(),
        ..SqlType::default()
    };
    let mut rest = text;
    let mut array = false;
    while let Some(stripped) = rest.trim_end().strip_suffix("[]") {
        rest = stripped;
        array = true;
    }
    if let Some(at) = find_ci(rest, " array") {
        if rest[at + 6..].trim().is_empty() {
            rest = &rest[..at];
            array = true;
        }
    }
    ty.array = array;
    // Character set / collation suffixes (MySQL).
    for marker in [" character set ", " charset "] {
        if let Some(at) = find_ci(rest, marker) {
            let after = rest[at + marker.len()..].trim();
            let cs = after
                .split(|c: char| c.is_whitespace() || c == ',')
                .next()
                .unwrap_or("");
            ty.charset = Some(cs.trim_matches(['\'', '"', '`']).to_ascii_lowercase());
            rest = &rest[..at];
        }
    }
    if let Some(at) = find_ci(rest, " collate ") {
        rest = &rest[..at];
    }
    let (base, args) = match rest.find('(') {
        Some(open) => {
            let close = rest.rfind(')').filter(|&c| c > open).unwrap_or(rest.len());
            let inner = &rest[open + 1..close];
            let after = rest.get(close + 1..).unwrap_or("").trim();
            let mut base = String::with_capacity(open + 1 + after.len());
            base.push_str(&rest[..open]);
            base.push(' ');
            base.push_str(after);
            (base, Some(inner.to_owned()))
        }
        None => (rest.to_owned(), None),
    };
    let (name, serial) = fold_type_name(&type_words(&base), dialect);
    ty.name = name;
    if let Some(inner) = args {
        if ty.name == "enum" || ty.name == "set" {
            ty.values = split_quoted_list(&inner);
        } else {
            ty.args = inner
                .split(',')
                .filter_map(|a| a.trim().parse::<u64>().ok())
                .collect();
        }
    }
    (ty, serial)
}

/// A type name as the server compares it: quotes removed (PostgreSQL: `"serial"` is
/// `serial`; a quoted part keeps its case, so `"SERIAL"` is not), unquoted parts
/// lower-cased, and the `pg_catalog.` qualifier of built-in types dropped.
fn type_words(base: &str) -> String {
    let mut out = String::with_capacity(base.len());
    let mut chars = base.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii() && c != '"' && c != '`' {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        if c != '"' && c != '`' {
            out.extend(c.to_lowercase());
            continue;
        }
        while let Some(q) = chars.next() {
            if q == c {
                if chars.peek() == Some(&c) {
                    chars.next();
                    out.push(c);
                } else {
                    break;
                }
            } else {
                out.push(q);
            }
        }
    }
    match out.trim_start().strip_prefix("pg_catalog.") {
        Some(rest) => rest.to_owned(),
        None => out,
    }
}

/// The first place `needle` (ASCII, lower-case) is in `haystack`, ignoring ASCII case.
fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (haystack.as_bytes(), needle.as_bytes());
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Splits `'a', 'b''c'` into `["a", "b'c"]`.
fn split_quoted_list(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    value.push('\'');
                } else {
                    break;
                }
            } else if c == '\\' {
                if let Some(n) = chars.next() {
                    value.push(n);
                }
            } else {
                value.push(c);
            }
        }
        out.push(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_type_spellings() {
        let t = parse_type("CHARACTER VARYING(50)");
        assert_eq!((t.name.as_str(), t.args.as_slice()), ("varchar", &[50][..]));
        let n = parse_type("NUMERIC(10, 2)");
        assert_eq!(
            (n.name.as_str(), n.args.as_slice()),
            ("numeric", &[10, 2][..])
        );
        assert!(parse_type("text[]").array);
        assert_eq!(parse_type("int4").name, "integer");
        let e = parse_type("ENUM('a','b''c')");
        assert_eq!(e.values, vec!["a".to_owned(), "b'c".to_owned()]);
        let v = parse_type("varchar(20) CHARACTER SET latin1");
        assert_eq!(v.charset.as_deref(), Some("latin1"));
        assert_eq!(parse_type("INT UNSIGNED").name, "integer unsigned");
        let (t, serial) = parse_column_type("bigserial", Dialect::Postgres);
        assert_eq!((t.name.as_str(), serial), ("bigint", true));
        let (t, serial) = parse_column_type("SERIAL", Dialect::Mysql);
        assert_eq!((t.name.as_str(), serial), ("bigint unsigned", true));
        assert_eq!(parse_type("timestamp with time zone").name, "timestamptz");
        let (t, serial) = parse_column_type("\"bigserial\"", Dialect::Postgres);
        assert_eq!((t.name.as_str(), serial), ("bigint", true));
        assert_eq!(parse_type("\"varchar\"(20)").args, vec![20]);
        assert_eq!(parse_type("pg_catalog.\"int8\"").name, "bigint");
        // A quoted name keeps its case: `"SERIAL"` is a type of that name, not serial.
        assert!(!parse_column_type("\"SERIAL\"", Dialect::Postgres).1);
    }

    #[test]
    fn type_words_are_folded_whatever_the_blanks() {
        let fold = |t: &str| fold_type_name(t, Dialect::Mysql);
        assert_eq!(fold("int unsigned"), ("integer unsigned".to_owned(), false));
        assert_eq!(fold("  int\t zerofill  "), ("integer".to_owned(), false));
        assert_eq!(
            fold("double  precision"),
            ("double precision".to_owned(), false)
        );
        assert_eq!(
            fold(" timestamp with time zone"),
            ("timestamptz".to_owned(), false)
        );
        assert_eq!(fold("bigint\u{a0}x"), ("bigint x".to_owned(), false));
        assert_eq!(fold("   "), (String::new(), false));
        assert_eq!(fold("serial"), ("bigint unsigned".to_owned(), true));
        assert!(single_spaced("a b") && single_spaced("") && single_spaced("varchar"));
        assert!(!single_spaced("a  b") && !single_spaced(" a") && !single_spaced("a\tb"));
        assert_eq!(find_ci("Text COLLATE \"C\"", " collate "), Some(4));
        assert_eq!(
            find_ci("VARCHAR(5) CHARACTER SET latin1", " character set "),
            Some(10)
        );
        assert_eq!(find_ci("é ARRAY", " array"), Some(2));
        assert_eq!(find_ci("int", " array"), None);
    }
}
