//! README "Using the client": an authenticated read, change and write.
//! Settings come from `LUPL_BASE_URL` (default: Stage) and `LUPL_TOKEN` or
//! `LUPL_CLIENT_ID`/`LUPL_CLIENT_SECRET`/`LUPL_AUTH_DOMAIN`/`LUPL_AUDIENCE`:
//!
//! ```text
//! cargo run -p lupl-model --bin lupl-sandbox &     # prints its URL and tokens
//! LUPL_BASE_URL=http://127.0.0.1:8080 LUPL_TOKEN=tok-acme \
//!     cargo run -p lupl --example read_modify_write
//! ```
// README:begin
use lupl::{Error, types::SetProviderConfigRequest as Body, uuid::uuid};
#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = lupl::ClientBuilder::from_env()?.build()?; // environment + credentials
    let pms_id = uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
    if let Some(mut config) = client.get_provider_config().pms_id(pms_id).send().await? {
        config.description = Some("Hours and billing from ACME PM".parse()?);
        let body = Body::builder().pms_id(pms_id).config(config);
        match client.set_provider_config().body(body).send().await {
            Err(Error::BadRequest { errors, .. }) => eprintln!("refused: {errors:?}"),
            result => result?,
        }
    }
    Ok(())
}
// README:end
