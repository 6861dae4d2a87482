//! What the resilience suites read back after a storm or a crash: every appointment row with
//! its state, and the database's own consistency check (SQLite's `integrity_check`,
//! PostgreSQL's `amcheck` on every B-tree index). Nothing here is on a request path.

use crate::db::{Pool, SqlStore, db_error, on_pool};
use crate::rows::row;
use sehat_domain::DomainError;

row! {
    /// One beneficiary's place in one appointment.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct AppointmentRow {
        /// The appointment's confirmation number.
        pub appointment_no: i64,
        /// Its UUID (v2's name for it).
        pub appointment_id: uuid::Uuid,
        /// The beneficiary's reference id.
        pub beneficiary_id: i64,
        /// The dose booked.
        pub dose: i64,
        /// `ACTIVE`, `CANCELLED` or `RESCHEDULED`.
        pub status: String,
        /// The appointment's slot now.
        pub slot_id: i64,
    }
}

row! {
    /// One outbox job, as the crash suite compares it with what its gateway received.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct OutboxRow {
        /// The key every delivery of the job carries.
        pub job_key: String,
        /// What it sends.
        pub payload: String,
        /// Leases taken.
        pub attempts: i64,
        /// `SENT`, `FAILED`, or `None` while pending.
        pub outcome: Option<String>,
    }
}

/// What the database's own check said.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IntegrityReport {
    /// The check that ran (`sqlite integrity_check`, `amcheck bt_index_check`), or why none did.
    pub check: String,
    /// Objects checked (indexes for amcheck; 1 for the SQLite file).
    pub checked: i64,
    /// The problems reported; empty when the check passed.
    pub problems: Vec<String>,
}

impl IntegrityReport {
    /// True when the check ran and found nothing.
    pub fn ok(&self) -> bool {
        self.checked > 0 && self.problems.is_empty()
    }
}

impl SqlStore {
    /// Every appointment row, in appointment and beneficiary order.
    pub async fn appointment_rows(&self) -> Result<Vec<AppointmentRow>, DomainError> {
        on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT ab.appointment_no, a.public_id AS appointment_id, ab.beneficiary_id, ab.dose, ab.status, a.slot_id \
             FROM appointment_beneficiaries ab JOIN appointments a ON a.number = ab.appointment_no \
             ORDER BY ab.appointment_no, ab.beneficiary_id")
            .fetch_all(p).await.map_err(db_error))
    }

    /// Every outbox job, oldest first.
    pub async fn outbox_rows(&self) -> Result<Vec<OutboxRow>, DomainError> {
        on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT job_key, payload, attempts, outcome FROM outbox ORDER BY id")
            .fetch_all(p).await.map_err(db_error))
    }

    /// Runs the database's own consistency check: `PRAGMA integrity_check` on SQLite, and on
    /// PostgreSQL `bt_index_check` of every B-tree index of the schema, `thorough`ly also
    /// checking that every heap tuple is in each index (the `amcheck` extension is created when
    /// missing; a server without it reports so, with nothing checked).
    pub async fn integrity_check(&self, thorough: bool) -> Result<IntegrityReport, DomainError> {
        match &self.pool {
            Pool::Sqlite(p) => {
                let lines: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_all(p)
                    .await
                    .map_err(db_error)?;
                Ok(IntegrityReport {
                    check: "sqlite integrity_check".into(),
                    checked: 1,
                    problems: lines.into_iter().filter(|l| l != "ok").collect(),
                })
            }
            Pool::Postgres(p) => {
                if let Err(e) = sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck")
                    .execute(p)
                    .await
                {
                    return Ok(IntegrityReport {
                        check: format!("amcheck unavailable: {e}"),
                        checked: 0,
                        problems: Vec::new(),
                    });
                }
                let indexes: Vec<String> = sqlx::query_scalar(
                    "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                     JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE am.amname = 'btree' AND n.nspname = current_schema() AND i.indisvalid \
                     ORDER BY 1",
                )
                .fetch_all(p)
                .await
                .map_err(db_error)?;
                let mut problems = Vec::new();
                for index in &indexes {
                    if let Err(e) = sqlx::query(
                        "SELECT bt_index_check(c.oid, $2) FROM pg_class c \
                         WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace",
                    )
                    .bind(index)
                    .bind(thorough)
                    .execute(p)
                    .await
                    {
                        problems.push(format!("{index}: {e}"));
                    }
                }
                Ok(IntegrityReport {
                    check: if thorough {
                        "amcheck bt_index_check (heapallindexed)".into()
                    } else {
                        "amcheck bt_index_check".into()
                    },
                    checked: i64::try_from(indexes.len()).unwrap_or(i64::MAX),
                    problems,
                })
            }
        }
    }
}

/// Creates database `name` on the PostgreSQL server at `admin_url` as a copy of database
/// `template` (replacing an earlier `name`), returning the new database's URL: the suites copy
/// one migrated database holding the master data instead of loading it for every run.
pub async fn copy_postgres_database(
    admin_url: &str,
    template: &str,
    name: &str,
) -> Result<String, DomainError> {
    let plain = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain(name) || !plain(template) {
        return Err(DomainError::invalid(
            "database",
            "letters, digits and _ only",
        ));
    }
    let pool = sqlx::PgPool::connect(admin_url).await.map_err(db_error)?;
    for sql in [
        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .map_err(db_error)?;
    }
    pool.close().await;
    Ok(crate::testing::with_database(admin_url, name))
}
