//! Version-dependent MySQL / MariaDB rules: what is instant, what rebuilds.

use bellows::dialect::{Dialect, EngineVersion};
use bellows::lint::{lint_sources, LintSettings};
use bellows::rules::RuleSet;
use bellows::source::SourceFile;

const SETUP: &str = "CREATE TABLE orders (id BIGINT PRIMARY KEY, note VARCHAR(20) NULL, state VARCHAR(20) NOT NULL) ENGINE=InnoDB;";

fn rules_hit(version: &str, rule: &str, sql: &str) -> Vec<String> {
    let mut settings = LintSettings::new(Dialect::Mysql);
    settings.version = EngineVersion::parse(version, Dialect::Mysql).unwrap();
    let mut rules = RuleSet::default_rules();
    rules.select_only(&[rule.to_owned()]).unwrap();
    settings.rules = rules;
    let results = lint_sources(
        vec![
            SourceFile::new("setup.sql", SETUP),
            SourceFile::new("m.sql", sql),
        ],
        &settings,
    );
    results[1]
        .findings
        .iter()
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn drop_column_is_instant_from_8_0_29_and_mariadb_10_4() {
    let sql = "ALTER TABLE orders DROP COLUMN note, ALGORITHM=INSTANT;";
    let rule = "algorithm-instant-unsupported";
    assert_eq!(rules_hit("8.0.28", rule, sql).len(), 1);
    assert!(rules_hit("8.0.29", rule, sql).is_empty());
    assert!(
        rules_hit("8.0", rule, sql).is_empty(),
        "8.0 is the newest 8.0"
    );
    assert_eq!(rules_hit("mariadb-10.3", rule, sql).len(), 1);
    assert!(rules_hit("mariadb-10.11", rule, sql).is_empty());
    assert_eq!(rules_hit("5.7", rule, sql).len(), 1);
}

#[test]
fn instant_refuses_index_builds_and_nullability_changes() {
    let rule = "algorithm-instant-unsupported";
    assert_eq!(
        rules_hit(
            "8.4",
            rule,
            "ALTER TABLE orders ADD INDEX i (state), ALGORITHM=INSTANT;"
        )
        .len(),
        1
    );
    assert_eq!(
        rules_hit(
            "8.4",
            rule,
            "ALTER TABLE orders MODIFY note VARCHAR(20) NOT NULL, ALGORITHM=INSTANT;"
        )
        .len(),
        1
    );
    // Widening within the length-prefix band: INSTANT on MariaDB, INPLACE on MySQL.
    let widen = "ALTER TABLE orders MODIFY note VARCHAR(40) NULL, ALGORITHM=INSTANT;";
    assert!(rules_hit("mariadb-10.11", rule, widen).is_empty());
    assert_eq!(rules_hit("8.4", rule, widen).len(), 1);
    assert!(rules_hit(
        "8.4",
        rule,
        "ALTER TABLE orders ADD COLUMN x INT NULL, ALGORITHM=INSTANT;"
    )
    .is_empty());
    assert_eq!(
        rules_hit(
            "8.0.20",
            rule,
            "ALTER TABLE orders ADD COLUMN x INT NULL AFTER id, ALGORITHM=INSTANT;"
        )
        .len(),
        1
    );
}

#[test]
fn rebuilds_depend_on_version_and_requested_algorithm() {
    let rule = "alter-table-rebuild";
    let drop = "ALTER TABLE orders DROP COLUMN note;";
    assert_eq!(rules_hit("8.0.28", rule, drop).len(), 1);
    assert!(rules_hit("8.0.29", rule, drop).is_empty());
    let inplace = "ALTER TABLE orders DROP COLUMN note, ALGORITHM=INPLACE, LOCK=NONE;";
    let hit = rules_hit("8.0.29", rule, inplace);
    assert_eq!(hit.len(), 1);
    assert!(hit[0].contains("ALGORITHM=INPLACE"), "{hit:?}");
    assert_eq!(rules_hit("8.4", rule, "OPTIMIZE TABLE orders;").len(), 1);
    assert_eq!(
        rules_hit("8.4", rule, "ALTER TABLE orders ENGINE=InnoDB;").len(),
        1
    );
    assert_eq!(
        rules_hit(
            "8.4",
            rule,
            "ALTER TABLE orders MODIFY state VARCHAR(20) NULL;"
        )
        .len(),
        1,
        "making a column nullable rebuilds"
    );
    // A new table costs nothing to rebuild.
    assert!(rules_hit(
        "8.4",
        rule,
        "CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB; OPTIMIZE TABLE t;"
    )
    .is_empty());
}
