//! Centres ([`FacilityStore`]): the facility import (upsert by natural key), the admin calls,
//! and reads of a centre's sessions with their slots; and the rows and columns the other readers
//! of centres share. Sessions and slots as stored are in `sessions.rs`.

use crate::db::{SqlStore, Tx, db_error, is_unique_violation, on_pool, on_tx};
use crate::rows::row;
use crate::sessions::{
    SESSION_COLUMNS, SLOT_COLUMNS, SessionRow, SlotRow, assemble, count, upsert_sessions,
};
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::facility::{
    Area, Center, CenterFilter, CenterPatch, CentreType, FacilityImport, FacilityStore, FeeType,
    Page, PlanOutcome, PlanResult, ResolvedCenter,
};
use sehat_domain::ids::{BlockId, CenterId, DistrictId, SessionId, StateId};
use sehat_domain::schedule::{DayUtilization, Session, SessionPlan};
use sehat_domain::values::Pincode;
use sqlx::QueryBuilder;
use time::Date;
use uuid::Uuid;

pub(crate) const CENTER_COLUMNS: &str = "c.id, c.name, c.state_id, s.name AS state_name, c.district_id, \
    d.name AS district_name, c.block_id, b.name AS block_name, c.pincode, c.address, \
    c.incharge_name, c.incharge_mobile, c.lat, c.lon, c.centre_type, c.area, c.fee_type, \
    c.vaccine_codes, c.active \
    FROM centers c JOIN states s ON s.id = c.state_id JOIN districts d ON d.id = c.district_id \
    LEFT JOIN blocks b ON b.id = c.block_id";

row! {
    pub(crate) struct CenterRow {
        id: i64,
        name: String,
        state_id: i64,
        state_name: String,
        district_id: i64,
        district_name: String,
        block_id: Option<i64>,
        block_name: Option<String>,
        pincode: i64,
        address: String,
        incharge_name: Option<String>,
        incharge_mobile: Option<String>,
        lat: Option<f64>,
        lon: Option<f64>,
        centre_type: String,
        area: String,
        fee_type: String,
        vaccine_codes: String,
        active: bool,
    }
}

impl TryFrom<CenterRow> for Center {
    type Error = DomainError;

    fn try_from(r: CenterRow) -> Result<Self, DomainError> {
        let corrupt = |what: &'static str| {
            DomainError::Internal(format!("stored centre has a bad {what}").into())
        };
        Ok(Center {
            id: CenterId(r.id),
            name: r.name,
            state_id: StateId(r.state_id),
            state_name: r.state_name,
            district_id: DistrictId(r.district_id),
            district_name: r.district_name,
            block_id: r.block_id.map(BlockId),
            block_name: r.block_name,
            pincode: Pincode::from_number(r.pincode).map_err(|_| corrupt("pincode"))?,
            address: r.address,
            incharge_name: r.incharge_name,
            incharge_mobile: r.incharge_mobile,
            lat: r.lat,
            long: r.lon,
            centre_type: CentreType::parse(&r.centre_type).map_err(|_| corrupt("centre type"))?,
            area: Area::parse(&r.area).map_err(|_| corrupt("area"))?,
            fee_type: FeeType::parse(&r.fee_type).map_err(|_| corrupt("fee type"))?,
            vaccine_codes: split_codes(&r.vaccine_codes),
            active: r.active,
        })
    }
}

fn split_codes(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

row! {
    /// The stored fields of a centre that an upsert compares and writes.
    #[derive(Debug, Clone, PartialEq)]
    struct CenterFields {
        name: String,
        state_id: i64,
        block_id: Option<i64>,
        address: String,
        incharge_name: Option<String>,
        incharge_mobile: Option<String>,
        lat: Option<f64>,
        lon: Option<f64>,
        centre_type: String,
        area: String,
        fee_type: String,
        vaccine_codes: String,
    }
}

impl CenterFields {
    fn of(c: &ResolvedCenter) -> Self {
        let spec = &c.spec;
        Self {
            name: spec.name.as_str().to_owned(),
            state_id: c.state_id.0,
            block_id: c.block_id.map(|b| b.0),
            address: spec.address.clone(),
            incharge_name: spec.incharge_name.as_ref().map(|n| n.as_str().to_owned()),
            incharge_mobile: spec.incharge_mobile.as_ref().map(|m| m.expose().to_owned()),
            lat: c.location.map(|p| p.lat()),
            lon: c.location.map(|p| p.lon()),
            centre_type: spec.centre_type.as_str().to_owned(),
            area: spec.area.as_str().to_owned(),
            fee_type: spec.fee_type.as_str().to_owned(),
            vaccine_codes: spec.vaccine_codes.join(","),
        }
    }
}

/// The natural key of a centre: district, name (case-insensitive) and pincode.
struct CenterKey {
    district_id: i64,
    name_key: String,
    pincode: i64,
}

impl CenterKey {
    fn of(c: &ResolvedCenter) -> Self {
        Self {
            district_id: c.district_id.0,
            name_key: c.spec.name.key(),
            pincode: i64::from(c.spec.pincode.get()),
        }
    }
}

const CENTER_FIELD_COLUMNS: &str = "name, state_id, block_id, address, incharge_name, \
    incharge_mobile, lat, lon, centre_type, area, fee_type, vaccine_codes";

async fn find_center(
    tx: &mut Tx,
    key: &CenterKey,
) -> Result<Option<(i64, CenterFields)>, DomainError> {
    row! {
        struct Found {
            id: i64,
        }
        flatten {
            fields: CenterFields,
        }
    }
    let sql = format!(
        "SELECT id, {CENTER_FIELD_COLUMNS} FROM centers WHERE district_id = $1 AND name_key = $2 AND pincode = $3"
    );
    let found: Option<Found> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(key.district_id).bind(&key.name_key).bind(key.pincode)
        .fetch_optional(c).await.map_err(db_error))?;
    Ok(found.map(|f| (f.id, f.fields)))
}

async fn insert_center(
    tx: &mut Tx,
    key: &CenterKey,
    fields: &CenterFields,
    now: i64,
) -> Result<Option<i64>, DomainError> {
    let sql = "INSERT INTO centers (district_id, name_key, pincode, name, state_id, block_id, address, \
               incharge_name, incharge_mobile, lat, lon, centre_type, area, fee_type, vaccine_codes, \
               created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) \
               ON CONFLICT (district_id, name_key, pincode) DO NOTHING RETURNING id";
    on_tx!(tx, c => sqlx::query_scalar::<_, i64>(sql)
        .bind(key.district_id).bind(&key.name_key).bind(key.pincode)
        .bind(&fields.name).bind(fields.state_id).bind(fields.block_id).bind(&fields.address)
        .bind(&fields.incharge_name).bind(&fields.incharge_mobile).bind(fields.lat).bind(fields.lon)
        .bind(&fields.centre_type).bind(&fields.area).bind(&fields.fee_type).bind(&fields.vaccine_codes)
        .bind(now)
        .fetch_optional(c).await.map_err(db_error))
}

async fn update_center_fields(
    tx: &mut Tx,
    id: i64,
    f: &CenterFields,
    now: i64,
) -> Result<(), DomainError> {
    let sql = "UPDATE centers SET name = $2, name_key = $3, state_id = $4, block_id = $5, address = $6, \
               incharge_name = $7, incharge_mobile = $8, lat = $9, lon = $10, centre_type = $11, \
               area = $12, fee_type = $13, vaccine_codes = $14, updated_at = $15 WHERE id = $1";
    on_tx!(tx, c => sqlx::query(sql)
    .bind(id).bind(&f.name).bind(f.name.to_lowercase()).bind(f.state_id).bind(f.block_id)
    .bind(&f.address).bind(&f.incharge_name).bind(&f.incharge_mobile).bind(f.lat).bind(f.lon)
    .bind(&f.centre_type).bind(&f.area).bind(&f.fee_type).bind(&f.vaccine_codes).bind(now)
    .execute(c).await.map(drop).map_err(|e| if is_unique_violation(&e) {
        DomainError::Conflict("a centre with that name and pincode exists in the district".into())
    } else {
        db_error(e)
    }))
}

/// A key inserted meanwhile by a concurrent transaction is a retryable conflict.
pub(crate) fn race_or_db_error(e: sqlx::Error) -> DomainError {
    if is_unique_violation(&e) {
        DomainError::Conflict(crate::db::RETRYABLE.into())
    } else {
        db_error(e)
    }
}

/// `"A,B"` and `"B,C"` → `"A,B,C"`.
fn merge_codes(stored: &str, new: &str) -> String {
    let mut codes = split_codes(stored);
    for code in split_codes(new) {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes.join(",")
}

/// A centre's fields show in every answer about its upcoming sessions (its name, whether it
/// takes bookings, what it charges): a change to them is a change of those sessions, for the
/// feed and the search caches.
async fn note_upcoming(tx: &mut Tx, center: i64, now: i64) -> Result<(), DomainError> {
    let today = time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1000))
        .map_err(|e| DomainError::Internal(e.into()))?
        .to_offset(sehat_domain::clock::IST)
        .date();
    let upcoming: Vec<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM sessions WHERE center_id = $1 AND date >= $2")
        .bind(center).bind(today).fetch_all(c).await.map_err(db_error))?;
    let upcoming: Vec<SessionId> = upcoming.into_iter().map(SessionId).collect();
    crate::feed::note_changes(tx, &upcoming, now, true).await
}

/// Inserts or updates a centre by its natural key.
async fn upsert_center(
    tx: &mut Tx,
    center: &ResolvedCenter,
    now: i64,
) -> Result<(i64, PlanOutcome, bool), DomainError> {
    let key = CenterKey::of(center);
    let mut fields = CenterFields::of(center);
    let mut outcome = PlanOutcome::default();
    for _ in 0..2 {
        match find_center(tx, &key).await? {
            Some((id, stored)) => {
                // An import adds vaccines to a centre's list, never drops them: one row per
                // vaccine is how a file describes a centre offering several.
                fields.vaccine_codes = merge_codes(&stored.vaccine_codes, &fields.vaccine_codes);
                if stored == fields {
                    return Ok((id, outcome, false));
                }
                update_center_fields(tx, id, &fields, now).await?;
                note_upcoming(tx, id, now).await?;
                outcome.centers_updated = 1;
                return Ok((id, outcome, false));
            }
            None => {
                if let Some(id) = insert_center(tx, &key, &fields, now).await? {
                    outcome.centers_created = 1;
                    return Ok((id, outcome, true));
                }
                // Another import inserted the same centre meanwhile: read it again.
            }
        }
    }
    Err(DomainError::Conflict(
        "the centre changed during the import; try again".into(),
    ))
}

/// A facility import inside one write transaction.
pub(crate) struct SqlFacilityImport {
    tx: Tx,
    now: i64,
    applied: u64,
}

#[async_trait]
impl FacilityImport for SqlFacilityImport {
    async fn apply(
        &mut self,
        center: &ResolvedCenter,
        sessions: Option<&SessionPlan>,
    ) -> Result<PlanResult, DomainError> {
        // A row is written whole or not at all: a refused row rolls back to here.
        exec(&mut self.tx, "SAVEPOINT facility_row").await?;
        let result = self.apply_row(center, sessions).await;
        if !matches!(result, Ok(Ok(_))) {
            exec(&mut self.tx, "ROLLBACK TO SAVEPOINT facility_row").await?;
        }
        exec(&mut self.tx, "RELEASE SAVEPOINT facility_row").await?;
        if matches!(result, Ok(Ok(_))) {
            self.applied += 1;
        }
        result
    }

    async fn commit(self: Box<Self>) -> Result<(), DomainError> {
        let mut this = *self;
        if this.applied > 0 {
            this.tx.audit(
                "facilities.import",
                "facilities".into(),
                format!("{{\"rows\":{}}}", this.applied),
            );
        }
        this.tx.commit().await
    }
}

async fn exec(tx: &mut Tx, sql: &'static str) -> Result<u64, DomainError> {
    on_tx!(tx, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))
}

impl SqlFacilityImport {
    async fn apply_row(
        &mut self,
        center: &ResolvedCenter,
        sessions: Option<&SessionPlan>,
    ) -> Result<PlanResult, DomainError> {
        let (id, mut outcome, is_new) = match upsert_center(&mut self.tx, center, self.now).await {
            Err(DomainError::Conflict(reason)) => {
                return Ok(Err(("Facilityname".into(), reason.into_owned())));
            }
            other => other?,
        };
        if let Some(plan) = sessions {
            match upsert_sessions(&mut self.tx, id, plan, is_new, self.now).await? {
                Ok(more) => outcome.add(more),
                Err(refusal) => return Ok(Err(refusal)),
            }
        }
        Ok(Ok(outcome))
    }
}

#[async_trait]
impl FacilityStore for SqlStore {
    async fn begin_facility_import(&self) -> Result<Box<dyn FacilityImport>, DomainError> {
        Ok(Box::new(SqlFacilityImport {
            tx: self.begin_write().await?,
            now: self.clock.now_millis(),
            applied: 0,
        }))
    }

    async fn create_center(&self, center: &ResolvedCenter) -> Result<Center, DomainError> {
        let mut tx = self.begin_write().await?;
        let key = CenterKey::of(center);
        let id = insert_center(
            &mut tx,
            &key,
            &CenterFields::of(center),
            self.clock.now_millis(),
        )
        .await?
        .ok_or_else(|| {
            DomainError::Conflict(
                "a centre with that name and pincode exists in the district".into(),
            )
        })?;
        tx.audit("center.create", format!("center:{id}"), "{}".into());
        tx.commit().await?;
        self.center(CenterId(id)).await
    }

    async fn update_center(
        &self,
        id: CenterId,
        patch: &CenterPatch,
    ) -> Result<Center, DomainError> {
        let mut tx = self.begin_write().await?;
        let now = self.clock.now_millis();
        let sql = format!("SELECT {CENTER_FIELD_COLUMNS} FROM centers WHERE id = $1");
        let current: Option<(CenterFields, bool)> = on_tx!(&mut tx, c => {
            let fields: Option<CenterFields> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
            let active: Option<bool> = sqlx::query_scalar("SELECT active FROM centers WHERE id = $1")
                .bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
            Ok::<_, DomainError>(fields.zip(active))
        })?;
        let (mut f, mut active) = current.ok_or(DomainError::NotFound("centre"))?;
        if let Some(v) = &patch.name {
            f.name = v.as_str().to_owned();
        }
        if let Some(v) = &patch.address {
            f.address.clone_from(v);
        }
        if let Some(v) = &patch.incharge_name {
            f.incharge_name = Some(v.as_str().to_owned());
        }
        if let Some(v) = &patch.incharge_mobile {
            f.incharge_mobile = Some(v.expose().to_owned());
        }
        if let Some(p) = patch.location {
            f.lat = Some(p.lat());
            f.lon = Some(p.lon());
        }
        if let Some(v) = patch.centre_type {
            f.centre_type = v.as_str().to_owned();
        }
        if let Some(v) = patch.area {
            f.area = v.as_str().to_owned();
        }
        if let Some(v) = patch.fee_type {
            f.fee_type = v.as_str().to_owned();
        }
        if let Some(v) = &patch.vaccine_codes {
            f.vaccine_codes = v.join(",");
        }
        if let Some(v) = patch.active {
            active = v;
        }
        update_center_fields(&mut tx, id.0, &f, now).await?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE centers SET active = $2 WHERE id = $1")
            .bind(id.0).bind(active).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        note_upcoming(&mut tx, id.0, now).await?;
        tx.audit("center.update", format!("center:{}", id.0), "{}".into());
        tx.commit().await?;
        self.center(id).await
    }

    async fn center(&self, id: CenterId) -> Result<Center, DomainError> {
        let sql = format!("SELECT {CENTER_COLUMNS} WHERE c.id = $1");
        let row: Option<CenterRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.0).fetch_optional(p).await.map_err(db_error))?;
        row.ok_or(DomainError::NotFound("centre"))?.try_into()
    }

    async fn list_centers(
        &self,
        filter: &CenterFilter,
        page: Page,
    ) -> Result<Vec<Center>, DomainError> {
        let rows: Vec<CenterRow> = on_pool!(&self.pool, p => {
            let mut q = QueryBuilder::new(format!("SELECT {CENTER_COLUMNS} WHERE c.id > "));
            q.push_bind(page.after_id);
            if let Some(s) = filter.state_id { q.push(" AND c.state_id = ").push_bind(s.0); }
            if let Some(d) = filter.district_id { q.push(" AND c.district_id = ").push_bind(d.0); }
            if let Some(pin) = filter.pincode { q.push(" AND c.pincode = ").push_bind(i64::from(pin.get())); }
            if let Some(name) = &filter.name_contains {
                let pattern = format!("%{}%", name.to_lowercase().replace(['%', '_'], ""));
                q.push(" AND c.name_key LIKE ").push_bind(pattern);
            }
            q.push(" ORDER BY c.id LIMIT ").push_bind(i64::from(page.limit));
            q.build_query_as().fetch_all(p).await.map_err(db_error)
        })?;
        rows.into_iter().map(Center::try_from).collect()
    }

    async fn count_centers(&self) -> Result<u64, DomainError> {
        let n: i64 = on_pool!(&self.pool, p => sqlx::query_scalar("SELECT COUNT(*) FROM centers")
            .fetch_one(p).await.map_err(db_error))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn open_sessions(
        &self,
        center: CenterId,
        plan: &SessionPlan,
    ) -> Result<PlanOutcome, DomainError> {
        // Two admins opening the same range at once collide on the session keys: the loser
        // retries against what the winner wrote.
        let mut attempt = 0;
        loop {
            match self.try_open_center_sessions(center, plan).await {
                Err(DomainError::Conflict(reason))
                    if reason == crate::db::RETRYABLE && attempt < 3 =>
                {
                    attempt += 1
                }
                other => return other,
            }
        }
    }

    async fn close_session(&self, id: SessionId) -> Result<Session, DomainError> {
        let mut tx = self.begin_write().await?;
        let now = self.clock.now_millis();
        let done = on_tx!(&mut tx, c => sqlx::query("UPDATE sessions SET status = 'CLOSED', updated_at = $2 WHERE id = $1")
            .bind(id.0).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        if done == 0 {
            return Err(DomainError::NotFound("session"));
        }
        crate::feed::note_changes(&mut tx, &[id], now, true).await?;
        tx.audit("session.close", format!("session:{}", id.0), "{}".into());
        tx.commit().await?;
        self.session(id).await
    }

    async fn session(&self, id: SessionId) -> Result<Session, DomainError> {
        let sessions: Vec<SessionRow> = on_pool!(&self.pool, p => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("SELECT {SESSION_COLUMNS} FROM sessions se WHERE se.id = $1")))
            .bind(id.0).fetch_all(p).await.map_err(db_error))?;
        let slots: Vec<SlotRow> = on_pool!(&self.pool, p => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("SELECT {SLOT_COLUMNS} FROM slots sl WHERE sl.session_id = $1")))
            .bind(id.0).fetch_all(p).await.map_err(db_error))?;
        assemble(sessions, slots)?
            .pop()
            .ok_or(DomainError::NotFound("session"))
    }

    async fn sessions(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<Session>, DomainError> {
        let where_ = "se.center_id = $1 AND se.date BETWEEN $2 AND $3";
        let sessions: Vec<SessionRow> = on_pool!(&self.pool, p => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("SELECT {SESSION_COLUMNS} FROM sessions se WHERE {where_} ORDER BY se.date, se.vaccine_code")))
            .bind(center.0).bind(from).bind(to).fetch_all(p).await.map_err(db_error))?;
        let slots: Vec<SlotRow> = on_pool!(&self.pool, p => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("SELECT {SLOT_COLUMNS} FROM slots sl JOIN sessions se ON se.id = sl.session_id WHERE {where_}")))
            .bind(center.0).bind(from).bind(to).fetch_all(p).await.map_err(db_error))?;
        assemble(sessions, slots)
    }

    async fn utilization(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayUtilization>, DomainError> {
        let sql = "SELECT se.date, COUNT(DISTINCT se.id), \
                   CAST(COALESCE(SUM(sl.capacity), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(sl.booked), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(CASE WHEN se.status = 'OPEN' THEN sl.capacity - sl.booked ELSE 0 END), 0) AS BIGINT) \
                   FROM sessions se LEFT JOIN slots sl ON sl.session_id = se.id \
                   WHERE se.center_id = $1 AND se.date BETWEEN $2 AND $3 GROUP BY se.date ORDER BY se.date";
        let rows: Vec<(Date, i64, i64, i64, i64)> = on_pool!(&self.pool, p => sqlx::query_as(sql)
            .bind(center.0).bind(from).bind(to).fetch_all(p).await.map_err(db_error))?;
        Ok(rows
            .into_iter()
            .map(
                |(date, sessions, capacity, booked, available)| DayUtilization {
                    date,
                    sessions: count(sessions),
                    capacity: u64::try_from(capacity).unwrap_or(0),
                    booked: u64::try_from(booked).unwrap_or(0),
                    available: u64::try_from(available).unwrap_or(0),
                },
            )
            .collect())
    }
}

impl SqlStore {
    async fn try_open_center_sessions(
        &self,
        center: CenterId,
        plan: &SessionPlan,
    ) -> Result<PlanOutcome, DomainError> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM centers WHERE id = $1")
            .bind(center.0).fetch_optional(c).await.map_err(db_error))?;
        exists.ok_or(DomainError::NotFound("centre"))?;
        let outcome = upsert_sessions(&mut tx, center.0, plan, false, self.clock.now_millis())
            .await?
            .map_err(|(_, reason)| DomainError::Conflict(reason.into()))?;
        tx.audit(
            "sessions.open",
            format!("center:{}", center.0),
            format!(
                "{{\"sessions_created\":{},\"slots_created\":{}}}",
                outcome.sessions_created, outcome.slots_created
            ),
        );
        tx.commit().await?;
        Ok(outcome)
    }
}
