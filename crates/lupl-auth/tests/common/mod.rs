//! Helpers for lupl-auth's tests: an Auth0 and an API on wiremock.
#![allow(dead_code, missing_docs)]

use lupl_api::{Client, Environment};
use lupl_auth::{ClientBuilder, Credentials, limits::Clock, limits::Quota, tokens::SecretIn};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use wiremock::{Match, MockServer, Request, ResponseTemplate};

pub const SECRET: &str = "s3cr3t-client-value";
pub const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";

/// `getProviderConfig` for `pms()`, the call most tests make.
#[allow(dead_code)] // not every test binary uses it
pub async fn get_provider(
    client: &Client,
) -> Result<Option<lupl_api::types::ProviderConfiguration>, lupl_api::Error> {
    client.get_provider_config().pms_id(pms()).send().await
}

pub fn pms() -> lupl_api::uuid::Uuid {
    PMS.parse().expect("uuid")
}

/// Matches a form body equal to the given fields (order aside).
pub struct FormIs(pub BTreeMap<String, String>);

impl FormIs {
    pub fn new(fields: &[(&str, &str)]) -> Self {
        Self(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

pub fn form(request: &Request) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

impl Match for FormIs {
    fn matches(&self, request: &Request) -> bool {
        form(request) == self.0
    }
}

/// Matches a form body whose `field` is `value`.
pub struct FormHas(pub &'static str, pub String);

impl Match for FormHas {
    fn matches(&self, request: &Request) -> bool {
        form(request).get(self.0) == Some(&self.1)
    }
}

pub fn token_response(access: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(
        json!({"access_token": access, "token_type": "Bearer", "expires_in": expires_in}),
    )
}

pub fn client_credentials(auth0: &MockServer) -> Credentials {
    Credentials::Auth0 {
        token_url: format!("{}/oauth/token", auth0.uri()).parse().expect("url"),
        client_id: "cid".into(),
        client_secret: Some(SECRET.to_owned().into()),
        audience: Some("https://api.lupl.example".into()),
        refresh_token: None,
        secret_in: SecretIn::Body,
    }
}

/// A builder for the API at `api` with a quota the tests never reach.
pub fn builder(api: &MockServer, credentials: Credentials, clock: Arc<dyn Clock>) -> ClientBuilder {
    ClientBuilder::new(
        Environment::custom(&api.uri()).expect("loopback"),
        credentials,
    )
    .rate_limit(Quota::new(1_000_000, 1))
    .clock(clock)
}

pub fn client(api: &MockServer, credentials: Credentials, clock: Arc<dyn Clock>) -> Client {
    builder(api, credentials, clock).build().expect("client")
}

pub fn null_200() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw("null", "application/json")
}
