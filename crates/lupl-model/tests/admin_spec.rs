//! `sandbox-admin.json` describes the admin API the sandbox serves: every
//! documented operation answers one of its documented statuses, every
//! member of a fault is documented and every documented member is taken,
//! and the journal's entries have the documented members.

use lupl_model::{Fault, Sandbox};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn spec() -> Value {
    let text = include_str!("../../../sandbox-admin.json");
    serde_json::from_str(text).expect("sandbox-admin.json is JSON")
}

fn properties(spec: &Value, schema: &str) -> BTreeSet<String> {
    spec["components"]["schemas"][schema]["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_member_of_a_fault_is_documented_and_taken() {
    let spec = spec();
    let documented = properties(&spec, "Fault");
    let all = Fault {
        method: Some("GET".into()),
        path: Some("/".into()),
        token: Some("t".into()),
        pms_id: Some(uuid::Uuid::nil()),
        organization_id: Some(uuid::Uuid::nil()),
        status: Some(503),
        retry_after: Some(1),
        delay_ms: Some(1),
        trickle_ms: Some(1),
        drop: true,
        reset: true,
        malformed: true,
        expire_token: true,
        times: Some(1),
    };
    let serialized: BTreeSet<String> = serde_json::to_value(&all)
        .expect("json")
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(serialized, documented);
    let example = spec["components"]["schemas"]["Fault"]["example"].clone();
    let fault: Fault = serde_json::from_value(example).expect("the example is a fault");
    assert!(fault.check().is_ok());
}

#[tokio::test]
async fn every_documented_operation_answers_a_documented_status() {
    let spec = spec();
    let sandbox = Sandbox::start().await.expect("sandbox");
    let http = reqwest::Client::new();
    let paths = spec["paths"].as_object().expect("paths");
    let mut answered = 0;
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().expect("operations") {
            let id = sandbox
                .inject(Fault {
                    path: Some("/nowhere".into()),
                    status: Some(500),
                    ..Fault::default()
                })
                .expect("fault");
            let url = path
                .replace("{id}", &id.to_string())
                .replace("{clientId}", "other-client");
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let body = match operation["operationId"].as_str() {
                Some("addFault") => json!({"status": 503}),
                Some("expireTokens") => json!({"email": "dev@acme.example"}),
                Some("requestToken") => json!({"grant_type": "client_credentials",
                    "client_id": "acme-client", "client_secret": "acme-secret",
                    "audience": lupl_model::fixture::DEFAULT_AUDIENCE}),
                _ => json!({}),
            };
            let response = http
                .request(method.clone(), format!("{}{url}", sandbox.base_url()))
                .json(&body)
                .send()
                .await
                .expect("answered");
            let status = response.status().as_u16().to_string();
            assert!(
                operation["responses"].get(&status).is_some(),
                "{method} {path} answered {status}, which sandbox-admin.json does not list"
            );
            assert!(status.starts_with('2'), "{method} {path} answered {status}");
            answered += 1;
        }
    }
    assert_eq!(
        answered, 10,
        "every operation of sandbox-admin.json was tried"
    );
}

#[tokio::test]
async fn journal_entries_have_the_documented_members() {
    let spec = spec();
    let sandbox = Sandbox::start().await.expect("sandbox");
    reqwest::Client::new()
        .get(format!("{}/api/1.0/pms/providerconfig", sandbox.base_url()))
        .send()
        .await
        .expect("answered");
    let entries = serde_json::to_value(sandbox.requests()).expect("json");
    let entry = entries[0].as_object().expect("an entry");
    let keys: BTreeSet<String> = entry.keys().cloned().collect();
    let documented = properties(&spec, "JournalEntry");
    assert!(keys.is_subset(&documented), "{keys:?} vs {documented:?}");
    let required: BTreeSet<String> = spec["components"]["schemas"]["JournalEntry"]["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert!(required.is_subset(&keys), "{required:?} vs {keys:?}");
}
