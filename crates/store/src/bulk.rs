//! Bulk loading of generated datasets (the benchmark's millions of slots and people), the
//! booking audit that proves no slot is over its seats, and the reset of a set of slots between
//! benchmark rounds. Rows go in as multi-row inserts in large transactions; nothing here is on
//! a request path.

use crate::db::{SqlStore, Tx, db_error, on_pool, on_tx};
use sehat_domain::DomainError;
use sqlx::QueryBuilder;
use time::Date;
use uuid::Uuid;

/// A centre row.
#[derive(Debug, Clone)]
pub struct BulkCenter {
    /// Centre id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// State.
    pub state_id: i64,
    /// District.
    pub district_id: i64,
    /// Block.
    pub block_id: Option<i64>,
    /// Pincode.
    pub pincode: i64,
    /// Position.
    pub lat: f64,
    /// Position.
    pub lon: f64,
    /// `Free` or `Paid`.
    pub fee_type: &'static str,
    /// Vaccines offered, comma separated.
    pub vaccine_codes: String,
}

/// A session row (one centre, date and vaccine).
#[derive(Debug, Clone)]
pub struct BulkSession {
    /// Session id.
    pub id: Uuid,
    /// Centre.
    pub center_id: i64,
    /// Day.
    pub date: Date,
    /// Vaccine.
    pub vaccine_code: String,
    /// Youngest age.
    pub min_age: i64,
    /// Online seats (sum of the slots').
    pub capacity: i64,
    /// Fee per dose, rupees.
    pub fee: i64,
}

/// A slot row.
#[derive(Debug, Clone)]
pub struct BulkSlot {
    /// Slot id.
    pub id: i64,
    /// Session.
    pub session_id: Uuid,
    /// `09:00AM-10:00AM`.
    pub name: String,
    /// Minutes from midnight.
    pub start_minute: i64,
    /// Minutes from midnight.
    pub end_minute: i64,
    /// Seats.
    pub capacity: i64,
    /// Seats kept for first doses.
    pub capacity_dose1: i64,
}

/// An account with its beneficiaries.
#[derive(Debug, Clone)]
pub struct BulkAccount {
    /// Keyed hash of the mobile.
    pub mobile_hash: String,
    /// Its last four digits.
    pub mobile_last4: String,
    /// The mobile sealed under the identifier key (what messages are sent to).
    pub mobile_sealed: String,
    /// The family.
    pub members: Vec<BulkBeneficiary>,
}

/// A beneficiary row.
#[derive(Debug, Clone)]
pub struct BulkBeneficiary {
    /// Reference id.
    pub reference_id: i64,
    /// Name.
    pub name: String,
    /// Year of birth.
    pub birth_year: i64,
    /// 1 male, 2 female, 3 other.
    pub gender_id: i64,
    /// Photo-ID type.
    pub photo_id_type: i64,
    /// Keyed hash of the photo-ID number.
    pub photo_id_hash: String,
    /// Its last four characters.
    pub photo_id_last4: String,
}

/// A first-dose appointment of one beneficiary, made before the run.
#[derive(Debug, Clone)]
pub struct BulkBooking {
    /// Appointment number.
    pub number: i64,
    /// Account.
    pub account: String,
    /// Beneficiary.
    pub beneficiary_id: i64,
    /// Centre.
    pub center_id: i64,
    /// Session.
    pub session_id: Uuid,
    /// Slot.
    pub slot_id: i64,
}

/// What the booking audit found: every figure but the totals must be 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BookingAudit {
    /// Slots.
    pub slots: i64,
    /// Active appointment rows (one per beneficiary).
    pub active_bookings: i64,
    /// Slots whose bookings exceed their seats, or a dose pool's seats.
    pub over_capacity: i64,
    /// Slots whose `booked` (or `booked_dose1`) differs from their active appointment rows.
    pub counter_mismatch: i64,
    /// Beneficiaries holding two active appointments for one dose.
    pub twice_per_dose: i64,
    /// Beneficiaries holding two active appointments from today on (one upcoming per person).
    pub two_upcoming: i64,
}

impl BookingAudit {
    /// Whether every invariant holds.
    pub fn holds(&self) -> bool {
        self.over_capacity == 0
            && self.counter_mismatch == 0
            && self.twice_per_dose == 0
            && self.two_upcoming == 0
    }
}

/// Rows per multi-row insert: under both databases' bound-parameter limits.
const fn rows_per_insert(columns: usize) -> usize {
    30_000 / columns
}

/// Rows inserted with their ids leave PostgreSQL's identity sequence behind: move it past them,
/// so that rows made afterwards (a centre from the admin API) get fresh ids. SQLite takes the
/// largest id by itself.
async fn advance_identity(tx: &mut Tx, table: &str) -> Result<(), DomainError> {
    if let crate::db::TxInner::Postgres(c) = &mut tx.inner {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
        )))
        .execute(&mut **c)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

impl SqlStore {
    /// Inserts centres.
    pub async fn bulk_centers(&self, rows: &[BulkCenter], now: i64) -> Result<(), DomainError> {
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(rows_per_insert(16)) {
            on_tx!(&mut tx, c => QueryBuilder::new(
                "INSERT INTO centers (id, name, name_key, state_id, district_id, block_id, pincode, address, lat, lon, \
                 centre_type, area, fee_type, vaccine_codes, created_at, updated_at) ")
                .push_values(chunk, |mut b, r| {
                    b.push_bind(r.id).push_bind(&r.name).push_bind(r.name.to_lowercase()).push_bind(r.state_id)
                        .push_bind(r.district_id).push_bind(r.block_id).push_bind(r.pincode).push_bind("")
                        .push_bind(r.lat).push_bind(r.lon).push_bind("Permanent").push_bind("Urban")
                        .push_bind(r.fee_type).push_bind(&r.vaccine_codes).push_bind(now).push_bind(now);
                })
                .build().execute(c).await.map(|_| ()).map_err(db_error))?;
        }
        advance_identity(&mut tx, "centers").await?;
        tx.commit().await
    }

    /// Inserts sessions and their slots.
    pub async fn bulk_sessions(
        &self,
        sessions: &[BulkSession],
        slots: &[BulkSlot],
        now: i64,
    ) -> Result<(), DomainError> {
        let mut tx = self.begin_write().await?;
        for chunk in sessions.chunks(rows_per_insert(11)) {
            on_tx!(&mut tx, c => QueryBuilder::new(
                "INSERT INTO sessions (id, center_id, date, vaccine_code, min_age, capacity_online, capacity_walkin, \
                 fee, status, created_at, updated_at) ")
                .push_values(chunk, |mut b, r| {
                    b.push_bind(r.id).push_bind(r.center_id).push_bind(r.date).push_bind(&r.vaccine_code)
                        .push_bind(r.min_age).push_bind(r.capacity).push_bind(0_i64).push_bind(r.fee)
                        .push_bind("OPEN").push_bind(now).push_bind(now);
                })
                .build().execute(c).await.map(|_| ()).map_err(db_error))?;
        }
        for chunk in slots.chunks(rows_per_insert(10)) {
            on_tx!(&mut tx, c => QueryBuilder::new(
                "INSERT INTO slots (id, session_id, name, name_key, start_minute, end_minute, capacity, capacity_dose1, \
                 booked, changed_at) ")
                .push_values(chunk, |mut b, r| {
                    b.push_bind(r.id).push_bind(r.session_id).push_bind(&r.name).push_bind(r.name.to_lowercase())
                        .push_bind(r.start_minute).push_bind(r.end_minute).push_bind(r.capacity)
                        .push_bind(r.capacity_dose1).push_bind(0_i64).push_bind(now);
                })
                .build().execute(c).await.map(|_| ()).map_err(db_error))?;
        }
        advance_identity(&mut tx, "slots").await?;
        tx.commit().await
    }

    /// Inserts accounts and their beneficiaries.
    pub async fn bulk_accounts(&self, rows: &[BulkAccount], now: i64) -> Result<(), DomainError> {
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(rows_per_insert(5)) {
            on_tx!(&mut tx, c => QueryBuilder::new(
                "INSERT INTO accounts (mobile_hash, mobile_last4, mobile_sealed, members, created_at) ")
                .push_values(chunk, |mut b, r| {
                    b.push_bind(&r.mobile_hash).push_bind(&r.mobile_last4).push_bind(&r.mobile_sealed)
                        .push_bind(i64::try_from(r.members.len()).unwrap_or(0)).push_bind(now);
                })
                .build().execute(c).await.map(|_| ()).map_err(db_error))?;
        }
        let people: Vec<(&str, &BulkBeneficiary)> = rows
            .iter()
            .flat_map(|a| a.members.iter().map(|m| (a.mobile_hash.as_str(), m)))
            .collect();
        for chunk in people.chunks(rows_per_insert(11)) {
            on_tx!(&mut tx, c => QueryBuilder::new(
                "INSERT INTO beneficiaries (reference_id, account, name, birth_year, gender_id, photo_id_type, \
                 photo_id_hash, photo_id_last4, address, created_at, updated_at) ")
                .push_values(chunk, |mut b, (account, r)| {
                    b.push_bind(r.reference_id).push_bind(*account).push_bind(&r.name).push_bind(r.birth_year)
                        .push_bind(r.gender_id).push_bind(r.photo_id_type).push_bind(&r.photo_id_hash)
                        .push_bind(&r.photo_id_last4).push_bind("").push_bind(now).push_bind(now);
                })
                .build().execute(c).await.map(|_| ()).map_err(db_error))?;
        }
        tx.commit().await
    }

    /// Records first-dose appointments and takes their seats.
    pub async fn bulk_bookings(&self, rows: &[BulkBooking], now: i64) -> Result<(), DomainError> {
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(rows_per_insert(9)) {
            on_tx!(&mut tx, c => QueryBuilder::new(
                "INSERT INTO appointments (number, public_id, account, center_id, session_id, slot_id, dose, created_at, updated_at) ")
                .push_values(chunk, |mut b, r| {
                    b.push_bind(r.number).push_bind(uuid::Uuid::new_v4()).push_bind(&r.account).push_bind(r.center_id).push_bind(r.session_id)
                        .push_bind(r.slot_id).push_bind(1_i64).push_bind(now).push_bind(now);
                })
                .build().execute(c).await.map(|_| ()).map_err(db_error))?;
            on_tx!(&mut tx, c => QueryBuilder::new(
                "INSERT INTO appointment_beneficiaries (appointment_no, beneficiary_id, dose, status, updated_at) ")
                .push_values(chunk, |mut b, r| {
                    b.push_bind(r.number).push_bind(r.beneficiary_id).push_bind(1_i64).push_bind("ACTIVE").push_bind(now);
                })
                .build().execute(c).await.map(|_| ()).map_err(db_error))?;
        }
        // Seats taken, grouped by how many each slot gets (integers written into the statement).
        let mut per_slot: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
        for r in rows {
            *per_slot.entry(r.slot_id).or_default() += 1;
        }
        let mut by_count: std::collections::BTreeMap<i64, Vec<i64>> =
            std::collections::BTreeMap::new();
        for (slot, n) in per_slot {
            by_count.entry(n).or_default().push(slot);
        }
        for (n, slots) in by_count {
            for chunk in slots.chunks(1000) {
                let ids = chunk
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "UPDATE slots SET booked = booked + {n}, booked_dose1 = booked_dose1 + {n} WHERE id IN ({ids})"
                );
                on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(c).await.map(|_| ()).map_err(db_error))?;
            }
        }
        tx.commit().await
    }

    /// Sets a slot's seats (all for first doses): the benchmark opens a hot slot wide for the
    /// database's one-booking-per-transaction ceiling, and closes it back.
    pub async fn set_slot_seats(&self, slot: i64, seats: i64) -> Result<(), DomainError> {
        let mut tx = self.begin_write().await?;
        let now = self.clock.now_millis();
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE slots SET capacity = $2, capacity_dose1 = $2, changed_at = $3 WHERE id = $1")
            .bind(slot).bind(seats).bind(now).execute(c).await.map(|_| ()).map_err(db_error))?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO availability_changes (session_id, center_id, district_id, pincode, changed_at) \
             SELECT se.id, c.id, c.district_id, c.pincode, $2 FROM slots sl \
             JOIN sessions se ON se.id = sl.session_id JOIN centers c ON c.id = se.center_id WHERE sl.id = $1")
            .bind(slot).bind(now).execute(c).await.map(|_| ()).map_err(db_error))?;
        tx.commit().await
    }

    /// Refreshes the planner's statistics after a bulk load.
    pub async fn analyze(&self) -> Result<(), DomainError> {
        on_pool!(&self.pool, p => sqlx::query("ANALYZE").execute(p).await.map(|_| ()).map_err(db_error))
    }

    /// Removes every appointment made from `since` (ms) on, and the idempotency keys of that
    /// time, and recounts the seats of the slots that changed since: a clean start for the
    /// next round of a benchmark, keeping the bookings made before the run.
    pub async fn reset_bookings_since(&self, since: i64) -> Result<(), DomainError> {
        let mut tx = self.begin_write().await?;
        let now = self.clock.now_millis();
        // The sessions whose seats change again: noted for the feed, so that every server on
        // the database drops what it cached about them (searches, sold-out marks).
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO availability_changes (session_id, center_id, district_id, pincode, changed_at) \
             SELECT DISTINCT se.id, c.id, c.district_id, c.pincode, $2 FROM slots sl \
             JOIN sessions se ON se.id = sl.session_id JOIN centers c ON c.id = se.center_id \
             WHERE sl.changed_at >= $1")
            .bind(since).bind(now).execute(c).await.map(|_| ()).map_err(db_error))?;
        for sql in [
            "DELETE FROM appointment_beneficiaries WHERE appointment_no IN \
             (SELECT number FROM appointments WHERE created_at >= $1)",
            "DELETE FROM appointments WHERE created_at >= $1",
            "UPDATE slots SET \
               booked = (SELECT COUNT(*) FROM appointment_beneficiaries ab JOIN appointments a \
                 ON a.number = ab.appointment_no WHERE a.slot_id = slots.id AND ab.status = 'ACTIVE'), \
               booked_dose1 = (SELECT COUNT(*) FROM appointment_beneficiaries ab JOIN appointments a \
                 ON a.number = ab.appointment_no WHERE a.slot_id = slots.id AND ab.status = 'ACTIVE' AND ab.dose = 1), \
               changed_at = $2 \
             WHERE changed_at >= $1",
            "DELETE FROM idempotency_keys WHERE created_at >= $1",
        ] {
            on_tx!(&mut tx, c => sqlx::query(sql).bind(since).bind(now)
                .execute(c).await.map(|_| ()).map_err(db_error))?;
        }
        tx.commit().await
    }

    /// Checks every slot against its appointment rows: no slot over its seats or a pool's
    /// seats, counters equal to the active rows, nobody booked twice for one dose.
    pub async fn audit_bookings(&self) -> Result<BookingAudit, DomainError> {
        let mut tx = self.begin_read().await?;
        let (slots, over_capacity): (i64, i64) = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN booked > capacity OR booked_dose1 > capacity_dose1 \
               OR booked - booked_dose1 > capacity - capacity_dose1 OR booked < 0 OR booked_dose1 < 0 \
               THEN 1 ELSE 0 END), 0) FROM slots")
            .fetch_one(c).await.map_err(db_error))?;
        let active_bookings: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM appointment_beneficiaries WHERE status = 'ACTIVE'")
            .fetch_one(c).await.map_err(db_error))?;
        let counter_mismatch: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM slots sl LEFT JOIN ( \
               SELECT a.slot_id, COUNT(*) AS n, SUM(CASE WHEN ab.dose = 1 THEN 1 ELSE 0 END) AS n1 \
               FROM appointment_beneficiaries ab JOIN appointments a ON a.number = ab.appointment_no \
               WHERE ab.status = 'ACTIVE' GROUP BY a.slot_id) rows ON rows.slot_id = sl.id \
             WHERE sl.booked <> COALESCE(rows.n, 0) OR sl.booked_dose1 <> COALESCE(rows.n1, 0)")
            .fetch_one(c).await.map_err(db_error))?;
        let twice_per_dose: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT beneficiary_id, dose FROM appointment_beneficiaries \
             WHERE status = 'ACTIVE' GROUP BY beneficiary_id, dose HAVING COUNT(*) > 1) twice")
            .fetch_one(c).await.map_err(db_error))?;
        let two_upcoming: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT ab.beneficiary_id FROM appointment_beneficiaries ab \
             JOIN appointments a ON a.number = ab.appointment_no JOIN sessions se ON se.id = a.session_id \
             WHERE ab.status = 'ACTIVE' AND se.date >= $1 GROUP BY ab.beneficiary_id HAVING COUNT(*) > 1) two")
            .bind(self.clock.today()).fetch_one(c).await.map_err(db_error))?;
        Ok(BookingAudit {
            slots,
            active_bookings,
            over_capacity,
            counter_mismatch,
            twice_per_dose,
            two_upcoming,
        })
    }
}

/// Drops and creates database `name` on the PostgreSQL server at `admin_url` (any database
/// there), returning the new database's URL.
pub async fn recreate_postgres_database(
    admin_url: &str,
    name: &str,
) -> Result<String, DomainError> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(DomainError::invalid(
            "database",
            "letters, digits and _ only",
        ));
    }
    let pool = sqlx::PgPool::connect(admin_url).await.map_err(db_error)?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&pool)
    .await
    .map_err(db_error)?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&pool)
        .await
        .map_err(db_error)?;
    pool.close().await;
    Ok(crate::testing::with_database(admin_url, name))
}
