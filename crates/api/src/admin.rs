//! The admin API (`/admin/v1`, bearer admin token): create, update and list centres, open
//! sessions over a date range from a slot template, close a session, read utilization, and
//! upload facilities in bulk. Dates are ISO `yyyy-mm-dd` (CoWIN's `dd-mm-yyyy` is accepted too).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::facility_import::{
    ImportError, ImportMode, ImportOptions, ImportReport, import_facilities,
};
use crate::http::auth::AdminAuth;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use sehat_domain::DomainError;
use sehat_domain::facility::{
    Area, Center, CenterPatch, CenterSpec, CentreType, FeeType, PlaceRef, PlanOutcome,
    parse_vaccine_codes,
};
use sehat_domain::ids::{CenterId, DistrictId, SessionId, StateId};
use sehat_domain::schedule::{DayUtilization, Session, SessionPlan, SlotTemplate};
use sehat_domain::store::{CenterFilter, Page};
use sehat_domain::values::{GeoPoint, Mobile, Name, Pincode, SlotTimings, field, parse_any_date};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The admin routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_centers, create_center))
        .routes(routes!(get_center, update_center))
        .routes(routes!(open_sessions, list_sessions))
        .routes(routes!(close_session))
        .routes(routes!(get_utilization))
        .routes(routes!(upload_facilities))
}

/// `{center_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct CenterPath {
    center_id: i64,
}

/// `{session_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct SessionPath {
    session_id: String,
}

/// A centre as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CenterBody {
    center_id: i64,
    name: String,
    state_id: i64,
    state_name: String,
    district_id: i64,
    district_name: String,
    block_id: Option<i64>,
    block_name: Option<String>,
    pincode: u32,
    address: String,
    incharge_name: Option<String>,
    incharge_mobile: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    #[schema(example = "Permanent")]
    centre_type: &'static str,
    #[schema(example = "Urban")]
    area: &'static str,
    #[schema(example = "Free")]
    fee_type: &'static str,
    vaccines: Vec<String>,
    active: bool,
}

impl From<Center> for CenterBody {
    fn from(c: Center) -> Self {
        Self {
            center_id: c.id.0,
            name: c.name,
            state_id: c.state_id.0,
            state_name: c.state_name,
            district_id: c.district_id.0,
            district_name: c.district_name,
            block_id: c.block_id.map(|b| b.0),
            block_name: c.block_name,
            pincode: c.pincode.get(),
            address: c.address,
            incharge_name: c.incharge_name,
            incharge_mobile: c.incharge_mobile,
            lat: c.lat,
            long: c.long,
            centre_type: c.centre_type.as_str(),
            area: c.area.as_str(),
            fee_type: c.fee_type.as_str(),
            vaccines: c.vaccine_codes,
            active: c.active,
        }
    }
}

/// A page of centres.
#[derive(Debug, Serialize, ToSchema)]
pub struct CenterList {
    centers: Vec<CenterBody>,
    /// Pass as `after` to get the next page; null on the last page.
    next_after: Option<i64>,
}

/// Filters and paging for listing centres.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CenterQuery {
    /// Only this CoWIN state id.
    state_id: Option<i64>,
    /// Only this CoWIN district id.
    district_id: Option<i64>,
    /// Only this pincode.
    #[param(value_type = Option<crate::http::wire_formats::PincodeText>)]
    pincode: Option<String>,
    /// Only names containing this.
    name: Option<String>,
    /// Return centres with an id greater than this (from `next_after`).
    after: Option<i64>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// List centres, filtered and a page at a time.
#[utoipa::path(get, path = "/admin/v1/centers", tag = "admin", params(CenterQuery),
    security(("admin_token" = [])),
    responses((status = 200, body = CenterList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_centers(
    _: AdminAuth,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CenterQuery>,
) -> Result<Json<CenterList>, ApiError> {
    let filter = CenterFilter {
        state_id: q.state_id.map(StateId),
        district_id: q.district_id.map(DistrictId),
        pincode: q
            .pincode
            .as_deref()
            .map(|p| field("pincode", Pincode::parse(p)))
            .transpose()?,
        name_contains: q.name.filter(|n| !n.trim().is_empty()),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=Page::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1-500"));
    }
    let page = Page::new(q.after.unwrap_or(0), limit);
    let centers = state.store.list_centers(&filter, page).await?;
    let next_after = (centers.len() == page.limit as usize)
        .then(|| centers.last().map(|c| c.id.0))
        .flatten();
    Ok(Json(CenterList {
        centers: centers.into_iter().map(CenterBody::from).collect(),
        next_after,
    }))
}

/// A new centre.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCenterBody {
    #[schema(example = "PHC Koregaon")]
    name: String,
    /// CoWIN state id; taken from the district when absent.
    state_id: Option<i64>,
    /// CoWIN district id.
    #[schema(example = 379)]
    district_id: i64,
    /// Block id; taken from the pincode when absent.
    block_id: Option<i64>,
    #[schema(example = "415501")]
    pincode: String,
    #[serde(default)]
    address: String,
    incharge_name: Option<String>,
    incharge_mobile: Option<String>,
    /// Latitude; the pincode's position when absent.
    lat: Option<f64>,
    long: Option<f64>,
    /// Permanent (default), Mobile or Static.
    centre_type: Option<String>,
    /// Urban (default) or Rural.
    area: Option<String>,
    /// Free (default) or Paid.
    fee_type: Option<String>,
    /// Vaccine codes offered, e.g. `["COVISHIELD", "BCG"]`.
    #[serde(default)]
    vaccines: Vec<String>,
}

/// Names a domain error's field as this API's request calls it.
fn rename_field(error: DomainError, names: &[(&str, &'static str)]) -> DomainError {
    match error {
        DomainError::Invalid { field, reason } => {
            let field = names
                .iter()
                .find(|(from, _)| *from == field)
                .map_or(field, |(_, to)| (*to).into());
            DomainError::Invalid { field, reason }
        }
        other => other,
    }
}

fn location(lat: Option<f64>, long: Option<f64>) -> Result<Option<GeoPoint>, ApiError> {
    match (lat, long) {
        (Some(lat), Some(long)) => Ok(Some(field("lat", GeoPoint::new(lat, long))?)),
        (None, None) => Ok(None),
        _ => Err(ApiError::invalid(
            "long",
            "lat and long must be given together",
        )),
    }
}

fn vaccines(codes: &[String]) -> Result<Vec<String>, ApiError> {
    parse_vaccine_codes(&codes.join(","))
        .map_err(|_| ApiError::invalid("vaccines", "vaccine codes are letters, digits and _"))
}

impl TryFrom<NewCenterBody> for CenterSpec {
    type Error = ApiError;

    fn try_from(b: NewCenterBody) -> Result<Self, ApiError> {
        Ok(CenterSpec {
            name: field("name", Name::parse(&b.name))?,
            state: b.state_id.map(PlaceRef::Id),
            district: PlaceRef::Id(b.district_id),
            block: b.block_id.map(PlaceRef::Id),
            pincode: field("pincode", Pincode::parse(&b.pincode))?,
            address: b.address.trim().to_owned(),
            incharge_name: b
                .incharge_name
                .as_deref()
                .map(Name::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("incharge_name", e))?,
            incharge_mobile: b
                .incharge_mobile
                .as_deref()
                .map(Mobile::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("incharge_mobile", e))?,
            location: location(b.lat, b.long)?,
            centre_type: b
                .centre_type
                .as_deref()
                .map_or(Ok(CentreType::Permanent), CentreType::parse)
                .map_err(|e| ApiError::invalid("centre_type", e))?,
            area: b
                .area
                .as_deref()
                .map_or(Ok(Area::Urban), Area::parse)
                .map_err(|e| ApiError::invalid("area", e))?,
            fee_type: b
                .fee_type
                .as_deref()
                .map_or(Ok(FeeType::Free), FeeType::parse)
                .map_err(|e| ApiError::invalid("fee_type", e))?,
            vaccine_codes: vaccines(&b.vaccines)?,
        })
    }
}

/// Create a centre. Its state, district, block and pincode must exist and agree.
#[utoipa::path(post, path = "/admin/v1/centers", tag = "admin", request_body = NewCenterBody,
    security(("admin_token" = [])),
    responses((status = 201, body = CenterBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "a centre of that name exists at that pincode", body = ErrorBody)))]
async fn create_center(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewCenterBody>,
) -> Result<(StatusCode, Json<CenterBody>), ApiError> {
    let spec = CenterSpec::try_from(body)?;
    let resolved = state.gazetteer.resolve_center(spec).map_err(|e| {
        rename_field(
            e,
            &[
                ("state", "state_id"),
                ("district", "district_id"),
                ("block", "block_id"),
                ("vaccinationtypeID", "vaccines"),
            ],
        )
    })?;
    let center = admin.store.create_center(&resolved).await?;
    Ok((StatusCode::CREATED, Json(center.into())))
}

/// One centre.
#[utoipa::path(get, path = "/admin/v1/centers/{center_id}", tag = "admin",
    params(("center_id" = i64, Path)), security(("admin_token" = [])),
    responses((status = 200, body = CenterBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_center(
    _: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
) -> Result<Json<CenterBody>, ApiError> {
    Ok(Json(state.store.center(CenterId(center_id)).await?.into()))
}

/// Fields of a centre to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CenterPatchBody {
    name: Option<String>,
    address: Option<String>,
    incharge_name: Option<String>,
    incharge_mobile: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    centre_type: Option<String>,
    area: Option<String>,
    fee_type: Option<String>,
    vaccines: Option<Vec<String>>,
    /// false stops the centre taking bookings.
    active: Option<bool>,
}

impl TryFrom<CenterPatchBody> for CenterPatch {
    type Error = ApiError;

    fn try_from(b: CenterPatchBody) -> Result<Self, ApiError> {
        Ok(CenterPatch {
            name: b
                .name
                .as_deref()
                .map(Name::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("name", e))?,
            address: b.address.map(|a| a.trim().to_owned()),
            incharge_name: b
                .incharge_name
                .as_deref()
                .map(Name::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("incharge_name", e))?,
            incharge_mobile: b
                .incharge_mobile
                .as_deref()
                .map(Mobile::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("incharge_mobile", e))?,
            location: location(b.lat, b.long)?,
            centre_type: b
                .centre_type
                .as_deref()
                .map(CentreType::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("centre_type", e))?,
            area: b
                .area
                .as_deref()
                .map(Area::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("area", e))?,
            fee_type: b
                .fee_type
                .as_deref()
                .map(FeeType::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("fee_type", e))?,
            vaccine_codes: b.vaccines.as_deref().map(vaccines).transpose()?,
            active: b.active,
        })
    }
}

/// Change some fields of a centre.
#[utoipa::path(patch, path = "/admin/v1/centers/{center_id}", tag = "admin", request_body = CenterPatchBody,
    params(("center_id" = i64, Path)), security(("admin_token" = [])),
    responses((status = 200, body = CenterBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_center(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
    ApiJson(body): ApiJson<CenterPatchBody>,
) -> Result<Json<CenterBody>, ApiError> {
    let patch = CenterPatch::try_from(body)?;
    if let Some(code) = patch
        .vaccine_codes
        .iter()
        .flatten()
        .find(|c| state.gazetteer.vaccine(c).is_none())
    {
        return Err(ApiError::invalid(
            "vaccines",
            format!("unknown vaccine code {code}"),
        ));
    }
    Ok(Json(
        admin
            .store
            .update_center(CenterId(center_id), &patch)
            .await?
            .into(),
    ))
}

/// One slot of a day's template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotTemplateBody {
    /// e.g. `Morning`; derived from the start time when absent.
    name: Option<String>,
    /// e.g. `09:00AM-11:00AM` or `9AM-11AM`.
    #[schema(example = "09:00AM-11:00AM")]
    timings: String,
    /// Seats; when absent for every slot, the online capacity is split evenly.
    capacity: Option<u32>,
}

/// Sessions to open for every date from `from` to `to`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenSessionsBody {
    #[schema(example = "2026-12-01")]
    from: String,
    #[schema(example = "2026-12-14")]
    to: String,
    /// Vaccine code.
    #[schema(example = "COVISHIELD")]
    vaccine: String,
    #[serde(default)]
    min_age: u8,
    max_age: Option<u8>,
    /// Dose number, when the session is for one dose only.
    dose: Option<u8>,
    /// Seats per day bookable online.
    capacity_online: u32,
    /// Seats per day kept for walk-ins.
    #[serde(default)]
    capacity_walkin: u32,
    /// Online seats per day kept for first doses (the rest are for later doses). By default none
    /// in a session for a later dose, all of them otherwise.
    capacity_dose1: Option<u32>,
    /// Fee per dose in rupees; 0 (free) by default.
    #[serde(default)]
    fee: u32,
    slots: Vec<SlotTemplateBody>,
}

impl TryFrom<OpenSessionsBody> for SessionPlan {
    type Error = ApiError;

    fn try_from(b: OpenSessionsBody) -> Result<Self, ApiError> {
        let mut slots = Vec::with_capacity(b.slots.len());
        for (i, s) in b.slots.iter().enumerate() {
            let at = |f: &str| format!("slots[{i}].{f}");
            let timings =
                SlotTimings::parse(&s.timings).map_err(|e| ApiError::invalid(at("timings"), e))?;
            let name = match &s.name {
                Some(n) => Name::parse(n).map_err(|e| ApiError::invalid(at("name"), e))?,
                None => {
                    SlotTemplate::parse_list(&s.timings)
                        .map_err(|e| ApiError::invalid(at("timings"), e))?
                        .remove(0)
                        .name
                }
            };
            slots.push(SlotTemplate {
                name,
                timings,
                capacity: s.capacity,
            });
        }
        let plan = SessionPlan {
            from: field("from", parse_any_date(&b.from))?,
            to: field("to", parse_any_date(&b.to))?,
            vaccine_code: b.vaccine.trim().to_ascii_uppercase(),
            min_age: b.min_age,
            max_age: b.max_age,
            dose: b.dose,
            capacity_online: b.capacity_online,
            capacity_walkin: b.capacity_walkin,
            capacity_dose1: b.capacity_dose1,
            fee: b.fee,
            slots,
        };
        plan.validate()?;
        Ok(plan)
    }
}

/// A slot as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotBody {
    slot_id: i64,
    slot_name: String,
    #[schema(example = "09:00AM-11:00AM")]
    timings: String,
    capacity: u32,
    booked: u32,
    available: u32,
    /// Seats kept for first doses, and how many of them are booked.
    capacity_dose1: u32,
    booked_dose1: u32,
}

/// A session with its slots.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    session_id: String,
    center_id: i64,
    #[schema(example = "2026-12-01")]
    date: String,
    vaccine: String,
    min_age: u8,
    max_age: Option<u8>,
    dose: Option<u8>,
    capacity_online: u32,
    capacity_walkin: u32,
    fee: u32,
    available: u32,
    #[schema(example = "OPEN")]
    status: &'static str,
    slots: Vec<SlotBody>,
}

fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

impl From<Session> for SessionBody {
    fn from(s: Session) -> Self {
        Self {
            session_id: s.id.to_string(),
            center_id: s.center_id.0,
            date: iso(s.date),
            available: s.available(),
            vaccine: s.vaccine_code,
            min_age: s.min_age,
            max_age: s.max_age,
            dose: s.dose,
            capacity_online: s.capacity_online,
            capacity_walkin: s.capacity_walkin,
            fee: s.fee,
            status: s.status.as_str(),
            slots: s
                .slots
                .into_iter()
                .map(|sl| SlotBody {
                    slot_id: sl.id.0,
                    available: sl.available(),
                    slot_name: sl.name,
                    timings: sl.timings.to_cowin_v2(),
                    capacity: sl.capacity,
                    booked: sl.booked,
                    capacity_dose1: sl.capacity_dose1,
                    booked_dose1: sl.booked_dose1,
                })
                .collect(),
        }
    }
}

/// What opening sessions did, and the sessions now in the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenSessionsResult {
    #[schema(value_type = Object)]
    outcome: PlanOutcome,
    sessions: Vec<SessionBody>,
}

/// Open sessions for a vaccine on every date of a range, from a slot template. Re-opening the
/// same range updates it; a slot's capacity never drops below what is booked (409).
#[utoipa::path(post, path = "/admin/v1/centers/{center_id}/sessions", tag = "admin", request_body = OpenSessionsBody,
    params(("center_id" = i64, Path)), security(("admin_token" = [])),
    responses((status = 201, description = "sessions created", body = OpenSessionsResult),
        (status = 200, description = "sessions existed and were updated or left as they were", body = OpenSessionsResult),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn open_sessions(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
    ApiJson(body): ApiJson<OpenSessionsBody>,
) -> Result<(StatusCode, Json<OpenSessionsResult>), ApiError> {
    let plan = SessionPlan::try_from(body)?;
    if plan.from < state.clock.today() {
        return Err(ApiError::invalid("from", "must not be in the past"));
    }
    state
        .gazetteer
        .check_vaccine(&plan.vaccine_code)
        .map_err(|e| rename_field(e, &[("vaccinationtypeID", "vaccine")]))?;
    let center = CenterId(center_id);
    let outcome = admin.store.open_sessions(center, &plan).await?;
    let sessions = state.store.sessions(center, plan.from, plan.to).await?;
    let sessions = sessions
        .into_iter()
        .filter(|s| s.vaccine_code == plan.vaccine_code)
        .map(SessionBody::from)
        .collect();
    let status = if outcome.sessions_created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(OpenSessionsResult { outcome, sessions })))
}

/// A date range; defaults to today and the 13 days after.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// First date (default today).
    #[param(value_type = Option<crate::http::wire_formats::AnyDate>)]
    from: Option<String>,
    /// Last date, inclusive (default 13 days after `from`); at most 366 days after `from`.
    #[param(value_type = Option<crate::http::wire_formats::AnyDate>)]
    to: Option<String>,
}

impl DateRange {
    fn resolve(&self, today: Date) -> Result<(Date, Date), ApiError> {
        let from = self
            .from
            .as_deref()
            .map(|d| field("from", parse_any_date(d)))
            .transpose()?
            .unwrap_or(today);
        let to = self
            .to
            .as_deref()
            .map(|d| field("to", parse_any_date(d)))
            .transpose()?
            .unwrap_or(from + time::Duration::days(13));
        if to < from || (to - from).whole_days() > 366 {
            return Err(ApiError::invalid(
                "to",
                "must be on or after from, within 366 days",
            ));
        }
        Ok((from, to))
    }
}

/// Sessions of a centre.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AdminSessionList)]
pub struct SessionList {
    sessions: Vec<SessionBody>,
}

/// A centre's sessions, with slots and seats booked, over a date range.
#[utoipa::path(get, path = "/admin/v1/centers/{center_id}/sessions", tag = "admin",
    params(("center_id" = i64, Path), DateRange), security(("admin_token" = [])),
    responses((status = 200, body = SessionList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_sessions(
    _: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
    ApiQuery(range): ApiQuery<DateRange>,
) -> Result<Json<SessionList>, ApiError> {
    let (from, to) = range.resolve(state.clock.today())?;
    let center = state.store.center(CenterId(center_id)).await?;
    let sessions = state.store.sessions(center.id, from, to).await?;
    Ok(Json(SessionList {
        sessions: sessions.into_iter().map(SessionBody::from).collect(),
    }))
}

/// Close a session: it takes no further bookings (existing ones stand).
#[utoipa::path(post, path = "/admin/v1/sessions/{session_id}/close", tag = "admin",
    params(("session_id" = uuid::Uuid, Path, description = "session UUID")), security(("admin_token" = [])),
    responses((status = 200, body = SessionBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn close_session(
    admin: AdminAuth,
    ApiPath(SessionPath { session_id }): ApiPath<SessionPath>,
) -> Result<Json<SessionBody>, ApiError> {
    let id = uuid::Uuid::parse_str(&session_id)
        .map_err(|_| ApiError::invalid("session_id", "must be a UUID"))?;
    Ok(Json(admin.store.close_session(SessionId(id)).await?.into()))
}

/// One day of a centre's utilization.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayBody {
    #[schema(example = "2026-12-01")]
    date: String,
    sessions: u32,
    /// Online seats in the day's sessions.
    capacity: u64,
    booked: u64,
    /// Seats still bookable (free seats of open sessions).
    available: u64,
    /// booked / capacity, 0–1.
    utilization: f64,
}

impl From<DayUtilization> for DayBody {
    fn from(d: DayUtilization) -> Self {
        Self {
            date: iso(d.date),
            sessions: d.sessions,
            utilization: (d.ratio() * 10_000.0).round() / 10_000.0,
            available: d.available,
            capacity: d.capacity,
            booked: d.booked,
        }
    }
}

/// A centre's utilization per day.
#[derive(Debug, Serialize, ToSchema)]
pub struct UtilizationBody {
    center_id: i64,
    days: Vec<DayBody>,
}

/// Seats offered and booked per day at a centre.
#[utoipa::path(get, path = "/admin/v1/centers/{center_id}/utilization", tag = "admin",
    params(("center_id" = i64, Path), DateRange), security(("admin_token" = [])),
    responses((status = 200, body = UtilizationBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_utilization(
    _: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
    ApiQuery(range): ApiQuery<DateRange>,
) -> Result<Json<UtilizationBody>, ApiError> {
    let (from, to) = range.resolve(state.clock.today())?;
    let center = state.store.center(CenterId(center_id)).await?;
    let days = state.store.utilization(center.id, from, to).await?;
    Ok(Json(UtilizationBody {
        center_id,
        days: days.into_iter().map(DayBody::from).collect(),
    }))
}

/// How the upload treats invalid rows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// `partial` (default): write valid rows, report the rest. `all-or-nothing`: write nothing
    /// unless every row is valid.
    mode: Option<ImportMode>,
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The CSV file, named `*.csv`, with the columns listed in the README.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn valid_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ' ' | '(' | ')'))
}

fn is_csv(name: &str, content_type: Option<&str>) -> bool {
    let by_name = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("csv"));
    let by_type = content_type.is_none_or(|t| {
        let t = t
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        matches!(
            t.as_str(),
            "text/csv"
                | "application/csv"
                | "text/plain"
                | "application/vnd.ms-excel"
                | "application/octet-stream"
        )
    });
    by_name && by_type
}

/// Upload facilities with their session plans as CSV (multipart field `file`). Rows are upserted
/// by natural key (district, facility name, pincode; then date and vaccine; then slot name), so
/// uploading the same file twice changes nothing. Errors: `USRRES0001` no file, `USRRES0002` bad
/// file name, `USRRES0003` not a CSV file, `USRRES0005` wrong headers (listed in `Wrong-Headers`).
#[utoipa::path(post, path = "/admin/v1/facilities/upload", tag = "admin", params(UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "imported (in partial mode some rows may be listed as rejected)", body = ImportReport),
        (status = 400, description = "USRRES0001/0002/0003/0005", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "all-or-nothing: some rows invalid, nothing written", body = ImportReport)))]
async fn upload_facilities(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: axum::http::HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let limit = state.config.upload_limit_bytes;
    // A declared length over the limit is refused before any of the body is read, so a client
    // that waits for `100 Continue` gets the 413 instead of a connection reset.
    // The declared length covers the multipart framing and form fields too; the file itself is
    // counted while it is spooled.
    let with_framing = limit.saturating_add(crate::http::telemetry::UPLOAD_FRAMING);
    if crate::http::extract::declared_over(&headers, with_framing) {
        return Err(ApiError::too_large(limit));
    }
    // A body that is not multipart/form-data carries no file.
    let mut multipart = multipart.map_err(|_| ApiError::input_file_missing())?;
    let multipart_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(limit)
        } else {
            ApiError::input_file_missing()
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("").trim().to_owned();
        if name.is_empty() && field.content_type().is_none() {
            return Err(ApiError::input_file_missing());
        }
        if !valid_file_name(&name) {
            return Err(ApiError::invalid_file_name());
        }
        if !is_csv(&name, field.content_type()) {
            return Err(ApiError::invalid_file_type());
        }
        let options = ImportOptions::new(query.mode.unwrap_or_default(), state.clock.today());
        let file = spool(field, limit, multipart_error).await?;
        let result = import_facilities(
            tokio::io::BufReader::with_capacity(64 * 1024, file),
            admin.store.as_ref(),
            &state.gazetteer,
            options,
            &mut |_, _| {},
        )
        .await;
        return match result {
            Ok(report)
                if report.mode == ImportMode::AllOrNothing
                    && !report.committed
                    && report.rejected > 0 =>
            {
                Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(report)))
            }
            Ok(report) => Ok((StatusCode::OK, Json(report))),
            Err(ImportError::Headers(h)) => Err(ApiError::invalid_file_headers(h)),
            Err(ImportError::NotCsv(reason))
                if reason.contains("too large") || reason.contains("length limit") =>
            {
                Err(ApiError::too_large(limit))
            }
            Err(ImportError::NotCsv(_)) => Err(ApiError::invalid_file_type()),
            Err(ImportError::TooManyRows) => {
                Err(ApiError::invalid("file", "more than 1,000,000 rows"))
            }
            Err(ImportError::Store(e)) => Err(e.into()),
        };
    }
    Err(ApiError::input_file_missing())
}

/// Copies an uploaded file to an anonymous temporary file (deleted when dropped) before any of
/// it is imported, so that an upload that breaks off or passes the size limit half-way changes
/// nothing, even in partial mode, whose batches commit as they go. Memory stays at one chunk;
/// disk at most the upload limit per upload (counted here too: the route's body limit is the
/// larger of the two limits).
async fn spool(
    mut field: axum::extract::multipart::Field<'_>,
    limit: usize,
    multipart_error: impl Fn(axum::extract::multipart::MultipartError) -> ApiError,
) -> Result<tokio::fs::File, ApiError> {
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};
    let unavailable = |e: std::io::Error| ApiError::from(DomainError::Unavailable(Box::new(e)));
    let file = tempfile::tempfile().map_err(unavailable)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut size = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(&multipart_error)? {
        size += chunk.len();
        if size > limit {
            return Err(ApiError::too_large(limit));
        }
        file.write_all(&chunk).await.map_err(unavailable)?;
    }
    file.flush().await.map_err(unavailable)?;
    file.seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(unavailable)?;
    Ok(file)
}
