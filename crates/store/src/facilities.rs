//! Centres, sessions and slots ([`FacilityStore`]): the facility import (upsert by natural key),
//! the admin calls, and reads of a centre's sessions with their slots; and the rows and columns
//! the other readers of centres and sessions share.

use crate::db::{SqlStore, Tx, db_error, is_unique_violation, on_pool, on_tx};
use crate::rows::row;
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::facility::{
    Area, Center, CenterFilter, CenterPatch, CentreType, FacilityImport, FacilityStore, FeeType,
    Page, PlanOutcome, PlanResult, ResolvedCenter,
};
use sehat_domain::ids::{BlockId, CenterId, DistrictId, SessionId, SlotId, StateId};
use sehat_domain::schedule::{DayUtilization, Session, SessionPlan, SessionStatus, Slot};
use sehat_domain::values::{Pincode, SlotTimings, format_cowin_date};
use sqlx::QueryBuilder;
use std::collections::HashMap;
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
fn race_or_db_error(e: sqlx::Error) -> DomainError {
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

row! {
    pub(crate) struct SessionRow {
        id: Uuid,
        center_id: i64,
        date: Date,
        vaccine_code: String,
        min_age: i64,
        max_age: Option<i64>,
        dose: Option<i64>,
        capacity_online: i64,
        capacity_walkin: i64,
        fee: i64,
        status: String,
        updated_at: i64,
    }
}

row! {
    #[derive(Clone)]
    pub(crate) struct SlotRow {
        pub(crate) id: i64,
        session_id: Uuid,
        name: String,
        name_key: String,
        start_minute: i64,
        end_minute: i64,
        capacity: i64,
        booked: i64,
        capacity_dose1: i64,
        booked_dose1: i64,
        changed_at: i64,
    }
}

pub(crate) const SESSION_COLUMNS: &str = "se.id, se.center_id, se.date, se.vaccine_code, se.min_age, se.max_age, \
    se.dose, se.capacity_online, se.capacity_walkin, se.fee, se.status, se.updated_at";
pub(crate) const SLOT_COLUMNS: &str = "sl.id, sl.session_id, sl.name, sl.name_key, sl.start_minute, sl.end_minute, \
    sl.capacity, sl.booked, sl.capacity_dose1, sl.booked_dose1, sl.changed_at";

pub(crate) fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

pub(crate) fn assemble(
    sessions: Vec<SessionRow>,
    slots: Vec<SlotRow>,
) -> Result<Vec<Session>, DomainError> {
    let mut by_session: HashMap<Uuid, Vec<Slot>> = HashMap::new();
    let mut changed: HashMap<Uuid, i64> = HashMap::new();
    for s in slots {
        let latest = changed.entry(s.session_id).or_default();
        *latest = (*latest).max(s.changed_at);
        let timings = SlotTimings::new(
            u16::try_from(s.start_minute).unwrap_or(0),
            u16::try_from(s.end_minute).unwrap_or(0),
        )
        .map_err(|e| DomainError::Internal(format!("stored slot {}: {e}", s.id).into()))?;
        by_session.entry(s.session_id).or_default().push(Slot {
            id: SlotId(s.id),
            name: s.name,
            timings,
            capacity: count(s.capacity),
            booked: count(s.booked),
            capacity_dose1: count(s.capacity_dose1),
            booked_dose1: count(s.booked_dose1),
        });
    }
    Ok(sessions
        .into_iter()
        .map(|r| {
            let mut slots = by_session.remove(&r.id).unwrap_or_default();
            slots.sort_by_key(|s| (s.timings.start_minute(), s.id));
            let age = |a: i64| u8::try_from(a).unwrap_or(0);
            Session {
                id: SessionId(r.id),
                center_id: CenterId(r.center_id),
                date: r.date,
                vaccine_code: r.vaccine_code,
                min_age: age(r.min_age),
                max_age: r.max_age.map(age),
                dose: r.dose.map(age),
                capacity_online: count(r.capacity_online),
                capacity_walkin: count(r.capacity_walkin),
                fee: count(r.fee),
                status: SessionStatus::from_stored(&r.status),
                changed_at: changed.get(&r.id).copied().unwrap_or(0).max(r.updated_at),
                slots,
            }
        })
        .collect())
}

/// Opens or updates the sessions and slots of a plan for one centre. Nothing is written when the
/// plan would cut a slot below what is already booked.
async fn upsert_sessions(
    tx: &mut Tx,
    center_id: i64,
    plan: &SessionPlan,
    center_is_new: bool,
    now: i64,
) -> Result<PlanResult, DomainError> {
    let (sessions, slots): (Vec<SessionRow>, Vec<SlotRow>) = if center_is_new {
        (Vec::new(), Vec::new())
    } else {
        let where_ = "se.center_id = $1 AND se.vaccine_code = $2 AND se.date BETWEEN $3 AND $4";
        let sessions_sql = format!("SELECT {SESSION_COLUMNS} FROM sessions se WHERE {where_}");
        let slots_sql = format!(
            "SELECT {SLOT_COLUMNS} FROM slots sl JOIN sessions se ON se.id = sl.session_id WHERE {where_}"
        );
        let sessions = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sessions_sql))
            .bind(center_id).bind(&plan.vaccine_code).bind(plan.from).bind(plan.to)
            .fetch_all(c).await.map_err(db_error))?;
        let slots = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(slots_sql))
            .bind(center_id).bind(&plan.vaccine_code).bind(plan.from).bind(plan.to)
            .fetch_all(c).await.map_err(db_error))?;
        (sessions, slots)
    };
    let existing: HashMap<Date, &SessionRow> = sessions.iter().map(|s| (s.date, s)).collect();
    let mut existing_slots: HashMap<(Uuid, &str), &SlotRow> = HashMap::new();
    for s in &slots {
        existing_slots.insert((s.session_id, s.name_key.as_str()), s);
    }

    let capacities = plan.slot_capacities();
    let dose1_capacities = plan.slot_dose1_capacities(&capacities);
    let fee = i64::from(plan.fee);
    let (min_age, max_age, dose) = (
        i64::from(plan.min_age),
        plan.max_age.map(i64::from),
        plan.dose.map(i64::from),
    );
    let (online, walkin) = (
        i64::from(plan.capacity_online),
        i64::from(plan.capacity_walkin),
    );
    let mut new_sessions: Vec<(Uuid, Date)> = Vec::new();
    let mut changed_sessions: Vec<Uuid> = Vec::new();
    let mut new_slots: Vec<(Uuid, usize)> = Vec::new();
    let mut changed_slots: Vec<(i64, usize)> = Vec::new();
    let mut stale_slots: Vec<i64> = Vec::new();
    let mut touched: Vec<Uuid> = Vec::new();
    for date in plan.dates() {
        let session_id = match existing.get(&date) {
            None => {
                let id = Uuid::new_v4();
                new_sessions.push((id, date));
                new_slots.extend((0..plan.slots.len()).map(|i| (id, i)));
                continue;
            }
            Some(s) => {
                if (
                    s.min_age,
                    s.max_age,
                    s.dose,
                    s.capacity_online,
                    s.capacity_walkin,
                    s.fee,
                ) != (min_age, max_age, dose, online, walkin, fee)
                {
                    changed_sessions.push(s.id);
                }
                s.id
            }
        };
        // Slots of this session that the new template leaves out: refused while booked, else
        // removed, so the slots always add up to the online capacity.
        let keys: Vec<String> = plan.slots.iter().map(|t| t.name.key()).collect();
        for stale in slots.iter().filter(|sl| {
            sl.session_id == session_id && sl.capacity > 0 && !keys.contains(&sl.name_key)
        }) {
            if stale.booked > 0 {
                return Ok(Err((
                    "slots".to_owned(),
                    format!(
                        "{} on {} has {} seats booked; keep it in the template",
                        stale.name,
                        format_cowin_date(date),
                        stale.booked
                    ),
                )));
            }
            stale_slots.push(stale.id);
            touched.push(session_id);
        }
        for (i, template) in plan.slots.iter().enumerate() {
            let capacity = i64::from(capacities[i]);
            let capacity_dose1 = i64::from(dose1_capacities[i]);
            match existing_slots.get(&(session_id, template.name.key().as_str())) {
                None => new_slots.push((session_id, i)),
                Some(slot) if slot.booked > capacity => {
                    return Ok(Err((
                        "slots".to_owned(),
                        format!(
                            "{} on {} already has {} seats booked; capacity {} is too small",
                            template.name,
                            format_cowin_date(date),
                            slot.booked,
                            capacity
                        ),
                    )));
                }
                Some(slot)
                    if slot.booked_dose1 > capacity_dose1
                        || slot.booked - slot.booked_dose1 > capacity - capacity_dose1 =>
                {
                    return Ok(Err((
                        "capacity_dose1".to_owned(),
                        format!(
                            "{} on {} already has {} first and {} later doses booked; \
                             {capacity_dose1} of {capacity} seats for first doses is too few for them",
                            template.name,
                            format_cowin_date(date),
                            slot.booked_dose1,
                            slot.booked - slot.booked_dose1,
                        ),
                    )));
                }
                Some(slot) => {
                    let timings = (
                        i64::from(template.timings.start_minute()),
                        i64::from(template.timings.end_minute()),
                    );
                    if (
                        slot.start_minute,
                        slot.end_minute,
                        slot.capacity,
                        slot.capacity_dose1,
                        slot.name.as_str(),
                    ) != (
                        timings.0,
                        timings.1,
                        capacity,
                        capacity_dose1,
                        template.name.as_str(),
                    ) {
                        changed_slots.push((slot.id, i));
                        touched.push(session_id);
                    }
                }
            }
        }
    }

    for chunk in new_sessions.chunks(500) {
        on_tx!(tx, c => QueryBuilder::new(
            "INSERT INTO sessions (id, center_id, date, vaccine_code, min_age, max_age, dose, \
             capacity_online, capacity_walkin, fee, status, created_at, updated_at) ")
            .push_values(chunk, |mut b, (id, date)| {
                b.push_bind(*id).push_bind(center_id).push_bind(*date).push_bind(plan.vaccine_code.clone())
                    .push_bind(min_age).push_bind(max_age).push_bind(dose).push_bind(online)
                    .push_bind(walkin).push_bind(fee).push_bind("OPEN").push_bind(now).push_bind(now);
            })
            .build().execute(c).await.map(|r| r.rows_affected()).map_err(race_or_db_error))?;
    }
    for chunk in new_slots.chunks(1000) {
        on_tx!(tx, c => QueryBuilder::new(
            "INSERT INTO slots (session_id, name, name_key, start_minute, end_minute, capacity, booked, \
             capacity_dose1, booked_dose1, changed_at) ")
            .push_values(chunk, |mut b, (session_id, i)| {
                let t = &plan.slots[*i];
                b.push_bind(*session_id).push_bind(t.name.as_str().to_owned()).push_bind(t.name.key())
                    .push_bind(i64::from(t.timings.start_minute())).push_bind(i64::from(t.timings.end_minute()))
                    .push_bind(i64::from(capacities[*i])).push_bind(0_i64)
                    .push_bind(i64::from(dose1_capacities[*i])).push_bind(0_i64).push_bind(now);
            })
            .build().execute(c).await.map(|r| r.rows_affected()).map_err(race_or_db_error))?;
    }
    for id in &changed_sessions {
        on_tx!(tx, c => sqlx::query(
            "UPDATE sessions SET min_age = $2, max_age = $3, dose = $4, capacity_online = $5, \
             capacity_walkin = $6, fee = $8, updated_at = $7 WHERE id = $1")
            .bind(*id).bind(min_age).bind(max_age).bind(dose).bind(online).bind(walkin).bind(now).bind(fee)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    }
    for (id, i) in &changed_slots {
        let t = &plan.slots[*i];
        // The condition repeats the capacity rule in the database, so a booking that landed
        // since the read above still cannot be cut away.
        let done = on_tx!(tx, c => sqlx::query(
            "UPDATE slots SET name = $2, start_minute = $3, end_minute = $4, capacity = $5, \
             capacity_dose1 = $6, changed_at = $7 \
             WHERE id = $1 AND booked_dose1 <= $6 AND booked - booked_dose1 <= $5 - $6")
            .bind(*id).bind(t.name.as_str()).bind(i64::from(t.timings.start_minute()))
            .bind(i64::from(t.timings.end_minute())).bind(i64::from(capacities[*i]))
            .bind(i64::from(dose1_capacities[*i])).bind(now)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        if done == 0 {
            return Err(DomainError::Conflict(
                "a slot was booked past the new capacity meanwhile".into(),
            ));
        }
    }
    for id in &stale_slots {
        // A slot no appointment ever used goes; one with cancelled history stays, at no seats.
        let deleted = on_tx!(tx, c => sqlx::query(
            "DELETE FROM slots WHERE id = $1 AND booked = 0 \
             AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = slots.id)")
            .bind(*id).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        if deleted == 0 {
            let emptied = on_tx!(tx, c => sqlx::query("UPDATE slots SET capacity = 0, capacity_dose1 = 0 WHERE id = $1 AND booked = 0")
                .bind(*id).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
            if emptied == 0 {
                return Err(DomainError::Conflict(crate::db::RETRYABLE.into()));
            }
        }
    }
    touched.extend(new_sessions.iter().map(|(id, _)| *id));
    touched.extend(&changed_sessions);
    touched.sort();
    touched.dedup();
    for id in &touched {
        // A slot removed or resized changes the session's offer: its time says so.
        on_tx!(tx, c => sqlx::query("UPDATE sessions SET updated_at = $2 WHERE id = $1")
            .bind(*id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    }
    let touched: Vec<SessionId> = touched.into_iter().map(SessionId).collect();
    crate::feed::note_changes(tx, &touched, now, true).await?;
    let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Ok(Ok(PlanOutcome {
        sessions_created: as_u64(new_sessions.len()),
        slots_created: as_u64(new_slots.len()),
        sessions_updated: as_u64(changed_sessions.len() + changed_slots.len() + stale_slots.len()),
        ..PlanOutcome::default()
    }))
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
