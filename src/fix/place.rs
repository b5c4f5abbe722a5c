//! Where a follow-up migration goes: the version right after a migration, named and laid
//! out the way its catalog's layout names and lays out migrations.

use super::{NewFile, Project};
use crate::catalog::layout::{Layout, Migration};
use crate::files::natural_cmp;
use std::cmp::Ordering;

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
    let nl_up = up.to_owned();
    let files = match layout {
        Layout::Native | Layout::Diesel => {
            let dir = m.up.parent().ok_or("the migration has no directory")?;
            let dir_name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let new_dir = dir.with_file_name(rename(&dir_name, m, &version, &name));
            let mut files = vec![NewFile {
                path: new_dir.join("up.sql"),
                text: nl_up,
            }];
            if layout == Layout::Diesel || m.down.is_some() {
                files.push(NewFile {
                    path: new_dir.join("down.sql"),
                    text: down.to_owned(),
                });
            }
            files
        }
        _ => {
            let file_name =
                m.up.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
            let new_up = m.up.with_file_name(rename(&file_name, m, &version, &name));
            let text = match m.sections {
                Some(crate::catalog::sections::Markers::Goose) => {
                    format!("-- +goose Up\n{up}\n-- +goose Down\n")
                }
                Some(crate::catalog::sections::Markers::Dbmate) => {
                    format!("-- migrate:up\n{up}\n-- migrate:down\n")
                }
                None => nl_up,
            };
            let mut files = vec![NewFile { path: new_up, text }];
            if m.sections.is_none() {
                if let Some(d) = &m.down {
                    let down_name = d
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    files.push(NewFile {
                        path: d.with_file_name(rename(&down_name, m, &version, &name)),
                        text: down.to_owned(),
                    });
                }
            }
            files
        }
    };
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
fn next_version(
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
    fn file_names_keep_their_shape() {
        let m = Migration {
            id: "0003_add_fk".into(),
            version: "0003".into(),
            name: "add_fk".into(),
            up: "m/0003_add_fk.up.sql".into(),
            down: None,
            verify: None,
            meta: Default::default(),
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
