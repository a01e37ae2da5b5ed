//! The project's build tasks, as a library so they can be tested.
//!
//! `cargo xtask codegen` regenerates `crates/lupl-api/src/generated.rs` from
//! `openapi.json`; see [`codegen`] and [`normalize`]. `cargo xtask postman`
//! writes the Postman collection and environments ([`postman`]).

pub mod bench;
pub mod codegen;
pub mod face;
pub mod normalize;
pub mod postman;

use std::path::PathBuf;

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
