//! Token lifecycle and request policy: one refresh for many tasks, rotation,
//! 401 → one re-authentication, 429 pauses every task, bounded retries, which
//! methods are retried, the environment guard, the disk cache.

mod common;
use common::*;
use lupl_api::{Environment, Error};
use lupl_auth::{
    ClientBuilder, Credentials, limits::ManualClock, limits::RetryPolicy, tokens::SecretIn,
    tokens::TokenCache,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `setOrganizationConfig` for the organization `pms()` (the ids do not
/// matter to these tests).
async fn put_organization(
    client: &lupl_api::Client,
    fields: serde_json::Value,
) -> Result<(), Error> {
    let fields: lupl_api::types::OrganizationFields =
        serde_json::from_value(fields).expect("fields");
    let body = lupl_api::types::SetOrganizationConfigRequest::builder()
        .organization_id(pms())
        .pms_id(pms())
        .fields(fields);
    client.set_organization_config().body(body).send().await
}

#[tokio::test]
async fn a_hundred_tasks_on_an_expired_token_cause_one_token_request() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at", 3600))
        .expect(2)
        .mount(&auth0)
        .await;
    Mock::given(method("GET"))
        .respond_with(null_200())
        .mount(&api)
        .await;
    let clock = Arc::new(ManualClock::auto());
    let client = client(&api, client_credentials(&auth0), clock.clone());
    get_provider(&client).await.expect("first call");
    // Past the refresh margin: the token must be replaced, once.
    clock.advance(Duration::from_secs(3600 - 30));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { get_provider(&client).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("call");
    }
    auth0.verify().await;
}

#[tokio::test]
async fn a_token_is_reused_until_its_refresh_margin() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at", 3600))
        .expect(1)
        .mount(&auth0)
        .await;
    Mock::given(method("GET"))
        .respond_with(null_200())
        .mount(&api)
        .await;
    let clock = Arc::new(ManualClock::auto());
    let client = client(&api, client_credentials(&auth0), clock.clone());
    get_provider(&client).await.expect("call");
    clock.advance(Duration::from_secs(3600 - 61));
    get_provider(&client).await.expect("still the same token");
    auth0.verify().await;
}

#[tokio::test]
async fn a_rotated_refresh_token_replaces_the_old_one_which_is_never_sent_again() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    for (old, new, access) in [("rt-0", "rt-1", "at-1"), ("rt-1", "rt-2", "at-2")] {
        Mock::given(FormHas("refresh_token", old.into()))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": access, "expires_in": 600, "refresh_token": new}),
            ))
            .expect(1)
            .mount(&auth0)
            .await;
    }
    Mock::given(method("GET"))
        .respond_with(null_200())
        .mount(&api)
        .await;
    let clock = Arc::new(ManualClock::auto());
    let credentials = Credentials::Auth0 {
        token_url: format!("{}/oauth/token", auth0.uri()).parse().expect("url"),
        client_id: "cid".into(),
        client_secret: None,
        audience: None,
        refresh_token: Some("rt-0".to_owned().into()),
        secret_in: SecretIn::Body,
    };
    let client = client(&api, credentials, clock.clone());
    get_provider(&client).await.expect("with at-1");
    clock.advance(Duration::from_secs(600));
    get_provider(&client).await.expect("with at-2");
    auth0.verify().await;
    let sent: Vec<_> = api
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            r.headers
                .get("authorization")
                .map(|v| v.to_str().unwrap_or("").to_owned())
        })
        .collect();
    assert_eq!(sent, ["Bearer at-1", "Bearer at-2"]);
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once_and_a_second_401_is_returned() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at", 3600))
        .expect(2)
        .mount(&auth0)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", "Bearer"))
        .expect(2)
        .mount(&api)
        .await;
    let client = client(
        &api,
        client_credentials(&auth0),
        Arc::new(ManualClock::auto()),
    );
    let err = get_provider(&client).await.expect_err("401");
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn a_401_then_a_fresh_token_succeeds_even_for_a_post() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(FormIs::new(&[
        ("grant_type", "client_credentials"),
        ("client_id", "cid"),
        ("client_secret", SECRET),
        ("audience", "https://api.lupl.example"),
    ]))
    .respond_with(token_response("at-old", 3600))
    .up_to_n_times(1)
    .mount(&auth0)
    .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_response("at-new", 3600))
        .mount(&auth0)
        .await;
    Mock::given(header("authorization", "Bearer at-old"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(header("authorization", "Bearer at-new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&api)
        .await;
    let client = client(
        &api,
        client_credentials(&auth0),
        Arc::new(ManualClock::auto()),
    );
    put_organization(&client, json!({"region": "eu"}))
        .await
        .expect("retried once");
}

#[tokio::test]
async fn a_static_token_refused_is_returned_without_retry() {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&api)
        .await;
    let client = client(
        &api,
        Credentials::Static("tok".to_owned().into()),
        Arc::new(ManualClock::auto()),
    );
    assert!(matches!(
        get_provider(&client).await,
        Err(Error::Unauthorized { .. })
    ));
}

/// Records when (on `clock`) each request arrived and answers the first with
/// 429 and `retry_after`, the others with `null`.
#[derive(Clone)]
struct FirstThrottled {
    clock: Arc<ManualClock>,
    retry_after: String,
    arrivals: Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
}

impl wiremock::Respond for FirstThrottled {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().expect("lock");
        arrivals.push(lupl_auth::limits::Clock::now(&*self.clock));
        if arrivals.len() == 1 {
            ResponseTemplate::new(429).insert_header("Retry-After", self.retry_after.as_str())
        } else {
            null_200()
        }
    }
}

/// Waits until `n` tasks sleep on `clock`; a generous real-time bound turns
/// a broken pause into a failure instead of a hang.
async fn sleeping(clock: &ManualClock, n: usize) {
    tokio::time::timeout(Duration::from_secs(30), clock.until_sleeping(n))
        .await
        .unwrap_or_else(|_| panic!("{n} tasks never slept: the pause did not hold them"));
}

async fn every_task_waits_out_a_429(retry_after: impl Fn(&ManualClock) -> String) {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at", 86400))
        .mount(&auth0)
        .await;
    let clock = Arc::new(ManualClock::held());
    let responder = FirstThrottled {
        retry_after: retry_after(&clock),
        clock: clock.clone(),
        arrivals: Default::default(),
    };
    Mock::given(method("GET"))
        .respond_with(responder.clone())
        .mount(&api)
        .await;
    let client = client(&api, client_credentials(&auth0), clock.clone());

    // The first task is throttled and sleeps out the pause…
    let first = {
        let client = client.clone();
        tokio::spawn(async move { get_provider(&client).await })
    };
    sleeping(&clock, 1).await;
    // …and every other task of the client waits too, without sending.
    let others: Vec<_> = (0..10)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { get_provider(&client).await })
        })
        .collect();
    sleeping(&clock, 11).await;
    assert_eq!(responder.arrivals.lock().expect("lock").len(), 1);
    let throttled_at = responder.arrivals.lock().expect("lock")[0];

    clock.advance(Duration::from_secs(5));
    first
        .await
        .expect("task")
        .expect("succeeds after the pause");
    for t in others {
        t.await.expect("task").expect("succeeds after the pause");
    }
    let arrivals = responder.arrivals.lock().expect("lock").clone();
    assert_eq!(arrivals.len(), 12);
    assert!(
        arrivals[1..]
            .iter()
            .all(|t| t.duration_since(throttled_at) >= Duration::from_secs(2))
    );
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_pauses_every_task() {
    every_task_waits_out_a_429(|_| "2".to_owned()).await;
}

#[tokio::test]
async fn a_429_with_an_http_date_pauses_every_task() {
    every_task_waits_out_a_429(|clock| {
        let at = lupl_auth::limits::Clock::system_now(clock) + Duration::from_secs(3);
        httpdate::fmt_http_date(at)
    })
    .await;
}

#[tokio::test]
async fn retries_stop_at_the_bound() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at", 86400))
        .mount(&auth0)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .expect(4)
        .mount(&api)
        .await;
    let client = client(
        &api,
        client_credentials(&auth0),
        Arc::new(ManualClock::auto()),
    );
    let err = get_provider(&client).await.expect_err("throttled");
    assert!(matches!(err, Error::TooManyRequests { .. }), "{err:?}");
}

#[tokio::test]
async fn a_get_is_retried_after_a_500_and_a_post_is_not() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at", 86400))
        .mount(&auth0)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(4)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&api)
        .await;
    let client = client(
        &api,
        client_credentials(&auth0),
        Arc::new(ManualClock::auto()),
    );
    assert!(get_provider(&client).await.is_err());
    assert!(put_organization(&client, json!({})).await.is_err());
}

/// A server that accepts connections and drops them at once; counts them.
fn dropping_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_dropped_connection_retries_a_get_but_not_a_post() {
    use std::sync::atomic::Ordering;
    for (is_get, expected) in [(true, 4), (false, 1)] {
        let (url, count) = dropping_server();
        let client = ClientBuilder::new(
            Environment::custom(&url).expect("env"),
            Credentials::Static("tok".to_owned().into()),
        )
        .clock(Arc::new(ManualClock::auto()))
        .retry(RetryPolicy::default())
        .build()
        .expect("client");
        let result = if is_get {
            get_provider(&client).await.map(|_| ())
        } else {
            put_organization(&client, json!({})).await
        };
        assert!(matches!(result, Err(Error::Transport(_))), "{result:?}");
        assert_eq!(count.load(Ordering::SeqCst), expected, "get={is_get}");
    }
}

#[tokio::test]
async fn a_token_is_never_sent_to_another_environments_host() {
    let (stage_like, elsewhere) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .respond_with(null_200())
        .expect(0)
        .mount(&elsewhere)
        .await;
    // The middleware of a client built for one environment…
    let built = builder(
        &stage_like,
        Credentials::Static("stage-token".to_owned().into()),
        Arc::new(ManualClock::auto()),
    )
    .build_parts()
    .expect("client");
    // …attached to a client pointed elsewhere refuses before sending.
    let state = lupl_api::ClientState::with_middleware(built.middleware.clone());
    let rogue = Environment::custom(&elsewhere.uri())
        .expect("env")
        .client_with(lupl_api::reqwest::Client::new(), state);
    let err = get_provider(&rogue).await.expect_err("refused");
    assert!(err.to_string().contains("refusing to send"), "{err}");
    assert!(!err.to_string().contains("stage-token"));
    elsewhere.verify().await;
}

#[tokio::test]
async fn the_disk_cache_is_private_reused_and_survives_corruption() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at-cached", 86400))
        .expect(1)
        .mount(&auth0)
        .await;
    Mock::given(method("GET"))
        .respond_with(null_200())
        .mount(&api)
        .await;
    let dir = std::env::temp_dir().join(format!("lupl-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("tokens.json");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(&file, "{ this is not json").expect("corrupt");
    for _ in 0..2 {
        // Two "processes": separate clients sharing the file.
        let client = builder(
            &api,
            client_credentials(&auth0),
            Arc::new(lupl_auth::limits::SystemClock),
        )
        .token_cache(TokenCache::new(&file))
        .build()
        .expect("client");
        get_provider(&client).await.expect("call");
    }
    auth0.verify().await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains("at-cached") && !text.contains(SECRET));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_refresh_margin_is_60s_or_a_tenth_of_the_lifetime() {
    assert_eq!(
        lupl_auth::tokens::refresh_margin(Duration::from_secs(86400)),
        Duration::from_secs(60)
    );
    assert_eq!(
        lupl_auth::tokens::refresh_margin(Duration::from_secs(300)),
        Duration::from_secs(30)
    );
}

/// A 401 drops the token for good: the re-authentication does not take the
/// refused token back from the disk cache, where it still looks fresh.
#[tokio::test]
async fn a_401_is_not_answered_with_the_same_token_from_the_disk_cache() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at-revoked", 86400))
        .up_to_n_times(1)
        .mount(&auth0)
        .await;
    Mock::given(method("POST"))
        .respond_with(token_response("at-new", 86400))
        .mount(&auth0)
        .await;
    Mock::given(header("authorization", "Bearer at-revoked"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(header("authorization", "Bearer at-new"))
        .respond_with(null_200())
        .expect(1)
        .mount(&api)
        .await;
    let dir = std::env::temp_dir().join(format!("lupl-cache-401-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let client = builder(
        &api,
        client_credentials(&auth0),
        Arc::new(lupl_auth::limits::SystemClock),
    )
    .token_cache(TokenCache::new(dir.join("tokens.json")))
    .build()
    .expect("client");
    get_provider(&client)
        .await
        .expect("re-authenticated with a new token");
    let _ = std::fs::remove_dir_all(&dir);
}

/// After a 401, a re-authentication that fails reaches the caller as the
/// `AuthError` it is (here Auth0 refusing the client), not as the 401.
#[tokio::test]
async fn a_failed_re_authentication_is_the_callers_error() {
    let (auth0, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(token_response("at-1", 3600))
        .up_to_n_times(1)
        .mount(&auth0)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": "Client was deleted"}),
        ))
        .mount(&auth0)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&api)
        .await;
    let client = client(
        &api,
        client_credentials(&auth0),
        Arc::new(ManualClock::auto()),
    );
    let err = get_provider(&client).await.expect_err("refused");
    let source = std::error::Error::source(&err).expect("the AuthError");
    assert!(
        matches!(
            source.downcast_ref::<lupl_auth::AuthError>(),
            Some(lupl_auth::AuthError::InvalidClient { .. })
        ),
        "{err:?}"
    );
}
