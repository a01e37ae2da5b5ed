//! The command handlers, called as a library (no `lupl` process): values
//! typed by the provider's declared types for `--field` as for `set-many`,
//! settings errors with the README's exit codes, handlers against an
//! in-process sandbox.

use clap::Parser;
use lupl_cli::cli::Cli;
use lupl_cli::commands;
use lupl_cli::context::Context;
use lupl_cli::exit;
use lupl_model::{Fixture, Sandbox};
use serde_json::{Value, json};
use std::collections::HashMap;

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

fn provider() -> Value {
    json!({"fields": [
        {"key": "code", "label": "Code", "type": "string"},
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "sso", "label": "SSO", "type": "boolean"},
        {"key": "region", "label": "Region", "type": "select", "options": ["eu"]}
    ]})
}

fn fields(args: &[&str]) -> Result<serde_json::Map<String, Value>, lupl_cli::Failure> {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    commands::typed_fields(&commands::field_args(&args)?, &provider())
}

/// `--field` and a CSV cell of `set-many` become the same JSON value.
#[test]
fn field_values_are_typed_by_the_declared_type_as_set_many_types_them() {
    let got = fields(&["code=007", "seats=12", "sso=TRUE", "region=eu", "extra=5"]).expect("typed");
    assert_eq!(
        Value::Object(got.clone()),
        json!({"code": "007", "seats": 12, "sso": true, "region": "eu", "extra": "5"})
    );
    let header = "organizationId,code,seats,sso,region,extra\n";
    let csv = format!("{header}{ORG},007,12,TRUE,eu,5\n");
    let rows = lupl_cli::rows::parse(
        std::path::Path::new("orgs.csv"),
        &csv,
        lupl_cli::rows::Format::Csv,
        &provider(),
    )
    .expect("rows");
    assert_eq!(rows.rows[0].fields, got);
}

#[test]
fn empty_keys_values_and_repeated_fields_are_refused() {
    for (args, code) in [
        (vec!["=v"], exit::USAGE),
        (vec!["code="], exit::USAGE),
        (vec!["code=a", "code=b"], exit::USAGE),
        (vec!["novalue"], exit::USAGE),
        (vec!["seats=twelve"], exit::REFUSED),
    ] {
        let e = fields(&args).expect_err("refused");
        assert_eq!(e.code, code, "{args:?}: {}", e.message);
    }
}

fn context(cli: &Cli, env: &[(&str, &str)]) -> Context {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Context {
        settings: cli.settings.clone(),
        env: Box::new(move |name| env.get(name).cloned()),
        output: lupl_cli::cli::Output::Json,
        debug: cli.debug,
    }
}

async fn run(
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<lupl_cli::output::Done, lupl_cli::Failure> {
    let mut argv = vec!["lupl"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("parses");
    let ctx = context(&cli, env);
    commands::run(&cli, &ctx).await
}

/// Where to connect and who: an error of the settings is a usage error
/// (2); missing or contradictory credentials are an authentication
/// error (3).
#[tokio::test]
async fn settings_errors_have_the_documented_exit_codes() {
    let get = ["provider", "get", "--pms-id", PMS];
    for (flags, env, code, says) in [
        (
            vec!["--env", "bogus"],
            vec![("LUPL_TOKEN", "t")],
            exit::USAGE,
            "bogus",
        ),
        (
            vec!["--base-url", "ftp://x"],
            vec![("LUPL_TOKEN", "t")],
            exit::USAGE,
            "ftp://x",
        ),
        (
            vec!["--base-url", "not a url"],
            vec![("LUPL_TOKEN", "t")],
            exit::USAGE,
            "not a url",
        ),
        (
            vec!["--env", "production"],
            vec![("LUPL_TOKEN", "t")],
            exit::USAGE,
            "--base-url",
        ),
        (
            vec!["--rate-limit", "1/18446744074"],
            vec![("LUPL_TOKEN", "t")],
            exit::USAGE,
            "SECONDS",
        ),
        (
            vec!["--rate-limit", "4294967296/1"],
            vec![("LUPL_TOKEN", "t")],
            exit::USAGE,
            "4294967295",
        ),
        (vec![], vec![], exit::AUTH, "LUPL_CLIENT_ID"),
        (
            vec!["--client-id", "cid", "--auth-domain", "lupl.eu.auth0.com"],
            vec![("LUPL_CLIENT_SECRET", "s")],
            exit::AUTH,
            "--client-secret-file is not set",
        ),
        (
            vec![],
            vec![("LUPL_TOKEN", "t"), ("LUPL_CLIENT_ID", "c")],
            exit::AUTH,
            "LUPL_CLIENT_ID",
        ),
    ] {
        let args: Vec<&str> = flags.iter().copied().chain(get).collect();
        let e = run(&args, &env).await.expect_err("refused");
        assert_eq!(e.code, code, "{args:?}: {}", e.message);
        assert!(e.message.contains(says), "{args:?}: {}", e.message);
        assert!(!e.message.contains('\n'), "one line: {}", e.message);
    }
}

/// `org set --field`, typed by `--provider-config`, stored in the model;
/// `provider get` reads back; both without a `lupl` process.
#[tokio::test]
async fn handlers_run_against_an_in_process_sandbox() {
    let mut fixture = Fixture::builtin();
    let mut acme = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("example");
    acme["fields"]
        .as_array_mut()
        .expect("fields")
        .push(json!({"key": "code", "label": "Code", "type": "string"}));
    fixture.providers[0].config = acme.clone().into();
    let sandbox = Sandbox::start_with(fixture).await.expect("sandbox");
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("acme.json");
    std::fs::write(&config, acme.to_string()).expect("write");
    let env = [
        ("LUPL_TOKEN", "tok-acme"),
        ("LUPL_BASE_URL", sandbox.base_url()),
    ];
    let done = run(
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
            "code=007",
            "--provider-config",
            config.to_str().expect("path"),
        ],
        &env,
    )
    .await
    .expect("stored");
    assert_eq!(done.code, exit::OK);
    let stored = &sandbox.model().snapshot().organizations[0].config;
    assert_eq!(stored["fields"], json!({"region": "eu", "code": "007"}));
    let done = run(&["provider", "get", "--pms-id", PMS], &env)
        .await
        .expect("read");
    assert_eq!(done.value, Some(acme));
    // Another tenant's provider cannot type the fields: say what to pass.
    let e = run(
        &[
            "org",
            "set",
            "--organization-id",
            ORG,
            "--pms-id",
            "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10",
            "--field",
            "region=eu",
        ],
        &env,
    )
    .await
    .expect_err("refused");
    assert!(e.message.contains("--provider-config"), "{}", e.message);
}
