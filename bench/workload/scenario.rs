//! The changes the harness can make (`--scenario`): which catalog, which steps and rollouts
//! the bellows run goes through, which script the naive run runs, and how the report names
//! them.

use crate::Engine;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// accounts.email becomes a required, unique, normalised email_norm (the hand-written
    /// catalog-<engine>)
    EmailNorm,
    /// accounts.name is renamed to full_name: what `bellows rewrite` writes from the one-line
    /// RENAME COLUMN of catalog-<engine>-rename, against that RENAME run as is
    Rename,
}

/// One step of the bellows run.
pub enum Action {
    /// (label, suffix of the migration to apply up to, live releases)
    Apply(&'static str, &'static str, &'static str),
    /// (label, traffic weights of 1.0.0, 2.0.0, 3.0.0 after the rolling deploy)
    Deploy(&'static str, [f64; 3]),
}

impl Scenario {
    /// The stem of the output files: `workload-<engine>.svg`, `workload-rename-<engine>.svg`.
    pub fn stem(self) -> &'static str {
        match self {
            Scenario::EmailNorm => "workload",
            Scenario::Rename => "workload-rename",
        }
    }

    /// The committed catalog, under bench/workload.
    pub fn catalog(self, root: &Path, engine: Engine) -> PathBuf {
        let dir = root.join("bench/workload");
        match self {
            Scenario::EmailNorm => dir.join(format!("catalog-{}", engine.name())),
            Scenario::Rename => dir.join(format!("catalog-{}-rename", engine.name())),
        }
    }

    /// How many releases the application has (1.0.0, 2.0.0[, 3.0.0]).
    pub fn releases(self) -> usize {
        match self {
            Scenario::EmailNorm => 3,
            Scenario::Rename => 2,
        }
    }

    /// The bellows run, step by step. The migrations are named by the suffix of their id.
    pub fn actions(self) -> &'static [Action] {
        match self {
            Scenario::EmailNorm => &[
                Action::Apply("expand", "index_accounts_email_norm", "1.0.0"),
                Action::Deploy("deploy 2.0.0 to half", [0.5, 0.5, 0.0]),
                Action::Apply("backfill", "backfill_accounts_email_norm", "1.0.0,2.0.0"),
                Action::Deploy("retire 1.0.0", [0.0, 1.0, 0.0]),
                Action::Apply("NOT NULL", "require_accounts_email_norm", "2.0.0"),
                Action::Deploy("roll out 3.0.0", [0.0, 0.0, 1.0]),
                Action::Apply("contract", "drop_accounts_email", "3.0.0"),
            ],
            // What `bellows rewrite` prints: 2.0.0 reads full_name, which only the backfill
            // fills in the existing rows, so it ships after the backfill (its `requires`
            // names the backfill), and the contract runs once 1.0.0 has retired.
            Scenario::Rename => &[
                Action::Apply("expand", "add_accounts_full_name", "1.0.0"),
                Action::Apply("backfill", "backfill_accounts_full_name", "1.0.0"),
                Action::Deploy("deploy 2.0.0 to half", [0.5, 0.5, 0.0]),
                Action::Deploy("retire 1.0.0", [0.0, 1.0, 0.0]),
                Action::Apply("contract", "drop_accounts_name", "2.0.0"),
            ],
        }
    }

    /// The suffix of the backfill migration's id.
    pub fn backfill(self) -> &'static str {
        match self {
            Scenario::EmailNorm => "backfill_accounts_email_norm",
            Scenario::Rename => "backfill_accounts_full_name",
        }
    }

    /// The script the naive run runs, in the committed catalog: `naive.sql`, or the one-line
    /// RENAME itself.
    pub fn naive_script(self, catalog: &Path) -> PathBuf {
        match self {
            Scenario::EmailNorm => catalog.join("naive.sql"),
            Scenario::Rename => catalog.join("migrations").join(RENAME).join("up.sql"),
        }
    }

    /// The deploy once the naive script has run: (label, weights).
    pub fn naive_rollout(self) -> (&'static str, [f64; 3]) {
        match self {
            Scenario::EmailNorm => ("roll out 3.0.0", [0.0, 0.0, 1.0]),
            Scenario::Rename => ("roll out 2.0.0", [0.0, 1.0, 0.0]),
        }
    }

    /// What the change is, for titles.
    pub fn change(self) -> &'static str {
        match self {
            Scenario::EmailNorm => "accounts.email becomes email_norm",
            Scenario::Rename => "accounts.name is renamed to full_name",
        }
    }

    /// How the report names the bellows run.
    pub fn bellows_title(self) -> &'static str {
        match self {
            Scenario::EmailNorm => "bellows: expand / backfill / contract",
            Scenario::Rename => "bellows rewrite: expand / backfill / contract",
        }
    }

    /// How the report names the naive run.
    pub fn naive_title(self) -> &'static str {
        match self {
            Scenario::EmailNorm => "naive: one script",
            Scenario::Rename => "naive: the one-line RENAME COLUMN",
        }
    }

    /// What stands for the backfill in the naive run.
    pub fn naive_backfill(self) -> &'static str {
        match self {
            Scenario::EmailNorm => "one UPDATE of every row",
            Scenario::Rename => "none (the rename changes only the catalog)",
        }
    }

    /// The file the naive run feeds its client, for the plot's title.
    pub fn naive_file(self) -> &'static str {
        match self {
            Scenario::EmailNorm => "naive.sql",
            Scenario::Rename => "up.sql",
        }
    }
}

/// The one-line migration of the rename catalogs, which `bellows rewrite` replaces.
pub const RENAME: &str = "0002_rename_accounts_name";
