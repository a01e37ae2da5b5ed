//! An authenticated, rate-limited client from the `LUPL_*` variables.
//!
//! Against the local sandbox (a static token):
//!
//! ```text
//! cargo run -p lupl-model --bin lupl-sandbox &      # prints its URL and tokens
//! LUPL_BASE_URL=http://127.0.0.1:8080 LUPL_TOKEN=tok-acme \
//!     cargo run -p lupl-auth --example stage_client -- 4efafdc0-2783-4af6-9cac-d2b2be27a080
//! ```
//!
//! Against Stage with Auth0 client credentials:
//!
//! ```text
//! LUPL_CLIENT_ID=… LUPL_CLIENT_SECRET=… LUPL_AUTH_DOMAIN=… LUPL_AUDIENCE=… \
//!     cargo run -p lupl-auth --example stage_client -- <your pmsId>
//! ```

use lupl_auth::{ClientBuilder, Settings};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(pms_id) = std::env::args().nth(1).and_then(|a| a.parse().ok()) else {
        eprintln!("usage: stage_client PMS_ID (a uuid)");
        return ExitCode::from(2);
    };
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let client = match ClientBuilder::from_settings(settings).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.provider_config(&pms_id).await {
        Ok(Some(config)) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&config).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!("null (no configuration stored yet)");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
