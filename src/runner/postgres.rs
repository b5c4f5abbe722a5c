//! PostgreSQL through `tokio-postgres`, TLS through rustls.
//!
//! Owns connecting (sslmode), error classification, the advisory lock, and the catalog
//! introspection behind [`Backend::snapshot`]. It knows nothing of migrations.

use super::backend::{Backend, DbError, Row, Snapshot, Value};
use super::url::DbUrl;
use crate::dialect::Dialect;

/// A PostgreSQL session.
pub struct PgBackend {
    engine: String,
}

impl PgBackend {
    /// Connects with `application_name` set to `application`.
    pub async fn connect(url: &DbUrl, application: &str) -> Result<PgBackend, DbError> {
        let _ = (url, application);
        Err(DbError::other("PostgreSQL support is being built"))
    }
}

impl Backend for PgBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
    fn engine(&self) -> &str {
        &self.engine
    }
    async fn execute(&mut self, _sql: &str) -> Result<u64, DbError> {
        unimplemented!()
    }
    async fn execute_with(&mut self, _sql: &str, _params: &[Value]) -> Result<u64, DbError> {
        unimplemented!()
    }
    async fn query(&mut self, _sql: &str, _params: &[Value]) -> Result<Vec<Row>, DbError> {
        unimplemented!()
    }
    async fn try_lock(&mut self, _name: &str) -> Result<bool, DbError> {
        unimplemented!()
    }
    async fn unlock(&mut self, _name: &str) -> Result<(), DbError> {
        unimplemented!()
    }
    async fn lock_holder(&mut self, _name: &str) -> Result<Option<String>, DbError> {
        unimplemented!()
    }
    async fn set_lock_timeout(&mut self, _ms: u64) -> Result<(), DbError> {
        unimplemented!()
    }
    async fn snapshot(&mut self, _exclude: &[&str]) -> Result<Snapshot, DbError> {
        unimplemented!()
    }
    async fn applications(&mut self) -> Result<Vec<String>, DbError> {
        unimplemented!()
    }
}
