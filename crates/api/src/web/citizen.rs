//! Citizens' pages: the home page and search (by pincode, district or "near me"), a centre's
//! 7-day calendar with live seats, the OTP login, the family (add, remove, doses), booking,
//! rescheduling, cancelling, and the slip and certificate downloads.
//!
//! Every action calls what the CoWIN v2 handlers call, with the same token: registration checks,
//! the booking's rules and its sold-out shortcut, the reschedule's and cancel's atomic moves.

use super::session::{self, Area, Citizen};
use super::{Caching, Ctx, error_message, form_page, page, page_with_status, see_other};
use crate::AppState;
use crate::cowin_v2::appointments::{NewBeneficiaryBody, book_unless_sold_out, session_slot};
use crate::error::ApiError;
use crate::http::rate_limit::ClientAddress;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::Form;
use sehat_domain::beneficiary::{Beneficiary, BeneficiaryRef};
use sehat_domain::booking::{Appointment, BookingRequest, BookingStatus};
use sehat_domain::facility::Center;
use sehat_domain::ids::{AppointmentId, CenterId, DistrictId, StateId};
use sehat_domain::immunization::{DoseRecord, covid_status};
use sehat_domain::master::{GENDERS, PHOTO_ID_TYPES};
use sehat_domain::schedule::Session;
use sehat_domain::store::{CenterArea, Registration, RescheduleRequest};
use sehat_domain::values::{GeoPoint, Mobile, Pincode};
use serde::Deserialize;
use time::Date;

/// The citizens' routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(home))
        .route("/find", get(find))
        .route("/centre/{id}", get(centre))
        .route("/login", get(login_page).post(send_login_otp))
        .route("/login/otp", form_page("/login").post(confirm_login_otp))
        .route("/logout", form_page("/").post(logout))
        .route("/family", get(family))
        .route("/family/add", form_page("/family").post(add_member))
        .route("/family/remove", form_page("/family").post(remove_member))
        .route("/book", form_page("/family").post(book))
        .route(
            "/appointment/{id}/reschedule",
            form_page("/family").post(reschedule),
        )
        .route(
            "/appointment/{id}/cancel",
            form_page("/family").post(cancel),
        )
        .route("/appointment/{id}/slip", get(slip))
        .route("/certificate/{reference_id}", get(certificate))
}

/// How many days a centre's calendar shows.
const DAYS: i64 = 7;

// ---------------------------------------------------------------- home and search

#[derive(Template)]
#[template(path = "web/home.html")]
struct HomePage {
    ctx: Ctx,
    title: String,
    states: Vec<(i64, String)>,
    districts: Vec<(i64, String)>,
    state_id: i64,
}

#[derive(Debug, Deserialize)]
struct HomeQuery {
    state_id: Option<String>,
}

fn state_options(state: &AppState) -> Vec<(i64, String)> {
    state
        .gazetteer
        .states()
        .iter()
        .map(|s| (s.id.0, s.name.clone()))
        .collect()
}

fn district_options(state: &AppState, state_id: i64) -> Vec<(i64, String)> {
    state
        .gazetteer
        .districts_of(StateId(state_id))
        .iter()
        .map(|d| (d.id.0, d.name.clone()))
        .collect()
}

async fn home(ctx: Ctx, State(state): State<AppState>, Query(q): Query<HomeQuery>) -> Response {
    let state_id = q
        .state_id
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let districts = district_options(&state, state_id);
    let title = ctx.t.t("home-title");
    page(
        &HomePage {
            title,
            states: state_options(&state),
            districts,
            state_id,
            ctx,
        },
        Caching::Public,
    )
}

/// One day's seats at a centre, in a search result.
struct DaySeats {
    label: String,
    seats: String,
    any: bool,
}

/// A centre in a search result.
struct CentreRow {
    id: i64,
    name: String,
    address: String,
    distance: String,
    days: Vec<DaySeats>,
}

#[derive(Template)]
#[template(path = "web/find.html")]
struct FindPage {
    ctx: Ctx,
    title: String,
    heading: String,
    centres: Vec<CentreRow>,
}

#[derive(Debug, Deserialize)]
struct FindQuery {
    pincode: Option<String>,
    district_id: Option<String>,
    lat: Option<String>,
    long: Option<String>,
}

/// The most centres a search page lists.
const LISTED: usize = 50;

async fn find(ctx: Ctx, State(state): State<AppState>, Query(q): Query<FindQuery>) -> Response {
    match search_page(&ctx, &state, &q).await {
        Ok(found) => page(&found, Caching::Public),
        Err(e) => home_with_error(ctx, &state, &e),
    }
}

fn home_with_error(mut ctx: Ctx, state: &AppState, e: &ApiError) -> Response {
    ctx.error = Some(error_message(&ctx, e));
    let title = ctx.t.t("home-title");
    page_with_status(
        e.status(),
        &HomePage {
            title,
            states: state_options(state),
            districts: Vec::new(),
            state_id: 0,
            ctx,
        },
        Caching::Private,
    )
}

/// A centre found, its sessions in the coming days and its distance when searched near a point.
type Listed = (Center, Vec<Session>, Option<f64>);

async fn search_page(ctx: &Ctx, state: &AppState, q: &FindQuery) -> Result<FindPage, ApiError> {
    let t = &ctx.t;
    let now = state.clock.now();
    let today = state.clock.today();
    fn filled(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let (heading, centres): (String, Vec<Listed>) =
        if let (Some(lat), Some(long)) = (filled(&q.lat), filled(&q.long)) {
            let point = GeoPoint::parse(lat, long).map_err(|e| ApiError::invalid("lat", e))?;
            let near = state
                .search_cache
                .centers_near(&*state.store, point, LISTED as u32)
                .await?;
            let mut rows = Vec::new();
            for (c, km) in near.iter() {
                let sessions = state
                    .store
                    .sessions(c.id, today, today + time::Duration::days(DAYS - 1))
                    .await?;
                rows.push((c.clone(), sessions, Some(*km)));
            }
            (t.t("find-near-me"), rows)
        } else {
            let (area, heading) = if let Some(pin) = filled(&q.pincode) {
                let pincode = Pincode::parse(pin).map_err(|e| ApiError::invalid("pincode", e))?;
                (
                    CenterArea::Pincode(pincode),
                    t.t1("find-in-pincode", "pincode", pin),
                )
            } else if let Some(district) = filled(&q.district_id) {
                let id = district
                    .parse::<i64>()
                    .ok()
                    .and_then(|id| state.gazetteer.district(DistrictId(id)))
                    .ok_or_else(|| ApiError::invalid("district_id", "is not a district"))?;
                (
                    CenterArea::District(id.id),
                    t.t1("find-in-district", "district", &id.name),
                )
            } else {
                return Err(ApiError::invalid("pincode", "is required"));
            };
            let found =
                crate::cowin_v2::sessions::search(state, Ok(area), today, DAYS, None, now).await?;
            let rows = found
                .centers
                .into_iter()
                .map(|(c, s)| (c, s, None))
                .collect();
            (heading, rows)
        };
    let dates: Vec<Date> = (0..DAYS).map(|d| today + time::Duration::days(d)).collect();
    let rows = centres
        .into_iter()
        .take(LISTED)
        .map(|(c, sessions, km)| CentreRow {
            id: c.id.0,
            address: place_line(&c, false),
            name: c.name,
            distance: km.map_or_else(String::new, |km| {
                t.t1("find-distance", "km", format!("{km:.1}"))
            }),
            days: dates
                .iter()
                .map(|d| {
                    let seats: u32 = sessions
                        .iter()
                        .filter(|s| s.date == *d)
                        .map(|s| {
                            let (a, b) = s.availability(now);
                            a + b
                        })
                        .sum();
                    DaySeats {
                        label: t.day(*d),
                        seats: if seats > 0 {
                            t.num(seats)
                        } else {
                            t.t("find-no-seats")
                        },
                        any: seats > 0,
                    }
                })
                .collect(),
        })
        .collect();
    Ok(FindPage {
        ctx: ctx.clone(),
        title: heading.clone(),
        heading,
        centres: rows,
    })
}

/// Where a centre is, as one line: its address (when it has one), district, state and pincode.
fn place_line(c: &Center, with_state: bool) -> String {
    let pincode = c.pincode.to_string();
    let parts = [
        c.address.as_str(),
        c.district_name.as_str(),
        if with_state {
            c.state_name.as_str()
        } else {
            ""
        },
        pincode.as_str(),
    ];
    // Demo and imported addresses often hold the district or pincode already.
    let mut shown: Vec<&str> = Vec::new();
    for p in parts {
        if !p.trim().is_empty() && !shown.iter().any(|s| s.contains(p)) {
            shown.push(p);
        }
    }
    shown.join(", ")
}

// ---------------------------------------------------------------- a centre's calendar

/// A session as the calendar shows it.
struct SessionView {
    id: String,
    vaccine: String,
    ages: String,
    fee: String,
    dose1: String,
    dose2: String,
    slots: Vec<String>,
}

/// A day of the calendar.
struct DayView {
    label: String,
    sessions: Vec<SessionView>,
}

/// A family member to book for.
struct MemberChoice {
    reference_id: String,
    name: String,
    next_dose: u8,
}

#[derive(Template)]
#[template(path = "web/centre.html")]
struct CentrePage {
    ctx: Ctx,
    title: String,
    centre_id: i64,
    name: String,
    address: String,
    pincode: String,
    days: Vec<DayView>,
    members: Vec<MemberChoice>,
    logged_in: bool,
    moving: String,
    earlier: String,
    later: String,
}

#[derive(Debug, Deserialize)]
struct CentreQuery {
    from: Option<String>,
    #[serde(rename = "move")]
    moving: Option<String>,
}

async fn centre(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<CentreQuery>,
    citizen: Result<Citizen, Response>,
) -> Response {
    let today = state.clock.today();
    let from = q
        .from
        .as_deref()
        .and_then(|d| {
            Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
        })
        .filter(|d| *d >= today && *d <= today + time::Duration::days(90))
        .unwrap_or(today);
    let Ok(id) = id.parse::<i64>() else {
        return not_found(ctx);
    };
    let center = match state.store.center(CenterId(id)).await {
        Ok(c) if c.active => c,
        _ => return not_found(ctx),
    };
    let now = state.clock.now();
    let to = from + time::Duration::days(DAYS - 1);
    let sessions = match state.store.sessions(center.id, from, to).await {
        Ok(s) => s,
        Err(e) => return failure(ctx, &e.into()),
    };
    let t = ctx.t;
    let days = (0..DAYS)
        .map(|d| from + time::Duration::days(d))
        .map(|date| DayView {
            label: t.date(date),
            sessions: sessions
                .iter()
                .filter(|s| s.date == date && s.bookable_slots(now).next().is_some())
                .map(|s| {
                    let (first, later) = s.availability(now);
                    SessionView {
                        id: s.id.to_string(),
                        vaccine: s.vaccine_code.clone(),
                        ages: match s.max_age {
                            Some(max) => t.ta(
                                "centre-ages-range",
                                &[("min", s.min_age.to_string()), ("max", max.to_string())],
                            ),
                            None => t.t1("centre-ages-from", "min", s.min_age),
                        },
                        fee: if center.fee_for(s) == 0 {
                            t.t("centre-free")
                        } else {
                            format!("₹{}", t.num(center.fee_for(s)))
                        },
                        dose1: t.num(first),
                        dose2: t.num(later),
                        slots: s
                            .bookable_slots(now)
                            .map(|sl| sl.timings.to_cowin_v2())
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    let mut members = Vec::new();
    let logged_in = citizen.is_ok();
    if let Ok(Citizen(auth)) = &citizen {
        match family_of(&state, auth).await {
            Ok((people, _, doses)) => {
                for b in people {
                    let own: Vec<&DoseRecord> = doses
                        .iter()
                        .filter(|d| d.beneficiary == b.reference_id)
                        .collect();
                    let next_dose = own.iter().map(|d| d.dose).max().unwrap_or(0) + 1;
                    members.push(MemberChoice {
                        reference_id: b.reference_id.to_string(),
                        name: b.name.clone(),
                        next_dose,
                    });
                }
            }
            Err(e) => ctx.error = Some(error_message(&ctx, &e)),
        }
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    let link = |d: Date| {
        let mut url = format!(
            "/centre/{}?from={}",
            center.id.0,
            d.format(day).unwrap_or_default()
        );
        if let Some(m) = q
            .moving
            .as_deref()
            .filter(|m| uuid::Uuid::parse_str(m).is_ok())
        {
            url.push_str("&move=");
            url.push_str(m);
        }
        url
    };
    let earlier = if from > today {
        link((from - time::Duration::days(DAYS)).max(today))
    } else {
        String::new()
    };
    let later = link(to + time::Duration::days(1));
    let personal = logged_in;
    page(
        &CentrePage {
            title: center.name.clone(),
            centre_id: center.id.0,
            address: place_line(&center, true),
            pincode: center.pincode.to_string(),
            name: center.name,
            days,
            members,
            logged_in,
            moving: q
                .moving
                .filter(|m| uuid::Uuid::parse_str(m).is_ok())
                .unwrap_or_default(),
            earlier,
            later,
            ctx,
        },
        if personal {
            Caching::Private
        } else {
            Caching::Public
        },
    )
}

#[derive(Template)]
#[template(path = "web/message.html")]
struct MessagePage {
    ctx: Ctx,
    title: String,
    text: String,
}

fn not_found(ctx: Ctx) -> Response {
    let title = ctx.t.t("not-found-title");
    let text = ctx.t.t("not-found-text");
    page_with_status(
        StatusCode::NOT_FOUND,
        &MessagePage { ctx, title, text },
        Caching::Private,
    )
}

fn failure(ctx: Ctx, e: &ApiError) -> Response {
    let title = ctx.t.t("error-title");
    let text = error_message(&ctx, e);
    page_with_status(
        e.status(),
        &MessagePage { ctx, title, text },
        Caching::Private,
    )
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    ctx: Ctx,
    title: String,
    next: String,
    action: String,
    confirm: String,
    intro: String,
    txn: String,
    sandbox_otp: String,
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The OTP login page of an area, at its first step or its second (`txn` set).
pub(super) fn otp_login_page(
    ctx: Ctx,
    area: Area,
    next: &str,
    txn: (&str, &str),
    status: StatusCode,
) -> Response {
    let (action, confirm, title, intro) = match area {
        Area::Desk => (
            "/desk/login",
            "/desk/login/otp",
            "desk-login-title",
            "desk-login-intro",
        ),
        _ => ("/login", "/login/otp", "login-title", "login-intro"),
    };
    let page_ = LoginPage {
        title: ctx.t.t(title),
        intro: ctx.t.t(intro),
        next: next.to_owned(),
        action: action.to_owned(),
        confirm: confirm.to_owned(),
        txn: txn.0.to_owned(),
        sandbox_otp: txn.1.to_owned(),
        ctx,
    };
    page_with_status(status, &page_, Caching::Private)
}

async fn login_page(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    otp_login_page(
        ctx,
        Area::Citizen,
        q.next.as_deref().unwrap_or(""),
        ("", ""),
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct MobileForm {
    pub(super) mobile: String,
    #[serde(default)]
    pub(super) next: String,
}

/// Sends the OTP of an area's login: the second step's page, or the first again with the error.
pub(super) async fn send_area_otp(
    mut ctx: Ctx,
    state: &AppState,
    area: Area,
    from: std::net::IpAddr,
    form: &MobileForm,
    purpose: &'static str,
) -> Response {
    let sent = match Mobile::parse(form.mobile.trim()) {
        Ok(mobile) => crate::cowin_v1::login::send_otp(state, from, &mobile, purpose).await,
        Err(e) => Err(ApiError::invalid("mobile", e)),
    };
    match sent {
        Ok((txn, code)) => {
            let shown = if ctx.sandbox {
                code.expose().to_owned()
            } else {
                String::new()
            };
            otp_login_page(ctx, area, &form.next, (&txn, &shown), StatusCode::OK)
        }
        Err(e) => {
            ctx.error = Some(error_message(&ctx, &e));
            otp_login_page(ctx, area, &form.next, ("", ""), e.status())
        }
    }
}

async fn send_login_otp(
    ctx: Ctx,
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    Form(form): Form<MobileForm>,
) -> Response {
    send_area_otp(ctx, &state, Area::Citizen, from, &form, "login").await
}

#[derive(Debug, Deserialize)]
pub(super) struct OtpForm {
    pub(super) txn: String,
    pub(super) otp: String,
    #[serde(default)]
    pub(super) next: String,
}

async fn confirm_login_otp(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<OtpForm>,
) -> Response {
    let proof = match crate::cowin_v2::otp_proof(form.otp.trim()) {
        Ok(p) => p,
        Err(e) => {
            ctx.error = Some(error_message(&ctx, &e));
            return otp_login_page(ctx, Area::Citizen, &form.next, (&form.txn, ""), e.status());
        }
    };
    match crate::cowin_v1::login::otp_login(&state, form.txn.trim(), &proof).await {
        Ok((token, _)) => session::open(&state, Area::Citizen, token, &form.next),
        Err(e) => {
            ctx.error = Some(error_message(&ctx, &e));
            otp_login_page(ctx, Area::Citizen, &form.next, (&form.txn, ""), e.status())
        }
    }
}

async fn logout(State(state): State<AppState>, citizen: Result<Citizen, Response>) -> Response {
    match citizen {
        Ok(Citizen(auth)) => {
            session::close(&state, Area::Citizen, &auth.claims, "/?notice=logged-out").await
        }
        Err(_) => see_other("/"),
    }
}

// ---------------------------------------------------------------- the family

/// The family's people, appointments and dose records.
async fn family_of(
    state: &AppState,
    auth: &crate::http::auth::BeneficiaryToken,
) -> Result<(Vec<Beneficiary>, Vec<Appointment>, Vec<DoseRecord>), ApiError> {
    let people: Vec<Beneficiary> = state
        .store
        .beneficiaries(&auth.account)
        .await?
        .into_iter()
        .filter(|b| auth.may_act_for(b.reference_id))
        .collect();
    let appointments = state.store.appointments(&auth.account).await?;
    let refs: Vec<BeneficiaryRef> = people.iter().map(|b| b.reference_id).collect();
    let doses = state.store.doses(&refs).await?;
    Ok((people, appointments, doses))
}

struct DoseView {
    line: String,
}

struct AppointmentView {
    id: String,
    centre_id: i64,
    centre: String,
    date: String,
    slot: String,
    line: String,
    status: String,
    active: bool,
}

struct MemberView {
    reference_id: String,
    name: String,
    details: String,
    photo_id: String,
    status: String,
    status_class: &'static str,
    doses: Vec<DoseView>,
    appointments: Vec<AppointmentView>,
}

#[derive(Template)]
#[template(path = "web/family.html")]
struct FamilyPage {
    ctx: Ctx,
    title: String,
    members: Vec<MemberView>,
    can_add: bool,
    id_types: Vec<(i64, &'static str)>,
    genders: Vec<(i64, String)>,
    this_year: i32,
}

async fn family(
    ctx: Ctx,
    State(state): State<AppState>,
    citizen: Result<Citizen, Response>,
) -> Response {
    let Citizen(auth) = match citizen {
        Ok(c) => c,
        Err(to_login) => return to_login,
    };
    family_page(ctx, &state, &auth, StatusCode::OK).await
}

async fn family_page(
    mut ctx: Ctx,
    state: &AppState,
    auth: &crate::http::auth::BeneficiaryToken,
    status: StatusCode,
) -> Response {
    let (people, appointments, doses) = match family_of(state, auth).await {
        Ok(f) => f,
        Err(e) => return failure(ctx, &e),
    };
    let t = ctx.t;
    let mut centres: std::collections::HashMap<CenterId, String> = std::collections::HashMap::new();
    for a in &appointments {
        if let std::collections::hash_map::Entry::Vacant(e) = centres.entry(a.center_id) {
            match state.store.center(a.center_id).await {
                Ok(c) => {
                    e.insert(c.name);
                }
                Err(err) => ctx.error = Some(error_message(&ctx, &err.into())),
            }
        }
    }
    let today = state.clock.today();
    let members = people
        .iter()
        .map(|b| {
            let own: Vec<DoseRecord> = doses
                .iter()
                .filter(|d| d.beneficiary == b.reference_id)
                .cloned()
                .collect();
            let status = covid_status(&own);
            let (label, class) = match status.label {
                "Vaccinated" => (t.t("status-vaccinated"), "ok"),
                "Partially Vaccinated" => (t.t("status-partially"), "partly"),
                _ => (t.t("status-not-vaccinated"), "none"),
            };
            MemberView {
                reference_id: b.reference_id.to_string(),
                name: b.name.clone(),
                details: t.ta(
                    "family-member-details",
                    &[
                        ("year", b.birth_year.to_string()),
                        ("gender", t.t(&format!("gender-{}", b.gender.id()))),
                        ("ref", b.reference_id.to_string()),
                    ],
                ),
                photo_id: b.photo_id_line(),
                status: label,
                status_class: class,
                doses: own
                    .iter()
                    .map(|d| DoseView {
                        line: t.ta(
                            "family-dose-line",
                            &[
                                ("dose", d.dose.to_string()),
                                ("vaccine", d.vaccine_code.clone()),
                                ("date", t.date(d.date)),
                            ],
                        ),
                    })
                    .collect(),
                appointments: appointments
                    .iter()
                    .filter_map(|a| {
                        let mine = a
                            .beneficiaries
                            .iter()
                            .find(|p| p.reference_id == b.reference_id)?;
                        let active = mine.status == BookingStatus::Active;
                        let upcoming = a.date >= today;
                        (active && upcoming || mine.status == BookingStatus::Completed).then(|| {
                            AppointmentView {
                                id: a.id.to_string(),
                                centre_id: a.center_id.0,
                                centre: centres.get(&a.center_id).cloned().unwrap_or_default(),
                                date: t.date(a.date),
                                slot: a.slot.timings.to_cowin_v2(),
                                line: t.ta(
                                    "family-appointment-line",
                                    &[
                                        ("dose", a.dose.to_string()),
                                        ("vaccine", a.vaccine_code.clone()),
                                    ],
                                ),
                                status: t.t(&format!(
                                    "appointment-{}",
                                    mine.status.as_str().to_ascii_lowercase()
                                )),
                                active,
                            }
                        })
                    })
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    let can_add = u32::try_from(people.len()).unwrap_or(u32::MAX) < state.config.family_size
        && auth.only.is_none();
    let title = t.t("family-title");
    page_with_status(
        status,
        &FamilyPage {
            title,
            members,
            can_add,
            id_types: PHOTO_ID_TYPES.iter().map(|p| (p.id, p.name)).collect(),
            genders: GENDERS
                .iter()
                .map(|g| (g.id, t.t(&format!("gender-{}", g.id))))
                .collect(),
            this_year: today.year(),
            ctx,
        },
        Caching::Private,
    )
}

#[derive(Debug, Deserialize)]
struct MemberForm {
    name: String,
    birth_year: String,
    gender_id: String,
    photo_id_type: String,
    photo_id_number: String,
    #[serde(default)]
    comorbidity: Option<String>,
    #[serde(default)]
    consent: Option<String>,
}

async fn add_member(
    mut ctx: Ctx,
    State(state): State<AppState>,
    citizen: Result<Citizen, Response>,
    Form(form): Form<MemberForm>,
) -> Response {
    let Citizen(auth) = match citizen {
        Ok(c) => c,
        Err(to_login) => return to_login,
    };
    // The API's request body, so the API's checks apply word for word.
    let body = NewBeneficiaryBody {
        name: form.name,
        birth_year: form.birth_year.trim().into(),
        gender_id: form
            .gender_id
            .trim()
            .parse::<i64>()
            .map_or(serde_json::Value::Null, Into::into),
        photo_id_type: form
            .photo_id_type
            .trim()
            .parse::<i64>()
            .map_or(serde_json::Value::Null, Into::into),
        photo_id_number: form.photo_id_number.trim().into(),
        comorbidity_ind: if form.comorbidity.is_some() { "Y" } else { "N" }.to_owned(),
        consent_version: if form.consent.is_some() { "V1" } else { "" }.to_owned(),
    };
    let added = async {
        if auth.only.is_some() {
            return Err(ApiError::unauthenticated());
        }
        let person = body.person(state.clock.today().year())?;
        let registration = Registration::new(
            &state.identity,
            BeneficiaryRef::random(),
            Err(auth.account.clone()),
            person,
        );
        auth.store
            .register_beneficiary(&registration, state.config.family_size)
            .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match added {
        Ok(()) => see_other("/family?notice=member-added"),
        Err(e) => {
            ctx.error = Some(error_message(&ctx, &e));
            family_page(ctx, &state, &auth, e.status()).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct RemoveForm {
    reference_id: String,
}

fn reference(raw: &str) -> Result<BeneficiaryRef, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .and_then(|n| BeneficiaryRef::new(n).ok())
        .ok_or_else(|| ApiError::not_found("beneficiary"))
}

async fn remove_member(
    mut ctx: Ctx,
    State(state): State<AppState>,
    citizen: Result<Citizen, Response>,
    Form(form): Form<RemoveForm>,
) -> Response {
    let Citizen(auth) = match citizen {
        Ok(c) => c,
        Err(to_login) => return to_login,
    };
    let removed = async {
        let id = reference(&form.reference_id)?;
        if !auth.may_act_for(id) {
            return Err(ApiError::not_found("beneficiary"));
        }
        auth.store.delete_beneficiary(&auth.account, id).await?;
        Ok(())
    }
    .await;
    match removed {
        Ok(()) => see_other("/family?notice=member-removed"),
        Err(e) => {
            ctx.error = Some(error_message(&ctx, &e));
            family_page(ctx, &state, &auth, e.status()).await
        }
    }
}

// ---------------------------------------------------------------- booking

#[derive(Debug, Deserialize)]
struct BookForm {
    session_id: String,
    slot: String,
    dose: String,
    #[serde(default)]
    beneficiary: Vec<String>,
}

/// Back to a centre's calendar (on the session's date) with an error code to show.
fn back_to_centre(session: Option<&Session>, code: &str) -> Response {
    match session {
        Some(s) => see_other(&format!(
            "/centre/{}?from={}&error={code}",
            s.center_id.0,
            s.date
                .format(time::macros::format_description!("[year]-[month]-[day]"))
                .unwrap_or_default()
        )),
        None => see_other(&format!("/family?error={code}")),
    }
}

async fn book(
    State(state): State<AppState>,
    citizen: Result<Citizen, Response>,
    Form(form): Form<BookForm>,
) -> Response {
    let Citizen(auth) = match citizen {
        Ok(c) => c,
        Err(to_login) => return to_login,
    };
    let mut session_seen = None;
    let booked = async {
        let (session, slot_id) = session_slot(&state, &form.session_id, &form.slot).await?;
        session_seen = Some(session.clone());
        let beneficiaries = form
            .beneficiary
            .iter()
            .map(|b| reference(b))
            .collect::<Result<Vec<_>, _>>()?;
        if beneficiaries.is_empty() {
            return Err(ApiError::invalid(
                "beneficiaries",
                "choose at least one person",
            ));
        }
        if beneficiaries.iter().any(|b| !auth.may_act_for(*b)) {
            return Err(ApiError::not_found("beneficiary"));
        }
        let dose = form
            .dose
            .trim()
            .parse::<u8>()
            .map_err(|_| ApiError::invalid("dose", "must be a dose number"))?;
        let request = BookingRequest {
            account: auth.account.clone(),
            center_id: session.center_id,
            date: session.date,
            slot_id,
            beneficiaries,
            dose: Some(dose),
        };
        request.validate()?;
        Ok::<_, ApiError>(book_unless_sold_out(&state, &auth, &session, &request, None).await?)
    }
    .await;
    match booked {
        Ok(_) => see_other("/family?notice=booked"),
        Err(e) => back_to_centre(session_seen.as_ref(), e.code()),
    }
}

#[derive(Debug, Deserialize)]
struct MoveForm {
    session_id: String,
    slot: String,
}

fn appointment_id(raw: &str) -> Result<AppointmentId, ApiError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(AppointmentId)
        .map_err(|_| ApiError::not_found("appointment"))
}

async fn reschedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    citizen: Result<Citizen, Response>,
    Form(form): Form<MoveForm>,
) -> Response {
    let Citizen(auth) = match citizen {
        Ok(c) => c,
        Err(to_login) => return to_login,
    };
    let mut session_seen = None;
    let moved = async {
        let id = appointment_id(&id)?;
        let number = state.store.appointment_number(&auth.account, id).await?;
        let (session, slot_id) = session_slot(&state, &form.session_id, &form.slot).await?;
        session_seen = Some(session.clone());
        let to = BookingRequest {
            account: auth.account.clone(),
            center_id: session.center_id,
            date: session.date,
            slot_id,
            beneficiaries: auth.only.into_iter().collect(),
            dose: None,
        };
        auth.store
            .reschedule(&RescheduleRequest { number, to }, None)
            .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match moved {
        Ok(()) => see_other("/family?notice=rescheduled"),
        Err(e) => back_to_centre(session_seen.as_ref(), e.code()),
    }
}

#[derive(Debug, Deserialize)]
struct CancelForm {
    #[serde(default)]
    reference_id: Option<String>,
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    citizen: Result<Citizen, Response>,
    Form(form): Form<CancelForm>,
) -> Response {
    let Citizen(auth) = match citizen {
        Ok(c) => c,
        Err(to_login) => return to_login,
    };
    let cancelled = async {
        let id = appointment_id(&id)?;
        let number = state.store.appointment_number(&auth.account, id).await?;
        let who = match form
            .reference_id
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        {
            Some(r) => vec![reference(r)?],
            None => Vec::new(),
        };
        crate::cowin_v1::appointments::cancel_as(&state, &auth, number, &who).await
    }
    .await;
    match cancelled {
        Ok(()) => see_other("/family?notice=cancelled"),
        Err(e) => see_other(&format!("/family?error={}", e.code())),
    }
}

async fn slip(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    citizen: Result<Citizen, Response>,
) -> Response {
    let Citizen(auth) = match citizen {
        Ok(c) => c,
        Err(to_login) => return to_login,
    };
    if appointment_id(&id).is_err() {
        return not_found(ctx);
    }
    match crate::cowin_v2::slip::slip_download(&state, &auth, id).await {
        Ok(pdf) => pdf,
        Err(e) if e.status() == StatusCode::NOT_FOUND => not_found(ctx),
        Err(e) => failure(ctx, &e),
    }
}

async fn certificate(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(reference_id): Path<String>,
    citizen: Result<Citizen, Response>,
) -> Response {
    let Citizen(auth) = match citizen {
        Ok(c) => c,
        Err(to_login) => return to_login,
    };
    let Ok(id) = reference(&reference_id) else {
        return not_found(ctx);
    };
    match crate::certificates::family_certificate(
        &auth,
        &state,
        id,
        crate::certificates::Wanted::Pdf,
    )
    .await
    {
        Ok(pdf) => pdf,
        Err(e) if e.status() == StatusCode::NOT_FOUND => not_found(ctx),
        Err(e) => failure(ctx, &e),
    }
}
