//! The HTTP/1.1 server loop: how many connections a node holds, in all and per client address,
//! how long a client may take to send a request's head (slow clients, idle keep-alive
//! connections), and graceful shutdown.
//!
//! `axum::serve` sets no timer on hyper's connections, so a client that sends its headers one
//! byte at a time, or opens connections and sends nothing, would hold them (and their file
//! descriptors) for ever; nor does it cap connections. This loop is the same hyper server with
//! those limits.

use crate::error::ApiError;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// What one node allows its clients at the connection level.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections in all; past it a new connection is answered 503 and closed.
    pub max_connections: usize,
    /// Open connections from one client address (0: no cap). Past it a new connection from
    /// that address is answered 503 and closed. Behind a proxy every connection comes from the
    /// proxy: leave it 0 there.
    pub max_per_address: usize,
    /// Time from the start of a request (or from the end of the previous one, on a keep-alive
    /// connection) until its head must be complete; the connection is closed after it, so it is
    /// also the idle timeout of keep-alive connections (a proxy in front must keep its idle
    /// upstream connections for less). The body is bounded by the request deadline of the
    /// routes (`request_timeout`).
    pub header_timeout: Duration,
}

/// How long a refused connection is given to send its request and read the 503.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Refused connections being answered at once; past it a refused connection is closed without
/// an answer, so refusing cannot itself use up the file descriptors.
const REFUSALS_AT_ONCE: usize = 128;

/// Serves `app` on `listener` until `shutdown` is cancelled, then lets open connections finish
/// their requests (the caller bounds how long it waits for this future).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::new(limits.max_per_address));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // the listener itself is fine; pause so a full descriptor table can drain.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let admitted = Arc::clone(&slots)
            .try_acquire_owned()
            .ok()
            .zip(PerAddress::admit(&per_address, peer.ip()));
        match admitted {
            Some((slot, address)) => {
                let app = app.clone();
                let shutdown = shutdown.clone();
                connections.spawn(async move {
                    serve_connection(stream, peer, app, limits, shutdown).await;
                    drop((slot, address));
                });
            }
            None => {
                metrics::counter!("http_connections_refused_total").increment(1);
                if let Ok(refusal) = Arc::clone(&refusals).try_acquire_owned() {
                    connections.spawn(async move {
                        refuse(stream).await;
                        drop(refusal);
                    });
                }
            }
        }
    }
    // New clients are turned away at once rather than left in the backlog while the open
    // connections finish.
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let service = app.map_request(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let connection =
        builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Answers one request on a connection over a limit with 503 `SEHAT0503` and closes it.
async fn refuse(stream: TcpStream) {
    let service = hyper::service::service_fn(|_request: hyper::Request<Incoming>| async {
        let mut response = ApiError::too_many_connections().into_response();
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        Ok::<_, Infallible>(response)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .keep_alive(false)
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_TIMEOUT);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT * 2, connection).await;
}

/// Open connections per client address.
struct PerAddress {
    cap: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection of an address; it is counted until dropped.
struct AddressSlot {
    table: Arc<PerAddress>,
    address: IpAddr,
}

impl PerAddress {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a new connection from `address`, unless the address is at its cap. Without a cap
    /// nothing is counted.
    fn admit(table: &Arc<Self>, address: IpAddr) -> Option<Option<AddressSlot>> {
        if table.cap == 0 {
            return Some(None);
        }
        let mut open = table.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(address).or_insert(0);
        if *count >= table.cap {
            return None;
        }
        *count += 1;
        Some(Some(AddressSlot {
            table: Arc::clone(table),
            address,
        }))
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_at_its_cap_is_refused_until_one_of_its_connections_closes() {
        let table = Arc::new(PerAddress::new(2));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = PerAddress::admit(&table, a).unwrap();
        let second = PerAddress::admit(&table, a).unwrap();
        assert!(PerAddress::admit(&table, a).is_none());
        assert!(
            PerAddress::admit(&table, b).is_some(),
            "other addresses go on"
        );
        drop(first);
        assert!(PerAddress::admit(&table, a).is_some());
        drop(second);
    }

    #[test]
    fn without_a_cap_nothing_is_counted() {
        let table = Arc::new(PerAddress::new(0));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let slots: Vec<_> = (0..1000).map(|_| PerAddress::admit(&table, a)).collect();
        assert!(slots.iter().all(|s| matches!(s, Some(None))));
        assert!(table.open.lock().unwrap().is_empty());
    }
}
