//! Administrators' pages.

use crate::AppState;

/// The admin's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
