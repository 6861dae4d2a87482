//! The admin API (`/admin/v1`, bearer admin token), sehat's own: create, update and list
//! centres, open sessions over a date range from a slot template, close a session, read
//! utilization, upload facilities in bulk, and manage partner API keys. Dates are ISO
//! `yyyy-mm-dd` (CoWIN's `dd-mm-yyyy` is accepted too); errors are the CoWIN-family body.
//!
//! Routes, by module:
//! - [`centers`]: `GET`/`POST /admin/v1/centers`, `GET`/`PATCH /admin/v1/centers/{center_id}`;
//! - [`sessions`]: `POST`/`GET /admin/v1/centers/{center_id}/sessions`,
//!   `POST /admin/v1/sessions/{session_id}/close`,
//!   `GET /admin/v1/centers/{center_id}/utilization`;
//! - [`upload`]: `POST /admin/v1/facilities/upload` (the rows are read by [`facility_import`],
//!   which `sehat import` uses too);
//! - [`partners`]: `POST`/`GET /admin/v1/partners/{partner}/keys` (issue or rotate, list),
//!   `DELETE /admin/v1/partners/{partner}/keys/{key_id}` (revoke);
//! - [`vaccinators`]: `POST`/`GET /admin/v1/centers/{center_id}/vaccinators`,
//!   `POST /admin/v1/centers/{center_id}/vaccinators/{vaccinator_id}/deactivate`,
//!   `POST /admin/v1/certificates/{certificate_id}/correct`.

use crate::AppState;
use sehat_domain::DomainError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Centres: list, create, read, change.
pub mod centers;
/// Streaming import of the facility CSV, shared by the HTTP upload and `sehat import`.
pub mod facility_import;
/// Partner API keys: issue, rotate, list, revoke.
pub mod partners;
/// Sessions: open over a date range, list, close; utilization per day.
pub mod sessions;
/// The HTTP upload of the facility CSV.
pub mod upload;
/// Vaccinators' posts at centres, and certificate corrections.
pub mod vaccinators;

/// The admin routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(centers::list_centers, centers::create_center))
        .routes(routes!(centers::get_center, centers::update_center))
        .routes(routes!(sessions::open_sessions, sessions::list_sessions))
        .routes(routes!(sessions::close_session))
        .routes(routes!(sessions::get_utilization))
        .routes(routes!(upload::upload_facilities))
        .merge(partners::router())
        .merge(vaccinators::router())
}

/// Names a domain error's field as this API's request calls it.
fn rename_field(error: DomainError, names: &[(&str, &'static str)]) -> DomainError {
    match error {
        DomainError::Invalid { field, reason } => {
            let field = names
                .iter()
                .find(|(from, _)| *from == field)
                .map_or(field, |(_, to)| (*to).into());
            DomainError::Invalid { field, reason }
        }
        other => other,
    }
}
