//! Safe type widenings: type changes that keep the data and the table as they are.
//!
//! PostgreSQL: binary-coercible changes (varchar(n) → varchar(m > n), varchar → text,
//! numeric precision increase with the same scale). MySQL/MariaDB: VARCHAR growth within
//! the same length-prefix band for the column's charset, and ENUM/SET values appended.

use crate::classify::op::SqlType;
use crate::dialect::Dialect;

/// True when changing a column from `from` to `to` is a metadata-only widening.
pub fn is_safe_widening(from: &SqlType, to: &SqlType, dialect: Dialect) -> bool {
    if from.array != to.array {
        return false;
    }
    match dialect {
        Dialect::Postgres => postgres(from, to),
        Dialect::Mysql => mysql(from, to),
    }
}

fn postgres(from: &SqlType, to: &SqlType) -> bool {
    match (from.name.as_str(), to.name.as_str()) {
        (a, b) if a == b && from.args == to.args => true,
        ("varchar", "varchar") => match (from.args.first(), to.args.first()) {
            (Some(n), Some(m)) => m >= n,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => true,
        },
        ("varchar" | "char", "text") => from.name == "varchar",
        ("text", "varchar") => to.args.is_empty(),
        ("numeric", "numeric") => match (from.args.as_slice(), to.args.as_slice()) {
            (_, []) => true,
            ([p], [q]) => q >= p,
            ([p, s], [q, t]) => q >= p && s == t,
            ([p], [q, 0]) => q >= p,
            _ => false,
        },
        ("cidr", "inet") => true,
        // Not a widening: clients see another type. See `time_zone_only`.
        ("timestamp", "timestamptz") | ("timestamptz", "timestamp") => false,
        _ => false,
    }
}

/// PostgreSQL: `timestamp` ↔ `timestamptz` with the same precision. From PostgreSQL 12
/// the table is not rewritten when the session `TimeZone` is UTC (only the column's
/// indexes are rebuilt); see [`is_utc_time_zone`].
pub fn time_zone_only(from: &SqlType, to: &SqlType) -> bool {
    let names = (from.name.as_str(), to.name.as_str());
    matches!(
        names,
        ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
    ) && from.args == to.args
        && from.array == to.array
}

/// Is a `TimeZone` setting UTC (PostgreSQL skips the rewrite for a zone whose offset is
/// always 0)? Names compare case-insensitively, as the server looks them up.
pub fn is_utc_time_zone(value: &str) -> bool {
    let zone = value.trim().trim_matches(['\'', '"']).to_ascii_lowercase();
    let zone = zone.strip_prefix("etc/").unwrap_or(&zone);
    matches!(
        zone,
        "utc" | "uct" | "gmt" | "gmt0" | "gmt+0" | "gmt-0" | "zulu" | "universal" | "greenwich"
    )
}

/// Max bytes per character for a MySQL character set (utf8mb4 unless declared).
fn bytes_per_char(charset: Option<&str>) -> u64 {
    match charset.unwrap_or("utf8mb4") {
        "latin1" | "ascii" | "binary" | "latin2" | "cp1252" => 1,
        "ucs2" => 2,
        "utf8" | "utf8mb3" => 3,
        _ => 4,
    }
}

fn mysql(from: &SqlType, to: &SqlType) -> bool {
    match (from.name.as_str(), to.name.as_str()) {
        ("varchar", "varchar") => {
            if from.charset.is_some() && to.charset.is_some() && from.charset != to.charset {
                return false;
            }
            let charset = to.charset.as_deref().or(from.charset.as_deref());
            let bpc = bytes_per_char(charset);
            match (from.args.first(), to.args.first()) {
                (Some(&n), Some(&m)) => m >= n && ((n * bpc <= 255) == (m * bpc <= 255)),
                _ => false,
            }
        }
        ("enum", "enum") | ("set", "set") => {
            to.values.len() >= from.values.len()
                && to.values[..from.values.len()] == from.values[..]
                // Appending must not change the storage size (ENUM: 1 byte up to 255 values).
                && (from.values.len() > 255) == (to.values.len() > 255)
                && (from.name != "set" || (from.values.len().div_ceil(8) == to.values.len().div_ceil(8)))
        }
        (a, b) => a == b && from.args == to.args && from.charset == to.charset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::types::parse_type;

    fn widen(a: &str, b: &str, d: Dialect) -> bool {
        is_safe_widening(&parse_type(a), &parse_type(b), d)
    }

    #[test]
    fn postgres_widenings() {
        assert!(widen("varchar(50)", "varchar(100)", Dialect::Postgres));
        assert!(widen("varchar(50)", "text", Dialect::Postgres));
        assert!(widen("numeric(10,2)", "numeric(12,2)", Dialect::Postgres));
        assert!(!widen("varchar(100)", "varchar(50)", Dialect::Postgres));
        assert!(!widen("integer", "bigint", Dialect::Postgres));
        assert!(!widen("numeric(10,2)", "numeric(12,3)", Dialect::Postgres));
    }

    #[test]
    fn mysql_widenings() {
        assert!(widen("varchar(40)", "varchar(60)", Dialect::Mysql));
        assert!(!widen("varchar(60)", "varchar(70)", Dialect::Mysql));
        assert!(widen(
            "varchar(100) character set latin1",
            "varchar(200) character set latin1",
            Dialect::Mysql
        ));
        assert!(!widen(
            "varchar(200) character set latin1",
            "varchar(300) character set latin1",
            Dialect::Mysql
        ));
        assert!(widen("enum('a','b')", "enum('a','b','c')", Dialect::Mysql));
        assert!(!widen("enum('a','b')", "enum('b','a','c')", Dialect::Mysql));
        assert!(!widen("int", "bigint", Dialect::Mysql));
    }
}
