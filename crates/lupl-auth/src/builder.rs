//! [`ClientBuilder`]: environment + credentials → a generated
//! `lupl_api::Client` with tokens, limits and retries attached.

use crate::cache::TokenCache;
use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigError, Settings};
use crate::limiter::{RateLimit, RateLimiter};
use crate::middleware::AuthMiddleware;
use crate::retry::RetryPolicy;
use crate::tokens::{Credentials, TokenSource};
use lupl_api::{Client, ClientState, Environment};
use std::sync::Arc;

/// Builds an authenticated, rate-limited client.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = lupl_auth::ClientBuilder::from_env()?.build()?;
/// let pms_id = "4efafdc0-2783-4af6-9cac-d2b2be27a080".parse()?;
/// let config = client.provider_config(&pms_id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    environment: Environment,
    credentials: Credentials,
    rate_limit: RateLimit,
    retry: RetryPolicy,
    cache: Option<TokenCache>,
    clock: Arc<dyn Clock>,
    http: Option<lupl_api::reqwest::Client>,
}

/// A built client and the parts behind it.
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
    pub fn new(environment: Environment, credentials: Credentials) -> Self {
        Self {
            environment,
            credentials,
            rate_limit: RateLimit::default(),
            retry: RetryPolicy::default(),
            cache: None,
            clock: Arc::new(SystemClock),
            http: None,
        }
    }

    /// A builder from the `LUPL_*` environment variables.
    pub fn from_env() -> Result<Self, ConfigError> {
        Settings::from_env().map(Self::from_settings)
    }

    /// A builder from settings.
    pub fn from_settings(settings: Settings) -> Self {
        Self::new(settings.environment, settings.credentials)
    }

    /// The client-side quota (default 1000 per 60 s).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Retry settings.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Keep tokens in this file across processes.
    pub fn token_cache(mut self, cache: TokenCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The clock (tests use [`crate::ManualClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The HTTP client (default: [`Environment::http_client`]).
    pub fn http_client(mut self, http: lupl_api::reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The environment the client will talk to.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, lupl_api::Error> {
        self.build_parts().map(|b| b.client)
    }

    /// Builds the client and hands out its parts.
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
        let limiter = Arc::new(RateLimiter::new(self.rate_limit, self.clock.clone()));
        let middleware = AuthMiddleware::new(
            self.environment.clone(),
            tokens.clone(),
            limiter.clone(),
            self.retry,
            self.clock,
        );
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
