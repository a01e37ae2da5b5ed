//! `lupl org set-many` against the sandbox on a bad day: a 503 storm on
//! some rows and a client-credentials token that expires mid-run. Every
//! row is stored exactly once, the run exits 0, and the sandbox's journal
//! shows the faults.

mod common;

use common::{bulk_sandbox, command, file, input_file, set_many_args, stderr};
use lupl_model::Fault;
use lupl_model::fixture::DEFAULT_AUDIENCE;
use std::collections::HashMap;

const ORGANIZATION: &str = "/api/1.0/pms/organizationconfig";

#[tokio::test]
async fn set_many_survives_a_503_storm_and_an_expiring_token() {
    let (sandbox, ids) = bulk_sandbox(120).await;
    let mut text = String::from("organizationId,region\n");
    for id in &ids {
        text.push_str(&format!("{id},eu\n"));
    }
    // Ten rows meet two 503s each (the default --retries is 2).
    for id in ids.iter().step_by(12) {
        sandbox
            .inject(Fault {
                method: Some("POST".into()),
                organization_id: Some(id.parse().expect("uuid")),
                status: Some(503),
                times: Some(2),
                ..Fault::default()
            })
            .expect("fault");
    }
    // The token ends when row 61 is sent.
    sandbox
        .inject(Fault {
            organization_id: Some(ids[61].parse().expect("uuid")),
            expire_token: true,
            times: Some(1),
            ..Fault::default()
        })
        .expect("fault");
    let input = input_file("storm.csv", &text);
    let results = file("storm.results.csv", "");
    let extra = [
        "--results",
        results.to_str().expect("path"),
        "--rate-limit",
        "100000/1",
        "--concurrency",
        "4",
    ];
    let out = command(
        Some(sandbox.base_url()),
        None,
        &set_many_args(&input, &extra),
    )
    .env("LUPL_CLIENT_ID", "acme-client")
    .env("LUPL_CLIENT_SECRET", "acme-secret")
    .env("LUPL_TOKEN_URL", sandbox.info().token_url())
    .env("LUPL_AUDIENCE", DEFAULT_AUDIENCE)
    .output()
    .expect("lupl runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let journal = sandbox.requests();
    let mut stored: HashMap<String, usize> = HashMap::new();
    for entry in &journal {
        if entry.method == "POST" && entry.url == ORGANIZATION && entry.status == Some(200) {
            let body: serde_json::Value = serde_json::from_str(&entry.body).expect("json body");
            let id = body["organizationId"].as_str().expect("id").to_owned();
            *stored.entry(id).or_default() += 1;
        }
    }
    for id in &ids {
        assert_eq!(
            stored.get(id),
            Some(&1),
            "row {id} stored {:?} times",
            stored.get(id)
        );
        let config = sandbox
            .model()
            .organization_config(id.parse().expect("uuid"));
        assert_eq!(config["fields"]["region"], "eu");
    }
    let count = |name: &str| {
        journal
            .iter()
            .filter(|e| e.fault.as_deref() == Some(name))
            .count()
    };
    assert_eq!(count("status 503"), 20, "the storm is in the journal");
    assert_eq!(count("expire-token"), 1);
    let token_requests = journal.iter().filter(|e| e.url == "/oauth/token").count();
    assert_eq!(token_requests, 2, "one token, then one after it expired");
    assert!(
        journal
            .iter()
            .filter(|e| e.url == ORGANIZATION)
            .all(|e| e.identity.is_none() || e.identity.as_deref() == Some("dev@acme.example"))
    );
}
