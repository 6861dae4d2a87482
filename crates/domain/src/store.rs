//! The storage contract: use-case methods, each one atomic, implemented by `sehat-store` for
//! SQLite and PostgreSQL.

use crate::DomainError;
use crate::audit::{Actor, AuditChain, SealedRecord};
use crate::beneficiary::{Beneficiary, BeneficiaryRef, NewBeneficiary};
use crate::booking::{Appointment, AppointmentNo, BookingRequest};
use crate::credentials::{NewPartnerKey, PartnerKey};
use crate::facility::{Center, CenterPatch, PlanOutcome, ResolvedCenter};
use crate::identity::{IdentityKey, MobileHash, OtpPolicy, Sealed};
use crate::ids::{BlockId, SlotId};
use crate::ids::{CenterId, DistrictId, SessionId, StateId};
use crate::master::{Block, District, Locality, PincodeArea, State, Vaccine};
use crate::outbox::{Job, JobResult};
use crate::schedule::{DayUtilization, Session, SessionPlan, Slot};
use crate::values::{GeoPoint, Mobile, Pincode};
use async_trait::async_trait;
use std::sync::Arc;
use time::Date;

/// Which centres to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CenterFilter {
    /// Only this state.
    pub state_id: Option<StateId>,
    /// Only this district.
    pub district_id: Option<DistrictId>,
    /// Only this pincode.
    pub pincode: Option<Pincode>,
    /// Only names containing this (case-insensitive).
    pub name_contains: Option<String>,
}

/// A page of results: ids ascending, after `after_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Return items with an id greater than this.
    pub after_id: i64,
    /// At most this many.
    pub limit: u32,
}

impl Page {
    /// The largest page a client may ask for.
    pub const MAX_LIMIT: u32 = 500;

    /// A page, clamped to `1..=MAX_LIMIT`.
    pub fn new(after_id: i64, limit: u32) -> Self {
        Self {
            after_id,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }
}

/// A facility plan's outcome, or why the store refused it (the column at fault and the reason).
pub type PlanResult = Result<PlanOutcome, (String, String)>;

/// What a facility import writes, inside one transaction until `commit`.
#[async_trait]
pub trait FacilityImport: Send {
    /// Upserts one resolved centre and its sessions by their natural keys.
    async fn apply(
        &mut self,
        center: &ResolvedCenter,
        sessions: Option<&SessionPlan>,
    ) -> Result<PlanResult, DomainError>;

    /// Makes everything applied so far durable. Dropping without commit rolls back.
    async fn commit(self: Box<Self>) -> Result<(), DomainError>;
}

/// Reference data as the master-data importer writes it.
#[derive(Debug, Clone, Default)]
pub struct MasterData {
    /// States with CoWIN ids.
    pub states: Vec<State>,
    /// Districts with CoWIN ids.
    pub districts: Vec<District>,
    /// Blocks.
    pub blocks: Vec<Block>,
    /// Localities (post offices).
    pub localities: Vec<Locality>,
    /// Vaccines.
    pub vaccines: Vec<Vaccine>,
    /// The national immunization schedule, as its JSON text.
    pub schedule_json: String,
    /// A fingerprint of the source files, so an unchanged import is skipped.
    pub version: String,
}

/// An OTP transaction to record.
#[derive(Debug, Clone)]
pub struct NewOtp {
    /// Transaction id (a UUID).
    pub txn_id: String,
    /// Whose mobile.
    pub mobile_hash: MobileHash,
    /// Its last four digits.
    pub mobile_last4: String,
    /// The mobile, sealed for storage.
    pub mobile_sealed: Sealed,
    /// What the OTP is for (e.g. `login`).
    pub purpose: &'static str,
    /// The keyed hash of the code.
    pub code_hash: String,
}

/// An OTP transaction as a verification attempt sees it (the attempt already counted).
#[derive(Debug, Clone)]
pub struct OtpAttempt {
    /// Whose mobile.
    pub mobile_hash: MobileHash,
    /// Its last four digits.
    pub mobile_last4: String,
    /// What the OTP is for.
    pub purpose: String,
    /// The keyed hash of the code.
    pub code_hash: String,
}

/// A registration ready to store: the validated person, with identifiers already hashed.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The reference id to give (the store retries with another if taken).
    pub reference_id: BeneficiaryRef,
    /// The family's mobile.
    pub account: MobileHash,
    /// Its last four digits (empty when the account exists already).
    pub mobile_last4: String,
    /// The mobile, sealed for storage (when it came with the request).
    pub mobile_sealed: Option<Sealed>,
    /// The person.
    pub person: NewBeneficiary,
    /// The keyed hash of the photo-ID number.
    pub photo_id_hash: String,
    /// The photo-ID number, sealed for storage.
    pub photo_id_sealed: Sealed,
}

impl Registration {
    /// A registration of `person` in the family of `mobile` (given in the request: the account
    /// is made if new) or of an existing `account`, with its identifiers hashed and sealed.
    pub fn new(
        key: &IdentityKey,
        reference_id: BeneficiaryRef,
        family: Result<&Mobile, MobileHash>,
        person: NewBeneficiary,
    ) -> Self {
        let photo_id_hash = key.photo_id_hash(person.photo_id.type_id(), person.photo_id.expose());
        let photo_id_sealed = key.seal("photo-id", &photo_id_hash, person.photo_id.expose());
        let (account, mobile_last4, mobile_sealed) = match family {
            Ok(mobile) => {
                let account = key.mobile_hash(mobile);
                let sealed = key.seal("mobile", account.as_str(), mobile.expose());
                (account, crate::values::last4(mobile.expose()), Some(sealed))
            }
            Err(account) => (account, String::new(), None),
        };
        Self {
            reference_id,
            account,
            mobile_last4,
            mobile_sealed,
            person,
            photo_id_hash,
            photo_id_sealed,
        }
    }
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

/// Where to look for centres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CenterArea {
    /// By pincode.
    Pincode(Pincode),
    /// By block.
    Block(BlockId),
    /// By district.
    District(DistrictId),
}

/// A centre's upcoming offer, summarised for the centre lists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CenterSummary {
    /// Earliest slot start and latest slot end, minutes since midnight.
    pub hours: Option<(u16, u16)>,
    /// Largest day's total capacity (online + walk-in).
    pub daily_capacity: u32,
    /// Date of the last session.
    pub last_date: Option<Date>,
    /// Vaccines offered in upcoming sessions.
    pub vaccines: Vec<String>,
}

/// A committed change of availability: the session, where its centre lies, and whether seats
/// may have come free (a booking only takes seats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TouchedArea {
    /// CoWIN district id.
    pub district_id: i64,
    /// Pincode.
    pub pincode: i64,
    /// The session.
    pub session_id: uuid::Uuid,
    /// Seats may have come free (a cancel, a move away, a change of capacity).
    pub frees_seats: bool,
}

/// Hears, right after each commit, the areas whose availability the transaction changed.
pub type ChangeHook = std::sync::Arc<dyn Fn(&[TouchedArea]) + Send + Sync>;

/// An area's bookable offer over some days.
#[derive(Debug, Clone, Default)]
pub struct AreaAvailability {
    /// Active centres with their open sessions (and slots), by centre id.
    pub centers: Vec<(Center, Vec<Session>)>,
    /// The latest change (ms since the epoch) to any of the area's centres, or to any of their
    /// sessions and slots in the range, open or closed: what `Last-Modified` must cover.
    pub changed_at: i64,
}

/// One change in the availability feed: a session whose seats or terms changed, stamped with the
/// feed's version (gap-free, in commit order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedChange {
    /// The feed version of this change.
    pub version: u64,
    /// The session.
    pub session_id: SessionId,
    /// Its centre.
    pub center_id: CenterId,
    /// The centre's district.
    pub district_id: DistrictId,
    /// The centre's pincode.
    pub pincode: Pincode,
}

/// A move of (some of) an appointment's beneficiaries to another slot.
#[derive(Debug, Clone, PartialEq)]
pub struct RescheduleRequest {
    /// The appointment.
    pub number: AppointmentNo,
    /// Where to, and who (the whole appointment when the list is empty).
    pub to: BookingRequest,
}

/// sehat's storage. Every method is one atomic operation.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Checks the database answers.
    async fn ping(&self) -> Result<(), DomainError>;

    /// The version of the master data loaded, if any.
    async fn master_data_version(&self) -> Result<Option<String>, DomainError>;
    /// Replaces the reference data (idempotent: the same data twice leaves one copy).
    async fn import_master_data(&self, data: &MasterData) -> Result<(), DomainError>;
    /// All states.
    async fn states(&self) -> Result<Vec<State>, DomainError>;
    /// All districts.
    async fn districts(&self) -> Result<Vec<District>, DomainError>;
    /// All blocks.
    async fn blocks(&self) -> Result<Vec<Block>, DomainError>;
    /// Where every pincode lies.
    async fn pincode_areas(&self) -> Result<Vec<PincodeArea>, DomainError>;
    /// The localities of a pincode.
    async fn localities(&self, pincode: Pincode) -> Result<Vec<Locality>, DomainError>;
    /// Every locality with a position and a district (for the demo generator).
    async fn located_localities(&self) -> Result<Vec<Locality>, DomainError>;
    /// All vaccines.
    async fn vaccines(&self) -> Result<Vec<Vaccine>, DomainError>;

    /// Starts a facility import transaction.
    async fn begin_facility_import(&self) -> Result<Box<dyn FacilityImport>, DomainError>;
    /// Creates a centre; `Conflict` if one with the same name and pincode exists in the district.
    async fn create_center(&self, center: &ResolvedCenter) -> Result<Center, DomainError>;
    /// Changes some fields of a centre.
    async fn update_center(&self, id: CenterId, patch: &CenterPatch)
    -> Result<Center, DomainError>;
    /// One centre.
    async fn center(&self, id: CenterId) -> Result<Center, DomainError>;
    /// Centres matching a filter, a page at a time.
    async fn list_centers(
        &self,
        filter: &CenterFilter,
        page: Page,
    ) -> Result<Vec<Center>, DomainError>;
    /// Number of centres.
    async fn count_centers(&self) -> Result<u64, DomainError>;

    /// Opens (or updates) the centre's sessions for every date of the plan.
    async fn open_sessions(
        &self,
        center: CenterId,
        plan: &SessionPlan,
    ) -> Result<PlanOutcome, DomainError>;
    /// Closes a session to further bookings.
    async fn close_session(&self, id: SessionId) -> Result<Session, DomainError>;
    /// One session with its slots.
    async fn session(&self, id: SessionId) -> Result<Session, DomainError>;
    /// A centre's sessions between two dates, inclusive, with their slots.
    async fn sessions(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<Session>, DomainError>;
    /// Active centres in an area, by id.
    async fn centers_in(&self, area: CenterArea) -> Result<Vec<Center>, DomainError>;
    /// Up to `limit` active centres nearest a point, nearest first, with their distance in km.
    async fn centers_near(
        &self,
        point: GeoPoint,
        limit: u32,
    ) -> Result<Vec<(Center, f64)>, DomainError>;
    /// The active centres of an area holding open sessions between two dates (inclusive), each
    /// with those sessions and their slots, and when anything the answer depends on last changed.
    async fn availability(
        &self,
        area: CenterArea,
        from: Date,
        to: Date,
    ) -> Result<AreaAvailability, DomainError>;
    /// Calls `hook` after every commit that changed availability, with the areas changed (in
    /// this process; other processes' changes arrive through the feed).
    fn watch_changes(&self, hook: ChangeHook);
    /// Sessions by id, with their slots (unknown ids are left out).
    async fn sessions_by_id(&self, ids: &[SessionId]) -> Result<Vec<Session>, DomainError>;
    /// Stamps up to `max` pending feed changes with the next versions; returns the latest version.
    async fn sequence_feed(&self, max: u32) -> Result<u64, DomainError>;
    /// The latest feed version and the oldest one still kept (0 when none).
    async fn feed_bounds(&self) -> Result<(u64, u64), DomainError>;
    /// Feed changes after a version, oldest first, in one district or pincode or everywhere.
    async fn feed_changes(
        &self,
        after: u64,
        area: Option<CenterArea>,
        limit: u32,
    ) -> Result<Vec<FeedChange>, DomainError>;
    /// Forgets feed changes older than `before` (ms since the epoch); returns how many.
    async fn prune_feed(&self, before: i64) -> Result<u64, DomainError>;
    /// Keeps the keyed hash of the captcha answer last shown to an account (replacing any other).
    async fn put_captcha(
        &self,
        account: &MobileHash,
        answer_hash: &str,
        expires_at: i64,
    ) -> Result<(), DomainError>;
    /// Takes (and forgets) an account's captcha: its answer hash, if one is pending and unexpired.
    async fn take_captcha(&self, account: &MobileHash) -> Result<Option<String>, DomainError>;
    /// Summaries of the given centres' sessions from `from` on.
    async fn center_summaries(
        &self,
        centers: &[CenterId],
        from: Date,
    ) -> Result<Vec<(CenterId, CenterSummary)>, DomainError>;

    /// Records an OTP transaction unless the mobile has asked too often (`Rule::OtpRateLimited`);
    /// the check and the insert are one atomic step per mobile.
    async fn create_otp(&self, otp: &NewOtp, policy: &OtpPolicy) -> Result<(), DomainError>;
    /// Counts one verification attempt and returns the transaction, in one statement: refused
    /// (`OtpExpired`, `OtpAttemptsExceeded`) when expired, used or out of attempts.
    async fn attempt_otp(&self, txn_id: &str, max_attempts: u32)
    -> Result<OtpAttempt, DomainError>;
    /// Counts one attempt at a credential for `subject`, refusing (`Rule::TooManyAttempts`) past
    /// `max` in a window of `window_ms`; counted and checked in one statement.
    async fn take_attempt(
        &self,
        subject: &str,
        max: u32,
        window_ms: i64,
    ) -> Result<(), DomainError>;
    /// Marks the OTP used; only one caller can (`OtpExpired` for the others).
    async fn consume_otp(&self, txn_id: &str) -> Result<(), DomainError>;

    /// Registers a beneficiary under a mobile, at most `max_members` per mobile, one per photo ID.
    async fn register_beneficiary(
        &self,
        registration: &Registration,
        max_members: u32,
    ) -> Result<Beneficiary, DomainError>;
    /// Replaces a beneficiary's details (the mobile stays).
    async fn update_beneficiary(
        &self,
        registration: &Registration,
    ) -> Result<Beneficiary, DomainError>;
    /// One beneficiary of an account (`NotFound` for anyone else's).
    async fn beneficiary(
        &self,
        account: &MobileHash,
        id: BeneficiaryRef,
    ) -> Result<Beneficiary, DomainError>;
    /// A beneficiary and the account it belongs to, by reference id alone.
    async fn beneficiary_account(
        &self,
        id: BeneficiaryRef,
    ) -> Result<(Beneficiary, MobileHash), DomainError>;
    /// The beneficiaries of an account.
    async fn beneficiaries(&self, account: &MobileHash) -> Result<Vec<Beneficiary>, DomainError>;
    /// Removes a beneficiary of an account (refused while it has an active appointment).
    async fn delete_beneficiary(
        &self,
        account: &MobileHash,
        id: BeneficiaryRef,
    ) -> Result<(), DomainError>;

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
    /// The appointments of an account, newest first.
    async fn appointments(&self, account: &MobileHash) -> Result<Vec<Appointment>, DomainError>;
    /// A slot with its session (for checks and wire formats).
    async fn slot(&self, id: SlotId) -> Result<(Session, Slot), DomainError>;

    /// A centre's booked and offered seats per day between two dates, inclusive.
    async fn utilization(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayUtilization>, DomainError>;

    /// The same store acting for `actor`: its writes, and its reads of personal data when the
    /// actor is an admin or a partner, leave audit records naming the actor.
    fn acting_as(&self, actor: Actor) -> Arc<dyn Store>;
    /// Seals up to `max` pending audit records into the chain; returns how many.
    async fn seal_audit(&self, chain: &AuditChain, max: u32) -> Result<u64, DomainError>;
    /// Sealed audit records after position `after`, in chain order.
    async fn audit_records(&self, after: u64, limit: u32)
    -> Result<Vec<SealedRecord>, DomainError>;
    /// The chain's head (position, hash) and how many records wait to be sealed.
    async fn audit_head(&self) -> Result<(u64, String, u64), DomainError>;

    /// Revokes a token (logout) until it would have expired.
    async fn revoke_token(&self, jti: &str, expires_at: i64) -> Result<(), DomainError>;
    /// Whether a token is refused: revoked, or issued under a partner key no longer active.
    async fn token_refused(
        &self,
        jti: &str,
        partner_key: Option<&str>,
        now: i64,
    ) -> Result<bool, DomainError>;
    /// Stores a new partner key; with `retire_others_after_ms`, the partner's other active keys
    /// are retired that long from now.
    async fn add_partner_key(
        &self,
        key: &NewPartnerKey,
        retire_others_after_ms: Option<i64>,
    ) -> Result<PartnerKey, DomainError>;
    /// A partner's keys, newest first.
    async fn partner_keys(&self, partner: &str) -> Result<Vec<PartnerKey>, DomainError>;
    /// Revokes one of a partner's keys at once (`NotFound` for another partner's).
    async fn revoke_partner_key(&self, partner: &str, id: &str) -> Result<PartnerKey, DomainError>;
    /// A key by id, with the keyed hash of its secret.
    async fn partner_key(&self, id: &str) -> Result<Option<(PartnerKey, String)>, DomainError>;

    /// Leases up to `max` due outbox jobs, oldest first, for `lease_ms` from `now`, counting
    /// the attempt; a job leased by another worker is not due until its lease runs out.
    async fn lease_jobs(&self, now: i64, lease_ms: i64, max: u32) -> Result<Vec<Job>, DomainError>;
    /// Records, in one transaction, how runs of leased jobs ended: `(job id, the attempt it
    /// was leased for, result)`.
    async fn finish_jobs(
        &self,
        results: &[(i64, u32, JobResult)],
        now: i64,
    ) -> Result<(), DomainError>;
    /// Deletes jobs finished before `before` (ms); returns how many.
    async fn prune_jobs(&self, before: i64) -> Result<u64, DomainError>;
    /// Outbox jobs not finished yet, and jobs that failed for good.
    async fn job_counts(&self) -> Result<(u64, u64), DomainError>;
}
