//! The storage contract: use-case methods, each one atomic, implemented by `sehat-store` for
//! SQLite and PostgreSQL.

use crate::DomainError;
use crate::facility::{Center, CenterPatch, PlanOutcome, ResolvedCenter};
use crate::ids::{CenterId, DistrictId, SessionId, StateId};
use crate::master::{Block, District, Locality, PincodeArea, State, Vaccine};
use crate::schedule::{DayUtilization, Session, SessionPlan};
use crate::values::Pincode;
use async_trait::async_trait;
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
    /// A centre's booked and offered seats per day between two dates, inclusive.
    async fn utilization(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayUtilization>, DomainError>;
}
