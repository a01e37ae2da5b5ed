//! lupl-auth end to end against the sandbox's own `/oauth/token`: client
//! credentials, then a token that expires mid-run (re-authentication), and
//! a refresh-token client whose token expires (the refresh grant again).
//! Nothing here is a stub: the tokens are the sandbox's, and its journal
//! shows each token request.

use lupl_api::Environment;
use lupl_auth::{ClientBuilder, Credentials, tokens::SecretIn};
use lupl_model::Sandbox;
use lupl_model::fixture::DEFAULT_AUDIENCE;

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";

fn client(sandbox: &Sandbox, credentials: Credentials) -> lupl_api::Client {
    ClientBuilder::new(
        Environment::custom(sandbox.base_url()).expect("env"),
        credentials,
    )
    .build()
    .expect("client")
}

fn token_requests(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.url == "/oauth/token" && r.status == Some(200))
        .count()
}

async fn read(client: &lupl_api::Client) -> Result<(), lupl_api::Error> {
    let pms: lupl_api::uuid::Uuid = PMS.parse().expect("uuid");
    client
        .get_provider_config()
        .pms_id(pms)
        .send()
        .await
        .map(drop)
}

#[tokio::test]
async fn client_credentials_reauthenticate_when_the_token_expires() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = client(
        &sandbox,
        Credentials::Auth0 {
            token_url: sandbox.info().token_url().parse().expect("url"),
            client_id: "acme-client".into(),
            client_secret: Some("acme-secret".to_owned().into()),
            audience: Some(DEFAULT_AUDIENCE.into()),
            refresh_token: None,
            secret_in: SecretIn::Basic,
        },
    );
    read(&client).await.expect("first call");
    read(&client).await.expect("the token is reused");
    assert_eq!(token_requests(&sandbox), 1);
    assert_eq!(sandbox.expire_tokens(), 1);
    read(&client).await.expect("re-authenticated after the 401");
    assert_eq!(token_requests(&sandbox), 2);
    let statuses: Vec<_> = sandbox
        .requests()
        .iter()
        .filter(|r| r.url.starts_with("/api/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(200), Some(200), Some(401), Some(200)]);
}

#[tokio::test]
async fn a_refresh_token_is_redeemed_again_when_the_token_expires() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = client(
        &sandbox,
        Credentials::Auth0 {
            token_url: sandbox.info().token_url().parse().expect("url"),
            client_id: "acme-client".into(),
            client_secret: None,
            audience: None,
            refresh_token: Some("acme-refresh".to_owned().into()),
            secret_in: SecretIn::Body,
        },
    );
    read(&client).await.expect("first call");
    sandbox.expire_tokens();
    read(&client).await.expect("refreshed after the 401");
    assert_eq!(token_requests(&sandbox), 2);
}

#[tokio::test]
async fn a_revoked_client_is_an_authentication_error() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    assert!(sandbox.services().issuer.revoke("acme-client"));
    let client = client(
        &sandbox,
        Credentials::Auth0 {
            token_url: sandbox.info().token_url().parse().expect("url"),
            client_id: "acme-client".into(),
            client_secret: Some("acme-secret".to_owned().into()),
            audience: Some(DEFAULT_AUDIENCE.into()),
            refresh_token: None,
            secret_in: SecretIn::Body,
        },
    );
    let err = read(&client).await.expect_err("no token");
    let text = format!("{err}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(!text.contains("acme-secret"), "{text}");
}
