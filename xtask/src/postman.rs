//! `cargo xtask postman`: a Postman collection (v2.1) and two environments
//! (Stage and the local sandbox), generated from openapi.json.
//!
//! Every operation becomes a request: `{{baseUrl}}` and its path, each
//! query parameter a `{{variable}}` of its name, a JSON body built from the
//! spec's examples (uuid members named like a variable use it), and a test
//! script that checks the status CONTRACT.md predicts for an owner's valid
//! request (the operation's documented success). Authorization is the
//! collection's OAuth 2.0 client-credentials setup against
//! `{{authDomain}}`/`{{audience}}`; its token is `{{accessToken}}`, which
//! the sandbox environment sets to the fixture's token and Postman fills in
//! for Stage ("Get New Access Token"). No file holds a real secret.

use lupl_spec::{Operation, Spec};
use serde_json::{Map, Value, json};

/// Where the files go, relative to the workspace root.
pub const COLLECTION_PATH: &str = "postman/lupl.postman_collection.json";
/// The Stage environment.
pub const STAGE_ENVIRONMENT_PATH: &str = "postman/stage.postman_environment.json";
/// The local sandbox's environment.
pub const SANDBOX_ENVIRONMENT_PATH: &str = "postman/sandbox.postman_environment.json";

/// The collection's variables: its identity's ids (filled by environments).
const ID_VARIABLES: [&str; 2] = ["pmsId", "organizationId"];

/// A stable id from a name (Postman wants ids; stable ones keep the file's
/// diff quiet).
fn id(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d[..16]);
    // RFC 9562 version 8 (custom).
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The collection's variable for an id member, as a `{{name}}` string.
fn id_variable(name: &str) -> Option<Value> {
    ID_VARIABLES
        .contains(&name)
        .then(|| json!(format!("{{{{{name}}}}}")))
}

/// An example value for `schema`: its own example, else one built from
/// its properties; a uuid member named like a collection variable uses it.
fn example(spec: &Spec, schema: &Value, name: Option<&str>) -> Value {
    if let Some(variable) = name.and_then(id_variable) {
        return variable;
    }
    let schema = spec.follow(schema).unwrap_or(schema);
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None if schema.get("properties").is_some() => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    out.insert(k.clone(), example(spec, v, Some(k)));
                }
            }
            Value::Object(out)
        }
        Some("array") => json!([]),
        Some("string") => json!(""),
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        _ => Value::Null,
    }
}

fn item(spec: &Spec, operation: &Operation) -> Value {
    let doc = spec.document();
    let (path, method) = (&operation.path, &operation.method);
    let op = doc.pointer(&operation.pointer()).unwrap_or(&Value::Null);
    let operation_id = match operation.operation_id.as_str() {
        "" => path.as_str(),
        id => id,
    };
    let name = op
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or(operation_id);
    let names: Vec<&str> = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| spec.follow(p).unwrap_or(p))
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .collect();
    let query: Vec<Value> = names
        .iter()
        .map(|n| json!({"key": n, "value": format!("{{{{{n}}}}}")}))
        .collect();
    let raw = if names.is_empty() {
        format!("{{{{baseUrl}}}}{path}")
    } else {
        let pairs: Vec<String> = names.iter().map(|n| format!("{n}={{{{{n}}}}}")).collect();
        format!("{{{{baseUrl}}}}{path}?{}", pairs.join("&"))
    };
    let version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("1.0");
    let mut headers = vec![json!({"key": "api-version", "value": version})];
    let body_schema = op.pointer("/requestBody/content/application~1json/schema");
    let mut request = json!({
        "method": method,
        "url": {
            "raw": raw,
            "host": ["{{baseUrl}}"],
            "path": path.trim_start_matches('/').split('/').collect::<Vec<_>>(),
        },
        "description": op.get("description").cloned().unwrap_or(Value::Null),
    });
    if !query.is_empty() {
        request["url"]["query"] = Value::Array(query);
    }
    if let Some(schema) = body_schema {
        headers.push(json!({"key": "Content-Type", "value": "application/json"}));
        // The operation's own example (the vendor document's), else one
        // built from the schema; its ids are the collection's variables.
        let body = match op.pointer("/requestBody/content/application~1json/example") {
            Some(Value::Object(example)) => Value::Object(
                example
                    .iter()
                    .map(|(k, v)| (k.clone(), id_variable(k).unwrap_or_else(|| v.clone())))
                    .collect(),
            ),
            _ => example(spec, schema, None),
        };
        request["body"] = json!({
            "mode": "raw",
            "raw": serde_json::to_string_pretty(&body).unwrap_or_default(),
            "options": {"raw": {"language": "json"}},
        });
    }
    request["header"] = Value::Array(headers);
    let status = operation.success();
    let test = vec![
        format!(
            "pm.test(\"{operation_id}: {status}, as CONTRACT.md predicts for the owner's valid request\", function () {{"
        ),
        format!("    pm.response.to.have.status({status});"),
        "});".to_owned(),
        format!("pm.test(\"{operation_id}: a JSON body\", function () {{"),
        "    pm.expect(pm.response.headers.get('Content-Type') || '').to.match(/^application\\/json/);"
            .to_owned(),
        "    pm.response.json();".to_owned(),
        "});".to_owned(),
    ];
    json!({
        "name": name,
        "id": id(operation_id),
        "request": request,
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": test}}],
    })
}

/// The collection for `spec` (openapi.json).
pub fn collection(spec: &Spec) -> Value {
    let items: Vec<Value> = spec.operations().iter().map(|o| item(spec, o)).collect();
    let title = spec
        .document()
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("Lupl Open API");
    let auth_value =
        |key: &str, value: Value| json!({"key": key, "value": value, "type": "string"});
    json!({
        "info": {
            "_postman_id": id("collection"),
            "name": format!("{title} — PMS providers"),
            "description": "Generated from openapi.json by `cargo xtask postman`; do not edit by hand. Pick the Stage or the sandbox environment. For Stage, set clientId, clientSecret, authDomain and audience in the environment, then Authorization → Get New Access Token.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "auth": {
            "type": "oauth2",
            "oauth2": [
                auth_value("accessToken", json!("{{accessToken}}")),
                auth_value("tokenType", json!("Bearer")),
                auth_value("addTokenTo", json!("header")),
                auth_value("grant_type", json!("client_credentials")),
                auth_value("accessTokenUrl", json!("https://{{authDomain}}/oauth/token")),
                auth_value("clientId", json!("{{clientId}}")),
                auth_value("clientSecret", json!("{{clientSecret}}")),
                auth_value("client_authentication", json!("body")),
                auth_value("tokenName", json!("Lupl")),
                {"key": "tokenRequestParams", "value": [
                    {"key": "audience", "value": "{{audience}}", "enabled": true, "send_as": "request_body"}
                ], "type": "any"},
            ],
        },
        "item": items,
    })
}

fn environment(name: &str, values: &[(&str, &str, bool)]) -> Value {
    json!({
        "id": id(name),
        "name": name,
        "values": values
            .iter()
            .map(|(k, v, secret)| json!({
                "key": k,
                "value": v,
                "type": if *secret { "secret" } else { "default" },
                "enabled": true,
            }))
            .collect::<Vec<_>>(),
        "_postman_variable_scope": "environment",
    })
}

/// The Stage environment: the documented host, everything else for the
/// user to fill in.
pub fn stage_environment(stage_base_url: &str) -> Value {
    environment(
        "Lupl Stage",
        &[
            ("baseUrl", stage_base_url, false),
            ("authDomain", "", false),
            ("audience", "", false),
            ("clientId", "", false),
            ("clientSecret", "", true),
            ("accessToken", "", true),
            ("pmsId", "", false),
            ("organizationId", "", false),
        ],
    )
}

/// The local sandbox's environment: its address, fixture token and ids.
pub fn sandbox_environment() -> Value {
    environment(
        "Lupl sandbox (local)",
        &[
            ("baseUrl", "http://127.0.0.1:8080", false),
            ("authDomain", "", false),
            ("audience", "", false),
            ("clientId", "", false),
            ("clientSecret", "", true),
            // The sandbox fixture's public token, not a secret.
            ("accessToken", "tok-acme", false),
            ("pmsId", "4efafdc0-2783-4af6-9cac-d2b2be27a080", false),
            (
                "organizationId",
                "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                false,
            ),
        ],
    )
}

/// The three files, by path, as their text. Stage's host is the spec's
/// first server.
pub fn files(spec_text: &str) -> Result<Vec<(&'static str, String)>, String> {
    let spec = Spec::parse(spec_text).map_err(|e| format!("openapi.json: {e}"))?;
    let stage_base_url = spec
        .document()
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .ok_or("openapi.json names no server")?;
    let pretty = |v: &Value| {
        serde_json::to_string_pretty(v)
            .map(|t| t + "\n")
            .map_err(|e| e.to_string())
    };
    Ok(vec![
        (COLLECTION_PATH, pretty(&collection(&spec))?),
        (
            STAGE_ENVIRONMENT_PATH,
            pretty(&stage_environment(stage_base_url))?,
        ),
        (SANDBOX_ENVIRONMENT_PATH, pretty(&sandbox_environment())?),
    ])
}
