//! Expand, backfill and contract kept in separate migrations.

pub mod backfill_with_ddl;
pub mod mixed_phases;
pub mod unbatched_backfill;

/// The start of a statement's text on one line, for naming it in a message.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        flat
    } else {
        let cut: String = flat.chars().take(MAX).collect();
        format!("{}…", cut.trim_end())
    }
}
