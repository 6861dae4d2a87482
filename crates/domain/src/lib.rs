//! sehat's core: value types that can only exist valid, typed ids, the rules of the registry and
//! of scheduling, and the storage contract the `sehat-store` crate implements: one trait per
//! capability, beside it ([`booking::BookingStore`], [`identity::IdentityStore`], ...), and
//! [`store::Store`] over them all.
//!
//! Nothing here knows about HTTP or SQL. A request is turned into these types at the edge (invalid
//! input stops there), a use case applies the rules, and one atomic store call persists it.

/// The tamper-evident audit log: actors, records and the hash chain.
pub mod audit;
/// Availability search: centres of an area or near a point, with their open sessions.
pub mod availability;
/// Beneficiaries and the value types of registration.
pub mod beneficiary;
/// Appointments: the booking rules.
pub mod booking;
/// The injected clock: all "now" and "today" come from here, never from SQL.
pub mod clock;
/// Partner API keys: issue, rotate, revoke, check.
pub mod credentials;
/// Deterministic demo dataset generation.
pub mod demo;
/// Named domain errors; each API family maps them to its own wire error in one place.
pub mod error;
/// Centres (facilities) and the plan of sessions a centre publishes.
pub mod facility;
/// Validation of one row of the bulk facility CSV (spec 000's facility data model).
pub mod facility_csv;
/// The availability feed: committed changes of seats, versioned in commit order.
pub mod feed;
/// The in-memory index that resolves and cross-checks places and vaccines.
pub mod gazetteer;
/// Keyed hashing of identifiers, OTPs and their limits.
pub mod identity;
/// Typed ids for every entity.
pub mod ids;
/// Immunization records and the rules a next dose must meet.
pub mod immunization;
/// Reference data: states, districts, blocks, localities, genders, photo-ID types, vaccines.
pub mod master;
/// The outbox: jobs that follow a committed change (messages, later callbacks), with retries.
pub mod outbox;
/// Sessions, slots and their capacity.
pub mod schedule;
/// The storage contract as a whole: the umbrella over each capability's storage trait.
pub mod store;
/// Vaccinators, walk-in seats, recording a dose, and the certificate each dose issues.
pub mod vaccination;
/// Small value types with rules: pincode, mobile, coordinates, dates, slot timings.
pub mod values;

pub use error::{DomainError, Rule};
