//! Logins: a partner app's guest login with its API key, and a beneficiary's — an OTP sent to the
//! mobile (the whole family's token), or reference id, mobile and year of birth (that one
//! person's token). Sending and redeeming OTPs is shared with v2.

use super::loose::{loose_i64, mobile, reference_id};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::PartnerApp;
use crate::http::extract::ApiJson;
use crate::http::rate_limit::ClientAddress;
use crate::notify::OtpDelivery;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use sehat_domain::identity::{self, MobileHash, Otp, OtpProof};
use sehat_domain::values::Mobile;
use sehat_domain::{DomainError, Rule};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

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
pub(super) async fn guest_login(
    State(state): State<AppState>,
    partner: Result<PartnerApp, ApiError>,
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
    // The body is checked first: a malformed request is a 400 whatever key it carries.
    let key = partner?.key;
    let token = state.tokens.guest(
        state.clock.now_millis().div_euclid(1000),
        &key.partner,
        &key.id,
    )?;
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
pub(super) async fn send_mobile_otp(
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
pub(super) async fn confirm_mobile_otp(
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
pub(super) async fn confirm_mobile_dob(
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

/// This module's request bodies read and converted as the handlers do, for `fuzz/`.
#[cfg(feature = "fuzzing")]
pub(super) mod fuzzing {
    use super::*;
    use crate::http::extract::from_json_slice;

    /// Reads body number `kind` from `json` and converts it into domain values.
    pub(crate) fn request_body(kind: u8, json: &[u8]) -> Result<(), ApiError> {
        match kind {
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
            _ => {
                let body: MobileDobBody = from_json_slice(json)?;
                reference_id("beneficiary_reference_id", &body.beneficiary_reference_id)?;
                mobile("mobile", &body.mobile)?;
                loose_i64("birth_year", &body.birth_year)?;
            }
        }
        Ok(())
    }
}
