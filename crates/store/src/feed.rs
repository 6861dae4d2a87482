//! The availability feed's log: changes appended by the writing transactions, stamped with
//! gap-free versions in commit order by one sequencer at a time, read back by version; and the
//! bulk reads the availability search and the feed need (sessions of an area, sessions by id).

use crate::db::{SqlStore, Tx, db_error, on_pool, on_tx};
use crate::facilities::{
    CENTER_COLUMNS, CenterRow, SESSION_COLUMNS, SLOT_COLUMNS, SessionRow, SlotRow, assemble,
};
use sehat_domain::DomainError;
use sehat_domain::facility::Center;
use sehat_domain::ids::{CenterId, DistrictId, SessionId};
use sehat_domain::schedule::{Session, SessionStatus};
use sehat_domain::store::{AreaAvailability, CenterArea, FeedChange, TouchedArea};
use sehat_domain::values::Pincode;
use sqlx::QueryBuilder;
use std::collections::HashMap;
use time::Date;
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

#[derive(sqlx::FromRow)]
struct ChangeRow {
    version: i64,
    session_id: Uuid,
    center_id: i64,
    district_id: i64,
    pincode: i64,
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

impl SqlStore {
    /// Stamps up to `max` pending changes with the next versions, oldest first, and returns the
    /// latest version. Holding the `feed_clock` row makes sequencers take turns (on any number of
    /// nodes), so versions become visible in order and without gaps.
    pub(crate) async fn sequence_feed(&self, max: u32) -> Result<u64, DomainError> {
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
    pub(crate) async fn feed_bounds(&self) -> Result<(u64, u64), DomainError> {
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
    pub(crate) async fn read_feed_changes(
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
    pub(crate) async fn prune_feed_changes(&self, before: i64) -> Result<u64, DomainError> {
        let mut tx = self.begin_write().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "DELETE FROM availability_changes WHERE version < COALESCE( \
                 (SELECT MIN(version) FROM availability_changes WHERE version IS NOT NULL AND changed_at >= $1), \
                 (SELECT MAX(version) + 1 FROM availability_changes WHERE version IS NOT NULL), 0)")
            .bind(before).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await?;
        Ok(n)
    }

    /// Sessions by id, with their slots.
    pub(crate) async fn read_sessions_by_id(
        &self,
        ids: &[SessionId],
    ) -> Result<Vec<Session>, DomainError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sessions: Vec<SessionRow> = on_pool!(&self.pool, p => {
                let mut q = QueryBuilder::new(format!("SELECT {SESSION_COLUMNS} FROM sessions se WHERE se.id IN ("));
                let mut list = q.separated(", ");
                for s in chunk {
                    list.push_bind(s.0);
                }
                q.push(")");
                q.build_query_as().fetch_all(p).await.map_err(db_error)
            })?;
            let slots: Vec<SlotRow> = on_pool!(&self.pool, p => {
                let mut q = QueryBuilder::new(format!("SELECT {SLOT_COLUMNS} FROM slots sl WHERE sl.session_id IN ("));
                let mut list = q.separated(", ");
                for s in chunk {
                    list.push_bind(s.0);
                }
                q.push(")");
                q.build_query_as().fetch_all(p).await.map_err(db_error)
            })?;
            out.extend(assemble(sessions, slots)?);
        }
        // A session of a centre that takes no bookings is, for everyone reading it, closed.
        let mut centers: Vec<i64> = out.iter().map(|s| s.center_id.0).collect();
        centers.sort_unstable();
        centers.dedup();
        if !centers.is_empty() {
            let inactive: Vec<i64> = on_pool!(&self.pool, p => {
                let mut q = QueryBuilder::new("SELECT id FROM centers WHERE NOT active AND id IN (");
                let mut list = q.separated(", ");
                for c in &centers {
                    list.push_bind(*c);
                }
                q.push(")");
                q.build_query_scalar().fetch_all(p).await.map_err(db_error)
            })?;
            for s in out.iter_mut().filter(|s| inactive.contains(&s.center_id.0)) {
                s.status = SessionStatus::Closed;
            }
        }
        Ok(out)
    }

    /// The active centres of an area that hold open sessions between two dates (inclusive), each
    /// with those sessions, by centre id; sessions by date and vaccine.
    pub(crate) async fn read_availability(
        &self,
        area: CenterArea,
        from: Date,
        to: Date,
    ) -> Result<AreaAvailability, DomainError> {
        let (column, value) = match area {
            CenterArea::Pincode(p) => ("c.pincode", i64::from(p.get())),
            CenterArea::Block(b) => ("c.block_id", b.0),
            CenterArea::District(d) => ("c.district_id", d.0),
        };
        let [changed_sql, sessions_sql, slots_sql, centers_sql] = availability_statements(column);
        let changed_at: Option<i64> = on_pool!(&self.pool, p => sqlx::query_scalar(sqlx::AssertSqlSafe(changed_sql))
            .bind(value).bind(from).bind(to).fetch_one(p).await.map_err(db_error))?;
        let changed_at = changed_at.unwrap_or(0);
        let sessions: Vec<SessionRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(sessions_sql))
            .bind(value).bind(from).bind(to).fetch_all(p).await.map_err(db_error))?;
        if sessions.is_empty() {
            return Ok(AreaAvailability {
                centers: Vec::new(),
                changed_at,
            });
        }
        let slots: Vec<SlotRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(slots_sql))
            .bind(value).bind(from).bind(to).fetch_all(p).await.map_err(db_error))?;
        let centers: Vec<CenterRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(centers_sql))
            .bind(value).bind(from).bind(to).fetch_all(p).await.map_err(db_error))?;
        let mut by_center: HashMap<CenterId, Vec<Session>> = HashMap::new();
        for s in assemble(sessions, slots)? {
            by_center.entry(s.center_id).or_default().push(s);
        }
        let mut out = Vec::with_capacity(centers.len());
        for row in centers {
            let center = Center::try_from(row)?;
            if let Some(sessions) = by_center.remove(&center.id) {
                out.push((center, sessions));
            }
        }
        Ok(AreaAvailability {
            centers: out,
            changed_at,
        })
    }
}

/// The four statements an area search runs (`$1` the area's id, `$2`..`$3` the dates): the
/// area's last change, its open sessions, their slots and their centres. Public so that the
/// benchmark's database baseline runs exactly these.
pub fn availability_statements(column: &str) -> [String; 4] {
    let range = format!("{column} = $1 AND se.date BETWEEN $2 AND $3");
    let where_ = format!("c.active AND {range} AND se.status = 'OPEN'");
    [
        format!(
            "SELECT MAX(t) FROM ( \
               SELECT MAX(c.updated_at) AS t FROM centers c WHERE {column} = $1 \
               UNION ALL SELECT MAX(se.updated_at) FROM sessions se JOIN centers c ON c.id = se.center_id WHERE {range} \
               UNION ALL SELECT MAX(sl.changed_at) FROM slots sl JOIN sessions se ON se.id = sl.session_id \
                 JOIN centers c ON c.id = se.center_id WHERE {range}) AS changes"
        ),
        format!(
            "SELECT {SESSION_COLUMNS} FROM sessions se JOIN centers c ON c.id = se.center_id \
             WHERE {where_} ORDER BY se.date, se.vaccine_code"
        ),
        format!(
            "SELECT {SLOT_COLUMNS} FROM slots sl JOIN sessions se ON se.id = sl.session_id \
             JOIN centers c ON c.id = se.center_id WHERE {where_}"
        ),
        format!(
            "SELECT {CENTER_COLUMNS} WHERE c.active AND {column} = $1 AND EXISTS \
             (SELECT 1 FROM sessions se WHERE se.center_id = c.id AND se.date BETWEEN $2 AND $3 AND se.status = 'OPEN') \
             ORDER BY c.id"
        ),
    ]
}
