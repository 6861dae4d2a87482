//! Delivery of OTP messages: printed on standard output (development), posted to an SMS gateway
//! (production), or not sent at all in sandbox mode, where the API response carries the OTP as
//! spec 000's SIT samples do.

use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::values::Mobile;

/// How OTPs reach people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpDelivery {
    /// Not sent; echoed in the response. Testing only.
    Sandbox,
    /// Printed on standard output.
    Console,
    /// Posted to an SMS gateway.
    Http,
}

/// One text message. `Debug` shows neither the recipient nor the text (an OTP is in it).
#[derive(Clone, Copy)]
pub struct Sms<'a> {
    /// The recipient.
    pub to: &'a Mobile,
    /// The message.
    pub text: &'a str,
    /// The same on every attempt to send this message (the OTP's `txnId`, an outbox job's key):
    /// a gateway that keeps it can drop a repeat.
    pub key: &'a str,
}

impl std::fmt::Debug for Sms<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sms")
            .field("to", self.to)
            .field("text", &"<redacted>")
            .field("key", &self.key)
            .finish()
    }
}

/// Sends a text message.
#[async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// Sends one message.
    async fn send_sms(&self, sms: &Sms<'_>) -> Result<(), DomainError>;
}

/// Prints messages on standard output (the recipient masked).
#[derive(Debug, Default)]
pub struct ConsoleNotifier;

#[async_trait]
impl Notifier for ConsoleNotifier {
    async fn send_sms(&self, sms: &Sms<'_>) -> Result<(), DomainError> {
        use std::io::Write;
        // Not `println!`: a closed standard output must not take the request down with it.
        let mut out = std::io::stdout().lock();
        writeln!(out, "SMS to {}: {}", sms.to.masked(), sms.text)
            .and_then(|()| out.flush())
            .map_err(|e| DomainError::Unavailable(e.into()))
    }
}

/// Sends nothing (sandbox mode).
#[derive(Debug, Default)]
pub struct NoNotifier;

#[async_trait]
impl Notifier for NoNotifier {
    async fn send_sms(&self, _: &Sms<'_>) -> Result<(), DomainError> {
        Ok(())
    }
}

/// Posts `{"mobile": "9876543210", "message": "…"}` to an SMS gateway URL, with the message's
/// key as the `Idempotency-Key` header.
#[derive(Debug)]
pub struct HttpNotifier {
    client: reqwest::Client,
    url: String,
}

impl HttpNotifier {
    /// A notifier posting to `url`.
    pub fn new(url: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self { client, url }
    }
}

#[async_trait]
impl Notifier for HttpNotifier {
    async fn send_sms(&self, sms: &Sms<'_>) -> Result<(), DomainError> {
        let body = serde_json::json!({ "mobile": sms.to.expose(), "message": sms.text });
        let response = self
            .client
            .post(&self.url)
            .header("Idempotency-Key", sms.key)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                DomainError::Unavailable(
                    format!("SMS gateway unreachable: {}", e.without_url()).into(),
                )
            })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(DomainError::Unavailable(
                format!("SMS gateway answered {}", response.status()).into(),
            ))
        }
    }
}
