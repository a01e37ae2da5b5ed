//! The conformance harness: proptest-generated sequences of requests that
//! check every contract of CONTRACT.md against the model or a live target.
//!
//! generator ([`cases`]) → request and prediction ([`oracle`]) → target
//! ([`target`]) → checks ([`checks`]) → report ([`report`]); [`runner`]
//! drives it and shrinks a failure to a minimal, replayable sequence.

pub mod cases;
pub mod checks;
pub mod oracle;
pub mod report;
pub mod runner;
pub mod target;
pub mod throttling;

pub use checks::ContractCheck;
pub use runner::{Harness, Options, Report};
pub use target::{Identity, Target};
