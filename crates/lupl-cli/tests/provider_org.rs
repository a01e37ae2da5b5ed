//! `lupl provider` and `lupl org` (get, set, validate) end to end against
//! the in-process model: round trips, the server's refusals, and each
//! problem reported at its line and column.

mod common;

use common::{ORG, OTHER_PMS, PMS, acme, file, lupl, provider_round_trip, stderr, stdout};
use lupl_model::Sandbox;
use serde_json::{Value, json};

#[tokio::test]
async fn provider_and_org_round_trip_through_the_cli() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let url = sandbox.base_url();
    let out = lupl(
        Some(url),
        Some("tok-acme"),
        &["provider", "get", "--pms-id", PMS],
    );
    assert_eq!(
        (out.status.code(), stdout(&out).trim()),
        (Some(0), "null"),
        "{}",
        stderr(&out)
    );

    assert_eq!(provider_round_trip(url, "acme.json", &acme()), acme());

    let out = lupl(
        Some(url),
        Some("tok-acme"),
        &[
            "org",
            "set",
            "--organization-id",
            ORG,
            "--pms-id",
            PMS,
            "--field",
            "region=eu",
            "--field",
            "firmCode=ACM001",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = lupl(
        Some(url),
        Some("tok-acme"),
        &["org", "get", "--organization-id", ORG],
    );
    let got: Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(got["fields"], json!({"region": "eu", "firmCode": "ACM001"}));
}

#[tokio::test]
async fn refusals_exit_1_with_the_servers_keys() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let url = sandbox.base_url();
    let out = lupl(
        Some(url),
        Some("tok-acme"),
        &["provider", "get", "--pms-id", OTHER_PMS],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    // ACME has no configuration yet: the organization's pmsId is refused.
    let out = lupl(
        Some(url),
        Some("tok-acme"),
        &[
            "org",
            "set",
            "--organization-id",
            ORG,
            "--pms-id",
            PMS,
            "--field",
            "region=eu",
        ],
    );
    // ACME has no configuration yet: nothing types the fields, nothing is sent.
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("has no configuration yet"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn validate_reports_each_problem_with_its_line_and_column() {
    let text = "{\n  \"name\": \"  \",\n  \"baseUrl\": \"http://x\",\n  \"authentication\": {\"type\": \"oauth2\", \"authorizationUrl\": \"https://a\", \"tokenUrl\": \"https://a/t\"},\n  \"endpoints\": {\"hours\": \"/h\"},\n  \"fields\": [{\"key\": \"9x\", \"label\": \"X\", \"type\": \"number\"}]\n}\n";
    let path = file("bad.json", text);
    let out = lupl(
        None,
        None,
        &[
            "provider",
            "validate",
            "--file",
            path.to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad.json:2:11: config.name:"), "{err}");
    assert!(err.contains("bad.json:3:14: config.baseUrl:"), "{err}");
    assert!(err.contains(":6:22: config.fields[0].key:"), "{err}");
    let good = file("good.json", &acme().to_string());
    let out = lupl(
        None,
        None,
        &[
            "provider",
            "validate",
            "--file",
            good.to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn org_validate_checks_fields_against_the_provider() {
    let provider = file("provider.json", &acme().to_string());
    let fields = file("fields.json", "{\n  \"region\": \"mars\"\n}\n");
    let out = lupl(
        None,
        None,
        &[
            "org",
            "validate",
            "--file",
            fields.to_str().expect("p"),
            "--provider-config",
            provider.to_str().expect("p"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("fields.json:2:13: fields.region:"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn provider_set_keeps_unknown_members_and_refuses_a_broken_file_before_sending() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let url = sandbox.base_url();
    let mut config = acme();
    config["vendorExtension"] = json!({"tier": "gold"});
    config["authentication"]["x-acme"] = json!(1);
    assert_eq!(provider_round_trip(url, "ext.json", &config), config);

    let bad = file(
        "bad-set.json",
        "{\n  \"pmsId\": \"4efafdc0-2783-4af6-9cac-d2b2be27a080\",\n  \"config\": {\"name\": \"\", \"baseUrl\": \"https://x\",\n    \"authentication\": {\"type\": \"none\"}, \"endpoints\": {\"hours\": \"/h\"}}\n}\n",
    );
    let set_bad = [
        "provider",
        "set",
        "--pms-id",
        PMS,
        "--file",
        bad.to_str().expect("p"),
    ];
    let out = lupl(Some(url), Some("tok-acme"), &set_bad);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad-set.json:3:22: config.name:"), "{err}");
    assert!(
        err.contains("bad-set.json:4:32: config.authentication.type:"),
        "{err}"
    );
    assert!(err.contains("bad-set.json breaks 2 rule(s)"), "{err}");
    let get = lupl(
        Some(url),
        Some("tok-acme"),
        &["provider", "get", "--pms-id", PMS],
    );
    let stored: Value = serde_json::from_str(&stdout(&get)).expect("json");
    assert_eq!(stored, config, "the broken file was never sent");
}

/// A refusal only the server knows (a live API stricter than the model) is
/// still reported at the file's lines.
#[tokio::test]
async fn provider_set_locates_the_servers_keys_in_the_file() {
    let sandbox = Sandbox::start_with_handler(lupl_model::Fixture::builtin(), |model| {
        std::sync::Arc::new(move |request: &lupl_model::ModelRequest| {
            if request.method == "POST" {
                let body = json!({"status": 400, "errors": {"config.endpoints.hours": ["Not on this server."]}});
                lupl_model::ModelResponse {
                    status: 400,
                    headers: vec![("Content-Type".into(), "application/problem+json".into())],
                    body: body.to_string().into_bytes(),
                }
            } else {
                model.handle(request)
            }
        })
    })
    .await
    .expect("sandbox");
    let path = file(
        "strict.json",
        &serde_json::to_string_pretty(&acme()).expect("json"),
    );
    let args = [
        "provider",
        "set",
        "--pms-id",
        PMS,
        "--file",
        path.to_str().expect("p"),
    ];
    let out = lupl(Some(sandbox.base_url()), Some("tok-acme"), &args);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("the server refused"), "{err}");
    assert!(
        err.contains("strict.json:") && err.contains("config.endpoints.hours: Not on this server."),
        "{err}"
    );
}
