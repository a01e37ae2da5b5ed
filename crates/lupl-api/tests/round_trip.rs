//! Typed round trips are exact (issue: a read-modify-write must not lose
//! what the server stored): any configuration openapi.json accepts, with
//! unknown members at every level the spec leaves open, decodes into the
//! generated types and encodes back to the same JSON. `[]` stays `[]`,
//! `false` stays `false`, and an absent member stays absent.

use lupl_api::types::{OrganizationConfiguration, ProviderConfiguration};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Members no schema declares (`x-` keeps them clear of declared names).
fn extras() -> impl Strategy<Value = Map<String, Value>> {
    btree_map("x-[a-z]{1,8}", any_json(), 0..3).prop_map(|m| m.into_iter().collect())
}

fn with_extras(mut object: Map<String, Value>, extra: Map<String, Value>) -> Value {
    object.extend(extra);
    Value::Object(object)
}

fn https_url() -> impl Strategy<Value = String> {
    (
        "[Hh][Tt][Tt][Pp][Ss]",
        "[a-z0-9-]{1,10}(\\.[a-z0-9-]{1,10}){0,2}|\\{region\\}\\.[a-z]{1,6}",
        option::of(1u16..=65535),
        "(/[A-Za-z0-9._~{}-]{0,8}){0,3}(\\?[a-z]=[a-z0-9]{0,4})?",
    )
        .prop_map(|(scheme, host, port, rest)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("{scheme}://{host}{port}{rest}")
        })
}

fn field(key: String) -> impl Strategy<Value = Value> {
    (
        "[A-Za-z][A-Za-z ]{0,20}",
        prop_oneof![
            Just("string"),
            Just("number"),
            Just("boolean"),
            Just("select")
        ],
        option::of(any::<bool>()),
        btree_set("[a-z]{1,5}", 1..4),
        option::of("\\^[A-Z]\\{3\\}\\$"),
        extras(),
    )
        .prop_map(move |(label, ty, required, options, pattern, extra)| {
            let mut f = Map::new();
            f.insert("key".into(), json!(key));
            f.insert("label".into(), json!(label));
            f.insert("type".into(), json!(ty));
            if let Some(r) = required {
                f.insert("required".into(), json!(r));
            }
            match ty {
                "select" => {
                    f.insert("options".into(), json!(options));
                }
                "string" => {
                    if let Some(p) = pattern {
                        f.insert("pattern".into(), json!(p));
                    }
                }
                _ => {}
            }
            with_extras(f, extra)
        })
}

fn fields() -> impl Strategy<Value = Option<Vec<Value>>> {
    option::of(
        btree_set("[A-Za-z][A-Za-z0-9_]{0,10}", 0..5)
            .prop_flat_map(|keys| keys.into_iter().map(field).collect::<Vec<_>>()),
    )
}

fn authentication() -> impl Strategy<Value = Value> {
    let oauth2 = (
        https_url(),
        https_url(),
        option::of(vec("[a-z.:]{1,12}", 0..4)),
        extras(),
    )
        .prop_map(|(authorization, token, scopes, extra)| {
            let mut a = Map::new();
            a.insert("type".into(), json!("oauth2"));
            a.insert("authorizationUrl".into(), json!(authorization));
            a.insert("tokenUrl".into(), json!(token));
            if let Some(s) = scopes {
                a.insert("scopes".into(), json!(s));
            }
            with_extras(a, extra)
        });
    let api_key = (
        "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}",
        "[A-Za-z][A-Za-z0-9_]{0,8}",
        extras(),
    )
        .prop_map(|(header, field, extra)| {
            let mut a = Map::new();
            a.insert("type".into(), json!("apiKey"));
            a.insert("headerName".into(), json!(header));
            a.insert("field".into(), json!(field));
            with_extras(a, extra)
        });
    prop_oneof![oauth2, api_key]
}

fn endpoints() -> impl Strategy<Value = Value> {
    btree_map(
        prop_oneof![
            Just("matters"),
            Just("clients"),
            Just("hours"),
            Just("billing"),
            Just("invoices")
        ],
        "/[a-z0-9/{}]{0,12}",
        1..=5,
    )
    .prop_map(|m| json!(m))
}

fn provider_configuration() -> impl Strategy<Value = Value> {
    (
        "[A-Za-z0-9][A-Za-z0-9 .&-]{0,60}[A-Za-z0-9.]",
        option::of("\\PC{0,200}"),
        https_url(),
        authentication(),
        endpoints(),
        fields(),
        extras(),
    )
        .prop_map(
            |(name, description, base_url, auth, endpoints, fields, extra)| {
                let mut c = Map::new();
                c.insert("name".into(), json!(name));
                if let Some(d) = description {
                    c.insert("description".into(), json!(d));
                }
                c.insert("baseUrl".into(), json!(base_url));
                c.insert("authentication".into(), auth);
                c.insert("endpoints".into(), endpoints);
                if let Some(f) = fields {
                    c.insert("fields".into(), json!(f));
                }
                with_extras(c, extra)
            },
        )
}

fn organization_configuration() -> impl Strategy<Value = Value> {
    (
        btree_map("[A-Za-z][A-Za-z0-9_]{0,8}", any_json(), 0..5),
        extras(),
    )
        .prop_map(|(fields, extra)| {
            let mut o = Map::new();
            o.insert(
                "organizationId".into(),
                json!("3fa85f64-5717-4562-b3fc-2c963f66afa6"),
            );
            o.insert(
                "pmsId".into(),
                json!("4efafdc0-2783-4af6-9cac-d2b2be27a080"),
            );
            o.insert("fields".into(), json!(fields));
            with_extras(o, extra)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_provider_configuration_survives_decode_and_encode(config in provider_configuration()) {
        let schema_errors = lupl_spec::Spec::workspace()
            .schema_check("/components/schemas/ProviderConfiguration")
            .expect("schema")
            .errors(&config);
        prop_assert!(schema_errors.is_empty(), "the generator made an invalid configuration: {schema_errors:?}");
        let typed: ProviderConfiguration = serde_json::from_value(config.clone())
            .map_err(|e| TestCaseError::fail(format!("does not decode: {e}")))?;
        prop_assert_eq!(serde_json::to_value(&typed).expect("encodes"), config);
    }

    #[test]
    fn an_organization_configuration_survives_decode_and_encode(config in organization_configuration()) {
        let typed: OrganizationConfiguration = serde_json::from_value(config.clone())
            .map_err(|e| TestCaseError::fail(format!("does not decode: {e}")))?;
        prop_assert_eq!(serde_json::to_value(&typed).expect("encodes"), config);
    }
}

/// The cases a default-filling or empty-skipping type would get wrong.
#[test]
fn empty_lists_false_flags_and_absent_members_stay_as_they_were() {
    let base = json!({
        "name": "ACME", "baseUrl": "https://acme.example",
        "authentication": {"type": "oauth2", "authorizationUrl": "https://a.example",
                           "tokenUrl": "https://a.example/t"},
        "endpoints": {"hours": "/h"}
    });
    let mut empty = base.clone();
    empty["fields"] = json!([]);
    empty["authentication"]["scopes"] = json!([]);
    let mut flags = base.clone();
    flags["fields"] = json!([
        {"key": "a", "label": "A", "type": "string", "required": false},
        {"key": "b", "label": "B", "type": "string"}
    ]);
    for config in [base, empty, flags] {
        let typed: ProviderConfiguration = serde_json::from_value(config.clone()).expect("decodes");
        assert_eq!(serde_json::to_value(&typed).expect("encodes"), config);
    }
}

#[allow(dead_code)] // its `main` prints; the test uses `acme`
#[path = "../examples/acme_config.rs"]
mod acme_config;

/// The builder example makes exactly the vendor document's ACME
/// configuration (openapi.json's example).
#[test]
fn the_builder_example_is_the_specs_acme_example() {
    let built = serde_json::to_value(acme_config::acme().expect("builds")).expect("encodes");
    let example = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("openapi.json has the ACME example");
    assert_eq!(built, example);
}
