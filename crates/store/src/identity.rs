//! Identity's SQL ([`IdentityStore`]): OTP transactions (issued at most as often as the policy
//! allows per mobile, attempts counted in the same statement that checks them, used once),
//! counted attempts at other credentials, and revoked tokens. The counters are rows, so limits
//! hold across nodes.

use crate::db::{SqlStore, db_error, on_pool, on_tx};
use crate::people::ensure_account;
use async_trait::async_trait;
use sehat_domain::identity::{IdentityStore, MobileHash, NewOtp, OtpAttempt, OtpPolicy};
use sehat_domain::{DomainError, Rule};

#[async_trait]
impl IdentityStore for SqlStore {
    async fn create_otp(&self, otp: &NewOtp, policy: &OtpPolicy) -> Result<(), DomainError> {
        let now = self.clock.now_millis();
        let mut tx = self.begin_write().await?;
        ensure_account(
            &mut tx,
            &otp.mobile_hash,
            &otp.mobile_last4,
            Some(&otp.mobile_sealed),
            now,
        )
        .await?;
        // Touching the account row serialises OTP issuance per mobile on PostgreSQL (row lock);
        // SQLite's write lock is already held.
        on_tx!(&mut tx, c => sqlx::query("UPDATE accounts SET otp_lock = $2 WHERE mobile_hash = $1")
            .bind(otp.mobile_hash.as_str()).bind(now)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        let recent: Vec<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT created_at FROM otp_requests WHERE mobile_hash = $1 AND created_at > $2 ORDER BY created_at DESC")
            .bind(otp.mobile_hash.as_str()).bind(now - 86_400_000)
            .fetch_all(c).await.map_err(db_error))?;
        if let Some(retry_after_secs) = policy.wait_before_next(now, &recent) {
            return Err(DomainError::Rule(Rule::OtpRateLimited { retry_after_secs }));
        }
        let expires = now + i64::try_from(policy.ttl.whole_milliseconds()).unwrap_or(i64::MAX);
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO otp_requests (txn_id, mobile_hash, mobile_last4, purpose, code_hash, attempts, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7)")
            .bind(&otp.txn_id).bind(otp.mobile_hash.as_str()).bind(&otp.mobile_last4).bind(otp.purpose)
            .bind(&otp.code_hash).bind(now).bind(expires)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await
    }

    async fn attempt_otp(
        &self,
        txn_id: &str,
        max_attempts: u32,
    ) -> Result<OtpAttempt, DomainError> {
        let now = self.clock.now_millis();
        // The attempt is counted and the cap checked in the same statement, so parallel guesses
        // cannot exceed it.
        let mut tx = self.begin_write().await?;
        let row: Option<(String, String, String, String)> = on_tx!(&mut tx, c => sqlx::query_as(
            "UPDATE otp_requests SET attempts = attempts + 1 \
             WHERE txn_id = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3 \
             RETURNING mobile_hash, mobile_last4, purpose, code_hash")
            .bind(txn_id).bind(now).bind(i64::from(max_attempts))
            .fetch_optional(c).await.map_err(db_error))?;
        tx.commit().await?;
        if let Some((mobile_hash, mobile_last4, purpose, code_hash)) = row {
            return Ok(OtpAttempt {
                mobile_hash: MobileHash::from_stored(mobile_hash),
                mobile_last4,
                purpose,
                code_hash,
            });
        }
        let state: Option<(i64, Option<i64>, i64)> = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT attempts, used_at, expires_at FROM otp_requests WHERE txn_id = $1")
            .bind(txn_id).fetch_optional(p).await.map_err(db_error))?;
        Err(DomainError::Rule(match state {
            Some((attempts, None, expires))
                if expires > now && attempts >= i64::from(max_attempts) =>
            {
                Rule::OtpAttemptsExceeded
            }
            _ => Rule::OtpExpired,
        }))
    }

    async fn consume_otp(&self, txn_id: &str) -> Result<(), DomainError> {
        let mut tx = self.begin_write().await?;
        let done = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE otp_requests SET used_at = $2 WHERE txn_id = $1 AND used_at IS NULL")
            .bind(txn_id).bind(self.clock.now_millis())
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        // A confirmed mobile is an account from now on (v2 registers under the token's mobile,
        // which then needs no resending).
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO accounts (mobile_hash, mobile_last4, members, otp_lock, created_at) \
             SELECT mobile_hash, mobile_last4, 0, 0, $2 FROM otp_requests WHERE txn_id = $1 \
             ON CONFLICT (mobile_hash) DO NOTHING")
            .bind(txn_id).bind(self.clock.now_millis())
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await?;
        if done == 1 {
            Ok(())
        } else {
            Err(DomainError::Rule(Rule::OtpExpired))
        }
    }

    async fn take_attempt(
        &self,
        subject: &str,
        max: u32,
        window_ms: i64,
    ) -> Result<(), DomainError> {
        let now = self.clock.now_millis();
        let mut tx = self.begin_write().await?;
        let (attempts, window_start): (i64, i64) = on_tx!(&mut tx, c => sqlx::query_as(
            "INSERT INTO auth_attempts (subject, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (subject) DO UPDATE SET \
             window_start = CASE WHEN auth_attempts.window_start <= $3 THEN excluded.window_start ELSE auth_attempts.window_start END, \
             attempts = CASE WHEN auth_attempts.window_start <= $3 THEN 1 ELSE auth_attempts.attempts + 1 END \
             RETURNING attempts, window_start")
            .bind(subject).bind(now).bind(now - window_ms)
            .fetch_one(c).await.map_err(db_error))?;
        tx.commit().await?;
        if attempts > i64::from(max) {
            let retry_after_secs = ((window_start + window_ms - now) / 1000).max(1);
            return Err(DomainError::Rule(Rule::TooManyAttempts {
                retry_after_secs,
            }));
        }
        Ok(())
    }

    async fn revoke_token(&self, jti: &str, expires_at: i64) -> Result<(), DomainError> {
        let now = self.clock.now_millis() / 1000;
        let mut tx = self.begin_write().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti).bind(expires_at)
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        // Revocations outlive their tokens by nothing: forget the expired ones as we go.
        on_tx!(&mut tx, c => sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1")
            .bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.commit().await
    }

    async fn token_refused(
        &self,
        jti: &str,
        partner_key: Option<&str>,
        now: i64,
    ) -> Result<bool, DomainError> {
        on_pool!(&self.pool, p => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1) \
                 OR EXISTS (SELECT 1 FROM partner_keys WHERE id = $2 \
                            AND (revoked_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at <= $3)))")
            .bind(jti).bind(partner_key.unwrap_or("")).bind(now)
            .fetch_one(p).await.map_err(db_error))
    }
}
