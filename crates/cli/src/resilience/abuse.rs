//! Suite 7: resource abuse. While ordinary citizens search at a steady rate, attackers send
//! oversized and deeply nested bodies, hold connections open with slow or no requests, upload a
//! huge facility file, and ask for unbounded pages. Gates: each abuse gets its documented answer
//! (413, 400, 408, 503, a closed connection) in bounded time, the server's memory stays within a
//! bound set by its limits, and the citizens' calls all succeed with their latency close to the
//! baseline measured in the same run.
//!
//! Attackers connect from loopback addresses of their own (127.0.0.2 and up), so the
//! per-address connection cap counts them and not the citizens (127.0.0.1).

use super::{Prepared, free_addr, gate, round, say};
use crate::bench::load::{self, Pace, RunResult};
use crate::bench::scenarios::Search;
use crate::bench::server;
use crate::keys;
use anyhow::Context;
use sehat_domain::facility_csv::REQUIRED_COLUMNS;
use sehat_store::Backend;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The limits the server under test runs with, and how hard each abuse pushes.
struct Plan {
    header_timeout: Duration,
    request_timeout: Duration,
    per_address: usize,
    body_limit: usize,
    upload_limit: usize,
    /// Attackers sending oversized or deep bodies at once.
    body_attackers: usize,
    /// Slow connections (a third each: slow head, slow body, nothing at all).
    slow_connections: usize,
    /// Size of the huge (but allowed) facility upload.
    csv_bytes: usize,
    /// Citizens' searches per second during every phase.
    citizen_rate: f64,
    /// How long the citizens are measured in the phases without a natural end.
    phase: Duration,
    /// The admin API's token (uploads and admin lists).
    admin_token: String,
    /// A citizen's token, for the protected lists.
    citizen_token: String,
}

impl Plan {
    fn new(fast: bool, admin_token: String, citizen_token: String) -> Self {
        if fast {
            Self {
                header_timeout: Duration::from_secs(2),
                request_timeout: Duration::from_secs(3),
                per_address: 64,
                body_limit: 1024 * 1024,
                upload_limit: 20 * 1024 * 1024,
                body_attackers: 16,
                slow_connections: 300,
                csv_bytes: 16 * 1024 * 1024,
                citizen_rate: 60.0,
                phase: Duration::from_secs(3),
                admin_token,
                citizen_token,
            }
        } else {
            // The built-in defaults (config/sehat.example.toml) but the upload limit, which is
            // lowered so the huge file takes a minute rather than a quarter of an hour.
            Self {
                header_timeout: Duration::from_secs(10),
                request_timeout: Duration::from_secs(30),
                per_address: 256,
                body_limit: 1024 * 1024,
                upload_limit: 64 * 1024 * 1024,
                // As many as the fast form, for ten times as long: 64 nonstop attackers on the
                // machine's two cores take the CPU from the server and its citizens alike.
                body_attackers: 16,
                slow_connections: 3_000,
                csv_bytes: 60 * 1024 * 1024,
                citizen_rate: 100.0,
                phase: Duration::from_secs(10),
                admin_token,
                citizen_token,
            }
        }
    }

    /// The most memory an attack may add to the server's resident size over the phase: for the
    /// upload, a quarter of the file and 8 MiB (it is spooled and streamed, so it must not grow
    /// with the file); for slow clients, 128 KiB a connection; for the others, every body
    /// attacker's body buffered at the limit; and 64 MiB for the rest (the allocator's slack).
    fn memory_bound_kib(&self, attack: Attack) -> u64 {
        let bytes = match attack {
            Attack::Upload => self.csv_bytes / 4 + 8 * 1024 * 1024,
            // An open connection costs its task, its socket and hyper's read buffer: about
            // 20-35 KiB each in a debug build, measured alone; 128 KiB leaves room for the
            // allocator under the churn of thousands opening and closing at once.
            Attack::Slow => self.slow_connections * 128 * 1024 + 64 * 1024 * 1024,
            _ => self.body_attackers * self.body_limit + 64 * 1024 * 1024,
        };
        (bytes / 1024) as u64
    }
}

/// Runs the suite on one database and returns its report entry.
pub async fn run(
    args: &super::ResilienceArgs,
    backend: Backend,
    dir: &Path,
    keys: &keys::Keys,
) -> anyhow::Result<Value> {
    let name = format!("abuse on {backend:?}");
    let url =
        super::fresh_database(backend, "sehat_resilience_abuse", dir, &args.postgres_url).await?;
    let prepared = Prepared::build(&url, super::tier(200, 2, 10), args.seed, keys, &name).await?;
    let citizen_token = prepared
        .shared
        .token(0)
        .context("signing a citizen's token")?;
    let plan = Arc::new(Plan::new(
        args.fast,
        format!("abuse-{}", uuid::Uuid::new_v4().simple()),
        citizen_token.to_string(),
    ));
    let addr = free_addr()?;
    let log = format!("abuse-{backend:?}.log").to_lowercase();
    let server = prepared
        .serve_with(
            addr,
            dir,
            &log,
            &[
                ("SEHAT__ADMIN__TOKEN", plan.admin_token.clone()),
                // The citizens' searches all come from 127.0.0.1.
                ("SEHAT__PUBLIC_API__CALLS_PER_WINDOW", "0".into()),
                (
                    "SEHAT__SERVER__MAX_CONNECTIONS_PER_ADDRESS",
                    plan.per_address.to_string(),
                ),
                (
                    "SEHAT__SERVER__HEADER_TIMEOUT_SECS",
                    plan.header_timeout.as_secs().to_string(),
                ),
                (
                    "SEHAT__SERVER__REQUEST_TIMEOUT_SECS",
                    plan.request_timeout.as_secs().to_string(),
                ),
                (
                    "SEHAT__SERVER__BODY_LIMIT_BYTES",
                    plan.body_limit.to_string(),
                ),
                (
                    "SEHAT__SERVER__UPLOAD_LIMIT_BYTES",
                    plan.upload_limit.to_string(),
                ),
            ],
        )
        .await?;
    let memory = Memory::watch(server.pid());
    let citizens = Citizens {
        addr,
        workload: Arc::new(Search(prepared.shared.clone())),
        rate: plan.citizen_rate,
        seed: args.seed,
    };
    let mut gates = Vec::new();
    let mut phases = Vec::new();
    let started = Instant::now();

    say(&format!("{name}: baseline (citizens only)"));
    memory.reset();
    let baseline = citizens.measure(plan.phase).await?;
    let connections_before = open_connections(addr.port());
    let baseline_peak = memory.peak();
    phases.push(phase_figures(
        "baseline",
        &baseline,
        &baseline,
        baseline_peak,
        &json!({}),
    ));

    let attacks: [(&str, Attack); 5] = [
        ("oversized bodies", Attack::Oversized),
        ("deep JSON", Attack::Deep),
        ("slow clients", Attack::Slow),
        ("huge facility upload", Attack::Upload),
        ("unbounded pages", Attack::Pages),
    ];
    for (label, attack) in attacks {
        say(&format!("{name}: {label}"));
        let start_rss = server::rss_kib(server.pid());
        memory.reset();
        let stop = Arc::new(AtomicBool::new(false));
        let attack_task = tokio::spawn(attack.run(addr, plan.clone(), stop.clone()));
        let during = citizens.measure(attack.citizen_window(&plan)).await?;
        stop.store(true, Ordering::Relaxed);
        let (figures, attack_gates) = attack_task.await??;
        let peak = memory.peak();
        for (gate_name, ok, detail) in attack_gates {
            gate(&mut gates, &format!("{label}: {gate_name}"), ok, detail);
        }
        citizen_gates(&mut gates, label, &baseline, &during);
        let growth = peak.saturating_sub(start_rss);
        let bound = plan.memory_bound_kib(attack);
        gate(
            &mut gates,
            &format!("{label}: server memory within its bound"),
            growth <= bound,
            json!({"peak_rss_kib": peak, "rss_at_start_kib": start_rss,
                   "growth_kib": growth, "bound_kib": bound}),
        );
        phases.push(phase_figures(label, &baseline, &during, peak, &figures));
    }

    // Every slow or refused connection is gone once the attacks are over.
    tokio::time::sleep(plan.header_timeout + Duration::from_secs(1)).await;
    let connections_after = open_connections(addr.port());
    gate(
        &mut gates,
        "connections released after the attacks",
        connections_after <= connections_before + 4,
        json!({"open_before": connections_before, "open_after": connections_after}),
    );
    let alive = citizens.measure(Duration::from_secs(1)).await?;
    gate(
        &mut gates,
        "server still serves after the attacks",
        alive.failed == 0 && alive.done > 0,
        json!({"answers": alive.done, "failed": alive.failed}),
    );
    server.stop()?;
    super::no_personal_data(&mut gates, &dir.join(&log));

    let summary = format!(
        "citizens searching at {}/s while attackers send oversized ({} at once) and deep bodies, hold {} slow connections, upload a {} MiB file and ask for unbounded pages (header timeout {} s, request timeout {} s, {} connections per address, body limit {} KiB, upload limit {} MiB)",
        plan.citizen_rate,
        plan.body_attackers,
        plan.slow_connections,
        plan.csv_bytes / (1024 * 1024),
        plan.header_timeout.as_secs(),
        plan.request_timeout.as_secs(),
        plan.per_address,
        plan.body_limit / 1024,
        plan.upload_limit / (1024 * 1024),
    );
    Ok(json!({
        "name": name,
        "summary": summary,
        "seconds": round(started.elapsed().as_secs_f64()),
        "phases": phases,
        "gates": gates,
    }))
}

/// Citizens searching at a steady rate (open loop: a stalled answer counts from when the
/// search was due) on a few keep-alive connections from 127.0.0.1.
struct Citizens {
    addr: SocketAddr,
    workload: Arc<Search>,
    rate: f64,
    seed: u64,
}

impl Citizens {
    async fn measure(&self, window: Duration) -> anyhow::Result<RunResult> {
        load::run(
            self.addr,
            self.workload.clone(),
            Pace::Open {
                connections: 4,
                per_second: self.rate,
            },
            window,
            self.seed,
        )
        .await
    }
}

/// Citizens' gates of a phase: every search answered, and the median and 99th percentile
/// within a few times the baseline's (or a few milliseconds of it, where the baseline is
/// sub-millisecond and a ratio means little).
fn citizen_gates(gates: &mut Vec<Value>, label: &str, baseline: &RunResult, during: &RunResult) {
    gate(
        gates,
        &format!("{label}: every citizen search answered"),
        during.failed == 0 && during.done > 0,
        json!({"answered": during.done, "failed": during.failed,
               "first_failure": during.first_failure}),
    );
    let near = |now: f64, base: f64, slack_ms: f64| now <= (base * 4.0).max(base + slack_ms);
    gate(
        gates,
        &format!("{label}: citizens' latency near the baseline"),
        near(during.latency.p50_ms, baseline.latency.p50_ms, 10.0)
            && near(during.latency.p99_ms, baseline.latency.p99_ms, 100.0),
        json!({"p50_ms": during.latency.p50_ms, "baseline_p50_ms": baseline.latency.p50_ms,
               "p99_ms": during.latency.p99_ms, "baseline_p99_ms": baseline.latency.p99_ms}),
    );
}

fn phase_figures(
    label: &str,
    baseline: &RunResult,
    during: &RunResult,
    peak_rss_kib: u64,
    attack: &Value,
) -> Value {
    let ratio = |a: f64, b: f64| round(a / b.max(1e-3));
    json!({
        "phase": label,
        "citizens": {
            "answered": during.done,
            "failed": during.failed,
            "p50_ms": during.latency.p50_ms,
            "p99_ms": during.latency.p99_ms,
            "max_ms": during.latency.max_ms,
            "p50_ratio": ratio(during.latency.p50_ms, baseline.latency.p50_ms),
            "p99_ratio": ratio(during.latency.p99_ms, baseline.latency.p99_ms),
        },
        "peak_rss_kib": peak_rss_kib,
        "attack": attack.clone(),
    })
}

/// The server's resident memory, sampled every 20 ms; the peak since the last reset.
struct Memory {
    peak: Arc<AtomicU64>,
}

impl Memory {
    fn watch(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let watched = peak.clone();
        tokio::spawn(async move {
            loop {
                let rss = server::rss_kib(pid);
                if rss == 0 {
                    break;
                }
                watched.fetch_max(rss, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self { peak }
    }

    fn reset(&self) {
        self.peak.store(0, Ordering::Relaxed);
    }

    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

/// TCP connections to the server's port that either side still holds open (every state
/// but LISTEN and TIME_WAIT), from the kernel's table.
fn open_connections(port: u16) -> usize {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return 0;
    };
    let port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 3 && fields[1].ends_with(&port) && fields[3] != "0A" && fields[3] != "06"
        })
        .count()
}

type Gates = Vec<(&'static str, bool, Value)>;

#[derive(Debug, Clone, Copy)]
enum Attack {
    Oversized,
    Deep,
    Slow,
    Upload,
    Pages,
}

impl Attack {
    /// How long the citizens are measured while this attack runs: the attacks that end by
    /// the server's timeouts are watched until those have passed.
    fn citizen_window(self, plan: &Plan) -> Duration {
        match self {
            Self::Slow => plan.request_timeout.max(plan.header_timeout) + Duration::from_secs(2),
            _ => plan.phase,
        }
    }

    async fn run(
        self,
        addr: SocketAddr,
        plan: Arc<Plan>,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<(Value, Gates)> {
        match self {
            Self::Oversized => oversized(addr, plan, stop).await,
            Self::Deep => deep(addr, plan, stop).await,
            Self::Slow => slow(addr, plan).await,
            Self::Upload => upload(addr, plan).await,
            Self::Pages => pages(addr, plan).await,
        }
    }
}

/// The `n`th attacker address: 127.0.0.2 and up (Linux answers on all of 127/8).
fn attacker(n: usize) -> IpAddr {
    let n = n as u32 + 2;
    IpAddr::V4(Ipv4Addr::new(127, (n >> 16) as u8, (n >> 8) as u8, n as u8))
}

/// How an exchange on a raw connection ended.
#[derive(Debug, Clone)]
enum Ending {
    /// The server answered with this status (and these first bytes of its body).
    Answer(u16, String),
    /// The server closed the connection without an answer.
    Closed,
    /// The connection broke (reset) or could not be made.
    Broken(String),
    /// Nothing happened within the client's patience.
    TimedOut,
}

impl Ending {
    fn status(&self) -> Option<u16> {
        match self {
            Self::Answer(status, _) => Some(*status),
            _ => None,
        }
    }

    fn label(&self) -> String {
        match self {
            Self::Answer(status, body) => {
                let code = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v["errorCode"].as_str().map(str::to_owned));
                match code {
                    Some(code) => format!("{status} {code}"),
                    None => status.to_string(),
                }
            }
            Self::Closed => "closed".into(),
            Self::Broken(reason) => format!("broken ({reason})"),
            Self::TimedOut => "timed out".into(),
        }
    }

    /// The answer's body as JSON (`Null` when there is none).
    fn json(&self) -> Value {
        match self {
            Self::Answer(_, body) => serde_json::from_str(body).unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }
}

async fn connect_from(source: IpAddr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(addr).await
}

/// Writes `pieces` (each followed by its pause) while reading the answer, and says how the
/// exchange ended; gives up after `patience`.
async fn exchange(
    stream: TcpStream,
    pieces: Vec<(Vec<u8>, Duration)>,
    patience: Duration,
) -> Ending {
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        for (piece, pause) in pieces {
            if writer.write_all(&piece).await.is_err() {
                return;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        // Keep the write side open: the server decides when the exchange ends.
        std::future::pending::<()>().await;
    });
    let ending = match tokio::time::timeout(patience, read_answer(&mut reader)).await {
        Ok(ending) => ending,
        Err(_) => Ending::TimedOut,
    };
    writing.abort();
    ending
}

/// The most of an answer's body that is read (a facility report lists up to 1,000 errors).
const MAX_ANSWER_BODY: usize = 4 * 1024 * 1024;

/// Reads an answer's head and its body (up to `MAX_ANSWER_BODY`).
async fn read_answer(reader: &mut tokio::net::tcp::OwnedReadHalf) -> Ending {
    let mut buffer = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        match reader.read(&mut chunk).await {
            Ok(0) if buffer.is_empty() => return Ending::Closed,
            Ok(0) => break,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if buffer.is_empty() => return Ending::Broken(e.to_string()),
            Err(_) => break,
        }
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0)
                .min(MAX_ANSWER_BODY);
            if buffer.len() >= end + 4 + length {
                break;
            }
        }
        if buffer.len() > MAX_ANSWER_BODY + 64 * 1024 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buffer).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok());
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    match status {
        Some(status) => Ending::Answer(status, body),
        None => Ending::Broken("not an HTTP answer".into()),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A request head.
fn head(method: &str, path: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: sehat\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// `body` in HTTP/1.1 chunked framing, `size` bytes a chunk.
fn chunked(body: &[u8], size: usize) -> Vec<(Vec<u8>, Duration)> {
    let mut pieces: Vec<(Vec<u8>, Duration)> = body
        .chunks(size.max(1))
        .map(|c| {
            let mut piece = format!("{:x}\r\n", c.len()).into_bytes();
            piece.extend_from_slice(c);
            piece.extend_from_slice(b"\r\n");
            (piece, Duration::ZERO)
        })
        .collect();
    pieces.push((b"0\r\n\r\n".to_vec(), Duration::ZERO));
    pieces
}

/// Tallies endings by label.
#[derive(Default)]
struct Endings {
    by_label: std::collections::BTreeMap<String, u64>,
    total: u64,
}

impl Endings {
    fn add(&mut self, ending: &Ending) {
        self.total += 1;
        *self.by_label.entry(ending.label()).or_default() += 1;
    }

    fn merge(&mut self, other: Endings) {
        self.total += other.total;
        for (label, n) in other.by_label {
            *self.by_label.entry(label).or_default() += n;
        }
    }

    fn count(&self, label: &str) -> u64 {
        self.by_label.get(label).copied().unwrap_or(0)
    }

    fn json(&self) -> Value {
        json!({"requests": self.total, "endings": self.by_label})
    }
}

/// Bodies over the limit on JSON routes, declared (`Content-Length`) and streamed (chunked,
/// no length), from many connections at once: each must be answered 413 `SEHAT0413`.
async fn oversized(
    addr: SocketAddr,
    plan: Arc<Plan>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<(Value, Gates)> {
    let body = Arc::new(vec![b'7'; plan.body_limit * 2]);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..plan.body_attackers {
        let (body, plan, stop) = (body.clone(), plan.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut endings = Endings::default();
            let mut round = 0usize;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                let (path, auth) = if round.is_multiple_of(2) {
                    ("/api/v2/auth/public/generateOTP", None)
                } else {
                    ("/admin/v1/centers", Some(plan.admin_token.clone()))
                };
                let mut headers = vec![("content-type", "application/json".to_owned())];
                if let Some(token) = auth {
                    headers.push(("authorization", format!("Bearer {token}")));
                }
                let pieces = if round % 4 < 2 {
                    headers.push(("content-length", body.len().to_string()));
                    let mut pieces = vec![(head("POST", path, &headers), Duration::ZERO)];
                    pieces.extend(body.chunks(64 * 1024).map(|c| (c.to_vec(), Duration::ZERO)));
                    pieces
                } else {
                    headers.push(("transfer-encoding", "chunked".to_owned()));
                    let mut pieces = vec![(head("POST", path, &headers), Duration::ZERO)];
                    pieces.extend(chunked(&body, 64 * 1024));
                    pieces
                };
                let ending = match connect_from(attacker(i), addr).await {
                    Ok(stream) => exchange(stream, pieces, Duration::from_secs(10)).await,
                    Err(e) => Ending::Broken(format!("connect: {e}")),
                };
                endings.add(&ending);
                // A flood, not a spin: up to 50 bodies a second from each attacker.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            endings
        }));
    }
    let mut endings = Endings::default();
    for task in tasks {
        endings.merge(task.await?);
    }
    let answered_413 = endings.count("413 SEHAT0413");
    let figures = json!({
        "bytes_per_body": body.len(),
        "bodies_per_second": round(endings.total as f64 / started.elapsed().as_secs_f64()),
        "result": endings.json(),
    });
    let gates = vec![(
        "every oversized body answered 413 SEHAT0413",
        endings.total > 0 && answered_413 == endings.total,
        figures["result"].clone(),
    )];
    Ok((figures, gates))
}

/// JSON nested far past any parser's depth, within the size limit: 400, never a 5xx or a
/// crash (a stack overflow would take the server down, which the citizens would see).
async fn deep(
    addr: SocketAddr,
    plan: Arc<Plan>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<(Value, Gates)> {
    let depth = plan.body_limit / 8;
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(vec![
        "[".repeat(depth * 4).into_bytes(),
        format!("{}1{}", "[".repeat(depth * 2), "]".repeat(depth * 2)).into_bytes(),
        format!(r#"{{"mobile":{}"#, r#"{"a":"#.repeat(depth)).into_bytes(),
        format!(
            r#"{{"name":"x","extra":{}0{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
        .into_bytes(),
    ]);
    let routes = [
        "/api/v2/auth/public/generateOTP",
        "/admin/v1/centers",
        "/api/v1/auth/confirmMobileOTP",
    ];
    let mut tasks = Vec::new();
    for i in 0..plan.body_attackers {
        let (bodies, plan, stop) = (bodies.clone(), plan.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut endings = Endings::default();
            let mut round = i;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                let body = &bodies[round % bodies.len()];
                let path = routes[round % routes.len()];
                let headers = [
                    ("content-type", "application/json".to_owned()),
                    ("content-length", body.len().to_string()),
                    ("authorization", format!("Bearer {}", plan.admin_token)),
                ];
                let mut pieces = vec![(head("POST", path, &headers), Duration::ZERO)];
                pieces.push((body.clone(), Duration::ZERO));
                let ending = match connect_from(attacker(100 + i), addr).await {
                    Ok(stream) => exchange(stream, pieces, Duration::from_secs(10)).await,
                    Err(e) => Ending::Broken(format!("connect: {e}")),
                };
                endings.add(&ending);
            }
            endings
        }));
    }
    let mut endings = Endings::default();
    for task in tasks {
        endings.merge(task.await?);
    }
    let refused_400 = endings
        .by_label
        .iter()
        .filter(|(label, _)| label.starts_with("400 "))
        .map(|(_, n)| n)
        .sum::<u64>();
    let figures = json!({"nesting_depth": depth * 4, "result": endings.json()});
    let gates = vec![(
        "every deeply nested body answered 400",
        endings.total > 0 && refused_400 == endings.total,
        figures["result"].clone(),
    )];
    Ok((figures, gates))
}

/// Slow clients, spread over many addresses: a third send their head a byte at a time, a
/// third send a head and then their body a byte at a time, a third connect and send nothing.
/// The first and last are closed once the head timeout passes, the second answered 408 once
/// the request deadline passes. Then one address opens more connections than its cap: the
/// excess is answered 503 `SEHAT0503` at once.
async fn slow(addr: SocketAddr, plan: Arc<Plan>) -> anyhow::Result<(Value, Gates)> {
    let per_address = (plan.per_address / 2).max(1);
    let slack = Duration::from_millis(1500);
    let header_limit = plan.header_timeout + slack;
    let body_limit = plan.request_timeout + slack;
    let mut tasks = Vec::new();
    for i in 0..plan.slow_connections {
        // In batches, so the listen backlog (1,024) never overflows: a connection the kernel
        // dropped there would look held by the server.
        if i > 0 && i % 200 == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let source = attacker(1000 + i / per_address);
        let kind = i % 3;
        tasks.push(tokio::spawn(async move {
            let patience = body_limit + Duration::from_secs(10);
            let request = head("GET", "/api/v2/admin/location/states", &[]);
            let pieces: Vec<(Vec<u8>, Duration)> = match kind {
                // A byte every half second: the head never completes in time.
                0 => request
                    .iter()
                    .map(|b| (vec![*b], Duration::from_millis(500)))
                    .collect(),
                // A whole head announcing a body that comes a byte every half second.
                1 => {
                    let head = head(
                        "POST",
                        "/api/v2/auth/public/generateOTP",
                        &[
                            ("content-type", "application/json".to_owned()),
                            ("content-length", "4096".to_owned()),
                        ],
                    );
                    let mut pieces = vec![(head, Duration::ZERO)];
                    pieces.extend((0..4096).map(|_| (b" ".to_vec(), Duration::from_millis(500))));
                    pieces
                }
                // Nothing at all.
                _ => Vec::new(),
            };
            // Timed from the connection's start: a connect that waits in a full backlog is the
            // kernel's time, not the server's.
            let (ending, took) = match connect_from(source, addr).await {
                Ok(stream) => {
                    let started = Instant::now();
                    let ending = exchange(stream, pieces, patience).await;
                    (ending, started.elapsed())
                }
                Err(e) => (Ending::Broken(format!("connect: {e}")), Duration::ZERO),
            };
            (kind, ending, took)
        }));
    }
    // While those are held: one address opens twice its cap of connections.
    let greedy = attacker(999);
    let mut held = Vec::new();
    for _ in 0..plan.per_address * 2 {
        held.push(connect_from(greedy, addr).await);
    }
    // The kernel completes connections before the server accepts them: let the server take
    // them all in before any asks, so the cap sees them all open at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut greedy_endings = Endings::default();
    let mut asks = Vec::new();
    for stream in held {
        asks.push(tokio::spawn(async move {
            match stream {
                Ok(stream) => {
                    let request = head("GET", "/healthz", &[("connection", "close".into())]);
                    exchange(
                        stream,
                        vec![(request, Duration::ZERO)],
                        Duration::from_secs(5),
                    )
                    .await
                }
                Err(e) => Ending::Broken(format!("connect: {e}")),
            }
        }));
    }
    for ask in asks {
        greedy_endings.add(&ask.await?);
    }

    let mut slow_head = (Endings::default(), Duration::ZERO);
    let mut slow_body = (Endings::default(), Duration::ZERO);
    let mut silent = (Endings::default(), Duration::ZERO);
    for task in tasks {
        let (kind, ending, took) = task.await?;
        let tally = match kind {
            0 => &mut slow_head,
            1 => &mut slow_body,
            _ => &mut silent,
        };
        tally.0.add(&ending);
        tally.1 = tally.1.max(took);
    }
    let closed = |t: &(Endings, Duration)| {
        t.0.by_label
            .iter()
            .filter(|(label, _)| {
                *label == "closed"
                    || (label.starts_with("broken") && !label.starts_with("broken (connect"))
            })
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    let ms = |d: Duration| d.as_millis() as u64;
    let figures = json!({
        "slow_head": {"result": slow_head.0.json(), "longest_ms": ms(slow_head.1)},
        "slow_body": {"result": slow_body.0.json(), "longest_ms": ms(slow_body.1)},
        "silent": {"result": silent.0.json(), "longest_ms": ms(silent.1)},
        "over_the_address_cap": {"cap": plan.per_address, "opened": plan.per_address * 2,
                                 "result": greedy_endings.json()},
    });
    let gates = vec![
        (
            "slow heads closed by the head timeout",
            closed(&slow_head) == slow_head.0.total && slow_head.1 <= header_limit,
            figures["slow_head"].clone(),
        ),
        (
            "silent connections closed by the head timeout",
            closed(&silent) == silent.0.total && silent.1 <= header_limit,
            figures["silent"].clone(),
        ),
        (
            "slow bodies answered 408 SEHAT0408 by the request deadline",
            slow_body.0.count("408 SEHAT0408") == slow_body.0.total && slow_body.1 <= body_limit,
            figures["slow_body"].clone(),
        ),
        (
            "connections over the per-address cap answered 503 SEHAT0503 (or closed)",
            greedy_endings.count("200") as usize == plan.per_address
                && greedy_endings.count("503 SEHAT0503") > 0
                && greedy_endings.count("503 SEHAT0503") + greedy_endings.count("closed")
                    == greedy_endings.total - plan.per_address as u64,
            figures["over_the_address_cap"].clone(),
        ),
    ];
    Ok((figures, gates))
}

/// A facility file as large as the upload limit allows, every row of it refused (a state
/// that does not exist), then one over the limit, declared and streamed: the first is read
/// as a stream (memory does not grow with its size) and answered with a report listing at
/// most 1,000 row errors; the others 413.
async fn upload(addr: SocketAddr, plan: Arc<Plan>) -> anyhow::Result<(Value, Gates)> {
    let boundary = "sehat-abuse-boundary";
    let file = |size: usize| {
        let mut csv = REQUIRED_COLUMNS.join(",");
        csv.push_str("\r\n");
        let mut row = 0u64;
        while csv.len() < size {
            row += 1;
            csv.push_str(&format!(
                "Atlantis,Nowhere,Block,110001,Centre {row},In Charge,x,28.6,77.2,1,01-01-2027,02-01-2027,10,1,20\r\n"
            ));
        }
        let mut body = format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"facilities.csv\"\r\ncontent-type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(csv.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        (body, row)
    };
    let headers = |extra: (&'static str, String)| {
        vec![
            (
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            ),
            ("authorization", format!("Bearer {}", plan.admin_token)),
            extra,
        ]
    };
    let send = |body: Vec<u8>, framing: (&'static str, String), chunk: bool| {
        let head = head("POST", "/admin/v1/facilities/upload", &headers(framing));
        let mut pieces = vec![(head, Duration::ZERO)];
        if chunk {
            pieces.extend(chunked(&body, 256 * 1024));
        } else {
            pieces.extend(
                body.chunks(256 * 1024)
                    .map(|c| (c.to_vec(), Duration::ZERO)),
            );
        }
        async move {
            match connect_from(attacker(5000), addr).await {
                Ok(stream) => exchange(stream, pieces, Duration::from_secs(600)).await,
                Err(e) => Ending::Broken(format!("connect: {e}")),
            }
        }
    };

    let (body, rows) = file(plan.csv_bytes);
    let bytes = body.len();
    let started = Instant::now();
    let allowed = send(body, ("content-length", bytes.to_string()), false).await;
    let allowed_seconds = started.elapsed().as_secs_f64();
    let report = allowed.json();
    let listed = report["errors"].as_array().map_or(0, Vec::len);
    let (over, _) = file(plan.upload_limit + 1024 * 1024);
    let declared = send(
        over.clone(),
        ("content-length", over.len().to_string()),
        false,
    )
    .await;
    let streamed = send(over, ("transfer-encoding", "chunked".to_owned()), true).await;
    let figures = json!({
        "allowed": {"bytes": bytes, "rows": rows, "answer": allowed.label(),
                     "seconds": round(allowed_seconds)},
        "over_the_limit_declared": declared.label(),
        "over_the_limit_streamed": streamed.label(),
    });
    let answered_report = allowed.status() == Some(200)
        && report["rows"].as_u64() == Some(rows)
        && report["rejected"].as_u64() == Some(rows)
        && listed == 1000
        && report["errors_truncated"] == Value::Bool(true);
    let gates = vec![
        (
            "a file at the size limit is read and answered with its report",
            answered_report,
            json!({"answer": allowed.label(), "seconds": round(allowed_seconds), "rows": rows,
                   "report_rows": report["rows"], "report_rejected": report["rejected"],
                   "errors_listed": listed, "errors_truncated": report["errors_truncated"]}),
        ),
        (
            "a file over the limit answered 413 SEHAT0413 (declared and streamed)",
            declared.label() == "413 SEHAT0413" && streamed.label() == "413 SEHAT0413",
            json!({"declared": declared.label(), "streamed": streamed.label()}),
        ),
    ];
    Ok((figures, gates))
}

/// Page sizes and ranges past what the API allows: refused with 400, and what is allowed comes
/// back bounded, quickly.
async fn pages(addr: SocketAddr, plan: Arc<Plan>) -> anyhow::Result<(Value, Gates)> {
    let today = time::OffsetDateTime::now_utc().date();
    let dd_mm = |d: time::Date| format!("{:02}-{:02}-{}", d.day(), u8::from(d.month()), d.year());
    let iso = |d: time::Date| d.to_string();
    let far = today + time::Duration::days(20_000);
    // (path, whether it is within the limits, whose token)
    let admin = plan.admin_token.as_str();
    let citizen = plan.citizen_token.as_str();
    let asks: Vec<(String, bool, &str)> = vec![
        ("/admin/v1/centers?limit=1000000000".into(), false, admin),
        ("/admin/v1/centers?limit=-1".into(), false, admin),
        ("/admin/v1/centers?limit=500".into(), true, admin),
        (
            "/admin/v1/centers?after=99999999999999999999".into(),
            false,
            admin,
        ),
        (
            format!(
                "/admin/v1/centers/1/sessions?from={}&to={}",
                iso(today),
                iso(far)
            ),
            false,
            admin,
        ),
        (
            format!(
                "/admin/v1/centers/1/utilization?from={}&to={}",
                iso(today),
                iso(far)
            ),
            false,
            admin,
        ),
        (
            format!(
                "/api/v1/appointment/timeslots/findByCenter?center_id=1&from={}&to={}",
                dd_mm(today),
                dd_mm(far)
            ),
            false,
            citizen,
        ),
        (
            format!(
                "/api/v1/appointment/timeslots/findByCenter?center_id=1&from={}&to={}",
                dd_mm(today),
                dd_mm(today + time::Duration::days(30))
            ),
            true,
            citizen,
        ),
        // A calendar is seven days whatever the date: allowed, and small.
        (
            format!(
                "/api/v2/appointment/sessions/public/calendarByDistrict?district_id=1&date={}",
                dd_mm(far)
            ),
            true,
            citizen,
        ),
    ];
    let mut results = Vec::new();
    let mut all_ok = true;
    for (path, allowed, token) in asks {
        let started = Instant::now();
        let request = head(
            "GET",
            &path,
            &[
                ("authorization", format!("Bearer {token}")),
                ("connection", "close".into()),
            ],
        );
        let ending = match connect_from(attacker(6000), addr).await {
            Ok(stream) => {
                exchange(
                    stream,
                    vec![(request, Duration::ZERO)],
                    plan.request_timeout * 2,
                )
                .await
            }
            Err(e) => Ending::Broken(format!("connect: {e}")),
        };
        let took = started.elapsed();
        let ok = match ending.status() {
            Some(200) => allowed,
            Some(400) => !allowed,
            _ => false,
        } && took < Duration::from_secs(5);
        all_ok &= ok;
        results.push(json!({"path": path, "answer": ending.label(),
                            "ms": took.as_millis() as u64, "as_expected": ok}));
    }
    let figures = json!({"asks": results});
    let gates = vec![(
        "pages past the limits refused 400, allowed pages answered within 5 s",
        all_ok,
        figures["asks"].clone(),
    )];
    Ok((figures, gates))
}
