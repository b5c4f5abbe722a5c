//! MySQL / MariaDB online DDL: which ALTERs copy the table or block it.

pub mod add_foreign_key_copy;
pub mod algorithm_instant_unsupported;
pub mod alter_algorithm_copy;
pub mod alter_lock_blocking;
pub mod alter_table_rebuild;
mod instant;

use crate::rules::FileContext;

/// MariaDB 11.2+ runs ALGORITHM=COPY with LOCK=NONE by default: writes continue during the
/// copy (an online change buffer replays them before the final brief lock).
pub(crate) fn copy_is_online(cx: &FileContext) -> bool {
    cx.settings.version.is_mariadb() && cx.settings.version.at_least(11, 2)
}

/// The online schema change tools that copy a table without blocking writes.
pub(crate) fn online_tools(cx: &FileContext) -> &'static str {
    if cx.settings.version.is_mariadb() {
        "pt-online-schema-change"
    } else {
        "gh-ost or pt-online-schema-change"
    }
}
