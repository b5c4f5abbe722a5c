//! PostgreSQL side of `bellows trace`: what each statement locked, rewrote and changed.
//!
//! Owns reading `pg_locks` (in the statement's own transaction, or from a second session
//! for statements that refuse a transaction block), comparing `pg_class.relfilenode`
//! before and after, seeding empty tables with `generate_series`, and the PostgreSQL half
//! of the comparison with the linter. The walk, the data model and the definition of a
//! disagreement are `trace/mod.rs`'s.

use super::{
    catalog_changes, fact_rewrites, insert_seeds, is_lost, keywords, linter_fact, parents_first,
    rewrite_word, scrubbed, subjects, Aspect, Check, Context, Facet, FacetOutcome, ObservedLock,
    Planned, RunMode, Seeded, StatementTrace, StorageChange, Subject, TraceError,
};
use crate::classify::locks::LockLevel;
use crate::classify::op::Name;
use crate::dialect::Dialect;
use crate::runner::backend::{quote_ident, truthy, Backend, DbError, Snapshot, Value};
use crate::runner::url::redact;
use crate::runner::AnyBackend;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// SQLSTATE 25001: the statement cannot run inside a transaction block.
const ACTIVE_SQL_TRANSACTION: &str = "25001";
/// SQLSTATE 23503: a foreign key is violated (seeding retries the table later).
const FOREIGN_KEY_VIOLATION: &str = "23503";

/// Every relation of the user schemas, with what a rewrite changes.
const RELATIONS_SQL: &str = "\
SELECT c.oid::text, n.nspname, c.relname, c.relkind::text, c.relfilenode::text, \
       COALESCE(i.indrelid::text, ''), \
       CASE WHEN c.relkind IN ('r', 'm') THEN (pg_relation_size(c.oid) > 0)::text \
            ELSE 'false' END \
  FROM pg_class c \
  JOIN pg_namespace n ON n.oid = c.relnamespace \
  LEFT JOIN pg_index i ON i.indexrelid = c.oid \
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
   AND c.relkind IN ('r', 'p', 'm', 'i', 'I', 'v', 'S', 'f')";

/// The relation locks this session holds.
const OWN_LOCKS_SQL: &str = "\
SELECT relation::text, mode FROM pg_locks \
 WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted";

/// Every lock of another session, granted or awaited.
const SESSION_LOCKS_SQL: &str = "\
SELECT locktype, COALESCE(relation::text, ''), mode, granted FROM pg_locks WHERE pid = $1";

/// One relation of the user schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Relation {
    schema: String,
    relname: String,
    /// `relname`, schema-qualified unless in `public` (as the linter names it).
    name: String,
    relkind: String,
    relfilenode: String,
    /// For an index: its table's OID.
    table: Option<String>,
    /// A table or materialized view whose storage holds something.
    has_rows: bool,
}

impl Relation {
    fn kind(&self) -> &'static str {
        match self.relkind.as_str() {
            "r" => "table",
            "p" => "partitioned table",
            "i" => "index",
            "I" => "partitioned index",
            "m" => "materialized view",
            "v" => "view",
            "S" => "sequence",
            "f" => "foreign table",
            _ => "relation",
        }
    }

    fn quoted(&self) -> String {
        format!(
            "{}.{}",
            quote_ident(Dialect::Postgres, &self.schema),
            quote_ident(Dialect::Postgres, &self.relname)
        )
    }

    /// Has storage of its own that a rewrite replaces.
    fn has_storage(&self) -> bool {
        matches!(self.relkind.as_str(), "r" | "m" | "i") && self.relfilenode != "0"
    }
}

/// Relations by OID.
type Relations = BTreeMap<String, Relation>;

/// The schema as a statement found it or left it.
struct State {
    relations: Relations,
    snapshot: Snapshot,
}

/// A relation's name as the linter writes it: schema-qualified unless in `public`.
fn shown_name(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

fn cell(row: &[Option<String>], i: usize) -> &str {
    row.get(i).and_then(|c| c.as_deref()).unwrap_or("")
}

async fn relations(conn: &mut AnyBackend) -> Result<Relations, DbError> {
    let rows = conn.query(RELATIONS_SQL, &[]).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let (schema, relname) = (cell(r, 1), cell(r, 2));
            let name = shown_name(schema, relname);
            let table = Some(cell(r, 5))
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            (
                cell(r, 0).to_owned(),
                Relation {
                    schema: schema.to_owned(),
                    relname: relname.to_owned(),
                    name,
                    relkind: cell(r, 3).to_owned(),
                    relfilenode: cell(r, 4).to_owned(),
                    table,
                    has_rows: cell(r, 6) == "true",
                },
            )
        })
        .collect())
}

/// Relations and schema snapshot. Inside the file's transaction the reads run in a
/// savepoint that is rolled back, so the locks they take do not add to the statement's.
async fn state(conn: &mut AnyBackend, in_block: bool, when: &str) -> Result<State, TraceError> {
    let during = |what: &str| TraceError::during(format!("reading the {what} {when}"));
    if in_block {
        conn.execute("SAVEPOINT bellows_trace_read")
            .await
            .map_err(during("schema"))?;
    }
    let relations = relations(conn).await.map_err(during("relations"))?;
    let snapshot = conn.snapshot(&[]).await.map_err(during("schema"))?;
    if in_block {
        conn.execute("ROLLBACK TO SAVEPOINT bellows_trace_read")
            .await
            .map_err(during("schema"))?;
        conn.execute("RELEASE SAVEPOINT bellows_trace_read")
            .await
            .map_err(during("schema"))?;
    }
    Ok(State {
        relations,
        snapshot,
    })
}

async fn own_locks(conn: &mut AnyBackend) -> Result<BTreeSet<(String, LockLevel)>, TraceError> {
    let rows = conn
        .query(OWN_LOCKS_SQL, &[])
        .await
        .map_err(TraceError::during("reading pg_locks"))?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((cell(r, 0).to_owned(), LockLevel::from_pg_mode(cell(r, 1))?)))
        .collect())
}

/// Traces the statements in order; stops after the first one the server refuses.
pub(super) async fn trace_statements(
    conn: &mut AnyBackend,
    cx: &Context<'_>,
    planned: &[Planned<'_>],
) -> Result<(Vec<StatementTrace>, Vec<String>), TraceError> {
    let pid = conn
        .query("SELECT pg_backend_pid()", &[])
        .await
        .map_err(TraceError::during("reading the session's pid"))?
        .first()
        .map(|r| cell(r, 0).parse::<i64>().unwrap_or(0))
        .unwrap_or(0);
    let mut tracer = Tracer {
        conn,
        cx,
        pid,
        observer: None,
        in_block: false,
    };
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for p in planned {
        let t = tracer.one(p).await?;
        let failed = t.error.is_some();
        out.push(t);
        if failed {
            break;
        }
    }
    if tracer.in_block && out.iter().all(|t| t.error.is_none()) {
        notes.push(
            "the file leaves its transaction open at the end; a session that ends rolls it back, and so did bellows"
                .to_owned(),
        );
        let _ = tracer.conn.execute("ROLLBACK").await;
    }
    Ok((out, notes))
}

struct Tracer<'c, 'x> {
    conn: &'c mut AnyBackend,
    cx: &'x Context<'x>,
    pid: i64,
    /// The second session, opened for the first statement that needs it.
    observer: Option<AnyBackend>,
    /// Inside the file's own `BEGIN … COMMIT`.
    in_block: bool,
}

/// What running a statement showed.
struct Ran {
    run: RunMode,
    result: Result<(), DbError>,
    elapsed: Duration,
    /// (OID, mode, only seen awaited, already held before the statement).
    locks: Vec<(String, LockLevel, bool, bool)>,
    caught_waiting: Option<bool>,
    notes: Vec<String>,
}

impl Tracer<'_, '_> {
    async fn one(&mut self, p: &Planned<'_>) -> Result<StatementTrace, TraceError> {
        let mut t = StatementTrace {
            number: p.number,
            line: p.line,
            sql: p.sql.clone(),
            ops: p.ops(),
            run: RunMode::TransactionControl,
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
            let start = Instant::now();
            let result = self.conn.execute(&p.sql).await;
            t.duration_ms = ms(start.elapsed());
            match result {
                Err(e) if is_lost(&e) => {
                    return Err(TraceError::during(format!(
                        "running statement {}",
                        p.number
                    ))(e))
                }
                Err(e) => t.error = Some(redact(&e.to_string())),
                Ok(_) => {
                    // `ROLLBACK [WORK | TRANSACTION] TO SAVEPOINT` stays in the block.
                    let k = keywords(&p.sql, 3);
                    match k.first().map(String::as_str) {
                        Some("BEGIN" | "START") => self.in_block = true,
                        Some("COMMIT" | "END" | "ABORT") => self.in_block = false,
                        Some("ROLLBACK") if !k.iter().any(|w| w == "TO") => self.in_block = false,
                        _ => {}
                    }
                }
            }
            return Ok(t);
        }

        let before = state(self.conn, self.in_block, "before the statement").await?;
        let ran = self.run(&p.sql, &before.relations).await?;
        t.run = ran.run;
        t.duration_ms = ms(ran.elapsed);
        t.caught_waiting = ran.caught_waiting;
        t.notes = ran.notes;
        if let Err(e) = ran.result {
            t.error = Some(redact(&e.to_string()));
            t.check = Check::not_compared("the server refused the statement");
            return Ok(t);
        }
        let after = state(self.conn, self.in_block, "after the statement").await?;
        t.changes = catalog_changes(&before.snapshot, &after.snapshot);
        let storage = storage_changes(&before.relations, &after.relations);
        t.locks = observed_locks(&ran.locks, &before.relations, &after.relations);
        t.check = check(
            p,
            self.cx,
            &before.relations,
            &ran.locks,
            &storage,
            &mut t.notes,
        );
        t.rewritten = storage.rewritten;
        t.emptied = storage.emptied;
        Ok(t)
    }

    /// Runs the statement in a transaction of its own (or the file's), or, when the
    /// server refuses that, outside one while a second session watches.
    async fn run(&mut self, sql: &str, before: &Relations) -> Result<Ran, TraceError> {
        let lost = |e: DbError| TraceError::during("running the statement")(e);
        let mut ran = Ran {
            run: RunMode::OwnTransaction,
            result: Ok(()),
            elapsed: Duration::ZERO,
            locks: Vec::new(),
            caught_waiting: None,
            notes: Vec::new(),
        };
        if self.in_block {
            ran.run = RunMode::FileTransaction;
            let held = own_locks(self.conn).await?;
            let start = Instant::now();
            let result = self.conn.execute(sql).await;
            ran.elapsed = start.elapsed();
            match result {
                Err(e) if is_lost(&e) => return Err(lost(e)),
                Err(e) => ran.result = Err(e),
                Ok(_) => {
                    ran.locks = own_locks(self.conn)
                        .await?
                        .into_iter()
                        .map(|(oid, mode)| {
                            let already = held.contains(&(oid.clone(), mode));
                            (oid, mode, false, already)
                        })
                        .collect();
                }
            }
            return Ok(ran);
        }

        self.conn
            .execute("BEGIN")
            .await
            .map_err(TraceError::during("starting a transaction"))?;
        let start = Instant::now();
        let result = self.conn.execute(sql).await;
        ran.elapsed = start.elapsed();
        match result {
            Ok(_) => {
                ran.locks = own_locks(self.conn)
                    .await?
                    .into_iter()
                    .map(|(oid, mode)| (oid, mode, false, false))
                    .collect();
                if let Err(e) = self.conn.execute("COMMIT").await {
                    if is_lost(&e) {
                        return Err(lost(e));
                    }
                    ran.result = Err(e);
                }
                Ok(ran)
            }
            Err(e) if is_lost(&e) => Err(lost(e)),
            Err(e) if e.code.as_deref() == Some(ACTIVE_SQL_TRANSACTION) => {
                self.conn
                    .execute("ROLLBACK")
                    .await
                    .map_err(TraceError::during("ending a transaction"))?;
                self.watched(sql, before).await
            }
            Err(e) => {
                self.conn
                    .execute("ROLLBACK")
                    .await
                    .map_err(TraceError::during("ending a transaction"))?;
                ran.result = Err(e);
                Ok(ran)
            }
        }
    }

    /// Runs a statement that refuses a transaction block, watched from a second session.
    ///
    /// The second session first takes SHARE UPDATE EXCLUSIVE on every table, so that a
    /// statement asking for SHARE UPDATE EXCLUSIVE or stronger has to queue: its request
    /// shows in `pg_locks` for certain. As soon as the statement is seen waiting the
    /// second session lets go, and keeps sampling `pg_locks` until the statement ends.
    async fn watched(&mut self, sql: &str, before: &Relations) -> Result<Ran, TraceError> {
        let mut observer = match self.observer.take() {
            Some(observer) => observer,
            None => {
                let url = self.cx.url;
                AnyBackend::connect(url)
                    .await
                    .map_err(|e| TraceError::Connect {
                        url: url.redacted(),
                        error: scrubbed(e),
                    })?
            }
        };
        let mut notes = Vec::new();
        let tables: Vec<String> = before
            .values()
            .filter(|r| matches!(r.relkind.as_str(), "r" | "p"))
            .map(Relation::quoted)
            .collect();
        let mut holding = false;
        if !tables.is_empty() {
            let hold = async {
                observer.execute("BEGIN").await?;
                observer.execute("SET LOCAL lock_timeout = '5s'").await?;
                observer
                    .execute(&format!(
                        "LOCK TABLE {} IN SHARE UPDATE EXCLUSIVE MODE",
                        tables.join(", ")
                    ))
                    .await
            };
            match hold.await {
                Ok(_) => holding = true,
                Err(e) if is_lost(&e) => {
                    return Err(TraceError::during(
                        "holding the tables from the second session",
                    )(e))
                }
                Err(e) => {
                    let _ = observer.execute("ROLLBACK").await;
                    notes.push(format!(
                        "the second session could not hold the tables back ({}); its locks were only sampled",
                        redact(&e.to_string())
                    ));
                }
            }
        }

        let done = AtomicBool::new(false);
        let conn = &mut *self.conn;
        let main = async {
            let start = Instant::now();
            let result = conn.execute(sql).await;
            done.store(true, Ordering::SeqCst);
            (result, start.elapsed())
        };
        let pid = self.pid;
        let watch = async {
            let mut seen: BTreeMap<(String, LockLevel), bool> = BTreeMap::new();
            let mut caught = false;
            let mut failure: Option<DbError> = None;
            loop {
                let finished = done.load(Ordering::SeqCst);
                match observer.query(SESSION_LOCKS_SQL, &[Value::Int(pid)]).await {
                    Ok(rows) => {
                        let mut waiting = false;
                        for r in &rows {
                            let granted = truthy(&r.get(3).cloned().flatten());
                            waiting |= !granted;
                            if cell(r, 0) != "relation" {
                                continue;
                            }
                            if let Some(mode) = LockLevel::from_pg_mode(cell(r, 2)) {
                                let awaited = seen
                                    .entry((cell(r, 1).to_owned(), mode))
                                    .or_insert(!granted);
                                *awaited &= !granted;
                            }
                        }
                        if waiting && holding {
                            caught = true;
                            holding = false;
                            if let Err(e) = observer.execute("COMMIT").await {
                                failure = Some(e);
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
                if finished {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            if holding {
                // Never waited: let go now.
                if let Err(e) = observer.execute("COMMIT").await {
                    failure.get_or_insert(e);
                }
            }
            // A second session that failed may still hold the tables: closing it makes the
            // server release them, so the statement can never be left waiting.
            let observer = if failure.is_none() {
                Some(observer)
            } else {
                drop(observer);
                None
            };
            (seen, caught, failure, observer)
        };
        let ((result, elapsed), (seen, caught, failure, observer)) = tokio::join!(main, watch);
        self.observer = observer;
        if let Some(e) = failure {
            if is_lost(&e) {
                return Err(TraceError::during("watching the statement")(e));
            }
            notes.push(format!(
                "watching pg_locks failed ({}); the locks shown may be incomplete",
                redact(&e.to_string())
            ));
        }
        if !caught {
            notes.push(
                "the statement never queued behind the second session: its locks were only sampled, and a brief one may be missing"
                    .to_owned(),
            );
        }
        let result = match result {
            Err(e) if is_lost(&e) => return Err(TraceError::during("running the statement")(e)),
            r => r.map(|_| ()),
        };
        Ok(Ran {
            run: RunMode::SecondSession,
            result,
            elapsed,
            locks: seen
                .into_iter()
                .map(|((oid, mode), awaited)| (oid, mode, awaited, false))
                .collect(),
            caught_waiting: Some(caught),
            notes,
        })
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// The observed locks on relations of the user schemas, named.
fn observed_locks(
    locks: &[(String, LockLevel, bool, bool)],
    before: &Relations,
    after: &Relations,
) -> Vec<ObservedLock> {
    let mut out: Vec<ObservedLock> = locks
        .iter()
        .filter_map(|(oid, mode, awaited, already)| {
            let rel = before.get(oid).or_else(|| after.get(oid))?;
            Some(ObservedLock {
                relation: rel.name.clone(),
                kind: rel.kind().to_owned(),
                mode: *mode,
                requested: *awaited,
                new_relation: !before.contains_key(oid),
                already_held: *already,
                blocks_reads: mode.blocks_reads(),
                blocks_writes: mode.blocks_writes(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.relation, std::cmp::Reverse(a.mode)).cmp(&(&b.relation, std::cmp::Reverse(b.mode)))
    });
    out
}

/// What happened to the storage of the relations that existed before.
struct Storage {
    rewritten: Vec<StorageChange>,
    emptied: Vec<StorageChange>,
    /// OIDs of the tables whose storage was replaced while they kept their rows.
    rewritten_oids: BTreeSet<String>,
}

/// Relations whose `relfilenode` changed: rewritten when they kept their rows, emptied
/// when the new storage is empty (`TRUNCATE`, or any table that had no rows). An index
/// of an emptied table is emptied with it.
fn storage_changes(before: &Relations, after: &Relations) -> Storage {
    let mut out = Storage {
        rewritten: Vec::new(),
        emptied: Vec::new(),
        rewritten_oids: BTreeSet::new(),
    };
    let replaced: Vec<(&String, &Relation, &Relation)> = before
        .iter()
        .filter_map(|(oid, b)| {
            let a = after.get(oid)?;
            (b.has_storage() && a.relfilenode != b.relfilenode && a.relfilenode != "0")
                .then_some((oid, b, a))
        })
        .collect();
    let mut emptied_tables = BTreeSet::new();
    for (oid, b, a) in &replaced {
        if b.relkind != "i" && !(b.has_rows && a.has_rows) {
            emptied_tables.insert((*oid).clone());
        }
    }
    for (oid, b, _) in &replaced {
        let change = StorageChange {
            relation: b.name.clone(),
            kind: b.kind().to_owned(),
        };
        let emptied = emptied_tables.contains(*oid)
            || b.table.as_ref().is_some_and(|t| emptied_tables.contains(t));
        if emptied {
            out.emptied.push(change);
        } else {
            if b.relkind != "i" {
                out.rewritten_oids.insert((*oid).clone());
            }
            out.rewritten.push(change);
        }
    }
    out.rewritten.sort_by(|a, b| a.relation.cmp(&b.relation));
    out.emptied.sort_by(|a, b| a.relation.cmp(&b.relation));
    out
}

/// One relation the linter's facts are compared on.
struct Target {
    /// OIDs whose locks count.
    oids: Vec<String>,
    /// The table (or materialized view) whose rewrite counts, if any.
    table: Option<String>,
    lock: Option<LockLevel>,
    rewrites: bool,
}

/// The PostgreSQL comparison (docs/trace.md, "Disagreement"): for each relation a fact is
/// stated about that existed before the statement, the strongest lock the statement took
/// on it must be the linter's level, and its storage must have been rewritten exactly when
/// the linter says `rewrite`.
fn check(
    p: &Planned<'_>,
    cx: &Context<'_>,
    before: &Relations,
    locks: &[(String, LockLevel, bool, bool)],
    storage: &Storage,
    notes: &mut Vec<String>,
) -> Check {
    let Some(stmt) = p.analyzed else {
        return Check::not_compared("the linter did not read this statement");
    };
    if stmt.invalid.is_some() {
        return Check::not_compared("the linter could not read this statement");
    }
    let by_name: BTreeMap<&str, &String> = before
        .iter()
        .map(|(oid, r)| (r.name.as_str(), oid))
        .collect();
    let find = |n: &Name| by_name.get(n.as_str()).copied();
    let mut targets: BTreeMap<String, Target> = BTreeMap::new();
    for info in &stmt.ops {
        let fact = linter_fact(info, cx.dialect, cx.version);
        for subject in subjects(&info.op) {
            let resolved = match &subject {
                Subject::Relation(n) => find(n).map(|oid| {
                    let storage = before
                        .get(oid)
                        .is_some_and(|r| matches!(r.relkind.as_str(), "r" | "m"));
                    (
                        n.to_string(),
                        vec![oid.clone()],
                        storage.then(|| oid.clone()),
                    )
                }),
                Subject::TableOfIndex(n) => find(n)
                    .and_then(|idx| before.get(idx)?.table.clone())
                    .and_then(|t| Some((before.get(&t)?.name.clone(), vec![t.clone()], None))),
                Subject::TableAndIndexes(n) => find(n).map(|table| {
                    let mut oids = vec![table.clone()];
                    oids.extend(
                        before
                            .iter()
                            .filter(|(_, r)| r.table.as_ref() == Some(table))
                            .map(|(oid, _)| oid.clone()),
                    );
                    (n.to_string(), oids, Some(table.clone()))
                }),
                Subject::IndexAndTable(n) => find(n).map(|idx| {
                    let mut oids = vec![idx.clone()];
                    oids.extend(before.get(idx).and_then(|r| r.table.clone()));
                    (n.to_string(), oids, None)
                }),
            };
            // A relation the statement itself creates cannot block anyone.
            let Some((name, oids, table)) = resolved else {
                continue;
            };
            let target = targets.entry(name).or_insert(Target {
                oids,
                table,
                lock: None,
                rewrites: false,
            });
            if let Some(f) = fact {
                target.lock = Some(target.lock.map_or(f.lock, |l| l.max(f.lock)));
                target.rewrites |= fact_rewrites(&f);
            }
        }
    }
    let mut facets = Vec::new();
    for (name, target) in &targets {
        let on_target = locks.iter().filter(|l| target.oids.contains(&l.0));
        let held = on_target
            .clone()
            .map(|l| l.1)
            .max()
            .unwrap_or(LockLevel::None);
        let new = on_target
            .filter(|l| !l.3)
            .map(|l| l.1)
            .max()
            .unwrap_or(LockLevel::None);
        let took = if held == new {
            format!("took {}", level_name(held))
        } else {
            format!(
                "took {} (the transaction already held {})",
                level_name(new),
                level_name(held)
            )
        };
        let Some(lock) = target.lock else {
            facets.push(Facet {
                relation: name.clone(),
                aspect: Aspect::Lock,
                linter: "no static fact".to_owned(),
                server: took,
                outcome: FacetOutcome::NoStaticFact,
            });
            continue;
        };
        // In the file's transaction, a mode the transaction already holds is not listed
        // again: the statement's own strongest lock lies between `new` and `held`.
        let agrees = new <= lock && lock <= held;
        facets.push(Facet {
            relation: name.clone(),
            aspect: Aspect::Lock,
            linter: level_name(lock).to_owned(),
            server: took,
            outcome: if agrees {
                FacetOutcome::Agrees
            } else {
                FacetOutcome::Disagrees
            },
        });
        let Some(table) = &target.table else {
            continue;
        };
        if !before.get(table).is_some_and(|r| r.has_rows) {
            notes.push(format!(
                "rewrite of {name} not compared: it had no rows, and on an empty table a rewrite cannot be told from a TRUNCATE"
            ));
            continue;
        }
        let rewritten = storage.rewritten_oids.contains(table);
        facets.push(Facet {
            relation: name.clone(),
            aspect: Aspect::Rewrite,
            linter: rewrite_word(target.rewrites).to_owned(),
            server: if rewritten {
                "rewrote it".to_owned()
            } else {
                "did not rewrite it".to_owned()
            },
            outcome: if rewritten == target.rewrites {
                FacetOutcome::Agrees
            } else {
                FacetOutcome::Disagrees
            },
        });
    }
    Check::from_facets(
        facets,
        "no table, index or view that existed before the statement is involved",
    )
}

fn level_name(level: LockLevel) -> &'static str {
    match level {
        LockLevel::None => "no lock",
        l => l.as_str(),
    }
}

/// Seeds every empty table of the user schemas with `rows` rows (parents of partitioned
/// tables included, their partitions through them). A table with a NOT NULL column whose
/// type has no generated value, or whose rows the server refuses, is left empty.
pub(super) async fn seed(conn: &mut AnyBackend, rows: u32) -> Result<Vec<Seeded>, TraceError> {
    let tables = conn
        .query(
            "SELECT c.oid::text, n.nspname, c.relname FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
              ORDER BY n.nspname, c.relname",
            &[],
        )
        .await
        .map_err(TraceError::during("listing the tables to seed"))?;
    let mut out = Vec::new();
    let mut pending: Vec<(String, String)> = Vec::new();
    for t in &tables {
        let (oid, schema, name) = (cell(t, 0), cell(t, 1), cell(t, 2));
        let shown = shown_name(schema, name);
        let quoted = format!(
            "{}.{}",
            quote_ident(Dialect::Postgres, schema),
            quote_ident(Dialect::Postgres, name)
        );
        let has_rows = conn
            .query(&format!("SELECT EXISTS (SELECT 1 FROM {quoted})"), &[])
            .await
            .map_err(TraceError::during(format!("reading {shown}")))?
            .first()
            .is_some_and(|r| truthy(&r.first().cloned().flatten()));
        if has_rows {
            out.push(Seeded {
                table: shown,
                rows: 0,
                skipped: Some("has rows already".to_owned()),
            });
            continue;
        }
        match insert_for(conn, oid, &quoted, rows).await? {
            Ok(sql) => pending.push((shown, sql)),
            Err(why) => out.push(Seeded {
                table: shown,
                rows: 0,
                skipped: Some(why),
            }),
        }
    }
    let edges: Vec<(String, String)> = conn
        .query(
            "SELECT cn.nspname, cl.relname, pn.nspname, pl.relname FROM pg_constraint c \
               JOIN pg_class cl ON cl.oid = c.conrelid \
               JOIN pg_namespace cn ON cn.oid = cl.relnamespace \
               JOIN pg_class pl ON pl.oid = c.confrelid \
               JOIN pg_namespace pn ON pn.oid = pl.relnamespace \
              WHERE c.contype = 'f'",
            &[],
        )
        .await
        .map_err(TraceError::during("reading the foreign keys"))?
        .iter()
        .map(|r| {
            (
                shown_name(cell(r, 0), cell(r, 1)),
                shown_name(cell(r, 2), cell(r, 3)),
            )
        })
        .collect();
    insert_seeds(
        conn,
        parents_first(pending, &edges),
        FOREIGN_KEY_VIOLATION,
        &mut out,
    )
    .await?;
    if out.iter().any(|s| s.rows > 0) {
        refresh_materialized_views(conn, &mut out).await?;
    }
    out.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(out)
}

/// Materialized views are refreshed after their tables got rows, oldest first (a view
/// built on another is younger), so that they hold rows too.
async fn refresh_materialized_views(
    conn: &mut AnyBackend,
    out: &mut Vec<Seeded>,
) -> Result<(), TraceError> {
    let views = conn
        .query(
            "SELECT n.nspname, c.relname FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind = 'm' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
              ORDER BY c.oid",
            &[],
        )
        .await
        .map_err(TraceError::during("listing the materialized views"))?;
    for v in &views {
        let (schema, name) = (cell(v, 0), cell(v, 1));
        let shown = shown_name(schema, name);
        let quoted = format!(
            "{}.{}",
            quote_ident(Dialect::Postgres, schema),
            quote_ident(Dialect::Postgres, name)
        );
        let refreshed = match conn
            .execute(&format!("REFRESH MATERIALIZED VIEW {quoted}"))
            .await
        {
            Ok(_) => conn
                .query(&format!("SELECT count(*) FROM {quoted}"), &[])
                .await
                .map(|rows| {
                    rows.first()
                        .map_or(0, |r| cell(r, 0).parse::<u64>().unwrap_or(0))
                }),
            Err(e) => Err(e),
        };
        out.push(match refreshed {
            Ok(rows) => Seeded {
                table: shown,
                rows,
                skipped: None,
            },
            Err(e) if is_lost(&e) => {
                return Err(TraceError::during(format!("refreshing {shown}"))(e))
            }
            Err(e) => Seeded {
                table: shown,
                rows: 0,
                skipped: Some(format!("refreshing it failed: {}", redact(&e.message))),
            },
        });
    }
    Ok(())
}

/// The `INSERT … SELECT … FROM generate_series` that fills a table, or why there is none.
async fn insert_for(
    conn: &mut AnyBackend,
    oid: &str,
    quoted: &str,
    rows: u32,
) -> Result<Result<String, String>, TraceError> {
    let columns = conn
        .query(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
                    (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '')::text, \
                    t.typname, t.typtype::text, \
                    (SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid \
                      ORDER BY e.enumsortorder LIMIT 1) \
               FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
              WHERE a.attrelid = $1::text::oid AND a.attnum > 0 AND NOT a.attisdropped \
              ORDER BY a.attnum",
            &[Value::Text(oid.to_owned())],
        )
        .await
        .map_err(TraceError::during("reading the columns to seed"))?;
    let mut names = Vec::new();
    let mut values = Vec::new();
    for c in &columns {
        let (name, ty, not_null, defaulted) = (cell(c, 0), cell(c, 1), cell(c, 2), cell(c, 3));
        if defaulted == "true" {
            continue;
        }
        match generated_value(cell(c, 4), cell(c, 5), c.get(6).cloned().flatten()) {
            Some(expr) => {
                names.push(quote_ident(Dialect::Postgres, name));
                values.push(format!("CAST({expr} AS {ty})"));
            }
            None if not_null == "true" => {
                return Ok(Err(format!(
                    "column {name} is NOT NULL and of type {ty}, for which bellows makes no values"
                )))
            }
            None => {}
        }
    }
    Ok(Ok(if names.is_empty() {
        format!("INSERT INTO {quoted} SELECT FROM generate_series(1, {rows}) AS s(g)")
    } else {
        format!(
            "INSERT INTO {quoted} ({}) SELECT {} FROM generate_series(1, {rows}) AS s(g)",
            names.join(", "),
            values.join(", ")
        )
    }))
}

/// A value for row `g` of a column of base type `typname`: distinct per row, so unique
/// keys hold, and the same for the same `g` in every table, so a foreign key to a seeded
/// table finds its row.
fn generated_value(typname: &str, typtype: &str, enum_first: Option<String>) -> Option<String> {
    const TS: &str = "(timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute')";
    if typtype == "e" {
        return enum_first.map(|l| format!("'{}'", l.replace('\'', "''")));
    }
    Some(match typname {
        "int2" | "int4" | "int8" | "numeric" | "float4" | "float8" => "g".to_owned(),
        "text" | "varchar" | "bpchar" | "citext" | "name" => "'x' || g".to_owned(),
        "bool" => "g % 2 = 0".to_owned(),
        "timestamptz" | "timestamp" => TS.to_owned(),
        "date" => "date '2024-01-01' + g".to_owned(),
        "time" | "timetz" => "time '00:00' + g * interval '1 second'".to_owned(),
        "interval" => "g * interval '1 second'".to_owned(),
        "uuid" => "md5(g::text)::uuid".to_owned(),
        "json" | "jsonb" => "json_build_object('n', g)".to_owned(),
        "bytea" => "decode(md5(g::text), 'hex')".to_owned(),
        "inet" => "inet '10.0.0.0' + g".to_owned(),
        "tstzrange" | "tsrange" => format!("tstzrange({TS}, {TS} + interval '1 minute')"),
        "daterange" => "daterange(date '2024-01-01' + g, date '2024-01-01' + g + 1)".to_owned(),
        "int4range" | "int8range" => "int8range(g, g + 1)".to_owned(),
        "numrange" => "numrange(g, g + 1)".to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(name: &str, relkind: &str, node: &str, table: Option<&str>, rows: bool) -> Relation {
        Relation {
            schema: "public".into(),
            relname: name.into(),
            name: name.into(),
            relkind: relkind.into(),
            relfilenode: node.into(),
            table: table.map(str::to_owned),
            has_rows: rows,
        }
    }

    #[test]
    fn storage_changes_tell_rewrites_from_truncates() {
        let before: Relations = [
            ("1".to_owned(), rel("users", "r", "10", None, true)),
            (
                "2".to_owned(),
                rel("users_pkey", "i", "11", Some("1"), false),
            ),
            ("3".to_owned(), rel("log", "r", "12", None, true)),
            ("4".to_owned(), rel("log_pkey", "i", "13", Some("3"), false)),
            ("5".to_owned(), rel("parent", "p", "0", None, false)),
        ]
        .into_iter()
        .collect();
        let mut after = before.clone();
        after.insert("1".into(), rel("users", "r", "20", None, true));
        after.insert("2".into(), rel("users_pkey", "i", "21", Some("1"), false));
        after.insert("3".into(), rel("log", "r", "22", None, false));
        after.insert("4".into(), rel("log_pkey", "i", "23", Some("3"), false));
        let s = storage_changes(&before, &after);
        let names = |v: &[StorageChange]| v.iter().map(|c| c.relation.clone()).collect::<Vec<_>>();
        assert_eq!(names(&s.rewritten), vec!["users", "users_pkey"]);
        assert_eq!(names(&s.emptied), vec!["log", "log_pkey"]);
        assert!(s.rewritten_oids.contains("1") && !s.rewritten_oids.contains("2"));
    }

    #[test]
    fn seeded_values_cover_the_common_types() {
        assert_eq!(generated_value("int8", "b", None).as_deref(), Some("g"));
        assert_eq!(
            generated_value("order_status", "e", Some("it's".into())).as_deref(),
            Some("'it''s'")
        );
        assert!(generated_value("tsvector", "b", None).is_none());
    }
}
