//! Layered configuration, loaded once and passed down: built-in defaults → optional TOML file
//! (`--config FILE`) → `SEHAT__SECTION__KEY` environment variables → command-line flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How OTP messages reach people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OtpDelivery {
    /// Echo the OTP in the API response, as spec 000's SIT samples do. Never in production.
    Sandbox,
    /// Print the SMS text on standard output.
    Console,
    /// POST it to the configured SMS gateway.
    Http,
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// Database.
    pub database: DatabaseConfig,
    /// Admin API.
    pub admin: AdminConfig,
    /// OTP delivery and limits.
    pub otp: OtpConfig,
    /// Registration rules.
    pub registration: RegistrationConfig,
    /// API token lifetimes.
    pub tokens: TokensConfig,
    /// The public (token-less) API and the availability feed.
    pub public_api: PublicApiConfig,
    /// Signing keys.
    pub keys: KeysConfig,
    /// The outbox worker (messages that follow bookings).
    pub outbox: OutboxConfig,
    /// Logging.
    pub log: LogConfig,
    /// The demo dataset.
    pub demo: DemoConfig,
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// Seconds one request may take.
    pub request_timeout_secs: u64,
    /// Seconds a facility upload may take.
    pub upload_timeout_secs: u64,
    /// Largest JSON body, bytes.
    pub body_limit_bytes: usize,
    /// Largest facility upload, bytes (streamed).
    pub upload_limit_bytes: usize,
    /// Seconds to finish in-flight requests after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Open connections this node holds in all; past it a new one is answered 503.
    pub max_connections: usize,
    /// Open connections from one client address (0: no cap); past it 503. Off when
    /// `public_api.trust_forwarded_for` is set: behind a proxy every connection is the proxy's.
    pub max_connections_per_address: usize,
    /// Seconds a client has to send a request's head, and an idle keep-alive connection stays
    /// open; then the connection is closed.
    pub header_timeout_secs: u64,
    /// Web origins (`https://app.example.org`) whose pages may call the API from a browser;
    /// empty: none (no CORS headers are sent, so browsers refuse cross-origin calls).
    #[serde(default)]
    pub cors_allowed_origins: Vec<String>,
    /// Where clients reach this deployment (`https://sehat.example.org`): certificates are
    /// issued by `did:web` of its host and link there. Default: `http://` + `listen`.
    #[serde(default)]
    pub public_url: Option<String>,
}

impl ServerConfig {
    /// The public URL, or `http://` + the listen address.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://file.db` or `postgres://user@host/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
}

/// `[admin]`
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Bearer token of the admin API; unset disables it (401).
    #[serde(default, deserialize_with = "optional_text")]
    pub token: Option<String>,
}

/// Reads a text value that an environment variable may have made look like a number or a
/// boolean (`SEHAT__ADMIN__TOKEN=123456`).
fn optional_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `[otp]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpConfig {
    /// sandbox, console or http.
    pub delivery: OtpDelivery,
    /// The SMS gateway's URL, for `http` delivery.
    #[serde(default, deserialize_with = "optional_text")]
    pub http_url: Option<String>,
    /// Seconds an OTP stays valid.
    pub ttl_secs: i64,
    /// Wrong tries allowed per OTP.
    pub max_attempts: u32,
    /// Least seconds between two OTPs to one mobile.
    pub resend_gap_secs: i64,
    /// Most OTPs per mobile per hour.
    pub per_hour: u32,
    /// Most OTPs per mobile per day.
    pub per_day: u32,
    /// Most OTPs asked for from one client address per hour (0: no cap). Raise it for partner
    /// servers that relay many users' requests from one address.
    pub per_address_per_hour: u32,
}

/// `[registration]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationConfig {
    /// Most beneficiaries one mobile may register.
    pub family_size: u32,
}

/// `[tokens]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// Seconds a guest token lives (spec 000: 15 minutes).
    pub guest_ttl_secs: u64,
    /// Seconds a beneficiary token lives.
    pub beneficiary_ttl_secs: u64,
}

/// `[public_api]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicApiConfig {
    /// Calls one address may make to the public API per window (0: no limit).
    pub calls_per_window: u32,
    /// The window, in seconds.
    pub window_secs: u64,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Whether v2 `schedule` demands a captcha answer.
    pub captcha_required: bool,
    /// How often the availability feed looks for changes, in milliseconds.
    pub feed_poll_ms: u64,
    /// How long the feed keeps changes for clients that resume, in hours.
    pub feed_retention_hours: u64,
}

/// `[keys]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// Where generated keys are kept.
    pub data_dir: PathBuf,
    /// A JWT signing key file to use instead of the generated one.
    pub jwt_key_path: Option<PathBuf>,
    /// An identity hashing key file to use instead of the generated one.
    pub identity_key_path: Option<PathBuf>,
    /// An identifier encryption key file to use instead of the generated one.
    pub sealing_key_path: Option<PathBuf>,
    /// The certificate signing keys' directory (default: `certificate-keys/` in `data_dir`).
    /// Every node of a deployment needs the same keys: share it, or copy it to each.
    #[serde(default)]
    pub certificate_keys_dir: Option<PathBuf>,
}

impl KeysConfig {
    /// Where the certificate keys live.
    pub fn certificate_keys_dir(&self) -> PathBuf {
        self.certificate_keys_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("certificate-keys"))
    }
}

/// `[outbox]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// How often the worker looks for due jobs, in milliseconds.
    pub poll_ms: u64,
    /// Seconds a leased job is its worker's; after that another worker may run it again (a
    /// delivery gives up after half of it).
    pub lease_secs: u64,
    /// Attempts before a job fails for good.
    pub max_attempts: u32,
    /// Seconds to wait after the first failure; the wait doubles with each further one…
    pub backoff_base_secs: u64,
    /// …up to this many seconds.
    pub backoff_max_secs: u64,
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `sehat=debug,info`; `RUST_LOG` overrides it.
    pub filter: String,
}

/// `[demo]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Seed of the generator.
    pub seed: u64,
    /// Number of centres.
    pub centers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server: ServerConfig {
                listen: "127.0.0.1:8080".into(),
                request_timeout_secs: 30,
                upload_timeout_secs: 1800,
                body_limit_bytes: 1024 * 1024,
                upload_limit_bytes: 256 * 1024 * 1024,
                shutdown_grace_secs: 10,
                max_connections: 10_000,
                max_connections_per_address: 256,
                header_timeout_secs: 10,
                cors_allowed_origins: Vec::new(),
                public_url: None,
            },
            database: DatabaseConfig {
                url: "sqlite://sehat.db".into(),
                max_connections: 16,
            },
            admin: AdminConfig::default(),
            otp: OtpConfig {
                delivery: OtpDelivery::Console,
                http_url: None,
                ttl_secs: 180,
                max_attempts: 3,
                resend_gap_secs: 30,
                per_hour: 5,
                per_day: 10,
                per_address_per_hour: 30,
            },
            registration: RegistrationConfig { family_size: 4 },
            tokens: TokensConfig {
                guest_ttl_secs: 900,
                beneficiary_ttl_secs: 900,
            },
            public_api: PublicApiConfig {
                calls_per_window: 100,
                window_secs: 300,
                trust_forwarded_for: false,
                captcha_required: false,
                feed_poll_ms: 100,
                feed_retention_hours: 24,
            },
            keys: KeysConfig {
                data_dir: "sehat-data".into(),
                jwt_key_path: None,
                identity_key_path: None,
                sealing_key_path: None,
                certificate_keys_dir: None,
            },
            outbox: OutboxConfig {
                poll_ms: 500,
                lease_secs: 60,
                max_attempts: 10,
                backoff_base_secs: 5,
                backoff_max_secs: 3600,
            },
            log: LogConfig {
                format: "text".into(),
                filter: "info".into(),
            },
            demo: DemoConfig {
                seed: 42,
                centers: 2000,
            },
        }
    }
}

/// Values given on the command line; only those present override the layers below.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    server: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    database: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    admin: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    otp: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    demo: serde_json::Map<String, serde_json::Value>,
}

impl Overrides {
    /// Sets `section.key` to `value` when given.
    pub fn set(&mut self, section: &str, key: &str, value: Option<impl Serialize>) -> &mut Self {
        let Some(value) = value.and_then(|v| serde_json::to_value(v).ok()) else {
            return self;
        };
        let map = match section {
            "server" => &mut self.server,
            "database" => &mut self.database,
            "admin" => &mut self.admin,
            "otp" => &mut self.otp,
            _ => &mut self.demo,
        };
        map.insert(key.to_owned(), value);
        self
    }
}

impl Config {
    /// Loads the layers in order; a value in a later layer wins.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            anyhow::ensure!(
                file.exists(),
                "configuration file {} not found",
                file.display()
            );
            figment = figment.merge(Toml::file(file));
        }
        figment = figment
            .merge(Env::prefixed("SEHAT__").split("__"))
            .merge(Serialized::defaults(overrides));
        Ok(figment.extract()?)
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return its large error type
mod tests {
    use super::*;

    #[test]
    fn later_layers_win_and_unset_flags_do_not_override() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "sehat.toml",
                "[server]\nlisten = \"0.0.0.0:9000\"\n[database]\nurl = \"sqlite://file.db\"\n[admin]\ntoken = \"from-file\"\n",
            )?;
            jail.set_env("SEHAT__DATABASE__URL", "postgres://env/db");
            jail.set_env("SEHAT__DEMO__CENTERS", "10");
            jail.set_env("SEHAT__OTP__HTTP_URL", "12345");
            let mut flags = Overrides::default();
            flags
                .set("admin", "token", Some("from-flag"))
                .set("server", "listen", None::<String>);
            let config =
                Config::load(Some(Path::new("sehat.toml")), &flags).map_err(|e| e.to_string())?;
            assert_eq!(
                config.server.listen, "0.0.0.0:9000",
                "file over default; absent flag ignored"
            );
            assert_eq!(config.database.url, "postgres://env/db", "env over file");
            assert_eq!(
                config.admin.token.as_deref(),
                Some("from-flag"),
                "flag over file"
            );
            assert_eq!(config.demo.centers, 10);
            assert_eq!(
                config.otp.http_url.as_deref(),
                Some("12345"),
                "a numeric-looking value is still text"
            );
            assert_eq!(config.server.request_timeout_secs, 30, "default kept");
            Ok(())
        });
    }

    #[test]
    fn the_example_file_holds_the_defaults() {
        // Inside a jail: the jails serialise, so no other test's environment leaks in.
        figment::Jail::expect_with(|_| {
            let example =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/sehat.example.toml");
            let loaded =
                Config::load(Some(&example), &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(format!("{loaded:?}"), format!("{:?}", Config::default()));
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[server]\nlisten_on = \"x\"\n")?;
            assert!(Config::load(Some(Path::new("bad.toml")), &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn the_admin_token_never_shows_in_debug_output() {
        let mut config = Config::default();
        config.admin.token = Some("s3cret-token".into());
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
