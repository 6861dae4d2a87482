//! The HTTP plumbing every API family shares, so that a family's folder holds only its own
//! routes, wire shapes and translation:
//!
//! - [`serve`]: the server loop — connection caps, the deadline for a request's head, graceful
//!   shutdown;
//! - [`telemetry`]: the middleware around every route — request ids, access logs without
//!   personal data, per-route metrics, body limits and timeouts;
//! - [`extract`]: JSON bodies, query strings and paths whose errors name the field at fault;
//! - [`auth`]: API tokens (JWT) and the admin token, with the extractors that demand them;
//! - [`rate_limit`]: per-address limits on the token-less public calls;
//! - [`idempotency`]: the `Idempotency-Key` header that makes a booking call safe to retry;
//! - [`error_responses`] and [`wire_formats`]: what the OpenAPI document says once for every
//!   route — the answers the shared layers can give, and the shared text formats (dates,
//!   pincodes, reference ids) with their exact patterns.
//!
//! Refusals from this layer are [`crate::error::ApiError`]s, the `{"errorCode","error"}` body
//! that the CoWIN families and the admin API share. Nothing here knows a family's routes.

/// API tokens (JWT), the admin token, the extractors that demand them, and their OpenAPI schemes.
pub mod auth;
/// The error answers every route shares, added to the OpenAPI document in one place.
pub mod error_responses;
/// Extractors shared by the families: JSON bodies, queries and paths with field-naming errors.
pub mod extract;
/// The `Idempotency-Key` of a booking call, scoped to the account and the call.
pub mod idempotency;
/// Per-address limits on the public API.
pub mod rate_limit;
/// The server loop: connection caps, the deadline for a request's head, graceful shutdown.
pub mod serve;
/// Request ids, access logs without personal data, per-route metrics, limits and timeouts.
pub mod telemetry;
/// The shared text formats (dates, pincodes) as OpenAPI schemas with their exact patterns.
pub mod wire_formats;
