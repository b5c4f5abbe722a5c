use super::instant::rebuild_reason;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags MySQL/MariaDB statements that rebuild an existing table in place: `OPTIMIZE
    /// TABLE`, `ALTER TABLE … ENGINE=InnoDB`, `FORCE`, `ROW_FORMAT=…`, adding a primary key,
    /// making a column nullable, and, on engine versions without instant column changes,
    /// `DROP COLUMN` (before MySQL 8.0.29 / MariaDB 10.4) and `ADD COLUMN` (before MySQL
    /// 8.0.12 / MariaDB 10.3, or with `FIRST` / `AFTER` before MySQL 8.0.29 / MariaDB 10.4);
    /// and `ADD` / `DROP COLUMN` that ask for `ALGORITHM=INPLACE`, which rebuilds even
    /// where the server could do them instantly.
    ///
    /// ## Why is this bad?
    /// An in-place rebuild lets reads and writes continue, but it rewrites every row and
    /// every index: it takes as long as the table is big, needs free disk for a second copy,
    /// takes an exclusive metadata lock at its start and end (queueing behind any open
    /// transaction), and replicas replay it only after the primary finishes, so they fall
    /// behind by the whole rebuild time.
    ///
    /// ## When it does not fire
    /// On a table created earlier in the same migration, and when the statement says
    /// `ALGORITHM=INSTANT` (then `algorithm-instant-unsupported` judges it). Column changes
    /// that copy the table (type changes, STORED generated columns) are reported by
    /// `alter-algorithm-copy`; NOT NULL by `set-not-null`.
    ///
    /// ## Safe alternative
    /// Schedule the rebuild for a quiet hour with replication lag watched, or let an online
    /// schema change tool (gh-ost, pt-online-schema-change) rebuild the table in small
    /// chunks. For column changes, use an engine version that does them instantly and say
    /// so, so that the statement fails instead of rebuilding when it cannot:
    ///
    /// ```sql
    /// SET SESSION lock_wait_timeout = 5;
    /// ALTER TABLE orders DROP COLUMN legacy_state, ALGORITHM=INSTANT;
    /// ```
    ///
    /// ## Dialects
    /// MySQL and MariaDB; depends on `--engine-version` (e.g. `8.0.28`, `mariadb-10.3`).
    pub struct AlterTableRebuild {
        name: "alter-table-rebuild",
        category: Mysql,
        severity: Warning,
        dialects: Mysql,
        concern: Any,
        default: true,
        summary: "an ALTER or OPTIMIZE that rebuilds the whole table in place (long, replica lag)",
    }
}

impl Rule for AlterTableRebuild {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for stmt in cx.statements {
            let algorithm = stmt.algorithm();
            if algorithm == Some("INSTANT") {
                continue;
            }
            let inplace = algorithm == Some("INPLACE");
            let Some((info, reason)) = stmt
                .ops
                .iter()
                .filter(|o| !o.table_is_new)
                .find_map(|o| rebuild_reason(o, cx.settings.version, inplace).map(|r| (o, r)))
            else {
                continue;
            };
            let table = info
                .op
                .tables()
                .first()
                .map(|t| format!("`{t}`"))
                .unwrap_or_else(|| "the table".to_owned());
            out.emit(
                stmt.span.clone(),
                format!(
                    "{reason}: every row and index of {table} is rewritten, which takes as long as the table is big, and replicas replay it afterwards, falling behind by as much"
                ),
                "run it when lag can be watched, or with an online schema change tool (gh-ost, pt-online-schema-change); for column changes, write `ALGORITHM=INSTANT` on a version that supports it so the statement fails instead of rebuilding",
            );
        }
    }
}
