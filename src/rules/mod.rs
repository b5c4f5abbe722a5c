//! The rule registry and the types rules use.
//!
//! Owns the one list of rules (`RULES`), rule selection (`RuleSet`) and dispatch. Each rule
//! lives in its own file under a category folder and matches on `Op`s, never on the raw
//! AST. Rules only produce `Finding`s; the report module renders them.

use crate::classify::op::Op;
use crate::lint::{AnalyzedStatement, LintSettings, OpInfo};
use crate::source::SourceFile;
use std::fmt;
use std::ops::Range;

#[macro_use]
mod declare;

mod compat;
mod design;
mod locking;
mod meta;
mod mysql;
mod phases;
mod transactions;

/// How bad a finding is. Errors fail the lint (exit 1); warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which dialects a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialects {
    Postgres,
    Mysql,
    Both,
}

impl Dialects {
    pub fn covers(self, d: crate::dialect::Dialect) -> bool {
        matches!(
            (self, d),
            (Dialects::Both, _)
                | (Dialects::Postgres, crate::dialect::Dialect::Postgres)
                | (Dialects::Mysql, crate::dialect::Dialect::Mysql)
        )
    }

    pub fn names(self) -> &'static [&'static str] {
        match self {
            Dialects::Postgres => &["postgres"],
            Dialects::Mysql => &["mysql"],
            Dialects::Both => &["postgres", "mysql"],
        }
    }
}

/// The family a rule belongs to (its folder under `src/rules/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Locks that block reads or writes, rewrites, long scans.
    Locking,
    /// Changes that break a running release.
    Compat,
    /// Expand, backfill and contract kept apart.
    Phases,
    /// Transaction structure.
    Transactions,
    /// MySQL / MariaDB online DDL.
    Mysql,
    /// Opt-in schema design conventions.
    Design,
    /// The linter's own diagnostics (syntax, suppressions).
    Meta,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Locking => "locking",
            Category::Compat => "compatibility",
            Category::Phases => "phases",
            Category::Transactions => "transactions",
            Category::Mysql => "mysql",
            Category::Design => "design",
            Category::Meta => "meta",
        }
    }
}

/// Which phase's discipline a rule protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concern {
    Expand,
    Backfill,
    Contract,
    Any,
}

impl Concern {
    pub fn as_str(self) -> &'static str {
        match self {
            Concern::Expand => "expand",
            Concern::Backfill => "backfill",
            Concern::Contract => "contract",
            Concern::Any => "any",
        }
    }
}

/// A rule's declaration: everything but its check.
#[derive(Debug)]
pub struct RuleMeta {
    /// Kebab-case name: a contract, used by configs and suppressions.
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub dialects: Dialects,
    pub concern: Concern,
    /// Opt-in rules are off unless selected.
    pub enabled_by_default: bool,
    /// One line for `bellows rules`.
    pub summary: &'static str,
    /// The Markdown docs from the rule's doc comment.
    pub docs: &'static str,
}

/// A hazard found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// Byte range in the file's text.
    pub span: Range<usize>,
    /// The consequence, in one sentence.
    pub message: String,
    /// The remedy, with safe SQL where one exists.
    pub help: String,
}

/// What a rule sees: the analysed file and the settings.
pub struct FileContext<'a> {
    pub source: &'a SourceFile,
    pub settings: &'a LintSettings,
    pub statements: &'a [AnalyzedStatement],
    /// The file opted out of the runner's transaction.
    pub no_transaction: bool,
    /// What the file created before each statement, for the locking rules (built on
    /// first use; [`FileContext::new`] leaves it empty).
    pub(crate) created: std::cell::OnceCell<locking::Created<'a>>,
}

impl<'a> FileContext<'a> {
    pub fn new(
        source: &'a SourceFile,
        settings: &'a LintSettings,
        statements: &'a [AnalyzedStatement],
        no_transaction: bool,
    ) -> Self {
        FileContext {
            source,
            settings,
            statements,
            no_transaction,
            created: std::cell::OnceCell::new(),
        }
    }

    /// Every operation with its statement, in order.
    pub fn ops(&self) -> impl Iterator<Item = (&'a AnalyzedStatement, &'a OpInfo)> + '_ {
        self.statements
            .iter()
            .flat_map(|s| s.ops.iter().map(move |o| (s, o)))
    }

    pub fn is_postgres(&self) -> bool {
        self.settings.dialect == crate::dialect::Dialect::Postgres
    }

    /// The statement text.
    pub fn text(&self, stmt: &AnalyzedStatement) -> &'a str {
        &self.source.text[stmt.span.clone()]
    }
}

/// Where a rule writes its findings; it fills in the rule's name and severity.
pub struct Emitter<'a> {
    meta: &'static RuleMeta,
    out: &'a mut Vec<Finding>,
}

impl Emitter<'_> {
    /// Reports a finding on `span` with the consequence and the remedy.
    pub fn emit(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.out.push(Finding {
            rule: self.meta.name,
            severity: self.meta.severity,
            span,
            message: message.into(),
            help: help.into(),
        });
    }
}

/// A rule: its declaration and its check.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// Looks at the file and emits findings. Rules reported by the engine itself
    /// (`syntax-error`, `unused-suppression`, `invalid-directive`) check nothing here.
    fn check(&self, cx: &FileContext, out: &mut Emitter);
}

/// Every rule, in the order `bellows rules` lists them. Adding a rule = one file + one
/// line here + fixtures.
pub static RULES: &[&dyn Rule] = &[
    // locking
    &locking::create_index_non_concurrent::CreateIndexNonConcurrent,
    &locking::drop_index_non_concurrent::DropIndexNonConcurrent,
    &locking::reindex_non_concurrent::ReindexNonConcurrent,
    &locking::refresh_matview_non_concurrent::RefreshMatviewNonConcurrent,
    &locking::detach_partition_non_concurrent::DetachPartitionNonConcurrent,
    &locking::constraint_without_not_valid::ConstraintWithoutNotValid,
    &locking::unique_constraint_without_index::UniqueConstraintWithoutIndex,
    &locking::exclusion_constraint::ExclusionConstraint,
    &locking::set_not_null::SetNotNull,
    &locking::add_column_volatile_default::AddColumnVolatileDefault,
    &locking::add_column_stored_generated::AddColumnStoredGenerated,
    &locking::add_column_auto_increment::AddColumnAutoIncrement,
    &locking::change_column_type::ChangeColumnType,
    &locking::table_rewrite_maintenance::TableRewriteMaintenance,
    &locking::lock_timeout_missing::LockTimeoutMissing,
    &locking::enum_value_in_transaction::EnumValueInTransaction,
    // compatibility
    &compat::add_column_required::AddColumnRequired,
    &compat::rename_column::RenameColumn,
    &compat::rename_table::RenameTable,
    &compat::drop_column::DropColumn,
    &compat::drop_table::DropTable,
    &compat::drop_schema::DropSchema,
    &compat::truncate_table::TruncateTable,
    // phases
    &phases::mixed_phases::MixedPhases,
    &phases::backfill_with_ddl::BackfillWithDdl,
    &phases::unbatched_backfill::UnbatchedBackfill,
    // transactions
    &transactions::concurrent_in_transaction::ConcurrentInTransaction,
    &transactions::validate_in_same_transaction::ValidateInSameTransaction,
    &transactions::lock_held_across_statements::LockHeldAcrossStatements,
    &transactions::transaction_nesting::TransactionNesting,
    &transactions::uncommitted_transaction::UncommittedTransaction,
    // mysql
    &mysql::alter_algorithm_copy::AlterAlgorithmCopy,
    &mysql::alter_lock_blocking::AlterLockBlocking,
    &mysql::add_foreign_key_copy::AddForeignKeyCopy,
    &mysql::alter_table_rebuild::AlterTableRebuild,
    &mysql::algorithm_instant_unsupported::AlgorithmInstantUnsupported,
    // design (opt-in)
    &design::prefer_bigint::PreferBigint,
    &design::prefer_timestamptz::PreferTimestamptz,
    &design::prefer_identity::PreferIdentity,
    &design::require_primary_key::RequirePrimaryKey,
    // meta
    &meta::syntax_error::SyntaxError,
    &meta::unused_suppression::UnusedSuppression,
    &meta::invalid_directive::InvalidDirective,
    &meta::migration_edited::MigrationEdited,
    &meta::phase_mismatch::PhaseMismatch,
];

/// Finds a rule by name.
pub fn lookup(name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().name == name)
}

/// The closest rule name to a misspelling, for "did you mean".
pub fn closest(name: &str) -> Option<&'static str> {
    crate::suggest::closest(name, RULES.iter().map(|r| r.meta().name))
}

/// A finding produced by the engine for one of the meta rules.
pub fn engine_finding(
    rule: &'static str,
    span: Range<usize>,
    message: &str,
    help: &str,
) -> Finding {
    let meta = lookup(rule)
        .map(|r| r.meta())
        .expect("engine findings name registered meta rules");
    Finding {
        rule: meta.name,
        severity: meta.severity,
        span,
        message: message.to_owned(),
        help: help.to_owned(),
    }
}

/// Which rules run, and with what severity.
#[derive(Debug, Clone)]
pub struct RuleSet {
    enabled: Vec<bool>,
    severity: Vec<Option<Severity>>,
}

/// A rule name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule `{name}`{}", suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
pub struct UnknownRule {
    pub name: String,
    pub suggestion: Option<&'static str>,
}

impl RuleSet {
    /// The rules enabled by default.
    pub fn default_rules() -> Self {
        RuleSet {
            enabled: RULES.iter().map(|r| r.meta().enabled_by_default).collect(),
            severity: vec![None; RULES.len()],
        }
    }

    fn index(name: &str) -> Result<usize, UnknownRule> {
        RULES
            .iter()
            .position(|r| r.meta().name == name)
            .ok_or_else(|| UnknownRule {
                name: name.to_owned(),
                suggestion: closest(name),
            })
    }

    /// Only these rules (`all` selects every rule, opt-in ones included).
    pub fn select_only(&mut self, names: &[String]) -> Result<(), UnknownRule> {
        let mut enabled = vec![false; RULES.len()];
        for name in names {
            if name == "all" {
                enabled.iter_mut().for_each(|e| *e = true);
                continue;
            }
            enabled[Self::index(name)?] = true;
        }
        self.enabled = enabled;
        Ok(())
    }

    /// Adds rules (opt-in ones, typically).
    pub fn extend(&mut self, names: &[String]) -> Result<(), UnknownRule> {
        for name in names {
            self.enabled[Self::index(name)?] = true;
        }
        Ok(())
    }

    pub fn ignore(&mut self, names: &[String]) -> Result<(), UnknownRule> {
        for name in names {
            self.enabled[Self::index(name)?] = false;
        }
        Ok(())
    }

    pub fn set_severity(&mut self, name: &str, severity: Severity) -> Result<(), UnknownRule> {
        self.severity[Self::index(name)?] = Some(severity);
        Ok(())
    }

    pub fn is_enabled(&self, name: &str) -> bool {
        RULES
            .iter()
            .position(|r| r.meta().name == name)
            .is_some_and(|i| self.enabled[i])
    }

    pub fn severity_of(&self, name: &str) -> Option<Severity> {
        RULES
            .iter()
            .position(|r| r.meta().name == name)
            .and_then(|i| self.severity[i])
    }

    /// The enabled rules.
    pub fn enabled(&self) -> impl Iterator<Item = &'static dyn Rule> + '_ {
        RULES
            .iter()
            .zip(&self.enabled)
            .filter(|(_, on)| **on)
            .map(|(r, _)| *r)
    }
}

/// Runs every enabled rule that covers the file's dialect.
pub fn run_rules(cx: &FileContext) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in cx.settings.rules.enabled() {
        let meta = rule.meta();
        if !meta.dialects.covers(cx.settings.dialect) {
            continue;
        }
        let mut emitter = Emitter {
            meta,
            out: &mut out,
        };
        rule.check(cx, &mut emitter);
    }
    out
}

/// Helpers shared by rules.
pub(crate) mod util {
    use super::*;

    /// `CREATE INDEX CONCURRENTLY …` style rewrite of the statement: inserts `word` after
    /// the first occurrence of `after` (case-insensitive) in `text`.
    pub fn insert_after(text: &str, after: &str, word: &str) -> Option<String> {
        let lower = text.to_ascii_lowercase();
        let at = lower.find(&after.to_ascii_lowercase())? + after.len();
        Some(format!("{} {}{}", &text[..at], word, &text[at..]))
    }

    /// `text` without its leading keywords (case-insensitive), or `None` if it does not start
    /// with them.
    pub fn strip_words<'t>(text: &'t str, words: &[&str]) -> Option<&'t str> {
        let mut rest = text.trim_start();
        for word in words {
            let head = rest.get(..word.len())?;
            let boundary = rest[word.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            if !head.eq_ignore_ascii_case(word) || !boundary {
                return None;
            }
            rest = rest[word.len()..].trim_start();
        }
        Some(rest)
    }

    /// The byte offset of `word` as a whole word in lower-case `text`, outside quotes.
    pub fn find_word(lower: &str, word: &str) -> Option<usize> {
        let mut quote: Option<char> = None;
        let bytes = lower.as_bytes();
        for (i, c) in lower.char_indices() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '`' => quote = Some(c),
                None => {
                    let before_ok = i == 0 || !(bytes[i - 1] as char).is_ascii_alphanumeric();
                    let end = i + word.len();
                    let after_ok = lower
                        .get(end..)
                        .and_then(|s| s.chars().next())
                        .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
                    if before_ok && after_ok && lower.get(i..end) == Some(word) {
                        return Some(i);
                    }
                }
            }
        }
        None
    }

    /// Splits on `sep` outside double quotes and backticks.
    pub fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
        let mut parts = Vec::new();
        let mut quote: Option<char> = None;
        let mut start = 0;
        for (i, c) in text.char_indices() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '`' => quote = Some(c),
                None if c == sep => {
                    parts.push(&text[start..i]);
                    start = i + c.len_utf8();
                }
                None => {}
            }
        }
        parts.push(&text[start..]);
        parts
    }

    /// The statement's ops that act on an existing table (not created in this migration).
    pub fn on_existing_table(op: &OpInfo) -> bool {
        !op.table_is_new
    }

    /// Is `op` a statement that takes a strong lock on an existing table?
    pub fn strong_lock_on_existing(op: &OpInfo) -> bool {
        !op.table_is_new
            && op.lock.lock >= crate::classify::locks::LockLevel::ShareRowExclusive
            && !matches!(op.op, Op::CreateTable { .. })
    }
}

impl LintSettings {
    /// A human name for the dialect with its version, for messages.
    pub fn dialect_name(&self) -> String {
        self.version.to_string()
    }
}
