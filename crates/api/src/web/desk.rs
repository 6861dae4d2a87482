//! Vaccinators' pages.

use crate::AppState;

/// The desk's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
