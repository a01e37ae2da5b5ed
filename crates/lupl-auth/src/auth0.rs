//! Auth0's token endpoint (`POST https://{domain}/oauth/token`): the grants
//! this toolkit uses, and its error bodies as typed errors.
//!
//! A small serde client over the workspace's reqwest rather than the `oauth2`
//! crate: `oauth2` 5 pulls a second reqwest and drops the status and headers
//! of token-endpoint errors, which the throttling answer needs.

use lupl_api::RetryAfter;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;
use url::Url;

/// How the client secret travels in a client-credentials request.
///
/// ```
/// use lupl_auth::tokens::SecretIn;
///
/// assert_eq!(SecretIn::default(), SecretIn::Body, "Auth0's default");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretIn {
    /// `client_secret` in the form body (Auth0's default).
    #[default]
    Body,
    /// HTTP Basic authentication (`client_secret_basic`).
    Basic,
}

/// A token request.
///
/// ```no_run
/// use lupl_auth::{tokens::Grant, SecretString, tokens::TokenEndpoint};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = "https://auth0.example/oauth/token".parse()?;
/// # let endpoint = TokenEndpoint::new(url, reqwest::Client::new());
/// let refresh_token = SecretString::from("s3cret-refresh");
/// let grant = Grant::RefreshToken {
///     client_id: "my-client",
///     client_secret: None, // a public client
///     refresh_token: &refresh_token,
/// };
/// let issued = endpoint.request(&grant).await?;
/// # Ok(()) }
/// ```
pub enum Grant<'a> {
    /// `grant_type=client_credentials`.
    ClientCredentials {
        /// The application's client id.
        client_id: &'a str,
        /// Its secret.
        client_secret: &'a SecretString,
        /// The API identifier in Auth0.
        audience: &'a str,
        /// Where the secret goes.
        secret_in: SecretIn,
    },
    /// `grant_type=refresh_token`.
    RefreshToken {
        /// The application's client id.
        client_id: &'a str,
        /// Its secret, for confidential applications.
        client_secret: Option<&'a SecretString>,
        /// The refresh token to redeem.
        refresh_token: &'a SecretString,
    },
}

/// What the token endpoint issued.
///
/// `Debug` never shows the tokens.
///
/// ```
/// use lupl_auth::{tokens::Issued, SecretString};
/// use std::time::Duration;
///
/// let issued = Issued {
///     access_token: SecretString::from("tok-acme"),
///     expires_in: Some(Duration::from_secs(86_400)),
///     refresh_token: Some(SecretString::from("s3cret-refresh")),
/// };
/// let shown = format!("{issued:?}");
/// assert!(!shown.contains("tok-acme") && !shown.contains("s3cret-refresh"), "{shown}");
/// ```
pub struct Issued {
    /// The access token.
    pub access_token: SecretString,
    /// Its lifetime, if the endpoint said.
    pub expires_in: Option<Duration>,
    /// A new refresh token (rotation), if any.
    pub refresh_token: Option<SecretString>,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Why no token could be had. Never contains a secret: only the status,
/// Auth0's error code and its description.
///
/// ```
/// use lupl_auth::AuthError;
/// use std::time::{Duration, SystemTime};
///
/// /// How long to wait before asking Auth0 again, if waiting can help.
/// fn retry_in(error: &AuthError) -> Option<Duration> {
///     match error {
///         AuthError::TooManyRequests { retry_after, .. } => Some(
///             retry_after.map_or(Duration::from_secs(1), |r| r.delay_from(SystemTime::now())),
///         ),
///         AuthError::Transport { .. } => Some(Duration::from_secs(1)),
///         _ => None, // fix the settings instead
///     }
/// }
/// let refused = AuthError::InvalidClient { status: 401, description: "Unauthorized".into() };
/// assert_eq!(retry_in(&refused), None);
/// assert_eq!(
///     refused.to_string(),
///     "Auth0 rejected the client credentials (invalid_client, 401): Unauthorized"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// 401 `invalid_client`: wrong client id or secret.
    #[error("Auth0 rejected the client credentials (invalid_client, {status}): {description}")]
    InvalidClient {
        /// The HTTP status.
        status: u16,
        /// Auth0's `error_description`.
        description: String,
    },
    /// 403 `access_denied`: the client may not get tokens for this audience.
    #[error("Auth0 denied access (access_denied, {status}): {description}")]
    AccessDenied {
        /// The HTTP status.
        status: u16,
        /// Auth0's `error_description`.
        description: String,
    },
    /// 403 `unauthorized_client`: the grant is not enabled for this client.
    #[error("the client may not use this grant (unauthorized_client, {status}): {description}")]
    UnauthorizedClient {
        /// The HTTP status.
        status: u16,
        /// Auth0's `error_description`.
        description: String,
    },
    /// `invalid_grant`: the refresh token is unknown, expired or revoked.
    #[error("the refresh token was refused (invalid_grant, {status}): {description}")]
    InvalidGrant {
        /// The HTTP status.
        status: u16,
        /// Auth0's `error_description`.
        description: String,
    },
    /// 429 `too_many_requests`: Auth0 throttles token requests.
    #[error("Auth0 is throttling token requests (too_many_requests){}", retry_after.map(|r| format!(", retry after {r}")).unwrap_or_default())]
    TooManyRequests {
        /// Auth0's `Retry-After`, if any.
        retry_after: Option<RetryAfter>,
        /// Auth0's `error_description`.
        description: String,
    },
    /// 400 `invalid_request` or `invalid_scope`, or any other error code.
    #[error("Auth0 refused the token request ({error}, {status}): {description}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Auth0's `error` code.
        error: String,
        /// Auth0's `error_description`.
        description: String,
    },
    /// A response that is neither a token nor an Auth0 error.
    #[error("unexpected answer from the token endpoint ({status}): {body}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The token endpoint could not be reached (DNS, connect, TLS, timeout).
    #[error("cannot reach the token endpoint {url}: {message}")]
    Transport {
        /// The token endpoint's URL.
        url: String,
        /// What the HTTP client said, without the URL.
        message: String,
    },
    /// This client has no way to get a new token (a static token was refused).
    #[error("the static token was refused and there is no way to get another")]
    NoRefresh,
    /// The request's host is not the one the token was issued for.
    #[error("refusing to send a {environment} token to {host}")]
    WrongEnvironment {
        /// The environment the token belongs to.
        environment: String,
        /// Where the request was going.
        host: String,
    },
}

/// An `AuthError` met outside a request (asking for a token up front) is
/// the same `lupl_api::Error::Middleware` a request would end with, so `?`
/// takes it in a function that returns `lupl_api::Error`.
///
/// ```no_run
/// # async fn run() -> Result<(), lupl_api::Error> {
/// let built = lupl_auth::ClientBuilder::from_env()?.build_parts()?;
/// let token = built.tokens.token().await?; // fail early on bad credentials
/// # drop(token);
/// # Ok(()) }
/// ```
impl From<AuthError> for lupl_api::Error {
    fn from(error: AuthError) -> Self {
        lupl_api::Error::Middleware(Box::new(error))
    }
}

impl AuthError {
    /// The same error with `f` applied to every text that came from Auth0.
    ///
    /// ```
    /// use lupl_auth::AuthError;
    ///
    /// let error = AuthError::Unexpected { status: 500, body: "echo: s3cret".into() };
    /// let scrubbed = error.map_text(|text| text.replace("s3cret", "[redacted]"));
    /// assert_eq!(
    ///     scrubbed,
    ///     AuthError::Unexpected { status: 500, body: "echo: [redacted]".into() }
    /// );
    /// ```
    pub fn map_text(self, f: impl Fn(String) -> String) -> Self {
        use AuthError::*;
        match self {
            InvalidClient {
                status,
                description,
            } => InvalidClient {
                status,
                description: f(description),
            },
            AccessDenied {
                status,
                description,
            } => AccessDenied {
                status,
                description: f(description),
            },
            UnauthorizedClient {
                status,
                description,
            } => UnauthorizedClient {
                status,
                description: f(description),
            },
            InvalidGrant {
                status,
                description,
            } => InvalidGrant {
                status,
                description: f(description),
            },
            TooManyRequests {
                retry_after,
                description,
            } => TooManyRequests {
                retry_after,
                description: f(description),
            },
            Refused {
                status,
                error,
                description,
            } => Refused {
                status,
                error,
                description: f(description),
            },
            Unexpected { status, body } => Unexpected {
                status,
                body: f(body),
            },
            other => other,
        }
    }
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Auth0's token endpoint.
///
/// ```no_run
/// use lupl_auth::{AuthError, tokens::Grant, tokens::SecretIn, SecretString, tokens::TokenEndpoint};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let http = lupl_api::Environment::http_client()?;
/// let endpoint = TokenEndpoint::new("https://auth0.example/oauth/token".parse()?, http);
/// let secret = SecretString::from("s3cret");
/// let grant = Grant::ClientCredentials {
///     client_id: "my-client",
///     client_secret: &secret,
///     audience: "https://stage.api.lupl.com",
///     secret_in: SecretIn::Body,
/// };
/// match endpoint.request(&grant).await {
///     Ok(issued) => println!("a token for {:?}", issued.expires_in),
///     Err(AuthError::InvalidClient { .. }) => eprintln!("check LUPL_CLIENT_SECRET"),
///     Err(other) => return Err(other.into()),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    url: Url,
    http: reqwest::Client,
}

impl TokenEndpoint {
    /// The endpoint at `url`, over `http`.
    ///
    /// ```
    /// use lupl_auth::tokens::TokenEndpoint;
    ///
    /// let url = url::Url::parse("https://auth0.example/oauth/token")?;
    /// let endpoint = TokenEndpoint::new(url, reqwest::Client::new()); // no request yet
    /// # Ok::<(), url::ParseError>(())
    /// ```
    pub fn new(url: Url, http: reqwest::Client) -> Self {
        Self { url, http }
    }

    /// The endpoint's URL.
    ///
    /// ```
    /// use lupl_auth::tokens::TokenEndpoint;
    ///
    /// let url = url::Url::parse("https://auth0.example/oauth/token")?;
    /// let endpoint = TokenEndpoint::new(url, reqwest::Client::new());
    /// assert_eq!(endpoint.url().host_str(), Some("auth0.example"));
    /// # Ok::<(), url::ParseError>(())
    /// ```
    pub fn url(&self) -> &Url {
        &self.url
    }

    fn unreachable(&self, e: reqwest::Error) -> AuthError {
        AuthError::Transport {
            url: self.url.to_string(),
            message: lupl_api::causes(&e.without_url()),
        }
    }

    /// Requests a token.
    ///
    /// ```no_run
    /// use lupl_auth::{tokens::Grant, tokens::SecretIn, SecretString, tokens::TokenEndpoint};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// # let url = "https://auth0.example/oauth/token".parse()?;
    /// # let endpoint = TokenEndpoint::new(url, reqwest::Client::new());
    /// let secret = SecretString::from("s3cret");
    /// let issued = endpoint
    ///     .request(&Grant::ClientCredentials {
    ///         client_id: "my-client",
    ///         client_secret: &secret,
    ///         audience: "https://stage.api.lupl.com",
    ///         secret_in: SecretIn::Basic, // `client_secret_basic`
    ///     })
    ///     .await?;
    /// println!("valid for {:?}", issued.expires_in);
    /// # Ok(()) }
    /// ```
    pub async fn request(&self, grant: &Grant<'_>) -> Result<Issued, AuthError> {
        let mut form: Vec<(&str, &str)> = Vec::new();
        let mut request = self.http.post(self.url.clone());
        match grant {
            Grant::ClientCredentials {
                client_id,
                client_secret,
                audience,
                secret_in,
            } => {
                form.push(("grant_type", "client_credentials"));
                form.push(("client_id", client_id));
                form.push(("audience", audience));
                match secret_in {
                    SecretIn::Body => form.push(("client_secret", client_secret.expose_secret())),
                    SecretIn::Basic => {
                        request = request.basic_auth(client_id, Some(client_secret.expose_secret()))
                    }
                }
            }
            Grant::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
            } => {
                form.push(("grant_type", "refresh_token"));
                form.push(("client_id", client_id));
                form.push(("refresh_token", refresh_token.expose_secret()));
                if let Some(secret) = client_secret {
                    form.push(("client_secret", secret.expose_secret()));
                }
            }
        }
        // reqwest's errors name the URL, never the body: no secret leaks here.
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let retry_after = RetryAfter::from_headers(response.headers());
        let bytes = response.bytes().await.map_err(|e| self.unreachable(e))?;
        if status.is_success() {
            let body: TokenBody =
                serde_json::from_slice(&bytes).map_err(|_| AuthError::Unexpected {
                    status: status.as_u16(),
                    // A success body holds the token: never echo it.
                    body: "a 2xx body without a usable access_token".to_owned(),
                })?;
            return Ok(Issued {
                access_token: body.access_token.into(),
                expires_in: body.expires_in.map(Duration::from_secs),
                refresh_token: body.refresh_token.map(Into::into),
            });
        }
        Err(classify(status, retry_after, &bytes))
    }
}

fn classify(status: StatusCode, retry_after: Option<RetryAfter>, body: &[u8]) -> AuthError {
    let status_code = status.as_u16();
    let Ok(ErrorBody {
        error,
        error_description: description,
    }) = serde_json::from_slice::<ErrorBody>(body)
    else {
        if status == StatusCode::TOO_MANY_REQUESTS {
            return AuthError::TooManyRequests {
                retry_after,
                description: String::new(),
            };
        }
        let text = String::from_utf8_lossy(body);
        return AuthError::Unexpected {
            status: status_code,
            body: text.chars().take(200).collect(),
        };
    };
    match error.as_str() {
        "invalid_client" => AuthError::InvalidClient {
            status: status_code,
            description,
        },
        "access_denied" => AuthError::AccessDenied {
            status: status_code,
            description,
        },
        "unauthorized_client" => AuthError::UnauthorizedClient {
            status: status_code,
            description,
        },
        "invalid_grant" => AuthError::InvalidGrant {
            status: status_code,
            description,
        },
        "too_many_requests" => AuthError::TooManyRequests {
            retry_after,
            description,
        },
        _ => AuthError::Refused {
            status: status_code,
            error,
            description,
        },
    }
}
