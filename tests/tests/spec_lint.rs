//! `openapi.json` lints: it is OpenAPI 3.0.x, documents every status
//! CONTRACT.md gives each operation, every `$ref` resolves, and every example
//! validates against its schema.

use lupl_spec::Spec;
use serde_json::Value;
use std::collections::BTreeSet;

fn spec() -> &'static Spec {
    Spec::workspace()
}

#[test]
fn parses_as_openapi_3_0() {
    let doc: openapiv3::OpenAPI =
        serde_json::from_str(lupl_spec::OPENAPI_JSON).expect("openapi.json parses as OpenAPI");
    assert!(doc.openapi.starts_with("3.0."), "version {}", doc.openapi);
    assert_eq!(
        doc.servers.first().map(|s| s.url.as_str()),
        Some(lupl_api::STAGE_BASE_URL)
    );
}

#[test]
fn every_operation_documents_the_contract_statuses() {
    // CONTRACT.md, "Order of checks": 401, 429, 415 (POST), 400, 403, 200.
    let expected = [
        ("GET", "/api/1.0/pms/providerconfig", "getProviderConfig"),
        ("POST", "/api/1.0/pms/providerconfig", "setProviderConfig"),
        (
            "GET",
            "/api/1.0/pms/organizationconfig",
            "getOrganizationConfig",
        ),
        (
            "POST",
            "/api/1.0/pms/organizationconfig",
            "setOrganizationConfig",
        ),
    ];
    let ops = spec().operations();
    assert_eq!(ops.len(), expected.len(), "{ops:?}");
    for (method, path, id) in expected {
        let op = ops
            .iter()
            .find(|o| o.operation_id == id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!((op.method.as_str(), op.path.as_str()), (method, path));
        let mut statuses: BTreeSet<u16> = [200, 400, 401, 403, 429].into();
        if method == "POST" {
            statuses.insert(415);
        }
        assert!(
            statuses.is_subset(&op.statuses),
            "{id} documents {:?}, the contract needs {statuses:?}",
            op.statuses
        );
    }
}

#[test]
fn error_responses_carry_their_headers_and_media_types() {
    for op in spec().operations() {
        let r401 = spec().response(&op.operation_id, 401).expect("401");
        assert!(
            r401.pointer("/headers/WWW-Authenticate").is_some(),
            "{}",
            op.operation_id
        );
        let r429 = spec().response(&op.operation_id, 429).expect("429");
        assert!(
            r429.pointer("/headers/Retry-After").is_some(),
            "{}",
            op.operation_id
        );
        let r400 = spec().response(&op.operation_id, 400).expect("400");
        assert!(
            r400.pointer("/content/application~1problem+json/schema")
                .is_some(),
            "{}: 400 is application/problem+json",
            op.operation_id
        );
        let r403 = spec().response(&op.operation_id, 403).expect("403");
        assert!(r403.pointer("/content/application~1json/schema").is_some());
    }
}

#[test]
fn every_ref_resolves() {
    assert_eq!(spec().unresolved_refs(), Vec::<String>::new());
}

/// Every `(pointer of the schema, example)` pair in the document: media
/// types, parameters and component schemas.
fn examples(value: &Value, pointer: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            if let (Some(_), Some(example)) = (map.get("schema"), map.get("example")) {
                out.push((format!("{pointer}/schema"), example.clone()));
            }
            let is_component_schema =
                pointer.starts_with("/components/schemas/") && pointer.matches('/').count() == 3;
            if is_component_schema && let Some(example) = map.get("example") {
                out.push((pointer.clone(), example.clone()));
            }
            for (k, v) in map {
                let token = lupl_spec::pointer::escape(k);
                examples(v, format!("{pointer}/{token}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                examples(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn examples_validate_against_their_schemas() {
    let mut found = Vec::new();
    examples(spec().document(), String::new(), &mut found);
    // The ACME configuration, the org configuration, the asdf 400, …
    assert!(found.len() >= 10, "only {} examples found", found.len());
    for (pointer, example) in found {
        let check = spec().schema_check(&pointer).expect("schema compiles");
        assert_eq!(
            check.errors(&example),
            Vec::<String>::new(),
            "example at {pointer}"
        );
    }
}

#[test]
fn the_vendor_examples_are_in_the_spec() {
    let asdf = spec()
        .response("getProviderConfig", 400)
        .expect("400")
        .pointer("/content/application~1problem+json/example/errors/pmsId/0")
        .and_then(Value::as_str);
    assert_eq!(asdf, Some("The value 'asdf' is not valid."));
    let acme = spec()
        .response("getProviderConfig", 200)
        .expect("200")
        .pointer("/content/application~1json/example/name")
        .and_then(Value::as_str);
    assert_eq!(acme, Some("ACME Inc."));
}

#[test]
fn schema_checks_reject_what_the_schema_forbids() {
    // The lint is only worth something if a bad example would fail it.
    let check = spec()
        .schema_check("/components/schemas/ProviderConfiguration")
        .expect("compiles");
    let bad = serde_json::json!({"name": "", "baseUrl": "ftp://x", "endpoints": {}});
    assert!(check.errors(&bad).len() >= 3, "{:?}", check.errors(&bad));
    let nullable = spec()
        .check_for(
            &serde_json::json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/OrganizationConfiguration"}]}),
            "inline",
        )
        .expect("compiles");
    assert!(nullable.errors(&Value::Null).is_empty());
    assert!(
        !nullable
            .errors(&serde_json::json!({"fields": {}}))
            .is_empty()
    );
}
