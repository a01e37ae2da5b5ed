//! One mechanism per safety concern, used by every Lupl binary (`lupl`,
//! `conformance`, `lupl-sandbox`) and by `lupl-auth`:
//!
//! - `paths` (feature `paths`): an output path never names an input, another output, or
//!   something that is not a regular file; checked before anything is
//!   read, sent or written.
//! - [`secrets`]: every secret the process holds (tokens, client secrets)
//!   is registered once and scrubbed from all text it prints or writes.
//! - [`text`]: text from a server or a file made safe for a terminal;
//!   [`text::for_terminal`] masks secrets and escapes in one call.
//! - `signals` (feature `signals`): SIGINT and SIGTERM as one stream, so
//!   `timeout`, `docker stop` and a cancelled CI job stop a run as Ctrl-C
//!   does.
//!
//! ```
//! lupl_safety::secrets::register("s3cr3t-token-value");
//! let line = lupl_safety::secrets::scrub("echoed: Bearer s3cr3t-token-value");
//! assert_eq!(line, "echoed: Bearer s3cr…");
//! ```

#[cfg(feature = "paths")]
pub mod paths;
pub mod secrets;
#[cfg(feature = "signals")]
pub mod signals;
pub mod text;
