//! Database URLs: which engine, which database, the TLS mode, and the password kept out of
//! every byte bellows writes.
//!
//! Owns parsing `postgres://…` / `mysql://…` / `mariadb://…`, swapping the database name
//! (scratch databases), the redacted form for display, and the process-wide list of
//! secrets that [`redact`] removes from any text (errors, logs, reports). It does not
//! connect.

use crate::dialect::Dialect;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// How long connecting may take when neither the URL's `connect_timeout` nor
/// `[runner] connect-timeout` says: a server that accepts and never answers fails in
/// seconds instead of hanging.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    url: url::Url,
    dialect: Dialect,
    /// The connect timeout when the URL sets none (`[runner] connect-timeout`).
    fallback_timeout: Option<Duration>,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DbUrl({})", self.redacted())
    }
}

/// Why a URL cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum UrlError {
    #[error("the database URL is not a URL: {0}")]
    #[diagnostic(
        code(bellows::url::syntax),
        help("use postgres://user:password@host:5432/dbname or mysql://user:password@host:3306/dbname")
    )]
    Syntax(String),
    #[error("unsupported database URL scheme `{0}`")]
    #[diagnostic(
        code(bellows::url::scheme),
        help("use postgres:// (or postgresql://) for PostgreSQL, mysql:// (or mariadb://) for MySQL and MariaDB")
    )]
    Scheme(String),
    #[error("no database URL: pass --database-url or set DATABASE_URL")]
    #[diagnostic(code(bellows::url::missing))]
    Missing,
}

impl DbUrl {
    /// Parses a URL and registers its password as a secret (see [`redact`]).
    pub fn parse(text: &str) -> Result<DbUrl, UrlError> {
        // Register before anything can fail, so even the parse error is redacted.
        if let Some(password) = password_in(text) {
            register_secret(&password);
        }
        let url = url::Url::parse(text).map_err(|e| UrlError::Syntax(redact(&e.to_string())))?;
        let dialect = match url.scheme() {
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::Mysql,
            other => return Err(UrlError::Scheme(other.to_owned())),
        };
        if let Some(p) = url.password() {
            register_secret(p);
            if let Ok(decoded) = percent_decode(p) {
                register_secret(&decoded);
            }
        }
        Ok(DbUrl {
            url,
            dialect,
            fallback_timeout: None,
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The URL as given (with the password): for the drivers only, never for display.
    pub fn expose(&self) -> &str {
        self.url.as_str()
    }

    /// The URL with a password replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut u = self.url.clone();
        if u.password().is_some() {
            let _ = u.set_password(Some("***"));
        }
        u.to_string()
    }

    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or("localhost")
    }

    pub fn port(&self) -> Option<u16> {
        self.url.port()
    }

    /// The user name, percent-decoded (empty when the URL names none).
    pub fn user(&self) -> String {
        percent_decode(self.url.username()).unwrap_or_else(|_| self.url.username().to_owned())
    }

    /// The password, percent-decoded.
    pub fn password(&self) -> Option<String> {
        self.url
            .password()
            .map(|p| percent_decode(p).unwrap_or_else(|_| p.to_owned()))
    }

    /// The database name (the path without its `/`), if any.
    pub fn database(&self) -> Option<String> {
        let path = self.url.path().trim_start_matches('/');
        (!path.is_empty()).then(|| percent_decode(path).unwrap_or_else(|_| path.to_owned()))
    }

    /// The same server and credentials, another database.
    pub fn with_database(&self, name: &str) -> DbUrl {
        let mut url = self.url.clone();
        url.set_path(&format!("/{name}"));
        DbUrl {
            url,
            dialect: self.dialect,
            fallback_timeout: self.fallback_timeout,
        }
    }

    /// The same credentials, database and parameters on another server (a replica the
    /// primary reported); `None` when the host is not usable in a URL.
    pub fn with_host_port(&self, host: &str, port: u16) -> Option<DbUrl> {
        let mut url = self.url.clone();
        url.set_host(Some(host)).ok()?;
        url.set_port(Some(port)).ok()?;
        Some(DbUrl {
            url,
            dialect: self.dialect,
            fallback_timeout: self.fallback_timeout,
        })
    }

    /// The same URL, with the connect timeout used when it sets no `connect_timeout`.
    pub fn with_fallback_timeout(mut self, timeout: Duration) -> DbUrl {
        self.fallback_timeout = Some(timeout);
        self
    }

    /// How long connecting (TCP, TLS, authentication, the first query) may take: the
    /// URL's `connect_timeout` in whole seconds, else the fallback, else
    /// [`DEFAULT_CONNECT_TIMEOUT`]. `None`: no limit (`connect_timeout=0`, as in libpq).
    pub fn connect_timeout(&self) -> Result<Option<Duration>, String> {
        match self.param("connect_timeout") {
            Some(t) => match t.trim().parse::<u64>() {
                Ok(0) => Ok(None),
                Ok(secs) => Ok(Some(Duration::from_secs(secs))),
                Err(_) => Err(format!(
                    "connect_timeout must be a whole number of seconds, not `{t}`"
                )),
            },
            None => Ok(Some(
                self.fallback_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            )),
        }
    }

    /// `host:port` for messages (the port when the URL names one).
    pub fn host_port(&self) -> String {
        match self.port() {
            Some(p) => format!("{}:{p}", self.host()),
            None => self.host().to_owned(),
        }
    }

    /// A query parameter (`sslmode`, `ssl-mode`, `application_name`, …).
    pub fn param(&self, key: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.into_owned())
    }

    /// Every query parameter, in order.
    pub fn params(&self) -> Vec<(String, String)> {
        self.url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// Reads `--database-url` or, failing that, `DATABASE_URL`.
pub fn from_args(given: Option<&str>) -> Result<DbUrl, UrlError> {
    match given {
        Some(u) => DbUrl::parse(u),
        None => match std::env::var("DATABASE_URL") {
            Ok(u) if !u.is_empty() => DbUrl::parse(&u),
            _ => Err(UrlError::Missing),
        },
    }
}

fn password_in(text: &str) -> Option<String> {
    // scheme://user:password@host…; the last `@` before the path ends the credentials.
    let rest = text.split_once("://")?.1;
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let at = authority.rfind('@')?;
    let (_, password) = authority[..at].split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

fn percent_decode(text: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out)
}

fn secrets() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Adds a secret that [`redact`] removes from text. Secrets shorter than 3 characters are
/// not registered (they would blank out ordinary words).
pub fn register_secret(secret: &str) {
    if secret.len() < 3 {
        return;
    }
    let mut list = secrets().lock().unwrap_or_else(|e| e.into_inner());
    if !list.iter().any(|s| s == secret) {
        list.push(secret.to_owned());
        // Longest first, so a secret that contains another is removed whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Forgets every registered secret. For harnesses that parse millions of URLs in one
/// process (the fuzzer); bellows itself never calls it.
pub fn forget_secrets() {
    secrets().lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// The text with every registered secret replaced by `***`.
pub fn redact(text: &str) -> String {
    let list = secrets().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_owned();
    for s in list.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_redacts() {
        let u = DbUrl::parse("postgres://app:s%40cret-pw@db.example:5433/shop?sslmode=require")
            .unwrap();
        assert_eq!(u.dialect(), Dialect::Postgres);
        assert_eq!(u.database().as_deref(), Some("shop"));
        assert_eq!(u.password().as_deref(), Some("s@cret-pw"));
        assert_eq!(u.param("sslmode").as_deref(), Some("require"));
        assert!(!u.redacted().contains("cret"));
        assert!(u.redacted().contains("app:***@db.example:5433/shop"));
        assert_eq!(
            redact("connect failed for app with s@cret-pw and s%40cret-pw"),
            "connect failed for app with *** and ***"
        );
        let scratch = u.with_database("bellows_verify_1");
        assert_eq!(scratch.database().as_deref(), Some("bellows_verify_1"));
        assert_eq!(scratch.port(), Some(5433));
    }

    #[test]
    fn connect_timeout_url_wins_over_the_fallback() {
        let plain = DbUrl::parse("postgres://u@h/db").unwrap();
        assert_eq!(plain.connect_timeout(), Ok(Some(DEFAULT_CONNECT_TIMEOUT)));
        let configured = plain.with_fallback_timeout(Duration::from_secs(4));
        assert_eq!(
            configured.connect_timeout(),
            Ok(Some(Duration::from_secs(4)))
        );
        let given = DbUrl::parse("mysql://u@h/db?connect_timeout=3")
            .unwrap()
            .with_fallback_timeout(Duration::from_secs(4));
        assert_eq!(given.connect_timeout(), Ok(Some(Duration::from_secs(3))));
        let unlimited = DbUrl::parse("postgres://u@h/db?connect_timeout=0").unwrap();
        assert_eq!(unlimited.connect_timeout(), Ok(None));
        let bad = DbUrl::parse("postgres://u@h/db?connect_timeout=2s").unwrap();
        assert!(bad.connect_timeout().unwrap_err().contains("`2s`"));
    }

    #[test]
    fn schemes() {
        assert_eq!(
            DbUrl::parse("mariadb://root@127.0.0.1/test")
                .unwrap()
                .dialect(),
            Dialect::Mysql
        );
        assert!(matches!(
            DbUrl::parse("sqlite://x.db"),
            Err(UrlError::Scheme(s)) if s == "sqlite"
        ));
        // A URL that does not parse still has its password redacted in the error.
        let err = DbUrl::parse("postgres://u:hunter22@[bad/x").unwrap_err();
        assert!(!err.to_string().contains("hunter22"));
    }
}
