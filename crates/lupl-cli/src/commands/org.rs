//! `lupl org get|set|validate`, and the `--field KEY=VALUE` pairs `org set`
//! types by the provider's declared types.

use super::provider::{provider_of, valid_provider_file};
use crate::context::Context;
use crate::documents::{self, OrganizationDocument};
use crate::failure::Failure;
use crate::output::{Done, stored_json};
use crate::rows;
use lupl_api::types::{OrganizationFields, SetOrganizationConfigRequest};
use serde_json::{Map, Value};
use std::path::Path;
use uuid::Uuid;

/// `lupl org get`: the stored configuration, as JSON.
pub(super) async fn get(ctx: &Context, organization_id: &Uuid) -> Result<Done, Failure> {
    let client = ctx.client()?;
    let read = client.get_organization_config();
    stored_json(read.organization_id(*organization_id).send().await)
}

/// `lupl org validate`: the fields file checked offline against the
/// provider's configuration file.
pub(super) fn validate(file: &Path, provider_config: &Path) -> Result<Done, Failure> {
    let provider = valid_provider_file(provider_config)?.doc;
    let text = documents::read(file)?;
    let doc = OrganizationDocument::new(documents::parse_json(file, &text)?);
    let errors = crate::hints::explain_all(provider.config(), doc.problems(provider.config()));
    documents::refuse_if_any(file, &text, &errors, doc.prefix())?;
    Ok(Done::note(format!("{}: valid", file.display())))
}

/// `--field KEY=VALUE`s, checked before anything is sent: an empty key or
/// value, or a key given twice, is refused.
///
/// ```
/// let args = vec!["region=eu".to_owned(), "seats=12".to_owned()];
/// let pairs = lupl_cli::commands::field_args(&args)?;
/// assert_eq!(pairs, [("region", "eu"), ("seats", "12")]);
/// assert!(lupl_cli::commands::field_args(&["region=".to_owned()]).is_err());
/// # Ok::<(), lupl_cli::Failure>(())
/// ```
pub fn field_args(fields: &[String]) -> Result<Vec<(&str, &str)>, Failure> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for kv in fields {
        let (key, raw) = kv
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("--field {kv:?}: expected KEY=VALUE")))?;
        if key.is_empty() {
            return Err(Failure::usage(format!("--field {kv:?}: the key is empty")));
        }
        if raw.is_empty() {
            return Err(Failure::usage(format!(
                "--field {kv:?}: the value is empty; leave the field out instead"
            )));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(Failure::usage(format!("--field {key}: given twice")));
        }
        out.push((key, raw));
    }
    Ok(out)
}

/// `--field` pairs as fields typed by the provider's declared types, as
/// `set-many` types a CSV row.
///
/// ```
/// let provider = serde_json::json!({"fields": [{"key": "seats", "label": "Seats", "type": "number"}]});
/// let fields = lupl_cli::commands::typed_fields(&[("seats", "12"), ("code", "007")], &provider)?;
/// assert_eq!(serde_json::Value::Object(fields), serde_json::json!({"seats": 12, "code": "007"}));
/// # Ok::<(), lupl_cli::Failure>(())
/// ```
pub fn typed_fields(
    pairs: &[(&str, &str)],
    provider: &Value,
) -> Result<Map<String, Value>, Failure> {
    let types = rows::declared_types(provider);
    let mut out = Map::new();
    for (key, raw) in pairs {
        let value = rows::typed(raw, types.get(*key).map(String::as_str))
            .map_err(|e| Failure::refused(format!("--field {key}={raw}: {e}")))?
            .unwrap_or(Value::Null);
        out.insert((*key).to_owned(), value);
    }
    Ok(out)
}

/// `lupl org set`: the fields from `--field`s (typed by the provider's
/// configuration, from `provider_config` or the API) or from `file`,
/// stored through the typed client.
pub(super) async fn set(
    ctx: &Context,
    organization_id: &Uuid,
    pms_id: &Uuid,
    fields: &[String],
    file: Option<&Path>,
    provider_config: Option<&Path>,
) -> Result<Done, Failure> {
    let pairs = field_args(fields)?;
    let client = ctx.client()?;
    let mut declared: Option<Value> = None;
    let (map, source) = match file {
        Some(f) => {
            let text = documents::read(f)?;
            let doc = OrganizationDocument::new(documents::parse_json(f, &text)?);
            if !doc.body["fields"].is_object() {
                return Err(Failure::refused(format!(
                    "{}: expected a JSON object of fields",
                    f.display()
                )));
            }
            (doc.fields(), Some((f, text, doc.prefix())))
        }
        None => {
            let provider = provider_of(provider_config, Some(&client), pms_id).await?;
            let fields = typed_fields(&pairs, &provider)?;
            declared = Some(provider);
            (fields, None)
        }
    };
    let body = SetOrganizationConfigRequest::builder()
        .organization_id(*organization_id)
        .pms_id(*pms_id)
        .fields(OrganizationFields(map));
    client
        .set_organization_config()
        .body(body)
        .send()
        .await
        .map_err(|e| match (&source, &declared, e) {
            (Some((f, text, prefix)), _, e) => documents::refused_by_server(f, text, prefix, e),
            // The refused --field values, with what the provider allows.
            (None, Some(provider), lupl_api::Error::BadRequest { errors, trace_id }) => {
                let errors = crate::hints::explain_all(provider, errors.into_iter().collect());
                let lines: Vec<String> = errors
                    .iter()
                    .map(|(key, messages)| format!("{key}: {}", messages.join(" ")))
                    .collect();
                Failure::refused(format!(
                    "400 Bad Request: {}{}",
                    lines.join("; "),
                    trace_id
                        .map(|t| format!(" (traceId {t})"))
                        .unwrap_or_default()
                ))
            }
            (None, _, e) => e.into(),
        })?;
    Ok(Done::note(format!(
        "stored the configuration of organization {organization_id}"
    )))
}
