//! A schema update is `cargo xtask codegen` and nothing else: operations
//! added to openapi.json (a DELETE on an existing path, a GET on a new one,
//! one answering CSV, one answering a new discriminated union whose members
//! have an acronym in their name or only the tag) become methods of
//! `lupl_api::Client` that return `lupl_api::Error`, with no hand-written
//! code. The test generates the client from such a document, builds a copy
//! of `lupl-api` around it, and calls the new methods against a wiremock
//! server.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use xtask::codegen;

fn root() -> PathBuf {
    xtask::workspace_root()
}

/// openapi.json with `deleteProviderConfig` and `listProviders` added.
fn extended_spec() -> String {
    let text = std::fs::read_to_string(root().join(codegen::SPEC_PATH)).expect("spec");
    let mut spec: Value = serde_json::from_str(&text).expect("json");
    let pms_id = spec["paths"]["/api/1.0/pms/providerconfig"]["get"]["parameters"][0].clone();
    let refusals = |op: &str| {
        let mut responses = spec["paths"]["/api/1.0/pms/providerconfig"][op]["responses"].clone();
        responses
            .as_object_mut()
            .expect("responses")
            .retain(|status, _| status != "200");
        responses
    };
    let mut delete_responses = refusals("get");
    delete_responses["200"] = json!({"description": "The configuration is gone."});
    let mut list_responses = refusals("get");
    list_responses["200"] = json!({
        "description": "The providers the caller owns.",
        "content": {"application/json": {"schema": {
            "type": "array", "items": {"type": "string", "format": "uuid"}}}}
    });
    spec["paths"]["/api/1.0/pms/providerconfig"]["delete"] = json!({
        "operationId": "deleteProviderConfig",
        "summary": "Delete a PMS provider's configuration",
        "parameters": [pms_id],
        "responses": delete_responses
    });
    spec["paths"]["/api/1.0/pms/providers"] = json!({"get": {
        "operationId": "listProviders",
        "summary": "List the caller's PMS providers",
        "responses": list_responses
    }});
    spec["paths"]["/api/1.0/pms/export"] = json!({"get": {
        "operationId": "exportProviders",
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}
    }});
    spec["paths"]["/api/1.0/pets"] = json!({"get": {
        "operationId": "getPet",
        "responses": {"200": {"description": "A pet", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Pet"}}}}}
    }});
    spec["components"]["schemas"]["Pet"] = json!({
        "oneOf": [{"$ref": "#/components/schemas/APIDog"}, {"$ref": "#/components/schemas/NoCat"}],
        "discriminator": {"propertyName": "kind", "mapping": {"dog": "APIDog", "none": "#/components/schemas/NoCat"}}
    });
    spec["components"]["schemas"]["APIDog"] = json!({"type": "object", "required": ["kind", "bark"],
        "properties": {"kind": {"type": "string", "enum": ["dog"]}, "bark": {"type": "string"}}});
    spec["components"]["schemas"]["NoCat"] = json!({"type": "object", "required": ["kind"],
        "properties": {"kind": {"type": "string", "enum": ["none"]}}});
    serde_json::to_string_pretty(&spec).expect("json")
}

/// `lupl-api`'s manifest as a standalone package: workspace-inherited
/// fields and dependencies resolved, path dependencies made absolute.
fn standalone_manifest() -> String {
    let read = |p: PathBuf| -> toml::Table {
        std::fs::read_to_string(&p)
            .expect("manifest")
            .parse()
            .expect("toml")
    };
    let workspace = read(root().join("Cargo.toml"));
    let ws_package = workspace["workspace"]["package"]
        .as_table()
        .expect("package");
    let ws_deps = workspace["workspace"]["dependencies"]
        .as_table()
        .expect("dependencies");
    let crate_dir = root().join("crates/lupl-api");
    let mut manifest = read(crate_dir.join("Cargo.toml"));
    manifest.remove("lints");
    manifest.insert("workspace".into(), toml::Value::Table(toml::Table::new()));
    let package = manifest["package"].as_table_mut().expect("package");
    for (key, value) in package.iter_mut() {
        if value.get("workspace").is_some() {
            *value = ws_package[key].clone();
        }
    }
    for section in ["dependencies", "dev-dependencies"] {
        let Some(deps) = manifest
            .get_mut(section)
            .and_then(toml::Value::as_table_mut)
        else {
            continue;
        };
        for (name, dep) in deps.iter_mut() {
            // A workspace dependency's path is the workspace root's.
            let base = if dep.get("workspace").is_some() {
                root()
            } else {
                crate_dir.clone()
            };
            if dep.get("workspace").is_some() {
                let mut resolved = match &ws_deps[name] {
                    toml::Value::String(version) => {
                        toml::Table::from_iter([("version".to_owned(), version.clone().into())])
                    }
                    other => other.as_table().expect("a dependency table").clone(),
                };
                if let Some(features) = dep.get("features") {
                    resolved.insert("features".into(), features.clone());
                }
                *dep = toml::Value::Table(resolved);
            }
            if let Some(path) = dep.get("path").and_then(toml::Value::as_str) {
                let absolute = base.join(path);
                dep.as_table_mut()
                    .expect("a path dependency is a table")
                    .insert("path".into(), absolute.display().to_string().into());
            }
        }
    }
    // As the workspace builds dependencies (its `[profile.dev.package."*"]`).
    manifest.insert(
        "profile".into(),
        toml::Value::Table(
            "[dev.package.\"*\"]\ndebug = false\n"
                .parse::<toml::Table>()
                .expect("toml"),
        ),
    );
    toml::to_string(&manifest).expect("toml")
}

const CALLS: &str = r##"
use lupl_api::uuid::uuid;
use lupl_api::{Environment, Error};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_new_operations_are_methods_of_the_client() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/1.0/pms/providerconfig"))
        .and(query_param("pmsId", "4efafdc0-2783-4af6-9cac-d2b2be27a080"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/pms/providers"))
        .respond_with(ResponseTemplate::new(403).set_body_raw("{}", "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = Environment::custom(&server.uri()).expect("loopback").client().expect("client");
    let pms_id = uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
    let deleted: Result<(), Error> = client.delete_provider_config().pms_id(pms_id).send().await;
    deleted.expect("deleted");
    let listed: Result<Vec<lupl_api::uuid::Uuid>, Error> = client.list_providers().send().await;
    assert!(matches!(listed, Err(Error::Forbidden)), "{listed:?}");

    Mock::given(method("GET"))
        .and(path("/api/1.0/pms/export"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("a,b\n", "text/csv"))
        .mount(&server)
        .await;
    let csv = client.export_providers().send().await.expect("csv");
    drop(csv);
    Mock::given(method("GET"))
        .and(path("/api/1.0/pets"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"kind":"dog","bark":"woof"}"#, "application/json"))
        .mount(&server)
        .await;
    match client.get_pet().send().await.expect("a pet") {
        lupl_api::types::Pet::ApiDog(dog) => assert_eq!(dog.bark, "woof"),
        other => panic!("{other:?}"),
    }
    let _none: lupl_api::types::Pet = serde_json::from_str(r#"{"kind":"none"}"#).expect("a tag-only member");
}
"##;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

#[test]
fn an_operation_added_to_the_spec_is_a_method_after_codegen_alone() {
    let generated = codegen::generate(&extended_spec(), "openapi.json").expect("generates");
    for method in [
        "pub fn delete_provider_config(&self) -> DeleteProviderConfig<'_>",
        "pub fn list_providers(&self) -> ListProviders<'_>",
    ] {
        assert!(generated.contains(method), "no `{method}` in the face");
    }
    // A copy of lupl-api with only the generated module replaced (its lock
    // file the workspace's, pruned offline to what it uses), built
    // beside the workspace's own artifacts so that its dependencies are
    // compiled once.
    let dir = root().join("target/codegen-fixture/lupl-api");
    let _ = std::fs::remove_dir_all(dir.join("src"));
    copy_dir(&root().join("crates/lupl-api/src"), &dir.join("src"));
    std::fs::write(dir.join("src/generated.rs"), generated).expect("write generated");
    std::fs::create_dir_all(dir.join("tests")).expect("mkdir");
    std::fs::write(dir.join("tests/new_operations.rs"), CALLS).expect("write test");
    std::fs::write(dir.join("Cargo.toml"), standalone_manifest()).expect("write manifest");
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy lock");
    let out = Command::new(env!("CARGO"))
        .args([
            "test",
            "--offline",
            "--test",
            "new_operations",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root().join("target"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the copy with the new operations does not build or pass:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}
