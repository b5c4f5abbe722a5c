//! SQL text helpers shared by the rewrites: identifiers, the lock timeout line, object
//! names derived from a table and column, and whether a cast can fail.

use crate::classify::op::{Name, SqlType};
use crate::dialect::Dialect;

/// An identifier as it must be written: bare when it is a plain lower-case name, quoted
/// otherwise (`"Order"`, `` `order date` ``). Each part of a qualified name separately.
pub fn ident(name: &str, dialect: Dialect) -> String {
    name.split('.')
        .map(|part| {
            let plain = part
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !RESERVED.contains(&part);
            if plain {
                part.to_owned()
            } else {
                match dialect {
                    Dialect::Postgres => format!("\"{}\"", part.replace('"', "\"\"")),
                    Dialect::Mysql => format!("`{}`", part.replace('`', "``")),
                }
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Words that must be quoted as identifiers in either engine (the common ones).
const RESERVED: &[&str] = &[
    "all",
    "and",
    "as",
    "by",
    "check",
    "column",
    "constraint",
    "create",
    "default",
    "desc",
    "distinct",
    "from",
    "group",
    "in",
    "index",
    "key",
    "limit",
    "not",
    "null",
    "or",
    "order",
    "primary",
    "references",
    "select",
    "table",
    "to",
    "union",
    "unique",
    "user",
    "where",
    "with",
];

pub fn id(name: &Name, dialect: Dialect) -> String {
    ident(name.as_str(), dialect)
}

/// The first statement of every DDL step: a short lock wait.
pub fn lock_timeout(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "SET lock_timeout = '2s';\n",
        Dialect::Mysql => "SET SESSION lock_wait_timeout = 5;\n",
    }
}

/// A name for an object derived from a table and a column (`users_email_address_sync`),
/// within the engines' 63 / 64 character limits. Qualified tables keep their schema.
pub fn derived(table: &Name, column: &str, suffix: &str) -> (Option<String>, String) {
    let (schema, base) = match table.as_str().rsplit_once('.') {
        Some((s, t)) => (Some(s.to_owned()), t.to_owned()),
        None => (None, table.as_str().to_owned()),
    };
    let mut name = format!("{base}_{column}_{suffix}");
    if name.len() > 63 {
        let keep = 63 - suffix.len() - 1;
        name = format!("{}_{suffix}", &name[..keep]);
    }
    (schema, name)
}

/// A derived name written qualified by the table's schema.
pub fn derived_qualified(table: &Name, column: &str, suffix: &str, dialect: Dialect) -> String {
    match derived(table, column, suffix) {
        (Some(schema), name) => format!("{}.{}", ident(&schema, dialect), ident(&name, dialect)),
        (None, name) => ident(&name, dialect),
    }
}

/// A slug part from a name: `app.users` → `app_users`.
pub fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .to_lowercase()
}

/// Whether converting every value of `from` to `to` succeeds: widening integers, any
/// type to unbounded text, longer strings, more precise numbers, dates to timestamps.
/// A cast that can fail for some existing value (text → integer, narrowing) is not.
pub fn cast_cannot_fail(from: &SqlType, to: &SqlType, dialect: Dialect) -> bool {
    if crate::schema::widening::is_safe_widening(from, to, dialect) {
        return true;
    }
    if from.array != to.array {
        return false;
    }
    let f = from.name.as_str();
    let t = to.name.as_str();
    let unsigned = |n: &str| n.ends_with(" unsigned");
    let base = |n: &str| n.trim_end_matches(" unsigned").to_owned();
    let int_rank = |n: &str| match n {
        "tinyint" => Some(1),
        "smallint" => Some(2),
        "mediumint" => Some(3),
        "integer" => Some(4),
        "bigint" => Some(5),
        _ => None,
    };
    let text_like = |n: &str| matches!(n, "text" | "mediumtext" | "longtext");
    let string_len = |ty: &SqlType| match ty.name.as_str() {
        "varchar" | "char" => ty.args.first().copied().or(match dialect {
            Dialect::Postgres => Some(u64::MAX),
            Dialect::Mysql => None,
        }),
        n if text_like(n) => Some(u64::MAX),
        _ => None,
    };
    // Any value fits unbounded text.
    if text_like(t) || (t == "varchar" && to.args.is_empty() && dialect == Dialect::Postgres) {
        return true;
    }
    if let (Some(a), Some(b)) = (int_rank(&base(f)), int_rank(&base(t))) {
        return match (unsigned(f), unsigned(t)) {
            (false, false) | (true, true) => b >= a,
            (true, false) => b > a,
            (false, true) => false,
        };
    }
    if int_rank(&base(f)).is_some() {
        return match t {
            "numeric" => to.args.is_empty() || to.args[0] >= 20,
            "double precision" => true,
            "real" => int_rank(&base(f)).is_some_and(|r| r <= 3),
            "varchar" => to.args.first().is_some_and(|n| *n >= 20),
            _ => false,
        };
    }
    if let (Some(a), Some(b)) = (string_len(from), string_len(to)) {
        return b >= a;
    }
    matches!(
        (f, t),
        ("real", "double precision")
            | ("timestamp", "timestamptz")
            | ("date", "timestamp" | "timestamptz" | "datetime")
            | ("datetime", "timestamp")
    ) && (f != "datetime" || dialect == Dialect::Postgres)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::types::parse_column_type;

    fn ty(t: &str, d: Dialect) -> SqlType {
        parse_column_type(t, d).0
    }

    #[test]
    fn casts_that_cannot_fail() {
        let pg = Dialect::Postgres;
        let my = Dialect::Mysql;
        assert!(cast_cannot_fail(&ty("integer", pg), &ty("bigint", pg), pg));
        assert!(cast_cannot_fail(&ty("int", pg), &ty("text", pg), pg));
        assert!(cast_cannot_fail(
            &ty("varchar(20)", pg),
            &ty("varchar(40)", pg),
            pg
        ));
        assert!(cast_cannot_fail(&ty("INT", my), &ty("BIGINT", my), my));
        assert!(!cast_cannot_fail(&ty("text", pg), &ty("integer", pg), pg));
        assert!(!cast_cannot_fail(&ty("bigint", pg), &ty("integer", pg), pg));
        assert!(!cast_cannot_fail(
            &ty("varchar(40)", pg),
            &ty("varchar(20)", pg),
            pg
        ));
        assert!(!cast_cannot_fail(
            &ty("VARCHAR(40)", my),
            &ty("INT", my),
            my
        ));
        assert!(!cast_cannot_fail(
            &ty("BIGINT", my),
            &ty("INT UNSIGNED", my),
            my
        ));
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(ident("users", Dialect::Postgres), "users");
        assert_eq!(ident("Users", Dialect::Postgres), "\"Users\"");
        assert_eq!(ident("order", Dialect::Mysql), "`order`");
        assert_eq!(ident("app.users", Dialect::Postgres), "app.users");
    }
}
