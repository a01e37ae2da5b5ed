//! [`AuthMiddleware`]: what runs around every request of a client built by
//! [`crate::ClientBuilder`] — the environment guard, the bearer token, the
//! rate limiter, 401 re-authentication, and retries.

use crate::auth0::AuthError;
use crate::clock::Clock;
use crate::limiter::RateLimiter;
#[cfg(feature = "cache")]
use crate::response_cache::{Key, ResponseCache};
use crate::retry::RetryPolicy;
use crate::tokens::TokenSource;
use lupl_api::reqwest::{self, Method, StatusCode, header};
use lupl_api::{BoxError, Environment, Middleware, MiddlewareFuture, RetryAfter};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// The middleware of an authenticated, rate-limited client.
///
/// [`crate::ClientBuilder`] attaches one. Before each request it refuses
/// hosts other than the environment's, then adds the bearer token:
///
/// ```
/// use lupl_api::{Environment, Middleware, reqwest::{Method, Request}};
/// use lupl_auth::{AuthError, ClientBuilder, Credentials, SecretString};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lupl_api::BoxError> {
/// let credentials = Credentials::Static(SecretString::from("tok-acme"));
/// let built = ClientBuilder::new(Environment::Stage, credentials).build_parts()?;
/// let mut request = Request::new(Method::GET, Environment::Stage.url().join("/x")?);
/// built.middleware.before(&mut request, "getProviderConfig").await?;
/// assert_eq!(request.headers()["authorization"], "Bearer tok-acme");
/// let mut elsewhere = Request::new(Method::GET, "https://elsewhere.example/x".parse()?);
/// let refused = built.middleware.before(&mut elsewhere, "getProviderConfig").await.unwrap_err();
/// assert!(matches!(refused.downcast_ref(), Some(AuthError::WrongEnvironment { .. })));
/// # Ok(()) }
/// ```
pub struct AuthMiddleware {
    environment: Environment,
    tokens: Arc<TokenSource>,
    limiter: Arc<RateLimiter>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    #[cfg(feature = "cache")]
    cache: Option<ResponseCache>,
    observer: Option<Arc<dyn crate::observe::Observer>>,
}

impl fmt::Debug for AuthMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthMiddleware")
            .field("environment", &self.environment)
            .field("limiter", &self.limiter)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl AuthMiddleware {
    /// Middleware for `environment` with these parts (what
    /// [`crate::ClientBuilder::build_parts`] does).
    ///
    /// ```
    /// use lupl_api::{ClientState, Environment};
    /// use lupl_auth::{AuthMiddleware, Credentials, limits::Quota, limits::RateLimiter, limits::RetryPolicy};
    /// use lupl_auth::{SecretString, limits::SystemClock, tokens::TokenSource};
    /// use std::sync::Arc;
    ///
    /// let (environment, clock) = (Environment::Stage, Arc::new(SystemClock));
    /// let http = Environment::http_client()?;
    /// let credentials = Credentials::Static(SecretString::from("tok-acme"));
    /// let tokens = Arc::new(TokenSource::new(credentials, http.clone(), clock.clone(), None));
    /// let limiter = Arc::new(RateLimiter::new(Quota::default(), clock.clone()));
    /// let retry = RetryPolicy::default();
    /// let middleware = AuthMiddleware::new(environment.clone(), tokens, limiter, retry, clock);
    /// let state = ClientState::with_middleware(Arc::new(middleware));
    /// let client = environment.client_with(http, state);
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn new(
        environment: Environment,
        tokens: Arc<TokenSource>,
        limiter: Arc<RateLimiter>,
        retry: RetryPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            environment,
            tokens,
            limiter,
            retry,
            clock,
            #[cfg(feature = "cache")]
            cache: None,
            observer: None,
        }
    }

    /// Tells `observer` about every attempt and its answer (what
    /// [`crate::ClientBuilder::observer`] attaches).
    ///
    /// ```
    /// use lupl_api::reqwest::{self, StatusCode, header::HeaderMap};
    /// use lupl_auth::{AuthMiddleware, Credentials, limits::Quota, limits::RateLimiter, limits::RetryPolicy};
    /// use lupl_auth::{SecretString, limits::SystemClock, tokens::TokenSource};
    /// use std::sync::Arc;
    /// #[derive(Debug)]
    /// struct Statuses;
    /// impl lupl_auth::Observer for Statuses {
    ///     fn sent(&self, _: &reqwest::Request) {}
    ///     fn answered(&self, status: StatusCode, _: &HeaderMap, _: &[u8]) { eprintln!("{status}") }
    ///     fn failed(&self, _: &reqwest::Error) {}
    /// }
    /// let clock = Arc::new(SystemClock);
    /// let tokens = Arc::new(TokenSource::new(
    ///     Credentials::Static(SecretString::from("tok-acme")),
    ///     lupl_api::Environment::http_client()?,
    ///     clock.clone(),
    ///     None,
    /// ));
    /// let limiter = Arc::new(RateLimiter::new(Quota::default(), clock.clone()));
    /// let middleware = AuthMiddleware::new(lupl_api::Environment::Stage, tokens, limiter, RetryPolicy::default(), clock)
    ///     .with_observer(Arc::new(Statuses));
    /// # drop(middleware);
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn with_observer(mut self, observer: Arc<dyn crate::observe::Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Answers GETs from `cache` while fresh, and keeps their 200s in it
    /// (feature `cache`).
    ///
    /// ```
    /// use lupl_auth::{AuthMiddleware, Credentials, limits::Quota, limits::RateLimiter, ResponseCache};
    /// use lupl_auth::{limits::RetryPolicy, SecretString, limits::SystemClock, tokens::TokenSource};
    /// use std::{sync::Arc, time::Duration};
    /// let environment = lupl_api::Environment::custom("http://127.0.0.1:8080")?;
    /// let clock = Arc::new(SystemClock);
    /// let tokens = Arc::new(TokenSource::new(
    ///     Credentials::Static(SecretString::from("tok-acme")),
    ///     lupl_api::Environment::http_client()?,
    ///     clock.clone(),
    ///     None,
    /// ));
    /// let limiter = Arc::new(RateLimiter::new(Quota::default(), clock.clone()));
    /// let middleware = AuthMiddleware::new(environment, tokens, limiter, RetryPolicy::default(), clock)
    ///     .with_cache(ResponseCache::new(Duration::from_secs(30), 64));
    /// # drop(middleware);
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    #[cfg(feature = "cache")]
    pub fn with_cache(mut self, cache: ResponseCache) -> Self {
        self.cache = Some(cache);
        self
    }

    fn guard(&self, request: &reqwest::Request) -> Result<(), AuthError> {
        if self.environment.owns(request.url()) {
            Ok(())
        } else {
            Err(AuthError::WrongEnvironment {
                environment: self.environment.name(),
                host: request.url().host_str().unwrap_or_default().to_owned(),
            })
        }
    }

    /// Sends through the cache, when there is one: a fresh kept answer
    /// for a GET (no request, no quota spent), a 200 GET kept, a write
    /// dropping what was kept for its path before it goes and when it
    /// ends, whatever the outcome.
    #[cfg(feature = "cache")]
    async fn send(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let Some(cache) = &self.cache else {
            return self.send_uncached(http, request).await;
        };
        if request.method() == Method::GET {
            // Keyed by the request as it leaves here (its first token).
            let key = Key::of(&request);
            if let Some(kept) = cache.get(&key, &self.clock) {
                tracing::debug!("answered from the response cache");
                return Ok(kept);
            }
            let ticket = cache.ticket();
            let response = self.send_uncached(http, request).await?;
            cache.keep(key, response, &self.clock, ticket).await
        } else {
            // Forgets now, and again when the write ends or is dropped.
            let mut writing = cache.writing(Key::path_of(&request), self.clock.clone());
            let outcome = self.send_uncached(http, request).await;
            if let Ok(response) = &outcome {
                writing.answered(response.status());
            }
            outcome
        }
    }

    /// Without the `cache` feature, every request goes.
    #[cfg(not(feature = "cache"))]
    async fn send(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        self.send_uncached(http, request).await
    }

    async fn send_uncached(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::Span::current();
        let is_get = request.method() == Method::GET;
        // `before` put the token in the request; a re-authentication replaces it.
        let mut fresh_header: Option<header::HeaderValue> = None;
        let mut reauthenticated = false;
        let mut attempt: u32 = 0;
        let mut waited = Duration::ZERO;
        loop {
            match self.limiter.acquire_unless_stopped().await {
                Some(w) => waited += w,
                None => {
                    // Never sent: the caller learns why, not a status.
                    lupl_api::end_call_with(Box::new(crate::limiter::Stopped));
                    return Ok(not_sent());
                }
            }
            let sent = self.clock.now();
            let mut req = match request.try_clone() {
                Some(r) => r,
                // A streaming body cannot be sent twice: send it once, as it is.
                None => return http.execute(request).await,
            };
            if let Some(value) = &fresh_header {
                req.headers_mut()
                    .insert(header::AUTHORIZATION, value.clone());
            }
            let sent_header = req.headers().get(header::AUTHORIZATION).cloned();
            span.record("attempt", attempt + 1);
            span.record("wait_ms", waited.as_millis() as u64);
            let result = match &self.observer {
                None => http.execute(req).await,
                Some(observer) => {
                    observer.sent(&req);
                    match http.execute(req).await {
                        Ok(response) => crate::observe::answered(observer.as_ref(), response).await,
                        Err(e) => {
                            observer.failed(&e);
                            Err(e)
                        }
                    }
                }
            };
            let can_retry = attempt < self.retry.max_retries;
            let response = match result {
                Ok(r) => r,
                Err(e) if is_get && can_retry => {
                    tracing::debug!(error = %e.without_url(), "transport error; retrying the GET");
                    self.pause(self.retry.backoff(attempt), &mut waited).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = response.status();
            span.record("status", status.as_u16());
            match status {
                StatusCode::UNAUTHORIZED if !reauthenticated && self.tokens.can_refresh() => {
                    // The server did not process it: re-authenticate once.
                    if let Some(refused) = &sent_header {
                        self.tokens.invalidate(refused);
                    }
                    match self.tokens.token().await {
                        Ok(fresh) => {
                            fresh_header = fresh.header().cloned();
                            reauthenticated = true;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "re-authentication failed");
                            // The caller gets this error, not the 401.
                            lupl_api::end_call_with(Box::new(e));
                            return Ok(response);
                        }
                    }
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    // CONTRACT.md: whole seconds, at least 1; a `0` (or a
                    // date past) is read as 1, so it pauses and teaches as
                    // any other (a client that took it at its word sent
                    // 75 × 429 in 10 s), and a huge one is capped.
                    let delay = RetryAfter::from_headers(response.headers()).map(|r| {
                        r.wait_from(self.clock.system_now())
                            .max(Duration::from_secs(1))
                            .min(self.retry.max_retry_after)
                    });
                    if let Some(delay) = delay {
                        // The server may allow fewer requests than we pace
                        // for ("subject to change"): learn its quota.
                        self.limiter.learn(delay, sent);
                    }
                    let pause = self.retry.after_throttle(delay);
                    tracing::info!(
                        pause_ms = pause.as_millis() as u64,
                        "429: pausing every request of this client"
                    );
                    self.limiter.pause_for(pause);
                    if !can_retry {
                        return Ok(response);
                    }
                    attempt += 1;
                }
                s if is_get && can_retry && RetryPolicy::transient(s) => {
                    self.pause(self.retry.backoff(attempt), &mut waited).await;
                    attempt += 1;
                }
                _ => return Ok(response),
            }
        }
    }

    async fn pause(&self, d: Duration, waited: &mut Duration) {
        self.clock.sleep(d).await;
        *waited += d;
    }
}

impl Middleware for AuthMiddleware {
    fn before<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _operation_id: &'static str,
    ) -> MiddlewareFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            self.guard(request)?;
            let token = self.tokens.token().await?;
            let value = token
                .header()
                .cloned()
                .ok_or("the access token is not a valid HTTP header value")?;
            request.headers_mut().insert(header::AUTHORIZATION, value);
            Ok(())
        })
    }

    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> MiddlewareFuture<'a, reqwest::Result<reqwest::Response>> {
        let span = tracing::info_span!(
            "lupl.request",
            operation = operation_id,
            method = %request.method(),
            path = request.url().path(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            wait_ms = tracing::field::Empty,
        );
        if span.is_disabled() {
            // Nobody listens: skip entering and leaving the span on every poll.
            Box::pin(self.send(http, request))
        } else {
            Box::pin(self.send(http, request).instrument(span))
        }
    }
}

/// The answer a request that was never sent stands on (its call ends with
/// the parked [`crate::limits::Stopped`], so no caller sees this status).
fn not_sent() -> reqwest::Response {
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    reqwest::Response::from(response)
}
