//! Secrets never appear in Debug output, error messages or logs — checked on
//! a run that fails at every turn.

mod common;
use common::*;
use lupl_auth::{Credentials, limits::ManualClock, tokens::SecretIn};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const REFRESH: &str = "rt-secret-123";
const ACCESS: &str = "at-secret-456";

#[tokio::test]
async fn no_secret_in_debug_errors_or_traces_of_a_failing_run() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": ACCESS, "expires_in": 3600, "refresh_token": REFRESH}),
        ))
        .up_to_n_times(1)
        .mount(&auth0)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": format!("bad secret {SECRET}")}),
        ))
        .mount(&auth0)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&api)
        .await;
    let credentials = Credentials::Auth0 {
        token_url: format!("{}/oauth/token", auth0.uri()).parse().expect("url"),
        client_id: "cid".into(),
        client_secret: Some(SECRET.to_owned().into()),
        audience: Some("aud".into()),
        refresh_token: Some("rt-initial-789".to_owned().into()),
        secret_in: SecretIn::Body,
    };
    let builder = builder(&api, credentials.clone(), Arc::new(ManualClock::auto()));
    let mut seen = vec![format!("{builder:?}"), format!("{credentials:?}")];
    let built = builder.build_parts().expect("client");
    seen.push(format!("{built:?}"));
    // 401 → re-authentication → Auth0 refuses (its description echoes the
    // secret, which must be scrubbed) → the 401 is returned.
    let err = get_provider(&built.client).await.expect_err("401");
    seen.push(format!("{err:?}"));
    seen.push(err.to_string());
    // The token source itself now fails with a typed error.
    let auth_err = built.tokens.token().await.expect_err("invalid_client");
    seen.push(format!("{auth_err:?}"));
    seen.push(auth_err.to_string());
    assert!(matches!(
        auth_err,
        lupl_auth::AuthError::InvalidClient { .. }
    ));
    seen.push(String::from_utf8_lossy(&captured.0.lock().expect("lock")).into_owned());

    let everything = seen.join("\n");
    assert!(
        everything.contains("lupl.request"),
        "tracing captured nothing:\n{everything}"
    );
    assert!(everything.contains("[redacted]"));
    for secret in [SECRET, REFRESH, ACCESS, "rt-initial-789"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
    // The token did go out, in the header only.
    let sent = api.received_requests().await.unwrap_or_default();
    assert_eq!(
        sent[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {ACCESS}").as_str())
    );
}
