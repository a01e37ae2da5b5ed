//! The client against a wiremock server: what each operation sends, how
//! every documented status decodes, and that typed round trips lose nothing.

use lupl_api::types::{
    OrganizationFields, ProviderAuthentication, ProviderConfiguration, ProviderField,
    ProviderFieldType, SetOrganizationConfigRequest, SetProviderConfigRequest,
};
use lupl_api::{
    BoxError, Client, ClientState, Environment, Error, Middleware, MiddlewareFuture, RetryAfter,
};
use serde_json::{json, Value};
use std::sync::Arc;
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

async fn get_provider(client: &Client) -> Result<Option<ProviderConfiguration>, Error> {
    client.get_provider_config().pms_id(pms()).send().await
}

async fn put_provider(client: &Client, config: ProviderConfiguration) -> Result<(), Error> {
    let body = SetProviderConfigRequest::builder()
        .pms_id(pms())
        .config(config);
    client.set_provider_config().body(body).send().await
}

async fn put_organization(client: &Client, fields: OrganizationFields) -> Result<(), Error> {
    let body = SetOrganizationConfigRequest::builder()
        .organization_id(org())
        .pms_id(pms())
        .fields(fields);
    client.set_organization_config().body(body).send().await
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
    let config = get_provider(&client).await.expect("ok").expect("some");
    assert_eq!(config.name.as_str(), "ACME Inc.");
    assert_eq!(serde_json::to_value(&config).expect("serializes"), acme());
}

#[tokio::test]
async fn a_null_body_is_none() {
    let (_server, client) = answering(
        ResponseTemplate::new(200).set_body_raw("null", "application/json; charset=utf-8"),
    )
    .await;
    assert_eq!(get_provider(&client).await.expect("ok"), None);
    assert_eq!(
        client
            .get_organization_config()
            .organization_id(org())
            .send()
            .await
            .expect("ok"),
        None
    );
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
    put_provider(&client, config).await.expect("stored");
}

/// The issue's read-modify-write: members the typed model does not know,
/// at every open level, come back as they were, with only the change.
#[tokio::test]
async fn a_typed_read_modify_write_keeps_unknown_members() {
    let mut stored = acme();
    stored["x-acme-tier"] = json!("gold");
    stored["authentication"]["audience"] = json!("urn:acme");
    stored["fields"][0]["x-hint"] = json!({"nested": [1, 2.5, null]});
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/pms/providerconfig"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&stored))
        .mount(&server)
        .await;
    let mut expected = stored.clone();
    expected["description"] = json!("Changed");
    Mock::given(method("POST"))
        .and(path("/api/1.0/pms/providerconfig"))
        .and(body_json(json!({"pmsId": PMS, "config": expected})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = get_provider(&client).await.expect("read").expect("some");
    assert_eq!(config.extra["x-acme-tier"], "gold");
    config.description = Some("Changed".parse().expect("valid description"));
    put_provider(&client, config)
        .await
        .expect("written back whole");
}

#[tokio::test]
async fn authentication_is_tagged_by_its_type() {
    let mut stored = acme();
    stored["authentication"] =
        json!({"type": "apiKey", "headerName": "X-Api-Key", "field": "apiKey"});
    stored["fields"] = json!([{"key": "apiKey", "label": "API key", "type": "string"}]);
    let (_server, client) = answering(ResponseTemplate::new(200).set_body_json(&stored)).await;
    let config = get_provider(&client).await.expect("read").expect("some");
    match &config.authentication {
        ProviderAuthentication::ApiKey(key) => assert_eq!(key.header_name.as_str(), "X-Api-Key"),
        other => panic!("{other:?}"),
    }
    assert_eq!(serde_json::to_value(&config).expect("encodes"), stored);
}

#[tokio::test]
async fn a_request_that_breaks_the_spec_is_refused_before_sending_and_names_the_member() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let err = client
        .set_provider_config()
        .body_map(|b| b.pms_id(pms()))
        .send()
        .await
        .expect_err("config is required");
    match &err {
        Error::InvalidRequest(message) => assert!(message.contains("config"), "{message}"),
        other => panic!("{other:?}"),
    }
    let err = client
        .get_provider_config()
        .send()
        .await
        .expect_err("pms_id is required");
    assert!(err.to_string().contains("pms_id"), "{err}");
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
    put_organization(&client, fields.clone())
        .await
        .expect("stored");
    let got = client
        .get_organization_config()
        .organization_id(org())
        .send()
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
    assert_eq!(get_provider(&client).await.expect("ok"), None);
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
    match get_provider(&client).await {
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
    match get_provider(&client).await {
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
        let err = get_provider(&client).await.expect_err("403");
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
    let err = put_organization(&client, fields).await.expect_err("415");
    assert!(matches!(err, Error::UnsupportedMediaType), "{err:?}");
}

#[tokio::test]
async fn payload_too_large() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(413))
        .mount(&server)
        .await;
    let config: ProviderConfiguration = serde_json::from_value(acme()).expect("decodes");
    let err = put_provider(&client, config).await.expect_err("413");
    assert!(matches!(err, Error::PayloadTooLarge), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(413));
}

/// A middleware whose `before` always fails with its own error type.
#[derive(Debug)]
struct Refusing;

#[derive(Debug)]
struct NoToken;

impl std::fmt::Display for NoToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no token today")
    }
}

impl std::error::Error for NoToken {}

impl Middleware for Refusing {
    fn before<'a>(
        &'a self,
        _: &'a mut reqwest::Request,
        _: &'static str,
    ) -> MiddlewareFuture<'a, Result<(), BoxError>> {
        Box::pin(async { Err(Box::new(NoToken) as BoxError) })
    }
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        _: &'static str,
    ) -> MiddlewareFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(http.execute(request))
    }
}

#[tokio::test]
async fn the_middlewares_error_arrives_typed_and_nothing_is_sent() {
    let (server, _) = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = Environment::custom(&server.uri())
        .expect("loopback")
        .client_with(
            Environment::http_client().expect("http"),
            ClientState::with_middleware(Arc::new(Refusing)),
        );
    let err = get_provider(&client).await.expect_err("refused");
    assert!(matches!(err, Error::Middleware(_)), "{err:?}");
    let source = std::error::Error::source(&err).expect("a source");
    assert!(source.downcast_ref::<NoToken>().is_some(), "{source:?}");
    assert_eq!(err.to_string(), "no token today");
}

#[test]
fn question_mark_works_across_environment_and_builder_errors() {
    fn build(base_url: &str, key: &str) -> Result<ProviderField, Error> {
        Environment::custom(base_url)?;
        Ok(ProviderField::builder()
            .key(key)
            .label("Region")
            .type_(ProviderFieldType::String)
            .try_into()?)
    }
    assert!(matches!(
        build("ftp://x", "region"),
        Err(Error::Configuration(_))
    ));
    match build("http://127.0.0.1", "9") {
        Err(Error::InvalidRequest(m)) => assert!(m.contains("key"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(build("http://127.0.0.1", "region").is_ok());
}

#[tokio::test]
async fn too_many_requests_with_seconds() {
    let (_server, client) = answering(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "12")
            .set_body_json(json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 12 seconds."})),
    )
    .await;
    match get_provider(&client).await {
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
    match get_provider(&client).await {
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
    match get_provider(&client).await {
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
    let err = get_provider(&client).await.expect_err("decode");
    match err {
        Error::Decode { body, .. } => assert_eq!(body, "<html>"),
        other => panic!("{other:?}"),
    }
    let (_server, client) =
        answering(ResponseTemplate::new(400).set_body_string("gateway says no")).await;
    match get_provider(&client).await {
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
    let err = get_provider(&client).await.expect_err("no server");
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
