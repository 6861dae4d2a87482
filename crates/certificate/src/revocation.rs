//! The signed revocation list that offline verifiers download (certificates.md, "Revocation and
//! verification").
//!
//! Format (sehat's own; DIVOC only checks revocation online): a JSON object with `issuer`,
//! `issued` and `revoked` (`[{certificateId, revokedAt}]`) for people to read, and `jws`, a
//! compact JWS (`{"alg":"EdDSA","kid":<verificationMethod>}`, Ed25519) whose payload is that
//! same object without `jws`. Verifiers trust only the signed payload, and refuse a document
//! whose readable fields differ from it. Any JOSE library can check it; no JSON-LD is involved.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::proof::{Error, VerifyError};

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revocation {
    /// `evidence[0].certificateId` of the revoked certificate.
    pub certificate_id: String,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339")]
    pub revoked_at: OffsetDateTime,
}

/// A verified revocation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationList {
    /// The issuer (`did:web:…`).
    pub issuer: String,
    /// When the list was made.
    #[serde(with = "time::serde::rfc3339")]
    pub issued: OffsetDateTime,
    /// The revoked certificates.
    pub revoked: Vec<Revocation>,
}

impl RevocationList {
    /// Whether the certificate with this id is revoked.
    pub fn is_revoked(&self, certificate_id: &str) -> bool {
        self.revoked
            .iter()
            .any(|r| r.certificate_id == certificate_id)
    }
}

/// The signed revocation list of `issuer` listing `entries` (certificate id, revoked at).
pub fn revocation_list(
    issuer: &str,
    entries: &[(String, OffsetDateTime)],
    issued: OffsetDateTime,
    key: &SigningKey,
    verification_method: &str,
) -> Result<Value, Error> {
    let list = RevocationList {
        issuer: issuer.to_owned(),
        issued,
        revoked: entries
            .iter()
            .map(|(certificate_id, revoked_at)| Revocation {
                certificate_id: certificate_id.clone(),
                revoked_at: *revoked_at,
            })
            .collect(),
    };
    let payload = serde_json::to_vec(&list).map_err(|e| Error::Created(e.to_string()))?;
    let header = serde_json::json!({"alg": "EdDSA", "kid": verification_method}).to_string();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(&payload)
    );
    let signature = key.sign(input.as_bytes());
    let mut doc = serde_json::to_value(&list).map_err(|e| Error::Created(e.to_string()))?;
    if let Value::Object(doc) = &mut doc {
        doc.insert(
            "jws".into(),
            Value::String(format!(
                "{input}.{}",
                URL_SAFE_NO_PAD.encode(signature.to_bytes())
            )),
        );
    }
    Ok(doc)
}

/// Verifies a revocation list with the issuer keys that `keys` knows (by the JWS `kid`).
pub fn verify_revocation_list(
    doc: &Value,
    keys: &dyn Fn(&str) -> Option<VerifyingKey>,
) -> Result<RevocationList, VerifyError> {
    let malformed = |reason: &str| VerifyError::Malformed(format!("revocation list: {reason}"));
    let jws = doc
        .get("jws")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no jws"))?;
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("jws is not compact"));
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(header_b64)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or_else(|| malformed("bad jws header"))?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
        return Err(malformed("jws alg is not EdDSA"));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("jws has no kid"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .ok()
        .and_then(|s| Signature::from_slice(&s).ok())
        .ok_or_else(|| malformed("bad jws signature"))?;
    let key = keys(kid).ok_or_else(|| VerifyError::UnknownKey(kid.to_owned()))?;
    key.verify(format!("{header_b64}.{payload_b64}").as_bytes(), &signature)
        .map_err(|_| VerifyError::InvalidSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| malformed("bad jws payload"))?;
    let list: RevocationList =
        serde_json::from_slice(&payload).map_err(|_| malformed("payload is not a list"))?;
    let mut readable = doc.clone();
    if let Value::Object(readable) = &mut readable {
        readable.remove("jws");
    }
    let signed: Value = serde_json::from_slice(&payload).map_err(|_| malformed("payload"))?;
    if readable != signed {
        return Err(malformed("readable fields differ from the signed ones"));
    }
    Ok(list)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_signed_list_verifies_and_an_edited_one_does_not() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key();
        let doc = revocation_list(
            "did:web:sehat.example.org",
            &[("123".into(), datetime!(2026-01-02 03:04:05 UTC))],
            datetime!(2026-01-03 00:00 UTC),
            &key,
            "did:web:sehat.example.org#abcd0123",
        )
        .unwrap();
        let keys = |vm: &str| (vm == "did:web:sehat.example.org#abcd0123").then_some(public);
        let list = verify_revocation_list(&doc, &keys).unwrap();
        assert!(list.is_revoked("123"));
        assert!(!list.is_revoked("124"));

        let mut edited = doc.clone();
        edited["revoked"] = serde_json::json!([]);
        assert!(matches!(
            verify_revocation_list(&edited, &keys),
            Err(VerifyError::Malformed(_))
        ));
        let mut forged = doc.clone();
        let jws = forged["jws"].as_str().unwrap().to_owned();
        let (head, sig) = jws.rsplit_once('.').unwrap();
        let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        sig[0] ^= 1;
        forged["jws"] = Value::String(format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig)));
        assert!(matches!(
            verify_revocation_list(&forged, &keys),
            Err(VerifyError::InvalidSignature)
        ));
        assert!(matches!(
            verify_revocation_list(&doc, &|_: &str| None),
            Err(VerifyError::UnknownKey(_))
        ));
    }
}
