//! A typed client for the Lupl Open API's PMS provider endpoints.
//!
//! The [`Client`] and everything in [`types`] are generated from the
//! workspace's `openapi.json` by `cargo xtask codegen` (progenitor). This crate
//! adds a thin hand-written face:
//!
//! - [`Environment`]: which Lupl deployment to talk to (Stage, or an explicit
//!   base URL), and [`Environment::client`] to build a client for it;
//! - [`Error`]: one error type with a variant for every documented outcome
//!   (400 with its `errors`, 401, 403, 415, 429 with `Retry-After`), anything
//!   else with its status and body, and transport and decode failures;
//! - [`ClientState`] and [`Middleware`]: the slot through which `lupl-auth`
//!   attaches tokens, rate limiting and retries to every request.
//!
//! ```no_run
//! # async fn run() -> Result<(), lupl_api::Error> {
//! use lupl_api::{Environment, uuid::Uuid};
//! let client = Environment::Stage.client()?;
//! let pms_id: Uuid = "4efafdc0-2783-4af6-9cac-d2b2be27a080".parse().expect("a uuid");
//! match client.provider_config(&pms_id).await? {
//!     Some(config) => println!("{}", *config.name),
//!     None => println!("no configuration stored yet"),
//! }
//! # Ok(()) }
//! ```

mod environment;
mod error;
mod face;
mod hooks;

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::unwrap_used)]
mod generated;

pub use environment::{is_loopback, parse_base_url, Environment, EnvironmentError, STAGE_BASE_URL};
pub use error::{Error, RetryAfter, ValidationErrors};
pub use face::PROVIDER_CONFIG_PATH;
pub use generated::{types, Client, ResponseValue};
pub use hooks::{ClientState, Middleware, MiddlewareFuture};

/// The generated client's own error type, before [`Error::from_generated`]
/// turns it into this crate's [`Error`].
pub type GeneratedError = generated::Error<()>;

pub use reqwest;
pub use uuid;
