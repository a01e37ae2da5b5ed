//! CONTRACT.md step 4 (400, binding): one test per listed case.

mod common;
use common::*;
use lupl_model::binding::parse_guid;
use serde_json::{Value, json};

fn errors(r: &lupl_model::ModelResponse) -> Value {
    body(r)["errors"].clone()
}

#[test]
fn missing_or_empty_query_parameter_is_required() {
    let m = model();
    for q in ["", "?pmsId=", "?other=1"] {
        let r = m.handle(&get(&format!("{PROVIDER}{q}"), Some("tok-acme")));
        assert_eq!(
            errors(&r),
            json!({"pmsId": ["The pmsId field is required."]}),
            "{q}"
        );
    }
    let r = m.handle(&get(ORGANIZATION, Some("tok-acme")));
    assert_eq!(
        errors(&r),
        json!({"organizationId": ["The organizationId field is required."]})
    );
}

#[test]
fn a_parameter_given_twice_binds_its_first_value() {
    let m = model();
    let r = m.handle(&get(
        &format!("{PROVIDER}?pmsId={ACME_PMS}&pmsId=asdf"),
        Some("tok-acme"),
    ));
    assert_eq!(r.status, 200);
    let r = m.handle(&get(
        &format!("{PROVIDER}?pmsId=asdf&pmsId={ACME_PMS}"),
        Some("tok-acme"),
    ));
    assert_eq!(r.status, 400);
}

#[test]
fn guid_forms_of_dotnet_are_accepted_and_others_are_not() {
    let id = parse_guid(ACME_PMS).expect("hyphenated");
    for form in [
        "4EFAFDC0-2783-4AF6-9CAC-D2B2BE27A080",
        "4efafdc027834af69cacd2b2be27a080",
        "{4efafdc0-2783-4af6-9cac-d2b2be27a080}",
        "(4efafdc0-2783-4af6-9cac-d2b2be27a080)",
    ] {
        assert_eq!(parse_guid(form), Some(id), "{form}");
    }
    for form in [
        "urn:uuid:4efafdc0-2783-4af6-9cac-d2b2be27a080",
        " 4efafdc0-2783-4af6-9cac-d2b2be27a080",
        "{4efafdc027834af69cacd2b2be27a080}",
        "(4efafdc0-2783-4af6-9cac-d2b2be27a080}",
        "4efafdc0-2783-4af6-9cac-d2b2be27a08",
        "4efafdc0_2783_4af6_9cac_d2b2be27a080",
        "g efafdc0-2783-4af6-9cac-d2b2be27a080",
        "",
    ] {
        assert_eq!(parse_guid(form), None, "{form}");
    }
    // Through the API, with percent-encoding.
    let r = model().handle(&get(
        &format!("{PROVIDER}?pmsId=%7B{}%7D", ACME_PMS.to_uppercase()),
        Some("tok-acme"),
    ));
    assert_eq!(r.status, 200);
}

#[test]
fn an_empty_body_is_keyed_by_the_empty_string() {
    let r = model().handle(&post(PROVIDER, Some("tok-acme"), b""));
    assert_eq!(
        errors(&r),
        json!({"": ["A non-empty request body is required."]})
    );
}

#[test]
fn a_body_that_is_not_json_or_not_an_object_is_keyed_dollar() {
    let m = model();
    for body in [
        &b"{"[..],
        b"not json",
        b"[1,2]",
        b"null",
        b"\"s\"",
        b"\xff\xfe",
        b" ",
    ] {
        let r = m.handle(&post(PROVIDER, Some("tok-acme"), body));
        assert_eq!(error_keys(&r), ["$"], "{:?}", String::from_utf8_lossy(body));
    }
}

#[test]
fn a_member_of_the_wrong_json_type_is_keyed_by_its_json_path() {
    let m = model();
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": 5, "config": []}),
    ));
    assert_eq!(error_keys(&r), ["$.config", "$.pmsId"]);
    let r = m.handle(&post_json(
        ORGANIZATION,
        Some("tok-acme"),
        &json!({"organizationId": "nope", "pmsId": ACME_PMS, "fields": "x"}),
    ));
    assert_eq!(error_keys(&r), ["$.fields", "$.organizationId"]);
}

#[test]
fn a_required_member_missing_or_null_is_keyed_by_its_name() {
    let m = model();
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"config": null}),
    ));
    assert_eq!(
        errors(&r),
        json!({"config": ["The config field is required."], "pmsId": ["The pmsId field is required."]})
    );
    let r = m.handle(&post_json(ORGANIZATION, Some("tok-acme"), &json!({})));
    assert_eq!(error_keys(&r), ["fields", "organizationId", "pmsId"]);
}

#[test]
fn every_binding_error_is_reported_at_once() {
    let r = model().handle(&post_json(
        ORGANIZATION,
        Some("tok-acme"),
        &json!({"organizationId": 1, "fields": null}),
    ));
    assert_eq!(error_keys(&r), ["$.organizationId", "fields", "pmsId"]);
}

#[test]
fn unknown_top_level_members_are_ignored_and_dropped() {
    let m = model();
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": acme(), "extra": {"x": 1}}),
    ));
    assert_eq!(r.status, 200);
    let got = body(&m.handle(&get(
        &format!("{PROVIDER}?pmsId={ACME_PMS}"),
        Some("tok-acme"),
    )));
    assert_eq!(got, acme());
}

#[test]
fn only_the_top_level_is_bound_before_authorization() {
    // `config` is any object at step 4; its content is judged at step 6,
    // after the 403 — so garbage inside it to someone else is 403.
    let r = model().handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": OTHER_PMS, "config": {"name": 7, "fields": "x"}}),
    ));
    assert_eq!(r.status, 403);
}
