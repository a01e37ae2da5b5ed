//! CONTRACT.md, "Order of checks": one test per step, and the precedence
//! between steps.

mod common;
use common::*;
use lupl_model::{ModelRequest, PROBLEM_JSON};
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn routing_unknown_path_is_404_and_other_methods_405_with_allow() {
    let m = model();
    assert_eq!(
        m.handle(&get("/api/1.0/pms/nothing", Some("tok-acme")))
            .status,
        404
    );
    let mut delete = get(PROVIDER, Some("tok-acme"));
    delete.method = "DELETE".into();
    let r = m.handle(&delete);
    assert_eq!(r.status, 405);
    assert_eq!(r.header_value("Allow"), Some("GET, POST"));
}

#[test]
fn step1_no_token_is_401_with_bearer_challenge_and_empty_body() {
    let m = model();
    let r = m.handle(&get(&format!("{PROVIDER}?pmsId={ACME_PMS}"), None));
    assert_eq!(r.status, 401);
    assert_eq!(r.header_value("WWW-Authenticate"), Some("Bearer"));
    assert!(r.body.is_empty());
}

#[test]
fn step1_unknown_token_and_other_schemes_are_401() {
    let m = model();
    assert_eq!(
        m.handle(&get(&format!("{PROVIDER}?pmsId={ACME_PMS}"), Some("nope")))
            .status,
        401
    );
    let mut basic = get(&format!("{PROVIDER}?pmsId={ACME_PMS}"), None);
    basic
        .headers
        .push(("Authorization".into(), b"Basic dG9rLWFjbWU=".to_vec()));
    assert_eq!(m.handle(&basic).status, 401);
    // The scheme is case-insensitive (RFC 9110).
    let mut lower = get(&format!("{PROVIDER}?pmsId={ACME_PMS}"), None);
    lower
        .headers
        .push(("authorization".into(), b"bearer tok-acme".to_vec()));
    assert_eq!(m.handle(&lower).status, 200);
}

#[test]
fn step1_comes_before_binding() {
    let m = model();
    assert_eq!(
        m.handle(&get(&format!("{PROVIDER}?pmsId=asdf"), None))
            .status,
        401
    );
    assert_eq!(m.handle(&post(PROVIDER, None, b"")).status, 401);
}

#[test]
fn step2_quota_is_a_sliding_window_with_retry_after_and_the_gateway_body() {
    let m = model_with_limit(3, 10);
    let t0 = Instant::now();
    let req = get(&format!("{PROVIDER}?pmsId={ACME_PMS}"), Some("tok-acme"));
    assert_eq!(m.handle_at(&req, t0).status, 200);
    assert_eq!(m.handle_at(&req, t0 + Duration::from_secs(2)).status, 200);
    assert_eq!(m.handle_at(&req, t0 + Duration::from_secs(4)).status, 200);
    let r = m.handle_at(&req, t0 + Duration::from_millis(5500));
    assert_eq!(r.status, 429);
    // The oldest counted request leaves the window at t0+10s: 4.5 s, rounded up.
    assert_eq!(r.header_value("Retry-After"), Some("5"));
    assert_eq!(
        body(&r),
        json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 5 seconds."})
    );
    assert!(
        r.header_value("Content-Type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    // A 429 is not counted: once t0 leaves the window, one request passes.
    assert_eq!(m.handle_at(&req, t0 + Duration::from_secs(10)).status, 200);
    assert_eq!(m.handle_at(&req, t0 + Duration::from_secs(10)).status, 429);
}

#[test]
fn step2_counts_requests_whatever_they_answered_and_per_token() {
    let m = model_with_limit(2, 60);
    let t0 = Instant::now();
    // Two 400s use the quota of tok-acme…
    let bad = get(&format!("{PROVIDER}?pmsId=asdf"), Some("tok-acme"));
    assert_eq!(m.handle_at(&bad, t0).status, 400);
    assert_eq!(m.handle_at(&bad, t0).status, 400);
    let r = m.handle_at(
        &get(&format!("{PROVIDER}?pmsId={ACME_PMS}"), Some("tok-acme")),
        t0,
    );
    assert_eq!(r.status, 429);
    // …and not that of tok-other.
    let other = get(&format!("{PROVIDER}?pmsId={OTHER_PMS}"), Some("tok-other"));
    assert_eq!(m.handle_at(&other, t0).status, 200);
    // Retry-After is at least 1 even at the very end of the window.
    let late = m.handle_at(&bad, t0 + Duration::from_millis(59_999));
    assert_eq!(late.header_value("Retry-After"), Some("1"));
}

#[test]
fn step2_comes_before_415_and_400() {
    let m = model_with_limit(1, 60);
    let t0 = Instant::now();
    assert_eq!(
        m.handle_at(&get(&format!("{PROVIDER}?pmsId=x"), Some("tok-acme")), t0)
            .status,
        400
    );
    let mut text = post(PROVIDER, Some("tok-acme"), b"hello");
    text.headers.retain(|(n, _)| n != "Content-Type");
    text.headers
        .push(("Content-Type".into(), b"text/plain".to_vec()));
    assert_eq!(m.handle_at(&text, t0).status, 429);
}

#[test]
fn step3_a_post_that_is_not_json_is_415_before_binding() {
    let m = model();
    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        let mut r = post(PROVIDER, Some("tok-acme"), b"");
        r.headers.retain(|(n, _)| n != "Content-Type");
        if let Some(ct) = content_type {
            r.headers
                .push(("Content-Type".into(), ct.as_bytes().to_vec()));
        }
        let resp = m.handle(&r);
        assert_eq!(resp.status, 415, "{content_type:?}");
        assert_eq!(resp.header_value("Content-Type"), Some(PROBLEM_JSON));
        assert_eq!(body(&resp)["status"], 415);
    }
}

#[test]
fn step3_json_media_types_with_parameters_are_accepted() {
    let m = model();
    for ct in [
        "application/json; charset=utf-8",
        "text/json",
        "application/merge-patch+json",
    ] {
        let mut r = post_json(
            PROVIDER,
            Some("tok-acme"),
            &json!({"pmsId": ACME_PMS, "config": acme()}),
        );
        r.headers.retain(|(n, _)| n != "Content-Type");
        r.headers
            .push(("content-type".into(), ct.as_bytes().to_vec()));
        assert_eq!(m.handle(&r).status, 200, "{ct}");
    }
}

#[test]
fn a_body_over_the_cap_is_413() {
    let m = model();
    let huge = vec![b' '; lupl_model::MAX_BODY_BYTES + 1];
    let r = m.handle(&post(PROVIDER, Some("tok-acme"), &huge));
    assert_eq!(r.status, 413);
    assert_eq!(r.header_value("Content-Type"), Some(PROBLEM_JSON));
}

#[test]
fn step4_the_vendor_example_byte_for_byte() {
    let r = model().handle(&get(&format!("{PROVIDER}?pmsId=asdf"), Some("tok-acme")));
    assert_eq!(r.status, 400);
    assert_eq!(r.header_value("Content-Type"), Some(PROBLEM_JSON));
    let b = body(&r);
    assert_eq!(
        b["errors"],
        json!({"pmsId": ["The value 'asdf' is not valid."]})
    );
    assert_eq!(b["title"], "One or more validation errors occurred.");
    assert_eq!(b["status"], 400);
    assert_eq!(
        b["type"],
        "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    );
    assert!(
        b["traceId"]
            .as_str()
            .is_some_and(|t| t.starts_with("00-") && t.ends_with("-00"))
    );
}

#[test]
fn step4_a_malformed_id_to_someone_elses_provider_is_400_not_403() {
    let m = model();
    // Binding comes before authorization: the id is not even readable.
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": format!("{OTHER_PMS}x"), "config": acme()}),
    ));
    assert_eq!(error_keys(&r), ["$.pmsId"]);
}

#[test]
fn step5_a_semantically_invalid_config_to_someone_elses_provider_is_403() {
    let m = model();
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": OTHER_PMS, "config": {"name": ""}}),
    ));
    assert_eq!(r.status, 403);
    assert_eq!(body(&r), json!({}));
}

#[test]
fn step5_forbidden_covers_not_yours_and_does_not_exist() {
    let m = model();
    let unknown = "00000000-0000-4000-8000-000000000000";
    for (path, id) in [
        (format!("{PROVIDER}?pmsId={OTHER_PMS}"), "other's provider"),
        (format!("{PROVIDER}?pmsId={unknown}"), "no such provider"),
        (
            format!("{ORGANIZATION}?organizationId={OTHER_ORG}"),
            "other's organization",
        ),
        (
            format!("{ORGANIZATION}?organizationId={unknown}"),
            "no such organization",
        ),
    ] {
        let r = m.handle(&get(&path, Some("tok-acme")));
        assert_eq!(r.status, 403, "{id}");
        assert_eq!(body(&r), json!({}), "{id}");
        assert!(
            r.header_value("Content-Type")
                .is_some_and(|c| c.starts_with("application/json"))
        );
    }
    let r = m.handle(&post_json(
        ORGANIZATION,
        Some("tok-acme"),
        &json!({"organizationId": OTHER_ORG, "pmsId": OTHER_PMS, "fields": {"apiKey": "k"}}),
    ));
    assert_eq!(r.status, 403);
}

#[test]
fn step6_comes_after_403_and_step7_stores() {
    let m = model();
    let r = m.handle(&post_json(
        PROVIDER,
        Some("tok-acme"),
        &json!({"pmsId": ACME_PMS, "config": {"name": ""}}),
    ));
    assert_eq!(
        error_keys(&r),
        [
            "config.authentication",
            "config.baseUrl",
            "config.endpoints",
            "config.name"
        ]
    );
    store_acme(&m);
    let r = m.handle(&get(
        &format!("{PROVIDER}?pmsId={ACME_PMS}"),
        Some("tok-acme"),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(body(&r), acme());
}

#[test]
fn paths_and_parameter_names_match_case_insensitively() {
    let m = model();
    let r = m.handle(&get(
        &format!("/API/1.0/PMS/ProviderConfig?PMSID={ACME_PMS}"),
        Some("tok-acme"),
    ));
    assert_eq!(r.status, 200);
    let r = m.handle(&get(
        &format!("{PROVIDER}/?pmsid={ACME_PMS}"),
        Some("tok-acme"),
    ));
    assert_eq!(r.status, 200);
}

#[test]
fn a_request_with_no_method_match_never_reaches_auth() {
    let m = model();
    let r = m.handle(&ModelRequest {
        method: "PUT".into(),
        path: ORGANIZATION.into(),
        ..Default::default()
    });
    assert_eq!(r.status, 405);
}
