//! The availability feed's log ([`FeedStore`]): changes appended by the writing transactions,
//! heard by this process's hook after each commit, stamped with gap-free versions in commit order
//! by one sequencer at a time, read back by version, and pruned when old.

use crate::db::{SqlStore, Tx, db_error, on_pool, on_tx};
use crate::rows::row;
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::availability::CenterArea;
use sehat_domain::feed::{ChangeHook, FeedChange, FeedStore, TouchedArea};
use sehat_domain::ids::{CenterId, DistrictId, SessionId};
use sehat_domain::values::Pincode;
use sqlx::QueryBuilder;
use uuid::Uuid;

/// Appends one feed row per session whose seats or terms changed, in the caller's transaction.
pub(crate) async fn note_changes(
    tx: &mut Tx,
    sessions: &[SessionId],
    now: i64,
    frees_seats: bool,
) -> Result<(), DomainError> {
    if sessions.is_empty() {
        return Ok(());
    }
    for chunk in sessions.chunks(500) {
        let touched = on_tx!(tx, c => {
            let mut q = QueryBuilder::new(
                "INSERT INTO availability_changes (session_id, center_id, district_id, pincode, changed_at) \
                 SELECT se.id, c.id, c.district_id, c.pincode, ");
            q.push_bind(now).push(" FROM sessions se JOIN centers c ON c.id = se.center_id WHERE se.id IN (");
            let mut list = q.separated(", ");
            for s in chunk {
                list.push_bind(s.0);
            }
            q.push(") RETURNING district_id, pincode, session_id");
            q.build_query_as::<(i64, i64, Uuid)>().fetch_all(c).await.map_err(db_error)
        })?;
        tx.touched.extend(
            touched
                .into_iter()
                .map(|(district_id, pincode, session_id)| TouchedArea {
                    district_id,
                    pincode,
                    session_id,
                    frees_seats,
                }),
        );
    }
    Ok(())
}

row! {
    struct ChangeRow {
        version: i64,
        session_id: Uuid,
        center_id: i64,
        district_id: i64,
        pincode: i64,
    }
}

impl TryFrom<ChangeRow> for FeedChange {
    type Error = DomainError;

    fn try_from(r: ChangeRow) -> Result<Self, DomainError> {
        Ok(Self {
            version: u64::try_from(r.version).unwrap_or(0),
            session_id: SessionId(r.session_id),
            center_id: CenterId(r.center_id),
            district_id: DistrictId(r.district_id),
            pincode: Pincode::from_number(r.pincode)
                .map_err(|e| DomainError::Internal(e.into()))?,
        })
    }
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[async_trait]
impl FeedStore for SqlStore {
    fn watch_changes(&self, hook: ChangeHook) {
        if let Ok(mut slot) = self.change_hook.0.write() {
            *slot = Some(hook);
        }
    }

    /// Stamps up to `max` pending changes with the next versions, oldest first, and returns the
    /// latest version. Holding the `feed_clock` row makes sequencers take turns (on any number of
    /// nodes), so versions become visible in order and without gaps.
    async fn sequence_feed(&self, max: u32) -> Result<u64, DomainError> {
        // Most polls find nothing to stamp: a read says so without taking the writer's turn.
        let (latest, pending): (i64, bool) = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT (SELECT version FROM feed_clock WHERE id = 1), \
                    EXISTS (SELECT 1 FROM availability_changes WHERE version IS NULL)")
            .fetch_one(p).await.map_err(db_error))?;
        if !pending {
            return Ok(u64::try_from(latest).unwrap_or(0));
        }
        let mut tx = self.begin_write().await?;
        let base: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "UPDATE feed_clock SET version = version WHERE id = 1 RETURNING version")
            .fetch_one(c).await.map_err(db_error))?;
        let stamped = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE availability_changes SET version = $1 + p.rn \
             FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM availability_changes \
                   WHERE version IS NULL ORDER BY id LIMIT $2) AS p \
             WHERE availability_changes.id = p.id")
            .bind(base).bind(i64::from(max))
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        if stamped == 0 {
            drop(tx);
            return Ok(u64::try_from(base).unwrap_or(0));
        }
        let latest = base + i64::try_from(stamped).unwrap_or(0);
        on_tx!(&mut tx, c => sqlx::query("UPDATE feed_clock SET version = $1 WHERE id = 1")
            .bind(latest).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await?;
        Ok(u64::try_from(latest).unwrap_or(0))
    }

    /// The latest stamped version, and the oldest one still kept (0 when none).
    async fn feed_bounds(&self) -> Result<(u64, u64), DomainError> {
        let (latest, oldest): (i64, Option<i64>) = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT (SELECT version FROM feed_clock WHERE id = 1), \
                    (SELECT MIN(version) FROM availability_changes WHERE version IS NOT NULL)")
            .fetch_one(p).await.map_err(db_error))?;
        Ok((
            u64::try_from(latest).unwrap_or(0),
            oldest.map_or(0, |o| u64::try_from(o).unwrap_or(0)),
        ))
    }

    /// Stamped changes after `after`, in version order, optionally in one area only.
    async fn feed_changes(
        &self,
        after: u64,
        area: Option<CenterArea>,
        limit: u32,
    ) -> Result<Vec<FeedChange>, DomainError> {
        let filter = match area {
            None => ("$2 = $2", 0),
            Some(CenterArea::District(d)) => ("district_id = $2", d.0),
            Some(CenterArea::Pincode(p)) => ("pincode = $2", i64::from(p.get())),
            Some(CenterArea::Block(_)) => {
                return Err(DomainError::invalid(
                    "area",
                    "the feed follows a district or a pincode",
                ));
            }
        };
        let sql = format!(
            "SELECT version, session_id, center_id, district_id, pincode FROM availability_changes \
             WHERE version > $1 AND {} ORDER BY version LIMIT $3",
            filter.0
        );
        let rows: Vec<ChangeRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(version(after)).bind(filter.1).bind(i64::from(limit))
            .fetch_all(p).await.map_err(db_error))?;
        rows.into_iter().map(FeedChange::try_from).collect()
    }

    /// Forgets the stamped changes before the first one made at or after `before` (ms): always a
    /// prefix of versions (writers' clocks are not in version order), so the oldest version kept
    /// says truly how far back the log reaches. A client resuming from before it gets a fresh
    /// snapshot instead.
    async fn prune_feed(&self, before: i64) -> Result<u64, DomainError> {
        let mut tx = self.begin_write().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "DELETE FROM availability_changes WHERE version < COALESCE( \
                 (SELECT MIN(version) FROM availability_changes WHERE version IS NOT NULL AND changed_at >= $1), \
                 (SELECT MAX(version) + 1 FROM availability_changes WHERE version IS NOT NULL), 0)")
            .bind(before).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await?;
        Ok(n)
    }
}
