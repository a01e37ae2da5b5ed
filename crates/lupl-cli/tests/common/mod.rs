//! What the `lupl` end-to-end tests share: `lupl` run with a clean
//! environment, files in a per-process temporary directory, ACME's
//! provider configuration, `set-many` inputs and sandboxes.
//!
//! Each test file uses a part of it, so what one leaves unused is not dead.
#![allow(dead_code)]

use lupl_model::Sandbox;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

pub const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
pub const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
pub const OTHER_PMS: &str = "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10";

/// `lupl` with a clean environment: no `LUPL_*` variables and a home
/// without a config file.
pub fn command(base_url: Option<&str>, token: Option<&str>, args: &[&str]) -> Command {
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

pub fn lupl(base_url: Option<&str>, token: Option<&str>, args: &[&str]) -> Output {
    command(base_url, token, args).output().expect("lupl runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lupl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

pub fn acme() -> Value {
    lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme")
}

/// `lupl provider set` from a pretty-printed file, then what `lupl
/// provider get --output json` prints.
pub fn provider_round_trip(url: &str, name: &str, config: &Value) -> Value {
    let path = file(name, &serde_json::to_string_pretty(config).expect("json"));
    let path = path.to_str().expect("path");
    let args = ["provider", "set", "--pms-id", PMS, "--file", path];
    let out = lupl(Some(url), Some("tok-acme"), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = ["provider", "get", "--pms-id", PMS, "--output", "json"];
    let out = lupl(Some(url), Some("tok-acme"), &args);
    serde_json::from_str(stdout(&out).trim()).expect("json")
}

/// A `set-many` input file, without the journal an earlier run of the
/// test may have left beside it.
pub fn input_file(name: &str, text: &str) -> PathBuf {
    let path = file(name, text);
    let _ = std::fs::remove_file(path.with_file_name(format!("{name}.journal")));
    path
}

/// `org set-many --file INPUT --pms-id <ACME>` and `extra`.
pub fn set_many_args<'a>(input: &'a std::path::Path, extra: &[&'a str]) -> Vec<&'a str> {
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
pub async fn bulk_sandbox(count: usize) -> (Sandbox, Vec<String>) {
    bulk_sandbox_at(count, lupl_model::Quota::default()).await
}

/// [`bulk_sandbox`] with this per-token quota (Lupl's 1000/60 would make
/// a run of thousands of requests wait for the window, as it should).
pub async fn bulk_sandbox_at(count: usize, quota: lupl_model::Quota) -> (Sandbox, Vec<String>) {
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.rate_limit = quota;
    fixture.providers[0].config = acme().into();
    let ids = fixture.add_organizations("tok-acme", count);
    let sandbox = Sandbox::start_with(fixture).await.expect("sandbox");
    (sandbox, ids.iter().map(|i| i.to_string()).collect())
}
