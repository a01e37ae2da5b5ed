//! CONTRACT.md step 7: a GET returns a stored configuration exactly as
//! sent. Numbers keep the digits they were sent with, as System.Text.Json
//! keeps them, in answers and across a restart from the state file.

mod common;
use common::{ACME_ORG, ACME_PMS, ORGANIZATION, PROVIDER, get, model, post};
use lupl_model::{Fixture, Model, StateFile};

/// ACME's provider with a `number` field, an unknown member holding a
/// 30-digit integer, and the same numbers in the organization's fields.
const PROVIDER_BODY: &str = r#"{"pmsId": "4efafdc0-2783-4af6-9cac-d2b2be27a080", "config": {
    "name": "ACME PM", "baseUrl": "https://api.acme-pm.example",
    "authentication": {"type": "apiKey", "headerName": "X-Api-Key", "field": "apiKey"},
    "endpoints": {"matters": "/v2/matters"},
    "fields": [
        {"key": "apiKey", "label": "API key", "type": "string", "required": true},
        {"key": "rate", "label": "Rate", "type": "number", "required": true}
    ],
    "x-acme-limit": 123456789012345678901234567890,
    "x-acme-ratio": 1.50E+2
}}"#;

const ORGANIZATION_BODY: &str = r#"{"organizationId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "pmsId": "4efafdc0-2783-4af6-9cac-d2b2be27a080",
    "fields": {"apiKey": "k \" 1", "rate": 0.10000000000000000555}}"#;

fn store(model: &Model) {
    let r = model.handle(&post(PROVIDER, Some("tok-acme"), PROVIDER_BODY.as_bytes()));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = model.handle(&post(
        ORGANIZATION,
        Some("tok-acme"),
        ORGANIZATION_BODY.as_bytes(),
    ));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn answers(model: &Model) -> (String, String) {
    let provider = model.handle(&get(
        &format!("{PROVIDER}?pmsId={ACME_PMS}"),
        Some("tok-acme"),
    ));
    let organization = model.handle(&get(
        &format!("{ORGANIZATION}?organizationId={ACME_ORG}"),
        Some("tok-acme"),
    ));
    (
        String::from_utf8(provider.body).expect("utf-8"),
        String::from_utf8(organization.body).expect("utf-8"),
    )
}

fn assert_digits_kept((provider, organization): &(String, String)) {
    assert!(
        provider.contains(r#""x-acme-limit":123456789012345678901234567890"#),
        "{provider}"
    );
    assert!(provider.contains(r#""x-acme-ratio":1.50E+2"#), "{provider}");
    assert!(
        organization.contains(r#""rate":0.10000000000000000555"#),
        "{organization}"
    );
    // White space inside strings is kept; outside them it may go.
    assert!(
        organization.contains(r#""apiKey":"k \" 1""#),
        "{organization}"
    );
    for text in [provider, organization] {
        serde_json::from_str::<serde_json::Value>(text).expect("still JSON");
    }
}

#[test]
fn numbers_come_back_with_the_digits_they_were_sent_with() {
    let model = model();
    store(&model);
    assert_digits_kept(&answers(&model));
}

#[test]
fn the_state_file_keeps_the_digits_across_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("state.jsonl");
    {
        let (state, fixture) = StateFile::open(&path, || Ok(Fixture::builtin())).expect("open");
        let state = std::sync::Arc::new(state);
        let log = state.clone();
        let model = Model::new(fixture).on_write(Box::new(move |change| {
            log.append(change).map_err(|e| e.to_string())
        }));
        store(&model);
    }
    let text = std::fs::read_to_string(&path).expect("state");
    assert!(text.contains("123456789012345678901234567890"), "{text}");
    assert_eq!(
        text.lines().count(),
        3,
        "a snapshot and two one-line writes"
    );
    let (_state, fixture) = StateFile::open(&path, || Ok(Fixture::builtin())).expect("reopen");
    assert_digits_kept(&answers(&Model::new(fixture)));
}
