//! MySQL and MariaDB through `mysql_async`, TLS through rustls.
//!
//! Owns connecting (`ssl-mode`, the `program_name` connection attribute), error
//! classification, the advisory lock (`GET_LOCK`), and the `information_schema`
//! introspection behind [`Backend::snapshot`]. It knows nothing of migrations and prints
//! nothing; every message it builds goes through [`redact`].
//!
//! One [`mysql_async::Conn`], never a pool: session state (advisory locks, `SET SESSION`
//! variables, an open transaction) must stay on the connection the runner talks to.
//!
//! URL parameters read here:
//! - `ssl-mode` (or `sslmode`): `DISABLED`, `PREFERRED` (the default), `REQUIRED`,
//!   `VERIFY_CA`, `VERIFY_IDENTITY`. `PREFERRED` does **not** try TLS first: it connects
//!   in plain text, exactly like `DISABLED`. `REQUIRED` encrypts without checking the
//!   certificate (unless `ssl-ca` is given, then it checks the CA like `VERIFY_CA`, as the
//!   `mysql` client does); `VERIFY_CA` checks the chain but not the host name;
//!   `VERIFY_IDENTITY` checks both. The PostgreSQL spellings `disable`, `prefer`,
//!   `require`, `verify-ca` and `verify-full` are accepted too.
//! - `ssl-ca` (or `ssl_ca`, `sslrootcert`): a PEM file of the only CA to trust; without
//!   it, the verifying modes trust the built-in web PKI roots.
//! - `connect_timeout`: seconds to wait for the connection (default: `[runner]
//!   connect-timeout`, else 10; 0: no limit).

use super::backend::{truthy, Backend, DbError, DbErrorKind, Row, Snapshot, SnapshotItem, Value};
use super::url::{redact, DbUrl};
use crate::dialect::Dialect;
use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, SslOpts};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

/// The default port when the URL names none.
const DEFAULT_PORT: u16 = 3306;
/// MySQL rejects user-lock names longer than this (error 3057).
const MAX_LOCK_NAME: usize = 64;

/// Server error numbers the runner treats specially.
mod code {
    /// ER_LOCK_WAIT_TIMEOUT: row locks (`innodb_lock_wait_timeout`) and metadata locks
    /// (`lock_wait_timeout`) alike.
    pub const LOCK_WAIT_TIMEOUT: u16 = 1205;
    /// ER_SERVER_SHUTDOWN.
    pub const SERVER_SHUTDOWN: u16 = 1053;
    /// ER_CONNECTION_KILLED (MariaDB).
    pub const CONNECTION_KILLED: u16 = 1927;
    /// CR_SERVER_GONE_ERROR.
    pub const SERVER_GONE: u16 = 2006;
    /// CR_SERVER_LOST.
    pub const SERVER_LOST: u16 = 2013;
    /// ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8.0.24+: idle session closed by the server).
    pub const INTERACTION_TIMEOUT: u16 = 4031;
}

/// A MySQL or MariaDB session.
pub struct MyBackend {
    conn: Conn,
    engine: String,
    mariadb: bool,
    /// The URL and program name it was opened with ([`Backend::open_another`]).
    url: DbUrl,
    application: String,
}

/// How the URL asks for TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    /// `DISABLED` and `PREFERRED`: plain text.
    Plain,
    /// `REQUIRED`: encrypted, certificate not checked.
    Required,
    /// `VERIFY_CA`: chain checked, host name not.
    VerifyCa,
    /// `VERIFY_IDENTITY`: chain and host name checked.
    VerifyIdentity,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode, DbError> {
        match text.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "" | "DISABLED" | "DISABLE" | "PREFERRED" | "PREFER" | "ALLOW" => Ok(SslMode::Plain),
            "REQUIRED" | "REQUIRE" => Ok(SslMode::Required),
            "VERIFY_CA" => Ok(SslMode::VerifyCa),
            "VERIFY_IDENTITY" | "VERIFY_FULL" => Ok(SslMode::VerifyIdentity),
            other => Err(DbError::other(format!(
                "unknown ssl-mode `{other}`: use DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY"
            ))),
        }
    }
}

/// The TLS options for a URL, `None` for a plain-text connection.
fn ssl_opts(url: &DbUrl) -> Result<Option<SslOpts>, DbError> {
    let mode = match url.param("ssl-mode").or_else(|| url.param("sslmode")) {
        Some(m) => SslMode::parse(&m)?,
        None => SslMode::Plain,
    };
    let ca = ["ssl-ca", "ssl_ca", "sslrootcert"]
        .iter()
        .find_map(|k| url.param(k))
        .filter(|p| !p.is_empty());
    let mode = match (mode, &ca) {
        // The `mysql` client's rule: REQUIRED with a CA file verifies against it.
        (SslMode::Required, Some(_)) => SslMode::VerifyCa,
        (m, _) => m,
    };
    let mut opts = match mode {
        SslMode::Plain => return Ok(None),
        SslMode::Required => SslOpts::default().with_danger_accept_invalid_certs(true),
        SslMode::VerifyCa => SslOpts::default().with_danger_skip_domain_validation(true),
        SslMode::VerifyIdentity => SslOpts::default(),
    };
    if let Some(ca) = ca {
        opts = opts
            .with_root_certs(vec![PathBuf::from(ca).into()])
            .with_disable_built_in_roots(true);
    }
    Ok(Some(opts))
}

impl MyBackend {
    /// Connects with the `program_name` connection attribute set to `application`.
    ///
    /// The options are built from the URL's parts (host, port, user, password, database),
    /// not by handing the URL to the driver, so `mariadb://` works and only the
    /// parameters documented in the module header take effect. Affected-row counts are
    /// rows *matched* (`CLIENT_FOUND_ROWS`), as on PostgreSQL, not rows changed.
    pub async fn connect(url: &DbUrl, application: &str) -> Result<MyBackend, DbError> {
        let user = url.user();
        let timeout = url.connect_timeout().map_err(DbError::other)?;
        let builder = OptsBuilder::default()
            .ip_or_hostname(url.host())
            .tcp_port(url.port().unwrap_or(DEFAULT_PORT))
            .user((!user.is_empty()).then_some(user))
            .pass(url.password())
            .db_name(url.database())
            // Stay on the TCP address the URL names instead of switching to a local socket.
            .prefer_socket(false)
            .client_found_rows(true)
            .connect_attribute("program_name", application)
            .ssl_opts(ssl_opts(url)?);
        let connecting = async {
            Conn::new(builder).await.map_err(|e| {
                let mut err = map_err(e);
                err.message = redact(&format!(
                    "cannot connect to {}: {}",
                    url.redacted(),
                    err.message
                ));
                err
            })
        };
        let conn = match timeout {
            None => connecting.await?,
            Some(t) => tokio::time::timeout(t, connecting)
                .await
                .unwrap_or_else(|_| Err(super::connect_timed_out(url, t)))?,
        };
        let mut backend = MyBackend {
            conn,
            engine: String::new(),
            mariadb: false,
            url: url.clone(),
            application: application.to_owned(),
        };
        let version = backend
            .scalar("SELECT VERSION()", &[])
            .await?
            .unwrap_or_default();
        let (engine, mariadb) = engine_name(&version);
        backend.engine = engine;
        backend.mariadb = mariadb;
        Ok(backend)
    }

    /// Whether the server is MariaDB rather than MySQL.
    pub fn is_mariadb(&self) -> bool {
        self.mariadb
    }

    /// The server's id for this session (`CONNECTION_ID()`).
    pub fn connection_id(&self) -> u32 {
        self.conn.id()
    }

    /// Ends the session politely (`COM_QUIT`). Dropping the backend also closes it, but
    /// only once the async runtime gets to it; call this when the server must see the
    /// session gone (its advisory and metadata locks released) before going on.
    pub async fn close(self) -> Result<(), DbError> {
        self.conn.disconnect().await.map_err(map_err)
    }

    /// The first column of the first row, if any.
    async fn scalar(&mut self, sql: &str, params: &[Value]) -> Result<Option<String>, DbError> {
        let rows = self.query(sql, params).await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    /// The column names of an `information_schema` table, upper-cased, to tell server
    /// versions apart by what they have rather than by version numbers.
    async fn info_schema_columns(&mut self, table: &str) -> Result<HashSet<String>, DbError> {
        let rows = self
            .query(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = ?",
                &[Value::Text(table.to_owned())],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .map(|c| c.to_ascii_uppercase())
            .collect())
    }
}

/// `mariadb-10.11.19` / `mysql-8.0.36` from `SELECT VERSION()`, and whether it is MariaDB.
fn engine_name(version: &str) -> (String, bool) {
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    // MariaDB used to prefix its version with `5.5.5-` for old clients.
    let v = if mariadb {
        version.strip_prefix("5.5.5-").unwrap_or(version)
    } else {
        version
    };
    let number: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let number = number.trim_end_matches('.');
    let number = if number.is_empty() { v } else { number };
    let prefix = if mariadb { "mariadb" } else { "mysql" };
    (format!("{prefix}-{number}"), mariadb)
}

/// Classifies a driver error; the message is redacted.
fn map_err(e: mysql_async::Error) -> DbError {
    use mysql_async::{DriverError, Error};
    match e {
        Error::Server(s) => {
            let kind = match s.code {
                code::LOCK_WAIT_TIMEOUT => DbErrorKind::LockTimeout,
                code::SERVER_GONE
                | code::SERVER_LOST
                | code::CONNECTION_KILLED
                | code::SERVER_SHUTDOWN
                | code::INTERACTION_TIMEOUT => DbErrorKind::Connection,
                _ => DbErrorKind::Other,
            };
            DbError {
                kind,
                code: Some(s.code.to_string()),
                message: redact(&s.message),
            }
        }
        Error::Io(io) => {
            let message = match io {
                mysql_async::IoError::Io(e) => format!("network error: {e}"),
                mysql_async::IoError::Tls(e) => format!("TLS error: {e}"),
            };
            DbError {
                kind: DbErrorKind::Connection,
                code: None,
                message: redact(&message),
            }
        }
        Error::Driver(d) => {
            let kind = match d {
                DriverError::ConnectionClosed
                | DriverError::PacketOutOfOrder
                | DriverError::UnexpectedPacket { .. }
                | DriverError::PacketTooLarge
                | DriverError::BadCompressedPacketHeader
                | DriverError::CantParseServerVersion { .. }
                | DriverError::NoClientSslFlagFromServer => DbErrorKind::Connection,
                _ => DbErrorKind::Other,
            };
            let mut message = d.to_string();
            if matches!(d, DriverError::NoClientSslFlagFromServer) {
                message.push_str(" (the server does not offer TLS; ssl-mode asks for it)");
            }
            DbError {
                kind,
                code: None,
                message: redact(&message),
            }
        }
        Error::Other(o) => DbError {
            kind: DbErrorKind::Connection,
            code: None,
            message: redact(&o.to_string()),
        },
        Error::Url(u) => DbError::other(redact(&u.to_string())),
    }
}

fn to_mysql(params: &[Value]) -> mysql_async::Params {
    if params.is_empty() {
        return mysql_async::Params::Empty;
    }
    mysql_async::Params::Positional(
        params
            .iter()
            .map(|p| match p {
                Value::Null => mysql_async::Value::NULL,
                Value::Int(i) => mysql_async::Value::Int(*i),
                Value::Text(s) => mysql_async::Value::Bytes(s.as_bytes().to_vec()),
                Value::Bool(b) => mysql_async::Value::Int(i64::from(*b)),
            })
            .collect(),
    )
}

fn to_row(row: &mysql_async::Row) -> Row {
    let columns = row.columns_ref();
    (0..row.len())
        .map(|i| row.as_ref(i).and_then(|v| cell(v, columns.get(i))))
        .collect()
}

/// One value as text, the way the text protocol would send it: numbers in decimal,
/// `DATE` columns as `YYYY-MM-DD`, other dates as `YYYY-MM-DD HH:MM:SS[.ffffff]`, `TIME`
/// as `[-]HH:MM:SS[.ffffff]`, with as many fraction digits as the column declares.
/// Bytes that are not UTF-8 are decoded lossily.
fn cell(value: &mysql_async::Value, column: Option<&mysql_async::Column>) -> Option<String> {
    use mysql_async::Value as V;
    let decimals = column.map(|c| c.decimals()).unwrap_or(0);
    Some(match value {
        V::NULL => return None,
        V::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        V::Int(i) => i.to_string(),
        V::UInt(u) => u.to_string(),
        V::Float(f) => f.to_string(),
        V::Double(d) => d.to_string(),
        V::Date(y, mo, d, h, mi, s, us) => {
            let date_only = column.is_some_and(|c| {
                matches!(
                    c.column_type(),
                    ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE
                )
            });
            if date_only {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!(
                    "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{}",
                    fraction(*us, decimals)
                )
            }
        }
        V::Time(negative, days, h, mi, s, us) => {
            let hours = u64::from(*days) * 24 + u64::from(*h);
            let sign = if *negative { "-" } else { "" };
            format!("{sign}{hours:02}:{mi:02}:{s:02}{}", fraction(*us, decimals))
        }
    })
}

/// `.ffffff` cut to the column's declared digits; all six when the column declares none
/// that fit (an expression) and the value has a fraction.
fn fraction(micros: u32, decimals: u8) -> String {
    let digits = match decimals {
        0 => 0,
        d @ 1..=6 => u32::from(d),
        _ if micros != 0 => 6,
        _ => 0,
    };
    if digits == 0 {
        return String::new();
    }
    let scaled = micros / 10u32.pow(6 - digits);
    format!(".{scaled:0width$}", width = digits as usize)
}

/// The name given to `GET_LOCK`: the name itself when MySQL accepts it, else its first
/// 23 characters, `#`, and 40 hex digits of its SHA-256 (64 characters in all).
fn lock_name(name: &str) -> String {
    if name.chars().count() <= MAX_LOCK_NAME {
        return name.to_owned();
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    let head: String = name.chars().take(23).collect();
    format!("{head}#{hex}")
}

fn text(cell: &Option<String>) -> &str {
    cell.as_deref().unwrap_or("")
}

/// Every run of whitespace as one space, so a definition fits on one line.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A string literal written the way MariaDB shows defaults: `'` doubled, backslashes and
/// control characters escaped (so it stays on one line).
fn sql_string(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
        .replace('\'', "''");
    format!("'{escaped}'")
}

/// MySQL's `CURRENT_TIMESTAMP[(n)]` in MariaDB's spelling, `current_timestamp([n])`.
fn normalise_now(s: &str) -> String {
    const WORD: &str = "CURRENT_TIMESTAMP";
    let mut out = String::with_capacity(s.len() + 2);
    let mut rest = s;
    while let Some(at) = rest.find(WORD) {
        out.push_str(&rest[..at]);
        out.push_str("current_timestamp");
        rest = &rest[at + WORD.len()..];
        if !rest.starts_with('(') {
            out.push_str("()");
        }
    }
    out.push_str(rest);
    out
}

const NUMERIC_TYPES: &[&str] = &[
    "tinyint",
    "smallint",
    "mediumint",
    "int",
    "integer",
    "bigint",
    "decimal",
    "numeric",
    "float",
    "double",
    "real",
    "bit",
    "year",
    "bool",
    "boolean",
];

/// A column default as an SQL expression, `None` when there is none or it is `NULL`.
///
/// MariaDB already shows an expression (`'it''s'`, `'a\\nb'`, `0`, `current_timestamp()`), and
/// shows `NULL` as the text `NULL` for a nullable column without a default (a string
/// default `'NULL'` keeps its quotes). MySQL shows a literal's bare value and flags an
/// expression with `DEFAULT_GENERATED`; its literals are quoted here so both read alike.
/// `DEFAULT NULL` and no default are the same thing and give no `default` at all.
fn normalise_default(
    mariadb: bool,
    default: Option<&str>,
    data_type: &str,
    extra: &str,
) -> Option<String> {
    let default = default?;
    if mariadb {
        if default == "NULL" {
            return None;
        }
        return Some(default.to_owned());
    }
    let expression = extra.contains("DEFAULT_GENERATED")
        || default
            .strip_prefix("CURRENT_TIMESTAMP")
            .is_some_and(|r| r.is_empty() || r.starts_with('('));
    if expression {
        Some(normalise_now(default))
    } else if NUMERIC_TYPES.contains(&data_type.to_ascii_lowercase().as_str()) {
        Some(default.to_owned())
    } else {
        Some(sql_string(default))
    }
}

/// `EXTRA` without what the detail already says (`DEFAULT_GENERATED`, the generation
/// kind), lower-cased, `CURRENT_TIMESTAMP` spelled as MariaDB does.
fn normalise_extra(extra: &str) -> String {
    let cleaned = extra
        .replace("DEFAULT_GENERATED", "")
        .replace("VIRTUAL GENERATED", "")
        .replace("STORED GENERATED", "")
        .replace("PERSISTENT GENERATED", "");
    collapse(&normalise_now(&cleaned)).to_lowercase()
}

impl MyBackend {
    /// Base tables (and MariaDB sequences) with their item, and each table's collation.
    async fn snapshot_tables(
        &mut self,
        db: &Value,
        excluded: &dyn Fn(&str) -> bool,
        items: &mut Vec<SnapshotItem>,
    ) -> Result<HashMap<String, String>, DbError> {
        let rows = self
            .query(
                "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION \
                 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
                std::slice::from_ref(db),
            )
            .await?;
        let mut tables = HashMap::new();
        for r in &rows {
            let [name, kind, engine, collation] = &r[..] else {
                continue;
            };
            let name = text(name);
            if excluded(name) {
                continue;
            }
            match text(kind) {
                "BASE TABLE" | "SYSTEM VERSIONED" => {
                    let mut detail = format!("engine={} collate={}", text(engine), text(collation));
                    if text(kind) == "SYSTEM VERSIONED" {
                        detail.push_str(" system versioned");
                    }
                    items.push(item("table", name, detail));
                    tables.insert(name.to_owned(), text(collation).to_owned());
                }
                "SEQUENCE" => items.push(item("sequence", name, String::new())),
                _ => {}
            }
        }
        Ok(tables)
    }

    async fn snapshot_columns(
        &mut self,
        db: &Value,
        tables: &HashMap<String, String>,
        items: &mut Vec<SnapshotItem>,
    ) -> Result<(), DbError> {
        let rows = self
            .query(
                "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, \
                 COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION, COLLATION_NAME \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?",
                std::slice::from_ref(db),
            )
            .await?;
        for r in &rows {
            let [table, column, column_type, data_type, nullable, default, extra, generation, collation] =
                &r[..]
            else {
                continue;
            };
            // Only base tables: a view's columns follow from its definition.
            let Some(table_collation) = tables.get(text(table)) else {
                continue;
            };
            let extra_raw = text(extra);
            let mut detail = text(column_type).to_owned();
            if text(nullable) == "NO" {
                detail.push_str(" not null");
            }
            let generation = text(generation).trim();
            if !generation.is_empty() {
                let stored = extra_raw.contains("STORED") || extra_raw.contains("PERSISTENT");
                detail.push_str(&format!(
                    " generated always as ({}) {}",
                    collapse(generation),
                    if stored { "stored" } else { "virtual" }
                ));
            } else if let Some(d) =
                normalise_default(self.mariadb, default.as_deref(), text(data_type), extra_raw)
            {
                detail.push_str(" default ");
                detail.push_str(&d);
            }
            let extra = normalise_extra(extra_raw);
            if !extra.is_empty() {
                detail.push(' ');
                detail.push_str(&extra);
            }
            if let Some(c) = collation.as_deref() {
                if c != table_collation {
                    detail.push_str(" collate ");
                    detail.push_str(c);
                }
            }
            items.push(item(
                "column",
                &format!("{}.{}", text(table), text(column)),
                detail,
            ));
        }
        Ok(())
    }

    async fn snapshot_indexes(
        &mut self,
        db: &Value,
        tables: &HashMap<String, String>,
        items: &mut Vec<SnapshotItem>,
    ) -> Result<(), DbError> {
        let have = self.info_schema_columns("STATISTICS").await?;
        let expression = if have.contains("EXPRESSION") {
            "EXPRESSION"
        } else {
            "NULL"
        };
        // MariaDB 10.6+: IGNORED = 'YES'; MySQL 8: IS_VISIBLE = 'NO'.
        let hidden = if have.contains("IGNORED") {
            "IGNORED = 'YES'"
        } else if have.contains("IS_VISIBLE") {
            "IS_VISIBLE = 'NO'"
        } else {
            "0"
        };
        let sql = format!(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE, SEQ_IN_INDEX, COLUMN_NAME, \
             SUB_PART, COLLATION, {expression}, {hidden} \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?"
        );
        let rows = self.query(&sql, std::slice::from_ref(db)).await?;
        // (table, index) → (unique, type, hidden, [(seq, part)])
        type Index = (bool, String, bool, Vec<(u32, String)>);
        let mut indexes: BTreeMap<(String, String), Index> = BTreeMap::new();
        for r in &rows {
            let [table, index, non_unique, kind, seq, column, sub_part, order, expr, hidden] =
                &r[..]
            else {
                continue;
            };
            if !tables.contains_key(text(table)) {
                continue;
            }
            let mut part = match column {
                Some(c) => c.clone(),
                None => format!("({})", collapse(text(expr))),
            };
            if let Some(n) = sub_part {
                part.push_str(&format!("({n})"));
            }
            if text(order) == "D" {
                part.push_str(" desc");
            }
            let entry = indexes
                .entry((text(table).to_owned(), text(index).to_owned()))
                .or_insert_with(|| {
                    (
                        text(non_unique) == "0",
                        text(kind).to_lowercase(),
                        truthy(hidden),
                        Vec::new(),
                    )
                });
            entry.3.push((text(seq).parse().unwrap_or(0), part));
        }
        for ((table, index), (unique, kind, hidden, mut parts)) in indexes {
            parts.sort();
            let columns: Vec<String> = parts.into_iter().map(|(_, p)| p).collect();
            let mut detail = String::new();
            if unique {
                detail.push_str("unique ");
            }
            detail.push_str(&format!("{kind} ({})", columns.join(", ")));
            if hidden {
                detail.push_str(" invisible");
            }
            items.push(item("index", &format!("{table}.{index}"), detail));
        }
        Ok(())
    }

    async fn snapshot_constraints(
        &mut self,
        db: &Value,
        db_name: &str,
        tables: &HashMap<String, String>,
        items: &mut Vec<SnapshotItem>,
    ) -> Result<(), DbError> {
        // Foreign keys, one row per column.
        let rows = self
            .query(
                "SELECT rc.TABLE_NAME, rc.CONSTRAINT_NAME, rc.UPDATE_RULE, rc.DELETE_RULE, \
                 k.ORDINAL_POSITION, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, \
                 k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME \
                 FROM information_schema.REFERENTIAL_CONSTRAINTS rc \
                 JOIN information_schema.KEY_COLUMN_USAGE k \
                   ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA \
                  AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME \
                  AND k.TABLE_NAME = rc.TABLE_NAME \
                  AND k.REFERENCED_TABLE_NAME IS NOT NULL \
                 WHERE rc.CONSTRAINT_SCHEMA = ?",
                std::slice::from_ref(db),
            )
            .await?;
        // (table, name) → (on update, on delete, referenced table, [(pos, col, ref col)])
        type ForeignKey = (String, String, String, Vec<(u32, String, String)>);
        let mut fks: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
        for r in &rows {
            let [table, name, on_update, on_delete, pos, column, ref_schema, ref_table, ref_column] =
                &r[..]
            else {
                continue;
            };
            if !tables.contains_key(text(table)) {
                continue;
            }
            let target = if text(ref_schema) == db_name || ref_schema.is_none() {
                text(ref_table).to_owned()
            } else {
                format!("{}.{}", text(ref_schema), text(ref_table))
            };
            let entry = fks
                .entry((text(table).to_owned(), text(name).to_owned()))
                .or_insert_with(|| {
                    (
                        text(on_update).to_owned(),
                        text(on_delete).to_owned(),
                        target,
                        Vec::new(),
                    )
                });
            entry.3.push((
                text(pos).parse().unwrap_or(0),
                text(column).to_owned(),
                text(ref_column).to_owned(),
            ));
        }
        for ((table, name), (on_update, on_delete, target, mut columns)) in fks {
            columns.sort();
            let from: Vec<&str> = columns.iter().map(|c| c.1.as_str()).collect();
            let to: Vec<&str> = columns.iter().map(|c| c.2.as_str()).collect();
            items.push(item(
                "constraint",
                &format!("{table}.{name}"),
                format!(
                    "foreign key ({}) references {target} ({}) on update {on_update} on delete {on_delete}",
                    from.join(", "),
                    to.join(", ")
                ),
            ));
        }

        // CHECK constraints: MariaDB 10.2+ names the table in CHECK_CONSTRAINTS (and a
        // column-level check is named after its column, so names repeat across tables);
        // MySQL 8.0.16+ needs TABLE_CONSTRAINTS for the table. Older servers have none.
        let have = self.info_schema_columns("CHECK_CONSTRAINTS").await?;
        if have.is_empty() {
            return Ok(());
        }
        let sql = if have.contains("TABLE_NAME") {
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, 'YES' \
             FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?"
                .to_owned()
        } else {
            let enforced = if self
                .info_schema_columns("TABLE_CONSTRAINTS")
                .await?
                .contains("ENFORCED")
            {
                "tc.ENFORCED"
            } else {
                "'YES'"
            };
            format!(
                "SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, {enforced} \
                 FROM information_schema.TABLE_CONSTRAINTS tc \
                 JOIN information_schema.CHECK_CONSTRAINTS cc \
                   ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA \
                  AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
                 WHERE tc.CONSTRAINT_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK'"
            )
        };
        let rows = self.query(&sql, std::slice::from_ref(db)).await?;
        for r in &rows {
            let [table, name, clause, enforced] = &r[..] else {
                continue;
            };
            if !tables.contains_key(text(table)) {
                continue;
            }
            let mut detail = format!("check ({})", collapse(text(clause)));
            if text(enforced) == "NO" {
                detail.push_str(" not enforced");
            }
            items.push(item(
                "constraint",
                &format!("{}.{}", text(table), text(name)),
                detail,
            ));
        }
        Ok(())
    }

    async fn snapshot_views(
        &mut self,
        db: &Value,
        db_name: &str,
        excluded: &dyn Fn(&str) -> bool,
        items: &mut Vec<SnapshotItem>,
    ) -> Result<(), DbError> {
        let rows = self
            .query(
                "SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, SECURITY_TYPE \
                 FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?",
                std::slice::from_ref(db),
            )
            .await?;
        let own_prefix = format!("`{}`.", db_name.replace('`', "``"));
        for r in &rows {
            let [name, definition, check, security] = &r[..] else {
                continue;
            };
            if excluded(text(name)) {
                continue;
            }
            let mut detail = collapse(&text(definition).replace(&own_prefix, ""));
            if !matches!(text(check), "" | "NONE") {
                detail.push_str(&format!(
                    " with {} check option",
                    text(check).to_lowercase()
                ));
            }
            if text(security) == "INVOKER" {
                detail.push_str(" sql security invoker");
            }
            items.push(item("view", text(name), detail));
        }
        Ok(())
    }

    async fn snapshot_routines(
        &mut self,
        db: &Value,
        items: &mut Vec<SnapshotItem>,
    ) -> Result<(), DbError> {
        let params = self
            .query(
                "SELECT ROUTINE_TYPE, SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, \
                 PARAMETER_NAME, DTD_IDENTIFIER \
                 FROM information_schema.PARAMETERS \
                 WHERE SPECIFIC_SCHEMA = ? AND ORDINAL_POSITION > 0",
                std::slice::from_ref(db),
            )
            .await?;
        let mut signatures: HashMap<(String, String), Vec<(u32, String)>> = HashMap::new();
        for r in &params {
            let [kind, name, pos, mode, param, dtd] = &r[..] else {
                continue;
            };
            let mut p = String::new();
            if let Some(m) = mode {
                p.push_str(&m.to_lowercase());
                p.push(' ');
            }
            p.push_str(&format!("{} {}", text(param), text(dtd)));
            signatures
                .entry((text(kind).to_owned(), text(name).to_owned()))
                .or_default()
                .push((text(pos).parse().unwrap_or(0), p));
        }
        let rows = self
            .query(
                "SELECT ROUTINE_TYPE, ROUTINE_NAME, DTD_IDENTIFIER, IS_DETERMINISTIC, \
                 SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_DEFINITION \
                 FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?",
                std::slice::from_ref(db),
            )
            .await?;
        for r in &rows {
            let [kind, name, returns, deterministic, access, security, body] = &r[..] else {
                continue;
            };
            let mut args = signatures
                .remove(&(text(kind).to_owned(), text(name).to_owned()))
                .unwrap_or_default();
            args.sort();
            let args: Vec<String> = args.into_iter().map(|(_, a)| a).collect();
            let mut detail = format!("({})", args.join(", "));
            if let Some(t) = returns.as_deref().filter(|t| !t.is_empty()) {
                detail.push_str(&format!(" returns {t}"));
            }
            if text(deterministic) == "YES" {
                detail.push_str(" deterministic");
            }
            detail.push_str(&format!(
                " {} sql security {}: {}",
                text(access).to_lowercase(),
                text(security).to_lowercase(),
                collapse(text(body))
            ));
            items.push(item(&text(kind).to_lowercase(), text(name), detail));
        }
        Ok(())
    }

    async fn snapshot_triggers(
        &mut self,
        db: &Value,
        tables: &HashMap<String, String>,
        items: &mut Vec<SnapshotItem>,
    ) -> Result<(), DbError> {
        let rows = self
            .query(
                "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, \
                 ACTION_ORIENTATION, ACTION_ORDER, ACTION_STATEMENT \
                 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
                std::slice::from_ref(db),
            )
            .await?;
        for r in &rows {
            let [table, name, timing, event, orientation, order, statement] = &r[..] else {
                continue;
            };
            if !tables.contains_key(text(table)) {
                continue;
            }
            items.push(item(
                "trigger",
                &format!("{}.{}", text(table), text(name)),
                format!(
                    "{} {} for each {} order {}: {}",
                    text(timing).to_lowercase(),
                    text(event).to_lowercase(),
                    text(orientation).to_lowercase(),
                    text(order),
                    collapse(text(statement))
                ),
            ));
        }
        Ok(())
    }
}

fn item(kind: &str, name: &str, detail: String) -> SnapshotItem {
    SnapshotItem {
        kind: kind.to_owned(),
        name: name.to_owned(),
        detail,
    }
}

impl Backend for MyBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn engine(&self) -> &str {
        &self.engine
    }

    /// The text protocol, so any statement the server accepts runs (DDL, `SET`,
    /// `START TRANSACTION`, `LOCK TABLES`, …).
    async fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        self.conn.query_drop(sql).await.map_err(map_err)?;
        Ok(self.conn.affected_rows())
    }

    /// A prepared statement (`?` placeholders); without parameters, the text protocol
    /// as in [`Backend::execute`], since not every statement can be prepared.
    async fn execute_with(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        if params.is_empty() {
            return self.execute(sql).await;
        }
        self.conn
            .exec_drop(sql, to_mysql(params))
            .await
            .map_err(map_err)?;
        Ok(self.conn.affected_rows())
    }

    /// A prepared statement with parameters, the text protocol without; values are
    /// rendered as the text protocol would send them either way (see `cell`).
    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let rows: Vec<mysql_async::Row> = if params.is_empty() {
            self.conn.query(sql).await
        } else {
            self.conn.exec(sql, to_mysql(params)).await
        }
        .map_err(map_err)?;
        Ok(rows.iter().map(to_row).collect())
    }

    /// `GET_LOCK(name, 0)`. Names longer than MySQL's 64 characters are shortened with a
    /// hash (see `lock_name`); the same name always gives the same lock. Locks are
    /// counted per session: taking one twice needs two [`Backend::unlock`] calls.
    async fn try_lock(&mut self, name: &str) -> Result<bool, DbError> {
        let got = self
            .scalar("SELECT GET_LOCK(?, 0)", &[Value::Text(lock_name(name))])
            .await?;
        match got.as_deref() {
            Some("1") => Ok(true),
            Some("0") => Ok(false),
            _ => Err(DbError::other(format!(
                "GET_LOCK('{name}', 0) failed (it returned NULL)"
            ))),
        }
    }

    /// `RELEASE_LOCK(name)`; releasing a lock nobody holds is not an error, releasing one
    /// another session holds is.
    async fn unlock(&mut self, name: &str) -> Result<(), DbError> {
        let released = self
            .scalar("SELECT RELEASE_LOCK(?)", &[Value::Text(lock_name(name))])
            .await?;
        match released.as_deref() {
            Some("0") => Err(DbError::other(format!(
                "cannot release the lock `{name}`: another session holds it"
            ))),
            _ => Ok(()),
        }
    }

    /// `connection 42 (app@10.0.0.7:51234, for 12s)` from `IS_USED_LOCK` and the process
    /// list; just `connection 42` if that session is gone by the time it is looked up.
    async fn lock_holder(&mut self, name: &str) -> Result<Option<String>, DbError> {
        let holder = self
            .scalar("SELECT IS_USED_LOCK(?)", &[Value::Text(lock_name(name))])
            .await?;
        let Some(id) = holder else {
            return Ok(None);
        };
        let Ok(id) = id.parse::<i64>() else {
            return Ok(Some(format!("connection {id}")));
        };
        let rows = self
            .query(
                "SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = ?",
                &[Value::Int(id)],
            )
            .await?;
        Ok(Some(match rows.first().map(|r| &r[..]) {
            Some([user, host, time]) => format!(
                "connection {id} ({}@{}, for {}s)",
                text(user),
                text(host),
                text(time)
            ),
            _ => format!("connection {id}"),
        }))
    }

    /// Both timeouts in whole seconds, rounded up, at least 1: `lock_wait_timeout`
    /// (metadata locks: every DDL statement, `LOCK TABLES`) and
    /// `innodb_lock_wait_timeout` (row locks).
    async fn set_lock_timeout(&mut self, ms: u64) -> Result<(), DbError> {
        let secs = ms.div_ceil(1000).max(1);
        self.execute(&format!(
            "SET SESSION lock_wait_timeout = {secs}, SESSION innodb_lock_wait_timeout = {secs}"
        ))
        .await?;
        Ok(())
    }

    /// The current database from `information_schema`, one item per object:
    ///
    /// - `table` (`engine=… collate=…`), `sequence` (MariaDB, no detail);
    /// - `column` `t.c`: `COLUMN_TYPE`, `not null`, `default <expr>` (see
    ///   `normalise_default`: `DEFAULT NULL` and no default read the same, MySQL's bare
    ///   literals are quoted like MariaDB's), `generated always as (…) virtual|stored`,
    ///   `EXTRA` (auto_increment, on update …, invisible), `collate` when it differs from
    ///   the table's. The column's position is left out: reordering columns
    ///   (`AFTER`/`FIRST`) does not change the snapshot;
    /// - `index` `t.i`: `[unique ]<type> (col, col(prefix), col desc, (expr))`;
    /// - `constraint` `t.name`: foreign keys with their rules, and CHECK constraints;
    /// - `view` (its definition with this database's name removed), `function` /
    ///   `procedure` (signature, return type, characteristics, body), `trigger` `t.name`.
    ///
    /// Definitions have their whitespace collapsed to single spaces (also inside string
    /// literals in bodies). No AUTO_INCREMENT counters, timestamps, definers or
    /// statistics. Tables in `exclude` (and views of that name) are left out with their
    /// columns, indexes, constraints and triggers.
    async fn snapshot(&mut self, exclude: &[&str]) -> Result<Snapshot, DbError> {
        let Some(db_name) = self.scalar("SELECT DATABASE()", &[]).await? else {
            return Err(DbError::other(
                "no database selected: name one in the URL (mysql://host/dbname)",
            ));
        };
        let db = Value::Text(db_name.clone());
        let excluded = |t: &str| exclude.contains(&t);
        let mut items = Vec::new();
        let tables = self.snapshot_tables(&db, &excluded, &mut items).await?;
        self.snapshot_columns(&db, &tables, &mut items).await?;
        self.snapshot_indexes(&db, &tables, &mut items).await?;
        self.snapshot_constraints(&db, &db_name, &tables, &mut items)
            .await?;
        self.snapshot_views(&db, &db_name, &excluded, &mut items)
            .await?;
        self.snapshot_routines(&db, &mut items).await?;
        self.snapshot_triggers(&db, &tables, &mut items).await?;
        Ok(Snapshot::new(items))
    }

    /// The `program_name` attribute of every other session that sent one, sorted, one
    /// entry per session, from `performance_schema.session_connect_attrs`. When
    /// `performance_schema` is off (MariaDB's default) those tables are empty rather than
    /// missing, so that is checked first and reported as an error instead of "no
    /// applications".
    async fn applications(&mut self) -> Result<Vec<String>, DbError> {
        const HINT: &str = "name the running releases with --deployed instead";
        let enabled = match self.scalar("SELECT @@GLOBAL.performance_schema", &[]).await {
            Ok(v) => truthy(&v) || v.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("ON")),
            // Unknown system variable: a server built without it.
            Err(e) if e.code.as_deref() == Some("1193") => false,
            Err(e) => return Err(e),
        };
        if !enabled {
            return Err(DbError::other(format!(
                "cannot list the applications connected to {}: performance_schema is disabled \
                 on this server (performance_schema=ON in the server configuration enables it \
                 after a restart); {HINT}",
                self.engine
            )));
        }
        let rows = self
            .query(
                "SELECT ATTR_VALUE FROM performance_schema.session_connect_attrs \
                 WHERE ATTR_NAME = 'program_name' AND PROCESSLIST_ID <> CONNECTION_ID()",
                &[],
            )
            .await
            .map_err(|mut e| {
                e.message = format!(
                    "cannot read performance_schema.session_connect_attrs: {}; {HINT}",
                    e.message
                );
                e
            })?;
        let mut names: Vec<String> = rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        names.sort();
        Ok(names)
    }

    async fn open_another(&self) -> Option<Result<Self, DbError>> {
        Some(MyBackend::connect(&self.url, &self.application).await)
    }

    fn url(&self) -> Option<&DbUrl> {
        Some(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_names() {
        assert_eq!(
            engine_name("10.11.19-MariaDB-0+deb12u1"),
            ("mariadb-10.11.19".to_owned(), true)
        );
        assert_eq!(
            engine_name("5.5.5-10.6.4-MariaDB-log"),
            ("mariadb-10.6.4".to_owned(), true)
        );
        assert_eq!(engine_name("8.0.36"), ("mysql-8.0.36".to_owned(), false));
        assert_eq!(
            engine_name("8.0.36-0ubuntu0.22.04.1"),
            ("mysql-8.0.36".to_owned(), false)
        );
    }

    #[test]
    fn ssl_modes() {
        assert_eq!(SslMode::parse("preferred").ok(), Some(SslMode::Plain));
        assert_eq!(SslMode::parse("DISABLED").ok(), Some(SslMode::Plain));
        assert_eq!(SslMode::parse("require").ok(), Some(SslMode::Required));
        assert_eq!(SslMode::parse("verify-ca").ok(), Some(SslMode::VerifyCa));
        assert_eq!(
            SslMode::parse("VERIFY_IDENTITY").ok(),
            Some(SslMode::VerifyIdentity)
        );
        assert_eq!(
            SslMode::parse("verify-full").ok(),
            Some(SslMode::VerifyIdentity)
        );
        assert!(SslMode::parse("sometimes").is_err());
    }

    #[test]
    fn tls_options_follow_the_url() {
        let url = |q: &str| DbUrl::parse(&format!("mysql://u@h/db{q}")).expect("valid URL");
        assert!(ssl_opts(&url("")).expect("ok").is_none());
        assert!(ssl_opts(&url("?ssl-mode=PREFERRED")).expect("ok").is_none());
        let req = ssl_opts(&url("?ssl-mode=REQUIRED"))
            .expect("ok")
            .expect("tls");
        assert!(req.accept_invalid_certs());
        let ca = ssl_opts(&url("?sslmode=required&ssl-ca=/tmp/ca.pem"))
            .expect("ok")
            .expect("tls");
        assert!(!ca.accept_invalid_certs());
        assert!(ca.skip_domain_validation());
        assert!(ca.disable_built_in_roots());
        let full = ssl_opts(&url("?ssl-mode=VERIFY_IDENTITY"))
            .expect("ok")
            .expect("tls");
        assert!(!full.accept_invalid_certs() && !full.skip_domain_validation());
    }

    #[test]
    fn long_lock_names_are_hashed_to_64_characters() {
        assert_eq!(lock_name("bellows:shop"), "bellows:shop");
        let long = "x".repeat(100);
        let short = lock_name(&long);
        assert_eq!(short.chars().count(), 64);
        assert_eq!(short, lock_name(&long));
        assert_ne!(short, lock_name(&"x".repeat(101)));
    }

    #[test]
    fn fractions_follow_the_column() {
        assert_eq!(fraction(0, 0), "");
        assert_eq!(fraction(123_456, 6), ".123456");
        assert_eq!(fraction(120_000, 3), ".120");
        assert_eq!(fraction(0, 31), "");
        assert_eq!(fraction(5, 31), ".000005");
    }

    #[test]
    fn defaults_read_alike_on_both_engines() {
        // MariaDB: already SQL; the text NULL means no default.
        assert_eq!(normalise_default(true, Some("NULL"), "int", ""), None);
        assert_eq!(
            normalise_default(true, Some("'NULL'"), "varchar", "").as_deref(),
            Some("'NULL'")
        );
        assert_eq!(normalise_default(true, None, "int", ""), None);
        // MySQL: bare literals, expressions flagged.
        assert_eq!(
            normalise_default(false, Some("it's"), "varchar", "").as_deref(),
            Some("'it''s'")
        );
        assert_eq!(
            normalise_default(false, Some("NULL"), "varchar", "").as_deref(),
            Some("'NULL'")
        );
        assert_eq!(
            normalise_default(false, Some("a\nb\\c"), "text", "").as_deref(),
            Some("'a\\nb\\\\c'")
        );
        assert_eq!(
            normalise_default(false, Some("5"), "int", "").as_deref(),
            Some("5")
        );
        assert_eq!(
            normalise_default(
                false,
                Some("CURRENT_TIMESTAMP"),
                "datetime",
                "DEFAULT_GENERATED"
            )
            .as_deref(),
            Some("current_timestamp()")
        );
        assert_eq!(
            normalise_extra("DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)"),
            "on update current_timestamp(3)"
        );
        assert_eq!(normalise_extra("VIRTUAL GENERATED"), "");
    }
}
