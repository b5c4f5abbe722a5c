use super::defined_columns;
use crate::classify::op::{Op, SqlType};
use crate::rules::{Emitter, FileContext, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags columns declared `timestamp` (`timestamp without time zone`) in
    /// `CREATE TABLE`, `ADD COLUMN` and `ALTER COLUMN … TYPE`.
    ///
    /// ## Why is this bad?
    /// A `timestamp` stores a wall-clock reading with no offset. The same instant written
    /// by sessions or servers with different `TimeZone` settings is stored as different
    /// values, daylight-saving changes make readings ambiguous, and comparisons with
    /// `now()` silently convert through the session's zone. `timestamptz` stores an
    /// absolute instant in the same 8 bytes and converts to the session's zone only for
    /// display.
    ///
    /// ## Safe alternative
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
    /// ```
    ///
    /// ## Dialects
    /// PostgreSQL. Opt-in.
    pub struct PreferTimestamptz {
        name: "prefer-timestamptz",
        category: Design,
        severity: Warning,
        dialects: Postgres,
        concern: Expand,
        default: false,
        summary: "timestamp without time zone loses the offset; use timestamptz",
    }
}

impl Rule for PreferTimestamptz {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &FileContext, out: &mut Emitter) {
        for (stmt, info) in cx.ops() {
            let mut found: Vec<(String, &SqlType)> = defined_columns(&info.op)
                .into_iter()
                .filter(|(_, c, _)| c.ty.name == "timestamp")
                .map(|(t, c, _)| (format!("{t}.{}", c.name), &c.ty))
                .collect();
            if let Op::AlterColumnType {
                table, column, ty, ..
            } = &info.op
            {
                if ty.name == "timestamp" {
                    found.push((format!("{table}.{column}"), ty));
                }
            }
            for (column, ty) in found {
                let written = &ty.text;
                let plain = if written.to_ascii_lowercase().contains("without time zone") {
                    ""
                } else {
                    " (without time zone)"
                };
                let precision = ty
                    .args
                    .first()
                    .map(|p| format!("({p})"))
                    .unwrap_or_default();
                let array = if ty.array { "[]" } else { "" };
                out.emit(
                    stmt.span.clone(),
                    format!(
                        "`{column}` is `{written}`{plain}: it stores a wall-clock reading with no offset, so the \
                         same instant written from different time zones is stored differently"
                    ),
                    format!("declare it `timestamptz{precision}{array}`: the same 8 bytes, an absolute instant"),
                );
            }
        }
    }
}
