//! What the harness sends: cases (short sequences of [`Step`]s), each step
//! labelled with how it was made, so that the oracle can predict the answer
//! from the label and CONTRACT.md alone.
//!
//! [`Gen`] names every generator; each says which clauses of the catalogue
//! ([`crate::clauses`]) it exercises and on which operations. Request-level
//! variations (routes, parameters, media types, bodies, tokens, ids) live
//! here; the configuration rules' cases live in [`provider`] and
//! [`organization`].

pub mod generator;
pub mod organization;
pub(crate) mod parts;
pub mod provider;
pub mod provider_apply;
pub mod seed;
pub mod step;
pub mod strategy;

pub use crate::operation::Op;
pub use crate::order::Stage;
pub use generator::{Gen, ORDER_PAIRS};
pub use organization::OrgCase;
pub use parts::{NEAR_MISS_IDS, malformed_id, near_miss_id};
pub use provider::ProviderCase;
pub use seed::seeded_rng;
pub use step::*;
pub use strategy::mixed;
