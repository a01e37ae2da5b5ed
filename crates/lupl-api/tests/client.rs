//! The generated client and its face against a wiremock server: what each
//! operation sends, and how every documented status decodes.

use lupl_api::types::{OrganizationFields, ProviderConfiguration};
use lupl_api::{Client, Environment, Error, RetryAfter};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use uuid::Uuid;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// The vendor document's ACME configuration (openapi.json's example).
fn acme() -> Value {
    lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("openapi.json has the ACME example")
}

fn pms() -> Uuid {
    PMS.parse().expect("uuid")
}
fn org() -> Uuid {
    ORG.parse().expect("uuid")
}

async fn server() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Environment::custom(&server.uri())
        .expect("loopback http is allowed")
        .client()
        .expect("client");
    (server, client)
}

/// A server that answers every GET with `response`; keep the server alive
/// while the client is used.
async fn answering(response: ResponseTemplate) -> (MockServer, Client) {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .respond_with(response)
        .mount(&server)
        .await;
    (server, client)
}

#[tokio::test]
async fn get_provider_config_sends_query_and_decodes_the_config() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/pms/providerconfig"))
        .and(query_param("pmsId", PMS))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(acme()))
        .expect(1)
        .mount(&server)
        .await;
    let config = client
        .provider_config(&pms())
        .await
        .expect("ok")
        .expect("some");
    assert_eq!(config.name.as_str(), "ACME Inc.");
    assert_eq!(serde_json::to_value(&config).expect("serializes"), acme());
}

#[tokio::test]
async fn a_null_body_is_none() {
    let (_server, client) = answering(
        ResponseTemplate::new(200).set_body_raw("null", "application/json; charset=utf-8"),
    )
    .await;
    assert_eq!(client.provider_config(&pms()).await.expect("ok"), None);
    assert_eq!(client.organization_config(&org()).await.expect("ok"), None);
}

#[tokio::test]
async fn set_provider_config_posts_the_json_body() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/api/1.0/pms/providerconfig"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"pmsId": PMS, "config": acme()})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let config: ProviderConfiguration = serde_json::from_value(acme()).expect("decodes");
    client
        .put_provider_config(&pms(), config)
        .await
        .expect("stored");
}

#[tokio::test]
async fn the_raw_json_write_keeps_unknown_members_and_decodes_errors() {
    let (server, client) = server().await;
    let mut config = acme();
    config["vendorExtension"] = json!({"kept": true});
    config["authentication"]["audience"] = json!("urn:acme");
    Mock::given(method("POST"))
        .and(path("/api/1.0/pms/providerconfig"))
        .and(header("content-type", "application/json"))
        .and(header("api-version", "1.0"))
        .and(body_json(json!({"pmsId": PMS, "config": config})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    client
        .put_provider_config_json(&pms(), &config)
        .await
        .expect("stored");
    let err = client
        .put_provider_config_json(&pms(), &json!({"name": 1}))
        .await
        .expect_err("no mock matches a different body");
    assert_eq!(err.status(), Some(reqwest::StatusCode::NOT_FOUND), "{err}");
}

#[tokio::test]
async fn the_raw_read_returns_the_stored_json_whole() {
    let mut config = acme();
    config["vendorExtension"] = json!([1, 2]);
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/pms/providerconfig"))
        .and(query_param("pmsId", PMS))
        .and(header("api-version", "1.0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&config))
        .mount(&server)
        .await;
    assert_eq!(
        client.provider_config_json(&pms()).await.expect("read"),
        config
    );
    let (_server, client) = answering(ResponseTemplate::new(200).set_body_string("{")).await;
    assert!(matches!(
        client.provider_config_json(&pms()).await,
        Err(Error::Decode { .. })
    ));
}

#[test]
fn the_raw_calls_use_the_specs_path() {
    let ops = lupl_spec::Spec::workspace().operations();
    for id in ["getProviderConfig", "setProviderConfig"] {
        let op = ops
            .iter()
            .find(|o| o.operation_id == id)
            .expect("the operation exists");
        assert_eq!(op.path, lupl_api::PROVIDER_CONFIG_PATH, "{id}");
    }
}

#[tokio::test]
async fn organization_operations_send_the_documented_request() {
    let (server, client) = server().await;
    let fields = json!({"region": "eu"});
    Mock::given(method("POST"))
        .and(path("/api/1.0/pms/organizationconfig"))
        .and(body_json(
            json!({"organizationId": ORG, "pmsId": PMS, "fields": fields}),
        ))
        // An empty 200 body decodes as well as `{}`.
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/pms/organizationconfig"))
        .and(query_param("organizationId", ORG))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"organizationId": ORG, "pmsId": PMS, "fields": fields})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let fields: OrganizationFields = serde_json::from_value(fields).expect("decodes");
    client
        .put_organization_config(&org(), &pms(), fields.clone())
        .await
        .expect("stored");
    let got = client
        .organization_config(&org())
        .await
        .expect("ok")
        .expect("some");
    assert_eq!(
        (got.organization_id, got.pms_id, got.fields),
        (org(), pms(), fields)
    );
}

#[tokio::test]
async fn every_request_says_its_api_version() {
    let (server, client) = server().await;
    Mock::given(header("api-version", "1.0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Null))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client.provider_config(&pms()).await.expect("ok"), None);
}

#[tokio::test]
async fn bad_request_keeps_the_errors_map() {
    let body = json!({"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.", "status": 400,
        "traceId": "00-abc-def-00", "errors": {"pmsId": ["The value 'asdf' is not valid."]}});
    let (_server, client) = answering(
        ResponseTemplate::new(400)
            .set_body_raw(body.to_string(), "application/problem+json; charset=utf-8"),
    )
    .await;
    match client.provider_config(&pms()).await {
        Err(Error::BadRequest { errors, trace_id }) => {
            assert_eq!(errors["pmsId"], ["The value 'asdf' is not valid."]);
            assert_eq!(trace_id.as_deref(), Some("00-abc-def-00"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unauthorized_keeps_the_challenge() {
    let (_server, client) =
        answering(ResponseTemplate::new(401).insert_header("WWW-Authenticate", "Bearer")).await;
    match client.provider_config(&pms()).await {
        Err(Error::Unauthorized { challenge }) => assert_eq!(challenge.as_deref(), Some("Bearer")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn forbidden_with_an_empty_object_or_an_empty_body() {
    for response in [
        ResponseTemplate::new(403).set_body_json(json!({})),
        ResponseTemplate::new(403),
    ] {
        let (_server, client) = answering(response).await;
        let err = client.provider_config(&pms()).await.expect_err("403");
        assert!(matches!(err, Error::Forbidden), "{err:?}");
    }
}

#[tokio::test]
async fn unsupported_media_type() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(415).set_body_raw(
            r#"{"title":"Unsupported Media Type","status":415}"#,
            "application/problem+json",
        ))
        .mount(&server)
        .await;
    let fields: OrganizationFields = serde_json::from_value(json!({})).expect("decodes");
    let err = client
        .put_organization_config(&org(), &pms(), fields)
        .await
        .expect_err("415");
    assert!(matches!(err, Error::UnsupportedMediaType), "{err:?}");
}

#[tokio::test]
async fn too_many_requests_with_seconds() {
    let (_server, client) = answering(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "12")
            .set_body_json(json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 12 seconds."})),
    )
    .await;
    match client.provider_config(&pms()).await {
        Err(Error::TooManyRequests { retry_after }) => {
            assert_eq!(retry_after, Some(RetryAfter::Seconds(12)));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn too_many_requests_with_an_http_date() {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    let (_server, client) = answering(
        ResponseTemplate::new(429).insert_header("Retry-After", httpdate::fmt_http_date(at)),
    )
    .await;
    match client.provider_config(&pms()).await {
        Err(Error::TooManyRequests {
            retry_after: Some(r),
        }) => {
            assert_eq!(r, RetryAfter::At(at));
            let now = at - Duration::from_secs(30);
            assert_eq!(r.delay_from(now), Duration::from_secs(30));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn any_other_status_keeps_status_and_body() {
    let (_server, client) = answering(ResponseTemplate::new(500).set_body_string("boom")).await;
    match client.provider_config(&pms()).await {
        Err(Error::UnexpectedStatus { status, body }) => {
            assert_eq!(status.as_u16(), 500);
            assert_eq!(body, "boom");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_undecodable_body_is_a_decode_error_that_keeps_the_body() {
    let (_server, client) = answering(ResponseTemplate::new(200).set_body_string("<html>")).await;
    let err = client.provider_config(&pms()).await.expect_err("decode");
    match err {
        Error::Decode { body, .. } => assert_eq!(body, "<html>"),
        other => panic!("{other:?}"),
    }
    let (_server, client) =
        answering(ResponseTemplate::new(400).set_body_string("gateway says no")).await;
    match client.provider_config(&pms()).await {
        Err(Error::Decode { status, body, .. }) => {
            assert_eq!((status.as_u16(), body.as_str()), (400, "gateway says no"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    // wiremock pools its servers, so take a port from the OS and let it go.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let uri = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let client = Environment::custom(&uri)
        .expect("env")
        .client()
        .expect("client");
    let err = client.provider_config(&pms()).await.expect_err("no server");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[test]
fn environments_refuse_plain_http_off_loopback() {
    assert!(Environment::custom("http://127.0.0.1:8080").is_ok());
    assert!(Environment::custom("http://localhost:8080/").is_ok());
    assert!(Environment::custom("http://[::1]:8080").is_ok());
    assert!(Environment::custom("https://api.example.com").is_ok());
    assert!(Environment::custom("http://api.example.com").is_err());
    assert!(Environment::custom("ftp://127.0.0.1").is_err());
    assert!(Environment::custom("not a url").is_err());
    assert_eq!(
        Environment::Stage.base_url(),
        "https://openapi-stage.stage.lupl.com"
    );
    let local = Environment::custom("http://127.0.0.1:8080/").expect("env");
    assert_eq!(local.base_url(), "http://127.0.0.1:8080");
    assert!(local.owns(&"http://127.0.0.1:8080/api".parse().expect("url")));
    assert!(!local.owns(&"http://127.0.0.1:8081/api".parse().expect("url")));
    assert!(!Environment::Stage.owns(&"https://app.lupl.com/api".parse().expect("url")));
}
