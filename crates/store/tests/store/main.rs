//! sehat-store's integration tests, in one binary: the storage contract on every configured
//! backend, and the migrations' bookkeeping.

mod contract;
mod migrations;
