//! Transaction structure: what runs inside which transaction, and for how long its locks
//! are held.

pub mod concurrent_in_transaction;
pub mod lock_held_across_statements;
pub mod transaction_nesting;
pub mod uncommitted_transaction;
pub mod validate_in_same_transaction;

use crate::classify::op::{Op, TxControl};
use crate::lint::AnalyzedStatement;
use crate::rules::FileContext;

/// The statement ends its transaction (COMMIT / ROLLBACK).
pub(crate) fn ends_transaction(stmt: &AnalyzedStatement) -> bool {
    stmt.ops.iter().any(|o| {
        matches!(
            o.op,
            Op::Transaction(TxControl::Commit | TxControl::Rollback)
        )
    })
}

/// The line of the `BEGIN` that opened explicit transaction `id`.
pub(crate) fn begin_line(cx: &FileContext, id: usize) -> Option<usize> {
    cx.statements
        .iter()
        .find(|s| {
            s.transaction == Some(id)
                && s.ops
                    .iter()
                    .any(|o| o.op == Op::Transaction(TxControl::Begin))
        })
        .map(|s| cx.source.position(s.span.start).line)
}

/// The 1-based line a statement starts on.
pub(crate) fn line(cx: &FileContext, stmt: &AnalyzedStatement) -> usize {
    cx.source.position(stmt.span.start).line
}

/// The statement's leading keyword as written, upper-cased (`BEGIN`, `START TRANSACTION`,
/// `COMMIT`, `END`, `ROLLBACK`, `ABORT`).
pub(crate) fn keyword(cx: &FileContext, stmt: &AnalyzedStatement) -> String {
    let mut words = cx.text(stmt).split_whitespace();
    let first = words.next().unwrap_or("").to_ascii_uppercase();
    if first == "START" {
        "START TRANSACTION".to_owned()
    } else {
        first.trim_end_matches(';').to_owned()
    }
}
