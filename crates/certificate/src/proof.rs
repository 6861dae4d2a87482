//! Ed25519Signature2018 proofs with jsonld-signatures v6 semantics (certificates.md, "The
//! proof"): a detached JWS over the hashes of the canonical proof options and credential.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::canon::{CanonError, canonical_nquads};
use crate::contexts::SECURITY_V2;

/// The proof type sehat signs and verifies.
pub const PROOF_TYPE: &str = "Ed25519Signature2018";
/// The JWS header of Ed25519Signature2018, as jsonld-signatures writes it (key order matters:
/// the header's base64url is part of what is signed).
const JWS_HEADER: &str = r#"{"alg":"EdDSA","b64":false,"crit":["b64"]}"#;

/// Why a credential could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The credential already carries a proof.
    #[error("the credential already has a proof")]
    AlreadySigned,
    /// The credential has no canonical form (unknown context, undefined term, …).
    #[error("the credential has no canonical form: {0}")]
    Canonical(#[from] CanonError),
    /// The `created` time cannot be written.
    #[error("proof time: {0}")]
    Created(String),
}

/// Why a document is not a valid signed vaccination credential.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not a credential of this shape: no proof, another proof type, relative ids, unknown
    /// context, a term the context does not define, …
    #[error("malformed certificate: {0}")]
    Malformed(String),
    /// The proof names a verification method that the caller does not know (or has retired).
    #[error("unknown verification method {0}")]
    UnknownKey(String),
    /// The signature does not match the document.
    #[error("invalid signature")]
    InvalidSignature,
}

fn malformed(reason: impl Into<String>) -> VerifyError {
    VerifyError::Malformed(reason.into())
}

/// Adds an `Ed25519Signature2018` proof to `credential`, signed with `key`.
///
/// `created` is written with seconds precision in UTC, as jsonld-signatures does.
pub fn sign(
    credential: &Value,
    key: &SigningKey,
    verification_method: &str,
    created: OffsetDateTime,
) -> Result<Value, Error> {
    let Some(object) = credential.as_object() else {
        return Err(Error::Canonical(CanonError::NotAnObject));
    };
    if object.contains_key("proof") {
        return Err(Error::AlreadySigned);
    }
    let created = created
        .to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .map_err(|e| Error::Created(e.to_string()))?;
    let mut proof = Map::new();
    proof.insert("type".into(), json!(PROOF_TYPE));
    proof.insert("created".into(), json!(created));
    proof.insert("verificationMethod".into(), json!(verification_method));
    proof.insert("proofPurpose".into(), json!("assertionMethod"));
    let proof_hash = signed_proof_hash(&proof)?;
    let signing_input = signing_input_with(proof_hash, credential)?;
    let signature = key.sign(&signing_input);
    proof.insert(
        "jws".into(),
        json!(format!(
            "{}..{}",
            URL_SAFE_NO_PAD.encode(JWS_HEADER),
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )),
    );
    let mut signed = object.clone();
    signed.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(signed))
}

/// `SHA-256(c14n(proof options))`: the proof without its `jws`, in the security v2 context.
fn proof_hash(proof: &Map<String, Value>) -> Result<[u8; 32], CanonError> {
    let mut options = proof.clone();
    options.remove("jws");
    options.insert("@context".into(), json!(SECURITY_V2));
    Ok(Sha256::digest(canonical_nquads(&Value::Object(options))?.as_bytes()).into())
}

/// The proof options' hash when signing: the same for every certificate one key signs within
/// a second (`created` has seconds precision), so a signer issuing hundreds a second
/// canonicalises it once per second. Verification computes it every time.
fn signed_proof_hash(proof: &Map<String, Value>) -> Result<[u8; 32], CanonError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static RECENT: OnceLock<Mutex<HashMap<String, [u8; 32]>>> = OnceLock::new();
    let key = serde_json::to_string(proof).unwrap_or_default();
    let recent = RECENT.get_or_init(Mutex::default);
    if let Some(hash) = recent.lock().ok().and_then(|m| m.get(&key).copied()) {
        return Ok(hash);
    }
    let hash = proof_hash(proof)?;
    if let Ok(mut m) = recent.lock() {
        if m.len() >= 64 {
            m.clear();
        }
        m.insert(key, hash);
    }
    Ok(hash)
}

/// `base64url(header) + "." + SHA-256(c14n(proof options)) ‖ SHA-256(c14n(credential))`.
fn signing_input(proof: &Map<String, Value>, credential: &Value) -> Result<Vec<u8>, CanonError> {
    signing_input_with(proof_hash(proof)?, credential)
}

fn signing_input_with(proof_hash: [u8; 32], credential: &Value) -> Result<Vec<u8>, CanonError> {
    let document_hash = Sha256::digest(canonical_nquads(credential)?.as_bytes());
    let mut input = URL_SAFE_NO_PAD.encode(JWS_HEADER).into_bytes();
    input.push(b'.');
    input.extend_from_slice(&proof_hash);
    input.extend_from_slice(&document_hash);
    Ok(input)
}

/// What a verified certificate says, for display by a verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `evidence[0].certificateId` (DIVOC's own test credentials lack it).
    pub certificate_id: Option<String>,
    /// `credentialSubject.name`.
    pub name: String,
    /// `credentialSubject.refId`: the beneficiary reference id.
    pub ref_id: String,
    /// `evidence[0].dose`, when it is a number.
    pub dose: Option<u8>,
    /// `evidence[0].totalDoses`, when it is a number.
    pub total_doses: Option<u8>,
    /// `evidence[0].vaccine`.
    pub vaccine: String,
    /// `evidence[0].date`: the date-time of the dose.
    pub date: String,
    /// The proof's `verificationMethod`, which named the key that signed.
    pub verification_method: String,
}

/// Verifies a signed vaccination credential against the issuer keys that `keys` knows.
pub fn verify(
    doc: &Value,
    keys: &dyn Fn(&str) -> Option<VerifyingKey>,
) -> Result<Verified, VerifyError> {
    let object = doc
        .as_object()
        .ok_or_else(|| malformed("not a JSON object"))?;
    check_shape(object)?;
    let proof = match object.get("proof") {
        Some(Value::Object(proof)) => proof,
        Some(_) => return Err(malformed("proof is not one object")),
        None => return Err(malformed("no proof")),
    };
    if proof.get("type").and_then(Value::as_str) != Some(PROOF_TYPE) {
        return Err(malformed(format!("proof type is not {PROOF_TYPE}")));
    }
    if proof.get("proofPurpose").and_then(Value::as_str) != Some("assertionMethod") {
        return Err(malformed("proof purpose is not assertionMethod"));
    }
    let verification_method = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("proof has no verificationMethod"))?;
    let jws = proof
        .get("jws")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("proof has no jws"))?;
    let signature = detached_signature(jws)?;
    let key = keys(verification_method)
        .ok_or_else(|| VerifyError::UnknownKey(verification_method.to_owned()))?;
    let mut credential = object.clone();
    credential.remove("proof");
    let input =
        signing_input(proof, &Value::Object(credential)).map_err(|e| malformed(e.to_string()))?;
    key.verify(&input, &signature)
        .map_err(|_| VerifyError::InvalidSignature)?;
    Ok(summary(object, verification_method))
}

fn detached_signature(jws: &str) -> Result<Signature, VerifyError> {
    let (header, signature) = jws
        .split_once("..")
        .ok_or_else(|| malformed("jws is not a detached JWS"))?;
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| malformed("jws header is not base64url"))?;
    let header: Value =
        serde_json::from_slice(&header).map_err(|_| malformed("jws header is not JSON"))?;
    if header != json!({"alg": "EdDSA", "b64": false, "crit": ["b64"]}) {
        return Err(malformed("jws header is not EdDSA with b64 false"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| malformed("jws signature is not base64url"))?;
    Signature::from_slice(&bytes).map_err(|_| malformed("jws signature is not 64 bytes"))
}

/// The structural rules checked before any cryptography: a vaccination credential whose
/// subject, evidence and issuer are named by absolute IRIs. A relative id makes JSON-LD drop
/// the node's statements from what is signed, so an edited name would still verify
/// (certificates.md, "The credential").
fn check_shape(object: &Map<String, Value>) -> Result<(), VerifyError> {
    let types = object.get("type").and_then(Value::as_array);
    let is_vaccination = types.is_some_and(|types| {
        types.iter().any(|t| t == "VerifiableCredential")
            && types.iter().any(|t| t == "ProofOfVaccinationCredential")
    });
    if !is_vaccination {
        return Err(malformed("not a ProofOfVaccinationCredential"));
    }
    let subject = object
        .get("credentialSubject")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("credentialSubject is not one object"))?;
    absolute_id(subject.get("id"), "credentialSubject.id")?;
    let evidence = object
        .get("evidence")
        .and_then(Value::as_array)
        .filter(|evidence| !evidence.is_empty())
        .ok_or_else(|| malformed("evidence is not a non-empty list"))?;
    for (i, item) in evidence.iter().enumerate() {
        let item = item
            .as_object()
            .ok_or_else(|| malformed(format!("evidence[{i}] is not an object")))?;
        absolute_id(item.get("id"), &format!("evidence[{i}].id"))?;
    }
    match object.get("issuer") {
        Some(Value::Object(issuer)) => absolute_id(issuer.get("id"), "issuer.id"),
        issuer => absolute_id(issuer, "issuer"),
    }
}

fn absolute_id(id: Option<&Value>, field: &str) -> Result<(), VerifyError> {
    let id = id
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(format!("{field} is missing")))?;
    if is_absolute_iri(id) {
        Ok(())
    } else {
        Err(malformed(format!("{field} is not an absolute IRI")))
    }
}

/// An absolute IRI: a scheme (letter, then letters, digits, `+`, `-`, `.`), a colon, and the
/// rest an IRI.
pub(crate) fn is_absolute_iri(id: &str) -> bool {
    json_ld::iref::Iri::new(id).is_ok()
}

fn summary(object: &Map<String, Value>, verification_method: &str) -> Verified {
    let subject = object.get("credentialSubject");
    let evidence = object
        .get("evidence")
        .and_then(Value::as_array)
        .and_then(|e| e.first());
    let text = |node: Option<&Value>, key: &str| {
        node.and_then(|n| n.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let number = |key: &str| {
        evidence
            .and_then(|e| e.get(key))
            .and_then(Value::as_u64)
            .and_then(|n| u8::try_from(n).ok())
    };
    Verified {
        certificate_id: evidence
            .and_then(|e| e.get("certificateId"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        name: text(subject, "name"),
        ref_id: text(subject, "refId"),
        dose: number("dose"),
        total_doses: number("totalDoses"),
        vaccine: text(evidence, "vaccine"),
        date: text(evidence, "date"),
        verification_method: verification_method.to_owned(),
    }
}
