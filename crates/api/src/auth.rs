//! API tokens: HS256 JWTs with `exp`, issued to guests (partner apps, 15 minutes as spec 000 says)
//! and to beneficiaries (after an OTP, or reference id + mobile + birth year), and the
//! extractors that demand them. Tokens are never logged.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sehat_domain::beneficiary::BeneficiaryRef;
use sehat_domain::identity::MobileHash;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A partner app: reference data, centres, slots, registration.
    Guest,
    /// A beneficiary's family (one mobile): also appointments and linked beneficiaries.
    Beneficiary,
}

/// The claims sehat signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Guest: `guest:<user_name>`; beneficiary: the keyed hash of the mobile.
    pub sub: String,
    /// Guest or beneficiary.
    pub role: Role,
    /// For a token from registration: the one beneficiary it may act for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ben: Option<i64>,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Token id.
    pub jti: String,
    /// Issuer.
    pub iss: String,
}

const ISSUER: &str = "sehat";

/// Signs and checks tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// How long a guest token lives.
    pub guest_ttl: Duration,
    /// How long a beneficiary token lives.
    pub beneficiary_ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("guest_ttl", &self.guest_ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys from the HS256 secret.
    pub fn new(secret: &[u8], guest_ttl: Duration, beneficiary_ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            guest_ttl,
            beneficiary_ttl,
        }
    }

    fn sign(
        &self,
        now: i64,
        sub: String,
        role: Role,
        ben: Option<i64>,
        ttl: Duration,
    ) -> Result<String, ApiError> {
        let claims = Claims {
            sub,
            role,
            ben,
            iat: now,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
            jti: uuid::Uuid::new_v4().to_string(),
            iss: ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| sehat_domain::DomainError::Internal(e.into()).into())
    }

    /// A guest token for a partner app.
    pub fn guest(&self, now: i64, user_name: &str) -> Result<String, ApiError> {
        self.sign(
            now,
            format!("guest:{user_name}"),
            Role::Guest,
            None,
            self.guest_ttl,
        )
    }

    /// A beneficiary token for a mobile's family, or for one of its beneficiaries.
    pub fn beneficiary(
        &self,
        now: i64,
        account: &MobileHash,
        only: Option<BeneficiaryRef>,
    ) -> Result<String, ApiError> {
        self.sign(
            now,
            account.as_str().to_owned(),
            Role::Beneficiary,
            only.map(BeneficiaryRef::get),
            self.beneficiary_ttl,
        )
    }

    /// Checks signature, algorithm (HS256 only), issuer and expiry against `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.set_issuer(&[ISSUER]);
        // Expiry is checked below against the injected clock, not the system time.
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ApiError::unauthenticated())?
            .claims;
        if claims.exp <= now {
            return Err(ApiError::unauthenticated());
        }
        Ok(claims)
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    // CoWIN clients send "Bearer <token>"; some send the bare token.
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value)
        .trim();
    (!token.is_empty()).then_some(token)
}

fn claims_of(parts: &Parts, state: &AppState) -> Result<Claims, ApiError> {
    let token = bearer(parts).ok_or_else(ApiError::unauthenticated)?;
    state
        .tokens
        .verify(token, state.clock.now().unix_timestamp())
}

/// Any valid token: a guest's or a beneficiary's (reference data, centres, registration).
#[derive(Debug, Clone)]
pub struct AnyToken(pub Claims);

impl FromRequestParts<AppState> for AnyToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        claims_of(parts, state).map(Self)
    }
}

/// A beneficiary token: the family (mobile) it speaks for, and the one beneficiary it is limited
/// to when it came from registration.
#[derive(Debug, Clone)]
pub struct BeneficiaryToken {
    /// The family.
    pub account: MobileHash,
    /// The only beneficiary this token may act for, if limited.
    pub only: Option<BeneficiaryRef>,
}

impl BeneficiaryToken {
    /// Whether the token may act for this beneficiary (its family's, within its limit).
    pub fn may_act_for(&self, id: BeneficiaryRef) -> bool {
        self.only.is_none_or(|only| only == id)
    }
}

impl FromRequestParts<AppState> for BeneficiaryToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = claims_of(parts, state)?;
        if claims.role != Role::Beneficiary {
            return Err(ApiError::unauthenticated());
        }
        Ok(Self {
            account: MobileHash::from_stored(claims.sub),
            only: claims.ben.and_then(|b| BeneficiaryRef::new(b).ok()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[3; 32], Duration::from_secs(900), Duration::from_secs(900))
    }

    #[test]
    fn tokens_carry_exp_and_expire_by_the_injected_clock() {
        let token = keys().guest(1_000, "partner").unwrap();
        let claims = keys().verify(&token, 1_001).unwrap();
        assert_eq!((claims.role, claims.exp), (Role::Guest, 1_900));
        assert!(keys().verify(&token, 1_900).is_err());
    }

    #[test]
    fn forged_tokens_are_refused() {
        let token = keys().guest(1_000, "partner").unwrap();
        let other = TokenKeys::new(&[4; 32], Duration::from_secs(900), Duration::from_secs(900));
        assert!(other.verify(&token, 1_001).is_err(), "another key");
        let mut parts: Vec<&str> = token.split('.').collect();
        // {"alg":"none","typ":"JWT"}
        parts[0] = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        assert!(
            keys()
                .verify(&format!("{}.{}.", parts[0], parts[1]), 1_001)
                .is_err(),
            "alg none"
        );
        assert!(keys().verify("not.a.token", 1_001).is_err());
    }
}
