//! Normalization, one test per real-world construct progenitor 0.15 cannot
//! take as it is: each is either normalized into a document progenitor
//! generates from, or rejected with the pointer of what is wrong.

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};
use xtask::codegen::{self, CodegenError};
use xtask::normalize::{self, Problem};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn normalized(name: &str) -> OpenAPI {
    let spec = normalize::parse(&fixture(name)).expect("parses");
    normalize::normalize(spec).expect("normalizes")
}

/// Normalizes and runs progenitor; returns the generated Rust.
fn generated(name: &str) -> String {
    codegen::generate(&fixture(name), name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rejected(name: &str) -> Vec<Problem> {
    match codegen::generate(&fixture(name), name) {
        Err(CodegenError::Problems(p)) => p,
        other => panic!("{name}: expected problems, got {:?}", other.map(|_| "code")),
    }
}

fn operation<'a>(spec: &'a OpenAPI, path: &str, method: &str) -> &'a openapiv3::Operation {
    let item = spec.paths.paths[path].as_item().expect("inline path item");
    item.iter()
        .find(|(m, _)| *m == method)
        .map(|(_, op)| op)
        .expect("operation")
}

#[test]
fn missing_operation_ids_are_derived_from_method_and_path() {
    let spec = normalized("missing_operation_ids");
    let id = |p, m| operation(&spec, p, m).operation_id.clone();
    assert_eq!(
        id("/api/v1/things/{thingId}", "get").as_deref(),
        Some("get_api_v1_things_by_thingId")
    );
    assert_eq!(
        id("/api/v1/things", "get").as_deref(),
        Some("get_api_v1_things")
    );
    assert_eq!(
        id("/api/v1/things", "post").as_deref(),
        Some("post_api_v1_things")
    );
    let code = generated("missing_operation_ids");
    assert!(
        code.contains("pub fn get_api_v1_things_by_thing_id(&self)"),
        "{code}"
    );
    // Deterministic: the same document gives the same ids and code.
    assert_eq!(code, generated("missing_operation_ids"));
}

#[test]
fn several_request_media_types_keep_only_json() {
    let spec = normalized("several_request_media_types");
    let body = operation(&spec, "/things", "post")
        .request_body
        .as_ref()
        .expect("body");
    let ReferenceOr::Item(body) = body else {
        panic!("inlined")
    };
    assert_eq!(
        body.content.keys().collect::<Vec<_>>(),
        ["application/json"]
    );
    assert!(generated("several_request_media_types").contains("pub fn create_thing(&self)"));
}

#[test]
fn problem_json_is_json() {
    let spec = normalized("problem_json_responses");
    let op = operation(&spec, "/things", "post");
    let ReferenceOr::Item(body) = op.request_body.as_ref().expect("body") else {
        panic!()
    };
    assert_eq!(
        body.content.keys().collect::<Vec<_>>(),
        ["application/json"]
    );
    let ReferenceOr::Item(created) = &op.responses.responses[&StatusCode::Code(201)] else {
        panic!()
    };
    assert_eq!(
        created.content.keys().collect::<Vec<_>>(),
        ["application/json"]
    );
    let code = generated("problem_json_responses");
    assert!(code.contains("ResponseValue<types::Thing>"), "{code}");
}

#[test]
fn error_responses_are_left_to_the_face() {
    let spec = normalized("different_error_bodies");
    let op = operation(&spec, "/things", "get");
    let statuses: Vec<_> = op.responses.responses.keys().cloned().collect();
    assert_eq!(statuses, [StatusCode::Code(200)]);
    assert!(op.responses.default.is_none());
    let code = generated("different_error_bodies");
    assert!(
        code.contains("Error::UnexpectedResponse(response)"),
        "{code}"
    );
}

#[test]
fn a_ref_with_a_nullable_sibling_becomes_an_option() {
    let code = generated("nullable_ref_sibling");
    assert!(
        code.contains("ResponseValue<::std::option::Option<types::Thing>>"),
        "{code}"
    );
}

#[test]
fn an_empty_object_success_body_needs_no_type() {
    let code = generated("empty_object_success");
    assert!(
        code.contains("Result<ResponseValue<()>, Error<()>>"),
        "{code}"
    );
}

#[test]
fn openapi_3_1_is_rejected_at_the_version() {
    let problems = rejected("openapi_3_1");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].pointer, "/openapi");
}

#[test]
fn a_body_without_json_is_rejected_at_its_content() {
    let problems = rejected("no_json_request_media_type");
    assert_eq!(
        problems
            .iter()
            .map(|p| p.pointer.as_str())
            .collect::<Vec<_>>(),
        ["/paths/~1things/post/requestBody/content"]
    );
}

#[test]
fn duplicate_operation_ids_are_rejected_at_the_second() {
    let problems = rejected("duplicate_operation_ids");
    assert_eq!(problems[0].pointer, "/paths/~1b/get/operationId");
    assert!(problems[0].message.contains("\"same\""));
}

#[test]
fn different_success_bodies_are_rejected_at_the_response() {
    let problems = rejected("different_success_bodies");
    assert_eq!(problems[0].pointer, "/paths/~1things/post/responses/201");
}

#[test]
fn a_swashbuckle_document_generates_without_a_panic() {
    let code = generated("swashbuckle");
    assert!(code.contains("pub fn get_api_1_0_pms_providerconfig(&self)"));
    assert!(code.contains("pub fn post_api_1_0_pms_providerconfig(&self)"));
    assert!(code.contains("::std::option::Option<types::Thing>"));
}

#[test]
fn a_document_that_is_not_json_names_the_line() {
    let err = normalize::parse("{\n  \"openapi\": ").expect_err("invalid");
    assert_eq!(err[0].pointer, "");
    assert!(err[0].message.contains("line 2"), "{}", err[0].message);
}

#[test]
fn derived_ids_escape_punctuation() {
    assert_eq!(
        normalize::derived_operation_id("GET", "/api/1.0/pms/providerconfig"),
        "get_api_1_0_pms_providerconfig"
    );
    assert_eq!(
        normalize::derived_operation_id("delete", "/orgs/{org-id}/users"),
        "delete_orgs_by_org_id_users"
    );
}
