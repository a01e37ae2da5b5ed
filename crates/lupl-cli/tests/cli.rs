//! `lupl` end to end against the in-process model.

use lupl_model::Sandbox;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const OTHER_PMS: &str = "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10";

/// `lupl` with a clean environment: no `LUPL_*` variables and a home
/// without a config file.
fn command(base_url: Option<&str>, token: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lupl"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LUPL_") {
            cmd.env_remove(k);
        }
    }
    let home = std::env::temp_dir().join(format!("lupl-cli-home-{}", std::process::id()));
    cmd.env("HOME", &home).env("XDG_CONFIG_HOME", &home);
    if let Some(u) = base_url {
        cmd.env("LUPL_BASE_URL", u);
    }
    if let Some(t) = token {
        cmd.env("LUPL_TOKEN", t);
    }
    cmd.args(args);
    cmd
}

fn lupl(base_url: Option<&str>, token: Option<&str>, args: &[&str]) -> Output {
    command(base_url, token, args).output().expect("lupl runs")
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

/// `lupl provider set` from a pretty-printed file, then what `lupl
/// provider get --output json` prints.
fn provider_round_trip(url: &str, name: &str, config: &Value) -> Value {
    let path = file(name, &serde_json::to_string_pretty(config).expect("json"));
    let path = path.to_str().expect("path");
    let args = ["provider", "set", "--pms-id", PMS, "--file", path];
    let out = lupl(Some(url), Some("tok-acme"), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = ["provider", "get", "--pms-id", PMS, "--output", "json"];
    let out = lupl(Some(url), Some("tok-acme"), &args);
    serde_json::from_str(stdout(&out).trim()).expect("json")
}

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

#[tokio::test]
async fn a_bad_token_is_exit_3_and_a_dead_server_exit_4() {
    let sandbox = Sandbox::start().await.expect("sandbox");
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

/// A `set-many` input file, without the journal an earlier run of the
/// test may have left beside it.
fn input_file(name: &str, text: &str) -> PathBuf {
    let path = file(name, text);
    let _ = std::fs::remove_file(path.with_file_name(format!("{name}.journal")));
    path
}

/// `org set-many --file INPUT --pms-id <ACME>` and `extra`.
fn set_many_args<'a>(input: &'a std::path::Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "org",
        "set-many",
        "--file",
        input.to_str().expect("path"),
        "--pms-id",
        PMS,
    ];
    args.extend(extra);
    args
}

/// A sandbox where ACME's provider is configured and `tok-acme` manages
/// `count` more organizations.
async fn bulk_sandbox(count: usize) -> (Sandbox, Vec<String>) {
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.providers[0].config = acme();
    let ids = fixture.add_organizations("tok-acme", count);
    let sandbox = Sandbox::start_with(fixture).await.expect("sandbox");
    (sandbox, ids.iter().map(|i| i.to_string()).collect())
}

#[tokio::test]
async fn set_many_from_jsonl_stores_each_row_and_writes_the_result_file() {
    let (sandbox, ids) = bulk_sandbox(30).await;
    let mut text = String::new();
    for (i, id) in ids.iter().enumerate() {
        let region = if i == 7 { "mars" } else { "eu" };
        text.push_str(&format!("{{\"organizationId\": \"{id}\", \"fields\": {{\"region\": \"{region}\", \"firmCode\": \"ACM{i:03}\"}}}}\n"));
        if i == 3 {
            text.push_str("\n{not json}\n");
        }
    }
    let input = input_file("orgs.jsonl", &text);
    let results = file("orgs.results.csv", "");
    let extra = [
        "--results",
        results.to_str().expect("p"),
        "--rate-limit",
        "100000/1",
    ];
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&input, &extra),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a row is refused, one unreadable: {}",
        stderr(&out)
    );
    let summary: Value = serde_json::from_str(stdout(&out).trim()).expect("summary");
    assert_eq!(
        (
            summary["rows"].as_u64(),
            summary["ok"].as_u64(),
            summary["failed"].as_u64()
        ),
        (Some(31), Some(29), Some(2))
    );
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &["org", "get", "--organization-id", &ids[29]],
    );
    let got: Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(got["fields"], json!({"region": "eu", "firmCode": "ACM029"}));
    let table = std::fs::read_to_string(&results).expect("results");
    assert_eq!(table.lines().count(), 32, "{table}");
    assert!(
        table.contains(&format!("{},400,fields.region,", ids[7])),
        "{table}"
    );
    assert!(table.contains("6,,invalid,,not JSON"), "{table}");
}

#[tokio::test]
async fn set_many_types_csv_values_by_the_providers_field_types() {
    let mut provider = acme();
    provider["fields"].as_array_mut().expect("fields").extend([
        json!({"key": "seats", "label": "Seats", "type": "number"}),
        json!({"key": "billing", "label": "Billing", "type": "boolean"}),
        json!({"key": "code", "label": "Code", "type": "string"}),
    ]);
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.providers[0].config = provider;
    let ids = fixture.add_organizations("tok-acme", 2);
    let sandbox = Sandbox::start_with(fixture).await.expect("sandbox");
    let input = input_file(
        "typed.csv",
        &format!(
            "organizationId,region,seats,billing,code\n{},eu,12,TRUE,007\n{},us,twelve,false,\n",
            ids[0], ids[1]
        ),
    );
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&input, &[]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let got = sandbox.model().snapshot();
    let stored = got
        .organizations
        .iter()
        .find(|o| o.organization_id == ids[0])
        .expect("org");
    // code is a string field: "007" stays a string.
    assert_eq!(
        stored.config["fields"],
        json!({"region": "eu", "seats": 12, "billing": true, "code": "007"})
    );
    let results =
        std::fs::read_to_string(input.with_extension("csv.results.csv")).expect("results");
    assert!(
        results.contains(&format!(
            "3,{},invalid,fields.seats,'twelve' is not a number",
            ids[1]
        )),
        "{results}"
    );
}

#[test]
fn set_many_dry_run_judges_rows_offline() {
    let provider = file("dry-provider.json", &acme().to_string());
    let input = file(
        "dry.csv",
        "organizationId,region,firmCode\n3fa85f64-5717-4562-b3fc-2c963f66afa6,eu,ACM001\n3fa85f64-5717-4562-b3fc-2c963f66afa7,,acm\n",
    );
    let args = set_many_args(
        &input,
        &[
            "--dry-run",
            "--provider-config",
            provider.to_str().expect("p"),
        ],
    );
    // No credentials and no server: nothing goes over the network.
    let out = lupl(None, None, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("dry.csv:3: 3fa85f64-5717-4562-b3fc-2c963f66afa7: fields.region:"),
        "{err}"
    );
    assert!(
        err.contains("dry.csv:3: 3fa85f64-5717-4562-b3fc-2c963f66afa7: fields.firmCode:"),
        "{err}"
    );
    let summary: Value = serde_json::from_str(stdout(&out).trim()).expect("summary");
    assert_eq!(summary, json!({"rows": 2, "valid": 1, "invalid": 1}));
    assert!(
        !input.with_extension("csv.journal").exists(),
        "a dry run writes no journal"
    );
}

#[test]
fn set_many_refuses_unusable_files_with_exit_2() {
    let provider = file("u-provider.json", &acme().to_string());
    let p = provider.to_str().expect("p");
    let cases = [
        ("u.txt", "organizationId\n", "--format csv|jsonl"),
        ("u1.csv", "org,region\nx,eu\n", "no organizationId column"),
        (
            "u2.csv",
            "organizationId,region\n3fa85f64-5717-4562-b3fc-2c963f66afa6,eu\n3FA85F64-5717-4562-B3FC-2C963F66AFA6,us\n",
            "lines 2 and 3",
        ),
    ];
    for (name, text, says) in cases {
        let f = file(name, text);
        let args = set_many_args(&f, &["--dry-run", "--provider-config", p]);
        let out = lupl(None, None, &args);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{name}: {}", stderr(&out));
    }
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

#[tokio::test]
async fn profiles_supply_settings_and_secrets_must_be_private() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let dir = std::env::temp_dir().join(format!("lupl-cli-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("default = \"sandbox\"\n\n[profile.sandbox]\nbase_url = \"{}\"\ntoken = \"tok-acme\"\n\n[profile.other]\nbase_url = \"{}\"\ntoken = \"tok-other\"\n", sandbox.base_url(), sandbox.base_url()),
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let out = command(None, None, &["provider", "get", "--pms-id", PMS])
            .env("LUPL_CONFIG", &config)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let c = config.to_str().expect("p");
    // The default profile: tok-acme owns ACME.
    let out = lupl(
        None,
        None,
        &["--config", c, "provider", "get", "--pms-id", PMS],
    );
    assert_eq!(
        (out.status.code(), stdout(&out).trim()),
        (Some(0), "null"),
        "{}",
        stderr(&out)
    );
    // Another profile: tok-other does not.
    let out = lupl(
        None,
        None,
        &[
            "--config",
            c,
            "--profile",
            "other",
            "provider",
            "get",
            "--pms-id",
            PMS,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // A token in the environment wins over the profile's.
    let out = lupl(
        None,
        Some("tok-other"),
        &["--config", c, "provider", "get", "--pms-id", PMS],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = lupl(
        None,
        None,
        &[
            "--config",
            c,
            "--profile",
            "nope",
            "provider",
            "get",
            "--pms-id",
            PMS,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("sandbox, other") || stderr(&out).contains("other, sandbox"),
        "{}",
        stderr(&out)
    );
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
async fn token_prints_a_fresh_token_from_auth0_and_never_the_secret() {
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let auth0 = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "at-fresh", "token_type": "Bearer", "expires_in": 86400}),
        ))
        .expect(1)
        .mount(&auth0)
        .await;
    let token = || {
        command(Some("http://127.0.0.1:9"), None, &["token"])
            .env("LUPL_CLIENT_ID", "cid")
            .env("LUPL_CLIENT_SECRET", "s3cret-value")
            .env("LUPL_TOKEN_URL", format!("{}/oauth/token", auth0.uri()))
            .env("LUPL_AUDIENCE", "https://stage.api.lupl.com")
            .output()
            .expect("runs")
    };
    let out = token();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "at-fresh\n");
    assert!(!stderr(&out).contains("s3cret"));
    // Refused by Auth0: exit 3, and the secret is not in the message.
    auth0.reset().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"error": "access_denied", "error_description": "Unauthorized"}),
            ),
        )
        .mount(&auth0)
        .await;
    let out = token();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("access_denied"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret"));
}

/// A call through the client's middleware: an Auth0 that cannot be reached
/// is a network failure (exit 4, naming the token URL), a rejected secret a
/// credentials one (exit 3).
#[tokio::test]
async fn a_call_exits_4_when_auth0_is_unreachable_and_3_when_it_rejects_the_secret() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let sandbox = Sandbox::start().await.expect("sandbox");
    let get = |token_url: &str| {
        command(
            Some(sandbox.base_url()),
            None,
            &["provider", "get", "--pms-id", PMS],
        )
        .env("LUPL_CLIENT_ID", "cid")
        .env("LUPL_CLIENT_SECRET", "s3cret-value")
        .env("LUPL_TOKEN_URL", token_url)
        .env("LUPL_AUDIENCE", "https://stage.api.lupl.com")
        .output()
        .expect("runs")
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let token_url = format!("http://{}/oauth/token", closed.local_addr().expect("addr"));
    drop(closed);
    let out = get(&token_url);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains(&token_url), "{}", stderr(&out));
    assert!(
        stderr(&out).to_lowercase().contains("connection refused"),
        "the cause, as for the API: {}",
        stderr(&out)
    );

    let auth0 = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": "Invalid client secret"}),
        ))
        .mount(&auth0)
        .await;
    let out = get(&format!("{}/oauth/token", auth0.uri()));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid_client"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret"), "{}", stderr(&out));

    // Auth0 down for maintenance says nothing about the credentials.
    auth0.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .mount(&auth0)
        .await;
    let out = get(&format!("{}/oauth/token", auth0.uri()));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
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

#[tokio::test]
async fn set_many_stops_at_refused_credentials_and_resumes_with_good_ones() {
    let (sandbox, ids) = bulk_sandbox(40).await;
    let provider = file("auth-provider.json", &acme().to_string());
    let mut text = String::from("organizationId,region\n");
    for id in &ids {
        text.push_str(&format!("{id},eu\n"));
    }
    let input = input_file("auth.csv", &text);
    let args = set_many_args(
        &input,
        &[
            "--provider-config",
            provider.to_str().expect("p"),
            "--concurrency",
            "2",
        ],
    );
    let out = lupl(Some(sandbox.base_url()), Some("revoked"), &args);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("--resume"), "{}", stderr(&out));
    let results =
        std::fs::read_to_string(input.with_extension("csv.results.csv")).expect("results");
    let not_run = results.lines().filter(|l| l.contains(",not run,")).count();
    assert!(
        not_run >= 40 - 2,
        "at most the rows in flight were tried: {results}"
    );

    let mut resume = args.clone();
    resume.push("--resume");
    let out = lupl(Some(sandbox.base_url()), Some("tok-acme"), &resume);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_str(stdout(&out).trim()).expect("summary");
    assert_eq!(summary["ok"], 40);
}

#[tokio::test]
async fn credential_flags_replace_the_environments_credentials_as_a_group() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let token = file("token.txt", "tok-acme\n");
    // Readable by others: refused like a config file holding secrets.
    let exposed = lupl(
        Some(sandbox.base_url()),
        None,
        &[
            "--token-file",
            token.to_str().expect("p"),
            "provider",
            "get",
            "--pms-id",
            PMS,
        ],
    );
    assert_eq!(exposed.status.code(), Some(3), "{}", stderr(&exposed));
    assert!(
        stderr(&exposed).contains("chmod 600"),
        "{}",
        stderr(&exposed)
    );
    #[cfg(unix)]
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let args = [
        "--token-file",
        token.to_str().expect("p"),
        "provider",
        "get",
        "--pms-id",
        PMS,
    ];
    // The environment's half-set Auth0 credentials would be an error alone.
    let out = command(Some(sandbox.base_url()), None, &args)
        .env("LUPL_CLIENT_ID", "cid")
        .output()
        .expect("runs");
    assert_eq!(
        (out.status.code(), stdout(&out).trim()),
        (Some(0), "null"),
        "{}",
        stderr(&out)
    );
    let out = lupl(
        Some(sandbox.base_url()),
        None,
        &[
            "--token-file",
            "/nonexistent/token",
            "provider",
            "get",
            "--pms-id",
            PMS,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/token"),
        "{}",
        stderr(&out)
    );
}

/// A server allowing fewer requests than `--rate-limit` (the vendor's
/// "subject to change"): `lupl` learns its quota from the first 429, says
/// so once with the flag to pass, and finishes every row.
#[tokio::test]
async fn set_many_learns_a_lower_server_quota_and_says_so_once() {
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.providers[0].config = acme();
    fixture.rate_limit = lupl_model::Quota::new(4, 1);
    let ids = fixture.add_organizations("tok-acme", 10);
    let sandbox = Sandbox::start_with(fixture).await.expect("sandbox");
    let text: String = ids
        .iter()
        .map(|id| format!("{{\"organizationId\": \"{id}\", \"fields\": {{\"region\": \"eu\"}}}}\n"))
        .collect();
    let input = input_file("learn.jsonl", &text);
    let results = file("learn.results.csv", "");
    let extra = [
        "--results",
        results.to_str().expect("p"),
        "--concurrency",
        "4",
    ];
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&input, &extra),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_str(stdout(&out).trim()).expect("summary");
    assert_eq!(summary["ok"].as_u64(), Some(10), "{summary}");
    let said = stderr(&out);
    let warnings: Vec<&str> = said
        .lines()
        .filter(|l| l.starts_with("lupl: warning: the API allows about"))
        .collect();
    assert_eq!(warnings.len(), 1, "{said}");
    assert!(
        warnings[0].contains("fewer than --rate-limit 1000/60")
            && warnings[0].contains("pass --rate-limit 4/1"),
        "{}",
        warnings[0]
    );
}

/// A setting given as a variable is named as the variable in its error;
/// the same setting given as a flag, as the flag.
#[test]
fn an_error_names_the_setting_as_the_user_set_it() {
    let get = ["provider", "get", "--pms-id", PMS];
    for (variable, value, says) in [
        ("LUPL_RATE_LIMIT", "0/1", "LUPL_RATE_LIMIT \"0/1\""),
        ("LUPL_ENV", "bogus", "LUPL_ENV: \"bogus\""),
        ("LUPL_BASE_URL", "ftp://x", "LUPL_BASE_URL: \"ftp://x\""),
    ] {
        let out = command(None, Some("t"), &get)
            .env(variable, value)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{variable}: {}", stderr(&out));
    }
    let flag = ["--rate-limit", "0/1", "provider", "get", "--pms-id", PMS];
    let out = lupl(None, Some("t"), &flag);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--rate-limit \"0/1\""),
        "{}",
        stderr(&out)
    );
}
