//! Administrators' pages (`/admin`): the admin token exchanged for a session; centres (list,
//! filter, create, edit, deactivate); opening sessions from a slot template over a date range
//! and closing them; the facility CSV upload with its progress bar and row report;
//! vaccinators; partner keys (issue, rotate, revoke); utilization as SVG charts (a centre's
//! days, a district's centres side by side); and the audit chain's verification.
//!
//! Each action calls what the admin API's handler calls ([`crate::admin`]), acting as the admin
//! through the same audited store, so no rule is written twice.

use super::charts::{self, Bar, Legend};
use super::session::{self, Admin, Area};
use super::{Caching, Ctx, field_label, form_page, page, page_with_status, see_other};
use crate::AppState;
use crate::admin::centers::{CenterPatchBody, CenterQuery, NewCenterBody};
use crate::admin::facility_import::{ImportMode, ImportReport};
use crate::admin::sessions::{OpenSessionsBody, SlotTemplateBody};
use crate::error::ApiError;
use crate::http::auth::{admin_fingerprint, secret_matches};
use crate::http::rate_limit::ClientAddress;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::Form;
use sehat_domain::credentials::{PartnerKey, parse_partner};
use sehat_domain::facility::Center;
use sehat_domain::ids::{CenterId, DistrictId, SessionId};
use sehat_domain::immunization::VaccinatorId;
use sehat_domain::schedule::{DayUtilization, Session, SessionStatus};
use sehat_domain::vaccination::Vaccinator;
use serde::Deserialize;
use time::Date;

/// The admin's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/admin", get(centres))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", form_page("/admin").post(logout))
        .route("/admin/centres/new", get(new_centre_page))
        .route("/admin/centres", form_page("/admin").post(create_centre))
        .route("/admin/centre/{id}", get(centre).post(edit_centre))
        .route("/admin/centre/{id}/edit", get(edit_centre_page))
        .route(
            "/admin/centre/{id}/active",
            form_page("/admin/centre/{id}").post(set_active),
        )
        .route(
            "/admin/centre/{id}/sessions",
            form_page("/admin/centre/{id}").post(open_sessions),
        )
        .route(
            "/admin/centre/{id}/session/{session}/close",
            form_page("/admin/centre/{id}").post(close_session),
        )
        .route(
            "/admin/centre/{id}/vaccinators",
            form_page("/admin/centre/{id}").post(add_vaccinator),
        )
        .route(
            "/admin/centre/{id}/vaccinator/{vaccinator}/deactivate",
            form_page("/admin/centre/{id}").post(deactivate_vaccinator),
        )
        .route("/admin/district/{id}", get(district))
        .route("/admin/upload", get(upload_page).post(upload))
        .route("/admin/partners", get(partners))
        .route(
            "/admin/partners/issue",
            form_page("/admin/partners").post(issue_key),
        )
        .route(
            "/admin/partners/revoke",
            form_page("/admin/partners").post(revoke_key),
        )
        .route("/admin/audit", get(audit).post(verify_audit))
}

/// The days a centre's page and a district's chart show: today and the 13 after.
const DAYS: i64 = 14;

/// Centres on a page of the list.
const LISTED: u32 = 50;

/// The most centres a district's chart compares.
const DISTRICT_CENTRES: u32 = 60;

// ---------------------------------------------------------------- messages and failures

#[derive(Template)]
#[template(path = "web/admin/message.html")]
struct AdminMessage {
    ctx: Ctx,
    title: String,
    text: String,
}

/// A page saying why an action failed (404: the thing is not there).
fn failure(ctx: Ctx, e: &ApiError) -> Response {
    let (title, text) = super::failure_words(&ctx, e, admin_error);
    page_with_status(
        e.status(),
        &AdminMessage { ctx, title, text },
        Caching::Private,
    )
}

/// What a page says when a use case refuses: for a field, its label and the rule's own words
/// (an administrator fixes the field from them); otherwise the message of the error's code.
fn admin_error(ctx: &Ctx, e: &ApiError) -> String {
    match (e.field(), e.code()) {
        (Some(field), "SEHAT0400") => ctx.t.ta(
            "admin-error-field",
            &[
                ("field", field_label(ctx, field)),
                ("reason", e.reason().to_owned()),
            ],
        ),
        (_, "USRRES0005") => {
            let (wrong, missing) = e.headers();
            let list = |names: &[String]| {
                if names.is_empty() {
                    "—".to_owned()
                } else {
                    names.join(", ")
                }
            };
            ctx.t.ta(
                "admin-error-headers",
                &[("wrong", list(wrong)), ("missing", list(missing))],
            )
        }
        _ => super::error_message(ctx, e),
    }
}

/// `e` with its field `from` named `to` (the admin forms' own labels: a centre's name is not
/// a person's).
fn renamed(e: ApiError, from: &str, to: &str) -> ApiError {
    if e.field() == Some(from) && e.code() == "SEHAT0400" {
        ApiError::invalid(to, e.reason())
    } else {
        e
    }
}

/// An admin session, or the answer that sends the browser to the login.
macro_rules! admin_or_login {
    ($admin:expr) => {
        match $admin {
            Ok(admin) => admin,
            Err(to_login) => return to_login,
        }
    };
}

/// An empty form field is an absent one.
fn given(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// A number typed in a form: absent when empty, the field's error when not a number.
fn number<T: std::str::FromStr>(field: &'static str, value: &str) -> Result<Option<T>, ApiError> {
    given(value)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| ApiError::invalid(field, "must be a number"))
        })
        .transpose()
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "web/admin/login.html")]
struct LoginPage {
    ctx: Ctx,
    title: String,
    next: String,
    configured: bool,
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn login_form(ctx: Ctx, state: &AppState, next: &str, status: StatusCode) -> Response {
    let title = ctx.t.t("admin-login-title");
    page_with_status(
        status,
        &LoginPage {
            ctx,
            title,
            next: next.to_owned(),
            configured: state.config.admin_token.is_some(),
        },
        Caching::Private,
    )
}

async fn login_page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<NextQuery>,
) -> Response {
    login_form(ctx, &state, q.next.as_deref().unwrap_or(""), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

async fn login(
    mut ctx: Ctx,
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Response {
    // Guessing goes no faster than the public rate limit of the address allows.
    if state.limiter.check(from).is_err() {
        ctx.error = Some(ctx.t.t("error-SEHAT0429"));
        return login_form(ctx, &state, &form.next, StatusCode::TOO_MANY_REQUESTS);
    }
    let (Some(expected), Some(fingerprint)) = (
        state.config.admin_token.as_deref(),
        admin_fingerprint(&state),
    ) else {
        return login_form(ctx, &state, &form.next, StatusCode::UNAUTHORIZED);
    };
    if !secret_matches(form.token.trim(), expected) {
        ctx.error = Some(ctx.t.t("admin-login-wrong"));
        return login_form(ctx, &state, &form.next, StatusCode::UNAUTHORIZED);
    }
    match state
        .tokens
        .admin_session(state.clock.now_millis(), &fingerprint)
    {
        Ok(token) => session::open(&state, Area::Admin, token, &form.next),
        Err(e) => failure(ctx, &e),
    }
}

async fn logout(State(state): State<AppState>, admin: Result<Admin, Response>) -> Response {
    match admin {
        Ok(admin) => {
            session::close(
                &state,
                Area::Admin,
                &admin.claims,
                "/admin/login?notice=logged-out",
            )
            .await
        }
        Err(_) => see_other("/admin/login"),
    }
}

// ---------------------------------------------------------------- centres

/// A centre in the list.
struct CentreRow {
    id: i64,
    name: String,
    place: String,
    pincode: String,
    vaccines: String,
    active: bool,
}

impl From<&Center> for CentreRow {
    fn from(c: &Center) -> Self {
        Self {
            id: c.id.0,
            name: c.name.clone(),
            place: format!("{}, {}", c.district_name, c.state_name),
            pincode: c.pincode.to_string(),
            vaccines: c.vaccine_codes.join(", "),
            active: c.active,
        }
    }
}

/// A state or district in a chooser.
struct Choice {
    id: i64,
    name: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "web/admin/centres.html")]
struct CentresPage {
    ctx: Ctx,
    title: String,
    states: Vec<Choice>,
    districts: Vec<Choice>,
    district_id: i64,
    pincode: String,
    name: String,
    rows: Vec<CentreRow>,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
struct CentresQuery {
    #[serde(default)]
    state_id: String,
    #[serde(default)]
    district_id: String,
    #[serde(default)]
    pincode: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    after: String,
}

async fn centres(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<CentresQuery>,
    admin: Result<Admin, Response>,
) -> Response {
    let _admin = admin_or_login!(admin);
    let state_id = number::<i64>("state_id", &q.state_id).ok().flatten();
    let district_id = number::<i64>("district_id", &q.district_id).ok().flatten();
    // A district chosen under another state is dropped with the state change.
    let district_id = district_id.filter(|d| {
        state
            .gazetteer
            .district(DistrictId(*d))
            .is_some_and(|d| Some(d.state_id.0) == state_id || state_id.is_none())
    });
    let state_id = state_id.or_else(|| {
        district_id.and_then(|d| {
            state
                .gazetteer
                .district(DistrictId(d))
                .map(|d| d.state_id.0)
        })
    });
    let query = CenterQuery {
        state_id,
        district_id,
        pincode: given(&q.pincode),
        name: given(&q.name),
        after: number("after", &q.after).ok().flatten(),
        // One more than shown: a next page only when there is one.
        limit: Some(LISTED + 1),
    };
    let mut status = StatusCode::OK;
    let (rows, next_after) = match crate::admin::centers::list(&state, query).await {
        Ok((mut found, _)) => {
            let more = found.len() > LISTED as usize;
            found.truncate(LISTED as usize);
            let next = more.then(|| found.last().map(|c| c.id.0)).flatten();
            (found.iter().map(CentreRow::from).collect(), next)
        }
        Err(e) => {
            ctx.error = Some(admin_error(&ctx, &e));
            status = e.status();
            (Vec::new(), None)
        }
    };
    let states = state
        .gazetteer
        .states()
        .into_iter()
        .map(|s| Choice {
            id: s.id.0,
            name: s.name.clone(),
            chosen: Some(s.id.0) == state_id,
        })
        .collect();
    let districts = state_id
        .map(|s| {
            state
                .gazetteer
                .districts_of(sehat_domain::ids::StateId(s))
                .into_iter()
                .map(|d| Choice {
                    id: d.id.0,
                    name: d.name.clone(),
                    chosen: Some(d.id.0) == district_id,
                })
                .collect()
        })
        .unwrap_or_default();
    let next = next_after.map_or_else(String::new, |after| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair(
                "state_id",
                &state_id.map(|s| s.to_string()).unwrap_or_default(),
            )
            .append_pair(
                "district_id",
                &district_id.map(|d| d.to_string()).unwrap_or_default(),
            )
            .append_pair("pincode", q.pincode.trim())
            .append_pair("name", q.name.trim())
            .append_pair("after", &after.to_string())
            .finish()
    });
    let title = ctx.t.t("admin-centres-title");
    page_with_status(
        status,
        &CentresPage {
            ctx,
            title,
            states,
            districts,
            district_id: district_id.unwrap_or(0),
            pincode: q.pincode.trim().to_owned(),
            name: q.name.trim().to_owned(),
            rows,
            next,
        },
        Caching::Private,
    )
}

/// The fields of the centre form, as typed.
#[derive(Debug, Default, Deserialize)]
struct CentreForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    district_id: String,
    #[serde(default)]
    pincode: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    incharge_name: String,
    #[serde(default)]
    incharge_mobile: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    long: String,
    #[serde(default)]
    centre_type: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    fee_type: String,
    #[serde(default)]
    vaccines: String,
}

impl CentreForm {
    fn of(c: &Center) -> Self {
        Self {
            name: c.name.clone(),
            district_id: c.district_id.0.to_string(),
            pincode: c.pincode.to_string(),
            address: c.address.clone(),
            incharge_name: c.incharge_name.clone().unwrap_or_default(),
            incharge_mobile: c.incharge_mobile.clone().unwrap_or_default(),
            lat: c.lat.map(|v| v.to_string()).unwrap_or_default(),
            long: c.long.map(|v| v.to_string()).unwrap_or_default(),
            centre_type: c.centre_type.as_str().to_owned(),
            area: c.area.as_str().to_owned(),
            fee_type: c.fee_type.as_str().to_owned(),
            vaccines: c.vaccine_codes.join(", "),
        }
    }

    fn vaccine_codes(&self) -> Vec<String> {
        self.vaccines
            .split([',', ' ', ';'])
            .map(|v| v.trim().to_ascii_uppercase())
            .filter(|v| !v.is_empty())
            .collect()
    }

    fn new_centre(&self) -> Result<NewCenterBody, ApiError> {
        Ok(NewCenterBody {
            name: self.name.clone(),
            state_id: None,
            district_id: number("district_id", &self.district_id)?
                .ok_or_else(|| ApiError::invalid("district_id", "choose the district"))?,
            block_id: None,
            pincode: self.pincode.trim().to_owned(),
            address: self.address.clone(),
            incharge_name: given(&self.incharge_name),
            incharge_mobile: given(&self.incharge_mobile),
            lat: number("lat", &self.lat)?,
            long: number("long", &self.long)?,
            centre_type: given(&self.centre_type),
            area: given(&self.area),
            fee_type: given(&self.fee_type),
            vaccines: self.vaccine_codes(),
        })
    }

    /// The changes to `centre`. A field emptied that the centre holds is refused: the admin API
    /// changes optional fields but cannot remove them, and "saved" must not hide that.
    fn patch(&self, centre: &Center) -> Result<CenterPatchBody, ApiError> {
        let emptied = |field: &'static str, typed: &str, held: bool| {
            if held && typed.trim().is_empty() {
                Err(ApiError::invalid(field, "can be changed but not removed"))
            } else {
                Ok(())
            }
        };
        emptied(
            "incharge_name",
            &self.incharge_name,
            centre.incharge_name.is_some(),
        )?;
        emptied(
            "incharge_mobile",
            &self.incharge_mobile,
            centre.incharge_mobile.is_some(),
        )?;
        emptied("lat", &self.lat, centre.lat.is_some())?;
        emptied("long", &self.long, centre.long.is_some())?;
        Ok(CenterPatchBody {
            name: Some(self.name.clone()),
            address: Some(self.address.clone()),
            incharge_name: given(&self.incharge_name),
            incharge_mobile: given(&self.incharge_mobile),
            lat: number("lat", &self.lat)?,
            long: number("long", &self.long)?,
            centre_type: given(&self.centre_type),
            area: given(&self.area),
            fee_type: given(&self.fee_type),
            vaccines: Some(self.vaccine_codes()),
            active: None,
        })
    }
}

/// A district in the form's chooser, under its state.
struct DistrictGroup {
    state: String,
    districts: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "web/admin/centre_form.html")]
struct CentreFormPage {
    ctx: Ctx,
    title: String,
    action: String,
    /// The centre being edited (its place cannot change), or 0 for a new one.
    centre_id: i64,
    place: String,
    form: CentreForm,
    groups: Vec<DistrictGroup>,
    centre_types: Vec<Opt>,
    areas: Vec<Opt>,
    fees: Vec<Opt>,
}

/// An option of a chooser.
struct Opt {
    value: &'static str,
    label: String,
    chosen: bool,
}

/// The options `values` (message `{prefix}-{value}`), with `chosen` selected.
fn options(ctx: &Ctx, prefix: &str, values: &[&'static str], chosen: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: v,
            label: ctx.t.t(&format!("{prefix}-{v}")),
            chosen: v.eq_ignore_ascii_case(chosen.trim()),
        })
        .collect()
}

fn district_groups(state: &AppState, chosen: &str) -> Vec<DistrictGroup> {
    state
        .gazetteer
        .states()
        .into_iter()
        .map(|s| DistrictGroup {
            state: s.name.clone(),
            districts: state
                .gazetteer
                .districts_of(s.id)
                .into_iter()
                .map(|d| Choice {
                    id: d.id.0,
                    name: d.name.clone(),
                    chosen: d.id.0.to_string() == chosen.trim(),
                })
                .collect(),
        })
        .collect()
}

fn centre_form(
    ctx: Ctx,
    state: &AppState,
    editing: Option<&Center>,
    form: CentreForm,
    status: StatusCode,
) -> Response {
    let (title, action, centre_id, place) = match editing {
        Some(c) => (
            ctx.t.t1("admin-edit-title", "centre", &c.name),
            format!("/admin/centre/{}", c.id.0),
            c.id.0,
            format!(
                "{}, {}, {} {}",
                c.district_name,
                c.state_name,
                ctx.t.t("field-pincode"),
                c.pincode
            ),
        ),
        None => (
            ctx.t.t("admin-new-title"),
            "/admin/centres".to_owned(),
            0,
            String::new(),
        ),
    };
    let groups = if editing.is_none() {
        district_groups(state, &form.district_id)
    } else {
        Vec::new()
    };
    let centre_types = options(
        &ctx,
        "admin-centre-type",
        &["Permanent", "Mobile", "Static"],
        &form.centre_type,
    );
    let areas = options(&ctx, "admin-area", &["Urban", "Rural"], &form.area);
    let fees = options(&ctx, "admin-fee", &["Free", "Paid"], &form.fee_type);
    page_with_status(
        status,
        &CentreFormPage {
            ctx,
            title,
            action,
            centre_id,
            place,
            form,
            groups,
            centre_types,
            areas,
            fees,
        },
        Caching::Private,
    )
}

async fn new_centre_page(
    ctx: Ctx,
    State(state): State<AppState>,
    admin: Result<Admin, Response>,
) -> Response {
    let _admin = admin_or_login!(admin);
    let form = CentreForm {
        centre_type: "Permanent".into(),
        area: "Urban".into(),
        fee_type: "Free".into(),
        ..CentreForm::default()
    };
    centre_form(ctx, &state, None, form, StatusCode::OK)
}

async fn create_centre(
    mut ctx: Ctx,
    State(state): State<AppState>,
    admin: Result<Admin, Response>,
    Form(form): Form<CentreForm>,
) -> Response {
    let admin = admin_or_login!(admin);
    let created = async {
        let body = form.new_centre()?;
        crate::admin::centers::create(&state, admin.store.as_ref(), body).await
    }
    .await
    .map_err(|e| renamed(e, "name", "centre_name"));
    match created {
        Ok(c) => see_other(&format!(
            "/admin/centre/{}?notice=admin-centre-created",
            c.id.0
        )),
        Err(e) => {
            ctx.error = Some(admin_error(&ctx, &e));
            centre_form(ctx, &state, None, form, e.status())
        }
    }
}

async fn edit_centre_page(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    admin: Result<Admin, Response>,
) -> Response {
    let _admin = admin_or_login!(admin);
    match state.store.center(CenterId(id)).await {
        Ok(c) => {
            let form = CentreForm::of(&c);
            centre_form(ctx, &state, Some(&c), form, StatusCode::OK)
        }
        Err(e) => failure(ctx, &e.into()),
    }
}

async fn edit_centre(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    admin: Result<Admin, Response>,
    Form(form): Form<CentreForm>,
) -> Response {
    let admin = admin_or_login!(admin);
    let centre = match state.store.center(CenterId(id)).await {
        Ok(c) => c,
        Err(e) => return failure(ctx, &e.into()),
    };
    let changed = async {
        let patch = form.patch(&centre)?;
        crate::admin::centers::update(&state, admin.store.as_ref(), centre.id, patch).await
    }
    .await
    .map_err(|e| renamed(e, "name", "centre_name"));
    match changed {
        Ok(_) => see_other(&format!("/admin/centre/{id}?notice=admin-centre-saved")),
        Err(e) => {
            ctx.error = Some(admin_error(&ctx, &e));
            centre_form(ctx, &state, Some(&centre), form, e.status())
        }
    }
}

#[derive(Debug, Deserialize)]
struct ActiveForm {
    active: String,
}

async fn set_active(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    admin: Result<Admin, Response>,
    Form(form): Form<ActiveForm>,
) -> Response {
    let admin = admin_or_login!(admin);
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return failure(ctx, &ApiError::invalid("active", "must be true or false")),
    };
    let patch = CenterPatchBody {
        active: Some(active),
        ..CenterPatchBody::default()
    };
    match crate::admin::centers::update(&state, admin.store.as_ref(), CenterId(id), patch).await {
        Ok(_) => see_other(&format!(
            "/admin/centre/{id}?notice={}",
            if active {
                "admin-centre-activated"
            } else {
                "admin-centre-deactivated"
            }
        )),
        Err(e) => failure(ctx, &e),
    }
}

// ---------------------------------------------------------------- one centre

/// A session in the centre's list.
struct SessionRow {
    id: String,
    date: String,
    vaccine: String,
    ages: String,
    dose: String,
    slots: Vec<String>,
    booked: String,
    capacity: String,
    open: bool,
}

/// A vaccinator's post in the centre's list.
struct PostRow {
    id: i64,
    name: String,
    mobile: String,
    active: bool,
}

impl From<&Vaccinator> for PostRow {
    fn from(v: &Vaccinator) -> Self {
        Self {
            id: v.id.0,
            name: v.name.clone(),
            mobile: format!("******{}", v.mobile_last4),
            active: v.active,
        }
    }
}

/// A day of the utilization table beside the chart.
struct DayRow {
    date: String,
    sessions: String,
    capacity: String,
    booked: String,
    share: String,
}

/// What the open-sessions form held, typed.
#[derive(Debug, Default, Deserialize)]
struct SessionsForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    vaccine: String,
    #[serde(default)]
    min_age: String,
    #[serde(default)]
    max_age: String,
    #[serde(default)]
    dose: String,
    #[serde(default)]
    capacity_online: String,
    #[serde(default)]
    capacity_walkin: String,
    #[serde(default)]
    capacity_dose1: String,
    #[serde(default)]
    fee: String,
    #[serde(default)]
    slots: String,
}

impl SessionsForm {
    fn defaults(today: Date, centre: &Center) -> Self {
        Self {
            from: iso(today),
            to: iso(today + time::Duration::days(6)),
            vaccine: centre.vaccine_codes.first().cloned().unwrap_or_default(),
            min_age: "18".into(),
            capacity_online: "100".into(),
            capacity_walkin: "10".into(),
            fee: "0".into(),
            slots:
                "Morning 09:00AM-11:00AM\nLate morning 11:00AM-01:00PM\nAfternoon 02:00PM-04:00PM"
                    .into(),
            ..Self::default()
        }
    }

    fn body(&self) -> Result<OpenSessionsBody, ApiError> {
        let slots = self
            .slots
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| match line.rsplit_once(char::is_whitespace) {
                // "Morning 09:00AM-11:00AM": a name, then the window.
                Some((name, window)) if window.contains('-') && !name.contains('-') => {
                    SlotTemplateBody {
                        name: Some(name.trim().to_owned()),
                        timings: window.to_owned(),
                        capacity: None,
                    }
                }
                _ => SlotTemplateBody {
                    name: None,
                    timings: line.to_owned(),
                    capacity: None,
                },
            })
            .collect::<Vec<_>>();
        if slots.is_empty() {
            return Err(ApiError::invalid("slots", "give at least one slot"));
        }
        Ok(OpenSessionsBody {
            from: self.from.trim().to_owned(),
            to: self.to.trim().to_owned(),
            vaccine: self.vaccine.trim().to_owned(),
            min_age: number("min_age", &self.min_age)?.unwrap_or(0),
            max_age: number("max_age", &self.max_age)?,
            dose: number("dose", &self.dose)?,
            capacity_online: number("capacity_online", &self.capacity_online)?
                .ok_or_else(|| ApiError::invalid("capacity_online", "give the online seats"))?,
            capacity_walkin: number("capacity_walkin", &self.capacity_walkin)?.unwrap_or(0),
            capacity_dose1: number("capacity_dose1", &self.capacity_dose1)?,
            fee: number("fee", &self.fee)?.unwrap_or(0),
            slots,
        })
    }
}

#[derive(Template)]
#[template(path = "web/admin/centre.html")]
struct CentrePage {
    ctx: Ctx,
    title: String,
    centre: CentreRow,
    district_id: i64,
    district: String,
    address: String,
    chart: String,
    days: Vec<DayRow>,
    sessions: Vec<SessionRow>,
    form: SessionsForm,
    vaccines: Vec<String>,
    posts: Vec<PostRow>,
    vaccinator_name: String,
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The centre's page, with `form` in the open-sessions form and `ctx`'s message.
async fn centre_page(
    ctx: Ctx,
    state: &AppState,
    admin: &Admin,
    id: CenterId,
    form: Option<SessionsForm>,
    vaccinator_name: String,
) -> Result<CentrePage, ApiError> {
    let t = &ctx.t;
    let centre = state.store.center(id).await?;
    let today = state.clock.today();
    let last = today + time::Duration::days(DAYS - 1);
    let sessions = state.store.sessions(id, today, last).await?;
    let days = every_day(today, last, state.store.utilization(id, today, last).await?);
    let posts = admin.store.vaccinators(id).await?;
    let chart = charts::daily(
        "utilization",
        &days
            .iter()
            .map(|d| Bar {
                label: t.t(&format!(
                    "weekday-{}",
                    d.date.weekday().number_from_monday()
                )),
                note: format!(
                    "{} {}",
                    d.date.day(),
                    t.t(&format!("month-{}", u8::from(d.date.month())))
                ),
                capacity: d.capacity,
                booked: d.booked,
            })
            .collect::<Vec<_>>(),
        &Legend {
            title: t.t1("admin-chart-days-title", "centre", &centre.name),
            description: t.ta(
                "admin-chart-days-description",
                &[("from", t.date(today)), ("to", t.date(last))],
            ),
            capacity: t.t("admin-capacity"),
            booked: t.t("admin-booked"),
        },
    );
    let form = form.unwrap_or_else(|| SessionsForm::defaults(today, &centre));
    Ok(CentrePage {
        title: centre.name.clone(),
        centre: CentreRow::from(&centre),
        district_id: centre.district_id.0,
        district: centre.district_name.clone(),
        address: centre.address.clone(),
        chart,
        days: days.iter().map(|d| day_row(t, d)).collect(),
        sessions: sessions.iter().map(|s| session_row(t, s)).collect(),
        form,
        vaccines: centre.vaccine_codes.clone(),
        posts: posts.iter().map(PostRow::from).collect(),
        vaccinator_name,
        ctx,
    })
}

/// The days from `first` to `last`, each with its figures (zero on a day without sessions: the
/// store lists only days that have some).
fn every_day(first: Date, last: Date, found: Vec<DayUtilization>) -> Vec<DayUtilization> {
    let mut found = found.into_iter().peekable();
    let mut out = Vec::new();
    let mut date = first;
    while date <= last {
        match found.next_if(|d| d.date == date) {
            Some(day) => out.push(day),
            None => out.push(DayUtilization {
                date,
                sessions: 0,
                capacity: 0,
                booked: 0,
                available: 0,
            }),
        }
        date = date.next_day().unwrap_or(Date::MAX);
        if date == Date::MAX {
            break;
        }
    }
    out
}

fn day_row(t: &super::i18n::Tr, d: &DayUtilization) -> DayRow {
    DayRow {
        date: t.date(d.date),
        sessions: t.num(d.sessions),
        capacity: t.num(i64::try_from(d.capacity).unwrap_or(i64::MAX)),
        booked: t.num(i64::try_from(d.booked).unwrap_or(i64::MAX)),
        share: format!("{:.0} %", d.ratio() * 100.0),
    }
}

fn session_row(t: &super::i18n::Tr, s: &Session) -> SessionRow {
    let capacity: u32 = s.slots.iter().map(|sl| sl.capacity).sum();
    let booked: u32 = s.slots.iter().map(|sl| sl.booked).sum();
    SessionRow {
        id: s.id.0.to_string(),
        date: t.date(s.date),
        vaccine: s.vaccine_code.clone(),
        ages: match s.max_age {
            Some(max) => format!("{}–{max}", s.min_age),
            None => format!("{}+", s.min_age),
        },
        dose: s
            .dose
            .map_or_else(|| t.t("admin-any-dose"), |d| d.to_string()),
        slots: s.slots.iter().map(|sl| sl.timings.to_cowin_v2()).collect(),
        booked: t.num(booked),
        capacity: t.num(capacity),
        open: s.status == SessionStatus::Open,
    }
}

fn show_centre(result: Result<CentrePage, ApiError>, ctx: Ctx, status: StatusCode) -> Response {
    match result {
        Ok(p) => page_with_status(status, &p, Caching::Private),
        Err(e) => failure(ctx, &e),
    }
}

async fn centre(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    admin: Result<Admin, Response>,
) -> Response {
    let admin = admin_or_login!(admin);
    let result = centre_page(
        ctx.clone(),
        &state,
        &admin,
        CenterId(id),
        None,
        String::new(),
    )
    .await;
    show_centre(result, ctx, StatusCode::OK)
}

async fn open_sessions(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    admin: Result<Admin, Response>,
    Form(form): Form<SessionsForm>,
) -> Response {
    let admin = admin_or_login!(admin);
    let opened = async {
        let body = form.body()?;
        crate::admin::sessions::open(&state, admin.store.as_ref(), CenterId(id), body)
            .await
            .map_err(|e| match e.field() {
                // A slot's error names its line: "slots[1].timings" is the form's slots box.
                Some(f) if f.starts_with("slots[") => ApiError::invalid("slots", e.reason()),
                _ => e,
            })
    }
    .await;
    match opened {
        Ok(_) => see_other(&format!(
            "/admin/centre/{id}?notice=admin-sessions-opened#sessions"
        )),
        Err(e) => {
            ctx.error = Some(admin_error(&ctx, &e));
            let result = centre_page(
                ctx.clone(),
                &state,
                &admin,
                CenterId(id),
                Some(form),
                String::new(),
            )
            .await;
            show_centre(result, ctx, e.status())
        }
    }
}

async fn close_session(
    ctx: Ctx,
    Path((id, session)): Path<(i64, String)>,
    admin: Result<Admin, Response>,
) -> Response {
    let admin = admin_or_login!(admin);
    let Ok(session) = uuid::Uuid::parse_str(&session) else {
        return failure(ctx, &ApiError::invalid("session_id", "must be a UUID"));
    };
    // Only a session of the centre the page is about.
    let closed = async {
        let found = admin.store.session(SessionId(session)).await?;
        if found.center_id.0 != id {
            return Err(ApiError::not_found("session"));
        }
        Ok(admin.store.close_session(found.id).await?)
    }
    .await;
    match closed {
        Ok(_) => see_other(&format!(
            "/admin/centre/{id}?notice=admin-session-closed#sessions"
        )),
        Err(e) => failure(ctx, &e),
    }
}

#[derive(Debug, Deserialize)]
struct VaccinatorForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    mobile: String,
}

async fn add_vaccinator(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    admin: Result<Admin, Response>,
    Form(form): Form<VaccinatorForm>,
) -> Response {
    let admin = admin_or_login!(admin);
    let added = async {
        crate::vaccinator::desk::existing_center(state.store.as_ref(), CenterId(id)).await?;
        crate::admin::vaccinators::add(
            &state,
            admin.store.as_ref(),
            CenterId(id),
            &form.name,
            &form.mobile,
        )
        .await
    }
    .await
    .map_err(|e| renamed(e, "name", "vaccinator_name"));
    match added {
        Ok(_) => see_other(&format!(
            "/admin/centre/{id}?notice=admin-vaccinator-added#vaccinators"
        )),
        Err(e) => {
            ctx.error = Some(admin_error(&ctx, &e));
            // The name is typed again; the mobile is not kept on the page.
            let result =
                centre_page(ctx.clone(), &state, &admin, CenterId(id), None, form.name).await;
            show_centre(result, ctx, e.status())
        }
    }
}

async fn deactivate_vaccinator(
    ctx: Ctx,
    Path((id, vaccinator)): Path<(i64, i64)>,
    admin: Result<Admin, Response>,
) -> Response {
    let admin = admin_or_login!(admin);
    match admin
        .store
        .deactivate_vaccinator(CenterId(id), VaccinatorId(vaccinator))
        .await
    {
        Ok(_) => see_other(&format!(
            "/admin/centre/{id}?notice=admin-vaccinator-deactivated#vaccinators"
        )),
        Err(e) => failure(ctx, &e.into()),
    }
}

// ---------------------------------------------------------------- a district

#[derive(Template)]
#[template(path = "web/admin/district.html")]
struct DistrictPage {
    ctx: Ctx,
    title: String,
    chart: String,
    rows: Vec<(CentreRow, String, String, String)>,
    more: bool,
}

async fn district(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    admin: Result<Admin, Response>,
) -> Response {
    let _admin = admin_or_login!(admin);
    let Some(district) = state.gazetteer.district(DistrictId(id)) else {
        return failure(ctx, &ApiError::not_found("district"));
    };
    let t = &ctx.t;
    let today = state.clock.today();
    let last = today + time::Duration::days(DAYS - 1);
    let query = CenterQuery {
        district_id: Some(id),
        limit: Some(DISTRICT_CENTRES + 1),
        ..CenterQuery::default()
    };
    let compared = async {
        let (mut found, _) = crate::admin::centers::list(&state, query).await?;
        let more = found.len() > DISTRICT_CENTRES as usize;
        found.truncate(DISTRICT_CENTRES as usize);
        let mut totals = Vec::with_capacity(found.len());
        for c in found {
            let days = state.store.utilization(c.id, today, last).await?;
            let capacity = days.iter().map(|d| d.capacity).sum::<u64>();
            let booked = days.iter().map(|d| d.booked).sum::<u64>();
            totals.push((c, capacity, booked));
        }
        Ok::<_, ApiError>((totals, more))
    }
    .await;
    let (totals, more) = match compared {
        Ok(found) => found,
        Err(e) => return failure(ctx, &e),
    };
    let chart = charts::side_by_side(
        "district",
        &totals
            .iter()
            .map(|(c, capacity, booked)| Bar {
                label: c.name.clone(),
                note: String::new(),
                capacity: *capacity,
                booked: *booked,
            })
            .collect::<Vec<_>>(),
        &Legend {
            title: t.t1("admin-chart-district-title", "district", &district.name),
            description: t.ta(
                "admin-chart-district-description",
                &[("from", t.date(today)), ("to", t.date(last))],
            ),
            capacity: t.t("admin-capacity"),
            booked: t.t("admin-booked"),
        },
    );
    let rows = totals
        .iter()
        .map(|(c, capacity, booked)| {
            let share = if *capacity == 0 {
                "—".to_owned()
            } else {
                format!("{:.0} %", *booked as f64 * 100.0 / *capacity as f64)
            };
            (
                CentreRow::from(c),
                t.num(i64::try_from(*capacity).unwrap_or(i64::MAX)),
                t.num(i64::try_from(*booked).unwrap_or(i64::MAX)),
                share,
            )
        })
        .collect();
    let title = t.t1("admin-district-title", "district", &district.name);
    page(
        &DistrictPage {
            ctx,
            title,
            chart,
            rows,
            more,
        },
        Caching::Private,
    )
}

// ---------------------------------------------------------------- the upload

#[derive(Template)]
#[template(path = "web/admin/upload.html")]
struct UploadPage {
    ctx: Ctx,
    title: String,
    report: Option<ReportView>,
}

/// An import report, as the page shows it.
struct ReportView {
    committed: bool,
    rejected: u64,
    counts: Vec<(String, String)>,
    /// (line, the line as shown), column, reason.
    errors: Vec<((u64, String), String, String)>,
    truncated: bool,
    stopped_early: Option<String>,
}

fn report_view(t: &super::i18n::Tr, r: &ImportReport) -> ReportView {
    let n = |v: u64| t.num(i64::try_from(v).unwrap_or(i64::MAX));
    ReportView {
        committed: r.committed,
        rejected: r.rejected,
        counts: vec![
            (t.t("admin-report-rows"), n(r.rows)),
            (t.t("admin-report-accepted"), n(r.accepted)),
            (t.t("admin-report-rejected"), n(r.rejected)),
            (t.t("admin-report-centres-created"), n(r.centers_created)),
            (t.t("admin-report-centres-updated"), n(r.centers_updated)),
            (t.t("admin-report-sessions-created"), n(r.sessions_created)),
            (t.t("admin-report-slots-created"), n(r.slots_created)),
            (t.t("admin-report-sessions-updated"), n(r.sessions_updated)),
        ],
        errors: r
            .errors
            .iter()
            .map(|e| {
                (
                    (e.row, t.num(i64::try_from(e.row).unwrap_or(i64::MAX))),
                    e.column.clone(),
                    e.reason.clone(),
                )
            })
            .collect(),
        truncated: r.errors_truncated,
        stopped_early: r.stopped_early.clone(),
    }
}

async fn upload_page(ctx: Ctx, admin: Result<Admin, Response>) -> Response {
    let _admin = admin_or_login!(admin);
    let title = ctx.t.t("admin-upload-title");
    page(
        &UploadPage {
            ctx,
            title,
            report: None,
        },
        Caching::Private,
    )
}

#[derive(Debug, Deserialize)]
struct ModeQuery {
    mode: Option<ImportMode>,
}

async fn upload(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<ModeQuery>,
    headers: HeaderMap,
    admin: Result<Admin, Response>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let admin = admin_or_login!(admin);
    let mode = q.mode.unwrap_or_default();
    let received =
        crate::admin::upload::receive(&state, admin.store.as_ref(), mode, &headers, multipart)
            .await;
    let title = ctx.t.t("admin-upload-title");
    match received {
        Ok(report) => {
            let view = report_view(&ctx.t, &report);
            page(
                &UploadPage {
                    ctx,
                    title,
                    report: Some(view),
                },
                Caching::Private,
            )
        }
        Err(e) => {
            ctx.error = Some(admin_error(&ctx, &e));
            page_with_status(
                e.status(),
                &UploadPage {
                    ctx,
                    title,
                    report: None,
                },
                Caching::Private,
            )
        }
    }
}

// ---------------------------------------------------------------- partner keys

/// A partner key in the list.
struct KeyRow {
    id: String,
    created: String,
    state: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "web/admin/partners.html")]
struct PartnersPage {
    ctx: Ctx,
    title: String,
    partner: String,
    keys: Vec<KeyRow>,
    issued: String,
}

#[derive(Debug, Default, Deserialize)]
struct PartnerQuery {
    #[serde(default)]
    partner: String,
}

fn key_row(t: &super::i18n::Tr, key: &PartnerKey, now: i64) -> KeyRow {
    let when = |ms: i64| {
        let at = sehat_domain::clock::from_millis(ms);
        format!(
            "{} {:02}:{:02} UTC",
            t.date(at.date()),
            at.hour(),
            at.minute()
        )
    };
    let state = if let Some(at) = key.revoked_at {
        t.t1("admin-key-revoked", "at", when(at))
    } else if let Some(at) = key.expires_at {
        if at <= now {
            t.t1("admin-key-retired", "at", when(at))
        } else {
            t.t1("admin-key-retiring", "at", when(at))
        }
    } else {
        t.t("admin-key-active")
    };
    KeyRow {
        id: key.id.clone(),
        created: when(key.created_at),
        state,
        active: key.active(now),
    }
}

async fn partners_page(
    mut ctx: Ctx,
    state: &AppState,
    admin: &Admin,
    partner: &str,
    issued: String,
    mut status: StatusCode,
) -> Response {
    let partner = partner.trim();
    let mut keys = Vec::new();
    if !partner.is_empty() {
        let listed = async {
            let p = parse_partner(partner)?;
            Ok::<_, ApiError>(admin.store.partner_keys(&p).await?)
        }
        .await;
        match listed {
            Ok(found) => {
                let now = state.clock.now_millis();
                keys = found.iter().map(|k| key_row(&ctx.t, k, now)).collect();
            }
            Err(e) => {
                ctx.error = Some(admin_error(&ctx, &e));
                // A list asked for with a bad name is a bad request, whatever the form said.
                if status.is_success() {
                    status = e.status();
                }
            }
        }
    }
    let title = ctx.t.t("admin-partners-title");
    page_with_status(
        status,
        &PartnersPage {
            ctx,
            title,
            partner: partner.to_owned(),
            keys,
            issued,
        },
        Caching::Private,
    )
}

async fn partners(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<PartnerQuery>,
    admin: Result<Admin, Response>,
) -> Response {
    let admin = admin_or_login!(admin);
    partners_page(
        ctx,
        &state,
        &admin,
        &q.partner,
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct IssueForm {
    #[serde(default)]
    partner: String,
    /// Hours the partner's other keys keep working: empty for a new key beside them.
    #[serde(default)]
    grace_hours: String,
}

async fn issue_key(
    mut ctx: Ctx,
    State(state): State<AppState>,
    admin: Result<Admin, Response>,
    Form(form): Form<IssueForm>,
) -> Response {
    let admin = admin_or_login!(admin);
    let issued = async {
        let grace = match number::<u32>("previous_keys_valid_for_seconds", &form.grace_hours)? {
            Some(h) if h > 8_760 => {
                return Err(ApiError::invalid(
                    "previous_keys_valid_for_seconds",
                    "must be at most 8760 hours (a year)",
                ));
            }
            other => other.map(|h| h * 3_600),
        };
        crate::admin::partners::issue(&state, admin.store.as_ref(), form.partner.trim(), grace)
            .await
    }
    .await;
    match issued {
        // Shown this once, on a page no cache keeps.
        Ok((_, secret)) => {
            ctx.notice = Some(ctx.t.t("admin-key-issued"));
            partners_page(ctx, &state, &admin, &form.partner, secret, StatusCode::OK).await
        }
        Err(e) => {
            ctx.error = Some(admin_error(&ctx, &e));
            let status = e.status();
            partners_page(ctx, &state, &admin, &form.partner, String::new(), status).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    #[serde(default)]
    partner: String,
    #[serde(default)]
    key_id: String,
}

async fn revoke_key(
    mut ctx: Ctx,
    State(state): State<AppState>,
    admin: Result<Admin, Response>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let admin = admin_or_login!(admin);
    let revoked = async {
        let p = parse_partner(form.partner.trim())?;
        Ok::<_, ApiError>(
            admin
                .store
                .revoke_partner_key(&p, form.key_id.trim())
                .await?,
        )
    }
    .await;
    match revoked {
        Ok(_) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("partner", form.partner.trim())
                .append_pair("notice", "admin-key-revoked-notice")
                .finish();
            see_other(&format!("/admin/partners?{query}"))
        }
        Err(e) => {
            ctx.error = Some(admin_error(&ctx, &e));
            let status = e.status();
            partners_page(ctx, &state, &admin, &form.partner, String::new(), status).await
        }
    }
}

// ---------------------------------------------------------------- the audit chain

#[derive(Template)]
#[template(path = "web/admin/audit.html")]
struct AuditPage {
    ctx: Ctx,
    title: String,
    head: String,
    pending: String,
    /// After a check: intact or not, and what it found.
    result: Option<(bool, String)>,
}

async fn audit_page(ctx: Ctx, state: &AppState, result: Option<(bool, String)>) -> Response {
    let (head, pending) = match state.store.audit_head().await {
        Ok((seq, _, pending)) => (
            ctx.t.num(i64::try_from(seq).unwrap_or(i64::MAX)),
            ctx.t.num(i64::try_from(pending).unwrap_or(i64::MAX)),
        ),
        Err(e) => return failure(ctx, &e.into()),
    };
    let title = ctx.t.t("admin-audit-title");
    page(
        &AuditPage {
            ctx,
            title,
            head,
            pending,
            result,
        },
        Caching::Private,
    )
}

async fn audit(
    ctx: Ctx,
    State(state): State<AppState>,
    admin: Result<Admin, Response>,
) -> Response {
    let _admin = admin_or_login!(admin);
    audit_page(ctx, &state, None).await
}

/// Seals what is pending and checks the whole chain, as `sehat audit verify` does.
async fn verify_audit(
    ctx: Ctx,
    State(state): State<AppState>,
    admin: Result<Admin, Response>,
) -> Response {
    let _admin = admin_or_login!(admin);
    let chain = sehat_domain::audit::AuditChain::new((*state.identity).clone());
    let report = match sehat_domain::audit::verify(state.store.as_ref(), &chain).await {
        Ok(r) => r,
        Err(e) => return failure(ctx, &e.into()),
    };
    let t = &ctx.t;
    let checked = t.num(i64::try_from(report.checked).unwrap_or(i64::MAX));
    let result = match &report.broken {
        None => (true, t.t1("admin-audit-intact", "checked", checked)),
        Some((seq, why)) => (
            false,
            t.ta(
                "admin-audit-broken",
                &[
                    ("seq", t.num(i64::try_from(*seq).unwrap_or(i64::MAX))),
                    ("why", why.clone()),
                    ("checked", checked),
                ],
            ),
        ),
    };
    audit_page(ctx, &state, Some(result)).await
}
