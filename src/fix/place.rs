//! Where a follow-up migration goes: the version right after a migration, named and laid
//! out the way its catalog's layout names and lays out migrations.

use super::{NewFile, Project};
use crate::catalog::layout::{Layout, Migration};
use crate::catalog::sections::Markers;
use crate::files::natural_cmp;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// Where a new migration's parts go in a layout, named like the migration it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placed {
    /// Its id (`0009_x`, `V8.1__x`, `2024-01-01-120001_x`).
    pub id: String,
    /// The forward script (for dbmate and goose, the one file that holds both sections).
    pub up: PathBuf,
    /// The rollback script: `None` when the layout keeps it in the up file's down section
    /// ([`Placed::sections`]) or has no place for one (one file per migration).
    pub down: Option<PathBuf>,
    /// `verify.sql` (native and diesel only).
    pub verify: Option<PathBuf>,
    /// `migration.toml`, or the sidecar `<id>.toml` of a file layout.
    pub meta: PathBuf,
    /// diesel's own `metadata.toml` (`run_in_transaction`).
    pub diesel_metadata: Option<PathBuf>,
    pub sections: Option<Markers>,
}

impl Placed {
    /// The text of the up file: the up script, or for dbmate and goose both sections (and
    /// the layout's own no-transaction marker when `transaction` is false).
    pub fn file_text(&self, up: &str, down: &str, transaction: bool) -> String {
        match self.sections {
            Some(Markers::Goose) => format!(
                "{}-- +goose Up\n{up}\n-- +goose Down\n{down}",
                if transaction {
                    ""
                } else {
                    "-- +goose NO TRANSACTION\n"
                }
            ),
            Some(Markers::Dbmate) => format!(
                "-- migrate:up{}\n{up}\n-- migrate:down\n{down}",
                if transaction {
                    ""
                } else {
                    " transaction:false"
                }
            ),
            None => up.to_owned(),
        }
    }
}

/// A new migration `<version>_<name>` placed the way `like` (a migration of the same
/// catalog) is: a directory beside it, or files named like its files. Sqitch and Prisma
/// migrations are made by their own tools.
pub(crate) fn placed(
    layout: Layout,
    like: &Migration,
    version: &str,
    name: &str,
) -> Result<Placed, String> {
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    match layout {
        Layout::Sqitch | Layout::Prisma => Err(format!(
            "new migrations in the {layout} layout are made by its own tool"
        )),
        Layout::Native | Layout::Diesel => {
            let dir = like.up.parent().ok_or("the migration has no directory")?;
            let id = rename(&file_name(dir), like, version, name);
            let new_dir = dir.with_file_name(&id);
            Ok(Placed {
                up: new_dir.join("up.sql"),
                down: Some(new_dir.join("down.sql")),
                verify: Some(new_dir.join("verify.sql")),
                meta: new_dir.join("migration.toml"),
                diesel_metadata: (layout == Layout::Diesel).then(|| new_dir.join("metadata.toml")),
                sections: None,
                id,
            })
        }
        _ => {
            let up_name = file_name(&like.up);
            let (id, up, down) = if layout == Layout::Flyway {
                let id = format!("V{version}__{name}");
                let up = like.up.with_file_name(format!("{id}.sql"));
                let down = like.up.with_file_name(format!("U{version}__{name}.sql"));
                (id, up, Some(down))
            } else {
                let id = rename(&like.id, like, version, name);
                let up = like
                    .up
                    .with_file_name(rename(&up_name, like, version, name));
                let down = match (&like.down, like.sections) {
                    (_, Some(_)) => None,
                    (Some(d), None) => {
                        Some(d.with_file_name(rename(&file_name(d), like, version, name)))
                    }
                    (None, None) => down_name(&file_name(&up)).map(|n| up.with_file_name(n)),
                };
                (id, up, down)
            };
            Ok(Placed {
                meta: up.with_file_name(format!("{id}.toml")),
                id,
                up,
                down,
                verify: None,
                diesel_metadata: None,
                sections: like.sections,
            })
        }
    }
}

/// A goose section's text with every statement that holds a `;` of its own (a function or
/// trigger body) between `-- +goose StatementBegin` and `-- +goose StatementEnd`, which goose
/// needs to send it whole.
pub(crate) fn goose_blocks(text: &str, dialect: crate::dialect::Dialect) -> String {
    let mut out = String::new();
    let mut at = 0;
    for st in crate::parse::split::split(text, dialect).statements {
        if !text[st.span.clone()].contains(';') {
            continue;
        }
        let end = st.terminator.as_ref().map_or(st.span.end, |t| t.end);
        out.push_str(&text[at..st.span.start]);
        out.push_str("-- +goose StatementBegin\n");
        out.push_str(&text[st.span.start..end]);
        out.push_str("\n-- +goose StatementEnd");
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// `0009_x.up.sql` → `0009_x.down.sql` (sqlx, golang-migrate); `None` for a name without
/// `.up.` (one file per migration: no place for a down script).
fn down_name(up_name: &str) -> Option<String> {
    let at = up_name.to_ascii_lowercase().rfind(".up.")?;
    Some(format!("{}.down.{}", &up_name[..at], &up_name[at + 4..]))
}

/// The files of a new migration holding `up`, placed right after `found` in the catalog.
pub(super) fn after(
    project: &Project,
    found: Option<(usize, &Migration)>,
    constraint: &str,
    up: &str,
) -> Result<Vec<NewFile>, String> {
    let (Some(catalog), Some((index, m))) = (project.catalog.as_ref(), found) else {
        return Err(
            "the file is not part of a migrations directory, so there is no place for the VALIDATE migration"
                .to_owned(),
        );
    };
    let layout = catalog.layout;
    if matches!(layout, Layout::Sqitch | Layout::Prisma) {
        return Err(format!(
            "new migrations in the {layout} layout are made by its own tool: add `{}` in a migration after this one",
            up.trim_end()
        ));
    }
    let next = catalog.migrations.get(index + 1);
    let taken = |v: &str| {
        catalog
            .migrations
            .iter()
            .any(|o| crate::catalog::layout::same_version(layout, &o.version, v))
    };
    let version = next_version(layout, &m.version, next.map(|n| n.version.as_str()), &taken)
        .ok_or_else(|| {
            format!(
                "no version is free between {} and {}: add `{}` in a migration after this one",
                m.id,
                next.map_or("the end", |n| n.id.as_str()),
                up.trim_end()
            )
        })?;
    let name = format!("validate_{}", slug(constraint));
    let down = "-- Nothing to undo: VALIDATE CONSTRAINT only checks the existing rows.\n";
    let at = placed(layout, m, &version, &name)?;
    let mut files = vec![NewFile {
        path: at.up.clone(),
        text: at.file_text(up, "", true),
    }];
    // A down script where the layout always has one, or where the migration before has one.
    if let Some(path) = at
        .down
        .filter(|_| layout == Layout::Diesel || m.down.is_some())
    {
        files.push(NewFile {
            path,
            text: down.to_owned(),
        });
    }
    for f in &files {
        if f.path.exists() {
            return Err(format!("{} exists already", f.path.display()));
        }
    }
    Ok(files)
}

/// `0003_add_fk.up.sql` → `0004_validate_x.up.sql`: the version and the name replaced in
/// place, the rest of the file name kept.
fn rename(file_name: &str, m: &Migration, version: &str, name: &str) -> String {
    let Some(at) = file_name.find(&m.version) else {
        return format!("{version}_{name}.sql");
    };
    let after_version = at + m.version.len();
    let rest = &file_name[after_version..];
    match (!m.name.is_empty()).then(|| rest.find(&m.name)).flatten() {
        Some(n) => format!(
            "{}{version}{}{name}{}",
            &file_name[..at],
            &rest[..n],
            &rest[n + m.name.len()..]
        ),
        None => format!("{}{version}_{name}{rest}", &file_name[..at]),
    }
}

/// The version right after `version` that is free and sorts before `next`: the last run of
/// digits plus one (same width), or for Flyway a `.1` … `.9` sub-version.
pub(crate) fn next_version(
    layout: Layout,
    version: &str,
    next: Option<&str>,
    taken: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let before_next = |v: &str| {
        next.is_none_or(|n| {
            let key = |s: &str| match layout {
                Layout::Diesel => crate::catalog::layout::diesel_version(s),
                _ => s.to_owned(),
            };
            natural_cmp(&key(v), &key(n)) == Ordering::Less
        })
    };
    let mut candidates = Vec::new();
    // The last run of digits, plus one.
    let end = version.rfind(|c: char| c.is_ascii_digit()).map(|i| i + 1)?;
    let start = version[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let digits = &version[start..end];
    if let Ok(n) = digits.parse::<u128>() {
        let bumped = format!("{:0width$}", n + 1, width = digits.len());
        candidates.push(format!("{}{bumped}{}", &version[..start], &version[end..]));
    }
    if layout == Layout::Flyway {
        candidates.extend((1..10).map(|i| format!("{version}.{i}")));
    }
    candidates.into_iter().find(|c| !taken(c) && before_next(c))
}

/// A constraint name as a file-name part: lower case, `[a-z0-9_]`.
fn slug(name: &str) -> String {
    let s: String = name
        .rsplit('.')
        .next()
        .unwrap_or(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s.trim_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_after() {
        let free = |_: &str| false;
        assert_eq!(
            next_version(Layout::Native, "0003", None, &free).as_deref(),
            Some("0004")
        );
        assert_eq!(
            next_version(Layout::Native, "0003", Some("0004"), &free),
            None
        );
        assert_eq!(
            next_version(Layout::Flyway, "3", Some("4"), &free).as_deref(),
            Some("3.1")
        );
        assert_eq!(
            next_version(
                Layout::Dbmate,
                "20240101120000",
                Some("20240102000000"),
                &free
            )
            .as_deref(),
            Some("20240101120001")
        );
        assert_eq!(
            next_version(Layout::Diesel, "2024-01-01-120000", None, &free).as_deref(),
            Some("2024-01-01-120001")
        );
    }

    #[test]
    fn goose_blocks_wrap_bodies_only() {
        let text = "SET lock_timeout = '2s';\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RETURN NEW;\nEND\n$$;\nDROP TABLE t;\n";
        let out = goose_blocks(text, crate::dialect::Dialect::Postgres);
        assert_eq!(
            out,
            "SET lock_timeout = '2s';\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RETURN NEW;\nEND\n$$;\n-- +goose StatementEnd\nDROP TABLE t;\n"
        );
    }

    #[test]
    fn placed_in_each_layout() {
        let m = |id: &str, version: &str, up: &str, down: Option<&str>| Migration {
            id: id.into(),
            version: version.into(),
            name: "rename_email".into(),
            up: up.into(),
            down: down.map(Into::into),
            verify: None,
            meta: Default::default(),
            meta_file: None,
            sections: None,
        };
        let pairs = m(
            "000008_rename_email",
            "000008",
            "m/000008_rename_email.up.sql",
            None,
        );
        let p = placed(Layout::SqlxPairs, &pairs, "000009", "backfill_x").unwrap();
        assert_eq!(p.id, "000009_backfill_x");
        assert_eq!(p.up, Path::new("m/000009_backfill_x.up.sql"));
        assert_eq!(
            p.down.as_deref(),
            Some(Path::new("m/000009_backfill_x.down.sql"))
        );
        assert_eq!(p.meta, Path::new("m/000009_backfill_x.toml"));
        let fly = m("V8__rename_email", "8", "m/V8__rename_email.sql", None);
        let p = placed(Layout::Flyway, &fly, "8.1", "backfill_x").unwrap();
        assert_eq!(
            (p.id.as_str(), p.up.as_path()),
            ("V8.1__backfill_x", Path::new("m/V8.1__backfill_x.sql"))
        );
        assert_eq!(p.down.as_deref(), Some(Path::new("m/U8.1__backfill_x.sql")));
        assert_eq!(p.meta, Path::new("m/V8.1__backfill_x.toml"));
        let diesel = m(
            "2024-01-01-120000_rename_email",
            "2024-01-01-120000",
            "m/2024-01-01-120000_rename_email/up.sql",
            None,
        );
        let p = placed(Layout::Diesel, &diesel, "2024-01-01-120001", "backfill_x").unwrap();
        assert_eq!(
            p.meta,
            Path::new("m/2024-01-01-120001_backfill_x/migration.toml")
        );
        assert_eq!(
            p.diesel_metadata.as_deref(),
            Some(Path::new("m/2024-01-01-120001_backfill_x/metadata.toml"))
        );
        let single = m("0008_rename_email", "0008", "m/0008_rename_email.sql", None);
        let p = placed(Layout::SingleFile, &single, "0009", "backfill_x").unwrap();
        assert_eq!(
            (p.down, p.meta),
            (None, PathBuf::from("m/0009_backfill_x.toml"))
        );
        assert!(placed(Layout::Prisma, &single, "0009", "x").is_err());
    }

    #[test]
    fn file_names_keep_their_shape() {
        let m = Migration {
            id: "0003_add_fk".into(),
            version: "0003".into(),
            name: "add_fk".into(),
            up: "m/0003_add_fk.up.sql".into(),
            down: None,
            verify: None,
            meta: Default::default(),
            meta_file: None,
            sections: None,
        };
        assert_eq!(
            rename("0003_add_fk.up.sql", &m, "0004", "validate_c"),
            "0004_validate_c.up.sql"
        );
        let f = Migration {
            version: "3".into(),
            name: "add_fk".into(),
            ..m
        };
        assert_eq!(
            rename("V3__add_fk.sql", &f, "3.1", "validate_c"),
            "V3.1__validate_c.sql"
        );
        assert_eq!(slug("app.Orders_FK"), "orders_fk");
    }
}
