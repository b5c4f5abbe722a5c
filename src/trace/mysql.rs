//! MySQL / MariaDB side of `bellows trace`: which `ALTER TABLE` algorithm the server
//! accepts, and whether InnoDB rebuilt the table.
//!
//! Owns asking the server (the statement sent with `ALGORITHM=INSTANT`, then `NOCOPY` on
//! MariaDB, `INPLACE, LOCK=NONE`, `INPLACE, LOCK=SHARED`, `COPY`: a refused algorithm
//! changes nothing, and the first one accepted applies the statement), reading InnoDB
//! table ids before and after, seeding empty tables, and the MySQL half of the comparison
//! with the linter. The walk, the data model and the definition of a disagreement are
//! `trace/mod.rs`'s.

use super::{
    catalog_changes, fact_rewrites, insert_seeds, is_lost, keywords, linter_fact, parents_first,
    rewrite_word, worst, AlgorithmAttempt, AlgorithmTrace, Aspect, Check, Context, Facet,
    FacetOutcome, Planned, RunMode, Seeded, StatementTrace, StorageChange, TraceError,
};
use crate::classify::locks::Algorithm;
use crate::classify::op::Op;
use crate::dialect::{Dialect, EngineVersion};
use crate::runner::backend::{quote_ident, truthy, Backend, DbError, Value};
use crate::runner::url::redact;
use crate::runner::AnyBackend;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `ER_ALTER_OPERATION_NOT_SUPPORTED` and `…_REASON`: the algorithm or lock is refused.
const REFUSED: &[&str] = &["1845", "1846"];
/// `ER_PARSE_ERROR`: the statement does not take the clause.
const PARSE_ERROR: &str = "1064";
/// `ER_NO_REFERENCED_ROW_2`: seeding retries the table once its parent has rows.
const NO_REFERENCED_ROW: &str = "1452";

fn cell(row: &[Option<String>], i: usize) -> &str {
    row.get(i).and_then(|c| c.as_deref()).unwrap_or("")
}

/// Where InnoDB lists its tables with their ids (a rebuild gives the table a new id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdSource {
    /// MariaDB, MySQL 5.7.
    SysTables,
    /// MySQL 8.0+.
    Tables,
    /// Neither is readable (the `PROCESS` privilege is missing).
    None,
}

/// Table name → InnoDB table id.
type TableIds = BTreeMap<String, String>;

async fn table_ids(conn: &mut AnyBackend, source: IdSource) -> Result<TableIds, DbError> {
    let view = match source {
        IdSource::SysTables => "INNODB_SYS_TABLES",
        IdSource::Tables => "INNODB_TABLES",
        IdSource::None => return Ok(TableIds::new()),
    };
    let rows = conn
        .query(
            &format!(
                "SELECT SUBSTRING_INDEX(NAME, '/', -1), TABLE_ID FROM information_schema.{view} \
                  WHERE SUBSTRING_INDEX(NAME, '/', 1) = DATABASE()"
            ),
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (cell(r, 0).to_owned(), cell(r, 1).to_owned()))
        .collect())
}

async fn id_source(conn: &mut AnyBackend) -> IdSource {
    for (source, view) in [
        (IdSource::SysTables, "INNODB_SYS_TABLES"),
        (IdSource::Tables, "INNODB_TABLES"),
    ] {
        let sql = format!("SELECT 1 FROM information_schema.{view} LIMIT 1");
        if conn.query(&sql, &[]).await.is_ok() {
            return source;
        }
    }
    IdSource::None
}

/// Whether a table of the current database holds a row; `None` when it is gone.
async fn has_rows(conn: &mut AnyBackend, table: &str) -> Option<bool> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM {})",
        quote_ident(Dialect::Mysql, table)
    );
    let rows = conn.query(&sql, &[]).await.ok()?;
    Some(
        rows.first()
            .is_some_and(|r| truthy(&r.first().cloned().flatten())),
    )
}

/// Traces the statements in order; stops after the first one the server refuses.
pub(super) async fn trace_statements(
    conn: &mut AnyBackend,
    cx: &Context<'_>,
    planned: &[Planned<'_>],
) -> Result<(Vec<StatementTrace>, Vec<String>), TraceError> {
    let source = id_source(conn).await;
    let mut notes = Vec::new();
    if source == IdSource::None {
        notes.push(
            "InnoDB's table ids are not readable (information_schema.INNODB_SYS_TABLES / INNODB_TABLES need the PROCESS privilege): rebuilds were not observed"
                .to_owned(),
        );
    }
    let mut out = Vec::new();
    for p in planned {
        let t = one(conn, cx, source, p).await?;
        let failed = t.error.is_some();
        out.push(t);
        if failed {
            break;
        }
    }
    Ok((out, notes))
}

/// Is the statement an `ALTER TABLE` (MariaDB also `ALTER ONLINE | IGNORE TABLE`)?
fn is_alter_table(sql: &str) -> bool {
    let k = keywords(sql, 4);
    k.first().map(String::as_str) == Some("ALTER")
        && k[1..]
            .iter()
            .find(|w| !matches!(w.as_str(), "ONLINE" | "IGNORE"))
            .map(String::as_str)
            == Some("TABLE")
}

/// The algorithms to ask for, best first, on `version`.
fn candidates(version: EngineVersion) -> Vec<(&'static str, Algorithm)> {
    let maria = version.is_mariadb();
    let mut out = Vec::new();
    if (maria && version.at_least(10, 3)) || (!maria && version.major >= 8) {
        out.push(("ALGORITHM=INSTANT", Algorithm::Instant));
    }
    if maria && version.at_least(10, 3) {
        out.push(("ALGORITHM=NOCOPY, LOCK=NONE", Algorithm::InPlace));
    }
    out.push(("ALGORITHM=INPLACE, LOCK=NONE", Algorithm::InPlace));
    out.push(("ALGORITHM=INPLACE, LOCK=SHARED", Algorithm::InPlaceShared));
    out.push(("ALGORITHM=COPY", Algorithm::Copy));
    out
}

/// The `ALGORITHM=` / `LOCK=` a statement names itself, as the linter read them.
fn named_clause(p: &Planned<'_>) -> Option<(Option<String>, Option<String>)> {
    let ops = &p.analyzed?.ops;
    let algorithm = ops.iter().find_map(|o| match &o.op {
        Op::AlterAlgorithm { algorithm, .. } => Some(algorithm.to_ascii_uppercase()),
        _ => None,
    });
    let lock = ops.iter().find_map(|o| match &o.op {
        Op::AlterLock { lock, .. } => Some(lock.to_ascii_uppercase()),
        _ => None,
    });
    (algorithm.is_some() || lock.is_some()).then_some((algorithm, lock))
}

/// The best a server can do when it accepts the named clause is at least this good.
fn named_class(algorithm: Option<&str>, lock: Option<&str>) -> Algorithm {
    match (algorithm, lock) {
        (Some("INSTANT"), _) => Algorithm::Instant,
        (Some("INPLACE" | "NOCOPY"), Some("NONE")) => Algorithm::InPlace,
        (Some("INPLACE" | "NOCOPY"), _) => Algorithm::InPlaceShared,
        (None | Some("DEFAULT"), Some("NONE")) => Algorithm::InPlace,
        _ => Algorithm::Copy,
    }
}

fn named_text(algorithm: Option<&str>, lock: Option<&str>) -> String {
    [
        algorithm.map(|a| format!("ALGORITHM={a}")),
        lock.map(|l| format!("LOCK={l}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

/// What running a statement showed.
struct Ran {
    run: RunMode,
    result: Result<(), DbError>,
    elapsed: Duration,
    algorithm: Option<AlgorithmTrace>,
    notes: Vec<String>,
}

async fn execute(
    conn: &mut AnyBackend,
    sql: &str,
) -> Result<(Result<(), DbError>, Duration), TraceError> {
    let start = Instant::now();
    let result = conn.execute(sql).await;
    let elapsed = start.elapsed();
    match result {
        Err(e) if is_lost(&e) => Err(TraceError::during("running the statement")(e)),
        r => Ok((r.map(|_| ()), elapsed)),
    }
}

/// Runs the statement: an unnamed `ALTER TABLE` with the best algorithm the server
/// accepts, anything else as written.
async fn run(conn: &mut AnyBackend, cx: &Context<'_>, p: &Planned<'_>) -> Result<Ran, TraceError> {
    let alter = is_alter_table(&p.sql);
    let named = named_clause(p);
    if !alter || named.is_some() {
        let (result, elapsed) = execute(conn, &p.sql).await?;
        let algorithm = match (&named, alter) {
            (Some((a, l)), true) => {
                let refused = result
                    .as_ref()
                    .err()
                    .filter(|e| e.code.as_deref().is_some_and(|c| REFUSED.contains(&c)));
                let accepted = result.is_ok();
                Some(AlgorithmTrace {
                    named: Some(named_text(a.as_deref(), l.as_deref())),
                    attempts: vec![AlgorithmAttempt {
                        clause: named_text(a.as_deref(), l.as_deref()),
                        accepted,
                        message: refused.map(|e| redact(&e.message)),
                    }],
                    accepted: accepted.then(|| named_class(a.as_deref(), l.as_deref())),
                })
            }
            _ => None,
        };
        return Ok(Ran {
            run: RunMode::AsWritten,
            result,
            elapsed,
            algorithm,
            notes: Vec::new(),
        });
    }
    let mut attempts = Vec::new();
    let base = p.sql.trim_end();
    for (clause, class) in candidates(cx.version) {
        // On a line of its own: a trailing `-- comment` must not swallow it.
        let (result, elapsed) = execute(conn, &format!("{base}\n, {clause}")).await?;
        match result {
            Ok(()) => {
                attempts.push(AlgorithmAttempt {
                    clause: clause.to_owned(),
                    accepted: true,
                    message: None,
                });
                return Ok(Ran {
                    run: RunMode::Probed,
                    result: Ok(()),
                    elapsed,
                    algorithm: Some(AlgorithmTrace {
                        named: None,
                        attempts,
                        accepted: Some(class),
                    }),
                    notes: Vec::new(),
                });
            }
            Err(e) if e.code.as_deref().is_some_and(|c| REFUSED.contains(&c)) => {
                attempts.push(AlgorithmAttempt {
                    clause: clause.to_owned(),
                    accepted: false,
                    message: Some(redact(&e.message)),
                });
            }
            Err(e) if e.code.as_deref() == Some(PARSE_ERROR) => break,
            Err(e) => {
                // The statement itself fails, whatever the algorithm.
                return Ok(Ran {
                    run: RunMode::Probed,
                    result: Err(e),
                    elapsed,
                    algorithm: Some(AlgorithmTrace {
                        named: None,
                        attempts,
                        accepted: None,
                    }),
                    notes: Vec::new(),
                });
            }
        }
    }
    // No algorithm clause was taken: run it as written.
    let (result, elapsed) = execute(conn, &p.sql).await?;
    Ok(Ran {
        run: RunMode::AsWritten,
        result,
        elapsed,
        algorithm: Some(AlgorithmTrace {
            named: None,
            attempts,
            accepted: None,
        }),
        notes: vec![
            "the server took no ALGORITHM clause on this statement; it ran as written".to_owned(),
        ],
    })
}

async fn one(
    conn: &mut AnyBackend,
    cx: &Context<'_>,
    source: IdSource,
    p: &Planned<'_>,
) -> Result<StatementTrace, TraceError> {
    let mut t = StatementTrace {
        number: p.number,
        line: p.line,
        sql: p.sql.clone(),
        ops: p.ops(),
        run: RunMode::AsWritten,
        duration_ms: 0.0,
        locks: Vec::new(),
        caught_waiting: None,
        rewritten: Vec::new(),
        emptied: Vec::new(),
        changes: Vec::new(),
        algorithm: None,
        check: Check::not_compared("transaction control"),
        error: None,
        notes: Vec::new(),
    };
    if p.is_transaction_control() {
        let (result, elapsed) = execute(conn, &p.sql).await?;
        t.run = RunMode::TransactionControl;
        t.duration_ms = ms(elapsed);
        t.error = result.err().map(|e| redact(&e.to_string()));
        return Ok(t);
    }
    let during =
        |when: &str| TraceError::during(format!("reading the schema {when} the statement"));
    let ids_before = table_ids(conn, source).await.map_err(during("before"))?;
    let snapshot_before = conn.snapshot(&[]).await.map_err(during("before"))?;
    // The linter lower-cases MySQL names; the server keeps them as created.
    let tables: Vec<String> = subject_tables(p)
        .into_iter()
        .map(|t| {
            ids_before
                .keys()
                .find(|k| k.eq_ignore_ascii_case(&t))
                .cloned()
                .unwrap_or(t)
        })
        .collect();
    let mut rows_before = BTreeMap::new();
    for table in ids_before.keys().chain(&tables) {
        if !rows_before.contains_key(table) {
            rows_before.insert(table.clone(), has_rows(conn, table).await);
        }
    }

    let ran = run(conn, cx, p).await?;
    t.run = ran.run;
    t.duration_ms = ms(ran.elapsed);
    t.algorithm = ran.algorithm;
    t.notes = ran.notes;
    if let Err(e) = ran.result {
        t.error = Some(redact(&e.to_string()));
        t.check = check(p, cx, &t, &BTreeMap::new());
        return Ok(t);
    }
    let ids_after = table_ids(conn, source).await.map_err(during("after"))?;
    let snapshot_after = conn.snapshot(&[]).await.map_err(during("after"))?;
    t.changes = catalog_changes(&snapshot_before, &snapshot_after);
    let mut rebuilt = BTreeMap::new();
    for (table, id) in &ids_before {
        let Some(after) = ids_after.get(table) else {
            continue;
        };
        if after == id {
            continue;
        }
        let before_rows = rows_before.get(table).copied().flatten();
        let after_rows = has_rows(conn, table).await;
        let kept = before_rows == Some(true) && after_rows == Some(true);
        let change = StorageChange {
            relation: table.clone(),
            kind: "table".to_owned(),
        };
        if kept {
            t.rewritten.push(change);
        } else {
            t.emptied.push(change);
        }
        rebuilt.insert(table.clone(), kept);
    }
    // Tables whose rebuild can be judged: they had rows and still exist.
    let mut judged = BTreeMap::new();
    for table in &tables {
        // Unobservable, created by the statement, or dropped or renamed by it.
        if source == IdSource::None
            || !ids_before.contains_key(table)
            || !ids_after.contains_key(table)
        {
            continue;
        }
        if rows_before.get(table).copied().flatten() == Some(true) {
            judged.insert(table.clone(), rebuilt.get(table).copied().unwrap_or(false));
        } else {
            t.notes.push(format!(
                "rebuild of {table} not compared: it had no rows, and on an empty table a rebuild cannot be told from a TRUNCATE"
            ));
        }
    }
    t.check = check(p, cx, &t, &judged);
    Ok(t)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// The tables (lower-cased) the statement's operations act on.
fn subject_tables(p: &Planned<'_>) -> Vec<String> {
    let mut out: Vec<String> = p
        .analyzed
        .map(|s| {
            s.ops
                .iter()
                .flat_map(|o| o.op.tables())
                .map(|n| n.unqualified().to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// The MySQL comparison (docs/trace.md, "Disagreement"): for an `ALTER TABLE`, the best
/// algorithm the server accepted must be the linter's; for every table that had rows, the
/// table must have been rebuilt exactly when the linter says `rewrite`.
fn check(
    p: &Planned<'_>,
    cx: &Context<'_>,
    t: &StatementTrace,
    rebuilt: &BTreeMap<String, bool>,
) -> Check {
    let Some(stmt) = p.analyzed else {
        return Check::not_compared("the linter did not read this statement");
    };
    if stmt.invalid.is_some() {
        return Check::not_compared("the linter could not read this statement");
    }
    let facts: Vec<_> = stmt
        .ops
        .iter()
        .filter_map(|o| Some((o, linter_fact(o, cx.dialect, cx.version)?)))
        .collect();
    let table = subject_tables(p).into_iter().next().unwrap_or_default();
    let mut facets = Vec::new();
    let linter_algorithm = facts
        .iter()
        .fold(None, |acc, (_, f)| worst(acc, f.algorithm));
    let mut named_matches = true;
    if let Some(trace) = &t.algorithm {
        let compared = match (linter_algorithm, &trace.named, trace.accepted) {
            (None, _, accepted) => Some((
                FacetOutcome::NoStaticFact,
                accepted.map_or("accepted no ALGORITHM clause".to_owned(), |a| {
                    format!("accepted {}", a.as_str())
                }),
            )),
            // Asked best first: the first accepted is the best.
            (Some(l), None, Some(a)) => {
                Some((agree(l == a), format!("accepted {} at best", a.as_str())))
            }
            // The statement failed whatever the algorithm, or took no clause at all.
            (Some(_), None, None) => None,
            // The statement names its algorithm: accepted means "at least this good".
            (Some(l), Some(named), Some(a)) => {
                named_matches = l == a;
                Some((
                    agree(l <= a),
                    if l < a {
                        format!("accepted the named {named} (it was not asked for better)")
                    } else {
                        format!("accepted the named {named}")
                    },
                ))
            }
            (Some(l), Some(named), None) => {
                let (a, lk) = named_clause(p).unwrap_or_default();
                let n = named_class(a.as_deref(), lk.as_deref());
                named_matches = false;
                Some((agree(l > n), format!("refused the named {named}")))
            }
        };
        if let Some((outcome, server)) = compared {
            let linter =
                linter_algorithm.map_or("no static fact".to_owned(), |a| a.as_str().to_owned());
            facets.push(Facet {
                relation: table.clone(),
                aspect: Aspect::Algorithm,
                linter,
                server,
                outcome,
            });
        }
    }
    if t.error.is_none() {
        for (name, was_rebuilt) in rebuilt {
            let on_table: Vec<_> = facts
                .iter()
                .filter(|(o, _)| {
                    o.op.tables()
                        .iter()
                        .any(|n| n.unqualified().eq_ignore_ascii_case(name))
                })
                .collect();
            if on_table.is_empty() {
                continue;
            }
            if t.algorithm.as_ref().is_some_and(|a| a.named.is_some()) && !named_matches {
                // The named algorithm decides how the work is done, not the best one.
                continue;
            }
            let rewrites = on_table.iter().any(|(_, f)| fact_rewrites(f));
            facets.push(Facet {
                relation: name.clone(),
                aspect: Aspect::Rewrite,
                linter: rewrite_word(rewrites).to_owned(),
                server: if *was_rebuilt {
                    "rebuilt it".to_owned()
                } else {
                    "did not rebuild it".to_owned()
                },
                outcome: agree(rewrites == *was_rebuilt),
            });
        }
    }
    let reason = if t.error.is_some() {
        "the server refused the statement"
    } else {
        "no table that existed before the statement is involved"
    };
    Check::from_facets(facets, reason)
}

fn agree(yes: bool) -> FacetOutcome {
    if yes {
        FacetOutcome::Agrees
    } else {
        FacetOutcome::Disagrees
    }
}

/// Seeds every empty base table of the current database with `rows` rows (at most 1000:
/// the servers' default recursion limit for the generating CTE). A table with a NOT NULL
/// column whose type has no generated value, or whose rows the server refuses, is left
/// empty.
pub(super) async fn seed(conn: &mut AnyBackend, rows: u32) -> Result<Vec<Seeded>, TraceError> {
    let rows = rows.min(1000);
    let tables = conn
        .query(
            "SELECT TABLE_NAME FROM information_schema.TABLES \
              WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            &[],
        )
        .await
        .map_err(TraceError::during("listing the tables to seed"))?;
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for t in &tables {
        let table = cell(t, 0).to_owned();
        if has_rows(conn, &table).await == Some(true) {
            out.push(Seeded {
                table,
                rows: 0,
                skipped: Some("has rows already".to_owned()),
            });
            continue;
        }
        match insert_for(conn, &table, rows).await? {
            Ok(sql) => pending.push((table, sql)),
            Err(why) => out.push(Seeded {
                table,
                rows: 0,
                skipped: Some(why),
            }),
        }
    }
    let edges: Vec<(String, String)> = conn
        .query(
            "SELECT TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS \
              WHERE CONSTRAINT_SCHEMA = DATABASE() AND UNIQUE_CONSTRAINT_SCHEMA = DATABASE()",
            &[],
        )
        .await
        .map_err(TraceError::during("reading the foreign keys"))?
        .iter()
        .map(|r| (cell(r, 0).to_owned(), cell(r, 1).to_owned()))
        .collect();
    insert_seeds(
        conn,
        parents_first(pending, &edges),
        NO_REFERENCED_ROW,
        &mut out,
    )
    .await?;
    out.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(out)
}

/// The `INSERT … WITH RECURSIVE … SELECT` that fills a table, or why there is none.
async fn insert_for(
    conn: &mut AnyBackend,
    table: &str,
    rows: u32,
) -> Result<Result<String, String>, TraceError> {
    let columns = conn
        .query(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, \
                    COALESCE(COLUMN_DEFAULT, ''), (COLUMN_DEFAULT IS NOT NULL), EXTRA, \
                    COALESCE(CHARACTER_MAXIMUM_LENGTH, 0) \
               FROM information_schema.COLUMNS \
              WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            &[Value::Text(table.to_owned())],
        )
        .await
        .map_err(TraceError::during("reading the columns to seed"))?;
    let mut names = Vec::new();
    let mut values = Vec::new();
    for c in &columns {
        let (name, data_type, column_type) = (cell(c, 0), cell(c, 1), cell(c, 2));
        let nullable = cell(c, 3) == "YES";
        let has_default = truthy(&c.get(5).cloned().flatten()) && cell(c, 4) != "NULL";
        let extra = cell(c, 6).to_ascii_lowercase();
        if extra.contains("auto_increment") || extra.contains("generated") || has_default {
            continue;
        }
        let max_len: u64 = cell(c, 7).parse().unwrap_or(0);
        match generated_value(&data_type.to_ascii_lowercase(), column_type, max_len) {
            Some(expr) => {
                names.push(quote_ident(Dialect::Mysql, name));
                values.push(expr);
            }
            None if !nullable => {
                return Ok(Err(format!(
                    "column {name} is NOT NULL and of type {column_type}, for which bellows makes no values"
                )))
            }
            None => {}
        }
    }
    let numbers =
        format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rows})");
    let table = quote_ident(Dialect::Mysql, table);
    Ok(Ok(if names.is_empty() {
        format!("INSERT INTO {table} () {numbers} SELECT FROM s")
    } else {
        format!(
            "INSERT INTO {table} ({}) {numbers} SELECT {} FROM s",
            names.join(", "),
            values.join(", ")
        )
    }))
}

/// A value for row `n`: distinct per row and the same for the same `n` in every table (as
/// on PostgreSQL).
fn generated_value(data_type: &str, column_type: &str, max_len: u64) -> Option<String> {
    Some(match data_type {
        "tinyint" => "n % 100".to_owned(),
        "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal" | "numeric"
        | "float" | "double" => "n".to_owned(),
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => {
            if max_len > 0 {
                format!("LEFT(CONCAT('x', n), {max_len})")
            } else {
                "CONCAT('x', n)".to_owned()
            }
        }
        "datetime" | "timestamp" => {
            "TIMESTAMP '2024-01-01 00:00:00' + INTERVAL n MINUTE".to_owned()
        }
        "date" => "DATE '2024-01-01' + INTERVAL n DAY".to_owned(),
        "time" => "SEC_TO_TIME(n)".to_owned(),
        "json" => "JSON_OBJECT('n', n)".to_owned(),
        "enum" | "set" => {
            // The first value of `enum('a','b')`.
            let inner = column_type.split_once('(')?.1;
            let first = inner.strip_prefix('\'')?;
            let mut value = String::new();
            let mut chars = first.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        value.push('\'');
                        continue;
                    }
                    break;
                }
                value.push(c);
            }
            format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alter_table_is_recognised() {
        assert!(is_alter_table("-- x\nALTER TABLE t ADD COLUMN a int"));
        assert!(is_alter_table("alter online table t force"));
        assert!(!is_alter_table("ALTER VIEW v AS SELECT 1"));
        assert!(!is_alter_table("OPTIMIZE TABLE t"));
    }

    #[test]
    fn named_clauses_are_lower_bounds() {
        assert_eq!(named_class(Some("INSTANT"), None), Algorithm::Instant);
        assert_eq!(
            named_class(Some("INPLACE"), Some("NONE")),
            Algorithm::InPlace
        );
        assert_eq!(named_class(Some("INPLACE"), None), Algorithm::InPlaceShared);
        assert_eq!(named_class(None, Some("SHARED")), Algorithm::Copy);
        assert_eq!(
            named_text(Some("INPLACE"), Some("NONE")),
            "ALGORITHM=INPLACE, LOCK=NONE"
        );
        let maria = EngineVersion::parse("mariadb-10.11.19", Dialect::Mysql).unwrap();
        assert_eq!(candidates(maria).len(), 5);
        let mysql = EngineVersion::parse("8.0.36", Dialect::Mysql).unwrap();
        assert_eq!(candidates(mysql)[1].0, "ALGORITHM=INPLACE, LOCK=NONE");
    }

    #[test]
    fn enum_values_are_read_from_the_column_type() {
        assert_eq!(
            generated_value("enum", "enum('it''s','b')", 0).as_deref(),
            Some("'it''s'")
        );
        assert_eq!(
            generated_value("varchar", "varchar(20)", 20).as_deref(),
            Some("LEFT(CONCAT('x', n), 20)")
        );
        assert!(generated_value("blob", "blob", 0).is_none());
    }
}
