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

pub use fixture::{Fixture, FixtureError, RateLimit};
pub use model::{
    Change, JSON, MAX_BODY_BYTES, MAX_ERROR_KEYS, Model, ModelRequest, ModelResponse, PROBLEM_JSON,
    WriteHook,
};
pub use persist::StateFile;
pub use run::{SandboxArgs, run_sandbox};
pub use sandbox::{Sandbox, SandboxInfo};
