//! `lupl` end to end against the in-process model.

use lupl_model::Sandbox;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const OTHER_PMS: &str = "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10";

fn lupl(base_url: Option<&str>, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lupl"));
    for var in [
        "LUPL_BASE_URL",
        "LUPL_TOKEN",
        "LUPL_CLIENT_ID",
        "LUPL_ENV",
        "LUPL_CLIENT_SECRET",
    ] {
        cmd.env_remove(var);
    }
    if let Some(u) = base_url {
        cmd.env("LUPL_BASE_URL", u);
    }
    if let Some(t) = token {
        cmd.env("LUPL_TOKEN", t);
    }
    cmd.args(args).output().expect("lupl runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lupl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn acme() -> Value {
    lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme")
}

#[tokio::test]
async fn provider_and_org_round_trip_through_the_cli() {
    let sandbox = Sandbox::start().await;
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

    let config = file(
        "acme.json",
        &serde_json::to_string_pretty(&acme()).expect("json"),
    );
    let out = lupl(
        Some(url),
        Some("tok-acme"),
        &[
            "provider",
            "set",
            "--pms-id",
            PMS,
            "--file",
            config.to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = lupl(
        Some(url),
        Some("tok-acme"),
        &["provider", "get", "--pms-id", PMS, "--output", "json"],
    );
    let got: Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(got, acme());

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
    let sandbox = Sandbox::start().await;
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
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("pmsId"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_bad_token_is_exit_3_and_a_dead_server_exit_4() {
    let sandbox = Sandbox::start().await;
    let out = lupl(
        Some(sandbox.base_url()),
        Some("nope"),
        &["provider", "get", "--pms-id", PMS],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let out = lupl(
        Some(&dead),
        Some("tok"),
        &["provider", "get", "--pms-id", PMS],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}

#[test]
fn missing_credentials_name_the_variable() {
    let out = lupl(
        Some("http://127.0.0.1:9"),
        None,
        &["provider", "get", "--pms-id", PMS],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("LUPL_CLIENT_ID") && stderr(&out).contains("LUPL_TOKEN"),
        "{}",
        stderr(&out)
    );
}

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

#[test]
fn completions_for_bash() {
    let out = lupl(None, None, &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("lupl") && stdout(&out).contains("provider"));
}
