//! A self-contained tour of the client: starts a stand-in server on
//! loopback, stores the vendor document's ACME configuration, reads it back,
//! and shows how a refused request reads.
//!
//! ```text
//! cargo run -p lupl-api --example local_roundtrip
//! ```

use lupl_api::types::ProviderConfiguration;
use lupl_api::{Environment, Error};
use serde_json::json;
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let acme = json!({
        "name": "ACME Inc.",
        "baseUrl": "https://{region}.api.acme.example",
        "authentication": {"type": "oauth2",
            "authorizationUrl": "https://{region}.auth.acme.example/authorize",
            "tokenUrl": "https://{region}.auth.acme.example/token"},
        "endpoints": {"hours": "/v2/hours", "billing": "/v2/billing"},
        "fields": [{"key": "region", "label": "Region", "type": "select",
                    "required": true, "options": ["us", "eu", "apac"]}]
    });
    let server = MockServer::start().await;
    let pms_id = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("pmsId", pms_id))
        .respond_with(ResponseTemplate::new(200).set_body_json(&acme))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({})))
        .mount(&server)
        .await;

    let client = Environment::custom(&server.uri())?.client()?;
    let config: ProviderConfiguration = serde_json::from_value(acme)?;
    client.put_provider_config(&pms_id.parse()?, config).await?;
    println!("stored the ACME configuration at {}", server.uri());
    let back = client.provider_config(&pms_id.parse()?).await?;
    println!("read back: {:?}", back.map(|c| c.name.to_string()));
    let someone_else = lupl_api::uuid::Uuid::new_v4();
    match client.provider_config(&someone_else).await {
        Err(e @ Error::Forbidden) => println!("another provider: {e}"),
        other => return Err(format!("expected 403, got {other:?}").into()),
    }
    Ok(())
}
