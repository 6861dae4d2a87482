//! Operational endpoints: a home page saying what sehat is and where to go, liveness,
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
        .routes(routes!(home))
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

/// The home page (plain HTML, no script or style, so the API's strict content policy holds).
const HOME_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sehat</title>
</head>
<body>
<h1>sehat</h1>
<p class="lead">An open-source platform for public health services: people register (a family per
mobile number), find a vaccination centre near them, book a slot, and partner apps reach it
through the APIs they already use.</p>
<h2>Where to go</h2>
<ul>
<li><a href="/docs">/docs</a>: every API with its schemas (<a href="/openapi.json">/openapi.json</a>).</li>
<li><code>/api/v1/…</code>: the CoWIN v1 registration and appointment API for partner apps.</li>
<li><code>/api/v2/…</code>: the CoWIN v2 public and protected API of booking apps, with a live
availability feed.</li>
<li><code>/admin/v1/…</code>: centres, sessions, utilization and bulk upload (admin token).</li>
<li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>,
<a href="/metrics">/metrics</a>: for operators.</li>
</ul>
<p>A web app for citizens and vaccinators comes later; the README and the guides in
<code>docs/</code> walk through the APIs with curl.</p>
</body>
</html>
"#;

/// What sehat is and where its APIs and docs are (the web app comes later).
#[utoipa::path(get, path = "/", tag = "ops",
    responses((status = 200, content_type = "text/html", body = String)))]
async fn home() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        HOME_PAGE,
    )
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
