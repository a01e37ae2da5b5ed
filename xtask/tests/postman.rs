//! `cargo xtask postman`: the checked-in collection and environments are
//! what openapi.json generates, `--check` catches a hand edit, and the
//! collection is what the issue asks of it: every operation, the spec's
//! examples as bodies, `{{variables}}` for ids, OAuth 2.0 client
//! credentials, a status test per request, and no secret in any file.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use xtask::codegen::SPEC_PATH;
use xtask::postman::{COLLECTION_PATH, SANDBOX_ENVIRONMENT_PATH, STAGE_ENVIRONMENT_PATH};

fn root() -> PathBuf {
    xtask::workspace_root()
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(root: &Path, path: &str) -> Value {
    serde_json::from_str(&read(root, path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn checked_in_files_are_what_the_spec_generates() {
    let files = xtask::postman::files(&read(&root(), SPEC_PATH)).expect("generates");
    assert_eq!(files.len(), 3);
    for (path, text) in files {
        assert!(
            read(&root(), path) == text,
            "{path} is stale: run `cargo xtask postman`"
        );
    }
}

#[test]
fn check_fails_on_a_hand_edit_and_postman_restores_it() {
    let dir = std::env::temp_dir().join(format!("xtask-postman-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("postman")).expect("mkdir");
    for path in [
        SPEC_PATH,
        COLLECTION_PATH,
        STAGE_ENVIRONMENT_PATH,
        SANDBOX_ENVIRONMENT_PATH,
    ] {
        std::fs::copy(root().join(path), dir.join(path)).expect("copy");
    }
    let xtask = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("--root")
            .arg(&dir)
            .args(args)
            .output()
            .expect("xtask runs")
    };
    let ok = xtask(&["postman", "--check"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let original = read(&dir, COLLECTION_PATH);
    let edited = original.replacen("to.have.status(200)", "to.have.status(201)", 1);
    assert_ne!(edited, original, "the collection tests a 200");
    std::fs::write(dir.join(COLLECTION_PATH), edited).expect("write");
    let stale = xtask(&["postman", "--check"]);
    assert_eq!(stale.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert!(
        stderr.contains(COLLECTION_PATH) && stderr.contains("cargo xtask postman"),
        "{stderr}"
    );

    assert!(xtask(&["postman"]).status.success());
    assert_eq!(read(&dir, COLLECTION_PATH), original);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_operation_is_a_request_with_its_example_and_a_status_test() {
    let spec = json(&root(), SPEC_PATH);
    let collection = json(&root(), COLLECTION_PATH);
    assert_eq!(
        collection["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    let items = collection["item"].as_array().expect("items");
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            operations += 1;
            let method = method.to_uppercase();
            let request = items
                .iter()
                .map(|i| &i["request"])
                .find(|r| {
                    r["method"] == method.as_str()
                        && r["url"]["path"].as_array().is_some_and(|p| {
                            p.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join("/")
                                == path.trim_start_matches('/')
                        })
                })
                .unwrap_or_else(|| panic!("no request for {method} {path}"));
            let raw = request["url"]["raw"].as_str().expect("raw url");
            assert!(raw.starts_with("{{baseUrl}}/"), "{raw}");
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().expect("name");
                assert!(
                    raw.contains(&format!("{name}={{{{{name}}}}}")),
                    "{raw} lacks {name}"
                );
            }
            // The status the test script expects is the documented success.
            let success = op["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .find(|s| s.starts_with('2'))
                .expect("a success");
            let item = items
                .iter()
                .find(|i| &i["request"] == request)
                .expect("item");
            let script = item["event"][0]["script"]["exec"]
                .as_array()
                .expect("exec")
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                script.contains(&format!("to.have.status({success})")),
                "{script}"
            );
            if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                let body: Value =
                    serde_json::from_str(request["body"]["raw"].as_str().expect("body"))
                        .expect("a JSON body");
                // The operation's example (the vendor document's), its ids
                // the collection's variables.
                let mut expected = op
                    .pointer("/requestBody/content/application~1json/example")
                    .cloned()
                    .expect("every request body of openapi.json has an example");
                for key in ["pmsId", "organizationId"] {
                    if expected.get(key).is_some() {
                        expected[key] = format!("{{{{{key}}}}}").into();
                    }
                }
                assert_eq!(body, expected, "{method} {path}");
                assert!(schema.is_object());
            }
        }
    }
    assert_eq!(items.len(), operations);
    assert_eq!(
        operations, 4,
        "the four operations of the vendor's document"
    );
}

#[test]
fn oauth_client_credentials_and_no_secret_in_any_file() {
    let collection = json(&root(), COLLECTION_PATH);
    let auth = &collection["auth"];
    assert_eq!(auth["type"], "oauth2");
    let setting = |key: &str| {
        auth["oauth2"]
            .as_array()
            .expect("settings")
            .iter()
            .find(|s| s["key"] == key)
            .map(|s| s["value"].clone())
            .unwrap_or_else(|| panic!("no {key}"))
    };
    assert_eq!(setting("grant_type"), "client_credentials");
    assert_eq!(
        setting("accessTokenUrl"),
        "https://{{authDomain}}/oauth/token"
    );
    assert_eq!(setting("clientId"), "{{clientId}}");
    assert_eq!(setting("clientSecret"), "{{clientSecret}}");
    assert_eq!(setting("tokenRequestParams")[0]["value"], "{{audience}}");

    for path in [STAGE_ENVIRONMENT_PATH, SANDBOX_ENVIRONMENT_PATH] {
        let env = json(&root(), path);
        let values = env["values"].as_array().expect("values");
        let value = |key: &str| {
            values
                .iter()
                .find(|v| v["key"] == key)
                .map(|v| v["value"].clone())
                .unwrap_or_else(|| panic!("{path} lacks {key}"))
        };
        for key in [
            "baseUrl",
            "pmsId",
            "organizationId",
            "authDomain",
            "audience",
            "clientId",
        ] {
            let _ = value(key);
        }
        assert_eq!(value("clientSecret"), "", "{path} holds a client secret");
    }
    let stage = json(&root(), STAGE_ENVIRONMENT_PATH);
    assert!(
        stage["values"]
            .as_array()
            .expect("values")
            .iter()
            .all(|v| v["key"] != "accessToken" || v["value"] == ""),
        "no token for Stage in the file"
    );
}
