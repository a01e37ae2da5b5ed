//! The checks of a write that need no server state — CONTRACT.md step 4
//! (binding) then step 6 (the semantic rules) — composed as the model runs
//! them, for tools that judge a file before sending it, after the size cap
//! the model's front end applies first (413). What needs state (401, 403,
//! 429, and the organization's `pmsId` rule) is left out.

use crate::binding::{self, SET_ORGANIZATION_CONFIG, SET_PROVIDER_CONFIG};
use crate::model::MAX_BODY_BYTES;
use crate::rules::{self, Errors};
use serde_json::Value;

/// A body over the cap is answered 413 before anything else is judged.
fn too_large(body: &[u8]) -> Option<Errors> {
    (body.len() > MAX_BODY_BYTES).then(|| {
        Errors::from([(
            String::new(),
            vec![format!(
                "The request body is {} bytes; the API answers 413 to bodies over {MAX_BODY_BYTES} bytes (1 MiB).",
                body.len()
            )],
        )])
    })
}

/// What a `setProviderConfig` body would be refused for; empty if nothing.
pub fn provider_body(body: &[u8]) -> Errors {
    if let Some(errors) = too_large(body) {
        return errors;
    }
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
    if let Some(errors) = too_large(body) {
        return errors;
    }
    let (members, type_name) = SET_ORGANIZATION_CONFIG;
    match binding::body(body, members, type_name) {
        Ok(bound) => rules::organization_fields(provider, &bound.object("fields")),
        Err(errors) => errors,
    }
}
