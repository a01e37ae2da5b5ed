//! CONTRACT.md, "ProviderConfiguration": one test per rule, each breaking the
//! ACME configuration in one way and expecting exactly the rule's key.

mod common;
use common::*;
use serde_json::{Value, json};

/// POSTs ACME with `edit` applied and returns the 400's keys.
fn keys_after(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut config = acme();
    edit(&mut config);
    let r = model().handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": config}),
    ));
    error_keys(&r)
}

fn accepted_after(edit: impl FnOnce(&mut Value)) {
    let mut config = acme();
    edit(&mut config);
    let r = model().handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": config}),
    ));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

macro_rules! rule {
    ($name:ident, $key:expr, $edit:expr) => {
        #[test]
        fn $name() {
            assert_eq!(keys_after($edit), [$key]);
        }
    };
}

rule!(name_is_required, "config.name", |c| {
    c.as_object_mut().map(|o| o.remove("name"));
});
rule!(name_blank_after_trimming, "config.name", |c| c["name"] =
    json!("   "));
rule!(name_over_100_after_trimming, "config.name", |c| c["name"] =
    json!("x".repeat(101)));
rule!(name_not_a_string, "config.name", |c| c["name"] = json!(5));
rule!(
    description_over_1000,
    "config.description",
    |c| c["description"] = json!("é".repeat(1001))
);
rule!(
    description_null_is_the_wrong_type,
    "config.description",
    |c| c["description"] = Value::Null
);
rule!(base_url_not_https, "config.baseUrl", |c| c["baseUrl"] =
    json!("http://api.acme.example"));
rule!(base_url_not_absolute, "config.baseUrl", |c| c["baseUrl"] =
    json!("/relative"));
rule!(base_url_required, "config.baseUrl", |c| c["baseUrl"] =
    Value::Null);
rule!(
    base_url_placeholder_undeclared,
    "config.baseUrl",
    |c| c["baseUrl"] = json!("https://{tenant}.acme.example")
);
rule!(authentication_required, "config.authentication", |c| {
    c.as_object_mut().map(|o| o.remove("authentication"));
});
rule!(
    authentication_unknown_type,
    "config.authentication.type",
    |c| c["authentication"] = json!({"type": "basic"})
);
rule!(
    authentication_missing_type,
    "config.authentication.type",
    |c| c["authentication"] = json!({})
);
rule!(
    oauth2_authorization_url_https,
    "config.authentication.authorizationUrl",
    |c| c["authentication"]["authorizationUrl"] = json!("ftp://x")
);
rule!(
    oauth2_token_url_required,
    "config.authentication.tokenUrl",
    |c| {
        c["authentication"]
            .as_object_mut()
            .map(|o| o.remove("tokenUrl"));
    }
);
rule!(
    oauth2_token_url_placeholder,
    "config.authentication.tokenUrl",
    |c| c["authentication"]["tokenUrl"] = json!("https://{nope}.example/token")
);
rule!(
    oauth2_scopes_non_empty_strings,
    "config.authentication.scopes",
    |c| c["authentication"]["scopes"] = json!(["a", ""])
);
rule!(
    oauth2_scopes_an_array,
    "config.authentication.scopes",
    |c| c["authentication"]["scopes"] = json!("a b")
);
rule!(
    api_key_header_name_valid,
    "config.authentication.headerName",
    |c| {
        c["authentication"] = json!({"type": "apiKey", "headerName": "X Key", "field": "firmCode"});
    }
);
rule!(
    api_key_field_declared_string,
    "config.authentication.field",
    |c| {
        c["authentication"] = json!({"type": "apiKey", "headerName": "X-Key", "field": "region"});
    }
);
rule!(endpoints_required, "config.endpoints", |c| {
    c.as_object_mut().map(|o| o.remove("endpoints"));
});
rule!(
    endpoints_at_least_one,
    "config.endpoints",
    |c| c["endpoints"] = json!({})
);
rule!(
    endpoints_known_keys,
    "config.endpoints.payroll",
    |c| c["endpoints"]["payroll"] = json!("/p")
);
rule!(
    endpoints_paths_start_with_slash,
    "config.endpoints.hours",
    |c| c["endpoints"]["hours"] = json!("v2/hours")
);
rule!(
    endpoints_placeholder_declared,
    "config.endpoints.billing",
    |c| c["endpoints"]["billing"] = json!("/{firm}/billing")
);
/// ACME without `{region}` placeholders, so that dropping its fields breaks
/// nothing else.
fn without_placeholders(c: &mut Value) {
    c["baseUrl"] = json!("https://api.acme.example");
    c["authentication"] = json!({"type": "oauth2", "authorizationUrl": "https://a.example", "tokenUrl": "https://a.example/t"});
}

rule!(fields_an_array, "config.fields", |c| {
    without_placeholders(c);
    c["fields"] = json!({});
});
rule!(fields_at_most_50, "config.fields", |c| {
    without_placeholders(c);
    c["fields"] = Value::Array(
        (0..51)
            .map(|i| json!({"key": format!("f{i}"), "label": "F", "type": "number"}))
            .collect(),
    );
});
rule!(field_key_pattern, "config.fields[1].key", |c| c["fields"]
    [1]["key"] =
    json!("9firm"));
rule!(field_key_unique, "config.fields[1].key", |c| {
    c["fields"][1]["key"] = json!("region");
});
rule!(
    field_label_length,
    "config.fields[0].label",
    |c| c["fields"][0]["label"] = json!("")
);
rule!(field_type_known, "config.fields[1].type", |c| c["fields"]
    [1]["type"] =
    json!("date"));
rule!(
    select_needs_options,
    "config.fields[0].options",
    |c| c["fields"][0]["options"] = json!([])
);
rule!(
    select_options_unique,
    "config.fields[0].options",
    |c| c["fields"][0]["options"] = json!(["us", "us"])
);
rule!(options_only_on_select, "config.fields[1].options", |c| c
    ["fields"][1]["options"] =
    json!(["a"]));
rule!(
    pattern_a_valid_regex,
    "config.fields[1].pattern",
    |c| c["fields"][1]["pattern"] = json!("([")
);
rule!(pattern_only_on_string, "config.fields[0].pattern", |c| c
    ["fields"][0]["pattern"] =
    json!("^a$"));
rule!(
    required_a_boolean,
    "config.fields[0].required",
    |c| c["fields"][0]["required"] = json!("yes")
);

#[test]
fn every_broken_rule_is_reported_at_once() {
    let keys = keys_after(|c| {
        c["name"] = json!("");
        c["endpoints"]["x"] = json!("/x");
        c["fields"][0]["label"] = json!(7);
    });
    assert_eq!(
        keys,
        [
            "config.endpoints.x",
            "config.fields[0].label",
            "config.name"
        ]
    );
}

#[test]
fn optional_members_may_be_absent() {
    accepted_after(|c| {
        let o = c.as_object_mut().expect("object");
        o.remove("description");
        o.remove("fields");
        o["baseUrl"] = json!("https://api.acme.example");
        o["authentication"] = json!({"type": "oauth2",
            "authorizationUrl": "https://auth.acme.example/a", "tokenUrl": "https://auth.acme.example/t"});
    });
}

#[test]
fn name_is_measured_after_trimming() {
    accepted_after(|c| c["name"] = json!(format!("  {}  ", "x".repeat(100))));
}

#[test]
fn api_key_authentication_with_a_declared_string_field() {
    accepted_after(|c| {
        c["authentication"] =
            json!({"type": "apiKey", "headerName": "X-Api-Key", "field": "firmCode"});
    });
}

#[test]
fn unknown_members_inside_config_are_kept() {
    let m = model();
    let mut config = acme();
    config["x-vendor"] = json!({"nested": [1, 2]});
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": config}),
    ));
    assert_eq!(r.status, 200);
    let got = body(&m.handle(&get(
        &format!("{PROVIDER}?pmsId={ACME_PMS}"),
        Some("tok-acme"),
    )));
    assert_eq!(got, config);
}
