//! The contract checks run on every response. Each is a [`ContractCheck`]
//! with a stable name, so reports can count them per operation.

use crate::cases::Op;
use crate::oracle::Expected;
use lupl_spec::{SchemaCheck, Spec};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// A response as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The status.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The checks, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContractCheck {
    /// Nothing answers 5xx.
    No5xx,
    /// The status is the one the order of checks predicts.
    Status,
    /// The status is documented for the operation in openapi.json.
    Documented,
    /// The body validates against the documented schema.
    Schema,
    /// `application/json`, or `application/problem+json` for 400 and 415.
    ContentType,
    /// 403 bodies are `{}` or empty.
    ForbiddenBody,
    /// 400 `errors` is an object of string arrays holding the predicted key.
    ErrorKey,
    /// 401 carries `WWW-Authenticate: Bearer`.
    WwwAuthenticate,
    /// 429 carries `Retry-After`.
    RetryAfter,
    /// A GET returns what the last 200 POST stored.
    RoundTrip,
}

impl ContractCheck {
    /// Every check, in report order.
    pub const ALL: [ContractCheck; 10] = [
        ContractCheck::No5xx,
        ContractCheck::Status,
        ContractCheck::Documented,
        ContractCheck::Schema,
        ContractCheck::ContentType,
        ContractCheck::ForbiddenBody,
        ContractCheck::ErrorKey,
        ContractCheck::WwwAuthenticate,
        ContractCheck::RetryAfter,
        ContractCheck::RoundTrip,
    ];

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            ContractCheck::No5xx => "no 5xx",
            ContractCheck::Status => "status",
            ContractCheck::Documented => "documented",
            ContractCheck::Schema => "body schema",
            ContractCheck::ContentType => "content type",
            ContractCheck::ForbiddenBody => "403 body",
            ContractCheck::ErrorKey => "400 error key",
            ContractCheck::WwwAuthenticate => "401 challenge",
            ContractCheck::RetryAfter => "429 Retry-After",
            ContractCheck::RoundTrip => "round trip",
        }
    }
}

type Compiled = Option<std::sync::Arc<SchemaCheck>>;

/// Compiled response schemas, per operation and status.
#[derive(Default)]
pub struct Schemas {
    cache: Mutex<HashMap<(Op, u16), Compiled>>,
}

impl Schemas {
    fn get(&self, op: Op, status: u16) -> Option<std::sync::Arc<SchemaCheck>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry((op, status))
            .or_insert_with(|| {
                let spec = Spec::workspace();
                let response = spec.response(op.operation_id(), status).ok()?;
                let (media, content) = response.get("content")?.as_object()?.iter().next()?;
                let schema = content.get("schema")?;
                spec.check_for(schema, &format!("{}/{status}/{media}", op.operation_id()))
                    .ok()
                    .map(std::sync::Arc::new)
            })
            .clone()
    }
}

/// Runs every check that applies; returns (check, failure message if any).
pub fn run(
    op: Op,
    expected: &Expected,
    received: &Received,
    schemas: &Schemas,
) -> Vec<(ContractCheck, Option<String>)> {
    let mut out = Vec::new();
    let mut check = |c: ContractCheck, ok: bool, why: String| out.push((c, (!ok).then_some(why)));
    let status = received.status;
    check(
        ContractCheck::No5xx,
        status < 500,
        format!("answered {status}"),
    );
    check(
        ContractCheck::Status,
        status == expected.status,
        format!(
            "expected {} ({}), got {status}",
            expected.status, expected.because
        ),
    );
    let documented = Spec::workspace()
        .operation(op.operation_id())
        .is_some_and(|o| o.statuses.contains(&status));
    check(
        ContractCheck::Documented,
        documented,
        format!("{status} is not documented for {}", op.operation_id()),
    );

    if !received.body.is_empty() {
        let content_type = received.header("content-type").unwrap_or_default();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let wanted = if matches!(status, 400 | 413 | 415) {
            "application/problem+json"
        } else {
            "application/json"
        };
        check(
            ContractCheck::ContentType,
            essence == wanted,
            format!("Content-Type {content_type:?}, expected {wanted}"),
        );
        if let Some(schema) = schemas.get(op, status) {
            match received.json() {
                Some(body) => {
                    let errors = schema.errors(&body);
                    check(ContractCheck::Schema, errors.is_empty(), errors.join("; "));
                }
                None => check(ContractCheck::Schema, false, "the body is not JSON".into()),
            }
        }
    }
    match status {
        403 => {
            let ok = received.body.is_empty() || received.json() == Some(serde_json::json!({}));
            check(
                ContractCheck::ForbiddenBody,
                ok,
                format!("403 body {:?}", String::from_utf8_lossy(&received.body)),
            );
        }
        400 => {
            let errors = received.json().and_then(|b| b.get("errors").cloned());
            let shape_ok = errors.as_ref().and_then(Value::as_object).is_some_and(|m| {
                m.values()
                    .all(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
            });
            let has_key = match &expected.error_key {
                Some(key) => errors.as_ref().and_then(|e| e.get(key)).is_some(),
                None => true,
            };
            check(
                ContractCheck::ErrorKey,
                shape_ok && has_key,
                format!(
                    "errors {} should hold {:?}",
                    errors
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "missing".into()),
                    expected.error_key.as_deref().unwrap_or("")
                ),
            );
        }
        401 => {
            let challenge = received.header("www-authenticate").unwrap_or_default();
            check(
                ContractCheck::WwwAuthenticate,
                challenge.to_ascii_lowercase().starts_with("bearer"),
                format!("WWW-Authenticate {challenge:?}"),
            );
        }
        429 => {
            let retry_after = received.header("retry-after");
            check(
                ContractCheck::RetryAfter,
                retry_after.and_then(lupl_api::RetryAfter::parse).is_some(),
                format!("Retry-After {retry_after:?}"),
            );
        }
        _ => {}
    }
    if status == 200
        && expected.status == 200
        && !op.is_post()
        && let Some(want) = &expected.body
    {
        let got = received.json();
        check(
            ContractCheck::RoundTrip,
            got.as_ref() == Some(want),
            format!(
                "stored {want}, read back {}",
                got.map(|g| g.to_string())
                    .unwrap_or_else(|| "non-JSON".into())
            ),
        );
    }
    out
}
