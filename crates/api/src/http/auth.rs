//! API tokens: HS256 JWTs with `exp`, issued to guests (partner apps holding an API key, 15
//! minutes as spec 000 says) and to beneficiaries (after an OTP, or reference id + mobile + birth
//! year), and the extractors that demand them. A token is refused after logout, and a guest token
//! once its partner key is revoked or retired: every use checks both in the database, so it holds
//! on every node. Tokens are never logged. Also here: the admin API's bearer token, and the two
//! bearer schemes as the OpenAPI document declares them.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sehat_domain::audit::Actor;
use sehat_domain::beneficiary::BeneficiaryRef;
use sehat_domain::identity::MobileHash;
use sehat_domain::store::Store;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use utoipa::Modify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A partner app: reference data, centres, slots, registration.
    Guest,
    /// A beneficiary's family (one mobile): also appointments and linked beneficiaries.
    Beneficiary,
    /// A vaccinator (one mobile) at the centres where they hold an active post.
    Vaccinator,
    /// An administrator in the web app, who gave the admin token once for a session. Never
    /// accepted as an API bearer token: the admin API takes the admin token itself.
    Admin,
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
    /// For a guest token: the id of the partner API key it was issued under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// For a vaccinator token: the centres of their active posts at login.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ctr: Vec<i64>,
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

    fn claims(
        &self,
        now: i64,
        sub: String,
        role: Role,
        (ben, kid): (Option<i64>, Option<String>),
        ttl: Duration,
    ) -> Claims {
        Claims {
            sub,
            role,
            ben,
            iat: now,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
            jti: uuid::Uuid::new_v4().to_string(),
            kid,
            ctr: Vec::new(),
            iss: ISSUER.to_owned(),
        }
    }

    fn sign(
        &self,
        now: i64,
        sub: String,
        role: Role,
        ids: (Option<i64>, Option<String>),
        ttl: Duration,
    ) -> Result<String, ApiError> {
        let claims = self.claims(now, sub, role, ids, ttl);
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| sehat_domain::DomainError::Internal(e.into()).into())
    }

    /// A guest token for a partner app, under one of its API keys.
    pub fn guest(&self, now: i64, partner: &str, key_id: &str) -> Result<String, ApiError> {
        self.sign(
            now,
            format!("partner:{partner}"),
            Role::Guest,
            (None, Some(key_id.to_owned())),
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
            (only.map(BeneficiaryRef::get), None),
            self.beneficiary_ttl,
        )
    }

    /// A vaccinator token for a mobile holding posts at `centers` (the token names them for
    /// clients; every request reads the active posts again), under the desk system's partner
    /// key `key_id` (revoking the key ends the token, as a guest's).
    pub fn vaccinator(
        &self,
        now: i64,
        mobile: &MobileHash,
        centers: Vec<i64>,
        key_id: &str,
    ) -> Result<String, ApiError> {
        let mut claims = self.claims(
            now,
            format!("vaccinator:{}", mobile.as_str()),
            Role::Vaccinator,
            (None, Some(key_id.to_owned())),
            self.beneficiary_ttl,
        );
        claims.ctr = centers;
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| sehat_domain::DomainError::Internal(e.into()).into())
    }

    /// A web session for the administrator: `fingerprint` names the admin token it was opened
    /// with, so that changing the deployment's admin token ends every such session.
    pub fn admin_session(&self, now: i64, fingerprint: &str) -> Result<String, ApiError> {
        self.sign(
            now,
            format!("admin:{fingerprint}"),
            Role::Admin,
            (None, None),
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

/// The claims of the request's bearer token: signed by this deployment, unexpired, not logged
/// out, and (for a guest) under a partner key still active. An admin's web session is not an
/// API token.
async fn claims_of(parts: &Parts, state: &AppState) -> Result<Claims, ApiError> {
    let token = bearer(parts).ok_or_else(ApiError::unauthenticated)?;
    let claims = token_claims(token, state).await?;
    if claims.role == Role::Admin {
        return Err(ApiError::unauthenticated());
    }
    Ok(claims)
}

/// The claims of a token however it came (a bearer header, a web session's cookie): signed by
/// this deployment, unexpired, not logged out, and under a partner key still active.
pub(crate) async fn token_claims(token: &str, state: &AppState) -> Result<Claims, ApiError> {
    let now_ms = state.clock.now_millis();
    let claims = state.tokens.verify(token, now_ms.div_euclid(1000))?;
    let refused = state
        .store
        .token_refused(&claims.jti, claims.kid.as_deref(), now_ms)
        .await?;
    if refused {
        return Err(ApiError::unauthenticated());
    }
    Ok(claims)
}

/// Who a token's holder is, for the audit log.
pub(crate) fn actor_of(claims: &Claims, parts: &Parts, state: &AppState) -> Actor {
    let origin = state.limiter.client_ip(parts).to_string();
    match claims.role {
        Role::Guest => Actor::partner(
            claims.sub.strip_prefix("partner:").unwrap_or(&claims.sub),
            origin,
        ),
        Role::Beneficiary => Actor::account(&claims.sub, origin),
        Role::Vaccinator => Actor::vaccinator(
            claims
                .sub
                .strip_prefix("vaccinator:")
                .unwrap_or(&claims.sub),
            origin,
        ),
        Role::Admin => Actor::admin(origin),
    }
}

/// Any valid token: a guest's or a beneficiary's (reference data, centres, registration).
#[derive(Debug, Clone)]
pub struct AnyToken {
    /// Its claims.
    pub claims: Claims,
    /// The store, acting for the token's holder (its writes are audited under that name).
    pub store: Arc<dyn Store>,
}

impl FromRequestParts<AppState> for AnyToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = claims_of(parts, state).await?;
        let store = state.store.acting_as(actor_of(&claims, parts, state));
        Ok(Self { claims, store })
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
    /// The store, acting for this family (its writes are audited under its pseudonym).
    pub store: Arc<dyn Store>,
    /// The token itself: its id and expiry, for logout.
    pub claims: Claims,
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
        let claims = claims_of(parts, state).await?;
        Self::from_claims(claims, parts, state)
    }
}

impl BeneficiaryToken {
    /// The family a checked token speaks for (shared with the web app's sessions).
    pub(crate) fn from_claims(
        claims: Claims,
        parts: &Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        if claims.role != Role::Beneficiary {
            return Err(ApiError::unauthenticated());
        }
        let store = state.store.acting_as(actor_of(&claims, parts, state));
        Ok(Self {
            account: MobileHash::from_stored(claims.sub.clone()),
            only: claims.ben.and_then(|b| BeneficiaryRef::new(b).ok()),
            store,
            claims,
        })
    }
}

/// A vaccinator's token: the mobile it speaks for and its active posts, read again on every
/// request (a deactivated post stops acting at once). A citizen's or a partner's token is not a
/// vaccinator's, nor is a vaccinator's theirs.
#[derive(Debug, Clone)]
pub struct VaccinatorToken {
    /// The active posts, one per centre.
    pub posts: Vec<sehat_domain::vaccination::Vaccinator>,
    /// The store, acting for the vaccinator.
    pub store: Arc<dyn Store>,
    /// The token itself.
    pub claims: Claims,
}

impl VaccinatorToken {
    /// The post at a centre, or `NotYourCenter`.
    pub fn post_at(
        &self,
        center: sehat_domain::ids::CenterId,
    ) -> Result<&sehat_domain::vaccination::Vaccinator, ApiError> {
        self.posts
            .iter()
            .find(|p| p.center_id == center)
            .ok_or_else(|| {
                sehat_domain::DomainError::Rule(sehat_domain::Rule::NotYourCenter).into()
            })
    }
}

impl FromRequestParts<AppState> for VaccinatorToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = claims_of(parts, state).await?;
        Self::from_claims(claims, parts, state).await
    }
}

impl VaccinatorToken {
    /// The vaccinator a checked token speaks for, with their active posts read again (shared
    /// with the web app's sessions).
    pub(crate) async fn from_claims(
        claims: Claims,
        parts: &Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let Some(mobile) = claims.sub.strip_prefix("vaccinator:") else {
            return Err(ApiError::unauthenticated());
        };
        if claims.role != Role::Vaccinator {
            return Err(ApiError::unauthenticated());
        }
        let posts = state
            .store
            .vaccinator_posts(&MobileHash::from_stored(mobile.to_owned()))
            .await?;
        if posts.is_empty() {
            return Err(ApiError::unauthenticated());
        }
        let store = state.store.acting_as(actor_of(&claims, parts, state));
        Ok(Self {
            posts,
            store,
            claims,
        })
    }
}

/// A partner app, proved by the API key in its `x-api-key` header (issued by an admin:
/// `POST /admin/v1/partners/{partner}/keys`): 401 `USRAUT0008` without an active one. Partner
/// apps present it to log in, as guests (v1) or on behalf of a citizen's OTP (v2).
#[derive(Debug, Clone)]
pub struct PartnerApp {
    /// The key presented (never its secret).
    pub key: sehat_domain::credentials::PartnerKey,
}

impl FromRequestParts<AppState> for PartnerApp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let key = sehat_domain::credentials::check_partner_key(
            state.store.as_ref(),
            &state.identity,
            presented,
            state.clock.now_millis(),
        )
        .await?;
        Ok(Self { key })
    }
}

/// Proof that the request carried the admin bearer token, with the store acting for the admin
/// (its writes are audited as the admin's, from the request's address).
#[derive(Debug, Clone)]
pub struct AdminAuth {
    /// The store, acting for the admin.
    pub store: Arc<dyn Store>,
}

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = state.config.admin_token.as_deref() else {
            return Err(ApiError::unauthenticated());
        };
        let given = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .unwrap_or("");
        if secret_matches(given, expected) {
            let origin = state.limiter.client_ip(parts).to_string();
            Ok(Self {
                store: state.store.acting_as(Actor::admin(origin)),
            })
        } else {
            Err(ApiError::unauthenticated())
        }
    }
}

/// Whether `given` is the secret `expected` (the admin token, a CSRF token), compared in
/// constant time so that it cannot be guessed a character at a time.
pub(crate) fn secret_matches(given: &str, expected: &str) -> bool {
    !given.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// What names the deployment's admin token in an admin's web session (a keyed digest, never the
/// token): a session opened with another token is refused.
pub(crate) fn admin_fingerprint(state: &AppState) -> Option<String> {
    let token = state.config.admin_token.as_deref()?;
    Some(state.identity.keyed_digest("admin-session", &[token])[..32].to_owned())
}

/// Adds the bearer schemes to the OpenAPI document: the admin token, and the `token` (a JWT
/// from a login) of the CoWIN APIs.
#[derive(Debug)]
pub struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
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
        let token = keys().guest(1_000, "partner", "k1").unwrap();
        let claims = keys().verify(&token, 1_001).unwrap();
        assert_eq!((claims.role, claims.exp), (Role::Guest, 1_900));
        assert!(keys().verify(&token, 1_900).is_err());
    }

    #[test]
    fn forged_tokens_are_refused() {
        let token = keys().guest(1_000, "partner", "k1").unwrap();
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
