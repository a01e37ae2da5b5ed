//! What every [`crate::Client`] carries: its [`ClientState`], the
//! [`Middleware`] run around each request.

use crate::error::BoxError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The future a [`Middleware`] returns: a boxed, `Send` future (see
/// [`Middleware`] for an implementation).
///
/// ```
/// let ready: lupl_api::MiddlewareFuture<'static, u8> = Box::pin(async { 7 });
/// # drop(ready);
/// ```
pub type MiddlewareFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What runs around every request of a [`crate::Client`]: `lupl-auth`
/// implements it to add the bearer token, wait for the rate limiter and
/// retry.
///
/// ```
/// use lupl_api::{BoxError, Middleware, MiddlewareFuture};
/// use lupl_api::reqwest::{self, header::{HeaderValue, AUTHORIZATION}};
///
/// /// Sends every request with one fixed token.
/// #[derive(Debug)]
/// struct FixedToken(HeaderValue);
///
/// impl Middleware for FixedToken {
///     fn before<'a>(&'a self, request: &'a mut reqwest::Request, _: &'static str)
///         -> MiddlewareFuture<'a, Result<(), BoxError>> {
///         request.headers_mut().insert(AUTHORIZATION, self.0.clone());
///         Box::pin(async { Ok(()) })
///     }
///     fn execute<'a>(&'a self, http: &'a reqwest::Client, request: reqwest::Request, _: &'static str)
///         -> MiddlewareFuture<'a, reqwest::Result<reqwest::Response>> {
///         Box::pin(http.execute(request))
///     }
/// }
///
/// let state = lupl_api::ClientState::with_middleware(std::sync::Arc::new(
///     FixedToken(HeaderValue::from_static("Bearer tok-acme")),
/// ));
/// let client = lupl_api::Environment::custom("http://127.0.0.1:8080")?
///     .client_with(lupl_api::Environment::http_client()?, state);
/// assert!(client.state().middleware().is_some());
/// # Ok::<(), lupl_api::Error>(())
/// ```
pub trait Middleware: Send + Sync + fmt::Debug + 'static {
    /// Prepares the request (for example, sets `Authorization`). An error
    /// stops the call; it reaches the caller as
    /// [`crate::Error::Middleware`], whose source is this error.
    fn before<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> MiddlewareFuture<'a, Result<(), BoxError>>;

    /// Sends the request with `http`, as often as it sees fit.
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> MiddlewareFuture<'a, reqwest::Result<reqwest::Response>>;
}

/// State carried by every [`crate::Client`]: its middleware, if any.
///
/// ```
/// let client = lupl_api::Environment::Stage
///     .client_with(lupl_api::Environment::http_client()?, lupl_api::ClientState::default());
/// assert!(client.state().middleware().is_none());
/// # Ok::<(), lupl_api::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    middleware: Option<Arc<dyn Middleware>>,
}

impl ClientState {
    /// State that runs `middleware` around every request. Clones of the
    /// client share it. (`lupl_auth::ClientBuilder` attaches its own.)
    ///
    /// ```
    /// use lupl_api::{BoxError, ClientState, Middleware, MiddlewareFuture, reqwest};
    /// #[derive(Debug)]
    /// struct Passthrough;
    /// impl Middleware for Passthrough {
    ///     fn before<'a>(&'a self, _: &'a mut reqwest::Request, _: &'static str)
    ///         -> MiddlewareFuture<'a, Result<(), BoxError>> { Box::pin(async { Ok(()) }) }
    ///     fn execute<'a>(&'a self, http: &'a reqwest::Client, request: reqwest::Request, _: &'static str)
    ///         -> MiddlewareFuture<'a, reqwest::Result<reqwest::Response>> { Box::pin(http.execute(request)) }
    /// }
    /// let state = ClientState::with_middleware(std::sync::Arc::new(Passthrough));
    /// assert!(state.middleware().is_some());
    /// ```
    pub fn with_middleware(middleware: Arc<dyn Middleware>) -> Self {
        Self {
            middleware: Some(middleware),
        }
    }

    /// The middleware, if one is attached.
    ///
    /// ```
    /// assert!(lupl_api::ClientState::default().middleware().is_none());
    /// ```
    pub fn middleware(&self) -> Option<&Arc<dyn Middleware>> {
        self.middleware.as_ref()
    }
}
