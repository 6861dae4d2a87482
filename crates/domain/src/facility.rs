//! Centres (facilities) as spec 000's facility data model describes them, and the plan of sessions
//! a centre publishes; and [`FacilityStore`], the storage contract of the registry of centres and
//! their sessions.

use crate::DomainError;
use crate::ids::{BlockId, CenterId, DistrictId, SessionId, StateId};
use crate::schedule::{DayUtilization, Session, SessionPlan};
use crate::values::{GeoPoint, Mobile, Name, Pincode};
use async_trait::async_trait;
use serde::Serialize;
use time::Date;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $text)] $variant),* }

        impl $name {
            /// The wire and stored spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }

            /// Parses the spelling, ignoring case and surrounding space.
            pub fn parse(raw: &str) -> Result<Self, &'static str> {
                let raw = raw.trim();
                $(if raw.eq_ignore_ascii_case($text) { return Ok(Self::$variant); })*
                Err(concat!("must be one of: ", $($text, " "),*))
            }
        }
    };
}

text_enum! {
    /// Spec 000's `centre_type`.
    CentreType { /// A fixed site.
        Permanent = "Permanent", /// A travelling team.
        Mobile = "Mobile", /// A temporary fixed site.
        Static = "Static" }
}

text_enum! {
    /// Spec 000's `area`.
    Area { /// Town or city.
        Urban = "Urban", /// Village.
        Rural = "Rural" }
}

text_enum! {
    /// Whether the centre charges, as CoWIN v2's `fee_type`.
    FeeType { /// Government centre, no charge.
        Free = "Free", /// Private centre.
        Paid = "Paid" }
}

/// A state, district or block as a request names it: by id, or by name to be resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PlaceRef {
    /// A numeric id (CoWIN's for states and districts).
    Id(i64),
    /// A name, matched ignoring case and punctuation.
    Name(String),
}

impl PlaceRef {
    /// A number is an id; anything else a name. Empty is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        Some(match raw.parse::<i64>() {
            Ok(id) => Self::Id(id),
            Err(_) => Self::Name(raw.to_owned()),
        })
    }
}

/// What describes a centre, before its place names are resolved to ids.
#[derive(Debug, Clone, PartialEq)]
pub struct CenterSpec {
    /// Facility name.
    pub name: Name,
    /// State, by id or name; taken from the district when absent (the district must then be an id).
    pub state: Option<PlaceRef>,
    /// District, by id or name.
    pub district: PlaceRef,
    /// Block, by id or name; derived from the pincode when absent.
    pub block: Option<PlaceRef>,
    /// Pincode; must lie in the district.
    pub pincode: Pincode,
    /// Street address (spec 000's `location`).
    pub address: String,
    /// In-charge's name.
    pub incharge_name: Option<Name>,
    /// In-charge's mobile.
    pub incharge_mobile: Option<Mobile>,
    /// Position; the pincode's post-office position when absent.
    pub location: Option<GeoPoint>,
    /// Permanent, Mobile or Static.
    pub centre_type: CentreType,
    /// Urban or Rural.
    pub area: Area,
    /// Free or Paid.
    pub fee_type: FeeType,
    /// Vaccine codes the centre offers (spec 000's `vaccinationtypeID`).
    pub vaccine_codes: Vec<String>,
}

/// A centre with its place resolved: what the store writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedCenter {
    /// The validated description.
    pub spec: CenterSpec,
    /// Resolved state.
    pub state_id: StateId,
    /// Resolved district.
    pub district_id: DistrictId,
    /// Resolved block.
    pub block_id: Option<BlockId>,
    /// Final position.
    pub location: Option<GeoPoint>,
}

/// A centre as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Center {
    /// Its id (`center_id`).
    pub id: CenterId,
    /// Facility name.
    pub name: String,
    /// State id.
    pub state_id: StateId,
    /// State name.
    pub state_name: String,
    /// District id.
    pub district_id: DistrictId,
    /// District name.
    pub district_name: String,
    /// Block id.
    pub block_id: Option<BlockId>,
    /// Block name.
    pub block_name: Option<String>,
    /// Pincode.
    pub pincode: Pincode,
    /// Address.
    pub address: String,
    /// In-charge's name.
    pub incharge_name: Option<String>,
    /// In-charge's mobile (an official contact, shown to admins only).
    pub incharge_mobile: Option<String>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub long: Option<f64>,
    /// Permanent, Mobile or Static.
    pub centre_type: CentreType,
    /// Urban or Rural.
    pub area: Area,
    /// Free or Paid.
    pub fee_type: FeeType,
    /// Vaccine codes offered.
    pub vaccine_codes: Vec<String>,
    /// Whether the centre takes bookings.
    pub active: bool,
}

impl Center {
    /// What a dose in one of its sessions costs, in rupees: nothing at a free centre, whatever
    /// the session says.
    pub fn fee_for(&self, session: &crate::schedule::Session) -> u32 {
        match self.fee_type {
            FeeType::Free => 0,
            FeeType::Paid => session.fee,
        }
    }
}

/// A change to some of a centre's fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CenterPatch {
    /// New name.
    pub name: Option<Name>,
    /// New address.
    pub address: Option<String>,
    /// New in-charge name.
    pub incharge_name: Option<Name>,
    /// New in-charge mobile.
    pub incharge_mobile: Option<Mobile>,
    /// New position.
    pub location: Option<GeoPoint>,
    /// New type.
    pub centre_type: Option<CentreType>,
    /// New area.
    pub area: Option<Area>,
    /// New fee type.
    pub fee_type: Option<FeeType>,
    /// New vaccine list.
    pub vaccine_codes: Option<Vec<String>>,
    /// Open or close the centre for bookings.
    pub active: Option<bool>,
}

/// One row of a facility upload, or one demo centre: a centre and, optionally, its session plan.
#[derive(Debug, Clone, PartialEq)]
pub struct FacilityPlan {
    /// The centre.
    pub center: CenterSpec,
    /// Sessions to open, if any.
    pub sessions: Option<SessionPlan>,
}

/// What applying a plan did, so that a second identical upload can be seen to change nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanOutcome {
    /// Centres created.
    pub centers_created: u64,
    /// Centres whose fields changed.
    pub centers_updated: u64,
    /// Sessions created.
    pub sessions_created: u64,
    /// Slots created.
    pub slots_created: u64,
    /// Sessions or slots whose fields changed.
    pub sessions_updated: u64,
}

impl PlanOutcome {
    /// Adds another outcome to this one.
    pub fn add(&mut self, other: PlanOutcome) {
        self.centers_created += other.centers_created;
        self.centers_updated += other.centers_updated;
        self.sessions_created += other.sessions_created;
        self.slots_created += other.slots_created;
        self.sessions_updated += other.sessions_updated;
    }

    /// True when nothing was written.
    pub fn is_unchanged(&self) -> bool {
        *self == Self::default()
    }
}

/// Splits a vaccine list as spec 000's `vaccinationtypeID` string carries it: `"COVISHIELD,BCG"`.
pub fn parse_vaccine_codes(raw: &str) -> Result<Vec<String>, DomainError> {
    let mut codes: Vec<String> = raw
        .split([',', ';', '|'])
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    if codes
        .iter()
        .any(|c| c.len() > 32 || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Err(DomainError::invalid(
            "vaccinationtypeID",
            "vaccine codes are letters, digits and _ (e.g. COVISHIELD,BCG)",
        ));
    }
    codes.dedup();
    Ok(codes)
}

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

/// The storage of the registry of centres and the sessions they publish: the facility import,
/// the admin calls, and reads of one centre's sessions and their use. Every method is one
/// atomic operation.
#[async_trait]
pub trait FacilityStore: Send + Sync {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_enums_parse_ignoring_case() {
        assert_eq!(CentreType::parse(" mobile "), Ok(CentreType::Mobile));
        assert_eq!(Area::parse("RURAL").map(Area::as_str), Ok("Rural"));
        assert!(FeeType::parse("cheap").is_err());
    }

    #[test]
    fn place_refs_are_ids_when_numeric() {
        assert_eq!(PlaceRef::parse(" 21 "), Some(PlaceRef::Id(21)));
        assert_eq!(
            PlaceRef::parse("Satara"),
            Some(PlaceRef::Name("Satara".into()))
        );
        assert_eq!(PlaceRef::parse("  "), None);
    }

    #[test]
    fn vaccine_codes_split_and_upper_case() {
        assert_eq!(
            parse_vaccine_codes("covishield, BCG").unwrap(),
            vec!["COVISHIELD", "BCG"]
        );
        assert!(parse_vaccine_codes("drop table;--").is_err());
    }
}
