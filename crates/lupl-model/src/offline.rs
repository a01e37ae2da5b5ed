//! The checks of a write that need no server state — CONTRACT.md step 4
//! (binding) then step 6 (the semantic rules) — composed as the model runs
//! them, for tools that judge a file before sending it. What needs state
//! (401, 403, 429, and the organization's `pmsId` rule) is left out.

use crate::binding::{self, SET_ORGANIZATION_CONFIG, SET_PROVIDER_CONFIG};
use crate::rules::{self, Errors};
use serde_json::Value;

/// What a `setProviderConfig` body would be refused for; empty if nothing.
pub fn provider_body(body: &[u8]) -> Errors {
    let (members, type_name) = SET_PROVIDER_CONFIG;
    match binding::body(body, members, type_name) {
        Ok(bound) => rules::provider_configuration(&Value::Object(bound.object("config"))),
        Err(errors) => errors,
    }
}

/// What a `setOrganizationConfig` body would be refused for, when its
/// `pmsId` names a provider whose configuration is `provider` (one that
/// [`provider_body`] accepts); empty if nothing.
pub fn organization_body(body: &[u8], provider: &Value) -> Errors {
    let (members, type_name) = SET_ORGANIZATION_CONFIG;
    match binding::body(body, members, type_name) {
        Ok(bound) => rules::organization_fields(provider, &bound.object("fields")),
        Err(errors) => errors,
    }
}
