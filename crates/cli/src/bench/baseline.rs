//! The database's ceiling on the scenarios' own statements: `pgbench` on PostgreSQL, a raw
//! harness (this process, the store's pool, no HTTP) on SQLite; one request per transaction.

use super::dataset::{Dataset, FIRST_REFERENCE};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sehat_store::baseline::{Script, Value as V, booking_script, pgbench_text, search_script};
use sehat_store::{Backend, SqlStore};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections of the baselines: the server's pool size.
const CLIENTS: usize = 16;

/// The search statements (findByPin's) for centres drawn with the dataset's skew.
pub async fn search(
    backend: Backend,
    store: &SqlStore,
    data: &Arc<Dataset>,
    url: &str,
    dir: &Path,
    seconds: f64,
) -> anyhow::Result<Value> {
    let script = search_script(false);
    let from = data.first_day;
    let to = from + time::Duration::days(6);
    match backend {
        Backend::Postgres => {
            let n = data.tier.centers;
            let prelude = format!(
                "\\set u random(0, 999999)\n\\set center 1 + :u * :u / 1000000 * :u / 1000000 * {n} / 1000000\n"
            );
            pgbench(
                url,
                dir,
                "search",
                &pgbench_text(&script, &prelude),
                &[("from", from.to_string()), ("to", to.to_string())],
                seconds,
            )
        }
        Backend::Sqlite => {
            let data = data.clone();
            harness(store, script, seconds, move |rng| {
                let center = super::dataset::skewed(rng, data.tier.centers) as i64 + 1;
                HashMap::from([
                    ("center", V::Int(center)),
                    ("from", V::Date(from)),
                    ("to", V::Date(to)),
                ])
            })
            .await
        }
    }
}

/// The booking statements: a random free person into a random ordinary slot, or into `hot`.
pub async fn booking(
    backend: Backend,
    store: &SqlStore,
    data: &Arc<Dataset>,
    hot: Option<i64>,
    url: &str,
    dir: &Path,
    seconds: f64,
) -> anyhow::Result<Value> {
    let script = booking_script(backend);
    let free = data.free();
    let (lo, hi) = (
        FIRST_REFERENCE + free.start as i64,
        FIRST_REFERENCE + free.end as i64 - 1,
    );
    let slots = data.tier.slots() as i64;
    let today = data.first_day - time::Duration::days(1);
    match backend {
        Backend::Postgres => {
            let slot = hot.map_or_else(|| format!("random(1, {slots})"), |id| id.to_string());
            let prelude = format!(
                "\\set slot {slot}\n\\set ben random({lo}, {hi})\n\\set num random(10000000000000, 99999999999999)\n\\set key :num\n"
            );
            let name = if hot.is_some() {
                "booking-hot"
            } else {
                "booking"
            };
            pgbench(
                url,
                dir,
                name,
                &pgbench_text(&script, &prelude),
                &[("today", today.to_string())],
                seconds,
            )
        }
        Backend::Sqlite => {
            harness(store, script, seconds, move |rng| {
                let slot = hot.unwrap_or_else(|| rng.random_range(1..=slots));
                let num: i64 = rng.random_range(10_000_000_000_000..100_000_000_000_000);
                HashMap::from([
                    ("slot", V::Int(slot)),
                    ("ben", V::Int(rng.random_range(lo..=hi))),
                    ("num", V::Int(num)),
                    ("key", V::Text(num.to_string())),
                    ("today", V::Date(today)),
                ])
            })
            .await
        }
    }
}

fn pgbench(
    url: &str,
    dir: &Path,
    name: &str,
    script: &str,
    defines: &[(&str, String)],
    seconds: f64,
) -> anyhow::Result<Value> {
    let file = dir.join(format!("pgbench-{name}.sql"));
    std::fs::write(&file, script)?;
    let mut command = std::process::Command::new("pgbench");
    command
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &CLIENTS.to_string(),
            "-j",
            "2",
        ])
        .args(["-T", &(seconds.ceil() as u64).max(1).to_string()])
        .arg("-f")
        .arg(&file);
    for (k, v) in defines {
        command.arg("-D").arg(format!("{k}={v}"));
    }
    command.arg(url);
    let output = match command.output() {
        Ok(o) => o,
        Err(e) => return Ok(json!({"tool": "pgbench", "unavailable": e.to_string()})),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
    };
    let tps = field("tps =");
    anyhow::ensure!(
        output.status.success() && tps.is_some(),
        "pgbench {name} failed: {}{}",
        text,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(json!({
        "tool": "pgbench",
        "script": file.file_name().map(|f| f.to_string_lossy().into_owned()),
        "clients": CLIENTS,
        "per_second": tps,
        "latency_average_ms": field("latency average ="),
        "failed_transactions": field("number of failed transactions:"),
    }))
}

async fn harness(
    store: &SqlStore,
    script: Script,
    seconds: f64,
    values: impl Fn(&mut SmallRng) -> HashMap<&'static str, V> + Send + Sync + 'static,
) -> anyhow::Result<Value> {
    let script = Arc::new(script);
    let values = Arc::new(values);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let (store, script, values) = (store.clone(), script.clone(), values.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = SmallRng::seed_from_u64(i as u64);
            let (mut done, mut failed) = (0u64, 0u64);
            while Instant::now() < deadline {
                let mut v = values(&mut rng);
                match store.run_script(&script, &mut v).await {
                    Ok(()) => done += 1,
                    Err(_) => failed += 1,
                }
            }
            (done, failed)
        }));
    }
    let (mut done, mut failed) = (0, 0);
    for t in tasks {
        let (d, f) = t.await?;
        done += d;
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(json!({
        "tool": "raw SQLite harness",
        "clients": CLIENTS,
        "per_second": done as f64 / elapsed,
        "transactions": done,
        "failed_transactions": failed,
    }))
}
