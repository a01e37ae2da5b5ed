//! Settings from `LUPL_*` variables: every missing or contradictory setting
//! is one clear error naming the variable.

use lupl_api::Environment;
use lupl_auth::{Credentials, settings::ConfigError, settings::Settings};
use std::collections::HashMap;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|k| map.get(k).cloned())
}

fn error(vars: &[(&str, &str)]) -> String {
    settings(vars).expect_err("refused").to_string()
}

const CC: [(&str, &str); 4] = [
    ("LUPL_CLIENT_ID", "cid"),
    ("LUPL_CLIENT_SECRET", "s3cret"),
    ("LUPL_AUTH_DOMAIN", "lupl.eu.auth0.com"),
    ("LUPL_AUDIENCE", "https://api.lupl.example"),
];

#[test]
fn a_static_token_on_stage_by_default() {
    let s = settings(&[("LUPL_TOKEN", "tok")]).expect("ok");
    assert_eq!(s.environment, Environment::Stage);
    assert!(matches!(s.credentials, Credentials::Static(_)));
}

#[test]
fn client_credentials_from_the_auth0_domain() {
    let s = settings(&CC).expect("ok");
    match s.credentials {
        Credentials::Auth0 {
            token_url,
            client_id,
            audience,
            ..
        } => {
            assert_eq!(token_url.as_str(), "https://lupl.eu.auth0.com/oauth/token");
            assert_eq!(client_id, "cid");
            assert_eq!(audience.as_deref(), Some("https://api.lupl.example"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nothing_set_names_what_to_set() {
    let e = error(&[]);
    assert!(
        e.contains("LUPL_CLIENT_ID") && e.contains("LUPL_TOKEN"),
        "{e}"
    );
}

#[test]
fn each_missing_client_credentials_variable_is_named() {
    for (missing, name) in [
        (1, "LUPL_CLIENT_SECRET"),
        (2, "LUPL_AUTH_DOMAIN"),
        (3, "LUPL_AUDIENCE"),
    ] {
        let vars: Vec<_> = CC
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != missing)
            .map(|(_, v)| *v)
            .collect();
        let e = error(&vars);
        assert!(e.starts_with(name), "{name}: {e}");
    }
}

#[test]
fn contradictions_name_both_variables() {
    let e = error(&[("LUPL_TOKEN", "t"), ("LUPL_CLIENT_ID", "c")]);
    assert!(
        e.contains("LUPL_TOKEN") && e.contains("LUPL_CLIENT_ID"),
        "{e}"
    );
    let mut vars = CC.to_vec();
    vars.push(("LUPL_TOKEN_URL", "https://x.example/oauth/token"));
    let e = error(&vars);
    assert!(
        e.contains("LUPL_AUTH_DOMAIN") && e.contains("LUPL_TOKEN_URL"),
        "{e}"
    );
    let e = error(&[
        ("LUPL_TOKEN", "t"),
        ("LUPL_ENV", "stage"),
        ("LUPL_BASE_URL", "https://other.example"),
    ]);
    assert!(e.contains("LUPL_ENV") && e.contains("LUPL_BASE_URL"), "{e}");
}

#[test]
fn environments() {
    let e = error(&[("LUPL_TOKEN", "t"), ("LUPL_ENV", "production")]);
    assert!(e.starts_with("LUPL_BASE_URL"), "{e}");
    let s = settings(&[
        ("LUPL_TOKEN", "t"),
        ("LUPL_ENV", "Production"),
        ("LUPL_BASE_URL", "https://api.lupl.example"),
    ])
    .expect("ok");
    assert!(s.environment.is_production());
    let s = settings(&[
        ("LUPL_TOKEN", "t"),
        ("LUPL_BASE_URL", "http://127.0.0.1:8080"),
    ])
    .expect("ok");
    assert_eq!(s.environment.base_url(), "http://127.0.0.1:8080");
    let e = error(&[("LUPL_TOKEN", "t"), ("LUPL_ENV", "dev")]);
    assert!(e.starts_with("LUPL_ENV"), "{e}");
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let e = error(&[
        ("LUPL_TOKEN", "t"),
        ("LUPL_BASE_URL", "http://api.example.com"),
    ]);
    assert!(e.starts_with("LUPL_BASE_URL") && e.contains("https"), "{e}");
    let mut vars = vec![
        ("LUPL_CLIENT_ID", "c"),
        ("LUPL_CLIENT_SECRET", "s"),
        ("LUPL_AUDIENCE", "a"),
    ];
    vars.push(("LUPL_TOKEN_URL", "http://auth.example.com/oauth/token"));
    let e = error(&vars);
    assert!(e.starts_with("LUPL_TOKEN_URL"), "{e}");
    vars.pop();
    vars.push(("LUPL_TOKEN_URL", "http://127.0.0.1:9999/oauth/token"));
    assert!(settings(&vars).is_ok());
}

#[test]
fn a_refresh_token_alone_needs_no_secret_or_audience() {
    let s = settings(&[
        ("LUPL_CLIENT_ID", "cid"),
        ("LUPL_AUTH_DOMAIN", "lupl.eu.auth0.com"),
        ("LUPL_REFRESH_TOKEN", "rt"),
    ])
    .expect("ok");
    assert!(matches!(
        s.credentials,
        Credentials::Auth0 {
            refresh_token: Some(_),
            ..
        }
    ));
    // And the secret never shows in Debug.
    assert!(!format!("{s:?}").contains("\"rt\""));
}
