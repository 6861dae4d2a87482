//! Vaccination certificates in DIVOC's format (W3C verifiable credentials signed with
//! Ed25519Signature2018): build, sign, verify, keys, QR payload. See certificates.md.

/// URDNA2015 canonical N-Quads of a JSON-LD document.
pub mod canon;
/// The bundled JSON-LD contexts, processed once.
pub mod contexts;
/// The unsigned vaccination credential.
pub mod credential;
/// The issuer's keys and their DID document.
pub mod keys;
/// Ed25519Signature2018 proofs: sign and verify.
pub mod proof;
/// The QR payload (DIVOC's zip packing, WHO's B64:).
pub mod qr;
/// The signed revocation list.
pub mod revocation;

pub use credential::{Address, VaccinationFacts, credential};
pub use keys::{KeyError, KeyInfo, KeyRing, KeyState, did_document, did_web};
pub use proof::{Error, Verified, VerifyError, sign, verify};
pub use qr::{PackError, qr_payload, read_qr_payload};
pub use revocation::{Revocation, RevocationList, revocation_list, verify_revocation_list};
