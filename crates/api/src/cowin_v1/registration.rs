//! Registration of beneficiaries under a mobile: add (guest token), update, get, delete and the
//! list of the mobile's beneficiaries (beneficiary token), with identifiers masked in answers.

use super::loose::{loose_i64, loose_opt_i64, loose_text, mobile, number_or_empty, reference_id};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::{AnyToken, BeneficiaryToken};
use crate::http::extract::{ApiJson, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use sehat_domain::beneficiary::{
    Address, Beneficiary, BeneficiaryRef, BirthYear, GenderId, NewBeneficiary, PhotoId,
};
use sehat_domain::ids::{BlockId, DistrictId, LocalityId, StateId};
use sehat_domain::store::Registration;
use sehat_domain::values::{Mobile, Name, Pincode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// The year birth years are checked against: today's, by the injected clock.
fn this_year(state: &AppState) -> i32 {
    state.clock.today().year()
}

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
pub(super) async fn add_beneficiary(
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
pub(super) async fn update_beneficiary(
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
pub(super) async fn get_beneficiary(
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
pub(super) async fn delete_beneficiary(
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
pub(super) async fn linked_beneficiaries(
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

/// This module's request bodies read and converted as the handlers do, for `fuzz/`.
#[cfg(feature = "fuzzing")]
pub(super) mod fuzzing {
    use super::*;
    use crate::http::extract::from_json_slice;

    /// Reads a registration form from `json` and converts it into domain values.
    pub(crate) fn request_body(json: &[u8], this_year: i32) -> Result<(), ApiError> {
        let form: BeneficiaryForm = from_json_slice(json)?;
        if let Some(raw) = &form.beneficiary_reference_id {
            reference_id("beneficiary_reference_id", raw)?;
        }
        form.person(this_year)?;
        Ok(())
    }
}
