//! Reading a migrations directory into a [`Catalog`]: which layout it uses, which files make
//! up each migration, and their order.
//!
//! Owns layout detection (native / diesel, one file per migration, sqlx / golang-migrate
//! pairs, Flyway, dbmate), migration ids and versions, and dbmate's up / down sections. It
//! does not lint, hash or order by dependencies: `sum.rs` hashes, `graph.rs` orders by
//! `requires`.

use super::{MetaError, MigrationMeta};
use crate::files::natural_cmp;
use miette::Diagnostic;
use std::cmp::Ordering;
use std::fmt;
use std::path::{Path, PathBuf};

/// How a migrations directory is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<id>/up.sql`, optional `down.sql`, `verify.sql`, `migration.toml` (also diesel's).
    Native,
    /// `0001_name.sql`: one forward script per migration.
    SingleFile,
    /// `0001_name.up.sql` + `0001_name.down.sql` (sqlx, golang-migrate).
    #[serde(rename = "sqlx")]
    SqlxPairs,
    /// `V1__name.sql`, `V1.1__name.sql`, `U1__name.sql` (undo), `R__name.sql` (repeatable).
    Flyway,
    /// One file per migration with `-- migrate:up` / `-- migrate:down` sections.
    Dbmate,
}

impl Layout {
    /// The name printed and used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Native => "native",
            Layout::SingleFile => "single-file",
            Layout::SqlxPairs => "sqlx",
            Layout::Flyway => "flyway",
            Layout::Dbmate => "dbmate",
        }
    }

    /// One line describing the layout's file names.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Native => "native (<id>/up.sql, down.sql, verify.sql, migration.toml)",
            Layout::SingleFile => "one file per migration (<version>_<name>.sql)",
            Layout::SqlxPairs => {
                "sqlx / golang-migrate pairs (<version>_<name>.up.sql + .down.sql)"
            }
            Layout::Flyway => "Flyway (V<version>__<name>.sql, U… undo, R__ repeatable)",
            Layout::Dbmate => "dbmate (-- migrate:up / -- migrate:down in one file)",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One migration on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The name it goes by: `0001_create_users`, `V1.1__add_x`, `20240101120000_name`.
    pub id: String,
    /// The ordering key part of the id: `0001`, `1.1`, `20240101120000`.
    pub version: String,
    /// The descriptive part of the id (may be empty).
    pub name: String,
    /// The forward script (for dbmate, the one file that holds both sections).
    pub up: PathBuf,
    /// The rollback script (for dbmate, the same file when it has a down section).
    pub down: Option<PathBuf>,
    /// Queries that must succeed after up and fail after down (native layout only).
    pub verify: Option<PathBuf>,
    /// `migration.toml`, or the defaults when there is none.
    pub meta: MigrationMeta,
    /// Up and down are sections of one dbmate file.
    pub dbmate_sections: bool,
}

impl Migration {
    /// The forward SQL, BOM removed (for dbmate, the `-- migrate:up` section).
    pub fn up_text(&self) -> std::io::Result<String> {
        let text = read_text(&self.up)?;
        Ok(if self.dbmate_sections {
            dbmate_sections(&text).up
        } else {
            text
        })
    }

    /// The rollback SQL, BOM removed (for dbmate, the `-- migrate:down` section), or `None`
    /// when there is no down script.
    pub fn down_text(&self) -> std::io::Result<Option<String>> {
        let Some(down) = &self.down else {
            return Ok(None);
        };
        let text = read_text(down)?;
        Ok(Some(if self.dbmate_sections {
            dbmate_sections(&text).down.unwrap_or_default()
        } else {
            text
        }))
    }

    /// The `migration.toml` this migration was read with, if there is one (native layout).
    pub fn meta_path(&self) -> Option<PathBuf> {
        if self.up.file_name()? != "up.sql" {
            return None;
        }
        let path = self.up.parent()?.join("migration.toml");
        path.is_file().then_some(path)
    }
}

/// A migrations directory, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub root: PathBuf,
    pub layout: Layout,
    /// In order (see [`version_cmp`]).
    pub migrations: Vec<Migration>,
    /// Flyway `R__` scripts: listed, not ordered among the migrations (sorted by name).
    pub repeatables: Vec<PathBuf>,
}

/// Why a migrations directory cannot be read as a catalog. Every variant is a tool failure.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CatalogError {
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(bellows::catalog::read))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} mixes migration layouts: {} is {first}, {} is {second}",
        dir.display(),
        first_path.display(),
        second_path.display()
    )]
    #[diagnostic(
        code(bellows::catalog::mixed_layouts),
        help("keep one layout per directory (docs/catalog.md lists them); move or rename the odd files")
    )]
    Mixed {
        dir: PathBuf,
        first: Layout,
        first_path: PathBuf,
        second: Layout,
        second_path: PathBuf,
    },
    #[error("{} is a rollback script without a forward script", path.display())]
    #[diagnostic(
        code(bellows::catalog::down_without_up),
        help("add the up script it undoes, or delete it")
    )]
    DownWithoutUp { path: PathBuf },
    #[error(
        "two migrations have version {version}: {} and {}",
        first.display(),
        second.display()
    )]
    #[diagnostic(
        code(bellows::catalog::duplicate_version),
        help("renumber one of them so every version is unique")
    )]
    DuplicateVersion {
        version: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{} is not named like a migration of any known layout", path.display())]
    #[diagnostic(
        code(bellows::catalog::unrecognised),
        help("migration names start with a version: 0001_name.sql, 0001_name.up.sql, V1__name.sql, or a 0001_name/ directory with up.sql")
    )]
    Unrecognised { path: PathBuf },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Meta(#[from] MetaError),
}

/// What one directory entry is.
enum Entry {
    Native {
        dir: PathBuf,
        id: String,
    },
    Single {
        path: PathBuf,
        stem: String,
    },
    Dbmate {
        path: PathBuf,
        stem: String,
    },
    PairUp {
        path: PathBuf,
        stem: String,
    },
    PairDown {
        path: PathBuf,
        stem: String,
    },
    FlywayVersioned {
        path: PathBuf,
        version: String,
        name: String,
    },
    FlywayUndo {
        path: PathBuf,
        version: String,
    },
    FlywayRepeatable {
        path: PathBuf,
    },
}

impl Entry {
    fn layout(&self) -> Layout {
        match self {
            Entry::Native { .. } => Layout::Native,
            Entry::Single { .. } => Layout::SingleFile,
            Entry::Dbmate { .. } => Layout::Dbmate,
            Entry::PairUp { .. } | Entry::PairDown { .. } => Layout::SqlxPairs,
            Entry::FlywayVersioned { .. }
            | Entry::FlywayUndo { .. }
            | Entry::FlywayRepeatable { .. } => Layout::Flyway,
        }
    }

    fn path(&self) -> &Path {
        match self {
            Entry::Native { dir, .. } => dir,
            Entry::Single { path, .. }
            | Entry::Dbmate { path, .. }
            | Entry::PairUp { path, .. }
            | Entry::PairDown { path, .. }
            | Entry::FlywayVersioned { path, .. }
            | Entry::FlywayUndo { path, .. }
            | Entry::FlywayRepeatable { path } => path,
        }
    }
}

impl Catalog {
    /// Reads `root`, detecting its layout. An empty directory is an empty catalog (reported
    /// as the native layout).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("0001_users.sql"), "CREATE TABLE users (id int);").unwrap();
    /// let catalog = bellows::catalog::layout::Catalog::load(dir.path()).unwrap();
    /// assert_eq!(catalog.layout, bellows::catalog::layout::Layout::SingleFile);
    /// assert_eq!(catalog.migrations[0].id, "0001_users");
    /// ```
    pub fn load(root: &Path) -> Result<Catalog, CatalogError> {
        let entries = read_entries(root)?;
        let layout = detect(root, &entries)?;
        let mut migrations = Vec::new();
        let mut repeatables = Vec::new();
        let mut downs: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries {
            match entry {
                Entry::Native { dir, id } => migrations.push(native(&dir, id)?),
                Entry::Single { path, stem } => {
                    let (version, name) = split_id(&stem);
                    migrations.push(plain(stem.clone(), version, name, path, None, false));
                }
                Entry::Dbmate { path, stem } => {
                    let text = read_catalog_text(&path)?;
                    let down = dbmate_sections(&text).down.map(|_| path.clone());
                    let (version, name) = split_id(&stem);
                    migrations.push(plain(stem.clone(), version, name, path, down, true));
                }
                Entry::PairUp { path, stem } => {
                    let (version, name) = split_id(&stem);
                    migrations.push(plain(stem.clone(), version, name, path, None, false));
                }
                Entry::PairDown { path, stem } => downs.push((stem, path)),
                Entry::FlywayVersioned {
                    path,
                    version,
                    name,
                } => {
                    let id = file_stem(&path);
                    migrations.push(plain(id, version, name, path, None, false));
                }
                Entry::FlywayUndo { path, version } => downs.push((version, path)),
                Entry::FlywayRepeatable { path } => repeatables.push(path),
            }
        }
        // Pair each down / undo script with its up script.
        for (key, path) in downs {
            let found = migrations.iter_mut().find(|m| match layout {
                Layout::Flyway => flyway_cmp(&m.version, &key) == Ordering::Equal,
                _ => m.id == key,
            });
            match found {
                Some(m) => m.down = Some(path),
                None => return Err(CatalogError::DownWithoutUp { path }),
            }
        }
        migrations.sort_by(|a, b| {
            version_cmp(layout, &a.version, &b.version).then_with(|| natural_cmp(&a.id, &b.id))
        });
        for pair in migrations.windows(2) {
            if same_version(layout, &pair[0].version, &pair[1].version) {
                return Err(CatalogError::DuplicateVersion {
                    version: pair[1].version.clone(),
                    first: pair[0].up.clone(),
                    second: pair[1].up.clone(),
                });
            }
        }
        repeatables.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
        Ok(Catalog {
            root: root.to_path_buf(),
            layout,
            migrations,
            repeatables,
        })
    }

    /// The migration with this id.
    pub fn get(&self, id: &str) -> Option<&Migration> {
        self.migrations.iter().find(|m| m.id == id)
    }
}

/// Orders two versions of a layout: Flyway versions compare numerically part by part
/// (`1 < 1.1 < 2 < 10`, `1.0 == 1`), others with [`natural_cmp`].
pub fn version_cmp(layout: Layout, a: &str, b: &str) -> Ordering {
    match layout {
        Layout::Flyway => flyway_cmp(a, b),
        _ => natural_cmp(a, b),
    }
}

/// Two versions that name the same place in the order: equal, or equal once leading zeros
/// are ignored (`0001` and `1` in sqlx, `1.0` and `1` in Flyway).
fn same_version(layout: Layout, a: &str, b: &str) -> bool {
    match layout {
        Layout::Flyway => flyway_cmp(a, b) == Ordering::Equal,
        _ => a == b || (is_digits(a) && is_digits(b) && trim_zeros(a) == trim_zeros(b)),
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

fn trim_zeros(s: &str) -> &str {
    let t = s.trim_start_matches('0');
    if t.is_empty() {
        "0"
    } else {
        t
    }
}

/// Flyway's version order: parts separated by `.` or `_`, each a number; missing parts are
/// zero. A part that is not a number compares with [`natural_cmp`].
fn flyway_cmp(a: &str, b: &str) -> Ordering {
    let parts = |s: &str| -> Vec<String> { s.split(['.', '_']).map(str::to_owned).collect() };
    let (pa, pb) = (parts(a), parts(b));
    for i in 0..pa.len().max(pb.len()) {
        let x = pa.get(i).map(String::as_str).unwrap_or("0");
        let y = pb.get(i).map(String::as_str).unwrap_or("0");
        let ord = if is_digits(x) && is_digits(y) {
            let (x, y) = (trim_zeros(x), trim_zeros(y));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        } else {
            natural_cmp(x, y)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

fn plain(
    id: String,
    version: String,
    name: String,
    up: PathBuf,
    down: Option<PathBuf>,
    dbmate_sections: bool,
) -> Migration {
    Migration {
        id,
        version,
        name,
        up,
        down,
        verify: None,
        meta: MigrationMeta::default(),
        dbmate_sections,
    }
}

fn native(dir: &Path, id: String) -> Result<Migration, CatalogError> {
    let file = |name: &str| {
        let p = dir.join(name);
        p.is_file().then_some(p)
    };
    let meta = match file("migration.toml") {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Read {
                path: path.clone(),
                source,
            })?;
            MigrationMeta::parse(&path, text.strip_prefix('\u{feff}').unwrap_or(&text))?
        }
        None => MigrationMeta::default(),
    };
    let (version, name) = split_id(&id);
    Ok(Migration {
        version,
        name,
        up: dir.join("up.sql"),
        down: file("down.sql"),
        verify: file("verify.sql"),
        meta,
        dbmate_sections: false,
        id,
    })
}

/// `0001_create_users` → (`0001`, `create_users`); an id without `_` is all version.
fn split_id(id: &str) -> (String, String) {
    match id.split_once('_') {
        Some((v, n)) => (v.to_owned(), n.to_owned()),
        None => (id.to_owned(), String::new()),
    }
}

fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".sql").unwrap_or(&name).to_owned()
}

/// A file's text with a leading BOM removed.
fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn read_catalog_text(path: &Path) -> Result<String, CatalogError> {
    read_text(path).map_err(|source| CatalogError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// A dbmate file's sections (marker lines removed; several sections of one kind are joined).
struct Sections {
    up: String,
    down: Option<String>,
}

fn dbmate_sections(text: &str) -> Sections {
    #[derive(PartialEq)]
    enum In {
        Preamble,
        Up,
        Down,
    }
    let mut at = In::Preamble;
    let mut up = String::new();
    let mut down: Option<String> = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("-- migrate:up") {
            at = In::Up;
        } else if t.starts_with("-- migrate:down") {
            at = In::Down;
            down.get_or_insert_with(String::new);
        } else {
            match at {
                In::Preamble => {}
                In::Up => up.push_str(line),
                In::Down => down.get_or_insert_with(String::new).push_str(line),
            }
        }
    }
    Sections { up, down }
}

fn is_dbmate(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start().starts_with("-- migrate:up"))
}

fn read_entries(root: &Path) -> Result<Vec<Entry>, CatalogError> {
    let read_err = |source| CatalogError::Read {
        path: root.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if path.join("up.sql").is_file() {
                out.push(Entry::Native {
                    dir: path,
                    id: name,
                });
            } else if path.join("down.sql").is_file() {
                return Err(CatalogError::DownWithoutUp {
                    path: path.join("down.sql"),
                });
            }
            // Other directories (`.sqlx`, notes) are not migrations.
            continue;
        }
        if !name.to_ascii_lowercase().ends_with(".sql") {
            continue;
        }
        out.push(classify_file(path, &name)?);
    }
    Ok(out)
}

fn classify_file(path: PathBuf, name: &str) -> Result<Entry, CatalogError> {
    let stem = &name[..name.len() - 4];
    if let Some(rest) = stem.strip_prefix("R__") {
        if !rest.is_empty() {
            return Ok(Entry::FlywayRepeatable { path });
        }
    }
    for prefix in ['V', 'U'] {
        if let Some(rest) = stem.strip_prefix(prefix) {
            if let Some((version, desc)) = rest.split_once("__") {
                let ok = rest.starts_with(|c: char| c.is_ascii_digit())
                    && version
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == '_');
                if ok {
                    let version = version.replace('_', ".");
                    return Ok(if prefix == 'V' {
                        Entry::FlywayVersioned {
                            path,
                            version,
                            name: desc.to_owned(),
                        }
                    } else {
                        Entry::FlywayUndo { path, version }
                    });
                }
            }
        }
    }
    if !stem.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(CatalogError::Unrecognised { path });
    }
    let lower = stem.to_ascii_lowercase();
    if lower.ends_with(".up") {
        let stem = stem[..stem.len() - 3].to_owned();
        return Ok(Entry::PairUp { path, stem });
    }
    if lower.ends_with(".down") {
        let stem = stem[..stem.len() - 5].to_owned();
        return Ok(Entry::PairDown { path, stem });
    }
    let stem = stem.to_owned();
    if is_dbmate(&read_catalog_text(&path)?) {
        Ok(Entry::Dbmate { path, stem })
    } else {
        Ok(Entry::Single { path, stem })
    }
}

fn detect(root: &Path, entries: &[Entry]) -> Result<Layout, CatalogError> {
    let mut first: Option<&Entry> = None;
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path().cmp(b.path()));
    for entry in sorted {
        match first {
            None => first = Some(entry),
            Some(f) if f.layout() != entry.layout() => {
                return Err(CatalogError::Mixed {
                    dir: root.to_path_buf(),
                    first: f.layout(),
                    first_path: f.path().to_path_buf(),
                    second: entry.layout(),
                    second_path: entry.path().to_path_buf(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(first.map(Entry::layout).unwrap_or(Layout::Native))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn ids(c: &Catalog) -> Vec<&str> {
        c.migrations.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn flyway_versions_compare_numerically() {
        let mut v = vec!["10", "2", "1.1", "1", "1.10", "1.2"];
        v.sort_by(|a, b| flyway_cmp(a, b));
        assert_eq!(v, vec!["1", "1.1", "1.2", "1.10", "2", "10"]);
        assert_eq!(flyway_cmp("1.0", "1"), Ordering::Equal);
        assert_eq!(flyway_cmp("01.1", "1.1"), Ordering::Equal);
    }

    #[test]
    fn dbmate_sections_split() {
        let s = dbmate_sections(
            "-- a comment\n-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        assert_eq!(s.up, "CREATE TABLE t (id int);\n\n");
        assert_eq!(s.down.as_deref(), Some("DROP TABLE t;\n"));
        assert!(dbmate_sections("-- migrate:up\nSELECT 1;\n").down.is_none());
    }

    #[test]
    fn empty_dir_is_an_empty_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let c = Catalog::load(dir.path()).unwrap();
        assert!(c.migrations.is_empty());
        assert!(c.repeatables.is_empty());
    }

    #[test]
    fn native_reads_meta_and_optional_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0002_b/up.sql", "SELECT 2;");
        write(dir.path(), "0001_a/up.sql", "SELECT 1;");
        write(dir.path(), "0001_a/down.sql", "SELECT 0;");
        write(dir.path(), "0001_a/verify.sql", "SELECT 1;");
        write(dir.path(), "0001_a/migration.toml", "phase = \"expand\"\n");
        write(dir.path(), "README.md", "notes");
        let c = Catalog::load(dir.path()).unwrap();
        assert_eq!(c.layout, Layout::Native);
        assert_eq!(ids(&c), vec!["0001_a", "0002_b"]);
        let a = &c.migrations[0];
        assert_eq!((a.version.as_str(), a.name.as_str()), ("0001", "a"));
        assert!(a.down.is_some() && a.verify.is_some());
        assert_eq!(a.meta.phase, Some(super::super::DeclaredPhase::Expand));
        assert!(a.meta_path().is_some());
        assert!(c.migrations[1].down.is_none() && c.migrations[1].meta_path().is_none());
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0001_a.up.sql", "SELECT 1;");
        write(dir.path(), "0002_b.down.sql", "SELECT 1;");
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(
            matches!(&err, CatalogError::DownWithoutUp { path } if path.ends_with("0002_b.down.sql"))
        );

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0001_a.sql", "SELECT 1;");
        write(dir.path(), "0002_b/up.sql", "SELECT 1;");
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(matches!(err, CatalogError::Mixed { .. }), "{err}");

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0001_a.sql", "SELECT 1;");
        write(dir.path(), "1_b.sql", "SELECT 1;");
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(
            matches!(err, CatalogError::DuplicateVersion { .. }),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0001_a/up.sql", "SELECT 1;");
        write(dir.path(), "0001_a/migration.toml", "phase = \"later\"\n");
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(matches!(err, CatalogError::Meta(_)), "{err}");

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "seed.sql", "SELECT 1;");
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(matches!(err, CatalogError::Unrecognised { .. }), "{err}");
    }

    #[test]
    fn dbmate_text_and_bom() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "20240101120000_t.sql",
            "\u{feff}-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n",
        );
        let c = Catalog::load(dir.path()).unwrap();
        assert_eq!(c.layout, Layout::Dbmate);
        let m = &c.migrations[0];
        assert!(m.dbmate_sections);
        assert_eq!(m.version, "20240101120000");
        assert_eq!(m.up_text().unwrap(), "CREATE TABLE t (id int);\n");
        assert_eq!(m.down_text().unwrap().as_deref(), Some("DROP TABLE t;\n"));
    }
}
