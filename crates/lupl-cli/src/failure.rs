//! What the user sees when a command fails: one line that says what to do,
//! and the exit code the README documents.

use lupl_api::Error;
use std::fmt;

/// The exit codes of `lupl` (README, "Scripting").
pub mod exit {
    /// Everything asked for was done.
    pub const OK: u8 = 0;
    /// The API refused (4xx), a file is invalid, or a `set-many` row failed.
    pub const REFUSED: u8 = 1;
    /// The command line or a local file could not be used.
    pub const USAGE: u8 = 2;
    /// Credentials are missing or were not accepted.
    pub const AUTH: u8 = 3;
    /// The API could not be reached.
    pub const NETWORK: u8 = 4;
    /// Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
    pub const INTERRUPTED: u8 = 130;
}

/// A failed command: its exit code and a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// One of [`exit`]'s codes.
    pub code: u8,
    /// What went wrong and what to do, on one line.
    pub message: String,
}

impl Failure {
    /// A failure with `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The API refused, or a document is invalid.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(exit::REFUSED, message)
    }

    /// The command line or a local file cannot be used.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(exit::USAGE, message)
    }

    /// Credentials are missing or refused.
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(exit::AUTH, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A settings error: about credentials (exit 3) or the rest (exit 2).
fn settings_failure(credentials: bool, message: String) -> Failure {
    if credentials {
        Failure::auth(message)
    } else {
        Failure::usage(message)
    }
}

impl From<lupl_auth::settings::SettingsError> for Failure {
    fn from(e: lupl_auth::settings::SettingsError) -> Self {
        settings_failure(e.is_credentials(), e.to_string())
    }
}

/// Whether Auth0 could not be asked at all, or could not answer now
/// (unreachable, throttling, 5xx): a network failure, not a credentials
/// one. The credentials may well be right.
pub fn is_auth0_unavailable(e: &lupl_auth::AuthError) -> bool {
    match e {
        lupl_auth::AuthError::Transport { .. } | lupl_auth::AuthError::TooManyRequests { .. } => {
            true
        }
        // A redirect is not followed (the secret would go along): Auth0 was
        // not reached at the named URL.
        lupl_auth::AuthError::Unexpected { status, .. } => {
            *status >= 500 || (300..400).contains(status)
        }
        _ => false,
    }
}

impl From<lupl_auth::AuthError> for Failure {
    fn from(e: lupl_auth::AuthError) -> Self {
        if is_auth0_unavailable(&e) {
            Failure::new(
                exit::NETWORK,
                format!(
                    "{e} (check the network and the Auth0 domain or token URL, or try again later)"
                ),
            )
        } else {
            Failure::auth(e.to_string())
        }
    }
}

impl From<lupl_auth::settings::ConfigError> for Failure {
    fn from(e: lupl_auth::settings::ConfigError) -> Self {
        settings_failure(e.is_credentials(), e.to_string())
    }
}

impl From<Error> for Failure {
    /// The middleware's and the settings' own errors decide their exit code
    /// (an unreachable Auth0 is a network failure, rejected credentials an
    /// authentication one); the API's answers are refusals but for 401.
    fn from(e: Error) -> Self {
        match e {
            Error::Middleware(source) => match source.downcast::<lupl_auth::AuthError>() {
                Ok(auth) => (*auth).into(),
                Err(other) if other.is::<lupl_auth::limits::Stopped>() => {
                    Failure::new(exit::INTERRUPTED, other.to_string())
                }
                Err(other) => Failure::auth(other.to_string()),
            },
            Error::Configuration(source) => {
                let source = match source.downcast::<lupl_auth::settings::SettingsError>() {
                    Ok(settings) => return (*settings).into(),
                    Err(other) => other,
                };
                match source.downcast::<lupl_auth::settings::ConfigError>() {
                    Ok(config) => (*config).into(),
                    Err(other) => Failure::usage(other.to_string()),
                }
            }
            Error::Unauthorized { .. } => Failure::auth(format!(
                "{e} (check LUPL_TOKEN, the LUPL_CLIENT_* settings or the config file's profile)"
            )),
            // Not followed: the body or the token could have gone to
            // another host. The API was not reached at the named URL.
            Error::Redirected { .. } => Failure::new(exit::NETWORK, e.to_string()),
            Error::Transport(_) => Failure::new(
                exit::NETWORK,
                format!("{e} (check the network and --base-url)"),
            ),
            // Unavailable now, not refused: the same request may pass later.
            Error::UnexpectedStatus { status, .. } if status.is_server_error() => Failure::new(
                exit::NETWORK,
                format!("{e} (the API is unavailable now; try again later)"),
            ),
            Error::TooManyRequests { .. } => Failure::new(
                exit::NETWORK,
                format!(
                    "{e} (the quota stayed used up after the retries; try again later or lower --rate-limit)"
                ),
            ),
            _ => Failure::refused(e.to_string()),
        }
    }
}

/// Whether a call failed because Auth0 could not give a token now
/// ([`is_auth0_unavailable`]): a network failure, not a credentials one.
pub fn is_auth0_unreachable(e: &Error) -> bool {
    match e {
        Error::Middleware(source) => source
            .downcast_ref::<lupl_auth::AuthError>()
            .is_some_and(is_auth0_unavailable),
        _ => false,
    }
}
