//! The sandbox's `POST /oauth/token`: tokens issued as Auth0 issues them,
//! refused as Auth0 refuses, expiring and revoked, over loopback.

mod common;
use common::{ACME_PMS, PROVIDER};
use lupl_model::{Fault, Sandbox, fixture::DEFAULT_AUDIENCE};
use serde_json::{Value, json};

async fn token(sandbox: &Sandbox, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(sandbox.info().token_url())
        .form(form)
        .send()
        .await
        .expect("answered");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

fn credentials<'a>(secret: &'a str, audience: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", "acme-client"),
        ("client_secret", secret),
        ("audience", audience),
    ]
}

async fn api_status(sandbox: &Sandbox, token: &str) -> (u16, Option<String>) {
    let r = reqwest::Client::new()
        .get(format!("{}{PROVIDER}?pmsId={ACME_PMS}", sandbox.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("answered");
    let challenge = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (r.status().as_u16(), challenge)
}

#[tokio::test]
async fn client_credentials_issue_a_token_the_api_accepts() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let (status, issued) = token(&sandbox, &credentials("acme-secret", DEFAULT_AUDIENCE)).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["expires_in"], 86_400);
    let access = issued["access_token"].as_str().expect("a token");
    assert_eq!(api_status(&sandbox, access).await.0, 200);
    // The journal names who, never the token or the secret.
    let journal = serde_json::to_string(&sandbox.requests()).expect("json");
    assert!(!journal.contains(access) && !journal.contains("acme-secret"));
    assert!(journal.contains("dev@acme.example"));

    // The same with the secret in HTTP Basic, and with a JSON body.
    let r = reqwest::Client::new()
        .post(sandbox.info().token_url())
        .basic_auth("acme-client", Some("acme-secret"))
        .json(&json!({"grant_type": "client_credentials", "audience": DEFAULT_AUDIENCE}))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn wrong_credentials_audience_or_grant_are_refused_as_auth0_refuses() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let (status, body) = token(&sandbox, &credentials("wrong", DEFAULT_AUDIENCE)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = token(&sandbox, &credentials("acme-secret", "https://elsewhere")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("access_denied"))
    );
    let (status, body) = token(
        &sandbox,
        &[("grant_type", "password"), ("client_id", "acme-client")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("unsupported_grant_type"))
    );
    let (status, body) = token(&sandbox, &[("client_id", "acme-client")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn an_expired_token_gets_401_and_a_refresh_gets_a_new_one() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let (_, issued) = token(&sandbox, &credentials("acme-secret", DEFAULT_AUDIENCE)).await;
    let first = issued["access_token"].as_str().expect("a token").to_owned();
    assert_eq!(sandbox.expire_tokens(), 1);
    let (status, challenge) = api_status(&sandbox, &first).await;
    assert_eq!(status, 401);
    assert!(
        challenge.is_some_and(|c| c.contains("invalid_token")),
        "an expired token is told so"
    );
    let (status, refreshed) = token(
        &sandbox,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "acme-client"),
            ("refresh_token", "acme-refresh"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let second = refreshed["access_token"].as_str().expect("a token");
    assert_ne!(second, first);
    assert_eq!(api_status(&sandbox, second).await.0, 200);
    let (status, body) = token(
        &sandbox,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "acme-client"),
            ("refresh_token", "stolen"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_fault_can_expire_the_callers_token_mid_run() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let (_, issued) = token(&sandbox, &credentials("acme-secret", DEFAULT_AUDIENCE)).await;
    let access = issued["access_token"].as_str().expect("a token");
    sandbox
        .inject(Fault {
            expire_token: true,
            times: Some(1),
            ..Fault::default()
        })
        .expect("fault");
    assert_eq!(api_status(&sandbox, access).await.0, 401);
    assert_eq!(
        api_status(&sandbox, access).await.0,
        401,
        "it stays expired"
    );
    // The fixture's own tokens never expire.
    assert_eq!(api_status(&sandbox, "tok-acme").await.0, 200);
}

#[tokio::test]
async fn a_revoked_client_gets_nothing_and_its_tokens_end() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let (_, issued) = token(&sandbox, &credentials("acme-secret", DEFAULT_AUDIENCE)).await;
    let access = issued["access_token"].as_str().expect("a token").to_owned();
    let r = reqwest::Client::new()
        .post(format!(
            "{}/__admin/clients/acme-client/revoke",
            sandbox.base_url()
        ))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
    assert_eq!(api_status(&sandbox, &access).await.0, 401);
    let (status, body) = token(&sandbox, &credentials("acme-secret", DEFAULT_AUDIENCE)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, _) = token(
        &sandbox,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "acme-client"),
            ("refresh_token", "acme-refresh"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    // A reset gives the client back.
    sandbox.reset();
    let (status, _) = token(&sandbox, &credentials("acme-secret", DEFAULT_AUDIENCE)).await;
    assert_eq!(status, 200);
}

/// `--token-ttl`: a token lives its lifetime and not a moment more (the
/// model's clock is passed in: no waiting).
#[test]
fn an_issued_token_expires_after_its_ttl() {
    use std::time::{Duration, Instant};
    let model = lupl_model::Model::new(lupl_model::Fixture::builtin());
    let now = Instant::now();
    let token = model
        .issue_token("dev@acme.example", Duration::from_secs(60), now)
        .expect("a user's token");
    let read = common::get(&format!("{PROVIDER}?pmsId={ACME_PMS}"), Some(&token));
    assert_eq!(
        model.handle_at(&read, now + Duration::from_secs(59)).status,
        200
    );
    let late = model.handle_at(&read, now + Duration::from_secs(60));
    assert_eq!(late.status, 401);
    assert!(
        late.header_value("www-authenticate")
            .is_some_and(|c| c.contains("invalid_token"))
    );
    assert!(
        model
            .issue_token("nobody@acme.example", Duration::from_secs(60), now)
            .is_none()
    );
}
