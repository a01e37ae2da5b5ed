//! A stateful, contract-exact model of the Lupl Open API.
//!
//! - [`Model`] is the API as `CONTRACT.md` defines it: a framework-free state
//!   machine (request in, response out) with identities, ownership, the order
//!   of checks, the throttle and storage.
//! - [`rules`] holds the semantic rules of configurations, shared with the
//!   CLI's offline `validate`; [`binding`] the request binding of step 4.
//! - [`Fixture`] is the JSON format that seeds it (and that `--state` files use).
//! - [`http_server`] is the one HTTP front end over [`Model::handle`]:
//!   [`Sandbox`] runs it in-process (tests, the conformance harness), and
//!   the `lupl-sandbox` binary runs it for days, so it keeps nothing per
//!   request.

pub mod binding;
pub mod fixture;
pub mod http_server;
mod model;
pub mod offline;
mod persist;
pub mod rules;
pub mod run;
mod sandbox;
pub mod window;

pub use fixture::{Fixture, FixtureError};
/// The per-token quota of a [`Fixture`] and of `--quota`: the one quota
/// type of the workspace, [`lupl_spec::Quota`].
///
/// ```
/// let quota: lupl_model::Quota = "20/5".parse()?;
/// assert_eq!(quota, lupl_spec::Quota::new(20, 5));
/// # Ok::<(), lupl_model::QuotaError>(())
/// ```
pub use lupl_spec::{Quota, QuotaError};
pub use model::{
    Change, JSON, MAX_BODY_BYTES, MAX_ERROR_KEYS, Model, ModelRequest, ModelResponse, PROBLEM_JSON,
    WriteHook,
};
pub use persist::StateFile;
pub use run::{SandboxArgs, run_sandbox};
pub use sandbox::{Sandbox, SandboxInfo};
