//! The CoWIN v1 registration and appointment API for partner apps (spec 000), at `/api/v1`.
//!
//! Shapes follow the spec's samples exactly, including their quirks: numbers where the samples
//! have numbers and strings where they have strings (`center_id` is a number when scheduling and
//! a string in the centre lists), dates as `dd-mm-yyyy`, masked identifiers `*****1403`, the guest
//! token as a bare string, and `Deleted Succssesfully`. Requests may send ids and numbers either
//! as JSON numbers or as strings. Which token each call needs:
//! - a guest (or beneficiary) token: reference data, centres, slots, registration (`add`);
//! - a beneficiary token: appointments, linked beneficiaries, and get/update/delete of a
//!   beneficiary of the token's own mobile (the spec's samples send only a reference id there,
//!   which a guest token must not be enough to read or change).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::{AnyToken, BeneficiaryToken};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::idempotency_key;
use crate::http::rate_limit::ClientAddress;
use crate::notify::OtpDelivery;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sehat_domain::beneficiary::{
    Address, Beneficiary, BeneficiaryRef, BirthYear, GenderId, NewBeneficiary, PhotoId,
};
use sehat_domain::booking::{Appointment, AppointmentNo, BookingRequest, BookingStatus};
use sehat_domain::facility::Center;
use sehat_domain::identity::{self, MobileHash, Otp, OtpProof};
use sehat_domain::ids::{BlockId, CenterId, DistrictId, LocalityId, SlotId, StateId};
use sehat_domain::master::{GENDERS, PHOTO_ID_TYPES};
use sehat_domain::store::{CenterArea, CenterSummary, Registration, RescheduleRequest};
use sehat_domain::values::{
    Mobile, Name, Pincode, SlotTimings, format_cowin_date, parse_cowin_date,
};
use sehat_domain::{DomainError, Rule};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The v1 routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(guest_login))
        .routes(routes!(send_mobile_otp))
        .routes(routes!(confirm_mobile_otp))
        .routes(routes!(confirm_mobile_dob))
        .routes(routes!(add_beneficiary))
        .routes(routes!(update_beneficiary))
        .routes(routes!(get_beneficiary))
        .routes(routes!(delete_beneficiary))
        .routes(routes!(linked_beneficiaries))
        .routes(routes!(schedule_appointment))
        .routes(routes!(reschedule_appointment))
        .routes(routes!(cancel_appointment))
        .routes(routes!(list_appointments))
        .routes(routes!(centers_by_pin))
        .routes(routes!(centers_by_pin_lower))
        .routes(routes!(centers_by_block))
        .routes(routes!(centers_by_block_upper))
        .routes(routes!(centers_by_district))
        .routes(routes!(centers_by_district_upper))
        .routes(routes!(timeslots_by_center))
        .routes(routes!(photo_id_types))
        .routes(routes!(photo_id_types_upper))
        .routes(routes!(genders))
        .routes(routes!(states))
        .routes(routes!(districts))
        .routes(routes!(blocks))
        .routes(routes!(localities))
        .routes(routes!(localities_doubled_path))
}

/// A JSON value the spec sends sometimes as a number and sometimes as a string.
pub(crate) fn loose_text(value: &Value) -> Option<String> {
    match value {
        // JSON has one number type: `1.4e13` is the whole number 14000000000000 too.
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                format!("{f:.0}")
            }
            _ => n.to_string(),
        }),
        Value::String(s) => Some(s.trim().to_owned()),
        _ => None,
    }
}

pub(crate) fn loose_i64(field: &'static str, value: &Value) -> Result<i64, ApiError> {
    loose_text(value)
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| ApiError::invalid(field, "must be a whole number"))
}

fn loose_opt_i64(field: &'static str, value: &Option<Value>) -> Result<Option<i64>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => loose_i64(field, v).map(Some),
    }
}

pub(crate) fn reference_id(field: &'static str, value: &Value) -> Result<BeneficiaryRef, ApiError> {
    BeneficiaryRef::new(loose_i64(field, value)?).map_err(|e| ApiError::invalid(field, e))
}

fn mobile(field: &'static str, value: &Value) -> Result<Mobile, ApiError> {
    let text = loose_text(value)
        .ok_or_else(|| ApiError::invalid(field, "must be a 10-digit mobile number"))?;
    Mobile::parse(&text).map_err(|e| ApiError::invalid(field, e))
}

/// OTPs: six digits. The sandbox echoes the OTP as a JSON number (as spec 000's sample does),
/// which loses leading zeros, and clients pass it on as a number or as its text: both are
/// padded back to six digits.
fn otp(value: &Value) -> Result<Otp, ApiError> {
    let text = match value {
        Value::Number(n) => n
            .as_u64()
            .filter(|n| *n < 1_000_000)
            .map(|n| format!("{n:06}")),
        Value::String(s)
            if (1..6).contains(&s.trim().len()) && s.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(format!("{:0>6}", s.trim()))
        }
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
    .ok_or_else(|| ApiError::invalid("otp", "must be the 6-digit OTP"))?;
    Otp::parse(&text).map_err(|e| ApiError::invalid("otp", e))
}

fn this_year(state: &AppState) -> i32 {
    state.clock.today().year()
}

// ---------------------------------------------------------------- auth

/// `{"user_name"}`: the partner app's user name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestLogin {
    #[schema(pattern = r"^[A-Za-z0-9._@-]{1,64}$", example = "99999999999999999999")]
    user_name: String,
}

/// Log in as a guest (a partner app): the answer is the bare token (a JWT with `exp`), valid 15
/// minutes, as spec 000's sample shows it. The partner proves itself with its API key in the
/// `x-api-key` header (issued by an admin: `POST /admin/v1/partners/{partner}/keys`); the token
/// stops working when that key is revoked or retired.
#[utoipa::path(post, path = "/api/v1/auth/guest/login", tag = "cowin-v1", request_body = GuestLogin,
    params(("x-api-key" = String, Header, description = "the partner's API key")),
    responses((status = 200, description = "the guest token", content_type = "text/plain", body = String), (status = 400, body = ErrorBody),
        (status = 401, description = "USRAUT0008: no valid partner API key", body = ErrorBody)))]
async fn guest_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<GuestLogin>,
) -> Result<Response, ApiError> {
    let name = body.user_name.trim();
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
    {
        return Err(ApiError::invalid(
            "user_name",
            "must be 1-64 letters, digits or . _ - @",
        ));
    }
    let presented = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let now_ms = state.clock.now_millis();
    let key = sehat_domain::credentials::check_partner_key(
        state.store.as_ref(),
        &state.identity,
        presented,
        now_ms,
    )
    .await?;
    let token = state
        .tokens
        .guest(now_ms.div_euclid(1000), &key.partner, &key.id)?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        token,
    )
        .into_response())
}

/// `{"mobile"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MobileBody {
    #[schema(value_type = String, pattern = r"^[6-9][0-9]{9}$", example = "9876543210")]
    mobile: Value,
}

/// The OTP transaction; `otp` only in sandbox mode.
#[derive(Debug, Serialize, ToSchema)]
pub struct TxnBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 123456)]
    otp: Option<u32>,
    #[serde(rename = "txnId")]
    txn_id: String,
}

/// The OTP text people receive.
pub fn otp_message(code: &Otp) -> String {
    format!(
        "{} is your sehat OTP. It is valid for 3 minutes. Do not share it with anyone.",
        code.expose()
    )
}

/// Sends an OTP by the configured delivery and answers with its transaction (shared with v2).
pub async fn send_otp(
    state: &AppState,
    from: std::net::IpAddr,
    mobile: &Mobile,
    purpose: &'static str,
) -> Result<(String, Otp), ApiError> {
    let config = &state.config;
    let per_address = config.otp_policy.per_address_per_hour;
    if per_address > 0 {
        // Counted in the database (so on every node), under a keyed hash of the address.
        let subject = state
            .identity
            .keyed_digest("otp-address", &[&from.to_string()]);
        state
            .store
            .take_attempt(&format!("otp-address:{subject}"), per_address, 3_600_000)
            .await
            .map_err(|e| match e {
                DomainError::Rule(Rule::TooManyAttempts { retry_after_secs }) => {
                    DomainError::Rule(Rule::OtpRateLimited { retry_after_secs })
                }
                other => other,
            })?;
    }
    let (txn_id, code) = identity::issue_otp(
        state.store.as_ref(),
        &state.identity,
        &config.otp_policy,
        mobile,
        purpose,
    )
    .await?;
    if config.otp_delivery != OtpDelivery::Sandbox {
        let text = otp_message(&code);
        state
            .notifier
            .send_sms(&crate::notify::Sms {
                to: mobile,
                text: &text,
                key: &txn_id,
            })
            .await?;
    }
    Ok((txn_id, code))
}

/// Send an OTP to a mobile (the spec's names are swapped: this call sends it). The answer is the
/// same whether or not the mobile is registered. Limits: a resend gap and hourly/daily caps per
/// mobile (429 `USRAUT0005` with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/confirmMobileOTP", tag = "cowin-v1", request_body = MobileBody,
    responses((status = 200, body = TxnBody), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn send_mobile_otp(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    ApiJson(body): ApiJson<MobileBody>,
) -> Result<Json<TxnBody>, ApiError> {
    let mobile = mobile("mobile", &body.mobile)?;
    let (txn_id, code) = send_otp(&state, from, &mobile, "login").await?;
    let echo = (state.config.otp_delivery == OtpDelivery::Sandbox)
        .then(|| code.expose().parse().unwrap_or(0));
    Ok(Json(TxnBody { otp: echo, txn_id }))
}

/// `{"otp","txnId"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpBody {
    #[schema(value_type = String, example = "123456")]
    otp: Value,
    #[serde(rename = "txnId")]
    txn_id: String,
}

/// A token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenBody {
    token: String,
}

/// Confirm the OTP: a beneficiary token for the mobile's family. At most 3 tries per txnId; an
/// OTP works once and for 3 minutes.
#[utoipa::path(post, path = "/api/v1/auth/mobileOTP", tag = "cowin-v1", request_body = OtpBody,
    responses((status = 200, body = TokenBody), (status = 400, description = "USRAUT0002 wrong OTP, USRAUT0003 expired or used, USRAUT0004 too many tries", body = ErrorBody)))]
async fn confirm_mobile_otp(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OtpBody>,
) -> Result<Json<TokenBody>, ApiError> {
    let proof = OtpProof::Code(otp(&body.otp)?);
    let (token, _) = otp_login(&state, &body.txn_id, &proof).await?;
    Ok(Json(TokenBody { token }))
}

/// Redeems a login OTP and issues the family's token (shared with v2).
pub(crate) async fn otp_login(
    state: &AppState,
    txn_id: &str,
    proof: &OtpProof,
) -> Result<(String, MobileHash), ApiError> {
    let policy = &state.config.otp_policy;
    let (account, _) = identity::redeem_otp(
        state.store.as_ref(),
        &state.identity,
        policy,
        txn_id,
        proof,
        "login",
    )
    .await?;
    let token = state
        .tokens
        .beneficiary(state.clock.now().unix_timestamp(), &account, None)?;
    Ok((token, account))
}

/// `{"beneficiary_reference_id","mobile","birth_year"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MobileDobBody {
    #[schema(value_type = i64, minimum = 10000000000000_i64, maximum = 99999999999999_i64, example = 21363181496731_i64)]
    beneficiary_reference_id: Value,
    #[schema(value_type = String, pattern = r"^[6-9][0-9]{9}$", example = "9871234567")]
    mobile: Value,
    #[schema(value_type = i32, example = 1980)]
    birth_year: Value,
}

/// Authenticate by reference id, mobile and year of birth: a beneficiary token for that person
/// (a whole family's token needs the OTP). At most 5 tries per reference id an hour (429
/// `USRAUT0005`).
#[utoipa::path(post, path = "/api/v1/auth/confirmMobileDob", tag = "cowin-v1", request_body = MobileDobBody,
    responses((status = 200, body = TokenBody), (status = 400, body = ErrorBody), (status = 401, description = "USRAUT0006 details do not match", body = ErrorBody),
        (status = 429, description = "USRAUT0007 more than 5 tries for this reference id in an hour", body = ErrorBody)))]
async fn confirm_mobile_dob(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<MobileDobBody>,
) -> Result<Json<TokenBody>, ApiError> {
    let id = reference_id("beneficiary_reference_id", &body.beneficiary_reference_id)?;
    let mobile = mobile("mobile", &body.mobile)?;
    let year = loose_i64("birth_year", &body.birth_year)?;
    let mismatch = || ApiError::from(DomainError::Rule(Rule::CredentialsMismatch));
    // Reference id, mobile and year of birth are weak secrets: at most 5 tries per reference id
    // an hour, and the token speaks for that one person. A whole family's token needs the OTP,
    // for anyone may register someone under any mobile with a guest token.
    state
        .store
        .take_attempt(&format!("dob:{}", id.get()), 5, 3_600_000)
        .await?;
    let (person, account) = match state.store.beneficiary_account(id).await {
        Ok(found) => found,
        Err(DomainError::NotFound(_)) => return Err(mismatch()),
        Err(e) => return Err(e.into()),
    };
    let same_mobile = state.identity.mobile_hash(&mobile) == account;
    if !same_mobile || i64::from(person.birth_year) != year {
        return Err(mismatch());
    }
    let token = state
        .tokens
        .beneficiary(state.clock.now().unix_timestamp(), &account, Some(id))?;
    Ok(Json(TokenBody { token }))
}

// ---------------------------------------------------------------- registration

/// A registration, as spec 000's sample sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BeneficiaryForm {
    /// Only in `update`.
    #[schema(value_type = Option<i64>)]
    beneficiary_reference_id: Option<Value>,
    #[schema(example = "Apparao")]
    name: String,
    #[schema(value_type = String, example = "1980")]
    birth_year: Value,
    /// Male, Female or Others.
    #[schema(example = "Male")]
    gender: String,
    #[schema(value_type = i64, minimum = 6000000000_i64, maximum = 9999999999_i64, example = 8796561403_i64)]
    mobile_number: Value,
    /// 1–13, see `getBeneficiaryIdType`.
    #[schema(value_type = i64, example = 1)]
    photo_id_type: Value,
    #[schema(value_type = String, example = "234123412346")]
    photo_id_number: Value,
    #[schema(value_type = Option<String>)]
    health_id_number: Option<Value>,
    #[schema(value_type = Option<i64>)]
    state_id: Option<Value>,
    #[schema(value_type = Option<i64>)]
    district_id: Option<Value>,
    #[schema(value_type = Option<i64>)]
    block_id: Option<Value>,
    #[schema(value_type = Option<i64>)]
    locality_id: Option<Value>,
    #[schema(value_type = Option<String>)]
    pincode: Option<Value>,
    address: Option<String>,
    /// Must be `Y`.
    #[schema(example = "Y")]
    consent: String,
}

/// The registration answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredBody {
    offline_mode: u8,
    #[schema(example = 21363381933156_i64)]
    beneficiary_reference_id: i64,
    token: String,
}

impl BeneficiaryForm {
    fn person(&self, this_year: i32) -> Result<(NewBeneficiary, Mobile), ApiError> {
        if !self.consent.trim().eq_ignore_ascii_case("Y") {
            return Err(ApiError::invalid(
                "consent",
                "must be \"Y\": registration needs the person's consent",
            ));
        }
        let name = Name::parse(&self.name).map_err(|e| ApiError::invalid("name", e))?;
        let year = loose_text(&self.birth_year).unwrap_or_default();
        let birth_year =
            BirthYear::parse(&year, this_year).map_err(|e| ApiError::invalid("birth_year", e))?;
        let gender = GenderId::parse(&self.gender).map_err(|e| ApiError::invalid("gender", e))?;
        let mobile = mobile("mobile_number", &self.mobile_number)?;
        let id_type = loose_i64("photo_id_type", &self.photo_id_type)?;
        let number = loose_text(&self.photo_id_number)
            .ok_or_else(|| ApiError::invalid("photo_id_number", "is required"))?;
        let photo_id = PhotoId::parse(id_type, &number)?;
        // The ABHA (health ID) number is accepted for compatibility and checked, not stored yet.
        if let Some(health_id) = self
            .health_id_number
            .as_ref()
            .and_then(loose_text)
            .filter(|h| !h.is_empty() && h != "null")
        {
            let digits: String = health_id.chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 14 || health_id.chars().any(|c| !c.is_ascii_digit() && c != '-') {
                return Err(ApiError::invalid(
                    "health_id_number",
                    "an ABHA number has 14 digits",
                ));
            }
        }
        let pincode = match &self.pincode {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() || s == "null" => None,
            Some(v) => Some(
                Pincode::parse(&loose_text(v).unwrap_or_default())
                    .map_err(|e| ApiError::invalid("pincode", e))?,
            ),
        };
        let address = Address {
            state_id: loose_opt_i64("state_id", &self.state_id)?.map(StateId),
            district_id: loose_opt_i64("district_id", &self.district_id)?.map(DistrictId),
            block_id: loose_opt_i64("block_id", &self.block_id)?.map(BlockId),
            locality_id: loose_opt_i64("locality_id", &self.locality_id)?.map(LocalityId),
            pincode,
            // The spec's sample sends the text "null" for no address.
            line: self
                .address
                .as_deref()
                .map(str::trim)
                .filter(|a| *a != "null")
                .unwrap_or("")
                .chars()
                .take(500)
                .collect(),
        };
        Ok((
            NewBeneficiary {
                name,
                birth_year,
                gender,
                photo_id,
                address,
                comorbidity: false,
            },
            mobile,
        ))
    }

    async fn registration(
        &self,
        state: &AppState,
        reference_id: BeneficiaryRef,
    ) -> Result<(Registration, Mobile), ApiError> {
        let (mut person, mobile) = self.person(this_year(state))?;
        person.address = state
            .gazetteer
            .check_address(state.store.as_ref(), person.address)
            .await?;
        let registration = Registration::new(&state.identity, reference_id, Ok(&mobile), person);
        Ok((registration, mobile))
    }
}

/// Register a beneficiary under a mobile (guest token). Consent must be `Y`; the photo-ID number is
/// checked by type (Aadhaar: 12 digits with a Verhoeff check digit; PAN, passport, voter ID,
/// driving licence by their formats); one photo ID registers one person; a mobile carries at most
/// 4 beneficiaries; state, district, block, locality and pincode must exist and agree. The token
/// returned acts for this beneficiary only: the whole family needs the OTP or `confirmMobileDob`.
#[utoipa::path(post, path = "/api/v1/registration/beneficiary/add", tag = "cowin-v1", request_body = BeneficiaryForm,
    security(("token" = [])),
    responses((status = 200, body = RegisteredBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "USRRES0010 family full, USRRES0011 photo ID already registered", body = ErrorBody)))]
async fn add_beneficiary(
    auth: AnyToken,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<BeneficiaryForm>,
) -> Result<Json<RegisteredBody>, ApiError> {
    if form
        .beneficiary_reference_id
        .as_ref()
        .is_some_and(|v| !v.is_null())
    {
        return Err(ApiError::invalid(
            "beneficiary_reference_id",
            "is given by sehat; use update to change a beneficiary",
        ));
    }
    let (registration, _) = form.registration(&state, BeneficiaryRef::random()).await?;
    let person = auth
        .store
        .register_beneficiary(&registration, state.config.family_size)
        .await?;
    let token = state.tokens.beneficiary(
        state.clock.now().unix_timestamp(),
        &registration.account,
        Some(person.reference_id),
    )?;
    Ok(Json(RegisteredBody {
        offline_mode: 0,
        beneficiary_reference_id: person.reference_id.get(),
        token,
    }))
}

/// Update a beneficiary of the token's mobile (`mobile_number` must be that mobile).
#[utoipa::path(post, path = "/api/v1/registration/beneficiary/update", tag = "cowin-v1", request_body = BeneficiaryForm,
    security(("token" = [])),
    responses((status = 200, body = RegisteredBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_beneficiary(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<BeneficiaryForm>,
) -> Result<Json<RegisteredBody>, ApiError> {
    let raw = form
        .beneficiary_reference_id
        .as_ref()
        .ok_or_else(|| ApiError::invalid("beneficiary_reference_id", "is required"))?;
    let id = reference_id("beneficiary_reference_id", raw)?;
    if !auth.may_act_for(id) {
        return Err(ApiError::not_found("beneficiary"));
    }
    // Another family's beneficiary is not found, whatever else the form says.
    state.store.beneficiary(&auth.account, id).await?;
    let (registration, _) = form.registration(&state, id).await?;
    if registration.account != auth.account {
        return Err(ApiError::invalid(
            "mobile_number",
            "is not the mobile this beneficiary is registered with",
        ));
    }
    let person = auth.store.update_beneficiary(&registration).await?;
    let token =
        state
            .tokens
            .beneficiary(state.clock.now().unix_timestamp(), &auth.account, auth.only)?;
    Ok(Json(RegisteredBody {
        offline_mode: 0,
        beneficiary_reference_id: person.reference_id.get(),
        token,
    }))
}

/// The schema of a number that is `""` when there is none, as spec 000's samples show both.
fn number_or_empty() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let one_of = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .build();
    Schema::OneOf(one_of)
}

/// A beneficiary as spec 000 shows one: identifiers masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct BeneficiaryBody {
    #[schema(example = 123412341234_i64)]
    beneficiary_reference_id: i64,
    name: String,
    birth_year: i32,
    #[schema(example = "Male")]
    gender: &'static str,
    #[schema(example = "*****1403")]
    mobile_number: String,
    photo_id_type: i64,
    #[schema(example = "*****9999")]
    photo_id_number: String,
    state_name: String,
    district_name: String,
    block_name: String,
    locality_name: String,
    /// The pincode as a number, or `""` when not given (as the spec's samples show both).
    #[schema(schema_with = number_or_empty)]
    pincode: Value,
    address: String,
}

impl From<&Beneficiary> for BeneficiaryBody {
    fn from(b: &Beneficiary) -> Self {
        fn name<T>(part: &Option<(T, String)>) -> String {
            part.as_ref().map_or_else(String::new, |(_, n)| n.clone())
        }
        Self {
            beneficiary_reference_id: b.reference_id.get(),
            name: b.name.clone(),
            birth_year: b.birth_year,
            gender: b.gender.name(),
            mobile_number: b.masked_mobile(),
            photo_id_type: b.photo_id_type,
            photo_id_number: b.masked_photo_id(),
            state_name: name(&b.state),
            district_name: name(&b.district),
            block_name: name(&b.block),
            locality_name: name(&b.locality),
            pincode: b
                .pincode
                .map_or_else(|| Value::String(String::new()), |p| Value::from(p.get())),
            address: b.address.clone(),
        }
    }
}

/// `beneficiary_reference_id` as a query parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferenceQuery {
    /// The beneficiary reference id (may also be sent as a JSON body, as the spec's sample does).
    #[param(value_type = Option<i64>, minimum = 10000000000000_i64, maximum = 99999999999999_i64)]
    beneficiary_reference_id: Option<String>,
}

/// `{"beneficiary_reference_id"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceBody {
    #[schema(value_type = i64, minimum = 10000000000000_i64, maximum = 99999999999999_i64, example = 12345678901234_i64)]
    beneficiary_reference_id: Value,
}

/// One beneficiary of the token's mobile, by reference id (query parameter, or JSON body as the
/// spec's sample sends it).
#[utoipa::path(get, path = "/api/v1/registration/beneficiary", tag = "cowin-v1", params(ReferenceQuery),
    security(("token" = [])),
    responses((status = 200, body = BeneficiaryBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_beneficiary(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ReferenceQuery>,
    request: axum::extract::Request,
) -> Result<Json<BeneficiaryBody>, ApiError> {
    let body = crate::http::extract::read_body(request, state.config.body_limit_bytes).await?;
    let raw = match query.beneficiary_reference_id {
        Some(q) => Value::String(q),
        None if !body.is_empty() => {
            let parsed: ReferenceBody =
                serde_json::from_slice(&body).map_err(|e| ApiError::invalid("body", e))?;
            parsed.beneficiary_reference_id
        }
        None => return Err(ApiError::invalid("beneficiary_reference_id", "is required")),
    };
    let id = reference_id("beneficiary_reference_id", &raw)?;
    if !auth.may_act_for(id) {
        return Err(ApiError::not_found("beneficiary"));
    }
    let person = state.store.beneficiary(&auth.account, id).await?;
    Ok(Json((&person).into()))
}

/// Delete a beneficiary of the token's mobile (refused while it has an active appointment).
/// Answers `Deleted Succssesfully`, spelt as the spec spells it.
#[utoipa::path(post, path = "/api/v1/registration/beneficiary/delete", tag = "cowin-v1", request_body = ReferenceBody,
    security(("token" = [])),
    responses((status = 200, content_type = "text/plain", body = String, example = "Deleted Succssesfully"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_beneficiary(
    auth: BeneficiaryToken,
    ApiJson(body): ApiJson<ReferenceBody>,
) -> Result<Response, ApiError> {
    let id = reference_id("beneficiary_reference_id", &body.beneficiary_reference_id)?;
    if !auth.may_act_for(id) {
        return Err(ApiError::not_found("beneficiary"));
    }
    auth.store.delete_beneficiary(&auth.account, id).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        "Deleted Succssesfully",
    )
        .into_response())
}

/// `{"beneficiaries":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BeneficiaryList {
    beneficiaries: Vec<BeneficiaryBody>,
}

/// The beneficiaries registered under the token's mobile.
#[utoipa::path(get, path = "/api/v1/appointment/linkedBeneficiaries", tag = "cowin-v1",
    security(("token" = [])),
    responses((status = 200, body = BeneficiaryList), (status = 401, body = ErrorBody)))]
async fn linked_beneficiaries(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
) -> Result<Json<BeneficiaryList>, ApiError> {
    let people = state.store.beneficiaries(&auth.account).await?;
    Ok(Json(BeneficiaryList {
        beneficiaries: people
            .iter()
            .filter(|b| auth.may_act_for(b.reference_id))
            .map(BeneficiaryBody::from)
            .collect(),
    }))
}

// ---------------------------------------------------------------- appointments

/// `{"center_id","date","slot_id","beneficiaries"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    #[schema(value_type = i64, example = 1234)]
    center_id: Value,
    #[schema(example = "31-03-2021")]
    date: String,
    #[schema(value_type = i64, example = 1)]
    slot_id: Value,
    #[schema(value_type = Vec<crate::http::wire_formats::ReferenceNumber>)]
    beneficiaries: Vec<Value>,
}

/// `{"appointment_confirmation_no"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationBody {
    #[schema(example = 21363381933156_i64)]
    appointment_confirmation_no: i64,
}

pub(crate) fn beneficiary_list(values: &[Value]) -> Result<Vec<BeneficiaryRef>, ApiError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            loose_i64("beneficiaries", v).and_then(|n| {
                BeneficiaryRef::new(n)
                    .map_err(|e| ApiError::invalid(format!("beneficiaries[{i}]"), e))
            })
        })
        .collect()
}

fn booking(
    auth: &BeneficiaryToken,
    center: &Value,
    date: &str,
    slot: &Value,
    people: &[Value],
) -> Result<BookingRequest, ApiError> {
    let beneficiaries = beneficiary_list(people)?;
    if beneficiaries.iter().any(|b| !auth.may_act_for(*b)) {
        return Err(ApiError::not_found("beneficiary"));
    }
    let request = BookingRequest {
        account: auth.account.clone(),
        center_id: CenterId(loose_i64("center_id", center)?),
        date: parse_cowin_date(date).map_err(|e| ApiError::invalid("date", e))?,
        slot_id: SlotId(loose_i64("slot_id", slot)?),
        beneficiaries,
        dose: None,
    };
    request.validate()?;
    Ok(request)
}

/// Book a slot for beneficiaries of the token's mobile, all or none. Never past the slot's
/// capacity (409 `APPOIN0040`); one active appointment per beneficiary and dose (409
/// `APPOIN0045`); the session's age limits and date apply. An `Idempotency-Key` header makes
/// retries safe: the same key and body get the first answer, another body 422 `APPOIN0047`.
#[utoipa::path(post, path = "/api/v1/appointment/scheduleAppointment", tag = "cowin-v1", request_body = ScheduleBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("token" = [])),
    responses((status = 200, body = ConfirmationBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn schedule_appointment(
    auth: BeneficiaryToken,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<ConfirmationBody>, ApiError> {
    let key = idempotency_key(&headers, &auth.account, "v1/schedule", &body)?;
    let form: ScheduleBody = crate::http::extract::from_json_value(body)?;
    let request = booking(
        &auth,
        &form.center_id,
        &form.date,
        &form.slot_id,
        &form.beneficiaries,
    )?;
    let appointment = auth.store.book(&request, key.as_ref()).await?;
    Ok(Json(ConfirmationBody {
        appointment_confirmation_no: appointment.number.get(),
    }))
}

/// `{"appointment_confirmation_no","center_id","date","slot_id","beneficiaries"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    #[schema(value_type = i64, minimum = 10000000000000_i64, maximum = 99999999999999_i64, example = 21363381933156_i64)]
    appointment_confirmation_no: Value,
    #[schema(value_type = i64)]
    center_id: Value,
    #[schema(example = "31-03-2021")]
    date: String,
    #[schema(value_type = i64)]
    slot_id: Value,
    /// Who moves; all of the appointment when absent or empty.
    #[serde(default)]
    #[schema(value_type = Vec<crate::http::wire_formats::ReferenceNumber>)]
    beneficiaries: Vec<Value>,
}

fn appointment_no(value: &Value) -> Result<AppointmentNo, ApiError> {
    AppointmentNo::new(loose_i64("appointment_confirmation_no", value)?)
        .map_err(|e| ApiError::invalid("appointment_confirmation_no", e))
}

/// Move an appointment to another slot atomically: the new seats are taken and the old ones
/// released in one transaction, or nothing changes. Moving only some of its beneficiaries gives
/// them a new confirmation number.
#[utoipa::path(post, path = "/api/v1/appointment/rescheduleAppointment", tag = "cowin-v1", request_body = RescheduleBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("token" = [])),
    responses((status = 200, body = ConfirmationBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reschedule_appointment(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<ConfirmationBody>, ApiError> {
    let key = idempotency_key(&headers, &auth.account, "v1/reschedule", &body)?;
    let form: RescheduleBody = crate::http::extract::from_json_value(body)?;
    let number = appointment_no(&form.appointment_confirmation_no)?;
    let mut movers = beneficiary_list(&form.beneficiaries)?;
    if let Some(only) = auth.only {
        // A token for one person moves that person only.
        if movers.iter().any(|b| *b != only) {
            return Err(ApiError::not_found("beneficiary"));
        }
        movers = vec![only];
        let current = state.store.appointment(&auth.account, number).await?;
        if !current.active().any(|b| b == only) {
            return Err(ApiError::not_found("appointment"));
        }
    }
    let to = BookingRequest {
        account: auth.account.clone(),
        center_id: CenterId(loose_i64("center_id", &form.center_id)?),
        date: parse_cowin_date(&form.date).map_err(|e| ApiError::invalid("date", e))?,
        slot_id: SlotId(loose_i64("slot_id", &form.slot_id)?),
        beneficiaries: movers,
        dose: None,
    };
    let appointment = auth
        .store
        .reschedule(&RescheduleRequest { number, to }, key.as_ref())
        .await?;
    Ok(Json(ConfirmationBody {
        appointment_confirmation_no: appointment.number.get(),
    }))
}

/// `{"appointment_confirmation_no","beneficiaries"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[schema(value_type = i64, minimum = 10000000000000_i64, maximum = 99999999999999_i64)]
    appointment_confirmation_no: Value,
    /// Who to cancel; everyone in the appointment when absent or empty.
    #[serde(default)]
    #[schema(value_type = Vec<crate::http::wire_formats::ReferenceNumber>)]
    beneficiaries: Vec<Value>,
}

/// Cancel some or all beneficiaries of an appointment (as the v2 sister API does). Their seats
/// return exactly once: cancelling again changes nothing. Answers 204.
#[utoipa::path(post, path = "/api/v1/appointment/cancel", tag = "cowin-v1", request_body = CancelBody,
    security(("token" = [])),
    responses((status = 204, description = "cancelled"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn cancel_appointment(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<StatusCode, ApiError> {
    let number = appointment_no(&body.appointment_confirmation_no)?;
    let who = beneficiary_list(&body.beneficiaries)?;
    cancel_as(&state, &auth, number, &who).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels some (or all) beneficiaries of an appointment as a token may (shared with v2): a
/// token limited to one beneficiary cancels only that one's seat, and sees no other
/// appointment — not even whether it exists.
pub(crate) async fn cancel_as(
    state: &AppState,
    auth: &BeneficiaryToken,
    number: AppointmentNo,
    who: &[BeneficiaryRef],
) -> Result<(), ApiError> {
    if who.iter().any(|b| !auth.may_act_for(*b)) {
        return Err(ApiError::not_found("beneficiary"));
    }
    if let Some(only) = auth.only {
        let current = state.store.appointment(&auth.account, number).await?;
        if !current.beneficiaries.iter().any(|b| b.reference_id == only) {
            return Err(ApiError::not_found("appointment"));
        }
        auth.store.cancel(&auth.account, number, &[only]).await?;
    } else {
        auth.store.cancel(&auth.account, number, who).await?;
    }
    Ok(())
}

/// The centre of an appointment, as spec 000's sample shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentCenterBody {
    center_id: i64,
    name: String,
    center_incharge: String,
    /// The centre in-charge's contact number (a facility contact, not a beneficiary's), or `""`.
    #[schema(schema_with = number_or_empty)]
    mobile: Value,
    state_name: String,
    district_name: String,
    block_name: String,
    vtc: String,
    location: String,
    pincode: u32,
    area: &'static str,
    timings: String,
    vaccine_type: String,
    daily_capacity: String,
    centre_type: &'static str,
    expiry_date: String,
}

/// The appointment part.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentPart {
    appointment_confirmation_no: i64,
    #[schema(example = "31-03-2021")]
    date: String,
    slot_id: i64,
    slot_name: String,
    #[schema(example = "9AM-11AM")]
    timings: String,
    #[schema(example = "ACTIVE")]
    status: &'static str,
}

/// One appointment with its beneficiaries and centre.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentBody {
    beneficiaries: Vec<BeneficiaryBody>,
    center: AppointmentCenterBody,
    appointment: AppointmentPart,
}

/// `{"appointments":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentList {
    appointments: Vec<AppointmentBody>,
}

/// What the centre lists and appointments say about a centre beyond its own fields.
struct CenterFacts {
    timings: String,
    vaccine_type: String,
    daily_capacity: String,
    expiry_date: String,
}

fn center_facts(center: &Center, summary: Option<&CenterSummary>) -> CenterFacts {
    let timings = summary
        .and_then(|s| s.hours)
        .and_then(|(start, end)| SlotTimings::new(start, end).ok())
        .map_or_else(String::new, SlotTimings::to_cowin_v1);
    let vaccines = summary
        .map(|s| s.vaccines.clone())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| center.vaccine_codes.clone());
    CenterFacts {
        timings,
        vaccine_type: vaccines.join(","),
        daily_capacity: summary.map_or_else(String::new, |s| s.daily_capacity.to_string()),
        expiry_date: summary
            .and_then(|s| s.last_date)
            .map_or_else(String::new, format_cowin_date),
    }
}

async fn summaries(
    state: &AppState,
    centers: &[CenterId],
) -> Result<HashMap<CenterId, CenterSummary>, ApiError> {
    Ok(state
        .store
        .center_summaries(centers, state.clock.today())
        .await?
        .into_iter()
        .collect())
}

/// The appointments of the token's mobile, newest first.
#[utoipa::path(get, path = "/api/v1/appointment", tag = "cowin-v1",
    security(("token" = [])),
    responses((status = 200, body = AppointmentList), (status = 401, body = ErrorBody)))]
async fn list_appointments(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
) -> Result<Json<AppointmentList>, ApiError> {
    let appointments = state.store.appointments(&auth.account).await?;
    let people: HashMap<BeneficiaryRef, Beneficiary> = state
        .store
        .beneficiaries(&auth.account)
        .await?
        .into_iter()
        .map(|b| (b.reference_id, b))
        .collect();
    let mut center_ids: Vec<CenterId> = appointments.iter().map(|a| a.center_id).collect();
    center_ids.sort();
    center_ids.dedup();
    let facts = summaries(&state, &center_ids).await?;
    let mut centers = HashMap::new();
    for id in &center_ids {
        centers.insert(*id, state.store.center(*id).await?);
    }
    let mut out = Vec::new();
    for a in appointments.iter().filter(|a| {
        a.beneficiaries
            .iter()
            .any(|b| auth.may_act_for(b.reference_id))
    }) {
        let Some(center) = centers.get(&a.center_id) else {
            continue;
        };
        out.push(appointment_body(
            a,
            center,
            facts.get(&a.center_id),
            &people,
        ));
    }
    Ok(Json(AppointmentList { appointments: out }))
}

fn appointment_body(
    a: &Appointment,
    center: &Center,
    summary: Option<&CenterSummary>,
    people: &HashMap<BeneficiaryRef, Beneficiary>,
) -> AppointmentBody {
    let status = a.status();
    let shown: Vec<BeneficiaryBody> = a
        .beneficiaries
        .iter()
        .filter(|b| status == BookingStatus::Cancelled || b.status == BookingStatus::Active)
        .filter_map(|b| people.get(&b.reference_id))
        .map(BeneficiaryBody::from)
        .collect();
    let facts = center_facts(center, summary);
    AppointmentBody {
        beneficiaries: shown,
        center: AppointmentCenterBody {
            center_id: center.id.0,
            name: center.name.clone(),
            center_incharge: center.incharge_name.clone().unwrap_or_default(),
            mobile: center
                .incharge_mobile
                .as_deref()
                .and_then(|m| m.parse::<i64>().ok())
                .map_or_else(|| Value::String(String::new()), Value::from),
            state_name: center.state_name.clone(),
            district_name: center.district_name.clone(),
            block_name: center.block_name.clone().unwrap_or_default(),
            vtc: center.block_name.clone().unwrap_or_default(),
            location: center.address.clone(),
            pincode: center.pincode.get(),
            area: center.area.as_str(),
            timings: facts.timings,
            vaccine_type: facts.vaccine_type,
            daily_capacity: facts.daily_capacity,
            centre_type: center.centre_type.as_str(),
            expiry_date: facts.expiry_date,
        },
        appointment: AppointmentPart {
            appointment_confirmation_no: a.number.get(),
            date: format_cowin_date(a.date),
            slot_id: a.slot.id.0,
            slot_name: a.slot.name.clone(),
            timings: a.slot.timings.to_cowin_v1(),
            status: status.as_str(),
        },
    }
}

// ---------------------------------------------------------------- centres and slots

/// A centre in the centre lists: every field a string, as spec 000's samples show.
#[derive(Debug, Serialize, ToSchema)]
pub struct CenterListItem {
    #[schema(example = "1234")]
    center_id: String,
    name: String,
    center_incharge: String,
    mobile: String,
    district: String,
    state: String,
    location: String,
    pin: String,
    block: String,
    vtc: String,
    #[schema(example = "Urban")]
    area: &'static str,
    #[schema(example = "9AM-3PM")]
    timings: String,
    vaccine_type: String,
    daily_capacity: String,
    #[schema(example = "Permanent")]
    centre_type: &'static str,
    #[schema(example = "31-03-2021")]
    expiry_date: String,
}

/// `{"centers":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CenterListBody {
    centers: Vec<CenterListItem>,
}

async fn center_list(state: &AppState, area: CenterArea) -> Result<Json<CenterListBody>, ApiError> {
    let centers = state.store.centers_in(area).await?;
    let ids: Vec<CenterId> = centers.iter().map(|c| c.id).collect();
    let facts = summaries(state, &ids).await?;
    Ok(Json(CenterListBody {
        centers: centers
            .iter()
            .map(|c| {
                let f = center_facts(c, facts.get(&c.id));
                CenterListItem {
                    center_id: c.id.0.to_string(),
                    name: c.name.clone(),
                    center_incharge: c.incharge_name.clone().unwrap_or_default(),
                    mobile: c.incharge_mobile.clone().unwrap_or_default(),
                    district: c.district_name.clone(),
                    state: c.state_name.clone(),
                    location: c.address.clone(),
                    pin: c.pincode.to_string(),
                    block: c.block_name.clone().unwrap_or_default(),
                    vtc: c.block_name.clone().unwrap_or_default(),
                    area: c.area.as_str(),
                    timings: f.timings,
                    vaccine_type: f.vaccine_type,
                    daily_capacity: f.daily_capacity,
                    centre_type: c.centre_type.as_str(),
                    expiry_date: f.expiry_date,
                }
            })
            .collect(),
    }))
}

/// `pin=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PinQuery {
    /// Six-digit pincode.
    #[param(value_type = crate::http::wire_formats::PincodeText)]
    pin: String,
}

/// `block_id=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlockQuery {
    block_id: i64,
}

/// `district_id=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DistrictQuery {
    /// CoWIN district id.
    district_id: i64,
}

/// Centres at a pincode.
#[utoipa::path(get, path = "/api/v1/appointment/centers/findByPin", tag = "cowin-v1", params(PinQuery),
    security(("token" = [])), responses((status = 200, body = CenterListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn centers_by_pin(
    _: AnyToken,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PinQuery>,
) -> Result<Json<CenterListBody>, ApiError> {
    let pin = Pincode::parse(&q.pin).map_err(|e| ApiError::invalid("pin", e))?;
    center_list(&state, CenterArea::Pincode(pin)).await
}

/// Centres at a pincode (the same call, spelt `findbyPin`).
#[utoipa::path(get, path = "/api/v1/appointment/centers/findbyPin", tag = "cowin-v1", params(PinQuery),
    security(("token" = [])), responses((status = 200, body = CenterListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn centers_by_pin_lower(
    auth: AnyToken,
    state: State<AppState>,
    q: ApiQuery<PinQuery>,
) -> Result<Json<CenterListBody>, ApiError> {
    centers_by_pin(auth, state, q).await
}

/// Centres in a block (spelt `findbyBlock` as in the spec).
#[utoipa::path(get, path = "/api/v1/appointment/centers/findbyBlock", tag = "cowin-v1", params(BlockQuery),
    security(("token" = [])), responses((status = 200, body = CenterListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn centers_by_block(
    _: AnyToken,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<BlockQuery>,
) -> Result<Json<CenterListBody>, ApiError> {
    if state.gazetteer.block(BlockId(q.block_id)).is_none() {
        return Err(ApiError::invalid("block_id", "unknown block"));
    }
    center_list(&state, CenterArea::Block(BlockId(q.block_id))).await
}

/// Centres in a block (the same call, spelt `findByBlock`).
#[utoipa::path(get, path = "/api/v1/appointment/centers/findByBlock", tag = "cowin-v1", params(BlockQuery),
    security(("token" = [])), responses((status = 200, body = CenterListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn centers_by_block_upper(
    auth: AnyToken,
    state: State<AppState>,
    q: ApiQuery<BlockQuery>,
) -> Result<Json<CenterListBody>, ApiError> {
    centers_by_block(auth, state, q).await
}

/// Centres in a district (spelt `findbyDistrict` as in the spec).
#[utoipa::path(get, path = "/api/v1/appointment/centers/findbyDistrict", tag = "cowin-v1", params(DistrictQuery),
    security(("token" = [])), responses((status = 200, body = CenterListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn centers_by_district(
    _: AnyToken,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DistrictQuery>,
) -> Result<Json<CenterListBody>, ApiError> {
    if state
        .gazetteer
        .district(DistrictId(q.district_id))
        .is_none()
    {
        return Err(ApiError::invalid("district_id", "unknown district"));
    }
    center_list(&state, CenterArea::District(DistrictId(q.district_id))).await
}

/// Centres in a district (the same call, spelt `findByDistrict`).
#[utoipa::path(get, path = "/api/v1/appointment/centers/findByDistrict", tag = "cowin-v1", params(DistrictQuery),
    security(("token" = [])), responses((status = 200, body = CenterListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn centers_by_district_upper(
    auth: AnyToken,
    state: State<AppState>,
    q: ApiQuery<DistrictQuery>,
) -> Result<Json<CenterListBody>, ApiError> {
    centers_by_district(auth, state, q).await
}

/// `center_id=&from=&to=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimeslotQuery {
    center_id: i64,
    /// First date, `dd-mm-yyyy`.
    #[param(value_type = crate::http::wire_formats::CowinDate)]
    from: String,
    /// Last date, `dd-mm-yyyy`, at most 31 days after `from`.
    #[param(value_type = crate::http::wire_formats::CowinDate)]
    to: String,
}

/// One slot on one date.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeslotItem {
    #[schema(example = "01-03-2021")]
    date: String,
    #[schema(example = "3456")]
    slot_id: String,
    slot_name: String,
    #[schema(example = "9AM-11AM")]
    timings: String,
    #[schema(example = "5")]
    available_capacity: String,
}

/// `{"center_id","timeslots":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeslotList {
    center_id: String,
    timeslots: Vec<TimeslotItem>,
}

/// A centre's open slots by date with the seats still free, read from the database on every call
/// (never stale).
#[utoipa::path(get, path = "/api/v1/appointment/timeslots/findByCenter", tag = "cowin-v1", params(TimeslotQuery),
    security(("token" = [])), responses((status = 200, body = TimeslotList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn timeslots_by_center(
    _: AnyToken,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<TimeslotQuery>,
) -> Result<Json<TimeslotList>, ApiError> {
    let from = parse_cowin_date(&q.from).map_err(|e| ApiError::invalid("from", e))?;
    let to = parse_cowin_date(&q.to).map_err(|e| ApiError::invalid("to", e))?;
    if to < from || (to - from).whole_days() > 31 {
        return Err(ApiError::invalid(
            "to",
            "must be on or after from, within 31 days",
        ));
    }
    let center = state.store.center(CenterId(q.center_id)).await?;
    // Only slots that can still be booked: none before today, none of today's that are over.
    let now = state.clock.now().to_offset(sehat_domain::clock::IST);
    let minute_now = u16::from(now.hour()) * 60 + u16::from(now.minute());
    let sessions = state
        .store
        .sessions(center.id, from.max(now.date()), to)
        .await?;
    let timeslots = sessions
        .iter()
        .filter(|s| s.status == sehat_domain::schedule::SessionStatus::Open && center.active)
        .flat_map(|s| {
            let today = s.date == now.date();
            s.slots
                .iter()
                .filter(move |slot| {
                    slot.capacity > 0 && !(today && slot.timings.end_minute() <= minute_now)
                })
                .map(move |slot| TimeslotItem {
                    date: format_cowin_date(s.date),
                    slot_id: slot.id.0.to_string(),
                    slot_name: slot.name.clone(),
                    timings: slot.timings.to_cowin_v1(),
                    // v1 books the session's dose (dose 1 when it has none): the seats of that
                    // dose's pool are the ones a v1 app can book.
                    available_capacity: slot
                        .available_for(sehat_domain::schedule::DosePool::of(s.dose.unwrap_or(1)))
                        .to_string(),
                })
        })
        .collect();
    Ok(Json(TimeslotList {
        center_id: center.id.0.to_string(),
        timeslots,
    }))
}

// ---------------------------------------------------------------- metadata

/// A photo-ID type.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdTypeBody {
    #[serde(rename = "type")]
    #[schema(example = "Aadhaar Card")]
    kind: &'static str,
    id: i64,
    doc_type: Option<&'static str>,
}

fn id_types() -> Json<Vec<IdTypeBody>> {
    Json(
        PHOTO_ID_TYPES
            .iter()
            .map(|t| IdTypeBody {
                kind: t.name,
                id: t.id,
                doc_type: t.doc_type,
            })
            .collect(),
    )
}

/// The 13 photo-ID types.
#[utoipa::path(get, path = "/api/v1/registration/beneficiary/getBeneficiaryIdType", tag = "cowin-v1",
    security(("token" = [])), responses((status = 200, body = Vec<IdTypeBody>), (status = 401, body = ErrorBody)))]
async fn photo_id_types(_: AnyToken) -> Json<Vec<IdTypeBody>> {
    id_types()
}

/// The 13 photo-ID types (spelt `getBeneficiaryIDType`, as the spec's sample path is).
#[utoipa::path(get, path = "/api/v1/registration/beneficiary/getBeneficiaryIDType", tag = "cowin-v1",
    security(("token" = [])), responses((status = 200, body = Vec<IdTypeBody>), (status = 401, body = ErrorBody)))]
async fn photo_id_types_upper(_: AnyToken) -> Json<Vec<IdTypeBody>> {
    id_types()
}

/// A gender.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenderBody {
    #[schema(example = "Male")]
    gender: &'static str,
    id: i64,
}

/// The genders.
#[utoipa::path(get, path = "/api/v1/registration/beneficiary/getGender", tag = "cowin-v1",
    security(("token" = [])), responses((status = 200, body = Vec<GenderBody>), (status = 401, body = ErrorBody)))]
async fn genders(_: AnyToken) -> Json<Vec<GenderBody>> {
    Json(
        GENDERS
            .iter()
            .map(|g| GenderBody {
                gender: g.name,
                id: g.id,
            })
            .collect(),
    )
}

/// A state.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateBody {
    state_id: i64,
    state_name: String,
}

/// The states and union territories with their CoWIN ids.
#[utoipa::path(get, path = "/api/v1/admin/location/states", tag = "cowin-v1",
    security(("token" = [])), responses((status = 200, body = Vec<StateBody>), (status = 401, body = ErrorBody)))]
async fn states(
    _: AnyToken,
    State(state): State<AppState>,
) -> Result<Json<Vec<StateBody>>, ApiError> {
    Ok(Json(state_list(&state)))
}

/// The states, from the in-memory gazetteer (shared with v2).
pub(crate) fn state_list(state: &AppState) -> Vec<StateBody> {
    state
        .gazetteer
        .states()
        .into_iter()
        .map(|s| StateBody {
            state_id: s.id.0,
            state_name: s.name.clone(),
        })
        .collect()
}

/// The districts of a state, from the in-memory gazetteer (shared with v2); 404 for no such state.
pub(crate) fn district_list(
    state: &AppState,
    state_id: i64,
) -> Result<Vec<DistrictBody>, ApiError> {
    if state.gazetteer.state(StateId(state_id)).is_none() {
        return Err(ApiError::not_found("state"));
    }
    Ok(state
        .gazetteer
        .districts_of(StateId(state_id))
        .into_iter()
        .map(|d| DistrictBody {
            district_id: d.id.0,
            district_name: d.name.clone(),
        })
        .collect())
}

/// A district.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictBody {
    district_id: i64,
    district_name: String,
}

/// The districts of a state, with their CoWIN ids.
#[utoipa::path(get, path = "/api/v1/admin/location/districts/{state_id}", tag = "cowin-v1", params(("state_id" = i64, Path)),
    security(("token" = [])), responses((status = 200, body = Vec<DistrictBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn districts(
    _: AnyToken,
    State(state): State<AppState>,
    ApiPath(state_id): ApiPath<i64>,
) -> Result<Json<Vec<DistrictBody>>, ApiError> {
    district_list(&state, state_id).map(Json)
}

/// A block.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockBody {
    block_id: i64,
    block_name: String,
}

/// The blocks of a district.
#[utoipa::path(get, path = "/api/v1/admin/location/blocks/{district_id}", tag = "cowin-v1", params(("district_id" = i64, Path)),
    security(("token" = [])), responses((status = 200, body = Vec<BlockBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn blocks(
    _: AnyToken,
    State(state): State<AppState>,
    ApiPath(district_id): ApiPath<i64>,
) -> Result<Json<Vec<BlockBody>>, ApiError> {
    if state.gazetteer.district(DistrictId(district_id)).is_none() {
        return Err(ApiError::not_found("district"));
    }
    Ok(Json(
        state
            .gazetteer
            .blocks_of(DistrictId(district_id))
            .into_iter()
            .map(|b| BlockBody {
                block_id: b.id.0,
                block_name: b.name.clone(),
            })
            .collect(),
    ))
}

/// A locality.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocalityBody {
    locality_id: i64,
    office_name: Option<String>,
    locality_name: String,
    pincode: u32,
}

async fn localities_at(
    state: &AppState,
    pincode: &str,
) -> Result<Json<Vec<LocalityBody>>, ApiError> {
    let pin = Pincode::parse(pincode).map_err(|e| ApiError::invalid("pincode", e))?;
    let localities = state.store.localities(pin).await?;
    Ok(Json(
        localities
            .into_iter()
            .map(|l| LocalityBody {
                locality_id: l.id.0,
                office_name: None,
                locality_name: l.name,
                pincode: l.pincode.get(),
            })
            .collect(),
    ))
}

/// The localities (post offices) at a pincode.
#[utoipa::path(get, path = "/api/v1/admin/location/getLocalitybyPincode/{pincode}", tag = "cowin-v1", params(("pincode" = crate::http::wire_formats::PincodeText, Path)),
    security(("token" = [])), responses((status = 200, body = Vec<LocalityBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn localities(
    _: AnyToken,
    State(state): State<AppState>,
    ApiPath(pincode): ApiPath<String>,
) -> Result<Json<Vec<LocalityBody>>, ApiError> {
    localities_at(&state, &pincode).await
}

/// The same, at the doubled path spec 000 gives (`/api/api/v1/…`).
#[utoipa::path(get, path = "/api/api/v1/admin/location/getLocalitybyPincode/{pincode}", tag = "cowin-v1", params(("pincode" = crate::http::wire_formats::PincodeText, Path)),
    security(("token" = [])), responses((status = 200, body = Vec<LocalityBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn localities_doubled_path(
    _: AnyToken,
    State(state): State<AppState>,
    ApiPath(pincode): ApiPath<String>,
) -> Result<Json<Vec<LocalityBody>>, ApiError> {
    localities_at(&state, &pincode).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_written_as_a_float_is_a_whole_number() {
        // Found by contract fuzzing: `1.0e13` is a JSON integer, and was refused.
        let id = serde_json::json!(12_345_678_901_234.0_f64);
        assert_eq!(loose_i64("id", &id).unwrap(), 12_345_678_901_234);
        assert!(loose_i64("id", &serde_json::json!(1.5)).is_err());
        assert_eq!(
            loose_text(&serde_json::json!(1980)).as_deref(),
            Some("1980")
        );
    }
}

/// This family's request bodies read and converted as the handlers do, for `fuzz/`.
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing {
    use super::*;
    use crate::http::extract::from_json_slice;

    /// Reads body number `kind` from `json` and converts it into domain values.
    pub(crate) fn request_body(kind: u8, json: &[u8], this_year: i32) -> Result<(), ApiError> {
        match kind % 8 {
            0 => {
                from_json_slice::<GuestLogin>(json)?;
            }
            1 => {
                let body: MobileBody = from_json_slice(json)?;
                mobile("mobile", &body.mobile)?;
            }
            2 => {
                let body: OtpBody = from_json_slice(json)?;
                otp(&body.otp)?;
            }
            3 => {
                let body: MobileDobBody = from_json_slice(json)?;
                reference_id("beneficiary_reference_id", &body.beneficiary_reference_id)?;
                mobile("mobile", &body.mobile)?;
                loose_i64("birth_year", &body.birth_year)?;
            }
            4 => {
                let form: BeneficiaryForm = from_json_slice(json)?;
                if let Some(raw) = &form.beneficiary_reference_id {
                    reference_id("beneficiary_reference_id", raw)?;
                }
                form.person(this_year)?;
            }
            5 => {
                let form: ScheduleBody = from_json_slice(json)?;
                beneficiary_list(&form.beneficiaries)?;
                loose_i64("center_id", &form.center_id)?;
                parse_cowin_date(&form.date).map_err(|e| ApiError::invalid("date", e))?;
                loose_i64("slot_id", &form.slot_id)?;
            }
            6 => {
                let form: RescheduleBody = from_json_slice(json)?;
                appointment_no(&form.appointment_confirmation_no)?;
                beneficiary_list(&form.beneficiaries)?;
                loose_i64("center_id", &form.center_id)?;
                parse_cowin_date(&form.date).map_err(|e| ApiError::invalid("date", e))?;
                loose_i64("slot_id", &form.slot_id)?;
            }
            _ => {
                let body: CancelBody = from_json_slice(json)?;
                appointment_no(&body.appointment_confirmation_no)?;
                beneficiary_list(&body.beneficiaries)?;
            }
        }
        Ok(())
    }
}
