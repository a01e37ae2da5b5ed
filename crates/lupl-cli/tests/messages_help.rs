//! Messages that say what is allowed, one error for a mistyped field, and
//! help that shows a command's own flags apart from the global ones.

mod common;

use common::{PMS, bulk_sandbox, file, input_file, lupl, set_many_args, stderr, stdout};
use serde_json::json;

fn acme_file() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/acme.json"
    ))
}

#[test]
fn a_refused_value_names_what_the_provider_allows() {
    let fields = file(
        "mars.json",
        &json!({"region": "mars", "firmCode": "acme"}).to_string(),
    );
    let out = lupl(
        None,
        None,
        &[
            "org",
            "validate",
            "--file",
            fields.to_str().expect("path"),
            "--provider-config",
            acme_file().to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("allowed: us, eu, apac"), "{said}");
    assert!(said.contains("must match ^[A-Z]{3}[0-9]{3}$"), "{said}");
}

#[tokio::test]
async fn set_many_and_org_set_say_what_is_allowed() {
    let (sandbox, ids) = bulk_sandbox(2).await;
    let input = input_file(
        "allowed.csv",
        &format!("organizationId,region\n{},mars\n", ids[0]),
    );
    let results = file("allowed.results.csv", "");
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&input, &["--results", results.to_str().expect("path")]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = std::fs::read_to_string(&results).expect("results");
    assert!(table.contains("allowed: us, eu, apac"), "{table}");
    // The dry run says it too.
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(
            &input,
            &[
                "--dry-run",
                "--provider-config",
                acme_file().to_str().expect("path"),
            ],
        ),
    );
    assert!(
        stderr(&out).contains("allowed: us, eu, apac"),
        "{}",
        stderr(&out)
    );
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &[
            "org",
            "set",
            "--organization-id",
            &ids[1],
            "--pms-id",
            PMS,
            "--field",
            "region=mars",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("allowed: us, eu, apac"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("traceId"), "{}", stderr(&out));
}

#[test]
fn a_mistyped_field_is_one_error_not_four() {
    let mut acme: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(acme_file()).expect("acme")).expect("json");
    acme["fields"][1]["type"] = json!("strnig");
    acme["baseUrl"] = json!("https://{firmCode}.acme-pm.example");
    acme["endpoints"]["matters"] = json!("/v2/{firmCode}/matters");
    let path = file("mistyped.json", &acme.to_string());
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
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("fields[1].type"), "{said}");
    assert!(!said.contains("placeholder"), "{said}");
    assert!(said.contains("breaks 1 rule(s)"), "{said}");
}

#[test]
fn help_shows_a_commands_own_flags_apart_from_the_global_ones() {
    let out = lupl(None, None, &["org", "set-many", "--help"]);
    let help = stdout(&out);
    let (own, global) = help
        .split_once("Global options:")
        .expect("a global section");
    for flag in [
        "--file",
        "--backup",
        "--max-failures",
        "--fail-fast",
        "--resume",
    ] {
        assert!(own.contains(flag), "{flag} among the command's own: {own}");
    }
    for flag in ["--base-url", "--rate-limit", "--debug", "--output"] {
        assert!(
            !own.contains(flag) && global.contains(flag),
            "{flag} among the global ones"
        );
    }
    let out = lupl(None, None, &["completions", "--help"]);
    assert!(stdout(&out).contains("[possible values: bash, elvish, fish, powershell, zsh]"));
}
