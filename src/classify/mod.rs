//! Classification: AST (or fallback) → `Op`s, and the phase and lock facts of each `Op`.
//!
//! Owns the project's vocabulary of schema changes. Knows nothing of files, rules or output.

pub mod ast;
pub mod locks;
pub mod op;
pub mod phase;
pub mod types;
pub mod view;

pub use op::Op;
