//! Per-address limits on the public (token-less) API: a GCRA bucket per client IP, held in
//! memory on each node, answered with 429 `SEHAT0429` and `Retry-After` when empty.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

/// How many public calls one address may make in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicLimit {
    /// Calls allowed per window (also the burst); 0 turns the limit off.
    pub calls: u32,
    /// The window.
    pub window: Duration,
    /// Take the client address from the last `X-Forwarded-For` hop (behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

impl Default for PublicLimit {
    fn default() -> Self {
        Self {
            calls: 100,
            window: Duration::from_secs(300),
            trust_forwarded_for: false,
        }
    }
}

/// The buckets of every address seen recently.
pub struct PublicLimiter {
    limit: PublicLimit,
    buckets: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl std::fmt::Debug for PublicLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicLimiter")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// Forget idle addresses once this many are tracked.
const TRACKED_ADDRESSES: usize = 100_000;

impl PublicLimiter {
    /// Buckets refilling `calls` per `window`, each holding up to `calls`.
    pub fn new(limit: PublicLimit) -> Self {
        let buckets = NonZeroU32::new(limit.calls).and_then(|calls| {
            let period = limit.window / calls.get();
            Quota::with_period(period).map(|q| RateLimiter::keyed(q.allow_burst(calls)))
        });
        Self { limit, buckets }
    }

    /// Counts one call from `ip`; refused with the seconds until the next one is allowed.
    pub fn check(&self, ip: IpAddr) -> Result<(), i64> {
        let Some(buckets) = &self.buckets else {
            return Ok(());
        };
        if buckets.len() > TRACKED_ADDRESSES {
            buckets.retain_recent();
        }
        buckets.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            i64::try_from(wait.as_secs()).unwrap_or(i64::MAX) + 1
        })
    }

    /// The client address of a request: the socket's peer, or the last `X-Forwarded-For` hop when
    /// the deployment says a proxy in front sets it.
    pub fn client_ip(&self, request: &Parts) -> IpAddr {
        if self.limit.trust_forwarded_for
            && let Some(ip) = request
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
        request
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
    }
}

/// A caller of the public API, counted against its address's limit: handlers that take one are
/// refused with 429 once the address has used its calls. It carries the address.
#[derive(Debug, Clone, Copy)]
pub struct PublicCaller(pub IpAddr);

impl FromRequestParts<AppState> for PublicCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = state.limiter.client_ip(parts);
        state
            .limiter
            .check(ip)
            .map(|()| Self(ip))
            .map_err(ApiError::rate_limited)
    }
}

/// The client address of a request (see [`PublicLimiter::client_ip`]), without counting the
/// call against the public limit.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(Self(state.limiter.client_ip(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_calls_then_a_retry_after_while_others_go_on() {
        let limiter = PublicLimiter::new(PublicLimit {
            calls: 3,
            window: Duration::from_secs(300),
            trust_forwarded_for: false,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            limiter.check(a).unwrap();
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(
            (1..=101).contains(&wait),
            "one call refills in 100 s: {wait}"
        );
        limiter.check(b).unwrap();
        let off = PublicLimiter::new(PublicLimit {
            calls: 0,
            ..PublicLimit::default()
        });
        for _ in 0..1000 {
            off.check(a).unwrap();
        }
    }
}
