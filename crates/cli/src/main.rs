//! The `sehat` binary: `serve | migrate | import | seed-demo | bench | resilience`.

mod bench;
mod certificate;
mod config;
mod keys;
mod resilience;
mod setup;

use clap::{Parser, Subcommand};
use config::{Config, OtpDelivery, Overrides};
use std::path::PathBuf;

/// sehat — an open-source platform for public health services: registration, centres and
/// slots, booking, certificates and consent, behind the APIs partner apps already speak.
///
/// Configuration is layered: built-in defaults, then the TOML file given with --config, then
/// SEHAT__SECTION__KEY environment variables (e.g. SEHAT__DATABASE__URL), then these flags.
#[derive(Debug, Parser)]
#[command(name = "sehat", version, propagate_version = true)]
struct Cli {
    /// A TOML configuration file (see config/sehat.example.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (migrates the database and loads master data on start).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Database URL: sqlite://FILE (created if missing) or postgres://… [default: sqlite://sehat.db].
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Seed the demo dataset if the database has no centres yet, and keep a partner API key
        /// for it in the data directory (sehat-data/demo-partner.key).
        #[arg(long)]
        demo: bool,
        /// With --demo: empty the database first (every table sehat made, its rows and its
        /// migrations), so the demo starts over as new.
        #[arg(long, requires = "demo")]
        reset: bool,
        /// How OTPs are delivered: sandbox (echoed in the response), console (printed) or http (SMS gateway).
        #[arg(long, value_enum, value_name = "MODE")]
        otp_delivery: Option<OtpDelivery>,
        /// Bearer token that enables the admin API (or SEHAT__ADMIN__TOKEN); without one it answers 401.
        #[arg(long, value_name = "TOKEN")]
        admin_token: Option<String>,
    },
    /// Apply pending database migrations and load the master data.
    Migrate {
        /// Database URL: sqlite://FILE or postgres://… [default: sqlite://sehat.db].
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
    /// Import master data (states, districts, localities, vaccines) or a facility CSV file.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Check the audit log: seal pending records, then verify the whole hash chain (fails when
    /// a record was changed or removed).
    Audit {
        #[command(subcommand)]
        what: AuditWhat,
    },
    /// Partner API keys (the admin API has the same: /admin/v1/partners/{partner}/keys).
    PartnerKey {
        #[command(subcommand)]
        what: PartnerKeyWhat,
    },
    /// The certificate signing keys (in the data directory's certificate-keys/): list them,
    /// rotate (a new key signs; the old ones still verify), retire one (it no longer verifies).
    CertificateKey {
        #[command(subcommand)]
        what: CertificateKeyWhat,
    },
    /// Vaccination certificates offline.
    Certificate {
        #[command(subcommand)]
        what: CertificateWhat,
    },
    /// Create the demo dataset: centres at real post offices with 14 days of sessions.
    SeedDemo {
        /// Database URL: sqlite://FILE or postgres://… [default: sqlite://sehat.db].
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Seed of the generator: the same seed gives the same data [default: 42].
        #[arg(long)]
        seed: Option<u64>,
        /// Number of centres [default: 2000].
        #[arg(long)]
        centers: Option<usize>,
    },
    /// Measure search, booking and registration over HTTP against same-run baselines (see
    /// BENCHMARKS.md); fails when a correctness gate is broken.
    Bench(bench::BenchArgs),
    /// Prove what sehat withstands: `contention` (overbooking and idempotency under
    /// concurrent calls with retries), `crash` (SIGKILL of the server, and of PostgreSQL,
    /// under booking load) or `abuse` (oversized and deep bodies, slow clients, a huge upload,
    /// unbounded pages, while citizens search); see resilience/README.md. Fails when a gate is
    /// broken.
    Resilience(resilience::ResilienceArgs),
}

#[derive(Debug, Subcommand)]
enum AuditWhat {
    /// Verify the chain.
    Verify {
        /// Database URL: sqlite://FILE or postgres://… [default: sqlite://sehat.db].
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum PartnerKeyWhat {
    /// Issue a key to a partner and print it (once).
    Issue {
        /// The partner's name.
        partner: String,
        /// Database URL: sqlite://FILE or postgres://… [default: sqlite://sehat.db].
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CertificateKeyWhat {
    /// List the keys: id, state (signing, verifying, retired), created.
    List,
    /// Make a new key the signer; the others keep verifying until retired.
    Rotate,
    /// Retire a key: certificates it signed no longer verify (not the signing key).
    Retire {
        /// The key's id (from `list`).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum CertificateWhat {
    /// Verify a certificate offline with this deployment's keys: the signed JSON, a PNG of its
    /// QR code, or the certificate PDF. Exits 1 unless it is VALID (revocations need the
    /// server: POST /api/v2/certificate/verify).
    Verify {
        /// The file (.json, .png or .pdf).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// Load (or refresh) the states, districts, blocks, localities and vaccines shipped in the binary.
    MasterData {
        /// Database URL: sqlite://FILE or postgres://… [default: sqlite://sehat.db].
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
    /// Import facilities with their session plans from a CSV file (columns in the README).
    Facilities {
        /// The CSV file.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://… [default: sqlite://sehat.db].
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Write nothing unless every row is valid (default: write valid rows, report the rest).
        #[arg(long)]
        all_or_nothing: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut overrides = Overrides::default();
    match &cli.command {
        Command::Serve {
            listen,
            database,
            otp_delivery,
            admin_token,
            ..
        } => {
            overrides
                .set("server", "listen", listen.clone())
                .set("database", "url", database.clone())
                .set("otp", "delivery", *otp_delivery)
                .set("admin", "token", admin_token.clone());
        }
        Command::Migrate { database }
        | Command::Audit {
            what: AuditWhat::Verify { database },
        }
        | Command::PartnerKey {
            what: PartnerKeyWhat::Issue { database, .. },
        }
        | Command::Import {
            what: ImportWhat::MasterData { database } | ImportWhat::Facilities { database, .. },
        } => {
            overrides.set("database", "url", database.clone());
        }
        Command::Bench(_)
        | Command::Resilience(_)
        | Command::CertificateKey { .. }
        | Command::Certificate { .. } => {}
        Command::SeedDemo {
            database,
            seed,
            centers,
        } => {
            overrides
                .set("database", "url", database.clone())
                .set("demo", "seed", *seed)
                .set("demo", "centers", *centers);
        }
    }
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    setup::init_logging(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { demo, reset, .. } => setup::serve(&config, demo, reset).await,
            Command::Migrate { .. }
            | Command::Import {
                what: ImportWhat::MasterData { .. },
            } => {
                let store = setup::open_store(&config).await?;
                setup::ensure_master_data(&store, true).await?;
                store.close().await;
                Ok(())
            }
            Command::Import {
                what:
                    ImportWhat::Facilities {
                        file,
                        all_or_nothing,
                        ..
                    },
            } => setup::import_facilities_file(&config, &file, all_or_nothing).await,
            Command::SeedDemo { .. } => setup::seed_demo_command(&config).await,
            Command::Audit {
                what: AuditWhat::Verify { .. },
            } => setup::verify_audit(&config).await,
            Command::PartnerKey {
                what: PartnerKeyWhat::Issue { partner, .. },
            } => setup::issue_partner_key_command(&config, &partner).await,
            Command::CertificateKey { what } => match what {
                CertificateKeyWhat::List => certificate::list_keys(&config),
                CertificateKeyWhat::Rotate => certificate::rotate_key(&config),
                CertificateKeyWhat::Retire { id } => certificate::retire_key(&config, &id),
            },
            Command::Certificate {
                what: CertificateWhat::Verify { file },
            } => certificate::verify_file(&config, &file),
            Command::Bench(args) => bench::run(args).await,
            Command::Resilience(args) => resilience::run(args).await,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_takes_the_documented_flags() {
        let cli = Cli::try_parse_from([
            "sehat",
            "serve",
            "--listen",
            "0.0.0.0:1",
            "--database",
            "postgres://x/y",
            "--demo",
            "--otp-delivery",
            "sandbox",
            "--admin-token",
            "t",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Serve {
                demo: true,
                otp_delivery: Some(OtpDelivery::Sandbox),
                ..
            }
        ));
        assert!(
            Cli::try_parse_from(["sehat", "serve", "--otp-delivery", "carrier-pigeon"]).is_err()
        );
        assert!(
            Cli::try_parse_from(["sehat", "import", "facilities", "f.csv", "--all-or-nothing"])
                .is_ok()
        );
        assert!(Cli::try_parse_from(["sehat", "seed-demo", "--seed", "7"]).is_ok());
        assert!(
            Cli::try_parse_from(["sehat", "audit", "verify", "--database", "sqlite://x"]).is_ok()
        );
        assert!(Cli::try_parse_from(["sehat", "partner-key", "issue", "acme"]).is_ok());
        assert!(Cli::try_parse_from(["sehat", "certificate-key", "rotate"]).is_ok());
        assert!(Cli::try_parse_from(["sehat", "certificate-key", "retire", "ab12cd34"]).is_ok());
        assert!(Cli::try_parse_from(["sehat", "certificate", "verify", "c.pdf"]).is_ok());
    }
}
