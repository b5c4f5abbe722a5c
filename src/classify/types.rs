//! Type names and default expressions: normalisation shared by the AST classifier and
//! the token fallback.
//!
//! Owns the alias table for type names and the lists of stable and volatile functions
//! (sqlparser keeps neither). Pure functions of text.

use super::op::{DefaultKind, SqlType};

/// Functions evaluated once per statement: a default built from them does not rewrite
/// a PostgreSQL table (11+).
pub const STABLE_FUNCTIONS: &[&str] = &[
    "now",
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

/// Folds a type name's spelling to one canonical name.
fn canonical_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let folded = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let canonical = match folded.as_str() {
        "int" | "int4" | "integer" | "signed" | "signed integer" => "integer",
        "int8" | "bigint" | "signed bigint" => "bigint",
        "int2" | "smallint" => "smallint",
        "character varying" | "varchar" | "nvarchar" | "national varchar" => "varchar",
        "character" | "char" | "bpchar" | "nchar" | "national char" => "char",
        "bool" | "boolean" => "boolean",
        "decimal" | "numeric" | "dec" => "numeric",
        "float8" | "double precision" | "double" => "double precision",
        "float4" | "real" => "real",
        "timestamp without time zone" | "timestamp" => "timestamp",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "time without time zone" | "time" => "time",
        "time with time zone" | "timetz" => "timetz",
        "serial4" | "serial" => "serial",
        "serial8" | "bigserial" => "bigserial",
        "serial2" | "smallserial" => "smallserial",
        other => other,
    };
    canonical.to_owned()
}

/// Parses a type as written (`character varying(50)`, `NUMERIC(10, 2)`, `text[]`,
/// `ENUM('a','b')`, `varchar(20) character set latin1`) into a normalised [`SqlType`].
pub fn parse_type(text: &str) -> SqlType {
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
            let base = format!("{} {}", &rest[..open], after);
            (base, Some(inner.to_owned()))
        }
        None => (rest.to_owned(), None),
    };
    let base = base
        .split_whitespace()
        .filter(|w| !w.eq_ignore_ascii_case("unsigned") && !w.eq_ignore_ascii_case("zerofill"))
        .collect::<Vec<_>>()
        .join(" ");
    ty.name = canonical_name(&base);
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
    ty
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .to_ascii_lowercase()
        .find(&needle.to_ascii_lowercase())
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

/// Classifies a default expression from its text, as the token fallback sees it.
pub fn default_from_text(text: &str) -> DefaultKind {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let bare = lower.trim_start_matches('(').trim_end_matches(')').trim();
    if bare.is_empty() {
        return DefaultKind::Expression(t.to_owned());
    }
    // Function calls anywhere in the expression decide first.
    let mut volatile = None;
    let mut stable = false;
    let mut unknown_call = false;
    for (i, _) in bare.match_indices('(') {
        let head = bare[..i].trim_end();
        let name_start = head
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .map(|p| p + 1)
            .unwrap_or(0);
        let name = &head[name_start..];
        if name.is_empty() {
            continue;
        }
        match function_kind(name) {
            Some(true) => volatile = Some(t.to_owned()),
            Some(false) => stable = true,
            None => unknown_call = true,
        }
    }
    if let Some(v) = volatile {
        return DefaultKind::Volatile(v);
    }
    let first = bare
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    if STABLE_FUNCTIONS.contains(&first) {
        return DefaultKind::Stable;
    }
    if unknown_call {
        return DefaultKind::Expression(t.to_owned());
    }
    if stable {
        return DefaultKind::Stable;
    }
    let literal_start = bare.starts_with('\'')
        || bare.starts_with("e'")
        || bare.starts_with("b'")
        || bare.starts_with("x'")
        || bare.starts_with('-')
        || bare.starts_with('+')
        || bare.starts_with(|c: char| c.is_ascii_digit())
        || matches!(first, "true" | "false" | "null" | "array");
    if literal_start {
        DefaultKind::Constant
    } else {
        DefaultKind::Expression(t.to_owned())
    }
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
        assert_eq!(parse_type("INT UNSIGNED").name, "integer");
        assert_eq!(parse_type("timestamp with time zone").name, "timestamptz");
    }

    #[test]
    fn classifies_default_text() {
        assert_eq!(default_from_text("0"), DefaultKind::Constant);
        assert_eq!(default_from_text("'x'::text"), DefaultKind::Constant);
        assert_eq!(default_from_text("now()"), DefaultKind::Stable);
        assert_eq!(default_from_text("CURRENT_TIMESTAMP"), DefaultKind::Stable);
        assert!(matches!(
            default_from_text("gen_random_uuid()"),
            DefaultKind::Volatile(_)
        ));
        assert!(matches!(
            default_from_text("nextval('s')"),
            DefaultKind::Volatile(_)
        ));
        assert!(matches!(
            default_from_text("lower(name)"),
            DefaultKind::Expression(_)
        ));
    }
}
