//! The workspace's `openapi.json` as data, for everything that checks
//! behaviour against it: the spec lints, the model's `/openapi.json`, and the
//! conformance harness's response checks.
//!
//! OpenAPI 3.0 schemas are not quite JSON Schema; [`to_json_schema`] bridges
//! the one difference this project needs (`nullable`), so that response
//! bodies can be validated with the `jsonschema` crate.
//!
//! Beside the document, the spec's other data: [`Quota`], the documented
//! rate limit (1000 requests per 60 s) as every crate takes it, and
//! [`pointer`](mod@pointer), JSON pointers into documents.

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::LazyLock;

pub mod pointer;
mod quota;

pub use quota::{Quota, QuotaError};

/// The text of the workspace's `openapi.json`, embedded at build time.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

static SPEC: LazyLock<Spec> = LazyLock::new(|| {
    // The file is checked by this crate's tests and by `cargo xtask codegen`;
    // an unparsable one cannot reach a build that runs.
    Spec::parse(OPENAPI_JSON).unwrap_or_else(|_| Spec {
        doc: Value::Object(Map::new()),
    })
});

/// A parsed OpenAPI document.
#[derive(Debug, Clone)]
pub struct Spec {
    doc: Value,
}

/// One operation of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template.
    pub path: String,
    /// The `operationId`.
    pub operation_id: String,
    /// Every documented status code (`default` and ranges left out).
    pub statuses: BTreeSet<u16>,
}

impl Operation {
    /// The JSON pointer of the operation's object in the document.
    ///
    /// ```
    /// let spec = lupl_spec::Spec::workspace();
    /// let op = spec.operation("getProviderConfig").unwrap();
    /// assert_eq!(op.pointer(), "/paths/~1api~11.0~1pms~1providerconfig/get");
    /// ```
    pub fn pointer(&self) -> String {
        pointer::join(
            &pointer::join("/paths", &self.path),
            &self.method.to_ascii_lowercase(),
        )
    }

    /// The documented success: the first 2xx status (200 if none).
    ///
    /// ```
    /// let op = lupl_spec::Spec::workspace().operation("setProviderConfig").unwrap();
    /// assert_eq!(op.success(), 200);
    /// ```
    pub fn success(&self) -> u16 {
        self.statuses
            .iter()
            .copied()
            .find(|s| (200..300).contains(s))
            .unwrap_or(200)
    }
}

/// Why a document or schema could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A `$ref` that points nowhere.
    #[error("unresolved $ref {0}")]
    Unresolved(String),
    /// Not an operation of the document.
    #[error("no operation {0}")]
    NoOperation(String),
    /// The schema does not compile as JSON Schema.
    #[error("invalid schema at {pointer}: {message}")]
    Schema {
        /// Where the schema sits in the document.
        pointer: String,
        /// What the compiler said.
        message: String,
    },
}

/// Validates JSON values against one schema of the document (feature
/// `schema-check`, on by default).
#[cfg(feature = "schema-check")]
pub struct SchemaCheck {
    validator: jsonschema::Validator,
}

#[cfg(feature = "schema-check")]
impl SchemaCheck {
    /// Every way `value` breaks the schema, as `path: message` lines; empty
    /// when it conforms.
    pub fn errors(&self, value: &Value) -> Vec<String> {
        self.validator
            .iter_errors(value)
            .map(|e| format!("{}: {}", e.instance_path(), e))
            .collect()
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Spec {
    /// The name of an operation's first parameter (the reads' uuid query
    /// parameter), if it has one.
    ///
    /// ```
    /// let spec = lupl_spec::Spec::workspace();
    /// assert_eq!(spec.first_parameter("getProviderConfig").as_deref(), Some("pmsId"));
    /// assert_eq!(spec.first_parameter("setProviderConfig"), None);
    /// ```
    pub fn first_parameter(&self, operation_id: &str) -> Option<String> {
        let op = self.operation(operation_id)?;
        self.doc
            .pointer(&format!("{}/parameters/0/name", op.pointer()))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The JSON request body's schema of an operation, references followed.
    ///
    /// ```
    /// let spec = lupl_spec::Spec::workspace();
    /// assert!(spec.request_schema("setProviderConfig").is_some());
    /// assert!(spec.request_schema("getProviderConfig").is_none());
    /// ```
    pub fn request_schema(&self, operation_id: &str) -> Option<&Value> {
        let op = self.operation(operation_id)?;
        let pointer = format!(
            "{}/requestBody/content/{}/schema",
            op.pointer(),
            pointer::escape("application/json")
        );
        self.resolve(&pointer).ok()
    }

    /// The required top-level members of an operation's request body.
    ///
    /// ```
    /// let spec = lupl_spec::Spec::workspace();
    /// assert_eq!(spec.required_members("setProviderConfig"), ["pmsId", "config"]);
    /// ```
    pub fn required_members(&self, operation_id: &str) -> Vec<String> {
        self.request_schema(operation_id)
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `format` of a top-level member of an operation's request body.
    ///
    /// ```
    /// let spec = lupl_spec::Spec::workspace();
    /// assert_eq!(spec.member_format("setProviderConfig", "pmsId"), Some("uuid"));
    /// assert_eq!(spec.member_format("setProviderConfig", "config"), None);
    /// ```
    pub fn member_format(&self, operation_id: &str, member: &str) -> Option<&str> {
        self.request_schema(operation_id)?
            .get("properties")?
            .get(member)?
            .get("format")?
            .as_str()
    }

    /// The workspace's `openapi.json`.
    pub fn workspace() -> &'static Spec {
        &SPEC
    }

    /// Parses a document.
    pub fn parse(text: &str) -> Result<Spec, SpecError> {
        Ok(Spec {
            doc: serde_json::from_str(text)?,
        })
    }

    /// The document as JSON.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let statuses = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
                    .unwrap_or_default();
                out.push(Operation {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    operation_id: op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    statuses,
                });
            }
        }
        out
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, operation_id: &str) -> Option<Operation> {
        self.operations()
            .into_iter()
            .find(|o| o.operation_id == operation_id)
    }

    /// The value at a JSON pointer, following a `$ref` found there.
    pub fn resolve(&self, pointer: &str) -> Result<&Value, SpecError> {
        let value = self
            .doc
            .pointer(pointer)
            .ok_or_else(|| SpecError::Unresolved(pointer.to_owned()))?;
        self.follow(value)
            .map_err(|_| SpecError::Unresolved(pointer.to_owned()))
    }

    /// `value`, or what its chain of `$ref`s points at.
    ///
    /// ```
    /// let spec = lupl_spec::Spec::workspace();
    /// let reference = serde_json::json!({"$ref": "#/components/schemas/ProviderConfiguration"});
    /// let schema = spec.follow(&reference).unwrap();
    /// assert!(schema.get("properties").is_some());
    /// ```
    pub fn follow<'a>(&'a self, mut value: &'a Value) -> Result<&'a Value, SpecError> {
        // A chain of references is finite in a valid document; bound it anyway.
        for _ in 0..16 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let target = r.strip_prefix('#').unwrap_or(r);
                    value = self
                        .doc
                        .pointer(target)
                        .ok_or_else(|| SpecError::Unresolved(r.to_owned()))?;
                }
                None => return Ok(value),
            }
        }
        Err(SpecError::Unresolved(
            value
                .get("$ref")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ))
    }

    /// The `example` of a component schema (`ProviderConfiguration` holds the
    /// vendor document's ACME configuration).
    pub fn schema_example(&self, name: &str) -> Option<&Value> {
        self.doc
            .pointer(&format!("/components/schemas/{name}/example"))
    }

    /// Every `$ref` in the document that does not resolve.
    pub fn unresolved_refs(&self) -> Vec<String> {
        let mut refs = Vec::new();
        collect_refs(&self.doc, &mut refs);
        refs.into_iter()
            .filter(|r| {
                r.strip_prefix('#')
                    .is_none_or(|p| self.doc.pointer(p).is_none())
            })
            .collect()
    }

    /// The response object of an operation for a status.
    pub fn response(&self, operation_id: &str, status: u16) -> Result<&Value, SpecError> {
        let op = self
            .operation(operation_id)
            .ok_or_else(|| SpecError::NoOperation(operation_id.to_owned()))?;
        self.resolve(&format!("{}/responses/{status}", op.pointer()))
    }

    /// A validator for the schema at `pointer` (any `$ref`s inside resolve
    /// against this document).
    #[cfg(feature = "schema-check")]
    pub fn schema_check(&self, pointer: &str) -> Result<SchemaCheck, SpecError> {
        let schema = self.resolve(pointer)?.clone();
        self.check_for(&schema, pointer)
    }

    /// `components/schemas/{name}` as a standalone JSON Schema (draft 7)
    /// document, for editors: the document's schemas travel with it, so its
    /// `$ref`s resolve inside it, and `nullable` is rewritten as for
    /// [`to_json_schema`]. `None` if there is no such schema.
    pub fn json_schema_document(&self, name: &str) -> Option<Value> {
        let schemas = self.doc.pointer("/components/schemas")?;
        schemas.get(name)?;
        let mut components = json!({ "schemas": schemas });
        to_json_schema(&mut components);
        Some(json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": name,
            "allOf": [{ "$ref": format!("#/components/schemas/{name}") }],
            "components": components,
        }))
    }

    /// A validator for an OpenAPI schema value that may `$ref` this document.
    #[cfg(feature = "schema-check")]
    pub fn check_for(&self, schema: &Value, pointer: &str) -> Result<SchemaCheck, SpecError> {
        let mut components = self.doc.get("components").cloned().unwrap_or(Value::Null);
        to_json_schema(&mut components);
        let mut schema = schema.clone();
        to_json_schema(&mut schema);
        let root = json!({ "allOf": [schema], "components": components });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| SpecError::Schema {
                pointer: pointer.to_owned(),
                message: e.to_string(),
            })?;
        Ok(SchemaCheck { validator })
    }
}

/// Whether a media type carries JSON: `application/json`, `text/json`, or any
/// RFC 6839 `+json` type, parameters and case ignored.
pub fn is_json_media_type(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence == "text/json" || essence.ends_with("+json")
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Rewrites an OpenAPI 3.0 schema, in place, into JSON Schema (draft 7):
/// `nullable: true` becomes `anyOf: [<schema>, {"type": "null"}]`, and the
/// OpenAPI-only keywords the validator does not know are removed.
pub fn to_json_schema(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.values_mut().for_each(to_json_schema);
            for keyword in ["discriminator", "example", "xml", "externalDocs"] {
                // `example` may also be a property name inside `properties`;
                // only drop it where it is a keyword (next to a type or ref).
                if keyword != "example" || is_schema_object(map) {
                    map.remove(keyword);
                }
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(map));
                map.insert("anyOf".to_owned(), json!([inner, {"type": "null"}]));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_json_schema),
        _ => {}
    }
}

fn is_schema_object(map: &Map<String, Value>) -> bool {
    [
        "type",
        "$ref",
        "allOf",
        "oneOf",
        "anyOf",
        "properties",
        "nullable",
        "enum",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
}
