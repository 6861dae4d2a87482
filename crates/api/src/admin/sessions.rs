//! Sessions on the admin API: open a centre's sessions over a date range from a slot template,
//! list them with their seats, close one, and read a centre's utilization per day.

use super::centers::CenterPath;
use super::rename_field;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::AdminAuth;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sehat_domain::facility::PlanOutcome;
use sehat_domain::ids::{CenterId, SessionId};
use sehat_domain::schedule::{DayUtilization, Session, SessionPlan, SlotTemplate};
use sehat_domain::store::Store;
use sehat_domain::values::{Name, SlotTimings, field, parse_any_date};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

/// `{session_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct SessionPath {
    session_id: String,
}

/// One slot of a day's template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotTemplateBody {
    /// e.g. `Morning`; derived from the start time when absent.
    pub(crate) name: Option<String>,
    /// e.g. `09:00AM-11:00AM` or `9AM-11AM`.
    #[schema(example = "09:00AM-11:00AM")]
    pub(crate) timings: String,
    /// Seats; when absent for every slot, the online capacity is split evenly.
    pub(crate) capacity: Option<u32>,
}

/// Sessions to open for every date from `from` to `to`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenSessionsBody {
    #[schema(example = "2026-12-01")]
    pub(crate) from: String,
    #[schema(example = "2026-12-14")]
    pub(crate) to: String,
    /// Vaccine code.
    #[schema(example = "COVISHIELD")]
    pub(crate) vaccine: String,
    #[serde(default)]
    pub(crate) min_age: u8,
    pub(crate) max_age: Option<u8>,
    /// Dose number, when the session is for one dose only.
    pub(crate) dose: Option<u8>,
    /// Seats per day bookable online.
    pub(crate) capacity_online: u32,
    /// Seats per day kept for walk-ins.
    #[serde(default)]
    pub(crate) capacity_walkin: u32,
    /// Online seats per day kept for first doses (the rest are for later doses). By default none
    /// in a session for a later dose, all of them otherwise.
    pub(crate) capacity_dose1: Option<u32>,
    /// Fee per dose in rupees; 0 (free) by default.
    #[serde(default)]
    pub(crate) fee: u32,
    pub(crate) slots: Vec<SlotTemplateBody>,
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
                    let taken: Vec<&Name> = slots.iter().map(|t: &SlotTemplate| &t.name).collect();
                    Name::parse(&SlotTemplate::default_name(timings, &taken))
                        .map_err(|e| ApiError::invalid(at("name"), e))?
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
pub(super) async fn open_sessions(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
    ApiJson(body): ApiJson<OpenSessionsBody>,
) -> Result<(StatusCode, Json<OpenSessionsResult>), ApiError> {
    let (outcome, sessions) = open(&state, admin.store.as_ref(), CenterId(center_id), body).await?;
    let sessions = sessions.into_iter().map(SessionBody::from).collect();
    let status = if outcome.sessions_created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(OpenSessionsResult { outcome, sessions })))
}

/// Opens sessions at `center` from `body`'s template: what changed, and the vaccine's sessions
/// now in the range.
pub(crate) async fn open(
    state: &AppState,
    store: &dyn Store,
    center: CenterId,
    body: OpenSessionsBody,
) -> Result<(PlanOutcome, Vec<Session>), ApiError> {
    let plan = SessionPlan::try_from(body)?;
    if plan.from < state.clock.today() {
        return Err(ApiError::invalid("from", "must not be in the past"));
    }
    state
        .gazetteer
        .check_vaccine(&plan.vaccine_code)
        .map_err(|e| rename_field(e, &[("vaccinationtypeID", "vaccine")]))?;
    let outcome = store.open_sessions(center, &plan).await?;
    let sessions = state.store.sessions(center, plan.from, plan.to).await?;
    let sessions = sessions
        .into_iter()
        .filter(|s| s.vaccine_code == plan.vaccine_code)
        .collect();
    Ok((outcome, sessions))
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
pub(super) async fn list_sessions(
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
pub(super) async fn close_session(
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
pub(super) async fn get_utilization(
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
