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

/// The workspace's openapi.json with `edit` applied, as generator input.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let path = xtask::workspace_root().join(codegen::SPEC_PATH);
    let mut spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("spec")).expect("json");
    edit(&mut spec);
    spec.to_string()
}

fn problems_of(text: &str) -> Vec<Problem> {
    match codegen::generate(text, "edited.json") {
        Err(CodegenError::Problems(p)) => p,
        other => panic!("expected problems, got {:?}", other.map(|_| "code")),
    }
}

/// Shapes the face cannot make a tagged enum of, and names that would
/// clash, are refused with the pointer to change, never generated wrong.
#[test]
fn unions_and_names_the_face_cannot_take_are_refused_where_they_are() {
    let schemas = "/components/schemas";
    // A member also used on its own.
    let p = problems_of(&edited(|s| {
        s["paths"]["/api/1.0/pms/providerconfig"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"] = serde_json::json!({"$ref": "#/components/schemas/OAuth2Authentication"});
    }));
    assert_eq!(
        p[0].pointer,
        format!("{schemas}/OAuth2Authentication"),
        "{p:?}"
    );
    assert!(p[0].message.contains("also used on its own"), "{p:?}");
    // An inline member.
    let p = problems_of(&edited(|s| {
        s["components"]["schemas"]["ProviderAuthentication"]["oneOf"][1] =
            serde_json::json!({"type": "object", "properties": {"type": {"type": "string"}}});
    }));
    assert_eq!(
        p[0].pointer,
        format!("{schemas}/ProviderAuthentication/oneOf/1"),
        "{p:?}"
    );
    // A discriminated union inline in a property.
    let p = problems_of(&edited(|s| {
        let union = s["components"]["schemas"]["ProviderAuthentication"].clone();
        s["components"]["schemas"]["ProviderConfiguration"]["properties"]["authentication"] = union;
    }));
    assert!(
        p.iter().any(|p| p.pointer
            == format!("{schemas}/ProviderConfiguration/properties/authentication/discriminator")),
        "{p:?}"
    );
    // Two tags for one member.
    let p = problems_of(&edited(|s| {
        s["components"]["schemas"]["ProviderAuthentication"]["discriminator"]["mapping"]["oidc"] =
            serde_json::json!("#/components/schemas/OAuth2Authentication");
    }));
    assert!(p[0].message.contains("2 tags"), "{p:?}");
    // A property named like the map of unknown members.
    let p = problems_of(&edited(|s| {
        s["components"]["schemas"]["ProviderField"]["properties"]["extra"] =
            serde_json::json!({"type": "string"});
    }));
    assert_eq!(
        p[0].pointer,
        format!("{schemas}/ProviderField/properties/extra"),
        "{p:?}"
    );
    // An operation named like a method the client has by hand.
    let p = problems_of(&edited(|s| {
        s["paths"]["/api/1.0/pms/providerconfig"]["get"]["operationId"] =
            serde_json::json!("baseUrl");
    }));
    assert_eq!(
        p[0].pointer, "/paths/~1api~11.0~1pms~1providerconfig/get/operationId",
        "{p:?}"
    );
}

/// Mapping values may be bare schema names (OpenAPI 3.0): the tags stay
/// the mapping's, so the generated enum is the same.
#[test]
fn a_mapping_of_bare_schema_names_gives_the_same_union() {
    let bare = edited(|s| {
        s["components"]["schemas"]["ProviderAuthentication"]["discriminator"]["mapping"] = serde_json::json!({
            "oauth2": "OAuth2Authentication", "apiKey": "ApiKeyAuthentication"
        });
    });
    let code = codegen::generate(&bare, codegen::SPEC_PATH).expect("generates");
    assert!(code.contains("#[serde(rename = \"oauth2\")]"), "{code}");
    assert!(code.contains("#[serde(rename = \"apiKey\")]"), "{code}");
}

/// `face::CLIENT_METHODS` is what `lupl_api::Client` has by hand.
#[test]
fn the_reserved_method_names_are_the_hand_written_ones() {
    let path = xtask::workspace_root().join("crates/lupl-api/src/client.rs");
    let text = std::fs::read_to_string(path).expect("client.rs");
    let mut written: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub fn "))
        .filter_map(|rest| rest.split(['(', '<']).next())
        .collect();
    written.sort_unstable();
    let mut reserved = xtask::face::CLIENT_METHODS.to_vec();
    reserved.sort_unstable();
    assert_eq!(written, reserved);
}
