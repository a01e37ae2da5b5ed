//! Typed, `Result<_, Error>`-returning calls over the generated methods.

use crate::types::{
    OrganizationConfiguration, OrganizationFields, ProviderConfiguration,
    SetOrganizationConfigRequest, SetProviderConfigRequest,
};
use crate::{Client, Error};
use uuid::Uuid;

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
