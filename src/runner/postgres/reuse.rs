//! Snapshots that reuse what the previous one read (`Backend::reuse_snapshots`).
//!
//! Rendering a definition (`pg_get_viewdef`, `pg_get_indexdef`, `format_type`, …) is
//! what a snapshot costs, and it grows with the schema; `migrate verify` takes three
//! snapshots per migration, most of which differ from the previous one by a few objects.
//! So each snapshot first reads, cheaply, a version key for every user object: the `xmin`
//! (writing transaction) of each catalog row its items are rendered from. A relation's key
//! covers its `pg_class` row, its columns, defaults, indexes (and their `pg_class` rows),
//! constraints, triggers, rules, inheritance and sequence row; other objects (types with
//! their enum labels and domain checks, functions, schemas, collations, operators,
//! extensions, …) are keyed by their own rows.
//!
//! Only relations are reused. A relation is read again when its key changed, or when it
//! depends (`pg_depend`, directly or through other relations) on a relation whose key
//! changed or that is gone: a view when a table it reads renames a column, a foreign key
//! when the table it references is renamed, a default when its sequence is. When any
//! non-relation object is new, gone or changed, or the excluded names or the masked
//! dates changed, everything is read again (a function or type can change how any
//! definition prints). Keys compare for equality only, so a change the key misses would
//! have to leave every catalog row of the object and of everything it depends on
//! untouched.

use super::super::backend::SnapshotItem;
use std::collections::{HashMap, HashSet};

/// What the last snapshot read, by relation OID.
#[derive(Default)]
pub(super) struct Reuse {
    /// Whether the fields below describe the last snapshot (false before the first, and
    /// after a snapshot that failed half way).
    pub(super) filled: bool,
    pub(super) exclude: Vec<String>,
    pub(super) days: [String; 3],
    /// `(kind, oid)` → version key, for every object the keys query lists.
    pub(super) keys: HashMap<(String, String), String>,
    /// Every relation by OID: its name, schema and whether it is excluded.
    pub(super) relations: HashMap<String, super::Relation>,
    /// Each relation's items: its own, its columns', indexes', constraints' and
    /// triggers'.
    pub(super) owned: HashMap<String, Vec<SnapshotItem>>,
}

impl Reuse {
    /// The relations whose key changed, appeared or disappeared since the last snapshot
    /// (their dependents still to be added), or `None` to read everything.
    pub(super) fn changed(
        &self,
        now: &HashMap<(String, String), String>,
        exclude: &[&str],
        days: &[String; 3],
    ) -> Option<HashSet<String>> {
        if !self.filled || self.days != *days || self.exclude != exclude {
            return None;
        }
        let mut changed: Vec<&(String, String)> = now
            .iter()
            .filter(|(k, v)| self.keys.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .collect();
        changed.extend(self.keys.keys().filter(|k| !now.contains_key(*k)));
        if changed.iter().any(|(kind, _)| kind != "class") {
            return None;
        }
        Some(changed.into_iter().map(|(_, oid)| oid.clone()).collect())
    }
}

/// The parts of every user object's version key: `(kind, oid, part, value)`, one row
/// per catalog the object has rows in; [`keys`] joins them. Kind `class` for relations and
/// sequences (keyed by their own row, columns, defaults, indexes, constraints, triggers,
/// rules, inheritance and sequence row), else the catalog's name. Reads no definitions
/// and uses no correlated subqueries, so it stays cheap as the schema grows.
pub(super) fn sql_keys() -> String {
    let first = super::FIRST_USER_OID;
    let grouped = |kind: &str, part: &str, owner: &str, value: &str, from: &str| {
        format!(
            "SELECT '{kind}', {owner}::text, '{part}', \
                    string_agg({value}, ',' ORDER BY {value}) \
             FROM {from} AND {owner} >= {first} GROUP BY {owner}"
        )
    };
    let mut parts = vec![
        format!(
            "SELECT 'class', c.oid::text, 'c', c.xmin::text FROM pg_class c \
             WHERE c.oid >= {first} AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')"
        ),
        grouped(
            "class",
            "a",
            "a.attrelid",
            "a.attnum || ':' || a.xmin",
            "pg_attribute a WHERE a.attnum > 0",
        ),
        grouped(
            "class",
            "d",
            "d.adrelid",
            "d.oid || ':' || d.xmin",
            "pg_attrdef d WHERE true",
        ),
        grouped(
            "class",
            "i",
            "i.indrelid",
            "i.indexrelid || ':' || i.xmin || ':' || ic.xmin",
            "pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE true",
        ),
        grouped(
            "class",
            "k",
            "k.conrelid",
            "k.oid || ':' || k.xmin",
            "pg_constraint k WHERE k.conrelid <> 0",
        ),
        grouped(
            "class",
            "t",
            "t.tgrelid",
            "t.oid || ':' || t.xmin",
            "pg_trigger t WHERE true",
        ),
        grouped(
            "class",
            "r",
            "r.ev_class",
            "r.oid || ':' || r.xmin",
            "pg_rewrite r WHERE true",
        ),
        grouped(
            "class",
            "h",
            "h.inhrelid",
            "h.inhparent || ':' || h.xmin",
            "pg_inherits h WHERE true",
        ),
        grouped(
            "class",
            "s",
            "s.seqrelid",
            "s.xmin::text",
            "pg_sequence s WHERE true",
        ),
        // A table's own row type (and every array type) changes with the table: they
        // are covered by its key.
        format!(
            "SELECT 'type', t.oid::text, 't', t.xmin::text \
             FROM pg_type t LEFT JOIN pg_class tc ON tc.oid = t.typrelid \
             WHERE t.oid >= {first} AND t.typcategory <> 'A' \
               AND (t.typrelid = 0 OR tc.relkind = 'c')"
        ),
        grouped(
            "type",
            "e",
            "e.enumtypid",
            "e.oid || ':' || e.xmin",
            "pg_enum e WHERE true",
        ),
        grouped(
            "type",
            "k",
            "k.contypid",
            "k.oid || ':' || k.xmin",
            "pg_constraint k WHERE k.contypid <> 0",
        ),
    ];
    for catalog in [
        "pg_proc",
        "pg_namespace",
        "pg_collation",
        "pg_operator",
        "pg_opclass",
        "pg_opfamily",
        "pg_cast",
        "pg_extension",
        "pg_ts_config",
        "pg_ts_dict",
        "pg_language",
        "pg_foreign_server",
        "pg_foreign_table",
    ] {
        let oid = if catalog == "pg_foreign_table" {
            "ftrelid"
        } else {
            "oid"
        };
        parts.push(format!(
            "SELECT '{catalog}', {oid}::text, '', xmin::text FROM pg_catalog.{catalog} \
             WHERE {oid} >= {first}"
        ));
    }
    parts.join(" UNION ALL ")
}

/// The rows of [`sql_keys`] as one key per object.
pub(super) fn keys(rows: &[super::Row]) -> HashMap<(String, String), String> {
    let mut parts: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
    for r in rows {
        parts
            .entry((super::cell(r, 0).to_owned(), super::cell(r, 1).to_owned()))
            .or_default()
            .push((super::cell(r, 2).to_owned(), super::cell(r, 3).to_owned()));
    }
    parts
        .into_iter()
        .map(|(k, mut v)| {
            v.sort();
            let key = v
                .iter()
                .map(|(part, value)| format!("{part}={value}"))
                .collect::<Vec<_>>()
                .join("/");
            (k, key)
        })
        .collect()
}

/// The relations that depend on one of the relations `$1` (by OID): it, or what belongs
/// to it (an index, rule, default, constraint or trigger), depends on that relation, one
/// of its indexes or its row type.
pub(super) fn sql_dependents() -> String {
    let owner = "CASE d.classid \
         WHEN 'pg_catalog.pg_class'::regclass THEN coalesce( \
           (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = d.objid), d.objid) \
         WHEN 'pg_catalog.pg_rewrite'::regclass THEN \
           (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid) \
         WHEN 'pg_catalog.pg_attrdef'::regclass THEN \
           (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid) \
         WHEN 'pg_catalog.pg_constraint'::regclass THEN \
           (SELECT nullif(k.conrelid, 0) FROM pg_constraint k WHERE k.oid = d.objid) \
         WHEN 'pg_catalog.pg_trigger'::regclass THEN \
           (SELECT t.tgrelid FROM pg_trigger t WHERE t.oid = d.objid) \
       END";
    format!(
        "SELECT DISTINCT x.owner::text FROM ( \
           SELECT {owner} AS owner FROM pg_depend d \
           WHERE d.refclassid = 'pg_catalog.pg_class'::regclass \
             AND d.refobjid IN (SELECT unnest($1::oid[]) \
                                UNION ALL SELECT i.indexrelid FROM pg_index i \
                                          WHERE i.indrelid = ANY($1::oid[])) \
           UNION ALL \
           SELECT {owner} FROM pg_depend d \
           WHERE d.refclassid = 'pg_catalog.pg_type'::regclass \
             AND d.refobjid IN (SELECT c.reltype FROM pg_class c WHERE c.oid = ANY($1::oid[])) \
         ) x \
         WHERE x.owner IS NOT NULL AND x.owner >= {} AND NOT x.owner = ANY($1::oid[])",
        super::FIRST_USER_OID
    )
}
