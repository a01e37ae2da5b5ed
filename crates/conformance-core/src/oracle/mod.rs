//! The oracle: turns a step into a concrete request and predicts the answer
//! from how the step was made and CONTRACT.md's order of checks, each part
//! of the prediction tied to the clause it comes from. What the target
//! holds is what the case itself wrote or read ([`CaseState`]): a case that
//! needs to know something it has not established asks for a read first
//! ([`Planning::Needs`]), so every case replays alone.
//!
//! It cannot call `lupl_model`'s rules, binding or offline checks: this
//! crate does not depend on `lupl-model` (a test walks the dependency
//! graph). A harness that asked the model what the model should answer
//! would prove nothing.

pub(crate) mod body;
pub mod encoding;
pub mod expected;
pub(crate) mod failures;
pub mod plan;
pub mod state;

pub use crate::tenants::NOBODY;
pub use encoding::{encode, flip_case, is_uuid_by_contract};
pub use expected::{BodyExpectation, Expected, Feature, KeyExpectation};
pub use plan::plan;
pub use state::{CaseState, Effect, Planned, Planning, Resource, ResourceState};
