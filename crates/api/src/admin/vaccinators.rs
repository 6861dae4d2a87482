//! Vaccinators and certificate corrections on the admin API: register a vaccinator's post at a
//! centre (they then log in by OTP on that mobile), list a centre's posts (mobiles masked),
//! deactivate one (its tokens stop acting at once); correct a dose's certificate (a new
//! certificate with a new id replaces it, and the old one is revoked: a signed document is
//! never edited).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::AdminAuth;
use crate::http::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use sehat_domain::ids::CenterId;
use sehat_domain::immunization::{Batch, VaccinatorId};
use sehat_domain::store::Store;
use sehat_domain::vaccination::{
    CertificateId, Correction, NewVaccinator, Vaccinator, correct_certificate,
};
use sehat_domain::values::{Mobile, Name, parse_any_date};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The vaccinator and correction routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_vaccinator, list_vaccinators))
        .routes(routes!(deactivate_vaccinator))
        .routes(routes!(correct))
}

/// `{center_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct CenterPath {
    center_id: i64,
}

/// `{center_id}/vaccinators/{vaccinator_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct PostPath {
    center_id: i64,
    vaccinator_id: i64,
}

/// `{"name","mobile"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVaccinatorBody {
    /// As the certificate prints it.
    #[schema(example = "Dr. Kavita Rao")]
    name: String,
    /// The vaccinator's own mobile: their OTP login.
    #[schema(pattern = r"^[6-9][0-9]{9}$", example = "9812345678")]
    mobile: String,
}

/// A vaccinator's post as the admin API shows it (the mobile masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct VaccinatorBody {
    vaccinator_id: i64,
    center_id: i64,
    name: String,
    #[schema(example = "******5678")]
    mobile: String,
    active: bool,
    /// Made at (ms since the epoch).
    created_at: i64,
    /// Deactivated at (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    deactivated_at: Option<i64>,
}

impl From<Vaccinator> for VaccinatorBody {
    fn from(v: Vaccinator) -> Self {
        Self {
            vaccinator_id: v.id.0,
            center_id: v.center_id.0,
            mobile: format!("******{}", v.mobile_last4),
            name: v.name,
            active: v.active,
            created_at: v.created_at,
            deactivated_at: v.deactivated_at,
        }
    }
}

/// `{"vaccinators":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaccinatorList {
    vaccinators: Vec<VaccinatorBody>,
}

/// Register a vaccinator at a centre (posting the same mobile again makes the post active again
/// under the new name).
#[utoipa::path(post, path = "/admin/v1/centers/{center_id}/vaccinators", tag = "admin", request_body = NewVaccinatorBody,
    params(("center_id" = i64, Path)), security(("admin_token" = [])),
    responses((status = 201, body = VaccinatorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn add_vaccinator(
    auth: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
    ApiJson(body): ApiJson<NewVaccinatorBody>,
) -> Result<(axum::http::StatusCode, Json<VaccinatorBody>), ApiError> {
    let added = add(
        &state,
        auth.store.as_ref(),
        CenterId(center_id),
        &body.name,
        &body.mobile,
    )
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(added.into())))
}

/// Registers a vaccinator's post at `center` (the same mobile again: the post active again under
/// the new name).
pub(crate) async fn add(
    state: &AppState,
    store: &dyn Store,
    center: CenterId,
    name: &str,
    mobile: &str,
) -> Result<Vaccinator, ApiError> {
    let name = Name::parse(name).map_err(|e| ApiError::invalid("name", e))?;
    let mobile = Mobile::parse(mobile).map_err(|e| ApiError::invalid("mobile", e))?;
    let post = NewVaccinator::new(&state.identity, center, name, &mobile);
    Ok(store.add_vaccinator(&post).await?)
}

/// The vaccinators of a centre, active and deactivated.
#[utoipa::path(get, path = "/admin/v1/centers/{center_id}/vaccinators", tag = "admin",
    params(("center_id" = i64, Path)), security(("admin_token" = [])),
    responses((status = 200, body = VaccinatorList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_vaccinators(
    auth: AdminAuth,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
) -> Result<Json<VaccinatorList>, ApiError> {
    auth.store.center(CenterId(center_id)).await?;
    let posts = auth.store.vaccinators(CenterId(center_id)).await?;
    Ok(Json(VaccinatorList {
        vaccinators: posts.into_iter().map(VaccinatorBody::from).collect(),
    }))
}

/// Deactivate a vaccinator's post: their tokens stop acting at this centre at once.
#[utoipa::path(post, path = "/admin/v1/centers/{center_id}/vaccinators/{vaccinator_id}/deactivate", tag = "admin",
    params(("center_id" = i64, Path), ("vaccinator_id" = i64, Path)), security(("admin_token" = [])),
    responses((status = 200, body = VaccinatorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn deactivate_vaccinator(
    auth: AdminAuth,
    ApiPath(PostPath {
        center_id,
        vaccinator_id,
    }): ApiPath<PostPath>,
) -> Result<Json<VaccinatorBody>, ApiError> {
    let post = auth
        .store
        .deactivate_vaccinator(CenterId(center_id), VaccinatorId(vaccinator_id))
        .await?;
    Ok(Json(post.into()))
}

/// `{certificate_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct CertificatePath {
    certificate_id: String,
}

/// What the certificate got wrong: any of `name`, `vaccine_batch`, `date` (`yyyy-mm-dd`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    #[serde(default)]
    #[schema(example = "Sunita Devi")]
    name: Option<String>,
    #[serde(default)]
    #[schema(example = "4121Z025")]
    vaccine_batch: Option<String>,
    #[serde(default)]
    #[schema(example = "2026-12-07")]
    date: Option<String>,
}

/// The replacement certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectedBody {
    /// The new certificate's id.
    #[schema(example = "1234567890123")]
    certificate_id: String,
    /// The id it replaced, now revoked.
    #[schema(example = "9876543210987")]
    revoked_certificate_id: String,
}

/// Correct a certificate: the dose record (and the person's name) changed, a new certificate
/// signed with a new id, the old one revoked (it verifies as `REVOKED` from now on).
#[utoipa::path(post, path = "/admin/v1/certificates/{certificate_id}/correct", tag = "admin", request_body = CorrectionBody,
    params(("certificate_id" = String, Path)), security(("admin_token" = [])),
    responses((status = 200, body = CorrectedBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "VACCIN0006 already revoked", body = ErrorBody)))]
async fn correct(
    auth: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CertificatePath { certificate_id }): ApiPath<CertificatePath>,
    ApiJson(body): ApiJson<CorrectionBody>,
) -> Result<Json<CorrectedBody>, ApiError> {
    let id = CertificateId::parse(&certificate_id)?;
    let correction = Correction {
        name: body
            .name
            .as_deref()
            .map(|n| Name::parse(n).map_err(|e| ApiError::invalid("name", e)))
            .transpose()?,
        batch: body
            .vaccine_batch
            .as_deref()
            .map(Batch::parse)
            .transpose()?,
        date: body
            .date
            .as_deref()
            .map(|d| parse_any_date(d).map_err(|e| ApiError::invalid("date", e)))
            .transpose()?,
    };
    let replacement = correct_certificate(
        auth.store.as_ref(),
        state.certificates.as_ref(),
        &*state.catalogue().await?,
        &id,
        &correction,
        state.clock.now(),
    )
    .await?;
    Ok(Json(CorrectedBody {
        certificate_id: replacement.id.to_string(),
        revoked_certificate_id: id.to_string(),
    }))
}
