//! `lupl`'s settings and credentials end to end: exit code 3 for a bad
//! or missing credential and 4 for an unreachable server or Auth0,
//! profiles, `lupl token`, credential flags, errors that name the setting
//! as the user set it.

mod common;

use common::{PMS, command, file, lupl, stderr, stdout};
use lupl_model::Sandbox;
use serde_json::json;

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
