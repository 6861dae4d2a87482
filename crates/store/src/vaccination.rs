//! Vaccination ([`VaccinationStore`]): vaccinators' posts, walk-in seats, dose records and their
//! certificates. The dose rules are checked inside the writing transaction against the records
//! it reads after locking the person's row, and the unique key on (person, series, dose) keeps
//! one record whatever races; capacity of walk-in seats is a conditional update.

use crate::booking::lock_beneficiaries;
use crate::db::{SqlStore, Tx, db_error, is_unique_violation, on_pool, on_tx};
use crate::outbox::enqueue;
use crate::reference::dose_schedules_in;
use crate::rows::row;
use async_trait::async_trait;
use sehat_domain::beneficiary::BeneficiaryRef;
use sehat_domain::booking::AppointmentNo;
use sehat_domain::identity::MobileHash;
use sehat_domain::ids::{CenterId, SessionId};
use sehat_domain::immunization::{
    Batch, DoseId, DoseRecord, DoseSchedule, VaccinatorId, check_dose, check_series,
};
use sehat_domain::outbox::NewJob;
use sehat_domain::vaccination::{
    CertificateId, NewCertificate, NewVaccinator, StoredCertificate, VaccinationStore, Vaccinator,
    WalkIn, WalkInSeat, schedule_of,
};
use sehat_domain::values::Name;
use sehat_domain::{DomainError, Rule};
use sqlx::QueryBuilder;
use std::sync::Arc;
use time::Date;
use uuid::Uuid;

row! {
    struct VaccinatorRow {
        id: i64,
        center_id: i64,
        name: String,
        mobile_last4: String,
        active: bool,
        created_at: i64,
        deactivated_at: Option<i64>,
    }
}

impl From<VaccinatorRow> for Vaccinator {
    fn from(r: VaccinatorRow) -> Self {
        Self {
            id: VaccinatorId(r.id),
            center_id: CenterId(r.center_id),
            name: r.name,
            mobile_last4: r.mobile_last4,
            active: r.active,
            created_at: r.created_at,
            deactivated_at: r.deactivated_at,
        }
    }
}

const VACCINATOR_COLUMNS: &str =
    "id, center_id, name, mobile_last4, active, created_at, deactivated_at";

row! {
    struct DoseRow {
        id: Uuid,
        beneficiary_id: i64,
        vaccine_code: String,
        series: String,
        manufacturer: String,
        batch: String,
        dose: i64,
        total_doses: i64,
        given_on: Date,
        recorded_at: i64,
        center_id: i64,
        vaccinator_id: i64,
        appointment_no: Option<i64>,
    }
}

const DOSE_COLUMNS: &str = "id, beneficiary_id, vaccine_code, series, manufacturer, batch, dose, \
    total_doses, given_on, recorded_at, center_id, vaccinator_id, appointment_no";

fn small(n: i64, what: &str) -> Result<u8, DomainError> {
    u8::try_from(n).map_err(|_| DomainError::Internal(format!("{what} out of range: {n}").into()))
}

impl TryFrom<DoseRow> for DoseRecord {
    type Error = DomainError;

    fn try_from(r: DoseRow) -> Result<Self, DomainError> {
        Ok(Self {
            id: DoseId(r.id),
            beneficiary: BeneficiaryRef::new(r.beneficiary_id)
                .map_err(|e| DomainError::Internal(e.into()))?,
            vaccine_code: r.vaccine_code,
            series: r.series,
            manufacturer: r.manufacturer,
            batch: Batch::parse(&r.batch)?,
            dose: small(r.dose, "dose")?,
            total_doses: small(r.total_doses, "total_doses")?,
            date: r.given_on,
            recorded_at: r.recorded_at,
            center_id: CenterId(r.center_id),
            vaccinator: VaccinatorId(r.vaccinator_id),
            appointment: r
                .appointment_no
                .map(AppointmentNo::new)
                .transpose()
                .map_err(|e| DomainError::Internal(e.into()))?,
        })
    }
}

row! {
    struct CertificateRow {
        id: String,
        beneficiary_id: i64,
        immunization_id: Uuid,
        dose: i64,
        issued_at: i64,
        credential: String,
        revoked_at: Option<i64>,
        replaced_by: Option<String>,
    }
}

const CERTIFICATE_COLUMNS: &str =
    "id, beneficiary_id, immunization_id, dose, issued_at, credential, revoked_at, replaced_by";

impl TryFrom<CertificateRow> for StoredCertificate {
    type Error = DomainError;

    fn try_from(r: CertificateRow) -> Result<Self, DomainError> {
        Ok(Self {
            id: CertificateId::from_stored(r.id),
            beneficiary: BeneficiaryRef::new(r.beneficiary_id)
                .map_err(|e| DomainError::Internal(e.into()))?,
            dose_id: DoseId(r.immunization_id),
            dose: small(r.dose, "dose")?,
            issued_at: r.issued_at,
            credential: r.credential,
            revoked_at: r.revoked_at,
            replaced_by: r.replaced_by.map(CertificateId::from_stored),
        })
    }
}

/// The doses recorded for these people, read in `tx`.
pub(crate) async fn doses_in(
    tx: &mut Tx,
    people: &[BeneficiaryRef],
) -> Result<Vec<DoseRecord>, DomainError> {
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<DoseRow> = on_tx!(tx, c => {
        let mut q = QueryBuilder::new(format!("SELECT {DOSE_COLUMNS} FROM immunizations WHERE beneficiary_id IN ("));
        let mut list = q.separated(", ");
        for p in people {
            list.push_bind(p.get());
        }
        q.push(") ORDER BY beneficiary_id, series, dose");
        q.build_query_as().fetch_all(c).await.map_err(db_error)
    })?;
    rows.into_iter().map(DoseRecord::try_from).collect()
}

impl SqlStore {
    /// The schedule of a vaccine (`None` when the master data has none for it), from memory,
    /// read in `tx` the first time.
    pub(crate) async fn dose_schedule_in(
        &self,
        tx: &mut Tx,
        vaccine_code: &str,
    ) -> Result<Option<DoseSchedule>, DomainError> {
        let cached = self.dose_schedules.read().ok().and_then(|c| c.clone());
        let all = match cached {
            Some(all) => all,
            None => {
                let all = Arc::new(dose_schedules_in(tx).await?);
                if let Ok(mut cache) = self.dose_schedules.write() {
                    *cache = Some(all.clone());
                }
                all
            }
        };
        Ok(all.iter().find(|s| s.vaccine_code == vaccine_code).cloned())
    }

    /// Forgets the schedules kept in memory (after a master-data import).
    pub(crate) fn forget_dose_schedules(&self) {
        if let Ok(mut cache) = self.dose_schedules.write() {
            *cache = None;
        }
    }
}

/// Checks a booking of `dose` of `vaccine_code` on `date` for these (already locked) people
/// against their records: the dose follows the last one of its series, with the same vaccine,
/// after the interval. A vaccine without a schedule is checked for nothing.
pub(crate) async fn check_booking_doses(
    store: &SqlStore,
    tx: &mut Tx,
    people: &[BeneficiaryRef],
    vaccine_code: &str,
    dose: u8,
    date: Date,
) -> Result<(), DomainError> {
    let Some(schedule) = store.dose_schedule_in(tx, vaccine_code).await? else {
        return Ok(());
    };
    let history = doses_in(tx, people).await?;
    for person in people {
        let own: Vec<DoseRecord> = history
            .iter()
            .filter(|d| d.beneficiary == *person)
            .cloned()
            .collect();
        check_dose(&own, &schedule, dose, date)?;
    }
    Ok(())
}

/// Completes the person's appointment or walk-in seat that `dose` fulfils (this centre, the
/// dose's day, its vaccine and number): the appointment's number, or `None` for a walk-in.
async fn complete_visit(
    tx: &mut Tx,
    dose: &DoseRecord,
) -> Result<Option<AppointmentNo>, DomainError> {
    let now = tx.now;
    let appointment: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(
        "UPDATE appointment_beneficiaries SET completed_at = $5, updated_at = $5 \
         WHERE beneficiary_id = $1 AND dose = $4 AND status = 'ACTIVE' AND completed_at IS NULL \
           AND appointment_no IN (SELECT a.number FROM appointments a JOIN sessions se ON se.id = a.session_id \
                                  WHERE a.center_id = $2 AND se.date = $3 AND se.vaccine_code = $6) \
         RETURNING appointment_no")
        .bind(dose.beneficiary.get()).bind(dose.center_id.0).bind(dose.date)
        .bind(i64::from(dose.dose)).bind(now).bind(&dose.vaccine_code)
        .fetch_optional(c).await.map_err(db_error))?;
    if let Some(number) = appointment {
        return AppointmentNo::new(number)
            .map(Some)
            .map_err(|e| DomainError::Internal(e.into()));
    }
    let walkin = on_tx!(tx, c => sqlx::query(
        "UPDATE walkins SET completed_at = $5 \
         WHERE beneficiary_id = $1 AND dose = $4 AND completed_at IS NULL \
           AND session_id IN (SELECT id FROM sessions WHERE center_id = $2 AND date = $3 AND vaccine_code = $6)")
        .bind(dose.beneficiary.get()).bind(dose.center_id.0).bind(dose.date)
        .bind(i64::from(dose.dose)).bind(now).bind(&dose.vaccine_code)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    if walkin == 0 {
        return Err(DomainError::Rule(Rule::NothingToFulfil));
    }
    Ok(None)
}

async fn insert_certificate(
    tx: &mut Tx,
    dose: &DoseRecord,
    certificate: &NewCertificate,
) -> Result<(), DomainError> {
    let now = tx.now;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO certificates (id, immunization_id, beneficiary_id, dose, issued_at, credential) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(certificate.id.as_str()).bind(dose.id.0).bind(dose.beneficiary.get())
        .bind(i64::from(dose.dose)).bind(now).bind(&certificate.credential)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    tx.audit(
        "certificate.issue",
        format!("certificate:{}", certificate.id),
        format!("{{\"dose\":{}}}", dose.dose),
    );
    Ok(())
}

#[async_trait]
impl VaccinationStore for SqlStore {
    async fn add_vaccinator(&self, v: &NewVaccinator) -> Result<Vaccinator, DomainError> {
        let mut tx = self.begin_write().await?;
        let now = tx.now;
        let row: VaccinatorRow = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO vaccinators (center_id, name, mobile_hash, mobile_sealed, mobile_last4, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, TRUE, $6) \
         ON CONFLICT (center_id, mobile_hash) DO UPDATE SET name = excluded.name, \
           mobile_sealed = excluded.mobile_sealed, active = TRUE, deactivated_at = NULL \
         RETURNING {VACCINATOR_COLUMNS}")))
        .bind(v.center_id.0).bind(v.name.as_str()).bind(v.mobile_hash.as_str())
        .bind(v.mobile_sealed.as_str()).bind(&v.mobile_last4).bind(now)
        .fetch_one(c).await.map_err(|e| match e {
            sqlx::Error::Database(ref db) if db.is_foreign_key_violation() => DomainError::NotFound("center"),
            other => db_error(other),
        }))?;
        tx.audit(
            "vaccinator.add",
            format!("vaccinator:{}", row.id),
            format!("{{\"center_id\":{}}}", v.center_id.0),
        );
        tx.commit().await?;
        Ok(row.into())
    }

    async fn vaccinators(&self, center_id: CenterId) -> Result<Vec<Vaccinator>, DomainError> {
        let rows: Vec<VaccinatorRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {VACCINATOR_COLUMNS} FROM vaccinators WHERE center_id = $1 ORDER BY id")))
            .bind(center_id.0).fetch_all(p).await.map_err(db_error))?;
        Ok(rows.into_iter().map(Vaccinator::from).collect())
    }

    async fn deactivate_vaccinator(
        &self,
        center_id: CenterId,
        id: VaccinatorId,
    ) -> Result<Vaccinator, DomainError> {
        let mut tx = self.begin_write().await?;
        let now = tx.now;
        let row: Option<VaccinatorRow> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE vaccinators SET active = FALSE, deactivated_at = COALESCE(deactivated_at, $3) \
             WHERE center_id = $1 AND id = $2 RETURNING {VACCINATOR_COLUMNS}")))
            .bind(center_id.0).bind(id.0).bind(now)
            .fetch_optional(c).await.map_err(db_error))?;
        let row = row.ok_or(DomainError::NotFound("vaccinator"))?;
        tx.audit(
            "vaccinator.deactivate",
            format!("vaccinator:{}", id.0),
            format!("{{\"center_id\":{}}}", center_id.0),
        );
        tx.commit().await?;
        Ok(row.into())
    }

    async fn vaccinator_posts(&self, mobile: &MobileHash) -> Result<Vec<Vaccinator>, DomainError> {
        let rows: Vec<VaccinatorRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {VACCINATOR_COLUMNS} FROM vaccinators WHERE mobile_hash = $1 AND active ORDER BY id")))
            .bind(mobile.as_str()).fetch_all(p).await.map_err(db_error))?;
        Ok(rows.into_iter().map(Vaccinator::from).collect())
    }

    async fn doses(&self, people: &[BeneficiaryRef]) -> Result<Vec<DoseRecord>, DomainError> {
        let mut tx = self.begin_read().await?;
        let doses = doses_in(&mut tx, people).await?;
        tx.commit().await?;
        Ok(doses)
    }

    async fn take_walkin_seat(
        &self,
        walkin: &WalkIn,
        schedules: &[DoseSchedule],
    ) -> Result<WalkInSeat, DomainError> {
        let mut tx = self.begin_write().await?;
        let now = tx.now;
        let today = self.clock.today();
        type SessionRow = (
            Uuid,
            String,
            i64,
            i64,
            String,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let sessions: Vec<SessionRow> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT se.id, se.vaccine_code, se.capacity_walkin, se.walkin_booked, se.status, se.min_age, se.max_age, se.dose \
             FROM sessions se JOIN centers ce ON ce.id = se.center_id \
             WHERE se.center_id = $1 AND se.date = $2 AND ce.active ORDER BY se.vaccine_code")
            .bind(walkin.center_id.0).bind(today)
            .fetch_all(c).await.map_err(db_error))?;
        let open: Vec<&SessionRow> = sessions.iter().filter(|s| s.4 == "OPEN").collect();
        let session = match walkin.session_id {
            Some(id) => open
                .iter()
                .find(|s| s.0 == id.0)
                .copied()
                .ok_or(DomainError::Rule(Rule::NoSessionToday))?,
            None => match open.as_slice() {
                [one] => *one,
                [] => return Err(DomainError::Rule(Rule::NoSessionToday)),
                _ => {
                    return Err(DomainError::invalid(
                        "session_id",
                        "this centre has several sessions today: name one",
                    ));
                }
            },
        };
        let (session_id, vaccine_code, capacity, booked, _, min_age, max_age, only_dose) =
            session.clone();
        if only_dose.is_some_and(|d| d != i64::from(walkin.dose)) {
            return Err(DomainError::invalid(
                "dose",
                format!(
                    "today's session is for dose {} only",
                    only_dose.unwrap_or(0)
                ),
            ));
        }
        let schedule = schedule_of(schedules, &vaccine_code)?;
        lock_beneficiaries(&mut tx, &[walkin.beneficiary]).await?;
        let birth_year: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT birth_year FROM beneficiaries WHERE reference_id = $1 AND deleted_at IS NULL")
            .bind(walkin.beneficiary.get()).fetch_optional(c).await.map_err(db_error))?;
        let birth_year = birth_year.ok_or(DomainError::NotFound("beneficiary"))?;
        let age = i64::from(today.year()) - birth_year;
        if age < min_age || max_age.is_some_and(|max| age > max) {
            return Err(DomainError::Rule(Rule::AgeNotEligible));
        }
        let history = doses_in(&mut tx, &[walkin.beneficiary]).await?;
        check_dose(&history, schedule, walkin.dose, today)?;
        let inserted = on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO walkins (session_id, beneficiary_id, dose, vaccinator_id, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(session_id).bind(walkin.beneficiary.get()).bind(i64::from(walkin.dose))
            .bind(walkin.vaccinator.0).bind(now)
            .execute(c).await.map(|r| r.rows_affected()));
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(DomainError::Rule(Rule::AlreadyBooked));
            }
            Err(e) => return Err(db_error(e)),
        }
        let taken = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE sessions SET walkin_booked = walkin_booked + 1 \
             WHERE id = $1 AND status = 'OPEN' AND walkin_booked + 1 <= capacity_walkin")
            .bind(session_id).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        if taken == 0 {
            return Err(DomainError::Rule(Rule::WalkInFull));
        }
        tx.audit(
            "walkin.seat",
            format!("session:{session_id}"),
            format!("{{\"dose\":{}}}", walkin.dose),
        );
        tx.commit().await?;
        Ok(WalkInSeat {
            session_id: SessionId(session_id),
            vaccine_code,
            dose: walkin.dose,
            walkin_left: u32::try_from((capacity - booked - 1).max(0)).unwrap_or(0),
        })
    }

    async fn record_dose(
        &self,
        dose: &DoseRecord,
        schedule: &DoseSchedule,
        certificate: &NewCertificate,
        message: &NewJob,
    ) -> Result<(DoseRecord, StoredCertificate), DomainError> {
        let mut tx = self.begin_write().await?;
        let issued_at = tx.now;
        lock_beneficiaries(&mut tx, &[dose.beneficiary]).await?;
        let history = doses_in(&mut tx, &[dose.beneficiary]).await?;
        check_dose(&history, schedule, dose.dose, dose.date)?;
        let appointment = complete_visit(&mut tx, dose).await?;
        let recorded = DoseRecord {
            appointment,
            ..dose.clone()
        };
        let inserted = on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO immunizations ({DOSE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")))
            .bind(recorded.id.0).bind(recorded.beneficiary.get()).bind(&recorded.vaccine_code)
            .bind(&recorded.series).bind(&recorded.manufacturer).bind(recorded.batch.as_str())
            .bind(i64::from(recorded.dose)).bind(i64::from(recorded.total_doses)).bind(recorded.date)
            .bind(recorded.recorded_at).bind(recorded.center_id.0).bind(recorded.vaccinator.0)
            .bind(recorded.appointment.map(AppointmentNo::get))
            .execute(c).await.map(|r| r.rows_affected()));
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(DomainError::Rule(Rule::DoseAlreadyRecorded {
                    dose: dose.dose,
                }));
            }
            Err(e) => return Err(db_error(e)),
        }
        insert_certificate(&mut tx, &recorded, certificate).await?;
        enqueue(&mut tx, message).await?;
        tx.audit(
            "dose.record",
            format!("dose:{}", recorded.id.0),
            format!(
                "{{\"center_id\":{},\"vaccinator_id\":{},\"dose\":{}}}",
                recorded.center_id.0, recorded.vaccinator.0, recorded.dose
            ),
        );
        tx.commit().await?;
        let stored = StoredCertificate {
            id: certificate.id.clone(),
            beneficiary: recorded.beneficiary,
            dose_id: recorded.id,
            dose: recorded.dose,
            issued_at,
            credential: certificate.credential.clone(),
            revoked_at: None,
            replaced_by: None,
        };
        Ok((recorded, stored))
    }

    async fn certificates(
        &self,
        beneficiary: BeneficiaryRef,
    ) -> Result<Vec<StoredCertificate>, DomainError> {
        let rows: Vec<CertificateRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE beneficiary_id = $1 ORDER BY issued_at, id")))
            .bind(beneficiary.get()).fetch_all(p).await.map_err(db_error))?;
        rows.into_iter().map(StoredCertificate::try_from).collect()
    }

    async fn certificate(&self, id: &CertificateId) -> Result<StoredCertificate, DomainError> {
        let row: Option<CertificateRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE id = $1")))
            .bind(id.as_str()).fetch_optional(p).await.map_err(db_error))?;
        row.ok_or(DomainError::NotFound("certificate"))
            .and_then(StoredCertificate::try_from)
    }

    async fn reissue_certificate(
        &self,
        old: &CertificateId,
        corrected: &DoseRecord,
        name: Option<&Name>,
        replacement: &NewCertificate,
    ) -> Result<StoredCertificate, DomainError> {
        let mut tx = self.begin_write().await?;
        let now = tx.now;
        // The corrected record must still fit the person's series, checked against the records
        // as they are now (the person's row locked: no dose is recorded meanwhile).
        lock_beneficiaries(&mut tx, &[corrected.beneficiary]).await?;
        let mut history = doses_in(&mut tx, &[corrected.beneficiary]).await?;
        for record in &mut history {
            if record.id == corrected.id {
                *record = corrected.clone();
            }
        }
        if let Some(schedule) = self
            .dose_schedule_in(&mut tx, &corrected.vaccine_code)
            .await?
        {
            check_series(&history, &schedule)?;
        }
        let revoked = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE certificates SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL AND immunization_id = $3")
            .bind(old.as_str()).bind(now).bind(corrected.id.0)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        if revoked == 0 {
            return Err(DomainError::Rule(Rule::CertificateRevoked));
        }
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE immunizations SET batch = $2, given_on = $3 WHERE id = $1")
            .bind(corrected.id.0).bind(corrected.batch.as_str()).bind(corrected.date)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        if let Some(name) = name {
            on_tx!(&mut tx, c => sqlx::query(
                "UPDATE beneficiaries SET name = $2, updated_at = $3 WHERE reference_id = $1")
                .bind(corrected.beneficiary.get()).bind(name.as_str()).bind(now)
                .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        }
        insert_certificate(&mut tx, corrected, replacement).await?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE certificates SET replaced_by = $2 WHERE id = $1")
            .bind(old.as_str()).bind(replacement.id.as_str())
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.audit(
            "certificate.revoke",
            format!("certificate:{old}"),
            format!("{{\"replaced_by\":\"{}\"}}", replacement.id),
        );
        tx.commit().await?;
        self.certificate(&replacement.id).await
    }

    async fn appointment_public_id(
        &self,
        number: AppointmentNo,
    ) -> Result<Option<sehat_domain::ids::AppointmentId>, DomainError> {
        let id: Option<Uuid> = on_pool!(&self.pool, p => sqlx::query_scalar(
            "SELECT public_id FROM appointments WHERE number = $1")
            .bind(number.get()).fetch_optional(p).await.map_err(db_error))?;
        Ok(id.map(sehat_domain::ids::AppointmentId))
    }

    async fn revocations(&self) -> Result<Vec<(CertificateId, i64)>, DomainError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT id, revoked_at FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, id")
            .fetch_all(p).await.map_err(db_error))?;
        Ok(rows
            .into_iter()
            .map(|(id, at)| (CertificateId::from_stored(id), at))
            .collect())
    }
}
