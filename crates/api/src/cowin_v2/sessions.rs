//! v2 availability search: a day's sessions and 7-day calendars by pincode, district and centre,
//! public (limited per address) and protected (token). Answers are exact — read from the
//! database, so a booking shows in the next search — and say how fresh they are: a strong `ETag`
//! over the body, `Last-Modified` from the seats' last change, and 304 for conditional requests.
//! Shapes follow `specs/cowin-v2-samples/availability_by_*_responses.json`.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::BeneficiaryToken;
use crate::http::extract::ApiQuery;
use crate::http::rate_limit::PublicCaller;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sehat_domain::facility::{Center, FeeType};
use sehat_domain::ids::{CenterId, DistrictId};
use sehat_domain::schedule::Session;
use sehat_domain::store::CenterArea;
use sehat_domain::values::{Pincode, format_cowin_date, parse_cowin_date};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The search routes, public and protected.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(find_by_pin_public))
        .routes(routes!(find_by_district_public))
        .routes(routes!(calendar_by_pin_public))
        .routes(routes!(calendar_by_district_public))
        .routes(routes!(calendar_by_center_public))
        .routes(routes!(find_by_pin))
        .routes(routes!(find_by_district))
        .routes(routes!(calendar_by_pin))
        .routes(routes!(calendar_by_district))
        .routes(routes!(calendar_by_center))
}

/// How many days a calendar covers, from the date asked.
const CALENDAR_DAYS: i64 = 7;

/// One session as v2 shows it. `max_age_limit` appears only when the session has an upper age
/// limit, as in CoWIN's answers; the two dose numbers always add up to `available_capacity`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionItem {
    #[schema(example = "53483c08-6e78-4fd8-a0a9-99c5b9438842")]
    pub(crate) session_id: String,
    #[schema(example = "24-09-2021")]
    pub(crate) date: String,
    pub(crate) available_capacity: u32,
    pub(crate) min_age_limit: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_age_limit: Option<u8>,
    pub(crate) allow_all_age: bool,
    #[schema(example = "COVISHIELD")]
    pub(crate) vaccine: String,
    /// The bookable slots, e.g. `09:30AM-10:30AM`.
    pub(crate) slots: Vec<String>,
    pub(crate) available_capacity_dose1: u32,
    pub(crate) available_capacity_dose2: u32,
}

impl SessionItem {
    /// A session as seen at `now`: only the slots still bookable count.
    pub(crate) fn of(session: &Session, now: OffsetDateTime) -> Self {
        let (first, later) = session.availability(now);
        Self {
            session_id: session.id.to_string(),
            date: format_cowin_date(session.date),
            available_capacity: first + later,
            min_age_limit: session.min_age,
            max_age_limit: session.max_age,
            allow_all_age: session.allows_all_ages(),
            vaccine: session.vaccine_code.clone(),
            slots: session
                .bookable_slots(now)
                .map(|s| s.timings.to_cowin_v2())
                .collect(),
            available_capacity_dose1: first,
            available_capacity_dose2: later,
        }
    }
}

/// A centre's own fields, as the calendars and the flat session lists show them. `pincode`,
/// `lat` and `long` are numbers here (CoWIN sent whole degrees), unlike `findByLatLong`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CenterFields {
    pub(crate) center_id: i64,
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) state_name: String,
    pub(crate) district_name: String,
    pub(crate) block_name: String,
    pub(crate) pincode: u32,
    pub(crate) lat: i64,
    pub(crate) long: i64,
    #[schema(example = "09:30:00")]
    pub(crate) from: String,
    #[schema(example = "16:00:00")]
    pub(crate) to: String,
    #[schema(example = "Paid")]
    pub(crate) fee_type: &'static str,
}

fn clock(minute: u16) -> String {
    format!("{:02}:{:02}:00", minute / 60, minute % 60)
}

impl CenterFields {
    /// A centre, its hours taken from the slots of the sessions shown.
    pub(crate) fn of(center: &Center, sessions: &[&Session]) -> Self {
        let slots = sessions.iter().flat_map(|s| s.slots.iter());
        let from = slots.clone().map(|s| s.timings.start_minute()).min();
        let to = slots.map(|s| s.timings.end_minute()).max();
        Self {
            center_id: center.id.0,
            name: center.name.clone(),
            address: center.address.clone(),
            state_name: center.state_name.clone(),
            district_name: center.district_name.clone(),
            block_name: center.block_name.clone().unwrap_or_default(),
            pincode: center.pincode.get(),
            // Whole degrees, as CoWIN's calendars sent them (`findByLatLong` has the decimals).
            #[allow(clippy::cast_possible_truncation)]
            lat: center.lat.map_or(0, |v| v.trunc() as i64),
            #[allow(clippy::cast_possible_truncation)]
            long: center.long.map_or(0, |v| v.trunc() as i64),
            from: from.map_or_else(|| clock(0), clock),
            to: to.map_or_else(|| clock(0), clock),
            fee_type: center.fee_type.as_str(),
        }
    }
}

/// A session's fee as v2 writes it: rupees as a string.
fn fee_of(center: &Center, session: &Session) -> String {
    center.fee_for(session).to_string()
}

/// `{"vaccine","fee"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VaccineFee {
    vaccine: String,
    #[schema(example = "780")]
    fee: String,
}

/// A centre with its sessions over the calendar's days (`vaccine_fees` at paid centres only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarCenter {
    #[serde(flatten)]
    center: CenterFields,
    sessions: Vec<SessionItem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vaccine_fees: Vec<VaccineFee>,
}

/// `{"centers":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarList {
    centers: Vec<CalendarCenter>,
}

/// A session with its centre's fields and `fee`, as `findByPin` and `findByDistrict` list them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlatSession {
    #[serde(flatten)]
    center: CenterFields,
    #[schema(example = "0")]
    fee: String,
    #[serde(flatten)]
    session: SessionItem,
}

/// `{"sessions":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = V2SessionList)]
pub struct SessionList {
    sessions: Vec<FlatSession>,
}

/// `pincode=&date=` (and an optional `vaccine=`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PinQuery {
    /// Six digits.
    #[param(value_type = crate::http::wire_formats::PincodeText, example = "411038")]
    pincode: String,
    /// `dd-mm-yyyy`.
    #[param(value_type = crate::http::wire_formats::CowinDate, example = "24-09-2021")]
    date: String,
    /// Only this vaccine, e.g. `COVISHIELD`.
    vaccine: Option<String>,
}

/// `district_id=&date=` (and an optional `vaccine=`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DistrictQuery {
    /// CoWIN district id.
    #[param(example = 363)]
    #[serde(deserialize_with = "crate::http::wire_formats::whole::number")]
    district_id: i64,
    /// `dd-mm-yyyy`.
    #[param(value_type = crate::http::wire_formats::CowinDate)]
    date: String,
    /// Only this vaccine.
    vaccine: Option<String>,
}

/// `center_id=&date=` (and an optional `vaccine=`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CenterQuery {
    /// Centre id.
    #[serde(deserialize_with = "crate::http::wire_formats::whole::number")]
    center_id: i64,
    /// `dd-mm-yyyy`.
    #[param(value_type = crate::http::wire_formats::CowinDate)]
    date: String,
    /// Only this vaccine.
    vaccine: Option<String>,
}

fn date(raw: &str) -> Result<Date, ApiError> {
    parse_cowin_date(raw).map_err(|e| ApiError::invalid("date", e))
}

fn pincode(raw: &str) -> Result<Pincode, ApiError> {
    Pincode::parse(raw).map_err(|e| ApiError::invalid("pincode", e))
}

/// What a search found, before it is shaped: centres with the sessions to show, and when the
/// answer last changed.
pub(crate) struct Found {
    pub(crate) centers: Vec<(Center, Vec<Session>)>,
    changed_at: Option<i64>,
    /// When the first slot still to end ends (ms): the answer changes by itself then.
    good_until_ms: i64,
}

/// The sessions of an area (or one centre) from `from` for `days` days that can still be booked,
/// optionally of one vaccine. The answer's age counts seat changes and slots that ended.
pub(crate) async fn search(
    state: &AppState,
    area: Result<CenterArea, CenterId>,
    from: Date,
    days: i64,
    vaccine: Option<&str>,
    now: OffsetDateTime,
) -> Result<Found, ApiError> {
    let to = from + time::Duration::days(days - 1);
    // The rows are shared with the cache: only what is shown is copied out of them.
    let one_centre = |centers| {
        std::sync::Arc::new(sehat_domain::store::AreaAvailability {
            centers,
            changed_at: 0,
        })
    };
    let (raw, mut changed_at) = match area {
        Ok(area) => {
            let found = state
                .search_cache
                .availability(&*state.store, area, from, to)
                .await?;
            let changed_at = Some(found.changed_at);
            (found, changed_at)
        }
        // One centre: its sessions open or closed say when it changed; a centre that is gone or
        // inactive gives no Last-Modified (its ETag still validates).
        Err(center) => match state.store.center(center).await {
            Ok(c) if c.active => {
                let sessions = state.store.sessions(center, from, to).await?;
                (one_centre(vec![(c, sessions)]), None)
            }
            Ok(_) | Err(sehat_domain::DomainError::NotFound(_)) => (one_centre(Vec::new()), None),
            Err(e) => return Err(e.into()),
        },
    };
    let mut centers = Vec::with_capacity(raw.centers.len());
    let mut good_until_ms = i64::MAX;
    for (center, sessions) in &raw.centers {
        for s in sessions {
            let latest = s.changed_at.max(ended_before(s, now));
            changed_at = Some(changed_at.map_or(latest, |c: i64| c.max(latest)));
            good_until_ms = good_until_ms.min(next_end(s, now));
        }
        let shown: Vec<Session> = sessions
            .iter()
            .filter(|s| vaccine.is_none_or(|v| s.vaccine_code.eq_ignore_ascii_case(v)))
            .filter(|s| s.bookable_slots(now).next().is_some())
            .cloned()
            .collect();
        if !shown.is_empty() {
            centers.push((center.clone(), shown));
        }
    }
    Ok(Found {
        centers,
        changed_at,
        good_until_ms,
    })
}

/// When the first of a session's slots still to end ends (ms), or never.
fn next_end(session: &Session, now: OffsetDateTime) -> i64 {
    let midnight = session
        .date
        .midnight()
        .assume_offset(sehat_domain::clock::IST);
    session
        .slots
        .iter()
        .map(|s| midnight + time::Duration::minutes(i64::from(s.timings.end_minute())))
        .filter(|end| *end > now)
        .map(|end| i64::try_from(end.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
        .min()
        .unwrap_or(i64::MAX)
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// An area search's answer: sent from the search cache while it is good, else searched,
/// rendered by `render`, and kept (unless the area changed while it was made). Searches of
/// one centre are not kept.
#[allow(clippy::too_many_arguments)]
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    kind: &'static str,
    area: Result<CenterArea, CenterId>,
    from: Date,
    days: i64,
    vaccine: Option<&str>,
    render: impl FnOnce(&Found, OffsetDateTime) -> Result<Value, ApiError>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    // Kept: answers about the booking window and the vaccines there are. Others (any date, any
    // text a client may send) are answered, not kept, so they cannot crowd the cache.
    let today = now.to_offset(sehat_domain::clock::IST).date();
    let keep = (today - time::Duration::days(1)..=today + time::Duration::days(60)).contains(&from)
        && vaccine.is_none_or(|v| state.gazetteer.vaccine(&v.to_ascii_uppercase()).is_some());
    let key = area
        .ok()
        .filter(|_| keep)
        .map(|a| (a, (kind, from, vaccine.map(str::to_ascii_lowercase))));
    let ticket = match &key {
        Some((a, k)) => match state.search_cache.rendered(*a, k, millis(now)) {
            Ok(hit) => return respond(headers, hit.bytes.clone(), &hit.etag, hit.changed_at, now),
            Err(ticket) => Some(ticket),
        },
        None => None,
    };
    let found = search(state, area, from, days, vaccine, now).await?;
    let body = render(&found, now)?;
    let bytes = bytes::Bytes::from(serde_json::to_vec(&body).map_err(internal)?);
    let etag = etag_of(&bytes);
    if let (Some((a, k)), Some(ticket)) = (key, ticket) {
        // Last-Modified appears once the second of the last change is over: not before then.
        let mut good_until_ms = found.good_until_ms;
        if let Some(changed) = found.changed_at
            && changed.div_euclid(1000) >= now.unix_timestamp()
        {
            good_until_ms = good_until_ms.min((changed.div_euclid(1000) + 1) * 1000);
        }
        state.search_cache.keep_rendered(
            a,
            k,
            ticket,
            std::sync::Arc::new(crate::cache::searches::Rendered {
                bytes: bytes.clone(),
                etag: etag.clone(),
                changed_at: found.changed_at,
                good_until_ms,
            }),
        );
    }
    respond(headers, bytes, &etag, found.changed_at, now)
}

/// When the latest of a session's slots that has ended by `now` ended (ms), or 0: an ended slot
/// leaves the answer, which is a change too.
fn ended_before(session: &Session, now: OffsetDateTime) -> i64 {
    let ist = sehat_domain::clock::IST;
    let midnight = session.date.midnight().assume_offset(ist);
    session
        .slots
        .iter()
        .map(|s| midnight + time::Duration::minutes(i64::from(s.timings.end_minute())))
        .filter(|end| *end <= now)
        .map(|end| i64::try_from(end.unix_timestamp_nanos() / 1_000_000).unwrap_or(0))
        .max()
        .unwrap_or(0)
}

fn calendar_center(center: &Center, sessions: &[Session], now: OffsetDateTime) -> CalendarCenter {
    let shown: Vec<&Session> = sessions.iter().collect();
    let mut fees: Vec<VaccineFee> = Vec::new();
    if center.fee_type == FeeType::Paid {
        for s in sessions {
            if !fees.iter().any(|f| f.vaccine == s.vaccine_code) {
                fees.push(VaccineFee {
                    vaccine: s.vaccine_code.clone(),
                    fee: fee_of(center, s),
                });
            }
        }
        fees.sort_by(|a, b| a.vaccine.cmp(&b.vaccine));
    }
    CalendarCenter {
        center: CenterFields::of(center, &shown),
        sessions: sessions.iter().map(|s| SessionItem::of(s, now)).collect(),
        vaccine_fees: fees,
    }
}

async fn calendar(
    state: &AppState,
    headers: &HeaderMap,
    area: Result<CenterArea, CenterId>,
    from: Date,
    vaccine: Option<&str>,
) -> Result<Response, ApiError> {
    if let Err(center) = area {
        // A centre that does not exist is 404; one that offers nothing answers `{}`.
        state.store.center(center).await?;
    }
    answer(state, headers, "calendar", area, from, CALENDAR_DAYS, vaccine, |found, now| {
        let centers: Vec<CalendarCenter> = found
            .centers
            .iter()
            .map(|(c, s)| calendar_center(c, s, now))
            .collect();
        Ok(if area.is_err() {
            // calendarByCenter answers one object, `{}` when the centre has nothing to offer.
            serde_json::json!({ "centers": centers.first().map_or_else(|| Value::Object(Default::default()), |c| serde_json::to_value(c).unwrap_or_default()) })
        } else {
            serde_json::to_value(CalendarList { centers }).map_err(internal)?
        })
    })
    .await
}

async fn day(
    state: &AppState,
    headers: &HeaderMap,
    area: CenterArea,
    date: Date,
    vaccine: Option<&str>,
) -> Result<Response, ApiError> {
    answer(
        state,
        headers,
        "day",
        Ok(area),
        date,
        1,
        vaccine,
        |found, now| {
            let mut sessions = Vec::new();
            for (center, list) in &found.centers {
                let shown: Vec<&Session> = list.iter().collect();
                let fields = CenterFields::of(center, &shown);
                for s in list {
                    sessions.push(FlatSession {
                        center: fields.clone(),
                        fee: fee_of(center, s),
                        session: SessionItem::of(s, now),
                    });
                }
            }
            serde_json::to_value(SessionList { sessions }).map_err(internal)
        },
    )
    .await
}

fn internal(e: serde_json::Error) -> ApiError {
    sehat_domain::DomainError::Internal(e.into()).into()
}

/// A strong ETag: the first 128 bits of the body's SHA-256.
fn etag_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    format!(
        "\"{}\"",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// A JSON answer with its validators: a strong `ETag` over the bytes, and `Last-Modified` once
/// the second of the last change is over (within it, a later change could share the stamp). A
/// request whose `If-None-Match` (or, without one, `If-Modified-Since`) still holds gets 304.
fn respond(
    headers: &HeaderMap,
    bytes: bytes::Bytes,
    etag: &str,
    changed_at_ms: Option<i64>,
    now: OffsetDateTime,
) -> Result<Response, ApiError> {
    let last_modified = changed_at_ms
        .filter(|ms| *ms > 0)
        .map(|ms| ms.div_euclid(1000))
        .filter(|secs| *secs < now.unix_timestamp())
        .and_then(|secs| u64::try_from(secs).ok())
        .map(|secs| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs));
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        Some(inm) => inm.to_str().is_ok_and(|list| {
            list.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
        }),
        None => match (headers.get(header::IF_MODIFIED_SINCE), last_modified) {
            (Some(ims), Some(lm)) => ims
                .to_str()
                .ok()
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .is_some_and(|since| lm <= since),
            _ => false,
        },
    };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(lm) = last_modified
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(lm))
    {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

// ---------------------------------------------------------------- public

/// A day's sessions at the centres of a pincode (public; limited per address).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/public/findByPin", tag = "cowin-v2", params(PinQuery),
    responses((status = 200, body = SessionList, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "not modified since the validator sent"),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn find_by_pin_public(
    _: PublicCaller,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PinQuery>,
) -> Result<Response, ApiError> {
    day(
        &state,
        &headers,
        CenterArea::Pincode(pincode(&q.pincode)?),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

/// A day's sessions at the centres of a district (public; limited per address).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/public/findByDistrict", tag = "cowin-v2", params(DistrictQuery),
    responses((status = 200, body = SessionList, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "not modified since the validator sent"),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn find_by_district_public(
    _: PublicCaller,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<DistrictQuery>,
) -> Result<Response, ApiError> {
    day(
        &state,
        &headers,
        CenterArea::District(DistrictId(q.district_id)),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

/// Seven days of sessions from `date` at the centres of a pincode (public; limited per address).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/public/calendarByPin", tag = "cowin-v2", params(PinQuery),
    responses((status = 200, body = CalendarList, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "not modified since the validator sent"),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn calendar_by_pin_public(
    _: PublicCaller,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PinQuery>,
) -> Result<Response, ApiError> {
    calendar(
        &state,
        &headers,
        Ok(CenterArea::Pincode(pincode(&q.pincode)?)),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

/// Seven days of sessions from `date` at the centres of a district (public; limited per address).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/public/calendarByDistrict", tag = "cowin-v2", params(DistrictQuery),
    responses((status = 200, body = CalendarList, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "not modified since the validator sent"),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn calendar_by_district_public(
    _: PublicCaller,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<DistrictQuery>,
) -> Result<Response, ApiError> {
    calendar(
        &state,
        &headers,
        Ok(CenterArea::District(DistrictId(q.district_id))),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

/// Seven days of sessions from `date` at one centre: `{"centers":{…}}`, or `{"centers":{}}` when
/// it offers none (public; limited per address).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/public/calendarByCenter", tag = "cowin-v2", params(CenterQuery),
    responses((status = 200, description = "`{\"centers\": CalendarCenter}` or `{\"centers\": {}}`", body = Object, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "not modified since the validator sent"),
        (status = 400, body = ErrorBody), (status = 404, description = "no such centre", body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn calendar_by_center_public(
    _: PublicCaller,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CenterQuery>,
) -> Result<Response, ApiError> {
    calendar(
        &state,
        &headers,
        Err(CenterId(q.center_id)),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

// ---------------------------------------------------------------- protected

/// A day's sessions at the centres of a pincode (token from the OTP login).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/findByPin", tag = "cowin-v2", params(PinQuery),
    security(("token" = [])),
    responses((status = 200, body = SessionList), (status = 304, description = "not modified"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn find_by_pin(
    _: BeneficiaryToken,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PinQuery>,
) -> Result<Response, ApiError> {
    day(
        &state,
        &headers,
        CenterArea::Pincode(pincode(&q.pincode)?),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

/// A day's sessions at the centres of a district (token from the OTP login).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/findByDistrict", tag = "cowin-v2", params(DistrictQuery),
    security(("token" = [])),
    responses((status = 200, body = SessionList), (status = 304, description = "not modified"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn find_by_district(
    _: BeneficiaryToken,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<DistrictQuery>,
) -> Result<Response, ApiError> {
    day(
        &state,
        &headers,
        CenterArea::District(DistrictId(q.district_id)),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

/// Seven days of sessions at the centres of a pincode (token from the OTP login).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/calendarByPin", tag = "cowin-v2", params(PinQuery),
    security(("token" = [])),
    responses((status = 200, body = CalendarList), (status = 304, description = "not modified"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn calendar_by_pin(
    _: BeneficiaryToken,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PinQuery>,
) -> Result<Response, ApiError> {
    calendar(
        &state,
        &headers,
        Ok(CenterArea::Pincode(pincode(&q.pincode)?)),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

/// Seven days of sessions at the centres of a district (token from the OTP login).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/calendarByDistrict", tag = "cowin-v2", params(DistrictQuery),
    security(("token" = [])),
    responses((status = 200, body = CalendarList), (status = 304, description = "not modified"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn calendar_by_district(
    _: BeneficiaryToken,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<DistrictQuery>,
) -> Result<Response, ApiError> {
    calendar(
        &state,
        &headers,
        Ok(CenterArea::District(DistrictId(q.district_id))),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}

/// Seven days of sessions at one centre (token from the OTP login).
#[utoipa::path(get, path = "/api/v2/appointment/sessions/calendarByCenter", tag = "cowin-v2", params(CenterQuery),
    security(("token" = [])),
    responses((status = 200, description = "`{\"centers\": CalendarCenter}` or `{\"centers\": {}}`", body = Object),
        (status = 304, description = "not modified"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "no such centre", body = ErrorBody)))]
async fn calendar_by_center(
    _: BeneficiaryToken,
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CenterQuery>,
) -> Result<Response, ApiError> {
    calendar(
        &state,
        &headers,
        Err(CenterId(q.center_id)),
        date(&q.date)?,
        q.vaccine.as_deref(),
    )
    .await
}
