//! Where the generated client meets the hand-written crate: its hook slot
//! (`ClientHooks` over [`ClientState`], running the [`Middleware`]) and its
//! builders' conversion errors as [`Error`].
//!
//! [`Middleware`]: crate::state::Middleware

use crate::error::{self, Error};
use crate::generated::progenitor::Client;
use crate::state::ClientState;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        match self.inner().middleware() {
            Some(m) => match m.before(request, info.operation_id).await {
                Ok(()) => Ok(()),
                // progenitor's error holds only a string: the typed error
                // waits in the call's slot (`Error::from_call`).
                Err(e) => Err(progenitor_client::Error::Custom(
                    error::park_middleware_error(e),
                )),
            },
            None => Ok(()),
        }
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match self.inner().middleware() {
            Some(m) => m.execute(self.client(), request, info.operation_id).await,
            None => self.client().execute(request).await,
        }
    }
}

impl From<crate::generated::progenitor::types::error::ConversionError> for Error {
    /// A builder's value broke a constraint of the spec.
    ///
    /// ```
    /// use lupl_api::types::{ProviderField, ProviderFieldType};
    /// fn field() -> Result<ProviderField, lupl_api::Error> {
    ///     Ok(ProviderField::builder().key("9lives").label("Lives").type_(ProviderFieldType::Number).try_into()?)
    /// }
    /// let err = field().unwrap_err();
    /// assert!(err.to_string().contains("key"), "{err}");
    /// ```
    fn from(e: crate::generated::progenitor::types::error::ConversionError) -> Self {
        Error::InvalidRequest(e.to_string())
    }
}
