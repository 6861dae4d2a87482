//! Emptying a database for a fresh start (`sehat serve --demo --reset`): every table, view and
//! function sehat's migrations made in it, its rows and the migrations' own ledger.

use crate::SqlStore;
use crate::db::{Pool, db_error};
use sehat_domain::DomainError;
use sqlx::AssertSqlSafe;

impl SqlStore {
    /// Drops every table (with its rows, indexes and triggers), view and function of the
    /// database's current schema, the migration ledger included, so that the next `migrate`
    /// builds it anew. Returns how many objects were dropped. Meant for demo and development
    /// databases: nothing of what was there survives.
    pub async fn drop_everything(&self) -> Result<u64, DomainError> {
        let mut dropped = 0;
        match &self.pool {
            Pool::Sqlite(pool) => {
                let mut conn = pool.acquire().await.map_err(db_error)?;
                sqlx::query("PRAGMA foreign_keys = OFF")
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error)?;
                let objects: Vec<(String, String)> = sqlx::query_as(
                    "SELECT type, name FROM sqlite_master \
                     WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                )
                .fetch_all(&mut *conn)
                .await
                .map_err(db_error)?;
                for (kind, name) in objects {
                    let kind = if kind == "view" { "VIEW" } else { "TABLE" };
                    let sql = format!("DROP {kind} IF EXISTS \"{}\"", name.replace('"', "\"\""));
                    sqlx::query(AssertSqlSafe(sql))
                        .execute(&mut *conn)
                        .await
                        .map_err(db_error)?;
                    dropped += 1;
                }
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error)?;
                sqlx::query("VACUUM")
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error)?;
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(db_error)?;
                let objects: Vec<String> = sqlx::query_scalar(
                    "SELECT format('VIEW %I', viewname) FROM pg_views \
                       WHERE schemaname = current_schema() \
                     UNION ALL SELECT format('TABLE %I', tablename) FROM pg_tables \
                       WHERE schemaname = current_schema() \
                     UNION ALL SELECT format('FUNCTION %s', p.oid::regprocedure) \
                       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                       WHERE n.nspname = current_schema() \
                         AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                                         WHERE d.objid = p.oid AND d.deptype = 'e')",
                )
                .fetch_all(&mut *tx)
                .await
                .map_err(db_error)?;
                for object in objects {
                    sqlx::query(AssertSqlSafe(format!("DROP {object} CASCADE")))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    dropped += 1;
                }
                tx.commit().await.map_err(db_error)?;
            }
        }
        Ok(dropped)
    }
}
