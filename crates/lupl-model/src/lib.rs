//! A stateful, contract-exact model of the Lupl Open API.
//!
//! - [`Model`] is the API as `CONTRACT.md` defines it: a framework-free state
//!   machine (request in, response out) with identities, ownership, the order
//!   of checks, the throttle and storage.
//! - [`rules`] holds the semantic rules of configurations, shared with the
//!   CLI's offline `validate`; [`binding`] the request binding of step 4.
//! - [`Fixture`] is the JSON format that seeds it (and that `--state` files use).
//! - [`Services`] are what a test double adds: [`faults`], the request
//!   [`journal`], the [`token_endpoint`] (`POST /oauth/token`) and the
//!   [`admin`] API under `/__admin/`; the [`gateway`] routes to them.
//! - [`http_server`] is the one HTTP front end over [`Model::handle`]:
//!   [`Sandbox`] runs it in-process (tests, the conformance harness), and
//!   the `lupl-sandbox` binary runs it for days, so it keeps nothing per
//!   request.

pub mod admin;
pub mod binding;
pub mod faults;
pub mod fixture;
pub mod gateway;
pub mod http_server;
pub mod journal;
mod json_text;
mod model;
pub mod offline;
mod persist;
pub mod rules;
pub mod run;
mod sandbox;
mod services;
pub mod token_endpoint;
pub mod window;

pub use faults::{Fault, FaultError, FaultTable};
pub use fixture::{ApiClient, Fixture, FixtureError};
pub use journal::Journal;
pub use json_text::JsonText;
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
#[cfg(feature = "client")]
pub use sandbox::ClientForError;
pub use sandbox::{Sandbox, SandboxInfo};
pub use services::Services;
