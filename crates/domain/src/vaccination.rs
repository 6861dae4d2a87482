//! Vaccination at the desk: the vaccinators of a centre, the walk-in seat a person without an
//! appointment takes, the dose a vaccinator records (the rules of [`crate::immunization`] checked
//! again inside the transaction that writes it), and the signed certificate each dose issues;
//! [`VaccinationStore`], their storage contract.
//!
//! A dose record and its certificate are written together: the credential is signed before the
//! transaction (signing needs no database), and the transaction either stores both, completes
//! the appointment (or walk-in seat) it fulfils and leaves a "certificate ready" message in the
//! outbox, or stores nothing.

use crate::beneficiary::{Beneficiary, BeneficiaryRef};
use crate::booking::AppointmentNo;
use crate::error::{DomainError, Rule};
use crate::facility::Center;
use crate::identity::{IdentityKey, MobileHash, Sealed};
use crate::ids::{CenterId, SessionId};
use crate::immunization::{Batch, DoseId, DoseRecord, DoseSchedule, VaccinatorId};
use crate::outbox::{JobKind, NewJob};
use crate::store::Store;
use crate::values::{Mobile, Name};
use async_trait::async_trait;
use serde::Serialize;
use std::fmt;
use time::OffsetDateTime;

/// A vaccinator's post at one centre. One person (one mobile) may hold posts at several
/// centres; a deactivated post no longer logs in nor acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vaccinator {
    /// The post's id.
    pub id: VaccinatorId,
    /// The centre.
    pub center_id: CenterId,
    /// The vaccinator's name, as the certificate prints it.
    pub name: String,
    /// The last four digits of their mobile.
    pub mobile_last4: String,
    /// Whether the post is active.
    pub active: bool,
    /// When it was made (ms).
    pub created_at: i64,
    /// When it was deactivated (ms).
    pub deactivated_at: Option<i64>,
}

/// A post to create, with the mobile already hashed and sealed.
#[derive(Debug, Clone)]
pub struct NewVaccinator {
    /// The centre.
    pub center_id: CenterId,
    /// The name.
    pub name: Name,
    /// The keyed hash of the mobile (the login looks posts up by it).
    pub mobile_hash: MobileHash,
    /// The mobile, sealed.
    pub mobile_sealed: Sealed,
    /// Its last four digits.
    pub mobile_last4: String,
}

impl NewVaccinator {
    /// A post for `name` on `mobile` at `center_id`.
    pub fn new(key: &IdentityKey, center_id: CenterId, name: Name, mobile: &Mobile) -> Self {
        let mobile_hash = key.mobile_hash(mobile);
        Self {
            center_id,
            name,
            mobile_sealed: key.seal("mobile", mobile_hash.as_str(), mobile.expose()),
            mobile_last4: crate::values::last4(mobile.expose()),
            mobile_hash,
        }
    }
}

/// A certificate's id: 13 digits, random, as CoWIN's certificate numbers look.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CertificateId(String);

impl CertificateId {
    /// A fresh id from a CSPRNG.
    pub fn random() -> Self {
        use rand::Rng;
        Self(
            rand::rng()
                .random_range(1_000_000_000_000_i64..10_000_000_000_000)
                .to_string(),
        )
    }

    /// Checks a presented id: 13 digits.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let raw = raw.trim();
        if raw.len() == 13 && raw.bytes().all(|b| b.is_ascii_digit()) && !raw.starts_with('0') {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                "certificate_id",
                "must be a 13-digit certificate id",
            ))
        }
    }

    /// The id as stored.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a certificate states, gathered for the signer: the person, the dose, where and by whom.
#[derive(Debug, Clone)]
pub struct CertificateFacts {
    /// The certificate's id.
    pub certificate_id: CertificateId,
    /// The person.
    pub beneficiary: Beneficiary,
    /// The dose.
    pub dose: DoseRecord,
    /// The vaccine's name as the master data has it (`COVISHIELD`).
    pub vaccine_name: String,
    /// The centre.
    pub center: Center,
    /// The vaccinator's name.
    pub vaccinator_name: String,
    /// When the dose was given.
    pub given_at: OffsetDateTime,
    /// When the certificate is issued.
    pub issued_at: OffsetDateTime,
}

/// Signs certificates: turns the facts into the signed credential (a JSON document), which is
/// stored as issued and never changes.
pub trait CertificateSigner: Send + Sync + fmt::Debug {
    /// The signed credential, as JSON text.
    fn sign(&self, facts: &CertificateFacts) -> Result<String, DomainError>;
}

/// A certificate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    /// Its id.
    pub id: CertificateId,
    /// Whose.
    pub beneficiary: BeneficiaryRef,
    /// The dose it certifies.
    pub dose_id: DoseId,
    /// The dose's number.
    pub dose: u8,
    /// When it was issued (ms).
    pub issued_at: i64,
    /// The signed credential, as issued.
    pub credential: String,
    /// When it was revoked (ms), if it was.
    pub revoked_at: Option<i64>,
    /// The certificate that replaced it, if any.
    pub replaced_by: Option<CertificateId>,
}

/// A certificate to store with its dose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertificate {
    /// Its id.
    pub id: CertificateId,
    /// The signed credential.
    pub credential: String,
}

/// A walk-in seat to take: today's session at the centre, for a person without an appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkIn {
    /// Who.
    pub beneficiary: BeneficiaryRef,
    /// The centre.
    pub center_id: CenterId,
    /// The session (today's; when not given, the centre's one open session today).
    pub session_id: Option<SessionId>,
    /// Which dose.
    pub dose: u8,
    /// The vaccinator seating them.
    pub vaccinator: VaccinatorId,
}

/// A walk-in seat taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalkInSeat {
    /// The session.
    pub session_id: SessionId,
    /// Its vaccine.
    pub vaccine_code: String,
    /// Which dose.
    pub dose: u8,
    /// Walk-in seats left in the session.
    pub walkin_left: u32,
}

/// A correction of a recorded dose by an administrator: what the certificate got wrong.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Correction {
    /// The person's name.
    pub name: Option<Name>,
    /// The batch.
    pub batch: Option<Batch>,
    /// The day the dose was given.
    pub date: Option<time::Date>,
}

impl Correction {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.batch.is_none() && self.date.is_none()
    }
}

/// The storage of vaccination: vaccinators' posts, walk-in seats, dose records and their
/// certificates, revocations. Every method is one atomic operation.
#[async_trait]
pub trait VaccinationStore: Send + Sync {
    /// Creates a post (an existing one for the same mobile and centre is made active again,
    /// with the new name).
    async fn add_vaccinator(&self, vaccinator: &NewVaccinator) -> Result<Vaccinator, DomainError>;
    /// The posts of a centre.
    async fn vaccinators(&self, center_id: CenterId) -> Result<Vec<Vaccinator>, DomainError>;
    /// Deactivates a post of a centre.
    async fn deactivate_vaccinator(
        &self,
        center_id: CenterId,
        id: VaccinatorId,
    ) -> Result<Vaccinator, DomainError>;
    /// The active posts of a mobile (its vaccinator login).
    async fn vaccinator_posts(&self, mobile: &MobileHash) -> Result<Vec<Vaccinator>, DomainError>;
    /// The doses recorded for these people.
    async fn doses(&self, people: &[BeneficiaryRef]) -> Result<Vec<DoseRecord>, DomainError>;
    /// Takes a walk-in seat of today's session: the dose rules are checked against the records,
    /// the seat comes from the session's walk-in seats only, one per person and session.
    async fn take_walkin_seat(
        &self,
        walkin: &WalkIn,
        schedules: &[DoseSchedule],
    ) -> Result<WalkInSeat, DomainError>;
    /// Records a dose with its certificate: the dose rules checked again against the records
    /// (a dose is recorded once, whoever races for it), the person's appointment or walk-in
    /// seat for it at this centre today completed (never freed), and the "certificate ready"
    /// message left in the outbox. Returns both as stored.
    async fn record_dose(
        &self,
        dose: &DoseRecord,
        schedule: &DoseSchedule,
        certificate: &NewCertificate,
        message: &NewJob,
    ) -> Result<(DoseRecord, StoredCertificate), DomainError>;
    /// The certificates of a person, current and revoked, oldest first.
    async fn certificates(
        &self,
        beneficiary: BeneficiaryRef,
    ) -> Result<Vec<StoredCertificate>, DomainError>;
    /// One certificate.
    async fn certificate(&self, id: &CertificateId) -> Result<StoredCertificate, DomainError>;
    /// Corrects a dose: the record (and the person's name) changed, the current certificate
    /// revoked and `replacement` stored as the current one.
    async fn reissue_certificate(
        &self,
        old: &CertificateId,
        corrected: &DoseRecord,
        name: Option<&Name>,
        replacement: &NewCertificate,
    ) -> Result<StoredCertificate, DomainError>;
    /// The UUID (v2's name) of an appointment named by its number.
    async fn appointment_public_id(
        &self,
        number: AppointmentNo,
    ) -> Result<Option<crate::ids::AppointmentId>, DomainError>;
    /// Every revoked certificate: `(id, revoked_at ms)`, oldest first.
    async fn revocations(&self) -> Result<Vec<(CertificateId, i64)>, DomainError>;
}

/// The vaccines' dose schedules and names, as the master data holds them: read once (they change
/// only with a master-data import) and handed to every vaccination.
#[derive(Debug, Clone, Default)]
pub struct VaccineCatalogue {
    /// Every vaccine's schedule.
    pub schedules: Vec<DoseSchedule>,
    names: std::collections::HashMap<String, String>,
}

impl VaccineCatalogue {
    /// Reads the schedules and names.
    pub async fn load(store: &dyn crate::master::ReferenceStore) -> Result<Self, DomainError> {
        Ok(Self {
            schedules: store.dose_schedules().await?,
            names: store
                .vaccines()
                .await?
                .into_iter()
                .map(|v| (v.code, v.name))
                .collect(),
        })
    }

    /// The schedule of a vaccine (see [`schedule_of`]).
    pub fn schedule(&self, vaccine_code: &str) -> Result<&DoseSchedule, DomainError> {
        schedule_of(&self.schedules, vaccine_code)
    }

    /// A vaccine's name (its code when the master data has none).
    pub fn name(&self, vaccine_code: &str) -> String {
        self.names
            .get(vaccine_code)
            .cloned()
            .unwrap_or_else(|| vaccine_code.to_owned())
    }
}

/// A dose to record, as the vaccinator gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Vaccination {
    /// Who.
    pub beneficiary: BeneficiaryRef,
    /// Where (one of the vaccinator's centres).
    pub center_id: CenterId,
    /// The vaccine's code.
    pub vaccine_code: String,
    /// The vial's batch.
    pub batch: Batch,
    /// Which dose.
    pub dose: u8,
    /// The vaccinator's post at that centre.
    pub vaccinator: Vaccinator,
}

/// The schedule of a vaccine, or a clear error for one that has none (not a vaccine sehat
/// knows).
pub fn schedule_of<'a>(
    schedules: &'a [DoseSchedule],
    vaccine_code: &str,
) -> Result<&'a DoseSchedule, DomainError> {
    schedules
        .iter()
        .find(|s| s.vaccine_code.eq_ignore_ascii_case(vaccine_code))
        .ok_or_else(|| DomainError::invalid("vaccine", "is not a vaccine of the master data"))
}

/// The text of the "certificate ready" message: the certificate's id, never a link's secret.
pub fn certificate_ready_text(name_first: &str, dose: u8, id: &CertificateId) -> String {
    format!("sehat: {name_first}'s dose {dose} is recorded. Certificate {id} is ready to download.")
}

/// Records a dose and issues its certificate: the person, centre and schedule read, the
/// credential signed, and both stored together with the family's message in one transaction,
/// which checks the dose rules against the records (so racing vaccinators get one record).
pub async fn vaccinate(
    store: &dyn Store,
    signer: &dyn CertificateSigner,
    catalogue: &VaccineCatalogue,
    request: &Vaccination,
    now: OffsetDateTime,
) -> Result<(DoseRecord, StoredCertificate), DomainError> {
    if request.vaccinator.center_id != request.center_id || !request.vaccinator.active {
        return Err(DomainError::Rule(Rule::NotYourCenter));
    }
    let schedule = catalogue.schedule(&request.vaccine_code)?;
    let (beneficiary, account) = store.beneficiary_account(request.beneficiary).await?;
    let center = store.center(request.center_id).await?;
    let today = now.to_offset(crate::clock::IST).date();
    // The dose rules are checked in the store's transaction, against the records as they are
    // then: a refused dose costs one signature, a recorded one no extra read.
    let vaccine_name = catalogue.name(&schedule.vaccine_code);
    let record = DoseRecord {
        id: DoseId::new_random(),
        beneficiary: request.beneficiary,
        vaccine_code: schedule.vaccine_code.clone(),
        series: schedule.series.clone(),
        manufacturer: schedule.manufacturer.clone(),
        batch: request.batch.clone(),
        dose: request.dose,
        total_doses: schedule.total_doses_for(request.dose),
        date: today,
        recorded_at: crate::clock::to_millis(now),
        center_id: request.center_id,
        vaccinator: request.vaccinator.id,
        appointment: None::<AppointmentNo>,
    };
    let facts = CertificateFacts {
        certificate_id: CertificateId::random(),
        beneficiary,
        dose: record.clone(),
        vaccine_name,
        center,
        vaccinator_name: request.vaccinator.name.clone(),
        given_at: now,
        issued_at: now,
    };
    let certificate = NewCertificate {
        credential: signer.sign(&facts)?,
        id: facts.certificate_id.clone(),
    };
    let first_name = facts
        .beneficiary
        .name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned();
    let message = NewJob {
        kind: JobKind::Sms,
        recipient: account,
        payload: certificate_ready_text(&first_name, record.dose, &certificate.id),
    };
    store
        .record_dose(&record, schedule, &certificate, &message)
        .await
}

/// Corrects a recorded dose: a new certificate with a new id is signed from the corrected facts
/// and replaces the current one, which is revoked (a signed document is never edited).
pub async fn correct_certificate(
    store: &dyn Store,
    signer: &dyn CertificateSigner,
    catalogue: &VaccineCatalogue,
    id: &CertificateId,
    correction: &Correction,
    now: OffsetDateTime,
) -> Result<StoredCertificate, DomainError> {
    if correction.is_empty() {
        return Err(DomainError::invalid(
            "correction",
            "give at least one of name, vaccine_batch, date",
        ));
    }
    let current = store.certificate(id).await?;
    if current.revoked_at.is_some() {
        return Err(DomainError::Rule(Rule::CertificateRevoked));
    }
    let (mut beneficiary, _) = store.beneficiary_account(current.beneficiary).await?;
    let mut dose = store
        .doses(&[current.beneficiary])
        .await?
        .into_iter()
        .find(|d| d.id == current.dose_id)
        .ok_or(DomainError::NotFound("dose"))?;
    if let Some(name) = &correction.name {
        beneficiary.name = name.as_str().to_owned();
    }
    if let Some(batch) = &correction.batch {
        dose.batch = batch.clone();
    }
    if let Some(date) = correction.date {
        if date > now.to_offset(crate::clock::IST).date() {
            return Err(DomainError::invalid("date", "must not be in the future"));
        }
        dose.date = date;
    }
    let center = store.center(dose.center_id).await?;
    let vaccinator_name = store
        .vaccinators(dose.center_id)
        .await?
        .into_iter()
        .find(|v| v.id == dose.vaccinator)
        .map(|v| v.name)
        .unwrap_or_default();
    let vaccine_name = catalogue.name(&dose.vaccine_code);
    let given_at = if correction.date.is_some() {
        dose.date.midnight().assume_offset(crate::clock::IST)
    } else {
        crate::clock::from_millis(dose.recorded_at)
    };
    let facts = CertificateFacts {
        certificate_id: CertificateId::random(),
        beneficiary,
        dose: dose.clone(),
        vaccine_name,
        center,
        vaccinator_name,
        given_at,
        issued_at: now,
    };
    let replacement = NewCertificate {
        credential: signer.sign(&facts)?,
        id: facts.certificate_id.clone(),
    };
    store
        .reissue_certificate(id, &dose, correction.name.as_ref(), &replacement)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_ids_have_thirteen_digits() {
        let id = CertificateId::random();
        assert_eq!(id.as_str().len(), 13);
        assert!(CertificateId::parse(id.as_str()).is_ok());
        for bad in [
            "",
            "123",
            "0123456789012",
            "12345678901234",
            "12345678901a3",
        ] {
            assert!(CertificateId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_message_names_the_certificate_and_nothing_secret() {
        let id = CertificateId::from_stored("1234567890123".into());
        let text = certificate_ready_text("Asha", 1, &id);
        assert!(text.contains("1234567890123") && text.contains("dose 1"));
        assert!(!text.contains("http"));
    }

    #[test]
    fn an_empty_correction_is_refused_up_front() {
        assert!(Correction::default().is_empty());
        assert!(
            !Correction {
                batch: Some(Batch::parse("AB123").unwrap()),
                ..Correction::default()
            }
            .is_empty()
        );
    }
}
