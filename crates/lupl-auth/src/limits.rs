//! How fast and how often a client sends: the documented rate limit
//! ([`Quota`], paced by [`RateLimiter`]), when a request is sent again
//! ([`RetryPolicy`]), and the [`Clock`] both wait on, which tests replace
//! with a [`ManualClock`].
//!
//! ```
//! use lupl_auth::limits::{Quota, RetryPolicy};
//!
//! let sandbox: Quota = "100/1".parse()?;
//! let builder = lupl_auth::ClientBuilder::new(
//!     lupl_api::Environment::custom("http://127.0.0.1:8080")?,
//!     lupl_auth::Credentials::Static("tok-acme".into()),
//! )
//! .rate_limit(sandbox)
//! .retry(RetryPolicy { max_retries: 5, ..RetryPolicy::default() });
//! # drop(builder);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::clock::{Clock, ManualClock, Sleep, SystemClock};
pub use crate::limiter::{RateLimiter, Stopped};
pub use crate::retry::RetryPolicy;
/// Requests per window, as `--rate-limit` and `LUPL_RATE_LIMIT` take it:
/// the one quota type of the workspace, [`lupl_spec::Quota`].
///
/// ```
/// let limit: lupl_auth::limits::Quota = "100/1".parse()?;
/// assert_eq!(limit, lupl_spec::Quota::new(100, 1));
/// # Ok::<(), lupl_auth::limits::QuotaError>(())
/// ```
pub use lupl_spec::{Quota, QuotaError};
