//! The migrations, compiled into the binary from `migrations/{sqlite,postgres}/` (the same
//! numbered files for both). They are listed here rather than found by `sqlx::migrate!`: that
//! macro builds a second copy of sqlx's drivers and of SQLite's C code for the compiler host,
//! about a tenth of a cold build. A test checks the lists against the directories, and the
//! checksums are sqlx's own, so databases migrated either way agree.

use crate::db::Backend;
use futures_util::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;

/// `(file name, SQL)` of each SQLite migration, in order.
const SQLITE: &[(&str, &str)] = &[
    (
        "0001_reference_data.sql",
        include_str!("../migrations/sqlite/0001_reference_data.sql"),
    ),
    (
        "0002_facilities.sql",
        include_str!("../migrations/sqlite/0002_facilities.sql"),
    ),
    (
        "0003_identity_and_booking.sql",
        include_str!("../migrations/sqlite/0003_identity_and_booking.sql"),
    ),
    (
        "0004_auth_attempts.sql",
        include_str!("../migrations/sqlite/0004_auth_attempts.sql"),
    ),
    (
        "0005_center_location_index.sql",
        include_str!("../migrations/sqlite/0005_center_location_index.sql"),
    ),
    (
        "0006_dose_pools_fees_feed.sql",
        include_str!("../migrations/sqlite/0006_dose_pools_fees_feed.sql"),
    ),
    (
        "0007_security.sql",
        include_str!("../migrations/sqlite/0007_security.sql"),
    ),
    (
        "0008_outbox.sql",
        include_str!("../migrations/sqlite/0008_outbox.sql"),
    ),
    (
        "0009_appointment_ids.sql",
        include_str!("../migrations/sqlite/0009_appointment_ids.sql"),
    ),
    (
        "0010_dose_schedules.sql",
        include_str!("../migrations/sqlite/0010_dose_schedules.sql"),
    ),
    (
        "0011_vaccination.sql",
        include_str!("../migrations/sqlite/0011_vaccination.sql"),
    ),
];

/// `(file name, SQL)` of each PostgreSQL migration, in order.
const POSTGRES: &[(&str, &str)] = &[
    (
        "0001_reference_data.sql",
        include_str!("../migrations/postgres/0001_reference_data.sql"),
    ),
    (
        "0002_facilities.sql",
        include_str!("../migrations/postgres/0002_facilities.sql"),
    ),
    (
        "0003_identity_and_booking.sql",
        include_str!("../migrations/postgres/0003_identity_and_booking.sql"),
    ),
    (
        "0004_auth_attempts.sql",
        include_str!("../migrations/postgres/0004_auth_attempts.sql"),
    ),
    (
        "0005_center_location_index.sql",
        include_str!("../migrations/postgres/0005_center_location_index.sql"),
    ),
    (
        "0006_dose_pools_fees_feed.sql",
        include_str!("../migrations/postgres/0006_dose_pools_fees_feed.sql"),
    ),
    (
        "0007_security.sql",
        include_str!("../migrations/postgres/0007_security.sql"),
    ),
    (
        "0008_outbox.sql",
        include_str!("../migrations/postgres/0008_outbox.sql"),
    ),
    (
        "0009_appointment_ids.sql",
        include_str!("../migrations/postgres/0009_appointment_ids.sql"),
    ),
    (
        "0010_dose_schedules.sql",
        include_str!("../migrations/postgres/0010_dose_schedules.sql"),
    ),
    (
        "0011_vaccination.sql",
        include_str!("../migrations/postgres/0011_vaccination.sql"),
    ),
];

/// The migrations of a backend, read from their file names as sqlx reads a directory:
/// `<version>_<description>.sql`, underscores in the description read as spaces.
pub(crate) fn migrations(backend: Backend) -> Vec<Migration> {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    files
        .iter()
        .map(|(name, sql)| {
            let (version, rest) = name.split_once('_').unwrap_or(("0", name));
            let description = rest.trim_end_matches(".sql").replace('_', " ");
            Migration::new(
                version.parse().unwrap_or(0),
                Cow::Owned(description),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                sql.starts_with("-- no-transaction"),
            )
        })
        .collect()
}

/// The embedded migrations of one backend as a source for sqlx's [`Migrator`].
#[derive(Debug)]
struct Embedded(Backend);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(migrations(self.0)) })
    }
}

/// The migrator of a backend.
pub(crate) async fn migrator(backend: Backend) -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded(backend)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(dir: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let mut names: Vec<String> = std::fs::read_dir(&path)
            .expect("migrations directory")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn every_migration_file_is_compiled_in_and_both_backends_have_the_same_numbers() {
        for (dir, files) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let compiled: Vec<String> = files.iter().map(|(n, _)| (*n).to_owned()).collect();
            assert_eq!(
                compiled,
                listed(dir),
                "migrations/{dir} and the list in migrations.rs"
            );
            for (name, sql) in files {
                let on_disk = std::fs::read_to_string(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("migrations")
                        .join(dir)
                        .join(name),
                )
                .expect("migration file");
                assert_eq!(*sql, on_disk, "{dir}/{name}");
            }
        }
        let versions = |b| migrations(b).iter().map(|m| m.version).collect::<Vec<_>>();
        assert_eq!(versions(Backend::Sqlite), versions(Backend::Postgres));
        assert_eq!(
            versions(Backend::Sqlite),
            (1..=SQLITE.len() as i64).collect::<Vec<_>>()
        );
    }

    #[test]
    fn descriptions_and_checksums_are_those_of_sqlx_reading_the_directory() {
        for (dir, backend) in [("sqlite", Backend::Sqlite), ("postgres", Backend::Postgres)] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let from_dir = sqlx::migrate::resolve_blocking(&path).expect("resolve");
            let ours = migrations(backend);
            assert_eq!(ours.len(), from_dir.len());
            for (a, (b, _)) in ours.iter().zip(&from_dir) {
                assert_eq!(
                    (a.version, &a.description, &a.checksum, a.no_tx),
                    (b.version, &b.description, &b.checksum, b.no_tx)
                );
            }
        }
    }

    #[tokio::test]
    async fn appointments_made_before_uuids_get_a_version_4_uuid_each() {
        let dir = tempfile::tempdir().expect("dir");
        // Rows made up without their centres and sessions: no foreign keys on this connection.
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("old.db"))
            .create_if_missing(true)
            .foreign_keys(false);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("connect");
        let migrator = migrator(Backend::Sqlite).await.expect("migrator");
        migrator.run_to(8, &pool).await.expect("up to 8");
        for number in [12_345_678_901_234_i64, 22_345_678_901_234] {
            sqlx::query(
                "INSERT INTO appointments (number, account, center_id, session_id, slot_id, dose, created_at, updated_at) \
                 VALUES ($1, 'a', 1, x'00', 1, 1, 0, 0)",
            )
            .bind(number)
            .execute(&pool)
            .await
            .expect("old appointment");
        }
        migrator.run(&pool).await.expect("the rest");
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT public_id FROM appointments")
            .fetch_all(&pool)
            .await
            .expect("ids");
        assert_eq!(ids.len(), 2);
        assert_ne!(ids[0], ids[1]);
        for id in ids {
            assert_eq!(id.get_version_num(), 4, "{id}");
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{id}");
        }
        pool.close().await;
    }
}
