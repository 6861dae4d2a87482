//! Identity: keyed hashing of personal identifiers, one-time passwords and their rules, and
//! [`IdentityStore`], the storage contract of OTPs, counted attempts and revoked tokens.
//!
//! Mobile numbers and photo-ID numbers are stored as an HMAC under a server key (for lookups and
//! de-duplication), their last four characters (for masked display), and sealed with an
//! authenticated cipher (XChaCha20-Poly1305) under a separate key, so that only a holder of that
//! key can ever read them back. OTPs are six digits from the operating system's CSPRNG, stored
//! only as an HMAC bound to their transaction.

use crate::DomainError;
use crate::values::Mobile;
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use std::fmt;
use time::Duration;

type HmacSha256 = Hmac<Sha256>;

/// The server's keys for hashing identifiers and OTPs, and for sealing identifiers. `Debug`
/// never shows them.
#[derive(Clone)]
pub struct IdentityKey {
    hashing: Vec<u8>,
    sealing: SealingKey,
}

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityKey(<redacted>)")
    }
}

impl IdentityKey {
    /// A hashing key from secret bytes (at least 32). Identifiers are sealed under a key derived
    /// from it until [`IdentityKey::with_sealing_key`] gives one of its own.
    pub fn new(secret: Vec<u8>) -> Result<Self, &'static str> {
        if secret.len() < 32 {
            return Err("the identity key must be at least 32 bytes");
        }
        let sealing = SealingKey::derive(&secret, b"sealing");
        Ok(Self {
            hashing: secret,
            sealing,
        })
    }

    /// Seals identifiers under a key of their own (at least 32 secret bytes), kept apart from the
    /// hashing key so that either can be rotated or held by different people.
    pub fn with_sealing_key(mut self, secret: &[u8]) -> Result<Self, &'static str> {
        if secret.len() < 32 {
            return Err("the identifier encryption key must be at least 32 bytes");
        }
        self.sealing = SealingKey::derive(secret, b"identifiers");
        Ok(self)
    }

    /// Seals an identifier (a mobile, a photo-ID number) for storage, bound to what it
    /// identifies (`kind` and its keyed hash) so that a sealed value moved to another row or
    /// column no longer opens.
    pub fn seal(&self, kind: &str, lookup_hash: &str, clear: &str) -> Sealed {
        self.sealing.seal(&[kind, lookup_hash], clear)
    }

    /// Opens a sealed identifier; `None` if it was sealed under another key, for another
    /// binding, or altered.
    pub fn open(&self, kind: &str, lookup_hash: &str, sealed: &Sealed) -> Option<String> {
        self.sealing.open(&[kind, lookup_hash], sealed)
    }

    /// An HMAC of `parts` under the hashing key, in the given domain (e.g. the audit chain).
    pub fn keyed_digest(&self, domain: &str, parts: &[&str]) -> String {
        self.mac(domain, parts)
    }

    fn mac(&self, domain: &str, parts: &[&str]) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.hashing)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(domain.as_bytes());
        for p in parts {
            mac.update(b"\x1f");
            mac.update(p.as_bytes());
        }
        hex(&mac.finalize().into_bytes())
    }

    /// The lookup key of a mobile number.
    pub fn mobile_hash(&self, mobile: &Mobile) -> MobileHash {
        MobileHash(self.mac("mobile", &[mobile.expose()]))
    }

    /// The de-duplication key of a photo-ID document.
    pub fn photo_id_hash(&self, type_id: i64, number: &str) -> String {
        self.mac("photo-id", &[&type_id.to_string(), number])
    }

    /// The stored form of a captcha answer shown to an account (uppercase, trimmed).
    pub fn captcha_hash(&self, account: &MobileHash, answer: &str) -> String {
        self.mac(
            "captcha",
            &[account.as_str(), &answer.trim().to_ascii_uppercase()],
        )
    }

    /// A tag that proves sehat issued a document (e.g. an appointment slip's QR code): the first
    /// 16 hex digits of a MAC of its parts.
    pub fn document_tag(&self, kind: &str, parts: &[&str]) -> String {
        let mut all = vec![kind];
        all.extend_from_slice(parts);
        self.mac("document", &all)[..16].to_owned()
    }

    /// The stored form of an OTP: a MAC of its SHA-256 (the form CoWIN v2 clients send), bound
    /// to its transaction so that a stored hash is useless elsewhere.
    pub fn otp_hash(&self, txn_id: &str, proof: &OtpProof) -> String {
        self.mac("otp", &[txn_id, &proof.sha256_hex()])
    }

    /// Compares an OTP proof with its stored hash in constant time.
    pub fn otp_matches(&self, txn_id: &str, proof: &OtpProof, stored: &str) -> bool {
        let mut mac = HmacSha256::new_from_slice(&self.hashing)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"otp");
        mac.update(b"\x1f");
        mac.update(txn_id.as_bytes());
        mac.update(b"\x1f");
        mac.update(proof.sha256_hex().as_bytes());
        match unhex(stored) {
            Some(bytes) => mac.verify_slice(&bytes).is_ok(),
            None => false,
        }
    }
}

/// An identifier sealed for storage: `v1.<key id>.<nonce and ciphertext, hex>`. The key id (the
/// first 8 hex digits of a hash of the key) tells which key sealed it, so keys can be rotated.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(String);

impl Sealed {
    /// From the stored form.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealed(..)")
    }
}

/// An XChaCha20-Poly1305 key with its id. Random 192-bit nonces make nonce reuse negligible
/// however many values one key seals.
#[derive(Clone)]
struct SealingKey {
    key: [u8; 32],
    id: String,
}

impl SealingKey {
    fn derive(secret: &[u8], purpose: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"sehat identifier sealing key\x1f");
        mac.update(purpose);
        let key: [u8; 32] = mac.finalize().into_bytes().into();
        let id = {
            use sha2::Digest;
            hex(&Sha256::digest(key))[..8].to_owned()
        };
        Self { key, id }
    }

    fn aad(binding: &[&str]) -> Vec<u8> {
        binding.join("\x1f").into_bytes()
    }

    fn seal(&self, binding: &[&str], clear: &str) -> Sealed {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        use chacha20poly1305::{XChaCha20Poly1305, XNonce};
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let mut nonce = [0_u8; 24];
        rand::rng().fill(&mut nonce);
        let aad = Self::aad(binding);
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: clear.as_bytes(),
                    aad: &aad,
                },
            )
            .unwrap_or_else(|_| unreachable!("sealing a short identifier cannot fail"));
        Sealed(format!("v1.{}.{}{}", self.id, hex(&nonce), hex(&sealed)))
    }

    fn open(&self, binding: &[&str], sealed: &Sealed) -> Option<String> {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        use chacha20poly1305::{XChaCha20Poly1305, XNonce};
        let rest = sealed.0.strip_prefix("v1.")?;
        let (id, body) = rest.split_once('.')?;
        if id != self.id {
            return None;
        }
        let bytes = unhex(body)?;
        if bytes.len() < 24 + 16 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().ok()?;
        let aad = Self::aad(binding);
        let clear = XChaCha20Poly1305::new((&self.key).into())
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .ok()?;
        String::from_utf8(clear).ok()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The keyed hash of a mobile number: the account key of a family.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobileHash(String);

impl MobileHash {
    /// From the stored form.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MobileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileHash({}…)", self.0.get(..8).unwrap_or(""))
    }
}

/// A six-digit one-time password. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Otp(String);

impl fmt::Debug for Otp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Otp(******)")
    }
}

impl Otp {
    /// A fresh code from a CSPRNG (rand's ChaCha, seeded by the OS).
    pub fn generate() -> Self {
        Self(format!("{:06}", rand::rng().random_range(0..1_000_000)))
    }

    /// Parses six digits (also a number such as spec 000's `123456`).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.len() == 6 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be the 6-digit OTP")
        }
    }

    /// The digits, for delivery to the person only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a client sends to prove it has the OTP: the code (v1), or the lowercase SHA-256 hex of
/// the code (CoWIN v2's `confirmOTP`).
#[derive(Clone, PartialEq, Eq)]
pub enum OtpProof {
    /// The six digits.
    Code(Otp),
    /// SHA-256 of the six digits, lowercase hex.
    Sha256Hex(String),
}

impl fmt::Debug for OtpProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpProof(<redacted>)")
    }
}

impl OtpProof {
    /// Parses a SHA-256 hex digest (64 hex digits, any case).
    pub fn parse_sha256(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self::Sha256Hex(raw.to_ascii_lowercase()))
        } else {
            Err("must be the SHA-256 of the OTP, as 64 hex digits")
        }
    }

    fn sha256_hex(&self) -> String {
        use sha2::Digest;
        match self {
            Self::Code(code) => hex(&Sha256::digest(code.0.as_bytes())),
            Self::Sha256Hex(h) => h.clone(),
        }
    }
}

/// The limits on OTPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    /// How long a code is valid.
    pub ttl: Duration,
    /// Wrong tries allowed per transaction.
    pub max_attempts: u32,
    /// Least time between two codes for one mobile.
    pub resend_gap: Duration,
    /// Most codes per mobile per hour.
    pub per_hour: u32,
    /// Most codes per mobile per day.
    pub per_day: u32,
    /// Most codes asked for from one client address per hour, whatever the mobiles (0: no cap).
    pub per_address_per_hour: u32,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self {
            ttl: Duration::minutes(3),
            max_attempts: 3,
            resend_gap: Duration::seconds(30),
            per_hour: 5,
            per_day: 10,
            per_address_per_hour: 30,
        }
    }
}

impl OtpPolicy {
    /// Given the creation times (ms) of this mobile's codes in the last day, newest first, how
    /// long (seconds) the caller must wait before another, if at all.
    pub fn wait_before_next(&self, now_ms: i64, recent_ms: &[i64]) -> Option<i64> {
        let second = 1000_i64;
        let gap = self.resend_gap.whole_milliseconds() as i64;
        let mut waits = Vec::new();
        if let Some(last) = recent_ms.first()
            && now_ms - last < gap
        {
            waits.push(last + gap - now_ms);
        }
        let window_wait = |window_ms: i64, cap: u32| -> Option<i64> {
            let inside: Vec<i64> = recent_ms
                .iter()
                .copied()
                .filter(|t| now_ms - t < window_ms)
                .collect();
            let cap = usize::try_from(cap).unwrap_or(usize::MAX);
            // The oldest code that must leave the window before another may be sent.
            (inside.len() >= cap).then(|| inside[cap - 1] + window_ms - now_ms)
        };
        waits.extend(window_wait(3_600 * second, self.per_hour));
        waits.extend(window_wait(86_400 * second, self.per_day));
        waits.into_iter().max().map(|ms| (ms + second - 1) / second)
    }
}

/// An OTP transaction to record.
#[derive(Debug, Clone)]
pub struct NewOtp {
    /// Transaction id (a UUID).
    pub txn_id: String,
    /// Whose mobile.
    pub mobile_hash: MobileHash,
    /// Its last four digits.
    pub mobile_last4: String,
    /// The mobile, sealed for storage.
    pub mobile_sealed: Sealed,
    /// What the OTP is for (e.g. `login`).
    pub purpose: &'static str,
    /// The keyed hash of the code.
    pub code_hash: String,
}

/// An OTP transaction as a verification attempt sees it (the attempt already counted).
#[derive(Debug, Clone)]
pub struct OtpAttempt {
    /// Whose mobile.
    pub mobile_hash: MobileHash,
    /// Its last four digits.
    pub mobile_last4: String,
    /// What the OTP is for.
    pub purpose: String,
    /// The keyed hash of the code.
    pub code_hash: String,
}

/// The storage of identity: OTP transactions and their limits, counted attempts at a credential,
/// and revoked tokens. Counters live in the database so that limits hold across nodes. Every
/// method is one atomic operation.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Records an OTP transaction unless the mobile has asked too often (`Rule::OtpRateLimited`);
    /// the check and the insert are one atomic step per mobile.
    async fn create_otp(&self, otp: &NewOtp, policy: &OtpPolicy) -> Result<(), DomainError>;
    /// Counts one verification attempt and returns the transaction, in one statement: refused
    /// (`OtpExpired`, `OtpAttemptsExceeded`) when expired, used or out of attempts.
    async fn attempt_otp(&self, txn_id: &str, max_attempts: u32)
    -> Result<OtpAttempt, DomainError>;
    /// Marks the OTP used; only one caller can (`OtpExpired` for the others).
    async fn consume_otp(&self, txn_id: &str) -> Result<(), DomainError>;
    /// Counts one attempt at a credential for `subject`, refusing (`Rule::TooManyAttempts`) past
    /// `max` in a window of `window_ms`; counted and checked in one statement.
    async fn take_attempt(
        &self,
        subject: &str,
        max: u32,
        window_ms: i64,
    ) -> Result<(), DomainError>;
    /// Revokes a token (logout) until it would have expired.
    async fn revoke_token(&self, jti: &str, expires_at: i64) -> Result<(), DomainError>;
    /// Whether a token is refused: revoked, or issued under a partner key no longer active.
    async fn token_refused(
        &self,
        jti: &str,
        partner_key: Option<&str>,
        now: i64,
    ) -> Result<bool, DomainError>;
}

/// Sends an OTP to a mobile for `purpose`: a fresh code, stored only as its keyed hash, delivered
/// by `deliver`. The answer is the same whether or not the mobile is registered.
pub async fn issue_otp(
    store: &dyn IdentityStore,
    key: &IdentityKey,
    policy: &OtpPolicy,
    mobile: &Mobile,
    purpose: &'static str,
) -> Result<(String, Otp), DomainError> {
    let code = Otp::generate();
    let txn_id = uuid::Uuid::new_v4().to_string();
    let mobile_hash = key.mobile_hash(mobile);
    let otp = NewOtp {
        code_hash: key.otp_hash(&txn_id, &OtpProof::Code(code.clone())),
        txn_id: txn_id.clone(),
        mobile_sealed: key.seal("mobile", mobile_hash.as_str(), mobile.expose()),
        mobile_hash,
        mobile_last4: mobile.expose()[6..].to_owned(),
        purpose,
    };
    store.create_otp(&otp, policy).await?;
    Ok((txn_id, code))
}

/// Checks an OTP: the attempt is counted first (at most `max_attempts` per transaction), a match
/// uses the OTP up (single use), and the mobile it was sent to is returned.
pub async fn redeem_otp(
    store: &dyn IdentityStore,
    key: &IdentityKey,
    policy: &OtpPolicy,
    txn_id: &str,
    proof: &OtpProof,
    purpose: &str,
) -> Result<(MobileHash, String), DomainError> {
    use crate::Rule;
    if uuid::Uuid::parse_str(txn_id).is_err() {
        return Err(DomainError::invalid(
            "txnId",
            "must be the txnId the OTP request returned",
        ));
    }
    let attempt = store.attempt_otp(txn_id, policy.max_attempts).await?;
    if attempt.purpose != purpose {
        return Err(DomainError::Rule(Rule::OtpExpired));
    }
    if !key.otp_matches(txn_id, proof, &attempt.code_hash) {
        return Err(DomainError::Rule(Rule::OtpInvalid));
    }
    store.consume_otp(txn_id).await?;
    Ok((attempt.mobile_hash, attempt.mobile_last4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> IdentityKey {
        IdentityKey::new(vec![7; 32]).unwrap()
    }

    #[test]
    fn identifiers_hash_stably_and_apart_by_domain() {
        let m = Mobile::parse("9876543210").unwrap();
        assert_eq!(key().mobile_hash(&m), key().mobile_hash(&m));
        assert_ne!(
            key().mobile_hash(&m).as_str(),
            key().photo_id_hash(0, "9876543210")
        );
        let other = IdentityKey::new(vec![8; 32]).unwrap();
        assert_ne!(key().mobile_hash(&m), other.mobile_hash(&m));
        assert!(IdentityKey::new(vec![1; 8]).is_err());
        assert!(!format!("{:?}", key().mobile_hash(&m)).contains("9876"));
    }

    #[test]
    fn identifiers_seal_and_open_only_under_their_key_and_binding() {
        let m = "9876543210";
        let sealed = key().seal("mobile", "h1", m);
        assert!(!sealed.as_str().contains(m));
        assert_ne!(
            sealed,
            key().seal("mobile", "h1", m),
            "a fresh nonce each time"
        );
        assert_eq!(key().open("mobile", "h1", &sealed).as_deref(), Some(m));
        assert_eq!(key().open("mobile", "h2", &sealed), None, "another row");
        assert_eq!(
            key().open("photo-id", "h1", &sealed),
            None,
            "another column"
        );
        let own = key().with_sealing_key(&[9; 32]).unwrap();
        assert_eq!(own.open("mobile", "h1", &sealed), None, "another key");
        assert_eq!(
            own.mobile_hash(&Mobile::parse(m).unwrap()),
            key().mobile_hash(&Mobile::parse(m).unwrap()),
            "the sealing key leaves lookups alone"
        );
        let mut tampered = sealed.as_str().to_owned();
        let last = tampered.pop().unwrap();
        tampered.push(if last == '0' { '1' } else { '0' });
        assert_eq!(
            key().open("mobile", "h1", &Sealed::from_stored(tampered)),
            None
        );
        assert!(key().with_sealing_key(&[1; 8]).is_err());
        assert!(!format!("{sealed:?}").contains(&sealed.as_str()[5..]));
    }

    #[test]
    fn otps_are_six_digits_and_match_only_their_transaction() {
        let code = Otp::generate();
        assert_eq!(code.expose().len(), 6);
        assert_eq!(format!("{code:?}"), "Otp(******)");
        let proof = OtpProof::Code(code.clone());
        let stored = key().otp_hash("txn-1", &proof);
        assert!(key().otp_matches("txn-1", &proof, &stored));
        assert!(!key().otp_matches("txn-2", &proof, &stored));
        let wrong = Otp::parse(if code.expose() == "000000" {
            "000001"
        } else {
            "000000"
        })
        .unwrap();
        assert!(!key().otp_matches("txn-1", &OtpProof::Code(wrong), &stored));
        assert!(!key().otp_matches("txn-1", &proof, "zz"));
        // CoWIN v2 sends sha256("123456") = 8d969eef…c92 instead of the code.
        let known = OtpProof::Code(Otp::parse("123456").unwrap());
        let stored = key().otp_hash("t", &known);
        let v2 = OtpProof::parse_sha256(
            "8D969EEF6ECAD3C29A3A629280E686CF0C3F5D5A86AFF3CA12020C923ADC6C92",
        )
        .unwrap();
        assert!(key().otp_matches("t", &v2, &stored));
        assert!(Otp::parse("12345").is_err() && Otp::parse("12345a").is_err());
    }

    #[test]
    fn resends_wait_for_the_gap_and_the_caps() {
        let p = OtpPolicy::default();
        let now = 10_000_000_000;
        assert_eq!(p.wait_before_next(now, &[]), None);
        assert_eq!(
            p.wait_before_next(now, &[now - 10_000]),
            Some(20),
            "30 s gap"
        );
        assert_eq!(p.wait_before_next(now, &[now - 31_000]), None);
        let five: Vec<i64> = (1..=5).map(|i| now - i * 60_000).collect();
        assert_eq!(
            p.wait_before_next(now, &five),
            Some(3_600 - 300),
            "hourly cap: the 5th-newest must age out"
        );
        let ten: Vec<i64> = (1..=10).map(|i| now - i * 3_700_000).collect();
        assert!(p.wait_before_next(now, &ten).unwrap() > 3_600, "daily cap");
    }
}
