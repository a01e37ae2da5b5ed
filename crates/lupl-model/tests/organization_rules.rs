//! CONTRACT.md, "OrganizationConfiguration": one test per rule, and the
//! round trip.

mod common;
use common::*;
use serde_json::{Value, json};

fn set_org(m: &lupl_model::Model, pms: &str, fields: Value) -> lupl_model::ModelResponse {
    m.handle(&post_json(
        ORGANIZATION,
        Some("tok-acme"),
        &json!({"organizationId": ACME_ORG, "pmsId": pms, "fields": fields}),
    ))
}

fn configured() -> lupl_model::Model {
    let m = model();
    store_acme(&m);
    m
}

#[test]
fn pms_id_must_name_a_provider_with_a_configuration() {
    let m = model();
    // ACME is registered but has no configuration yet.
    let r = set_org(&m, ACME_PMS, json!({"region": "eu"}));
    assert_eq!(
        body(&r)["errors"],
        json!({"pmsId": [format!("The PMS provider '{ACME_PMS}' does not exist or has no configuration.")]})
    );
    let r = set_org(&m, "00000000-0000-4000-8000-000000000000", json!({}));
    assert_eq!(error_keys(&r), ["pmsId"]);
}

#[test]
fn required_fields_are_present_and_not_null() {
    let m = configured();
    let r = set_org(&m, ACME_PMS, json!({}));
    assert_eq!(
        body(&r)["errors"],
        json!({"fields.region": ["The region field is required."]})
    );
    assert_eq!(
        error_keys(&set_org(&m, ACME_PMS, json!({"region": null}))),
        ["fields.region"]
    );
}

#[test]
fn undeclared_keys_are_refused() {
    let r = set_org(
        &configured(),
        ACME_PMS,
        json!({"region": "eu", "color": "red"}),
    );
    assert_eq!(error_keys(&r), ["fields.color"]);
}

#[test]
fn select_values_come_from_options() {
    let r = set_org(&configured(), ACME_PMS, json!({"region": "mars"}));
    assert_eq!(error_keys(&r), ["fields.region"]);
}

#[test]
fn string_values_match_the_pattern_unanchored() {
    let m = configured();
    assert_eq!(
        error_keys(&set_org(
            &m,
            ACME_PMS,
            json!({"region": "eu", "firmCode": "acm001"})
        )),
        ["fields.firmCode"]
    );
    assert_eq!(
        error_keys(&set_org(
            &m,
            ACME_PMS,
            json!({"region": "eu", "firmCode": 7})
        )),
        ["fields.firmCode"]
    );
    assert_eq!(
        set_org(&m, ACME_PMS, json!({"region": "eu", "firmCode": "ACM001"})).status,
        200
    );
    // Unanchored: a pattern without ^…$ matches anywhere.
    let mut config = acme();
    config["fields"][1]["pattern"] = json!("[0-9]{3}");
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": config}),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(
        set_org(&m, ACME_PMS, json!({"region": "eu", "firmCode": "xx123yy"})).status,
        200
    );
}

#[test]
fn number_and_boolean_values_have_their_json_types() {
    let m = model();
    let mut config = acme();
    config["fields"] = json!([
        {"key": "region", "label": "Region", "type": "select", "options": ["eu"]},
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "sso", "label": "SSO", "type": "boolean"}
    ]);
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": config}),
    ));
    assert_eq!(r.status, 200);
    let r = set_org(&m, ACME_PMS, json!({"seats": "3", "sso": "true"}));
    assert_eq!(error_keys(&r), ["fields.seats", "fields.sso"]);
    assert_eq!(
        set_org(&m, ACME_PMS, json!({"seats": 3.5, "sso": false})).status,
        200
    );
}

#[test]
fn optional_fields_may_be_null_or_absent() {
    let m = configured();
    assert_eq!(
        set_org(&m, ACME_PMS, json!({"region": "us", "firmCode": null})).status,
        200
    );
    assert_eq!(set_org(&m, ACME_PMS, json!({"region": "us"})).status, 200);
}

#[test]
fn a_stored_configuration_round_trips_with_canonical_ids() {
    let m = configured();
    let r = m.handle(&post_json(
        ORGANIZATION,
        Some("tok-acme"),
        &json!({"organizationId": ACME_ORG.to_uppercase(), "pmsId": format!("{{{ACME_PMS}}}"),
                "fields": {"region": "apac"}, "ignored": true}),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(body(&r), json!({}));
    let got = m.handle(&get(
        &format!("{ORGANIZATION}?organizationId={ACME_ORG}"),
        Some("tok-acme"),
    ));
    assert_eq!(
        body(&got),
        json!({"organizationId": ACME_ORG, "pmsId": ACME_PMS, "fields": {"region": "apac"}})
    );
}

#[test]
fn a_new_organization_reads_null() {
    let r = model().handle(&get(
        &format!("{ORGANIZATION}?organizationId={ACME_ORG}"),
        Some("tok-acme"),
    ));
    assert_eq!((r.status, body(&r)), (200, Value::Null));
}

#[test]
fn changing_the_provider_does_not_rewrite_stored_organizations() {
    let m = configured();
    assert_eq!(set_org(&m, ACME_PMS, json!({"region": "eu"})).status, 200);
    let mut config = acme();
    config["fields"] =
        json!([{"key": "tenant", "label": "Tenant", "type": "string", "required": true}]);
    config["baseUrl"] = json!("https://{tenant}.acme.example");
    config["authentication"] = json!({"type": "oauth2", "authorizationUrl": "https://a.example", "tokenUrl": "https://a.example/t"});
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": config}),
    ));
    assert_eq!(r.status, 200);
    let got = m.handle(&get(
        &format!("{ORGANIZATION}?organizationId={ACME_ORG}"),
        Some("tok-acme"),
    ));
    assert_eq!(body(&got)["fields"], json!({"region": "eu"}));
}

#[test]
fn an_organization_may_use_another_vendors_provider() {
    // Managers pick any configured provider; ownership is the vendor's.
    let r = set_org(&model(), OTHER_PMS, json!({"apiKey": "k-1"}));
    assert_eq!(r.status, 200);
}
