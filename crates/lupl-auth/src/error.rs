//! [`SettingsError`]: why settings cannot be settled, from any source (a
//! setting's [`ConfigError`], a file, a profile, a rate limit). Below the
//! config file (`settings::profile`) and `settings::resolve`, which both
//! return it.

use crate::config::ConfigError;
use lupl_spec::QuotaError;
use std::path::PathBuf;

/// Why settings cannot be settled. Each names the setting or file and
/// says what to do.
///
/// ```
/// use lupl_auth::{settings::ConfigFileChoice, settings::SettingsError, settings::Sources, settings::resolve};
///
/// let env = |name: &str| match name {
///     "LUPL_TOKEN" => Some("tok-acme".to_owned()),
///     "LUPL_RATE_LIMIT" => Some("fast".to_owned()),
///     _ => None,
/// };
/// let none = ConfigFileChoice::None;
/// let sources = Sources { flags: vec![], env: &env, config: none, profile: None, cli: false };
/// let error = resolve(&sources).unwrap_err();
/// assert!(matches!(
///     &error,
///     SettingsError::RateLimit { setting, .. } if setting == "LUPL_RATE_LIMIT"
/// ));
/// let message = r#"LUPL_RATE_LIMIT "fast": expected N/SECONDS such as 1000/60"#;
/// assert_eq!(error.to_string(), message);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A missing, contradictory or invalid setting.
    #[error("{error}")]
    Config {
        /// The error, naming the setting as the user set it.
        error: ConfigError,
        /// Whether it is about credentials rather than where to connect.
        credentials: bool,
    },
    /// A file (config file, secret file) could not be read.
    #[error("cannot read {path}: {reason}", path = path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        reason: String,
    },
    /// The config file is not the format.
    #[error("{path}:{line}: {message}", path = path.display())]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file holding secrets that others may read.
    #[error("{path} holds secrets but others can read it; run `chmod 600 {path}`", path = path.display())]
    Exposed {
        /// The file.
        path: PathBuf,
    },
    /// A secret file with nothing in it.
    #[error("{path} is empty; it should hold {what}", path = path.display())]
    EmptySecret {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        what: &'static str,
    },
    /// A profile the config file does not have.
    #[error("no profile {name:?} in the config file (it has: {})", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The profiles the file has.
        known: Vec<String>,
    },
    /// A rate limit that cannot be used.
    #[error("{setting} {text:?}: {reason}")]
    RateLimit {
        /// The setting, as the user set it.
        setting: String,
        /// The value.
        text: String,
        /// Why, and what to write.
        reason: QuotaError,
    },
}

impl From<SettingsError> for lupl_api::Error {
    /// The settings' error as the
    /// [`Configuration`](lupl_api::Error::Configuration) variant's source.
    ///
    /// ```
    /// let err = lupl_api::Error::from(lupl_auth::settings::SettingsError::Exposed {
    ///     path: "/home/me/.config/lupl/secret".into(),
    /// });
    /// assert!(matches!(err, lupl_api::Error::Configuration(_)));
    /// ```
    fn from(e: SettingsError) -> Self {
        lupl_api::Error::Configuration(Box::new(e))
    }
}

impl SettingsError {
    /// Whether the error is about credentials (missing, contradictory, or
    /// kept where others can read them) rather than about where to connect
    /// or how the command was written.
    ///
    /// ```
    /// use lupl_auth::{settings::ConfigFileChoice, settings::Sources, settings::resolve};
    ///
    /// let env = |_: &str| -> Option<String> { None };
    /// let none = ConfigFileChoice::None;
    /// let sources = Sources { flags: vec![], env: &env, config: none, profile: None, cli: true };
    /// let error = resolve(&sources).unwrap_err();
    /// assert!(error.is_credentials());
    /// assert!(error.to_string().starts_with("--client-id (or LUPL_CLIENT_ID) is not set"));
    /// ```
    pub fn is_credentials(&self) -> bool {
        match self {
            SettingsError::Config { credentials, .. } => *credentials,
            SettingsError::Exposed { .. } | SettingsError::EmptySecret { .. } => true,
            _ => false,
        }
    }
}
