//! Partner API keys on the admin API: issue (the key is shown once), rotate (a new key; the old
//! ones keep working for a grace period), list (never the secrets) and revoke (at once, with
//! every guest token issued under the key).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::AdminAuth;
use crate::http::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sehat_domain::credentials::{PartnerKey, issue_partner_key, parse_partner};
use sehat_domain::store::Store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The partner-key routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_key, list_keys))
        .routes(routes!(revoke_key))
}

/// `{partner}` in a path.
#[derive(Debug, Deserialize)]
pub struct PartnerPath {
    partner: String,
}

/// `{partner}/keys/{key_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct PartnerKeyPath {
    partner: String,
    key_id: String,
}

/// A key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyBody {
    /// The key's public id (the part after `sehat_`).
    key_id: String,
    /// The partner it belongs to.
    partner: String,
    /// Issued at (ms since the epoch).
    created_at: i64,
    /// Retired from (ms), after a rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    /// Revoked at (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<i64>,
    /// Whether it is accepted now.
    active: bool,
}

impl KeyBody {
    fn of(key: PartnerKey, now: i64) -> Self {
        Self {
            active: key.active(now),
            key_id: key.id,
            partner: key.partner,
            created_at: key.created_at,
            expires_at: key.expires_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// `{"previous_keys_valid_for_seconds"}`: a rotation retires the partner's other keys after this
/// long (0: now). Without it (`{}`) the other keys stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    #[schema(example = 86400, minimum = 0, maximum = 31_536_000)]
    previous_keys_valid_for_seconds: Option<u32>,
}

/// The longest grace a rotation gives the old keys: a year.
const MAX_GRACE_SECS: u32 = 31_536_000;

/// A new key: `api_key` is shown this once and cannot be read again.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedBody {
    /// Send it as the `x-api-key` header of `POST /api/v1/auth/guest/login`.
    api_key: String,
    /// The key.
    #[serde(flatten)]
    key: KeyBody,
}

/// Issue a partner API key, or rotate: with `previous_keys_valid_for_seconds`, the partner's
/// other keys stop being accepted after that grace period.
#[utoipa::path(post, path = "/admin/v1/partners/{partner}/keys", tag = "admin",
    params(("partner" = String, Path, description = "the partner's name: 1-64 letters, digits, . _ -")),
    request_body = IssueBody, security(("admin_token" = [])),
    responses((status = 201, body = IssuedBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn issue_key(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiPath(PartnerPath { partner }): ApiPath<PartnerPath>,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<(StatusCode, Json<IssuedBody>), ApiError> {
    let (key, secret) = issue(
        &state,
        admin.store.as_ref(),
        &partner,
        body.previous_keys_valid_for_seconds,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedBody {
            api_key: secret,
            key: KeyBody::of(key, state.clock.now_millis()),
        }),
    ))
}

/// Issues a key to `partner` (a rotation when `grace_secs` is given: the partner's other keys
/// stop after it): the key and its secret, to be shown once.
pub(crate) async fn issue(
    state: &AppState,
    store: &dyn Store,
    partner: &str,
    grace_secs: Option<u32>,
) -> Result<(PartnerKey, String), ApiError> {
    let grace = match grace_secs {
        Some(s) if s > MAX_GRACE_SECS => {
            return Err(ApiError::invalid(
                "previous_keys_valid_for_seconds",
                "must be at most 31536000 (a year)",
            ));
        }
        other => other.map(|s| i64::from(s) * 1000),
    };
    let (key, secret) = issue_partner_key(store, &state.identity, partner, grace).await?;
    Ok((key, secret.expose().to_owned()))
}

/// A partner's keys, newest first (never their secrets).
#[utoipa::path(get, path = "/admin/v1/partners/{partner}/keys", tag = "admin",
    params(("partner" = String, Path, description = "the partner's name")), security(("admin_token" = [])),
    responses((status = 200, body = Vec<KeyBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_keys(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiPath(PartnerPath { partner }): ApiPath<PartnerPath>,
) -> Result<Json<Vec<KeyBody>>, ApiError> {
    let partner = parse_partner(&partner)?;
    let now = state.clock.now_millis();
    let keys = admin.store.partner_keys(&partner).await?;
    Ok(Json(
        keys.into_iter().map(|k| KeyBody::of(k, now)).collect(),
    ))
}

/// Revoke a key at once: guest logins with it and guest tokens issued under it are refused from
/// now on, on every node.
#[utoipa::path(delete, path = "/admin/v1/partners/{partner}/keys/{key_id}", tag = "admin",
    params(("partner" = String, Path, description = "the partner's name"), ("key_id" = String, Path, description = "the key's id")),
    security(("admin_token" = [])),
    responses((status = 200, body = KeyBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_key(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiPath(PartnerKeyPath { partner, key_id }): ApiPath<PartnerKeyPath>,
) -> Result<Json<KeyBody>, ApiError> {
    let partner = parse_partner(&partner)?;
    let key = admin.store.revoke_partner_key(&partner, &key_id).await?;
    Ok(Json(KeyBody::of(key, state.clock.now_millis())))
}
