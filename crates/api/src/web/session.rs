//! Web sessions and CSRF protection.
//!
//! A login puts the same signed token the APIs issue into an `HttpOnly`, `SameSite=Lax` cookie
//! (`Secure` when the deployment is served over HTTPS), one cookie per role: `sehat_citizen`,
//! `sehat_desk`, `sehat_admin`. Every use checks it as the APIs check a bearer token, revocation
//! included, and logging out revokes it on every node.
//!
//! Every form carries `_csrf`, a keyed digest of a random value held in the `sehat_csrf` cookie
//! (the signed double-submit pattern): [`guard`] refuses a POST whose token does not match,
//! before any handler runs. A multipart upload carries its token in the `x-csrf-token` header
//! or the form action's query.

use super::i18n::{Lang, Tr};
use crate::AppState;
use crate::http::auth::{BeneficiaryToken, Role, VaccinatorToken, token_claims};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sehat_domain::store::Store;
use std::sync::Arc;

/// The cookie of the CSRF value.
const CSRF_COOKIE: &str = "sehat_csrf";
/// The cookie of the chosen language.
pub(super) const LANG_COOKIE: &str = "sehat_lang";
/// The form field, header and query key of the CSRF token.
pub(super) const CSRF_FIELD: &str = "_csrf";

/// The cookie of each role's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// A citizen's family (`/`).
    Citizen,
    /// A vaccinator's desk (`/desk`).
    Desk,
    /// An administrator (`/admin`).
    Admin,
}

impl Area {
    fn cookie(self) -> &'static str {
        match self {
            Self::Citizen => "sehat_citizen",
            Self::Desk => "sehat_desk",
            Self::Admin => "sehat_admin",
        }
    }

    fn login(self) -> &'static str {
        match self {
            Self::Citizen => "/login",
            Self::Desk => "/desk/login",
            Self::Admin => "/admin/login",
        }
    }
}

/// The CSRF value of this request, as the guard found or made it.
#[derive(Debug, Clone)]
struct CsrfNonce(String);

/// The language this request asked for with `?lang=`.
#[derive(Debug, Clone, Copy)]
struct LangChoice(Lang);

/// Whether cookies are for HTTPS only (the deployment is served over HTTPS).
pub(super) fn secure(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age_secs: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(max_age_secs))
        .build()
}

fn set_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.encoded().to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The CSRF token forms carry for a CSRF value.
fn csrf_token(state: &AppState, nonce: &str) -> String {
    state.identity.keyed_digest("web-csrf", &[nonce])
}

fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Runs around every web route: makes the CSRF cookie when there is none, keeps a `?lang=`
/// choice in its cookie, refuses a POST without its CSRF token (403, nothing done), and gives
/// pages their content policy.
pub(super) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    let (nonce, fresh) = match jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()) {
        Some(n) if n.len() == 32 && n.bytes().all(|b| b.is_ascii_hexdigit()) => (n, false),
        _ => (random_hex(), true),
    };
    let choice = query_value(request.uri().query(), "lang").and_then(|c| Lang::from_code(&c));
    let (mut parts, body) = request.into_parts();
    if parts.method == Method::POST {
        let expected = csrf_token(&state, &nonce);
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let (given, body) = if is_form {
            let limit = state.config.body_limit_bytes;
            let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
                return StatusCode::PAYLOAD_TOO_LARGE.into_response();
            };
            let given = url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v.into_owned());
            (given, axum::body::Body::from(bytes))
        } else {
            let given = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .or_else(|| query_value(parts.uri.query(), CSRF_FIELD));
            (given, body)
        };
        let matches =
            given.is_some_and(|g| crate::http::auth::secret_matches(&g, &expected) && !fresh);
        if !matches {
            let t = Tr {
                lang: choice
                    .or_else(|| lang_of(&parts.headers))
                    .unwrap_or_else(Lang::english),
            };
            let mut response = (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                t.t("error-csrf"),
            )
                .into_response();
            if fresh {
                set_cookie(
                    &mut response,
                    &cookie(&state, CSRF_COOKIE, nonce, 86_400 * 30),
                );
            }
            return response;
        }
        // A page rendered in answer (the next step, a form shown again) carries the same token.
        parts.extensions.insert(CsrfNonce(nonce));
        let request = Request::from_parts(parts, body);
        return finish(&state, next.run(request).await, None, None);
    }
    parts.extensions.insert(CsrfNonce(nonce.clone()));
    if let Some(lang) = choice {
        parts.extensions.insert(LangChoice(lang));
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    finish(&state, response, fresh.then_some(nonce), choice)
}

fn finish(
    state: &AppState,
    mut response: Response,
    nonce: Option<String>,
    lang: Option<Lang>,
) -> Response {
    if nonce.is_some() || lang.is_some() {
        // A response that sets a cookie is this browser's alone.
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    if let Some(nonce) = nonce {
        set_cookie(
            &mut response,
            &cookie(state, CSRF_COOKIE, nonce, 86_400 * 30),
        );
    }
    if let Some(lang) = lang {
        set_cookie(
            &mut response,
            &cookie(state, LANG_COOKIE, lang.code().to_owned(), 86_400 * 365),
        );
    }
    let headers = response.headers_mut();
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), geolocation=(self)"),
    );
    response
}

fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn lang_of(headers: &axum::http::HeaderMap) -> Option<Lang> {
    let jar = CookieJar::from_headers(headers);
    if let Some(lang) = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::from_code(c.value()))
    {
        return Some(lang);
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::negotiate)
}

/// What every page needs: the language, the CSRF token for its forms, where it is (for the
/// language switch), and whether each role is logged in (for the menu).
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Messages and formats.
    pub t: Tr,
    /// The CSRF token of this browser.
    pub csrf: String,
    /// The path and query of this page, without `lang`.
    pub here: String,
    /// Logged in as a citizen.
    pub citizen: bool,
    /// Logged in at the desk.
    pub desk: bool,
    /// Logged in as an administrator.
    pub admin: bool,
    /// OTPs are shown on the page (sandbox delivery: a demo, never production).
    pub sandbox: bool,
    /// What went well, to say at the top of the page (`?notice=` after a redirect).
    pub notice: Option<String>,
    /// What went wrong and what to do next (`?error=` after a redirect, or the handler's).
    pub error: Option<String>,
}

impl Ctx {
    /// The language switch's link to this page in `lang`.
    pub fn switch_to(&self, lang: &Lang) -> String {
        let (path, query) = self.here.split_once('?').unwrap_or((&self.here, ""));
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if k != "lang" && k != CSRF_FIELD {
                out.append_pair(&k, &v);
            }
        }
        out.append_pair("lang", lang.code());
        format!("{path}?{}", out.finish())
    }

    /// The languages of the switch.
    pub fn languages(&self) -> &'static [Lang] {
        Lang::all()
    }

    /// A language's name in itself (`English`, `हिन्दी`).
    pub fn language_name(&self, lang: &Lang) -> String {
        Tr { lang: *lang }.t("language-name")
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = parts
            .extensions
            .get::<LangChoice>()
            .map(|c| c.0)
            .or_else(|| lang_of(&parts.headers))
            .unwrap_or_else(Lang::english);
        let nonce = parts
            .extensions
            .get::<CsrfNonce>()
            .map(|n| n.0.clone())
            .unwrap_or_default();
        let jar = CookieJar::from_headers(&parts.headers);
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let query = parts.uri.query();
        // Only codes with a message are shown: the query cannot put text on the page.
        let known = |prefix: &str, key: &str| {
            let code = query_value(query, key)?;
            let ok = !code.is_empty()
                && code.len() <= 40
                && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            let text = Tr { lang }.t(&format!("{prefix}-{code}"));
            (ok && !text.starts_with(super::i18n::MISSING)).then_some(text)
        };
        Ok(Self {
            notice: known("notice", "notice"),
            error: known("error", "error"),
            t: Tr { lang },
            csrf: csrf_token(state, &nonce),
            here,
            citizen: jar.get(Area::Citizen.cookie()).is_some(),
            desk: jar.get(Area::Desk.cookie()).is_some(),
            admin: jar.get(Area::Admin.cookie()).is_some(),
            sandbox: matches!(
                state.config.otp_delivery,
                crate::notify::OtpDelivery::Sandbox
            ),
        })
    }
}

/// Where an area's pages send someone without a session: its login, then back here.
fn to_login(area: Area, parts: &Parts) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    Redirect::to(&format!("{}?{query}", area.login())).into_response()
}

async fn session_claims(
    area: Area,
    parts: &Parts,
    state: &AppState,
) -> Result<crate::http::auth::Claims, Response> {
    let jar = CookieJar::from_headers(&parts.headers);
    let token = jar
        .get(area.cookie())
        .map(|c| c.value().to_owned())
        .ok_or_else(|| to_login(area, parts))?;
    token_claims(&token, state)
        .await
        .map_err(|_| to_login(area, parts))
}

/// A citizen's session: the family of one mobile, as the API's beneficiary token.
#[derive(Debug, Clone)]
pub struct Citizen(pub BeneficiaryToken);

impl FromRequestParts<AppState> for Citizen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let claims = session_claims(Area::Citizen, parts, state).await?;
        BeneficiaryToken::from_claims(claims, parts, state)
            .map(Self)
            .map_err(|_| to_login(Area::Citizen, parts))
    }
}

/// A vaccinator's session at the desk, with their active posts.
#[derive(Debug, Clone)]
pub struct Desk(pub VaccinatorToken);

impl FromRequestParts<AppState> for Desk {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let claims = session_claims(Area::Desk, parts, state).await?;
        VaccinatorToken::from_claims(claims, parts, state)
            .await
            .map(Self)
            .map_err(|_| to_login(Area::Desk, parts))
    }
}

/// An administrator's session, opened with the deployment's admin token.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The store, acting for the admin (audited as the admin's, from this address).
    pub store: Arc<dyn Store>,
    /// The session's token, for logout.
    pub claims: crate::http::auth::Claims,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let claims = session_claims(Area::Admin, parts, state).await?;
        let current = crate::http::auth::admin_fingerprint(state);
        let opened_with = claims.sub.strip_prefix("admin:");
        if claims.role != Role::Admin || current.as_deref() != opened_with {
            return Err(to_login(Area::Admin, parts));
        }
        let store = state
            .store
            .acting_as(crate::http::auth::actor_of(&claims, parts, state));
        Ok(Self { store, claims })
    }
}

/// Opens a session: the token in the area's cookie, then on to `next` (a path on this site).
pub(super) fn open(state: &AppState, area: Area, token: String, next: &str) -> Response {
    let ttl = i64::try_from(state.tokens.beneficiary_ttl.as_secs()).unwrap_or(900);
    let mut response = Redirect::to(safe_next(next, area)).into_response();
    set_cookie(&mut response, &cookie(state, area.cookie(), token, ttl));
    response
}

/// Ends a session: its token is revoked (on every node) and its cookie removed.
pub(super) async fn close(
    state: &AppState,
    area: Area,
    claims: &crate::http::auth::Claims,
    to: &str,
) -> Response {
    // Revocation failing must not keep the cookie: the token still expires on its own.
    let _ = state.store.revoke_token(&claims.jti, claims.exp).await;
    let mut response = Redirect::to(to).into_response();
    set_cookie(
        &mut response,
        &cookie(state, area.cookie(), String::new(), 0),
    );
    response
}

/// `next` if it is a path of this site in the area, else the area's home (no open redirect).
fn safe_next(next: &str, area: Area) -> &str {
    let home = match area {
        Area::Citizen => "/family",
        Area::Desk => "/desk",
        Area::Admin => "/admin",
    };
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains("://")
        // Browsers drop tabs and newlines from URLs: `/\t/evil` would become `//evil`.
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
        && !next.starts_with("/login")
        && !next.starts_with("/desk/login")
        && !next.starts_with("/admin/login");
    if ok { next } else { home }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next("/centre/5?from=2026-03-01", Area::Citizen),
            "/centre/5?from=2026-03-01"
        );
        for evil in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "/login?next=/x",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
        ] {
            assert_eq!(safe_next(evil, Area::Citizen), "/family", "{evil}");
        }
        assert_eq!(safe_next("", Area::Admin), "/admin");
    }
}
