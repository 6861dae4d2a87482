//! Availability search: which active centres an area (or the neighbourhood of a point) holds,
//! with their open sessions and slots, summarised for the centre lists; and the storage
//! contract those reads need.

use crate::DomainError;
use crate::facility::Center;
use crate::ids::{BlockId, CenterId, DistrictId, SessionId};
use crate::schedule::Session;
use crate::values::{GeoPoint, Pincode};
use async_trait::async_trait;
use time::Date;

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

/// An area's bookable offer over some days.
#[derive(Debug, Clone, Default)]
pub struct AreaAvailability {
    /// Active centres with their open sessions (and slots), by centre id.
    pub centers: Vec<(Center, Vec<Session>)>,
    /// The latest change (ms since the epoch) to any of the area's centres, or to any of their
    /// sessions and slots in the range, open or closed: what `Last-Modified` must cover.
    pub changed_at: i64,
}

/// The storage of availability search: bulk reads of centres and sessions; none of them writes.
#[async_trait]
pub trait AvailabilityStore: Send + Sync {
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
    /// Sessions by id, with their slots (unknown ids are left out).
    async fn sessions_by_id(&self, ids: &[SessionId]) -> Result<Vec<Session>, DomainError>;
    /// Summaries of the given centres' sessions from `from` on.
    async fn center_summaries(
        &self,
        centers: &[CenterId],
        from: Date,
    ) -> Result<Vec<(CenterId, CenterSummary)>, DomainError>;
}
