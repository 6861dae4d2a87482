//! Fresh databases for tests: SQLite always, PostgreSQL when `SEHAT_TEST_POSTGRES_URL` is set.
//!
//! Migrating and loading 157,000 post offices for every test would dominate the test time, so a
//! template is built once (a SQLite file; a PostgreSQL template database, named after the
//! migrations and master data it holds) and each test gets its own copy of it.

use crate::db::{ConnectOptions, SqlStore};
use sehat_domain::clock::Clock;
use sehat_domain::master::ReferenceStore;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The environment variable naming the PostgreSQL server tests use.
pub const POSTGRES_ENV: &str = "SEHAT_TEST_POSTGRES_URL";

/// Which backends the tests of this run cover: SQLite, and PostgreSQL when configured.
pub fn backends() -> Vec<&'static str> {
    let mut out = vec!["sqlite"];
    if postgres_url().is_some() {
        out.push("postgres");
    }
    out
}

/// The PostgreSQL server tests use, from `SEHAT_TEST_POSTGRES_URL`.
///
/// Without it the PostgreSQL side of a test is skipped and the run says so once on standard
/// error; under CI (`CI` set), where PostgreSQL must be tested, the test fails instead of passing
/// on half its backends.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    if url.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must test PostgreSQL: set {POSTGRES_ENV} (.ci/run does)"
        );
        // Once per test binary, written past the harness's capture (which takes `eprintln!`).
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED the PostgreSQL side of the storage tests: set {POSTGRES_ENV} to run it"
            );
        });
    }
    url
}

/// A database of its own for one test, migrated and holding the master data.
#[derive(Debug)]
pub struct TestDatabase {
    /// The connection URL.
    pub url: String,
    /// The store on it.
    pub store: SqlStore,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

static SQLITE_TEMPLATE: OnceCell<(tempfile::TempDir, PathBuf)> = OnceCell::const_new();
static POSTGRES_TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn prepare(store: &SqlStore) {
    store.migrate().await.expect("migrate");
    let (data, _) = crate::master_data::shipped().expect("master data");
    store
        .import_master_data(&data)
        .await
        .expect("import master data");
}

fn template_name() -> String {
    let (data, _) = crate::master_data::shipped().expect("master data");
    let mut parts = vec![data.version];
    parts.extend(crate::db::migration_checksums());
    let joined = parts.join("/");
    let hash = joined.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("sehat_tpl_{hash:016x}")
}

impl TestDatabase {
    /// A fresh database on `backend` (`"sqlite"` or `"postgres"`).
    pub async fn new(backend: &str, clock: Arc<dyn Clock>) -> Self {
        match backend {
            "sqlite" => Self::sqlite(clock).await,
            "postgres" => Self::postgres(clock).await,
            other => panic!("unknown backend {other}"),
        }
    }

    async fn sqlite(clock: Arc<dyn Clock>) -> Self {
        let (_, template) = SQLITE_TEMPLATE
            .get_or_init(|| async {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join("template.db");
                let url = format!("sqlite://{}", path.display());
                let store = SqlStore::connect(&ConnectOptions::new(&url), clock.clone())
                    .await
                    .expect("connect template");
                prepare(&store).await;
                on_checkpoint(&store).await;
                store.close().await;
                (dir, path)
            })
            .await;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sehat.db");
        std::fs::copy(template, &path).expect("copy template");
        let url = format!("sqlite://{}", path.display());
        let store = SqlStore::connect(&ConnectOptions::new(&url), clock)
            .await
            .expect("connect");
        Self {
            url,
            store,
            _dir: Some(dir),
            pg_admin: None,
        }
    }

    async fn postgres(clock: Arc<dyn Clock>) -> Self {
        let admin_url = std::env::var(POSTGRES_ENV).expect(POSTGRES_ENV);
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but PostgreSQL is unreachable: {e}"));
        let template = POSTGRES_TEMPLATE
            .get_or_init(|| async {
                let name = template_name();
                // Several test processes may race to build the template: serialise on a lock.
                let mut conn = admin.acquire().await.expect("acquire");
                sqlx::query("SELECT pg_advisory_lock(7342001)")
                    .execute(&mut *conn)
                    .await
                    .expect("lock");
                let exists: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                        .bind(&name)
                        .fetch_optional(&mut *conn)
                        .await
                        .expect("query");
                if exists.is_none() {
                    let building = format!("{name}_building");
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {building} WITH (FORCE)"
                    )))
                    .execute(&mut *conn)
                    .await
                    .expect("drop");
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}")))
                        .execute(&mut *conn)
                        .await
                        .expect("create template");
                    let url = with_database(&admin_url, &building);
                    let store = SqlStore::connect(&ConnectOptions::new(&url), clock.clone())
                        .await
                        .expect("connect");
                    prepare(&store).await;
                    store.close().await;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "ALTER DATABASE {building} RENAME TO {name}"
                    )))
                    .execute(&mut *conn)
                    .await
                    .expect("rename template");
                }
                sqlx::query("SELECT pg_advisory_unlock(7342001)")
                    .execute(&mut *conn)
                    .await
                    .expect("unlock");
                name
            })
            .await;
        let name = format!("sehat_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} TEMPLATE {template}"
        )))
        .execute(&admin)
        .await
        .expect("create test database");
        admin.close().await;
        let url = with_database(&admin_url, &name);
        let store = SqlStore::connect(&ConnectOptions::new(&url), clock)
            .await
            .expect("connect");
        Self {
            url,
            store,
            _dir: None,
            pg_admin: Some((admin_url, name)),
        }
    }

    /// Closes the store and drops a PostgreSQL test database.
    pub async fn teardown(self) {
        self.store.close().await;
        if let Some((admin_url, name)) = self.pg_admin
            && let Ok(admin) = sqlx::PgPool::connect(&admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&admin)
            .await;
            admin.close().await;
        }
    }
}

async fn on_checkpoint(store: &SqlStore) {
    crate::db::checkpoint(store).await;
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

impl TestDatabase {
    /// Runs raw SQL, for tests that must set up states no use case produces yet.
    pub async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        crate::db::execute_raw(&self.store, sql).await
    }

    /// Runs a query returning one text value, or `None` for no row or NULL (tests only).
    pub async fn text(&self, sql: &str) -> Option<String> {
        crate::db::text_raw(&self.store, sql).await.expect("query")
    }

    /// Runs a query returning one number (`SELECT COUNT(*) …`), for checking invariants.
    pub async fn number(&self, sql: &str) -> i64 {
        crate::db::scalar_raw(&self.store, sql)
            .await
            .expect("query")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_replaced_in_urls() {
        assert_eq!(
            super::with_database(
                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
                "x"
            ),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h", "x"), "postgres://h/x");
    }
}
