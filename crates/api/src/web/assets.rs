//! The web app's stylesheet and script, compiled into the binary (no CDN: the app works on a
//! LAN without the internet) and served under a name holding their digest, so browsers keep
//! them for a year and fetch them again only when they change.

use crate::AppState;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");

/// The routes of the assets.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/static/{name}", get(asset))
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn names() -> &'static (String, String) {
    static NAMES: OnceLock<(String, String)> = OnceLock::new();
    NAMES.get_or_init(|| {
        (
            format!("app-{}.css", digest(CSS)),
            format!("app-{}.js", digest(JS)),
        )
    })
}

/// Where pages link the stylesheet.
pub fn css_url() -> String {
    format!("/static/{}", names().0)
}

/// Where pages load the script.
pub fn js_url() -> String {
    format!("/static/{}", names().1)
}

async fn asset(Path(name): Path<String>) -> Response {
    let (css, js) = names();
    let (kind, body) = if name == *css {
        ("text/css; charset=utf-8", CSS)
    } else if name == *js {
        ("text/javascript; charset=utf-8", JS)
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = ([(header::CONTENT_TYPE, kind)], body).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}
