//! The library behind the `lupl` command: everything but argument parsing,
//! so tests and benchmarks can drive the same code.
//!
//! - [`documents`] reads configuration files and judges them offline with
//!   the model's own binding and rules ([`lupl_model::offline`]).
//! - [`rows`] reads `set-many` input (CSV or JSON Lines) into typed rows.
//! - [`journal`] and [`set_many`] send rows resumably.
//! - [`cli`] is the command line (clap); [`commands`] runs each command in
//!   a [`context::Context`] (settings → client) and returns what to print,
//!   an [`output::Done`], so tests drive it without spawning `lupl`;
//!   [`output`] renders values as JSON or a table.
//! - [`failure`] turns every error into one line and an exit code;
//!   [`terminal`] escapes what reaches a terminal.
//!
//! Settings (flags, `LUPL_*`, profiles) are `lupl-auth`'s
//! [`lupl_auth::settings::SettingsArgs`], shared with the conformance runner.

pub mod backup;
pub mod cli;
pub mod commands;
pub mod context;
pub mod debug;
pub mod documents;
pub mod failure;
pub mod hints;
pub mod journal;
pub mod locate;
pub mod output;
pub mod progress;
pub mod rows;
pub mod set_many;
pub mod terminal;

pub use failure::{Failure, exit};
