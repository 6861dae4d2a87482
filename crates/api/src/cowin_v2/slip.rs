//! The appointment slip download: the appointment as the token may see it, a QR payload with a
//! tag only sehat can make, and the PDF from [`sehat_render::slip`].

use super::appointments::AppointmentRef;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::BeneficiaryToken;
use crate::http::extract::ApiQuery;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sehat_domain::beneficiary::{Beneficiary, BeneficiaryRef};
use sehat_domain::booking::BookingStatus;
use sehat_domain::values::format_cowin_date;
use sehat_render::slip::{Slip, SlipPerson, render_pdf};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use utoipa::IntoParams;

/// `appointment_id=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlipQuery {
    /// The appointment's UUID (its 14-digit confirmation number is accepted too).
    #[param(format = Uuid, example = "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    appointment_id: String,
}

/// The appointment slip as a PDF, with a QR code the centre scans: `SEHAT-APPT`, the appointment
/// number, centre, date, slot and reference ids, and a tag only sehat can make.
#[utoipa::path(get, path = "/api/v2/appointment/appointmentslip/download", tag = "cowin-v2", params(SlipQuery),
    security(("token" = [])),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn download_slip(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SlipQuery>,
) -> Result<Response, ApiError> {
    slip_download(&state, &auth, q.appointment_id).await
}

/// The slip of an appointment of the token's family, as a PDF attachment (shared with the web
/// app): another family's appointment is not found.
pub(crate) async fn slip_download(
    state: &AppState,
    auth: &BeneficiaryToken,
    appointment_id: String,
) -> Result<Response, ApiError> {
    let number = AppointmentRef::parse(&Value::String(appointment_id))?
        .number(state.store.as_ref(), &auth.account)
        .await?;
    let appointment = state.store.appointment(&auth.account, number).await?;
    if !appointment
        .beneficiaries
        .iter()
        .any(|b| auth.may_act_for(b.reference_id))
    {
        return Err(ApiError::not_found("appointment"));
    }
    let center = state.store.center(appointment.center_id).await?;
    let people: HashMap<BeneficiaryRef, Beneficiary> = state
        .store
        .beneficiaries(&auth.account)
        .await?
        .into_iter()
        .map(|b| (b.reference_id, b))
        .collect();
    let status = appointment.status();
    let shown: Vec<&Beneficiary> = appointment
        .beneficiaries
        .iter()
        .filter(|b| auth.may_act_for(b.reference_id))
        .filter(|b| status == BookingStatus::Cancelled || b.status == BookingStatus::Active)
        .filter_map(|b| people.get(&b.reference_id))
        .collect();
    let date = format_cowin_date(appointment.date);
    let slot = appointment.slot.timings.to_cowin_v2();
    let refs: Vec<String> = shown.iter().map(|b| b.reference_id.to_string()).collect();
    let parts = [
        appointment.number.to_string(),
        center.id.0.to_string(),
        date.clone(),
        slot.clone(),
        refs.join(","),
    ];
    let borrowed: Vec<&str> = parts.iter().map(String::as_str).collect();
    let tag = state.identity.document_tag("appointment-slip", &borrowed);
    let slip = Slip {
        appointment_id: appointment.number.get(),
        status: status.as_str().to_owned(),
        center_id: center.id.0,
        center_name: center.name.clone(),
        center_address: center.address.clone(),
        block_name: center.block_name.clone().unwrap_or_default(),
        district_name: center.district_name.clone(),
        state_name: center.state_name.clone(),
        pincode: center.pincode.get(),
        date,
        slot,
        vaccine: appointment.vaccine_code.clone(),
        dose: appointment.dose,
        people: shown
            .iter()
            .map(|b| SlipPerson {
                reference_id: b.reference_id.get(),
                name: b.name.clone(),
                birth_year: b.birth_year,
                gender: b.gender.name().to_owned(),
                photo_id: b.photo_id_line(),
            })
            .collect(),
        issued_at: format!(
            "{} IST",
            state
                .clock
                .now()
                .to_offset(sehat_domain::clock::IST)
                .format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]"
                ))
                .unwrap_or_default()
        ),
        qr_payload: format!("SEHAT-APPT|{}|{tag}", parts.join("|")),
    };
    // Rendering fails only if krilla cannot write the file: a 500, logged once by the mapping.
    let pdf = render_pdf(&slip)
        .map_err(|error| ApiError::from(sehat_domain::DomainError::Internal(Box::new(error))))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"appointment-slip-{}.pdf\"",
                    appointment.number
                ),
            ),
        ],
        pdf,
    )
        .into_response())
}
