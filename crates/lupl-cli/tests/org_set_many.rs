//! `lupl org set-many` end to end against the in-process model: rows
//! stored and the result file, CSV values typed by the provider,
//! `--dry-run`, unusable files, refused credentials and `--resume`, a
//! lower server quota learned. (Interrupted and killed runs:
//! `set_many.rs`.)

mod common;

use common::{acme, bulk_sandbox, file, input_file, lupl, set_many_args, stderr, stdout};
use lupl_model::Sandbox;
use serde_json::{Value, json};

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
    fixture.providers[0].config = provider.into();
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

/// A server allowing fewer requests than `--rate-limit` (the vendor's
/// "subject to change"): `lupl` learns its quota from the first 429, says
/// so once with the flag to pass, and finishes every row.
#[tokio::test]
async fn set_many_learns_a_lower_server_quota_and_says_so_once() {
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.providers[0].config = acme().into();
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
