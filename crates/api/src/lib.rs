//! sehat's HTTP surface: one folder per API family over the shared core, the HTTP plumbing they
//! share, the documents they render, and the operational endpoints.
//!
//! A tour, in the order a newcomer needs it:
//! - the API families, each a folder whose `mod.rs` names its spec and lists its routes:
//!   [`cowin_v1`], [`cowin_v2`], the [`vaccinator`] desk, [`certificates`] and sehat's own
//!   [`admin`] API;
//! - [`http`]: what every family shares for HTTP — the server loop, telemetry, extractors,
//!   tokens, rate limits, idempotency keys, and what the OpenAPI document says once for all;
//! - [`error`]: the CoWIN-family error body, which the admin API and the shared layers use too;
//! - the documents (the slip, the certificate, the captcha image) are drawn by the
//!   `sehat-render` crate;
//! - the services behind the handlers: [`notify`] (OTP delivery), [`outbox`] (the worker that
//!   sends what bookings leave behind) and [`cache`] (searches and sold-out slots in memory);
//! - [`ops`]: health, readiness, metrics, the OpenAPI document and its docs page.
//!
//! A request flows one way: router → extractors (token, JSON into request types) → conversion
//! into `sehat-domain` types (invalid input stops here) → one `Store` call. Handlers hold no
//! SQL; errors become wire bodies in [`error`], in one `match`.

/// The admin API: centres, sessions, utilization, the bulk facility upload, partner keys.
pub mod admin;
/// What a node keeps in memory about seats: area searches and sold-out slots.
pub mod cache;
/// Vaccination certificates: the issuer, downloads, verification, revocation.
pub mod certificates;
/// The CoWIN v1 registration and appointment API (spec 000).
pub mod cowin_v1;
/// The CoWIN v2 API of third-party apps: search, the live feed, logins, booking and the slip.
pub mod cowin_v2;
/// The CoWIN-family error body `{"errorCode","error"}` and the mapping of domain errors onto it.
pub mod error;
/// Request-body parsing for the fuzz targets in `fuzz/` (feature `fuzzing`; not an API).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
/// What the families share for HTTP: server loop, telemetry, extractors, tokens, rate limits.
pub mod http;
/// OTP delivery: console, SMS gateway, or sandbox.
pub mod notify;
/// `/healthz`, `/readyz`, `/metrics`, `/openapi.json` and the API docs page.
pub mod ops;
/// The outbox worker: runs the jobs bookings leave behind (text messages), with retries.
pub mod outbox;
/// The vaccinator API: OTP login, the desk's searches, walk-ins, recording doses.
pub mod vaccinator;
/// The web app at `/`: citizens, the vaccinator's desk, administrators, certificate checks.
pub mod web;

use http::auth::SecurityAddon;
use http::{auth, error_responses, rate_limit, wire_formats};
use sehat_domain::clock::Clock;
use sehat_domain::gazetteer::Gazetteer;
use sehat_domain::identity::{IdentityKey, OtpPolicy};
use sehat_domain::store::Store;
use std::sync::Arc;
use std::time::Duration;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Settings the HTTP layer needs, taken from the server's configuration.
#[derive(Clone)]
pub struct ApiConfig {
    /// The admin API's bearer token; without one the admin API answers 401.
    pub admin_token: Option<String>,
    /// Largest ordinary request body, in bytes.
    pub body_limit_bytes: usize,
    /// Web origins allowed to call the API from a browser (CORS); empty: none.
    pub cors_allowed_origins: Vec<String>,
    /// Largest facility upload, in bytes (it is streamed, never held in memory).
    pub upload_limit_bytes: usize,
    /// How long one request may take.
    pub request_timeout: Duration,
    /// How long a facility upload may take.
    pub upload_timeout: Duration,
    /// How OTPs are delivered.
    pub otp_delivery: notify::OtpDelivery,
    /// The limits on OTPs.
    pub otp_policy: OtpPolicy,
    /// Most beneficiaries one mobile may register.
    pub family_size: u32,
    /// Calls per address on the public API.
    pub public_limit: rate_limit::PublicLimit,
    /// Whether v2 `schedule` demands the answer to a `getRecaptcha` captcha.
    pub captcha_required: bool,
    /// How the availability feed polls and how long it keeps changes.
    pub feed: cowin_v2::feed::FeedConfig,
    /// Where clients reach this deployment (`https://sehat.example.org`): the certificates'
    /// issuer is `did:web` of its host, and their links point there.
    pub public_url: String,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("upload_limit_bytes", &self.upload_limit_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("upload_timeout", &self.upload_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            admin_token: None,
            body_limit_bytes: 1024 * 1024,
            cors_allowed_origins: Vec::new(),
            upload_limit_bytes: 256 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(30 * 60),
            otp_delivery: notify::OtpDelivery::Console,
            otp_policy: OtpPolicy::default(),
            family_size: 4,
            public_limit: rate_limit::PublicLimit::default(),
            captcha_required: false,
            feed: cowin_v2::feed::FeedConfig::default(),
            public_url: "http://localhost:8080".to_owned(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The storage.
    pub store: Arc<dyn Store>,
    /// Reference data indexed in memory.
    pub gazetteer: Arc<Gazetteer>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// HTTP settings.
    pub config: Arc<ApiConfig>,
    /// Signs and checks API tokens.
    pub tokens: Arc<auth::TokenKeys>,
    /// Hashes mobiles, photo IDs and OTPs.
    pub identity: Arc<IdentityKey>,
    /// Delivers OTPs.
    pub notifier: Arc<dyn notify::Notifier>,
    /// Per-address limits on the public API.
    pub limiter: Arc<rate_limit::PublicLimiter>,
    /// The live availability feed.
    pub feed: Arc<cowin_v2::feed::Feed>,
    /// Area searches already read, until a change makes them stale.
    pub search_cache: Arc<cache::searches::SearchCache>,
    /// Slots found sold out, until seats may have come free.
    pub sold_out: Arc<cache::sold_out::SoldOut>,
    /// Signs, checks and draws vaccination certificates.
    pub certificates: Arc<certificates::Issuer>,
    /// The vaccines' schedules and names, read from the master data on first use.
    catalogue: Arc<tokio::sync::OnceCell<Arc<sehat_domain::vaccination::VaccineCatalogue>>>,
}

impl AppState {
    /// The state of one node, with its limiter and feed made from the configuration.
    pub fn new(
        store: Arc<dyn Store>,
        gazetteer: Arc<Gazetteer>,
        clock: Arc<dyn Clock>,
        config: ApiConfig,
        tokens: auth::TokenKeys,
        identity: IdentityKey,
        notifier: Arc<dyn notify::Notifier>,
    ) -> Self {
        let search_cache = Arc::new(cache::searches::SearchCache::new(200_000));
        let sold_out = Arc::new(cache::sold_out::SoldOut::default());
        let (cache, sold) = (search_cache.clone(), sold_out.clone());
        store.watch_changes(Arc::new(move |touched| {
            cache.invalidate(touched);
            sold.forget(touched);
        }));
        let certificates = Arc::new(certificates::Issuer::ephemeral(&config.public_url));
        Self {
            certificates,
            catalogue: Arc::default(),
            search_cache,
            sold_out,
            limiter: Arc::new(rate_limit::PublicLimiter::new(config.public_limit)),
            feed: Arc::new(cowin_v2::feed::Feed::new(config.feed)),
            store,
            gazetteer,
            clock,
            config: Arc::new(config),
            tokens: Arc::new(tokens),
            identity: Arc::new(identity),
            notifier,
        }
    }

    /// The vaccines' schedules and names (read once; a master-data import happens at start).
    pub async fn catalogue(
        &self,
    ) -> Result<Arc<sehat_domain::vaccination::VaccineCatalogue>, error::ApiError> {
        let catalogue = self
            .catalogue
            .get_or_try_init(|| async {
                sehat_domain::vaccination::VaccineCatalogue::load(self.store.as_ref())
                    .await
                    .map(Arc::new)
            })
            .await?;
        Ok(catalogue.clone())
    }

    /// The same state with the deployment's certificate keys (the state starts with a key
    /// made for this process alone, which suits tests and nothing else).
    #[must_use]
    pub fn with_certificates(mut self, issuer: certificates::Issuer) -> Self {
        self.certificates = Arc::new(issuer);
        self
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sehat",
        description = "Open-source platform for public health services: registration, centres and slots, booking, certificates and consent. This document covers every HTTP API sehat serves.",
        license(name = "Apache-2.0")
    ),
    components(schemas(
        error::ErrorBody,
        cowin_v2::feed::FeedEvent,
        wire_formats::CowinDate,
        wire_formats::AnyDate,
        wire_formats::PincodeText,
        wire_formats::ReferenceNumber,
        wire_formats::ReferenceText
    )),
    modifiers(&SecurityAddon),
    tags(
        (name = "vaccinator", description = "The vaccinator API at CoWIN's paths: OTP login with the desk system's x-api-key, find, register on the spot, walk-ins, record a dose, certificates."),
        (name = "certificates", description = "Vaccination certificates (DIVOC's W3C credential): download, verify, revocation, the issuer's DID document."),
        (name = "admin", description = "Administration: centres, sessions, utilization, bulk facility upload. Bearer admin token."),
        (name = "ops", description = "Health, readiness, metrics and this document.")
    )
)]
struct ApiDoc;

/// Every route with its OpenAPI description, before state is attached.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(admin::router())
        .merge(cowin_v1::router())
        .merge(cowin_v2::router())
        .merge(vaccinator::router())
        .merge(certificates::router())
        .merge(ops::router())
}

/// The routes and the OpenAPI document of everything sehat serves.
fn routes_and_doc() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = routes().split_for_parts();
    error_responses::add(&mut doc);
    (router, doc)
}

/// The OpenAPI document of everything sehat serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes_and_doc().1
}

/// The whole application: routes, docs and middleware.
pub fn app(state: AppState) -> axum::Router {
    http::telemetry::metrics_handle();
    let (router, doc) = routes_and_doc();
    let router = ops::with_docs(router, doc).merge(web::router(&state));
    http::telemetry::layers(router, &state.config).with_state(state)
}
