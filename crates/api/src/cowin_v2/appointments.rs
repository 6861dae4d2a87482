//! The v2 protected API (bearer token from the OTP login): the family's beneficiaries, booking by
//! session and slot, rescheduling and cancelling (the slip and the captcha are their own
//! modules). Every rule is the core's, shared with v1.

use super::captcha::check_captcha;
use super::sessions::{CenterFields, SessionItem};
use crate::AppState;
use crate::cowin_v1::appointments::cancel_as;
use crate::cowin_v1::loose::{beneficiary_list, loose_i64, loose_text, reference_id};
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::BeneficiaryToken;
use crate::http::extract::ApiJson;
use crate::http::idempotency::idempotency_key;
use crate::http::rate_limit::PublicCaller;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sehat_domain::beneficiary::{
    Address, Beneficiary, BeneficiaryRef, BirthYear, GenderId, NewBeneficiary, PhotoId,
};
use sehat_domain::booking::{Appointment, AppointmentNo, BookingRequest, BookingStatus};
use sehat_domain::identity::MobileHash;
use sehat_domain::ids::{AppointmentId, CenterId, SessionId};
use sehat_domain::immunization::{CovidStatus, DoseRecord, covid_status};
use sehat_domain::master::{GENDERS, PHOTO_ID_TYPES};
use sehat_domain::schedule::{DosePool, Session};
use sehat_domain::store::{Registration, RescheduleRequest};
use sehat_domain::values::{Name, SlotTimings};
use sehat_domain::{DomainError, Rule};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The protected routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(genders))
        .routes(routes!(id_types))
        .routes(routes!(new_beneficiary))
        .routes(routes!(delete_beneficiary))
        .routes(routes!(list_beneficiaries))
        .routes(routes!(schedule))
        .routes(routes!(reschedule))
        .routes(routes!(cancel))
}

// ---------------------------------------------------------------- metadata

/// `{"id","gender"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenderItem {
    id: i64,
    #[schema(example = "Male")]
    gender: &'static str,
}

/// `{"genders":[…],"ttl":24}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenderList {
    genders: Vec<GenderItem>,
    ttl: u32,
}

/// The genders (public: no personal data, and clients call it before login).
#[utoipa::path(get, path = "/api/v2/registration/beneficiary/genders", tag = "cowin-v2",
    responses((status = 200, body = GenderList), (status = 429, body = ErrorBody)))]
async fn genders(_: PublicCaller) -> Json<GenderList> {
    Json(GenderList {
        genders: GENDERS
            .iter()
            .map(|g| GenderItem {
                id: g.id,
                gender: g.name,
            })
            .collect(),
        ttl: super::LOCATION_TTL_HOURS,
    })
}

/// `{"id","type"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdTypeItem {
    id: i64,
    #[serde(rename = "type")]
    #[schema(example = "Aadhaar Card")]
    kind: &'static str,
}

/// `{"types":[…],"ttl":24}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdTypeList {
    types: Vec<IdTypeItem>,
    ttl: u32,
}

/// The photo-ID types (public: no personal data, and clients call it before login).
#[utoipa::path(get, path = "/api/v2/registration/beneficiary/idTypes", tag = "cowin-v2",
    responses((status = 200, body = IdTypeList), (status = 429, body = ErrorBody)))]
async fn id_types(_: PublicCaller) -> Json<IdTypeList> {
    Json(IdTypeList {
        types: PHOTO_ID_TYPES
            .iter()
            .map(|t| IdTypeItem {
                id: t.id,
                kind: t.name,
            })
            .collect(),
        ttl: super::LOCATION_TTL_HOURS,
    })
}

// ---------------------------------------------------------------- beneficiaries

/// A registration under the token's mobile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBeneficiaryBody {
    #[schema(example = "Apparao")]
    pub(crate) name: String,
    #[schema(value_type = String, example = "1980")]
    pub(crate) birth_year: Value,
    /// 1 Male, 2 Female, 3 Others.
    #[schema(value_type = i64, example = 1)]
    pub(crate) gender_id: Value,
    /// 1–13, see `idTypes`.
    #[schema(value_type = i64, example = 1)]
    pub(crate) photo_id_type: Value,
    #[schema(value_type = String, example = "234123412346")]
    pub(crate) photo_id_number: Value,
    /// `Y` or `N`.
    #[schema(example = "N")]
    pub(crate) comorbidity_ind: String,
    /// The consent text's version the person agreed to (required).
    #[schema(example = "V1")]
    pub(crate) consent_version: String,
}

impl NewBeneficiaryBody {
    pub(crate) fn person(&self, this_year: i32) -> Result<NewBeneficiary, ApiError> {
        if self.consent_version.trim().is_empty() {
            return Err(ApiError::invalid(
                "consent_version",
                "is required: registration needs the person's consent",
            ));
        }
        let comorbidity = match self.comorbidity_ind.trim() {
            "Y" | "y" => true,
            "N" | "n" => false,
            _ => return Err(ApiError::invalid("comorbidity_ind", "must be Y or N")),
        };
        let year = loose_text(&self.birth_year).unwrap_or_default();
        let number = loose_text(&self.photo_id_number)
            .ok_or_else(|| ApiError::invalid("photo_id_number", "is required"))?;
        Ok(NewBeneficiary {
            name: Name::parse(&self.name).map_err(|e| ApiError::invalid("name", e))?,
            birth_year: BirthYear::parse(&year, this_year)
                .map_err(|e| ApiError::invalid("birth_year", e))?,
            gender: GenderId::from_id(loose_i64("gender_id", &self.gender_id)?)
                .map_err(|e| ApiError::invalid("gender_id", e))?,
            photo_id: PhotoId::parse(loose_i64("photo_id_type", &self.photo_id_type)?, &number)?,
            address: Address::default(),
            comorbidity,
        })
    }
}

/// `{"beneficiary_reference_id"}` (a string, as v2 writes it).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceReply {
    #[schema(example = "12345678901234")]
    beneficiary_reference_id: String,
}

impl ReferenceReply {
    /// The reply naming `id`.
    pub(crate) fn of(id: BeneficiaryRef) -> Self {
        Self {
            beneficiary_reference_id: id.to_string(),
        }
    }
}

/// Register a beneficiary under the token's mobile. The same rules as v1: consent, photo-ID
/// checks by type, one photo ID per person, at most 4 per mobile.
#[utoipa::path(post, path = "/api/v2/registration/beneficiary/new", tag = "cowin-v2", request_body = NewBeneficiaryBody,
    security(("token" = [])),
    responses((status = 200, body = ReferenceReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "USRRES0010 family full, USRRES0011 photo ID already registered", body = ErrorBody)))]
async fn new_beneficiary(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewBeneficiaryBody>,
) -> Result<Json<ReferenceReply>, ApiError> {
    if auth.only.is_some() {
        // A token for one person (v1's registration token) cannot add family members.
        return Err(ApiError::unauthenticated());
    }
    let person = body.person(state.clock.today().year())?;
    // The account exists since the OTP login; its stored mobile stays.
    let registration = Registration::new(
        &state.identity,
        BeneficiaryRef::random(),
        Err(auth.account.clone()),
        person,
    );
    let registered = auth
        .store
        .register_beneficiary(&registration, state.config.family_size)
        .await?;
    Ok(Json(ReferenceReply {
        beneficiary_reference_id: registered.reference_id.to_string(),
    }))
}

/// `{"beneficiary_reference_id"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = V2ReferenceBody)]
#[serde(deny_unknown_fields)]
pub struct ReferenceBody {
    #[schema(value_type = String, pattern = r"^[1-9][0-9]{13}$", example = "12345678901234")]
    beneficiary_reference_id: Value,
}

/// Remove a beneficiary of the token's mobile (refused while it has an active appointment).
#[utoipa::path(post, path = "/api/v2/registration/beneficiary/delete", tag = "cowin-v2", request_body = ReferenceBody,
    security(("token" = [])),
    responses((status = 204, description = "deleted"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_beneficiary(
    auth: BeneficiaryToken,
    ApiJson(body): ApiJson<ReferenceBody>,
) -> Result<StatusCode, ApiError> {
    let id = reference_id("beneficiary_reference_id", &body.beneficiary_reference_id)?;
    if !auth.may_act_for(id) {
        return Err(ApiError::not_found("beneficiary"));
    }
    auth.store.delete_beneficiary(&auth.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An appointment as v2 lists it under a beneficiary: the session's centre and availability
/// now, with the appointment's id, dose and slot.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentItem {
    #[serde(flatten)]
    center: CenterFields,
    fee: String,
    #[serde(flatten)]
    session: SessionItem,
    /// The appointment's UUID.
    #[schema(example = "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    appointment_id: String,
    dose: u8,
    #[schema(example = "09:00AM-11:00AM")]
    slot: String,
}

/// A beneficiary as v2 lists one: `vaccination_status` is `Not Vaccinated`, `Partially
/// Vaccinated` or `Vaccinated` from the dose records, `vaccine` the first dose's, the dose dates
/// `dd-mm-yyyy` (empty before the dose).
#[derive(Debug, Serialize, ToSchema)]
pub struct BeneficiaryItem {
    #[schema(example = "12345678901234")]
    beneficiary_reference_id: String,
    name: String,
    #[schema(example = "1980")]
    birth_year: String,
    #[schema(example = "Male")]
    gender: &'static str,
    /// The mobile, masked but for its last four digits.
    #[schema(example = "*****1234")]
    mobile_number: String,
    #[schema(example = "Aadhaar Card")]
    photo_id_type: &'static str,
    /// The photo ID, masked but for its last four characters.
    #[schema(example = "*****9999")]
    photo_id_number: String,
    #[schema(example = "N")]
    comorbidity_ind: &'static str,
    #[schema(example = "Partially Vaccinated")]
    vaccination_status: &'static str,
    #[schema(example = "COVISHIELD")]
    vaccine: String,
    #[schema(example = "12-05-2021")]
    dose1_date: String,
    #[schema(example = "")]
    dose2_date: String,
    appointments: Vec<AppointmentItem>,
}

/// `{"beneficiaries":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = V2BeneficiaryList)]
pub struct BeneficiaryList {
    pub(crate) beneficiaries: Vec<BeneficiaryItem>,
}

/// The beneficiaries of the token's mobile with their active appointments and where they stand
/// in the COVID-19 series, from their dose records.
#[utoipa::path(get, path = "/api/v2/appointment/beneficiaries", tag = "cowin-v2",
    security(("token" = [])), responses((status = 200, body = BeneficiaryList), (status = 401, body = ErrorBody)))]
async fn list_beneficiaries(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
) -> Result<Json<BeneficiaryList>, ApiError> {
    let people: Vec<Beneficiary> = state
        .store
        .beneficiaries(&auth.account)
        .await?
        .into_iter()
        .filter(|b| auth.may_act_for(b.reference_id))
        .collect();
    let appointments = state.store.appointments(&auth.account).await?;
    let beneficiaries = beneficiary_items(&state, &people, &appointments).await?;
    Ok(Json(BeneficiaryList { beneficiaries }))
}

/// `{"beneficiaries":[…]}` of these people: each with their active appointments among
/// `appointments` and their COVID-19 status from the dose records (shared with the vaccinator
/// API's searches).
pub(crate) async fn beneficiary_items(
    state: &AppState,
    people: &[Beneficiary],
    appointments: &[Appointment],
) -> Result<Vec<BeneficiaryItem>, ApiError> {
    let now = state.clock.now();
    let mut centers = HashMap::new();
    let mut sessions: HashMap<SessionId, Session> = HashMap::new();
    let ids: Vec<SessionId> = appointments.iter().map(|a| a.session_id).collect();
    for s in state.store.sessions_by_id(&ids).await? {
        sessions.insert(s.id, s);
    }
    for a in appointments {
        if let std::collections::hash_map::Entry::Vacant(e) = centers.entry(a.center_id) {
            e.insert(state.store.center(a.center_id).await?);
        }
    }
    let refs: Vec<BeneficiaryRef> = people.iter().map(|b| b.reference_id).collect();
    let doses = state.store.doses(&refs).await?;
    let item = |a: &Appointment| -> Option<AppointmentItem> {
        let center = centers.get(&a.center_id)?;
        let session = sessions.get(&a.session_id)?;
        Some(AppointmentItem {
            center: CenterFields::of(center, &[session]),
            fee: center.fee_for(session).to_string(),
            session: SessionItem::of(session, now),
            appointment_id: a.id.to_string(),
            dose: a.dose,
            slot: a.slot.timings.to_cowin_v2(),
        })
    };
    Ok(people
        .iter()
        .map(|b| {
            let own: Vec<DoseRecord> = doses
                .iter()
                .filter(|d| d.beneficiary == b.reference_id)
                .cloned()
                .collect();
            BeneficiaryItem {
                appointments: appointments
                    .iter()
                    .filter(|a| {
                        a.beneficiaries.iter().any(|p| {
                            p.reference_id == b.reference_id && p.status == BookingStatus::Active
                        })
                    })
                    .filter_map(item)
                    .collect(),
                ..beneficiary_item(b, &covid_status(&own))
            }
        })
        .collect())
}

fn beneficiary_item(b: &Beneficiary, status: &CovidStatus) -> BeneficiaryItem {
    let day = |d: Option<time::Date>| {
        d.map(sehat_domain::values::format_cowin_date)
            .unwrap_or_default()
    };
    BeneficiaryItem {
        beneficiary_reference_id: b.reference_id.to_string(),
        name: b.name.clone(),
        birth_year: b.birth_year.to_string(),
        gender: b.gender.name(),
        mobile_number: b.masked_mobile(),
        photo_id_type: b.photo_id_type_name(),
        photo_id_number: b.masked_photo_id(),
        comorbidity_ind: if b.comorbidity { "Y" } else { "N" },
        vaccination_status: status.label,
        vaccine: status.vaccine.clone(),
        dose1_date: day(status.dose1),
        dose2_date: day(status.dose2),
        appointments: Vec::new(),
    }
}

// ---------------------------------------------------------------- booking

/// `{"dose","session_id","slot","beneficiaries"}`, with `center_id` and `captcha` optional.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = V2ScheduleBody)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    #[schema(example = 1)]
    #[serde(deserialize_with = "crate::http::wire_formats::whole::number")]
    dose: u8,
    #[schema(example = "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    session_id: String,
    #[schema(example = "09:00AM-11:00AM")]
    slot: String,
    #[schema(value_type = Vec<crate::http::wire_formats::ReferenceText>)]
    beneficiaries: Vec<Value>,
    #[schema(value_type = Option<i64>)]
    center_id: Option<Value>,
    /// The answer to the last `getRecaptcha` image, when the deployment demands one.
    captcha: Option<String>,
}

/// `{"appointment_confirmation_no"}`: the new appointment's UUID, the `appointment_id` that
/// `beneficiaries`, `reschedule`, `cancel` and the slip take.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationReply {
    #[schema(example = "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    appointment_confirmation_no: String,
}

/// The session and slot a v2 request names: the slot by its `09:00AM-11:00AM` window.
pub(crate) async fn session_slot(
    state: &AppState,
    session_id: &str,
    slot: &str,
) -> Result<(Session, sehat_domain::ids::SlotId), ApiError> {
    let id = uuid::Uuid::parse_str(session_id.trim())
        .map_err(|_| ApiError::invalid("session_id", "must be a session id (a UUID)"))?;
    let session = state.store.session(SessionId(id)).await?;
    let wanted = SlotTimings::parse(slot).map_err(|e| ApiError::invalid("slot", e))?;
    let slot_id = session
        .slots
        .iter()
        .find(|s| s.timings == wanted && s.capacity > 0)
        .map(|s| s.id)
        .ok_or_else(|| ApiError::invalid("slot", "is not a slot of this session"))?;
    Ok((session, slot_id))
}

/// Book a session's slot for beneficiaries of the token's mobile, for a dose: all or none,
/// never past the slot's seats for that dose (409 `APPOIN0040`), one active appointment per
/// beneficiary and dose (409 `APPOIN0045`), the session's age limits apply. When the
/// deployment demands it, `captcha` must answer the last `getRecaptcha` (400 `APPOIN0044`).
/// An `Idempotency-Key` header makes retries safe.
#[utoipa::path(post, path = "/api/v2/appointment/schedule", tag = "cowin-v2", request_body = ScheduleBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("token" = [])),
    responses((status = 200, body = ConfirmationReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn schedule(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<ConfirmationReply>, ApiError> {
    let key = idempotency_key(&headers, &auth.account, "v2/schedule", &body)?;
    let form: ScheduleBody = crate::http::extract::from_json_value(body)?;
    check_captcha(&state, &auth, key.as_ref(), form.captcha.as_deref()).await?;
    let beneficiaries = beneficiary_list(&form.beneficiaries)?;
    if beneficiaries.iter().any(|b| !auth.may_act_for(*b)) {
        return Err(ApiError::not_found("beneficiary"));
    }
    let (session, slot_id) = session_slot(&state, &form.session_id, &form.slot).await?;
    if let Some(center) = form.center_id.as_ref().filter(|c| !c.is_null())
        && CenterId(loose_i64("center_id", center)?) != session.center_id
    {
        return Err(DomainError::Rule(Rule::SlotMismatch).into());
    }
    let request = BookingRequest {
        account: auth.account.clone(),
        center_id: session.center_id,
        date: session.date,
        slot_id,
        beneficiaries,
        dose: Some(form.dose),
    };
    request.validate()?;
    let appointment = book_unless_sold_out(&state, &auth, &session, &request, key.as_ref()).await?;
    Ok(Json(ConfirmationReply {
        appointment_confirmation_no: appointment.id.to_string(),
    }))
}

/// Books, unless the slot's pool is known to be sold out: then the answer comes from memory
/// (409 `APPOIN0040`), except for a retry of a request already made, which gets its first answer
/// from the database.
pub(crate) async fn book_unless_sold_out(
    state: &AppState,
    auth: &BeneficiaryToken,
    session: &Session,
    request: &BookingRequest,
    key: Option<&sehat_domain::store::IdempotencyKey>,
) -> Result<Appointment, DomainError> {
    let pool = DosePool::of(sehat_domain::booking::booking_dose(request.dose, session)?);
    let people = u32::try_from(request.beneficiaries.len()).unwrap_or(u32::MAX);
    let ticket = match state
        .sold_out
        .check(session.id, request.slot_id, pool, people)
    {
        Some(ticket) => Some(ticket),
        None => {
            let replay = match key {
                Some(key) => state.store.idempotency_key_seen(key).await?,
                None => false,
            };
            if !replay {
                return Err(DomainError::Rule(Rule::SlotFull));
            }
            None
        }
    };
    match auth.store.book(request, key).await {
        // A replayed refusal is not news about the seats: only a fresh one marks.
        Err(DomainError::Rule(Rule::SlotFull)) => {
            if let Some(ticket) = ticket {
                state
                    .sold_out
                    .mark(ticket, session.id, request.slot_id, pool, people);
            }
            Err(DomainError::Rule(Rule::SlotFull))
        }
        other => other,
    }
}

/// An appointment as a v2 request names it: by its UUID, as the published schema has it, or by
/// the 14-digit confirmation number that sehat's v2 showed before appointments had UUIDs (and
/// that v1 shows), so that a client holding one keeps working.
#[derive(Debug, Clone, Copy)]
pub(super) enum AppointmentRef {
    Id(AppointmentId),
    Number(AppointmentNo),
}

impl AppointmentRef {
    pub(super) fn parse(value: &Value) -> Result<Self, ApiError> {
        if let Value::String(text) = value
            && let Ok(id) = uuid::Uuid::parse_str(text.trim())
        {
            return Ok(Self::Id(AppointmentId(id)));
        }
        let refused = || ApiError::invalid("appointment_id", "must be an appointment id (a UUID)");
        let number = loose_i64("appointment_id", value).map_err(|_| refused())?;
        AppointmentNo::new(number)
            .map(Self::Number)
            .map_err(|_| refused())
    }

    /// The confirmation number, if the appointment is the account's (else 404).
    pub(super) async fn number(
        self,
        store: &dyn sehat_domain::store::Store,
        account: &MobileHash,
    ) -> Result<AppointmentNo, ApiError> {
        match self {
            Self::Number(n) => Ok(n),
            Self::Id(id) => Ok(store.appointment_number(account, id).await?),
        }
    }
}

/// `{"appointment_id","session_id","slot"}`, and `captcha` when the deployment demands one.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = V2RescheduleBody)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    /// The appointment's UUID (its 14-digit confirmation number is accepted too).
    #[schema(value_type = String, format = Uuid, example = "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    appointment_id: Value,
    session_id: String,
    #[schema(example = "01:00PM-03:00PM")]
    slot: String,
    /// The answer to the last `getRecaptcha` image, when the deployment demands one (moving into
    /// a busy slot is booking it).
    captcha: Option<String>,
}

/// Move an appointment to another session or slot, atomically (the same rules as booking,
/// captcha included).
#[utoipa::path(post, path = "/api/v2/appointment/reschedule", tag = "cowin-v2", request_body = RescheduleBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("token" = [])),
    responses((status = 204, description = "rescheduled"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reschedule(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<StatusCode, ApiError> {
    let key = idempotency_key(&headers, &auth.account, "v2/reschedule", &body)?;
    let form: RescheduleBody = crate::http::extract::from_json_value(body)?;
    check_captcha(&state, &auth, key.as_ref(), form.captcha.as_deref()).await?;
    let number = AppointmentRef::parse(&form.appointment_id)?
        .number(auth.store.as_ref(), &auth.account)
        .await?;
    let movers = match auth.only {
        Some(only) => vec![only],
        None => Vec::new(),
    };
    let (session, slot_id) = session_slot(&state, &form.session_id, &form.slot).await?;
    let to = BookingRequest {
        account: auth.account.clone(),
        center_id: session.center_id,
        date: session.date,
        slot_id,
        beneficiaries: movers,
        dose: None,
    };
    auth.store
        .reschedule(&RescheduleRequest { number, to }, key.as_ref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"appointment_id","beneficiariesToCancel"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = V2CancelBody)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// The appointment's UUID (its 14-digit confirmation number is accepted too).
    #[schema(value_type = String, format = Uuid, example = "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    appointment_id: Value,
    /// Who to cancel; everyone in the appointment when empty.
    #[serde(rename = "beneficiariesToCancel", default)]
    #[schema(value_type = Vec<crate::http::wire_formats::ReferenceText>)]
    beneficiaries_to_cancel: Vec<Value>,
}

/// Cancel some or all beneficiaries of an appointment; their seats return exactly once.
#[utoipa::path(post, path = "/api/v2/appointment/cancel", tag = "cowin-v2", request_body = CancelBody,
    security(("token" = [])),
    responses((status = 204, description = "cancelled"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn cancel(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<StatusCode, ApiError> {
    let number = AppointmentRef::parse(&body.appointment_id)?
        .number(auth.store.as_ref(), &auth.account)
        .await?;
    let who = beneficiary_list(&body.beneficiaries_to_cancel)?;
    cancel_as(&state, &auth, number, &who).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's request bodies read and converted as the handlers do, for `fuzz/`.
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing {
    use super::*;
    use crate::http::extract::from_json_slice;

    /// Reads body number `kind` from `json` and converts it into domain values.
    pub(crate) fn request_body(kind: u8, json: &[u8], this_year: i32) -> Result<(), ApiError> {
        match kind % 5 {
            0 => {
                let body: NewBeneficiaryBody = from_json_slice(json)?;
                body.person(this_year)?;
            }
            1 => {
                let body: ReferenceBody = from_json_slice(json)?;
                reference_id("beneficiary_reference_id", &body.beneficiary_reference_id)?;
            }
            2 => {
                let form: ScheduleBody = from_json_slice(json)?;
                beneficiary_list(&form.beneficiaries)?;
                uuid::Uuid::parse_str(form.session_id.trim())
                    .map_err(|_| ApiError::invalid("session_id", "must be a session id"))?;
                SlotTimings::parse(&form.slot).map_err(|e| ApiError::invalid("slot", e))?;
                if let Some(center) = form.center_id.as_ref().filter(|c| !c.is_null()) {
                    loose_i64("center_id", center)?;
                }
            }
            3 => {
                let form: RescheduleBody = from_json_slice(json)?;
                AppointmentRef::parse(&form.appointment_id)?;
                SlotTimings::parse(&form.slot).map_err(|e| ApiError::invalid("slot", e))?;
            }
            _ => {
                let body: CancelBody = from_json_slice(json)?;
                AppointmentRef::parse(&body.appointment_id)?;
                beneficiary_list(&body.beneficiaries_to_cancel)?;
            }
        }
        Ok(())
    }
}
