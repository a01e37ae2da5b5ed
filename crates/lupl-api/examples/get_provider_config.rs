//! Reads a provider configuration with a token you already hold.
//!
//! ```text
//! LUPL_BASE_URL=http://127.0.0.1:8080 LUPL_TOKEN=tok-acme \
//!     cargo run -p lupl-api --example get_provider_config -- 4efafdc0-2783-4af6-9cac-d2b2be27a080
//! ```
//!
//! Without `LUPL_BASE_URL` it talks to Lupl Stage. For client credentials,
//! token refresh and rate limiting, use `lupl-auth` instead.

use lupl_api::reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use lupl_api::{ClientState, Environment, Error};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let pms_id: lupl_api::uuid::Uuid = std::env::args()
        .nth(1)
        .ok_or("usage: get_provider_config PMS_ID")?
        .parse()?;
    let env = match std::env::var("LUPL_BASE_URL") {
        Ok(url) => Environment::custom(&url)?,
        Err(_) => Environment::Stage,
    };
    let token = std::env::var("LUPL_TOKEN").map_err(|_| "set LUPL_TOKEN to a bearer token")?;
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    let http = lupl_api::reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let client = env.client_with(http, ClientState::default());
    match client.get_provider_config().pms_id(pms_id).send().await {
        Ok(Some(config)) => println!("{}", serde_json::to_string_pretty(&config)?),
        Ok(None) => println!("null (no configuration stored yet)"),
        Err(Error::BadRequest { errors, .. }) => {
            for (key, messages) in errors {
                eprintln!("{key}: {}", messages.join(" "));
            }
            return Err("the request was refused".into());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
