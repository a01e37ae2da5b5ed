//! The client a user holds: its operations are generated (the face pass
//! of `cargo xtask codegen` writes the struct and one method per
//! operation); how to make one and what it holds are written here.

pub use crate::generated::operations::Client;
use crate::generated::progenitor;
use crate::state::ClientState;
use progenitor_client::ClientInfo;

impl Client {
    /// A client sending requests to `base_url` (scheme, host, optional port
    /// and path stem, no trailing slash) through `http`, with the
    /// middleware of `state`.
    ///
    /// ```
    /// use lupl_api::{Client, ClientState, Environment};
    /// let http = Environment::http_client()?;
    /// let client = Client::new("http://127.0.0.1:8080", http, ClientState::default());
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn new(base_url: &str, http: reqwest::Client, state: ClientState) -> Self {
        Self {
            inner: progenitor::Client::new_with_client(base_url, http, state),
        }
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// let client = lupl_api::Environment::Stage.client()?;
    /// assert_eq!(client.base_url(), lupl_api::STAGE_BASE_URL);
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        self.inner.baseurl()
    }

    /// The middleware state every request goes through.
    ///
    /// ```
    /// let client = lupl_api::Environment::Stage.client()?;
    /// assert!(client.state().middleware().is_none());
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn state(&self) -> &ClientState {
        self.inner.inner()
    }

    /// The version of openapi.json this client was generated from (its
    /// `info.version`), sent as the `api-version` header.
    ///
    /// ```
    /// assert_eq!(lupl_api::Client::api_version(), "1.0");
    /// ```
    pub fn api_version() -> &'static str {
        <progenitor::Client as ClientInfo<ClientState>>::api_version()
    }
}
