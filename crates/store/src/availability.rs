//! Availability search ([`AvailabilityStore`]): the bulk reads a search needs (the centres of an
//! area or near a point, an area's open sessions with their slots, sessions by id, summaries of
//! centres' offer), and the statements an area search runs, shared with the benchmark's baseline.

use crate::db::{SqlStore, db_error, on_pool};
use crate::facilities::{CENTER_COLUMNS, CenterRow};
use crate::sessions::{SESSION_COLUMNS, SLOT_COLUMNS, SessionRow, SlotRow, assemble, count};
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::availability::{AreaAvailability, AvailabilityStore, CenterArea, CenterSummary};
use sehat_domain::facility::Center;
use sehat_domain::ids::{CenterId, SessionId};
use sehat_domain::schedule::{Session, SessionStatus};
use sehat_domain::values::GeoPoint;
use sqlx::QueryBuilder;
use std::collections::HashMap;
use time::Date;

#[async_trait]
impl AvailabilityStore for SqlStore {
    async fn centers_in(&self, area: CenterArea) -> Result<Vec<Center>, DomainError> {
        let (column, value) = match area {
            CenterArea::Pincode(p) => ("c.pincode", i64::from(p.get())),
            CenterArea::Block(b) => ("c.block_id", b.0),
            CenterArea::District(d) => ("c.district_id", d.0),
        };
        let sql = format!(
            "SELECT {CENTER_COLUMNS} WHERE c.active AND {column} = $1 ORDER BY c.id LIMIT 2000"
        );
        let rows: Vec<CenterRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(value).fetch_all(p).await.map_err(db_error))?;
        rows.into_iter().map(Center::try_from).collect()
    }

    async fn centers_near(
        &self,
        point: GeoPoint,
        limit: u32,
    ) -> Result<Vec<(Center, f64)>, DomainError> {
        // Boxes of growing size around the point (the index on (lat, lon) narrows each) until
        // enough centres are in, then exact great-circle distances decide the order.
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut found = Vec::new();
        for degrees in [0.05, 0.2, 0.5, 1.5] {
            let sql = format!(
                "SELECT {CENTER_COLUMNS} WHERE c.active AND c.lat BETWEEN $1 AND $2 AND c.lon BETWEEN $3 AND $4 LIMIT 5000"
            );
            let rows: Vec<CenterRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(point.lat() - degrees).bind(point.lat() + degrees)
                .bind(point.lon() - degrees).bind(point.lon() + degrees)
                .fetch_all(p).await.map_err(db_error))?;
            found = rows
                .into_iter()
                .map(Center::try_from)
                .collect::<Result<Vec<_>, _>>()?;
            if found.len() >= wanted {
                break;
            }
        }
        let mut near: Vec<(Center, f64)> = found
            .into_iter()
            .filter_map(|c| {
                let at = GeoPoint::new(c.lat?, c.long?).ok()?;
                let km = point.distance_km(at);
                Some((c, km))
            })
            .collect();
        near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id)));
        near.truncate(wanted);
        Ok(near)
    }

    async fn center_summaries(
        &self,
        centers: &[CenterId],
        from: Date,
    ) -> Result<Vec<(CenterId, CenterSummary)>, DomainError> {
        if centers.is_empty() {
            return Ok(Vec::new());
        }
        type Row = (i64, i64, i64, Date, i64);
        let rows: Vec<Row> = on_pool!(&self.pool, p => {
            let mut q = QueryBuilder::new(
                "SELECT se.center_id, MIN(sl.start_minute), MAX(sl.end_minute), MAX(se.date), \
                 MAX(se.capacity_online + se.capacity_walkin) \
                 FROM sessions se JOIN slots sl ON sl.session_id = se.id \
                 WHERE se.status = 'OPEN' AND se.date >= ");
            q.push_bind(from).push(" AND se.center_id IN (");
            let mut list = q.separated(", ");
            for c in centers {
                list.push_bind(c.0);
            }
            q.push(") GROUP BY se.center_id");
            q.build_query_as().fetch_all(p).await.map_err(db_error)
        })?;
        let vaccines: Vec<(i64, String)> = on_pool!(&self.pool, p => {
            let mut q = QueryBuilder::new(
                "SELECT DISTINCT center_id, vaccine_code FROM sessions WHERE status = 'OPEN' AND date >= ");
            q.push_bind(from).push(" AND center_id IN (");
            let mut list = q.separated(", ");
            for c in centers {
                list.push_bind(c.0);
            }
            q.push(") ORDER BY center_id, vaccine_code");
            q.build_query_as().fetch_all(p).await.map_err(db_error)
        })?;
        let mut out: HashMap<i64, CenterSummary> = HashMap::new();
        for (center, start, end, last, daily) in rows {
            out.insert(
                center,
                CenterSummary {
                    hours: Some((
                        u16::try_from(start).unwrap_or(0),
                        u16::try_from(end).unwrap_or(0),
                    )),
                    daily_capacity: count(daily),
                    last_date: Some(last),
                    vaccines: Vec::new(),
                },
            );
        }
        for (center, vaccine) in vaccines {
            out.entry(center).or_default().vaccines.push(vaccine);
        }
        Ok(out
            .into_iter()
            .map(|(id, summary)| (CenterId(id), summary))
            .collect())
    }

    /// Sessions by id, with their slots.
    async fn sessions_by_id(&self, ids: &[SessionId]) -> Result<Vec<Session>, DomainError> {
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
    async fn availability(
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
