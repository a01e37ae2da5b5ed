//! Requests and answers as bytes on the wire: what the harness sends and
//! receives, recorded as it was.

use crate::operation::Op;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

/// A request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRequest {
    /// The method.
    pub method: String,
    /// Path and query.
    pub path_and_query: String,
    /// The `Authorization` value, if any.
    pub authorization: Option<String>,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Other headers (a token in another carrier), names as sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The body.
    #[serde(with = "crate::wire::body_text")]
    pub body: Vec<u8>,
}

impl RawRequest {
    /// A GET of one of `op`'s resources (`pmsId` or `organizationId` = `id`).
    pub fn get(op: Op, id: Uuid, token: &str) -> Self {
        let (_, path) = op.read().route();
        RawRequest {
            method: "GET".into(),
            path_and_query: format!("{path}?{}={id}", op.query_parameter()),
            authorization: Some(format!("Bearer {token}")),
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON POST of `body` to `op`'s path.
    pub fn post(op: Op, body: &Value, token: &str) -> Self {
        let (_, path) = op.write().route();
        RawRequest {
            method: "POST".into(),
            path_and_query: path,
            authorization: Some(format!("Bearer {token}")),
            content_type: Some("application/json".into()),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }
}

/// A response as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The status.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    #[serde(with = "crate::wire::body_text")]
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

    /// The body as JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The methods an `Allow` header names, upper-case.
    pub(crate) fn allow_methods(&self) -> Option<BTreeSet<String>> {
        Some(
            self.header("allow")?
                .split(',')
                .map(|m| m.trim().to_ascii_uppercase())
                .filter(|m| !m.is_empty())
                .collect(),
        )
    }

    /// The keys of a 400 body's `errors`.
    pub(crate) fn error_keys(&self) -> Option<BTreeSet<String>> {
        let body = self.json()?;
        Some(body.get("errors")?.as_object()?.keys().cloned().collect())
    }
}

/// Bodies in recordings: the text when it is UTF-8, else `{"base64": …}`.
pub mod body_text {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Binary { base64: String },
    }

    /// Serializes a body.
    pub fn serialize<S: Serializer>(body: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(body) {
            Ok(text) => Repr::Text(text.to_owned()),
            Err(_) => Repr::Binary {
                base64: base64::engine::general_purpose::STANDARD.encode(body),
            },
        }
        .serialize(s)
    }

    /// Deserializes a body.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Text(text) => Ok(text.into_bytes()),
            Repr::Binary { base64 } => base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map_err(serde::de::Error::custom),
        }
    }
}
