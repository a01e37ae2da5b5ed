//! The conformance harness: does a target (the built-in model, or a live
//! Stage) honour CONTRACT.md?
//!
//! What the contract says — clauses, generators, the oracle, the checks,
//! coverage — is [`conformance_core`], re-exported here. This crate runs
//! it against a [`target`]: the [`transport`] sends (pacing, 429 waits,
//! the log, the budget), the [`pipeline`] judges each answer, compares it
//! with the model's ([`mirror`], `--compare-model`, giving
//! [`divergence`]s) and records it ([`record`]). A [`harness::Harness`]
//! runs the phases: the cases ([`runner`], then [`shrink`] for each broken
//! clause), the quota ([`throttling`]), the [`restore`]. What a run found
//! is an [`outcome::Report`], printed by [`report`], reported through
//! [`progress`] while it runs, judged against a [`baseline`]; [`replay`]
//! judges a recording again offline; [`cli`] is the binary's flags.

pub mod baseline;
pub mod cli;
pub mod divergence;
pub mod harness;
pub mod mirror;
pub mod outcome;
pub mod pipeline;
pub mod progress;
pub mod record;
pub mod replay;
pub mod report;
pub mod restore;
pub mod runner;
pub mod shrink;
pub mod target;
pub mod throttling;
pub mod transport;

pub use conformance_core::{
    Check, Clause, cases, check, checks, clauses, compare, coverage, mutations, operation, oracle,
    order, tenants, wire,
};
pub use harness::Harness;
pub use outcome::Report;
pub use runner::Options;
pub use target::{Identity, Target};
