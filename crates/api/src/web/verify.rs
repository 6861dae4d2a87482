//! `/verify`: anyone checks a certificate.

use crate::AppState;

/// The verify's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
