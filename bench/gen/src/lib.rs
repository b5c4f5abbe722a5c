//! Deterministic generator of PostgreSQL migration text for bellows' speed benchmarks.
//!
//! Everything here is a pure function of the seed: the same seed gives the same bytes on
//! every machine. No dependencies (the random numbers are SplitMix64), so the generator
//! builds in a few seconds and can also be pulled into `benches/parse.rs` with `#[path]`.
//!
//! What it makes:
//! - [`postgres_file`]: one large file of mixed DDL/DML the way long-lived projects'
//!   schema dumps and squashed migrations look (CREATE TABLE with many column types and
//!   constraints, ALTER TABLE, CREATE INDEX [CONCURRENTLY], INSERT … VALUES, UPDATE,
//!   DELETE, CREATE VIEW, COMMENT ON, SET lock_timeout, BEGIN/COMMIT, plpgsql functions
//!   with `$$` bodies, triggers, DO blocks, line and block comments). Statements build on
//!   each other: they name tables and columns created earlier in the file.
//! - The same with `Options { sqlparser_only: true }`: only statement kinds that
//!   sqlparser 0.64 reads with its PostgreSQL dialect (no DO blocks, REINDEX, DROP INDEX
//!   CONCURRENTLY, ALTER SEQUENCE, VACUUM options…), so `Parser::parse_sql` accepts the
//!   whole file and bellows and sqlparser can be timed on the very same text.
//! - [`migrations`]: a sequence of small migration files (a few statements each) whose
//!   tables and columns carry over from one migration to the next.
//! - [`small_file`]: one ordinary migration of about twenty statements.

use std::fmt::Write as _;

/// The seed `gen_corpus` and `benches/parse.rs` use unless told otherwise.
pub const DEFAULT_SEED: u64 = 20240601;
/// The size of the big files: 10 MiB.
pub const BIG_FILE_BYTES: usize = 10 * 1024 * 1024;

/// SplitMix64: tiny, fast, and good enough to pick words.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the generated text may contain.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Leave out every statement kind sqlparser 0.64 (PostgreSQL dialect) cannot parse,
    /// so that `Parser::parse_sql` accepts the whole text.
    pub sqlparser_only: bool,
}

const NOUNS: &[&str] = &[
    "users",
    "accounts",
    "orders",
    "order_items",
    "invoices",
    "payments",
    "products",
    "customers",
    "sessions",
    "events",
    "audit_log",
    "addresses",
    "shipments",
    "coupons",
    "subscriptions",
    "plans",
    "teams",
    "memberships",
    "projects",
    "tasks",
    "comments",
    "attachments",
    "notifications",
    "webhooks",
    "api_keys",
    "tags",
    "taggings",
    "reviews",
    "warehouses",
    "stock_levels",
    "refunds",
    "carts",
    "cart_items",
    "messages",
    "threads",
];

/// Column names that fit a kind of value.
fn names_for(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Int | Kind::Small => &[
            "quantity", "position", "priority", "version", "attempts", "rank", "level",
        ],
        Kind::Big => &[
            "external_id",
            "counter",
            "total_cents",
            "size_bytes",
            "owner_ref",
        ],
        Kind::Text | Kind::Varchar => &[
            "name",
            "title",
            "email",
            "status",
            "slug",
            "code",
            "description",
            "notes",
            "city",
            "phone",
            "label",
            "token",
            "reference",
        ],
        Kind::Char => &["country", "currency", "locale"],
        Kind::Bool => &["archived", "verified", "enabled", "is_default", "deleted"],
        Kind::Ts | Kind::Timestamp => &[
            "started_at",
            "finished_at",
            "expires_at",
            "seen_at",
            "deleted_at",
            "paid_at",
        ],
        Kind::Date => &["birthday", "due_on", "valid_from", "valid_until"],
        Kind::Time => &["opens_at", "closes_at", "reminder_time"],
        Kind::Numeric => &["amount", "price", "total", "balance", "tax_rate"],
        Kind::Real | Kind::Double => &["score", "rating", "weight", "latitude", "longitude"],
        Kind::Uuid => &["public_id", "request_id", "correlation_id"],
        Kind::Jsonb | Kind::Json => &["metadata", "settings", "payload", "attributes"],
        Kind::Bytea => &["checksum", "avatar", "signature"],
        Kind::Inet => &["ip", "last_ip", "client_addr"],
        Kind::TextArray => &["tags", "aliases", "roles"],
        Kind::IntArray => &["scores", "flags", "slots"],
        Kind::Interval => &["duration", "timeout", "retention"],
    }
}

const WORDS: &[&str] = &[
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "O''Brien",
    "naïve café",
    "Grüße",
    "日本語",
    "emoji 🎉",
    "semi;colon",
    "dash -- not a comment",
    "star /* not a comment */",
    "dollar $$ sign",
    "back\\slash",
    "tab\there",
];

/// The value kinds a column can hold; each knows its SQL types and literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Big,
    Small,
    Text,
    Varchar,
    Char,
    Bool,
    Ts,
    Timestamp,
    Date,
    Time,
    Numeric,
    Real,
    Double,
    Uuid,
    Jsonb,
    Json,
    Bytea,
    Inet,
    TextArray,
    IntArray,
    Interval,
}

const KINDS: &[Kind] = &[
    Kind::Int,
    Kind::Big,
    Kind::Small,
    Kind::Text,
    Kind::Text,
    Kind::Varchar,
    Kind::Varchar,
    Kind::Char,
    Kind::Bool,
    Kind::Ts,
    Kind::Ts,
    Kind::Timestamp,
    Kind::Date,
    Kind::Time,
    Kind::Numeric,
    Kind::Real,
    Kind::Double,
    Kind::Uuid,
    Kind::Jsonb,
    Kind::Json,
    Kind::Bytea,
    Kind::Inet,
    Kind::TextArray,
    Kind::IntArray,
    Kind::Interval,
];

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    ty: String,
    not_null: bool,
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// The primary key is a bigint `id` (so other tables can reference it).
    bigint_id: bool,
    next_row: u64,
}

/// The generator with its model of the schema so far.
pub struct Gen {
    rng: Rng,
    opts: Options,
    tables: Vec<Table>,
    counter: usize,
    indexes: Vec<(String, String)>,
    views: Vec<String>,
    functions: Vec<String>,
}

impl Gen {
    pub fn new(seed: u64, opts: Options) -> Self {
        Gen {
            rng: Rng::new(seed),
            opts,
            tables: Vec::new(),
            counter: 0,
            indexes: Vec::new(),
            views: Vec::new(),
            functions: Vec::new(),
        }
    }

    fn next_id(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    fn type_of(&mut self, kind: Kind) -> String {
        let r = &mut self.rng;
        match kind {
            Kind::Int => r.pick(&["integer", "int", "int4"]).to_string(),
            Kind::Big => r.pick(&["bigint", "int8"]).to_string(),
            Kind::Small => "smallint".to_string(),
            Kind::Text => "text".to_string(),
            Kind::Varchar => format!("varchar({})", r.pick(&[16, 32, 64, 255, 1024])),
            Kind::Char => format!("char({})", r.range(2, 3)),
            Kind::Bool => r.pick(&["boolean", "bool"]).to_string(),
            Kind::Ts => "timestamptz".to_string(),
            Kind::Timestamp => "timestamp without time zone".to_string(),
            Kind::Date => "date".to_string(),
            Kind::Time => "time".to_string(),
            Kind::Numeric => format!("numeric({}, {})", r.range(10, 18), r.range(0, 4)),
            Kind::Real => "real".to_string(),
            Kind::Double => "double precision".to_string(),
            Kind::Uuid => "uuid".to_string(),
            Kind::Jsonb => "jsonb".to_string(),
            Kind::Json => "json".to_string(),
            Kind::Bytea => "bytea".to_string(),
            Kind::Inet => "inet".to_string(),
            Kind::TextArray => "text[]".to_string(),
            Kind::IntArray => "integer[]".to_string(),
            Kind::Interval => "interval".to_string(),
        }
    }

    fn word(&mut self) -> &'static str {
        let w: &&'static str = self.rng.pick(WORDS);
        w
    }

    /// A literal of the kind (strings may contain `''`, `;`, `--`, `$$` and non-ASCII).
    fn literal(&mut self, kind: Kind) -> String {
        let n = self.rng.next_u64();
        match kind {
            Kind::Int => format!("{}", n % 1_000_000),
            Kind::Big => format!("{}", n % 10_000_000_000),
            Kind::Small => format!("{}", n % 30_000),
            Kind::Text | Kind::Varchar => {
                let (a, b) = (self.word(), self.word());
                format!("'{a} {b} {}'", n % 1000)
            }
            Kind::Char => format!("'{}'", self.rng.pick(&["US", "DE", "FR", "JP", "BR", "IN"])),
            Kind::Bool => self.rng.pick(&["true", "false"]).to_string(),
            Kind::Ts | Kind::Timestamp => format!(
                "'20{:02}-{:02}-{:02} {:02}:{:02}:{:02}{}'",
                15 + n % 10,
                1 + (n >> 8) % 12,
                1 + (n >> 16) % 28,
                (n >> 24) % 24,
                (n >> 32) % 60,
                (n >> 40) % 60,
                if kind == Kind::Ts { "+00" } else { "" }
            ),
            Kind::Date => format!(
                "'20{:02}-{:02}-{:02}'",
                10 + n % 15,
                1 + (n >> 8) % 12,
                1 + (n >> 16) % 28
            ),
            Kind::Time => format!("'{:02}:{:02}:00'", n % 24, (n >> 8) % 60),
            Kind::Numeric => format!("{}.{:02}", n % 100_000, (n >> 20) % 100),
            Kind::Real | Kind::Double => {
                format!("{}.{}e{}", n % 10, (n >> 8) % 1000, (n >> 16) % 5)
            }
            Kind::Uuid => format!(
                "'{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}'",
                n as u32,
                (n >> 32) as u16,
                (n >> 48) % 0x1000,
                (n >> 20) % 0x1000,
                self.rng.next_u64() % 0x1_0000_0000_0000
            ),
            Kind::Jsonb | Kind::Json => {
                let w = self.word().replace('\\', "\\\\").replace('\t', "\\t");
                format!("'{{\"k\": {}, \"name\": \"{w}\", \"tags\": [\"a\", \"b\"], \"nested\": {{\"ok\": true}}}}'", n % 100)
            }
            Kind::Bytea => format!("'\\x{:016x}'", n),
            Kind::Inet => format!("'10.{}.{}.{}'", n % 256, (n >> 8) % 256, (n >> 16) % 256),
            Kind::TextArray => {
                if n & 1 == 0 {
                    format!("ARRAY['{}', '{}']", self.word(), self.word())
                } else {
                    "'{red,green,blue}'".to_string()
                }
            }
            Kind::IntArray => format!("'{{{},{},{}}}'", n % 10, (n >> 8) % 10, (n >> 16) % 10),
            Kind::Interval => format!("'{} minutes'", n % 600),
        }
    }

    fn default_for(&mut self, kind: Kind) -> Option<String> {
        Some(match kind {
            Kind::Ts | Kind::Timestamp => self
                .rng
                .pick(&["now()", "CURRENT_TIMESTAMP", "'2020-01-01 00:00:00'"])
                .to_string(),
            Kind::Uuid => "gen_random_uuid()".to_string(),
            Kind::Bool => self.rng.pick(&["false", "true"]).to_string(),
            Kind::Int | Kind::Big | Kind::Small => "0".to_string(),
            Kind::Numeric => "0.00".to_string(),
            Kind::Text | Kind::Varchar => "''".to_string(),
            Kind::Jsonb => "'{}'::jsonb".to_string(),
            Kind::TextArray => "'{}'".to_string(),
            Kind::Interval => "'1 hour'".to_string(),
            _ => return None,
        })
    }

    /// A recent table (most statements touch what was created lately).
    fn pick_table(&mut self) -> Option<usize> {
        if self.tables.is_empty() {
            return None;
        }
        let len = self.tables.len();
        Some(if self.rng.chance(85) {
            len - 1 - self.rng.below(len.min(40))
        } else {
            self.rng.below(len)
        })
    }

    fn new_column(&mut self, taken: &[Column]) -> Column {
        let kind = *self.rng.pick(KINDS);
        let base = *self.rng.pick(names_for(kind));
        let mut name = base.to_string();
        if taken.iter().any(|c| c.name == name) {
            let id = self.next_id();
            name = format!("{base}_{id}");
        }
        let ty = self.type_of(kind);
        Column {
            name,
            kind,
            ty,
            not_null: false,
        }
    }

    fn leading_comment(&mut self, out: &mut String) {
        match self.rng.below(10) {
            0 => {
                let (a, b) = (self.word(), self.word());
                let _ = writeln!(out, "-- {a}: {b} ; this semicolon is in a comment");
            }
            1 => {
                let a = self.word();
                let _ = writeln!(
                    out,
                    "/* block comment {a}\n * spanning lines; with 'quotes' and $$ */"
                );
            }
            _ => {}
        }
    }

    /// CREATE TABLE with 4–16 columns, column and table constraints, maybe a foreign key.
    pub fn create_table(&mut self, out: &mut String) {
        let id = self.next_id();
        let name = format!("{}_{id}", self.rng.pick(NOUNS));
        let bigint_id = self.rng.chance(75);
        let mut columns: Vec<Column> = Vec::new();
        let mut lines: Vec<String> = Vec::new();
        if bigint_id {
            let pk = *self.rng.pick(&[
                "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                "id bigserial PRIMARY KEY",
                "id bigint NOT NULL PRIMARY KEY",
            ]);
            lines.push(pk.to_string());
            columns.push(Column {
                name: "id".into(),
                kind: Kind::Big,
                ty: "bigint".into(),
                not_null: true,
            });
        } else {
            lines.push("id uuid PRIMARY KEY DEFAULT gen_random_uuid()".to_string());
            columns.push(Column {
                name: "id".into(),
                kind: Kind::Uuid,
                ty: "uuid".into(),
                not_null: true,
            });
        }
        if let Some(parent) = self
            .pick_table()
            .filter(|&i| self.tables[i].bigint_id && self.rng.chance(60))
        {
            let p = self.tables[parent].name.clone();
            let action = *self.rng.pick(&[
                "ON DELETE CASCADE",
                "ON DELETE SET NULL",
                "ON DELETE RESTRICT",
                "",
            ]);
            let col = format!(
                "{}_id",
                p.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
            );
            lines.push(
                format!("{col} bigint REFERENCES {p} (id) {action}")
                    .trim_end()
                    .to_string(),
            );
            columns.push(Column {
                name: col,
                kind: Kind::Big,
                ty: "bigint".into(),
                not_null: false,
            });
        }
        for _ in 0..self.rng.range(3, 14) {
            let mut col = self.new_column(&columns);
            let mut line = format!("{} {}", col.name, col.ty);
            if self.rng.chance(40) {
                line.push_str(" NOT NULL");
                col.not_null = true;
            }
            if self.rng.chance(35) {
                if let Some(d) = self.default_for(col.kind) {
                    let _ = write!(line, " DEFAULT {d}");
                }
            }
            if matches!(col.kind, Kind::Int | Kind::Numeric | Kind::Small) && self.rng.chance(30) {
                let _ = write!(line, " CHECK ({} >= 0)", col.name);
            }
            if matches!(col.kind, Kind::Text | Kind::Varchar) && self.rng.chance(10) {
                line.push_str(" UNIQUE");
            }
            if self.rng.chance(8) {
                line = format!("-- column comment, with a ; inside\n    {line}");
            }
            lines.push(line);
            columns.push(col);
        }
        lines.push("created_at timestamptz NOT NULL DEFAULT now()".to_string());
        lines.push("updated_at timestamptz NOT NULL DEFAULT now()".to_string());
        if self.rng.chance(30) && columns.len() > 3 {
            let a = columns[1].name.clone();
            let b = columns[2].name.clone();
            lines.push(format!("CONSTRAINT {name}_{a}_{b}_key UNIQUE ({a}, {b})"));
        }
        if self.rng.chance(20) {
            lines.push(format!(
                "CONSTRAINT {name}_dates_check CHECK (updated_at >= created_at)"
            ));
        }
        columns.push(Column {
            name: "created_at".into(),
            kind: Kind::Ts,
            ty: "timestamptz".into(),
            not_null: true,
        });
        columns.push(Column {
            name: "updated_at".into(),
            kind: Kind::Ts,
            ty: "timestamptz".into(),
            not_null: true,
        });
        self.leading_comment(out);
        let ine = if self.rng.chance(20) {
            "IF NOT EXISTS "
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "CREATE TABLE {ine}{name} (\n    {}\n);",
            lines.join(",\n    ")
        );
        self.tables.push(Table {
            name,
            columns,
            bigint_id,
            next_row: 1,
        });
    }

    /// One ALTER TABLE of many kinds (sometimes several actions in one statement).
    pub fn alter_table(&mut self, out: &mut String) {
        let Some(t) = self.pick_table() else {
            return self.create_table(out);
        };
        self.leading_comment(out);
        let name = self.tables[t].name.clone();
        let actions = if self.rng.chance(15) { 2 } else { 1 };
        let mut parts = Vec::new();
        for _ in 0..actions {
            let cols = self.tables[t].columns.clone();
            let victim = if cols.len() > 3 {
                Some(self.rng.range(1, cols.len() - 3))
            } else {
                None
            };
            match self.rng.below(11) {
                0..=2 => {
                    let mut col = self.new_column(&cols);
                    let mut p = format!(
                        "ADD COLUMN {}{} {}",
                        if self.rng.chance(20) {
                            "IF NOT EXISTS "
                        } else {
                            ""
                        },
                        col.name,
                        col.ty
                    );
                    if self.rng.chance(30) {
                        if let Some(d) = self.default_for(col.kind) {
                            let _ = write!(p, " DEFAULT {d}");
                            if self.rng.chance(50) {
                                p.push_str(" NOT NULL");
                                col.not_null = true;
                            }
                        }
                    }
                    parts.push(p);
                    self.tables[t].columns.push(col);
                }
                3 if victim.is_some() => {
                    let v = victim.unwrap();
                    let col = self.tables[t].columns.remove(v);
                    parts.push(format!(
                        "DROP COLUMN {}{}",
                        if self.rng.chance(30) {
                            "IF EXISTS "
                        } else {
                            ""
                        },
                        col.name
                    ));
                }
                4 if victim.is_some() => {
                    let c = &cols[victim.unwrap()];
                    if let Some(d) = self.default_for(c.kind) {
                        parts.push(format!("ALTER COLUMN {} SET DEFAULT {d}", c.name));
                    } else {
                        parts.push(format!("ALTER COLUMN {} DROP DEFAULT", c.name));
                    }
                }
                5 if victim.is_some() => {
                    let v = victim.unwrap();
                    let c = cols[v].name.clone();
                    if self.rng.chance(50) {
                        parts.push(format!("ALTER COLUMN {c} SET NOT NULL"));
                        self.tables[t].columns[v].not_null = true;
                    } else {
                        parts.push(format!("ALTER COLUMN {c} DROP NOT NULL"));
                        self.tables[t].columns[v].not_null = false;
                    }
                }
                6 if victim.is_some() => {
                    let v = victim.unwrap();
                    let c = cols[v].clone();
                    let (ty, kind) = match c.kind {
                        Kind::Int | Kind::Small => ("bigint".to_string(), Kind::Big),
                        Kind::Varchar | Kind::Char => ("text".to_string(), Kind::Text),
                        Kind::Timestamp => ("timestamptz".to_string(), Kind::Ts),
                        Kind::Json => ("jsonb".to_string(), Kind::Jsonb),
                        Kind::Real => ("double precision".to_string(), Kind::Double),
                        _ => (c.ty.clone(), c.kind),
                    };
                    let using = if self.rng.chance(40) {
                        format!(" USING {}::{}", c.name, ty)
                    } else {
                        String::new()
                    };
                    let kw = if self.rng.chance(50) {
                        "TYPE"
                    } else {
                        "SET DATA TYPE"
                    };
                    parts.push(format!("ALTER COLUMN {} {kw} {ty}{using}", c.name));
                    self.tables[t].columns[v].kind = kind;
                    self.tables[t].columns[v].ty = ty;
                }
                7 if victim.is_some() => {
                    let c = cols[victim.unwrap()].name.clone();
                    let id = self.next_id();
                    parts.push(format!(
                        "ADD CONSTRAINT {name}_{c}_chk_{id} CHECK ({c} IS NOT NULL) NOT VALID"
                    ));
                }
                8 => {
                    if let Some(p) = self.pick_table().filter(|&p| self.tables[p].bigint_id) {
                        let pname = self.tables[p].name.clone();
                        let id = self.next_id();
                        let col = format!("ref_{id}_id");
                        parts.push(format!("ADD COLUMN {col} bigint"));
                        parts.push(format!(
                            "ADD CONSTRAINT {name}_{col}_fkey FOREIGN KEY ({col}) REFERENCES {pname} (id){}",
                            if self.rng.chance(60) { " NOT VALID" } else { "" }
                        ));
                        self.tables[t].columns.push(Column {
                            name: col,
                            kind: Kind::Big,
                            ty: "bigint".into(),
                            not_null: false,
                        });
                    }
                }
                9 if victim.is_some() && actions == 1 => {
                    let v = victim.unwrap();
                    let old = cols[v].name.clone();
                    let id = self.next_id();
                    let new = format!("{old}_v{id}");
                    let _ = writeln!(out, "ALTER TABLE {name} RENAME COLUMN {old} TO {new};");
                    self.tables[t].columns[v].name = new;
                    return;
                }
                _ => {
                    let c = cols[cols.len() - 1].name.clone();
                    let id = self.next_id();
                    parts.push(format!(
                        "ADD CONSTRAINT {name}_chk_{id} CHECK (length({c}::text) < 10000)"
                    ));
                }
            }
        }
        if parts.is_empty() {
            parts.push("ALTER COLUMN updated_at SET DEFAULT now()".to_string());
        }
        let only = if self.rng.chance(10) {
            "IF EXISTS "
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "ALTER TABLE {only}{name}\n    {};",
            parts.join(",\n    ")
        );
    }

    pub fn create_index(&mut self, out: &mut String) {
        let Some(t) = self.pick_table() else {
            return self.create_table(out);
        };
        self.create_index_on(t, out)
    }

    /// CREATE INDEX on the table at `t` of the model.
    fn create_index_on(&mut self, t: usize, out: &mut String) {
        let table = self.tables[t].clone();
        let n = table.columns.len();
        let c1 = table.columns[self.rng.range(1, n - 1)].clone();
        let id = self.next_id();
        let unique = if self.rng.chance(15) { "UNIQUE " } else { "" };
        let conc = if self.rng.chance(60) {
            "CONCURRENTLY "
        } else {
            ""
        };
        let ine = if self.rng.chance(25) {
            "IF NOT EXISTS "
        } else {
            ""
        };
        let iname = format!("idx_{}_{}_{id}", table.name, c1.name);
        let (method, cols) = match c1.kind {
            Kind::Jsonb | Kind::TextArray | Kind::IntArray if self.rng.chance(70) => {
                (" USING gin", format!("({})", c1.name))
            }
            _ => {
                let mut cols = c1.name.clone();
                if self.rng.chance(35) {
                    let c2 = &table.columns[self.rng.range(1, n - 1)];
                    if c2.name != c1.name {
                        let _ = write!(cols, ", {} DESC", c2.name);
                    }
                }
                (
                    if self.rng.chance(10) {
                        " USING btree"
                    } else {
                        ""
                    },
                    format!("({cols})"),
                )
            }
        };
        let mut tail = String::new();
        if self.rng.chance(10) {
            tail.push_str(" INCLUDE (created_at)");
        }
        if self.rng.chance(20) {
            tail.push_str(" WHERE updated_at IS NOT NULL");
        }
        self.leading_comment(out);
        let _ = writeln!(
            out,
            "CREATE {unique}INDEX {conc}{ine}{iname} ON {}{method} {cols}{tail};",
            table.name
        );
        self.indexes.push((iname, table.name));
    }

    pub fn insert(&mut self, out: &mut String) {
        let Some(t) = self.pick_table() else {
            return self.create_table(out);
        };
        let table = self.tables[t].clone();
        let cols: Vec<Column> = table
            .columns
            .iter()
            .skip(1)
            .filter(|c| !c.name.ends_with("_id"))
            .cloned()
            .collect();
        let rows = if self.rng.chance(10) {
            self.rng.range(10, 40)
        } else {
            self.rng.range(1, 6)
        };
        let _ = write!(
            out,
            "INSERT INTO {} ({}) VALUES",
            table.name,
            cols.iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for r in 0..rows {
            let vals: Vec<String> = cols
                .iter()
                .map(|c| {
                    if !c.not_null && self.rng.chance(10) {
                        "NULL".to_string()
                    } else {
                        self.literal(c.kind)
                    }
                })
                .collect();
            let _ = write!(
                out,
                "{}\n    ({})",
                if r == 0 { "" } else { "," },
                vals.join(", ")
            );
        }
        if self.rng.chance(20) {
            out.push_str("\nON CONFLICT DO NOTHING");
        }
        out.push_str(";\n");
        self.tables[t].next_row += rows as u64;
    }

    pub fn update(&mut self, out: &mut String) {
        let Some(t) = self.pick_table() else {
            return self.create_table(out);
        };
        let table = self.tables[t].clone();
        let c = table.columns[self.rng.range(1, table.columns.len() - 1)].clone();
        let v = self.literal(c.kind);
        let lo = self.rng.below(100_000);
        let cond = match self.rng.below(3) {
            0 if table.bigint_id => format!("id BETWEEN {lo} AND {}", lo + 1000),
            1 => format!("{} IS NULL", c.name),
            _ => "updated_at < now() - interval '30 days'".to_string(),
        };
        let _ = writeln!(
            out,
            "UPDATE {} SET {} = {v}, updated_at = now() WHERE {cond};",
            table.name, c.name
        );
    }

    pub fn delete(&mut self, out: &mut String) {
        let Some(t) = self.pick_table() else {
            return self.create_table(out);
        };
        let table = self.tables[t].clone();
        let cond = if table.bigint_id {
            format!(
                "id IN (SELECT id FROM {} WHERE created_at < '2019-01-01' LIMIT 1000)",
                table.name
            )
        } else {
            "created_at < now() - interval '1 year'".to_string()
        };
        let _ = writeln!(out, "DELETE FROM {} WHERE {cond};", table.name);
    }

    pub fn create_view(&mut self, out: &mut String) {
        let Some(t) = self.pick_table() else {
            return self.create_table(out);
        };
        let table = self.tables[t].clone();
        let id = self.next_id();
        let vname = format!("v_{}_{id}", table.name);
        let cols: Vec<String> = table
            .columns
            .iter()
            .take(5)
            .map(|c| format!("t.{}", c.name))
            .collect();
        let or_replace = if self.rng.chance(50) {
            "OR REPLACE "
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "CREATE {or_replace}VIEW {vname} AS\nSELECT {}, count(*) OVER (PARTITION BY t.id) AS n\nFROM {} AS t\nWHERE t.created_at > now() - interval '90 days'\nORDER BY t.id;",
            cols.join(", "),
            table.name
        );
        self.views.push(vname);
    }

    pub fn comment_on(&mut self, out: &mut String) {
        let Some(t) = self.pick_table() else {
            return self.create_table(out);
        };
        let table = self.tables[t].clone();
        let (a, b) = (self.word(), self.word());
        if self.rng.chance(50) {
            let _ = writeln!(
                out,
                "COMMENT ON TABLE {} IS 'Holds {a}; see {b}.';",
                table.name
            );
        } else {
            let c = &table.columns[self.rng.below(table.columns.len())];
            let _ = writeln!(
                out,
                "COMMENT ON COLUMN {}.{} IS '{a} -- {b}';",
                table.name, c.name
            );
        }
    }

    pub fn set_timeout(&mut self, out: &mut String) {
        match self.rng.below(4) {
            0 => out.push_str("SET lock_timeout = '5s';\n"),
            1 => out.push_str("SET lock_timeout TO '2s';\n"),
            2 => out.push_str("SET statement_timeout = '15min';\n"),
            _ => out.push_str("SET LOCAL lock_timeout = '3s';\n"),
        }
    }

    pub fn function(&mut self, out: &mut String) {
        let Some(t) = self.pick_table() else {
            return self.create_table(out);
        };
        let table = self.tables[t].name.clone();
        let id = self.next_id();
        let f = format!("{table}_touch_{id}");
        let tag = if self.rng.chance(50) { "$$" } else { "$body$" };
        let _ = writeln!(
            out,
            "CREATE OR REPLACE FUNCTION {f}() RETURNS trigger AS {tag}\nBEGIN\n    -- keep updated_at fresh; 'quotes' and ; inside the body\n    NEW.updated_at := now();\n    IF NEW.created_at IS NULL THEN\n        NEW.created_at := now();\n    END IF;\n    RETURN NEW;\nEND;\n{tag} LANGUAGE plpgsql;"
        );
        if self.rng.chance(60) {
            let _ = writeln!(
                out,
                "CREATE TRIGGER {f}_trg BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {f}();"
            );
        }
        self.functions.push(f);
    }

    /// A DO block (sqlparser cannot read these).
    pub fn do_block(&mut self, out: &mut String) {
        let id = self.next_id();
        let _ = writeln!(
            out,
            "DO $$\nBEGIN\n    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'status_{id}') THEN\n        CREATE TYPE status_{id} AS ENUM ('active', 'inactive');\n    END IF;\nEND\n$$;"
        );
    }

    /// Statements sqlparser 0.64 does not read (only outside `sqlparser_only`).
    pub fn unparsable(&mut self, out: &mut String) {
        match self.rng.below(4) {
            0 => self.do_block(out),
            1 if !self.indexes.is_empty() => {
                let i = self.rng.below(self.indexes.len());
                let (idx, _) = self.indexes.swap_remove(i);
                let _ = writeln!(out, "DROP INDEX CONCURRENTLY IF EXISTS {idx};");
            }
            2 if !self.indexes.is_empty() => {
                let (idx, _) = self.indexes[self.rng.below(self.indexes.len())].clone();
                let _ = writeln!(out, "REINDEX INDEX CONCURRENTLY {idx};");
            }
            _ => {
                if let Some(t) = self.pick_table() {
                    let name = self.tables[t].name.clone();
                    let _ = writeln!(out, "ALTER SEQUENCE {name}_id_seq RESTART WITH 1000;");
                } else {
                    self.do_block(out);
                }
            }
        }
    }

    pub fn drop_something(&mut self, out: &mut String) {
        if self.rng.chance(50) && !self.indexes.is_empty() {
            let i = self.rng.below(self.indexes.len());
            let (idx, _) = self.indexes.swap_remove(i);
            let _ = writeln!(out, "DROP INDEX IF EXISTS {idx};");
        } else if let Some(v) = self.views.pop() {
            let _ = writeln!(out, "DROP VIEW IF EXISTS {v};");
        } else {
            self.create_view(out);
        }
    }

    /// One "step": a statement or a small group, chosen with weights that resemble real
    /// migration histories (many ALTERs and INSERTs, fewer functions).
    pub fn step(&mut self, out: &mut String) {
        if self.tables.len() < 3 {
            return self.create_table(out);
        }
        let w = self.rng.below(100);
        match w {
            0..=13 => self.create_table(out),
            14..=31 => self.alter_table(out),
            32..=43 => self.create_index(out),
            44..=59 => self.insert(out),
            60..=66 => self.update(out),
            67..=70 => self.delete(out),
            71..=74 => self.create_view(out),
            75..=79 => self.comment_on(out),
            80..=83 => self.set_timeout(out),
            84..=87 => {
                out.push_str(if self.rng.chance(50) {
                    "BEGIN;\n"
                } else {
                    "START TRANSACTION;\n"
                });
                for _ in 0..self.rng.range(1, 4) {
                    match self.rng.below(4) {
                        0 => self.alter_table(out),
                        1 => self.insert(out),
                        2 => self.update(out),
                        _ => self.create_table(out),
                    }
                }
                out.push_str(if self.rng.chance(85) {
                    "COMMIT;\n"
                } else {
                    "ROLLBACK;\n"
                });
            }
            88..=90 => self.function(out),
            91..=93 => self.drop_something(out),
            _ => {
                if self.opts.sqlparser_only {
                    self.alter_table(out)
                } else {
                    self.unparsable(out)
                }
            }
        }
        if self.rng.chance(5) {
            out.push('\n');
        }
    }
}

/// One PostgreSQL file of at least `target_bytes` bytes (it stops after the step that
/// crosses the size).
pub fn postgres_file(seed: u64, target_bytes: usize, opts: Options) -> String {
    let mut g = Gen::new(seed, opts);
    let mut out = String::with_capacity(target_bytes + 4096);
    out.push_str(
        "-- Generated by bellows-bench-gen: a long migration history squashed into one file.\n",
    );
    while out.len() < target_bytes {
        g.step(&mut out);
    }
    out
}

/// One ordinary migration of about twenty statements.
pub fn small_file(seed: u64) -> String {
    let mut g = Gen::new(seed, Options::default());
    let mut out = String::from("-- A typical single migration.\nSET lock_timeout = '5s';\n");
    for _ in 0..2 {
        g.create_table(&mut out);
    }
    for _ in 0..10 {
        g.step(&mut out);
    }
    out
}

/// One migration of a sequence: its directory or file name stem, `up` text and `down` text.
pub struct Migration {
    pub name: String,
    pub up: String,
    pub down: String,
}

/// `count` migrations that build on each other: each is a few statements about tables
/// earlier migrations created (the first ones create tables).
pub fn migrations(seed: u64, count: usize) -> Vec<Migration> {
    let mut g = Gen::new(seed, Options::default());
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let mut up = String::new();
        let mut down = String::new();
        let kind = if g.tables.len() < 3 {
            0
        } else {
            g.rng.below(8)
        };
        let label;
        match kind {
            0 | 1 => {
                g.create_table(&mut up);
                let t = g.tables.last().unwrap().name.clone();
                if g.rng.chance(60) {
                    let t = g.tables.len() - 1;
                    g.create_index_on(t, &mut up);
                }
                g.comment_on(&mut up);
                let _ = writeln!(down, "DROP TABLE {t};");
                label = format!("create_{t}");
            }
            2 => {
                up.push_str("SET lock_timeout = '5s';\n");
                g.alter_table(&mut up);
                g.alter_table(&mut up);
                label = "alter_tables".to_string();
                down.push_str("-- irreversible\n");
            }
            3 => {
                up.push_str("-- bellows: no-transaction\n");
                g.create_index(&mut up);
                let (idx, _) = g.indexes.last().unwrap().clone();
                let _ = writeln!(down, "DROP INDEX {idx};");
                label = format!("add_{idx}");
            }
            4 => {
                g.alter_table(&mut up);
                g.update(&mut up);
                g.update(&mut up);
                label = "backfill".to_string();
                down.push_str("-- nothing to undo\n");
            }
            5 => {
                g.insert(&mut up);
                g.insert(&mut up);
                label = "seed_data".to_string();
                down.push_str("-- data stays\n");
            }
            6 => {
                g.function(&mut up);
                g.create_view(&mut up);
                label = "functions_and_views".to_string();
                down.push_str("-- irreversible\n");
            }
            _ => {
                g.step(&mut up);
                g.step(&mut up);
                g.step(&mut up);
                label = "misc".to_string();
                down.push_str("-- irreversible\n");
            }
        }
        let label: String = label.chars().take(60).collect();
        out.push(Migration {
            name: format!("{:05}_{label}", i + 1),
            up,
            down,
        });
    }
    out
}
