use bellows_bench_gen::{migrations, postgres_file, small_file, Options};

#[test]
fn deterministic() {
    let a = postgres_file(7, 50_000, Options::default());
    assert_eq!(a, postgres_file(7, 50_000, Options::default()));
    assert_ne!(a, postgres_file(8, 50_000, Options::default()));
    assert_eq!(small_file(3), small_file(3));
    let m1: Vec<String> = migrations(5, 50)
        .into_iter()
        .map(|m| m.name + &m.up)
        .collect();
    let m2: Vec<String> = migrations(5, 50)
        .into_iter()
        .map(|m| m.name + &m.up)
        .collect();
    assert_eq!(m1, m2);
}

#[test]
fn sqlparser_only_leaves_out_what_sqlparser_cannot_read() {
    let text = postgres_file(
        1,
        500_000,
        Options {
            sqlparser_only: true,
        },
    );
    for bad in [
        "DO $$",
        "REINDEX",
        "DROP INDEX CONCURRENTLY",
        "ALTER SEQUENCE",
    ] {
        assert!(!text.contains(bad), "{bad}");
    }
    let full = postgres_file(1, 500_000, Options::default());
    assert!(full.contains("DO $$"));
    assert!(full.len() >= 500_000);
}

#[test]
fn migrations_are_numbered_in_order() {
    let ms = migrations(9, 120);
    assert_eq!(ms.len(), 120);
    assert!(ms[0].name.starts_with("00001_"));
    assert!(ms[119].name.starts_with("00120_"));
    assert!(ms.iter().all(|m| !m.up.trim().is_empty()));
}
