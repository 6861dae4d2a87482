//! What the subcommands do: open and migrate the store, load master data, seed the demo
//! dataset, import a facility file, and serve.

use crate::config::{Config, LogConfig, OtpDelivery};
use crate::keys;
use anyhow::Context;
use sehat_api::admin::facility_import::{
    ImportMode, ImportOptions, ImportReport, PlanWriter, import_facilities,
};
use sehat_api::cowin_v2::feed::{Feed, FeedConfig};
use sehat_api::http::auth::TokenKeys;
use sehat_api::http::rate_limit::PublicLimit;
use sehat_api::notify;
use sehat_api::{ApiConfig, AppState};
use sehat_domain::DomainError;
use sehat_domain::clock::{Clock, SystemClock};
use sehat_domain::gazetteer::Gazetteer;
use sehat_domain::identity::OtpPolicy;
use sehat_domain::outbox::RetryPolicy;
use sehat_domain::{audit::AuditStore, facility::FacilityStore, master::ReferenceStore};
use sehat_store::{ConnectOptions, SqlStore};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Logs go to standard error, as text or JSON; `RUST_LOG` overrides the configured filter.
pub fn init_logging(config: &LogConfig) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Connects (retrying for 30 s while the database is not up yet) and migrates.
pub async fn open_store(config: &Config) -> anyhow::Result<SqlStore> {
    let mut options = ConnectOptions::new(&config.database.url);
    options.max_connections = config.database.max_connections;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let deadline = Instant::now() + Duration::from_secs(30);
    let store = loop {
        match SqlStore::connect(&options, clock.clone()).await {
            Ok(store) => break store,
            Err(DomainError::Unavailable(e)) if Instant::now() < deadline => {
                // The URL may hold a password: log only the cause.
                tracing::warn!(error = %e, "database not reachable yet, retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(anyhow::Error::new(e)).context("opening the database"),
        }
    };
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// Loads the shipped master data unless the same version is already there (or `force`).
pub async fn ensure_master_data(store: &SqlStore, force: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let version = sehat_store::master_data::shipped_version();
    if !force && store.master_data_version().await?.as_deref() == Some(version.as_str()) {
        return Ok(());
    }
    let (data, report) = sehat_store::master_data::shipped().map_err(anyhow::Error::msg)?;
    store
        .import_master_data(&data)
        .await
        .context("loading master data")?;
    tracing::info!(
        states = data.states.len(),
        districts = data.districts.len(),
        blocks = data.blocks.len(),
        localities = data.localities.len(),
        vaccines = data.vaccines.len(),
        postal_districts = report.postal_districts,
        post_offices_left_out = report.unmatched_post_offices,
        elapsed_ms = started.elapsed().as_millis(),
        "master data loaded"
    );
    // Every named postal district matches a CoWIN one; the post offices left out are the few
    // that name no district at all (data/README.md). A named district that matches none is news.
    for district in report.unmatched_districts.iter().filter(|d| *d != " ()") {
        tracing::warn!(district = %district, "post-office district not matched to a CoWIN district");
    }
    Ok(())
}

/// Creates the demo dataset through the same path as a facility upload.
pub async fn seed_demo(
    store: &SqlStore,
    gazetteer: &Gazetteer,
    seed: u64,
    centers: usize,
) -> anyhow::Result<ImportReport> {
    let started = Instant::now();
    let localities = store.located_localities().await?;
    let plans = sehat_domain::demo::generate(seed, &localities, centers, store.clock.today());
    let options = ImportOptions {
        batch_rows: 1000,
        ..ImportOptions::new(ImportMode::Partial, store.clock.today())
    };
    let mut writer = PlanWriter::new(store, gazetteer, options);
    for (i, plan) in plans.into_iter().enumerate() {
        writer
            .write(u64::try_from(i).unwrap_or(0) + 1, plan)
            .await?;
    }
    let report = writer.finish().await?;
    tracing::info!(
        seed,
        centers = report.centers_created,
        sessions = report.sessions_created,
        slots = report.slots_created,
        rejected = report.rejected,
        elapsed_ms = started.elapsed().as_millis(),
        "demo data seeded"
    );
    Ok(report)
}

/// `sehat seed-demo`.
pub async fn seed_demo_command(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    ensure_master_data(&store, false).await?;
    let gazetteer = Gazetteer::load(&store).await?;
    let report = seed_demo(&store, &gazetteer, config.demo.seed, config.demo.centers).await?;
    print_json(&report)?;
    store.close().await;
    Ok(())
}

#[allow(clippy::print_stdout)]
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `sehat import facilities FILE`.
pub async fn import_facilities_file(
    config: &Config,
    file: &Path,
    all_or_nothing: bool,
) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    ensure_master_data(&store, false).await?;
    let gazetteer = Gazetteer::load(&store).await?;
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    let reader = tokio::fs::File::open(file)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mode = if all_or_nothing {
        ImportMode::AllOrNothing
    } else {
        ImportMode::Partial
    };
    let options = ImportOptions::new(mode, store.clock.today());
    let started = Instant::now();
    let mut progress = |rows: u64, bytes: u64| {
        if rows.is_multiple_of(256) {
            bar.set_position(bytes);
            bar.set_message(format!("{rows} rows"));
        }
    };
    let result = import_facilities(
        tokio::io::BufReader::new(reader),
        &store,
        &gazetteer,
        options,
        &mut progress,
    )
    .await;
    bar.finish_and_clear();
    store.close().await;
    let report = match result {
        Ok(report) => report,
        Err(sehat_api::admin::facility_import::ImportError::Headers(h)) => {
            anyhow::bail!(
                "USRRES0005 INVALID_FILE_HEADERS: wrong {:?}, missing {:?}",
                h.wrong,
                h.missing
            )
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        rows = report.rows,
        elapsed_ms = started.elapsed().as_millis(),
        "import finished"
    );
    print_json(&report)?;
    anyhow::ensure!(
        report.committed || report.rows == 0,
        "nothing was imported: {} rows rejected",
        report.rejected
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

/// The keys the configuration names, generating into its data directory what is missing.
fn configured_keys(config: &Config) -> anyhow::Result<keys::Keys> {
    keys::load_or_generate(
        &config.keys.data_dir,
        config.keys.jwt_key_path.as_deref(),
        config.keys.identity_key_path.as_deref(),
        config.keys.sealing_key_path.as_deref(),
    )
}

/// The demo's partner API key (partner `demo`), kept in the data directory (mode 0600) so that
/// the guides can log in as a guest. A key belongs to the database that issued it: when the file
/// holds a key this database does not accept (the database was reset, deleted or moved), a new
/// one replaces it. Never the key itself in the log.
async fn demo_partner_key(
    store: &SqlStore,
    identity: &sehat_domain::identity::IdentityKey,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let path = data_dir.join("demo-partner.key");
    if let Ok(kept) = std::fs::read_to_string(&path) {
        let now = store.clock.now_millis();
        match sehat_domain::credentials::check_partner_key(store, identity, &kept, now).await {
            Ok(_) => return Ok(()),
            Err(DomainError::Rule(_)) => {
                tracing::info!(
                    path = %path.display(),
                    "the demo partner API key on file is not this database's: issuing a new one"
                );
                // Key files are written only where none is (write_private never overwrites).
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing the stale {}", path.display()))?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let (_, secret) =
        sehat_domain::credentials::issue_partner_key(store, identity, "demo", None).await?;
    keys::write_private(&path, secret.expose().as_bytes())?;
    // Not the key's id: 16 hex digits can hold a run of 12 digits, which reads like an ID
    // number to anyone scanning logs for personal data (the tests do).
    tracing::info!(path = %path.display(), "issued the demo partner API key");
    Ok(())
}

/// Seals new audit records into the hash chain every second. Each node runs one; they take
/// turns on the chain's head row. Once `stopping` is cancelled it seals what is pending one
/// last time and ends, so that it never outlives the database pool.
fn start_audit_sealer(
    store: &SqlStore,
    identity: &sehat_domain::identity::IdentityKey,
    stopping: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let store = store.clone();
    let chain = sehat_domain::audit::AuditChain::new(identity.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            let last = tokio::select! {
                _ = tick.tick() => false,
                () = stopping.cancelled() => true,
            };
            if let Err(e) = store.seal_audit(&chain, 10_000).await {
                tracing::warn!(error = %e, "sealing the audit log failed; retrying");
            }
            if last {
                return;
            }
        }
    })
}

/// `sehat audit verify`: seals what is pending, then checks the whole chain. Fails when it is
/// broken.
pub async fn verify_audit(config: &Config) -> anyhow::Result<()> {
    let keys = configured_keys(config)?;
    let store = open_store(config).await?;
    let chain = sehat_domain::audit::AuditChain::new(keys.identity()?);
    let report = sehat_domain::audit::verify(&store, &chain).await?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    match report.broken {
        None => {
            writeln!(
                out,
                "audit log intact: {} records checked, chain head at {}, {} pending",
                report.checked, report.last_seq, report.pending
            )?;
            Ok(())
        }
        Some((seq, why)) => {
            writeln!(
                out,
                "audit log BROKEN at record {seq}: {why} ({} records checked before it)",
                report.checked
            )?;
            anyhow::bail!("the audit log chain is broken at record {seq}")
        }
    }
}

/// `sehat partner-key issue PARTNER`: issues a key and prints it once.
pub async fn issue_partner_key_command(config: &Config, partner: &str) -> anyhow::Result<()> {
    let keys = configured_keys(config)?;
    let store = open_store(config).await?;
    let (key, secret) =
        sehat_domain::credentials::issue_partner_key(&store, &keys.identity()?, partner, None)
            .await?;
    store.close().await;
    use std::io::Write;
    writeln!(
        std::io::stdout().lock(),
        "{}\n(key id {}: send it as the x-api-key header of POST /api/v1/auth/guest/login; it is not shown again)",
        secret.expose(),
        key.id
    )?;
    Ok(())
}

/// `sehat serve`; with `reset` (only with `demo`) the database is emptied first.
pub async fn serve(config: &Config, demo: bool, reset: bool) -> anyhow::Result<()> {
    // Bind first: a wrong address fails before anything is created or migrated.
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("listening on {}", config.server.listen))?;
    let keys = configured_keys(config)?;
    tracing::info!(jwt_key = %keys.jwt_path.display(), "signing keys ready");
    if reset {
        reset_database(config).await?;
    }
    let store = open_store(config).await?;
    ensure_master_data(&store, false).await?;
    let mut gazetteer = Gazetteer::load(&store).await?;
    if demo && store.count_centers().await? == 0 {
        seed_demo(&store, &gazetteer, config.demo.seed, config.demo.centers).await?;
        gazetteer = Gazetteer::load(&store).await?;
    }
    let identity = keys.identity()?;
    if demo {
        demo_partner_key(&store, &identity, &config.keys.data_dir).await?;
    }
    let otp = &config.otp;
    let delivery = match otp.delivery {
        OtpDelivery::Sandbox => notify::OtpDelivery::Sandbox,
        OtpDelivery::Console => notify::OtpDelivery::Console,
        OtpDelivery::Http => notify::OtpDelivery::Http,
    };
    let notifier: Arc<dyn notify::Notifier> = match delivery {
        notify::OtpDelivery::Sandbox => Arc::new(notify::NoNotifier),
        notify::OtpDelivery::Console => Arc::new(notify::ConsoleNotifier),
        notify::OtpDelivery::Http => {
            let url = otp
                .http_url
                .clone()
                .filter(|u| !u.is_empty())
                .context("otp.delivery = http needs otp.http_url")?;
            Arc::new(notify::HttpNotifier::new(url))
        }
    };
    if delivery == notify::OtpDelivery::Sandbox {
        tracing::warn!(
            "OTP delivery is sandbox: OTPs are returned in API responses; never use this in production"
        );
    }
    let public = &config.public_api;
    let state = AppState::new(
        Arc::new(store.clone()),
        Arc::new(gazetteer),
        store.clock.clone(),
        ApiConfig {
            admin_token: config.admin.token.clone().filter(|t| !t.is_empty()),
            body_limit_bytes: config.server.body_limit_bytes,
            cors_allowed_origins: config.server.cors_allowed_origins.clone(),
            upload_limit_bytes: config.server.upload_limit_bytes,
            request_timeout: Duration::from_secs(config.server.request_timeout_secs),
            upload_timeout: Duration::from_secs(config.server.upload_timeout_secs),
            otp_delivery: delivery,
            otp_policy: OtpPolicy {
                ttl: time::Duration::seconds(otp.ttl_secs),
                max_attempts: otp.max_attempts,
                resend_gap: time::Duration::seconds(otp.resend_gap_secs),
                per_hour: otp.per_hour,
                per_day: otp.per_day,
                per_address_per_hour: otp.per_address_per_hour,
            },
            family_size: config.registration.family_size,
            public_limit: PublicLimit {
                calls: public.calls_per_window,
                window: Duration::from_secs(public.window_secs.max(1)),
                trust_forwarded_for: public.trust_forwarded_for,
            },
            captcha_required: public.captcha_required,
            feed: FeedConfig {
                poll: Duration::from_millis(public.feed_poll_ms.clamp(10, 10_000)),
                retention: Duration::from_secs(public.feed_retention_hours.max(1) * 3600),
            },
            public_url: config.server.public_url(),
        },
        TokenKeys::new(
            &keys.jwt_secret,
            Duration::from_secs(config.tokens.guest_ttl_secs),
            Duration::from_secs(config.tokens.beneficiary_ttl_secs),
        ),
        identity,
        notifier,
    )
    .with_certificates(crate::certificate::issuer(config)?);
    if config.server.public_url.is_none() && !demo {
        tracing::warn!(
            public_url = %config.server.public_url(),
            "server.public_url is not set: certificates are issued by did:web of this address, which verifiers elsewhere cannot resolve; set it to the deployment's https address"
        );
    }
    Feed::start(&state, true);
    let feed = state.feed.clone();
    let stopping = tokio_util::sync::CancellationToken::new();
    // Its own stop: it seals the records of the requests still finishing after `stopping`.
    let sealer_stop = tokio_util::sync::CancellationToken::new();
    let sealer = start_audit_sealer(&store, &state.identity, sealer_stop.clone());
    let out = &config.outbox;
    let secs_ms = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
    // At least a second between attempts: a gateway that is down is not hammered.
    let backoff_base = out.backoff_base_secs.max(1);
    let policy = RetryPolicy {
        lease_ms: secs_ms(out.lease_secs.max(1)),
        max_attempts: out.max_attempts.max(1),
        backoff_base_ms: secs_ms(backoff_base),
        backoff_max_ms: secs_ms(out.backoff_max_secs.max(backoff_base)),
    };
    let worker = sehat_api::outbox::Worker::new(&state, policy).start(
        Duration::from_millis(out.poll_ms.clamp(10, 60_000)),
        stopping.clone(),
    );
    if state.config.admin_token.is_none() {
        tracing::info!("no admin token configured: the admin API answers 401");
    }
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = ?store.backend(), "sehat listening");
    announce(addr);
    let limits = sehat_api::http::serve::ConnectionLimits {
        max_connections: config.server.max_connections,
        max_per_address: if public.trust_forwarded_for {
            0
        } else {
            config.server.max_connections_per_address
        },
        header_timeout: Duration::from_secs(config.server.header_timeout_secs.max(1)),
    };
    let server =
        sehat_api::http::serve::serve(listener, sehat_api::app(state), limits, stopping.clone());
    tokio::pin!(server);
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let served = tokio::select! {
        result = server.as_mut() => result,
        () = shutdown_signal() => {
            tracing::info!("shutting down: finishing in-flight requests");
            // Live feeds never finish by themselves: end them so the server can.
            feed.close();
            stopping.cancel();
            if tokio::time::timeout(grace, server).await.is_err() {
                tracing::warn!("grace period over: closing remaining connections");
            }
            Ok(())
        }
    };
    // The outbox worker records the batch it is sending before the store closes (else those
    // messages would be sent again once their lease ran out); a send gives up after half the
    // lease.
    stopping.cancel();
    let patience = Duration::from_millis(u64::try_from(policy.lease_ms / 2).unwrap_or(0))
        + Duration::from_secs(1);
    if tokio::time::timeout(patience, worker).await.is_err() {
        tracing::warn!("the outbox worker did not finish in time; its messages will be retried");
    }
    sealer_stop.cancel();
    if tokio::time::timeout(Duration::from_secs(5), sealer)
        .await
        .is_err()
    {
        tracing::warn!("the audit sealer did not finish in time; the next start seals the rest");
    }
    store.close().await;
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// Empties the configured database (`serve --demo --reset`): every table sehat made goes, so
/// the start that follows migrates, loads the master data and seeds the demo as on a new machine.
async fn reset_database(config: &Config) -> anyhow::Result<()> {
    let mut options = ConnectOptions::new(&config.database.url);
    options.max_connections = 1;
    let store = SqlStore::connect(&options, Arc::new(SystemClock))
        .await
        .context("opening the database to reset it")?;
    let dropped = store
        .drop_everything()
        .await
        .context("emptying the database")?;
    store.close().await;
    tracing::info!(dropped, "database reset: every table emptied and dropped");
    Ok(())
}

/// One line on standard output with the address, for scripts and tests that start sehat on port 0.
#[allow(clippy::print_stdout)]
fn announce(addr: std::net::SocketAddr) {
    println!("sehat listening on http://{addr}");
}
