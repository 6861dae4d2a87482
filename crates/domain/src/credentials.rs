//! Partner API keys: issued to a partner app by an admin, shown once, stored only as a keyed hash,
//! rotated (a new key, the old ones kept working for a grace period) and revoked (at once); and
//! [`PartnerKeyStore`], their storage contract.

use crate::identity::IdentityKey;
use crate::{DomainError, Rule};
use async_trait::async_trait;
use rand::Rng;
use std::fmt;
use subtle::ConstantTimeEq;

/// A partner key as stored (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerKey {
    /// The public id: the part of the key before the secret.
    pub id: String,
    /// The partner it was issued to.
    pub partner: String,
    /// Issued at (ms).
    pub created_at: i64,
    /// When a rotation retires it (ms).
    pub expires_at: Option<i64>,
    /// When it was revoked (ms).
    pub revoked_at: Option<i64>,
}

impl PartnerKey {
    /// Whether it is accepted at `now` (ms).
    pub fn active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A partner key to store: its id, partner and the keyed hash of its secret.
#[derive(Debug, Clone)]
pub struct NewPartnerKey {
    /// The public id.
    pub id: String,
    /// The partner.
    pub partner: String,
    /// The keyed hash of the whole key.
    pub secret_hash: String,
}

/// A whole key as handed to the partner once: `sehat_<id>_<secret>`. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    /// The key, for the one answer that hands it over.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The id part of a presented key, if it has the key's shape.
    fn id(presented: &str) -> Option<&str> {
        let rest = presented.strip_prefix("sehat_")?;
        let (id, secret) = rest.split_once('_')?;
        (id.len() == 16
            && secret.len() == 64
            && id
                .bytes()
                .chain(secret.bytes())
                .all(|b| b.is_ascii_hexdigit()))
        .then_some(id)
    }
}

/// A partner's name: 1-64 letters, digits, `.`, `_`, `-`.
pub fn parse_partner(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(DomainError::invalid(
            "partner",
            "must be 1-64 letters, digits or . _ -",
        ));
    }
    Ok(name.to_owned())
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0_u8; bytes];
    rand::rng().fill(&mut buf[..]);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn secret_hash(key: &IdentityKey, presented: &str) -> String {
    key.keyed_digest("partner-key", &[presented])
}

/// Issues a new key to `partner`. With `retire_others_after_ms`, the partner's other active keys
/// stop being accepted that long from now (a rotation with a grace period; 0 retires them now).
pub async fn issue_partner_key(
    store: &dyn PartnerKeyStore,
    key: &IdentityKey,
    partner: &str,
    retire_others_after_ms: Option<i64>,
) -> Result<(PartnerKey, ApiKey), DomainError> {
    let partner = parse_partner(partner)?;
    let id = random_hex(8);
    let whole = ApiKey(format!("sehat_{id}_{}", random_hex(32)));
    let stored = store
        .add_partner_key(
            &NewPartnerKey {
                id,
                partner,
                secret_hash: secret_hash(key, whole.expose()),
            },
            retire_others_after_ms,
        )
        .await?;
    Ok((stored, whole))
}

/// The active partner key a request presents, or `Rule::BadApiKey`. The comparison is of keyed
/// hashes in constant time; unknown, revoked and retired keys are refused alike.
pub async fn check_partner_key(
    store: &dyn PartnerKeyStore,
    key: &IdentityKey,
    presented: &str,
    now: i64,
) -> Result<PartnerKey, DomainError> {
    let refused = || DomainError::Rule(Rule::BadApiKey);
    let id = ApiKey::id(presented.trim()).ok_or_else(refused)?;
    let (stored, hash) = store.partner_key(id).await?.ok_or_else(refused)?;
    let matches: bool = hash
        .as_bytes()
        .ct_eq(secret_hash(key, presented.trim()).as_bytes())
        .into();
    if matches && stored.active(now) {
        Ok(stored)
    } else {
        Err(refused())
    }
}

/// The storage of partner API keys: issued, listed, revoked and looked up by id, only ever with
/// the keyed hash of their secret. Every method is one atomic operation.
#[async_trait]
pub trait PartnerKeyStore: Send + Sync {
    /// Stores a new partner key; with `retire_others_after_ms`, the partner's other active keys
    /// are retired that long from now.
    async fn add_partner_key(
        &self,
        key: &NewPartnerKey,
        retire_others_after_ms: Option<i64>,
    ) -> Result<PartnerKey, DomainError>;
    /// A partner's keys, newest first.
    async fn partner_keys(&self, partner: &str) -> Result<Vec<PartnerKey>, DomainError>;
    /// Revokes one of a partner's keys at once (`NotFound` for another partner's).
    async fn revoke_partner_key(&self, partner: &str, id: &str) -> Result<PartnerKey, DomainError>;
    /// A key by id, with the keyed hash of its secret.
    async fn partner_key(&self, id: &str) -> Result<Option<(PartnerKey, String)>, DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_one_shape_and_names_are_checked() {
        let id = random_hex(8);
        let whole = format!("sehat_{id}_{}", random_hex(32));
        assert_eq!(ApiKey::id(&whole), Some(id.as_str()));
        assert_eq!(ApiKey::id("sehat_short_key"), None);
        assert_eq!(ApiKey::id(&whole.replace("sehat_", "other_")), None);
        assert!(parse_partner("acme-health").is_ok());
        assert!(parse_partner("").is_err() && parse_partner("a b").is_err());
        assert_eq!(format!("{:?}", ApiKey(whole)), "ApiKey(<redacted>)");
        let k = PartnerKey {
            id,
            partner: "p".into(),
            created_at: 0,
            expires_at: Some(10),
            revoked_at: None,
        };
        assert!(k.active(9) && !k.active(10));
        assert!(
            !PartnerKey {
                revoked_at: Some(1),
                expires_at: None,
                ..k
            }
            .active(0)
        );
    }
}
