//! Appointments: booking, rescheduling and cancelling, each one transaction in which seats are
//! taken with a conditional update (`booked + n <= capacity`) so capacity holds at any
//! concurrency and on any number of nodes; the idempotency keys that make retries safe; and the
//! captcha a booking answers ([`BookingStore`]).

use crate::appointments::one_appointment;
use crate::db::{SqlStore, Tx, db_error, is_unique_violation, on_pool, on_tx};
use crate::facilities::{CENTER_COLUMNS, CenterRow};
use crate::feed::note_changes;
use crate::outbox::enqueue;
use crate::people::beneficiaries_of_in;
use crate::sessions::{SESSION_COLUMNS, SLOT_COLUMNS, SessionRow, SlotRow, assemble};
use crate::vaccination::check_booking_doses;
use async_trait::async_trait;
use sehat_domain::beneficiary::BeneficiaryRef;
use sehat_domain::booking::{
    Appointment, AppointmentNo, BookedBeneficiary, BookingRequest, BookingStatus, BookingStore,
    CenterDay, IdempotencyKey, RescheduleRequest, StoredOutcome, booking_dose, check_bookable,
};
use sehat_domain::facility::Center;
use sehat_domain::identity::MobileHash;
use sehat_domain::ids::{AppointmentId, CenterId, SlotId};
use sehat_domain::outbox::{AppointmentEvent, AppointmentNotice};
use sehat_domain::schedule::{DosePool, Session, Slot};
use sehat_domain::{DomainError, Rule};
use sqlx::QueryBuilder;
use time::Date;

async fn slot_in(tx: &mut Tx, id: SlotId) -> Result<(Session, Slot), DomainError> {
    let sessions: Vec<SessionRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SESSION_COLUMNS} FROM sessions se JOIN slots sl ON sl.session_id = se.id WHERE sl.id = $1")))
        .bind(id.0).fetch_all(c).await.map_err(db_error))?;
    let slots: Vec<SlotRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SLOT_COLUMNS} FROM slots sl WHERE sl.id = $1")))
        .bind(id.0).fetch_all(c).await.map_err(db_error))?;
    split_slot(assemble(sessions, slots)?)
}

pub(crate) fn split_slot(mut sessions: Vec<Session>) -> Result<(Session, Slot), DomainError> {
    let session = sessions.pop().ok_or(DomainError::NotFound("slot"))?;
    let slot = session
        .slots
        .first()
        .cloned()
        .ok_or(DomainError::NotFound("slot"))?;
    Ok((session, slot))
}

async fn center_in(tx: &mut Tx, id: CenterId) -> Result<Center, DomainError> {
    let row: Option<CenterRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CENTER_COLUMNS} WHERE c.id = $1")))
        .bind(id.0).fetch_optional(c).await.map_err(db_error))?;
    row.ok_or(DomainError::NotFound("centre"))?.try_into()
}

async fn center_name_in(tx: &mut Tx, id: CenterId) -> Result<String, DomainError> {
    let name: Option<String> = on_tx!(tx, c => sqlx::query_scalar("SELECT name FROM centers WHERE id = $1")
        .bind(id.0).fetch_optional(c).await.map_err(db_error))?;
    name.ok_or(DomainError::NotFound("centre"))
}

/// Locks an appointment of an account for the rest of the transaction (a write to its row), so
/// concurrent reschedules and cancels of it run one after the other and each reads what the
/// previous one left. On PostgreSQL this is the row lock; SQLite already has one writer.
async fn lock_appointment(
    tx: &mut Tx,
    account: &MobileHash,
    number: AppointmentNo,
    now: i64,
) -> Result<(), DomainError> {
    let locked = on_tx!(tx, c => sqlx::query("UPDATE appointments SET updated_at = $3 WHERE number = $1 AND account = $2")
        .bind(number.get()).bind(account.as_str()).bind(now)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    if locked == 1 {
        Ok(())
    } else {
        Err(DomainError::NotFound("appointment"))
    }
}

/// Takes `n` seats of a slot's pool for `dose`, or refuses with `SlotFull`: the database checks
/// the pool's capacity in the same statement.
async fn take_seats(
    tx: &mut Tx,
    slot: SlotId,
    dose: u8,
    n: i64,
    now: i64,
) -> Result<(), DomainError> {
    let sql = match DosePool::of(dose) {
        DosePool::First => {
            "UPDATE slots SET booked = booked + $2, booked_dose1 = booked_dose1 + $2, changed_at = $3 \
             WHERE id = $1 AND booked_dose1 + $2 <= capacity_dose1 AND booked + $2 <= capacity"
        }
        DosePool::Later => {
            "UPDATE slots SET booked = booked + $2, changed_at = $3 \
             WHERE id = $1 AND booked - booked_dose1 + $2 <= capacity - capacity_dose1 AND booked + $2 <= capacity"
        }
    };
    let done = on_tx!(tx, c => sqlx::query(sql)
        .bind(slot.0).bind(n).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    if done == 1 {
        Ok(())
    } else {
        Err(DomainError::Rule(Rule::SlotFull))
    }
}

/// Returns `n` seats of `dose`'s pool to a slot.
async fn release_seats(
    tx: &mut Tx,
    slot: SlotId,
    dose: u8,
    n: i64,
    now: i64,
) -> Result<(), DomainError> {
    let sql = match DosePool::of(dose) {
        DosePool::First => {
            "UPDATE slots SET booked = booked - $2, booked_dose1 = booked_dose1 - $2, changed_at = $3 \
             WHERE id = $1 AND booked_dose1 >= $2"
        }
        DosePool::Later => {
            "UPDATE slots SET booked = booked - $2, changed_at = $3 WHERE id = $1 AND booked - booked_dose1 >= $2"
        }
    };
    let done = on_tx!(tx, c => sqlx::query(sql)
        .bind(slot.0).bind(n).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    if done == 1 {
        Ok(())
    } else {
        Err(DomainError::Internal(
            format!("slot {} holds fewer bookings than its appointments", slot.0).into(),
        ))
    }
}

/// Whether any of these people holds an active appointment for this dose, or an upcoming one
/// (from `today` on) for any dose: one query on the booking path.
async fn any_active(
    tx: &mut Tx,
    ids: &[BeneficiaryRef],
    dose: u8,
    today: time::Date,
) -> Result<bool, DomainError> {
    let found: Option<i64> = on_tx!(tx, c => {
        let mut q = QueryBuilder::new(
            "SELECT ab.beneficiary_id FROM appointment_beneficiaries ab \
             JOIN appointments a ON a.number = ab.appointment_no JOIN sessions se ON se.id = a.session_id \
             WHERE ab.status = 'ACTIVE' AND ab.completed_at IS NULL AND (ab.dose = ");
        q.push_bind(i64::from(dose)).push(" OR se.date >= ").push_bind(today);
        q.push(") AND ab.beneficiary_id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.get());
        }
        q.push(") LIMIT 1");
        q.build_query_scalar().fetch_optional(c).await.map_err(db_error)
    })?;
    Ok(found.is_some())
}

/// Writes the places of `movers` in an appointment that are still active and not completed:
/// `RESCHEDULED` when they leave it for another, only their `updated_at` (a row lock) when the
/// whole appointment moves. Returns how many places it wrote.
async fn mark_movers(
    tx: &mut Tx,
    number: AppointmentNo,
    movers: &[BeneficiaryRef],
    leaving: bool,
    now: i64,
) -> Result<u64, DomainError> {
    on_tx!(tx, c => {
        let mut q = QueryBuilder::new("UPDATE appointment_beneficiaries SET ");
        if leaving {
            q.push("status = 'RESCHEDULED', ");
        }
        q.push("updated_at = ").push_bind(now);
        q.push(" WHERE status = 'ACTIVE' AND completed_at IS NULL AND appointment_no = ").push_bind(number.get());
        q.push(" AND beneficiary_id IN (");
        let mut list = q.separated(", ");
        for m in movers {
            list.push_bind(m.get());
        }
        q.push(")");
        q.build().execute(c).await.map(|r| r.rows_affected()).map_err(db_error)
    })
}

pub(crate) async fn lock_beneficiaries(
    tx: &mut Tx,
    ids: &[BeneficiaryRef],
) -> Result<(), DomainError> {
    on_tx!(tx, c => {
        let mut q = QueryBuilder::new("UPDATE beneficiaries SET updated_at = updated_at WHERE reference_id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.get());
        }
        q.push(")");
        q.build().execute(c).await.map(|r| r.rows_affected()).map_err(db_error)
    })?;
    Ok(())
}

async fn insert_appointment(
    tx: &mut Tx,
    account: &MobileHash,
    session: &Session,
    slot: &Slot,
    dose: u8,
    who: &[BeneficiaryRef],
    now: i64,
) -> Result<(AppointmentNo, AppointmentId), DomainError> {
    let mut number = AppointmentNo::random();
    // A random UUID does not collide; the 14-digit number may, and is drawn again.
    let id = AppointmentId::new_random();
    for attempt in 0..8 {
        let inserted: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO appointments (number, public_id, account, center_id, session_id, slot_id, dose, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (number) DO NOTHING RETURNING number")
            .bind(number.get()).bind(id.0).bind(account.as_str()).bind(session.center_id.0).bind(session.id.0)
            .bind(slot.id.0).bind(i64::from(dose)).bind(now)
            .fetch_optional(c).await.map_err(db_error))?;
        if inserted.is_some() {
            break;
        }
        if attempt == 7 {
            return Err(DomainError::Internal("no free appointment number".into()));
        }
        number = AppointmentNo::random();
    }
    insert_rows(tx, number, who, dose, now).await?;
    Ok((number, id))
}

async fn insert_rows(
    tx: &mut Tx,
    number: AppointmentNo,
    who: &[BeneficiaryRef],
    dose: u8,
    now: i64,
) -> Result<(), DomainError> {
    on_tx!(tx, c => QueryBuilder::new(
        "INSERT INTO appointment_beneficiaries (appointment_no, beneficiary_id, dose, status, updated_at) ")
        .push_values(who, |mut b, id| {
            b.push_bind(number.get()).push_bind(id.get()).push_bind(i64::from(dose)).push_bind("ACTIVE").push_bind(now);
        })
        .build().execute(c).await.map(|r| r.rows_affected())
        .map_err(|e| if is_unique_violation(&e) { DomainError::Rule(Rule::AlreadyBooked) } else { db_error(e) }))?;
    Ok(())
}

/// What claiming an idempotency key found.
enum Claim {
    /// The key is new: go ahead (its row is part of this transaction).
    Fresh,
    /// The key was used before for the same request: this is its outcome.
    Replay(StoredOutcome),
}

async fn claim_key(tx: &mut Tx, key: &IdempotencyKey, now: i64) -> Result<Claim, DomainError> {
    let inserted = on_tx!(tx, c => sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, outcome, created_at) VALUES ($1, $2, $3, NULL, $4) \
         ON CONFLICT (scope, key) DO NOTHING")
        .bind(&key.scope).bind(&key.key).bind(&key.request_hash).bind(now)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let (hash, outcome): (String, Option<String>) = on_tx!(tx, c => sqlx::query_as(
        "SELECT request_hash, outcome FROM idempotency_keys WHERE scope = $1 AND key = $2")
        .bind(&key.scope).bind(&key.key).fetch_one(c).await.map_err(db_error))?;
    if hash != key.request_hash {
        return Err(DomainError::Rule(Rule::IdempotencyKeyReused));
    }
    let outcome = outcome
        .and_then(|o| serde_json::from_str(&o).ok())
        .ok_or_else(|| {
            DomainError::Conflict(
                "the first request with this Idempotency-Key is still running".into(),
            )
        })?;
    Ok(Claim::Replay(outcome))
}

async fn record_outcome(
    tx: &mut Tx,
    key: &IdempotencyKey,
    outcome: &StoredOutcome,
) -> Result<(), DomainError> {
    let text = serde_json::to_string(outcome).map_err(|e| DomainError::Internal(e.into()))?;
    on_tx!(tx, c => sqlx::query("UPDATE idempotency_keys SET outcome = $3 WHERE scope = $1 AND key = $2")
        .bind(&key.scope).bind(&key.key).bind(text)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    Ok(())
}

fn rule_name(rule: &Rule) -> String {
    serde_json::to_string(rule).unwrap_or_default()
}

fn rule_from_name(name: &str) -> Rule {
    serde_json::from_str(name).unwrap_or(Rule::SlotFull)
}

/// Records a change to an appointment in the audit log: its number, slot and how many people
/// are booked on it (never who they are).
fn audit_appointment(tx: &mut Tx, action: &str, appointment: &Appointment) {
    let active = appointment
        .beneficiaries
        .iter()
        .filter(|b| b.status == BookingStatus::Active)
        .count();
    tx.audit(
        action,
        format!("appointment:{}", appointment.number.get()),
        format!(
            "{{\"slot_id\":{},\"dose\":{},\"active\":{active}}}",
            appointment.slot.id.0, appointment.dose
        ),
    );
}

/// The message about appointment `number` in `slot` of `session` at `center`.
fn session_notice<'a>(
    event: AppointmentEvent,
    number: AppointmentNo,
    center: &'a Center,
    session: &'a Session,
    slot: &Slot,
    dose: u8,
    people: usize,
) -> AppointmentNotice<'a> {
    AppointmentNotice {
        event,
        number,
        center_name: &center.name,
        date: session.date,
        timings: slot.timings,
        dose,
        vaccine: &session.vaccine_code,
        people,
    }
}

/// Which booking operation a transaction runs.
enum Operation<'a> {
    Book(&'a BookingRequest),
    Reschedule(&'a RescheduleRequest),
}

#[async_trait]
impl BookingStore for SqlStore {
    async fn book(
        &self,
        r: &BookingRequest,
        key: Option<&IdempotencyKey>,
    ) -> Result<Appointment, DomainError> {
        self.run_idempotent(Operation::Book(r), key).await
    }

    async fn idempotency_key_seen(&self, key: &IdempotencyKey) -> Result<bool, DomainError> {
        let found: Option<i64> = on_pool!(&self.pool, p => sqlx::query_scalar(
            // A BIGINT on both databases: PostgreSQL types a bare `1` as INT4.
            "SELECT CAST(1 AS BIGINT) FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(&key.scope).bind(&key.key).fetch_optional(p).await.map_err(db_error))?;
        Ok(found.is_some())
    }

    async fn reschedule(
        &self,
        r: &RescheduleRequest,
        key: Option<&IdempotencyKey>,
    ) -> Result<Appointment, DomainError> {
        self.run_idempotent(Operation::Reschedule(r), key).await
    }

    async fn cancel(
        &self,
        account: &MobileHash,
        number: AppointmentNo,
        who: &[BeneficiaryRef],
    ) -> Result<Appointment, DomainError> {
        let mut tx = self.begin_write().await?;
        let now = self.clock.now_millis();
        lock_appointment(&mut tx, account, number, now).await?;
        let current = one_appointment(&mut tx, account, number).await?;
        let targets: Vec<BeneficiaryRef> = if who.is_empty() {
            current
                .beneficiaries
                .iter()
                .map(|b| b.reference_id)
                .collect()
        } else {
            who.to_vec()
        };
        if let Some(stranger) = targets
            .iter()
            .find(|t| !current.beneficiaries.iter().any(|b| b.reference_id == **t))
        {
            return Err(DomainError::invalid(
                "beneficiaries",
                format!("{stranger} is not in this appointment"),
            ));
        }
        // Only ACTIVE rows change, and exactly as many seats return as rows changed: a repeated
        // cancel returns nothing twice.
        let cancelled = on_tx!(&mut tx, c => {
            let mut q = QueryBuilder::new("UPDATE appointment_beneficiaries SET status = 'CANCELLED', updated_at = ");
            q.push_bind(now).push(" WHERE status = 'ACTIVE' AND completed_at IS NULL AND appointment_no = ").push_bind(number.get());
            q.push(" AND beneficiary_id IN (");
            let mut list = q.separated(", ");
            for t in &targets {
                list.push_bind(t.get());
            }
            q.push(")");
            q.build().execute(c).await.map(|r| r.rows_affected()).map_err(db_error)
        })?;
        if cancelled > 0 {
            // The message first: the slot's row is locked from its update to the commit.
            let center_name = center_name_in(&mut tx, current.center_id).await?;
            enqueue(
                &mut tx,
                &AppointmentNotice {
                    event: AppointmentEvent::Cancelled,
                    number,
                    center_name: &center_name,
                    date: current.date,
                    timings: current.slot.timings,
                    dose: current.dose,
                    vaccine: &current.vaccine_code,
                    people: usize::try_from(cancelled).unwrap_or(usize::MAX),
                }
                .job(account),
            )
            .await?;
            release_seats(
                &mut tx,
                current.slot.id,
                current.dose,
                i64::try_from(cancelled).unwrap_or(i64::MAX),
                now,
            )
            .await?;
            note_changes(&mut tx, &[current.session_id], now, true).await?;
        }
        let after = one_appointment(&mut tx, account, number).await?;
        if cancelled > 0 {
            audit_appointment(&mut tx, "appointment.cancel", &after);
        }
        tx.commit().await?;
        Ok(after)
    }

    async fn appointment(
        &self,
        account: &MobileHash,
        number: AppointmentNo,
    ) -> Result<Appointment, DomainError> {
        let found = self.read_appointment(account, number).await?;
        self.audit_read(format!("appointment:{}", number.get()), "{}".into())
            .await?;
        Ok(found)
    }

    async fn appointment_number(
        &self,
        account: &MobileHash,
        id: AppointmentId,
    ) -> Result<AppointmentNo, DomainError> {
        let found: Option<i64> = on_pool!(&self.pool, p => sqlx::query_scalar(
            "SELECT number FROM appointments WHERE public_id = $1 AND account = $2")
            .bind(id.0).bind(account.as_str()).fetch_optional(p).await.map_err(db_error))?;
        let number = found.ok_or(DomainError::NotFound("appointment"))?;
        AppointmentNo::new(number).map_err(|e| DomainError::Internal(e.into()))
    }

    async fn appointments(&self, account: &MobileHash) -> Result<Vec<Appointment>, DomainError> {
        let found = self.read_appointments(account).await?;
        let detail = format!("{{\"appointments\":{}}}", found.len());
        self.audit_read(
            format!("account:{}", account.as_str().get(..12).unwrap_or("")),
            detail,
        )
        .await?;
        Ok(found)
    }

    async fn center_appointments(
        &self,
        center_id: CenterId,
        date: Date,
    ) -> Result<CenterDay, DomainError> {
        let found = self.read_center_day(center_id, date).await?;
        let detail = format!(
            "{{\"appointments\":{},\"people\":{}}}",
            found.appointments.len(),
            found.people.len()
        );
        self.audit_read(format!("center:{}", center_id.0), detail)
            .await?;
        Ok(found)
    }

    async fn slot(&self, id: SlotId) -> Result<(Session, Slot), DomainError> {
        let sessions: Vec<SessionRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions se JOIN slots sl ON sl.session_id = se.id WHERE sl.id = $1")))
            .bind(id.0).fetch_all(p).await.map_err(db_error))?;
        let slots: Vec<SlotRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SLOT_COLUMNS} FROM slots sl WHERE sl.id = $1")))
            .bind(id.0).fetch_all(p).await.map_err(db_error))?;
        split_slot(assemble(sessions, slots)?)
    }

    async fn put_captcha(
        &self,
        account: &MobileHash,
        answer_hash: &str,
        expires_at: i64,
    ) -> Result<(), DomainError> {
        let mut tx = self.begin_write().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO captchas (account, answer_hash, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account) DO UPDATE SET answer_hash = excluded.answer_hash, expires_at = excluded.expires_at")
            .bind(account.as_str()).bind(answer_hash).bind(expires_at)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await
    }

    /// Deletes and returns the account's pending captcha, so that one answer is tried once.
    async fn take_captcha(&self, account: &MobileHash) -> Result<Option<String>, DomainError> {
        let mut tx = self.begin_write().await?;
        let row: Option<(String, i64)> = on_tx!(&mut tx, c => sqlx::query_as(
            "DELETE FROM captchas WHERE account = $1 RETURNING answer_hash, expires_at")
            .bind(account.as_str()).fetch_optional(c).await.map_err(db_error))?;
        tx.commit().await?;
        let now = self.clock.now_millis();
        Ok(row
            .filter(|(_, expires)| *expires > now)
            .map(|(hash, _)| hash))
    }
}

impl SqlStore {
    /// Runs a booking operation with its idempotency key: a fresh key is claimed in the same
    /// transaction; a refusal is recorded after the rollback, so a retry gets the same answer.
    async fn run_idempotent(
        &self,
        op: Operation<'_>,
        key: Option<&IdempotencyKey>,
    ) -> Result<Appointment, DomainError> {
        let account = match &op {
            Operation::Book(r) => r.account.clone(),
            Operation::Reschedule(r) => r.to.account.clone(),
        };
        // The time is read once the writer's turn has come, so change times follow commit order.
        let mut tx = self.begin_write().await?;
        let now = self.clock.now_millis();
        if let Some(key) = key {
            match claim_key(&mut tx, key, now).await? {
                Claim::Fresh => {}
                Claim::Replay(StoredOutcome::Booked(n)) => {
                    let number =
                        AppointmentNo::new(n).map_err(|e| DomainError::Internal(e.into()))?;
                    return one_appointment(&mut tx, &account, number).await;
                }
                Claim::Replay(StoredOutcome::Refused(rule)) => {
                    return Err(DomainError::Rule(rule_from_name(&rule)));
                }
            }
        }
        let (result, action) = match op {
            Operation::Book(r) => (self.book_in(&mut tx, r, now, key).await, "appointment.book"),
            Operation::Reschedule(r) => (
                self.reschedule_in(&mut tx, r, now).await,
                "appointment.reschedule",
            ),
        };
        if let Ok(appointment) = &result {
            audit_appointment(&mut tx, action, appointment);
        }
        match (result, key) {
            (Ok(appointment), Some(_)) if matches!(op, Operation::Book(_)) => {
                // The booking recorded its outcome itself, before taking the seat.
                tx.commit().await?;
                Ok(appointment)
            }
            (Ok(appointment), Some(key)) => {
                record_outcome(
                    &mut tx,
                    key,
                    &StoredOutcome::Booked(appointment.number.get()),
                )
                .await?;
                tx.commit().await?;
                Ok(appointment)
            }
            (Ok(appointment), None) => {
                tx.commit().await?;
                Ok(appointment)
            }
            (Err(DomainError::Rule(rule)), Some(key)) => {
                drop(tx);
                self.record_refusal(key, &rule, &account).await
            }
            (Err(e), _) => Err(e),
        }
    }

    /// Stores a refusal for a key, unless a concurrent retry stored an outcome first: then that
    /// outcome is the answer.
    async fn record_refusal(
        &self,
        key: &IdempotencyKey,
        rule: &Rule,
        account: &MobileHash,
    ) -> Result<Appointment, DomainError> {
        let mut tx = self.begin_write().await?;
        let outcome = serde_json::to_string(&StoredOutcome::Refused(rule_name(rule)))
            .map_err(|e| DomainError::Internal(e.into()))?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, outcome, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (scope, key) DO NOTHING")
            .bind(&key.scope).bind(&key.key).bind(&key.request_hash).bind(outcome).bind(self.clock.now_millis())
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        let result = match claim_key(&mut tx, key, 0).await? {
            Claim::Replay(StoredOutcome::Booked(n)) => {
                let number = AppointmentNo::new(n).map_err(|e| DomainError::Internal(e.into()))?;
                one_appointment(&mut tx, account, number).await
            }
            Claim::Replay(StoredOutcome::Refused(r)) => Err(DomainError::Rule(rule_from_name(&r))),
            Claim::Fresh => Err(DomainError::Rule(rule.clone())),
        };
        tx.commit().await?;
        result
    }

    /// Books in `tx`. Every other write comes first and the seat last, so a hot slot's row is
    /// locked from its update to the commit and no longer: the statement that can fail for
    /// want of seats rolls the others back with it.
    async fn book_in(
        &self,
        tx: &mut Tx,
        r: &BookingRequest,
        now: i64,
        key: Option<&IdempotencyKey>,
    ) -> Result<Appointment, DomainError> {
        r.validate()?;
        let (session, slot) = slot_in(tx, r.slot_id).await?;
        if session.center_id != r.center_id || session.date != r.date {
            return Err(DomainError::Rule(Rule::SlotMismatch));
        }
        let center = center_in(tx, r.center_id).await?;
        let people = beneficiaries_of_in(tx, &r.account, &r.beneficiaries).await?;
        if people.len() != r.beneficiaries.len() {
            return Err(DomainError::NotFound("beneficiary"));
        }
        check_bookable(&center, &session, &slot, &people, self.clock.now())?;
        let dose = booking_dose(r.dose, &session)?;
        // One upcoming appointment per person, whatever the dose (a past one no longer counts):
        // no family can hold a seat per dose number. Writing to the people's rows first makes
        // concurrent bookings for the same person take turns on PostgreSQL too.
        lock_beneficiaries(tx, &r.beneficiaries).await?;
        if any_active(tx, &r.beneficiaries, dose, self.clock.today()).await? {
            return Err(DomainError::Rule(Rule::AlreadyBooked));
        }
        // Dose 2 and later follow the records, never the client's word.
        check_booking_doses(
            self,
            tx,
            &r.beneficiaries,
            &session.vaccine_code,
            dose,
            session.date,
        )
        .await?;
        let n = i64::try_from(r.beneficiaries.len()).unwrap_or(i64::MAX);
        let (number, id) =
            insert_appointment(tx, &r.account, &session, &slot, dose, &r.beneficiaries, now)
                .await?;
        note_changes(tx, &[session.id], now, false).await?;
        if let Some(key) = key {
            record_outcome(tx, key, &StoredOutcome::Booked(number.get())).await?;
        }
        let notice = session_notice(
            AppointmentEvent::Booked,
            number,
            &center,
            &session,
            &slot,
            dose,
            r.beneficiaries.len(),
        );
        enqueue(tx, &notice.job(&r.account)).await?;
        take_seats(tx, slot.id, dose, n, now).await?;
        // Everything the answer needs is at hand: no second read on the booking hot path.
        let booked = u32::try_from(n).unwrap_or(u32::MAX);
        Ok(Appointment {
            number,
            id,
            center_id: session.center_id,
            session_id: session.id,
            date: session.date,
            slot: Slot {
                booked: slot.booked.saturating_add(booked),
                booked_dose1: if DosePool::of(dose) == DosePool::First {
                    slot.booked_dose1.saturating_add(booked)
                } else {
                    slot.booked_dose1
                },
                ..slot
            },
            dose,
            vaccine_code: session.vaccine_code,
            beneficiaries: r
                .beneficiaries
                .iter()
                .map(|b| BookedBeneficiary {
                    reference_id: *b,
                    status: BookingStatus::Active,
                })
                .collect(),
        })
    }

    async fn reschedule_in(
        &self,
        tx: &mut Tx,
        r: &RescheduleRequest,
        now: i64,
    ) -> Result<Appointment, DomainError> {
        let account = &r.to.account;
        lock_appointment(tx, account, r.number, now).await?;
        let current = one_appointment(tx, account, r.number).await?;
        let active: Vec<BeneficiaryRef> = current.active().collect();
        let movers: Vec<BeneficiaryRef> = if r.to.beneficiaries.is_empty() {
            active.clone()
        } else {
            r.to.beneficiaries.clone()
        };
        if movers.is_empty() {
            let done = current
                .beneficiaries
                .iter()
                .any(|b| b.status == BookingStatus::Completed);
            return Err(DomainError::Conflict(
                if done {
                    "the appointment is completed: its dose is recorded"
                } else {
                    "the appointment has been cancelled"
                }
                .into(),
            ));
        }
        if let Some(stranger) = movers.iter().find(|m| !active.contains(m)) {
            return Err(DomainError::invalid(
                "beneficiaries",
                format!("{stranger} is not booked in this appointment"),
            ));
        }
        let request = BookingRequest {
            beneficiaries: movers.clone(),
            dose: Some(current.dose),
            ..r.to.clone()
        };
        request.validate()?;
        if request.slot_id == current.slot.id {
            return Err(DomainError::invalid(
                "slot_id",
                "the appointment is already in this slot",
            ));
        }
        let (session, slot) = slot_in(tx, request.slot_id).await?;
        if session.center_id != request.center_id || session.date != request.date {
            return Err(DomainError::Rule(Rule::SlotMismatch));
        }
        let center = center_in(tx, request.center_id).await?;
        let people = beneficiaries_of_in(tx, account, &movers).await?;
        check_bookable(&center, &session, &slot, &people, self.clock.now())?;
        let dose = booking_dose(Some(current.dose), &session)?;
        // The new date must still keep the series' interval after the previous dose.
        check_booking_doses(self, tx, &movers, &session.vaccine_code, dose, session.date).await?;
        let n = i64::try_from(movers.len()).unwrap_or(i64::MAX);
        // The two slots' rows are locked in ascending id order: two moves in opposite
        // directions between the same slots would otherwise deadlock on PostgreSQL (each
        // holding the row the other waits for). Either order is correct: a refusal rolls
        // both updates back.
        if slot.id.0 < current.slot.id.0 {
            take_seats(tx, slot.id, dose, n, now).await?;
            release_seats(tx, current.slot.id, current.dose, n, now).await?;
        } else {
            release_seats(tx, current.slot.id, current.dose, n, now).await?;
            take_seats(tx, slot.id, dose, n, now).await?;
        }
        note_changes(tx, &[current.session_id, session.id], now, true).await?;
        let moved = |number| {
            session_notice(
                AppointmentEvent::Rescheduled,
                number,
                &center,
                &session,
                &slot,
                dose,
                movers.len(),
            )
            .job(account)
        };
        // A dose given on this appointment stays where it was given: with anyone completed,
        // the others leave for a new appointment. The movers' places are written first, only
        // where still active and not completed, so a dose recorded meanwhile (another node)
        // makes this a conflict to retry, not a move.
        let completed = current
            .beneficiaries
            .iter()
            .any(|b| b.status == BookingStatus::Completed);
        let whole = movers.len() == active.len() && !completed;
        let marked = mark_movers(tx, current.number, &movers, !whole, now).await?;
        if usize::try_from(marked).ok() != Some(movers.len()) {
            return Err(DomainError::Conflict(crate::db::RETRYABLE.into()));
        }
        if whole {
            enqueue(tx, &moved(current.number)).await?;
            on_tx!(tx, c => sqlx::query(
                "UPDATE appointments SET center_id = $2, session_id = $3, slot_id = $4, updated_at = $5 WHERE number = $1")
                .bind(current.number.get()).bind(session.center_id.0).bind(session.id.0).bind(slot.id.0).bind(now)
                .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
            return one_appointment(tx, account, current.number).await;
        }
        // Some of the family move: they left this appointment for a new one.
        let (number, _) =
            insert_appointment(tx, account, &session, &slot, dose, &movers, now).await?;
        enqueue(tx, &moved(number)).await?;
        one_appointment(tx, account, number).await
    }
}
