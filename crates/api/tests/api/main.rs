//! sehat-api's integration tests, in one binary (one link of the whole stack, not one per file):
//! each module is one API family or concern, over HTTP, on every configured backend.

/// `TestApp` and the request helpers the modules share.
mod common;

mod admin_api;
mod booking_contention;
mod cowin_v1;
mod cowin_v2;
mod cowin_v2_flow;
mod cowin_v2_schema;
mod ops;
mod outbox;
mod security;
mod vaccination;
mod web_admin;
mod web_citizen;
mod web_common;
mod web_desk;
mod web_verify;
