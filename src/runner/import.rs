//! Reading another migration tool's history table, for `bellows migrate baseline --from`.
//!
//! Owns each tool's table (name and the columns read), reading the set of versions it
//! counts as applied, and mapping those versions onto the catalog's migrations: which are
//! applied, which applied versions the catalog does not have, and which catalog migrations
//! were skipped before applied ones (gaps). It writes nothing; `baseline.rs` records.

use super::backend::{quote_ident, truthy, Backend, DbError, Value};
use crate::catalog::layout::{diesel_version, flyway_cmp, same_version, Catalog, Layout};
use crate::dialect::Dialect;
use std::cmp::Ordering;

/// A migration tool whose history bellows can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    Flyway,
    Sqlx,
    Diesel,
    GolangMigrate,
    Dbmate,
    Goose,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Flyway => "flyway",
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate",
            Tool::Goose => "goose",
        }
    }

    /// The table the tool keeps its history in, by default.
    pub fn default_table(self) -> &'static str {
        match self {
            Tool::Flyway => "flyway_schema_history",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::GolangMigrate | Tool::Dbmate => "schema_migrations",
            Tool::Goose => "goose_db_version",
        }
    }

    /// How the tool's versions compare with the catalog's: Flyway's dotted versions,
    /// diesel's versions without dashes, or numbers where leading zeros do not count.
    fn layout(self) -> Layout {
        match self {
            Tool::Flyway => Layout::Flyway,
            Tool::Diesel => Layout::Diesel,
            _ => Layout::SqlxPairs,
        }
    }
}

/// The tool's table: `[schema.]name` (`--from-table`), else its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignTable {
    pub schema: Option<String>,
    pub name: String,
}

impl ForeignTable {
    pub fn new(tool: Tool, given: Option<&str>) -> ForeignTable {
        match given.map(|g| g.split_once('.').map_or((None, g), |(s, t)| (Some(s), t))) {
            Some((schema, name)) => ForeignTable {
                schema: schema.map(str::to_owned),
                name: name.to_owned(),
            },
            None => ForeignTable {
                schema: None,
                name: tool.default_table().to_owned(),
            },
        }
    }

    fn sql(&self, dialect: Dialect) -> String {
        match &self.schema {
            Some(s) => format!(
                "{}.{}",
                quote_ident(dialect, s),
                quote_ident(dialect, &self.name)
            ),
            None => quote_ident(dialect, &self.name),
        }
    }

    /// As the schema snapshot's `exclude` list names it: `schema.table` when a schema is
    /// given (on MySQL, another database's table, which no snapshot of this one holds).
    pub fn exclude_name(&self) -> String {
        self.display()
    }

    pub fn display(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What a tool's table says is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Foreign {
    /// Applied versions, as the tool wrote them, in the order it applied them.
    pub applied: Vec<String>,
    /// Every version up to and including this one counts as applied (Flyway's `BASELINE`
    /// row, golang-migrate's single version).
    pub up_to: Option<String>,
}

/// Why a tool's history cannot be read or used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The table is not there.
    NoTable,
    /// The history holds a migration that failed or did not finish.
    Dirty(String),
    Db(DbError),
}

impl From<DbError> for ImportError {
    fn from(e: DbError) -> Self {
        ImportError::Db(e)
    }
}

async fn table_exists<B: Backend>(b: &mut B, table: &ForeignTable) -> Result<bool, DbError> {
    let d = b.dialect();
    let rows = match d {
        Dialect::Postgres => {
            b.query("SELECT to_regclass($1)::text", &[Value::Text(table.sql(d))])
                .await?
        }
        Dialect::Mysql => {
            let schema = match &table.schema {
                Some(_) => "?",
                None => "DATABASE()",
            };
            let mut params = vec![Value::Text(table.name.clone())];
            if let Some(s) = &table.schema {
                params.push(Value::Text(s.clone()));
            }
            b.query(
                &format!("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME = ? AND TABLE_SCHEMA = {schema}"),
                &params,
            )
            .await?
        }
    };
    Ok(rows
        .first()
        .is_some_and(|r| r.first().is_some_and(|c| c.is_some())))
}

/// Reads the versions `tool` counts as applied from its table.
pub async fn read<B: Backend>(
    b: &mut B,
    tool: Tool,
    table: &ForeignTable,
) -> Result<Foreign, ImportError> {
    if !table_exists(b, table).await? {
        return Err(ImportError::NoTable);
    }
    let t = table.sql(b.dialect());
    let text = |c: &Option<String>| c.clone().unwrap_or_default().trim().to_owned();
    let mut out = Foreign::default();
    match tool {
        Tool::Flyway => {
            let rows = b
                .query(
                    &format!("SELECT version, type, success FROM {t} ORDER BY installed_rank"),
                    &[],
                )
                .await?;
            // The newest row per version decides; a failed one is left for `flyway repair`.
            let mut failed: Vec<String> = Vec::new();
            for r in &rows {
                let (version, kind) = (text(&r[0]), text(&r[1]).to_ascii_uppercase());
                if version.is_empty() {
                    continue; // repeatable migrations, the schema-creation marker
                }
                let same = |v: &String| flyway_cmp(v, &version) == Ordering::Equal;
                out.applied.retain(|v| !same(v));
                failed.retain(|v| !same(v));
                match kind.as_str() {
                    "SCHEMA" => {}
                    "BASELINE" => out.up_to = Some(version),
                    "DELETE" => {}
                    k if k.starts_with("UNDO") => {}
                    _ if truthy(&r[2]) => out.applied.push(version),
                    _ => failed.push(version),
                }
            }
            if let Some(v) = failed.first() {
                return Err(ImportError::Dirty(format!(
                    "version {v} failed (success = false); run `flyway repair` or finish it first"
                )));
            }
        }
        Tool::Sqlx => {
            let rows = b
                .query(
                    &format!("SELECT version, success FROM {t} ORDER BY version"),
                    &[],
                )
                .await?;
            for r in &rows {
                if !truthy(&r[1]) {
                    return Err(ImportError::Dirty(format!(
                        "version {} is marked partially applied (success = false); sqlx calls it dirty: fix it with sqlx first",
                        text(&r[0])
                    )));
                }
                out.applied.push(text(&r[0]));
            }
        }
        Tool::Diesel | Tool::Dbmate => {
            let rows = b
                .query(&format!("SELECT version FROM {t} ORDER BY version"), &[])
                .await?;
            out.applied = rows.iter().map(|r| text(&r[0])).collect();
        }
        Tool::GolangMigrate => {
            let rows = b
                .query(&format!("SELECT version, dirty FROM {t}"), &[])
                .await?;
            if rows.len() > 1 {
                return Err(ImportError::Dirty(format!(
                    "{} holds {} rows; golang-migrate keeps exactly one",
                    table.display(),
                    rows.len()
                )));
            }
            if let Some(r) = rows.first() {
                let version = text(&r[0]);
                if truthy(&r[1]) {
                    return Err(ImportError::Dirty(format!(
                        "version {version} is dirty: it failed half-way; fix the database and run `migrate force` with golang-migrate first"
                    )));
                }
                // `migrate down` to nothing leaves -1 behind (nil version).
                if !version.starts_with('-') {
                    out.applied.push(version.clone());
                    out.up_to = Some(version);
                }
            }
        }
        Tool::Goose => {
            let rows = b
                .query(
                    &format!("SELECT version_id, is_applied FROM {t} ORDER BY id"),
                    &[],
                )
                .await?;
            for r in &rows {
                let version = text(&r[0]);
                out.applied.retain(|v| v != &version);
                // goose's own first row (version 0) is not a migration.
                if truthy(&r[1]) && version != "0" {
                    out.applied.push(version);
                }
            }
        }
    }
    Ok(out)
}

/// A tool's applied set mapped onto the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Mapping {
    /// Catalog ids the tool applied, in catalog order.
    pub applied: Vec<String>,
    /// Versions the tool applied that no catalog migration has.
    pub missing: Vec<String>,
    /// Catalog ids the tool did not apply that come before one it did.
    pub gaps: Vec<String>,
}

/// Whether the catalog version `ours` is at or before the tool's `theirs`.
fn at_or_before(tool: Tool, ours: &str, theirs: &str) -> bool {
    match tool {
        Tool::Flyway => flyway_cmp(ours, theirs) != Ordering::Greater,
        _ => {
            let key = |v: &str| {
                let v = diesel_version(v);
                let t = v.trim_start_matches('0').to_owned();
                (t.len(), t)
            };
            key(ours) <= key(theirs)
        }
    }
}

/// Maps the tool's applied versions onto the catalog's migrations.
pub fn map(catalog: &Catalog, tool: Tool, foreign: &Foreign) -> Mapping {
    let layout = tool.layout();
    let mut applied = vec![false; catalog.migrations.len()];
    let mut missing = Vec::new();
    for v in &foreign.applied {
        let mut found = false;
        for (i, m) in catalog.migrations.iter().enumerate() {
            if same_version(layout, &m.version, v) {
                applied[i] = true;
                found = true;
            }
        }
        if !found {
            missing.push(v.clone());
        }
    }
    if let Some(up_to) = &foreign.up_to {
        for (i, m) in catalog.migrations.iter().enumerate() {
            if at_or_before(tool, &m.version, up_to) {
                applied[i] = true;
            }
        }
    }
    let last = applied.iter().rposition(|a| *a);
    let mut mapping = Mapping {
        missing,
        ..Mapping::default()
    };
    for (i, m) in catalog.migrations.iter().enumerate() {
        if applied[i] {
            mapping.applied.push(m.id.clone());
        } else if last.is_some_and(|l| i < l) {
            mapping.gaps.push(m.id.clone());
        }
    }
    mapping
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::layout::Migration;
    use crate::catalog::MigrationMeta;

    fn catalog(layout: Layout, versions: &[(&str, &str)]) -> Catalog {
        Catalog {
            root: "migrations".into(),
            layout,
            migrations: versions
                .iter()
                .map(|(version, id)| Migration {
                    id: (*id).to_owned(),
                    version: (*version).to_owned(),
                    name: String::new(),
                    up: "up.sql".into(),
                    down: None,
                    verify: None,
                    meta: MigrationMeta::default(),
                    meta_file: None,
                    sections: None,
                })
                .collect(),
            repeatables: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn foreign(applied: &[&str], up_to: Option<&str>) -> Foreign {
        Foreign {
            applied: applied.iter().map(|s| (*s).to_owned()).collect(),
            up_to: up_to.map(str::to_owned),
        }
    }

    #[test]
    fn diesel_versions_match_dashed_directories() {
        let c = catalog(
            Layout::Diesel,
            &[
                ("2020-01-01-000000", "2020-01-01-000000_a"),
                ("2020-02-01-000000", "2020-02-01-000000_b"),
                ("2020-03-01-000000", "2020-03-01-000000_c"),
            ],
        );
        let m = map(
            &c,
            Tool::Diesel,
            &foreign(
                &["20200101000000", "20200301000000", "20990101000000"],
                None,
            ),
        );
        assert_eq!(m.applied, ["2020-01-01-000000_a", "2020-03-01-000000_c"]);
        assert_eq!(m.gaps, ["2020-02-01-000000_b"]);
        assert_eq!(m.missing, ["20990101000000"]);
    }

    #[test]
    fn numbers_ignore_leading_zeros_and_golang_migrate_counts_up_to() {
        let c = catalog(
            Layout::SqlxPairs,
            &[("0001", "0001_a"), ("0002", "0002_b"), ("0010", "0010_c")],
        );
        let m = map(&c, Tool::Sqlx, &foreign(&["1", "2"], None));
        assert_eq!(m.applied, ["0001_a", "0002_b"]);
        assert!(m.gaps.is_empty() && m.missing.is_empty());
        let m = map(&c, Tool::GolangMigrate, &foreign(&["2"], Some("2")));
        assert_eq!(m.applied, ["0001_a", "0002_b"]);
        let m = map(&c, Tool::GolangMigrate, &foreign(&["3"], Some("3")));
        assert_eq!(m.applied, ["0001_a", "0002_b"]);
        assert_eq!(m.missing, ["3"]);
    }

    #[test]
    fn flyway_baseline_covers_the_versions_before_it() {
        let c = catalog(
            Layout::Flyway,
            &[
                ("1", "V1__a"),
                ("1.1", "V1.1__b"),
                ("2", "V2__c"),
                ("3", "V3__d"),
            ],
        );
        let m = map(&c, Tool::Flyway, &foreign(&["3"], Some("1.1")));
        assert_eq!(m.applied, ["V1__a", "V1.1__b", "V3__d"]);
        assert_eq!(m.gaps, ["V2__c"]);
    }

    #[test]
    fn a_table_name_may_name_its_schema() {
        let t = ForeignTable::new(Tool::Flyway, Some("ops.history"));
        assert_eq!(t.schema.as_deref(), Some("ops"));
        assert_eq!(t.name, "history");
        assert_eq!(
            ForeignTable::new(Tool::Goose, None).name,
            "goose_db_version"
        );
    }
}
