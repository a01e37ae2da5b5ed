//! Where a client's settings come from: the `LUPL_*` environment
//! ([`Settings::from_env`]) and, with the `files` feature, flags and the
//! config file's profiles settled by `resolve`, the same for every tool.
//!
//! ```no_run
//! use lupl_auth::ClientBuilder;
//! use lupl_auth::settings::Settings;
//!
//! let client = ClientBuilder::from_settings(Settings::from_env()?).build()?;
//! # drop(client);
//! # Ok::<(), lupl_api::Error>(())
//! ```

#[cfg(feature = "cli")]
pub use crate::args::SettingsArgs;
pub use crate::config::{ConfigError, Settings};
pub use crate::error::SettingsError;
#[cfg(feature = "files")]
pub use crate::sources::{ConfigFileChoice, Resolved, Sources, read_secret, resolve};

/// The config file's profiles, as [`resolve`] reads them (feature `files`).
///
/// ```
/// use lupl_auth::settings::profile::{self, ConfigFile};
///
/// let file: ConfigFile = toml::from_str(r#"
///     [profile.production]
///     base_url = "https://api.example"
/// "#)?;
/// let (name, chosen) = file.select(None, Some("production"))?.expect("named like the env");
/// assert_eq!(name, "production");
/// assert_eq!(chosen.get("LUPL_BASE_URL"), Some("https://api.example"));
/// assert!(profile::CREDENTIAL_VARIABLES.contains(&"LUPL_TOKEN"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "files")]
pub mod profile;
