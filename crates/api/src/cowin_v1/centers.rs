//! Centres and slots: the centres at a pincode, in a block or a district (each under both
//! spellings the spec's samples use), and a centre's open slots with the seats still free.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::AnyToken;
use crate::http::extract::ApiQuery;
use axum::Json;
use axum::extract::State;
use sehat_domain::facility::Center;
use sehat_domain::ids::{BlockId, CenterId, DistrictId};
use sehat_domain::store::{CenterArea, CenterSummary};
use sehat_domain::values::{Pincode, SlotTimings, format_cowin_date, parse_cowin_date};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

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

pub(super) async fn center_list(
    state: &AppState,
    area: CenterArea,
) -> Result<Json<CenterListBody>, ApiError> {
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
pub(super) async fn centers_by_pin(
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
pub(super) async fn centers_by_pin_lower(
    auth: AnyToken,
    state: State<AppState>,
    q: ApiQuery<PinQuery>,
) -> Result<Json<CenterListBody>, ApiError> {
    centers_by_pin(auth, state, q).await
}

/// Centres in a block (spelt `findbyBlock` as in the spec).
#[utoipa::path(get, path = "/api/v1/appointment/centers/findbyBlock", tag = "cowin-v1", params(BlockQuery),
    security(("token" = [])), responses((status = 200, body = CenterListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(super) async fn centers_by_block(
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
pub(super) async fn centers_by_block_upper(
    auth: AnyToken,
    state: State<AppState>,
    q: ApiQuery<BlockQuery>,
) -> Result<Json<CenterListBody>, ApiError> {
    centers_by_block(auth, state, q).await
}

/// Centres in a district (spelt `findbyDistrict` as in the spec).
#[utoipa::path(get, path = "/api/v1/appointment/centers/findbyDistrict", tag = "cowin-v1", params(DistrictQuery),
    security(("token" = [])), responses((status = 200, body = CenterListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(super) async fn centers_by_district(
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
pub(super) async fn centers_by_district_upper(
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
pub(super) async fn timeslots_by_center(
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

/// What the centre lists and appointments say about a centre beyond its own fields.
pub(super) struct CenterFacts {
    pub(super) timings: String,
    pub(super) vaccine_type: String,
    pub(super) daily_capacity: String,
    pub(super) expiry_date: String,
}

pub(super) fn center_facts(center: &Center, summary: Option<&CenterSummary>) -> CenterFacts {
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

pub(super) async fn summaries(
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
