//! The library behind the `lupl` command: everything but argument parsing,
//! so tests and benchmarks can drive the same code.
//!
//! - [`documents`] reads configuration files and judges them offline with
//!   the model's own binding and rules ([`lupl_model::offline`]).
//! - [`rows`] reads `set-many` input (CSV or JSON Lines) into typed rows.
//! - [`journal`] and [`set_many`] send rows resumably.
//! - [`profile`] reads `~/.config/lupl/config.toml`.
//! - [`failure`] turns every error into one line and an exit code.

pub mod documents;
pub mod failure;
pub mod journal;
pub mod locate;
pub mod profile;
pub mod rows;
pub mod set_many;

pub use failure::{Failure, exit};
