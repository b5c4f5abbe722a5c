//! bellows: schema changes that are safe to ship while old and new application versions
//! run side by side.
//!
//! The linting pipeline is `source → parse → classify → rules → report`; data flows one
//! way and no module imports from a later stage. `cli` and `commands` glue it to the
//! command line.

pub mod catalog;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dialect;
pub mod files;
pub mod fix;
pub mod fleet;
pub mod git;
pub mod graph;
pub mod lint;
pub mod lsp;
pub mod parse;
pub mod plan;
pub mod project;
pub mod report;
pub mod rewrite;
pub mod rules;
pub mod runner;
pub mod schema;
pub mod source;
pub mod suggest;
pub mod trace;
