//! SQL dialects and engine versions.
//!
//! Owns the `--dialect` / `--engine-version` vocabulary and the version comparisons the
//! rules ask about ("is this PostgreSQL older than 11?"). Knows nothing of files or rules.

use std::fmt;
use std::str::FromStr;

/// The SQL dialect a migration is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    Mysql,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
        }
    }

    /// The engine version assumed when none is given: the current major release.
    pub fn default_version(self) -> EngineVersion {
        match self {
            Dialect::Postgres => EngineVersion {
                engine: Engine::Postgres,
                major: 18,
                minor: 0,
                patch: None,
            },
            Dialect::Mysql => EngineVersion {
                engine: Engine::Mysql,
                major: 8,
                minor: 4,
                patch: None,
            },
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::Mysql),
            other => Err(format!(
                "unknown dialect `{other}` (expected `postgres` or `mysql`)"
            )),
        }
    }
}

/// The database engine behind a dialect. MariaDB speaks the MySQL dialect but differs in
/// which ALTERs it can do in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    Postgres,
    Mysql,
    Mariadb,
}

/// An engine and its version, e.g. PostgreSQL 16, MySQL 8.0, MariaDB 10.11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EngineVersion {
    pub engine: Engine,
    pub major: u32,
    pub minor: u32,
    /// The patch release when given (`8.0.28`); `None` means the newest of the series.
    pub patch: Option<u32>,
}

impl EngineVersion {
    /// Parses `16`, `10`, `8.0`, `mysql-8.0`, `mariadb-10.11`, `postgres-12` in the context
    /// of a dialect (a bare number belongs to the dialect's engine).
    pub fn parse(text: &str, dialect: Dialect) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        let (engine, rest) = if let Some(rest) = lower.strip_prefix("mariadb") {
            (Engine::Mariadb, rest)
        } else if let Some(rest) = lower.strip_prefix("mysql") {
            (Engine::Mysql, rest)
        } else if let Some(rest) = lower
            .strip_prefix("postgresql")
            .or_else(|| lower.strip_prefix("postgres"))
            .or_else(|| lower.strip_prefix("pg"))
        {
            (Engine::Postgres, rest)
        } else {
            (
                match dialect {
                    Dialect::Postgres => Engine::Postgres,
                    Dialect::Mysql => Engine::Mysql,
                },
                lower.as_str(),
            )
        };
        let rest = rest.trim_start_matches(['-', ' ', '@', '_']);
        let mut parts = rest.split('.');
        let bad = || {
            format!("invalid engine version `{text}` (expected e.g. `16`, `8.0`, `mariadb-10.11`)")
        };
        let major: u32 = parts
            .next()
            .filter(|p| !p.is_empty())
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad)?;
        let minor: u32 = match parts.next() {
            Some(p) => p.parse().map_err(|_| bad())?,
            None => 0,
        };
        let patch: Option<u32> = match parts.next() {
            Some(p) => Some(p.parse().map_err(|_| bad())?),
            None => None,
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        let engine_dialect = match engine {
            Engine::Postgres => Dialect::Postgres,
            Engine::Mysql | Engine::Mariadb => Dialect::Mysql,
        };
        if engine_dialect != dialect {
            return Err(format!(
                "engine version `{text}` does not belong to the {dialect} dialect"
            ));
        }
        Ok(EngineVersion {
            engine,
            major,
            minor,
            patch,
        })
    }

    pub fn is_postgres(&self) -> bool {
        self.engine == Engine::Postgres
    }

    pub fn is_mariadb(&self) -> bool {
        self.engine == Engine::Mariadb
    }

    /// True when this is at least `major.minor` of the same engine.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// True when this is at least `major.minor.patch`; a version given without a patch
    /// (`8.0`) is taken as the newest release of its series.
    pub fn at_least_patch(&self, major: u32, minor: u32, patch: u32) -> bool {
        match (self.major, self.minor).cmp(&(major, minor)) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => self.patch.is_none_or(|p| p >= patch),
        }
    }
}

impl fmt::Display for EngineVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.engine {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MySQL",
            Engine::Mariadb => "MariaDB",
        };
        match self.patch {
            Some(patch) => write!(f, "{name} {}.{}.{patch}", self.major, self.minor),
            None if self.engine == Engine::Postgres && self.minor == 0 => {
                write!(f, "{name} {}", self.major)
            }
            None => write!(f, "{name} {}.{}", self.major, self.minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        let pg = EngineVersion::parse("10", Dialect::Postgres).unwrap();
        assert_eq!((pg.engine, pg.major), (Engine::Postgres, 10));
        let my = EngineVersion::parse("8.0", Dialect::Mysql).unwrap();
        assert_eq!((my.engine, my.major, my.minor), (Engine::Mysql, 8, 0));
        let maria = EngineVersion::parse("mariadb-10.11", Dialect::Mysql).unwrap();
        assert_eq!((maria.engine, maria.minor), (Engine::Mariadb, 11));
        assert!(EngineVersion::parse("mariadb-10.11", Dialect::Postgres).is_err());
        assert!(EngineVersion::parse("abc", Dialect::Postgres).is_err());
        assert!(maria.at_least(10, 4) && !maria.at_least(11, 0));
        let old = EngineVersion::parse("8.0.28", Dialect::Mysql).unwrap();
        assert!(!old.at_least_patch(8, 0, 29) && old.at_least_patch(8, 0, 28));
        assert!(my.at_least_patch(8, 0, 29), "8.0 means the newest 8.0");
        assert_eq!(old.to_string(), "MySQL 8.0.28");
    }
}
