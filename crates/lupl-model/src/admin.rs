//! The sandbox's admin API under `/__admin/` (described by
//! `sandbox-admin.json`): faults, the request journal, reset, token
//! expiry and client revocation. Answered without a token to loopback
//! clients only; elsewhere it needs `--admin-token-file`'s token.

use crate::faults::Fault;
use crate::model::{ModelRequest, ModelResponse};
use crate::services::Services;
use serde_json::{Value, json};
use std::time::Instant;

/// The prefix of every admin path; the API has none under it.
pub const PREFIX: &str = "/__admin";

/// Whether `path` is the admin API's.
pub fn is_admin(path: &str) -> bool {
    path == PREFIX || path.starts_with("/__admin/")
}

fn reply(status: u16, body: &Value) -> ModelResponse {
    ModelResponse::json(status, body)
}

fn error(status: u16, message: &str) -> ModelResponse {
    reply(status, &json!({ "error": message }))
}

/// Answers an admin request from a client at a loopback address or not.
pub fn answer(services: &Services, request: &ModelRequest, loopback: bool) -> ModelResponse {
    if !services.admits(loopback, request.bearer_token()) {
        return error(
            403,
            "the admin API answers loopback clients, or others with the --admin-token-file token",
        );
    }
    // Segments as sent: `faults/` names an empty id, not the collection.
    let rest = &request.path[PREFIX.len()..];
    let segments: Vec<&str> = rest.strip_prefix('/').unwrap_or(rest).split('/').collect();
    let method = request.method.as_str();
    match (method, segments.as_slice()) {
        ("GET", ["faults"]) => {
            // Token matchers are bearer tokens: shown masked.
            let faults: Vec<Value> = services
                .faults
                .list()
                .into_iter()
                .map(|mut f| {
                    if let Some(token) = &f.fault.token {
                        f.fault.token = Some(lupl_safety::secrets::mask(token));
                    }
                    serde_json::to_value(f).unwrap_or(Value::Null)
                })
                .collect();
            reply(200, &json!({ "faults": faults }))
        }
        ("POST", ["faults"]) => match serde_json::from_slice::<Fault>(&request.body) {
            Ok(fault) => match services.faults.install(fault) {
                Ok(id) => reply(201, &json!({ "id": id })),
                Err(e) => error(400, &e.0),
            },
            Err(e) => error(400, &format!("not a fault: {e}")),
        },
        ("DELETE", ["faults"]) => reply(200, &json!({ "removed": services.faults.clear() })),
        ("DELETE", ["faults", id]) => match id.parse::<u64>() {
            Ok(id) if services.faults.remove(id) => reply(200, &json!({ "removed": 1 })),
            _ => error(404, &format!("no fault {id}")),
        },
        ("GET", ["requests"]) => reply(
            200,
            &json!({
                "requests": services.journal.entries(),
                "evicted": services.journal.evicted(),
            }),
        ),
        ("DELETE", ["requests"]) => reply(200, &json!({ "removed": services.journal.clear() })),
        ("POST", ["reset"]) => match services.reset() {
            Ok(()) => reply(200, &json!({ "reset": true })),
            Err(e) => error(500, &format!("the reset could not be saved: {e}")),
        },
        ("POST", ["tokens", "expire"]) => {
            // No body: every token; `{"email": …}`: one user's. Anything
            // else is refused rather than read as "every token".
            let email = if request.body.iter().all(u8::is_ascii_whitespace) {
                None
            } else {
                match serde_json::from_slice::<Value>(&request.body) {
                    Ok(Value::Object(o))
                        if o.len() == 1 && o.get("email").is_some_and(Value::is_string) =>
                    {
                        o.get("email").and_then(Value::as_str).map(str::to_owned)
                    }
                    _ => {
                        return error(
                            400,
                            r#"give no body (every token) or {"email": "<a user's email>"}"#,
                        );
                    }
                }
            };
            let expired = services
                .model
                .expire_tokens(email.as_deref(), Instant::now());
            reply(200, &json!({ "expired": expired }))
        }
        ("POST", ["clients", id, "revoke"]) => {
            if services.issuer.revoke(id) {
                reply(200, &json!({ "revoked": id }))
            } else {
                error(404, &format!("no client {id}"))
            }
        }
        (_, ["faults"] | ["faults", _] | ["requests"] | ["reset"] | ["tokens", "expire"])
        | (_, ["clients", _, "revoke"]) => error(405, "method not allowed here"),
        _ => error(404, "no such admin resource (see sandbox-admin.json)"),
    }
}
