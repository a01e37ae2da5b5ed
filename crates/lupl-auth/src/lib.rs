//! Authentication, rate limiting and retries for the Lupl Open API client.
//!
//! Three lines — environment, credentials, client — and then no more
//! thought about tokens, throttling or transient failures:
//!
//! ```no_run
//! # async fn run() -> Result<(), lupl_api::Error> {
//! use lupl_auth::{ClientBuilder, Settings};
//! let client = ClientBuilder::from_settings(Settings::from_env()?).build()?;
//! let pms_id = lupl_api::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
//! let config = client.get_provider_config().pms_id(pms_id).send().await?;
//! # Ok(()) }
//! ```
//!
//! - [`TokenSource`]: client credentials or refresh tokens against Auth0
//!   (or a static token), reused until shortly before expiry, one refresh in
//!   flight, refresh-token rotation, an optional on-disk [`TokenCache`].
//! - [`RateLimiter`]: the documented 1000 calls per minute ([`Quota`],
//!   configurable),
//!   shared by every clone of a client, waiting rather than failing; a 429
//!   pauses every request of the client for its `Retry-After`.
//! - [`ResponseCache`] (opt in): GET answers kept for a TTL, per identity,
//!   dropped by the client's own writes.
//! - [`RetryPolicy`]: bounded retries; GETs after transport errors and
//!   500/502/503/504 with full-jitter backoff; a POST only after a 429 or a
//!   401 re-authentication (the server did not process it).
//! - [`Settings`]: the `LUPL_*` environment variables; [`resolve`] settles
//!   them from flags, the environment and a [`profile`] of the config file,
//!   for every tool alike (`SettingsArgs`, with the `cli` feature).
//!
//! Secrets (client secret, access and refresh tokens) are `secrecy` types:
//! `Debug`, errors and logs never show them, and the `Authorization` header
//! is marked sensitive.

#[cfg(feature = "cli")]
mod args;
mod auth0;
mod builder;
mod cache;
mod clock;
mod config;
mod error;
mod limiter;
mod middleware;
mod observe;
/// The config file's profiles, as [`resolve`] reads them.
///
/// ```
/// use lupl_auth::profile::{self, ConfigFile};
///
/// let file: ConfigFile = toml::from_str(r#"
///     [profile.production]
///     base_url = "https://api.example"
/// "#)?;
/// let (name, chosen) = file.select(None, Some("production"))?.expect("named like the env");
/// assert_eq!(name, "production");
/// assert_eq!(chosen.get("LUPL_BASE_URL"), Some("https://api.example"));
/// assert!(profile::CREDENTIAL_VARIABLES.contains(&"LUPL_TOKEN"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod profile;
mod response_cache;
mod retry;
mod sources;
mod tokens;

#[cfg(feature = "cli")]
pub use args::SettingsArgs;
pub use auth0::{AuthError, Grant, Issued, SecretIn, TokenEndpoint};
pub use builder::{Built, ClientBuilder};
pub use cache::{CachedToken, TokenCache};
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use config::{ConfigError, Settings};
pub use error::SettingsError;
pub use limiter::{RateLimiter, Stopped};
/// Requests per window, as `--rate-limit` and `LUPL_RATE_LIMIT` take it:
/// the one quota type of the workspace, [`lupl_spec::Quota`].
///
/// ```
/// let limit: lupl_auth::Quota = "100/1".parse()?;
/// assert_eq!(limit, lupl_spec::Quota::new(100, 1));
/// # Ok::<(), lupl_auth::QuotaError>(())
/// ```
pub use lupl_spec::{Quota, QuotaError};
pub use middleware::AuthMiddleware;
pub use observe::Observer;
pub use response_cache::ResponseCache;
pub use retry::RetryPolicy;
pub use secrecy::{ExposeSecret, SecretString};
pub use sources::{ConfigFileChoice, Resolved, Sources, read_secret, resolve};
pub use tokens::{AccessToken, Credentials, TokenSource, refresh_margin};
