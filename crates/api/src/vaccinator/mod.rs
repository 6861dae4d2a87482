//! The vaccinator API at CoWIN's paths (API Setu v2, `../shared/specs/certificates.md`): the state
//! systems' desk software logs a vaccinator in by OTP on their own mobile (with the system's
//! partner `x-api-key`), finds the person, registers them on the spot, seats a walk-in, records
//! the dose and hands over the certificate. A vaccinator acts only at the centres where they hold
//! an active post (`VACCIN0007` elsewhere) and sees identifiers masked.
//!
//! Routes:
//! - `POST /api/v2/auth/vaccinator/{generateOTP,confirmOTP}` (partner `x-api-key`);
//! - [`desk`]: `GET /api/v2/vaccinator/beneficiaries/{findByMobile,findByReferenceId}`,
//!   `POST /api/v2/vaccinator/beneficiaries/new`, `POST /api/v2/vaccinator/onspots/schedule`,
//!   `POST /api/v2/vaccinator/beneficiaries/vaccinate`,
//!   `GET /api/v2/vaccinator/certificate/download`.

use crate::AppState;
use crate::cowin_v2::{OtpConfirmation, PublicOtpRequest, TxnReply, otp_proof, txn};
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::PartnerApp;
use crate::http::extract::ApiJson;
use crate::http::rate_limit::PublicCaller;
use axum::Json;
use axum::extract::State;
use sehat_domain::identity;
use sehat_domain::{DomainError, Rule};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The desk: finding people, on-spot registration and walk-ins, recording doses, certificates.
pub mod desk;

/// The OTP purpose of a vaccinator's login (a citizen's login OTP does not redeem here; the web
/// desk's login sends its OTP under it too).
pub(crate) const PURPOSE: &str = "vaccinator";

/// The vaccinator routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(generate_vaccinator_otp))
        .routes(routes!(confirm_vaccinator_otp))
        .merge(desk::router())
}

/// Send an OTP to a vaccinator's mobile, on behalf of the desk system that proves itself with
/// its `x-api-key`. The answer is the same whether or not the mobile holds a post.
#[utoipa::path(post, path = "/api/v2/auth/vaccinator/generateOTP", tag = "vaccinator", request_body = PublicOtpRequest,
    params(("x-api-key" = String, Header, description = "the desk system's partner API key")),
    responses((status = 200, body = TxnReply), (status = 400, body = ErrorBody),
        (status = 401, description = "USRAUT0008: no valid partner API key", body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn generate_vaccinator_otp(
    PublicCaller(from): PublicCaller,
    State(state): State<AppState>,
    partner: Result<PartnerApp, ApiError>,
    ApiJson(body): ApiJson<PublicOtpRequest>,
) -> Result<Json<TxnReply>, ApiError> {
    partner?;
    txn(&state, from, body.mobile(), PURPOSE).await
}

/// `{"token"}`: the vaccinator's token, and the centres of their active posts.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaccinatorTokenReply {
    token: String,
    /// The centres where the vaccinator holds an active post.
    #[schema(example = json!([1203]))]
    centers: Vec<i64>,
}

/// Confirm the vaccinator's OTP (its SHA-256 hex, or the six digits): a vaccinator token for the
/// centres of their active posts, which stops working when the desk system's key is revoked.
/// 403 `USRAUT0009` when the mobile holds no active post.
#[utoipa::path(post, path = "/api/v2/auth/vaccinator/confirmOTP", tag = "vaccinator", request_body = OtpConfirmation,
    params(("x-api-key" = String, Header, description = "the desk system's partner API key")),
    responses((status = 200, body = VaccinatorTokenReply), (status = 400, body = ErrorBody),
        (status = 401, description = "USRAUT0008: no valid partner API key", body = ErrorBody),
        (status = 403, description = "USRAUT0009: not an active vaccinator", body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn confirm_vaccinator_otp(
    _: PublicCaller,
    State(state): State<AppState>,
    partner: Result<PartnerApp, ApiError>,
    ApiJson(body): ApiJson<OtpConfirmation>,
) -> Result<Json<VaccinatorTokenReply>, ApiError> {
    let partner = partner?;
    let (token, centers) = vaccinator_login(
        &state,
        body.txn_id(),
        &otp_proof(body.otp())?,
        &partner.key.id,
    )
    .await?;
    Ok(Json(VaccinatorTokenReply { token, centers }))
}

/// A vaccinator's login by the OTP of transaction `txn` (purpose [`PURPOSE`]): their token under
/// `key_id` (the desk system's partner key; the web desk's own id, which names no partner key)
/// and the centres of their active posts. 403 `USRAUT0009` when the mobile holds no active post.
/// Shared by the API and the web desk.
pub(crate) async fn vaccinator_login(
    state: &AppState,
    txn: &str,
    proof: &identity::OtpProof,
    key_id: &str,
) -> Result<(String, Vec<i64>), ApiError> {
    let (mobile, _) = identity::redeem_otp(
        state.store.as_ref(),
        &state.identity,
        &state.config.otp_policy,
        txn,
        proof,
        PURPOSE,
    )
    .await?;
    let posts = state.store.vaccinator_posts(&mobile).await?;
    if posts.is_empty() {
        return Err(DomainError::Rule(Rule::NotAVaccinator).into());
    }
    let centers: Vec<i64> = posts.iter().map(|p| p.center_id.0).collect();
    let token = state.tokens.vaccinator(
        state.clock.now().unix_timestamp(),
        &mobile,
        centers.clone(),
        key_id,
    )?;
    Ok((token, centers))
}
