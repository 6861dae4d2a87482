//! The `Idempotency-Key` header that makes retries of a booking call safe: the key a client
//! sends, scoped to its account and the call, with a hash of the body, so that the same key and
//! body get the first answer again and another body with that key is refused.

use crate::error::ApiError;
use axum::http::HeaderMap;
use sehat_domain::DomainError;
use sehat_domain::identity::MobileHash;
use sehat_domain::store::IdempotencyKey;
use serde::Serialize;
use sha2::Digest;

/// The `Idempotency-Key` of a request, scoped to the account and the call, with a hash of the body.
pub fn idempotency_key(
    headers: &HeaderMap,
    account: &MobileHash,
    call: &str,
    body: &impl Serialize,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| ApiError::invalid("Idempotency-Key", "must be 1-200 visible characters"))?;
    let canonical = serde_json::to_vec(body).map_err(|e| DomainError::Internal(e.into()))?;
    let digest = sha2::Sha256::digest(&canonical);
    Ok(Some(IdempotencyKey {
        scope: format!("{}:{call}", account.as_str()),
        key: key.to_owned(),
        request_hash: digest.iter().map(|b| format!("{b:02x}")).collect(),
    }))
}
