//! The generated client's hook slot: `ClientHooks` over [`ClientState`].

use crate::Client;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The future a [`Middleware`] returns.
pub type MiddlewareFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What runs around every request of a [`Client`]: `lupl-auth` implements it
/// to add the bearer token, wait for the rate limiter and retry.
pub trait Middleware: Send + Sync + fmt::Debug + 'static {
    /// Prepares the request (for example, sets `Authorization`). An error
    /// stops the call; it surfaces as [`crate::Error::Middleware`].
    fn before<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> MiddlewareFuture<'a, Result<(), String>>;

    /// Sends the request with `http`, as often as it sees fit.
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> MiddlewareFuture<'a, reqwest::Result<reqwest::Response>>;
}

/// State carried by every generated [`Client`]: its middleware, if any.
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    middleware: Option<Arc<dyn Middleware>>,
}

impl ClientState {
    /// State that runs `middleware` around every request. Clones of the
    /// client share it.
    pub fn with_middleware(middleware: Arc<dyn Middleware>) -> Self {
        Self {
            middleware: Some(middleware),
        }
    }

    /// The middleware, if one is attached.
    pub fn middleware(&self) -> Option<&Arc<dyn Middleware>> {
        self.middleware.as_ref()
    }
}

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        match &self.inner().middleware {
            Some(m) => m
                .before(request, info.operation_id)
                .await
                .map_err(progenitor_client::Error::Custom),
            None => Ok(()),
        }
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner().middleware {
            Some(m) => m.execute(self.client(), request, info.operation_id).await,
            None => self.client().execute(request).await,
        }
    }
}
