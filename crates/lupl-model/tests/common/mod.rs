//! Shared helpers for the model's tests.
#![allow(dead_code, missing_docs)]

use lupl_model::{Fixture, Model, ModelRequest, ModelResponse, Quota};
use serde_json::{Value, json};

pub const ACME_PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
pub const ACME_ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
pub const OTHER_PMS: &str = "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10";
pub const OTHER_ORG: &str = "c0ffee00-1234-4abc-9def-0123456789ab";
pub const PROVIDER: &str = "/api/1.0/pms/providerconfig";
pub const ORGANIZATION: &str = "/api/1.0/pms/organizationconfig";

pub fn model() -> Model {
    Model::new(Fixture::builtin())
}

pub fn model_with_limit(requests: u32, per_seconds: u32) -> Model {
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = Quota::new(requests, u64::from(per_seconds));
    Model::new(fixture)
}

/// The vendor document's ACME configuration, as CONTRACT.md gives it (the
/// example of `ProviderConfiguration` in openapi.json).
pub fn acme() -> Value {
    lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("openapi.json has the ACME example")
}

pub fn get(path_and_query: &str, token: Option<&str>) -> ModelRequest {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (path_and_query, None),
    };
    ModelRequest {
        method: "GET".into(),
        path: path.into(),
        query,
        headers: auth(token),
        body: Vec::new(),
    }
}

pub fn post(path: &str, token: Option<&str>, body: &[u8]) -> ModelRequest {
    let mut headers = auth(token);
    headers.push(("Content-Type".into(), b"application/json".to_vec()));
    ModelRequest {
        method: "POST".into(),
        path: path.into(),
        query: None,
        headers,
        body: body.to_vec(),
    }
}

pub fn post_json(path: &str, token: Option<&str>, body: &Value) -> ModelRequest {
    post(path, token, body.to_string().as_bytes())
}

fn auth(token: Option<&str>) -> Vec<(String, Vec<u8>)> {
    token
        .map(|t| {
            vec![(
                "Authorization".to_owned(),
                format!("Bearer {t}").into_bytes(),
            )]
        })
        .unwrap_or_default()
}

pub fn body(response: &ModelResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {:?}",
            String::from_utf8_lossy(&response.body)
        )
    })
}

/// The keys of a 400's `errors`, sorted.
pub fn error_keys(response: &ModelResponse) -> Vec<String> {
    assert_eq!(
        response.status,
        400,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
    let body = body(response);
    body["errors"]
        .as_object()
        .expect("errors is an object")
        .keys()
        .cloned()
        .collect()
}

/// Stores ACME's configuration as tok-acme.
pub fn store_acme(model: &Model) {
    let r = model.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": acme()}),
    ));
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
}
