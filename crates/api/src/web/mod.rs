//! The web app, served by the same binary at `/`: citizens (`/`), vaccinators (`/desk`),
//! administrators (`/admin`) and anyone checking a certificate (`/verify`).
//!
//! Pages are HTML rendered on the server from compile-time-checked templates
//! (`crates/api/templates/web/`), in the visitor's language (Fluent messages in
//! `crates/api/locales/`, see [`i18n`]). Every page works without JavaScript; a small script of
//! sehat's own (`static/app.js`) adds what needs one: live seat counts from the availability
//! feed, "near me", the upload's progress bar and the camera on `/verify`.
//!
//! A page handler calls the same store and domain use cases as the API handlers, through the
//! same tokens ([`session`]), so no rule is written a second time for the web.

use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Administrators' pages: centres, sessions, the upload, vaccinators, keys, charts, the audit.
pub mod admin;
/// Stylesheet and script, compiled into the binary.
pub mod assets;
/// SVG charts drawn on the server.
pub mod charts;
/// Citizens' pages: login, family, search, the calendar, booking, documents.
pub mod citizen;
/// Vaccinators' pages: today's list, finding people, walk-ins, recording doses.
pub mod desk;
/// Languages, messages, Indian dates and numbers.
pub mod i18n;
/// Sessions in cookies, CSRF protection.
pub mod session;
/// `/verify`: anyone checks a certificate.
pub mod verify;

pub use session::Ctx;

/// The web app's routes, with their CSRF guard and compression.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(citizen::router())
        .merge(desk::router())
        .merge(admin::router())
        .merge(verify::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::guard,
        ))
        // The same for everyone: no cookie, kept by caches for a year.
        .merge(assets::router())
        .layer(tower_http::compression::CompressionLayer::new())
}

/// Whether a page may be kept by caches: pages with personal data never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// The same for everyone in a language: caches may keep it a few minutes.
    Public,
    /// Personal, or holding a form's CSRF token: never stored.
    Private,
}

/// A rendered page with its headers.
pub fn page(template: &impl Template, caching: Caching) -> Response {
    page_with_status(StatusCode::OK, template, caching)
}

/// A rendered page with a status of its own (a form shown again with its error: 4xx).
pub fn page_with_status(
    status: StatusCode,
    template: &impl Template,
    caching: Caching,
) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie, Accept-Encoding"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match caching {
            Caching::Public => "public, max-age=300",
            Caching::Private => "private, no-store",
        }),
    );
    response
}

/// A redirect after a form (303: the browser follows with a GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The GET of a form's address (the language switch on the page a form answered with, a
/// reload) leads to the page the form is on: `to`, where `{id}` stands for the address's first
/// path parameter.
pub(crate) fn form_page(to: &'static str) -> axum::routing::MethodRouter<AppState> {
    axum::routing::get(move |params: axum::extract::RawPathParams| async move {
        let id = params.iter().next().map_or("", |(_, v)| v);
        // Only a plain value goes into the address (ids and reference ids are digits,
        // letters and dashes).
        let id = if id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            id
        } else {
            ""
        };
        see_other(&to.replace("{id}", id))
    })
}

/// What a page says when a use case refuses: the message of the error's code in the visitor's
/// language, saying what to do next (the API's English text where no message is written yet).
pub fn error_message(ctx: &Ctx, error: &ApiError) -> String {
    if let (Some(field), "SEHAT0400") = (error.field(), error.code()) {
        return ctx
            .t
            .t1("error-SEHAT0400", "field", field_label(ctx, field));
    }
    let key = format!("error-{}", error.code());
    let text = ctx.t.t(&key);
    if text.starts_with(i18n::MISSING) {
        ctx.t.t1("error-other", "detail", error.message())
    } else {
        text
    }
}

/// The title and text of a page saying why an action failed: "not found" for a 404 (the thing
/// is not there, or not the visitor's to see), else `message` for the error.
pub(crate) fn failure_words(
    ctx: &Ctx,
    error: &ApiError,
    message: impl FnOnce(&Ctx, &ApiError) -> String,
) -> (String, String) {
    if error.status() == StatusCode::NOT_FOUND {
        (ctx.t.t("not-found-title"), ctx.t.t("not-found-text"))
    } else {
        (ctx.t.t("error-title"), message(ctx, error))
    }
}

/// The message of a field's name, for validation errors (`name` → "Full name").
pub(crate) fn field_label(ctx: &Ctx, field: &str) -> String {
    let label = ctx.t.t(&format!("field-{field}"));
    if label.starts_with(i18n::MISSING) {
        field.to_owned()
    } else {
        label
    }
}
