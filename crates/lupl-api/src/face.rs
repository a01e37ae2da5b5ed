//! Typed, `Result<_, Error>`-returning calls over the generated methods.

use crate::types::{
    OrganizationConfiguration, OrganizationFields, ProviderConfiguration,
    SetOrganizationConfigRequest, SetProviderConfigRequest,
};
use crate::{Client, Error};
use progenitor_client::ClientInfo;
use uuid::Uuid;

/// `setProviderConfig`'s path in openapi.json.
pub const SET_PROVIDER_CONFIG_PATH: &str = "/api/1.0/pms/providerconfig";
/// `setProviderConfig`'s operation id in openapi.json.
pub const SET_PROVIDER_CONFIG_ID: &str = "setProviderConfig";

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

    /// Stores the provider's configuration exactly as given.
    ///
    /// CONTRACT.md step 7 keeps unknown members inside `config`; the typed
    /// [`ProviderConfiguration`] has no room for them, so a tool that passes
    /// a user's file through uses this call instead. The request takes the
    /// same path as the generated one: the middleware's token, limiter and
    /// retries, then [`Error::from_response`] for any other status than 200.
    pub async fn put_provider_config_json(
        &self,
        pms_id: &Uuid,
        config: &serde_json::Value,
    ) -> Result<(), Error> {
        // The path and operation id of `setProviderConfig` in openapi.json;
        // the spec lint test checks they still agree.
        let url = format!("{}{SET_PROVIDER_CONFIG_PATH}", self.baseurl());
        let mut request = self
            .client()
            .post(url)
            .header("api-version", Self::api_version())
            .json(&serde_json::json!({ "pmsId": pms_id, "config": config }))
            .build()
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let response = match self.inner().middleware() {
            Some(m) => {
                m.before(&mut request, SET_PROVIDER_CONFIG_ID)
                    .await
                    .map_err(Error::Middleware)?;
                m.execute(self.client(), request, SET_PROVIDER_CONFIG_ID)
                    .await
            }
            None => self.client().execute(request).await,
        }
        .map_err(Error::Transport)?;
        if response.status().is_success() {
            Ok(())
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
