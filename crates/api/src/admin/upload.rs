//! The HTTP side of the bulk facility upload (`POST /admin/v1/facilities/upload`): the multipart
//! form, the file's name and type, the size limit, and spooling the file to disk before
//! [`super::facility_import`] reads it.

use super::facility_import::{
    ImportError, ImportMode, ImportOptions, ImportReport, import_facilities,
};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::AdminAuth;
use crate::http::extract::ApiQuery;
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use sehat_domain::DomainError;
use sehat_domain::store::Store;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// How the upload treats invalid rows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// `partial` (default): write valid rows, report the rest. `all-or-nothing`: write nothing
    /// unless every row is valid.
    mode: Option<ImportMode>,
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The CSV file, named `*.csv`, with the columns listed in the README.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn valid_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ' ' | '(' | ')'))
}

fn is_csv(name: &str, content_type: Option<&str>) -> bool {
    let by_name = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("csv"));
    let by_type = content_type.is_none_or(|t| {
        let t = t
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        matches!(
            t.as_str(),
            "text/csv"
                | "application/csv"
                | "text/plain"
                | "application/vnd.ms-excel"
                | "application/octet-stream"
        )
    });
    by_name && by_type
}

/// Upload facilities with their session plans as CSV (multipart field `file`). Rows are upserted
/// by natural key (district, facility name, pincode; then date and vaccine; then slot name), so
/// uploading the same file twice changes nothing. Errors: `USRRES0001` no file, `USRRES0002` bad
/// file name, `USRRES0003` not a CSV file, `USRRES0005` wrong headers (listed in `Wrong-Headers`).
#[utoipa::path(post, path = "/admin/v1/facilities/upload", tag = "admin", params(UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "imported (in partial mode some rows may be listed as rejected)", body = ImportReport),
        (status = 400, description = "USRRES0001/0002/0003/0005", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "all-or-nothing: some rows invalid, nothing written", body = ImportReport)))]
pub(super) async fn upload_facilities(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: axum::http::HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let mode = query.mode.unwrap_or_default();
    let report = receive(&state, admin.store.as_ref(), mode, &headers, multipart).await?;
    let status =
        if report.mode == ImportMode::AllOrNothing && !report.committed && report.rejected > 0 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
    Ok((status, Json(report)))
}

/// Receives the upload's `file` field and imports it: the API's upload and the admin's web
/// page both call this, with the same checks (size, name, type, headers) and errors.
pub(crate) async fn receive(
    state: &AppState,
    store: &dyn Store,
    mode: ImportMode,
    headers: &axum::http::HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<ImportReport, ApiError> {
    let limit = state.config.upload_limit_bytes;
    // A declared length over the limit is refused before any of the body is read, so a client
    // that waits for `100 Continue` gets the 413 instead of a connection reset.
    // The declared length covers the multipart framing and form fields too; the file itself is
    // counted while it is spooled.
    let with_framing = limit.saturating_add(crate::http::telemetry::UPLOAD_FRAMING);
    if crate::http::extract::declared_over(headers, with_framing) {
        return Err(ApiError::too_large(limit));
    }
    // A body that is not multipart/form-data carries no file.
    let mut multipart = multipart.map_err(|_| ApiError::input_file_missing())?;
    let multipart_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(limit)
        } else {
            ApiError::input_file_missing()
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("").trim().to_owned();
        if name.is_empty() && field.content_type().is_none() {
            return Err(ApiError::input_file_missing());
        }
        if !valid_file_name(&name) {
            return Err(ApiError::invalid_file_name());
        }
        if !is_csv(&name, field.content_type()) {
            return Err(ApiError::invalid_file_type());
        }
        let options = ImportOptions::new(mode, state.clock.today());
        let file = spool(field, limit, multipart_error).await?;
        let result = import_facilities(
            tokio::io::BufReader::with_capacity(64 * 1024, file),
            store,
            &state.gazetteer,
            options,
            &mut |_, _| {},
        )
        .await;
        return match result {
            Ok(report) => Ok(report),
            Err(ImportError::Headers(h)) => Err(ApiError::invalid_file_headers(h)),
            Err(ImportError::NotCsv(reason))
                if reason.contains("too large") || reason.contains("length limit") =>
            {
                Err(ApiError::too_large(limit))
            }
            Err(ImportError::NotCsv(_)) => Err(ApiError::invalid_file_type()),
            Err(ImportError::TooManyRows) => {
                Err(ApiError::invalid("file", "more than 1,000,000 rows"))
            }
            Err(ImportError::Store(e)) => Err(e.into()),
        };
    }
    Err(ApiError::input_file_missing())
}

/// Copies an uploaded file to an anonymous temporary file (deleted when dropped) before any of
/// it is imported, so that an upload that breaks off or passes the size limit half-way changes
/// nothing, even in partial mode, whose batches commit as they go. Memory stays at one chunk;
/// disk at most the upload limit per upload (counted here too: the route's body limit is the
/// larger of the two limits).
pub(super) async fn spool(
    mut field: axum::extract::multipart::Field<'_>,
    limit: usize,
    multipart_error: impl Fn(axum::extract::multipart::MultipartError) -> ApiError,
) -> Result<tokio::fs::File, ApiError> {
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};
    let unavailable = |e: std::io::Error| ApiError::from(DomainError::Unavailable(Box::new(e)));
    let file = tempfile::tempfile().map_err(unavailable)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut size = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(&multipart_error)? {
        size += chunk.len();
        if size > limit {
            return Err(ApiError::too_large(limit));
        }
        file.write_all(&chunk).await.map_err(unavailable)?;
    }
    file.flush().await.map_err(unavailable)?;
    file.seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(unavailable)?;
    Ok(file)
}
