//! The error body of the CoWIN family and of sehat's own admin API: `{"errorCode","error"}` as
//! spec 000 shows it, with `field` naming the request field at fault. Domain errors become wire
//! errors here, in one `match`; a 5xx logs its cause once and tells the client nothing internal.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sehat_domain::facility_csv::HeaderError;
use sehat_domain::{DomainError, Rule};
use serde::Serialize;
use utoipa::ToSchema;

/// The error body. `errorCode` is from the catalogue in the README ("Errors").
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `USRRES0005` or `SEHAT0400`.
    #[serde(rename = "errorCode")]
    pub error_code: &'static str,
    /// Human-readable message.
    pub error: String,
    /// The request field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `USRRES0005`: the column names that are not recognised.
    #[serde(rename = "Wrong-Headers", skip_serializing_if = "Option::is_none")]
    pub wrong_headers: Option<Vec<String>>,
    /// For `USRRES0005`: required columns that are missing.
    #[serde(rename = "Missing-Headers", skip_serializing_if = "Option::is_none")]
    pub missing_headers: Option<Vec<String>>,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    // Boxed: errors travel through every `Result` of the handlers, so they stay small.
    body: Box<ErrorBody>,
    retry_after: Option<i64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                error_code: code,
                error: message.into(),
                field: None,
                wrong_headers: None,
                missing_headers: None,
            }),
            retry_after: None,
        }
    }

    /// The machine-readable code (`APPOIN0040`).
    pub fn code(&self) -> &'static str {
        self.body.error_code
    }

    /// The English message, with the field at fault when there is one.
    pub fn message(&self) -> String {
        match &self.body.field {
            Some(field) => format!("{field}: {}", self.body.error),
            None => self.body.error.clone(),
        }
    }

    /// The error's words alone, without the field's name.
    pub fn reason(&self) -> &str {
        let error = self.body.error.as_str();
        self.body
            .field
            .as_deref()
            .and_then(|f| error.strip_prefix(f))
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(error)
    }

    /// For `USRRES0005`: the unrecognised and the missing column names.
    pub fn headers(&self) -> (&[String], &[String]) {
        (
            self.body.wrong_headers.as_deref().unwrap_or_default(),
            self.body.missing_headers.as_deref().unwrap_or_default(),
        )
    }

    /// The request field at fault, for validation errors.
    pub fn field(&self) -> Option<&str> {
        self.body.field.as_deref()
    }

    /// 400: a request field is malformed.
    pub fn invalid(field: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        let field = field.into();
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "SEHAT0400",
            format!("{field}: {reason}"),
        );
        e.body.field = Some(field);
        e
    }

    /// 401: missing or wrong credentials (spec 000: "Unauthenticated access!").
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "SEHAT0401",
            "Unauthenticated access!",
        )
    }

    /// 404: no such route or object.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "SEHAT0404",
            format!("{what} not found"),
        )
    }

    /// 400 `APPOIN0006`: no centre has the given `center_id` (CoWIN's code).
    pub fn unknown_center() -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "APPOIN0006",
            "No vaccination centre has this center_id.",
        );
        e.body.field = Some("center_id".to_owned());
        e
    }

    /// 408: the request took longer than its route allows.
    pub fn timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "SEHAT0408",
            "request took too long",
        )
    }

    /// 405: the route exists but not with this method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "SEHAT0405",
            "method not allowed on this route",
        )
    }

    /// 413: the body is larger than allowed.
    pub fn too_large(limit: usize) -> Self {
        let message = if limit == 0 {
            "request body too large".to_owned()
        } else {
            format!("request body larger than {limit} bytes")
        };
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "SEHAT0413", message)
    }

    /// 415: the body is not JSON.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "SEHAT0415",
            "send the body as application/json",
        )
    }

    /// 429: this address sent too many requests; `Retry-After` says when to come back.
    pub fn rate_limited(retry_after_secs: i64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "SEHAT0429",
            "Too many requests from this address. Try again later.",
        );
        error.retry_after = Some(retry_after_secs);
        error
    }

    /// 503: the database is unreachable; the client may retry.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SEHAT0503",
            "Service temporarily unavailable, please retry shortly",
        )
    }

    /// 503: the node holds as many connections as it allows (in all, or from this address);
    /// the client may retry in a second.
    pub fn too_many_connections() -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SEHAT0503",
            "Too many open connections, please retry shortly",
        );
        error.retry_after = Some(1);
        error
    }

    /// 400 `USRRES0001 INPUT_FILE_MISSING` (spec 000).
    pub fn input_file_missing() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "USRRES0001", "INPUT_FILE_MISSING")
    }

    /// 400 `USRRES0002 INVALID_FILE_NAME` (spec 000).
    pub fn invalid_file_name() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "USRRES0002", "INVALID_FILE_NAME")
    }

    /// 400 `USRRES0003 INVALID_FILE_TYPE` (spec 000).
    pub fn invalid_file_type() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "USRRES0003", "INVALID_FILE_TYPE")
    }

    /// 400 `USRRES0005 INVALID_FILE_HEADERS` with the wrong column names (spec 000).
    pub fn invalid_file_headers(headers: HeaderError) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "USRRES0005",
            "INVALID_FILE_HEADERS",
        );
        e.body.wrong_headers = Some(headers.wrong);
        e.body.missing_headers = Some(headers.missing);
        e
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid { field, reason } => Self::invalid(field, reason),
            DomainError::NotFound(what) => Self::not_found(what),
            DomainError::Conflict(reason) => Self::new(StatusCode::CONFLICT, "SEHAT0409", reason),
            DomainError::Rule(rule) => Self::from_rule(&rule),
            DomainError::Unavailable(source) => {
                tracing::warn!(error = %error_chain(source.as_ref()), "database unavailable");
                Self::unavailable()
            }
            DomainError::Internal(source) => {
                tracing::error!(error = %error_chain(source.as_ref()), "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "SEHAT0500",
                    "Internal Server Error",
                )
            }
        }
    }
}

impl ApiError {
    /// The status and code of each business rule: one catalogue for the CoWIN family (v1 and
    /// v2) and the admin API. The README lists it.
    fn from_rule(rule: &Rule) -> Self {
        let (status, code) = match rule {
            Rule::SlotFull => (StatusCode::CONFLICT, "APPOIN0040"),
            Rule::SessionClosed => (StatusCode::CONFLICT, "APPOIN0041"),
            Rule::PastSession => (StatusCode::BAD_REQUEST, "APPOIN0042"),
            Rule::AgeNotEligible => (StatusCode::BAD_REQUEST, "APPOIN0043"),
            Rule::AlreadyBooked => (StatusCode::CONFLICT, "APPOIN0045"),
            Rule::SlotMismatch => (StatusCode::BAD_REQUEST, "APPOIN0046"),
            Rule::IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "APPOIN0047"),
            Rule::CaptchaInvalid => (StatusCode::BAD_REQUEST, "APPOIN0044"),
            Rule::FamilyFull => (StatusCode::CONFLICT, "USRRES0010"),
            Rule::PhotoIdTaken => (StatusCode::CONFLICT, "USRRES0011"),
            Rule::HasActiveAppointment => (StatusCode::CONFLICT, "USRRES0012"),
            Rule::OtpInvalid => (StatusCode::BAD_REQUEST, "USRAUT0002"),
            Rule::OtpExpired => (StatusCode::BAD_REQUEST, "USRAUT0003"),
            Rule::OtpAttemptsExceeded => (StatusCode::BAD_REQUEST, "USRAUT0004"),
            Rule::OtpRateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "USRAUT0005"),
            Rule::CredentialsMismatch => (StatusCode::UNAUTHORIZED, "USRAUT0006"),
            Rule::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "USRAUT0007"),
            Rule::BadApiKey => (StatusCode::UNAUTHORIZED, "USRAUT0008"),
            Rule::DoseOutOfOrder { .. } => (StatusCode::BAD_REQUEST, "VACCIN0001"),
            Rule::DoseTooEarly { .. } => (StatusCode::BAD_REQUEST, "VACCIN0002"),
            Rule::DoseAlreadyRecorded { .. } => (StatusCode::CONFLICT, "VACCIN0003"),
            Rule::VaccineMismatch { .. } => (StatusCode::BAD_REQUEST, "VACCIN0004"),
            Rule::NothingToFulfil => (StatusCode::BAD_REQUEST, "VACCIN0005"),
            Rule::CertificateRevoked => (StatusCode::CONFLICT, "VACCIN0006"),
            Rule::NotYourCenter => (StatusCode::FORBIDDEN, "VACCIN0007"),
            Rule::NotAVaccinator => (StatusCode::FORBIDDEN, "USRAUT0009"),
            Rule::WalkInFull => (StatusCode::CONFLICT, "APPOIN0048"),
            Rule::NoSessionToday => (StatusCode::BAD_REQUEST, "APPOIN0015"),
        };
        let mut error = Self::new(status, code, rule.to_string());
        if let Rule::OtpRateLimited { retry_after_secs }
        | Rule::TooManyAttempts { retry_after_secs } = rule
        {
            error.retry_after = Some(*retry_after_secs);
        }
        error
    }
}

/// The whole source chain of an error on one line, for the log.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(*self.body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(value) = axum::http::HeaderValue::from_str(&secs.max(1).to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
