//! sehat's storage on SQLite and PostgreSQL: the [`SqlStore`] implementation of
//! [`sehat_domain::store::Store`], its migrations, and the shipped master data.

mod booking;
mod db;
mod facilities;
mod feed;
/// Reading the master data compiled into the binary.
pub mod master_data;
mod people;
mod reference;
mod store_impl;

/// Fresh databases for tests.
pub mod testing;

pub use db::{Backend, ConnectOptions, SqlStore};
