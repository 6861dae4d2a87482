//! sehat's storage on SQLite and PostgreSQL: the [`SqlStore`] implementation of
//! [`sehat_domain::store::Store`] (one module per capability trait, each with its SQL), its
//! migrations, and the shipped master data.

mod appointments;
mod audit;
mod availability;
pub use availability::availability_statements;
/// The statements of a search and a booking, for the benchmark's database baselines.
pub mod baseline;
mod booking;
/// Bulk loading and the booking audit (the benchmark's datasets and gates).
pub mod bulk;
mod credentials;
mod db;
mod facilities;
mod feed;
mod identity;
/// Reading back appointment rows and the database's own consistency check (resilience suites).
pub mod inspect;
/// Reading the master data compiled into the binary.
pub mod master_data;
mod migrations;
mod outbox;
mod people;
mod reference;
mod reset;
mod rows;
mod sessions;
mod store_impl;
mod vaccination;

/// Fresh databases for tests.
pub mod testing;

pub use db::{Backend, ConnectOptions, SqlStore};
