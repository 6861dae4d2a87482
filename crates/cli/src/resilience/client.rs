//! A resilient client connection: one keep-alive HTTP/1.1 connection (the benchmark's), a
//! time limit per call after which the connection is dropped as an impatient client would,
//! and a reconnection on the next call.

use crate::bench::load::{self, Call};
use bytes::Bytes;
use http_body_util::Full;
use hyper::StatusCode;
use hyper::client::conn::http1::SendRequest;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// What became of one send.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The server answered.
    Answer(StatusCode, Bytes),
    /// No answer within the limit: the connection was dropped.
    TimedOut,
    /// The connection broke or could not be made.
    Broken(String),
}

/// One client connection to a server address.
pub struct Client {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    /// A client of the server at `addr` (connecting on first use).
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    /// Sends `call` and waits at most `limit` for the whole answer; on a timeout or a broken
    /// connection the connection is dropped, so the server sees the client go away.
    pub async fn send(&mut self, call: &Call, limit: Duration) -> Outcome {
        let sender = match self.sender.take() {
            Some(s) => s,
            None => match tokio::time::timeout(limit, load::connect(self.addr)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => return Outcome::Broken(format!("connect: {e}")),
                Err(_) => return Outcome::TimedOut,
            },
        };
        let mut sender = sender;
        match tokio::time::timeout(limit, load::send(&mut sender, call)).await {
            Ok(Ok((status, body))) => {
                self.sender = Some(sender);
                Outcome::Answer(status, body)
            }
            Ok(Err(e)) => Outcome::Broken(e.to_string()),
            Err(_) => Outcome::TimedOut,
        }
    }
}

/// The `errorCode` of a CoWIN error body, or the status when there is none.
pub fn error_code(status: StatusCode, body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["errorCode"].as_str().map(str::to_owned))
        .unwrap_or_else(|| status.as_u16().to_string())
}

/// An appointment as an answer named it: v1 by its 14-digit confirmation number, v2 by its UUID
/// (a v2 call takes either; a v1 call only the number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Named {
    /// v1's confirmation number.
    Number(i64),
    /// v2's UUID.
    Id(uuid::Uuid),
}

impl Named {
    /// As a v2 `appointment_id`.
    pub fn text(self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Id(id) => id.to_string(),
        }
    }

    /// The confirmation number, looking a UUID up in `numbers` (the database's, read back).
    pub fn number(self, numbers: &HashMap<uuid::Uuid, i64>) -> Option<i64> {
        match self {
            Self::Number(n) => Some(n),
            Self::Id(id) => numbers.get(&id).copied(),
        }
    }
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// Each appointment's confirmation number by its UUID, from the rows read back.
pub fn numbers_by_id(rows: &[sehat_store::inspect::AppointmentRow]) -> HashMap<uuid::Uuid, i64> {
    rows.iter()
        .map(|r| (r.appointment_id, r.appointment_no))
        .collect()
}

/// The appointment a schedule or v1 reschedule answer names (a number in v1, a UUID in v2).
pub fn appointment_number(body: &[u8]) -> Option<Named> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let n = &v["appointment_confirmation_no"];
    if let Some(text) = n.as_str()
        && let Ok(id) = uuid::Uuid::parse_str(text)
    {
        return Some(Named::Id(id));
    }
    n.as_i64()
        .or_else(|| n.as_str().and_then(|s| s.parse().ok()))
        .map(Named::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appointment_numbers_are_read_from_both_families() {
        assert_eq!(
            appointment_number(br#"{"appointment_confirmation_no":12345678901234}"#),
            Some(Named::Number(12_345_678_901_234))
        );
        assert_eq!(
            appointment_number(br#"{"appointment_confirmation_no":"12345678901234"}"#),
            Some(Named::Number(12_345_678_901_234))
        );
        let id = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
        assert_eq!(
            appointment_number(format!(r#"{{"appointment_confirmation_no":"{id}"}}"#).as_bytes()),
            Some(Named::Id(uuid::Uuid::parse_str(id).unwrap()))
        );
        assert_eq!(appointment_number(b"{}"), None);
        assert_eq!(
            error_code(
                StatusCode::CONFLICT,
                br#"{"errorCode":"APPOIN0040","error":"full"}"#
            ),
            "APPOIN0040"
        );
        assert_eq!(error_code(StatusCode::BAD_GATEWAY, b"oops"), "502");
    }
}
