//! `lupl provider get|set|validate`, and the provider's configuration that
//! types and judges an organization's fields.

use crate::context::Context;
use crate::documents::{self, ProviderDocument};
use crate::failure::Failure;
use crate::output::{Done, stored_json};
use lupl_api::types::{ProviderConfiguration, SetProviderConfigRequest};
use lupl_api::{Client, Error};
use serde_json::{Value, json};
use std::path::Path;
use uuid::Uuid;

/// `lupl provider get`: the stored configuration, as JSON.
pub(super) async fn get(ctx: &Context, pms_id: &Uuid) -> Result<Done, Failure> {
    let client = ctx.client()?;
    stored_json(client.get_provider_config().pms_id(*pms_id).send().await)
}

/// `lupl provider validate`: the file checked offline.
pub(super) fn validate(file: &Path) -> Result<Done, Failure> {
    valid_provider_file(file)?;
    Ok(Done::note(format!("{}: valid", file.display())))
}

/// A provider configuration file, read and checked offline.
pub(super) struct ProviderFile {
    /// The file's text, to place the server's keys in.
    pub(super) text: String,
    /// The file as the body the server would receive.
    pub(super) doc: ProviderDocument,
}

/// Reads and checks a provider configuration file offline: the rules of
/// CONTRACT.md (`lupl_model::rules`), each broken one reported at its line.
pub(super) fn valid_provider_file(path: &Path) -> Result<ProviderFile, Failure> {
    let text = documents::read(path)?;
    let doc = ProviderDocument::new(documents::parse_json(path, &text)?);
    // A mistyped field's placeholders are not three more errors to fix.
    let problems = crate::hints::without_echoes(doc.config(), doc.problems(), "config.");
    documents::refuse_if_any(path, &text, &problems, doc.prefix())?;
    Ok(ProviderFile { text, doc })
}

/// `lupl provider set`: checks the file offline, then stores it through
/// the typed client (a valid configuration decodes: the rules and
/// openapi.json agree, which `tests/tests/rules_agree_with_spec.rs`
/// checks).
pub(super) async fn set(ctx: &Context, pms_id: &Uuid, file: &Path) -> Result<Done, Failure> {
    let ProviderFile { text, doc } = valid_provider_file(file)?;
    if doc.whole_body && doc.body["pmsId"] != json!(pms_id) {
        return Err(Failure::usage(format!(
            "{}: its pmsId is not --pms-id {pms_id}",
            file.display()
        )));
    }
    let config: ProviderConfiguration = serde_json::from_value(doc.config().clone())
        .map_err(|e| Failure::refused(format!("{}: {e}", file.display())))?;
    let body = SetProviderConfigRequest::builder()
        .pms_id(*pms_id)
        .config(config);
    ctx.client()?
        .set_provider_config()
        .body(body)
        .send()
        .await
        .map_err(|e| documents::refused_by_server(file, &text, doc.prefix(), e))?;
    Ok(Done::note(format!(
        "stored the configuration of provider {pms_id}"
    )))
}

/// The provider's configuration, from `file` or the API; refused when it
/// has none yet (its fields type and judge the organization's).
pub(super) async fn provider_of(
    file: Option<&Path>,
    client: Option<&Client>,
    pms_id: &Uuid,
) -> Result<Value, Failure> {
    match (file, client) {
        (Some(path), _) => Ok(valid_provider_file(path)?.doc.config().clone()),
        (None, Some(client)) => match client.get_provider_config().pms_id(*pms_id).send().await {
            Ok(None) => Err(Failure::refused(format!(
                "provider {pms_id} has no configuration yet; store one with `lupl provider set` first"
            ))),
            Ok(Some(config)) => serde_json::to_value(config)
                .map_err(|e| Failure::refused(format!("cannot read provider {pms_id}: {e}"))),
            // Only the provider's owner may read it; an organization's
            // manager passes the configuration the provider published.
            Err(Error::Forbidden) => Err(Failure::refused(format!(
                "cannot read provider {pms_id}'s configuration (only its owner may); pass --provider-config FILE with the configuration the provider published, to type the values"
            ))),
            Err(e) => Err(e.into()),
        },
        (None, None) => Ok(Value::Null),
    }
}
