//! [`ClientBuilder`]: environment + credentials → a generated
//! `lupl_api::Client` with tokens, limits and retries attached.

use crate::cache::TokenCache;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::limiter::RateLimiter;
use crate::middleware::AuthMiddleware;
#[cfg(feature = "cache")]
use crate::response_cache::ResponseCache;
use crate::retry::RetryPolicy;
use crate::tokens::{Credentials, TokenSource};
use lupl_api::{Client, ClientState, Environment};
use lupl_spec::Quota;
use std::sync::Arc;

/// Builds an authenticated, rate-limited client.
///
/// ```no_run
/// # async fn run() -> Result<(), lupl_api::Error> {
/// let client = lupl_auth::ClientBuilder::from_env()?.build()?;
/// let pms_id = lupl_api::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
/// let config = client.get_provider_config().pms_id(pms_id).send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    environment: Environment,
    credentials: Credentials,
    rate_limit: Quota,
    retry: RetryPolicy,
    cache: Option<TokenCache>,
    clock: Arc<dyn Clock>,
    http: Option<lupl_api::reqwest::Client>,
    #[cfg(feature = "cache")]
    responses: Option<ResponseCache>,
    on_limit_learned: Option<LimitLearned>,
    observer: Option<Arc<dyn crate::observe::Observer>>,
}

/// Who is told when the limiter learns a lower quota.
#[derive(Clone)]
struct LimitLearned(Arc<dyn Fn(Quota) + Send + Sync>);

impl std::fmt::Debug for LimitLearned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LimitLearned(..)")
    }
}

/// A built client and the parts behind it.
///
/// ```
/// use lupl_api::Environment;
/// use lupl_auth::{ClientBuilder, Credentials, limits::Quota, SecretString};
///
/// let environment = Environment::custom("http://127.0.0.1:8080")?;
/// let credentials = Credentials::Static(SecretString::from("tok-acme"));
/// let built = ClientBuilder::new(environment, credentials).build_parts()?;
/// assert_eq!(built.client.base_url(), "http://127.0.0.1:8080");
/// assert_eq!(built.limiter.limit(), Quota::default());
/// assert!(!built.tokens.can_refresh(), "a static token");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Built {
    /// The client: clones share tokens, limiter and pause.
    pub client: Client,
    /// Its token source (for `lupl token`, or to fail early on bad credentials).
    pub tokens: Arc<TokenSource>,
    /// Its rate limiter.
    pub limiter: Arc<RateLimiter>,
    /// The middleware attached to the client.
    pub middleware: Arc<AuthMiddleware>,
}

impl ClientBuilder {
    /// A builder for `environment` with `credentials`, the documented rate
    /// limit, three retries and no disk cache.
    ///
    /// ```
    /// use lupl_api::Environment;
    /// use lupl_auth::{ClientBuilder, Credentials, SecretString};
    ///
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let builder = ClientBuilder::new(Environment::Stage, credentials);
    /// assert_eq!(builder.environment(), &Environment::Stage);
    /// ```
    pub fn new(environment: Environment, credentials: Credentials) -> Self {
        Self {
            environment,
            credentials,
            rate_limit: Quota::default(),
            retry: RetryPolicy::default(),
            cache: None,
            clock: Arc::new(SystemClock),
            http: None,
            #[cfg(feature = "cache")]
            responses: None,
            on_limit_learned: None,
            observer: None,
        }
    }

    /// Keeps GET answers in `cache` (feature `cache`; off by default, see
    /// [`ResponseCache`] for when not to).
    ///
    /// ```
    /// use lupl_auth::{ClientBuilder, Credentials, ResponseCache, SecretString};
    /// use std::time::Duration;
    /// let builder = ClientBuilder::new(
    ///     lupl_api::Environment::Stage,
    ///     Credentials::Static(SecretString::from("tok")),
    /// )
    /// .response_cache(ResponseCache::new(Duration::from_secs(60), 128));
    /// # drop(builder);
    /// ```
    #[cfg(feature = "cache")]
    pub fn response_cache(mut self, cache: ResponseCache) -> Self {
        self.responses = Some(cache);
        self
    }

    /// Calls `f` when the client learns from the server's 429s that its
    /// quota is lower than the configured rate limit (it then paces to the
    /// learned one; it never rises above the configured one).
    ///
    /// ```
    /// use lupl_auth::{ClientBuilder, Credentials, SecretString};
    /// let builder = ClientBuilder::new(
    ///     lupl_api::Environment::Stage,
    ///     Credentials::Static(SecretString::from("tok")),
    /// )
    /// .on_limit_learned(|limit| eprintln!("the API allows {limit}; pass --rate-limit {limit}"));
    /// # drop(builder);
    /// ```
    pub fn on_limit_learned(mut self, f: impl Fn(Quota) + Send + Sync + 'static) -> Self {
        self.on_limit_learned = Some(LimitLearned(Arc::new(f)));
        self
    }

    /// Tells `observer` about every request the client sends (each
    /// attempt) and every answer, body included (`lupl --debug`).
    ///
    /// ```
    /// # use lupl_api::reqwest::{self, StatusCode, header::HeaderMap};
    /// #[derive(Debug)]
    /// struct Print;
    /// impl lupl_auth::Observer for Print {
    ///     fn sent(&self, r: &reqwest::Request) { eprintln!("> {} {}", r.method(), r.url().path()) }
    ///     fn answered(&self, s: StatusCode, _: &HeaderMap, _: &[u8]) { eprintln!("< {s}") }
    ///     fn failed(&self, e: &reqwest::Error) { eprintln!("! {e}") }
    /// }
    /// let builder = lupl_auth::ClientBuilder::new(
    ///     lupl_api::Environment::Stage,
    ///     lupl_auth::Credentials::Static("tok".to_owned().into()),
    /// )
    /// .observer(std::sync::Arc::new(Print));
    /// # drop(builder);
    /// ```
    pub fn observer(mut self, observer: Arc<dyn crate::observe::Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// A builder from the `LUPL_*` environment variables. Its error is
    /// [`lupl_api::Error`], as [`ClientBuilder::build`]'s, so one `?` or
    /// one `and_then` goes from the environment to a client; the
    /// [`ConfigError`](crate::settings::ConfigError) naming the variable to set is its source.
    ///
    /// ```
    /// let client = lupl_auth::ClientBuilder::from_env().and_then(|b| b.build());
    /// match client {
    ///     Ok(client) => println!("talking to {}", client.base_url()),
    ///     Err(lupl_api::Error::Configuration(e)) => {
    ///         let setting = e.downcast_ref::<lupl_auth::settings::ConfigError>();
    ///         eprintln!("{e} ({setting:?})"); // names the variable to set
    ///     }
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// ```
    pub fn from_env() -> Result<Self, lupl_api::Error> {
        Settings::from_env()
            .map(Self::from_settings)
            .map_err(|e| lupl_api::Error::Configuration(Box::new(e)))
    }

    /// A builder from settings.
    ///
    /// ```
    /// use lupl_auth::{ClientBuilder, settings::Settings};
    ///
    /// let settings = Settings::from_lookup(|name| match name {
    ///     "LUPL_TOKEN" => Some("tok-acme".into()),
    ///     "LUPL_BASE_URL" => Some("http://127.0.0.1:8080".into()),
    ///     _ => None,
    /// })?;
    /// let builder = ClientBuilder::from_settings(settings);
    /// assert_eq!(builder.environment().base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), lupl_auth::settings::ConfigError>(())
    /// ```
    pub fn from_settings(settings: Settings) -> Self {
        Self::new(settings.environment, settings.credentials)
    }

    /// The client-side quota (default 1000 per 60 s).
    ///
    /// ```
    /// use lupl_api::Environment;
    /// use lupl_auth::{ClientBuilder, Credentials, limits::Quota, SecretString};
    ///
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let built = ClientBuilder::new(Environment::custom("http://127.0.0.1:8080")?, credentials)
    ///     .rate_limit("100/1".parse()?)
    ///     .build_parts()?;
    /// assert_eq!(built.limiter.limit(), Quota::new(100, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rate_limit(mut self, limit: Quota) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Retry settings.
    ///
    /// ```
    /// use lupl_api::Environment;
    /// use lupl_auth::{ClientBuilder, Credentials, limits::RetryPolicy, SecretString};
    ///
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let no_retries = RetryPolicy { max_retries: 0, ..RetryPolicy::default() };
    /// let client = ClientBuilder::new(Environment::Stage, credentials)
    ///     .retry(no_retries)
    ///     .build()?;
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Keep tokens in this file across processes.
    ///
    /// ```
    /// use lupl_api::Environment;
    /// use lupl_auth::{ClientBuilder, Credentials, SecretString, tokens::TokenCache};
    ///
    /// let file = std::env::temp_dir().join(format!("lupl-auth-doc-{}.json", std::process::id()));
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let client = ClientBuilder::new(Environment::Stage, credentials)
    ///     .token_cache(TokenCache::new(&file)) // written after the first fetch from Auth0
    ///     .build()?;
    /// assert!(!file.exists());
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn token_cache(mut self, cache: TokenCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The clock (tests use [`crate::limits::ManualClock`]).
    ///
    /// ```
    /// use lupl_api::Environment;
    /// use lupl_auth::{ClientBuilder, Credentials, limits::ManualClock, SecretString};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lupl_api::Error> {
    /// let clock = Arc::new(ManualClock::auto());
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let built = ClientBuilder::new(Environment::Stage, credentials)
    ///     .clock(clock.clone())
    ///     .build_parts()?;
    /// built.limiter.pause_for(Duration::from_secs(30)); // as after a 429
    /// built.limiter.acquire().await; // no real waiting
    /// assert_eq!(clock.sleeps(), [Duration::from_secs(30)]);
    /// # Ok(()) }
    /// ```
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The HTTP client (default: [`Environment::http_client`]).
    ///
    /// ```
    /// use lupl_api::Environment;
    /// use lupl_auth::{ClientBuilder, Credentials, SecretString};
    /// use std::time::Duration;
    ///
    /// let http = Environment::http_client_builder()
    ///     .timeout(Duration::from_secs(5))
    ///     .build()?;
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let client = ClientBuilder::new(Environment::Stage, credentials)
    ///     .http_client(http)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, http: lupl_api::reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The environment the client will talk to.
    ///
    /// ```
    /// use lupl_api::Environment;
    /// use lupl_auth::{ClientBuilder, Credentials, SecretString};
    ///
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let environment = Environment::custom("http://127.0.0.1:8080")?;
    /// let builder = ClientBuilder::new(environment, credentials);
    /// assert_eq!(builder.environment().name(), "http://127.0.0.1:8080");
    /// # Ok::<(), lupl_api::EnvironmentError>(())
    /// ```
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// Builds the client. Nothing is sent until its first call.
    ///
    /// ```
    /// use lupl_api::Environment;
    /// use lupl_auth::{ClientBuilder, Credentials, SecretString};
    ///
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let client = ClientBuilder::new(Environment::Stage, credentials).build()?;
    /// assert_eq!(client.base_url(), lupl_api::STAGE_BASE_URL);
    /// assert!(client.state().middleware().is_some(), "tokens, limits and retries");
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn build(self) -> Result<Client, lupl_api::Error> {
        self.build_parts().map(|b| b.client)
    }

    /// Builds the client and hands out its parts.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let built = lupl_auth::ClientBuilder::from_env()?.build_parts()?;
    /// built.tokens.token().await?; // bad credentials fail here, before any call
    /// let client = built.client;
    /// # Ok(()) }
    /// ```
    pub fn build_parts(self) -> Result<Built, lupl_api::Error> {
        let http = match self.http {
            Some(h) => h,
            None => Environment::http_client()?,
        };
        let tokens = Arc::new(TokenSource::new(
            self.credentials,
            http.clone(),
            self.clock.clone(),
            self.cache,
        ));
        let mut limiter = RateLimiter::new(self.rate_limit, self.clock.clone());
        if let Some(LimitLearned(f)) = self.on_limit_learned {
            limiter = limiter.on_learned(move |limit| f(limit));
        }
        let limiter = Arc::new(limiter);
        let mut middleware = AuthMiddleware::new(
            self.environment.clone(),
            tokens.clone(),
            limiter.clone(),
            self.retry,
            self.clock,
        );
        #[cfg(feature = "cache")]
        if let Some(cache) = self.responses {
            middleware = middleware.with_cache(cache);
        }
        if let Some(observer) = self.observer {
            middleware = middleware.with_observer(observer);
        }
        let middleware = Arc::new(middleware);
        let state = ClientState::with_middleware(middleware.clone());
        Ok(Built {
            client: self.environment.client_with(http, state),
            tokens,
            limiter,
            middleware,
        })
    }
}
