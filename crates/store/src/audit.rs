//! The audit log's SQL: appending inside the writer's transaction, sealing records into the hash
//! chain one sealer at a time (holding the `audit_head` row), and reading the chain back
//! ([`AuditStore`]); and the audit records of reads of personal data.

use crate::db::{SqlStore, Tx, db_error, on_pool, on_tx};
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::audit::{AuditChain, AuditRecord, AuditStore, SealedRecord};

/// Appends records in the transaction (before it commits: the record and the action stand or
/// fall together).
pub(crate) async fn append(tx: &mut Tx, records: &[AuditRecord]) -> Result<(), DomainError> {
    for r in records {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO audit_log (at, actor, origin, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(r.at).bind(&r.actor).bind(&r.origin).bind(&r.action).bind(&r.subject).bind(&r.detail)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    }
    Ok(())
}

type RecordRow = (i64, i64, String, String, String, String, String);

fn record_of(row: RecordRow) -> (i64, AuditRecord) {
    let (id, at, actor, origin, action, subject, detail) = row;
    (
        id,
        AuditRecord {
            at,
            actor,
            origin,
            action,
            subject,
            detail,
        },
    )
}

fn position(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl AuditStore for SqlStore {
    /// Seals up to `max` pending records, oldest first, into the chain; returns how many.
    async fn seal_audit(&self, chain: &AuditChain, max: u32) -> Result<u64, DomainError> {
        let pending: bool = on_pool!(&self.pool, p => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE seq IS NULL)")
            .fetch_one(p).await.map_err(db_error))?;
        if !pending {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        // Taking the head row makes this the only sealer until it commits.
        let (mut seq, mut hash): (i64, String) = on_tx!(&mut tx, c => sqlx::query_as(
            "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_one(c).await.map_err(db_error))?;
        let rows: Vec<RecordRow> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT id, at, actor, origin, action, subject, detail FROM audit_log \
             WHERE seq IS NULL ORDER BY id LIMIT $1")
            .bind(i64::from(max)).fetch_all(c).await.map_err(db_error))?;
        let sealed = rows.len() as u64;
        for row in rows {
            let (id, record) = record_of(row);
            let next = chain.link(&hash, position(seq + 1), &record);
            on_tx!(&mut tx, c => sqlx::query(
                "UPDATE audit_log SET seq = $2, prev_hash = $3, hash = $4 WHERE id = $1")
                .bind(id).bind(seq + 1).bind(&hash).bind(&next)
                .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
            seq += 1;
            hash = next;
        }
        on_tx!(&mut tx, c => sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq).bind(&hash).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await?;
        Ok(sealed)
    }

    /// Sealed records after position `after`, in chain order.
    async fn audit_records(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<SealedRecord>, DomainError> {
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            String,
            String,
            i64,
            String,
            String,
        );
        let rows: Vec<Row> = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT id, at, actor, origin, action, subject, detail, seq, prev_hash, hash FROM audit_log \
             WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(i64::try_from(after).unwrap_or(i64::MAX)).bind(i64::from(limit))
            .fetch_all(p).await.map_err(db_error))?;
        Ok(rows
            .into_iter()
            .map(
                |(id, at, actor, origin, action, subject, detail, seq, prev, hash)| {
                    let (_, record) = record_of((id, at, actor, origin, action, subject, detail));
                    SealedRecord {
                        seq: position(seq),
                        record,
                        prev_hash: prev,
                        hash,
                    }
                },
            )
            .collect())
    }

    /// The head of the chain (position and hash) and how many records wait to be sealed.
    async fn audit_head(&self) -> Result<(u64, String, u64), DomainError> {
        let (seq, hash, pending): (i64, String, i64) = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT h.seq, h.hash, (SELECT COUNT(*) FROM audit_log WHERE seq IS NULL) \
             FROM audit_head h WHERE h.id = 1")
            .fetch_one(p).await.map_err(db_error))?;
        Ok((position(seq), hash, position(pending)))
    }
}

impl SqlStore {
    /// Records, in a transaction of its own, that this handle's actor read personal data (when
    /// the actor is an admin or a partner; a family reading its own data is not recorded).
    pub(crate) async fn audit_read(
        &self,
        subject: String,
        detail: String,
    ) -> Result<(), DomainError> {
        if !self.actor.privileged {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        tx.audit("personal-data.read", subject, detail);
        tx.commit().await
    }
}
