//! `lupl schema`: openapi.json's JSON Schema of a document, for editors.

use crate::cli::SchemaOf;
use crate::failure::Failure;
use crate::output::Done;

/// `lupl schema OF`: openapi.json's own schema, patterns and bounds
/// included (the generated types carry no JSON Schema of their own).
pub(super) fn schema(of: SchemaOf) -> Result<Done, Failure> {
    let name = match of {
        SchemaOf::Provider => "ProviderConfiguration",
        SchemaOf::ProviderBody => "SetProviderConfigRequest",
        SchemaOf::OrganizationBody => "SetOrganizationConfigRequest",
    };
    let schema = lupl_spec::Spec::workspace()
        .json_schema_document(name)
        .ok_or_else(|| Failure::usage(format!("openapi.json has no schema {name}")))?;
    Ok(Done::text(
        serde_json::to_string_pretty(&schema).unwrap_or_default(),
    ))
}
