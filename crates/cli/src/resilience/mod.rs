//! `sehat resilience`: the suites that prove what the booking core withstands, over real HTTP
//! from this process against `sehat serve` run as a separate process (the benchmark's server,
//! load client and datasets): `contention` (thousands of concurrent schedule, reschedule and
//! cancel calls on a few hot slots, with retries that reuse idempotency keys) and `crash`
//! (SIGKILL of the server, and of a private PostgreSQL server, under booking load), and `abuse`
//! (oversized and deep bodies, slow clients, a huge upload and unbounded pages while citizens
//! search). Each writes a JSON and a markdown report of its figures and fails when a gate is
//! broken.

mod abuse;
mod client;
mod cluster;
mod contention;
mod crash;
mod gateway;

use crate::bench::dataset::{self, Dataset, Tier};
use crate::bench::scenarios::Shared;
use crate::bench::server::{self, Server};
use crate::config::Config;
use crate::keys;
use anyhow::Context;
use sehat_api::http::auth::TokenKeys;
use sehat_domain::gazetteer::Gazetteer;
use sehat_store::{Backend, SqlStore};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Which suite, and how hard.
#[derive(Debug, Clone, clap::Args)]
pub struct ResilienceArgs {
    /// `contention` (overbooking and idempotency under concurrent calls), `crash` (SIGKILL
    /// under booking load), `abuse` (resource abuse while citizens search), or `all`.
    #[arg(value_parser = ["contention", "crash", "abuse", "all"])]
    pub suite: String,
    /// Databases: `sqlite`, `postgres` or `both`.
    #[arg(long, default_value = "both", value_parser = ["sqlite", "postgres", "both"])]
    pub database: String,
    /// The PostgreSQL server for the runs on PostgreSQL (a database named
    /// `sehat_resilience_<suite>` is created there, replacing any earlier one). The crash suite
    /// kills a private throwaway cluster instead of this one, never this one.
    #[arg(
        long,
        env = "SEHAT_RESILIENCE_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// The short form: seconds, not minutes (3 kill rounds, a few hundred contended calls).
    #[arg(long)]
    pub fast: bool,
    /// Kill rounds of the crash suite [default: 3 with --fast, 12 otherwise].
    #[arg(long)]
    pub rounds: Option<usize>,
    /// People who book in the contention suite [default: 300 with --fast, 4,000 otherwise].
    #[arg(long)]
    pub people: Option<usize>,
    /// Concurrent client connections [default: 32 with --fast, 128 otherwise].
    #[arg(long)]
    pub connections: Option<usize>,
    /// Skip the crash suite's PostgreSQL-server kill (it needs `initdb` to make a private
    /// cluster; without it the part is skipped anyway, with a message).
    #[arg(long)]
    pub no_private_cluster: bool,
    /// Seed of the dataset and of the clients' choices.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Working directory: databases, keys, the servers' logs and the reports.
    #[arg(long, default_value = "target/resilience")]
    pub dir: PathBuf,
}

impl ResilienceArgs {
    fn connections(&self) -> usize {
        self.connections
            .unwrap_or(if self.fast { 32 } else { 128 })
            .max(1)
    }
}

/// Runs a suite (or both) on the chosen databases, writes `<suite>.json` and `<suite>.md` into
/// the working directory, and fails when a gate is broken.
pub async fn run(args: ResilienceArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)?;
    let dir = args.dir.canonicalize()?;
    let keys = keys::load_or_generate(&dir.join("keys"), None, None, None)?;
    let suites: &[&str] = match args.suite.as_str() {
        "all" => &["contention", "crash", "abuse"],
        "contention" => &["contention"],
        "abuse" => &["abuse"],
        _ => &["crash"],
    };
    let mut broken = Vec::new();
    for suite in suites {
        broken.extend(run_suite(&args, suite, &dir, &keys).await?);
    }
    anyhow::ensure!(
        broken.is_empty(),
        "resilience gates broken: {}",
        broken.join(", ")
    );
    Ok(())
}

/// Runs one suite and writes its report; returns the gates it broke.
async fn run_suite(
    args: &ResilienceArgs,
    suite: &str,
    dir: &Path,
    keys: &keys::Keys,
) -> anyhow::Result<Vec<String>> {
    let started = time::OffsetDateTime::now_utc();
    let mut results = Vec::new();
    if args.database != "postgres" {
        results.extend(run_on(args, suite, Backend::Sqlite, dir, keys).await?);
    }
    if args.database != "sqlite" {
        results.extend(run_on(args, suite, Backend::Postgres, dir, keys).await?);
    }
    let broken: Vec<String> = results
        .iter()
        .flat_map(|r| {
            r["gates"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|g| g["ok"] != Value::Bool(true))
                .map(|g| format!("{}: {}", r["name"], g["name"]))
                .collect::<Vec<_>>()
        })
        .collect();
    let report = json!({
        "suite": suite,
        "form": if args.fast { "fast" } else { "full" },
        "sehat_version": env!("CARGO_PKG_VERSION"),
        "started_at": started.format(&time::format_description::well_known::Rfc3339)?,
        "seconds": round((time::OffsetDateTime::now_utc() - started).as_seconds_f64()),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "seed": args.seed,
        "runs": results,
        "gates_hold": broken.is_empty(),
    });
    let path = dir.join(format!("{suite}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    std::fs::write(dir.join(format!("{suite}.md")), markdown(&report))?;
    say(&format!("report written to {} (and .md)", path.display()));
    Ok(broken)
}

async fn run_on(
    args: &ResilienceArgs,
    suite: &str,
    backend: Backend,
    dir: &Path,
    keys: &keys::Keys,
) -> anyhow::Result<Vec<Value>> {
    match suite {
        "contention" => contention::run(args, backend, dir, keys)
            .await
            .map(|run| vec![run])
            .with_context(|| format!("contention suite on {backend:?}")),
        "abuse" => abuse::run(args, backend, dir, keys)
            .await
            .map(|run| vec![run])
            .with_context(|| format!("abuse suite on {backend:?}")),
        _ => crash::run(args, backend, dir, keys)
            .await
            .with_context(|| format!("crash suite on {backend:?}")),
    }
}

fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "resilience: {line}");
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A gate: a named invariant, whether it held, and the figures behind it.
fn gate(gates: &mut Vec<Value>, name: &str, ok: bool, detail: Value) {
    if !ok {
        say(&format!("GATE BROKEN: {name}: {detail}"));
    }
    let mut entry = serde_json::Map::new();
    entry.insert("name".into(), name.into());
    entry.insert("ok".into(), ok.into());
    entry.insert("detail".into(), detail);
    gates.push(Value::Object(entry));
}

/// Suite 8 over a suite's run: the server's log (at `info`, every request's access line
/// included) holds no mobile number, 12-digit id, token or partner key.
fn no_personal_data(gates: &mut Vec<Value>, log: &Path) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let leaks = sehat_api::http::telemetry::personal_data_in(&text, "");
    gate(
        gates,
        "no personal data in the server's log",
        !text.is_empty() && leaks.is_empty(),
        json!({"log_lines": text.lines().count(), "leaks": leaks.len(),
               "first_leaks": leaks.iter().take(5).collect::<Vec<_>>()}),
    );
}

/// A small dataset for a suite: a few ordinary centres with a handful of days of slots, `hot`
/// hot slots of `hot_seats` seats each, and `people` beneficiaries in families of one to four.
fn tier(people: usize, hot: usize, hot_seats: i64) -> Tier {
    Tier {
        name: "resilience",
        centers: 40,
        days: 3,
        slots_per_day: 7,
        seats: 10,
        beneficiaries: people,
        prebooked_share: 0.0,
        rush_slots: hot,
        rush_seats: hot_seats,
        single_slot_seats: 10,
        rush_attempts: 0,
        rush_connections: 0,
    }
}

/// The template a suite's databases are copied from: migrated, holding the master data (loading
/// 157,000 post offices for every run would dominate the fast form's time). Built once a process.
static SQLITE_TEMPLATE: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
static POSTGRES_TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn migrated_with_master_data(url: &str) -> anyhow::Result<()> {
    let mut config = Config::default();
    config.database.url = url.to_owned();
    let store = crate::setup::open_store(&config).await?;
    crate::setup::ensure_master_data(&store, false).await?;
    // Closing the last connection folds SQLite's write-ahead log into the file.
    store.close().await;
    Ok(())
}

/// The database URL a suite's run uses: a fresh SQLite file in `dir`, or a fresh database on
/// the PostgreSQL server at `postgres_url`, each a copy of the template.
async fn fresh_database(
    backend: Backend,
    name: &str,
    dir: &Path,
    postgres_url: &str,
) -> anyhow::Result<String> {
    Ok(match backend {
        Backend::Sqlite => {
            let template = SQLITE_TEMPLATE
                .get_or_try_init(|| async {
                    let file = dir.join("template.db");
                    remove_sqlite(&file);
                    migrated_with_master_data(&format!("sqlite://{}", file.display())).await?;
                    anyhow::Ok(file)
                })
                .await?;
            let file = dir.join(format!("{name}.db"));
            remove_sqlite(&file);
            std::fs::copy(template, &file)?;
            format!("sqlite://{}", file.display())
        }
        Backend::Postgres => {
            let template = POSTGRES_TEMPLATE
                .get_or_try_init(|| async {
                    let name = "sehat_resilience_template";
                    let url =
                        sehat_store::bulk::recreate_postgres_database(postgres_url, name).await?;
                    migrated_with_master_data(&url).await?;
                    anyhow::Ok(name.to_owned())
                })
                .await?;
            sehat_store::inspect::copy_postgres_database(postgres_url, template, name).await?
        }
    })
}

fn remove_sqlite(file: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

/// A database with a suite's dataset in it, and what clients need to act as its people.
struct Prepared {
    store: SqlStore,
    shared: Arc<Shared>,
    url: String,
}

impl Prepared {
    /// Migrates the database at `url`, loads the master data and generates the dataset.
    async fn build(
        url: &str,
        tier: Tier,
        seed: u64,
        keys: &keys::Keys,
        label: &str,
    ) -> anyhow::Result<Self> {
        let mut config = Config::default();
        config.database.url = url.to_owned();
        let store = crate::setup::open_store(&config).await?;
        crate::setup::ensure_master_data(&store, false).await?;
        let gazetteer = Gazetteer::load(&store).await?;
        // The server's own key (hashing and sealing), so it can open the mobiles it sends to.
        let identity = keys.identity()?;
        let data: Dataset = dataset::build(&store, &gazetteer, &identity, tier, seed, &|step| {
            say(&format!("{label}: {step}"));
        })
        .await?;
        let shared = Arc::new(Shared {
            data: Arc::new(data),
            tokens: TokenKeys::new(
                &keys.jwt_secret,
                Duration::from_secs(900),
                Duration::from_secs(3600),
            ),
            next_ip: AtomicU64::new(0),
        });
        Ok(Self {
            store,
            shared,
            url: url.to_owned(),
        })
    }

    /// Starts `sehat serve` on the database at `addr`, appending to `log`.
    async fn serve(&self, addr: SocketAddr, dir: &Path, log: &str) -> anyhow::Result<Server> {
        self.serve_with(addr, dir, log, &[]).await
    }

    /// Starts `sehat serve` on the database at `addr`, appending to `log`, with settings of
    /// its own (`SEHAT__…` variables).
    async fn serve_with(
        &self,
        addr: SocketAddr,
        dir: &Path,
        log: &str,
        settings: &[(&str, String)],
    ) -> anyhow::Result<Server> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(log))?;
        Server::start_at(
            addr,
            &self.url,
            dir,
            log,
            &[
                &[
                    ("SEHAT__DATABASE__MAX_CONNECTIONS", "16".into()),
                    // Every request's access line, for the PII scan of the log.
                    ("SEHAT__LOG__FILTER", "info".into()),
                ],
                settings,
            ]
            .concat(),
        )
        .await
    }
}

/// A free loopback address for a server that keeps it across restarts.
fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(format!("127.0.0.1:{}", server::free_port()?).parse()?)
}

/// The report as markdown: one table of gates per run.
fn markdown(report: &Value) -> String {
    let mut out = format!(
        "## Resilience suite `{}` ({} form, {} build, {} s, {})\n",
        report["suite"].as_str().unwrap_or(""),
        report["form"].as_str().unwrap_or(""),
        report["build"].as_str().unwrap_or(""),
        report["seconds"],
        report["started_at"].as_str().unwrap_or(""),
    );
    for run in report["runs"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\n### {}\n\n{}\n\n| gate | held | figures |\n|---|---|---|\n",
            run["name"].as_str().unwrap_or(""),
            run["summary"].as_str().unwrap_or(""),
        ));
        for g in run["gates"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "| {} | {} | `{}` |\n",
                g["name"].as_str().unwrap_or(""),
                if g["ok"] == Value::Bool(true) {
                    "yes"
                } else {
                    "**NO**"
                },
                g["detail"]
            ));
        }
    }
    out
}
