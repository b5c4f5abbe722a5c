//! Opt-in schema design conventions, checked on new tables and columns.

pub mod prefer_bigint;
pub mod prefer_identity;
pub mod prefer_timestamptz;
pub mod require_primary_key;

use crate::classify::op::{ColumnSpec, ConstraintKind, Name, Op};

/// Every column an operation defines, with its table and whether it is (part of) the
/// primary key: the columns of a CREATE TABLE, or the one of an ADD COLUMN.
pub(crate) fn defined_columns(op: &Op) -> Vec<(&Name, &ColumnSpec, bool)> {
    match op {
        Op::CreateTable {
            table,
            columns,
            constraints,
            ..
        } => {
            let pk: Vec<&Name> = constraints
                .iter()
                .filter_map(|c| match &c.kind {
                    ConstraintKind::PrimaryKey { columns } => Some(columns.iter()),
                    _ => None,
                })
                .flatten()
                .collect();
            columns
                .iter()
                .map(|c| (table, c, c.primary_key || pk.contains(&&c.name)))
                .collect()
        }
        Op::AddColumn { table, column, .. } => vec![(table, column, column.primary_key)],
        _ => Vec::new(),
    }
}
