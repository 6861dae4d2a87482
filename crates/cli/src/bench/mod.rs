//! `sehat bench`: builds a dataset from a seed on SQLite and PostgreSQL, starts `sehat serve`
//! on it as a separate process, drives the scenarios over loopback HTTP, measures the same-run
//! baselines (the server's trivial endpoint, `pgbench` on the exact statements, a raw SQLite
//! harness), checks the correctness gates after every booking scenario, and writes a JSON
//! report. A run with a gate broken fails, whatever its speed.

mod baseline;
mod certification;
pub mod dataset;
pub(crate) mod load;
pub(crate) mod scenarios;
pub(crate) mod server;

use crate::config::Config;
use crate::keys;
use anyhow::Context;
use dataset::Tier;
use load::{Pace, RunResult, Workload};
use scenarios::{Bookings, Bots, Mixed, Registration, Search, Shared, Trivial};
use sehat_api::http::auth::TokenKeys;
use sehat_domain::gazetteer::Gazetteer;
use sehat_store::{Backend, SqlStore};
use serde_json::{Value, json};
use server::Server;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// What to run.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Dataset size: `ci` (1,000 centres, 100,000 slots) or `full` (100,000 centres, ~10 million
    /// slots, a million people).
    #[arg(long, default_value = "ci", value_parser = ["ci", "full"])]
    pub tier: String,
    /// Databases: `sqlite`, `postgres` or `both`.
    #[arg(long, default_value = "both", value_parser = ["sqlite", "postgres", "both"])]
    pub database: String,
    /// The PostgreSQL server (a database named `sehat_bench_<tier>` is created there, replacing
    /// any earlier one).
    #[arg(
        long,
        env = "SEHAT_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Seconds each timed run lasts.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Rounds of each contest between the server and its baseline (the median ratio is
    /// reported, with the spread).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Seed of the dataset.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Working directory: databases, keys, the server's log and the report.
    #[arg(long, default_value = "target/bench")]
    pub dir: PathBuf,
    /// Connections of the closed-loop search and booking runs.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Booking attempts per rush [default: the tier's, 4,000 for ci and 50,000 for full].
    #[arg(long)]
    pub rush_attempts: Option<usize>,
}

/// Runs the benchmark; fails when a correctness gate is broken.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let mut tier = if args.tier == "full" {
        Tier::FULL
    } else {
        Tier::CI
    };
    if let Some(attempts) = args.rush_attempts {
        tier.rush_attempts = attempts;
    }
    std::fs::create_dir_all(&args.dir)?;
    let dir = args.dir.canonicalize()?;
    let keys = keys::load_or_generate(&dir.join("keys"), None, None, None)?;
    let mut backends = Vec::new();
    if args.database != "postgres" {
        backends.push(Backend::Sqlite);
    }
    if args.database != "sqlite" {
        backends.push(Backend::Postgres);
    }
    let started = time::OffsetDateTime::now_utc();
    let mut results = Vec::new();
    let mut broken = Vec::new();
    for backend in backends {
        let result = bench_backend(backend, &args, tier, &dir, &keys)
            .await
            .with_context(|| format!("benchmark on {backend:?}"))?;
        for gate in result["gates"].as_array().into_iter().flatten() {
            if gate["ok"] != Value::Bool(true) {
                broken.push(format!("{backend:?}: {}", gate["name"]));
            }
        }
        results.push(result);
    }
    let report = json!({
        "sehat_version": env!("CARGO_PKG_VERSION"),
        "started_at": started.format(&time::format_description::well_known::Rfc3339)?,
        "tier": tier,
        "seed": args.seed,
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "connections": args.connections,
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "machine": machine(),
        "databases": results,
        "gates_hold": broken.is_empty(),
    });
    let path = dir.join(format!("report-{}.json", tier.name));
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    std::fs::write(
        dir.join(format!("report-{}.md", tier.name)),
        markdown(&report),
    )?;
    say(&format!("report written to {} (and .md)", path.display()));
    say(&summary(&report));
    anyhow::ensure!(
        broken.is_empty(),
        "correctness gates broken: {}",
        broken.join(", ")
    );
    Ok(())
}

fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "bench: {line}");
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_default();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    json!({
        "cpus": std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        "cpu": cpu,
        "memory_gib": memory / 1024 / 1024,
        "kernel": kernel.trim(),
        "pgbench": command_version("pgbench"),
    })
}

fn command_version(cmd: &str) -> Option<String> {
    std::process::Command::new(cmd)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// The median of some ratios, with the lowest and highest.
fn spread(ratios: &[f64]) -> Value {
    let mut sorted: Vec<f64> = ratios.iter().copied().filter(|r| r.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return Value::Null;
    }
    let median = if sorted.len() % 2 == 1 {
        sorted[sorted.len() / 2]
    } else {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
    };
    json!({"median": round(median), "min": round(sorted[0]), "max": round(sorted[sorted.len() - 1]), "rounds": sorted.len()})
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A run with its cost: CPU milliseconds per 1,000 answers of the server and the database,
/// and the server's resident memory afterwards.
struct Measured {
    run: RunResult,
    server_cpu_ms: u64,
    database_cpu_ms: u64,
}

impl Measured {
    fn json(&self, server: &Server) -> Value {
        let per_k = |ms: u64| round(ms as f64 * 1000.0 / self.run.requests.max(1) as f64);
        json!({
            "result": self.run,
            "server_cpu_ms_per_1000": per_k(self.server_cpu_ms),
            "database_cpu_ms_per_1000": per_k(self.database_cpu_ms),
            "server_rss_mib": round(server::rss_kib(server.pid()) as f64 / 1024.0),
        })
    }
}

struct Bench<'a> {
    server: Server,
    store: SqlStore,
    backend: Backend,
    url: String,
    shared: Arc<Shared>,
    args: &'a BenchArgs,
    dir: &'a Path,
    gates: Vec<Value>,
}

impl Bench<'_> {
    fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.args.seconds)
    }

    async fn measure(
        &self,
        workload: Arc<dyn Workload>,
        pace: Pace,
        duration: Duration,
    ) -> anyhow::Result<Measured> {
        let pid = self.server.pid();
        let server_before = server::cpu_ms(pid);
        let db_before = server::postgres_cpu();
        let run = load::run(self.server.addr, workload, pace, duration, self.args.seed).await?;
        Ok(Measured {
            run,
            server_cpu_ms: server::cpu_ms(pid).saturating_sub(server_before),
            database_cpu_ms: if self.backend == Backend::Postgres {
                server::postgres_cpu_since(&db_before)
            } else {
                0
            },
        })
    }

    fn closed(&self) -> Pace {
        Pace::Closed {
            connections: self.args.connections,
        }
    }

    /// Checks the booking invariants and records the gate.
    async fn audit(&mut self, after: &str) -> anyhow::Result<()> {
        let audit = self.store.audit_bookings().await?;
        self.gates.push(json!({"name": format!("bookings consistent after {after}"), "ok": audit.holds(), "audit": audit}));
        if !audit.holds() {
            say(&format!("GATE BROKEN after {after}: {audit:?}"));
        }
        Ok(())
    }

    fn gate(&mut self, name: &str, ok: bool, detail: &Value) {
        if !ok {
            say(&format!("GATE BROKEN: {name}: {detail}"));
        }
        self.gates
            .push(json!({"name": name, "ok": ok, "detail": detail}));
    }

    fn now_ms() -> i64 {
        i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
            .unwrap_or(0)
    }

    /// Removes the run's bookings, then gives the server's feed poller time to read the note
    /// of it and drop what it cached (searches, sold-out marks).
    async fn reset(&self, since: i64) -> anyhow::Result<()> {
        self.store.reset_bookings_since(since).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(())
    }
}

async fn bench_backend(
    backend: Backend,
    args: &BenchArgs,
    tier: Tier,
    dir: &Path,
    keys: &keys::Keys,
) -> anyhow::Result<Value> {
    let name = format!("sehat_bench_{}", tier.name);
    let url = match backend {
        Backend::Sqlite => {
            let file = dir.join(format!("{name}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            format!("sqlite://{}", file.display())
        }
        Backend::Postgres => {
            sehat_store::bulk::recreate_postgres_database(&args.postgres_url, &name).await?
        }
    };
    say(&format!("{backend:?}: building the {} dataset", tier.name));
    let mut config = Config::default();
    config.database.url.clone_from(&url);
    let store = crate::setup::open_store(&config).await?;
    crate::setup::ensure_master_data(&store, false).await?;
    let gazetteer = Gazetteer::load(&store).await?;
    let identity = keys.identity()?;
    let data = dataset::build(&store, &gazetteer, &identity, tier, args.seed, &|step| {
        say(&format!("{backend:?}: {step}"));
    })
    .await?;
    let data = Arc::new(data);
    say(&format!(
        "{backend:?}: dataset built in {:.1} s; starting sehat serve",
        data.build_seconds
    ));
    let server = Server::start(
        &url,
        dir,
        &[
            ("SEHAT__DATABASE__MAX_CONNECTIONS", "16".into()),
            ("SEHAT__PUBLIC_API__TRUST_FORWARDED_FOR", "true".into()),
        ],
    )
    .await?;
    let tokens = TokenKeys::new(
        &keys.jwt_secret,
        Duration::from_secs(900),
        Duration::from_secs(3600),
    );
    let shared = Arc::new(Shared {
        data: data.clone(),
        tokens,
        next_ip: AtomicU64::new(0),
    });
    let mut bench = Bench {
        server,
        store,
        backend,
        url: url.clone(),
        shared,
        args,
        dir,
        gates: Vec::new(),
    };
    let mut scenarios = serde_json::Map::new();
    let idle_rss = server::rss_kib(bench.server.pid());
    scenarios.insert("search".into(), search(&mut bench).await?);
    scenarios.insert(
        "bot_polling".into(),
        bots(&mut bench, &scenarios["search"]).await?,
    );
    scenarios.insert("booking_spread".into(), spread_booking(&mut bench).await?);
    scenarios.insert("booking_rush".into(), rush(&mut bench).await?);
    scenarios.insert("mixed_rush".into(), mixed(&mut bench).await?);
    scenarios.insert("registration".into(), registration(&mut bench).await?);
    let (certified, certification_gates) =
        certification::run(&bench.store, &gazetteer, &identity, args.seconds).await?;
    scenarios.insert("certification".into(), certified);
    bench.gates.extend(certification_gates);
    let memory = memory(&bench, idle_rss).await?;
    let gates = std::mem::take(&mut bench.gates);
    let Bench { server, store, .. } = bench;
    server.stop()?;
    store.close().await;
    Ok(json!({
        "backend": format!("{backend:?}"),
        "dataset": {
            "centres": tier.centers + tier.rush_slots.div_ceil(10) + 1,
            "slots": tier.slots() + tier.rush_slots + 1,
            "beneficiaries": tier.beneficiaries,
            "accounts": data.account_hashes.len(),
            "prebooked_seats": data.prebooked,
            "build_seconds": round(data.build_seconds),
        },
        "scenarios": scenarios,
        "memory": memory,
        "gates": gates,
    }))
}

/// Scenario 1: search against the trivial endpoint, interleaved; the database's own rate on
/// the same statements; latency at 80% of saturation; and read-your-writes.
async fn search(b: &mut Bench<'_>) -> anyhow::Result<Value> {
    say(&format!("{:?}: search", b.backend));
    // A node in service has its hot answers cached: one untimed run warms the cache first.
    b.measure(Arc::new(Search(b.shared.clone())), b.closed(), b.duration())
        .await?;
    let mut ratios = Vec::new();
    let mut runs = Vec::new();
    let mut db_ratios = Vec::new();
    for _ in 0..b.args.rounds {
        let trivial = b
            .measure(Arc::new(Trivial), b.closed(), b.duration())
            .await?;
        let search = b
            .measure(Arc::new(Search(b.shared.clone())), b.closed(), b.duration())
            .await?;
        let db = baseline::search(
            b.backend,
            &b.store,
            &b.shared.data,
            &b.url,
            b.dir,
            b.args.seconds,
        )
        .await?;
        ratios.push(search.run.per_second / trivial.run.per_second.max(1e-9));
        if let Some(db) = db["per_second"].as_f64() {
            db_ratios.push(search.run.per_second / db.max(1e-9));
        }
        runs.push(json!({"trivial": trivial.json(&b.server), "search": search.json(&b.server), "database": db}));
    }
    let saturation = median_of(&runs, "search");
    let offered = 0.8 * saturation;
    let at_80 = b
        .measure(
            Arc::new(Search(b.shared.clone())),
            Pace::Open {
                connections: b.args.connections,
                per_second: offered,
            },
            b.duration(),
        )
        .await?;
    let fresh = read_your_writes(b).await?;
    Ok(json!({
        "ratio_to_trivial": spread(&ratios),
        "ratio_to_database": spread(&db_ratios),
        "saturation_per_second": round(saturation),
        "at_80_percent": {"offered_per_second": round(offered), "run": at_80.json(&b.server)},
        "read_your_writes": fresh,
        "rounds": runs,
    }))
}

fn median_of(runs: &[Value], key: &str) -> f64 {
    let mut rates: Vec<f64> = runs
        .iter()
        .filter_map(|r| r[key]["result"]["per_second"].as_f64())
        .collect();
    rates.sort_by(f64::total_cmp);
    rates.get(rates.len() / 2).copied().unwrap_or(0.0)
}

/// Books a seat, then searches its pincode and day at once: the answer must show the seat gone.
async fn read_your_writes(b: &mut Bench<'_>) -> anyhow::Result<Value> {
    let since = Bench::now_ms();
    let checks = 20;
    let mut fresh = 0;
    let data = b.shared.data.clone();
    let addr = b.server.addr;
    let mut conn = load::connect(addr).await?;
    for i in 0..checks {
        let person = data.free().start + i;
        let slot = data.slot((i * 7919 + 13) % data.tier.slots());
        let center = (slot.center_id - 1) as usize;
        let place = data.places[center];
        let day_index = ((slot.id - 1) as usize % (data.tier.days * data.tier.slots_per_day))
            / data.tier.slots_per_day;
        let day = data.first_day + time::Duration::days(day_index as i64);
        let path = format!(
            "/api/v2/appointment/sessions/public/findByPin?pincode={}&date={:02}-{:02}-{}",
            place.pincode,
            day.day(),
            u8::from(day.month()),
            day.year()
        );
        let seats = |body: &[u8]| -> Option<i64> {
            let v: Value = serde_json::from_slice(body).ok()?;
            v["sessions"]
                .as_array()?
                .iter()
                .find(|s| s["session_id"] == slot.session_id.to_string())?["available_capacity"]
                .as_i64()
        };
        let mut get = load::Call::get("findByPin", path);
        get.client_ip = Some(b.shared.ip());
        let (_, before) = load::send(&mut conn, &get).await?;
        let (status, _) = load::send(&mut conn, &b.shared.book(person, &slot)).await?;
        get.client_ip = Some(b.shared.ip());
        let (_, after) = load::send(&mut conn, &get).await?;
        if status.is_success()
            && seats(&before)
                .zip(seats(&after))
                .is_some_and(|(x, y)| y == x - 1)
        {
            fresh += 1;
        }
    }
    b.reset(since).await?;
    b.gate(
        "search answers show every completed booking",
        fresh == checks,
        &json!({"checks": checks, "fresh": fresh}),
    );
    Ok(json!({"checks": checks, "fresh": fresh}))
}

/// Scenario 2: citizens search at half the saturation rate from many addresses, alone and then
/// with bots polling flat out from four addresses; the citizens' latency is compared.
async fn bots(b: &mut Bench<'_>, search: &Value) -> anyhow::Result<Value> {
    say(&format!("{:?}: bot polling", b.backend));
    let rate = 0.5 * search["saturation_per_second"].as_f64().unwrap_or(1000.0);
    let pace = Pace::Open {
        connections: b.args.connections,
        per_second: rate,
    };
    let alone = b
        .measure(Arc::new(Search(b.shared.clone())), pace, b.duration())
        .await?;
    let bots = Arc::new(Bots {
        shared: b.shared.clone(),
        addresses: 4,
    });
    let addr = b.server.addr;
    let duration = b.duration();
    let seed = b.args.seed;
    let bot_run = tokio::spawn(async move {
        load::run(addr, bots, Pace::Closed { connections: 32 }, duration, seed).await
    });
    let with_bots = b
        .measure(Arc::new(Search(b.shared.clone())), pace, b.duration())
        .await?;
    let bot_run = bot_run.await??;
    Ok(json!({
        "citizens_per_second": round(rate),
        "citizens_alone": alone.json(&b.server),
        "citizens_with_bots": with_bots.json(&b.server),
        "bots": {"answers": bot_run.requests, "per_second": round(bot_run.per_second), "refused_429": bot_run.refused, "served": bot_run.done},
        "p99_ratio_with_bots": round(with_bots.run.latency.p99_ms / alone.run.latency.p99_ms.max(1e-9)),
    }))
}

/// Scenario 3: bookings spread over all slots, against the database running the same
/// statements; then latency at 80% of saturation.
async fn spread_booking(b: &mut Bench<'_>) -> anyhow::Result<Value> {
    say(&format!("{:?}: booking spread", b.backend));
    let mut ratios = Vec::new();
    let mut runs = Vec::new();
    let free = b.shared.data.free();
    for round_no in 0..b.args.rounds {
        let since = Bench::now_ms();
        let work = Arc::new(Bookings::new(
            b.shared.clone(),
            free.start,
            usize::MAX,
            None,
        ));
        let server_run = b.measure(work, b.closed(), b.duration()).await?;
        b.audit(&format!("booking spread, round {}", round_no + 1))
            .await?;
        b.reset(since).await?;
        let since = Bench::now_ms();
        let db = baseline::booking(
            b.backend,
            &b.store,
            &b.shared.data,
            None,
            &b.url,
            b.dir,
            b.args.seconds,
        )
        .await?;
        b.reset(since).await?;
        if let Some(db) = db["per_second"].as_f64() {
            ratios.push(server_run.run.per_second / db.max(1e-9));
        }
        runs.push(json!({"server": server_run.json(&b.server), "database": db}));
    }
    let saturation = median_of(&runs, "server");
    let since = Bench::now_ms();
    let work = Arc::new(Bookings::new(
        b.shared.clone(),
        free.start,
        usize::MAX,
        None,
    ));
    let at_80 = b
        .measure(
            work,
            Pace::Open {
                connections: b.args.connections,
                per_second: 0.8 * saturation,
            },
            b.duration(),
        )
        .await?;
    b.audit("booking spread at 80%").await?;
    b.reset(since).await?;
    Ok(json!({
        "ratio_to_database": spread(&ratios),
        "saturation_per_second": round(saturation),
        "at_80_percent": {"offered_per_second": round(0.8 * saturation), "run": at_80.json(&b.server)},
        "rounds": runs,
    }))
}

/// Scenario 4: the rush on hot slots, and on one large slot, against the database's
/// one-booking-per-transaction rate on one hot slot.
async fn rush(b: &mut Bench<'_>) -> anyhow::Result<Value> {
    say(&format!("{:?}: booking rush", b.backend));
    let data = b.shared.data.clone();
    let tier = data.tier;
    let mut ratios = Vec::new();
    let mut runs = Vec::new();
    let pace = Pace::Closed {
        connections: tier.rush_connections,
    };
    let limit = Duration::from_secs(600);
    for round_no in 0..b.args.rounds {
        let mut this_round = serde_json::Map::new();
        for (variant, slots) in [
            ("hot_slots", data.rush.clone()),
            ("single_slot", vec![data.single.clone()]),
        ] {
            let seats: i64 = slots.iter().map(|s| s.seats).sum();
            let since = Bench::now_ms();
            let work = Arc::new(Bookings::new(
                b.shared.clone(),
                data.free().start,
                tier.rush_attempts,
                Some(slots),
            ));
            let m = b.measure(work, pace, limit).await?;
            let expected = seats.min(tier.rush_attempts as i64) as u64;
            b.gate(
                &format!("{variant} rush {}: successes = min(seats, attempts)", round_no + 1),
                m.run.done == expected && m.run.failed == 0,
                &json!({"successes": m.run.done, "expected": expected, "refused": m.run.refused, "failed": m.run.failed}),
            );
            b.audit(&format!("{variant} rush, round {}", round_no + 1))
                .await?;
            b.reset(since).await?;
            let booked_per_second = m.run.done as f64 / m.run.last_done_seconds.max(1e-9);
            this_round.insert(
                variant.into(),
                json!({"seats": seats, "attempts": tier.rush_attempts, "booked_per_second": round(booked_per_second), "run": m.json(&b.server)}),
            );
        }
        let since = Bench::now_ms();
        b.store
            .set_slot_seats(data.single.id, 1_000_000_000)
            .await?;
        let db = baseline::booking(
            b.backend,
            &b.store,
            &data,
            Some(data.single.id),
            &b.url,
            b.dir,
            b.args.seconds,
        )
        .await;
        // Bookings out first: the slot's seats cannot go below its bookings.
        b.reset(since).await?;
        b.store
            .set_slot_seats(data.single.id, data.single.seats)
            .await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let db = db?;
        if let (Some(db), Some(server)) = (
            db["per_second"].as_f64(),
            this_round["hot_slots"]["booked_per_second"].as_f64(),
        ) {
            ratios.push(server / db.max(1e-9));
        }
        this_round.insert("database_one_hot_slot".into(), db);
        runs.push(Value::Object(this_round));
    }
    Ok(json!({"ratio_to_database_hot_slot": spread(&ratios), "rounds": runs}))
}

/// Scenario 5: 90% search, 9% booking, 1% cancel or reschedule.
async fn mixed(b: &mut Bench<'_>) -> anyhow::Result<Value> {
    say(&format!("{:?}: mixed rush", b.backend));
    let since = Bench::now_ms();
    let work = Arc::new(Mixed {
        bookings: Bookings::new(
            b.shared.clone(),
            b.shared.data.free().start,
            usize::MAX,
            None,
        ),
    });
    let m = b.measure(work, b.closed(), b.duration()).await?;
    b.audit("mixed rush").await?;
    b.reset(since).await?;
    Ok(m.json(&b.server))
}

/// Scenario 6: new mobiles: OTP, confirmation, registration.
async fn registration(b: &mut Bench<'_>) -> anyhow::Result<Value> {
    say(&format!("{:?}: registration", b.backend));
    let work = Arc::new(Registration {
        shared: b.shared.clone(),
        next_mobile: AtomicU64::new(0),
    });
    let m = b.measure(work, b.closed(), b.duration()).await?;
    let registered = m
        .run
        .kinds
        .iter()
        .find(|(k, _)| k == "register")
        .map_or(0, |(_, l)| l.count);
    Ok(json!({
        "registrations_per_second": round(registered as f64 / m.run.seconds.max(1e-9)),
        "run": m.json(&b.server),
    }))
}

/// Memory: what an idle keep-alive connection costs the server.
async fn memory(b: &Bench<'_>, idle_rss: u64) -> anyhow::Result<Value> {
    let n = 2_000;
    let before = server::rss_kib(b.server.pid());
    let held = load::hold_idle(b.server.addr, n, "/healthz").await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = server::rss_kib(b.server.pid());
    drop(held);
    Ok(json!({
        "server_rss_at_start_mib": round(idle_rss as f64 / 1024.0),
        "server_rss_after_scenarios_mib": round(before as f64 / 1024.0),
        "idle_connections": n,
        "kib_per_idle_connection": round(after.saturating_sub(before) as f64 / n as f64),
    }))
}

/// The report's figures against the goals, as the tables of BENCHMARKS.md.
fn markdown(report: &Value) -> String {
    let mut out = format!(
        "Tier `{}`, seed {}, {} s per run, {} rounds, {} build, {} × {} ({} GiB), {}.\n",
        report["tier"]["name"].as_str().unwrap_or(""),
        report["seed"],
        report["seconds_per_run"],
        report["rounds"],
        report["build"].as_str().unwrap_or(""),
        report["machine"]["cpus"],
        report["machine"]["cpu"].as_str().unwrap_or(""),
        report["machine"]["memory_gib"],
        report["started_at"].as_str().unwrap_or(""),
    );
    for db in report["databases"].as_array().into_iter().flatten() {
        let s = &db["scenarios"];
        let d = &db["dataset"];
        out.push_str(&format!(
            "\n### {}\n\nDataset: {} centres, {} slots, {} beneficiaries in {} families, {} seats booked before the run; built in {} s.\n\n",
            db["backend"].as_str().unwrap_or(""),
            d["centres"], d["slots"], d["beneficiaries"], d["accounts"], d["prebooked_seats"], d["build_seconds"],
        ));
        out.push_str("| scenario | measured | baseline (same run) | ratio: median (min–max) | goal | met |\n|---|---|---|---|---|---|\n");
        let ratio = |v: &Value| match v["median"].as_f64() {
            Some(m) => format!(
                "{m:.3} ({:.3}–{:.3})",
                v["min"].as_f64().unwrap_or(0.0),
                v["max"].as_f64().unwrap_or(0.0)
            ),
            None => "—".into(),
        };
        let met = |ok: bool| if ok { "yes" } else { "**no**" };
        let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
        let sqlite = db["backend"] == "Sqlite";
        // Search.
        let search = &s["search"];
        let trivial = median_rate(&search["rounds"], "trivial");
        let r = f(&search["ratio_to_trivial"]["median"]);
        out.push_str(&format!(
            "| search, cached path | {:.0} answers/s | trivial endpoint {:.0}/s | {} | ≥ 0.5 | {} |\n",
            f(&search["saturation_per_second"]), trivial, ratio(&search["ratio_to_trivial"]), met(r >= 0.5)
        ));
        out.push_str(&latency_row("search", &search["at_80_percent"], 10.0));
        let fresh = &search["read_your_writes"];
        out.push_str(&format!(
            "| search after a booking shows it (read-your-writes) | {}/{} | | | all | {} |\n",
            fresh["fresh"],
            fresh["checks"],
            met(fresh["fresh"] == fresh["checks"])
        ));
        out.push_str(&format!(
            "| search against the database alone | | {} {:.0}/s | {} | (for reference) | |\n",
            if sqlite { "raw harness" } else { "pgbench" },
            median_rate_db(&search["rounds"]),
            ratio(&search["ratio_to_database"])
        ));
        // Bots.
        let bots = &s["bot_polling"];
        let (alone, with) = (
            f(&bots["citizens_alone"]["result"]["latency"]["p99_ms"]),
            f(&bots["citizens_with_bots"]["result"]["latency"]["p99_ms"]),
        );
        out.push_str(&format!(
            "| citizens' search p99 at {:.0}/s, alone → with 32 bot connections from 4 addresses | {:.2} → {:.2} ms | bots got {} answers, {} of them 429 | {:.2} | p99 ≤ 10 ms with bots | {} |\n",
            f(&bots["citizens_per_second"]), alone, with, bots["bots"]["answers"], bots["bots"]["refused_429"],
            f(&bots["p99_ratio_with_bots"]), met(with <= 10.0)
        ));
        // Spread.
        let spread = &s["booking_spread"];
        let r = f(&spread["ratio_to_database"]["median"]);
        out.push_str(&format!(
            "| booking, spread over all slots | {:.0} bookings/s | {} on the same statements {:.0}/s | {} | ≥ 0.8 | {} |\n",
            f(&spread["saturation_per_second"]), if sqlite { "raw harness" } else { "pgbench" },
            median_rate_db(&spread["rounds"]), ratio(&spread["ratio_to_database"]), met(r >= 0.8)
        ));
        out.push_str(&latency_row("booking", &spread["at_80_percent"], 50.0));
        // Rush.
        let rush = &s["booking_rush"];
        let rounds = rush["rounds"].as_array().cloned().unwrap_or_default();
        let med = |path: &[&str]| {
            let mut v: Vec<f64> = rounds
                .iter()
                .filter_map(|r| path.iter().fold(r, |x, k| &x[*k]).as_f64())
                .collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
        };
        let booked = med(&["hot_slots", "booked_per_second"]);
        let db_hot = med(&["database_one_hot_slot", "per_second"]);
        let r = f(&rush["ratio_to_database_hot_slot"]["median"]);
        let (goal, ok) = if sqlite {
            ("≥ 20,000 bookings/s", booked >= 20_000.0)
        } else {
            (
                "≥ 5 × one-booking-per-transaction on one hot slot",
                r >= 5.0,
            )
        };
        let first = rounds.first().cloned().unwrap_or_default();
        out.push_str(&format!(
            "| rush: {} hot slots × {} seats, {} attempts on {} connections | {:.0} bookings/s until sold out | one hot slot, one booking per transaction: {:.0}/s | {} | {} | {} |\n",
            first["hot_slots"]["seats"].as_i64().unwrap_or(0) / 100, 100, first["hot_slots"]["attempts"],
            report["tier"]["rush_connections"], booked, db_hot, ratio(&rush["ratio_to_database_hot_slot"]), goal, met(ok)
        ));
        let done_p99 = med(&["hot_slots", "run", "result", "done_latency", "p99_ms"]);
        let refused_p99 = med(&["hot_slots", "run", "result", "refused_latency", "p99_ms"]);
        out.push_str(&format!(
            "| rush: p99 of bookings / of sold-out answers | {done_p99:.1} / {refused_p99:.1} ms | | | ≤ 150 / ≤ 5 ms | {} |\n",
            met(done_p99 <= 150.0 && refused_p99 <= 5.0)
        ));
        out.push_str(&format!(
            "| rush: one slot × {} seats | {:.0} bookings/s until sold out | | | | |\n",
            first["single_slot"]["seats"],
            med(&["single_slot", "booked_per_second"])
        ));
        // Mixed and registration.
        let mixed = &s["mixed_rush"]["result"];
        out.push_str(&format!(
            "| mixed rush (90% search, 9% booking, 1% cancel or reschedule) | {:.0} answers/s, p99 {:.1} ms, {} failed | | | | |\n",
            f(&mixed["per_second"]), f(&mixed["latency"]["p99_ms"]), mixed["failed"]
        ));
        let reg = f(&s["registration"]["registrations_per_second"]);
        out.push_str(&format!(
            "| registration: OTP, confirmation, new beneficiary | {reg:.0} registrations/s | | | {} | {} |\n",
            if sqlite { "(PostgreSQL goal only)" } else { "≥ 5,000/s" },
            if sqlite { "" } else { met(reg >= 5000.0) }
        ));
        // Certification.
        let c = &s["certification"];
        let (doses, verified) = (
            f(&c["doses_certified_per_second"]),
            f(&c["verifications_per_second"]),
        );
        out.push_str(&format!(
            "| certification: record, sign and store a dose | {doses:.0} doses/s | {:.0}/s (the same transaction, signed beforehand) | {:.2} | {} | {} |\n",
            f(&c["database_baseline_per_second"]),
            f(&c["ratio_to_database"]),
            if sqlite { "(PostgreSQL goal only)" } else { "≥ 1,000/s" },
            if sqlite { "" } else { met(doses >= 1000.0) }
        ));
        out.push_str(&format!(
            "| certificate verifications, every core | {verified:.0}/s | {:.0}/s (Ed25519 alone) | {:.2} | ≥ 5,000/s | {} |\n",
            f(&c["ed25519_only_per_second"]),
            f(&c["ratio_to_ed25519"]),
            met(verified >= 5000.0)
        ));
        // Memory and gates.
        let m = &db["memory"];
        let per = f(&m["kib_per_idle_connection"]);
        out.push_str(&format!(
            "| memory per idle keep-alive connection ({} held) | {per:.1} KiB | | | ≤ 32 KB | {} |\n",
            m["idle_connections"], met(per <= 31.25)
        ));
        out.push_str(&format!(
            "| server RSS at start → after every scenario | {} → {} MiB | | | ≤ 200 MB for 10 million slots | {} |\n",
            m["server_rss_at_start_mib"], m["server_rss_after_scenarios_mib"],
            met(f(&m["server_rss_after_scenarios_mib"]) <= 190.7)
        ));
        let gates = db["gates"].as_array().cloned().unwrap_or_default();
        let held = gates.iter().filter(|g| g["ok"] == true).count();
        out.push_str(&format!(
            "| correctness gates (no slot over its seats, counters = rows, nobody twice per dose, rush successes = min(seats, attempts)) | {held}/{} held | | | all | {} |\n",
            gates.len(), met(held == gates.len())
        ));
    }
    out
}

/// A table row: latency at 80% of saturation against a p99 goal.
fn latency_row(what: &str, at_80: &Value, goal_p99_ms: f64) -> String {
    let latency = &at_80["run"]["result"]["latency"];
    let ms = |k: &str| latency[k].as_f64().unwrap_or(f64::NAN);
    format!(
        "| {what} p50 / p99 / p99.9 at 80% of saturation ({:.0}/s) | {:.2} / {:.2} / {:.2} ms | | | p99 ≤ {goal_p99_ms} ms | {} |\n",
        at_80["offered_per_second"].as_f64().unwrap_or(f64::NAN),
        ms("p50_ms"),
        ms("p99_ms"),
        ms("p999_ms"),
        if ms("p99_ms") <= goal_p99_ms {
            "yes"
        } else {
            "**no**"
        },
    )
}

fn median_rate(rounds: &Value, key: &str) -> f64 {
    median_of(rounds.as_array().map_or(&[][..], Vec::as_slice), key)
}

fn median_rate_db(rounds: &Value) -> f64 {
    let mut v: Vec<f64> = rounds
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["database"]["per_second"].as_f64())
        .collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn summary(report: &Value) -> String {
    let mut out = String::new();
    for db in report["databases"].as_array().into_iter().flatten() {
        let s = &db["scenarios"];
        out.push_str(&format!(
            "\n  {}: search {}/s ({}× trivial), spread booking {}× database, hot rush {}× database hot slot, registration {}/s, certification {} doses/s and {} verifications/s, gates {}",
            db["backend"].as_str().unwrap_or(""),
            s["search"]["saturation_per_second"],
            s["search"]["ratio_to_trivial"]["median"],
            s["booking_spread"]["ratio_to_database"]["median"],
            s["booking_rush"]["ratio_to_database_hot_slot"]["median"],
            s["registration"]["registrations_per_second"],
            s["certification"]["doses_certified_per_second"],
            s["certification"]["verifications_per_second"],
            if db["gates"].as_array().is_some_and(|g| g.iter().all(|g| g["ok"] == Value::Bool(true))) { "hold" } else { "BROKEN" },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_reports_the_median_and_the_range() {
        let s = spread(&[3.0, 1.0, 2.0]);
        assert_eq!(s["median"], 2.0);
        assert_eq!(s["min"], 1.0);
        assert_eq!(s["max"], 3.0);
        assert_eq!(spread(&[1.0, 2.0])["median"], 1.5);
        assert_eq!(spread(&[]), Value::Null);
    }
}
