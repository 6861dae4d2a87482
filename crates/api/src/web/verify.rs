//! `/verify`: anyone checks a certificate — by uploading its PDF or a photo of it, by pasting
//! the text a QR scanner read, or with the phone's camera (a frame of the video, sent as a
//! picture). The answer is the API's `verify` ([`crate::certificates::check_submission`]): the
//! proof against the issuer's live keys, then the revocation list, said in plain words with the
//! person's name and dose.

use super::{Caching, Ctx, form_page, page, page_with_status};
use crate::AppState;
use crate::certificates::issuer::Verification;
use crate::certificates::{Submission, VerifyStatus, check_submission};
use crate::error::ApiError;
use crate::http::rate_limit::ClientAddress;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::Form;
use serde::Deserialize;

/// The largest file the page takes: a phone's photo, or a certificate's PDF.
const FILE_LIMIT: usize = 10 * 1024 * 1024;

/// The verify routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/verify", get(verify_page))
        // A GET of a form's address (the language switch on an answer) goes to the form.
        .route("/verify/file", form_page("/verify").post(verify_file))
        .route("/verify/text", form_page("/verify").post(verify_text))
}

#[derive(Template)]
#[template(path = "web/verify/verify.html")]
struct VerifyPage {
    ctx: Ctx,
    title: String,
    verdict: Option<Verdict>,
}

/// What the page says of a certificate.
struct Verdict {
    /// `VALID`, `REVOKED` or `INVALID`.
    key: &'static str,
    /// `valid`, `revoked` or `invalid` (its colour).
    class: &'static str,
    /// The verdict in plain words.
    headline: String,
    /// What it means, or why not.
    explanation: String,
    /// The person's name, when the certificate could be read.
    name: Option<String>,
    /// "Dose 2 of 2 · COVISHIELD · 12 Mar 2026".
    dose: Option<String>,
    /// The certificate's id.
    certificate_id: Option<String>,
}

async fn verify_page(ctx: Ctx) -> Response {
    let title = ctx.t.t("verify-title");
    page(
        &VerifyPage {
            ctx,
            title,
            verdict: None,
        },
        Caching::Private,
    )
}

/// Checks are CPU work that anyone may ask for: they count against the address's public limit,
/// as the API's `verify` does.
fn limited(ctx: &mut Ctx, state: &AppState, from: std::net::IpAddr) -> bool {
    if state.limiter.check(from).is_err() {
        ctx.error = Some(ctx.t.t("error-SEHAT0429"));
        return true;
    }
    false
}

/// The file of the upload form or the camera (`file`): a PDF, PNG or JPEG, told by its bytes.
async fn verify_file(
    mut ctx: Ctx,
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    multipart: Multipart,
) -> Response {
    if limited(&mut ctx, &state, from) {
        return form_with_status(ctx, StatusCode::TOO_MANY_REQUESTS);
    }
    let submission = match read_file(multipart).await {
        Ok(Some(bytes)) if bytes.starts_with(b"%PDF") => Submission::Pdf(bytes),
        Ok(Some(bytes)) => Submission::Image(bytes),
        Ok(None) => return form_again(ctx, "verify-no-file"),
        Err(key) => return form_again(ctx, key),
    };
    answer(ctx, &state, submission).await
}

#[derive(Debug, Deserialize)]
struct TextForm {
    #[serde(default)]
    qr: String,
}

/// The text a QR scanner read off the certificate.
async fn verify_text(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<TextForm>,
) -> Response {
    let text = form.qr.trim();
    if text.is_empty() {
        return form_again(ctx, "verify-no-text");
    }
    answer(
        ctx,
        &state,
        Submission::Json(serde_json::json!({ "qr": text })),
    )
    .await
}

/// The `file` field's bytes, at most [`FILE_LIMIT`]; `None` when no file was chosen; the key
/// of the message otherwise.
async fn read_file(mut multipart: Multipart) -> Result<Option<bytes::Bytes>, &'static str> {
    while let Some(mut field) = multipart.next_field().await.map_err(|_| "verify-no-file")? {
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| "verify-no-file")? {
            if bytes.len() + chunk.len() > FILE_LIMIT {
                return Err("verify-too-large");
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((!bytes.is_empty()).then(|| bytes.into()));
    }
    Ok(None)
}

/// The form again, with what to do.
fn form_again(mut ctx: Ctx, key: &str) -> Response {
    ctx.error = Some(ctx.t.t(key));
    form_with_status(ctx, StatusCode::BAD_REQUEST)
}

/// The form, with the message `ctx` holds.
fn form_with_status(ctx: Ctx, status: StatusCode) -> Response {
    let title = ctx.t.t("verify-title");
    page_with_status(
        status,
        &VerifyPage {
            ctx,
            title,
            verdict: None,
        },
        Caching::Private,
    )
}

async fn answer(ctx: Ctx, state: &AppState, submission: Submission) -> Response {
    match check_submission(state, submission).await {
        Ok((status, outcome)) => {
            let verdict = verdict(&ctx, status, outcome);
            let title = ctx.t.t("verify-title");
            page(
                &VerifyPage {
                    ctx,
                    title,
                    verdict: Some(verdict),
                },
                Caching::Private,
            )
        }
        Err(e) => failure(ctx, &e),
    }
}

fn failure(mut ctx: Ctx, e: &ApiError) -> Response {
    ctx.error = Some(super::error_message(&ctx, e));
    let title = ctx.t.t("verify-title");
    page_with_status(
        e.status(),
        &VerifyPage {
            ctx,
            title,
            verdict: None,
        },
        Caching::Private,
    )
}

fn verdict(ctx: &Ctx, status: VerifyStatus, outcome: Verification) -> Verdict {
    let t = &ctx.t;
    // An unreadable picture is not called a fake: it is INVALID as an answer, but the page
    // says that nothing could be read, and how to try again.
    let (key, class, headline, why) = match status {
        VerifyStatus::Valid => ("VALID", "valid", "valid", "verify-valid-text"),
        VerifyStatus::Revoked => ("REVOKED", "revoked", "revoked", "verify-revoked-text"),
        VerifyStatus::InvalidSignature => {
            ("INVALID", "invalid", "invalid", "verify-invalid-changed")
        }
        VerifyStatus::UnknownKey => ("INVALID", "invalid", "invalid", "verify-invalid-key"),
        VerifyStatus::Malformed => (
            "INVALID",
            "invalid",
            "unreadable",
            "verify-invalid-malformed",
        ),
    };
    // Only a genuine signature's facts are shown: a forged name beside "INVALID" could still
    // be read as the person's.
    let readable = matches!(status, VerifyStatus::Valid | VerifyStatus::Revoked);
    let dose = (readable && outcome.dose.is_some()).then(|| {
        let date = outcome
            .date
            .as_deref()
            .and_then(|d| d.get(..10))
            .and_then(|d| {
                time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
            })
            .map_or_else(|| outcome.date.clone().unwrap_or_default(), |d| t.date(d));
        t.ta(
            "verify-dose-line",
            &[
                ("dose", outcome.dose.unwrap_or(0).to_string()),
                ("total", outcome.total_doses.unwrap_or(0).to_string()),
                ("vaccine", outcome.vaccine.clone().unwrap_or_default()),
                ("date", date),
            ],
        )
    });
    Verdict {
        key,
        class,
        headline: t.t(&format!("verify-headline-{headline}")),
        explanation: t.t(why),
        name: outcome.name.filter(|_| readable),
        dose,
        certificate_id: outcome.certificate_id.filter(|_| readable),
    }
}
