//! The vaccinator's desk: find the person (by mobile or reference id), register them on the
//! spot, seat a walk-in in today's session, record the dose (which issues the certificate), and
//! hand over the certificate. Every rule is the core's: registration as in v2, the dose rules of
//! `sehat_domain::immunization`, the walk-in seat from the session's walk-in seats only.

use crate::AppState;
use crate::certificates::{Wanted, certificate_response};
use crate::cowin_v1::loose::{loose_i64, reference_id};
use crate::cowin_v2::appointments::{
    BeneficiaryList, NewBeneficiaryBody, ReferenceReply, beneficiary_items,
};
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::VaccinatorToken;
use crate::http::extract::{ApiJson, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use sehat_domain::DomainError;
use sehat_domain::beneficiary::{Beneficiary, BeneficiaryRef};
use sehat_domain::booking::Appointment;
use sehat_domain::ids::{CenterId, SessionId};
use sehat_domain::immunization::{Batch, DoseRecord};
use sehat_domain::store::{Registration, Store};
use sehat_domain::vaccination::{self, StoredCertificate, Vaccination, WalkIn, WalkInSeat};
use sehat_domain::values::{Mobile, parse_any_date};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The desk routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(find_by_mobile))
        .routes(routes!(find_by_reference_id))
        .routes(routes!(register_on_spot))
        .routes(routes!(schedule_on_spot))
        .routes(routes!(vaccinate))
        .routes(routes!(download_certificate))
}

/// `?mobile_number=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MobileQuery {
    /// The family's mobile (10 digits).
    #[param(pattern = r"^[6-9][0-9]{9}$", example = "9876543210")]
    mobile_number: String,
}

/// `?beneficiary_reference_id=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferenceQuery {
    /// The person's 14-digit reference id.
    #[param(value_type = String, pattern = r"^[1-9][0-9]{13}$", example = "12345678901234")]
    beneficiary_reference_id: Value,
}

/// The appointments the desk may see: those at the vaccinator's centres.
fn at_my_centers(auth: &VaccinatorToken, appointments: Vec<Appointment>) -> Vec<Appointment> {
    appointments
        .into_iter()
        .filter(|a| auth.posts.iter().any(|p| p.center_id == a.center_id))
        .collect()
}

/// The people registered on a mobile, masked, with their doses and their appointments at the
/// vaccinator's centres (an empty list when the mobile has none).
#[utoipa::path(get, path = "/api/v2/vaccinator/beneficiaries/findByMobile", tag = "vaccinator", params(MobileQuery),
    security(("token" = [])),
    responses((status = 200, body = BeneficiaryList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn find_by_mobile(
    auth: VaccinatorToken,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<MobileQuery>,
) -> Result<Json<BeneficiaryList>, ApiError> {
    let mobile =
        Mobile::parse(&q.mobile_number).map_err(|e| ApiError::invalid("mobile_number", e))?;
    let (people, appointments) = people_of_mobile(&state, &auth, &mobile).await?;
    Ok(Json(BeneficiaryList {
        beneficiaries: beneficiary_items(&state, &people, &appointments).await?,
    }))
}

/// The people registered on a mobile and their appointments at the vaccinator's centres (shared
/// with the web desk's search).
pub(crate) async fn people_of_mobile(
    state: &AppState,
    auth: &VaccinatorToken,
    mobile: &Mobile,
) -> Result<(Vec<Beneficiary>, Vec<Appointment>), ApiError> {
    let account = state.identity.mobile_hash(mobile);
    let people = auth.store.beneficiaries(&account).await?;
    let appointments = at_my_centers(auth, auth.store.appointments(&account).await?);
    Ok((people, appointments))
}

/// One person by reference id and their appointments at the vaccinator's centres (404 for an
/// unknown id; shared with the web desk).
pub(crate) async fn person_by_reference(
    auth: &VaccinatorToken,
    id: BeneficiaryRef,
) -> Result<(Beneficiary, Vec<Appointment>), ApiError> {
    let (person, account) = auth.store.beneficiary_account(id).await?;
    let appointments = at_my_centers(auth, auth.store.appointments(&account).await?);
    Ok((person, appointments))
}

/// One person by reference id, masked, with their doses and appointments at the vaccinator's
/// centres (404 for an unknown id).
#[utoipa::path(get, path = "/api/v2/vaccinator/beneficiaries/findByReferenceId", tag = "vaccinator", params(ReferenceQuery),
    security(("token" = [])),
    responses((status = 200, body = BeneficiaryList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn find_by_reference_id(
    auth: VaccinatorToken,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReferenceQuery>,
) -> Result<Json<BeneficiaryList>, ApiError> {
    let id = reference_id("beneficiary_reference_id", &q.beneficiary_reference_id)?;
    let (person, appointments) = person_by_reference(&auth, id).await?;
    Ok(Json(BeneficiaryList {
        beneficiaries: beneficiary_items(&state, &[person], &appointments).await?,
    }))
}

/// On-spot registration: the v2 registration body with the family's `mobile_number`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnSpotRegistration {
    #[schema(example = "Sunita Devi")]
    name: String,
    #[schema(value_type = String, example = "1980")]
    birth_year: Value,
    /// 1 Male, 2 Female, 3 Others.
    #[schema(value_type = i64, example = 2)]
    gender_id: Value,
    /// The family's mobile (its account is made if new).
    #[schema(value_type = String, pattern = r"^[6-9][0-9]{9}$", example = "9876543210")]
    mobile_number: Value,
    /// 1–13, see `idTypes`.
    #[schema(value_type = i64, example = 1)]
    photo_id_type: Value,
    #[schema(value_type = String, example = "234123412346")]
    photo_id_number: Value,
    /// `Y` or `N`.
    #[schema(example = "N")]
    comorbidity_ind: String,
    /// The consent text's version the person agreed to (required).
    #[schema(example = "V1")]
    consent_version: String,
}

/// Register a person at the desk under their family's mobile: the same rules as v2 registration
/// (consent, photo-ID checks, one photo ID per person, the family's size).
#[utoipa::path(post, path = "/api/v2/vaccinator/beneficiaries/new", tag = "vaccinator", request_body = OnSpotRegistration,
    security(("token" = [])),
    responses((status = 200, body = ReferenceReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "USRRES0010 family full, USRRES0011 photo ID already registered", body = ErrorBody)))]
async fn register_on_spot(
    auth: VaccinatorToken,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OnSpotRegistration>,
) -> Result<Json<ReferenceReply>, ApiError> {
    let raw_mobile = crate::cowin_v1::loose::loose_text(&body.mobile_number).unwrap_or_default();
    let mobile = Mobile::parse(&raw_mobile).map_err(|e| ApiError::invalid("mobile_number", e))?;
    let person = NewBeneficiaryBody {
        name: body.name,
        birth_year: body.birth_year,
        gender_id: body.gender_id,
        photo_id_type: body.photo_id_type,
        photo_id_number: body.photo_id_number,
        comorbidity_ind: body.comorbidity_ind,
        consent_version: body.consent_version,
    };
    let registered = register_person(&state, &auth, &mobile, &person).await?;
    Ok(Json(ReferenceReply::of(registered.reference_id)))
}

/// Registers a person at the desk under their family's mobile, by v2 registration's rules
/// (shared with the web desk's on-spot form).
pub(crate) async fn register_person(
    state: &AppState,
    auth: &VaccinatorToken,
    mobile: &Mobile,
    body: &NewBeneficiaryBody,
) -> Result<Beneficiary, ApiError> {
    let person = body.person(state.clock.today().year())?;
    let registration = Registration::new(
        &state.identity,
        BeneficiaryRef::random(),
        Ok(mobile),
        person,
    );
    Ok(auth
        .store
        .register_beneficiary(&registration, state.config.family_size)
        .await?)
}

/// `{"center_id","beneficiary_reference_id","dose"}`, with `session_id` when the centre has
/// several sessions today.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnSpotSchedule {
    #[schema(value_type = i64, example = 1203)]
    center_id: Value,
    #[schema(value_type = String, example = "12345678901234")]
    beneficiary_reference_id: Value,
    #[schema(value_type = i64, example = 1)]
    dose: Value,
    /// Today's session (optional when the centre has one).
    #[schema(value_type = Option<String>, format = Uuid)]
    #[serde(default)]
    session_id: Option<String>,
}

/// A walk-in seat taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnSpotSeat {
    #[schema(example = "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    session_id: String,
    #[schema(example = "COVISHIELD")]
    vaccine: String,
    dose: u8,
    /// Walk-in seats left in the session.
    walkin_left: u32,
}

/// Seat a person without an appointment: a walk-in seat of today's session at the vaccinator's
/// centre, never an online one. The dose rules are checked against the records; one seat per
/// person and session. `APPOIN0006` unknown centre, `APPOIN0015` no such session today,
/// `APPOIN0048` no walk-in seat left.
#[utoipa::path(post, path = "/api/v2/vaccinator/onspots/schedule", tag = "vaccinator", request_body = OnSpotSchedule,
    security(("token" = [])),
    responses((status = 200, body = OnSpotSeat), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "VACCIN0007 not a vaccinator of this centre", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn schedule_on_spot(
    auth: VaccinatorToken,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OnSpotSchedule>,
) -> Result<Json<OnSpotSeat>, ApiError> {
    let center_id = known_center(auth.store.as_ref(), &body.center_id).await?;
    let post = auth.post_at(center_id)?;
    let session_id = body
        .session_id
        .as_deref()
        .map(|s| {
            uuid::Uuid::parse_str(s.trim())
                .map(SessionId)
                .map_err(|_| ApiError::invalid("session_id", "must be a session's UUID"))
        })
        .transpose()?;
    let walkin = WalkIn {
        beneficiary: reference_id("beneficiary_reference_id", &body.beneficiary_reference_id)?,
        center_id,
        session_id,
        dose: dose_of(&body.dose)?,
        vaccinator: post.id,
    };
    let seat = seat_walk_in(&state, &auth, &walkin).await?;
    Ok(Json(OnSpotSeat {
        session_id: seat.session_id.0.to_string(),
        vaccine: seat.vaccine_code,
        dose: seat.dose,
        walkin_left: seat.walkin_left,
    }))
}

/// Seats a walk-in (the vaccinator's post at the centre already checked): a walk-in seat of
/// today's session, by the dose rules (shared with the web desk).
pub(crate) async fn seat_walk_in(
    state: &AppState,
    auth: &VaccinatorToken,
    walkin: &WalkIn,
) -> Result<WalkInSeat, ApiError> {
    let catalogue = state.catalogue().await?;
    Ok(auth
        .store
        .take_walkin_seat(walkin, &catalogue.schedules)
        .await?)
}

/// `{"beneficiary_reference_id","center_id","vaccine","vaccine_batch","dose"}`; CoWIN's
/// `dose1_date` (checked against the records when given) and `vaccinator_name` (the post's name
/// is what the certificate prints) are accepted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VaccinateBody {
    #[schema(value_type = String, example = "12345678901234")]
    beneficiary_reference_id: Value,
    #[schema(value_type = i64, example = 1203)]
    center_id: Value,
    /// The vaccine's code, e.g. `COVISHIELD`.
    #[schema(example = "COVISHIELD")]
    vaccine: String,
    /// The vial's batch number: 3–20 letters, digits, `-` or `/`, with a digit.
    #[schema(example = "4121Z025")]
    vaccine_batch: String,
    #[schema(value_type = i64, example = 1)]
    dose: Value,
    /// The day of dose 1 (`dd-mm-yyyy` or `yyyy-mm-dd`), for dose 2 and later.
    #[serde(default)]
    #[schema(example = "12-05-2021")]
    dose1_date: Option<String>,
    /// Accepted and not used: the certificate names the vaccinator of the token's post.
    #[serde(default)]
    #[allow(dead_code)]
    vaccinator_name: Option<String>,
}

/// The dose recorded and its certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaccinationReply {
    #[schema(example = "12345678901234")]
    beneficiary_reference_id: String,
    #[schema(example = "1234567890123")]
    certificate_id: String,
    #[schema(example = "COVISHIELD")]
    vaccine: String,
    dose: u8,
    total_doses: u8,
    /// The day given, `dd-mm-yyyy`.
    #[schema(example = "07-12-2026")]
    date: String,
    /// The appointment it fulfilled (none for a walk-in).
    #[schema(example = "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    appointment_id: Option<String>,
}

/// Record a dose given at the vaccinator's centre: it must follow the person's records (order,
/// interval, the series' vaccine, once), and fulfil their appointment or walk-in seat for it
/// there today, which it completes. The signed certificate is issued in the same step, and the
/// family gets a "certificate ready" message. `VACCIN0001` out of order, `VACCIN0002` too early,
/// `VACCIN0003` already recorded, `VACCIN0004` another vaccine, `VACCIN0005` nothing to fulfil.
#[utoipa::path(post, path = "/api/v2/vaccinator/beneficiaries/vaccinate", tag = "vaccinator", request_body = VaccinateBody,
    security(("token" = [])),
    responses((status = 200, body = VaccinationReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "VACCIN0007 not a vaccinator of this centre", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "VACCIN0003 the dose is already recorded", body = ErrorBody)))]
async fn vaccinate(
    auth: VaccinatorToken,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VaccinateBody>,
) -> Result<Json<VaccinationReply>, ApiError> {
    let center_id = known_center(auth.store.as_ref(), &body.center_id).await?;
    let post = auth.post_at(center_id)?.clone();
    let beneficiary = reference_id("beneficiary_reference_id", &body.beneficiary_reference_id)?;
    let dose = dose_of(&body.dose)?;
    let batch = Batch::parse(&body.vaccine_batch)?;
    if let Some(raw) = body.dose1_date.as_deref().filter(|d| !d.trim().is_empty()) {
        let date = parse_any_date(raw).map_err(|e| ApiError::invalid("dose1_date", e))?;
        let first = auth
            .store
            .doses(&[beneficiary])
            .await?
            .into_iter()
            .find(|d| d.dose == 1)
            .map(|d| d.date);
        if dose > 1 && first.is_some_and(|f| f != date) {
            return Err(ApiError::invalid(
                "dose1_date",
                "does not match the recorded first dose",
            ));
        }
    }
    let request = Vaccination {
        beneficiary,
        center_id,
        vaccine_code: body.vaccine.trim().to_ascii_uppercase(),
        batch,
        dose,
        vaccinator: post,
    };
    let (record, certificate) = give_dose(&state, &auth, &request).await?;
    let appointment_id = match record.appointment {
        Some(number) => auth
            .store
            .appointment_public_id(number)
            .await?
            .map(|id| id.0.to_string()),
        None => None,
    };
    Ok(Json(VaccinationReply {
        beneficiary_reference_id: record.beneficiary.to_string(),
        certificate_id: certificate.id.to_string(),
        vaccine: record.vaccine_code,
        dose: record.dose,
        total_doses: record.total_doses,
        date: sehat_domain::values::format_cowin_date(record.date),
        appointment_id,
    }))
}

/// Records a dose and issues its certificate (the post at the centre already checked): the
/// dose rules, the appointment or walk-in seat it fulfils, the signed credential, the family's
/// message (shared with the web desk).
pub(crate) async fn give_dose(
    state: &AppState,
    auth: &VaccinatorToken,
    request: &Vaccination,
) -> Result<(DoseRecord, StoredCertificate), ApiError> {
    Ok(vaccination::vaccinate(
        auth.store.as_ref(),
        state.certificates.as_ref(),
        &*state.catalogue().await?,
        request,
        state.clock.now(),
    )
    .await?)
}

/// The current certificate of a person vaccinated at one of the vaccinator's centres: the PDF,
/// or the signed credential (`Accept: application/vc+ld+json` or `application/json`), or the QR
/// alone (`Accept: image/png`). Anyone else's answers as an unknown id.
#[utoipa::path(get, path = "/api/v2/vaccinator/certificate/download", tag = "vaccinator", params(ReferenceQuery),
    security(("token" = [])),
    responses((status = 200, description = "the certificate: the PDF, the signed credential or the QR code, by `Accept`",
            content((Vec<u8> = "application/pdf"), (Object = "application/vc+ld+json"), (Vec<u8> = "image/png"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn download_certificate(
    auth: VaccinatorToken,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReferenceQuery>,
) -> Result<Response, ApiError> {
    let wanted = Wanted::from_headers(&headers);
    let id = reference_id("beneficiary_reference_id", &q.beneficiary_reference_id)?;
    desk_certificate(&state, &auth, id, wanted).await
}

/// A person's current certificate as the desk may hand it over: only when a dose was given at
/// one of the vaccinator's centres, else as an unknown id (shared with the web desk's QR and
/// PDF).
pub(crate) async fn desk_certificate(
    state: &AppState,
    auth: &VaccinatorToken,
    id: BeneficiaryRef,
    wanted: Wanted,
) -> Result<Response, ApiError> {
    // Only the doses given at the vaccinator's centres: another centre's certificate is not
    // the desk's to hand over.
    let doses = auth.store.doses(&[id]).await?;
    let mine: Vec<_> = doses
        .iter()
        .filter(|d| auth.posts.iter().any(|p| p.center_id == d.center_id))
        .map(|d| d.id)
        .collect();
    if mine.is_empty() {
        return Err(ApiError::not_found("certificate"));
    }
    certificate_response(state, auth.store.as_ref(), id, wanted, &|c| {
        mine.contains(&c.dose_id)
    })
    .await
}

/// A centre id that exists: `APPOIN0006` otherwise.
async fn known_center(store: &dyn Store, raw: &Value) -> Result<CenterId, ApiError> {
    existing_center(store, CenterId(loose_i64("center_id", raw)?)).await
}

/// A centre that exists: `APPOIN0006` otherwise (shared with the web desk).
pub(crate) async fn existing_center(store: &dyn Store, id: CenterId) -> Result<CenterId, ApiError> {
    match store.center(id).await {
        Ok(_) => Ok(id),
        Err(DomainError::NotFound(_)) => Err(ApiError::unknown_center()),
        Err(other) => Err(other.into()),
    }
}

fn dose_of(raw: &Value) -> Result<u8, ApiError> {
    let dose = loose_i64("dose", raw)?;
    u8::try_from(dose)
        .ok()
        .filter(|d| (1..=9).contains(d))
        .ok_or_else(|| ApiError::invalid("dose", "must be 1-9"))
}
