//! Extractors shared by the API families: JSON bodies, query strings and paths whose errors name
//! the field at fault, and the body limit. (The token extractors are in [`super::auth`].)

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

/// A JSON body whose errors name the field at fault (`beneficiaries[0]: invalid type …`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let mime = v.split(';').next().unwrap_or("").trim();
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = read_body(req, state.config.body_limit_bytes).await?;
        from_json_slice(&bytes).map(Self)
    }
}

/// Whether the request's `Content-Length` declares more than `limit` bytes: such a body can be
/// refused before any of it is read.
pub fn declared_over(headers: &axum::http::HeaderMap, limit: usize) -> bool {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
}

/// Reads a request's whole body, at most `limit` bytes: 413 beyond. A declared length over the
/// limit is refused before any of the body is read, so an oversized body costs the server
/// nothing but its head.
pub async fn read_body(request: Request, limit: usize) -> Result<bytes::Bytes, ApiError> {
    if declared_over(request.headers(), limit) {
        return Err(ApiError::too_large(limit));
    }
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

/// Deserializes a JSON body, as [`ApiJson`] does once the body is read: errors name the field.
pub fn from_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // Deeply nested input is refused by serde_json's recursion limit (128) before it costs.
    let value = serde_path_to_error::deserialize(&mut de).map_err(named_error)?;
    de.end().map_err(|e| ApiError::invalid("body", e))?;
    Ok(value)
}

/// Deserializes an already-parsed JSON value (when a handler needs the raw body too, as for
/// `Idempotency-Key` hashing), with the same field-naming errors as [`ApiJson`].
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(named_error)
}

/// Names the request field a deserialization error is about.
fn named_error<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    // serde names a missing or unknown field only in its message: "missing field `name`".
    let message = inner.to_string();
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    let field = match (path.as_str(), named) {
        ("." | "?", Some(name)) => name.to_owned(),
        ("." | "?", None) => "body".to_owned(),
        (p, Some(name)) if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
        (p, Some(name)) => format!("{p}.{name}"),
        (p, None) => p.to_owned(),
    };
    ApiError::invalid(field, message)
}

/// Query parameters whose errors are JSON bodies naming the parameter.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters whose errors are JSON bodies.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        // "Failed to deserialize query string: limit: invalid digit found in string"
        let text = rejection.body_text();
        let detail = text.split_once(": ").map_or(text.as_str(), |(_, d)| d);
        if let Some(name) = detail
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            return ApiError::invalid(name.to_owned(), "is required");
        }
        match detail.split_once(": ") {
            Some((field, reason)) => ApiError::invalid(field, reason),
            None => ApiError::invalid("query", detail),
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        use axum::extract::path::ErrorKind;
        let text = rejection.body_text();
        let field = match &rejection {
            axum::extract::rejection::PathRejection::FailedToDeserializePathParams(e) => {
                match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    _ => "path".to_owned(),
                }
            }
            _ => "path".to_owned(),
        };
        ApiError::invalid(field, text)
    }
}
