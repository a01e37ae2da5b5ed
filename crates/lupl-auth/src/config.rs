//! Settings from the environment: `LUPL_TOKEN`, `LUPL_CLIENT_ID`,
//! `LUPL_CLIENT_SECRET`, `LUPL_AUTH_DOMAIN` (or `LUPL_TOKEN_URL`),
//! `LUPL_AUDIENCE`, `LUPL_REFRESH_TOKEN`, `LUPL_ENV`, `LUPL_BASE_URL`.

use crate::auth0::SecretIn;
use crate::tokens::Credentials;
use lupl_api::{Environment, STAGE_BASE_URL, parse_base_url};

/// Where to connect and how to authenticate.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The deployment.
    pub environment: Environment,
    /// How to get tokens.
    pub credentials: Credentials,
}

/// A missing, contradictory or invalid setting; always names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A needed variable is not set.
    #[error("{variable} is not set: {hint}")]
    Missing {
        /// The variable.
        variable: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// Two variables say different things.
    #[error("{first} and {second} are both set: {hint}")]
    Conflict {
        /// One variable.
        first: &'static str,
        /// The other.
        second: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// A variable's value cannot be used.
    #[error("{variable}: {reason}")]
    Invalid {
        /// The variable.
        variable: &'static str,
        /// Why.
        reason: String,
    },
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get` (empty values count as unset).
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

/// `LUPL_ENV` and `LUPL_BASE_URL`.
pub fn environment(get: &dyn Fn(&str) -> Option<String>) -> Result<Environment, ConfigError> {
    let base = |url: &str| {
        parse_base_url(url).map_err(|e| ConfigError::Invalid {
            variable: "LUPL_BASE_URL",
            reason: e.to_string(),
        })
    };
    let env = get("LUPL_ENV").map(|e| e.to_ascii_lowercase());
    match (env.as_deref(), get("LUPL_BASE_URL")) {
        (None | Some("stage"), None) => Ok(Environment::Stage),
        (Some("stage"), Some(url)) => {
            if url.trim_end_matches('/') == STAGE_BASE_URL {
                Ok(Environment::Stage)
            } else {
                Err(ConfigError::Conflict {
                    first: "LUPL_ENV=stage",
                    second: "LUPL_BASE_URL",
                    hint: "Stage has a fixed host; unset one of them",
                })
            }
        }
        (Some("production"), None) => Err(ConfigError::Missing {
            variable: "LUPL_BASE_URL",
            hint: "Production's API host is not published; set LUPL_BASE_URL to it",
        }),
        (Some("production"), Some(url)) => Ok(Environment::Production(base(&url)?)),
        (None, Some(url)) => Ok(Environment::Custom(base(&url)?)),
        (Some(other), _) => Err(ConfigError::Invalid {
            variable: "LUPL_ENV",
            reason: format!("{other:?} is not an environment; use stage or production"),
        }),
    }
}

fn credentials(get: &dyn Fn(&str) -> Option<String>) -> Result<Credentials, ConfigError> {
    let token = get("LUPL_TOKEN");
    let client_id = get("LUPL_CLIENT_ID");
    if let Some(token) = token {
        for other in ["LUPL_CLIENT_ID", "LUPL_CLIENT_SECRET", "LUPL_REFRESH_TOKEN"] {
            if get(other).is_some() {
                return Err(ConfigError::Conflict {
                    first: "LUPL_TOKEN",
                    second: other,
                    hint: "use a static token or Auth0 credentials, not both",
                });
            }
        }
        return Ok(Credentials::Static(token.into()));
    }
    let Some(client_id) = client_id else {
        return Err(ConfigError::Missing {
            variable: "LUPL_CLIENT_ID",
            hint: "set LUPL_TOKEN to a bearer token, or LUPL_CLIENT_ID, LUPL_CLIENT_SECRET, LUPL_AUTH_DOMAIN and LUPL_AUDIENCE for Auth0",
        });
    };
    let token_url = match (get("LUPL_AUTH_DOMAIN"), get("LUPL_TOKEN_URL")) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::Conflict {
                first: "LUPL_AUTH_DOMAIN",
                second: "LUPL_TOKEN_URL",
                hint: "the token URL is https://{LUPL_AUTH_DOMAIN}/oauth/token; set one of them",
            });
        }
        (Some(domain), None) => {
            if domain.contains(['/', ':', ' ']) {
                return Err(ConfigError::Invalid {
                    variable: "LUPL_AUTH_DOMAIN",
                    reason: format!(
                        "{domain:?} is not a host name (use LUPL_TOKEN_URL for a full URL)"
                    ),
                });
            }
            parse_base_url(&format!("https://{domain}/oauth/token")).map_err(|e| {
                ConfigError::Invalid {
                    variable: "LUPL_AUTH_DOMAIN",
                    reason: e.to_string(),
                }
            })?
        }
        (None, Some(url)) => parse_base_url(&url).map_err(|e| ConfigError::Invalid {
            variable: "LUPL_TOKEN_URL",
            reason: e.to_string(),
        })?,
        (None, None) => {
            return Err(ConfigError::Missing {
                variable: "LUPL_AUTH_DOMAIN",
                hint: "set it to the Auth0 domain Lupl gave you (or LUPL_TOKEN_URL)",
            });
        }
    };
    let client_secret = get("LUPL_CLIENT_SECRET");
    let audience = get("LUPL_AUDIENCE");
    let refresh_token = get("LUPL_REFRESH_TOKEN");
    if refresh_token.is_none() {
        if client_secret.is_none() {
            return Err(ConfigError::Missing {
                variable: "LUPL_CLIENT_SECRET",
                hint: "client credentials need the secret Lupl issued with the client id",
            });
        }
        if audience.is_none() {
            return Err(ConfigError::Missing {
                variable: "LUPL_AUDIENCE",
                hint: "client credentials need the API identifier (audience) Lupl gave you",
            });
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
