//! Vaccination certificates (`../shared/specs/certificates.md`): DIVOC's W3C credential, signed
//! with the issuer's `did:web` keys, downloaded by the family (CoWIN v2's certificate calls) as a
//! PDF, the signed JSON or the QR alone; verified online or offline; revoked by a correction.
//!
//! Routes:
//! - `GET /.well-known/did.json`: the issuer's DID document (its live verification keys);
//! - `GET /api/v2/registration/certificate/public/download` (token of the public OTP login) and
//!   `GET /api/v2/registration/certificate/download` (protected token);
//! - `POST /api/v2/certificate/verify`: a credential, or `{"qr"}` with a QR code's text;
//! - `POST /divoc/api/v1/certificate/revoked`: DIVOC's revocation check;
//! - `GET /api/v2/certificate/revocations`: the revocation list, signed by the issuer.
//!
//! [`issuer`] turns dose records into signed credentials and checks them; the documents are
//! drawn by `sehat-render`.

use crate::AppState;
use crate::cowin_v1::loose::reference_id;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::BeneficiaryToken;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::rate_limit::PublicCaller;
use axum::Json;
use axum::extract::State;
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sehat_domain::DomainError;
use sehat_domain::beneficiary::BeneficiaryRef;
use sehat_domain::store::Store;
use sehat_domain::vaccination::{CertificateId, StoredCertificate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The PDF's content, read from the signed credentials.
mod document;
/// The issuer: keys, signing, verification, the QR payload and the PDF.
pub mod issuer;

pub use issuer::{Issuer, VerifyStatus};

/// The certificate routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(did_document))
        .routes(routes!(download_public))
        .routes(routes!(download_protected))
        .routes(routes!(verify_certificate))
        .routes(routes!(divoc_revoked))
        .routes(routes!(revocation_list))
}

/// What a credential states at a JSON pointer, as text (DIVOC's certificates write some ids and
/// numbers as strings, others as numbers).
pub(crate) fn stated_text(doc: &Value, pointer: &str) -> Option<String> {
    match doc.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What a download answers with, by the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// The PDF (the default).
    Pdf,
    /// The signed credential.
    Json,
    /// The QR code alone.
    Png,
}

impl Wanted {
    /// The type of `Accept` that sehat serves with the highest `q`; the PDF on a tie, for
    /// `*/*`, and without `Accept` (CoWIN's download answers a PDF).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let accept = headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut best: Option<(u16, Self)> = None;
        for part in accept.split(',') {
            let mut fields = part.split(';');
            let kind = fields.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = fields
                .filter_map(|f| f.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            // Thousandths, so that ties compare exactly.
            let q = (q.clamp(0.0, 1.0) * 1000.0).round() as u16;
            let wanted = match kind.as_str() {
                "application/pdf" | "*/*" | "application/*" => Self::Pdf,
                "application/vc+ld+json" | "application/ld+json" | "application/json" => Self::Json,
                "image/png" | "image/*" => Self::Png,
                _ => continue,
            };
            let better = match best {
                None => q > 0,
                Some((best_q, best_kind)) => {
                    q > best_q || (q == best_q && wanted == Self::Pdf && best_kind != Self::Pdf)
                }
            };
            if better {
                best = Some((q, wanted));
            }
        }
        best.map_or(Self::Pdf, |(_, wanted)| wanted)
    }
}

/// The person's current certificates, and the one a download names: the latest dose's.
async fn current(
    store: &dyn Store,
    id: BeneficiaryRef,
    shown: &(dyn Fn(&StoredCertificate) -> bool + Sync),
) -> Result<(Vec<StoredCertificate>, StoredCertificate), ApiError> {
    let all = store.certificates(id).await?;
    let live: Vec<StoredCertificate> = all
        .into_iter()
        .filter(|c| c.revoked_at.is_none() && shown(c))
        .collect();
    let latest = live
        .iter()
        .max_by_key(|c| (c.dose, c.issued_at))
        .cloned()
        .ok_or_else(|| ApiError::not_found("certificate"))?;
    Ok((live, latest))
}

/// The certificate of a person as `wanted` (shared with the vaccinator's download), read through
/// the caller's `store` (its reads are audited under the caller's name), of the certificates
/// `shown` lets the caller see.
pub(crate) async fn certificate_response(
    state: &AppState,
    store: &dyn Store,
    id: BeneficiaryRef,
    wanted: Wanted,
    shown: &(dyn Fn(&StoredCertificate) -> bool + Sync),
) -> Result<Response, ApiError> {
    let (live, latest) = current(store, id, shown).await?;
    let (kind, body, name): (&str, Vec<u8>, String) = match wanted {
        Wanted::Json => (
            "application/vc+ld+json",
            latest.credential.clone().into_bytes(),
            format!("certificate-{}.json", latest.id),
        ),
        Wanted::Png => (
            "image/png",
            state.certificates.qr_png(&latest)?,
            format!("certificate-{}.png", latest.id),
        ),
        Wanted::Pdf => (
            "application/pdf",
            state
                .certificates
                .pdf(&live, &latest, &photo_id_line(store, id).await?)?,
            format!("certificate-{}.pdf", latest.id),
        ),
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The person's photo ID as the PDF prints it: its type and its last four characters.
async fn photo_id_line(store: &dyn Store, id: BeneficiaryRef) -> Result<String, ApiError> {
    let (person, _) = store.beneficiary_account(id).await?;
    Ok(person.photo_id_line())
}

/// The issuer's DID document: its live `Ed25519VerificationKey2018` keys (a verifier resolves a
/// certificate's `verificationMethod` here, or keeps a copy for offline use).
#[utoipa::path(get, path = "/.well-known/did.json", tag = "certificates",
    responses((status = 200, description = "the issuer's DID document", body = Object)))]
async fn did_document(State(state): State<AppState>) -> Response {
    let mut response = Json(state.certificates.did_document()).into_response();
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// `?beneficiary_reference_id=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificateQuery {
    /// The person's 14-digit reference id (one of the token's family).
    #[param(value_type = String, pattern = r"^[1-9][0-9]{13}$", example = "12345678901234")]
    beneficiary_reference_id: Value,
}

async fn family_download(
    auth: &BeneficiaryToken,
    state: &AppState,
    headers: &HeaderMap,
    q: &CertificateQuery,
) -> Result<Response, ApiError> {
    let wanted = Wanted::from_headers(headers);
    let id = reference_id("beneficiary_reference_id", &q.beneficiary_reference_id)?;
    family_certificate(auth, state, id, wanted).await
}

/// A family member's certificate as `wanted` (shared with the web app): another family's id is
/// not found, exactly as an id that does not exist.
pub(crate) async fn family_certificate(
    auth: &BeneficiaryToken,
    state: &AppState,
    id: BeneficiaryRef,
    wanted: Wanted,
) -> Result<Response, ApiError> {
    if !auth.may_act_for(id) {
        return Err(ApiError::not_found("beneficiary"));
    }
    // Another family's id is not found, exactly as an id that does not exist.
    auth.store.beneficiary(&auth.account, id).await?;
    certificate_response(state, auth.store.as_ref(), id, wanted, &|_| true).await
}

/// Download a family member's certificate (token of the public OTP login): the PDF by default,
/// the signed credential with `Accept: application/vc+ld+json` (or `application/json`), the QR
/// code alone with `Accept: image/png`. 401 `Unauthenticated access!` without a token; another
/// family's id answers 404 as an unknown one.
#[utoipa::path(get, path = "/api/v2/registration/certificate/public/download", tag = "certificates", params(CertificateQuery),
    security(("token" = [])),
    responses((status = 200, description = "the certificate: the PDF, the signed credential or the QR code, by `Accept`",
            content((Vec<u8> = "application/pdf"), (Object = "application/vc+ld+json"), (Vec<u8> = "image/png"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn download_public(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CertificateQuery>,
) -> Result<Response, ApiError> {
    family_download(&auth, &state, &headers, &q).await
}

/// The same download for the protected API's token.
#[utoipa::path(get, path = "/api/v2/registration/certificate/download", tag = "certificates", params(CertificateQuery),
    security(("token" = [])),
    responses((status = 200, description = "the certificate: the PDF, the signed credential or the QR code, by `Accept`",
            content((Vec<u8> = "application/pdf"), (Object = "application/vc+ld+json"), (Vec<u8> = "image/png"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn download_protected(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CertificateQuery>,
) -> Result<Response, ApiError> {
    family_download(&auth, &state, &headers, &q).await
}

/// What `verify` says of a certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyReply {
    /// True only for `VALID`.
    valid: bool,
    /// `VALID`, `REVOKED`, `INVALID_SIGNATURE`, `UNKNOWN_KEY` or `MALFORMED`.
    #[schema(example = "VALID")]
    status: VerifyStatus,
    #[serde(rename = "certificateId", skip_serializing_if = "Option::is_none")]
    #[schema(example = "1234567890123")]
    certificate_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dose: Option<u8>,
    #[serde(rename = "totalDoses", skip_serializing_if = "Option::is_none")]
    total_doses: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vaccine: Option<String>,
    /// The day the dose was given, as the credential states it.
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    /// Why, for anything but `VALID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// For `MALFORMED` (answered 400): `VACCIN0008`, as every CoWIN-family error.
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    error_code: Option<&'static str>,
    /// For `MALFORMED`: the reason, as every CoWIN-family error.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A certificate handed to `verify`: its JSON (or `{"qr"}`), its PDF, or a picture of its QR code.
#[derive(Debug)]
pub enum Submission {
    /// `application/json`.
    Json(Value),
    /// `application/pdf`: the certificate's PDF, whose QR code is read.
    Pdf(bytes::Bytes),
    /// `image/png` or `image/jpeg`: a picture of the QR code (a photo of the certificate).
    Image(bytes::Bytes),
}

impl axum::extract::FromRequest<AppState> for Submission {
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let kind = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let limit = state.config.body_limit_bytes;
        let read = |request| crate::http::extract::read_body(request, limit);
        match kind.as_str() {
            "application/pdf" => Ok(Self::Pdf(read(request).await?)),
            "image/png" | "image/jpeg" => Ok(Self::Image(read(request).await?)),
            k if k == "application/json" || k.ends_with("+json") => Ok(Self::Json(
                crate::http::extract::from_json_slice(&read(request).await?)?,
            )),
            _ => Err(ApiError::unsupported_media_type()),
        }
    }
}

/// Checks a submitted certificate: its proof against the issuer's live keys, then the
/// revocation list. The API's `verify` and the web's `/verify` both ask this.
pub(crate) async fn check_submission(
    state: &AppState,
    submission: Submission,
) -> Result<(VerifyStatus, issuer::Verification), ApiError> {
    let issuer = &state.certificates;
    let outcome = match submission {
        Submission::Json(body) => issuer.verify_submission(&body),
        Submission::Pdf(bytes) => {
            issuer.verify_scanned(issuer::cpu_bound(|| sehat_render::read_qr_pdf(&bytes)))
        }
        Submission::Image(bytes) => {
            issuer.verify_scanned(issuer::cpu_bound(|| sehat_render::read_qr_image(&bytes)))
        }
    };
    let mut status = outcome.status;
    if status == VerifyStatus::Valid
        && let Some(id) = outcome.certificate_id.as_deref()
        && revoked(state, id).await?
    {
        status = VerifyStatus::Revoked;
    }
    Ok((status, outcome))
}

/// Verify a certificate: the signed credential itself, `{"qr": "<the QR code's text>"}` as a
/// scanner reads it (DIVOC's zipped payload, or WHO DDCC's `B64:` form), the certificate's PDF
/// (`Content-Type: application/pdf`) or a picture of its QR code (`image/png`, or a photo as
/// `image/jpeg`). The proof is checked against the issuer's live keys, then the revocation
/// list: 200 with the status. Something
/// that is no certificate (`MALFORMED`: not this credential's shape, no proof, an unreadable QR
/// code or PDF) is 400 `VACCIN0008`, with the same fields.
#[utoipa::path(post, path = "/api/v2/certificate/verify", tag = "certificates",
    request_body(content(
        (Object = "application/json"),
        (Vec<u8> = "application/pdf"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/jpeg"))),
    responses((status = 200, body = VerifyReply),
        (status = 400, description = "VACCIN0008: not a certificate (the verify fields with status MALFORMED), or a body that is not JSON", body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn verify_certificate(
    _: PublicCaller,
    State(state): State<AppState>,
    submission: Submission,
) -> Result<Response, ApiError> {
    let (status, outcome) = check_submission(&state, submission).await?;
    let reason = (status != VerifyStatus::Valid).then(|| {
        outcome
            .reason
            .clone()
            .unwrap_or_else(|| status.describe().to_owned())
    });
    let malformed = status == VerifyStatus::Malformed;
    let reply = VerifyReply {
        valid: status == VerifyStatus::Valid,
        error_code: malformed.then_some("VACCIN0008"),
        error: if malformed { reason.clone() } else { None },
        reason,
        status,
        certificate_id: outcome.certificate_id,
        name: outcome.name,
        dose: outcome.dose,
        total_doses: outcome.total_doses,
        vaccine: outcome.vaccine,
        date: outcome.date,
    };
    let code = if malformed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((code, Json(reply)).into_response())
}

/// Whether this deployment revoked the certificate `id` (an id it never issued is not revoked).
async fn revoked(state: &AppState, id: &str) -> Result<bool, ApiError> {
    let Ok(id) = CertificateId::parse(id) else {
        return Ok(false);
    };
    match state.store.certificate(&id).await {
        Ok(c) => Ok(c.revoked_at.is_some()),
        Err(DomainError::NotFound(_)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// DIVOC's revocation check: the signed credential in, 200 when it is revoked, 404 when it is
/// not, 400 when the body names no certificate (matched on `evidence[0].certificateId`).
#[utoipa::path(post, path = "/divoc/api/v1/certificate/revoked", tag = "certificates", request_body = Object,
    responses((status = 200, description = "revoked", body = Object), (status = 404, description = "not revoked", body = Object),
        (status = 400, body = ErrorBody)))]
async fn divoc_revoked(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let id = stated_text(&body, "/evidence/0/certificateId").ok_or_else(|| {
        ApiError::invalid(
            "evidence[0].certificateId",
            "the body must be a certificate with evidence[0].certificateId",
        )
    })?;
    let Ok(certificate) = CertificateId::parse(&id) else {
        return Err(ApiError::invalid(
            "evidence[0].certificateId",
            "is not a certificate id of this issuer",
        ));
    };
    // Matched as DIVOC matches: the certificate id, with the dose and the person it names.
    let stated_dose = body.pointer("/evidence/0/dose").and_then(Value::as_u64);
    let stated_ref = stated_text(&body, "/credentialSubject/refId");
    let is_revoked = match state.store.certificate(&certificate).await {
        Ok(c) => {
            c.revoked_at.is_some()
                && stated_dose.is_none_or(|d| d == u64::from(c.dose))
                && stated_ref
                    .as_deref()
                    .is_none_or(|r| r == c.beneficiary.to_string())
        }
        Err(DomainError::NotFound(_)) => false,
        Err(other) => return Err(other.into()),
    };
    if is_revoked {
        Ok((
            StatusCode::OK,
            Json(serde_json::json!({ "previousCertificateId": id, "revoked": true })),
        )
            .into_response())
    } else {
        Ok((
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "previousCertificateId": id, "revoked": false })),
        )
            .into_response())
    }
}

/// The revocation list: every certificate this issuer revoked, with when, signed with the
/// issuer's current key so an offline verifier can trust a copy.
#[utoipa::path(get, path = "/api/v2/certificate/revocations", tag = "certificates",
    responses((status = 200, description = "the signed revocation list", body = Object)))]
async fn revocation_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let entries = state.store.revocations().await?;
    let document = state
        .certificates
        .revocation_list(&entries, state.clock.now())?;
    let mut response = Json(document).into_response();
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(accept: Option<&str>) -> Wanted {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(
                ACCEPT,
                HeaderValue::from_str(accept).unwrap_or(HeaderValue::from_static("")),
            );
        }
        Wanted::from_headers(&headers)
    }

    #[test]
    fn accept_is_ranked_by_q_with_the_pdf_first_on_a_tie() {
        assert_eq!(wanted(None), Wanted::Pdf);
        assert_eq!(wanted(Some("application/json")), Wanted::Json);
        assert_eq!(wanted(Some("application/vc+ld+json")), Wanted::Json);
        assert_eq!(wanted(Some("image/png")), Wanted::Png);
        // axios's default: JSON and */* at the same q, so the PDF as CoWIN answers.
        assert_eq!(
            wanted(Some("application/json, text/plain, */*")),
            Wanted::Pdf
        );
        assert_eq!(wanted(Some("application/json, */*;q=0.8")), Wanted::Json);
        assert_eq!(wanted(Some("application/pdf;q=0, image/png")), Wanted::Png);
        assert_eq!(wanted(Some("text/html")), Wanted::Pdf);
    }
}
