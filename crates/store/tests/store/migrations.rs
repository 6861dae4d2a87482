//! The two dialects' migrations must stay in step: the same numbered files on both sides.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::path::Path;

fn names(dialect: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn sqlite_and_postgres_have_the_same_numbered_migrations() {
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    for (i, name) in sqlite.iter().enumerate() {
        let number: usize = name.split('_').next().unwrap().parse().unwrap();
        assert_eq!(
            number,
            i + 1,
            "{name}: migrations are numbered 0001, 0002, … without gaps"
        );
        assert!(name.ends_with(".sql"));
    }
}
