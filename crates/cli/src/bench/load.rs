//! The load client: keep-alive HTTP/1.1 connections on loopback, driven either as fast as the
//! server answers (closed loop, for throughput) or at a fixed offered rate (open loop, for
//! latency: each request's time counts from when it was due, so a stalled server is not hidden
//! by the client waiting with it).

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// One request to send.
#[derive(Debug, Clone)]
pub struct Call {
    /// GET or POST.
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// `Authorization: Bearer …`.
    pub token: Option<Arc<str>>,
    /// `X-Forwarded-For`: the client address the server's per-address limit sees.
    pub client_ip: Option<String>,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// JSON body (POST).
    pub body: Option<Bytes>,
    /// What the workload wants to remember about this call when judging its answer.
    pub tag: u64,
    /// Which kind of call, for the per-kind figures.
    pub kind: &'static str,
}

impl Call {
    /// A GET.
    pub fn get(kind: &'static str, path: String) -> Self {
        Self {
            method: Method::GET,
            path,
            token: None,
            client_ip: None,
            idempotency_key: None,
            body: None,
            tag: 0,
            kind,
        }
    }

    /// A POST with a JSON body.
    pub fn post(kind: &'static str, path: String, body: &serde_json::Value) -> Self {
        Self {
            method: Method::POST,
            body: Some(Bytes::from(body.to_string())),
            ..Self::get(kind, path)
        }
    }
}

/// How an answer counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Did what was asked.
    Done,
    /// Refused as the API documents (full, already booked, rate limited, …): a correct answer.
    Refused,
    /// A server error, a broken connection or an answer the workload did not expect.
    Failed,
}

/// What drives a run: the next call for a connection, and the judgement of its answer.
pub trait Workload: Send + Sync {
    /// The next call, or `None` when the workload is exhausted.
    fn next(&self, rng: &mut SmallRng) -> Option<Call>;
    /// Judges an answer (and may remember it, e.g. a booking to cancel later).
    fn judge(&self, call: &Call, status: StatusCode, body: &[u8]) -> Verdict;
    /// A call that must follow this answer on the same connection (the next step of a flow).
    fn follow(&self, _call: &Call, _status: StatusCode, _body: &[u8]) -> Option<Call> {
        None
    }
}

/// How to drive a run.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// As fast as answers come, on this many connections.
    Closed {
        /// Connections.
        connections: usize,
    },
    /// This many requests per second in all, spread over this many connections.
    Open {
        /// Connections.
        connections: usize,
        /// Offered load.
        per_second: f64,
    },
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    /// Answers measured.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Self {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Self {
            count: h.len(),
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: h.max() as f64 / 1000.0,
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunResult {
    /// Wall time, seconds.
    pub seconds: f64,
    /// Answers received.
    pub requests: u64,
    /// Answers per second.
    pub per_second: f64,
    /// Calls that did what was asked.
    pub done: u64,
    /// Calls refused as documented.
    pub refused: u64,
    /// Server errors, broken connections, unexpected answers.
    pub failed: u64,
    /// Latency of all answers.
    pub latency: Latency,
    /// Latency of successful answers.
    pub done_latency: Latency,
    /// Latency of refusals.
    pub refused_latency: Latency,
    /// Per kind of call: (kind, answers, latency).
    pub kinds: Vec<(String, Latency)>,
    /// When the last successful answer came, seconds from the start.
    pub last_done_seconds: f64,
    /// The first failure, for the report.
    pub first_failure: Option<String>,
}

struct Tally {
    all: Histogram<u64>,
    done: Histogram<u64>,
    refused: Histogram<u64>,
    kinds: Vec<(&'static str, Histogram<u64>)>,
    failed: u64,
    first_failure: Option<String>,
    last_done: Duration,
}

fn histogram() -> Histogram<u64> {
    // Microseconds, 1 µs to 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

impl Tally {
    fn new() -> Self {
        Self {
            all: histogram(),
            done: histogram(),
            refused: histogram(),
            kinds: Vec::new(),
            failed: 0,
            first_failure: None,
            last_done: Duration::ZERO,
        }
    }

    fn record(&mut self, kind: &'static str, verdict: Verdict, micros: u64) {
        let micros = micros.clamp(1, 60_000_000);
        self.all.saturating_record(micros);
        match verdict {
            Verdict::Done => self.done.saturating_record(micros),
            Verdict::Refused => self.refused.saturating_record(micros),
            Verdict::Failed => self.failed += 1,
        }
        match self.kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, h)) => h.saturating_record(micros),
            None => {
                let mut h = histogram();
                h.saturating_record(micros);
                self.kinds.push((kind, h));
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        let _ = self.all.add(&other.all);
        let _ = self.done.add(&other.done);
        let _ = self.refused.add(&other.refused);
        self.failed += other.failed;
        self.last_done = self.last_done.max(other.last_done);
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
        for (kind, h) in other.kinds {
            match self.kinds.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, mine)) => {
                    let _ = mine.add(&h);
                }
                None => self.kinds.push((kind, h)),
            }
        }
    }
}

pub async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Sends one call and reads its whole answer.
pub async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    call: &Call,
) -> anyhow::Result<(StatusCode, Bytes)> {
    let mut request = Request::builder()
        .method(call.method.clone())
        .uri(&call.path)
        .header("host", "bench")
        .header("accept", "application/json");
    if let Some(token) = &call.token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(ip) = &call.client_ip {
        request = request.header("x-forwarded-for", ip);
    }
    if let Some(key) = &call.idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let body = match &call.body {
        Some(b) => {
            request = request.header("content-type", "application/json");
            b.clone()
        }
        None => Bytes::new(),
    };
    sender.ready().await?;
    let response = sender.send_request(request.body(Full::new(body))?).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((status, bytes))
}

/// Runs `workload` against `addr` until `duration` has passed or the workload is exhausted.
pub async fn run(
    addr: SocketAddr,
    workload: Arc<dyn Workload>,
    pace: Pace,
    duration: Duration,
    seed: u64,
) -> anyhow::Result<RunResult> {
    let (connections, interval) = match pace {
        Pace::Closed { connections } => (connections.max(1), None),
        Pace::Open {
            connections,
            per_second,
        } => {
            let connections = connections.max(1);
            let every = Duration::from_secs_f64(connections as f64 / per_second.max(1.0));
            (connections, Some(every))
        }
    };
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for i in 0..connections {
        let workload = workload.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng =
                SmallRng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut tally = Tally::new();
            let mut sender = match connect(addr).await {
                Ok(s) => s,
                Err(e) => {
                    tally.failed += 1;
                    tally.first_failure = Some(format!("connect: {e}"));
                    return tally;
                }
            };
            // Open loop: connection i's k-th call is due at start + (k + i/n) × interval.
            let offset = interval.map(|every| every.mul_f64(i as f64 / connections as f64));
            let mut k: u32 = 0;
            loop {
                let due = match (interval, offset) {
                    (Some(every), Some(offset)) => {
                        let due = started + offset + every * k;
                        k += 1;
                        if due >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    _ => {
                        let now = Instant::now();
                        if now >= deadline {
                            break;
                        }
                        now
                    }
                };
                let Some(mut call) = workload.next(&mut rng) else {
                    break;
                };
                let mut due = due;
                loop {
                    let answer = send(&mut sender, &call).await;
                    let micros = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX);
                    let mut follow = None;
                    let verdict = match answer {
                        Ok((status, body)) => {
                            let verdict = workload.judge(&call, status, &body);
                            follow = workload.follow(&call, status, &body);
                            if verdict == Verdict::Done {
                                tally.last_done = tally.last_done.max(started.elapsed());
                            }
                            if verdict == Verdict::Failed && tally.first_failure.is_none() {
                                tally.first_failure = Some(format!(
                                    "{} {} → {status}: {}",
                                    call.method,
                                    call.path,
                                    String::from_utf8_lossy(&body[..body.len().min(300)])
                                ));
                            }
                            verdict
                        }
                        Err(e) => {
                            if tally.first_failure.is_none() {
                                tally.first_failure =
                                    Some(format!("{} {}: {e}", call.method, call.path));
                            }
                            match connect(addr).await {
                                Ok(s) => sender = s,
                                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                            }
                            Verdict::Failed
                        }
                    };
                    tally.record(call.kind, verdict, micros);
                    match follow {
                        Some(next) => {
                            call = next;
                            due = Instant::now();
                        }
                        None => break,
                    }
                }
            }
            tally
        }));
    }
    let mut total = Tally::new();
    for task in tasks {
        total.merge(task.await?);
    }
    let seconds = started.elapsed().as_secs_f64();
    if let Some(failure) = &total.first_failure {
        tracing::warn!(failed = total.failed, first = %failure, "some calls failed");
    }
    let requests = total.all.len();
    Ok(RunResult {
        seconds,
        requests,
        per_second: requests as f64 / seconds.max(1e-9),
        done: total.done.len(),
        refused: total.refused.len(),
        failed: total.failed,
        latency: Latency::of(&total.all),
        done_latency: Latency::of(&total.done),
        refused_latency: Latency::of(&total.refused),
        kinds: total
            .kinds
            .iter()
            .map(|(k, h)| ((*k).to_owned(), Latency::of(h)))
            .collect(),
        last_done_seconds: total.last_done.as_secs_f64(),
        first_failure: total.first_failure,
    })
}

/// Opens `n` keep-alive connections, makes one call on each, and keeps them open until the
/// returned guard is dropped (to measure what an idle connection costs the server).
pub async fn hold_idle(
    addr: SocketAddr,
    n: usize,
    path: &str,
) -> anyhow::Result<Vec<SendRequest<Full<Bytes>>>> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        let mut sender = connect(addr).await?;
        send(&mut sender, &Call::get("idle", path.to_owned())).await?;
        held.push(sender);
    }
    Ok(held)
}
