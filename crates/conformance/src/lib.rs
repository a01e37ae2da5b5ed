//! The conformance harness: does a target (the built-in model, or a live
//! Stage) honour CONTRACT.md?
//!
//! [`clauses`] is the contract as data; generators ([`cases`]) make cases
//! that exercise every clause at its boundaries; the [`oracle`] predicts
//! each answer from how a case was made; [`checks`] judge the answers clause
//! by clause; [`runner`] runs cases against a [`target`], replays and
//! shrinks each broken clause, and tallies [`coverage`]; [`throttling`] is
//! the opt-in quota phase; [`record`] keeps the exchanges (evidence,
//! `--record`); [`report`] prints it all. [`compare`] sets the model beside
//! a live target (`--compare-model`); [`replay`] judges a recording again
//! offline; [`baseline`] accepts known failures.

pub mod baseline;
pub mod cases;
pub mod checks;
pub mod clauses;
pub mod cli;
pub mod compare;
pub mod coverage;
pub mod oracle;
pub mod record;
pub mod replay;
pub mod report;
pub mod runner;
pub mod target;
pub mod throttling;

pub use checks::Check;
pub use clauses::Clause;
pub use runner::{Harness, Options, Report};
pub use target::{Identity, Target};
