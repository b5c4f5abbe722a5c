//! The names of schema differences: how `migrate verify` names what differs between two
//! snapshots, and the `[verify] accept` entries of `migration.toml` that name the
//! differences a reviewer accepted.
//!
//! Owns the vocabulary and its strict parsing; it does not compare snapshots (that is
//! `runner/verify.rs`, which builds a [`Difference`] per differing object).
//!
//! An object is named by its kind and name, and a part of a table by the table:
//!
//! ```text
//! table users                      view latest_posts            sequence ids
//! table users: column email        materialized view stats      enum mood
//! index users_email_idx on users   function touch(integer)      domain email
//! constraint users_pkey on users   procedure purge()            type address
//! trigger users_touch on users     extension ltree
//! ```
//!
//! (PostgreSQL names functions with their argument types, MySQL without.)
//!
//! A difference is an object that exists on one side only (named as the object), or that
//! exists on both sides with another definition (the object's name and `: definition`).
//! An accept entry naming an object accepts every difference of it; one ending in
//! `: definition` accepts only a changed definition.

use serde::Deserialize;
use std::fmt;

/// Kinds of objects that stand on their own (not parts of a table).
const KINDS: &[&str] = &[
    "materialized view",
    "table",
    "view",
    "sequence",
    "enum",
    "domain",
    "type",
    "function",
    "procedure",
    "extension",
];

/// Kinds of objects that belong to a table and are named `<kind> <name> on <table>`.
const TABLE_PARTS: &[&str] = &["index", "constraint", "trigger"];

const DEFINITION: &str = ": definition";

/// One difference between two snapshots: `object` names the object, `changed` says it
/// exists on both sides with another definition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Difference {
    pub object: String,
    pub changed: bool,
}

impl Difference {
    /// The difference's name: the object, with `: definition` when it changed.
    pub fn name(&self) -> String {
        if self.changed {
            format!("{}{DEFINITION}", self.object)
        } else {
            self.object.clone()
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The name of a snapshot item's object: `kind` and `name` as the snapshot gives them,
/// `table` the table a column, index, constraint or trigger belongs to.
pub fn object_name(kind: &str, name: &str, table: Option<&str>) -> String {
    match (kind, table) {
        ("column", Some(t)) => format!("table {t}: column {name}"),
        (_, Some(t)) => format!("{kind} {name} on {t}"),
        _ => format!("{kind} {name}"),
    }
}

/// One entry of `[verify] accept`, read strictly: it must name an object in the
/// vocabulary of this module.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Accept {
    /// The entry as written.
    pub text: String,
    object: String,
    definition_only: bool,
}

impl Accept {
    /// Reads an entry; the error says what a name looks like.
    pub fn parse(text: &str) -> Result<Accept, String> {
        let (object, definition_only) = match text.strip_suffix(DEFINITION) {
            Some(object) => (object, true),
            None => (text, false),
        };
        check_object(object).map_err(|why| {
            format!(
                "`{text}` is not a difference bellows reports: {why}; write e.g. \"table users: column email\", \"index users_email_idx on users\" or \"view latest_posts: definition\""
            )
        })?;
        Ok(Accept {
            text: text.to_owned(),
            object: object.to_owned(),
            definition_only,
        })
    }

    /// Whether this entry accepts the difference.
    pub fn accepts(&self, d: &Difference) -> bool {
        self.object == d.object && (d.changed || !self.definition_only)
    }
}

impl TryFrom<String> for Accept {
    type Error = String;
    fn try_from(text: String) -> Result<Accept, String> {
        Accept::parse(&text)
    }
}

/// A name must not be empty nor begin or end with whitespace.
fn check_name(name: &str, what: &str) -> Result<(), String> {
    if name.is_empty() {
        Err(format!("the {what} name is missing"))
    } else if name.trim() != name {
        Err(format!("the {what} name `{name}` has surrounding spaces"))
    } else {
        Ok(())
    }
}

fn check_object(object: &str) -> Result<(), String> {
    if let Some(rest) = object.strip_prefix("table ") {
        return match rest.split_once(": column ") {
            Some((table, column)) => {
                check_name(table, "table")?;
                check_name(column, "column")
            }
            None if rest.contains(": ") => Err(format!(
                "after `table {}` only `: column <name>` or `: definition` may follow",
                rest.split(": ").next().unwrap_or_default()
            )),
            None => check_name(rest, "table"),
        };
    }
    for kind in TABLE_PARTS {
        if let Some(rest) = object.strip_prefix(kind).and_then(|r| r.strip_prefix(' ')) {
            let Some((name, table)) = rest.rsplit_once(" on ") else {
                let article = if *kind == "index" { "an" } else { "a" };
                return Err(format!(
                    "{article} {kind} is named with its table: `{kind} <name> on <table>`"
                ));
            };
            check_name(name, kind)?;
            return check_name(table, "table");
        }
    }
    for kind in KINDS {
        if let Some(rest) = object.strip_prefix(kind).and_then(|r| r.strip_prefix(' ')) {
            check_name(rest, kind)?;
            if rest.contains(": ") {
                return Err(format!(
                    "after `{kind} <name>` only `: definition` may follow"
                ));
            }
            return Ok(());
        }
    }
    Err(
        "a name begins with table, view, materialized view, index, constraint, trigger, sequence, enum, domain, type, function, procedure or extension"
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(object: &str, changed: bool) -> Difference {
        Difference {
            object: object.into(),
            changed,
        }
    }

    #[test]
    fn names_read_back_as_accept_entries() {
        for (kind, name, table) in [
            ("table", "users", None),
            ("column", "email", Some("users")),
            ("index", "users_email_idx", Some("users")),
            ("constraint", "users_pkey", Some("audit.users")),
            ("trigger", "touch", Some("users")),
            ("view", "latest_posts", None),
            ("materialized view", "stats", None),
            ("function", "touch(integer, text)", None),
            ("procedure", "purge()", None),
            ("sequence", "ids", None),
            ("extension", "ltree", None),
        ] {
            let object = object_name(kind, name, table);
            for changed in [false, true] {
                let diff = d(&object, changed);
                let entry = Accept::parse(&diff.name()).unwrap_or_else(|e| panic!("{e}"));
                assert!(entry.accepts(&diff), "{}", diff.name());
            }
        }
        assert_eq!(
            object_name("column", "email", Some("users")),
            "table users: column email"
        );
        assert_eq!(
            d("view latest_posts", true).to_string(),
            "view latest_posts: definition"
        );
    }

    #[test]
    fn an_object_accepts_every_difference_of_it_a_definition_only_a_change() {
        let any = Accept::parse("view v").unwrap();
        let changed = Accept::parse("view v: definition").unwrap();
        assert!(any.accepts(&d("view v", false)));
        assert!(any.accepts(&d("view v", true)));
        assert!(!changed.accepts(&d("view v", false)));
        assert!(changed.accepts(&d("view v", true)));
        assert!(!any.accepts(&d("view w", true)));
        assert!(!any.accepts(&d("materialized view v", true)));
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        for (text, why) in [
            ("indx foo", "a name begins with table"),
            ("index foo", "`index <name> on <table>`"),
            ("constraint c", "a constraint is named"),
            ("table ", "the table name is missing"),
            ("table t: colum c", "only `: column <name>`"),
            ("functions f", "a name begins with"),
            ("view  v", "surrounding spaces"),
            ("", "a name begins with"),
            (
                "view v: definition: definition",
                "only `: definition` may follow",
            ),
        ] {
            let err = Accept::parse(text)
                .err()
                .unwrap_or_else(|| panic!("{text}"));
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
