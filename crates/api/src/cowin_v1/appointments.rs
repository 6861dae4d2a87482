//! Appointments: book a slot for beneficiaries of the token's mobile, move an appointment,
//! cancel some or all of it, and list the mobile's appointments with their centres.

use super::centers::{center_facts, summaries};
use super::loose::{beneficiary_list, loose_i64, number_or_empty};
use super::registration::BeneficiaryBody;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::BeneficiaryToken;
use crate::http::extract::ApiJson;
use crate::http::idempotency::idempotency_key;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sehat_domain::beneficiary::{Beneficiary, BeneficiaryRef};
use sehat_domain::booking::{Appointment, AppointmentNo, BookingRequest, BookingStatus};
use sehat_domain::facility::Center;
use sehat_domain::ids::{CenterId, SlotId};
use sehat_domain::store::{CenterSummary, RescheduleRequest};
use sehat_domain::values::{format_cowin_date, parse_cowin_date};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::ToSchema;

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
pub(super) async fn schedule_appointment(
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
pub(super) async fn reschedule_appointment(
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
pub(super) async fn cancel_appointment(
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

/// The appointments of the token's mobile, newest first.
#[utoipa::path(get, path = "/api/v1/appointment", tag = "cowin-v1",
    security(("token" = [])),
    responses((status = 200, body = AppointmentList), (status = 401, body = ErrorBody)))]
pub(super) async fn list_appointments(
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

/// This module's request bodies read and converted as the handlers do, for `fuzz/`.
#[cfg(feature = "fuzzing")]
pub(super) mod fuzzing {
    use super::*;
    use crate::http::extract::from_json_slice;

    /// Reads body number `kind` from `json` and converts it into domain values.
    pub(crate) fn request_body(kind: u8, json: &[u8]) -> Result<(), ApiError> {
        match kind {
            0 => {
                let form: ScheduleBody = from_json_slice(json)?;
                beneficiary_list(&form.beneficiaries)?;
                loose_i64("center_id", &form.center_id)?;
                parse_cowin_date(&form.date).map_err(|e| ApiError::invalid("date", e))?;
                loose_i64("slot_id", &form.slot_id)?;
            }
            1 => {
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
