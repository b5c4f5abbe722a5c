//! PostgreSQL through `tokio-postgres`, TLS through rustls.
//!
//! Owns connecting (sslmode, application_name, a connect timeout), the classification of
//! driver errors into [`DbError`]s (lock timeout, lost connection, the rest; every message
//! passed through [`redact`]), parameters and text results, the advisory lock, and the
//! catalog introspection behind [`Backend::snapshot`]. It knows nothing of migrations and
//! prints nothing.
//!
//! Two protocols are used on purpose. [`Backend::execute`] sends the migration's text with
//! the simple query protocol, so any statement runs (`CREATE INDEX CONCURRENTLY`, `SET`,
//! `BEGIN`/`COMMIT`). [`Backend::execute_with`] and [`Backend::query`] use the extended
//! protocol: parameters go as text and the server converts them to whatever type it
//! inferred for `$n`, and results come back in binary and are printed here as text (see
//! [`Decoder`]). Supports PostgreSQL 12 and later.

use super::backend::{Backend, DbError, DbErrorKind, Row, Snapshot, SnapshotItem, Value};
use super::url::{redact, DbUrl};
use super::verify::timing;
use crate::dialect::Dialect;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::error::Error as StdError;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::config::SslMode as DriverSslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{Format, FromSql, IsNull, Kind, ToSql, Type};
use tokio_postgres::{Client, Config, Connection, NoTls, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

/// URL parameters this module reads itself; the rest go to `tokio-postgres` as given
/// (`application_name`, `options`, `connect_timeout`, `host`, `sslnegotiation`, …).
/// `sslsni`, `sslcompression` and `gssencmode` are accepted and ignored.
const OWN_PARAMS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslsni",
    "sslcompression",
    "gssencmode",
];

/// A PostgreSQL session.
pub struct PgBackend {
    client: Client,
    engine: String,
    /// Why the connection task stopped, when it stopped with an error: added to the
    /// "connection closed" errors of later calls.
    lost: Lost,
    /// Statements with parameters, prepared once per session (the history writes, a
    /// backfill's next-key query): one round trip each instead of two.
    prepared: std::collections::HashMap<String, tokio_postgres::Statement>,
    /// What the last snapshot read, when snapshots reuse it ([`Backend::reuse_snapshots`]).
    reuse: Option<Box<reuse::Reuse>>,
    /// The URL and application name it was opened with ([`Backend::open_another`]).
    url: DbUrl,
    application: String,
}

mod reuse;

type Lost = Arc<Mutex<Option<String>>>;

/// Settings and the values they had before a snapshot pinned them.
type Saved = Vec<(String, String)>;

/// The key query's rows, read in the pin's round trip.
type KeyRows = Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>;

impl PgBackend {
    /// Connects with `application_name` set to `application` (unless the URL sets one).
    ///
    /// TLS follows the URL's `sslmode`, as libpq does:
    /// - `disable`: plain TCP.
    /// - `allow`: plain; when the server refuses an unencrypted session, encrypted
    ///   without certificate checks.
    /// - `prefer` (the default): encrypted without certificate checks when the server
    ///   offers TLS, plain when it does not (or refuses the encrypted session, or the
    ///   handshake fails).
    /// - `require`: encrypted, certificate not checked; with `sslrootcert`, as
    ///   `verify-ca`.
    /// - `verify-ca`: encrypted, the certificate must chain to a trusted root; any
    ///   host name.
    /// - `verify-full`: as `verify-ca`, and the certificate must name the host.
    ///
    /// Trusted roots for the `verify-*` modes: the PEM file `sslrootcert=PATH` and only
    /// it; without one, `~/.postgresql/root.crt` when it exists; otherwise (or with
    /// `sslrootcert=system`) the public web roots of `webpki-roots`. Client certificates
    /// (`sslcert`, `sslkey`) are not supported.
    ///
    /// After connecting it reads the server version (for [`Backend::engine`]) and, on
    /// PostgreSQL 14 and later, sets `client_connection_check_interval = '1s'` so the
    /// server cancels the statement of a bellows process that died.
    pub async fn connect(url: &DbUrl, application: &str) -> Result<PgBackend, DbError> {
        let where_to = url.redacted();
        let fail = |e: DbError| DbError {
            message: redact(&super::connect_message(&where_to, &e.message)),
            ..e
        };
        let timeout = url.connect_timeout().map_err(|m| fail(DbError::other(m)))?;
        let mut config = driver_config(url, application).map_err(fail)?;
        if let Some(t) = timeout {
            // The driver's own timeout covers the TCP connection only; the one around
            // the whole handshake below covers a server that accepts and never answers.
            config.connect_timeout(t);
        }
        let plan = tls_plan(url).map_err(fail)?;
        let connecting = async {
            let (client, lost) = open(&config, &plan).await.map_err(fail)?;
            let mut backend = PgBackend {
                client,
                engine: String::new(),
                lost,
                prepared: std::collections::HashMap::new(),
                reuse: None,
                url: url.clone(),
                application: application.to_owned(),
            };
            backend.start_session().await?;
            Ok(backend)
        };
        match timeout {
            None => connecting.await,
            Some(t) => tokio::time::timeout(t, connecting)
                .await
                .unwrap_or_else(|_| Err(super::connect_timed_out(url, t))),
        }
    }

    /// Reads the server version and sets the session options bellows relies on.
    async fn start_session(&mut self) -> Result<(), DbError> {
        let rows = self
            .simple_rows(
                "SELECT current_setting('server_version'), current_setting('server_version_num')",
            )
            .await?;
        let row = rows.first();
        let version = row.map(|r| cell(r, 0)).unwrap_or_default();
        let version = version.split_whitespace().next().unwrap_or("unknown");
        self.engine = format!("postgresql-{version}");
        let number: u32 = row
            .map(|r| cell(r, 1))
            .unwrap_or_default()
            .parse()
            .unwrap_or(0);
        if number >= 140_000 {
            // Best effort: a server (or pooler) that refuses the setting still runs
            // migrations; only the quick cancellation of orphaned statements is lost.
            let _ = self
                .client
                .simple_query("SET client_connection_check_interval = '1s'")
                .await;
        }
        Ok(())
    }

    /// Maps a driver error. A lost connection says why, when the server said (57P01 …)
    /// or the connection task failed; the reason is kept for the calls that follow.
    fn error(&self, e: tokio_postgres::Error) -> DbError {
        let mut err = classify(&e);
        if err.kind != DbErrorKind::Connection {
            return err;
        }
        let mut lost = self.lost.lock().unwrap_or_else(|p| p.into_inner());
        if e.as_db_error().is_some() {
            *lost = Some(err.message.clone());
        } else if let Some(reason) = lost.as_ref().filter(|r| !err.message.contains(r.as_str())) {
            err.message = redact(&format!("{}: {reason}", err.message));
        }
        err
    }

    /// Runs SQL with the simple query protocol; every column comes back as PostgreSQL's
    /// own text form.
    async fn simple_rows(&self, sql: &str) -> Result<Vec<Row>, DbError> {
        let messages = self
            .client
            .simple_query(sql)
            .await
            .map_err(|e| self.error(e))?;
        let mut rows = Vec::new();
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                );
            }
        }
        Ok(rows)
    }

    /// Pins the settings that change how the catalog functions print (search path,
    /// date and float styles) and returns the session's values for [`Self::restore`].
    /// With `keys` (the reused snapshots' prepared key query), that query is sent in the
    /// same round trip, after the pin, and its rows come back too.
    async fn pin_output_settings(
        &self,
        keys: Option<&tokio_postgres::Statement>,
    ) -> Result<(Saved, Option<KeyRows>), DbError> {
        let read = PINNED
            .iter()
            .map(|(name, _)| format!("current_setting('{name}')"))
            .collect::<Vec<_>>()
            .join(", ");
        let set = PINNED
            .iter()
            .map(|(name, value)| format!("set_config('{name}', '{value}', false)"))
            .collect::<Vec<_>>()
            .join(", ");
        // One round trip: the read, then the pin (a failed pin leaves nothing set).
        let pin = format!("SELECT {read}; SELECT {set}");
        let (rows, keys) = match keys {
            None => (self.simple_rows(&pin).await?, None),
            Some(statement) => {
                let (rows, keys) =
                    tokio::join!(self.simple_rows(&pin), self.client.query(statement, &[]));
                (rows?, Some(keys))
            }
        };
        let saved = PINNED
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let value = rows.first().map(|r| cell(r, i)).unwrap_or_default();
                ((*name).to_owned(), value.to_owned())
            })
            .collect::<Vec<_>>();
        Ok((saved, keys))
    }

    /// Sets the settings [`Self::pin_output_settings`] saved back (a statement prepared
    /// once per session).
    async fn restore(&mut self, saved: &Saved) -> Result<(), DbError> {
        let statement = self.statement(SQL_RESTORE, true, false).await?;
        let (names, values) = restore_params(saved);
        self.client
            .query(&statement, &[&names, &values])
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// From now on, each snapshot reads again only the relations that changed since the
    /// previous one (see `postgres/reuse.rs`) and reuses the rest. Only for a connection
    /// to a database no other session changes meanwhile (a scratch database).
    fn start_reusing_snapshots(&mut self) {
        if self.reuse.is_none() {
            self.reuse = Some(Box::default());
        }
    }

    /// The snapshot proper; output settings are pinned by the caller.
    /// The settings `saved` are restored with the last catalog queries (`restored` says
    /// whether that happened).
    async fn read_schema(
        &mut self,
        exclude: &[&str],
        keys: Option<KeyRows>,
        saved: &Saved,
        restored: &mut bool,
    ) -> Result<Snapshot, DbError> {
        let days = recent_days();
        let Some(mut kept) = self.reuse.take() else {
            let mut fresh = reuse::Reuse::default();
            let rows = self.catalog_rows(None, saved, restored).await?;
            return Ok(build(rows, exclude, &days, &mut fresh, None));
        };
        // Left empty when anything below fails: the next snapshot reads everything.
        self.reuse = Some(Box::default());
        let t = Instant::now();
        let keys = match keys {
            Some(Ok(rows)) => text_rows(&rows)?,
            // A statement the server no longer accepts is prepared again.
            Some(Err(e)) if !stale_statement(&e) => return Err(self.error(e)),
            _ => self.rows(&reuse::sql_keys(), &[], true).await?,
        };
        timing::add("snapshot: keys query", t);
        let t = Instant::now();
        let keys = reuse::keys(&keys);
        let mut stale = kept.changed(&keys, exclude, &days);
        timing::add("snapshot: keys compare", t);
        let t = Instant::now();
        if let Some(stale) = &mut stale {
            // What depends on a changed relation prints it, so is read again too; and so
            // on, to views of views.
            let mut frontier: Vec<u32> = stale.iter().filter_map(|o| o.parse().ok()).collect();
            while !frontier.is_empty() {
                let rows = self
                    .rows_with_oids(&reuse::sql_dependents(), &frontier)
                    .await?;
                frontier = rows
                    .iter()
                    .map(|r| cell(r, 0).to_owned())
                    .filter(|o| stale.insert(o.clone()))
                    .filter_map(|o| o.parse().ok())
                    .collect();
            }
        }
        timing::add("snapshot: dependents", t);
        let t = Instant::now();
        let rows = match &stale {
            None => {
                kept = Box::default();
                let rows = self.catalog_rows(None, saved, restored).await?;
                timing::add("snapshot: catalog rows (all)", t);
                rows
            }
            Some(stale) => {
                let oids: Vec<u32> = stale.iter().filter_map(|o| o.parse().ok()).collect();
                let rows = self.catalog_rows(Some(&oids), saved, restored).await?;
                timing::add("snapshot: catalog rows (some)", t);
                rows
            }
        };
        let t = Instant::now();
        let snapshot = build(rows, exclude, &days, &mut kept, stale.as_ref());
        timing::add("snapshot: build", t);
        kept.filled = true;
        kept.exclude = exclude.iter().map(|e| (*e).to_owned()).collect();
        kept.days = days;
        kept.keys = keys;
        self.reuse = Some(kept);
        Ok(snapshot)
    }

    /// The prepared statement for `sql`: from the session's cache when it has parameters
    /// (`fresh` skips the cache and replaces the entry).
    async fn statement(
        &mut self,
        sql: &str,
        cache: bool,
        fresh: bool,
    ) -> Result<tokio_postgres::Statement, DbError> {
        if cache && !fresh {
            if let Some(s) = self.prepared.get(sql) {
                return Ok(s.clone());
            }
        }
        let statement = self.client.prepare(sql).await.map_err(|e| self.error(e))?;
        if cache {
            self.prepared.insert(sql.to_owned(), statement.clone());
        }
        Ok(statement)
    }

    /// Prepares `sql` (cached when it has parameters), checks that every result column can
    /// be read as text, and binds `params` as text.
    async fn run_extended(
        &mut self,
        sql: &str,
        params: &[Value],
        cache: bool,
        fresh: bool,
    ) -> Result<(tokio_postgres::Statement, Vec<TextParam>), DbError> {
        let statement = self.statement(sql, cache, fresh).await?;
        for column in statement.columns() {
            if Decoder::of(column.type_()).is_none() {
                return Err(DbError::other(format!(
                    "column \"{name}\" has type {ty}, which bellows cannot read; \
                     cast it to text in the query ({name}::text)",
                    name = column.name(),
                    ty = column.type_().name(),
                )));
            }
        }
        Ok((statement, params.iter().map(TextParam::from).collect()))
    }
    /// [`Backend::query`], with the statement prepared once per session when `cache` (a
    /// catalog query run at every snapshot is planned once).
    async fn rows(
        &mut self,
        sql: &str,
        params: &[Value],
        cache: bool,
    ) -> Result<Vec<Row>, DbError> {
        let mut fresh = false;
        let rows = loop {
            let (statement, text_params) = self.run_extended(sql, params, cache, fresh).await?;
            let refs: Vec<&(dyn ToSql + Sync)> = text_params.iter().map(|p| p as _).collect();
            match self.client.query(&statement, &refs).await {
                Ok(rows) => break rows,
                Err(e) if !fresh && cache && stale_statement(&e) => fresh = true,
                Err(e) => return Err(self.error(e)),
            }
        };
        text_rows(&rows)
    }

    /// Rows of a catalog query whose one parameter, `$1`, is an `oid[]`.
    async fn rows_with_oids(&mut self, sql: &str, oids: &[u32]) -> Result<Vec<Row>, DbError> {
        let statement = self.statement(sql, true, false).await?;
        let oids = oids.to_vec();
        let rows = self
            .client
            .query(&statement, &[&oids])
            .await
            .map_err(|e| self.error(e))?;
        text_rows(&rows)
    }

    /// The snapshot's catalog queries, prepared once per session and sent together (one
    /// round trip instead of one each); their rows in the order of [`build`]. With
    /// `only`, the queries of relations (sequences too) and what belongs to them read just
    /// those relations (by OID). The settings `saved` are restored in the same round trip,
    /// after the queries (`restored` says whether that succeeded).
    async fn catalog_rows(
        &mut self,
        only: Option<&[u32]>,
        saved: &Saved,
        restored: &mut bool,
    ) -> Result<[Vec<Row>; 9], DbError> {
        let filter = |sql: String, owner: &str| match only {
            None => sql,
            Some(_) => format!("{sql} AND {owner} = ANY($1::oid[])"),
        };
        let sqls = [
            filter(sql_relations(), "c.oid"),
            filter(sql_columns(), "a.attrelid"),
            filter(sql_indexes(), "i.indrelid"),
            filter(sql_constraints(), "co.conrelid"),
            filter(sql_triggers(), "tg.tgrelid"),
            filter(sql_sequences(), "s.seqrelid"),
            sql_types(),
            sql_functions(),
            SQL_EXTENSIONS.to_owned(),
        ];
        let mut statements = Vec::with_capacity(sqls.len());
        for sql in &sqls {
            statements.push(self.statement(sql, true, false).await?);
        }
        let restore = self.statement(SQL_RESTORE, true, false).await?;
        let (names, values) = restore_params(saved);
        let oids: Vec<u32> = only.map(<[u32]>::to_vec).unwrap_or_default();
        let with: [&(dyn ToSql + Sync); 1] = [&oids];
        let restore_with: [&(dyn ToSql + Sync); 2] = [&names, &values];
        let c = &self.client;
        let q = |i: usize| {
            let params: &[&(dyn ToSql + Sync)] = if only.is_some() && i < 6 { &with } else { &[] };
            c.query(&statements[i], params)
        };
        let all = tokio::join!(
            q(0),
            q(1),
            q(2),
            q(3),
            q(4),
            q(5),
            q(6),
            q(7),
            q(8),
            c.query(&restore, &restore_with)
        );
        all.9.map_err(|e| self.error(e))?;
        *restored = true;
        let all = [
            all.0, all.1, all.2, all.3, all.4, all.5, all.6, all.7, all.8,
        ];
        let mut out: [Vec<Row>; 9] = Default::default();
        for (slot, rows) in out.iter_mut().zip(all) {
            *slot = text_rows(&rows.map_err(|e| self.error(e))?)?;
        }
        Ok(out)
    }
}

/// The snapshot from the catalog queries' rows. The relations' items go to `kept.owned`
/// by relation OID, their names to `kept.relations`: all of them anew when `stale` is
/// `None`, else those of the `stale` relations (the rows read only those) and the rest as
/// kept.
fn build(
    rows: [Vec<Row>; 9],
    exclude: &[&str],
    days: &[String; 3],
    kept: &mut reuse::Reuse,
    stale: Option<&HashSet<String>>,
) -> Snapshot {
    match stale {
        None => {
            kept.owned.clear();
            kept.relations.clear();
        }
        Some(stale) => {
            for oid in stale {
                kept.owned.remove(oid);
                kept.relations.remove(oid);
            }
        }
    }
    let item = |kind: &str, name: String, detail: String| SnapshotItem {
        kind: kind.to_owned(),
        name,
        detail: mask_creation_times(&detail, days),
    };
    let [relation_rows, column_rows, index_rows, constraint_rows, trigger_rows, sequence_rows, type_rows, function_rows, extension_rows] =
        rows;

    // Relations first: their names (by OID, used only to join here) qualify the
    // columns, indexes, constraints, triggers and sequences that belong to them.
    for r in relation_rows {
        let oid = cell(&r, 0).to_owned();
        let (schema, name, relkind) = (cell(&r, 1), cell(&r, 2), cell(&r, 3));
        let qualified = qualify(schema, name);
        let excluded = is_excluded(exclude, schema, name);
        let own = kept.owned.entry(oid.clone()).or_default();
        if !excluded {
            let (kind, detail) = match relkind {
                "v" => ("view", squash(cell(&r, 11))),
                "m" => ("materialized view", squash(cell(&r, 11))),
                _ => ("table", table_detail(&r)),
            };
            own.push(item(kind, qualified.clone(), detail));
        }
        kept.relations.insert(
            oid,
            Relation {
                name: qualified,
                quoted_schema: cell(&r, 12).to_owned(),
                excluded,
            },
        );
    }
    let reuse::Reuse {
        relations, owned, ..
    } = kept;
    let mut push_owned = |oid: &str,
                          kind: &str,
                          name: &dyn Fn(&Relation) -> String,
                          detail: &dyn Fn(&Relation) -> String| {
        let Some(table) = relations.get(oid).filter(|r| !r.excluded) else {
            return;
        };
        let made = item(kind, name(table), detail(table));
        owned.entry(oid.to_owned()).or_default().push(made);
    };

    for r in &column_rows {
        push_owned(
            cell(r, 0),
            "column",
            &|t| format!("{}.{}", t.name, cell(r, 1)),
            &|_| column_detail(r),
        );
    }

    for r in &index_rows {
        push_owned(
            cell(r, 0),
            "index",
            &|t| format!("{}.{}", t.name, cell(r, 1)),
            &|t| {
                let mut detail = t.unqualify(cell(r, 2));
                if !truthy(cell(r, 3)) {
                    detail.push_str(" invalid");
                }
                detail
            },
        );
    }

    for r in &constraint_rows {
        // pg_get_constraintdef already ends with NOT VALID when not validated.
        push_owned(
            cell(r, 0),
            "constraint",
            &|t| format!("{}.{}", t.name, cell(r, 1)),
            &|_| squash(cell(r, 2)),
        );
    }

    for r in &trigger_rows {
        push_owned(
            cell(r, 0),
            "trigger",
            &|t| format!("{}.{}", t.name, cell(r, 1)),
            &|t| {
                let mut detail = t.unqualify(cell(r, 2));
                match cell(r, 3) {
                    "D" => detail.push_str(" disabled"),
                    "R" => detail.push_str(" enabled replica"),
                    "A" => detail.push_str(" enabled always"),
                    _ => {}
                }
                detail
            },
        );
    }

    // Sequences are relations too: kept by OID like tables.
    for r in &sequence_rows {
        let (schema, name) = (cell(r, 1), cell(r, 2));
        if is_excluded(exclude, schema, name) {
            continue;
        }
        let mut detail = format!(
            "as {} increment by {} minvalue {} maxvalue {}",
            cell(r, 3),
            cell(r, 4),
            cell(r, 5),
            cell(r, 6)
        );
        if truthy(cell(r, 7)) {
            detail.push_str(" cycle");
        }
        let owned_by = r.get(8).and_then(|c| c.as_deref());
        if let Some(oid) = owned_by {
            match relations.get(oid) {
                Some(t) if t.excluded => continue,
                Some(t) => {
                    let _ = write!(detail, " owned by {}.{}", t.name, cell(r, 9));
                }
                None => {}
            }
        }
        let made = item("sequence", qualify(schema, name), detail);
        owned.entry(cell(r, 0).to_owned()).or_default().push(made);
    }

    let mut items: Vec<SnapshotItem> = owned.values().flatten().cloned().collect();
    let mut push = |kind: &str, name: String, detail: String| items.push(item(kind, name, detail));

    for r in type_rows {
        let kind = match cell(&r, 2) {
            "e" => "enum",
            "d" => "domain",
            _ => "type",
        };
        push(kind, qualify(cell(&r, 0), cell(&r, 1)), squash(cell(&r, 3)));
    }

    for r in function_rows {
        let name = format!("{}({})", qualify(cell(&r, 0), cell(&r, 1)), cell(&r, 2));
        push("function", name, squash(cell(&r, 3)));
    }

    for r in extension_rows {
        push(
            "extension",
            cell(&r, 0).to_owned(),
            format!("version {} schema {}", cell(&r, 1), cell(&r, 2)),
        );
    }

    Snapshot::new(items)
}

/// Rows of the extended protocol in text form (see [`Backend::query`]).
fn text_rows(rows: &[tokio_postgres::Row]) -> Result<Vec<Row>, DbError> {
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    row.try_get::<_, Option<TextCell>>(i)
                        .map(|c| c.map(|c| c.0))
                        .map_err(|e| {
                            DbError::other(redact(&format!(
                                "reading column \"{}\": {}",
                                row.columns()[i].name(),
                                e.source().map_or_else(|| e.to_string(), |s| s.to_string())
                            )))
                        })
                })
                .collect()
        })
        .collect()
}

impl Backend for PgBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn engine(&self) -> &str {
        &self.engine
    }

    /// Sends `sql` with the simple query protocol and returns the row count of its
    /// CommandComplete (of the last statement, should the text hold several).
    async fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        let messages = self
            .client
            .simple_query(sql)
            .await
            .map_err(|e| self.error(e))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::CommandComplete(n) => Some(*n),
                _ => None,
            })
            .last()
            .unwrap_or(0))
    }

    /// Parameters are sent as text (`Int` in decimal, `Bool` as `true`/`false`, `Null`
    /// as NULL) and the server converts each to the type it inferred for `$n`, so
    /// `$1` may be an `int4`, `bigint`, `timestamptz` or enum column alike. Cast in the
    /// SQL (`$1::bigint`) where the server cannot infer a type.
    async fn execute_with(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let params: Vec<TextParam> = params.iter().map(TextParam::from).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let mut fresh = false;
        loop {
            let statement = self.statement(sql, true, fresh).await?;
            match self.client.execute(&statement, &refs).await {
                Ok(n) => return Ok(n),
                Err(e) if !fresh && stale_statement(&e) => fresh = true,
                Err(e) => return Err(self.error(e)),
            }
        }
    }

    /// Parameters as in [`Backend::execute_with`]. Results print as PostgreSQL prints
    /// them, except: booleans are `true`/`false`, `timestamptz` is UTC without an offset
    /// (`2026-11-27 10:00:00`, fractional seconds only when present), and floats print
    /// at shortest round-trip precision. Readable types: bool, integers, oid, float,
    /// numeric, text types, enums, domains over these, json/jsonb, uuid, bytea, date,
    /// time, timestamp(tz), interval, inet/cidr; any other type (arrays included) is
    /// refused before the statement runs, with a hint to cast it to text.
    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        self.rows(sql, params, !params.is_empty()).await
    }

    /// `pg_try_advisory_lock` on a 64-bit key derived from `name` (see [`lock_key`]).
    /// PostgreSQL counts session locks: taken twice, the lock must be released twice.
    async fn try_lock(&mut self, name: &str) -> Result<bool, DbError> {
        let rows = self
            .query(
                "SELECT pg_try_advisory_lock($1::bigint)",
                &[Value::Int(lock_key(name))],
            )
            .await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .is_some_and(super::backend::truthy))
    }

    /// Releases one hold of the lock; releasing a lock this session does not hold is not
    /// an error (the server only warns).
    async fn unlock(&mut self, name: &str) -> Result<(), DbError> {
        self.query(
            "SELECT pg_advisory_unlock($1::bigint)",
            &[Value::Int(lock_key(name))],
        )
        .await?;
        Ok(())
    }

    /// The holder from `pg_locks` and `pg_stat_activity`, this session included;
    /// "since" is when the holding session connected (UTC). Fields the server hides from
    /// an unprivileged user print as `?`.
    async fn lock_holder(&mut self, name: &str) -> Result<Option<String>, DbError> {
        let key = lock_key(name) as u64;
        let (classid, objid) = (key >> 32, key & 0xffff_ffff);
        let rows = self
            .query(
                "SELECT l.pid, a.usename, \
                        CASE WHEN a.client_addr IS NOT NULL THEN host(a.client_addr) \
                             WHEN a.client_port = -1 THEN 'local' END, \
                        a.application_name, \
                        to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') \
                 FROM pg_catalog.pg_locks l \
                 LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted \
                   AND l.database = (SELECT oid FROM pg_catalog.pg_database \
                                     WHERE datname = current_database()) \
                   AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1 \
                 ORDER BY a.backend_start NULLS LAST LIMIT 1",
                &[Value::Int(classid as i64), Value::Int(objid as i64)],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let Some(pid) = row.first().cloned().flatten() else {
            return Ok(Some("a prepared transaction".to_owned()));
        };
        let text = |i: usize| row.get(i).cloned().flatten().filter(|s| !s.is_empty());
        let mut parts = vec![format!(
            "{}@{}",
            text(1).unwrap_or_else(|| "?".into()),
            text(2).unwrap_or_else(|| "?".into())
        )];
        parts.extend(text(3));
        parts.extend(text(4).map(|since| format!("since {since}")));
        Ok(Some(format!("pid {pid} ({})", parts.join(", "))))
    }

    async fn set_lock_timeout(&mut self, ms: u64) -> Result<(), DbError> {
        self.execute(&format!("SET lock_timeout = '{ms}ms'"))
            .await?;
        Ok(())
    }

    /// Every schema but `pg_catalog`, `information_schema` and `pg_*`; objects that
    /// belong to an extension are left out (the extension is one item). Kinds: `table`
    /// (detail: unlogged, foreign, partitioning, row level security), `column` (type,
    /// collation when not the type's, not null, default, identity, generated), `index`,
    /// `constraint`, `trigger` (definitions as the server prints them, the table's own
    /// schema removed), `view` / `materialized view` (the query), `sequence`
    /// (type, increment, bounds, cycle, owning column; never the current value),
    /// `enum` (labels in order), `domain`, `type` (composite), `function` (named with
    /// its argument types; detail: the whole definition), `extension`.
    ///
    /// Names are qualified by schema except in `public`. Whitespace in definitions is
    /// collapsed. Nothing depends on OIDs, so a schema dropped and rebuilt from the same
    /// DDL gives the same snapshot; column order is left out too (a column dropped and
    /// re-added compares equal). Definitions print with pinned settings (search path
    /// `pg_catalog, public`, ISO dates, UTC), restored afterwards. Not covered: grants,
    /// owners, comments, policies, rules, statistics, storage parameters.
    ///
    /// `exclude` names tables bare (any schema) or as `schema.table`; their columns,
    /// indexes, constraints, triggers and owned sequences go with them.
    async fn snapshot(&mut self, exclude: &[&str]) -> Result<Snapshot, DbError> {
        let t = Instant::now();
        // With reused snapshots, the key query (prepared by an earlier snapshot) goes
        // with the pin.
        let keys = match &self.reuse {
            Some(_) => self.prepared.get(&reuse::sql_keys()).cloned(),
            None => None,
        };
        let (saved, keys) = self.pin_output_settings(keys.as_ref()).await?;
        timing::add("snapshot: pin settings and keys", t);
        let mut restored = false;
        let result = self.read_schema(exclude, keys, &saved, &mut restored).await;
        let t = Instant::now();
        let restored = match restored {
            true => Ok(()),
            false => self.restore(&saved).await,
        };
        timing::add("snapshot: restore settings", t);
        let snapshot = result?;
        restored?;
        Ok(snapshot)
    }

    fn reuse_snapshots(&mut self) {
        self.start_reusing_snapshots();
    }

    async fn applications(&mut self) -> Result<Vec<String>, DbError> {
        let rows = self
            .simple_rows(
                "SELECT application_name FROM pg_catalog.pg_stat_activity \
                 WHERE pid <> pg_backend_pid() AND datname = current_database() \
                   AND application_name <> ''",
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect())
    }

    async fn open_another(&self) -> Option<Result<Self, DbError>> {
        Some(PgBackend::connect(&self.url, &self.application).await)
    }

    fn url(&self) -> Option<&DbUrl> {
        Some(&self.url)
    }
}

/// The advisory-lock key of a name: the first 8 bytes of its SHA-256, big-endian. Stable
/// across versions and machines, so every bellows process agrees.
pub fn lock_key(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

// ---------------------------------------------------------------------------------------
// Connecting

/// The `tokio-postgres` configuration from the URL, minus the parameters read here.
fn driver_config(url: &DbUrl, application: &str) -> Result<Config, DbError> {
    let text = url.expose();
    let text = text.split_once('#').map_or(text, |(before, _)| before);
    // Filter the raw query text rather than re-encoding it, so every other parameter
    // reaches the driver byte for byte.
    let driver_url = match text.split_once('?') {
        None => text.to_owned(),
        Some((base, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| {
                    let key = pair.split('=').next().unwrap_or("");
                    !pair.is_empty() && !OWN_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(key))
                })
                .collect();
            if kept.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{}", kept.join("&"))
            }
        }
    };
    let mut config: Config = driver_url.parse().map_err(|e: tokio_postgres::Error| {
        DbError::other(redact(&format!(
            "the database URL is not usable: {}",
            chain_text(&e)
        )))
    })?;
    if config.get_application_name().is_none() {
        config.application_name(application);
    }
    Ok(config)
}

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode, DbError> {
        Ok(match text.to_ascii_lowercase().as_str() {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(DbError::other(format!(
                    "unknown sslmode `{other}`: use disable, allow, prefer, require, \
                     verify-ca or verify-full"
                )))
            }
        })
    }
}

/// What the certificate must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verify {
    /// Nothing (encryption only).
    Nothing,
    /// A chain to a trusted root.
    Chain,
    /// A chain to a trusted root and the host's name.
    ChainAndName,
}

/// One way of connecting.
#[derive(Clone)]
enum Attempt {
    Plain,
    Tls(Box<ClientConfig>, DriverSslMode),
}

/// The connection attempts of an sslmode, and when the second one is tried.
struct TlsPlan {
    first: Attempt,
    fallback: Option<(Attempt, RetryWhen)>,
}

/// Whether the first attempt's failure calls for the fallback.
type RetryWhen = fn(&tokio_postgres::Error) -> bool;

fn tls_plan(url: &DbUrl) -> Result<TlsPlan, DbError> {
    let rootcert = url.param("sslrootcert");
    let system_roots = rootcert.as_deref() == Some("system");
    let mode = match url.param("sslmode") {
        Some(m) => SslMode::parse(&m)?,
        // As libpq 16: the system roots make sense only with the host name checked.
        None if system_roots => SslMode::VerifyFull,
        None => SslMode::Prefer,
    };
    if system_roots && mode != SslMode::VerifyFull {
        return Err(DbError::other(
            "sslrootcert=system needs sslmode=verify-full (as in libpq): \
             public roots vouch for names, not for servers",
        ));
    }
    let tls = |verify: Verify, mode: DriverSslMode| -> Result<Attempt, DbError> {
        Ok(Attempt::Tls(
            Box::new(tls_config(verify, rootcert.as_deref())?),
            mode,
        ))
    };
    Ok(match mode {
        SslMode::Disable => TlsPlan {
            first: Attempt::Plain,
            fallback: None,
        },
        SslMode::Allow => TlsPlan {
            first: Attempt::Plain,
            fallback: Some((tls(Verify::Nothing, DriverSslMode::Require)?, refused)),
        },
        SslMode::Prefer => TlsPlan {
            first: tls(Verify::Nothing, DriverSslMode::Prefer)?,
            fallback: Some((Attempt::Plain, |e| refused(e) || tls_failed(e))),
        },
        SslMode::Require if rootcert.is_none() => TlsPlan {
            first: tls(Verify::Nothing, DriverSslMode::Require)?,
            fallback: None,
        },
        SslMode::Require | SslMode::VerifyCa => TlsPlan {
            first: tls(Verify::Chain, DriverSslMode::Require)?,
            fallback: None,
        },
        SslMode::VerifyFull => TlsPlan {
            first: tls(Verify::ChainAndName, DriverSslMode::Require)?,
            fallback: None,
        },
    })
}

/// The server refused the session as offered (pg_hba.conf has no entry for it).
fn refused(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
}

/// The TLS handshake failed (as opposed to the TCP connection).
fn tls_failed(e: &tokio_postgres::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
            {
                return true;
            }
        }
        source = s.source();
    }
    false
}

async fn open(config: &Config, plan: &TlsPlan) -> Result<(Client, Lost), DbError> {
    match open_one(config, &plan.first).await {
        Ok(opened) => Ok(opened),
        Err(e) => match &plan.fallback {
            Some((second, when)) if when(&e) => {
                open_one(config, second).await.map_err(|e| classify(&e))
            }
            _ => Err(classify(&e)),
        },
    }
}

async fn open_one(
    config: &Config,
    attempt: &Attempt,
) -> Result<(Client, Lost), tokio_postgres::Error> {
    let mut config = config.clone();
    match attempt {
        Attempt::Plain => {
            config.ssl_mode(DriverSslMode::Disable);
            let (client, connection) = config.connect(NoTls).await?;
            Ok((client, watch(connection)))
        }
        Attempt::Tls(tls, mode) => {
            config.ssl_mode(*mode);
            let (client, connection) = config
                .connect(MakeRustlsConnect::new((**tls).clone()))
                .await?;
            Ok((client, watch(connection)))
        }
    }
}

/// Drives the connection on its own task and records why it stopped, if it failed.
fn watch<S, T>(connection: Connection<S, T>) -> Lost
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let lost: Lost = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&lost);
    tokio::spawn(async move {
        // Polled in place so it is dropped (failing the pending calls) only after its
        // error is recorded for them.
        tokio::pin!(connection);
        if let Err(e) = connection.as_mut().await {
            // "connection closed" says nothing new; a reason already recorded (the
            // server's, from a call) is better than this one.
            let mut lost = slot.lock().unwrap_or_else(|p| p.into_inner());
            if !e.is_closed() && lost.is_none() {
                *lost = Some(classify(&e).message);
            }
        }
    });
    lost
}

fn tls_error(e: impl std::fmt::Display) -> DbError {
    DbError {
        kind: DbErrorKind::Connection,
        code: None,
        message: format!("TLS setup failed: {e}"),
    }
}

fn tls_config(verify: Verify, rootcert: Option<&str>) -> Result<ClientConfig, DbError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let verifier: Arc<dyn ServerCertVerifier> = match verify {
        Verify::Nothing => Arc::new(EncryptOnly(provider)),
        Verify::Chain | Verify::ChainAndName => {
            let roots = Arc::new(root_store(rootcert)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(tls_error)?;
            if verify == Verify::Chain {
                Arc::new(ChainOnly(webpki))
            } else {
                webpki
            }
        }
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // PostgreSQL 17's direct TLS negotiation requires it; older servers ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(config)
}

/// The trusted roots: `sslrootcert`, else `~/.postgresql/root.crt`, else the web roots.
fn root_store(rootcert: Option<&str>) -> Result<RootCertStore, DbError> {
    let default_file = std::env::var_os("HOME")
        .map(|home| std::path::Path::new(&home).join(".postgresql/root.crt"))
        .filter(|p| p.is_file());
    let file = match rootcert {
        Some("system") => None,
        Some(path) => Some(std::path::PathBuf::from(path)),
        None => default_file,
    };
    let Some(file) = file else {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    };
    let shown = file.display();
    let mut store = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(&file)
        .map_err(|e| tls_error(format!("cannot read sslrootcert {shown}: {e}")))?;
    for cert in certs {
        let cert = cert.map_err(|e| tls_error(format!("sslrootcert {shown}: {e}")))?;
        store
            .add(cert)
            .map_err(|e| tls_error(format!("sslrootcert {shown}: {e}")))?;
    }
    if store.is_empty() {
        return Err(tls_error(format!(
            "sslrootcert {shown} holds no PEM certificate"
        )));
    }
    Ok(store)
}

/// `sslmode=require`: the session is encrypted, the certificate is not checked (as
/// libpq's `require`); handshake signatures are still verified.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root; the name is not checked.
/// (The web-PKI verifier checks the chain before the name, so a name error means the
/// chain passed.)
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

// ---------------------------------------------------------------------------------------
// Errors

/// The [`DbError`] of a driver error: 55P03 is a lock timeout; a closed connection, an
/// I/O error, class 08 and 57P01–57P03 (the server shutting down or the session killed)
/// are a lost connection; the rest is `Other`. The message is the server's (with its
/// detail and hint) or the driver's, redacted.
fn classify(e: &tokio_postgres::Error) -> DbError {
    let code = e.code().map(|c| c.code().to_owned());
    let kind = match code.as_deref() {
        Some("55P03") => DbErrorKind::LockTimeout,
        Some(c) if c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03") => {
            DbErrorKind::Connection
        }
        Some(_) => DbErrorKind::Other,
        None if e.is_closed() || has_io_source(e) => DbErrorKind::Connection,
        None => DbErrorKind::Other,
    };
    let message = match e.as_db_error() {
        Some(db) => {
            let mut m = db.message().to_owned();
            if let Some(detail) = db.detail() {
                let _ = write!(m, "; DETAIL: {detail}");
            }
            if let Some(hint) = db.hint() {
                let _ = write!(m, "; HINT: {hint}");
            }
            m
        }
        None => chain_text(e),
    };
    DbError {
        kind,
        code,
        message: redact(&message),
    }
}

/// The error and its causes (the driver's own text is only the kind: "error connecting
/// to server").
fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let cause = s.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = s.source();
    }
    text
}

fn has_io_source(e: &tokio_postgres::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

// ---------------------------------------------------------------------------------------
// Parameters and results

/// A parameter sent in text format: the server parses it as the type it inferred.
#[derive(Debug)]
struct TextParam(Option<String>);

impl From<&Value> for TextParam {
    fn from(value: &Value) -> TextParam {
        TextParam(match value {
            Value::Null => None,
            Value::Int(i) => Some(i.to_string()),
            Value::Text(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
        })
    }
}

impl ToSql for TextParam {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match &self.0 {
            Some(text) => {
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A result column printed as text by [`Decoder`].
struct TextCell(String);

impl<'a> FromSql<'a> for TextCell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<TextCell, Box<dyn StdError + Sync + Send>> {
        match Decoder::of(ty) {
            Some(decoder) => decoder.decode(raw).map(TextCell),
            None => Err(format!("type {} cannot be read as text", ty.name()).into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        Decoder::of(ty).is_some()
    }
}

type DecodeResult = Result<String, Box<dyn StdError + Sync + Send>>;

/// How a binary result value of one type prints as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoder {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Numeric,
    Text,
    Char,
    Jsonb,
    Uuid,
    Bytea,
    Date,
    Time,
    Timestamp,
    Interval,
    Inet,
    Void,
}

impl Decoder {
    fn of(ty: &Type) -> Option<Decoder> {
        match ty.kind() {
            Kind::Enum(_) => return Some(Decoder::Text),
            Kind::Domain(base) => return Decoder::of(base),
            _ => {}
        }
        if ty.schema() != "pg_catalog" {
            // citext's binary form is its text.
            return (ty.name() == "citext").then_some(Decoder::Text);
        }
        Some(match ty.name() {
            "bool" => Decoder::Bool,
            "int2" => Decoder::Int2,
            "int4" => Decoder::Int4,
            "int8" => Decoder::Int8,
            "oid" | "xid" | "cid" => Decoder::Oid,
            "float4" => Decoder::Float4,
            "float8" => Decoder::Float8,
            "numeric" => Decoder::Numeric,
            "text" | "varchar" | "bpchar" | "name" | "unknown" | "json" => Decoder::Text,
            "char" => Decoder::Char,
            "jsonb" => Decoder::Jsonb,
            "uuid" => Decoder::Uuid,
            "bytea" => Decoder::Bytea,
            "date" => Decoder::Date,
            "time" => Decoder::Time,
            "timestamp" | "timestamptz" => Decoder::Timestamp,
            "interval" => Decoder::Interval,
            "inet" | "cidr" => Decoder::Inet,
            "void" => Decoder::Void,
            _ => return None,
        })
    }

    fn decode(self, raw: &[u8]) -> DecodeResult {
        Ok(match self {
            Decoder::Bool => (fixed::<1>(raw)?[0] != 0).to_string(),
            Decoder::Int2 => i16::from_be_bytes(fixed(raw)?).to_string(),
            Decoder::Int4 => i32::from_be_bytes(fixed(raw)?).to_string(),
            Decoder::Int8 => i64::from_be_bytes(fixed(raw)?).to_string(),
            Decoder::Oid => u32::from_be_bytes(fixed(raw)?).to_string(),
            Decoder::Float4 => float_text(f64::from(f32::from_be_bytes(fixed(raw)?)), true),
            Decoder::Float8 => float_text(f64::from_be_bytes(fixed(raw)?), false),
            Decoder::Numeric => numeric_text(raw)?,
            Decoder::Text => std::str::from_utf8(raw)?.to_owned(),
            Decoder::Char => String::from_utf8_lossy(raw).into_owned(),
            Decoder::Jsonb => match raw.split_first() {
                Some((1, json)) => std::str::from_utf8(json)?.to_owned(),
                _ => return Err("unknown jsonb format".into()),
            },
            Decoder::Uuid => {
                let b: [u8; 16] = fixed(raw)?;
                let hex = hex(&b);
                format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                )
            }
            Decoder::Bytea => format!("\\x{}", hex(raw)),
            Decoder::Date => match i32::from_be_bytes(fixed(raw)?) {
                i32::MAX => "infinity".to_owned(),
                i32::MIN => "-infinity".to_owned(),
                days => date_text(i64::from(days)),
            },
            Decoder::Time => time_text(i64::from_be_bytes(fixed(raw)?)),
            Decoder::Timestamp => match i64::from_be_bytes(fixed(raw)?) {
                i64::MAX => "infinity".to_owned(),
                i64::MIN => "-infinity".to_owned(),
                micros => timestamp_text(micros),
            },
            Decoder::Interval => {
                let b: [u8; 16] = fixed(raw)?;
                let micros = i64::from_be_bytes(sub(&b, 0)?);
                let days = i32::from_be_bytes(sub(&b, 8)?);
                let months = i32::from_be_bytes(sub(&b, 12)?);
                interval_text(months, days, micros)
            }
            Decoder::Inet => inet_text(raw)?,
            Decoder::Void => String::new(),
        })
    }
}

fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], Box<dyn StdError + Sync + Send>> {
    raw.try_into()
        .map_err(|_| format!("expected {N} bytes, got {}", raw.len()).into())
}

fn sub<const N: usize>(raw: &[u8], at: usize) -> Result<[u8; N], Box<dyn StdError + Sync + Send>> {
    raw.get(at..at + N)
        .ok_or_else(|| "value too short".into())
        .and_then(fixed)
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Shortest round-trip digits, in PostgreSQL's shape: exponent form below 1e-4 and from
/// 1e15 (1e6 for `real`) up, as `1e+20` / `1.5e-07`.
fn float_text(x: f64, single: bool) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let big = if single { 1e6 } else { 1e15 };
    let magnitude = x.abs();
    if x == 0.0 || (1e-4..big).contains(&magnitude) {
        return if single {
            (x as f32).to_string()
        } else {
            x.to_string()
        };
    }
    let text = if single {
        format!("{:e}", x as f32)
    } else {
        format!("{x:e}")
    };
    match text.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

/// PostgreSQL's binary numeric: digit count, weight, sign, display scale, then base-10000
/// digits.
fn numeric_text(raw: &[u8]) -> DecodeResult {
    let ndigits = usize::from(u16::from_be_bytes(sub(raw, 0)?));
    let weight = i64::from(i16::from_be_bytes(sub(raw, 2)?));
    let sign = u16::from_be_bytes(sub(raw, 4)?);
    let dscale = usize::from(u16::from_be_bytes(sub(raw, 6)?));
    match sign {
        0xC000 => return Ok("NaN".to_owned()),
        0xD000 => return Ok("Infinity".to_owned()),
        0xF000 => return Ok("-Infinity".to_owned()),
        _ => {}
    }
    let digits = (0..ndigits)
        .map(|i| sub::<2>(raw, 8 + 2 * i).map(i16::from_be_bytes))
        .collect::<Result<Vec<_>, _>>()?;
    let digit = |i: i64| -> i16 {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i).copied())
            .unwrap_or(0)
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            if i == 0 {
                let _ = write!(out, "{}", digit(i));
            } else {
                let _ = write!(out, "{:04}", digit(i));
            }
        }
    }
    if dscale > 0 {
        let mut fraction = String::new();
        let mut i = weight + 1;
        while fraction.len() < dscale {
            let _ = write!(fraction, "{:04}", digit(i));
            i += 1;
        }
        fraction.truncate(dscale);
        out.push('.');
        out.push_str(&fraction);
    }
    Ok(out)
}

/// Days since 2000-01-01 as `YYYY-MM-DD` (`… BC` before year 1).
fn date_text(days_since_2000: i64) -> String {
    // Civil-from-days (proleptic Gregorian) on days since 1970-01-01.
    let z = days_since_2000 + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if year <= 0 {
        format!("{:04}-{month:02}-{day:02} BC", 1 - year)
    } else {
        format!("{year:04}-{month:02}-{day:02}")
    }
}

/// Microseconds since midnight as `HH:MM:SS[.ffffff]` (trailing zeros dropped).
fn time_text(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        let digits = format!("{frac:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

/// Microseconds since 2000-01-01 00:00:00 (UTC for timestamptz) as
/// `YYYY-MM-DD HH:MM:SS[.ffffff]`.
fn timestamp_text(micros: i64) -> String {
    const DAY: i64 = 86_400_000_000;
    let date = date_text(micros.div_euclid(DAY));
    let time = time_text(micros.rem_euclid(DAY));
    match date.strip_suffix(" BC") {
        Some(d) => format!("{d} {time} BC"),
        None => format!("{date} {time}"),
    }
}

/// An interval in PostgreSQL's default `postgres` style: `1 year 2 mons 3 days 04:05:06`.
fn interval_text(months: i32, days: i32, micros: i64) -> String {
    let mut parts = Vec::new();
    let mut unit = |n: i64, name: &str| {
        if n != 0 {
            parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        }
    };
    unit(i64::from(months / 12), "year");
    unit(i64::from(months % 12), "mon");
    unit(i64::from(days), "day");
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        let magnitude = micros.unsigned_abs();
        let hours = magnitude / 3_600_000_000;
        let rest = i64::try_from(magnitude % 3_600_000_000).unwrap_or(0);
        // time_text prints at least two hour digits; keep larger hour counts whole.
        let clock = time_text(rest);
        parts.push(format!("{sign}{hours:02}{}", &clock[2..]));
    }
    parts.join(" ")
}

/// inet / cidr: family, bits, is_cidr, length, address bytes.
fn inet_text(raw: &[u8]) -> DecodeResult {
    let [family, bits, is_cidr, len]: [u8; 4] = sub(raw, 0)?;
    let addr = raw
        .get(4..4 + usize::from(len))
        .ok_or("inet value too short")?;
    let (text, max) = match family {
        2 => (std::net::Ipv4Addr::from(fixed::<4>(addr)?).to_string(), 32),
        3 => (
            std::net::Ipv6Addr::from(fixed::<16>(addr)?).to_string(),
            128,
        ),
        _ => return Err("unknown inet family".into()),
    };
    Ok(if is_cidr != 0 || bits != max {
        format!("{text}/{bits}")
    } else {
        text
    })
}

// ---------------------------------------------------------------------------------------
// Snapshot

/// Sets settings back to the values saved before a snapshot: `$1` names, `$2` values.
const SQL_RESTORE: &str = "SELECT set_config(s.name, s.value, false) \
                           FROM unnest($1::text[], $2::text[]) AS s(name, value)";

fn restore_params(saved: &Saved) -> (Vec<&str>, Vec<&str>) {
    saved
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .unzip()
}

/// Settings that change how catalog functions print, and the values the snapshot uses.
const PINNED: &[(&str, &str)] = &[
    ("search_path", "pg_catalog, public"),
    ("DateStyle", "ISO, MDY"),
    ("IntervalStyle", "postgres"),
    ("TimeZone", "UTC"),
    ("extra_float_digits", "1"),
    ("bytea_output", "hex"),
    ("quote_all_identifiers", "off"),
];

/// A table, view or other relation, known by OID while the snapshot is read.
struct Relation {
    /// As items name it: `users`, `audit.events`.
    name: String,
    /// `quote_ident(schema)`, as definitions print it.
    quoted_schema: String,
    excluded: bool,
}

impl Relation {
    /// A definition with `ON <schema>.` (as pg_get_indexdef and pg_get_triggerdef always
    /// qualify the table) reduced to `ON `, whitespace collapsed.
    fn unqualify(&self, definition: &str) -> String {
        let schema = &self.quoted_schema;
        squash(
            &definition
                .replacen(&format!(" ON ONLY {schema}."), " ON ONLY ", 1)
                .replacen(&format!(" ON {schema}."), " ON ", 1),
        )
    }
}

fn cell(row: &Row, i: usize) -> &str {
    row.get(i).and_then(|c| c.as_deref()).unwrap_or("")
}

/// Whether a catalog boolean (printed `t` / `f`) is true.
fn truthy(text: &str) -> bool {
    matches!(text, "t" | "true")
}

/// `name` in `public`, `schema.name` elsewhere.
fn qualify(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

/// Yesterday, today and tomorrow (UTC) as `YYYY-MM-DD`: the dates a literal that
/// PostgreSQL folded from `'now'` can carry, whatever the session's time zone.
fn recent_days() -> [String; 3] {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let today = i64::try_from(secs / 86_400).unwrap_or(0) - 10_957;
    [today - 1, today, today + 1].map(date_text)
}

/// Timestamp and date literals dated `days` shown as `'<now>'`. PostgreSQL folds
/// `'now'::timestamp`, `'today'` and the like into the moment the DDL ran, so a view,
/// default, check or index predicate written with them prints another literal each time
/// it is created; without this, every rebuild would differ. A literal typed into a
/// migration is kept unless it happens to be dated yesterday, today or tomorrow.
fn mask_creation_times(text: &str, days: &[String; 3]) -> String {
    if !text.contains("'::") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\'') {
        out.push_str(&rest[..at]);
        let literal = &rest[at + 1..];
        let folded = literal.find('\'').filter(|&end| {
            let value = &literal[..end];
            let cast = &literal[end + 1..];
            (cast.starts_with("::timestamp") || cast.starts_with("::date"))
                && days.iter().any(|d| value.starts_with(d.as_str()))
                && value[10..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b" :.+-".contains(&b))
        });
        match folded {
            Some(end) => {
                out.push_str("'<now>'");
                rest = &literal[end + 1..];
            }
            None => {
                // Not a folded literal: copy the quoted text through unchanged.
                let end = literal.find('\'').map_or(literal.len(), |e| e + 1);
                out.push('\'');
                out.push_str(&literal[..end]);
                rest = &literal[end..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whitespace runs collapsed to one space, ends trimmed.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_excluded(exclude: &[&str], schema: &str, name: &str) -> bool {
    exclude.iter().any(|e| match e.split_once('.') {
        Some((s, n)) => s == schema && n == name,
        None => *e == name,
    })
}

/// PostgreSQL's `FirstNormalObjectId`: every object made after `initdb` has an OID at
/// least this, so the catalog queries read the user's rows by index instead of scanning
/// the thousands of built-in ones.
const FIRST_USER_OID: u32 = 16_384;

/// Schemas of the user: not the catalogs, not toast or temporary ones.
const USER_SCHEMA: &str = "n.nspname <> 'information_schema' AND left(n.nspname, 3) <> 'pg_'";

/// Not created by an extension (the extension is one item of its own).
fn not_in_extension(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dx \
         WHERE dx.classid = 'pg_catalog.{catalog}'::regclass AND dx.objid = {oid} \
           AND dx.deptype = 'e')"
    )
}

fn sql_relations() -> String {
    format!(
        "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, \
                c.relrowsecurity, c.relforcerowsecurity, \
                CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
                pn.nspname, pc.relname, \
                CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, \
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, \
                quote_ident(n.nspname) \
         FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid \
         LEFT JOIN pg_class pc ON pc.oid = i.inhparent \
         LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
         WHERE c.oid >= {FIRST_USER_OID} AND c.relkind IN ('r', 'p', 'f', 'v', 'm') \
           AND {USER_SCHEMA} AND {}",
        not_in_extension("pg_class", "c.oid")
    )
}

fn table_detail(r: &Row) -> String {
    let mut parts = Vec::new();
    match cell(r, 3) {
        "f" => parts.push("foreign".to_owned()),
        "p" => parts.push(format!("partition by {}", cell(r, 7))),
        _ => {}
    }
    if cell(r, 4) == "u" {
        parts.push("unlogged".to_owned());
    }
    if !cell(r, 9).is_empty() {
        parts.push(format!(
            "partition of {} {}",
            qualify(cell(r, 8), cell(r, 9)),
            cell(r, 10)
        ));
    }
    if truthy(cell(r, 5)) {
        parts.push("row level security".to_owned());
    }
    if truthy(cell(r, 6)) {
        parts.push("forced".to_owned());
    }
    squash(&parts.join(" "))
}

/// Columns of tables (views print their columns in their definition).
fn sql_columns() -> String {
    format!(
        "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, \
                CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation \
                     THEN quote_ident(co.collname) END \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         WHERE a.attrelid >= {FIRST_USER_OID} AND a.attnum > 0 AND NOT a.attisdropped \
           AND c.relkind IN ('r', 'p', 'f') AND {USER_SCHEMA}"
    )
}

fn column_detail(r: &Row) -> String {
    let mut detail = cell(r, 2).to_owned();
    if !cell(r, 7).is_empty() {
        let _ = write!(detail, " collate {}", cell(r, 7));
    }
    if truthy(cell(r, 3)) {
        detail.push_str(" not null");
    }
    let expression = cell(r, 4);
    match cell(r, 6) {
        "s" => {
            let _ = write!(detail, " generated always as ({expression}) stored");
        }
        "v" => {
            let _ = write!(detail, " generated always as ({expression}) virtual");
        }
        _ if !expression.is_empty() => {
            let _ = write!(detail, " default {expression}");
        }
        _ => {}
    }
    match cell(r, 5) {
        "a" => detail.push_str(" identity always"),
        "d" => detail.push_str(" identity by default"),
        _ => {}
    }
    squash(&detail)
}

/// Of relations in user schemas; [`PgBackend::read_schema`] keeps those of the
/// relations it listed (not excluded, not an extension's).
fn sql_indexes() -> String {
    format!(
        "SELECT i.indrelid, ic.relname, pg_get_indexdef(i.indexrelid), i.indisvalid \
         FROM pg_index i \
         JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = ic.relnamespace \
         WHERE i.indexrelid >= {FIRST_USER_OID} AND {USER_SCHEMA}"
    )
}

fn sql_constraints() -> String {
    format!(
        "SELECT co.conrelid, co.conname, pg_get_constraintdef(co.oid) \
         FROM pg_constraint co \
         JOIN pg_namespace n ON n.oid = co.connamespace \
         WHERE co.oid >= {FIRST_USER_OID} AND co.conrelid <> 0 AND {USER_SCHEMA}"
    )
}

fn sql_triggers() -> String {
    format!(
        "SELECT tg.tgrelid, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled \
         FROM pg_trigger tg \
         JOIN pg_class c ON c.oid = tg.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE tg.oid >= {FIRST_USER_OID} AND NOT tg.tgisinternal AND {USER_SCHEMA}"
    )
}

fn sql_sequences() -> String {
    format!(
        "SELECT s.seqrelid, n.nspname, c.relname, format_type(s.seqtypid, NULL), \
                s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, d.refobjid, a.attname \
         FROM pg_sequence s \
         JOIN pg_class c ON c.oid = s.seqrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass \
              AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass \
              AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
         WHERE s.seqrelid >= {FIRST_USER_OID} AND {USER_SCHEMA} AND {}",
        not_in_extension("pg_class", "c.oid")
    )
}

/// Enums (labels in order), domains (base type, not null, default, checks) and
/// composite types (attributes in order).
fn sql_types() -> String {
    format!(
        "SELECT n.nspname, t.typname, t.typtype, \
           CASE t.typtype \
             WHEN 'e' THEN (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) \
                            FROM pg_enum e WHERE e.enumtypid = t.oid) \
             WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) \
                 || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END \
                 || coalesce(' default ' || t.typdefault, '') \
                 || coalesce((SELECT ' ' || string_agg(pg_get_constraintdef(k.oid), ' ' \
                                                       ORDER BY k.conname) \
                              FROM pg_constraint k WHERE k.contypid = t.oid), '') \
             ELSE (SELECT string_agg(quote_ident(a.attname) || ' ' \
                                     || format_type(a.atttypid, a.atttypmod), ', ' \
                                     ORDER BY a.attnum) \
                   FROM pg_attribute a \
                   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) \
           END \
         FROM pg_type t \
         JOIN pg_namespace n ON n.oid = t.typnamespace \
         LEFT JOIN pg_class c ON c.oid = t.typrelid \
         WHERE t.oid >= {FIRST_USER_OID} \
           AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND c.relkind = 'c')) \
           AND {USER_SCHEMA} AND {}",
        not_in_extension("pg_type", "t.oid")
    )
}

fn sql_functions() -> String {
    format!(
        "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), \
           CASE WHEN p.prokind = 'a' \
                THEN 'aggregate returns ' || format_type(p.prorettype, NULL) \
                ELSE pg_get_functiondef(p.oid) END \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.oid >= {FIRST_USER_OID} AND {USER_SCHEMA} AND {}",
        not_in_extension("pg_proc", "p.oid")
    )
}

const SQL_EXTENSIONS: &str = "\
    SELECT e.extname, e.extversion, n.nspname \
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
    WHERE e.extname <> 'plpgsql'";

/// A cached statement the server no longer accepts: its plan's result type changed after
/// DDL (0A000), or the session's prepared statements were discarded (26000). Prepared
/// again, it runs.
fn stale_statement(e: &tokio_postgres::Error) -> bool {
    e.code()
        .is_some_and(|c| matches!(c.code(), "0A000" | "26000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_stable() {
        // The first 8 bytes of sha256("bellows"), big-endian.
        let digest = Sha256::digest(b"bellows");
        let expected = i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        assert_eq!(lock_key("bellows"), expected);
        assert_ne!(lock_key("bellows"), lock_key("bellows2"));
    }

    #[test]
    fn dates_and_times_print_like_postgres() {
        assert_eq!(date_text(0), "2000-01-01");
        assert_eq!(date_text(-1), "1999-12-31");
        assert_eq!(date_text(60), "2000-03-01");
        assert_eq!(date_text(-730_119), "0001-01-01");
        assert_eq!(date_text(-730_120), "0001-12-31 BC");
        assert_eq!(timestamp_text(0), "2000-01-01 00:00:00");
        assert_eq!(timestamp_text(-1), "1999-12-31 23:59:59.999999");
        assert_eq!(timestamp_text(1_500_000), "2000-01-01 00:00:01.5");
        assert_eq!(time_text(86_399_000_000), "23:59:59");
    }

    #[test]
    fn intervals_print_in_postgres_style() {
        assert_eq!(
            interval_text(14, 3, 14_706_000_000),
            "1 year 2 mons 3 days 04:05:06"
        );
        assert_eq!(interval_text(0, 0, 0), "00:00:00");
        assert_eq!(
            interval_text(-12, -1, -1_500_000),
            "-1 years -1 days -00:00:01.5"
        );
        assert_eq!(interval_text(0, 1, 0), "1 day");
        assert_eq!(interval_text(0, 0, 100 * 3_600_000_000), "100:00:00");
    }

    #[test]
    fn floats_print_like_postgres() {
        assert_eq!(float_text(1.5, false), "1.5");
        assert_eq!(float_text(1e20, false), "1e+20");
        assert_eq!(float_text(1.5e-7, false), "1.5e-07");
        assert_eq!(float_text(f64::NEG_INFINITY, false), "-Infinity");
        assert_eq!(float_text(f64::from(0.1f32), true), "0.1");
    }

    #[test]
    fn numerics_decode() {
        // 12345.678 = digits [1, 2345, 6780], weight 1, dscale 3.
        let mut raw = Vec::new();
        for v in [3u16, 1, 0, 3, 1, 2345, 6780] {
            raw.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(numeric_text(&raw).expect("valid"), "12345.678");
        // -0.00001234 = digits [1234], weight -2, dscale 8.
        let mut raw = Vec::new();
        for v in [1u16, (-2i16) as u16, 0x4000, 8, 1234] {
            raw.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(numeric_text(&raw).expect("valid"), "-0.00001234");
        // 0 with scale 2.
        let mut raw = Vec::new();
        for v in [0u16, 0, 0, 2] {
            raw.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(numeric_text(&raw).expect("valid"), "0.00");
    }

    #[test]
    fn literals_folded_from_now_are_masked() {
        let days = [
            "2026-12-06".to_owned(),
            "2026-12-07".to_owned(),
            "2026-12-08".to_owned(),
        ];
        let view = "CASE WHEN (p.published < ('2026-12-07 03:14:30.918531'::timestamp without time zone - '1 mon'::interval)) THEN 'x''y' END";
        assert_eq!(
            mask_creation_times(view, &days),
            "CASE WHEN (p.published < ('<now>'::timestamp without time zone - '1 mon'::interval)) THEN 'x''y' END"
        );
        for (text, masked) in [
            (
                "'2026-12-08 00:00:00+00'::timestamp with time zone",
                "'<now>'::timestamp with time zone",
            ),
            ("'2026-12-06'::date", "'<now>'::date"),
            // Typed into the migration: another date, another type, or not a date at all.
            ("'2020-01-01'::date", "'2020-01-01'::date"),
            ("'2026-12-07'::text", "'2026-12-07'::text"),
            ("'2026-12-07 tomorrow'::date", "'2026-12-07 tomorrow'::date"),
            (
                "'it''s'::text, 'unterminated",
                "'it''s'::text, 'unterminated",
            ),
        ] {
            assert_eq!(mask_creation_times(text, &days), masked, "{text}");
        }
        assert_eq!(recent_days()[1].len(), 10);
    }

    #[test]
    fn exclusion_matches_bare_and_qualified_names() {
        assert!(is_excluded(
            &["bellows_history"],
            "public",
            "bellows_history"
        ));
        assert!(is_excluded(&["bellows_history"], "ops", "bellows_history"));
        assert!(is_excluded(&["audit.events"], "audit", "events"));
        assert!(!is_excluded(&["audit.events"], "public", "events"));
    }

    #[test]
    fn index_definitions_lose_their_own_schema() {
        let r = Relation {
            name: "audit.events".into(),
            quoted_schema: "audit".into(),
            excluded: false,
        };
        assert_eq!(
            r.unqualify("CREATE INDEX i ON audit.events USING btree (t)"),
            "CREATE INDEX i ON events USING btree (t)"
        );
        assert_eq!(
            r.unqualify("CREATE INDEX i ON ONLY audit.events USING btree (t)"),
            "CREATE INDEX i ON ONLY events USING btree (t)"
        );
    }
}
