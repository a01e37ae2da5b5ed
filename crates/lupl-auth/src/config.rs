//! Settings from the environment: `LUPL_TOKEN`, `LUPL_CLIENT_ID`,
//! `LUPL_CLIENT_SECRET`, `LUPL_AUTH_DOMAIN` (or `LUPL_TOKEN_URL`),
//! `LUPL_AUDIENCE`, `LUPL_REFRESH_TOKEN`, `LUPL_ENV`, `LUPL_BASE_URL`.

use crate::auth0::SecretIn;
use crate::tokens::Credentials;
use lupl_api::{Environment, STAGE_BASE_URL, parse_base_url};

/// The credential variables, taken from one source as a group.
///
/// ```
/// use lupl_auth::settings::profile::CREDENTIAL_VARIABLES;
///
/// assert!(CREDENTIAL_VARIABLES.contains(&"LUPL_CLIENT_SECRET"));
/// assert!(!CREDENTIAL_VARIABLES.contains(&"LUPL_BASE_URL"), "where to connect is not one");
/// ```
pub const CREDENTIAL_VARIABLES: [&str; 7] = [
    "LUPL_TOKEN",
    "LUPL_CLIENT_ID",
    "LUPL_CLIENT_SECRET",
    "LUPL_AUTH_DOMAIN",
    "LUPL_TOKEN_URL",
    "LUPL_AUDIENCE",
    "LUPL_REFRESH_TOKEN",
];

/// Where to connect and how to authenticate.
///
/// ```
/// use lupl_api::Environment;
/// use lupl_auth::{Credentials, SecretString, settings::Settings};
///
/// let settings = Settings {
///     environment: Environment::custom("http://127.0.0.1:8080")?,
///     credentials: Credentials::Static(SecretString::from("tok-acme")),
/// };
/// assert!(!format!("{settings:?}").contains("tok-acme"), "Debug redacts the token");
/// # Ok::<(), lupl_api::EnvironmentError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Settings {
    /// The deployment.
    pub environment: Environment,
    /// How to get tokens.
    pub credentials: Credentials,
}

/// A missing, contradictory or invalid setting; always names the setting
/// the way the user sets it (`LUPL_CLIENT_ID`, `--client-id`, or a
/// profile's `client_id`).
///
/// ```
/// use lupl_auth::{settings::ConfigError, settings::Settings};
///
/// let error = Settings::from_lookup(|_| None).unwrap_err(); // nothing set
/// assert!(matches!(
///     &error,
///     ConfigError::Missing { variable, .. } if variable == "LUPL_CLIENT_ID"
/// ));
/// assert!(error.to_string().starts_with("LUPL_CLIENT_ID is not set: set LUPL_TOKEN"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A needed setting is not set.
    #[error("{variable} is not set: {hint}")]
    Missing {
        /// The setting.
        variable: String,
        /// What to do.
        hint: String,
    },
    /// Two settings say different things.
    #[error("{first} and {second} are both set: {hint}")]
    Conflict {
        /// One setting.
        first: String,
        /// The other.
        second: String,
        /// What to do.
        hint: String,
    },
    /// A setting's value cannot be used.
    #[error("{variable}: {reason}")]
    Invalid {
        /// The setting.
        variable: String,
        /// Why.
        reason: String,
    },
}

impl From<ConfigError> for lupl_api::Error {
    /// So that `?` takes settings, environment and call errors alike in a
    /// function returning `lupl_api::Error`; the setting's error is the
    /// [`Configuration`](lupl_api::Error::Configuration) variant's source.
    ///
    /// ```
    /// fn client() -> Result<lupl_api::Client, lupl_api::Error> {
    ///     let settings = lupl_auth::settings::Settings::from_lookup(|_| None)?; // no credentials
    ///     lupl_auth::ClientBuilder::from_settings(settings).build()
    /// }
    /// let err = client().unwrap_err();
    /// let source = std::error::Error::source(&err).expect("the ConfigError");
    /// assert!(source.downcast_ref::<lupl_auth::settings::ConfigError>().is_some());
    /// ```
    fn from(e: ConfigError) -> Self {
        lupl_api::Error::Configuration(Box::new(e))
    }
}

impl ConfigError {
    /// Whether it is about credentials (token, client, Auth0), not about
    /// where to connect.
    ///
    /// ```
    /// use lupl_auth::settings::Settings;
    ///
    /// let no_credentials = Settings::from_lookup(|_| None).unwrap_err();
    /// assert!(no_credentials.is_credentials());
    /// let bad_env = Settings::from_lookup(|name| (name == "LUPL_ENV").then(|| "qa".into()));
    /// assert!(!bad_env.unwrap_err().is_credentials());
    /// ```
    pub fn is_credentials(&self) -> bool {
        let about = |v: &str| CREDENTIAL_VARIABLES.iter().any(|c| v.starts_with(c));
        match self {
            ConfigError::Missing { variable, .. } | ConfigError::Invalid { variable, .. } => {
                about(variable)
            }
            ConfigError::Conflict { first, second, .. } => about(first) && about(second),
        }
    }

    /// The same error with every `LUPL_*` name passed through `name`.
    ///
    /// ```
    /// use lupl_auth::settings::Settings;
    ///
    /// let flag = |v: &str| format!("--{}", v[5..].to_ascii_lowercase().replace('_', "-"));
    /// let error = Settings::from_lookup(|_| None).unwrap_err().renamed(&flag);
    /// assert!(error.to_string().starts_with("--client-id is not set"));
    /// let conflict = Settings::from_lookup(|name| match name {
    ///     "LUPL_ENV" => Some("stage".into()),
    ///     "LUPL_BASE_URL" => Some("http://127.0.0.1:8080".into()),
    ///     _ => None,
    /// });
    /// let error = conflict.unwrap_err().renamed(&flag); // `LUPL_ENV=stage` keeps `=stage`
    /// assert!(error.to_string().starts_with("--env=stage and --base-url are both set"));
    /// ```
    pub fn renamed(self, name: &dyn Fn(&str) -> String) -> Self {
        // "LUPL_ENV=stage" keeps its value part.
        let rename = |v: String| match v.split_once('=') {
            Some((var, value)) => format!("{}={value}", name(var)),
            None => name(&v),
        };
        match self {
            ConfigError::Missing { variable, hint } => ConfigError::Missing {
                variable: rename(variable),
                hint,
            },
            ConfigError::Conflict {
                first,
                second,
                hint,
            } => ConfigError::Conflict {
                first: rename(first),
                second: rename(second),
                hint,
            },
            ConfigError::Invalid { variable, reason } => ConfigError::Invalid {
                variable: rename(variable),
                reason,
            },
        }
    }
}

fn missing(variable: &str, hint: &str) -> ConfigError {
    ConfigError::Missing {
        variable: variable.into(),
        hint: hint.into(),
    }
}

fn conflict(first: &str, second: &str, hint: &str) -> ConfigError {
    ConfigError::Conflict {
        first: first.into(),
        second: second.into(),
        hint: hint.into(),
    }
}

fn invalid(variable: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        variable: variable.into(),
        reason: reason.into(),
    }
}

impl Settings {
    /// Reads the process environment (no config file).
    ///
    /// ```
    /// // SAFETY-free: the lookup is explicit in tests; here, the real environment.
    /// match lupl_auth::settings::Settings::from_env() {
    ///     Ok(settings) => println!("{}", settings.environment),
    ///     Err(e) => eprintln!("{e}"), // names the variable to set
    /// }
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get` (empty values count as unset).
    ///
    /// ```
    /// let settings = lupl_auth::settings::Settings::from_lookup(|name| match name {
    ///     "LUPL_TOKEN" => Some("tok-acme".into()),
    ///     "LUPL_BASE_URL" => Some("http://127.0.0.1:8080".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(settings.environment.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), lupl_auth::settings::ConfigError>(())
    /// ```
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Ok(Self {
            environment: environment(&get)?,
            credentials: credentials(&get)?,
        })
    }
}

/// `LUPL_ENV` and `LUPL_BASE_URL`, as [`Settings::from_lookup`] and
/// `settings::resolve` read them.
///
/// ```
/// use lupl_api::Environment;
/// use lupl_auth::settings::Settings;
///
/// let with = |env: &'static str, base_url: Option<&'static str>| {
///     Settings::from_lookup(move |name| match name {
///         "LUPL_TOKEN" => Some("tok-acme".into()),
///         "LUPL_ENV" => Some(env.into()),
///         "LUPL_BASE_URL" => base_url.map(Into::into),
///         _ => None,
///     })
/// };
/// assert_eq!(with("stage", None)?.environment, Environment::Stage);
/// assert!(with("production", None).is_err(), "Production's host is not published");
/// assert!(with("production", Some("https://api.example"))?.environment.is_production());
/// # Ok::<(), lupl_auth::settings::ConfigError>(())
/// ```
pub(crate) fn environment(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Environment, ConfigError> {
    let base = |url: &str| parse_base_url(url).map_err(|e| invalid("LUPL_BASE_URL", e.to_string()));
    let env = get("LUPL_ENV").map(|e| e.to_ascii_lowercase());
    match (env.as_deref(), get("LUPL_BASE_URL")) {
        (None | Some("stage"), None) => Ok(Environment::Stage),
        (Some("stage"), Some(url)) => {
            if url.trim_end_matches('/') == STAGE_BASE_URL {
                Ok(Environment::Stage)
            } else {
                Err(conflict(
                    "LUPL_ENV=stage",
                    "LUPL_BASE_URL",
                    "Stage has a fixed host; unset one of them",
                ))
            }
        }
        (Some("production"), None) => Err(missing(
            "LUPL_BASE_URL",
            "Production's API host is not published; set LUPL_BASE_URL to it",
        )),
        (Some("production"), Some(url)) => Ok(Environment::Production(base(&url)?)),
        (None, Some(url)) => Ok(Environment::Custom(base(&url)?)),
        (Some(other), _) => Err(invalid(
            "LUPL_ENV",
            format!("{other:?} is not an environment; use stage or production"),
        )),
    }
}

/// The credentials: `LUPL_TOKEN`, or the Auth0 client's settings.
pub(crate) fn credentials(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, ConfigError> {
    let token = get("LUPL_TOKEN");
    let client_id = get("LUPL_CLIENT_ID");
    if let Some(token) = token {
        for other in ["LUPL_CLIENT_ID", "LUPL_CLIENT_SECRET", "LUPL_REFRESH_TOKEN"] {
            if get(other).is_some() {
                return Err(conflict(
                    "LUPL_TOKEN",
                    other,
                    "use a static token or Auth0 credentials, not both",
                ));
            }
        }
        return Ok(Credentials::Static(token.into()));
    }
    let Some(client_id) = client_id else {
        return Err(missing(
            "LUPL_CLIENT_ID",
            "set LUPL_TOKEN to a bearer token, or LUPL_CLIENT_ID, LUPL_CLIENT_SECRET, LUPL_AUTH_DOMAIN and LUPL_AUDIENCE for Auth0",
        ));
    };
    let token_url = match (get("LUPL_AUTH_DOMAIN"), get("LUPL_TOKEN_URL")) {
        (Some(_), Some(_)) => {
            return Err(conflict(
                "LUPL_AUTH_DOMAIN",
                "LUPL_TOKEN_URL",
                "the token URL is https://{LUPL_AUTH_DOMAIN}/oauth/token; set one of them",
            ));
        }
        (Some(domain), None) => {
            if domain.contains(['/', ':', ' ']) {
                return Err(invalid(
                    "LUPL_AUTH_DOMAIN",
                    format!("{domain:?} is not a host name (use LUPL_TOKEN_URL for a full URL)"),
                ));
            }
            parse_base_url(&format!("https://{domain}/oauth/token"))
                .map_err(|e| invalid("LUPL_AUTH_DOMAIN", e.to_string()))?
        }
        (None, Some(url)) => {
            parse_base_url(&url).map_err(|e| invalid("LUPL_TOKEN_URL", e.to_string()))?
        }
        (None, None) => {
            return Err(missing(
                "LUPL_AUTH_DOMAIN",
                "set it to the Auth0 domain Lupl gave you (or give the token URL)",
            ));
        }
    };
    let client_secret = get("LUPL_CLIENT_SECRET");
    let audience = get("LUPL_AUDIENCE");
    let refresh_token = get("LUPL_REFRESH_TOKEN");
    if refresh_token.is_none() {
        if client_secret.is_none() {
            return Err(missing(
                "LUPL_CLIENT_SECRET",
                "client credentials need the secret Lupl issued with the client id",
            ));
        }
        if audience.is_none() {
            return Err(missing(
                "LUPL_AUDIENCE",
                "client credentials need the API identifier (audience) Lupl gave you",
            ));
        }
    }
    Ok(Credentials::Auth0 {
        token_url,
        client_id,
        client_secret: client_secret.map(Into::into),
        audience,
        refresh_token: refresh_token.map(Into::into),
        secret_in: SecretIn::Body,
    })
}
