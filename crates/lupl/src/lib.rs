//! The Lupl Open API from Rust, in one dependency.
//!
//! ```toml
//! [dependencies]
//! lupl = { git = "<this repository's URL>" }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! Everything of [`lupl_api`] (the client generated from `openapi.json`:
//! [`Client`], its [`types`], [`Error`], [`Environment`]) is here, with
//! [`ClientBuilder`] from [`lupl_auth`], which makes that client
//! authenticated (a token, or Auth0 client credentials), rate-limited (Lupl's
//! 1000 calls a minute) and retried; the rest of `lupl_auth` is [`auth`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), lupl::Error> {
//! let client = lupl::ClientBuilder::from_env()?.build()?; // LUPL_* settings
//! let pms_id = lupl::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
//! let stored = client.get_provider_config().pms_id(pms_id).send().await?;
//! println!("{stored:?}");
//! # Ok(()) }
//! ```

pub use lupl_api::*;
/// Tokens, limits, retries and settings: all of [`lupl_auth`].
///
/// ```
/// let quota: lupl::auth::limits::Quota = "1000/60".parse()?;
/// assert_eq!(quota.requests, 1000);
/// # Ok::<(), lupl::auth::limits::QuotaError>(())
/// ```
pub use lupl_auth as auth;
pub use lupl_auth::{ClientBuilder, Credentials};
