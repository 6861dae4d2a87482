//! Partner API keys ([`PartnerKeyStore`]): issued, rotated and revoked with an audit record each,
//! stored only as the keyed hash of their secret.

use crate::db::{SqlStore, db_error, on_pool, on_tx};
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::credentials::{NewPartnerKey, PartnerKey, PartnerKeyStore};

type KeyRow = (String, String, i64, Option<i64>, Option<i64>);
type KeyWithHashRow = (String, String, i64, Option<i64>, Option<i64>, String);

fn key_of((id, partner, created_at, expires_at, revoked_at): KeyRow) -> PartnerKey {
    PartnerKey {
        id,
        partner,
        created_at,
        expires_at,
        revoked_at,
    }
}

const KEY_COLUMNS: &str = "id, partner, created_at, expires_at, revoked_at";

#[async_trait]
impl PartnerKeyStore for SqlStore {
    async fn add_partner_key(
        &self,
        key: &NewPartnerKey,
        retire_others_after_ms: Option<i64>,
    ) -> Result<PartnerKey, DomainError> {
        let now = self.clock.now_millis();
        let mut tx = self.begin_write().await?;
        if let Some(after) = retire_others_after_ms {
            let retire_at = now + after.max(0);
            on_tx!(&mut tx, c => sqlx::query(
                "UPDATE partner_keys SET expires_at = $2 WHERE partner = $1 AND revoked_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > $2)")
                .bind(&key.partner).bind(retire_at)
                .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        }
        let row: KeyRow = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO partner_keys (id, partner, secret_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {KEY_COLUMNS}")))
            .bind(&key.id).bind(&key.partner).bind(&key.secret_hash).bind(now)
            .fetch_one(c).await.map_err(db_error))?;
        tx.audit(
            "partner-key.issue",
            format!("partner:{}", key.partner),
            format!(
                "{{\"key_id\":\"{}\",\"retire_others_after_ms\":{}}}",
                key.id,
                retire_others_after_ms.map_or_else(|| "null".to_owned(), |m| m.to_string())
            ),
        );
        tx.commit().await?;
        Ok(key_of(row))
    }

    async fn partner_keys(&self, partner: &str) -> Result<Vec<PartnerKey>, DomainError> {
        let rows: Vec<KeyRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM partner_keys WHERE partner = $1 ORDER BY created_at DESC, id")))
            .bind(partner).fetch_all(p).await.map_err(db_error))?;
        Ok(rows.into_iter().map(key_of).collect())
    }

    async fn revoke_partner_key(&self, partner: &str, id: &str) -> Result<PartnerKey, DomainError> {
        let now = self.clock.now_millis();
        let mut tx = self.begin_write().await?;
        let row: Option<KeyRow> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE partner_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE partner = $1 AND id = $2 \
             RETURNING {KEY_COLUMNS}")))
            .bind(partner).bind(id).bind(now)
            .fetch_optional(c).await.map_err(db_error))?;
        let Some(row) = row else {
            return Err(DomainError::NotFound("partner key"));
        };
        tx.audit(
            "partner-key.revoke",
            format!("partner:{partner}"),
            format!("{{\"key_id\":\"{id}\"}}"),
        );
        tx.commit().await?;
        Ok(key_of(row))
    }

    async fn partner_key(&self, id: &str) -> Result<Option<(PartnerKey, String)>, DomainError> {
        let row: Option<KeyWithHashRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS}, secret_hash FROM partner_keys WHERE id = $1")))
            .bind(id).fetch_optional(p).await.map_err(db_error))?;
        Ok(
            row.map(|(id, partner, created_at, expires_at, revoked_at, hash)| {
                (
                    key_of((id, partner, created_at, expires_at, revoked_at)),
                    hash,
                )
            }),
        )
    }
}
