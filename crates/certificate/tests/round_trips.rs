//! Sign, verify, rotate, retire, QR and canonical-form round trips through the public API.

#![allow(clippy::unwrap_used)]

use sehat_certificate::canon::canonical_nquads;
use sehat_certificate::{
    KeyRing, VerifyError, credential, did_document, did_web, qr_payload, read_qr_payload, sign,
    verify,
};
use sha2::{Digest as _, Sha256};
use time::macros::datetime;

mod common;

const DID: &str = "did:web:sehat.example.org";

fn method(id: &str) -> String {
    format!("{DID}#{id}")
}

#[test]
fn a_signed_certificate_verifies_and_says_what_it_certifies() {
    let dir = tempfile::tempdir().unwrap();
    let ring = KeyRing::open_or_create(dir.path()).unwrap();
    let (id, key) = ring.signer();
    let signed = sign(
        &credential(&common::facts(), DID),
        key,
        &method(id),
        datetime!(2026-03-02 08:20:00.75 UTC),
    )
    .unwrap();
    assert_eq!(signed["proof"]["created"], "2026-03-02T08:20:00Z");
    let verified = verify(&signed, &|vm| ring.verifying_key(vm)).unwrap();
    assert_eq!(verified.certificate_id.as_deref(), Some("900000002"));
    assert_eq!(verified.name, "Ravi Shankar");
    assert_eq!(verified.ref_id, "98765432109876");
    assert_eq!((verified.dose, verified.total_doses), (Some(1), Some(2)));
    assert_eq!(verified.vaccine, "COVAXIN");
    assert_eq!(verified.date, "2026-03-02T08:15:00Z");
    assert_eq!(verified.verification_method, method(id));
}

#[test]
fn after_rotation_old_certificates_verify_until_their_key_is_retired() {
    let dir = tempfile::tempdir().unwrap();
    let mut ring = KeyRing::open_or_create(dir.path()).unwrap();
    let (old_id, old_key) = ring.signer();
    let old_id = old_id.to_owned();
    let old = sign(
        &credential(&common::facts(), DID),
        old_key,
        &method(&old_id),
        datetime!(2026-03-02 08:20 UTC),
    )
    .unwrap();
    let new = ring.rotate().unwrap();
    assert_ne!(new.id, old_id);
    let (new_id, new_key) = ring.signer();
    let fresh = sign(
        &credential(&common::facts_v2(), DID),
        new_key,
        &method(new_id),
        datetime!(2026-03-03 08:20 UTC),
    )
    .unwrap();
    assert!(verify(&old, &|vm| ring.verifying_key(vm)).is_ok());
    assert!(verify(&fresh, &|vm| ring.verifying_key(vm)).is_ok());
    let doc = did_document(DID, &ring);
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 2);

    ring.retire(&old_id).unwrap();
    let reopened = KeyRing::open_or_create(dir.path()).unwrap();
    assert!(matches!(
        verify(&old, &|vm| reopened.verifying_key(vm)),
        Err(VerifyError::UnknownKey(_))
    ));
    assert!(verify(&fresh, &|vm| reopened.verifying_key(vm)).is_ok());
    assert_eq!(
        did_document(DID, &reopened)["assertionMethod"],
        serde_json::json!([method(&new.id)])
    );
}

#[test]
fn a_certificate_survives_the_qr_payload() {
    let dir = tempfile::tempdir().unwrap();
    let ring = KeyRing::open_or_create(dir.path()).unwrap();
    let (id, key) = ring.signer();
    let signed = sign(
        &credential(&common::facts_v2(), DID),
        key,
        &method(id),
        datetime!(2026-03-02 08:20 UTC),
    )
    .unwrap();
    let payload = qr_payload(&signed).unwrap();
    let text = String::from_utf8(payload).unwrap();
    let read = read_qr_payload(&text).unwrap();
    assert_eq!(read, signed);
    assert!(verify(&read, &|vm| ring.verifying_key(vm)).is_ok());
}

#[test]
fn relative_subject_or_evidence_ids_are_refused_even_when_signed() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let public = key.verifying_key();
    for (pointer, relative) in [
        ("/credentialSubject/id", "872550100V"),
        ("/evidence/0/id", "vaccine/900000002"),
        ("/issuer", "sehat"),
    ] {
        let mut unsigned = credential(&common::facts(), DID);
        *unsigned.pointer_mut(pointer).unwrap() = relative.into();
        let signed = sign(&unsigned, &key, "k", datetime!(2026-03-02 08:20 UTC)).unwrap();
        let result = verify(&signed, &|_| Some(public));
        assert!(
            matches!(result, Err(VerifyError::Malformed(_))),
            "{pointer}: {result:?}"
        );
    }
}

#[test]
fn documents_that_are_not_signed_certificates_are_malformed() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let public = key.verifying_key();
    let keys = |_: &str| Some(public);
    let unsigned = credential(&common::facts(), DID);
    assert!(matches!(
        verify(&unsigned, &keys),
        Err(VerifyError::Malformed(_))
    ));
    let signed = sign(&unsigned, &key, "k", datetime!(2026-03-02 08:20 UTC)).unwrap();
    let mut rsa = signed.clone();
    rsa["proof"]["type"] = "RsaSignature2018".into();
    assert!(matches!(
        verify(&rsa, &keys),
        Err(VerifyError::Malformed(_))
    ));
    let mut other_context = signed;
    other_context["@context"][1] = "https://example.org/vaccination/v1".into();
    assert!(matches!(
        verify(&other_context, &keys),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(
        verify(&serde_json::json!([1]), &keys),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn the_canonical_form_of_a_fixed_credential_does_not_change() {
    // Pinned: a change here means certificates signed before it no longer verify.
    let nquads = canonical_nquads(&credential(&common::facts(), DID)).unwrap();
    assert_eq!(nquads.lines().count(), 45);
    assert!(nquads.contains(
        "<did:web:sehat.example.org:98765432109876> <https://schema.org/name> \"Ravi Shankar\" .\n"
    ));
    assert!(nquads.contains(
        "<https://sehat.example.org/vaccine/900000002> <https://schema.org/doseValue> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"
    ));
    let digest = hex::encode(Sha256::digest(nquads.as_bytes()));
    // The same credential, signed by sehat, is accepted by DIVOC's verifier (tests/interop.rs).
    assert_eq!(
        digest,
        "4d91cfe3c47f13d3c9a3015268e7dd86f2b8835c23cb8f2cb397062ed81855f1"
    );
    assert_eq!(
        canonical_nquads(&credential(&common::facts(), DID)).unwrap(),
        nquads
    );
}

#[test]
fn did_web_names_the_host() {
    assert_eq!(did_web("sehat.example.org"), DID);
}
