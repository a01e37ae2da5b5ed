//! Each grant sends exactly the documented form fields; each Auth0 error
//! becomes its typed error.

mod common;
use common::*;
use lupl_api::RetryAfter;
use lupl_api::reqwest;
use lupl_auth::{
    AuthError, Credentials, limits::SystemClock, tokens::ExposeSecret, tokens::SecretIn,
    tokens::TokenSource,
};
use serde_json::json;
use std::sync::Arc;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn source(credentials: Credentials) -> TokenSource {
    TokenSource::new(
        credentials,
        reqwest::Client::new(),
        Arc::new(SystemClock),
        None,
    )
}

#[tokio::test]
async fn client_credentials_sends_the_secret_in_the_body_by_default() {
    let auth0 = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(FormIs::new(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cid"),
            ("client_secret", SECRET),
            ("audience", "https://api.lupl.example"),
        ]))
        .respond_with(token_response("at-1", 86400))
        .expect(1)
        .mount(&auth0)
        .await;
    let token = source(client_credentials(&auth0))
        .token()
        .await
        .expect("token");
    assert_eq!(token.secret().expose_secret(), "at-1");
}

#[tokio::test]
async fn client_credentials_with_http_basic() {
    let auth0 = MockServer::start().await;
    // base64("cid:s3cr3t-client-value")
    Mock::given(header(
        "authorization",
        "Basic Y2lkOnMzY3IzdC1jbGllbnQtdmFsdWU=",
    ))
    .and(FormIs::new(&[
        ("grant_type", "client_credentials"),
        ("client_id", "cid"),
        ("audience", "https://api.lupl.example"),
    ]))
    .respond_with(token_response("at-basic", 86400))
    .expect(1)
    .mount(&auth0)
    .await;
    let mut credentials = client_credentials(&auth0);
    if let Credentials::Auth0 { secret_in, .. } = &mut credentials {
        *secret_in = SecretIn::Basic;
    }
    let token = source(credentials).token().await.expect("token");
    assert_eq!(token.secret().expose_secret(), "at-basic");
}

#[tokio::test]
async fn refresh_token_grant_sends_the_refresh_token() {
    let auth0 = MockServer::start().await;
    Mock::given(FormIs::new(&[
        ("grant_type", "refresh_token"),
        ("client_id", "cid"),
        ("refresh_token", "rt-0"),
    ]))
    .respond_with(token_response("at-r", 3600))
    .expect(1)
    .mount(&auth0)
    .await;
    let credentials = Credentials::Auth0 {
        token_url: format!("{}/oauth/token", auth0.uri()).parse().expect("url"),
        client_id: "cid".into(),
        client_secret: None,
        audience: None,
        refresh_token: Some("rt-0".to_owned().into()),
        secret_in: SecretIn::Body,
    };
    let token = source(credentials).token().await.expect("token");
    assert_eq!(token.secret().expose_secret(), "at-r");
}

#[tokio::test]
async fn auth0_errors_become_typed_errors_with_status_and_description() {
    type Case = (u16, serde_json::Value, fn(&AuthError) -> bool);
    let cases: Vec<Case> = vec![
        (
            401,
            json!({"error": "invalid_client", "error_description": "Unauthorized"}),
            |e| matches!(e, AuthError::InvalidClient { status: 401, description } if description == "Unauthorized"),
        ),
        (
            403,
            json!({"error": "access_denied", "error_description": "Service not enabled within domain"}),
            |e| matches!(e, AuthError::AccessDenied { status: 403, .. }),
        ),
        (
            403,
            json!({"error": "unauthorized_client", "error_description": "Grant type not allowed"}),
            |e| matches!(e, AuthError::UnauthorizedClient { status: 403, .. }),
        ),
        (
            403,
            json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}),
            |e| matches!(e, AuthError::InvalidGrant { status: 403, .. }),
        ),
        (
            400,
            json!({"error": "invalid_request", "error_description": "Missing audience"}),
            |e| matches!(e, AuthError::Refused { status: 400, error, .. } if error == "invalid_request"),
        ),
        (
            400,
            json!({"error": "invalid_scope", "error_description": "bad scope"}),
            |e| matches!(e, AuthError::Refused { error, .. } if error == "invalid_scope"),
        ),
        (
            503,
            json!({"error": "temporarily_unavailable", "error_description": "try later"}),
            |e| matches!(e, AuthError::Refused { status: 503, .. }),
        ),
    ];
    for (status, body, expected) in cases {
        let auth0 = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(&body))
            .mount(&auth0)
            .await;
        let err = source(client_credentials(&auth0))
            .token()
            .await
            .expect_err("refused");
        assert!(expected(&err), "{status} {body}: {err:?}");
        assert!(!err.to_string().contains(SECRET));
    }
}

#[tokio::test]
async fn auth0_throttling_keeps_retry_after() {
    let auth0 = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "7")
                .set_body_json(json!({"error": "too_many_requests", "error_description": "Global limit has been reached"})),
        )
        .mount(&auth0)
        .await;
    let err = source(client_credentials(&auth0))
        .token()
        .await
        .expect_err("429");
    assert_eq!(
        err,
        AuthError::TooManyRequests {
            retry_after: Some(RetryAfter::Seconds(7)),
            description: "Global limit has been reached".into()
        }
    );
}

#[tokio::test]
async fn a_body_that_is_not_auth0s_is_unexpected_and_a_success_body_is_never_echoed() {
    let auth0 = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .mount(&auth0)
        .await;
    let err = source(client_credentials(&auth0))
        .token()
        .await
        .expect_err("502");
    assert!(
        matches!(err, AuthError::Unexpected { status: 502, .. }),
        "{err:?}"
    );

    let auth0 = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"leaky-value"}"#))
        .mount(&auth0)
        .await;
    let err = source(client_credentials(&auth0))
        .token()
        .await
        .expect_err("no access_token");
    assert!(!err.to_string().contains("leaky-value"), "{err}");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/oauth/token",
        listener.local_addr().expect("addr")
    );
    drop(listener);
    let credentials = Credentials::Auth0 {
        token_url: url.parse().expect("url"),
        client_id: "cid".into(),
        client_secret: Some(SECRET.to_owned().into()),
        audience: Some("aud".into()),
        refresh_token: None,
        secret_in: SecretIn::Body,
    };
    let err = source(credentials).token().await.expect_err("closed");
    match &err {
        AuthError::Transport { url: named, .. } => assert_eq!(named, &url),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(&url), "{err}");
}
