//! Files the user hands to `lupl`: reading them, and judging them offline
//! exactly as the server would judge the request they become.
//!
//! A file may hold the member itself (a provider's `config`, an
//! organization's `fields`) or a whole request body. Either way it is turned
//! into the body the server would receive and checked with
//! [`lupl_model::offline`], the composition of binding and rules the model
//! itself runs, so the keys are the server's keys.

use crate::failure::Failure;
use crate::locate;
use lupl_model::rules::Errors;
use serde_json::{Map, Value, json};
use std::io::Read;
use std::path::Path;

/// Any id binds; the offline checks do not look it up.
const ANY_ID: &str = "00000000-0000-0000-0000-000000000000";

/// Reads a file (`-` is stdin) whole.
pub fn read(path: &Path) -> Result<String, Failure> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
}

/// Parses JSON, naming the file, line and column of a syntax error.
pub fn parse_json(path: &Path, text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|e| {
        Failure::refused(format!(
            "{}:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// A provider document: a whole `setProviderConfig` body (it has `pmsId`)
/// or just the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderDocument {
    /// The body the server would receive.
    pub body: Value,
    /// True when the file held the whole body.
    pub whole_body: bool,
}

impl ProviderDocument {
    /// Reads the document's shape.
    pub fn new(doc: Value) -> Self {
        match doc {
            Value::Object(o) if o.contains_key("pmsId") => Self {
                body: Value::Object(o),
                whole_body: true,
            },
            config => Self {
                body: json!({ "pmsId": ANY_ID, "config": config }),
                whole_body: false,
            },
        }
    }

    /// What the server would refuse the body for (CONTRACT.md steps 4 and
    /// 6); empty when it would store it.
    pub fn problems(&self) -> Errors {
        lupl_model::offline::provider_body(self.body.to_string().as_bytes())
    }

    /// The configuration to send.
    pub fn config(&self) -> &Value {
        &self.body["config"]
    }

    /// The prefix the file's own paths lack (`config.` for a bare config).
    pub fn prefix(&self) -> &'static str {
        if self.whole_body { "" } else { "config." }
    }
}

/// An organization document: a whole `setOrganizationConfig` body (it has
/// `organizationId`) or just the fields.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationDocument {
    /// The body the server would receive.
    pub body: Value,
    /// True when the file held the whole body.
    pub whole_body: bool,
}

impl OrganizationDocument {
    /// Reads the document's shape.
    pub fn new(doc: Value) -> Self {
        match doc {
            Value::Object(o) if o.contains_key("organizationId") => Self {
                body: Value::Object(o),
                whole_body: true,
            },
            fields => Self {
                body: json!({ "organizationId": ANY_ID, "pmsId": ANY_ID, "fields": fields }),
                whole_body: false,
            },
        }
    }

    /// What the server would refuse the body for when its `pmsId` names a
    /// provider configured as `provider`; empty when it would store it.
    pub fn problems(&self, provider: &Value) -> Errors {
        lupl_model::offline::organization_body(self.body.to_string().as_bytes(), provider)
    }

    /// The fields to send (empty when they are not an object).
    pub fn fields(&self) -> Map<String, Value> {
        self.body["fields"].as_object().cloned().unwrap_or_default()
    }

    /// The prefix the file's own paths lack (`fields.` for bare fields).
    pub fn prefix(&self) -> &'static str {
        if self.whole_body { "" } else { "fields." }
    }
}

/// Prints each problem on stderr as `file:line:column: key: message`, the
/// position being that of the member the key names (or 1:1).
pub fn report(path: &Path, text: &str, errors: &Errors, prefix: &str) {
    let positions = locate::positions(text);
    for (key, messages) in errors {
        let (line, col) = locate::find(&positions, key, prefix).unwrap_or((1, 1));
        let shown = if key.is_empty() { "(body)" } else { key };
        for m in messages {
            eprintln!("{}:{line}:{col}: {shown}: {m}", path.display());
        }
    }
}

/// [`report`]s `errors` and refuses the file if there are any.
pub fn refuse_if_any(
    path: &Path,
    text: &str,
    errors: &Errors,
    prefix: &str,
) -> Result<(), Failure> {
    if errors.is_empty() {
        return Ok(());
    }
    report(path, text, errors, prefix);
    Err(Failure::refused(format!(
        "{} breaks {} rule(s)",
        path.display(),
        errors.len()
    )))
}
