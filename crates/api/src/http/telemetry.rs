//! Middleware: request ids, access logs, per-route metrics, body limits and timeouts.
//!
//! Logs name the route template (`/admin/v1/centers/{center_id}`), never the raw URI or query
//! string, and never headers or bodies: phone numbers, OTPs, tokens and ID numbers travel there.

use crate::error::ApiError;
use crate::{ApiConfig, AppState};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ],
            )
            .map_or_else(
                |_| PrometheusBuilder::new().build_recorder(),
                PrometheusBuilder::build_recorder,
            );
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; the handle still renders ours.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let labels = [
        ("method", method.clone()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(elapsed.as_secs_f64());
    tracing::info!(
        target: "sehat::access",
        %method, %route, status, request_id, latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// Turns the body-limit and timeout rejections of the layers below into JSON error bodies (a
/// web page that answers with such a status, "not found" say, is its own answer).
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
        });
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE if !is_json => ApiError::too_large(0).into_response(),
        StatusCode::REQUEST_TIMEOUT if !is_json => ApiError::timeout().into_response(),
        StatusCode::NOT_FOUND if !is_json => ApiError::not_found("route").into_response(),
        StatusCode::METHOD_NOT_ALLOWED if !is_json => {
            ApiError::method_not_allowed().into_response()
        }
        _ => response,
    }
}

/// The route that may run long: a facility upload of up to a million rows.
pub const UPLOAD_ROUTE: &str = "/admin/v1/facilities/upload";

/// Room for an upload's multipart framing and form fields on top of the file's own limit (which
/// the upload counts while it spools the file).
pub const UPLOAD_FRAMING: usize = 64 * 1024;

/// Ends a request that takes longer than its route allows: 408 with a JSON body. Uploads get
/// `upload_timeout`, everything else `request_timeout`.
async fn deadline(
    axum::extract::State(config): axum::extract::State<std::sync::Arc<ApiConfig>>,
    request: Request,
    next: Next,
) -> Response {
    let is_upload = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| p.as_str() == UPLOAD_ROUTE);
    let limit = if is_upload {
        config.upload_timeout
    } else {
        config.request_timeout
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout().into_response(),
    }
}

/// Headers every answer carries: no sniffing, no framing, no referrer, HTTPS only once seen over
/// HTTPS, and no caching unless the route chose its own caching (searches do). The API docs page
/// runs its own scripts and styles; everything else may load nothing at all.
async fn security_headers(request: Request, next: Next) -> Response {
    let is_docs = request.uri().path().starts_with("/docs");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ),
        (
            "content-security-policy",
            if is_docs {
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
            } else {
                "default-src 'none'; frame-ancestors 'none'"
            },
        ),
    ];
    for (name, value) in fixed {
        // The web app's pages set their own content policy (their own script and style).
        if name == "content-security-policy" && headers.contains_key(name) {
            continue;
        }
        headers.insert(name, axum::http::HeaderValue::from_static(value));
    }
    headers
        .entry(axum::http::header::CACHE_CONTROL)
        .or_insert(axum::http::HeaderValue::from_static("no-store"));
    response
}

/// CORS for the configured origins only: each is allowed exactly (no wildcard, no credentials),
/// with the methods and headers the APIs use. Without origins, no CORS headers at all.
fn cors(config: &ApiConfig) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderValue, Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = config
        .cors_allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                header::IF_MODIFIED_SINCE,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([
                header::ETAG,
                header::LAST_MODIFIED,
                header::RETRY_AFTER,
                REQUEST_ID,
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Wraps the router in the middleware every request passes.
pub fn layers(router: Router<AppState>, config: &ApiConfig) -> Router<AppState> {
    let upload_limit = config.upload_limit_bytes;
    let router = match cors(config) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(DefaultBodyLimit::max(
            config
                .body_limit_bytes
                .max(upload_limit.saturating_add(UPLOAD_FRAMING)),
        ))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(config.clone()),
            deadline,
        ))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(observe))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// What a log must never hold, found in `log` (the scan of the PII-leakage suite, over every
/// suite's server log): mobile numbers (10 digits from 6), 12-digit ID numbers, JWTs,
/// partner API keys, and the OTP codes the run saw (`"otp":"123456"` in the guide's output).
/// UUIDs (request and transaction ids) are skipped: their hex groups can be all digits.
pub fn personal_data_in(log: &str, seen: &str) -> Vec<String> {
    let mut leaks = Vec::new();
    for word in log.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        let is_uuid = word.len() == 36 && word.matches('-').count() == 4;
        if is_uuid {
            continue;
        }
        for run in word.split(|c: char| !c.is_ascii_digit()) {
            let mobile = run.len() == 10 && run.starts_with(['6', '7', '8', '9']);
            if mobile || run.len() == 12 {
                leaks.push(format!("number {run}"));
            }
        }
        if word.starts_with("eyJ") && word.len() >= 16 {
            leaks.push("a JWT".into());
        }
        if word.starts_with("sehat_") && word.len() > 40 {
            leaks.push("a partner API key".into());
        }
    }
    for otp in seen
        .split("\"otp\":")
        .skip(1)
        .map(|rest| {
            rest.trim_start_matches('"')
                .chars()
                .take(6)
                .collect::<String>()
        })
        .filter(|o| o.len() == 6 && o.bytes().all(|b| b.is_ascii_digit()))
    {
        if whole_numbers(log).any(|n| n == otp) {
            leaks.push(format!("the OTP {otp}"));
        }
    }
    leaks
}

/// The runs of digits in `text` that stand alone: not part of a longer run, and not the
/// fraction of a decimal (a timestamp's microseconds, `…:23.534758Z`, or a duration's, are no
/// OTP however they read).
fn whole_numbers(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .filter(move |run| {
            let start = run.as_ptr() as usize - text.as_ptr() as usize;
            start == 0 || bytes[start - 1] != b'.'
        })
}

#[cfg(test)]
mod pii_tests {
    use super::personal_data_in;

    #[test]
    fn the_pii_scan_finds_what_it_looks_for() {
        let log = "INFO request_id=3fa85f64-5717-4562-1234-123456789012 mobile=9876543210 id=999941057058 t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x key=sehat_0123456789abcdef_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef code 482913";
        let leaks = personal_data_in(log, r#"{"otp":"482913","txnId":"t"}"#);
        assert_eq!(
            leaks,
            vec![
                "number 9876543210",
                "number 999941057058",
                "a JWT",
                "a partner API key",
                "the OTP 482913"
            ]
        );
        assert!(
            personal_data_in(
                "request 3fa85f64-5717-4562-1234-123456789012 latency_us=1234",
                ""
            )
            .is_empty()
        );
        // A timestamp's or a duration's fraction that reads like an OTP is not one; the same
        // digits standing alone are.
        let seen = r#"{"otp":"534758"}"#;
        let log = "2026-12-07T15:31:23.534758Z INFO took=0.534758s";
        assert!(personal_data_in(log, seen).is_empty());
        assert_eq!(
            personal_data_in("INFO sent 534758 to the gateway", seen),
            vec!["the OTP 534758"]
        );
    }
}
