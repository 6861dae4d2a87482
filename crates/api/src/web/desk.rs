//! Vaccinators' pages (`/desk`): the OTP login on the vaccinator's own mobile, today's
//! appointments at their centre, finding a person by reference id or mobile, on-spot
//! registration, recording a dose (walk-ins seated on the way) and the certificate's QR.
//!
//! Every action calls what the vaccinator API's handlers call ([`crate::vaccinator`]), with the
//! same token: the login's OTP purpose and posts, the masked searches, v2 registration's rules,
//! the walk-in seat and the dose rules, the certificate only for doses given at the
//! vaccinator's centres. A session token is signed under the key id [`WEB_KEY_ID`], which names
//! no partner key: logging out or its expiry ends it, and a deactivated post stops it at once.
//!
//! The vaccine and batch last recorded are kept for the session in a cookie of `/desk` alone
//! ([`LAST_COOKIE`]: a vaccine code and a vial's batch, nothing about a person) and fill the
//! next dose's form.

use super::citizen::{MobileForm, OtpForm, otp_login_page, send_area_otp};
use super::session::{self, Area, Desk};
use super::{Caching, Ctx, error_message, form_page, page, page_with_status, see_other};
use crate::AppState;
use crate::certificates::Wanted;
use crate::cowin_v2::appointments::NewBeneficiaryBody;
use crate::error::ApiError;
use crate::http::auth::VaccinatorToken;
use crate::http::rate_limit::ClientAddress;
use crate::vaccinator::desk::{
    desk_certificate, existing_center, give_dose, people_of_mobile, person_by_reference,
    register_person, seat_walk_in,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sehat_domain::beneficiary::{Beneficiary, BeneficiaryRef};
use sehat_domain::booking::{Appointment, BookingStatus};
use sehat_domain::ids::CenterId;
use sehat_domain::immunization::{Batch, DoseRecord, covid_status};
use sehat_domain::master::{GENDERS, PHOTO_ID_TYPES};
use sehat_domain::schedule::SessionStatus;
use sehat_domain::vaccination::{Vaccination, Vaccinator, WalkIn};
use sehat_domain::values::Mobile;
use sehat_domain::{DomainError, Rule};
use serde::Deserialize;

/// The key id of web desk sessions: no partner key has it (theirs are 16 hex digits), so no
/// key's revocation ends them; logout and expiry do.
pub(crate) const WEB_KEY_ID: &str = "web-desk";

/// The cookie of the vaccine and batch last recorded (`CODE:BATCH`), for `/desk` only.
const LAST_COOKIE: &str = "sehat_desk_last";

/// The desk's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/desk", get(today))
        .route("/desk/login", get(login_page).post(send_login_otp))
        .route(
            "/desk/login/otp",
            form_page("/desk/login").post(confirm_login_otp),
        )
        .route("/desk/logout", form_page("/desk").post(logout))
        .route("/desk/find", get(find))
        .route("/desk/register", get(register_page).post(register))
        .route("/desk/person/{reference_id}", get(person))
        .route(
            "/desk/person/{reference_id}/vaccinate",
            form_page("/desk/person/{id}").post(vaccinate),
        )
        .route("/desk/person/{reference_id}/qr.png", get(qr))
        .route("/desk/person/{reference_id}/certificate.pdf", get(pdf))
}

// ---------------------------------------------------------------- login

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    otp_login_page(
        ctx,
        Area::Desk,
        q.next.as_deref().unwrap_or(""),
        ("", ""),
        StatusCode::OK,
    )
}

async fn send_login_otp(
    ctx: Ctx,
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    Form(form): Form<MobileForm>,
) -> Response {
    send_area_otp(
        ctx,
        &state,
        Area::Desk,
        from,
        &form,
        crate::vaccinator::PURPOSE,
    )
    .await
}

async fn confirm_login_otp(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<OtpForm>,
) -> Response {
    let logged_in = async {
        let proof = crate::cowin_v2::otp_proof(form.otp.trim())?;
        crate::vaccinator::vaccinator_login(&state, form.txn.trim(), &proof, WEB_KEY_ID).await
    }
    .await;
    match logged_in {
        Ok((token, _)) => session::open(&state, Area::Desk, token, &form.next),
        Err(e) => {
            ctx.error = Some(error_message(&ctx, &e));
            // Without a post, another OTP would not help: back to the first step.
            let txn = if e.status() == StatusCode::FORBIDDEN {
                ""
            } else {
                form.txn.as_str()
            };
            otp_login_page(ctx, Area::Desk, &form.next, (txn, ""), e.status())
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    desk: Result<Desk, Response>,
) -> Response {
    match desk {
        Ok(Desk(auth)) => {
            let closed = session::close(
                &state,
                Area::Desk,
                &auth.claims,
                "/desk/login?notice=logged-out",
            )
            .await;
            (jar.add(last_cookie(&state, String::new(), true)), closed).into_response()
        }
        Err(_) => see_other("/desk/login"),
    }
}

// ---------------------------------------------------------------- the centre

/// `?center=`: the centre the vaccinator works at on this page.
#[derive(Debug, Deserialize)]
struct CenterQuery {
    center: Option<String>,
}

/// One of the vaccinator's centres.
struct PostChoice {
    id: i64,
    name: String,
}

/// The centre a page works at: the one asked for (a post of the vaccinator's, `VACCIN0007`
/// otherwise), else their only one; `None` when they hold several and none was chosen.
async fn chosen_post<'a>(
    state: &AppState,
    auth: &'a VaccinatorToken,
    raw: Option<&str>,
) -> Result<Option<&'a Vaccinator>, ApiError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => {
            let id = raw.parse::<i64>().map_err(|_| ApiError::unknown_center())?;
            let id = existing_center(state.store.as_ref(), CenterId(id)).await?;
            auth.post_at(id).map(Some)
        }
        None => Ok(match auth.posts.as_slice() {
            [one] => Some(one),
            _ => None,
        }),
    }
}

/// The vaccinator's centres with their names, for a chooser.
async fn post_choices(
    state: &AppState,
    auth: &VaccinatorToken,
) -> Result<Vec<PostChoice>, ApiError> {
    let mut out = Vec::with_capacity(auth.posts.len());
    for post in &auth.posts {
        let centre = state.store.center(post.center_id).await?;
        out.push(PostChoice {
            id: post.center_id.0,
            name: centre.name,
        });
    }
    Ok(out)
}

/// `?center=<id>` for the desk's links, when a centre is chosen.
fn center_query(post: Option<&Vaccinator>) -> String {
    post.map_or_else(String::new, |p| format!("?center={}", p.center_id.0))
}

// ---------------------------------------------------------------- messages

#[derive(Template)]
#[template(path = "web/desk/message.html")]
struct DeskMessagePage {
    ctx: Ctx,
    title: String,
    text: String,
    center_q: String,
}

fn desk_failure(ctx: Ctx, e: &ApiError, center_q: String) -> Response {
    let (title, text) = super::failure_words(&ctx, e, error_message);
    page_with_status(
        e.status(),
        &DeskMessagePage {
            ctx,
            title,
            text,
            center_q,
        },
        Caching::Private,
    )
}

// ---------------------------------------------------------------- today

/// A place in today's list.
struct TodayRow {
    slot: String,
    reference_id: String,
    name: String,
    line: String,
    status: String,
    status_key: &'static str,
}

#[derive(Template)]
#[template(path = "web/desk/today.html")]
struct TodayPage {
    ctx: Ctx,
    title: String,
    center_q: String,
    center_id: i64,
    choices: Vec<PostChoice>,
    date: String,
    rows: Vec<TodayRow>,
    booked: String,
    done: String,
    cancelled: String,
}

/// The key of a place's status: `active`, `completed` or `cancelled`.
fn status_key(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Active => "active",
        BookingStatus::Completed => "completed",
        BookingStatus::Cancelled => "cancelled",
    }
}

async fn today(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<CenterQuery>,
    desk: Result<Desk, Response>,
) -> Response {
    let Desk(auth) = match desk {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    match today_page(&ctx, &state, &auth, q.center.as_deref()).await {
        Ok(found) => page(&found, Caching::Private),
        Err(e) => desk_failure(ctx, &e, String::new()),
    }
}

async fn today_page(
    ctx: &Ctx,
    state: &AppState,
    auth: &VaccinatorToken,
    raw_center: Option<&str>,
) -> Result<TodayPage, ApiError> {
    let t = &ctx.t;
    let Some(post) = chosen_post(state, auth, raw_center).await? else {
        return Ok(TodayPage {
            ctx: ctx.clone(),
            title: t.t("desk-choose-title"),
            center_q: String::new(),
            center_id: 0,
            choices: post_choices(state, auth).await?,
            date: String::new(),
            rows: Vec::new(),
            booked: String::new(),
            done: String::new(),
            cancelled: String::new(),
        });
    };
    let centre = state.store.center(post.center_id).await?;
    let date = state.clock.today();
    let day = auth.store.center_appointments(post.center_id, date).await?;
    let names: std::collections::HashMap<BeneficiaryRef, &Beneficiary> =
        day.people.iter().map(|b| (b.reference_id, b)).collect();
    let mut rows = Vec::new();
    for a in &day.appointments {
        for place in &a.beneficiaries {
            rows.push(TodayRow {
                slot: a.slot.timings.to_cowin_v2(),
                reference_id: place.reference_id.to_string(),
                name: names
                    .get(&place.reference_id)
                    .map_or_else(|| "—".to_owned(), |b| b.name.clone()),
                line: t.ta(
                    "family-appointment-line",
                    &[
                        ("dose", a.dose.to_string()),
                        ("vaccine", a.vaccine_code.clone()),
                    ],
                ),
                status: t.t(&format!("appointment-{}", status_key(place.status))),
                status_key: status_key(place.status),
            });
        }
    }
    let count = |key: &str| {
        t.num(
            i64::try_from(rows.iter().filter(|r| r.status_key == key).count()).unwrap_or(i64::MAX),
        )
    };
    Ok(TodayPage {
        ctx: ctx.clone(),
        title: t.t1("desk-today-title", "centre", &centre.name),
        center_q: center_query(Some(post)),
        center_id: post.center_id.0,
        choices: Vec::new(),
        date: t.date(date),
        booked: count("active"),
        done: count("completed"),
        cancelled: count("cancelled"),
        rows,
    })
}

// ---------------------------------------------------------------- finding a person

/// A person found, masked as the vaccinator API shows them.
struct FoundRow {
    reference_id: String,
    name: String,
    details: String,
    photo_id: String,
    status: String,
    status_class: &'static str,
}

#[derive(Template)]
#[template(path = "web/desk/find.html")]
struct FindPage {
    ctx: Ctx,
    title: String,
    center_q: String,
    center_id: i64,
    who: String,
    searched: bool,
    found: Vec<FoundRow>,
    mobile: String,
}

#[derive(Debug, Deserialize)]
struct FindQuery {
    center: Option<String>,
    who: Option<String>,
}

/// A person's COVID-19 status as the page shows it: its label and class.
fn status_of(ctx: &Ctx, doses: &[DoseRecord]) -> (String, &'static str) {
    match covid_status(doses).label {
        "Vaccinated" => (ctx.t.t("status-vaccinated"), "ok"),
        "Partially Vaccinated" => (ctx.t.t("status-partially"), "partly"),
        _ => (ctx.t.t("status-not-vaccinated"), "none"),
    }
}

/// "Born 1985 · Female · Ref. ID …".
fn details_of(ctx: &Ctx, b: &Beneficiary) -> String {
    ctx.t.ta(
        "family-member-details",
        &[
            ("year", b.birth_year.to_string()),
            ("gender", ctx.t.t(&format!("gender-{}", b.gender.id()))),
            ("ref", b.reference_id.to_string()),
        ],
    )
}

async fn find(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<FindQuery>,
    desk: Result<Desk, Response>,
) -> Response {
    let Desk(auth) = match desk {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let post = match chosen_post(&state, &auth, q.center.as_deref()).await {
        Ok(p) => p,
        Err(e) => return desk_failure(ctx, &e, String::new()),
    };
    let center_q = center_query(post);
    let who = q.who.as_deref().map(str::trim).unwrap_or("").to_owned();
    let mut found = Vec::new();
    let mut mobile = String::new();
    let mut status = StatusCode::OK;
    if !who.is_empty() {
        let digits = who.len();
        let searched = if digits == 14 {
            match who
                .parse::<i64>()
                .ok()
                .and_then(|n| BeneficiaryRef::new(n).ok())
            {
                Some(id) => match person_by_reference(&auth, id).await {
                    // One person: their page.
                    Ok(_) => return see_other(&person_link(id, post)),
                    Err(e) => Err(e),
                },
                None => Err(ApiError::invalid("who", "is not a reference id")),
            }
        } else {
            match Mobile::parse(&who) {
                Ok(m) => {
                    mobile = who.clone();
                    people_of_mobile(&state, &auth, &m)
                        .await
                        .map(|(people, _)| people)
                }
                Err(_) => Err(ApiError::invalid(
                    "who",
                    "is neither a mobile nor a reference id",
                )),
            }
        };
        match searched {
            Ok(people) => {
                let refs: Vec<BeneficiaryRef> = people.iter().map(|b| b.reference_id).collect();
                let doses = match auth.store.doses(&refs).await {
                    Ok(d) => d,
                    Err(e) => return desk_failure(ctx, &e.into(), center_q),
                };
                for b in &people {
                    let own: Vec<DoseRecord> = doses
                        .iter()
                        .filter(|d| d.beneficiary == b.reference_id)
                        .cloned()
                        .collect();
                    let (label, class) = status_of(&ctx, &own);
                    found.push(FoundRow {
                        reference_id: b.reference_id.to_string(),
                        name: b.name.clone(),
                        details: details_of(&ctx, b),
                        photo_id: format!("{} · {}", b.photo_id_line(), b.masked_mobile()),
                        status: label,
                        status_class: class,
                    });
                }
            }
            Err(e) => {
                status = e.status();
                ctx.error = Some(if e.status() == StatusCode::NOT_FOUND {
                    ctx.t.t("desk-find-nobody")
                } else {
                    error_message(&ctx, &e)
                });
            }
        }
    }
    let title = ctx.t.t("desk-find-title");
    page_with_status(
        status,
        &FindPage {
            ctx,
            title,
            center_q,
            center_id: post.map_or(0, |p| p.center_id.0),
            searched: !who.is_empty() && status == StatusCode::OK,
            who,
            found,
            mobile,
        },
        Caching::Private,
    )
}

/// A person's desk page, at the chosen centre.
fn person_link(id: BeneficiaryRef, post: Option<&Vaccinator>) -> String {
    format!("/desk/person/{id}{}", center_query(post))
}

// ---------------------------------------------------------------- on-spot registration

#[derive(Debug, Default, Deserialize)]
struct RegisterForm {
    #[serde(default)]
    center: String,
    #[serde(default)]
    mobile_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    birth_year: String,
    #[serde(default)]
    gender_id: String,
    #[serde(default)]
    photo_id_type: String,
    #[serde(default)]
    photo_id_number: String,
    #[serde(default)]
    comorbidity: Option<String>,
    #[serde(default)]
    consent: Option<String>,
}

#[derive(Template)]
#[template(path = "web/desk/register.html")]
struct RegisterPage {
    ctx: Ctx,
    title: String,
    center_q: String,
    center_id: i64,
    form: RegisterForm,
    id_types: Vec<(i64, &'static str)>,
    genders: Vec<(i64, String)>,
    this_year: i32,
}

impl RegisterPage {
    fn new(ctx: Ctx, state: &AppState, post: Option<&Vaccinator>, form: RegisterForm) -> Self {
        let t = ctx.t;
        Self {
            title: t.t("desk-register-title"),
            center_q: center_query(post),
            center_id: post.map_or(0, |p| p.center_id.0),
            form,
            id_types: PHOTO_ID_TYPES.iter().map(|p| (p.id, p.name)).collect(),
            genders: GENDERS
                .iter()
                .map(|g| (g.id, t.t(&format!("gender-{}", g.id))))
                .collect(),
            this_year: state.clock.today().year(),
            ctx,
        }
    }
}

#[derive(Debug, Deserialize)]
struct RegisterQuery {
    center: Option<String>,
    mobile: Option<String>,
}

async fn register_page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<RegisterQuery>,
    desk: Result<Desk, Response>,
) -> Response {
    let Desk(auth) = match desk {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let post = match chosen_post(&state, &auth, q.center.as_deref()).await {
        Ok(p) => p,
        Err(e) => return desk_failure(ctx, &e, String::new()),
    };
    let form = RegisterForm {
        mobile_number: q
            .mobile
            .filter(|m| Mobile::parse(m.trim()).is_ok())
            .unwrap_or_default(),
        ..RegisterForm::default()
    };
    page(
        &RegisterPage::new(ctx, &state, post, form),
        Caching::Private,
    )
}

async fn register(
    mut ctx: Ctx,
    State(state): State<AppState>,
    desk: Result<Desk, Response>,
    Form(form): Form<RegisterForm>,
) -> Response {
    let Desk(auth) = match desk {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let post = match chosen_post(&state, &auth, Some(&form.center)).await {
        Ok(p) => p,
        Err(e) => return desk_failure(ctx, &e, String::new()),
    };
    // The API's request body, so the API's checks apply word for word.
    let body = NewBeneficiaryBody {
        name: form.name.clone(),
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
    let registered = async {
        let mobile = Mobile::parse(form.mobile_number.trim())
            .map_err(|e| ApiError::invalid("mobile_number", e))?;
        register_person(&state, &auth, &mobile, &body).await
    }
    .await;
    match registered {
        Ok(person) => see_other(&format!(
            "{}{}notice=desk-registered",
            person_link(person.reference_id, post),
            if post.is_some() { "&" } else { "?" }
        )),
        Err(e) => {
            ctx.error = Some(error_message(&ctx, &e));
            page_with_status(
                e.status(),
                &RegisterPage::new(ctx, &state, post, form),
                Caching::Private,
            )
        }
    }
}

// ---------------------------------------------------------------- a person

/// A vaccine to choose: its code, and its name with its maker.
struct VaccineChoice {
    code: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "web/desk/person.html")]
struct PersonPage {
    ctx: Ctx,
    title: String,
    center_q: String,
    center_id: i64,
    centre_name: String,
    choices: Vec<PostChoice>,
    reference_id: String,
    details: String,
    identifiers: String,
    status: String,
    status_class: &'static str,
    doses: Vec<String>,
    today: Vec<String>,
    vaccines: Vec<VaccineChoice>,
    batch: String,
    dose: String,
    certificate: bool,
}

/// What the dose form holds: what was sent, or what to suggest.
#[derive(Debug, Default, Deserialize)]
struct DoseForm {
    #[serde(default)]
    center: String,
    #[serde(default)]
    vaccine: String,
    #[serde(default)]
    vaccine_batch: String,
    #[serde(default)]
    dose: String,
}

/// The vaccine and batch last recorded in this session, if the cookie holds a well-formed pair.
fn remembered(jar: &CookieJar) -> Option<(String, String)> {
    let value = jar.get(LAST_COOKIE)?.value().to_owned();
    let (code, batch) = value.split_once(':')?;
    let code_ok = !code.is_empty()
        && code.len() <= 40
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let batch = Batch::parse(batch).ok()?;
    code_ok.then(|| (code.to_owned(), batch.as_str().to_owned()))
}

/// The cookie that remembers the vaccine and batch for the session (or forgets them).
fn last_cookie(state: &AppState, value: String, forget: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build((LAST_COOKIE, value))
        .path("/desk")
        .http_only(true)
        .secure(session::secure(state))
        .same_site(SameSite::Lax)
        .build();
    if forget {
        cookie.set_max_age(time::Duration::ZERO);
    }
    cookie
}

fn reference(raw: &str) -> Result<BeneficiaryRef, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .and_then(|n| BeneficiaryRef::new(n).ok())
        .ok_or_else(|| ApiError::not_found("beneficiary"))
}

async fn person(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(reference_id): Path<String>,
    Query(q): Query<CenterQuery>,
    jar: CookieJar,
    desk: Result<Desk, Response>,
) -> Response {
    let Desk(auth) = match desk {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let form = DoseForm {
        center: q.center.unwrap_or_default(),
        ..DoseForm::default()
    };
    person_page(
        ctx,
        &state,
        &auth,
        &reference_id,
        form,
        Some(&jar),
        StatusCode::OK,
    )
    .await
}

/// The person's page: who they are (masked), their doses and status, today's appointment here,
/// the dose form (filled with `form`, or with suggestions when `jar` is given) and their
/// certificate's QR.
async fn person_page(
    ctx: Ctx,
    state: &AppState,
    auth: &VaccinatorToken,
    raw_id: &str,
    form: DoseForm,
    jar: Option<&CookieJar>,
    status: StatusCode,
) -> Response {
    let post = match chosen_post(state, auth, Some(&form.center)).await {
        Ok(p) => p,
        Err(e) => return desk_failure(ctx, &e, String::new()),
    };
    let center_q = center_query(post);
    match person_view(&ctx, state, auth, raw_id, post, form, jar).await {
        Ok(view) => page_with_status(status, &view, Caching::Private),
        Err(e) => desk_failure(ctx, &e, center_q),
    }
}

async fn person_view(
    ctx: &Ctx,
    state: &AppState,
    auth: &VaccinatorToken,
    raw_id: &str,
    post: Option<&Vaccinator>,
    form: DoseForm,
    jar: Option<&CookieJar>,
) -> Result<PersonPage, ApiError> {
    let t = &ctx.t;
    let id = reference(raw_id)?;
    let (person, appointments) = person_by_reference(auth, id).await?;
    let doses = auth.store.doses(&[id]).await?;
    let catalogue = state.catalogue().await?;
    let (status, status_class) = status_of(ctx, &doses);
    let date = state.clock.today();
    let here: Vec<&Appointment> = appointments
        .iter()
        .filter(|a| post.is_some_and(|p| p.center_id == a.center_id) && a.date == date)
        .collect();
    let mine = |a: &Appointment| {
        a.beneficiaries
            .iter()
            .find(|b| b.reference_id == id)
            .map(|b| b.status)
    };
    let today: Vec<String> = here
        .iter()
        .filter_map(|a| {
            let place = mine(a)?;
            Some(t.ta(
                "desk-appointment-line",
                &[
                    ("slot", a.slot.timings.to_cowin_v2()),
                    ("dose", a.dose.to_string()),
                    ("vaccine", a.vaccine_code.clone()),
                    ("status", t.t(&format!("appointment-{}", status_key(place)))),
                ],
            ))
        })
        .collect();
    // The form: as sent; else today's appointment, the session's last vaccine and batch, and
    // the next dose of the chosen vaccine's series.
    let sent = !form.vaccine.is_empty() || !form.vaccine_batch.is_empty() || !form.dose.is_empty();
    let (vaccine, batch, dose) = if sent || jar.is_none() {
        (
            form.vaccine.trim().to_ascii_uppercase(),
            form.vaccine_batch,
            form.dose,
        )
    } else {
        let booked = here
            .iter()
            .find(|a| mine(a) == Some(BookingStatus::Active))
            .map(|a| (a.vaccine_code.clone(), a.dose));
        let last = jar.and_then(remembered);
        let (vaccine, batch) = match (&booked, last) {
            (Some((code, _)), Some((last_code, last_batch))) if *code == last_code => {
                (last_code, last_batch)
            }
            (Some((code, _)), _) => (code.clone(), String::new()),
            (None, Some(last)) => last,
            // Else the vaccine of the centre's session today, when it has one.
            (None, None) => (today_vaccine(state, post).await?, String::new()),
        };
        let next = booked.map_or_else(
            || {
                let series = catalogue
                    .schedule(&vaccine)
                    .map(|s| s.series.clone())
                    .unwrap_or_default();
                doses
                    .iter()
                    .filter(|d| d.series == series)
                    .map(|d| d.dose)
                    .max()
                    .unwrap_or(0)
                    + 1
            },
            |(_, dose)| dose,
        );
        (vaccine, batch, next.to_string())
    };
    let vaccines = catalogue
        .schedules
        .iter()
        .map(|s| VaccineChoice {
            label: if s.manufacturer.is_empty() {
                catalogue.name(&s.vaccine_code)
            } else {
                t.ta(
                    "desk-vaccine-option",
                    &[
                        ("name", catalogue.name(&s.vaccine_code)),
                        ("maker", s.manufacturer.clone()),
                    ],
                )
            },
            selected: s.vaccine_code == vaccine,
            code: s.vaccine_code.clone(),
        })
        .collect();
    let centre_name = match post {
        Some(p) => state.store.center(p.center_id).await?.name,
        None => String::new(),
    };
    let choices = if post.is_none() {
        post_choices(state, auth).await?
    } else {
        Vec::new()
    };
    let certificate = doses
        .iter()
        .any(|d| auth.posts.iter().any(|p| p.center_id == d.center_id));
    Ok(PersonPage {
        ctx: ctx.clone(),
        title: person.name.clone(),
        center_q: center_query(post),
        center_id: post.map_or(0, |p| p.center_id.0),
        centre_name,
        choices,
        reference_id: id.to_string(),
        details: details_of(ctx, &person),
        identifiers: format!("{} · {}", person.photo_id_line(), person.masked_mobile()),
        status,
        status_class,
        doses: doses
            .iter()
            .map(|d| {
                t.ta(
                    "desk-dose-line",
                    &[
                        ("dose", d.dose.to_string()),
                        ("vaccine", d.vaccine_code.clone()),
                        ("batch", d.batch.as_str().to_owned()),
                        ("date", t.date(d.date)),
                    ],
                )
            })
            .collect(),
        today,
        vaccines,
        batch,
        dose,
        certificate,
    })
}

/// The vaccine of the centre's one open session today (empty when it has none, or several).
async fn today_vaccine(state: &AppState, post: Option<&Vaccinator>) -> Result<String, ApiError> {
    let Some(post) = post else {
        return Ok(String::new());
    };
    let date = state.clock.today();
    let open: Vec<String> = state
        .store
        .sessions(post.center_id, date, date)
        .await?
        .into_iter()
        .filter(|s| s.status == SessionStatus::Open)
        .map(|s| s.vaccine_code)
        .collect();
    Ok(match open.as_slice() {
        [one] => one.clone(),
        _ => String::new(),
    })
}

// ---------------------------------------------------------------- recording a dose

async fn vaccinate(
    mut ctx: Ctx,
    State(state): State<AppState>,
    Path(reference_id): Path<String>,
    jar: CookieJar,
    desk: Result<Desk, Response>,
    Form(form): Form<DoseForm>,
) -> Response {
    let Desk(auth) = match desk {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let post = match chosen_post(&state, &auth, Some(&form.center)).await {
        Ok(Some(p)) => p.clone(),
        Ok(None) => {
            let e = ApiError::invalid("center_id", "choose the centre");
            return desk_failure(ctx, &e, String::new());
        }
        Err(e) => return desk_failure(ctx, &e, String::new()),
    };
    match record(&state, &auth, &reference_id, &post, &form).await {
        Ok((id, vaccine, batch)) => {
            let to = format!("{}&notice=desk-recorded", person_link(id, Some(&post)));
            let remember = last_cookie(&state, format!("{vaccine}:{batch}"), false);
            (jar.add(remember), see_other(&to)).into_response()
        }
        Err(e) => {
            ctx.error = Some(error_message(&ctx, &e));
            person_page(ctx, &state, &auth, &reference_id, form, None, e.status()).await
        }
    }
}

/// Records the dose of the form at the post's centre: what the vaccinator API's `vaccinate`
/// does, and for a person with nothing to fulfil here today (no appointment for this dose and
/// vaccine), first a walk-in seat of today's session of the vaccine, as `onspots/schedule`
/// gives. A refusal at any step writes nothing: the dose's own checks run before any seat is
/// taken. Returns the person, and the vaccine and batch to remember.
async fn record(
    state: &AppState,
    auth: &VaccinatorToken,
    raw_id: &str,
    post: &Vaccinator,
    form: &DoseForm,
) -> Result<(BeneficiaryRef, String, String), ApiError> {
    let beneficiary = reference(raw_id)?;
    let dose = form
        .dose
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|d| (1..=9).contains(d))
        .ok_or_else(|| ApiError::invalid("dose", "must be 1-9"))?;
    let batch = Batch::parse(&form.vaccine_batch)?;
    let vaccine_code = form.vaccine.trim().to_ascii_uppercase();
    let request = Vaccination {
        beneficiary,
        center_id: post.center_id,
        vaccine_code,
        batch,
        dose,
        vaccinator: post.clone(),
    };
    match give_dose(state, auth, &request).await {
        Err(e) if is_nothing_to_fulfil(&e) => {
            let date = state.clock.today();
            let session = state
                .store
                .sessions(post.center_id, date, date)
                .await?
                .into_iter()
                .find(|s| s.status == SessionStatus::Open && s.vaccine_code == request.vaccine_code)
                .ok_or(DomainError::Rule(Rule::NoSessionToday))?;
            let walkin = WalkIn {
                beneficiary,
                center_id: post.center_id,
                session_id: Some(session.id),
                dose,
                vaccinator: post.id,
            };
            seat_walk_in(state, auth, &walkin).await?;
            give_dose(state, auth, &request).await?;
        }
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    Ok((
        beneficiary,
        request.vaccine_code,
        request.batch.as_str().to_owned(),
    ))
}

/// Whether a dose was refused only for want of an appointment or walk-in seat (`VACCIN0005`).
fn is_nothing_to_fulfil(e: &ApiError) -> bool {
    e.code() == ApiError::from(DomainError::Rule(Rule::NothingToFulfil)).code()
}

// ---------------------------------------------------------------- the certificate

async fn certificate(
    ctx: Ctx,
    state: &AppState,
    desk: Result<Desk, Response>,
    reference_id: &str,
    wanted: Wanted,
) -> Response {
    let Desk(auth) = match desk {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let shown = async {
        let id = reference(reference_id)?;
        desk_certificate(state, &auth, id, wanted).await
    }
    .await;
    match shown {
        Ok(response) => response,
        Err(e) => desk_failure(ctx, &e, String::new()),
    }
}

async fn qr(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(reference_id): Path<String>,
    desk: Result<Desk, Response>,
) -> Response {
    certificate(ctx, &state, desk, &reference_id, Wanted::Png).await
}

async fn pdf(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(reference_id): Path<String>,
    desk: Result<Desk, Response>,
) -> Response {
    certificate(ctx, &state, desk, &reference_id, Wanted::Pdf).await
}
