//! Drift: what the live database holds that the applied migrations do not say, or the
//! other way round (an index added by hand, a column dropped out of band).
//!
//! Owns the comparison of the schema model replayed from the applied migrations with the
//! live snapshot. The model knows names, not every detail, so the comparison covers
//! tables, columns, their nullability and the indexes the migrations named; an index the
//! database named itself (a primary key's, an unnamed one's) is not compared.

use super::apply::{RunError, Runner};
use super::backend::{Backend, Snapshot};
use super::history;
use crate::dialect::Dialect;
use crate::schema::Schema;
use std::collections::BTreeSet;

/// The note of a drift check on a database where no migration is applied.
pub(super) const NOTHING_APPLIED: &str = "drift not checked: no migration is applied yet";

/// The result of a drift check.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    /// A unified diff from the migrations' schema to the database's; `None`: no drift.
    pub diff: Option<String>,
    /// Why drift was not (fully) checked.
    pub note: Option<String>,
}

fn fold(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Mysql => name.to_lowercase(),
        Dialect::Postgres => name.to_owned(),
    }
}

/// The comparable lines of the model, and the index names it knows per table.
fn model_lines(model: &Schema, dialect: Dialect) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut lines = BTreeSet::new();
    let mut indexes = BTreeSet::new();
    for (name, table) in &model.tables {
        let t = fold(dialect, &name.0);
        lines.insert(format!("table {t}"));
        if !table.columns_unknown {
            for c in &table.columns {
                let nn = if c.not_null { " not null" } else { "" };
                lines.insert(format!("column {t}.{}{nn}", fold(dialect, &c.name.0)));
            }
        }
        for i in &table.indexes {
            if let Some(n) = &i.name {
                let line = format!("index {t}.{}", fold(dialect, &n.0));
                indexes.insert(line.clone());
                lines.insert(line);
            }
        }
    }
    (lines, indexes)
}

fn live_lines(
    live: &Snapshot,
    dialect: Dialect,
    model_indexes: &BTreeSet<String>,
    unknown_columns: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for item in &live.items {
        let name = fold(dialect, &item.name);
        match item.kind.as_str() {
            "table" => {
                lines.insert(format!("table {name}"));
            }
            "column" => {
                let table = name.rsplit_once('.').map(|(t, _)| t).unwrap_or(&name);
                // A table whose columns the model cannot know keeps them out of the diff.
                if unknown_columns.contains(table) {
                    continue;
                }
                let nn = if item.detail.to_ascii_lowercase().contains("not null") {
                    " not null"
                } else {
                    ""
                };
                lines.insert(format!("column {name}{nn}"));
            }
            "index" => {
                // Only the indexes the migrations named are compared.
                let line = format!("index {name}");
                if model_indexes.contains(&line) {
                    lines.insert(line);
                }
            }
            _ => {}
        }
    }
    lines
}

/// Compares the model with the live snapshot.
pub fn compare(model: &Schema, live: &Snapshot, dialect: Dialect) -> Drift {
    let (expected, model_indexes) = model_lines(model, dialect);
    let unknown_columns: BTreeSet<String> = model
        .tables
        .iter()
        .filter(|(_, t)| t.columns_unknown)
        .map(|(n, _)| fold(dialect, &n.0))
        .collect();
    let actual = live_lines(live, dialect, &model_indexes, &unknown_columns);
    if expected == actual {
        return Drift::default();
    }
    let a: String = expected.iter().map(|l| format!("{l}\n")).collect();
    let b: String = actual.iter().map(|l| format!("{l}\n")).collect();
    let diff = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(2)
        .header("applied migrations", "database")
        .to_string();
    Drift {
        diff: Some(diff),
        note: None,
    }
}

impl<B: Backend> Runner<'_, B> {
    /// Drift between the applied migrations and the database, leaving out the runner's own
    /// tables ([`HistoryTable::own_tables`](super::history::HistoryTable::own_tables)).
    pub async fn drift(&mut self) -> Result<Drift, RunError> {
        let rows = self.history().await?;
        let state = history::state(&rows);
        let catalog = self.project.catalog;
        // The model is the state after a prefix of the catalog: the applied set must be one.
        let n = state.applied.len();
        if n == 0 {
            // A first run onto an existing schema: there is nothing to compare it with.
            return Ok(Drift {
                diff: None,
                note: Some(NOTHING_APPLIED.to_owned()),
            });
        }
        let prefix = catalog
            .migrations
            .iter()
            .take(n)
            .all(|m| state.is_applied(&m.id));
        if !prefix {
            return Ok(Drift {
                diff: None,
                note: Some(
                    "drift not checked: the applied migrations are not the first ones of the catalog"
                        .to_owned(),
                ),
            });
        }
        let own = self.settings.history.own_tables();
        let exclude: Vec<&str> = own.iter().map(String::as_str).collect();
        let live = match self.b.snapshot(&exclude).await {
            Ok(live) => live,
            // A session holding a lock on a table must not stop a run here: its steps
            // retry lock timeouts, and fail cleanly, on their own.
            Err(e) if e.is_lock_timeout() => {
                return Ok(Drift {
                    diff: None,
                    note: Some(format!(
                        "drift not checked: reading the schema waited longer than the lock timeout ({e})"
                    )),
                })
            }
            Err(e) => return Err(RunError::db("cannot read the database's schema", e)),
        };
        let model = &self.project.analysis.states[n];
        Ok(compare(model, &live, self.b.dialect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::backend::SnapshotItem;

    fn item(kind: &str, name: &str, detail: &str) -> SnapshotItem {
        SnapshotItem {
            kind: kind.into(),
            name: name.into(),
            detail: detail.into(),
        }
    }

    fn model(sql: &str) -> Schema {
        let mut schema = Schema::default();
        let settings = crate::lint::LintSettings::new(Dialect::Postgres);
        let source = crate::source::SourceFile::new("m.sql".to_owned(), sql.to_owned());
        crate::lint::lint_input_with(source, Default::default(), &settings, &mut schema);
        schema
    }

    #[test]
    fn finds_an_out_of_band_column_and_a_missing_index() {
        let m = model("CREATE TABLE users (id bigint PRIMARY KEY, name text);\nCREATE INDEX users_name_idx ON users (name);\n");
        let same = Snapshot::new(vec![
            item("table", "users", ""),
            item("column", "users.id", "bigint not null"),
            item("column", "users.name", "text"),
            item("index", "users.users_pkey", "CREATE UNIQUE INDEX …"),
            item("index", "users.users_name_idx", "CREATE INDEX …"),
        ]);
        assert_eq!(compare(&m, &same, Dialect::Postgres), Drift::default());
        let drifted = Snapshot::new(vec![
            item("table", "users", ""),
            item("column", "users.id", "bigint not null"),
            item("column", "users.name", "text"),
            item("column", "users.nickname", "text"),
            item("index", "users.users_pkey", "CREATE UNIQUE INDEX …"),
        ]);
        let d = compare(&m, &drifted, Dialect::Postgres)
            .diff
            .expect("drift");
        assert!(d.contains("+column users.nickname"), "{d}");
        assert!(d.contains("-index users.users_name_idx"), "{d}");
    }
}
