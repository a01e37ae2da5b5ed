//! `lupl` end to end against the in-process model: the command line
//! itself (usage errors, help, completions, `-v` traces) and the commands
//! that need no credentials (`schema`, `sandbox`). Provider and
//! organization commands are in `provider_org.rs`, `org set-many` in
//! `org_set_many.rs`, settings and credentials in `settings.rs`.

mod common;

use common::{ORG, PMS, acme, command, file, lupl, stderr, stdout};
use lupl_model::Sandbox;
use serde_json::{Value, json};

#[test]
fn usage_errors_exit_2() {
    let out = lupl(None, Some("t"), &["provider", "get", "--pms-id", "asdf"]);
    assert_eq!(out.status.code(), Some(2));
    let out = lupl(
        None,
        Some("t"),
        &["provider", "validate", "--file", "/nonexistent/x.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/x.json"));
    let args = ["--rate-limit", "0/60", "provider", "get", "--pms-id", PMS];
    let out = lupl(Some("http://127.0.0.1:9"), Some("t"), &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--rate-limit"), "{}", stderr(&out));
    let bad_json = file("broken.json", "{\n  \"region\": eu\n}\n");
    let args = [
        "org",
        "set",
        "--organization-id",
        PMS,
        "--pms-id",
        PMS,
        "--file",
    ];
    let mut args = args.to_vec();
    args.push(bad_json.to_str().expect("p"));
    let out = lupl(Some("http://127.0.0.1:9"), Some("t"), &args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a file that is not JSON cannot be used"
    );
    assert!(
        stderr(&out).contains("broken.json:2:13: not usable JSON"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completions_for_bash() {
    let out = lupl(None, None, &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("lupl") && stdout(&out).contains("provider"));
}

#[test]
fn every_command_has_help_with_an_example() {
    let commands: [&[&str]; 12] = [
        &[],
        &["provider", "get"],
        &["provider", "set"],
        &["provider", "validate"],
        &["org", "get"],
        &["org", "set"],
        &["org", "validate"],
        &["org", "set-many"],
        &["token"],
        &["sandbox"],
        &["completions"],
        &["schema"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let out = lupl(None, None, &args);
        assert_eq!(out.status.code(), Some(0), "{c:?}");
        assert!(
            stdout(&out).contains("Example"),
            "{c:?} has no example:\n{}",
            stdout(&out)
        );
    }
}

#[tokio::test]
async fn verbose_traces_each_request_without_the_token() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &["-v", "provider", "get", "--pms-id", PMS],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("lupl.request")
            && err.contains("get_provider_config")
            && err.contains("status=200"),
        "{err}"
    );
    assert!(!err.contains("tok-acme"), "{err}");
    let quiet = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &["provider", "get", "--pms-id", PMS],
    );
    assert!(!stderr(&quiet).contains("lupl.request"));
}

#[test]
fn sandbox_serves_what_its_banner_says() {
    use std::io::{BufRead, BufReader};
    let mut child = command(
        None,
        None,
        &["sandbox", "--listen", "127.0.0.1:0", "--organizations", "5"],
    )
    .stdout(std::process::Stdio::piped())
    .spawn()
    .expect("spawn");
    let mut banner = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for line in lines.by_ref() {
        let line = line.expect("line");
        let done = line.starts_with("Press Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    let url = banner[0].rsplit(' ').next().expect("url").to_owned();
    let text = banner.join("\n");
    assert!(text.contains("manages 3 more organizations"), "{text}");
    let out = lupl(
        Some(&url),
        Some("tok-acme"),
        &["org", "get", "--organization-id", ORG],
    );
    assert_eq!(
        (out.status.code(), stdout(&out).trim()),
        (Some(0), "null"),
        "{}",
        stderr(&out)
    );
    child.kill().expect("stop");
    child.wait().expect("stopped");
}

#[test]
fn schema_prints_openapi_jsons_schema_for_editors() {
    let out = lupl(None, None, &["schema", "provider"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let schema: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let validator = jsonschema::draft7::new(&schema).expect("a draft 7 schema");
    assert!(validator.is_valid(&acme()));
    let mut http = acme();
    http["baseUrl"] = json!("http://acme.example");
    assert!(!validator.is_valid(&http), "the spec's pattern is kept");
    let mut nameless = acme();
    nameless.as_object_mut().expect("object").remove("name");
    assert!(!validator.is_valid(&nameless));
    let out = lupl(None, None, &["schema", "organization-body"]);
    let schema: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let validator = jsonschema::draft7::new(&schema).expect("a draft 7 schema");
    assert!(
        validator
            .is_valid(&json!({"organizationId": ORG, "pmsId": PMS, "fields": {"region": "eu"}}))
    );
    assert!(!validator.is_valid(&json!({"organizationId": ORG, "pmsId": PMS})));
}
