//! The CoWIN v2 API that third-party apps use, at `/api/v2`, on the same core as v1: location
//! metadata and the OTP logins (public and protected), availability search and the live feed,
//! and the protected booking calls. Shapes follow the real responses in
//! `specs/cowin-v2-samples/`; OTPs are confirmed with the SHA-256 hex of the code, as real v2
//! clients send them. The public calls count against a per-address limit.
//!
//! Routes, by module:
//! - here: `GET /api/v2/admin/location/{states,districts/{state_id}}`,
//!   `GET /api/v2/appointment/centers/public/findByLatLong`,
//!   `POST /api/v2/auth/public/{generateOTP,confirmOTP}`,
//!   `POST /api/v2/auth/{generateMobileOTP,validateMobileOtp,logout}`,
//!   `POST /api/v2/auth/{generateOTP,confirmOTP}` (a partner app's `x-api-key`),
//!   `GET /api/v2/appointment/centers/findByLatLong` (token);
//! - [`sessions`]: `GET /api/v2/appointment/sessions/public/{findByPin,findByDistrict,
//!   calendarByPin,calendarByDistrict,calendarByCenter}` and the same without `public/`
//!   (token);
//! - [`feed`]: `GET /api/v2/appointment/sessions/public/stream` (Server-Sent Events);
//! - [`appointments`]: `GET /api/v2/registration/beneficiary/{genders,idTypes}`,
//!   `POST /api/v2/registration/beneficiary/{new,delete}`,
//!   `GET /api/v2/appointment/beneficiaries`,
//!   `POST /api/v2/appointment/{schedule,reschedule,cancel}`;
//! - [`slip`]: `GET /api/v2/appointment/appointmentslip/download`;
//! - [`captcha`]: `POST /api/v2/auth/getRecaptcha`.

use crate::AppState;
use crate::cowin_v1::login::{otp_login, send_otp};
use crate::cowin_v1::metadata::{DistrictBody, StateBody, district_list, state_list};
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::{AnyToken, PartnerApp};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::rate_limit::PublicCaller;
use axum::Json;
use axum::extract::State;
use sehat_domain::identity::{Otp, OtpProof};
use sehat_domain::values::{GeoPoint, Mobile};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long (hours) clients may cache location lists, as CoWIN's `ttl`.
pub(crate) const LOCATION_TTL_HOURS: u32 = 24;

/// The protected API: beneficiaries, booking, rescheduling, cancelling.
pub mod appointments;
/// The captcha a deployment may demand on booking: issuing one, checking the answer.
pub mod captcha;
/// The live availability feed (Server-Sent Events).
pub mod feed;
/// Availability search: sessions and calendars, public and protected.
pub mod sessions;
/// The appointment slip download (a PDF with a QR code).
pub mod slip;

/// The v2 routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(sessions::router())
        .merge(feed::router())
        .merge(appointments::router())
        .routes(routes!(slip::download_slip))
        .routes(routes!(captcha::get_recaptcha))
        .routes(routes!(states))
        .routes(routes!(districts))
        .routes(routes!(generate_public_otp))
        .routes(routes!(confirm_public_otp))
        .routes(routes!(generate_mobile_otp))
        .routes(routes!(validate_mobile_otp))
        .routes(routes!(generate_partner_otp))
        .routes(routes!(confirm_partner_otp))
        .routes(routes!(logout))
        .routes(routes!(centers_by_lat_long))
        .routes(routes!(centers_by_lat_long_protected))
}

/// Log out: the token is refused from now on, on every node, until it would have expired.
#[utoipa::path(post, path = "/api/v2/auth/logout", tag = "cowin-v2",
    security(("token" = [])),
    responses((status = 204, description = "the token is revoked"), (status = 401, body = ErrorBody)))]
async fn logout(auth: AnyToken) -> Result<axum::http::StatusCode, ApiError> {
    auth.store
        .revoke_token(&auth.claims.jti, auth.claims.exp)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The most centres `findByLatLong` returns.
const NEAREST_CENTERS: u32 = 100;

/// `lat=&long=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatLongQuery {
    /// Latitude in degrees (India: 6–38).
    #[param(minimum = 6.0, maximum = 38.0)]
    lat: f64,
    /// Longitude in degrees (India: 68–98).
    #[param(minimum = 68.0, maximum = 98.0)]
    long: f64,
}

/// A centre near a point: `lat`, `long` and `pincode` are strings, as in CoWIN's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyCenter {
    center_id: i64,
    name: String,
    district_name: String,
    state_name: String,
    location: String,
    #[schema(example = "400021")]
    pincode: String,
    block_name: String,
    #[schema(example = "18.92560000")]
    lat: String,
    #[schema(example = "72.82420000")]
    long: String,
}

/// `{"centers":[…],"ttl":24}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyList {
    centers: Vec<NearbyCenter>,
    ttl: u32,
}

/// The centres nearest a point, nearest first (at most 100; public, no token). An answer may
/// be up to a minute old (the list carries no seats; `ttl` tells clients to keep it 24 hours).
#[utoipa::path(get, path = "/api/v2/appointment/centers/public/findByLatLong", tag = "cowin-v2", params(LatLongQuery),
    responses((status = 200, body = NearbyList), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn centers_by_lat_long(
    _: PublicCaller,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<LatLongQuery>,
) -> Result<Json<NearbyList>, ApiError> {
    nearby(&state, &q).await.map(Json)
}

/// The same as `public/findByLatLong`, for the protected API (a guest's or a citizen's token).
#[utoipa::path(get, path = "/api/v2/appointment/centers/findByLatLong", tag = "cowin-v2", params(LatLongQuery),
    security(("token" = [])),
    responses((status = 200, body = NearbyList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn centers_by_lat_long_protected(
    _: AnyToken,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<LatLongQuery>,
) -> Result<Json<NearbyList>, ApiError> {
    nearby(&state, &q).await.map(Json)
}

async fn nearby(state: &AppState, q: &LatLongQuery) -> Result<NearbyList, ApiError> {
    let point = GeoPoint::new(q.lat, q.long).map_err(|e| ApiError::invalid("lat", e))?;
    let near = state
        .search_cache
        .centers_near(&*state.store, point, NEAREST_CENTERS)
        .await?;
    Ok(NearbyList {
        centers: near
            .iter()
            .map(|(c, _)| NearbyCenter {
                center_id: c.id.0,
                location: c.address.clone(),
                pincode: c.pincode.to_string(),
                block_name: c.block_name.clone().unwrap_or_default(),
                lat: c.lat.map_or_else(String::new, |v| format!("{v:.8}")),
                long: c.long.map_or_else(String::new, |v| format!("{v:.8}")),
                name: c.name.clone(),
                district_name: c.district_name.clone(),
                state_name: c.state_name.clone(),
            })
            .collect(),
        ttl: LOCATION_TTL_HOURS,
    })
}

/// `{"states":[…],"ttl":24}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateList {
    states: Vec<StateBody>,
    ttl: u32,
}

/// The states and union territories with their CoWIN ids (public, no token).
#[utoipa::path(get, path = "/api/v2/admin/location/states", tag = "cowin-v2",
    responses((status = 200, body = StateList), (status = 429, body = ErrorBody)))]
async fn states(_: PublicCaller, State(state): State<AppState>) -> Json<StateList> {
    Json(StateList {
        states: state_list(&state),
        ttl: LOCATION_TTL_HOURS,
    })
}

/// `{"districts":[…],"ttl":24}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictList {
    districts: Vec<DistrictBody>,
    ttl: u32,
}

/// `{state_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct StatePath {
    #[serde(deserialize_with = "crate::http::wire_formats::whole::number")]
    state_id: i64,
}

/// The districts of a state with their CoWIN ids (public, no token).
#[utoipa::path(get, path = "/api/v2/admin/location/districts/{state_id}", tag = "cowin-v2", params(("state_id" = i64, Path)),
    responses((status = 200, body = DistrictList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn districts(
    _: PublicCaller,
    State(state): State<AppState>,
    ApiPath(StatePath { state_id }): ApiPath<StatePath>,
) -> Result<Json<DistrictList>, ApiError> {
    Ok(Json(DistrictList {
        districts: district_list(&state, state_id)?,
        ttl: LOCATION_TTL_HOURS,
    }))
}

/// `{"mobile"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicOtpRequest {
    #[schema(pattern = r"^[6-9][0-9]{9}$", example = "9876543210")]
    mobile: String,
}

impl PublicOtpRequest {
    /// The mobile as sent.
    pub(crate) fn mobile(&self) -> &str {
        &self.mobile
    }
}

/// `{"mobile","secret"}`: the secret is a constant of the official web app; it is required
/// for compatibility and carries no authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MobileOtpRequest {
    #[schema(pattern = r"^[6-9][0-9]{9}$", example = "9876543210")]
    mobile: String,
    /// Any text that is not blank.
    #[schema(pattern = r"\S")]
    secret: String,
}

/// `{"txnId"}`; `otp` too in sandbox mode.
#[derive(Debug, Serialize, ToSchema)]
pub struct TxnReply {
    #[serde(rename = "txnId")]
    txn_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    otp: Option<String>,
}

impl TxnReply {
    /// The transaction, with the code itself only in sandbox mode.
    fn new(state: &AppState, txn_id: String, code: &Otp) -> Self {
        let otp = (state.config.otp_delivery == crate::notify::OtpDelivery::Sandbox)
            .then(|| code.expose().to_owned());
        Self { txn_id, otp }
    }
}

/// `{"otp": <SHA-256 hex of the code>, "txnId"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpConfirmation {
    /// The lowercase SHA-256 hex of the 6-digit code (the 6 digits are accepted too).
    #[schema(example = "8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92")]
    otp: String,
    #[serde(rename = "txnId")]
    txn_id: String,
}

impl OtpConfirmation {
    /// The OTP as sent (hex or digits).
    pub(crate) fn otp(&self) -> &str {
        &self.otp
    }

    /// The transaction.
    pub(crate) fn txn_id(&self) -> &str {
        &self.txn_id
    }
}

/// `{"token"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenReply {
    token: String,
}

/// `{"token","isNewAccount"}`: `isNewAccount` is `"Y"` when the mobile has no beneficiaries
/// yet, else `"N"`, as the published schema types it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidatedReply {
    token: String,
    #[serde(rename = "isNewAccount")]
    #[schema(example = "N", pattern = "^[YN]$")]
    is_new_account: &'static str,
}

impl ValidatedReply {
    fn new(token: String, is_new: bool) -> Self {
        Self {
            token,
            is_new_account: if is_new { "Y" } else { "N" },
        }
    }
}

/// The proof a client sent: the six digits, or their SHA-256 hex as v2 clients send it.
pub(crate) fn otp_proof(raw: &str) -> Result<OtpProof, ApiError> {
    match Otp::parse(raw) {
        Ok(code) => Ok(OtpProof::Code(code)),
        Err(_) => OtpProof::parse_sha256(raw).map_err(|e| ApiError::invalid("otp", e)),
    }
}

/// Sends an OTP for `purpose` to the mobile of a request body: the `{"txnId"}` answer (shared
/// with the vaccinator login).
pub(crate) async fn txn(
    state: &AppState,
    from: std::net::IpAddr,
    raw_mobile: &str,
    purpose: &'static str,
) -> Result<Json<TxnReply>, ApiError> {
    let mobile = Mobile::parse(raw_mobile).map_err(|e| ApiError::invalid("mobile", e))?;
    let (txn_id, code) = send_otp(state, from, &mobile, purpose).await?;
    Ok(Json(TxnReply::new(state, txn_id, &code)))
}

async fn redeem(state: &AppState, body: &OtpConfirmation) -> Result<(String, bool), ApiError> {
    let (token, account) = otp_login(state, &body.txn_id, &otp_proof(&body.otp)?).await?;
    let is_new = state.store.beneficiaries(&account).await?.is_empty();
    Ok((token, is_new))
}

/// Send an OTP (public API). The same limits as v1 (429 `USRAUT0005` with `Retry-After`), and the
/// same answer whether or not the mobile is registered.
#[utoipa::path(post, path = "/api/v2/auth/public/generateOTP", tag = "cowin-v2", request_body = PublicOtpRequest,
    responses((status = 200, body = TxnReply), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn generate_public_otp(
    PublicCaller(from): PublicCaller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PublicOtpRequest>,
) -> Result<Json<TxnReply>, ApiError> {
    txn(&state, from, &body.mobile, "login").await
}

/// Confirm the OTP with its SHA-256: a token for the mobile's family.
#[utoipa::path(post, path = "/api/v2/auth/public/confirmOTP", tag = "cowin-v2", request_body = OtpConfirmation,
    responses((status = 200, body = TokenReply), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn confirm_public_otp(
    _: PublicCaller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OtpConfirmation>,
) -> Result<Json<TokenReply>, ApiError> {
    let (token, _) = redeem(&state, &body).await?;
    Ok(Json(TokenReply { token }))
}

/// Send an OTP (protected API, as the official web app calls it).
#[utoipa::path(post, path = "/api/v2/auth/generateMobileOTP", tag = "cowin-v2", request_body = MobileOtpRequest,
    responses((status = 200, body = TxnReply), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn generate_mobile_otp(
    PublicCaller(from): PublicCaller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<MobileOtpRequest>,
) -> Result<Json<TxnReply>, ApiError> {
    if body.secret.trim().is_empty() {
        return Err(ApiError::invalid("secret", "is required"));
    }
    txn(&state, from, &body.mobile, "login").await
}

/// Confirm the OTP with its SHA-256: a token, and whether the mobile has no beneficiaries yet.
#[utoipa::path(post, path = "/api/v2/auth/validateMobileOtp", tag = "cowin-v2", request_body = OtpConfirmation,
    responses((status = 200, body = ValidatedReply), (status = 400, body = ErrorBody)))]
async fn validate_mobile_otp(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OtpConfirmation>,
) -> Result<Json<ValidatedReply>, ApiError> {
    let (token, is_new) = redeem(&state, &body).await?;
    Ok(Json(ValidatedReply::new(token, is_new)))
}

/// Send an OTP on a partner app's behalf (the protected API's login, as API Setu publishes it):
/// the app proves itself with its `x-api-key`; the same limits as every OTP.
#[utoipa::path(post, path = "/api/v2/auth/generateOTP", tag = "cowin-v2", request_body = PublicOtpRequest,
    params(("x-api-key" = String, Header, description = "the partner's API key")),
    responses((status = 200, body = TxnReply), (status = 400, body = ErrorBody),
        (status = 401, description = "USRAUT0008: no valid partner API key", body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn generate_partner_otp(
    PublicCaller(from): PublicCaller,
    State(state): State<AppState>,
    partner: Result<PartnerApp, ApiError>,
    ApiJson(body): ApiJson<PublicOtpRequest>,
) -> Result<Json<TxnReply>, ApiError> {
    partner?;
    txn(&state, from, &body.mobile, "login").await
}

/// Confirm the OTP with its SHA-256 on a partner app's behalf: the family's token, and whether
/// the mobile has no beneficiaries yet.
#[utoipa::path(post, path = "/api/v2/auth/confirmOTP", tag = "cowin-v2", request_body = OtpConfirmation,
    params(("x-api-key" = String, Header, description = "the partner's API key")),
    responses((status = 200, body = ValidatedReply), (status = 400, body = ErrorBody),
        (status = 401, description = "USRAUT0008: no valid partner API key", body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn confirm_partner_otp(
    _: PublicCaller,
    State(state): State<AppState>,
    partner: Result<PartnerApp, ApiError>,
    ApiJson(body): ApiJson<OtpConfirmation>,
) -> Result<Json<ValidatedReply>, ApiError> {
    partner?;
    let (token, is_new) = redeem(&state, &body).await?;
    Ok(Json(ValidatedReply::new(token, is_new)))
}

/// The login bodies read and converted as the handlers do, for `fuzz/`.
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing {
    use super::*;
    use crate::http::extract::from_json_slice;

    /// Reads body number `kind` from `json` and converts it into domain values.
    pub(crate) fn request_body(kind: u8, json: &[u8]) -> Result<(), ApiError> {
        match kind % 3 {
            0 => {
                let body: PublicOtpRequest = from_json_slice(json)?;
                Mobile::parse(&body.mobile).map_err(|e| ApiError::invalid("mobile", e))?;
            }
            1 => {
                let body: MobileOtpRequest = from_json_slice(json)?;
                Mobile::parse(&body.mobile).map_err(|e| ApiError::invalid("mobile", e))?;
            }
            _ => {
                let body: OtpConfirmation = from_json_slice(json)?;
                otp_proof(&body.otp)?;
            }
        }
        Ok(())
    }
}
