//! The sandbox as a test double: each fault kind, each admin operation, the
//! journal and reset, over loopback.

mod common;
use common::{ACME_ORG, ACME_PMS, ORGANIZATION, PROVIDER, acme};
use lupl_model::{Fault, Fixture, ModelRequest, Sandbox, Services, admin};
use serde_json::{Value, json};
use std::sync::Arc;

fn http() -> reqwest::Client {
    // No pooled connection is reused across a dropped or reset one.
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

async fn get_provider(sandbox: &Sandbox, token: &str) -> reqwest::Result<reqwest::Response> {
    http()
        .get(format!("{}{PROVIDER}?pmsId={ACME_PMS}", sandbox.base_url()))
        .bearer_auth(token)
        .send()
        .await
}

async fn set_provider(sandbox: &Sandbox) -> reqwest::Result<reqwest::Response> {
    http()
        .post(format!("{}{PROVIDER}", sandbox.base_url()))
        .bearer_auth("tok-acme")
        .json(&json!({"pmsId": ACME_PMS, "config": acme()}))
        .send()
        .await
}

async fn admin(sandbox: &Sandbox, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = http().request(method, format!("{}/__admin{path}", sandbox.base_url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("admin answered");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn stored(sandbox: &Sandbox) -> Value {
    sandbox
        .model()
        .provider_config(ACME_PMS.parse().expect("uuid"))
}

fn io_kind(error: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = e.source();
    }
    None
}

#[tokio::test]
async fn a_status_fault_answers_a_gateway_page_and_stores_nothing() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    for status in [500u16, 502, 503, 504] {
        let id = sandbox
            .inject(Fault {
                method: Some("post".into()),
                status: Some(status),
                times: Some(1),
                ..Fault::default()
            })
            .expect("fault");
        let r = set_provider(&sandbox).await.expect("answered");
        assert_eq!(r.status().as_u16(), status);
        let html = r.text().await.expect("body");
        if status != 500 {
            assert!(html.contains(&format!("<h1>{status} ")), "{html}");
        }
        assert_eq!(stored(&sandbox), Value::Null, "a {status} stored the write");
        assert!(!sandbox.remove_fault(id), "times: 1 is used up");
    }
    // The next write, with no fault left, is stored.
    assert_eq!(set_provider(&sandbox).await.expect("sent").status(), 200);
    assert_eq!(stored(&sandbox), acme());
    let journal = sandbox.requests();
    let faults: Vec<Option<&str>> = journal.iter().map(|e| e.fault.as_deref()).collect();
    assert_eq!(
        faults,
        [
            Some("status 500"),
            Some("status 502"),
            Some("status 503"),
            Some("status 504"),
            None
        ]
    );
}

#[tokio::test]
async fn a_429_storm_carries_retry_after_then_ends() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox
        .inject(Fault {
            retry_after: Some(7),
            times: Some(3),
            ..Fault::default()
        })
        .expect("fault");
    for _ in 0..3 {
        let r = get_provider(&sandbox, "tok-acme").await.expect("answered");
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["statusCode"], 429);
    }
    assert_eq!(
        get_provider(&sandbox, "tok-acme")
            .await
            .expect("sent")
            .status(),
        200
    );
}

#[tokio::test]
async fn a_drop_closes_and_a_reset_resets_without_storing() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox
        .inject(Fault {
            drop: true,
            times: Some(1),
            ..Fault::default()
        })
        .expect("fault");
    let dropped = set_provider(&sandbox).await.expect_err("no answer");
    assert_ne!(
        io_kind(&dropped),
        Some(std::io::ErrorKind::ConnectionReset),
        "{dropped:?}"
    );
    sandbox
        .inject(Fault {
            reset: true,
            times: Some(1),
            ..Fault::default()
        })
        .expect("fault");
    let reset = set_provider(&sandbox).await.expect_err("no answer");
    assert_eq!(
        io_kind(&reset),
        Some(std::io::ErrorKind::ConnectionReset),
        "{reset:?}"
    );
    assert_eq!(stored(&sandbox), Value::Null);
    let statuses: Vec<Option<u16>> = sandbox.requests().iter().map(|e| e.status).collect();
    assert_eq!(statuses, [None, None]);
}

#[tokio::test]
async fn a_malformed_body_is_not_json_and_stores_nothing() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox
        .inject(Fault {
            malformed: true,
            ..Fault::default()
        })
        .expect("fault");
    let r = set_provider(&sandbox).await.expect("answered");
    assert_eq!(r.status(), 200);
    let text = r.text().await.expect("body");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(stored(&sandbox), Value::Null);
}

#[tokio::test]
async fn a_delayed_or_trickled_write_is_answered_and_stored() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox
        .inject(Fault {
            delay_ms: Some(20),
            times: Some(1),
            ..Fault::default()
        })
        .expect("fault");
    assert_eq!(set_provider(&sandbox).await.expect("sent").status(), 200);
    assert_eq!(stored(&sandbox), acme());
    sandbox
        .inject(Fault {
            trickle_ms: Some(5),
            ..Fault::default()
        })
        .expect("fault");
    let mut r = get_provider(&sandbox, "tok-acme").await.expect("answered");
    assert_eq!(r.status(), 200);
    let mut pieces = 0;
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.expect("a piece") {
        pieces += 1;
        body.extend_from_slice(&chunk);
    }
    assert!(pieces > 1, "the body came in {pieces} piece");
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("whole JSON"),
        acme()
    );
    let names: Vec<Option<String>> = sandbox.requests().into_iter().map(|e| e.fault).collect();
    assert_eq!(names, [Some("delay".into()), Some("trickle".into())]);
}

#[tokio::test]
async fn faults_match_by_method_path_token_and_ids() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox
        .inject(Fault {
            token: Some("tok-other".into()),
            status: Some(503),
            ..Fault::default()
        })
        .expect("fault");
    sandbox
        .inject(Fault {
            organization_id: Some(ACME_ORG.parse().expect("uuid")),
            status: Some(502),
            ..Fault::default()
        })
        .expect("fault");
    sandbox
        .inject(Fault {
            method: Some("GET".into()),
            path: Some(format!("{PROVIDER}/")),
            pms_id: Some(ACME_PMS.parse().expect("uuid")),
            status: Some(500),
            ..Fault::default()
        })
        .expect("fault");
    assert_eq!(
        get_provider(&sandbox, "tok-other")
            .await
            .expect("sent")
            .status(),
        503
    );
    assert_eq!(
        get_provider(&sandbox, "tok-acme")
            .await
            .expect("sent")
            .status(),
        500
    );
    // A POST of the provider meets none of them.
    assert_eq!(set_provider(&sandbox).await.expect("sent").status(), 200);
    let org = http()
        .post(format!("{}{ORGANIZATION}", sandbox.base_url()))
        .bearer_auth("tok-acme")
        .json(&json!({"organizationId": ACME_ORG, "pmsId": ACME_PMS, "fields": {}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(org.status(), 502);
}

#[tokio::test]
async fn the_admin_api_installs_lists_and_removes_faults() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let (status, created) = admin(
        &sandbox,
        "POST",
        "/faults",
        Some(json!({"method": "GET", "status": 503, "times": 2})),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_u64().expect("an id");
    let (_, listed) = admin(&sandbox, "GET", "/faults", None).await;
    assert_eq!(listed["faults"][0]["id"], id);
    assert_eq!(listed["faults"][0]["times"], 2);
    assert_eq!(
        admin(&sandbox, "DELETE", &format!("/faults/{id}"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        admin(&sandbox, "DELETE", &format!("/faults/{id}"), None)
            .await
            .0,
        404
    );
    for body in [
        json!({"method": "GET"}),
        json!({"status": 200}),
        json!({"drop": true, "status": 503}),
        json!({"status": 503, "times": 0}),
        json!({"status": 503, "colour": "red"}),
    ] {
        let (status, refused) = admin(&sandbox, "POST", "/faults", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
        assert!(refused["error"].is_string(), "{refused}");
    }
    admin(&sandbox, "POST", "/faults", Some(json!({"status": 500}))).await;
    admin(&sandbox, "POST", "/faults", Some(json!({"status": 502}))).await;
    let (_, removed) = admin(&sandbox, "DELETE", "/faults", None).await;
    assert_eq!(removed["removed"], 2);
    assert!(sandbox.faults().is_empty());
    assert_eq!(admin(&sandbox, "GET", "/nothing", None).await.0, 404);
    assert_eq!(admin(&sandbox, "PUT", "/reset", None).await.0, 405);
}

#[tokio::test]
async fn the_journal_names_the_identity_never_the_token_and_reset_restores_the_fixture() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    assert_eq!(set_provider(&sandbox).await.expect("sent").status(), 200);
    get_provider(&sandbox, "tok-nobody").await.expect("sent");
    let (status, journal) = admin(&sandbox, "GET", "/requests", None).await;
    assert_eq!(status, 200);
    let requests = journal["requests"].as_array().expect("a list");
    assert_eq!(requests.len(), 2, "admin requests are not journaled");
    assert_eq!(requests[0]["method"], "POST");
    assert_eq!(requests[0]["identity"], "dev@acme.example");
    assert_eq!(requests[0]["status"], 200);
    assert!(
        requests[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains(ACME_PMS))
    );
    assert_eq!(requests[1]["url"], format!("{PROVIDER}?pmsId={ACME_PMS}"));
    assert_eq!(requests[1]["identity"], Value::Null);
    assert_eq!(requests[1]["status"], 401);
    let text = journal.to_string();
    assert!(!text.contains("tok-acme") && !text.contains("tok-nobody"));

    assert_eq!(admin(&sandbox, "DELETE", "/requests", None).await.0, 200);
    assert!(sandbox.requests().is_empty());

    sandbox
        .inject(Fault {
            status: Some(503),
            ..Fault::default()
        })
        .expect("fault");
    get_provider(&sandbox, "tok-acme").await.expect("sent");
    let (status, _) = admin(&sandbox, "POST", "/reset", None).await;
    assert_eq!(status, 200);
    assert_eq!(stored(&sandbox), Value::Null, "the fixture's state again");
    assert!(sandbox.faults().is_empty() && sandbox.requests().is_empty());
    assert_eq!(
        get_provider(&sandbox, "tok-acme")
            .await
            .expect("sent")
            .status(),
        200
    );
}

#[test]
fn the_admin_api_refuses_other_hosts_without_the_admin_token() {
    let fixture = Fixture::builtin();
    let model = Arc::new(lupl_model::Model::new(fixture.clone()));
    let request = |token: Option<&str>| ModelRequest {
        method: "GET".into(),
        path: "/__admin/requests".into(),
        headers: token
            .map(|t| vec![("Authorization".into(), format!("Bearer {t}").into_bytes())])
            .unwrap_or_default(),
        ..ModelRequest::default()
    };
    let open = Services::new(
        model.clone(),
        fixture.clone(),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(admin::answer(&open, &request(None), true).status, 200);
    assert_eq!(admin::answer(&open, &request(None), false).status, 403);
    assert_eq!(admin::answer(&open, &request(Some("")), false).status, 403);
    let guarded = Services::new(model, fixture, std::time::Duration::from_secs(60))
        .admin_token(Some("s3cret-admin".into()));
    assert_eq!(
        admin::answer(&guarded, &request(Some("s3cret-admin")), false).status,
        200
    );
    assert_eq!(
        admin::answer(&guarded, &request(Some("tok-acme")), false).status,
        403
    );
}

#[test]
fn the_journal_is_bounded() {
    let journal = lupl_model::Journal::default();
    let entry = |body: String| lupl_model::journal::Entry {
        seq: 0,
        at_ms: 0,
        method: "POST".into(),
        url: "/".into(),
        identity: None,
        status: Some(200),
        fault: None,
        fault_id: None,
        ms: 0,
        body,
        truncated: false,
    };
    for _ in 0..lupl_model::journal::MAX_ENTRIES + 5 {
        journal.record(entry(String::new()));
    }
    assert_eq!(journal.entries().len(), lupl_model::journal::MAX_ENTRIES);
    assert_eq!(journal.evicted(), 5);
    assert_eq!(journal.entries()[0].seq, 6, "the oldest went first");
    journal.record(entry("é".repeat(lupl_model::journal::MAX_BODY)));
    let last = journal.entries().pop().expect("kept");
    assert!(last.truncated && last.body.len() <= lupl_model::journal::MAX_BODY);
}

#[tokio::test]
async fn admin_inputs_that_look_like_others_are_refused() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    admin(
        &sandbox,
        "POST",
        "/faults",
        Some(json!({"status": 500, "token": "tok-acme"})),
    )
    .await;
    // An empty id is not "every fault".
    assert_eq!(admin(&sandbox, "DELETE", "/faults/", None).await.0, 404);
    assert_eq!(sandbox.faults().len(), 1);
    // The listing masks a token matcher.
    let (_, listed) = admin(&sandbox, "GET", "/faults", None).await;
    assert!(!listed.to_string().contains("tok-acme"), "{listed}");
    // A body that is not {"email": …} does not expire every token.
    for body in [
        json!({"Email": "dev@acme.example"}),
        json!({"email": ["x"]}),
        json!([]),
    ] {
        let (status, _) = admin(&sandbox, "POST", "/tokens/expire", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
    }
    let (status, expired) = admin(
        &sandbox,
        "POST",
        "/tokens/expire",
        Some(json!({"email": "dev@acme.example"})),
    )
    .await;
    assert_eq!((status, expired["expired"].as_u64()), (200, Some(0)));
}

#[tokio::test]
async fn nothing_sent_toward_the_token_endpoint_is_journaled_with_its_secret() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "acme-client"),
        ("client_secret", "acme-secret"),
        ("audience", lupl_model::fixture::DEFAULT_AUDIENCE),
    ];
    for path in [
        "/oauth/token/",
        "/oauth//token",
        "/OAUTH/TOKEN",
        "/oauth/token%2F",
    ] {
        http()
            .post(format!(
                "{}{path}?client_secret=acme-secret",
                sandbox.base_url()
            ))
            .form(&form)
            .send()
            .await
            .expect("answered");
    }
    // A secret in another path's query is masked too.
    http()
        .get(format!(
            "{}{PROVIDER}?pmsId={ACME_PMS}&access_token=acme-secret",
            sandbox.base_url()
        ))
        .send()
        .await
        .expect("answered");
    let journal = serde_json::to_string(&sandbox.requests()).expect("json");
    assert!(!journal.contains("acme-secret"), "{journal}");
    assert_eq!(sandbox.requests().len(), 5);
}

#[test]
fn long_urls_count_against_the_journals_bound() {
    let journal = lupl_model::Journal::default();
    for _ in 0..2_000 {
        journal.record(lupl_model::journal::Entry {
            seq: 0,
            at_ms: 0,
            method: "GET".into(),
            url: format!("/x?{}", "a".repeat(200_000)),
            identity: None,
            status: Some(404),
            fault: None,
            fault_id: None,
            ms: 0,
            body: String::new(),
            truncated: false,
        });
    }
    let kept = journal.entries();
    let bytes: usize = kept.iter().map(|e| e.url.len()).sum();
    assert!(bytes <= lupl_model::journal::MAX_BYTES, "{bytes}");
    assert!(
        kept.iter()
            .all(|e| e.truncated && e.url.len() <= lupl_model::journal::MAX_BODY)
    );
    assert!(journal.evicted() > 0);
}
