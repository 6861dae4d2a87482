//! Sessions and slots as stored: their rows and columns (shared by every reader of sessions),
//! their assembly into [`Session`]s, and the upsert of a centre's session plan, which never cuts
//! a slot below what is already booked.

use crate::db::{Tx, db_error, on_tx};
use crate::facilities::race_or_db_error;
use crate::rows::row;
use sehat_domain::DomainError;
use sehat_domain::facility::{PlanOutcome, PlanResult};
use sehat_domain::ids::{CenterId, SessionId, SlotId};
use sehat_domain::schedule::{Session, SessionPlan, SessionStatus, Slot};
use sehat_domain::values::{SlotTimings, format_cowin_date};
use sqlx::QueryBuilder;
use std::collections::HashMap;
use time::Date;
use uuid::Uuid;

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
pub(crate) async fn upsert_sessions(
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
