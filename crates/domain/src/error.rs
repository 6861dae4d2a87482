//! Named domain errors. Each API family turns them into its own wire error in exactly one `match`.

use std::borrow::Cow;

/// Why a use case refused, or could not complete.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A field of the request is malformed or breaks a rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// The request field at fault, as the client named it.
        field: Cow<'static, str>,
        /// What is wrong with it.
        reason: Cow<'static, str>,
    },
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (e.g. capacity below what is booked).
    #[error("conflict: {0}")]
    Conflict(Cow<'static, str>),
    /// The database cannot be reached right now; the caller may retry.
    #[error("storage unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else that went wrong inside; logged, never shown to clients.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl DomainError {
    /// An invalid-field error.
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
