//! The outbox's SQL: jobs written inside the transaction of the change they follow, leased by
//! workers (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so concurrent nodes take different
//! jobs; SQLite has one writer), finished once, and pruned when old ([`OutboxStore`]).

use crate::db::{Backend, SqlStore, Tx, db_error, on_pool, on_tx};
use crate::rows::row;
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::identity::{MobileHash, Sealed};
use sehat_domain::outbox::{Job, JobKind, JobResult, NewJob, OutboxStore};

/// Writes a job in the transaction, due at once: it runs only if the transaction commits.
pub(crate) async fn enqueue(tx: &mut Tx, job: &NewJob) -> Result<(), DomainError> {
    let key = uuid::Uuid::new_v4().to_string();
    let now = tx.now;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO outbox (job_key, kind, recipient, payload, attempts, run_at, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5)")
        .bind(&key).bind(job.kind.as_str()).bind(job.recipient.as_str()).bind(&job.payload).bind(now)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    Ok(())
}

row! {
    struct LeasedRow {
        id: i64,
        job_key: String,
        kind: String,
        recipient: String,
        payload: String,
        attempts: i64,
        mobile_sealed: Option<String>,
    }
}

impl From<LeasedRow> for Job {
    fn from(r: LeasedRow) -> Self {
        Self {
            id: r.id,
            key: r.job_key,
            kind: JobKind::from_stored(&r.kind),
            recipient: MobileHash::from_stored(r.recipient),
            mobile_sealed: r.mobile_sealed.map(Sealed::from_stored),
            payload: r.payload,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
        }
    }
}

#[async_trait]
impl OutboxStore for SqlStore {
    /// Leases up to `max` due jobs, oldest first, for `lease_ms`, counting the attempt. A job
    /// waits while an older one to the same recipient is unfinished (messages arrive in the
    /// order of the changes they report), and only kinds this build runs are taken (a newer
    /// node's jobs are left to it). The ids are chosen once (`MATERIALIZED`): PostgreSQL could
    /// otherwise run a `SKIP LOCKED … LIMIT` subquery more than once and lease past `max`.
    async fn lease_jobs(&self, now: i64, lease_ms: i64, max: u32) -> Result<Vec<Job>, DomainError> {
        let due: bool = on_pool!(&self.pool, p => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE done_at IS NULL AND run_at <= $1)")
            .bind(now).fetch_one(p).await.map_err(db_error))?;
        if !due {
            // Nothing to do: no write transaction (on SQLite, no turn taken from bookings).
            return Ok(Vec::new());
        }
        let skip_locked = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let kinds = JobKind::ALL
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "WITH due AS MATERIALIZED (SELECT o.id FROM outbox o \
             WHERE o.done_at IS NULL AND o.run_at <= $1 AND o.kind IN ({kinds}) \
             AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.recipient = o.recipient AND e.done_at IS NULL AND e.id < o.id) \
             ORDER BY o.run_at, o.id LIMIT $3{skip_locked}) \
             UPDATE outbox SET run_at = $1 + $2, attempts = attempts + 1 WHERE id IN (SELECT id FROM due) \
             RETURNING id, job_key, kind, recipient, payload, attempts, \
             (SELECT a.mobile_sealed FROM accounts a WHERE a.mobile_hash = outbox.recipient) AS mobile_sealed"
        );
        let mut tx = self.begin_write().await?;
        let rows: Vec<LeasedRow> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(now).bind(lease_ms).bind(i64::from(max))
            .fetch_all(c).await.map_err(db_error))?;
        tx.commit().await?;
        let mut jobs: Vec<Job> = rows.into_iter().map(Job::from).collect();
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Records how leased jobs' runs ended, in one transaction. A success always counts; a
    /// failure only from the job's current lease (`attempts`), so a worker whose lease ran out
    /// cannot push back a job another worker has taken since.
    async fn finish_jobs(
        &self,
        results: &[(i64, u32, JobResult)],
        now: i64,
    ) -> Result<(), DomainError> {
        if results.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (id, attempts, result) in results {
            let (id, attempts) = (*id, i64::from(*attempts));
            on_tx!(&mut tx, c => match result {
                JobResult::Done => sqlx::query(
                    "UPDATE outbox SET done_at = $2, outcome = 'SENT', last_error = NULL WHERE id = $1 AND done_at IS NULL")
                    .bind(id).bind(now).execute(c).await,
                JobResult::Retry { at, error } => sqlx::query(
                    "UPDATE outbox SET run_at = $3, last_error = $4 WHERE id = $1 AND attempts = $2 AND done_at IS NULL")
                    .bind(id).bind(attempts).bind(*at).bind(error).execute(c).await,
                JobResult::Failed { error } => sqlx::query(
                    "UPDATE outbox SET done_at = $3, outcome = 'FAILED', last_error = $4 \
                     WHERE id = $1 AND attempts = $2 AND done_at IS NULL")
                    .bind(id).bind(attempts).bind(now).bind(error).execute(c).await,
            }.map(|r| r.rows_affected()).map_err(db_error))?;
        }
        tx.commit().await
    }

    /// Deletes jobs finished before `before` (ms).
    async fn prune_jobs(&self, before: i64) -> Result<u64, DomainError> {
        let mut tx = self.begin_write().await?;
        let n = on_tx!(&mut tx, c => sqlx::query("DELETE FROM outbox WHERE done_at IS NOT NULL AND done_at < $1")
            .bind(before).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await?;
        Ok(n)
    }

    /// Jobs not finished yet, and jobs that failed for good.
    async fn job_counts(&self) -> Result<(u64, u64), DomainError> {
        let (pending, failed): (i64, i64) = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT CAST(COUNT(*) FILTER (WHERE done_at IS NULL) AS BIGINT), \
             CAST(COUNT(*) FILTER (WHERE outcome = 'FAILED') AS BIGINT) FROM outbox")
            .fetch_one(p).await.map_err(db_error))?;
        Ok((
            u64::try_from(pending).unwrap_or(0),
            u64::try_from(failed).unwrap_or(0),
        ))
    }
}
