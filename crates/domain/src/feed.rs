//! The availability feed: every committed change to a session's seats or terms, heard at once by
//! this process (a [`ChangeHook`]) and stamped with gap-free versions in commit order for every
//! other process and for clients that follow the feed; and the storage contract of that log.

use crate::DomainError;
use crate::availability::CenterArea;
use crate::ids::{CenterId, DistrictId, SessionId};
use crate::values::Pincode;
use async_trait::async_trait;

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

/// The storage of the availability feed (changes are appended by the writing transactions
/// themselves): the in-process hook, the sequencer, and reads and pruning of the log. Every
/// method is one atomic operation.
#[async_trait]
pub trait FeedStore: Send + Sync {
    /// Calls `hook` after every commit that changed availability, with the areas changed (in
    /// this process; other processes' changes arrive through the feed).
    fn watch_changes(&self, hook: ChangeHook);
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
}
