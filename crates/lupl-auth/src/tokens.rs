//! [`TokenSource`]: where access tokens come from, and their lifecycle —
//! reuse until shortly before expiry, exactly one refresh in flight, refresh
//! token rotation, invalidation after a 401, the optional disk cache —
//! and the Auth0 token endpoint they are asked of ([`TokenEndpoint`]).
//!
//! ```
//! use lupl_auth::tokens::{SecretIn, TokenCache};
//! use lupl_auth::{ClientBuilder, Credentials, SecretString};
//!
//! let app = Credentials::Auth0 {
//!     token_url: "https://lupl-stage.eu.auth0.com/oauth/token".parse()?,
//!     client_id: "my-client".into(),
//!     client_secret: Some(SecretString::from("s3cret")),
//!     audience: Some("https://stage.api.lupl.com".into()),
//!     refresh_token: None,
//!     secret_in: SecretIn::Body,
//! };
//! let dir = std::env::temp_dir();
//! let builder = ClientBuilder::new(lupl_api::Environment::Stage, app)
//!     .token_cache(TokenCache::new(dir.join("lupl-doc-tokens.json"))); // 0600, across runs
//! # drop(builder);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::auth0::{Grant, Issued, SecretIn, TokenEndpoint};
pub use crate::cache::{CachedToken, TokenCache};
pub use secrecy::ExposeSecret;

use crate::auth0::AuthError;
use crate::clock::Clock;
use lupl_api::reqwest::header::HeaderValue;
use secrecy::SecretString;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How this client authenticates.
///
/// `Debug` never shows the token, the client secret or the refresh token.
///
/// ```
/// use lupl_auth::{Credentials, tokens::SecretIn, SecretString};
///
/// let ci = Credentials::Static(SecretString::from("tok-acme"));
/// assert_eq!(format!("{ci:?}"), "Credentials::Static([redacted])");
/// let app = Credentials::Auth0 {
///     token_url: "https://auth0.example/oauth/token".parse()?,
///     client_id: "my-client".into(),
///     client_secret: Some(SecretString::from("s3cret")),
///     audience: Some("https://stage.api.lupl.com".into()),
///     refresh_token: None,
///     secret_in: SecretIn::Body,
/// };
/// assert!(!format!("{app:?}").contains("s3cret"));
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Clone)]
pub enum Credentials {
    /// A bearer token someone else obtained (scripts, CI).
    Static(SecretString),
    /// An Auth0 application: client credentials, and a refresh token when
    /// one was supplied or issued.
    Auth0 {
        /// The token endpoint, `https://{domain}/oauth/token`.
        token_url: url::Url,
        /// The application's client id.
        client_id: String,
        /// Its secret; absent for a public client that only refreshes.
        client_secret: Option<SecretString>,
        /// The API identifier (client credentials need it).
        audience: Option<String>,
        /// A refresh token to start from.
        refresh_token: Option<SecretString>,
        /// Where the secret travels.
        secret_in: SecretIn,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Static(_) => f.write_str("Credentials::Static([redacted])"),
            Credentials::Auth0 {
                token_url,
                client_id,
                client_secret,
                audience,
                refresh_token,
                secret_in,
            } => f
                .debug_struct("Credentials::Auth0")
                .field("token_url", &token_url.as_str())
                .field("client_id", client_id)
                .field(
                    "client_secret",
                    &client_secret.as_ref().map(|_| "[redacted]"),
                )
                .field("audience", audience)
                .field(
                    "refresh_token",
                    &refresh_token.as_ref().map(|_| "[redacted]"),
                )
                .field("secret_in", secret_in)
                .finish(),
        }
    }
}

/// An access token and when it stops being usable. Cheap to clone.
///
/// ```
/// use lupl_auth::{Credentials, SecretString, limits::SystemClock, tokens::TokenSource};
/// use std::sync::Arc;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lupl_auth::AuthError> {
/// let credentials = Credentials::Static(SecretString::from("tok-acme"));
/// let source = TokenSource::new(credentials, reqwest::Client::new(), Arc::new(SystemClock), None);
/// let token = source.token().await?;
/// assert!(!format!("{token:?}").contains("tok-acme"), "Debug redacts it");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AccessToken {
    value: SecretString,
    /// `Bearer <token>`, built once, marked sensitive; `None` if the token
    /// cannot be a header value.
    header: Option<HeaderValue>,
    refresh_at: Option<Instant>,
}

impl AccessToken {
    fn new(value: SecretString, refresh_at: Option<Instant>) -> Self {
        // Every token in play passes here: from now on no output of this
        // process shows it, wherever a server echoes it.
        lupl_safety::secrets::register(value.expose_secret());
        let header = HeaderValue::from_str(&format!("Bearer {}", value.expose_secret()))
            .ok()
            .map(|mut h| {
                h.set_sensitive(true);
                h
            });
        Self {
            value,
            header,
            refresh_at,
        }
    }

    /// The token.
    ///
    /// ```
    /// use lupl_auth::{Credentials, tokens::ExposeSecret, SecretString, limits::SystemClock, tokens::TokenSource};
    /// use std::sync::Arc;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lupl_auth::AuthError> {
    /// # let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// # let clock = Arc::new(SystemClock);
    /// # let source = TokenSource::new(credentials, reqwest::Client::new(), clock, None);
    /// let token = source.token().await?;
    /// assert_eq!(token.secret().expose_secret(), "tok-acme");
    /// # Ok(()) }
    /// ```
    pub fn secret(&self) -> &SecretString {
        &self.value
    }

    /// The `Authorization` header value (sensitive), if the token is a valid
    /// header value.
    ///
    /// ```
    /// use lupl_auth::{Credentials, SecretString, limits::SystemClock, tokens::TokenSource};
    /// use std::sync::Arc;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lupl_auth::AuthError> {
    /// let source = |token: &str| {
    ///     let credentials = Credentials::Static(SecretString::from(token));
    ///     TokenSource::new(credentials, reqwest::Client::new(), Arc::new(SystemClock), None)
    /// };
    /// let token = source("tok-acme").token().await?;
    /// let header = token.header().expect("a valid header value");
    /// assert_eq!(header, "Bearer tok-acme");
    /// assert!(header.is_sensitive());
    /// assert!(source("tok\nacme").token().await?.header().is_none());
    /// # Ok(()) }
    /// ```
    pub fn header(&self) -> Option<&HeaderValue> {
        self.header.as_ref()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"[redacted]")
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

/// How long before expiry a token is replaced: 60 s, or 10 % of its
/// lifetime when that is shorter (a 5-minute token is replaced after 4.5).
///
/// ```
/// use lupl_auth::tokens::refresh_margin;
/// use std::time::Duration;
///
/// assert_eq!(refresh_margin(Duration::from_secs(86_400)), Duration::from_secs(60));
/// assert_eq!(refresh_margin(Duration::from_secs(300)), Duration::from_secs(30));
/// ```
pub fn refresh_margin(lifetime: Duration) -> Duration {
    Duration::from_secs(60).min(lifetime / 10)
}

struct State {
    current: Option<AccessToken>,
    refresh_token: Option<SecretString>,
    /// The last token the API refused: never taken from the disk cache
    /// again, where it may still look fresh.
    refused: Option<HeaderValue>,
}

/// Hands out access tokens for one environment's client.
///
/// A client built by [`crate::ClientBuilder`] has one ([`crate::Built::tokens`]);
/// on its own it serves tools that only need a token (`lupl token`).
///
/// ```
/// use lupl_auth::{Credentials, SecretString, limits::SystemClock, tokens::TokenSource};
/// use std::sync::Arc;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lupl_auth::AuthError> {
/// let credentials = Credentials::Static(SecretString::from("tok-acme"));
/// let source = TokenSource::new(credentials, reqwest::Client::new(), Arc::new(SystemClock), None);
/// let token = source.token().await?; // a static token: no request
/// assert_eq!(token.header().expect("valid"), "Bearer tok-acme");
/// assert!(!format!("{source:?}").contains("tok-acme"));
/// # Ok(()) }
/// ```
pub struct TokenSource {
    credentials: Credentials,
    endpoint: Option<TokenEndpoint>,
    clock: Arc<dyn Clock>,
    cache: Option<TokenCache>,
    state: RwLock<State>,
    /// Held while a token is being fetched: one request in flight.
    refreshing: tokio::sync::Mutex<()>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("credentials", &self.credentials)
            .field("cache", &self.cache.as_ref().map(TokenCache::path))
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// A source for `credentials`, fetching over `http`. Nothing is fetched
    /// (or read from `cache`) until the first [`TokenSource::token`].
    ///
    /// ```
    /// use lupl_auth::{Credentials, tokens::SecretIn, SecretString, limits::SystemClock, tokens::TokenCache, tokens::TokenSource};
    /// use std::sync::Arc;
    ///
    /// let credentials = Credentials::Auth0 {
    ///     token_url: "https://auth0.example/oauth/token".parse()?,
    ///     client_id: "my-client".into(),
    ///     client_secret: Some(SecretString::from("s3cret")),
    ///     audience: Some("https://stage.api.lupl.com".into()),
    ///     refresh_token: None,
    ///     secret_in: SecretIn::Body,
    /// };
    /// let http = lupl_api::Environment::http_client()?;
    /// let cache = TokenCache::default_path().map(TokenCache::new);
    /// let source = TokenSource::new(credentials, http, Arc::new(SystemClock), cache);
    /// assert!(source.can_refresh());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        credentials: Credentials,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
        cache: Option<TokenCache>,
    ) -> Self {
        if let Credentials::Auth0 {
            client_secret,
            refresh_token,
            ..
        } = &credentials
        {
            for secret in [client_secret, refresh_token].into_iter().flatten() {
                lupl_safety::secrets::register(secret.expose_secret());
            }
        }
        let (endpoint, refresh_token) = match &credentials {
            Credentials::Static(_) => (None, None),
            Credentials::Auth0 {
                token_url,
                refresh_token,
                ..
            } => (
                Some(TokenEndpoint::new(token_url.clone(), http)),
                refresh_token.clone(),
            ),
        };
        let current = match &credentials {
            Credentials::Static(token) => Some(AccessToken::new(token.clone(), None)),
            Credentials::Auth0 { .. } => None,
        };
        Self {
            credentials,
            endpoint,
            clock,
            cache,
            state: RwLock::new(State {
                current,
                refresh_token,
                refused: None,
            }),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether a refused token can be replaced.
    ///
    /// ```
    /// use lupl_auth::{Credentials, SecretString, limits::SystemClock, tokens::TokenSource};
    /// use std::sync::Arc;
    ///
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let clock = Arc::new(SystemClock);
    /// let source = TokenSource::new(credentials, reqwest::Client::new(), clock, None);
    /// assert!(!source.can_refresh(), "nobody can issue another static token");
    /// ```
    pub fn can_refresh(&self) -> bool {
        self.endpoint.is_some()
    }

    fn fresh(&self) -> Option<AccessToken> {
        let state = self.state.read().ok()?;
        let token = state.current.as_ref()?;
        match token.refresh_at {
            Some(at) if self.clock.now() >= at => None,
            _ => Some(token.clone()),
        }
    }

    /// A token that is good for at least the refresh margin, fetching one if
    /// needed. Concurrent callers share one fetch.
    ///
    /// ```no_run
    /// use lupl_auth::{settings::Settings, limits::SystemClock, tokens::TokenSource};
    /// use std::sync::Arc;
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let settings = Settings::from_env()?; // LUPL_CLIENT_ID, LUPL_CLIENT_SECRET, ...
    /// let http = lupl_api::Environment::http_client()?;
    /// let source = TokenSource::new(settings.credentials, http, Arc::new(SystemClock), None);
    /// let first = source.token().await?; // asks Auth0
    /// let again = source.token().await?; // reused until shortly before expiry
    /// assert_eq!(first.header(), again.header());
    /// # Ok(()) }
    /// ```
    pub async fn token(&self) -> Result<AccessToken, AuthError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _guard = self.refreshing.lock().await;
        // Someone else may have fetched while we waited for the lock.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        if let Some(token) = self.load_cached() {
            return Ok(token);
        }
        self.fetch().await
    }

    /// Drops the token sent as `refused` (the `Authorization` value the API
    /// answered 401 to) so the next [`TokenSource::token`] fetches another —
    /// unless a concurrent caller already replaced it.
    ///
    /// A static token cannot be replaced, so it stays:
    ///
    /// ```
    /// use lupl_auth::{Credentials, SecretString, limits::SystemClock, tokens::TokenSource};
    /// use std::sync::Arc;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lupl_auth::AuthError> {
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let clock = Arc::new(SystemClock);
    /// let source = TokenSource::new(credentials, reqwest::Client::new(), clock, None);
    /// let sent = source.token().await?.header().cloned().expect("valid");
    /// source.invalidate(&sent); // the API answered 401 to it
    /// assert_eq!(source.token().await?.header(), Some(&sent));
    /// # Ok(()) }
    /// ```
    pub fn invalidate(&self, refused: &HeaderValue) {
        if let Ok(mut state) = self.state.write()
            && state.current.as_ref().and_then(AccessToken::header) == Some(refused)
            && self.endpoint.is_some()
        {
            state.current = None;
            state.refused = Some(refused.clone());
        }
    }

    fn cache_key(&self) -> Option<String> {
        match &self.credentials {
            Credentials::Auth0 {
                token_url,
                client_id,
                audience,
                ..
            } => Some(TokenCache::key(
                token_url.as_str(),
                audience.as_deref().unwrap_or_default(),
                client_id,
            )),
            Credentials::Static(_) => None,
        }
    }

    fn load_cached(&self) -> Option<AccessToken> {
        let (cache, key) = (self.cache.as_ref()?, self.cache_key()?);
        let cached = cache.load(&key)?;
        let remaining = cached
            .expires_at?
            .duration_since(self.clock.system_now())
            .ok()?;
        // The cache does not know the original lifetime; keep the full margin.
        let margin = Duration::from_secs(60);
        if remaining <= margin {
            if let (Ok(mut state), Some(r)) = (self.state.write(), cached.refresh_token) {
                state.refresh_token.get_or_insert(r);
            }
            return None;
        }
        let token = AccessToken::new(
            cached.access_token,
            Some(self.clock.now() + remaining - margin),
        );
        let refused = self
            .state
            .read()
            .map(|state| state.refused.is_some() && state.refused.as_ref() == token.header())
            .unwrap_or(false);
        if refused {
            return None;
        }
        if let Ok(mut state) = self.state.write() {
            state.current = Some(token.clone());
            if let Some(r) = cached.refresh_token {
                state.refresh_token = Some(r);
            }
        }
        Some(token)
    }

    async fn fetch(&self) -> Result<AccessToken, AuthError> {
        let Some(endpoint) = &self.endpoint else {
            return Err(AuthError::NoRefresh);
        };
        let Credentials::Auth0 {
            client_id,
            client_secret,
            audience,
            secret_in,
            ..
        } = &self.credentials
        else {
            return Err(AuthError::NoRefresh);
        };
        let refresh_token = self.state.read().ok().and_then(|s| s.refresh_token.clone());
        let issued = match (&refresh_token, client_secret, audience) {
            (Some(refresh_token), _, _) => {
                let grant = Grant::RefreshToken {
                    client_id,
                    client_secret: client_secret.as_ref(),
                    refresh_token,
                };
                match endpoint.request(&grant).await {
                    // A revoked refresh token: fall back to client credentials.
                    Err(AuthError::InvalidGrant { .. })
                        if client_secret.is_some() && audience.is_some() =>
                    {
                        if let Ok(mut state) = self.state.write() {
                            state.refresh_token = None;
                        }
                        self.client_credentials(
                            endpoint,
                            client_id,
                            client_secret,
                            audience,
                            *secret_in,
                        )
                        .await
                    }
                    other => other,
                }
            }
            _ => {
                self.client_credentials(endpoint, client_id, client_secret, audience, *secret_in)
                    .await
            }
        }
        .map_err(|e| self.redact(e))?;

        let now = self.clock.now();
        let token = AccessToken::new(
            issued.access_token,
            issued.expires_in.map(|l| now + l - refresh_margin(l)),
        );
        let refresh_token = {
            let mut state = self.state.write().map_err(|_| AuthError::NoRefresh)?;
            state.current = Some(token.clone());
            // Rotation: the new refresh token replaces the old one at once;
            // Auth0 revokes the whole family if the old one is used again.
            if let Some(r) = issued.refresh_token {
                lupl_safety::secrets::register(r.expose_secret());
                state.refresh_token = Some(r);
            }
            state.refresh_token.clone()
        };
        if let (Some(cache), Some(key)) = (&self.cache, self.cache_key()) {
            let entry = CachedToken {
                access_token: token.value.clone(),
                expires_at: issued.expires_in.map(|l| self.clock.system_now() + l),
                refresh_token,
            };
            if let Err(e) = cache.store(&key, &entry) {
                tracing::warn!(path = %cache.path().display(), error = %e, "cannot write the token cache");
            }
        }
        tracing::debug!(token_url = %endpoint.url(), "obtained an access token");
        Ok(token)
    }

    async fn client_credentials(
        &self,
        endpoint: &TokenEndpoint,
        client_id: &str,
        client_secret: &Option<SecretString>,
        audience: &Option<String>,
        secret_in: SecretIn,
    ) -> Result<crate::auth0::Issued, AuthError> {
        match (client_secret, audience) {
            (Some(client_secret), Some(audience)) => {
                endpoint
                    .request(&Grant::ClientCredentials {
                        client_id,
                        client_secret,
                        audience,
                        secret_in,
                    })
                    .await
            }
            _ => Err(AuthError::NoRefresh),
        }
    }

    /// Belt and braces: whatever Auth0 put in an error, no secret of ours
    /// leaves in it.
    fn redact(&self, error: AuthError) -> AuthError {
        let mut secrets: Vec<String> = Vec::new();
        if let Credentials::Auth0 {
            client_secret: Some(s),
            ..
        } = &self.credentials
        {
            secrets.push(s.expose_secret().to_owned());
        }
        if let Some(r) = self.state.read().ok().and_then(|s| s.refresh_token.clone()) {
            secrets.push(r.expose_secret().to_owned());
        }
        let scrub = |text: String| {
            secrets
                .iter()
                .filter(|s| !s.is_empty())
                .fold(text, |t, s| t.replace(s.as_str(), "[redacted]"))
        };
        error.map_text(scrub)
    }
}
