//! Authentication, rate limiting and retries for the Lupl Open API client.
//!
//! Three lines — environment, credentials, client — and then no more
//! thought about tokens, throttling or transient failures:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use lupl_auth::{ClientBuilder, Settings};
//! let client = ClientBuilder::from_settings(Settings::from_env()?).build()?;
//! let config = client.provider_config(&"4efafdc0-2783-4af6-9cac-d2b2be27a080".parse()?).await?;
//! # Ok(()) }
//! ```
//!
//! - [`TokenSource`]: client credentials or refresh tokens against Auth0
//!   (or a static token), reused until shortly before expiry, one refresh in
//!   flight, refresh-token rotation, an optional on-disk [`TokenCache`].
//! - [`RateLimiter`]: the documented 1000 calls per minute (configurable),
//!   shared by every clone of a client, waiting rather than failing; a 429
//!   pauses every request of the client for its `Retry-After`.
//! - [`RetryPolicy`]: bounded retries; GETs after transport errors and
//!   500/502/503/504 with full-jitter backoff; a POST only after a 429 or a
//!   401 re-authentication (the server did not process it).
//! - [`Settings`]: the `LUPL_*` environment variables; [`resolve`] settles
//!   them from flags, the environment and a [`profile`] of the config file,
//!   for every tool alike ([`SettingsArgs`] with the `cli` feature).
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
mod limiter;
mod middleware;
pub mod profile;
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
pub use limiter::{RateLimit, RateLimiter};
pub use middleware::AuthMiddleware;
pub use retry::RetryPolicy;
pub use secrecy::{ExposeSecret, SecretString};
pub use sources::{ConfigFileChoice, Resolved, SettingsError, Sources, read_secret, resolve};
pub use tokens::{AccessToken, Credentials, TokenSource, refresh_margin};
