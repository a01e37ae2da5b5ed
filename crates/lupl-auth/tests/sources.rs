//! `resolve`: flags, then the environment, then a profile; credentials as a
//! group from the first that has any; each error naming the setting as the
//! user set it; secret files that are private and not empty.

use clap::Parser;
use lupl_auth::{Credentials, settings::SettingsArgs, settings::SettingsError};
use std::collections::HashMap;
use std::path::Path;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: SettingsArgs,
}

fn args(flags: &[&str]) -> SettingsArgs {
    let mut argv = vec!["tool"];
    argv.extend_from_slice(flags);
    Cli::try_parse_from(argv).expect("parses").settings
}

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

const PROFILES: &str = r#"
default = "stage"
[profile.stage]
client_id = "cid"
client_secret = "s3cret"
auth_domain = "lupl.eu.auth0.com"
audience = "aud"
[profile.sandbox]
base_url = "http://127.0.0.1:8080"
token = "tok-acme"
rate_limit = "100/1"
"#;

fn private_file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    path
}

#[test]
fn flags_then_environment_then_profile_with_credentials_as_a_group() {
    let dir = tempfile::tempdir().expect("dir");
    let config = private_file(dir.path(), "config.toml", PROFILES);
    let config = config.to_str().expect("path");
    // The default profile: Auth0 credentials from the file.
    let r = args(&["--config", config])
        .resolve_with(&env(&[]))
        .expect("ok");
    assert!(matches!(r.settings.credentials, Credentials::Auth0 { .. }));
    assert!(!r.explicit_environment);
    // A named profile: its base URL, token and rate limit.
    let r = args(&["--config", config, "--profile", "sandbox"])
        .resolve_with(&env(&[]))
        .expect("ok");
    assert_eq!(r.settings.environment.base_url(), "http://127.0.0.1:8080");
    assert_eq!(
        (r.rate_limit.requests, r.rate_limit.per.as_secs()),
        (100, 1)
    );
    assert!(r.explicit_environment);
    // A token in the environment hides the profile's client secret.
    let r = args(&["--config", config])
        .resolve_with(&env(&[("LUPL_TOKEN", "tok-env")]))
        .expect("ok");
    assert!(matches!(r.settings.credentials, Credentials::Static(_)));
    // A flag wins over the environment for where to connect.
    let r = args(&["--config", config, "--base-url", "http://127.0.0.1:1"])
        .resolve_with(&env(&[("LUPL_BASE_URL", "http://127.0.0.1:2")]))
        .expect("ok");
    assert_eq!(r.settings.environment.base_url(), "http://127.0.0.1:1");
}

#[test]
fn a_credential_flag_takes_all_credentials_from_the_command_line_and_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let secret = private_file(dir.path(), "secret", "s3cret\n");
    let e = args(&["--client-secret-file", secret.to_str().expect("p")])
        .resolve_with(&env(&[("LUPL_CLIENT_ID", "cid")]))
        .expect_err("half on the command line");
    let text = e.to_string();
    assert!(text.starts_with("--client-id is not set"), "{text}");
    assert!(text.contains("one place"), "{text}");
    assert!(e.is_credentials());
    assert!(!text.contains("s3cret"));
}

#[test]
fn secret_files_are_private_and_not_empty() {
    let dir = tempfile::tempdir().expect("dir");
    let empty = private_file(dir.path(), "empty", "  \n");
    let e = args(&["--token-file", empty.to_str().expect("p")])
        .resolve_with(&env(&[]))
        .expect_err("empty");
    assert!(matches!(e, SettingsError::EmptySecret { .. }), "{e}");
    assert!(e.to_string().contains("empty"), "{e}");
    #[cfg(unix)]
    {
        let open = dir.path().join("open");
        std::fs::write(&open, "tok").expect("write");
        std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .expect("chmod");
        let e = args(&["--token-file", open.to_str().expect("p")])
            .resolve_with(&env(&[]))
            .expect_err("readable by others");
        assert!(matches!(e, SettingsError::Exposed { .. }), "{e}");
        assert!(e.is_credentials());
    }
    let missing = args(&["--token-file", "/nonexistent/token"])
        .resolve_with(&env(&[]))
        .expect_err("missing");
    assert!(missing.to_string().contains("/nonexistent/token"));
    assert!(!missing.is_credentials());
}

#[test]
fn where_to_connect_is_named_both_ways_when_set_nowhere() {
    let e = args(&["--env", "production"])
        .resolve_with(&env(&[("LUPL_TOKEN", "t")]))
        .expect_err("no base URL");
    assert!(
        e.to_string()
            .starts_with("--base-url (or LUPL_BASE_URL) is not set"),
        "{e}"
    );
    assert!(!e.is_credentials());
    let e = args(&[])
        .resolve_with(&env(&[("LUPL_TOKEN", "t"), ("LUPL_RATE_LIMIT", "0/1")]))
        .expect_err("bad rate");
    assert!(e.to_string().starts_with("LUPL_RATE_LIMIT \"0/1\""), "{e}");
    let e = args(&["--profile", "nope"])
        .resolve_with(&env(&[("LUPL_TOKEN", "t")]))
        .expect_err("no such profile");
    assert!(matches!(e, SettingsError::UnknownProfile { .. }), "{e}");
}
