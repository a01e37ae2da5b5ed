//! What a refused value should have been, from the provider's declared
//! fields (`lupl` has them: it fetched or read the provider's
//! configuration): the allowed options, the pattern, the type. The
//! server's and the rules' own words stay as they are; the hint follows.

use lupl_api::types::ProviderFieldType;
use lupl_model::rules::Errors;
use serde_json::Value;

/// What the provider allows for the field `key` names (`fields.region`,
/// or a bare `region`).
///
/// ```
/// let provider = serde_json::json!({"fields": [
///     {"key": "region", "label": "Region", "type": "select", "options": ["us", "eu"]},
///     {"key": "firmCode", "label": "Firm", "type": "string", "pattern": "^[A-Z]{3}$"},
/// ]});
/// assert_eq!(lupl_cli::hints::allowed(&provider, "fields.region").as_deref(), Some("allowed: us, eu"));
/// assert_eq!(lupl_cli::hints::allowed(&provider, "firmCode").as_deref(), Some("must match ^[A-Z]{3}$"));
/// assert_eq!(lupl_cli::hints::allowed(&provider, "fields.other"), None);
/// ```
pub fn allowed(provider: &Value, key: &str) -> Option<String> {
    let name = key.strip_prefix("fields.").unwrap_or(key);
    let field = provider["fields"]
        .as_array()?
        .iter()
        .find(|f| f["key"].as_str() == Some(name))?;
    let kind: ProviderFieldType = serde_json::from_value(field["type"].clone()).ok()?;
    match kind {
        ProviderFieldType::Select => {
            let options: Vec<&str> = field["options"]
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            Some(format!("allowed: {}", options.join(", ")))
        }
        ProviderFieldType::String => field["pattern"].as_str().map(|p| format!("must match {p}")),
        ProviderFieldType::Number => Some("must be a number".into()),
        ProviderFieldType::Boolean => Some("must be true or false".into()),
    }
}

/// `message` about `key`, with what the provider allows after it.
pub fn explain(provider: &Value, key: &str, message: &str) -> String {
    match allowed(provider, key) {
        Some(hint) if !message.contains(&hint) => format!("{message} ({hint})"),
        _ => message.to_owned(),
    }
}

/// Every message of `errors`, explained.
pub fn explain_all(provider: &Value, errors: Errors) -> Errors {
    errors
        .into_iter()
        .map(|(key, messages)| {
            let messages = messages
                .iter()
                .map(|m| explain(provider, &key, m))
                .collect();
            (key, messages)
        })
        .collect()
}

/// A provider configuration's problems without the echoes of a field
/// whose `type` is wrong: such a field is still the one its placeholders
/// name, so the type is the one error to fix, not three more about
/// `{placeholder}`s "not naming a declared field".
pub fn without_echoes(config: &Value, mut errors: Errors, prefix: &str) -> Errors {
    let mistyped: Vec<&str> = config["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(i, _)| errors.contains_key(&format!("{prefix}fields[{i}].type")))
        .filter_map(|(_, f)| f["key"].as_str())
        .collect();
    for name in mistyped {
        let echo = lupl_model::rules::undeclared_placeholder(name);
        errors.retain(|_, messages| {
            messages.retain(|m| *m != echo);
            !messages.is_empty()
        });
    }
    errors
}
