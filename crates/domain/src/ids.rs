//! Typed ids, so that a district id can never be passed where a block id is expected.

use serde::{Deserialize, Serialize};

macro_rules! int_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

int_id! {
    /// A state, by its CoWIN `state_id`.
    StateId,
    /// A district, by its CoWIN `district_id`.
    DistrictId,
    /// A block (sub-district).
    BlockId,
    /// A locality (a post office's village or town).
    LocalityId,
    /// A vaccination or health-service centre.
    CenterId,
    /// A time slot within a session.
    SlotId,
}

/// An appointment as CoWIN v2 names it: a random UUID (v1 names the same appointment by its
/// 14-digit confirmation number, [`crate::booking::AppointmentNo`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppointmentId(pub uuid::Uuid);

impl AppointmentId {
    /// A fresh random id.
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl std::fmt::Display for AppointmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A session (one centre, one date, one vaccine); a UUID as the v2 API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub uuid::Uuid);

impl SessionId {
    /// A fresh random session id.
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
