//! Suite 2: crash safety. Clients book (and sometimes cancel) as fast as the server answers
//! while the server is killed with SIGKILL every few seconds and restarted on the same
//! database — and, on PostgreSQL, while the database server itself (a private cluster) is
//! killed and restarted. A client that gets no answer sends the same request again, with the
//! same `Idempotency-Key`, until one comes. After every round and at the end, what clients
//! were acknowledged (2xx with an appointment number) is compared with what the database
//! holds, the booking counters with the rows, and the database's own integrity check is run.

use super::client::{Client, Named, Outcome, appointment_number, error_code, numbers_by_id};
use super::cluster::{self, PrivateCluster};
use super::gateway::{Deliveries, Gateway};
use super::{Prepared, free_addr, gate, round, say};
use crate::bench::load::Call;
use crate::bench::server::Server;
use crate::keys;
use hyper::StatusCode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sehat_domain::outbox::OutboxStore;
use sehat_store::Backend;
use sehat_store::inspect::{AppointmentRow, OutboxRow};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    /// `sehat serve`.
    Server,
    /// The PostgreSQL server (a private cluster).
    Database,
}

/// Per kind of call: successes, and refusals by error code.
type KindCounts = BTreeMap<&'static str, (u64, BTreeMap<String, u64>)>;

/// What the clients were told, shared with the killer.
#[derive(Default)]
struct Ledger {
    /// Acknowledged bookings not (acknowledged) cancelled since: person → appointment.
    booked: Mutex<HashMap<i64, Named>>,
    /// Appointments a cancel was sent for (answered or not).
    cancels_sent: Mutex<HashSet<Named>>,
    /// People whose last answer was a refusal (or an acknowledged cancel).
    not_booked: Mutex<HashSet<i64>>,
    /// Acknowledged bookings, ever.
    acknowledged: AtomicU64,
    /// Their appointment numbers (with the family's mobile), and those of acknowledged
    /// cancels: each owes a message to that mobile.
    booked_numbers: Mutex<HashMap<Named, String>>,
    cancelled_numbers: Mutex<HashMap<Named, String>>,
    /// Requests sent, resends included.
    requests: AtomicU64,
    /// Resends of a request that got no answer (killed server, broken connection, 5xx).
    resends: AtomicU64,
    /// Operations that got no final answer within the client's patience.
    unresolved: AtomicU64,
    figures: Mutex<KindCounts>,
}

impl Ledger {
    fn count(&self, kind: &'static str, status: StatusCode, body: &[u8]) {
        if let Ok(mut f) = self.figures.lock() {
            let entry = f.entry(kind).or_default();
            if status.is_success() {
                entry.0 += 1;
            } else {
                *entry.1.entry(error_code(status, body)).or_default() += 1;
            }
        }
    }
}

/// Sends `call` until an answer below 500 comes, resending the same request (same key) after
/// a timeout, a broken connection or a 5xx, for at most `patience`.
async fn resolve(
    client: &mut Client,
    call: &Call,
    ledger: &Ledger,
    patience: Duration,
) -> Option<(StatusCode, bytes::Bytes)> {
    let deadline = Instant::now() + patience;
    let mut first = true;
    while Instant::now() < deadline {
        if !first {
            ledger.resends.fetch_add(1, Ordering::Relaxed);
        }
        first = false;
        ledger.requests.fetch_add(1, Ordering::Relaxed);
        match client.send(call, Duration::from_secs(5)).await {
            Outcome::Answer(s, b) if !s.is_server_error() => return Some((s, b)),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    ledger.unresolved.fetch_add(1, Ordering::Relaxed);
    None
}

/// Compares the clients' knowledge with the database's rows: acknowledged bookings missing
/// (lost), and — when `exact` (no call in flight) — people told "not booked" who hold a
/// booking.
fn compare(
    booked: &HashMap<i64, Named>,
    not_booked: &HashSet<i64>,
    cancels_sent: &HashSet<Named>,
    rows: &[AppointmentRow],
    exact: bool,
) -> (u64, u64, Vec<String>) {
    let by_key: HashMap<(i64, i64), &str> = rows
        .iter()
        .map(|r| ((r.appointment_no, r.beneficiary_id), r.status.as_str()))
        .collect();
    let numbers = numbers_by_id(rows);
    let mut lost = 0;
    let mut examples = Vec::new();
    for (person, named) in booked {
        let state = named
            .number(&numbers)
            .and_then(|n| by_key.get(&(n, *person)));
        let ok = match state {
            Some(&"ACTIVE") => true,
            Some(&"CANCELLED") => cancels_sent.contains(named),
            _ => false,
        };
        if !ok {
            lost += 1;
            examples.push(format!(
                "{person}: acknowledged {named}, database: {state:?}"
            ));
        }
    }
    let mut phantom = 0;
    if exact {
        let active: HashSet<i64> = rows
            .iter()
            .filter(|r| r.status == "ACTIVE")
            .map(|r| r.beneficiary_id)
            .collect();
        for person in not_booked {
            if active.contains(person) {
                phantom += 1;
                examples.push(format!(
                    "{person}: told not booked, database holds a booking"
                ));
            }
        }
    }
    examples.truncate(5);
    (lost, phantom, examples)
}

/// Waits (up to two minutes) until the outbox holds no pending job; returns how many are left.
async fn drain(store: &sehat_store::SqlStore) -> anyhow::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (pending, _) = store.job_counts().await?;
        if pending == 0 || Instant::now() > deadline {
            return Ok(pending);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The outbox compared with the clients' ledger and the gateway's log.
#[derive(Debug, Default)]
struct OutboxCheck {
    /// Messages owed: acknowledged bookings and cancels.
    owed: usize,
    /// Owed messages never delivered, and jobs marked sent the gateway never accepted.
    lost: u64,
    /// Jobs that failed for good.
    failed: u64,
    /// Jobs that took more than one attempt.
    retried: u64,
    /// Events with more than one job.
    duplicate_jobs: u64,
    /// Keys the gateway accepted that no job has.
    unknown_keys: u64,
    examples: Vec<String>,
}

fn check_outbox(
    ledger: &Ledger,
    jobs: &[OutboxRow],
    deliveries: &Deliveries,
    numbers: &HashMap<uuid::Uuid, i64>,
) -> OutboxCheck {
    let mut check = OutboxCheck::default();
    let accepted = |key: &str| deliveries.by_key.contains_key(key);
    let mut by_payload: HashMap<&str, u64> = HashMap::new();
    for job in jobs {
        *by_payload.entry(job.payload.as_str()).or_default() += 1;
        check.retried += u64::from(job.attempts > 1);
        match job.outcome.as_deref() {
            Some("SENT") if !accepted(&job.job_key) => {
                check.lost += 1;
                check
                    .examples
                    .push(format!("job {} marked sent, never accepted", job.job_key));
            }
            Some("FAILED") => check.failed += 1,
            _ => {}
        }
    }
    check.duplicate_jobs = by_payload.values().map(|n| n - 1).sum();
    let keys: HashSet<&str> = jobs.iter().map(|j| j.job_key.as_str()).collect();
    check.unknown_keys = deliveries
        .by_key
        .keys()
        .filter(|k| !keys.contains(k.as_str()))
        .count() as u64;
    let booked = ledger
        .booked_numbers
        .lock()
        .map(|n| n.clone())
        .unwrap_or_default();
    let cancelled = ledger
        .cancelled_numbers
        .lock()
        .map(|n| n.clone())
        .unwrap_or_default();
    // Messages name the appointment by its confirmation number (an unknown UUID owes one that
    // cannot be found: it counts as lost).
    let number = |named: &Named| named.number(numbers).unwrap_or(0);
    let owed: Vec<(i64, String, String)> = booked
        .iter()
        .map(|(n, to)| {
            let n = number(n);
            (n, format!("Appointment {n} confirmed"), to.clone())
        })
        .chain(cancelled.iter().map(|(n, to)| {
            let n = number(n);
            (n, format!("Appointment {n} at "), to.clone())
        }))
        .collect();
    check.owed = owed.len();
    // "Appointment N confirmed: …" or "Appointment N at … cancelled …", by where it went.
    let mut delivered: HashSet<(&str, &str)> = HashSet::new();
    for (_, text, to) in deliveries.by_key.values() {
        let end = match text.find(" confirmed") {
            Some(i) => Some(i + " confirmed".len()),
            None => text.find(" at ").map(|i| i + " at ".len()),
        };
        if let Some(end) = end {
            delivered.insert((&text[..end], to.as_str()));
        }
    }
    for (number, prefix, to) in &owed {
        if !delivered.contains(&(prefix.as_str(), to.as_str())) {
            check.lost += 1;
            if check.examples.len() < 5 {
                check.examples.push(format!(
                    "appointment {number}: no \"{prefix}…\" message to the family's mobile"
                ));
            }
        }
    }
    check.examples.truncate(5);
    check
}

/// One client: books people into ordinary slots and a few hot ones, cancels one booking in
/// five.
async fn client_loop(
    prepared_shared: Arc<crate::bench::scenarios::Shared>,
    addr: SocketAddr,
    ledger: Arc<Ledger>,
    next: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    seed: u64,
) {
    let data = prepared_shared.data.clone();
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut client = Client::new(addr);
    let patience = Duration::from_secs(120);
    while !stop.load(Ordering::Relaxed) {
        let person = next.fetch_add(1, Ordering::Relaxed);
        if person >= data.tier.beneficiaries {
            break;
        }
        let reference = data.reference(person);
        // One booking in five goes to the small hot slots (tomorrow), which fill up: refusals
        // ("full") are answers to check against the database too.
        let (slot, day) = if rng.random_bool(0.2) && !data.rush.is_empty() {
            (data.rush[rng.random_range(0..data.rush.len())].clone(), 0)
        } else {
            let index = rng.random_range(0..data.tier.slots());
            let per_center = data.tier.days * data.tier.slots_per_day;
            (
                data.slot(index),
                (index % per_center) / data.tier.slots_per_day,
            )
        };
        let key = format!("crash-{seed}-{person}");
        let call = if rng.random_bool(0.5) {
            let mut call = prepared_shared.book(person, &slot);
            call.kind = "v2 schedule";
            call.idempotency_key = Some(key);
            call
        } else {
            let d = data.first_day + time::Duration::days(day as i64);
            let mut call = Call::post(
                "v1 schedule",
                "/api/v1/appointment/scheduleAppointment".into(),
                &json!({"center_id": slot.center_id,
                        "date": format!("{:02}-{:02}-{}", d.day(), u8::from(d.month()), d.year()),
                        "slot_id": slot.id, "beneficiaries": [reference]}),
            );
            call.token = prepared_shared.token(person);
            call.idempotency_key = Some(key);
            call
        };
        let Some((status, body)) = resolve(&mut client, &call, &ledger, patience).await else {
            continue;
        };
        ledger.count(call.kind, status, &body);
        let number = status
            .is_success()
            .then(|| appointment_number(&body))
            .flatten();
        let Some(number) = number else {
            if let Ok(mut n) = ledger.not_booked.lock() {
                n.insert(reference);
            }
            continue;
        };
        ledger.acknowledged.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut b) = ledger.booked.lock() {
            b.insert(reference, number);
        }
        if let Ok(mut n) = ledger.booked_numbers.lock() {
            n.insert(number, data.mobile_of(person));
        }
        if rng.random_bool(0.2) {
            if let Ok(mut c) = ledger.cancels_sent.lock() {
                c.insert(number);
            }
            let mut cancel = Call::post(
                "v2 cancel",
                "/api/v2/appointment/cancel".into(),
                &json!({"appointment_id": number.text(), "beneficiariesToCancel": [reference.to_string()]}),
            );
            cancel.token = prepared_shared.token(person);
            if let Some((status, body)) = resolve(&mut client, &cancel, &ledger, patience).await {
                ledger.count(cancel.kind, status, &body);
                if status.is_success() {
                    if let Ok(mut b) = ledger.booked.lock() {
                        b.remove(&reference);
                    }
                    if let Ok(mut n) = ledger.cancelled_numbers.lock() {
                        n.insert(number, data.mobile_of(person));
                    }
                    if let Ok(mut n) = ledger.not_booked.lock() {
                        n.insert(reference);
                    }
                }
            }
        }
    }
}

/// Runs the suite on one database: the server killed, and on PostgreSQL also the database
/// server killed (when a private cluster can be made).
pub async fn run(
    args: &super::ResilienceArgs,
    backend: Backend,
    dir: &Path,
    keys: &keys::Keys,
) -> anyhow::Result<Vec<Value>> {
    let private = backend == Backend::Postgres && !args.no_private_cluster;
    let mut out = Vec::new();
    // The server kill is the same on both databases: the fast form runs it on SQLite only when
    // PostgreSQL gets its own server killed instead, to stay within seconds.
    if !(args.fast && private && cluster::find_bin().is_some()) {
        out.push(run_mode(args, backend, Victim::Server, dir, keys).await?);
    }
    if backend == Backend::Postgres {
        match (args.no_private_cluster, cluster::find_bin()) {
            (false, Some(_)) => {
                out.push(run_mode(args, backend, Victim::Database, dir, keys).await?);
            }
            (true, _) => {
                say("crash: the PostgreSQL-server kill was not asked for (--no-private-cluster)")
            }
            (false, None) => say(
                "crash: SKIPPED the PostgreSQL-server kill: no initdb found (install the PostgreSQL server package)",
            ),
        }
    }
    Ok(out)
}

async fn run_mode(
    args: &super::ResilienceArgs,
    backend: Backend,
    victim: Victim,
    dir: &Path,
    keys: &keys::Keys,
) -> anyhow::Result<Value> {
    let rounds = args.rounds.unwrap_or(if args.fast { 3 } else { 12 }).max(1);
    let interval = if args.fast { 1.0 } else { 3.0 };
    let people = args
        .people
        .unwrap_or(if args.fast { 6_000 } else { 60_000 });
    let connections = args.connections().min(64);
    let name = match victim {
        Victim::Server => format!("crash on {backend:?}: sehat serve killed"),
        Victim::Database => "crash on Postgres: the PostgreSQL server killed".to_owned(),
    };
    let mut private = None;
    let url = match victim {
        Victim::Server => {
            super::fresh_database(backend, "sehat_resilience_crash", dir, &args.postgres_url)
                .await?
        }
        Victim::Database => {
            let bin = cluster::find_bin().ok_or_else(|| anyhow::anyhow!("no initdb"))?;
            let port = crate::bench::server::free_port()?;
            let mut c = PrivateCluster::create(bin, &dir.join("private-postgres"), port)?;
            c.start().await?;
            let url = c.url();
            private = Some(c);
            url
        }
    };
    say(&format!("{name}: building {people} people"));
    let mut tier = super::tier(people, 10, 10);
    tier.centers = 200;
    let prepared = Prepared::build(&url, tier, args.seed, keys, &name).await?;
    let addr = free_addr()?;
    let log = format!(
        "crash-{}-{}.log",
        format!("{backend:?}").to_lowercase(),
        if victim == Victim::Server {
            "server"
        } else {
            "database"
        }
    );
    let gateway = Gateway::start().await?;
    let settings = gateway.server_settings();
    let mut server: Option<Server> = Some(prepared.serve_with(addr, dir, &log, &settings).await?);
    let ledger = Arc::new(Ledger::default());
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..connections {
        tasks.push(tokio::spawn(client_loop(
            prepared.shared.clone(),
            addr,
            ledger.clone(),
            next.clone(),
            stop.clone(),
            args.seed.wrapping_mul(1000) + i as u64,
        )));
    }
    say(&format!(
        "{name}: {rounds} rounds, a kill every ~{interval} s, {connections} clients"
    ));
    let started = Instant::now();
    let mut rng = SmallRng::seed_from_u64(args.seed);
    let mut per_round = Vec::new();
    let (mut lost_total, mut audits_broken, mut integrity_broken) = (0_u64, 0_u64, 0_u64);
    for round_no in 1..=rounds {
        tokio::time::sleep(Duration::from_secs_f64(
            interval * rng.random_range(0.5..1.5),
        ))
        .await;
        let acked_before = ledger.acknowledged.load(Ordering::Relaxed);
        let killed_at = Instant::now();
        let killed = match victim {
            Victim::Server => {
                if let Some(s) = server.take() {
                    s.kill()?;
                }
                1
            }
            Victim::Database => private.as_mut().map_or(Ok(0), PrivateCluster::kill)?,
        };
        // Read back while nothing can commit (the server, or the database, is down) — for the
        // database kill, once it is back.
        let recovery = if victim == Victim::Database {
            tokio::time::sleep(Duration::from_millis(200)).await;
            match private.as_mut() {
                Some(c) => Some(c.start().await?),
                None => None,
            }
        } else {
            None
        };
        let snapshot = ledger.booked.lock().map(|b| b.clone()).unwrap_or_default();
        let rows = prepared.store.appointment_rows().await?;
        let cancels = ledger
            .cancels_sent
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        let (lost, _, examples) = compare(&snapshot, &HashSet::new(), &cancels, &rows, false);
        let audit = prepared.store.audit_bookings().await?;
        let integrity = prepared.store.integrity_check(false).await?;
        if victim == Victim::Server {
            server = Some(prepared.serve_with(addr, dir, &log, &settings).await?);
        }
        let back = killed_at.elapsed().as_secs_f64();
        lost_total += lost;
        audits_broken += u64::from(!audit.holds());
        integrity_broken += u64::from(!integrity.ok());
        say(&format!(
            "{name}: round {round_no}: killed {killed} process(es) with {acked_before} bookings acknowledged; \
             {lost} lost, audit {}, {} {}, serving again after {back:.2} s",
            if audit.holds() { "holds" } else { "BROKEN" },
            integrity.check,
            if integrity.ok() { "ok" } else { "FAILED" },
        ));
        per_round.push(json!({
            "round": round_no, "processes_killed": killed, "acknowledged_before_kill": acked_before,
            "acknowledged_checked": snapshot.len(), "lost": lost, "examples": examples,
            "audit": audit, "integrity": integrity,
            "database_recovery_seconds": recovery.map(|d| round(d.as_secs_f64())),
            "serving_again_after_seconds": round(back),
        }));
    }
    // The load goes on a little on the last restart, then every client resolves what it has
    // in flight and stops.
    tokio::time::sleep(Duration::from_secs_f64(interval)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let drain_started = Instant::now();
    let pending = drain(&prepared.store).await?;
    let drained_in = drain_started.elapsed().as_secs_f64();
    let jobs = prepared.store.outbox_rows().await?;
    let deliveries = gateway.deliveries();
    let rows = prepared.store.appointment_rows().await?;
    let outbox = check_outbox(&ledger, &jobs, &deliveries, &numbers_by_id(&rows));
    let booked = ledger.booked.lock().map(|b| b.clone()).unwrap_or_default();
    let not_booked = ledger
        .not_booked
        .lock()
        .map(|b| b.clone())
        .unwrap_or_default();
    let cancels = ledger
        .cancels_sent
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    let (lost, phantom, examples) = compare(&booked, &not_booked, &cancels, &rows, true);
    lost_total += lost;
    let audit = prepared.store.audit_bookings().await?;
    let integrity = prepared.store.integrity_check(true).await?;
    if let Some(s) = server.take() {
        s.stop()?;
    }
    prepared.store.close().await;
    drop(private);

    let acknowledged = ledger.acknowledged.load(Ordering::Relaxed);
    let requests = ledger.requests.load(Ordering::Relaxed);
    let resends = ledger.resends.load(Ordering::Relaxed);
    let unresolved = ledger.unresolved.load(Ordering::Relaxed);
    let figures: BTreeMap<&str, Value> = ledger
        .figures
        .lock()
        .map(|f| {
            f.iter()
                .map(|(k, (ok, refused))| (*k, json!({"succeeded": ok, "refused": refused})))
                .collect()
        })
        .unwrap_or_default();
    let mut gates = Vec::new();
    super::no_personal_data(&mut gates, &dir.join(&log));
    gate(
        &mut gates,
        "kill rounds",
        per_round.len() == rounds && rounds >= if args.fast { 3 } else { 10 },
        json!({"rounds": per_round.len()}),
    );
    gate(
        &mut gates,
        "0 acknowledged bookings lost (after every round and at the end)",
        lost_total == 0 && acknowledged > 0,
        json!({"acknowledged": acknowledged, "lost": lost_total, "examples": examples}),
    );
    gate(
        &mut gates,
        "nobody told \"not booked\" holds a booking",
        phantom == 0,
        json!({"people_told_not_booked": not_booked.len(), "holding_a_booking": phantom}),
    );
    gate(
        &mut gates,
        "booked counters equal rows, no slot over its seats, nobody twice (after every round and at the end)",
        audits_broken == 0 && audit.holds(),
        json!({"rounds_broken": audits_broken, "final": audit}),
    );
    gate(
        &mut gates,
        &format!(
            "{} after every round and at the end",
            if backend == Backend::Sqlite {
                "SQLite integrity_check ok"
            } else {
                "PostgreSQL amcheck ok"
            }
        ),
        integrity_broken == 0 && integrity.ok(),
        json!({"rounds_failed": integrity_broken, "final": integrity}),
    );
    gate(
        &mut gates,
        "outbox: 0 jobs lost (every acknowledged booking and cancel sent its message to the family's mobile; every job sent)",
        outbox.lost == 0 && pending == 0 && outbox.failed == 0 && !jobs.is_empty(),
        json!({"jobs": jobs.len(), "owed": outbox.owed, "lost": outbox.lost, "pending": pending,
               "failed": outbox.failed, "examples": outbox.examples,
               "gateway_503s": deliveries.refused, "retried_jobs": outbox.retried,
               "drained_after_load_seconds": round(drained_in)}),
    );
    gate(
        &mut gates,
        "outbox: no job run twice (one job per event; a repeat only under the job's own key)",
        outbox.duplicate_jobs == 0 && outbox.unknown_keys == 0 && deliveries.malformed == 0,
        json!({"jobs_for_one_event": outbox.duplicate_jobs, "keys_without_a_job": outbox.unknown_keys,
               "malformed": deliveries.malformed,
               "distinct_messages_delivered": deliveries.by_key.len(),
               "repeats_under_the_same_key": deliveries.repeats()}),
    );
    gate(
        &mut gates,
        "every request answered in the end (retried with its key)",
        unresolved == 0,
        json!({"unresolved": unresolved, "requests": requests, "resends": resends}),
    );
    say(&format!(
        "{name}: {acknowledged} bookings acknowledged, {lost_total} lost, {requests} requests ({resends} resends) in {seconds:.1} s"
    ));
    Ok(json!({
        "name": name,
        "summary": format!(
            "{rounds} SIGKILL rounds about every {interval} s under booking load from {connections} clients: \
             {requests} requests ({resends} resent with the same key after no answer), {acknowledged} bookings \
             acknowledged, {} people told \"not booked\", in {seconds:.1} s; {} outbox jobs (messages to a \
             gateway that refused one request in ten), {} delivered, {} repeats under the same key.",
             not_booked.len(), jobs.len(), deliveries.by_key.len(), deliveries.repeats()),
        "rounds": per_round,
        "requests": requests,
        "resends": resends,
        "acknowledged": acknowledged,
        "kinds": figures,
        "seconds": round(seconds),
        "gates": gates,
    }))
}
