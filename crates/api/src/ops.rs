//! Operational endpoints: liveness,
//! readiness (the database answers), Prometheus metrics, the OpenAPI document and a docs page
//! served from the binary (no CDN).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::telemetry;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

/// The operational routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// Adds `/openapi.json` and the docs page at `/docs` (Swagger UI, vendored in the binary).
pub fn with_docs(
    router: axum::Router<AppState>,
    doc: utoipa::openapi::OpenApi,
) -> axum::Router<AppState> {
    router.merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
}

/// A status answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    status: &'static str,
}

/// Liveness: the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Status)))]
async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// Readiness: the database answers. 503 while it does not; recovers by itself.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = Status), (status = 503, body = ErrorBody)))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    // A probe wants an answer within its own timeout: give up on the database after a second.
    match tokio::time::timeout(std::time::Duration::from_secs(1), state.store.ping()).await {
        Ok(Ok(())) => {}
        _ => return Err(ApiError::unavailable()),
    }
    Ok(Json(Status { status: "ready" }))
}

/// Prometheus metrics: request counts and latency histograms per route.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, content_type = "text/plain", body = String)))]
async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::metrics_handle().render(),
    )
}
