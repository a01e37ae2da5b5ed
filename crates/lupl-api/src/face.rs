//! Typed, `Result<_, Error>`-returning calls over the generated methods.

use crate::types::{
    OrganizationConfiguration, OrganizationFields, ProviderConfiguration,
    SetOrganizationConfigRequest, SetProviderConfigRequest,
};
use crate::{Client, Error};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use uuid::Uuid;

/// The path of `getProviderConfig` and `setProviderConfig` in openapi.json
/// (a test checks they still agree).
pub const PROVIDER_CONFIG_PATH: &str = "/api/1.0/pms/providerconfig";

impl Client {
    /// The provider's configuration; `None` while none was stored.
    pub async fn provider_config(
        &self,
        pms_id: &Uuid,
    ) -> Result<Option<ProviderConfiguration>, Error> {
        match self.get_provider_config(pms_id).await {
            Ok(v) => Ok(v.into_inner()),
            Err(e) => Err(Error::from_generated(e).await),
        }
    }

    /// Stores the provider's configuration.
    pub async fn put_provider_config(
        &self,
        pms_id: &Uuid,
        config: ProviderConfiguration,
    ) -> Result<(), Error> {
        let body = SetProviderConfigRequest {
            pms_id: *pms_id,
            config,
        };
        match self.set_provider_config(&body).await {
            Ok(_) => Ok(()),
            Err(e) => Err(Error::from_generated(e).await),
        }
    }

    /// The provider's configuration exactly as stored (`null` while none
    /// was), unknown members inside it included.
    ///
    /// CONTRACT.md step 7 keeps unknown members inside `config`; the typed
    /// [`ProviderConfiguration`] has no room for them, so a tool that shows
    /// or passes on a user's configuration uses these `_json` calls.
    pub async fn provider_config_json(&self, pms_id: &Uuid) -> Result<serde_json::Value, Error> {
        let request = self
            .client()
            .get(format!("{}{PROVIDER_CONFIG_PATH}", self.baseurl()))
            .query(&[("pmsId", pms_id)]);
        let body = self.send_raw(request, "get_provider_config").await?;
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            status: reqwest::StatusCode::OK,
            message: e.to_string(),
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// Stores the provider's configuration exactly as given (see
    /// [`Client::provider_config_json`]).
    pub async fn put_provider_config_json(
        &self,
        pms_id: &Uuid,
        config: &serde_json::Value,
    ) -> Result<(), Error> {
        let request = self
            .client()
            .post(format!("{}{PROVIDER_CONFIG_PATH}", self.baseurl()))
            .json(&serde_json::json!({ "pmsId": pms_id, "config": config }));
        self.send_raw(request, "set_provider_config")
            .await
            .map(drop)
    }

    /// Sends a hand-built request the way the generated methods do: the
    /// `api-version` header, then the middleware's token, limiter and
    /// retries; any status but 200 becomes [`Error::from_response`].
    async fn send_raw(
        &self,
        request: reqwest::RequestBuilder,
        operation_id: &'static str,
    ) -> Result<bytes::Bytes, Error> {
        let mut request = request
            .header("api-version", Self::api_version())
            .build()
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        // The generated client's own hooks (hooks.rs), so this request
        // takes exactly the path of a generated one.
        let info = OperationInfo { operation_id };
        if let Err(e) = self.pre::<()>(&mut request, &info).await {
            return Err(Error::from_generated(e).await);
        }
        let response = self.exec(request, &info).await.map_err(Error::Transport)?;
        if response.status() == reqwest::StatusCode::OK {
            response.bytes().await.map_err(Error::Transport)
        } else {
            Err(Error::from_response(response).await)
        }
    }

    /// The organization's configuration; `None` while none was stored.
    pub async fn organization_config(
        &self,
        organization_id: &Uuid,
    ) -> Result<Option<OrganizationConfiguration>, Error> {
        match self.get_organization_config(organization_id).await {
            Ok(v) => Ok(v.into_inner()),
            Err(e) => Err(Error::from_generated(e).await),
        }
    }

    /// Stores the organization's configuration for the PMS `pms_id`.
    pub async fn put_organization_config(
        &self,
        organization_id: &Uuid,
        pms_id: &Uuid,
        fields: OrganizationFields,
    ) -> Result<(), Error> {
        let body = SetOrganizationConfigRequest {
            organization_id: *organization_id,
            pms_id: *pms_id,
            fields,
        };
        match self.set_organization_config(&body).await {
            Ok(_) => Ok(()),
            Err(e) => Err(Error::from_generated(e).await),
        }
    }
}
