//! The storage contract as a whole: [`Store`], the umbrella over the capability traits that each
//! live beside their capability, implemented by `sehat-store` for SQLite and PostgreSQL.
//!
//! | trait | module | owns |
//! |---|---|---|
//! | [`ReferenceStore`] | [`crate::master`] | the master-data import, places, vaccines |
//! | [`FacilityStore`] | [`crate::facility`] | centres, the facility import, sessions, utilization |
//! | [`AvailabilityStore`] | [`crate::availability`] | search: centres of an area or near a point, their offer |
//! | [`FeedStore`] | [`crate::feed`] | the availability feed: the change hook, the sequencer, the log |
//! | [`BeneficiaryStore`] | [`crate::beneficiary`] | the people of an account |
//! | [`BookingStore`] | [`crate::booking`] | book, reschedule, cancel, idempotency keys, captchas |
//! | [`IdentityStore`] | [`crate::identity`] | OTPs, counted attempts, revoked tokens |
//! | [`PartnerKeyStore`] | [`crate::credentials`] | partner API keys |
//! | [`OutboxStore`] | [`crate::outbox`] | leasing and finishing outbox jobs |
//! | [`AuditStore`] | [`crate::audit`] | sealing and reading the audit chain |
//! | [`VaccinationStore`] | [`crate::vaccination`] | vaccinators, walk-in seats, doses, certificates |
//!
//! A use case asks for the narrowest of these it needs (`&dyn IdentityStore`), so its reader sees
//! only its own contract; a `&dyn Store` coerces to any of them. A new capability adds its own
//! trait beside its own module and joins the list of supertraits here. The methods of every
//! capability are callable on a `dyn Store` without importing the capability's trait.
//!
//! The request and response types re-exported below moved beside their traits; they are
//! re-exported here only so that `sehat-api` and the `sehat` binary, which name them by this path,
//! keep compiling. New code should name them by their own module.

use crate::DomainError;
use crate::audit::{Actor, AuditStore};
use crate::availability::AvailabilityStore;
use crate::beneficiary::BeneficiaryStore;
use crate::booking::BookingStore;
use crate::credentials::PartnerKeyStore;
use crate::facility::FacilityStore;
use crate::feed::FeedStore;
use crate::identity::IdentityStore;
use crate::master::ReferenceStore;
use crate::outbox::OutboxStore;
use crate::vaccination::VaccinationStore;
use async_trait::async_trait;
use std::sync::Arc;

pub use crate::availability::{AreaAvailability, CenterArea, CenterSummary};
pub use crate::beneficiary::Registration;
pub use crate::booking::{IdempotencyKey, RescheduleRequest};
pub use crate::facility::{CenterFilter, FacilityImport, Page};
pub use crate::feed::{FeedChange, TouchedArea};

/// sehat's storage: every capability's storage trait, one database behind them all. Every method
/// is one atomic operation.
#[async_trait]
pub trait Store:
    ReferenceStore
    + FacilityStore
    + AvailabilityStore
    + FeedStore
    + BeneficiaryStore
    + BookingStore
    + IdentityStore
    + PartnerKeyStore
    + OutboxStore
    + AuditStore
    + VaccinationStore
    + Send
    + Sync
    + std::fmt::Debug
{
    /// Checks the database answers.
    async fn ping(&self) -> Result<(), DomainError>;

    /// The same store acting for `actor`: its writes, and its reads of personal data when the
    /// actor is an admin or a partner, leave audit records naming the actor.
    fn acting_as(&self, actor: Actor) -> Arc<dyn Store>;
}
