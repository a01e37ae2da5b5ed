//! No input makes the model answer 5xx or panic.

mod common;
use common::*;
use lupl_model::ModelRequest;
use proptest::prelude::*;

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("POST".to_owned()),
        Just("PUT".to_owned()),
        "[A-Za-z]{1,8}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(PROVIDER.to_owned()),
        Just(ORGANIZATION.to_owned()),
        Just("/API/1.0/Pms/ProviderConfig/".to_owned()),
        "/[ -~]{0,40}",
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let name = prop_oneof![
        Just("Authorization".to_owned()),
        Just("Content-Type".to_owned()),
        Just("content-type".to_owned()),
        "[A-Za-z-]{1,12}",
    ];
    let value = prop_oneof![
        Just(b"Bearer tok-acme".to_vec()),
        Just(b"Bearer tok-other".to_vec()),
        Just(b"application/json".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec((name, value), 0..5)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        Just(format!(r#"{{"pmsId":"{ACME_PMS}","config":{}}}"#, acme()).into_bytes()),
        Just(
            format!(
                r#"{{"organizationId":"{ACME_ORG}","pmsId":"{OTHER_PMS}","fields":{{"apiKey":1}}}}"#
            )
            .into_bytes()
        ),
        "[ -~]{0,100}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn never_5xx(
        method in method(),
        path in path(),
        query in proptest::option::of("[ -~]{0,60}"),
        headers in headers(),
        body in body(),
    ) {
        let m = model();
        let r = m.handle(&ModelRequest { method, path, query, headers, body });
        prop_assert!(r.status < 500, "answered {}", r.status);
    }
}

#[test]
fn deep_json_nesting_is_a_400_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = model().handle(&post(PROVIDER, Some("tok-acme"), deep.as_bytes()));
    assert_eq!(error_keys(&r), ["$"]);
    let deep_config = format!(
        r#"{{"pmsId":"{ACME_PMS}","config":{{"x":{}{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let r = model().handle(&post(PROVIDER, Some("tok-acme"), deep_config.as_bytes()));
    assert_eq!(error_keys(&r), ["$"]);
}

#[test]
fn invalid_utf8_in_query_and_headers_is_handled() {
    let m = model();
    let mut r = get(PROVIDER, None);
    r.query = Some("pmsId=%FF%FE".into());
    r.headers
        .push(("Authorization".into(), b"Bearer \xff\xfe".to_vec()));
    assert_eq!(m.handle(&r).status, 401);
    let mut r = get(PROVIDER, Some("tok-acme"));
    r.query = Some("pmsId=%FF%FE".into());
    assert_eq!(m.handle(&r).status, 400);
}

/// A body of 60,000 undeclared fields is not answered with megabytes: the
/// 400 lists the first `MAX_ERROR_KEYS` keys and says there are more, as
/// ASP.NET Core does.
#[test]
fn a_body_breaking_thousands_of_rules_gets_a_bounded_answer() {
    let m = model();
    store_acme(&m);
    let fields: serde_json::Map<String, serde_json::Value> = (0..60_000)
        .map(|i| (format!("k{i}"), serde_json::Value::from(1)))
        .collect();
    let request =
        serde_json::json!({"organizationId": ACME_ORG, "pmsId": ACME_PMS, "fields": fields});
    let text = request.to_string();
    assert!(text.len() < lupl_model::MAX_BODY_BYTES, "{}", text.len());
    let r = m.handle(&post(ORGANIZATION, Some("tok-acme"), text.as_bytes()));
    assert_eq!(r.status, 400);
    let keys = error_keys(&r);
    assert_eq!(keys.len(), lupl_model::MAX_ERROR_KEYS + 1);
    assert!(keys.contains(&String::new()), "the cap is said under \"\"");
    assert!(r.body.len() < 64 * 1024, "{} bytes", r.body.len());
}
