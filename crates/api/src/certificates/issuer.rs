//! The certificate issuer: a dose record's facts as DIVOC's credential, signed with the current
//! key of the issuer's key ring (`did:web` of the public host); verification of a credential or
//! a QR code's text against the ring's live keys; the QR payload and the PDF of a person's
//! certificates. The signed JSON is stored as issued: the PDF and the QR are drawn from it.

use crate::error::ApiError;
use sehat_certificate::{KeyRing, VaccinationFacts};
use sehat_domain::DomainError;
use sehat_domain::vaccination::{
    CertificateFacts, CertificateId, CertificateSigner, StoredCertificate,
};
use serde::Serialize;
use serde_json::Value;
use std::sync::RwLock;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Runs CPU-bound work (a signature, a canonical form, a PDF: milliseconds each) without
/// holding up the other requests of an async worker: on a multi-threaded runtime the worker
/// hands its other tasks on while this runs; elsewhere (tests) it simply runs.
pub(crate) fn cpu_bound<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// What verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyStatus {
    /// Signed by a live key of this issuer, and not revoked.
    Valid,
    /// Signed, but revoked (a correction replaced it).
    Revoked,
    /// The proof does not match the document: it was changed after signing.
    InvalidSignature,
    /// Signed with a key this issuer does not hold (or has retired).
    UnknownKey,
    /// Not a certificate: not JSON-LD of this shape, no proof, or an unreadable QR.
    #[default]
    Malformed,
}

impl VerifyStatus {
    /// A sentence for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Valid => "the certificate is valid",
            Self::Revoked => "the certificate was revoked and replaced by a corrected one",
            Self::InvalidSignature => "the certificate was changed after it was signed",
            Self::UnknownKey => "the certificate was not signed by a key of this issuer",
            Self::Malformed => "this is not a vaccination certificate",
        }
    }
}

/// What a verification says, before the revocation list is consulted.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// The status (never `Revoked` here).
    pub status: VerifyStatus,
    /// Why, when not valid.
    pub reason: Option<String>,
    /// What the credential states (when it could be read).
    pub certificate_id: Option<String>,
    /// The person's name.
    pub name: Option<String>,
    /// The dose.
    pub dose: Option<u8>,
    /// Doses in the series.
    pub total_doses: Option<u8>,
    /// The vaccine.
    pub vaccine: Option<String>,
    /// The day given.
    pub date: Option<String>,
}

/// Signs and checks certificates with a key ring, as the issuer `did:web` of the public host.
pub struct Issuer {
    ring: RwLock<KeyRing>,
    did: String,
    public_url: String,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("did", &self.did)
            .finish_non_exhaustive()
    }
}

/// The host (and port) of a URL, for `did:web`.
fn host_of(public_url: &str) -> &str {
    let rest = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

impl Issuer {
    /// The issuer of `public_url` signing with `ring`.
    pub fn new(ring: KeyRing, public_url: &str) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Self {
            did: sehat_certificate::did_web(host_of(&public_url)),
            ring: RwLock::new(ring),
            public_url,
        }
    }

    /// An issuer with a key made for this process alone (tests, and a state not yet given the
    /// deployment's keys).
    pub fn ephemeral(public_url: &str) -> Self {
        Self::new(KeyRing::ephemeral(), public_url)
    }

    /// The issuer's DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    fn ring(&self) -> Result<std::sync::RwLockReadGuard<'_, KeyRing>, DomainError> {
        self.ring
            .read()
            .map_err(|_| DomainError::Internal("certificate key ring lock poisoned".into()))
    }

    /// The DID document: the ring's live verification keys.
    pub fn did_document(&self) -> Value {
        match self.ring() {
            Ok(ring) => sehat_certificate::did_document(&self.did, &ring),
            Err(_) => Value::Null,
        }
    }

    /// Checks a submission to `verify`: a credential, or `{"qr": text}`.
    pub fn verify_submission(&self, body: &Value) -> Verification {
        let document = match body.get("qr").and_then(Value::as_str) {
            Some(text) if body.get("proof").is_none() => {
                match sehat_certificate::read_qr_payload(text) {
                    Ok(doc) => doc,
                    Err(e) => {
                        return Verification {
                            status: VerifyStatus::Malformed,
                            reason: Some(format!("the QR code holds no certificate: {e}")),
                            ..Verification::default()
                        };
                    }
                }
            }
            _ => body.clone(),
        };
        self.verify_document(&document)
    }

    /// Checks what a QR reader decoded (from a PDF page or a picture).
    pub fn verify_scanned(
        &self,
        decoded: Result<Vec<u8>, sehat_render::RenderError>,
    ) -> Verification {
        match decoded {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.verify_submission(&serde_json::json!({ "qr": text }))
            }
            Err(e) => Verification {
                reason: Some(format!("no readable QR code: {e}")),
                ..Verification::default()
            },
        }
    }

    /// Checks a credential's proof against the ring's live keys.
    pub fn verify_document(&self, document: &Value) -> Verification {
        cpu_bound(|| self.verify_now(document))
    }

    fn verify_now(&self, document: &Value) -> Verification {
        let ring = match self.ring() {
            Ok(ring) => ring,
            Err(_) => return Verification::default(),
        };
        let number = |pointer: &str| {
            document
                .pointer(pointer)
                .and_then(Value::as_u64)
                .and_then(|n| u8::try_from(n).ok())
        };
        let text = |pointer: &str| super::stated_text(document, pointer);
        let mut outcome = Verification {
            certificate_id: text("/evidence/0/certificateId"),
            name: text("/credentialSubject/name"),
            dose: number("/evidence/0/dose"),
            total_doses: number("/evidence/0/totalDoses"),
            vaccine: text("/evidence/0/vaccine"),
            date: text("/evidence/0/date"),
            ..Verification::default()
        };
        let result =
            sehat_certificate::verify(document, &|method: &str| ring.verifying_key(method));
        match result {
            Ok(_) => outcome.status = VerifyStatus::Valid,
            Err(sehat_certificate::VerifyError::UnknownKey(_)) => {
                outcome.status = VerifyStatus::UnknownKey;
            }
            Err(sehat_certificate::VerifyError::InvalidSignature) => {
                outcome.status = VerifyStatus::InvalidSignature;
            }
            Err(e) => {
                outcome.status = VerifyStatus::Malformed;
                outcome.reason = Some(e.to_string());
            }
        }
        outcome
    }

    /// The QR payload of a stored certificate: DIVOC's zipped `certificate.json`.
    pub fn qr_payload(&self, certificate: &StoredCertificate) -> Result<Vec<u8>, ApiError> {
        let signed: Value = serde_json::from_str(&certificate.credential)
            .map_err(|e| DomainError::Internal(e.into()))?;
        sehat_certificate::qr_payload(&signed)
            .map_err(|e| ApiError::from(DomainError::Internal(e.to_string().into())))
    }

    /// The QR code alone, as a PNG.
    pub fn qr_png(&self, certificate: &StoredCertificate) -> Result<Vec<u8>, ApiError> {
        let payload = self.qr_payload(certificate)?;
        cpu_bound(|| sehat_render::qr_png(&payload, 4))
            .map_err(|e| ApiError::from(DomainError::Internal(e.to_string().into())))
    }

    /// The PDF of a person's current certificates: every dose, the QR of `latest`, and the
    /// person's photo ID masked (`id_line`).
    pub fn pdf(
        &self,
        live: &[StoredCertificate],
        latest: &StoredCertificate,
        id_line: &str,
    ) -> Result<Vec<u8>, ApiError> {
        let payload = self.qr_payload(latest)?;
        cpu_bound(|| {
            super::document::certificate_pdf(live, latest, &payload, id_line, &self.public_url)
        })
    }

    /// The revocation list, signed with the current key.
    pub fn revocation_list(
        &self,
        entries: &[(CertificateId, i64)],
        now: OffsetDateTime,
    ) -> Result<Value, ApiError> {
        let ring = self.ring()?;
        let listed: Vec<(String, OffsetDateTime)> = entries
            .iter()
            .map(|(id, at)| (id.to_string(), sehat_domain::clock::from_millis(*at)))
            .collect();
        let (key_id, key) = ring.signer();
        sehat_certificate::revocation_list(
            &self.did,
            &listed,
            now,
            key,
            &format!("{}#{key_id}", self.did),
        )
        .map_err(|e| ApiError::from(DomainError::Internal(e.to_string().into())))
    }

    /// The facts as DIVOC's credential fields.
    fn facts(&self, facts: &CertificateFacts) -> VaccinationFacts {
        let b = &facts.beneficiary;
        let c = &facts.center;
        // Milliseconds, as DIVOC's certificates write instants.
        let rfc = |at: OffsetDateTime| {
            at.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .unwrap_or_default()
        };
        let iso =
            |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
        let given = facts.given_at.to_offset(time::UtcOffset::UTC);
        let effective_until = facts
            .dose
            .date
            .replace_year(facts.dose.date.year() + 1)
            .unwrap_or(facts.dose.date);
        VaccinationFacts {
            certificate_id: facts.certificate_id.to_string(),
            ref_id: b.reference_id.to_string(),
            name: b.name.clone(),
            gender: b.gender.name().to_owned(),
            age: (facts.issued_at.year() - b.birth_year).max(0).to_string(),
            dob: None,
            nationality: "Indian".to_owned(),
            address: sehat_certificate::Address {
                street_address: b.address.clone(),
                street_address2: b.locality.as_ref().map(|l| l.1.clone()).unwrap_or_default(),
                district: b.district.as_ref().map(|d| d.1.clone()).unwrap_or_default(),
                city: b.block.as_ref().map(|d| d.1.clone()).unwrap_or_default(),
                address_region: b.state.as_ref().map(|s| s.1.clone()).unwrap_or_default(),
                address_country: "IN".to_owned(),
                postal_code: b.pincode.map(|p| p.to_string()).unwrap_or_default(),
            },
            vaccine: facts.vaccine_name.clone(),
            manufacturer: facts.dose.manufacturer.clone(),
            batch: facts.dose.batch.to_string(),
            dose: facts.dose.dose,
            total_doses: facts.dose.total_doses,
            date: rfc(given),
            effective_start: iso(facts.dose.date),
            effective_until: iso(effective_until),
            vaccinator_name: facts.vaccinator_name.clone(),
            facility_name: c.name.clone(),
            facility_address: sehat_certificate::Address {
                street_address: c.address.clone(),
                street_address2: String::new(),
                district: c.district_name.clone(),
                city: c.block_name.clone().unwrap_or_default(),
                address_region: c.state_name.clone(),
                address_country: "IN".to_owned(),
                postal_code: c.pincode.to_string(),
            },
            icd11_code: None,
            prophylaxis: None,
            issuance_date: rfc(facts.issued_at.to_offset(time::UtcOffset::UTC)),
            info_url: format!("{}/", self.public_url),
            feedback_url: format!("{}/", self.public_url),
            base_url: self.public_url.clone(),
        }
    }
}

impl CertificateSigner for Issuer {
    fn sign(&self, facts: &CertificateFacts) -> Result<String, DomainError> {
        cpu_bound(|| self.sign_now(facts))
    }
}

impl Issuer {
    fn sign_now(&self, facts: &CertificateFacts) -> Result<String, DomainError> {
        let unsigned = sehat_certificate::credential(&self.facts(facts), &self.did);
        let ring = self.ring()?;
        let (key_id, key) = ring.signer();
        let method = format!("{}#{key_id}", self.did);
        let signed = sehat_certificate::sign(&unsigned, key, &method, facts.issued_at)
            .map_err(|e| DomainError::Internal(e.to_string().into()))?;
        serde_json::to_string(&signed).map_err(|e| DomainError::Internal(e.into()))
    }
}
