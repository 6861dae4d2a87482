//! The certificate PDF's content, read from the signed credentials themselves (what the PDF says
//! is exactly what was signed): the person from the latest, a line per dose, the QR of the
//! latest. `sehat-render` draws it.

use crate::error::ApiError;
use sehat_domain::DomainError;
use sehat_domain::vaccination::StoredCertificate;
use serde_json::Value;

/// Text at a JSON pointer of a credential (numbers as text), or empty.
fn text(doc: &Value, pointer: &str) -> String {
    super::stated_text(doc, pointer).unwrap_or_default()
}

/// `2026-03-02T04:00:00Z` as `02 Mar 2026`.
fn day(stamp: &str) -> String {
    let date = stamp.get(..10).unwrap_or(stamp);
    time::Date::parse(
        date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
    .and_then(|d| {
        d.format(time::macros::format_description!(
            "[day] [month repr:short] [year]"
        ))
        .ok()
    })
    .unwrap_or_else(|| date.to_owned())
}

/// A facility's address as one line.
fn address(doc: &Value, base: &str) -> String {
    [
        "streetAddress",
        "city",
        "district",
        "addressRegion",
        "postalCode",
    ]
    .iter()
    .map(|k| text(doc, &format!("{base}/{k}")))
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

/// The PDF of `live` (a person's current certificates), with `latest`'s QR code.
pub(crate) fn certificate_pdf(
    live: &[StoredCertificate],
    latest: &StoredCertificate,
    qr_payload: &[u8],
    id_line: &str,
    public_url: &str,
) -> Result<Vec<u8>, ApiError> {
    let parse = |c: &StoredCertificate| -> Result<Value, ApiError> {
        serde_json::from_str(&c.credential)
            .map_err(|e| ApiError::from(DomainError::Internal(e.into())))
    };
    let top = parse(latest)?;
    let mut ordered: Vec<&StoredCertificate> = live.iter().collect();
    ordered.sort_by_key(|c| c.dose);
    let docs: Vec<Value> = ordered.iter().map(|c| parse(c)).collect::<Result<_, _>>()?;
    struct Line {
        dose: String,
        vaccine: String,
        manufacturer: String,
        batch: String,
        date: String,
        by: String,
        centre: String,
        centre_address: String,
    }
    let lines: Vec<Line> = docs
        .iter()
        .map(|d| Line {
            dose: format!(
                "Dose {} of {}",
                text(d, "/evidence/0/dose"),
                text(d, "/evidence/0/totalDoses")
            ),
            vaccine: text(d, "/evidence/0/vaccine"),
            manufacturer: text(d, "/evidence/0/manufacturer"),
            batch: text(d, "/evidence/0/batch"),
            // The day in India, as recorded (the instant in `date` is UTC).
            date: day(&{
                let start = text(d, "/evidence/0/effectiveStart");
                if start.is_empty() {
                    text(d, "/evidence/0/date")
                } else {
                    start
                }
            }),
            by: text(d, "/evidence/0/verifier/name"),
            centre: text(d, "/evidence/0/facility/name"),
            centre_address: address(d, "/evidence/0/facility/address"),
        })
        .collect();
    let doses: Vec<sehat_render::DoseLine<'_>> = lines
        .iter()
        .map(|l| sehat_render::DoseLine {
            dose: &l.dose,
            vaccine: &l.vaccine,
            manufacturer: &l.manufacturer,
            batch: &l.batch,
            date: &l.date,
            vaccinated_by: &l.by,
            centre: &l.centre,
            centre_address: &l.centre_address,
        })
        .collect();
    let reference_id = text(&top, "/credentialSubject/refId");
    let certificate_id = text(&top, "/evidence/0/certificateId");
    let issued_on = day(&text(&top, "/issuanceDate"));
    let name = text(&top, "/credentialSubject/name");
    let age = text(&top, "/credentialSubject/age");
    let gender = text(&top, "/credentialSubject/gender");
    let verify = format!(
        "Scan the QR code with a DIVOC-compatible verifier, or send it to {public_url}/api/v2/certificate/verify."
    );
    let footer = "The QR code holds this certificate signed by its issuer; a copy changed in any way does not verify.";
    let certificate = sehat_render::Certificate {
        title: "Certificate for COVID-19 Vaccination",
        issuer: "sehat - public health services",
        certificate_id: &certificate_id,
        issued_on: &issued_on,
        beneficiary: sehat_render::Person {
            name: &name,
            age: &age,
            gender: &gender,
            id_label: "ID Verified",
            masked_id: id_line,
            reference_id: &reference_id,
        },
        doses: &doses,
        qr_payload,
        verify: &verify,
        footer,
    };
    sehat_render::certificate_pdf(&certificate)
        .map_err(|e| ApiError::from(DomainError::Internal(e.to_string().into())))
}
