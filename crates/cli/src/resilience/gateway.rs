//! A stand-in SMS gateway for the crash suite: it takes `POST /sms` as sehat's HTTP notifier
//! sends it, records each message under its `Idempotency-Key` (a repeat of a key is counted,
//! and would reach the phone once), and answers every tenth request 503 so that the outbox's
//! retries run too.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sehat_domain::values::Mobile;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the gateway accepted.
#[derive(Debug, Clone, Default)]
pub struct Deliveries {
    /// Key → (times accepted, the message, the mobile it went to).
    pub by_key: HashMap<String, (u32, String, String)>,
    /// Requests answered 503 on purpose.
    pub refused: u64,
    /// Requests without a key, a valid mobile or a message (answered 400).
    pub malformed: u64,
    requests: u64,
}

impl Deliveries {
    /// Accepted deliveries of a key after its first.
    pub fn repeats(&self) -> u64 {
        self.by_key
            .values()
            .map(|(n, _, _)| u64::from(n.saturating_sub(1)))
            .sum()
    }
}

/// A running gateway on a loopback port.
pub struct Gateway {
    /// Where sehat posts (`otp.http_url`).
    pub url: String,
    log: Arc<Mutex<Deliveries>>,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Starts it.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/sms", listener.local_addr()?);
        let log = Arc::new(Mutex::new(Deliveries::default()));
        let router = axum::Router::new()
            .route("/sms", axum::routing::post(accept))
            .with_state(log.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { url, log, task })
    }

    /// What it accepted so far.
    pub fn deliveries(&self) -> Deliveries {
        self.log.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// The server settings that send sehat's messages here, with a short lease and backoff so
    /// that a killed worker's jobs come back within the run.
    pub fn server_settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SEHAT__OTP__DELIVERY", "http".into()),
            ("SEHAT__OTP__HTTP_URL", self.url.clone()),
            ("SEHAT__OUTBOX__POLL_MS", "100".into()),
            ("SEHAT__OUTBOX__LEASE_SECS", "2".into()),
            ("SEHAT__OUTBOX__BACKOFF_BASE_SECS", "1".into()),
            ("SEHAT__OUTBOX__BACKOFF_MAX_SECS", "2".into()),
            ("SEHAT__OUTBOX__MAX_ATTEMPTS", "100".into()),
        ]
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(
    State(log): State<Arc<Mutex<Deliveries>>>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> StatusCode {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let mobile = v["mobile"].as_str().filter(|m| Mobile::parse(m).is_ok())?;
            Some((v["message"].as_str()?.to_owned(), mobile.to_owned()))
        });
    let Ok(mut log) = log.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    log.requests += 1;
    if log.requests % 10 == 0 {
        log.refused += 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match (key, message) {
        (Some(key), Some((message, mobile))) => {
            log.by_key.entry(key).or_insert((0, message, mobile)).0 += 1;
            StatusCode::OK
        }
        _ => {
            log.malformed += 1;
            StatusCode::BAD_REQUEST
        }
    }
}
