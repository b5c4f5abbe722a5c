//! What MySQL / MariaDB can do with `ALGORITHM=INSTANT`, and what rebuilds the table in
//! place, by engine version (MySQL 8.0 / 8.4 and MariaDB "Online DDL" tables in
//! ENGINE-FACTS.md).

use crate::classify::op::{ConstraintKind, DefaultKind, Generated, Op};
use crate::dialect::EngineVersion;
use crate::lint::OpInfo;

/// Is a feature available on `version`: from MySQL `mysql` (major, minor, patch) or from
/// MariaDB `mariadb` (major, minor)?
fn available_since(version: EngineVersion, mysql: (u32, u32, u32), mariadb: (u32, u32)) -> bool {
    if version.is_mariadb() {
        version.at_least(mariadb.0, mariadb.1)
    } else {
        version.at_least_patch(mysql.0, mysql.1, mysql.2)
    }
}

/// Why an operation cannot be done with `ALGORITHM=INSTANT` on `version`, or `None` when
/// it can.
pub(crate) fn instant_refusal(info: &OpInfo, version: EngineVersion) -> Option<String> {
    let maria = version.is_mariadb();
    let mysql_57 = !maria && version.major < 8;
    if mysql_57 {
        return Some("MySQL 5.7 has no INSTANT algorithm".to_owned());
    }
    let since = |mysql, mariadb| available_since(version, mysql, mariadb);
    match &info.op {
        Op::AddColumn { column, .. } => {
            if column.generated == Some(Generated::Stored) {
                Some("adding a STORED generated column copies the table".into())
            } else if column.auto_increment {
                Some("adding an AUTO_INCREMENT column rebuilds the table".into())
            } else if matches!(
                column.default,
                Some(DefaultKind::Expression(_) | DefaultKind::Volatile(_))
            ) {
                Some("a column with an expression default is filled by rebuilding the table".into())
            } else if column.primary_key || column.unique {
                Some("a key on the new column builds an index".into())
            } else if !since((8, 0, 12), (10, 3)) {
                Some("ADD COLUMN is INSTANT only from MySQL 8.0.12 / MariaDB 10.3".into())
            } else if column.placed && !since((8, 0, 29), (10, 4)) {
                Some(
                    "ADD COLUMN with FIRST/AFTER is INSTANT only from MySQL 8.0.29 / MariaDB 10.4"
                        .into(),
                )
            } else {
                None
            }
        }
        Op::DropColumn { .. } if !since((8, 0, 29), (10, 4)) => {
            Some("DROP COLUMN is INSTANT only from MySQL 8.0.29 / MariaDB 10.4".into())
        }
        Op::RenameColumn { .. } if !since((8, 0, 28), (10, 4)) => {
            Some("RENAME COLUMN is INSTANT only from MySQL 8.0.28 / MariaDB 10.4".into())
        }
        Op::RedefineColumn { from, column, .. } => {
            let Some(before) = &info.column_before else {
                return None;
            };
            let renames = from != &column.name;
            let same_type = before.ty.name == column.ty.name
                && before.ty.args == column.ty.args
                && before.ty.values == column.ty.values;
            if before.not_null != column.not_null {
                Some("changing NULL / NOT NULL rebuilds the table".into())
            } else if same_type || (info.safe_widening && before.ty.name != "varchar") {
                // Same type (a rename or an attribute), or ENUM/SET values appended.
                if renames && !since((8, 0, 28), (10, 4)) {
                    Some(
                        "renaming a column is INSTANT only from MySQL 8.0.28 / MariaDB 10.4".into(),
                    )
                } else {
                    None
                }
            } else if info.safe_widening && maria {
                None
            } else if info.safe_widening {
                Some("MySQL extends a VARCHAR in place (ALGORITHM=INPLACE), not instantly".into())
            } else {
                Some("changing a column's type copies the table".into())
            }
        }
        Op::CreateIndex { .. } => {
            Some("building an index is never instant (use ALGORITHM=INPLACE, LOCK=NONE)".into())
        }
        Op::DropIndex { .. } => Some(if maria {
            // Measured by `bellows trace` on MariaDB 10.11: "Try ALGORITHM=NOCOPY".
            "MariaDB drops an index with ALGORITHM=NOCOPY, not INSTANT".into()
        } else {
            "MySQL drops an index in place (ALGORITHM=INPLACE), not instantly".into()
        }),
        Op::AddConstraint { constraint, .. } => Some(match constraint.kind {
            ConstraintKind::ForeignKey { .. } => "adding a foreign key is never instant".into(),
            ConstraintKind::PrimaryKey { .. } => "adding a primary key rebuilds the table".into(),
            _ => "adding a constraint checks or indexes every row".into(),
        }),
        Op::DropConstraint { name, .. } if name.as_str() == "primary" => {
            Some("dropping the primary key copies the table".into())
        }
        Op::ConvertCharset { .. } => Some("converting the character set copies the table".into()),
        Op::RebuildTable { how, .. } => Some(format!("`{how}` rebuilds the table")),
        _ => None,
    }
}

/// Why an operation rebuilds the table in place (concurrent writes allowed, but as long as
/// the table is big, and replicas replay it afterwards), or `None`. `inplace`: the
/// statement asks for `ALGORITHM=INPLACE`, which rebuilds even where INSTANT would not.
pub(crate) fn rebuild_reason(
    info: &OpInfo,
    version: EngineVersion,
    inplace: bool,
) -> Option<String> {
    if inplace
        && matches!(info.op, Op::AddColumn { .. } | Op::DropColumn { .. })
        && instant_refusal(info, version).is_none()
    {
        let what = if matches!(info.op, Op::AddColumn { .. }) {
            "ADD COLUMN"
        } else {
            "DROP COLUMN"
        };
        return Some(format!(
            "with ALGORITHM=INPLACE, {what} rebuilds the table (ALGORITHM=INSTANT would not on {version})"
        ));
    }
    let since = |mysql, mariadb| available_since(version, mysql, mariadb);
    match &info.op {
        Op::RebuildTable { how, .. } => Some(match how.as_str() {
            "optimize" => "OPTIMIZE TABLE rebuilds InnoDB tables".to_owned(),
            "engine" => {
                "`ENGINE=` rebuilds the table even when the engine stays the same".to_owned()
            }
            "force" => "`FORCE` rebuilds the table".to_owned(),
            "row-format" => "changing ROW_FORMAT rebuilds the table".to_owned(),
            other => format!("`{other}` rebuilds the table"),
        }),
        Op::AddConstraint { constraint, .. }
            if matches!(constraint.kind, ConstraintKind::PrimaryKey { .. }) =>
        {
            Some("adding a primary key rebuilds the table".into())
        }
        Op::AddColumn { column, .. }
            if column.generated != Some(Generated::Stored) && !column.auto_increment =>
        {
            if !since((8, 0, 12), (10, 3)) {
                Some(format!("ADD COLUMN rebuilds the table on {version}"))
            } else if column.placed && !since((8, 0, 29), (10, 4)) {
                Some(format!(
                    "ADD COLUMN with FIRST/AFTER rebuilds the table on {version}"
                ))
            } else {
                None
            }
        }
        Op::DropColumn { .. } if !since((8, 0, 29), (10, 4)) => {
            Some(format!("DROP COLUMN rebuilds the table on {version}"))
        }
        Op::RedefineColumn { column, .. } => match &info.column_before {
            Some(before) if before.not_null && !column.not_null => {
                Some("making a column nullable rebuilds the table".into())
            }
            _ => None,
        },
        _ => None,
    }
}
