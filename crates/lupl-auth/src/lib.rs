//! Authentication, rate limiting and retries for the Lupl Open API client.
//!
//! Two lines — settings from the environment, then the client — and then no
//! more thought about tokens, throttling or transient failures:
//!
//! ```no_run
//! # async fn run() -> Result<(), lupl_api::Error> {
//! let client = lupl_auth::ClientBuilder::from_env()?.build()?;
//! let pms_id = lupl_api::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
//! let config = client.get_provider_config().pms_id(pms_id).send().await?;
//! # Ok(()) }
//! ```
//!
//! At the root, what builds a client: [`ClientBuilder`] (and what it
//! [`Built`]), the [`Credentials`] it authenticates with, the
//! [`AuthMiddleware`] every request passes through, an [`Observer`] of
//! its work, and [`AuthError`]. Then three modules:
//!
//! - [`tokens`]: client credentials or refresh tokens against Auth0 (or a
//!   static token), reused until shortly before expiry, one refresh in
//!   flight, refresh-token rotation, an optional on-disk
//!   [`TokenCache`](tokens::TokenCache).
//! - [`limits`]: the documented 1000 calls per minute
//!   ([`Quota`](limits::Quota), configurable), paced by a
//!   [`RateLimiter`](limits::RateLimiter) shared by every clone of a client,
//!   waiting rather than failing (a 429 pauses every request of the client
//!   for its `Retry-After`); bounded retries
//!   ([`RetryPolicy`](limits::RetryPolicy)): GETs after transport errors and
//!   500/502/503/504 with full-jitter backoff, a POST only after a 429 or a
//!   401 re-authentication (the server did not process it).
//! - [`settings`]: the `LUPL_*` environment variables; with the `files`
//!   feature, `resolve` settles them from flags, the environment and a
//!   profile of the config file, for every tool alike (`SettingsArgs`, with
//!   the `cli` feature).
//!
//! Features, all off by default: `files` (the config file's profiles;
//! pulls `toml`), `cli` (`files`, and the settings as clap flags), `cache`
//! (`ResponseCache`: GET answers kept for a TTL, per identity, dropped by
//! the client's own writes).
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
pub mod limits;
mod middleware;
mod observe;
#[cfg(feature = "cache")]
mod response_cache;
mod retry;
pub mod settings;
#[cfg(feature = "files")]
mod sources;
pub mod tokens;

pub use auth0::AuthError;
pub use builder::{Built, ClientBuilder};
pub use middleware::AuthMiddleware;
pub use observe::Observer;
#[cfg(feature = "cache")]
pub use response_cache::ResponseCache;
pub use secrecy::SecretString;
pub use tokens::Credentials;
