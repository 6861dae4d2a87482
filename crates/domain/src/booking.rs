//! Appointments and the rules of booking: who may book which slot, for whom, and when; and
//! [`BookingStore`], the storage contract of booking.

use crate::beneficiary::{Beneficiary, BeneficiaryRef};
use crate::facility::Center;
use crate::identity::MobileHash;
use crate::ids::{AppointmentId, CenterId, SessionId, SlotId};
use crate::schedule::{Session, SessionStatus, Slot};
use crate::{DomainError, Rule};
use async_trait::async_trait;
use serde::Serialize;
use std::fmt;
use time::{Date, OffsetDateTime};

/// The most beneficiaries one appointment may carry (one family).
pub const MAX_BENEFICIARIES_PER_BOOKING: usize = 10;

/// An appointment confirmation number: 14 digits, random.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct AppointmentNo(i64);

impl AppointmentNo {
    /// Checks a number has 14 digits.
    pub fn new(n: i64) -> Result<Self, &'static str> {
        if BeneficiaryRef::RANGE.contains(&n) {
            Ok(Self(n))
        } else {
            Err("must be a 14-digit appointment confirmation number")
        }
    }

    /// A fresh random number from a CSPRNG.
    pub fn random() -> Self {
        use rand::Rng;
        Self(rand::rng().random_range(BeneficiaryRef::RANGE))
    }

    /// The number.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for AppointmentNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether a beneficiary's place in an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BookingStatus {
    /// Booked.
    Active,
    /// Cancelled (the seat was returned).
    Cancelled,
    /// The dose was given (the seat was used; it can no longer be moved or cancelled).
    Completed,
}

impl BookingStatus {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Cancelled => "CANCELLED",
            Self::Completed => "COMPLETED",
        }
    }

    /// Reads the stored spelling.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "ACTIVE" => Self::Active,
            "COMPLETED" => Self::Completed,
            _ => Self::Cancelled,
        }
    }
}

/// A request to book one slot for some beneficiaries of one mobile.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingRequest {
    /// The account (mobile) booking.
    pub account: MobileHash,
    /// The centre.
    pub center_id: CenterId,
    /// The date.
    pub date: Date,
    /// The slot.
    pub slot_id: SlotId,
    /// Who is booked (distinct, 1–10).
    pub beneficiaries: Vec<BeneficiaryRef>,
    /// Which dose, when the caller says; otherwise the session's dose, or 1.
    pub dose: Option<u8>,
}

impl BookingRequest {
    /// Checks the list of beneficiaries: not empty, no repeats, at most one family.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.beneficiaries.is_empty() {
            return Err(DomainError::invalid(
                "beneficiaries",
                "must list at least one beneficiary",
            ));
        }
        if self.beneficiaries.len() > MAX_BENEFICIARIES_PER_BOOKING {
            return Err(DomainError::invalid(
                "beneficiaries",
                "at most 10 beneficiaries per appointment",
            ));
        }
        let mut sorted = self.beneficiaries.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != self.beneficiaries.len() {
            return Err(DomainError::invalid(
                "beneficiaries",
                "a beneficiary is listed twice",
            ));
        }
        if self.dose.is_some_and(|d| !(1..=9).contains(&d)) {
            return Err(DomainError::invalid("dose", "must be 1-9"));
        }
        Ok(())
    }
}

/// The dose a booking is for: the caller's, else the session's, else the first.
pub fn booking_dose(requested: Option<u8>, session: &Session) -> Result<u8, DomainError> {
    match (requested, session.dose) {
        (Some(r), Some(s)) if r != s => Err(DomainError::invalid(
            "dose",
            format!("this session is for dose {s} only"),
        )),
        (Some(r), _) => Ok(r),
        (None, Some(s)) => Ok(s),
        (None, None) => Ok(1),
    }
}

/// The rules a slot must meet to be booked for these beneficiaries at `now`: the centre active,
/// the session open and not past, the slot not over, every beneficiary within the age limits.
pub fn check_bookable(
    center: &Center,
    session: &Session,
    slot: &Slot,
    beneficiaries: &[Beneficiary],
    now: OffsetDateTime,
) -> Result<(), DomainError> {
    if !center.active || session.status != SessionStatus::Open {
        return Err(DomainError::Rule(Rule::SessionClosed));
    }
    let local = now.to_offset(crate::clock::IST);
    let minute_now = u16::from(local.hour()) * 60 + u16::from(local.minute());
    if session.date < local.date()
        || (session.date == local.date() && slot.timings.end_minute() <= minute_now)
    {
        return Err(DomainError::Rule(Rule::PastSession));
    }
    let year = session.date.year();
    for b in beneficiaries {
        let age = year - b.birth_year;
        let too_young = age < i32::from(session.min_age);
        let too_old = session.max_age.is_some_and(|max| age > i32::from(max));
        if too_young || too_old {
            return Err(DomainError::Rule(Rule::AgeNotEligible));
        }
    }
    Ok(())
}

/// One beneficiary's place in an appointment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookedBeneficiary {
    /// Who.
    pub reference_id: BeneficiaryRef,
    /// Whether it stands.
    pub status: BookingStatus,
}

/// An appointment as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appointment {
    /// Confirmation number (v1's name for it).
    pub number: AppointmentNo,
    /// Its UUID (v2's name for it).
    pub id: AppointmentId,
    /// Centre.
    pub center_id: CenterId,
    /// Session.
    pub session_id: SessionId,
    /// Date.
    pub date: Date,
    /// Slot.
    pub slot: Slot,
    /// Dose.
    pub dose: u8,
    /// Vaccine code.
    pub vaccine_code: String,
    /// Who is booked.
    pub beneficiaries: Vec<BookedBeneficiary>,
}

impl Appointment {
    /// ACTIVE while anyone's booking stands, else COMPLETED when someone was vaccinated on it,
    /// else CANCELLED.
    pub fn status(&self) -> BookingStatus {
        let has = |status| self.beneficiaries.iter().any(|b| b.status == status);
        if has(BookingStatus::Active) {
            BookingStatus::Active
        } else if has(BookingStatus::Completed) {
            BookingStatus::Completed
        } else {
            BookingStatus::Cancelled
        }
    }

    /// Beneficiaries whose booking stands.
    pub fn active(&self) -> impl Iterator<Item = BeneficiaryRef> + '_ {
        self.beneficiaries
            .iter()
            .filter(|b| b.status == BookingStatus::Active)
            .map(|b| b.reference_id)
    }
}

/// A centre's appointments on one day and the people booked on them (each once).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CenterDay {
    /// The appointments, earliest slot first.
    pub appointments: Vec<Appointment>,
    /// Everyone booked on them (a person removed from their family since is not).
    pub people: Vec<Beneficiary>,
}

/// What the stored result of an idempotent request says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum StoredOutcome {
    /// The appointment number it produced.
    Booked(i64),
    /// The rule it broke (by name), so a retry gets the same answer.
    Refused(String),
}

/// An `Idempotency-Key` and what it guards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Who and which call (keys are per account and endpoint).
    pub scope: String,
    /// The client's key.
    pub key: String,
    /// A hash of the request body: the same key with another body is refused.
    pub request_hash: String,
}

/// A move of (some of) an appointment's beneficiaries to another slot.
#[derive(Debug, Clone, PartialEq)]
pub struct RescheduleRequest {
    /// The appointment.
    pub number: AppointmentNo,
    /// Where to, and who (the whole appointment when the list is empty).
    pub to: BookingRequest,
}

/// The storage of appointments: booking, rescheduling and cancelling (each all-or-nothing and
/// never past capacity), the idempotency keys that make retries safe, the captcha a booking
/// answers, and reads of an account's appointments. Every method is one atomic operation.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Books a slot, all-or-nothing, never past capacity. With a key, a retry gets the first answer.
    async fn book(
        &self,
        request: &BookingRequest,
        key: Option<&IdempotencyKey>,
    ) -> Result<Appointment, DomainError>;
    /// Whether an idempotency key was used before (its request then replays, needing no new
    /// checks such as a captcha).
    async fn idempotency_key_seen(&self, key: &IdempotencyKey) -> Result<bool, DomainError>;
    /// Moves an appointment (or some of its beneficiaries) to another slot in one transaction.
    async fn reschedule(
        &self,
        request: &RescheduleRequest,
        key: Option<&IdempotencyKey>,
    ) -> Result<Appointment, DomainError>;
    /// Cancels some (or, with an empty list, all) beneficiaries of an appointment; their seats
    /// return exactly once.
    async fn cancel(
        &self,
        account: &MobileHash,
        number: AppointmentNo,
        beneficiaries: &[BeneficiaryRef],
    ) -> Result<Appointment, DomainError>;
    /// One appointment of an account.
    async fn appointment(
        &self,
        account: &MobileHash,
        number: AppointmentNo,
    ) -> Result<Appointment, DomainError>;
    /// The confirmation number of an account's appointment named by its UUID (another account's
    /// is not found).
    async fn appointment_number(
        &self,
        account: &MobileHash,
        id: AppointmentId,
    ) -> Result<AppointmentNo, DomainError>;
    /// The appointments of an account, newest first.
    async fn appointments(&self, account: &MobileHash) -> Result<Vec<Appointment>, DomainError>;
    /// A centre's appointments on one day (every session of the day), earliest slot first, with
    /// the people booked on them: the vaccinator's list of the day. Whoever moved to another
    /// appointment is not on it; a cancelled or completed place is, with its status.
    async fn center_appointments(
        &self,
        center_id: CenterId,
        date: Date,
    ) -> Result<CenterDay, DomainError>;
    /// A slot with its session (for checks and wire formats).
    async fn slot(&self, id: SlotId) -> Result<(Session, Slot), DomainError>;
    /// Keeps the keyed hash of the captcha answer last shown to an account (replacing any other).
    async fn put_captcha(
        &self,
        account: &MobileHash,
        answer_hash: &str,
        expires_at: i64,
    ) -> Result<(), DomainError>;
    /// Takes (and forgets) an account's captcha: its answer hash, if one is pending and unexpired.
    async fn take_captcha(&self, account: &MobileHash) -> Result<Option<String>, DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::beneficiary::GenderId;
    use crate::facility::{Area, CentreType, FeeType};
    use crate::ids::{DistrictId, StateId};
    use crate::values::{Pincode, SlotTimings};
    use time::macros::{date, datetime};

    fn center(active: bool) -> Center {
        Center {
            id: CenterId(1),
            name: "PHC".into(),
            state_id: StateId(21),
            state_name: "Maharashtra".into(),
            district_id: DistrictId(376),
            district_name: "Satara".into(),
            block_id: None,
            block_name: None,
            pincode: Pincode::parse("415501").unwrap(),
            address: String::new(),
            incharge_name: None,
            incharge_mobile: None,
            lat: None,
            long: None,
            centre_type: CentreType::Permanent,
            area: Area::Rural,
            fee_type: FeeType::Free,
            vaccine_codes: vec![],
            active,
        }
    }

    fn session(status: SessionStatus, min_age: u8, max_age: Option<u8>) -> (Session, Slot) {
        let slot = Slot {
            id: SlotId(9),
            name: "Morning".into(),
            timings: SlotTimings::parse("9AM-11AM").unwrap(),
            capacity: 10,
            booked: 0,
            capacity_dose1: 5,
            booked_dose1: 0,
        };
        let session = Session {
            id: SessionId::new_random(),
            center_id: CenterId(1),
            date: date!(2026 - 03 - 02),
            vaccine_code: "COVISHIELD".into(),
            min_age,
            max_age,
            dose: None,
            capacity_online: 10,
            fee: 0,
            changed_at: 0,
            capacity_walkin: 0,
            status,
            slots: vec![slot.clone()],
        };
        (session, slot)
    }

    fn person(birth_year: i32) -> Beneficiary {
        Beneficiary {
            reference_id: BeneficiaryRef::new(12_345_678_901_234).unwrap(),
            name: "A".into(),
            birth_year,
            gender: GenderId::from_id(1).unwrap(),
            mobile_last4: "1403".into(),
            photo_id_type: 1,
            photo_id_last4: "9999".into(),
            state: None,
            district: None,
            block: None,
            locality: None,
            pincode: None,
            address: String::new(),
            comorbidity: false,
        }
    }

    #[test]
    fn a_slot_is_bookable_only_when_open_upcoming_and_age_appropriate() {
        let now = datetime!(2026-03-01 04:00 UTC);
        let (s, slot) = session(SessionStatus::Open, 18, Some(44));
        assert!(check_bookable(&center(true), &s, &slot, &[person(1990)], now).is_ok());
        let rule = |r: Result<(), DomainError>| match r {
            Err(DomainError::Rule(rule)) => rule,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            rule(check_bookable(
                &center(false),
                &s,
                &slot,
                &[person(1990)],
                now
            )),
            Rule::SessionClosed
        );
        assert_eq!(
            rule(check_bookable(
                &center(true),
                &s,
                &slot,
                &[person(2010)],
                now
            )),
            Rule::AgeNotEligible
        );
        assert_eq!(
            rule(check_bookable(
                &center(true),
                &s,
                &slot,
                &[person(1950)],
                now
            )),
            Rule::AgeNotEligible
        );
        let (closed, slot) = session(SessionStatus::Closed, 18, None);
        assert_eq!(
            rule(check_bookable(
                &center(true),
                &closed,
                &slot,
                &[person(1990)],
                now
            )),
            Rule::SessionClosed
        );
        // 11:30 IST on the session's day: the 9–11 slot is over.
        let late = datetime!(2026-03-02 06:00 UTC);
        assert_eq!(
            rule(check_bookable(
                &center(true),
                &s,
                &slot,
                &[person(1990)],
                late
            )),
            Rule::PastSession
        );
    }

    #[test]
    fn booking_requests_list_each_beneficiary_once() {
        let b = BeneficiaryRef::new(12_345_678_901_234).unwrap();
        let mut r = BookingRequest {
            account: MobileHash::from_stored("x".into()),
            center_id: CenterId(1),
            date: date!(2026 - 03 - 02),
            slot_id: SlotId(1),
            beneficiaries: vec![b, b],
            dose: None,
        };
        assert!(r.validate().is_err());
        r.beneficiaries = vec![];
        assert!(r.validate().is_err());
        r.beneficiaries = vec![b];
        assert!(r.validate().is_ok());
        let (s, _) = session(SessionStatus::Open, 18, None);
        assert_eq!(booking_dose(None, &s).unwrap(), 1);
        assert_eq!(booking_dose(Some(2), &s).unwrap(), 2);
    }
}
