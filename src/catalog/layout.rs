//! Reading a migrations directory into a [`Catalog`]: which layout it uses, which files make
//! up each migration, their order, and which files are not migrations.
//!
//! Owns layout detection (native, diesel, one file per migration, sqlx / golang-migrate
//! pairs, Flyway, dbmate, goose, Sqitch, Prisma), migration ids and versions, each layout's
//! order rule, the metadata a layout carries (`migration.toml`, diesel's `metadata.toml`,
//! no-transaction markers, the file layouts' sidecar `<id>.toml`), and the notes for files that are not migrations. `lint`,
//! `catalog` and `migrate` all read a directory through [`Catalog::load`], so they agree on
//! what a migration is. It does not lint, hash or order by dependencies: `sum.rs` hashes,
//! `graph` orders by `requires`.

use super::sections::Markers;
use super::{sqitch, MetaError, MigrationMeta};
use crate::dialect::Dialect;
use crate::files::natural_cmp;
use miette::Diagnostic;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// How a migrations directory is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<id>/up.sql`, optional `down.sql`, `verify.sql`, `migration.toml`.
    Native,
    /// diesel: `<version>_<name>/up.sql` + `down.sql`, optional `metadata.toml`.
    Diesel,
    /// `0001_name.sql`: one forward script per migration.
    SingleFile,
    /// `0001_name.up.sql` + `0001_name.down.sql` (sqlx, golang-migrate).
    #[serde(rename = "sqlx")]
    SqlxPairs,
    /// `V1__name.sql`, `V1.1__name.sql`, `U1__name.sql` (undo), `R__name.sql` (repeatable).
    Flyway,
    /// One file per migration with `-- migrate:up` / `-- migrate:down` sections.
    Dbmate,
    /// One file per migration with `-- +goose Up` / `-- +goose Down` sections.
    Goose,
    /// `sqitch.plan` with `deploy/`, `revert/` and `verify/` scripts.
    Sqitch,
    /// Prisma: `<timestamp>_<name>/migration.sql` and `migration_lock.toml`.
    Prisma,
}

impl Layout {
    /// The name printed and used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Native => "native",
            Layout::Diesel => "diesel",
            Layout::SingleFile => "single-file",
            Layout::SqlxPairs => "sqlx",
            Layout::Flyway => "flyway",
            Layout::Dbmate => "dbmate",
            Layout::Goose => "goose",
            Layout::Sqitch => "sqitch",
            Layout::Prisma => "prisma",
        }
    }

    /// One line describing the layout's file names.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Native => "native (<id>/up.sql, down.sql, verify.sql, migration.toml)",
            Layout::Diesel => "diesel (<version>_<name>/up.sql, down.sql, metadata.toml)",
            Layout::SingleFile => "one file per migration (<version>_<name>.sql)",
            Layout::SqlxPairs => {
                "sqlx / golang-migrate pairs (<version>_<name>.up.sql + .down.sql)"
            }
            Layout::Flyway => "Flyway (V<version>__<name>.sql, U… undo, R__ repeatable)",
            Layout::Dbmate => "dbmate (-- migrate:up / -- migrate:down in one file)",
            Layout::Goose => "goose (-- +goose Up / -- +goose Down in one file)",
            Layout::Sqitch => "Sqitch (sqitch.plan with deploy/, revert/, verify/)",
            Layout::Prisma => "Prisma (<timestamp>_<name>/migration.sql)",
        }
    }
}

impl Layout {
    /// A layout of plain script files whose tools ignore other files: a migration's
    /// metadata lives in a sidecar `<id>.toml` beside its script (`000008_x.toml` beside
    /// `000008_x.up.sql`, `V8__x.toml` beside `V8__x.sql`), with the keys of
    /// `migration.toml`.
    pub fn holds_sidecar(self) -> bool {
        matches!(
            self,
            Layout::SingleFile
                | Layout::SqlxPairs
                | Layout::Flyway
                | Layout::Dbmate
                | Layout::Goose
        )
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
    /// The name it goes by: `0001_create_users`, `V1.1__add_x`, `20240101120000_name`, a
    /// Sqitch change (`users`, or `users@v1.0` for an instance reworked later).
    pub id: String,
    /// The ordering key part of the id: `0001`, `1.1`, `20240101120000`, `2017-01-01-000000`
    /// (Sqitch: the position in the plan).
    pub version: String,
    /// The descriptive part of the id (may be empty).
    pub name: String,
    /// The forward script (for dbmate and goose, the one file that holds both sections).
    pub up: PathBuf,
    /// The rollback script (for dbmate and goose, the same file when it has a down section).
    pub down: Option<PathBuf>,
    /// Queries that must succeed after up and fail after down (native `verify.sql`, Sqitch
    /// `verify/` scripts).
    pub verify: Option<PathBuf>,
    /// `migration.toml` (plus what the layout itself says: diesel's `metadata.toml`, a
    /// no-transaction marker, Sqitch's dependencies and note), or the defaults.
    pub meta: MigrationMeta,
    /// The file `meta` was read from: `migration.toml` (native, diesel) or the sidecar
    /// `<id>.toml` beside a file layout's script ([`Layout::holds_sidecar`]).
    pub meta_file: Option<PathBuf>,
    /// Up and down are sections of one file, marked this way.
    pub sections: Option<Markers>,
}

impl Migration {
    /// The forward SQL, BOM removed (for dbmate and goose, the up section).
    pub fn up_text(&self) -> std::io::Result<String> {
        let text = read_text(&self.up)?;
        Ok(match self.sections {
            Some(markers) => markers.split(&text).up,
            None => text,
        })
    }

    /// The rollback SQL, BOM removed (for dbmate and goose, the down section), or `None`
    /// when there is no down script.
    pub fn down_text(&self) -> std::io::Result<Option<String>> {
        let Some(down) = &self.down else {
            return Ok(None);
        };
        let text = read_text(down)?;
        Ok(Some(match self.sections {
            Some(markers) => markers.split(&text).down.unwrap_or_default(),
            None => text,
        }))
    }

    /// The up script's text as the linter reads it: the whole file, with any rollback
    /// section blanked so positions match the file.
    pub fn lint_view(&self, text: &str) -> String {
        match self.sections {
            Some(markers) => markers.blank_down(text),
            None => text.to_owned(),
        }
    }

    /// The metadata file this migration was read with, if there is one: `migration.toml`
    /// (native, diesel) or the sidecar `<id>.toml` (file layouts).
    pub fn meta_path(&self) -> Option<PathBuf> {
        self.meta_file.clone()
    }

    /// A file named on its own (not read as part of a directory): its markers, its
    /// `migration.toml` (or diesel `metadata.toml` beside an `up.sql`), its no-transaction
    /// marker.
    pub fn lone(path: &Path) -> Result<Migration, CatalogError> {
        Self::lone_read(path).map(|(migration, _)| migration)
    }

    /// [`Migration::lone`], with the file's bytes as read (for a caller that reads the
    /// file next: a large file is read once).
    pub fn lone_read(path: &Path) -> Result<(Migration, Vec<u8>), CatalogError> {
        let bytes = std::fs::read(path).map_err(|source| CatalogError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = text_of(&bytes);
        let stem = file_stem(path);
        let (version, name) = split_id(&stem);
        let markers = Markers::detect(&text);
        let in_dir = path.file_name().is_some_and(|n| n == "up.sql");
        let (mut meta, meta_file) = if in_dir {
            let meta_file = path
                .parent()
                .map(|d| d.join("migration.toml"))
                .filter(|p| p.is_file());
            (
                MigrationMeta::for_script(path)?.unwrap_or_default(),
                meta_file,
            )
        } else {
            // A file layout's script: its sidecar, `<id>.toml` (`0008_x.up.sql` → `0008_x.toml`).
            let lower = stem.to_ascii_lowercase();
            let id = [".up", ".down"]
                .iter()
                .find_map(|s| lower.ends_with(s).then(|| &stem[..stem.len() - s.len()]))
                .unwrap_or(&stem);
            let sidecar = path.with_file_name(format!("{id}.toml"));
            match read_sidecar(&sidecar)? {
                Some(meta) => (meta, Some(sidecar)),
                None => (MigrationMeta::default(), None),
            }
        };
        if in_dir {
            if let Some(dir) = path.parent() {
                apply_diesel_metadata(dir, &mut meta)?;
            }
        }
        let down = markers.and_then(|m| m.split(&text).down.map(|_| path.to_path_buf()));
        if meta.transaction.is_none() && markers.is_some_and(|m| m.no_transaction(&text)) {
            meta.transaction = Some(false);
        }
        let migration = Migration {
            id: stem,
            version,
            name,
            up: path.to_path_buf(),
            down,
            verify: None,
            meta,
            meta_file,
            sections: markers,
        };
        drop(text);
        Ok((migration, bytes))
    }
}

/// A file (or directory) in a migrations directory that is not part of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    /// Why: `not named like a migration …`, `a Go migration: not SQL`.
    pub reason: String,
    /// The note stands for many files under `path` (say, other engines' scripts).
    pub group: bool,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group {
            return write!(
                f,
                "{}: {}; they are not read",
                self.path.display(),
                self.reason
            );
        }
        write!(
            f,
            "{} is not a migration ({}); it is not read",
            self.path.display(),
            self.reason
        )
    }
}

/// A migrations directory, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub root: PathBuf,
    pub layout: Layout,
    /// In the layout's order (see [`Catalog::load`]).
    pub migrations: Vec<Migration>,
    /// Flyway `R__` scripts: listed, not ordered among the migrations (sorted by name).
    pub repeatables: Vec<PathBuf>,
    /// `.sql` files, code files and directories of scripts that are not migrations of the
    /// layout (`seed.sql`, a goose `.go` migration), sorted by path. Reported as notes.
    pub skipped: Vec<Skipped>,
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
    #[error("no SQL migrations found in {}: {seen}", dir.display())]
    #[diagnostic(
        code(bellows::catalog::no_sql_migrations),
        help("docs/catalog.md lists the layouts bellows knows; name the directory that holds the SQL migrations")
    )]
    NoMigrations { dir: PathBuf, seen: String },
    #[error("{}:{line}: {message}", path.display())]
    #[diagnostic(
        code(bellows::catalog::sqitch_plan),
        help("docs/catalog.md describes the plan lines bellows reads")
    )]
    Plan {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{} holds one script per database engine (ory/pop: {}), and no dialect says which engine's to read",
        dir.display(),
        example.display()
    )]
    #[diagnostic(
        code(bellows::catalog::per_engine_scripts),
        help("set `dialect = \"postgres\"` or `dialect = \"mysql\"` in bellows.toml (or pass --dialect): bellows then reads that engine's scripts and the scripts shared by every engine")
    )]
    PerEngine { dir: PathBuf, example: PathBuf },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Meta(#[from] MetaError),
}

/// What one directory entry is.
enum Entry {
    /// `<id>/up.sql` (native or diesel).
    Native {
        dir: PathBuf,
        id: String,
        files: DirFiles,
    },
    /// `<id>/migration.sql`.
    Prisma {
        dir: PathBuf,
        id: String,
    },
    Single {
        path: PathBuf,
        stem: String,
    },
    /// One file with up / down sections (dbmate or goose).
    Sectioned {
        path: PathBuf,
        stem: String,
        markers: Markers,
        text: String,
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
            Entry::Prisma { .. } => Layout::Prisma,
            Entry::Single { .. } => Layout::SingleFile,
            Entry::Sectioned {
                markers: Markers::Dbmate,
                ..
            } => Layout::Dbmate,
            Entry::Sectioned {
                markers: Markers::Goose,
                ..
            } => Layout::Goose,
            Entry::PairUp { .. } | Entry::PairDown { .. } => Layout::SqlxPairs,
            Entry::FlywayVersioned { .. }
            | Entry::FlywayUndo { .. }
            | Entry::FlywayRepeatable { .. } => Layout::Flyway,
        }
    }

    fn path(&self) -> &Path {
        match self {
            Entry::Native { dir, .. } | Entry::Prisma { dir, .. } => dir,
            Entry::Single { path, .. }
            | Entry::Sectioned { path, .. }
            | Entry::PairUp { path, .. }
            | Entry::PairDown { path, .. }
            | Entry::FlywayVersioned { path, .. }
            | Entry::FlywayUndo { path, .. }
            | Entry::FlywayRepeatable { path } => path,
        }
    }
}

/// A directory's entries, sorted out.
#[derive(Default)]
struct Scan {
    entries: Vec<Entry>,
    skipped: Vec<Skipped>,
    /// Names of the other files and directories (not hidden, not companion files of a
    /// layout): what a directory without migrations holds.
    others: Vec<String>,
}

impl Catalog {
    /// Reads `root`, detecting its layout. An empty directory is an empty catalog (reported
    /// as the native layout); a directory that holds files but no SQL migration is an error
    /// that says what it holds.
    ///
    /// Order: each layout's own rule. diesel compares versions as text with `-` removed;
    /// Prisma compares directory names as text; Sqitch follows `sqitch.plan`; Flyway
    /// compares version parts as numbers; the others compare versions with digit runs as
    /// numbers ([`natural_cmp`]; goose's numeric versions order the same way).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("0001_users.sql"), "CREATE TABLE users (id int);").unwrap();
    /// let catalog = bellows::catalog::layout::Catalog::load(dir.path()).unwrap();
    /// assert_eq!(catalog.layout, bellows::catalog::layout::Layout::SingleFile);
    /// assert_eq!(catalog.migrations[0].id, "0001_users");
    /// ```
    pub fn load(root: &Path) -> Result<Catalog, CatalogError> {
        Catalog::load_for(root, None)
    }

    /// [`Catalog::load`] for one engine. An ory/pop directory holds scripts per engine
    /// (`<version>_<name>.<engine>.up.sql`) beside scripts shared by every engine
    /// (`<version>_<name>.up.sql`); for each version and direction the dialect's own script
    /// wins over the shared one, and other engines' scripts are skipped with a note. A
    /// `.autocommit` script runs outside a transaction. Without a dialect such a directory is
    /// an error, since which scripts run depends on it.
    pub fn load_for(root: &Path, dialect: Option<Dialect>) -> Result<Catalog, CatalogError> {
        let is_sqitch = root.join(sqitch::PLAN).is_file();
        let mut scan = scan(root, is_sqitch)?;
        if is_sqitch {
            let (migrations, mut skipped) = sqitch::load(root)?;
            skipped.extend(scan.skipped);
            // Files named like another layout's migrations are not Sqitch's.
            skipped.extend(scan.entries.iter().map(|e| Skipped {
                path: e.path().to_path_buf(),
                reason: format!(
                    "a Sqitch project runs the deploy/ scripts {} names",
                    sqitch::PLAN
                ),
                group: false,
            }));
            return Ok(Catalog::new(
                root,
                Layout::Sqitch,
                migrations,
                Vec::new(),
                skipped,
            ));
        }
        let mut autocommit = Vec::new();
        if let Some(example) = scan.entries.iter().find_map(per_engine) {
            let Some(dialect) = dialect else {
                return Err(CatalogError::PerEngine {
                    dir: root.to_path_buf(),
                    example: example.to_path_buf(),
                });
            };
            autocommit = choose_engine(root, &mut scan, dialect);
        }
        let layout = detect(root, &scan.entries)?;
        let mut migrations = Vec::new();
        let mut repeatables = Vec::new();
        let mut downs: Vec<(String, PathBuf)> = Vec::new();
        // A native migration's optional files and metadata: read for all of them at once.
        let natives = scan
            .entries
            .par_iter()
            .filter_map(|entry| match entry {
                Entry::Native { dir, id, files } => Some(native(dir, id.clone(), files)),
                _ => None,
            })
            .collect::<Result<Vec<_>, _>>()?;
        // diesel's per-migration `metadata.toml`, seen while listing the directories.
        let native_metadata = natives.iter().any(|(_, metadata)| *metadata);
        let mut natives = natives.into_iter().map(|(m, _)| m);
        for entry in scan.entries {
            match entry {
                Entry::Native { .. } => migrations.extend(natives.next()),
                Entry::Prisma { dir, id } => {
                    let (version, name) = split_id(&id);
                    migrations.push(plain(id, version, name, dir.join("migration.sql")));
                }
                Entry::Single { path, stem } | Entry::PairUp { path, stem } => {
                    let (version, name) = split_id(&stem);
                    migrations.push(plain(stem, version, name, path));
                }
                Entry::Sectioned {
                    path,
                    stem,
                    markers,
                    text,
                } => {
                    let (version, name) = split_id(&stem);
                    let mut m = plain(stem, version, name, path.clone());
                    m.down = markers.split(&text).down.map(|_| path);
                    if markers.no_transaction(&text) {
                        m.meta.transaction = Some(false);
                    }
                    m.sections = Some(markers);
                    migrations.push(m);
                }
                Entry::PairDown { path, stem } => downs.push((stem, path)),
                Entry::FlywayVersioned {
                    path,
                    version,
                    name,
                } => {
                    let id = file_stem(&path);
                    migrations.push(plain(id, version, name, path));
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
        let layout = match layout {
            Layout::Native if native_metadata || is_diesel(root, &migrations) => Layout::Diesel,
            other => other,
        };
        for m in &mut migrations {
            if autocommit.contains(&m.id) {
                m.meta.transaction = Some(false);
            }
        }
        if layout.holds_sidecar() {
            read_sidecars(root, &mut migrations, &scan.others, &mut scan.skipped)?;
        }
        // The positions are sorted, then the migrations moved once: a `Migration` is large,
        // and a sort moves its elements many times. The same stable order.
        let mut at: Vec<usize> = (0..migrations.len()).collect();
        at.sort_by(|&a, &b| order(layout, &migrations[a], &migrations[b]));
        let mut slots: Vec<Option<Migration>> = migrations.into_iter().map(Some).collect();
        let migrations: Vec<Migration> = at.iter().filter_map(|&i| slots[i].take()).collect();
        for pair in migrations.windows(2) {
            if same_version(layout, &pair[0].version, &pair[1].version) {
                return Err(CatalogError::DuplicateVersion {
                    version: pair[1].version.clone(),
                    first: pair[0].up.clone(),
                    second: pair[1].up.clone(),
                });
            }
        }
        if migrations.is_empty() && repeatables.is_empty() {
            if let Some(seen) = describe_without_migrations(&scan.skipped, &scan.others) {
                return Err(CatalogError::NoMigrations {
                    dir: root.to_path_buf(),
                    seen,
                });
            }
        }
        repeatables.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
        Ok(Catalog::new(
            root,
            layout,
            migrations,
            repeatables,
            scan.skipped,
        ))
    }

    fn new(
        root: &Path,
        layout: Layout,
        migrations: Vec<Migration>,
        repeatables: Vec<PathBuf>,
        mut skipped: Vec<Skipped>,
    ) -> Catalog {
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Catalog {
            root: root.to_path_buf(),
            layout,
            migrations,
            repeatables,
            skipped,
        }
    }

    /// The migration with this id.
    pub fn get(&self, id: &str) -> Option<&Migration> {
        self.migrations.iter().find(|m| m.id == id)
    }
}

/// The order of two migrations of a layout (see [`Catalog::load`]).
fn order(layout: Layout, a: &Migration, b: &Migration) -> Ordering {
    match layout {
        Layout::Flyway => {
            flyway_cmp(&a.version, &b.version).then_with(|| natural_cmp(&a.id, &b.id))
        }
        Layout::Diesel => diesel_version(&a.version)
            .cmp(&diesel_version(&b.version))
            .then_with(|| a.id.cmp(&b.id)),
        Layout::Prisma => a.id.cmp(&b.id),
        _ => natural_cmp(&a.version, &b.version).then_with(|| natural_cmp(&a.id, &b.id)),
    }
}

/// diesel's version of a migration: the part of the directory name before the first `_`,
/// with every `-` removed (`2017-01-01-000000` → `20170101000000`). diesel orders
/// migrations by comparing these as text.
pub fn diesel_version(version: &str) -> String {
    version.replace('-', "")
}

/// Two versions that name the same place in the order: equal, or equal once leading zeros
/// are ignored (`0001` and `1` in sqlx, `1.0` and `1` in Flyway), or the same diesel
/// version. Prisma and Sqitch have no such thing.
pub fn same_version(layout: Layout, a: &str, b: &str) -> bool {
    match layout {
        Layout::Flyway => flyway_cmp(a, b) == Ordering::Equal,
        Layout::Diesel => diesel_version(a) == diesel_version(b),
        Layout::Prisma | Layout::Sqitch => false,
        _ => a == b || (is_digits(a) && is_digits(b) && trim_zeros(a) == trim_zeros(b)),
    }
}

/// A directory of `<id>/up.sql` migrations is diesel's when a migration has diesel's
/// `metadata.toml`, diesel's setup migration is there, a version is written with dashes
/// (`2017-01-01-000000`), or `diesel.toml` sits beside the directory.
/// Besides a migration directory holding `metadata.toml` (which the caller checks from
/// the directory listings).
fn is_diesel(root: &Path, migrations: &[Migration]) -> bool {
    root.parent()
        .is_some_and(|p| p.join("diesel.toml").is_file())
        || migrations
            .iter()
            .any(|m| m.version.contains('-') || m.id == "00000000000000_diesel_initial_setup")
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
pub fn flyway_cmp(a: &str, b: &str) -> Ordering {
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

fn plain(id: String, version: String, name: String, up: PathBuf) -> Migration {
    Migration {
        id,
        version,
        name,
        up,
        down: None,
        verify: None,
        meta: MigrationMeta::default(),
        meta_file: None,
        sections: None,
    }
}

/// A sidecar `<id>.toml`, read as `migration.toml` is, or `None` when there is none.
fn read_sidecar(path: &Path) -> Result<Option<MigrationMeta>, CatalogError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CatalogError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(Some(MigrationMeta::parse(path, text)?))
}

/// Reads each file-layout migration's sidecar `<id>.toml` (found among the directory's
/// other files, so no migration costs a lookup). The sidecar's `transaction` wins over a
/// marker in the script. A sidecar named like a migration that is not there is a note.
fn read_sidecars(
    root: &Path,
    migrations: &mut [Migration],
    others: &[String],
    skipped: &mut Vec<Skipped>,
) -> Result<(), CatalogError> {
    let mut sidecars: BTreeMap<&str, &str> = others
        .iter()
        .filter_map(|n| {
            let stem = n.strip_suffix(".toml")?;
            Some((stem, n.as_str()))
        })
        .collect();
    if sidecars.is_empty() {
        return Ok(());
    }
    for m in migrations.iter_mut() {
        let Some(name) = sidecars.remove(m.id.as_str()) else {
            continue;
        };
        let path = m.up.parent().unwrap_or(root).join(name);
        if let Some(mut meta) = read_sidecar(&path)? {
            if meta.transaction.is_none() {
                meta.transaction = m.meta.transaction;
            }
            m.meta = meta;
            m.meta_file = Some(path);
        }
    }
    for (stem, name) in sidecars {
        let versioned = stem.starts_with(|c: char| c.is_ascii_digit())
            || (stem.starts_with(['V', 'U'])
                && stem[1..].starts_with(|c: char| c.is_ascii_digit()));
        if versioned {
            skipped.push(Skipped {
                path: root.join(name),
                reason: "a migration's metadata file names the migration it belongs to (`<id>.toml`), and no migration has this id".into(),
                group: false,
            });
        }
    }
    Ok(())
}

/// A native migration, and whether its directory holds diesel's `metadata.toml`.
fn native(dir: &Path, id: String, files: &DirFiles) -> Result<(Migration, bool), CatalogError> {
    let file = |name: &str| files.has(dir, name).then(|| dir.join(name));
    let mut meta = match file("migration.toml") {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Read {
                path: path.clone(),
                source,
            })?;
            MigrationMeta::parse(&path, text.strip_prefix('\u{feff}').unwrap_or(&text))?
        }
        None => MigrationMeta::default(),
    };
    let metadata = files.has(dir, "metadata.toml");
    if metadata {
        apply_diesel_metadata(dir, &mut meta)?;
    }
    let (version, name) = split_id(&id);
    let migration = Migration {
        version,
        name,
        up: dir.join("up.sql"),
        down: file("down.sql"),
        verify: file("verify.sql"),
        meta,
        meta_file: file("migration.toml"),
        sections: None,
        id,
    };
    Ok((migration, metadata))
}

/// The names of the regular files (a link followed) directly in a directory, from one
/// listing: a migration directory's optional files are looked up there instead of with
/// one `stat` each. `None` when the directory could not be listed.
#[derive(Debug, Clone)]
struct DirFiles(Option<Vec<String>>);

impl DirFiles {
    fn list(dir: &Path) -> DirFiles {
        let list = || -> std::io::Result<Vec<String>> {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let is_file = match entry.file_type() {
                    Ok(t) if !t.is_symlink() => t.is_file(),
                    _ => entry.path().is_file(),
                };
                if is_file {
                    names.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            Ok(names)
        };
        DirFiles(list().ok())
    }

    /// Is `dir/name` a regular file?
    fn has(&self, dir: &Path, name: &str) -> bool {
        match &self.0 {
            Some(names) => names.iter().any(|n| n == name),
            None => dir.join(name).is_file(),
        }
    }
}

/// diesel's `metadata.toml`: `run_in_transaction = false` is `transaction = false` (unless
/// `migration.toml` says otherwise). diesel allows other keys; they are ignored.
fn apply_diesel_metadata(dir: &Path, meta: &mut MigrationMeta) -> Result<(), CatalogError> {
    #[derive(serde::Deserialize)]
    struct DieselMetadata {
        #[serde(default)]
        run_in_transaction: Option<bool>,
    }
    let path = dir.join("metadata.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let parsed: DieselMetadata =
        toml::from_str(text).map_err(|e| MetaError::from_toml(&path, text, &e))?;
    if meta.transaction.is_none() {
        meta.transaction = parsed.run_in_transaction;
    }
    Ok(())
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
    match name.len().checked_sub(4) {
        Some(at) if name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(".sql") => {
            name[..at].to_owned()
        }
        _ => name,
    }
}

/// A file's text with a leading BOM removed.
fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(text_of(&bytes).into_owned())
}

/// A file's text as the catalog reads it: without a BOM, bad bytes replaced.
fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

fn read_catalog_text(path: &Path) -> Result<String, CatalogError> {
    read_text(path).map_err(|source| CatalogError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Files that belong to a layout without being migrations: never notes.
const COMPANIONS: [&str; 7] = [
    "migration_lock.toml",
    "diesel.toml",
    "sqitch.plan",
    "sqitch.conf",
    "bellows.toml",
    "bellows.sum",
    "atlas.sum",
];

/// Migrations written in a programming language: notes, and what a directory without SQL
/// holds.
fn code_language(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "rb" => "Ruby",
        "go" => "Go",
        "py" => "Python",
        "js" | "mjs" | "cjs" | "ts" => "JavaScript / TypeScript",
        "java" | "kt" | "scala" => "JVM",
        "php" => "PHP",
        "ex" | "exs" => "Elixir",
        "cs" => "C#",
        _ => return None,
    })
}

fn extension(name: &str) -> Option<String> {
    Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn scan(root: &Path, is_sqitch: bool) -> Result<Scan, CatalogError> {
    let read_err = |source| CatalogError::Read {
        path: root.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || COMPANIONS.contains(&name.as_str()) {
            continue;
        }
        // The directory listing says what most entries are; a link is followed.
        let is_dir = match entry.file_type() {
            Ok(t) if !t.is_symlink() => t.is_dir(),
            _ => entry.path().is_dir(),
        };
        names.push((entry.path(), name, is_dir));
    }
    // Thousands of migration directories: looking into each is parallel work.
    let found = names
        .into_par_iter()
        .map(|(path, name, is_dir)| scan_entry(path, name, is_dir, is_sqitch))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Scan::default();
    for found in found {
        match found {
            Found::Entry(entry) => out.entries.push(entry),
            Found::Skipped(skipped) => out.skipped.push(skipped),
            Found::Other(name) => out.others.push(name),
            Found::Nothing => {}
        }
    }
    Ok(out)
}

/// What one entry of a migrations directory is.
enum Found {
    Entry(Entry),
    Skipped(Skipped),
    Other(String),
    Nothing,
}

fn scan_entry(
    path: PathBuf,
    name: String,
    is_dir: bool,
    is_sqitch: bool,
) -> Result<Found, CatalogError> {
    if is_dir {
        if is_sqitch && sqitch::is_script_dir(&name) {
            return Ok(Found::Nothing);
        }
        let files = DirFiles::list(&path);
        return Ok(if files.has(&path, "up.sql") {
            Found::Entry(Entry::Native {
                dir: path,
                id: name,
                files,
            })
        } else if files.has(&path, "migration.sql") {
            Found::Entry(Entry::Prisma {
                dir: path,
                id: name,
            })
        } else if files.has(&path, "down.sql") {
            return Err(CatalogError::DownWithoutUp {
                path: path.join("down.sql"),
            });
        } else if holds_sql(&path) {
            Found::Skipped(Skipped {
                path,
                reason:
                    "a directory of .sql files without up.sql or migration.sql; lint it on its own"
                        .into(),
                group: false,
            })
        } else {
            Found::Other(format!("{name}/"))
        });
    }
    let ext = extension(&name);
    Ok(match ext.as_deref() {
        Some("sql") => match classify_file(path.clone(), &name)? {
            Some(entry) => Found::Entry(entry),
            None => Found::Skipped(Skipped {
                path,
                reason: "its name does not start with a version, as migration names do".into(),
                group: false,
            }),
        },
        Some(ext) => match code_language(ext) {
            Some(language) => Found::Skipped(Skipped {
                path,
                reason: format!("a {language} migration: not SQL"),
                group: false,
            }),
            None => Found::Other(name),
        },
        None => Found::Other(name),
    })
}

/// The directory holds a `.sql` file (not looking deeper).
fn holds_sql(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| extension(&e.file_name().to_string_lossy()).as_deref() == Some("sql"))
    })
}

/// What a directory without migrations holds, or `None` when it holds nothing (an empty
/// catalog): `found 12 .rb files (a.rb, b.rb, c.rb, …): Ruby migrations are not SQL`.
fn describe_without_migrations(skipped: &[Skipped], others: &[String]) -> Option<String> {
    // (what, the names): `.rb file`, `directory of .sql files`, `file`.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |name: String, is_dir: bool, holds_sql: bool| {
        let kind = match (is_dir, holds_sql, extension(&name)) {
            (true, true, _) => "directory of .sql files without up.sql".to_owned(),
            (true, false, _) => "directory without .sql files".to_owned(),
            (false, _, Some(ext)) => format!(".{ext} file"),
            (false, _, None) => "file".to_owned(),
        };
        groups.entry(kind).or_default().push(name);
    };
    for s in skipped {
        let name = s
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let is_dir = s.path.is_dir();
        add(name, is_dir, is_dir);
    }
    for o in others {
        match o.strip_suffix('/') {
            Some(dir) => add(format!("{dir}/"), true, false),
            None => add(o.clone(), false, false),
        }
    }
    if groups.is_empty() {
        return None;
    }
    let mut groups: Vec<(String, Vec<String>)> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(kind, mut names)| {
            names.sort();
            let count = names.len();
            let kind = match (count, kind.split_once(' ')) {
                (1, _) => kind,
                (_, Some(("directory", rest))) => format!("directories {rest}"),
                (_, Some((what, rest))) => format!("{what} {rest}s"),
                (_, None) => format!("{kind}s"),
            };
            let shown = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            let more = if count > 3 { ", …" } else { "" };
            let why = match kind.strip_prefix('.').and_then(|k| k.split_once(' ')) {
                Some(("sql", _)) => ": not named like migrations".to_owned(),
                Some((ext, _)) => code_language(ext)
                    .map(|l| format!(": {l} migrations are not SQL"))
                    .unwrap_or_default(),
                None => String::new(),
            };
            format!("{count} {kind} ({shown}{more}){why}")
        })
        .collect();
    Some(format!(
        "found {}; bellows reads SQL migrations",
        parts.join("; ")
    ))
}

fn classify_file(path: PathBuf, name: &str) -> Result<Option<Entry>, CatalogError> {
    let stem = &name[..name.len() - 4];
    if let Some(rest) = stem.strip_prefix("R__") {
        if !rest.is_empty() {
            return Ok(Some(Entry::FlywayRepeatable { path }));
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
                    return Ok(Some(if prefix == 'V' {
                        Entry::FlywayVersioned {
                            path,
                            version,
                            name: desc.to_owned(),
                        }
                    } else {
                        Entry::FlywayUndo { path, version }
                    }));
                }
            }
        }
    }
    if !stem.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(None);
    }
    let lower = stem.to_ascii_lowercase();
    if lower.ends_with(".up") {
        let stem = stem[..stem.len() - 3].to_owned();
        return Ok(Some(Entry::PairUp { path, stem }));
    }
    if lower.ends_with(".down") {
        let stem = stem[..stem.len() - 5].to_owned();
        return Ok(Some(Entry::PairDown { path, stem }));
    }
    let stem = stem.to_owned();
    let text = read_catalog_text(&path)?;
    Ok(Some(match Markers::detect(&text) {
        Some(markers) => Entry::Sectioned {
            path,
            stem,
            markers,
            text,
        },
        None => Entry::Single { path, stem },
    }))
}

/// The engines ory/pop names in script file names.
const POP_ENGINES: [&str; 5] = ["postgres", "mysql", "cockroach", "sqlite3", "sqlite"];

/// An ory/pop script for one engine: `<version>_<name>.<engine>[.autocommit].up.sql`.
fn per_engine(entry: &Entry) -> Option<&Path> {
    let (Entry::PairUp { path, stem } | Entry::PairDown { path, stem }) = entry else {
        return None;
    };
    pop_name(stem).1.is_some().then_some(path.as_path())
}

/// An ory/pop stem's parts: the id (`<version>_<name>`), its engine if it names one, and
/// whether it is marked `.autocommit`.
fn pop_name(stem: &str) -> (&str, Option<&str>, bool) {
    let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    match stem.rsplit_once('.') {
        Some((id, engine)) if POP_ENGINES.contains(&engine) => (id, Some(engine), autocommit),
        _ => (stem, None, autocommit),
    }
}

/// Keeps, for each id and direction of an ory/pop directory, the dialect's own script, else
/// the script shared by every engine; skips the other engines' scripts. Renames the kept
/// entries to their id and returns the ids marked `.autocommit`.
fn choose_engine(root: &Path, scan: &mut Scan, dialect: Dialect) -> Vec<String> {
    let ours = match dialect {
        Dialect::Postgres => "postgres",
        Dialect::Mysql => "mysql",
    };
    // (id, is up) pairs for which the dialect has its own script.
    let own: std::collections::HashSet<(String, bool)> = scan
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::PairUp { stem, .. } | Entry::PairDown { stem, .. } => {
                let (id, engine, _) = pop_name(stem);
                (engine == Some(ours)).then(|| (id.to_owned(), matches!(e, Entry::PairUp { .. })))
            }
            _ => None,
        })
        .collect();
    let mut autocommit = Vec::new();
    let mut others: BTreeMap<&'static str, usize> = BTreeMap::new();
    let entries = std::mem::take(&mut scan.entries);
    for entry in entries {
        let up = matches!(entry, Entry::PairUp { .. });
        let (Entry::PairUp { path, stem } | Entry::PairDown { path, stem }) = entry else {
            scan.entries.push(entry);
            continue;
        };
        let (id, engine, is_autocommit) = pop_name(&stem);
        let keep = match engine {
            Some(e) => e == ours,
            None => !own.contains(&(id.to_owned(), up)),
        };
        if !keep {
            // Counted, not listed: a pop directory holds thousands of other engines' scripts.
            let what = match engine.and_then(|e| POP_ENGINES.iter().find(|&&p| p == e)) {
                Some(e) => *e,
                None => "shared",
            };
            *others.entry(what).or_default() += 1;
            continue;
        }
        let id = id.to_owned();
        if is_autocommit && up {
            autocommit.push(id.clone());
        }
        scan.entries.push(if up {
            Entry::PairUp { path, stem: id }
        } else {
            Entry::PairDown { path, stem: id }
        });
    }
    if !others.is_empty() {
        let shared = others.remove("shared");
        let mut counts: Vec<String> = others
            .iter()
            .map(|(engine, n)| format!("{n} for {engine}"))
            .collect();
        counts.extend(shared.map(|n| format!("{n} shared by every engine that {ours} overrides")));
        scan.skipped.push(Skipped {
            path: root.to_path_buf(),
            reason: format!("ory/pop scripts not for {ours}: {}", counts.join(", ")),
            group: true,
        });
    }
    autocommit
}

fn detect(root: &Path, entries: &[Entry]) -> Result<Layout, CatalogError> {
    // In path order, the first entry and the first one of another layout (the earliest of
    // equal paths, as a stable sort would have them): two passes, no sort.
    let by_path = |a: &&Entry, b: &&Entry| a.path().cmp(b.path());
    let Some(first) = entries.iter().min_by(by_path) else {
        return Ok(Layout::Native);
    };
    let other = entries
        .iter()
        .filter(|e| e.layout() != first.layout())
        .min_by(by_path);
    if let Some(entry) = other {
        return Err(CatalogError::Mixed {
            dir: root.to_path_buf(),
            first: first.layout(),
            first_path: first.path().to_path_buf(),
            second: entry.layout(),
            second_path: entry.path().to_path_buf(),
        });
    }
    Ok(first.layout())
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
    fn ory_pop_engine_scripts_for_one_dialect() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "0001_a.postgres.up.sql",
            "0001_a.postgres.down.sql",
            "0001_a.mysql.up.sql",
            "0001_a.sqlite3.up.sql",
            "0001_a.up.sql",
            "0002_b.up.sql",
            "0002_b.down.sql",
            "0002_b.sqlite.up.sql",
            "0003_c.mysql.up.sql",
            "0004_d.autocommit.up.sql",
            "0004_d.autocommit.down.sql",
            "0005_e.postgres.autocommit.up.sql",
        ] {
            write(dir.path(), name, "SELECT 1;");
        }
        let pg = Catalog::load_for(dir.path(), Some(Dialect::Postgres)).unwrap();
        let ids: Vec<&str> = pg.migrations.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0001_a", "0002_b", "0004_d", "0005_e"]);
        let file = |m: &Migration, down: bool| {
            let p = if down {
                m.down.clone().unwrap()
            } else {
                m.up.clone()
            };
            p.file_name().unwrap().to_string_lossy().into_owned()
        };
        assert_eq!(file(&pg.migrations[0], false), "0001_a.postgres.up.sql");
        assert_eq!(file(&pg.migrations[0], true), "0001_a.postgres.down.sql");
        assert_eq!(file(&pg.migrations[1], false), "0002_b.up.sql");
        assert_eq!(pg.migrations[2].meta.transaction, Some(false));
        assert_eq!(pg.migrations[3].meta.transaction, Some(false));
        assert_eq!(pg.migrations[1].meta.transaction, None);
        let notes: Vec<String> = pg.skipped.iter().map(|s| s.reason.clone()).collect();
        assert_eq!(
            notes,
            ["ory/pop scripts not for postgres: 2 for mysql, 1 for sqlite, 1 for sqlite3, 1 shared by every engine that postgres overrides"]
        );

        let my = Catalog::load_for(dir.path(), Some(Dialect::Mysql)).unwrap();
        let ids: Vec<&str> = my.migrations.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0001_a", "0002_b", "0003_c", "0004_d"]);
        assert!(
            my.migrations[0].down.is_none(),
            "postgres' down is not mysql's"
        );
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
        write(dir.path(), "2024-01-01-000000_a/up.sql", "SELECT 1;");
        write(
            dir.path(),
            "2024-01-01-000000_a/metadata.toml",
            "\nrun_in_transaction = \"no\"\n",
        );
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(
            matches!(&err, CatalogError::Meta(m) if m.message.contains("metadata.toml")),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "0001_a.postgres.up.sql", "SELECT 1;");
        write(dir.path(), "0001_a.mysql.up.sql", "SELECT 1;");
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(matches!(err, CatalogError::PerEngine { .. }), "{err}");
        assert!(
            Catalog::load_for(dir.path(), Some(Dialect::Postgres)).is_ok(),
            "a dialect picks the engine"
        );

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "seed.sql", "SELECT 1;");
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(matches!(err, CatalogError::NoMigrations { .. }), "{err}");
        assert!(err.to_string().contains("seed.sql"), "{err}");
    }

    #[test]
    fn a_lone_file_keeps_its_markers_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "00004_idx.sql",
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- +goose Down\nDROP INDEX i;\n",
        );
        let m = Migration::lone(&dir.path().join("00004_idx.sql")).unwrap();
        assert_eq!(m.sections, Some(Markers::Goose));
        assert_eq!(m.meta.transaction, Some(false));
        assert!(m.down.is_some());
        let text = std::fs::read_to_string(&m.up).unwrap();
        assert!(!m.lint_view(&text).contains("DROP"));

        write(dir.path(), "2024-01-01-000000_a/up.sql", "SELECT 1;");
        write(
            dir.path(),
            "2024-01-01-000000_a/metadata.toml",
            "run_in_transaction = false\n",
        );
        let m = Migration::lone(&dir.path().join("2024-01-01-000000_a/up.sql")).unwrap();
        assert_eq!((m.sections, m.meta.transaction), (None, Some(false)));
    }

    #[test]
    fn file_layouts_read_a_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "000001_a.up.sql", "SELECT 1;");
        write(dir.path(), "000001_a.down.sql", "SELECT 0;");
        write(
            dir.path(),
            "000001_a.toml",
            "phase = \"backfill\"\nrequires = []\ntransaction = false\n[backfill]\ntable = \"t\"\nkey = \"id\"\n",
        );
        write(dir.path(), "000002_b.up.sql", "SELECT 2;");
        write(dir.path(), "000009_gone.toml", "phase = \"expand\"\n");
        let c = Catalog::load(dir.path()).unwrap();
        assert_eq!(c.layout, Layout::SqlxPairs);
        let a = &c.migrations[0];
        assert_eq!(a.meta.phase, Some(super::super::DeclaredPhase::Backfill));
        assert_eq!(a.meta.transaction, Some(false));
        assert_eq!(
            a.meta.backfill.as_ref().map(|b| b.table.as_str()),
            Some("t")
        );
        assert_eq!(a.meta_path(), Some(dir.path().join("000001_a.toml")));
        assert!(c.migrations[1].meta_path().is_none());
        let notes: Vec<&Path> = c.skipped.iter().map(|s| s.path.as_path()).collect();
        assert_eq!(notes, [dir.path().join("000009_gone.toml")]);
        let lone = Migration::lone(&dir.path().join("000001_a.up.sql")).unwrap();
        assert_eq!(
            (lone.meta, lone.meta_file),
            (a.meta.clone(), a.meta_file.clone())
        );

        // A goose marker holds unless the sidecar says otherwise; bad keys are errors.
        let dir = tempfile::tempdir().unwrap();
        let goose = "-- +goose NO TRANSACTION\n-- +goose Up\nSELECT 1;\n";
        write(dir.path(), "00001_a.sql", goose);
        write(dir.path(), "00001_a.toml", "phase = \"expand\"\n");
        write(dir.path(), "00002_b.sql", goose);
        write(dir.path(), "00002_b.toml", "transaction = true\n");
        let c = Catalog::load(dir.path()).unwrap();
        let tx: Vec<Option<bool>> = c.migrations.iter().map(|m| m.meta.transaction).collect();
        assert_eq!(tx, [Some(false), Some(true)]);
        write(dir.path(), "00002_b.toml", "phse = \"expand\"\n");
        let err = Catalog::load(dir.path()).unwrap_err();
        assert!(
            matches!(&err, CatalogError::Meta(m) if m.message.contains("phse")),
            "{err}"
        );
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
        assert_eq!(m.sections, Some(Markers::Dbmate));
        assert_eq!(m.version, "20240101120000");
        assert_eq!(m.up_text().unwrap(), "CREATE TABLE t (id int);\n");
        assert_eq!(m.down_text().unwrap().as_deref(), Some("DROP TABLE t;\n"));
    }
}
