//! Appointments as stored, read back: an account's appointments with their sessions, slots
//! and people, for the answers of every booking call and the lists.

use crate::booking::split_slot;
use crate::db::{SqlStore, Tx, db_error, on_tx};
use crate::people::beneficiaries_in;
use crate::rows::row;
use crate::sessions::{SESSION_COLUMNS, SLOT_COLUMNS, SessionRow, SlotRow, assemble};
use sehat_domain::DomainError;
use sehat_domain::beneficiary::BeneficiaryRef;
use sehat_domain::booking::{
    Appointment, AppointmentNo, BookedBeneficiary, BookingStatus, CenterDay,
};
use sehat_domain::identity::MobileHash;
use sehat_domain::ids::{AppointmentId, CenterId};
use sqlx::QueryBuilder;
use std::collections::HashMap;
use time::Date;
use uuid::Uuid;

row! {
    struct AppointmentRow {
        number: i64,
        public_id: Uuid,
        slot_id: i64,
        appointment_dose: i64,
    }
    flatten {
        session: SessionRow,
    }
}

pub(crate) async fn appointments_where(
    tx: &mut Tx,
    account: &MobileHash,
    number: Option<AppointmentNo>,
) -> Result<Vec<Appointment>, DomainError> {
    let filter = if number.is_some() {
        "AND a.number = $2"
    } else {
        "AND $2 = $2"
    };
    let sql = format!(
        "SELECT a.number, a.public_id, a.slot_id, a.dose AS appointment_dose, {SESSION_COLUMNS} \
         FROM appointments a JOIN sessions se ON se.id = a.session_id \
         WHERE a.account = $1 {filter} ORDER BY a.created_at DESC, a.number"
    );
    let rows: Vec<AppointmentRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(account.as_str()).bind(number.map_or(0, AppointmentNo::get))
        .fetch_all(c).await.map_err(db_error))?;
    with_people_and_slots(tx, rows).await
}

/// A centre's appointments on a day, earliest slot first (then by number): the sessions of the
/// day by their index, their slots, and the appointments of each slot by theirs.
async fn center_day_where(
    tx: &mut Tx,
    center_id: CenterId,
    date: Date,
) -> Result<Vec<Appointment>, DomainError> {
    let sql = format!(
        "SELECT a.number, a.public_id, a.slot_id, a.dose AS appointment_dose, {SESSION_COLUMNS} \
         FROM sessions se JOIN slots sl ON sl.session_id = se.id JOIN appointments a ON a.slot_id = sl.id \
         WHERE se.date = $1 AND se.center_id = $2 ORDER BY sl.start_minute, a.number"
    );
    let rows: Vec<AppointmentRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(date).bind(center_id.0)
        .fetch_all(c).await.map_err(db_error))?;
    with_people_and_slots(tx, rows).await
}

/// Appointments from their rows, in the rows' order: each with its slot and the places of its
/// people (an appointment whose every person moved elsewhere is left out).
async fn with_people_and_slots(
    tx: &mut Tx,
    rows: Vec<AppointmentRow>,
) -> Result<Vec<Appointment>, DomainError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let numbers: Vec<i64> = rows.iter().map(|r| r.number).collect();
    let slot_ids: Vec<i64> = rows.iter().map(|r| r.slot_id).collect();
    let people: Vec<(i64, i64, String)> = on_tx!(tx, c => {
        let mut q = QueryBuilder::new(
            "SELECT appointment_no, beneficiary_id, \
               CASE WHEN completed_at IS NOT NULL THEN 'COMPLETED' ELSE status END AS status FROM appointment_beneficiaries \
             WHERE status <> 'RESCHEDULED' AND appointment_no IN (");
        let mut list = q.separated(", ");
        for n in &numbers {
            list.push_bind(*n);
        }
        q.push(") ORDER BY beneficiary_id");
        q.build_query_as().fetch_all(c).await.map_err(db_error)
    })?;
    let slots: Vec<SlotRow> = on_tx!(tx, c => {
        let mut q = QueryBuilder::new(format!("SELECT {SLOT_COLUMNS} FROM slots sl WHERE sl.id IN ("));
        let mut list = q.separated(", ");
        for id in &slot_ids {
            list.push_bind(*id);
        }
        q.push(")");
        q.build_query_as().fetch_all(c).await.map_err(db_error)
    })?;
    let mut by_number: HashMap<i64, Vec<BookedBeneficiary>> = HashMap::new();
    for (n, id, status) in people {
        by_number.entry(n).or_default().push(BookedBeneficiary {
            reference_id: BeneficiaryRef::new(id).map_err(|e| DomainError::Internal(e.into()))?,
            status: BookingStatus::from_stored(&status),
        });
    }
    let slots_by_id: HashMap<i64, SlotRow> = slots.into_iter().map(|s| (s.id, s)).collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(beneficiaries) = by_number.remove(&r.number) else {
            continue; // every beneficiary moved to another appointment
        };
        let slot_row = slots_by_id
            .get(&r.slot_id)
            .ok_or(DomainError::NotFound("slot"))?;
        let (session, slot) = split_slot(assemble(vec![r.session], vec![slot_row.clone()])?)?;
        out.push(Appointment {
            number: AppointmentNo::new(r.number).map_err(|e| DomainError::Internal(e.into()))?,
            id: AppointmentId(r.public_id),
            center_id: session.center_id,
            session_id: session.id,
            date: session.date,
            slot,
            dose: u8::try_from(r.appointment_dose).unwrap_or(1),
            vaccine_code: session.vaccine_code,
            beneficiaries,
        });
    }
    Ok(out)
}

pub(crate) async fn one_appointment(
    tx: &mut Tx,
    account: &MobileHash,
    number: AppointmentNo,
) -> Result<Appointment, DomainError> {
    appointments_where(tx, account, Some(number))
        .await?
        .pop()
        .ok_or(DomainError::NotFound("appointment"))
}

impl SqlStore {
    /// One appointment of an account, without an audit record.
    pub(crate) async fn read_appointment(
        &self,
        account: &MobileHash,
        number: AppointmentNo,
    ) -> Result<Appointment, DomainError> {
        let mut tx = self.begin_read().await?;
        one_appointment(&mut tx, account, number).await
    }

    /// The appointments of an account, without an audit record.
    pub(crate) async fn read_appointments(
        &self,
        account: &MobileHash,
    ) -> Result<Vec<Appointment>, DomainError> {
        let mut tx = self.begin_read().await?;
        appointments_where(&mut tx, account, None).await
    }

    /// A centre's appointments on a day and the people on them, read together (one snapshot),
    /// without an audit record.
    pub(crate) async fn read_center_day(
        &self,
        center_id: CenterId,
        date: Date,
    ) -> Result<CenterDay, DomainError> {
        let mut tx = self.begin_read().await?;
        let appointments = center_day_where(&mut tx, center_id, date).await?;
        let mut ids: Vec<BeneficiaryRef> = appointments
            .iter()
            .flat_map(|a| a.beneficiaries.iter().map(|b| b.reference_id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let people = beneficiaries_in(&mut tx, &ids).await?;
        tx.commit().await?;
        Ok(CenterDay {
            appointments,
            people,
        })
    }
}
